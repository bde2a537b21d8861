/* Sizes summed and multiplied without wrapping.  Every size comes from
 * the target's memory, which may claim anything: two ints of ob_size
 * 2^61 must not make a heap's total wrap to a small, believable figure.
 * Sizes are Py_ssize_t in CPython, so they saturate at PY_SSIZE_T_MAX
 * (INT64_MAX), which every reporter prints as it is (JSON integers are
 * signed 64-bit).  And sizes written for people, the one format of
 * every text output (the report, the DOT labels, the progress line). */
#ifndef PYHEAPINSPECT_SIZES_H
#define PYHEAPINSPECT_SIZES_H

#include <stddef.h>
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

/* 1234567 -> "1.2 MiB", below 1 KiB "1000 B" (len >= 24). */
const char *phi_size_text(uint64_t n, char *buf, size_t len);

#endif
