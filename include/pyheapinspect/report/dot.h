/* --dot FILE: for each object named with --expr or --object, its
 * shortest path from a root and its dominator neighbourhood, as a
 * Graphviz digraph (docs/html-data.md, section 6). */
#ifndef PYHEAPINSPECT_DOT_H
#define PYHEAPINSPECT_DOT_H

#include <stdio.h>

#include "pyheapinspect/analysis/domtree.h"
#include "pyheapinspect/base/error.h"
#include "pyheapinspect/report/report.h"

int phi_report_dot(FILE *out, const struct phi_report *r,
		   const struct phi_domtree *t, struct phi_error *err);

#endif
