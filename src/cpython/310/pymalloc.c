/* pymalloc from outside: what sys._debugmallocstats() prints, computed
 * from the image the way 3.10's _PyObject_DebugMallocStats computes it
 * (Objects/obmalloc.c): every arena of the `arenas` array, every pool
 * carved in it (only its 48-byte header is read), per size class the
 * pools in use, blocks in use and free blocks.
 *
 * obmalloc keeps its state in file statics, which only .symtab names.
 * Without them (a stripped build) the arenas are found from the memory:
 * every pool init_pool() carved has a header whose fields agree with
 * each other, the carved pools of arena k are contiguous from its first
 * pool and all say arenaindex k; then the `arenas` array is the one
 * pointer in libpython's data whose entries describe exactly those
 * arenas, and the radix tree root the one array there that maps every
 * arena base.  The two counters of arenas over time
 * (ntimes_arena_allocated, narenas_highwater) exist nowhere else: they
 * are then unknown, and a gap says so. */
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/cpython/310/pymalloc.h"

#define L(id) PHI_L(lay, id)
#define POOL ((uint64_t)PHI_PYMALLOC_POOL_SIZE)
#define ARENA ((uint64_t)PHI_PYMALLOC_ARENA_SIZE)
/* More arenas than this (16 TiB of them) is damage. */
#define MAX_ARENAS (1u << 24)
#define POOLS_PER_ARENA (ARENA / POOL)

struct arena {
	uint64_t address, pool_address;
	uint32_t nfreepools, ntotalpools, index;
};

struct scan_group {
	uint64_t first_pool;
	uint32_t index, carved;
};

struct pm {
	const struct phi_image *img;
	const struct phi_layout *lay;
	const struct phi310 *t;
	uint64_t runtime;
	struct phi_pymemory *out;
	struct arena *arenas;
	size_t narenas;
};

static uint64_t pool_overhead(const struct phi_layout *lay)
{
	uint64_t a = PHI_PYMALLOC_ALIGNMENT;

	return ((uint64_t)L(POOL_HEADER_SIZE) + a - 1) & ~(a - 1);
}

static uint64_t numblocks(const struct phi_layout *lay, uint32_t szidx)
{
	return (POOL - pool_overhead(lay)) /
	       ((uint64_t)(szidx + 1) * PHI_PYMALLOC_ALIGNMENT);
}

struct pool_hdr {
	uint32_t count, arenaindex, szidx, nextoffset, maxnextoffset;
	uint64_t freeblock;
};

static bool read_pool(const struct phi_image *img, const struct phi_layout *lay,
		      uint64_t p, struct pool_hdr *h)
{
	const unsigned char *b = phi_image_ptr(img, p,
					       (size_t)L(POOL_HEADER_SIZE));

	if (!b || L(POOL_HEADER_SIZE) < 48)
		return false;
	memcpy(&h->count, b + L(POOL_COUNT), 4);
	memcpy(&h->freeblock, b + L(POOL_FREEBLOCK), 8);
	memcpy(&h->arenaindex, b + L(POOL_ARENAINDEX), 4);
	memcpy(&h->szidx, b + L(POOL_SZIDX), 4);
	memcpy(&h->nextoffset, b + L(POOL_NEXTOFFSET), 4);
	memcpy(&h->maxnextoffset, b + L(POOL_MAXNEXTOFFSET), 4);
	return true;
}

/* ---- the arena array ------------------------------------------------ */

static bool arena_ok(const struct arena *a)
{
	uint64_t first = (a->address + POOL - 1) & ~(POOL - 1);

	return a->address && a->address < (1ULL << 56) &&
	       first <= a->pool_address &&
	       a->pool_address <= a->address + ARENA &&
	       a->ntotalpools <= POOLS_PER_ARENA &&
	       a->nfreepools <= a->ntotalpools;
}

/* The entries of arenas[0..maxarenas) whose address is set (the others
 * are unused slots). */
static int read_arena_array(struct pm *s, uint64_t arr, uint64_t maxarenas,
			    struct phi_error *err)
{
	const struct phi_layout *lay = s->lay;
	uint64_t esize = (uint64_t)L(ARENA_OBJ_SIZE);
	const unsigned char *p;

	if (maxarenas == 0)
		return 0;
	if (maxarenas > MAX_ARENAS || esize < 24 ||
	    !(p = phi_image_ptr(s->img, arr, maxarenas * esize))) {
		phi_gap_add(&s->out->gaps, "pymalloc arenas", -1, -1,
			    "the arena array (%llu entries at 0x%llx) is not "
			    "in the target's readable memory",
			    (unsigned long long)maxarenas,
			    (unsigned long long)arr);
		return 1;
	}
	s->arenas = calloc(maxarenas, sizeof(*s->arenas));
	if (!s->arenas)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	for (uint64_t i = 0; i < maxarenas; i++) {
		const unsigned char *e = p + i * esize;
		struct arena a = { .index = (uint32_t)i };

		memcpy(&a.address, e + L(ARENA_ADDRESS), 8);
		if (!a.address)
			continue;
		memcpy(&a.pool_address, e + L(ARENA_POOL_ADDRESS), 8);
		memcpy(&a.nfreepools, e + L(ARENA_NFREEPOOLS), 4);
		memcpy(&a.ntotalpools, e + L(ARENA_NTOTALPOOLS), 4);
		if (!arena_ok(&a)) {
			phi_gap_add(&s->out->gaps, "pymalloc arenas", -1, -1,
				    "arena %llu of the arena array is "
				    "inconsistent (torn or corrupt memory)",
				    (unsigned long long)i);
			free(s->arenas);
			s->arenas = NULL;
			s->narenas = 0;
			return 1;
		}
		s->arenas[s->narenas++] = a;
	}
	return 0;
}

/* ---- the class table ------------------------------------------------ */

/* _PyObject_DebugMallocStats' loops. */
static void count_pools(struct pm *s)
{
	const struct phi_layout *lay = s->lay;
	struct phi_pymalloc *m = &s->out->pymalloc;
	uint64_t unreadable = 0, bad = 0;

	for (size_t i = 0; i < s->narenas; i++) {
		const struct arena *a = &s->arenas[i];
		uint64_t base = a->address;

		m->narenas++;
		m->unused_pools += a->nfreepools;
		if (base & (POOL - 1)) {
			m->arena_alignment += POOL;
			base = (base & ~(POOL - 1)) + POOL;
		}
		for (uint64_t p = base; p < a->pool_address; p += POOL) {
			struct pool_hdr h;
			struct phi_pymalloc_class *c;

			if (!read_pool(s->img, lay, p, &h)) {
				unreadable++;
				continue;
			}
			if (h.count == 0)
				continue; /* empty: szidx is stale */
			if (h.szidx >= m->nclasses ||
			    h.count > numblocks(lay, h.szidx)) {
				bad++;
				continue;
			}
			c = &m->cls[h.szidx];
			c->pools++;
			c->blocks += h.count;
			c->avail += numblocks(lay, h.szidx) - h.count;
		}
	}
	if (unreadable || bad)
		phi_gap_add(&s->out->gaps, "pymalloc pools", -1,
			    (int64_t)((unreadable + bad) * POOL),
			    "%llu pool headers not in the image and %llu "
			    "inconsistent (torn or corrupt): the class table "
			    "lacks them", (unsigned long long)unreadable,
			    (unsigned long long)bad);
}

static void totals(struct pm *s)
{
	struct phi_pymalloc *m = &s->out->pymalloc;
	uint64_t over = pool_overhead(s->lay);

	for (uint32_t i = 0; i < m->nclasses; i++) {
		const struct phi_pymalloc_class *c = &m->cls[i];

		if (!c->pools)
			continue;
		m->allocated_bytes += c->blocks * c->size;
		m->available_bytes += c->avail * c->size;
		m->pool_headers += c->pools * over;
		m->quantization += c->pools * ((POOL - over) % c->size);
	}
}

static int by_start(const void *a, const void *b)
{
	const struct phi_addr_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int keep_ranges(struct pm *s, struct phi_error *err)
{
	struct phi_pymalloc *m = &s->out->pymalloc;

	m->arenas = calloc(s->narenas ? s->narenas : 1, sizeof(*m->arenas));
	if (!m->arenas)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < s->narenas; i++)
		m->arenas[i] = (struct phi_addr_range){
			s->arenas[i].address, s->arenas[i].address + ARENA
		};
	qsort(m->arenas, s->narenas, sizeof(*m->arenas), by_start);
	return 0;
}

/* ---- without the statics: the memory itself ------------------------- */

/* A header init_pool() wrote (the pool used, full, or empty with stale
 * fields).  Never-carved pool memory is zero and fails. */
static bool carved(const struct phi_layout *lay, uint64_t p,
		   const struct pool_hdr *h)
{
	uint64_t size, over = pool_overhead(lay);

	if (h->szidx >= PHI_PYMALLOC_CLASSES)
		return false;
	size = (uint64_t)(h->szidx + 1) * PHI_PYMALLOC_ALIGNMENT;
	if (h->maxnextoffset != POOL - size ||
	    h->nextoffset < over + size || h->nextoffset > POOL ||
	    (h->nextoffset - over) % size)
		return false;
	if (h->count > numblocks(lay, h->szidx) ||
	    h->count * size > h->nextoffset - over)
		return false;
	return !h->freeblock ||
	       (h->freeblock >= p + over && h->freeblock < p + POOL &&
		(h->freeblock - p - over) % size == 0);
}

struct groups {
	struct scan_group *v;
	size_t n, cap;
};

static int push_group(struct groups *g, struct scan_group x)
{
	if (g->n == g->cap) {
		size_t nc = g->cap ? 2 * g->cap : 64;
		struct scan_group *v = realloc(g->v, nc * sizeof(*v));

		if (!v)
			return -1;
		g->v = v;
		g->cap = nc;
	}
	g->v[g->n++] = x;
	return 0;
}

/* Runs of carved pools with one arena index, in every segment. */
static int scan_pools(struct pm *s, struct groups *g)
{
	for (size_t k = 0; k < s->img->n; k++) {
		const struct phi_segment *seg = &s->img->seg[k];
		struct scan_group *run = NULL;

		for (uint64_t p = (seg->start + POOL - 1) & ~(POOL - 1);
		     p + POOL <= seg->end; p += POOL) {
			struct pool_hdr h;

			if (!read_pool(s->img, s->lay, p, &h) ||
			    !carved(s->lay, p, &h)) {
				run = NULL;
				continue;
			}
			if (run && run->index == h.arenaindex &&
			    run->carved < POOLS_PER_ARENA &&
			    p == run->first_pool + run->carved * POOL) {
				run->carved++;
				continue;
			}
			if (push_group(g, (struct scan_group){ p, h.arenaindex,
							       1 }) < 0)
				return -1;
			run = &g->v[g->n - 1];
		}
	}
	return 0;
}

/* The segment of the image holding addr: libpython's data and .bss
 * (the copy merges adjacent mappings). */
static const struct phi_segment *segment_of(const struct phi_image *img,
					    uint64_t addr)
{
	for (size_t k = 0; k < img->n; k++)
		if (img->seg[k].start <= addr && addr < img->seg[k].end)
			return &img->seg[k];
	return NULL;
}

/* Does the array at v describe every group (base in the 16 KiB before
 * its first pool, pool_address right after its carved pools)? */
static bool array_matches(struct pm *s, uint64_t v, const struct groups *g,
			  uint32_t top)
{
	const struct phi_layout *lay = s->lay;
	uint64_t esize = (uint64_t)L(ARENA_OBJ_SIZE);
	const unsigned char *p = phi_image_ptr(s->img, v,
					       (uint64_t)(top + 1) * esize);

	if (!p)
		return false;
	for (size_t i = 0; i < g->n; i++) {
		const unsigned char *e = p + g->v[i].index * esize;
		uint64_t address, pool_address;
		uint32_t ntotal;

		memcpy(&address, e + L(ARENA_ADDRESS), 8);
		memcpy(&pool_address, e + L(ARENA_POOL_ADDRESS), 8);
		memcpy(&ntotal, e + L(ARENA_NTOTALPOOLS), 4);
		if (address + POOL <= g->v[i].first_pool ||
		    address > g->v[i].first_pool ||
		    pool_address != g->v[i].first_pool +
				    g->v[i].carved * POOL ||
		    ntotal != (address % POOL ? POOLS_PER_ARENA - 1 :
						POOLS_PER_ARENA))
			return false;
	}
	return true;
}

/* maxarenas: the array is (re)allocated with exactly maxarenas * 48
 * bytes, maxarenas doubling from 16, so its malloc chunk fixes it; with
 * the debug hooks on the raw domain the size precedes the block. */
static uint64_t maxarenas_from_block(struct pm *s, uint64_t v)
{
	uint64_t esize = (uint64_t)s->lay->v[PHI_L_ARENA_OBJ_SIZE];
	const unsigned char *pre = phi_image_ptr(s->img, v - 16, 16);
	uint64_t size, usable, n = 16;
	static const unsigned char pad[8] = { 'r', 0xfd, 0xfd, 0xfd,
					      0xfd, 0xfd, 0xfd, 0xfd };

	if (!pre)
		return 0;
	if (memcmp(pre + 8, pad, 8) == 0) {
		uint64_t nbytes = 0;

		for (int i = 0; i < 8; i++)
			nbytes = nbytes << 8 | pre[i];
		return nbytes % esize == 0 && nbytes / esize <= MAX_ARENAS ?
			       nbytes / esize : 0;
	}
	memcpy(&size, pre + 8, 8);
	usable = (size & ~7ULL) - ((size & 2) ? 16 : 8);
	if ((size & ~7ULL) < 32 || (size & ~7ULL) > (1ULL << 40))
		return 0;
	while (n * 2 * esize <= usable && n < MAX_ARENAS)
		n *= 2;
	return n * esize <= usable ? n : 0;
}

static uint64_t find_array(struct pm *s, const struct groups *g,
			   uint64_t *where)
{
	const struct phi_segment *seg = segment_of(s->img, s->runtime);
	uint32_t top = 0;
	uint64_t hit = 0;
	int hits = 0;

	if (!seg || !g->n)
		return 0;
	for (size_t i = 0; i < g->n; i++)
		if (g->v[i].index > top)
			top = g->v[i].index;
	if (top >= MAX_ARENAS)
		return 0;
	for (uint64_t a = (seg->start + 7) & ~7ULL; a + 8 <= seg->end; a += 8) {
		uint64_t v = phi_image_word(s->img, a);

		if (!v || (v & 15) || !array_matches(s, v, g, top))
			continue;
		hits++;
		hit = v;
		*where = a;
	}
	return hits == 1 ? hit : 0;
}

static int32_t tail_hi(const struct phi_image *img, uint64_t root,
		       uint64_t b, bool *ok)
{
	uint64_t mid = phi_image_word(img, root + 8 * ((b >> 38) & 1023));
	uint64_t bot = mid ? phi_image_word(img, mid + 8 * ((b >> 28) & 1023)) :
			     0;
	uint32_t v = 0;

	*ok = bot && phi_image_u32(img, bot + 8 * ((b >> 20) & 255), &v);
	return (int32_t)v;
}

/* arena_map_root: the 8 KiB array in libpython's .bss through which
 * every arena base B is marked (tail_hi of B's bottom entry is -1 for a
 * MiB-aligned B, else B's offset in its MiB). */
static bool root_maps_all(struct pm *s, uint64_t r)
{
	for (size_t i = 0; i < s->narenas; i++) {
		uint64_t b = s->arenas[i].address;
		bool ok;
		int32_t t = tail_hi(s->img, r, b, &ok);

		if (!ok || t != ((b & (ARENA - 1)) ? (int32_t)(b & (ARENA - 1))
						     : -1))
			return false;
	}
	return true;
}

/* Nodes are never freed in 3.10: the counters equal the non-NULL
 * pointers of the root and of the mid nodes. */
static bool count_nodes(struct pm *s, uint64_t root)
{
	struct phi_pymalloc *m = &s->out->pymalloc;
	const uint64_t *r = phi_image_ptr(s->img, root, 8 * 1024);

	if (!r)
		return false;
	m->map_mid = m->map_bot = 0;
	for (int i = 0; i < PHI_PYMALLOC_MAP_ROOT_ENTRIES; i++) {
		uint64_t mid;
		const uint64_t *p;

		memcpy(&mid, r + i, 8);
		if (!mid)
			continue;
		p = phi_image_ptr(s->img, mid,
				  8 * PHI_PYMALLOC_MAP_MID_ENTRIES);
		if (!p)
			return false;
		m->map_mid++;
		for (int j = 0; j < PHI_PYMALLOC_MAP_MID_ENTRIES; j++) {
			uint64_t bot;

			memcpy(&bot, p + j, 8);
			m->map_bot += bot != 0;
		}
	}
	return true;
}

static void find_radix(struct pm *s)
{
	const struct phi_segment *seg = segment_of(s->img, s->runtime);
	uint64_t hit = 0;
	int hits = 0;

	if (!seg || !s->narenas)
		return;
	for (uint64_t r = (seg->start + 7) & ~7ULL; r + 8192 <= seg->end;
	     r += 8) {
		if (root_maps_all(s, r)) {
			hit = r;
			hits++;
		}
	}
	if (hits == 1 && count_nodes(s, hit))
		s->out->pymalloc.have_map = true;
}

static int from_memory(struct pm *s, struct phi_error *err)
{
	struct groups g = { 0 };
	uint64_t arr, where = 0, maxarenas;
	int rc = 0;

	if (scan_pools(s, &g) < 0) {
		free(g.v);
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	}
	arr = find_array(s, &g, &where);
	maxarenas = arr ? maxarenas_from_block(s, arr) : 0;
	if (!arr || !maxarenas) {
		phi_gap_add(&s->out->gaps, "pymalloc arenas", -1, -1,
			    "no symbol for obmalloc's arena array, and %zu "
			    "arenas found in memory match no single array in "
			    "libpython's data: install the build's debug "
			    "symbols", g.n);
		free(g.v);
		return 1;
	}
	rc = read_arena_array(s, arr, maxarenas, err);
	if (rc == 0 && s->narenas != g.n)
		phi_gap_add(&s->out->gaps, "pymalloc arenas", -1, -1,
			    "the arena array lists %zu arenas, the pool "
			    "headers show %zu", s->narenas, g.n);
	free(g.v);
	s->out->pymalloc.method = PHI_PYMALLOC_SCAN;
	return rc;
}

/* ---- which allocator CPython itself would report -------------------- */

static void allocator_check(struct pm *s)
{
	const struct phi_layout *lay = s->lay;
	const uint64_t *sym = s->t->sym;
	struct phi_pymalloc *m = &s->out->pymalloc;
	uint32_t tracing = 0;
	uint64_t fn;

	m->tracemalloc = -1;
	if (sym[PHI_S_TRACEMALLOC_CONFIG] &&
	    phi_image_u32(s->img, sym[PHI_S_TRACEMALLOC_CONFIG] +
				  (uint64_t)L(TRACEMALLOC_TRACING), &tracing))
		m->tracemalloc = tracing != 0;
	if (!sym[PHI_S_OBJ_ALLOCATOR] || !sym[PHI_S_OBJECT_MALLOC])
		return;
	/* _PyMem_PymallocEnabled(): through the debug hooks, if on. */
	fn = phi_image_word(s->img, sym[PHI_S_OBJ_ALLOCATOR] +
				    (uint64_t)L(MEMALLOC_MALLOC));
	if (fn && fn == sym[PHI_S_DEBUG_MALLOC] && sym[PHI_S_MEM_DEBUG])
		fn = phi_image_word(s->img, sym[PHI_S_MEM_DEBUG] +
					    2 * (uint64_t)L(DEBUG_API_SIZE) +
					    (uint64_t)L(DEBUG_API_ALLOC) +
					    (uint64_t)L(MEMALLOC_MALLOC));
	if (!fn)
		return;
	m->known_prints = true;
	m->cpython_prints = fn == sym[PHI_S_OBJECT_MALLOC];
}

/* ---- with the statics ----------------------------------------------- */

static int from_symbols(struct pm *s, struct phi_error *err)
{
	const uint64_t *sym = s->t->sym;
	struct phi_pymalloc *m = &s->out->pymalloc;
	uint64_t arr = 0;
	uint32_t maxarenas = 0, mid = 0, bot = 0;
	int rc;

	if (!phi_image_u64(s->img, sym[PHI_S_ARENAS], &arr) ||
	    !phi_image_u32(s->img, sym[PHI_S_MAXARENAS], &maxarenas)) {
		phi_gap_add(&s->out->gaps, "pymalloc arenas", -1, -1,
			    "obmalloc's statics are not in the image");
		return 1;
	}
	if (arr == 0 && maxarenas != 0) {
		phi_gap_add(&s->out->gaps, "pymalloc arenas", -1, -1,
			    "obmalloc says %u arenas but has no array",
			    maxarenas);
		return 1;
	}
	rc = read_arena_array(s, arr, maxarenas, err);
	if (rc != 0)
		return rc;
	m->method = PHI_PYMALLOC_SYMBOLS;
	m->have_counters =
		sym[PHI_S_NTIMES_ARENA] && sym[PHI_S_NARENAS_HIGHWATER] &&
		phi_image_u64(s->img, sym[PHI_S_NTIMES_ARENA],
			      &m->ntimes_allocated) &&
		phi_image_u64(s->img, sym[PHI_S_NARENAS_HIGHWATER],
			      &m->highwater);
	if (sym[PHI_S_MAP_MID_COUNT] && sym[PHI_S_MAP_BOT_COUNT] &&
	    phi_image_u32(s->img, sym[PHI_S_MAP_MID_COUNT], &mid) &&
	    phi_image_u32(s->img, sym[PHI_S_MAP_BOT_COUNT], &bot) &&
	    (int32_t)mid >= 0 && (int32_t)bot >= 0) {
		m->have_map = true;
		m->map_mid = mid;
		m->map_bot = bot;
	} else {
		find_radix(s);
	}
	return 0;
}

static void init_classes(struct phi_pymalloc *m)
{
	m->threshold = PHI_PYMALLOC_THRESHOLD;
	m->nclasses = PHI_PYMALLOC_CLASSES;
	m->pool_size = POOL;
	m->arena_size = ARENA;
	m->map_root_bytes = 8 * PHI_PYMALLOC_MAP_ROOT_ENTRIES;
	m->map_mid_bytes = 8 * PHI_PYMALLOC_MAP_MID_ENTRIES;
	m->map_bot_bytes = PHI_PYMALLOC_MAP_BOT_SIZE;
	for (uint32_t i = 0; i < m->nclasses; i++)
		m->cls[i].size = (i + 1) * PHI_PYMALLOC_ALIGNMENT;
}

int phi310_pymalloc(const struct phi_python *py, const struct phi_image *img,
		    struct phi_pymemory *out, struct phi_error *err)
{
	struct pm s = { .img = img, .lay = phi310_layout(py),
			.t = phi310(py), .runtime = py->runtime, .out = out };
	struct phi_pymalloc *m = &out->pymalloc;
	int rc;

	init_classes(m);
	allocator_check(&s);
	if (s.t->sym[PHI_S_ARENAS] && s.t->sym[PHI_S_MAXARENAS])
		rc = from_symbols(&s, err);
	else
		rc = from_memory(&s, err);
	if (rc < 0 || (rc > 0 && !s.arenas)) {
		free(s.arenas);
		return rc < 0 ? rc : 0;
	}
	if (m->method == PHI_PYMALLOC_SCAN)
		find_radix(&s);
	if (!m->have_counters)
		phi_gap_add(&out->gaps, "pymalloc arena counters", -1, -1,
			    "'# arenas allocated total', '# arenas reclaimed' "
			    "and '# arenas highwater mark' live only in "
			    "obmalloc's statics, which this build's symbols "
			    "do not name: install its debug symbols");
	if (!m->have_map)
		phi_gap_add(&out->gaps, "pymalloc arena map", -1, -1,
			    "the arena map's root was not found: its counts "
			    "are unknown");
	count_pools(&s);
	totals(&s);
	rc = keep_ranges(&s, err);
	free(s.arenas);
	return rc;
}

/* ---- per block ------------------------------------------------------ */

uint64_t phi310_pymalloc_block(const struct phi_image *img,
			       const struct phi_layout *lay,
			       const struct phi_pymalloc *m, uint64_t addr)
{
	size_t lo = 0, hi = m->narenas;
	uint64_t pool = addr & ~(POOL - 1);
	struct pool_hdr h;

	if (!m->arenas)
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->arenas[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == m->narenas || m->arenas[lo].start > addr ||
	    pool < m->arenas[lo].start || !read_pool(img, lay, pool, &h) ||
	    h.count == 0 || h.szidx >= m->nclasses ||
	    addr < pool + pool_overhead(lay))
		return 0;
	return (uint64_t)(h.szidx + 1) * PHI_PYMALLOC_ALIGNMENT;
}

uint64_t phi310_request_cost(uint64_t n)
{
	if (n == 0)
		n = 1;
	if (n <= PHI_PYMALLOC_THRESHOLD)
		return (n + PHI_PYMALLOC_ALIGNMENT - 1) &
		       ~(uint64_t)(PHI_PYMALLOC_ALIGNMENT - 1);
	/* glibc: the request and the size field, 16-aligned, 32 at least. */
	n = (n + 8 + 15) & ~15ULL;
	return n < 32 ? 32 : n;
}

/* ---- the table entry ------------------------------------------------ */

int phi310_memory(const struct phi_python *py, const struct phi_image *img,
		  const struct phi_runtime *rt, struct phi_pymemory *out,
		  struct phi_error *err)
{
	int rc;

	memset(out, 0, sizeof(*out));
	rc = phi310_pymalloc(py, img, out, err);
	if (rc < 0)
		return rc;
	phi310_free_lists(py, img, rt->interp_main, out);
	phi310_gc_state(py, img, rt->interp_main, out);
	return 0;
}
