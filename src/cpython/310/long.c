/* int objects: v = sum(digit[i] << 30*i), sign from ob_size. */
#include <string.h>

#include "pyheapinspect/cpython/310/long.h"

/* Digits beyond this many never fit in an int64 (3 * 30 > 63). */
#define FIT_DIGITS 3

bool phi_long_read(const struct phi_image *img, const struct phi_layout *lay,
		   uint64_t addr, struct phi_long *out)
{
	uint64_t ndigits, mag = 0;
	const unsigned char *d;
	bool big = false;

	if (!phi_image_i64(img, addr + PHI_L(lay, OB_SIZE), &out->ob_size))
		return false;
	ndigits = out->ob_size < 0 ? -(uint64_t)out->ob_size :
				     (uint64_t)out->ob_size;
	/* The digits must be in the image: this also caps ndigits. */
	if (ndigits > phi_image_avail(img, addr + PHI_L(lay, LONG_DIGIT)) / 4)
		return false;
	d = phi_image_ptr(img, addr + PHI_L(lay, LONG_DIGIT), ndigits * 4);
	if (ndigits && !d)
		return false;
	for (uint64_t i = 0; i < ndigits; i++) {
		uint32_t digit;

		memcpy(&digit, d + 4 * i, 4);
		if (digit >> PHI_LONG_SHIFT)
			return false;
		if (i >= FIT_DIGITS || (i == FIT_DIGITS - 1 && digit >> 4))
			big |= digit != 0;
		else
			mag |= (uint64_t)digit << (PHI_LONG_SHIFT * i);
	}
	/* mag < 2^64 here; the value fits when |v| <= 2^63 - 1, or is
	 * exactly -2^63. */
	out->fits = !big && (mag < (1ULL << 63) ||
			     (out->ob_size < 0 && mag == (1ULL << 63)));
	if (!out->fits)
		out->value = 0;
	else if (out->ob_size < 0)
		out->value = mag == (1ULL << 63) ? INT64_MIN : -(int64_t)mag;
	else
		out->value = (int64_t)mag;
	return true;
}
