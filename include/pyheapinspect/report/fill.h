/* The collections' fill section of the reports (analysis/fill.h). */
#ifndef PYHEAPINSPECT_REPORT_FILL_H
#define PYHEAPINSPECT_REPORT_FILL_H

#include <stdio.h>
#include <yajl/yajl_gen.h>

#include "pyheapinspect/report/report.h"

/* The document's "fill". */
void phi_fill_json(yajl_gen g, const struct phi_report *r);
void phi_fill_text(FILE *out, const struct phi_report *r);

#endif
