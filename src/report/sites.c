/* The allocation sites section: tracemalloc's state in one line, the
 * rows of statistics("lineno") (or "traceback") printed as
 * tracemalloc's own str(Statistic) prints them, each named object's
 * allocation traceback, and the retained sets of named objects and leak
 * suspects by allocation site; and the same in the JSON document. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pyheapinspect/base/escape.h"
#include "pyheapinspect/report/jsonout.h"
#include "pyheapinspect/report/sites.h"
#include "pyheapinspect/report/textout.h"

#define NO_TRACE "no trace: allocated before tracing started, reused " \
	"from a free-list block tracemalloc never saw, or not allocated " \
	"by Python's allocators"

/* Rows of a retained set printed under its object. */
#define SPLIT_ROWS_TEXT 5

static const struct phi_sites *sites_of(const struct phi_report *r)
{
	return r->analysis && r->analysis->sites.t ? &r->analysis->sites
						    : NULL;
}

static const char *state_name(enum phi_traces_state s)
{
	switch (s) {
	case PHI_TRACES_OFF: return "off";
	case PHI_TRACES_UNAVAILABLE: return "unavailable";
	case PHI_TRACES_BROKEN: return "broken";
	case PHI_TRACES_READ: return "tracing";
	default: return "absent";
	}
}

/* ---- text ------------------------------------------------------------- */

/* A name from the target, for a terminal: escaped as base/escape.h
 * says (C0 and C1 controls, DEL, bytes that are not UTF-8, what reorders
 * text), its NUL bytes included, in pieces of 256 characters. */
static void put_name(FILE *out, const struct phi_trace_file *f)
{
	char buf[256 * PHI_ESCAPE_MAX + 1];
	const char *p = f->text;
	size_t left = f->len;

	while (left) {
		/* A piece ends where a UTF-8 sequence may start. */
		size_t n = left < 256 ? left : 256;
		bool cut;

		while (n < left && n > 1 &&
		       ((unsigned char)p[n] & 0xC0) == 0x80)
			n--;
		phi_escape_text(buf, sizeof(buf), p, n, n, &cut);
		fputs(buf, out);
		p += n;
		left -= n;
	}
}

static void put_frame(FILE *out, const struct phi_traces *t,
		      const struct phi_trace_frame *f)
{
	put_name(out, &t->files[f->file]);
	fprintf(out, ":%" PRIu32, f->lineno);
}

/* tracemalloc's _format_size(size, sign=False); sizes are >= 0. */
static const char *py_size(double size, char *buf, size_t cap)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };

	for (int u = 0; u < 5; u++) {
		if (size < 100 && u != 0) {
			snprintf(buf, cap, "%.1f %s", size, units[u]);
			return buf;
		}
		if (size < 10 * 1024 || u == 4) {
			snprintf(buf, cap, "%.0f %s", size, units[u]);
			return buf;
		}
		size /= 1024;
	}
	return buf;
}

/* str(Statistic): "file:line: size=1102 KiB, count=10553, average=107 B"
 * (the traceback printed as its oldest frame, as Traceback.__str__
 * does). */
static void put_statistic(FILE *out, const struct phi_traces *t,
			  const struct phi_site *s, bool by_traceback)
{
	const struct phi_traceback *b = &t->tb[s->tb];
	struct phi_trace_frame f = { s->file, s->lineno };
	char b1[32], b2[32];

	if (by_traceback)
		f = t->frames[b->frame + b->nframe - 1];
	put_frame(out, t, &f);
	fprintf(out, ": size=%s, count=%" PRIu64, py_size((double)s->size, b1,
							sizeof(b1)), s->count);
	if (s->count)
		fprintf(out, ", average=%s",
			py_size((double)s->size / (double)s->count, b2,
				sizeof(b2)));
	fputc('\n', out);
}

static void print_rows(FILE *out, const struct phi_report *r,
		       const struct phi_site *rows, size_t n, bool by_tb)
{
	const struct phi_traces *t = r->traces;

	for (size_t i = 0; i < n && i < r->top; i++) {
		fputs("  ", out);
		put_statistic(out, t, &rows[i], by_tb);
		if (!by_tb)
			continue;
		for (unsigned k = 0; k < t->tb[rows[i].tb].nframe; k++) {
			fputs("      ", out);
			put_frame(out, t, &t->frames[t->tb[rows[i].tb].frame +
						     k]);
			fputc('\n', out);
		}
	}
	if (n > r->top)
		fprintf(out, "  ... %zu more (--top N)\n", n - r->top);
}

static void print_split(FILE *out, const struct phi_report *r,
			const struct phi_site_split *x, size_t rows)
{
	char b1[32], b2[32], b3[32];

	fprintf(out, "traced %s of the %s retained, in %" PRIu64 " blocks "
		"at %zu lines; %" PRIu64 " of its %" PRIu64 " objects have "
		"no trace (%s)\n", phi_size_text(x->traced, b1, sizeof(b1)),
		phi_size_text(x->retained, b2, sizeof(b2)), x->blocks, x->lines,
		x->untraced_objects, x->objects,
		phi_size_text(x->untraced_size, b3, sizeof(b3)));
	for (size_t i = 0; i < x->nrows && i < rows; i++) {
		fprintf(out, "      %10s %8" PRIu64 " blocks  ",
			phi_size_text(x->rows[i].size, b1, sizeof(b1)),
			x->rows[i].count);
		put_frame(out, r->traces, &(struct phi_trace_frame){
					     x->rows[i].file,
					     x->rows[i].lineno });
		fputc('\n', out);
	}
	if (x->lines > rows)
		fprintf(out, "      ... %zu more lines\n", x->lines - rows);
}

void phi_sites_named_text(FILE *out, const struct phi_report *r, size_t i)
{
	const struct phi_sites *s = sites_of(r);
	const struct phi_traces *t = r->traces;
	uint32_t tr;
	char b[32];

	if (!s || i >= s->nnamed)
		return;
	tr = t->node_trace[s->named[i].node];
	if (tr == PHI_NONE) {
		fprintf(out, "  allocated at  (%s)\n", NO_TRACE);
	} else {
		const struct phi_traceback *tb = &t->tb[t->v[tr].traceback];

		for (unsigned k = 0; k < tb->nframe; k++) {
			fputs(k ? "                " : "  allocated at  ", out);
			put_frame(out, t, &t->frames[tb->frame + k]);
			if (k == 0)
				fprintf(out, "  (its block: %s; most recent "
					"call first)",
					phi_size_text(t->v[tr].size, b, sizeof(b)));
			fputc('\n', out);
		}
	}
	fputs("  by site       ", out);
	print_split(out, r, &s->named[i], SPLIT_ROWS_TEXT);
}

/* The one line said whether or not --sites was given.  When the
 * traces could not be read, main made it a note or, with --sites, a gap
 * (the NOTE or INCOMPLETE line under the header). */
static void print_state(FILE *out, const struct phi_report *r)
{
	const struct phi_traces *t = r->traces;
	char b1[32], b2[32];

	if (t->state == PHI_TRACES_UNAVAILABLE ||
	    t->state == PHI_TRACES_BROKEN)
		return;
	if (t->state != PHI_TRACES_READ) {
		fprintf(out, "\nallocation sites: none: %s\n", t->note);
		return;
	}
	fprintf(out, "\nallocation sites: tracemalloc is tracing, %zu traces, "
		"traced memory %s (peak %s), traceback limit %d%s\n",
		(size_t)t->ntraces,
		phi_size_text(t->traced, b1, sizeof(b1)),
		phi_size_text(t->peak, b2, sizeof(b2)), t->max_nframe,
		r->sites ? "" : "; --sites lists them");
}

static void print_suspects(FILE *out, const struct phi_report *r,
			   const struct phi_sites *s)
{
	const struct phi_graph *g = &r->heap->g;
	char b[32];

	if (!s->nsuspects)
		return;
	fprintf(out, "\nleak suspects by allocation site:\n");
	for (size_t i = 0; i < s->nsuspects; i++) {
		const struct phi_site_split *x = &s->suspects[i];

		fputs("  ", out);
		phi_text_put(out, phi_heap_type(r->heap, x->node)->name, 120);
		fprintf(out, " at 0x%" PRIx64 " retains %s:\n    ",
			g->addr[x->node], phi_size_text(x->retained, b, sizeof(b)));
		print_split(out, r, x, r->top);
	}
}

void phi_sites_text(FILE *out, const struct phi_report *r)
{
	const struct phi_sites *s = sites_of(r);
	const struct phi_traces *t = r->traces;
	bool by_tb = r->sites == 2 && s && s->traceback;

	if (!t)
		return;
	print_state(out, r);
	if (!r->sites || !s)
		return;
	fprintf(out, "\nallocation sites (statistics(\"%s\")): %zu %s, "
		"traced memory %" PRIu64 " B, peak %" PRIu64 " B\n",
		by_tb ? "traceback" : "lineno",
		by_tb ? s->ntraceback : s->nlineno,
		by_tb ? "tracebacks" : "lines", t->traced, t->peak);
	if (by_tb)
		print_rows(out, r, s->traceback, s->ntraceback, true);
	else
		print_rows(out, r, s->lineno, s->nlineno, false);
	print_suspects(out, r, s);
}

/* ---- JSON ------------------------------------------------------------- */

static void uint_field(yajl_gen g, const char *key, uint64_t v)
{
	phi_json_key(g, key);
	yajl_gen_integer(g, (long long)v);
}

static void file_field(yajl_gen g, const struct phi_traces *t,
		       uint32_t file)
{
	phi_json_key(g, "filename");
	phi_json_text(g, (const unsigned char *)t->files[file].text,
		      t->files[file].len);
}

static void frames_json(yajl_gen g, const struct phi_traces *t,
			const struct phi_traceback *tb)
{
	yajl_gen_array_open(g);
	for (unsigned k = 0; k < tb->nframe; k++) {
		const struct phi_trace_frame *f = &t->frames[tb->frame + k];

		yajl_gen_map_open(g);
		file_field(g, t, f->file);
		uint_field(g, "lineno", f->lineno);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

static void row_json(yajl_gen g, const struct phi_traces *t,
		     const struct phi_site *s)
{
	yajl_gen_map_open(g);
	file_field(g, t, s->file);
	uint_field(g, "lineno", s->lineno);
	uint_field(g, "size", s->size);
	uint_field(g, "count", s->count);
	yajl_gen_map_close(g);
}

static void split_json(yajl_gen g, const struct phi_traces *t,
		       const struct phi_site_split *x)
{
	uint_field(g, "traced_size", x->traced);
	uint_field(g, "traced_blocks", x->blocks);
	uint_field(g, "objects", x->objects);
	uint_field(g, "untraced_objects", x->untraced_objects);
	uint_field(g, "untraced_size", x->untraced_size);
	uint_field(g, "lines", x->lines);
	phi_json_key(g, "sites");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < x->nrows; i++)
		row_json(g, t, &x->rows[i]);
	yajl_gen_array_close(g);
}

void phi_sites_named_json(yajl_gen g, const struct phi_report *r, size_t i)
{
	const struct phi_sites *s = sites_of(r);
	const struct phi_traces *t = r->traces;
	uint32_t tr;

	if (!s || i >= s->nnamed)
		return;
	tr = t->node_trace[s->named[i].node];
	phi_json_key(g, "traceback");
	if (tr == PHI_NONE) {
		yajl_gen_null(g);
		phi_json_key(g, "traceback_note");
		phi_json_string(g, NO_TRACE);
	} else {
		const struct phi_traceback *tb = &t->tb[t->v[tr].traceback];

		frames_json(g, t, tb);
		uint_field(g, "traceback_total_frames", tb->total_nframe);
		uint_field(g, "trace_size", t->v[tr].size);
	}
	phi_json_key(g, "retained_by_site");
	yajl_gen_map_open(g);
	split_json(g, t, &s->named[i]);
	yajl_gen_map_close(g);
}

static void state_json(yajl_gen g, const struct phi_traces *t)
{
	char buf[32];
	int n;

	phi_json_key(g, "tracemalloc");
	yajl_gen_map_open(g);
	phi_json_key(g, "state");
	phi_json_string(g, state_name(t->state));
	phi_json_key(g, "note");
	if (t->state != PHI_TRACES_READ || t->torn)
		phi_json_string(g, t->note);
	else
		yajl_gen_null(g);
	if (t->state != PHI_TRACES_ABSENT) {
		uint_field(g, "initialized", (uint64_t)t->initialized);
		uint_field(g, "tracing", (uint64_t)t->tracing);
	}
	if (t->state == PHI_TRACES_READ) {
		uint_field(g, "traceback_limit", (uint64_t)t->max_nframe);
		uint_field(g, "traced_memory", t->traced);
		uint_field(g, "peak_traced_memory", t->peak);
		uint_field(g, "traces", t->ntraces);
		if (!t->summary)
			uint_field(g, "tracebacks", t->ntb);
		phi_json_key(g, "torn");
		yajl_gen_bool(g, t->torn);
		phi_json_key(g, "tables_from");
		phi_json_string(g, t->symbols);
		phi_json_key(g, "read_ms");
		n = snprintf(buf, sizeof(buf), "%.3f", t->ms);
		yajl_gen_number(g, buf, (size_t)n);
	}
	yajl_gen_map_close(g);
}

static void tracebacks_json(yajl_gen g, const struct phi_traces *t,
			    const struct phi_sites *s)
{
	phi_json_key(g, "allocation_tracebacks");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < s->ntraceback; i++) {
		yajl_gen_map_open(g);
		phi_json_key(g, "traceback");
		frames_json(g, t, &t->tb[s->traceback[i].tb]);
		uint_field(g, "size", s->traceback[i].size);
		uint_field(g, "count", s->traceback[i].count);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

void phi_sites_json(yajl_gen g, const struct phi_report *r)
{
	const struct phi_sites *s = sites_of(r);
	const struct phi_traces *t = r->traces;

	if (!t)
		return;
	state_json(g, t);
	if (!s)
		return;
	phi_json_key(g, "allocation_sites");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < s->nlineno; i++)
		row_json(g, t, &s->lineno[i]);
	yajl_gen_array_close(g);
	if (s->traceback)
		tracebacks_json(g, t, s);
	phi_json_key(g, "suspects_by_site");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < s->nsuspects; i++) {
		const struct phi_site_split *x = &s->suspects[i];

		yajl_gen_map_open(g);
		phi_json_key(g, "address");
		phi_json_address(g, r->heap->g.addr[x->node]);
		phi_json_key(g, "type");
		phi_json_string(g, phi_heap_type(r->heap, x->node)->name);
		uint_field(g, "retained_size", x->retained);
		split_json(g, t, x);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}
