/* Heap enumeration.  Roots seed the node array; then nodes are decoded in
 * index order, and every referent not seen yet is appended, so the loop
 * is a breadth-first walk with no recursion and the edges come out in
 * CSR order.  The objects only the GC lists hold come last (gc_heads).
 * Every object is validated before it becomes a node: aligned, header
 * in the image, refcount positive, type a valid type object.
 *
 * Nearly all the time goes to cache misses on the address hash and the
 * image, so the lookups are queued and done in batches, with prefetches
 * ahead of them (docs/performance.md). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pyheapinspect/base/clock.h"
#include "pyheapinspect/base/bigmem.h"
#include "pyheapinspect/base/sizes.h"
#include "pyheapinspect/cpython/310/cstate.h"
#include "pyheapinspect/cpython/310/decode.h"
#include "pyheapinspect/cpython/310/estimate.h"
#include "pyheapinspect/cpython/310/py310.h"
#include "pyheapinspect/cpython/310/types.h"
#include "pyheapinspect/cpython/310/walk.h"

#define L(id) PHI_L(b->lay, id)
/* A pointer-sized field of the image, 0 when it is not there. */
#define RD(addr) phi_image_word(b->img, (addr))

/* Frames per thread kept as roots; deeper frames are still reached
 * through f_back. */
#define MAX_ROOT_FRAMES 100000
/* Objects in a row of a GC list that are not objects: past this many,
 * the rest of the chain is garbage too (or a loop among such). */
#define GC_BAD_RUN 16
#define PROGRESS_EVERY (1u << 16)
/* References looked up together, so that their cache misses (hash slot,
 * node address, new object's header) overlap instead of queueing.  The
 * referents of several nodes are queued before a lookup: most objects
 * have only a few. */
#define REF_BATCH 64
#define FLUSH_AT 40
/* Nodes ahead of the one decoded whose header is prefetched, then (a
 * few nodes later, once the header is in the cache) whose out-of-line
 * data is. */
#define LOOKAHEAD 16
#define LOOKAHEAD2 6

/* A queued step of the walk, done in order at the next flush. */
enum pending_what {
	PEND_REF,  /* addr is a referent of the current node: flags */
	PEND_NODE, /* addr is the node whose referents follow */
	PEND_TYPE, /* addr is the type object of type-table entry flags */
};

struct pending_ref {
	uint64_t addr;
	uint32_t flags;
	uint32_t what;
};

struct builder {
	struct phi_heap *h;
	const struct phi_image *img;
	const struct phi310 *t;
	const struct phi_layout *lay;
	struct phi_decoder dec;
	uint32_t cur;      /* the node being decoded */
	uint32_t interp;   /* the interpreter whose roots are being added
			    * (index in rt->interps), PHI_HEAP_NO_INTERP */
	uint32_t interned; /* the interned-strings dict, PHI_NONE if none */
	uint64_t last_type_addr; /* the last type met, and its index */
	uint32_t last_type;
	bool oom;
	struct pending_ref pend[REF_BATCH]; /* steps not done yet */
	unsigned npend;
	/* GC lists: every list head, and the walk's progress. */
	uint64_t heads[4 * PHI_MAX_INTERPS];
	size_t nheads;
	uint32_t gc_cursor;
	uint64_t gc_steps, gc_bound;
};


/* ob_refcnt and ob_type of the object at addr, in one image lookup. */
static bool read_header(const struct builder *b, uint64_t addr,
			int64_t *refcnt, uint64_t *type)
{
	uint64_t r = (uint64_t)L(OB_REFCNT), t = (uint64_t)L(OB_TYPE);
	uint64_t len = (r > t ? r : t) + 8;
	const unsigned char *p;

	/* Validated layouts say 0 and 8; an unvalidated one must not make
	 * len wrap. */
	if (r > PHI_LAYOUT_MAX || t > PHI_LAYOUT_MAX)
		return false;
	p = phi_image_ptr(b->img, addr, len);
	if (!p)
		return false;
	memcpy(refcnt, p + r, 8);
	memcpy(type, p + t, 8);
	return true;
}

/* The node of the object at addr, added if new; PHI_NONE when addr is
 * not a valid object. */
static uint32_t add_object(struct builder *b, uint64_t addr)
{
	struct phi_graph *g = &b->h->g;
	int64_t refcnt;
	uint64_t type, slot = 0;
	uint32_t i, tidx;

	i = phi_graph_find_slot(g, addr, &slot);
	if (i != PHI_NONE)
		return i;
	/* ob_type 0 is no type; it would also match last_type_addr before
	 * the first type is met, and take a type never validated. */
	if ((addr & 7) || !read_header(b, addr, &refcnt, &type) ||
	    refcnt <= 0 || !type)
		return PHI_NONE;
	/* Objects of one type come in runs: skip the type table's hash. */
	if (type == b->last_type_addr) {
		tidx = b->last_type;
	} else {
		tidx = phi_types_get(&b->h->types, type);
		if (tidx == PHI_NONE)
			return PHI_NONE;
		b->last_type_addr = type;
		b->last_type = tidx;
	}
	i = phi_graph_insert(g, addr, slot);
	if (i == PHI_NONE) {
		b->oom = true;
		return PHI_NONE;
	}
	g->type[i] = tidx;
	if (phi_graph_set_refcnt(g, i, refcnt) < 0)
		b->oom = true;
	return i;
}

/* The first slot of addr's probe run whose tag matches (its node is
 * most likely addr's), or 0 when an empty slot comes first (addr is most
 * likely new); a few slots at most, in the cache line just prefetched. */
static uint32_t probe_hint(const struct phi_graph *g, uint64_t addr)
{
	uint64_t hash = phi_addr_hash(addr), h = hash & g->mask;
	uint32_t tag = phi_slot_tag(hash);

	for (int k = 0; k < 4; k++, h = (h + 1) & g->mask) {
		uint32_t v = g->slots[h];

		if (!v || (v & ~PHI_SLOT_INDEX_MASK) == tag)
			return v;
	}
	return 0;
}

/* Prefetch what add_object will read for these addresses: first every
 * hash slot (unless `queued`: on_ref did it as each was met), then what
 * each slot leads to (the node's address to compare, or for an empty
 * slot the new object's header). */
static void prefetch_lookups(const struct builder *b,
			     const struct pending_ref *r, unsigned n,
			     bool queued)
{
	const struct phi_graph *g = &b->h->g;

	if (!queued)
		for (unsigned k = 0; k < n; k++)
			if (r[k].what != PEND_NODE)
				__builtin_prefetch(phi_graph_home(g, r[k].addr));
	for (unsigned k = 0; k < n; k++) {
		uint32_t v;

		if (r[k].what == PEND_NODE)
			continue;
		v = probe_hint(g, r[k].addr);
		if (v)
			__builtin_prefetch(&g->addr[phi_slot_index(v)]);
		else
			phi_image_prefetch(b->img, r[k].addr, 1);
	}
}

/* The type object of type-table entry t is a node too, even when no edge
 * leads to it (static types are not traversed by their instances); the
 * table remembers the node, so this is one lookup per type. */
static void add_type_node(struct builder *b, uint64_t addr, uint32_t t)
{
	uint32_t n;

	if (b->h->types.v[t].node != PHI_NONE)
		return;
	n = add_object(b, addr);
	b->h->types.v[t].node = n;
}

/* The current node's next edge is a conservative one, and so are those
 * after it (the decoders visit them last): the first of the node's is
 * recorded. */
static void note_conservative(struct builder *b)
{
	struct phi_heap *h = b->h;
	uint32_t first = (uint32_t)(h->g.nedges - h->g.edge_start[b->cur]);

	h->stats.conservative_refs++;
	if (h->ncons && h->cons[h->ncons - 1].node == b->cur)
		return;
	if (h->ncons == h->cons_cap) {
		size_t ncap = h->cons_cap ? 2 * h->cons_cap : 256;
		struct phi_conservative *p = phi_big_realloc(h->cons,
							     ncap * sizeof(*p));

		if (!p) {
			b->oom = true;
			return;
		}
		h->cons = p;
		h->cons_cap = ncap;
	}
	h->cons[h->ncons++] = (struct phi_conservative){ b->cur, first };
	h->g.flags[b->cur] |= PHI_NODE_CONSERVATIVE;
}

/* Do the queued steps in order: open each node's edges, look up (add if
 * new) its referents and append their edges, add type objects. */
static void flush_refs(struct builder *b)
{
	prefetch_lookups(b, b->pend, b->npend, true);
	for (unsigned k = 0; k < b->npend; k++) {
		const struct pending_ref *r = &b->pend[k];
		uint32_t flags = r->flags;
		uint32_t n;

		if (r->what == PEND_NODE) {
			b->cur = (uint32_t)r->addr;
			phi_graph_begin_edges(&b->h->g, b->cur);
			continue;
		}
		if (r->what == PEND_TYPE) {
			add_type_node(b, r->addr, r->flags);
			continue;
		}
		n = add_object(b, r->addr);
		if (n == PHI_NONE) {
			if (phi_image_in_hole(b->img, r->addr))
				b->h->stats.missing_refs++;
			else
				b->h->stats.bad_refs++;
			continue;
		}
		if (flags & PHI_REF_CONSERVATIVE) {
			flags &= ~PHI_REF_CONSERVATIVE;
			note_conservative(b);
		}
		/* The interned dict's references are not counted (CPython
		 * subtracts them from the strings' refcounts). */
		if (b->cur == b->interned)
			flags |= PHI_EDGE_UNCOUNTED;
		if (phi_graph_push_edge(&b->h->g, n | flags) < 0)
			b->oom = true;
	}
	b->npend = 0;
}

static void queue(struct builder *b, uint64_t addr, uint32_t flags,
		  enum pending_what what)
{
	b->pend[b->npend++] = (struct pending_ref){ addr, flags, what };
	if (b->npend == REF_BATCH)
		flush_refs(b);
}

static void on_ref(void *ctx, uint64_t addr, uint32_t flags)
{
	struct builder *b = ctx;

	/* The misses start now, long before the flush needs the lines: the
	 * hash slot, and the header of the object in case it is new. */
	__builtin_prefetch(phi_graph_home(&b->h->g, addr));
	phi_image_prefetch(b->img, addr, 1);
	queue(b, addr, flags, PEND_REF);
}

/* Node n (an object) is a root of kind k. */
static void add_root_node(struct builder *b, uint32_t n, enum phi_root_kind k,
			  uint64_t tid, uint32_t index)
{
	struct phi_heap *h = b->h;

	h->g.flags[n] |= PHI_NODE_ROOT;
	if (h->nroots == h->roots_cap) {
		size_t ncap = h->roots_cap ? h->roots_cap * 2 : 256;
		struct phi_root *r = realloc(h->roots, ncap * sizeof(*r));

		if (!r) {
			b->oom = true;
			return;
		}
		h->roots = r;
		h->roots_cap = ncap;
	}
	h->roots[h->nroots++] = (struct phi_root){ .node = n, .kind = k,
						   .thread_id = tid,
						   .index = index,
						   .interp = b->interp };
}

static void add_root(struct builder *b, uint64_t addr, enum phi_root_kind k,
		     uint64_t tid, uint32_t index)
{
	uint32_t n;

	if (!addr)
		return;
	n = add_object(b, addr);
	if (n == PHI_NONE) {
		b->h->stats.bad_refs++;
		return;
	}
	add_root_node(b, n, k, tid, index);
}

/* Elements of the list at start whose next pointer is at next_off, up to
 * cap: to its end (a NULL, or a pointer the image does not hold), or to
 * where it meets itself (*looped).  Brent's algorithm finds the loop's
 * length lambda and where it starts, mu, in O(mu + lambda) reads and no
 * memory; a list whose first cap elements are all distinct is cut at
 * cap without looking further. */
static uint64_t list_length(const struct builder *b, uint64_t start,
			    uint64_t next_off, uint64_t cap, bool *looped)
{
	uint64_t power = 1, lambda = 1, steps = 1, mu = 0;
	uint64_t tortoise = start, hare;

	*looped = false;
	if (!start)
		return 0;
	hare = RD(start + next_off);
	while (hare != tortoise) {
		if (!hare)
			return steps < cap ? steps : cap;
		/* Brent meets a loop within 5 (mu + lambda) steps: past
		 * that, the first cap elements are distinct. */
		if (steps > 6 * cap)
			return cap;
		if (power == lambda) {
			tortoise = hare;
			power *= 2;
			lambda = 0;
		}
		hare = RD(hare + next_off);
		lambda++;
		steps++;
	}
	*looped = true;
	tortoise = hare = start;
	for (uint64_t i = 0; i < lambda; i++)
		hare = RD(hare + next_off);
	while (tortoise != hare && mu < cap) {
		tortoise = RD(tortoise + next_off);
		hare = RD(hare + next_off);
		mu++;
	}
	return mu + lambda < cap ? mu + lambda : cap;
}

static void add_root_array(struct builder *b, uint64_t arr, uint32_t n,
			   enum phi_root_kind k)
{
	for (uint32_t i = 0; i < n; i++)
		add_root(b, RD(arr + 8 * (uint64_t)i), k, 0, i);
}

static void interp_roots(struct builder *b, const struct phi_interp *in)
{
	uint64_t a = in->addr;

	add_root(b, in->modules, PHI_ROOT_MODULES, 0, 0);
	add_root(b, in->sysdict, PHI_ROOT_SYSDICT, 0, 0);
	add_root(b, in->builtins, PHI_ROOT_BUILTINS, 0, 0);
	add_root(b, in->importlib, PHI_ROOT_INTERP, 0, 0);
	add_root(b, RD(a + L(IS_MODULES_BY_INDEX)), PHI_ROOT_INTERP, 0, 1);
	add_root(b, RD(a + L(IS_DICT)), PHI_ROOT_INTERP, 0, 2);
	add_root(b, RD(a + L(IS_BUILTINS_COPY)), PHI_ROOT_INTERP, 0, 3);
	add_root(b, RD(a + L(IS_IMPORT_FUNC)), PHI_ROOT_INTERP, 0, 4);
	add_root_array(b, a + L(IS_SMALL_INTS), PHI_SMALL_INTS,
		       PHI_ROOT_CACHE);
	add_root_array(b, a + L(IS_UNICODE_LATIN1), 256, PHI_ROOT_CACHE);
	add_root_array(b, a + L(IS_BYTES_CHARS), 256, PHI_ROOT_CACHE);
	add_root(b, RD(a + L(IS_UNICODE_EMPTY)), PHI_ROOT_CACHE, 0, 0);
	add_root(b, RD(a + L(IS_BYTES_EMPTY)), PHI_ROOT_CACHE, 0, 0);
	/* tuple.free_list[0] is the empty tuple singleton. */
	add_root(b, RD(a + L(IS_TUPLE_FREE_LIST)), PHI_ROOT_CACHE, 0, 0);
}

static void thread_roots(struct builder *b, uint64_t ts)
{
	uint64_t tid = RD(ts + L(TS_THREAD_ID));
	uint64_t f = RD(ts + L(TS_FRAME));
	uint64_t exc = ts + (uint64_t)L(TS_EXC_STATE);

	/* The f_back chain ends at a frame already a root: one that loops
	 * back, or that another thread's chain holds (a frame is on one
	 * thread's stack).  It ends too at a pointer that is not an
	 * object, whose f_back would be garbage. */
	for (uint32_t depth = 0; f && depth < MAX_ROOT_FRAMES; depth++) {
		uint32_t n = add_object(b, f);

		if (n == PHI_NONE) {
			b->h->stats.bad_refs++;
			break;
		}
		if (b->h->g.flags[n] & PHI_NODE_ROOT) {
			b->dec.bad_fields++;
			break;
		}
		add_root_node(b, n, PHI_ROOT_FRAME, tid, depth);
		f = RD(f + L(FRAME_BACK));
	}
	add_root(b, RD(ts + L(TS_DICT)), PHI_ROOT_THREAD, tid, 0);
	add_root(b, RD(ts + L(TS_CUREXC_TYPE)), PHI_ROOT_THREAD, tid, 1);
	add_root(b, RD(ts + L(TS_CUREXC_VALUE)), PHI_ROOT_THREAD, tid, 2);
	add_root(b, RD(ts + L(TS_CUREXC_TB)), PHI_ROOT_THREAD, tid, 3);
	add_root(b, RD(exc + L(ERRSTACK_TYPE)), PHI_ROOT_THREAD, tid, 4);
	add_root(b, RD(exc + L(ERRSTACK_VALUE)), PHI_ROOT_THREAD, tid, 5);
	add_root(b, RD(exc + L(ERRSTACK_TB)), PHI_ROOT_THREAD, tid, 6);
	add_root(b, RD(ts + L(TS_ASYNC_EXC)), PHI_ROOT_THREAD, tid, 7);
}

static void all_thread_roots(struct builder *b, const struct phi_interp *in)
{
	uint64_t ts = in->tstate_head;
	bool looped;
	uint64_t n = list_length(b, ts, (uint64_t)L(TS_NEXT),
				 PHI_MAX_THREADS, &looped);

	/* A linked list in the target: each thread state once, however it
	 * loops, and only those of this interpreter (a list that runs into
	 * another's is damage). */
	if (looped)
		b->dec.bad_fields++;
	for (uint64_t k = 0; k < n && ts; k++) {
		if (RD(ts + L(TS_INTERP)) != in->addr) {
			b->dec.bad_fields++;
			break;
		}
		thread_roots(b, ts);
		ts = RD(ts + L(TS_NEXT));
	}
}

static void global_roots(struct builder *b)
{
	static const enum phi_sym_id singletons[] = {
		PHI_S_NONE, PHI_S_TRUE, PHI_S_FALSE, PHI_S_ELLIPSIS,
		PHI_S_NOTIMPLEMENTED,
	};
	const uint64_t *sym = b->t->sym;

	/* Shared by every interpreter of the process. */
	b->interp = PHI_HEAP_NO_INTERP;
	for (size_t i = 0; i < sizeof(singletons) / sizeof(singletons[0]); i++)
		add_root(b, sym[singletons[i]], PHI_ROOT_SINGLETON, 0,
			 (uint32_t)i);
	if (sym[PHI_S_INTERNED]) {
		uint64_t dict = RD(sym[PHI_S_INTERNED]);

		add_root(b, dict, PHI_ROOT_INTERNED, 0, 0);
		b->interned = dict ? phi_graph_find(&b->h->g, dict) : PHI_NONE;
	}
}

/* The GC lists.  Walking a list from its head is a chain of dependent
 * reads, one cache miss per object.  Most listed objects are reachable
 * from the roots, so they are walked instead from what the walk from the
 * roots found: the successor of every tracked node, and of every list
 * head, is looked up (independent reads, prefetched in batches), and only
 * a successor not in the graph starts a chain, which ends at the first
 * object that is.  That finds every listed object: each one follows a
 * head or another listed object. */
static void gc_heads(struct builder *b, const struct phi_runtime *rt)
{
	b->nheads = 0;
	for (size_t k = 0; k < rt->ninterps; k++) {
		uint64_t a = rt->interps[k].addr;

		for (int gen = 0; gen < 3; gen++)
			b->heads[b->nheads++] =
				a + (uint64_t)L(IS_GC_GENERATIONS) +
				(uint64_t)gen * (uint64_t)L(GCGEN_SIZE);
		b->heads[b->nheads++] = a + (uint64_t)L(IS_GC_PERMANENT);
	}
	/* A list can not hold more objects than the image has room for. */
	b->gc_bound = b->img->bytes / 16;
}

static bool is_head(const struct builder *b, uint64_t p)
{
	for (size_t k = 0; k < b->nheads; k++)
		if (b->heads[k] == p)
			return true;
	return false;
}

/* From gc head p, add listed objects until one already in the graph or
 * a list head; at most gc_bound steps over all chains. */
static void gc_chain(struct builder *b, uint64_t p)
{
	unsigned bad = 0;

	/* A loop among listed objects ends where it meets one already in
	 * the graph; a loop among things that are not objects, after a
	 * run of them. */
	for (; p && !is_head(b, p) && b->gc_steps < b->gc_bound &&
	       bad < GC_BAD_RUN;
	     b->gc_steps++) {
		uint64_t obj = p + (uint64_t)L(GCHEAD_SIZE);

		if (phi_graph_find(&b->h->g, obj) != PHI_NONE)
			return;
		if (add_object(b, obj) == PHI_NONE) {
			b->h->stats.bad_refs++;
			bad++;
		} else {
			bad = 0;
		}
		p = RD(p + L(GCHEAD_NEXT));
	}
}

static void gc_from_heads(struct builder *b)
{
	for (size_t k = 0; k < b->nheads; k++)
		gc_chain(b, RD(b->heads[k] + L(GCHEAD_NEXT)));
}

/* The successors of tracked nodes gc_cursor .. end - 1: up to a batch of
 * them looked up together; the cursor moves past the nodes done. */
static void gc_successors(struct builder *b, uint32_t end)
{
	const struct phi_graph *g = &b->h->g;
	struct pending_ref batch[REF_BATCH];
	unsigned nb = 0;
	uint64_t next_off = (uint64_t)L(GCHEAD_NEXT) -
			    (uint64_t)L(GCHEAD_SIZE);

	for (; b->gc_cursor < end && nb < REF_BATCH; b->gc_cursor++) {
		uint32_t j = b->gc_cursor;
		uint64_t p;

		if (j + LOOKAHEAD < end)
			phi_image_prefetch(b->img,
					   g->addr[j + LOOKAHEAD] + next_off, 1);
		if (!(g->flags[j] & PHI_NODE_TRACKED))
			continue;
		p = RD(g->addr[j] + next_off);
		if (p && !is_head(b, p))
			batch[nb++] = (struct pending_ref){
				p + (uint64_t)L(GCHEAD_SIZE), 0, PEND_REF
			};
	}
	prefetch_lookups(b, batch, nb, false);
	for (unsigned k = 0; k < nb; k++)
		if (phi_graph_find(g, batch[k].addr) == PHI_NONE)
			gc_chain(b, batch[k].addr - (uint64_t)L(GCHEAD_SIZE));
}

/* The C types' figures (issue 13). */
static void count_ctype(struct phi_heap *h, const struct phi_type *ty,
			const struct phi_decoded *out)
{
	struct phi_heap_stats *s = &h->stats;

	if (ty->kind == PHI_K_OPAQUE) {
		s->builtin_objects += ty->decoder == PHI_DECODER_BUILTIN;
		s->dwarf_objects += ty->decoder == PHI_DECODER_DWARF;
		s->scanned_objects += ty->decoder == PHI_DECODER_SCAN;
	}
	if (out->inexact) {
		s->inexact_objects++;
		s->inexact_size = phi_size_add(s->inexact_size, out->size);
	}
	s->module_state_refs += out->state_refs;
	s->module_states += out->state_refs != 0;
}

static void decode_node(struct builder *b, uint32_t i)
{
	struct phi_heap *h = b->h;
	struct phi_graph *g = &h->g;
	/* A copy: decoding meets new types, and the table may move. */
	struct phi_type tcopy = h->types.v[g->type[i]];
	struct phi_type *ty;
	struct phi_decoded out;

	queue(b, i, 0, PEND_NODE);
	phi_decode(&b->dec, g->addr[i], &tcopy, on_ref, b, &out);
	ty = &h->types.v[g->type[i]];
	if (phi_graph_set_size(g, i, out.size) < 0)
		b->oom = true;
	g->flags[i] |= (out.gc ? PHI_NODE_GC : 0) |
		       (out.tracked ? PHI_NODE_TRACKED : 0) |
		       (out.opaque ? PHI_NODE_OPAQUE : 0) |
		       (out.inexact ? PHI_NODE_INEXACT : 0) |
		       (out.dwarf ? PHI_NODE_DWARF : 0);
	ty->count++;
	ty->size = phi_size_add(ty->size, out.size);
	h->stats.objects++;
	h->stats.total_size = phi_size_add(h->stats.total_size, out.size);
	h->stats.gc_tracked += out.tracked;
	if (out.opaque) {
		h->stats.opaque++;
		h->stats.opaque_size = phi_size_add(h->stats.opaque_size,
						    out.size);
	}
	count_ctype(h, &tcopy, &out);
	if (ty->node == PHI_NONE)
		queue(b, tcopy.addr, g->type[i], PEND_TYPE);
}

static void prefetch_ahead(const struct builder *b, uint32_t i)
{
	const struct phi_graph *g = &b->h->g;

	if (i + LOOKAHEAD < g->n)
		phi_image_prefetch(b->img, g->addr[i + LOOKAHEAD], 1);
	if (i + LOOKAHEAD2 < g->n)
		phi_decode_prefetch(&b->dec, g->addr[i + LOOKAHEAD2],
				    &b->h->types.v[g->type[i + LOOKAHEAD2]]);
}

static int too_many(struct phi_heap *h, const struct phi_heap_opts *o,
		    struct phi_error *err)
{
	phi_graph_finish(&h->g);
	return phi_error_set(err, PHI_E_NO_MEMORY,
			     "the heap has more than %llu objects, the most "
			     "--max-memory allows: raise it",
			     (unsigned long long)o->max_objects);
}

/* Decode every node in index order (a breadth-first walk from the
 * roots); once all are decoded, bring in the GC-listed objects not found
 * yet, and decode what they add, until nothing new comes. */
static int walk(struct builder *b, const struct phi_heap_opts *o,
		struct phi_error *err)
{
	struct phi_heap *h = b->h;
	uint32_t i = 0;
	bool heads_done = false;

	while (!b->oom) {
		for (; i < h->g.n && !b->oom; i++) {
			prefetch_ahead(b, i);
			decode_node(b, i);
			if (b->npend >= FLUSH_AT)
				flush_refs(b);
			if (o->progress && (i % PROGRESS_EVERY) == 0 && i)
				o->progress(i, h->g.n);
			if (o->max_objects && h->g.n > o->max_objects)
				return too_many(h, o, err);
		}
		/* The queue may hold referents not yet nodes. */
		flush_refs(b);
		if (i < h->g.n)
			continue;
		if (!heads_done) {
			gc_from_heads(b);
			heads_done = true;
		} else if (b->gc_cursor < i) {
			gc_successors(b, i);
		} else {
			break;
		}
	}
	return 0;
}

int phi310_heap_build(struct phi_heap *h, const struct phi_heap_opts *o,
		      struct phi_error *err)
{
	const struct phi_image *img = h->img;
	const struct phi_runtime *rt = h->rt;
	const struct phi310 *t = phi310(h->py);
	struct builder b = { .h = h, .img = img, .t = t, .lay = &t->layout,
			     .interned = PHI_NONE };
	double t0 = phi_now_ms();
	uint32_t order[PHI_MAX_INTERPS];
	int rc;

	rc = phi_graph_init(&h->g, (size_t)phi310_estimate_objects(img,
								   b.lay),
			    err);
	if (rc == 0)
		rc = phi_types_init(&h->types, img, h->py, err);
	if (rc < 0)
		return rc;
	h->types.src = o->src;
	b.dec = (struct phi_decoder){ .img = img, .lay = b.lay,
				      .types = &h->types };
	if (t->sym[PHI_S_SET_DUMMY])
		b.dec.set_dummy = phi_image_word(img, t->sym[PHI_S_SET_DUMMY]);
	/* The main interpreter's roots first: where several interpreters
	 * reach an object (a static type, a shared singleton), its path
	 * starts at the main one's (docs/schema.md). */
	phi_runtime_order(rt, order);
	for (size_t k = 0; k < rt->ninterps; k++) {
		b.interp = order[k];
		interp_roots(&b, &rt->interps[order[k]]);
		all_thread_roots(&b, &rt->interps[order[k]]);
	}
	global_roots(&b);
	gc_heads(&b, rt);
	rc = walk(&b, o, err);
	if (rc < 0)
		return rc;
	/* Every object is decoded: the DWARF files the generic decoder of C
	 * types opened are closed before the analyses (their mapped pages
	 * count in the RSS: 8.7 MiB of libpython's at 300 idle threads);
	 * what it found stays, and a lookup after this opens them again. */
	if (h->types.ctypes)
		phi_cdwarf_release(h->types.ctypes);
	phi_graph_finish(&h->g);
	h->stats.bad_fields = b.dec.bad_fields;
	h->build_ms = phi_now_ms() - t0;
	if (b.oom)
		return phi_error_set(err, PHI_E_NO_MEMORY,
				     "out of memory building the graph of %zu "
				     "objects", h->g.n);
	return 0;
}

void phi310_heap_release(struct phi_heap *h)
{
	phi_types_release(&h->types);
	phi_big_free(h->cons);
	h->cons = NULL;
	h->ncons = h->cons_cap = 0;
}
