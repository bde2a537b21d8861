/* The object graph in arrays: one slot per object (structure of arrays,
 * 32-bit indices), edges in CSR form, and an address -> index hash.  No
 * allocation per object: the arrays are large mappings (base/bigmem.h)
 * that grow by a quarter, the hash by doubling. */
#ifndef PYHEAPINSPECT_GRAPH_H
#define PYHEAPINSPECT_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/base/error.h"

#define PHI_NONE UINT32_MAX
/* Edge flags, in the top bits of an edge's target index.  WEAK: a
 * weakref's referent, which it does not keep alive.  UNCOUNTED: a
 * reference the target's refcount does not count (the keys of a split
 * dict belong to the type's shared keys; the interned dict does not own
 * its strings), so it keeps nothing alive either. */
#define PHI_EDGE_WEAK 0x80000000u
#define PHI_EDGE_UNCOUNTED 0x40000000u
#define PHI_EDGE_FLAGS (PHI_EDGE_WEAK | PHI_EDGE_UNCOUNTED)
#define PHI_EDGE_NODE(e) ((e) & ~PHI_EDGE_FLAGS)
/* Largest graph: indices must leave the flag bits free. */
#define PHI_MAX_NODES 0x3ffffff0u

enum {
	PHI_NODE_GC = 1,         /* has a GC header (sys.getsizeof adds 16) */
	PHI_NODE_TRACKED = 2,    /* in a GC list (_gc_next != 0) */
	PHI_NODE_OPAQUE = 4,     /* unknown C layout: no referents decoded */
	PHI_NODE_BAD = 8,        /* header unreadable or inconsistent */
	PHI_NODE_ROOT = 16,      /* held by an interpreter root */
	PHI_NODE_INEXACT = 32,   /* size is not sys.getsizeof's (a
				  * __sizeof__ the tool cannot compute) */
	PHI_NODE_CONSERVATIVE = 64, /* some edges found by a conservative
				     * scan (cpython/heap.h says which) */
	PHI_NODE_DWARF = 128,    /* edges from a C struct's DWARF, not
				  * from a decoder of its tp_traverse */
};

/* A value too big for 32 bits, kept beside the array (rare: an object of
 * 4 GiB or more, a refcount of 2^32 or more).  Entries are appended in
 * node order, so they are sorted by node. */
struct phi_wide {
	uint32_t node;
	uint64_t value;
};

struct phi_wide_table {
	struct phi_wide *v;
	size_t n, cap;
};

/* Largest number of edges: CSR offsets are 32-bit. */
#define PHI_MAX_EDGES 0xfffffff0u
/* In size32/refcnt32: the value is in the wide table. */
#define PHI_WIDE UINT32_MAX

struct phi_graph {
	size_t n, cap;
	uint64_t *addr;
	/* sys.getsizeof and the refcount in 32 bits (the memory per object
	 * is what bounds the largest heap); read them through
	 * phi_graph_size() and phi_graph_refcnt(). */
	uint32_t *size32;
	uint32_t *refcnt32;
	struct phi_wide_table wide_size, wide_refcnt;
	uint32_t *type;          /* index in the type table */
	uint8_t *flags;
	/* CSR: edges of node i are edges[edge_start[i] .. edge_start[i+1]).
	 * Nodes are decoded in index order, so edges are appended. */
	uint32_t *edge_start;    /* n + 1 entries once finished */
	uint32_t *edges;
	uint64_t nedges, edge_cap;
	/* Open addressing: 0 = empty, else index + 1 in the low 30 bits and
	 * two more bits of the address's hash above (phi_slot_make), so
	 * that three probes in four that meet another address are told
	 * apart without reading its addr[] entry, a cache miss. */
	uint32_t *slots;
	uint64_t mask;
};

uint64_t phi_wide_get(const struct phi_wide_table *w, uint32_t node);

/* sys.getsizeof of node i. */
static inline uint64_t phi_graph_size(const struct phi_graph *g, uint32_t i)
{
	uint32_t v = g->size32[i];

	return v != PHI_WIDE ? v : phi_wide_get(&g->wide_size, i);
}

/* ob_refcnt of node i (positive: nodes are validated). */
static inline int64_t phi_graph_refcnt(const struct phi_graph *g,
				       uint32_t i)
{
	uint32_t v = g->refcnt32[i];

	return v != PHI_WIDE ? v
			     : (int64_t)phi_wide_get(&g->wide_refcnt, i);
}

/* Setters, called in node order (the wide tables stay sorted); -1 when
 * out of memory. */
int phi_graph_set_size(struct phi_graph *g, uint32_t i, uint64_t size);
int phi_graph_set_refcnt(struct phi_graph *g, uint32_t i, int64_t refcnt);

/* The hash of an object address, for the graph's and the type table's
 * open addressing: objects are 16-byte aligned in pymalloc, so the low
 * zero bits are dropped, then the bits are mixed (a 64-bit finaliser). */
static inline uint64_t phi_addr_hash(uint64_t a)
{
	a >>= 4;
	a ^= a >> 33;
	a *= 0xff51afd7ed558ccdULL;
	a ^= a >> 33;
	return a;
}

#define PHI_SLOT_INDEX_MASK 0x3fffffffu

static inline uint32_t phi_slot_tag(uint64_t hash)
{
	return (uint32_t)(hash >> 62) << 30;
}

static inline uint32_t phi_slot_make(uint32_t index, uint64_t hash)
{
	return (index + 1) | phi_slot_tag(hash);
}

/* The node index a non-empty slot holds. */
static inline uint32_t phi_slot_index(uint32_t v)
{
	return (v & PHI_SLOT_INDEX_MASK) - 1;
}

/* Where a lookup of addr starts: a caller that looks up many addresses
 * prefetches these first, so their cache misses overlap. */
static inline const uint32_t *phi_graph_home(const struct phi_graph *g,
					     uint64_t addr)
{
	return &g->slots[phi_addr_hash(addr) & g->mask];
}

int phi_graph_init(struct phi_graph *g, size_t expect, struct phi_error *err);
void phi_graph_release(struct phi_graph *g);

/* Index of addr, or PHI_NONE. */
uint32_t phi_graph_find(const struct phi_graph *g, uint64_t addr);

/* Index of addr, added (with type PHI_NONE, size 0, flags 0) when new;
 * *added says which.  PHI_NONE when out of memory or full. */
uint32_t phi_graph_add(struct phi_graph *g, uint64_t addr, bool *added);

/* The same in two steps, for a caller that validates a new object
 * between them with one probe of the hash: find gives the index, or
 * PHI_NONE and the free slot; insert adds addr at that slot (nothing may
 * be added in between). */
static inline uint32_t phi_graph_find_slot(const struct phi_graph *g,
					   uint64_t addr, uint64_t *slot)
{
	uint64_t hash = phi_addr_hash(addr), h = hash & g->mask;
	uint32_t tag = phi_slot_tag(hash);

	for (;;) {
		uint32_t v = g->slots[h];

		if (!v) {
			*slot = h;
			return PHI_NONE;
		}
		if ((v & ~PHI_SLOT_INDEX_MASK) == tag &&
		    g->addr[phi_slot_index(v)] == addr)
			return phi_slot_index(v);
		h = (h + 1) & g->mask;
	}
}

uint32_t phi_graph_insert(struct phi_graph *g, uint64_t addr, uint64_t slot);

/* Edges: open node i's list (must be called for i = 0, 1, 2... in order),
 * push targets, then phi_graph_finish after the last node. */
static inline void phi_graph_begin_edges(struct phi_graph *g, uint32_t i)
{
	g->edge_start[i] = (uint32_t)g->nedges;
}

/* The slow path of phi_graph_push_edge: grow the array first. */
int phi_graph_push_edge_grow(struct phi_graph *g, uint32_t target);

/* 0, or -1 when out of memory or past PHI_MAX_EDGES. */
static inline int phi_graph_push_edge(struct phi_graph *g, uint32_t target)
{
	if (g->nedges == g->edge_cap)
		return phi_graph_push_edge_grow(g, target);
	g->edges[g->nedges++] = target;
	return 0;
}

void phi_graph_finish(struct phi_graph *g);

/* Bytes the graph holds, for the report and the benchmark. */
uint64_t phi_graph_memory(const struct phi_graph *g);

/* A size per node in 32 bits (4 bytes an object instead of 8: at 10^7
 * objects, 38 MiB), the rare wider ones beside it as in the graph: the
 * allocated sizes of the memory section.  Both arrays come from the
 * memory budget. */
struct phi_node_sizes {
	uint32_t *v;
	struct phi_wide_table wide;
	size_t n;
};

/* n zeroed sizes; -1 when out of memory (or budget). */
int phi_node_sizes_init(struct phi_node_sizes *s, size_t n);
/* Called in node order; -1 when out of memory. */
int phi_node_sizes_set(struct phi_node_sizes *s, uint32_t i, uint64_t v);
void phi_node_sizes_release(struct phi_node_sizes *s);

static inline uint64_t phi_node_size(const struct phi_node_sizes *s,
				     uint32_t i)
{
	uint32_t v = s->v[i];

	return v != PHI_WIDE ? v : phi_wide_get(&s->wide, i);
}

#endif
