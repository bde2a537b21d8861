/* Freezing every thread of the target with PTRACE_SEIZE + PTRACE_INTERRUPT
 * and thawing it again.  SEIZE (not ATTACH) is what makes the tool safe to
 * kill: no SIGSTOP is queued, and if the tool dies the kernel detaches
 * and the target runs on. */
#ifndef PYHEAPINSPECT_FREEZE_H
#define PYHEAPINSPECT_FREEZE_H

#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <sys/types.h>
#include <time.h>

#include "pyheapinspect/base/error.h"

struct phi_thread {
	pid_t tid;
	int pending_sig; /* a signal caught at stop time, re-sent on detach */
	bool stopped;    /* reported its stop: it can be detached */
};

struct phi_freeze {
	pid_t pid;
	struct phi_thread *threads;
	size_t n, cap;
	struct timespec t_start;
	double pause_ms;   /* from the first SEIZE to the last DETACH */
	bool frozen;
	/* Threads seized that never reported a stop (uninterruptible
	 * sleep, a frozen cgroup): the kernel cannot detach them until they
	 * stop, or until the thread that seized them exits, which is why
	 * the capture freezes from a thread of its own (capture.c). */
	size_t stragglers;
	sigset_t saved_mask; /* the caller's, while the stop signals are
			      * blocked */
};

/* Install handlers so that SIGINT, SIGTERM, SIGHUP, SIGPIPE and the
 * tool's own fatal signals thaw the target before the tool dies. */
void phi_freeze_install_signal_handlers(void);

/* Stop every thread of pid.  Re-reads /proc/PID/task until a pass finds
 * no new thread.  timeout_ms, from the first PTRACE_SEIZE, bounds the
 * whole attach.  On error every thread already stopped is thawed again.
 * From the first SEIZE to the thaw, SIGTSTP, SIGTTIN and SIGTTOU are
 * blocked in the calling thread: a Ctrl-Z stops the tool only once the
 * target runs again. */
int phi_freeze(struct phi_freeze *fz, pid_t pid, double timeout_ms,
	       struct phi_error *err);

/* Add the stop signals (SIGTSTP, SIGTTIN, SIGTTOU) and those the
 * handlers catch to *set. */
void phi_freeze_signal_set(sigset_t *set, bool stop, bool handled);

/* Detach from every thread (idempotent) and record pause_ms. */
void phi_thaw(struct phi_freeze *fz);

/* Frees the thread list; thaws first if needed. */
void phi_freeze_release(struct phi_freeze *fz);

/* Milliseconds since phi_freeze began; 0 when not frozen. */
double phi_freeze_elapsed_ms(const struct phi_freeze *fz);

#endif
