/* The JSON document, written with yajl so that strings are escaped and
 * the output is streamed rather than built in memory. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "config.h"
#include "pyheapinspect/analysis/histogram.h"
#include "pyheapinspect/report/footprint.h"
#include "pyheapinspect/report/opaque.h"
#include "pyheapinspect/report/fill.h"
#include "pyheapinspect/report/growth.h"
#include "pyheapinspect/report/interps.h"
#include "pyheapinspect/report/suspects.h"
#include "pyheapinspect/report/jsonout.h"
#include "pyheapinspect/report/json.h"
#include "pyheapinspect/report/memory.h"
#include "pyheapinspect/report/sites.h"

static void small_ints_json(yajl_gen g, const struct phi_small_ints *s)
{
	phi_json_key(g, "small_ints");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < s->n; i++) {
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

static void timings_json(yajl_gen g, const struct phi_report *r)
{
	struct rusage ru;

	phi_json_key(g, "timings");
	yajl_gen_map_open(g);
	phi_json_key(g, "layout_ms");
	ms_field(g, r->layout_ms);
	phi_json_key(g, "layout_wait_ms");
	ms_field(g, r->layout_wait_ms);
	phi_json_key(g, "warm_copy_ms");
	ms_field(g, r->capture->warm_ms);
	phi_json_key(g, "pause_ms");
	ms_field(g, r->capture->pause_ms);
	phi_json_key(g, "copy_ms");
	ms_field(g, r->capture->copy_ms);
	if (r->heap) {
		phi_json_key(g, "decode_ms");
		ms_field(g, r->heap->build_ms);
	}
	if (r->analysis) {
		phi_json_key(g, "analysis_ms");
		ms_field(g, r->analysis->ms);
	}
	phi_json_key(g, "total_ms");
	ms_field(g, r->total_ms);
	yajl_gen_map_close(g);
	phi_json_key(g, "tool_memory");
	yajl_gen_map_open(g);
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		uint_field(g, "peak_rss", (uint64_t)ru.ru_maxrss * 1024);
	uint_field(g, "image_bytes",
		   r->capture->img.bytes - r->capture->img.zeros);
	if (r->heap)
		uint_field(g, "graph_bytes", phi_graph_memory(&r->heap->g));
	yajl_gen_map_close(g);
}

static void heap_json(yajl_gen g, const struct phi_heap *h,
		      const uint64_t *alloc)
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
			if (alloc)
				uint_field(g, "allocated", alloc[order[k]]);
			yajl_gen_map_close(g);
		}
		free(order);
	}
	yajl_gen_array_close(g);
}

/* address, type, size and, for scalars, a preview. */
static void object_fields(yajl_gen g, const struct phi_report *r,
			  uint32_t node)
{
	const struct phi_graph *gr = &r->heap->g;
	const struct phi_type *t = &r->heap->types.v[gr->type[node]];
	char v[PHI_PREVIEW_BUF];
	size_t vlen;
	bool cut;

	phi_json_key(g, "address");
	phi_json_address(g, gr->addr[node]);
	phi_json_key(g, "type");
	phi_json_string(g, t->name);
	uint_field(g, "size", phi_graph_size(gr, node));
	if (phi_heap_preview(r->heap, node, v, sizeof(v), &vlen, &cut)) {
		phi_json_key(g, "preview");
		phi_json_text(g, (const unsigned char *)v, vlen);
	}
	phi_json_interpreter(g, r, node);
}

static void named_json(yajl_gen g, const struct phi_report *r)
{
	const struct phi_analysis *a = r->analysis;

	phi_json_key(g, "named");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < a->nnamed; i++) {
		const struct phi_named *n = &a->named[i];

		yajl_gen_map_open(g);
		phi_json_key(g, "expr");
		phi_json_string(g, n->spec);
		object_fields(g, r, n->node);
		uint_field(g, "deep_size", n->deep.size);
		uint_field(g, "deep_objects", n->deep.objects);
		uint_field(g, "references", n->deep.references);
		uint_field(g, "shared_references", n->deep.shared_refs);
		uint_field(g, "sharing_saved", n->deep.sharing_saved);
		uint_field(g, "shared_outside_objects",
			   n->deep.outside_objects);
		uint_field(g, "shared_outside_size", n->deep.outside_size);
		uint_field(g, "retained_size", n->retained);
		phi_json_key(g, "path");
		phi_json_string(g, n->path);
		phi_sites_named_json(g, r, i);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

static void sharing_json(yajl_gen g, const struct phi_report *r)
{
	const struct phi_sharing *s = &r->analysis->sharing;

	phi_json_key(g, "sharing");
	yajl_gen_map_open(g);
	uint_field(g, "objects", s->objects);
	uint_field(g, "size", s->size);
	phi_json_key(g, "top");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < s->ntop; i++) {
		yajl_gen_map_open(g);
		object_fields(g, r, s->top[i].node);
		uint_field(g, "referrers", s->top[i].referrers);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}

static void retained_list(yajl_gen g, const struct phi_report *r,
			  const char *key, size_t n)
{
	const struct phi_retained *rt = &r->analysis->retained;
	char path[PHI_PATH_MAX];

	phi_json_key(g, key);
	yajl_gen_array_open(g);
	for (size_t i = 0; i < n; i++) {
		uint32_t v = rt->top[i];

		yajl_gen_map_open(g);
		object_fields(g, r, v);
		uint_field(g, "retained_size", rt->dom.retained[v]);
		phi_path_text(&r->analysis->paths, r->heap, v, path,
			      sizeof(path));
		phi_json_key(g, "path");
		phi_json_string(g, path);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

static void retained_json(yajl_gen g, const struct phi_report *r)
{
	const struct phi_retained *rt = &r->analysis->retained;
	char buf[32];
	int n;

	phi_json_key(g, "retained");
	yajl_gen_map_open(g);
	uint_field(g, "roots", rt->roots);
	uint_field(g, "reachable_objects", rt->dom.reachable);
	uint_field(g, "reachable_size", rt->dom.reachable_size);
	phi_json_key(g, "suspect_threshold");
	n = snprintf(buf, sizeof(buf), "%.4f", rt->threshold);
	yajl_gen_number(g, buf, (size_t)n);
	retained_list(g, r, "top", rt->ntop);
	phi_suspects_json(g, r);
	yajl_gen_map_close(g);
}

static void dups_json(yajl_gen g, const struct phi_report *r)
{
	const struct phi_dups *d = &r->analysis->dups;

	phi_json_key(g, "duplicates");
	yajl_gen_map_open(g);
	uint_field(g, "wasted", d->total_wasted);
	uint_field(g, "groups_total", d->total_groups);
	phi_json_key(g, "groups");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < d->ngroups; i++) {
		const struct phi_dup_group *x = &d->groups[i];

		yajl_gen_map_open(g);
		phi_json_key(g, "type");
		phi_json_string(g, x->type);
		uint_field(g, "count", x->count);
		uint_field(g, "size", x->size);
		uint_field(g, "wasted", x->wasted);
		phi_json_key(g, "preview");
		phi_json_string(g, x->preview);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}

static void audit_json(yajl_gen g, const struct phi_report *r)
{
	const struct phi_audit *a = &r->analysis->audit;

	phi_json_key(g, "refcount_audit");
	yajl_gen_map_open(g);
	uint_field(g, "lower_than_found", a->low);
	phi_json_key(g, "examples");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < a->nlow_top; i++) {
		yajl_gen_map_open(g);
		object_fields(g, r, a->low_top[i].node);
		phi_json_key(g, "refcount");
		yajl_gen_integer(g, phi_graph_refcnt(&r->heap->g, a->low_top[i].node));
		uint_field(g, "references_found", a->low_top[i].found);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	phi_json_key(g, "held_from_outside");
	yajl_gen_map_open(g);
	uint_field(g, "count", a->external);
	uint_field(g, "size", a->external_size);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}

static void gaps_json(yajl_gen g, const struct phi_gaps *gaps)
{
	for (size_t i = 0; i < gaps->n; i++) {
		const struct phi_gap *p = &gaps->v[i];

		yajl_gen_map_open(g);
		phi_json_key(g, "what");
		phi_json_string(g, p->what);
		phi_json_key(g, "why");
		phi_json_string(g, p->why);
		phi_json_key(g, "objects");
		if (p->objects < 0)
			yajl_gen_null(g);
		else
			yajl_gen_integer(g, p->objects);
		phi_json_key(g, "bytes");
		if (p->bytes < 0)
			yajl_gen_null(g);
		else
			yajl_gen_integer(g, p->bytes);
		yajl_gen_map_close(g);
	}
}

/* "complete" and the list of what is missing ("incomplete"). */
static void completeness_json(yajl_gen g, const struct phi_report *r)
{
	const struct phi_gaps *all[] = {
		&r->capture->gaps, &r->python->gaps,
		r->heap ? &r->heap->gaps : NULL,
	};
	size_t n = 0, dropped = 0;

	for (size_t i = 0; i < 3; i++)
		if (all[i]) {
			n += phi_gaps_count(all[i]);
			dropped += all[i]->dropped;
		}
	phi_json_key(g, "complete");
	yajl_gen_bool(g, n == 0);
	phi_json_key(g, "incomplete");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < 3; i++)
		if (all[i])
			gaps_json(g, all[i]);
	yajl_gen_array_close(g);
	if (dropped)
		uint_field(g, "incomplete_dropped", dropped);
	phi_json_key(g, "notes");
	yajl_gen_array_open(g);
	gaps_json(g, &r->python->notes);
	yajl_gen_array_close(g);
}

static void target_json(yajl_gen g, const struct phi_report *r)
{
	const struct phi_python *py = r->python;
	char ver[32];

	snprintf(ver, sizeof(ver), "%d.%d.%d", py->version.major,
		 py->version.minor, py->version.micro);
	phi_json_key(g, "schema_version");
	yajl_gen_integer(g, PHI_SCHEMA_VERSION);
	phi_json_key(g, "tool_version");
	phi_json_string(g, PACKAGE_VERSION);
	phi_json_key(g, "pid");
	yajl_gen_integer(g, r->pid);
	phi_json_key(g, "python_version");
	phi_json_string(g, ver);
	phi_json_key(g, "python_build");
	phi_json_string(g, py->version.text);
	phi_json_key(g, "interpreter_object");
	phi_json_string(g, py->object_path);
	phi_json_key(g, "layout_source");
	phi_json_string(g, py->layout_source == PHI_LAYOUT_DWARF ? "dwarf" :
								   "builtin");
	phi_json_key(g, "pause_ms");
	ms_field(g, r->capture->pause_ms);
	phi_json_key(g, "frozen");
	yajl_gen_bool(g, r->capture->frozen);
	phi_json_key(g, "consistent");
	yajl_gen_bool(g, r->capture->consistent);
	phi_json_key(g, "capture_status_known");
	yajl_gen_bool(g, !r->capture->status_unknown);
	phi_json_key(g, "threads");
	yajl_gen_integer(g, (long long)r->capture->threads);
	phi_json_key(g, "bytes_copied");
	yajl_gen_integer(g, (long long)(r->capture->img.bytes -
					r->capture->img.zeros));
	phi_json_key(g, "read_syscalls");
	yajl_gen_integer(g, (long long)r->capture->img.syscalls);
	phi_json_key(g, "bytes_skipped");
	yajl_gen_integer(g, (long long)r->capture->img.skipped);
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
	completeness_json(g, r);
	phi_report_memory_json(g, r);
	timings_json(g, r);
	phi_footprint_json(g, r);
	if (r->heap)
		heap_json(g, r->heap,
			  r->memory ? r->memory->type_allocated : NULL);
	phi_opaque_json(g, r);
	if (r->analysis) {
		named_json(g, r);
		phi_interps_json(g, r);
		sharing_json(g, r);
		retained_json(g, r);
		dups_json(g, r);
		audit_json(g, r);
		phi_fill_json(g, r);
		phi_growth_json(g, r);
	}
	phi_sites_json(g, r);
	if (r->small_ints)
		small_ints_json(g, r->small_ints);
	yajl_gen_map_close(g);
	return phi_json_close(g, out, err);
}
