/* The standard library's C types (ctypes.h): which decoder a C type
 * gets, and the built-in decoders, whose referents are what their
 * tp_traverse visits in CPython 3.10 (gc.get_referents) and whose sizes
 * are their __sizeof__ (sys.getsizeof).  The traversals follow the 3.10
 * sources, and each was checked live against gc.get_referents and
 * sys.getsizeof (tests/ctypes_survey.py).
 *
 * A type gets a built-in decoder only when its C type (the type itself,
 * or the nearest base that is not a Python class) has the tp_name,
 * tp_basicsize, tp_itemsize and GC and heap flags listed here, and is
 * made in C: a static type, or a heap type whose tp_dealloc is not
 * subtype_dealloc (a class statement cannot call itself
 * "_asyncio.Future" and get its decoder).  Everything the decoders read
 * besides the object's fixed part (an Element's children, an lru_cache's
 * links, a sqlite3 cache's nodes) is checked against the image and
 * bounded. */
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/base/sizes.h"
#include "pyheapinspect/cpython/310/cstate.h"
#include "pyheapinspect/cpython/310/ctypes.h"
#include "pyheapinspect/cpython/310/dict.h"
#include "pyheapinspect/cpython/310/py310.h"
#include "pyheapinspect/cpython/310/types.h"

const struct phi_ct_field phi_ct_fields[] = {
#define PHI_CT_ROW(id, file, type, member, width, value) \
	{ #id, file, type, member, width, value },
	PHI_CT_FIELDS(PHI_CT_ROW)
#undef PHI_CT_ROW
};

const size_t phi_ct_nfields = sizeof(phi_ct_fields) / sizeof(phi_ct_fields[0]);

/* How the referents are walked, past the listed fields. */
enum walk {
	W_FIELDS,     /* the fields only */
	W_LRU,        /* a bounded lru_cache's links, then the fields */
	W_ELEMENT,    /* tag, text and tail (tagged), attrib, children */
	W_HAMT_DOWN,  /* Py_SIZE items of the array at fields[0], last
		       * first */
	W_HAMT_ARRAY, /* the 32 slots of a HAMT array node */
	W_TEEDATA,    /* it, values[0 .. numread), nextlink */
	W_SQLCACHE,   /* mapping, factory if owned, the nodes */
	W_ELEMITER,   /* the parent stack, top first, then the fields */
	W_TZINFO,     /* fields[1] when the byte at fields[0] is set */
};

/* __sizeof__. */
enum size {
	S_DEFAULT,    /* object.__sizeof__ */
	S_ELEMENT,
	S_STRUCT,
	S_BUFFERED,
	S_BYTESIO,
	S_ARRAY,
	S_PRODUCT,
	S_COMB,       /* combinations, combinations_with_replacement */
	S_PERMS,
	S_DECIMAL,
};

#define CS_GC 1
#define CS_HEAP 2
#define MAX_FIELDS 18

struct spec {
	const char *name;      /* tp_name */
	int32_t basicsize, itemsize;
	uint8_t flags;
	uint8_t walk, size;
	int16_t f[MAX_FIELDS]; /* offsets, 0-terminated */
};

#define G CS_GC
#define H CS_HEAP
#define GH (CS_GC | CS_HEAP)
#define ERR(p) PHI_CT_##p##_EXC_TYPE, PHI_CT_##p##_EXC_VALUE, \
	PHI_CT_##p##_EXC_TRACEBACK

static const struct spec specs[] = {
	/* _asyncio */
	{ "_asyncio.Future", PHI_CT_FUT_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_FUT_FUT_LOOP, PHI_CT_FUT_FUT_CALLBACK0,
	    PHI_CT_FUT_FUT_CONTEXT0, PHI_CT_FUT_FUT_CALLBACKS,
	    PHI_CT_FUT_FUT_RESULT, PHI_CT_FUT_FUT_EXCEPTION,
	    PHI_CT_FUT_FUT_EXCEPTION_TB, PHI_CT_FUT_FUT_SOURCE_TB,
	    PHI_CT_FUT_FUT_CANCEL_MSG,
	    PHI_CT_FUT_FUT_CANCELLED_EXC_STATE_EXC_TYPE,
	    PHI_CT_FUT_FUT_CANCELLED_EXC_STATE_EXC_VALUE,
	    PHI_CT_FUT_FUT_CANCELLED_EXC_STATE_EXC_TRACEBACK } },
	{ "_asyncio.Task", PHI_CT_TASK_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_TASK_TASK_CONTEXT, PHI_CT_TASK_TASK_CORO,
	    PHI_CT_TASK_TASK_NAME, PHI_CT_TASK_TASK_FUT_WAITER,
	    PHI_CT_TASK_TASK_LOOP, PHI_CT_TASK_TASK_CALLBACK0,
	    PHI_CT_TASK_TASK_CONTEXT0, PHI_CT_TASK_TASK_CALLBACKS,
	    PHI_CT_TASK_TASK_RESULT, PHI_CT_TASK_TASK_EXCEPTION,
	    PHI_CT_TASK_TASK_EXCEPTION_TB, PHI_CT_TASK_TASK_SOURCE_TB,
	    PHI_CT_TASK_TASK_CANCEL_MSG,
	    PHI_CT_TASK_TASK_CANCELLED_EXC_STATE_EXC_TYPE,
	    PHI_CT_TASK_TASK_CANCELLED_EXC_STATE_EXC_VALUE,
	    PHI_CT_TASK_TASK_CANCELLED_EXC_STATE_EXC_TRACEBACK } },
	{ "_asyncio.FutureIter", PHI_CT_FUTIT_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_FUTIT_FUTURE } },
	{ "TaskStepMethWrapper", PHI_CT_STEPW_SIZE, 0, G, W_FIELDS,
	  S_DEFAULT, { PHI_CT_STEPW_SW_TASK, PHI_CT_STEPW_SW_ARG } },
	{ "_RunningLoopHolder", PHI_CT_RLHOLDER_SIZE, 0, 0, W_FIELDS,
	  S_DEFAULT, { PHI_CT_RLHOLDER_RL_LOOP } },
	/* _functools */
	{ "functools._lru_cache_wrapper", PHI_CT_LRU_SIZE, 0, GH, W_LRU,
	  S_DEFAULT,
	  { PHI_CT_LRU_CACHE, PHI_CT_LRU_FUNC, PHI_CT_LRU_KWD_MARK,
	    PHI_CT_LRU_LRU_LIST_ELEM_TYPE, PHI_CT_LRU_CACHE_INFO_TYPE } },
	/* Not GC: gc.get_referents says nothing, but it holds them. */
	{ "functools._lru_list_elem", PHI_CT_LRUELEM_SIZE, 0, H, W_FIELDS,
	  S_DEFAULT, { PHI_CT_LRUELEM_KEY, PHI_CT_LRUELEM_RESULT } },
	{ "functools.partial", PHI_CT_PARTIAL_SIZE, 0, GH, W_FIELDS,
	  S_DEFAULT,
	  { PHI_CT_PARTIAL_FN, PHI_CT_PARTIAL_ARGS, PHI_CT_PARTIAL_KW } },
	{ "functools.KeyWrapper", PHI_CT_KEYOBJ_SIZE, 0, GH, W_FIELDS,
	  S_DEFAULT, { PHI_CT_KEYOBJ_CMP, PHI_CT_KEYOBJ_OBJECT } },
	/* contextvars and their HAMT */
	{ "_contextvars.Context", PHI_CT_CTX_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_CTX_CTX_PREV, PHI_CT_CTX_CTX_VARS } },
	{ "_contextvars.ContextVar", PHI_CT_CTXVAR_SIZE, 0, G, W_FIELDS,
	  S_DEFAULT, { PHI_CT_CTXVAR_VAR_NAME, PHI_CT_CTXVAR_VAR_DEFAULT } },
	{ "_contextvars.Token", PHI_CT_CTXTOK_SIZE, 0, G, W_FIELDS,
	  S_DEFAULT,
	  { PHI_CT_CTXTOK_TOK_CTX, PHI_CT_CTXTOK_TOK_VAR,
	    PHI_CT_CTXTOK_TOK_OLDVAL } },
	{ "hamt", PHI_CT_HAMT_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_HAMT_H_ROOT } },
	{ "hamt_bitmap_node", PHI_CT_HAMTBM_B_ARRAY, 8, G, W_HAMT_DOWN,
	  S_DEFAULT, { PHI_CT_HAMTBM_B_ARRAY } },
	{ "hamt_collision_node", PHI_CT_HAMTCOL_C_ARRAY, 8, G, W_HAMT_DOWN,
	  S_DEFAULT, { PHI_CT_HAMTCOL_C_ARRAY } },
	{ "hamt_array_node", PHI_CT_HAMTARR_SIZE, 0, G, W_HAMT_ARRAY,
	  S_DEFAULT, { 0 } },
	/* _elementtree */
	{ "xml.etree.ElementTree.Element", PHI_CT_ELEM_SIZE, 0, G, W_ELEMENT,
	  S_ELEMENT, { 0 } },
	{ "xml.etree.ElementTree.TreeBuilder", PHI_CT_TREEB_SIZE, 0, G,
	  W_FIELDS, S_DEFAULT,
	  { PHI_CT_TREEB_PI_EVENT_OBJ, PHI_CT_TREEB_COMMENT_EVENT_OBJ,
	    PHI_CT_TREEB_END_NS_EVENT_OBJ, PHI_CT_TREEB_START_NS_EVENT_OBJ,
	    PHI_CT_TREEB_END_EVENT_OBJ, PHI_CT_TREEB_START_EVENT_OBJ,
	    PHI_CT_TREEB_EVENTS_APPEND, PHI_CT_TREEB_ROOT, PHI_CT_TREEB_THIS,
	    PHI_CT_TREEB_LAST, PHI_CT_TREEB_LAST_FOR_TAIL, PHI_CT_TREEB_DATA,
	    PHI_CT_TREEB_STACK, PHI_CT_TREEB_PI_FACTORY,
	    PHI_CT_TREEB_COMMENT_FACTORY, PHI_CT_TREEB_ELEMENT_FACTORY } },
	{ "xml.etree.ElementTree.XMLParser", PHI_CT_XMLP_SIZE, 0, G, W_FIELDS,
	  S_DEFAULT,
	  { PHI_CT_XMLP_HANDLE_CLOSE, PHI_CT_XMLP_HANDLE_PI,
	    PHI_CT_XMLP_HANDLE_COMMENT, PHI_CT_XMLP_HANDLE_END,
	    PHI_CT_XMLP_HANDLE_DATA, PHI_CT_XMLP_HANDLE_START,
	    PHI_CT_XMLP_HANDLE_START_NS, PHI_CT_XMLP_HANDLE_END_NS,
	    PHI_CT_XMLP_HANDLE_DOCTYPE, PHI_CT_XMLP_TARGET,
	    PHI_CT_XMLP_ENTITY, PHI_CT_XMLP_NAMES } },
	{ "_elementtree._element_iterator", PHI_CT_ELEMIT_SIZE, 0, G,
	  W_ELEMITER, S_DEFAULT,
	  { PHI_CT_ELEMIT_ROOT_ELEMENT, PHI_CT_ELEMIT_SOUGHT_TAG } },
	/* _sre */
	{ "re.Pattern", PHI_CT_PATTERN_SIZE, 4, GH, W_FIELDS, S_DEFAULT,
	  { PHI_CT_PATTERN_GROUPINDEX, PHI_CT_PATTERN_INDEXGROUP,
	    PHI_CT_PATTERN_PATTERN } },
	{ "re.Match", PHI_CT_MATCH_SIZE, 8, GH, W_FIELDS, S_DEFAULT,
	  { PHI_CT_MATCH_STRING, PHI_CT_MATCH_REGS, PHI_CT_MATCH_PATTERN } },
	{ "_sre.SRE_Scanner", PHI_CT_SCANNER_SIZE, 0, GH, W_FIELDS, S_DEFAULT,
	  { PHI_CT_SCANNER_PATTERN } },
	/* array */
	{ "array.array", PHI_CT_ARRAY_SIZE, 0, GH, W_FIELDS, S_ARRAY, { 0 } },
	{ "array.arrayiterator", PHI_CT_ARRAYIT_SIZE, 0, GH, W_FIELDS,
	  S_DEFAULT, { PHI_CT_ARRAYIT_AO } },
	/* _io: BufferedRWPair's reader and writer and StringIO's decoder
	 * and accumulator are not visited (nor counted by __sizeof__). */
	{ "_io.BytesIO", PHI_CT_BYTESIO_SIZE, 0, G, W_FIELDS, S_BYTESIO,
	  { 0 } },
	{ "_io.StringIO", PHI_CT_STRINGIO_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { 0 } },
	{ "_io.BufferedReader", PHI_CT_BUFFERED_SIZE, 0, G, W_FIELDS,
	  S_BUFFERED, { PHI_CT_BUFFERED_RAW } },
	{ "_io.BufferedWriter", PHI_CT_BUFFERED_SIZE, 0, G, W_FIELDS,
	  S_BUFFERED, { PHI_CT_BUFFERED_RAW } },
	{ "_io.BufferedRandom", PHI_CT_BUFFERED_SIZE, 0, G, W_FIELDS,
	  S_BUFFERED, { PHI_CT_BUFFERED_RAW } },
	{ "_io.BufferedRWPair", PHI_CT_RWPAIR_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { 0 } },
	{ "_io.FileIO", PHI_CT_FILEIO_SIZE, 0, G, W_FIELDS, S_DEFAULT, { 0 } },
	{ "_io.TextIOWrapper", PHI_CT_TEXTIO_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_TEXTIO_BUFFER, PHI_CT_TEXTIO_ENCODING,
	    PHI_CT_TEXTIO_ENCODER, PHI_CT_TEXTIO_DECODER,
	    PHI_CT_TEXTIO_READNL, PHI_CT_TEXTIO_DECODED_CHARS,
	    PHI_CT_TEXTIO_PENDING_BYTES, PHI_CT_TEXTIO_SNAPSHOT,
	    PHI_CT_TEXTIO_ERRORS, PHI_CT_TEXTIO_RAW } },
	{ "_io.IncrementalNewlineDecoder", PHI_CT_NLDEC_SIZE, 0, 0, W_FIELDS,
	  S_DEFAULT, { PHI_CT_NLDEC_DECODER, PHI_CT_NLDEC_ERRORS } },
	{ "_io._BytesIOBuffer", PHI_CT_BIOBUF_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_BIOBUF_SOURCE } },
	/* _sqlite3 */
	{ "sqlite3.Connection", PHI_CT_SQLCONN_SIZE, 0, GH, W_FIELDS,
	  S_DEFAULT,
	  { PHI_CT_SQLCONN_ISOLATION_LEVEL, PHI_CT_SQLCONN_STATEMENT_CACHE,
	    PHI_CT_SQLCONN_STATEMENTS, PHI_CT_SQLCONN_CURSORS,
	    PHI_CT_SQLCONN_ROW_FACTORY, PHI_CT_SQLCONN_TEXT_FACTORY,
	    PHI_CT_SQLCONN_FUNCTION_PINBOARD_TRACE_CALLBACK,
	    PHI_CT_SQLCONN_FUNCTION_PINBOARD_PROGRESS_HANDLER,
	    PHI_CT_SQLCONN_FUNCTION_PINBOARD_AUTHORIZER_CB,
	    PHI_CT_SQLCONN_COLLATIONS } },
	{ "sqlite3.Cursor", PHI_CT_SQLCUR_SIZE, 0, GH, W_FIELDS, S_DEFAULT,
	  { PHI_CT_SQLCUR_CONNECTION, PHI_CT_SQLCUR_DESCRIPTION,
	    PHI_CT_SQLCUR_ROW_CAST_MAP, PHI_CT_SQLCUR_LASTROWID,
	    PHI_CT_SQLCUR_ROW_FACTORY, PHI_CT_SQLCUR_STATEMENT,
	    PHI_CT_SQLCUR_NEXT_ROW } },
	{ "sqlite3.Cache", PHI_CT_SQLCACHE_SIZE, 0, GH, W_SQLCACHE, S_DEFAULT,
	  { PHI_CT_SQLCACHE_MAPPING } },
	{ "sqlite3.Node", PHI_CT_SQLNODE_SIZE, 0, GH, W_FIELDS, S_DEFAULT,
	  { PHI_CT_SQLNODE_KEY, PHI_CT_SQLNODE_DATA } },
	{ "sqlite3.Statement", PHI_CT_SQLSTMT_SIZE, 0, GH, W_FIELDS,
	  S_DEFAULT, { PHI_CT_SQLSTMT_SQL } },
	{ "sqlite3.Row", PHI_CT_SQLROW_SIZE, 0, GH, W_FIELDS, S_DEFAULT,
	  { PHI_CT_SQLROW_DATA, PHI_CT_SQLROW_DESCRIPTION } },
	/* _abc, _operator */
	{ "_abc._abc_data", PHI_CT_ABCDATA_SIZE, 0, GH, W_FIELDS, S_DEFAULT,
	  { PHI_CT_ABCDATA_ABC_REGISTRY, PHI_CT_ABCDATA_ABC_CACHE,
	    PHI_CT_ABCDATA_ABC_NEGATIVE_CACHE } },
	{ "operator.attrgetter", PHI_CT_ATTRG_SIZE, 0, GH, W_FIELDS,
	  S_DEFAULT, { PHI_CT_ATTRG_ATTR } },
	{ "operator.itemgetter", PHI_CT_ITEMG_SIZE, 0, GH, W_FIELDS,
	  S_DEFAULT, { PHI_CT_ITEMG_ITEM } },
	{ "operator.methodcaller", PHI_CT_METHC_SIZE, 0, GH, W_FIELDS,
	  S_DEFAULT,
	  { PHI_CT_METHC_NAME, PHI_CT_METHC_ARGS, PHI_CT_METHC_KWDS } },
	/* itertools */
	{ "itertools.cycle", PHI_CT_CYCLE_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_CYCLE_IT, PHI_CT_CYCLE_SAVED } },
	{ "itertools.count", PHI_CT_COUNT_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_COUNT_LONG_CNT, PHI_CT_COUNT_LONG_STEP } },
	{ "itertools._tee", PHI_CT_TEE_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_TEE_DATAOBJ } },
	{ "itertools._tee_dataobject", PHI_CT_TEEDATA_SIZE, 0, G, W_TEEDATA,
	  S_DEFAULT, { 0 } },
	{ "itertools.groupby", PHI_CT_GROUPBY_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_GROUPBY_IT, PHI_CT_GROUPBY_KEYFUNC, PHI_CT_GROUPBY_TGTKEY,
	    PHI_CT_GROUPBY_CURRKEY, PHI_CT_GROUPBY_CURRVALUE } },
	{ "itertools._grouper", PHI_CT_GROUPER_SIZE, 0, G, W_FIELDS,
	  S_DEFAULT, { PHI_CT_GROUPER_PARENT, PHI_CT_GROUPER_TGTKEY } },
	{ "itertools.chain", PHI_CT_CHAIN_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_CHAIN_SOURCE, PHI_CT_CHAIN_ACTIVE } },
	{ "itertools.islice", PHI_CT_ISLICE_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_ISLICE_IT } },
	{ "itertools.product", PHI_CT_PRODUCT_SIZE, 0, G, W_FIELDS, S_PRODUCT,
	  { PHI_CT_PRODUCT_POOLS, PHI_CT_PRODUCT_RESULT } },
	{ "itertools.permutations", PHI_CT_PERMS_SIZE, 0, G, W_FIELDS,
	  S_PERMS, { PHI_CT_PERMS_POOL, PHI_CT_PERMS_RESULT } },
	{ "itertools.combinations", PHI_CT_COMBS_SIZE, 0, G, W_FIELDS, S_COMB,
	  { PHI_CT_COMBS_POOL, PHI_CT_COMBS_RESULT } },
	{ "itertools.combinations_with_replacement", PHI_CT_CWR_SIZE, 0, G,
	  W_FIELDS, S_COMB, { PHI_CT_CWR_POOL, PHI_CT_CWR_RESULT } },
	{ "itertools.accumulate", PHI_CT_ACCUM_SIZE, 0, G, W_FIELDS,
	  S_DEFAULT,
	  { PHI_CT_ACCUM_BINOP, PHI_CT_ACCUM_IT, PHI_CT_ACCUM_TOTAL,
	    PHI_CT_ACCUM_INITIAL } },
	{ "itertools.zip_longest", PHI_CT_ZIPLONG_SIZE, 0, G, W_FIELDS,
	  S_DEFAULT,
	  { PHI_CT_ZIPLONG_ITTUPLE, PHI_CT_ZIPLONG_RESULT,
	    PHI_CT_ZIPLONG_FILLVALUE } },
	{ "itertools.starmap", PHI_CT_STARMAP_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_STARMAP_IT, PHI_CT_STARMAP_FUNC } },
	{ "itertools.takewhile", PHI_CT_TAKEW_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_TAKEW_IT, PHI_CT_TAKEW_FUNC } },
	{ "itertools.dropwhile", PHI_CT_DROPW_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_DROPW_IT, PHI_CT_DROPW_FUNC } },
	{ "itertools.compress", PHI_CT_COMPRESS_SIZE, 0, G, W_FIELDS,
	  S_DEFAULT, { PHI_CT_COMPRESS_DATA, PHI_CT_COMPRESS_SELECTORS } },
	{ "itertools.filterfalse", PHI_CT_FILTERF_SIZE, 0, G, W_FIELDS,
	  S_DEFAULT, { PHI_CT_FILTERF_IT, PHI_CT_FILTERF_FUNC } },
	{ "itertools.repeat", PHI_CT_REPEAT_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_REPEAT_ELEMENT } },
	{ "itertools.pairwise", PHI_CT_PAIRWISE_SIZE, 0, G, W_FIELDS,
	  S_DEFAULT, { PHI_CT_PAIRWISE_IT, PHI_CT_PAIRWISE_OLD } },
	/* _collections */
	{ "_collections._tuplegetter", PHI_CT_TUPLEGET_SIZE, 0, G, W_FIELDS,
	  S_DEFAULT, { PHI_CT_TUPLEGET_DOC } },
	{ "_collections._deque_iterator", PHI_CT_DEQUEIT_SIZE, 0, G,
	  W_FIELDS, S_DEFAULT, { PHI_CT_DEQUEIT_DEQUE } },
	{ "_collections._deque_reverse_iterator", PHI_CT_DEQUEIT_SIZE, 0, G,
	  W_FIELDS, S_DEFAULT, { PHI_CT_DEQUEIT_DEQUE } },
	/* _struct */
	{ "_struct.Struct", PHI_CT_STRUCT_SIZE, 0, GH, W_FIELDS, S_STRUCT,
	  { PHI_CT_STRUCT_S_FORMAT } },
	{ "_struct.unpack_iterator", PHI_CT_UNPACKIT_SIZE, 0, GH, W_FIELDS,
	  S_DEFAULT, { PHI_CT_UNPACKIT_SO, PHI_CT_UNPACKIT_BUF_OBJ } },
	/* _thread */
	{ "_thread._local", PHI_CT_LOCAL_SIZE, 0, GH, W_FIELDS, S_DEFAULT,
	  { PHI_CT_LOCAL_ARGS, PHI_CT_LOCAL_KW, PHI_CT_LOCAL_DUMMIES } },
	{ "_thread.lock", PHI_CT_LOCK_SIZE, 0, GH, W_FIELDS, S_DEFAULT,
	  { 0 } },
	{ "_thread.RLock", PHI_CT_RLOCK_SIZE, 0, GH, W_FIELDS, S_DEFAULT,
	  { 0 } },
	{ "_thread._localdummy", PHI_CT_LOCALDUMMY_SIZE, 0, H, W_FIELDS,
	  S_DEFAULT, { 0 } },
	/* libpython's objects */
	{ "method-wrapper", PHI_CT_WRAPPER_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_WRAPPER_DESCR, PHI_CT_WRAPPER_SELF } },
	{ "types.GenericAlias", PHI_CT_GA_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_GA_ORIGIN, PHI_CT_GA_ARGS, PHI_CT_GA_PARAMETERS } },
	{ "list_iterator", PHI_CT_LISTIT_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_LISTIT_IT_SEQ } },
	{ "tuple_iterator", PHI_CT_TUPLEIT_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_TUPLEIT_IT_SEQ } },
	{ "str_iterator", PHI_CT_STRIT_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_STRIT_IT_SEQ } },
	{ "memoryview", PHI_CT_MVIEW_SIZE - 8, 8, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_MVIEW_MBUF } },
	{ "managedbuffer", PHI_CT_MBUF_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_MBUF_MASTER_OBJ } },
	/* The builtins' iterators and views. */
	{ "range_iterator", PHI_CT_RANGEIT_SIZE, 0, 0, W_FIELDS, S_DEFAULT,
	  { 0 } },
	{ "longrange_iterator", PHI_CT_LRANGEIT_SIZE, 0, 0, W_FIELDS,
	  S_DEFAULT,
	  { PHI_CT_LRANGEIT_START, PHI_CT_LRANGEIT_STEP,
	    PHI_CT_LRANGEIT_LEN } },
	{ "enumerate", PHI_CT_ENUM_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_ENUM_EN_SIT, PHI_CT_ENUM_EN_RESULT,
	    PHI_CT_ENUM_EN_LONGINDEX } },
	{ "zip", PHI_CT_ZIP_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_ZIP_ITTUPLE, PHI_CT_ZIP_RESULT } },
	{ "map", PHI_CT_MAP_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_MAP_ITERS, PHI_CT_MAP_FUNC } },
	{ "filter", PHI_CT_FILTER_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_FILTER_IT, PHI_CT_FILTER_FUNC } },
	{ "reversed", PHI_CT_REVERSED_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_REVERSED_SEQ } },
#define DICTIT(name) { name, PHI_CT_DICTIT_SIZE, 0, G, W_FIELDS, S_DEFAULT, \
	  { PHI_CT_DICTIT_DI_DICT, PHI_CT_DICTIT_DI_RESULT } }
	DICTIT("dict_keyiterator"), DICTIT("dict_valueiterator"),
	DICTIT("dict_itemiterator"), DICTIT("dict_reversekeyiterator"),
	DICTIT("dict_reversevalueiterator"),
	DICTIT("dict_reverseitemiterator"),
#define DICTVIEW(name) { name, PHI_CT_DICTVIEW_SIZE, 0, G, W_FIELDS, \
	  S_DEFAULT, { PHI_CT_DICTVIEW_DV_DICT } }
	DICTVIEW("dict_keys"), DICTVIEW("dict_values"), DICTVIEW("dict_items"),
	DICTVIEW("odict_keys"), DICTVIEW("odict_values"),
	DICTVIEW("odict_items"),
#define ODICTIT(name) { name, PHI_CT_ODICTIT_SIZE, 0, G, W_FIELDS, \
	  S_DEFAULT, { PHI_CT_ODICTIT_DI_ODICT, PHI_CT_ODICTIT_DI_CURRENT, \
		       PHI_CT_ODICTIT_DI_RESULT } }
	ODICTIT("odict_iterator"), ODICTIT("odict_keyiterator"),
	ODICTIT("odict_valueiterator"), ODICTIT("odict_itemiterator"),
	{ "set_iterator", PHI_CT_SETIT_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_SETIT_SI_SET } },
	{ "iterator", PHI_CT_SEQIT_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_SEQIT_IT_SEQ } },
	{ "callable_iterator", PHI_CT_CALLIT_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_CALLIT_IT_CALLABLE, PHI_CT_CALLIT_IT_SENTINEL } },
	{ "super", PHI_CT_SUPER_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_SUPER_OBJ, PHI_CT_SUPER_TYPE, PHI_CT_SUPER_OBJ_TYPE } },
	{ "list_reverseiterator", PHI_CT_LISTREVIT_SIZE, 0, G, W_FIELDS,
	  S_DEFAULT, { PHI_CT_LISTREVIT_IT_SEQ } },
	{ "bytes_iterator", PHI_CT_BYTESIT_SIZE, 0, G, W_FIELDS, S_DEFAULT,
	  { PHI_CT_BYTESIT_IT_SEQ } },
	{ "bytearray_iterator", PHI_CT_BARRAYIT_SIZE, 0, G, W_FIELDS,
	  S_DEFAULT, { PHI_CT_BARRAYIT_IT_SEQ } },
	{ "PyCapsule", PHI_CT_CAPSULE_SIZE, 0, 0, W_FIELDS, S_DEFAULT, { 0 } },
	{ "stderrprinter", PHI_CT_STDPRINTER_SIZE, 0, 0, W_FIELDS, S_DEFAULT,
	  { 0 } },
	/* _csv, _json, _queue */
	{ "_csv.Dialect", PHI_CT_DIALECT_SIZE, 0, GH, W_FIELDS, S_DEFAULT,
	  { PHI_CT_DIALECT_LINETERMINATOR } },
	{ "_json.Scanner", PHI_CT_JSCAN_SIZE, 0, GH, W_FIELDS, S_DEFAULT,
	  { PHI_CT_JSCAN_OBJECT_HOOK, PHI_CT_JSCAN_OBJECT_PAIRS_HOOK,
	    PHI_CT_JSCAN_PARSE_FLOAT, PHI_CT_JSCAN_PARSE_INT,
	    PHI_CT_JSCAN_PARSE_CONSTANT, PHI_CT_JSCAN_MEMO } },
	{ "_queue.SimpleQueue", PHI_CT_SQUEUE_SIZE, 0, GH, W_FIELDS,
	  S_DEFAULT, { PHI_CT_SQUEUE_LST } },
	/* _decimal: not GC */
	{ "decimal.Decimal", PHI_CT_DEC_SIZE, 0, 0, W_FIELDS, S_DECIMAL,
	  { 0 } },
	{ "decimal.Context", PHI_CT_DECCTX_SIZE, 0, 0, W_FIELDS, S_DEFAULT,
	  { PHI_CT_DECCTX_TRAPS, PHI_CT_DECCTX_FLAGS } },
	{ "decimal.SignalDictMixin", PHI_CT_SIGDICT_SIZE, 0, 0, W_FIELDS,
	  S_DEFAULT, { 0 } },
	/* _datetime: not GC; a naive datetime or time is allocated
	 * without its tzinfo member. */
	{ "datetime.date", PHI_CT_DATE_SIZE, 0, 0, W_FIELDS, S_DEFAULT,
	  { 0 } },
	{ "datetime.datetime", PHI_CT_DATETIME_SIZE, 0, 0, W_TZINFO,
	  S_DEFAULT, { PHI_CT_DATETIME_HASTZINFO, PHI_CT_DATETIME_TZINFO } },
	{ "datetime.time", PHI_CT_TIME_SIZE, 0, 0, W_TZINFO, S_DEFAULT,
	  { PHI_CT_TIME_HASTZINFO, PHI_CT_TIME_TZINFO } },
	{ "datetime.timedelta", PHI_CT_DELTA_SIZE, 0, 0, W_FIELDS, S_DEFAULT,
	  { 0 } },
	{ "datetime.timezone", PHI_CT_TZ_SIZE, 0, 0, W_FIELDS, S_DEFAULT,
	  { PHI_CT_TZ_OFFSET, PHI_CT_TZ_NAME } },
};

#define NSPECS (sizeof(specs) / sizeof(specs[0]))

/* ---- the state --------------------------------------------------------- */

struct phi_cstate *phi_cstate(struct phi_types *ts)
{
	struct phi_cstate *cs = ts->ctypes;
	const char *m;

	if (cs)
		return cs;
	cs = calloc(1, sizeof(*cs));
	if (!cs)
		return NULL;
	m = getenv("PYHEAPINSPECT_TEST_CTYPES");
	if (m && strcmp(m, "dwarf") == 0)
		cs->mode = PHI_CMODE_DWARF;
	else if (m && strcmp(m, "scan") == 0)
		cs->mode = PHI_CMODE_SCAN;
	ts->ctypes = cs;
	return cs;
}

void phi_ctypes_release(struct phi_types *ts)
{
	struct phi_cstate *cs = ts->ctypes;

	if (!cs)
		return;
	phi_cdwarf_release(cs);
	free(cs->gen);
	free(cs->mem);
	free(cs->mods);
	free(cs);
	ts->ctypes = NULL;
}

/* ---- classification ------------------------------------------------------ */

static int64_t tword(const struct phi_types *ts, uint64_t addr)
{
	int64_t v = 0;

	phi_image_i64(ts->img, addr, &v);
	return v;
}

#define TL(id) ((uint64_t)PHI_L(phi310_layout(ts->py), id))

/* A class statement's class: a heap type deallocated by
 * subtype_dealloc.  Without that symbol (a stripped build where it was
 * not found in memory) no heap type counts as one, and a C heap type's
 * Python subclasses then fail to match: the scan takes them. */
static bool is_python_class(const struct phi_types *ts, uint64_t cls)
{
	uint64_t sd = phi310(ts->py)->sym[PHI_S_SUBTYPE_DEALLOC];

	return sd && ((uint64_t)tword(ts, cls + TL(TP_FLAGS)) &
		      PHI_TPFLAGS_HEAPTYPE) &&
	       (uint64_t)tword(ts, cls + TL(TP_DEALLOC)) == sd;
}

/* tp_name of cls is exactly name. */
static bool name_is(const struct phi_types *ts, uint64_t cls,
		    const char *name)
{
	uint64_t p = (uint64_t)tword(ts, cls + TL(TP_NAME));
	size_t len = strlen(name), avail = phi_image_avail(ts->img, p);
	const char *s = phi_image_ptr(ts->img, p, 1);

	return s && avail > len && memcmp(s, name, len + 1) == 0;
}

static int spec_of(const struct phi_types *ts, uint64_t cls)
{
	uint64_t flags = (uint64_t)tword(ts, cls + TL(TP_FLAGS));
	int64_t basic = tword(ts, cls + TL(TP_BASICSIZE));
	int64_t item = tword(ts, cls + TL(TP_ITEMSIZE));
	uint8_t want = ((flags & PHI_TPFLAGS_HAVE_GC) ? CS_GC : 0) |
		       ((flags & PHI_TPFLAGS_HEAPTYPE) ? CS_HEAP : 0);

	for (size_t i = 0; i < NSPECS; i++)
		if (specs[i].basicsize == basic && specs[i].itemsize == item &&
		    specs[i].flags == want && name_is(ts, cls, specs[i].name))
			return (int)i;
	return -1;
}

/* The C type that defines ty's layout: ty, or the first base along
 * tp_base that is not a Python class. */
static uint64_t c_base(const struct phi_types *ts, uint64_t cls)
{
	for (int depth = 0; cls && depth < PHI_MAX_BASES; depth++) {
		if (!is_python_class(ts, cls))
			return cls;
		cls = (uint64_t)tword(ts, cls + TL(TP_BASE));
	}
	return 0;
}

void phi_ctypes_classify(struct phi_types *ts, struct phi_type *ty)
{
	struct phi_cstate *cs = phi_cstate(ts);
	uint64_t base = c_base(ts, ty->addr);
	int s;

	ty->decoder = PHI_DECODER_SCAN;
	ty->cbase = base;
	if (!cs || !base)
		return;
	s = cs->mode == PHI_CMODE_ALL ? spec_of(ts, base) : -1;
	if (s >= 0) {
		ty->decoder = PHI_DECODER_BUILTIN;
		ty->cspec = (uint32_t)s;
		return;
	}
	if (cs->mode != PHI_CMODE_SCAN) {
		int64_t g = phi_cdwarf_type(ts, ty, base);

		if (g >= 0) {
			ty->decoder = PHI_DECODER_DWARF;
			ty->cspec = (uint32_t)g;
		}
	}
}

bool phi_ctypes_collect_members(const struct phi_types *ts,
				const struct phi_type *ty, uint64_t cls)
{
	if (ty->kind != PHI_K_OPAQUE || ty->decoder == PHI_DECODER_SCAN)
		return true;
	return is_python_class(ts, cls);
}

/* ---- size exactness -------------------------------------------------- */

static bool is_kind_type(const struct phi_types *ts, uint64_t cls)
{
	for (int k = 0; k < PHI_K__COUNT; k++)
		if (ts->kind_type[k] && ts->kind_type[k] == cls)
			return true;
	return false;
}

/* cls defines __sizeof__ in its own dict. */
static bool own_sizeof(const struct phi_types *ts, uint64_t cls)
{
	uint64_t dict = (uint64_t)tword(ts, cls + TL(TP_DICT));

	return dict && phi_dict_get_str(ts->img, phi310_layout(ts->py), dict,
					"__sizeof__");
}

struct owner {
	const struct phi_types *ts;
	uint64_t cls;
};

bool phi_ctypes_size_exact(const struct phi_types *ts,
			   const struct phi_type *ty)
{
	uint64_t mro = (uint64_t)tword(ts, ty->addr + TL(TP_MRO));
	int64_t n = tword(ts, mro + TL(OB_SIZE));

	if (!mro || n <= 0 || n > PHI_MAX_BASES)
		return true;
	for (int64_t i = 0; i < n; i++) {
		uint64_t cls = (uint64_t)tword(ts, mro + TL(TUPLE_ITEM) +
						       8 * (uint64_t)i);
		int s;

		if (!cls || !own_sizeof(ts, cls))
			continue;
		/* The kinds' decoders compute their types' __sizeof__
		 * (object's is the default formula). */
		if (is_kind_type(ts, cls))
			return true;
		s = spec_of(ts, cls);
		return s >= 0 && specs[s].size != S_DEFAULT &&
		       ty->decoder == PHI_DECODER_BUILTIN;
	}
	return true;
}

/* ---- decoding -------------------------------------------------------- */

static uint64_t rd(const struct phi_cobj *o, uint64_t off)
{
	uint64_t v = 0;

	if (o->objlen >= 8 && off <= o->objlen - 8) {
		memcpy(&v, o->obj + off, 8);
		return v;
	}
	if (!phi_image_u64(o->d->img, o->addr + off, &v))
		o->d->bad_fields++;
	return v;
}

static uint64_t word(const struct phi_cobj *o, uint64_t addr)
{
	uint64_t v = 0;

	if (!phi_image_u64(o->d->img, addr, &v))
		o->d->bad_fields++;
	return v;
}

static void visit(const struct phi_cobj *o, uint64_t p)
{
	if (p)
		o->visit(o->vctx, p, 0);
}

static void visit_fields(const struct phi_cobj *o, const struct spec *s)
{
	for (int i = 0; i < MAX_FIELDS && s->f[i]; i++)
		visit(o, rd(o, (uint64_t)s->f[i]));
}

/* n pointers at arr, first to last or last to first; n checked against
 * the image. */
static void visit_array(const struct phi_cobj *o, uint64_t arr, uint64_t n,
			bool down)
{
	const unsigned char *p;

	if (!n)
		return;
	if (n > phi_image_avail(o->d->img, arr) / 8) {
		o->d->bad_fields++;
		return;
	}
	p = phi_image_ptr(o->d->img, arr, 8 * n);
	for (uint64_t i = 0; p && i < n; i++) {
		uint64_t v;

		memcpy(&v, p + 8 * (down ? n - 1 - i : i), 8);
		visit(o, v);
	}
}

/* Links of a list from first, each next at next_off, until end (or
 * NULL): fn on each.  The target may make it loop anywhere: a second
 * pointer that moves every other step (Floyd's) meets the first inside
 * any loop, and the walk stops at `bound` links whatever happens. */
static void walk_links(const struct phi_cobj *o, uint64_t first,
		       uint64_t end, uint64_t next_off, uint64_t bound,
		       void (*fn)(const struct phi_cobj *o, uint64_t link))
{
	uint64_t link = first, slow = first;

	for (uint64_t k = 0; link && link != end; k++) {
		if (k >= bound || !phi_image_ptr(o->d->img, link,
						 next_off + 8)) {
			o->d->bad_fields++;
			return;
		}
		fn(o, link);
		link = word(o, link + next_off);
		if (k & 1)
			slow = word(o, slow + next_off);
		if (link == slow && link != end) {
			o->d->bad_fields++;
			return;
		}
	}
}

/* A bounded lru_cache keeps a circular list of links from root (inside
 * the wrapper) whose keys and results its traverse visits. */
static void lru_link(const struct phi_cobj *o, uint64_t link)
{
	visit(o, word(o, link + PHI_CT_LRUELEM_KEY));
	visit(o, word(o, link + PHI_CT_LRUELEM_RESULT));
	visit(o, word(o, link + (uint64_t)PHI_L(o->d->lay, OB_TYPE)));
}

static void walk_lru(const struct phi_cobj *o)
{
	uint64_t root = o->addr + PHI_CT_LRU_ROOT;

	walk_links(o, rd(o, PHI_CT_LRU_ROOT + PHI_CT_LRUELEM_NEXT), root,
		   PHI_CT_LRUELEM_NEXT, o->d->img->bytes / PHI_CT_LRUELEM_SIZE,
		   lru_link);
}

static void sql_node(const struct phi_cobj *o, uint64_t node)
{
	visit(o, node);
}

static void walk_sqlcache(const struct phi_cobj *o)
{
	uint32_t owned = 0;

	if (!phi_image_u32(o->d->img, o->addr + PHI_CT_SQLCACHE_DECREF_FACTORY,
			   &owned))
		o->d->bad_fields++;
	if (owned)
		visit(o, rd(o, PHI_CT_SQLCACHE_FACTORY));
	walk_links(o, rd(o, PHI_CT_SQLCACHE_FIRST), 0, PHI_CT_SQLNODE_NEXT,
		   o->d->img->bytes / PHI_CT_SQLNODE_SIZE, sql_node);
}

/* An Element's text and tail: the low bit says "a list of chunks to
 * join" (JOIN_OBJ). */
static void walk_element(const struct phi_cobj *o)
{
	uint64_t extra = rd(o, PHI_CT_ELEM_EXTRA);
	int64_t n = 0, alloc = 0;

	visit(o, rd(o, PHI_CT_ELEM_TAG));
	visit(o, rd(o, PHI_CT_ELEM_TEXT) & ~(uint64_t)1);
	visit(o, rd(o, PHI_CT_ELEM_TAIL) & ~(uint64_t)1);
	if (!extra)
		return;
	if (!phi_image_ptr(o->d->img, extra, PHI_CT_ELEMX_SIZE)) {
		o->d->bad_fields++;
		return;
	}
	visit(o, word(o, extra + PHI_CT_ELEMX_ATTRIB));
	phi_image_i64(o->d->img, extra + PHI_CT_ELEMX_LENGTH, &n);
	phi_image_i64(o->d->img, extra + PHI_CT_ELEMX_ALLOCATED, &alloc);
	if (n < 0 || n > alloc) {
		o->d->bad_fields++;
		return;
	}
	visit_array(o, word(o, extra + PHI_CT_ELEMX_CHILDREN), (uint64_t)n,
		    false);
}

static void walk_teedata(const struct phi_cobj *o)
{
	uint32_t n = 0;
	uint64_t max = (PHI_CT_TEEDATA_SIZE - PHI_CT_TEEDATA_VALUES) / 8;

	visit(o, rd(o, PHI_CT_TEEDATA_IT));
	if (!phi_image_u32(o->d->img, o->addr + PHI_CT_TEEDATA_NUMREAD, &n) ||
	    n > max)
		o->d->bad_fields++;
	else
		visit_array(o, o->addr + PHI_CT_TEEDATA_VALUES, n, false);
	visit(o, rd(o, PHI_CT_TEEDATA_NEXTLINK));
}

static void walk_elemiter(const struct phi_cobj *o)
{
	uint64_t stack = rd(o, PHI_CT_ELEMIT_PARENT_STACK);
	int64_t used = (int64_t)rd(o, PHI_CT_ELEMIT_PARENT_STACK_USED);
	const uint64_t esize = PHI_CT_PARENTLOC_SIZE;

	if (used < 0 ||
	    (uint64_t)used > phi_image_avail(o->d->img, stack) / esize) {
		if (used)
			o->d->bad_fields++;
		return;
	}
	for (int64_t i = used - 1; i >= 0; i--)
		visit(o, word(o, stack + (uint64_t)i * esize +
				       PHI_CT_PARENTLOC_PARENT));
}

static void walk_tzinfo(const struct phi_cobj *o, const struct spec *s)
{
	const unsigned char *has = phi_image_ptr(o->d->img,
						 o->addr + (uint64_t)s->f[0], 1);

	if (!has)
		o->d->bad_fields++;
	else if (*has)
		visit(o, rd(o, (uint64_t)s->f[1]));
}

static void walk(const struct phi_cobj *o, const struct spec *s)
{
	int64_t n;

	switch (s->walk) {
	case W_LRU:
		walk_lru(o);
		visit_fields(o, s);
		break;
	case W_ELEMENT:
		walk_element(o);
		break;
	case W_HAMT_DOWN:
		n = (int64_t)rd(o, (uint64_t)PHI_L(o->d->lay, OB_SIZE));
		if (n < 0)
			o->d->bad_fields++;
		else
			visit_array(o, o->addr + (uint64_t)s->f[0],
				    (uint64_t)n, true);
		break;
	case W_HAMT_ARRAY:
		visit_array(o, o->addr + PHI_CT_HAMTARR_A_ARRAY,
			    (PHI_CT_HAMTARR_SIZE - PHI_CT_HAMTARR_A_ARRAY -
			     8) / 8, false);
		break;
	case W_TEEDATA:
		walk_teedata(o);
		break;
	case W_SQLCACHE:
		visit_fields(o, s);
		walk_sqlcache(o);
		break;
	case W_ELEMITER:
		walk_elemiter(o);
		visit_fields(o, s);
		break;
	case W_TZINFO:
		walk_tzinfo(o, s);
		break;
	default:
		visit_fields(o, s);
		break;
	}
}

/* ---- sizes ------------------------------------------------------------- */

static uint64_t size_element(const struct phi_cobj *o, uint64_t b,
			     bool *inexact)
{
	uint64_t extra = rd(o, PHI_CT_ELEM_EXTRA), children;
	int64_t alloc = 0;

	if (!extra)
		return b;
	if (!phi_image_i64(o->d->img, extra + PHI_CT_ELEMX_ALLOCATED, &alloc) ||
	    alloc < 0 || alloc > (int64_t)1 << 40) {
		*inexact = true;
		return b + PHI_CT_ELEMX_SIZE;
	}
	children = word(o, extra + PHI_CT_ELEMX_CHILDREN);
	b += PHI_CT_ELEMX_SIZE;
	if (children != extra + PHI_CT_ELEMX_INLINE)
		b += 8 * (uint64_t)alloc;
	return b;
}

/* A Struct's codes end with one whose fmtdef is NULL; __sizeof__
 * counts it too. */
static uint64_t size_struct(const struct phi_cobj *o, uint64_t b,
			    bool *inexact)
{
	uint64_t code = rd(o, PHI_CT_STRUCT_S_CODES), n = 1;
	uint64_t max = phi_image_avail(o->d->img, code) / PHI_CT_FMTCODE_SIZE;

	for (; n <= max; n++, code += PHI_CT_FMTCODE_SIZE)
		if (!word(o, code + PHI_CT_FMTCODE_FMTDEF))
			return b + PHI_CT_FMTCODE_SIZE * n;
	*inexact = true;
	return b;
}

static uint64_t size_buffered(const struct phi_cobj *o, uint64_t b,
			      bool *inexact)
{
	uint64_t buf = rd(o, PHI_CT_BUFFERED_BUFFER);
	int64_t size = (int64_t)rd(o, PHI_CT_BUFFERED_BUFFER_SIZE);

	if (!buf)
		return b;
	/* The buffer is malloc'ed at its size: the image holds it. */
	if (size < 0 || (uint64_t)size > phi_image_avail(o->d->img, buf)) {
		*inexact = true;
		return b;
	}
	return b + (uint64_t)size;
}

/* BytesIO counts its bytes object unless it shares it (refcount > 1):
 * bytes.__sizeof__, a bytes object having no GC header. */
static uint64_t size_bytesio(const struct phi_cobj *o, uint64_t b,
			     bool *inexact)
{
	const struct phi_layout *lay = o->d->lay;
	uint64_t buf = rd(o, PHI_CT_BYTESIO_BUF);
	int64_t refcnt = 0, n = 0;
	uint64_t sval = (uint64_t)PHI_L(lay, BYTES_SVAL);

	if (!buf)
		return b;
	if (!phi_image_i64(o->d->img, buf + (uint64_t)PHI_L(lay, OB_REFCNT),
			   &refcnt) ||
	    !phi_image_i64(o->d->img, buf + (uint64_t)PHI_L(lay, OB_SIZE), &n) ||
	    n < 0 || (uint64_t)n > phi_image_avail(o->d->img, buf + sval)) {
		*inexact = true;
		return b;
	}
	return refcnt == 1 ? b + sval + 1 + (uint64_t)n : b;
}

static uint64_t size_array(const struct phi_cobj *o, uint64_t b,
			   bool *inexact)
{
	int64_t alloc = (int64_t)rd(o, PHI_CT_ARRAY_ALLOCATED);
	uint64_t descr = rd(o, PHI_CT_ARRAY_OB_DESCR);
	uint32_t item = 0;

	if (alloc < 0 ||
	    !phi_image_u32(o->d->img, descr + PHI_CT_ARRDESCR_ITEMSIZE, &item) ||
	    item == 0 || item > 16) {
		*inexact = true;
		return b;
	}
	return phi_size_add(b, phi_size_mul((uint64_t)alloc, item));
}

static uint64_t tuple_size(const struct phi_cobj *o, uint64_t tuple,
			   bool *inexact)
{
	int64_t n = 0;

	if (!tuple)
		return 0;
	if (!phi_image_i64(o->d->img,
			   tuple + (uint64_t)PHI_L(o->d->lay, OB_SIZE), &n) ||
	    n < 0 || (uint64_t)n > o->d->img->bytes / 8) {
		*inexact = true;
		return 0;
	}
	return (uint64_t)n;
}

static uint64_t count_of(const struct phi_cobj *o, uint64_t off,
			 bool *inexact)
{
	int64_t r = (int64_t)rd(o, off);

	if (r < 0 || (uint64_t)r > o->d->img->bytes / 8) {
		*inexact = true;
		return 0;
	}
	return (uint64_t)r;
}

/* MPD_STATIC_DATA | MPD_SHARED_DATA | MPD_CONST_DATA: the digits are
 * not the Decimal's own allocation. */
#define MPD_DATAFLAGS 0xe0

static uint64_t size_decimal(const struct phi_cobj *o, uint64_t b,
			     bool *inexact)
{
	const unsigned char *flags =
		phi_image_ptr(o->d->img, o->addr + PHI_CT_DEC_DEC_FLAGS, 1);

	if (!flags) {
		*inexact = true;
		return b;
	}
	if (*flags & MPD_DATAFLAGS)
		return b;
	return phi_size_add(b, 8 * count_of(o, PHI_CT_DEC_DEC_ALLOC, inexact));
}

static uint64_t size_of(const struct phi_cobj *o, const struct spec *s,
			bool *inexact)
{
	uint64_t b = (uint64_t)o->ty->basicsize;

	switch (s->size) {
	case S_ELEMENT:
		return size_element(o, b, inexact);
	case S_STRUCT:
		return size_struct(o, b, inexact);
	case S_BUFFERED:
		return size_buffered(o, b, inexact);
	case S_BYTESIO:
		return size_bytesio(o, b, inexact);
	case S_ARRAY:
		return size_array(o, b, inexact);
	case S_PRODUCT:
		return b + 8 * tuple_size(o, rd(o, PHI_CT_PRODUCT_POOLS),
					  inexact);
	case S_COMB:
		return b + 8 * count_of(o, PHI_CT_COMBS_R, inexact);
	case S_PERMS:
		return b + 8 * tuple_size(o, rd(o, PHI_CT_PERMS_POOL),
					  inexact) +
		       8 * count_of(o, PHI_CT_PERMS_R, inexact);
	case S_DECIMAL:
		return size_decimal(o, b, inexact);
	default:
		return 0;
	}
}

/* object.__sizeof__, saturating. */
static uint64_t default_size(const struct phi_cobj *o)
{
	uint64_t size = (uint64_t)o->ty->basicsize;
	int64_t n;

	if (!o->ty->itemsize)
		return size;
	n = (int64_t)rd(o, (uint64_t)PHI_L(o->d->lay, OB_SIZE));
	return phi_size_add(size, phi_size_mul(n < 0 ? -(uint64_t)n :
						       (uint64_t)n,
					       (uint64_t)o->ty->itemsize));
}

/* Offsets a fallback decoder must not take for references: the weak
 * reference list head and the dict (visited apart, by the dict
 * offset), along with the members already collected as slots. */
static size_t skipped(const struct phi_cobj *o, int64_t *skip, size_t cap)
{
	const struct phi_types *ts = o->d->types;
	const struct phi_type *ty = o->ty;
	size_t n = 0;
	int64_t weak = tword(ts, ty->addr + TL(TP_WEAKLISTOFFSET));
	int64_t dict = phi_type_dict_offset(ts, ty, o->addr);

	if (weak > 0)
		skip[n++] = weak;
	if (dict > 0)
		skip[n++] = dict;
	for (uint32_t i = 0; i < ty->nslots && n < cap; i++)
		skip[n++] = ts->slot_offsets[ty->slots_start + i];
	return n;
}

#define MAX_SKIP 64

uint64_t phi_ctypes_decode(const struct phi_cobj *o, bool *inexact)
{
	struct phi_cstate *cs = o->d->types->ctypes;
	const struct phi_type *ty = o->ty;
	int64_t skip[MAX_SKIP];
	size_t nskip;

	*inexact = false;
	if (ty->decoder == PHI_DECODER_BUILTIN && ty->cspec < NSPECS) {
		const struct spec *s = &specs[ty->cspec];

		walk(o, s);
		if (s->size != S_DEFAULT)
			return size_of(o, s, inexact);
		return default_size(o);
	}
	if (ty->decoder == PHI_DECODER_DWARF && cs && ty->cspec < cs->ngen) {
		nskip = skipped(o, skip, MAX_SKIP);
		phi_cdwarf_visit(o, &cs->gen[ty->cspec], o->addr, skip, nskip);
	}
	return default_size(o);
}

void phi_ctypes_scan(const struct phi_cobj *o)
{
	const struct phi_type *ty = o->ty;
	int64_t skip[MAX_SKIP];
	size_t nskip;
	uint64_t from;

	if (ty->kind != PHI_K_OPAQUE || ty->decoder != PHI_DECODER_SCAN)
		return;
	nskip = skipped(o, skip, MAX_SKIP);
	/* Past the header (and ob_size), inside the fixed part. */
	from = (uint64_t)(ty->itemsize ? PHI_L(o->d->lay, VAROBJECT_SIZE) :
					 PHI_L(o->d->lay, OBJECT_SIZE));
	phi_cscan(o, o->addr, from, (uint64_t)ty->basicsize, skip, nskip);
}
