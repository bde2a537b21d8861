/* The allocation sites section (tracemalloc's traces joined with the
 * graph), in the text report and in the JSON document (docs/schema.md):
 * one call for the section, one for each named object. */
#ifndef PYHEAPINSPECT_REPORT_SITES_H
#define PYHEAPINSPECT_REPORT_SITES_H

#include <stdio.h>
#include <yajl/yajl_gen.h>

#include "pyheapinspect/report/report.h"

void phi_sites_text(FILE *out, const struct phi_report *r);
/* The allocation traceback of named object i and its retained set by
 * site, under its other figures. */
void phi_sites_named_text(FILE *out, const struct phi_report *r, size_t i);

void phi_sites_json(yajl_gen g, const struct phi_report *r);
void phi_sites_named_json(yajl_gen g, const struct phi_report *r, size_t i);

#endif
