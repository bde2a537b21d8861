/* The target process as the tool sees it before reading any object: its
 * maps, the ELF object that holds the interpreter (libpython or the
 * executable), the runtime addresses of the symbols the tool needs, the
 * struct layouts and the Python version. */
#ifndef PYHEAPINSPECT_TARGET_H
#define PYHEAPINSPECT_TARGET_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "pyheapinspect/error.h"
#include "pyheapinspect/layout.h"
#include "pyheapinspect/maps.h"
#include "pyheapinspect/reader.h"

/* X(id, symbol name).  All are optional at lookup; callers check the ones
 * they need.  The statics (interned, arenas, version) are only in
 * .symtab. */
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
	X(SUBTYPE_DEALLOC, "subtype_dealloc")

enum phi_sym_id {
#define PHI_SYM_ENUM(id, name) PHI_S_##id,
	PHI_SYMBOLS(PHI_SYM_ENUM)
#undef PHI_SYM_ENUM
	PHI_S__COUNT
};

struct phi_version {
	int major, minor, micro;
	char text[96]; /* "3.10.13 (main, May  9 2026, ...) [GCC 12.2.0]" */
};

struct phi_target {
	pid_t pid;
	struct phi_maps maps;
	struct phi_reader reader;
	char object_path[PATH_MAX]; /* as named in maps */
	char open_path[PATH_MAX];   /* what we opened to read it */
	uint64_t bias;
	uint64_t sym[PHI_S__COUNT]; /* runtime addresses, 0 when absent */
	struct phi_version version;
	struct phi_layout layout;
};

/* Find the interpreter in process pid: read maps, find the ELF object
 * defining _PyRuntime (or Py_GetVersion), compute its load bias, resolve
 * the symbols and read the version from the target's memory.  Fails with
 * PHI_E_NOT_PYTHON or PHI_E_VERSION (naming the version found) when the
 * target is not CPython 3.10.  Does not stop the target. */
int phi_target_open(struct phi_target *t, pid_t pid, struct phi_error *err);

/* Resolve struct layouts (DWARF or built-in).  Separate from open so that
 * a wrong version is refused before any DWARF is read. */
int phi_target_load_layout(struct phi_target *t, struct phi_error *err);

/* The same, in a thread of its own: libdwarf takes a fixed ~70 ms on
 * every run, which the warm copy of the target's memory (it needs no
 * layout) can hide.  The thread shares nothing with the caller until the
 * join: it works on a copy of the path, into its own layout and error
 * record.  It is the only thread that calls libdwarf (and libelf) while
 * it runs. */
struct phi_layout_job {
	pthread_t thread;
	bool running;              /* a thread was started, not yet joined */
	bool done;                 /* rc, err, layout and ms are final */
	char path[PATH_MAX];       /* t->open_path when started */
	struct phi_layout layout;
	struct phi_error err;
	int rc;
	double ms;                 /* time the resolution itself took */
};

/* Start resolving t's layouts in a thread.  When no thread can be
 * started, nothing is done here and the join resolves them in the
 * calling thread instead. */
void phi_target_layout_start(const struct phi_target *t,
			     struct phi_layout_job *job);

/* Wait for the layouts (or resolve them now, if no thread was started)
 * and install them in t->layout.  On failure the thread's error is copied
 * to err, word for word, and returned, as phi_target_load_layout would
 * have.  Must be called once for every job started; nothing else is left
 * to release. */
/* Wait for the layout thread to end, without taking its result (the
 * join does that, and reports its error). */
void phi_target_layout_wait(struct phi_layout_job *job);

int phi_target_layout_join(struct phi_target *t, struct phi_layout_job *job,
			   struct phi_error *err);

void phi_target_close(struct phi_target *t);

/* Parse "3.10.13 (..." into v.  Returns 0 or -1. */
int phi_version_parse(const char *text, size_t len, struct phi_version *v);

const char *phi_symbol_name(enum phi_sym_id id);

#endif
