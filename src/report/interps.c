/* Subinterpreters in the reports (interps.h).  An interpreter is named
 * by its id, as CPython numbers them (interp->id: 0 is the main one);
 * the paths of a subinterpreter's objects start with "interp#N/". */
#include <inttypes.h>
#include <stdio.h>

#include "pyheapinspect/report/interps.h"
#include "pyheapinspect/report/jsonout.h"
#include "pyheapinspect/report/textout.h"

/* Interpreters listed in the header line at most. */
#define HEADER_INTERPS 8

void phi_json_interpreter_of(yajl_gen g, const struct phi_paths *p,
			     const struct phi_runtime *rt, uint32_t node)
{
	uint32_t k = p ? phi_path_interp(p, node) : PHI_HEAP_NO_INTERP;

	phi_json_key(g, "interpreter");
	if (rt && k < rt->ninterps)
		yajl_gen_integer(g, (long long)rt->interps[k].id);
	else
		yajl_gen_null(g);
}

void phi_json_interpreter(yajl_gen g, const struct phi_report *r,
			  uint32_t node)
{
	phi_json_interpreter_of(g, &r->analysis->paths, r->heap->rt, node);
}

const char *phi_text_interp_tag(const struct phi_report *r, uint32_t node,
				char *buf, size_t len)
{
	const struct phi_runtime *rt = r->heap->rt;
	uint32_t k;

	buf[0] = '\0';
	if (!rt || rt->ninterps < 2 || !r->analysis)
		return buf;
	k = phi_path_interp(&r->analysis->paths, node);
	if (k < rt->ninterps && phi_runtime_is_main(rt, k))
		snprintf(buf, len, " [main]");
	else if (k < rt->ninterps)
		snprintf(buf, len, " [" PHI_HEAP_INTERP_PREFIX "%lld]",
			 (long long)rt->interps[k].id);
	else if (r->analysis->paths.parent[node] != PHI_NONE)
		snprintf(buf, len, " [process-wide]");
	return buf;
}

static void uint_field(yajl_gen g, const char *key, uint64_t v)
{
	phi_json_key(g, key);
	yajl_gen_integer(g, (long long)v);
}

void phi_interps_json(yajl_gen g, const struct phi_report *r)
{
	const struct phi_interps *x = &r->analysis->interps;

	phi_json_key(g, "by_interpreter");
	yajl_gen_map_open(g);
	phi_json_key(g, "interpreters");
	yajl_gen_array_open(g);
	for (size_t k = 0; k < x->n; k++) {
		const struct phi_interp_figures *f = &x->v[k];

		yajl_gen_map_open(g);
		phi_json_key(g, "interpreter");
		yajl_gen_integer(g, (long long)f->id);
		phi_json_key(g, "main");
		yajl_gen_bool(g, f->main);
		phi_json_key(g, "address");
		phi_json_address(g, f->addr);
		uint_field(g, "roots", f->roots);
		uint_field(g, "objects", f->objects);
		uint_field(g, "size", f->size);
		uint_field(g, "only_objects", f->only_objects);
		uint_field(g, "only_size", f->only_size);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	uint_field(g, "process_wide_objects", x->process_objects);
	uint_field(g, "process_wide_size", x->process_size);
	uint_field(g, "shared_objects", x->shared_objects);
	uint_field(g, "shared_size", x->shared_size);
	yajl_gen_map_close(g);
}

void phi_interps_header(FILE *out, const struct phi_report *r)
{
	const struct phi_runtime *rt = r->runtime;
	uint32_t order[PHI_MAX_INTERPS];

	phi_runtime_order(rt, order);
	fprintf(out, "  interpreters        %zu:", rt->ninterps);
	for (size_t k = 0; k < rt->ninterps && k < HEADER_INTERPS; k++)
		fprintf(out, "%s %lld%s at 0x%" PRIx64, k ? "," : "",
			(long long)rt->interps[order[k]].id,
			phi_runtime_is_main(rt, order[k]) ? " (main)" : "",
			rt->interps[order[k]].addr);
	if (rt->ninterps > HEADER_INTERPS)
		fprintf(out, ", %zu more", rt->ninterps - HEADER_INTERPS);
	fputc('\n', out);
	if (rt->ninterps > 1)
		fprintf(out, "                      a subinterpreter's paths "
			"start with " PHI_HEAP_INTERP_PREFIX "N/ (N its id), "
			"the main one's with nothing\n");
}

void phi_interps_text(FILE *out, const struct phi_report *r)
{
	const struct phi_interps *x = &r->analysis->interps;
	char b1[32], b2[32], name[48];

	if (x->n < 2)
		return;
	fprintf(out, "\nheap by interpreter: the objects whose path starts "
		"at each one's roots, and those no other interpreter's roots "
		"reach (in 3.10 a subinterpreter may reach much of the main "
		"one's heap through the functions of single-phase extension "
		"modules, which all interpreters share):\n");
	fprintf(out, "  %-18s  %10s  %10s  %12s  %10s\n", "interpreter",
		"objects", "size", "only objects", "only size");
	for (size_t k = 0; k < x->n; k++) {
		const struct phi_interp_figures *f = &x->v[k];

		snprintf(name, sizeof(name), "%lld%s", (long long)f->id,
			 f->main ? " (main)" : "");
		fprintf(out, "  %-18s  %10" PRIu64 "  %10s  %12" PRIu64
			"  %10s\n", name, f->objects,
			phi_size_text(f->size, b1, sizeof(b1)),
			f->only_objects,
			phi_size_text(f->only_size, b2, sizeof(b2)));
	}
	fprintf(out, "  %-18s  %10" PRIu64 "  %10s  (interned strings, "
		"static singletons, held from outside the heap)\n",
		"process-wide", x->process_objects,
		phi_size_text(x->process_size, b1, sizeof(b1)));
	fprintf(out, "  reached from more than one interpreter's roots: %"
		PRIu64 " objects, %s (static types and what they hold, "
		"objects passed between interpreters)\n", x->shared_objects,
		phi_size_text(x->shared_size, b1, sizeof(b1)));
}
