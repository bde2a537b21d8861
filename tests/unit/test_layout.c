/* Unit tests for struct layouts (layout.h): documented built-in values,
 * the names of fields, and the key check that every built-in value equals
 * what the DWARF of the real libpython3.10 ($PHI_LIBPYTHON) says, plus
 * the fall-back to the built-in table for a file without DWARF; and the
 * one validation of a table from any source: the built-in table passes,
 * every value pushed out of its struct is refused naming the field, the
 * crafted snapshots of issue 12 (a set entry of 0 bytes, a dict entry
 * key at 2^20) are refused on import, and so is a DWARF whose setentry
 * is not CPython 3.10's (this test binary's own DWARF has one). */
#include <limits.h>
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
#include "pyheapinspect/cpython/310/layout.h"
#include "pyheapinspect/cpython/310/py310.h"

#define LIBPYTHON_ENV "PHI_LIBPYTHON"

/* Large (PATH_MAX inside): not on cmocka's stack. */
static struct phi_layout builtin, lay;

static void test_builtin_values(void **state)
{
	(void)state;
	memset(&builtin, 0x5a, sizeof(builtin));
	phi_layout_builtin(&builtin);
	assert_int_equal(builtin.source, PHI_LAYOUT_BUILTIN);
	assert_int_equal(builtin.missing, 0);
	assert_string_equal(builtin.dwarf_path, "");
	assert_int_equal(PHI_L(&builtin, IS_SMALL_INTS), 3512);
	assert_int_equal(PHI_L(&builtin, IS_GC_GENERATIONS), 640);
	assert_int_equal(PHI_L(&builtin, TP_FLAGS), 168);
	assert_int_equal(PHI_L(&builtin, DICT_KEYS), 32);
	assert_int_equal(PHI_L(&builtin, HT_SIZE), 888);
	assert_int_equal(PHI_L(&builtin, IS_NEXT), 0);
	assert_int_equal(PHI_L(&builtin, RT_INTERP_HEAD), 32);
	assert_int_equal(PHI_L(&builtin, RT_INTERP_MAIN), 40);
	assert_int_equal(PHI_L(&builtin, OB_TYPE), 8);
	assert_int_equal(PHI_L(&builtin, OB_SIZE), 16);
	assert_int_equal(PHI_L(&builtin, LONG_DIGIT), 24);
	assert_int_equal(PHI_L(&builtin, TP_SIZE), 408);
	assert_int_equal(PHI_L(&builtin, ODICT_INST_DICT), 96);
	/* The cache holds -5..256. */
	assert_int_equal(PHI_SMALL_INTS, 262);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(phi_layout_type_name(PHI_L_IS_SMALL_INTS), "_is");
	assert_string_equal(phi_layout_member_name(PHI_L_IS_SMALL_INTS),
			    "small_ints");
	assert_string_equal(phi_layout_type_name(PHI_L_IS_GC_GENERATIONS),
			    "_is");
	assert_string_equal(phi_layout_member_name(PHI_L_IS_GC_GENERATIONS),
			    "gc.generations");
	assert_string_equal(phi_layout_type_name(PHI_L_RT_INTERP_HEAD),
			    "pyruntimestate");
	assert_string_equal(phi_layout_type_name(PHI_L_LIST_ITEM),
			    "PyListObject");
	assert_string_equal(phi_layout_member_name(PHI_L_LIST_ITEM),
			    "ob_item");
	/* A size has no member. */
	assert_string_equal(phi_layout_type_name(PHI_L_HT_SIZE),
			    "_heaptypeobject");
	assert_string_equal(phi_layout_member_name(PHI_L_HT_SIZE), "(size)");
	/* Out of range. */
	assert_string_equal(phi_layout_type_name(PHI_L__COUNT), "?");
	assert_string_equal(phi_layout_member_name(PHI_L__COUNT), "(size)");
	assert_string_equal(phi_layout_type_name((enum phi_layout_id)-1), "?");
	/* Every id has a type name. */
	for (int i = 0; i < PHI_L__COUNT; i++) {
		const char *t = phi_layout_type_name((enum phi_layout_id)i);

		assert_non_null(t);
		assert_true(strlen(t) > 0);
		assert_string_not_equal(t, "?");
	}
}

/* The built-in table must be exactly what DWARF says for 3.10. */
static void test_dwarf_matches_builtin(void **state)
{
	const char *lib = getenv(LIBPYTHON_ENV);
	struct phi_error err = { 0 };
	int rc, bad = 0;

	(void)state;
	if (!lib || !*lib)
		fail_msg("%s is not set: point it at libpython3.10.so with "
			 "DWARF, e.g. /root/.pyenv/versions/3.10.13/lib/"
			 "libpython3.10.so.1.0 (make check sets it)",
			 LIBPYTHON_ENV);
	phi_layout_builtin(&builtin);
	rc = phi_layout_resolve(&lay, lib, &err);
	if (rc != 0)
		fail_msg("phi_layout_resolve(%s): %d: %s", lib, rc, err.msg);
	if (lay.source != PHI_LAYOUT_DWARF)
		fail_msg("%s: no DWARF was used (source %d)", lib, lay.source);
	assert_true(strlen(lay.dwarf_path) > 0);
	print_message("%s: DWARF from %s\n", lib, lay.dwarf_path);
	for (int i = 0; i < PHI_L__COUNT; i++) {
		enum phi_layout_id id = (enum phi_layout_id)i;

		if (lay.v[i] == builtin.v[i])
			continue;
		print_error("mismatch: %s.%s: DWARF %lld, built-in %lld\n",
			    phi_layout_type_name(id),
			    phi_layout_member_name(id),
			    (long long)lay.v[i], (long long)builtin.v[i]);
		bad++;
	}
	if (lay.missing)
		print_error("%u fields are missing from the DWARF\n",
			    lay.missing);
	assert_int_equal(lay.missing, 0);
	if (bad)
		fail_msg("%d of %d fields differ from the built-in table", bad,
			 PHI_L__COUNT);
}

static void test_no_dwarf_keeps_builtin(void **state)
{
	struct phi_error err = { 0 };
	int rc;

	(void)state;
	phi_layout_builtin(&builtin);
	memset(&lay, 0x5a, sizeof(lay));
	err.code = PHI_E_INTERNAL;
	/* Debian's /bin/true is stripped and has no debug file installed. */
	rc = phi_layout_resolve(&lay, "/bin/true", &err);
	if (rc != 0)
		fail_msg("phi_layout_resolve(/bin/true): %d: %s", rc, err.msg);
	assert_int_equal(lay.source, PHI_LAYOUT_BUILTIN);
	assert_int_equal(lay.missing, 0);
	assert_string_equal(lay.dwarf_path, "");
	assert_memory_equal(lay.v, builtin.v, sizeof(lay.v));
	/* The no-DWARF error is not left behind. */
	assert_int_equal(err.code, PHI_E_OK);
	assert_string_equal(err.msg, "");
}

static void test_missing_file(void **state)
{
	struct phi_error err = { 0 };

	(void)state;
	memset(&lay, 0x5a, sizeof(lay));
	assert_int_equal(phi_layout_resolve(&lay,
					    "/nonexistent/phi-test/libpy.so",
					    &err),
			 -PHI_E_IO);
	assert_int_equal(err.code, PHI_E_IO);
	assert_non_null(strstr(err.msg, "/nonexistent/phi-test/libpy.so"));
	/* The layout is still the usable built-in table. */
	phi_layout_builtin(&builtin);
	assert_int_equal(lay.source, PHI_LAYOUT_BUILTIN);
	assert_memory_equal(lay.v, builtin.v, sizeof(lay.v));
}

/* ---- validation --------------------------------------------------- */

/* "sizeof(setentry)" or "PyDictKeyEntry.me_key", as messages name it. */
static const char *name_of(int i, char *buf, size_t len)
{
	if (strcmp(phi_layout_member_name((enum phi_layout_id)i), "(size)"))
		snprintf(buf, len, "%s.%s",
			 phi_layout_type_name((enum phi_layout_id)i),
			 phi_layout_member_name((enum phi_layout_id)i));
	else
		snprintf(buf, len, "sizeof(%s)",
			 phi_layout_type_name((enum phi_layout_id)i));
	return buf;
}

static void test_builtin_validates(void **state)
{
	struct phi_error err = { 0 };

	(void)state;
	phi_layout_builtin(&builtin);
	if (phi_layout_validate(&builtin, &err) != 0)
		fail_msg("the built-in table is refused: %s", err.msg);
	/* Every member has the size of its struct in the table, and a
	 * width; sizes have none. */
	for (int i = 0; i < PHI_L__COUNT; i++) {
		enum phi_layout_id id = (enum phi_layout_id)i;
		enum phi_layout_id s = phi_layout_struct_of(id);

		assert_int_not_equal(s, PHI_L__COUNT);
		assert_string_equal(phi_layout_type_name(s),
				    phi_layout_type_name(id));
		assert_string_equal(phi_layout_member_name(s), "(size)");
		assert_true(phi_layout_width(id) >= 0);
		if (s == id)
			assert_int_equal(phi_layout_width(id), 0);
		else
			assert_true(builtin.v[i] + phi_layout_width(id) <=
				    builtin.v[s]);
	}
	/* Widths as CPython 3.10 declares the members. */
	assert_int_equal(phi_layout_width(PHI_L_DKE_KEY), 8);
	assert_int_equal(phi_layout_width(PHI_L_ASCII_STATE), 4);
	assert_int_equal(phi_layout_width(PHI_L_IS_SMALL_INTS),
			 8 * PHI_SMALL_INTS);
	assert_int_equal(phi_layout_width(PHI_L_IS_GC_GENERATIONS),
			 3 * PHI_L(&builtin, GCGEN_SIZE));
	assert_int_equal(phi_layout_width(PHI_L_DK_INDICES), 0);
}

/* lay with field i set to v is refused, naming field i. */
static void expect_refused(int i, int64_t v)
{
	struct phi_error err = { 0 };
	char name[128];
	int rc;

	phi_layout_builtin(&lay);
	lay.v[i] = v;
	rc = phi_layout_validate(&lay, &err);
	if (rc != -PHI_E_CORRUPT)
		fail_msg("%s = %lld: validate returned %d, expected refusal",
			 name_of(i, name, sizeof(name)), (long long)v, rc);
	assert_int_equal(err.code, PHI_E_CORRUPT);
	if (!strstr(err.msg, name_of(i, name, sizeof(name))))
		fail_msg("%s = %lld: the message does not name the field: %s",
			 name, (long long)v, err.msg);
}

static void test_every_field_refused_out_of_bounds(void **state)
{
	(void)state;
	phi_layout_builtin(&builtin);
	for (int i = 0; i < PHI_L__COUNT; i++) {
		enum phi_layout_id id = (enum phi_layout_id)i;
		enum phi_layout_id s = phi_layout_struct_of(id);

		expect_refused(i, -1);
		expect_refused(i, INT64_MIN);
		expect_refused(i, INT64_MAX);
		expect_refused(i, PHI_LAYOUT_MAX + 1);
		if (s == id) {
			expect_refused(i, 0);
			continue;
		}
		/* One byte past where the member still fits. */
		expect_refused(i, builtin.v[s] - phi_layout_width(id) + 1);
		expect_refused(i, builtin.v[s]  + 8);
	}
}

/* What every CPython 3.10 has is checked once, whatever else holds. */
static void test_invariants(void **state)
{
	struct phi_error err = { 0 };

	(void)state;
	expect_refused(PHI_L_OB_REFCNT, 8);
	expect_refused(PHI_L_OB_TYPE, 0);
	expect_refused(PHI_L_GCHEAD_SIZE, 24);
	expect_refused(PHI_L_SETENTRY_SIZE, 24);
	expect_refused(PHI_L_DKE_SIZE, 32);
	/* A member of an object's struct inside the object header. */
	expect_refused(PHI_L_LIST_ALLOCATED, 8);
	/* Misaligned. */
	expect_refused(PHI_L_TP_FLAGS, PHI_L(&builtin, TP_FLAGS) + 4);
	/* A heap type is a type and more. */
	phi_layout_builtin(&lay);
	lay.v[PHI_L_HT_SIZE] = PHI_L(&lay, TP_SIZE) - 8;
	lay.v[PHI_L_HT_NAME] = 16;
	lay.v[PHI_L_HT_SLOTS] = 24;
	lay.v[PHI_L_HT_QUALNAME] = 32;
	lay.v[PHI_L_HT_CACHED_KEYS] = 40;
	lay.v[PHI_L_HT_MODULE] = 48;
	assert_int_equal(phi_layout_validate(&lay, &err), -PHI_E_CORRUPT);
	assert_non_null(strstr(err.msg, "sizeof(_heaptypeobject)"));
}

/* The crafted snapshots of issue 12, through the import of a saved
 * description: refused with the field named, never a crash later. */
static void import_refused(const char *name, int64_t v, const char *field)
{
	struct phi_python py;
	struct phi_record rec;
	struct phi_error err = { 0 };
	int rc;

	memset(&py, 0, sizeof(py));
	phi_record_init(&rec);
	assert_int_equal(phi_record_set_num(&rec, name, v, &err), 0);
	rc = phi310_import(&py, &rec, &err);
	phi310_close(&py);
	phi_record_release(&rec);
	if (rc != -PHI_E_CORRUPT)
		fail_msg("%s = %lld: import returned %d (%s)", name,
			 (long long)v, rc, err.msg);
	if (!strstr(err.msg, field))
		fail_msg("%s: the message does not name %s: %s", name, field,
			 err.msg);
	print_message("%s = %lld: %s\n", name, (long long)v, err.msg);
}

static void test_import_refuses_crafted(void **state)
{
	struct phi_python py;
	struct phi_record rec;
	struct phi_error err = { 0 };

	(void)state;
	import_refused("layout:setentry", 0, "sizeof(setentry)");
	import_refused("layout:PyDictKeyEntry.me_key", 1 << 20,
		       "PyDictKeyEntry.me_key");
	import_refused("layout:_is.tstate_head", -8, "_is.tstate_head");
	import_refused("layout:PyGC_Head", 0, "sizeof(PyGC_Head)");
	/* A record holding the built-in values imports. */
	memset(&py, 0, sizeof(py));
	phi_record_init(&rec);
	assert_int_equal(phi_record_set_num(&rec, "layout:setentry", 16, &err),
			 0);
	assert_int_equal(phi310_import(&py, &rec, &err), 0);
	phi310_close(&py);
	phi_record_release(&rec);
}

/* A struct named as CPython's with another layout, in this binary's own
 * DWARF: the DWARF path refuses it as it does a snapshot's. */
typedef struct {
	void *key;
	long hash;
	long extra;
} setentry;
setentry phi_test_bogus_setentry;

static void test_dwarf_refused(void **state)
{
	struct phi_error err = { 0 };
	int rc;

	(void)state;
	phi_test_bogus_setentry.extra = 1;
	rc = phi_layout_resolve(&lay, "/proc/self/exe", &err);
	if (rc != -PHI_E_CORRUPT)
		fail_msg("phi_layout_resolve(/proc/self/exe): %d: %s", rc,
			 err.msg);
	assert_non_null(strstr(err.msg, "DWARF"));
	assert_non_null(strstr(err.msg, "sizeof(setentry) = 24"));
	print_message("%s\n", err.msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_values),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_dwarf_matches_builtin),
		cmocka_unit_test(test_no_dwarf_keeps_builtin),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_builtin_validates),
		cmocka_unit_test(test_every_field_refused_out_of_bounds),
		cmocka_unit_test(test_invariants),
		cmocka_unit_test(test_import_refuses_crafted),
		cmocka_unit_test(test_dwarf_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
