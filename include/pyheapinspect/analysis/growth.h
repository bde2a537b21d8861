/* What grew between two captures, from their summaries (summary.h):
 *  - per type, the count and size deltas;
 *  - per stable path, the retained size before and after.  A path whose
 *    change one of its children carries (that child changed by at least
 *    PHI_SUSPECT_DESCEND of it, the same way) is not listed: the child
 *    says it better (an instance whose __dict__ grew because one of its
 *    attributes did: only the attribute is listed), nor is a module, its
 *    __dict__ or a root of an interpreter's or a thread's state;
 *  - suspects by growth: from every path that grew under one that did
 *    not (or under a module), walk down into the child carrying the
 *    growth while it carries at least PHI_SUSPECT_DESCEND of it; the
 *    suspect is where the walk stops;
 *  - when both summaries have them, the memory breakdown's deltas (the
 *    resident memory and each class of mapping, the live objects, the
 *    garbage) and growth by allocation site (tracemalloc's lines, as
 *    Snapshot.compare_to(old, "lineno") gives them: sites.h).
 * A path recorded in one summary only counts 0 in the other: it was
 * below that capture's floor there (or not there at all).
 * The growth points into both summaries, which must outlive it. */
#ifndef PYHEAPINSPECT_GROWTH_H
#define PYHEAPINSPECT_GROWTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/analysis/sites.h"
#include "pyheapinspect/analysis/summary.h"
#include "pyheapinspect/base/error.h"

struct phi_growth_type {
	const char *type;
	uint64_t count, size;     /* after */
	int64_t count_delta, size_delta;
};

struct phi_growth_path {
	const char *path, *type;
	uint64_t before, after;   /* retained */
	int64_t delta;
};

struct phi_growth_class {
	const char *name;
	uint64_t before, after;   /* resident */
	int64_t delta;
};

/* The memory breakdown's deltas (after minus before). */
struct phi_growth_memory {
	bool present;             /* both captures had a memory section */
	bool rss_known;           /* both read the resident memory */
	uint64_t rss_before, rss_after;
	int64_t rss_delta, anon_delta, file_delta, shmem_delta, swap_delta;
	/* Classes of either capture (0 in the other), in the later
	 * capture's order, then the earlier one's others. */
	struct phi_growth_class *classes;
	size_t nclasses;
	int64_t objects_delta, getsizeof_delta;
	bool allocated_known;
	int64_t allocated_delta;
	int64_t garbage_objects_delta, garbage_size_delta;
};

struct phi_growth {
	const struct phi_summary *before, *after;
	int64_t objects_delta, total_size_delta, reachable_size_delta;
	bool rss_known;           /* both captures know their RSS */
	int64_t rss_delta;
	uint64_t floor;           /* the larger of the two floors */
	struct phi_growth_type *types; /* largest |size_delta| first */
	size_t ntypes, types_changed;
	struct phi_growth_path *paths; /* largest |delta| first */
	size_t npaths, paths_changed;
	struct phi_growth_path *suspects; /* largest delta first */
	size_t nsuspects;
	double share;
	struct phi_growth_memory memory;
	/* Growth by allocation site, when both captures kept their lines:
	 * the lines that changed (compare_to's rows whose size or count
	 * differ), in compare_to's order; filenames point into the
	 * summaries. */
	bool have_sites;
	struct phi_site_growth *sites;
	size_t nsites, sites_changed;
};

/* At most max types, paths and suspects (the *_changed counts say how
 * many there were); suspects grew by at least share of what the
 * growing paths grew by in all, and by the floor. */
int phi_growth_compare(struct phi_growth *g, const struct phi_summary *before,
		       const struct phi_summary *after, double share,
		       size_t max, struct phi_error *err);
void phi_growth_release(struct phi_growth *g);

#endif
