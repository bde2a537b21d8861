/* A capture summary: a compact record of one capture, kept to compare
 * later captures with (growth.h) and to load into a columnar engine
 * across a fleet (docs/schema.md).  It holds the type histogram, the
 * heap's counts, the largest retainers down to a floor under stable
 * path labels, the leak suspects, the collections' fill, the memory
 * breakdown (memory.h) and, when the target traces with tracemalloc,
 * its lines (statistics("lineno"), sites.h); report/summary.c writes
 * and reads it as one JSON document.
 *
 * Stable labels, as Eclipse MAT matches objects across dumps: a
 * retainer is named by its path from a root (paths.h) with list indices
 * ("[3]" -> "[*]") and addresses ("0x7f3a..." -> "0x*") masked, so that
 * the same module attribute, dict key or instance attribute reads the
 * same in every capture.  Objects whose masked paths are equal (the
 * items of one list) are one entry: their retained sizes add up (none
 * of them dominates another, so nothing is counted twice). */
#ifndef PYHEAPINSPECT_SUMMARY_H
#define PYHEAPINSPECT_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/analysis/analysis.h"
#include "pyheapinspect/analysis/memory.h"
#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/heap.h"

#define PHI_SUMMARY_VERSION 1
/* Retainers kept: those retaining at least the floor, the larger of
 * PHI_SUMMARY_MIN_FLOOR bytes and 1/PHI_SUMMARY_FLOOR_DIV of the
 * reachable heap, at most PHI_SUMMARY_MAX_PATHS of them (about 200 bytes
 * each in the file): a summary is kilobytes to about a megabyte, whatever
 * the heap. */
#define PHI_SUMMARY_MAX_PATHS 4000
#define PHI_SUMMARY_MIN_FLOOR 4096
#define PHI_SUMMARY_FLOOR_DIV 20000
/* Retainers further than this from a root are left out (and counted):
 * their paths are cut, so not stable. */
#define PHI_SUMMARY_MAX_DEPTH 60
/* Bounds a summary read from a file must respect. */
#define PHI_SUMMARY_MAX_TYPES 100000
#define PHI_SUMMARY_MAX_TEXT 4096
/* Classes of mapping a summary read from a file may name. */
#define PHI_SUMMARY_MAX_CLASSES 32
/* tracemalloc's lines kept: the largest, at most this many (a service
 * has a few thousand); a filename is cut to PHI_SUMMARY_MAX_FILENAME
 * bytes (on a character boundary, "..." as U+2026 at the end). */
#define PHI_SUMMARY_MAX_SITES 20000
#define PHI_SUMMARY_MAX_FILENAME 1024

struct phi_summary_type {
	char *type;
	uint64_t count, size;
};

struct phi_summary_path {
	char *path;          /* masked */
	char *type;          /* of the largest object with that path */
	uint64_t retained;   /* summed over the objects with that path */
	uint64_t objects;    /* how many objects have it */
	int64_t parent;      /* index of the entry of the nearest recorded
			      * dominator of its largest object, -1 if none */
	bool anchor;         /* a module, its __dict__, a root of an
			      * interpreter's or a thread's state */
};

struct phi_summary_suspect {
	char *path;          /* masked */
	char *type;
	uint64_t retained;
	uint64_t children, children_retained;
	char *child_type;    /* the type of children retaining the most */
	uint64_t child_type_count, child_type_retained;
	int64_t length;      /* a collection's len(), else -1 */
};

struct phi_summary_group {
	char *type;
	uint64_t instances, retained;
};

/* The memory breakdown of the capture (memory.h), as far as a later
 * capture is compared with it. */
struct phi_summary_class {
	char *name;          /* "pymalloc_arenas", ... */
	uint64_t resident;
};

struct phi_summary_memory {
	bool present;        /* the capture had a memory section */
	bool have_rss;       /* the resident memory was read at the freeze */
	uint64_t vm_rss, anon, file, shmem, swap;
	struct phi_summary_class *classes; /* empty without smaps */
	size_t nclasses;
	uint64_t objects, getsizeof;       /* the live objects */
	int64_t allocated;                 /* -1: unknown */
	uint64_t garbage_objects, garbage_size;
};

/* One line of tracemalloc's statistics("lineno"). */
struct phi_summary_site {
	char *filename;      /* valid UTF-8, no NUL, cut (see above) */
	uint32_t lineno;
	uint64_t size, count;
};

/* What the capture was, beside the heap. */
struct phi_summary_info {
	int64_t pid;
	const char *python_version;
	const char *host;        /* where the tool ran */
	const char *source;      /* "process" or "snapshot" */
	int64_t captured_at;     /* Unix time, seconds */
	int64_t rss;             /* the target's VmRSS in bytes, -1 unknown */
	bool complete;           /* no gaps */
	const struct phi_memory *memory; /* the memory section, or NULL */
};

struct phi_summary {
	int64_t version;
	char *tool_version;
	char *captured_at;       /* ISO 8601 UTC: 2026-05-10T07:00:00Z */
	int64_t captured_unix;
	int64_t pid;
	char *host, *source, *python_version;
	bool complete;
	int64_t rss;             /* -1: unknown */
	uint64_t objects, total_size, gc_tracked;
	uint64_t reachable_objects, reachable_size;
	uint64_t floor;          /* retainers below it are not recorded */
	uint64_t paths_omitted;  /* retainers above it left out (cap, depth) */
	uint64_t fill_collections, fill_sparse, fill_wasted;
	struct phi_summary_type *types;   /* largest size first */
	size_t ntypes;
	struct phi_summary_path *paths;   /* largest retained first */
	size_t npaths;
	struct phi_summary_suspect *suspects;
	size_t nsuspects;
	struct phi_summary_group *groups;
	size_t ngroups;
	struct phi_summary_memory memory;
	/* tracemalloc's lines, when the capture's traces were read: in
	 * (filename, lineno) order, each line once; the smallest lines
	 * past PHI_SUMMARY_MAX_SITES are left out and counted. */
	bool have_sites;
	struct phi_summary_site *sites;
	size_t nsites;
	uint64_t sites_omitted, sites_omitted_size;
	uint64_t traced;         /* get_traced_memory()[0] */
};

/* The summary of one analysed capture. */
int phi_summary_build(struct phi_summary *s, const struct phi_heap *h,
		      const struct phi_analysis *a,
		      const struct phi_summary_info *info,
		      struct phi_error *err);
void phi_summary_release(struct phi_summary *s);

/* A path with list indices and addresses masked, into out (len bytes,
 * at least 1). */
void phi_summary_mask(const char *path, char *out, size_t len);

#endif
