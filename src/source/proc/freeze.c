/* Freeze and thaw: PTRACE_SEIZE + PTRACE_INTERRUPT on every thread.
 *
 * The thread list is shared with the signal handlers, which detach from
 * every thread before the tool dies; changes to it are made with those
 * signals blocked so that a handler never sees a half-updated list. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pyheapinspect/source/proc/perm.h"
#include "pyheapinspect/source/proc/freeze.h"

/* A process that creates threads faster than we can stop them. */
#define MAX_PASSES 64

static struct phi_freeze *volatile active;

static const int handled_signals[] = {
	SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT,
	SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL,
};
#define NHANDLED (sizeof(handled_signals) / sizeof(handled_signals[0]))

static void block_handled(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < NHANDLED; i++)
		sigaddset(&set, handled_signals[i]);
	sigprocmask(SIG_BLOCK, &set, old);
}

static void detach_all(struct phi_freeze *fz)
{
	for (size_t i = 0; i < fz->n; i++)
		ptrace(PTRACE_DETACH, fz->threads[i].tid, NULL,
		       (void *)(long)fz->threads[i].pending_sig);
}

/* Async-signal-safe: ptrace, signal and raise only. */
static void on_signal(int sig)
{
	struct phi_freeze *fz = active;

	if (fz)
		detach_all(fz);
	active = NULL;
	signal(sig, SIG_DFL);
	raise(sig);
}

void phi_freeze_install_signal_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NHANDLED; i++)
		sigaddset(&sa.sa_mask, handled_signals[i]);
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < NHANDLED; i++)
		sigaction(handled_signals[i], &sa, NULL);
}

static double ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
}

double phi_freeze_elapsed_ms(const struct phi_freeze *fz)
{
	return fz->frozen ? ms_since(&fz->t_start) : 0.0;
}

static bool known(const struct phi_freeze *fz, pid_t tid)
{
	for (size_t i = 0; i < fz->n; i++)
		if (fz->threads[i].tid == tid)
			return true;
	return false;
}

static int add_thread(struct phi_freeze *fz, pid_t tid)
{
	sigset_t old;
	int rc = 0;

	block_handled(&old);
	if (fz->n == fz->cap) {
		size_t ncap = fz->cap ? fz->cap * 2 : 16;
		struct phi_thread *nt = realloc(fz->threads,
						ncap * sizeof(*nt));
		if (nt) {
			fz->threads = nt;
			fz->cap = ncap;
		} else {
			rc = -1;
		}
	}
	if (rc == 0)
		fz->threads[fz->n++] = (struct phi_thread){ .tid = tid };
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void remove_thread(struct phi_freeze *fz, size_t i)
{
	sigset_t old;

	block_handled(&old);
	fz->threads[i] = fz->threads[--fz->n];
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* Wait until thread i reports a stop.  Returns 1 when stopped, 0 when it
 * exited (and was removed), -1 on timeout. */
static int wait_stopped(struct phi_freeze *fz, size_t i, double deadline_ms)
{
	pid_t tid = fz->threads[i].tid;
	struct timespec pause = { 0, 50 * 1000 };

	for (;;) {
		int st = 0;
		pid_t w = waitpid(tid, &st, __WALL | WNOHANG);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			/* ECHILD: it is gone and already reaped by no one we
			 * know of; treat as exited. */
			remove_thread(fz, i);
			return 0;
		}
		if (w == tid && (WIFEXITED(st) || WIFSIGNALED(st))) {
			remove_thread(fz, i);
			return 0;
		}
		if (w == tid && WIFSTOPPED(st)) {
			/* An interrupt or group stop has event
			 * PTRACE_EVENT_STOP; anything else is a signal about
			 * to be delivered: keep it for the detach. */
			if ((st >> 16) != PTRACE_EVENT_STOP)
				fz->threads[i].pending_sig = WSTOPSIG(st);
			return 1;
		}
		if (ms_since(&fz->t_start) > deadline_ms)
			return -1;
		nanosleep(&pause, NULL);
	}
}

/* Seize every listed thread not seized yet.  Returns the number of new
 * threads, or -code. */
static int seize_pass(struct phi_freeze *fz, double deadline_ms,
		      struct phi_error *err)
{
	char path[64];
	struct dirent *de;
	size_t first_new = fz->n;
	int nnew = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)fz->pid);
	d = opendir(path);
	if (!d)
		return phi_proc_error(err, errno == ENOENT ? ESRCH : errno,
				       fz->pid, "list the threads of");
	while ((de = readdir(d)) != NULL) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid <= 0 || known(fz, tid))
			continue;
		if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) < 0) {
			int e = errno;

			if (e == ESRCH && tid != fz->pid)
				continue; /* the thread just exited */
			closedir(d);
			return phi_proc_error(err, e, fz->pid, "attach to");
		}
		if (add_thread(fz, tid) < 0) {
			ptrace(PTRACE_DETACH, tid, NULL, NULL);
			closedir(d);
			return phi_error_set(err, PHI_E_NO_MEMORY,
					     "out of memory listing threads");
		}
		ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
		nnew++;
	}
	closedir(d);
	for (size_t i = first_new; i < fz->n;) {
		int w = wait_stopped(fz, i, deadline_ms);

		if (w < 0)
			return phi_error_set(err, PHI_E_TIMEOUT,
					     "thread %d of process %d did not "
					     "stop within %.0f ms (in "
					     "uninterruptible sleep?): try "
					     "again", (int)fz->threads[i].tid,
					     (int)fz->pid, deadline_ms);
		if (w > 0)
			i++;
	}
	return nnew;
}

int phi_freeze(struct phi_freeze *fz, pid_t pid, int timeout_ms,
	       struct phi_error *err)
{
	int rc = 0, pass;

	memset(fz, 0, sizeof(*fz));
	fz->pid = pid;
	clock_gettime(CLOCK_MONOTONIC, &fz->t_start);
	fz->frozen = true;
	active = fz;
	for (pass = 0; pass < MAX_PASSES; pass++) {
		rc = seize_pass(fz, (double)timeout_ms, err);
		if (rc <= 0)
			break;
	}
	if (rc == 0 && fz->n == 0)
		rc = phi_error_set(err, PHI_E_TARGET_EXITED,
				   "process %d exited while being attached",
				   (int)pid);
	else if (pass == MAX_PASSES)
		rc = phi_error_set(err, PHI_E_TIMEOUT,
				   "process %d keeps creating threads: could "
				   "not stop them all in %d passes", (int)pid,
				   MAX_PASSES);
	if (rc < 0) {
		phi_thaw(fz);
		return rc;
	}
	return 0;
}

void phi_thaw(struct phi_freeze *fz)
{
	sigset_t old;

	if (!fz->frozen)
		return;
	block_handled(&old);
	detach_all(fz);
	fz->pause_ms = ms_since(&fz->t_start);
	fz->frozen = false;
	fz->n = 0;
	if (active == fz)
		active = NULL;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

void phi_freeze_release(struct phi_freeze *fz)
{
	phi_thaw(fz);
	free(fz->threads);
	fz->threads = NULL;
	fz->cap = 0;
}
