/* The growth section of the reports (analysis/growth.h), and the lines
 * of --watch. */
#ifndef PYHEAPINSPECT_REPORT_GROWTH_H
#define PYHEAPINSPECT_REPORT_GROWTH_H

#include <stdbool.h>
#include <stdio.h>
#include <yajl/yajl_gen.h>

#include "pyheapinspect/analysis/growth.h"
#include "pyheapinspect/analysis/summary.h"
#include "pyheapinspect/base/error.h"
#include "pyheapinspect/report/report.h"

/* The document's "growth" (null without a baseline). */
void phi_growth_json(yajl_gen g, const struct phi_report *r);

/* The growth section, rows lines per list at most. */
void phi_growth_text(FILE *out, const struct phi_growth *gr, size_t rows);

/* One capture of --watch, compared with the first (or the baseline) and
 * the previous one (both NULL for the first). */
struct phi_watch_step {
	unsigned capture;        /* 1, 2, ... */
	const struct phi_summary *now;
	const struct phi_growth *since_first, *since_previous;
	double pause_ms;
};

/* One line of text, or one JSON document on one line. */
void phi_watch_text(FILE *out, const struct phi_watch_step *w);
int phi_watch_json(FILE *out, const struct phi_watch_step *w,
		   struct phi_error *err);
/* The end of --watch: the full comparison of the last capture with the
 * first (gr NULL when there was only one); reason "count", "interrupted"
 * or "error". */
void phi_watch_end_text(FILE *out, const struct phi_growth *gr,
			unsigned captures, const char *reason, size_t rows);
int phi_watch_end_json(FILE *out, const struct phi_growth *gr,
		       unsigned captures, const char *reason,
		       struct phi_error *err);

#endif
