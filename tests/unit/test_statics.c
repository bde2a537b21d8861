/* Unit tests for the statics a stripped build lacks (statics.h), on a
 * synthetic image laid out with the built-in 3.10 layout: an object with
 * read-only, writable and executable segments, the static types of
 * collections.deque, collections.defaultdict and BaseException in its
 * data, PyExc_BaseException pointing to the last, a word of its data
 * pointing to an interned-strings dict, and _frozen_importlib with its
 * classes on the heap.  Each static must be found where it was planted,
 * and not be guessed when the memory is ambiguous or does not validate:
 * then it is a gap. */
#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "pyheapinspect/cpython/310/layout.h"
#include "pyheapinspect/cpython/310/py310.h"
#include "pyheapinspect/cpython/310/statics.h"
#include "pyheapinspect/cpython/python.h"
#include "pyheapinspect/source/image.h"

/* The object's segments, and the heap. */
#define RO 0x100000ULL
#define RW 0x200000ULL
#define RX 0x300000ULL
#define HEAP 0x400000ULL
#define RO_SIZE 0x1000
#define RW_SIZE 0x4000
#define HEAP_SIZE 0x40000

/* Types the symbol tables gave (their contents are never read). */
#define TYPE_TYPE (RW + 0x000)
#define DICT_TYPE (RW + 0x200)
#define STR_TYPE (RW + 0x400)
#define MODULE_TYPE (RW + 0x600)
/* What is planted, and must be found. */
#define DEQUE (RW + 0x1000)
#define DEFDICT (RW + 0x1200)
#define BASEEXC (RW + 0x1400)
#define EXC_PTR (RW + 0x1600)
#define INTERNED_WORD (RW + 0x1800)
#define OTHER_WORD (RW + 0x1808)
#define DEALLOC (RX + 0x40)

#define NSTRS 80
#define L(id) PHI_L(&lay, id)
#define TPFLAGS_READY (1UL << 12)

static const char *const statics_what[] = {
	"symbol interned", "symbol _PyExc_BaseException",
	"symbol deque_type", "symbol defdict_type", "symbol subtype_dealloc",
};

static struct phi_layout lay;
static unsigned char ro[RO_SIZE], rw[RW_SIZE], heap[HEAP_SIZE];
static size_t heap_used;
static struct phi_image img;
static struct phi310 st;
static struct phi_python py;
static struct phi_runtime rt;
static uint64_t interned_dict, importlib_classes[3];

static void put(unsigned char *mem, uint64_t base, uint64_t addr,
		uint64_t v)
{
	memcpy(mem + (addr - base), &v, 8);
}

static void put_rw(uint64_t addr, uint64_t v)
{
	put(rw, RW, addr, v);
}

static void put_heap(uint64_t addr, uint64_t v)
{
	put(heap, HEAP, addr, v);
}

/* Room on the heap, 16-aligned. */
static uint64_t alloc(size_t n)
{
	uint64_t a = HEAP + heap_used;

	heap_used += (n + 15) & ~(size_t)15;
	assert_true(heap_used <= HEAP_SIZE);
	return a;
}

/* A compact ASCII str, interned or not. */
static uint64_t make_str(const char *text, bool interned)
{
	size_t len = strlen(text);
	uint64_t a = alloc((size_t)L(ASCII_SIZE) + len + 1);
	uint32_t state = (interned ? 1u : 0u) | 1u << 2 | 1u << 5 |
			 1u << 6 | 1u << 7;

	put_heap(a + L(OB_REFCNT), 1);
	put_heap(a + L(OB_TYPE), STR_TYPE);
	put_heap(a + L(ASCII_LENGTH), len);
	put_heap(a + L(ASCII_HASH), 0x1234 + len);
	memcpy(heap + (a - HEAP) + L(ASCII_STATE), &state, 4);
	memcpy(heap + (a - HEAP) + L(ASCII_SIZE), text, len + 1);
	return a;
}

/* A combined dict of n entries (keys[i], values[i]). */
static uint64_t make_dict(const uint64_t *keys, const uint64_t *values,
			  int n)
{
	const int64_t size = 128;
	uint64_t k = alloc((size_t)(L(DK_INDICES) + size +
				    L(DKE_SIZE) * n));
	uint64_t d = alloc(64), e = k + L(DK_INDICES) + size;

	assert_true(n <= size * 2 / 3);
	put_heap(k + L(DK_REFCNT), 1);
	put_heap(k + L(DK_SIZE), size);
	put_heap(k + L(DK_USABLE), size * 2 / 3 - n);
	put_heap(k + L(DK_NENTRIES), n);
	for (int i = 0; i < n; i++) {
		put_heap(e + L(DKE_HASH), 0x77 + i);
		put_heap(e + L(DKE_KEY), keys[i]);
		put_heap(e + L(DKE_VALUE), values[i]);
		e += L(DKE_SIZE);
	}
	put_heap(d + L(OB_REFCNT), 1);
	put_heap(d + L(OB_TYPE), DICT_TYPE);
	put_heap(d + L(DICT_USED), n);
	put_heap(d + L(DICT_KEYS), k);
	put_heap(d + L(DICT_VALUES), 0);
	return d;
}

/* An interned-strings dict: every key an interned str, its own value. */
static uint64_t make_interned(const char *prefix)
{
	uint64_t k[NSTRS];
	char text[32];

	for (int i = 0; i < NSTRS; i++) {
		snprintf(text, sizeof(text), "%s%d", prefix, i);
		k[i] = make_str(text, true);
	}
	return make_dict(k, k, NSTRS);
}

static void static_type(uint64_t t, uint64_t name, int64_t basicsize)
{
	put_rw(t + L(OB_REFCNT), 1);
	put_rw(t + L(OB_TYPE), TYPE_TYPE);
	put_rw(t + L(TP_NAME), name);
	put_rw(t + L(TP_BASICSIZE), (uint64_t)basicsize);
	put_rw(t + L(TP_FLAGS), TPFLAGS_READY);
}

static uint64_t heap_type(uint64_t dealloc)
{
	uint64_t t = alloc((size_t)L(HT_SIZE));

	put_heap(t + L(OB_REFCNT), 3);
	put_heap(t + L(OB_TYPE), TYPE_TYPE);
	put_heap(t + L(TP_FLAGS), TPFLAGS_READY | PHI_TPFLAGS_HEAPTYPE);
	put_heap(t + L(TP_DEALLOC), dealloc);
	return t;
}

static uint64_t ro_str(size_t off, const char *text)
{
	memcpy(ro + off, text, strlen(text) + 1);
	return RO + off;
}

/* The whole target, every static findable. */
static int build(void **state)
{
	static const char *const classes[3] = {
		"ModuleSpec", "BuiltinImporter", "FrozenImporter",
	};
	struct phi_error err = { 0 };
	uint64_t keys[3], other_k[NSTRS], module;

	(void)state;
	memset(ro, 0, sizeof(ro));
	memset(rw, 0, sizeof(rw));
	memset(heap, 0, sizeof(heap));
	heap_used = 0;
	memset(&st, 0, sizeof(st));
	memset(&py, 0, sizeof(py));
	memset(&rt, 0, sizeof(rt));
	phi_layout_builtin(&lay);
	st.layout = lay;
	/* every other symbol the decoders need was in .dynsym */
	for (int i = 0; i < PHI_S__COUNT; i++)
		st.sym[i] = 0x900000 + 8 * (uint64_t)i;
	st.sym[PHI_S_TYPE_TYPE] = TYPE_TYPE;
	st.sym[PHI_S_DICT_TYPE] = DICT_TYPE;
	st.sym[PHI_S_UNICODE_TYPE] = STR_TYPE;
	st.sym[PHI_S_MODULE_TYPE] = MODULE_TYPE;
	st.sym[PHI_S_BASEEXC_PTR] = EXC_PTR;
	st.sym[PHI_S_INTERNED] = st.sym[PHI_S_BASEEXC_TYPE] = 0;
	st.sym[PHI_S_DEQUE_TYPE] = st.sym[PHI_S_DEFDICT_TYPE] = 0;
	st.sym[PHI_S_SUBTYPE_DEALLOC] = 0;
	st.seg[0] = (struct phi_elf_segment){ RO, RO_SIZE, PF_R };
	st.seg[1] = (struct phi_elf_segment){ RW, RW_SIZE, PF_R | PF_W };
	st.seg[2] = (struct phi_elf_segment){ RX, 0x1000, PF_R | PF_X };
	st.nseg = 3;
	py.impl = &st;

	/* "collections.deque" also ends a longer text: both are looked at */
	ro_str(0x08, "not.collections.deque");
	static_type(DEQUE, ro_str(0x40, "collections.deque"),
		    L(DEQUE_SIZE));
	static_type(DEFDICT, ro_str(0x80, "collections.defaultdict"),
		    L(DEFDICT_FACTORY) + 8);
	static_type(BASEEXC, ro_str(0xc0, "BaseException"), 88);
	put_rw(EXC_PTR, BASEEXC);

	interned_dict = make_interned("interned ");
	put_rw(INTERNED_WORD, interned_dict);
	/* a dict as large whose values are not its keys */
	for (int i = 0; i < NSTRS; i++)
		other_k[i] = make_str("k", true);
	put_rw(OTHER_WORD, make_dict(other_k, other_k + 1, NSTRS - 1));

	for (int i = 0; i < 3; i++) {
		keys[i] = make_str(classes[i], false);
		importlib_classes[i] = heap_type(DEALLOC);
	}
	module = alloc(64);
	put_heap(module + L(OB_REFCNT), 1);
	put_heap(module + L(OB_TYPE), MODULE_TYPE);
	put_heap(module + L(MODULE_DICT),
		 make_dict(keys, importlib_classes, 3));
	rt.ninterps = 1;
	rt.interp_main = rt.interps[0].addr = 0x800000;
	rt.interps[0].importlib = module;

	phi_image_init(&img);
	assert_int_equal(phi_image_add(&img, RO, ro, sizeof(ro), false, &err),
			 0);
	assert_int_equal(phi_image_add(&img, RW, rw, sizeof(rw), false, &err),
			 0);
	assert_int_equal(phi_image_add(&img, HEAP, heap, sizeof(heap), false,
				       &err), 0);
	return 0;
}

static int release(void **state)
{
	(void)state;
	phi_image_release(&img);
	return 0;
}

static void run(void)
{
	struct phi_error err = { 0 };

	assert_int_equal(phi310_statics(&py, &img, &rt, &err), 0);
}

static bool has_gap(const char *what)
{
	for (size_t i = 0; i < py.gaps.n; i++)
		if (strcmp(py.gaps.v[i].what, what) == 0)
			return true;
	return false;
}

/* Exactly the gaps named (a subset of statics_what), no other. */
static void expect_gaps(const char *const *what, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!has_gap(what[i]))
			fail_msg("no gap '%s'", what[i]);
	if (py.gaps.n != n)
		fail_msg("%zu gaps, expected %zu (first: '%s')", py.gaps.n, n,
			 py.gaps.n ? py.gaps.v[0].what : "");
}

static void test_all_found(void **state)
{
	(void)state;
	run();
	assert_int_equal(st.sym[PHI_S_DEQUE_TYPE], DEQUE);
	assert_int_equal(st.sym[PHI_S_DEFDICT_TYPE], DEFDICT);
	assert_int_equal(st.sym[PHI_S_BASEEXC_TYPE], BASEEXC);
	assert_int_equal(st.sym[PHI_S_INTERNED], INTERNED_WORD);
	assert_int_equal(st.sym[PHI_S_SUBTYPE_DEALLOC], DEALLOC);
	expect_gaps(NULL, 0);
	assert_non_null(strstr(py.symbols_note, "found in memory: "));
	assert_non_null(strstr(py.symbols_note, "interned ("));
}

/* A type PyType_Ready has not seen yet (no module imported it) is found
 * all the same: its tp_name is set at compile time. */
static void test_unready_type(void **state)
{
	(void)state;
	put_rw(DEQUE + L(OB_TYPE), 0);
	run();
	assert_int_equal(st.sym[PHI_S_DEQUE_TYPE], DEQUE);
	expect_gaps(NULL, 0);
}

/* Symbols the symbol tables gave are kept, and nothing is searched. */
static void test_known_kept(void **state)
{
	(void)state;
	st.sym[PHI_S_INTERNED] = 0x123458;
	st.sym[PHI_S_DEQUE_TYPE] = 0x123460;
	run();
	assert_int_equal(st.sym[PHI_S_INTERNED], 0x123458);
	assert_int_equal(st.sym[PHI_S_DEQUE_TYPE], 0x123460);
	assert_null(strstr(py.symbols_note, "interned ("));
	expect_gaps(NULL, 0);
}

/* Two dicts of the interned shape: no guess. */
static void test_interned_ambiguous(void **state)
{
	(void)state;
	put_rw(OTHER_WORD, make_interned("other "));
	run();
	assert_int_equal(st.sym[PHI_S_INTERNED], 0);
	expect_gaps(statics_what, 1);
	/* two words pointing to the same dict are not ambiguous */
	st.sym[PHI_S_INTERNED] = 0;
	py.gaps.n = 0;
	put_rw(OTHER_WORD, interned_dict);
	run();
	assert_int_equal(st.sym[PHI_S_INTERNED], INTERNED_WORD);
	expect_gaps(NULL, 0);
}

/* A dict of the interned shape but for one str that is not interned,
 * or too small to be the interpreter's, is not it. */
static void test_interned_shape(void **state)
{
	uint64_t k[NSTRS];
	char text[32];

	(void)state;
	for (int i = 0; i < NSTRS; i++) {
		snprintf(text, sizeof(text), "s%d", i);
		k[i] = make_str(text, i != 17);
	}
	put_rw(INTERNED_WORD, make_dict(k, k, NSTRS));
	put_rw(OTHER_WORD, make_dict(k + 18, k + 18, 20));
	run();
	assert_int_equal(st.sym[PHI_S_INTERNED], 0);
	expect_gaps(statics_what, 1);
}

/* Each found static must validate: a deque type of another size, a
 * defaultdict that is a heap type, a PyExc_BaseException pointing to
 * another type, classes of _frozen_importlib that disagree. */
static void test_validation(void **state)
{
	(void)state;
	put_rw(DEQUE + L(TP_BASICSIZE), 96);
	put_rw(DEFDICT + L(TP_FLAGS), TPFLAGS_READY | PHI_TPFLAGS_HEAPTYPE);
	put_rw(BASEEXC + L(TP_NAME), RO + 0x08);
	put_heap(importlib_classes[1] + L(TP_DEALLOC), DEALLOC + 0x100);
	run();
	assert_int_equal(st.sym[PHI_S_DEQUE_TYPE], 0);
	assert_int_equal(st.sym[PHI_S_DEFDICT_TYPE], 0);
	assert_int_equal(st.sym[PHI_S_BASEEXC_TYPE], 0);
	assert_int_equal(st.sym[PHI_S_SUBTYPE_DEALLOC], 0);
	assert_int_equal(st.sym[PHI_S_INTERNED], INTERNED_WORD);
	expect_gaps(statics_what + 1, 4);
}

/* A deallocator outside the object's code, and two deque types. */
static void test_outside_and_twice(void **state)
{
	(void)state;
	for (int i = 0; i < 3; i++)
		put_heap(importlib_classes[i] + L(TP_DEALLOC), HEAP + 0x10);
	memcpy(rw + 0x2000, rw + (DEQUE - RW), (size_t)L(TP_SIZE));
	run();
	assert_int_equal(st.sym[PHI_S_SUBTYPE_DEALLOC], 0);
	assert_int_equal(st.sym[PHI_S_DEQUE_TYPE], 0);
	expect_gaps((const char *const[]){ "symbol deque_type",
					   "symbol subtype_dealloc" }, 2);
}

/* Without the object's segments nothing can be looked for: every static
 * is a gap saying what it costs, and so is any other symbol missing. */
static void test_no_segments(void **state)
{
	(void)state;
	st.nseg = 0;
	st.sym[PHI_S_LIST_TYPE] = 0;
	run();
	expect_gaps((const char *const[]){
			    "symbol interned", "symbol _PyExc_BaseException",
			    "symbol deque_type", "symbol defdict_type",
			    "symbol subtype_dealloc", "symbol PyList_Type" },
		    6);
	for (size_t i = 0; i < py.gaps.n; i++) {
		assert_int_equal(py.gaps.v[i].objects, -1);
		assert_non_null(strstr(py.gaps.v[i].why, "--debug-dir"));
	}
	for (size_t i = 0; i < py.gaps.n; i++)
		if (strcmp(py.gaps.v[i].what, "symbol deque_type") == 0)
			assert_non_null(strstr(py.gaps.v[i].why,
					       "deques are opaque"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_all_found, build,
						release),
		cmocka_unit_test_setup_teardown(test_unready_type, build,
						release),
		cmocka_unit_test_setup_teardown(test_known_kept, build,
						release),
		cmocka_unit_test_setup_teardown(test_interned_ambiguous,
						build, release),
		cmocka_unit_test_setup_teardown(test_interned_shape, build,
						release),
		cmocka_unit_test_setup_teardown(test_validation, build,
						release),
		cmocka_unit_test_setup_teardown(test_outside_and_twice, build,
						release),
		cmocka_unit_test_setup_teardown(test_no_segments, build,
						release),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
