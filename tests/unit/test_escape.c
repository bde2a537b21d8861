/* Unit tests for base/escape.h: every C0 control, DEL, C1 control,
 * invalid UTF-8 byte and text-reordering character escaped as the header
 * documents, valid UTF-8 kept, U+0000 inside the text shown, the bounds
 * (characters, buffer) never cut an escape in two; and over every 1-
 * and 2-byte input and a few hundred thousand random ones, no output
 * holds a byte a terminal acts on. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "pyheapinspect/base/escape.h"

static void check_text(const char *in, size_t len, const char *want)
{
	char out[256];
	bool cut = true;
	size_t n = phi_escape_text(out, sizeof(out), in, len, 100, &cut);

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
	assert_false(cut);
}

#define TEXT(in, want) check_text(in, sizeof(in) - 1, want)

static void test_controls(void **state)
{
	(void)state;
	TEXT("plain", "plain");
	TEXT("a\nb\tc\rd", "a\\nb\\tc\\rd");
	TEXT("\x1b[2J", "\\x1b[2J");
	TEXT("\x1b]0;title\x07", "\\x1b]0;title\\x07");
	TEXT("ab\0cd", "ab\\x00cd");
	TEXT("\x7f", "\\x7f");
	TEXT("\x01\x1f", "\\x01\\x1f");
	/* C1 as UTF-8 (U+0085 NEL, U+009B CSI) and as a lone byte. */
	TEXT("\xc2\x85\xc2\x9b", "\\u0085\\u009b");
	TEXT("\x9b[2J", "\\x9b[2J");
	/* Invalid UTF-8: a truncated sequence, an overlong form, a
	 * surrogate, past U+10FFFF. */
	TEXT("\xe2\x82", "\\xe2\\x82");
	TEXT("\xc0\xaf", "\\xc0\\xaf");
	TEXT("\xed\xa0\x80", "\\xed\\xa0\\x80");
	TEXT("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
	/* Characters that move or reorder text. */
	TEXT("\xe2\x80\xae" "evil", "\\u202eevil");
	TEXT("\xe2\x80\xa8\xe2\x80\xa9", "\\u2028\\u2029");
	TEXT("\xe2\x81\xa6\xe2\x81\xa9\xd8\x9c\xe2\x80\x8e",
	     "\\u2066\\u2069\\u061c\\u200e");
	/* Valid UTF-8 as it is; the backslash stands for itself. */
	TEXT("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d",
	     "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d");
	TEXT("a\\x1b", "a\\x1b");
	TEXT("\xc2\xa0", "\xc2\xa0");
}

static void test_bounds(void **state)
{
	char out[64];
	bool cut = false;
	size_t n;

	(void)state;
	/* Characters: an escape counts as one. */
	n = phi_escape_text(out, sizeof(out), "\x1b\x1b\x1b\x1b", 4, 2, &cut);
	assert_string_equal(out, "\\x1b\\x1b");
	assert_int_equal(n, 8);
	assert_true(cut);
	n = phi_escape_text(out, sizeof(out), "\xe2\x82\xac\xe2\x82\xac", 6, 1,
			    &cut);
	assert_string_equal(out, "\xe2\x82\xac");
	assert_true(cut);
	/* The buffer: never half an escape, always the NUL. */
	memset(out, 'x', sizeof(out));
	n = phi_escape_text(out, 6, "a\x1b" "b", 3, 10, &cut);
	assert_string_equal(out, "a\\x1b");
	assert_int_equal(n, 5);
	assert_true(cut);
	n = phi_escape_text(out, 5, "a\x1b", 2, 10, &cut);
	assert_string_equal(out, "a");
	assert_true(cut);
	n = phi_escape_text(out, 1, "abc", 3, 10, &cut);
	assert_string_equal(out, "");
	assert_int_equal(n, 0);
	assert_int_equal(phi_escape_text(out, 0, "abc", 3, 10, NULL), 0);
	/* 6 bytes a character at most. */
	n = phi_escape_text(out, 6 * 10 + 1, "\xc2\x85\xc2\x85\xc2\x85\xc2\x85"
			    "\xc2\x85\xc2\x85\xc2\x85\xc2\x85\xc2\x85\xc2\x85",
			    20, 10, &cut);
	assert_int_equal(n, 60);
	assert_false(cut);
}

/* Nothing a terminal acts on: C0 but none (the report adds its own
 * newlines), DEL, C1 as UTF-8 or raw, the reordering characters; and the
 * output is valid UTF-8. */
static void assert_safe(const char *out, size_t n)
{
	const unsigned char *p = (const unsigned char *)out;

	for (size_t i = 0; i < n; i++) {
		unsigned c = p[i];

		assert_true(c >= 0x20 && c != 0x7f);
		if (c < 0x80)
			continue;
		/* A valid sequence, not C1, not U+2028/9, not bidi. */
		if (c >= 0xc2 && c <= 0xdf) {
			assert_true(i + 1 < n && (p[i + 1] & 0xc0) == 0x80);
			assert_false(c == 0xc2 && p[i + 1] < 0xa0);
			assert_false(c == 0xd8 && p[i + 1] == 0x9c);
			i += 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			assert_true(i + 2 < n);
			assert_false(c == 0xe2 && p[i + 1] == 0x80 &&
				     ((p[i + 2] >= 0xa8 && p[i + 2] <= 0xae) ||
				      p[i + 2] == 0x8e || p[i + 2] == 0x8f));
			assert_false(c == 0xe2 && p[i + 1] == 0x81 &&
				     p[i + 2] >= 0xa6 && p[i + 2] <= 0xa9);
			i += 2;
		} else {
			assert_true(c >= 0xf0 && c <= 0xf4 && i + 3 < n);
			i += 3;
		}
	}
}

static void test_every_short_input(void **state)
{
	char in[4], out[64];
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	(void)state;
	for (unsigned a = 0; a < 256; a++) {
		in[0] = (char)a;
		assert_safe(out, phi_escape_text(out, sizeof(out), in, 1, 8,
						 NULL));
		for (unsigned b = 0; b < 256; b++) {
			in[1] = (char)b;
			assert_safe(out, phi_escape_text(out, sizeof(out), in,
							 2, 8, NULL));
		}
	}
	for (int k = 0; k < 300000; k++) {
		char big[12], res[12 * PHI_ESCAPE_MAX + 1];

		for (size_t i = 0; i < sizeof(big); i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* Mostly bytes that start or continue UTF-8. */
			big[i] = (char)(x & 1 ? 0x80 | (x >> 8 & 0x7f) :
					x >> 8 & 0xff);
		}
		assert_safe(res, phi_escape_text(res, sizeof(res), big,
						 sizeof(big), 12, NULL));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controls),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_every_short_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
