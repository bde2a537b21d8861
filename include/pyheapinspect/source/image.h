/* A local copy of the target's memory, taken while it is frozen.  Every
 * decoder reads the target through this image and never through a
 * syscall: a remote pointer is only usable if the image covers it, which
 * is also how untrusted pointers are validated. */
#ifndef PYHEAPINSPECT_IMAGE_H
#define PYHEAPINSPECT_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pyheapinspect/error.h"
#include "pyheapinspect/maps.h"
#include "pyheapinspect/reader.h"

struct phi_segment {
	uint64_t start, end; /* [start, end) of the target's addresses */
	unsigned char *data;
	bool owned;          /* data is ours to free */
};

struct phi_image {
	struct phi_segment *seg; /* sorted by start, non-overlapping */
	size_t n, cap;
	uint64_t bytes;          /* total copied */
	uint64_t unreadable;     /* bytes of listed mappings not readable */
	uint64_t skipped;        /* bytes of mappings larger than the memory
				  * limit, not copied */
	uint64_t nskipped;
	uint64_t syscalls;       /* reads it took */
};

void phi_image_init(struct phi_image *img);
void phi_image_release(struct phi_image *img);

/* Add a segment (kept in order).  With copy, data is duplicated;
 * otherwise the image borrows it.  Overlapping segments are refused. */
int phi_image_add(struct phi_image *img, uint64_t start, const void *data,
		  size_t len, bool copy, struct phi_error *err);

/* Copy every mapping the decoders may need: all readable, non-executable
 * mappings except the kernel's special ones.  max_bytes (0 = no limit)
 * refuses cleanly before copying more than that.  With reuse, the buffer
 * of a segment of reuse that covers exactly the same mapping is taken
 * over instead of a new one: a first copy taken while the target runs
 * makes the second, frozen one much faster (no page faults on either
 * side). */
struct phi_snapshot_opts {
	/* 0 = no limit.  A single mapping larger than the limit (a
	 * sanitizer's shadow, a huge reservation) is skipped and counted;
	 * if the rest is still larger, the copy is refused. */
	uint64_t max_bytes;
	struct phi_image *reuse;   /* may be NULL */
	/* With a deadline (CLOCK_MONOTONIC ms, 0 = none) the copy goes in
	 * pieces, and on_deadline(ctx) is called once, between two pieces,
	 * when the deadline has passed; the copy then goes on. */
	double deadline_ms;
	void (*on_deadline)(void *ctx);
	void *ctx;
};

int phi_image_snapshot(struct phi_image *img, struct phi_reader *r,
		       const struct phi_maps *maps,
		       const struct phi_snapshot_opts *o,
		       struct phi_error *err);

/* Local address of [addr, addr+len) or NULL when not wholly covered. */
const void *phi_image_ptr(const struct phi_image *img, uint64_t addr,
			  size_t len);

/* Bytes readable from addr up to the end of its segment (0 if none). */
size_t phi_image_avail(const struct phi_image *img, uint64_t addr);

/* Start loading `lines` cache lines of the image at addr (nothing when
 * addr is not in it): the decoders prefetch what they will read soon. */
static inline void phi_image_prefetch(const struct phi_image *img,
				      uint64_t addr, unsigned lines)
{
	const unsigned char *p = phi_image_ptr(img, addr, 1);

	for (unsigned k = 0; p && k < lines; k++)
		__builtin_prefetch(p + 64 * k);
}

static inline bool phi_image_u64(const struct phi_image *img, uint64_t addr,
				 uint64_t *out)
{
	const void *p = phi_image_ptr(img, addr, 8);

	if (!p)
		return false;
	memcpy(out, p, 8);
	return true;
}

static inline bool phi_image_i64(const struct phi_image *img, uint64_t addr,
				 int64_t *out)
{
	return phi_image_u64(img, addr, (uint64_t *)out);
}

static inline bool phi_image_u32(const struct phi_image *img, uint64_t addr,
				 uint32_t *out)
{
	const void *p = phi_image_ptr(img, addr, 4);

	if (!p)
		return false;
	memcpy(out, p, 4);
	return true;
}

#endif
