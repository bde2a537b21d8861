/* Duplicate values: distinct objects of str, bytes, int, float and
 * tuples of such scalars that hold equal values. */
#ifndef PYHEAPINSPECT_DUPS_H
#define PYHEAPINSPECT_DUPS_H

#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/heap.h"

struct phi_dup_group {
	uint32_t first;       /* one member (the lowest node index) */
	uint64_t count;       /* objects holding the value (>= 2) */
	uint64_t size;        /* sys.getsizeof of one copy (the smallest) */
	uint64_t wasted;      /* total size of all copies minus `size` */
	char type[64];        /* type name of the members */
	char preview[PHI_PREVIEW_BUF]; /* phi_valcmp_preview of `first` */
};

struct phi_dups {
	struct phi_dup_group *groups; /* the top groups, most wasted first */
	size_t ngroups;
	uint64_t total_groups;        /* all groups found */
	uint64_t total_wasted;        /* over all groups */
	uint64_t objects_examined;
};

/* Find the groups; keep the `top` most wasteful ones (all of
 * total_groups/total_wasted are still counted).  Values are compared
 * within their phi_valcmp class only (True is not 1, 1 is not 1.0, '1'
 * is not b'1', a str subclass instance is not a str), hashed under key. */
int phi_dups_find(struct phi_dups *out, const struct phi_heap *h,
		  uint64_t key, size_t top, struct phi_error *err);

void phi_dups_release(struct phi_dups *d);

#endif
