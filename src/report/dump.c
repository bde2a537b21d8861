/* JSON Lines dump.  One generator, reset after each object, writes
 * straight to the stream: memory stays flat whatever the heap size
 * (the table of allocation tracebacks is written as it goes, each once,
 * on the first line that uses it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "pyheapinspect/base/progress.h"
#include "pyheapinspect/report/dump.h"
#include "pyheapinspect/report/interps.h"
#include "pyheapinspect/report/jsonout.h"

/* Strong references (counted or not) or weak ones, among edges
 * [from, to) of node i. */
static void refs(yajl_gen g, const struct phi_graph *gr, uint64_t from,
		 uint64_t to, bool weak)
{
	for (uint64_t e = from; e < to; e++)
		if (((gr->edges[e] & PHI_EDGE_WEAK) != 0) == weak)
			phi_json_address(g, gr->addr[PHI_EDGE_NODE(gr->edges[e])]);
}

/* Where node i's conservative edges start (the end of its edges when it
 * has none); *c is a cursor into h->cons, which is sorted by node. */
static uint64_t conservative_from(const struct phi_heap *h, uint32_t i,
				  size_t *c)
{
	uint64_t end = h->g.edge_start[i + 1];

	while (*c < h->ncons && h->cons[*c].node < i)
		(*c)++;
	if (*c < h->ncons && h->cons[*c].node == i &&
	    h->g.edge_start[i] + h->cons[*c].first <= end)
		return h->g.edge_start[i] + h->cons[*c].first;
	return end;
}

static const char *decoder_name(enum phi_type_decoder d)
{
	switch (d) {
	case PHI_DECODER_BUILTIN: return "builtin";
	case PHI_DECODER_DWARF: return "dwarf";
	case PHI_DECODER_SCAN: return "scan";
	default: return NULL;
	}
}

static bool has_weak(const struct phi_graph *gr, uint32_t i)
{
	for (uint64_t e = gr->edge_start[i]; e < gr->edge_start[i + 1]; e++)
		if (gr->edges[e] & PHI_EDGE_WEAK)
			return true;
	return false;
}

/* ---- allocation tracebacks (tracemalloc), written once each --------- */

/* Tracebacks get ids in the order the dump first uses them; the line
 * that uses one first defines it in its "tracebacks" member. */
struct tb_table {
	const struct phi_traces *t;
	uint32_t *id;          /* per t->tb: its id, PHI_NONE if unwritten */
	uint32_t next;
	uint32_t fresh[64];    /* ids (as t->tb indices) new on this line */
	size_t nfresh;
};

static uint32_t tb_id(struct tb_table *tt, uint32_t trace)
{
	uint32_t tb = tt->t->v[trace].traceback;

	if (tt->id[tb] == PHI_NONE) {
		if (tt->nfresh == sizeof(tt->fresh) / sizeof(*tt->fresh))
			return PHI_NONE; /* defined on a later line */
		tt->id[tb] = tt->next++;
		tt->fresh[tt->nfresh++] = tb;
	}
	return tt->id[tb];
}

static void frames(yajl_gen g, const struct phi_traces *t, uint32_t tb)
{
	const struct phi_traceback *b = &t->tb[tb];

	yajl_gen_array_open(g);
	for (unsigned k = 0; k < b->nframe; k++) {
		const struct phi_trace_frame *f = &t->frames[b->frame + k];

		yajl_gen_map_open(g);
		phi_json_key(g, "filename");
		phi_json_text(g, (const unsigned char *)t->files[f->file].text,
			      t->files[f->file].len);
		phi_json_key(g, "lineno");
		yajl_gen_integer(g, f->lineno);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

/* traceback_id, trace_size, blocks, and the tracebacks new here.  Past
 * 64 new ones on a line (an object owning that many blocks), a block's
 * id is left out rather than written undefined. */
static void trace_fields(yajl_gen g, struct tb_table *tt, uint32_t i,
			 size_t *b)
{
	const struct phi_traces *t = tt->t;
	uint32_t own = t->node_trace[i], id;
	char key[16];

	tt->nfresh = 0;
	phi_json_key(g, "traceback_id");
	id = own != PHI_NONE ? tb_id(tt, own) : PHI_NONE;
	if (id == PHI_NONE)
		yajl_gen_null(g);
	else
		yajl_gen_integer(g, id);
	if (own != PHI_NONE) {
		phi_json_key(g, "trace_size");
		yajl_gen_integer(g, (long long)t->v[own].size);
	}
	while (*b < t->nblocks && t->blocks[*b].node < i)
		(*b)++;
	if (*b < t->nblocks && t->blocks[*b].node == i) {
		phi_json_key(g, "blocks");
		yajl_gen_array_open(g);
		for (; *b < t->nblocks && t->blocks[*b].node == i; (*b)++) {
			uint32_t tr = t->blocks[*b].trace;

			yajl_gen_map_open(g);
			phi_json_key(g, "size");
			yajl_gen_integer(g, (long long)t->v[tr].size);
			id = tb_id(tt, tr);
			if (id != PHI_NONE) {
				phi_json_key(g, "traceback_id");
				yajl_gen_integer(g, id);
			}
			yajl_gen_map_close(g);
		}
		yajl_gen_array_close(g);
	}
	if (!tt->nfresh)
		return;
	phi_json_key(g, "tracebacks");
	yajl_gen_map_open(g);
	for (size_t k = 0; k < tt->nfresh; k++) {
		snprintf(key, sizeof(key), "%u", tt->id[tt->fresh[k]]);
		phi_json_key(g, key);
		frames(g, t, tt->fresh[k]);
	}
	yajl_gen_map_close(g);
}

static void object_line(yajl_gen g, const struct phi_heap *h, uint32_t i,
			const struct phi_node_sizes *allocated,
			const struct phi_paths *p, struct tb_table *tt,
			size_t *b, size_t *c)
{
	const struct phi_graph *gr = &h->g;
	const struct phi_type *ty = &h->types.v[gr->type[i]];
	char value[PHI_PREVIEW_BUF];
	size_t vlen = 0;
	bool cut = false;
	uint64_t from = gr->edge_start[i], to = gr->edge_start[i + 1];
	uint64_t cons = conservative_from(h, i, c);
	const char *dec = decoder_name(ty->decoder);

	yajl_gen_map_open(g);
	phi_json_key(g, "address");
	phi_json_address(g, gr->addr[i]);
	phi_json_key(g, "type");
	phi_json_string(g, ty->name);
	phi_json_key(g, "size");
	yajl_gen_integer(g, (long long)phi_graph_size(gr, i));
	if (allocated) {
		phi_json_key(g, "allocated");
		yajl_gen_integer(g,
				 (long long)phi_node_size(allocated, i));
	}
	phi_json_key(g, "refcount");
	yajl_gen_integer(g, phi_graph_refcnt(gr, i));
	phi_json_key(g, "gc_tracked");
	yajl_gen_bool(g, gr->flags[i] & PHI_NODE_TRACKED);
	if (gr->flags[i] & PHI_NODE_INEXACT) {
		phi_json_key(g, "size_exact");
		yajl_gen_bool(g, 0);
	}
	phi_json_key(g, "refs");
	yajl_gen_array_open(g);
	refs(g, gr, from, cons, false);
	yajl_gen_array_close(g);
	if (has_weak(gr, i)) {
		phi_json_key(g, "weak_refs");
		yajl_gen_array_open(g);
		refs(g, gr, from, cons, true);
		yajl_gen_array_close(g);
	}
	if (cons < to) {
		phi_json_key(g, "conservative_refs");
		yajl_gen_array_open(g);
		refs(g, gr, cons, to, false);
		yajl_gen_array_close(g);
	}
	if (dec) {
		phi_json_key(g, "decoder");
		phi_json_string(g, dec);
	}
	if (gr->flags[i] & PHI_NODE_OPAQUE) {
		phi_json_key(g, "opaque");
		yajl_gen_bool(g, 1);
	}
	if (phi_heap_preview(h, i, value, sizeof(value), &vlen, &cut)) {
		phi_json_key(g, "value");
		phi_json_text(g, (const unsigned char *)value, vlen);
		if (cut) {
			phi_json_key(g, "value_truncated");
			yajl_gen_bool(g, 1);
		}
	}
	if (p)
		phi_json_interpreter_of(g, p, h->rt, i);
	if (tt->t)
		trace_fields(g, tt, i, b);
	yajl_gen_map_close(g);
}

int phi_dump_jsonl(FILE *out, const struct phi_heap *h,
		   struct phi_error *err)
{
	return phi_dump_jsonl_full(out, h, NULL, NULL, NULL, err);
}

int phi_dump_jsonl_allocated(FILE *out, const struct phi_heap *h,
			     const struct phi_node_sizes *allocated,
			     struct phi_error *err)
{
	return phi_dump_jsonl_full(out, h, allocated, NULL, NULL, err);
}

int phi_dump_jsonl_full(FILE *out, const struct phi_heap *h,
			const struct phi_node_sizes *allocated,
			const struct phi_traces *t,
			const struct phi_paths *p, struct phi_error *err)
{
	yajl_gen g = phi_json_open(out, false);
	struct tb_table tt = { .t = t };
	size_t b = 0, c = 0;

	if (t && (t->state != PHI_TRACES_READ || t->summary ||
		  t->nnodes != h->g.n))
		tt.t = NULL;
	if (tt.t) {
		tt.id = malloc((t->ntb + 1) * sizeof(*tt.id));
		for (size_t k = 0; tt.id && k < t->ntb; k++)
			tt.id[k] = PHI_NONE;
	}
	if (!g || (tt.t && !tt.id)) {
		if (g)
			yajl_gen_free(g);
		free(tt.id);
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	}
	for (uint32_t i = 0; i < h->g.n; i++) {
		object_line(g, h, i, allocated, p, &tt, &b, &c);
		/* Ends the line and starts a new top-level value. */
		yajl_gen_reset(g, "\n");
		if (ferror(out))
			break;
		if (((i + 1) & 0xffff) == 0)
			phi_progress_update(i + 1, h->g.n);
	}
	yajl_gen_free(g);
	free(tt.id);
	if (fflush(out) != 0 || ferror(out))
		return phi_error_set(err, PHI_E_IO,
				     "cannot write the dump: %s",
				     "disk full or closed pipe?");
	return 0;
}
