/* Decoders: for each kind, sys.getsizeof (the __sizeof__ of CPython 3.10
 * plus the GC header) and the referents (a superset of tp_traverse: dict
 * keys are always included).  Lengths read from the target are trusted
 * only as far as the image holds the data they describe. */
#include <string.h>

#include "pyheapinspect/base/sizes.h"
#include "pyheapinspect/cpython/310/ctypes.h"
#include "pyheapinspect/cpython/310/decode.h"
#include "pyheapinspect/cpython/310/dict.h"
#include "pyheapinspect/cpython/310/str.h"

#define L(id) PHI_L(c->d->lay, id)
/* collections.OrderedDict's linked-list node: key, hash, next, prev. */
#define ODICT_NODE_SIZE 32
/* _PyOpcache entries in 3.10 code objects. */
#define OPCACHE_ENTRY_SIZE 32

struct ctx {
	struct phi_decoder *d;
	uint64_t addr;
	/* The object's fixed part in the image, as far as the image holds
	 * it: fields inside it are read without a lookup each. */
	const unsigned char *obj;
	uint64_t objlen;
	const struct phi_type *ty;
	phi_visit_fn visit;
	void *vctx;
	bool inexact;      /* the size is not sys.getsizeof's */
	uint32_t state_refs;
};

static struct phi_cobj cobj(const struct ctx *c)
{
	return (struct phi_cobj){ .d = c->d, .addr = c->addr, .obj = c->obj,
				  .objlen = c->objlen, .ty = c->ty,
				  .visit = c->visit, .vctx = c->vctx };
}

static uint64_t rd(const struct ctx *c, int64_t off)
{
	uint64_t v = 0;

	if (off >= 0 && c->objlen >= 8 && (uint64_t)off <= c->objlen - 8) {
		memcpy(&v, c->obj + off, 8);
		return v;
	}
	if (!phi_image_u64(c->d->img, c->addr + (uint64_t)off, &v))
		c->d->bad_fields++;
	return v;
}

static int64_t rds(const struct ctx *c, int64_t off)
{
	return (int64_t)rd(c, off);
}

static void visit(const struct ctx *c, uint64_t p)
{
	if (p)
		c->visit(c->vctx, p, 0);
}

static void visit_field(const struct ctx *c, int64_t off)
{
	visit(c, rd(c, off));
}

/* n pointers at remote address arr; n is checked against the image. */
static void visit_array(const struct ctx *c, uint64_t arr, int64_t n)
{
	const uint64_t *p;

	if (n <= 0)
		return;
	if ((uint64_t)n > phi_image_avail(c->d->img, arr) / 8) {
		c->d->bad_fields++;
		return;
	}
	p = phi_image_ptr(c->d->img, arr, 8 * (uint64_t)n);
	for (int64_t i = 0; p && i < n; i++) {
		uint64_t v;

		memcpy(&v, p + i, 8);
		visit(c, v);
	}
}

/* |v| without overflow: the target may say INT64_MIN. */
static uint64_t abs64(int64_t v)
{
	return v < 0 ? -(uint64_t)v : (uint64_t)v;
}

/* object.__sizeof__: tp_basicsize + |ob_size| * tp_itemsize, which
 * saturates rather than wrap (the items of a var object are inline, but
 * not every kind of them is checked against the image). */
static uint64_t default_size(const struct ctx *c)
{
	uint64_t size = (uint64_t)c->ty->basicsize;

	if (c->ty->itemsize)
		size = phi_size_add(size,
				    phi_size_mul(abs64(rds(c, L(OB_SIZE))),
						 (uint64_t)c->ty->itemsize));
	return size;
}

static int64_t tuple_len(const struct phi_decoder *d, uint64_t tuple)
{
	int64_t n = 0;

	/* A length the image could not hold is a lie: 0, and sums of such
	 * lengths cannot overflow. */
	if (!tuple ||
	    !phi_image_i64(d->img, tuple + PHI_L(d->lay, OB_SIZE), &n) || n < 0 ||
	    (uint64_t)n > d->img->bytes / 8)
		return 0;
	return n;
}

static uint64_t do_tuple(const struct ctx *c)
{
	int64_t n = rds(c, L(OB_SIZE));

	/* A struct sequence keeps hidden fields after its visible ones. */
	if (c->ty->structseq_fields > n && c->ty->structseq_fields < 4096)
		n = c->ty->structseq_fields;
	visit_array(c, c->addr + (uint64_t)L(TUPLE_ITEM), n);
	return default_size(c);
}

static uint64_t do_list(const struct ctx *c)
{
	int64_t n = rds(c, L(OB_SIZE)), alloc = rds(c, L(LIST_ALLOCATED));

	if (n < 0 || alloc < n || alloc > (int64_t)1 << 60) {
		c->d->bad_fields++;
		return (uint64_t)c->ty->basicsize;
	}
	visit_array(c, rd(c, L(LIST_ITEM)), n);
	return phi_size_add((uint64_t)c->ty->basicsize, 8 * (uint64_t)alloc);
}

static uint64_t do_dict(const struct ctx *c)
{
	struct phi_dict dict;

	if (!phi_dict_open(c->d->img, c->d->lay, c->addr, &dict)) {
		c->d->bad_fields++;
		return (uint64_t)c->ty->basicsize;
	}
	for (int64_t i = 0; i < dict.dk_nentries; i++) {
		uint64_t k, v;

		if (phi_dict_entry(&dict, c->d->lay, i, &k, &v)) {
			/* A split table's keys are owned by the shared keys
			 * object of the class, not by this dict. */
			c->visit(c->vctx, k,
				 dict.values ? PHI_REF_UNCOUNTED : 0);
			visit(c, v);
		}
	}
	return phi_dict_sizeof(&dict, c->d->lay, c->ty->basicsize);
}

static uint64_t do_odict(const struct ctx *c)
{
	uint64_t size = do_dict(c);
	int64_t fast = rds(c, L(ODICT_FAST_NODES_SIZE));
	int64_t used = rds(c, L(DICT_USED));

	visit_field(c, L(ODICT_INST_DICT));
	if (fast > 0 && fast < (int64_t)1 << 40)
		size += 8 * (uint64_t)fast;
	if (used < 0 || used >= (int64_t)1 << 40) {
		c->d->bad_fields++;
		return size;
	}
	if (rd(c, L(ODICT_FIRST)))
		size += ODICT_NODE_SIZE * (uint64_t)used;
	return size;
}

static uint64_t do_defdict(const struct ctx *c)
{
	uint64_t size = do_dict(c);

	visit_field(c, L(DEFDICT_FACTORY));
	return size;
}

static uint64_t do_set(const struct ctx *c)
{
	uint64_t table = rd(c, L(SET_TABLE));
	int64_t mask = rds(c, L(SET_MASK));
	uint64_t esize = (uint64_t)L(SETENTRY_SIZE);
	uint64_t koff = (uint64_t)L(SETENTRY_KEY);
	const unsigned char *t;
	uint64_t n;

	/* A validated table says 16 and 0; whatever one says, an entry
	 * must hold its key, and the size divides below. */
	if (esize < 8 || esize > PHI_LAYOUT_MAX || koff > esize - 8) {
		c->d->bad_fields++;
		return (uint64_t)c->ty->basicsize;
	}
	if (mask < 0 || mask > (int64_t)1 << 40 || ((mask + 1) & mask)) {
		c->d->bad_fields++;
		return (uint64_t)c->ty->basicsize;
	}
	n = (uint64_t)mask + 1;
	if (n > phi_image_avail(c->d->img, table) / esize) {
		c->d->bad_fields++;
		return (uint64_t)c->ty->basicsize;
	}
	t = phi_image_ptr(c->d->img, table, n * esize);
	for (uint64_t i = 0; t && i < n; i++) {
		uint64_t key;

		memcpy(&key, t + i * esize + koff, 8);
		if (key && key != c->d->set_dummy)
			visit(c, key);
	}
	if (table == c->addr + (uint64_t)L(SET_SMALLTABLE))
		return (uint64_t)c->ty->basicsize;
	return (uint64_t)c->ty->basicsize + n * esize;
}

static uint64_t do_str(const struct ctx *c)
{
	struct phi_str s;

	if (!phi_str_read(c->d->img, c->d->lay, c->addr, &s)) {
		c->d->bad_fields++;
		return (uint64_t)c->ty->basicsize;
	}
	/* A compact str holds its characters: if they are not in the
	 * image, its length is a lie, and so would be a size from it. */
	if (s.compact && s.length && !s.data) {
		c->d->bad_fields++;
		return (uint64_t)L(ASCII_SIZE);
	}
	return s.size;
}

/* An int's digits are inline, written when it is made: an ob_size
 * whose digits the image does not hold is a lie (two ints of ob_size
 * 2^61 would claim 16 EiB). */
static uint64_t do_long(const struct ctx *c)
{
	uint64_t n = abs64(rds(c, L(OB_SIZE)));
	uint64_t digits = c->addr + (uint64_t)L(LONG_DIGIT);

	if (n > phi_image_avail(c->d->img, digits) / 4) {
		c->d->bad_fields++;
		return (uint64_t)L(LONG_DIGIT);
	}
	return (uint64_t)L(LONG_DIGIT) + 4 * n;
}

/* The buffer past ob_size may never have been touched: ob_alloc is
 * believed, and saturates. */
static uint64_t do_bytearray(const struct ctx *c)
{
	int64_t alloc = rds(c, L(BYTEARRAY_ALLOC));

	return phi_size_add((uint64_t)c->ty->basicsize,
			    alloc > 0 ? (uint64_t)alloc : 0);
}

static uint64_t do_type(const struct ctx *c)
{
	int64_t flags = rds(c, L(TP_FLAGS));
	uint64_t keys;

	visit_field(c, L(TP_DICT));
	visit_field(c, L(TP_MRO));
	visit_field(c, L(TP_BASES));
	visit_field(c, L(TP_SUBCLASSES));
	if (!((uint64_t)flags & PHI_TPFLAGS_HEAPTYPE)) {
		/* A static type's tp_base is a plain C pointer, not a
		 * reference it owns. */
		if (rd(c, L(TP_BASE)))
			c->visit(c->vctx, rd(c, L(TP_BASE)), PHI_REF_UNCOUNTED);
		return (uint64_t)L(TP_SIZE);
	}
	visit_field(c, L(TP_BASE));
	visit_field(c, L(HT_NAME));
	visit_field(c, L(HT_QUALNAME));
	visit_field(c, L(HT_SLOTS));
	visit_field(c, L(HT_MODULE));
	keys = rd(c, L(HT_CACHED_KEYS));
	return (uint64_t)L(HT_SIZE) +
	       (keys ? phi_dict_keys_size(c->d->img, c->d->lay, keys) : 0);
}

/* module_traverse: the state's references (m_traverse), then md_dict. */
static uint64_t do_module(struct ctx *c)
{
	struct phi_cobj o = cobj(c);

	c->state_refs = phi_modstate_visit(&o, false);
	visit_field(c, L(MODULE_DICT));
	visit_field(c, L(MODULE_NAME));
	return default_size(c);
}

static uint64_t do_function(const struct ctx *c)
{
	static const enum phi_layout_id f[] = {
		PHI_L_FUNC_GLOBALS, PHI_L_FUNC_BUILTINS, PHI_L_FUNC_NAME,
		PHI_L_FUNC_QUALNAME, PHI_L_FUNC_CODE, PHI_L_FUNC_DEFAULTS,
		PHI_L_FUNC_KWDEFAULTS, PHI_L_FUNC_CLOSURE, PHI_L_FUNC_DOC,
		PHI_L_FUNC_DICT, PHI_L_FUNC_MODULE, PHI_L_FUNC_ANNOTATIONS,
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		visit_field(c, c->d->lay->v[f[i]]);
	return default_size(c);
}

static uint64_t do_code(const struct ctx *c)
{
	static const enum phi_layout_id f[] = {
		PHI_L_CODE_CODE, PHI_L_CODE_CONSTS, PHI_L_CODE_NAMES,
		PHI_L_CODE_VARNAMES, PHI_L_CODE_FREEVARS, PHI_L_CODE_CELLVARS,
		PHI_L_CODE_FILENAME, PHI_L_CODE_NAME, PHI_L_CODE_LINETABLE,
	};
	uint64_t size = (uint64_t)L(CODE_SIZE), extra, opcache;

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		visit_field(c, c->d->lay->v[f[i]]);
	if (rd(c, L(CODE_CELL2ARG)) && rd(c, L(CODE_CELLVARS)))
		size += 8 * (uint64_t)tuple_len(c->d, rd(c, L(CODE_CELLVARS)));
	extra = rd(c, L(CODE_EXTRA));
	if (extra) {
		int64_t n = 0;

		/* _PyCodeObjectExtra: ce_size, then ce_extras[1]. */
		if (phi_image_i64(c->d->img, extra, &n) && n > 0 &&
		    n < (int64_t)1 << 20)
			size += 16 + 8 * (uint64_t)(n - 1);
	}
	opcache = rd(c, L(CODE_OPCACHE));
	if (opcache) {
		uint64_t code = rd(c, L(CODE_CODE));
		unsigned char osize = 0;
		const unsigned char *p =
			phi_image_ptr(c->d->img, c->addr + L(CODE_OPCACHE_SIZE),
				      1);
		int64_t nbytes = 0;

		if (p)
			osize = *p;
		if (code)
			phi_image_i64(c->d->img, code + L(OB_SIZE), &nbytes);
		size += (uint64_t)(nbytes > 0 ? nbytes / 2 : 0) +
			OPCACHE_ENTRY_SIZE * (uint64_t)osize;
	}
	return size;
}

static uint64_t do_frame(const struct ctx *c)
{
	uint64_t code = rd(c, L(FRAME_CODE));
	int32_t nlocals = 0, stacksize = 0;
	int64_t ncells = 0, nfrees = 0, slots, depth = 0;
	uint32_t v;

	visit_field(c, L(FRAME_BACK));
	visit(c, code);
	visit_field(c, L(FRAME_BUILTINS));
	visit_field(c, L(FRAME_GLOBALS));
	visit_field(c, L(FRAME_LOCALS));
	visit_field(c, L(FRAME_TRACE));
	if (phi_image_u32(c->d->img, code + L(CODE_NLOCALS), &v))
		nlocals = (int32_t)v;
	if (phi_image_u32(c->d->img, code + L(CODE_STACKSIZE), &v))
		stacksize = (int32_t)v;
	if (nlocals < 0 || stacksize < 0) {
		c->d->bad_fields++;
		return (uint64_t)L(FRAME_SIZE);
	}
	ncells = tuple_len(c->d, phi_image_word(c->d->img, code + L(CODE_CELLVARS)));
	nfrees = tuple_len(c->d, phi_image_word(c->d->img, code + L(CODE_FREEVARS)));
	slots = nlocals + ncells + nfrees;
	visit_array(c, c->addr + (uint64_t)L(FRAME_LOCALSPLUS), slots);
	if (phi_image_u32(c->d->img, c->addr + L(FRAME_STACKDEPTH), &v))
		depth = (int32_t)v;
	/* -1 while executing: the stack pointer is in a C local then. */
	if (depth > 0 && depth <= stacksize)
		visit_array(c, c->addr + (uint64_t)L(FRAME_LOCALSPLUS) +
				       8 * (uint64_t)slots, depth);
	/* frame_sizeof counts one slot less than it allocates. */
	return (uint64_t)L(FRAME_SIZE) +
	       8 * (uint64_t)(slots + stacksize - 1);
}

static uint64_t do_gen(const struct ctx *c)
{
	/* Offsets summed unsigned: whatever the table says, no signed
	 * overflow (rd() checks where the sum lands). */
	uint64_t exc = (uint64_t)L(GEN_EXC_STATE);

	visit_field(c, L(GEN_FRAME));
	visit_field(c, L(GEN_CODE));
	visit_field(c, L(GEN_NAME));
	visit_field(c, L(GEN_QUALNAME));
	visit_field(c, (int64_t)(exc + (uint64_t)L(ERRSTACK_TYPE)));
	visit_field(c, (int64_t)(exc + (uint64_t)L(ERRSTACK_VALUE)));
	visit_field(c, (int64_t)(exc + (uint64_t)L(ERRSTACK_TB)));
	if (c->ty->kind == PHI_K_CORO)
		visit_field(c, L(CORO_ORIGIN));
	else if (c->ty->kind == PHI_K_ASYNCGEN)
		visit_field(c, L(ASYNCGEN_FINALIZER));
	return default_size(c);
}

/* collections.deque: a chain of blocks from leftblock to rightblock.
 * The target may lie about every part of it, so the walk is bounded
 * three ways: by the blocks ob_size needs, by the blocks the image could
 * hold, and by a cycle check (Floyd's: a second pointer that moves every
 * other step meets the first inside any loop), and it ends at
 * rightblock. */
static uint64_t do_deque(const struct ctx *c)
{
	const uint64_t bsize = PHI_DEQUE_BLOCK_RIGHTLINK + 8;
	int64_t n = rds(c, L(OB_SIZE)), idx = rds(c, L(DEQUE_LEFTINDEX));
	uint64_t block = rd(c, L(DEQUE_LEFTBLOCK));
	uint64_t last = rd(c, L(DEQUE_RIGHTBLOCK)), slow = block;
	uint64_t blocks, walked = 0;

	if (n < 0 || idx < 0 || idx >= PHI_DEQUE_BLOCKLEN) {
		c->d->bad_fields++;
		return (uint64_t)c->ty->basicsize;
	}
	blocks = ((uint64_t)idx + (uint64_t)n + PHI_DEQUE_BLOCKLEN - 1) /
		 PHI_DEQUE_BLOCKLEN;
	if (blocks > c->d->img->bytes / bsize) {
		c->d->bad_fields++;
		return (uint64_t)c->ty->basicsize;
	}
	for (int64_t i = 0; i < n && block && walked < blocks; walked++) {
		const uint64_t *data = phi_image_ptr(
			c->d->img, block + PHI_DEQUE_BLOCK_DATA,
			8 * PHI_DEQUE_BLOCKLEN);
		uint64_t next = 0;

		if (!data ||
		    !phi_image_u64(c->d->img, block + PHI_DEQUE_BLOCK_RIGHTLINK,
				   &next)) {
			c->d->bad_fields++;
			break;
		}
		for (; idx < PHI_DEQUE_BLOCKLEN && i < n; idx++, i++) {
			uint64_t v;

			memcpy(&v, data + idx, 8);
			visit(c, v);
		}
		idx = 0;
		if (block == last)
			break;
		block = next;
		if (walked & 1)
			slow = phi_image_word(c->d->img,
					      slow + PHI_DEQUE_BLOCK_RIGHTLINK);
		if (block == slow) {
			c->d->bad_fields++;
			break;
		}
	}
	return (uint64_t)c->ty->basicsize + blocks * bsize;
}

static uint64_t do_fields(const struct ctx *c, const enum phi_layout_id *f,
			  size_t n)
{
	for (size_t i = 0; i < n; i++)
		visit_field(c, c->d->lay->v[f[i]]);
	return default_size(c);
}

#define FIELDS(...)                                                       \
	do {                                                              \
		static const enum phi_layout_id f_[] = { __VA_ARGS__ };   \
		return do_fields(c, f_, sizeof(f_) / sizeof(f_[0]));      \
	} while (0)

static uint64_t do_weakref(const struct ctx *c)
{
	uint64_t obj = rd(c, L(WEAKREF_OBJECT));

	if (obj)
		c->visit(c->vctx, obj, PHI_REF_WEAK);
	visit_field(c, L(WEAKREF_CALLBACK));
	return default_size(c);
}

/* A C type's instance: its built-in decoder, its struct from DWARF, or
 * (after every other referent: visit_extras, scan_last) the scan. */
static uint64_t do_ctype(struct ctx *c)
{
	struct phi_cobj o = cobj(c);

	return phi_ctypes_decode(&o, &c->inexact);
}

/* What the conservative scans find comes last: the graph builder takes
 * the node's edges from the first conservative one on as conservative. */
static void scan_last(struct ctx *c)
{
	struct phi_cobj o = cobj(c);

	if (c->ty->kind == PHI_K_MODULE)
		c->state_refs += phi_modstate_visit(&o, true);
	else if (c->ty->kind == PHI_K_OPAQUE)
		phi_ctypes_scan(&o);
}

static uint64_t by_kind(struct ctx *c)
{
	switch (c->ty->kind) {
	case PHI_K_TUPLE: return do_tuple(c);
	case PHI_K_LIST: return do_list(c);
	case PHI_K_DICT: return do_dict(c);
	case PHI_K_ODICT: return do_odict(c);
	case PHI_K_DEFDICT: return do_defdict(c);
	case PHI_K_SET:
	case PHI_K_FROZENSET: return do_set(c);
	case PHI_K_STR: return do_str(c);
	case PHI_K_LONG:
	case PHI_K_BOOL: return do_long(c);
	case PHI_K_BYTEARRAY: return do_bytearray(c);
	case PHI_K_TYPE: return do_type(c);
	case PHI_K_MODULE: return do_module(c);
	case PHI_K_FUNCTION: return do_function(c);
	case PHI_K_CODE: return do_code(c);
	case PHI_K_FRAME: return do_frame(c);
	case PHI_K_GEN:
	case PHI_K_CORO:
	case PHI_K_ASYNCGEN: return do_gen(c);
	case PHI_K_DEQUE: return do_deque(c);
	case PHI_K_WEAKREF:
	case PHI_K_WEAKPROXY:
	case PHI_K_WEAKCALLABLEPROXY: return do_weakref(c);
	case PHI_K_CELL: FIELDS(PHI_L_CELL_REF);
	case PHI_K_METHOD: FIELDS(PHI_L_METHOD_FUNC, PHI_L_METHOD_SELF);
	case PHI_K_CFUNCTION: FIELDS(PHI_L_CFUNC_SELF, PHI_L_CFUNC_MODULE);
	case PHI_K_CMETHOD:
		FIELDS(PHI_L_CFUNC_SELF, PHI_L_CFUNC_MODULE,
		       PHI_L_CMETHOD_CLASS);
	case PHI_K_PROPERTY:
		FIELDS(PHI_L_PROPERTY_GET, PHI_L_PROPERTY_SET,
		       PHI_L_PROPERTY_DEL, PHI_L_PROPERTY_DOC,
		       PHI_L_PROPERTY_NAME);
	case PHI_K_CLASSMETHOD:
		FIELDS(PHI_L_CLASSMETHOD_CALLABLE, PHI_L_CLASSMETHOD_DICT);
	case PHI_K_STATICMETHOD:
		FIELDS(PHI_L_STATICMETHOD_CALLABLE, PHI_L_STATICMETHOD_DICT);
	case PHI_K_MEMBERDESCR:
	case PHI_K_METHODDESCR:
	case PHI_K_GETSETDESCR:
	case PHI_K_WRAPPERDESCR:
	case PHI_K_CLASSMETHODDESCR:
		FIELDS(PHI_L_DESCR_TYPE, PHI_L_DESCR_NAME,
		       PHI_L_DESCR_QUALNAME);
	case PHI_K_BASEEXC:
		FIELDS(PHI_L_EXC_DICT, PHI_L_EXC_ARGS, PHI_L_EXC_TRACEBACK,
		       PHI_L_EXC_CONTEXT, PHI_L_EXC_CAUSE);
	case PHI_K_TRACEBACK: FIELDS(PHI_L_TB_NEXT, PHI_L_TB_FRAME);
	case PHI_K_SLICE:
		FIELDS(PHI_L_SLICE_START, PHI_L_SLICE_STOP, PHI_L_SLICE_STEP);
	case PHI_K_RANGE:
		FIELDS(PHI_L_RANGE_START, PHI_L_RANGE_STOP, PHI_L_RANGE_STEP,
		       PHI_L_RANGE_LENGTH);
	case PHI_K_MAPPINGPROXY: FIELDS(PHI_L_MAPPINGPROXY_MAPPING);
	case PHI_K_OPAQUE: return do_ctype(c);
	default:
		/* Scalars, singletons, plain instances and opaque objects:
		 * object.__sizeof__, no referents of their own. */
		return default_size(c);
	}
}

static void visit_extras(const struct ctx *c)
{
	const struct phi_types *ts = c->d->types;

	if (c->ty->own_dict) {
		int64_t off = phi_type_dict_offset(ts, c->ty, c->addr);

		if (off > 0)
			visit_field(c, off);
	}
	for (uint32_t i = 0; i < c->ty->nslots; i++)
		visit_field(c, ts->slot_offsets[c->ty->slots_start + i]);
	/* Instances of heap types hold their type (subtype_traverse). */
	if (c->ty->heap)
		visit(c, c->ty->addr);
}

static bool is_gc(const struct ctx *c)
{
	if (!c->ty->has_gc)
		return false;
	/* tp_is_gc exists only for type and metatypes: a type object has
	 * a GC header iff it is a heap type. */
	if (c->ty->is_gc_fn)
		return rd(c, L(TP_FLAGS)) & PHI_TPFLAGS_HEAPTYPE;
	return true;
}

void phi_decode(struct phi_decoder *d, uint64_t addr,
		const struct phi_type *ty, phi_visit_fn visitfn, void *vctx,
		struct phi_decoded *out)
{
	struct ctx c = { .d = d, .addr = addr, .ty = ty, .visit = visitfn,
			 .vctx = vctx };
	uint64_t gchead = (uint64_t)PHI_L(d->lay, GCHEAD_SIZE), next = 0;
	uint64_t fixed = ty->basicsize > 0 ? (uint64_t)ty->basicsize : 0;

	c.objlen = phi_image_avail(d->img, addr);
	if (c.objlen > fixed)
		c.objlen = fixed;
	c.obj = c.objlen ? phi_image_ptr(d->img, addr, c.objlen) : NULL;
	if (!c.obj)
		c.objlen = 0;
	memset(out, 0, sizeof(*out));
	out->opaque = ty->kind == PHI_K_OPAQUE &&
		      ty->decoder == PHI_DECODER_SCAN;
	out->dwarf = ty->kind == PHI_K_OPAQUE &&
		     ty->decoder == PHI_DECODER_DWARF;
	out->size = by_kind(&c);
	visit_extras(&c);
	scan_last(&c);
	out->inexact = c.inexact || !ty->size_exact;
	out->state_refs = c.state_refs;
	out->gc = is_gc(&c);
	if (out->gc) {
		out->size = phi_size_add(out->size, gchead);
		if (phi_image_u64(d->img,
				  addr - gchead + PHI_L(d->lay, GCHEAD_NEXT),
				  &next))
			out->tracked = next != 0;
	}
}

void phi_decode_prefetch(const struct phi_decoder *d, uint64_t addr,
			 const struct phi_type *ty)
{
	uint64_t p = 0;

	switch (ty->kind) {
	case PHI_K_LIST:
		if (phi_image_u64(d->img, addr + PHI_L(d->lay, LIST_ITEM), &p))
			phi_image_prefetch(d->img, p, 1);
		break;
	case PHI_K_DICT:
	case PHI_K_ODICT:
	case PHI_K_DEFDICT:
		/* The keys object: its header, indices and first entries. */
		if (phi_image_u64(d->img, addr + PHI_L(d->lay, DICT_KEYS), &p))
			phi_image_prefetch(d->img, p, 3);
		if (phi_image_u64(d->img, addr + PHI_L(d->lay, DICT_VALUES),
				  &p) && p)
			phi_image_prefetch(d->img, p, 1);
		break;
	default:
		break;
	}
}

