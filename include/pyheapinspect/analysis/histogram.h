/* Memory by type: the type table ordered by total size. */
#ifndef PYHEAPINSPECT_HISTOGRAM_H
#define PYHEAPINSPECT_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/cpython/heap.h"

/* Indices of the types that have instances, largest total size first
 * (ties by count, then name).  *order is malloc'd; NULL on no memory. */
int phi_histogram(const struct phi_types *ts, uint32_t **order, size_t *n);

#endif
