/* Dominator tree and retained sizes over the graph's strong edges. */
#ifndef PYHEAPINSPECT_DOMINATORS_H
#define PYHEAPINSPECT_DOMINATORS_H

#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/graph/graph.h"

/* Node ids in idom are graph indices; the virtual root, whose children
 * are the given roots, has id PHI_DOM_ROOT. */
#define PHI_DOM_ROOT (PHI_NONE - 1)

struct phi_dominators {
	uint32_t *idom;      /* n entries: immediate dominator, PHI_DOM_ROOT
			      * for nodes dominated only by the virtual root,
			      * PHI_NONE for nodes not reachable from it */
	uint64_t *retained;  /* n entries: size of the node plus the sizes of
			      * every node it dominates (0 if unreachable) */
	uint64_t reachable;  /* nodes reachable from the virtual root */
	uint64_t reachable_size;
};

/* Compute the dominator tree of g from a virtual root whose children are
 * roots[0..nroots) (duplicates allowed), following only edges with no
 * flag (PHI_EDGE_FLAGS clear), and the retained size of every node (sizes from
 * g->size).  Iterative, no recursion: a chain of millions of nodes is
 * fine.  Memory: O(n + edges) for the reverse edges and scratch arrays. */
int phi_dominators_compute(struct phi_dominators *d, const struct phi_graph *g,
			   const uint32_t *roots, size_t nroots,
			   struct phi_error *err);

/* The same with the retained sizes from sizes[] (one per node: the
 * allocated bytes, say) instead of sys.getsizeof. */
int phi_dominators_compute_sized(struct phi_dominators *d,
				 const struct phi_graph *g,
				 const uint32_t *roots, size_t nroots,
				 const struct phi_node_sizes *sizes,
				 struct phi_error *err);

void phi_dominators_release(struct phi_dominators *d);

#endif
