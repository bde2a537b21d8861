/* Allocation sites.  The rows of Snapshot.statistics() as Lib/
 * tracemalloc.py (3.10) computes them from _get_traces(): the traces of
 * every domain together, grouped by their most recent frame ("lineno")
 * or by their whole traceback ("traceback"), each row the sum of the
 * sizes and the number of traces, sorted by (size, count, traceback),
 * largest first, where a Traceback compares its frames oldest first as
 * (filename, lineno) tuples.  Filenames compare by code point: t->files
 * is in that order, so their indices compare as the names do.
 *
 * Then the join with the graph: the retained set of a suspect or named
 * object (its subtree in the dominator tree, walked with a stack) by
 * the line that allocated each of its blocks. */
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/analysis/sites.h"
#include "pyheapinspect/base/bigmem.h"

static int oom(struct phi_error *err)
{
	return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory grouping "
			     "the allocation sites");
}

/* Larger first: size, then count, then the key (a rank), all desc. */
static int cmp_rows(const struct phi_site *a, const struct phi_site *b,
		    uint64_t ka, uint64_t kb)
{
	if (a->size != b->size)
		return a->size > b->size ? -1 : 1;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return ka > kb ? -1 : ka < kb;
}

static uint64_t line_key(const struct phi_site *s)
{
	return (uint64_t)s->file << 32 | s->lineno;
}

static int cmp_line_rows(const void *a, const void *b)
{
	return cmp_rows(a, b, line_key(a), line_key(b));
}

/* ---- statistics("lineno") ------------------------------------------- */

struct keyed {
	uint64_t key;   /* file << 32 | lineno */
	uint32_t tb;
};

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->tb < y->tb ? -1 : x->tb > y->tb;
}

static const struct phi_site *cmp_rows_base;

static int cmp_row_index(const void *a, const void *b)
{
	return cmp_line_rows(&cmp_rows_base[*(const uint32_t *)a],
			     &cmp_rows_base[*(const uint32_t *)b]);
}

/* Rows sorted as statistics() sorts them, rows nobody traced dropped,
 * and row[] (old row -> new, PHI_NONE if dropped) remapped. */
static int sort_rows(struct phi_site *rows, size_t *n, uint32_t *row,
		     size_t nrow)
{
	uint32_t *order = calloc(*n + 1, sizeof(*order));
	uint32_t *inv = calloc(*n + 1, sizeof(*inv));
	struct phi_site *copy = calloc(*n + 1, sizeof(*copy));
	size_t m = 0;

	if (!order || !inv || !copy) {
		free(order);
		free(inv);
		free(copy);
		return -1;
	}
	for (size_t i = 0; i < *n; i++) {
		inv[i] = PHI_NONE;
		if (rows[i].count)
			order[m++] = (uint32_t)i;
	}
	cmp_rows_base = rows;
	qsort(order, m, sizeof(*order), cmp_row_index);
	memcpy(copy, rows, *n * sizeof(*rows));
	for (size_t j = 0; j < m; j++) {
		rows[j] = copy[order[j]];
		inv[order[j]] = (uint32_t)j;
	}
	for (size_t i = 0; i < nrow; i++)
		row[i] = row[i] == PHI_NONE ? PHI_NONE : inv[row[i]];
	*n = m;
	free(order);
	free(inv);
	free(copy);
	return 0;
}

/* A line's row is its tracebacks' (there are far fewer tracebacks than
 * traces): tb_row[] maps each to the row of its most recent frame. */
static int by_lineno(struct phi_sites *s, const struct phi_traces *t,
		     struct phi_error *err)
{
	struct keyed *k = calloc(t->ntb + 1, sizeof(*k));
	size_t n = 0;

	s->tb_row = phi_big_calloc(t->ntb + 1, sizeof(*s->tb_row));
	s->lineno = phi_big_calloc(t->ntb + 1, sizeof(*s->lineno));
	if (!k || !s->tb_row || !s->lineno) {
		free(k);
		return oom(err);
	}
	for (size_t i = 0; i < t->ntb; i++) {
		const struct phi_trace_frame *f = &t->frames[t->tb[i].frame];

		k[i] = (struct keyed){ (uint64_t)f->file << 32 | f->lineno,
				       (uint32_t)i };
	}
	qsort(k, t->ntb, sizeof(*k), cmp_keyed);
	for (size_t i = 0; i < t->ntb; i++) {
		if (!n || k[i].key != line_key(&s->lineno[n - 1]))
			s->lineno[n++] = (struct phi_site){
				(uint32_t)(k[i].key >> 32), (uint32_t)k[i].key,
				k[i].tb, 0, 0 };
		s->tb_row[k[i].tb] = (uint32_t)(n - 1);
	}
	free(k);
	for (size_t i = 0; i < t->n; i++) {
		struct phi_site *row = &s->lineno[s->tb_row[t->v[i].traceback]];

		row->size += t->v[i].size;
		row->count++;
	}
	s->nlineno = n;
	return sort_rows(s->lineno, &s->nlineno, s->tb_row, t->ntb) < 0 ?
		       oom(err) : 0;
}

/* ---- statistics("traceback") ------------------------------------------ */

static const struct phi_traces *cmp_tb_traces;

/* Traceback order: frames oldest first, as tuples; a prefix first. */
static int cmp_tb(uint32_t a, uint32_t b)
{
	const struct phi_traces *t = cmp_tb_traces;
	const struct phi_traceback *x = &t->tb[a], *y = &t->tb[b];
	unsigned n = x->nframe < y->nframe ? x->nframe : y->nframe;

	for (unsigned i = 1; i <= n; i++) {
		const struct phi_trace_frame *f =
			&t->frames[x->frame + x->nframe - i];
		const struct phi_trace_frame *g =
			&t->frames[y->frame + y->nframe - i];

		if (f->file != g->file)
			return f->file < g->file ? -1 : 1;
		if (f->lineno != g->lineno)
			return f->lineno < g->lineno ? -1 : 1;
	}
	return (x->nframe > y->nframe) - (x->nframe < y->nframe);
}

static int cmp_tb_index(const void *a, const void *b)
{
	return cmp_tb(*(const uint32_t *)a, *(const uint32_t *)b);
}

static int cmp_tb_rows(const void *a, const void *b)
{
	const struct phi_site *x = a, *y = b;

	/* file holds the group's rank here (see by_traceback) */
	return cmp_rows(x, y, x->file, y->file);
}

/* Tracebacks with the same frames are one group (Python's Traceback
 * equality ignores total_nframe, which tells the C records apart). */
static int by_traceback(struct phi_sites *s, const struct phi_traces *t,
			struct phi_error *err)
{
	uint32_t *order = phi_big_calloc(t->ntb ? t->ntb : 1, sizeof(*order));
	uint32_t *group = phi_big_calloc(t->ntb ? t->ntb : 1, sizeof(*group));
	size_t ngroups = 0;
	int rc = 0;

	s->traceback = phi_big_calloc(t->ntb ? t->ntb : 1,
				      sizeof(*s->traceback));
	if (!order || !group || !s->traceback) {
		rc = oom(err);
		goto out;
	}
	for (size_t i = 0; i < t->ntb; i++)
		order[i] = (uint32_t)i;
	cmp_tb_traces = t;
	qsort(order, t->ntb, sizeof(*order), cmp_tb_index);
	for (size_t i = 0; i < t->ntb; i++) {
		if (!ngroups || cmp_tb(order[i - 1], order[i]) != 0) {
			const struct phi_traceback *b = &t->tb[order[i]];

			s->traceback[ngroups] = (struct phi_site){
				(uint32_t)ngroups, t->frames[b->frame].lineno,
				order[i], 0, 0 };
			ngroups++;
		}
		group[order[i]] = (uint32_t)(ngroups - 1);
	}
	for (size_t i = 0; i < t->n; i++) {
		struct phi_site *row = &s->traceback[group[t->v[i].traceback]];

		row->size += t->v[i].size;
		row->count++;
	}
	/* Groups no trace uses (tracebacks outlive their traces) go. */
	s->ntraceback = 0;
	for (size_t i = 0; i < ngroups; i++)
		if (s->traceback[i].count)
			s->traceback[s->ntraceback++] = s->traceback[i];
	qsort(s->traceback, s->ntraceback, sizeof(*s->traceback),
	      cmp_tb_rows);
	for (size_t i = 0; i < s->ntraceback; i++) {
		struct phi_site *row = &s->traceback[i];

		row->file = t->frames[t->tb[row->tb].frame].file;
	}
out:
	phi_big_free(order);
	phi_big_free(group);
	return rc;
}

/* ---- the retained set of an object by site ---------------------------- */

struct splitter {
	const struct phi_heap *h;
	const struct phi_traces *t;
	const struct phi_sites *s;
	uint32_t *child_start, *children; /* dominator tree, CSR */
	uint32_t *stack;
	uint64_t *acc_size, *acc_count;   /* per lineno row */
	uint32_t *touched;
	size_t ntouched;
	size_t top;
};

static int tree(struct splitter *sp, const struct phi_dominators *dom,
		struct phi_error *err)
{
	size_t n = sp->h->g.n;

	sp->child_start = phi_big_calloc(n + 2, sizeof(uint32_t));
	sp->children = phi_big_calloc(n ? n : 1, sizeof(uint32_t));
	sp->stack = phi_big_calloc(n ? n : 1, sizeof(uint32_t));
	sp->acc_size = phi_big_calloc(sp->s->nlineno + 1, sizeof(uint64_t));
	sp->acc_count = phi_big_calloc(sp->s->nlineno + 1, sizeof(uint64_t));
	sp->touched = phi_big_calloc(sp->s->nlineno + 1, sizeof(uint32_t));
	if (!sp->child_start || !sp->children || !sp->stack ||
	    !sp->acc_size || !sp->acc_count || !sp->touched)
		return oom(err);
	for (size_t v = 0; v < n; v++)
		if (dom->idom[v] < n)
			sp->child_start[dom->idom[v] + 2]++;
	for (size_t v = 0; v < n; v++)
		sp->child_start[v + 2] += sp->child_start[v + 1];
	for (size_t v = 0; v < n; v++)
		if (dom->idom[v] < n)
			sp->children[sp->child_start[dom->idom[v] + 1]++] =
				(uint32_t)v;
	return 0;
}

static void count_block(struct splitter *sp, struct phi_site_split *x,
			uint32_t trace)
{
	uint32_t row = sp->s->tb_row[sp->t->v[trace].traceback];

	if (!sp->acc_count[row])
		sp->touched[sp->ntouched++] = row;
	sp->acc_size[row] += sp->t->v[trace].size;
	sp->acc_count[row]++;
	x->traced += sp->t->v[trace].size;
	x->blocks++;
}

/* The first of node's owned blocks (t->blocks is sorted by node). */
static size_t first_block(const struct phi_traces *t, uint32_t node)
{
	size_t lo = 0, hi = t->nblocks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->blocks[mid].node < node)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void count_node(struct splitter *sp, struct phi_site_split *x,
		       uint32_t v)
{
	const struct phi_traces *t = sp->t;
	uint32_t own = t->node_trace[v];
	uint64_t owned = 0, size = phi_graph_size(&sp->h->g, v);

	x->objects++;
	for (size_t b = first_block(t, v);
	     b < t->nblocks && t->blocks[b].node == v; b++) {
		count_block(sp, x, t->blocks[b].trace);
		owned += t->v[t->blocks[b].trace].size;
	}
	if (own != PHI_NONE) {
		count_block(sp, x, own);
	} else {
		/* Its getsizeof, but the part its traced blocks hold: so
		 * that traced + untraced is the retained size whenever the
		 * traces cover what getsizeof counts. */
		x->untraced_objects++;
		x->untraced_size += size > owned ? size - owned : 0;
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_split_rows(const void *a, const void *b)
{
	const struct phi_site *x = a, *y = b;

	/* tb holds the global row here: ties in its order */
	return cmp_rows(x, y, UINT64_MAX - x->tb, UINT64_MAX - y->tb);
}

static int split(struct splitter *sp, uint32_t node,
		 const struct phi_dominators *dom, struct phi_site_split *x,
		 struct phi_error *err)
{
	size_t depth = 0;

	memset(x, 0, sizeof(*x));
	x->node = node;
	x->retained = dom->retained[node];
	sp->stack[depth++] = node;
	/* A tree: every node is pushed once, so n slots suffice. */
	while (depth) {
		uint32_t v = sp->stack[--depth];
		uint32_t end = sp->child_start[v + 1];

		count_node(sp, x, v);
		for (uint32_t c = sp->child_start[v]; c < end; c++)
			sp->stack[depth++] = sp->children[c];
	}
	x->lines = sp->ntouched;
	x->rows = calloc(sp->ntouched ? sp->ntouched : 1, sizeof(*x->rows));
	if (!x->rows)
		return oom(err);
	qsort(sp->touched, sp->ntouched, sizeof(*sp->touched), cmp_u32);
	for (size_t i = 0; i < sp->ntouched; i++) {
		uint32_t row = sp->touched[i];
		const struct phi_site *g = &sp->s->lineno[row];

		x->rows[i] = (struct phi_site){ g->file, g->lineno, row,
						sp->acc_size[row],
						sp->acc_count[row] };
		sp->acc_size[row] = sp->acc_count[row] = 0;
	}
	qsort(x->rows, sp->ntouched, sizeof(*x->rows), cmp_split_rows);
	x->nrows = sp->ntouched < sp->top ? sp->ntouched : sp->top;
	sp->ntouched = 0;
	return 0;
}

static int splits(struct phi_sites *s, const struct phi_heap *h,
		  const struct phi_traces *t,
		  const struct phi_dominators *dom,
		  const struct phi_sites_opts *o, struct phi_error *err)
{
	struct splitter sp = { .h = h, .t = t, .s = s, .top = o->top };
	int rc;

	if (!o->nnamed && !o->nsuspects)
		return 0;
	s->named = calloc(o->nnamed + 1, sizeof(*s->named));
	s->suspects = calloc(o->nsuspects + 1, sizeof(*s->suspects));
	rc = s->named && s->suspects ? tree(&sp, dom, err) : oom(err);
	for (size_t i = 0; rc == 0 && i < o->nnamed; i++, s->nnamed++)
		rc = split(&sp, o->named[i], dom, &s->named[i], err);
	for (size_t i = 0; rc == 0 && i < o->nsuspects; i++, s->nsuspects++)
		rc = split(&sp, o->suspects[i], dom, &s->suspects[i], err);
	phi_big_free(sp.child_start);
	phi_big_free(sp.children);
	phi_big_free(sp.stack);
	phi_big_free(sp.acc_size);
	phi_big_free(sp.acc_count);
	phi_big_free(sp.touched);
	return rc;
}

int phi_sites_compute(struct phi_sites *s, const struct phi_heap *h,
		      const struct phi_traces *t,
		      const struct phi_dominators *dom,
		      const struct phi_sites_opts *o, struct phi_error *err)
{
	int rc;

	memset(s, 0, sizeof(*s));
	if (!t || t->state != PHI_TRACES_READ || t->summary)
		return 0;
	s->t = t;
	rc = by_lineno(s, t, err);
	if (rc == 0 && o->by_traceback)
		rc = by_traceback(s, t, err);
	if (rc == 0 && t->nnodes == h->g.n)
		rc = splits(s, h, t, dom, o, err);
	return rc;
}

void phi_sites_release(struct phi_sites *s)
{
	for (size_t i = 0; s->named && i < s->nnamed; i++)
		free(s->named[i].rows);
	for (size_t i = 0; s->suspects && i < s->nsuspects; i++)
		free(s->suspects[i].rows);
	free(s->named);
	free(s->suspects);
	phi_big_free(s->lineno);
	phi_big_free(s->traceback);
	phi_big_free(s->tb_row);
	free(s->growth);
	memset(s, 0, sizeof(*s));
}

/* ---- growth against a baseline (the growth issue's hook) -------------- */

static int cmp_text(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	return c ? c : (alen > blen) - (alen < blen);
}

static uint64_t abs64(int64_t v)
{
	return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

/* StatisticDiff._sort_key, reversed. */
static int cmp_growth(const void *a, const void *b)
{
	const struct phi_site_growth *x = a, *y = b;
	int c;

	if (abs64(x->size_diff) != abs64(y->size_diff))
		return abs64(x->size_diff) > abs64(y->size_diff) ? -1 : 1;
	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	if (abs64(x->count_diff) != abs64(y->count_diff))
		return abs64(x->count_diff) > abs64(y->count_diff) ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	c = cmp_text(x->filename, x->filename_len, y->filename,
		     y->filename_len);
	if (c)
		return -c;
	return x->lineno > y->lineno ? -1 : x->lineno < y->lineno;
}

static int cmp_line(const void *a, const void *b)
{
	const struct phi_site_line *x = a, *y = b;
	int c = cmp_text(x->filename, x->filename_len, y->filename,
			 y->filename_len);

	if (c)
		return c;
	return x->lineno < y->lineno ? -1 : x->lineno > y->lineno;
}

int phi_sites_lines(const struct phi_sites *s, struct phi_site_line **out,
		    size_t *n, struct phi_error *err)
{
	struct phi_site_line *v = calloc(s->nlineno + 1, sizeof(*v));

	*out = v;
	*n = 0;
	if (!v)
		return oom(err);
	for (size_t i = 0; i < s->nlineno; i++) {
		const struct phi_site *r = &s->lineno[i];
		const struct phi_trace_file *f = &s->t->files[r->file];

		v[i] = (struct phi_site_line){ f->text, f->len, r->lineno,
					       r->size, r->count };
	}
	*n = s->nlineno;
	qsort(v, *n, sizeof(*v), cmp_line);
	return 0;
}

/* Both sides' lines in (name, line) order, walked together. */
static size_t merge_lines(struct phi_site_growth *out,
			  const struct phi_site_line *a, size_t na,
			  const struct phi_site_line *b, size_t nb)
{
	size_t i = 0, j = 0, n = 0;

	while (i < na || j < nb) {
		struct phi_site_growth *g = &out[n++];
		int c = i == na ? 1 : j == nb ? -1 : cmp_line(&a[i], &b[j]);

		if (c <= 0) {
			*g = (struct phi_site_growth){
				a[i].filename, a[i].filename_len, a[i].lineno,
				(int64_t)a[i].size, (int64_t)a[i].count,
				a[i].size, a[i].count };
			if (c == 0) {
				g->size_diff -= (int64_t)b[j].size;
				g->count_diff -= (int64_t)b[j].count;
				j++;
			}
			i++;
		} else {
			*g = (struct phi_site_growth){
				b[j].filename, b[j].filename_len, b[j].lineno,
				-(int64_t)b[j].size, -(int64_t)b[j].count,
				0, 0 };
			j++;
		}
	}
	return n;
}

int phi_sites_diff(const struct phi_site_line *now, size_t nnow,
		   const struct phi_site_line *then, size_t nthen,
		   struct phi_site_growth **out, size_t *nout,
		   struct phi_error *err)
{
	struct phi_site_line *a = calloc(nnow + 1, sizeof(*a));
	struct phi_site_line *b = calloc(nthen + 1, sizeof(*b));
	struct phi_site_growth *g = calloc(nnow + nthen + 1, sizeof(*g));
	size_t n;

	*out = NULL;
	*nout = 0;
	if (!a || !b || !g) {
		free(a);
		free(b);
		free(g);
		return oom(err);
	}
	memcpy(a, now, nnow * sizeof(*a));
	memcpy(b, then, nthen * sizeof(*b));
	qsort(a, nnow, sizeof(*a), cmp_line);
	qsort(b, nthen, sizeof(*b), cmp_line);
	n = merge_lines(g, a, nnow, b, nthen);
	qsort(g, n, sizeof(*g), cmp_growth);
	free(a);
	free(b);
	*out = g;
	*nout = n;
	return 0;
}

int phi_sites_compare(struct phi_sites *now,
		      const struct phi_site_line *then, size_t nthen,
		      struct phi_error *err)
{
	struct phi_site_line *a = NULL;
	size_t na = 0;
	int rc;

	free(now->growth);
	now->growth = NULL;
	now->ngrowth = 0;
	rc = phi_sites_lines(now, &a, &na, err);
	if (rc == 0)
		rc = phi_sites_diff(a, na, then, nthen, &now->growth,
				    &now->ngrowth, err);
	free(a);
	return rc;
}
