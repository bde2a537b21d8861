/* What each object costs its allocators, as opposed to sys.getsizeof:
 * the block of the object (GC header included) rounded up to pymalloc's
 * size class, read from its pool's header, or the C library's chunk,
 * plus the blocks of its out-of-line buffers, counted the way
 * sys.getsizeof counts them (a dict's keys only when it owns them). */
#include <string.h>

#include "pyheapinspect/base/bigmem.h"
#include "pyheapinspect/cpython/310/dict.h"
#include "pyheapinspect/cpython/310/pymalloc.h"

#define L(id) PHI_L(c->lay, id)

struct cost_ctx {
	const struct phi_image *img;
	const struct phi_layout *lay;
	const struct phi_pymalloc *pm;
	const struct phi_block_sizer *sizer;
};

/* The block at addr, which was asked for `request` bytes. */
static uint64_t block_cost(const struct cost_ctx *c, uint64_t addr,
			   uint64_t request)
{
	uint64_t v = phi310_pymalloc_block(c->img, c->lay, c->pm, addr);

	if (v)
		return v;
	if (c->sizer)
		return c->sizer->size(c->sizer->ctx, addr, request);
	return phi310_request_cost(request);
}

static uint64_t word(const struct cost_ctx *c, uint64_t addr)
{
	return phi_image_word(c->img, addr);
}

/* The out-of-line buffers of one object, and their share of size (what
 * sys.getsizeof counted for them), subtracted to get the object's own
 * block request. */
static uint64_t buffers(const struct cost_ctx *c, const struct phi_type *t,
			uint64_t addr, uint64_t *counted)
{
	uint64_t cost = 0, p;
	int64_t n;
	struct phi_dict d;

	*counted = 0;
	switch (t->kind) {
	case PHI_K_LIST:
		p = word(c, addr + (uint64_t)L(LIST_ITEM));
		n = (int64_t)word(c, addr + (uint64_t)L(LIST_ALLOCATED));
		if (p && n > 0 && n < ((int64_t)1 << 40)) {
			*counted = 8 * (uint64_t)n;
			cost = block_cost(c, p, *counted);
		}
		break;
	case PHI_K_DICT:
	case PHI_K_ODICT:
	case PHI_K_DEFDICT:
		if (!phi_dict_open(c->img, c->lay, addr, &d))
			break;
		if (d.values) {
			uint64_t v = 8 * (uint64_t)((d.dk_size << 1) / 3);

			*counted += v;
			cost += block_cost(c, d.values, v);
		}
		if (d.dk_refcnt == 1) {
			uint64_t k = phi_dict_keys_size(c->img, c->lay, d.keys);

			*counted += k;
			cost += block_cost(c, d.keys, k);
		}
		break;
	case PHI_K_SET:
	case PHI_K_FROZENSET:
		p = word(c, addr + (uint64_t)L(SET_TABLE));
		n = (int64_t)word(c, addr + (uint64_t)L(SET_MASK));
		if (p && p != addr + (uint64_t)L(SET_SMALLTABLE) && n > 0 &&
		    n < ((int64_t)1 << 40)) {
			*counted = (uint64_t)(n + 1) *
				   (uint64_t)L(SETENTRY_SIZE);
			cost = block_cost(c, p, *counted);
		}
		break;
	case PHI_K_BYTEARRAY:
		p = word(c, addr + (uint64_t)L(BYTEARRAY_BYTES));
		n = (int64_t)word(c, addr + (uint64_t)L(BYTEARRAY_ALLOC));
		if (p && n > 0 && n < ((int64_t)1 << 48)) {
			*counted = (uint64_t)n;
			cost = block_cost(c, p, *counted);
		}
		break;
	default:
		break;
	}
	return cost;
}

int phi310_allocated(const struct phi_heap *h, const struct phi_pymemory *m,
		     const struct phi_block_sizer *sizer,
		     struct phi_node_sizes *out, struct phi_error *err)
{
	const struct phi_graph *g = &h->g;
	struct cost_ctx cc = { .img = h->img, .lay = phi310_layout(h->py),
			       .pm = &m->pymalloc, .sizer = sizer };
	const struct cost_ctx *c = &cc;
	uint64_t gchead = (uint64_t)L(GCHEAD_SIZE);

	if (phi_node_sizes_init(out, g->n) < 0)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	for (uint32_t i = 0; i < g->n; i++) {
		const struct phi_type *t = phi_heap_type(h, i);
		uint64_t size = phi_graph_size(g, i), counted, cost;
		bool gc = g->flags[i] & PHI_NODE_GC;
		uint64_t block = g->addr[i] - (gc ? gchead : 0);

		cost = buffers(c, t, g->addr[i], &counted);
		if (t->kind == PHI_K_DEQUE) {
			/* Blocks of 64 items and two links, each its own
			 * allocation: counted in the size after basicsize. */
			uint64_t bs = PHI_DEQUE_BLOCK_RIGHTLINK + 8;
			uint64_t base = (uint64_t)t->basicsize +
					(gc ? gchead : 0);

			if (size > base) {
				counted = (size - base) / bs * bs;
				cost = counted / bs * phi310_request_cost(bs);
			}
		}
		cost += block_cost(c, block, size > counted ? size - counted :
							     1);
		if (phi_node_sizes_set(out, i, cost) < 0) {
			phi_node_sizes_release(out);
			return phi_error_set(err, PHI_E_NO_MEMORY,
					     "out of memory");
		}
	}
	return 0;
}
