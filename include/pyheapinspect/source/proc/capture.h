/* Freeze, copy, thaw: the only window in which the target is stopped. */
#ifndef PYHEAPINSPECT_CAPTURE_H
#define PYHEAPINSPECT_CAPTURE_H

#include <sys/types.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/source/maps.h"
#include "pyheapinspect/source/proc/reader.h"
#include "pyheapinspect/source/source.h"

/* Freeze every thread of pid, re-read its maps into *maps, copy its
 * memory into cap->img and thaw it.  The target is thawed on every path.
 * When the pause reaches max_pause_ms the target is thawed and the copy
 * finished while it runs: a result marked inconsistent is more use
 * during an incident than none, and the service is not held up. */
int phi_capture_run(pid_t pid, struct phi_reader *r, struct phi_maps *maps,
		    const struct phi_capture_opts *o,
		    struct phi_capture *cap, struct phi_error *err);

#endif
