/* The collections' fill section (fill.h). */
#include <inttypes.h>
#include <stdio.h>

#include "pyheapinspect/report/fill.h"
#include "pyheapinspect/report/interps.h"
#include "pyheapinspect/report/jsonout.h"
#include "pyheapinspect/report/textout.h"

static void uint_field(yajl_gen g, const char *key, uint64_t v)
{
	phi_json_key(g, key);
	yajl_gen_integer(g, (long long)v);
}

static const char *type_name(const struct phi_report *r, uint32_t type)
{
	return r->heap->types.v[type].name;
}

void phi_fill_json(yajl_gen g, const struct phi_report *r)
{
	const struct phi_fill_report *f = &r->analysis->fill;
	char path[PHI_PATH_MAX];

	phi_json_key(g, "fill");
	yajl_gen_map_open(g);
	uint_field(g, "sparse_factor", PHI_FILL_SPARSE);
	uint_field(g, "collections", f->collections);
	uint_field(g, "slack", f->slack);
	uint_field(g, "sparse", f->sparse);
	uint_field(g, "wasted", f->wasted);
	uint_field(g, "unreadable", f->unreadable);
	phi_json_key(g, "types");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < f->ntypes; i++) {
		const struct phi_fill_type *t = &f->types[i];

		yajl_gen_map_open(g);
		phi_json_key(g, "type");
		phi_json_string(g, type_name(r, t->type));
		uint_field(g, "count", t->count);
		uint_field(g, "slack", t->slack);
		uint_field(g, "sparse", t->sparse);
		uint_field(g, "wasted", t->wasted);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	phi_json_key(g, "largest");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < f->ntop; i++) {
		const struct phi_fill_obj *o = &f->top[i];

		yajl_gen_map_open(g);
		phi_json_key(g, "address");
		phi_json_address(g, r->heap->g.addr[o->node]);
		phi_json_key(g, "type");
		phi_json_string(g, phi_heap_type(r->heap, o->node)->name);
		uint_field(g, "size", phi_graph_size(&r->heap->g, o->node));
		uint_field(g, "length", o->fill.length);
		uint_field(g, "capacity", o->fill.capacity);
		uint_field(g, "table", o->fill.table);
		uint_field(g, "copy_table", o->fill.copy_table);
		uint_field(g, "wasted", o->wasted);
		phi_path_text(&r->analysis->paths, r->heap, o->node, path,
			      sizeof(path));
		phi_json_key(g, "path");
		phi_json_string(g, path);
		phi_json_interpreter(g, r, o->node);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}

void phi_fill_text(FILE *out, const struct phi_report *r)
{
	const struct phi_fill_report *f = &r->analysis->fill;
	char b1[32], b2[32], path[PHI_PATH_MAX];

	fprintf(out, "\ncollection fill: %" PRIu64 " of %" PRIu64 " lists, "
		"dicts, sets and bytearrays are sparse (a table %d times a "
		"copy's or more), wasting %s; %s of room in all\n",
		f->sparse, f->collections, PHI_FILL_SPARSE,
		phi_size_text(f->wasted, b1, sizeof(b1)),
		phi_size_text(f->slack, b2, sizeof(b2)));
	for (size_t i = 0; i < f->ntypes && f->types[i].wasted; i++) {
		const struct phi_fill_type *t = &f->types[i];

		fprintf(out, "  %10s wasted by %8" PRIu64 " sparse of %8"
			PRIu64 "  ", phi_size_text(t->wasted, b1, sizeof(b1)),
			t->sparse, t->count);
		phi_text_put(out, type_name(r, t->type), 120);
		fputc('\n', out);
	}
	for (size_t i = 0; i < f->ntop; i++) {
		const struct phi_fill_obj *o = &f->top[i];

		fprintf(out, "  %10s  ", phi_size_text(o->wasted, b1, sizeof(b1)));
		phi_text_put(out, phi_heap_type(r->heap, o->node)->name, 120);
		fprintf(out, " of %" PRIu64 " items, room for %" PRIu64 ": ",
			o->fill.length, o->fill.capacity);
		phi_path_text(&r->analysis->paths, r->heap, o->node, path,
			      sizeof(path));
		phi_text_put(out, path[0] ? path : "(no path from a root)",
			     300);
		fputc('\n', out);
	}
}
