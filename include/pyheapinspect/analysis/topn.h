/* The `top` nodes by key, largest first (equal keys: lower node first),
 * kept in a bounded min-heap while the caller offers every candidate:
 * O(n log top), and no array per node.  Keys are 32-bit (referrer
 * counts) or 64-bit (retained sizes). */
#ifndef PYHEAPINSPECT_TOPN_H
#define PYHEAPINSPECT_TOPN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct phi_topn {
	const uint32_t *k32;
	const uint64_t *k64;
	uint32_t *h;
	size_t n, top;
};

/* One of k32 and k64 is the key array; -1 when out of memory. */
int phi_topn_init(struct phi_topn *t, const uint32_t *k32,
		  const uint64_t *k64, size_t top);
void phi_topn_offer(struct phi_topn *t, uint32_t i);
/* The chosen nodes, best first (malloc'd, *nout of them); frees the
 * heap.  NULL when none or out of memory. */
uint32_t *phi_topn_finish(struct phi_topn *t, size_t *nout);

#endif
