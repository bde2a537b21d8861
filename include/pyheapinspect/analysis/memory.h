/* Where the process's memory goes: the resident memory by class of
 * mapping (from the source's smaps at the freeze), and inside it the
 * live objects, pymalloc's free blocks and pools, the free lists, the
 * garbage and what remains unexplained. */
#ifndef PYHEAPINSPECT_ANALYSIS_MEMORY_H
#define PYHEAPINSPECT_ANALYSIS_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/analysis/analysis.h"
#include "pyheapinspect/analysis/garbage.h"
#include "pyheapinspect/base/error.h"
#include "pyheapinspect/base/gaps.h"
#include "pyheapinspect/cpython/memory.h"
#include "pyheapinspect/native/native.h"
#include "pyheapinspect/source/source.h"

enum phi_mem_class {
	PHI_MC_PYMALLOC,      /* pymalloc's arenas */
	PHI_MC_MALLOC_HEAP,   /* the C library's heaps (brk, arena heaps) */
	PHI_MC_MALLOC_MMAP,   /* large blocks in mappings of their own */
	PHI_MC_STACKS,        /* thread stacks */
	PHI_MC_ELF,           /* code and data of the interpreter and the
			       * libraries and extensions it loaded */
	PHI_MC_OTHER_ANON,
	PHI_MC_OTHER_FILE,
	PHI_MC__COUNT
};

struct phi_mem_class_total {
	uint64_t resident, swap;
	uint64_t mappings;    /* pieces of mappings in the class */
};

struct phi_memory {
	const struct phi_rss *rss;          /* NULL: not read (snapshot) */
	struct phi_mem_class_total cls[PHI_MC__COUNT];
	uint64_t classified;                /* sum of the classes' resident */
	bool have_classes;
	/* The live objects (reachable, or held from outside). */
	uint64_t live_objects, live_size, live_allocated;
	bool have_allocated;
	/* Of the allocated bytes, how much lies in each class. */
	uint64_t objects_in[PHI_MC__COUNT];
	struct phi_garbage garbage;
	const struct phi_pymemory *py;
	const struct phi_malloc *malloc;
	/* Allocated bytes of each type's instances (by type index), for
	 * the histogram; NULL when not known. */
	uint64_t *type_allocated;
	uint64_t free_list_bytes;
	/* Resident anonymous memory no figure above accounts for (native
	 * buffers, extensions' own memory, allocator overhead): an
	 * estimate, since free pools and chunks may not all be resident. */
	uint64_t unexplained;
	char note[256];           /* what this source cannot give, if any */
	struct phi_gaps gaps;
};

const char *phi_mem_class_name(enum phi_mem_class c);

/* Everything above from what the run has: rss may be NULL (snapshot),
 * malloc may be NULL, allocated may be NULL (per node, bytes). */
int phi_memory_run(struct phi_memory *m, const struct phi_heap *h,
		   const struct phi_analysis *a, const struct phi_rss *rss,
		   const struct phi_pymemory *py, const struct phi_malloc *mal,
		   const struct phi_node_sizes *allocated, size_t top,
		   struct phi_error *err);
void phi_memory_release(struct phi_memory *m);

#endif
