/* The heap by interpreter (subinterpreters): how much of it each
 * interpreter's roots reach first (the paths' rule), and how much they
 * alone reach. */
#ifndef PYHEAPINSPECT_INTERPS_H
#define PYHEAPINSPECT_INTERPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/analysis/paths.h"
#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/heap.h"

struct phi_interp_figures {
	uint32_t index;         /* in h->rt->interps */
	int64_t id;             /* interp->id (0: the main interpreter) */
	bool main;
	uint64_t addr;          /* its PyInterpreterState */
	uint64_t roots;         /* roots enumerated from it */
	/* Objects whose path starts at its roots (their interpreter). */
	uint64_t objects, size;
	/* Objects its roots reach and no other interpreter's roots do:
	 * what belongs to it alone (its modules, their objects, its
	 * threads' frames).  The process-wide roots and what is held from
	 * outside the heap are not counted as reaching anything (3.10's
	 * C statics keep the newest interpreter's sys.__dict__ copy: see
	 * interps.c). */
	uint64_t only_objects, only_size;
};

struct phi_interps {
	struct phi_interp_figures v[PHI_MAX_INTERPS]; /* main first, then
						       * by id */
	size_t n;
	/* Objects whose path starts at no interpreter's roots: at the
	 * process-wide ones (interned strings, static singletons) or at an
	 * object held from outside the heap. */
	uint64_t process_objects, process_size;
	/* Objects the roots of more than one interpreter reach (static
	 * types and what they hold, objects passed between them). */
	uint64_t shared_objects, shared_size;
};

/* sizes: per node, as the retained sizes count it (NULL: the graph's
 * sys.getsizeof). */
int phi_interps_compute(struct phi_interps *x, const struct phi_heap *h,
			const struct phi_paths *p,
			const struct phi_node_sizes *sizes,
			struct phi_error *err);

#endif
