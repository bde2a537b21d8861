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

/* X(id, struct or typedef name, member path or NULL for sizeof, width,
 *   built-in).  The width is the member's size in bytes (an array's
 *   whole size, 0 for a flexible array member, 0 for a struct's size):
 *   phi_layout_validate checks that every member with its width lies
 *   inside its struct, whose size is in the table too. */
#define PHI_LAYOUT_FIELDS(X) \
	X(RT_SIZE, "pyruntimestate", NULL, 0, 672) \
	X(RT_INTERP_HEAD, "pyruntimestate", "interpreters.head", 8, 32) \
	X(RT_INTERP_MAIN, "pyruntimestate", "interpreters.main", 8, 40) \
	X(RT_TSTATE_CURRENT, "pyruntimestate", "gilstate.tstate_current", 8, \
	  568) \
	X(IS_SIZE, "_is", NULL, 0, 113528) \
	X(IS_NEXT, "_is", "next", 8, 0) \
	X(IS_TSTATE_HEAD, "_is", "tstate_head", 8, 8) \
	X(IS_ID, "_is", "id", 8, 24) \
	X(IS_GC_GENERATIONS, "_is", "gc.generations", 72, 640) \
	X(IS_GC_PERMANENT, "_is", "gc.permanent_generation", 24, 720) \
	X(IS_GC_COLLECTING, "_is", "gc.collecting", 4, 816) \
	X(IS_MODULES, "_is", "modules", 8, 856) \
	X(IS_MODULES_BY_INDEX, "_is", "modules_by_index", 8, 864) \
	X(IS_SYSDICT, "_is", "sysdict", 8, 872) \
	X(IS_BUILTINS, "_is", "builtins", 8, 880) \
	X(IS_IMPORTLIB, "_is", "importlib", 8, 888) \
	X(IS_DICT, "_is", "dict", 8, 1344) \
	X(IS_BUILTINS_COPY, "_is", "builtins_copy", 8, 1352) \
	X(IS_IMPORT_FUNC, "_is", "import_func", 8, 1360) \
	X(IS_SMALL_INTS, "_is", "small_ints", 2096, 3512) \
	X(IS_BYTES_EMPTY, "_is", "bytes.empty_string", 8, 5608) \
	X(IS_BYTES_CHARS, "_is", "bytes.characters", 2048, 5616) \
	X(IS_UNICODE_EMPTY, "_is", "unicode.empty_string", 8, 7664) \
	X(IS_UNICODE_LATIN1, "_is", "unicode.latin1", 2048, 7672) \
	X(IS_TUPLE_FREE_LIST, "_is", "tuple.free_list", 160, 9800) \
	X(GCGEN_SIZE, "gc_generation", NULL, 0, 24) \
	X(GCGEN_HEAD, "gc_generation", "head", 16, 0) \
	X(GCHEAD_SIZE, "PyGC_Head", NULL, 0, 16) \
	X(GCHEAD_NEXT, "PyGC_Head", "_gc_next", 8, 0) \
	X(GCHEAD_PREV, "PyGC_Head", "_gc_prev", 8, 8) \
	X(TS_SIZE, "_ts", NULL, 0, 280) \
	X(TS_NEXT, "_ts", "next", 8, 8) \
	X(TS_INTERP, "_ts", "interp", 8, 16) \
	X(TS_FRAME, "_ts", "frame", 8, 24) \
	X(TS_CUREXC_TYPE, "_ts", "curexc_type", 8, 88) \
	X(TS_CUREXC_VALUE, "_ts", "curexc_value", 8, 96) \
	X(TS_CUREXC_TB, "_ts", "curexc_traceback", 8, 104) \
	X(TS_EXC_STATE, "_ts", "exc_state", 32, 112) \
	X(TS_DICT, "_ts", "dict", 8, 152) \
	X(TS_ASYNC_EXC, "_ts", "async_exc", 8, 168) \
	X(TS_THREAD_ID, "_ts", "thread_id", 8, 176) \
	X(ERRSTACK_SIZE, "_err_stackitem", NULL, 0, 32) \
	X(ERRSTACK_TYPE, "_err_stackitem", "exc_type", 8, 0) \
	X(ERRSTACK_VALUE, "_err_stackitem", "exc_value", 8, 8) \
	X(ERRSTACK_TB, "_err_stackitem", "exc_traceback", 8, 16) \
	X(OBJECT_SIZE, "_object", NULL, 0, 16) \
	X(OB_REFCNT, "_object", "ob_refcnt", 8, 0) \
	X(OB_TYPE, "_object", "ob_type", 8, 8) \
	X(VAROBJECT_SIZE, "PyVarObject", NULL, 0, 24) \
	X(OB_SIZE, "PyVarObject", "ob_size", 8, 16) \
	X(TP_SIZE, "_typeobject", NULL, 0, 408) \
	X(TP_NAME, "_typeobject", "tp_name", 8, 24) \
	X(TP_BASICSIZE, "_typeobject", "tp_basicsize", 8, 32) \
	X(TP_DEALLOC, "_typeobject", "tp_dealloc", 8, 48) \
	X(TP_ITEMSIZE, "_typeobject", "tp_itemsize", 8, 40) \
	X(TP_FLAGS, "_typeobject", "tp_flags", 8, 168) \
	X(TP_TRAVERSE, "_typeobject", "tp_traverse", 8, 184) \
	X(TP_WEAKLISTOFFSET, "_typeobject", "tp_weaklistoffset", 8, 208) \
	X(TP_MEMBERS, "_typeobject", "tp_members", 8, 240) \
	X(TP_BASE, "_typeobject", "tp_base", 8, 256) \
	X(TP_DICT, "_typeobject", "tp_dict", 8, 264) \
	X(TP_DICTOFFSET, "_typeobject", "tp_dictoffset", 8, 288) \
	X(TP_IS_GC, "_typeobject", "tp_is_gc", 8, 328) \
	X(TP_BASES, "_typeobject", "tp_bases", 8, 336) \
	X(TP_MRO, "_typeobject", "tp_mro", 8, 344) \
	X(TP_SUBCLASSES, "_typeobject", "tp_subclasses", 8, 360) \
	X(HT_SIZE, "_heaptypeobject", NULL, 0, 888) \
	X(HT_NAME, "_heaptypeobject", "ht_name", 8, 848) \
	X(HT_SLOTS, "_heaptypeobject", "ht_slots", 8, 856) \
	X(HT_QUALNAME, "_heaptypeobject", "ht_qualname", 8, 864) \
	X(HT_CACHED_KEYS, "_heaptypeobject", "ht_cached_keys", 8, 872) \
	X(HT_MODULE, "_heaptypeobject", "ht_module", 8, 880) \
	X(MEMBERDEF_SIZE, "PyMemberDef", NULL, 0, 40) \
	X(MEMBERDEF_NAME, "PyMemberDef", "name", 8, 0) \
	X(MEMBERDEF_TYPE, "PyMemberDef", "type", 4, 8) \
	X(MEMBERDEF_OFFSET, "PyMemberDef", "offset", 8, 16) \
	X(LONG_SIZE, "_longobject", NULL, 0, 32) \
	X(LONG_DIGIT, "_longobject", "ob_digit", 4, 24) \
	X(FLOAT_FVAL, "PyFloatObject", "ob_fval", 8, 16) \
	X(BYTES_SIZE, "PyBytesObject", NULL, 0, 40) \
	X(BYTES_SHASH, "PyBytesObject", "ob_shash", 8, 24) \
	X(BYTES_SVAL, "PyBytesObject", "ob_sval", 1, 32) \
	X(BYTEARRAY_SIZE, "PyByteArrayObject", NULL, 0, 56) \
	X(BYTEARRAY_ALLOC, "PyByteArrayObject", "ob_alloc", 8, 24) \
	X(BYTEARRAY_BYTES, "PyByteArrayObject", "ob_bytes", 8, 32) \
	X(BYTEARRAY_START, "PyByteArrayObject", "ob_start", 8, 40) \
	X(TUPLE_ITEM, "PyTupleObject", "ob_item", 8, 24) \
	X(LIST_ITEM, "PyListObject", "ob_item", 8, 24) \
	X(LIST_ALLOCATED, "PyListObject", "allocated", 8, 32) \
	X(DICT_USED, "PyDictObject", "ma_used", 8, 16) \
	X(DICT_KEYS, "PyDictObject", "ma_keys", 8, 32) \
	X(DICT_VALUES, "PyDictObject", "ma_values", 8, 40) \
	X(DK_REFCNT, "_dictkeysobject", "dk_refcnt", 8, 0) \
	X(DK_SIZE, "_dictkeysobject", "dk_size", 8, 8) \
	X(DK_NENTRIES, "_dictkeysobject", "dk_nentries", 8, 32) \
	X(DK_USABLE, "_dictkeysobject", "dk_usable", 8, 24) \
	X(DK_INDICES, "_dictkeysobject", "dk_indices", 0, 40) \
	X(DKE_SIZE, "PyDictKeyEntry", NULL, 0, 24) \
	X(DKE_HASH, "PyDictKeyEntry", "me_hash", 8, 0) \
	X(DKE_KEY, "PyDictKeyEntry", "me_key", 8, 8) \
	X(DKE_VALUE, "PyDictKeyEntry", "me_value", 8, 16) \
	X(SET_SIZE, "PySetObject", NULL, 0, 200) \
	X(SET_FILL, "PySetObject", "fill", 8, 16) \
	X(SET_USED, "PySetObject", "used", 8, 24) \
	X(SET_MASK, "PySetObject", "mask", 8, 32) \
	X(SET_TABLE, "PySetObject", "table", 8, 40) \
	X(SET_SMALLTABLE, "PySetObject", "smalltable", 128, 64) \
	X(SETENTRY_SIZE, "setentry", NULL, 0, 16) \
	X(SETENTRY_KEY, "setentry", "key", 8, 0) \
	X(ASCII_SIZE, "PyASCIIObject", NULL, 0, 48) \
	X(ASCII_LENGTH, "PyASCIIObject", "length", 8, 16) \
	X(ASCII_HASH, "PyASCIIObject", "hash", 8, 24) \
	X(ASCII_STATE, "PyASCIIObject", "state", 4, 32) \
	X(ASCII_WSTR, "PyASCIIObject", "wstr", 8, 40) \
	X(COMPACT_SIZE, "PyCompactUnicodeObject", NULL, 0, 72) \
	X(COMPACT_UTF8_LENGTH, "PyCompactUnicodeObject", "utf8_length", 8, 48) \
	X(COMPACT_UTF8, "PyCompactUnicodeObject", "utf8", 8, 56) \
	X(COMPACT_WSTR_LENGTH, "PyCompactUnicodeObject", "wstr_length", 8, 64) \
	X(UNICODE_SIZE, "PyUnicodeObject", NULL, 0, 80) \
	X(UNICODE_DATA, "PyUnicodeObject", "data", 8, 72) \
	X(MODULE_SIZE, "PyModuleObject", NULL, 0, 56) \
	X(MODULE_DICT, "PyModuleObject", "md_dict", 8, 16) \
	X(MODULE_NAME, "PyModuleObject", "md_name", 8, 48) \
	X(MODULE_DEF, "PyModuleObject", "md_def", 8, 24) \
	X(MODULE_STATE, "PyModuleObject", "md_state", 8, 32) \
	X(MODDEF_SIZE, "PyModuleDef", NULL, 0, 104) \
	X(MODDEF_NAME, "PyModuleDef", "m_name", 8, 40) \
	X(MODDEF_M_SIZE, "PyModuleDef", "m_size", 8, 56) \
	X(MODDEF_TRAVERSE, "PyModuleDef", "m_traverse", 8, 80) \
	X(FUNC_SIZE, "PyFunctionObject", NULL, 0, 128) \
	X(FUNC_GLOBALS, "PyFunctionObject", "func_globals", 8, 16) \
	X(FUNC_BUILTINS, "PyFunctionObject", "func_builtins", 8, 24) \
	X(FUNC_NAME, "PyFunctionObject", "func_name", 8, 32) \
	X(FUNC_QUALNAME, "PyFunctionObject", "func_qualname", 8, 40) \
	X(FUNC_CODE, "PyFunctionObject", "func_code", 8, 48) \
	X(FUNC_DEFAULTS, "PyFunctionObject", "func_defaults", 8, 56) \
	X(FUNC_KWDEFAULTS, "PyFunctionObject", "func_kwdefaults", 8, 64) \
	X(FUNC_CLOSURE, "PyFunctionObject", "func_closure", 8, 72) \
	X(FUNC_DOC, "PyFunctionObject", "func_doc", 8, 80) \
	X(FUNC_DICT, "PyFunctionObject", "func_dict", 8, 88) \
	X(FUNC_MODULE, "PyFunctionObject", "func_module", 8, 104) \
	X(FUNC_ANNOTATIONS, "PyFunctionObject", "func_annotations", 8, 112) \
	X(CODE_SIZE, "PyCodeObject", NULL, 0, 176) \
	X(CODE_NLOCALS, "PyCodeObject", "co_nlocals", 4, 28) \
	X(CODE_STACKSIZE, "PyCodeObject", "co_stacksize", 4, 32) \
	X(CODE_CODE, "PyCodeObject", "co_code", 8, 48) \
	X(CODE_CONSTS, "PyCodeObject", "co_consts", 8, 56) \
	X(CODE_NAMES, "PyCodeObject", "co_names", 8, 64) \
	X(CODE_VARNAMES, "PyCodeObject", "co_varnames", 8, 72) \
	X(CODE_FREEVARS, "PyCodeObject", "co_freevars", 8, 80) \
	X(CODE_CELLVARS, "PyCodeObject", "co_cellvars", 8, 88) \
	X(CODE_CELL2ARG, "PyCodeObject", "co_cell2arg", 8, 96) \
	X(CODE_FILENAME, "PyCodeObject", "co_filename", 8, 104) \
	X(CODE_NAME, "PyCodeObject", "co_name", 8, 112) \
	X(CODE_LINETABLE, "PyCodeObject", "co_linetable", 8, 120) \
	X(CODE_EXTRA, "PyCodeObject", "co_extra", 8, 144) \
	X(CODE_OPCACHE, "PyCodeObject", "co_opcache", 8, 160) \
	X(CODE_OPCACHE_SIZE, "PyCodeObject", "co_opcache_size", 1, 172) \
	X(CODE_FIRSTLINENO, "PyCodeObject", "co_firstlineno", 4, 40) \
	X(CELL_SIZE, "PyCellObject", NULL, 0, 24) \
	X(CELL_REF, "PyCellObject", "ob_ref", 8, 16) \
	X(METHOD_SIZE, "PyMethodObject", NULL, 0, 48) \
	X(METHOD_FUNC, "PyMethodObject", "im_func", 8, 16) \
	X(METHOD_SELF, "PyMethodObject", "im_self", 8, 24) \
	X(CFUNC_SIZE, "PyCFunctionObject", NULL, 0, 56) \
	X(CFUNC_ML, "PyCFunctionObject", "m_ml", 8, 16) \
	X(CFUNC_SELF, "PyCFunctionObject", "m_self", 8, 24) \
	X(CFUNC_MODULE, "PyCFunctionObject", "m_module", 8, 32) \
	X(CMETHOD_SIZE, "PyCMethodObject", NULL, 0, 64) \
	X(CMETHOD_CLASS, "PyCMethodObject", "mm_class", 8, 56) \
	X(METHODDEF_SIZE, "PyMethodDef", NULL, 0, 32) \
	X(METHODDEF_NAME, "PyMethodDef", "ml_name", 8, 0) \
	X(GEN_SIZE, "PyGenObject", NULL, 0, 88) \
	X(GEN_FRAME, "PyGenObject", "gi_frame", 8, 16) \
	X(GEN_CODE, "PyGenObject", "gi_code", 8, 24) \
	X(GEN_NAME, "PyGenObject", "gi_name", 8, 40) \
	X(GEN_QUALNAME, "PyGenObject", "gi_qualname", 8, 48) \
	X(GEN_EXC_STATE, "PyGenObject", "gi_exc_state", 32, 56) \
	X(FRAME_SIZE, "_frame", NULL, 0, 360) \
	X(FRAME_BACK, "_frame", "f_back", 8, 24) \
	X(FRAME_CODE, "_frame", "f_code", 8, 32) \
	X(FRAME_BUILTINS, "_frame", "f_builtins", 8, 40) \
	X(FRAME_GLOBALS, "_frame", "f_globals", 8, 48) \
	X(FRAME_LOCALS, "_frame", "f_locals", 8, 56) \
	X(FRAME_VALUESTACK, "_frame", "f_valuestack", 8, 64) \
	X(FRAME_TRACE, "_frame", "f_trace", 8, 72) \
	X(FRAME_STACKDEPTH, "_frame", "f_stackdepth", 4, 80) \
	X(FRAME_GEN, "_frame", "f_gen", 8, 88) \
	X(FRAME_LASTI, "_frame", "f_lasti", 4, 96) \
	X(FRAME_STATE, "_frame", "f_state", 1, 108) \
	X(FRAME_LOCALSPLUS, "_frame", "f_localsplus", 8, 352) \
	X(DESCR_SIZE, "PyDescrObject", NULL, 0, 40) \
	X(DESCR_TYPE, "PyDescrObject", "d_type", 8, 16) \
	X(DESCR_NAME, "PyDescrObject", "d_name", 8, 24) \
	X(DESCR_QUALNAME, "PyDescrObject", "d_qualname", 8, 32) \
	X(EXC_DICT, "PyBaseExceptionObject", "dict", 8, 16) \
	X(EXC_ARGS, "PyBaseExceptionObject", "args", 8, 24) \
	X(EXC_TRACEBACK, "PyBaseExceptionObject", "traceback", 8, 32) \
	X(EXC_CONTEXT, "PyBaseExceptionObject", "context", 8, 40) \
	X(EXC_CAUSE, "PyBaseExceptionObject", "cause", 8, 48) \
	X(TB_SIZE, "_traceback", NULL, 0, 40) \
	X(TB_NEXT, "_traceback", "tb_next", 8, 16) \
	X(TB_FRAME, "_traceback", "tb_frame", 8, 24) \
	X(WEAKREF_SIZE, "_PyWeakReference", NULL, 0, 56) \
	X(WEAKREF_OBJECT, "_PyWeakReference", "wr_object", 8, 16) \
	X(WEAKREF_CALLBACK, "_PyWeakReference", "wr_callback", 8, 24) \
	X(SLICE_SIZE, "PySliceObject", NULL, 0, 40) \
	X(SLICE_START, "PySliceObject", "start", 8, 16) \
	X(SLICE_STOP, "PySliceObject", "stop", 8, 24) \
	X(SLICE_STEP, "PySliceObject", "step", 8, 32) \
	X(PROPERTY_SIZE, "propertyobject", NULL, 0, 64) \
	X(PROPERTY_GET, "propertyobject", "prop_get", 8, 16) \
	X(PROPERTY_SET, "propertyobject", "prop_set", 8, 24) \
	X(PROPERTY_DEL, "propertyobject", "prop_del", 8, 32) \
	X(PROPERTY_DOC, "propertyobject", "prop_doc", 8, 40) \
	X(PROPERTY_NAME, "propertyobject", "prop_name", 8, 48) \
	X(CORO_SIZE, "PyCoroObject", NULL, 0, 96) \
	X(CORO_ORIGIN, "PyCoroObject", "cr_origin", 8, 88) \
	X(ASYNCGEN_SIZE, "PyAsyncGenObject", NULL, 0, 112) \
	X(ASYNCGEN_FINALIZER, "PyAsyncGenObject", "ag_finalizer", 8, 88) \
	X(CLASSMETHOD_SIZE, "classmethod", NULL, 0, 32) \
	X(CLASSMETHOD_CALLABLE, "classmethod", "cm_callable", 8, 16) \
	X(CLASSMETHOD_DICT, "classmethod", "cm_dict", 8, 24) \
	X(STATICMETHOD_SIZE, "staticmethod", NULL, 0, 32) \
	X(STATICMETHOD_CALLABLE, "staticmethod", "sm_callable", 8, 16) \
	X(STATICMETHOD_DICT, "staticmethod", "sm_dict", 8, 24) \
	X(RANGE_SIZE, "rangeobject", NULL, 0, 48) \
	X(RANGE_START, "rangeobject", "start", 8, 16) \
	X(RANGE_STOP, "rangeobject", "stop", 8, 24) \
	X(RANGE_STEP, "rangeobject", "step", 8, 32) \
	X(RANGE_LENGTH, "rangeobject", "length", 8, 40) \
	X(MAPPINGPROXY_SIZE, "mappingproxyobject", NULL, 0, 24) \
	X(MAPPINGPROXY_MAPPING, "mappingproxyobject", "mapping", 8, 16) \
	X(DEQUE_SIZE, "dequeobject", NULL, 0, 80) \
	X(DEQUE_LEFTBLOCK, "dequeobject", "leftblock", 8, 24) \
	X(DEQUE_RIGHTBLOCK, "dequeobject", "rightblock", 8, 32) \
	X(DEQUE_LEFTINDEX, "dequeobject", "leftindex", 8, 40) \
	X(DEQUE_RIGHTINDEX, "dequeobject", "rightindex", 8, 48) \
	X(DEQUE_MAXLEN, "dequeobject", "maxlen", 8, 64) \
	X(DEFDICT_SIZE, "defdictobject", NULL, 0, 56) \
	X(DEFDICT_FACTORY, "defdictobject", "default_factory", 8, 48) \
	X(ODICT_SIZE, "PyODictObject", NULL, 0, 112) \
	X(ODICT_FIRST, "PyODictObject", "od_first", 8, 48) \
	X(ODICT_FAST_NODES_SIZE, "PyODictObject", "od_fast_nodes_size", 8, 72) \
	X(ODICT_INST_DICT, "PyODictObject", "od_inst_dict", 8, 96) \
	PHI_LAYOUT_MEMORY_FIELDS(X) \
	PHI_LAYOUT_TRACEMALLOC_FIELDS(X)

/* The allocator, the free lists and the GC state (cpython/310/pymalloc.c,
 * freelists.c, gcstate.c): obmalloc's structs, the interpreter's counts,
 * the sizes _debugmallocstats prints. */
#define PHI_LAYOUT_MEMORY_FIELDS(X) \
	X(IS_GC_ENABLED, "_is", "gc.enabled", 4, 628) \
	X(GCGEN_THRESHOLD, "gc_generation", "threshold", 4, 16) \
	X(GCGEN_COUNT, "gc_generation", "count", 4, 20) \
	X(IS_FLOAT_NUMFREE, "_is", "float_state.numfree", 4, 9776) \
	X(IS_TUPLE_NUMFREE, "_is", "tuple.numfree", 80, 9960) \
	X(IS_LIST_NUMFREE, "_is", "list.numfree", 4, 10680) \
	X(IS_DICT_NUMFREE, "_is", "dict_state.numfree", 4, 11328) \
	X(IS_DICT_KEYS_NUMFREE, "_is", "dict_state.keys_numfree", 4, 11976) \
	X(IS_FRAME_FREE_LIST, "_is", "frame.free_list", 8, 11984) \
	X(IS_FRAME_NUMFREE, "_is", "frame.numfree", 4, 11992) \
	X(IS_AGEN_VALUE_NUMFREE, "_is", "async_gen.value_numfree", 4, 12640) \
	X(IS_AGEN_ASEND_NUMFREE, "_is", "async_gen.asend_numfree", 4, 13288) \
	X(IS_CONTEXT_NUMFREE, "_is", "context.numfree", 4, 13304) \
	X(IS_MEMERRORS_NUMFREE, "_is", "exc_state.memerrors_numfree", 4, \
	  13328) \
	X(DICT_SIZE, "PyDictObject", NULL, 0, 48) \
	X(FLOAT_SIZE, "PyFloatObject", NULL, 0, 24) \
	X(LIST_SIZE, "PyListObject", NULL, 0, 40) \
	X(TUPLE_SIZE, "PyTupleObject", NULL, 0, 32) \
	X(DICTKEYS_SIZE, "_dictkeysobject", NULL, 0, 40) \
	X(ASEND_SIZE, "PyAsyncGenASend", NULL, 0, 40) \
	X(AGEN_VALUE_SIZE, "_PyAsyncGenWrappedValue", NULL, 0, 24) \
	X(CONTEXT_SIZE, "PyContext", NULL, 0, 48) \
	X(BASEEXC_SIZE, "PyBaseExceptionObject", NULL, 0, 64) \
	X(TRACEMALLOC_SIZE, "_PyTraceMalloc_Config", NULL, 0, 12) \
	X(TRACEMALLOC_TRACING, "_PyTraceMalloc_Config", "tracing", 4, 4) \
	X(ARENA_OBJ_SIZE, "arena_object", NULL, 0, 48) \
	X(ARENA_ADDRESS, "arena_object", "address", 8, 0) \
	X(ARENA_POOL_ADDRESS, "arena_object", "pool_address", 8, 8) \
	X(ARENA_NFREEPOOLS, "arena_object", "nfreepools", 4, 16) \
	X(ARENA_NTOTALPOOLS, "arena_object", "ntotalpools", 4, 20) \
	X(POOL_HEADER_SIZE, "pool_header", NULL, 0, 48) \
	X(POOL_COUNT, "pool_header", "ref.count", 4, 0) \
	X(POOL_FREEBLOCK, "pool_header", "freeblock", 8, 8) \
	X(POOL_ARENAINDEX, "pool_header", "arenaindex", 4, 32) \
	X(POOL_SZIDX, "pool_header", "szidx", 4, 36) \
	X(POOL_NEXTOFFSET, "pool_header", "nextoffset", 4, 40) \
	X(POOL_MAXNEXTOFFSET, "pool_header", "maxnextoffset", 4, 44) \
	X(DEBUG_API_SIZE, "debug_alloc_api_t", NULL, 0, 48) \
	X(DEBUG_API_ALLOC, "debug_alloc_api_t", "alloc", 40, 8) \
	X(MEMALLOC_SIZE, "PyMemAllocatorEx", NULL, 0, 40) \
	X(MEMALLOC_MALLOC, "PyMemAllocatorEx", "malloc", 8, 8)

/* tracemalloc's records (Modules/_tracemalloc.c, tracemalloc.c), and
 * its config but the tracing flag, which is TRACEMALLOC_TRACING above. */
#define PHI_LAYOUT_TRACEMALLOC_FIELDS(X) \
	X(TMCFG_INITIALIZED, "_PyTraceMalloc_Config", "initialized", 4, 0) \
	X(TMCFG_MAX_NFRAME, "_PyTraceMalloc_Config", "max_nframe", 4, 8) \
	X(TMHT_SIZE, "_Py_hashtable_t", NULL, 0, 80) \
	X(TMHT_NENTRIES, "_Py_hashtable_t", "nentries", 8, 0) \
	X(TMHT_NBUCKETS, "_Py_hashtable_t", "nbuckets", 8, 8) \
	X(TMHT_BUCKETS, "_Py_hashtable_t", "buckets", 8, 16) \
	X(TMENT_SIZE, "_Py_hashtable_entry_t", NULL, 0, 32) \
	X(TMENT_NEXT, "_Py_hashtable_entry_t", "_Py_slist_item", 8, 0) \
	X(TMENT_KEY_HASH, "_Py_hashtable_entry_t", "key_hash", 8, 8) \
	X(TMENT_KEY, "_Py_hashtable_entry_t", "key", 8, 16) \
	X(TMENT_VALUE, "_Py_hashtable_entry_t", "value", 8, 24) \
	X(TMTRACE_SIZE, "trace_t", NULL, 0, 16) \
	X(TMTRACE_BYTES, "trace_t", "size", 8, 0) \
	X(TMTRACE_TRACEBACK, "trace_t", "traceback", 8, 8) \
	X(TMTB_SIZE, "traceback_t", NULL, 0, 24) \
	X(TMTB_HASH, "traceback_t", "hash", 8, 0) \
	X(TMTB_NFRAME, "traceback_t", "nframe", 2, 8) \
	X(TMTB_TOTAL_NFRAME, "traceback_t", "total_nframe", 2, 10) \
	X(TMTB_FRAMES, "traceback_t", "frames", 12, 12) \
	X(TMFRAME_SIZE, "frame_t", NULL, 0, 12) \
	X(TMFRAME_FILENAME, "frame_t", "filename", 8, 0) \
	X(TMFRAME_LINENO, "frame_t", "lineno", 4, 8)

enum phi_layout_id {
#define PHI_LAYOUT_ENUM(id, type, member, width, builtin) PHI_L_##id,
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

/* Check the whole table, whatever its source (DWARF, the built-in table,
 * a snapshot): every struct size positive and at most PHI_LAYOUT_MAX;
 * every member, with its width, inside its struct, aligned to its width,
 * and past the object header in an object's struct; the values every
 * CPython 3.10 on x86-64 has (ob_refcnt at 0, ob_type at 8, PyGC_Head
 * 16 bytes, a set entry 16, a dict entry 24 with its fields at 0, 8 and
 * 16...) and the relations the decoders rely on.  PHI_E_CORRUPT naming
 * the first field that fails, and why. */
int phi_layout_validate(const struct phi_layout *lay, struct phi_error *err);

/* Offsets and sizes of 3.10's structs are below 16 KiB but for the
 * interpreter state (111 KiB): a value past this is damage. */
#define PHI_LAYOUT_MAX (1LL << 20)

/* Names for messages and tests. */
const char *phi_layout_type_name(enum phi_layout_id id);
const char *phi_layout_member_name(enum phi_layout_id id);
/* The member's width in bytes (0 for a struct's size, or a flexible
 * array member), and the id of the size of the struct it is in. */
int64_t phi_layout_width(enum phi_layout_id id);
enum phi_layout_id phi_layout_struct_of(enum phi_layout_id id);

#endif
