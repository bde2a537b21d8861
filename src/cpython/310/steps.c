/* Step names for paths.  Each looks at the parent object in the image to
 * find which of its slots holds the child; anything not recognised is
 * written as "->(type)" rather than guessed. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pyheapinspect/cpython/310/steps.h"
#include "pyheapinspect/cpython/310/dict.h"
#include "pyheapinspect/cpython/310/py310.h"
#include "pyheapinspect/cpython/310/types.h"
#include "pyheapinspect/cpython/310/str.h"
#include "pyheapinspect/cpython/310/value.h"

#define L(id) PHI_L(lb->lay, id)
/* A pointer-sized field of the image, 0 when it is not there. */
#define RD(addr) phi_image_word(lb->img, (addr))


struct phi_labeler {
	const struct phi_heap *h;
	const struct phi_image *img;
	const struct phi_layout *lay;
};
/* Items scanned to find a child in a list, tuple or set. */
#define MAX_SCAN (1u << 22)

static const struct phi_type *type_of(const struct phi_labeler *lb,
				      uint32_t node)
{
	return &lb->h->types.v[lb->h->g.type[node]];
}


/* Append pre + s + post. */
static void append(char *buf, size_t len, const char *pre, const char *s,
		   const char *post)
{
	size_t used = strlen(buf);

	if (used < len)
		snprintf(buf + used, len - used, "%s%s%s", pre, s, post);
}

/* A str key between quotes as it is: ' (" when it holds a '), its
 * characters unescaped (the JSON writer escapes them, and the text
 * report as base/escape.h says), but U+0000 written \x00: a path is a C
 * string.  Cut at a character boundary if out is too small. */
static void str_key(const char *v, size_t vlen, char *out, size_t len)
{
	char q = memchr(v, '\'', vlen) ? '"' : '\'';
	size_t n = 0, i = 0;

	if (len < 3) {
		if (len)
			out[0] = '\0';
		return;
	}
	out[n++] = q;
	while (i < vlen) {
		size_t k = 1;

		while (i + k < vlen && ((unsigned char)v[i + k] & 0xC0) == 0x80)
			k++;
		if (!v[i]) {
			if (n + 4 + 2 > len)
				break;
			memcpy(out + n, "\\x00", 4);
			n += 4;
		} else {
			if (n + k + 2 > len)
				break;
			memcpy(out + n, v + i, k);
			n += k;
		}
		i += k;
	}
	out[n++] = q;
	out[n] = '\0';
}

/* A dict key as Python source: 'text', 123, or <type at 0x...>. */
static void key_text(const struct phi_labeler *lb, uint64_t key, char *out,
		     size_t len)
{
	uint32_t n = phi_graph_find(&lb->h->g, key);
	char v[PHI_PREVIEW_BUF];
	size_t vlen;
	bool cut;
	enum phi_kind k = n == PHI_NONE ? PHI_K_OPAQUE : type_of(lb, n)->kind;

	if ((k == PHI_K_STR || k == PHI_K_LONG) &&
	    phi_value_preview_n(lb->img, lb->lay, k, key, v, sizeof(v), &vlen,
				&cut)) {
		if (k == PHI_K_STR)
			str_key(v, vlen, out, len);
		else
			snprintf(out, len, "%s", v);
	} else {
		snprintf(out, len, "<%s at 0x%" PRIx64 ">",
			 n == PHI_NONE ? "?" : type_of(lb, n)->name, key);
	}
}

/* Index of child among n pointers at arr, or -1. */
static int64_t find_item(const struct phi_labeler *lb, uint64_t arr,
			 int64_t n, uint64_t child)
{
	const uint64_t *p;

	if (n <= 0 || n > MAX_SCAN ||
	    !(p = phi_image_ptr(lb->img, arr, 8 * (uint64_t)n)))
		return -1;
	for (int64_t i = 0; i < n; i++) {
		uint64_t v;

		memcpy(&v, p + i, 8);
		if (v == child)
			return i;
	}
	return -1;
}

static bool dict_step(const struct phi_labeler *lb, uint64_t dict,
		      uint64_t child, char *buf, size_t len)
{
	struct phi_dict d;
	char key[PHI_PREVIEW_BUF + 64];

	if (!phi_dict_open(lb->img, lb->lay, dict, &d))
		return false;
	for (int64_t i = 0; i < d.dk_nentries; i++) {
		uint64_t k, v;

		if (!phi_dict_entry(&d, lb->lay, i, &k, &v))
			continue;
		if (v == child || k == child) {
			key_text(lb, k, key, sizeof(key));
			append(buf, len, v == child ? "[" : " key ", key,
			       v == child ? "]" : "");
			return true;
		}
	}
	return false;
}

static bool seq_step(const struct phi_labeler *lb, uint64_t arr, int64_t n,
		     uint64_t child, char *buf, size_t len)
{
	int64_t i = find_item(lb, arr, n, child);
	char idx[32];

	if (i < 0)
		return false;
	snprintf(idx, sizeof(idx), "%" PRId64, i);
	append(buf, len, "[", idx, "]");
	return true;
}

/* The name of a frame's fast local (or cell, or free variable) i. */
static bool frame_step(const struct phi_labeler *lb, uint64_t f,
		       uint64_t child, char *buf, size_t len)
{
	uint64_t code = RD(f + L(FRAME_CODE)), names;
	uint32_t nlocals = 0;
	int64_t i;
	struct phi_str s;
	char name[128];
	bool cut;

	phi_image_u32(lb->img, code + L(CODE_NLOCALS), &nlocals);
	i = find_item(lb, f + (uint64_t)L(FRAME_LOCALSPLUS),
		      (int64_t)nlocals, child);
	if (i < 0)
		return false;
	names = RD(code + L(CODE_VARNAMES));
	if (phi_str_read(lb->img, lb->lay,
			 RD(names + L(TUPLE_ITEM) + 8 * (uint64_t)i), &s) &&
	    s.data) {
		phi_str_utf8(&s, name, sizeof(name), 100, &cut);
		append(buf, len, " local '", name, "'");
	} else {
		append(buf, len, " local #", "?", "");
	}
	return true;
}

struct field_name {
	enum phi_kind kind;
	enum phi_layout_id id;
	const char *name;
};

static const struct field_name field_names[] = {
	{ PHI_K_MODULE, PHI_L_MODULE_DICT, ".__dict__" },
	{ PHI_K_TYPE, PHI_L_TP_DICT, ".__dict__" },
	{ PHI_K_TYPE, PHI_L_TP_MRO, ".__mro__" },
	{ PHI_K_TYPE, PHI_L_TP_BASES, ".__bases__" },
	{ PHI_K_TYPE, PHI_L_TP_BASE, ".__base__" },
	{ PHI_K_FUNCTION, PHI_L_FUNC_GLOBALS, ".__globals__" },
	{ PHI_K_FUNCTION, PHI_L_FUNC_CODE, ".__code__" },
	{ PHI_K_FUNCTION, PHI_L_FUNC_DEFAULTS, ".__defaults__" },
	{ PHI_K_FUNCTION, PHI_L_FUNC_KWDEFAULTS, ".__kwdefaults__" },
	{ PHI_K_FUNCTION, PHI_L_FUNC_CLOSURE, ".__closure__" },
	{ PHI_K_FUNCTION, PHI_L_FUNC_DICT, ".__dict__" },
	{ PHI_K_CELL, PHI_L_CELL_REF, ".cell_contents" },
	{ PHI_K_METHOD, PHI_L_METHOD_FUNC, ".__func__" },
	{ PHI_K_METHOD, PHI_L_METHOD_SELF, ".__self__" },
	{ PHI_K_FRAME, PHI_L_FRAME_BACK, ".f_back" },
	{ PHI_K_FRAME, PHI_L_FRAME_GLOBALS, ".f_globals" },
	{ PHI_K_FRAME, PHI_L_FRAME_LOCALS, ".f_locals" },
	{ PHI_K_FRAME, PHI_L_FRAME_CODE, ".f_code" },
	{ PHI_K_GEN, PHI_L_GEN_FRAME, ".gi_frame" },
	{ PHI_K_CORO, PHI_L_GEN_FRAME, ".cr_frame" },
	{ PHI_K_BASEEXC, PHI_L_EXC_ARGS, ".args" },
	{ PHI_K_BASEEXC, PHI_L_EXC_TRACEBACK, ".__traceback__" },
	{ PHI_K_BASEEXC, PHI_L_EXC_CONTEXT, ".__context__" },
	{ PHI_K_BASEEXC, PHI_L_EXC_CAUSE, ".__cause__" },
	{ PHI_K_TRACEBACK, PHI_L_TB_FRAME, ".tb_frame" },
	{ PHI_K_TRACEBACK, PHI_L_TB_NEXT, ".tb_next" },
	{ PHI_K_CODE, PHI_L_CODE_CONSTS, ".co_consts" },
	{ PHI_K_CODE, PHI_L_CODE_NAMES, ".co_names" },
	{ PHI_K_DEFDICT, PHI_L_DEFDICT_FACTORY, ".default_factory" },
	{ PHI_K_WEAKREF, PHI_L_WEAKREF_CALLBACK, ".__callback__" },
};

/* A field of a known kind, a __slots__ member, __dict__ or __class__. */
static bool field_step(const struct phi_labeler *lb, uint32_t parent,
		       uint64_t child, char *buf, size_t len)
{
	const struct phi_type *ty = type_of(lb, parent);
	uint64_t p = lb->h->g.addr[parent];
	int64_t off = phi_type_dict_offset(&lb->h->types, ty, p);
	char name[128];

	for (size_t i = 0; i < sizeof(field_names) / sizeof(*field_names);
	     i++) {
		int64_t f = lb->lay->v[field_names[i].id];

		if (field_names[i].kind == ty->kind &&
		    RD(p + (uint64_t)f) == child) {
			append(buf, len, "", field_names[i].name, "");
			return true;
		}
	}
	if (off > 0 && RD(p + (uint64_t)off) == child) {
		append(buf, len, "", ".__dict__", "");
		return true;
	}
	for (uint32_t i = 0; i < ty->nslots; i++) {
		int64_t s = lb->h->types.slot_offsets[ty->slots_start + i];

		if (RD(p + (uint64_t)s) == child &&
		    phi_type_member_name(&lb->h->types, ty, s, name,
					 sizeof(name))) {
			append(buf, len, ".", name, "");
			return true;
		}
	}
	if (child == ty->addr) {
		append(buf, len, "", ".__class__", "");
		return true;
	}
	return false;
}

static struct phi_labeler labeler(const struct phi_heap *h)
{
	return (struct phi_labeler){ h, h->img, phi310_layout(h->py) };
}

void phi310_label_step(const struct phi_heap *h, uint32_t parent,
		       uint32_t child, char *buf, size_t len)
{
	const struct phi_labeler lbv = labeler(h), *lb = &lbv;
	const struct phi_type *ty = type_of(lb, parent);
	uint64_t p = lb->h->g.addr[parent], c = lb->h->g.addr[child];
	int64_t n = (int64_t)RD(p + L(OB_SIZE));
	bool ok = false;

	switch (ty->kind) {
	case PHI_K_DICT:
	case PHI_K_ODICT:
	case PHI_K_DEFDICT:
		ok = dict_step(lb, p, c, buf, len);
		break;
	case PHI_K_LIST:
		ok = seq_step(lb, RD(p + L(LIST_ITEM)), n, c, buf, len);
		break;
	case PHI_K_TUPLE:
		ok = seq_step(lb, p + (uint64_t)L(TUPLE_ITEM), n, c, buf, len);
		break;
	case PHI_K_FRAME:
		ok = frame_step(lb, p, c, buf, len);
		break;
	case PHI_K_SET:
	case PHI_K_FROZENSET:
		append(buf, len, "", " item", "");
		ok = true;
		break;
	default:
		break;
	}
	if (!ok && !field_step(lb, parent, c, buf, len))
		append(buf, len, "->(", type_of(lb, child)->name, ")");
}

static void frame_name(const struct phi_labeler *lb, uint64_t f, char *out,
		       size_t len)
{
	struct phi_str s;
	bool cut;

	out[0] = '\0';
	if (phi_str_read(lb->img, lb->lay,
			 RD(RD(f + L(FRAME_CODE)) + L(CODE_NAME)), &s) &&
	    s.data)
		phi_str_utf8(&s, out, len, 100, &cut);
}

void phi310_label_root(const struct phi_heap *h, uint32_t node,
		       uint32_t root, char *buf, size_t len)
{
	const struct phi_labeler lbv = labeler(h), *lb = &lbv;
	static const char *const names[] = {
		[PHI_ROOT_MODULES] = "sys.modules",
		[PHI_ROOT_SYSDICT] = "sys.__dict__",
		[PHI_ROOT_BUILTINS] = "builtins.__dict__",
		[PHI_ROOT_INTERP] = "interpreter state",
		[PHI_ROOT_CACHE] = "interpreter cache",
		[PHI_ROOT_INTERNED] = "interned strings",
		[PHI_ROOT_SINGLETON] = "static singleton",
	};
	const struct phi_root *r;
	char name[128], pre[48];

	if (root == PHI_HEAP_EXTERNAL_ROOT) {
		snprintf(buf, len, "<%s at 0x%" PRIx64 " held outside the "
			 "heap>", type_of(lb, node)->name, lb->h->g.addr[node]);
		return;
	}
	r = &lb->h->roots[root];
	/* A subinterpreter's roots say whose they are: its sys.modules is
	 * not the main interpreter's. */
	phi_heap_interp_prefix(h, phi_heap_root_interp(h, r), pre,
			       sizeof(pre));
	if (r->kind == PHI_ROOT_FRAME) {
		frame_name(lb, lb->h->g.addr[node], name, sizeof(name));
		snprintf(buf, len, "%sthread 0x%" PRIx64 " frame %s()", pre,
			 r->thread_id, name);
	} else if (r->kind == PHI_ROOT_THREAD) {
		snprintf(buf, len, "%sthread 0x%" PRIx64 " state", pre,
			 r->thread_id);
	} else if ((size_t)r->kind < sizeof(names) / sizeof(*names) &&
		   names[r->kind]) {
		snprintf(buf, len, "%s%s", pre, names[r->kind]);
	} else {
		snprintf(buf, len, "%sroot", pre);
	}
}
