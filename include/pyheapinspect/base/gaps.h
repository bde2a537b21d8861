/* What a report lacks, and why.  A stage that cannot do all it should
 * (a mapping too large to copy, a symbol a stripped build lacks, a debug
 * file refused, objects of an unknown layout) says so here instead of
 * giving a silently smaller answer; the reporters print every gap, and
 * a report with gaps exits with its own status (PHI_E_INCOMPLETE), never
 * 0.  Fixed size: adding a gap never allocates. */
#ifndef PYHEAPINSPECT_GAPS_H
#define PYHEAPINSPECT_GAPS_H

#include <stddef.h>
#include <stdint.h>

#define PHI_MAX_GAPS 32

struct phi_gap {
	char what[96];    /* what is missing: "deque_type", "3 mappings" */
	char why[192];    /* why, and what the user can do about it */
	int64_t objects;  /* what it costs, when known (else -1) */
	int64_t bytes;
};

struct phi_gaps {
	struct phi_gap v[PHI_MAX_GAPS];
	size_t n;
	size_t dropped;   /* gaps past PHI_MAX_GAPS, counted only */
};

/* Add a gap; objects and bytes are -1 when unknown.  why is a format. */
void phi_gap_add(struct phi_gaps *g, const char *what, int64_t objects,
		 int64_t bytes, const char *why, ...)
	__attribute__((format(printf, 5, 6)));

/* Gaps in all, kept or dropped. */
static inline size_t phi_gaps_count(const struct phi_gaps *g)
{
	return g->n + g->dropped;
}

#endif
