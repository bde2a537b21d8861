/* The type table: every type object met in the heap, validated once and
 * described by what the decoders need (kind, sizes, __dict__ and
 * __slots__ offsets, the user-visible name). */
#ifndef PYHEAPINSPECT_PYTYPE_H
#define PYHEAPINSPECT_PYTYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/source/image.h"
#include "pyheapinspect/cpython/kinds.h"
#include "pyheapinspect/cpython/heap.h"

/* Bounds for walks over type data. */
#define PHI_MAX_BASES 64     /* tp_base chain */
#define PHI_MAX_MEMBERS 4096 /* __slots__ members of one class */

int phi_types_init(struct phi_types *ts, const struct phi_image *img,
		   const struct phi_python *py, struct phi_error *err);
void phi_types_release(struct phi_types *ts);

/* Index of the type object at addr, validated and described on first
 * sight; PHI_NONE (from graph.h: UINT32_MAX) when addr is not a valid
 * type object. */
uint32_t phi_types_get(struct phi_types *ts, uint64_t addr);

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
