/* Leak suspects at their accumulation point (suspects.h).
 *
 * One pass gives every node its dominator-tree child retaining the most
 * (best[]).  The walks then start from the objects above the share,
 * largest first; a walk that meets a node an earlier walk went through
 * stops there, since from that node on it would retrace the earlier one
 * (the descent is a function of the node), so the walks cost O(n) in
 * all, even down a chain of millions of objects.  Where walks end above
 * 10% of the heap there are few of them: on any path from the root the
 * retained size falls below 10% after at most seven falls under 70%.
 * A walk down a linked structure (each node holding the next) would end
 * at its tail; a type that comes back along a walk PHI_SUSPECT_CHAIN
 * times marks one, and the walk names its head instead.
 *
 * The groups need, per class, the instances that no other instance of
 * the class dominates: a depth-first walk over the dominator tree
 * (children in CSR form, an explicit stack) with, per type, the number
 * of its instances on the current branch.
 *
 * Memory: 4 bytes per node for best[] and two bitmaps, then, for the
 * groups, 8 bytes per node for the tree and up to 8 per level of depth
 * for the stack; all freed before returning. */
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/analysis/suspects.h"
#include "pyheapinspect/analysis/topn.h"
#include "pyheapinspect/base/bigmem.h"

#define BIT_SET(b, i) ((b)[(i) >> 3] |= (uint8_t)(1u << ((i) & 7)))
#define BIT_GET(b, i) (((b)[(i) >> 3] >> ((i) & 7)) & 1u)

static int no_memory(struct phi_error *err)
{
	return phi_error_set(err, PHI_E_NO_MEMORY,
			     "out of memory finding the leak suspects");
}

static bool real_node(uint32_t v)
{
	return v != PHI_NONE && v != PHI_DOM_ROOT;
}

/* What an interpreter's or a thread's state holds directly. */
static bool anchor_root(enum phi_root_kind k)
{
	switch (k) {
	case PHI_ROOT_MODULES:
	case PHI_ROOT_SYSDICT:
	case PHI_ROOT_BUILTINS:
	case PHI_ROOT_INTERP:
	case PHI_ROOT_FRAME:
	case PHI_ROOT_THREAD:
		return true;
	default:
		return false;
	}
}

/* Never suspects: those roots, modules and their __dict__ (the CPython
 * layer names the step). */
static void mark_anchors(const struct phi_heap *h, uint8_t *anchor)
{
	const struct phi_graph *g = &h->g;
	char step[64];

	for (size_t k = 0; k < h->nroots; k++)
		if (anchor_root(h->roots[k].kind) && h->roots[k].node < g->n)
			BIT_SET(anchor, h->roots[k].node);
	for (uint32_t i = 0; i < g->n; i++) {
		if (phi_heap_type(h, i)->kind != PHI_K_MODULE)
			continue;
		BIT_SET(anchor, i);
		for (uint32_t e = g->edge_start[i]; e < g->edge_start[i + 1];
		     e++) {
			uint32_t v = g->edges[e];

			if ((v & PHI_EDGE_FLAGS) || v >= g->n ||
			    phi_heap_type(h, v)->kind != PHI_K_DICT)
				continue;
			step[0] = '\0';
			phi_heap_label_step(h, i, v, step, sizeof(step));
			if (strcmp(step, ".__dict__") == 0)
				BIT_SET(anchor, v);
		}
	}
}

/* best[p]: p's dominator-tree child retaining the most (lowest index
 * among equals), PHI_NONE for a leaf. */
static void largest_children(const struct phi_dominators *d, size_t n,
			     uint32_t *best)
{
	memset(best, 0xff, n * sizeof(*best));
	for (uint32_t v = 0; v < n; v++) {
		uint32_t p = d->idom[v];

		if (real_node(p) && (best[p] == PHI_NONE ||
				     d->retained[v] > d->retained[best[p]]))
			best[p] = v;
	}
}

/* The walk starts: objects above the share, largest first (*out is
 * malloc'd); -1 when out of memory. */
static int walk_starts(const struct phi_dominators *d, size_t n,
		       double limit, uint32_t **out, size_t *count)
{
	struct phi_topn tn;
	size_t k = 0;

	for (uint32_t v = 0; v < n; v++)
		if (d->idom[v] != PHI_NONE && (double)d->retained[v] > limit)
			k++;
	if (phi_topn_init(&tn, NULL, d->retained, k) < 0)
		return -1;
	for (uint32_t v = 0; v < n; v++)
		if (d->idom[v] != PHI_NONE && (double)d->retained[v] > limit)
			phi_topn_offer(&tn, v);
	*out = phi_topn_finish(&tn, count);
	return 0;
}

static int add_suspect(struct phi_suspects *s, size_t *cap, uint32_t node,
		       uint32_t from, const struct phi_dominators *d)
{
	struct phi_suspect *x;

	if (s->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct phi_suspect *nv = realloc(s->v, ncap * sizeof(*nv));

		if (!nv)
			return -1;
		s->v = nv;
		*cap = ncap;
	}
	x = &s->v[s->n++];
	memset(x, 0, sizeof(*x));
	x->node = node;
	x->from = from;
	x->parent = d->idom[node];
	x->retained = d->retained[node];
	return 0;
}

/* Types met along one walk: how often, and their first node that is no
 * anchor (reset after each walk, through the list of those touched). */
struct met {
	uint32_t *count, *first, *touched;
	uint64_t *at;          /* the first's step in the walk */
	size_t ntouched;
	bool chain;            /* a type came back PHI_SUSPECT_CHAIN times */
};

static void meet(struct met *m, const struct phi_heap *h, uint32_t x,
		 uint64_t step, bool is_anchor)
{
	uint32_t t = h->g.type[x];

	if (m->count[t] == 0) {
		m->touched[m->ntouched++] = t;
		m->at[t] = UINT64_MAX;
	}
	if (m->at[t] == UINT64_MAX && !is_anchor) {
		m->first[t] = x;
		m->at[t] = step;
	}
	if (++m->count[t] >= PHI_SUSPECT_CHAIN)
		m->chain = true;
}

/* The head of the chain: the earliest first node of the types that
 * came back (nearly) PHI_SUSPECT_CHAIN times; and the reset. */
static uint32_t chain_head(struct met *m)
{
	uint32_t head = PHI_NONE;
	uint64_t best = UINT64_MAX;

	for (size_t i = 0; i < m->ntouched; i++) {
		uint32_t t = m->touched[i];

		if (m->chain && m->count[t] >= PHI_SUSPECT_CHAIN - 1 &&
		    m->at[t] < best) {
			best = m->at[t];
			head = m->first[t];
		}
		m->count[t] = 0;
	}
	m->ntouched = 0;
	m->chain = false;
	return head;
}

/* One walk from c; the end when it is new and no anchor, else
 * PHI_NONE.  Down a chain the walk goes on to its end (so that no later
 * walk starts inside it) but names the chain's head. */
static uint32_t walk(uint32_t c, const struct phi_heap *h,
		     const struct phi_dominators *d, const uint32_t *best,
		     uint8_t *seen, const uint8_t *anchor, struct met *m)
{
	uint32_t x = c, head;
	uint64_t step = 0;
	bool merged = false;

	BIT_SET(seen, x);
	meet(m, h, x, step, BIT_GET(anchor, x));
	for (;;) {
		uint32_t b = best[x];

		if (b == PHI_NONE || (double)d->retained[b] <
					     PHI_SUSPECT_DESCEND *
						     (double)d->retained[x])
			break;
		if (BIT_GET(seen, b)) {
			merged = true; /* an earlier walk's end */
			break;
		}
		x = b;
		BIT_SET(seen, x);
		meet(m, h, x, ++step, BIT_GET(anchor, x));
	}
	head = chain_head(m);
	if (head != PHI_NONE)
		return head;
	return merged || BIT_GET(anchor, x) ? PHI_NONE : x;
}

static int by_retained(const void *a, const void *b)
{
	const struct phi_suspect *x = a, *y = b;

	if (x->retained != y->retained)
		return x->retained < y->retained ? 1 : -1;
	return x->node < y->node ? -1 : x->node > y->node;
}

static int kids_by_retained(const void *a, const void *b)
{
	const struct phi_suspect_kids *x = a, *y = b;

	if (x->retained != y->retained)
		return x->retained < y->retained ? 1 : -1;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return x->type < y->type ? -1 : x->type > y->type;
}

static int find_accumulation_points(struct phi_suspects *s,
				    const struct phi_heap *h,
				    const struct phi_dominators *d,
				    size_t max)
{
	size_t n = h->g.n, nstarts = 0, cap = 0, bytes = n / 8 + 1;
	uint32_t *best = phi_big_calloc(n ? n : 1, sizeof(*best));
	uint8_t *seen = calloc(bytes, 1), *anchor = calloc(bytes, 1);
	uint32_t *starts = NULL;
	size_t nt = h->types.n ? h->types.n : 1;
	struct met m = { calloc(nt, sizeof(uint32_t)),
			 calloc(nt, sizeof(uint32_t)),
			 calloc(nt, sizeof(uint32_t)),
			 calloc(nt, sizeof(uint64_t)), 0, false };
	int rc = -1;

	s->anchors = anchor;
	if (!best || !seen || !anchor || !m.count || !m.first ||
	    !m.touched || !m.at)
		goto out;
	mark_anchors(h, anchor);
	largest_children(d, n, best);
	if (walk_starts(d, n, s->share * (double)d->reachable_size,
			&starts, &nstarts) < 0)
		goto out;
	s->candidates = nstarts;
	for (size_t i = 0; i < nstarts; i++) {
		uint32_t end;

		if (BIT_GET(seen, starts[i]))
			continue;
		end = walk(starts[i], h, d, best, seen, anchor, &m);
		if (end != PHI_NONE && add_suspect(s, &cap, end, starts[i], d))
			goto out;
	}
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), by_retained);
	if (s->n > max)
		s->n = max;
	rc = 0;
out:
	phi_big_free(best);
	free(seen);
	free(starts);
	free(m.count);
	free(m.first);
	free(m.touched);
	free(m.at);
	return rc;
}

/* ---- what a suspect's children are */

static void tally(struct phi_suspect *x, uint32_t type, uint64_t retained)
{
	x->kids++;
	x->kids_retained += retained;
	if (retained > x->largest_kid)
		x->largest_kid = retained;
	for (size_t i = 0; i < x->nkid_types; i++)
		if (x->kid_types[i].type == type) {
			x->kid_types[i].count++;
			x->kid_types[i].retained += retained;
			return;
		}
	if (x->nkid_types < PHI_SUSPECT_KID_TYPES) {
		x->kid_types[x->nkid_types++] =
			(struct phi_suspect_kids){ type, 1, retained };
		return;
	}
	x->other_kids++;
	x->other_retained += retained;
}

/* One pass over the nodes, the suspects found by a small hash. */
static int describe_children(struct phi_suspects *s,
			     const struct phi_heap *h,
			     const struct phi_dominators *d)
{
	size_t slots = 16;
	uint32_t *hash;

	while (slots < 2 * s->n)
		slots *= 2;
	hash = malloc(slots * sizeof(*hash));
	if (!hash)
		return -1;
	memset(hash, 0xff, slots * sizeof(*hash));
	for (uint32_t i = 0; i < s->n; i++) {
		size_t k = s->v[i].node & (slots - 1);

		while (hash[k] != PHI_NONE)
			k = (k + 1) & (slots - 1);
		hash[k] = i;
	}
	for (uint32_t v = 0; v < h->g.n; v++) {
		uint32_t p = d->idom[v];
		size_t k;

		if (!real_node(p))
			continue;
		for (k = p & (slots - 1); hash[k] != PHI_NONE;
		     k = (k + 1) & (slots - 1))
			if (s->v[hash[k]].node == p) {
				tally(&s->v[hash[k]], h->g.type[v],
				      d->retained[v]);
				break;
			}
	}
	free(hash);
	for (size_t i = 0; i < s->n; i++) {
		struct phi_suspect *x = &s->v[i];

		qsort(x->kid_types, x->nkid_types, sizeof(*x->kid_types),
		      kids_by_retained);
		x->has_fill = phi_heap_fill(h, x->node, &x->fill);
	}
	return 0;
}

/* ---- groups */

/* Classes: heap types other than metaclasses and module types. */
static bool groupable(const struct phi_type *t)
{
	return t->heap && t->kind != PHI_K_TYPE && t->kind != PHI_K_MODULE;
}

struct tree {
	uint32_t *start;  /* n + 2 entries: children of v (n: the root) */
	uint32_t *kids;
};

static int build_tree(struct tree *t, const struct phi_dominators *d,
		      size_t n)
{
	uint32_t total = 0;

	t->start = phi_big_calloc(n + 2, sizeof(*t->start));
	t->kids = phi_big_calloc(d->reachable ? d->reachable : 1,
				 sizeof(*t->kids));
	if (!t->start || !t->kids)
		return -1;
	for (uint32_t v = 0; v < n; v++) {
		uint32_t p = d->idom[v];

		if (p != PHI_NONE)
			t->start[(p == PHI_DOM_ROOT ? n : p) + 1]++;
	}
	for (size_t i = 0; i <= n + 1; i++) {
		total += t->start[i];
		t->start[i] = total;
	}
	/* start[p + 1] is p's end so far: fill backwards to p's start. */
	for (uint32_t v = (uint32_t)n; v-- > 0;) {
		uint32_t p = d->idom[v];

		if (p != PHI_NONE)
			t->kids[--t->start[(p == PHI_DOM_ROOT ? n : p) + 1]] = v;
	}
	/* Now start[p + 1] is p's start: shift down one. */
	memmove(t->start, t->start + 1, (n + 1) * sizeof(*t->start));
	t->start[n + 1] = total;
	return 0;
}

struct frame {
	uint32_t node, pos;
};

static void enter(struct phi_suspect_group *g, uint32_t *active,
		  const struct phi_heap *h, const struct phi_dominators *d,
		  uint32_t v)
{
	uint32_t ty = h->g.type[v];

	if (!groupable(&h->types.v[ty]))
		return;
	if (active[ty]++ == 0) {
		g[ty].type = ty;
		g[ty].instances++;
		g[ty].retained += d->retained[v];
		if (g[ty].instances == 1 ||
		    d->retained[v] > d->retained[g[ty].largest])
			g[ty].largest = v;
	}
}

static void leave(uint32_t *active, const struct phi_heap *h, uint32_t v)
{
	uint32_t ty = h->g.type[v];

	if (groupable(&h->types.v[ty]))
		active[ty]--;
}

static void walk_tree(const struct tree *t, struct frame *stack,
		      struct phi_suspect_group *g, uint32_t *active,
		      const struct phi_heap *h,
		      const struct phi_dominators *d)
{
	size_t n = h->g.n, top = 0;

	stack[top++] = (struct frame){ (uint32_t)n, t->start[n] };
	while (top) {
		struct frame *f = &stack[top - 1];
		uint32_t end = t->start[f->node + 1], v;

		if (f->pos == end) {
			if (f->node != n)
				leave(active, h, f->node);
			top--;
			continue;
		}
		v = t->kids[f->pos++];
		enter(g, active, h, d, v);
		stack[top++] = (struct frame){ v, t->start[v] };
	}
}

static int by_group(const void *a, const void *b)
{
	const struct phi_suspect_group *x = a, *y = b;

	if (x->retained != y->retained)
		return x->retained < y->retained ? 1 : -1;
	return x->type < y->type ? -1 : x->type > y->type;
}

static int find_groups(struct phi_suspects *s, const struct phi_heap *h,
		       const struct phi_dominators *d, size_t max)
{
	size_t n = h->g.n, nt = h->types.n ? h->types.n : 1, k = 0;
	struct tree t = { NULL, NULL };
	struct frame *stack = phi_big_calloc(d->reachable + 1,
					     sizeof(*stack));
	struct phi_suspect_group *g = calloc(nt, sizeof(*g));
	uint32_t *active = calloc(nt, sizeof(*active));
	double limit = s->share * (double)d->reachable_size;
	int rc = -1;

	if (!stack || !g || !active || build_tree(&t, d, n) < 0)
		goto out;
	walk_tree(&t, stack, g, active, h, d);
	for (size_t i = 0; i < h->types.n; i++)
		if (g[i].instances && (double)g[i].retained > limit)
			g[k++] = g[i];
	qsort(g, k, sizeof(*g), by_group);
	s->ngroups = k < max ? k : max;
	s->groups = g;
	g = NULL;
	rc = 0;
out:
	phi_big_free(t.start);
	phi_big_free(t.kids);
	phi_big_free(stack);
	free(g);
	free(active);
	return rc;
}

int phi_suspects_find(struct phi_suspects *s, const struct phi_heap *h,
		      const struct phi_dominators *d, double share,
		      size_t max, struct phi_error *err)
{
	memset(s, 0, sizeof(*s));
	s->share = share;
	if (!h->g.n)
		return 0;
	if (find_accumulation_points(s, h, d, max) < 0 ||
	    describe_children(s, h, d) < 0 || find_groups(s, h, d, max) < 0) {
		phi_suspects_release(s);
		return no_memory(err);
	}
	return 0;
}

void phi_suspects_release(struct phi_suspects *s)
{
	free(s->v);
	free(s->groups);
	free(s->anchors);
	memset(s, 0, sizeof(*s));
}

bool phi_suspects_has(const struct phi_suspects *s, uint32_t node)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].node == node)
			return true;
	return false;
}
