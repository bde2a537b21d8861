/* C types of the standard library and C modules' state, CPython 3.10:
 * the built-in offsets their decoders read, and the decoders' interface.
 *
 * The offsets were read from the DWARF of 3.10.13 (x86-64, GCC 12) with
 * gdb, and tests/unit/test_ctypes checks every one against the DWARF of
 * the file named here ("libpython" is libpython3.10.so, any other name
 * lib-dynload's NAME.cpython-310-x86_64-linux-gnu.so) on every run.  They
 * are used whatever the target's DWARF says: a type is decoded by them
 * only when its tp_name, tp_basicsize, tp_itemsize and flags are the ones
 * listed in ctypes.c, which a differing build would not all keep. */
#ifndef PYHEAPINSPECT_CTYPES_H
#define PYHEAPINSPECT_CTYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/cpython/heap.h"
#include "pyheapinspect/cpython/310/decode.h"

/* X(id, file, struct or typedef, member path or NULL for the size,
 *   width, value).  Widths as layout.h's: a member's size, 0 for a
 *   struct's size. */
#define PHI_CT_TYPE_FIELDS(X) \
	X(LRU_SIZE, "libpython", "lru_cache_object", NULL, 0, 152) \
	X(LRU_ROOT, "libpython", "lru_cache_object", "root", 56, 0) \
	X(LRU_CACHE, "libpython", "lru_cache_object", "cache", 8, 72) \
	X(LRU_FUNC, "libpython", "lru_cache_object", "func", 8, 88) \
	X(LRU_KWD_MARK, "libpython", "lru_cache_object", "kwd_mark", 8, 112) \
	X(LRU_LRU_LIST_ELEM_TYPE, "libpython", "lru_cache_object", \
	  "lru_list_elem_type", 8, 120) \
	X(LRU_CACHE_INFO_TYPE, "libpython", "lru_cache_object", \
	  "cache_info_type", 8, 128) \
	X(LRU_MAXSIZE, "libpython", "lru_cache_object", "maxsize", 8, 96) \
	X(LRUELEM_SIZE, "libpython", "lru_list_elem", NULL, 0, 56) \
	X(LRUELEM_NEXT, "libpython", "lru_list_elem", "next", 8, 24) \
	X(LRUELEM_KEY, "libpython", "lru_list_elem", "key", 8, 40) \
	X(LRUELEM_RESULT, "libpython", "lru_list_elem", "result", 8, 48) \
	X(PARTIAL_SIZE, "libpython", "partialobject", NULL, 0, 64) \
	X(PARTIAL_FN, "libpython", "partialobject", "fn", 8, 16) \
	X(PARTIAL_ARGS, "libpython", "partialobject", "args", 8, 24) \
	X(PARTIAL_KW, "libpython", "partialobject", "kw", 8, 32) \
	X(KEYOBJ_SIZE, "libpython", "keyobject", NULL, 0, 32) \
	X(KEYOBJ_CMP, "libpython", "keyobject", "cmp", 8, 16) \
	X(KEYOBJ_OBJECT, "libpython", "keyobject", "object", 8, 24) \
	X(CTX_SIZE, "libpython", "PyContext", NULL, 0, 48) \
	X(CTX_CTX_PREV, "libpython", "PyContext", "ctx_prev", 8, 16) \
	X(CTX_CTX_VARS, "libpython", "PyContext", "ctx_vars", 8, 24) \
	X(CTXVAR_SIZE, "libpython", "PyContextVar", NULL, 0, 64) \
	X(CTXVAR_VAR_NAME, "libpython", "PyContextVar", "var_name", 8, 16) \
	X(CTXVAR_VAR_DEFAULT, "libpython", "PyContextVar", \
	  "var_default", 8, 24) \
	X(CTXTOK_SIZE, "libpython", "PyContextToken", NULL, 0, 48) \
	X(CTXTOK_TOK_CTX, "libpython", "PyContextToken", "tok_ctx", 8, 16) \
	X(CTXTOK_TOK_VAR, "libpython", "PyContextToken", "tok_var", 8, 24) \
	X(CTXTOK_TOK_OLDVAL, "libpython", "PyContextToken", \
	  "tok_oldval", 8, 32) \
	X(HAMT_SIZE, "libpython", "PyHamtObject", NULL, 0, 40) \
	X(HAMT_H_ROOT, "libpython", "PyHamtObject", "h_root", 8, 16) \
	X(HAMTBM_SIZE, "libpython", "PyHamtNode_Bitmap", NULL, 0, 40) \
	X(HAMTBM_B_ARRAY, "libpython", "PyHamtNode_Bitmap", "b_array", 8, 32) \
	X(HAMTARR_SIZE, "libpython", "PyHamtNode_Array", NULL, 0, 280) \
	X(HAMTARR_A_ARRAY, "libpython", "PyHamtNode_Array", \
	  "a_array", 256, 16) \
	X(HAMTCOL_SIZE, "libpython", "PyHamtNode_Collision", NULL, 0, 40) \
	X(HAMTCOL_C_ARRAY, "libpython", "PyHamtNode_Collision", \
	  "c_array", 8, 32) \
	X(PATTERN_SIZE, "libpython", "PatternObject", NULL, 0, 96) \
	X(PATTERN_GROUPINDEX, "libpython", "PatternObject", \
	  "groupindex", 8, 32) \
	X(PATTERN_INDEXGROUP, "libpython", "PatternObject", \
	  "indexgroup", 8, 40) \
	X(PATTERN_PATTERN, "libpython", "PatternObject", "pattern", 8, 48) \
	X(MATCH_SIZE, "libpython", "MatchObject", NULL, 0, 88) \
	X(MATCH_STRING, "libpython", "MatchObject", "string", 8, 24) \
	X(MATCH_REGS, "libpython", "MatchObject", "regs", 8, 32) \
	X(MATCH_PATTERN, "libpython", "MatchObject", "pattern", 8, 40) \
	X(SCANNER_SIZE, "libpython", "ScannerObject", NULL, 0, 240) \
	X(SCANNER_PATTERN, "libpython", "ScannerObject", "pattern", 8, 16) \
	X(BYTESIO_SIZE, "libpython", "bytesio", NULL, 0, 64) \
	X(BYTESIO_BUF, "libpython", "bytesio", "buf", 8, 16) \
	X(STRINGIO_SIZE, "libpython", "stringio", NULL, 0, 120) \
	X(BUFFERED_SIZE, "libpython", "buffered", NULL, 0, 152) \
	X(BUFFERED_RAW, "libpython", "buffered", "raw", 8, 16) \
	X(BUFFERED_BUFFER, "libpython", "buffered", "buffer", 8, 56) \
	X(BUFFERED_BUFFER_SIZE, "libpython", "buffered", \
	  "buffer_size", 8, 120) \
	X(RWPAIR_SIZE, "libpython", "rwpair", NULL, 0, 48) \
	X(FILEIO_SIZE, "libpython", "fileio", NULL, 0, 48) \
	X(TEXTIO_SIZE, "libpython", "textio", NULL, 0, 192) \
	X(TEXTIO_BUFFER, "libpython", "textio", "buffer", 8, 32) \
	X(TEXTIO_ENCODING, "libpython", "textio", "encoding", 8, 40) \
	X(TEXTIO_ENCODER, "libpython", "textio", "encoder", 8, 48) \
	X(TEXTIO_DECODER, "libpython", "textio", "decoder", 8, 56) \
	X(TEXTIO_READNL, "libpython", "textio", "readnl", 8, 64) \
	X(TEXTIO_DECODED_CHARS, "libpython", "textio", \
	  "decoded_chars", 8, 120) \
	X(TEXTIO_PENDING_BYTES, "libpython", "textio", \
	  "pending_bytes", 8, 136) \
	X(TEXTIO_SNAPSHOT, "libpython", "textio", "snapshot", 8, 152) \
	X(TEXTIO_ERRORS, "libpython", "textio", "errors", 8, 72) \
	X(TEXTIO_RAW, "libpython", "textio", "raw", 8, 168) \
	X(NLDEC_SIZE, "libpython", "nldecoder_object", NULL, 0, 40) \
	X(NLDEC_DECODER, "libpython", "nldecoder_object", "decoder", 8, 16) \
	X(NLDEC_ERRORS, "libpython", "nldecoder_object", "errors", 8, 24) \
	X(BIOBUF_SIZE, "libpython", "bytesiobuf", NULL, 0, 24) \
	X(BIOBUF_SOURCE, "libpython", "bytesiobuf", "source", 8, 16) \
	X(ABCDATA_SIZE, "libpython", "_abc_data", NULL, 0, 48) \
	X(ABCDATA_ABC_REGISTRY, "libpython", "_abc_data", \
	  "_abc_registry", 8, 16) \
	X(ABCDATA_ABC_CACHE, "libpython", "_abc_data", "_abc_cache", 8, 24) \
	X(ABCDATA_ABC_NEGATIVE_CACHE, "libpython", "_abc_data", \
	  "_abc_negative_cache", 8, 32) \
	X(ATTRG_SIZE, "libpython", "attrgetterobject", NULL, 0, 32) \
	X(ATTRG_ATTR, "libpython", "attrgetterobject", "attr", 8, 24) \
	X(ITEMG_SIZE, "libpython", "itemgetterobject", NULL, 0, 40) \
	X(ITEMG_ITEM, "libpython", "itemgetterobject", "item", 8, 24) \
	X(METHC_SIZE, "libpython", "methodcallerobject", NULL, 0, 40) \
	X(METHC_NAME, "libpython", "methodcallerobject", "name", 8, 16) \
	X(METHC_ARGS, "libpython", "methodcallerobject", "args", 8, 24) \
	X(METHC_KWDS, "libpython", "methodcallerobject", "kwds", 8, 32) \
	X(CYCLE_SIZE, "libpython", "cycleobject", NULL, 0, 48) \
	X(CYCLE_IT, "libpython", "cycleobject", "it", 8, 16) \
	X(CYCLE_SAVED, "libpython", "cycleobject", "saved", 8, 24) \
	X(COUNT_SIZE, "libpython", "countobject", NULL, 0, 40) \
	X(COUNT_LONG_CNT, "libpython", "countobject", "long_cnt", 8, 24) \
	X(COUNT_LONG_STEP, "libpython", "countobject", "long_step", 8, 32) \
	X(TEE_SIZE, "libpython", "teeobject", NULL, 0, 40) \
	X(TEE_DATAOBJ, "libpython", "teeobject", "dataobj", 8, 16) \
	X(TEEDATA_SIZE, "libpython", "teedataobject", NULL, 0, 496) \
	X(TEEDATA_IT, "libpython", "teedataobject", "it", 8, 16) \
	X(TEEDATA_NUMREAD, "libpython", "teedataobject", "numread", 4, 24) \
	X(TEEDATA_NEXTLINK, "libpython", "teedataobject", "nextlink", 8, 32) \
	X(TEEDATA_VALUES, "libpython", "teedataobject", "values", 456, 40) \
	X(GROUPBY_SIZE, "libpython", "groupbyobject", NULL, 0, 64) \
	X(GROUPBY_IT, "libpython", "groupbyobject", "it", 8, 16) \
	X(GROUPBY_KEYFUNC, "libpython", "groupbyobject", "keyfunc", 8, 24) \
	X(GROUPBY_TGTKEY, "libpython", "groupbyobject", "tgtkey", 8, 32) \
	X(GROUPBY_CURRKEY, "libpython", "groupbyobject", "currkey", 8, 40) \
	X(GROUPBY_CURRVALUE, "libpython", "groupbyobject", "currvalue", 8, 48) \
	X(GROUPER_SIZE, "libpython", "_grouperobject", NULL, 0, 32) \
	X(GROUPER_PARENT, "libpython", "_grouperobject", "parent", 8, 16) \
	X(GROUPER_TGTKEY, "libpython", "_grouperobject", "tgtkey", 8, 24) \
	X(CHAIN_SIZE, "libpython", "chainobject", NULL, 0, 32) \
	X(CHAIN_SOURCE, "libpython", "chainobject", "source", 8, 16) \
	X(CHAIN_ACTIVE, "libpython", "chainobject", "active", 8, 24) \
	X(ISLICE_SIZE, "libpython", "isliceobject", NULL, 0, 56) \
	X(ISLICE_IT, "libpython", "isliceobject", "it", 8, 16) \
	X(PRODUCT_SIZE, "libpython", "productobject", NULL, 0, 48) \
	X(PRODUCT_POOLS, "libpython", "productobject", "pools", 8, 16) \
	X(PRODUCT_RESULT, "libpython", "productobject", "result", 8, 32) \
	X(PERMS_SIZE, "libpython", "permutationsobject", NULL, 0, 64) \
	X(PERMS_POOL, "libpython", "permutationsobject", "pool", 8, 16) \
	X(PERMS_RESULT, "libpython", "permutationsobject", "result", 8, 40) \
	X(PERMS_R, "libpython", "permutationsobject", "r", 8, 48) \
	X(COMBS_SIZE, "libpython", "combinationsobject", NULL, 0, 56) \
	X(COMBS_POOL, "libpython", "combinationsobject", "pool", 8, 16) \
	X(COMBS_RESULT, "libpython", "combinationsobject", "result", 8, 32) \
	X(COMBS_R, "libpython", "combinationsobject", "r", 8, 40) \
	X(CWR_SIZE, "libpython", "cwrobject", NULL, 0, 56) \
	X(CWR_POOL, "libpython", "cwrobject", "pool", 8, 16) \
	X(CWR_RESULT, "libpython", "cwrobject", "result", 8, 32) \
	X(CWR_R, "libpython", "cwrobject", "r", 8, 40) \
	X(ACCUM_SIZE, "libpython", "accumulateobject", NULL, 0, 48) \
	X(ACCUM_BINOP, "libpython", "accumulateobject", "binop", 8, 32) \
	X(ACCUM_IT, "libpython", "accumulateobject", "it", 8, 24) \
	X(ACCUM_TOTAL, "libpython", "accumulateobject", "total", 8, 16) \
	X(ACCUM_INITIAL, "libpython", "accumulateobject", "initial", 8, 40) \
	X(ZIPLONG_SIZE, "libpython", "ziplongestobject", NULL, 0, 56) \
	X(ZIPLONG_ITTUPLE, "libpython", "ziplongestobject", "ittuple", 8, 32) \
	X(ZIPLONG_RESULT, "libpython", "ziplongestobject", "result", 8, 40) \
	X(ZIPLONG_FILLVALUE, "libpython", "ziplongestobject", \
	  "fillvalue", 8, 48) \
	X(STARMAP_SIZE, "libpython", "starmapobject", NULL, 0, 32) \
	X(STARMAP_IT, "libpython", "starmapobject", "it", 8, 24) \
	X(STARMAP_FUNC, "libpython", "starmapobject", "func", 8, 16) \
	X(TAKEW_SIZE, "libpython", "takewhileobject", NULL, 0, 40) \
	X(TAKEW_IT, "libpython", "takewhileobject", "it", 8, 24) \
	X(TAKEW_FUNC, "libpython", "takewhileobject", "func", 8, 16) \
	X(DROPW_SIZE, "libpython", "dropwhileobject", NULL, 0, 40) \
	X(DROPW_IT, "libpython", "dropwhileobject", "it", 8, 24) \
	X(DROPW_FUNC, "libpython", "dropwhileobject", "func", 8, 16) \
	X(COMPRESS_SIZE, "libpython", "compressobject", NULL, 0, 32) \
	X(COMPRESS_DATA, "libpython", "compressobject", "data", 8, 16) \
	X(COMPRESS_SELECTORS, "libpython", "compressobject", \
	  "selectors", 8, 24) \
	X(FILTERF_SIZE, "libpython", "filterfalseobject", NULL, 0, 32) \
	X(FILTERF_IT, "libpython", "filterfalseobject", "it", 8, 24) \
	X(FILTERF_FUNC, "libpython", "filterfalseobject", "func", 8, 16) \
	X(REPEAT_SIZE, "libpython", "repeatobject", NULL, 0, 32) \
	X(REPEAT_ELEMENT, "libpython", "repeatobject", "element", 8, 16) \
	X(PAIRWISE_SIZE, "libpython", "pairwiseobject", NULL, 0, 32) \
	X(PAIRWISE_IT, "libpython", "pairwiseobject", "it", 8, 16) \
	X(PAIRWISE_OLD, "libpython", "pairwiseobject", "old", 8, 24) \
	X(TUPLEGET_SIZE, "libpython", "_tuplegetterobject", NULL, 0, 32) \
	X(TUPLEGET_DOC, "libpython", "_tuplegetterobject", "doc", 8, 24) \
	X(DEQUEIT_SIZE, "libpython", "dequeiterobject", NULL, 0, 56) \
	X(DEQUEIT_DEQUE, "libpython", "dequeiterobject", "deque", 8, 32) \
	X(WRAPPER_SIZE, "libpython", "wrapperobject", NULL, 0, 32) \
	X(WRAPPER_DESCR, "libpython", "wrapperobject", "descr", 8, 16) \
	X(WRAPPER_SELF, "libpython", "wrapperobject", "self", 8, 24) \
	X(LOCAL_SIZE, "libpython", "localobject", NULL, 0, 64) \
	X(LOCAL_ARGS, "libpython", "localobject", "args", 8, 24) \
	X(LOCAL_KW, "libpython", "localobject", "kw", 8, 32) \
	X(LOCAL_DUMMIES, "libpython", "localobject", "dummies", 8, 48) \
	X(LOCK_SIZE, "libpython", "lockobject", NULL, 0, 40) \
	X(RLOCK_SIZE, "libpython", "rlockobject", NULL, 0, 48) \
	X(LOCALDUMMY_SIZE, "libpython", "localdummyobject", NULL, 0, 32) \
	X(GA_SIZE, "libpython", "gaobject", NULL, 0, 48) \
	X(GA_ORIGIN, "libpython", "gaobject", "origin", 8, 16) \
	X(GA_ARGS, "libpython", "gaobject", "args", 8, 24) \
	X(GA_PARAMETERS, "libpython", "gaobject", "parameters", 8, 32) \
	X(LISTIT_SIZE, "libpython", "listiterobject", NULL, 0, 32) \
	X(LISTIT_IT_SEQ, "libpython", "listiterobject", "it_seq", 8, 24) \
	X(TUPLEIT_SIZE, "libpython", "tupleiterobject", NULL, 0, 32) \
	X(TUPLEIT_IT_SEQ, "libpython", "tupleiterobject", "it_seq", 8, 24) \
	X(STRIT_SIZE, "libpython", "unicodeiterobject", NULL, 0, 32) \
	X(STRIT_IT_SEQ, "libpython", "unicodeiterobject", "it_seq", 8, 24) \
	X(MVIEW_SIZE, "libpython", "PyMemoryViewObject", NULL, 0, 152) \
	X(MVIEW_MBUF, "libpython", "PyMemoryViewObject", "mbuf", 8, 24) \
	X(MBUF_SIZE, "libpython", "_PyManagedBufferObject", NULL, 0, 112) \
	X(MBUF_MASTER_OBJ, "libpython", "_PyManagedBufferObject", \
	  "master.obj", 8, 40) \
	X(CAPSULE_SIZE, "libpython", "PyCapsule", NULL, 0, 48) \
	X(STDPRINTER_SIZE, "libpython", "PyStdPrinter_Object", NULL, 0, 24) \
	X(RANGEIT_SIZE, "libpython", "rangeiterobject", NULL, 0, 48) \
	X(LRANGEIT_SIZE, "libpython", "longrangeiterobject", NULL, 0, 48) \
	X(LRANGEIT_START, "libpython", "longrangeiterobject", "start", 8, 24) \
	X(LRANGEIT_STEP, "libpython", "longrangeiterobject", "step", 8, 32) \
	X(LRANGEIT_LEN, "libpython", "longrangeiterobject", "len", 8, 40) \
	X(ENUM_SIZE, "libpython", "enumobject", NULL, 0, 48) \
	X(ENUM_EN_SIT, "libpython", "enumobject", "en_sit", 8, 24) \
	X(ENUM_EN_RESULT, "libpython", "enumobject", "en_result", 8, 32) \
	X(ENUM_EN_LONGINDEX, "libpython", "enumobject", "en_longindex", 8, 40) \
	X(ZIP_SIZE, "libpython", "zipobject", NULL, 0, 48) \
	X(ZIP_ITTUPLE, "libpython", "zipobject", "ittuple", 8, 24) \
	X(ZIP_RESULT, "libpython", "zipobject", "result", 8, 32) \
	X(MAP_SIZE, "libpython", "mapobject", NULL, 0, 32) \
	X(MAP_ITERS, "libpython", "mapobject", "iters", 8, 16) \
	X(MAP_FUNC, "libpython", "mapobject", "func", 8, 24) \
	X(FILTER_SIZE, "libpython", "filterobject", NULL, 0, 32) \
	X(FILTER_FUNC, "libpython", "filterobject", "func", 8, 16) \
	X(FILTER_IT, "libpython", "filterobject", "it", 8, 24) \
	X(REVERSED_SIZE, "libpython", "reversedobject", NULL, 0, 32) \
	X(REVERSED_SEQ, "libpython", "reversedobject", "seq", 8, 24) \
	X(DICTIT_SIZE, "libpython", "dictiterobject", NULL, 0, 56) \
	X(DICTIT_DI_DICT, "libpython", "dictiterobject", "di_dict", 8, 16) \
	X(DICTIT_DI_RESULT, "libpython", "dictiterobject", "di_result", 8, 40) \
	X(DICTVIEW_SIZE, "libpython", "_PyDictViewObject", NULL, 0, 24) \
	X(DICTVIEW_DV_DICT, "libpython", "_PyDictViewObject", \
	  "dv_dict", 8, 16) \
	X(SETIT_SIZE, "libpython", "setiterobject", NULL, 0, 48) \
	X(SETIT_SI_SET, "libpython", "setiterobject", "si_set", 8, 16) \
	X(SEQIT_SIZE, "libpython", "seqiterobject", NULL, 0, 32) \
	X(SEQIT_IT_SEQ, "libpython", "seqiterobject", "it_seq", 8, 24) \
	X(CALLIT_SIZE, "libpython", "calliterobject", NULL, 0, 32) \
	X(CALLIT_IT_CALLABLE, "libpython", "calliterobject", \
	  "it_callable", 8, 16) \
	X(CALLIT_IT_SENTINEL, "libpython", "calliterobject", \
	  "it_sentinel", 8, 24) \
	X(SUPER_SIZE, "libpython", "superobject", NULL, 0, 40) \
	X(SUPER_TYPE, "libpython", "superobject", "type", 8, 16) \
	X(SUPER_OBJ, "libpython", "superobject", "obj", 8, 24) \
	X(SUPER_OBJ_TYPE, "libpython", "superobject", "obj_type", 8, 32) \
	X(LISTREVIT_SIZE, "libpython", "listreviterobject", NULL, 0, 32) \
	X(LISTREVIT_IT_SEQ, "libpython", "listreviterobject", "it_seq", 8, 24) \
	X(BYTESIT_SIZE, "libpython", "striterobject", NULL, 0, 32) \
	X(BYTESIT_IT_SEQ, "libpython", "striterobject", "it_seq", 8, 24) \
	X(BARRAYIT_SIZE, "libpython", "bytesiterobject", NULL, 0, 32) \
	X(BARRAYIT_IT_SEQ, "libpython", "bytesiterobject", "it_seq", 8, 24) \
	X(ODICTIT_SIZE, "libpython", "odictiterobject", NULL, 0, 64) \
	X(ODICTIT_DI_ODICT, "libpython", "odictiterobject", "di_odict", 8, 24) \
	X(ODICTIT_DI_CURRENT, "libpython", "odictiterobject", \
	  "di_current", 8, 48) \
	X(ODICTIT_DI_RESULT, "libpython", "odictiterobject", \
	  "di_result", 8, 56) \
	X(FUT_SIZE, "_asyncio", "FutureObj", NULL, 0, 152) \
	X(FUT_FUT_LOOP, "_asyncio", "FutureObj", "fut_loop", 8, 16) \
	X(FUT_FUT_CALLBACK0, "_asyncio", "FutureObj", "fut_callback0", 8, 24) \
	X(FUT_FUT_CONTEXT0, "_asyncio", "FutureObj", "fut_context0", 8, 32) \
	X(FUT_FUT_CALLBACKS, "_asyncio", "FutureObj", "fut_callbacks", 8, 40) \
	X(FUT_FUT_RESULT, "_asyncio", "FutureObj", "fut_result", 8, 64) \
	X(FUT_FUT_EXCEPTION, "_asyncio", "FutureObj", "fut_exception", 8, 48) \
	X(FUT_FUT_EXCEPTION_TB, "_asyncio", "FutureObj", \
	  "fut_exception_tb", 8, 56) \
	X(FUT_FUT_SOURCE_TB, "_asyncio", "FutureObj", "fut_source_tb", 8, 72) \
	X(FUT_FUT_CANCEL_MSG, "_asyncio", "FutureObj", \
	  "fut_cancel_msg", 8, 80) \
	X(FUT_FUT_CANCELLED_EXC_STATE_EXC_TYPE, "_asyncio", "FutureObj", \
	  "fut_cancelled_exc_state.exc_type", 8, 120) \
	X(FUT_FUT_CANCELLED_EXC_STATE_EXC_VALUE, "_asyncio", "FutureObj", \
	  "fut_cancelled_exc_state.exc_value", 8, 128) \
	X(FUT_FUT_CANCELLED_EXC_STATE_EXC_TRACEBACK, \
	  "_asyncio", "FutureObj", \
	  "fut_cancelled_exc_state.exc_traceback", 8, 136) \
	X(TASK_SIZE, "_asyncio", "TaskObj", NULL, 0, 192) \
	X(TASK_TASK_CONTEXT, "_asyncio", "TaskObj", "task_context", 8, 176) \
	X(TASK_TASK_CORO, "_asyncio", "TaskObj", "task_coro", 8, 160) \
	X(TASK_TASK_NAME, "_asyncio", "TaskObj", "task_name", 8, 168) \
	X(TASK_TASK_FUT_WAITER, "_asyncio", "TaskObj", \
	  "task_fut_waiter", 8, 152) \
	X(TASK_TASK_LOOP, "_asyncio", "TaskObj", "task_loop", 8, 16) \
	X(TASK_TASK_CALLBACK0, "_asyncio", "TaskObj", "task_callback0", 8, 24) \
	X(TASK_TASK_CONTEXT0, "_asyncio", "TaskObj", "task_context0", 8, 32) \
	X(TASK_TASK_CALLBACKS, "_asyncio", "TaskObj", "task_callbacks", 8, 40) \
	X(TASK_TASK_RESULT, "_asyncio", "TaskObj", "task_result", 8, 64) \
	X(TASK_TASK_EXCEPTION, "_asyncio", "TaskObj", "task_exception", 8, 48) \
	X(TASK_TASK_EXCEPTION_TB, "_asyncio", "TaskObj", \
	  "task_exception_tb", 8, 56) \
	X(TASK_TASK_SOURCE_TB, "_asyncio", "TaskObj", "task_source_tb", 8, 72) \
	X(TASK_TASK_CANCEL_MSG, "_asyncio", "TaskObj", \
	  "task_cancel_msg", 8, 80) \
	X(TASK_TASK_CANCELLED_EXC_STATE_EXC_TYPE, "_asyncio", "TaskObj", \
	  "task_cancelled_exc_state.exc_type", 8, 120) \
	X(TASK_TASK_CANCELLED_EXC_STATE_EXC_VALUE, "_asyncio", "TaskObj", \
	  "task_cancelled_exc_state.exc_value", 8, 128) \
	X(TASK_TASK_CANCELLED_EXC_STATE_EXC_TRACEBACK, \
	  "_asyncio", "TaskObj", \
	  "task_cancelled_exc_state.exc_traceback", 8, 136) \
	X(FUTIT_SIZE, "_asyncio", "futureiterobject", NULL, 0, 24) \
	X(FUTIT_FUTURE, "_asyncio", "futureiterobject", "future", 8, 16) \
	X(STEPW_SIZE, "_asyncio", "TaskStepMethWrapper", NULL, 0, 32) \
	X(STEPW_SW_TASK, "_asyncio", "TaskStepMethWrapper", "sw_task", 8, 16) \
	X(STEPW_SW_ARG, "_asyncio", "TaskStepMethWrapper", "sw_arg", 8, 24) \
	X(RLHOLDER_SIZE, "_asyncio", "PyRunningLoopHolder", NULL, 0, 32) \
	X(RLHOLDER_RL_LOOP, "_asyncio", "PyRunningLoopHolder", \
	  "rl_loop", 8, 16) \
	X(ELEM_SIZE, "_elementtree", "ElementObject", NULL, 0, 56) \
	X(ELEM_TAG, "_elementtree", "ElementObject", "tag", 8, 16) \
	X(ELEM_TEXT, "_elementtree", "ElementObject", "text", 8, 24) \
	X(ELEM_TAIL, "_elementtree", "ElementObject", "tail", 8, 32) \
	X(ELEM_EXTRA, "_elementtree", "ElementObject", "extra", 8, 40) \
	X(ELEMX_SIZE, "_elementtree", "ElementObjectExtra", NULL, 0, 64) \
	X(ELEMX_ATTRIB, "_elementtree", "ElementObjectExtra", "attrib", 8, 0) \
	X(ELEMX_LENGTH, "_elementtree", "ElementObjectExtra", "length", 8, 8) \
	X(ELEMX_ALLOCATED, "_elementtree", "ElementObjectExtra", \
	  "allocated", 8, 16) \
	X(ELEMX_CHILDREN, "_elementtree", "ElementObjectExtra", \
	  "children", 8, 24) \
	X(ELEMX_INLINE, "_elementtree", "ElementObjectExtra", \
	  "_children", 32, 32) \
	X(TREEB_SIZE, "_elementtree", "TreeBuilderObject", NULL, 0, 160) \
	X(TREEB_PI_EVENT_OBJ, "_elementtree", "TreeBuilderObject", \
	  "pi_event_obj", 8, 144) \
	X(TREEB_COMMENT_EVENT_OBJ, "_elementtree", "TreeBuilderObject", \
	  "comment_event_obj", 8, 136) \
	X(TREEB_END_NS_EVENT_OBJ, "_elementtree", "TreeBuilderObject", \
	  "end_ns_event_obj", 8, 128) \
	X(TREEB_START_NS_EVENT_OBJ, "_elementtree", "TreeBuilderObject", \
	  "start_ns_event_obj", 8, 120) \
	X(TREEB_END_EVENT_OBJ, "_elementtree", "TreeBuilderObject", \
	  "end_event_obj", 8, 112) \
	X(TREEB_START_EVENT_OBJ, "_elementtree", "TreeBuilderObject", \
	  "start_event_obj", 8, 104) \
	X(TREEB_EVENTS_APPEND, "_elementtree", "TreeBuilderObject", \
	  "events_append", 8, 96) \
	X(TREEB_ROOT, "_elementtree", "TreeBuilderObject", "root", 8, 16) \
	X(TREEB_THIS, "_elementtree", "TreeBuilderObject", "this", 8, 24) \
	X(TREEB_LAST, "_elementtree", "TreeBuilderObject", "last", 8, 32) \
	X(TREEB_LAST_FOR_TAIL, "_elementtree", "TreeBuilderObject", \
	  "last_for_tail", 8, 40) \
	X(TREEB_DATA, "_elementtree", "TreeBuilderObject", "data", 8, 48) \
	X(TREEB_STACK, "_elementtree", "TreeBuilderObject", "stack", 8, 56) \
	X(TREEB_PI_FACTORY, "_elementtree", "TreeBuilderObject", \
	  "pi_factory", 8, 88) \
	X(TREEB_COMMENT_FACTORY, "_elementtree", "TreeBuilderObject", \
	  "comment_factory", 8, 80) \
	X(TREEB_ELEMENT_FACTORY, "_elementtree", "TreeBuilderObject", \
	  "element_factory", 8, 72) \
	X(XMLP_SIZE, "_elementtree", "XMLParserObject", NULL, 0, 120) \
	X(XMLP_HANDLE_CLOSE, "_elementtree", "XMLParserObject", \
	  "handle_close", 8, 112) \
	X(XMLP_HANDLE_PI, "_elementtree", "XMLParserObject", \
	  "handle_pi", 8, 96) \
	X(XMLP_HANDLE_COMMENT, "_elementtree", "XMLParserObject", \
	  "handle_comment", 8, 88) \
	X(XMLP_HANDLE_END, "_elementtree", "XMLParserObject", \
	  "handle_end", 8, 80) \
	X(XMLP_HANDLE_DATA, "_elementtree", "XMLParserObject", \
	  "handle_data", 8, 72) \
	X(XMLP_HANDLE_START, "_elementtree", "XMLParserObject", \
	  "handle_start", 8, 64) \
	X(XMLP_HANDLE_START_NS, "_elementtree", "XMLParserObject", \
	  "handle_start_ns", 8, 48) \
	X(XMLP_HANDLE_END_NS, "_elementtree", "XMLParserObject", \
	  "handle_end_ns", 8, 56) \
	X(XMLP_HANDLE_DOCTYPE, "_elementtree", "XMLParserObject", \
	  "handle_doctype", 8, 104) \
	X(XMLP_TARGET, "_elementtree", "XMLParserObject", "target", 8, 24) \
	X(XMLP_ENTITY, "_elementtree", "XMLParserObject", "entity", 8, 32) \
	X(XMLP_NAMES, "_elementtree", "XMLParserObject", "names", 8, 40) \
	X(ELEMIT_SIZE, "_elementtree", "ElementIterObject", NULL, 0, 64) \
	X(ELEMIT_PARENT_STACK, "_elementtree", "ElementIterObject", \
	  "parent_stack", 8, 16) \
	X(ELEMIT_PARENT_STACK_USED, "_elementtree", "ElementIterObject", \
	  "parent_stack_used", 8, 24) \
	X(ELEMIT_ROOT_ELEMENT, "_elementtree", "ElementIterObject", \
	  "root_element", 8, 40) \
	X(ELEMIT_SOUGHT_TAG, "_elementtree", "ElementIterObject", \
	  "sought_tag", 8, 48) \
	X(PARENTLOC_SIZE, "_elementtree", "ParentLocator", NULL, 0, 16) \
	X(PARENTLOC_PARENT, "_elementtree", "ParentLocator", "parent", 8, 0) \
	X(ARRAY_SIZE, "array", "arrayobject", NULL, 0, 64) \
	X(ARRAY_ALLOCATED, "array", "arrayobject", "allocated", 8, 32) \
	X(ARRAY_OB_DESCR, "array", "arrayobject", "ob_descr", 8, 40) \
	X(ARRDESCR_SIZE, "array", "arraydescr", NULL, 0, 48) \
	X(ARRDESCR_ITEMSIZE, "array", "arraydescr", "itemsize", 4, 4) \
	X(ARRAYIT_SIZE, "array", "arrayiterobject", NULL, 0, 40) \
	X(ARRAYIT_AO, "array", "arrayiterobject", "ao", 8, 24) \
	X(STRUCT_SIZE, "_struct", "PyStructObject", NULL, 0, 56) \
	X(STRUCT_S_CODES, "_struct", "PyStructObject", "s_codes", 8, 32) \
	X(STRUCT_S_FORMAT, "_struct", "PyStructObject", "s_format", 8, 40) \
	X(FMTCODE_SIZE, "_struct", "formatcode", NULL, 0, 32) \
	X(FMTCODE_FMTDEF, "_struct", "formatcode", "fmtdef", 8, 0) \
	X(UNPACKIT_SIZE, "_struct", "unpackiterobject", NULL, 0, 112) \
	X(UNPACKIT_SO, "_struct", "unpackiterobject", "so", 8, 16) \
	X(UNPACKIT_BUF_OBJ, "_struct", "unpackiterobject", "buf.obj", 8, 32) \
	X(SQLCONN_SIZE, "_sqlite3", "pysqlite_Connection", NULL, 0, 240) \
	X(SQLCONN_ISOLATION_LEVEL, "_sqlite3", "pysqlite_Connection", \
	  "isolation_level", 8, 48) \
	X(SQLCONN_STATEMENT_CACHE, "_sqlite3", "pysqlite_Connection", \
	  "statement_cache", 8, 80) \
	X(SQLCONN_STATEMENTS, "_sqlite3", "pysqlite_Connection", \
	  "statements", 8, 88) \
	X(SQLCONN_CURSORS, "_sqlite3", "pysqlite_Connection", \
	  "cursors", 8, 96) \
	X(SQLCONN_ROW_FACTORY, "_sqlite3", "pysqlite_Connection", \
	  "row_factory", 8, 112) \
	X(SQLCONN_TEXT_FACTORY, "_sqlite3", "pysqlite_Connection", \
	  "text_factory", 8, 120) \
	X(SQLCONN_FUNCTION_PINBOARD_TRACE_CALLBACK, \
	  "_sqlite3", "pysqlite_Connection", \
	  "function_pinboard_trace_callback", 8, 128) \
	X(SQLCONN_FUNCTION_PINBOARD_PROGRESS_HANDLER, \
	  "_sqlite3", "pysqlite_Connection", \
	  "function_pinboard_progress_handler", 8, 136) \
	X(SQLCONN_FUNCTION_PINBOARD_AUTHORIZER_CB, \
	  "_sqlite3", "pysqlite_Connection", \
	  "function_pinboard_authorizer_cb", 8, 144) \
	X(SQLCONN_COLLATIONS, "_sqlite3", "pysqlite_Connection", \
	  "collations", 8, 152) \
	X(SQLCUR_SIZE, "_sqlite3", "pysqlite_Cursor", NULL, 0, 112) \
	X(SQLCUR_CONNECTION, "_sqlite3", "pysqlite_Cursor", \
	  "connection", 8, 16) \
	X(SQLCUR_DESCRIPTION, "_sqlite3", "pysqlite_Cursor", \
	  "description", 8, 24) \
	X(SQLCUR_ROW_CAST_MAP, "_sqlite3", "pysqlite_Cursor", \
	  "row_cast_map", 8, 32) \
	X(SQLCUR_LASTROWID, "_sqlite3", "pysqlite_Cursor", "lastrowid", 8, 48) \
	X(SQLCUR_ROW_FACTORY, "_sqlite3", "pysqlite_Cursor", \
	  "row_factory", 8, 64) \
	X(SQLCUR_STATEMENT, "_sqlite3", "pysqlite_Cursor", "statement", 8, 72) \
	X(SQLCUR_NEXT_ROW, "_sqlite3", "pysqlite_Cursor", "next_row", 8, 96) \
	X(SQLCACHE_SIZE, "_sqlite3", "pysqlite_Cache", NULL, 0, 64) \
	X(SQLCACHE_MAPPING, "_sqlite3", "pysqlite_Cache", "mapping", 8, 24) \
	X(SQLCACHE_FACTORY, "_sqlite3", "pysqlite_Cache", "factory", 8, 32) \
	X(SQLCACHE_FIRST, "_sqlite3", "pysqlite_Cache", "first", 8, 40) \
	X(SQLCACHE_DECREF_FACTORY, "_sqlite3", "pysqlite_Cache", \
	  "decref_factory", 4, 56) \
	X(SQLNODE_SIZE, "_sqlite3", "pysqlite_Node", NULL, 0, 56) \
	X(SQLNODE_KEY, "_sqlite3", "pysqlite_Node", "key", 8, 16) \
	X(SQLNODE_DATA, "_sqlite3", "pysqlite_Node", "data", 8, 24) \
	X(SQLNODE_NEXT, "_sqlite3", "pysqlite_Node", "next", 8, 48) \
	X(SQLSTMT_SIZE, "_sqlite3", "pysqlite_Statement", NULL, 0, 56) \
	X(SQLSTMT_SQL, "_sqlite3", "pysqlite_Statement", "sql", 8, 32) \
	X(SQLROW_SIZE, "_sqlite3", "pysqlite_Row", NULL, 0, 32) \
	X(SQLROW_DATA, "_sqlite3", "pysqlite_Row", "data", 8, 16) \
	X(SQLROW_DESCRIPTION, "_sqlite3", "pysqlite_Row", \
	  "description", 8, 24) \
	X(DIALECT_SIZE, "_csv", "DialectObj", NULL, 0, 48) \
	X(DIALECT_LINETERMINATOR, "_csv", "DialectObj", \
	  "lineterminator", 8, 40) \
	X(JSCAN_SIZE, "_json", "PyScannerObject", NULL, 0, 72) \
	X(JSCAN_OBJECT_HOOK, "_json", "PyScannerObject", "object_hook", 8, 24) \
	X(JSCAN_OBJECT_PAIRS_HOOK, "_json", "PyScannerObject", \
	  "object_pairs_hook", 8, 32) \
	X(JSCAN_PARSE_FLOAT, "_json", "PyScannerObject", "parse_float", 8, 40) \
	X(JSCAN_PARSE_INT, "_json", "PyScannerObject", "parse_int", 8, 48) \
	X(JSCAN_PARSE_CONSTANT, "_json", "PyScannerObject", \
	  "parse_constant", 8, 56) \
	X(JSCAN_MEMO, "_json", "PyScannerObject", "memo", 8, 64) \
	X(SQUEUE_SIZE, "_queue", "simplequeueobject", NULL, 0, 56) \
	X(SQUEUE_LST, "_queue", "simplequeueobject", "lst", 8, 32) \
	X(DEC_SIZE, "_decimal", "PyDecObject", NULL, 0, 104) \
	X(DEC_DEC_FLAGS, "_decimal", "PyDecObject", "dec.flags", 1, 24) \
	X(DEC_DEC_ALLOC, "_decimal", "PyDecObject", "dec.alloc", 8, 56) \
	X(DECCTX_SIZE, "_decimal", "PyDecContextObject", NULL, 0, 96) \
	X(DECCTX_TRAPS, "_decimal", "PyDecContextObject", "traps", 8, 64) \
	X(DECCTX_FLAGS, "_decimal", "PyDecContextObject", "flags", 8, 72) \
	X(SIGDICT_SIZE, "_decimal", "PyDecSignalDictObject", NULL, 0, 24) \
	X(DATE_SIZE, "_datetime", "PyDateTime_Date", NULL, 0, 32) \
	X(DATETIME_SIZE, "_datetime", "PyDateTime_DateTime", NULL, 0, 48) \
	X(DATETIME_HASTZINFO, "_datetime", "PyDateTime_DateTime", \
	  "hastzinfo", 1, 24) \
	X(DATETIME_TZINFO, "_datetime", "PyDateTime_DateTime", \
	  "tzinfo", 8, 40) \
	X(TIME_SIZE, "_datetime", "PyDateTime_Time", NULL, 0, 40) \
	X(TIME_HASTZINFO, "_datetime", "PyDateTime_Time", "hastzinfo", 1, 24) \
	X(TIME_TZINFO, "_datetime", "PyDateTime_Time", "tzinfo", 8, 32) \
	X(DELTA_SIZE, "_datetime", "PyDateTime_Delta", NULL, 0, 40) \
	X(TZ_SIZE, "_datetime", "PyDateTime_TimeZone", NULL, 0, 32) \
	X(TZ_OFFSET, "_datetime", "PyDateTime_TimeZone", "offset", 8, 16) \
	X(TZ_NAME, "_datetime", "PyDateTime_TimeZone", "name", 8, 24) \

/* The module states that m_traverse visits (md_state, PyMem_Malloc'ed
 * m_size bytes), member by member in the order it visits them. */
#define PHI_CT_STATE_FIELDS(X) \
	X(MS_ABC_SIZE, "libpython", "_abcmodule_state", NULL, 0, 16) \
	X(MS_ABC__ABC_DATA_TYPE, "libpython", "_abcmodule_state", \
	  "_abc_data_type", 8, 0) \
	X(MS_BLAKE2_SIZE, "_blake2", "Blake2State", NULL, 0, 16) \
	X(MS_BLAKE2_BLAKE2B_TYPE, "_blake2", "Blake2State", \
	  "blake2b_type", 8, 0) \
	X(MS_BLAKE2_BLAKE2S_TYPE, "_blake2", "Blake2State", \
	  "blake2s_type", 8, 8) \
	X(MS_BZ2_SIZE, "_bz2", "_bz2_state", NULL, 0, 16) \
	X(MS_BZ2_BZ2_COMPRESSOR_TYPE, "_bz2", "_bz2_state", \
	  "bz2_compressor_type", 8, 0) \
	X(MS_BZ2_BZ2_DECOMPRESSOR_TYPE, "_bz2", "_bz2_state", \
	  "bz2_decompressor_type", 8, 8) \
	X(MS_CSV_SIZE, "_csv", "_csvstate", NULL, 0, 48) \
	X(MS_CSV_ERROR_OBJ, "_csv", "_csvstate", "error_obj", 8, 0) \
	X(MS_CSV_DIALECTS, "_csv", "_csvstate", "dialects", 8, 8) \
	X(MS_CSV_DIALECT_TYPE, "_csv", "_csvstate", "dialect_type", 8, 16) \
	X(MS_CSV_READER_TYPE, "_csv", "_csvstate", "reader_type", 8, 24) \
	X(MS_CSV_WRITER_TYPE, "_csv", "_csvstate", "writer_type", 8, 32) \
	X(MS_ELEMENTTREE_SIZE, "_elementtree", "elementtreestate", \
	  NULL, 0, 40) \
	X(MS_ELEMENTTREE_PARSEERROR_OBJ, "_elementtree", "elementtreestate", \
	  "parseerror_obj", 8, 0) \
	X(MS_ELEMENTTREE_DEEPCOPY_OBJ, "_elementtree", "elementtreestate", \
	  "deepcopy_obj", 8, 8) \
	X(MS_ELEMENTTREE_ELEMENTPATH_OBJ, \
	  "_elementtree", "elementtreestate", \
	  "elementpath_obj", 8, 16) \
	X(MS_ELEMENTTREE_COMMENT_FACTORY, \
	  "_elementtree", "elementtreestate", \
	  "comment_factory", 8, 24) \
	X(MS_ELEMENTTREE_PI_FACTORY, "_elementtree", "elementtreestate", \
	  "pi_factory", 8, 32) \
	X(MS_FUNCTOOLS_SIZE, "libpython", "_functools_state", NULL, 0, 32) \
	X(MS_FUNCTOOLS_KWD_MARK, "libpython", "_functools_state", \
	  "kwd_mark", 8, 0) \
	X(MS_FUNCTOOLS_PARTIAL_TYPE, "libpython", "_functools_state", \
	  "partial_type", 8, 8) \
	X(MS_FUNCTOOLS_KEYOBJECT_TYPE, "libpython", "_functools_state", \
	  "keyobject_type", 8, 16) \
	X(MS_FUNCTOOLS_LRU_LIST_ELEM_TYPE, "libpython", "_functools_state", \
	  "lru_list_elem_type", 8, 24) \
	X(MS_HASHLIB_SIZE, "_hashlib", "_hashlibstate", NULL, 0, 48) \
	X(MS_HASHLIB_EVPTYPE, "_hashlib", "_hashlibstate", "EVPtype", 8, 0) \
	X(MS_HASHLIB_HMACTYPE, "_hashlib", "_hashlibstate", "HMACtype", 8, 8) \
	X(MS_HASHLIB_EVPXOFTYPE, "_hashlib", "_hashlibstate", \
	  "EVPXOFtype", 8, 16) \
	X(MS_HASHLIB_CONSTRUCTS, "_hashlib", "_hashlibstate", \
	  "constructs", 8, 24) \
	X(MS_HASHLIB_UNSUPPORTED_DIGESTMOD_ERROR, \
	  "_hashlib", "_hashlibstate", \
	  "unsupported_digestmod_error", 8, 32) \
	X(MS_IO_SIZE, "libpython", "_PyIO_State", NULL, 0, 24) \
	X(MS_IO_INITIALIZED, "libpython", "_PyIO_State", "initialized", 4, 0) \
	X(MS_IO_LOCALE_MODULE, "libpython", "_PyIO_State", \
	  "locale_module", 8, 8) \
	X(MS_IO_UNSUPPORTED_OPERATION, "libpython", "_PyIO_State", \
	  "unsupported_operation", 8, 16) \
	X(MS_JSON_SIZE, "_json", "_jsonmodulestate", NULL, 0, 16) \
	X(MS_JSON_PYSCANNERTYPE, "_json", "_jsonmodulestate", \
	  "PyScannerType", 8, 0) \
	X(MS_JSON_PYENCODERTYPE, "_json", "_jsonmodulestate", \
	  "PyEncoderType", 8, 8) \
	X(MS_LOCALE_SIZE, "libpython", "_locale_state", NULL, 0, 8) \
	X(MS_LOCALE_ERROR, "libpython", "_locale_state", "Error", 8, 0) \
	X(MS_LSPROF_SIZE, "_lsprof", "_lsprof_state", NULL, 0, 24) \
	X(MS_LSPROF_PROFILER_TYPE, "_lsprof", "_lsprof_state", \
	  "profiler_type", 8, 0) \
	X(MS_LSPROF_STATS_ENTRY_TYPE, "_lsprof", "_lsprof_state", \
	  "stats_entry_type", 8, 8) \
	X(MS_LSPROF_STATS_SUBENTRY_TYPE, "_lsprof", "_lsprof_state", \
	  "stats_subentry_type", 8, 16) \
	X(MS_LZMA_SIZE, "_lzma", "_lzma_state", NULL, 0, 32) \
	X(MS_LZMA_LZMA_COMPRESSOR_TYPE, "_lzma", "_lzma_state", \
	  "lzma_compressor_type", 8, 0) \
	X(MS_LZMA_LZMA_DECOMPRESSOR_TYPE, "_lzma", "_lzma_state", \
	  "lzma_decompressor_type", 8, 8) \
	X(MS_LZMA_ERROR, "_lzma", "_lzma_state", "error", 8, 16) \
	X(MS_LZMA_EMPTY_TUPLE, "_lzma", "_lzma_state", "empty_tuple", 8, 24) \
	X(MS_MD5_SIZE, "_md5", "MD5State", NULL, 0, 8) \
	X(MS_MD5_MD5_TYPE, "_md5", "MD5State", "md5_type", 8, 0) \
	X(MS_MULTIBYTECODEC_SIZE, \
	  "_multibytecodec", "_multibytecodec_state", \
	  NULL, 0, 40) \
	X(MS_MULTIBYTECODEC_ENCODER_TYPE, \
	  "_multibytecodec", "_multibytecodec_state", \
	  "encoder_type", 8, 0) \
	X(MS_MULTIBYTECODEC_DECODER_TYPE, \
	  "_multibytecodec", "_multibytecodec_state", \
	  "decoder_type", 8, 8) \
	X(MS_MULTIBYTECODEC_READER_TYPE, \
	  "_multibytecodec", "_multibytecodec_state", \
	  "reader_type", 8, 16) \
	X(MS_MULTIBYTECODEC_WRITER_TYPE, \
	  "_multibytecodec", "_multibytecodec_state", \
	  "writer_type", 8, 24) \
	X(MS_MULTIBYTECODEC_MULTIBYTECODEC_TYPE, \
	  "_multibytecodec", "_multibytecodec_state", \
	  "multibytecodec_type", 8, 32) \
	X(MS_OPERATOR_SIZE, "libpython", "_operator_state", NULL, 0, 24) \
	X(MS_OPERATOR_ATTRGETTER_TYPE, "libpython", "_operator_state", \
	  "attrgetter_type", 8, 8) \
	X(MS_OPERATOR_ITEMGETTER_TYPE, "libpython", "_operator_state", \
	  "itemgetter_type", 8, 0) \
	X(MS_OPERATOR_METHODCALLER_TYPE, "libpython", "_operator_state", \
	  "methodcaller_type", 8, 16) \
	X(MS_PICKLE_SIZE, "_pickle", "PickleState", NULL, 0, 112) \
	X(MS_PICKLE_PICKLEERROR, "_pickle", "PickleState", \
	  "PickleError", 8, 0) \
	X(MS_PICKLE_PICKLINGERROR, "_pickle", "PickleState", \
	  "PicklingError", 8, 8) \
	X(MS_PICKLE_UNPICKLINGERROR, "_pickle", "PickleState", \
	  "UnpicklingError", 8, 16) \
	X(MS_PICKLE_DISPATCH_TABLE, "_pickle", "PickleState", \
	  "dispatch_table", 8, 24) \
	X(MS_PICKLE_EXTENSION_REGISTRY, "_pickle", "PickleState", \
	  "extension_registry", 8, 32) \
	X(MS_PICKLE_EXTENSION_CACHE, "_pickle", "PickleState", \
	  "extension_cache", 8, 40) \
	X(MS_PICKLE_INVERTED_REGISTRY, "_pickle", "PickleState", \
	  "inverted_registry", 8, 48) \
	X(MS_PICKLE_NAME_MAPPING_2TO3, "_pickle", "PickleState", \
	  "name_mapping_2to3", 8, 56) \
	X(MS_PICKLE_IMPORT_MAPPING_2TO3, "_pickle", "PickleState", \
	  "import_mapping_2to3", 8, 64) \
	X(MS_PICKLE_NAME_MAPPING_3TO2, "_pickle", "PickleState", \
	  "name_mapping_3to2", 8, 72) \
	X(MS_PICKLE_IMPORT_MAPPING_3TO2, "_pickle", "PickleState", \
	  "import_mapping_3to2", 8, 80) \
	X(MS_PICKLE_CODECS_ENCODE, "_pickle", "PickleState", \
	  "codecs_encode", 8, 88) \
	X(MS_PICKLE_GETATTR, "_pickle", "PickleState", "getattr", 8, 96) \
	X(MS_PICKLE_PARTIAL, "_pickle", "PickleState", "partial", 8, 104) \
	X(MS_QUEUE_SIZE, "_queue", "simplequeue_state", NULL, 0, 16) \
	X(MS_QUEUE_SIMPLEQUEUETYPE, "_queue", "simplequeue_state", \
	  "SimpleQueueType", 8, 0) \
	X(MS_QUEUE_EMPTYERROR, "_queue", "simplequeue_state", \
	  "EmptyError", 8, 8) \
	X(MS_RANDOM_SIZE, "_random", "_randomstate", NULL, 0, 16) \
	X(MS_RANDOM_RANDOM_TYPE, "_random", "_randomstate", \
	  "Random_Type", 8, 0) \
	X(MS_SHA1_SIZE, "_sha1", "SHA1State", NULL, 0, 8) \
	X(MS_SHA1_SHA1_TYPE, "_sha1", "SHA1State", "sha1_type", 8, 0) \
	X(MS_SHA256_SIZE, "_sha256", "_sha256_state", NULL, 0, 16) \
	X(MS_SHA256_SHA224_TYPE, "_sha256", "_sha256_state", \
	  "sha224_type", 8, 0) \
	X(MS_SHA256_SHA256_TYPE, "_sha256", "_sha256_state", \
	  "sha256_type", 8, 8) \
	X(MS_SHA3_SIZE, "_sha3", "SHA3State", NULL, 0, 48) \
	X(MS_SHA3_SHA3_224_TYPE, "_sha3", "SHA3State", "sha3_224_type", 8, 0) \
	X(MS_SHA3_SHA3_256_TYPE, "_sha3", "SHA3State", "sha3_256_type", 8, 8) \
	X(MS_SHA3_SHA3_384_TYPE, "_sha3", "SHA3State", "sha3_384_type", 8, 16) \
	X(MS_SHA3_SHA3_512_TYPE, "_sha3", "SHA3State", "sha3_512_type", 8, 24) \
	X(MS_SHA3_SHAKE_128_TYPE, "_sha3", "SHA3State", \
	  "shake_128_type", 8, 32) \
	X(MS_SHA3_SHAKE_256_TYPE, "_sha3", "SHA3State", \
	  "shake_256_type", 8, 40) \
	X(MS_SHA512_SIZE, "_sha512", "SHA512State", NULL, 0, 16) \
	X(MS_SHA512_SHA384_TYPE, "_sha512", "SHA512State", \
	  "sha384_type", 8, 0) \
	X(MS_SHA512_SHA512_TYPE, "_sha512", "SHA512State", \
	  "sha512_type", 8, 8) \
	X(MS_SIGNAL_SIZE, "libpython", "_signal_module_state", NULL, 0, 24) \
	X(MS_SIGNAL_ITIMER_ERROR, "libpython", "_signal_module_state", \
	  "itimer_error", 8, 16) \
	X(MS_SRE_SIZE, "libpython", "_sremodulestate", NULL, 0, 24) \
	X(MS_SRE_PATTERN_TYPE, "libpython", "_sremodulestate", \
	  "Pattern_Type", 8, 0) \
	X(MS_SRE_MATCH_TYPE, "libpython", "_sremodulestate", \
	  "Match_Type", 8, 8) \
	X(MS_SRE_SCANNER_TYPE, "libpython", "_sremodulestate", \
	  "Scanner_Type", 8, 16) \
	X(MS_SSL_SIZE, "_ssl", "_sslmodulestate", NULL, 0, 128) \
	X(MS_SSL_PYSSLCONTEXT_TYPE, "_ssl", "_sslmodulestate", \
	  "PySSLContext_Type", 8, 0) \
	X(MS_SSL_PYSSLSOCKET_TYPE, "_ssl", "_sslmodulestate", \
	  "PySSLSocket_Type", 8, 8) \
	X(MS_SSL_PYSSLMEMORYBIO_TYPE, "_ssl", "_sslmodulestate", \
	  "PySSLMemoryBIO_Type", 8, 16) \
	X(MS_SSL_PYSSLSESSION_TYPE, "_ssl", "_sslmodulestate", \
	  "PySSLSession_Type", 8, 24) \
	X(MS_SSL_PYSSLCERTIFICATE_TYPE, "_ssl", "_sslmodulestate", \
	  "PySSLCertificate_Type", 8, 32) \
	X(MS_SSL_PYSSLERROROBJECT, "_ssl", "_sslmodulestate", \
	  "PySSLErrorObject", 8, 40) \
	X(MS_SSL_PYSSLCERTVERIFICATIONERROROBJECT, \
	  "_ssl", "_sslmodulestate", \
	  "PySSLCertVerificationErrorObject", 8, 48) \
	X(MS_SSL_PYSSLZERORETURNERROROBJECT, "_ssl", "_sslmodulestate", \
	  "PySSLZeroReturnErrorObject", 8, 56) \
	X(MS_SSL_PYSSLWANTREADERROROBJECT, "_ssl", "_sslmodulestate", \
	  "PySSLWantReadErrorObject", 8, 64) \
	X(MS_SSL_PYSSLWANTWRITEERROROBJECT, "_ssl", "_sslmodulestate", \
	  "PySSLWantWriteErrorObject", 8, 72) \
	X(MS_SSL_PYSSLSYSCALLERROROBJECT, "_ssl", "_sslmodulestate", \
	  "PySSLSyscallErrorObject", 8, 80) \
	X(MS_SSL_PYSSLEOFERROROBJECT, "_ssl", "_sslmodulestate", \
	  "PySSLEOFErrorObject", 8, 88) \
	X(MS_SSL_ERR_CODES_TO_NAMES, "_ssl", "_sslmodulestate", \
	  "err_codes_to_names", 8, 96) \
	X(MS_SSL_ERR_NAMES_TO_CODES, "_ssl", "_sslmodulestate", \
	  "err_names_to_codes", 8, 104) \
	X(MS_SSL_LIB_CODES_TO_NAMES, "_ssl", "_sslmodulestate", \
	  "lib_codes_to_names", 8, 112) \
	X(MS_SSL_SOCK_TYPE, "_ssl", "_sslmodulestate", "Sock_Type", 8, 120) \
	X(MS_STRUCT_SIZE, "_struct", "_structmodulestate", NULL, 0, 32) \
	X(MS_STRUCT_CACHE, "_struct", "_structmodulestate", "cache", 8, 0) \
	X(MS_STRUCT_PYSTRUCTTYPE, "_struct", "_structmodulestate", \
	  "PyStructType", 8, 8) \
	X(MS_STRUCT_UNPACKITER_TYPE, "_struct", "_structmodulestate", \
	  "unpackiter_type", 8, 16) \
	X(MS_STRUCT_STRUCTERROR, "_struct", "_structmodulestate", \
	  "StructError", 8, 24) \
	X(MS_THREAD_SIZE, "libpython", "thread_module_state", NULL, 0, 24) \
	X(MS_THREAD_LOCK_TYPE, "libpython", "thread_module_state", \
	  "lock_type", 8, 0) \
	X(MS_THREAD_LOCAL_TYPE, "libpython", "thread_module_state", \
	  "local_type", 8, 8) \
	X(MS_THREAD_LOCAL_DUMMY_TYPE, "libpython", "thread_module_state", \
	  "local_dummy_type", 8, 16) \
	X(MS_ARRAY_SIZE, "array", "array_state", NULL, 0, 16) \
	X(MS_ARRAY_ARRAYTYPE, "array", "array_state", "ArrayType", 8, 0) \
	X(MS_ARRAY_ARRAYITERTYPE, "array", "array_state", \
	  "ArrayIterType", 8, 8) \
	X(MS_AUDIOOP_SIZE, "audioop", "audioop_state", NULL, 0, 8) \
	X(MS_AUDIOOP_AUDIOOPERROR, "audioop", "audioop_state", \
	  "AudioopError", 8, 0) \
	X(MS_BINASCII_SIZE, "binascii", "binascii_state", NULL, 0, 16) \
	X(MS_BINASCII_ERROR, "binascii", "binascii_state", "Error", 8, 0) \
	X(MS_BINASCII_INCOMPLETE, "binascii", "binascii_state", \
	  "Incomplete", 8, 8) \
	X(MS_GRP_SIZE, "grp", "grpmodulestate", NULL, 0, 8) \
	X(MS_GRP_STRUCTGRPTYPE, "grp", "grpmodulestate", \
	  "StructGrpType", 8, 0) \
	X(MS_MMAP_SIZE, "mmap", "mmap_state", NULL, 0, 8) \
	X(MS_MMAP_MMAP_OBJECT_TYPE, "mmap", "mmap_state", \
	  "mmap_object_type", 8, 0) \
	X(MS_POSIX_SIZE, "libpython", "_posixstate", NULL, 0, 96) \
	X(MS_POSIX_BILLION, "libpython", "_posixstate", "billion", 8, 0) \
	X(MS_POSIX_DIRENTRYTYPE, "libpython", "_posixstate", \
	  "DirEntryType", 8, 8) \
	X(MS_POSIX_SCANDIRITERATORTYPE, "libpython", "_posixstate", \
	  "ScandirIteratorType", 8, 16) \
	X(MS_POSIX_SCHEDPARAMTYPE, "libpython", "_posixstate", \
	  "SchedParamType", 8, 24) \
	X(MS_POSIX_STATRESULTTYPE, "libpython", "_posixstate", \
	  "StatResultType", 8, 32) \
	X(MS_POSIX_STATVFSRESULTTYPE, "libpython", "_posixstate", \
	  "StatVFSResultType", 8, 40) \
	X(MS_POSIX_TERMINALSIZETYPE, "libpython", "_posixstate", \
	  "TerminalSizeType", 8, 48) \
	X(MS_POSIX_TIMESRESULTTYPE, "libpython", "_posixstate", \
	  "TimesResultType", 8, 56) \
	X(MS_POSIX_UNAMERESULTTYPE, "libpython", "_posixstate", \
	  "UnameResultType", 8, 64) \
	X(MS_POSIX_WAITIDRESULTTYPE, "libpython", "_posixstate", \
	  "WaitidResultType", 8, 72) \
	X(MS_POSIX_STRUCT_RUSAGE, "libpython", "_posixstate", \
	  "struct_rusage", 8, 80) \
	X(MS_POSIX_ST_MODE, "libpython", "_posixstate", "st_mode", 8, 88) \
	X(MS_PWD_SIZE, "libpython", "pwdmodulestate", NULL, 0, 8) \
	X(MS_PWD_STRUCTPWDTYPE, "libpython", "pwdmodulestate", \
	  "StructPwdType", 8, 0) \
	X(MS_PYEXPAT_SIZE, "pyexpat", "pyexpat_state", NULL, 0, 16) \
	X(MS_PYEXPAT_XML_PARSE_TYPE, "pyexpat", "pyexpat_state", \
	  "xml_parse_type", 8, 0) \
	X(MS_PYEXPAT_ERROR, "pyexpat", "pyexpat_state", "error", 8, 8) \
	X(MS_RESOURCE_SIZE, "resource", "resourcemodulestate", NULL, 0, 8) \
	X(MS_RESOURCE_STRUCTRUSAGETYPE, "resource", "resourcemodulestate", \
	  "StructRUsageType", 8, 0) \
	X(MS_SELECT_SIZE, "select", "_selectstate", NULL, 0, 48) \
	X(MS_SELECT_CLOSE, "select", "_selectstate", "close", 8, 0) \
	X(MS_SELECT_POLL_TYPE, "select", "_selectstate", "poll_Type", 8, 8) \
	X(MS_SELECT_DEVPOLL_TYPE, "select", "_selectstate", \
	  "devpoll_Type", 8, 16) \
	X(MS_SELECT_PYEPOLL_TYPE, "select", "_selectstate", \
	  "pyEpoll_Type", 8, 24) \
	X(MS_SELECT_KQUEUE_EVENT_TYPE, "select", "_selectstate", \
	  "kqueue_event_Type", 8, 32) \
	X(MS_SELECT_KQUEUE_QUEUE_TYPE, "select", "_selectstate", \
	  "kqueue_queue_Type", 8, 40) \
	X(MS_TERMIOS_SIZE, "termios", "termiosmodulestate", NULL, 0, 8) \
	X(MS_TERMIOS_TERMIOSERROR, "termios", "termiosmodulestate", \
	  "TermiosError", 8, 0) \
	X(MS_ZLIB_SIZE, "zlib", "zlibstate", NULL, 0, 24) \
	X(MS_ZLIB_COMPTYPE, "zlib", "zlibstate", "Comptype", 8, 0) \
	X(MS_ZLIB_DECOMPTYPE, "zlib", "zlibstate", "Decomptype", 8, 8) \
	X(MS_ZLIB_ZLIBERROR, "zlib", "zlibstate", "ZlibError", 8, 16) \

#define PHI_CT_FIELDS(X) PHI_CT_TYPE_FIELDS(X) PHI_CT_STATE_FIELDS(X)

/* The values, as constants: PHI_CT_FUT_FUT_LOOP is 16. */
enum {
#define PHI_CT_VALUE(id, file, type, member, width, value) \
	PHI_CT_##id = value,
	PHI_CT_FIELDS(PHI_CT_VALUE)
#undef PHI_CT_VALUE
};

/* The same as a table, for the test and for messages. */
struct phi_ct_field {
	const char *id, *file, *type, *member;
	int64_t width, value;
};

extern const struct phi_ct_field phi_ct_fields[];
extern const size_t phi_ct_nfields;

/* ---- decoding ---------------------------------------------------------- */

/* One object of a C type, as decode.c hands it over: its fixed part in
 * the image (as far as the image holds it), and where its referents
 * go. */
struct phi_cobj {
	struct phi_decoder *d;
	uint64_t addr;
	const unsigned char *obj;
	uint64_t objlen;
	const struct phi_type *ty;
	phi_visit_fn visit;
	void *vctx;
};

/* A type of kind OPAQUE met for the first time: choose how its
 * instances are decoded (ty->decoder, cspec, cbase): a built-in
 * decoder when its C type is one of the standard library's the table
 * lists, else its struct from the DWARF of the file that holds its
 * tp_traverse or tp_dealloc (a live target only), else the scan. */
void phi_ctypes_classify(struct phi_types *ts, struct phi_type *ty);

/* ty->size_exact: whether sys.getsizeof of its instances is what the
 * decoders compute (the class that defines __sizeof__, along the MRO,
 * is object, a kind's type, or a C type whose formula the tool has). */
bool phi_ctypes_size_exact(const struct phi_types *ts,
			   const struct phi_type *ty);

/* A class of ty's MRO whose object members (__slots__, or a heap C
 * type's PyType_Spec members) the slots' collection takes: Python
 * classes always, C classes only when their struct is not decoded
 * otherwise. */
bool phi_ctypes_collect_members(const struct phi_types *ts,
				const struct phi_type *ty, uint64_t cls);

/* The referents of an object whose type is not decoded by its kind,
 * and its __sizeof__ (without the GC header).  *inexact when the size
 * could not be computed from what the image holds. */
uint64_t phi_ctypes_decode(const struct phi_cobj *o, bool *inexact);

/* The conservative scan of an object whose type has neither a built-in
 * decoder nor DWARF (ty->decoder PHI_DECODER_SCAN): called after every
 * other referent was visited, as the graph builder keeps conservative
 * references last. */
void phi_ctypes_scan(const struct phi_cobj *o);

/* The references a module's state holds (what m_traverse visits,
 * before md_dict): built-in for the standard library's modules, from
 * the DWARF of m_traverse for others (scan false), else a conservative
 * scan of its m_size bytes (scan true, after every other referent).
 * Returns how many were visited. */
uint32_t phi_modstate_visit(const struct phi_cobj *o, bool scan);

void phi_ctypes_release(struct phi_types *ts);

#endif
