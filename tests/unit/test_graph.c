/* Unit tests for the graph storage (graph.h): the address hash across
 * rehashes, sizes and refcounts that do not fit 32 bits (kept in the
 * wide tables, read back exactly), and CSR edges. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "pyheapinspect/graph/graph.h"

static uint64_t addr_of(size_t i)
{
	return 0x7f0000000000ULL + 48 * (uint64_t)i;
}

/* 100,000 nodes from a table sized for 1,024: many rehashes, every
 * address found again, absent ones not found. */
static uint64_t degree(const struct phi_graph *g, uint32_t i)
{
	return g->edge_start[i + 1] - g->edge_start[i];
}

static void test_hash(void **state)
{
	struct phi_graph g;
	struct phi_error err = { 0 };
	const size_t n = 100000;

	(void)state;
	assert_int_equal(phi_graph_init(&g, 16, &err), 0);
	for (size_t i = 0; i < n; i++) {
		bool added;

		assert_int_equal(phi_graph_add(&g, addr_of(i), &added), i);
		assert_true(added);
	}
	for (size_t i = 0; i < n; i++) {
		bool added;

		assert_int_equal(phi_graph_find(&g, addr_of(i)), i);
		assert_int_equal(phi_graph_add(&g, addr_of(i), &added), i);
		assert_false(added);
		assert_int_equal(phi_graph_find(&g, addr_of(i) + 16),
				 PHI_NONE);
	}
	phi_graph_release(&g);
}

/* Values at and above 2^32 - 1 go to the wide tables; the others stay
 * inline.  Every one reads back as set. */
static void test_wide_values(void **state)
{
	struct phi_graph g;
	struct phi_error err = { 0 };
	const size_t n = 5000;

	(void)state;
	assert_int_equal(phi_graph_init(&g, n, &err), 0);
	for (size_t i = 0; i < n; i++) {
		bool added;
		uint64_t size = i % 7 == 0 ? (1ULL << 32) + i
			      : i % 11 == 0 ? UINT32_MAX
					    : 16 * (uint64_t)i;
		int64_t refcnt = i % 5 == 0 ? INT64_MAX - (int64_t)i
					    : (int64_t)i + 1;

		assert_int_equal(phi_graph_add(&g, addr_of(i), &added), i);
		assert_int_equal(phi_graph_set_refcnt(&g, (uint32_t)i, refcnt),
				 0);
		assert_int_equal(phi_graph_set_size(&g, (uint32_t)i, size), 0);
	}
	/* Setting the last node again overwrites its wide entry. */
	assert_int_equal(phi_graph_set_size(&g, n - 1, 1ULL << 40), 0);
	assert_int_equal(phi_graph_size(&g, n - 1), 1ULL << 40);
	for (size_t i = 0; i < n - 1; i++) {
		uint64_t size = i % 7 == 0 ? (1ULL << 32) + i
			      : i % 11 == 0 ? UINT32_MAX
					    : 16 * (uint64_t)i;
		int64_t refcnt = i % 5 == 0 ? INT64_MAX - (int64_t)i
					    : (int64_t)i + 1;

		assert_int_equal(phi_graph_size(&g, (uint32_t)i), size);
		assert_int_equal(phi_graph_refcnt(&g, (uint32_t)i), refcnt);
	}
	/* Out of node order: refused, not silently unsorted. */
	assert_int_equal(phi_graph_set_size(&g, 0, 1ULL << 33), -1);
	phi_graph_release(&g);
}

/* Edges in CSR order, with their flags kept. */
static void test_edges(void **state)
{
	struct phi_graph g;
	struct phi_error err = { 0 };

	(void)state;
	assert_int_equal(phi_graph_init(&g, 4, &err), 0);
	for (size_t i = 0; i < 3; i++) {
		bool added;

		phi_graph_add(&g, addr_of(i), &added);
	}
	phi_graph_begin_edges(&g, 0);
	assert_int_equal(phi_graph_push_edge(&g, 1), 0);
	assert_int_equal(phi_graph_push_edge(&g, 2 | PHI_EDGE_WEAK), 0);
	phi_graph_begin_edges(&g, 1);
	phi_graph_begin_edges(&g, 2);
	assert_int_equal(phi_graph_push_edge(&g, 0 | PHI_EDGE_UNCOUNTED), 0);
	phi_graph_finish(&g);
	assert_int_equal(degree(&g, 0), 2);
	assert_int_equal(degree(&g, 1), 0);
	assert_int_equal(degree(&g, 2), 1);
	assert_int_equal(g.edges[g.edge_start[0] + 1],
			 2 | PHI_EDGE_WEAK);
	assert_int_equal(PHI_EDGE_NODE(g.edges[g.edge_start[2]]), 0);
	phi_graph_release(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_wide_values),
		cmocka_unit_test(test_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
