/* Referrer counts, deep size, sharing and the refcount audit. */
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/analyze.h"
#include "pyheapinspect/bigmem.h"

int phi_indegree(const struct phi_graph *g, uint32_t **out,
		 struct phi_error *err)
{
	uint32_t *in = phi_big_calloc(g->n ? g->n : 1, sizeof(*in));

	*out = NULL;
	if (!in)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	for (uint64_t e = 0; e < g->nedges; e++)
		if (!(g->edges[e] & PHI_EDGE_FLAGS) &&
		    in[g->edges[e]] < UINT32_MAX)
			in[g->edges[e]]++;
	*out = in;
	return 0;
}

static enum phi_kind kind_of(const struct phi_heap *h, uint32_t i)
{
	return h->types.v[h->g.type[i]].kind;
}

/* Objects the deep size never enters: program structure, not data. */
static bool excluded(enum phi_kind k)
{
	return k == PHI_K_TYPE || k == PHI_K_MODULE || k == PHI_K_FUNCTION ||
	       k == PHI_K_CODE || k == PHI_K_FRAME;
}

/* Objects whose references the deep size follows: containers, and
 * instances of classes (their __dict__ and __slots__). */
static bool expands(const struct phi_heap *h, uint32_t i)
{
	const struct phi_type *t = &h->types.v[h->g.type[i]];

	switch (t->kind) {
	case PHI_K_DICT:
	case PHI_K_ODICT:
	case PHI_K_DEFDICT:
	case PHI_K_LIST:
	case PHI_K_TUPLE:
	case PHI_K_SET:
	case PHI_K_FROZENSET:
	case PHI_K_DEQUE:
	case PHI_K_INSTANCE:
		return true;
	case PHI_K_STR:
	case PHI_K_BYTES:
		return false;
	default:
		return t->heap;
	}
}

/* The deep set, in visiting order: each node enters once (it is marked
 * first), so g->n entries always suffice and a push cannot fail.  In
 * huge pages, like the other scratch arrays, and touched only as far as
 * the set goes. */
struct queue {
	uint32_t *v;
	size_t n;
};

/* Referenced from outside the deep set: counted references from members
 * subtracted from all counted references. */
static int outside_refs(const struct phi_heap *h, const struct queue *set,
			const uint32_t *indeg, const uint8_t *mark,
			struct phi_deep *out)
{
	const struct phi_graph *g = &h->g;
	uint32_t *inside = phi_big_calloc(g->n ? g->n : 1, sizeof(*inside));

	if (!inside)
		return -1;
	for (size_t k = 0; k < set->n; k++)
		for (uint64_t e = g->edge_start[set->v[k]];
		     e < g->edge_start[set->v[k] + 1]; e++)
			if (!(g->edges[e] & PHI_EDGE_FLAGS) &&
			    mark[g->edges[e]])
				inside[g->edges[e]]++;
	for (size_t k = 1; k < set->n; k++) {
		uint32_t v = set->v[k];

		if (indeg[v] > inside[v]) {
			out->outside_objects++;
			out->outside_size += phi_graph_size(g, v);
		}
	}
	phi_big_free(inside);
	return 0;
}

int phi_deep_size(const struct phi_heap *h, uint32_t node,
		  const uint32_t *indeg, uint8_t *mark, struct phi_deep *out,
		  struct phi_error *err)
{
	const struct phi_graph *g = &h->g;
	struct queue q = { 0 };
	int rc = 0;

	memset(out, 0, sizeof(*out));
	q.v = phi_big_calloc(g->n ? g->n : 1, sizeof(*q.v));
	if (!q.v)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	q.v[q.n++] = node;
	mark[node] = 1;
	out->size = phi_graph_size(g, node);
	out->objects = 1;
	/* Breadth-first over the queue, which is also the deep set. */
	for (size_t k = 0; k < q.n; k++) {
		uint32_t u = q.v[k];

		if (!expands(h, u))
			continue;
		for (uint64_t e = g->edge_start[u]; e < g->edge_start[u + 1];
		     e++) {
			uint32_t v = PHI_EDGE_NODE(g->edges[e]);

			if ((g->edges[e] & PHI_EDGE_WEAK) ||
			    excluded(kind_of(h, v)))
				continue;
			out->references++;
			if (mark[v]) {
				out->shared_refs++;
				out->sharing_saved += phi_graph_size(g, v);
				continue;
			}
			mark[v] = 1;
			out->size += phi_graph_size(g, v);
			out->objects++;
			q.v[q.n++] = v;
		}
	}
	if (indeg && outside_refs(h, &q, indeg, mark, out) < 0)
		rc = -1;
	for (size_t k = 0; k < q.n; k++)
		mark[q.v[k]] = 0;
	phi_big_free(q.v);
	if (rc < 0)
		return phi_error_set(err, PHI_E_NO_MEMORY,
				     "out of memory computing a deep size");
	return 0;
}

/* The `top` nodes by key, largest first (equal keys: lower node first),
 * kept in a bounded min-heap while the caller offers every candidate:
 * O(n log top), and no array per node.  Keys are 32-bit (referrer
 * counts) or 64-bit (retained sizes). */
struct topn {
	const uint32_t *k32;
	const uint64_t *k64;
	uint32_t *h;
	size_t n, top;
};

static uint64_t key_of(const struct topn *t, uint32_t i)
{
	return t->k64 ? t->k64[i] : t->k32[i];
}

static bool before(const struct topn *t, uint32_t a, uint32_t b)
{
	uint64_t ka = key_of(t, a), kb = key_of(t, b);

	return ka != kb ? ka > kb : a < b;
}

/* Restore the min-heap (the weakest of the kept nodes at the top). */
static void sift_down(const struct topn *t, size_t n, size_t i)
{
	uint32_t *h = t->h;

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		uint32_t x;

		if (l < n && before(t, h[m], h[l]))
			m = l;
		if (r < n && before(t, h[m], h[r]))
			m = r;
		if (m == i)
			return;
		x = h[i];
		h[i] = h[m];
		h[m] = x;
		i = m;
	}
}

static int topn_init(struct topn *t, const uint32_t *k32,
		     const uint64_t *k64, size_t top)
{
	*t = (struct topn){ k32, k64, NULL, 0, top };
	t->h = malloc((top ? top : 1) * sizeof(*t->h));
	return t->h ? 0 : -1;
}

/* Candidates may come in any order: ties are broken by node. */
static void topn_offer(struct topn *t, uint32_t i)
{
	if (t->n < t->top) {
		t->h[t->n++] = i;
		if (t->n == t->top)
			for (size_t k = t->n / 2; k-- > 0;)
				sift_down(t, t->n, k);
	} else if (t->top && before(t, i, t->h[0])) {
		t->h[0] = i;
		sift_down(t, t->n, 0);
	}
}

/* The kept nodes, largest first, in an array the caller frees. */
static uint32_t *topn_finish(struct topn *t, size_t *nout)
{
	size_t n = t->n;

	if (n < t->top)
		for (size_t k = n / 2; k-- > 0;)
			sift_down(t, n, k);
	/* Pop the weakest to the end: largest first. */
	for (size_t end = n; end > 1; end--) {
		uint32_t x = t->h[0];

		t->h[0] = t->h[end - 1];
		t->h[end - 1] = x;
		sift_down(t, end - 1, 0);
	}
	*nout = n;
	return t->h;
}

int phi_sharing(const struct phi_heap *h, const uint32_t *indeg, size_t top,
		struct phi_sharing *out, struct phi_error *err)
{
	const struct phi_graph *g = &h->g;
	struct topn tn;
	uint32_t *best;

	memset(out, 0, sizeof(*out));
	if (topn_init(&tn, indeg, NULL, top) < 0)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	for (uint32_t i = 0; i < g->n; i++) {
		if (indeg[i] > 1) {
			topn_offer(&tn, i);
			out->objects++;
			out->size += phi_graph_size(g, i);
		}
	}
	best = topn_finish(&tn, &out->ntop);
	out->top = calloc(out->ntop ? out->ntop : 1, sizeof(*out->top));
	if (!out->top) {
		free(best);
		out->ntop = 0;
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	}
	for (size_t k = 0; k < out->ntop; k++)
		out->top[k] =
			(struct phi_shared_obj){ best[k], indeg[best[k]] };
	free(best);
	return 0;
}

void phi_sharing_release(struct phi_sharing *s)
{
	free(s->top);
	memset(s, 0, sizeof(*s));
}

int phi_audit(const struct phi_heap *h, const uint32_t *indeg, size_t top,
	      struct phi_audit *out, struct phi_error *err)
{
	const struct phi_graph *g = &h->g;

	memset(out, 0, sizeof(*out));
	out->low_top = calloc(top ? top : 1, sizeof(*out->low_top));
	if (!out->low_top)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	for (uint32_t i = 0; i < g->n; i++) {
		if ((uint64_t)phi_graph_refcnt(g, i) < indeg[i]) {
			if (out->nlow_top < top)
				out->low_top[out->nlow_top++] =
					(struct phi_audit_obj){ i, indeg[i] };
			out->low++;
		} else if ((uint64_t)phi_graph_refcnt(g, i) > indeg[i]) {
			out->external++;
			out->external_size += phi_graph_size(g, i);
		}
	}
	return 0;
}

void phi_audit_release(struct phi_audit *a)
{
	free(a->low_top);
	memset(a, 0, sizeof(*a));
}

/* Nodes held from outside the heap (refcount above the counted
 * references) that no interpreter root holds: roots of the dominator
 * tree besides h->roots.  Counted first so that the array is exact
 * (a few thousand in a heap of millions). */
static uint32_t *collect_roots(const struct phi_heap *h, const uint32_t *indeg,
			       size_t *nout)
{
	const struct phi_graph *g = &h->g;
	size_t n = h->nroots;
	uint32_t *roots;

	for (uint32_t i = 0; i < g->n; i++)
		if ((uint64_t)phi_graph_refcnt(g, i) > indeg[i] &&
		    !(g->flags[i] & PHI_NODE_ROOT))
			n++;
	roots = malloc((n ? n : 1) * sizeof(*roots));
	if (!roots)
		return NULL;
	n = 0;
	for (size_t k = 0; k < h->nroots; k++)
		roots[n++] = h->roots[k].node;
	for (uint32_t i = 0; i < g->n; i++)
		if ((uint64_t)phi_graph_refcnt(g, i) > indeg[i] &&
		    !(g->flags[i] & PHI_NODE_ROOT))
			roots[n++] = i;
	*nout = n;
	return roots;
}

int phi_retained(const struct phi_heap *h, const uint32_t *indeg,
		 size_t top, double threshold, struct phi_retained *out,
		 struct phi_error *err)
{
	const struct phi_graph *g = &h->g;
	size_t nroots = 0;
	uint32_t *roots = collect_roots(h, indeg, &nroots);
	struct topn tn;
	int rc;

	memset(out, 0, sizeof(*out));
	out->threshold = threshold;
	if (!roots)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	out->roots = nroots;
	rc = phi_dominators_compute(&out->dom, g, roots, nroots, err);
	free(roots);
	if (rc < 0)
		return rc;
	if (topn_init(&tn, NULL, out->dom.retained, top) < 0)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	for (uint32_t i = 0; i < g->n; i++)
		if (out->dom.idom[i] != PHI_NONE)
			topn_offer(&tn, i);
	out->top = topn_finish(&tn, &out->ntop);
	while (out->nsuspects < out->ntop &&
	       (double)out->dom.retained[out->top[out->nsuspects]] >
		       threshold * (double)out->dom.reachable_size)
		out->nsuspects++;
	return 0;
}

void phi_retained_release(struct phi_retained *r)
{
	phi_dominators_release(&r->dom);
	free(r->top);
	memset(r, 0, sizeof(*r));
}
