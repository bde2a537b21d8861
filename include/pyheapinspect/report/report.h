/* What every reporter reads: one struct holding the run's results.  Its
 * readers are text.c (the text report for people) and json.c (the JSON
 * document for scripts, docs/schema.md); this header has no .c of its
 * own. */
#ifndef PYHEAPINSPECT_REPORT_H
#define PYHEAPINSPECT_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "pyheapinspect/analysis/analysis.h"
#include "pyheapinspect/analysis/memory.h"
#include "pyheapinspect/analysis/growth.h"
#include "pyheapinspect/base/error.h"
#include "pyheapinspect/base/gaps.h"
#include "pyheapinspect/cpython/heap.h"
#include "pyheapinspect/cpython/python.h"
#include "pyheapinspect/cpython/traces.h"
#include "pyheapinspect/source/source.h"

/* Bump on any incompatible change of the JSON document or dump. */
#define PHI_SCHEMA_VERSION 1

struct phi_report {
	pid_t pid;
	const struct phi_python *python;
	const struct phi_capture *capture;
	const struct phi_runtime *runtime;
	const struct phi_small_ints *small_ints;
	const struct phi_heap *heap;
	const struct phi_analysis *analysis;
	const struct phi_memory *memory; /* the memory section, or NULL */
	const struct phi_growth *growth; /* against --baseline, or NULL */
	bool list_small_ints; /* text: print the whole table */
	const struct phi_traces *traces; /* tracemalloc's, or NULL */
	int sites;            /* --sites: 1 by line, 2 by traceback */
	size_t top;           /* text: rows of the type histogram */
	double layout_ms;     /* time to resolve the layouts (in a thread,
			       * while the warm copy runs) */
	double layout_wait_ms; /* of which the run waited for at the join */
	double t0;            /* when the run began (CLOCK_MONOTONIC ms) */
	double total_ms;      /* from t0 to the report */
	const char *memory_from; /* where the memory budget came from */
	time_t captured_at;   /* wall clock of the capture, 0 if unknown
			       * (a snapshot does not record it) */
	bool from_snapshot;   /* the capture was loaded from a snapshot */
};

/* Gaps of the whole run (capture, interpreter, heap): a report with
 * any is incomplete. */
static inline size_t phi_report_gaps(const struct phi_report *r)
{
	return phi_gaps_count(&r->capture->gaps) +
	       phi_gaps_count(&r->python->gaps) +
	       (r->heap ? phi_gaps_count(&r->heap->gaps) : 0);
}

#endif
