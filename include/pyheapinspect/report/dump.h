/* The JSON Lines dump of the whole graph, one object per line, streamed
 * (docs/schema.md). */
#ifndef PYHEAPINSPECT_DUMP_H
#define PYHEAPINSPECT_DUMP_H

#include <stdio.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/heap.h"
#include "pyheapinspect/cpython/traces.h"

/* With t (tracemalloc's traces, read), each line also gives its
 * object's allocation traceback as an id, defined once on the first
 * line that uses it; t may be NULL. */
int phi_dump_jsonl(FILE *out, const struct phi_heap *h,
		   const struct phi_traces *t, struct phi_error *err);

#endif
