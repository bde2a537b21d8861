/* Names of the steps of a path: where a parent object holds a child
 * ("['key']", "[3]", ".attr", " local 'x'"), and what a root is. */
#ifndef PYHEAPINSPECT_PATHLABEL_H
#define PYHEAPINSPECT_PATHLABEL_H

#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/heap.h"
#include "pyheapinspect/image.h"
#include "pyheapinspect/layout.h"

struct phi_labeler {
	const struct phi_heap *h;
	const struct phi_image *img;
	const struct phi_layout *lay;
};

/* The root node: "sys.modules", "thread 0x... frame f()", ...; root is
 * an index in h->roots or PHI_PATH_EXTERNAL (paths.h). */
void phi_label_root(const struct phi_labeler *lb, uint32_t node,
		    uint32_t root, char *buf, size_t len);

/* How parent refers to child, appended as text to buf. */
void phi_label_step(const struct phi_labeler *lb, uint32_t parent,
		    uint32_t child, char *buf, size_t len);

#endif
