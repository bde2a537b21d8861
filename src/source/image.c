/* The memory image: a sorted set of copied segments, and the lookups
 * every decoder makes through it. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pyheapinspect/base/bigmem.h"
#include "pyheapinspect/base/budget.h"
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

void phi_backing_free(struct phi_backing *b)
{
	if (b->map)
		munmap(b->map, b->map_len);
	phi_budget_give(b->taken);
	memset(b, 0, sizeof(*b));
}

void phi_image_release(struct phi_image *img)
{
	if (cache_img == img)
		cache_img = NULL;
	for (size_t i = 0; i < img->n; i++)
		if (img->seg[i].owned)
			phi_big_free(img->seg[i].data);
	for (size_t i = 0; i < img->nback; i++)
		phi_backing_free(&img->back[i]);
	free(img->seg);
	free(img->back);
	free(img->holes);
	free(img->filled);
	memset(img, 0, sizeof(*img));
}

int phi_image_add_backing(struct phi_image *img, const struct phi_backing *b,
			  struct phi_error *err)
{
	if (img->nback == img->back_cap) {
		size_t ncap = img->back_cap ? img->back_cap * 2 : 16;
		struct phi_backing *nb = realloc(img->back,
						 ncap * sizeof(*nb));

		if (!nb)
			return phi_error_set(err, PHI_E_NO_MEMORY,
					     "out of memory");
		img->back = nb;
		img->back_cap = ncap;
	}
	img->back[img->nback++] = *b;
	return 0;
}

static size_t hole_index(const struct phi_image *img, uint64_t addr)
{
	size_t lo = 0, hi = img->nholes;

	/* First hole whose start is > addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (img->holes[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int phi_image_add_hole(struct phi_image *img, uint64_t start, uint64_t end,
		       struct phi_error *err)
{
	size_t at;

	if (end <= start)
		return 0;
	at = hole_index(img, start);
	if ((at > 0 && img->holes[at - 1].end > start) ||
	    (at < img->nholes && img->holes[at].start < end))
		return phi_error_set(err, PHI_E_INTERNAL,
				     "overlapping image holes");
	if (img->nholes == img->holes_cap) {
		size_t ncap = img->holes_cap ? img->holes_cap * 2 : 16;
		struct phi_hole *nh = realloc(img->holes, ncap * sizeof(*nh));

		if (!nh)
			return phi_error_set(err, PHI_E_NO_MEMORY,
					     "out of memory");
		img->holes = nh;
		img->holes_cap = ncap;
	}
	memmove(&img->holes[at + 1], &img->holes[at],
		(img->nholes - at) * sizeof(*img->holes));
	img->holes[at] = (struct phi_hole){ start, end };
	img->nholes++;
	return 0;
}

bool phi_image_in_hole(const struct phi_image *img, uint64_t addr)
{
	size_t at = hole_index(img, addr);

	return at > 0 && addr < img->holes[at - 1].end;
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

int phi_image_add_filled(struct phi_image *img, uint64_t start,
			 uint64_t end, struct phi_error *err)
{
	struct phi_hole *last = img->nfilled ? &img->filled[img->nfilled - 1] :
					       NULL;

	if (end <= start)
		return 0;
	if (last && start < last->end)
		return phi_error_set(err, PHI_E_INTERNAL,
				     "filled ranges out of order");
	if (last && start == last->end) {
		last->end = end;
		return 0;
	}
	if (img->nfilled == img->filled_cap) {
		size_t ncap = img->filled_cap ? img->filled_cap * 2 : 64;
		struct phi_hole *nf = realloc(img->filled, ncap * sizeof(*nf));

		if (!nf)
			return phi_error_set(err, PHI_E_NO_MEMORY,
					     "out of memory");
		img->filled = nf;
		img->filled_cap = ncap;
	}
	img->filled[img->nfilled++] = (struct phi_hole){ start, end };
	return 0;
}

bool phi_image_filled(const struct phi_image *img, uint64_t start,
		      uint64_t end)
{
	size_t lo = 0, hi = img->nfilled;

	/* First range whose start is > start. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (img->filled[mid].start <= start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && end <= img->filled[lo - 1].end;
}

size_t phi_image_filled_after(const struct phi_image *img, uint64_t addr)
{
	size_t lo = 0, hi = img->nfilled;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (img->filled[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}
