/* The small-int cache: interp->small_ints[], values -5..256. */
#ifndef PYHEAPINSPECT_SMALLINTS_H
#define PYHEAPINSPECT_SMALLINTS_H

#include <stdint.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/python.h"
#include "pyheapinspect/cpython/310/layout.h"
#include "pyheapinspect/source/image.h"

/* Read and verify every slot of the cache of interpreter `interp`. */
int phi_small_ints_read(struct phi_small_ints *out,
			const struct phi_image *img,
			const struct phi_layout *lay, uint64_t interp,
			uint64_t long_type, struct phi_error *err);

/* The table entry: the main interpreter's cache. */
int phi310_small_ints(const struct phi_python *py,
		      const struct phi_image *img,
		      const struct phi_runtime *rt,
		      struct phi_small_ints *out, struct phi_error *err);

#endif
