/* How many objects a CPython 3.10 heap holds, guessed from a sample of
 * the image before the walk, to size the graph's hash: the size of the
 * image alone says nothing when it holds a few large objects. */
#ifndef PYHEAPINSPECT_ESTIMATE_H
#define PYHEAPINSPECT_ESTIMATE_H

#include <stdint.h>

#include "pyheapinspect/cpython/310/layout.h"
#include "pyheapinspect/source/image.h"

uint64_t phi310_estimate_objects(const struct phi_image *img,
				 const struct phi_layout *lay);

#endif
