/* Unit tests for str objects (pystr.h) on synthetic images laid out with
 * the built-in CPython 3.10 offsets: compact ASCII, compact kinds 1, 2
 * and 4, legacy (str subclass) strings with a separate data block, not
 * ready legacy strings, cached UTF-8 and wchar_t buffers, and every
 * sys.getsizeof value hand-computed from unicode_sizeof of 3.10 (and
 * checked on a real 3.10.13 where the comment says so); impossible
 * states, truncated images and huge lengths; phi_str_utf8 bounds,
 * invalid code points, phi_str_char and phi_str_eq. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "pyheapinspect/source/image.h"
#include "pyheapinspect/cpython/310/layout.h"
#include "pyheapinspect/cpython/310/str.h"

/* State word bits of PyASCIIObject (LSB first). */
#define ST(interned, kind, compact, ascii, ready)                           \
	((uint32_t)(interned) | ((uint32_t)(kind) << 2) |                   \
	 ((uint32_t)(compact) << 5) | ((uint32_t)(ascii) << 6) |            \
	 ((uint32_t)(ready) << 7))
#define ST_COMPACT_ASCII ST(0, 1, 1, 1, 1)

/* Fake target addresses. */
#define A_STR 0x10000ULL
#define A_DATA 0x20000ULL
#define A_WSTR 0x30000ULL
#define A_UTF8 0x40000ULL
#define A_NOWHERE 0x90000ULL

struct fx {
	struct phi_image img;
	struct phi_layout lay;
};

/* A str object to lay out: the header fields and, for compact strings,
 * the characters that follow it (with their terminating NUL). */
struct fake_str {
	uint32_t state;
	uint64_t length;
	uint64_t wstr, wstr_length, utf8, utf8_length, data;
	const void *chars;
	size_t chars_len;
	size_t keep; /* bytes of the object put in the image (0 = all) */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	phi_image_init(&f->img);
	phi_layout_builtin(&f->lay);
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

static void put32(unsigned char *b, int64_t off, uint32_t v)
{
	memcpy(b + off, &v, 4);
}

static void add_bytes(struct fx *f, uint64_t addr, const void *data,
		      size_t len)
{
	struct phi_error err = { 0 };

	assert_int_equal(phi_image_add(&f->img, addr, data, len, true, &err),
			 0);
}

/* Lay out s at addr with the header size its state calls for. */
static void add_str(struct fx *f, uint64_t addr, const struct fake_str *s)
{
	const struct phi_layout *lay = &f->lay;
	bool compact = (s->state >> 5) & 1, ascii = (s->state >> 6) & 1;
	size_t header, total;
	unsigned char *b;

	if (compact && ascii)
		header = (size_t)PHI_L(lay, ASCII_SIZE);
	else if (compact)
		header = (size_t)PHI_L(lay, COMPACT_SIZE);
	else
		header = (size_t)PHI_L(lay, UNICODE_SIZE);
	total = header + s->chars_len;
	b = calloc(1, total);
	assert_non_null(b);
	put64(b, PHI_L(lay, OB_REFCNT), 1);
	put64(b, PHI_L(lay, OB_TYPE), 0xdead0000);
	put64(b, PHI_L(lay, ASCII_LENGTH), s->length);
	put64(b, PHI_L(lay, ASCII_HASH), UINT64_MAX);
	put32(b, PHI_L(lay, ASCII_STATE), s->state);
	put64(b, PHI_L(lay, ASCII_WSTR), s->wstr);
	if (!(compact && ascii)) {
		put64(b, PHI_L(lay, COMPACT_UTF8_LENGTH), s->utf8_length);
		put64(b, PHI_L(lay, COMPACT_UTF8), s->utf8);
		put64(b, PHI_L(lay, COMPACT_WSTR_LENGTH), s->wstr_length);
	}
	if (!compact)
		put64(b, PHI_L(lay, UNICODE_DATA), s->data);
	if (s->chars_len)
		memcpy(b + header, s->chars, s->chars_len);
	add_bytes(f, addr, b, s->keep ? s->keep : total);
	free(b);
}

static void read_ok(struct fx *f, uint64_t addr, struct phi_str *out)
{
	assert_true(phi_str_read(&f->img, &f->lay, addr, out));
}

static void assert_utf8(const struct phi_str *s, const char *want,
			bool want_truncated)
{
	char buf[256];
	bool truncated = !want_truncated;
	size_t n = phi_str_utf8(s, buf, sizeof(buf), UINT64_MAX, &truncated);

	assert_string_equal(buf, want);
	assert_int_equal(n, strlen(want));
	assert_int_equal(truncated, want_truncated);
}

/* ---- compact strings ------------------------------------------------ */

static void test_compact_ascii_hello(void **state)
{
	struct fx *f = *state;
	struct fake_str s = { .state = ST(1, 1, 1, 1, 1) | 0x5a5a0000u,
			      .length = 5, .chars = "hello", .chars_len = 6 };
	struct phi_str str;

	add_str(f, A_STR, &s);
	read_ok(f, A_STR, &str);
	assert_int_equal(str.length, 5);
	assert_int_equal(str.kind, 1);
	assert_int_equal(str.interned, 1);
	assert_true(str.ascii);
	assert_true(str.compact);
	assert_true(str.ready);
	assert_non_null(str.data);
	assert_memory_equal(str.data, "hello", 5);
	/* 48 (PyASCIIObject) + 5 + 1; sys.getsizeof("hello") is 54 on
	 * 3.10.13.  The padding bits 8-31 of the state (0x5a5a here) are
	 * ignored: CPython leaves them uninitialised. */
	assert_int_equal(str.size, 54);
	assert_utf8(&str, "hello", false);
	assert_true(phi_str_eq(&str, "hello"));
	assert_false(phi_str_eq(&str, "hell"));
	assert_false(phi_str_eq(&str, "hello!"));
	assert_false(phi_str_eq(&str, "hellO"));
	assert_false(phi_str_eq(&str, ""));
}

static void test_empty(void **state)
{
	struct fx *f = *state;
	struct fake_str s = { .state = ST(2, 1, 1, 1, 1), .length = 0,
			      .chars = "", .chars_len = 1 };
	struct phi_str str;

	add_str(f, A_STR, &s);
	read_ok(f, A_STR, &str);
	assert_int_equal(str.length, 0);
	assert_int_equal(str.interned, 2);
	/* 48 + 0 + 1; sys.getsizeof("") is 49. */
	assert_int_equal(str.size, 49);
	assert_utf8(&str, "", false);
	assert_true(phi_str_eq(&str, ""));
	assert_false(phi_str_eq(&str, "a"));
}

static void test_compact_latin1(void **state)
{
	struct fx *f = *state;
	/* The state word of "é" as read from a live 3.10.13: 0xa4 with
	 * garbage in the padding bits. */
	struct fake_str s = { .state = 0x206220a4u, .length = 1,
			      .chars = "\xe9", .chars_len = 2 };
	struct phi_str str;

	add_str(f, A_STR, &s);
	read_ok(f, A_STR, &str);
	assert_int_equal(str.kind, 1);
	assert_false(str.ascii);
	assert_true(str.compact);
	assert_true(str.ready);
	assert_int_equal(str.interned, 0);
	/* 72 (PyCompactUnicodeObject) + (1 + 1) * 1; sys.getsizeof("é")
	 * is 74. */
	assert_int_equal(str.size, 74);
	assert_int_equal(phi_str_char(&str, 0), 0xe9);
	assert_utf8(&str, "\xc3\xa9", false);
	assert_false(phi_str_eq(&str, "e"));
}

static void test_compact_ucs2(void **state)
{
	struct fx *f = *state;
	static const uint16_t chars[] = { 0x20ac, 'u', 'r', 'o', 0 };
	struct fake_str s = { .state = ST(0, 2, 1, 0, 1), .length = 4,
			      .chars = chars, .chars_len = sizeof(chars) };
	struct phi_str str;

	add_str(f, A_STR, &s);
	read_ok(f, A_STR, &str);
	assert_int_equal(str.kind, 2);
	/* 72 + (4 + 1) * 2; sys.getsizeof("€uro") is 82. */
	assert_int_equal(str.size, 82);
	assert_int_equal(phi_str_char(&str, 0), 0x20ac);
	assert_int_equal(phi_str_char(&str, 3), 'o');
	assert_utf8(&str, "\xe2\x82\xacuro", false);
	assert_false(phi_str_eq(&str, "?uro"));
}

static void test_compact_ucs4(void **state)
{
	struct fx *f = *state;
	static const uint32_t chars[] = { 0x1f600, 0 };
	struct fake_str s = { .state = ST(0, 4, 1, 0, 1), .length = 1,
			      .chars = chars, .chars_len = sizeof(chars) };
	struct phi_str str;

	add_str(f, A_STR, &s);
	read_ok(f, A_STR, &str);
	assert_int_equal(str.kind, 4);
	/* 72 + (1 + 1) * 4; sys.getsizeof("😀") is 80. */
	assert_int_equal(str.size, 80);
	assert_int_equal(phi_str_char(&str, 0), 0x1f600);
	assert_utf8(&str, "\xf0\x9f\x98\x80", false);
}

/* ---- legacy strings (str subclasses) ------------------------------ */

static void test_legacy_ascii(void **state)
{
	struct fx *f = *state;
	/* class S(str): pass; S("abc"): state 0xc4 (ready, ascii, kind 1,
	 * not compact), data in a separate block, utf8 sharing it. */
	struct fake_str s = { .state = 0xc4, .length = 3, .data = A_DATA,
			      .utf8 = A_DATA, .utf8_length = 3 };
	struct phi_str str;

	add_str(f, A_STR, &s);
	add_bytes(f, A_DATA, "abc", 4);
	read_ok(f, A_STR, &str);
	assert_false(str.compact);
	assert_true(str.ascii);
	assert_int_equal(str.kind, 1);
	assert_non_null(str.data);
	/* 80 (PyUnicodeObject) + (3 + 1) * 1, utf8 == data adds nothing:
	 * S("abc").__sizeof__() is 84 on 3.10.13. */
	assert_int_equal(str.size, 84);
	assert_true(phi_str_eq(&str, "abc"));
	assert_utf8(&str, "abc", false);
}

static void test_legacy_ucs2_cached_utf8(void **state)
{
	struct fx *f = *state;
	static const uint16_t chars[] = { 0x20ac, 'u', 'r', 'o', 0 };
	struct fake_str s = { .state = 0x88 /* ready, kind 2 */,
			      .length = 4, .data = A_DATA, .utf8 = A_UTF8,
			      .utf8_length = 6 };
	struct phi_str str;

	add_str(f, A_STR, &s);
	add_bytes(f, A_DATA, chars, sizeof(chars));
	read_ok(f, A_STR, &str);
	assert_int_equal(str.kind, 2);
	/* 80 + (4 + 1) * 2 + (6 + 1): S("€uro").__sizeof__() is 90, and
	 * 97 after PyUnicode_AsUTF8 cached its 6 UTF-8 bytes. */
	assert_int_equal(str.size, 97);
	assert_utf8(&str, "\xe2\x82\xacuro", false);
}

static void test_legacy_not_ready(void **state)
{
	struct fx *f = *state;
	/* PyUnicode_FromUnicode(NULL, 3) before PyUnicode_READY: kind 0
	 * (wchar), length 0, no data, a wchar_t buffer of 3. */
	struct fake_str s = { .state = 0, .length = 0, .wstr = A_WSTR,
			      .wstr_length = 3 };
	struct phi_str str;

	add_str(f, A_STR, &s);
	read_ok(f, A_STR, &str);
	assert_false(str.ready);
	assert_int_equal(str.kind, 0);
	assert_null(str.data);
	/* 80 + (3 + 1) * 4 (wstr counted whenever not ready). */
	assert_int_equal(str.size, 96);
	assert_utf8(&str, "", false);
}

static void test_legacy_data_missing(void **state)
{
	struct fx *f = *state;
	struct fake_str s = { .state = ST(0, 2, 0, 0, 1), .length = 10,
			      .data = 0 };
	struct fake_str s2 = { .state = ST(0, 2, 0, 0, 1), .length = 10,
			       .data = A_NOWHERE };
	struct phi_str str;

	/* A NULL data pointer: the character block is not counted. */
	add_str(f, A_STR, &s);
	read_ok(f, A_STR, &str);
	assert_null(str.data);
	assert_int_equal(str.size, 80);
	assert_utf8(&str, "", true);
	assert_false(phi_str_eq(&str, "0123456789"));

	/* A data pointer outside the image: counted, 80 + 11 * 2, but the
	 * characters are not available. */
	add_str(f, A_STR + 0x1000, &s2);
	read_ok(f, A_STR + 0x1000, &str);
	assert_null(str.data);
	assert_int_equal(str.size, 102);
}

/* ---- cached buffers ----------------------------------------------- */

static void test_cached_utf8(void **state)
{
	struct fx *f = *state;
	struct fake_str s = { .state = ST(0, 1, 1, 0, 1), .length = 1,
			      .chars = "\xe9", .chars_len = 2,
			      .utf8 = A_UTF8, .utf8_length = 2 };
	struct phi_str str;

	add_str(f, A_STR, &s);
	read_ok(f, A_STR, &str);
	/* 74 + (2 + 1): 77 on 3.10.13 after PyUnicode_AsUTF8("é"). */
	assert_int_equal(str.size, 77);
}

static void test_wstr(void **state)
{
	struct fx *f = *state;
	static const uint32_t emoji[] = { 0x1f600, 0 };
	static const uint16_t euro[] = { 0x20ac, 'u', 'r', 'o', 0 };
	struct fake_str hello = { .state = ST_COMPACT_ASCII, .length = 5,
				  .chars = "hello", .chars_len = 6,
				  .wstr = A_WSTR,
				  /* not read for compact ASCII */
				  .wstr_length = 999 };
	struct fake_str ucs4 = { .state = ST(0, 4, 1, 0, 1), .length = 1,
				 .chars = emoji, .chars_len = sizeof(emoji),
				 .wstr = A_STR + 0x1000 + 72,
				 .wstr_length = 1 };
	struct fake_str ucs2 = { .state = ST(0, 2, 1, 0, 1), .length = 4,
				 .chars = euro, .chars_len = sizeof(euro),
				 .wstr = A_WSTR, .wstr_length = 4 };
	struct phi_str str;

	/* Compact ASCII: wstr_len is the length: 54 + (5 + 1) * 4 = 78,
	 * sys.getsizeof after PyUnicode_AsUnicode("hello") on 3.10.13. */
	add_str(f, A_STR, &hello);
	read_ok(f, A_STR, &str);
	assert_int_equal(str.size, 78);

	/* Kind 4 on Linux: wstr is the data itself (obj + 72): 80, as on
	 * 3.10.13 after PyUnicode_AsUnicode("😀"). */
	add_str(f, A_STR + 0x1000, &ucs4);
	read_ok(f, A_STR + 0x1000, &str);
	assert_int_equal(str.size, 80);

	/* Kind 2 with its own wchar_t copy: 82 + (4 + 1) * 4 = 102. */
	add_str(f, A_STR + 0x2000, &ucs2);
	read_ok(f, A_STR + 0x2000, &str);
	assert_int_equal(str.size, 102);
}

/* ---- untrusted input ---------------------------------------------- */

static void test_impossible_states(void **state)
{
	struct fx *f = *state;
	static const uint32_t bad[] = {
		ST(0, 3, 1, 0, 1), /* kind 3 */
		ST(0, 5, 1, 0, 1), /* kind 5 */
		ST(0, 7, 0, 0, 1), /* kind 7 */
		ST(0, 0, 1, 0, 1), /* ready with the wchar kind */
		ST(0, 0, 0, 0, 1),
		ST(3, 1, 1, 1, 1), /* interned 3 */
		ST(0, 2, 1, 1, 1), /* ascii with kind 2 */
		ST(0, 4, 0, 1, 1), /* ascii with kind 4 */
		ST(0, 1, 1, 0, 0), /* compact, not ready */
		ST(0, 0, 1, 0, 0),
		ST(0, 0, 0, 1, 0), /* ascii, not ready */
		ST(0, 1, 0, 0, 0), /* not ready with a kind */
	};
	static const char chars[80];
	struct phi_str str;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fake_str s = { .state = bad[i], .length = 1,
				      .chars = chars,
				      .chars_len = sizeof(chars) };
		uint64_t addr = A_STR + i * 0x1000;

		add_str(f, addr, &s);
		assert_false(phi_str_read(&f->img, &f->lay, addr, &str));
	}
}

static void test_header_not_in_image(void **state)
{
	struct fx *f = *state;
	struct fake_str ascii = { .state = ST_COMPACT_ASCII, .length = 5,
				  .chars = "hello", .chars_len = 6,
				  .keep = 40 };
	struct fake_str compact = { .state = ST(0, 2, 1, 0, 1), .length = 0,
				    .chars = "\0", .chars_len = 2,
				    .keep = 48 };
	struct fake_str legacy = { .state = ST(0, 1, 0, 0, 1), .length = 0,
				   .keep = 72 };
	struct phi_str str;

	assert_false(phi_str_read(&f->img, &f->lay, A_NOWHERE, &str));
	/* The state is there but not the whole PyASCIIObject. */
	add_str(f, A_STR, &ascii);
	assert_false(phi_str_read(&f->img, &f->lay, A_STR, &str));
	/* A PyASCIIObject where a PyCompactUnicodeObject must be. */
	add_str(f, A_STR + 0x1000, &compact);
	assert_false(phi_str_read(&f->img, &f->lay, A_STR + 0x1000, &str));
	/* A PyUnicodeObject without its data pointer. */
	add_str(f, A_STR + 0x2000, &legacy);
	assert_false(phi_str_read(&f->img, &f->lay, A_STR + 0x2000, &str));
}

static void test_length_beyond_image(void **state)
{
	struct fx *f = *state;
	struct fake_str s = { .state = ST_COMPACT_ASCII, .length = 1000,
			      .chars = "hello", .chars_len = 6 };
	struct phi_str str;

	add_str(f, A_STR, &s);
	read_ok(f, A_STR, &str);
	/* The size is what the header says (48 + 1000 + 1) but the
	 * characters are not wholly in the image. */
	assert_int_equal(str.size, 1049);
	assert_null(str.data);
	assert_utf8(&str, "", true);
	assert_false(phi_str_eq(&str, "hello"));
}

static void test_huge_length(void **state)
{
	struct fx *f = *state;
	static const uint32_t nul[1];
	/* (PY_SSIZE_T_MAX - 72) / 4 - 1: the longest kind-4 str that
	 * PyUnicode_New accepts. */
	const uint64_t max4 = 2305843009213693932ULL;
	const uint64_t lengths[] = { 0x7fffffffffffffffULL,
				     0x8000000000000000ULL, UINT64_MAX,
				     max4 + 1 };
	const uint32_t states[] = { ST_COMPACT_ASCII, ST(0, 1, 1, 0, 1),
				    ST(0, 2, 1, 0, 1), ST(0, 4, 1, 0, 1),
				    ST(0, 4, 0, 0, 1), ST(0, 0, 0, 0, 0) };
	uint64_t addr = A_STR;
	struct phi_str str;

	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++)
		for (size_t j = 0; j < sizeof(states) / sizeof(states[0]);
		     j++, addr += 0x1000) {
			struct fake_str s = { .state = states[j],
					      .length = lengths[i],
					      .data = A_DATA,
					      .chars = nul,
					      .chars_len = sizeof(nul) };
			bool kind4 = states[j] == ST(0, 4, 1, 0, 1) ||
				     states[j] == ST(0, 4, 0, 0, 1);
			bool ok;

			add_str(f, addr, &s);
			ok = phi_str_read(&f->img, &f->lay, addr, &str);
			if (lengths[i] == max4 + 1 && !kind4) {
				/* Still a possible length for those, but
				 * not in the image. */
				assert_true(ok);
				assert_null(str.data);
				continue;
			}
			/* Not-ready strings only need length >= 0. */
			if (states[j] == ST(0, 0, 0, 0, 0) &&
			    lengths[i] <= INT64_MAX) {
				assert_true(ok);
				assert_int_equal(str.size, 80);
				continue;
			}
			assert_false(ok);
		}

	/* The longest possible kind-4 str: 72 + (max4 + 1) * 4 =
	 * 9223372036854775804 exactly, no wrap; not in the image. */
	{
		struct fake_str s = { .state = ST(0, 4, 1, 0, 1),
				      .length = max4, .chars = nul,
				      .chars_len = sizeof(nul) };

		add_str(f, addr, &s);
		read_ok(f, addr, &str);
		assert_int_equal(str.size, 9223372036854775804ULL);
		assert_null(str.data);
		addr += 0x1000;
	}
	/* Huge wstr_length or utf8_length, or a sum past 2^63. */
	{
		struct fake_str w = { .state = ST(0, 2, 1, 0, 1), .length = 0,
				      .chars = nul, .chars_len = 2,
				      .wstr = A_WSTR,
				      .wstr_length = 0x7fffffffffffffffULL };
		struct fake_str u = { .state = ST(0, 2, 1, 0, 1), .length = 0,
				      .chars = nul, .chars_len = 2,
				      .utf8 = A_UTF8,
				      .utf8_length = 0x7fffffffffffffffULL };
		struct fake_str sum = { .state = ST(0, 4, 1, 0, 1),
					.length = max4, .chars = nul,
					.chars_len = sizeof(nul),
					.utf8 = A_UTF8,
					.utf8_length = 1000 };
		struct fake_str neg = { .state = ST(0, 2, 1, 0, 1), .length = 0,
					.chars = nul, .chars_len = 2,
					.wstr = A_WSTR,
					.wstr_length = UINT64_MAX };

		add_str(f, addr, &w);
		assert_false(phi_str_read(&f->img, &f->lay, addr, &str));
		addr += 0x1000;
		add_str(f, addr, &u);
		assert_false(phi_str_read(&f->img, &f->lay, addr, &str));
		addr += 0x1000;
		add_str(f, addr, &sum);
		assert_false(phi_str_read(&f->img, &f->lay, addr, &str));
		addr += 0x1000;
		add_str(f, addr, &neg);
		assert_false(phi_str_read(&f->img, &f->lay, addr, &str));
	}
}

/* ---- phi_str_utf8, phi_str_char, phi_str_eq ------------------------ */

static void test_utf8_bounds(void **state)
{
	struct fx *f = *state;
	static const uint16_t chars[] = { 'a', 0x20ac, 'b', 0 };
	struct fake_str s = { .state = ST(0, 2, 1, 0, 1), .length = 3,
			      .chars = chars, .chars_len = sizeof(chars) };
	struct phi_str str;
	char buf[16];
	bool truncated;

	add_str(f, A_STR, &s);
	read_ok(f, A_STR, &str);

	/* cap 0: nothing written at all. */
	buf[0] = 'X';
	assert_int_equal(phi_str_utf8(&str, buf, 0, 10, &truncated), 0);
	assert_int_equal(buf[0], 'X');
	assert_true(truncated);
	/* cap 1: only the NUL. */
	assert_int_equal(phi_str_utf8(&str, buf, 1, 10, &truncated), 0);
	assert_string_equal(buf, "");
	assert_true(truncated);
	/* "a" + 3 bytes of € + NUL needs 5: with 4 the € is left out. */
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(phi_str_utf8(&str, buf, 4, 10, &truncated), 1);
	assert_string_equal(buf, "a");
	assert_true(truncated);
	assert_int_equal(phi_str_utf8(&str, buf, 5, 10, &truncated), 4);
	assert_string_equal(buf, "a\xe2\x82\xac");
	assert_true(truncated);
	/* Exactly enough room. */
	assert_int_equal(phi_str_utf8(&str, buf, 6, 10, &truncated), 5);
	assert_string_equal(buf, "a\xe2\x82\xac" "b");
	assert_false(truncated);
	/* max_chars. */
	assert_int_equal(phi_str_utf8(&str, buf, sizeof(buf), 2, &truncated),
			 4);
	assert_string_equal(buf, "a\xe2\x82\xac");
	assert_true(truncated);
	assert_int_equal(phi_str_utf8(&str, buf, sizeof(buf), 3, &truncated),
			 5);
	assert_false(truncated);
	assert_int_equal(phi_str_utf8(&str, buf, sizeof(buf), 0, &truncated),
			 0);
	assert_string_equal(buf, "");
	assert_true(truncated);
	/* truncated may be NULL. */
	assert_int_equal(phi_str_utf8(&str, buf, sizeof(buf), 3, NULL), 5);
}

static void test_invalid_code_points(void **state)
{
	struct fx *f = *state;
	static const uint32_t ucs4[] = { 'A', 0xd800, 0xdfff, 0x10ffff,
					 0x110000, 0xffffffff, 0x7f, 0x80,
					 0x7ff, 0x800, 0xffff, 0x10000, 0 };
	static const uint16_t ucs2[] = { 0xdc00, 'z', 0xd83d, 0 };
	struct fake_str s4 = { .state = ST(0, 4, 1, 0, 1), .length = 12,
			       .chars = ucs4, .chars_len = sizeof(ucs4) };
	struct fake_str s2 = { .state = ST(0, 2, 1, 0, 1), .length = 3,
			       .chars = ucs2, .chars_len = sizeof(ucs2) };
	struct phi_str str;

	add_str(f, A_STR, &s4);
	read_ok(f, A_STR, &str);
	assert_utf8(&str,
		    "A"
		    "\xef\xbf\xbd\xef\xbf\xbd"   /* surrogates */
		    "\xf4\x8f\xbf\xbf"           /* U+10FFFF */
		    "\xef\xbf\xbd\xef\xbf\xbd"   /* > U+10FFFF */
		    "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf"
		    "\xf0\x90\x80\x80",
		    false);
	assert_int_equal(phi_str_char(&str, 5), 0xffffffffu);

	add_str(f, A_STR + 0x1000, &s2);
	read_ok(f, A_STR + 0x1000, &str);
	assert_utf8(&str, "\xef\xbf\xbdz\xef\xbf\xbd", false);
}

static void test_char_and_eq(void **state)
{
	struct fx *f = *state;
	/* A kind-2 string holding only ASCII (not what CPython makes, but
	 * phi_str_eq compares code points, not bytes). */
	static const uint16_t chars[] = { 'a', 'b', 'c', 0 };
	struct fake_str s = { .state = ST(0, 2, 1, 0, 1), .length = 3,
			      .chars = chars, .chars_len = sizeof(chars) };
	struct phi_str str, none = { .length = 2, .kind = 1 };

	add_str(f, A_STR, &s);
	read_ok(f, A_STR, &str);
	assert_int_equal(phi_str_char(&str, 0), 'a');
	assert_int_equal(phi_str_char(&str, 2), 'c');
	/* Out of range or without data: U+FFFD, never a read. */
	assert_int_equal(phi_str_char(&str, 3), 0xfffd);
	assert_int_equal(phi_str_char(&str, UINT64_MAX), 0xfffd);
	assert_int_equal(phi_str_char(&none, 0), 0xfffd);
	assert_true(phi_str_eq(&str, "abc"));
	assert_false(phi_str_eq(&str, "abd"));
	assert_false(phi_str_eq(&str, "ab"));
	assert_false(phi_str_eq(&none, "ab"));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_compact_ascii_hello),
		T(test_empty),
		T(test_compact_latin1),
		T(test_compact_ucs2),
		T(test_compact_ucs4),
		T(test_legacy_ascii),
		T(test_legacy_ucs2_cached_utf8),
		T(test_legacy_not_ready),
		T(test_legacy_data_missing),
		T(test_cached_utf8),
		T(test_wstr),
		T(test_impossible_states),
		T(test_header_not_in_image),
		T(test_length_beyond_image),
		T(test_huge_length),
		T(test_utf8_bounds),
		T(test_invalid_code_points),
		T(test_char_and_eq),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
