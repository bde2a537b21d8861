/* The CPython layer's public face, part 3: tracemalloc's traces as the
 * target holds them (every block it traces, with its size and the
 * traceback of its allocation) and their join with the heap's objects
 * (the block of each object, and the other blocks it owns: a dict's keys
 * table, a list's item array).  Filled by the version that built the
 * heap from the image; read by analysis/sites.c and the reporters, which
 * never read tracemalloc's tables themselves.  Nothing here depends on
 * the version: where the tables are and the rule that turns an object
 * into its block's address are the version's (cpython/310/tracemalloc.c
 * for 3.10; in 3.12 and later they are members of _PyRuntime). */
#ifndef PYHEAPINSPECT_TRACES_H
#define PYHEAPINSPECT_TRACES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/heap.h"

enum phi_traces_state {
	PHI_TRACES_ABSENT,      /* the interpreter has no tracemalloc */
	PHI_TRACES_OFF,         /* tracemalloc is not tracing */
	PHI_TRACES_UNAVAILABLE, /* tracing, but its tables cannot be found
				 * (no .symtab and no DWARF): note says why */
	PHI_TRACES_BROKEN,      /* tracing, but its tables are not what
				 * tracemalloc leaves (torn or corrupt) */
	PHI_TRACES_READ,        /* every trace read */
};

/* One frame: filename (an index in files[]) and line. */
struct phi_trace_frame {
	uint32_t file;
	uint32_t lineno;
};

/* A traceback: frames[frame .. frame + nframe), most recent call first,
 * of a stack that had total_nframe frames. */
struct phi_traceback {
	uint32_t frame;
	uint16_t nframe;
	uint16_t total_nframe;
};

/* One traced block. */
struct phi_trace {
	uint64_t ptr;        /* its address: the key tracemalloc keeps */
	uint64_t size;       /* the size requested from the allocator */
	uint32_t traceback;  /* index in tb[] */
	uint32_t domain;     /* 0, or PyTraceMalloc_Track()'s domain */
};

/* A filename as UTF-8 (lone surrogates kept as 3-byte sequences, so
 * that byte order is code-point order, the order of Python's str). */
struct phi_trace_file {
	char *text;          /* NUL-terminated; may hold NULs: use len */
	size_t len;
};

/* A block that an object owns besides its own (trace: index in v[]). */
struct phi_trace_block {
	uint32_t node;
	uint32_t trace;
};

struct phi_traces {
	enum phi_traces_state state;
	char note[320];          /* one line: why not read, or a warning */
	const char *symbols;     /* where the tables were found: "symtab",
				  * "dwarf", "snapshot" (or "") */
	int initialized, tracing, max_nframe; /* _Py_tracemalloc_config */
	uint64_t traced, peak;   /* get_traced_memory() */
	bool torn;               /* read, but the tables were being updated
				  * at the freeze (the figures may be off) */
	bool summary;            /* READ, but only the figures above and
				  * ntraces: v, tb... are empty */
	uint64_t ntraces;        /* traces of every domain */
	/* The traces of every domain: domain 0's first, then each other
	 * domain's, in the order of the target's tables. */
	struct phi_trace *v;
	size_t n;
	size_t ndomain0;         /* v[0 .. ndomain0) are domain 0's */
	struct phi_traceback *tb;
	size_t ntb;
	struct phi_trace_frame *frames;
	size_t nframes;
	/* Distinct filenames, sorted by code point: comparing two indices
	 * compares the names. */
	struct phi_trace_file *files;
	size_t nfiles;
	/* The join with the heap: node i's own block is v[node_trace[i]]
	 * (PHI_NONE when it has no trace: allocated before tracing began,
	 * reused from a free list block tracemalloc never saw, static, or
	 * not from Python's allocators); blocks[] (sorted by node) are the
	 * other blocks objects own. */
	uint32_t *node_trace;
	size_t nnodes;
	struct phi_trace_block *blocks;
	size_t nblocks;
	double ms;               /* time the reading and the join took */
};

/* Read tracemalloc's state from the image h was decoded from and join
 * it with h's objects; with summary, read only what the one line about
 * it says (state, traced memory, number of traces): out->summary, and
 * no traces.  A target that does not trace, or whose tables cannot be
 * found or fail validation, is no error: out->state and out->note say
 * so.  Errors are for the tool itself (out of memory). */
int phi_heap_traces(const struct phi_heap *h, bool summary,
		    struct phi_traces *out, struct phi_error *err);
void phi_traces_release(struct phi_traces *t);

/* The frames of trace i, most recent call first. */
static inline const struct phi_trace_frame *phi_trace_frames(
	const struct phi_traces *t, size_t i, unsigned *nframe)
{
	const struct phi_traceback *b = &t->tb[t->v[i].traceback];

	*nframe = b->nframe;
	return &t->frames[b->frame];
}

#endif
