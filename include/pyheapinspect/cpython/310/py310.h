/* CPython 3.10: the version's own state behind struct phi_python (its
 * symbols and layouts), and the functions of its table entry (ops.c
 * puts them together).  Everything under cpython/310/ reads the target
 * through these. */
#ifndef PYHEAPINSPECT_PY310_H
#define PYHEAPINSPECT_PY310_H

#include <stdbool.h>
#include <stdint.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/base/record.h"
#include "pyheapinspect/cpython/heap.h"
#include "pyheapinspect/cpython/python.h"
#include "pyheapinspect/cpython/310/layout.h"
#include "pyheapinspect/debuginfo/elfsym.h"

/* X(id, symbol name).  All are optional at lookup; callers check the ones
 * they need.  The statics (version, interned, arenas, maxarenas,
 * _PyExc_BaseException, deque_type, defdict_type, subtype_dealloc) are
 * only in .symtab: a stripped build has them in a debug file or not at
 * all, and statics.c finds those the decoders need in memory; the same
 * holds for obmalloc's counters and the allocator tables (pymalloc.c).
 * tracemalloc's statics (TM_*) are in .symtab or, without it, in the
 * DWARF of Modules/_tracemalloc.c: the layout thread reads them there
 * (py310.c). */
#define PHI_SYMBOLS(X)                                                     \
	X(RUNTIME, "_PyRuntime")                                           \
	X(GETVERSION, "Py_GetVersion")                                     \
	X(VERSION_BUF, "version")                                          \
	X(INTERNED, "interned")                                            \
	X(ARENAS, "arenas")                                                \
	X(MAXARENAS, "maxarenas")                                          \
	X(NONE, "_Py_NoneStruct")                                          \
	X(TRUE, "_Py_TrueStruct")                                          \
	X(FALSE, "_Py_FalseStruct")                                        \
	X(ELLIPSIS, "_Py_EllipsisObject")                                  \
	X(NOTIMPLEMENTED, "_Py_NotImplementedStruct")                      \
	X(SET_DUMMY, "_PySet_Dummy")                                       \
	X(TYPE_TYPE, "PyType_Type")                                        \
	X(OBJECT_TYPE, "PyBaseObject_Type")                                \
	X(LONG_TYPE, "PyLong_Type")                                        \
	X(BOOL_TYPE, "PyBool_Type")                                        \
	X(FLOAT_TYPE, "PyFloat_Type")                                      \
	X(COMPLEX_TYPE, "PyComplex_Type")                                  \
	X(UNICODE_TYPE, "PyUnicode_Type")                                  \
	X(BYTES_TYPE, "PyBytes_Type")                                      \
	X(BYTEARRAY_TYPE, "PyByteArray_Type")                              \
	X(TUPLE_TYPE, "PyTuple_Type")                                      \
	X(LIST_TYPE, "PyList_Type")                                        \
	X(DICT_TYPE, "PyDict_Type")                                        \
	X(SET_TYPE, "PySet_Type")                                          \
	X(FROZENSET_TYPE, "PyFrozenSet_Type")                              \
	X(MODULE_TYPE, "PyModule_Type")                                    \
	X(FUNCTION_TYPE, "PyFunction_Type")                                \
	X(CODE_TYPE, "PyCode_Type")                                        \
	X(FRAME_TYPE, "PyFrame_Type")                                      \
	X(CELL_TYPE, "PyCell_Type")                                        \
	X(METHOD_TYPE, "PyMethod_Type")                                    \
	X(CFUNCTION_TYPE, "PyCFunction_Type")                              \
	X(CMETHOD_TYPE, "PyCMethod_Type")                                  \
	X(GEN_TYPE, "PyGen_Type")                                          \
	X(CORO_TYPE, "PyCoro_Type")                                        \
	X(ASYNCGEN_TYPE, "PyAsyncGen_Type")                                \
	X(PROPERTY_TYPE, "PyProperty_Type")                                \
	X(CLASSMETHOD_TYPE, "PyClassMethod_Type")                          \
	X(STATICMETHOD_TYPE, "PyStaticMethod_Type")                        \
	X(MEMBERDESCR_TYPE, "PyMemberDescr_Type")                          \
	X(METHODDESCR_TYPE, "PyMethodDescr_Type")                          \
	X(GETSETDESCR_TYPE, "PyGetSetDescr_Type")                          \
	X(WRAPPERDESCR_TYPE, "PyWrapperDescr_Type")                        \
	X(CLASSMETHODDESCR_TYPE, "PyClassMethodDescr_Type")                \
	X(BASEEXC_TYPE, "_PyExc_BaseException")                            \
	X(TRACEBACK_TYPE, "PyTraceBack_Type")                              \
	X(WEAKREF_TYPE, "_PyWeakref_RefType")                              \
	X(WEAKPROXY_TYPE, "_PyWeakref_ProxyType")                          \
	X(WEAKCALLABLEPROXY_TYPE, "_PyWeakref_CallableProxyType")          \
	X(SLICE_TYPE, "PySlice_Type")                                      \
	X(RANGE_TYPE, "PyRange_Type")                                      \
	X(MAPPINGPROXY_TYPE, "PyDictProxy_Type")                           \
	X(ODICT_TYPE, "PyODict_Type")                                      \
	X(DEQUE_TYPE, "deque_type")                                        \
	X(DEFDICT_TYPE, "defdict_type")                                    \
	X(NONE_TYPE, "_PyNone_Type")                                       \
	X(NOTIMPL_TYPE, "_PyNotImplemented_Type")                          \
	X(ELLIPSIS_TYPE, "PyEllipsis_Type")                                \
	X(SUBTYPE_DEALLOC, "subtype_dealloc")                              \
	X(BASEEXC_PTR, "PyExc_BaseException")                              \
	X(NTIMES_ARENA, "ntimes_arena_allocated")                          \
	X(NARENAS_HIGHWATER, "narenas_highwater")                          \
	X(NARENAS_CURRENT, "narenas_currently_allocated")                  \
	X(MAP_ROOT, "arena_map_root")                                      \
	X(MAP_MID_COUNT, "arena_map_mid_count")                            \
	X(MAP_BOT_COUNT, "arena_map_bot_count")                            \
	X(TRACEMALLOC_CONFIG, "_Py_tracemalloc_config")                    \
	X(OBJ_ALLOCATOR, "_PyObject")                                      \
	X(MEM_DEBUG, "_PyMem_Debug")                                       \
	X(OBJECT_MALLOC, "_PyObject_Malloc")                               \
	X(DEBUG_MALLOC, "_PyMem_DebugMalloc")                              \
	X(TM_TRACES, "tracemalloc_traces")                                 \
	X(TM_DOMAINS, "tracemalloc_domains")                               \
	X(TM_TRACEBACKS, "tracemalloc_tracebacks")                         \
	X(TM_FILENAMES, "tracemalloc_filenames")                           \
	X(TM_TRACED, "tracemalloc_traced_memory")                          \
	X(TM_PEAK, "tracemalloc_peak_traced_memory")                       \
	X(TM_EMPTY_TRACEBACK, "tracemalloc_empty_traceback")               \
	X(TM_UNKNOWN_FILENAME, "unknown_filename")                         \
	X(TM_TABLES_LOCK, "tables_lock")

enum phi_sym_id {
#define PHI_SYM_ENUM(id, name) PHI_S_##id,
	PHI_SYMBOLS(PHI_SYM_ENUM)
#undef PHI_SYM_ENUM
	PHI_S__COUNT
};

/* The thread resolving the layouts (py310.c). */
struct phi_layout_job;

/* The object's PT_LOAD segments, at most (libpython has 4). */
#define PHI_MAX_SEGMENTS 8

/* Where tracemalloc's statics were found (tracemalloc.c says so). */
enum phi_tm_symbols {
	PHI_TM_SYMS_NONE,     /* not found: tm_why says why */
	PHI_TM_SYMS_SYMTAB,
	PHI_TM_SYMS_DWARF,
	PHI_TM_SYMS_SNAPSHOT, /* imported with the snapshot's symbols */
};

struct phi310 {
	uint64_t sym[PHI_S__COUNT]; /* runtime addresses, 0 when absent */
	struct phi_layout layout;
	struct phi_layout_job *job; /* NULL after an import */
	/* The object's segments, at their runtime addresses (the bias
	 * added): where its statics can be (statics.c). */
	struct phi_elf_segment seg[PHI_MAX_SEGMENTS];
	size_t nseg;
	enum phi_tm_symbols tm_syms;
	char tm_why[200];           /* when PHI_TM_SYMS_NONE */
};

/* tracemalloc's statics, the exported config aside. */
#define PHI_TM_FIRST_STATIC PHI_S_TM_TRACES
#define PHI_TM_LAST_STATIC PHI_S_TM_TABLES_LOCK
#define PHI_TM_NSTATICS (PHI_TM_LAST_STATIC - PHI_TM_FIRST_STATIC + 1)

static inline const struct phi310 *phi310(const struct phi_python *py)
{
	return py->impl;
}

static inline const struct phi_layout *phi310_layout(
	const struct phi_python *py)
{
	return &phi310(py)->layout;
}

const char *phi_symbol_name(enum phi_sym_id id);

/* The functions of the table entry, by file. */
int phi310_open(struct phi_python *py, struct phi_elf *elf,
		struct phi_error *err);
void phi310_close(struct phi_python *py);
void phi310_layout_start(struct phi_python *py);
void phi310_layout_wait(struct phi_python *py);
int phi310_layout_join(struct phi_python *py, struct phi_error *err);
int phi310_export(const struct phi_python *py, struct phi_record *rec,
		  struct phi_error *err);
int phi310_import(struct phi_python *py, const struct phi_record *rec,
		  struct phi_error *err);

#endif
