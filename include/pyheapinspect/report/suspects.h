/* The leak suspects (analysis/suspects.h) in the reports. */
#ifndef PYHEAPINSPECT_REPORT_SUSPECTS_H
#define PYHEAPINSPECT_REPORT_SUSPECTS_H

#include <stdio.h>
#include <yajl/yajl_gen.h>

#include "pyheapinspect/report/report.h"

/* Inside the JSON document's "retained": "suspect_descend",
 * "suspect_walks", "suspects" and "suspect_groups". */
void phi_suspects_json(yajl_gen g, const struct phi_report *r);
void phi_suspects_text(FILE *out, const struct phi_report *r);

/* Why the walk stopped at suspect x, in words (for every reporter). */
void phi_suspect_reason(const struct phi_suspect *x, uint64_t reachable,
			char *buf, size_t len);

#endif
