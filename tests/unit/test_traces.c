/* Unit tests for tracemalloc read from outside (cpython/310/tracemalloc.c)
 * and its statistics (analysis/sites.c), on a synthetic image laid out as
 * CPython 3.10's Modules/_tracemalloc.c leaves its tables (the built-in
 * layouts): a consistent state read in full, with the rows and order of
 * Snapshot.statistics() worked out by hand; the states that are not read
 * (not tracing, symbols missing); and damaged tables refused without a
 * crash, a hang or an allocation their counts ask for: a cycle in a chain,
 * an entry in the wrong bucket, a huge count, a traceback longer than the
 * limit, a filename that is not interned, a key traced twice.  A torn
 * state (sizes that do not add up, the tables lock held) is read but
 * marked.  Then the growth between two captures (phi_sites_compare). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "pyheapinspect/analysis/sites.h"
#include "pyheapinspect/cpython/310/py310.h"
#include "pyheapinspect/cpython/310/tracemalloc.h"
#include "pyheapinspect/cpython/ops.h"
#include "pyheapinspect/cpython/traces.h"
#include "pyheapinspect/source/image.h"

#define BASE 0x10000000ULL
#define MEM_SIZE (1u << 20)
#define UNICODE_TYPE 0x7000ULL
#define NBUCKETS 16

static unsigned char mem[MEM_SIZE];
static uint64_t brk;
static struct phi_layout lay;
static struct phi310 st;
static struct phi_python py;
static struct phi_image img;
static struct phi_heap heap;
static struct phi_type types[2];

#define L(id) PHI_L(&lay, id)

static unsigned char *at(uint64_t addr)
{
	assert_true(addr >= BASE && addr < BASE + MEM_SIZE);
	return mem + (addr - BASE);
}

static void w64(uint64_t addr, uint64_t v) { memcpy(at(addr), &v, 8); }
static void w32(uint64_t addr, uint32_t v) { memcpy(at(addr), &v, 4); }
static void w16(uint64_t addr, uint16_t v) { memcpy(at(addr), &v, 2); }

static uint64_t alloc(size_t n)
{
	uint64_t a = brk;

	brk += (n + 15) & ~(size_t)15;
	assert_true(brk <= BASE + MEM_SIZE);
	return a;
}

/* A compact ASCII str with its hash. */
static uint64_t str(const char *s, uint64_t hash)
{
	size_t n = strlen(s);
	uint64_t a = alloc((size_t)L(ASCII_SIZE) + n + 1);

	w64(a + L(OB_REFCNT), 1);
	w64(a + L(OB_TYPE), UNICODE_TYPE);
	w64(a + L(ASCII_LENGTH), n);
	w64(a + L(ASCII_HASH), hash);
	/* kind 1, compact, ascii, ready */
	w32(a + L(ASCII_STATE), 1u << 2 | 1u << 5 | 1u << 6 | 1u << 7);
	memcpy(at(a + L(ASCII_SIZE)), s, n + 1);
	return a;
}

struct frame { uint64_t file; uint32_t lineno; };

static uint64_t traceback_at(uint64_t a, uint64_t hash,
			     const struct frame *f, unsigned n)
{
	w64(a + L(TMTB_HASH), hash);
	w16(a + L(TMTB_NFRAME), (uint16_t)n);
	w16(a + L(TMTB_TOTAL_NFRAME), (uint16_t)n);
	for (unsigned i = 0; i < n; i++) {
		uint64_t fa = a + L(TMTB_FRAMES) + i * L(TMFRAME_SIZE);

		w64(fa + L(TMFRAME_FILENAME), f[i].file);
		w32(fa + L(TMFRAME_LINENO), f[i].lineno);
	}
	return a;
}

static uint64_t traceback(uint64_t hash, const struct frame *f, unsigned n)
{
	return traceback_at(alloc((size_t)(L(TMTB_FRAMES) +
					   n * L(TMFRAME_SIZE))),
			    hash, f, n);
}

struct entry { uint64_t key, value, hash; };

/* A _Py_hashtable_t of NBUCKETS buckets holding e[0..n). */
static uint64_t table(const struct entry *e, size_t n, uint64_t *first)
{
	uint64_t t = alloc(80), buckets = alloc(8 * NBUCKETS);

	w64(t + L(TMHT_NENTRIES), n);
	w64(t + L(TMHT_NBUCKETS), NBUCKETS);
	w64(t + L(TMHT_BUCKETS), buckets);
	for (size_t i = 0; i < n; i++) {
		uint64_t a = alloc((size_t)L(TMENT_SIZE));
		uint64_t head = buckets + 8 * (e[i].hash & (NBUCKETS - 1));
		uint64_t next;

		memcpy(&next, at(head), 8);
		w64(a + L(TMENT_NEXT), next);
		w64(a + L(TMENT_KEY_HASH), e[i].hash);
		w64(a + L(TMENT_KEY), e[i].key);
		w64(a + L(TMENT_VALUE), e[i].value);
		w64(head, a);
		if (first && i == 0)
			*first = a;
	}
	return t;
}

static uint64_t rotr4(uint64_t p)
{
	return p >> 4 | p << 60;
}

static uint64_t trace(uint64_t size, uint64_t tb)
{
	uint64_t a = alloc((size_t)L(TMTRACE_SIZE));

	w64(a + L(TMTRACE_BYTES), size);
	w64(a + L(TMTRACE_TRACEBACK), tb);
	return a;
}

/* The planted state.  Blocks (domain 0 but D):
 *   A 100 B at app.py:10 <- app.py:3      (tb1)
 *   B  50 B at app.py:20                  (tb2)
 *   C  30 B at app.py:10 <- app.py:3      (tb1)
 *   E  50 B at app.py:5                   (tb3)
 *   F  60 B at <unknown>:0                (the empty traceback)
 *   D   7 B at <unknown>:0, domain 7
 * so statistics("lineno") is app.py:10 130 B x2, <unknown>:0 67 B x2,
 * then app.py:20 and app.py:5 (50 B x1 each: the line decides, larger
 * first).  Node 0 is an object at A (no GC header); node 1 a list at
 * B + 16 (a GC type: its block is B) whose items are C. */
static struct {
	uint64_t cfg, traces, domains, tracebacks, filenames, traced, peak;
	uint64_t empty, unknown_ptr, lock_ptr, lock;
	uint64_t unknown, app, a, b, c, d, e, f, tb1, tb2, tb3;
	uint64_t trace_a, tb1_entry, tr_first;
	uint64_t list;
} P;

static void plant(void)
{
	struct frame f1[] = { { 0, 10 }, { 0, 3 } }, f2[] = { { 0, 20 } },
		     f3[] = { { 0, 5 } }, fe[] = { { 0, 0 } };
	uint64_t dom7;

	memset(mem, 0, sizeof(mem));
	brk = BASE;
	P.cfg = alloc(12);
	w32(P.cfg + L(TMCFG_INITIALIZED), 1);
	w32(P.cfg + L(TRACEMALLOC_TRACING), 1);
	w32(P.cfg + L(TMCFG_MAX_NFRAME), 5);
	P.traces = alloc(8);
	P.domains = alloc(8);
	P.tracebacks = alloc(8);
	P.filenames = alloc(8);
	P.traced = alloc(8);
	P.peak = alloc(8);
	P.unknown_ptr = alloc(8);
	P.lock_ptr = alloc(8);
	P.lock = alloc(32);
	w64(P.lock_ptr, P.lock);
	w32(P.lock, 1); /* a free semaphore */
	P.unknown = str("<unknown>", 0x1111);
	w64(P.unknown_ptr, P.unknown);
	P.app = str("app.py", 0x2222);
	fe[0].file = P.unknown;
	f1[0].file = f1[1].file = f2[0].file = f3[0].file = P.app;
	P.empty = traceback_at(alloc(24), 0x77, fe, 1);
	P.tb1 = traceback(0x33, f1, 2);
	P.tb2 = traceback(0x44, f2, 1);
	P.tb3 = traceback(0x55, f3, 1);
	{
		struct entry fn[] = { { P.app, 0, 0x2222 } };
		struct entry tb[] = { { P.tb1, 0, 0x33 }, { P.tb2, 0, 0x44 },
				      { P.tb3, 0, 0x55 } };

		w64(P.filenames, table(fn, 1, NULL));
		w64(P.tracebacks, table(tb, 3, &P.tb1_entry));
	}
	P.a = 0x50000000;
	P.b = 0x50000100;
	P.c = 0x50000200;
	P.e = 0x50000300;
	P.f = 0x50000400;
	P.d = 0x60000000;
	{
		struct entry tr[] = {
			{ P.a, P.trace_a = trace(100, P.tb1), rotr4(P.a) },
			{ P.b, trace(50, P.tb2), rotr4(P.b) },
			{ P.c, trace(30, P.tb1), rotr4(P.c) },
			{ P.e, trace(50, P.tb3), rotr4(P.e) },
			{ P.f, trace(60, P.empty), rotr4(P.f) },
		};
		struct entry d7[] = { { P.d, trace(7, P.empty), rotr4(P.d) } };
		struct entry doms[1];

		w64(P.traces, table(tr, 5, &P.tr_first));
		dom7 = table(d7, 1, NULL);
		doms[0] = (struct entry){ 7, dom7, 7 };
		w64(P.domains, table(doms, 1, NULL));
	}
	w64(P.traced, 100 + 50 + 30 + 50 + 60 + 7);
	w64(P.peak, 4000);
	/* the list object, its items at C */
	P.list = alloc(64);
	w64(P.list + L(OB_REFCNT), 1);
	w64(P.list + L(LIST_ITEM), P.c);
}

static void setup_target(void)
{
	struct phi_error err = { 0 };
	bool added;
	uint32_t n0, n1;

	phi_layout_builtin(&lay);
	plant();
	memset(&st, 0, sizeof(st));
	st.layout = lay;
	st.tm_syms = PHI_TM_SYMS_SYMTAB;
	st.sym[PHI_S_UNICODE_TYPE] = UNICODE_TYPE;
	st.sym[PHI_S_TRACEMALLOC_CONFIG] = P.cfg;
	st.sym[PHI_S_TM_TRACES] = P.traces;
	st.sym[PHI_S_TM_DOMAINS] = P.domains;
	st.sym[PHI_S_TM_TRACEBACKS] = P.tracebacks;
	st.sym[PHI_S_TM_FILENAMES] = P.filenames;
	st.sym[PHI_S_TM_TRACED] = P.traced;
	st.sym[PHI_S_TM_PEAK] = P.peak;
	st.sym[PHI_S_TM_EMPTY_TRACEBACK] = P.empty;
	st.sym[PHI_S_TM_UNKNOWN_FILENAME] = P.unknown_ptr;
	st.sym[PHI_S_TM_TABLES_LOCK] = P.lock_ptr;
	memset(&py, 0, sizeof(py));
	py.ops = &phi_cpython310_ops;
	py.impl = &st;
	phi_image_init(&img);
	assert_int_equal(phi_image_add(&img, BASE, mem, MEM_SIZE, false, &err),
			 0);
	memset(&heap, 0, sizeof(heap));
	heap.py = &py;
	heap.img = &img;
	assert_int_equal(phi_graph_init(&heap.g, 4, &err), 0);
	n0 = phi_graph_add(&heap.g, P.a, &added);
	n1 = phi_graph_add(&heap.g, P.list, &added);
	assert_int_equal(n0, 0);
	assert_int_equal(n1, 1);
	/* the list is at B + 16 for the join: move its address */
	memset(types, 0, sizeof(types));
	types[0] = (struct phi_type){ .kind = PHI_K_OPAQUE, .name = "x" };
	types[1] = (struct phi_type){ .kind = PHI_K_LIST, .name = "list",
				      .has_gc = true };
	heap.types.v = types;
	heap.types.n = 2;
	heap.g.type[0] = 0;
	heap.g.type[1] = 1;
}

static void teardown_target(void)
{
	phi_graph_release(&heap.g);
	phi_image_release(&img);
}

static void read_ok(struct phi_traces *t)
{
	struct phi_error err = { 0 };

	assert_int_equal(phi310_traces(&heap, false, t, &err), 0);
}

/* The list's block is B: the graph's address of node 1 is B + 16 (its
 * GC header precedes it); the object's fields are read at P.list, so
 * the node is added at B + 16 with the list's fields copied there. */
static void place_list_at_b(void)
{
	struct phi_error err = { 0 };
	static unsigned char listobj[64];
	bool added;

	memcpy(listobj, at(P.list), sizeof(listobj));
	phi_graph_release(&heap.g);
	assert_int_equal(phi_graph_init(&heap.g, 4, &err), 0);
	phi_graph_add(&heap.g, P.a, &added);
	phi_graph_add(&heap.g, P.b + 16, &added);
	heap.g.type[0] = 0;
	heap.g.type[1] = 1;
	assert_int_equal(phi_image_add(&img, P.b + 16, listobj,
				       sizeof(listobj), true, &err), 0);
}

static const char *file_of(const struct phi_traces *t, uint32_t file)
{
	return t->files[file].text;
}

static void test_read(void **state)
{
	struct phi_traces t;
	struct phi_sites s;
	struct phi_sites_opts so = { .by_traceback = true, .top = 10 };
	struct phi_error err = { 0 };
	unsigned nf;

	(void)state;
	setup_target();
	place_list_at_b();
	read_ok(&t);
	assert_int_equal(t.state, PHI_TRACES_READ);
	assert_false(t.torn);
	assert_int_equal(t.max_nframe, 5);
	assert_int_equal(t.traced, 297);
	assert_int_equal(t.peak, 4000);
	assert_int_equal(t.n, 6);
	assert_int_equal(t.ntraces, 6);
	assert_false(t.summary);
	assert_int_equal(t.ndomain0, 5);
	assert_int_equal(t.v[5].domain, 7);
	assert_int_equal(t.v[5].ptr, P.d);
	/* two names, in code-point order: "<unknown>" < "app.py" */
	assert_int_equal(t.nfiles, 2);
	assert_string_equal(file_of(&t, 0), "<unknown>");
	assert_string_equal(file_of(&t, 1), "app.py");
	/* node 0's block is A; the list's is B (less its GC header), and
	 * it owns C */
	assert_int_equal(t.nnodes, 2);
	assert_int_equal(t.v[t.node_trace[0]].ptr, P.a);
	assert_int_equal(t.v[t.node_trace[1]].ptr, P.b);
	assert_int_equal(t.nblocks, 1);
	assert_int_equal(t.blocks[0].node, 1);
	assert_int_equal(t.v[t.blocks[0].trace].ptr, P.c);
	{
		const struct phi_trace_frame *f =
			phi_trace_frames(&t, t.node_trace[0], &nf);

		assert_int_equal(nf, 2);
		assert_string_equal(file_of(&t, f[0].file), "app.py");
		assert_int_equal(f[0].lineno, 10);
		assert_int_equal(f[1].lineno, 3);
	}
	assert_int_equal(phi_sites_compute(&s, &heap, &t, NULL, &so, &err), 0);
	assert_int_equal(s.nlineno, 4);
	assert_string_equal(file_of(&t, s.lineno[0].file), "app.py");
	assert_int_equal(s.lineno[0].lineno, 10);
	assert_int_equal(s.lineno[0].size, 130);
	assert_int_equal(s.lineno[0].count, 2);
	assert_string_equal(file_of(&t, s.lineno[1].file), "<unknown>");
	assert_int_equal(s.lineno[1].size, 67);
	assert_int_equal(s.lineno[1].count, 2);
	/* a tie on size and count: the larger (filename, lineno) first */
	assert_int_equal(s.lineno[2].lineno, 20);
	assert_int_equal(s.lineno[3].lineno, 5);
	assert_int_equal(s.lineno[2].size, 50);
	assert_int_equal(s.lineno[3].size, 50);
	/* by traceback: the same four groups, (app.py:3, app.py:10) first */
	assert_int_equal(s.ntraceback, 4);
	assert_int_equal(t.tb[s.traceback[0].tb].nframe, 2);
	assert_int_equal(s.traceback[0].size, 130);
	assert_int_equal(s.tb_row[t.v[t.node_trace[0]].traceback], 0);
	phi_sites_release(&s);
	phi_traces_release(&t);
	teardown_target();
}

static void expect_broken(const char *why)
{
	struct phi_traces t;

	read_ok(&t);
	assert_int_equal(t.state, PHI_TRACES_BROKEN);
	if (!strstr(t.note, why))
		fail_msg("note '%s' does not say '%s'", t.note, why);
	assert_null(t.v);
	assert_int_equal(t.n, 0);
	phi_traces_release(&t);
	teardown_target();
}

static void test_cycle(void **state)
{
	(void)state;
	setup_target();
	/* the first entry of the traces table points to itself */
	w64(P.tr_first + L(TMENT_NEXT), P.tr_first);
	expect_broken("chains hold more");
}

static void test_wrong_bucket(void **state)
{
	(void)state;
	setup_target();
	w64(P.tr_first + L(TMENT_KEY_HASH), rotr4(P.a) + 1);
	expect_broken("has the hash of bucket");
}

static void test_wrong_hash(void **state)
{
	(void)state;
	setup_target();
	/* same bucket, but not the rotated pointer */
	w64(P.tr_first + L(TMENT_KEY_HASH),
	    rotr4(P.a) + NBUCKETS);
	expect_broken("has hash");
}

static void test_huge_count(void **state)
{
	uint64_t t;

	(void)state;
	setup_target();
	memcpy(&t, at(P.traces), 8);
	w64(t + L(TMHT_NENTRIES), 1ULL << 60);
	expect_broken("more than the copied memory holds");
}

static void test_huge_buckets(void **state)
{
	uint64_t t;

	(void)state;
	setup_target();
	memcpy(&t, at(P.tracebacks), 8);
	w64(t + L(TMHT_NBUCKETS), 1ULL << 40);
	expect_broken("buckets");
}

static void test_long_traceback(void **state)
{
	(void)state;
	setup_target();
	w32(P.cfg + L(TMCFG_MAX_NFRAME), 1); /* tb1 has 2 frames */
	expect_broken("frames of");
}

static void test_foreign_filename(void **state)
{
	uint64_t other;

	(void)state;
	setup_target();
	other = str("evil.py", 0x9999);
	w64(P.tb2 + L(TMTB_FRAMES) + L(TMFRAME_FILENAME), other);
	expect_broken("not one of tracemalloc_filenames");
}

static void test_foreign_traceback(void **state)
{
	(void)state;
	setup_target();
	w64(P.trace_a + L(TMTRACE_TRACEBACK), P.tb1 + 8);
	expect_broken("not one of tracemalloc_tracebacks");
}

static void test_wrong_empty(void **state)
{
	(void)state;
	setup_target();
	/* the empty traceback must say <unknown>:0 */
	w32(P.empty + L(TMTB_FRAMES) + L(TMFRAME_LINENO), 1);
	expect_broken("<unknown>:0");
}

static void test_twice(void **state)
{
	struct entry tb[3];

	(void)state;
	setup_target();
	tb[0] = (struct entry){ P.tb1, 0, 0x33 };
	tb[1] = tb[2] = (struct entry){ P.tb2, 0, 0x44 };
	/* a set that lists a traceback twice */
	w64(P.tracebacks, table(tb, 3, NULL));
	expect_broken("is in it twice");
}

static void test_traced_twice(void **state)
{
	struct entry tr[2];

	(void)state;
	setup_target();
	tr[0] = (struct entry){ P.a, trace(10, P.tb1), rotr4(P.a) };
	tr[1] = (struct entry){ P.a, trace(20, P.tb1), rotr4(P.a) };
	w64(P.traces, table(tr, 2, NULL));
	expect_broken("traced twice");
}

static void test_not_tracing(void **state)
{
	struct phi_traces t;

	(void)state;
	setup_target();
	w32(P.cfg + L(TRACEMALLOC_TRACING), 0);
	read_ok(&t);
	assert_int_equal(t.state, PHI_TRACES_OFF);
	assert_non_null(strstr(t.note, "initialized=1 tracing=0: stopped"));
	phi_traces_release(&t);
	w32(P.cfg + L(TMCFG_INITIALIZED), 0);
	read_ok(&t);
	assert_int_equal(t.state, PHI_TRACES_OFF);
	assert_non_null(strstr(t.note, "never imported nor started"));
	phi_traces_release(&t);
	teardown_target();
}

static void test_unavailable(void **state)
{
	struct phi_traces t;

	(void)state;
	setup_target();
	st.tm_syms = PHI_TM_SYMS_NONE;
	snprintf(st.tm_why, sizeof(st.tm_why), "'x.so' has neither .symtab "
		 "nor DWARF for Modules/_tracemalloc.c");
	read_ok(&t);
	assert_int_equal(t.state, PHI_TRACES_UNAVAILABLE);
	assert_string_equal(t.note, "tracemalloc is tracing, but 'x.so' has "
			    "neither .symtab nor DWARF for "
			    "Modules/_tracemalloc.c");
	phi_traces_release(&t);
	st.sym[PHI_S_TRACEMALLOC_CONFIG] = 0;
	read_ok(&t);
	assert_int_equal(t.state, PHI_TRACES_ABSENT);
	phi_traces_release(&t);
	teardown_target();
}

static void test_torn(void **state)
{
	struct phi_traces t;

	(void)state;
	setup_target();
	w64(P.traced, 296);
	read_ok(&t);
	assert_int_equal(t.state, PHI_TRACES_READ);
	assert_true(t.torn);
	assert_non_null(strstr(t.note, "add up to 297 bytes"));
	phi_traces_release(&t);
	w64(P.traced, 297);
	w32(P.lock, 0); /* held */
	read_ok(&t);
	assert_true(t.torn);
	assert_non_null(strstr(t.note, "lock"));
	phi_traces_release(&t);
	teardown_target();
}

/* Growth, as Snapshot.compare_to(old, "lineno") gives it: now minus
 * then by (filename, line), lines only in one capture included. */
/* The summary: the counts only, nothing decoded. */
static void test_summary(void **state)
{
	struct phi_traces t;
	struct phi_error err = { 0 };

	(void)state;
	setup_target();
	assert_int_equal(phi310_traces(&heap, true, &t, &err), 0);
	assert_int_equal(t.state, PHI_TRACES_READ);
	assert_true(t.summary);
	assert_int_equal(t.ntraces, 6);
	assert_int_equal(t.traced, 297);
	assert_int_equal(t.n, 0);
	assert_null(t.node_trace);
	phi_traces_release(&t);
	teardown_target();
}

static void test_compare(void **state)
{
	struct phi_traces now, then;
	struct phi_sites a, b;
	struct phi_sites_opts so = { .top = 10 };
	struct phi_error err = { 0 };
	struct phi_site_line *lines;
	size_t nlines;
	uint64_t t;

	(void)state;
	setup_target();
	read_ok(&then);
	assert_int_equal(phi_sites_compute(&b, &heap, &then, NULL, &so, &err),
			 0);
	/* now: A grew to 1000 B; E (app.py:5) is gone from the table */
	w64(P.trace_a + L(TMTRACE_BYTES), 1000);
	w64(P.traced, 297 + 900 - 50);
	memcpy(&t, at(P.traces), 8);
	{
		/* unlink E: find it in its bucket */
		uint64_t buckets, e, prev = 0;

		memcpy(&buckets, at(t + L(TMHT_BUCKETS)), 8);
		memcpy(&e, at(buckets + 8 * (rotr4(P.e) & (NBUCKETS - 1))),
		       8);
		while (e) {
			uint64_t key, next;

			memcpy(&key, at(e + L(TMENT_KEY)), 8);
			memcpy(&next, at(e + L(TMENT_NEXT)), 8);
			if (key == P.e) {
				w64(prev ? prev + L(TMENT_NEXT) :
				    buckets + 8 * (rotr4(P.e) &
						   (NBUCKETS - 1)), next);
				break;
			}
			prev = e;
			e = next;
		}
		w64(t + L(TMHT_NENTRIES), 4);
	}
	read_ok(&now);
	assert_int_equal(now.state, PHI_TRACES_READ);
	assert_false(now.torn);
	assert_int_equal(phi_sites_compute(&a, &heap, &now, NULL, &so, &err),
			 0);
	assert_int_equal(phi_sites_lines(&b, &lines, &nlines, &err), 0);
	assert_int_equal(nlines, 4);
	/* (filename, line) order: "<unknown>" first, then app.py by line */
	assert_int_equal(lines[0].lineno, 0);
	assert_int_equal(lines[1].lineno, 5);
	assert_int_equal(lines[3].lineno, 20);
	assert_int_equal(phi_sites_compare(&a, lines, nlines, &err), 0);
	free(lines);
	assert_int_equal(a.ngrowth, 4);
	/* by |size_diff|, then size: app.py:10 (+900), app.py:5 (-50),
	 * then the lines that did not change, larger first */
	assert_int_equal(a.growth[0].lineno, 10);
	assert_int_equal(a.growth[0].size_diff, 900);
	assert_int_equal(a.growth[0].size, 1030);
	assert_int_equal(a.growth[0].count_diff, 0);
	assert_int_equal(a.growth[1].lineno, 5);
	assert_int_equal(a.growth[1].size_diff, -50);
	assert_int_equal(a.growth[1].count_diff, -1);
	assert_int_equal(a.growth[1].size, 0);
	assert_int_equal(a.growth[2].size_diff, 0);
	assert_int_equal(a.growth[2].size, 67);
	assert_int_equal(a.growth[3].lineno, 20);
	assert_int_equal(a.growth[3].size_diff, 0);
	phi_sites_release(&a);
	phi_sites_release(&b);
	phi_traces_release(&now);
	phi_traces_release(&then);
	teardown_target();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_cycle),
		cmocka_unit_test(test_wrong_bucket),
		cmocka_unit_test(test_wrong_hash),
		cmocka_unit_test(test_huge_count),
		cmocka_unit_test(test_huge_buckets),
		cmocka_unit_test(test_long_traceback),
		cmocka_unit_test(test_foreign_filename),
		cmocka_unit_test(test_foreign_traceback),
		cmocka_unit_test(test_wrong_empty),
		cmocka_unit_test(test_twice),
		cmocka_unit_test(test_traced_twice),
		cmocka_unit_test(test_not_tracing),
		cmocka_unit_test(test_unavailable),
		cmocka_unit_test(test_torn),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_compare),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
