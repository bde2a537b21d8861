/* Naming an object: MODULE:NAME[.ATTR|[KEY]]... resolved in the image. */
#ifndef PYHEAPINSPECT_EXPR_H
#define PYHEAPINSPECT_EXPR_H

#include <stdint.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/heap.h"

/* Resolve expr to a node of the heap: the module from the main
 * interpreter's sys.modules, then attributes (module globals, instance
 * __dict__ and __slots__, class attributes), [KEY] for dicts with str
 * ('x' or "x") or int keys, [i] for lists and tuples (negative from the
 * end).  An unknown module, attribute, key or index is PHI_E_NOT_FOUND
 * with a clear message. */
int phi310_resolve(const struct phi_heap *h, const char *expr,
		   uint32_t *node, struct phi_error *err);

#endif
