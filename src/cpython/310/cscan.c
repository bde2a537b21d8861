/* The conservative scan (cstate.h): for a C type whose layout neither a
 * built-in decoder nor DWARF gives, the words of its fixed part that are
 * addresses of valid objects.  What the scan finds is kept as edges
 * marked conservative, so that the memory they lead to is attributed
 * (retained by its holder) instead of being lost; a word that merely
 * looks like an object's address (a stale pointer, a borrowed one) may
 * make an edge that tp_traverse would not visit, which is why they are
 * marked.  A candidate is validated as the graph builder validates any
 * object (aligned, its header in the image, a positive refcount, a type
 * that validates), so the scan never adds what the builder would
 * refuse. */
#include <string.h>

#include "pyheapinspect/cpython/310/cstate.h"
#include "pyheapinspect/cpython/310/py310.h"
#include "pyheapinspect/cpython/310/types.h"

/* Refcounts above this are no object's (2^40 references would need
 * 8 TiB of pointers). */
#define MAX_REFCNT ((int64_t)1 << 40)

static bool skipped(uint64_t off, const int64_t *skip, size_t nskip)
{
	for (size_t i = 0; i < nskip; i++)
		if (skip[i] >= 0 && (uint64_t)skip[i] == off)
			return true;
	return false;
}

static bool is_object(const struct phi_cobj *o, uint64_t p)
{
	const struct phi_layout *lay = o->d->lay;
	int64_t refcnt = 0;
	uint64_t type = 0;

	if (!p || (p & 7) || p == o->addr ||
	    !phi_image_i64(o->d->img, p + (uint64_t)PHI_L(lay, OB_REFCNT),
			   &refcnt) ||
	    !phi_image_u64(o->d->img, p + (uint64_t)PHI_L(lay, OB_TYPE),
			   &type) ||
	    refcnt <= 0 || refcnt > MAX_REFCNT || !type)
		return false;
	return phi_types_get(o->d->types, type) != UINT32_MAX;
}

uint32_t phi_cscan(const struct phi_cobj *o, uint64_t base, uint64_t from,
		   uint64_t to, const int64_t *skip, size_t nskip)
{
	const unsigned char *p;
	uint32_t n = 0;

	if (to <= from || to - from > (1u << 20))
		return 0;
	p = phi_image_ptr(o->d->img, base + from, to - from);
	if (!p) {
		o->d->bad_fields++;
		return 0;
	}
	for (uint64_t off = from; off + 8 <= to; off += 8) {
		uint64_t v;

		memcpy(&v, p + (off - from), 8);
		if (base == o->addr && skipped(off, skip, nskip))
			continue;
		if (!is_object(o, v))
			continue;
		o->visit(o->vctx, v, PHI_REF_CONSERVATIVE);
		n++;
	}
	return n;
}
