/* Unit tests for records (record.h), the named numbers and texts that
 * describe the interpreter in a snapshot: numbers and texts set, looked
 * up and replaced (a replacement keeps one entry; numbers and texts are
 * apart); a lookup of a name that is not there leaves its output alone;
 * names that are empty or longer than PHI_RECORD_MAX_NAME, and texts
 * longer than PHI_RECORD_MAX_TEXT, refused (the bounds themselves
 * accepted) without changing the record; the bound on entries, for
 * numbers and for texts apart (exactly PHI_RECORD_MAX_ENTRIES numbers
 * fit, one more is refused, a replacement at the bound still works); and
 * the release of an empty, a zeroed and a released record. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "pyheapinspect/base/record.h"

static void set_num_ok(struct phi_record *r, const char *name, int64_t v)
{
	struct phi_error err = { 0 };

	if (phi_record_set_num(r, name, v, &err) != 0)
		fail_msg("set_num '%s': %s", name, err.msg);
}

static void set_text_ok(struct phi_record *r, const char *name,
			const char *text)
{
	struct phi_error err = { 0 };

	if (phi_record_set_text(r, name, text, &err) != 0)
		fail_msg("set_text '%s': %s", name, err.msg);
}

static int64_t num(const struct phi_record *r, const char *name)
{
	int64_t v = 0x5a5a5a5a;

	if (!phi_record_num(r, name, &v))
		fail_msg("no number '%s'", name);
	return v;
}

static void test_set_get_replace(void **state)
{
	struct phi_record r;
	int64_t v;

	(void)state;
	phi_record_init(&r);
	assert_int_equal(r.nnum, 0);
	assert_int_equal(r.ntext, 0);
	set_num_ok(&r, "python.major", 3);
	set_num_ok(&r, "layout:_object.ob_type", 8);
	set_num_ok(&r, "min", INT64_MIN);
	set_num_ok(&r, "max", INT64_MAX);
	set_text_ok(&r, "python.version", "3.10.13 (main) [GCC]");
	set_text_ok(&r, "empty", "");
	assert_int_equal(r.nnum, 4);
	assert_int_equal(r.ntext, 2);
	assert_int_equal(num(&r, "python.major"), 3);
	assert_int_equal(num(&r, "layout:_object.ob_type"), 8);
	assert_true(num(&r, "min") == INT64_MIN);
	assert_true(num(&r, "max") == INT64_MAX);
	assert_string_equal(phi_record_text(&r, "python.version"),
			    "3.10.13 (main) [GCC]");
	assert_string_equal(phi_record_text(&r, "empty"), "");

	/* Names are copied: the caller's buffer may change. */
	{
		char name[16] = "copied", text[16] = "original";

		set_num_ok(&r, name, 77);
		set_text_ok(&r, name, text);
		strcpy(name, "changed");
		strcpy(text, "changed");
		assert_int_equal(num(&r, "copied"), 77);
		assert_string_equal(phi_record_text(&r, "copied"), "original");
		assert_false(phi_record_num(&r, "changed", &v));
	}

	/* Replacing keeps one entry with the new value. */
	set_num_ok(&r, "python.major", -1);
	set_text_ok(&r, "python.version", "replaced");
	assert_int_equal(r.nnum, 5);
	assert_int_equal(r.ntext, 3);
	assert_int_equal(num(&r, "python.major"), -1);
	assert_string_equal(phi_record_text(&r, "python.version"), "replaced");

	/* Numbers and texts are two name spaces. */
	assert_false(phi_record_num(&r, "python.version", &v));
	assert_null(phi_record_text(&r, "python.major"));

	/* Absent: false, and the output untouched. */
	v = 12345;
	assert_false(phi_record_num(&r, "python.minor", &v));
	assert_int_equal(v, 12345);
	assert_false(phi_record_num(&r, "python", &v));
	assert_false(phi_record_num(&r, "python.major.x", &v));
	assert_int_equal(v, 12345);
	assert_null(phi_record_text(&r, "nothing"));

	phi_record_release(&r);
	assert_int_equal(r.nnum, 0);
	assert_int_equal(r.ntext, 0);
	assert_null(r.num);
	assert_null(r.text);
	assert_false(phi_record_num(&r, "python.major", &v));
}

/* Names of 1 and PHI_RECORD_MAX_NAME bytes are accepted; empty ones and
 * longer ones are refused (PHI_E_INTERNAL: a caller's mistake) and leave
 * the record as it was. */
static void test_bad_names(void **state)
{
	struct phi_record r;
	struct phi_error err = { 0 };
	char name[PHI_RECORD_MAX_NAME + 2];
	int64_t v;

	(void)state;
	phi_record_init(&r);
	set_num_ok(&r, "a", 1);
	memset(name, 'n', sizeof(name));
	name[PHI_RECORD_MAX_NAME] = '\0';
	set_num_ok(&r, name, 255);
	set_text_ok(&r, name, "t");
	assert_int_equal(num(&r, name), 255);
	assert_string_equal(phi_record_text(&r, name), "t");

	name[PHI_RECORD_MAX_NAME] = 'n';
	name[PHI_RECORD_MAX_NAME + 1] = '\0';
	assert_int_equal(phi_record_set_num(&r, name, 256, &err),
			 -PHI_E_INTERNAL);
	assert_int_equal(err.code, PHI_E_INTERNAL);
	assert_true(err.msg[0] != '\0');
	memset(&err, 0, sizeof(err));
	assert_int_equal(phi_record_set_text(&r, name, "t", &err),
			 -PHI_E_INTERNAL);
	assert_int_equal(err.code, PHI_E_INTERNAL);
	assert_false(phi_record_num(&r, name, &v));
	assert_null(phi_record_text(&r, name));

	memset(&err, 0, sizeof(err));
	assert_int_equal(phi_record_set_num(&r, "", 0, &err),
			 -PHI_E_INTERNAL);
	assert_int_equal(err.code, PHI_E_INTERNAL);
	memset(&err, 0, sizeof(err));
	assert_int_equal(phi_record_set_text(&r, "", "t", &err),
			 -PHI_E_INTERNAL);
	assert_int_equal(err.code, PHI_E_INTERNAL);
	/* err may be NULL. */
	assert_int_equal(phi_record_set_num(&r, "", 0, NULL),
			 -PHI_E_INTERNAL);

	assert_int_equal(r.nnum, 2);
	assert_int_equal(r.ntext, 1);
	assert_int_equal(num(&r, "a"), 1);
	phi_record_release(&r);
}

/* A text of PHI_RECORD_MAX_TEXT bytes is accepted, one byte more is
 * refused, also as a replacement (the old text stays). */
static void test_long_texts(void **state)
{
	struct phi_record r;
	struct phi_error err = { 0 };
	char *text = malloc(PHI_RECORD_MAX_TEXT + 2);

	(void)state;
	assert_non_null(text);
	phi_record_init(&r);
	memset(text, 'x', PHI_RECORD_MAX_TEXT + 1);
	text[PHI_RECORD_MAX_TEXT] = '\0';
	set_text_ok(&r, "long", text);
	assert_int_equal(strlen(phi_record_text(&r, "long")),
			 PHI_RECORD_MAX_TEXT);
	text[PHI_RECORD_MAX_TEXT] = 'x';
	text[PHI_RECORD_MAX_TEXT + 1] = '\0';
	assert_int_equal(phi_record_set_text(&r, "long", text, &err),
			 -PHI_E_INTERNAL);
	assert_int_equal(err.code, PHI_E_INTERNAL);
	assert_true(err.msg[0] != '\0');
	assert_int_equal(strlen(phi_record_text(&r, "long")),
			 PHI_RECORD_MAX_TEXT);
	assert_int_equal(phi_record_set_text(&r, "other", text, &err),
			 -PHI_E_INTERNAL);
	assert_null(phi_record_text(&r, "other"));
	assert_int_equal(r.ntext, 1);
	phi_record_release(&r);
	free(text);
}

/* Entry i's name: three bytes (1..255 each, never NUL) that differ
 * from most other names at the first byte, so that the record's linear
 * search stays as short as it can be. */
static void bound_name(char *name, size_t i)
{
	name[0] = (char)(1 + i % 255);
	name[1] = (char)(1 + i / 255 % 255);
	name[2] = (char)(1 + i / (255 * 255));
	name[3] = '\0';
}

/* Exactly PHI_RECORD_MAX_ENTRIES numbers fit; one more is refused with
 * the record unchanged; replacing an entry at the bound works; texts
 * are bounded on their own. */
static void test_entry_bound(void **state)
{
	struct phi_record r;
	struct phi_error err = { 0 };
	char name[4];

	(void)state;
	phi_record_init(&r);
	for (size_t i = 0; i < PHI_RECORD_MAX_ENTRIES; i++) {
		bound_name(name, i);
		if (phi_record_set_num(&r, name, (int64_t)i, &err) != 0)
			fail_msg("number %zu: %s", i, err.msg);
	}
	assert_int_equal(r.nnum, PHI_RECORD_MAX_ENTRIES);
	assert_int_equal(phi_record_set_num(&r, "one more", 1, &err),
			 -PHI_E_INTERNAL);
	assert_int_equal(err.code, PHI_E_INTERNAL);
	assert_true(err.msg[0] != '\0');
	assert_int_equal(r.nnum, PHI_RECORD_MAX_ENTRIES);
	assert_false(phi_record_num(&r, "one more", &(int64_t){ 0 }));
	bound_name(name, PHI_RECORD_MAX_ENTRIES / 3);
	set_num_ok(&r, name, -7);
	assert_int_equal(num(&r, name), -7);
	bound_name(name, PHI_RECORD_MAX_ENTRIES - 1);
	assert_int_equal(num(&r, name), PHI_RECORD_MAX_ENTRIES - 1);
	set_text_ok(&r, "a text", "t");
	assert_int_equal(r.ntext, 1);
	phi_record_release(&r);
}

/* The same bound on texts.  Filling a record through the API costs time
 * quadratic in its entries (each one searches those before it), so this
 * record is put directly in the state that PHI_RECORD_MAX_ENTRIES
 * insertions leave it in: that many entries, the array full. */
static void test_text_bound(void **state)
{
	struct phi_record r;
	struct phi_error err = { 0 };
	char name[4];

	(void)state;
	phi_record_init(&r);
	r.text = calloc(PHI_RECORD_MAX_ENTRIES, sizeof(*r.text));
	assert_non_null(r.text);
	r.textcap = PHI_RECORD_MAX_ENTRIES;
	for (size_t i = 0; i < PHI_RECORD_MAX_ENTRIES; i++) {
		bound_name(name, i);
		r.text[i].name = strdup(name);
		r.text[i].text = strdup("");
		assert_non_null(r.text[i].name);
		assert_non_null(r.text[i].text);
		r.ntext++;
	}
	assert_int_equal(phi_record_set_text(&r, "one more", "t", &err),
			 -PHI_E_INTERNAL);
	assert_int_equal(err.code, PHI_E_INTERNAL);
	assert_int_equal(r.ntext, PHI_RECORD_MAX_ENTRIES);
	assert_null(phi_record_text(&r, "one more"));
	bound_name(name, 777);
	set_text_ok(&r, name, "replaced");
	assert_string_equal(phi_record_text(&r, name), "replaced");
	assert_int_equal(r.ntext, PHI_RECORD_MAX_ENTRIES);
	/* Numbers are bounded on their own. */
	set_num_ok(&r, "a number", 1);
	phi_record_release(&r);
}

/* Releasing a record that holds nothing, a zeroed one, and one already
 * released is harmless; a released record can be filled again. */
static void test_release_empty(void **state)
{
	struct phi_record r, z;

	(void)state;
	phi_record_init(&r);
	phi_record_release(&r);
	phi_record_release(&r);
	assert_null(r.num);
	assert_int_equal(r.nnum, 0);
	memset(&z, 0, sizeof(z));
	phi_record_release(&z);
	set_num_ok(&r, "again", 1);
	assert_int_equal(num(&r, "again"), 1);
	phi_record_release(&r);
	phi_record_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_get_replace),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_long_texts),
		cmocka_unit_test(test_entry_bound),
		cmocka_unit_test(test_text_bound),
		cmocka_unit_test(test_release_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
