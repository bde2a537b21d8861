/* glibc malloc from the image: the ring of arenas from main_arena, each
 * arena's top chunk, fastbins and bins walked as int_mallinfo walks them
 * (malloc.c of glibc 2.36), so that the totals are mallinfo2()'s and the
 * per-arena figures malloc_stats()'.  main_arena and mp_ are local
 * symbols: they come from libc's debug file (found by build-id, as
 * Debian's libc6-dbg installs it) with its DWARF layouts; without it,
 * for a libc that says it is 2.36, they are found by their contents
 * with the built-in 2.36 layouts.  Every walk is bounded and every
 * chunk pointer checked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/debuginfo/debugfile.h"
#include "pyheapinspect/debuginfo/dwarf.h"
#include "pyheapinspect/debuginfo/elfsym.h"
#include "pyheapinspect/native/native.h"
#include "internal.h"

/* X(id, struct, member or NULL for sizeof, glibc 2.36 x86-64 value) */
#define GLIBC_FIELDS(X)                                                  \
	X(MS_FASTBINS, "malloc_state", "fastbinsY", 16)                  \
	X(MS_TOP, "malloc_state", "top", 96)                             \
	X(MS_BINS, "malloc_state", "bins", 112)                          \
	X(MS_NEXT, "malloc_state", "next", 2160)                         \
	X(MS_SYSTEM_MEM, "malloc_state", "system_mem", 2184)             \
	X(MS_MAX_SYSTEM_MEM, "malloc_state", "max_system_mem", 2192)     \
	X(MS_SIZE, "malloc_state", NULL, 2200)                           \
	X(MP_HP_PAGESIZE, "malloc_par", "hp_pagesize", 48)               \
	X(MP_N_MMAPS, "malloc_par", "n_mmaps", 60)                       \
	X(MP_MAX_N_MMAPS, "malloc_par", "max_n_mmaps", 68)               \
	X(MP_MMAPPED_MEM, "malloc_par", "mmapped_mem", 80)               \
	X(MP_MAX_MMAPPED_MEM, "malloc_par", "max_mmapped_mem", 88)       \
	X(MP_SBRK_BASE, "malloc_par", "sbrk_base", 96)                   \
	X(MP_TCACHE_BINS, "malloc_par", "tcache_bins", 104)              \
	X(MP_TCACHE_MAX_BYTES, "malloc_par", "tcache_max_bytes", 112)    \
	X(MP_TCACHE_COUNT, "malloc_par", "tcache_count", 120)            \
	X(MP_SIZE, "malloc_par", NULL, 136)                              \
	X(CH_SIZE, "malloc_chunk", "mchunk_size", 8)                     \
	X(CH_FD, "malloc_chunk", "fd", 16)                               \
	X(CH_BK, "malloc_chunk", "bk", 24)                               \
	X(HI_AR_PTR, "_heap_info", "ar_ptr", 0)                          \
	X(HI_PREV, "_heap_info", "prev", 8)                              \
	X(HI_SIZE, "_heap_info", "size", 16)                             \
	X(PT_TID, "pthread", "tid", 720)                                 \
	X(PT_STACKBLOCK, "pthread", "stackblock", 1680)                  \
	X(PT_STACKBLOCK_SIZE, "pthread", "stackblock_size", 1688)        \
	X(PT_SIZE, "pthread", NULL, 2368)

enum {
#define GL_ENUM(id, t, m, v) GL_##id,
	GLIBC_FIELDS(GL_ENUM)
#undef GL_ENUM
	GL__COUNT
};

static const struct {
	const char *type, *member;
	int64_t builtin;
} fields[GL__COUNT] = {
#define GL_DESC(id, t, m, v) [GL_##id] = { t, m, v },
	GLIBC_FIELDS(GL_DESC)
#undef GL_DESC
};

#define F(id) ((uint64_t)g->lay[GL_##id])
#define NFASTBINS 10
#define NBINS 128
#define SIZE_BITS 7ULL
#define HEAP_MAX_DEFAULT (64ULL << 20)
#define MAX_ARENAS 4096
#define MAX_CHUNKS 10000000ULL

struct glibc {
	const struct phi_image *img;
	int64_t lay[GL__COUNT];
	uint64_t main_arena, mp;
	struct phi_malloc *m;
	uint64_t budget;          /* chunks still to walk */
};

static uint64_t rd(const struct glibc *g, uint64_t a, bool *ok)
{
	uint64_t v = 0;

	if (!phi_image_u64(g->img, a, &v))
		*ok = false;
	return v;
}

static uint64_t chunksize(const struct glibc *g, uint64_t p, bool *ok)
{
	return rd(g, p + F(CH_SIZE), ok) & ~SIZE_BITS;
}

/* int_mallinfo(av) for one arena. */
static bool arena_info(struct glibc *g, uint64_t av, struct phi_malloc_arena *a)
{
	bool ok = true;
	uint64_t top = rd(g, av + F(MS_TOP), &ok);
	uint64_t avail = chunksize(g, top, &ok), nblocks = 1;

	memset(a, 0, sizeof(*a));
	a->addr = av;
	a->top = avail;
	for (int i = 0; i < NFASTBINS && ok; i++) {
		uint64_t p = rd(g, av + F(MS_FASTBINS) + 8 * (uint64_t)i, &ok);

		while (p && ok) {
			if ((p & 15) || !g->budget--)
				return false;
			a->fast_chunks++;
			a->free_fast += chunksize(g, p, &ok);
			/* REVEAL_PTR: safe-linking, malloc.c 340-346 */
			p = ((p + F(CH_FD)) >> 12) ^ rd(g, p + F(CH_FD), &ok);
		}
	}
	for (int i = 1; i < NBINS && ok; i++) {
		uint64_t b = av + F(MS_BINS) + (uint64_t)(i - 1) * 16 -
			     F(CH_FD);
		uint64_t p = rd(g, b + F(CH_BK), &ok);

		while (p != b && ok) {
			if ((p & 15) || !g->budget--)
				return false;
			a->free_chunks++;
			a->free_bins += chunksize(g, p, &ok);
			p = rd(g, p + F(CH_BK), &ok);
		}
	}
	nblocks += a->free_chunks;
	avail += a->free_fast + a->free_bins;
	a->system = rd(g, av + F(MS_SYSTEM_MEM), &ok);
	if (!ok || avail > a->system + a->top)
		return false;
	a->in_use = a->system - avail;
	g->m->mi.smblks += a->fast_chunks;
	g->m->mi.ordblks += nblocks;
	g->m->mi.fordblks += avail;
	g->m->mi.uordblks += a->in_use;
	g->m->mi.arena += a->system;
	g->m->mi.fsmblks += a->free_fast;
	if (av == g->main_arena)
		g->m->mi.keepcost = a->top;
	return true;
}

/* A thread arena's heaps: heap_info at heap_max-aligned bases from the
 * one holding top (arena.c heap_for_ptr), through prev. */
static bool arena_heaps(struct glibc *g, uint64_t av, uint64_t heap_max,
			struct phi_malloc_arena *a)
{
	bool ok = true;
	uint64_t top = rd(g, av + F(MS_TOP), &ok);
	uint64_t h = top & ~(heap_max - 1);

	for (int n = 0; h && ok && n < MAX_ARENAS; n++) {
		if (rd(g, h + F(HI_AR_PTR), &ok) != av || !ok)
			return false;
		if (phi_native_range_add(&g->m->heaps, h, h + heap_max) < 0)
			return false;
		a->heaps++;
		h = rd(g, h + F(HI_PREV), &ok);
	}
	return ok && !h;
}

static int walk_arenas(struct glibc *g, struct phi_error *err)
{
	struct phi_malloc *m = g->m;
	bool ok = true;
	uint64_t hp = rd(g, g->mp + F(MP_HP_PAGESIZE), &ok);
	uint64_t heap_max = hp ? 4 * hp : HEAP_MAX_DEFAULT;
	uint64_t av = g->main_arena;
	uint32_t u32 = 0;

	m->mmapped_mem = rd(g, g->mp + F(MP_MMAPPED_MEM), &ok);
	m->sbrk_base = rd(g, g->mp + F(MP_SBRK_BASE), &ok);
	m->max_mmapped_mem = rd(g, g->mp + F(MP_MAX_MMAPPED_MEM), &ok);
	ok = ok && phi_image_u32(g->img, g->mp + F(MP_N_MMAPS), &u32);
	m->n_mmaps = (uint32_t)(int32_t)u32;
	ok = ok && phi_image_u32(g->img, g->mp + F(MP_MAX_N_MMAPS), &u32);
	m->max_n_mmaps = u32;
	if (!ok || (heap_max & (heap_max - 1)))
		return 1;
	m->arenas = calloc(MAX_ARENAS, sizeof(*m->arenas));
	if (!m->arenas)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	g->budget = MAX_CHUNKS;
	do {
		struct phi_malloc_arena *a = &m->arenas[m->narenas];

		if (m->narenas == MAX_ARENAS || !arena_info(g, av, a) ||
		    (av != g->main_arena && !arena_heaps(g, av, heap_max, a)))
			return 1;
		m->narenas++;
		av = rd(g, av + F(MS_NEXT), &ok);
	} while (ok && av != g->main_arena);
	if (!ok)
		return 1;
	m->mi.hblks = m->n_mmaps;
	m->mi.hblkhd = m->mmapped_mem;
	return 0;
}

/* ---- finding libc and its debug file -------------------------------- */

static const struct phi_map *libc_map(const struct phi_source *src)
{
	for (size_t i = 0; i < src->maps.n; i++) {
		const struct phi_map *mp = &src->maps.v[i];
		const char *base = strrchr(mp->path, '/');

		if (mp->offset == 0 && base &&
		    strncmp(base, "/libc.so", 8) == 0)
			return mp;
	}
	return NULL;
}

static void builtin_layout(struct glibc *g)
{
	for (int i = 0; i < GL__COUNT; i++)
		g->lay[i] = fields[i].builtin;
}

/* libc's debug file, matched by build-id (or debuglink and CRC) like
 * the interpreter's (debuginfo/debugfile.h): in the target's root first,
 * then on the host.  False when there is none that matches. */
static bool find_debug(const char *path, const char *mapped_as,
		       const char *root, struct phi_debugfile *df)
{
	struct phi_debug_search search = { root, NULL, 0 };
	struct phi_debug_want w;
	struct phi_elf e;

	if (phi_elf_open(&e, path, NULL) < 0)
		return false;
	phi_debug_want_of(&e, mapped_as, &w);
	phi_elf_close(&e);
	return phi_debugfile_find(&w, &search, df);
}

/* Layouts from libc's DWARF and main_arena and mp_ from the debug
 * file's .symtab; 1 when there is no debug file. */
static int from_debug(struct glibc *g, const char *path, const char *mapped,
		      const char *root, uint64_t bias)
{
	struct phi_dwarf_query q[GL__COUNT];
	struct phi_sym_query s[3] = { { .name = "main_arena" },
				      { .name = "mp_" }, { .name = "tcache" } };
	struct phi_debugfile df;
	struct phi_elf e;
	struct phi_error e2 = { 0 };
	int rc = 1;

	if (!find_debug(path, mapped, root, &df))
		return 1;
	snprintf(g->m->debug_file, sizeof(g->m->debug_file), "%s", df.shown);
	/* malloc's own structs are defined in malloc.c alone (arena.c is
	 * included there): the other units' DIEs (723 of them before it in
	 * Debian's libc) are not read for them. */
	for (int i = 0; i < GL__COUNT; i++)
		q[i] = (struct phi_dwarf_query){
			.type_name = fields[i].type,
			.member = fields[i].member,
			.cu_suffix = strcmp(fields[i].type, "pthread") ?
					     "malloc.c" : NULL };
	if (phi_dwarf_resolve(df.path, q, GL__COUNT, NULL, 0, &e2) < 0 ||
	    phi_elf_open(&e, df.path, &e2) < 0)
		goto out;
	for (int i = 0; i < GL__COUNT; i++)
		if (q[i].found)
			g->lay[i] = q[i].value;
	phi_elf_lookup(&e, s, 3);
	phi_elf_close(&e);
	if (!s[0].found || !s[1].found)
		goto out;
	g->main_arena = s[0].value + bias;
	g->mp = s[1].value + bias;
	g->m->tcache_tls = (int64_t)s[2].value;
	g->m->tcache_tls_known = s[2].found;
	rc = 0;
out:
	phi_debugfile_close(&df);
	return rc;
}

/* Does libc say it is 2.36 ("release version 2.36" in its banner)? */
static bool is_236(const char *path)
{
	static const char want[] = "release version 2.36";
	FILE *f = fopen(path, "re");
	char buf[1 << 16];
	size_t n, keep = 0;
	bool found = false;

	if (!f)
		return false;
	while (!found && (n = fread(buf + keep, 1, sizeof(buf) - keep, f))) {
		n += keep;
		found = memmem(buf, n, want, sizeof(want) - 1) != NULL;
		keep = sizeof(want);
		memmove(buf, buf + n - keep, keep);
	}
	fclose(f);
	return found;
}

/* Everything that comes from libc's files (its mapping, its load bias,
 * its debug file's layouts and symbols, whether it says it is 2.36),
 * none of it from the image. */
void phi_native_prepare_begin(struct phi_native_libc *l,
			      const struct phi_source *src)
{
	const struct phi_map *lm = libc_map(src);

	memset(l, 0, sizeof(*l));
	l->ready = true;
	_Static_assert(GL__COUNT <= PHI_NATIVE_LAYOUT_MAX, "layout table");
	if (!src->maps.n)
		return;
	if (!lm) {
		snprintf(l->gap, sizeof(l->gap), "no glibc mapped (or no "
			 "mappings: a snapshot keeps none)");
		return;
	}
	l->mapped = true;
	snprintf(l->libc, sizeof(l->libc), "%s", lm->path);
	l->map = *lm;
	l->map.path = l->libc;
}

void phi_native_prepare_finish(struct phi_native_libc *l,
			       struct phi_source *src)
{
	struct glibc g = { .lay = { 0 } };
	struct phi_malloc m = { .method = PHI_MALLOC_NONE };
	const struct phi_map *lm = &l->map;
	struct phi_error err = { 0 };
	struct phi_elf e;
	int rc;

	if (!l->mapped)
		return;
	if (phi_source_file(src, lm, l->path, sizeof(l->path), &err) < 0 ||
	    phi_elf_open(&e, l->path, &err) < 0) {
		snprintf(l->gap, sizeof(l->gap), "'%s' cannot be opened",
			 lm->path);
		return;
	}
	rc = phi_elf_load_bias(&e, lm->start, lm->offset, &l->bias, &err);
	l->start = lm->start;
	l->offset = lm->offset;
	l->located = true;
	phi_elf_close(&e);
	if (rc < 0) {
		snprintf(l->gap, sizeof(l->gap), "'%s' has no load segment "
			 "at its mapping", lm->path);
		return;
	}
	g.m = &m;
	builtin_layout(&g);
	/* Tests only: as if libc had no debug file. */
	if (!getenv("PYHEAPINSPECT_TEST_NO_LIBC_DEBUG") &&
	    from_debug(&g, l->path, lm->path, src->root, l->bias) == 0) {
		l->debug = true;
		memcpy(l->lay, g.lay, sizeof(g.lay));
		l->main_arena = g.main_arena;
		l->mp = g.mp;
		l->tcache_tls = m.tcache_tls;
		l->tcache_tls_known = m.tcache_tls_known;
		snprintf(l->debug_file, sizeof(l->debug_file), "%s",
			 m.debug_file);
	} else {
		l->is_236 = is_236(l->path);
	}
}

int phi_native_prepare(struct phi_native_libc *l, struct phi_source *src)
{
	phi_native_prepare_begin(l, src);
	phi_native_prepare_finish(l, src);
	return 0;
}

int phi_native_glibc(struct phi_malloc *m, struct phi_source *src,
		     const struct phi_image *img,
		     const struct phi_native_libc *l, struct phi_error *err)
{
	struct glibc g = { .img = img, .m = m };
	int rc;

	builtin_layout(&g);
	if (l->mapped)
		snprintf(m->libc, sizeof(m->libc), "%s", l->libc);
	if (l->located) {
		m->libc_bias = l->bias;
		m->libc_start = l->start;
		m->libc_offset = l->offset;
	}
	if (l->gap[0]) {
		phi_gap_add(&m->gaps, "malloc", -1, -1, "%s", l->gap);
		return 0;
	}
	if (l->debug) {
		memcpy(g.lay, l->lay, sizeof(g.lay));
		g.main_arena = l->main_arena;
		g.mp = l->mp;
		m->tcache_tls = l->tcache_tls;
		m->tcache_tls_known = l->tcache_tls_known;
		snprintf(m->debug_file, sizeof(m->debug_file), "%s",
			 l->debug_file);
		m->method = PHI_MALLOC_DEBUGINFO;
	} else {
		m->debug_file[0] = '\0';
		if (!l->is_236 ||
		    phi_native_find_arena(img, src, m->libc, g.lay[GL_MS_BINS],
					  g.lay[GL_MS_TOP],
					  g.lay[GL_MS_SYSTEM_MEM],
					  g.lay[GL_MS_NEXT],
					  g.lay[GL_MP_SBRK_BASE],
					  &g.main_arena, &g.mp) != 0) {
			phi_gap_add(&m->gaps, "malloc", -1, -1,
				    "no debug file for '%s' (install libc6-dbg)"
				    " and its arenas cannot be found without "
				    "it: the malloc heap is shown by its "
				    "resident size only", m->libc);
			return 0;
		}
		m->method = PHI_MALLOC_BUILTIN;
	}
	rc = walk_arenas(&g, err);
	if (rc < 0)
		return rc;
	if (rc > 0) {
		free(m->arenas);
		m->arenas = NULL;
		m->narenas = 0;
		memset(&m->mi, 0, sizeof(m->mi));
		m->method = PHI_MALLOC_NONE;
		phi_gap_add(&m->gaps, "malloc", -1, -1, "glibc's arenas could "
			    "not be walked whole (torn or corrupt memory)");
	}
	return 0;
}

int64_t phi_native_pthread_field(int which)
{
	switch (which) {
	case 0: return fields[GL_PT_TID].builtin;
	case 1: return fields[GL_PT_STACKBLOCK].builtin;
	case 2: return fields[GL_PT_STACKBLOCK_SIZE].builtin;
	default: return fields[GL_PT_SIZE].builtin;
	}
}

static unsigned u32trunc(uint64_t v)
{
	return (unsigned)(v & 0xffffffffu);
}

void phi_native_malloc_stats(const struct phi_malloc *m, char *buf,
			     size_t len)
{
	unsigned system_b = u32trunc(m->mmapped_mem), in_use_b = system_b;
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < m->narenas && used < len; i++) {
		const struct phi_malloc_arena *a = &m->arenas[i];

		used += (size_t)snprintf(buf + used, len - used,
					 "Arena %zu:\nsystem bytes     = %10u\n"
					 "in use bytes     = %10u\n", i,
					 u32trunc(a->system),
					 u32trunc(a->in_use));
		system_b += u32trunc(a->system);
		in_use_b += u32trunc(a->in_use);
	}
	if (used < len)
		snprintf(buf + used, len - used, "Total (incl. mmap):\n"
			 "system bytes     = %10u\nin use bytes     = %10u\n"
			 "max mmap regions = %10u\nmax mmap bytes   = %10lu\n",
			 system_b, in_use_b, u32trunc(m->max_n_mmaps),
			 (unsigned long)m->max_mmapped_mem);
}
