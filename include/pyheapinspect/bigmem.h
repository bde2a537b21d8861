/* Large arrays (graph and analysis scratch) in memory mapped for them and
 * faulted in by the kernel in one call per growth.  On the virtual
 * machines this tool runs on, taking a page fault per 4 KiB page costs
 * three to four times what one MADV_POPULATE_WRITE call over the same
 * range does (docs/performance.md); a heap of millions of objects
 * touches hundreds of MiB of fresh arrays. */
#ifndef PYHEAPINSPECT_BIGMEM_H
#define PYHEAPINSPECT_BIGMEM_H

#include <stddef.h>

/* Zeroed, populated memory of at least `bytes` bytes, 64-byte aligned;
 * NULL when out of memory. */
void *phi_big_alloc(size_t bytes);

/* Grown (or shrunk) to `bytes`, contents kept, new bytes zeroed and
 * populated; the block may move.  NULL (p still valid) when out of
 * memory.  p may be NULL. */
void *phi_big_realloc(void *p, size_t bytes);

void phi_big_free(void *p);

/* Fault in the whole pages of [p, p + len) now (MADV_POPULATE_WRITE, in
 * chunks); nothing on kernels before 5.14. */
void phi_populate(void *p, size_t len);

#endif
