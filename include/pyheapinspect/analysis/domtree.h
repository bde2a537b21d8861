/* The dominator tree as child lists, for the pictures (the HTML report's
 * icicle, folded stacks, DOT): who each object dominates, how many
 * objects that is, and the best-first pruning that bounds a picture of
 * it on any heap (docs/html-data.md, section 3). */
#ifndef PYHEAPINSPECT_DOMTREE_H
#define PYHEAPINSPECT_DOMTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/analysis/dominators.h"
#include "pyheapinspect/analysis/paths.h"
#include "pyheapinspect/base/error.h"
#include "pyheapinspect/graph/graph.h"

struct phi_domtree {
	uint32_t n;          /* graph nodes; the virtual root is node n */
	uint32_t *start;     /* n + 2 entries: the children of v are
			      * kids[start[v] .. start[v + 1]) */
	uint32_t *kids;      /* reachable nodes grouped by immediate
			      * dominator, in node order within a group */
	uint32_t *objects;   /* n + 1 entries: nodes v dominates, itself
			      * included (0: unreachable); [n]: all
			      * reachable */
};

/* From the immediate dominators of d over n graph nodes.  Memory: 12
 * bytes per node kept, 4 more while it is built; no recursion. */
int phi_domtree_build(struct phi_domtree *t, const struct phi_dominators *d,
		      size_t n, struct phi_error *err);
void phi_domtree_release(struct phi_domtree *t);

/* v's immediate dominator as a node of the tree (n for the root). */
static inline uint32_t phi_domtree_parent(const struct phi_domtree *t,
					  const struct phi_dominators *d,
					  uint32_t v)
{
	return d->idom[v] == PHI_DOM_ROOT ? t->n : d->idom[v];
}

/* The label of node v in a picture of the tree: the path steps from its
 * immediate dominator to it along its shortest path (the dominator is
 * on every path to it, so on that one), or for a child of the root its
 * whole path from its root.  Should the BFS tree not pass through the
 * dominator (it must; a miss is a bug), the whole path too.  Returns
 * true for a relative label. */
bool phi_domtree_label(const struct phi_dominators *d,
		       const struct phi_paths *p, const struct phi_heap *h,
		       uint32_t v, char *buf, size_t len);

/* Best-first pruning: starting from the root's children, the candidate
 * retaining the most (ties: the lower address) is kept next, and its
 * children become candidates; a child retaining less than threshold,
 * any candidate once max_nodes are kept, and any that keep() refuses is
 * pruned (with its subtree) into its parent instead.  A kept node's
 * parent is always kept.  Ids: 0 is the root, kept nodes 1, 2, ... in
 * the order they are kept. */
struct phi_prune {
	uint64_t threshold;
	size_t max_nodes;
	/* false: refuse node (e.g. an output budget is spent) */
	bool (*keep)(void *ctx, uint32_t node, uint32_t id, uint32_t parent);
	void (*pruned)(void *ctx, uint32_t node, uint32_t parent);
	void *ctx;
};

/* *kept: the nodes kept.  Memory: 24 bytes per candidate, at most
 * 2^20 of them (past that, or out of memory, offers are pruned: the
 * sums still hold). */
void phi_domtree_prune(const struct phi_domtree *t,
		       const struct phi_dominators *d,
		       const struct phi_graph *g, const struct phi_prune *o,
		       size_t *kept);

#endif
