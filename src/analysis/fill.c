/* Collection fill (fill.h): one pass over the collections, their tables
 * read by the CPython layer, the worst kept in a bounded min-heap. */
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/analysis/fill.h"

static bool collection(enum phi_kind k)
{
	return k == PHI_K_LIST || k == PHI_K_DICT || k == PHI_K_DEFDICT ||
	       k == PHI_K_SET || k == PHI_K_BYTEARRAY;
}

/* a ranks below b: less wasted, or as much at a higher node. */
static bool weaker(const struct phi_fill_obj *a, const struct phi_fill_obj *b)
{
	return a->wasted != b->wasted ? a->wasted < b->wasted :
					a->node > b->node;
}

static void sift_down(struct phi_fill_obj *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct phi_fill_obj x;

		if (l < n && weaker(&h[l], &h[m]))
			m = l;
		if (r < n && weaker(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		x = h[i];
		h[i] = h[m];
		h[m] = x;
		i = m;
	}
}

static void sift_up(struct phi_fill_obj *h, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		struct phi_fill_obj x;

		if (!weaker(&h[i], &h[p]))
			return;
		x = h[i];
		h[i] = h[p];
		h[p] = x;
		i = p;
	}
}

static void offer(struct phi_fill_report *r, size_t top,
		  const struct phi_fill_obj *o)
{
	if (r->ntop < top) {
		r->top[r->ntop] = *o;
		sift_up(r->top, r->ntop++);
	} else if (top && weaker(&r->top[0], o)) {
		r->top[0] = *o;
		sift_down(r->top, r->ntop, 0);
	}
}

static int most_wasted(const void *a, const void *b)
{
	const struct phi_fill_obj *x = a, *y = b;

	return weaker(x, y) ? 1 : weaker(y, x) ? -1 : 0;
}

static int type_order(const void *a, const void *b)
{
	const struct phi_fill_type *x = a, *y = b;

	if (x->wasted != y->wasted)
		return x->wasted < y->wasted ? 1 : -1;
	if (x->slack != y->slack)
		return x->slack < y->slack ? 1 : -1;
	return x->type < y->type ? -1 : x->type > y->type;
}

static void count(struct phi_fill_report *r, struct phi_fill_type *t,
		  size_t top, uint32_t node, const struct phi_fill *f)
{
	uint64_t slack = f->table > f->copy_table ?
				 f->table - f->copy_table : 0;
	struct phi_fill_obj o = { node, *f, slack };

	t->count++;
	t->slack += slack;
	r->collections++;
	r->slack += slack;
	/* copy_table * 4 cannot overflow: tables are bounded by the
	 * image. */
	if (slack >= PHI_FILL_MIN_WASTE &&
	    f->table >= PHI_FILL_SPARSE * f->copy_table) {
		t->sparse++;
		t->wasted += slack;
		r->sparse++;
		r->wasted += slack;
		offer(r, top, &o);
	}
}

int phi_fill_find(struct phi_fill_report *r, const struct phi_heap *h,
		  size_t top, struct phi_error *err)
{
	size_t nt = h->types.n ? h->types.n : 1, k = 0;
	struct phi_fill_type *t = calloc(nt, sizeof(*t));

	memset(r, 0, sizeof(*r));
	r->top = malloc((top ? top : 1) * sizeof(*r->top));
	if (!t || !r->top) {
		free(t);
		phi_fill_release(r);
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory "
				     "measuring the collections' fill");
	}
	for (uint32_t i = 0; i < h->g.n; i++) {
		uint32_t ty = h->g.type[i];
		struct phi_fill f;

		if (!collection(h->types.v[ty].kind))
			continue;
		if (!phi_heap_fill(h, i, &f)) {
			r->unreadable++;
			continue;
		}
		t[ty].type = ty;
		count(r, &t[ty], top, i, &f);
	}
	for (size_t i = 0; i < h->types.n; i++)
		if (t[i].count)
			t[k++] = t[i];
	qsort(t, k, sizeof(*t), type_order);
	r->types = t;
	r->ntypes = k;
	qsort(r->top, r->ntop, sizeof(*r->top), most_wasted);
	return 0;
}

void phi_fill_release(struct phi_fill_report *r)
{
	free(r->types);
	free(r->top);
	memset(r, 0, sizeof(*r));
}
