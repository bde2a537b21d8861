/* Naming an object: MODULE:NAME[.ATTR|[KEY]]... resolved in the image. */
#ifndef PYHEAPINSPECT_EXPR_H
#define PYHEAPINSPECT_EXPR_H

#include <stdint.h>

#include "pyheapinspect/error.h"
#include "pyheapinspect/heap.h"
#include "pyheapinspect/image.h"
#include "pyheapinspect/runtime.h"
#include "pyheapinspect/target.h"

/* Resolve expr to a node of the heap: the module from sys.modules, then
 * attributes (module globals, instance __dict__ and __slots__, class
 * attributes), [KEY] for dicts with str ('x' or "x") or int keys, [i] for
 * lists and tuples (negative from the end).  An unknown module,
 * attribute, key or index is PHI_E_NOT_FOUND with a clear message. */
int phi_expr_resolve(const struct phi_heap *h, const struct phi_image *img,
		     const struct phi_target *t, const struct phi_runtime *rt,
		     const char *expr, uint32_t *node, struct phi_error *err);

/* "0x7f..." naming an object of the heap. */
int phi_address_resolve(const struct phi_heap *h, const char *text,
			uint32_t *node, struct phi_error *err);

#endif
