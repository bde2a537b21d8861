/* The memory section (text and JSON), and --mallocstats: the text of
 * sys._debugmallocstats() as CPython 3.10 prints it (Objects/obmalloc.c
 * _PyObject_DebugMallocStats and printone, Objects/object.c
 * _PyDebugAllocatorStats), from the figures read outside. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pyheapinspect/base/sizes.h"
#include "pyheapinspect/report/jsonout.h"
#include "pyheapinspect/report/memory.h"

/* printone(): the label padded to 35 columns, '=', the value with a
 * comma every three digits right-aligned in 21 columns. */
static void printone(FILE *out, const char *msg, uint64_t v)
{
	char digits[32], buf[32];
	int n = snprintf(digits, sizeof(digits), "%" PRIu64, v), k = 0;

	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			buf[k++] = ',';
		buf[k++] = digits[i];
	}
	buf[k] = '\0';
	fprintf(out, "%-35s=%21s\n", msg, buf);
}

/* What the target does not tell: the line without a value. */
static void unknown(FILE *out, const char *msg)
{
	fprintf(out, "%s: unknown\n", msg);
}

static void class_table(FILE *out, const struct phi_pymalloc *m)
{
	fprintf(out, "Small block threshold = %u, in %u size classes.\n\n",
		m->threshold, m->nclasses);
	fputs("class   size   num pools   blocks in use  avail blocks\n"
	      "-----   ----   ---------   -------------  ------------\n", out);
	for (uint32_t i = 0; i < m->nclasses; i++) {
		const struct phi_pymalloc_class *c = &m->cls[i];

		if (c->pools)
			fprintf(out, "%5u %6u %11" PRIu64 " %15" PRIu64
				" %13" PRIu64 "\n", i, c->size, c->pools,
				c->blocks, c->avail);
	}
	fputc('\n', out);
}

static void arena_lines(FILE *out, const struct phi_pymalloc *m)
{
	char label[64];

	if (m->have_counters) {
		printone(out, "# arenas allocated total", m->ntimes_allocated);
		printone(out, "# arenas reclaimed",
			 m->ntimes_allocated - m->narenas);
		printone(out, "# arenas highwater mark", m->highwater);
	} else {
		unknown(out, "# arenas allocated total");
		unknown(out, "# arenas reclaimed");
		unknown(out, "# arenas highwater mark");
	}
	printone(out, "# arenas allocated current", m->narenas);
	snprintf(label, sizeof(label), "%" PRIu64 " arenas * %" PRIu64
		 " bytes/arena", m->narenas, m->arena_size);
	printone(out, label, m->narenas * m->arena_size);
	fputc('\n', out);
}

static void byte_lines(FILE *out, const struct phi_pymalloc *m)
{
	char label[64];

	printone(out, "# bytes in allocated blocks", m->allocated_bytes);
	printone(out, "# bytes in available blocks", m->available_bytes);
	snprintf(label, sizeof(label), "%" PRIu64 " unused pools * %" PRIu64
		 " bytes", m->unused_pools, m->pool_size);
	printone(out, label, m->unused_pools * m->pool_size);
	printone(out, "# bytes lost to pool headers", m->pool_headers);
	printone(out, "# bytes lost to quantization", m->quantization);
	printone(out, "# bytes lost to arena alignment", m->arena_alignment);
	printone(out, "Total", m->allocated_bytes + m->available_bytes +
				       m->unused_pools * m->pool_size +
				       m->pool_headers + m->quantization +
				       m->arena_alignment);
}

static void map_lines(FILE *out, const struct phi_pymalloc *m)
{
	fputs("\narena map counts\n", out);
	if (!m->have_map) {
		unknown(out, "# arena map mid nodes");
		unknown(out, "# arena map bot nodes");
		fputc('\n', out);
		printone(out, "# bytes lost to arena map root",
			 m->map_root_bytes);
		return;
	}
	printone(out, "# arena map mid nodes", m->map_mid);
	printone(out, "# arena map bot nodes", m->map_bot);
	fputc('\n', out);
	printone(out, "# bytes lost to arena map root", m->map_root_bytes);
	printone(out, "# bytes lost to arena map mid",
		 m->map_mid * m->map_mid_bytes);
	printone(out, "# bytes lost to arena map bot",
		 m->map_bot * m->map_bot_bytes);
	printone(out, "Total", m->map_root_bytes +
				       m->map_mid * m->map_mid_bytes +
				       m->map_bot * m->map_bot_bytes);
}

/* _PyDebugAllocatorStats: "%d %ss * %zd bytes each" right-aligned in 48
 * columns and a space, as printone's label. */
static void free_list_lines(FILE *out, const struct phi_free_lists *fl)
{
	for (size_t i = 0; i < fl->n; i++) {
		const struct phi_free_list *e = &fl->v[i];
		char buf1[128], buf2[160];

		if (!e->cpython_name[0])
			continue;
		snprintf(buf1, sizeof(buf1), "%" PRId64 " %ss * %" PRIu64
			 " bytes each", e->count, e->cpython_name,
			 e->cpython_size);
		snprintf(buf2, sizeof(buf2), "%48s ", buf1);
		printone(out, buf2, (uint64_t)e->count * e->cpython_size);
	}
}

int phi_report_mallocstats(FILE *out, const struct phi_pymemory *m,
			   struct phi_error *err)
{
	const struct phi_pymalloc *pm = &m->pymalloc;

	if (pm->method != PHI_PYMALLOC_NONE) {
		class_table(out, pm);
		arena_lines(out, pm);
		byte_lines(out, pm);
		map_lines(out, pm);
		fputc('\n', out);
	}
	if (m->free_lists.present)
		free_list_lines(out, &m->free_lists);
	if (fflush(out) != 0 || ferror(out))
		return phi_error_set(err, PHI_E_IO, "cannot write the report");
	return 0;
}

/* ---- the memory section --------------------------------------------- */

static const char *const class_hints[PHI_MC__COUNT] = {
	[PHI_MC_PYMALLOC] = "small objects (<= 512 B); an arena goes back to "
			    "the system only when all its pools are empty: "
			    "much free space here is fragmentation",
	[PHI_MC_MALLOC_HEAP] = "the C library's heaps: large objects, "
			       "buffers, extensions' memory; free chunks "
			       "here are kept by malloc, not returned",
	[PHI_MC_MALLOC_MMAP] = "blocks of 128 KiB and more, each in a "
			       "mapping of its own: freed at once when freed",
	[PHI_MC_STACKS] = "thread stacks: one per thread",
	[PHI_MC_ELF] = "code and data of the interpreter, the libraries and "
		       "the extension modules",
	[PHI_MC_OTHER_ANON] = "other anonymous memory (an extension's own "
			      "mappings, a custom allocator)",
	[PHI_MC_OTHER_FILE] = "other file mappings (mmap'd files, shared "
			      "memory, locale data)",
};

const char *phi_report_memory_hint(enum phi_mem_class c)
{
	return (unsigned)c < PHI_MC__COUNT ? class_hints[c] : "";
}

static void text_rss(FILE *out, const struct phi_memory *m)
{
	const struct phi_rss *r = m->rss;
	char b1[32], b2[32], b3[32], b4[32], b5[32];

	fprintf(out, "\nmemory: RSS %s at the freeze (anonymous %s, file %s, "
		"shared %s), swap %s\n", phi_size_text(r->vm_rss, b1, sizeof(b1)),
		phi_size_text(r->rss_anon, b2, sizeof(b2)),
		phi_size_text(r->rss_file, b3, sizeof(b3)),
		phi_size_text(r->rss_shmem, b4, sizeof(b4)),
		phi_size_text(r->vm_swap, b5, sizeof(b5)));
	if (!m->have_classes)
		return;
	for (int c = 0; c < PHI_MC__COUNT; c++) {
		if (!m->cls[c].resident && !m->cls[c].swap)
			continue;
		fprintf(out, "  %10s  %5.1f%%  %-16s %s\n",
			phi_size_text(m->cls[c].resident, b1, sizeof(b1)),
			r->vm_rss ? 100.0 * (double)m->cls[c].resident /
					    (double)r->vm_rss : 0.0,
			phi_mem_class_name((enum phi_mem_class)c),
			class_hints[c]);
	}
}

static void text_inside(FILE *out, const struct phi_memory *m)
{
	const struct phi_pymalloc *pm = m->py ? &m->py->pymalloc : NULL;
	const struct phi_garbage *g = &m->garbage;
	char b1[32], b2[32], b3[32];

	fprintf(out, "  inside:\n    live objects     %s (sys.getsizeof) in "
		"%" PRIu64 " objects", phi_size_text(m->live_size, b1, sizeof(b1)),
		m->live_objects);
	if (m->have_allocated)
		fprintf(out, ", %s allocated (size classes, chunks, GC "
			"headers)", phi_size_text(m->live_allocated, b2, sizeof(b2)));
	fputc('\n', out);
	if (pm && pm->method) {
		fprintf(out, "    pymalloc free    %s in free blocks of used "
			"pools, %s in %" PRIu64 " empty pools, %s overhead: "
			"reused for new small objects, not returned\n",
			phi_size_text(pm->available_bytes, b1, sizeof(b1)),
			phi_size_text(pm->unused_pools * pm->pool_size, b2, sizeof(b2)),
			pm->unused_pools,
			phi_size_text(pm->pool_headers + pm->quantization +
				      pm->arena_alignment, b3, sizeof(b3)));
	}
	fprintf(out, "    free lists       %s kept for reuse (a full "
		"gc.collect() empties them)\n",
		phi_size_text(m->free_list_bytes, b1, sizeof(b1)));
	fprintf(out, "    garbage          %s in %" PRIu64 " objects no root "
		"reaches: only the cyclic GC frees them%s\n",
		phi_size_text(g->size, b1, sizeof(b1)), g->objects,
		m->py && m->py->gc.present && !m->py->gc.enabled ?
			" (and it is disabled)" : "");
	for (size_t i = 0; i < g->ncycles && i < 5; i++)
		fprintf(out, "      %10s  %" PRIu64 " x %.200s\n",
			phi_size_text(g->cycles[i].size, b1, sizeof(b1)),
			g->cycles[i].count, g->cycles[i].path);
	if (m->have_classes && m->have_allocated)
		fprintf(out, "    unexplained      %s of the allocators' and other "
			"anonymous resident memory: native buffers, "
			"extensions' own memory (an estimate)\n",
			phi_size_text(m->unexplained, b1, sizeof(b1)));
}

static void text_malloc(FILE *out, const struct phi_memory *m)
{
	const struct phi_malloc *mal = m->malloc;
	char b1[32], b2[32], b3[32], b4[32];

	if (!mal || mal->method == PHI_MALLOC_NONE)
		return;
	fprintf(out, "    malloc           %s from the system in %zu arenas, "
		"%s in use, %s free in bins (kept by glibc), %s in %" PRIu64
		" mapped chunks\n", phi_size_text(mal->mi.arena, b1, sizeof(b1)),
		mal->narenas, phi_size_text(mal->mi.uordblks, b2, sizeof(b2)),
		phi_size_text(mal->mi.fordblks, b3, sizeof(b3)),
		phi_size_text(mal->mi.hblkhd, b4, sizeof(b4)), mal->mi.hblks);
	if (mal->have_tcache)
		fprintf(out, "%21s of the in use, %s in %" PRIu64 " chunks "
			"freed into the threads' tcaches (mallinfo2 counts "
			"them in use)\n", "",
			phi_size_text(mal->tcache_bytes, b1, sizeof(b1)),
			mal->tcache_chunks);
}

static void text_gc(FILE *out, const struct phi_gc_state *gc)
{
	if (!gc->present)
		return;
	fprintf(out, "  gc: %s%s, thresholds %" PRId64 " %" PRId64 " %"
		PRId64 ", counts %" PRId64 " %" PRId64 " %" PRId64 ", objects "
		"per generation %" PRIu64 " %" PRIu64 " %" PRIu64 ", %" PRIu64
		" frozen (gc.freeze())\n", gc->enabled ? "enabled" : "DISABLED",
		gc->collecting ? ", collecting" : "", gc->thresholds[0],
		gc->thresholds[1], gc->thresholds[2], gc->counts[0],
		gc->counts[1], gc->counts[2], gc->generations[0],
		gc->generations[1], gc->generations[2], gc->permanent);
}

void phi_report_memory_text(FILE *out, const struct phi_report *r)
{
	const struct phi_memory *m = r->memory;

	if (!m)
		return;
	if (m->rss)
		text_rss(out, m);
	else
		fprintf(out, "\nmemory:\n");
	if (m->note[0])
		fprintf(out, "  note: %s\n", m->note);
	text_inside(out, m);
	text_malloc(out, m);
	if (m->py)
		text_gc(out, &m->py->gc);
}

/* ---- JSON ------------------------------------------------------------- */

static void u64(yajl_gen g, const char *key, uint64_t v)
{
	phi_json_key(g, key);
	yajl_gen_integer(g, (long long)v);
}

static void opt_u64(yajl_gen g, const char *key, bool known, uint64_t v)
{
	phi_json_key(g, key);
	if (known)
		yajl_gen_integer(g, (long long)v);
	else
		yajl_gen_null(g);
}

static void json_rss(yajl_gen g, const struct phi_memory *m)
{
	const struct phi_rss *r = m->rss;

	phi_json_key(g, "rss");
	if (!r) {
		yajl_gen_null(g);
		phi_json_key(g, "classes");
		yajl_gen_null(g);
		return;
	}
	yajl_gen_map_open(g);
	u64(g, "vm_rss", r->vm_rss);
	u64(g, "anon", r->rss_anon);
	u64(g, "file", r->rss_file);
	u64(g, "shmem", r->rss_shmem);
	u64(g, "swap", r->vm_swap);
	u64(g, "smaps_rss", r->smaps_rss);
	u64(g, "zero_page_bytes", r->zero_pages * r->page_size);
	yajl_gen_map_close(g);
	phi_json_key(g, "classes");
	yajl_gen_array_open(g);
	for (int c = 0; m->have_classes && c < PHI_MC__COUNT; c++) {
		yajl_gen_map_open(g);
		phi_json_key(g, "class");
		phi_json_string(g, phi_mem_class_name((enum phi_mem_class)c));
		u64(g, "resident", m->cls[c].resident);
		u64(g, "swap", m->cls[c].swap);
		u64(g, "mappings", m->cls[c].mappings);
		u64(g, "objects_allocated", m->objects_in[c]);
		phi_json_key(g, "hint");
		phi_json_string(g, class_hints[c]);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

static void json_pymalloc(yajl_gen g, const struct phi_pymalloc *p)
{
	static const char *const methods[] = { "none", "symbols", "scan" };

	phi_json_key(g, "pymalloc");
	if (p->method == PHI_PYMALLOC_NONE) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_map_open(g);
	phi_json_key(g, "method");
	phi_json_string(g, methods[p->method]);
	phi_json_key(g, "cpython_prints_it");
	if (p->known_prints)
		yajl_gen_bool(g, p->cpython_prints);
	else
		yajl_gen_null(g);
	phi_json_key(g, "tracemalloc");
	if (p->tracemalloc < 0)
		yajl_gen_null(g);
	else
		yajl_gen_bool(g, p->tracemalloc);
	opt_u64(g, "arenas_allocated_total", p->have_counters,
		p->ntimes_allocated);
	opt_u64(g, "arenas_reclaimed", p->have_counters,
		p->ntimes_allocated - p->narenas);
	opt_u64(g, "arenas_highwater", p->have_counters, p->highwater);
	u64(g, "arenas_current", p->narenas);
	u64(g, "bytes_in_allocated_blocks", p->allocated_bytes);
	u64(g, "bytes_in_available_blocks", p->available_bytes);
	u64(g, "unused_pools", p->unused_pools);
	u64(g, "bytes_lost_to_pool_headers", p->pool_headers);
	u64(g, "bytes_lost_to_quantization", p->quantization);
	u64(g, "bytes_lost_to_arena_alignment", p->arena_alignment);
	opt_u64(g, "arena_map_mid_nodes", p->have_map, p->map_mid);
	opt_u64(g, "arena_map_bot_nodes", p->have_map, p->map_bot);
	phi_json_key(g, "classes");
	yajl_gen_array_open(g);
	for (uint32_t i = 0; i < p->nclasses; i++) {
		const struct phi_pymalloc_class *c = &p->cls[i];

		if (!c->pools)
			continue;
		yajl_gen_map_open(g);
		u64(g, "size", c->size);
		u64(g, "pools", c->pools);
		u64(g, "blocks_in_use", c->blocks);
		u64(g, "avail_blocks", c->avail);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}

static void json_free_lists(yajl_gen g, const struct phi_free_lists *fl)
{
	phi_json_key(g, "free_lists");
	if (!fl->present) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_array_open(g);
	for (size_t i = 0; i < fl->n; i++) {
		yajl_gen_map_open(g);
		phi_json_key(g, "list");
		phi_json_string(g, fl->v[i].name);
		if (fl->v[i].length)
			u64(g, "length", (uint64_t)fl->v[i].length);
		u64(g, "count", (uint64_t)fl->v[i].count);
		u64(g, "bytes", fl->v[i].bytes);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

static void json_garbage(yajl_gen g, const struct phi_memory *m)
{
	const struct phi_garbage *gb = &m->garbage;

	phi_json_key(g, "garbage");
	yajl_gen_map_open(g);
	u64(g, "objects", gb->objects);
	u64(g, "size", gb->size);
	opt_u64(g, "allocated", m->have_allocated, gb->allocated);
	phi_json_key(g, "types");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < gb->ntypes; i++) {
		yajl_gen_map_open(g);
		phi_json_key(g, "type");
		phi_json_string(g, gb->types[i].name);
		u64(g, "count", gb->types[i].count);
		u64(g, "size", gb->types[i].size);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	u64(g, "cycles_total", gb->cycles_total);
	u64(g, "shapes", gb->shapes);
	phi_json_key(g, "cycles");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < gb->ncycles; i++) {
		const struct phi_garbage_cycle *c = &gb->cycles[i];

		yajl_gen_map_open(g);
		phi_json_key(g, "type");
		phi_json_string(g, c->type);
		u64(g, "count", c->count);
		u64(g, "length", c->length);
		phi_json_key(g, "path");
		phi_json_string(g, c->path);
		u64(g, "objects", c->objects);
		u64(g, "size", c->size);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}

static void int3(yajl_gen g, const char *key, const int64_t *v)
{
	phi_json_key(g, key);
	yajl_gen_array_open(g);
	for (int i = 0; i < 3; i++)
		yajl_gen_integer(g, v[i]);
	yajl_gen_array_close(g);
}

static void json_gc(yajl_gen g, const struct phi_gc_state *gc)
{
	int64_t gen[3];

	phi_json_key(g, "gc");
	if (!gc->present) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_map_open(g);
	phi_json_key(g, "enabled");
	yajl_gen_bool(g, gc->enabled);
	int3(g, "thresholds", gc->thresholds);
	int3(g, "counts", gc->counts);
	for (int i = 0; i < 3; i++)
		gen[i] = (int64_t)gc->generations[i];
	int3(g, "generations", gen);
	u64(g, "permanent", gc->permanent);
	phi_json_key(g, "collecting");
	yajl_gen_bool(g, gc->collecting);
	yajl_gen_map_close(g);
}

static void json_malloc(yajl_gen g, const struct phi_malloc *mal)
{
	static const char *const methods[] = { "none", "debuginfo",
					       "builtin-2.36" };
	const struct phi_mallinfo2 *mi = &mal->mi;
	char stats[8192];

	phi_json_key(g, "malloc");
	if (mal->method == PHI_MALLOC_NONE) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_map_open(g);
	phi_json_key(g, "method");
	phi_json_string(g, methods[mal->method]);
	phi_json_key(g, "libc");
	phi_json_string(g, mal->libc);
	phi_json_key(g, "debug_file");
	if (mal->debug_file[0])
		phi_json_string(g, mal->debug_file);
	else
		yajl_gen_null(g);
	phi_json_key(g, "mallinfo2");
	yajl_gen_map_open(g);
	u64(g, "arena", mi->arena);
	u64(g, "ordblks", mi->ordblks);
	u64(g, "smblks", mi->smblks);
	u64(g, "hblks", mi->hblks);
	u64(g, "hblkhd", mi->hblkhd);
	u64(g, "usmblks", mi->usmblks);
	u64(g, "fsmblks", mi->fsmblks);
	u64(g, "uordblks", mi->uordblks);
	u64(g, "fordblks", mi->fordblks);
	u64(g, "keepcost", mi->keepcost);
	yajl_gen_map_close(g);
	phi_native_malloc_stats(mal, stats, sizeof(stats));
	phi_json_key(g, "malloc_stats");
	phi_json_string(g, stats);
	phi_json_key(g, "arenas");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < mal->narenas; i++) {
		const struct phi_malloc_arena *a = &mal->arenas[i];

		yajl_gen_map_open(g);
		phi_json_key(g, "address");
		phi_json_address(g, a->addr);
		u64(g, "system_bytes", a->system);
		u64(g, "in_use_bytes", a->in_use);
		u64(g, "free_in_bins", a->free_bins);
		u64(g, "free_chunks", a->free_chunks);
		u64(g, "free_in_fastbins", a->free_fast);
		u64(g, "fastbin_chunks", a->fast_chunks);
		u64(g, "top_chunk", a->top);
		u64(g, "heaps", a->heaps);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	u64(g, "mmapped_chunks", mal->n_mmaps);
	u64(g, "mmapped_bytes", mal->mmapped_mem);
	u64(g, "threads", mal->threads);
	opt_u64(g, "tcache_chunks", mal->have_tcache, mal->tcache_chunks);
	opt_u64(g, "tcache_bytes", mal->have_tcache, mal->tcache_bytes);
	yajl_gen_map_close(g);
}

void phi_report_memory_json(yajl_gen g, const struct phi_report *r)
{
	const struct phi_memory *m = r->memory;

	if (!m)
		return;
	phi_json_key(g, "memory");
	yajl_gen_map_open(g);
	phi_json_key(g, "note");
	if (m->note[0])
		phi_json_string(g, m->note);
	else
		yajl_gen_null(g);
	json_rss(g, m);
	opt_u64(g, "unexplained", m->have_classes && m->have_allocated,
		m->unexplained);
	phi_json_key(g, "objects");
	yajl_gen_map_open(g);
	u64(g, "count", m->live_objects);
	u64(g, "getsizeof", m->live_size);
	opt_u64(g, "allocated", m->have_allocated, m->live_allocated);
	yajl_gen_map_close(g);
	if (m->py) {
		json_pymalloc(g, &m->py->pymalloc);
		json_free_lists(g, &m->py->free_lists);
		u64(g, "free_lists_bytes", m->free_list_bytes);
		json_gc(g, &m->py->gc);
	}
	json_garbage(g, m);
	if (m->malloc)
		json_malloc(g, m->malloc);
	yajl_gen_map_close(g);
}
