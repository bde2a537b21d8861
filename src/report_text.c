/* The text report. */
#include <inttypes.h>
#include <stdlib.h>

#include "pyheapinspect/histogram.h"

#include "pyheapinspect/report.h"

static void print_header(FILE *out, const struct phi_report *r)
{
	const struct phi_target *t = r->target;

	fprintf(out, "pyheapinspect: process %d, CPython %d.%d.%d\n",
		(int)t->pid, t->version.major, t->version.minor,
		t->version.micro);
	fprintf(out, "  interpreter object  %s\n", t->object_path);
	fprintf(out, "  layouts             %s\n",
		t->layout.source == PHI_LAYOUT_DWARF ? "DWARF" :
						       "built-in 3.10 table");
	fprintf(out, "  paused              %.2f ms (%zu threads, %.1f MiB "
		"copied)\n", r->capture->pause_ms, r->capture->threads,
		(double)r->capture->img.bytes / (1 << 20));
	fprintf(out, "  interpreters        %zu (main at 0x%" PRIx64 ")\n",
		r->runtime->ninterps, r->runtime->interp_main);
}

static void print_small_ints(FILE *out, const struct phi_small_ints *s,
			     bool list)
{
	fprintf(out, "\nsmall-int cache (-5..256): %d entries, %d wrong\n",
		PHI_SMALL_INTS, s->mismatches);
	if (!list && s->mismatches == 0)
		return;
	fprintf(out, "  %6s  %-18s  %10s  %s\n", "value", "address",
		"refcount", "check");
	for (int i = 0; i < PHI_SMALL_INTS; i++) {
		const struct phi_small_int *e = &s->v[i];

		if (!list && e->value_ok)
			continue;
		fprintf(out, "  %6d  0x%-16" PRIx64 "  %10" PRId64 "  %s",
			e->value, e->address, e->refcnt,
			e->value_ok ? "ok" :
			!e->address ? "EMPTY SLOT" :
			!e->readable ? "NOT READABLE" :
			!e->type_ok ? "NOT AN INT" : "WRONG VALUE");
		if (e->readable && e->type_ok && !e->value_ok)
			fprintf(out, " (holds %" PRId64 ")", e->decoded);
		fputc('\n', out);
	}
}

/* 1234567 -> "1.2 MiB" */
static const char *human(uint64_t n, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 " B", n);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}

static void print_heap(FILE *out, const struct phi_heap *h, size_t top)
{
	const struct phi_heap_stats *s = &h->stats;
	uint32_t *order;
	size_t n;
	char b1[32], b2[32];

	fprintf(out, "\nheap: %" PRIu64 " objects, %s (sys.getsizeof), %"
		PRIu64 " tracked by the GC\n", s->objects,
		human(s->total_size, b1, sizeof(b1)), s->gc_tracked);
	if (s->opaque)
		fprintf(out, "  %" PRIu64 " objects of unknown C layout "
			"(opaque), %s\n", s->opaque,
			human(s->opaque_size, b1, sizeof(b1)));
	if (s->bad_refs || s->bad_fields)
		fprintf(out, "  %" PRIu64 " references to non-objects, %"
			PRIu64 " unreadable fields (torn or corrupt data)\n",
			s->bad_refs, s->bad_fields);
	if (phi_histogram(&h->types, &order, &n) < 0)
		return;
	fprintf(out, "\n  %12s  %10s  %6s  %s\n", "size", "count", "share",
		"type");
	for (size_t k = 0; k < n && k < top; k++) {
		const struct phi_type *t = &h->types.v[order[k]];

		fprintf(out, "  %12s  %10" PRIu64 "  %5.1f%%  %s\n",
			human(t->size, b2, sizeof(b2)), t->count,
			s->total_size ? 100.0 * (double)t->size /
						(double)s->total_size : 0.0,
			t->name);
	}
	if (n > top)
		fprintf(out, "  ... %zu more types (--top N)\n", n - top);
	free(order);
}

int phi_report_text(FILE *out, const struct phi_report *r,
		    struct phi_error *err)
{
	print_header(out, r);
	if (r->heap)
		print_heap(out, r->heap, r->top);
	if (r->small_ints)
		print_small_ints(out, r->small_ints, r->list_small_ints);
	if (fflush(out) != 0 || ferror(out))
		return phi_error_set(err, PHI_E_IO, "cannot write the report");
	return 0;
}
