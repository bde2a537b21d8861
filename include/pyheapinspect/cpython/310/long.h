/* Decoding int objects (PyLongObject): sign, digits and value. */
#ifndef PYHEAPINSPECT_PYLONG_H
#define PYHEAPINSPECT_PYLONG_H

#include <stdbool.h>
#include <stdint.h>

#include "pyheapinspect/source/image.h"
#include "pyheapinspect/cpython/310/layout.h"

struct phi_long {
	int64_t ob_size;  /* sign and digit count, as stored */
	bool fits;        /* value fits in int64 */
	int64_t value;    /* valid when fits */
};

/* Read the int at addr.  False when the header or the digits are not in
 * the image or a digit uses more than 30 bits. */
bool phi_long_read(const struct phi_image *img, const struct phi_layout *lay,
		   uint64_t addr, struct phi_long *out);

#endif
