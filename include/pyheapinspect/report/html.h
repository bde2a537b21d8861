/* --html FILE: one self-contained page (docs/html-data.md): the fixed
 * view of src/report/html/ around one JSON document, the blob, written
 * here from the run's results. */
#ifndef PYHEAPINSPECT_HTML_H
#define PYHEAPINSPECT_HTML_H

#include <stdio.h>

#include "pyheapinspect/analysis/domtree.h"
#include "pyheapinspect/base/error.h"
#include "pyheapinspect/report/report.h"

int phi_report_html(FILE *out, const struct phi_report *r,
		    const struct phi_domtree *t, struct phi_error *err);

#endif
