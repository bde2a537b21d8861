/* Gaps of a report (gaps.h). */
#include <stdarg.h>
#include <stdio.h>

#include "pyheapinspect/base/gaps.h"

void phi_gap_add(struct phi_gaps *g, const char *what, int64_t objects,
		 int64_t bytes, const char *why, ...)
{
	struct phi_gap *p;
	va_list ap;

	if (g->n == PHI_MAX_GAPS) {
		g->dropped++;
		return;
	}
	p = &g->v[g->n++];
	snprintf(p->what, sizeof(p->what), "%s", what);
	va_start(ap, why);
	vsnprintf(p->why, sizeof(p->why), why, ap);
	va_end(ap);
	p->objects = objects;
	p->bytes = bytes;
}
