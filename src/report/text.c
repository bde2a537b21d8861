/* The text report.  Every text that comes from the target (type names,
 * values, keys and attribute names in paths, file names) goes through
 * safe(): control characters are escaped (base/escape.h), so that one
 * row stays one line and nothing reaches the terminal as a command. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/base/sizes.h"
#include "pyheapinspect/analysis/histogram.h"
#include "pyheapinspect/report/footprint.h"
#include "pyheapinspect/base/escape.h"
#include "pyheapinspect/report/memory.h"

#include "pyheapinspect/report/opaque.h"
#include "pyheapinspect/report/fill.h"
#include "pyheapinspect/report/growth.h"
#include "pyheapinspect/report/interps.h"
#include "pyheapinspect/report/suspects.h"
#include "pyheapinspect/report/sites.h"
#include "pyheapinspect/report/text.h"

/* What the capture copied (the zeros of untouched pages not counted). */
static double copied_mib(const struct phi_report *r)
{
	return (double)(r->capture->img.bytes - r->capture->img.zeros) /
	       (1 << 20);
}

/* Characters of a type name, a value or a path shown at most. */
#define NAME_CHARS 512
#define VALUE_CHARS 60
#define PATH_CHARS 200
#define SAFE_BUF(chars) ((chars) * PHI_ESCAPE_MAX + 4)

/* s[0..len) escaped into buf (SAFE_BUF(max) bytes), at most max
 * characters, "..." after it when cut (or when *cut says so already). */
static const char *safe_n(const char *s, size_t len, size_t max, char *buf,
			  size_t cap, bool more)
{
	bool cut;
	size_t n = phi_escape_text(buf, cap - 3, s ? s : "", s ? len : 0,
				   max, &cut);

	if (cut || more)
		memcpy(buf + n, "...", 4);
	return buf;
}

static const char *safe(const char *s, size_t max, char *buf, size_t cap)
{
	return safe_n(s, s ? strlen(s) : 0, max, buf, cap, false);
}

static void print_header(FILE *out, const struct phi_report *r)
{
	const struct phi_python *py = r->python;
	char b[SAFE_BUF(NAME_CHARS)];

	fprintf(out, "pyheapinspect: process %d, CPython %d.%d.%d\n",
		(int)r->pid, py->version.major, py->version.minor,
		py->version.micro);
	fprintf(out, "  interpreter object  %s\n",
		safe(py->object_path, NAME_CHARS, b, sizeof(b)));
	if (py->layout_source == PHI_LAYOUT_DWARF)
		fprintf(out, "  layouts             DWARF\n");
	else
		fprintf(out, "  layouts             built-in %s table\n",
			phi_python_version_name(py));
	if (r->capture->status_unknown)
		fprintf(out, "  pause               unknown: a format 1 snapshot "
			"does not record it, %.1f MiB copied\n",
			copied_mib(r));
	else if (r->capture->frozen)
		fprintf(out, "  paused              %.2f ms (%zu threads, %.1f "
			"MiB copied)\n", r->capture->pause_ms,
			r->capture->threads,
			copied_mib(r));
	else
		fprintf(out, "  not paused          --no-freeze, %.1f MiB "
			"copied while running\n",
			copied_mib(r));
	if (r->capture->status_unknown)
		fprintf(out, "  WARNING             whether the target was "
			"stopped for the whole copy is unknown: figures may be "
			"torn (see the inconsistencies below)\n");
	else if (!r->capture->consistent)
		fprintf(out, "  WARNING             part of the memory was read "
			"while the target ran: figures may be torn (see the "
			"inconsistencies below)\n");
	phi_interps_header(out, r);
	phi_footprint_text(out, r);
}

static void print_gaps(FILE *out, const struct phi_gaps *g)
{
	char b1[SAFE_BUF(NAME_CHARS)], b2[SAFE_BUF(NAME_CHARS)];

	/* A gap may name a file or a mapping of the target. */
	for (size_t i = 0; i < g->n; i++)
		fprintf(out, "  INCOMPLETE          %s: %s\n",
			safe(g->v[i].what, NAME_CHARS, b1, sizeof(b1)),
			safe(g->v[i].why, NAME_CHARS, b2, sizeof(b2)));
	if (g->dropped)
		fprintf(out, "  INCOMPLETE          and %zu more gaps\n",
			g->dropped);
}

/* Every gap of the run, right under the header: the first thing a
 * reader must know about the figures below; then the notes. */
static void print_all_gaps(FILE *out, const struct phi_report *r)
{
	const struct phi_gaps *notes = &r->python->notes;

	char b1[SAFE_BUF(NAME_CHARS)], b2[SAFE_BUF(NAME_CHARS)];

	for (size_t i = 0; i < notes->n; i++)
		fprintf(out, "  NOTE                %s: %s\n",
			safe(notes->v[i].what, NAME_CHARS, b1, sizeof(b1)),
			safe(notes->v[i].why, NAME_CHARS, b2, sizeof(b2)));
	print_gaps(out, &r->capture->gaps);
	print_gaps(out, &r->python->gaps);
	if (r->heap)
		print_gaps(out, &r->heap->gaps);
}

static void print_small_ints(FILE *out, const struct phi_small_ints *s,
			     bool list)
{
	fprintf(out, "\nsmall-int cache (%d..%d): %zu entries, %d wrong\n",
		s->first, s->last, s->n, s->mismatches);
	if (!list && s->mismatches == 0)
		return;
	fprintf(out, "  %6s  %-18s  %10s  %s\n", "value", "address",
		"refcount", "check");
	for (size_t i = 0; i < s->n; i++) {
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

static void print_heap(FILE *out, const struct phi_heap *h, size_t top,
		       const uint64_t *alloc)
{
	const struct phi_heap_stats *s = &h->stats;
	uint32_t *order;
	size_t n;
	char b1[32], b2[32], name[SAFE_BUF(NAME_CHARS)];

	fprintf(out, "\nheap: %" PRIu64 " objects, %s (sys.getsizeof), %"
		PRIu64 " tracked by the GC\n", s->objects,
		phi_size_text(s->total_size, b1, sizeof(b1)), s->gc_tracked);
	if (s->opaque)
		fprintf(out, "  %" PRIu64 " objects of unknown C layout "
			"(opaque), %s\n", s->opaque,
			phi_size_text(s->opaque_size, b1, sizeof(b1)));
	if (s->bad_refs || s->bad_fields)
		fprintf(out, "  %" PRIu64 " references to non-objects, %"
			PRIu64 " unreadable fields (torn or corrupt data)\n",
			s->bad_refs, s->bad_fields);
	if (phi_histogram(&h->types, &order, &n) < 0)
		return;
	fprintf(out, "\n  %12s  %10s  %6s  ", "size", "count", "share");
	if (alloc)
		fprintf(out, "%12s  ", "allocated");
	fprintf(out, "type\n");
	for (size_t k = 0; k < n && k < top; k++) {
		const struct phi_type *t = &h->types.v[order[k]];

		fprintf(out, "  %12s  %10" PRIu64 "  %5.1f%%  ",
			phi_size_text(t->size, b2, sizeof(b2)), t->count,
			s->total_size ? 100.0 * (double)t->size /
						(double)s->total_size : 0.0);
		if (alloc)
			fprintf(out, "%12s  ", phi_size_text(alloc[order[k]], b1,
						     sizeof(b1)));
		fprintf(out, "%s\n", safe(t->name, NAME_CHARS, name,
					  sizeof(name)));
	}
	if (n > top)
		fprintf(out, "  ... %zu more types (--top N)\n", n - top);
	free(order);
}

/* "dict 0x7f.. 1.2 KiB 'preview'" for one object. */
static void describe(FILE *out, const struct phi_report *r, uint32_t node)
{
	const struct phi_graph *g = &r->heap->g;
	const struct phi_type *t = &r->heap->types.v[g->type[node]];
	char v[PHI_PREVIEW_BUF], b[32], name[SAFE_BUF(NAME_CHARS)];
	char sv[SAFE_BUF(VALUE_CHARS)], tag[48];
	size_t vlen;
	bool cut;

	/* With subinterpreters, whose the object is. */
	fprintf(out, "%s at 0x%" PRIx64 " (%s)%s",
		safe(t->name, NAME_CHARS, name, sizeof(name)), g->addr[node],
		phi_size_text(phi_graph_size(g, node), b, sizeof(b)),
		phi_text_interp_tag(r, node, tag, sizeof(tag)));
	/* vlen, not the C string: a str may hold U+0000. */
	if (phi_heap_preview(r->heap, node, v, sizeof(v), &vlen, &cut))
		fprintf(out, " %s", safe_n(v, vlen, VALUE_CHARS, sv,
					   sizeof(sv), cut));
}

static void print_named(FILE *out, const struct phi_report *r)
{
	const struct phi_analysis *a = r->analysis;
	char b1[32], b2[32], b3[32], sp[SAFE_BUF(PATH_CHARS)];
	char pb[SAFE_BUF(PHI_PATH_MAX)];

	for (size_t i = 0; i < a->nnamed; i++) {
		const struct phi_named *n = &a->named[i];

		fprintf(out, "\n%s: ",
			safe(n->spec, PATH_CHARS, sp, sizeof(sp)));
		describe(out, r, n->node);
		fprintf(out, "\n  deep size     %s in %" PRIu64 " objects (%"
			PRIu64 " references, %" PRIu64 " shared, %s saved by "
			"sharing)\n", phi_size_text(n->deep.size, b1, sizeof(b1)),
			n->deep.objects, n->deep.references,
			n->deep.shared_refs,
			phi_size_text(n->deep.sharing_saved, b2, sizeof(b2)));
		fprintf(out, "  shared with   %" PRIu64 " objects also "
			"referenced from outside it (%s)\n",
			n->deep.outside_objects,
			phi_size_text(n->deep.outside_size, b3, sizeof(b3)));
		fprintf(out, "  retains       %s\n",
			phi_size_text(n->retained, b1, sizeof(b1)));
		fprintf(out, "  alive through %s\n",
			n->path[0] ?
				safe(n->path, PHI_PATH_MAX, pb, sizeof(pb)) :
				"(no path from a root)");
		phi_sites_named_text(out, r, i);
	}
}

static void print_retained(FILE *out, const struct phi_report *r)
{
	const struct phi_retained *rt = &r->analysis->retained;
	char b[32], path[PHI_PATH_MAX], sp[SAFE_BUF(PATH_CHARS)];

	fprintf(out, "\nretained size (what each object keeps alive); the "
		"leak suspects below are marked:\n");
	for (size_t i = 0; i < rt->ntop; i++) {
		uint32_t v = rt->top[i];

		fprintf(out, "  %10s %s ", phi_size_text(rt->dom.retained[v], b,
						 sizeof(b)),
			phi_suspects_has(&r->analysis->suspects, v) ?
				"SUSPECT" : "       ");
		describe(out, r, v);
		phi_path_text(&r->analysis->paths, r->heap, v, path,
			      sizeof(path));
		fprintf(out, "\n%21s%s\n", "",
			safe(path, PATH_CHARS, sp, sizeof(sp)));
	}
}

static void print_sharing(FILE *out, const struct phi_report *r)
{
	const struct phi_sharing *s = &r->analysis->sharing;
	char b[32];

	fprintf(out, "\nshared objects: %" PRIu64 " with more than one "
		"referrer, %s\n", s->objects, phi_size_text(s->size, b, sizeof(b)));
	for (size_t i = 0; i < s->ntop; i++) {
		fprintf(out, "  %8u referrers  ", s->top[i].referrers);
		describe(out, r, s->top[i].node);
		fputc('\n', out);
	}
}

static void print_dups(FILE *out, const struct phi_report *r)
{
	const struct phi_dups *d = &r->analysis->dups;
	char b1[32], b2[32], ty[SAFE_BUF(NAME_CHARS)];
	char v[SAFE_BUF(VALUE_CHARS)];

	fprintf(out, "\nduplicate values: %s wasted in %" PRIu64 " groups\n",
		phi_size_text(d->total_wasted, b1, sizeof(b1)), d->total_groups);
	for (size_t i = 0; i < d->ngroups; i++) {
		const struct phi_dup_group *x = &d->groups[i];

		fprintf(out, "  %10s wasted  %6" PRIu64 " x %-8s %-10s %s\n",
			phi_size_text(x->wasted, b1, sizeof(b1)), x->count,
			phi_size_text(x->size, b2, sizeof(b2)),
			safe(x->type, NAME_CHARS, ty, sizeof(ty)),
			safe(x->preview, VALUE_CHARS, v, sizeof(v)));
	}
}

static void print_audit(FILE *out, const struct phi_report *r)
{
	const struct phi_audit *a = &r->analysis->audit;
	char b[32];

	fprintf(out, "\nrefcount audit: %" PRIu64 " objects held from outside "
		"the heap (%s); %" PRIu64 " with fewer counted references "
		"than found%s\n", a->external,
		phi_size_text(a->external_size, b, sizeof(b)), a->low,
		a->low ? " (torn read?)" : "");
	for (size_t i = 0; i < a->nlow_top; i++) {
		fprintf(out, "  refcount %" PRId64 " < %u found: ",
			phi_graph_refcnt(&r->heap->g, a->low_top[i].node),
			a->low_top[i].found);
		describe(out, r, a->low_top[i].node);
		fputc('\n', out);
	}
}

int phi_report_text(FILE *out, const struct phi_report *r,
		    struct phi_error *err)
{
	print_header(out, r);
	print_all_gaps(out, r);
	phi_report_memory_text(out, r);
	if (r->heap)
		print_heap(out, r->heap, r->top,
			   r->memory ? r->memory->type_allocated : NULL);
	phi_opaque_text(out, r);
	if (r->analysis) {
		print_named(out, r);
		phi_interps_text(out, r);
		print_retained(out, r);
		phi_suspects_text(out, r);
		print_sharing(out, r);
		print_dups(out, r);
		print_audit(out, r);
		phi_fill_text(out, r);
		if (r->growth)
			phi_growth_text(out, r->growth, r->top);
	}
	phi_sites_text(out, r);
	if (r->small_ints)
		print_small_ints(out, r->small_ints, r->list_small_ints);
	if (fflush(out) != 0 || ferror(out))
		return phi_error_set(err, PHI_E_IO, "cannot write the report");
	return 0;
}
