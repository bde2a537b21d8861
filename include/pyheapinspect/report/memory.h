/* The memory section of both reports, and --mallocstats. */
#ifndef PYHEAPINSPECT_REPORT_MEMORY_H
#define PYHEAPINSPECT_REPORT_MEMORY_H

#include <stdio.h>
#include <yajl/yajl_gen.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/memory.h"
#include "pyheapinspect/report/report.h"

/* What sys._debugmallocstats() would print inside the target at the
 * freeze: the pymalloc section (even while tracemalloc runs, when
 * CPython omits it), then the free lists.  A figure the target does not
 * tell is printed as "LABEL: unknown". */
int phi_report_mallocstats(FILE *out, const struct phi_pymemory *m,
			   struct phi_error *err);

/* The one-line advice on a class of mapping, as both reports and the
 * HTML page give it. */
const char *phi_report_memory_hint(enum phi_mem_class c);

/* The memory section, first in each report (nothing when r->memory is
 * NULL). */
void phi_report_memory_text(FILE *out, const struct phi_report *r);
void phi_report_memory_json(yajl_gen g, const struct phi_report *r);

#endif
