/* The `top` nodes by a key (topn.h). */
#include <stdlib.h>

#include "pyheapinspect/analysis/topn.h"

static uint64_t key_of(const struct phi_topn *t, uint32_t i)
{
	return t->k64 ? t->k64[i] : t->k32[i];
}

static bool before(const struct phi_topn *t, uint32_t a, uint32_t b)
{
	uint64_t ka = key_of(t, a), kb = key_of(t, b);

	return ka != kb ? ka > kb : a < b;
}

/* Restore the min-heap (the weakest of the kept nodes at the top). */
static void sift_down(const struct phi_topn *t, size_t n, size_t i)
{
	uint32_t *h = t->h;

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		uint32_t x;

		if (l < n && before(t, h[m], h[l]))
			m = l;
		if (r < n && before(t, h[m], h[r]))
			m = r;
		if (m == i)
			return;
		x = h[i];
		h[i] = h[m];
		h[m] = x;
		i = m;
	}
}

int phi_topn_init(struct phi_topn *t, const uint32_t *k32,
		     const uint64_t *k64, size_t top)
{
	*t = (struct phi_topn){ k32, k64, NULL, 0, top };
	t->h = malloc((top ? top : 1) * sizeof(*t->h));
	return t->h ? 0 : -1;
}

/* Candidates may come in any order: ties are broken by node. */
void phi_topn_offer(struct phi_topn *t, uint32_t i)
{
	if (t->n < t->top) {
		t->h[t->n++] = i;
		if (t->n == t->top)
			for (size_t k = t->n / 2; k-- > 0;)
				sift_down(t, t->n, k);
	} else if (t->top && before(t, i, t->h[0])) {
		t->h[0] = i;
		sift_down(t, t->n, 0);
	}
}

/* The kept nodes, largest first, in an array the caller frees. */
uint32_t *phi_topn_finish(struct phi_topn *t, size_t *nout)
{
	size_t n = t->n;

	if (n < t->top)
		for (size_t k = n / 2; k-- > 0;)
			sift_down(t, n, k);
	/* Pop the weakest to the end: largest first. */
	for (size_t end = n; end > 1; end--) {
		uint32_t x = t->h[0];

		t->h[0] = t->h[end - 1];
		t->h[end - 1] = x;
		sift_down(t, end - 1, 0);
	}
	*nout = n;
	return t->h;
}
