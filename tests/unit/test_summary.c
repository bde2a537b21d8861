/* Unit tests for capture summaries and their comparison: the masking of
 * paths (list indices and addresses), a summary written and read back
 * field for field, summary files that are damaged or hostile refused
 * with PHI_E_CORRUPT (not JSON, cut short, a wrong version, a missing or
 * negative field, an overlong text, a parent out of range or its own,
 * deep nesting, a NUL byte, too large a file), and the growth of two
 * hand-made summaries worked out by hand (types, the paths a child's
 * change does not carry, modules left out, suspects by growth); the
 * memory breakdown and tracemalloc's lines written, read back, refused
 * when damaged (lines out of order or twice, a line number past 32
 * bits, a memory section that is not an object), and compared (the
 * classes' and objects' deltas, the lines as compare_to orders them). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "pyheapinspect/analysis/growth.h"
#include "pyheapinspect/analysis/summary.h"
#include "pyheapinspect/report/summary.h"

static char tmpdir[] = "/tmp/phi-summary-XXXXXX";

static void mask_is(const char *in, const char *want)
{
	char out[256];

	phi_summary_mask(in, out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_mask(void **state)
{
	char small[8];

	(void)state;
	mask_is("sys.modules['__main__'].__dict__['L'][12][3].x",
		"sys.modules['__main__'].__dict__['L'][*][*].x");
	mask_is("thread 0x7f3a1c2d frame serve() local 'req'",
		"thread 0x* frame serve() local 'req'");
	mask_is("x['0x1f'][-1][12a][]", "x['0x*'][-1][12a][]");
	mask_is("d['user:123'] key <str at 0xdeadbeef>",
		"d['user:123'] key <str at 0x*>");
	mask_is("0x", "0x");
	phi_summary_mask("abcdefghijkl", small, sizeof(small));
	assert_string_equal(small, "abcdefg");
}

/* ---- a summary by hand */

struct p {
	const char *path;
	uint64_t retained;
	int64_t parent;
	bool anchor;
};

struct t {
	const char *type;
	uint64_t count, size;
};

static void make(struct phi_summary *s, const struct t *types, size_t nt,
		 const struct p *paths, size_t np)
{
	memset(s, 0, sizeof(*s));
	s->version = PHI_SUMMARY_VERSION;
	s->tool_version = strdup("0.1.0");
	s->captured_at = strdup("2026-05-10T07:00:00Z");
	s->captured_unix = 1778396400;
	s->pid = 4242;
	s->host = strdup("host \"one\"");
	s->source = strdup("process");
	s->python_version = strdup("3.10.13");
	s->complete = true;
	s->rss = -1;
	s->objects = 100;
	s->total_size = 5000;
	s->reachable_size = 4000;
	s->floor = 10;
	s->types = calloc(nt ? nt : 1, sizeof(*s->types));
	for (size_t i = 0; i < nt; i++)
		s->types[s->ntypes++] = (struct phi_summary_type){
			strdup(types[i].type), types[i].count, types[i].size };
	s->paths = calloc(np ? np : 1, sizeof(*s->paths));
	for (size_t i = 0; i < np; i++)
		s->paths[s->npaths++] = (struct phi_summary_path){
			strdup(paths[i].path), strdup("dict"),
			paths[i].retained, 1, paths[i].parent,
			paths[i].anchor };
}

static char *tmp_path(const char *name)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
	return buf;
}

static void test_round_trip(void **state)
{
	const struct t types[] = { { "dict", 10, 1000 }, { "str\n\x01", 5,
							    100 } };
	const struct p paths[] = { { "M", 1000, -1, true },
				   { "M['a\\'b']", 600, 0, false } };
	struct phi_summary s, r;
	struct phi_error err = { 0 };
	char f[512];

	(void)state;
	snprintf(f, sizeof(f), "%s", tmp_path("rt.json"));
	make(&s, types, 2, paths, 2);
	s.rss = 123456;
	s.fill_collections = 7;
	s.fill_sparse = 2;
	s.fill_wasted = 999;
	s.suspects = calloc(1, sizeof(*s.suspects));
	s.suspects[0] = (struct phi_summary_suspect){
		strdup("M['a\\'b']"), strdup("dict"), 600, 40, 500,
		strdup("list"), 20, 300, 20 };
	s.nsuspects = 1;
	s.groups = calloc(1, sizeof(*s.groups));
	s.groups[0] = (struct phi_summary_group){ strdup("__main__.S"), 3,
						  90 };
	s.ngroups = 1;
	assert_int_equal(phi_summary_save(f, &s, &err), 0);
	assert_int_equal(access(tmp_path("rt.json.tmp"), F_OK), -1);
	if (phi_summary_load(f, &r, &err) != 0)
		fail_msg("load: %s", err.msg);
	assert_int_equal(r.version, 1);
	assert_string_equal(r.captured_at, s.captured_at);
	assert_int_equal(r.captured_unix, s.captured_unix);
	assert_string_equal(r.host, s.host);
	assert_int_equal(r.pid, 4242);
	assert_int_equal(r.rss, 123456);
	assert_true(r.complete);
	assert_int_equal(r.objects, 100);
	assert_int_equal(r.reachable_size, 4000);
	assert_int_equal(r.floor, 10);
	assert_int_equal(r.fill_wasted, 999);
	assert_int_equal(r.ntypes, 2);
	assert_string_equal(r.types[1].type, "str\n\x01");
	assert_int_equal(r.types[1].size, 100);
	assert_int_equal(r.npaths, 2);
	assert_string_equal(r.paths[1].path, "M['a\\'b']");
	assert_int_equal(r.paths[1].parent, 0);
	assert_true(r.paths[0].anchor);
	assert_false(r.paths[1].anchor);
	assert_int_equal(r.nsuspects, 1);
	assert_string_equal(r.suspects[0].child_type, "list");
	assert_int_equal(r.suspects[0].children_retained, 500);
	assert_int_equal(r.suspects[0].length, 20);
	assert_int_equal(r.ngroups, 1);
	assert_int_equal(r.groups[0].instances, 3);
	phi_summary_release(&r);
	/* An unknown RSS and length are null, and read back as -1. */
	s.rss = -1;
	s.suspects[0].length = -1;
	assert_int_equal(phi_summary_save(f, &s, &err), 0);
	assert_int_equal(phi_summary_load(f, &r, &err), 0);
	assert_int_equal(r.rss, -1);
	assert_int_equal(r.suspects[0].length, -1);
	phi_summary_release(&r);
	phi_summary_release(&s);
}

/* ---- damaged files */

static const char *good(void)
{
	return "{\"summary_version\":1,\"tool_version\":\"0.1.0\","
	       "\"captured_at\":\"2026-05-10T07:00:00Z\","
	       "\"captured_unix\":1,\"host\":\"h\",\"source\":\"process\","
	       "\"pid\":1,\"python_version\":\"3.10.13\",\"complete\":true,"
	       "\"rss\":null,\"objects\":1,\"total_size\":1,"
	       "\"gc_tracked\":0,\"reachable_objects\":1,"
	       "\"reachable_size\":1,\"memory\":null,"
	       "\"fill\":{\"collections\":0,\"sparse\":0,\"wasted\":0},"
	       "\"retainer_floor\":4096,\"retainers_omitted\":0,"
	       "\"types\":[{\"type\":\"dict\",\"count\":1,\"size\":1}],"
	       "\"retainers\":[{\"path\":\"M\",\"type\":\"dict\","
	       "\"retained\":1,\"objects\":1,\"parent\":PARENT,"
	       "\"anchor\":true}],\"suspects\":[],\"suspect_groups\":[]}";
}

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* good() with every "FROM" replaced by "TO". */
static char *edited(const char *from, const char *to)
{
	const char *g = good();
	size_t n = strlen(g) + 64 + strlen(to) * 4;
	char *out = malloc(n), *o = out;

	assert_non_null(out);
	while (*g) {
		if (strncmp(g, from, strlen(from)) == 0) {
			o += sprintf(o, "%s", to);
			g += strlen(from);
		} else {
			*o++ = *g++;
		}
	}
	*o = '\0';
	return out;
}

static int load_text(const char *text, size_t len)
{
	struct phi_summary s;
	struct phi_error err = { 0 };
	const char *f = tmp_path("bad.json");
	int rc;

	write_file(f, text, len);
	rc = phi_summary_load(f, &s, &err);
	if (rc == 0)
		phi_summary_release(&s);
	return rc;
}

static void refused(const char *from, const char *to)
{
	char *t = edited(from, to);
	int rc = load_text(t, strlen(t));

	if (rc != -PHI_E_CORRUPT)
		fail_msg("'%s' -> '%.60s': rc %d, not -PHI_E_CORRUPT", from, to,
			 rc);
	free(t);
}

static void test_damaged(void **state)
{
	char *t, *deep, *big;
	size_t n;

	(void)state;
	t = edited("PARENT", "-1");
	assert_int_equal(load_text(t, strlen(t)), 0);
	/* Cut short, anywhere. */
	for (size_t cut = 0; cut < strlen(t); cut += 37)
		assert_int_equal(load_text(t, cut), -PHI_E_CORRUPT);
	/* A NUL byte inside. */
	t[40] = '\0';
	assert_int_equal(load_text(t, strlen(t + 41) + 41), -PHI_E_CORRUPT);
	free(t);
	refused("PARENT", "0");                 /* its own parent */
	refused("PARENT", "1");                 /* out of range */
	refused("PARENT", "-2");
	refused("PARENT", "\"0\"");
	refused("\"summary_version\":1", "\"summary_version\":2");
	refused("\"objects\":1,", "\"objects\":-1,");
	refused("\"objects\":1,", "\"objects\":1.5,");
	refused("\"objects\":1,", "\"objects\":99999999999999999999999,");
	refused("\"objects\":1,", "");
	refused("\"complete\":true", "\"complete\":1");
	refused("\"types\":[", "\"types\":{\"x\":[");
	/* An overlong text. */
	n = PHI_SUMMARY_MAX_TEXT + 3;
	big = malloc(n + 2);
	assert_non_null(big);
	memset(big, 'a', n);
	big[0] = big[n - 1] = '"';
	big[n] = '\0';
	refused("\"h\"", big);
	free(big);
	/* Nesting that would make yajl's tree (freed recursively) deep. */
	deep = malloc(4096);
	assert_non_null(deep);
	n = 0;
	for (int i = 0; i < 1000; i++)
		deep[n++] = '[';
	deep[n++] = '1';
	for (int i = 0; i < 1000; i++)
		deep[n++] = ']';
	deep[n] = '\0';
	{
		char *v = malloc(n + 16);

		assert_non_null(v);
		snprintf(v, n + 16, "\"memory\":%s", deep);
		refused("\"memory\":null", v);
		free(v);
	}
	/* ... but brackets inside a text are no nesting. */
	memmove(deep + 1, deep, n + 1);
	deep[0] = '"';
	deep[n + 1] = '"';
	deep[n + 2] = '\0';
	t = edited("\"h\"", deep);
	{
		char *u = t, *v;

		v = strstr(u, "PARENT");
		memcpy(v, "-1    ", 6);
		assert_int_equal(load_text(u, strlen(u)), 0);
	}
	free(t);
	free(deep);
}

static void test_not_json(void **state)
{
	struct phi_summary s;
	struct phi_error err = { 0 };
	bool is;
	char f[512];
	size_t n = PHI_SUMMARY_MAX_FILE + 1;
	char *big = malloc(n);

	(void)state;
	snprintf(f, sizeof(f), "%s", tmp_path("big.json"));
	assert_int_equal(load_text("[1, 2]", 6), -PHI_E_CORRUPT);
	assert_int_equal(load_text("\x1f\x8b\x08", 3), -PHI_E_CORRUPT);
	assert_int_equal(load_text("", 0), -PHI_E_CORRUPT);
	assert_int_equal(phi_summary_load(tmp_path("none"), &s, &err),
			 -PHI_E_IO);
	assert_non_null(big);
	memset(big, ' ', n);
	big[0] = '{';
	write_file(f, big, n);
	free(big);
	assert_int_equal(phi_summary_load(f, &s, &err), -PHI_E_CORRUPT);
	assert_non_null(strstr(err.msg, "larger than"));
	assert_int_equal(phi_summary_sniff(f, &is, &err), 0);
	assert_true(is);
	write_file(f, "\x1f\x8b\x08\x00", 4);
	assert_int_equal(phi_summary_sniff(f, &is, &err), 0);
	assert_false(is);
	write_file(f, " \n {", 4);
	assert_int_equal(phi_summary_sniff(f, &is, &err), 0);
	assert_true(is);
	unlink(f);
}

/* ---- growth */

/* Before and after (worked out by hand):
 *   M (a module's __dict__)  1000 -> 2100  +1100, a module: not listed
 *   M['APP']                  600 -> 1700  +1100, carried by its __dict__
 *   M['APP'].__dict__         590 -> 1690  +1100, carried by .cache
 *   M['APP'].cache            500 -> 1600  +1100  listed
 *   M['L']                    300 ->  300      0
 *   M['S']                    400 ->   10   -390, carried by M['S'][*]
 *   M['S'][*]                 390 ->    0   -390  listed (gone: 0 after)
 *   M['gone']                  50 ->    0    -50  listed
 *   M['new']                    0 ->   80    +80  listed
 * Growth suspects: walks start at M['APP'] and M['new'] (under a
 * module); M['APP'] goes down to .cache (+1100); M['new'] grew by less
 * than 10% of 1180: the one suspect is .cache. */
static void test_growth(void **state)
{
	const struct t tb[] = { { "dict", 10, 1000 }, { "str", 5, 100 } };
	const struct t ta[] = { { "dict", 12, 1300 }, { "list", 1, 56 } };
	const struct p pb[] = {
		{ "M", 1000, -1, true }, { "M['APP']", 600, 0, false },
		{ "M['APP'].__dict__", 590, 1, false },
		{ "M['APP'].cache", 500, 2, false }, { "M['L']", 300, 0, false },
		{ "M['S']", 400, 0, false }, { "M['S'][*]", 390, 5, false },
		{ "M['gone']", 50, 0, false },
	};
	const struct p pa[] = {
		{ "M", 2100, -1, true }, { "M['APP']", 1700, 0, false },
		{ "M['APP'].__dict__", 1690, 1, false },
		{ "M['APP'].cache", 1600, 2, false }, { "M['L']", 300, 0, false },
		{ "M['S']", 10, 0, false }, { "M['new']", 80, 0, false },
	};
	struct phi_summary b, a;
	struct phi_growth g;
	struct phi_error err = { 0 };

	(void)state;
	make(&b, tb, 2, pb, 8);
	make(&a, ta, 2, pa, 7);
	a.objects = 130;
	a.total_size = 5356;
	a.rss = 2000;
	assert_int_equal(phi_growth_compare(&g, &b, &a, 0.10, 20, &err), 0);
	assert_int_equal(g.objects_delta, 30);
	assert_int_equal(g.total_size_delta, 356);
	assert_false(g.rss_known);
	assert_int_equal(g.floor, 10);
	assert_int_equal(g.types_changed, 3);
	assert_string_equal(g.types[0].type, "dict");
	assert_int_equal(g.types[0].count_delta, 2);
	assert_int_equal(g.types[0].size_delta, 300);
	assert_int_equal(g.types[0].size, 1300);
	assert_string_equal(g.types[1].type, "str");
	assert_int_equal(g.types[1].count_delta, -5);
	assert_int_equal(g.types[1].count, 0);
	assert_string_equal(g.types[2].type, "list");
	assert_int_equal(g.types[2].size_delta, 56);
	assert_int_equal(g.paths_changed, 4);
	assert_string_equal(g.paths[0].path, "M['APP'].cache");
	assert_int_equal(g.paths[0].before, 500);
	assert_int_equal(g.paths[0].after, 1600);
	assert_int_equal(g.paths[0].delta, 1100);
	assert_string_equal(g.paths[1].path, "M['S'][*]");
	assert_int_equal(g.paths[1].delta, -390);
	assert_int_equal(g.paths[1].after, 0);
	assert_string_equal(g.paths[2].path, "M['new']");
	assert_int_equal(g.paths[2].before, 0);
	assert_string_equal(g.paths[3].path, "M['gone']");
	assert_int_equal(g.nsuspects, 1);
	assert_string_equal(g.suspects[0].path, "M['APP'].cache");
	assert_int_equal(g.suspects[0].delta, 1100);
	phi_growth_release(&g);
	/* The other way round (at most 2 rows): the cache shrinks; M['S']
	 * grows by 390, all of it in M['S'][*] (the walk goes down to it),
	 * and M['gone'] by 50, over 10% of the 440 the walks start from. */
	assert_int_equal(phi_growth_compare(&g, &a, &b, 0.10, 2, &err), 0);
	assert_int_equal(g.npaths, 2);
	assert_int_equal(g.paths_changed, 4);
	assert_string_equal(g.paths[0].path, "M['APP'].cache");
	assert_int_equal(g.paths[0].delta, -1100);
	assert_string_equal(g.paths[1].path, "M['S'][*]");
	assert_int_equal(g.paths[1].delta, 390);
	assert_int_equal(g.nsuspects, 2);
	assert_string_equal(g.suspects[0].path, "M['S'][*]");
	assert_int_equal(g.suspects[0].delta, 390);
	assert_string_equal(g.suspects[1].path, "M['gone']");
	phi_growth_release(&g);
	phi_summary_release(&a);
	phi_summary_release(&b);
}

/* ---- the memory breakdown and tracemalloc's lines */

struct l {
	const char *file;
	uint32_t line;
	uint64_t size, count;
};

static void add_memory(struct phi_summary *s, uint64_t rss,
		       const char *const *names, const uint64_t *res, size_t n,
		       uint64_t objects, uint64_t getsizeof, int64_t allocated,
		       uint64_t gobj, uint64_t gsize)
{
	struct phi_summary_memory *m = &s->memory;

	m->present = true;
	m->have_rss = true;
	m->vm_rss = rss;
	m->anon = rss / 2;
	m->file = rss / 4;
	m->classes = calloc(n + 1, sizeof(*m->classes));
	for (size_t i = 0; i < n; i++)
		m->classes[m->nclasses++] = (struct phi_summary_class){
			strdup(names[i]), res[i] };
	m->objects = objects;
	m->getsizeof = getsizeof;
	m->allocated = allocated;
	m->garbage_objects = gobj;
	m->garbage_size = gsize;
}

/* Lines given in (filename, lineno) order, as a summary keeps them. */
static void add_sites(struct phi_summary *s, const struct l *v, size_t n)
{
	s->have_sites = true;
	s->sites = calloc(n + 1, sizeof(*s->sites));
	for (size_t i = 0; i < n; i++)
		s->sites[s->nsites++] = (struct phi_summary_site){
			strdup(v[i].file), v[i].line, v[i].size, v[i].count };
}

static void test_memory_sites_file(void **state)
{
	const char *names[] = { "pymalloc_arenas", "elf" };
	const uint64_t res[] = { 600, 300 };
	const struct l lines[] = {
		{ "a.py", 1, 100, 1 }, { "a.py", 2, 50, 2 },
		{ "b \"\xc3\xa9\".py", 4294967295u, 10, 1 } };
	struct phi_summary s, r;
	struct phi_error err = { 0 };
	char f[512];

	(void)state;
	snprintf(f, sizeof(f), "%s", tmp_path("rt.json"));
	make(&s, NULL, 0, NULL, 0);
	add_memory(&s, 1000, names, res, 2, 10, 500, 600, 2, 64);
	add_sites(&s, lines, 3);
	s.traced = 160;
	s.sites_omitted = 4;
	s.sites_omitted_size = 12;
	assert_int_equal(phi_summary_save(f, &s, &err), 0);
	if (phi_summary_load(f, &r, &err) != 0)
		fail_msg("load: %s", err.msg);
	assert_true(r.memory.present);
	assert_true(r.memory.have_rss);
	assert_int_equal(r.memory.vm_rss, 1000);
	assert_int_equal(r.memory.anon, 500);
	assert_int_equal(r.memory.file, 250);
	assert_int_equal(r.memory.nclasses, 2);
	assert_string_equal(r.memory.classes[1].name, "elf");
	assert_int_equal(r.memory.classes[1].resident, 300);
	assert_int_equal(r.memory.getsizeof, 500);
	assert_int_equal(r.memory.allocated, 600);
	assert_int_equal(r.memory.garbage_size, 64);
	assert_true(r.have_sites);
	assert_int_equal(r.nsites, 3);
	assert_string_equal(r.sites[2].filename, lines[2].file);
	assert_int_equal(r.sites[2].lineno, 4294967295u);
	assert_int_equal(r.sites[1].count, 2);
	assert_int_equal(r.traced, 160);
	assert_int_equal(r.sites_omitted, 4);
	assert_int_equal(r.sites_omitted_size, 12);
	phi_summary_release(&r);
	/* Unknown allocated bytes and RSS: null, read back as such. */
	s.memory.allocated = -1;
	s.memory.have_rss = false;
	assert_int_equal(phi_summary_save(f, &s, &err), 0);
	assert_int_equal(phi_summary_load(f, &r, &err), 0);
	assert_int_equal(r.memory.allocated, -1);
	assert_false(r.memory.have_rss);
	phi_summary_release(&r);
	phi_summary_release(&s);
	/* A summary of an older tool: no "sites", "memory" null. */
	make(&s, NULL, 0, NULL, 0);
	assert_int_equal(phi_summary_save(f, &s, &err), 0);
	assert_int_equal(phi_summary_load(f, &r, &err), 0);
	assert_false(r.memory.present);
	assert_false(r.have_sites);
	phi_summary_release(&r);
	phi_summary_release(&s);
}

#define SITES_OK "\"sites\":{\"traced_memory\":1,\"omitted\":0," \
	"\"omitted_size\":0,\"lines\":[{\"filename\":\"a\",\"lineno\":1," \
	"\"size\":1,\"count\":1},{\"filename\":\"a\",\"lineno\":LINE," \
	"\"size\":1,\"count\":1}]},\"suspects\":[]"

static void test_memory_sites_damaged(void **state)
{
	char *t;

	(void)state;
	/* Good as written. */
	t = edited("\"suspects\":[]", SITES_OK);
	{
		char *u = strstr(t, "PARENT"), *v = strstr(t, "LINE");

		memcpy(u, "-1    ", 6);
		memcpy(v, "2   ", 4);
		assert_int_equal(load_text(t, strlen(t)), 0);
		memcpy(v, "1   ", 4);        /* the same line twice */
		assert_int_equal(load_text(t, strlen(t)), -PHI_E_CORRUPT);
		memcpy(v, "0   ", 4);        /* out of order */
		assert_int_equal(load_text(t, strlen(t)), -PHI_E_CORRUPT);
	}
	free(t);
	t = edited("\"suspects\":[]", SITES_OK);
	{
		char *u = strstr(t, "PARENT"), *v;
		char *w = malloc(strlen(t) + 16);

		memcpy(u, "-1    ", 6);
		v = strstr(t, "LINE");
		snprintf(w, strlen(t) + 16, "%.*s4294967296%s",
			 (int)(v - t), t, v + 4);
		assert_int_equal(load_text(w, strlen(w)), -PHI_E_CORRUPT);
		free(w);
	}
	free(t);
	refused("\"memory\":null", "\"memory\":[]");
	refused("\"memory\":null", "\"memory\":{\"rss\":null}");
	refused("\"memory\":null", "\"memory\":{\"rss\":null,\"classes\":[],"
		"\"objects\":{\"count\":1,\"getsizeof\":1,\"allocated\":-2},"
		"\"garbage\":{\"objects\":0,\"size\":0}}");
	refused("\"suspects\":[]", "\"sites\":7,\"suspects\":[]");
}

/* Before and after (worked out by hand):
 *   RSS 1000 -> 1500; pymalloc_arenas 600 -> 1000, elf 300 -> 300,
 *   malloc_heap 100 -> gone, other_anon new 200; objects 10 -> 12,
 *   getsizeof 500 -> 700, allocated 600 -> unknown, garbage 2 (64 B)
 *   -> none.
 *   lines: a.py:1 100/1 both (unchanged), a.py:2 50/2 -> 80/3 (+30,
 *   +1), b.py:5 10/1 -> gone, c.py:3 7/1 both, d.py:9 and e.py:1 new
 *   30/1 each.  compare_to: |size_diff| 30, 30, 30 then 10: a.py:2
 *   first (size 80), then e.py:1 before d.py:9 (the same figures, the
 *   larger traceback first), then b.py:5; the unchanged lines go. */
static void test_memory_sites_growth(void **state)
{
	const char *nb[] = { "pymalloc_arenas", "elf", "malloc_heap" };
	const uint64_t rb[] = { 600, 300, 100 };
	const char *na[] = { "pymalloc_arenas", "elf", "other_anon" };
	const uint64_t ra[] = { 1000, 300, 200 };
	const struct l lb[] = { { "a.py", 1, 100, 1 }, { "a.py", 2, 50, 2 },
				{ "b.py", 5, 10, 1 }, { "c.py", 3, 7, 1 } };
	const struct l la[] = { { "a.py", 1, 100, 1 }, { "a.py", 2, 80, 3 },
				{ "c.py", 3, 7, 1 }, { "d.py", 9, 30, 1 },
				{ "e.py", 1, 30, 1 } };
	struct phi_summary b, a;
	struct phi_growth g;
	struct phi_error err = { 0 };
	const struct phi_growth_memory *m = &g.memory;

	(void)state;
	make(&b, NULL, 0, NULL, 0);
	make(&a, NULL, 0, NULL, 0);
	add_memory(&b, 1000, nb, rb, 3, 10, 500, 600, 2, 64);
	add_memory(&a, 1500, na, ra, 3, 12, 700, -1, 0, 0);
	add_sites(&b, lb, 4);
	add_sites(&a, la, 5);
	assert_int_equal(phi_growth_compare(&g, &b, &a, 0.10, 3, &err), 0);
	assert_true(m->present);
	assert_true(m->rss_known);
	assert_int_equal(m->rss_delta, 500);
	assert_int_equal(m->anon_delta, 250);
	assert_int_equal(m->nclasses, 4);
	assert_string_equal(m->classes[0].name, "pymalloc_arenas");
	assert_int_equal(m->classes[0].delta, 400);
	assert_int_equal(m->classes[1].delta, 0);
	assert_string_equal(m->classes[2].name, "other_anon");
	assert_int_equal(m->classes[2].before, 0);
	assert_int_equal(m->classes[2].delta, 200);
	assert_string_equal(m->classes[3].name, "malloc_heap");
	assert_int_equal(m->classes[3].after, 0);
	assert_int_equal(m->classes[3].delta, -100);
	assert_int_equal(m->objects_delta, 2);
	assert_int_equal(m->getsizeof_delta, 200);
	assert_false(m->allocated_known);
	assert_int_equal(m->garbage_objects_delta, -2);
	assert_int_equal(m->garbage_size_delta, -64);
	assert_true(g.have_sites);
	assert_int_equal(g.sites_changed, 4);
	assert_int_equal(g.nsites, 3);   /* at most max */
	assert_string_equal(g.sites[0].filename, "a.py");
	assert_int_equal(g.sites[0].lineno, 2);
	assert_int_equal(g.sites[0].size_diff, 30);
	assert_int_equal(g.sites[0].count_diff, 1);
	assert_int_equal(g.sites[0].size, 80);
	assert_string_equal(g.sites[1].filename, "e.py");
	assert_string_equal(g.sites[2].filename, "d.py");
	assert_string_equal(g.sites[3].filename, "b.py");
	assert_int_equal(g.sites[3].size_diff, -10);
	assert_int_equal(g.sites[3].count_diff, -1);
	assert_int_equal(g.sites[3].size, 0);
	phi_growth_release(&g);
	/* One side without lines or memory: neither is compared. */
	phi_summary_release(&b);
	make(&b, NULL, 0, NULL, 0);
	assert_int_equal(phi_growth_compare(&g, &b, &a, 0.10, 3, &err), 0);
	assert_false(g.memory.present);
	assert_false(g.have_sites);
	assert_int_equal(g.nsites, 0);
	phi_growth_release(&g);
	phi_summary_release(&a);
	phi_summary_release(&b);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	unlink(tmp_path("rt.json"));
	unlink(tmp_path("bad.json"));
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_not_json),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_memory_sites_file),
		cmocka_unit_test(test_memory_sites_damaged),
		cmocka_unit_test(test_memory_sites_growth),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
