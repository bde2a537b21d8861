/* The HTML report (docs/html-data.md): phi_html_head, the blob, then
 * phi_html_tail.  The blob is compact JSON from yajl, passed through a
 * byte filter on its way to the file that writes < > & U+2028 U+2029 as
 * \uXXXX (section 1: no text from the target can end the data element
 * or start a comment).  Every string from the target is cut to its cap
 * (section 4) and every list to its length, so the page is bounded on
 * any heap; the dominator tree is pruned best-first (section 3).
 *
 * The memory breakdown, the garbage and the growth (--baseline) come
 * from the structs the JSON report writes (report/memory.c,
 * report/growth.c), in the contract's names and caps; a part the run
 * does not have (a growth without a baseline) is null, which the page
 * shows as "Not in this report". */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "config.h"
#include "pyheapinspect/analysis/histogram.h"
#include "pyheapinspect/analysis/topn.h"
#include "pyheapinspect/report/html.h"
#include "pyheapinspect/report/suspects.h"
#include "pyheapinspect/report/html_page.h"
#include "pyheapinspect/report/jsonout.h"
#include "pyheapinspect/report/memory.h"
#include "pyheapinspect/report/textfit.h"

/* The contract's numbers (docs/html-data.md, sections 3 and 4). */
#define TREE_SHARE_DIV 1000     /* threshold: ceil(total / 1000) */
#define TREE_MIN_SHARE "0.001"
#define TREE_MAX_NODES 1200
#define CAP_LABEL 160
#define CAP_TYPE 120
#define CAP_PATH 400
#define CAP_PREVIEW 120
#define MAX_TYPES 400
#define MAX_RETAINERS 50
#define MAX_SUSPECTS 20
#define MAX_DUPLICATES 50
#define MAX_NOTES 8
#define MAX_GARBAGE_TYPES 50
#define MAX_CYCLES 10
#define MAX_GROWTH 100            /* types, paths, sites */
#define MAX_GROWTH_SUSPECTS 20
#define MAX_GROWTH_CLASSES 32

/* ---- the escaping filter between yajl and the file */

struct sink {
	FILE *f;
	int held;    /* bytes of E2 80 (A8|A9) seen so far: 0, 1 or 2 */
};

static void sink_flush(struct sink *s)
{
	if (s->held >= 1)
		putc(0xe2, s->f);
	if (s->held == 2)
		putc(0x80, s->f);
	s->held = 0;
}

static void sink_byte(struct sink *s, unsigned char c)
{
	if (s->held == 1 && c == 0x80) {
		s->held = 2;
		return;
	}
	if (s->held == 2 && (c == 0xa8 || c == 0xa9)) {
		fputs(c == 0xa8 ? "\\u2028" : "\\u2029", s->f);
		s->held = 0;
		return;
	}
	sink_flush(s);
	switch (c) {
	case '<': fputs("\\u003c", s->f); break;
	case '>': fputs("\\u003e", s->f); break;
	case '&': fputs("\\u0026", s->f); break;
	case 0xe2: s->held = 1; break;
	default: putc(c, s->f); break;
	}
}

/* yajl's output: the five only ever occur inside JSON strings, where
 * \uXXXX means the same character, so no JSON parsing is needed; the
 * state carries a U+2028 split between two calls. */
static void sink_print(void *ctx, const char *str, size_t len)
{
	struct sink *s = ctx;

	for (size_t i = 0; i < len; i++)
		sink_byte(s, (unsigned char)str[i]);
}

/* ---- small writers */

static void key(yajl_gen g, const char *k)
{
	phi_json_key(g, k);
}

static void uint_kv(yajl_gen g, const char *k, uint64_t v)
{
	key(g, k);
	yajl_gen_integer(g, (long long)v);
}

/* Text from the target (or any text), fitted to limit escaped bytes. */
static void text(yajl_gen g, const char *s, size_t limit)
{
	char buf[CAP_PATH + 8];
	size_t n = phi_text_fit(s, strlen(s), buf, sizeof(buf), limit,
				phi_width_blob);

	yajl_gen_string(g, (const unsigned char *)buf, n);
}

static void text_kv(yajl_gen g, const char *k, const char *s, size_t limit)
{
	key(g, k);
	text(g, s, limit);
}

static void ms(yajl_gen g, double v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%.3f", v);

	yajl_gen_number(g, buf, (size_t)n);
}

static void address_kv(yajl_gen g, const char *k, uint64_t a)
{
	key(g, k);
	phi_json_address(g, a);
}

static const char *type_name(const struct phi_heap *h, uint32_t v)
{
	return h->types.v[h->g.type[v]].name;
}

/* ---- target, heap, notes */

static void target_part(yajl_gen g, const struct phi_report *r)
{
	const struct phi_python *py = r->python;
	const struct phi_capture *c = r->capture;
	char buf[64];
	struct tm tm;

	key(g, "target");
	yajl_gen_map_open(g);
	uint_kv(g, "pid", (uint64_t)r->pid);
	snprintf(buf, sizeof(buf), "%d.%d.%d", py->version.major,
		 py->version.minor, py->version.micro);
	text_kv(g, "python_version", buf, CAP_TYPE);
	text_kv(g, "python_build", py->version.text, CAP_PATH);
	text_kv(g, "interpreter_object", py->object_path, CAP_PATH);
	text_kv(g, "layout_source", py->layout_source == PHI_LAYOUT_DWARF ?
					    "dwarf" : "builtin", CAP_TYPE);
	key(g, "captured_at");
	if (r->captured_at && gmtime_r(&r->captured_at, &tm) &&
	    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		text(g, buf, CAP_TYPE);
	else
		yajl_gen_null(g);
	text_kv(g, "source", r->from_snapshot ? "snapshot" : "live", CAP_TYPE);
	/* A format 1 snapshot does not know these: null, not 0. */
	key(g, "pause_ms");
	if (c->status_unknown)
		yajl_gen_null(g);
	else
		ms(g, c->pause_ms);
	key(g, "threads");
	if (c->status_unknown)
		yajl_gen_null(g);
	else
		yajl_gen_integer(g, (long long)c->threads);
	key(g, "frozen");
	if (c->status_unknown)
		yajl_gen_null(g);
	else
		yajl_gen_bool(g, c->frozen);
	key(g, "consistent");
	if (c->status_unknown)
		yajl_gen_null(g);
	else
		yajl_gen_bool(g, c->consistent);
	text_kv(g, "tool_version", PACKAGE_VERSION, CAP_TYPE);
	yajl_gen_map_close(g);
}

static void heap_part(yajl_gen g, const struct phi_report *r, size_t ntypes)
{
	const struct phi_heap_stats *s = &r->heap->stats;
	const struct phi_retained *rt = &r->analysis->retained;

	key(g, "heap");
	yajl_gen_map_open(g);
	uint_kv(g, "objects", s->objects);
	uint_kv(g, "total_size", s->total_size);
	uint_kv(g, "gc_tracked", s->gc_tracked);
	uint_kv(g, "edges", r->heap->g.nedges);
	uint_kv(g, "roots", rt->roots);
	uint_kv(g, "reachable_objects", rt->dom.reachable);
	uint_kv(g, "reachable_size", rt->dom.reachable_size);
	key(g, "opaque");
	yajl_gen_map_open(g);
	uint_kv(g, "count", s->opaque);
	uint_kv(g, "size", s->opaque_size);
	yajl_gen_map_close(g);
	uint_kv(g, "types", ntypes);
	uint_kv(g, "duplicate_groups", r->analysis->dups.total_groups);
	uint_kv(g, "duplicates_wasted", r->analysis->dups.total_wasted);
	yajl_gen_map_close(g);
}

/* The remarks on the whole report: what is missing (the gaps), and a
 * copy that may be torn. */
struct notes {
	yajl_gen g;
	size_t n, more;
};

/* "PRE A: B" (b may be NULL: "A"). */
static void note(struct notes *ns, const char *pre, const char *a,
		 const char *b)
{
	char buf[512];

	if (ns->n == MAX_NOTES - 1) {
		ns->more++;
		return;
	}
	snprintf(buf, sizeof(buf), "%s%s%s%s", pre, a, b ? ": " : "",
		 b ? b : "");
	text(ns->g, buf, CAP_PATH);
	ns->n++;
}

static void gap_notes(struct notes *ns, const struct phi_gaps *gaps)
{
	for (size_t i = 0; i < gaps->n; i++)
		note(ns, "Incomplete: ", gaps->v[i].what, gaps->v[i].why);
	ns->more += gaps->dropped;
}

static void notes_part(yajl_gen g, const struct phi_report *r)
{
	struct notes ns = { g, 0, 0 };
	char buf[160];

	key(g, "notes");
	yajl_gen_array_open(g);
	if (r->capture->status_unknown)
		note(&ns, "", "Whether the target was stopped for the whole "
		     "copy is unknown (a format 1 snapshot): figures may be "
		     "torn.", NULL);
	else if (!r->capture->consistent)
		note(&ns, "", "Part of the memory was read while the target "
		     "ran: figures may be torn.", NULL);
	gap_notes(&ns, &r->capture->gaps);
	gap_notes(&ns, &r->python->gaps);
	gap_notes(&ns, &r->heap->gaps);
	if (ns.more) {
		snprintf(buf, sizeof(buf), "And %zu more remarks: see the "
			 "text report.", ns.more);
		text(g, buf, CAP_PATH);
	}
	yajl_gen_array_close(g);
}

/* ---- memory, garbage, growth: the JSON report's structs, capped */

static void int_kv(yajl_gen g, const char *k, int64_t v)
{
	key(g, k);
	yajl_gen_integer(g, (long long)v);
}

static void opt_uint_kv(yajl_gen g, const char *k, bool known, uint64_t v)
{
	key(g, k);
	if (known)
		yajl_gen_integer(g, (long long)v);
	else
		yajl_gen_null(g);
}

static void bool_kv(yajl_gen g, const char *k, bool v)
{
	key(g, k);
	yajl_gen_bool(g, v);
}

static void int3_kv(yajl_gen g, const char *k, const int64_t *v)
{
	key(g, k);
	yajl_gen_array_open(g);
	for (int i = 0; i < 3; i++)
		yajl_gen_integer(g, (long long)v[i]);
	yajl_gen_array_close(g);
}

static void rss_part(yajl_gen g, const struct phi_memory *m)
{
	const struct phi_rss *rs = m->rss;

	key(g, "rss");
	if (!rs) {
		yajl_gen_null(g);
	} else {
		yajl_gen_map_open(g);
		uint_kv(g, "total", rs->vm_rss);
		uint_kv(g, "anonymous", rs->rss_anon);
		uint_kv(g, "file", rs->rss_file);
		uint_kv(g, "shmem", rs->rss_shmem);
		uint_kv(g, "swap", rs->vm_swap);
		yajl_gen_map_close(g);
	}
	key(g, "classes");
	yajl_gen_array_open(g);
	for (int c = 0; m->have_classes && c < PHI_MC__COUNT; c++) {
		yajl_gen_map_open(g);
		text_kv(g, "class", phi_mem_class_name((enum phi_mem_class)c),
			CAP_TYPE);
		uint_kv(g, "resident", m->cls[c].resident);
		uint_kv(g, "swap", m->cls[c].swap);
		uint_kv(g, "mappings", m->cls[c].mappings);
		uint_kv(g, "objects_allocated", m->objects_in[c]);
		text_kv(g, "hint",
			phi_report_memory_hint((enum phi_mem_class)c),
			CAP_PATH);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

static void pymalloc_part(yajl_gen g, const struct phi_pymalloc *p)
{
	static const char *const methods[] = { "none", "symbols", "scan" };

	key(g, "pymalloc");
	if (p->method == PHI_PYMALLOC_NONE) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_map_open(g);
	text_kv(g, "method", methods[p->method], CAP_TYPE);
	opt_uint_kv(g, "arenas_allocated_total", p->have_counters,
		    p->ntimes_allocated);
	opt_uint_kv(g, "arenas_reclaimed", p->have_counters,
		    p->ntimes_allocated - p->narenas);
	opt_uint_kv(g, "arenas_highwater", p->have_counters, p->highwater);
	uint_kv(g, "arenas_current", p->narenas);
	uint_kv(g, "bytes_in_allocated_blocks", p->allocated_bytes);
	uint_kv(g, "bytes_in_available_blocks", p->available_bytes);
	uint_kv(g, "unused_pools", p->unused_pools);
	uint_kv(g, "bytes_lost_to_pool_headers", p->pool_headers);
	uint_kv(g, "bytes_lost_to_quantization", p->quantization);
	uint_kv(g, "bytes_lost_to_arena_alignment", p->arena_alignment);
	key(g, "classes");
	yajl_gen_array_open(g);
	for (uint32_t i = 0; i < p->nclasses && i < PHI_PYMEM_MAX_CLASSES;
	     i++) {
		const struct phi_pymalloc_class *c = &p->cls[i];

		if (!c->pools)
			continue;
		yajl_gen_map_open(g);
		uint_kv(g, "size", c->size);
		uint_kv(g, "pools", c->pools);
		uint_kv(g, "blocks_in_use", c->blocks);
		uint_kv(g, "avail_blocks", c->avail);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}

static void free_lists_part(yajl_gen g, const struct phi_free_lists *fl)
{
	key(g, "free_lists");
	if (!fl->present) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_array_open(g);
	for (size_t i = 0; i < fl->n && i < PHI_PYMEM_MAX_FREE_LISTS; i++) {
		yajl_gen_map_open(g);
		text_kv(g, "name", fl->v[i].name, CAP_TYPE);
		if (fl->v[i].length)
			uint_kv(g, "length", (uint64_t)fl->v[i].length);
		int_kv(g, "count", fl->v[i].count);
		uint_kv(g, "bytes", fl->v[i].bytes);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

static void gc_part(yajl_gen g, const struct phi_gc_state *gc)
{
	int64_t gen[3];

	key(g, "gc");
	if (!gc->present) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_map_open(g);
	bool_kv(g, "enabled", gc->enabled);
	int3_kv(g, "thresholds", gc->thresholds);
	int3_kv(g, "counts", gc->counts);
	for (int i = 0; i < 3; i++)
		gen[i] = (int64_t)gc->generations[i];
	int3_kv(g, "generations", gen);
	uint_kv(g, "permanent", gc->permanent);
	bool_kv(g, "collecting", gc->collecting);
	yajl_gen_map_close(g);
}

/* glibc malloc in brief: mallinfo2's totals (the JSON report has the
 * arenas and malloc_stats' text). */
static void malloc_part(yajl_gen g, const struct phi_malloc *mal)
{
	static const char *const methods[] = { "none", "debuginfo",
					       "builtin-2.36" };

	key(g, "malloc");
	if (!mal || mal->method == PHI_MALLOC_NONE) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_map_open(g);
	text_kv(g, "method", methods[mal->method], CAP_TYPE);
	uint_kv(g, "system", mal->mi.arena);
	uint_kv(g, "in_use", mal->mi.uordblks);
	uint_kv(g, "free", mal->mi.fordblks);
	uint_kv(g, "mmapped", mal->mi.hblkhd);
	uint_kv(g, "mmapped_chunks", mal->mi.hblks);
	uint_kv(g, "arenas", mal->narenas);
	opt_uint_kv(g, "tcache_bytes", mal->have_tcache, mal->tcache_bytes);
	yajl_gen_map_close(g);
}

/* The JSON report's "memory" section (report/memory.c), in the
 * contract's names. */
static void memory_part(yajl_gen g, const struct phi_report *r)
{
	const struct phi_memory *m = r->memory;

	key(g, "memory");
	if (!m) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_map_open(g);
	rss_part(g, m);
	key(g, "objects");
	yajl_gen_map_open(g);
	uint_kv(g, "count", m->live_objects);
	uint_kv(g, "getsizeof", m->live_size);
	opt_uint_kv(g, "allocated", m->have_allocated, m->live_allocated);
	yajl_gen_map_close(g);
	if (m->py) {
		pymalloc_part(g, &m->py->pymalloc);
		free_lists_part(g, &m->py->free_lists);
		uint_kv(g, "free_lists_bytes", m->free_list_bytes);
		gc_part(g, &m->py->gc);
	}
	malloc_part(g, m->malloc);
	opt_uint_kv(g, "unexplained", m->have_classes && m->have_allocated,
		    m->unexplained);
	key(g, "notes");
	yajl_gen_array_open(g);
	if (m->note[0])
		text(g, m->note, CAP_PATH);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}

/* memory.garbage: objects no root reaches, by type and by shape of
 * cycle, each shape with its path around. */
static void garbage_part(yajl_gen g, const struct phi_report *r)
{
	const struct phi_garbage *gb = r->memory ? &r->memory->garbage : NULL;

	key(g, "garbage");
	if (!gb) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_map_open(g);
	uint_kv(g, "objects", gb->objects);
	uint_kv(g, "size", gb->size);
	opt_uint_kv(g, "allocated", r->memory->have_allocated, gb->allocated);
	uint_kv(g, "cycle_count", gb->cycles_total);
	uint_kv(g, "shapes", gb->shapes);
	key(g, "types");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < gb->ntypes && i < MAX_GARBAGE_TYPES; i++) {
		yajl_gen_map_open(g);
		text_kv(g, "type", gb->types[i].name, CAP_TYPE);
		uint_kv(g, "count", gb->types[i].count);
		uint_kv(g, "size", gb->types[i].size);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	key(g, "cycles");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < gb->ncycles && i < MAX_CYCLES; i++) {
		const struct phi_garbage_cycle *c = &gb->cycles[i];

		yajl_gen_map_open(g);
		text_kv(g, "type", c->type, CAP_TYPE);
		uint_kv(g, "count", c->count);
		uint_kv(g, "length", c->length);
		text_kv(g, "path", c->path, CAP_PATH);
		uint_kv(g, "objects", c->objects);
		uint_kv(g, "size", c->size);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}

static void growth_baseline(yajl_gen g, const struct phi_summary *b)
{
	key(g, "baseline");
	yajl_gen_map_open(g);
	text_kv(g, "captured_at", b->captured_at, CAP_TYPE);
	text_kv(g, "source", b->source, CAP_TYPE);
	int_kv(g, "pid", b->pid);
	uint_kv(g, "objects", b->objects);
	uint_kv(g, "total_size", b->total_size);
	uint_kv(g, "reachable_size", b->reachable_size);
	opt_uint_kv(g, "rss", b->rss >= 0, (uint64_t)b->rss);
	yajl_gen_map_close(g);
}

static void growth_rows(yajl_gen g, const char *k,
			const struct phi_growth_path *p, size_t n, size_t max)
{
	key(g, k);
	yajl_gen_array_open(g);
	for (size_t i = 0; i < n && i < max; i++) {
		yajl_gen_map_open(g);
		text_kv(g, "path", p[i].path, CAP_PATH);
		text_kv(g, "type", p[i].type, CAP_TYPE);
		uint_kv(g, "before", p[i].before);
		uint_kv(g, "after", p[i].after);
		int_kv(g, "delta", p[i].delta);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

static void growth_types(yajl_gen g, const struct phi_growth *gr)
{
	key(g, "types");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < gr->ntypes && i < MAX_GROWTH; i++) {
		const struct phi_growth_type *t = &gr->types[i];

		yajl_gen_map_open(g);
		text_kv(g, "type", t->type, CAP_TYPE);
		uint_kv(g, "count", t->count);
		int_kv(g, "count_delta", t->count_delta);
		uint_kv(g, "size", t->size);
		int_kv(g, "size_delta", t->size_delta);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

static void growth_memory(yajl_gen g, const struct phi_growth_memory *m)
{
	key(g, "memory");
	if (!m->present) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_map_open(g);
	opt_uint_kv(g, "rss_before", m->rss_known, m->rss_before);
	opt_uint_kv(g, "rss_after", m->rss_known, m->rss_after);
	key(g, "rss_delta");
	if (m->rss_known)
		yajl_gen_integer(g, m->rss_delta);
	else
		yajl_gen_null(g);
	key(g, "classes");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < m->nclasses && i < MAX_GROWTH_CLASSES; i++) {
		yajl_gen_map_open(g);
		text_kv(g, "class", m->classes[i].name, CAP_TYPE);
		uint_kv(g, "before", m->classes[i].before);
		uint_kv(g, "after", m->classes[i].after);
		int_kv(g, "delta", m->classes[i].delta);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	int_kv(g, "objects_delta", m->objects_delta);
	int_kv(g, "getsizeof_delta", m->getsizeof_delta);
	key(g, "allocated_delta");
	if (m->allocated_known)
		yajl_gen_integer(g, m->allocated_delta);
	else
		yajl_gen_null(g);
	int_kv(g, "garbage_objects_delta", m->garbage_objects_delta);
	int_kv(g, "garbage_size_delta", m->garbage_size_delta);
	yajl_gen_map_close(g);
}

static void growth_sites(yajl_gen g, const struct phi_growth *gr)
{
	char buf[CAP_PATH + 8];

	key(g, "sites");
	if (!gr->have_sites) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_array_open(g);
	for (size_t i = 0; i < gr->nsites && i < MAX_GROWTH; i++) {
		const struct phi_site_growth *x = &gr->sites[i];
		size_t n = phi_text_fit(x->filename, x->filename_len, buf,
					sizeof(buf), CAP_PATH, phi_width_blob);

		yajl_gen_map_open(g);
		key(g, "filename");
		yajl_gen_string(g, (const unsigned char *)buf, n);
		uint_kv(g, "lineno", x->lineno);
		uint_kv(g, "size", x->size);
		int_kv(g, "size_delta", x->size_diff);
		uint_kv(g, "count", x->count);
		int_kv(g, "count_delta", x->count_diff);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

/* The JSON report's "growth" (--baseline), capped. */
static void growth_part(yajl_gen g, const struct phi_report *r)
{
	const struct phi_growth *gr = r->growth;

	key(g, "growth");
	if (!gr) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_map_open(g);
	growth_baseline(g, gr->before);
	text_kv(g, "captured_at", gr->after->captured_at, CAP_TYPE);
	int_kv(g, "objects_delta", gr->objects_delta);
	int_kv(g, "total_size_delta", gr->total_size_delta);
	int_kv(g, "reachable_size_delta", gr->reachable_size_delta);
	key(g, "rss_delta");
	if (gr->rss_known)
		yajl_gen_integer(g, gr->rss_delta);
	else
		yajl_gen_null(g);
	uint_kv(g, "floor", gr->floor);
	uint_kv(g, "types_changed", gr->types_changed);
	uint_kv(g, "paths_changed", gr->paths_changed);
	opt_uint_kv(g, "sites_changed", gr->have_sites, gr->sites_changed);
	growth_types(g, gr);
	growth_rows(g, "paths", gr->paths, gr->npaths, MAX_GROWTH);
	growth_rows(g, "suspects", gr->suspects, gr->nsuspects,
		    MAX_GROWTH_SUSPECTS);
	growth_memory(g, &gr->memory);
	growth_sites(g, gr);
	yajl_gen_map_close(g);
}

/* ---- the dominator tree (section 3) */

struct remainder {
	uint64_t count, retained, objects;
	uint32_t type, votes;       /* majority vote on their types */
};

struct tree {
	yajl_gen g;
	const struct phi_report *r;
	const struct phi_heap *h;
	const struct phi_dominators *d;
	const struct phi_domtree *t;
	uint32_t node_of[TREE_MAX_NODES + 1];  /* per id: graph node */
	char *eff[TREE_MAX_NODES + 1];         /* per id: its path as the
						* page computes it */
	struct remainder rem[TREE_MAX_NODES + 1];
	uint8_t *kept;                         /* bit per graph node */
	bool oom;
	char label[PHI_PATH_MAX], full[PHI_PATH_MAX], fit[CAP_PATH + 8];
};

static bool is_kept(const struct tree *tr, uint32_t v)
{
	return tr->kept[v >> 3] & (1u << (v & 7));
}

/* The node's path as the page will compute it: the parent's followed by
 * the label (both as written), else the full path written in "path". */
static void node_path(struct tree *tr, uint32_t id, uint32_t parent,
		      const char *label, size_t label_len)
{
	yajl_gen g = tr->g;
	const char *pe = tr->eff[parent] ? tr->eff[parent] : "";
	size_t plen = strlen(pe);
	bool same = plen + label_len == strlen(tr->full) &&
		    memcmp(tr->full, pe, plen) == 0 &&
		    memcmp(tr->full + plen, label, label_len) == 0;
	size_t n;

	if (same) {
		tr->eff[id] = strdup(tr->full);
	} else {
		n = phi_text_fit(tr->full, strlen(tr->full), tr->fit,
				 sizeof(tr->fit), CAP_PATH, phi_width_blob);
		key(g, "path");
		yajl_gen_string(g, (const unsigned char *)tr->fit, n);
		tr->eff[id] = strdup(tr->fit);
	}
	tr->oom |= !tr->eff[id];
}

static bool tree_keep(void *ctx, uint32_t v, uint32_t id, uint32_t parent)
{
	struct tree *tr = ctx;
	yajl_gen g = tr->g;
	const struct phi_paths *p = &tr->r->analysis->paths;
	char label[CAP_LABEL + 8];
	size_t n;

	if (tr->oom)
		return false;
	tr->node_of[id] = v;
	tr->kept[v >> 3] |= (uint8_t)(1u << (v & 7));
	phi_domtree_label(tr->d, p, tr->h, v, tr->label, sizeof(tr->label));
	phi_path_text(p, tr->h, v, tr->full, sizeof(tr->full));
	n = phi_text_fit(tr->label, strlen(tr->label), label, sizeof(label),
			 CAP_LABEL, phi_width_blob);
	yajl_gen_map_open(g);
	uint_kv(g, "id", id);
	uint_kv(g, "parent", parent);
	key(g, "label");
	yajl_gen_string(g, (const unsigned char *)label, n);
	text_kv(g, "type", type_name(tr->h, v), CAP_TYPE);
	uint_kv(g, "size", phi_graph_size(&tr->h->g, v));
	uint_kv(g, "retained", tr->d->retained[v]);
	uint_kv(g, "objects", tr->t->objects[v]);
	address_kv(g, "address", tr->h->g.addr[v]);
	node_path(tr, id, parent, label, n);
	yajl_gen_map_close(g);
	return true;
}

static void tree_pruned(void *ctx, uint32_t v, uint32_t parent)
{
	struct tree *tr = ctx;
	struct remainder *m = &tr->rem[parent];
	uint32_t ty = tr->h->g.type[v];

	m->count++;
	m->retained += tr->d->retained[v];
	m->objects += tr->t->objects[v];
	/* Boyer-Moore: the one type that may be most of them. */
	if (m->votes == 0)
		m->type = ty;
	m->votes += m->type == ty ? 1 : (uint32_t)-1;
}

/* The remainder's type, when more than half of the pruned children have
 * it (the vote's candidate, counted). */
static const char *majority(const struct tree *tr, uint32_t id)
{
	const struct remainder *m = &tr->rem[id];
	uint32_t v = id ? tr->node_of[id] : tr->t->n;
	uint64_t same = 0;

	for (uint32_t k = tr->t->start[v]; k < tr->t->start[v + 1]; k++) {
		uint32_t c = tr->t->kids[k];

		if (!is_kept(tr, c) && tr->h->g.type[c] == m->type)
			same++;
	}
	return 2 * same > m->count ? tr->h->types.v[m->type].name : NULL;
}

static void other_nodes(struct tree *tr, size_t kept)
{
	yajl_gen g = tr->g;
	uint64_t next = kept + 1;

	for (uint32_t id = 0; id <= kept; id++) {
		const struct remainder *m = &tr->rem[id];
		const char *ty;

		if (!m->count)
			continue;
		yajl_gen_map_open(g);
		uint_kv(g, "id", next++);
		uint_kv(g, "parent", id);
		text_kv(g, "kind", "other", CAP_TYPE);
		uint_kv(g, "count", m->count);
		uint_kv(g, "retained", m->retained);
		uint_kv(g, "objects", m->objects);
		ty = majority(tr, id);
		if (ty)
			text_kv(g, "type", ty, CAP_TYPE);
		yajl_gen_map_close(g);
	}
}

static void root_node(yajl_gen g, const struct phi_dominators *d,
		      const struct phi_domtree *t)
{
	yajl_gen_map_open(g);
	uint_kv(g, "id", 0);
	key(g, "parent");
	yajl_gen_null(g);
	text_kv(g, "label", "all roots", CAP_LABEL);
	key(g, "type");
	yajl_gen_null(g);
	uint_kv(g, "size", 0);
	uint_kv(g, "retained", d->reachable_size);
	uint_kv(g, "objects", t->objects[t->n]);
	yajl_gen_map_close(g);
}

static int tree_part(yajl_gen g, struct tree *tr)
{
	const struct phi_dominators *d = tr->d;
	uint64_t total = d->reachable_size;
	uint64_t threshold = (total + TREE_SHARE_DIV - 1) / TREE_SHARE_DIV;
	struct phi_prune o = {
		.threshold = threshold ? threshold : 1,
		.max_nodes = TREE_MAX_NODES,
		.keep = tree_keep, .pruned = tree_pruned, .ctx = tr,
	};
	size_t kept = 0;

	tr->eff[0] = strdup("");
	if (!tr->eff[0])
		return -1;
	key(g, "tree");
	yajl_gen_map_open(g);
	uint_kv(g, "total", total);
	uint_kv(g, "objects", tr->t->objects[tr->t->n]);
	key(g, "min_share");
	yajl_gen_number(g, TREE_MIN_SHARE, strlen(TREE_MIN_SHARE));
	uint_kv(g, "max_nodes", TREE_MAX_NODES);
	uint_kv(g, "threshold", o.threshold);
	key(g, "nodes");
	yajl_gen_array_open(g);
	root_node(g, d, tr->t);
	phi_domtree_prune(tr->t, d, &tr->h->g, &o, &kept);
	other_nodes(tr, kept);
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
	return tr->oom ? -1 : 0;
}

/* ---- tables */

static void types_part(yajl_gen g, const struct phi_heap *h,
		       const uint64_t *alloc, const uint32_t *order, size_t n)
{
	uint64_t count = 0, size = 0;

	key(g, "types");
	yajl_gen_array_open(g);
	for (size_t k = 0; k < n && k < MAX_TYPES; k++) {
		const struct phi_type *t = &h->types.v[order[k]];

		yajl_gen_map_open(g);
		text_kv(g, "type", t->name, CAP_TYPE);
		uint_kv(g, "count", t->count);
		uint_kv(g, "size", t->size);
		if (alloc)
			uint_kv(g, "allocated", alloc[order[k]]);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	if (n <= MAX_TYPES)
		return;
	for (size_t k = MAX_TYPES; k < n; k++) {
		count += h->types.v[order[k]].count;
		size += h->types.v[order[k]].size;
	}
	key(g, "types_omitted");
	yajl_gen_map_open(g);
	uint_kv(g, "types", n - MAX_TYPES);
	uint_kv(g, "count", count);
	uint_kv(g, "size", size);
	yajl_gen_map_close(g);
}

/* address, type, size, retained and path of one object. */
static void object_row(yajl_gen g, const struct phi_report *r, uint32_t v,
		       char *path, size_t len)
{
	const struct phi_heap *h = r->heap;

	address_kv(g, "address", h->g.addr[v]);
	text_kv(g, "type", type_name(h, v), CAP_TYPE);
	uint_kv(g, "size", phi_graph_size(&h->g, v));
	uint_kv(g, "retained", r->analysis->retained.dom.retained[v]);
	phi_path_text(&r->analysis->paths, h, v, path, len);
	text_kv(g, "path", path, CAP_PATH);
}

static void retainers_part(yajl_gen g, const struct phi_report *r,
			   const uint32_t *top, size_t ntop)
{
	char path[PHI_PATH_MAX];

	key(g, "retainers");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < ntop; i++) {
		yajl_gen_map_open(g);
		object_row(g, r, top[i], path, sizeof(path));
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

/* What a suspect dominates: how many children, their most common type
 * (counts is scratch of one entry per type, zero on entry and on
 * return), their mean retained size. */
static void suspect_items(yajl_gen g, const struct phi_report *r,
			  const struct phi_domtree *t, uint32_t v,
			  uint32_t *counts)
{
	const struct phi_heap *h = r->heap;
	const uint64_t *ret = r->analysis->retained.dom.retained;
	uint32_t first = t->start[v], end = t->start[v + 1], best = 0;
	uint64_t sum = 0;

	if (first == end)
		return;
	for (uint32_t k = first; k < end; k++) {
		uint32_t ty = h->g.type[t->kids[k]];

		sum += ret[t->kids[k]];
		if (++counts[ty] > counts[best] ||
		    (counts[ty] == counts[best] && ty < best))
			best = ty;
	}
	for (uint32_t k = first; k < end; k++)
		counts[h->g.type[t->kids[k]]] = 0;
	key(g, "items");
	yajl_gen_map_open(g);
	uint_kv(g, "count", end - first);
	text_kv(g, "type", h->types.v[best].name, CAP_TYPE);
	uint_kv(g, "mean", sum / (end - first));
	yajl_gen_map_close(g);
}

/* The leak suspects as the JSON report lists them (accumulation
 * points, analysis/suspects.c), with what each holds. */
static int suspects_part(yajl_gen g, const struct phi_report *r,
			 const struct phi_domtree *t)
{
	const struct phi_suspects *sus = &r->analysis->suspects;
	uint64_t reach = r->analysis->retained.dom.reachable_size;
	uint32_t *counts = calloc(r->heap->types.n + 1, sizeof(*counts));
	char path[PHI_PATH_MAX], buf[256];

	if (!counts)
		return -1;
	key(g, "suspects");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < sus->n && i < MAX_SUSPECTS; i++) {
		const struct phi_suspect *x = &sus->v[i];
		char share[32];
		int len;

		yajl_gen_map_open(g);
		object_row(g, r, x->node, path, sizeof(path));
		key(g, "share");
		len = snprintf(share, sizeof(share), "%.6f", reach ?
			       (double)x->retained / (double)reach : 0);
		yajl_gen_number(g, share, (size_t)len);
		phi_suspect_reason(x, reach, buf, sizeof(buf));
		text_kv(g, "reason", buf, CAP_PATH);
		suspect_items(g, r, t, x->node, counts);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	free(counts);
	return 0;
}

static void duplicates_part(yajl_gen g, const struct phi_report *r)
{
	const struct phi_dups *d = &r->analysis->dups;

	key(g, "duplicates");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < d->ngroups && i < MAX_DUPLICATES; i++) {
		const struct phi_dup_group *x = &d->groups[i];

		yajl_gen_map_open(g);
		text_kv(g, "type", x->type, CAP_TYPE);
		uint_kv(g, "count", x->count);
		uint_kv(g, "size", x->size);
		uint_kv(g, "wasted", x->wasted);
		text_kv(g, "preview", x->preview, CAP_PREVIEW);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

/* The largest retainers, as retained.c chooses them, but MAX_RETAINERS
 * of them whatever --top says. */
static uint32_t *top_retainers(const struct phi_report *r, size_t *n)
{
	const struct phi_dominators *d = &r->analysis->retained.dom;
	struct phi_topn tn;

	*n = 0;
	if (phi_topn_init(&tn, NULL, d->retained, MAX_RETAINERS) < 0)
		return NULL;
	for (uint32_t i = 0; i < r->heap->g.n; i++)
		if (d->idom[i] != PHI_NONE)
			phi_topn_offer(&tn, i);
	return phi_topn_finish(&tn, n);
}

/* ---- the page */

static void tree_free(struct tree *tr)
{
	if (!tr)
		return;
	for (size_t i = 0; i <= TREE_MAX_NODES; i++)
		free(tr->eff[i]);
	free(tr->kept);
	free(tr);
}

static int blob(yajl_gen g, const struct phi_report *r, struct tree *tr,
		const uint32_t *order, size_t ntypes, const uint32_t *top,
		size_t ntop)
{
	int rc;

	yajl_gen_map_open(g);
	uint_kv(g, "schema_version", 1);
	text_kv(g, "generator", "pyheapinspect " PACKAGE_VERSION, CAP_PATH);
	notes_part(g, r);
	target_part(g, r);
	heap_part(g, r, ntypes);
	memory_part(g, r);
	rc = tree_part(g, tr);
	types_part(g, r->heap, r->memory ? r->memory->type_allocated : NULL,
		   order, ntypes);
	retainers_part(g, r, top, ntop);
	if (rc == 0)
		rc = suspects_part(g, r, tr->t);
	duplicates_part(g, r);
	garbage_part(g, r);
	growth_part(g, r);
	yajl_gen_map_close(g);
	return rc;
}

int phi_report_html(FILE *out, const struct phi_report *r,
		    const struct phi_domtree *t, struct phi_error *err)
{
	struct sink s = { out, 0 };
	struct tree *tr = calloc(1, sizeof(*tr));
	uint32_t *order = NULL, *top = NULL;
	size_t ntypes = 0, ntop = 0;
	yajl_gen g = NULL;
	int rc = -1;

	if (!tr || !r->heap || !r->analysis)
		goto out;
	tr->r = r;
	tr->h = r->heap;
	tr->d = &r->analysis->retained.dom;
	tr->t = t;
	tr->kept = calloc(r->heap->g.n / 8 + 1, 1);
	if (!tr->kept || phi_histogram(&r->heap->types, &order, &ntypes) < 0)
		goto out;
	top = top_retainers(r, &ntop);
	g = yajl_gen_alloc(NULL);
	if (!g || (!top && r->heap->g.n))
		goto out;
	tr->g = g;
	yajl_gen_config(g, yajl_gen_print_callback, sink_print, &s);
	fputs(phi_html_head, out);
	rc = blob(g, r, tr, order, ntypes, top, ntop);
	sink_flush(&s);
	fputs(phi_html_tail, out);
out:
	if (g)
		yajl_gen_free(g);
	free(order);
	free(top);
	tree_free(tr);
	if (rc < 0)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory "
				     "writing the HTML report");
	if (fflush(out) != 0 || ferror(out))
		return phi_error_set(err, PHI_E_IO, "cannot write the HTML "
				     "report");
	return 0;
}
