/* Runs the analyses in dependency order: referrer counts first (sharing,
 * audit, retained sizes and paths need them), the leak suspects from the
 * retained sizes, then the named objects.
 *
 * Duplicate detection and the collections' fill need none of the others
 * and read only the heap (and, through the CPython layer, the image),
 * all read-only by now: they run on a second thread while the calling
 * one does everything else (about as long, at 10^6 objects).  Each writes only its own results, so they are the same
 * whatever the schedule; should the thread not start, the calling thread
 * finds the duplicates itself.  The image's segment cache is per
 * thread. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pyheapinspect/base/clock.h"
#include "pyheapinspect/analysis/analysis.h"
#include "pyheapinspect/base/bigmem.h"
#include "pyheapinspect/base/progress.h"

static int resolve_named(struct phi_analysis *a, const struct phi_heap *h,
			 const struct phi_analysis_opts *o,
			 struct phi_error *err)
{
	size_t n = o->nobjects + o->nexprs;

	a->named = calloc(n ? n : 1, sizeof(*a->named));
	if (!a->named)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < o->nobjects; i++) {
		struct phi_named *nm = &a->named[a->nnamed];
		int rc = phi_heap_resolve_address(h, o->objects[i], &nm->node,
						  err);

		if (rc < 0)
			return rc;
		nm->spec = o->objects[i];
		a->nnamed++;
	}
	for (size_t i = 0; i < o->nexprs; i++) {
		struct phi_named *nm = &a->named[a->nnamed];
		int rc = phi_heap_resolve(h, o->exprs[i], &nm->node, err);

		if (rc < 0)
			return rc;
		nm->spec = o->exprs[i];
		a->nnamed++;
	}
	return 0;
}

static int measure_named(struct phi_analysis *a, const struct phi_heap *h,
			 struct phi_error *err)
{
	uint8_t *mark = phi_big_calloc(h->g.n ? h->g.n : 1, 1);
	int rc = 0;

	if (!mark)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < a->nnamed && rc == 0; i++) {
		struct phi_named *nm = &a->named[i];

		rc = phi_deep_size(h, nm->node, a->indeg, mark, &nm->deep,
				   err);
		nm->retained = a->retained.dom.retained[nm->node];
		phi_path_text(&a->paths, h, nm->node, nm->path,
			      sizeof(nm->path));
	}
	phi_big_free(mark);
	return rc;
}

/* Allocation sites, and the retained set of every named object and
 * leak suspect by site. */
static int sites(struct phi_analysis *a, const struct phi_heap *h,
		 const struct phi_analysis_opts *o, struct phi_error *err)
{
	uint32_t *named = calloc(a->nnamed + 1, sizeof(*named));
	uint32_t *suspects = calloc(a->suspects.n + 1, sizeof(*suspects));
	struct phi_sites_opts so = {
		.by_traceback = o->sites_by_traceback, .named = named,
		.nnamed = a->nnamed, .suspects = suspects,
		.nsuspects = a->suspects.n, .top = o->top,
	};
	int rc = 0;

	if (!named || !suspects)
		rc = phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	for (size_t i = 0; rc == 0 && i < a->nnamed; i++)
		named[i] = a->named[i].node;
	for (size_t i = 0; rc == 0 && i < a->suspects.n; i++)
		suspects[i] = a->suspects.v[i].node;
	if (rc == 0)
		rc = phi_sites_compute(&a->sites, h, o->traces,
				       &a->retained.dom, &so, err);
	free(named);
	free(suspects);
	return rc;
}

/* The analyses in the order that picks the error reported when several
 * fail: the one the sequential order would have met first. */
enum step {
	S_NAMES, S_INDEG, S_SHARING, S_AUDIT, S_RETAINED, S_SUSPECTS, S_PATHS,
	S_INTERPS, S_DUPS, S_FILL, S_MEASURE, S_SITES, S_NONE
};

struct chain {
	struct phi_analysis *a;
	const struct phi_heap *h;
	const struct phi_analysis_opts *o;
	enum step failed;       /* S_NONE if all went well */
	int rc;
	struct phi_error err;
};

/* Records step s's result; false once a step of the chain has failed. */
static bool ok(struct chain *c, enum step s, int rc)
{
	if (rc < 0 && c->failed == S_NONE) {
		c->failed = s;
		c->rc = rc;
	}
	return c->failed == S_NONE;
}

static void *dups_chain(void *arg)
{
	struct chain *c = arg;

	if (ok(c, S_DUPS, phi_dups_find(&c->a->dups, c->h, c->o->dups_key,
					c->o->top, &c->err)))
		ok(c, S_FILL, phi_fill_find(&c->a->fill, c->h, c->o->top,
					    &c->err));
	return NULL;
}

/* Everything but the duplicates, in dependency order; each step named
 * on the progress line (this is the main thread). */
static void graph_chain(struct chain *c)
{
	struct phi_analysis *a = c->a;
	const struct phi_heap *h = c->h;
	const struct phi_analysis_opts *o = c->o;

	phi_progress_begin("analysing: referrers", PHI_PROGRESS_COUNT, NULL);
	if (!ok(c, S_INDEG, phi_indegree(&h->g, &a->indeg, &c->err)))
		return;
	phi_progress_begin("analysing: sharing", PHI_PROGRESS_COUNT, NULL);
	if (!ok(c, S_SHARING, phi_sharing(h, a->indeg, o->top, &a->sharing,
					  &c->err)))
		return;
	phi_progress_begin("analysing: refcount audit", PHI_PROGRESS_COUNT,
			   NULL);
	if (!ok(c, S_AUDIT, phi_audit(h, a->indeg, o->top, &a->audit,
				      &c->err)))
		return;
	/* Counted in steps: a search, then a pass, over every object. */
	phi_progress_begin("analysing: dominators", PHI_PROGRESS_COUNT,
			   "steps");
	if (!ok(c, S_RETAINED, phi_retained(h, a->indeg, o->top,
					    o->suspect_share, o->retained_sizes,
					    &a->retained, &c->err)))
		return;
	phi_progress_begin("analysing: leak suspects", PHI_PROGRESS_COUNT,
			   NULL);
	if (!ok(c, S_SUSPECTS, phi_suspects_find(&a->suspects, h,
						 &a->retained.dom,
						 o->suspect_share, o->top,
						 &c->err)))
		return;
	phi_progress_begin("analysing: paths to roots", PHI_PROGRESS_COUNT,
			   "objects");
	if (!ok(c, S_PATHS, phi_paths_build(&a->paths, h, a->indeg,
					    &c->err)))
		return;
	phi_progress_begin("analysing: interpreters", PHI_PROGRESS_COUNT,
			   NULL);
	if (!ok(c, S_INTERPS, phi_interps_compute(&a->interps, h, &a->paths,
						  o->retained_sizes,
						  &c->err)))
		return;
	phi_progress_begin("analysing: named objects", PHI_PROGRESS_COUNT,
			   NULL);
	if (!ok(c, S_MEASURE, measure_named(a, h, &c->err)))
		return;
	phi_progress_begin("analysing: allocation sites", PHI_PROGRESS_COUNT,
			   NULL);
	ok(c, S_SITES, sites(a, h, o, &c->err));
}

/* With every signal blocked, so that they reach the main thread, where
 * the handlers expect to run. */
static bool start_thread(pthread_t *th, struct chain *dc)
{
	sigset_t all, old;
	bool ok;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ok = pthread_create(th, NULL, dups_chain, dc) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ok;
}

int phi_analysis_run(struct phi_analysis *a, const struct phi_heap *h,
		     const struct phi_analysis_opts *o, struct phi_error *err)
{
	double t0 = phi_now_ms();
	struct chain gc = { a, h, o, S_NONE, 0, { 0 } };
	struct chain dc = gc;
	const struct chain *first;
	pthread_t th;
	bool threaded;

	memset(a, 0, sizeof(*a));
	/* Names first: a typo fails before any long computation. */
	if (!ok(&gc, S_NAMES, resolve_named(a, h, o, &gc.err)))
		goto out;
	threaded = start_thread(&th, &dc);
	graph_chain(&gc);
	phi_progress_begin("analysing: duplicates", PHI_PROGRESS_COUNT, NULL);
	if (threaded)
		pthread_join(th, NULL);
	else
		dups_chain(&dc);
	phi_progress_end();
out:
	a->ms = phi_now_ms() - t0;
	if (gc.failed == S_NONE && dc.failed == S_NONE)
		return 0;
	first = gc.failed < dc.failed ? &gc : &dc;
	if (err)
		*err = first->err;
	return first->rc;
}

void phi_analysis_release(struct phi_analysis *a)
{
	phi_big_free(a->indeg);
	free(a->named);
	phi_sharing_release(&a->sharing);
	phi_audit_release(&a->audit);
	phi_retained_release(&a->retained);
	phi_suspects_release(&a->suspects);
	phi_dups_release(&a->dups);
	phi_fill_release(&a->fill);
	phi_paths_release(&a->paths);
	phi_sites_release(&a->sites);
	memset(a, 0, sizeof(*a));
}
