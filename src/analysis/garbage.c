/* Garbage and its cycles.  The retained-size analysis built a dominator
 * tree from a virtual root whose children are the interpreter's roots
 * and every object held from outside the heap (a refcount above the
 * references found): what that tree does not reach is held only by
 * other unreachable objects, which is what the cyclic GC would free.
 * Its strongly connected components (Tarjan's, iterative) are the
 * cycles; every other garbage object hangs from one and is counted with
 * the first cycle that reaches it.  Cycles of one shape (the same type
 * at the start, the same path around) are counted together. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/analysis/garbage.h"
#include "pyheapinspect/analysis/paths.h"
#include "pyheapinspect/base/bigmem.h"

#define UNSEEN (PHI_NONE - 1)
/* Steps of a cycle spelled out; the rest are counted. */
#define MAX_STEPS 100

/* The garbage is usually a small part of the heap: the work below is
 * sized by it, not by the graph.  slot maps a node to its dense index
 * (PHI_NONE: not garbage), node maps back, in node order, so that every
 * walk visits what it visited over the whole graph, in the same order. */
struct scc_work {
	const struct phi_graph *g;
	uint32_t *slot;     /* per node: PHI_NONE not garbage, else d */
	uint32_t *node;     /* per d: the node */
	uint32_t *comp;     /* per d: UNSEEN, else the component */
	size_t m;           /* garbage nodes */
	uint32_t *index, *low, *stack, *cs_node;
	uint64_t *cs_edge;
	uint8_t *on_stack;
	uint32_t ncomp;
};

static bool strong(uint32_t e)
{
	return !(e & PHI_EDGE_FLAGS);
}

/* Tarjan from d, with an explicit call stack (dense indices). */
static void tarjan(struct scc_work *w, uint32_t v, uint32_t *counter,
		   size_t *sp)
{
	const struct phi_graph *g = w->g;
	size_t cs = 0;

	w->cs_node[cs] = v;
	w->cs_edge[cs++] = g->edge_start[w->node[v]];
	w->index[v] = w->low[v] = (*counter)++;
	w->stack[(*sp)++] = v;
	w->on_stack[v] = 1;
	while (cs) {
		uint32_t u = w->cs_node[cs - 1];
		uint64_t e = w->cs_edge[cs - 1];

		if (e < g->edge_start[w->node[u] + 1]) {
			uint32_t x = g->edges[e];

			w->cs_edge[cs - 1] = e + 1;
			if (!strong(x) || w->slot[x] == PHI_NONE)
				continue;
			x = w->slot[x];
			if (w->index[x] == PHI_NONE) {
				w->index[x] = w->low[x] = (*counter)++;
				w->stack[(*sp)++] = x;
				w->on_stack[x] = 1;
				w->cs_node[cs] = x;
				w->cs_edge[cs++] = g->edge_start[w->node[x]];
			} else if (w->on_stack[x] && w->index[x] < w->low[u]) {
				w->low[u] = w->index[x];
			}
			continue;
		}
		cs--;
		if (cs && w->low[u] < w->low[w->cs_node[cs - 1]])
			w->low[w->cs_node[cs - 1]] = w->low[u];
		if (w->low[u] == w->index[u]) {
			uint32_t x;

			do {
				x = w->stack[--(*sp)];
				w->on_stack[x] = 0;
				w->comp[x] = w->ncomp;
			} while (x != u);
			w->ncomp++;
		}
	}
}

static void free_work(struct scc_work *w)
{
	phi_big_free(w->index);
	phi_big_free(w->low);
	phi_big_free(w->stack);
	phi_big_free(w->cs_node);
	phi_big_free(w->cs_edge);
	phi_big_free(w->on_stack);
}

/* The dense indices of the garbage nodes (slot[i] != PHI_NONE). */
static int dense(struct scc_work *w, size_t m, struct phi_error *err)
{
	size_t d = 0;

	w->m = m;
	w->node = phi_big_calloc(m ? m : 1, sizeof(*w->node));
	w->comp = phi_big_calloc(m ? m : 1, sizeof(*w->comp));
	if (!w->node || !w->comp)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	for (uint32_t i = 0; i < w->g->n && d < m; i++)
		if (w->slot[i] != PHI_NONE) {
			w->node[d] = i;
			w->comp[d] = UNSEEN;
			w->slot[i] = (uint32_t)d++;
		}
	w->m = d;
	return 0;
}

static int components(struct scc_work *w, struct phi_error *err)
{
	size_t n = w->m ? w->m : 1, sp = 0;
	uint32_t counter = 0;

	w->index = phi_big_calloc(n, sizeof(*w->index));
	w->low = phi_big_calloc(n, sizeof(*w->low));
	w->stack = phi_big_calloc(n, sizeof(*w->stack));
	w->cs_node = phi_big_calloc(n, sizeof(*w->cs_node));
	w->cs_edge = phi_big_calloc(n, sizeof(*w->cs_edge));
	w->on_stack = phi_big_calloc(n, 1);
	if (!w->index || !w->low || !w->stack || !w->cs_node ||
	    !w->cs_edge || !w->on_stack) {
		free_work(w);
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	}
	memset(w->index, 0xff, n * sizeof(*w->index));
	for (uint32_t v = 0; v < w->m; v++)
		if (w->comp[v] == UNSEEN && w->index[v] == PHI_NONE)
			tarjan(w, v, &counter, &sp);
	free_work(w);
	return 0;
}

/* ---- shapes --------------------------------------------------------- */

struct shapes {
	struct phi_garbage_cycle *v;
	size_t n, cap;
	uint32_t *slots;   /* hash of path: index + 1 */
	size_t mask;
};

static uint64_t hash_text(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static int grow_slots(struct shapes *s)
{
	size_t ncap = s->mask ? 2 * (s->mask + 1) : 256;
	uint32_t *slots = calloc(ncap, sizeof(*slots));

	if (!slots)
		return -1;
	for (size_t i = 0; i < s->n; i++) {
		size_t h = hash_text(s->v[i].path) & (ncap - 1);

		while (slots[h])
			h = (h + 1) & (ncap - 1);
		slots[h] = (uint32_t)i + 1;
	}
	free(s->slots);
	s->slots = slots;
	s->mask = ncap - 1;
	return 0;
}

/* The shape with this path, added if new; NULL when out of memory. */
static struct phi_garbage_cycle *shape(struct shapes *s, const char *type,
				       const char *path, uint64_t length)
{
	size_t h;

	if ((s->n + 1) * 2 > s->mask + 1 && grow_slots(s) < 0)
		return NULL;
	for (h = hash_text(path) & s->mask; s->slots[h];
	     h = (h + 1) & s->mask)
		if (strcmp(s->v[s->slots[h] - 1].path, path) == 0)
			return &s->v[s->slots[h] - 1];
	if (s->n == s->cap) {
		size_t nc = s->cap ? 2 * s->cap : 16;
		struct phi_garbage_cycle *v = realloc(s->v, nc * sizeof(*v));

		if (!v)
			return NULL;
		s->v = v;
		s->cap = nc;
	}
	memset(&s->v[s->n], 0, sizeof(s->v[s->n]));
	s->v[s->n].type = type;
	s->v[s->n].length = length;
	snprintf(s->v[s->n].path, sizeof(s->v[s->n].path), "%s", path);
	s->slots[h] = (uint32_t)s->n + 1;
	return &s->v[s->n++];
}

struct cycle_work {
	const struct phi_heap *h;
	const struct scc_work *s;
	uint32_t *parent;   /* BFS inside one component, per d: a node */
	uint32_t *queue;    /* nodes */
	uint32_t *seen_list;
};

/* The component of node x, PHI_NONE when it is not garbage. */
static uint32_t comp_of(const struct scc_work *s, uint32_t x)
{
	return s->slot[x] == PHI_NONE ? PHI_NONE : s->comp[s->slot[x]];
}

/* The shortest way from start back to start inside its component:
 * chain[0] = start, ..., chain[n-1] (which refers to start).  Returns n,
 * 0 when there is none. */
static size_t shortest_cycle(struct cycle_work *w, uint32_t start,
			     uint32_t *chain, size_t max)
{
	const struct phi_graph *g = &w->h->g;
	const uint32_t *slot = w->s->slot;
	uint32_t c = comp_of(w->s, start), last = PHI_NONE;
	size_t head = 0, tail = 0, n = 0, nseen = 0;

	w->queue[tail++] = start;
	w->parent[slot[start]] = start;
	w->seen_list[nseen++] = start;
	while (head < tail && last == PHI_NONE) {
		uint32_t u = w->queue[head++];

		for (uint64_t e = g->edge_start[u]; e < g->edge_start[u + 1];
		     e++) {
			uint32_t x = g->edges[e];

			if (!strong(x) || comp_of(w->s, x) != c)
				continue;
			if (x == start) {
				last = u;
				break;
			}
			if (w->parent[slot[x]] != PHI_NONE)
				continue;
			w->parent[slot[x]] = u;
			w->queue[tail++] = x;
			w->seen_list[nseen++] = x;
		}
	}
	if (last != PHI_NONE) {
		/* Walk back to the start, then reverse. */
		for (uint32_t v = last; n < max; v = w->parent[slot[v]]) {
			chain[n++] = v;
			if (v == start)
				break;
		}
		for (size_t i = 0; i < n / 2; i++) {
			uint32_t t = chain[i];

			chain[i] = chain[n - 1 - i];
			chain[n - 1 - i] = t;
		}
	}
	for (size_t i = 0; i < nseen; i++)
		w->parent[slot[w->seen_list[i]]] = PHI_NONE;
	return n;
}

/* "Pair.other.other": the start's type, then each step, instance dicts
 * folded into attribute steps.  *length: objects around, dicts folded
 * in. */
static void cycle_text(const struct phi_heap *h, const uint32_t *chain,
		       size_t n, bool cut, char *buf, size_t len,
		       uint64_t *length)
{
	size_t attr_at = SIZE_MAX, used;
	char name[128];

	const char *tn = phi_heap_type(h, chain[0])->name;
	const char *dot = strrchr(tn, '.');

	/* The class's own name, as Python code spells the object. */
	snprintf(buf, len, "%s", dot && dot[1] ? dot + 1 : tn);
	*length = 0;
	for (size_t k = 0; k < n; k++) {
		uint32_t parent = chain[k], child = chain[(k + 1) % n];
		enum phi_kind pk = phi_heap_type(h, parent)->kind;

		used = strlen(buf);
		phi_heap_label_step(h, parent, child, buf + used, len - used);
		if (attr_at != SIZE_MAX &&
		    phi_path_ident_key(buf + used, name, sizeof(name))) {
			snprintf(buf + attr_at, len - attr_at, ".%s", name);
		} else {
			(*length)++;
		}
		attr_at = (pk != PHI_K_MODULE && pk != PHI_K_TYPE &&
			   strcmp(buf + used, ".__dict__") == 0) ? used :
								  SIZE_MAX;
	}
	if (cut) {
		used = strlen(buf);
		snprintf(buf + used, len - used, "...");
	}
}

/* A start that reads well: not a dict when anything else is there, then
 * the smallest type name, then the lowest address. */
static bool better_start(const struct phi_heap *h, uint32_t a, uint32_t b)
{
	const struct phi_type *ta = phi_heap_type(h, a);
	const struct phi_type *tb = phi_heap_type(h, b);
	bool da = ta->kind == PHI_K_DICT, db = tb->kind == PHI_K_DICT;
	int c;

	if (da != db)
		return db;
	c = strcmp(ta->name, tb->name);
	if (c)
		return c < 0;
	return h->g.addr[a] < h->g.addr[b];
}

static int by_size(const void *a, const void *b)
{
	const struct phi_garbage_cycle *x = a, *y = b;

	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->path, y->path);
}

static int type_by_size(const void *a, const void *b)
{
	const struct phi_garbage_type *x = a, *y = b;

	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int count_types(struct phi_garbage *out, const struct phi_heap *h,
		       const uint32_t *comp, struct phi_error *err)
{
	size_t nt = h->types.n;
	struct phi_garbage_type *t = calloc(nt ? nt : 1, sizeof(*t));

	if (!t)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	for (uint32_t i = 0; i < h->g.n; i++) {
		uint32_t k = h->g.type[i];

		if (comp[i] == PHI_NONE || k >= nt)
			continue;
		t[k].name = h->types.v[k].name;
		t[k].count++;
		t[k].size += phi_graph_size(&h->g, i);
	}
	for (size_t k = 0; k < nt; k++)
		if (t[k].count)
			t[out->ntypes++] = t[k];
	qsort(t, out->ntypes, sizeof(*t), type_by_size);
	out->types = t;
	return 0;
}

/* Each component that is a cycle (several objects, or one that refers
 * to itself) gets a shape; every other garbage object is counted with
 * the first cycle whose breadth-first walk reaches it. */
static int describe(struct phi_garbage *out, const struct phi_heap *h,
		    const struct scc_work *sw, size_t top,
		    struct phi_error *err)
{
	const struct phi_graph *g = &h->g;
	const uint32_t *slot = sw->slot, *node = sw->node, *comp = sw->comp;
	uint32_t ncomp = sw->ncomp;
	size_t m = sw->m ? sw->m : 1;
	uint32_t *best = malloc((ncomp ? ncomp : 1) * sizeof(*best));
	uint32_t *csize = calloc(ncomp ? ncomp : 1, sizeof(*csize));
	uint32_t *owner = phi_big_calloc(m, sizeof(*owner));
	struct cycle_work w = {
		.h = h, .s = sw,
		.parent = phi_big_calloc(m, sizeof(uint32_t)),
		.queue = phi_big_calloc(m, sizeof(uint32_t)),
		.seen_list = phi_big_calloc(m, sizeof(uint32_t)),
	};
	struct phi_garbage_cycle **of = calloc(ncomp ? ncomp : 1, sizeof(*of));
	struct shapes s = { 0 };
	uint32_t chain[MAX_STEPS + 1];
	char path[PHI_CYCLE_PATH_MAX];
	size_t head = 0, tail = 0;
	int rc = 0;

	if (!best || !csize || !owner || !w.parent || !w.queue ||
	    !w.seen_list || !of) {
		rc = phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
		goto out;
	}
	memset(best, 0xff, (ncomp ? ncomp : 1) * sizeof(*best));
	memset(w.parent, 0xff, m * sizeof(uint32_t));
	memset(owner, 0xff, m * sizeof(*owner));
	for (uint32_t d = 0; d < sw->m; d++) {
		uint32_t c = comp[d], i = node[d];

		csize[c]++;
		if (best[c] == PHI_NONE || better_start(h, i, best[c]))
			best[c] = i;
	}
	for (uint32_t c = 0; c < ncomp; c++) {
		uint32_t v = best[c];
		size_t len = shortest_cycle(&w, v, chain, MAX_STEPS + 1);
		uint64_t length;
		bool cut = len > MAX_STEPS;

		if (len == 0)
			continue; /* one object, not a cycle */
		cycle_text(h, chain, cut ? MAX_STEPS : len, cut, path,
			   sizeof(path), &length);
		of[c] = shape(&s, phi_heap_type(h, v)->name, path, length);
		if (!of[c]) {
			rc = phi_error_set(err, PHI_E_NO_MEMORY,
					   "out of memory");
			goto out;
		}
		of[c]->count++;
		out->cycles_total++;
	}
	/* Members of cycles own themselves; the rest go breadth-first. */
	for (uint32_t d = 0; d < sw->m; d++)
		if (of[comp[d]]) {
			owner[d] = comp[d];
			w.queue[tail++] = node[d];
		}
	while (head < tail) {
		uint32_t u = w.queue[head++];

		for (uint64_t e = g->edge_start[u]; e < g->edge_start[u + 1];
		     e++) {
			uint32_t x = g->edges[e];

			if (!strong(x) || slot[x] == PHI_NONE ||
			    owner[slot[x]] != PHI_NONE)
				continue;
			owner[slot[x]] = owner[slot[u]];
			w.queue[tail++] = x;
		}
	}
	for (uint32_t d = 0; d < sw->m; d++)
		if (owner[d] != PHI_NONE) {
			of[owner[d]]->objects++;
			of[owner[d]]->size += phi_graph_size(g, node[d]);
		}
	qsort(s.v, s.n, sizeof(*s.v), by_size);
	out->shapes = s.n;
	out->ncycles = s.n < top ? s.n : top;
	out->cycles = s.v;
	s.v = NULL;
out:
	free(best);
	free(csize);
	free(of);
	free(s.v);
	free(s.slots);
	phi_big_free(owner);
	phi_big_free(w.parent);
	phi_big_free(w.queue);
	phi_big_free(w.seen_list);
	return rc;
}

int phi_garbage_find(struct phi_garbage *out, const struct phi_heap *h,
		     const struct phi_dominators *dom,
		     const struct phi_node_sizes *allocated, size_t top,
		     struct phi_error *err)
{
	const struct phi_graph *g = &h->g;
	struct scc_work w = { .g = g };
	int rc;

	memset(out, 0, sizeof(*out));
	w.slot = phi_big_calloc(g->n ? g->n : 1, sizeof(*w.slot));
	if (!w.slot)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	for (uint32_t i = 0; i < g->n; i++) {
		bool garbage = dom->idom[i] == PHI_NONE;

		w.slot[i] = garbage ? UNSEEN : PHI_NONE;
		if (!garbage)
			continue;
		out->objects++;
		out->size += phi_graph_size(g, i);
		if (allocated)
			out->allocated += phi_node_size(allocated, i);
	}
	rc = count_types(out, h, w.slot, err);
	if (rc == 0 && out->objects)
		rc = dense(&w, out->objects, err);
	if (rc == 0 && out->objects)
		rc = components(&w, err);
	if (rc == 0 && out->objects)
		rc = describe(out, h, &w, top, err);
	phi_big_free(w.slot);
	phi_big_free(w.node);
	phi_big_free(w.comp);
	return rc;
}

void phi_garbage_release(struct phi_garbage *g)
{
	free(g->types);
	free(g->cycles);
	memset(g, 0, sizeof(*g));
}
