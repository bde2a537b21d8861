/* The memory section (text and JSON), and --mallocstats: the text of
 * sys._debugmallocstats() as CPython 3.10 prints it (Objects/obmalloc.c
 * _PyObject_DebugMallocStats and printone, Objects/object.c
 * _PyDebugAllocatorStats), from the figures read outside. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

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
