/* Unit tests for the leak suspects (suspects.h) on hand-built heaps: the
 * accumulation point below a chain of single holders (modules, their
 * __dict__, an instance and its __dict__), a walk that ends on a module's
 * __dict__ (no suspect; the halves below it are), a chain of a million
 * objects (the walks cost O(n): a quadratic walk would not end) and a
 * linked list of instances, both named by their head, what a suspect's
 * children are, and classes whose instances together retain more than
 * the share, instances inside another instance counted once.
 * The expected answers are worked out by hand in each test. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "pyheapinspect/analysis/suspects.h"
#include "pyheapinspect/cpython/ops.h"

enum { T_DICT, T_STR, T_BOX, T_MODULE, T_LIST, T_NODE, NTYPES };

static struct phi_type types[NTYPES] = {
	[T_DICT] = { .kind = PHI_K_DICT, .name = "dict" },
	[T_STR] = { .kind = PHI_K_STR, .name = "str" },
	[T_BOX] = { .kind = PHI_K_INSTANCE, .name = "__main__.Box",
		    .heap = true },
	[T_MODULE] = { .kind = PHI_K_MODULE, .name = "module" },
	[T_LIST] = { .kind = PHI_K_LIST, .name = "list" },
	[T_NODE] = { .kind = PHI_K_INSTANCE, .name = "__main__.Node",
		     .heap = true },
};

/* A module holds its __dict__ as ".__dict__". */
static void label_step(const struct phi_heap *h, uint32_t parent,
		       uint32_t child, char *buf, size_t len)
{
	(void)child;
	if (phi_heap_type(h, parent)->kind == PHI_K_MODULE)
		snprintf(buf + strlen(buf), len - strlen(buf), ".__dict__");
}

static struct phi_cpython_ops ops = { .label_step = label_step };
static struct phi_python py = { .ops = &ops };

struct heap {
	struct phi_heap h;
	struct phi_dominators d;
	struct phi_root root;
};

/* n nodes of the given types and sizes, edges from parent[i] to i
 * (parent PHI_NONE: none) plus the extra edges, node 0 the one root,
 * of kind rk. */
static void build(struct heap *x, size_t n, const uint32_t *type,
		  const uint64_t *size, const uint32_t *parent,
		  const uint32_t (*extra)[2], size_t nextra,
		  enum phi_root_kind rk)
{
	struct phi_error err = { 0 };
	struct phi_graph *g = &x->h.g;

	memset(x, 0, sizeof(*x));
	x->h.py = &py;
	x->h.types.v = types;
	x->h.types.n = NTYPES;
	if (phi_graph_init(g, n, &err) != 0)
		fail_msg("phi_graph_init: %s", err.msg);
	for (size_t i = 0; i < n; i++) {
		bool added;

		assert_int_equal(phi_graph_add(g, 0x1000 + 16 * i, &added), i);
		g->type[i] = type[i];
		phi_graph_set_size(g, (uint32_t)i, size[i]);
	}
	/* Edges in node order, as the graph wants them. */
	for (uint32_t i = 0; i < n; i++) {
		phi_graph_begin_edges(g, i);
		for (uint32_t v = 0; v < n; v++)
			if (parent[v] == i)
				assert_int_equal(phi_graph_push_edge(g, v), 0);
		for (size_t k = 0; k < nextra; k++)
			if (extra[k][0] == i)
				assert_int_equal(
					phi_graph_push_edge(g, extra[k][1]), 0);
	}
	phi_graph_finish(g);
	x->root = (struct phi_root){ .node = 0, .kind = rk };
	x->h.roots = &x->root;
	x->h.nroots = 1;
	if (phi_dominators_compute(&x->d, g, &x->root.node, 1, &err) != 0)
		fail_msg("phi_dominators_compute: %s", err.msg);
}

static void release(struct heap *x)
{
	phi_dominators_release(&x->d);
	phi_graph_release(&x->h.g);
}

static void find(struct phi_suspects *s, struct heap *x, double share)
{
	struct phi_error err = { 0 };

	if (phi_suspects_find(s, &x->h, &x->d, share, 20, &err) != 0)
		fail_msg("phi_suspects_find: %s", err.msg);
}

/* sys.modules (0) -> module (1) -> its __dict__ (2) -> Box (3) -> its
 * __dict__ (4) -> cache (5) -> 100 records (6..105) of 10 bytes, each
 * holding a str (106..205) of 5 bytes; and the module's __dict__ also
 * holds a small list (206).  Every holder above the cache keeps over
 * 70% of its parent; the cache's largest child is one record (15 of
 * 1550): the walk stops at the cache. */
static void test_accumulation_point(void **state)
{
	enum { N = 207 };
	uint32_t type[N], parent[N];
	uint64_t size[N];
	struct heap x;
	struct phi_suspects s;

	(void)state;
	for (uint32_t i = 0; i < N; i++) {
		size[i] = 1;
		type[i] = T_DICT;
		parent[i] = i ? i - 1 : PHI_NONE;
	}
	type[1] = T_MODULE;
	type[3] = T_BOX;
	size[5] = 50;
	for (uint32_t i = 6; i < 106; i++) {
		parent[i] = 5;
		size[i] = 10;
		parent[i + 100] = i;
		type[i + 100] = T_STR;
		size[i + 100] = 5;
	}
	parent[206] = 2;
	type[206] = T_LIST;
	size[206] = 100;
	build(&x, N, type, size, parent, NULL, 0, PHI_ROOT_MODULES);
	find(&s, &x, 0.10);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].node, 5);
	assert_int_equal(s.v[0].from, 0);
	assert_int_equal(s.v[0].parent, 4);
	assert_int_equal(s.v[0].retained, 50 + 100 * 15);
	assert_int_equal(s.v[0].kids, 100);
	assert_int_equal(s.v[0].kids_retained, 1500);
	assert_int_equal(s.v[0].largest_kid, 15);
	assert_int_equal(s.v[0].nkid_types, 1);
	assert_int_equal(s.v[0].kid_types[0].type, T_DICT);
	assert_int_equal(s.v[0].kid_types[0].count, 100);
	/* Anchors: the root, the module and its __dict__. */
	assert_true(phi_suspects_anchor(&s, 0));
	assert_true(phi_suspects_anchor(&s, 1));
	assert_true(phi_suspects_anchor(&s, 2));
	assert_false(phi_suspects_anchor(&s, 3));
	/* The Box retains over 10%: a group of one. */
	assert_int_equal(s.ngroups, 1);
	assert_int_equal(s.groups[0].type, T_BOX);
	assert_int_equal(s.groups[0].instances, 1);
	assert_int_equal(s.groups[0].retained, 2 + 1550);
	phi_suspects_release(&s);
	release(&x);
}

/* sys.modules (0) -> module (1) -> its __dict__ (2) holding two lists
 * (3, 4) of 100 strs each (5..104 under 3, 105..204 under 4), 10 bytes
 * each: each list retains 1001 of the __dict__'s 2003, under 70%: the
 * walk from the top ends on the __dict__, which is never a suspect; both
 * lists (over 10%) start walks of their own and are the suspects, equal,
 * the lower node first. */
static void test_walk_ends_on_a_module(void **state)
{
	enum { N = 205 };
	uint32_t type[N], parent[N];
	uint64_t size[N];
	struct heap x;
	struct phi_suspects s;

	(void)state;
	for (uint32_t i = 0; i < N; i++) {
		size[i] = 10;
		type[i] = T_STR;
		parent[i] = i < 105 ? 3 : 4;
	}
	parent[0] = PHI_NONE;
	parent[1] = 0;
	parent[2] = 1;
	parent[3] = parent[4] = 2;
	type[0] = type[2] = T_DICT;
	type[1] = T_MODULE;
	type[3] = type[4] = T_LIST;
	size[0] = size[1] = size[2] = 1;
	size[3] = size[4] = 1;
	build(&x, N, type, size, parent, NULL, 0, PHI_ROOT_MODULES);
	find(&s, &x, 0.10);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.v[0].node, 3);
	assert_int_equal(s.v[1].node, 4);
	assert_int_equal(s.v[0].retained, 1 + 100 * 10);
	assert_int_equal(s.v[0].kids, 100);
	assert_int_equal(s.v[0].from, 3);
	phi_suspects_release(&s);
	release(&x);
}

/* A shared child is dominated by neither holder: the suspect's children
 * are what it alone keeps.  Root dict 0 (a thread's state) -> list 1 ->
 * 40 strs (2..41) of 10 bytes; str 2 is also held by dict 42 under the
 * root, so 1 keeps 39 of them; a second list 43 under the root holds 20
 * strs (44..63).  Suspects: list 1 (391 bytes, 39 children) and list 43
 * (201 bytes); the root is an anchor. */
static void test_shared_children(void **state)
{
	enum { N = 64 };
	uint32_t type[N], parent[N];
	uint64_t size[N];
	const uint32_t extra[][2] = { { 42, 2 } };
	struct heap x;
	struct phi_suspects s;

	(void)state;
	for (uint32_t i = 0; i < N; i++) {
		size[i] = 10;
		type[i] = T_STR;
		parent[i] = i < 42 ? 1 : 43;
	}
	parent[0] = PHI_NONE;
	parent[1] = parent[42] = parent[43] = 0;
	type[0] = type[42] = T_DICT;
	type[1] = type[43] = T_LIST;
	size[0] = size[1] = size[42] = size[43] = 1;
	build(&x, N, type, size, parent, extra, 1, PHI_ROOT_THREAD);
	find(&s, &x, 0.10);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.v[0].node, 1);
	assert_int_equal(s.v[0].retained, 1 + 39 * 10);
	assert_int_equal(s.v[0].kids, 39);
	assert_int_equal(s.v[1].node, 43);
	assert_int_equal(s.v[1].retained, 1 + 20 * 10);
	assert_int_equal(s.ngroups, 0);
	phi_suspects_release(&s);
	release(&x);
}

/* Boxes: a list (0, a frame's root) holds 4 Boxes (1..4), each with a
 * __dict__ (5..8) holding a str of 100 bytes (9..12); Box 1's __dict__
 * also holds a fifth Box (13, with __dict__ 14 and str 15).  Sizes:
 * Box 10, dict 10.  The class retains 4 * 120 + 120 = 600, but counted
 * once per outermost instance: 4 instances (Box 13 is inside Box 1). */
static void test_groups(void **state)
{
	enum { N = 16 };
	uint32_t type[N] = { T_LIST, T_BOX, T_BOX, T_BOX, T_BOX, T_DICT,
			     T_DICT, T_DICT, T_DICT, T_STR, T_STR, T_STR,
			     T_STR, T_BOX, T_DICT, T_STR };
	uint32_t parent[N] = { PHI_NONE, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8,
			       5, 13, 14 };
	uint64_t size[N] = { 8, 10, 10, 10, 10, 10, 10, 10, 10, 100, 100,
			     100, 100, 10, 10, 100 };
	struct heap x;
	struct phi_suspects s;

	(void)state;
	build(&x, N, type, size, parent, NULL, 0, PHI_ROOT_FRAME);
	find(&s, &x, 0.10);
	assert_int_equal(s.ngroups, 1);
	assert_int_equal(s.groups[0].type, T_BOX);
	assert_int_equal(s.groups[0].instances, 4);
	assert_int_equal(s.groups[0].retained, 600);
	assert_int_equal(s.groups[0].largest, 1);
	/* The walk from the list (an anchor) stops at once: Box 1 keeps
	 * 240 of 608.  Everything over 60.8 bytes walks on its own: Box 1
	 * -> its __dict__ 5 (230 of 240), where Box 13 keeps 120 of 230,
	 * under 70%: 5 is a suspect; Boxes 2..4 and 13 -> their __dict__
	 * (110 of 120) -> its str (100 of 110), a leaf: strs 10, 11, 12
	 * and 15 are suspects; and str 9, over 10% itself, which no walk
	 * went through; the lower node first among equals. */
	assert_int_equal(s.n, 6);
	assert_int_equal(s.v[0].node, 5);
	assert_int_equal(s.v[0].retained, 230);
	assert_int_equal(s.v[0].from, 1);
	assert_int_equal(s.v[0].kids, 2);
	assert_int_equal(s.v[0].largest_kid, 120);
	assert_int_equal(s.v[1].node, 9);
	assert_int_equal(s.v[1].from, 9);
	assert_int_equal(s.v[2].node, 10);
	assert_int_equal(s.v[2].kids, 0);
	assert_int_equal(s.v[2].from, 2);
	assert_int_equal(s.v[5].node, 15);
	assert_int_equal(s.v[5].from, 13);
	phi_suspects_release(&s);
	release(&x);
}

/* A chain of a million Nodes, each 1 byte holding the next: node k
 * retains n - k; its child keeps (n-k-1)/(n-k), at least 70% while
 * n - k >= 4, so the walk from the top would end at node n - 3,
 * retaining 3; but Node comes back 16 times along it: a chain, named by
 * its head, node 0.  Every node above 10% starts a walk: met nodes stop
 * them at once (or this test would not end), and none starts inside the
 * chain.  One group: the outermost Node, retaining everything. */
static void test_chain(void **state)
{
	size_t n = getenv("PHI_DOM_SMALL") ? 10000 : 1000000;
	struct phi_error err = { 0 };
	struct phi_graph *g;
	struct heap x;
	struct phi_suspects s;

	(void)state;
	/* build() is quadratic in its edge loop: make the chain here. */
	memset(&x, 0, sizeof(x));
	x.h.py = &py;
	x.h.types.v = types;
	x.h.types.n = NTYPES;
	g = &x.h.g;
	assert_int_equal(phi_graph_init(g, n, &err), 0);
	for (size_t i = 0; i < n; i++) {
		bool added;

		assert_int_equal(phi_graph_add(g, 0x1000 + 16 * i, &added), i);
		g->type[i] = T_NODE;
		phi_graph_set_size(g, (uint32_t)i, 1);
		phi_graph_begin_edges(g, (uint32_t)i);
		if (i + 1 < n)
			assert_int_equal(phi_graph_push_edge(g, (uint32_t)i + 1),
					 0);
	}
	phi_graph_finish(g);
	x.root = (struct phi_root){ .node = 0, .kind = PHI_ROOT_CACHE };
	x.h.roots = &x.root;
	x.h.nroots = 1;
	assert_int_equal(phi_dominators_compute(&x.d, g, &x.root.node, 1,
						&err), 0);
	find(&s, &x, 0.10);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].node, 0);
	assert_int_equal(s.v[0].retained, n);
	assert_int_equal(s.v[0].from, 0);
	assert_int_equal(s.candidates, n - n / 10);
	assert_int_equal(s.ngroups, 1);
	assert_int_equal(s.groups[0].instances, 1);
	assert_int_equal(s.groups[0].retained, n);
	phi_suspects_release(&s);
	release(&x);
}

/* sys.modules (0) -> module (1) -> its __dict__ (2) -> Node 3 -> its
 * __dict__ 4 -> Node 5 -> ... 40 Nodes with their __dict__ (3..82),
 * each 1 byte, the last __dict__ holding a str of 1 byte (83).  The
 * walk goes down to the str (every child keeps over 70%... until the
 * last steps), meets dict and Node 16 times: the head is the first
 * Node (3), before its __dict__ and after the module's __dict__ (an
 * anchor). */
static void test_chain_of_instances(void **state)
{
	enum { N = 84 };
	uint32_t type[N], parent[N];
	uint64_t size[N];
	struct heap x;
	struct phi_suspects s;

	(void)state;
	for (uint32_t i = 0; i < N; i++) {
		size[i] = 1;
		parent[i] = i ? i - 1 : PHI_NONE;
		type[i] = i >= 3 && i % 2 ? T_NODE : T_DICT;
	}
	type[1] = T_MODULE;
	type[83] = T_STR;
	build(&x, N, type, size, parent, NULL, 0, PHI_ROOT_MODULES);
	find(&s, &x, 0.10);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.v[0].node, 3);
	assert_int_equal(s.v[0].retained, N - 3);
	assert_int_equal(s.v[0].from, 0);
	phi_suspects_release(&s);
	release(&x);
}

static void test_empty(void **state)
{
	struct heap x;
	struct phi_suspects s;
	struct phi_error err = { 0 };

	(void)state;
	memset(&x, 0, sizeof(x));
	x.h.py = &py;
	assert_int_equal(phi_graph_init(&x.h.g, 1, &err), 0);
	phi_graph_finish(&x.h.g);
	assert_int_equal(phi_suspects_find(&s, &x.h, &x.d, 0.1, 20, &err), 0);
	assert_int_equal(s.n, 0);
	assert_int_equal(s.ngroups, 0);
	assert_false(phi_suspects_anchor(&s, 0));
	phi_suspects_release(&s);
	phi_graph_release(&x.h.g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accumulation_point),
		cmocka_unit_test(test_walk_ends_on_a_module),
		cmocka_unit_test(test_shared_children),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_chain_of_instances),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
