/* Unit tests for the decoders of the interpreter state, on synthetic
 * memory images built with the built-in 3.10 layout: the small-int cache
 * (smallints.h) intact and with corrupt slots, int objects (pylong.h)
 * from 0 to past int64 and malformed, and _PyRuntime's interpreter list
 * (runtime.h) including loops and an uninitialised runtime. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "pyheapinspect/source/image.h"
#include "pyheapinspect/cpython/310/layout.h"
#include "pyheapinspect/cpython/310/long.h"
#include "pyheapinspect/cpython/310/runtime.h"
#include "pyheapinspect/cpython/310/smallints.h"
#include "pyheapinspect/cpython/ops.h"
#include "pyheapinspect/cpython/python.h"
#include "pyheapinspect/cpython/310/py310.h"

/* Fake target addresses. */
#define INTERP 0x10000ULL
#define INTS 0x200000ULL
#define LONGS 0x300000ULL
#define RUNTIME 0x20000ULL
#define INTERP_A 0x100000ULL
#define INTERP_B 0x110000ULL
#define LONG_TYPE 0x7000ULL
#define OTHER_TYPE 0x7100ULL
#define OUTSIDE 0xdead0000ULL

#define OBJ_SIZE 32 /* header 24 + one digit, rounded up */
#define INTERP_SIZE 1024

static struct phi_layout lay;
static unsigned char interp_mem[8192];
static unsigned char ints_mem[PHI_SMALL_INTS * OBJ_SIZE];
static unsigned char longs_mem[4096];
static unsigned char rt_mem[1024];
static unsigned char interps_mem[PHI_MAX_INTERPS + 1][INTERP_SIZE];
static struct phi310 target_state;
static struct phi_python target;

static void put_u64(unsigned char *buf, int64_t off, uint64_t v)
{
	memcpy(buf + off, &v, 8);
}

static void put_u32(unsigned char *buf, int64_t off, uint32_t v)
{
	memcpy(buf + off, &v, 4);
}

static int setup(void **state)
{
	(void)state;
	phi_layout_builtin(&lay);
	return 0;
}

static void add(struct phi_image *img, uint64_t start, const void *data,
		size_t len)
{
	struct phi_error err = { 0 };

	if (phi_image_add(img, start, data, len, false, &err) != 0)
		fail_msg("phi_image_add: %s", err.msg);
}

/* ---- Small ints */

static uint64_t int_addr(int value)
{
	return INTS + (uint64_t)(value + PHI_SMALL_NEG_INTS) * OBJ_SIZE;
}

static int64_t int_refcnt(int value)
{
	return 1000 + value;
}

/* One-digit int (or zero digits for 0) as CPython 3.10 lays it out. */
static void put_small_long(unsigned char *obj, int64_t refcnt, uint64_t type,
			   int value)
{
	put_u64(obj, PHI_L(&lay, OB_REFCNT), (uint64_t)refcnt);
	put_u64(obj, PHI_L(&lay, OB_TYPE), type);
	put_u64(obj, PHI_L(&lay, OB_SIZE),
		(uint64_t)(int64_t)(value > 0 ? 1 : value < 0 ? -1 : 0));
	put_u32(obj, PHI_L(&lay, LONG_DIGIT),
		(uint32_t)(value < 0 ? -value : value));
}

/* A consistent cache: slot i -> the int i - 5. */
static void build_small_ints(struct phi_image *img)
{
	memset(interp_mem, 0, sizeof(interp_mem));
	memset(ints_mem, 0, sizeof(ints_mem));
	for (int v = -PHI_SMALL_NEG_INTS; v < PHI_SMALL_POS_INTS; v++) {
		int i = v + PHI_SMALL_NEG_INTS;

		put_small_long(ints_mem + i * OBJ_SIZE, int_refcnt(v),
			       LONG_TYPE, v);
		put_u64(interp_mem, PHI_L(&lay, IS_SMALL_INTS) + 8 * i,
			int_addr(v));
	}
	phi_image_init(img);
	add(img, INTERP, interp_mem, sizeof(interp_mem));
	add(img, INTS, ints_mem, sizeof(ints_mem));
}

static void set_slot(int value, uint64_t addr)
{
	put_u64(interp_mem,
		PHI_L(&lay, IS_SMALL_INTS) + 8 * (value + PHI_SMALL_NEG_INTS),
		addr);
}

static unsigned char *obj_of(int value)
{
	return ints_mem + (value + PHI_SMALL_NEG_INTS) * OBJ_SIZE;
}

static void read_cache(struct phi_small_ints *s, const struct phi_image *img)
{
	struct phi_error err = { 0 };
	int rc = phi_small_ints_read(s, img, &lay, INTERP, LONG_TYPE, &err);

	if (rc != 0)
		fail_msg("phi_small_ints_read: %d: %s", rc, err.msg);
}

static void test_small_ints_intact(void **state)
{
	static struct phi_small_ints s;
	struct phi_image img;

	(void)state;
	build_small_ints(&img);
	read_cache(&s, &img);
	assert_int_equal(s.mismatches, 0);
	for (int i = 0; i < PHI_SMALL_INTS; i++) {
		const struct phi_small_int *e = &s.v[i];
		int v = i - 5;

		assert_int_equal(e->value, v);
		assert_int_equal(e->address, int_addr(v));
		assert_int_equal(e->refcnt, int_refcnt(v));
		assert_true(e->readable);
		assert_true(e->type_ok);
		assert_true(e->value_ok);
		assert_int_equal(e->decoded, v);
	}
	assert_int_equal(s.v[0].value, -5);
	assert_int_equal(s.v[PHI_SMALL_INTS - 1].value, 256);
	assert_int_equal(s.v[5].address, INTS + 5 * OBJ_SIZE);
	phi_image_release(&img);
}

static void test_small_ints_corrupt(void **state)
{
	static struct phi_small_ints s;
	struct phi_image img;

	(void)state;
	build_small_ints(&img);
	/* 7's object holds 9. */
	put_u32(obj_of(7), PHI_L(&lay, LONG_DIGIT), 9);
	/* 100's slot points outside the image, 200's is NULL. */
	set_slot(100, OUTSIDE);
	set_slot(200, 0);
	/* -3's object is not an int. */
	put_u64(obj_of(-3), PHI_L(&lay, OB_TYPE), OTHER_TYPE);
	read_cache(&s, &img);
	assert_int_equal(s.mismatches, 4);

	for (int i = 0; i < PHI_SMALL_INTS; i++) {
		const struct phi_small_int *e = &s.v[i];
		int v = i - 5;

		assert_int_equal(e->value, v);
		switch (v) {
		case 7:
			assert_int_equal(e->address, int_addr(7));
			assert_true(e->readable);
			assert_true(e->type_ok);
			assert_false(e->value_ok);
			assert_int_equal(e->decoded, 9);
			assert_int_equal(e->refcnt, int_refcnt(7));
			break;
		case 100:
			assert_int_equal(e->address, OUTSIDE);
			assert_false(e->readable);
			assert_false(e->value_ok);
			break;
		case 200:
			assert_int_equal(e->address, 0);
			assert_false(e->readable);
			assert_false(e->value_ok);
			break;
		case -3:
			assert_int_equal(e->address, int_addr(-3));
			assert_true(e->readable);
			assert_false(e->type_ok);
			assert_false(e->value_ok);
			/* The digits still decode. */
			assert_int_equal(e->decoded, -3);
			break;
		default:
			assert_true(e->readable);
			assert_true(e->type_ok);
			assert_true(e->value_ok);
			assert_int_equal(e->decoded, v);
		}
	}
	phi_image_release(&img);
}

/* The header is in the image but the digit is not. */
static void test_small_ints_digits_missing(void **state)
{
	static struct phi_small_ints s;
	static unsigned char tail[28];
	struct phi_image img;

	(void)state;
	build_small_ints(&img);
	put_small_long(tail, 5, LONG_TYPE, 42);
	/* Only the 24 header bytes are in the image. */
	add(&img, 0x400000, tail, 24);
	set_slot(42, 0x400000);
	read_cache(&s, &img);
	assert_int_equal(s.mismatches, 1);
	assert_true(s.v[47].readable);
	assert_true(s.v[47].type_ok);
	assert_false(s.v[47].value_ok);
	assert_int_equal(s.v[47].refcnt, 5);
	assert_int_equal(s.v[47].decoded, 0);
	phi_image_release(&img);
}

static void test_small_ints_cache_missing(void **state)
{
	static struct phi_small_ints s;
	struct phi_image img;
	struct phi_error err = { 0 };
	size_t end = (size_t)PHI_L(&lay, IS_SMALL_INTS) + 8 * PHI_SMALL_INTS;

	(void)state;
	/* No interpreter at all. */
	phi_image_init(&img);
	assert_int_equal(phi_small_ints_read(&s, &img, &lay, INTERP,
					     LONG_TYPE, &err),
			 -PHI_E_CORRUPT);
	assert_int_equal(err.code, PHI_E_CORRUPT);
	/* 3512 + 8 * 0x10000 -> 0x10db8: the cache's address in hex. */
	assert_non_null(strstr(err.msg, "0x10db8"));
	/* The array one slot short. */
	add(&img, INTERP, interp_mem, end - 8);
	assert_int_equal(phi_small_ints_read(&s, &img, &lay, INTERP,
					     LONG_TYPE, &err),
			 -PHI_E_CORRUPT);
	phi_image_release(&img);
	/* Exactly long enough. */
	phi_image_init(&img);
	add(&img, INTERP, interp_mem, end);
	assert_int_equal(phi_small_ints_read(&s, &img, &lay, INTERP,
					     LONG_TYPE, &err), 0);
	phi_image_release(&img);
}

/* ---- int objects */

/* An int at LONGS + off with the given ob_size and digits. */
static uint64_t put_long(size_t off, int64_t ob_size, const uint32_t *digits,
			 size_t n)
{
	unsigned char *o = longs_mem + off;

	put_u64(o, PHI_L(&lay, OB_REFCNT), 1);
	put_u64(o, PHI_L(&lay, OB_TYPE), LONG_TYPE);
	put_u64(o, PHI_L(&lay, OB_SIZE), (uint64_t)ob_size);
	for (size_t i = 0; i < n; i++)
		put_u32(o, PHI_L(&lay, LONG_DIGIT) + 4 * (int64_t)i, digits[i]);
	return LONGS + off;
}

static void expect_long(const struct phi_image *img, uint64_t addr,
			int64_t ob_size, bool fits, int64_t value)
{
	struct phi_long l;

	memset(&l, 0x77, sizeof(l));
	if (!phi_long_read(img, &lay, addr, &l))
		fail_msg("phi_long_read(0x%llx) failed",
			 (unsigned long long)addr);
	assert_int_equal(l.ob_size, ob_size);
	assert_int_equal(l.fits, fits);
	if (fits)
		assert_int_equal(l.value, value);
}

static void test_long_values(void **state)
{
	const uint32_t max = (1u << 30) - 1;
	struct phi_image img;
	uint64_t a[11];

	(void)state;
	memset(longs_mem, 0, sizeof(longs_mem));
	a[0] = put_long(0x000, 0, NULL, 0);
	a[1] = put_long(0x040, -1, (const uint32_t[]){ 7 }, 1);
	a[2] = put_long(0x080, 2, (const uint32_t[]){ 0, 1 }, 2);
	a[3] = put_long(0x0c0, 3, (const uint32_t[]){ 5, 0, 1 }, 3);
	a[4] = put_long(0x100, -3, (const uint32_t[]){ 0, 0, 4 }, 3);
	a[5] = put_long(0x140, 3, (const uint32_t[]){ max, max, 7 }, 3);
	a[6] = put_long(0x180, 1, (const uint32_t[]){ max }, 1);
	a[7] = put_long(0x1c0, -2, (const uint32_t[]){ 123, 456 }, 2);
	a[8] = put_long(0x200, 3, (const uint32_t[]){ 0, 0, 8 }, 3);
	a[9] = put_long(0x240, 4, (const uint32_t[]){ 0, 0, 0, 1 }, 4);
	a[10] = put_long(0x280, -3, (const uint32_t[]){ 0, 0, 8 }, 3);
	phi_image_init(&img);
	add(&img, LONGS, longs_mem, sizeof(longs_mem));

	expect_long(&img, a[0], 0, true, 0);
	expect_long(&img, a[1], -1, true, -7);
	expect_long(&img, a[2], 2, true, 1073741824);            /* 2^30 */
	expect_long(&img, a[3], 3, true, 1152921504606846981LL); /* 2^60+5 */
	expect_long(&img, a[4], -3, true, -4611686018427387904LL); /* -2^62 */
	expect_long(&img, a[5], 3, true, INT64_MAX);             /* 2^63-1 */
	expect_long(&img, a[6], 1, true, 1073741823);
	/* -(123 + 456 * 2^30) */
	expect_long(&img, a[7], -2, true, -489626271867LL);
	/* 2^63 and 2^90 do not fit. */
	expect_long(&img, a[8], 3, false, 0);
	expect_long(&img, a[9], 4, false, 0);
	/* -2^63 is the one 64-bit value whose magnitude is 2^63. */
	expect_long(&img, a[10], -3, true, INT64_MIN);
	phi_image_release(&img);
}

static void test_long_malformed(void **state)
{
	struct phi_image img;
	struct phi_long l;
	uint64_t bit30, bit31, late, huge, neg_huge, min, short_digits;

	(void)state;
	memset(longs_mem, 0, sizeof(longs_mem));
	bit30 = put_long(0x000, 1, (const uint32_t[]){ 1u << 30 }, 1);
	bit31 = put_long(0x040, -1, (const uint32_t[]){ 1u << 31 }, 1);
	/* A bad digit past the third still makes it invalid. */
	late = put_long(0x080, 5,
			(const uint32_t[]){ 1, 2, 3, 4, 0xffffffff }, 5);
	huge = put_long(0x100, (int64_t)1 << 40, (const uint32_t[]){ 1 }, 1);
	neg_huge = put_long(0x140, -((int64_t)1 << 40), NULL, 0);
	min = put_long(0x180, INT64_MIN, NULL, 0);
	/* Two digits announced, the image ends after the first. */
	short_digits = sizeof(longs_mem) - 28;
	put_long(short_digits, 2, (const uint32_t[]){ 1 }, 1);
	short_digits += LONGS;
	phi_image_init(&img);
	add(&img, LONGS, longs_mem, sizeof(longs_mem));

	assert_false(phi_long_read(&img, &lay, bit30, &l));
	assert_false(phi_long_read(&img, &lay, bit31, &l));
	assert_false(phi_long_read(&img, &lay, late, &l));
	assert_false(phi_long_read(&img, &lay, huge, &l));
	assert_false(phi_long_read(&img, &lay, neg_huge, &l));
	assert_false(phi_long_read(&img, &lay, min, &l));
	assert_false(phi_long_read(&img, &lay, short_digits, &l));
	/* Header not in the image, or cut short. */
	assert_false(phi_long_read(&img, &lay, 0x10, &l));
	assert_false(phi_long_read(&img, &lay, LONGS + sizeof(longs_mem) - 20,
				   &l));
	/* With one digit fewer announced, the short one is fine. */
	put_u64(longs_mem, (int64_t)(short_digits - LONGS) +
		PHI_L(&lay, OB_SIZE), 1);
	expect_long(&img, short_digits, 1, true, 1);
	phi_image_release(&img);
}

/* ---- _PyRuntime and the interpreters */

static void init_target(void)
{
	memset(&target, 0, sizeof(target));
	memset(&target_state, 0, sizeof(target_state));
	phi_layout_builtin(&target_state.layout);
	target.ops = &phi_cpython310_ops;
	target.impl = &target_state;
	target.runtime = RUNTIME;
}

static uint64_t interp_addr(size_t i)
{
	return INTERP_A + (uint64_t)i * 0x10000;
}

/* Interpreter i at interp_addr(i): fields derived from i, next given. */
static void put_interp(size_t i, uint64_t next)
{
	unsigned char *p = interps_mem[i];
	uint64_t base = 0xa000000 + (uint64_t)i * 0x1000;

	memset(p, 0, INTERP_SIZE);
	put_u64(p, PHI_L(&lay, IS_NEXT), next);
	put_u64(p, PHI_L(&lay, IS_TSTATE_HEAD), base + 1);
	put_u64(p, PHI_L(&lay, IS_ID), i);
	put_u64(p, PHI_L(&lay, IS_MODULES), base + 2);
	put_u64(p, PHI_L(&lay, IS_SYSDICT), base + 3);
	put_u64(p, PHI_L(&lay, IS_BUILTINS), base + 4);
	put_u64(p, PHI_L(&lay, IS_IMPORTLIB), base + 5);
	put_u32(p, PHI_L(&lay, IS_GC_COLLECTING), (uint32_t)i);
}

static void build_runtime(struct phi_image *img, uint64_t head,
			  uint64_t main_interp, size_t ninterps)
{
	memset(rt_mem, 0, sizeof(rt_mem));
	put_u64(rt_mem, PHI_L(&lay, RT_INTERP_HEAD), head);
	put_u64(rt_mem, PHI_L(&lay, RT_INTERP_MAIN), main_interp);
	phi_image_init(img);
	add(img, RUNTIME, rt_mem, sizeof(rt_mem));
	for (size_t i = 0; i < ninterps; i++)
		add(img, interp_addr(i), interps_mem[i], INTERP_SIZE);
	init_target();
}

static void test_runtime_two_interps(void **state)
{
	static struct phi_runtime rt;
	struct phi_image img;
	struct phi_error err = { 0 };
	int rc;

	(void)state;
	/* As CPython links them: the newest (1) first, main (0) last. */
	put_interp(0, 0);
	put_interp(1, interp_addr(0));
	build_runtime(&img, interp_addr(1), interp_addr(0), 2);
	rc = phi310_runtime(&target, &img, &rt, &err);
	if (rc != 0)
		fail_msg("phi310_runtime: %d: %s", rc, err.msg);
	assert_int_equal(rt.runtime, RUNTIME);
	assert_int_equal(rt.interp_main, INTERP_A);
	assert_int_equal(rt.ninterps, 2);
	assert_int_equal(rt.interps[0].addr, INTERP_B);
	assert_int_equal(rt.interps[1].addr, INTERP_A);
	assert_int_equal(rt.interps[0].tstate_head, 0xa001001);
	assert_int_equal(rt.interps[0].modules, 0xa001002);
	assert_int_equal(rt.interps[0].sysdict, 0xa001003);
	assert_int_equal(rt.interps[0].builtins, 0xa001004);
	assert_int_equal(rt.interps[0].importlib, 0xa001005);
	assert_int_equal(rt.interps[0].gc_collecting, 1);
	assert_int_equal(rt.interps[1].tstate_head, 0xa000001);
	assert_int_equal(rt.interps[1].modules, 0xa000002);
	assert_int_equal(rt.interps[1].sysdict, 0xa000003);
	assert_int_equal(rt.interps[1].gc_collecting, 0);
	assert_int_equal(rt.interps[0].id, 1);
	assert_int_equal(rt.interps[1].id, 0);
	assert_false(phi_runtime_is_main(&rt, 0));
	assert_true(phi_runtime_is_main(&rt, 1));
	assert_int_equal(phi_runtime_find_id(&rt, 1), 0);
	assert_int_equal(phi_runtime_find_id(&rt, 0), 1);
	assert_int_equal(phi_runtime_find_id(&rt, 2), PHI_MAX_INTERPS);
	phi_image_release(&img);
}

static void expect_runtime_error(struct phi_image *img, const char *part)
{
	static struct phi_runtime rt;
	struct phi_error err = { 0 };

	assert_int_equal(phi310_runtime(&target, img, &rt, &err),
			 -PHI_E_CORRUPT);
	assert_int_equal(err.code, PHI_E_CORRUPT);
	if (!strstr(err.msg, part))
		fail_msg("message '%s' lacks '%s'", err.msg, part);
}

static void test_runtime_loops(void **state)
{
	struct phi_image img;

	(void)state;
	/* 1 -> 0 -> 1 -> ... */
	put_interp(0, interp_addr(1));
	put_interp(1, interp_addr(0));
	build_runtime(&img, interp_addr(1), interp_addr(0), 2);
	expect_runtime_error(&img, "loops");
	phi_image_release(&img);
	/* An interpreter that is its own next. */
	put_interp(0, interp_addr(0));
	build_runtime(&img, interp_addr(0), interp_addr(0), 1);
	expect_runtime_error(&img, "loops");
	phi_image_release(&img);
	/* 2 -> 1 -> 0 -> 1: the loop does not go back to the head. */
	put_interp(0, interp_addr(1));
	put_interp(1, interp_addr(0));
	put_interp(2, interp_addr(1));
	build_runtime(&img, interp_addr(2), interp_addr(0), 3);
	expect_runtime_error(&img, "loops");
	phi_image_release(&img);
}

/* Interpreters are named by id (paths, --expr): two with one id, a
 * negative id, or a main interpreter not in the list is damage. */
static void test_runtime_bad_ids(void **state)
{
	struct phi_image img;

	(void)state;
	put_interp(0, 0);
	put_interp(1, interp_addr(0));
	put_u64(interps_mem[1], PHI_L(&lay, IS_ID), 0);
	build_runtime(&img, interp_addr(1), interp_addr(0), 2);
	expect_runtime_error(&img, "two interpreters have id 0");
	phi_image_release(&img);
	put_interp(1, interp_addr(0));
	put_u64(interps_mem[1], PHI_L(&lay, IS_ID), (uint64_t)-3);
	build_runtime(&img, interp_addr(1), interp_addr(0), 2);
	expect_runtime_error(&img, "has id -3");
	phi_image_release(&img);
	put_interp(1, interp_addr(0));
	build_runtime(&img, interp_addr(1), interp_addr(2), 2);
	expect_runtime_error(&img, "not in the interpreter list");
	phi_image_release(&img);
}

static void test_runtime_too_many(void **state)
{
	struct phi_image img;

	(void)state;
	/* A chain one longer than the bound, without a loop. */
	for (size_t i = 0; i <= PHI_MAX_INTERPS; i++)
		put_interp(i, i ? interp_addr(i - 1) : 0);
	build_runtime(&img, interp_addr(PHI_MAX_INTERPS), interp_addr(0),
		      PHI_MAX_INTERPS + 1);
	expect_runtime_error(&img, "more than 64 interpreters");
	phi_image_release(&img);
	/* Exactly the bound is accepted. */
	put_interp(0, 0);
	for (size_t i = 1; i < PHI_MAX_INTERPS; i++)
		put_interp(i, interp_addr(i - 1));
	build_runtime(&img, interp_addr(PHI_MAX_INTERPS - 1), interp_addr(0),
		      PHI_MAX_INTERPS);
	{
		static struct phi_runtime rt;
		struct phi_error err = { 0 };

		assert_int_equal(phi310_runtime(&target, &img, &rt, &err),
				 0);
		assert_int_equal(rt.ninterps, PHI_MAX_INTERPS);
		assert_int_equal(rt.interps[PHI_MAX_INTERPS - 1].addr,
				 INTERP_A);
	}
	phi_image_release(&img);
}

static void test_runtime_not_initialised(void **state)
{
	struct phi_image img;

	(void)state;
	put_interp(0, 0);
	/* head NULL */
	build_runtime(&img, 0, interp_addr(0), 1);
	expect_runtime_error(&img, "not initialised");
	phi_image_release(&img);
	/* main NULL */
	build_runtime(&img, interp_addr(0), 0, 1);
	expect_runtime_error(&img, "not initialised");
	phi_image_release(&img);
}

static void test_runtime_unreadable(void **state)
{
	struct phi_image img;

	(void)state;
	/* _PyRuntime itself not in the image. */
	phi_image_init(&img);
	init_target();
	expect_runtime_error(&img, "_PyRuntime.interpreters.main");
	phi_image_release(&img);
	/* The head points outside the image. */
	put_interp(0, 0);
	build_runtime(&img, OUTSIDE, interp_addr(0), 1);
	expect_runtime_error(&img, "interp->tstate_head");
	phi_image_release(&img);
	/* next points outside the image. */
	put_interp(0, OUTSIDE);
	build_runtime(&img, interp_addr(0), interp_addr(0), 1);
	expect_runtime_error(&img, "0xdead0008");
	phi_image_release(&img);
	/* An interpreter whose gc.collecting (4 bytes at 816) falls in a
	 * hole of the image while every pointer field is readable. */
	put_interp(0, 0);
	memset(rt_mem, 0, sizeof(rt_mem));
	put_u64(rt_mem, PHI_L(&lay, RT_INTERP_HEAD), interp_addr(0));
	put_u64(rt_mem, PHI_L(&lay, RT_INTERP_MAIN), interp_addr(0));
	phi_image_init(&img);
	add(&img, RUNTIME, rt_mem, sizeof(rt_mem));
	add(&img, interp_addr(0), interps_mem[0],
	    (size_t)PHI_L(&lay, IS_GC_COLLECTING) + 2);
	add(&img, interp_addr(0) + 824, interps_mem[0] + 824,
	    INTERP_SIZE - 824);
	init_target();
	expect_runtime_error(&img, "gc.collecting");
	phi_image_release(&img);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_ints_intact),
		cmocka_unit_test(test_small_ints_corrupt),
		cmocka_unit_test(test_small_ints_digits_missing),
		cmocka_unit_test(test_small_ints_cache_missing),
		cmocka_unit_test(test_long_values),
		cmocka_unit_test(test_long_malformed),
		cmocka_unit_test(test_runtime_two_interps),
		cmocka_unit_test(test_runtime_loops),
		cmocka_unit_test(test_runtime_bad_ids),
		cmocka_unit_test(test_runtime_too_many),
		cmocka_unit_test(test_runtime_not_initialised),
		cmocka_unit_test(test_runtime_unreadable),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
