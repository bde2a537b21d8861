/* Freeze, copy, thaw: the only window in which the target is stopped. */
#ifndef PYHEAPINSPECT_CAPTURE_H
#define PYHEAPINSPECT_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "pyheapinspect/error.h"
#include "pyheapinspect/image.h"
#include "pyheapinspect/target.h"

struct phi_capture_opts {
	int attach_timeout_ms; /* bound on waiting for one thread to stop */
	uint64_t max_bytes;    /* refuse to copy more (0 = no limit) */
	double max_pause_ms;   /* thaw when the copy would take longer */
	bool no_freeze;        /* copy without stopping the target at all */
	int test_hold_ms;      /* tests only: stay frozen this long, before
				* the copy */
	/* Called after the warm copy, just before the freeze: work that
	 * ran beside the warm copy (the layouts) ends here, so that it
	 * never competes with the frozen copy for the CPU.  May be NULL. */
	void (*before_freeze)(void *ctx);
	void *before_freeze_ctx;
};

struct phi_capture {
	struct phi_image img;
	double pause_ms;  /* first SEIZE to last DETACH */
	double warm_ms;   /* the copy taken before the freeze */
	double copy_ms;   /* time spent copying, within the pause */
	size_t threads;   /* threads frozen */
	bool frozen;      /* the target was stopped while copying */
	bool consistent;  /* ... for the whole copy: with --no-freeze, or
			   * when the pause budget ran out, parts were read
			   * while it ran and may be torn */
	bool status_unknown; /* loaded from a format 1 snapshot, which does
			      * not record frozen, consistent, threads,
			      * the times nor the image's counters: they
			      * are all 0 and say nothing */
};

/* Freeze every thread of t->pid, re-read its maps, copy its memory into
 * cap->img and thaw it.  The target is thawed on every path.  When the
 * pause reaches max_pause_ms the target is thawed and the copy finished
 * while it runs: a result marked inconsistent is more use during an
 * incident than none, and the service is not held up. */
int phi_capture_run(struct phi_target *t, const struct phi_capture_opts *o,
		    struct phi_capture *cap, struct phi_error *err);

void phi_capture_release(struct phi_capture *cap);

/* The memory the tool allows itself when --max-memory is not given:
 * three quarters of MemAvailable, so that it never exhausts the host
 * (0 when /proc/meminfo does not say). */
uint64_t phi_default_memory_limit(void);

#endif
