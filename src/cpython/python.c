/* Locating the interpreter inside the target: which mapped ELF object
 * holds it, where it is loaded, its symbols and its version. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pyheapinspect/elfsym.h"
#include "pyheapinspect/target.h"

static const char *const symbol_names[PHI_S__COUNT] = {
#define PHI_SYM_NAME(id, name) [PHI_S_##id] = name,
	PHI_SYMBOLS(PHI_SYM_NAME)
#undef PHI_SYM_NAME
};

/* Py_GetVersion's buffer is 250 bytes in every 3.x. */
#define VERSION_BUF_MAX 250
/* The fallback scan looks at the object's data at most this far. */
#define VERSION_SCAN_MAX (16u << 20)

const char *phi_symbol_name(enum phi_sym_id id)
{
	return (unsigned)id < PHI_S__COUNT ? symbol_names[id] : "?";
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Open a mapped file the way that works for containers and for files
 * deleted since they were mapped: map_files first, then the process's
 * root directory. */
static int open_mapped(struct phi_target *t, const struct phi_map *m,
		       struct phi_elf *e, struct phi_error *err)
{
	snprintf(t->open_path, sizeof(t->open_path),
		 "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)t->pid,
		 m->start, m->end);
	if (phi_elf_open(e, t->open_path, NULL) == 0)
		return 0;
	snprintf(t->open_path, sizeof(t->open_path), "/proc/%d/root%s",
		 (int)t->pid, m->path);
	return phi_elf_open(e, t->open_path, err);
}

/* The first mapping of each distinct file; libpython first. */
static bool is_first_of_file(const struct phi_maps *maps, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (maps->v[j].inode == maps->v[i].inode &&
		    strcmp(maps->v[j].path, maps->v[i].path) == 0)
			return false;
	return true;
}

static int try_object(struct phi_target *t, const struct phi_map *m,
		      struct phi_error *err)
{
	struct phi_sym_query q[PHI_S__COUNT];
	struct phi_elf e;
	int rc;

	rc = open_mapped(t, m, &e, err);
	if (rc == -PHI_E_PERMISSION)
		return phi_error_errno(err, EPERM, t->pid,
				       "open the mapped files of");
	if (rc < 0)
		return 0; /* unreadable: not the interpreter we can use */
	for (int i = 0; i < PHI_S__COUNT; i++)
		q[i] = (struct phi_sym_query){ .name = symbol_names[i] };
	phi_elf_lookup(&e, q, 2); /* _PyRuntime, Py_GetVersion */
	if (!q[PHI_S_RUNTIME].found && !q[PHI_S_GETVERSION].found) {
		phi_elf_close(&e);
		return 0;
	}
	phi_elf_lookup(&e, q, PHI_S__COUNT);
	rc = phi_elf_load_bias(&e, m->start, m->offset, &t->bias, err);
	phi_elf_close(&e);
	if (rc < 0)
		return rc;
	snprintf(t->object_path, sizeof(t->object_path), "%s", m->path);
	for (int i = 0; i < PHI_S__COUNT; i++)
		t->sym[i] = q[i].found ? q[i].value + t->bias : 0;
	return 1;
}

static int find_interpreter(struct phi_target *t, struct phi_error *err)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < t->maps.n; i++) {
			const struct phi_map *m = &t->maps.v[i];
			bool libpy = strncmp(base_name(m->path), "libpython",
					     9) == 0;
			int rc;

			if (!phi_map_is_file(m) || (pass == 0) != libpy ||
			    !is_first_of_file(&t->maps, i))
				continue;
			rc = try_object(t, m, err);
			if (rc != 0)
				return rc < 0 ? rc : 0;
		}
	}
	return phi_error_set(err, PHI_E_NOT_PYTHON,
			     "process %d is not a Python process: no mapped "
			     "object defines _PyRuntime or Py_GetVersion",
			     (int)t->pid);
}

int phi_version_parse(const char *text, size_t len, struct phi_version *v)
{
	char buf[sizeof(v->text)];
	size_t n = 0;

	while (n < len && n < sizeof(buf) - 1 && text[n] &&
	       isprint((unsigned char)text[n]))
		n++;
	memcpy(buf, text, n);
	buf[n] = '\0';
	if (sscanf(buf, "%d.%d.%d", &v->major, &v->minor, &v->micro) != 3 ||
	    v->major < 2 || v->major > 9 || v->minor < 0 || v->minor > 99 ||
	    v->micro < 0 || v->micro > 99)
		return -1;
	memcpy(v->text, buf, n + 1);
	return 0;
}

/* Without the static buffer's symbol (a stripped binary), look for the
 * text Py_GetVersion wrote, "3.N.M (", in the object's writable data. */
static int scan_version(struct phi_target *t, struct phi_version *v)
{
	for (size_t i = 0; i < t->maps.n; i++) {
		const struct phi_map *m = &t->maps.v[i];
		size_t len = (size_t)(m->end - m->start);
		char *buf;

		if (!(m->perms & PHI_MAP_W) || len > VERSION_SCAN_MAX ||
		    (strcmp(m->path, t->object_path) != 0 &&
		     !(m->path[0] == '\0' && i > 0 &&
		       strcmp(t->maps.v[i - 1].path, t->object_path) == 0)))
			continue;
		buf = malloc(len);
		if (!buf)
			return -1;
		if (phi_read(&t->reader, m->start, buf, len, NULL) == 0) {
			for (size_t k = 0; k + 8 < len; k++) {
				if (buf[k] == '3' && buf[k + 1] == '.' &&
				    (k == 0 || buf[k - 1] == '\0') &&
				    memchr(buf + k, '(', len - k < 16 ?
					   len - k : 16) &&
				    phi_version_parse(buf + k, len - k, v) == 0) {
					free(buf);
					return 0;
				}
			}
		}
		free(buf);
	}
	return -1;
}

static int read_version(struct phi_target *t, struct phi_error *err)
{
	char buf[VERSION_BUF_MAX];
	int rc;

	if (t->sym[PHI_S_VERSION_BUF]) {
		rc = phi_read(&t->reader, t->sym[PHI_S_VERSION_BUF], buf,
			      sizeof(buf), err);
		if (rc < 0)
			return rc;
		if (phi_version_parse(buf, sizeof(buf), &t->version) == 0)
			return 0;
	}
	if (scan_version(t, &t->version) == 0)
		return 0;
	return phi_error_set(err, PHI_E_NOT_PYTHON,
			     "cannot find the Python version in the memory of "
			     "process %d ('%s'): is the interpreter "
			     "initialised?", (int)t->pid, t->object_path);
}

int phi_target_open(struct phi_target *t, pid_t pid, struct phi_error *err)
{
	int rc;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	phi_reader_init(&t->reader, pid);
	if (pid <= 0)
		return phi_error_set(err, PHI_E_NO_PROCESS,
				     "invalid pid %d", (int)pid);
	rc = phi_maps_read(pid, &t->maps, err);
	if (rc < 0)
		return rc;
	rc = find_interpreter(t, err);
	if (rc < 0)
		return rc;
	rc = read_version(t, err);
	if (rc < 0)
		return rc;
	if (t->version.major != 3 || t->version.minor != 10)
		return phi_error_set(err, PHI_E_VERSION,
				     "target runs CPython %d.%d.%d; "
				     "pyheapinspect supports 3.10",
				     t->version.major, t->version.minor,
				     t->version.micro);
	if (!t->sym[PHI_S_RUNTIME])
		return phi_error_set(err, PHI_E_NO_SYMBOLS,
				     "'%s' does not export _PyRuntime: "
				     "pyheapinspect needs it to find the "
				     "interpreter", t->object_path);
	return 0;
}

int phi_target_load_layout(struct phi_target *t, struct phi_error *err)
{
	return phi_layout_resolve(&t->layout, t->open_path, err);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void resolve_job(struct phi_layout_job *job)
{
	double t0 = now_ms();

	job->rc = phi_layout_resolve(&job->layout, job->path, &job->err);
	job->ms = now_ms() - t0;
	job->done = true;
}

static void *layout_thread(void *arg)
{
	resolve_job(arg);
	return NULL;
}

void phi_target_layout_start(const struct phi_target *t,
			     struct phi_layout_job *job)
{
	sigset_t all, old;

	memset(job, 0, sizeof(*job));
	snprintf(job->path, sizeof(job->path), "%s", t->open_path);
	/* The thread starts with every signal blocked, so that SIGINT,
	 * SIGTERM... reach the main thread: only the thread that seized
	 * the target may detach from it (freeze.c's handlers). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	job->running = pthread_create(&job->thread, NULL, layout_thread,
				      job) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void phi_target_layout_wait(struct phi_layout_job *job)
{
	if (job->running) {
		pthread_join(job->thread, NULL);
		job->running = false;
	}
}

int phi_target_layout_join(struct phi_target *t, struct phi_layout_job *job,
			   struct phi_error *err)
{
	phi_target_layout_wait(job);
	if (!job->done)
		resolve_job(job); /* no thread could be started */
	if (job->rc < 0) {
		if (err)
			*err = job->err;
		return job->rc;
	}
	t->layout = job->layout;
	return 0;
}

void phi_target_close(struct phi_target *t)
{
	phi_maps_release(&t->maps);
	phi_reader_close(&t->reader);
}
