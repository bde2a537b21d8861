/* Large arrays (the image, the graph, the analyses' scratch) in mappings
 * of their own, in transparent huge pages where the kernel gives them.
 *
 * Why: on the virtual machines this tool runs on, the first touch of a
 * 4 KiB page costs about 15 µs, so a heap of millions of objects spends
 * more time in page faults than in work.  In 2 MiB pages a 64 MiB array
 * takes 32 faults instead of 16,384 (measured: 5 to 60 ms to allocate
 * and fill it, against 230 ms in 4 KiB pages, or 77 ms in 4 KiB pages
 * populated by MADV_POPULATE_WRITE, which is the fallback when THP is
 * off).  THP is usually in `madvise` mode, so malloc's memory never
 * gets huge pages.  A thread of bigmem's own faults new memory in ahead
 * of its use (bigmem.c). */
#ifndef PYHEAPINSPECT_BIGMEM_H
#define PYHEAPINSPECT_BIGMEM_H

#include <stdbool.h>
#include <stddef.h>

/* Zeroed memory of at least `bytes` bytes, 64-byte aligned; NULL when
 * out of memory.  Small blocks come from calloc. */
void *phi_big_alloc(size_t bytes);

/* The same, faulted in before it returns: for a buffer about to be
 * written in full at once (a copy of the target's memory). */
void *phi_big_alloc_now(size_t bytes);

/* nmemb * size zeroed bytes; NULL also when the product overflows. */
void *phi_big_calloc(size_t nmemb, size_t size);

/* Grown (or shrunk) to `bytes`, contents kept, new bytes zeroed; the
 * block may move.  NULL (p still valid) when out of memory.  p may be
 * NULL. */
void *phi_big_realloc(void *p, size_t bytes);

/* For blocks from the functions above only; NULL is fine. */
void phi_big_free(void *p);

/* For callers that manage mappings of their own (the copy's buffers):
 * whether the kernel gives huge pages to advised ranges, and fault
 * [p, p + len) in now (page-aligned parts; a kernel that refuses the
 * advice leaves them to fault on first use). */
bool phi_big_thp(void);
void phi_big_populate(void *p, size_t len);

/* malloc's own memory returned to the system when it is freed, so that
 * what no longer counts in the budget no longer counts in the RSS
 * either: glibc otherwise raises its mmap threshold to the largest
 * block freed (a calloc'd array of the graph or an analysis) and keeps
 * every later one in its heap, and libdwarf's many small blocks leave
 * free space there that stays resident.  Set once at the start; the
 * trim after the work that leaves most (the layouts' and libc's DWARF,
 * before the graph is built). */
void phi_big_malloc_policy(void);
void phi_big_malloc_trim(void);

#endif
