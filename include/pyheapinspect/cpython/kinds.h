/* What the tool knows how to decode: one kind per builtin layout.  A type
 * gets the kind of the nearest known static type in its tp_base chain;
 * instances of class-statement types over object are INSTANCE; anything
 * with an unknown C layout is OPAQUE. */
#ifndef PYHEAPINSPECT_KINDS_H
#define PYHEAPINSPECT_KINDS_H

/* X(kind, the PHI_S_ symbol of the static type that defines it; _COUNT
 * for none) */
#define PHI_KINDS(X)                                   \
	X(OPAQUE, _COUNT)                                \
	X(INSTANCE, OBJECT_TYPE)                       \
	X(TYPE, TYPE_TYPE)                             \
	X(LONG, LONG_TYPE)                             \
	X(BOOL, BOOL_TYPE)                             \
	X(FLOAT, FLOAT_TYPE)                           \
	X(COMPLEX, COMPLEX_TYPE)                       \
	X(STR, UNICODE_TYPE)                           \
	X(BYTES, BYTES_TYPE)                           \
	X(BYTEARRAY, BYTEARRAY_TYPE)                   \
	X(TUPLE, TUPLE_TYPE)                           \
	X(LIST, LIST_TYPE)                             \
	X(DICT, DICT_TYPE)                             \
	X(SET, SET_TYPE)                               \
	X(FROZENSET, FROZENSET_TYPE)                   \
	X(MODULE, MODULE_TYPE)                         \
	X(FUNCTION, FUNCTION_TYPE)                     \
	X(CODE, CODE_TYPE)                             \
	X(FRAME, FRAME_TYPE)                           \
	X(CELL, CELL_TYPE)                             \
	X(METHOD, METHOD_TYPE)                         \
	X(CFUNCTION, CFUNCTION_TYPE)                   \
	X(CMETHOD, CMETHOD_TYPE)                       \
	X(GEN, GEN_TYPE)                               \
	X(CORO, CORO_TYPE)                             \
	X(ASYNCGEN, ASYNCGEN_TYPE)                     \
	X(PROPERTY, PROPERTY_TYPE)                     \
	X(CLASSMETHOD, CLASSMETHOD_TYPE)               \
	X(STATICMETHOD, STATICMETHOD_TYPE)             \
	X(MEMBERDESCR, MEMBERDESCR_TYPE)               \
	X(METHODDESCR, METHODDESCR_TYPE)               \
	X(GETSETDESCR, GETSETDESCR_TYPE)               \
	X(WRAPPERDESCR, WRAPPERDESCR_TYPE)             \
	X(CLASSMETHODDESCR, CLASSMETHODDESCR_TYPE)     \
	X(BASEEXC, BASEEXC_TYPE)                       \
	X(TRACEBACK, TRACEBACK_TYPE)                   \
	X(WEAKREF, WEAKREF_TYPE)                       \
	X(WEAKPROXY, WEAKPROXY_TYPE)                   \
	X(WEAKCALLABLEPROXY, WEAKCALLABLEPROXY_TYPE)   \
	X(SLICE, SLICE_TYPE)                           \
	X(RANGE, RANGE_TYPE)                           \
	X(MAPPINGPROXY, MAPPINGPROXY_TYPE)             \
	X(ODICT, ODICT_TYPE)                           \
	X(DEQUE, DEQUE_TYPE)                           \
	X(DEFDICT, DEFDICT_TYPE)                       \
	X(NONE, NONE_TYPE)                             \
	X(NOTIMPLEMENTED, NOTIMPL_TYPE)                \
	X(ELLIPSIS, ELLIPSIS_TYPE)

enum phi_kind {
#define PHI_KIND_ENUM(kind, sym) PHI_K_##kind,
	PHI_KINDS(PHI_KIND_ENUM)
#undef PHI_KIND_ENUM
	PHI_K__COUNT
};

#endif
