/* The memory section of both reports, and --mallocstats. */
#ifndef PYHEAPINSPECT_REPORT_MEMORY_H
#define PYHEAPINSPECT_REPORT_MEMORY_H

#include <stdio.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/memory.h"

/* What sys._debugmallocstats() would print inside the target at the
 * freeze: the pymalloc section (even while tracemalloc runs, when
 * CPython omits it), then the free lists.  A figure the target does not
 * tell is printed as "LABEL: unknown". */
int phi_report_mallocstats(FILE *out, const struct phi_pymemory *m,
			   struct phi_error *err);

#endif
