/* The heap model's generic part: its release, and every question about
 * its objects passed on to the version that decoded it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/cpython/heap.h"
#include "pyheapinspect/base/bigmem.h"
#include "pyheapinspect/cpython/memory.h"
#include "pyheapinspect/cpython/ops.h"
#include "pyheapinspect/cpython/traces.h"

int phi_heap_build(struct phi_heap *h, const struct phi_python *py,
		   const struct phi_image *img, const struct phi_runtime *rt,
		   const struct phi_heap_opts *o, struct phi_error *err)
{
	int rc;

	memset(h, 0, sizeof(*h));
	h->py = py;
	h->img = img;
	h->rt = rt;
	rc = py->ops->heap_build(h, o, err);
	/* The capture's gap says which memory is missing; this one says
	 * what of the heap it cost. */
	if (rc == 0 && h->stats.missing_refs)
		phi_gap_add(&h->gaps, "references into memory not copied", -1,
			    -1, "%llu references point into memory that was "
			    "not copied: the objects there, and what they "
			    "hold, are missing from every figure",
			    (unsigned long long)h->stats.missing_refs);
	return rc;
}

void phi_heap_release(struct phi_heap *h)
{
	if (h->py && h->py->ops->heap_release)
		h->py->ops->heap_release(h);
	phi_graph_release(&h->g);
	free(h->roots);
	memset(h, 0, sizeof(*h));
}

bool phi_heap_preview(const struct phi_heap *h, uint32_t node, char *buf,
		      size_t cap, size_t *len, bool *truncated)
{
	return h->py->ops->preview(h, node, buf, cap, len, truncated);
}

void phi_heap_interp_prefix(const struct phi_heap *h, uint32_t k, char *buf,
			    size_t len)
{
	if (!len)
		return;
	buf[0] = '\0';
	if (h->rt && k < h->rt->ninterps && !phi_runtime_is_main(h->rt, k))
		snprintf(buf, len, PHI_HEAP_INTERP_PREFIX "%lld/",
			 (long long)h->rt->interps[k].id);
}

void phi_heap_label_root(const struct phi_heap *h, uint32_t node,
			 uint32_t root, char *buf, size_t len)
{
	h->py->ops->label_root(h, node, root, buf, len);
}

void phi_heap_label_step(const struct phi_heap *h, uint32_t parent,
			 uint32_t child, char *buf, size_t len)
{
	h->py->ops->label_step(h, parent, child, buf, len);
}

int phi_heap_resolve(const struct phi_heap *h, const char *expr,
		     uint32_t *node, struct phi_error *err)
{
	return h->py->ops->resolve(h, expr, node, err);
}

bool phi_heap_fill(const struct phi_heap *h, uint32_t node,
		   struct phi_fill *f)
{
	if (!h->py->ops->fill) {
		memset(f, 0, sizeof(*f));
		return false;
	}
	return h->py->ops->fill(h, node, f);
}

int phi_heap_resolve_address(const struct phi_heap *h, const char *text,
			     uint32_t *node, struct phi_error *err)
{
	char *end;
	unsigned long long a;

	errno = 0;
	a = strtoull(text, &end, 16);
	if (errno || *end || end == text)
		return phi_error_set(err, PHI_E_USAGE,
				     "bad --object '%s': expected an address "
				     "such as 0x7f3a1c2d0e10", text);
	*node = phi_graph_find(&h->g, a);
	if (*node == PHI_NONE)
		return phi_error_set(err, PHI_E_NOT_FOUND,
				     "no object at %s in the heap of the "
				     "target", text);
	return 0;
}

int phi_heap_traces(const struct phi_heap *h, bool summary,
		    struct phi_traces *out, struct phi_error *err)
{
	if (!h->py->ops->traces) {
		memset(out, 0, sizeof(*out));
		out->state = PHI_TRACES_ABSENT;
		snprintf(out->note, sizeof(out->note), "pyheapinspect reads "
			 "no tracemalloc state of CPython %s",
			 h->py->ops->name);
		return 0;
	}
	return h->py->ops->traces(h, summary, out, err);
}

void phi_traces_release(struct phi_traces *t)
{
	for (size_t i = 0; t->files && i < t->nfiles; i++)
		free(t->files[i].text);
	phi_big_free(t->v);
	phi_big_free(t->tb);
	phi_big_free(t->frames);
	phi_big_free(t->files);
	phi_big_free(t->node_trace);
	phi_big_free(t->blocks);
	memset(t, 0, sizeof(*t));
}

int phi_valcmp_open(struct phi_valcmp *vc, const struct phi_heap *h,
		    uint64_t key, struct phi_error *err)
{
	memset(vc, 0, sizeof(*vc));
	vc->h = h;
	vc->key = key;
	return h->py->ops->valcmp_open(vc, err);
}

void phi_valcmp_close(struct phi_valcmp *vc)
{
	if (vc->h)
		vc->h->py->ops->valcmp_close(vc);
	memset(vc, 0, sizeof(*vc));
}

uint32_t phi_valcmp_class(const struct phi_valcmp *vc, uint32_t node)
{
	return vc->h->py->ops->valcmp_class(vc, node);
}

bool phi_valcmp_hash(struct phi_valcmp *vc, uint32_t node, uint64_t *hash)
{
	return vc->h->py->ops->valcmp_hash(vc, node, hash);
}

bool phi_valcmp_equal(struct phi_valcmp *vc, uint32_t a, uint32_t b)
{
	return vc->h->py->ops->valcmp_equal(vc, a, b);
}

void phi_valcmp_prefetch(const struct phi_valcmp *vc, uint32_t node)
{
	vc->h->py->ops->valcmp_prefetch(vc, node);
}

void phi_valcmp_preview(const struct phi_valcmp *vc, uint32_t node,
			char *buf, size_t cap)
{
	vc->h->py->ops->valcmp_preview(vc, node, buf, cap);
}

int phi_heap_allocated(const struct phi_heap *h, const struct phi_pymemory *m,
		       const struct phi_block_sizer *sizer,
		       struct phi_node_sizes *out, struct phi_error *err)
{
	return h->py->ops->allocated(h, m, sizer, out, err);
}
