/* The capture window.  Everything that can be done without the target
 * stopped (ELF, DWARF, version) is done before; decoding is done after. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pyheapinspect/base/clock.h"
#include "pyheapinspect/base/progress.h"
#include "pyheapinspect/source/proc/capture.h"
#include "pyheapinspect/source/proc/copy.h"
#include "pyheapinspect/source/proc/freeze.h"
#include "pyheapinspect/source/proc/process.h"
#include "pyheapinspect/source/proc/smaps.h"

/* Once attached, "no such process" means it exited under us. */
static int exited_if_gone(int rc, pid_t pid, struct phi_error *err)
{
	if (rc == -PHI_E_NO_PROCESS || rc == -PHI_E_TARGET_EXITED)
		return phi_error_set(err, PHI_E_TARGET_EXITED,
				     "process %d exited while it was being "
				     "read", (int)pid);
	return rc;
}

static void hold_for_tests(int ms)
{
	struct timespec hold = { ms / 1000, (ms % 1000) * 1000000L };

	if (ms > 0)
		nanosleep(&hold, NULL);
}

/* The pause budget ran out: thaw, and let the copy go on. */
static void thaw_at_deadline(void *ctx)
{
	phi_thaw(ctx);
}

/* --no-freeze: one copy, the target running all along. */
static int capture_running(struct phi_reader *r, const struct phi_maps *maps,
			   const struct phi_capture_opts *o,
			   struct phi_capture *cap, struct phi_error *err)
{
	struct phi_copy_opts so = { .max_bytes = o->max_bytes,
				    .progress = true };
	double t0 = phi_now_ms();
	int rc;

	phi_progress_begin("copying memory (not frozen)", PHI_PROGRESS_BYTES,
			   NULL);
	rc = phi_copy_process(&cap->img, r, maps, &so, err);
	phi_progress_end();
	cap->copy_ms = phi_now_ms() - t0;
	return rc;
}

int phi_capture_run(pid_t pid, struct phi_reader *r, struct phi_maps *maps,
		    const struct phi_capture_opts *o,
		    struct phi_capture *cap, struct phi_error *err)
{
	struct phi_freeze fz;
	struct phi_image warm;
	struct phi_copy_opts so = { .max_bytes = o->max_bytes };
	double t0;
	int rc;

	memset(cap, 0, sizeof(*cap));
	phi_image_init(&cap->img);
	if (o->no_freeze)
		return exited_if_gone(capture_running(r, maps, o, cap, err), pid,
				      err);
	/* A first copy while the target runs faults in the pages on both
	 * sides, so that the frozen copy below is a plain memory copy. */
	phi_image_init(&warm);
	t0 = phi_now_ms();
	so.progress = true;
	phi_progress_begin("copying memory (warm copy)", PHI_PROGRESS_BYTES,
			   NULL);
	rc = phi_copy_process(&warm, r, maps, &so, err);
	/* The line is erased before the freeze: nothing is written to the
	 * terminal while the target is stopped. */
	phi_progress_end();
	so.progress = false;
	cap->warm_ms = phi_now_ms() - t0;
	if (o->before_freeze)
		o->before_freeze(o->before_freeze_ctx);
	if (rc == 0)
		rc = phi_freeze(&fz, pid, o->attach_timeout_ms, err);
	if (rc < 0) {
		phi_image_release(&warm);
		return rc;
	}
	cap->threads = fz.n;
	cap->frozen = true;
	hold_for_tests(o->test_hold_ms);
	/* Before the frozen copy reads a page (see smaps.c). */
	phi_smaps_capture(pid, &cap->rss, &cap->gaps);
	/* The maps read before freezing may be stale by now. */
	phi_maps_release(maps);
	t0 = phi_now_ms();
	rc = phi_maps_read(pid, maps, err);
	so.reuse = &warm;
	if (o->max_pause_ms > 0) {
		so.deadline_ms = t0 - phi_freeze_elapsed_ms(&fz) +
				 o->max_pause_ms;
		so.on_deadline = thaw_at_deadline;
		so.ctx = &fz;
	}
	if (rc == 0)
		rc = phi_copy_process(&cap->img, r, maps, &so, err);
	cap->copy_ms = phi_now_ms() - t0;
	cap->consistent = fz.frozen;
	phi_thaw(&fz);
	cap->pause_ms = fz.pause_ms;
	phi_freeze_release(&fz);
	phi_image_release(&warm);
	return exited_if_gone(rc, pid, err);
}
