/* Duplicate values: distinct objects that hold equal values (which
 * objects are compared, and how, is the CPython layer's phi_valcmp).
 *
 * One array of (hash, node) words for the candidates, sorted; runs of equal
 * hash are split into true equality classes by comparing the values
 * themselves, so a hash collision never merges different values.  The
 * `top` most wasteful groups are kept in a bounded heap, so memory is
 * O(candidates + top) and nothing is allocated per object. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/analysis/dups.h"
#include "pyheapinspect/base/bigmem.h"
#include "pyheapinspect/base/sizes.h"

/* Candidates hashed this far ahead have their object prefetched: the
 * hashing is bound by a cache miss on each object, at random in the
 * image, and the candidates' addresses are known in advance. */
#define PREFETCH_AHEAD 12

struct ctx {
	const struct phi_heap *h;
	struct phi_valcmp *vc;
};

/* A candidate in 8 bytes: the top 34 bits of its hash over the node
 * (PHI_MAX_NODES < 2^30), so that sorting the words sorts by (hash,
 * node).  34 bits leave a few collisions among millions of values, which
 * cost one more comparison each: equality is always confirmed. */
typedef uint64_t cand_t;
#define NODE_BITS 30
#define CAND(hash, node) (((hash) & ~((1ULL << NODE_BITS) - 1)) | (node))
#define CAND_NODE(c) ((uint32_t)((c) & ((1ULL << NODE_BITS) - 1)))
#define SAME_HASH(a, b) ((((a) ^ (b)) >> NODE_BITS) == 0)
_Static_assert(PHI_MAX_NODES < (1u << NODE_BITS), "node index in a cand_t");

/* One group, compact, while the heap of the best ones is built. */
struct grp {
	uint64_t wasted, count, size;
	uint32_t first;
};

/* Fills cs with CAND(hash, node) for every candidate that can be
 * compared, in node order; returns how many.  cs has room for every
 * node that has a class: it first lists them, then the hashing
 * overwrites the list from the front, never passing the node it reads. */
static size_t hash_all(const struct ctx *c, cand_t *cs)
{
	const struct phi_graph *g = &c->h->g;
	size_t n = 0, m = 0;

	for (size_t i = 0; i < g->n; i++)
		if (phi_valcmp_class(c->vc, (uint32_t)i) != PHI_NONE)
			cs[n++] = i;
	for (size_t k = 0; k < n; k++) {
		uint32_t node = (uint32_t)cs[k];
		uint64_t hash;

		if (k + PREFETCH_AHEAD < n)
			phi_valcmp_prefetch(c->vc,
					    (uint32_t)cs[k + PREFETCH_AHEAD]);
		if (phi_valcmp_hash(c->vc, node, &hash))
			cs[m++] = CAND(hash, (uint64_t)node);
	}
	return m;
}

/* ---- sorting and the top groups -------------------------------------- */

static void insertion_sort(cand_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		cand_t x = v[i];
		size_t j = i;

		while (j > 0 && x < v[j - 1]) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

static int by_hash(const void *pa, const void *pb)
{
	cand_t a = *(const cand_t *)pa, b = *(const cand_t *)pb;

	return a < b ? -1 : a > b;
}

/* Do the n candidates all have one hash?  A long run of one hash is a
 * big group of copies of one value (58,000 equal strs at 10^6 in the
 * benchmark); its members need no order, since walk_run() finds the
 * same classes in any order. */
static bool one_hash(const cand_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (!SAME_HASH(v[i], v[0]))
			return false;
	return true;
}

#define RADIX_BITS 8
#define RADIX_BUCKETS (1u << RADIX_BITS)
/* Buckets this short are sorted by insertion. */
#define SMALL_SORT 32

/* Sort by hash with no extra array: most significant byte first, in
 * place (American flag sort), then each bucket by the next byte of the
 * hash, down to the node bits; short buckets by insertion, a bucket of
 * one hash not at all, and the rare long bucket left at the last hash
 * byte by qsort.  Equal hashes end up together.  256 buckets per level,
 * not 65,536 in one pass: the swaps then hit 256 cached positions, not
 * one cache miss each.  The recursion is at most four levels deep (the
 * hash bits above NODE_BITS), whatever the data. */
static void sort_level(cand_t *v, size_t n, unsigned shift)
{
	size_t start[RADIX_BUCKETS + 1] = { 0 }, next[RADIX_BUCKETS];

	for (size_t i = 0; i < n; i++)
		start[((v[i] >> shift) & (RADIX_BUCKETS - 1)) + 1]++;
	for (size_t b = 0; b < RADIX_BUCKETS; b++)
		start[b + 1] += start[b];
	memcpy(next, start, sizeof(next));
	for (size_t b = 0; b < RADIX_BUCKETS; b++) {
		while (next[b] < start[b + 1]) {
			cand_t x = v[next[b]];
			size_t d = (x >> shift) & (RADIX_BUCKETS - 1);

			if (d == b) {
				next[b]++;
				continue;
			}
			/* Swap x into its bucket until one for b comes. */
			v[next[b]] = v[next[d]];
			v[next[d]++] = x;
		}
	}
	for (size_t b = 0; b < RADIX_BUCKETS; b++) {
		cand_t *sub = v + start[b];
		size_t len = start[b + 1] - start[b];

		if (len <= SMALL_SORT)
			insertion_sort(sub, len);
		else if (one_hash(sub, len))
			continue;
		else if (shift >= NODE_BITS + RADIX_BITS)
			sort_level(sub, len, shift - RADIX_BITS);
		else
			qsort(sub, len, sizeof(*sub), by_hash);
	}
}

static void sort_cands(cand_t *v, size_t n)
{
	sort_level(v, n, 64 - RADIX_BITS);
}

/* Does a rank before b?  Most wasted, then most copies, then the lower
 * node. */
static bool ranks_before(const struct grp *a, const struct grp *b)
{
	if (a->wasted != b->wasted)
		return a->wasted > b->wasted;
	if (a->count != b->count)
		return a->count > b->count;
	return a->first < b->first;
}

static int by_rank(const void *pa, const void *pb)
{
	const struct grp *a = pa, *b = pb;

	if (ranks_before(a, b))
		return -1;
	return ranks_before(b, a) ? 1 : 0;
}

/* The `top` best groups so far: a binary heap whose root is the one that
 * ranks last. */
struct best {
	struct grp *v;
	size_t n, cap, top;
};

static void sift_down(struct best *b, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct grp tmp;

		if (l < b->n && ranks_before(&b->v[m], &b->v[l]))
			m = l;
		if (r < b->n && ranks_before(&b->v[m], &b->v[r]))
			m = r;
		if (m == i)
			return;
		tmp = b->v[i];
		b->v[i] = b->v[m];
		b->v[m] = tmp;
		i = m;
	}
}

static int best_offer(struct best *b, const struct grp *gr)
{
	size_t i;

	if (b->top == 0)
		return 0;
	if (b->n == b->top) {
		if (ranks_before(gr, &b->v[0])) {
			b->v[0] = *gr;
			sift_down(b, 0);
		}
		return 0;
	}
	if (b->n == b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 64;
		struct grp *p;

		if (ncap > b->top)
			ncap = b->top;
		if (ncap > SIZE_MAX / sizeof(*p))
			return -1;
		p = realloc(b->v, ncap * sizeof(*p));
		if (!p)
			return -1;
		b->v = p;
		b->cap = ncap;
	}
	/* Sift up: parents rank after their children. */
	i = b->n++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!ranks_before(&b->v[parent], gr))
			break;
		b->v[i] = b->v[parent];
		i = parent;
	}
	b->v[i] = *gr;
	return 0;
}

/* Split the run cs[0..n) of equal hashes into equality classes and offer
 * each class of two or more.  Members are reordered in place: the class
 * of cs[i] is gathered right after it. */
static int walk_run(const struct ctx *c, cand_t *cs, size_t n,
		    struct phi_dups *out, struct best *b)
{
	const struct phi_graph *g = &c->h->g;

	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		struct grp gr;
		uint64_t total;

		for (size_t k = i + 1; k < n; k++) {
			/* A long run is mostly one class: each member is read
			 * once, at random, as in the hashing. */
			if (k + PREFETCH_AHEAD < n)
				phi_valcmp_prefetch(
					c->vc, CAND_NODE(cs[k + PREFETCH_AHEAD]));
			if (phi_valcmp_equal(c->vc, CAND_NODE(cs[i]),
					     CAND_NODE(cs[k]))) {
				cand_t tmp = cs[j];

				cs[j++] = cs[k];
				cs[k] = tmp;
			}
		}
		if (j - i >= 2) {
			gr.first = CAND_NODE(cs[i]);
			gr.count = j - i;
			gr.size = phi_graph_size(g, gr.first);
			total = 0;
			for (size_t k = i; k < j; k++) {
				uint32_t nd = CAND_NODE(cs[k]);

				if (nd < gr.first)
					gr.first = nd;
				if (phi_graph_size(g, nd) < gr.size)
					gr.size = phi_graph_size(g, nd);
				total = phi_size_add(total,
						     phi_graph_size(g, nd));
			}
			gr.wasted = total - gr.size;
			out->total_groups++;
			out->total_wasted = phi_size_add(out->total_wasted,
							 gr.wasted);
			if (best_offer(b, &gr) < 0)
				return -1;
		}
		i = j;
	}
	return 0;
}

static void fill_group(const struct ctx *c, const struct grp *gr,
		       struct phi_dup_group *out)
{
	const struct phi_type *ty = phi_heap_type(c->h, gr->first);

	out->first = gr->first;
	out->count = gr->count;
	out->size = gr->size;
	out->wasted = gr->wasted;
	snprintf(out->type, sizeof(out->type), "%s",
		 ty->name ? ty->name : "?");
	phi_valcmp_preview(c->vc, gr->first, out->preview,
			   sizeof(out->preview));
}

/* ---- entry points ----------------------------------------------------- */

static int no_memory(struct phi_dups *out, const char *what, size_t n,
		     struct phi_error *err)
{
	memset(out, 0, sizeof(*out));
	return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory for %zu %s",
			     n, what);
}

/* Group the candidates, keeping the best in b. */
static int group(const struct ctx *c, struct phi_dups *out, struct best *b,
		 struct phi_error *err)
{
	const struct phi_graph *g = &c->h->g;
	cand_t *cs;
	size_t ncand = 0, m;

	/* Size the array by class alone (cheap), then hash. */
	for (size_t i = 0; i < g->n; i++)
		if (phi_valcmp_class(c->vc, (uint32_t)i) != PHI_NONE)
			ncand++;
	if (ncand == 0)
		return 0;
	cs = phi_big_calloc(ncand, sizeof(*cs));
	if (!cs)
		return no_memory(out, "duplicate candidates", ncand, err);
	m = hash_all(c, cs);
	out->objects_examined = m;
	sort_cands(cs, m);
	for (size_t i = 0; i < m;) {
		size_t j = i + 1;

		while (j < m && SAME_HASH(cs[j], cs[i]))
			j++;
		if (j - i >= 2 && walk_run(c, cs + i, j - i, out, b) < 0) {
			phi_big_free(cs);
			return no_memory(out, "duplicate groups", b->n, err);
		}
		i = j;
	}
	phi_big_free(cs);
	return 0;
}

int phi_dups_find(struct phi_dups *out, const struct phi_heap *h,
		  uint64_t key, size_t top, struct phi_error *err)
{
	struct phi_valcmp vc;
	struct ctx c = { h, &vc };
	struct best b = { NULL, 0, 0, top };
	int rc;

	memset(out, 0, sizeof(*out));
	rc = phi_valcmp_open(&vc, h, key, err);
	if (rc < 0)
		return rc;
	rc = group(&c, out, &b, err);
	if (rc == 0 && b.n) {
		qsort(b.v, b.n, sizeof(*b.v), by_rank);
		out->groups = calloc(b.n, sizeof(*out->groups));
		if (!out->groups)
			rc = no_memory(out, "duplicate groups", b.n, err);
		for (size_t i = 0; out->groups && i < b.n; i++)
			fill_group(&c, &b.v[i], &out->groups[i]);
		out->ngroups = out->groups ? b.n : 0;
	}
	free(b.v);
	phi_valcmp_close(&vc);
	return rc;
}

void phi_dups_release(struct phi_dups *d)
{
	if (!d)
		return;
	free(d->groups);
	memset(d, 0, sizeof(*d));
}
