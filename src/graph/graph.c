/* Graph storage.  The hash keeps indices only (the key is addr[index]),
 * which is 8 bytes per object at a load factor of one half.  The arrays
 * live in bigmem blocks, populated as they grow: growing by a quarter
 * (mremap moves no data) keeps the unused tail small, since populated
 * pages count in the tool's memory. */
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/base/bigmem.h"
#include "pyheapinspect/base/budget.h"
#include "pyheapinspect/graph/graph.h"

#define MIN_NODES 4096
/* The address hash is rebuilt twice as large past three quarters of
 * its slots in use, not half: linear probing then takes about 2.5
 * probes for a hit instead of 1.5, in the same cache line mostly (the
 * slots' two bits of hash spare most reads of addr[]), and the hash
 * takes half the memory whenever the count of objects is past a power
 * of two by less than half (64 MiB less at 10^7 objects, 8 bytes an
 * object at 130,000 to 260,000). */
#define LOAD_NUM 3
#define LOAD_DEN 4
#define MIN_EDGES 16384

static size_t grown(size_t cap, size_t min)
{
	size_t ncap = cap + cap / 4;

	return ncap < min ? min : ncap;
}

static int grow_nodes(struct phi_graph *g, size_t ncap)
{
	void *p;

#define GROW(field)                                                       \
	p = phi_big_realloc(g->field, ncap * sizeof(*g->field));          \
	if (!p)                                                           \
		return -1;                                                \
	g->field = p;
	GROW(addr);
	GROW(size32);
	GROW(refcnt32);
	GROW(type);
	GROW(flags);
#undef GROW
	p = phi_big_realloc(g->edge_start,
			    (ncap + 1) * sizeof(*g->edge_start));
	if (!p)
		return -1;
	g->edge_start = p;
	g->cap = ncap;
	return 0;
}

static int rehash(struct phi_graph *g, uint64_t nslots)
{
	uint32_t *s = phi_big_alloc(nslots * sizeof(*s));

	if (!s)
		return -1;
	phi_big_free(g->slots);
	g->slots = s;
	g->mask = nslots - 1;
	for (size_t i = 0; i < g->n; i++) {
		uint64_t hash = phi_addr_hash(g->addr[i]);
		uint64_t h = hash & g->mask;

		while (s[h])
			h = (h + 1) & g->mask;
		s[h] = phi_slot_make((uint32_t)i, hash);
	}
	return 0;
}

int phi_graph_init(struct phi_graph *g, size_t expect, struct phi_error *err)
{
	uint64_t nslots = 1024, left = phi_budget_left();

	memset(g, 0, sizeof(*g));
	if (expect < MIN_NODES)
		expect = MIN_NODES;
	while (nslots * LOAD_NUM < LOAD_DEN * (uint64_t)expect)
		nslots <<= 1;
	/* The guess may be far off (a heap of a few large objects): the
	 * hash, which would have to be rebuilt to grow, is sized from it
	 * but takes at most an eighth of the memory budget left; the node
	 * arrays start small and grow by a quarter as objects come (mremap
	 * moves no data). */
	while (nslots > 1024 && left != PHI_BUDGET_NONE &&
	       nslots * sizeof(*g->slots) > left / 8)
		nslots >>= 1;
	if (grow_nodes(g, MIN_NODES) < 0 || rehash(g, nslots) < 0) {
		phi_graph_release(g);
		return phi_error_set(err, PHI_E_NO_MEMORY,
				     "out of memory for a graph of %zu objects",
				     expect);
	}
	g->edge_start[0] = 0;
	return 0;
}

void phi_graph_release(struct phi_graph *g)
{
	phi_big_free(g->addr);
	phi_big_free(g->size32);
	phi_big_free(g->refcnt32);
	free(g->wide_size.v);
	free(g->wide_refcnt.v);
	phi_big_free(g->type);
	phi_big_free(g->flags);
	phi_big_free(g->edge_start);
	phi_big_free(g->edges);
	phi_big_free(g->slots);
	memset(g, 0, sizeof(*g));
}

uint32_t phi_graph_insert(struct phi_graph *g, uint64_t addr, uint64_t slot)
{
	uint32_t i;

	if (g->n >= PHI_MAX_NODES)
		return PHI_NONE;
	if (g->n == g->cap && grow_nodes(g, grown(g->cap, MIN_NODES)) < 0)
		return PHI_NONE;
	i = (uint32_t)g->n++;
	g->addr[i] = addr;
	g->size32[i] = 0;
	g->refcnt32[i] = 0;
	g->type[i] = PHI_NONE;
	g->flags[i] = 0;
	g->slots[slot] = phi_slot_make(i, phi_addr_hash(addr));
	if (LOAD_DEN * (uint64_t)g->n > LOAD_NUM * (g->mask + 1) &&
	    rehash(g, (g->mask + 1) * 2) < 0) {
		/* Keep the table valid: undo the insertion. */
		g->slots[slot] = 0;
		g->n--;
		return PHI_NONE;
	}
	return i;
}

uint32_t phi_graph_add(struct phi_graph *g, uint64_t addr, bool *added)
{
	uint64_t slot = 0;
	uint32_t i = phi_graph_find_slot(g, addr, &slot);

	*added = false;
	if (i != PHI_NONE)
		return i;
	i = phi_graph_insert(g, addr, slot);
	*added = i != PHI_NONE;
	return i;
}

uint32_t phi_graph_find(const struct phi_graph *g, uint64_t addr)
{
	uint64_t slot = 0;

	return phi_graph_find_slot(g, addr, &slot);
}

int phi_graph_push_edge_grow(struct phi_graph *g, uint32_t target)
{
	uint64_t ncap = grown(g->edge_cap, MIN_EDGES);
	uint32_t *e;

	if (ncap > PHI_MAX_EDGES)
		ncap = PHI_MAX_EDGES;
	if (g->nedges >= ncap)
		return -1;
	e = phi_big_realloc(g->edges, ncap * sizeof(*e));
	if (!e)
		return -1;
	g->edges = e;
	g->edge_cap = ncap;
	g->edges[g->nedges++] = target;
	return 0;
}

void phi_graph_finish(struct phi_graph *g)
{
	g->edge_start[g->n] = (uint32_t)g->nedges;
	/* The arrays grew by a quarter at a time: give the unused tail
	 * back before the analyses add their scratch (mremap only drops
	 * pages; the arrays do not move). */
	if (g->n && g->n < g->cap && grow_nodes(g, g->n) < 0)
		return; /* they keep their capacity: nothing is lost */
	if (g->nedges && g->nedges < g->edge_cap) {
		uint32_t *e = phi_big_realloc(g->edges,
					      g->nedges * sizeof(*e));

		if (e) {
			g->edges = e;
			g->edge_cap = g->nedges;
		}
	}
}

uint64_t phi_graph_memory(const struct phi_graph *g)
{
	return (uint64_t)g->cap * (8 + 4 + 4 + 4 + 1 + 4) +
	       g->edge_cap * 4 + (g->mask + 1) * 4 +
	       (g->wide_size.cap + g->wide_refcnt.cap) *
		       sizeof(struct phi_wide);
}

/* Binary search: the tables are sorted by node. */
uint64_t phi_wide_get(const struct phi_wide_table *w, uint32_t node)
{
	size_t lo = 0, hi = w->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (w->v[mid].node < node)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < w->n && w->v[lo].node == node ? w->v[lo].value : 0;
}

/* Store v in a[i], or PHI_WIDE in a[i] and v in the wide table. */
static int set_wide(uint32_t *a, struct phi_wide_table *w, uint32_t i,
		    uint64_t v)
{
	if (v < PHI_WIDE) {
		a[i] = (uint32_t)v;
		return 0;
	}
	/* Set once per node, in node order: append (or overwrite the last
	 * entry when the same node is set again). */
	if (w->n && w->v[w->n - 1].node == i) {
		w->v[w->n - 1].value = v;
		a[i] = PHI_WIDE;
		return 0;
	}
	if (w->n && w->v[w->n - 1].node > i)
		return -1;
	if (w->n == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 16;
		struct phi_wide *p = realloc(w->v, ncap * sizeof(*p));

		if (!p)
			return -1;
		w->v = p;
		w->cap = ncap;
	}
	w->v[w->n++] = (struct phi_wide){ .node = i, .value = v };
	a[i] = PHI_WIDE;
	return 0;
}

int phi_graph_set_size(struct phi_graph *g, uint32_t i, uint64_t size)
{
	return set_wide(g->size32, &g->wide_size, i, size);
}

int phi_graph_set_refcnt(struct phi_graph *g, uint32_t i, int64_t refcnt)
{
	return set_wide(g->refcnt32, &g->wide_refcnt, i,
			refcnt > 0 ? (uint64_t)refcnt : 0);
}

int phi_node_sizes_init(struct phi_node_sizes *s, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->v = phi_big_calloc(n ? n : 1, sizeof(*s->v));
	if (!s->v)
		return -1;
	s->n = n;
	return 0;
}

int phi_node_sizes_set(struct phi_node_sizes *s, uint32_t i, uint64_t v)
{
	struct phi_wide_table *w = &s->wide;

	if (v < PHI_WIDE) {
		s->v[i] = (uint32_t)v;
		return 0;
	}
	if (w->n && w->v[w->n - 1].node >= i)
		return -1;
	if (w->n == w->cap) {
		size_t ncap = w->cap ? w->cap * 2 : 16;
		struct phi_wide *p = phi_big_realloc(w->v, ncap * sizeof(*p));

		if (!p)
			return -1;
		w->v = p;
		w->cap = ncap;
	}
	w->v[w->n++] = (struct phi_wide){ .node = i, .value = v };
	s->v[i] = PHI_WIDE;
	return 0;
}

void phi_node_sizes_release(struct phi_node_sizes *s)
{
	phi_big_free(s->v);
	phi_big_free(s->wide.v);
	memset(s, 0, sizeof(*s));
}
