/* CPython 3.10's memory, read from the image: pymalloc (pymalloc.c), the
 * free lists (freelists.c), the GC state (gcstate.c), and the bytes each
 * object costs its allocators (allocated.c).  The public structs are in
 * cpython/memory.h. */
#ifndef PYHEAPINSPECT_PYMALLOC310_H
#define PYHEAPINSPECT_PYMALLOC310_H

#include "pyheapinspect/cpython/memory.h"
#include "pyheapinspect/cpython/310/py310.h"

/* The table entry: all three, gaps for what cannot be read. */
int phi310_memory(const struct phi_python *py, const struct phi_image *img,
		  const struct phi_runtime *rt, struct phi_pymemory *out,
		  struct phi_error *err);

int phi310_pymalloc(const struct phi_python *py, const struct phi_image *img,
		    struct phi_pymemory *out, struct phi_error *err);
void phi310_free_lists(const struct phi_python *py,
		       const struct phi_image *img, uint64_t interp,
		       struct phi_pymemory *out);
void phi310_gc_state(const struct phi_python *py, const struct phi_image *img,
		     uint64_t interp, struct phi_pymemory *out);

int phi310_allocated(const struct phi_heap *h, const struct phi_pymemory *m,
		     const struct phi_block_sizer *sizer,
		     struct phi_node_sizes *out, struct phi_error *err);

/* The pymalloc block size of the block at addr (its pool's size class),
 * or 0 when addr is not in a pool in use of one of m's arenas. */
uint64_t phi310_pymalloc_block(const struct phi_image *img,
			       const struct phi_layout *lay,
			       const struct phi_pymalloc *m, uint64_t addr);

/* What a request of n bytes costs when nothing better is known:
 * pymalloc's class up to 512 bytes, else a C-library chunk. */
uint64_t phi310_request_cost(uint64_t n);

#endif
