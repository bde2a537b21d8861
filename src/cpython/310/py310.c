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
#include "pyheapinspect/debuginfo/debugfile.h"
#include "pyheapinspect/debuginfo/dwarf.h"

static const char *const symbol_names[PHI_S__COUNT] = {
#define PHI_SYM_NAME(id, name) [PHI_S_##id] = name,
	PHI_SYMBOLS(PHI_SYM_NAME)
#undef PHI_SYM_NAME
};

/* Resolving the layouts in a thread of its own: libdwarf takes a fixed
 * ~40 ms on every run, which the warm copy of the target's memory (it
 * needs no layout) can hide.  The same thread looks for the separate
 * debug file of a stripped object (checking a candidate reads it whole)
 * and takes from its .symtab the symbols the object lacks.  The thread
 * shares nothing with the caller until the join: it works on copies of
 * the paths (the --debug-dir strings are the caller's, read-only while
 * it runs), into its own layout, symbols and error record, and is the
 * only thread that calls libdwarf (and libelf) while it runs. */
struct phi_layout_job {
	pthread_t thread;
	bool running;              /* a thread was started, not yet joined */
	bool done;                 /* rc, err, layout and ms are final */
	char path[PATH_MAX];       /* the interpreter's open path */
	/* in: the object and where to look for its debug file */
	bool has_dwarf, has_symtab;
	struct phi_debug_want want;
	char root[64];
	const char *const *dirs;
	size_t ndirs;
	bool need[PHI_S__COUNT];   /* symbols the object lacks */
	/* out */
	struct phi_debugfile df;   /* df.fd closed by the thread */
	bool looked;               /* a debug file was looked for */
	bool found;                /* ... and one accepted */
	char dwarf_error[512];     /* the accepted file's DWARF failed */
	uint64_t value[PHI_S__COUNT]; /* st_value from its .symtab */
	bool got[PHI_S__COUNT];
	struct phi_layout layout;
	struct phi_error err;
	int rc;
	double ms;                 /* time the resolution itself took */
	/* tracemalloc's statics, when no .symtab has them: from the DWARF
	 * the layouts came from (link-time addresses). */
	bool want_tm;
	uint64_t tm_addr[PHI_TM_NSTATICS];
	bool tm_found[PHI_TM_NSTATICS];
	bool tm_dwarf;             /* a DWARF was there to look in */
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
	struct phi310 *s;
	int rc = alloc_state(py, true, err);

	if (rc < 0)
		return rc;
	s = state(py);
	for (int i = 0; i < PHI_S__COUNT; i++)
		q[i] = (struct phi_sym_query){ .name = symbol_names[i] };
	phi_elf_lookup(elf, q, PHI_S__COUNT);
	for (int i = 0; i < PHI_S__COUNT; i++) {
		s->sym[i] = q[i].found ? q[i].value + py->bias : 0;
		s->job->need[i] = !q[i].found;
	}
	/* .PyRuntime's start, when _PyRuntime is not exported */
	if (!s->sym[PHI_S_RUNTIME])
		s->sym[PHI_S_RUNTIME] = py->runtime;
	if (tm_statics_found(s))
		s->tm_syms = PHI_TM_SYMS_SYMTAB;
	s->nseg = phi_elf_segments(elf, s->seg, PHI_MAX_SEGMENTS);
	for (size_t i = 0; i < s->nseg; i++)
		s->seg[i].vaddr += py->bias;
	s->job->has_dwarf = elf->has_debug_info;
	s->job->has_symtab = elf->has_symtab;
	phi_debug_want_of(elf, py->object_path, &s->job->want);
	snprintf(py->symbols_note, sizeof(py->symbols_note), "%s of '%.400s'",
		 elf->has_symtab ? ".dynsym and .symtab" : ".dynsym only",
		 py->object_path);
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

/* The symbols the object lacks, from the debug file's .symtab. */
static void debug_symbols(struct phi_layout_job *job)
{
	struct phi_sym_query q[PHI_S__COUNT];
	struct phi_elf e;
	size_t n = 0;
	int id[PHI_S__COUNT];

	if (!job->df.has_symtab || phi_elf_open(&e, job->df.path, NULL) < 0)
		return;
	for (int i = 0; i < PHI_S__COUNT; i++)
		if (job->need[i]) {
			id[n] = i;
			q[n++] = (struct phi_sym_query){
				.name = symbol_names[i]
			};
		}
	phi_elf_lookup(&e, q, n);
	for (size_t k = 0; k < n; k++) {
		job->got[id[k]] = q[k].found;
		job->value[id[k]] = q[k].value;
	}
	phi_elf_close(&e);
}

/* Layouts from the accepted debug file's DWARF; a file that matched but
 * whose DWARF cannot be read leaves the built-in table, and says so. */
static void debug_layouts(struct phi_layout_job *job)
{
	struct phi_error derr = { 0 };

	if (!job->df.has_dwarf) {
		phi_layout_builtin(&job->layout);
		return;
	}
	if (phi_layout_resolve(&job->layout, job->df.path, &derr) < 0) {
		snprintf(job->dwarf_error, sizeof(job->dwarf_error), "%s",
			 derr.msg);
		phi_layout_builtin(&job->layout);
		return;
	}
	snprintf(job->layout.dwarf_path, sizeof(job->layout.dwarf_path),
		 "%s", job->df.shown);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Every static tracemalloc needs came from a debug file's .symtab. */
static bool tm_got_all(const struct phi_layout_job *job)
{
	for (int i = PHI_TM_FIRST_STATIC; i <= PHI_TM_LAST_STATIC; i++)
		if (i != PHI_S_TM_TABLES_LOCK && job->need[i] && !job->got[i])
			return false;
	return true;
}

/* tracemalloc's statics from the DWARF that gave the layouts (neither
 * the object nor its debug file has a .symtab naming them): the
 * file-level variables of its compile unit.  path is the object, or the
 * debug file while it is still open. */
static void resolve_tm_statics(struct phi_layout_job *job, const char *path,
			       const char *shown)
{
	struct phi_dwarf_var v[PHI_TM_NSTATICS];
	struct phi_error err = { 0 };
	int rc;

	job->tm_dwarf = true;
	for (int i = 0; i < PHI_TM_NSTATICS; i++)
		v[i] = (struct phi_dwarf_var){
			.name = symbol_names[PHI_TM_FIRST_STATIC + i] };
	rc = phi_dwarf_variables(path, "Modules/_tracemalloc.c", v,
				 PHI_TM_NSTATICS, &err);
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
				 "no %s", base_name(shown), v[i].name);
	}
}

/* Where to look for them, if anywhere: the object's own DWARF, else the
 * accepted debug file's. */
static void tm_statics(struct phi_layout_job *job)
{
	if (!job->want_tm || tm_got_all(job))
		return;
	if (job->has_dwarf)
		resolve_tm_statics(job, job->path, job->path);
	else if (job->found && job->df.has_dwarf && !job->dwarf_error[0])
		resolve_tm_statics(job, job->df.path, job->df.shown);
}

static void resolve_job(struct phi_layout_job *job)
{
	struct phi_debug_search search = { job->root, job->dirs, job->ndirs };
	double t0 = phi_now_ms();

	job->looked = !job->has_dwarf || !job->has_symtab;
	if (job->looked)
		job->found = phi_debugfile_find(&job->want, &search, &job->df);
	if (job->has_dwarf || !job->found) {
		job->rc = phi_layout_resolve(&job->layout, job->path,
					     &job->err);
	} else {
		job->rc = 0;
		debug_layouts(job);
	}
	if (job->found)
		debug_symbols(job);
	if (job->rc == 0)
		tm_statics(job);
	if (job->found)
		phi_debugfile_close(&job->df);
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
	job->running = job->done = job->looked = job->found = false;
	memset(&job->df, 0, sizeof(job->df));
	job->df.fd = -1;
	memset(job->got, 0, sizeof(job->got));
	job->dwarf_error[0] = '\0';
	job->want_tm = state(py)->sym[PHI_S_TRACEMALLOC_CONFIG] &&
		       state(py)->tm_syms == PHI_TM_SYMS_NONE;
	memset(job->tm_found, 0, sizeof(job->tm_found));
	job->tm_dwarf = false;
	job->tm_why[0] = '\0';
	snprintf(job->path, sizeof(job->path), "%s", py->open_path);
	snprintf(job->root, sizeof(job->root), "%s", py->root);
	job->dirs = py->debug_dirs;
	job->ndirs = py->ndebug_dirs;
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

/* " in the root of process N (/proc/N/root)" for a file found in the
 * target's own mount namespace (a container), "" on the host. */
static void where(const struct phi_python *py, bool in_root, char *buf,
		  size_t cap)
{
	int pid = 0;

	if (in_root && sscanf(py->root, "/proc/%d/root", &pid) == 1)
		snprintf(buf, cap, " in the root of process %d (%s)", pid,
			 py->root);
	else if (in_root)
		snprintf(buf, cap, " under %s", py->root);
	else
		buf[0] = '\0';
}

/* The refused debug files: lines for main, and gaps when none was
 * accepted (the report then rests on the built-in table and on what
 * statics.c finds, not on the debug file the build has). */
static void note_refused(struct phi_python *py,
			 const struct phi_layout_job *job)
{
	const struct phi_debugfile *df = &job->df;
	char in[128];

	for (size_t i = 0; i < df->nrefused; i++) {
		const struct phi_debug_refusal *r = &df->refused[i];

		where(py, r->in_root, in, sizeof(in));
		snprintf(py->debug_refused[i], sizeof(py->debug_refused[i]),
			 "debug file '%s'%s refused: %s", r->shown, in,
			 r->why);
		py->ndebug_refused++;
		if (job->found)
			continue;
		phi_gap_add(&py->notes, "debug file refused", -1, -1,
			    "'%s'%s: %s; layouts from the built-in table "
			    "instead (install this build's debug file)",
			    r->shown, in, r->why);
	}
	if (df->refused_dropped && !job->found)
		phi_gap_add(&py->notes, "debug files refused", -1, -1,
			    "%zu more debug files do not match the object",
			    df->refused_dropped);
}

/* What the debug file gave: its symbols (at the object's bias), the
 * description for -v. */
static void take_debug_file(struct phi_python *py,
			    const struct phi_layout_job *job)
{
	struct phi310 *s = state(py);
	const struct phi_debugfile *df = &job->df;
	char in[128];
	size_t n = 0;

	note_refused(py, job);
	if (!job->found)
		return;
	for (int i = 0; i < PHI_S__COUNT; i++)
		if (job->got[i] && !s->sym[i]) {
			s->sym[i] = job->value[i] + py->bias;
			n++;
		}
	where(py, df->in_root, in, sizeof(in));
	snprintf(py->debug_path, sizeof(py->debug_path), "%s", df->shown);
	snprintf(py->debug_note, sizeof(py->debug_note), "%s, matched %s; "
		 "%s%s", in[0] ? in + 1 : "on the host", df->how_text,
		 !df->has_dwarf ? ".symtab read from it (no DWARF)" :
		 !df->has_symtab ? "DWARF read from it (no .symtab)" :
				   "DWARF and .symtab read from it",
		 job->dwarf_error[0] ? " (the DWARF is unreadable: built-in "
				       "layouts)" : "");
	if (df->has_symtab)
		snprintf(py->symbols_note + strlen(py->symbols_note),
			 sizeof(py->symbols_note) - strlen(py->symbols_note),
			 ", then .symtab of the debug file (%zu symbols)", n);
	if (job->dwarf_error[0])
		phi_gap_add(&py->notes, "debug file DWARF", -1, -1, "'%s'%s "
			    "matches the object but its DWARF cannot be read "
			    "(%s): layouts from the built-in table", df->shown,
			    in, job->dwarf_error);
}

/* After take_debug_file: the statics a debug file's .symtab gave, else
 * those its DWARF (or the object's) located; else why not. */
static void install_tm_statics(struct phi_python *py,
			       const struct phi_layout_job *job)
{
	struct phi310 *s = state(py);

	if (!job->want_tm)
		return;
	if (tm_statics_found(s)) {
		s->tm_syms = PHI_TM_SYMS_SYMTAB;
		return;
	}
	for (int i = 0; i < PHI_TM_NSTATICS; i++)
		if (job->tm_found[i] && !s->sym[PHI_TM_FIRST_STATIC + i])
			s->sym[PHI_TM_FIRST_STATIC + i] =
				job->tm_addr[i] + py->bias;
	if (tm_statics_found(s))
		s->tm_syms = PHI_TM_SYMS_DWARF;
	else if (!job->tm_dwarf)
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
	take_debug_file(py, job);
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
	if (rc == 0)
		rc = phi_record_set_num(rec, "segment:count",
					(int64_t)s->nseg, err);
	for (size_t i = 0; i < s->nseg && rc == 0; i++) {
		const struct phi_elf_segment *g = &s->seg[i];
		const int64_t v[3] = { (int64_t)g->vaddr, (int64_t)g->memsz,
				       g->flags };
		static const char *const field[3] = { "vaddr", "memsz",
						      "flags" };

		for (int f = 0; f < 3 && rc == 0; f++) {
			snprintf(name, sizeof(name), "segment:%zu.%s", i,
				 field[f]);
			rc = phi_record_set_num(rec, name, v[f], err);
		}
	}
	return rc;
}

/* The object's segments, when the snapshot kept them (from this
 * version on): only what statics.c needs, each value bounded. */
static void import_segments(struct phi310 *s, const struct phi_record *rec)
{
	static const char *const field[3] = { "vaddr", "memsz", "flags" };
	char name[PHI_RECORD_MAX_NAME + 1];
	int64_t n = 0, v[3];

	s->nseg = 0;
	if (!phi_record_num(rec, "segment:count", &n) || n < 0 ||
	    n > PHI_MAX_SEGMENTS)
		return;
	for (int64_t i = 0; i < n; i++) {
		for (int f = 0; f < 3; f++) {
			snprintf(name, sizeof(name), "segment:%lld.%s",
				 (long long)i, field[f]);
			if (!phi_record_num(rec, name, &v[f]))
				return;
		}
		/* an address of the user half, a size below 4 GiB; all or
		 * nothing */
		if (v[0] <= 0 || v[1] < 0 || v[1] > (1LL << 32) || v[2] < 0 ||
		    v[2] > 7 || (uint64_t)v[0] + (uint64_t)v[1] > (1ULL << 47))
			return;
		s->seg[i] = (struct phi_elf_segment){
			(uint64_t)v[0], (uint64_t)v[1], (unsigned)v[2]
		};
	}
	s->nseg = (size_t)n;
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
	import_segments(s, rec);
	if (tm_statics_found(s))
		s->tm_syms = PHI_TM_SYMS_SNAPSHOT;
	else if (!s->sym[PHI_S_TRACEMALLOC_CONFIG])
		snprintf(s->tm_why, sizeof(s->tm_why), "the snapshot holds no "
			 "address of tracemalloc's state (saved by a "
			 "pyheapinspect that did not read it)");
	else
		snprintf(s->tm_why, sizeof(s->tm_why), "the snapshot holds no "
			 "address of tracemalloc's tables");
	return import_layout(s, rec, err);
}
