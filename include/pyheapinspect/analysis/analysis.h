/* All analyses of one run, computed once and read by the reporters. */
#ifndef PYHEAPINSPECT_ANALYSIS_H
#define PYHEAPINSPECT_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/analysis/deep.h"
#include "pyheapinspect/analysis/dups.h"
#include "pyheapinspect/analysis/fill.h"
#include "pyheapinspect/analysis/interps.h"
#include "pyheapinspect/analysis/paths.h"
#include "pyheapinspect/analysis/referrers.h"
#include "pyheapinspect/analysis/retained.h"
#include "pyheapinspect/analysis/suspects.h"
#include "pyheapinspect/analysis/sites.h"
#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/heap.h"

/* An object the user named with --object or --expr. */
struct phi_named {
	const char *spec;       /* the expression, or the address given */
	uint32_t node;
	struct phi_deep deep;
	uint64_t retained;
	char path[PHI_PATH_MAX];
};

struct phi_analysis_opts {
	const char *const *objects; /* --object values */
	size_t nobjects;
	const char *const *exprs;   /* --expr values */
	size_t nexprs;
	size_t top;                 /* rows of each top-N list */
	double suspect_share;       /* the suspects' walks start from objects
				     * retaining more than this share */
	uint64_t dups_key;          /* the duplicates' hash key (random per
				     * run) */
	const struct phi_node_sizes *retained_sizes; /* per node, for the retained sizes
					 * (NULL: sys.getsizeof) */
	const struct phi_traces *traces; /* tracemalloc's, or NULL */
	bool sites_by_traceback;    /* statistics("traceback") too */
};

struct phi_analysis {
	uint32_t *indeg;
	struct phi_named *named;
	size_t nnamed;
	struct phi_sharing sharing;
	struct phi_audit audit;
	struct phi_retained retained;
	struct phi_suspects suspects;
	struct phi_dups dups;
	struct phi_fill_report fill;
	struct phi_paths paths;
	struct phi_interps interps; /* the heap by interpreter */
	struct phi_sites sites;     /* allocation sites (tracemalloc) */
	double ms;
};

int phi_analysis_run(struct phi_analysis *a, const struct phi_heap *h,
		     const struct phi_analysis_opts *o, struct phi_error *err);
void phi_analysis_release(struct phi_analysis *a);

#endif
