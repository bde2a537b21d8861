/* --folded FILE: folded stacks of retained size along the dominator
 * tree, as flamegraph.pl, inferno and speedscope read them
 * (docs/html-data.md, section 6). */
#ifndef PYHEAPINSPECT_FOLDED_H
#define PYHEAPINSPECT_FOLDED_H

#include <stdio.h>

#include "pyheapinspect/analysis/domtree.h"
#include "pyheapinspect/base/error.h"
#include "pyheapinspect/report/report.h"

int phi_report_folded(FILE *out, const struct phi_report *r,
		      const struct phi_domtree *t, struct phi_error *err);

#endif
