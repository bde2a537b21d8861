/* Copying a live process's memory into an image (copy.c says how). */
#ifndef PYHEAPINSPECT_COPY_H
#define PYHEAPINSPECT_COPY_H

#include <stdbool.h>
#include <stdint.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/source/image.h"
#include "pyheapinspect/source/maps.h"
#include "pyheapinspect/source/proc/pages.h"
#include "pyheapinspect/source/proc/reader.h"

/* What a copy found and did, for the report. */
struct phi_copy_stats {
	uint64_t mapped;   /* bytes of the wanted mappings (address space) */
	uint64_t planned;  /* bytes of the pages to copy, before any cut */
	uint64_t swapped;  /* of which swapped out (read back in) */
	uint64_t whole;    /* bytes of mappings taken whole */
};

struct phi_copy_opts {
	/* 0 = the memory budget alone (base/budget.h).  When the pages do
	 * not fit in what is left, the interiors of the longest runs are
	 * left out (recorded as the image's holes and counted in skipped
	 * and nskipped) until they fill three quarters of it, or, with
	 * refuse_cut, the copy is refused. */
	uint64_t max_bytes;
	bool refuse_cut;
	/* Where the resident pages are found; NULL: whole mappings. */
	struct phi_pages *pages;
	/* An earlier copy whose buffers are taken over where they cover
	 * the same pages (may be NULL): it must be released after this
	 * copy, and not read. */
	struct phi_image *reuse;
	/* Only prepare: every buffer made and faulted in, but only the
	 * ELF objects' data and the brk heap read (what a caller looks at
	 * before a freeze: the interpreter's state), unless pages must be
	 * faulted in on the target's side (swapped out, or whole mappings
	 * of unknown residency), which are all read then.  The copy that
	 * reuses it is then a plain memory copy, and the target's memory is
	 * not copied twice. */
	bool prepare;
	/* With a deadline (CLOCK_MONOTONIC ms, 0 = none) the copy goes in
	 * pieces, and on_deadline(ctx) is called once, between two pieces,
	 * when the deadline has passed; the copy then goes on. */
	double deadline_ms;
	void (*on_deadline)(void *ctx);
	void *ctx;
	struct phi_copy_stats *stats; /* filled when not NULL */
	/* Report the bytes copied to base/progress.h, reading in pieces
	 * (never while the target is frozen: a terminal may block). */
	bool progress;
};

int phi_copy_process(struct phi_image *img, struct phi_reader *r,
		     const struct phi_maps *maps, const struct phi_copy_opts *o,
		     struct phi_error *err);

#endif
