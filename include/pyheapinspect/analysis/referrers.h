/* Who refers to what: referrer counts, the objects most shared, and the
 * refcount audit (refcounts against the references found). */
#ifndef PYHEAPINSPECT_REFERRERS_H
#define PYHEAPINSPECT_REFERRERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/heap.h"

/* Counted references to each node: edges with no flag (a weakref's
 * referent and the uncounted keys of split dicts and of the interned
 * dict do not count). */
int phi_indegree(const struct phi_graph *g, uint32_t **out,
		 struct phi_error *err);

struct phi_shared_obj {
	uint32_t node;
	uint32_t referrers;
};

struct phi_sharing {
	uint64_t objects;       /* objects with more than one referrer */
	uint64_t size;
	struct phi_shared_obj *top;
	size_t ntop;
};

int phi_sharing(const struct phi_heap *h, const uint32_t *indeg, size_t top,
		struct phi_sharing *out, struct phi_error *err);
void phi_sharing_release(struct phi_sharing *s);

struct phi_audit_obj {
	uint32_t node;
	uint32_t found;         /* counted references found in the heap */
};

struct phi_audit {
	uint64_t low;           /* refcount lower than references found */
	struct phi_audit_obj *low_top;
	size_t nlow_top;
	uint64_t external;      /* refcount higher: held from outside */
	uint64_t external_size;
};

int phi_audit(const struct phi_heap *h, const uint32_t *indeg, size_t top,
	      struct phi_audit *out, struct phi_error *err);
void phi_audit_release(struct phi_audit *a);

#endif
