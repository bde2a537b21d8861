/* The JSON Lines dump of the whole graph, one object per line, streamed
 * (docs/schema.md). */
#ifndef PYHEAPINSPECT_DUMP_H
#define PYHEAPINSPECT_DUMP_H

#include <stdint.h>
#include <stdio.h>

#include "pyheapinspect/analysis/paths.h"
#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/heap.h"
#include "pyheapinspect/cpython/traces.h"

int phi_dump_jsonl(FILE *out, const struct phi_heap *h,
		   struct phi_error *err);
/* With each object's allocated bytes (one per node), when not NULL. */
int phi_dump_jsonl_allocated(FILE *out, const struct phi_heap *h,
			     const struct phi_node_sizes *allocated,
			     struct phi_error *err);
/* Both, and with t (tracemalloc's traces, read) each line also gives
 * its object's allocation traceback as an id, defined once on the first
 * line that uses it; with p (the paths), its interpreter.  allocated, t
 * and p may be NULL. */
int phi_dump_jsonl_full(FILE *out, const struct phi_heap *h,
			const struct phi_node_sizes *allocated,
			const struct phi_traces *t,
			const struct phi_paths *p, struct phi_error *err);

#endif
