/* Unit tests for the C types' tables (cpython/310/ctypes.h) and the
 * generic decoder's DWARF question (phi_dwarf_function_struct):
 *
 *   - every built-in offset and struct size of ctypes.h equals what the
 *     DWARF of its file says: libpython3.10 ($PHI_LIBPYTHON) or an
 *     extension module of lib-dynload ($PHI_DYNLOAD), and every member
 *     with its width lies inside its struct;
 *   - the struct that DWARF gives for a type's tp_traverse (found by its
 *     name in .symtab) is the one the survey found, with the object
 *     members expected: FutureObj's (its weak list head and dict
 *     included, the decoders leave those out by the type's offsets), a
 *     Python-object parameter followed to the first local pointer
 *     (tuplegetter_traverse), a module's state struct from its
 *     m_traverse, an array member (hamt_bitmap_node's b_array), and no
 *     pointer to a struct that is not an object (an Element's extra). */
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

#include "pyheapinspect/debuginfo/dwarf.h"
#include "pyheapinspect/debuginfo/elfsym.h"
#include "pyheapinspect/cpython/310/ctypes.h"

static const char *env(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v)
		fail_msg("%s is not set (make check sets it: the CPython 3.10 "
			 "with DWARF that tests/find-python310.sh finds)", name);
	return v;
}

/* The ELF file a row of the table names. */
static void file_path(const char *file, char *buf, size_t len)
{
	if (strcmp(file, "libpython") == 0)
		snprintf(buf, len, "%s", env("PHI_LIBPYTHON"));
	else
		snprintf(buf, len, "%s/%s.cpython-310-x86_64-linux-gnu.so",
			 env("PHI_DYNLOAD"), file);
}

static void test_offsets_match_dwarf(void **state)
{
	struct phi_dwarf_query *q = calloc(phi_ct_nfields, sizeof(*q));
	bool *done = calloc(phi_ct_nfields, sizeof(*done));
	int bad = 0, files = 0;

	(void)state;
	assert_non_null(q);
	assert_non_null(done);
	for (size_t i = 0; i < phi_ct_nfields; i++) {
		const char *file = phi_ct_fields[i].file;
		size_t n = 0, idx[1024];
		struct phi_error err = { 0 };
		char path[PATH_MAX];
		int rc;

		if (done[i])
			continue;
		/* One pass over each file's DWARF for all its rows. */
		for (size_t j = i; j < phi_ct_nfields && n < 1024; j++) {
			if (done[j] || strcmp(phi_ct_fields[j].file, file))
				continue;
			idx[n] = j;
			q[n++] = (struct phi_dwarf_query){
				.type_name = phi_ct_fields[j].type,
				.member = phi_ct_fields[j].member
			};
			done[j] = true;
		}
		file_path(file, path, sizeof(path));
		rc = phi_dwarf_resolve(path, q, n, NULL, 0, &err);
		if (rc != 0)
			fail_msg("%s: %d: %s", path, rc, err.msg);
		files++;
		for (size_t k = 0; k < n; k++) {
			const struct phi_ct_field *f = &phi_ct_fields[idx[k]];

			if (q[k].found && q[k].value == f->value)
				continue;
			print_error("%s (%s %s.%s): DWARF %s %lld, built-in "
				    "%lld\n", f->id, file, f->type,
				    f->member ? f->member : "(size)",
				    q[k].found ? "says" : "lacks it",
				    (long long)q[k].value,
				    (long long)f->value);
			bad++;
		}
	}
	print_message("%zu offsets and sizes in %d files\n", phi_ct_nfields,
		      files);
	free(q);
	free(done);
	if (bad)
		fail_msg("%d of %zu built-in values differ from DWARF", bad,
			 phi_ct_nfields);
}

/* Every member, with its width, inside its struct, whose size the
 * table has. */
static void test_widths(void **state)
{
	(void)state;
	for (size_t i = 0; i < phi_ct_nfields; i++) {
		const struct phi_ct_field *f = &phi_ct_fields[i];
		const struct phi_ct_field *s = NULL;

		if (!f->member) {
			assert_int_equal(f->width, 0);
			assert_true(f->value > 0);
			continue;
		}
		for (size_t j = 0; j < phi_ct_nfields && !s; j++)
			if (!phi_ct_fields[j].member &&
			    !strcmp(phi_ct_fields[j].file, f->file) &&
			    !strcmp(phi_ct_fields[j].type, f->type))
				s = &phi_ct_fields[j];
		if (!s)
			fail_msg("%s: no size of %s in the table", f->id,
				 f->type);
		assert_true(f->width > 0);
		if (f->value < 0 || f->value + f->width > s->value)
			fail_msg("%s: %lld + %lld past sizeof(%s) = %lld",
				 f->id, (long long)f->value,
				 (long long)f->width, f->type,
				 (long long)s->value);
	}
}

/* ---- the generic decoder's question --------------------------------- */

static uint64_t symbol(const char *path, const char *name)
{
	struct phi_sym_query q = { .name = name };
	struct phi_error err = { 0 };
	struct phi_elf e;

	if (phi_elf_open(&e, path, &err) < 0)
		fail_msg("%s: %s", path, err.msg);
	phi_elf_lookup(&e, &q, 1);
	phi_elf_close(&e);
	if (!q.found)
		fail_msg("%s: no symbol %s", path, name);
	return q.value;
}

/* The struct of fn in file, its object members' offsets (arrays as
 * offset:count) compared with want. */
static void expect(const char *file, const char *fn, bool want_object,
		   const char *struct_name, uint64_t size, bool local,
		   const char *want)
{
	struct phi_dwarf_objmember m[64];
	struct phi_dwarf_objstruct s = { .m = m, .cap = 64 };
	struct phi_dwarf_file *f = NULL;
	struct phi_error err = { 0 };
	char path[PATH_MAX], got[1024] = "";
	int rc;

	file_path(file, path, sizeof(path));
	rc = phi_dwarf_file_open(path, &f, &err);
	if (rc != 0)
		fail_msg("%s: %d: %s", path, rc, err.msg);
	assert_true(phi_dwarf_file_functions(f) > 0);
	rc = phi_dwarf_function_struct(f, symbol(path, fn), want_object, &s,
				       &err);
	phi_dwarf_file_close(f);
	if (rc != 1)
		fail_msg("%s in %s: %d (%s)", fn, path, rc, err.msg);
	for (size_t i = 0; i < s.n; i++) {
		size_t n = strlen(got);

		if (m[i].count == 1)
			snprintf(got + n, sizeof(got) - n, "%s%llu", n ? " " : "",
				 (unsigned long long)m[i].offset);
		else
			snprintf(got + n, sizeof(got) - n, "%s%llu:%llu",
				 n ? " " : "", (unsigned long long)m[i].offset,
				 (unsigned long long)m[i].count);
	}
	print_message("%s: %s (%llu bytes%s): %s\n", fn, s.name,
		      (unsigned long long)s.size, s.local ? ", a local" : "",
		      got);
	assert_string_equal(s.name, struct_name);
	assert_int_equal(s.size, size);
	assert_int_equal(s.local, local);
	assert_string_equal(got, want);
}

static void test_function_structs(void **state)
{
	(void)state;
	/* fut_loop .. fut_cancel_msg, dict, fut_weakreflist, and the
	 * three objects of fut_cancelled_exc_state (not its
	 * previous_item, a struct _err_stackitem *). */
	expect("_asyncio", "FutureObj_traverse", true, "FutureObj", PHI_CT_FUT_SIZE,
	       false, "16 24 32 40 48 56 64 72 80 104 112 120 128 136");
	/* tuplegetter_traverse(PyObject *self, ...) casts self. */
	expect("libpython", "tuplegetter_traverse", true,
	       "_tuplegetterobject",
	       PHI_CT_TUPLEGET_SIZE, true, "24");
	/* The Element's extra is a struct that is no object. */
	expect("_elementtree", "element_gc_traverse", true, "ElementObject",
	       PHI_CT_ELEM_SIZE, false, "16 24 32 48");
	expect("libpython", "hamt_node_bitmap_traverse", true,
	       "PyHamtNode_Bitmap",
	       PHI_CT_HAMTBM_SIZE, false, "32");
	expect("libpython", "hamt_node_array_traverse", true,
	       "PyHamtNode_Array",
	       PHI_CT_HAMTARR_SIZE, false, "16:32");
	/* A module's m_traverse(PyObject *module, ...): its state struct
	 * is the first local pointer, and no object. */
	expect("_struct", "_structmodule_traverse", false,
	       "_structmodulestate",
	       PHI_CT_MS_STRUCT_SIZE, true, "0 8 16 24");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offsets_match_dwarf),
		cmocka_unit_test(test_widths),
		cmocka_unit_test(test_function_structs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
