/* Freeze and thaw: PTRACE_SEIZE + PTRACE_INTERRUPT on every thread.
 *
 * The thread list is shared with the signal handlers, which detach from
 * every thread before the tool dies; changes to it are made with those
 * signals blocked so that a handler never sees a half-updated list. */
#include <dirent.h>
#include <pthread.h>
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

/* Job-control stops: blocked while the target is stopped, so that the
 * tool never stops (and leaves the target stopped with it) before the
 * thaw; a pending one takes effect once they are unblocked. */
static const int stop_signals[] = { SIGTSTP, SIGTTIN, SIGTTOU };
#define NSTOP (sizeof(stop_signals) / sizeof(stop_signals[0]))

void phi_freeze_signal_set(sigset_t *set, bool stop, bool handled)
{
	for (size_t i = 0; stop && i < NSTOP; i++)
		sigaddset(set, stop_signals[i]);
	for (size_t i = 0; handled && i < NHANDLED; i++)
		sigaddset(set, handled_signals[i]);
}

static void block_handled(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	phi_freeze_signal_set(&set, false, true);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

/* Every thread, stopped or not: the kernel refuses to detach a tracee
 * that runs (the thaw waits for those first, and counts the ones that
 * never stop as stragglers), and one whose stop was not reaped yet is
 * detached all the same. */
static void detach_all(struct phi_freeze *fz)
{
	for (size_t i = 0; i < fz->n; i++)
		ptrace(PTRACE_DETACH, fz->threads[i].tid, NULL,
		       (void *)(long)fz->threads[i].pending_sig);
}

/* Async-signal-safe: ptrace, signal and raise only.  While frozen, it
 * runs on the thread that froze (the others block these signals). */
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

static int cmp_tid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

/* The threads seized before this pass, sorted: a pass over 1,000
 * threads looks each one up in it. */
struct known {
	pid_t *v;
	size_t n;
};

static int known_init(struct known *k, const struct phi_freeze *fz)
{
	k->n = fz->n;
	k->v = malloc((fz->n ? fz->n : 1) * sizeof(*k->v));
	if (!k->v)
		return -1;
	for (size_t i = 0; i < fz->n; i++)
		k->v[i] = fz->threads[i].tid;
	qsort(k->v, k->n, sizeof(*k->v), cmp_tid);
	return 0;
}

static bool known(const struct known *k, pid_t tid)
{
	return bsearch(&tid, k->v, k->n, sizeof(*k->v), cmp_tid) != NULL;
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
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void remove_thread(struct phi_freeze *fz, size_t i)
{
	sigset_t old;

	block_handled(&old);
	fz->threads[i] = fz->threads[--fz->n];
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* One look at thread i: 1 stopped (now or before), 0 exited (and
 * removed), -1 not yet. */
static int poll_stopped(struct phi_freeze *fz, size_t i)
{
	struct phi_thread *t = &fz->threads[i];
	int st = 0;
	pid_t w;

	if (t->stopped)
		return 1;
	do
		w = waitpid(t->tid, &st, __WALL | WNOHANG);
	while (w < 0 && errno == EINTR);
	if (w < 0 || (w == t->tid && (WIFEXITED(st) || WIFSIGNALED(st)))) {
		/* ECHILD: it is gone and already reaped by no one we know
		 * of; treat as exited. */
		remove_thread(fz, i);
		return 0;
	}
	if (w == t->tid && WIFSTOPPED(st)) {
		/* An interrupt or group stop has event PTRACE_EVENT_STOP;
		 * anything else is a signal about to be delivered: keep it
		 * for the detach. */
		if ((st >> 16) != PTRACE_EVENT_STOP)
			t->pending_sig = WSTOPSIG(st);
		t->stopped = true;
		return 1;
	}
	return -1;
}

/* Wait until threads [first, n) have all stopped (or exited), looking
 * at each in turn: they stop in parallel, and most have by the first
 * look.  Returns the index of one that had not by the deadline, or -1
 * when all did. */
static long wait_all(struct phi_freeze *fz, size_t first, double deadline_ms)
{
	struct timespec pause = { 0, 50 * 1000 };

	for (;;) {
		bool waiting = false;

		for (size_t i = first; i < fz->n;) {
			int w = poll_stopped(fz, i);

			if (w < 0)
				waiting = true;
			/* A removed thread's slot holds another now. */
			if (w != 0)
				i++;
		}
		if (!waiting)
			return -1;
		if (ms_since(&fz->t_start) > deadline_ms) {
			for (size_t i = first; i < fz->n; i++)
				if (!fz->threads[i].stopped)
					return (long)i;
			return -1;
		}
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
	struct known k;
	size_t first_new = fz->n;
	int nnew = 0, rc = 0;
	long late;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)fz->pid);
	if (known_init(&k, fz) < 0)
		return phi_error_set(err, PHI_E_NO_MEMORY,
				     "out of memory listing threads");
	d = opendir(path);
	if (!d) {
		free(k.v);
		return phi_proc_error(err, errno == ENOENT ? ESRCH : errno,
				      fz->pid, "list the threads of");
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		pid_t tid = (pid_t)atoi(de->d_name);

		if (tid <= 0 || known(&k, tid))
			continue;
		if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) < 0) {
			int e = errno;

			if (e == ESRCH && tid != fz->pid)
				continue; /* the thread just exited */
			rc = phi_proc_error(err, e, fz->pid, "attach to");
		} else if (add_thread(fz, tid) < 0) {
			/* Seized, never interrupted: it runs, and detaching
			 * a running tracee fails; the capture thread's exit
			 * detaches it. */
			fz->stragglers++;
			rc = phi_error_set(err, PHI_E_NO_MEMORY,
					   "out of memory listing threads");
		} else {
			ptrace(PTRACE_INTERRUPT, tid, NULL, NULL);
			nnew++;
		}
	}
	closedir(d);
	free(k.v);
	if (rc < 0)
		return rc;
	late = wait_all(fz, first_new, deadline_ms);
	if (late >= 0)
		return phi_error_set(err, PHI_E_TIMEOUT,
				     "thread %d of process %d did not stop "
				     "within %.0f ms (in uninterruptible "
				     "sleep, or in a frozen cgroup?)",
				     (int)fz->threads[late].tid, (int)fz->pid,
				     deadline_ms);
	return nnew;
}

int phi_freeze(struct phi_freeze *fz, pid_t pid, double timeout_ms,
	       struct phi_error *err)
{
	sigset_t stop;
	int rc = 0, pass;

	memset(fz, 0, sizeof(*fz));
	sigemptyset(&stop);
	phi_freeze_signal_set(&stop, true, false);
	pthread_sigmask(SIG_BLOCK, &stop, &fz->saved_mask);
	fz->pid = pid;
	clock_gettime(CLOCK_MONOTONIC, &fz->t_start);
	fz->frozen = true;
	active = fz;
	for (pass = 0; pass < MAX_PASSES; pass++) {
		rc = seize_pass(fz, timeout_ms, err);
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

/* Threads seized but not stopped yet: most stop within microseconds of
 * their interrupt, and only a stopped tracee can be detached.  A short
 * wait, then whatever is left is a straggler. */
static void settle(struct phi_freeze *fz)
{
	struct timespec pause = { 0, 100 * 1000 };

	for (int round = 0; round < 50; round++) {
		bool waiting = false;

		for (size_t i = 0; i < fz->n;) {
			int w = poll_stopped(fz, i);

			waiting |= w < 0;
			if (w != 0)
				i++;
		}
		if (!waiting)
			return;
		nanosleep(&pause, NULL);
	}
	for (size_t i = 0; i < fz->n; i++)
		fz->stragglers += !fz->threads[i].stopped;
}

void phi_thaw(struct phi_freeze *fz)
{
	sigset_t old;

	if (!fz->frozen)
		return;
	block_handled(&old);
	settle(fz);
	detach_all(fz);
	fz->pause_ms = ms_since(&fz->t_start);
	fz->frozen = false;
	fz->n = 0;
	if (active == fz)
		active = NULL;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	/* The target runs: the stop signals may stop the tool now. */
	pthread_sigmask(SIG_SETMASK, &fz->saved_mask, NULL);
}

void phi_freeze_release(struct phi_freeze *fz)
{
	phi_thaw(fz);
	free(fz->threads);
	fz->threads = NULL;
	fz->cap = 0;
}
