/* The JSON Lines dump of the whole graph, one object per line, streamed
 * (docs/schema.md). */
#ifndef PYHEAPINSPECT_DUMP_H
#define PYHEAPINSPECT_DUMP_H

#include <stdio.h>

#include "pyheapinspect/error.h"
#include "pyheapinspect/heap.h"

int phi_dump_jsonl(FILE *out, const struct phi_heap *h,
		   const struct phi_image *img, const struct phi_layout *lay,
		   struct phi_error *err);

#endif
