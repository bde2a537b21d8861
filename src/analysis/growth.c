/* What grew between two summaries (growth.h).  The paths of both are
 * joined by their text through one hash; each joined path keeps the
 * parent link of the later summary (of the earlier one when only that
 * one has it), and the largest growth and shrink among its children. */
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/analysis/growth.h"
#include "pyheapinspect/analysis/suspects.h"

static uint64_t text_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

/* A hash of texts: slot = index + 1. */
struct names {
	uint32_t *slot;
	size_t mask;
};

static int names_init(struct names *n, size_t count)
{
	size_t size = 16;

	while (size < 2 * count)
		size *= 2;
	n->slot = calloc(size, sizeof(*n->slot));
	n->mask = size - 1;
	return n->slot ? 0 : -1;
}

/* The index of text, or the slot where it would go (*where). */
static uint32_t names_find(const struct names *n, const char *text,
			   const char *(*name_of)(const void *, uint32_t),
			   const void *ctx, size_t *where)
{
	size_t k = text_hash(text) & n->mask;

	for (; n->slot[k]; k = (k + 1) & n->mask)
		if (strcmp(name_of(ctx, n->slot[k] - 1), text) == 0)
			return n->slot[k] - 1;
	*where = k;
	return PHI_NONE;
}

static int64_t sdiff(uint64_t a, uint64_t b)
{
	return (int64_t)(a - b);
}

static uint64_t mag(int64_t d)
{
	return d < 0 ? -(uint64_t)d : (uint64_t)d;
}

/* ---- types */

static const char *type_name(const void *ctx, uint32_t i)
{
	return ((const struct phi_growth_type *)ctx)[i].type;
}

static void add_type(struct phi_growth_type *t, size_t *n, struct names *nm,
		     const struct phi_summary_type *x, int sign)
{
	size_t where = 0;
	uint32_t i = names_find(nm, x->type, type_name, t, &where);

	if (i == PHI_NONE) {
		i = (uint32_t)(*n)++;
		memset(&t[i], 0, sizeof(t[i]));
		t[i].type = x->type;
		nm->slot[where] = i + 1;
	}
	if (sign > 0) {
		t[i].count = x->count;
		t[i].size = x->size;
	}
	t[i].count_delta += sign * (int64_t)x->count;
	t[i].size_delta += sign * (int64_t)x->size;
}

static int type_order(const void *a, const void *b)
{
	const struct phi_growth_type *x = a, *y = b;

	if (mag(x->size_delta) != mag(y->size_delta))
		return mag(x->size_delta) < mag(y->size_delta) ? 1 : -1;
	if (mag(x->count_delta) != mag(y->count_delta))
		return mag(x->count_delta) < mag(y->count_delta) ? 1 : -1;
	return strcmp(x->type, y->type);
}

static int compare_types(struct phi_growth *g, size_t max)
{
	const struct phi_summary *b = g->before, *a = g->after;
	size_t total = a->ntypes + b->ntypes, n = 0, k = 0;
	struct phi_growth_type *t = calloc(total ? total : 1, sizeof(*t));
	struct names nm;

	if (!t || names_init(&nm, total) < 0) {
		free(t);
		return -1;
	}
	for (size_t i = 0; i < a->ntypes; i++)
		add_type(t, &n, &nm, &a->types[i], 1);
	for (size_t i = 0; i < b->ntypes; i++)
		add_type(t, &n, &nm, &b->types[i], -1);
	free(nm.slot);
	for (size_t i = 0; i < n; i++)
		if (t[i].count_delta || t[i].size_delta)
			t[k++] = t[i];
	qsort(t, k, sizeof(*t), type_order);
	g->types = t;
	g->types_changed = k;
	g->ntypes = k < max ? k : max;
	return 0;
}

/* ---- paths */

struct joined {
	const char *path, *type;
	uint64_t before, after;
	int64_t delta;
	int64_t parent;          /* joined index, -1 */
	bool anchor, in_after;
	int64_t up, down;        /* largest growth, shrink of a child */
	uint32_t up_child;       /* the child growing the most */
};

static const char *joined_name(const void *ctx, uint32_t i)
{
	return ((const struct joined *)ctx)[i].path;
}

struct join {
	struct joined *v;
	size_t n;
	struct names nm;
	uint32_t *map_after, *map_before; /* summary index -> joined */
};

static uint32_t join_one(struct join *j, const struct phi_summary_path *p,
			 bool after)
{
	size_t where = 0;
	uint32_t i = names_find(&j->nm, p->path, joined_name, j->v, &where);

	if (i == PHI_NONE) {
		i = (uint32_t)j->n++;
		memset(&j->v[i], 0, sizeof(j->v[i]));
		j->v[i].path = p->path;
		j->v[i].type = p->type;
		j->v[i].parent = -1;
		j->v[i].up_child = PHI_NONE;
		j->nm.slot[where] = i + 1;
	}
	if (after) {
		j->v[i].after = p->retained;
		j->v[i].in_after = true;
	} else {
		j->v[i].before = p->retained;
	}
	j->v[i].anchor |= p->anchor;
	return i;
}

static void join_parents(struct join *j, const struct phi_summary *s,
			 const uint32_t *map, bool after)
{
	for (size_t i = 0; i < s->npaths; i++) {
		struct joined *x = &j->v[map[i]];
		int64_t p = s->paths[i].parent;

		if (p < 0 || (size_t)p >= s->npaths || map[p] == map[i] ||
		    (!after && x->in_after))
			continue;
		x->parent = map[p];
	}
}

/* Each path's largest growing and shrinking child. */
static void children(struct join *j)
{
	for (size_t i = 0; i < j->n; i++)
		j->v[i].delta = sdiff(j->v[i].after, j->v[i].before);
	for (size_t i = 0; i < j->n; i++) {
		const struct joined *x = &j->v[i];
		struct joined *p;

		if (x->parent < 0)
			continue;
		p = &j->v[x->parent];
		if (x->delta > p->up) {
			p->up = x->delta;
			p->up_child = (uint32_t)i;
		}
		if (x->delta < p->down)
			p->down = x->delta;
	}
}

static bool carried(const struct joined *x)
{
	if (x->delta > 0)
		return (double)x->up >= PHI_SUSPECT_DESCEND * (double)x->delta;
	if (x->delta < 0)
		return (double)x->down <=
		       PHI_SUSPECT_DESCEND * (double)x->delta;
	return false;
}

static int path_order(const void *a, const void *b)
{
	const struct phi_growth_path *x = a, *y = b;

	if (mag(x->delta) != mag(y->delta))
		return mag(x->delta) < mag(y->delta) ? 1 : -1;
	return strcmp(x->path, y->path);
}

static int suspect_order(const void *a, const void *b)
{
	const struct phi_growth_path *x = a, *y = b;

	if (x->delta != y->delta)
		return x->delta < y->delta ? 1 : -1;
	return strcmp(x->path, y->path);
}

static struct phi_growth_path as_row(const struct joined *x)
{
	return (struct phi_growth_path){ x->path, x->type, x->before,
					 x->after, x->delta };
}

static int list_paths(struct phi_growth *g, const struct join *j,
		      size_t max)
{
	size_t k = 0;

	g->paths = calloc(j->n ? j->n : 1, sizeof(*g->paths));
	if (!g->paths)
		return -1;
	for (size_t i = 0; i < j->n; i++) {
		const struct joined *x = &j->v[i];

		if (x->delta && !x->anchor && !carried(x))
			g->paths[k++] = as_row(x);
	}
	qsort(g->paths, k, sizeof(*g->paths), path_order);
	g->paths_changed = k;
	g->npaths = k < max ? k : max;
	return 0;
}

/* A walk's start: a growing path under none that grows, or under a
 * module (which is never a suspect). */
static bool growth_start(const struct join *j, const struct joined *x)
{
	const struct joined *p;

	if (x->delta <= 0 || x->anchor)
		return false;
	if (x->parent < 0)
		return true;
	p = &j->v[x->parent];
	return p->delta <= 0 || p->anchor;
}

static int growth_suspects(struct phi_growth *g, const struct join *j,
			   size_t max)
{
	uint64_t total = 0;
	size_t k = 0;
	double limit;

	g->suspects = calloc(j->n ? j->n : 1, sizeof(*g->suspects));
	if (!g->suspects)
		return -1;
	for (size_t i = 0; i < j->n; i++)
		if (growth_start(j, &j->v[i]))
			total += (uint64_t)j->v[i].delta;
	limit = g->share * (double)total;
	if (limit < (double)g->floor)
		limit = (double)g->floor;
	for (size_t i = 0; i < j->n; i++) {
		const struct joined *x = &j->v[i];

		if (!growth_start(j, x))
			continue;
		/* Bounded: each step goes one level down a tree of j->n
		 * paths. */
		for (size_t step = 0; step < j->n && carried(x) &&
				      x->up_child != PHI_NONE;
		     step++)
			x = &j->v[x->up_child];
		if ((double)x->delta >= limit && !x->anchor)
			g->suspects[k++] = as_row(x);
	}
	qsort(g->suspects, k, sizeof(*g->suspects), suspect_order);
	g->nsuspects = k < max ? k : max;
	return 0;
}

static int compare_paths(struct phi_growth *g, size_t max)
{
	const struct phi_summary *b = g->before, *a = g->after;
	size_t total = a->npaths + b->npaths;
	struct join j = { 0 };
	int rc = -1;

	j.v = calloc(total ? total : 1, sizeof(*j.v));
	j.map_after = calloc(a->npaths ? a->npaths : 1, sizeof(uint32_t));
	j.map_before = calloc(b->npaths ? b->npaths : 1, sizeof(uint32_t));
	if (!j.v || !j.map_after || !j.map_before ||
	    names_init(&j.nm, total) < 0)
		goto out;
	for (size_t i = 0; i < a->npaths; i++)
		j.map_after[i] = join_one(&j, &a->paths[i], true);
	for (size_t i = 0; i < b->npaths; i++)
		j.map_before[i] = join_one(&j, &b->paths[i], false);
	join_parents(&j, a, j.map_after, true);
	join_parents(&j, b, j.map_before, false);
	children(&j);
	if (list_paths(g, &j, max) == 0 && growth_suspects(g, &j, max) == 0)
		rc = 0;
out:
	free(j.v);
	free(j.map_after);
	free(j.map_before);
	free(j.nm.slot);
	return rc;
}

/* ---- the memory breakdown */

static const struct phi_summary_class *find_class(
	const struct phi_summary_memory *m, const char *name)
{
	for (size_t i = 0; i < m->nclasses; i++)
		if (strcmp(m->classes[i].name, name) == 0)
			return &m->classes[i];
	return NULL;
}

static int compare_classes(struct phi_growth_memory *g,
			   const struct phi_summary_memory *b,
			   const struct phi_summary_memory *a)
{
	g->classes = calloc(a->nclasses + b->nclasses + 1,
			    sizeof(*g->classes));
	if (!g->classes)
		return -1;
	for (size_t i = 0; i < a->nclasses; i++) {
		const struct phi_summary_class *x = &a->classes[i];
		const struct phi_summary_class *y = find_class(b, x->name);
		struct phi_growth_class *c = &g->classes[g->nclasses++];

		c->name = x->name;
		c->after = x->resident;
		c->before = y ? y->resident : 0;
		c->delta = sdiff(c->after, c->before);
	}
	for (size_t i = 0; i < b->nclasses; i++) {
		const struct phi_summary_class *y = &b->classes[i];
		struct phi_growth_class *c;

		if (find_class(a, y->name))
			continue;
		c = &g->classes[g->nclasses++];
		c->name = y->name;
		c->before = y->resident;
		c->delta = -(int64_t)y->resident;
	}
	return 0;
}

static int compare_memory(struct phi_growth *gr)
{
	const struct phi_summary_memory *b = &gr->before->memory;
	const struct phi_summary_memory *a = &gr->after->memory;
	struct phi_growth_memory *g = &gr->memory;

	if (!a->present || !b->present)
		return 0;
	g->present = true;
	g->rss_known = a->have_rss && b->have_rss;
	if (g->rss_known) {
		g->rss_before = b->vm_rss;
		g->rss_after = a->vm_rss;
		g->rss_delta = sdiff(a->vm_rss, b->vm_rss);
		g->anon_delta = sdiff(a->anon, b->anon);
		g->file_delta = sdiff(a->file, b->file);
		g->shmem_delta = sdiff(a->shmem, b->shmem);
		g->swap_delta = sdiff(a->swap, b->swap);
	}
	g->objects_delta = sdiff(a->objects, b->objects);
	g->getsizeof_delta = sdiff(a->getsizeof, b->getsizeof);
	g->allocated_known = a->allocated >= 0 && b->allocated >= 0;
	g->allocated_delta = g->allocated_known ?
		a->allocated - b->allocated : 0;
	g->garbage_objects_delta = sdiff(a->garbage_objects,
					 b->garbage_objects);
	g->garbage_size_delta = sdiff(a->garbage_size, b->garbage_size);
	return compare_classes(g, b, a);
}

/* ---- allocation sites */

static struct phi_site_line *site_lines(const struct phi_summary *s)
{
	struct phi_site_line *v = calloc(s->nsites + 1, sizeof(*v));

	for (size_t i = 0; v && i < s->nsites; i++) {
		const struct phi_summary_site *x = &s->sites[i];

		v[i] = (struct phi_site_line){ x->filename,
					       strlen(x->filename), x->lineno,
					       x->size, x->count };
	}
	return v;
}

static int compare_sites(struct phi_growth *g, size_t max,
			 struct phi_error *err)
{
	const struct phi_summary *b = g->before, *a = g->after;
	struct phi_site_line *la, *lb;
	size_t n = 0, k = 0;
	int rc;

	if (!a->have_sites || !b->have_sites)
		return 0;
	la = site_lines(a);
	lb = site_lines(b);
	rc = la && lb ? phi_sites_diff(la, a->nsites, lb, b->nsites,
				       &g->sites, &n, err) : -1;
	free(la);
	free(lb);
	if (rc < 0)
		return -1;
	g->have_sites = true;
	/* compare_to lists the unchanged lines too, last: they go. */
	while (k < n && (g->sites[k].size_diff || g->sites[k].count_diff))
		k++;
	for (size_t i = k; i < n; i++)
		if (g->sites[i].size_diff || g->sites[i].count_diff)
			g->sites[k++] = g->sites[i];
	g->sites_changed = k;
	g->nsites = k < max ? k : max;
	return 0;
}

int phi_growth_compare(struct phi_growth *g, const struct phi_summary *before,
		       const struct phi_summary *after, double share,
		       size_t max, struct phi_error *err)
{
	memset(g, 0, sizeof(*g));
	g->before = before;
	g->after = after;
	g->share = share;
	g->objects_delta = sdiff(after->objects, before->objects);
	g->total_size_delta = sdiff(after->total_size, before->total_size);
	g->reachable_size_delta = sdiff(after->reachable_size,
					before->reachable_size);
	g->rss_known = before->rss >= 0 && after->rss >= 0;
	g->rss_delta = g->rss_known ? after->rss - before->rss : 0;
	g->floor = before->floor > after->floor ? before->floor : after->floor;
	if (compare_types(g, max) < 0 || compare_paths(g, max) < 0 ||
	    compare_memory(g) < 0 || compare_sites(g, max, err) < 0) {
		phi_growth_release(g);
		return phi_error_set(err, PHI_E_NO_MEMORY,
				     "out of memory comparing the captures");
	}
	return 0;
}

void phi_growth_release(struct phi_growth *g)
{
	free(g->types);
	free(g->paths);
	free(g->suspects);
	free(g->memory.classes);
	free(g->sites);
	memset(g, 0, sizeof(*g));
}
