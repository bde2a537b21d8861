/* Struct layouts of CPython 3.10: field offsets and struct sizes the tool
 * uses, taken from the target's DWARF when it has it and from the built-in
 * table below (CPython 3.10.x, x86-64, release build) when it does not.
 * The built-in values were read with `ptype /o` from 3.10.13 and a unit
 * test checks them against DWARF on every run. */
#ifndef PYHEAPINSPECT_LAYOUT_H
#define PYHEAPINSPECT_LAYOUT_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/python.h"

/* X(id, struct or typedef name, member path or NULL for sizeof, built-in) */
#define PHI_LAYOUT_FIELDS(X) \
	X(RT_INTERP_HEAD, "pyruntimestate", "interpreters.head", 32) \
	X(RT_INTERP_MAIN, "pyruntimestate", "interpreters.main", 40) \
	X(RT_TSTATE_CURRENT, "pyruntimestate", "gilstate.tstate_current", 568) \
	X(IS_NEXT, "_is", "next", 0) \
	X(IS_TSTATE_HEAD, "_is", "tstate_head", 8) \
	X(IS_GC_GENERATIONS, "_is", "gc.generations", 640) \
	X(IS_GC_PERMANENT, "_is", "gc.permanent_generation", 720) \
	X(IS_GC_COLLECTING, "_is", "gc.collecting", 816) \
	X(IS_MODULES, "_is", "modules", 856) \
	X(IS_MODULES_BY_INDEX, "_is", "modules_by_index", 864) \
	X(IS_SYSDICT, "_is", "sysdict", 872) \
	X(IS_BUILTINS, "_is", "builtins", 880) \
	X(IS_IMPORTLIB, "_is", "importlib", 888) \
	X(IS_DICT, "_is", "dict", 1344) \
	X(IS_BUILTINS_COPY, "_is", "builtins_copy", 1352) \
	X(IS_IMPORT_FUNC, "_is", "import_func", 1360) \
	X(IS_SMALL_INTS, "_is", "small_ints", 3512) \
	X(IS_BYTES_EMPTY, "_is", "bytes.empty_string", 5608) \
	X(IS_BYTES_CHARS, "_is", "bytes.characters", 5616) \
	X(IS_UNICODE_EMPTY, "_is", "unicode.empty_string", 7664) \
	X(IS_UNICODE_LATIN1, "_is", "unicode.latin1", 7672) \
	X(IS_TUPLE_FREE_LIST, "_is", "tuple.free_list", 9800) \
	X(GCGEN_SIZE, "gc_generation", NULL, 24) \
	X(GCGEN_HEAD, "gc_generation", "head", 0) \
	X(GCHEAD_SIZE, "PyGC_Head", NULL, 16) \
	X(GCHEAD_NEXT, "PyGC_Head", "_gc_next", 0) \
	X(GCHEAD_PREV, "PyGC_Head", "_gc_prev", 8) \
	X(TS_NEXT, "_ts", "next", 8) \
	X(TS_INTERP, "_ts", "interp", 16) \
	X(TS_FRAME, "_ts", "frame", 24) \
	X(TS_CUREXC_TYPE, "_ts", "curexc_type", 88) \
	X(TS_CUREXC_VALUE, "_ts", "curexc_value", 96) \
	X(TS_CUREXC_TB, "_ts", "curexc_traceback", 104) \
	X(TS_EXC_STATE, "_ts", "exc_state", 112) \
	X(TS_DICT, "_ts", "dict", 152) \
	X(TS_ASYNC_EXC, "_ts", "async_exc", 168) \
	X(TS_THREAD_ID, "_ts", "thread_id", 176) \
	X(ERRSTACK_SIZE, "_err_stackitem", NULL, 32) \
	X(ERRSTACK_TYPE, "_err_stackitem", "exc_type", 0) \
	X(ERRSTACK_VALUE, "_err_stackitem", "exc_value", 8) \
	X(ERRSTACK_TB, "_err_stackitem", "exc_traceback", 16) \
	X(OB_REFCNT, "_object", "ob_refcnt", 0) \
	X(OB_TYPE, "_object", "ob_type", 8) \
	X(OB_SIZE, "PyVarObject", "ob_size", 16) \
	X(TP_SIZE, "_typeobject", NULL, 408) \
	X(TP_NAME, "_typeobject", "tp_name", 24) \
	X(TP_BASICSIZE, "_typeobject", "tp_basicsize", 32) \
	X(TP_DEALLOC, "_typeobject", "tp_dealloc", 48) \
	X(TP_ITEMSIZE, "_typeobject", "tp_itemsize", 40) \
	X(TP_FLAGS, "_typeobject", "tp_flags", 168) \
	X(TP_WEAKLISTOFFSET, "_typeobject", "tp_weaklistoffset", 208) \
	X(TP_MEMBERS, "_typeobject", "tp_members", 240) \
	X(TP_BASE, "_typeobject", "tp_base", 256) \
	X(TP_DICT, "_typeobject", "tp_dict", 264) \
	X(TP_DICTOFFSET, "_typeobject", "tp_dictoffset", 288) \
	X(TP_IS_GC, "_typeobject", "tp_is_gc", 328) \
	X(TP_BASES, "_typeobject", "tp_bases", 336) \
	X(TP_MRO, "_typeobject", "tp_mro", 344) \
	X(TP_SUBCLASSES, "_typeobject", "tp_subclasses", 360) \
	X(HT_SIZE, "_heaptypeobject", NULL, 888) \
	X(HT_NAME, "_heaptypeobject", "ht_name", 848) \
	X(HT_SLOTS, "_heaptypeobject", "ht_slots", 856) \
	X(HT_QUALNAME, "_heaptypeobject", "ht_qualname", 864) \
	X(HT_CACHED_KEYS, "_heaptypeobject", "ht_cached_keys", 872) \
	X(HT_MODULE, "_heaptypeobject", "ht_module", 880) \
	X(MEMBERDEF_SIZE, "PyMemberDef", NULL, 40) \
	X(MEMBERDEF_NAME, "PyMemberDef", "name", 0) \
	X(MEMBERDEF_TYPE, "PyMemberDef", "type", 8) \
	X(MEMBERDEF_OFFSET, "PyMemberDef", "offset", 16) \
	X(LONG_DIGIT, "_longobject", "ob_digit", 24) \
	X(FLOAT_FVAL, "PyFloatObject", "ob_fval", 16) \
	X(BYTES_SHASH, "PyBytesObject", "ob_shash", 24) \
	X(BYTES_SVAL, "PyBytesObject", "ob_sval", 32) \
	X(BYTEARRAY_ALLOC, "PyByteArrayObject", "ob_alloc", 24) \
	X(BYTEARRAY_BYTES, "PyByteArrayObject", "ob_bytes", 32) \
	X(BYTEARRAY_START, "PyByteArrayObject", "ob_start", 40) \
	X(TUPLE_ITEM, "PyTupleObject", "ob_item", 24) \
	X(LIST_ITEM, "PyListObject", "ob_item", 24) \
	X(LIST_ALLOCATED, "PyListObject", "allocated", 32) \
	X(DICT_USED, "PyDictObject", "ma_used", 16) \
	X(DICT_KEYS, "PyDictObject", "ma_keys", 32) \
	X(DICT_VALUES, "PyDictObject", "ma_values", 40) \
	X(DK_REFCNT, "_dictkeysobject", "dk_refcnt", 0) \
	X(DK_SIZE, "_dictkeysobject", "dk_size", 8) \
	X(DK_NENTRIES, "_dictkeysobject", "dk_nentries", 32) \
	X(DK_USABLE, "_dictkeysobject", "dk_usable", 24) \
	X(DK_INDICES, "_dictkeysobject", "dk_indices", 40) \
	X(DKE_SIZE, "PyDictKeyEntry", NULL, 24) \
	X(DKE_HASH, "PyDictKeyEntry", "me_hash", 0) \
	X(DKE_KEY, "PyDictKeyEntry", "me_key", 8) \
	X(DKE_VALUE, "PyDictKeyEntry", "me_value", 16) \
	X(SET_FILL, "PySetObject", "fill", 16) \
	X(SET_USED, "PySetObject", "used", 24) \
	X(SET_MASK, "PySetObject", "mask", 32) \
	X(SET_TABLE, "PySetObject", "table", 40) \
	X(SET_SMALLTABLE, "PySetObject", "smalltable", 64) \
	X(SETENTRY_SIZE, "setentry", NULL, 16) \
	X(SETENTRY_KEY, "setentry", "key", 0) \
	X(ASCII_SIZE, "PyASCIIObject", NULL, 48) \
	X(ASCII_LENGTH, "PyASCIIObject", "length", 16) \
	X(ASCII_HASH, "PyASCIIObject", "hash", 24) \
	X(ASCII_STATE, "PyASCIIObject", "state", 32) \
	X(ASCII_WSTR, "PyASCIIObject", "wstr", 40) \
	X(COMPACT_SIZE, "PyCompactUnicodeObject", NULL, 72) \
	X(COMPACT_UTF8_LENGTH, "PyCompactUnicodeObject", "utf8_length", 48) \
	X(COMPACT_UTF8, "PyCompactUnicodeObject", "utf8", 56) \
	X(COMPACT_WSTR_LENGTH, "PyCompactUnicodeObject", "wstr_length", 64) \
	X(UNICODE_SIZE, "PyUnicodeObject", NULL, 80) \
	X(UNICODE_DATA, "PyUnicodeObject", "data", 72) \
	X(MODULE_DICT, "PyModuleObject", "md_dict", 16) \
	X(MODULE_NAME, "PyModuleObject", "md_name", 48) \
	X(FUNC_GLOBALS, "PyFunctionObject", "func_globals", 16) \
	X(FUNC_BUILTINS, "PyFunctionObject", "func_builtins", 24) \
	X(FUNC_NAME, "PyFunctionObject", "func_name", 32) \
	X(FUNC_QUALNAME, "PyFunctionObject", "func_qualname", 40) \
	X(FUNC_CODE, "PyFunctionObject", "func_code", 48) \
	X(FUNC_DEFAULTS, "PyFunctionObject", "func_defaults", 56) \
	X(FUNC_KWDEFAULTS, "PyFunctionObject", "func_kwdefaults", 64) \
	X(FUNC_CLOSURE, "PyFunctionObject", "func_closure", 72) \
	X(FUNC_DOC, "PyFunctionObject", "func_doc", 80) \
	X(FUNC_DICT, "PyFunctionObject", "func_dict", 88) \
	X(FUNC_MODULE, "PyFunctionObject", "func_module", 104) \
	X(FUNC_ANNOTATIONS, "PyFunctionObject", "func_annotations", 112) \
	X(CODE_SIZE, "PyCodeObject", NULL, 176) \
	X(CODE_NLOCALS, "PyCodeObject", "co_nlocals", 28) \
	X(CODE_STACKSIZE, "PyCodeObject", "co_stacksize", 32) \
	X(CODE_CODE, "PyCodeObject", "co_code", 48) \
	X(CODE_CONSTS, "PyCodeObject", "co_consts", 56) \
	X(CODE_NAMES, "PyCodeObject", "co_names", 64) \
	X(CODE_VARNAMES, "PyCodeObject", "co_varnames", 72) \
	X(CODE_FREEVARS, "PyCodeObject", "co_freevars", 80) \
	X(CODE_CELLVARS, "PyCodeObject", "co_cellvars", 88) \
	X(CODE_CELL2ARG, "PyCodeObject", "co_cell2arg", 96) \
	X(CODE_FILENAME, "PyCodeObject", "co_filename", 104) \
	X(CODE_NAME, "PyCodeObject", "co_name", 112) \
	X(CODE_LINETABLE, "PyCodeObject", "co_linetable", 120) \
	X(CODE_EXTRA, "PyCodeObject", "co_extra", 144) \
	X(CODE_OPCACHE, "PyCodeObject", "co_opcache", 160) \
	X(CODE_OPCACHE_SIZE, "PyCodeObject", "co_opcache_size", 172) \
	X(CODE_FIRSTLINENO, "PyCodeObject", "co_firstlineno", 40) \
	X(CELL_REF, "PyCellObject", "ob_ref", 16) \
	X(METHOD_FUNC, "PyMethodObject", "im_func", 16) \
	X(METHOD_SELF, "PyMethodObject", "im_self", 24) \
	X(CFUNC_ML, "PyCFunctionObject", "m_ml", 16) \
	X(CFUNC_SELF, "PyCFunctionObject", "m_self", 24) \
	X(CFUNC_MODULE, "PyCFunctionObject", "m_module", 32) \
	X(CMETHOD_CLASS, "PyCMethodObject", "mm_class", 56) \
	X(METHODDEF_NAME, "PyMethodDef", "ml_name", 0) \
	X(GEN_FRAME, "PyGenObject", "gi_frame", 16) \
	X(GEN_CODE, "PyGenObject", "gi_code", 24) \
	X(GEN_NAME, "PyGenObject", "gi_name", 40) \
	X(GEN_QUALNAME, "PyGenObject", "gi_qualname", 48) \
	X(GEN_EXC_STATE, "PyGenObject", "gi_exc_state", 56) \
	X(FRAME_SIZE, "_frame", NULL, 360) \
	X(FRAME_BACK, "_frame", "f_back", 24) \
	X(FRAME_CODE, "_frame", "f_code", 32) \
	X(FRAME_BUILTINS, "_frame", "f_builtins", 40) \
	X(FRAME_GLOBALS, "_frame", "f_globals", 48) \
	X(FRAME_LOCALS, "_frame", "f_locals", 56) \
	X(FRAME_VALUESTACK, "_frame", "f_valuestack", 64) \
	X(FRAME_TRACE, "_frame", "f_trace", 72) \
	X(FRAME_STACKDEPTH, "_frame", "f_stackdepth", 80) \
	X(FRAME_GEN, "_frame", "f_gen", 88) \
	X(FRAME_LASTI, "_frame", "f_lasti", 96) \
	X(FRAME_STATE, "_frame", "f_state", 108) \
	X(FRAME_LOCALSPLUS, "_frame", "f_localsplus", 352) \
	X(DESCR_TYPE, "PyDescrObject", "d_type", 16) \
	X(DESCR_NAME, "PyDescrObject", "d_name", 24) \
	X(DESCR_QUALNAME, "PyDescrObject", "d_qualname", 32) \
	X(EXC_DICT, "PyBaseExceptionObject", "dict", 16) \
	X(EXC_ARGS, "PyBaseExceptionObject", "args", 24) \
	X(EXC_TRACEBACK, "PyBaseExceptionObject", "traceback", 32) \
	X(EXC_CONTEXT, "PyBaseExceptionObject", "context", 40) \
	X(EXC_CAUSE, "PyBaseExceptionObject", "cause", 48) \
	X(TB_NEXT, "_traceback", "tb_next", 16) \
	X(TB_FRAME, "_traceback", "tb_frame", 24) \
	X(WEAKREF_OBJECT, "_PyWeakReference", "wr_object", 16) \
	X(WEAKREF_CALLBACK, "_PyWeakReference", "wr_callback", 24) \
	X(SLICE_START, "PySliceObject", "start", 16) \
	X(SLICE_STOP, "PySliceObject", "stop", 24) \
	X(SLICE_STEP, "PySliceObject", "step", 32) \
	X(PROPERTY_GET, "propertyobject", "prop_get", 16) \
	X(PROPERTY_SET, "propertyobject", "prop_set", 24) \
	X(PROPERTY_DEL, "propertyobject", "prop_del", 32) \
	X(PROPERTY_DOC, "propertyobject", "prop_doc", 40) \
	X(PROPERTY_NAME, "propertyobject", "prop_name", 48) \
	X(CORO_ORIGIN, "PyCoroObject", "cr_origin", 88) \
	X(ASYNCGEN_FINALIZER, "PyAsyncGenObject", "ag_finalizer", 88) \
	X(CLASSMETHOD_CALLABLE, "classmethod", "cm_callable", 16) \
	X(CLASSMETHOD_DICT, "classmethod", "cm_dict", 24) \
	X(STATICMETHOD_CALLABLE, "staticmethod", "sm_callable", 16) \
	X(STATICMETHOD_DICT, "staticmethod", "sm_dict", 24) \
	X(RANGE_START, "rangeobject", "start", 16) \
	X(RANGE_STOP, "rangeobject", "stop", 24) \
	X(RANGE_STEP, "rangeobject", "step", 32) \
	X(RANGE_LENGTH, "rangeobject", "length", 40) \
	X(MAPPINGPROXY_MAPPING, "mappingproxyobject", "mapping", 16) \
	X(DEQUE_SIZE, "dequeobject", NULL, 80) \
	X(DEQUE_LEFTBLOCK, "dequeobject", "leftblock", 24) \
	X(DEQUE_RIGHTBLOCK, "dequeobject", "rightblock", 32) \
	X(DEQUE_LEFTINDEX, "dequeobject", "leftindex", 40) \
	X(DEQUE_RIGHTINDEX, "dequeobject", "rightindex", 48) \
	X(DEQUE_MAXLEN, "dequeobject", "maxlen", 64) \
	X(DEFDICT_FACTORY, "defdictobject", "default_factory", 48) \
	X(ODICT_SIZE, "PyODictObject", NULL, 112) \
	X(ODICT_FIRST, "PyODictObject", "od_first", 48) \
	X(ODICT_FAST_NODES_SIZE, "PyODictObject", "od_fast_nodes_size", 72) \
	X(ODICT_INST_DICT, "PyODictObject", "od_inst_dict", 96) \
	PHI_LAYOUT_MEMORY_FIELDS(X) \
	PHI_LAYOUT_TRACEMALLOC_FIELDS(X)

/* The allocator, the free lists and the GC state (cpython/310/pymalloc.c,
 * freelists.c, gcstate.c): obmalloc's structs, the interpreter's counts,
 * the sizes _debugmallocstats prints. */
#define PHI_LAYOUT_MEMORY_FIELDS(X) \
	X(IS_GC_ENABLED, "_is", "gc.enabled", 628) \
	X(GCGEN_THRESHOLD, "gc_generation", "threshold", 16) \
	X(GCGEN_COUNT, "gc_generation", "count", 20) \
	X(IS_FLOAT_NUMFREE, "_is", "float_state.numfree", 9776) \
	X(IS_TUPLE_NUMFREE, "_is", "tuple.numfree", 9960) \
	X(IS_LIST_NUMFREE, "_is", "list.numfree", 10680) \
	X(IS_DICT_NUMFREE, "_is", "dict_state.numfree", 11328) \
	X(IS_DICT_KEYS_NUMFREE, "_is", "dict_state.keys_numfree", 11976) \
	X(IS_FRAME_FREE_LIST, "_is", "frame.free_list", 11984) \
	X(IS_FRAME_NUMFREE, "_is", "frame.numfree", 11992) \
	X(IS_AGEN_VALUE_NUMFREE, "_is", "async_gen.value_numfree", 12640) \
	X(IS_AGEN_ASEND_NUMFREE, "_is", "async_gen.asend_numfree", 13288) \
	X(IS_CONTEXT_NUMFREE, "_is", "context.numfree", 13304) \
	X(IS_MEMERRORS_NUMFREE, "_is", "exc_state.memerrors_numfree", 13328) \
	X(DICT_SIZE, "PyDictObject", NULL, 48) \
	X(FLOAT_SIZE, "PyFloatObject", NULL, 24) \
	X(LIST_SIZE, "PyListObject", NULL, 40) \
	X(TUPLE_SIZE, "PyTupleObject", NULL, 32) \
	X(DICTKEYS_SIZE, "_dictkeysobject", NULL, 40) \
	X(ASEND_SIZE, "PyAsyncGenASend", NULL, 40) \
	X(AGEN_VALUE_SIZE, "_PyAsyncGenWrappedValue", NULL, 24) \
	X(CONTEXT_SIZE, "PyContext", NULL, 48) \
	X(BASEEXC_SIZE, "PyBaseExceptionObject", NULL, 64) \
	X(TRACEMALLOC_TRACING, "_PyTraceMalloc_Config", "tracing", 4) \
	X(ARENA_OBJ_SIZE, "arena_object", NULL, 48) \
	X(ARENA_ADDRESS, "arena_object", "address", 0) \
	X(ARENA_POOL_ADDRESS, "arena_object", "pool_address", 8) \
	X(ARENA_NFREEPOOLS, "arena_object", "nfreepools", 16) \
	X(ARENA_NTOTALPOOLS, "arena_object", "ntotalpools", 20) \
	X(POOL_HEADER_SIZE, "pool_header", NULL, 48) \
	X(POOL_COUNT, "pool_header", "ref.count", 0) \
	X(POOL_FREEBLOCK, "pool_header", "freeblock", 8) \
	X(POOL_ARENAINDEX, "pool_header", "arenaindex", 32) \
	X(POOL_SZIDX, "pool_header", "szidx", 36) \
	X(POOL_NEXTOFFSET, "pool_header", "nextoffset", 40) \
	X(POOL_MAXNEXTOFFSET, "pool_header", "maxnextoffset", 44) \
	X(DEBUG_API_SIZE, "debug_alloc_api_t", NULL, 48) \
	X(DEBUG_API_ALLOC, "debug_alloc_api_t", "alloc", 8) \
	X(MEMALLOC_MALLOC, "PyMemAllocatorEx", "malloc", 8)

/* tracemalloc's records (Modules/_tracemalloc.c, tracemalloc.c), and
 * its config but the tracing flag, which is TRACEMALLOC_TRACING above. */
#define PHI_LAYOUT_TRACEMALLOC_FIELDS(X) \
	X(TMCFG_INITIALIZED, "_PyTraceMalloc_Config", "initialized", 0) \
	X(TMCFG_MAX_NFRAME, "_PyTraceMalloc_Config", "max_nframe", 8) \
	X(TMHT_NENTRIES, "_Py_hashtable_t", "nentries", 0) \
	X(TMHT_NBUCKETS, "_Py_hashtable_t", "nbuckets", 8) \
	X(TMHT_BUCKETS, "_Py_hashtable_t", "buckets", 16) \
	X(TMENT_SIZE, "_Py_hashtable_entry_t", NULL, 32) \
	X(TMENT_NEXT, "_Py_hashtable_entry_t", "_Py_slist_item", 0) \
	X(TMENT_KEY_HASH, "_Py_hashtable_entry_t", "key_hash", 8) \
	X(TMENT_KEY, "_Py_hashtable_entry_t", "key", 16) \
	X(TMENT_VALUE, "_Py_hashtable_entry_t", "value", 24) \
	X(TMTRACE_SIZE, "trace_t", NULL, 16) \
	X(TMTRACE_BYTES, "trace_t", "size", 0) \
	X(TMTRACE_TRACEBACK, "trace_t", "traceback", 8) \
	X(TMTB_HASH, "traceback_t", "hash", 0) \
	X(TMTB_NFRAME, "traceback_t", "nframe", 8) \
	X(TMTB_TOTAL_NFRAME, "traceback_t", "total_nframe", 10) \
	X(TMTB_FRAMES, "traceback_t", "frames", 12) \
	X(TMFRAME_SIZE, "frame_t", NULL, 12) \
	X(TMFRAME_FILENAME, "frame_t", "filename", 0) \
	X(TMFRAME_LINENO, "frame_t", "lineno", 8)

enum phi_layout_id {
#define PHI_LAYOUT_ENUM(id, type, member, builtin) PHI_L_##id,
	PHI_LAYOUT_FIELDS(PHI_LAYOUT_ENUM)
#undef PHI_LAYOUT_ENUM
	PHI_L__COUNT
};

/* Constants of 3.10 that DWARF cannot tell (macros and bit fields). */
#define PHI_SMALL_NEG_INTS 5
#define PHI_SMALL_POS_INTS 257
#define PHI_SMALL_INTS (PHI_SMALL_NEG_INTS + PHI_SMALL_POS_INTS)
#define PHI_LONG_SHIFT 30
#define PHI_TPFLAGS_HEAPTYPE (1UL << 9)
#define PHI_TPFLAGS_HAVE_GC (1UL << 14)
#define PHI_TPFLAGS_LONG_SUBCLASS (1UL << 24)
#define PHI_TPFLAGS_LIST_SUBCLASS (1UL << 25)
#define PHI_TPFLAGS_TUPLE_SUBCLASS (1UL << 26)
#define PHI_TPFLAGS_BYTES_SUBCLASS (1UL << 27)
#define PHI_TPFLAGS_UNICODE_SUBCLASS (1UL << 28)
#define PHI_TPFLAGS_DICT_SUBCLASS (1UL << 29)
#define PHI_TPFLAGS_BASE_EXC_SUBCLASS (1UL << 30)
#define PHI_TPFLAGS_TYPE_SUBCLASS (1UL << 31)
/* collections.deque blocks: BLOCKLEN items between two links. */
#define PHI_DEQUE_BLOCKLEN 64
#define PHI_DEQUE_BLOCK_DATA 8
#define PHI_DEQUE_BLOCK_RIGHTLINK (8 + 8 * PHI_DEQUE_BLOCKLEN)
/* Objects/obmalloc.c: 16-byte size classes up to 512 bytes, 16 KiB
 * pools in 1 MiB arenas, a three-level radix tree of arena coverage. */
#define PHI_PYMALLOC_ALIGNMENT 16
#define PHI_PYMALLOC_THRESHOLD 512
#define PHI_PYMALLOC_CLASSES (PHI_PYMALLOC_THRESHOLD / PHI_PYMALLOC_ALIGNMENT)
#define PHI_PYMALLOC_POOL_SIZE (16u << 10)
#define PHI_PYMALLOC_ARENA_SIZE (1u << 20)
#define PHI_PYMALLOC_MAP_ROOT_ENTRIES 1024
#define PHI_PYMALLOC_MAP_MID_ENTRIES 1024
#define PHI_PYMALLOC_MAP_BOT_ENTRIES 256
#define PHI_PYMALLOC_MAP_BOT_SIZE (8 * PHI_PYMALLOC_MAP_BOT_ENTRIES)
/* Free-list bounds of 3.10 (PyDict_MAXFREELIST...): a count above is
 * damage. */
#define PHI_TUPLE_MAXSAVESIZE 20
#define PHI_FREELIST_MAX 2000
/* tracemalloc (Modules/_tracemalloc.c): MAX_NFRAME, HASHTABLE_MIN_SIZE. */
#define PHI_TM_MAX_NFRAME 65535
#define PHI_TM_HASHTABLE_MIN 16

struct phi_layout {
	int64_t v[PHI_L__COUNT];
	enum phi_layout_source source;
	char dwarf_path[PATH_MAX]; /* the file whose DWARF was used */
	unsigned missing;          /* fields DWARF lacked (built-in kept) */
};

/* Offset or size by id: PHI_L(lay, LIST_ITEM). */
#define PHI_L(lay, id) ((lay)->v[PHI_L_##id])

/* Fill with the built-in table. */
void phi_layout_builtin(struct phi_layout *lay);

/* Fill from the DWARF of the ELF file at path (or its separate debug
 * file); fall back to the built-in table when there is none.  A field that
 * DWARF lacks keeps its built-in value and is counted in `missing`. */
int phi_layout_resolve(struct phi_layout *lay, const char *elf_path,
		       struct phi_error *err);

/* Check every value, whatever its source (DWARF, the built-in table, a
 * snapshot): PHI_E_CORRUPT naming the first field out of bounds. */
int phi_layout_validate(const struct phi_layout *lay, struct phi_error *err);

/* Names for messages and tests. */
const char *phi_layout_type_name(enum phi_layout_id id);
const char *phi_layout_member_name(enum phi_layout_id id);

#endif
