/* Unit tests for the JSON helpers (jsonout.h): exact text of addresses,
 * target text made valid UTF-8 (valid sequences kept, each bad byte
 * becoming U+FFFD), yajl's escapes, the phi_utf8_seq_len table, a write
 * error on close, and a round trip of the produced documents through
 * yajl_tree_parse. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "pyheapinspect/base/escape.h"
#include "pyheapinspect/report/jsonout.h"

#define FFFD "\xef\xbf\xbd"

/* ---- A document written to memory. */

struct doc {
	FILE *f;
	char *buf;
	size_t len;
	yajl_gen g;
};

static void doc_open(struct doc *d, bool pretty)
{
	memset(d, 0, sizeof(*d));
	d->f = open_memstream(&d->buf, &d->len);
	assert_non_null(d->f);
	d->g = phi_json_open(d->f, pretty);
	assert_non_null(d->g);
}

/* Close the generator and the stream; d->buf holds the text. */
static void doc_close(struct doc *d)
{
	struct phi_error err = { 0 };

	assert_int_equal(phi_json_close(d->g, d->f, &err), 0);
	assert_int_equal(fclose(d->f), 0);
	d->f = NULL;
}

static void doc_free(struct doc *d)
{
	free(d->buf);
	d->buf = NULL;
}

/* {"s": <phi_json_text of s>} in compact form. */
static void text_doc(struct doc *d, const void *s, size_t len)
{
	doc_open(d, false);
	yajl_gen_map_open(d->g);
	phi_json_key(d->g, "s");
	phi_json_text(d->g, s, len);
	yajl_gen_map_close(d->g);
	doc_close(d);
}

/* Assert the exact bytes written (NUL bytes allowed in want). */
static void assert_doc(const struct doc *d, const char *want,
		       size_t want_len)
{
	if (d->len != want_len || memcmp(d->buf, want, want_len) != 0)
		fail_msg("document is '%.*s' (%zu bytes), want '%.*s' "
			 "(%zu bytes)", (int)d->len, d->buf, d->len,
			 (int)want_len, want, want_len);
}

/* Parse the document and return the string under key "s" (malloc'd). */
static char *parsed_s(const struct doc *d)
{
	char errbuf[256] = "";
	char *text = strndup(d->buf, d->len), *out;
	const char *path[] = { "s", NULL };
	yajl_val root, v;

	assert_non_null(text);
	root = yajl_tree_parse(text, errbuf, sizeof(errbuf));
	if (!root)
		fail_msg("yajl_tree_parse: %s in '%s'", errbuf, text);
	v = yajl_tree_get(root, path, yajl_t_string);
	assert_non_null(v);
	assert_true(YAJL_IS_STRING(v));
	out = strdup(v->u.string);
	assert_non_null(out);
	yajl_tree_free(root);
	free(text);
	return out;
}

/* text -> document: the exact output, and the parsed string back. */
static void check_text(const char *in, size_t in_len, const char *clean)
{
	struct doc d;
	char want[4096];
	char *back;
	int n = snprintf(want, sizeof(want), "{\"s\":\"%s\"}", clean);

	assert_true(n > 0 && (size_t)n < sizeof(want));
	text_doc(&d, in, in_len);
	assert_doc(&d, want, (size_t)n);
	back = parsed_s(&d);
	assert_string_equal(back, clean);
	free(back);
	doc_free(&d);
}

#define CHECK_TEXT(in, clean) check_text((in), sizeof(in) - 1, (clean))

/* ---- Tests */

static void test_address(void **state)
{
	struct doc d;
	static const char want[] =
		"{\"a\":\"0x7f3a1c2d0e10\",\"zero\":\"0x0\","
		"\"max\":\"0xffffffffffffffff\",\"odd\":\"0xabcdef\"}";

	(void)state;
	doc_open(&d, false);
	yajl_gen_map_open(d.g);
	phi_json_key(d.g, "a");
	phi_json_address(d.g, 0x7f3a1c2d0e10ULL);
	phi_json_key(d.g, "zero");
	phi_json_address(d.g, 0);
	phi_json_key(d.g, "max");
	phi_json_address(d.g, UINT64_MAX);
	phi_json_key(d.g, "odd");
	phi_json_address(d.g, 0xABCDEF);
	yajl_gen_map_close(d.g);
	doc_close(&d);
	assert_doc(&d, want, sizeof(want) - 1);
	doc_free(&d);
}

static void test_text_valid_utf8(void **state)
{
	(void)state;
	CHECK_TEXT("plain ascii", "plain ascii");
	CHECK_TEXT("caf\xc3\xa9", "caf\xc3\xa9");            /* é */
	CHECK_TEXT("\xe2\x82\xac 5", "\xe2\x82\xac 5");      /* € */
	CHECK_TEXT("\xf0\x9f\x98\x80!", "\xf0\x9f\x98\x80!"); /* 😀 */
	/* The ends of the ranges: U+0080, U+07FF, U+FFFF, U+10FFFF. */
	CHECK_TEXT("\xc2\x80\xdf\xbf\xef\xbf\xbf\xf4\x8f\xbf\xbf",
		   "\xc2\x80\xdf\xbf\xef\xbf\xbf\xf4\x8f\xbf\xbf");
	CHECK_TEXT("", "");
}

static void test_text_invalid_bytes(void **state)
{
	(void)state;
	CHECK_TEXT("\xff", FFFD);
	CHECK_TEXT("a\xfe" "b", "a" FFFD "b");
	/* A lone continuation byte. */
	CHECK_TEXT("a\x80" "b", "a" FFFD "b");
	/* Overlong forms: one U+FFFD per byte. */
	CHECK_TEXT("\xc0\x80", FFFD FFFD);
	CHECK_TEXT("\xc1\xbf", FFFD FFFD);
	CHECK_TEXT("\xe0\x80\xaf", FFFD FFFD FFFD);
	CHECK_TEXT("\xf0\x8f\xbf\xbf", FFFD FFFD FFFD FFFD);
	/* A UTF-16 surrogate. */
	CHECK_TEXT("\xed\xa0\x80", FFFD FFFD FFFD);
	/* Truncated at the end of the text, and before an ASCII byte. */
	CHECK_TEXT("x\xe2\x82", "x" FFFD FFFD);
	CHECK_TEXT("\xe2\x82" "A", FFFD FFFD "A");
	CHECK_TEXT("\xf0\x9f\x98", FFFD FFFD FFFD);
	/* Past U+10FFFF, and lead bytes F5 and above. */
	CHECK_TEXT("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);
	CHECK_TEXT("\xf5\x80\x80\x80", FFFD FFFD FFFD FFFD);
	CHECK_TEXT("\xf8\xfc", FFFD FFFD);
	/* A bad byte does not swallow the valid sequence after it. */
	CHECK_TEXT("\xff\xe2\x82\xac", FFFD "\xe2\x82\xac");
	CHECK_TEXT("\xc3\xc3\xa9", FFFD "\xc3\xa9");
}

static void test_text_escapes(void **state)
{
	struct doc d;
	/* quote, backslash, newline, \x01, \x1f, tab, CR, BS, FF */
	static const char in[] = "q\"b\\n\n\x01\x1f\t\r\b\f/\x7f";
	static const char want[] =
		"{\"s\":\"q\\\"b\\\\n\\n\\u0001\\u001F\\t\\r\\b\\f/\x7f\"}";
	char *back;

	(void)state;
	text_doc(&d, in, sizeof(in) - 1);
	assert_doc(&d, want, sizeof(want) - 1);
	back = parsed_s(&d);
	assert_string_equal(back, in);
	free(back);
	doc_free(&d);
}

static void test_text_nul_byte(void **state)
{
	struct doc d;
	static const char want[] = "{\"s\":\"a\\u0000b\"}";

	(void)state;
	text_doc(&d, "a\0b", 3);
	assert_doc(&d, want, sizeof(want) - 1);
	doc_free(&d);
}

/* Texts longer than the stack buffer (512 bytes = 170 bad bytes). */
static void test_text_long(void **state)
{
	const size_t lens[] = { 170, 171, 1000 };
	char in[1000], clean[3 * 1000 + 1];
	char accents[1201], *back;
	struct doc d;

	(void)state;
	memset(in, 0xff, sizeof(in));
	for (size_t k = 0; k < 3; k++) {
		size_t n = lens[k];

		for (size_t i = 0; i < n; i++)
			memcpy(clean + 3 * i, FFFD, 3);
		clean[3 * n] = '\0';
		text_doc(&d, in, n);
		assert_int_equal(d.len, strlen("{\"s\":\"\"}") + 3 * n);
		back = parsed_s(&d);
		assert_string_equal(back, clean);
		free(back);
		doc_free(&d);
	}
	/* 600 two-byte characters are kept. */
	for (size_t i = 0; i < 600; i++)
		memcpy(accents + 2 * i, "\xc3\xa9", 2);
	accents[1200] = '\0';
	text_doc(&d, accents, 1200);
	back = parsed_s(&d);
	assert_string_equal(back, accents);
	free(back);
	doc_free(&d);
}

static void test_string_and_key(void **state)
{
	struct doc d;
	static const char want[] =
		"{\"k\xc3\xa9y\":\"bad" FFFD "end\",\"n\":[1,true]}";

	(void)state;
	doc_open(&d, false);
	yajl_gen_map_open(d.g);
	phi_json_key(d.g, "k\xc3\xa9y");
	phi_json_string(d.g, "bad\x80" "end");
	phi_json_key(d.g, "n");
	yajl_gen_array_open(d.g);
	yajl_gen_integer(d.g, 1);
	yajl_gen_bool(d.g, 1);
	yajl_gen_array_close(d.g);
	yajl_gen_map_close(d.g);
	doc_close(&d);
	assert_doc(&d, want, sizeof(want) - 1);
	doc_free(&d);
}

static void test_pretty(void **state)
{
	struct doc d;
	static const char head[] = "{\n  \"s\": \"0x10\",\n  \"l\": [\n";
	char *back;

	(void)state;
	doc_open(&d, true);
	yajl_gen_map_open(d.g);
	phi_json_key(d.g, "s");
	phi_json_address(d.g, 0x10);
	phi_json_key(d.g, "l");
	yajl_gen_array_open(d.g);
	yajl_gen_integer(d.g, 7);
	yajl_gen_array_close(d.g);
	yajl_gen_map_close(d.g);
	doc_close(&d);
	assert_true(d.len > sizeof(head) - 1);
	assert_memory_equal(d.buf, head, sizeof(head) - 1);
	assert_int_equal(d.buf[d.len - 1], '\n');
	back = parsed_s(&d);
	assert_string_equal(back, "0x10");
	free(back);
	doc_free(&d);
}

static void test_close_write_error(void **state)
{
	struct phi_error err = { 0 };
	FILE *f = fopen("/dev/full", "w");
	yajl_gen g;

	(void)state;
	assert_non_null(f);
	g = phi_json_open(f, false);
	assert_non_null(g);
	phi_json_string(g, "no space left");
	assert_int_equal(phi_json_close(g, f, &err), -PHI_E_IO);
	assert_int_equal(err.code, PHI_E_IO);
	fclose(f);
}

static size_t seq_len(const char *s, size_t len)
{
	return phi_utf8_seq_len((const unsigned char *)s, len);
}

static void test_utf8_seq_len(void **state)
{
	static const struct {
		const char *s;
		size_t len, want;
	} t[] = {
		{ "A", 1, 1 },
		{ "\x00", 1, 1 },
		{ "\x7f", 1, 1 },
		{ "AB", 2, 1 },
		{ "\xc2\x80", 2, 2 },         /* U+0080 */
		{ "\xc3\xa9", 2, 2 },         /* é */
		{ "\xdf\xbf", 2, 2 },         /* U+07FF */
		{ "\xc0\x80", 2, 0 },         /* overlong */
		{ "\xc1\xbf", 2, 0 },         /* overlong */
		{ "\xc3\x28", 2, 0 },         /* bad continuation */
		{ "\xc3", 1, 0 },             /* truncated */
		{ "\xc3\xa9", 1, 0 },         /* len stops it */
		{ "\x80", 1, 0 },             /* lone continuation */
		{ "\xbf", 1, 0 },
		{ "\xe0\xa0\x80", 3, 3 },     /* U+0800 */
		{ "\xe0\x9f\xbf", 3, 0 },     /* overlong U+07FF */
		{ "\xe2\x82\xac", 3, 3 },     /* € */
		{ "\xe2\x82", 2, 0 },         /* truncated */
		{ "\xe2\x28\xa1", 3, 0 },
		{ "\xe2\x82\x28", 3, 0 },
		{ "\xed\x9f\xbf", 3, 3 },     /* U+D7FF */
		{ "\xed\xa0\x80", 3, 0 },     /* U+D800 */
		{ "\xed\xbf\xbf", 3, 0 },     /* U+DFFF */
		{ "\xee\x80\x80", 3, 3 },     /* U+E000 */
		{ "\xef\xbf\xbf", 3, 3 },     /* U+FFFF */
		{ "\xf0\x90\x80\x80", 4, 4 }, /* U+10000 */
		{ "\xf0\x8f\xbf\xbf", 4, 0 }, /* overlong */
		{ "\xf0\x9f\x98\x80", 4, 4 }, /* 😀 */
		{ "\xf0\x9f\x98", 3, 0 },     /* truncated */
		{ "\xf0\x9f\x98\x80", 3, 0 }, /* len stops it */
		{ "\xf4\x8f\xbf\xbf", 4, 4 }, /* U+10FFFF */
		{ "\xf4\x90\x80\x80", 4, 0 }, /* U+110000 */
		{ "\xf5\x80\x80\x80", 4, 0 },
		{ "\xf8\x88\x80\x80\x80", 5, 0 },
		{ "\xfe", 1, 0 },
		{ "\xff", 1, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(*t); i++) {
		size_t got = seq_len(t[i].s, t[i].len);

		if (got != t[i].want)
			fail_msg("entry %zu (first byte 0x%02x, len %zu): got "
				 "%zu, want %zu", i, (unsigned char)t[i].s[0],
				 t[i].len, got, t[i].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_address),
		cmocka_unit_test(test_text_valid_utf8),
		cmocka_unit_test(test_text_invalid_bytes),
		cmocka_unit_test(test_text_escapes),
		cmocka_unit_test(test_text_nul_byte),
		cmocka_unit_test(test_text_long),
		cmocka_unit_test(test_string_and_key),
		cmocka_unit_test(test_pretty),
		cmocka_unit_test(test_close_write_error),
		cmocka_unit_test(test_utf8_seq_len),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
