/* Allocation sites: tracemalloc's traces (cpython/traces.h) grouped as
 * tracemalloc.Snapshot.statistics() groups them, and joined with the
 * graph: the retained set of a leak suspect or a named object broken
 * down by the line that allocated each of its blocks. */
#ifndef PYHEAPINSPECT_SITES_H
#define PYHEAPINSPECT_SITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/analysis/dominators.h"
#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/heap.h"
#include "pyheapinspect/cpython/traces.h"

/* One row of statistics("lineno") (file and lineno: the most recent
 * frame) or of statistics("traceback") (tb: one traceback of the
 * group, index in t->tb; file and lineno are its most recent frame). */
struct phi_site {
	uint32_t file, lineno;
	uint32_t tb;
	uint64_t size, count;
};

/* The retained set of one object by allocation site: its own block and
 * every block it owns (a dict's keys table, a list's items), of it and
 * of every object it dominates, summed per line.  Objects of the set
 * with no trace of their own are counted apart, at their getsizeof less
 * what their traced blocks hold: traced + untraced_size is the retained
 * size when the traces cover what sys.getsizeof counts. */
struct phi_site_split {
	uint32_t node;
	uint64_t retained;         /* its retained size (sys.getsizeof) */
	uint64_t objects;          /* objects in the retained set */
	uint64_t traced, blocks;   /* traced bytes and blocks in it */
	uint64_t untraced_objects, untraced_size;
	struct phi_site *rows;     /* the largest lines, at most `top` */
	size_t nrows, lines;       /* rows kept; lines the set touches */
};

/* Growth by allocation site against a baseline (--baseline): what
 * Snapshot.compare_to(old, "lineno") gives.  A capture summary
 * (summary.h) keeps phi_sites_lines() of its capture (filename, lineno,
 * size, count); phi_sites_diff() of two such lists, or
 * phi_sites_compare() of a capture's sites against a baseline's lines,
 * gives the rows. */
struct phi_site_line {
	const char *filename;
	size_t filename_len;
	uint32_t lineno;
	uint64_t size, count;
};

struct phi_site_growth {
	const char *filename;      /* in now's or then's t->files */
	size_t filename_len;
	uint32_t lineno;
	int64_t size_diff, count_diff;
	uint64_t size, count;      /* now */
};

struct phi_sites {
	const struct phi_traces *t;  /* NULL when no traces were read */
	struct phi_site *lineno;     /* every line, largest first */
	size_t nlineno;
	struct phi_site *traceback;  /* every traceback, when asked */
	size_t ntraceback;
	uint32_t *tb_row;            /* per traceback (t->tb): the row of
				      * its most recent frame in lineno[] */
	struct phi_site_split *named;    /* one per named object */
	size_t nnamed;
	struct phi_site_split *suspects; /* one per leak suspect */
	size_t nsuspects;
	struct phi_site_growth *growth;  /* phi_sites_compare's, or NULL */
	size_t ngrowth;
};

/* What to compute: the rows of statistics() (by traceback too if
 * by_traceback), and the split of each of nodes[0..nnamed) (named
 * objects) and suspects[0..nsuspects), keeping `top` rows each. */
struct phi_sites_opts {
	bool by_traceback;
	const uint32_t *named;
	size_t nnamed;
	const uint32_t *suspects;
	size_t nsuspects;
	size_t top;
};

int phi_sites_compute(struct phi_sites *s, const struct phi_heap *h,
		      const struct phi_traces *t,
		      const struct phi_dominators *dom,
		      const struct phi_sites_opts *o, struct phi_error *err);
void phi_sites_release(struct phi_sites *s);

/* A capture's lines (filenames borrowed from s->t), in (filename,
 * line) order; *out to free. */
int phi_sites_lines(const struct phi_sites *s, struct phi_site_line **out,
		    size_t *n, struct phi_error *err);

/* Growth of one capture's lines against a baseline's: now's minus
 * then's, matched by filename text and line, lines of one side only
 * included (unchanged lines too, as compare_to lists them), ordered as
 * Snapshot.compare_to() orders them (|size_diff|, size, |count_diff|,
 * count, then the line, largest first).  Neither list need be sorted;
 * the rows point at their filenames.  *out (nnow + nthen rows at most)
 * to free. */
int phi_sites_diff(const struct phi_site_line *now, size_t nnow,
		   const struct phi_site_line *then, size_t nthen,
		   struct phi_site_growth **out, size_t *nout,
		   struct phi_error *err);

/* The same for a capture's sites (phi_sites_lines of now): fills
 * now->growth. */
int phi_sites_compare(struct phi_sites *now,
		      const struct phi_site_line *then, size_t nthen,
		      struct phi_error *err);

#endif
