/* Unit tests for phi_dwarf_resolve(): layouts of structs defined here,
 * read back from this test's own DWARF (it must be built with -g) and
 * compared with offsetof/sizeof; files without DWARF (which it answers
 * without looking for a separate debug file: test_debugfile.c tests
 * that search); and the real libpython named by $PHI_LIBPYTHON. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <gelf.h>
#include <gnu/libc-version.h>
#include <libelf.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "pyheapinspect/debuginfo/dwarf.h"

/* ---- Types whose DWARF the tests read.  The phi_t_ prefix keeps them
 * apart from any type of libc or cmocka. */

struct phi_t_plain {
	char c;
	int i;
	long l;
	double d;
};

typedef struct {
	short a;
	void *p;
	char name[3];
} phi_t_anon_td;

struct phi_t_outer {
	int head;
	struct phi_t_plain inner;
	union {
		long u_long;
		struct {
			char x;
			int y;
		};
	};
	const volatile struct phi_t_plain cv_inner;
	int arr[5];
	struct phi_t_plain *ptr;
	unsigned bits : 3;
	long tail;
};

typedef struct phi_t_outer phi_t_outer_td;
typedef const phi_t_outer_td phi_t_const_outer_td;

/* Referenced objects make GCC emit the types' DWARF. */
__attribute__((used)) static struct phi_t_plain g_plain;
__attribute__((used)) static phi_t_anon_td g_anon_td;
__attribute__((used)) static struct phi_t_outer g_outer;
__attribute__((used)) static phi_t_const_outer_td g_const_outer;

#define LIBPYTHON_ENV "PHI_LIBPYTHON"

/* ---- Helpers */

#define Q(type, member) { (type), (member), -1, false, NULL }

static int resolve(const char *path, struct phi_dwarf_query *q, size_t n,
		   char *used, size_t used_len, struct phi_error *err)
{
	memset(err, 0, sizeof(*err));
	return phi_dwarf_resolve(path, q, n, used, used_len, err);
}

static void expect(const struct phi_dwarf_query *q, int64_t value)
{
	if (!q->found)
		fail_msg("%s.%s not found", q->type_name,
			 q->member ? q->member : "(size)");
	if (q->value != value)
		fail_msg("%s.%s = %lld, expected %lld", q->type_name,
			 q->member ? q->member : "(size)",
			 (long long)q->value, (long long)value);
}

static void expect_missing(const struct phi_dwarf_query *q)
{
	if (q->found)
		fail_msg("%s.%s found (%lld) but should not be",
			 q->type_name, q->member ? q->member : "(size)",
			 (long long)q->value);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void path_join(char *buf, size_t cap, const char *dir,
		      const char *name)
{
	int n = snprintf(buf, cap, "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < cap);
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	ssize_t n;
	int in, out;

	in = open(from, O_RDONLY);
	assert_true(in >= 0);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, n), n);
	assert_int_equal(n, 0);
	close(in);
	close(out);
}

/* The .gnu_debuglink name of an ELF file, read independently of the code
 * under test. */
static void debuglink_of(const char *path, char *name, size_t cap)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	Elf_Data *d;
	size_t shstrndx;
	Elf *elf;
	int fd;

	name[0] = '\0';
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	assert_non_null(elf);
	assert_int_equal(elf_getshdrstrndx(elf, &shstrndx), 0);
	while ((scn = elf_nextscn(elf, scn))) {
		const char *s;

		assert_non_null(gelf_getshdr(scn, &sh));
		s = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!s || strcmp(s, ".gnu_debuglink"))
			continue;
		d = elf_getdata(scn, NULL);
		assert_non_null(d);
		snprintf(name, cap, "%.*s", (int)strnlen(d->d_buf, d->d_size),
			 (const char *)d->d_buf);
	}
	elf_end(elf);
	close(fd);
	if (!name[0])
		fail_msg("%s has no .gnu_debuglink section", path);
}

/* A hint naming this file's own unit finds the type there; a hint that
 * names no unit falls back to the whole file. */
static void test_unit_hint(void **state)
{
	struct phi_dwarf_query q[] = {
		Q("phi_t_plain", "l"),
		Q("phi_t_plain", NULL),
		Q("phi_t_outer", NULL),
	};
	struct phi_error err;

	(void)state;
	q[0].cu_suffix = "test_dwarf.c";
	q[1].cu_suffix = "no_such_unit.c";
	assert_int_equal(resolve("/proc/self/exe", q, 3, NULL, 0, &err), 0);
	expect(&q[0], offsetof(struct phi_t_plain, l));
	expect(&q[1], sizeof(struct phi_t_plain));
	expect(&q[2], sizeof(struct phi_t_outer));
}

static void test_plain_and_typedef(void **state)
{
	struct phi_dwarf_query q[] = {
		Q("phi_t_plain", "c"),
		Q("phi_t_plain", "l"),
		Q("phi_t_plain", "d"),
		Q("phi_t_plain", NULL),
		Q("phi_t_anon_td", "p"),
		Q("phi_t_anon_td", "name"),
		Q("phi_t_anon_td", NULL),
	};
	char used[PATH_MAX], self[PATH_MAX];
	struct phi_error err;
	ssize_t n;

	(void)state;
	assert_int_equal(resolve("/proc/self/exe", q, 7, used, sizeof(used),
				 &err), 0);
	expect(&q[0], offsetof(struct phi_t_plain, c));
	expect(&q[1], offsetof(struct phi_t_plain, l));
	expect(&q[2], offsetof(struct phi_t_plain, d));
	expect(&q[3], sizeof(struct phi_t_plain));
	expect(&q[4], offsetof(phi_t_anon_td, p));
	expect(&q[5], offsetof(phi_t_anon_td, name));
	expect(&q[6], sizeof(phi_t_anon_td));
	/* the file itself had the DWARF */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	assert_true(!strcmp(used, "/proc/self/exe") || !strcmp(used, self));
}

static void test_nested_and_anonymous(void **state)
{
	struct phi_dwarf_query q[] = {
		Q("phi_t_outer", "head"),
		Q("phi_t_outer", "inner"),
		Q("phi_t_outer", "inner.d"),
		Q("phi_t_outer", "u_long"),
		Q("phi_t_outer", "x"),
		Q("phi_t_outer", "y"),
		Q("phi_t_outer", "cv_inner.l"),
		Q("phi_t_outer", "arr"),
		Q("phi_t_outer", "ptr"),
		Q("phi_t_outer", "tail"),
		Q("phi_t_outer", NULL),
	};
	struct phi_error err;

	(void)state;
	assert_int_equal(resolve("/proc/self/exe", q, 11, NULL, 0, &err), 0);
	expect(&q[0], offsetof(struct phi_t_outer, head));
	expect(&q[1], offsetof(struct phi_t_outer, inner));
	expect(&q[2], offsetof(struct phi_t_outer, inner.d));
	expect(&q[3], offsetof(struct phi_t_outer, u_long));
	expect(&q[4], offsetof(struct phi_t_outer, x));
	expect(&q[5], offsetof(struct phi_t_outer, y));
	expect(&q[6], offsetof(struct phi_t_outer, cv_inner.l));
	expect(&q[7], offsetof(struct phi_t_outer, arr));
	expect(&q[8], offsetof(struct phi_t_outer, ptr));
	expect(&q[9], offsetof(struct phi_t_outer, tail));
	expect(&q[10], sizeof(struct phi_t_outer));
}

/* Typedef chains through const, and the same answers by tag and name. */
static void test_typedef_chain(void **state)
{
	struct phi_dwarf_query q[] = {
		Q("phi_t_const_outer_td", "inner.i"),
		Q("phi_t_outer_td", "y"),
		Q("phi_t_const_outer_td", NULL),
		Q("phi_t_outer", "inner.i"),
		Q("phi_t_outer_td", "inner.i"),
	};
	struct phi_error err;

	(void)state;
	assert_int_equal(resolve("/proc/self/exe", q, 5, NULL, 0, &err), 0);
	expect(&q[0], offsetof(struct phi_t_outer, inner.i));
	expect(&q[1], offsetof(struct phi_t_outer, y));
	expect(&q[2], sizeof(struct phi_t_outer));
	expect(&q[3], offsetof(struct phi_t_outer, inner.i));
	expect(&q[4], offsetof(struct phi_t_outer, inner.i));
}

/* Missing things stay found = false, and found is reset on entry. */
static void test_missing(void **state)
{
	struct phi_dwarf_query q[] = {
		Q("phi_t_outer", "nosuch"),
		Q("phi_t_outer", "inner.nosuch"),
		Q("phi_t_outer", "ptr.i"),	/* no pointer is followed */
		Q("phi_t_outer", "arr.x"),	/* nor array */
		Q("phi_t_outer", "head.x"),	/* nor base type */
		Q("phi_t_outer", "bits"),	/* bit-fields have no offset */
		Q("phi_t_outer", ""),
		Q("phi_t_outer", "inner."),
		Q("phi_t_no_such_type", NULL),
		Q("phi_t_no_such_type", "x"),
		Q("phi_t_plain", "i"),
	};
	struct phi_error err;
	size_t i;

	(void)state;
	for (i = 0; i < 11; i++)
		q[i].found = true;
	assert_int_equal(resolve("/proc/self/exe", q, 11, NULL, 0, &err), 0);
	for (i = 0; i < 10; i++)
		expect_missing(&q[i]);
	expect(&q[10], offsetof(struct phi_t_plain, i));
}

static void test_no_queries(void **state)
{
	struct phi_error err;

	(void)state;
	assert_int_equal(resolve("/proc/self/exe", NULL, 0, NULL, 0, &err),
			 0);
}

/* Debian ships /bin/true stripped, with no debug package installed. */
static void test_no_debuginfo(void **state)
{
	struct phi_dwarf_query q[] = { Q("phi_t_plain", NULL) };
	struct phi_error err;

	(void)state;
	assert_int_equal(resolve("/bin/true", q, 1, NULL, 0, &err),
			 -PHI_E_NO_DEBUGINFO);
	assert_int_equal(err.code, PHI_E_NO_DEBUGINFO);
	assert_non_null(strstr(err.msg, "/bin/true"));
	expect_missing(&q[0]);

	/* not an object file at all */
	assert_int_equal(resolve("/etc/passwd", q, 1, NULL, 0, &err),
			 -PHI_E_NO_DEBUGINFO);
}

static void test_open_error(void **state)
{
	struct phi_dwarf_query q[] = { Q("phi_t_plain", NULL) };
	struct phi_error err;
	int rc;

	(void)state;
	rc = resolve("/nonexistent/libfoo.so", q, 1, NULL, 0, &err);
	assert_int_equal(rc, -PHI_E_IO);
	assert_int_equal(err.code, PHI_E_IO);
	assert_non_null(strstr(err.msg, "/nonexistent/libfoo.so"));
}

/* A stripped copy of /bin/true with a copy of this test binary under its
 * .gnu_debuglink name next to it: the DWARF there is not read (the file
 * was not checked: debugfile.h finds and checks debug files, and the
 * caller passes the one it accepted). */
static void test_no_separate_lookup(void **state)
{
	struct phi_dwarf_query q[] = { Q("phi_t_plain", NULL) };
	char tmpl[] = "/tmp/phi_test_dwarf.XXXXXX";
	char link[NAME_MAX + 1], stripped[PATH_MAX], debug[PATH_MAX];
	struct phi_error err;

	(void)state;
	debuglink_of("/bin/true", link, sizeof(link));
	assert_non_null(mkdtemp(tmpl));
	path_join(stripped, sizeof(stripped), tmpl, "true");
	path_join(debug, sizeof(debug), tmpl, link);
	copy_file("/bin/true", stripped);
	copy_file("/proc/self/exe", debug);
	assert_int_equal(resolve(stripped, q, 1, NULL, 0, &err),
			 -PHI_E_NO_DEBUGINFO);
	expect_missing(&q[0]);
	/* the debug file itself, named by the caller, is read */
	assert_int_equal(resolve(debug, q, 1, NULL, 0, &err), 0);
	expect(&q[0], sizeof(struct phi_t_plain));
	unlink(debug);
	unlink(stripped);
	rmdir(tmpl);
}

/* The layouts the inspector relies on, from the libpython the build was
 * configured with (3.10.13, GCC 12, x86-64). */
static void test_libpython(void **state)
{
	struct phi_dwarf_query q[] = {
		Q("_is", "small_ints"),
		Q("_is", "gc.generations"),
		Q("pyruntimestate", "interpreters.head"),
		Q("PyListObject", NULL),
		Q("PyASCIIObject", "state"),
		Q("_typeobject", "tp_flags"),
	};
	const char *lib = getenv(LIBPYTHON_ENV);
	char used[PATH_MAX];
	struct phi_error err;
	double t0, dt;
	int rc;

	(void)state;
	if (!lib || !*lib)
		fail_msg("%s is not set: point it at libpython3.10.so with "
			 "DWARF (the build sets it)", LIBPYTHON_ENV);
	t0 = now();
	rc = resolve(lib, q, 6, used, sizeof(used), &err);
	dt = now() - t0;
	if (rc)
		fail_msg("phi_dwarf_resolve: %d: %s", rc, err.msg);
	print_message("%s: lookup took %.3f s (DWARF from %s)\n", lib, dt,
		      used);
	expect(&q[0], 3512);
	expect(&q[1], 640);
	expect(&q[2], 32);
	expect(&q[3], 40);
	expect(&q[4], 32);
	expect(&q[5], 168);
	if (dt >= 1.0)
		fail_msg("lookup took %.3f s, limit 1 s", dt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_and_typedef),
		cmocka_unit_test(test_unit_hint),
		cmocka_unit_test(test_nested_and_anonymous),
		cmocka_unit_test(test_typedef_chain),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_no_queries),
		cmocka_unit_test(test_no_debuginfo),
		cmocka_unit_test(test_open_error),
		cmocka_unit_test(test_no_separate_lookup),
		cmocka_unit_test(test_libpython),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
