/* The object count guessed from a sample (estimate.h).
 *
 * Objects start on 16-byte boundaries (pymalloc's alignment, and
 * malloc's).  SAMPLES such boundaries drawn at random over the image are
 * tested for an object header: a refcount in [1, 2^32) and a type
 * pointer whose type's type reaches a fixed point within two steps (a
 * class's type is `type`, or a metaclass whose type is `type`).  Freed
 * blocks start with a pointer, not a small count, and data rarely looks
 * like that.  The share of hits times the image's 16-byte slots counts
 * the objects no root reaches too (cyclic garbage, what only C code
 * holds): 1.3 to 1.9 times what the walk finds on the bench heaps, idle
 * threads, a web application and a large bytes object, so the guess is
 * three quarters of it (the sample's own error is about 2.5% at the
 * bench heaps' share), never below what the walk starts with.  It
 * costs three or four reads per sample, a few milliseconds, and reads
 * the image only: a wrong guess costs a rehash or some memory, nothing
 * else. */
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/cpython/310/estimate.h"

#define SAMPLES 8192
#define MIN_GUESS 4096

static uint64_t next_random(uint64_t *s)
{
	/* splitmix64: fixed seed, so that a run is reproducible. */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t type_of(const struct phi_image *img,
			const struct phi_layout *lay, uint64_t obj)
{
	return obj && !(obj & 7) ?
		phi_image_word(img, obj + (uint64_t)PHI_L(lay, OB_TYPE)) : 0;
}

static bool looks_like_object(const struct phi_image *img,
			      const struct phi_layout *lay, uint64_t addr)
{
	uint64_t refcnt = phi_image_word(img, addr +
					 (uint64_t)PHI_L(lay, OB_REFCNT));
	uint64_t t = type_of(img, lay, addr), m, mm;

	if (refcnt == 0 || refcnt >> 32 || !t)
		return false;
	m = type_of(img, lay, t);
	mm = type_of(img, lay, m);
	return m && mm && (mm == m || type_of(img, lay, mm) == mm);
}

uint64_t phi310_estimate_objects(const struct phi_image *img,
				 const struct phi_layout *lay)
{
	uint64_t *ends, total = 0, seed = 0x5eed, hits = 0, guess;

	if (!img->n || !(ends = malloc(img->n * sizeof(*ends))))
		return MIN_GUESS;
	/* ends[i]: bytes of segments 0..i, to draw a byte uniformly. */
	for (size_t i = 0; i < img->n; i++) {
		total += img->seg[i].end - img->seg[i].start;
		ends[i] = total;
	}
	for (int k = 0; k < SAMPLES && total; k++) {
		uint64_t at = next_random(&seed) % total;
		size_t lo = 0, hi = img->n - 1;
		uint64_t addr;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (ends[mid] > at)
				hi = mid;
			else
				lo = mid + 1;
		}
		addr = img->seg[lo].end - (ends[lo] - at);
		hits += looks_like_object(img, lay, addr & ~(uint64_t)15);
	}
	free(ends);
	guess = (uint64_t)((double)hits / SAMPLES * (double)(total / 16) *
			   0.75);
	return guess < MIN_GUESS ? MIN_GUESS : guess;
}
