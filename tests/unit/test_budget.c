/* Unit tests for the memory budget (budget.h): the default limit read
 * from synthetic /proc and cgroup trees (v1, v2, both, nested levels, a
 * cgroup namespace, a full cgroup, none), and the accounting: takes and
 * gives, the peak, refusals, and bigmem's blocks refused past the limit
 * and given back when freed; the graph's hash capped by what is left. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "pyheapinspect/base/bigmem.h"
#include "pyheapinspect/base/budget.h"
#include "pyheapinspect/graph/graph.h"

#define MIB ((uint64_t)1 << 20)

static char root[64];

/* Write root/path (making its folders). */
static void put(const char *path, const char *text)
{
	char full[512], *slash;
	FILE *f;

	snprintf(full, sizeof(full), "%s%s", root, path);
	for (slash = strchr(full + strlen(root) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(full, 0700);
		*slash = '/';
	}
	f = fopen(full, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/phi-budget.XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static const char *const MOUNTS =
	"25 1 0:22 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw\n"
	"30 24 0:27 / /sys/fs/cgroup/memory rw,nosuid shared:14 - cgroup "
	"cgroup rw,memory\n"
	"31 24 0:28 / /sys/fs/cgroup/pids rw shared:15 - cgroup cgroup "
	"rw,pids\n";

static void meminfo(uint64_t avail)
{
	char text[128];

	snprintf(text, sizeof(text), "MemTotal: 99999999 kB\n"
		 "MemAvailable: %llu kB\nMemFree: 1 kB\n",
		 (unsigned long long)(avail / 1024));
	put("/proc/meminfo", text);
}

static void number(const char *path, uint64_t v)
{
	char text[32];

	snprintf(text, sizeof(text), "%llu\n", (unsigned long long)v);
	put(path, text);
}

static void test_no_cgroup(void **state)
{
	struct phi_budget_default d;

	(void)state;
	meminfo(4096 * MIB);
	phi_budget_default(&d, root);
	assert_int_equal(d.limit, 3072 * MIB);
	assert_int_equal(d.mem_available, 4096 * MIB);
	assert_true(d.cgroup_headroom == PHI_BUDGET_NONE);
	assert_string_equal(d.source, "MemAvailable");
	assert_string_equal(d.cgroup, "");
}

/* v2, the tightest level above the leaf: a/ has 1 GiB, 256 MiB used. */
static void test_v2_parent_level(void **state)
{
	struct phi_budget_default d;
	char want[256];

	(void)state;
	meminfo(8192 * MIB);
	put("/proc/self/mountinfo", MOUNTS);
	put("/proc/self/cgroup", "0::/a/b\n");
	put("/sys/fs/cgroup/a/b/memory.max", "max\n");
	number("/sys/fs/cgroup/a/b/memory.current", 100 * MIB);
	number("/sys/fs/cgroup/a/memory.max", 1024 * MIB);
	number("/sys/fs/cgroup/a/memory.current", 256 * MIB);
	phi_budget_default(&d, root);
	assert_int_equal(d.cgroup_headroom, 768 * MIB);
	assert_int_equal(d.limit, 576 * MIB);
	assert_string_equal(d.source, "cgroup v2");
	snprintf(want, sizeof(want), "%s/sys/fs/cgroup/a", root);
	assert_string_equal(d.cgroup, want);
}

/* v1 (the memory hierarchy), its root level unlimited. */
static void test_v1(void **state)
{
	struct phi_budget_default d;

	(void)state;
	meminfo(8192 * MIB);
	put("/proc/self/mountinfo", MOUNTS);
	put("/proc/self/cgroup", "5:pids:/x\n4:memory:/x\n0::/\n");
	number("/sys/fs/cgroup/memory/x/memory.limit_in_bytes", 512 * MIB);
	number("/sys/fs/cgroup/memory/x/memory.usage_in_bytes", 128 * MIB);
	put("/sys/fs/cgroup/memory/memory.limit_in_bytes",
	    "9223372036854771712\n");
	number("/sys/fs/cgroup/memory/memory.usage_in_bytes", 4000 * MIB);
	phi_budget_default(&d, root);
	assert_int_equal(d.cgroup_headroom, 384 * MIB);
	assert_int_equal(d.limit, 288 * MIB);
	assert_string_equal(d.source, "cgroup v1");
}

/* Both: the smaller headroom wins, and MemAvailable when smaller. */
static void test_both_and_memavailable(void **state)
{
	struct phi_budget_default d;

	(void)state;
	meminfo(8192 * MIB);
	put("/proc/self/mountinfo", MOUNTS);
	put("/proc/self/cgroup", "4:memory:/x\n0::/y\n");
	number("/sys/fs/cgroup/memory/x/memory.limit_in_bytes", 2048 * MIB);
	number("/sys/fs/cgroup/memory/x/memory.usage_in_bytes", 0);
	number("/sys/fs/cgroup/y/memory.max", 1024 * MIB);
	number("/sys/fs/cgroup/y/memory.current", 24 * MIB);
	phi_budget_default(&d, root);
	assert_int_equal(d.cgroup_headroom, 1000 * MIB);
	assert_string_equal(d.source, "cgroup v2");
	assert_int_equal(d.limit, 750 * MIB);
	meminfo(400 * MIB);
	phi_budget_default(&d, root);
	assert_string_equal(d.source, "MemAvailable");
	assert_int_equal(d.limit, 300 * MIB);
	assert_string_equal(d.cgroup, "");
}

/* A cgroup namespace: the mount's root is the namespace's, the path in
 * /proc/self/cgroup starts with it. */
static void test_namespace_root(void **state)
{
	struct phi_budget_default d;

	(void)state;
	meminfo(8192 * MIB);
	put("/proc/self/mountinfo",
	    "25 1 0:22 /ns /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
	put("/proc/self/cgroup", "0::/ns/c\n");
	number("/sys/fs/cgroup/c/memory.max", 64 * MIB);
	number("/sys/fs/cgroup/c/memory.current", 32 * MIB);
	phi_budget_default(&d, root);
	assert_int_equal(d.cgroup_headroom, 32 * MIB);
	assert_int_equal(d.limit, 24 * MIB);
}

/* A cgroup past its limit: a limit nothing fits, not "no limit". */
static void test_full_cgroup(void **state)
{
	struct phi_budget_default d;

	(void)state;
	meminfo(8192 * MIB);
	put("/proc/self/mountinfo", MOUNTS);
	put("/proc/self/cgroup", "0::/z\n");
	number("/sys/fs/cgroup/z/memory.max", 64 * MIB);
	number("/sys/fs/cgroup/z/memory.current", 65 * MIB);
	phi_budget_default(&d, root);
	assert_int_equal(d.cgroup_headroom, 0);
	assert_int_equal(d.limit, 1);
	assert_false(phi_budget_init(d.limit));
}

/* Nothing known: no limit. */
static void test_nothing(void **state)
{
	struct phi_budget_default d;

	(void)state;
	phi_budget_default(&d, "/nonexistent-root");
	assert_int_equal(d.limit, 0);
}

static void test_accounting(void **state)
{
	void *a, *b;

	(void)state;
	assert_true(phi_budget_init(PHI_BUDGET_NONE));
	assert_true(phi_budget_left() == PHI_BUDGET_NONE);
	assert_true(phi_budget_take(1 << 30));
	phi_budget_give(1 << 30);
	/* Room for 8 MiB beyond what the process holds now. */
	assert_false(phi_budget_init(0));
	/* The fixed part is measured again by each init: under a
	 * sanitizer it moves by a few pages between two calls. */
	assert_true(phi_budget_init(phi_budget_fixed() + 8 * MIB));
	assert_int_equal(phi_budget_left(),
			 phi_budget_limit() - phi_budget_fixed());
	assert_true(phi_budget_left() >= 7 * MIB);
	assert_true(phi_budget_take(5 * MIB));
	assert_false(phi_budget_take(4 * MIB));
	assert_int_equal(phi_budget_refusals(), 1);
	assert_int_equal(phi_budget_refused_bytes(), 4 * MIB);
	assert_int_equal(phi_budget_refused_used(), 5 * MIB);
	phi_budget_give(5 * MIB);
	assert_int_equal(phi_budget_used(), 0);
	assert_int_equal(phi_budget_peak(), 5 * MIB);
	/* bigmem takes its blocks from it, mapped or calloc'd, and gives
	 * them back. */
	a = phi_big_alloc(6 * MIB);
	assert_non_null(a);
	assert_true(phi_budget_used() >= 6 * MIB);
	assert_null(phi_big_alloc(4 * MIB));
	b = phi_big_alloc(1000);
	assert_non_null(b);
	assert_null(phi_big_realloc(a, 12 * MIB)); /* a is still valid */
	((char *)a)[6 * MIB - 1] = 1;
	phi_big_free(a);
	phi_big_free(b);
	assert_int_equal(phi_budget_used(), 0);
	assert_true(phi_budget_init(PHI_BUDGET_NONE));
}

/* A guess of 100 million objects with 24 MiB left: the hash takes at
 * most an eighth of it, and grows when objects come (past three
 * quarters of its slots). */
static void test_graph_hash_capped(void **state)
{
	struct phi_graph g;
	struct phi_error err = { 0 };

	(void)state;
	assert_true(phi_budget_init(phi_budget_fixed() + 24 * MIB));
	assert_int_equal(phi_graph_init(&g, 100000000, &err), 0);
	assert_true((g.mask + 1) * sizeof(*g.slots) <= 3 * MIB);
	for (size_t i = 0; i < 400000; i++) {
		bool added;

		assert_int_equal(phi_graph_add(&g, 0x7f0000000000ULL + 32 * i,
					       &added), i);
	}
	assert_true(3 * (g.mask + 1) >= 4 * 400000);
	phi_graph_release(&g);
	assert_int_equal(phi_budget_used(), 0);
	assert_true(phi_budget_init(PHI_BUDGET_NONE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_cgroup, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_v2_parent_level, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_both_and_memavailable,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_namespace_root, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_full_cgroup, setup,
						teardown),
		cmocka_unit_test(test_nothing),
		cmocka_unit_test(test_accounting),
		cmocka_unit_test(test_graph_hash_capped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
