/* The footprint section: how the target's memory was copied (resident
 * pages or whole mappings, what was mapped, resident, swapped, left
 * out), how often it was frozen, and the tool's memory budget against
 * what it used.  Text lines under the header, and the JSON object
 * "footprint" (docs/schema.md). */
#ifndef PYHEAPINSPECT_FOOTPRINT_H
#define PYHEAPINSPECT_FOOTPRINT_H

#include <stdio.h>
#include <yajl/yajl_gen.h>

#include "pyheapinspect/report/report.h"

void phi_footprint_text(FILE *out, const struct phi_report *r);
void phi_footprint_json(yajl_gen g, const struct phi_report *r);

#endif
