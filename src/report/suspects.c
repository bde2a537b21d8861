/* The leak suspects in the reports (suspects.h). */
#include <inttypes.h>
#include <stdio.h>

#include "pyheapinspect/report/interps.h"
#include "pyheapinspect/report/jsonout.h"
#include "pyheapinspect/report/suspects.h"
#include "pyheapinspect/report/textout.h"

static void uint_field(yajl_gen g, const char *key, uint64_t v)
{
	phi_json_key(g, key);
	yajl_gen_integer(g, (long long)v);
}

static void share_field(yajl_gen g, const char *key, double v)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%.6f", v);

	phi_json_key(g, key);
	yajl_gen_number(g, buf, (size_t)n);
}

static double share_of(uint64_t part, uint64_t whole)
{
	return whole ? (double)part / (double)whole : 0.0;
}

static const char *type_name(const struct phi_report *r, uint32_t node)
{
	return phi_heap_type(r->heap, node)->name;
}

/* ---- suspects: JSON */

static void node_json(yajl_gen g, const struct phi_report *r, uint32_t v)
{
	char path[PHI_PATH_MAX];

	phi_json_key(g, "address");
	phi_json_address(g, r->heap->g.addr[v]);
	phi_json_key(g, "type");
	phi_json_string(g, type_name(r, v));
	uint_field(g, "size", phi_graph_size(&r->heap->g, v));
	uint_field(g, "retained_size", r->analysis->retained.dom.retained[v]);
	phi_path_text(&r->analysis->paths, r->heap, v, path, sizeof(path));
	phi_json_key(g, "path");
	phi_json_string(g, path);
	phi_json_interpreter(g, r, v);
}

void phi_suspect_reason(const struct phi_suspect *x, uint64_t reachable,
			char *buf, size_t len)
{
	if (!x->kids)
		snprintf(buf, len, "retains %.1f%% of the reachable heap and "
			 "has no children in the dominator tree",
			 100 * share_of(x->retained, reachable));
	else
		snprintf(buf, len, "retains %.1f%% of the reachable heap; "
			 "none of its %" PRIu64 " children holds %.0f%% of "
			 "it (the largest %.1f%%)",
			 100 * share_of(x->retained, reachable), x->kids,
			 100 * PHI_SUSPECT_DESCEND,
			 100 * share_of(x->largest_kid, x->retained));
}

/* The most numerous type of the children (then the one retaining the
 * most), for the HTML view's "items". */
static const struct phi_suspect_kids *most_common(const struct phi_suspect *x)
{
	const struct phi_suspect_kids *best = NULL;

	for (size_t i = 0; i < x->nkid_types; i++)
		if (!best || x->kid_types[i].count > best->count)
			best = &x->kid_types[i];
	return best;
}

static void children_json(yajl_gen g, const struct phi_report *r,
			  const struct phi_suspect *x)
{
	const struct phi_suspect_kids *c = most_common(x);

	phi_json_key(g, "children");
	yajl_gen_map_open(g);
	uint_field(g, "count", x->kids);
	uint_field(g, "retained_size", x->kids_retained);
	uint_field(g, "largest_retained_size", x->largest_kid);
	phi_json_key(g, "types");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < x->nkid_types; i++) {
		yajl_gen_map_open(g);
		phi_json_key(g, "type");
		phi_json_string(g, r->heap->types.v[x->kid_types[i].type].name);
		uint_field(g, "count", x->kid_types[i].count);
		uint_field(g, "retained_size", x->kid_types[i].retained);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	uint_field(g, "other_count", x->other_kids);
	uint_field(g, "other_retained_size", x->other_retained);
	yajl_gen_map_close(g);
	if (!c)
		return;
	phi_json_key(g, "items");
	yajl_gen_map_open(g);
	uint_field(g, "count", x->kids);
	phi_json_key(g, "type");
	phi_json_string(g, r->heap->types.v[c->type].name);
	uint_field(g, "mean", x->kids_retained / x->kids);
	yajl_gen_map_close(g);
}

static void suspect_json(yajl_gen g, const struct phi_report *r,
			 const struct phi_suspect *x)
{
	uint64_t reachable = r->analysis->retained.dom.reachable_size;
	char why[256];

	yajl_gen_map_open(g);
	node_json(g, r, x->node);
	share_field(g, "share", share_of(x->retained, reachable));
	phi_suspect_reason(x, reachable, why, sizeof(why));
	phi_json_key(g, "reason");
	phi_json_string(g, why);
	phi_json_key(g, "from");
	yajl_gen_map_open(g);
	node_json(g, r, x->from);
	yajl_gen_map_close(g);
	children_json(g, r, x);
	if (x->has_fill) {
		uint_field(g, "length", x->fill.length);
		uint_field(g, "capacity", x->fill.capacity);
	}
	yajl_gen_map_close(g);
}

void phi_suspects_json(yajl_gen g, const struct phi_report *r)
{
	const struct phi_suspects *s = &r->analysis->suspects;
	uint64_t reachable = r->analysis->retained.dom.reachable_size;

	share_field(g, "suspect_descend", PHI_SUSPECT_DESCEND);
	uint_field(g, "suspect_walks", s->candidates);
	phi_json_key(g, "suspects");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < s->n; i++)
		suspect_json(g, r, &s->v[i]);
	yajl_gen_array_close(g);
	phi_json_key(g, "suspect_groups");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < s->ngroups; i++) {
		const struct phi_suspect_group *x = &s->groups[i];

		yajl_gen_map_open(g);
		phi_json_key(g, "type");
		phi_json_string(g, r->heap->types.v[x->type].name);
		uint_field(g, "instances", x->instances);
		uint_field(g, "retained_size", x->retained);
		share_field(g, "share", share_of(x->retained, reachable));
		phi_json_key(g, "largest");
		yajl_gen_map_open(g);
		node_json(g, r, x->largest);
		yajl_gen_map_close(g);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

/* ---- suspects: text */

static void children_text(FILE *out, const struct phi_report *r,
			  const struct phi_suspect *x)
{
	char b1[32], b2[32];

	fprintf(out, "%9s", "");
	if (x->has_fill) {
		phi_text_put(out, type_name(r, x->node), 120);
		fprintf(out, " of %" PRIu64 " items; ", x->fill.length);
	}
	if (!x->kids) {
		fprintf(out, "it keeps nothing else alive\n");
		return;
	}
	fprintf(out, "it alone keeps %" PRIu64 " objects (%s): ", x->kids,
		phi_size_text(x->kids_retained, b1, sizeof(b1)));
	for (size_t i = 0; i < x->nkid_types && i < 3; i++) {
		const struct phi_suspect_kids *k = &x->kid_types[i];

		fprintf(out, "%s%" PRIu64 " ", i ? ", " : "", k->count);
		phi_text_put(out, r->heap->types.v[k->type].name, 120);
		fprintf(out, " of about %s",
			phi_size_text(k->retained / k->count, b2, sizeof(b2)));
	}
	if (x->nkid_types > 3 || x->other_kids)
		fprintf(out, ", ...");
	fputc('\n', out);
}

void phi_suspects_text(FILE *out, const struct phi_report *r)
{
	const struct phi_suspects *s = &r->analysis->suspects;
	const struct phi_dominators *d = &r->analysis->retained.dom;
	char b[32], path[PHI_PATH_MAX];

	fprintf(out, "\nleak suspects: where the walk down the dominator tree "
		"from each object retaining over %.0f%% of the heap stops (no "
		"child holds %.0f%% of its parent)%s\n", 100 * s->share,
		100 * PHI_SUSPECT_DESCEND, s->n ? ":" : ": none");
	for (size_t i = 0; i < s->n; i++) {
		const struct phi_suspect *x = &s->v[i];

		fprintf(out, "  %2zu %10s %5.1f%%  ", i + 1,
			phi_size_text(x->retained, b, sizeof(b)),
			100 * share_of(x->retained, d->reachable_size));
		phi_text_put(out, type_name(r, x->node), 120);
		fprintf(out, " at 0x%" PRIx64 "\n", r->heap->g.addr[x->node]);
		phi_path_text(&r->analysis->paths, r->heap, x->node, path,
			      sizeof(path));
		fprintf(out, "%9s", "");
		phi_text_put(out, path[0] ? path : "(no path from a root)",
			     300);
		fputc('\n', out);
		children_text(out, r, x);
	}
	if (!s->ngroups)
		return;
	fprintf(out, "  classes whose instances together retain over %.0f%%:\n",
		100 * s->share);
	for (size_t i = 0; i < s->ngroups; i++) {
		const struct phi_suspect_group *x = &s->groups[i];

		fprintf(out, "     %10s %5.1f%%  %" PRIu64 " ",
			phi_size_text(x->retained, b, sizeof(b)),
			100 * share_of(x->retained, d->reachable_size),
			x->instances);
		phi_text_put(out, r->heap->types.v[x->type].name, 120);
		phi_path_text(&r->analysis->paths, r->heap, x->largest, path,
			      sizeof(path));
		fprintf(out, "\n%21sthe largest: ", "");
		phi_text_put(out, path, 300);
		fputc('\n', out);
	}
}

