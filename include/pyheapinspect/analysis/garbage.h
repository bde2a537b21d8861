/* Garbage: the objects that no root reaches and nothing outside the heap
 * holds (their refcounts are all explained by references among them),
 * which only the cyclic GC can free; grouped into its reference cycles,
 * each with a path around it ("Pair.other.other"). */
#ifndef PYHEAPINSPECT_GARBAGE_H
#define PYHEAPINSPECT_GARBAGE_H

#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/analysis/dominators.h"
#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/heap.h"

#define PHI_CYCLE_PATH_MAX 1024

struct phi_garbage_type {
	const char *name;         /* the type table's */
	uint64_t count, size;
};

/* Cycles of one shape: the same type at the start and the same path
 * around. */
struct phi_garbage_cycle {
	const char *type;
	char path[PHI_CYCLE_PATH_MAX]; /* "Pair.other.other" */
	uint64_t count;           /* cycles of this shape */
	uint64_t length;          /* objects around one (instance dicts
				   * folded into the attribute steps) */
	uint64_t objects, size;   /* the cycles' objects and what hangs
				   * from them only, sys.getsizeof */
};

struct phi_garbage {
	uint64_t objects, size;   /* sys.getsizeof total */
	uint64_t allocated;       /* allocator bytes (0 when not known) */
	struct phi_garbage_type *types;  /* largest first */
	size_t ntypes;
	struct phi_garbage_cycle *cycles; /* largest first, at most top */
	size_t ncycles;
	uint64_t shapes, cycles_total;   /* all shapes, all cycles */
};

/* From the dominator tree of the retained sizes (its unreachable nodes
 * are the garbage).  allocated: bytes per node, or NULL. */
int phi_garbage_find(struct phi_garbage *out, const struct phi_heap *h,
		     const struct phi_dominators *dom,
		     const struct phi_node_sizes *allocated, size_t top,
		     struct phi_error *err);
void phi_garbage_release(struct phi_garbage *g);

#endif
