/* The footprint section (footprint.h). */
#include <inttypes.h>

#include "pyheapinspect/base/budget.h"
#include "pyheapinspect/report/footprint.h"
#include "pyheapinspect/report/jsonout.h"

static double mib(uint64_t b)
{
	return (double)b / (1 << 20);
}

void phi_footprint_text(FILE *out, const struct phi_report *r)
{
	const struct phi_capture *c = r->capture;
	uint64_t limit = phi_budget_limit();

	if (c->pages)
		fprintf(out, "  copied              %.1f MiB of %.1f MiB "
			"mapped (%s%s%s%s)\n", mib((c->img.bytes - c->img.zeros)),
			mib(c->mapped),
			c->pages[0] == 'r' ? "resident pages only" : c->pages,
			c->pages_why[0] ? ": " : "", c->pages_why,
			c->swapped ? ", some read back from swap" : "");
	if (c->freeze_note[0])
		fprintf(out, "  NOT FROZEN          %s\n", c->freeze_note);
	if (limit != PHI_BUDGET_NONE)
		fprintf(out, "  memory budget       %.1f MiB (%s); peak %.1f "
			"MiB resident\n", mib(limit),
			r->memory_from ? r->memory_from : "",
			mib(phi_budget_peak_rss()));
}

static void uint_field(yajl_gen g, const char *key, uint64_t v)
{
	phi_json_key(g, key);
	yajl_gen_integer(g, (long long)v);
}

static void str_field(yajl_gen g, const char *key, const char *s)
{
	phi_json_key(g, key);
	if (s && *s)
		phi_json_string(g, s);
	else
		yajl_gen_null(g);
}

static void budget_json(yajl_gen g, const struct phi_report *r)
{
	uint64_t limit = phi_budget_limit();

	phi_json_key(g, "budget");
	yajl_gen_map_open(g);
	phi_json_key(g, "limit");
	if (limit == PHI_BUDGET_NONE)
		yajl_gen_null(g);
	else
		yajl_gen_integer(g, (long long)limit);
	str_field(g, "source", r->memory_from);
	uint_field(g, "fixed", phi_budget_fixed());
	uint_field(g, "peak_counted", phi_budget_peak());
	uint_field(g, "peak_rss", phi_budget_peak_rss());
	uint_field(g, "refusals", phi_budget_refusals());
	yajl_gen_map_close(g);
}

void phi_footprint_json(yajl_gen g, const struct phi_report *r)
{
	const struct phi_capture *c = r->capture;

	phi_json_key(g, "footprint");
	yajl_gen_map_open(g);
	str_field(g, "pages", c->pages);
	str_field(g, "pages_why", c->pages_why);
	uint_field(g, "mapped_bytes", c->mapped);
	uint_field(g, "resident_bytes", c->resident);
	uint_field(g, "swapped_bytes", c->swapped);
	uint_field(g, "copied_bytes", (c->img.bytes - c->img.zeros));
	uint_field(g, "not_copied_bytes", c->img.skipped);
	uint_field(g, "not_copied_ranges", c->img.nskipped);
	uint_field(g, "freezes", (uint64_t)c->freezes);
	uint_field(g, "stragglers", c->stragglers);
	str_field(g, "freeze_note", c->freeze_note);
	budget_json(g, r);
	yajl_gen_map_close(g);
}
