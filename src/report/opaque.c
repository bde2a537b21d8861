/* The C types' section (opaque.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "pyheapinspect/report/opaque.h"
#include "pyheapinspect/report/jsonout.h"
#include "pyheapinspect/report/textout.h"

static void uint_field(yajl_gen g, const char *key, uint64_t v)
{
	phi_json_key(g, key);
	yajl_gen_integer(g, (long long)v);
}

static const struct phi_types *types_of(const struct phi_report *r)
{
	return &r->heap->types;
}

static int by_size(const void *a, const void *b, void *ctx)
{
	const struct phi_types *ts = ctx;
	const struct phi_type *x = &ts->v[*(const uint32_t *)a];
	const struct phi_type *y = &ts->v[*(const uint32_t *)b];

	if (x->size != y->size)
		return x->size < y->size ? 1 : -1;
	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

/* The types decoded by d that have objects, largest first; *n of them
 * (the caller frees).  NULL when there are none or no memory. */
static uint32_t *types_by(const struct phi_report *r,
			  enum phi_type_decoder d, size_t *n)
{
	const struct phi_types *ts = types_of(r);
	uint32_t *v = malloc((ts->n ? ts->n : 1) * sizeof(*v));

	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < ts->n; i++)
		if (ts->v[i].kind == PHI_K_OPAQUE && ts->v[i].decoder == d &&
		    ts->v[i].count)
			v[(*n)++] = (uint32_t)i;
	qsort_r(v, *n, sizeof(*v), by_size, (void *)ts);
	return v;
}

static void types_json(yajl_gen g, const struct phi_report *r,
		       enum phi_type_decoder d)
{
	size_t n;
	uint32_t *v = types_by(r, d, &n);

	phi_json_key(g, "types");
	yajl_gen_array_open(g);
	for (size_t i = 0; v && i < n; i++) {
		const struct phi_type *t = &types_of(r)->v[v[i]];

		yajl_gen_map_open(g);
		phi_json_key(g, "type");
		phi_json_string(g, t->name);
		uint_field(g, "count", t->count);
		uint_field(g, "size", t->size);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	free(v);
}

void phi_opaque_json(yajl_gen g, const struct phi_report *r)
{
	const struct phi_heap_stats *s;

	if (!r->heap)
		return;
	s = &r->heap->stats;
	phi_json_key(g, "c_types");
	yajl_gen_map_open(g);
	uint_field(g, "builtin_objects", s->builtin_objects);
	phi_json_key(g, "dwarf");
	yajl_gen_map_open(g);
	uint_field(g, "objects", s->dwarf_objects);
	types_json(g, r, PHI_DECODER_DWARF);
	yajl_gen_map_close(g);
	phi_json_key(g, "opaque");
	yajl_gen_map_open(g);
	uint_field(g, "objects", s->scanned_objects);
	uint_field(g, "size", s->opaque_size);
	uint_field(g, "conservative_refs", s->conservative_refs);
	types_json(g, r, PHI_DECODER_SCAN);
	yajl_gen_map_close(g);
	phi_json_key(g, "inexact_sizes");
	yajl_gen_map_open(g);
	uint_field(g, "objects", s->inexact_objects);
	uint_field(g, "size", s->inexact_size);
	yajl_gen_map_close(g);
	phi_json_key(g, "module_states");
	yajl_gen_map_open(g);
	uint_field(g, "modules", s->module_states);
	uint_field(g, "refs", s->module_state_refs);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}

static void types_text(FILE *out, const struct phi_report *r,
		       enum phi_type_decoder d, const char *what)
{
	size_t n;
	uint32_t *v = types_by(r, d, &n);
	char b[32];

	if (v && n)
		fprintf(out, "  %s:\n", what);
	for (size_t i = 0; v && i < n && i < r->top; i++) {
		const struct phi_type *t = &types_of(r)->v[v[i]];

		fprintf(out, "  %10s %8" PRIu64 "  ",
			phi_size_text(t->size, b, sizeof(b)), t->count);
		phi_text_put(out, t->name, 120);
		fputc('\n', out);
	}
	if (v && n > r->top)
		fprintf(out, "  ... and %zu more types\n", n - r->top);
	free(v);
}

void phi_opaque_text(FILE *out, const struct phi_report *r)
{
	const struct phi_heap_stats *s;
	char b1[32], b2[32];

	if (!r->heap)
		return;
	s = &r->heap->stats;
	if (!s->builtin_objects && !s->dwarf_objects && !s->scanned_objects &&
	    !s->inexact_objects && !s->module_state_refs)
		return;
	fprintf(out, "\nC types: %" PRIu64 " objects decoded by built-in "
		"decoders, %" PRIu64 " from DWARF (a struct's object members, "
		"which tp_traverse may not all visit), %" PRIu64 " opaque "
		"(%s) scanned: %" PRIu64 " conservative references\n",
		s->builtin_objects, s->dwarf_objects, s->scanned_objects,
		phi_size_text(s->opaque_size, b1, sizeof(b1)),
		s->conservative_refs);
	fprintf(out, "  %" PRIu64 " references from the state of %" PRIu64
		" C modules; %" PRIu64 " objects (%s) whose size is not "
		"sys.getsizeof's (a __sizeof__ the tool cannot compute)\n",
		s->module_state_refs, s->module_states, s->inexact_objects,
		phi_size_text(s->inexact_size, b2, sizeof(b2)));
	types_text(out, r, PHI_DECODER_SCAN, "opaque types (scanned)");
	types_text(out, r, PHI_DECODER_DWARF, "types decoded from DWARF");
}
