/* Small-int cache: one pointer per value, each checked against the value
 * it must hold so that a torn or corrupt read shows up as a mismatch. */
#include <string.h>

#include "pyheapinspect/cpython/310/long.h"
#include "pyheapinspect/cpython/310/py310.h"
#include "pyheapinspect/cpython/310/smallints.h"

static void check_slot(struct phi_small_int *s, const struct phi_image *img,
		       const struct phi_layout *lay, uint64_t long_type)
{
	struct phi_long l;
	uint64_t type;

	if (!s->address)
		return;
	if (!phi_image_i64(img, s->address + PHI_L(lay, OB_REFCNT),
			   &s->refcnt) ||
	    !phi_image_u64(img, s->address + PHI_L(lay, OB_TYPE), &type))
		return;
	s->readable = true;
	s->type_ok = type == long_type;
	if (phi_long_read(img, lay, s->address, &l) && l.fits) {
		s->decoded = l.value;
		s->value_ok = s->type_ok && l.value == s->value;
	}
}

int phi_small_ints_read(struct phi_small_ints *out,
			const struct phi_image *img,
			const struct phi_layout *lay, uint64_t interp,
			uint64_t long_type, struct phi_error *err)
{
	uint64_t base = interp + PHI_L(lay, IS_SMALL_INTS);

	memset(out, 0, sizeof(*out));
	out->n = PHI_SMALL_INTS;
	out->first = -PHI_SMALL_NEG_INTS;
	out->last = PHI_SMALL_POS_INTS - 1;
	if (!phi_image_ptr(img, base, 8 * PHI_SMALL_INTS))
		return phi_error_set(err, PHI_E_CORRUPT,
				     "the small-int cache at 0x%llx is not in "
				     "the target's readable memory",
				     (unsigned long long)base);
	for (int i = 0; i < PHI_SMALL_INTS; i++) {
		struct phi_small_int *s = &out->v[i];

		s->value = i - PHI_SMALL_NEG_INTS;
		phi_image_u64(img, base + 8 * (uint64_t)i, &s->address);
		check_slot(s, img, lay, long_type);
		if (!s->value_ok)
			out->mismatches++;
	}
	return 0;
}

int phi310_small_ints(const struct phi_python *py,
		      const struct phi_image *img,
		      const struct phi_runtime *rt,
		      struct phi_small_ints *out, struct phi_error *err)
{
	return phi_small_ints_read(out, img, phi310_layout(py),
				   rt->interp_main,
				   phi310(py)->sym[PHI_S_LONG_TYPE], err);
}
