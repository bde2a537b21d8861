/* The capture summary's file (analysis/summary.h for what it holds,
 * docs/schema.md for the format): one JSON document on one line,
 * written and read back here, so that the format lives in one place.
 * A summary read from a file is untrusted: every value is checked. */
#ifndef PYHEAPINSPECT_REPORT_SUMMARY_H
#define PYHEAPINSPECT_REPORT_SUMMARY_H

#include <stdbool.h>
#include <stdio.h>

#include "pyheapinspect/analysis/summary.h"
#include "pyheapinspect/base/error.h"

/* Largest summary file read. */
#define PHI_SUMMARY_MAX_FILE (32u << 20)

int phi_summary_write(FILE *out, const struct phi_summary *s,
		      struct phi_error *err);
/* To path.tmp, then renamed over path: a reader never sees half a
 * file. */
int phi_summary_save(const char *path, const struct phi_summary *s,
		     struct phi_error *err);
int phi_summary_load(const char *path, struct phi_summary *s,
		     struct phi_error *err);
/* Whether path holds a summary (JSON) rather than a snapshot (gzip). */
int phi_summary_sniff(const char *path, bool *summary,
		      struct phi_error *err);

#endif
