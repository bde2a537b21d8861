/* The native side of the mappings: which ranges hold the ELF objects
 * (their file mappings and the anonymous .bss after them, up to the end
 * of their last PT_LOAD: the kernel may merge a neighbour into that
 * mapping), the thread stacks (each struct pthread says where its stack
 * is: found in memory, where its first and third words point at itself),
 * and glibc's chunks in mappings of their own (a page that starts with a
 * chunk header flagged IS_MMAPPED), checked against mp_'s counts. */
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/debuginfo/elfsym.h"
#include "internal.h"

#define PAGE 4096ULL
#define MAX_STACK_MAPPING (16ULL << 20)
#define MAX_RANGES (1u << 20)

int phi_native_range_add(struct phi_native_ranges *r, uint64_t start,
			 uint64_t end)
{
	if (r->n == r->cap) {
		size_t nc = r->cap ? 2 * r->cap : 64;
		struct phi_native_range *v;

		if (nc > MAX_RANGES)
			return -1;
		v = realloc(r->v, nc * sizeof(*v));
		if (!v)
			return -1;
		r->v = v;
		r->cap = nc;
	}
	r->v[r->n++] = (struct phi_native_range){ start, end };
	return 0;
}

static bool is_anon(const struct phi_map *m)
{
	return !m->path[0];
}

/* ---- ELF objects ---------------------------------------------------- */

static bool elf_magic(const struct phi_image *img, const struct phi_map *m)
{
	const unsigned char *p = phi_image_ptr(img, m->start, 4);

	return p && m->offset == 0 && memcmp(p, "\177ELF", 4) == 0;
}

/* The end of the object's .bss in memory, or 0. */
static uint64_t bss_end(struct phi_source *src, const struct phi_map *first)
{
	char path[PATH_MAX];
	struct phi_error err = { 0 };
	struct phi_elf e;
	uint64_t end = 0, bias = 0;

	if (phi_source_file(src, first, path, sizeof(path), &err) < 0 ||
	    phi_elf_open(&e, path, &err) < 0)
		return 0;
	if (phi_elf_load_bias(&e, first->start, first->offset, &bias,
			      &err) < 0 || phi_elf_load_end(&e, &end) < 0)
		end = 0;
	phi_elf_close(&e);
	return end ? (end + bias + PAGE - 1) & ~(PAGE - 1) : 0;
}

static int elf_ranges(struct phi_malloc *m, struct phi_source *src,
		      const struct phi_image *img)
{
	const struct phi_maps *maps = &src->maps;

	for (size_t i = 0; i < maps->n; i++) {
		const struct phi_map *f = &maps->v[i];
		uint64_t end = 0;
		size_t j;

		if (strncmp(f->path, "[v", 2) == 0) {
			if (phi_native_range_add(&m->elf, f->start, f->end) < 0)
				return -1;
			continue;
		}
		if (!phi_map_is_file(f) || !elf_magic(img, f))
			continue;
		/* Its mappings follow in order, under the same path. */
		for (j = i;
		     j < maps->n && strcmp(maps->v[j].path, f->path) == 0; j++)
			if (phi_native_range_add(&m->elf, maps->v[j].start,
						 maps->v[j].end) < 0)
				return -1;
		if (j < maps->n && is_anon(&maps->v[j]) &&
		    maps->v[j].start == maps->v[j - 1].end &&
		    (end = bss_end(src, f)) > maps->v[j].start) {
			uint64_t e = end < maps->v[j].end ? end :
							     maps->v[j].end;

			if (phi_native_range_add(&m->elf, maps->v[j].start,
						 e) < 0)
				return -1;
		}
		i = j - 1;
	}
	return 0;
}

/* ---- what the target wrote ------------------------------------------ */

/* The first address from a (page aligned) up to end that the capture
 * read, or end.  A struct pthread or a chunk header is something the
 * target wrote, so it lies in a page the copy read; the other pages of
 * a mapping hold zeros in the image (or are absent), where the scans
 * below find nothing: skipping them gives the same result without
 * faulting in the address space of every idle thread's stack (2.4 GB
 * with 300 threads).  An image with no record of its reads is read
 * whole. */
static uint64_t next_written(const struct phi_image *img, uint64_t a,
			     uint64_t end)
{
	size_t i;

	if (!img->nfilled)
		return a;
	i = phi_image_filled_after(img, a);
	if (i == img->nfilled || img->filled[i].start >= end)
		return end;
	return img->filled[i].start > a ? img->filled[i].start : a;
}

/* The end of the read part that holds a (next_written's answer), at
 * most end. */
static uint64_t written_end(const struct phi_image *img, uint64_t a,
			    uint64_t end)
{
	size_t i;

	if (!img->nfilled)
		return end;
	i = phi_image_filled_after(img, a);
	return i < img->nfilled && img->filled[i].end < end ?
		       img->filled[i].end : end;
}

/* ---- thread stacks -------------------------------------------------- */

/* The struct pthreads in the read part [from, to) of mapping mp (held
 * whole at p): the words at a and a + 16 point at a. */
static int pthreads_in(struct phi_malloc *m, const struct phi_map *mp,
		       const unsigned char *p, uint64_t from, uint64_t to,
		       int64_t sb, int64_t sbs)
{
	uint64_t len = mp->end - mp->start;

	for (uint64_t off = from - mp->start;
	     mp->start + off < to && off + (uint64_t)sbs + 8 <= len;
	     off += 64) {
		uint64_t a = mp->start + off, w0, w2, base, size;

		memcpy(&w0, p + off, 8);
		memcpy(&w2, p + off + 16, 8);
		if (w0 != a || w2 != a)
			continue;
		memcpy(&base, p + off + sb, 8);
		memcpy(&size, p + off + sbs, 8);
		/* The main thread's has no stack block ([stack]). */
		if (base && (base > a || a >= base + size ||
			     size > (1ULL << 32)))
			continue;
		m->threads++;
		if (phi_native_range_add(&m->tps, a, a + 1) < 0 ||
		    (base && phi_native_range_add(&m->stacks, base,
						  base + size) < 0))
			return -1;
	}
	return 0;
}

static int stacks(struct phi_malloc *m, const struct phi_source *src,
		  const struct phi_image *img)
{
	int64_t sb = phi_native_pthread_field(1);
	int64_t sbs = phi_native_pthread_field(2);

	for (size_t i = 0; i < src->maps.n; i++) {
		const struct phi_map *mp = &src->maps.v[i];
		uint64_t len = mp->end - mp->start;
		const unsigned char *p;

		if (strcmp(mp->path, "[stack]") == 0) {
			if (phi_native_range_add(&m->stacks, mp->start,
						 mp->end) < 0)
				return -1;
			continue;
		}
		if (!is_anon(mp) || len > MAX_STACK_MAPPING ||
		    !(p = phi_image_ptr(img, mp->start, len)))
			continue;
		for (uint64_t a = next_written(img, mp->start, mp->end);
		     a < mp->end; a = next_written(img, a, mp->end)) {
			uint64_t to = written_end(img, a, mp->end);

			if (pthreads_in(m, mp, p, a, to, sb, sbs) < 0)
				return -1;
			a = to;
		}
	}
	return 0;
}

/* ---- the threads' tcaches ------------------------------------------- */

#define MAX_SLOTS 256
#define TCACHE_BINS 64
#define TCACHE_STRUCT 0x290

/* The tcache of the thread whose pointer is tp, through the GOT slot's
 * tp-relative offset; 0 when it is not a tcache_perthread_struct (a
 * malloc chunk of 0x290 bytes). */
static uint64_t tcache_of(const struct phi_image *img, uint64_t tp,
			  int64_t off)
{
	uint64_t tc = phi_image_word(img, tp + (uint64_t)off), size = 0;

	if (!tc || (tc & 15) || !phi_image_u64(img, tc - 8, &size) ||
	    (size & ~7ULL) != TCACHE_STRUCT)
		return 0;
	return tc;
}

static void count_tcache(struct phi_malloc *m, const struct phi_image *img,
			 uint64_t tc)
{
	const uint16_t *c = phi_image_ptr(img, tc, 2 * TCACHE_BINS);

	for (int i = 0; c && i < TCACHE_BINS; i++) {
		uint16_t n;

		memcpy(&n, c + i, 2);
		m->tcache_chunks += n;
		m->tcache_bytes += (uint64_t)n * (32 + 16 * (uint64_t)i);
	}
}

/* libc reaches `tcache` through a TPOFF64 GOT slot: with the debug file
 * the slot of its TLS offset, else the slot whose variable holds the main
 * thread's tcache (the first chunk of [heap], malloc.c tcache_init). */
static void tcaches(struct phi_malloc *m, struct phi_source *src,
		    const struct phi_image *img)
{
	uint64_t slot[MAX_SLOTS];
	int64_t addend[MAX_SLOTS], off = 0;
	struct phi_error err = { 0 };
	char path[PATH_MAX];
	struct phi_map lm = { .start = m->libc_start, .offset = m->libc_offset,
			      .path = m->libc };
	struct phi_elf e;
	size_t n;
	bool found = false;

	if (m->method == PHI_MALLOC_NONE || !m->tps.n ||
	    phi_source_file(src, &lm, path, sizeof(path), &err) < 0 ||
	    phi_elf_open(&e, path, &err) < 0)
		return;
	n = phi_elf_tpoff_slots(&e, slot, addend, MAX_SLOTS);
	phi_elf_close(&e);
	for (size_t i = 0; i < n && !found; i++) {
		if (m->tcache_tls_known && addend[i] != m->tcache_tls)
			continue;
		off = (int64_t)phi_image_word(img, slot[i] + m->libc_bias);
		for (size_t k = 0; k < m->tps.n && !found; k++) {
			uint64_t tc = tcache_of(img, m->tps.v[k].start, off);

			found = m->tcache_tls_known ?
					tc != 0 : tc == m->sbrk_base + 16;
		}
	}
	if (!found)
		return;
	m->have_tcache = true;
	for (size_t k = 0; k < m->tps.n; k++) {
		uint64_t tc = tcache_of(img, m->tps.v[k].start, off);

		if (tc)
			count_tcache(m, img, tc);
	}
}

/* ---- chunks in mappings of their own -------------------------------- */

static bool covered(const struct phi_native_ranges *r, uint64_t a,
		    uint64_t *skip_to)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].start <= a && a < r->v[i].end) {
			*skip_to = r->v[i].end;
			return true;
		}
	return false;
}

static bool excluded(const struct phi_malloc *m,
		     const struct phi_native_range *x, size_t nx, uint64_t a,
		     uint64_t *skip_to)
{
	for (size_t i = 0; i < nx; i++)
		if (x[i].start <= a && a < x[i].end) {
			*skip_to = x[i].end;
			return true;
		}
	return covered(&m->heaps, a, skip_to) ||
	       covered(&m->stacks, a, skip_to) || covered(&m->elf, a, skip_to);
}

static int mmapped(struct phi_malloc *m, const struct phi_source *src,
		   const struct phi_image *img,
		   const struct phi_native_range *x, size_t nx)
{
	uint64_t found = 0, bytes = 0;

	for (size_t i = 0; i < src->maps.n; i++) {
		const struct phi_map *mp = &src->maps.v[i];

		if (!is_anon(mp) || !(mp->perms & PHI_MAP_W))
			continue;
		for (uint64_t a = mp->start; a + 16 <= mp->end;) {
			uint64_t skip = 0, hdr[2];
			const void *p;

			if (excluded(m, x, nx, a, &skip)) {
				a = (skip + PAGE - 1) & ~(PAGE - 1);
				continue;
			}
			if ((skip = next_written(img, a, mp->end)) != a) {
				a = skip;
				continue;
			}
			p = phi_image_ptr(img, a, 16);
			if (p) {
				uint64_t total;

				memcpy(hdr, p, 16);
				total = hdr[0] + (hdr[1] & ~7ULL);
				if ((hdr[1] & 7) == 2 && hdr[0] < PAGE &&
				    !(hdr[0] & 15) && !(total % PAGE) &&
				    total && total <= mp->end - a) {
					if (phi_native_range_add(&m->mmapped, a,
								 a + total) < 0)
						return -1;
					found++;
					bytes += total;
					a += total;
					continue;
				}
			}
			a += PAGE;
		}
	}
	if (m->method != PHI_MALLOC_NONE &&
	    (found != m->n_mmaps || bytes != m->mmapped_mem))
		phi_gap_add(&m->gaps, "malloc mmapped chunks", -1,
			    (int64_t)(m->mmapped_mem > bytes ?
					      m->mmapped_mem - bytes : 0),
			    "%llu chunks of %llu bytes found in mappings of "
			    "their own, glibc counts %llu of %llu",
			    (unsigned long long)found,
			    (unsigned long long)bytes,
			    (unsigned long long)m->n_mmaps,
			    (unsigned long long)m->mmapped_mem);
	return 0;
}

/* ---- without the debug file: main_arena and mp_ by content ---------- */

static bool in_heap(const struct phi_source *src, uint64_t a, uint64_t *lo)
{
	for (size_t i = 0; i < src->maps.n; i++)
		if (strcmp(src->maps.v[i].path, "[heap]") == 0) {
			*lo = src->maps.v[i].start;
			return a >= src->maps.v[i].start &&
			       a < src->maps.v[i].end;
		}
	return false;
}

static bool arena_at(const struct phi_image *img, const struct phi_source *src,
		     uint64_t a, int64_t bins, int64_t top, int64_t sysmem,
		     int64_t next)
{
	uint64_t t = 0, s = 0, mx = 0, nx = 0, lo;
	int empty = 0;

	for (int i = 1; i < 128; i++) {
		uint64_t b = a + (uint64_t)bins + (uint64_t)(i - 1) * 16;
		uint64_t fd = phi_image_word(img, b);
		uint64_t bk = phi_image_word(img, b + 8);

		empty += fd == bk && fd == b - 16;
	}
	if (empty < 32 || !phi_image_u64(img, a + (uint64_t)top, &t) ||
	    !in_heap(src, t, &lo) ||
	    !phi_image_u64(img, a + (uint64_t)sysmem, &s) ||
	    !phi_image_u64(img, a + (uint64_t)sysmem + 8, &mx) || !s ||
	    s % PAGE || mx < s || !phi_image_u64(img, a + (uint64_t)next, &nx))
		return false;
	/* The ring: every other arena sits 48 bytes into its heap. */
	for (int k = 0; k < 4096; k++) {
		if (nx == a)
			return true;
		if ((nx & ((64ULL << 20) - 1)) != 48 ||
		    !phi_image_u64(img, nx + (uint64_t)next, &nx))
			return false;
	}
	return false;
}

int phi_native_find_arena(const struct phi_image *img,
			  const struct phi_source *src, const char *libc,
			  int64_t bins, int64_t top, int64_t system_mem,
			  int64_t next, int64_t sbrk_base,
			  uint64_t *main_arena, uint64_t *mp)
{
	int na = 0, nm = 0;
	uint64_t heap_lo = 0;

	in_heap(src, 0, &heap_lo);
	for (size_t i = 0; i < src->maps.n; i++) {
		const struct phi_map *f = &src->maps.v[i];
		uint64_t lo = f->start, hi = f->end;

		if (strcmp(f->path, libc) != 0 || !(f->perms & PHI_MAP_W))
			continue;
		if (i + 1 < src->maps.n && is_anon(&src->maps.v[i + 1]) &&
		    src->maps.v[i + 1].start == hi)
			hi = src->maps.v[i + 1].end;
		for (uint64_t a = lo; a + 2200 <= hi; a += 8) {
			uint64_t sb = 0, t[3] = { 0 };
			const void *p;

			if (arena_at(img, src, a, bins, top, system_mem,
				     next)) {
				*main_arena = a;
				na++;
			}
			p = phi_image_ptr(img, a + (uint64_t)sbrk_base, 32);
			if (!p)
				continue;
			memcpy(&sb, p, 8);
			memcpy(t, (const char *)p + 8, 24);
			if (heap_lo && sb == heap_lo && t[0] == 64 &&
			    t[1] == 1032 && t[2] == 7) {
				*mp = a;
				nm++;
			}
		}
	}
	return na == 1 && nm == 1 ? 0 : -1;
}

/* ---- all of it ------------------------------------------------------ */

int phi_native_read(struct phi_malloc *m, struct phi_source *src,
		    const struct phi_image *img,
		    const struct phi_native_libc *l,
		    const struct phi_native_range *exclude, size_t nexclude,
		    struct phi_error *err)
{
	struct phi_native_libc *own = NULL;
	int rc;

	memset(m, 0, sizeof(*m));
	if (!src->maps.n) {
		m->no_mappings = true; /* a snapshot: a note, not a gap */
		return 0;
	}
	if (!l || !l->ready) {
		own = malloc(sizeof(*own));
		if (!own)
			return phi_error_set(err, PHI_E_NO_MEMORY,
					     "out of memory");
		phi_native_prepare(own, src);
		l = own;
	}
	rc = phi_native_glibc(m, src, img, l, err);
	free(own);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < src->maps.n; i++)
		if (strcmp(src->maps.v[i].path, "[heap]") == 0 &&
		    phi_native_range_add(&m->heaps, src->maps.v[i].start,
					 src->maps.v[i].end) < 0)
			goto oom;
	if (elf_ranges(m, src, img) < 0 || stacks(m, src, img) < 0 ||
	    mmapped(m, src, img, exclude, nexclude) < 0)
		goto oom;
	tcaches(m, src, img);
	return 0;
oom:
	return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
}

void phi_native_release(struct phi_malloc *m)
{
	free(m->arenas);
	free(m->heaps.v);
	free(m->mmapped.v);
	free(m->stacks.v);
	free(m->elf.v);
	free(m->tps.v);
	memset(m, 0, sizeof(*m));
}

uint64_t phi_native_block_size(const void *ctx, uint64_t block,
			       uint64_t request)
{
	const struct phi_image *img = ctx;
	uint64_t est = (request + 8 + 15) & ~15ULL, s, cs, next;

	if (est < 32)
		est = 32;
	if ((block & 15) || !phi_image_u64(img, block - 8, &s))
		return est;
	cs = s & ~7ULL;
	if (s & 2) /* in a mapping of its own */
		return cs >= request + 16 && !(cs % PAGE) ? cs : est;
	/* In use: at least the request, at most what a split leaves (a
	 * remainder under 32 bytes stays with the chunk); the next chunk
	 * says its predecessor is in use. */
	if (cs < 32 || (cs & 15) || cs < request + 8 || cs > est + 32 ||
	    !phi_image_u64(img, block - 16 + cs + 8, &next) || !(next & 1))
		return est;
	return cs;
}
