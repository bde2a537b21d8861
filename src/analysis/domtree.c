/* The dominator tree's child lists (a counting sort of idom[]), the
 * objects each node dominates (summed up a breadth-first order of the
 * tree, children after parents), and the best-first pruning of
 * domtree.h.  No recursion: the tree can be millions deep (a linked
 * list) or wide (a big dict). */
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/analysis/domtree.h"
#include "pyheapinspect/base/bigmem.h"

#define MAX_CANDIDATES (1u << 20)

void phi_domtree_release(struct phi_domtree *t)
{
	phi_big_free(t->start);
	phi_big_free(t->kids);
	phi_big_free(t->objects);
	memset(t, 0, sizeof(*t));
}

/* objects[]: in breadth-first order every node comes after its
 * parent, so walking that order backwards passes each subtree's count
 * up after it is complete. */
static int count_objects(struct phi_domtree *t, const struct phi_dominators *d,
			 size_t reachable)
{
	uint32_t *queue = phi_big_calloc(reachable ? reachable : 1,
					 sizeof(*queue));
	size_t head = 0, tail = 0;

	if (!queue)
		return -1;
	for (uint32_t k = t->start[t->n]; k < t->start[t->n + 1]; k++)
		queue[tail++] = t->kids[k];
	while (head < tail) {
		uint32_t v = queue[head++];

		for (uint32_t k = t->start[v]; k < t->start[v + 1]; k++)
			queue[tail++] = t->kids[k];
	}
	while (tail > 0) {
		uint32_t v = queue[--tail];

		t->objects[v]++;
		t->objects[phi_domtree_parent(t, d, v)] += t->objects[v];
	}
	phi_big_free(queue);
	return 0;
}

int phi_domtree_build(struct phi_domtree *t, const struct phi_dominators *d,
		      size_t n, struct phi_error *err)
{
	uint32_t total = 0;

	memset(t, 0, sizeof(*t));
	if (n > PHI_MAX_NODES)
		return phi_error_set(err, PHI_E_INTERNAL, "dominator tree: "
				     "%zu nodes", n);
	t->n = (uint32_t)n;
	t->start = phi_big_calloc(n + 2, sizeof(*t->start));
	t->kids = phi_big_calloc(n ? n : 1, sizeof(*t->kids));
	t->objects = phi_big_calloc(n + 1, sizeof(*t->objects));
	if (!t->start || !t->kids || !t->objects)
		goto oom;
	/* Count, turn counts into the end of each slice, then fill each
	 * slice from its end: nodes in index order within a slice. */
	for (uint32_t v = 0; v < n; v++)
		if (d->idom[v] != PHI_NONE)
			t->start[phi_domtree_parent(t, d, v)]++;
	for (size_t v = 0; v <= n + 1; v++) {
		total += t->start[v];
		t->start[v] = total;
	}
	for (uint32_t v = (uint32_t)n; v-- > 0;)
		if (d->idom[v] != PHI_NONE)
			t->kids[--t->start[phi_domtree_parent(t, d, v)]] = v;
	if (count_objects(t, d, total) < 0)
		goto oom;
	return 0;
oom:
	phi_domtree_release(t);
	return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory building "
			     "the dominator tree of %zu objects", n);
}

bool phi_domtree_label(const struct phi_dominators *d,
		       const struct phi_paths *p, const struct phi_heap *h,
		       uint32_t v, char *buf, size_t len)
{
	if (d->idom[v] != PHI_DOM_ROOT && d->idom[v] != PHI_NONE &&
	    phi_path_steps(p, h, d->idom[v], v, buf, len) == 0)
		return true;
	phi_path_text(p, h, v, buf, len);
	return false;
}

/* ---- best-first pruning */

struct cand {
	uint64_t retained;
	uint64_t addr;
	uint32_t node;
	uint32_t parent;    /* kept id */
};

struct cheap {
	struct cand *v;
	size_t n, cap;
};

/* a before b: more retained, then the lower address. */
static bool better(const struct cand *a, const struct cand *b)
{
	return a->retained != b->retained ? a->retained > b->retained :
					    a->addr < b->addr;
}

static bool push(struct cheap *h, struct cand c)
{
	size_t i;

	if (h->n == h->cap) {
		size_t ncap = h->cap ? h->cap * 2 : 256;
		struct cand *nv;

		if (ncap > MAX_CANDIDATES)
			return false;
		nv = realloc(h->v, ncap * sizeof(*nv));
		if (!nv)
			return false;
		h->v = nv;
		h->cap = ncap;
	}
	i = h->n++;
	while (i > 0 && better(&c, &h->v[(i - 1) / 2])) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = c;
	return true;
}

static struct cand pop(struct cheap *h)
{
	struct cand top = h->v[0], last = h->v[--h->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && better(&h->v[c + 1], &h->v[c]))
			c++;
		if (!better(&h->v[c], &last))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = last;
	return top;
}

/* The children of v (a tree node) offered as candidates under id. */
static void offer_children(const struct phi_domtree *t,
			   const struct phi_dominators *d,
			   const struct phi_graph *g, const struct phi_prune *o,
			   struct cheap *h, uint32_t v, uint32_t id)
{
	for (uint32_t k = t->start[v]; k < t->start[v + 1]; k++) {
		uint32_t c = t->kids[k];
		struct cand x = { d->retained[c], g->addr[c], c, id };

		if (x.retained < o->threshold || !push(h, x))
			o->pruned(o->ctx, c, id);
	}
}

void phi_domtree_prune(const struct phi_domtree *t,
		       const struct phi_dominators *d,
		       const struct phi_graph *g, const struct phi_prune *o,
		       size_t *kept)
{
	struct cheap h = { 0 };
	uint32_t next = 1;

	offer_children(t, d, g, o, &h, t->n, 0);
	while (h.n) {
		struct cand c = pop(&h);

		if ((size_t)(next - 1) >= o->max_nodes ||
		    !o->keep(o->ctx, c.node, next, c.parent)) {
			o->pruned(o->ctx, c.node, c.parent);
			continue;
		}
		offer_children(t, d, g, o, &h, c.node, next);
		next++;
	}
	free(h.v);
	*kept = next - 1;
}
