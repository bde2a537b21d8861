/* Reporters: the text report for people and the JSON document for
 * scripts (schema in docs/schema.md).  Both read the same struct. */
#ifndef PYHEAPINSPECT_REPORT_H
#define PYHEAPINSPECT_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include "pyheapinspect/analysis.h"
#include "pyheapinspect/capture.h"
#include "pyheapinspect/error.h"
#include "pyheapinspect/heap.h"
#include "pyheapinspect/runtime.h"
#include "pyheapinspect/smallints.h"
#include "pyheapinspect/target.h"

/* Bump on any incompatible change of the JSON document or dump. */
#define PHI_SCHEMA_VERSION 1

struct phi_report {
	const struct phi_target *target;
	const struct phi_capture *capture;
	const struct phi_runtime *runtime;
	const struct phi_small_ints *small_ints;
	const struct phi_heap *heap;
	const struct phi_analysis *analysis;
	bool list_small_ints; /* text: print the whole table */
	size_t top;           /* text: rows of the type histogram */
	double layout_ms;     /* time to resolve the layouts (in a thread,
			       * while the warm copy runs) */
	double layout_wait_ms; /* of which the run waited for at the join */
	double t0;            /* when the run began (CLOCK_MONOTONIC ms) */
	double total_ms;      /* from t0 to the report */
};

int phi_report_text(FILE *out, const struct phi_report *r,
		    struct phi_error *err);
int phi_report_json(FILE *out, const struct phi_report *r,
		    struct phi_error *err);

#endif
