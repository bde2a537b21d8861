/* Copying a live process's memory into an image. */
#ifndef PYHEAPINSPECT_COPY_H
#define PYHEAPINSPECT_COPY_H

#include <stdint.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/source/image.h"
#include "pyheapinspect/source/maps.h"
#include "pyheapinspect/source/proc/reader.h"

/* Copy every mapping the decoders may need: all readable, non-executable
 * mappings except the kernel's special ones.  max_bytes (0 = no limit)
 * refuses cleanly before copying more than that.  With reuse, the buffer
 * of a segment of reuse that covers exactly the same mapping is taken
 * over instead of a new one: a first copy taken while the target runs
 * makes the second, frozen one much faster (no page faults on either
 * side). */
struct phi_copy_opts {
	/* 0 = no limit.  A single mapping larger than the limit (a
	 * sanitizer's shadow, a huge reservation) is skipped and counted;
	 * if the rest is still larger, the copy is refused. */
	uint64_t max_bytes;
	struct phi_image *reuse;   /* may be NULL */
	/* With a deadline (CLOCK_MONOTONIC ms, 0 = none) the copy goes in
	 * pieces, and on_deadline(ctx) is called once, between two pieces,
	 * when the deadline has passed; the copy then goes on. */
	double deadline_ms;
	void (*on_deadline)(void *ctx);
	void *ctx;
	/* Report the bytes copied to base/progress.h, reading in pieces
	 * (never while the target is frozen: a terminal may block). */
	bool progress;
};

int phi_copy_process(struct phi_image *img, struct phi_reader *r,
		     const struct phi_maps *maps, const struct phi_copy_opts *o,
		     struct phi_error *err);

#endif
