/* CPython 3.10's state: its symbols (from the interpreter's ELF object),
 * its layouts (resolved in a thread), and both as a snapshot keeps
 * them. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/base/clock.h"
#include "pyheapinspect/cpython/310/py310.h"
#include "pyheapinspect/debuginfo/dwarf.h"

static const char *const symbol_names[PHI_S__COUNT] = {
#define PHI_SYM_NAME(id, name) [PHI_S_##id] = name,
	PHI_SYMBOLS(PHI_SYM_NAME)
#undef PHI_SYM_NAME
};

/* Resolving the layouts in a thread of its own: libdwarf takes a fixed
 * ~40 ms on every run, which the warm copy of the target's memory (it
 * needs no layout) can hide.  The thread shares nothing with the caller
 * until the join: it works on a copy of the path, into its own layout
 * and error record, and is the only thread that calls libdwarf (and
 * libelf) while it runs. */
struct phi_layout_job {
	pthread_t thread;
	bool running;              /* a thread was started, not yet joined */
	bool done;                 /* rc, err, layout and ms are final */
	char path[PATH_MAX];       /* the interpreter's open path */
	struct phi_layout layout;
	struct phi_error err;
	int rc;
	double ms;                 /* time the resolution itself took */
	/* tracemalloc's statics, when .symtab lacks them: from the DWARF
	 * the layouts came from (link-time addresses). */
	bool want_tm;
	uint64_t tm_addr[PHI_TM_NSTATICS];
	bool tm_found[PHI_TM_NSTATICS];
	char tm_why[200];
};

#include "legacy.inc"

#define NLEGACY_LAYOUT (sizeof(legacy_layout) / sizeof(legacy_layout[0]))
#define NLEGACY_SYMBOLS (sizeof(legacy_symbols) / sizeof(legacy_symbols[0]))

const char *phi_symbol_name(enum phi_sym_id id)
{
	return (unsigned)id < PHI_S__COUNT ? symbol_names[id] : "?";
}

static struct phi310 *state(struct phi_python *py)
{
	return py->impl;
}

/* tracemalloc's tables can be read: every static but the lock (which
 * only tells a torn state) has an address. */
static bool tm_statics_found(const struct phi310 *s)
{
	for (int i = PHI_TM_FIRST_STATIC; i <= PHI_TM_LAST_STATIC; i++)
		if (i != PHI_S_TM_TABLES_LOCK && !s->sym[i])
			return false;
	return true;
}

/* The state, and the built-in layouts until others are resolved; with
 * a job for the layout thread unless the layouts are imported. */
static int alloc_state(struct phi_python *py, bool job,
		       struct phi_error *err)
{
	struct phi310 *s = calloc(1, sizeof(*s));

	if (!s || (job && !(s->job = calloc(1, sizeof(*s->job))))) {
		free(s);
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	}
	phi_layout_builtin(&s->layout);
	py->impl = s;
	return 0;
}

int phi310_open(struct phi_python *py, struct phi_elf *elf,
		struct phi_error *err)
{
	struct phi_sym_query q[PHI_S__COUNT];
	int rc = alloc_state(py, true, err);

	if (rc < 0)
		return rc;
	for (int i = 0; i < PHI_S__COUNT; i++)
		q[i] = (struct phi_sym_query){ .name = symbol_names[i] };
	phi_elf_lookup(elf, q, PHI_S__COUNT);
	for (int i = 0; i < PHI_S__COUNT; i++)
		state(py)->sym[i] = q[i].found ? q[i].value + py->bias : 0;
	if (tm_statics_found(state(py)))
		state(py)->tm_syms = PHI_TM_SYMS_SYMTAB;
	return 0;
}

void phi310_close(struct phi_python *py)
{
	if (py->impl) {
		phi310_layout_wait(py);
		free(state(py)->job);
	}
	free(py->impl);
	py->impl = NULL;
}

/* ---- layouts in a thread ---------------------------------------------- */

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* tracemalloc's statics from the DWARF that gave the layouts (a build
 * without .symtab): the file-level variables of its compile unit. */
static void resolve_tm_statics(struct phi_layout_job *job)
{
	struct phi_dwarf_var v[PHI_TM_NSTATICS];
	struct phi_error err = { 0 };
	int rc;

	if (job->layout.source != PHI_LAYOUT_DWARF)
		return; /* install_tm_statics says why */
	for (int i = 0; i < PHI_TM_NSTATICS; i++)
		v[i] = (struct phi_dwarf_var){
			.name = symbol_names[PHI_TM_FIRST_STATIC + i] };
	rc = phi_dwarf_variables(job->layout.dwarf_path,
				 "Modules/_tracemalloc.c", v, PHI_TM_NSTATICS,
				 &err);
	if (rc < 0) {
		snprintf(job->tm_why, sizeof(job->tm_why), "%.199s", err.msg);
		return;
	}
	for (int i = 0; i < PHI_TM_NSTATICS; i++) {
		job->tm_addr[i] = v[i].addr;
		job->tm_found[i] = v[i].found;
		if (!v[i].found && !job->tm_why[0] &&
		    PHI_TM_FIRST_STATIC + i != PHI_S_TM_TABLES_LOCK)
			snprintf(job->tm_why, sizeof(job->tm_why), "no "
				 ".symtab, and the DWARF in '%.100s' locates "
				 "no %s", base_name(job->layout.dwarf_path),
				 v[i].name);
	}
}

static void resolve_job(struct phi_layout_job *job)
{
	double t0 = phi_now_ms();

	job->rc = phi_layout_resolve(&job->layout, job->path, &job->err);
	if (job->rc == 0 && job->want_tm)
		resolve_tm_statics(job);
	job->ms = phi_now_ms() - t0;
	job->done = true;
}

static void *layout_thread(void *arg)
{
	resolve_job(arg);
	return NULL;
}

void phi310_layout_start(struct phi_python *py)
{
	struct phi_layout_job *job = state(py)->job;
	sigset_t all, old;

	if (!job)
		return; /* imported: nothing to resolve */
	memset(job, 0, sizeof(*job));
	snprintf(job->path, sizeof(job->path), "%s", py->open_path);
	job->want_tm = state(py)->sym[PHI_S_TM_CONFIG] &&
		       state(py)->tm_syms == PHI_TM_SYMS_NONE;
	/* The thread starts with every signal blocked, so that SIGINT,
	 * SIGTERM... reach the main thread: only the thread that seized
	 * the target may detach from it (freeze.c's handlers). */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	job->running = pthread_create(&job->thread, NULL, layout_thread,
				      job) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void phi310_layout_wait(struct phi_python *py)
{
	struct phi_layout_job *job = state(py)->job;

	if (job && job->running) {
		pthread_join(job->thread, NULL);
		job->running = false;
	}
}

/* The public description of where the layouts came from. */
static void describe_layout(struct phi_python *py)
{
	const struct phi_layout *lay = &state(py)->layout;

	py->layout_source = lay->source;
	py->layout_missing = lay->missing;
	snprintf(py->layout_path, sizeof(py->layout_path), "%s",
		 lay->dwarf_path);
}

static void install_tm_statics(struct phi_python *py,
			       const struct phi_layout_job *job)
{
	struct phi310 *s = state(py);

	for (int i = 0; i < PHI_TM_NSTATICS; i++)
		if (job->tm_found[i])
			s->sym[PHI_TM_FIRST_STATIC + i] =
				job->tm_addr[i] + py->bias;
	if (tm_statics_found(s))
		s->tm_syms = PHI_TM_SYMS_DWARF;
	else if (job->layout.source != PHI_LAYOUT_DWARF)
		snprintf(s->tm_why, sizeof(s->tm_why), "'%.120s' has neither "
			 ".symtab nor DWARF for Modules/_tracemalloc.c",
			 base_name(py->object_path));
	else
		snprintf(s->tm_why, sizeof(s->tm_why), "%.199s", job->tm_why);
}

int phi310_layout_join(struct phi_python *py, struct phi_error *err)
{
	struct phi_layout_job *job = state(py)->job;

	if (!job)
		return 0;
	phi310_layout_wait(py);
	if (!job->done)
		resolve_job(job); /* no thread could be started */
	py->layout_ms = job->ms;
	if (job->rc < 0) {
		if (err)
			*err = job->err;
		return job->rc;
	}
	state(py)->layout = job->layout;
	describe_layout(py);
	if (job->want_tm)
		install_tm_statics(py, job);
	return 0;
}

/* ---- snapshots -------------------------------------------------------- */

/* "layout:_is.next", "layout:PyGC_Head" (a struct's size). */
static void layout_name(enum phi_layout_id id, char *buf, size_t len)
{
	const char *member = phi_layout_member_name(id);

	if (strcmp(member, "(size)") == 0)
		snprintf(buf, len, "layout:%s", phi_layout_type_name(id));
	else
		snprintf(buf, len, "layout:%s.%s", phi_layout_type_name(id),
			 member);
}

int phi310_export(const struct phi_python *py, struct phi_record *rec,
		  struct phi_error *err)
{
	const struct phi310 *s = phi310(py);
	char name[PHI_RECORD_MAX_NAME + 1];
	int rc = 0;

	for (int i = 0; i < PHI_L__COUNT && rc == 0; i++) {
		layout_name((enum phi_layout_id)i, name, sizeof(name));
		rc = phi_record_set_num(rec, name, s->layout.v[i], err);
	}
	for (int i = 0; i < PHI_S__COUNT && rc == 0; i++) {
		snprintf(name, sizeof(name), "symbol:%s", symbol_names[i]);
		rc = phi_record_set_num(rec, name, (int64_t)s->sym[i], err);
	}
	return rc;
}

/* The value saved for `name` (a table name without its prefix), looked
 * up by name, or for a format 1 or 2 snapshot by its position then. */
static bool saved(const struct phi_record *rec, const char *prefix,
		  const char *name, const char *const *legacy, size_t nlegacy,
		  int64_t *out)
{
	char key[PHI_RECORD_MAX_NAME + 1];

	snprintf(key, sizeof(key), "%s:%s", prefix, name);
	if (phi_record_num(rec, key, out))
		return true;
	for (size_t i = 0; i < nlegacy; i++)
		if (strcmp(legacy[i], name) == 0) {
			snprintf(key, sizeof(key), "legacy-%s:%zu", prefix, i);
			return phi_record_num(rec, key, out);
		}
	return false;
}

static int import_layout(struct phi310 *s, const struct phi_record *rec,
			 struct phi_error *err)
{
	char name[PHI_RECORD_MAX_NAME + 1];

	for (int i = 0; i < PHI_L__COUNT; i++) {
		int64_t v;

		layout_name((enum phi_layout_id)i, name, sizeof(name));
		if (!saved(rec, "layout", name + strlen("layout:"),
			   legacy_layout, NLEGACY_LAYOUT, &v))
			continue; /* the built-in value stays */
		s->layout.v[i] = v;
	}
	return phi_layout_validate(&s->layout, err);
}

/* A format 1 or 2 snapshot stored the tables by position: only those
 * of the size they had then can be read. */
static int check_legacy(const struct phi_record *rec, struct phi_error *err)
{
	int64_t nl = NLEGACY_LAYOUT, ns = NLEGACY_SYMBOLS;
	bool legacy = phi_record_num(rec, "legacy-layout:count", &nl);

	legacy |= phi_record_num(rec, "legacy-symbol:count", &ns);
	if (!legacy)
		return 0;
	if (nl == (int64_t)NLEGACY_LAYOUT && ns == (int64_t)NLEGACY_SYMBOLS)
		return 0;
	return phi_error_set(err, PHI_E_CORRUPT, "the snapshot was written "
			     "with %lld layout fields and %lld symbols; this "
			     "pyheapinspect reads %zu and %zu", (long long)nl,
			     (long long)ns, NLEGACY_LAYOUT, NLEGACY_SYMBOLS);
}

int phi310_import(struct phi_python *py, const struct phi_record *rec,
		  struct phi_error *err)
{
	struct phi310 *s;
	int rc = check_legacy(rec, err);

	if (rc == 0 && py->layout_missing > PHI_L__COUNT)
		rc = phi_error_set(err, PHI_E_CORRUPT, "the saved description "
				   "of the interpreter is corrupt: layout.missing "
				   "is %u, more than the %d layout fields",
				   py->layout_missing, PHI_L__COUNT);
	if (rc == 0)
		rc = alloc_state(py, false, err);
	if (rc < 0)
		return rc;
	s = state(py);
	for (int i = 0; i < PHI_S__COUNT; i++) {
		int64_t v = 0;

		saved(rec, "symbol", symbol_names[i], legacy_symbols,
		      NLEGACY_SYMBOLS, &v);
		s->sym[i] = (uint64_t)v;
	}
	s->layout.source = py->layout_source;
	s->layout.missing = py->layout_missing;
	snprintf(s->layout.dwarf_path, sizeof(s->layout.dwarf_path), "%s",
		 py->layout_path);
	if (!py->runtime)
		py->runtime = s->sym[PHI_S_RUNTIME];
	if (tm_statics_found(s))
		s->tm_syms = PHI_TM_SYMS_SNAPSHOT;
	else if (!s->sym[PHI_S_TM_CONFIG])
		snprintf(s->tm_why, sizeof(s->tm_why), "the snapshot holds no "
			 "address of tracemalloc's state (saved by a "
			 "pyheapinspect that did not read it)");
	else
		snprintf(s->tm_why, sizeof(s->tm_why), "the snapshot holds no "
			 "address of tracemalloc's tables");
	return import_layout(s, rec, err);
}
