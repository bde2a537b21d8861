/* Leak suspects at their accumulation point, after Eclipse MAT: from
 * every object retaining more than a share of the heap, walk down the
 * dominator tree into the child retaining the most while that child
 * holds at least PHI_SUSPECT_DESCEND of its parent's retained size; the
 * suspect is where the walk stops, the container of many smaller
 * things (or, down a chain of objects of one type, the chain's head).
 * Modules, their __dict__, sys.modules and what an
 * interpreter's or a thread's state holds directly (its roots) are
 * never suspects themselves: a walk that ends on one names no suspect.
 * Suspect groups: classes whose instances together (each counted once,
 * instances inside another instance of the class not again) retain more
 * than the share. */
#ifndef PYHEAPINSPECT_SUSPECTS_H
#define PYHEAPINSPECT_SUSPECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/analysis/dominators.h"
#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/heap.h"

/* The walk goes on into a child retaining at least this share of its
 * parent. */
#define PHI_SUSPECT_DESCEND 0.70
/* A type met this often along one walk makes it a walk down a chain
 * (a linked list, a deep tree): the suspect is the chain's head (the
 * earliest node of a type met nearly as often), not its tail. */
#define PHI_SUSPECT_CHAIN 16
/* Types of a suspect's children told apart (the others are counted in
 * other_*). */
#define PHI_SUSPECT_KID_TYPES 16

struct phi_suspect_kids {
	uint32_t type;          /* index in the heap's type table */
	uint64_t count, retained;
};

struct phi_suspect {
	uint32_t node;          /* the accumulation point */
	uint32_t from;          /* the largest retainer whose walk ended
				 * here */
	uint32_t parent;        /* node's immediate dominator, PHI_DOM_ROOT
				 * when none */
	uint64_t retained;
	/* Its children in the dominator tree (what it alone keeps alive),
	 * by type, the type retaining the most first. */
	uint64_t kids, kids_retained, largest_kid;
	struct phi_suspect_kids kid_types[PHI_SUSPECT_KID_TYPES];
	size_t nkid_types;
	uint64_t other_kids, other_retained;
	bool has_fill;          /* a collection: its length and table */
	struct phi_fill fill;
};

struct phi_suspect_group {
	uint32_t type;
	uint64_t instances;     /* instances not inside another one */
	uint64_t retained;      /* what they retain together */
	uint32_t largest;       /* the instance retaining the most */
};

struct phi_suspects {
	struct phi_suspect *v;  /* largest retained first */
	size_t n;
	uint64_t candidates;    /* objects above the share: walk starts */
	struct phi_suspect_group *groups; /* largest retained first */
	size_t ngroups;
	double share;
	uint8_t *anchors;       /* bitmap of the nodes that are never
				 * suspects */
};

/* At most max suspects and max groups; share of d->reachable_size. */
int phi_suspects_find(struct phi_suspects *s, const struct phi_heap *h,
		      const struct phi_dominators *d, double share,
		      size_t max, struct phi_error *err);
void phi_suspects_release(struct phi_suspects *s);

/* Whether node is one of those never suspected: a module, its
 * __dict__, a root of an interpreter's or a thread's state. */
static inline bool phi_suspects_anchor(const struct phi_suspects *s,
				       uint32_t node)
{
	return s->anchors && ((s->anchors[node >> 3] >> (node & 7)) & 1u);
}

/* Whether node is a suspect (linear in the suspects). */
bool phi_suspects_has(const struct phi_suspects *s, uint32_t node);

#endif
