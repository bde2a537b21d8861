/* int objects: v = sum(digit[i] << 30*i), sign from ob_size. */
#include <stdlib.h>

#include "pyheapinspect/pylong.h"

/* Digits beyond this many never fit in an int64 (3 * 30 > 63). */
#define FIT_DIGITS 3

bool phi_long_read(const struct phi_image *img, const struct phi_layout *lay,
		   uint64_t addr, struct phi_long *out)
{
	uint64_t ndigits, acc = 0;
	const uint32_t *d;

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
	out->fits = ndigits <= FIT_DIGITS;
	for (uint64_t i = 0; i < ndigits; i++) {
		uint32_t digit;

		__builtin_memcpy(&digit, d + i, 4);
		if (digit >> PHI_LONG_SHIFT)
			return false;
		if (i < FIT_DIGITS)
			acc |= (uint64_t)digit << (PHI_LONG_SHIFT * i);
	}
	/* Three digits hold 90 bits: fits only if the value is < 2^63. */
	if (out->fits && (acc >> 63))
		out->fits = false;
	if (ndigits == FIT_DIGITS && d && (d[2] >> 3))
		out->fits = false;
	out->value = out->ob_size < 0 ? -(int64_t)acc : (int64_t)acc;
	return true;
}
