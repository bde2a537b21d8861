/* Where the resident memory goes.  Every page of every mapping of smaps
 * goes to exactly one class, in this order (a later class only gets
 * what the earlier ones left): the ELF objects (file mappings and
 * .bss), the C library's heaps, pymalloc's arenas, the thread stacks,
 * glibc's chunks in mappings of their own, then other anonymous or
 * other file memory.  Resident pages come from pagemap; a mapping whose
 * pages do not add up to its smaps Rss (pages shared with a forked
 * process, or no pagemap) gives the difference to its largest class, so
 * that the classes add up to the sum of smaps' Rss. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/analysis/memory.h"
#include "pyheapinspect/base/bigmem.h"

#define UNCLASSIFIED 0xff

static const char *const class_names[PHI_MC__COUNT] = {
	[PHI_MC_PYMALLOC] = "pymalloc_arenas",
	[PHI_MC_MALLOC_HEAP] = "malloc_heap",
	[PHI_MC_MALLOC_MMAP] = "malloc_mmapped",
	[PHI_MC_STACKS] = "thread_stacks",
	[PHI_MC_ELF] = "elf",
	[PHI_MC_OTHER_ANON] = "other_anon",
	[PHI_MC_OTHER_FILE] = "other_file",
};

const char *phi_mem_class_name(enum phi_mem_class c)
{
	return (unsigned)c < PHI_MC__COUNT ? class_names[c] : "?";
}

struct tagged {
	uint64_t start, end;
	uint8_t cls;
};

struct ranges {
	struct tagged *v;
	size_t n, cap;
};

static int add(struct ranges *r, uint64_t s, uint64_t e, uint8_t cls)
{
	if (s >= e)
		return 0;
	if (r->n == r->cap) {
		size_t nc = r->cap ? 2 * r->cap : 256;
		struct tagged *v = realloc(r->v, nc * sizeof(*v));

		if (!v)
			return -1;
		r->v = v;
		r->cap = nc;
	}
	r->v[r->n++] = (struct tagged){ s, e, cls };
	return 0;
}

static int add_native(struct ranges *r, const struct phi_native_ranges *n,
		      uint8_t cls)
{
	for (size_t i = 0; n && i < n->n; i++)
		if (add(r, n->v[i].start, n->v[i].end, cls) < 0)
			return -1;
	return 0;
}

/* Ranges in the order of their priority. */
static int class_ranges(struct ranges *r, const struct phi_pymemory *py,
			const struct phi_malloc *mal)
{
	const struct phi_pymalloc *pm = py ? &py->pymalloc : NULL;

	if (mal && (add_native(r, &mal->elf, PHI_MC_ELF) < 0 ||
		    add_native(r, &mal->heaps, PHI_MC_MALLOC_HEAP) < 0))
		return -1;
	for (size_t i = 0; pm && pm->arenas && i < pm->narenas; i++)
		if (add(r, pm->arenas[i].start, pm->arenas[i].end,
			PHI_MC_PYMALLOC) < 0)
			return -1;
	if (mal && (add_native(r, &mal->stacks, PHI_MC_STACKS) < 0 ||
		    add_native(r, &mal->mmapped, PHI_MC_MALLOC_MMAP) < 0))
		return -1;
	return 0;
}

static uint8_t fallback(const struct phi_rss_vma *v)
{
	return v->file ? PHI_MC_OTHER_FILE : PHI_MC_OTHER_ANON;
}

/* One mapping: its pages' classes into cls (scratch of its page
 * count), then the totals. */
static void classify_vma(struct phi_memory *m, const struct phi_rss *rss,
			 const struct phi_rss_vma *v, const struct ranges *r,
			 uint8_t *cls)
{
	uint64_t ps = rss->page_size, n = (v->end - v->start) / ps;
	uint64_t res[PHI_MC__COUNT] = { 0 }, swp[PHI_MC__COUNT] = { 0 };
	uint64_t counted = 0, best = fallback(v), bestn = 0;
	bool seen[PHI_MC__COUNT] = { false };

	if (!v->has_pages) {
		/* No page detail: the class of its first byte. */
		uint8_t c = fallback(v);

		for (size_t k = 0; k < r->n; k++)
			if (r->v[k].start <= v->start &&
			    v->start < r->v[k].end) {
				c = r->v[k].cls;
				break;
			}
		m->cls[c].resident += v->rss;
		m->cls[c].swap += v->swap;
		m->cls[c].mappings++;
		return;
	}
	memset(cls, UNCLASSIFIED, n);
	for (size_t k = 0; k < r->n; k++) {
		uint64_t s = r->v[k].start > v->start ? r->v[k].start :
							 v->start;
		uint64_t e = r->v[k].end < v->end ? r->v[k].end : v->end;

		for (uint64_t p = s < e ? (s - v->start) / ps : n;
		     p < n && v->start + p * ps < e; p++)
			if (cls[p] == UNCLASSIFIED)
				cls[p] = r->v[k].cls;
	}
	for (uint64_t p = 0; p < n; p++) {
		uint8_t c = cls[p] == UNCLASSIFIED ? fallback(v) : cls[p];
		unsigned st = phi_rss_page(rss, v->page0 + p);

		seen[c] = true;
		if (st == PHI_PAGE_RESIDENT) {
			res[c] += ps;
			counted += ps;
		} else if (st == PHI_PAGE_SWAPPED) {
			swp[c] += ps;
		}
	}
	for (int c = 0; c < PHI_MC__COUNT; c++) {
		if (res[c] > bestn) {
			bestn = res[c];
			best = (uint64_t)c;
		}
	}
	/* Pages that disagree with smaps: to the largest class. */
	if (counted < v->rss)
		res[best] += v->rss - counted;
	else if (counted > v->rss)
		res[best] -= counted - v->rss < res[best] ?
				     counted - v->rss : res[best];
	for (int c = 0; c < PHI_MC__COUNT; c++) {
		m->cls[c].resident += res[c];
		m->cls[c].swap += swp[c];
		m->cls[c].mappings += seen[c];
	}
}

/* The allocators' resident memory less what their figures explain. */
static void unexplained(struct phi_memory *m)
{
	const struct phi_pymalloc *pm = m->py ? &m->py->pymalloc : NULL;
	uint64_t have = m->cls[PHI_MC_PYMALLOC].resident +
			m->cls[PHI_MC_MALLOC_HEAP].resident +
			m->cls[PHI_MC_MALLOC_MMAP].resident +
			m->cls[PHI_MC_OTHER_ANON].resident;
	uint64_t known = m->live_allocated + m->garbage.allocated;

	if (pm && pm->method)
		known += pm->available_bytes + pm->unused_pools * pm->pool_size +
			 pm->pool_headers + pm->quantization +
			 pm->arena_alignment;
	if (m->malloc && m->malloc->method)
		known += m->malloc->mi.fordblks;
	m->unexplained = have > known ? have - known : 0;
}

static int classes(struct phi_memory *m, const struct phi_rss *rss,
		   const struct phi_pymemory *py, const struct phi_malloc *mal,
		   struct phi_error *err)
{
	struct ranges r = { 0 };
	uint64_t most = 1;
	uint8_t *cls;

	if (class_ranges(&r, py, mal) < 0) {
		free(r.v);
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	}
	for (size_t i = 0; i < rss->n; i++) {
		uint64_t n = (rss->v[i].end - rss->v[i].start) / rss->page_size;

		if (rss->v[i].has_pages && n > most)
			most = n;
	}
	cls = phi_big_alloc(most);
	if (!cls) {
		free(r.v);
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	}
	for (size_t i = 0; i < rss->n; i++)
		classify_vma(m, rss, &rss->v[i], &r, cls);
	for (int c = 0; c < PHI_MC__COUNT; c++)
		m->classified += m->cls[c].resident;
	m->have_classes = true;
	unexplained(m);
	phi_big_free(cls);
	free(r.v);
	return 0;
}

/* The class of an object's address (no overlap resolution needed: the
 * allocators' ranges do not overlap).  *last is the arena of the object
 * before: objects met one after the other were often allocated together,
 * and the search over thousands of arenas (12 mispredicted branches at
 * 10^7 objects) is then one compare. */
static enum phi_mem_class class_of(const struct phi_pymalloc *pm,
				   const struct phi_malloc *mal, uint64_t a,
				   size_t *last)
{
	size_t lo = 0, hi = pm ? pm->narenas : 0;

	if (pm && pm->arenas && *last < pm->narenas &&
	    pm->arenas[*last].start <= a && a < pm->arenas[*last].end)
		return PHI_MC_PYMALLOC;
	while (pm && pm->arenas && lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pm->arenas[mid].end <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (pm && pm->arenas && lo < pm->narenas &&
	    pm->arenas[lo].start <= a) {
		*last = lo;
		return PHI_MC_PYMALLOC;
	}
	if (mal) {
		const struct phi_native_ranges *n[] = {
			&mal->heaps, &mal->mmapped, &mal->elf, &mal->stacks
		};
		const enum phi_mem_class c[] = {
			PHI_MC_MALLOC_HEAP, PHI_MC_MALLOC_MMAP, PHI_MC_ELF,
			PHI_MC_STACKS
		};

		for (size_t k = 0; k < 4; k++)
			for (size_t i = 0; i < n[k]->n; i++)
				if (n[k]->v[i].start <= a && a < n[k]->v[i].end)
					return c[k];
	}
	return PHI_MC_OTHER_ANON;
}

static void live(struct phi_memory *m, const struct phi_heap *h,
		 const struct phi_analysis *a,
		 const struct phi_node_sizes *allocated)
{
	const struct phi_graph *g = &h->g;
	const struct phi_pymalloc *pm = m->py ? &m->py->pymalloc : NULL;
	size_t last = 0;

	for (uint32_t i = 0; i < g->n; i++) {
		uint64_t b;

		if (a->retained.dom.idom[i] == PHI_NONE)
			continue;
		m->live_objects++;
		m->live_size += phi_graph_size(g, i);
		b = allocated ? phi_node_size(allocated, i) :
			    phi_graph_size(g, i);
		m->live_allocated += allocated ? b : 0;
		m->objects_in[class_of(pm, m->malloc, g->addr[i], &last)] += b;
	}
}

int phi_memory_run(struct phi_memory *m, const struct phi_heap *h,
		   const struct phi_analysis *a, const struct phi_rss *rss,
		   const struct phi_pymemory *py, const struct phi_malloc *mal,
		   const struct phi_node_sizes *allocated, size_t top,
		   struct phi_error *err)
{
	int rc;

	memset(m, 0, sizeof(*m));
	m->rss = rss;
	m->py = py;
	m->malloc = mal;
	m->have_allocated = allocated != NULL;
	rc = phi_garbage_find(&m->garbage, h, &a->retained.dom, allocated,
			      top, err);
	if (rc < 0)
		return rc;
	live(m, h, a, allocated);
	if (allocated) {
		m->type_allocated = calloc(h->types.n ? h->types.n : 1,
					   sizeof(*m->type_allocated));
		if (!m->type_allocated)
			return phi_error_set(err, PHI_E_NO_MEMORY,
					     "out of memory");
		for (uint32_t i = 0; i < h->g.n; i++)
			if (h->g.type[i] < h->types.n)
				m->type_allocated[h->g.type[i]] +=
					phi_node_size(allocated, i);
	}
	for (size_t i = 0; py && py->free_lists.present &&
			   i < py->free_lists.n; i++)
		m->free_list_bytes += py->free_lists.v[i].bytes;
	if (!rss || (mal && mal->no_mappings)) {
		/* What only the live process gives: a note, not a gap (the
		 * figures the report has are whole). */
		snprintf(m->note, sizeof(m->note), "%s",
			 mal && mal->no_mappings ?
			 "from a snapshot: the resident memory (smaps), "
			 "glibc's arenas, the thread stacks and the ELF "
			 "objects are read from the live process only" :
			 "the resident memory (smaps) is read when the target "
			 "is frozen only (not with --no-freeze)");
		if (!rss)
			return 0;
	}
	return classes(m, rss, py, mal, err);
}

void phi_memory_release(struct phi_memory *m)
{
	phi_garbage_release(&m->garbage);
	free(m->type_allocated);
	memset(m, 0, sizeof(*m));
}
