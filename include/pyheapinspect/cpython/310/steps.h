/* Names of the steps of a path: where a parent object holds a child
 * ("['key']", "[3]", ".attr", " local 'x'"), and what a root is. */
#ifndef PYHEAPINSPECT_STEPS_H
#define PYHEAPINSPECT_STEPS_H

#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/cpython/heap.h"

/* The root node: "sys.modules", "thread 0x... frame f()", ...; root is
 * an index in h->roots or PHI_HEAP_EXTERNAL_ROOT. */
void phi310_label_root(const struct phi_heap *h, uint32_t node,
		       uint32_t root, char *buf, size_t len);

/* How parent refers to child, appended as text to buf. */
void phi310_label_step(const struct phi_heap *h, uint32_t parent,
		       uint32_t child, char *buf, size_t len);

#endif
