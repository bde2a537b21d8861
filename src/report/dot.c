/* --dot: why each named object is alive, as a Graphviz digraph.
 *
 * Solid edges: its shortest path of references from a root (the BFS
 * tree of paths.c), each labelled with its step.  Dashed edges: its
 * dominator neighbourhood, the chain of immediate dominators up to the
 * roots (each of them alone keeps it alive) and the largest objects it
 * dominates (what freeing it would free), the rest summed in one node.
 * Every chain is bounded (a linked list is millions deep): past a few
 * steps, the middle is one "... N steps ..." node.
 *
 * Labels from the target are escaped as docs/html-data.md, section 6,
 * says: \ as \\, " as \", & as &amp; (graphviz decodes entities in plain
 * labels), control characters as the visible text \xNN; \n only between
 * the tool's own lines.  So graphviz draws the target's text as it is. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/base/sizes.h"
#include "pyheapinspect/report/dot.h"
#include "pyheapinspect/report/textfit.h"

#define CHAIN_MAX 24     /* path nodes drawn, the root's included */
#define DOM_MAX 12       /* immediate dominators drawn */
#define KIDS_MAX 8       /* dominated objects drawn */
#define CAP_PATH 400
#define CAP_LABEL 160
#define CAP_TYPE 120
#define MAX_DRAWN (CHAIN_MAX + DOM_MAX + KIDS_MAX + 8)

struct dot {
	FILE *out;
	const struct phi_report *r;
	const struct phi_heap *h;
	const struct phi_dominators *d;
	const struct phi_domtree *t;
	uint32_t drawn[MAX_DRAWN]; /* graph nodes declared for this object */
	size_t ndrawn;
	unsigned serial;           /* for the synthetic nodes' names */
	char buf[PHI_PATH_MAX];
};

static size_t width_dot(const unsigned char *c, size_t n)
{
	if (n != 1)
		return n;
	if (c[0] == '\\' || c[0] == '"')
		return 2;
	if (c[0] == '&' || c[0] < 0x20 || c[0] == 0x7f)
		return 5;
	return 1;
}

/* Text fitted to limit, escaped, inside a quoted string. */
static void put(FILE *out, const char *s, size_t limit)
{
	char fit[CAP_PATH + 8];

	phi_text_fit(s, strlen(s), fit, sizeof(fit), limit, width_dot);
	for (const unsigned char *u = (const unsigned char *)fit; *u; u++) {
		if (*u == '\\' || *u == '"')
			fprintf(out, "\\%c", *u);
		else if (*u == '&')
			fputs("&amp;", out);
		else if (*u < 0x20 || *u == 0x7f)
			fprintf(out, "\\\\x%02x", *u);
		else
			putc(*u, out);
	}
}

/* 1234567 -> "1.2 MiB (1234567 B)" */
static void bytes(FILE *out, uint64_t n)
{
	char b[24];

	fputs(phi_size_text(n, b, sizeof(b)), out);
	if (n >= 1024)
		fprintf(out, " (%" PRIu64 " B)", n);
}

static bool drawn(struct dot *x, uint32_t v)
{
	for (size_t i = 0; i < x->ndrawn; i++)
		if (x->drawn[i] == v)
			return true;
	return false;
}

enum role { R_NAMED, R_PATH, R_DOMINATOR, R_DOMINATED };

/* Declare graph node v once: its first line says what it is to the
 * named object (its whole path, or its label under the object), then
 * type and address, then what it retains. */
static void node(struct dot *x, uint32_t v, enum role role)
{
	const struct phi_paths *p = &x->r->analysis->paths;
	FILE *out = x->out;

	if (drawn(x, v) || x->ndrawn == MAX_DRAWN)
		return;
	x->drawn[x->ndrawn++] = v;
	fprintf(out, "  n%" PRIu32 " [label=\"", v);
	if (role == R_NAMED || role == R_DOMINATOR) {
		phi_path_text(p, x->h, v, x->buf, sizeof(x->buf));
		put(out, x->buf[0] ? x->buf : "(no path from a root)",
		    CAP_PATH);
		fputs("\\n", out);
	} else if (role == R_DOMINATED) {
		phi_domtree_label(x->d, p, x->h, v, x->buf, sizeof(x->buf));
		put(out, x->buf, CAP_LABEL);
		fputs("\\n", out);
	}
	put(out, x->h->types.v[x->h->g.type[v]].name, CAP_TYPE);
	fprintf(out, " at 0x%" PRIx64 "\\n", x->h->g.addr[v]);
	if (role == R_NAMED) {
		fputs("size ", out);
		bytes(out, phi_graph_size(&x->h->g, v));
		fputs(", ", out);
	}
	fputs("retains ", out);
	bytes(out, x->d->retained[v]);
	fputs(role == R_NAMED ? "\", fillcolor=\"#ffe9a8\", penwidth=2];\n" :
				"\"];\n", out);
}

static void edge(FILE *out, const char *from, uint32_t to, const char *label,
		 bool dashed)
{
	fprintf(out, "  %s -> n%" PRIu32 " [", from, to);
	if (label) {
		fputs("label=\"", out);
		put(out, label, CAP_LABEL);
		fputs("\"", out);
	}
	if (dashed)
		fprintf(out, "%sstyle=dashed, color=\"#7a8794\"",
			label ? ", " : "");
	fputs("];\n", out);
}

static const char *name_of(uint32_t v, char *buf, size_t len)
{
	snprintf(buf, len, "n%" PRIu32, v);
	return buf;
}

/* A node standing for what is not drawn; returns its name. */
static const char *elision(struct dot *x, const char *what, uint64_t n,
			   char *name, size_t len)
{
	snprintf(name, len, "more%u", x->serial++);
	fprintf(x->out, "  %s [label=\"... %" PRIu64 " %s ...\", "
		"shape=plaintext, style=\"\"];\n", name, n, what);
	return name;
}

/* The shortest path of references from a root, solid. */
static void path_chain(struct dot *x, uint32_t v)
{
	const struct phi_paths *p = &x->r->analysis->paths;
	uint32_t chain[CHAIN_MAX];
	size_t n = 0, skipped = 0;
	uint32_t u = v, top;
	char from[32], step[PHI_PATH_MAX];

	while (p->parent[u] != PHI_PATH_ROOT) {
		if (n < CHAIN_MAX - 1)
			chain[n++] = u;
		else
			skipped++;
		u = p->parent[u];
	}
	top = u;
	node(x, top, top == v ? R_NAMED : R_PATH);
	phi_heap_label_root(x->h, top, p->root_of[top], step, sizeof(step));
	edge(x->out, "roots", top, step, false);
	snprintf(from, sizeof(from), "n%" PRIu32, top);
	if (skipped)
		elision(x, "steps", skipped, from, sizeof(from));
	if (skipped)
		fprintf(x->out, "  n%" PRIu32 " -> %s;\n", top, from);
	for (size_t k = n; k > 0; k--) {
		uint32_t c = chain[k - 1], parent = p->parent[c];

		node(x, c, c == v ? R_NAMED : R_PATH);
		step[0] = '\0';
		phi_heap_label_step(x->h, parent, c, step, sizeof(step));
		edge(x->out, from, c, step, false);
		name_of(c, from, sizeof(from));
	}
}

/* The immediate dominators up to the roots, dashed. */
static void dominator_chain(struct dot *x, uint32_t v)
{
	uint32_t chain[DOM_MAX];
	size_t n = 0;
	uint64_t more = 0;
	char from[32] = "roots", name[32];

	for (uint32_t u = x->d->idom[v]; u != PHI_DOM_ROOT && u != PHI_NONE;
	     u = x->d->idom[u]) {
		if (n < DOM_MAX)
			chain[n++] = u;
		else
			more++;
		if (more > x->h->g.n)
			break;
	}
	if (more) {
		elision(x, "more dominators", more, name, sizeof(name));
		fprintf(x->out, "  roots -> %s [style=dashed, "
			"color=\"#7a8794\"];\n", name);
		snprintf(from, sizeof(from), "%s", name);
	}
	for (size_t k = n; k > 0; k--) {
		node(x, chain[k - 1], R_DOMINATOR);
		edge(x->out, from, chain[k - 1], NULL, true);
		name_of(chain[k - 1], from, sizeof(from));
	}
	edge(x->out, from, v, NULL, true);
}

/* The KIDS_MAX children retaining the most, then the rest in one. */
static void dominated(struct dot *x, uint32_t v)
{
	const struct phi_domtree *t = x->t;
	uint32_t best[KIDS_MAX];
	size_t n = 0;
	uint64_t rest = 0, rest_ret = 0;
	char from[32], name[32];

	for (uint32_t k = t->start[v]; k < t->start[v + 1]; k++) {
		uint32_t c = t->kids[k];
		uint64_t rc = x->d->retained[c];
		size_t i;

		if (n == KIDS_MAX && rc <= x->d->retained[best[n - 1]])
			continue;
		i = n < KIDS_MAX ? n++ : n - 1;
		while (i > 0 && x->d->retained[best[i - 1]] < rc) {
			best[i] = best[i - 1];
			i--;
		}
		best[i] = c;
	}
	for (uint32_t k = t->start[v]; k < t->start[v + 1]; k++) {
		rest++;
		rest_ret += x->d->retained[t->kids[k]];
	}
	name_of(v, from, sizeof(from));
	for (size_t i = 0; i < n; i++) {
		node(x, best[i], R_DOMINATED);
		edge(x->out, from, best[i], NULL, true);
		rest--;
		rest_ret -= x->d->retained[best[i]];
	}
	if (!rest)
		return;
	snprintf(name, sizeof(name), "rest%u", x->serial++);
	fprintf(x->out, "  %s [label=\"%" PRIu64 " smaller objects\\n"
		"retain ", name, rest);
	bytes(x->out, rest_ret);
	fprintf(x->out, "\", fillcolor=\"#f3f4f6\"];\n  %s -> %s "
		"[style=dashed, color=\"#7a8794\"];\n", from, name);
}

static void named_object(struct dot *x, uint32_t v)
{
	x->ndrawn = 0;
	if (x->r->analysis->paths.parent[v] == PHI_NONE) {
		node(x, v, R_NAMED);
		fprintf(x->out, "  n%" PRIu32 " [xlabel=\"no root reaches "
			"it\"];\n", v);
		return;
	}
	path_chain(x, v);
	dominator_chain(x, v);
	dominated(x, v);
}

int phi_report_dot(FILE *out, const struct phi_report *r,
		   const struct phi_domtree *t, struct phi_error *err)
{
	const struct phi_analysis *a = r->analysis;
	struct dot *x = calloc(1, sizeof(*x));

	if (!x)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	x->out = out;
	x->r = r;
	x->h = r->heap;
	x->d = &a->retained.dom;
	x->t = t;
	fputs("digraph pyheapinspect {\n"
	      "  rankdir=LR;\n"
	      "  label=\"solid: the shortest path of references from a root"
	      "; dashed: the immediate dominators (each alone keeps the "
	      "object alive) and the largest objects it dominates\";\n"
	      "  labelloc=t;\n"
	      "  fontname=\"DejaVu Sans\";\n  fontsize=10;\n"
	      "  node [shape=box, style=\"rounded,filled\", "
	      "fillcolor=\"#eef3f8\", fontname=\"DejaVu Sans\", "
	      "fontsize=10];\n"
	      "  edge [fontname=\"DejaVu Sans Mono\", fontsize=9];\n"
	      "  roots [label=\"roots\", shape=ellipse];\n", out);
	for (size_t i = 0; i < a->nnamed; i++)
		named_object(x, a->named[i].node);
	fputs("}\n", out);
	free(x);
	if (fflush(out) != 0 || ferror(out))
		return phi_error_set(err, PHI_E_IO, "cannot write the DOT "
				     "graph");
	return 0;
}
