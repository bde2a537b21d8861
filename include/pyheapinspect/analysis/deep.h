/* Deep size: the objects one object holds, each counted once. */
#ifndef PYHEAPINSPECT_DEEP_H
#define PYHEAPINSPECT_DEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/heap.h"

struct phi_deep {
	uint64_t size;          /* sum of sys.getsizeof, each object once */
	uint64_t objects;
	uint64_t references;    /* references followed */
	uint64_t shared_refs;   /* ... that met an object already counted */
	uint64_t sharing_saved; /* bytes a count without de-duplication
				 * would have added */
	uint64_t outside_objects; /* objects of the deep set (other than the
				   * named one) also referenced from outside
				   * it */
	uint64_t outside_size;
};

/* The deep set follows container contents (dict keys and values, items
 * of list, tuple, set, frozenset, deque), an instance's __dict__ and
 * __slots__ values; it never enters types, modules, functions, code
 * objects or frames, and str/bytes are leaves.  indeg may be NULL (then
 * outside_* stay 0).  mark is scratch of g->n bytes, zero on entry and
 * zero again on return. */
int phi_deep_size(const struct phi_heap *h, uint32_t node,
		  const uint32_t *indeg, uint8_t *mark, struct phi_deep *out,
		  struct phi_error *err);

#endif
