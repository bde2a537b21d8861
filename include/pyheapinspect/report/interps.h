/* Subinterpreters in the reports: the interpreter of each object
 * (analysis/paths.h) and the heap by interpreter (analysis/interps.h). */
#ifndef PYHEAPINSPECT_REPORT_INTERPS_H
#define PYHEAPINSPECT_REPORT_INTERPS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <yajl/yajl_gen.h>

#include "pyheapinspect/report/report.h"

/* "interpreter": the id of the interpreter whose roots node's path
 * starts at, or null (a process-wide root, an object held from outside
 * the heap, or no path). */
void phi_json_interpreter(yajl_gen g, const struct phi_report *r,
			  uint32_t node);
/* The same for a dump line, from the paths and the runtime alone. */
void phi_json_interpreter_of(yajl_gen g, const struct phi_paths *p,
			     const struct phi_runtime *rt, uint32_t node);

/* " [main]", " [interp#2]", " [process-wide]" (or "" when unreached)
 * when the target has more than one interpreter; "" otherwise. */
const char *phi_text_interp_tag(const struct phi_report *r, uint32_t node,
				char *buf, size_t len);

/* The document's "by_interpreter", and the text section (printed only
 * when the target has more than one interpreter). */
void phi_interps_json(yajl_gen g, const struct phi_report *r);
void phi_interps_text(FILE *out, const struct phi_report *r);
/* The header's list: "0 (main) at 0x..., 1 at 0x..." */
void phi_interps_header(FILE *out, const struct phi_report *r);

#endif
