/* Scratch arrays of the analyses (a few bytes per object each, touched
 * once and soon freed) in their own mappings with MADV_HUGEPAGE.
 *
 * Why: on the VMs this runs on a first touch of a 4 KiB page costs about
 * 15 µs, so a 4 MiB array costs 15 ms in page faults before any work; in
 * 2 MiB pages it costs two faults (the kernel still clears the pages, at
 * a fraction of that cost: at 10^6 objects the analyses went from about
 * 17,000 faults to 1,700 and took about half the time).  Transparent
 * huge pages are usually in `madvise` mode, so malloc's memory never
 * gets them.  The mapping
 * starts on a 2 MiB boundary (mapped with 2 MiB to spare, then trimmed)
 * and ends at the array's last 4 KiB page, so a huge page covers only
 * the array (the RSS stays what the array touches), unless rounding the
 * end up to a huge page wastes at most 1/16 of the array: an array of
 * 4.1 MB then takes two faults, not one and 480.  Arrays too small for
 * a huge page, or a kernel without THP, get ordinary pages: nothing
 * else changes.
 *
 * A header in front of the data records the mapping (malloc's pointer
 * for small arrays), so free needs no size. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "pyheapinspect/scratch.h"

#define HUGE_SIZE ((size_t)2 << 20)
#define SMALL_PAGE ((size_t)4096)
/* Rounding up to a huge page may waste this share of the array. */
#define WASTE_SHIFT 4
/* Below this no huge page fits, and malloc's pages (often reused) beat
 * a mapping of our own. */
#define MIN_MAPPED (HUGE_SIZE - (HUGE_SIZE >> WASTE_SHIFT))
/* The header keeps the data 64-byte aligned. */
#define HDR_SIZE ((size_t)64)

struct hdr {
	void *base;     /* mapping, or malloc's pointer */
	size_t maplen;  /* 0 for malloc */
};

static void *map_aligned(size_t len)
{
	size_t span = len + HUGE_SIZE;
	char *m = mmap(NULL, span, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *start;
	size_t head, tail;

	if (m == MAP_FAILED)
		return NULL;
	start = (char *)(((uintptr_t)m + HUGE_SIZE - 1) &
			 ~(uintptr_t)(HUGE_SIZE - 1));
	head = (size_t)(start - m);
	tail = span - head - len;
	if (head)
		munmap(m, head);
	if (tail)
		munmap(start + len, tail);
	/* Advice only: without THP the pages are ordinary ones. */
	(void)madvise(start, len, MADV_HUGEPAGE);
	return start;
}

void *phi_scratch_calloc(size_t nmemb, size_t size)
{
	size_t bytes, len;
	struct hdr *h;

	if (size && nmemb > (SIZE_MAX - HDR_SIZE - 2 * HUGE_SIZE) / size)
		return NULL;
	bytes = nmemb * size + HDR_SIZE;
	if (bytes < MIN_MAPPED) {
		char *p = calloc(1, bytes);

		if (!p)
			return NULL;
		h = (struct hdr *)p;
		h->base = p;
		h->maplen = 0;
		return p + HDR_SIZE;
	}
	len = (bytes + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1);
	if (len - bytes > bytes >> WASTE_SHIFT)
		len = (bytes + SMALL_PAGE - 1) & ~(SMALL_PAGE - 1);
	h = map_aligned(len);
	if (!h)
		return NULL;
	h->base = h;
	h->maplen = len;
	return (char *)h + HDR_SIZE;
}

void phi_scratch_free(void *p)
{
	struct hdr *h;

	if (!p)
		return;
	h = (struct hdr *)((char *)p - HDR_SIZE);
	if (h->maplen)
		munmap(h->base, h->maplen);
	else
		free(h->base);
}
