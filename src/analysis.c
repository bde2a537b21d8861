/* Runs the analyses in dependency order: referrer counts first (sharing,
 * audit, retained sizes and paths need them), then the named objects.
 *
 * In between, two chains that share nothing but read-only inputs (the
 * heap, the graph, the image, the referrer counts) run on two threads:
 * retained sizes then paths on a second thread, sharing, audit and
 * duplicates on the calling one.  Each writes only its own results, so
 * they are the same whatever the schedule; should the thread not start,
 * the calling thread runs its chain too.  The image's segment cache is
 * per thread. */
#include <pthread.h>
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

/* The analyses between the referrer counts and the named objects, in
 * the order that picks the error reported when several fail: the one
 * the sequential order would have met first. */
enum step { S_SHARING, S_AUDIT, S_RETAINED, S_PATHS, S_DUPS, S_NONE };

struct chain {
	struct phi_analysis *a;
	const struct phi_heap *h;
	const struct phi_image *img;
	const struct phi_target *t;
	const struct phi_analysis_opts *o;
	enum step failed;       /* S_NONE if all went well */
	int rc;
	struct phi_error err;
};

static void chain_step(struct chain *c, enum step s, int rc)
{
	if (rc < 0 && c->failed == S_NONE) {
		c->failed = s;
		c->rc = rc;
	}
}

/* Retained sizes (the dominator tree) and paths: graph walks only. */
static void *graph_chain(void *arg)
{
	struct chain *c = arg;
	struct phi_analysis *a = c->a;

	chain_step(c, S_RETAINED,
		   phi_retained(c->h, a->indeg, c->o->top, c->o->suspect_share,
				&a->retained, &c->err));
	if (c->failed == S_NONE)
		chain_step(c, S_PATHS,
			   phi_paths_build(&a->paths, c->h, a->indeg, &c->err));
	return NULL;
}

/* Sharing, audit and duplicates: per-node passes and the image. */
static void value_chain(struct chain *c)
{
	struct phi_analysis *a = c->a;

	chain_step(c, S_SHARING, phi_sharing(c->h, a->indeg, c->o->top,
					     &a->sharing, &c->err));
	if (c->failed == S_NONE)
		chain_step(c, S_AUDIT, phi_audit(c->h, a->indeg, c->o->top,
						 &a->audit, &c->err));
	if (c->failed == S_NONE)
		chain_step(c, S_DUPS, phi_dups_find(&a->dups, c->h, c->img,
						    &c->t->layout, c->o->top,
						    &c->err));
}

/* Both chains, on two threads when one can be started. */
static int run_chains(struct phi_analysis *a, const struct phi_heap *h,
		      const struct phi_image *img, const struct phi_target *t,
		      const struct phi_analysis_opts *o, struct phi_error *err)
{
	struct chain gc = { a, h, img, t, o, S_NONE, 0, { 0 } };
	struct chain vc = gc;
	const struct chain *first;
	pthread_t th;
	bool threaded = pthread_create(&th, NULL, graph_chain, &gc) == 0;

	value_chain(&vc);
	if (threaded)
		pthread_join(th, NULL);
	else
		graph_chain(&gc);
	if (gc.failed == S_NONE && vc.failed == S_NONE)
		return 0;
	first = gc.failed < vc.failed ? &gc : &vc;
	if (err)
		*err = first->err;
	return first->rc;
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
		rc = run_chains(a, h, img, t, o, err);
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
