/* Unit tests for struct layouts (layout.h): documented built-in values,
 * the names of fields, and the key check that every built-in value equals
 * what the DWARF of the real libpython3.10 ($PHI_LIBPYTHON) says, plus
 * the fall-back to the built-in table for a file without DWARF. */
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

#include "pyheapinspect/cpython/310/layout.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_values),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_dwarf_matches_builtin),
		cmocka_unit_test(test_no_dwarf_keeps_builtin),
		cmocka_unit_test(test_missing_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
