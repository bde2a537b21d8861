/* Unit tests for value previews (pyvalue.h) on synthetic images laid
 * out with the built-in CPython 3.10 offsets: bytes escapes and the
 * 200-byte cut; ints of one to 22 digits printed exactly (digit arrays
 * as a real 3.10 stores them), bigger ones as "<int of N bits>"; bool;
 * float repr against a table made with Python's repr(); str previews cut
 * at 200 code points with invalid code points replaced; unreadable
 * objects, bad digits, other kinds and short buffers. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "pyheapinspect/source/image.h"
#include "pyheapinspect/cpython/kinds.h"
#include "pyheapinspect/cpython/310/layout.h"
#include "pyheapinspect/cpython/310/value.h"

#define A_OBJ 0x10000ULL
#define A_NOWHERE 0x90000ULL
#define STEP 0x1000ULL

struct fx {
	struct phi_image img;
	struct phi_layout lay;
	uint64_t next; /* next free fake address */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	phi_image_init(&f->img);
	phi_layout_builtin(&f->lay);
	f->next = A_OBJ;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	phi_image_release(&f->img);
	free(f);
	return 0;
}

static void put64(unsigned char *b, int64_t off, uint64_t v)
{
	memcpy(b + off, &v, 8);
}

/* Copy len bytes into the image at a fresh address, 4 KiB apart (more
 * for big objects) so that nothing is contiguous by accident. */
static uint64_t add_obj(struct fx *f, const void *data, size_t len)
{
	struct phi_error err = { 0 };
	uint64_t addr = f->next;

	assert_int_equal(phi_image_add(&f->img, addr, data, len, true, &err),
			 0);
	f->next += (len / STEP + 2) * STEP;
	return addr;
}

/* Preview that must succeed. */
static void assert_preview(struct fx *f, enum phi_kind kind, uint64_t addr,
			   const char *want, bool want_truncated)
{
	char buf[PHI_PREVIEW_BUF];
	bool truncated = !want_truncated;

	assert_true(phi_value_preview(&f->img, &f->lay, kind, addr, buf,
				      sizeof(buf), &truncated));
	assert_string_equal(buf, want);
	assert_int_equal(truncated, want_truncated);
}

/* Preview that must fail, leaving "" and no truncation. */
static void assert_no_preview(struct fx *f, enum phi_kind kind,
			      uint64_t addr)
{
	char buf[PHI_PREVIEW_BUF];
	bool truncated = true;

	memset(buf, 'X', sizeof(buf));
	assert_false(phi_value_preview(&f->img, &f->lay, kind, addr, buf,
				       sizeof(buf), &truncated));
	assert_string_equal(buf, "");
	assert_false(truncated);
}

/* ---- bytes ---------------------------------------------------------- */

static uint64_t add_bytes_obj(struct fx *f, const void *data, int64_t n,
			      size_t stored)
{
	size_t sval = (size_t)PHI_L(&f->lay, BYTES_SVAL);
	unsigned char *b = calloc(1, sval + stored + 1);
	uint64_t addr;

	assert_non_null(b);
	put64(b, PHI_L(&f->lay, OB_REFCNT), 1);
	put64(b, PHI_L(&f->lay, OB_SIZE), (uint64_t)n);
	put64(b, PHI_L(&f->lay, BYTES_SHASH), UINT64_MAX);
	if (stored)
		memcpy(b + sval, data, stored);
	addr = add_obj(f, b, sval + stored + 1);
	free(b);
	return addr;
}

static void test_bytes_escapes(void **state)
{
	struct fx *f = *state;
	static const unsigned char v[] = { 0x00, '\\', '\'', '"', 0xff, 'A',
					   '~', ' ', 0x7f, 0x1f, '\n', 0xab };
	uint64_t a = add_bytes_obj(f, v, sizeof(v), sizeof(v));

	assert_preview(f, PHI_K_BYTES, a,
		       "\\x00\\\\'\"\\xffA~ \\x7f\\x1f\\x0a\\xab", false);
	assert_preview(f, PHI_K_BYTES, add_bytes_obj(f, "", 0, 0), "", false);
}

static void test_bytes_cut(void **state)
{
	struct fx *f = *state;
	unsigned char v[300];
	char want[PHI_PREVIEW_BUF];

	/* 300 bytes: the first 200 are shown. */
	memset(v, 'a', sizeof(v));
	memset(want, 'a', 200);
	want[200] = '\0';
	assert_preview(f, PHI_K_BYTES, add_bytes_obj(f, v, 300, 300), want,
		       true);
	/* Exactly 200: all of it. */
	assert_preview(f, PHI_K_BYTES, add_bytes_obj(f, v, 200, 200), want,
		       false);
	/* 200 escapes of 4 characters fit PHI_PREVIEW_BUF. */
	memset(v, 0xff, sizeof(v));
	for (int i = 0; i < 200; i++)
		memcpy(want + 4 * i, "\\xff", 4);
	want[800] = '\0';
	assert_preview(f, PHI_K_BYTES, add_bytes_obj(f, v, 300, 300), want,
		       true);
	/* A huge ob_size with the first 200 bytes present: cut. */
	memset(v, 'a', sizeof(v));
	memset(want, 'a', 200);
	want[200] = '\0';
	assert_preview(f, PHI_K_BYTES,
		       add_bytes_obj(f, v, INT64_MAX, 200), want, true);
}

static void test_bytes_unreadable(void **state)
{
	struct fx *f = *state;

	assert_no_preview(f, PHI_K_BYTES, A_NOWHERE);
	/* Negative size. */
	assert_no_preview(f, PHI_K_BYTES, add_bytes_obj(f, "ab", -2, 2));
	/* 50 bytes claimed, 10 in the image. */
	assert_no_preview(f, PHI_K_BYTES,
			  add_bytes_obj(f, "0123456789", 50, 10));
}

/* ---- int and bool --------------------------------------------------- */

static uint64_t add_long(struct fx *f, int64_t ob_size,
			 const uint32_t *digits, size_t stored)
{
	size_t dig = (size_t)PHI_L(&f->lay, LONG_DIGIT);
	unsigned char *b = calloc(1, dig + 4 * stored + 4);
	uint64_t addr;

	assert_non_null(b);
	put64(b, PHI_L(&f->lay, OB_REFCNT), 1);
	put64(b, PHI_L(&f->lay, OB_SIZE), (uint64_t)ob_size);
	if (stored)
		memcpy(b + dig, digits, 4 * stored);
	/* The object ends with its digits (a zero int keeps a digit of
	 * room, as in CPython; add a spare word otherwise too). */
	addr = add_obj(f, b, dig + 4 * (stored ? stored : 1));
	free(b);
	return addr;
}

static void test_int_small(void **state)
{
	struct fx *f = *state;
	/* Digits as 3.10.13 stores them (30 bits each, least significant
	 * first), read with ctypes from the live objects. */
	static const uint32_t one[] = { 1 };
	static const uint32_t two30[] = { 0, 1 };        /* 2**30 */
	static const uint32_t big_neg[] = { 7, 0, 4 };   /* 2**62 + 7 */
	static const uint32_t two64[] = { 0, 0, 16 };    /* 2**64 */
	static const uint32_t max30[] = { 0x3fffffff };
	static const uint32_t unnorm[] = { 5, 0, 0 };    /* leading zeros */
	static const uint32_t zeros[] = { 0, 0, 0 };

	assert_preview(f, PHI_K_LONG, add_long(f, 0, NULL, 0), "0", false);
	assert_preview(f, PHI_K_LONG, add_long(f, -1, one, 1), "-1", false);
	assert_preview(f, PHI_K_LONG, add_long(f, 1, one, 1), "1", false);
	assert_preview(f, PHI_K_LONG, add_long(f, 2, two30, 2),
		       "1073741824", false);
	assert_preview(f, PHI_K_LONG, add_long(f, -3, big_neg, 3),
		       "-4611686018427387911", false);
	assert_preview(f, PHI_K_LONG, add_long(f, 3, two64, 3),
		       "18446744073709551616", false);
	assert_preview(f, PHI_K_LONG, add_long(f, 1, max30, 1), "1073741823",
		       false);
	assert_preview(f, PHI_K_LONG, add_long(f, 3, unnorm, 3), "5", false);
	assert_preview(f, PHI_K_LONG, add_long(f, -3, zeros, 3), "0", false);
}

static void test_int_multi_digit(void **state)
{
	struct fx *f = *state;
	/* 10**30 on 3.10.13: ob_size 4. */
	static const uint32_t e30[] = { 0, 433305513, 852086020, 807 };
	/* 10**18 = 2**30 * 931322574 + 660865024: a base-10^9 chunk of
	 * zeros in the middle must print as 000000000. */
	static const uint32_t e18[] = { 660865024, 931322574 };
	uint32_t max660[22];

	assert_preview(f, PHI_K_LONG, add_long(f, 4, e30, 4),
		       "1000000000000000000000000000000", false);
	assert_preview(f, PHI_K_LONG, add_long(f, -4, e30, 4),
		       "-1000000000000000000000000000000", false);
	assert_preview(f, PHI_K_LONG, add_long(f, 2, e18, 2),
		       "1000000000000000000", false);

	/* 2**660 - 1, the largest int printed exactly: 22 digits of
	 * 2**30 - 1, 199 decimal digits (from Python's str()). */
	for (int i = 0; i < 22; i++)
		max660[i] = 0x3fffffff;
	assert_preview(f, PHI_K_LONG, add_long(f, -22, max660, 22),
		       "-4784065733063810973581885157618788676291241975216665"
		       "977767007373648750357731006099232824032039924032894"
		       "289638403441329240212719241920971274455782595989040"
		       "464660523567661989180298099889009174801022975",
		       false);
}

static void test_int_too_big(void **state)
{
	struct fx *f = *state;
	uint32_t d[24] = { 0 };

	/* 2**660: 661 bits. */
	d[22] = 1;
	assert_preview(f, PHI_K_LONG, add_long(f, 23, d, 23),
		       "<int of 661 bits>", true);
	/* 2**699 (24 digits, top digit 2**9): a 700-bit int. */
	d[22] = 0;
	d[23] = 512;
	assert_preview(f, PHI_K_LONG, add_long(f, -24, d, 24),
		       "<int of 700 bits>", true);
}

static void test_int_bad(void **state)
{
	struct fx *f = *state;
	static const uint32_t bad[] = { 1, 0x40000000 };
	static const uint32_t two[] = { 1, 2 };

	assert_no_preview(f, PHI_K_LONG, A_NOWHERE);
	/* A digit using bit 30. */
	assert_no_preview(f, PHI_K_LONG, add_long(f, 2, bad, 2));
	/* Digits beyond the image. */
	assert_no_preview(f, PHI_K_LONG, add_long(f, 1000, two, 2));
	assert_no_preview(f, PHI_K_LONG, add_long(f, INT64_MIN, two, 2));
}

static void test_bool(void **state)
{
	struct fx *f = *state;
	static const uint32_t one[] = { 1 };
	static const uint32_t two[] = { 2 };

	assert_preview(f, PHI_K_BOOL, add_long(f, 1, one, 1), "True", false);
	assert_preview(f, PHI_K_BOOL, add_long(f, 0, NULL, 0), "False",
		       false);
	/* Not a bool value. */
	assert_no_preview(f, PHI_K_BOOL, add_long(f, 1, two, 1));
	assert_no_preview(f, PHI_K_BOOL, add_long(f, -1, one, 1));
	assert_no_preview(f, PHI_K_BOOL, add_long(f, 2, (uint32_t[]){ 1, 0 },
						  2));
	assert_no_preview(f, PHI_K_BOOL, A_NOWHERE);
}

/* ---- float ---------------------------------------------------------- */

static void test_float_repr(void **state)
{
	struct fx *f = *state;
	/* Bit patterns and repr() of Python 3 (same float repr as 3.10). */
	static const struct {
		uint64_t bits;
		const char *repr;
	} table[] = {
		{ 0x4341c37937e08000ULL, "1e+16" },
		{ 0x437b69b4ba630f35ULL, "1.2345678901234568e+17" },
		{ 0x3f1a36e2eb1c432dULL, "0.0001" },
		{ 0x3ee4f8b588e368f1ULL, "1e-05" },
		{ 0x3ff0000000000000ULL, "1.0" },
		{ 0x4059000000000000ULL, "100.0" },
		{ 0x8000000000000000ULL, "-0.0" },
		{ 0x0000000000000000ULL, "0.0" },
		{ 0x7ff0000000000000ULL, "inf" },
		{ 0xfff0000000000000ULL, "-inf" },
		{ 0x7ff8000000000000ULL, "nan" },
		{ 0xfff8000000000000ULL, "nan" },      /* -nan */
		{ 0x7ff0000000000001ULL, "nan" },      /* signalling */
		{ 0x3fb999999999999aULL, "0.1" },
		{ 0x3fd5555555555555ULL, "0.3333333333333333" },
		{ 0x430c6bf526340000ULL, "1000000000000000.0" },
		{ 0x4341c37937e07fffULL, "9999999999999998.0" },
		{ 0x4340000000000000ULL, "9007199254740992.0" }, /* 2**53 */
		{ 0x0000000000000001ULL, "5e-324" },
		{ 0x7fefffffffffffffULL, "1.7976931348623157e+308" },
		{ 0x0010000000000000ULL, "2.2250738585072014e-308" },
		/* 2**-1017: the correctly rounded 16 digits ...044e-307 do
		 * not read back (the interval below a power of two is
		 * half as wide); Python gives the neighbour above. */
		{ 0x0060000000000000ULL, "7.120236347223045e-307" },
		{ 0x0070000000000000ULL, "1.424047269444609e-306" },
		{ 0x3ff8000000000000ULL, "1.5" },
		{ 0xbefa36e2eb1c432dULL, "-2.5e-05" },
		{ 0x405edd2f1a9fbe77ULL, "123.456" },
		{ 0x4480f0cf064dd592ULL, "1e+22" },
		{ 0xd4b249ad2594c37dULL, "-1e+100" },
		{ 0x3e7ad7f29abcaf48ULL, "1e-07" },
		{ 0x3fe0000000000000ULL, "0.5" },
	};
	unsigned char obj[24];

	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		memset(obj, 0, sizeof(obj));
		put64(obj, PHI_L(&f->lay, OB_REFCNT), 1);
		put64(obj, PHI_L(&f->lay, FLOAT_FVAL), table[i].bits);
		assert_preview(f, PHI_K_FLOAT, add_obj(f, obj, sizeof(obj)),
			       table[i].repr, false);
	}
	assert_no_preview(f, PHI_K_FLOAT, A_NOWHERE);
	/* ob_fval cut by the end of the image. */
	assert_no_preview(f, PHI_K_FLOAT, add_obj(f, obj, 20));
}

/* ---- str ------------------------------------------------------------ */

/* A compact str of kind 1 (ascii or not), 2 or 4 holding n code points. */
static uint64_t add_str(struct fx *f, unsigned kind, bool ascii,
			const uint32_t *cp, size_t n, uint64_t length)
{
	const struct phi_layout *lay = &f->lay;
	size_t header = (size_t)(ascii ? PHI_L(lay, ASCII_SIZE) :
					 PHI_L(lay, COMPACT_SIZE));
	size_t total = header + (n + 1) * kind;
	uint32_t st = 0x80u | 0x20u | (kind << 2) | (ascii ? 0x40u : 0);
	unsigned char *b = calloc(1, total);
	uint64_t addr;

	assert_non_null(b);
	put64(b, PHI_L(lay, OB_REFCNT), 1);
	put64(b, PHI_L(lay, ASCII_LENGTH), length);
	put64(b, PHI_L(lay, ASCII_HASH), UINT64_MAX);
	memcpy(b + PHI_L(lay, ASCII_STATE), &st, 4);
	for (size_t i = 0; i < n; i++) {
		uint16_t c2 = (uint16_t)cp[i];
		uint8_t c1 = (uint8_t)cp[i];

		if (kind == 1)
			memcpy(b + header + i, &c1, 1);
		else if (kind == 2)
			memcpy(b + header + 2 * i, &c2, 2);
		else
			memcpy(b + header + 4 * i, &cp[i], 4);
	}
	addr = add_obj(f, b, total);
	free(b);
	return addr;
}

static void test_str(void **state)
{
	struct fx *f = *state;
	static const uint32_t hello[] = { 'h', 'i', ' ', '\\', '"' };
	static const uint32_t mixed[] = { 0xe9, 0x20ac, 0x1f600 };
	static const uint32_t bad[] = { 'a', 0xd800, 0x110000, 'b' };

	assert_preview(f, PHI_K_STR, add_str(f, 1, true, hello, 5, 5),
		       "hi \\\"", false);
	assert_preview(f, PHI_K_STR, add_str(f, 1, true, NULL, 0, 0), "",
		       false);
	assert_preview(f, PHI_K_STR, add_str(f, 4, false, mixed, 3, 3),
		       "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", false);
	/* Invalid code points become U+FFFD. */
	assert_preview(f, PHI_K_STR, add_str(f, 4, false, bad, 4, 4),
		       "a\xef\xbf\xbd\xef\xbf\xbd" "b", false);
}

static void test_str_cut(void **state)
{
	struct fx *f = *state;
	uint32_t cp[250];
	char want[PHI_PREVIEW_BUF];

	/* 250 ASCII code points: 200 shown. */
	for (int i = 0; i < 250; i++)
		cp[i] = 'a' + i % 26;
	for (int i = 0; i < 200; i++)
		want[i] = (char)('a' + i % 26);
	want[200] = '\0';
	assert_preview(f, PHI_K_STR, add_str(f, 1, true, cp, 250, 250), want,
		       true);
	assert_preview(f, PHI_K_STR, add_str(f, 1, true, cp, 200, 200), want,
		       false);
	/* 250 emoji: 200 of 4 bytes, 800 bytes, fit PHI_PREVIEW_BUF. */
	for (int i = 0; i < 250; i++)
		cp[i] = 0x1f600;
	for (int i = 0; i < 200; i++)
		memcpy(want + 4 * i, "\xf0\x9f\x98\x80", 4);
	want[800] = '\0';
	assert_preview(f, PHI_K_STR, add_str(f, 4, false, cp, 250, 250), want,
		       true);
	assert_preview(f, PHI_K_STR, add_str(f, 2, false, (uint32_t[]){ 0x20ac,
		       0x20ac }, 2, 2), "\xe2\x82\xac\xe2\x82\xac", false);
}

static void test_str_unreadable(void **state)
{
	struct fx *f = *state;
	static const uint32_t cp[] = { 'a', 'b' };

	assert_no_preview(f, PHI_K_STR, A_NOWHERE);
	/* 1000 code points claimed, 2 in the image. */
	assert_no_preview(f, PHI_K_STR, add_str(f, 1, true, cp, 2, 1000));
	/* Impossible length. */
	assert_no_preview(f, PHI_K_STR,
			  add_str(f, 2, false, cp, 2, INT64_MAX));
}

/* ---- dispatch ------------------------------------------------------- */

static void test_other_kinds_and_buffers(void **state)
{
	struct fx *f = *state;
	static const uint32_t one[] = { 1 };
	uint64_t a = add_long(f, 1, one, 1);
	char buf[PHI_PREVIEW_BUF];
	bool truncated = true;

	assert_no_preview(f, PHI_K_LIST, a);
	assert_no_preview(f, PHI_K_OPAQUE, a);
	assert_no_preview(f, PHI_K_COMPLEX, a);
	assert_no_preview(f, (enum phi_kind)PHI_K__COUNT, a);
	/* A buffer below PHI_PREVIEW_BUF is refused, and left "". */
	memset(buf, 'X', sizeof(buf));
	assert_false(phi_value_preview(&f->img, &f->lay, PHI_K_LONG, a, buf,
				       PHI_PREVIEW_BUF - 1, &truncated));
	assert_string_equal(buf, "");
	assert_false(truncated);
	assert_false(phi_value_preview(&f->img, &f->lay, PHI_K_LONG, a, buf,
				       0, &truncated));
	/* truncated may be NULL. */
	assert_true(phi_value_preview(&f->img, &f->lay, PHI_K_LONG, a, buf,
				      sizeof(buf), NULL));
	assert_string_equal(buf, "1");
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_bytes_escapes),
		T(test_bytes_cut),
		T(test_bytes_unreadable),
		T(test_int_small),
		T(test_int_multi_digit),
		T(test_int_too_big),
		T(test_int_bad),
		T(test_bool),
		T(test_float_repr),
		T(test_str),
		T(test_str_cut),
		T(test_str_unreadable),
		T(test_other_kinds_and_buffers),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
