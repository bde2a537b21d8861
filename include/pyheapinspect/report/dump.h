/* The JSON Lines dump of the whole graph, one object per line, streamed
 * (docs/schema.md). */
#ifndef PYHEAPINSPECT_DUMP_H
#define PYHEAPINSPECT_DUMP_H

#include <stdint.h>
#include <stdio.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/heap.h"

int phi_dump_jsonl(FILE *out, const struct phi_heap *h,
		   struct phi_error *err);
/* With each object's allocated bytes (one per node), when not NULL. */
int phi_dump_jsonl_allocated(FILE *out, const struct phi_heap *h,
			     const uint64_t *allocated, struct phi_error *err);

#endif
