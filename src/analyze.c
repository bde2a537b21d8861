/* Referrer counts, deep size, sharing and the refcount audit. */
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/analyze.h"
#include "pyheapinspect/scratch.h"

int phi_indegree(const struct phi_graph *g, uint32_t **out,
		 struct phi_error *err)
{
	uint32_t *in = phi_scratch_calloc(g->n ? g->n : 1, sizeof(*in));

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

struct queue {
	uint32_t *v;
	size_t n, cap;
};

static int push(struct queue *q, uint32_t x)
{
	if (q->n == q->cap) {
		size_t ncap = q->cap ? q->cap * 2 : 1024;
		uint32_t *p = realloc(q->v, ncap * sizeof(*p));

		if (!p)
			return -1;
		q->v = p;
		q->cap = ncap;
	}
	q->v[q->n++] = x;
	return 0;
}

/* Referenced from outside the deep set: counted references from members
 * subtracted from all counted references. */
static int outside_refs(const struct phi_heap *h, const struct queue *set,
			const uint32_t *indeg, const uint8_t *mark,
			struct phi_deep *out)
{
	const struct phi_graph *g = &h->g;
	uint32_t *inside = phi_scratch_calloc(g->n ? g->n : 1, sizeof(*inside));

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
	phi_scratch_free(inside);
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
	if (push(&q, node) < 0)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	mark[node] = 1;
	out->size = phi_graph_size(g, node);
	out->objects = 1;
	/* Breadth-first over the queue, which is also the deep set. */
	for (size_t k = 0; k < q.n && rc == 0; k++) {
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
			if (push(&q, v) < 0) {
				rc = -1;
				break;
			}
		}
	}
	if (rc == 0 && indeg && outside_refs(h, &q, indeg, mark, out) < 0)
		rc = -1;
	for (size_t k = 0; k < q.n; k++)
		mark[q.v[k]] = 0;
	free(q.v);
	if (rc < 0)
		return phi_error_set(err, PHI_E_NO_MEMORY,
				     "out of memory computing a deep size");
	return 0;
}

/* Larger key first; equal keys by lower node. */
static bool before(const uint64_t *key, uint32_t a, uint32_t b)
{
	return key[a] != key[b] ? key[a] > key[b] : a < b;
}

/* Restore the min-heap (the weakest of the kept nodes at the top). */
static void sift_down(const uint64_t *key, uint32_t *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		uint32_t t;

		if (l < n && before(key, h[m], h[l]))
			m = l;
		if (r < n && before(key, h[m], h[r]))
			m = r;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/* The `top` nodes of cand by key, largest first, in a new array: a
 * bounded heap, O(n log top), instead of sorting every candidate. */
static uint32_t *top_by(const uint64_t *key, const uint32_t *cand,
			size_t ncand, size_t top, size_t *nout)
{
	size_t n = 0;
	uint32_t *h = malloc((top ? top : 1) * sizeof(*h));

	*nout = 0;
	if (!h)
		return NULL;
	for (size_t i = 0; i < ncand && top; i++) {
		if (n < top) {
			h[n++] = cand[i];
			if (n == top)
				for (size_t k = n / 2; k-- > 0;)
					sift_down(key, h, n, k);
		} else if (before(key, cand[i], h[0])) {
			h[0] = cand[i];
			sift_down(key, h, n, 0);
		}
	}
	if (n < top)
		for (size_t k = n / 2; k-- > 0;)
			sift_down(key, h, n, k);
	/* Pop the weakest to the end: largest first. */
	for (size_t end = n; end > 1; end--) {
		uint32_t t = h[0];

		h[0] = h[end - 1];
		h[end - 1] = t;
		sift_down(key, h, end - 1, 0);
	}
	*nout = n;
	return h;
}

int phi_sharing(const struct phi_heap *h, const uint32_t *indeg, size_t top,
		struct phi_sharing *out, struct phi_error *err)
{
	const struct phi_graph *g = &h->g;
	uint32_t *cand = phi_scratch_calloc(g->n ? g->n : 1, sizeof(*cand));
	uint64_t *key = phi_scratch_calloc(g->n ? g->n : 1, sizeof(*key));
	uint32_t *best = NULL;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (!cand || !key)
		goto oom;
	for (uint32_t i = 0; i < g->n; i++) {
		key[i] = indeg[i];
		if (indeg[i] > 1) {
			cand[n++] = i;
			out->objects++;
			out->size += phi_graph_size(g, i);
		}
	}
	best = top_by(key, cand, n, top, &out->ntop);
	if (!best)
		goto oom;
	out->top = calloc(out->ntop ? out->ntop : 1, sizeof(*out->top));
	if (!out->top)
		goto oom;
	for (size_t k = 0; k < out->ntop; k++)
		out->top[k] = (struct phi_shared_obj){ best[k], indeg[best[k]] };
	free(best);
	phi_scratch_free(cand);
	phi_scratch_free(key);
	return 0;
oom:
	free(best);
	phi_scratch_free(cand);
	phi_scratch_free(key);
	return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
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

int phi_retained(const struct phi_heap *h, const uint32_t *indeg,
		 size_t top, double threshold, struct phi_retained *out,
		 struct phi_error *err)
{
	const struct phi_graph *g = &h->g;
	uint32_t *roots = phi_scratch_calloc(g->n + h->nroots + 1, sizeof(*roots));
	uint32_t *cand = NULL;
	size_t nroots = 0, n = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	out->threshold = threshold;
	if (!roots)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	for (size_t k = 0; k < h->nroots; k++)
		roots[nroots++] = h->roots[k].node;
	for (uint32_t i = 0; i < g->n; i++)
		if ((uint64_t)phi_graph_refcnt(g, i) > indeg[i] &&
		    !(g->flags[i] & PHI_NODE_ROOT))
			roots[nroots++] = i;
	out->roots = nroots;
	rc = phi_dominators_compute(&out->dom, g, roots, nroots, err);
	phi_scratch_free(roots);
	if (rc < 0)
		return rc;
	cand = phi_scratch_calloc(g->n ? g->n : 1, sizeof(*cand));
	if (!cand)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	for (uint32_t i = 0; i < g->n; i++)
		if (out->dom.idom[i] != PHI_NONE)
			cand[n++] = i;
	out->top = top_by(out->dom.retained, cand, n, top, &out->ntop);
	phi_scratch_free(cand);
	if (!out->top)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
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
