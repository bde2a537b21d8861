/* The whole heap: every live object reachable from the interpreter's
 * roots and the GC lists, decoded into the graph. */
#ifndef PYHEAPINSPECT_HEAP_H
#define PYHEAPINSPECT_HEAP_H

#include <stdbool.h>
#include <stdint.h>

#include "pyheapinspect/decode.h"
#include "pyheapinspect/graph.h"
#include "pyheapinspect/image.h"
#include "pyheapinspect/pytype.h"
#include "pyheapinspect/runtime.h"
#include "pyheapinspect/target.h"

/* Where a root comes from (for paths to roots). */
enum phi_root_kind {
	PHI_ROOT_MODULES,      /* sys.modules */
	PHI_ROOT_SYSDICT,      /* sys.__dict__ */
	PHI_ROOT_BUILTINS,
	PHI_ROOT_INTERP,       /* other interpreter-state references */
	PHI_ROOT_FRAME,        /* a thread's frame (index = depth) */
	PHI_ROOT_THREAD,       /* a thread's dict or current exception */
	PHI_ROOT_CACHE,        /* small ints, 1-char str/bytes, empties */
	PHI_ROOT_INTERNED,     /* the interned-strings dict */
	PHI_ROOT_SINGLETON,    /* None, True, False, Ellipsis... */
	PHI_ROOT_EXTERNAL,     /* held from outside the heap (refcounts) */
};

struct phi_root {
	uint32_t node;
	enum phi_root_kind kind;
	uint64_t thread_id;    /* PHI_ROOT_FRAME/THREAD */
	uint32_t index;        /* frame depth, cache index */
};

struct phi_heap_stats {
	uint64_t objects, total_size, gc_tracked;
	uint64_t opaque, opaque_size;
	uint64_t bad_refs;     /* pointers to things that are not objects */
	uint64_t bad_fields;   /* fields the decoders could not read */
};

struct phi_heap {
	struct phi_graph g;
	struct phi_types types;
	struct phi_root *roots;
	size_t nroots, roots_cap;
	struct phi_heap_stats stats;
	double build_ms;
};

struct phi_heap_opts {
	/* Called now and then with the objects decoded so far (or NULL). */
	void (*progress)(uint64_t done, uint64_t seen);
	/* Refuse (PHI_E_NO_MEMORY) a graph of more objects (0 = no limit):
	 * how --max-memory bounds the tool's own memory. */
	uint64_t max_objects;
};

/* Enumerate and decode every object. */
int phi_heap_build(struct phi_heap *h, const struct phi_image *img,
		   const struct phi_target *t, const struct phi_runtime *rt,
		   const struct phi_heap_opts *o, struct phi_error *err);

void phi_heap_release(struct phi_heap *h);

#endif
