/* Analyses over the heap graph: referrer counts, deep size, sharing,
 * the refcount audit, retained sizes and leak suspects.  All iterative,
 * all over the CSR arrays. */
#ifndef PYHEAPINSPECT_ANALYZE_H
#define PYHEAPINSPECT_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/dominators.h"
#include "pyheapinspect/error.h"
#include "pyheapinspect/heap.h"

/* Counted references to each node: edges with no flag (a weakref's
 * referent and the uncounted keys of split dicts and of the interned
 * dict do not count). */
int phi_indegree(const struct phi_graph *g, uint32_t **out,
		 struct phi_error *err);

/* --- deep size of one object ------------------------------------- */
struct phi_deep {
	uint64_t size;          /* sum of sys.getsizeof, each object once */
	uint64_t objects;
	uint64_t references;    /* references followed */
	uint64_t shared_refs;   /* ... that met an object already counted */
	uint64_t sharing_saved; /* bytes a count without de-duplication
				 * would have added */
	uint64_t outside_objects; /* objects of the deep set (other than the
				   * named one) also referenced from outside
				   * it */
	uint64_t outside_size;
};

/* The deep set follows container contents (dict keys and values, items
 * of list, tuple, set, frozenset, deque), an instance's __dict__ and
 * __slots__ values; it never enters types, modules, functions, code
 * objects or frames, and str/bytes are leaves.  indeg may be NULL (then
 * outside_* stay 0).  mark is scratch of g->n bytes, zero on entry and
 * zero again on return. */
int phi_deep_size(const struct phi_heap *h, uint32_t node,
		  const uint32_t *indeg, uint8_t *mark, struct phi_deep *out,
		  struct phi_error *err);

/* --- sharing across the heap ---------------------------------------- */
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

/* --- refcount audit ------------------------------------------------- */
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

/* --- retained sizes ------------------------------------------------- */
struct phi_retained {
	struct phi_dominators dom;
	uint32_t *top;          /* nodes by retained size, largest first */
	size_t ntop;
	size_t nsuspects;       /* the first nsuspects of top retain more
				 * than the threshold share of the heap */
	double threshold;       /* e.g. 0.10 */
	uint64_t roots;         /* children of the virtual root */
};

/* Roots: the interpreter's (heap.h) and every object whose refcount
 * exceeds its counted references (something outside the heap holds it).
 * top: the nodes retaining the most, largest first; suspects: those of
 * them retaining more than threshold of the reachable heap. */
int phi_retained(const struct phi_heap *h, const uint32_t *indeg,
		 size_t top, double threshold, struct phi_retained *out,
		 struct phi_error *err);
void phi_retained_release(struct phi_retained *r);

#endif
