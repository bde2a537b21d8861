/* The memory image: a sorted set of copied segments, and the lookups
 * every decoder makes through it. */
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/base/bigmem.h"
#include "pyheapinspect/source/image.h"

/* The segment of the last lookup: decoders read object after object in
 * the same arena, so most lookups hit it without a binary search.  Reset
 * whenever an image changes its segments. */
static __thread const struct phi_image *cache_img;
static __thread size_t cache_at;

void phi_image_init(struct phi_image *img)
{
	if (cache_img == img)
		cache_img = NULL;
	memset(img, 0, sizeof(*img));
}

void phi_image_release(struct phi_image *img)
{
	if (cache_img == img)
		cache_img = NULL;
	for (size_t i = 0; i < img->n; i++)
		if (img->seg[i].owned)
			phi_big_free(img->seg[i].data);
	free(img->seg);
	memset(img, 0, sizeof(*img));
}

static size_t find_index(const struct phi_image *img, uint64_t addr)
{
	size_t lo = 0, hi = img->n;

	/* First segment whose start is > addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (img->seg[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int phi_image_add(struct phi_image *img, uint64_t start, const void *data,
		  size_t len, bool copy, struct phi_error *err)
{
	struct phi_segment s = { .start = start, .end = start + len };
	size_t at;

	if (len == 0)
		return 0;
	if (cache_img == img)
		cache_img = NULL;
	if (s.end < start)
		return phi_error_set(err, PHI_E_CORRUPT, "segment wraps");
	at = find_index(img, start);
	if ((at > 0 && img->seg[at - 1].end > start) ||
	    (at < img->n && img->seg[at].start < s.end))
		return phi_error_set(err, PHI_E_INTERNAL,
				     "overlapping image segments");
	if (img->n == img->cap) {
		size_t ncap = img->cap ? img->cap * 2 : 64;
		struct phi_segment *ns = realloc(img->seg, ncap * sizeof(*ns));

		if (!ns)
			return phi_error_set(err, PHI_E_NO_MEMORY,
					     "out of memory");
		img->seg = ns;
		img->cap = ncap;
	}
	if (copy) {
		s.data = phi_big_alloc(len);
		if (!s.data)
			return phi_error_set(err, PHI_E_NO_MEMORY,
					     "out of memory copying %zu bytes",
					     len);
		memcpy(s.data, data, len);
		s.owned = true;
	} else {
		s.data = (unsigned char *)data;
	}
	memmove(&img->seg[at + 1], &img->seg[at],
		(img->n - at) * sizeof(*img->seg));
	img->seg[at] = s;
	img->n++;
	img->bytes += len;
	return 0;
}

static const struct phi_segment *segment_of(const struct phi_image *img,
					    uint64_t addr)
{
	const struct phi_segment *s;
	size_t at;

	if (cache_img == img) {
		s = &img->seg[cache_at];
		if (addr >= s->start && addr < s->end)
			return s;
	}
	at = find_index(img, addr);
	if (at == 0 || addr >= img->seg[at - 1].end)
		return NULL;
	cache_img = img;
	cache_at = at - 1;
	return &img->seg[at - 1];
}

const void *phi_image_ptr(const struct phi_image *img, uint64_t addr,
			  size_t len)
{
	const struct phi_segment *s = segment_of(img, addr);

	if (!s || len > s->end - addr)
		return NULL;
	return s->data + (addr - s->start);
}

size_t phi_image_avail(const struct phi_image *img, uint64_t addr)
{
	const struct phi_segment *s = segment_of(img, addr);

	return s ? (size_t)(s->end - addr) : 0;
}

int phi_image_adopt(struct phi_image *img, uint64_t start, void *data,
		    size_t len, struct phi_error *err)
{
	int rc = phi_image_add(img, start, data, len, false, err);

	if (rc == 0 && len)
		img->seg[find_index(img, start) - 1].owned = true;
	return rc;
}

unsigned char *phi_image_take(struct phi_image *img, uint64_t start,
			      uint64_t end)
{
	size_t at = find_index(img, start);
	struct phi_segment *s;

	if (at == 0)
		return NULL;
	s = &img->seg[at - 1];
	if (s->start != start || s->end != end || !s->owned)
		return NULL;
	s->owned = false;
	return s->data;
}
