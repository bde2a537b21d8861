/* CPython 3.10's heap: every live object reachable from the
 * interpreters' roots (modules, threads' frames, caches, singletons,
 * interned strings) and the GC lists, decoded into the graph. */
#ifndef PYHEAPINSPECT_WALK_H
#define PYHEAPINSPECT_WALK_H

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/heap.h"

/* Fill h (zeroed, with py, img and rt set). */
int phi310_heap_build(struct phi_heap *h, const struct phi_heap_opts *o,
		      struct phi_error *err);
/* The type table, which phi310_heap_build made. */
void phi310_heap_release(struct phi_heap *h);

#endif
