/* The type table: every type object met in the heap, validated once and
 * described by what the decoders need (kind, sizes, __dict__ and
 * __slots__ offsets, the user-visible name). */
#ifndef PYHEAPINSPECT_PYTYPE_H
#define PYHEAPINSPECT_PYTYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/image.h"
#include "pyheapinspect/kinds.h"
#include "pyheapinspect/target.h"

/* Bounds for walks over type data. */
#define PHI_MAX_BASES 64     /* tp_base chain */
#define PHI_MAX_MEMBERS 4096 /* __slots__ members of one class */

struct phi_type {
	uint64_t addr;
	enum phi_kind kind;
	uint64_t tp_flags;
	int64_t basicsize, itemsize, dictoffset;
	bool heap;
	bool has_gc;           /* Py_TPFLAGS_HAVE_GC */
	bool is_gc_fn;         /* tp_is_gc set (only `type` and metatypes) */
	bool own_dict;         /* instances' __dict__ is not decoded by the
				* kind (added by a class, or opaque type) */
	int64_t structseq_fields; /* a struct sequence's n_fields: it holds
				   * more items than its visible length */
	uint32_t slots_start;  /* in phi_types.slot_offsets: object members
				* of the MRO that the kind does not decode */
	uint32_t nslots;
	char *name;            /* module.qualname, or qualname for builtins */
	uint64_t count, size;  /* histogram */
	uint32_t node;         /* the type object's graph node, once known
				* (PHI_NONE before): saves a hash lookup per
				* object */
};

struct phi_types {
	struct phi_type *v;
	size_t n, cap;
	uint32_t *hslots;      /* address hash: index + 1 */
	uint64_t hmask;
	int64_t *slot_offsets; /* T_OBJECT members of every class's MRO */
	size_t nslot_offsets, slot_cap;
	uint64_t kind_type[PHI_K__COUNT]; /* static type of each kind */
	const struct phi_image *img;
	const struct phi_target *t;
};

int phi_types_init(struct phi_types *ts, const struct phi_image *img,
		   const struct phi_target *t, struct phi_error *err);
void phi_types_release(struct phi_types *ts);

/* Index of the type object at addr, validated and described on first
 * sight; PHI_NONE (from graph.h: UINT32_MAX) when addr is not a valid
 * type object. */
uint32_t phi_types_get(struct phi_types *ts, uint64_t addr);

const char *phi_kind_name(enum phi_kind kind);

/* Offset of the object member (__slots__ entry, or a static type's object
 * member) called name in instances of ty, searching its MRO; -1 if none. */
int64_t phi_type_member_offset(const struct phi_types *ts,
			       const struct phi_type *ty, const char *name);

/* Name of the object member at offset in instances of ty. */
bool phi_type_member_name(const struct phi_types *ts,
			  const struct phi_type *ty, int64_t offset,
			  char *buf, size_t len);

/* Where obj's __dict__ pointer is (tp_dictoffset, a negative one resolved
 * from the end of a variable-size object); 0 when it has none. */
int64_t phi_type_dict_offset(const struct phi_types *ts,
			     const struct phi_type *ty, uint64_t obj);

#endif
