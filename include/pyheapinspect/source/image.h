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

#include "pyheapinspect/base/error.h"

struct phi_segment {
	uint64_t start, end; /* [start, end) of the target's addresses */
	unsigned char *data;
	bool owned;          /* data is ours to free */
};

/* A buffer that holds the copy of [start, end) of the target at data
 * (page aligned, data + (addr - start)), in a mapping of its own.  Only
 * the target's resident pages are copied into it, and only those count:
 * the rest of the mapping is address space that is never touched.  The
 * image's segments point into it. */
struct phi_backing {
	uint64_t start, end;
	unsigned char *data;
	void *map;               /* the mapping, for munmap */
	size_t map_len;
	uint64_t taken;          /* bytes taken from the memory budget */
};

/* [start, end) of the target that a mapping holds but that was not
 * copied (the memory budget): a reference into it is to an object the
 * image lacks, not to garbage. */
struct phi_hole {
	uint64_t start, end;
};

struct phi_image {
	struct phi_segment *seg; /* sorted by start, non-overlapping */
	size_t n, cap;
	struct phi_backing *back; /* owned, freed with the image */
	size_t nback, back_cap;
	struct phi_hole *holes;  /* sorted, non-overlapping */
	size_t nholes, holes_cap;
	/* Ranges whose local pages are faulted in, read or not (the copy's
	 * own bookkeeping, for a copy that reuses this one). */
	struct phi_hole *filled;
	size_t nfilled, filled_cap;
	uint64_t bytes;          /* total held (zeros included) */
	uint64_t zeros;          /* of which pages the target never wrote,
				  * read as the zeros they hold there and
				  * not copied (copy.c) */
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

/* Add a segment whose buffer (from phi_big_alloc) the image takes
 * over and frees. */
int phi_image_adopt(struct phi_image *img, uint64_t start, void *data,
		    size_t len, struct phi_error *err);

/* Hand a backing over to the image, which frees it (and gives its bytes
 * back to the budget) on release. */
int phi_image_add_backing(struct phi_image *img, const struct phi_backing *b,
			  struct phi_error *err);

/* Free a backing that no image holds. */
void phi_backing_free(struct phi_backing *b);

/* Record a hole (kept sorted; holes are added in address order by the
 * copy, any order works). */
int phi_image_add_hole(struct phi_image *img, uint64_t start, uint64_t end,
		       struct phi_error *err);

/* Whether addr lies in a hole: memory the target has but the image was
 * not allowed to copy. */
bool phi_image_in_hole(const struct phi_image *img, uint64_t addr);

/* Record [start, end) as faulted in (in address order), and ask whether
 * a range is within one such record. */
int phi_image_add_filled(struct phi_image *img, uint64_t start,
			 uint64_t end, struct phi_error *err);
bool phi_image_filled(const struct phi_image *img, uint64_t start,
		      uint64_t end);

/* The index of the first filled range that ends after addr (nfilled
 * when none does).  Outside those ranges a live capture holds only the
 * zeros of pages the target never wrote, or nothing: a scan for what the
 * target wrote can skip them. */
size_t phi_image_filled_after(const struct phi_image *img, uint64_t addr);

/* Local address of [addr, addr+len) or NULL when not wholly covered. */
const void *phi_image_ptr(const struct phi_image *img, uint64_t addr,
			  size_t len);

/* Bytes copied from the target (the zeros not counted). */
static inline uint64_t phi_image_copied(const struct phi_image *img)
{
	return img->bytes - img->zeros;
}

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

/* The 8 bytes at addr, or 0 when the image does not hold them: for
 * pointers, where 0 (NULL) already means "nothing there". */
static inline uint64_t phi_image_word(const struct phi_image *img,
				      uint64_t addr)
{
	uint64_t v = 0;

	phi_image_u64(img, addr, &v);
	return v;
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
