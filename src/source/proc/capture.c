/* The capture window.  Everything that can be done without the target
 * stopped (ELF, DWARF, version) is done before; decoding is done after. */
#include <stdio.h>
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
	if (rc == -PHI_E_NO_PROCESS || rc == -PHI_E_TARGET_EXITED)
		return phi_error_set(err, PHI_E_TARGET_EXITED,
				     "process %d exited while it was being "
				     "read", (int)t->pid);
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
static int capture_running(struct phi_target *t,
			   const struct phi_capture_opts *o,
			   struct phi_capture *cap, struct phi_error *err)
{
	struct phi_snapshot_opts so = { .max_bytes = o->max_bytes };
	double t0 = now_ms();
	int rc = phi_image_snapshot(&cap->img, &t->reader, &t->maps, &so, err);

	cap->copy_ms = now_ms() - t0;
	return rc;
}

int phi_capture_run(struct phi_target *t, const struct phi_capture_opts *o,
		    struct phi_capture *cap, struct phi_error *err)
{
	struct phi_freeze fz;
	struct phi_image warm;
	struct phi_snapshot_opts so = { .max_bytes = o->max_bytes };
	double t0;
	int rc;

	memset(cap, 0, sizeof(*cap));
	phi_image_init(&cap->img);
	if (o->no_freeze)
		return exited_if_gone(capture_running(t, o, cap, err), t, err);
	/* A first copy while the target runs faults in the pages on both
	 * sides, so that the frozen copy below is a plain memory copy. */
	phi_image_init(&warm);
	t0 = now_ms();
	rc = phi_image_snapshot(&warm, &t->reader, &t->maps, &so, err);
	cap->warm_ms = now_ms() - t0;
	if (o->before_freeze)
		o->before_freeze(o->before_freeze_ctx);
	if (rc == 0)
		rc = phi_freeze(&fz, t->pid, o->attach_timeout_ms, err);
	if (rc < 0) {
		phi_image_release(&warm);
		return rc;
	}
	cap->threads = fz.n;
	cap->frozen = true;
	hold_for_tests(o->test_hold_ms);
	/* The maps read before freezing may be stale by now. */
	phi_maps_release(&t->maps);
	t0 = now_ms();
	rc = phi_maps_read(t->pid, &t->maps, err);
	so.reuse = &warm;
	if (o->max_pause_ms > 0) {
		so.deadline_ms = t0 - phi_freeze_elapsed_ms(&fz) +
				 o->max_pause_ms;
		so.on_deadline = thaw_at_deadline;
		so.ctx = &fz;
	}
	if (rc == 0)
		rc = phi_image_snapshot(&cap->img, &t->reader, &t->maps, &so,
					err);
	cap->copy_ms = now_ms() - t0;
	cap->consistent = fz.frozen;
	phi_thaw(&fz);
	cap->pause_ms = fz.pause_ms;
	phi_freeze_release(&fz);
	phi_image_release(&warm);
	return exited_if_gone(rc, t, err);
}

uint64_t phi_default_memory_limit(void)
{
	char line[128];
	unsigned long long kb = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb * 1024 / 4 * 3;
}

void phi_capture_release(struct phi_capture *cap)
{
	phi_image_release(&cap->img);
}
