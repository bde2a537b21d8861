/* Runs the analyses in dependency order: referrer counts first (sharing,
 * audit, retained sizes and paths need them), then the named objects. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pyheapinspect/analysis.h"
#include "pyheapinspect/expr.h"
#include "pyheapinspect/scratch.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int resolve_named(struct phi_analysis *a, const struct phi_heap *h,
			 const struct phi_image *img,
			 const struct phi_target *t,
			 const struct phi_runtime *rt,
			 const struct phi_analysis_opts *o,
			 struct phi_error *err)
{
	size_t n = o->nobjects + o->nexprs;

	a->named = calloc(n ? n : 1, sizeof(*a->named));
	if (!a->named)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < o->nobjects; i++) {
		struct phi_named *nm = &a->named[a->nnamed];
		int rc = phi_address_resolve(h, o->objects[i], &nm->node, err);

		if (rc < 0)
			return rc;
		nm->spec = o->objects[i];
		a->nnamed++;
	}
	for (size_t i = 0; i < o->nexprs; i++) {
		struct phi_named *nm = &a->named[a->nnamed];
		int rc = phi_expr_resolve(h, img, t, rt, o->exprs[i], &nm->node,
					  err);

		if (rc < 0)
			return rc;
		nm->spec = o->exprs[i];
		a->nnamed++;
	}
	return 0;
}

static int measure_named(struct phi_analysis *a, const struct phi_heap *h,
			 const struct phi_image *img,
			 const struct phi_target *t, struct phi_error *err)
{
	uint8_t *mark = phi_scratch_calloc(h->g.n ? h->g.n : 1, 1);
	int rc = 0;

	if (!mark)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < a->nnamed && rc == 0; i++) {
		struct phi_named *nm = &a->named[i];

		rc = phi_deep_size(h, nm->node, a->indeg, mark, &nm->deep,
				   err);
		nm->retained = a->retained.dom.retained[nm->node];
		phi_path_text(&a->paths, h, img, t, nm->node, nm->path,
			      sizeof(nm->path));
	}
	phi_scratch_free(mark);
	return rc;
}

int phi_analysis_run(struct phi_analysis *a, const struct phi_heap *h,
		     const struct phi_image *img, const struct phi_target *t,
		     const struct phi_runtime *rt,
		     const struct phi_analysis_opts *o, struct phi_error *err)
{
	double t0 = now_ms();
	int rc;

	memset(a, 0, sizeof(*a));
	/* Names first: a typo fails before any long computation. */
	rc = resolve_named(a, h, img, t, rt, o, err);
	if (rc == 0)
		rc = phi_indegree(&h->g, &a->indeg, err);
	if (rc == 0)
		rc = phi_sharing(h, a->indeg, o->top, &a->sharing, err);
	if (rc == 0)
		rc = phi_audit(h, a->indeg, o->top, &a->audit, err);
	if (rc == 0)
		rc = phi_retained(h, a->indeg, o->top, o->suspect_share,
				  &a->retained, err);
	if (rc == 0)
		rc = phi_paths_build(&a->paths, h, a->indeg, err);
	if (rc == 0)
		rc = phi_dups_find(&a->dups, h, img, &t->layout, o->top, err);
	if (rc == 0)
		rc = measure_named(a, h, img, t, err);
	a->ms = now_ms() - t0;
	return rc;
}

void phi_analysis_release(struct phi_analysis *a)
{
	phi_scratch_free(a->indeg);
	free(a->named);
	phi_sharing_release(&a->sharing);
	phi_audit_release(&a->audit);
	phi_retained_release(&a->retained);
	phi_dups_release(&a->dups);
	phi_paths_release(&a->paths);
	memset(a, 0, sizeof(*a));
}
