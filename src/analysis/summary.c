/* A capture summary (summary.h): built from one analysed heap.
 *
 * The retainers are the largest by retained size above the floor (a
 * bounded heap over every node).  A node's path is written by paths.c
 * and masked; nodes sharing a masked path are merged through a hash of
 * the texts.  Each entry's parent is the entry of its largest node's
 * nearest dominator among the kept nodes: every dominator of a kept
 * node retains more, so it is kept too unless the cap cut it, and the
 * walk up the dominator tree is short and bounded. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "pyheapinspect/analysis/histogram.h"
#include "pyheapinspect/analysis/summary.h"
#include "pyheapinspect/analysis/topn.h"
#include "pyheapinspect/base/bigmem.h"
#include "pyheapinspect/base/escape.h"

/* ---- masking */

void phi_summary_mask(const char *p, char *out, size_t len)
{
	size_t o = 0;

	while (*p && o + 1 < len) {
		size_t k = 0;

		if (p[0] == '[' && isdigit((unsigned char)p[1])) {
			/* "[123]" -> "[*]"; "[12ab" is kept as it is. */
			while (isdigit((unsigned char)p[1 + k]))
				k++;
			if (p[1 + k] == ']' && o + 4 < len) {
				memcpy(out + o, "[*]", 3);
				o += 3;
				p += k + 2;
				continue;
			}
		} else if (p[0] == '0' && p[1] == 'x' &&
			   isxdigit((unsigned char)p[2])) {
			while (isxdigit((unsigned char)p[2 + k]))
				k++;
			if (o + 4 < len) {
				memcpy(out + o, "0x*", 3);
				o += 3;
				p += k + 2;
				continue;
			}
		}
		out[o++] = *p++;
	}
	out[o] = '\0';
}

/* ---- the retainers */

static uint64_t text_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

struct builder {
	struct phi_summary *s;
	const struct phi_heap *h;
	const struct phi_analysis *a;
	uint32_t *nodes;        /* kept nodes, largest first */
	size_t nnodes;
	uint32_t *entry_of;     /* per kept node: its entry, or PHI_NONE */
	uint32_t *first;        /* per entry: its largest node */
	uint32_t *text_slots;   /* hash of the entries' texts: index + 1 */
	uint32_t *node_slots;   /* hash of the kept nodes: position + 1 */
	size_t slots;           /* size of both hashes (a power of two) */
	size_t cap;
};

static char *dup(const char *s)
{
	char *d = strdup(s ? s : "");

	return d;
}

static size_t node_hash(uint32_t v)
{
	return (size_t)(((uint64_t)v * 0x9e3779b97f4a7c15ULL) >> 32);
}

/* The kept node's position in b->nodes, or PHI_NONE. */
static uint32_t kept(const struct builder *b, uint32_t node)
{
	size_t k = node_hash(node) & (b->slots - 1);

	for (; b->node_slots[k]; k = (k + 1) & (b->slots - 1))
		if (b->nodes[b->node_slots[k] - 1] == node)
			return b->node_slots[k] - 1;
	return PHI_NONE;
}

static void keep(struct builder *b, uint32_t pos)
{
	size_t k = node_hash(b->nodes[pos]) & (b->slots - 1);

	while (b->node_slots[k])
		k = (k + 1) & (b->slots - 1);
	b->node_slots[k] = pos + 1;
}

/* Steps from node to its root in the paths' tree, memoised in depth[]
 * (steps + 1; 0 unknown, UINT32_MAX unreached): each node is walked
 * once, so all of them cost O(n), chains of millions included.  The
 * stack grows as needed; false when out of memory. */
static bool depth_of(const struct phi_paths *p, uint32_t *depth,
		     uint32_t **stack, size_t *cap, uint32_t node,
		     uint32_t *out)
{
	size_t n = 0;
	uint32_t x = node, d;

	while (depth[x] == 0 && p->parent[x] != PHI_PATH_ROOT &&
	       p->parent[x] != PHI_NONE) {
		if (n == *cap) {
			size_t ncap = *cap ? *cap * 2 : 1024;
			uint32_t *ns = realloc(*stack, ncap * sizeof(*ns));

			if (!ns)
				return false;
			*stack = ns;
			*cap = ncap;
		}
		(*stack)[n++] = x;
		x = p->parent[x];
	}
	if (depth[x] == 0)
		depth[x] = p->parent[x] == PHI_PATH_ROOT ? 1 : UINT32_MAX;
	d = depth[x];
	while (n--) {
		if (d != UINT32_MAX)
			d++;
		depth[(*stack)[n]] = d;
	}
	*out = depth[node];
	return true;
}

/* The entry for masked text, added when new; PHI_NONE when out of
 * memory. */
static uint32_t entry_for(struct builder *b, const char *text, uint32_t node)
{
	struct phi_summary *s = b->s;
	size_t k = text_hash(text) & (b->slots - 1);
	struct phi_summary_path *e;

	for (; b->text_slots[k]; k = (k + 1) & (b->slots - 1))
		if (strcmp(s->paths[b->text_slots[k] - 1].path, text) == 0)
			return b->text_slots[k] - 1;
	e = &s->paths[s->npaths];
	memset(e, 0, sizeof(*e));
	e->path = dup(text);
	e->type = dup(phi_heap_type(b->h, node)->name);
	e->parent = -1;
	e->anchor = phi_suspects_anchor(&b->a->suspects, node);
	if (!e->path || !e->type) {
		free(e->path);
		free(e->type);
		return PHI_NONE;
	}
	b->first[s->npaths] = node;
	b->text_slots[k] = (uint32_t)++s->npaths;
	return (uint32_t)(s->npaths - 1);
}

/* The largest retainers above the floor, near enough to a root for
 * their paths to be whole; the others are counted. */
static int choose(struct builder *b)
{
	const struct phi_dominators *d = &b->a->retained.dom;
	const struct phi_graph *g = &b->h->g;
	uint32_t *depth = phi_big_calloc(g->n ? g->n : 1, sizeof(*depth));
	uint32_t *stack = NULL;
	size_t cap = 0, above = 0;
	struct phi_topn tn;
	int rc = -1;

	if (!depth || phi_topn_init(&tn, NULL, d->retained,
				    PHI_SUMMARY_MAX_PATHS) < 0)
		goto out;
	for (uint32_t v = 0; v < g->n; v++) {
		uint32_t dv;

		if (d->idom[v] == PHI_NONE || d->retained[v] < b->s->floor)
			continue;
		above++;
		if (!depth_of(&b->a->paths, depth, &stack, &cap, v, &dv)) {
			free(tn.h);
			goto out;
		}
		if (dv <= PHI_SUMMARY_MAX_DEPTH + 1)
			phi_topn_offer(&tn, v);
	}
	b->nodes = phi_topn_finish(&tn, &b->nnodes);
	b->s->paths_omitted = above - b->nnodes;
	rc = 0;
out:
	phi_big_free(depth);
	free(stack);
	return rc;
}

static int name_entries(struct builder *b)
{
	const struct phi_dominators *d = &b->a->retained.dom;
	struct phi_summary *s = b->s;
	char path[PHI_PATH_MAX], masked[PHI_PATH_MAX];

	for (size_t i = 0; i < b->nnodes; i++) {
		uint32_t v = b->nodes[i], e;

		phi_path_text(&b->a->paths, b->h, v, path, sizeof(path));
		phi_summary_mask(path, masked, sizeof(masked));
		e = entry_for(b, masked, v);
		if (e == PHI_NONE)
			return -1;
		s->paths[e].retained += d->retained[v];
		s->paths[e].objects++;
		b->entry_of[i] = e;
	}
	return 0;
}

/* Parents: the entry of the nearest kept dominator of each entry's
 * largest node. */
static void link_parents(struct builder *b)
{
	const struct phi_dominators *d = &b->a->retained.dom;

	for (size_t e = 0; e < b->s->npaths; e++) {
		uint32_t v = d->idom[b->first[e]];

		for (int step = 0; step < PHI_SUMMARY_MAX_DEPTH &&
				   v != PHI_DOM_ROOT && v != PHI_NONE;
		     step++, v = d->idom[v]) {
			uint32_t pos = kept(b, v);

			if (pos != PHI_NONE && b->entry_of[pos] != PHI_NONE) {
				if (b->entry_of[pos] != e)
					b->s->paths[e].parent =
						b->entry_of[pos];
				break;
			}
		}
	}
}

static int by_retained(const void *x, const void *y)
{
	const struct phi_summary_path *a = *(const struct phi_summary_path *
						     const *)x;
	const struct phi_summary_path *b = *(const struct phi_summary_path *
						     const *)y;

	if (a->retained != b->retained)
		return a->retained < b->retained ? 1 : -1;
	return strcmp(a->path, b->path);
}

/* Largest retained first, the parents renumbered. */
static int sort_entries(struct phi_summary *s)
{
	size_t n = s->npaths;
	struct phi_summary_path **order = malloc((n ? n : 1) * sizeof(*order));
	struct phi_summary_path *sorted = malloc((n ? n : 1) *
						 sizeof(*sorted));
	int64_t *rank = malloc((n ? n : 1) * sizeof(*rank));

	if (!order || !sorted || !rank) {
		free(order);
		free(sorted);
		free(rank);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = &s->paths[i];
	qsort(order, n, sizeof(*order), by_retained);
	for (size_t i = 0; i < n; i++)
		rank[order[i] - s->paths] = (int64_t)i;
	for (size_t i = 0; i < n; i++) {
		sorted[i] = *order[i];
		if (sorted[i].parent >= 0)
			sorted[i].parent = rank[sorted[i].parent];
	}
	free(s->paths);
	s->paths = sorted;
	free(order);
	free(rank);
	return 0;
}

static int build_paths(struct phi_summary *s, const struct phi_heap *h,
		       const struct phi_analysis *a)
{
	struct builder b = { .s = s, .h = h, .a = a };
	int rc = -1;

	if (choose(&b) < 0)
		return -1;
	b.slots = 16;
	while (b.slots < 2 * b.nnodes)
		b.slots *= 2;
	b.cap = b.nnodes ? b.nnodes : 1;
	s->paths = calloc(b.cap, sizeof(*s->paths));
	b.entry_of = calloc(b.cap, sizeof(*b.entry_of));
	b.first = calloc(b.cap, sizeof(*b.first));
	b.text_slots = calloc(b.slots, sizeof(*b.text_slots));
	b.node_slots = calloc(b.slots, sizeof(*b.node_slots));
	if (!s->paths || !b.entry_of || !b.first || !b.text_slots ||
	    !b.node_slots)
		goto out;
	for (size_t i = 0; i < b.nnodes; i++)
		keep(&b, (uint32_t)i);
	if (name_entries(&b) < 0)
		goto out;
	link_parents(&b);
	rc = sort_entries(s);
out:
	free(b.nodes);
	free(b.entry_of);
	free(b.first);
	free(b.text_slots);
	free(b.node_slots);
	return rc;
}

/* ---- the rest */

static int build_types(struct phi_summary *s, const struct phi_heap *h)
{
	uint32_t *order;
	size_t n;

	if (phi_histogram(&h->types, &order, &n) < 0)
		return -1;
	s->types = calloc(n ? n : 1, sizeof(*s->types));
	if (!s->types) {
		free(order);
		return -1;
	}
	for (size_t k = 0; k < n; k++) {
		const struct phi_type *t = &h->types.v[order[k]];
		struct phi_summary_type *x = &s->types[s->ntypes];

		x->type = dup(t->name);
		if (!x->type)
			break;
		x->count = t->count;
		x->size = t->size;
		s->ntypes++;
	}
	free(order);
	return s->ntypes == n ? 0 : -1;
}

static int build_suspects(struct phi_summary *s, const struct phi_heap *h,
			  const struct phi_analysis *a)
{
	const struct phi_suspects *sp = &a->suspects;
	char path[PHI_PATH_MAX], masked[PHI_PATH_MAX];

	s->suspects = calloc(sp->n ? sp->n : 1, sizeof(*s->suspects));
	s->groups = calloc(sp->ngroups ? sp->ngroups : 1, sizeof(*s->groups));
	if (!s->suspects || !s->groups)
		return -1;
	for (size_t i = 0; i < sp->n; i++) {
		const struct phi_suspect *x = &sp->v[i];
		struct phi_summary_suspect *y = &s->suspects[s->nsuspects];

		phi_path_text(&a->paths, h, x->node, path, sizeof(path));
		phi_summary_mask(path, masked, sizeof(masked));
		y->path = dup(masked);
		y->type = dup(phi_heap_type(h, x->node)->name);
		y->child_type = dup(x->nkid_types ?
			h->types.v[x->kid_types[0].type].name : "");
		s->nsuspects++;
		if (!y->path || !y->type || !y->child_type)
			return -1;
		y->retained = x->retained;
		y->children = x->kids;
		y->children_retained = x->kids_retained;
		if (x->nkid_types) {
			y->child_type_count = x->kid_types[0].count;
			y->child_type_retained = x->kid_types[0].retained;
		}
		y->length = x->has_fill ? (int64_t)x->fill.length : -1;
	}
	for (size_t i = 0; i < sp->ngroups; i++) {
		const struct phi_suspect_group *x = &sp->groups[i];
		struct phi_summary_group *y = &s->groups[s->ngroups];

		y->type = dup(h->types.v[x->type].name);
		if (!y->type)
			return -1;
		s->ngroups++;
		y->instances = x->instances;
		y->retained = x->retained;
	}
	return 0;
}

/* ---- the memory breakdown */

static int build_memory(struct phi_summary *s, const struct phi_memory *m)
{
	struct phi_summary_memory *x = &s->memory;

	if (!m)
		return 0;
	x->present = true;
	if (m->rss) {
		x->have_rss = true;
		x->vm_rss = m->rss->vm_rss;
		x->anon = m->rss->rss_anon;
		x->file = m->rss->rss_file;
		x->shmem = m->rss->rss_shmem;
		x->swap = m->rss->vm_swap;
	}
	x->objects = m->live_objects;
	x->getsizeof = m->live_size;
	x->allocated = m->have_allocated ? (int64_t)m->live_allocated : -1;
	x->garbage_objects = m->garbage.objects;
	x->garbage_size = m->garbage.size;
	if (!m->have_classes)
		return 0;
	x->classes = calloc(PHI_MC__COUNT, sizeof(*x->classes));
	if (!x->classes)
		return -1;
	for (int c = 0; c < PHI_MC__COUNT; c++) {
		struct phi_summary_class *k = &x->classes[x->nclasses];

		k->name = dup(phi_mem_class_name((enum phi_mem_class)c));
		if (!k->name)
			return -1;
		k->resident = m->cls[c].resident;
		x->nclasses++;
	}
	return 0;
}

/* ---- tracemalloc's lines */

/* A filename from the target as the summary keeps it: every invalid
 * byte and NUL as U+FFFD, cut on a character boundary to
 * PHI_SUMMARY_MAX_FILENAME bytes with U+2026 at the end. */
static char *clean_filename(const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	char *out = malloc(PHI_SUMMARY_MAX_FILENAME + 1);
	size_t o = 0, i = 0;

	if (!out)
		return NULL;
	while (i < len) {
		size_t k = p[i] ? phi_utf8_seq_len(p + i, len - i) : 0;
		const char *put = k ? text + i : "\xef\xbf\xbd";
		size_t n = k ? k : 3;

		if (o + n > PHI_SUMMARY_MAX_FILENAME - 3) {
			memcpy(out + o, "\xe2\x80\xa6", 3);
			o += 3;
			break;
		}
		memcpy(out + o, put, n);
		o += n;
		i += k ? k : 1;
	}
	out[o] = '\0';
	return out;
}

static int by_line(const void *x, const void *y)
{
	const struct phi_summary_site *a = x, *b = y;
	int c = strcmp(a->filename, b->filename);

	if (c)
		return c;
	return a->lineno < b->lineno ? -1 : a->lineno > b->lineno;
}

/* The largest lines (sites->lineno is largest first), in (filename,
 * lineno) order, lines whose cut filenames meet merged. */
static int build_sites(struct phi_summary *s, const struct phi_sites *st)
{
	size_t n, k = 0;

	if (!st->t)
		return 0;
	n = st->nlineno < PHI_SUMMARY_MAX_SITES ? st->nlineno :
						  PHI_SUMMARY_MAX_SITES;
	s->have_sites = true;
	s->traced = st->t->traced;
	s->sites = calloc(n ? n : 1, sizeof(*s->sites));
	if (!s->sites)
		return -1;
	for (size_t i = n; i < st->nlineno; i++) {
		s->sites_omitted++;
		s->sites_omitted_size += st->lineno[i].size;
	}
	for (size_t i = 0; i < n; i++) {
		const struct phi_site *r = &st->lineno[i];
		const struct phi_trace_file *f = &st->t->files[r->file];
		struct phi_summary_site *x = &s->sites[s->nsites];

		x->filename = clean_filename(f->text, f->len);
		if (!x->filename)
			return -1;
		x->lineno = r->lineno;
		x->size = r->size;
		x->count = r->count;
		s->nsites++;
	}
	qsort(s->sites, s->nsites, sizeof(*s->sites), by_line);
	for (size_t i = 0; i < s->nsites; i++) {
		if (k && by_line(&s->sites[k - 1], &s->sites[i]) == 0) {
			s->sites[k - 1].size += s->sites[i].size;
			s->sites[k - 1].count += s->sites[i].count;
			free(s->sites[i].filename);
			continue;
		}
		s->sites[k++] = s->sites[i];
	}
	s->nsites = k;
	return 0;
}

static char *iso_time(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char buf[32];

	if (!gmtime_r(&tt, &tm) ||
	    !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(buf, sizeof(buf), "1970-01-01T00:00:00Z");
	return dup(buf);
}

int phi_summary_build(struct phi_summary *s, const struct phi_heap *h,
		      const struct phi_analysis *a,
		      const struct phi_summary_info *info,
		      struct phi_error *err)
{
	const struct phi_dominators *d = &a->retained.dom;

	memset(s, 0, sizeof(*s));
	s->version = PHI_SUMMARY_VERSION;
	s->tool_version = dup(PACKAGE_VERSION);
	s->captured_unix = info->captured_at;
	s->captured_at = iso_time(info->captured_at);
	s->pid = info->pid;
	s->host = dup(info->host);
	s->source = dup(info->source);
	s->python_version = dup(info->python_version);
	s->complete = info->complete;
	s->rss = info->rss;
	s->objects = h->stats.objects;
	s->total_size = h->stats.total_size;
	s->gc_tracked = h->stats.gc_tracked;
	s->reachable_objects = d->reachable;
	s->reachable_size = d->reachable_size;
	s->floor = d->reachable_size / PHI_SUMMARY_FLOOR_DIV;
	if (s->floor < PHI_SUMMARY_MIN_FLOOR)
		s->floor = PHI_SUMMARY_MIN_FLOOR;
	s->fill_collections = a->fill.collections;
	s->fill_sparse = a->fill.sparse;
	s->fill_wasted = a->fill.wasted;
	if (!s->tool_version || !s->captured_at || !s->host || !s->source ||
	    !s->python_version || build_types(s, h) < 0 ||
	    build_paths(s, h, a) < 0 || build_suspects(s, h, a) < 0 ||
	    build_memory(s, info->memory) < 0 ||
	    build_sites(s, &a->sites) < 0) {
		phi_summary_release(s);
		return phi_error_set(err, PHI_E_NO_MEMORY,
				     "out of memory summarising the capture");
	}
	return 0;
}

void phi_summary_release(struct phi_summary *s)
{
	for (size_t i = 0; i < s->ntypes; i++)
		free(s->types[i].type);
	for (size_t i = 0; i < s->npaths; i++) {
		free(s->paths[i].path);
		free(s->paths[i].type);
	}
	for (size_t i = 0; i < s->nsuspects; i++) {
		free(s->suspects[i].path);
		free(s->suspects[i].type);
		free(s->suspects[i].child_type);
	}
	for (size_t i = 0; i < s->ngroups; i++)
		free(s->groups[i].type);
	for (size_t i = 0; i < s->memory.nclasses; i++)
		free(s->memory.classes[i].name);
	for (size_t i = 0; i < s->nsites; i++)
		free(s->sites[i].filename);
	free(s->memory.classes);
	free(s->sites);
	free(s->types);
	free(s->paths);
	free(s->suspects);
	free(s->groups);
	free(s->tool_version);
	free(s->captured_at);
	free(s->host);
	free(s->source);
	free(s->python_version);
	memset(s, 0, sizeof(*s));
}
