/* The capture window.  Everything that can be done without the target
 * stopped (ELF, DWARF, version, a warm copy) is done before; decoding is
 * done after.
 *
 * The freeze, the frozen copy and the thaw run in a thread of their own,
 * which exits right after the thaw.  Two reasons:
 * - a thread that never stops (uninterruptible sleep, a frozen cgroup)
 *   cannot be detached: the kernel refuses to detach a running tracee,
 *   and it would stop, and stay stopped, as soon as it woke up.  When
 *   the thread that seized it exits, the kernel detaches it and drops
 *   the pending interrupt;
 * - the signal handlers that thaw the target must run on the thread
 *   that froze it: while it runs, every other thread of the tool blocks
 *   those signals, so the kernel delivers them there.
 * SIGTSTP, SIGTTIN and SIGTTOU are blocked in both threads until the
 * thaw: Ctrl-Z stops the tool once the target runs again. */
#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pyheapinspect/base/clock.h"
#include "pyheapinspect/base/progress.h"
#include "pyheapinspect/source/proc/capture.h"
#include "pyheapinspect/source/proc/copy.h"
#include "pyheapinspect/source/proc/freeze.h"
#include "pyheapinspect/source/proc/pages.h"
#include "pyheapinspect/source/proc/process.h"
#include "pyheapinspect/source/proc/smaps.h"

/* Attach bound without a pause budget. */
#define ATTACH_MS 2000.0
/* Warm copies taken again because the caller waited (a GC). */
#define MAX_REWARM 3

/* Once attached, "no such process" means it exited under us. */
static int exited_if_gone(int rc, pid_t pid, struct phi_error *err)
{
	if (rc == -PHI_E_NO_PROCESS || rc == -PHI_E_TARGET_EXITED)
		return phi_error_set(err, PHI_E_TARGET_EXITED,
				     "process %d exited while it was being "
				     "read", (int)pid);
	return rc;
}

/* The whole hold, even when a handler that returns (--watch's SIGINT)
 * runs on this thread meanwhile. */
static void hold_for_tests(int ms)
{
	struct timespec hold = { ms / 1000, (ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&hold, &hold) < 0 && errno == EINTR)
		;
}

/* The pause budget ran out: thaw, and let the copy go on. */
static void thaw_at_deadline(void *ctx)
{
	phi_thaw(ctx);
}

static void note_stats(struct phi_capture *cap, const struct phi_pages *pg,
		       const struct phi_copy_stats *st)
{
	cap->pages = pg->mode == PHI_PAGES_NONE ? "whole mappings" :
						  "resident";
	snprintf(cap->pages_why, sizeof(cap->pages_why), "%s",
		 pg->why);
	cap->mapped = st->mapped;
	cap->resident = st->planned;
	cap->swapped += st->swapped;
}

/* One copy while the target runs (--no-freeze, or a freeze that could
 * not stop every thread in time). */
static int copy_running(struct phi_reader *r, const struct phi_maps *maps,
			const struct phi_capture_opts *o, struct phi_pages *pg,
			struct phi_image *reuse, struct phi_capture *cap,
			struct phi_error *err)
{
	struct phi_copy_stats st;
	struct phi_copy_opts so = { .max_bytes = o->max_bytes, .pages = pg,
				    .reuse = reuse, .stats = &st,
				    .progress = true };
	double t0 = phi_now_ms();
	int rc;

	phi_progress_begin("copying memory (not frozen)", PHI_PROGRESS_BYTES,
			   NULL);
	rc = phi_copy_process(&cap->img, r, maps, &so, err);
	phi_progress_end();
	cap->copy_ms = phi_now_ms() - t0;
	note_stats(cap, pg, &st);
	return rc;
}

/* The frozen part, handed to its thread. */
struct job {
	pid_t pid;
	struct phi_reader *r;
	struct phi_maps *maps;
	const struct phi_capture_opts *o;
	struct phi_capture *cap;
	struct phi_pages *pg;
	struct phi_image *warm;
	bool attached;     /* every thread stopped */
	int rc;
	struct phi_error err;
};

static void frozen_copy(struct job *j)
{
	const struct phi_capture_opts *o = j->o;
	struct phi_copy_stats st;
	struct phi_copy_opts so = { .max_bytes = o->max_bytes, .pages = j->pg,
				    .reuse = j->warm, .stats = &st };
	struct phi_freeze fz;
	double t0, attach_ms = o->max_pause_ms > 0 ? o->max_pause_ms :
						     ATTACH_MS;

	j->rc = phi_freeze(&fz, j->pid, attach_ms, &j->err);
	if (j->rc < 0) {
		/* The threads that did stop were stopped this long. */
		j->cap->pause_ms = fz.pause_ms;
		j->cap->stragglers = fz.stragglers;
		phi_freeze_release(&fz);
		return;
	}
	j->attached = true;
	j->cap->threads = fz.n;
	j->cap->frozen = true;
	hold_for_tests(o->test_hold_ms);
	/* The maps read before freezing may be stale by now. */
	phi_maps_release(j->maps);
	t0 = phi_now_ms();
	j->rc = phi_maps_read(j->pid, j->maps, &j->err);
	if (o->max_pause_ms > 0) {
		so.deadline_ms = t0 - phi_freeze_elapsed_ms(&fz) +
				 o->max_pause_ms;
		so.on_deadline = thaw_at_deadline;
		so.ctx = &fz;
	}
	if (j->rc == 0)
		j->rc = phi_copy_process(&j->cap->img, j->r, j->maps, &so,
					 &j->err);
	j->cap->copy_ms = phi_now_ms() - t0;
	j->cap->consistent = fz.frozen;
	phi_thaw(&fz);
	j->cap->pause_ms = fz.pause_ms;
	j->cap->stragglers = fz.stragglers;
	note_stats(j->cap, j->pg, &st);
	phi_freeze_release(&fz);
}

static void *frozen_thread(void *arg)
{
	sigset_t set;

	/* The target waits while this thread runs: on a busy machine it
	 * must not wait for the CPU as well.  The highest nice value of
	 * the fair scheduler, not a real-time class (that could starve the
	 * machine); without CAP_SYS_NICE the call fails and nothing
	 * changes. */
	setpriority(PRIO_PROCESS, (id_t)gettid(), -20);

	/* The thaw-and-die handlers run here while the target is stopped
	 * (the stop signals stay blocked). */
	sigemptyset(&set);
	phi_freeze_signal_set(&set, false, true);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	frozen_copy(arg);
	/* Exiting detaches any thread that never stopped. */
	return NULL;
}

/* Run the frozen part in its thread, this thread blocking every signal
 * the handlers or job control care about meanwhile; inline when no
 * thread can be created. */
static void run_frozen(struct job *j)
{
	sigset_t set, old;
	pthread_t th;

	sigemptyset(&set);
	phi_freeze_signal_set(&set, true, true);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	if (pthread_create(&th, NULL, frozen_thread, j) == 0) {
		pthread_join(th, NULL);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	frozen_copy(j);
}

/* The warm copy, taken again (reusing the last one) as long as the
 * caller asks before the freeze. */
static int warm_copy(struct phi_reader *r, const struct phi_maps *maps,
		     const struct phi_capture_opts *o, struct phi_pages *pg,
		     struct phi_image *warm, struct phi_capture *cap,
		     struct phi_error *err)
{
	double t0 = phi_now_ms();
	int rc = 0, ask = 1;

	phi_image_init(warm);
	for (int n = 0; rc == 0 && ask == 1 && n <= MAX_REWARM; n++) {
		struct phi_image prev = *warm;
		struct phi_copy_stats st;
		struct phi_copy_opts so = { .max_bytes = o->max_bytes,
					    .pages = pg, .prepare = true,
					    .reuse = n ? &prev : NULL,
					    .stats = &st, .progress = true };

		phi_image_init(warm);
		phi_progress_begin("copying memory (warm copy)",
				   PHI_PROGRESS_BYTES, NULL);
		rc = phi_copy_process(warm, r, maps, &so, err);
		/* The line is erased before the freeze: nothing is written
		 * to the terminal while the target is stopped. */
		phi_progress_end();
		/* Swapped out then, read back in (so not by the frozen
		 * copy). */
		cap->swapped += st.swapped;
		if (n)
			phi_image_release(&prev);
		cap->warm_ms = phi_now_ms() - t0;
		ask = 0;
		if (o->before_freeze)
			ask = o->before_freeze(o->before_freeze_ctx, warm, err);
		if (ask < 0)
			rc = ask;
	}
	return rc;
}

int phi_capture_run(pid_t pid, struct phi_reader *r, struct phi_maps *maps,
		    const struct phi_capture_opts *o,
		    struct phi_capture *cap, struct phi_error *err)
{
	struct phi_pages pg;
	struct phi_image warm;
	struct job j;
	int rc;

	memset(cap, 0, sizeof(*cap));
	phi_image_init(&cap->img);
	phi_pages_open(&pg, pid);
	if (o->no_freeze) {
		rc = copy_running(r, maps, o, &pg, NULL, cap, err);
		phi_pages_close(&pg);
		return exited_if_gone(rc, pid, err);
	}
	/* While the target runs, the buffers are made and faulted in (and
	 * what the caller looks at before the freeze read), so that the
	 * frozen copy below is a plain memory copy. */
	rc = warm_copy(r, maps, o, &pg, &warm, cap, err);
	if (rc < 0) {
		phi_image_release(&warm);
		phi_pages_close(&pg);
		return exited_if_gone(rc, pid, err);
	}
	/* The target's resident memory (smaps.c) just before the freeze,
	 * after the warm copy (what its reads mapped in counts, as it does
	 * in the target's VmRSS afterwards), and not while the target is
	 * stopped: with 1,000 threads it walks 8 GiB of page tables, 17 ms,
	 * which would double the pause. */
	phi_smaps_capture(pid, &cap->rss, &cap->gaps);
	memset(&j, 0, sizeof(j));
	j = (struct job){ .pid = pid, .r = r, .maps = maps, .o = o,
			  .cap = cap, .pg = &pg, .warm = &warm };
	run_frozen(&j);
	rc = j.rc;
	if (rc < 0)
		*err = j.err;
	if (rc == -PHI_E_TIMEOUT && !j.attached) {
		/* Not every thread stopped within the pause budget: they
		 * are all running again (the stragglers detached by the
		 * thread's exit), and the copy is taken as they run. */
		snprintf(cap->freeze_note, sizeof(cap->freeze_note),
			 "%.200s: read while it ran", j.err.msg);
		phi_image_release(&cap->img);
		phi_image_init(&cap->img);
		rc = copy_running(r, maps, o, &pg, &warm, cap, err);
	}
	phi_image_release(&warm);
	phi_pages_close(&pg);
	return exited_if_gone(rc, pid, err);
}
