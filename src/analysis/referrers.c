/* Referrer counts, sharing across the heap, and the refcount audit. */
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/analysis/referrers.h"
#include "pyheapinspect/analysis/topn.h"
#include "pyheapinspect/base/bigmem.h"
#include "pyheapinspect/base/sizes.h"

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

int phi_sharing(const struct phi_heap *h, const uint32_t *indeg, size_t top,
		struct phi_sharing *out, struct phi_error *err)
{
	const struct phi_graph *g = &h->g;
	struct phi_topn tn;
	uint32_t *best;

	memset(out, 0, sizeof(*out));
	if (phi_topn_init(&tn, indeg, NULL, top) < 0)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	for (uint32_t i = 0; i < g->n; i++) {
		if (indeg[i] > 1) {
			phi_topn_offer(&tn, i);
			out->objects++;
			out->size = phi_size_add(out->size,
						 phi_graph_size(g, i));
		}
	}
	best = phi_topn_finish(&tn, &out->ntop);
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
			out->external_size = phi_size_add(out->external_size,
							  phi_graph_size(g, i));
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
