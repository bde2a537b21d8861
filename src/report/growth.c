/* The growth section, in text and JSON, and the lines of --watch
 * (growth.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/base/escape.h"
#include "pyheapinspect/report/growth.h"
#include "pyheapinspect/report/jsonout.h"
#include "pyheapinspect/report/textout.h"

/* Rows of each list in a --watch line. */
#define WATCH_ROWS 3

static void uint_field(yajl_gen g, const char *key, uint64_t v)
{
	phi_json_key(g, key);
	yajl_gen_integer(g, (long long)v);
}

static void int_field(yajl_gen g, const char *key, int64_t v)
{
	phi_json_key(g, key);
	yajl_gen_integer(g, (long long)v);
}

/* ---- growth: JSON */

static void baseline_json(yajl_gen g, const char *key,
			  const struct phi_summary *s)
{
	phi_json_key(g, key);
	yajl_gen_map_open(g);
	phi_json_key(g, "captured_at");
	phi_json_string(g, s->captured_at);
	phi_json_key(g, "source");
	phi_json_string(g, s->source);
	int_field(g, "pid", s->pid);
	uint_field(g, "objects", s->objects);
	uint_field(g, "total_size", s->total_size);
	uint_field(g, "reachable_size", s->reachable_size);
	phi_json_key(g, "rss");
	if (s->rss < 0)
		yajl_gen_null(g);
	else
		yajl_gen_integer(g, s->rss);
	yajl_gen_map_close(g);
}

static void rows_json(yajl_gen g, const char *key,
		      const struct phi_growth_path *p, size_t n)
{
	phi_json_key(g, key);
	yajl_gen_array_open(g);
	for (size_t i = 0; i < n; i++) {
		yajl_gen_map_open(g);
		phi_json_key(g, "path");
		phi_json_string(g, p[i].path);
		phi_json_key(g, "type");
		phi_json_string(g, p[i].type);
		uint_field(g, "before", p[i].before);
		uint_field(g, "after", p[i].after);
		int_field(g, "delta", p[i].delta);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

static void types_json(yajl_gen g, const struct phi_growth *gr, size_t n)
{
	phi_json_key(g, "types");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < n && i < gr->ntypes; i++) {
		const struct phi_growth_type *t = &gr->types[i];

		yajl_gen_map_open(g);
		phi_json_key(g, "type");
		phi_json_string(g, t->type);
		uint_field(g, "count", t->count);
		int_field(g, "count_delta", t->count_delta);
		uint_field(g, "size", t->size);
		int_field(g, "size_delta", t->size_delta);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

static void deltas_json(yajl_gen g, const struct phi_growth *gr)
{
	int_field(g, "objects_delta", gr->objects_delta);
	int_field(g, "total_size_delta", gr->total_size_delta);
	int_field(g, "reachable_size_delta", gr->reachable_size_delta);
	phi_json_key(g, "rss_delta");
	if (gr->rss_known)
		yajl_gen_integer(g, gr->rss_delta);
	else
		yajl_gen_null(g);
}

static void memory_json(yajl_gen g, const struct phi_growth_memory *m)
{
	phi_json_key(g, "memory");
	if (!m->present) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_map_open(g);
	phi_json_key(g, "rss");
	if (m->rss_known) {
		yajl_gen_map_open(g);
		uint_field(g, "before", m->rss_before);
		uint_field(g, "after", m->rss_after);
		int_field(g, "delta", m->rss_delta);
		int_field(g, "anon_delta", m->anon_delta);
		int_field(g, "file_delta", m->file_delta);
		int_field(g, "shmem_delta", m->shmem_delta);
		int_field(g, "swap_delta", m->swap_delta);
		yajl_gen_map_close(g);
	} else {
		yajl_gen_null(g);
	}
	phi_json_key(g, "classes");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < m->nclasses; i++) {
		yajl_gen_map_open(g);
		phi_json_key(g, "class");
		phi_json_string(g, m->classes[i].name);
		uint_field(g, "before", m->classes[i].before);
		uint_field(g, "after", m->classes[i].after);
		int_field(g, "delta", m->classes[i].delta);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	int_field(g, "objects_delta", m->objects_delta);
	int_field(g, "getsizeof_delta", m->getsizeof_delta);
	phi_json_key(g, "allocated_delta");
	if (m->allocated_known)
		yajl_gen_integer(g, m->allocated_delta);
	else
		yajl_gen_null(g);
	int_field(g, "garbage_objects_delta", m->garbage_objects_delta);
	int_field(g, "garbage_size_delta", m->garbage_size_delta);
	yajl_gen_map_close(g);
}

static void sites_json(yajl_gen g, const struct phi_growth *gr, size_t rows)
{
	phi_json_key(g, "sites_changed");
	if (gr->have_sites)
		yajl_gen_integer(g, (long long)gr->sites_changed);
	else
		yajl_gen_null(g);
	phi_json_key(g, "sites");
	if (!gr->have_sites) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_array_open(g);
	for (size_t i = 0; i < gr->nsites && i < rows; i++) {
		const struct phi_site_growth *x = &gr->sites[i];

		yajl_gen_map_open(g);
		phi_json_key(g, "filename");
		phi_json_text(g, (const unsigned char *)x->filename,
			      x->filename_len);
		uint_field(g, "lineno", x->lineno);
		uint_field(g, "size", x->size);
		int_field(g, "size_delta", x->size_diff);
		uint_field(g, "count", x->count);
		int_field(g, "count_delta", x->count_diff);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

/* The growth object; rows caps each list. */
static void growth_value(yajl_gen g, const struct phi_growth *gr,
			 size_t rows)
{
	yajl_gen_map_open(g);
	baseline_json(g, "baseline", gr->before);
	phi_json_key(g, "captured_at");
	phi_json_string(g, gr->after->captured_at);
	deltas_json(g, gr);
	uint_field(g, "floor", gr->floor);
	uint_field(g, "types_changed", gr->types_changed);
	uint_field(g, "paths_changed", gr->paths_changed);
	types_json(g, gr, rows);
	rows_json(g, "paths", gr->paths, rows < gr->npaths ? rows : gr->npaths);
	rows_json(g, "suspects", gr->suspects,
		  rows < gr->nsuspects ? rows : gr->nsuspects);
	memory_json(g, &gr->memory);
	sites_json(g, gr, rows);
	yajl_gen_map_close(g);
}

void phi_growth_json(yajl_gen g, const struct phi_report *r)
{
	phi_json_key(g, "growth");
	if (r->growth)
		growth_value(g, r->growth, SIZE_MAX);
	else
		yajl_gen_null(g);
}

/* ---- growth: text */

static void types_text(FILE *out, const struct phi_growth *gr, size_t rows)
{
	char b[32];

	fprintf(out, "  types, largest change first (%zu changed):\n",
		gr->types_changed);
	for (size_t i = 0; i < gr->ntypes && i < rows; i++) {
		const struct phi_growth_type *t = &gr->types[i];

		fprintf(out, "    %12s %+12" PRId64 "  ",
			phi_text_delta(t->size_delta, b, sizeof(b)),
			t->count_delta);
		phi_text_put(out, t->type, 120);
		fputc('\n', out);
	}
}

static void paths_text(FILE *out, const char *title,
		       const struct phi_growth_path *p, size_t n)
{
	char b1[32], b2[32], b3[32];

	fprintf(out, "  %s\n", title);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "    %12s  ",
			phi_text_delta(p[i].delta, b1, sizeof(b1)));
		phi_text_put(out, p[i].path, 300);
		fprintf(out, "\n%18s(%s, was %s)\n", "",
			phi_size_text(p[i].after, b2, sizeof(b2)),
			phi_size_text(p[i].before, b3, sizeof(b3)));
	}
}

static void memory_text(FILE *out, const struct phi_growth_memory *m)
{
	char b1[32], b2[32], b3[32];

	if (!m->present)
		return;
	fputs("  memory:", out);
	if (m->rss_known)
		fprintf(out, " RSS %s (%s, was %s),",
			phi_text_delta(m->rss_delta, b1, sizeof(b1)),
			phi_size_text(m->rss_after, b2, sizeof(b2)),
			phi_size_text(m->rss_before, b3, sizeof(b3)));
	fprintf(out, " live objects %+" PRId64 " (%s sys.getsizeof",
		m->objects_delta,
		phi_text_delta(m->getsizeof_delta, b1, sizeof(b1)));
	if (m->allocated_known)
		fprintf(out, ", %s allocated",
			phi_text_delta(m->allocated_delta, b2, sizeof(b2)));
	fprintf(out, "), garbage %+" PRId64 " objects (%s)\n",
		m->garbage_objects_delta,
		phi_text_delta(m->garbage_size_delta, b3, sizeof(b3)));
	for (size_t i = 0; i < m->nclasses; i++) {
		if (!m->classes[i].delta)
			continue;
		fprintf(out, "    %12s  ",
			phi_text_delta(m->classes[i].delta, b1, sizeof(b1)));
		phi_text_put(out, m->classes[i].name, 40);
		fprintf(out, " (%s, was %s)\n",
			phi_size_text(m->classes[i].after, b2, sizeof(b2)),
			phi_size_text(m->classes[i].before, b3, sizeof(b3)));
	}
}

/* A filename from the target: valid UTF-8 kept, the rest as \xNN. */
static void put_filename(FILE *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len && i < 300) {
		size_t n = phi_utf8_seq_len(p + i, len - i);

		if (n == 0 || (n == 1 && (p[i] < 0x20 || p[i] == 0x7f))) {
			fprintf(out, "\\x%02x", p[i]);
			i++;
		} else {
			fwrite(p + i, 1, n, out);
			i += n;
		}
	}
	if (i < len)
		fputs("...", out);
}

static void sites_text(FILE *out, const struct phi_growth *gr, size_t rows)
{
	char b1[32], b2[32];

	if (!gr->have_sites)
		return;
	fprintf(out, "  allocation sites, largest change first (%zu "
		"changed, as Snapshot.compare_to(old, 'lineno')):\n",
		gr->sites_changed);
	for (size_t i = 0; i < gr->nsites && i < rows; i++) {
		const struct phi_site_growth *x = &gr->sites[i];

		fprintf(out, "    %12s %+10" PRId64 "  ",
			phi_text_delta(x->size_diff, b1, sizeof(b1)),
			x->count_diff);
		put_filename(out, x->filename, x->filename_len);
		fprintf(out, ":%" PRIu32 " (%s in %" PRIu64 " blocks)\n",
			x->lineno, phi_size_text(x->size, b2, sizeof(b2)),
			x->count);
	}
}

void phi_growth_text(FILE *out, const struct phi_growth *gr, size_t rows)
{
	char b1[32], b2[32], b3[32], b4[32], title[160];

	fputs("\ngrowth since the baseline (", out);
	phi_text_put(out, gr->before->captured_at, 40);
	fputs(", ", out);
	phi_text_put(out, gr->before->source, 40);
	fprintf(out, " %" PRId64 "):\n", gr->before->pid);
	fprintf(out, "  objects %+" PRId64 ", sys.getsizeof total %s, "
		"reachable %s, rss %s\n", gr->objects_delta,
		phi_text_delta(gr->total_size_delta, b1, sizeof(b1)),
		phi_text_delta(gr->reachable_size_delta, b2, sizeof(b2)),
		gr->rss_known ? phi_text_delta(gr->rss_delta, b3, sizeof(b3)) :
				"unknown");
	types_text(out, gr, rows);
	snprintf(title, sizeof(title), "paths, retained size, largest change "
		 "first (%zu changed; paths retaining under %s are not "
		 "recorded):", gr->paths_changed,
		 phi_size_text(gr->floor, b4, sizeof(b4)));
	paths_text(out, title, gr->paths, gr->npaths < rows ? gr->npaths :
							      rows);
	paths_text(out, gr->nsuspects ? "growth suspects (where the growth "
		   "accumulates):" : "growth suspects: none", gr->suspects,
		   gr->nsuspects < rows ? gr->nsuspects : rows);
	memory_text(out, &gr->memory);
	sites_text(out, gr, rows);
}

/* ---- --watch */

static void compact_text(FILE *out, const char *label,
			 const struct phi_growth *gr)
{
	char b1[32], b2[32];

	fprintf(out, " | %s: objects %+" PRId64 ", heap %s", label,
		gr->objects_delta,
		phi_text_delta(gr->total_size_delta, b1, sizeof(b1)));
	if (gr->rss_known)
		fprintf(out, ", rss %s",
			phi_text_delta(gr->rss_delta, b2, sizeof(b2)));
	for (size_t i = 0; i < gr->ntypes && i < WATCH_ROWS; i++) {
		fputs(i ? ", " : "; ", out);
		phi_text_put(out, gr->types[i].type, 60);
		fprintf(out, " %+" PRId64, gr->types[i].count_delta);
	}
	for (size_t i = 0; i < gr->npaths && i < WATCH_ROWS; i++) {
		fputs(i ? ", " : "; ", out);
		phi_text_put(out, gr->paths[i].path, 120);
		fprintf(out, " %s",
			phi_text_delta(gr->paths[i].delta, b1, sizeof(b1)));
	}
}

void phi_watch_text(FILE *out, const struct phi_watch_step *w)
{
	char b1[32], b2[32];

	fprintf(out, "#%u %s objects %" PRIu64 " heap %s", w->capture,
		w->now->captured_at, w->now->objects,
		phi_size_text(w->now->total_size, b1, sizeof(b1)));
	if (w->now->rss >= 0)
		fprintf(out, " rss %s",
			phi_size_text((uint64_t)w->now->rss, b2, sizeof(b2)));
	fprintf(out, " paused %.1f ms", w->pause_ms);
	if (w->since_first)
		compact_text(out, "since first", w->since_first);
	if (w->since_previous)
		compact_text(out, "since previous", w->since_previous);
	fputc('\n', out);
	fflush(out);
}

int phi_watch_json(FILE *out, const struct phi_watch_step *w,
		   struct phi_error *err)
{
	yajl_gen g = phi_json_open(out, false);

	if (!g)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	yajl_gen_map_open(g);
	phi_json_key(g, "watch");
	yajl_gen_integer(g, w->capture);
	phi_json_key(g, "captured_at");
	phi_json_string(g, w->now->captured_at);
	int_field(g, "pid", w->now->pid);
	uint_field(g, "objects", w->now->objects);
	uint_field(g, "total_size", w->now->total_size);
	uint_field(g, "reachable_size", w->now->reachable_size);
	phi_json_key(g, "rss");
	if (w->now->rss < 0)
		yajl_gen_null(g);
	else
		yajl_gen_integer(g, w->now->rss);
	phi_json_key(g, "pause_ms");
	{
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%.3f", w->pause_ms);

		yajl_gen_number(g, buf, (size_t)n);
	}
	phi_json_key(g, "complete");
	yajl_gen_bool(g, w->now->complete);
	phi_json_key(g, "since_first");
	if (w->since_first)
		growth_value(g, w->since_first, WATCH_ROWS);
	else
		yajl_gen_null(g);
	phi_json_key(g, "since_previous");
	if (w->since_previous)
		growth_value(g, w->since_previous, WATCH_ROWS);
	else
		yajl_gen_null(g);
	yajl_gen_map_close(g);
	fputc('\n', out);
	return phi_json_close(g, out, err);
}

void phi_watch_end_text(FILE *out, const struct phi_growth *gr,
			unsigned captures, const char *reason, size_t rows)
{
	fprintf(out, "\nwatch ended (%s) after %u captures\n", reason,
		captures);
	if (gr)
		phi_growth_text(out, gr, rows);
	fflush(out);
}

int phi_watch_end_json(FILE *out, const struct phi_growth *gr,
		       unsigned captures, const char *reason,
		       struct phi_error *err)
{
	yajl_gen g = phi_json_open(out, false);

	if (!g)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	yajl_gen_map_open(g);
	phi_json_key(g, "watch_end");
	phi_json_string(g, reason);
	phi_json_key(g, "captures");
	yajl_gen_integer(g, captures);
	phi_json_key(g, "growth");
	if (gr)
		growth_value(g, gr, SIZE_MAX);
	else
		yajl_gen_null(g);
	yajl_gen_map_close(g);
	fputc('\n', out);
	return phi_json_close(g, out, err);
}
