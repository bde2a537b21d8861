/* The text report. */
#include <inttypes.h>

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

int phi_report_text(FILE *out, const struct phi_report *r,
		    struct phi_error *err)
{
	print_header(out, r);
	if (r->small_ints)
		print_small_ints(out, r->small_ints, r->list_small_ints);
	if (fflush(out) != 0 || ferror(out))
		return phi_error_set(err, PHI_E_IO, "cannot write the report");
	return 0;
}
