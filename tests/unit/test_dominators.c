/* Unit tests for the dominator tree and retained sizes (dominators.h) on
 * hand-built graphs: a diamond, the example of Lengauer & Tarjan's paper,
 * cycles, weak and uncounted edges, several roots, unreachable nodes and
 * self loops, chains of millions of nodes (deep DFS, deep path
 * compression), and random graphs against a naive reference (v is
 * dominated by d iff removing d makes v unreachable).
 *
 * PHI_DOM_SMALL=1 shrinks the chains, for runs under valgrind. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "pyheapinspect/analysis/dominators.h"
#include "pyheapinspect/graph/graph.h"

#define W PHI_EDGE_WEAK
#define U PHI_EDGE_UNCOUNTED
#define ROOT PHI_DOM_ROOT
#define NONE PHI_NONE

struct edge {
	uint32_t from, to; /* to may carry flags */
};

static uint64_t node_addr(size_t i)
{
	return 0x1000 + 16 * (uint64_t)i;
}

static void add_nodes(struct phi_graph *g, size_t n)
{
	struct phi_error err = { 0 };

	if (phi_graph_init(g, n, &err) != 0)
		fail_msg("phi_graph_init: %s", err.msg);
	for (size_t i = 0; i < n; i++) {
		bool added;

		assert_int_equal(phi_graph_add(g, node_addr(i), &added), i);
		assert_true(added);
	}
}

/* Graph of n nodes with the given edges (any order) and sizes (NULL:
 * all 1). */
static void build(struct phi_graph *g, size_t n, const struct edge *e,
		  size_t ne, const uint64_t *sizes)
{
	add_nodes(g, n);
	for (size_t i = 0; i < n; i++) {
		phi_graph_set_size(g, i, sizes ? sizes[i] : 1);
		phi_graph_begin_edges(g, (uint32_t)i);
		for (size_t k = 0; k < ne; k++)
			if (e[k].from == i)
				assert_int_equal(phi_graph_push_edge(g,
								     e[k].to),
						 0);
	}
	phi_graph_finish(g);
}

static void compute(struct phi_dominators *d, const struct phi_graph *g,
		    const uint32_t *roots, size_t nroots)
{
	struct phi_error err = { 0 };

	if (phi_dominators_compute(d, g, roots, nroots, &err) != 0)
		fail_msg("phi_dominators_compute: %s", err.msg);
}

static void check(const struct phi_dominators *d, size_t n,
		  const uint32_t *idom, const uint64_t *retained)
{
	for (size_t i = 0; i < n; i++) {
		if (d->idom[i] != idom[i])
			fail_msg("idom(%zu) = %#x, expected %#x", i,
				 d->idom[i], idom[i]);
		if (d->retained[i] != retained[i])
			fail_msg("retained(%zu) = %llu, expected %llu", i,
				 (unsigned long long)d->retained[i],
				 (unsigned long long)retained[i]);
	}
}

/* ---- Small graphs with known answers */

static void test_diamond(void **state)
{
	enum { R, A, B, C, N };
	static const struct edge e[] = {
		{ R, A }, { R, B }, { A, C }, { B, C },
	};
	static const uint64_t size[N] = { 1, 10, 100, 1000 };
	static const uint32_t idom[N] = { ROOT, R, R, R };
	static const uint64_t ret[N] = { 1111, 10, 100, 1000 };
	const uint32_t roots[] = { R };
	struct phi_graph g;
	struct phi_dominators d;

	(void)state;
	build(&g, N, e, 4, size);
	compute(&d, &g, roots, 1);
	check(&d, N, idom, ret);
	assert_int_equal(d.reachable, 4);
	assert_int_equal(d.reachable_size, 1111);
	phi_dominators_release(&d);
	assert_null(d.idom);
	assert_null(d.retained);
	phi_graph_release(&g);
}

/* Figure 1 of Lengauer & Tarjan (1979) and its dominator tree. */
static void test_lengauer_tarjan_example(void **state)
{
	enum { R, A, B, C, D, E, F, G, H, I, J, K, L, N };
	static const struct edge e[] = {
		{ R, A }, { R, B }, { R, C },
		{ A, D },
		{ B, A }, { B, D }, { B, E },
		{ C, F }, { C, G },
		{ D, L },
		{ E, H },
		{ F, I },
		{ G, I }, { G, J },
		{ H, E }, { H, K },
		{ I, K },
		{ J, I },
		{ K, I }, { K, R },
		{ L, H },
	};
	static const uint32_t idom[N] = {
		[R] = ROOT, [A] = R, [B] = R, [C] = R, [D] = R, [E] = R,
		[F] = C, [G] = C, [H] = R, [I] = R, [J] = G, [K] = R,
		[L] = D,
	};
	uint64_t size[N], ret[N];
	const uint32_t roots[] = { R };
	struct phi_graph g;
	struct phi_dominators d;

	(void)state;
	for (int i = 0; i < N; i++)
		ret[i] = size[i] = 1ULL << i;
	ret[R] = (1ULL << N) - 1;
	ret[C] = size[C] + size[F] + size[G] + size[J];
	ret[G] = size[G] + size[J];
	ret[D] = size[D] + size[L];
	build(&g, N, e, sizeof(e) / sizeof(e[0]), size);
	compute(&d, &g, roots, 1);
	check(&d, N, idom, ret);
	assert_int_equal(d.reachable, N);
	assert_int_equal(d.reachable_size, (1ULL << N) - 1);
	phi_dominators_release(&d);
	phi_graph_release(&g);
}

static void test_cycle(void **state)
{
	enum { X, Y, Z, N };
	static const struct edge e[] = { { X, Y }, { Y, Z }, { Z, Y } };
	static const uint64_t size[N] = { 1, 2, 4 };
	static const uint32_t idom[N] = { ROOT, X, Y };
	static const uint64_t ret[N] = { 7, 6, 4 };
	const uint32_t roots[] = { X };
	struct phi_graph g;
	struct phi_dominators d;

	(void)state;
	build(&g, N, e, 3, size);
	compute(&d, &g, roots, 1);
	check(&d, N, idom, ret);
	phi_dominators_release(&d);
	phi_graph_release(&g);
}

/* A weakref's referent and an uncounted referent are not kept alive: not
 * reachable, and not in the referrer's retained size.  A node reached
 * both ways counts through its strong edge only. */
static void test_flagged_edges(void **state)
{
	enum { A, WEAKLY, UNCOUNTED, BOTH, MID, BEHIND, N };
	static const struct edge e[] = {
		{ A, WEAKLY | W }, { A, UNCOUNTED | U }, { A, BOTH | W },
		{ A, MID }, { MID, BOTH }, { A, BOTH | U | W },
		{ WEAKLY, BEHIND }, { UNCOUNTED, BEHIND },
		{ MID, A | W }, { MID, MID | U },
	};
	static const uint64_t size[N] = { 1, 2, 4, 8, 16, 32 };
	static const uint32_t idom[N] = { ROOT, NONE, NONE, MID, A, NONE };
	static const uint64_t ret[N] = { 25, 0, 0, 8, 24, 0 };
	const uint32_t roots[] = { A };
	struct phi_graph g;
	struct phi_dominators d;

	(void)state;
	build(&g, N, e, sizeof(e) / sizeof(e[0]), size);
	compute(&d, &g, roots, 1);
	check(&d, N, idom, ret);
	assert_int_equal(d.reachable, 3);
	assert_int_equal(d.reachable_size, 25);
	phi_dominators_release(&d);
	phi_graph_release(&g);
}

/* Two roots sharing a child: only the virtual root dominates it.  Roots
 * repeated, and a root also reachable from another root, are still
 * children of the virtual root. */
static void test_several_roots(void **state)
{
	enum { R1, R2, C, R3, D, N };
	static const struct edge e[] = {
		{ R1, C }, { R2, C }, { R1, R3 }, { R3, D }, { C, C },
	};
	static const uint64_t size[N] = { 1, 2, 4, 8, 16 };
	static const uint32_t idom[N] = { ROOT, ROOT, ROOT, ROOT, R3 };
	static const uint64_t ret[N] = { 1, 2, 4, 24, 16 };
	const uint32_t roots[] = { R1, R2, R1, R3, R2, R3 };
	struct phi_graph g;
	struct phi_dominators d;

	(void)state;
	build(&g, N, e, sizeof(e) / sizeof(e[0]), size);
	compute(&d, &g, roots, sizeof(roots) / sizeof(roots[0]));
	check(&d, N, idom, ret);
	assert_int_equal(d.reachable, N);
	assert_int_equal(d.reachable_size, 31);
	phi_dominators_release(&d);
	phi_graph_release(&g);
}

static void test_unreachable_and_self_loops(void **state)
{
	enum { LONE, R, A, ISLAND, ISLAND2, N };
	static const struct edge e[] = {
		{ LONE, LONE }, { R, R }, { R, A }, { A, A }, { A, A },
		{ ISLAND, ISLAND2 }, { ISLAND2, ISLAND }, { ISLAND2, A },
	};
	static const uint64_t size[N] = { 1, 2, 4, 8, 16 };
	static const uint32_t idom[N] = { NONE, ROOT, R, NONE, NONE };
	static const uint64_t ret[N] = { 0, 6, 4, 0, 0 };
	const uint32_t roots[] = { R };
	struct phi_graph g;
	struct phi_dominators d;

	(void)state;
	build(&g, N, e, sizeof(e) / sizeof(e[0]), size);
	compute(&d, &g, roots, 1);
	check(&d, N, idom, ret);
	assert_int_equal(d.reachable, 2);
	assert_int_equal(d.reachable_size, 6);
	phi_dominators_release(&d);

	/* No roots at all: nothing reachable. */
	compute(&d, &g, NULL, 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(d.idom[i], NONE);
		assert_int_equal(d.retained[i], 0);
	}
	assert_int_equal(d.reachable, 0);
	assert_int_equal(d.reachable_size, 0);
	phi_dominators_release(&d);
	phi_graph_release(&g);
}

static void test_empty_graph(void **state)
{
	struct phi_graph g;
	struct phi_dominators d;

	(void)state;
	build(&g, 0, NULL, 0, NULL);
	compute(&d, &g, NULL, 0);
	assert_int_equal(d.reachable, 0);
	assert_int_equal(d.reachable_size, 0);
	phi_dominators_release(&d);
	phi_graph_release(&g);
}

static void test_bad_input(void **state)
{
	static const struct edge e[] = { { 0, 1 }, { 1, 7 } };
	const uint32_t bad_root[] = { 2, 0 }, good_root[] = { 0 };
	struct phi_error err = { 0 };
	struct phi_graph g;
	struct phi_dominators d;

	(void)state;
	build(&g, 2, e, 2, NULL);
	assert_int_equal(phi_dominators_compute(&d, &g, bad_root, 2, &err),
			 -PHI_E_INTERNAL);
	assert_non_null(strstr(err.msg, "root 2"));
	assert_null(d.idom);
	assert_null(d.retained);
	assert_int_equal(phi_dominators_compute(&d, &g, good_root, 1, &err),
			 -PHI_E_INTERNAL);
	assert_non_null(strstr(err.msg, "to 7"));
	assert_null(d.idom);
	phi_dominators_release(&d);
	phi_graph_release(&g);
}

/* ---- Long chains */

static size_t chain_len(size_t full)
{
	const char *s = getenv("PHI_DOM_SMALL");

	return s && *s && strcmp(s, "0") ? full / 50 : full;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Takes well under a second; the bound is there to turn a lost path
 * compression (quadratic: hours on the reverse chain) into a failure,
 * with room for sanitizers and loaded machines. */
static void timed_compute(struct phi_dominators *d, const struct phi_graph *g,
			  const uint32_t *roots, size_t nroots,
			  const char *what)
{
	double t0 = now(), t;

	compute(d, g, roots, nroots);
	t = now() - t0;
	fprintf(stderr, "# %s: %zu nodes in %.3f s\n", what, g->n, t);
	if (t > 60)
		fail_msg("%s: %.1f s, expected about 1", what, t);
}

/* 0 -> 1 -> ... -> n-1, root 0; size i + 1.  With back, also
 * n-1 -> 1, which changes nothing but makes the semidominator of 1 an
 * eval() across the whole chain (path compression n deep). */
static void build_chain(struct phi_graph *g, size_t n, bool back)
{
	add_nodes(g, n);
	for (size_t i = 0; i < n; i++) {
		uint32_t next = (uint32_t)i + 1;

		phi_graph_set_size(g, i, i + 1);
		phi_graph_begin_edges(g, (uint32_t)i);
		if (i + 1 < n)
			assert_int_equal(phi_graph_push_edge(g, next), 0);
		if (back && i + 1 == n)
			assert_int_equal(phi_graph_push_edge(g, 1), 0);
	}
	phi_graph_finish(g);
}

static void check_chain(const struct phi_dominators *d, size_t n)
{
	uint64_t suffix = 0;

	assert_int_equal(d->reachable, n);
	assert_int_equal(d->reachable_size, (uint64_t)n * (n + 1) / 2);
	for (size_t i = n; i-- > 0;) {
		suffix += i + 1;
		if (d->idom[i] != (i ? i - 1 : ROOT))
			fail_msg("idom(%zu) = %u", i, d->idom[i]);
		if (d->retained[i] != suffix)
			fail_msg("retained(%zu) = %llu", i,
				 (unsigned long long)d->retained[i]);
	}
}

static void test_chain(void **state)
{
	size_t n = chain_len(1000000);
	const uint32_t roots[] = { 0 };
	struct phi_graph g;
	struct phi_dominators d;

	(void)state;
	build_chain(&g, n, false);
	timed_compute(&d, &g, roots, 1, "chain");
	check_chain(&d, n);
	phi_dominators_release(&d);
	phi_graph_release(&g);

	build_chain(&g, n, true);
	timed_compute(&d, &g, roots, 1, "chain with a back edge");
	check_chain(&d, n);
	phi_dominators_release(&d);
	phi_graph_release(&g);
}

/* Node i -> i-1, root n-1: the DFS goes n deep from the highest index. */
static void test_reverse_chain(void **state)
{
	size_t n = chain_len(2000000);
	uint32_t roots[1];
	struct phi_graph g;
	struct phi_dominators d;
	uint64_t prefix = 0;

	(void)state;
	add_nodes(&g, n);
	for (size_t i = 0; i < n; i++) {
		phi_graph_set_size(&g, i, 16);
		phi_graph_begin_edges(&g, (uint32_t)i);
		if (i)
			assert_int_equal(phi_graph_push_edge(&g,
							     (uint32_t)i - 1),
					 0);
		/* Every tenth node also points back up at the top: deep
		 * evals over a forest that is half compressed already. */
		if (i % 10 == 5)
			assert_int_equal(phi_graph_push_edge(&g,
							     (uint32_t)n - 2),
					 0);
	}
	phi_graph_finish(&g);
	roots[0] = (uint32_t)n - 1;
	timed_compute(&d, &g, roots, 1, "reverse chain");
	assert_int_equal(d.reachable, n);
	assert_int_equal(d.reachable_size, 16 * (uint64_t)n);
	for (size_t i = 0; i < n; i++) {
		prefix += 16;
		if (d.idom[i] != (i + 1 < n ? i + 1 : ROOT))
			fail_msg("idom(%zu) = %u", i, d.idom[i]);
		if (d.retained[i] != prefix)
			fail_msg("retained(%zu) = %llu", i,
				 (unsigned long long)d.retained[i]);
	}
	phi_dominators_release(&d);
	phi_graph_release(&g);
}

/* ---- Random graphs against the definition */

#define MAXN 60

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t bound)
{
	/* xorshift64*: reproducible across platforms. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 33) % bound;
}

/* Nodes reachable from the roots over counted edges, avoiding node skip
 * (PHI_NONE: none), by BFS. */
static void reach(const struct phi_graph *g, const uint32_t *roots,
		  size_t nroots, uint32_t skip, bool *seen)
{
	uint32_t queue[MAXN];
	size_t head = 0, tail = 0;

	memset(seen, 0, g->n * sizeof(*seen));
	for (size_t k = 0; k < nroots; k++)
		if (roots[k] != skip && !seen[roots[k]]) {
			seen[roots[k]] = true;
			queue[tail++] = roots[k];
		}
	while (head < tail) {
		uint32_t v = queue[head++];

		for (uint64_t j = g->edge_start[v]; j < g->edge_start[v + 1];
		     j++) {
			uint32_t t = g->edges[j];

			if ((t & PHI_EDGE_FLAGS) || t == skip || seen[t])
				continue;
			seen[t] = true;
			queue[tail++] = t;
		}
	}
}

/* dom[d][v]: d strictly dominates v.  Then idom(v) is the strict
 * dominator of v that all the others dominate, and retained(v) is the
 * size of v and of every node it dominates. */
static void reference(const struct phi_graph *g, const uint32_t *roots,
		      size_t nroots, uint32_t *idom, uint64_t *ret)
{
	static bool dom[MAXN][MAXN];
	bool live[MAXN], without[MAXN];
	size_t n = g->n;

	reach(g, roots, nroots, NONE, live);
	for (uint32_t d = 0; d < n; d++) {
		reach(g, roots, nroots, d, without);
		for (uint32_t v = 0; v < n; v++)
			dom[d][v] = live[v] && v != d && !without[v];
	}
	for (uint32_t v = 0; v < n; v++) {
		idom[v] = live[v] ? ROOT : NONE;
		ret[v] = live[v] ? phi_graph_size(g, v) : 0;
		for (uint32_t d = 0; d < n; d++) {
			bool closest = dom[d][v];

			for (uint32_t o = 0; closest && o < n; o++)
				if (o != d && dom[o][v] && !dom[o][d])
					closest = false;
			if (closest)
				idom[v] = d;
			if (dom[v][d])
				ret[v] += phi_graph_size(g, d);
		}
	}
}

static void random_graph(struct phi_graph *g, uint32_t *roots,
			 size_t *nroots)
{
	uint32_t n = 10 + rnd(MAXN - 10 + 1);
	/* From sparse trees to dense tangles. */
	uint32_t avg = 1 + rnd(4);

	add_nodes(g, n);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t deg = rnd(2 * avg + 1);

		phi_graph_set_size(g, i, 1 + rnd(1000));
		phi_graph_begin_edges(g, i);
		for (uint32_t k = 0; k < deg; k++) {
			/* Some local edges, for self loops and chains. */
			uint32_t near = i + rnd(3);
			uint32_t t = rnd(5) ? rnd(n) : near < n ? near : i;
			uint32_t f = rnd(10);

			if (f == 0)
				t |= W;
			else if (f == 1)
				t |= U;
			assert_int_equal(phi_graph_push_edge(g, t), 0);
		}
	}
	phi_graph_finish(g);
	*nroots = 1 + rnd(4);
	for (size_t k = 0; k < *nroots; k++)
		roots[k] = rnd(n);
}

static void test_random(void **state)
{
	uint32_t idom[MAXN], roots[8];
	uint64_t ret[MAXN];
	size_t nroots;

	(void)state;
	for (int iter = 0; iter < 300; iter++) {
		struct phi_graph g;
		struct phi_dominators d;

		random_graph(&g, roots, &nroots);
		reference(&g, roots, nroots, idom, ret);
		compute(&d, &g, roots, nroots);
		for (size_t v = 0; v < g.n; v++) {
			if (d.idom[v] != idom[v])
				fail_msg("graph %d: idom(%zu) = %#x, "
					 "expected %#x", iter, v, d.idom[v],
					 idom[v]);
			if (d.retained[v] != ret[v])
				fail_msg("graph %d: retained(%zu) = %llu, "
					 "expected %llu", iter, v,
					 (unsigned long long)d.retained[v],
					 (unsigned long long)ret[v]);
		}
		phi_dominators_release(&d);
		phi_graph_release(&g);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diamond),
		cmocka_unit_test(test_lengauer_tarjan_example),
		cmocka_unit_test(test_cycle),
		cmocka_unit_test(test_flagged_edges),
		cmocka_unit_test(test_several_roots),
		cmocka_unit_test(test_unreachable_and_self_loops),
		cmocka_unit_test(test_empty_graph),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_reverse_chain),
		cmocka_unit_test(test_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
