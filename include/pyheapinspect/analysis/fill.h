/* Collection fill: lists, dicts, sets and bytearrays whose table holds
 * far more than their length needs.  A collection is sparse when its
 * table takes at least PHI_FILL_SPARSE times the table a copy of it
 * would get (list(x), dict(x), set(x), bytearray(x); the CPython layer
 * knows the version's rules); what it wastes is the difference.  Growth
 * alone stays below that (a CPython 3.10 table grows to about twice a
 * copy's at most); deleting most items of a dict or a set gets there,
 * since neither shrinks its table. */
#ifndef PYHEAPINSPECT_FILL_H
#define PYHEAPINSPECT_FILL_H

#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/heap.h"

#define PHI_FILL_SPARSE 4
/* ... and wastes at least this (an emptied bytearray keeps 1 byte). */
#define PHI_FILL_MIN_WASTE 64

struct phi_fill_type {
	uint32_t type;           /* index in the heap's type table */
	uint64_t count;          /* collections of the type */
	uint64_t slack;          /* bytes of their tables past a copy's */
	uint64_t sparse;         /* the sparse ones */
	uint64_t wasted;         /* their slack */
};

struct phi_fill_obj {
	uint32_t node;
	struct phi_fill fill;
	uint64_t wasted;         /* fill.table - fill.copy_table */
};

struct phi_fill_report {
	struct phi_fill_type *types; /* types with collections, most wasted
				      * first (then most slack) */
	size_t ntypes;
	struct phi_fill_obj *top;    /* the sparse collections wasting the
				      * most, most first */
	size_t ntop;
	uint64_t collections, slack, sparse, wasted;
	uint64_t unreadable;         /* tables the CPython layer could not
				      * read */
};

int phi_fill_find(struct phi_fill_report *r, const struct phi_heap *h,
		  size_t top, struct phi_error *err);
void phi_fill_release(struct phi_fill_report *r);

#endif
