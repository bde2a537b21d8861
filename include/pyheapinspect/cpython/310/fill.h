/* How full a collection's table is (list, dict, set, bytearray), and the
 * table a copy of it would get in CPython 3.10: the table entry behind
 * phi_heap_fill. */
#ifndef PYHEAPINSPECT_FILL310_H
#define PYHEAPINSPECT_FILL310_H

#include <stdbool.h>
#include <stdint.h>

#include "pyheapinspect/cpython/heap.h"

bool phi310_fill(const struct phi_heap *h, uint32_t node,
		 struct phi_fill *out);

#endif
