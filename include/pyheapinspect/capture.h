/* Freeze, copy, thaw: the only window in which the target is stopped. */
#ifndef PYHEAPINSPECT_CAPTURE_H
#define PYHEAPINSPECT_CAPTURE_H

#include <stdint.h>

#include "pyheapinspect/error.h"
#include "pyheapinspect/image.h"
#include "pyheapinspect/target.h"

struct phi_capture_opts {
	int attach_timeout_ms; /* bound on waiting for one thread to stop */
	uint64_t max_bytes;    /* refuse to copy more (0 = no limit) */
	int test_hold_ms;      /* tests only: stay frozen this long */
};

struct phi_capture {
	struct phi_image img;
	double pause_ms;  /* first SEIZE to last DETACH */
	double warm_ms;   /* the copy taken before the freeze */
	double copy_ms;   /* time spent copying, within the pause */
	size_t threads;   /* threads frozen */
};

/* Freeze every thread of t->pid, re-read its maps, copy its memory into
 * cap->img and thaw it.  The target is thawed on every path. */
int phi_capture_run(struct phi_target *t, const struct phi_capture_opts *o,
		    struct phi_capture *cap, struct phi_error *err);

void phi_capture_release(struct phi_capture *cap);

#endif
