/* CPython 3.10's tracemalloc, read from the image: the tables of
 * Modules/_tracemalloc.c (traces per domain, tracebacks, filenames),
 * validated, and joined with the heap's objects (cpython/traces.h). */
#ifndef PYHEAPINSPECT_TRACEMALLOC_H
#define PYHEAPINSPECT_TRACEMALLOC_H

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/heap.h"
#include "pyheapinspect/cpython/traces.h"

int phi310_traces(const struct phi_heap *h, bool summary,
		  struct phi_traces *out, struct phi_error *err);

#endif
