/* Retained sizes: what freeing an object would free, from the dominator
 * tree, and the largest retainers.  The leak suspects are found in that
 * tree by suspects.h. */
#ifndef PYHEAPINSPECT_RETAINED_H
#define PYHEAPINSPECT_RETAINED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/analysis/dominators.h"
#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/heap.h"

struct phi_retained {
	struct phi_dominators dom;
	uint32_t *top;          /* nodes by retained size, largest first */
	size_t ntop;
	double threshold;       /* where the suspects' walks start, a share
				 * of the reachable heap (e.g. 0.10) */
	uint64_t roots;         /* children of the virtual root */
};

/* Roots: the interpreter's (heap.h) and every object whose refcount
 * exceeds its counted references (something outside the heap holds it).
 * top: the nodes retaining the most, largest first; threshold is kept
 * for the suspects (suspects.h).  sizes: the size of each node to
 * retain (NULL: sys.getsizeof). */
int phi_retained(const struct phi_heap *h, const uint32_t *indeg,
		 size_t top, double threshold,
		 const struct phi_node_sizes *sizes,
		 struct phi_retained *out, struct phi_error *err);
void phi_retained_release(struct phi_retained *r);

#endif
