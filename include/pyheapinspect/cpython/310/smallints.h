/* The small-int cache: interp->small_ints[], values -5..256. */
#ifndef PYHEAPINSPECT_SMALLINTS_H
#define PYHEAPINSPECT_SMALLINTS_H

#include <stdbool.h>
#include <stdint.h>

#include "pyheapinspect/error.h"
#include "pyheapinspect/image.h"
#include "pyheapinspect/layout.h"

struct phi_small_int {
	int value;           /* the value the slot should hold */
	uint64_t address;    /* the cached object (0 if the slot is empty) */
	int64_t refcnt;
	bool readable;       /* the object header was in the image */
	bool type_ok;        /* ob_type is int */
	bool value_ok;       /* its digits decode to `value` */
	int64_t decoded;     /* what they decode to, when readable */
};

struct phi_small_ints {
	struct phi_small_int v[PHI_SMALL_INTS];
	int mismatches;      /* slots whose object is not what it should be */
};

/* Read and verify every slot of the cache of interpreter `interp`. */
int phi_small_ints_read(struct phi_small_ints *out,
			const struct phi_image *img,
			const struct phi_layout *lay, uint64_t interp,
			uint64_t long_type, struct phi_error *err);

#endif
