/* Unit tests for the dominator tree's child lists, object counts and
 * best-first pruning (domtree.h), on hand-built graphs whose answers
 * are worked out here: a small tree with shared children, the pruning
 * rule of docs/html-data.md (threshold, node budget, refusals) with the
 * sums it must keep, and a chain of a million nodes (no recursion). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "pyheapinspect/analysis/domtree.h"

static void build(struct phi_graph *g, size_t n, const uint32_t (*e)[2],
		  size_t ne, const uint64_t *sizes)
{
	struct phi_error err = { 0 };

	if (phi_graph_init(g, n, &err) != 0)
		fail_msg("phi_graph_init: %s", err.msg);
	for (size_t i = 0; i < n; i++) {
		bool added;

		assert_int_equal(phi_graph_add(g, 0x1000 + 16 * i, &added), i);
	}
	for (size_t i = 0; i < n; i++) {
		phi_graph_set_size(g, (uint32_t)i, sizes[i]);
		phi_graph_begin_edges(g, (uint32_t)i);
		for (size_t k = 0; k < ne; k++)
			if (e[k][0] == i)
				assert_int_equal(phi_graph_push_edge(g, e[k][1]),
						 0);
	}
	phi_graph_finish(g);
}

/* Root 0 holds 1 and 2; 1 holds 3 and 4; 2 and 4 both hold 5 (so 5 is
 * dominated by the root's 0); 3 holds 6.  7 is unreachable.
 *   dominator tree: 0 -> {1, 2, 5}, 1 -> {3, 4}, 3 -> {6} */
#define SMALL_N 8
static const uint32_t small_edges[][2] = {
	{ 0, 1 }, { 0, 2 }, { 1, 3 }, { 1, 4 }, { 2, 5 }, { 4, 5 }, { 3, 6 },
};
static const uint64_t small_sizes[SMALL_N] = { 1, 10, 20, 30, 40, 50,
					       60, 70 };

struct fixture {
	struct phi_graph g;
	struct phi_dominators d;
	struct phi_domtree t;
};

static void setup_small(struct fixture *f)
{
	struct phi_error err = { 0 };
	uint32_t root = 0;

	memset(f, 0, sizeof(*f));
	build(&f->g, SMALL_N, small_edges,
	      sizeof(small_edges) / sizeof(small_edges[0]), small_sizes);
	assert_int_equal(phi_dominators_compute(&f->d, &f->g, &root, 1, &err),
			 0);
	assert_int_equal(phi_domtree_build(&f->t, &f->d, f->g.n, &err), 0);
}

static void teardown(struct fixture *f)
{
	phi_domtree_release(&f->t);
	phi_dominators_release(&f->d);
	phi_graph_release(&f->g);
}

static void kids_are(const struct phi_domtree *t, uint32_t v,
		     const uint32_t *want, uint32_t n)
{
	assert_int_equal(t->start[v + 1] - t->start[v], n);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(t->kids[t->start[v] + i], want[i]);
}

static void test_children_and_objects(void **state)
{
	struct fixture f;
	static const uint32_t root_kids[] = { 0 }, k0[] = { 1, 2, 5 },
			      k1[] = { 3, 4 }, k3[] = { 6 };
	static const uint32_t objects[SMALL_N + 1] = { 7, 4, 1, 2, 1, 1, 1, 0,
						       7 };

	(void)state;
	setup_small(&f);
	assert_int_equal(f.t.n, SMALL_N);
	kids_are(&f.t, SMALL_N, root_kids, 1);  /* the virtual root */
	kids_are(&f.t, 0, k0, 3);
	kids_are(&f.t, 1, k1, 2);
	kids_are(&f.t, 3, k3, 1);
	kids_are(&f.t, 2, NULL, 0);
	kids_are(&f.t, 7, NULL, 0);
	for (uint32_t v = 0; v <= SMALL_N; v++)
		assert_int_equal(f.t.objects[v], objects[v]);
	assert_int_equal(phi_domtree_parent(&f.t, &f.d, 0), SMALL_N);
	assert_int_equal(phi_domtree_parent(&f.t, &f.d, 5), 0);
	teardown(&f);
}

/* What the pruning did, for the checks. */
struct record {
	uint32_t kept[16], parent[16];
	size_t nkept;
	uint64_t pruned_ret[16];  /* by parent id */
	uint32_t pruned_n[16];
	const struct phi_dominators *d;
	uint32_t refuse;          /* node keep() refuses (or UINT32_MAX) */
};

static bool rec_keep(void *ctx, uint32_t node, uint32_t id, uint32_t parent)
{
	struct record *r = ctx;

	if (node == r->refuse)
		return false;
	assert_int_equal(id, r->nkept + 1);
	assert_true(parent < id);
	r->kept[r->nkept] = node;
	r->parent[r->nkept] = parent;
	r->nkept++;
	return true;
}

static void rec_pruned(void *ctx, uint32_t node, uint32_t parent)
{
	struct record *r = ctx;

	r->pruned_ret[parent] += r->d->retained[node];
	r->pruned_n[parent]++;
}

static void prune(struct fixture *f, struct record *r, uint64_t threshold,
		  size_t max_nodes)
{
	struct phi_prune o = { threshold, max_nodes, rec_keep, rec_pruned, r };
	size_t kept = 99;

	r->d = &f->d;
	phi_domtree_prune(&f->t, &f->d, &f->g, &o, &kept);
	assert_int_equal(kept, r->nkept);
}

/* Retained: 6:60 3:90 4:40 1:140 2:20 5:50 0:211.  Best-first with a
 * threshold of 40: 0 (211), then 1 (140), then 3 (90), then 6 (60), 5
 * (50), 4 (40); 2 (20) is pruned into 0. */
static void test_prune_threshold(void **state)
{
	struct fixture f;
	struct record r = { .refuse = UINT32_MAX };
	static const uint32_t order[] = { 0, 1, 3, 6, 5, 4 };
	static const uint32_t parents[] = { 0, 1, 2, 3, 1, 2 };

	(void)state;
	setup_small(&f);
	assert_int_equal(f.d.retained[0], 211);
	prune(&f, &r, 40, 100);
	assert_int_equal(r.nkept, 6);
	for (size_t i = 0; i < 6; i++) {
		assert_int_equal(r.kept[i], order[i]);
		assert_int_equal(r.parent[i], parents[i]);
	}
	assert_int_equal(r.pruned_n[1], 1);      /* 2, under 0 (id 1) */
	assert_int_equal(r.pruned_ret[1], 20);
	teardown(&f);
}

/* A budget of 2 nodes: 0 and 1 kept; 1's children 3 and 4 and 0's
 * children 2 and 5 pruned into their parents: the sums still hold. */
static void test_prune_budget(void **state)
{
	struct fixture f;
	struct record r = { .refuse = UINT32_MAX };

	(void)state;
	setup_small(&f);
	prune(&f, &r, 1, 2);
	assert_int_equal(r.nkept, 2);
	assert_int_equal(r.kept[0], 0);
	assert_int_equal(r.kept[1], 1);
	assert_int_equal(r.pruned_n[1], 2);
	assert_int_equal(r.pruned_ret[1], 20 + 50);
	assert_int_equal(r.pruned_n[2], 2);
	assert_int_equal(r.pruned_ret[2], 90 + 40);
	/* Every kept node: size + kept children + pruned = retained. */
	assert_int_equal(10 + r.pruned_ret[2], f.d.retained[1]);
	assert_int_equal(1 + f.d.retained[1] + r.pruned_ret[1],
			 f.d.retained[0]);
	teardown(&f);
}

/* keep() refusing 3: 3 and its subtree (6) are pruned into 1, and the
 * walk goes on with the others. */
static void test_prune_refusal(void **state)
{
	struct fixture f;
	struct record r = { .refuse = 3 };
	static const uint32_t order[] = { 0, 1, 5, 4, 2 };

	(void)state;
	setup_small(&f);
	prune(&f, &r, 1, 100);
	assert_int_equal(r.nkept, 5);
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(r.kept[i], order[i]);
	assert_int_equal(r.pruned_n[2], 1);
	assert_int_equal(r.pruned_ret[2], 90);
	teardown(&f);
}

/* A chain of a million nodes: each dominates the rest. */
struct chain_rec {
	uint32_t next;
	uint64_t pruned;
};

static bool chain_keep(void *ctx, uint32_t node, uint32_t id,
		       uint32_t parent)
{
	struct chain_rec *c = ctx;

	assert_int_equal(node, c->next);
	assert_int_equal(parent, id - 1);
	c->next++;
	return true;
}

static void chain_pruned(void *ctx, uint32_t node, uint32_t parent)
{
	struct chain_rec *c = ctx;

	assert_int_equal(node, 1200);
	assert_int_equal(parent, 1200);
	c->pruned++;
}

static void test_chain(void **state)
{
	const size_t n = 1000000;
	struct phi_graph g;
	struct phi_dominators d;
	struct phi_domtree t;
	struct phi_error err = { 0 };
	struct chain_rec c = { 0, 0 };
	struct phi_prune o = { 1, 1200, chain_keep, chain_pruned, &c };
	uint32_t root = 0;
	size_t kept;

	(void)state;
	assert_int_equal(phi_graph_init(&g, n, &err), 0);
	for (size_t i = 0; i < n; i++) {
		bool added;

		phi_graph_add(&g, 0x1000 + 16 * i, &added);
	}
	for (size_t i = 0; i < n; i++) {
		phi_graph_set_size(&g, (uint32_t)i, 16);
		phi_graph_begin_edges(&g, (uint32_t)i);
		if (i + 1 < n)
			phi_graph_push_edge(&g, (uint32_t)(i + 1));
	}
	phi_graph_finish(&g);
	assert_int_equal(phi_dominators_compute(&d, &g, &root, 1, &err), 0);
	assert_int_equal(phi_domtree_build(&t, &d, n, &err), 0);
	assert_int_equal(t.objects[n], n);
	assert_int_equal(t.objects[0], n);
	assert_int_equal(t.objects[n - 1], 1);
	assert_int_equal(t.objects[123456], n - 123456);
	phi_domtree_prune(&t, &d, &g, &o, &kept);
	assert_int_equal(kept, 1200);
	assert_int_equal(c.pruned, 1);
	phi_domtree_release(&t);
	phi_dominators_release(&d);
	phi_graph_release(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_children_and_objects),
		cmocka_unit_test(test_prune_threshold),
		cmocka_unit_test(test_prune_budget),
		cmocka_unit_test(test_prune_refusal),
		cmocka_unit_test(test_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
