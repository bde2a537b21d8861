/* Unit tests for /proc/PID/maps handling (maps.h): phi_maps_parse on a
 * hand-written maps text with every field checked (anonymous, [heap],
 * [stack], a path with spaces, a deleted file, a shared mapping, the
 * top-of-address-space [vsyscall]); malformed, inverted and overlapping
 * lines; phi_maps_find at the edges of mappings and in gaps;
 * phi_map_is_file; and phi_maps_read on this process. */
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "pyheapinspect/source/maps.h"
#include "pyheapinspect/source/proc/process.h"

/* The kernel pads the path to a column; anonymous lines end in a space. */
static const char maps_text[] =
	"00400000-00452000 r-xp 00000000 08:02 173521"
	"                     /usr/bin/dbus-daemon\n"
	"00651000-00652000 rw-p 00051000 08:02 173521"
	"                     /usr/bin/dbus-daemon\n"
	"00e03000-00e24000 rw-p 00000000 00:00 0"
	"                          [heap]\n"
	"7f2c00000000-7f2c00021000 rw-p 00000000 00:00 0 \n"
	"7f2c00021000-7f2c04000000 ---p 00000000 00:00 0 \n"
	"7f2c4b000000-7f2c4b001000 rw-s 00000000 00:05 4096"
	"               /dev/shm/my shared file\n"
	"7f2c4c000000-7f2c4c010000 r--p 00002000 fd:01 98765"
	"              /tmp/lib with spaces.so (deleted)\n"
	"7f2c4d000000-7f2c4d001000 r--p 00000000 fd:01 98766"
	"              /tmp/a (deleted) b\n"
	"7ffd1a000000-7ffd1a021000 rw-p 00000000 00:00 0"
	"                          [stack]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0"
	"                  [vsyscall]\n";

#define NMAPS 10

struct want_map {
	uint64_t start, end, offset, inode;
	unsigned perms;
	const char *path;
	bool deleted;
	bool is_file;
};

static const struct want_map want[NMAPS] = {
	{ 0x400000, 0x452000, 0, 173521, PHI_MAP_R | PHI_MAP_X,
	  "/usr/bin/dbus-daemon", false, true },
	{ 0x651000, 0x652000, 0x51000, 173521, PHI_MAP_R | PHI_MAP_W,
	  "/usr/bin/dbus-daemon", false, true },
	{ 0xe03000, 0xe24000, 0, 0, PHI_MAP_R | PHI_MAP_W, "[heap]", false,
	  false },
	{ 0x7f2c00000000, 0x7f2c00021000, 0, 0, PHI_MAP_R | PHI_MAP_W, "",
	  false, false },
	{ 0x7f2c00021000, 0x7f2c04000000, 0, 0, 0, "", false, false },
	{ 0x7f2c4b000000, 0x7f2c4b001000, 0, 4096,
	  PHI_MAP_R | PHI_MAP_W | PHI_MAP_SHARED, "/dev/shm/my shared file",
	  false, true },
	{ 0x7f2c4c000000, 0x7f2c4c010000, 0x2000, 98765, PHI_MAP_R,
	  "/tmp/lib with spaces.so", true, true },
	{ 0x7f2c4d000000, 0x7f2c4d001000, 0, 98766, PHI_MAP_R,
	  "/tmp/a (deleted) b", false, true },
	{ 0x7ffd1a000000, 0x7ffd1a021000, 0, 0, PHI_MAP_R | PHI_MAP_W,
	  "[stack]", false, false },
	{ 0xffffffffff600000, 0xffffffffff601000, 0, 0, PHI_MAP_X,
	  "[vsyscall]", false, false },
};

static void parse_ok(const char *text, struct phi_maps *maps)
{
	struct phi_error err = { 0 };
	int rc = phi_maps_parse(text, strlen(text), maps, &err);

	if (rc != 0)
		fail_msg("phi_maps_parse: %d: %s", rc, err.msg);
}

static void expect_corrupt(const char *text, const char *msg_part)
{
	struct phi_maps maps = { (struct phi_map *)1, 99 };
	struct phi_error err = { 0 };
	int rc = phi_maps_parse(text, strlen(text), &maps, &err);

	assert_int_equal(rc, -PHI_E_CORRUPT);
	assert_int_equal(err.code, PHI_E_CORRUPT);
	if (!strstr(err.msg, msg_part))
		fail_msg("message '%s' lacks '%s'", err.msg, msg_part);
	/* Nothing is left allocated on failure. */
	assert_null(maps.v);
	assert_int_equal(maps.n, 0);
}

static void test_parse_fields(void **state)
{
	struct phi_maps maps;

	(void)state;
	parse_ok(maps_text, &maps);
	assert_int_equal(maps.n, NMAPS);
	for (size_t i = 0; i < NMAPS; i++) {
		const struct phi_map *m = &maps.v[i];

		const struct want_map *w = &want[i];

		if (m->start != w->start || m->end != w->end ||
		    m->offset != w->offset || m->inode != w->inode ||
		    m->perms != w->perms || strcmp(m->path, w->path) != 0 ||
		    m->deleted != w->deleted ||
		    phi_map_is_file(m) != w->is_file)
			fail_msg("line %zu: got %" PRIx64 "-%" PRIx64
				 " off %" PRIx64 " ino %" PRIu64 " perms %u "
				 "'%s' deleted %d file %d", i + 1, m->start,
				 m->end, m->offset, m->inode, m->perms,
				 m->path, m->deleted, phi_map_is_file(m));
	}
	/* the device, hex major:minor, which a mapped file is checked by */
	assert_int_equal(maps.v[0].dev_major, 8);
	assert_int_equal(maps.v[0].dev_minor, 2);
	assert_int_equal(maps.v[6].dev_major, 0xfd);
	assert_int_equal(maps.v[6].dev_minor, 1);
	assert_int_equal(maps.v[2].dev_major, 0);
	phi_maps_release(&maps);
	assert_null(maps.v);
	assert_int_equal(maps.n, 0);
}

static void test_parse_last_line_without_newline(void **state)
{
	struct phi_maps maps;

	(void)state;
	parse_ok("00400000-00401000 r--p 00000000 08:02 12 /bin/x\n"
		 "\n"
		 "00500000-00501000 rw-p 00001000 08:02 12 /bin/x", &maps);
	assert_int_equal(maps.n, 2);
	assert_int_equal(maps.v[1].start, 0x500000);
	assert_int_equal(maps.v[1].offset, 0x1000);
	assert_string_equal(maps.v[1].path, "/bin/x");
	phi_maps_release(&maps);
}

static void test_parse_respects_len(void **state)
{
	struct phi_maps maps;
	struct phi_error err = { 0 };
	/* len stops after the first line: the second is never looked at. */
	const char *text = "00400000-00401000 r--p 00000000 08:02 12 /bin/x\n"
			   "this is not a maps line\n";
	size_t first = strchr(text, '\n') - text + 1;

	(void)state;
	assert_int_equal(phi_maps_parse(text, first, &maps, &err), 0);
	assert_int_equal(maps.n, 1);
	assert_string_equal(maps.v[0].path, "/bin/x");
	phi_maps_release(&maps);
}

static void test_parse_empty(void **state)
{
	struct phi_maps maps;
	struct phi_error err = { 0 };

	(void)state;
	assert_int_equal(phi_maps_parse("", 0, &maps, &err), 0);
	assert_int_equal(maps.n, 0);
	assert_null(phi_maps_find(&maps, 0x400000));
	phi_maps_release(&maps);
}

static void test_parse_malformed(void **state)
{
	(void)state;
	expect_corrupt("garbage\n", "line 1");
	expect_corrupt("00400000-00401000 r--p 00000000 08:02 12 /bin/x\n"
		       "garbage here\n", "line 2");
	/* No inode. */
	expect_corrupt("00400000-00401000 r--p 00000000 08:02\n", "line 1");
	/* Permissions of the wrong length. */
	expect_corrupt("00400000-00401000 r-- 00000000 08:02 1 /x\n", "line 1");
	expect_corrupt("00400000-00401000 r--pp 00000000 08:02 1 /x\n",
		       "line 1");
	/* end < start and end == start. */
	expect_corrupt("00400000-00300000 r--p 00000000 08:02 1 /x\n",
		       "line 1");
	expect_corrupt("00400000-00400000 r--p 00000000 08:02 1 /x\n",
		       "line 1");
}

static void test_parse_overlap_and_order(void **state)
{
	(void)state;
	/* The second starts inside the first. */
	expect_corrupt("00400000-00402000 r--p 00000000 08:02 1 /x\n"
		       "00401000-00403000 r--p 00000000 08:02 1 /x\n",
		       "line 2 overlaps");
	/* The third lies wholly before the second: unsorted. */
	expect_corrupt("00400000-00401000 r--p 00000000 08:02 1 /x\n"
		       "00500000-00501000 r--p 00000000 08:02 1 /x\n"
		       "00450000-00451000 r--p 00000000 08:02 1 /x\n",
		       "line 3 overlaps");
	/* The same line twice. */
	expect_corrupt("00400000-00401000 r--p 00000000 08:02 1 /x\n"
		       "00400000-00401000 r--p 00000000 08:02 1 /x\n",
		       "line 2 overlaps");
}

static void test_parse_line_too_long(void **state)
{
	size_t n = 8192;
	char *text = malloc(n + 1);
	const char *head = "00400000-00401000 r--p 00000000 08:02 1 /";

	(void)state;
	assert_non_null(text);
	memset(text, 'a', n);
	memcpy(text, head, strlen(head));
	text[n] = '\0';
	expect_corrupt(text, "too long");
	free(text);
}

static void test_find(void **state)
{
	struct phi_maps maps;
	const struct phi_map *m;

	(void)state;
	parse_ok(maps_text, &maps);
	/* At start, at end - 1, at end. */
	assert_ptr_equal(phi_maps_find(&maps, 0x400000), &maps.v[0]);
	assert_ptr_equal(phi_maps_find(&maps, 0x451fff), &maps.v[0]);
	assert_null(phi_maps_find(&maps, 0x452000));
	assert_ptr_equal(phi_maps_find(&maps, 0xe03000), &maps.v[2]);
	assert_ptr_equal(phi_maps_find(&maps, 0xe23fff), &maps.v[2]);
	assert_null(phi_maps_find(&maps, 0xe24000));
	/* Adjacent mappings: the end of one is the start of the next. */
	assert_ptr_equal(phi_maps_find(&maps, 0x7f2c00020fff), &maps.v[3]);
	assert_ptr_equal(phi_maps_find(&maps, 0x7f2c00021000), &maps.v[4]);
	/* Gaps, below the first and above the last mapping. */
	assert_null(phi_maps_find(&maps, 0));
	assert_null(phi_maps_find(&maps, 0x3fffff));
	assert_null(phi_maps_find(&maps, 0x600000));
	assert_null(phi_maps_find(&maps, 0x7f2c04000000));
	assert_null(phi_maps_find(&maps, 0x7fffffffffff));
	/* The top of the address space. */
	m = phi_maps_find(&maps, 0xffffffffff600000);
	assert_ptr_equal(m, &maps.v[9]);
	assert_string_equal(m->path, "[vsyscall]");
	assert_ptr_equal(phi_maps_find(&maps, 0xffffffffff600fff), m);
	assert_null(phi_maps_find(&maps, 0xffffffffff601000));
	assert_null(phi_maps_find(&maps, UINT64_MAX));
	/* Every mapping is found by every one of its ends. */
	for (size_t i = 0; i < maps.n; i++) {
		assert_ptr_equal(phi_maps_find(&maps, maps.v[i].start),
				 &maps.v[i]);
		assert_ptr_equal(phi_maps_find(&maps, maps.v[i].end - 1),
				 &maps.v[i]);
	}
	phi_maps_release(&maps);
}

static void test_is_file(void **state)
{
	struct phi_map m = { .start = 0x1000, .end = 0x2000 };

	(void)state;
	m.path = (char *)"/usr/lib/libfoo.so";
	m.inode = 77;
	assert_true(phi_map_is_file(&m));
	/* A path but no inode (as some kernels show special mappings). */
	m.inode = 0;
	assert_false(phi_map_is_file(&m));
	m.inode = 77;
	m.path = (char *)"[heap]";
	assert_false(phi_map_is_file(&m));
	m.path = (char *)"anon_inode:[perf_event]";
	assert_false(phi_map_is_file(&m));
	m.path = (char *)"";
	assert_false(phi_map_is_file(&m));
}

/* A function and a stack variable of this process must be found. */
static int local_function(int x)
{
	return x * 3 + 1;
}

static void test_read_self(void **state)
{
	struct phi_maps maps;
	struct phi_error err = { 0 };
	const struct phi_map *m;
	int (*volatile fn)(int) = local_function;
	volatile int on_stack = fn(4);
	char exe[PATH_MAX];
	int rc;

	(void)state;
	assert_int_equal(on_stack, 13);
	assert_non_null(realpath("/proc/self/exe", exe));
	rc = phi_maps_read(getpid(), &maps, &err);
	if (rc != 0)
		fail_msg("phi_maps_read: %d: %s", rc, err.msg);
	assert_true(maps.n > 0);
	for (size_t i = 1; i < maps.n; i++)
		assert_true(maps.v[i].start >= maps.v[i - 1].end);

	m = phi_maps_find(&maps, (uint64_t)(uintptr_t)fn);
	assert_non_null(m);
	assert_true(m->perms & PHI_MAP_R);
	assert_true(m->perms & PHI_MAP_X);
	assert_false(m->perms & PHI_MAP_W);
	assert_string_equal(m->path, exe);
	assert_false(m->deleted);
	assert_true(phi_map_is_file(m));

	m = phi_maps_find(&maps, (uint64_t)(uintptr_t)&on_stack);
	assert_non_null(m);
	assert_int_equal(m->perms & (PHI_MAP_R | PHI_MAP_W | PHI_MAP_X),
			 PHI_MAP_R | PHI_MAP_W);
	assert_false(phi_map_is_file(m));
	phi_maps_release(&maps);
}

static void test_read_no_process(void **state)
{
	struct phi_maps maps;
	struct phi_error err = { 0 };

	(void)state;
	/* Above any pid_max the kernel allows (2^22). */
	assert_int_equal(phi_maps_read(0x7ffffff0, &maps, &err),
			 -PHI_E_NO_PROCESS);
	assert_int_equal(err.code, PHI_E_NO_PROCESS);
	assert_non_null(strstr(err.msg, "2147483632"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_fields),
		cmocka_unit_test(test_parse_last_line_without_newline),
		cmocka_unit_test(test_parse_respects_len),
		cmocka_unit_test(test_parse_empty),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_parse_overlap_and_order),
		cmocka_unit_test(test_parse_line_too_long),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_is_file),
		cmocka_unit_test(test_read_self),
		cmocka_unit_test(test_read_no_process),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
