/* The heap by interpreter.  Which interpreter an object's path starts
 * at comes with the paths (paths.c); which objects the roots of one
 * interpreter alone reach takes one more breadth-first walk per
 * interpreter, over the same counted references as the paths and the
 * dominators: every object remembers the one interpreter whose walk
 * reached it, or that several did.  A walk covers what its roots reach,
 * so the cost is the heap once for the main interpreter plus each
 * subinterpreter's own objects and what they share (static types).  With
 * one interpreter no walk is needed: the paths start at its roots first,
 * so what they reach is what their paths start at.
 *
 * The process-wide roots and the objects held from outside the heap
 * take no part: CPython 3.10 keeps in process-wide C statics objects of
 * whichever interpreter came last (the m_copy of `sys` and `builtins`,
 * a copy of that interpreter's sys.__dict__, holds its sys.modules), and
 * counting them would make every interpreter's state shared.  Sharing
 * between interpreters is real in 3.10 all the same: a single-phase
 * extension module's functions are one set of objects for every
 * interpreter that imports it, and their __self__ is the module object
 * of the first importer (usually the main interpreter), so that a
 * subinterpreter's roots reach most of the main interpreter's heap. */
#include <string.h>

#include "pyheapinspect/analysis/interps.h"
#include "pyheapinspect/base/bigmem.h"
#include "pyheapinspect/base/sizes.h"

/* owner[]: an index in h->rt->interps, or one of these. */
#define UNSEEN 0xffu
#define SEVERAL 0xfeu

#define BIT_SET(b, i) ((b)[(i) >> 3] |= (uint8_t)(1u << ((i) & 7)))
#define BIT_GET(b, i) (((b)[(i) >> 3] >> ((i) & 7)) & 1u)

struct walker {
	const struct phi_graph *g;
	uint8_t *owner;
	uint8_t *seen;    /* this walk's, a bit per node */
	uint32_t *queue;
	size_t tail;
};

static void visit(struct walker *w, uint32_t v, uint8_t group)
{
	if (BIT_GET(w->seen, v))
		return;
	BIT_SET(w->seen, v);
	if (w->owner[v] == UNSEEN)
		w->owner[v] = group;
	else if (w->owner[v] != group)
		w->owner[v] = SEVERAL;
	w->queue[w->tail++] = v;
}

static void drain(struct walker *w, uint8_t group)
{
	const struct phi_graph *g = w->g;

	for (size_t head = 0; head < w->tail; head++) {
		uint32_t u = w->queue[head];

		for (uint64_t e = g->edge_start[u]; e < g->edge_start[u + 1];
		     e++)
			if (!(g->edges[e] & PHI_EDGE_FLAGS))
				visit(w, g->edges[e], group);
	}
}

/* One walk, from interpreter k's roots. */
static void walk_interp(struct walker *w, const struct phi_heap *h,
			uint32_t k)
{
	const struct phi_graph *g = &h->g;

	memset(w->seen, 0, (g->n + 7) / 8);
	w->tail = 0;
	for (size_t j = 0; j < h->nroots; j++)
		if (phi_heap_root_interp(h, &h->roots[j]) == k &&
		    h->roots[j].node < g->n)
			visit(w, h->roots[j].node, (uint8_t)k);
	drain(w, (uint8_t)k);
}

static uint64_t size_of(const struct phi_graph *g,
			const struct phi_node_sizes *sizes, uint32_t v)
{
	return sizes ? phi_node_size(sizes, v) : phi_graph_size(g, v);
}

static int only_figures(struct phi_interps *x, const struct phi_heap *h,
			const struct phi_node_sizes *sizes, const size_t *pos,
			struct phi_error *err)
{
	const struct phi_graph *g = &h->g;
	size_t n = g->n ? g->n : 1;
	struct walker w = {
		.g = g,
		.owner = phi_big_calloc(n, 1),
		.seen = phi_big_calloc((n + 7) / 8, 1),
		.queue = phi_big_calloc(n, sizeof(uint32_t)),
	};
	int rc = 0;

	if (!w.owner || !w.seen || !w.queue) {
		rc = phi_error_set(err, PHI_E_NO_MEMORY, "out of memory "
				   "sorting the heap by interpreter");
		goto out;
	}
	memset(w.owner, UNSEEN, n);
	for (size_t k = 0; k < x->n; k++)
		walk_interp(&w, h, x->v[k].index);
	for (uint32_t i = 0; i < g->n; i++) {
		uint8_t o = w.owner[i];
		uint64_t s = size_of(g, sizes, i);

		if (o == SEVERAL) {
			x->shared_objects++;
			x->shared_size = phi_size_add(x->shared_size, s);
		} else if (o < PHI_MAX_INTERPS) {
			struct phi_interp_figures *f = &x->v[pos[o]];

			f->only_objects++;
			f->only_size = phi_size_add(f->only_size, s);
		}
	}
out:
	phi_big_free(w.owner);
	phi_big_free(w.seen);
	phi_big_free(w.queue);
	return rc;
}

int phi_interps_compute(struct phi_interps *x, const struct phi_heap *h,
			const struct phi_paths *p,
			const struct phi_node_sizes *sizes,
			struct phi_error *err)
{
	const struct phi_graph *g = &h->g;
	uint32_t order[PHI_MAX_INTERPS];
	size_t pos[PHI_MAX_INTERPS];

	memset(x, 0, sizeof(*x));
	if (!h->rt)
		return 0;
	phi_runtime_order(h->rt, order);
	x->n = h->rt->ninterps;
	for (size_t k = 0; k < x->n; k++) {
		const struct phi_interp *in = &h->rt->interps[order[k]];

		x->v[k] = (struct phi_interp_figures){
			.index = order[k], .id = in->id,
			.main = phi_runtime_is_main(h->rt, order[k]),
			.addr = in->addr,
		};
		pos[order[k]] = k;
	}
	for (size_t j = 0; j < h->nroots; j++) {
		uint32_t k = phi_heap_root_interp(h, &h->roots[j]);

		if (k != PHI_HEAP_NO_INTERP)
			x->v[pos[k]].roots++;
	}
	for (uint32_t i = 0; i < g->n; i++) {
		uint32_t k = phi_path_interp(p, i);
		uint64_t s = size_of(g, sizes, i);

		if (p->parent[i] == PHI_NONE)
			continue;
		if (k < x->n) {
			x->v[pos[k]].objects++;
			x->v[pos[k]].size = phi_size_add(x->v[pos[k]].size, s);
		} else {
			x->process_objects++;
			x->process_size = phi_size_add(x->process_size, s);
		}
	}
	if (x->n == 1) {
		x->v[0].only_objects = x->v[0].objects;
		x->v[0].only_size = x->v[0].size;
	}
	if (x->n < 2)
		return 0;
	return only_figures(x, h, sizes, pos, err);
}
