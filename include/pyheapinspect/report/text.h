/* The text report, for people. */
#ifndef PYHEAPINSPECT_TEXT_H
#define PYHEAPINSPECT_TEXT_H

#include <stdio.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/report/report.h"

int phi_report_text(FILE *out, const struct phi_report *r,
		    struct phi_error *err);

#endif
