/* The CPython layer's public face, part 3: where the interpreter's own
 * memory goes, read from the image by the version that decodes it:
 * pymalloc as sys._debugmallocstats() sees it (arenas, pools, size
 * classes), the free lists, the GC's state; and the bytes each object
 * really costs its allocator (phi_heap_allocated).  The analyses and the
 * reporters read these structs; they never read the image. */
#ifndef PYHEAPINSPECT_CPYTHON_MEMORY_H
#define PYHEAPINSPECT_CPYTHON_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/base/gaps.h"
#include "pyheapinspect/cpython/heap.h"
#include "pyheapinspect/cpython/python.h"
#include "pyheapinspect/source/image.h"

#define PHI_PYMEM_MAX_CLASSES 64
#define PHI_PYMEM_MAX_FREE_LISTS 40

/* [start, end) of the target's addresses. */
struct phi_addr_range {
	uint64_t start, end;
};

/* One size class, as _debugmallocstats counts it. */
struct phi_pymalloc_class {
	uint32_t size;            /* block size in bytes */
	uint64_t pools;           /* pools of this class in use */
	uint64_t blocks;          /* blocks in use */
	uint64_t avail;           /* free blocks in those pools */
};

enum phi_pymalloc_method {
	PHI_PYMALLOC_NONE,        /* not read (the gaps say why) */
	PHI_PYMALLOC_SYMBOLS,     /* obmalloc's statics, from .symtab */
	PHI_PYMALLOC_SCAN,        /* no statics: the arenas found from
				   * their pool headers and the arena array
				   * by a pointer scan of the library's data */
};

struct phi_pymalloc {
	enum phi_pymalloc_method method;
	/* sys._debugmallocstats() inside would print this section itself:
	 * pymalloc is the object allocator (no tracemalloc hooks, not
	 * PYTHONMALLOC=malloc).  known_prints false: cannot tell. */
	bool cpython_prints, known_prints;
	int tracemalloc;          /* tracing: 1, 0, -1 unknown */
	uint32_t threshold;       /* 512 */
	uint32_t nclasses;        /* 32 */
	uint64_t pool_size, arena_size;
	struct phi_pymalloc_class cls[PHI_PYMEM_MAX_CLASSES];
	/* obmalloc's counters of arenas over time: only its statics hold
	 * them (unknown on a build without .symtab). */
	bool have_counters;
	uint64_t ntimes_allocated, highwater;
	uint64_t narenas;         /* arenas allocated now */
	uint64_t allocated_bytes, available_bytes, unused_pools;
	uint64_t pool_headers, quantization, arena_alignment;
	/* The radix tree of arena coverage (3.10): node counts and the
	 * bytes of each kind of node. */
	bool have_map;
	uint64_t map_mid, map_bot;
	uint64_t map_root_bytes, map_mid_bytes, map_bot_bytes;
	/* [base, base + arena_size) of every arena, sorted. */
	struct phi_addr_range *arenas;
};

/* One free list: objects kept for reuse instead of freed. */
struct phi_free_list {
	char name[24];            /* "dict", "tuple", "frame", ... */
	int length;               /* tuples: the length they are kept for */
	int64_t count;
	uint64_t bytes;           /* the allocator's bytes they hold */
	/* The line _debugmallocstats prints for it ("free PyDictObject"
	 * and its sizeof), or an empty name when it prints none. */
	char cpython_name[40];
	uint64_t cpython_size;
};

struct phi_free_lists {
	bool present;
	struct phi_free_list v[PHI_PYMEM_MAX_FREE_LISTS];
	size_t n;
};

/* The cyclic GC as the target sees it (gc.isenabled(), get_threshold(),
 * get_count(), len(get_objects(i)), get_freeze_count()). */
struct phi_gc_state {
	bool present;
	bool enabled;
	bool collecting;
	int64_t thresholds[3], counts[3];
	uint64_t generations[3];  /* objects in each generation's list */
	uint64_t permanent;       /* objects gc.freeze() put aside */
};

struct phi_pymemory {
	struct phi_pymalloc pymalloc;
	struct phi_free_lists free_lists;
	struct phi_gc_state gc;
	struct phi_gaps gaps;     /* what could not be read, and why */
};

/* Read it all from the image (the main interpreter's free lists and GC
 * state).  What cannot be read is a gap, not an error: an error is only
 * a failure of the tool itself (no memory). */
int phi_python_memory(const struct phi_python *py,
		      const struct phi_image *img,
		      const struct phi_runtime *rt, struct phi_pymemory *out,
		      struct phi_error *err);
void phi_pymemory_release(struct phi_pymemory *m);

/* What a block of memory that is not in a pymalloc arena costs its
 * allocator (the C library's malloc): its chunk size, from the
 * allocator's own header when it can be read, else an estimate from the
 * size requested.  Given by the caller (native/ knows the C library). */
struct phi_block_sizer {
	uint64_t (*size)(const void *ctx, uint64_t block, uint64_t request);
	const void *ctx;
};

/* The bytes each object of the heap costs its allocators: the block of
 * the object itself (with its GC header), in pymalloc's size class or
 * the C library's chunk, plus its out-of-line buffers (a list's items, a
 * dict's tables, a set's table, a bytearray's buffer, a deque's blocks).
 * *out: one entry per node (phi_node_sizes_release it; released
 * already on failure). */
int phi_heap_allocated(const struct phi_heap *h, const struct phi_pymemory *m,
		       const struct phi_block_sizer *sizer,
		       struct phi_node_sizes *out, struct phi_error *err);

#endif
