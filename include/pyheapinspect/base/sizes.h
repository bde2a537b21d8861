/* Sizes summed and multiplied without wrapping.  Every size comes from
 * the target's memory, which may claim anything: two ints of ob_size
 * 2^61 must not make a heap's total wrap to a small, believable figure.
 * Sizes are Py_ssize_t in CPython, so they saturate at PY_SSIZE_T_MAX
 * (INT64_MAX), which every reporter prints as it is (JSON integers are
 * signed 64-bit).  Header only: it has no .c of its own. */
#ifndef PYHEAPINSPECT_SIZES_H
#define PYHEAPINSPECT_SIZES_H

#include <stdint.h>

#define PHI_SIZE_MAX ((uint64_t)INT64_MAX)

/* min(a + b, PHI_SIZE_MAX). */
static inline uint64_t phi_size_add(uint64_t a, uint64_t b)
{
	if (a >= PHI_SIZE_MAX || b >= PHI_SIZE_MAX - a)
		return PHI_SIZE_MAX;
	return a + b;
}

/* min(a * b, PHI_SIZE_MAX). */
static inline uint64_t phi_size_mul(uint64_t a, uint64_t b)
{
	if (a && b > PHI_SIZE_MAX / a)
		return PHI_SIZE_MAX;
	return a * b < PHI_SIZE_MAX ? a * b : PHI_SIZE_MAX;
}

#endif
