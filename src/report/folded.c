/* Folded stacks of retained size (docs/html-data.md, section 6): one
 * line per dominator-tree node kept, `root;FRAME;...;FRAME BYTES`, where
 * FRAME is the node's tree label and type and BYTES its own size plus
 * what its pruned children retain.  So the lines under a node's prefix
 * add up to its retained size, and all lines to the reachable heap.
 *
 * Kept: best-first, the nodes retaining at least 1/100,000 of the
 * reachable heap, at most MAX_NODES of them, MAX_DEPTH frames deep and
 * MAX_BYTES of output (a deep chain repeats its prefix on every line:
 * the output would grow with the square of the depth).  What is not kept
 * is folded into its parent's line: the sums hold whatever the bounds.
 * Written by an iterative depth-first walk of the kept nodes, the
 * prefix kept in one buffer. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/base/progress.h"
#include "pyheapinspect/report/folded.h"
#include "pyheapinspect/report/textfit.h"

#define SHARE_DIV 100000
#define MAX_NODES 50000
#define MAX_BYTES (64u << 20)
#define MAX_DEPTH 256
#define CAP_LABEL 160
#define CAP_TYPE 120
/* ";" + label + " " + type, escaped */
#define FRAME_MAX (1 + CAP_LABEL + 1 + CAP_TYPE)
#define ROOT "root"

struct kept {
	uint32_t node;
	uint32_t parent;     /* id */
	uint32_t prefix;     /* length of the stack up to and with it */
	uint32_t depth;      /* frames after root */
	uint64_t own;        /* its line's bytes */
};

struct folded {
	const struct phi_report *r;
	const struct phi_dominators *d;
	struct kept *k;      /* by id; [0] is the root */
	size_t n, cap;
	uint64_t bytes;      /* output of the lines kept so far */
	bool oom;
	char label[PHI_PATH_MAX];
};

static size_t width_frame(const unsigned char *c, size_t n)
{
	if (n == 1 && c[0] == '\\')
		return 2;
	if (n == 1 && (c[0] == ';' || c[0] < 0x20 || c[0] == 0x7f))
		return 4;
	return n;
}

static size_t width_type(const unsigned char *c, size_t n)
{
	return n == 1 && c[0] == ' ' ? 4 : width_frame(c, n);
}

/* Escape fitted text into out: \ as \\, ; as \x3b, control characters
 * as \xNN and, in a type, a space as \x20. */
static size_t escape(const char *s, bool type, char *out)
{
	size_t n = 0;

	for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
		if (*u == '\\') {
			out[n++] = '\\';
			out[n++] = '\\';
		} else if (*u == ';' || *u < 0x20 || *u == 0x7f ||
			   (type && *u == ' ')) {
			n += (size_t)sprintf(out + n, "\\x%02x", *u);
		} else {
			out[n++] = (char)*u;
		}
	}
	out[n] = '\0';
	return n;
}

/* ";LABEL TYPE" of node v into out (FRAME_MAX + 1 bytes). */
static size_t frame(struct folded *f, uint32_t v, char *out)
{
	const struct phi_heap *h = f->r->heap;
	char fit[CAP_LABEL + 8];
	size_t n;

	phi_domtree_label(f->d, &f->r->analysis->paths, h, v, f->label,
			  sizeof(f->label));
	out[0] = ';';
	phi_text_fit(f->label, strlen(f->label), fit, sizeof(fit), CAP_LABEL,
		     width_frame);
	n = 1 + escape(fit, false, out + 1);
	out[n++] = ' ';
	phi_text_fit(h->types.v[h->g.type[v]].name,
		     strlen(h->types.v[h->g.type[v]].name), fit, sizeof(fit),
		     CAP_TYPE, width_type);
	return n + escape(fit, true, out + n);
}

static bool grow(struct folded *f)
{
	struct kept *nk;
	size_t ncap = f->cap ? f->cap * 2 : 1024;

	if (f->n < f->cap)
		return true;
	nk = realloc(f->k, ncap * sizeof(*nk));
	if (!nk) {
		f->oom = true;
		return false;
	}
	f->k = nk;
	f->cap = ncap;
	return true;
}

static bool fold_keep(void *ctx, uint32_t v, uint32_t id, uint32_t parent)
{
	struct folded *f = ctx;
	char fr[FRAME_MAX + 8];
	/* Its line: the stack, a space, up to 20 digits, a newline. */
	uint64_t stack = f->k[parent].prefix + frame(f, v, fr);
	uint64_t line = stack + 22;

	if (f->oom || f->k[parent].depth == MAX_DEPTH ||
	    f->bytes + line > MAX_BYTES || !grow(f))
		return false;
	f->k[id] = (struct kept){ v, parent, (uint32_t)stack,
				  f->k[parent].depth + 1,
				  phi_graph_size(&f->r->heap->g, v) };
	f->n = id + 1;
	f->bytes += line;
	return true;
}

static void fold_pruned(void *ctx, uint32_t v, uint32_t parent)
{
	struct folded *f = ctx;

	f->k[parent].own += f->d->retained[v];
}

/* The kept nodes' children, as offsets into one array (ids are given
 * parents first, so a counting sort by parent). */
static uint32_t *children(const struct folded *f, uint32_t **start_out)
{
	uint32_t *start = calloc(f->n + 1, sizeof(*start));
	uint32_t *kids = calloc(f->n ? f->n : 1, sizeof(*kids));

	if (!start || !kids) {
		free(start);
		free(kids);
		return NULL;
	}
	for (size_t id = 1; id < f->n; id++)
		start[f->k[id].parent]++;
	for (size_t id = 0, sum = 0; id <= f->n; id++) {
		sum += id < f->n ? start[id] : 0;
		start[id] = (uint32_t)sum;
	}
	for (size_t id = f->n; id-- > 1;)
		kids[--start[f->k[id].parent]] = (uint32_t)id;
	*start_out = start;
	return kids;
}

static int write_lines(FILE *out, struct folded *f)
{
	uint32_t *start = NULL, *kids = children(f, &start);
	uint32_t *stack = malloc((f->n ? f->n : 1) * sizeof(*stack));
	size_t sp = 0, lines = 0, longest = 0;
	char *buf;

	for (size_t id = 0; id < f->n; id++)
		if (f->k[id].prefix > longest)
			longest = f->k[id].prefix;
	buf = malloc(longest + FRAME_MAX + 8);

	if (!kids || !stack || !buf) {
		free(start);
		free(kids);
		free(stack);
		free(buf);
		return -1;
	}
	memcpy(buf, ROOT, sizeof(ROOT) - 1);
	stack[sp++] = 0;
	while (sp) {
		uint32_t id = stack[--sp];
		const struct kept *k = &f->k[id];

		/* Every node met since its parent is in the parent's
		 * subtree: the parent's prefix is still in buf. */
		if (id)
			frame(f, k->node, buf + f->k[k->parent].prefix);
		fwrite(buf, 1, k->prefix, out);
		fprintf(out, " %" PRIu64 "\n", k->own);
		for (uint32_t j = start[id + 1]; j-- > start[id];)
			stack[sp++] = kids[j];
		if ((++lines & 1023) == 0)
			phi_progress_update(lines, f->n);
	}
	free(start);
	free(kids);
	free(stack);
	free(buf);
	return 0;
}

int phi_report_folded(FILE *out, const struct phi_report *r,
		      const struct phi_domtree *t, struct phi_error *err)
{
	struct folded *f = calloc(1, sizeof(*f));
	uint64_t total, threshold;
	struct phi_prune o = { .max_nodes = MAX_NODES, .keep = fold_keep,
			       .pruned = fold_pruned };
	size_t kept;
	int rc = -1;

	if (!f)
		goto out;
	f->r = r;
	f->d = &r->analysis->retained.dom;
	total = f->d->reachable_size;
	threshold = (total + SHARE_DIV - 1) / SHARE_DIV;
	o.threshold = threshold ? threshold : 1;
	o.ctx = f;
	if (!grow(f))
		goto out;
	f->k[0] = (struct kept){ t->n, 0, sizeof(ROOT) - 1, 0, 0 };
	f->n = 1;
	f->bytes = sizeof(ROOT) - 1 + 22;
	phi_domtree_prune(t, f->d, &r->heap->g, &o, &kept);
	if (!f->oom)
		rc = write_lines(out, f);
out:
	if (f)
		free(f->k);
	free(f);
	if (rc < 0)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory "
				     "writing the folded stacks");
	if (fflush(out) != 0 || ferror(out))
		return phi_error_set(err, PHI_E_IO, "cannot write the folded "
				     "stacks");
	return 0;
}
