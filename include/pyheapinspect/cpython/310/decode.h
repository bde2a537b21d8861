/* Per-type decoding of one object: its sys.getsizeof and its referents.
 * Reads only the image; every pointer, length and walk is bounded. */
#ifndef PYHEAPINSPECT_DECODE_H
#define PYHEAPINSPECT_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "pyheapinspect/graph/graph.h"
#include "pyheapinspect/source/image.h"
#include "pyheapinspect/cpython/310/layout.h"
#include "pyheapinspect/cpython/310/types.h"

/* Flags of a reference, as the graph's edge flags. */
#define PHI_REF_WEAK PHI_EDGE_WEAK           /* a weakref's referent */
#define PHI_REF_UNCOUNTED PHI_EDGE_UNCOUNTED /* not in the refcount */
/* Found by a conservative scan: a flag of the visit only (the graph
 * builder strips it, and records where such edges start). */
#define PHI_REF_CONSERVATIVE 0x20000000u

/* Called for each referent (never for NULL) with PHI_REF_* flags. */
typedef void (*phi_visit_fn)(void *ctx, uint64_t addr, uint32_t flags);

struct phi_decoder {
	const struct phi_image *img;
	const struct phi_layout *lay;
	struct phi_types *types;
	uint64_t set_dummy;      /* the set deletion marker object */
	uint64_t bad_fields;     /* counts of inconsistencies met */
};

struct phi_decoded {
	uint64_t size;           /* sys.getsizeof, GC header included */
	bool gc;                 /* has a GC header */
	bool tracked;            /* the GC tracks it */
	bool opaque;             /* unknown layout: referents not decoded,
				  * or found by a conservative scan */
	bool inexact;            /* size is not sys.getsizeof's */
	bool dwarf;              /* referents from the DWARF of its struct */
	uint32_t state_refs;     /* a module's references from its state */
};

/* Decode the object at addr whose (validated) type is ty. */
void phi_decode(struct phi_decoder *d, uint64_t addr,
		const struct phi_type *ty, phi_visit_fn visit, void *ctx,
		struct phi_decoded *out);

/* Prefetch the out-of-line memory that decoding the object at addr will
 * read (a list's item array, a dict's keys and values).  It reads the
 * object's header, so it pays off when that is in the cache already:
 * the graph builder calls it a few objects ahead of the decoding. */
void phi_decode_prefetch(const struct phi_decoder *d, uint64_t addr,
			 const struct phi_type *ty);

#endif
