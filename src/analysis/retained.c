/* Retained sizes (the dominator tree) and the largest retainers. */
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/analysis/retained.h"
#include "pyheapinspect/analysis/topn.h"
#include "pyheapinspect/base/bigmem.h"

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
		 size_t top, double threshold,
		 const struct phi_node_sizes *sizes,
		 struct phi_retained *out, struct phi_error *err)
{
	const struct phi_graph *g = &h->g;
	size_t nroots = 0;
	uint32_t *roots = collect_roots(h, indeg, &nroots);
	struct phi_topn tn;
	int rc;

	memset(out, 0, sizeof(*out));
	out->threshold = threshold;
	if (!roots)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	out->roots = nroots;
	rc = phi_dominators_compute_sized(&out->dom, g, roots, nroots, sizes,
					  err);
	free(roots);
	if (rc < 0)
		return rc;
	if (phi_topn_init(&tn, NULL, out->dom.retained, top) < 0)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	for (uint32_t i = 0; i < g->n; i++)
		if (out->dom.idom[i] != PHI_NONE)
			phi_topn_offer(&tn, i);
	out->top = phi_topn_finish(&tn, &out->ntop);
	return 0;
}

void phi_retained_release(struct phi_retained *r)
{
	phi_dominators_release(&r->dom);
	free(r->top);
	memset(r, 0, sizeof(*r));
}
