/* One memory budget for everything the tool allocates: the copy of the
 * target, the graph, the edges, the roots, the analyses' scratch and
 * the output buffers.  The limit is on the tool's resident memory (what
 * the OOM killer and a cgroup count): the part the tool does not
 * allocate through the budget (the binary, its libraries, libdwarf's
 * pages while the layouts are read, small mallocs) is measured at start
 * and given a fixed reserve, and every large allocation (base/bigmem.c,
 * the copy's buffers) is taken from what is left.  An allocation that
 * would go past the limit fails, as if the memory were not there, and
 * the budget remembers it so that the error can say why.
 *
 * The default limit (no --max-memory) is three quarters of the smaller
 * of MemAvailable and the headroom of the tool's own cgroup (v2:
 * memory.max - memory.current; v1: memory.limit_in_bytes -
 * memory.usage_in_bytes; the tightest level of the hierarchy): in a
 * container at its limit the tool then stops with its own status
 * instead of being OOM-killed. */
#ifndef PYHEAPINSPECT_BUDGET_H
#define PYHEAPINSPECT_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

#define PHI_BUDGET_NONE UINT64_MAX

/* Memory the tool uses beyond what it measures at start and what it
 * allocates through the budget: libdwarf (about 10 MiB of a libpython's
 * mapped DWARF), the type table, yajl, stacks of its threads. */
#define PHI_BUDGET_RESERVE ((uint64_t)24 << 20)

/* Where the default came from. */
struct phi_budget_default {
	uint64_t limit;           /* 3/4 of the smaller figure (at least 1
				   * when one is known); 0: unknown */
	uint64_t mem_available;   /* 0: /proc/meminfo does not say */
	uint64_t cgroup_headroom; /* PHI_BUDGET_NONE: no cgroup limit */
	char cgroup[192];         /* the level whose headroom is smallest */
	const char *source;       /* "MemAvailable", "cgroup v1", "cgroup v2" */
};

/* The default, read from root + "/proc/self/cgroup", root +
 * "/proc/self/mountinfo", root + "/proc/meminfo" and the cgroup files
 * under the mount points found there (prefixed by root too).  root is ""
 * on a real system; the unit tests give a directory of their own. */
void phi_budget_default(struct phi_budget_default *d, const char *root);

/* Set the limit on the tool's resident memory (PHI_BUDGET_NONE: none)
 * and measure what the tool uses already.  Returns false when the limit
 * is below that plus PHI_BUDGET_RESERVE (nothing would fit). */
bool phi_budget_init(uint64_t limit);

uint64_t phi_budget_limit(void);
/* What the tool used at start, plus the reserve. */
uint64_t phi_budget_fixed(void);

/* Take bytes from the budget; false (nothing taken) when they do not
 * fit.  Thread-safe. */
bool phi_budget_take(uint64_t bytes);
void phi_budget_give(uint64_t bytes);

/* Bytes that may still be taken (PHI_BUDGET_NONE without a limit). */
uint64_t phi_budget_left(void);
/* Bytes taken now, and at most so far. */
uint64_t phi_budget_used(void);
uint64_t phi_budget_peak(void);
/* Requests refused, the size of the largest, and the bytes taken when
 * it was refused. */
uint64_t phi_budget_refusals(void);
uint64_t phi_budget_refused_bytes(void);
uint64_t phi_budget_refused_used(void);

/* The tool's peak resident memory so far (VmHWM), 0 if unknown. */
uint64_t phi_budget_peak_rss(void);

#endif
