/* Unit tests for the walks over hostile memory (issue 12), on synthetic
 * images of a CPython 3.10 built with the built-in layouts: an
 * interpreter, thread states, frames, type objects and a few objects, all
 * in one zeroed segment, then damaged the way a target could present
 * them.  Each case decodes the heap with phi_heap_build and checks that
 * the result is bounded (the figure a hand count gives) and that the
 * damage is counted (stats.bad_fields / bad_refs):
 *
 *   - a frame whose f_back is itself, a chain that loops to its middle,
 *     a chain shared by two thread states: each frame is a root once;
 *   - a thread list that loops to its middle, or runs into another
 *     interpreter's thread state: each thread state once;
 *   - an object whose ob_type is 0: no object;
 *   - a deque block linked to itself (ob_size 6,400 and 2^25), and two
 *     blocks linked to each other: edges bounded by the blocks walked;
 *   - a GC list that loops among things that are not objects, and one
 *     that loops among objects;
 *   - a class whose MRO holds the same class 64 times, that class with
 *     4,096 __slots__ members, and a tp_base that is the type itself;
 *   - sizes that would wrap the heap's total (five bytearrays of ob_alloc
 *     2^62), and ints of ob_size 2^61 whose digits the image lacks;
 *   - a layout table that phi_layout_validate would refuse (a set entry
 *     of 0 bytes, a dict entry key at 2^20) given to the decoders
 *     anyway: no division by zero, no read outside the image. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "pyheapinspect/analysis/analysis.h"
#include "pyheapinspect/base/sizes.h"
#include "pyheapinspect/cpython/heap.h"
#include "pyheapinspect/cpython/ops.h"
#include "pyheapinspect/cpython/python.h"
#include "pyheapinspect/cpython/310/layout.h"
#include "pyheapinspect/cpython/310/py310.h"
#include "pyheapinspect/cpython/310/types.h"
#include "pyheapinspect/source/image.h"

#define BASE 0x10000000ULL
#define MEM_SIZE (4u << 20)
#define TPFLAGS_READY (1ULL << 12)

#define L(id) PHI_L(&f->st.layout, id)

struct fx {
	unsigned char *mem;
	uint64_t next;             /* bump allocator */
	struct phi_image img;
	struct phi310 st;
	struct phi_python py;
	struct phi_runtime rt;
	struct phi_heap h;
	bool built;
	uint64_t meta, interp;     /* the type type, the interpreter */
	uint64_t frame_t, long_t, deque_t, bytearray_t, tuple_t, set_t,
		 dict_t;
};

static unsigned char *at(struct fx *f, uint64_t addr)
{
	assert_true(addr >= BASE && addr < BASE + MEM_SIZE);
	return f->mem + (addr - BASE);
}

static void put(struct fx *f, uint64_t addr, uint64_t v)
{
	memcpy(at(f, addr), &v, 8);
}

static void put32(struct fx *f, uint64_t addr, uint32_t v)
{
	memcpy(at(f, addr), &v, 4);
}

/* n zeroed bytes, 64-aligned, with 64 free bytes before them (room for
 * a GC header). */
static uint64_t alloc(struct fx *f, uint64_t n)
{
	uint64_t a = f->next + 64;

	f->next = (a + n + 63) & ~63ULL;
	assert_true(f->next <= BASE + MEM_SIZE);
	return a;
}

static uint64_t cstr(struct fx *f, const char *s)
{
	uint64_t a = alloc(f, strlen(s) + 1);

	memcpy(at(f, a), s, strlen(s) + 1);
	return a;
}

/* A type object: static unless flags say heap type. */
static uint64_t make_type(struct fx *f, const char *name, int64_t basicsize,
			  int64_t itemsize, uint64_t flags)
{
	uint64_t t = alloc(f, (uint64_t)L(HT_SIZE));

	put(f, t + L(OB_REFCNT), 1);
	put(f, t + L(OB_TYPE), f->meta ? f->meta : t);
	put(f, t + L(TP_FLAGS), TPFLAGS_READY | flags);
	put(f, t + L(TP_BASICSIZE), (uint64_t)basicsize);
	put(f, t + L(TP_ITEMSIZE), (uint64_t)itemsize);
	put(f, t + L(TP_NAME), cstr(f, name));
	return t;
}

static uint64_t make_obj(struct fx *f, uint64_t type, uint64_t size)
{
	uint64_t a = alloc(f, size);

	put(f, a + L(OB_REFCNT), 1);
	put(f, a + L(OB_TYPE), type);
	return a;
}

/* An int of one digit. */
static uint64_t make_int(struct fx *f, uint32_t v)
{
	uint64_t a = make_obj(f, f->long_t, 32);

	put(f, a + L(OB_SIZE), 1);
	put32(f, a + L(LONG_DIGIT), v);
	return a;
}

static uint64_t make_frame(struct fx *f)
{
	return make_obj(f, f->frame_t, (uint64_t)L(FRAME_SIZE));
}

/* A thread state of the interpreter, holding frame and dict. */
static uint64_t make_ts(struct fx *f, uint64_t frame, uint64_t dict,
			uint64_t tid)
{
	uint64_t ts = alloc(f, (uint64_t)L(TS_SIZE));

	put(f, ts + L(TS_INTERP), f->interp);
	put(f, ts + L(TS_FRAME), frame);
	put(f, ts + L(TS_DICT), dict);
	put(f, ts + L(TS_THREAD_ID), tid);
	return ts;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f || !(f->mem = calloc(1, MEM_SIZE)))
		return -1;
	f->next = BASE;
	phi_layout_builtin(&f->st.layout);
	f->py.ops = &phi_cpython310_ops;
	f->py.impl = &f->st;
	f->meta = make_type(f, "type", L(HT_SIZE), L(MEMBERDEF_SIZE),
			    PHI_TPFLAGS_TYPE_SUBCLASS);
	put(f, f->meta + L(OB_TYPE), f->meta);
	f->frame_t = make_type(f, "frame", L(FRAME_SIZE) - 8, 8, 0);
	f->long_t = make_type(f, "int", L(LONG_DIGIT), 4, 0);
	f->deque_t = make_type(f, "collections.deque", L(DEQUE_SIZE), 0, 0);
	f->bytearray_t = make_type(f, "bytearray", L(BYTEARRAY_SIZE), 0, 0);
	f->tuple_t = make_type(f, "tuple", L(TUPLE_ITEM), 8, 0);
	f->set_t = make_type(f, "set", L(SET_SIZE), 0, 0);
	f->dict_t = make_type(f, "dict", L(DICT_SIZE), 0, 0);
	f->st.sym[PHI_S_TYPE_TYPE] = f->meta;
	f->st.sym[PHI_S_FRAME_TYPE] = f->frame_t;
	f->st.sym[PHI_S_LONG_TYPE] = f->long_t;
	f->st.sym[PHI_S_DEQUE_TYPE] = f->deque_t;
	f->st.sym[PHI_S_BYTEARRAY_TYPE] = f->bytearray_t;
	f->st.sym[PHI_S_TUPLE_TYPE] = f->tuple_t;
	f->st.sym[PHI_S_SET_TYPE] = f->set_t;
	f->st.sym[PHI_S_DICT_TYPE] = f->dict_t;
	f->interp = alloc(f, (uint64_t)L(IS_SIZE));
	f->rt.ninterps = 1;
	f->rt.interp_main = f->interp;
	f->rt.interps[0].addr = f->interp;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (f->built)
		phi_heap_release(&f->h);
	phi_image_release(&f->img);
	free(f->mem);
	free(f);
	return 0;
}

/* Decode the heap of the image as it is now, threads from ts. */
static void build(struct fx *f, uint64_t ts)
{
	struct phi_error err = { 0 };
	struct phi_heap_opts o = { 0 };
	int rc;

	phi_image_init(&f->img);
	assert_int_equal(phi_image_add(&f->img, BASE, f->mem, MEM_SIZE, false,
				       &err), 0);
	f->rt.interps[0].tstate_head = ts;
	rc = phi_heap_build(&f->h, &f->py, &f->img, &f->rt, &o, &err);
	f->built = true;
	if (rc != 0)
		fail_msg("phi_heap_build: %d: %s", rc, err.msg);
}

static size_t roots_of(const struct fx *f, enum phi_root_kind k)
{
	size_t n = 0;

	for (size_t i = 0; i < f->h.nroots; i++)
		n += f->h.roots[i].kind == k;
	return n;
}

static uint32_t node_of(const struct fx *f, uint64_t addr)
{
	uint32_t n = phi_graph_find(&f->h.g, addr);

	assert_int_not_equal(n, PHI_NONE);
	return n;
}

static uint32_t edges_of(const struct fx *f, uint64_t addr)
{
	uint32_t n = node_of(f, addr);

	return f->h.g.edge_start[n + 1] - f->h.g.edge_start[n];
}

/* ---- frames and threads --------------------------------------------- */

/* F0 -> F1 -> F2 -> F2: three frames, each a root once (the tool gave
 * MAX_ROOT_FRAMES = 100,000 roots for such a thread). */
static void test_frame_self_loop(void **state)
{
	struct fx *f = *state;
	uint64_t fr[3];

	for (int i = 0; i < 3; i++)
		fr[i] = make_frame(f);
	put(f, fr[0] + L(FRAME_BACK), fr[1]);
	put(f, fr[1] + L(FRAME_BACK), fr[2]);
	put(f, fr[2] + L(FRAME_BACK), fr[2]);
	build(f, make_ts(f, fr[0], 0, 1));
	assert_int_equal(roots_of(f, PHI_ROOT_FRAME), 3);
	assert_true(f->h.stats.bad_fields >= 1);
	print_message("self-looping f_back: %zu frame roots, %llu bad "
		      "fields\n", roots_of(f, PHI_ROOT_FRAME),
		      (unsigned long long)f->h.stats.bad_fields);
}

/* A chain that loops back to its second frame, and a second thread
 * whose chain runs into the first thread's frames. */
static void test_frame_loop_and_sharing(void **state)
{
	struct fx *f = *state;
	uint64_t fr[5], ts0, ts1;

	for (int i = 0; i < 5; i++)
		fr[i] = make_frame(f);
	put(f, fr[0] + L(FRAME_BACK), fr[1]);
	put(f, fr[1] + L(FRAME_BACK), fr[2]);
	put(f, fr[2] + L(FRAME_BACK), fr[3]);
	put(f, fr[3] + L(FRAME_BACK), fr[1]);
	/* thread 2: its own frame, then thread 1's. */
	put(f, fr[4] + L(FRAME_BACK), fr[2]);
	ts0 = make_ts(f, fr[0], 0, 1);
	ts1 = make_ts(f, fr[4], 0, 2);
	put(f, ts0 + L(TS_NEXT), ts1);
	build(f, ts0);
	assert_int_equal(roots_of(f, PHI_ROOT_FRAME), 5);
	assert_true(f->h.stats.bad_fields >= 2);
}

/* A frame pointer that is not an object ends the chain: its f_back
 * would be garbage. */
static void test_frame_not_an_object(void **state)
{
	struct fx *f = *state;
	uint64_t fr = make_frame(f), junk = alloc(f, 512);

	put(f, fr + L(FRAME_BACK), junk);
	put(f, junk + L(FRAME_BACK), fr);
	build(f, make_ts(f, fr, 0, 1));
	assert_int_equal(roots_of(f, PHI_ROOT_FRAME), 1);
	/* As a root, and as the frame's referent. */
	assert_true(f->h.stats.bad_refs >= 1);
}

/* ts0 -> ts1 -> ts2 -> ts1: three thread states (each with a dict and a
 * frame), each once; the tool used to walk 4,096 of them. */
static void test_thread_list_loop(void **state)
{
	struct fx *f = *state;
	uint64_t ts[3];

	for (int i = 0; i < 3; i++) {
		uint64_t fr = make_frame(f);

		/* Each thread's frame loops on itself as well: the worst
		 * case was 4,096 x 100,000 roots. */
		put(f, fr + L(FRAME_BACK), fr);
		ts[i] = make_ts(f, fr, make_int(f, (uint32_t)i), 10 + i);
	}
	put(f, ts[0] + L(TS_NEXT), ts[1]);
	put(f, ts[1] + L(TS_NEXT), ts[2]);
	put(f, ts[2] + L(TS_NEXT), ts[1]);
	build(f, ts[0]);
	assert_int_equal(roots_of(f, PHI_ROOT_THREAD), 3);
	assert_int_equal(roots_of(f, PHI_ROOT_FRAME), 3);
	/* The loop, and each frame's. */
	assert_true(f->h.stats.bad_fields >= 4);
	print_message("looping thread list and frames: %zu roots in all\n",
		      f->h.nroots);
}

/* A thread list that runs into a thread state of another interpreter
 * stops there. */
static void test_thread_of_another_interp(void **state)
{
	struct fx *f = *state;
	uint64_t ts0 = make_ts(f, 0, make_int(f, 1), 1);
	uint64_t ts1 = make_ts(f, 0, make_int(f, 2), 2);

	put(f, ts0 + L(TS_NEXT), ts1);
	put(f, ts1 + L(TS_INTERP), f->interp + 8);
	build(f, ts0);
	assert_int_equal(roots_of(f, PHI_ROOT_THREAD), 1);
	assert_true(f->h.stats.bad_fields >= 1);
}

/* A thread's dict that is "an object" of ob_type 0, met before any
 * type: no node (it took the type of index 0, never validated). */
static void test_type_zero(void **state)
{
	struct fx *f = *state;
	uint64_t o = alloc(f, 64);

	put(f, o + L(OB_REFCNT), 1);
	build(f, make_ts(f, 0, o, 1));
	assert_int_equal(phi_graph_find(&f->h.g, o), PHI_NONE);
	assert_int_equal(f->h.stats.bad_refs, 1);
	assert_int_equal(f->h.g.n, 0);
}

/* ---- deque blocks ---------------------------------------------------- */

static uint64_t make_block(struct fx *f, uint64_t item)
{
	uint64_t b = alloc(f, PHI_DEQUE_BLOCK_RIGHTLINK + 8);

	for (int i = 0; i < PHI_DEQUE_BLOCKLEN; i++)
		put(f, b + PHI_DEQUE_BLOCK_DATA + 8 * (uint64_t)i, item);
	return b;
}

static uint64_t make_deque(struct fx *f, int64_t n, uint64_t left,
			   uint64_t right)
{
	uint64_t d = make_obj(f, f->deque_t, (uint64_t)L(DEQUE_SIZE));

	put(f, d + L(OB_SIZE), (uint64_t)n);
	put(f, d + L(DEQUE_LEFTBLOCK), left);
	put(f, d + L(DEQUE_RIGHTBLOCK), right);
	put(f, d + L(DEQUE_RIGHTINDEX), PHI_DEQUE_BLOCKLEN - 1);
	return d;
}

/* Held by a tuple that a thread's dict slot holds. */
static uint64_t hold(struct fx *f, const uint64_t *objs, size_t n)
{
	uint64_t t = make_obj(f, f->tuple_t, 24 + 8 * n);

	put(f, t + L(OB_SIZE), n);
	for (size_t i = 0; i < n; i++)
		put(f, t + L(TUPLE_ITEM) + 8 * i, objs[i]);
	return make_ts(f, 0, t, 1);
}

static void test_deque_blocks(void **state)
{
	struct fx *f = *state;
	uint64_t item = make_int(f, 5), d[3], b1, b2, b3;

	/* A block that links to itself, 100 blocks' worth of items
	 * claimed; the right block is never reached. */
	b1 = make_block(f, item);
	put(f, b1 + PHI_DEQUE_BLOCK_RIGHTLINK, b1);
	d[0] = make_deque(f, 64 * 100, b1, make_block(f, item));
	/* The same with ob_size 2^25: more blocks than the image holds. */
	d[1] = make_deque(f, 1 << 25, b1, make_block(f, item));
	/* Two blocks that link to each other. */
	b2 = make_block(f, item);
	b3 = make_block(f, item);
	put(f, b2 + PHI_DEQUE_BLOCK_RIGHTLINK, b3);
	put(f, b3 + PHI_DEQUE_BLOCK_RIGHTLINK, b2);
	d[2] = make_deque(f, 64 * 100, b2, make_block(f, item));
	build(f, hold(f, d, 3));
	/* Floyd's check meets the loop within two blocks of it. */
	print_message("deque edges: self-linked %u, 2^25 %u, two blocks %u; "
		      "%llu bad fields\n", edges_of(f, d[0]),
		      edges_of(f, d[1]), edges_of(f, d[2]),
		      (unsigned long long)f->h.stats.bad_fields);
	assert_true(edges_of(f, d[0]) <= 2 * PHI_DEQUE_BLOCKLEN);
	assert_int_equal(edges_of(f, d[1]), 0);
	assert_true(edges_of(f, d[2]) <= 4 * PHI_DEQUE_BLOCKLEN);
	assert_true(f->h.stats.bad_fields >= 3);
	/* Sizes from the blocks ob_size needs, which the image bounds. */
	assert_true(phi_graph_size(&f->h.g, node_of(f, d[1])) < MEM_SIZE);
}

/* ---- GC lists -------------------------------------------------------- */

/* The first GC generation's list head of the interpreter. */
static uint64_t gen0(struct fx *f)
{
	return f->interp + (uint64_t)L(IS_GC_GENERATIONS);
}

static void test_gc_list_loop_of_junk(void **state)
{
	struct fx *f = *state;
	uint64_t p1 = alloc(f, 64), p2 = alloc(f, 64);

	/* Two GC heads whose objects are zeros (refcount 0), linked in a
	 * loop: the list was walked up to the image's size / 16 steps,
	 * 262,144 bad references here. */
	put(f, gen0(f) + L(GCHEAD_NEXT), p1);
	put(f, p1 + L(GCHEAD_NEXT), p2);
	put(f, p2 + L(GCHEAD_NEXT), p1);
	build(f, 0);
	print_message("GC list looping among non-objects: %llu bad refs\n",
		      (unsigned long long)f->h.stats.bad_refs);
	assert_true(f->h.stats.bad_refs >= 2);
	assert_true(f->h.stats.bad_refs <= 64);
}

static void test_gc_list_loop_of_objects(void **state)
{
	struct fx *f = *state;
	uint64_t a = make_int(f, 1), b = make_int(f, 2);
	uint64_t ga = a - (uint64_t)L(GCHEAD_SIZE);
	uint64_t gb = b - (uint64_t)L(GCHEAD_SIZE);

	put(f, gen0(f) + L(GCHEAD_NEXT), ga);
	put(f, ga + L(GCHEAD_NEXT), gb);
	put(f, gb + L(GCHEAD_NEXT), ga);
	build(f, 0);
	/* Both ints, once each. */
	node_of(f, a);
	node_of(f, b);
	assert_int_equal(f->h.stats.bad_refs, 0);
}

/* ---- types ----------------------------------------------------------- */

/* A heap class C with 4,096 __slots__ members; a class H whose MRO is C
 * 64 times, whose tp_base is itself. */
static void test_mro_and_bases(void **state)
{
	struct fx *f = *state;
	int64_t msize = L(MEMBERDEF_SIZE), nmem = PHI_MAX_MEMBERS;
	uint64_t c = make_type(f, "C", 24, 0, PHI_TPFLAGS_HEAPTYPE);
	/* The members follow the class (at the metatype's basicsize). */
	uint64_t first = alloc(f, (uint64_t)(nmem * msize));
	uint64_t h = make_type(f, "H", 24, 0, PHI_TPFLAGS_HEAPTYPE);
	uint64_t mro = make_obj(f, f->tuple_t, 24 + 8 * PHI_MAX_BASES);
	uint64_t name = cstr(f, "s"), obj;
	uint32_t t;

	put(f, c + L(OB_SIZE), (uint64_t)nmem);
	put(f, f->meta + L(TP_BASICSIZE), (uint64_t)(first - c));
	for (int64_t i = 0; i < nmem; i++) {
		uint64_t m = first + (uint64_t)(i * msize);

		put(f, m + L(MEMBERDEF_NAME), name);
		put32(f, m + L(MEMBERDEF_TYPE), 6); /* T_OBJECT */
		put(f, m + L(MEMBERDEF_OFFSET), 16);
	}
	put(f, mro + L(OB_SIZE), PHI_MAX_BASES);
	for (int i = 0; i < PHI_MAX_BASES; i++)
		put(f, mro + L(TUPLE_ITEM) + 8 * (uint64_t)i, c);
	put(f, h + L(TP_MRO), mro);
	put(f, h + L(TP_BASE), h);
	obj = make_obj(f, h, 24);
	put(f, obj + 16, make_int(f, 3));
	build(f, hold(f, &obj, 1));
	t = f->h.g.type[node_of(f, obj)];
	print_message("MRO of one class 64 times with 4,096 members: %u "
		      "slots, %u edges\n", f->h.types.v[t].nslots,
		      edges_of(f, obj));
	/* Each member read once at most: 4,096, not 64 x 4,096. */
	assert_true(f->h.types.v[t].nslots <= PHI_MAX_MEMBERS);
	/* tp_base loops: no known kind along it. */
	assert_int_equal(f->h.types.v[t].kind, PHI_K_OPAQUE);
}

/* ---- sizes ----------------------------------------------------------- */

static void test_sizes_saturate(void **state)
{
	struct fx *f = *state;
	uint64_t objs[7];
	struct phi_analysis an;
	struct phi_analysis_opts o = { .top = 5, .suspect_share = 0.5 };
	struct phi_error err = { 0 };
	uint32_t ba;

	/* 5 x 2^62 bytes would wrap to 2^62 + 280. */
	for (int i = 0; i < 5; i++) {
		objs[i] = make_obj(f, f->bytearray_t,
				   (uint64_t)L(BYTEARRAY_SIZE));
		put(f, objs[i] + L(BYTEARRAY_ALLOC), 1ULL << 62);
	}
	/* Ints that claim 2^61 digits the image does not hold. */
	for (int i = 5; i < 7; i++) {
		objs[i] = make_int(f, 1);
		put(f, objs[i] + L(OB_SIZE), 1ULL << 61);
	}
	build(f, hold(f, objs, 7));
	print_message("heap total %llu (saturated at %llu), %llu bad "
		      "fields\n", (unsigned long long)f->h.stats.total_size,
		      (unsigned long long)PHI_SIZE_MAX,
		      (unsigned long long)f->h.stats.bad_fields);
	assert_int_equal(f->h.stats.total_size, PHI_SIZE_MAX);
	ba = f->h.g.type[node_of(f, objs[0])];
	assert_int_equal(f->h.types.v[ba].size, PHI_SIZE_MAX);
	/* The ints: counted as damage, sized as 0 would be. */
	assert_int_equal(phi_graph_size(&f->h.g, node_of(f, objs[5])),
			 L(LONG_DIGIT));
	assert_true(f->h.stats.bad_fields >= 2);
	/* Retained sizes saturate too. */
	assert_int_equal(phi_analysis_run(&an, &f->h, &o, &err), 0);
	assert_int_equal(an.retained.dom.reachable_size, PHI_SIZE_MAX);
	for (size_t i = 0; i < f->h.nroots; i++)
		if (f->h.roots[i].kind == PHI_ROOT_THREAD)
			assert_int_equal(an.retained.dom.retained[
						 f->h.roots[i].node],
					 PHI_SIZE_MAX);
	phi_analysis_release(&an);
}

/* ---- layouts the validation would refuse ------------------------------- */

static void test_unvalidated_layouts(void **state)
{
	struct fx *f = *state;
	uint64_t objs[2], table;

	/* A set of 8 entries with one key, and a dict: sane objects. */
	objs[0] = make_obj(f, f->set_t, (uint64_t)L(SET_SIZE));
	table = objs[0] + (uint64_t)L(SET_SMALLTABLE);
	put(f, objs[0] + L(SET_MASK), 7);
	put(f, objs[0] + L(SET_TABLE), table);
	put(f, table + L(SETENTRY_KEY), make_int(f, 9));
	objs[1] = make_obj(f, f->dict_t, (uint64_t)L(DICT_SIZE));
	{
		uint64_t k = alloc(f, 256);

		put(f, k + L(DK_REFCNT), 1);
		put(f, k + L(DK_SIZE), 8);
		put(f, k + L(DK_NENTRIES), 1);
		put(f, k + L(DK_INDICES) + 8 + L(DKE_KEY), make_int(f, 1));
		put(f, k + L(DK_INDICES) + 8 + L(DKE_VALUE), make_int(f, 2));
		put(f, objs[1] + L(DICT_KEYS), k);
		put(f, objs[1] + L(DICT_USED), 1);
	}
	/* The crafted snapshots' values, past the validation. */
	f->st.layout.v[PHI_L_SETENTRY_SIZE] = 0;
	f->st.layout.v[PHI_L_DKE_KEY] = 1 << 20;
	build(f, hold(f, objs, 2));
	/* Decoded (no SIGFPE, no SIGSEGV), with their contents counted as
	 * unreadable. */
	assert_int_equal(edges_of(f, objs[0]), 0);
	assert_int_equal(edges_of(f, objs[1]), 0);
	assert_true(f->h.stats.bad_fields >= 2);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_frame_self_loop),
		T(test_frame_loop_and_sharing),
		T(test_frame_not_an_object),
		T(test_thread_list_loop),
		T(test_thread_of_another_interp),
		T(test_type_zero),
		T(test_deque_blocks),
		T(test_gc_list_loop_of_junk),
		T(test_gc_list_loop_of_objects),
		T(test_mro_and_bases),
		T(test_sizes_saturate),
		T(test_unvalidated_layouts),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
