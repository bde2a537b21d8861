/* Paths to roots.  One breadth-first walk from the roots (those of the
 * main interpreter first, then each subinterpreter's, then the
 * process-wide ones; within each, sys.modules first) gives every object
 * its shortest chain and the interpreter it starts at; each step is
 * then named by looking at where the parent holds the child. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/analysis/paths.h"
#include "pyheapinspect/base/bigmem.h"
#include "pyheapinspect/base/progress.h"

/* Which roots explain an object best: module state first (a module
 * global reads better than the frame that happens to run the module),
 * then threads, then the interpreter's caches, then references from
 * outside the heap. */
static int root_rank(enum phi_root_kind k)
{
	switch (k) {
	case PHI_ROOT_MODULES:
	case PHI_ROOT_SYSDICT:
	case PHI_ROOT_BUILTINS:
	case PHI_ROOT_INTERP:
		return 0;
	case PHI_ROOT_FRAME:
	case PHI_ROOT_THREAD:
		return 1;
	default:
		return 2;
	}
}

/* Breadth-first from the queue's current contents to exhaustion; each
 * object found takes its parent's interpreter. */
static size_t bfs(const struct phi_graph *g, struct phi_paths *p,
		  uint32_t *queue, size_t head, size_t tail)
{
	uint32_t *parent = p->parent;

	while (head < tail) {
		uint32_t u = queue[head++];

		if ((head & 0xffff) == 0)
			phi_progress_update(head, g->n);

		for (uint64_t e = g->edge_start[u]; e < g->edge_start[u + 1];
		     e++) {
			uint32_t v = g->edges[e];

			if ((v & PHI_EDGE_FLAGS) || parent[v] != PHI_NONE)
				continue;
			parent[v] = u;
			p->interp[v] = p->interp[u];
			queue[tail++] = v;
		}
	}
	return tail;
}

static size_t seed(struct phi_paths *p, uint32_t *queue, size_t tail,
		   uint32_t node, uint32_t root, uint32_t interp)
{
	if (p->parent[node] != PHI_NONE)
		return tail;
	p->parent[node] = PHI_PATH_ROOT;
	p->root_of[node] = root;
	p->interp[node] = (uint8_t)interp;
	queue[tail] = node;
	return tail + 1;
}

/* The roots of interpreter k (PHI_HEAP_NO_INTERP: the process-wide
 * ones), rank by rank, each rank walked to exhaustion. */
static size_t walk_group(struct phi_paths *p, const struct phi_heap *h,
			 uint32_t *queue, size_t tail, uint32_t k)
{
	for (int rank = 0; rank < 3; rank++) {
		size_t head = tail;

		for (size_t j = 0; j < h->nroots; j++)
			if (root_rank(h->roots[j].kind) == rank &&
			    phi_heap_root_interp(h, &h->roots[j]) == k)
				tail = seed(p, queue, tail, h->roots[j].node,
					    (uint32_t)j, k);
		tail = bfs(&h->g, p, queue, head, tail);
	}
	return tail;
}

int phi_paths_build(struct phi_paths *p, const struct phi_heap *h,
		    const uint32_t *indeg, struct phi_error *err)
{
	const struct phi_graph *g = &h->g;
	size_t n = g->n ? g->n : 1, head, tail = 0;
	size_t ninterps = h->rt ? h->rt->ninterps : 0;
	uint32_t *queue = phi_big_calloc(n, sizeof(*queue));
	uint32_t order[PHI_MAX_INTERPS];

	p->parent = phi_big_calloc(n, sizeof(*p->parent));
	p->root_of = phi_big_calloc(n, sizeof(*p->root_of));
	p->interp = phi_big_calloc(n, sizeof(*p->interp));
	if (!queue || !p->parent || !p->root_of || !p->interp) {
		phi_big_free(queue);
		phi_paths_release(p);
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	}
	memset(p->parent, 0xff, n * sizeof(*p->parent));
	memset(p->interp, PHI_HEAP_NO_INTERP, n * sizeof(*p->interp));
	/* Interpreter by interpreter, the main one first: an object that
	 * several reach (a static type, None) gets the main one's path, an
	 * object of a subinterpreter one from that interpreter's roots;
	 * the process-wide roots (interned strings, static singletons)
	 * come after every interpreter's. */
	if (h->rt)
		phi_runtime_order(h->rt, order);
	for (size_t k = 0; k < ninterps; k++)
		tail = walk_group(p, h, queue, tail, order[k]);
	tail = walk_group(p, h, queue, tail, PHI_HEAP_NO_INTERP);
	head = tail;
	for (uint32_t i = 0; i < g->n; i++)
		if ((uint64_t)phi_graph_refcnt(g, i) > indeg[i])
			tail = seed(p, queue, tail, i, PHI_PATH_EXTERNAL,
				    PHI_HEAP_NO_INTERP);
	bfs(g, p, queue, head, tail);
	phi_big_free(queue);
	return 0;
}

void phi_paths_release(struct phi_paths *p)
{
	phi_big_free(p->parent);
	phi_big_free(p->root_of);
	phi_big_free(p->interp);
	p->parent = p->root_of = NULL;
	p->interp = NULL;
}

const char *phi_path_ident_key(const char *step, char *out, size_t len)
{
	size_t n = strlen(step);

	if (n < 5 || strncmp(step, "['", 2) != 0 ||
	    strcmp(step + n - 2, "']") != 0 || n - 4 >= len)
		return NULL;
	memcpy(out, step + 2, n - 4);
	out[n - 4] = '\0';
	for (size_t i = 0; i < n - 4; i++)
		if (!(isalnum((unsigned char)out[i]) || out[i] == '_') ||
		    (i == 0 && isdigit((unsigned char)out[i])))
			return NULL;
	return out;
}

void phi_path_text(const struct phi_paths *p, const struct phi_heap *h,
		   uint32_t node, char *buf, size_t len)
{
	uint32_t chain[PHI_PATH_STEPS];
	size_t n = 0, skipped = 0, used, attr_at = SIZE_MAX;
	uint32_t v = node;
	char name[128];

	buf[0] = '\0';
	if (p->parent[node] == PHI_NONE)
		return;
	/* Walk up; keep the first PHI_PATH_STEPS nodes from the object
	 * and, past that, only count (the root end is added below). */
	while (p->parent[v] != PHI_PATH_ROOT) {
		if (n < PHI_PATH_STEPS - 1)
			chain[n++] = v;
		else
			skipped++;
		v = p->parent[v];
	}
	chain[n++] = v;
	phi_heap_label_root(h, v, p->root_of[v], buf, len);
	for (size_t k = n - 1; k > 0; k--) {
		/* The real parent: with steps skipped it is not chain[k]. */
		uint32_t parent = p->parent[chain[k - 1]];
		enum phi_kind pk = h->types.v[h->g.type[parent]].kind;

		used = strlen(buf);
		if (k == n - 1 && skipped) {
			snprintf(buf + used, len - used, "...(%zu steps)...",
				 skipped);
			used = strlen(buf);
		}
		phi_heap_label_step(h, parent, chain[k - 1], buf + used,
				    len - used);
		/* obj.__dict__['name'] reads better as obj.name (a module's
		 * __dict__ is kept, as Python programmers write it). */
		if (attr_at != SIZE_MAX &&
		    phi_path_ident_key(buf + used, name, sizeof(name)))
			snprintf(buf + attr_at, len - attr_at, ".%s", name);
		attr_at = (pk != PHI_K_MODULE && pk != PHI_K_TYPE &&
			   strcmp(buf + used, ".__dict__") == 0) ? used :
								  SIZE_MAX;
	}
}

int phi_path_steps(const struct phi_paths *p, const struct phi_heap *h,
		   uint32_t from, uint32_t node, char *buf, size_t len)
{
	uint32_t chain[PHI_PATH_STEPS];
	size_t n = 0, skipped = 0, used, attr_at = SIZE_MAX;
	uint32_t v = node;
	char name[128];

	buf[0] = '\0';
	if (node >= h->g.n || p->parent[node] == PHI_NONE)
		return -1;
	/* Up to from: the PHI_PATH_STEPS - 1 nodes nearest the object are
	 * kept, the rest only counted.  The BFS tree has no cycle, and the
	 * count bounds the walk even if it had. */
	while (v != from) {
		if (p->parent[v] == PHI_PATH_ROOT || skipped > h->g.n)
			return -1;
		if (n < PHI_PATH_STEPS - 1)
			chain[n++] = v;
		else
			skipped++;
		v = p->parent[v];
	}
	if (skipped) {
		snprintf(buf, len, "...(%zu steps)...", skipped);
		/* The first step named is then the one into chain[n - 1]. */
	}
	for (size_t k = n; k > 0; k--) {
		uint32_t parent = p->parent[chain[k - 1]];
		enum phi_kind pk = h->types.v[h->g.type[parent]].kind;

		used = strlen(buf);
		phi_heap_label_step(h, parent, chain[k - 1], buf + used,
				    len - used);
		/* As phi_path_text: obj.__dict__['name'] as obj.name. */
		if (attr_at != SIZE_MAX &&
		    phi_path_ident_key(buf + used, name, sizeof(name)))
			snprintf(buf + attr_at, len - attr_at, ".%s", name);
		attr_at = (pk != PHI_K_MODULE && pk != PHI_K_TYPE &&
			   strcmp(buf + used, ".__dict__") == 0) ? used :
								  SIZE_MAX;
	}
	return 0;
}
