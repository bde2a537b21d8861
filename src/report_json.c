/* The JSON document, written with yajl so that strings are escaped and
 * the output is streamed rather than built in memory. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "config.h"
#include "pyheapinspect/histogram.h"
#include "pyheapinspect/jsonout.h"
#include "pyheapinspect/report.h"

static void small_ints_json(yajl_gen g, const struct phi_small_ints *s)
{
	phi_json_key(g, "small_ints");
	yajl_gen_array_open(g);
	for (int i = 0; i < PHI_SMALL_INTS; i++) {
		const struct phi_small_int *e = &s->v[i];

		yajl_gen_map_open(g);
		phi_json_key(g, "value");
		yajl_gen_integer(g, e->value);
		phi_json_key(g, "address");
		phi_json_address(g, e->address);
		phi_json_key(g, "refcount");
		yajl_gen_integer(g, e->refcnt);
		phi_json_key(g, "ok");
		yajl_gen_bool(g, e->value_ok);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	phi_json_key(g, "small_ints_mismatches");
	yajl_gen_integer(g, s->mismatches);
}

/* Milliseconds to the microsecond: more digits would be noise. */
static void ms_field(yajl_gen g, double ms)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%.3f", ms);

	yajl_gen_number(g, buf, (size_t)n);
}

static void uint_field(yajl_gen g, const char *key, uint64_t v)
{
	phi_json_key(g, key);
	yajl_gen_integer(g, (long long)v);
}

static void heap_json(yajl_gen g, const struct phi_heap *h)
{
	const struct phi_heap_stats *s = &h->stats;
	uint32_t *order;
	size_t n;

	uint_field(g, "objects", s->objects);
	uint_field(g, "total_size", s->total_size);
	uint_field(g, "gc_tracked", s->gc_tracked);
	uint_field(g, "edges", h->g.nedges);
	phi_json_key(g, "opaque");
	yajl_gen_map_open(g);
	uint_field(g, "count", s->opaque);
	uint_field(g, "size", s->opaque_size);
	yajl_gen_map_close(g);
	phi_json_key(g, "inconsistencies");
	yajl_gen_map_open(g);
	uint_field(g, "bad_references", s->bad_refs);
	uint_field(g, "unreadable_fields", s->bad_fields);
	yajl_gen_map_close(g);
	phi_json_key(g, "types");
	yajl_gen_array_open(g);
	if (phi_histogram(&h->types, &order, &n) == 0) {
		for (size_t k = 0; k < n; k++) {
			const struct phi_type *t = &h->types.v[order[k]];

			yajl_gen_map_open(g);
			phi_json_key(g, "type");
			phi_json_string(g, t->name);
			uint_field(g, "count", t->count);
			uint_field(g, "size", t->size);
			yajl_gen_map_close(g);
		}
		free(order);
	}
	yajl_gen_array_close(g);
}

static void target_json(yajl_gen g, const struct phi_report *r)
{
	const struct phi_target *t = r->target;
	char ver[32];

	snprintf(ver, sizeof(ver), "%d.%d.%d", t->version.major,
		 t->version.minor, t->version.micro);
	phi_json_key(g, "schema_version");
	yajl_gen_integer(g, PHI_SCHEMA_VERSION);
	phi_json_key(g, "tool_version");
	phi_json_string(g, PACKAGE_VERSION);
	phi_json_key(g, "pid");
	yajl_gen_integer(g, t->pid);
	phi_json_key(g, "python_version");
	phi_json_string(g, ver);
	phi_json_key(g, "python_build");
	phi_json_string(g, t->version.text);
	phi_json_key(g, "interpreter_object");
	phi_json_string(g, t->object_path);
	phi_json_key(g, "layout_source");
	phi_json_string(g, t->layout.source == PHI_LAYOUT_DWARF ? "dwarf" :
								   "builtin");
	phi_json_key(g, "pause_ms");
	ms_field(g, r->capture->pause_ms);
	phi_json_key(g, "threads");
	yajl_gen_integer(g, (long long)r->capture->threads);
	phi_json_key(g, "bytes_copied");
	yajl_gen_integer(g, (long long)r->capture->img.bytes);
	phi_json_key(g, "interpreters");
	yajl_gen_integer(g, (long long)r->runtime->ninterps);
}

int phi_report_json(FILE *out, const struct phi_report *r,
		    struct phi_error *err)
{
	yajl_gen g = phi_json_open(out, true);

	if (!g)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	yajl_gen_map_open(g);
	target_json(g, r);
	if (r->heap)
		heap_json(g, r->heap);
	if (r->small_ints)
		small_ints_json(g, r->small_ints);
	yajl_gen_map_close(g);
	return phi_json_close(g, out, err);
}
