/* The process's native memory, as the C library and the loader lay it
 * out: glibc malloc's arenas (what mallinfo2() and malloc_stats() would
 * report inside), its heaps and its chunks in mappings of their own,
 * the thread stacks, and the ranges of the ELF objects (code, data,
 * .bss).  From the image and the source's mappings and files; glibc's
 * layouts from libc's DWARF (Debian's libc6-dbg, found by build-id),
 * else the built-in glibc 2.36 table for a libc that says it is 2.36. */
#ifndef PYHEAPINSPECT_NATIVE_H
#define PYHEAPINSPECT_NATIVE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/base/gaps.h"
#include "pyheapinspect/source/image.h"
#include "pyheapinspect/source/source.h"

struct phi_native_range {
	uint64_t start, end;
};

struct phi_native_ranges {
	struct phi_native_range *v;
	size_t n, cap;
};

/* mallinfo2()'s fields, as glibc computes them (malloc.c int_mallinfo). */
struct phi_mallinfo2 {
	uint64_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks;
	uint64_t uordblks, fordblks, keepcost;
};

struct phi_malloc_arena {
	uint64_t addr;
	uint64_t system;          /* system_mem */
	uint64_t in_use;          /* system - free (tcache chunks count as
				   * in use, as in mallinfo2) */
	uint64_t free_bins, free_chunks;  /* regular bins and unsorted */
	uint64_t free_fast, fast_chunks;  /* fastbins */
	uint64_t top;             /* the top chunk */
	uint64_t heaps;           /* heaps of a thread arena */
};

enum phi_malloc_method {
	PHI_MALLOC_NONE,          /* not read: the gaps say why */
	PHI_MALLOC_DEBUGINFO,     /* symbols and layouts from libc's DWARF */
	PHI_MALLOC_BUILTIN,       /* main_arena and mp_ found by their
				   * contents, glibc 2.36 layouts */
};

struct phi_malloc {
	enum phi_malloc_method method;
	char libc[PATH_MAX];      /* as mapped */
	char debug_file[PATH_MAX];
	struct phi_mallinfo2 mi;
	uint64_t n_mmaps, mmapped_mem, max_n_mmaps, max_mmapped_mem;
	struct phi_malloc_arena *arenas;  /* main arena first, ring order */
	size_t narenas;
	uint64_t tcache_chunks, tcache_bytes; /* in the threads' tcaches */
	bool have_tcache;
	struct phi_native_ranges heaps;   /* [heap] and the arena heaps */
	struct phi_native_ranges mmapped; /* chunks in mappings of their own */
	struct phi_native_ranges stacks;  /* thread stacks */
	struct phi_native_ranges elf;     /* ELF objects and their .bss */
	uint64_t threads;                 /* struct pthread found */
	bool no_mappings;                 /* the source has none (a
					   * snapshot): nothing was read */
	/* Internal to native/: where libc is, its sbrk_base, the TLS
	 * offset of `tcache` (when the debug file names it), and the
	 * thread pointers (each struct pthread's address) found. */
	uint64_t libc_bias, libc_start, libc_offset, sbrk_base;
	int64_t tcache_tls;
	bool tcache_tls_known;
	struct phi_native_ranges tps;
	struct phi_gaps gaps;
};

#define PHI_NATIVE_LAYOUT_MAX 32

/* What libc's own files say: where it is loaded, and from its debug
 * file glibc's layouts, main_arena and mp_.  None of it needs the
 * image, and the debug file's DWARF (compressed in Debian's libc6-dbg)
 * takes about 12 MiB while it is read: read before the copy, that
 * peak does not stack on the image and the graph.  Internal to native/
 * but for `ready`. */
struct phi_native_libc {
	bool ready;               /* phi_native_prepare ran */
	bool mapped, located;     /* libc found in the mappings; its bias */
	bool debug;               /* layouts and symbols from the debug file */
	bool is_236;              /* without: libc says it is 2.36 */
	char gap[PATH_MAX + 64];  /* why malloc cannot be read, or "" */
	char libc[PATH_MAX];      /* as mapped */
	char path[PATH_MAX];      /* where the tool opens it */
	char debug_file[PATH_MAX];
	struct phi_map map;       /* libc's first mapping (path: libc) */
	uint64_t bias, start, offset, main_arena, mp;
	int64_t tcache_tls;
	bool tcache_tls_known;
	int64_t lay[PHI_NATIVE_LAYOUT_MAX];
};

/* Fill l from a live source's mappings and files (nothing for one with
 * no mappings).  What it cannot find becomes phi_native_read's gap. */
int phi_native_prepare(struct phi_native_libc *l, struct phi_source *src);

/* The same in two steps: _begin takes what it needs from the source's
 * mappings, _finish reads the files and nothing of the mappings, so it
 * may run in a thread while the copy reads the maps again; it uses the
 * source's pid, root and file lookup only. */
void phi_native_prepare_begin(struct phi_native_libc *l,
			      const struct phi_source *src);
void phi_native_prepare_finish(struct phi_native_libc *l,
			       struct phi_source *src);

/* Read it from a live source (the mappings and files are needed), with
 * libc's files as l says (prepared here when l is NULL or not ready);
 * `exclude` are ranges known to hold no malloc chunk (pymalloc's arenas).
 * What cannot be read is a gap; an error is the tool's own failure. */
int phi_native_read(struct phi_malloc *m, struct phi_source *src,
		    const struct phi_image *img,
		    const struct phi_native_libc *l,
		    const struct phi_native_range *exclude, size_t nexclude,
		    struct phi_error *err);
void phi_native_release(struct phi_malloc *m);

/* malloc_stats()' text (malloc.c __malloc_stats) into buf. */
void phi_native_malloc_stats(const struct phi_malloc *m, char *buf,
			     size_t len);

/* The chunk size of the malloc'd block at `block` (its size field,
 * checked against its neighbour), else an estimate from the request;
 * ctx is the image.  For struct phi_block_sizer. */
uint64_t phi_native_block_size(const void *ctx, uint64_t block,
			       uint64_t request);

#endif
