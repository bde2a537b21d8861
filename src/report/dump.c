/* JSON Lines dump.  One generator, reset after each object, writes
 * straight to the stream: memory stays flat whatever the heap size. */
#include <string.h>
#include <yajl/yajl_gen.h>

#include "pyheapinspect/base/progress.h"
#include "pyheapinspect/report/dump.h"
#include "pyheapinspect/report/jsonout.h"

/* Strong references (counted or not) or weak ones. */
static void refs(yajl_gen g, const struct phi_graph *gr, uint32_t i,
		 bool weak)
{
	for (uint64_t e = gr->edge_start[i]; e < gr->edge_start[i + 1]; e++)
		if (((gr->edges[e] & PHI_EDGE_WEAK) != 0) == weak)
			phi_json_address(g, gr->addr[PHI_EDGE_NODE(gr->edges[e])]);
}

static bool has_weak(const struct phi_graph *gr, uint32_t i)
{
	for (uint64_t e = gr->edge_start[i]; e < gr->edge_start[i + 1]; e++)
		if (gr->edges[e] & PHI_EDGE_WEAK)
			return true;
	return false;
}

static void object_line(yajl_gen g, const struct phi_heap *h, uint32_t i,
			const uint64_t *allocated)
{
	const struct phi_graph *gr = &h->g;
	const struct phi_type *ty = &h->types.v[gr->type[i]];
	char value[PHI_PREVIEW_BUF];
	size_t vlen = 0;
	bool cut = false;

	yajl_gen_map_open(g);
	phi_json_key(g, "address");
	phi_json_address(g, gr->addr[i]);
	phi_json_key(g, "type");
	phi_json_string(g, ty->name);
	phi_json_key(g, "size");
	yajl_gen_integer(g, (long long)phi_graph_size(gr, i));
	if (allocated) {
		phi_json_key(g, "allocated");
		yajl_gen_integer(g, (long long)allocated[i]);
	}
	phi_json_key(g, "refcount");
	yajl_gen_integer(g, phi_graph_refcnt(gr, i));
	phi_json_key(g, "gc_tracked");
	yajl_gen_bool(g, gr->flags[i] & PHI_NODE_TRACKED);
	phi_json_key(g, "refs");
	yajl_gen_array_open(g);
	refs(g, gr, i, false);
	yajl_gen_array_close(g);
	if (has_weak(gr, i)) {
		phi_json_key(g, "weak_refs");
		yajl_gen_array_open(g);
		refs(g, gr, i, true);
		yajl_gen_array_close(g);
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
	yajl_gen_map_close(g);
}

int phi_dump_jsonl(FILE *out, const struct phi_heap *h,
		   struct phi_error *err)
{
	return phi_dump_jsonl_allocated(out, h, NULL, err);
}

int phi_dump_jsonl_allocated(FILE *out, const struct phi_heap *h,
			     const uint64_t *allocated, struct phi_error *err)
{
	yajl_gen g = phi_json_open(out, false);

	if (!g)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	for (uint32_t i = 0; i < h->g.n; i++) {
		object_line(g, h, i, allocated);
		/* Ends the line and starts a new top-level value. */
		yajl_gen_reset(g, "\n");
		if (ferror(out))
			break;
		if (((i + 1) & 0xffff) == 0)
			phi_progress_update(i + 1, h->g.n);
	}
	yajl_gen_free(g);
	if (fflush(out) != 0 || ferror(out))
		return phi_error_set(err, PHI_E_IO,
				     "cannot write the dump: %s",
				     "disk full or closed pipe?");
	return 0;
}
