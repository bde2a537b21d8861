/* The capture window.  Everything that can be done without the target
 * stopped (ELF, DWARF, version) is done before; decoding is done after. */
#include <string.h>
#include <time.h>

#include "pyheapinspect/capture.h"
#include "pyheapinspect/freeze.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Once attached, "no such process" means it exited under us. */
static int exited_if_gone(int rc, struct phi_target *t,
			  struct phi_error *err)
{
	if (rc == -PHI_E_NO_PROCESS)
		return phi_error_set(err, PHI_E_TARGET_EXITED,
				     "process %d exited while it was being "
				     "read", (int)t->pid);
	return rc;
}

int phi_capture_run(struct phi_target *t, const struct phi_capture_opts *o,
		    struct phi_capture *cap, struct phi_error *err)
{
	struct phi_freeze fz;
	double t0;
	int rc;

	struct phi_image warm;

	memset(cap, 0, sizeof(*cap));
	phi_image_init(&cap->img);
	/* A first copy while the target runs faults in the pages on both
	 * sides, so that the frozen copy below is a plain memory copy. */
	phi_image_init(&warm);
	t0 = now_ms();
	rc = phi_image_snapshot(&warm, &t->reader, &t->maps, o->max_bytes,
				NULL, err);
	cap->warm_ms = now_ms() - t0;
	if (rc == 0)
		rc = phi_freeze(&fz, t->pid, o->attach_timeout_ms, err);
	if (rc < 0) {
		phi_image_release(&warm);
		return rc;
	}
	cap->threads = fz.n;
	/* The maps read before freezing may be stale by now. */
	phi_maps_release(&t->maps);
	t0 = now_ms();
	rc = phi_maps_read(t->pid, &t->maps, err);
	if (rc == 0)
		rc = phi_image_snapshot(&cap->img, &t->reader, &t->maps,
					o->max_bytes, &warm, err);
	cap->copy_ms = now_ms() - t0;
	if (o->test_hold_ms > 0) {
		struct timespec hold = { o->test_hold_ms / 1000,
					 (o->test_hold_ms % 1000) * 1000000L };
		nanosleep(&hold, NULL);
	}
	phi_thaw(&fz);
	cap->pause_ms = fz.pause_ms;
	phi_freeze_release(&fz);
	phi_image_release(&warm);
	return exited_if_gone(rc, t, err);
}

void phi_capture_release(struct phi_capture *cap)
{
	phi_image_release(&cap->img);
}
