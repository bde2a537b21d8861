/* The CPython layer's public face, part 1: the interpreter found in a
 * memory source (where it is, which version, where its symbols and
 * layouts came from), and what the tool reads of its global state.
 * Everything version-specific is behind the table of cpython/ops.h, one
 * entry per CPython version (cpython/310/ is the only one today); the
 * callers of this header never test the version.  Part 2, the heap and
 * the questions asked about its objects, is cpython/heap.h. */
#ifndef PYHEAPINSPECT_PYTHON_H
#define PYHEAPINSPECT_PYTHON_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/base/gaps.h"
#include "pyheapinspect/base/record.h"
#include "pyheapinspect/source/image.h"
#include "pyheapinspect/source/source.h"

struct phi_cpython_ops;

struct phi_version {
	int major, minor, micro;
	char text[96]; /* "3.10.13 (main, May  9 2026, ...) [GCC 12.2.0]" */
};

enum phi_layout_source {
	PHI_LAYOUT_BUILTIN,
	PHI_LAYOUT_DWARF,
};

struct phi_python {
	const struct phi_cpython_ops *ops; /* the version's table */
	struct phi_version version;
	char object_path[PATH_MAX]; /* the ELF object holding the
				     * interpreter, as named in maps */
	char open_path[PATH_MAX];   /* what was opened to read it */
	uint64_t bias;              /* its load bias */
	uint64_t runtime;           /* &_PyRuntime */
	/* Where the struct layouts came from, once they are resolved. */
	enum phi_layout_source layout_source;
	char layout_path[PATH_MAX]; /* the file whose DWARF was used */
	unsigned layout_missing;    /* fields DWARF lacked (built-in kept) */
	double layout_ms;           /* time the resolution took */
	struct phi_gaps gaps;       /* what the description lacks (symbols
				     * a stripped build does not have...) */
	struct phi_gaps notes;      /* what the user should know but costs
				     * nothing (a debug file refused while
				     * the built-in table stands in) */
	void *impl;                 /* the version's own state */

	/* Where symbols and debug files come from (issue 11).  The caller
	 * of phi_python_locate may set debug_dirs (--debug-dir) before
	 * phi_python_layout_start; the rest is filled by the stages. */
	const char *const *debug_dirs; /* searched after the standard
					* places, in order */
	size_t ndebug_dirs;
	char root[64];              /* the target's root directory
				     * ("/proc/PID/root"), "" if none */
	char object_note[320];      /* how the mapped file was checked */
	char symbols_note[640];     /* where the symbols came from, and
				     * the statics found in memory */
	char debug_path[PATH_MAX];  /* the debug file used, as the target
				     * names it; "" when none */
	char debug_note[768];       /* where it was and how it matched */
	/* Debug files looked at and refused, one line each: main prints
	 * them as warnings when none was accepted (then each is also a
	 * gap), under -v otherwise. */
	char debug_refused[4][PATH_MAX / 4 + 320];
	size_t ndebug_refused;
};

/* Bounds on lists the target's memory could make endless. */
#define PHI_MAX_INTERPS 64
#define PHI_MAX_THREADS 4096

/* One interpreter, as the version reads it from the image. */
struct phi_interp {
	uint64_t addr;
	int64_t id;          /* interp->id: 0 for the main interpreter, then
			      * 1, 2... in the order they were created
			      * (never reused), as _xxsubinterpreters and
			      * PyInterpreterState_GetID number them */
	uint64_t tstate_head;
	uint64_t modules, sysdict, builtins, importlib;
	int gc_collecting;
	/* Where that flag is in the target, to read it again from the
	 * live process while waiting for a collection's end. */
	uint64_t gc_collecting_addr;
};

struct phi_runtime {
	uint64_t runtime;    /* &_PyRuntime */
	uint64_t interp_main;
	struct phi_interp interps[PHI_MAX_INTERPS];
	size_t ninterps;
};

/* Whether interps[k] is the main interpreter. */
static inline bool phi_runtime_is_main(const struct phi_runtime *rt,
				       size_t k)
{
	return k < rt->ninterps && rt->interps[k].addr == rt->interp_main;
}

/* The interpreters in the order the reports and the paths take them:
 * the main one first, then by id (order[] gets rt->ninterps indices). */
static inline void phi_runtime_order(const struct phi_runtime *rt,
				     uint32_t order[PHI_MAX_INTERPS])
{
	size_t n = 0;

	for (size_t k = 0; k < rt->ninterps; k++)
		if (phi_runtime_is_main(rt, k))
			order[n++] = (uint32_t)k;
	for (size_t k = 0; k < rt->ninterps; k++) {
		size_t at = n;

		if (phi_runtime_is_main(rt, k))
			continue;
		/* Insertion by id, after main (at most 64). */
		while (at > 0 && !phi_runtime_is_main(rt, order[at - 1]) &&
		       rt->interps[order[at - 1]].id > rt->interps[k].id) {
			order[at] = order[at - 1];
			at--;
		}
		order[at] = (uint32_t)k;
		n++;
	}
}

/* The index in interps of the interpreter whose id is id, or
 * PHI_MAX_INTERPS when there is none. */
static inline size_t phi_runtime_find_id(const struct phi_runtime *rt,
					 int64_t id)
{
	for (size_t k = 0; k < rt->ninterps; k++)
		if (rt->interps[k].id == id)
			return k;
	return PHI_MAX_INTERPS;
}

/* The small-int cache, every slot checked against the value it must
 * hold (a torn or corrupt read shows up as a mismatch). */
#define PHI_SMALL_INTS_MAX 512

struct phi_small_int {
	int value;           /* the value the slot should hold */
	uint64_t address;    /* the cached object (0 if the slot is empty) */
	int64_t refcnt;
	bool readable;       /* the object header was in the image */
	bool type_ok;        /* ob_type is int */
	bool value_ok;       /* its digits decode to `value` */
	int64_t decoded;     /* what they decode to, when readable */
};

struct phi_small_ints {
	struct phi_small_int v[PHI_SMALL_INTS_MAX];
	size_t n;            /* slots, from the first value up */
	int first, last;     /* the values cached: -5..256 in 3.10 */
	int mismatches;      /* slots whose object is not what it should be */
};

/* Find the interpreter in a source that has files (a live process): the
 * mapped ELF object defining _PyRuntime or Py_GetVersion, its load bias,
 * its version (read from the target's memory), and the version's own
 * symbols.  PHI_E_NOT_PYTHON, or PHI_E_VERSION naming the version found
 * when no table entry decodes it.  Reads no DWARF. */
int phi_python_locate(struct phi_python *py, struct phi_source *src,
		      struct phi_error *err);

/* The same from a description saved by phi_python_export (a snapshot):
 * every value is checked as if it came from the target. */
int phi_python_import(struct phi_python *py, const struct phi_record *rec,
		      struct phi_error *err);
int phi_python_export(const struct phi_python *py, struct phi_record *rec,
		      struct phi_error *err);

/* The struct layouts (DWARF, or the version's built-in table) are
 * resolved in a thread of their own while the memory is copied: start,
 * wait for the thread (before the freeze, so that it never competes
 * with the frozen copy), then join, which installs them or returns the
 * thread's error.  After an import they are there already: all three do
 * nothing. */
void phi_python_layout_start(struct phi_python *py);
void phi_python_layout_wait(struct phi_python *py);
int phi_python_layout_join(struct phi_python *py, struct phi_error *err);

/* After the capture and phi_python_runtime: find in the image what the
 * symbol tables lacked (the statics of a stripped build), validate it,
 * and add a gap for each static still missing.  Bounded by the object's
 * own data; never fails on what it cannot find. */
int phi_python_statics(struct phi_python *py, const struct phi_image *img,
		       const struct phi_runtime *rt, struct phi_error *err);

/* _PyRuntime, the interpreters and their threads, from the image. */
int phi_python_runtime(const struct phi_python *py,
		       const struct phi_image *img, struct phi_runtime *rt,
		       struct phi_error *err);

/* The main interpreter's small-int cache. */
int phi_python_small_ints(const struct phi_python *py,
			  const struct phi_image *img,
			  const struct phi_runtime *rt,
			  struct phi_small_ints *out, struct phi_error *err);

/* The version's name for messages ("3.10"). */
const char *phi_python_version_name(const struct phi_python *py);

void phi_python_close(struct phi_python *py);

/* Parse "3.10.13 (..." into v.  Returns 0 or -1. */
int phi_version_parse(const char *text, size_t len, struct phi_version *v);

#endif
