/* Unit tests for the cutting of target text to an output's cap
 * (textfit.h): text that fits is kept as it is, text that does not is
 * cut on a character boundary with the ellipsis counted, the widths of
 * the HTML report's blob are those of yajl plus the page's rule, and
 * bad UTF-8 becomes U+FFFD. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "pyheapinspect/report/textfit.h"

#define ELL "\xe2\x80\xa6"

static size_t width_one(const unsigned char *c, size_t n)
{
	(void)c;
	return n;
}

static const char *fit(const char *s, size_t limit, phi_escaped_width w)
{
	static char out[512];
	size_t n = phi_text_fit(s, strlen(s), out, sizeof(out), limit, w);

	assert_int_equal(n, strlen(out));
	return out;
}

static void test_fits(void **state)
{
	(void)state;
	assert_string_equal(fit("", 10, width_one), "");
	assert_string_equal(fit("abcdefghij", 10, width_one), "abcdefghij");
}

static void test_cut(void **state)
{
	(void)state;
	/* 11 bytes into 10: 7 kept, then the 3-byte ellipsis. */
	assert_string_equal(fit("abcdefghijk", 10, width_one),
			    "abcdefg" ELL);
	/* é is 2 bytes: never split. */
	assert_string_equal(fit("abcde\xc3\xa9" "fghij", 10, width_one),
			    "abcde\xc3\xa9" ELL);
	assert_string_equal(fit("abcdef\xc3\xa9" "ghij", 10, width_one),
			    "abcdef" ELL);
}

static void test_blob_widths(void **state)
{
	static const struct { const char *c; size_t w; } cases[] = {
		{ "a", 1 }, { "\"", 2 }, { "\\", 2 }, { "\n", 2 }, { "\t", 2 },
		{ "\x01", 6 }, { "\x1b", 6 }, { "<", 6 }, { ">", 6 }, { "&", 6 },
		{ "/", 1 }, { "\x7f", 1 }, { "\xc3\xa9", 2 },
		{ "\xe2\x80\xa8", 6 }, { "\xe2\x80\xa9", 6 },
		{ "\xe2\x80\xa6", 3 }, { "\xf0\x9f\x98\x80", 4 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(phi_width_blob((const unsigned char *)
						cases[i].c,
						strlen(cases[i].c)),
				 cases[i].w);
	/* Each "<" costs 6 in the blob: 3 of them and the ellipsis in 22. */
	assert_string_equal(fit("<<<<<<<<", 22, phi_width_blob), "<<<" ELL);
	assert_string_equal(fit("<<<", 18, phi_width_blob), "<<<");
}

static void test_bad_utf8(void **state)
{
	(void)state;
	/* A lone continuation byte and a truncated sequence: U+FFFD each,
	 * counted at their 3 bytes. */
	assert_string_equal(fit("a\x80" "b\xe2\x80", 20, width_one),
			    "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(fit("\x80\x80\x80\x80", 9, width_one),
			    "\xef\xbf\xbd\xef\xbf\xbd" ELL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fits),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_blob_widths),
		cmocka_unit_test(test_bad_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
