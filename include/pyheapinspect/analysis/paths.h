/* Why an object is alive: the shortest chain of references from a root,
 * written the way a Python programmer reads it. */
#ifndef PYHEAPINSPECT_PATHS_H
#define PYHEAPINSPECT_PATHS_H

#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/heap.h"

/* Longest path text; longer ones are cut with "...". */
#define PHI_PATH_MAX 2048
/* Steps shown at most (the path's head and tail are kept). */
#define PHI_PATH_STEPS 64

struct phi_paths {
	uint32_t *parent;    /* BFS tree: parent node, PHI_NONE unreached,
			      * PHI_PATH_ROOT for a root */
	uint32_t *root_of;   /* for roots: index in h->roots, or
			      * PHI_PATH_EXTERNAL for an external root */
	uint8_t *interp;     /* the interpreter whose roots the path
			      * starts at (index in h->rt->interps), or
			      * PHI_HEAP_NO_INTERP: a process-wide or an
			      * external root, or unreached */
};

#define PHI_PATH_ROOT (PHI_NONE - 1)
#define PHI_PATH_EXTERNAL PHI_HEAP_EXTERNAL_ROOT

/* One breadth-first walk from every root over counted references: the
 * main interpreter's roots first, then each subinterpreter's (by id),
 * then the process-wide ones, then objects held from outside the heap;
 * within each, module state before threads before caches. */
int phi_paths_build(struct phi_paths *p, const struct phi_heap *h,
		    const uint32_t *indeg, struct phi_error *err);
void phi_paths_release(struct phi_paths *p);

/* Node's interpreter: the index in h->rt->interps of the one whose
 * roots its path starts at, or PHI_HEAP_NO_INTERP. */
static inline uint32_t phi_path_interp(const struct phi_paths *p,
				       uint32_t node)
{
	return p->interp ? p->interp[node] : PHI_HEAP_NO_INTERP;
}

/* The path to node as text ("" when unreachable). */
/* "['name']" with name an identifier: the name in out (len bytes), else
 * NULL; how a path folds obj.__dict__['name'] into obj.name. */
const char *phi_path_ident_key(const char *step, char *out, size_t len);

void phi_path_text(const struct phi_paths *p, const struct phi_heap *h,
		   uint32_t node, char *buf, size_t len);

/* The steps from `from`, an ancestor of node in the BFS tree, down to
 * node, named as phi_path_text names them (so that the path of `from`
 * followed by these is node's path, but where phi_path_text shortens
 * `from`'s last step: obj.__dict__ then ['x'] is obj.x there).  -1 when
 * from is not an ancestor (buf is then ""). */
int phi_path_steps(const struct phi_paths *p, const struct phi_heap *h,
		   uint32_t from, uint32_t node, char *buf, size_t len);

#endif
