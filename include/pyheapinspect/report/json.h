/* The JSON document, for scripts (docs/schema.md). */
#ifndef PYHEAPINSPECT_JSON_H
#define PYHEAPINSPECT_JSON_H

#include <stdio.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/report/report.h"

int phi_report_json(FILE *out, const struct phi_report *r,
		    struct phi_error *err);

#endif
