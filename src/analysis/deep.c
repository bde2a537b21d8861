/* Deep size: what one object holds, each object counted once. */
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/analysis/deep.h"
#include "pyheapinspect/base/bigmem.h"
#include "pyheapinspect/base/sizes.h"

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
	case PHI_K_OPAQUE:
		/* A C type holds what its decoder found (a Future its
		 * result, an Element its children). */
		return true;
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
			out->outside_size = phi_size_add(out->outside_size,
							 phi_graph_size(g, v));
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
				out->sharing_saved =
					phi_size_add(out->sharing_saved,
						     phi_graph_size(g, v));
				continue;
			}
			mark[v] = 1;
			out->size = phi_size_add(out->size,
						 phi_graph_size(g, v));
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
