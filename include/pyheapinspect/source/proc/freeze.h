/* Freezing every thread of the target with PTRACE_SEIZE + PTRACE_INTERRUPT
 * and thawing it again.  SEIZE (not ATTACH) is what makes the tool safe to
 * kill: no SIGSTOP is queued, and if the tool dies the kernel detaches
 * and the target runs on. */
#ifndef PYHEAPINSPECT_FREEZE_H
#define PYHEAPINSPECT_FREEZE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "pyheapinspect/base/error.h"

struct phi_thread {
	pid_t tid;
	int pending_sig; /* a signal caught at stop time, re-sent on detach */
};

struct phi_freeze {
	pid_t pid;
	struct phi_thread *threads;
	size_t n, cap;
	struct timespec t_start;
	double pause_ms;   /* from the first SEIZE to the last DETACH */
	bool frozen;
};

/* Install handlers so that SIGINT, SIGTERM, SIGHUP, SIGPIPE and the
 * tool's own fatal signals thaw the target before the tool dies. */
void phi_freeze_install_signal_handlers(void);

/* Stop every thread of pid.  Re-reads /proc/PID/task until a pass finds
 * no new thread.  timeout_ms bounds the wait for each thread to stop. On
 * error every thread already stopped is thawed again. */
int phi_freeze(struct phi_freeze *fz, pid_t pid, int timeout_ms,
	       struct phi_error *err);

/* Detach from every thread (idempotent) and record pause_ms. */
void phi_thaw(struct phi_freeze *fz);

/* Frees the thread list; thaws first if needed. */
void phi_freeze_release(struct phi_freeze *fz);

/* Milliseconds since phi_freeze began; 0 when not frozen. */
double phi_freeze_elapsed_ms(const struct phi_freeze *fz);

#endif
