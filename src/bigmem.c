/* Large arrays in their own mappings.  A 64-byte header before the data
 * keeps the mapping's length, so the calls look like malloc's.  Growth
 * uses mremap, which moves page tables instead of copying data, and
 * populates only the new part. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pyheapinspect/bigmem.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

#define HEADER 64
#define PAGE 4096
/* One madvise call holds the process's mmap lock for its whole range:
 * chunks let another thread (the layout thread, whose allocations need
 * that lock for writing) get in between. */
#define POPULATE_CHUNK (2u << 20)

struct header {
	size_t map_len; /* the whole mapping, header included */
};

static size_t map_len_for(size_t bytes)
{
	if (bytes > SIZE_MAX - HEADER - PAGE)
		return 0;
	return (bytes + HEADER + PAGE - 1) & ~(size_t)(PAGE - 1);
}

void phi_populate(void *p, size_t len)
{
	uintptr_t start = ((uintptr_t)p + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
	uintptr_t end = ((uintptr_t)p + len) & ~(uintptr_t)(PAGE - 1);

	/* Older kernels refuse the advice (EINVAL) and the pages fault in
	 * on first use instead. */
	for (uintptr_t a = start; a < end; a += POPULATE_CHUNK) {
		size_t n = end - a < POPULATE_CHUNK ? end - a : POPULATE_CHUNK;

		if (madvise((void *)a, n, MADV_POPULATE_WRITE) < 0)
			return;
	}
}

#if defined(__SANITIZE_ADDRESS__)
#define PHI_BIGMEM_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PHI_BIGMEM_MALLOC 1
#endif
#endif

#ifdef PHI_BIGMEM_MALLOC
/* Under AddressSanitizer: malloc, whose red zones catch overruns that a
 * private mapping would let through. */
void *phi_big_alloc(size_t bytes)
{
	unsigned char *base = bytes <= SIZE_MAX - HEADER
				      ? calloc(1, bytes + HEADER)
				      : NULL;

	if (!base)
		return NULL;
	((struct header *)base)->map_len = bytes;
	return base + HEADER;
}

void *phi_big_realloc(void *p, size_t bytes)
{
	unsigned char *base, *nbase;
	size_t old;

	if (!p)
		return phi_big_alloc(bytes);
	if (bytes > SIZE_MAX - HEADER)
		return NULL;
	base = (unsigned char *)p - HEADER;
	old = ((struct header *)base)->map_len;
	nbase = realloc(base, bytes + HEADER);
	if (!nbase)
		return NULL;
	if (bytes > old)
		memset(nbase + HEADER + old, 0, bytes - old);
	((struct header *)nbase)->map_len = bytes;
	return nbase + HEADER;
}

void phi_big_free(void *p)
{
	if (p)
		free((unsigned char *)p - HEADER);
}
#else
/* Fault in [from, to) of a mapping. */
static void populate(unsigned char *base, size_t from, size_t to)
{
	from &= ~(size_t)(PAGE - 1);
	if (to > from)
		phi_populate(base + from, to - from);
}

void *phi_big_alloc(size_t bytes)
{
	size_t len = map_len_for(bytes);
	unsigned char *base;

	if (!len)
		return NULL;
	base = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	populate(base, 0, len);
	((struct header *)base)->map_len = len;
	return base + HEADER;
}

void *phi_big_realloc(void *p, size_t bytes)
{
	unsigned char *base, *nbase;
	size_t old, len = map_len_for(bytes);

	if (!p)
		return phi_big_alloc(bytes);
	if (!len)
		return NULL;
	base = (unsigned char *)p - HEADER;
	old = ((struct header *)base)->map_len;
	if (len == old)
		return p;
	nbase = mremap(base, old, len, MREMAP_MAYMOVE);
	if (nbase == MAP_FAILED)
		return NULL;
	/* Pages beyond the old length are fresh zero pages. */
	if (len > old)
		populate(nbase, old, len);
	((struct header *)nbase)->map_len = len;
	return nbase + HEADER;
}

void phi_big_free(void *p)
{
	unsigned char *base;

	if (!p)
		return;
	base = (unsigned char *)p - HEADER;
	munmap(base, ((struct header *)base)->map_len);
}
#endif
