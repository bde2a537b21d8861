/* Dominator tree and retained sizes.
 *
 * Algorithm: Lengauer & Tarjan, "A Fast Algorithm for Finding Dominators
 * in a Flowgraph", ACM TOPLAS 1(1):121-141, 1979, the simple version
 * (path compression, linking without balancing: O(m log n)).  In
 * practice it is as fast as the balanced version (Georgiadis, Tarjan &
 * Werneck, "Finding Dominators in Practice", JGAA 10(1), 2006) and needs
 * two arrays fewer.
 *
 * Everything is iterative, because heaps hold chains of millions of
 * objects (linked lists, deques, frames): the DFS keeps its stack in the
 * DFS parent pointers and a per-vertex edge cursor, and the path
 * compression of eval() reverses the ancestor pointers on the way up and
 * restores them on the way down instead of recursing.
 *
 * All work after the DFS is done on preorder numbers: 1 is the virtual
 * root (whose children are the given roots), 2..N the reachable nodes.
 * Unreachable nodes cost nothing past the DFS.
 *
 * Memory, peak, in the semidominator phase: 24 bytes per node plus 4 per
 * counted edge that goes up in preorder (the reverse edges kept, about
 * half of them in a heap), the output idom included; 24 bytes per node
 * in the DFS; 20 bytes per node at the end (idom, retained and the two
 * arrays left).  Arrays are reused across phases:
 *   dfnum    node -> preorder (0: not reached); becomes the output idom
 *   vertex   preorder -> node, for the DFS and the results only: freed in
 *            between, rebuilt from dfnum in rstart's array
 *   rstart   DFS edge cursor, then the reverse CSR offsets (32-bit, like
 *            the graph's: there are fewer reverse edges than edges)
 *   lt       per vertex forest state (struct lt_vertex)
 *   dom      least predecessor numbered below the vertex, until its
 *            semidominator is known; then bucket link until the vertex
 *            leaves its bucket; then idom
 * No separate semidominator array: a vertex's own semidominator is only
 * needed as the bucket it sits in, and those of the forest's vertices
 * are kept next to their labels.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/analysis/dominators.h"
#include "pyheapinspect/base/bigmem.h"
#include "pyheapinspect/base/progress.h"
#include "pyheapinspect/base/sizes.h"

#define VROOT 1u /* preorder number of the virtual root */
/* In dom: "same idom as this vertex", resolved by the last pass.  Free
 * since vertex numbers stay below PHI_MAX_NODES + 2. */
#define DOM_DEFER 0x80000000u

/* Forest state of a vertex, in one place so that a step of path
 * compression costs one cache miss, not three. */
struct lt_vertex {
	uint32_t anc;   /* forest parent, 0 if none; while the vertex is
			 * not linked, the head of its bucket (the
			 * vertices it is the semidominator of) */
	uint32_t label; /* vertex of least semidominator on the forest
			 * path from here up to anc, anc excluded */
	uint32_t best;  /* DFS parent until the vertex is processed, then
			 * the semidominator of label */
};

struct dom_work {
	const struct phi_graph *g;
	uint32_t n;          /* graph nodes */
	uint32_t nvert;      /* N: preorder numbers are 1..N */
	uint32_t *dfnum;     /* node -> preorder, n entries */
	uint32_t *vertex;    /* preorder -> node */
	struct lt_vertex *lt;
	uint32_t *dom;
	uint32_t *rstart;    /* N + 2 entries */
	uint32_t *redges;    /* predecessors, as preorder numbers */
};

static void work_free(struct dom_work *w)
{
	phi_big_free(w->vertex);
	phi_big_free(w->lt);
	phi_big_free(w->dom);
	phi_big_free(w->rstart);
	phi_big_free(w->redges);
	w->vertex = w->dom = w->redges = NULL;
	w->lt = NULL;
	w->rstart = NULL;
}

/* ---- Depth-first search */

/* Number node t as the next vertex, child of vertex p; returns its number. */
static uint32_t visit(struct dom_work *w, uint32_t t, uint32_t p)
{
	uint32_t x = ++w->nvert;

	w->dfnum[t] = x;
	w->vertex[x] = t;
	/* The progress line: the search is the first half of the work. */
	if ((x & 0xffff) == 0)
		phi_progress_update(x, 2 * (uint64_t)w->n);
	w->lt[x].best = p;
	w->rstart[x] = w->g->edge_start[t];
	return x;
}

/* The next counted edge of vertex x to a node not yet visited, or
 * PHI_NONE; advances x's cursor.  Checks targets, since the DFS sees
 * every counted edge of every reachable node and later phases trust
 * them. */
static uint32_t next_child(struct dom_work *w, uint32_t x,
			   struct phi_error *err, int *rc)
{
	const struct phi_graph *g = w->g;
	uint32_t v = w->vertex[x];
	uint32_t pos = w->rstart[x], end = g->edge_start[v + 1];
	uint32_t t = PHI_NONE;

	while (pos < end) {
		uint32_t e = g->edges[pos++];

		if (e & PHI_EDGE_FLAGS)
			continue;
		if (e >= w->n) {
			*rc = phi_error_set(err, PHI_E_INTERNAL,
					    "dominators: edge from node %"
					    PRIu32 " to %" PRIu32 ": out of "
					    "range (%" PRIu32 " nodes)",
					    v, e, w->n);
			break;
		}
		if (!w->dfnum[e]) {
			t = e;
			break;
		}
	}
	w->rstart[x] = pos;
	return t;
}

/* Iterative DFS from the virtual root.  The stack is the chain of DFS
 * parents from the current vertex up to the virtual root, so it needs no
 * memory of its own; the virtual root's cursor is the loop over roots. */
static int dfs(struct dom_work *w, const uint32_t *roots, size_t nroots,
	       struct phi_error *err)
{
	int rc = 0;

	w->nvert = VROOT;
	w->vertex[VROOT] = w->n;
	w->lt[VROOT].best = 0;
	for (size_t k = 0; k < nroots; k++) {
		uint32_t x;

		if (roots[k] >= w->n)
			return phi_error_set(err, PHI_E_INTERNAL,
					     "dominators: root %" PRIu32
					     " out of range (%" PRIu32
					     " nodes)", roots[k], w->n);
		if (w->dfnum[roots[k]])
			continue;
		x = visit(w, roots[k], VROOT);
		while (x != VROOT) {
			uint32_t t = next_child(w, x, err, &rc);

			if (rc)
				return rc;
			x = t != PHI_NONE ? visit(w, t, x) : w->lt[x].best;
		}
	}
	return 0;
}

/* ---- Predecessors */

/* Reverse CSR of the counted edges between reachable vertices, in
 * preorder numbers, keeping only the predecessors numbered above their
 * target: one numbered below only ever counts itself in semidominator(),
 * so the least of them is kept in dom instead (the DFS parent, or the
 * virtual root for a root, is one of them: dom starts there; every
 * given root has the virtual root as its least).  In a heap
 * those are mostly the DFS tree edges, about half of all edges.  A
 * counting pass, then a fill pass that walks each slice's end back to
 * its start. */
static int build_preds(struct dom_work *w, const uint32_t *roots,
		       size_t nroots)
{
	const struct phi_graph *g = w->g;
	uint32_t nv = w->nvert;
	uint32_t *rs = w->rstart, *dom = w->dom;
	uint32_t total = 0;

	/* Both passes go over the nodes in index order, the order of the
	 * CSR arrays; the order of a vertex's predecessors does not matter
	 * to semidominator(). */
	memset(rs, 0, ((size_t)nv + 2) * sizeof(*rs));
	for (uint32_t x = 2; x <= nv; x++)
		dom[x] = w->lt[x].best;
	/* A root the DFS reached from another root has the virtual root
	 * as a predecessor too. */
	for (size_t k = 0; k < nroots; k++)
		dom[w->dfnum[roots[k]]] = VROOT;
	for (uint32_t v = 0; v < w->n; v++) {
		uint32_t x = w->dfnum[v];

		for (uint32_t j = g->edge_start[v];
		     x && j < g->edge_start[v + 1]; j++) {
			uint32_t y;

			if (g->edges[j] & PHI_EDGE_FLAGS)
				continue;
			y = w->dfnum[g->edges[j]];
			if (x > y)
				rs[y]++;
			else if (x < dom[y])
				dom[y] = x;
		}
	}
	/* At most the graph's edge count: no overflow. */
	for (uint32_t x = 0; x <= nv + 1; x++) {
		total += rs[x];
		rs[x] = total; /* end of x's slice, for now */
	}
	w->redges = phi_big_calloc(total ? total : 1, sizeof(*w->redges));
	if (!w->redges)
		return -1;
	for (uint32_t v = 0; v < w->n; v++) {
		uint32_t x = w->dfnum[v];

		for (uint32_t j = g->edge_start[v];
		     x && j < g->edge_start[v + 1]; j++) {
			uint32_t y;

			if (g->edges[j] & PHI_EDGE_FLAGS)
				continue;
			y = w->dfnum[g->edges[j]];
			if (x > y)
				w->redges[--rs[y]] = x;
		}
	}
	return 0;
}

/* ---- Lengauer-Tarjan */

/* Path compression for the forest at step i, where the vertices > i are
 * linked and those <= i are tree roots.  Recursively:
 *	compress(v): if ancestor(ancestor(v)) is not a root,
 *		compress(ancestor(v)), then take the better label and
 *		point v at ancestor(ancestor(v)).
 * Here the climb reverses the ancestor pointers to remember the path
 * (0 ends it: no vertex has number 0) and the descent undoes them.  The
 * one extra step this takes when ancestor(v) hangs from a root keeps the
 * invariant, so it needs no special case. */
static void compress(struct lt_vertex *lt, uint32_t v, uint32_t i)
{
	uint32_t x = v, back = 0, a;

	while ((a = lt[x].anc) > i) {
		lt[x].anc = back;
		back = x;
		x = a;
	}
	/* x hangs from a root: its label and ancestor are final. */
	while (back) {
		uint32_t y = back;

		back = lt[y].anc;
		if (lt[x].best < lt[y].best) {
			lt[y].best = lt[x].best;
			lt[y].label = lt[x].label;
		}
		lt[y].anc = lt[x].anc;
		x = y;
	}
}

/* Implicit idom of every vertex in p's bucket (semidominator p): with u
 * the vertex of least semidominator on the forest path p+ -> v, idom(v) is
 * p if semi(u) = p, else idom(u), which is final by the time the preorder
 * pass at the end reads it.  All of p's DFS descendants are linked and p
 * is not, so eval(v) sees exactly that path: draining once per p, before
 * linking p, gives the paper's answers without its draining at every
 * child of p. */
static void drain_bucket(struct dom_work *w, uint32_t p)
{
	struct lt_vertex *lt = w->lt;
	uint32_t v = lt[p].anc;

	lt[p].anc = 0;
	while (v) {
		uint32_t next = w->dom[v];

		compress(lt, v, p);
		w->dom[v] = lt[v].best < p ? lt[v].label | DOM_DEFER : p;
		v = next;
	}
}

/* Semidominator of vertex i, from its predecessors: a smaller-numbered
 * one counts itself (the least of them is in dom[i]), a larger one (the
 * reverse edges) the least semidominator above it. */
static uint32_t semidominator(struct dom_work *w, uint32_t i)
{
	struct lt_vertex *lt = w->lt;
	uint32_t s = w->dom[i];

	for (uint32_t k = w->rstart[i]; k < w->rstart[i + 1]; k++) {
		uint32_t v = w->redges[k];

		compress(lt, v, i);
		if (lt[v].best < s)
			s = lt[v].best;
	}
	return s;
}

static void lengauer_tarjan(struct dom_work *w)
{
	struct lt_vertex *lt = w->lt;
	uint32_t nv = w->nvert;

	w->dom[VROOT] = VROOT;
	for (uint32_t i = nv; i > VROOT; i--) {
		uint32_t p = lt[i].best, s;

		drain_bucket(w, i);
		if ((i & 0xffff) == 0)
			phi_progress_update((uint64_t)w->n + nv - i,
					    2 * (uint64_t)w->n);
		s = semidominator(w, i);
		w->dom[i] = lt[s].anc; /* into s's bucket */
		lt[s].anc = i;
		lt[i].anc = p;         /* link(p, i) */
		lt[i].label = i;
		lt[i].best = s;
	}
	drain_bucket(w, VROOT);
	/* In preorder, dom(u) is final before a deferred dom(i) = u reads
	 * it. */
	for (uint32_t i = 2; i <= nv; i++)
		if (w->dom[i] & DOM_DEFER)
			w->dom[i] = w->dom[w->dom[i] & ~DOM_DEFER];
}

/* ---- Results */

/* idom in node indices (overwriting dfnum, which is the same array) and
 * retained sizes: in reverse preorder every dominator-tree child comes
 * before its parent, so a node's total is complete when it is passed up. */
static void results(struct phi_dominators *d, struct dom_work *w,
		    const struct phi_node_sizes *sizes)
{
	const struct phi_graph *g = w->g;
	uint32_t nv = w->nvert;

	for (uint32_t i = nv; i > VROOT; i--) {
		uint32_t v = w->vertex[i], up;
		uint64_t size = sizes ? phi_node_size(sizes, v) : phi_graph_size(g, v);

		d->retained[v] = phi_size_add(d->retained[v], size);
		d->reachable_size = phi_size_add(d->reachable_size, size);
		if (w->dom[i] == VROOT)
			continue;
		up = w->vertex[w->dom[i]];
		d->retained[up] = phi_size_add(d->retained[up],
					       d->retained[v]);
	}
	memset(d->idom, 0xff, (size_t)w->n * sizeof(*d->idom));
	for (uint32_t i = 2; i <= nv; i++)
		d->idom[w->vertex[i]] = w->dom[i] == VROOT ?
			PHI_DOM_ROOT : w->vertex[w->dom[i]];
	d->reachable = nv - 1;
}

static int no_memory(struct phi_dominators *d, struct dom_work *w,
		     struct phi_error *err)
{
	work_free(w);
	phi_dominators_release(d);
	return phi_error_set(err, PHI_E_NO_MEMORY,
			     "out of memory computing the dominators of %"
			     PRIu32 " objects", w->n);
}

int phi_dominators_compute(struct phi_dominators *d, const struct phi_graph *g,
			   const uint32_t *roots, size_t nroots,
			   struct phi_error *err)
{
	return phi_dominators_compute_sized(d, g, roots, nroots, NULL, err);
}

int phi_dominators_compute_sized(struct phi_dominators *d,
				 const struct phi_graph *g,
				 const uint32_t *roots, size_t nroots,
				 const struct phi_node_sizes *sizes,
				 struct phi_error *err)
{
	struct dom_work w = { .g = g, .n = (uint32_t)g->n };
	size_t n1 = (size_t)w.n + 1, n2 = n1 + 1;
	int rc;

	memset(d, 0, sizeof(*d));
	if (g->n > PHI_MAX_NODES)
		return phi_error_set(err, PHI_E_INTERNAL,
				     "dominators: %zu nodes, more than %u",
				     g->n, PHI_MAX_NODES);
	d->idom = phi_big_calloc(n1, sizeof(*d->idom));
	w.dfnum = d->idom;
	w.vertex = phi_big_calloc(n2, sizeof(*w.vertex));
	w.lt = phi_big_calloc(n2, sizeof(*w.lt));
	w.rstart = phi_big_calloc(n2 + 1, sizeof(*w.rstart));
	if (!d->idom || !w.vertex || !w.lt || !w.rstart)
		return no_memory(d, &w, err);
	rc = dfs(&w, roots, nroots, err);
	if (rc) {
		work_free(&w);
		phi_dominators_release(d);
		return rc;
	}
	/* The semidominator phase does not need vertex: room for dom and
	 * the reverse edges. */
	phi_big_free(w.vertex);
	w.vertex = NULL;
	w.dom = phi_big_calloc((size_t)w.nvert + 1, sizeof(*w.dom));
	if (!w.dom || build_preds(&w, roots, nroots) < 0)
		return no_memory(d, &w, err);
	lengauer_tarjan(&w);

	/* Only dom is left to read: make room for retained, and rebuild
	 * vertex where rstart was (as long, pages already there; results()
	 * reads entries 2..N, all rewritten here). */
	phi_big_free(w.redges);
	phi_big_free(w.lt);
	w.redges = NULL;
	w.lt = NULL;
	w.vertex = w.rstart;
	w.rstart = NULL;
	d->retained = phi_big_calloc(n1, sizeof(*d->retained));
	if (!d->retained)
		return no_memory(d, &w, err);
	for (uint32_t v = 0; v < w.n; v++)
		if (w.dfnum[v])
			w.vertex[w.dfnum[v]] = v;
	results(d, &w, sizes);
	work_free(&w);
	return 0;
}

void phi_dominators_release(struct phi_dominators *d)
{
	phi_big_free(d->idom);
	phi_big_free(d->retained);
	memset(d, 0, sizeof(*d));
}
