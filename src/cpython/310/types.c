/* Type objects: validation, kind, layout facts and names.  A type is only
 * accepted when its own type is a type (the metatype has
 * Py_TPFLAGS_TYPE_SUBCLASS) and its sizes are plausible, so a garbage
 * ob_type cannot send the decoders astray. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/graph/graph.h"
#include "pyheapinspect/cpython/310/ctypes.h"
#include "pyheapinspect/cpython/310/dict.h"
#include "pyheapinspect/cpython/310/py310.h"
#include "pyheapinspect/cpython/310/str.h"
#include "pyheapinspect/cpython/310/types.h"

#define TPFLAGS_READY (1UL << 12)
#define T_OBJECT 6
#define T_OBJECT_EX 16
#define MAX_BASICSIZE (1 << 20)
#define MAX_ITEMSIZE (1 << 16)
#define MAX_TP_NAME 256
#define NAME_MAX_LEN 512

static const enum phi_sym_id kind_symbol[PHI_K__COUNT] = {
#define PHI_KIND_SYM(kind, sym) [PHI_K_##kind] = PHI_S_##sym,
	PHI_KINDS(PHI_KIND_SYM)
#undef PHI_KIND_SYM
};

static uint64_t hash_addr(uint64_t a)
{
	a >>= 3;
	a *= 0x9e3779b97f4a7c15ULL;
	return a ^ (a >> 29);
}

int phi_types_init(struct phi_types *ts, const struct phi_image *img,
		   const struct phi_python *py, struct phi_error *err)
{
	const struct phi310 *t = phi310(py);

	memset(ts, 0, sizeof(*ts));
	ts->img = img;
	ts->py = py;
	ts->hmask = 4095;
	ts->hslots = calloc(ts->hmask + 1, sizeof(*ts->hslots));
	if (!ts->hslots)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	for (int k = 0; k < PHI_K__COUNT; k++)
		ts->kind_type[k] = kind_symbol[k] < PHI_S__COUNT ?
					   t->sym[kind_symbol[k]] : 0;
	return 0;
}

void phi_types_release(struct phi_types *ts)
{
	for (size_t i = 0; i < ts->n; i++)
		free(ts->v[i].name);
	free(ts->v);
	free(ts->hslots);
	free(ts->slot_offsets);
	phi_ctypes_release(ts);
	memset(ts, 0, sizeof(*ts));
}

static uint32_t lookup(const struct phi_types *ts, uint64_t addr,
		       uint64_t *slot)
{
	uint64_t h = hash_addr(addr) & ts->hmask;

	while (ts->hslots[h]) {
		if (ts->v[ts->hslots[h] - 1].addr == addr)
			return ts->hslots[h] - 1;
		h = (h + 1) & ts->hmask;
	}
	*slot = h;
	return PHI_NONE;
}

static bool rd64(const struct phi_types *ts, uint64_t addr, int64_t *v)
{
	return phi_image_i64(ts->img, addr, v);
}

/* Is addr a plausible type object?  Fills the raw fields. */
static bool validate(const struct phi_types *ts, uint64_t addr,
		     struct phi_type *ty)
{
	const struct phi_layout *lay = phi310_layout(ts->py);
	int64_t meta = 0, metaflags = 0, flags = 0, name = 0;

	if (!addr || (addr & 7) ||
	    !phi_image_ptr(ts->img, addr, (size_t)PHI_L(lay, TP_SIZE)))
		return false;
	if (!rd64(ts, addr + PHI_L(lay, OB_TYPE), &meta) ||
	    !rd64(ts, (uint64_t)meta + PHI_L(lay, TP_FLAGS), &metaflags) ||
	    !((uint64_t)metaflags & PHI_TPFLAGS_TYPE_SUBCLASS))
		return false;
	rd64(ts, addr + PHI_L(lay, TP_FLAGS), &flags);
	rd64(ts, addr + PHI_L(lay, TP_BASICSIZE), &ty->basicsize);
	rd64(ts, addr + PHI_L(lay, TP_ITEMSIZE), &ty->itemsize);
	rd64(ts, addr + PHI_L(lay, TP_DICTOFFSET), &ty->dictoffset);
	rd64(ts, addr + PHI_L(lay, TP_NAME), &name);
	if (!((uint64_t)flags & TPFLAGS_READY) || ty->basicsize < 16 ||
	    ty->basicsize > MAX_BASICSIZE || ty->itemsize < 0 ||
	    ty->itemsize > MAX_ITEMSIZE || ty->dictoffset < -MAX_BASICSIZE ||
	    ty->dictoffset > MAX_BASICSIZE)
		return false;
	if (!phi_image_ptr(ts->img, (uint64_t)name, 1))
		return false;
	ty->addr = addr;
	ty->tp_flags = (uint64_t)flags;
	ty->heap = ty->tp_flags & PHI_TPFLAGS_HEAPTYPE;
	ty->has_gc = ty->tp_flags & PHI_TPFLAGS_HAVE_GC;
	{
		int64_t is_gc = 0;

		rd64(ts, addr + PHI_L(lay, TP_IS_GC), &is_gc);
		ty->is_gc_fn = is_gc != 0;
	}
	return true;
}

static enum phi_kind known_kind(const struct phi_types *ts, uint64_t addr)
{
	for (int k = 0; k < PHI_K__COUNT; k++)
		if (ts->kind_type[k] && ts->kind_type[k] == addr)
			return (enum phi_kind)k;
	return PHI_K__COUNT;
}

/* A static C subclass of a known type shares its decoder only when its
 * instances have the same layout; exception subclasses may add fields,
 * which their tp_members describe (pytype.c collects those). */
static bool same_layout(const struct phi_types *ts, enum phi_kind k,
			int64_t basicsize, int64_t itemsize)
{
	const struct phi_layout *lay = phi310_layout(ts->py);
	int64_t kb = 0, ki = 0;

	if (k == PHI_K_BASEEXC)
		return true;
	rd64(ts, ts->kind_type[k] + PHI_L(lay, TP_BASICSIZE), &kb);
	rd64(ts, ts->kind_type[k] + PHI_L(lay, TP_ITEMSIZE), &ki);
	return basicsize == kb && itemsize == ki;
}

/* The kind: nearest known static type along tp_base.  Class-statement
 * heap types are transparent (their additions are __dict__ and
 * __slots__); a heap type made in C (its own tp_dealloc), or a static
 * type whose layout differs from the known type it derives from, has
 * fields the tool cannot know: its instances are opaque. */
static enum phi_kind find_kind(const struct phi_types *ts, uint64_t addr)
{
	const struct phi_layout *lay = phi310_layout(ts->py);
	uint64_t subtype_dealloc = phi310(ts->py)->sym[PHI_S_SUBTYPE_DEALLOC];
	int64_t sbasic = -1, sitem = -1;
	uint64_t seen[PHI_MAX_BASES];

	for (int depth = 0; addr && depth < PHI_MAX_BASES; depth++) {
		int64_t flags = 0, dealloc = 0, base = 0;
		enum phi_kind k = known_kind(ts, addr);

		/* A tp_base chain that loops reaches no known type. */
		for (int j = 0; j < depth; j++)
			if (seen[j] == addr)
				return PHI_K_OPAQUE;
		seen[depth] = addr;

		if (k != PHI_K__COUNT)
			return sbasic < 0 || same_layout(ts, k, sbasic, sitem) ?
				       k : PHI_K_OPAQUE;
		if (!rd64(ts, addr + PHI_L(lay, TP_FLAGS), &flags) ||
		    !rd64(ts, addr + PHI_L(lay, TP_BASE), &base))
			return PHI_K_OPAQUE;
		rd64(ts, addr + PHI_L(lay, TP_DEALLOC), &dealloc);
		if ((uint64_t)flags & PHI_TPFLAGS_HEAPTYPE) {
			if (subtype_dealloc &&
			    (uint64_t)dealloc != subtype_dealloc)
				return PHI_K_OPAQUE;
		} else if (sbasic < 0) {
			/* The most derived static type fixes the layout. */
			rd64(ts, addr + PHI_L(lay, TP_BASICSIZE), &sbasic);
			rd64(ts, addr + PHI_L(lay, TP_ITEMSIZE), &sitem);
		}
		addr = (uint64_t)base;
	}
	return PHI_K_OPAQUE;
}

static char *str_dup_utf8(const struct phi_types *ts, uint64_t addr)
{
	struct phi_str s;
	char buf[NAME_MAX_LEN];
	bool cut;

	if (!phi_str_read(ts->img, phi310_layout(ts->py), addr, &s) || !s.data)
		return NULL;
	phi_str_utf8(&s, buf, sizeof(buf), NAME_MAX_LEN / 4, &cut);
	return strdup(buf);
}

static char *static_name(const struct phi_types *ts, uint64_t addr)
{
	const struct phi_layout *lay = phi310_layout(ts->py);
	int64_t name = 0;
	size_t avail;
	const char *p;

	rd64(ts, addr + PHI_L(lay, TP_NAME), &name);
	avail = phi_image_avail(ts->img, (uint64_t)name);
	p = phi_image_ptr(ts->img, (uint64_t)name, 1);
	if (!p)
		return strdup("?");
	if (avail > MAX_TP_NAME)
		avail = MAX_TP_NAME;
	return strndup(p, strnlen(p, avail));
}

/* module.qualname, or qualname alone for builtins. */
static char *type_name(const struct phi_types *ts, const struct phi_type *ty)
{
	const struct phi_layout *lay = phi310_layout(ts->py);
	int64_t qual = 0, dict = 0;
	char *q, *m = NULL, *out;

	if (!ty->heap)
		return static_name(ts, ty->addr);
	rd64(ts, ty->addr + PHI_L(lay, HT_QUALNAME), &qual);
	rd64(ts, ty->addr + PHI_L(lay, TP_DICT), &dict);
	q = str_dup_utf8(ts, (uint64_t)qual);
	if (!q)
		return static_name(ts, ty->addr);
	if (dict)
		m = str_dup_utf8(ts, phi_dict_get_str(ts->img, lay,
						      (uint64_t)dict,
						      "__module__"));
	if (!m || strcmp(m, "builtins") == 0) {
		free(m);
		return q;
	}
	out = malloc(strlen(m) + strlen(q) + 2);
	if (out)
		sprintf(out, "%s.%s", m, q);
	free(m);
	free(q);
	return out;
}

static int push_slot(struct phi_types *ts, int64_t off)
{
	if (ts->nslot_offsets == ts->slot_cap) {
		size_t ncap = ts->slot_cap ? ts->slot_cap * 2 : 256;
		int64_t *p = realloc(ts->slot_offsets, ncap * sizeof(*p));

		if (!p)
			return -1;
		ts->slot_offsets = p;
		ts->slot_cap = ncap;
	}
	ts->slot_offsets[ts->nslot_offsets++] = off;
	return 0;
}

/* Called for each object member; returning true stops the walk. */
typedef bool (*member_fn)(void *ctx, uint64_t name, int64_t offset);

/* PyMemberDefs read for one question about a type, over its whole MRO:
 * 64 classes of 4096 members each would be 2^18 reads per type. */
#define MEMBER_BUDGET PHI_MAX_MEMBERS

/* One PyMemberDef at m: true with its name and offset when it is an
 * object member (T_OBJECT or T_OBJECT_EX). */
static bool member_at(const struct phi_types *ts, uint64_t m, uint64_t *name,
		      int64_t *off, bool *end)
{
	const struct phi_layout *lay = phi310_layout(ts->py);
	uint32_t type = 0;
	int64_t nm = 0;

	*end = !rd64(ts, m + PHI_L(lay, MEMBERDEF_NAME), &nm) || !nm ||
	       !phi_image_u32(ts->img, m + PHI_L(lay, MEMBERDEF_TYPE), &type) ||
	       !rd64(ts, m + PHI_L(lay, MEMBERDEF_OFFSET), off);
	*name = (uint64_t)nm;
	return !*end && (type == T_OBJECT || type == T_OBJECT_EX) && *off >= 16;
}

/* The object members a class declares itself: a heap class's __slots__
 * (as many PyMemberDefs right after the type object as its ob_size), or
 * a static class's NULL-terminated tp_members. */
static bool each_member(const struct phi_types *ts, uint64_t cls,
			member_fn fn, void *ctx, uint64_t *budget)
{
	const struct phi_layout *lay = phi310_layout(ts->py);
	int64_t n = PHI_MAX_MEMBERS, flags = 0, meta = 0, metasize = 0;
	int64_t first = 0, off;
	uint64_t msize = (uint64_t)PHI_L(lay, MEMBERDEF_SIZE), name;
	bool end;

	if (!rd64(ts, cls + PHI_L(lay, TP_FLAGS), &flags))
		return false;
	if ((uint64_t)flags & PHI_TPFLAGS_HEAPTYPE) {
		if (!rd64(ts, cls + PHI_L(lay, OB_SIZE), &n) ||
		    !rd64(ts, cls + PHI_L(lay, OB_TYPE), &meta) ||
		    !rd64(ts, (uint64_t)meta + PHI_L(lay, TP_BASICSIZE),
			  &metasize) ||
		    n <= 0 || n > PHI_MAX_MEMBERS || metasize <= 0 ||
		    metasize > MAX_BASICSIZE)
			return false;
		first = (int64_t)cls + metasize;
	} else if (!rd64(ts, cls + PHI_L(lay, TP_MEMBERS), &first) || !first) {
		return false;
	}
	for (int64_t i = 0; i < n && *budget; i++) {
		bool obj;

		--*budget;
		obj = member_at(ts, (uint64_t)first + (uint64_t)i * msize,
				&name, &off, &end);

		if (end)
			break;
		if (obj && fn(ctx, name, off))
			return true;
	}
	return false;
}

/* Each class of ty's MRO, most derived first; stops when fn says so. */
static bool each_mro_class(const struct phi_types *ts,
			   const struct phi_type *ty,
			   bool (*fn)(void *ctx, uint64_t cls), void *ctx)
{
	const struct phi_layout *lay = phi310_layout(ts->py);
	int64_t mro = 0, n = 0;

	uint64_t seen[PHI_MAX_BASES];

	if (!rd64(ts, ty->addr + PHI_L(lay, TP_MRO), &mro) ||
	    !rd64(ts, (uint64_t)mro + PHI_L(lay, OB_SIZE), &n) || n < 0 ||
	    n > PHI_MAX_BASES)
		return false;
	for (int64_t i = 0; i < n; i++) {
		int64_t cls = 0;
		bool dup = false;

		if (!rd64(ts, (uint64_t)mro + PHI_L(lay, TUPLE_ITEM) + 8 * i,
			  &cls))
			continue;
		/* A class twice in an MRO is damage: its members once. */
		for (int64_t j = 0; j < i && !dup; j++)
			dup = seen[j] == (uint64_t)cls;
		seen[i] = (uint64_t)cls;
		if (!dup && fn(ctx, (uint64_t)cls))
			return true;
	}
	return false;
}

struct collect {
	struct phi_types *ts;
	const struct phi_type *ty;
	int64_t from, basicsize;
	uint64_t budget;
};

static bool collect_one(void *ctx, uint64_t name, int64_t off)
{
	struct collect *c = ctx;

	(void)name;
	if (off >= c->from && off + 8 <= c->basicsize)
		push_slot(c->ts, off);
	return false;
}

static bool is_kind_type(const struct phi_types *ts, uint64_t cls)
{
	for (int k = 0; k < PHI_K__COUNT; k++)
		if (ts->kind_type[k] == cls)
			return true;
	return false;
}

/* A heap class contributes all its slots; a static class only the object
 * members the kind's decoder does not know (an exception subclass's
 * extra fields, past the kind type's own size). */
static bool collect_class(void *ctx, uint64_t cls)
{
	struct collect *c = ctx;
	int64_t flags = 0;
	struct collect one = *c;

	/* A C type's own members are its decoder's. */
	if (!phi_ctypes_collect_members(c->ts, c->ty, cls))
		return false;
	if (!rd64(c->ts, cls + PHI_L(phi310_layout(c->ts->py), TP_FLAGS), &flags))
		return false;
	if ((uint64_t)flags & PHI_TPFLAGS_HEAPTYPE)
		one.from = 16;
	else if (is_kind_type(c->ts, cls))
		return false;
	each_member(c->ts, cls, collect_one, &one, &c->budget);
	return false;
}

/* __slots__ and other object members along the whole MRO (each class
 * lists only its own). */
static void collect_slots(struct phi_types *ts, struct phi_type *ty)
{
	struct collect c = { .ts = ts, .ty = ty, .basicsize = ty->basicsize,
			     .budget = MEMBER_BUDGET };

	ty->slots_start = (uint32_t)ts->nslot_offsets;
	/* Of an opaque type only the classes' own __slots__ are known. */
	c.from = INT64_MAX;
	if (ty->kind != PHI_K_OPAQUE)
		rd64(ts, ts->kind_type[ty->kind] +
				 PHI_L(phi310_layout(ts->py), TP_BASICSIZE),
		     &c.from);
	each_mro_class(ts, ty, collect_class, &c);
	ty->nslots = (uint32_t)(ts->nslot_offsets - ty->slots_start);
}

struct find_member {
	const struct phi_types *ts;
	const char *name;  /* by name, or */
	int64_t offset;    /* by offset */
	uint64_t found_name;
	int64_t found_offset;
	uint64_t budget;
};

static bool match_member(void *ctx, uint64_t name, int64_t off)
{
	struct find_member *f = ctx;
	const char *s;
	size_t avail;

	if (!f->name) {
		if (off != f->offset)
			return false;
	} else {
		avail = phi_image_avail(f->ts->img, name);
		s = phi_image_ptr(f->ts->img, name, 1);
		if (!s || strnlen(s, avail) != strlen(f->name) ||
		    strcmp(s, f->name) != 0)
			return false;
	}
	f->found_name = name;
	f->found_offset = off;
	return true;
}

static bool find_in_class(void *ctx, uint64_t cls)
{
	struct find_member *f = ctx;

	return each_member(f->ts, cls, match_member, f, &f->budget);
}

int64_t phi_type_member_offset(const struct phi_types *ts,
			       const struct phi_type *ty, const char *name)
{
	struct find_member f = { .ts = ts, .name = name,
				 .budget = MEMBER_BUDGET };

	return each_mro_class(ts, ty, find_in_class, &f) ? f.found_offset : -1;
}

bool phi_type_member_name(const struct phi_types *ts,
			  const struct phi_type *ty, int64_t offset,
			  char *buf, size_t len)
{
	struct find_member f = { .ts = ts, .offset = offset,
				 .budget = MEMBER_BUDGET };
	const char *s;
	size_t avail;

	if (!each_mro_class(ts, ty, find_in_class, &f))
		return false;
	avail = phi_image_avail(ts->img, f.found_name);
	s = phi_image_ptr(ts->img, f.found_name, 1);
	if (!s)
		return false;
	snprintf(buf, len, "%.*s", (int)(avail < len ? avail : len), s);
	return true;
}

int64_t phi_type_dict_offset(const struct phi_types *ts,
			     const struct phi_type *ty, uint64_t obj)
{
	int64_t off = ty->dictoffset, size = 0;
	uint64_t end;

	if (off >= 0)
		return off;
	/* Negative: from the end of a variable-size object. */
	rd64(ts, obj + PHI_L(phi310_layout(ts->py), OB_SIZE), &size);
	/* Checked before negating: the target may say INT64_MIN. */
	if (size > (int64_t)1 << 40 || size < -((int64_t)1 << 40))
		return 0;
	if (size < 0)
		size = -size;
	end = (uint64_t)ty->basicsize + (uint64_t)size * (uint64_t)ty->itemsize;
	off += (int64_t)((end + 7) & ~(uint64_t)7);
	return off > 0 ? off : 0;
}

/* The kind decodes the __dict__ of its own static type (a function's,
 * a module's...); a dict added by a class, or any dict of an opaque or
 * plain instance, is decoded through tp_dictoffset. */
static bool has_own_dict(const struct phi_types *ts,
			 const struct phi_type *ty)
{
	int64_t kind_off = 0;

	if (!ty->dictoffset)
		return false;
	if (ty->kind == PHI_K_OPAQUE || ty->kind == PHI_K_INSTANCE)
		return true;
	rd64(ts, ts->kind_type[ty->kind] + PHI_L(phi310_layout(ts->py),
						 TP_DICTOFFSET), &kind_off);
	return ty->dictoffset != kind_off;
}

/* sys.flags, os.stat_result...: tuple subclasses whose type dict says
 * how many items they really hold (n_fields). */
static int64_t structseq_fields(const struct phi_types *ts,
				const struct phi_type *ty)
{
	const struct phi_layout *lay = phi310_layout(ts->py);
	int64_t dict = 0, size = 0, digit = 0;
	uint64_t v;

	if (ty->kind != PHI_K_TUPLE ||
	    ty->addr == ts->kind_type[PHI_K_TUPLE] ||
	    !rd64(ts, ty->addr + PHI_L(lay, TP_DICT), &dict) || !dict)
		return 0;
	v = phi_dict_get_str(ts->img, lay, (uint64_t)dict, "n_fields");
	/* A small positive int: one digit. */
	if (!v || !rd64(ts, v + PHI_L(lay, OB_SIZE), &size) || size != 1 ||
	    !phi_image_u32(ts->img, v + PHI_L(lay, LONG_DIGIT),
			   (uint32_t *)&digit))
		return 0;
	return digit;
}

static int grow(struct phi_types *ts)
{
	if (ts->n == ts->cap) {
		size_t ncap = ts->cap ? ts->cap * 2 : 256;
		struct phi_type *p = realloc(ts->v, ncap * sizeof(*p));

		if (!p)
			return -1;
		ts->v = p;
		ts->cap = ncap;
	}
	if (2 * (ts->n + 1) > ts->hmask + 1) {
		uint64_t nmask = ts->hmask * 2 + 1;
		uint32_t *hs = calloc(nmask + 1, sizeof(*hs));

		if (!hs)
			return -1;
		for (size_t i = 0; i < ts->n; i++) {
			uint64_t h = hash_addr(ts->v[i].addr) & nmask;

			while (hs[h])
				h = (h + 1) & nmask;
			hs[h] = (uint32_t)i + 1;
		}
		free(ts->hslots);
		ts->hslots = hs;
		ts->hmask = nmask;
	}
	return 0;
}

uint32_t phi_types_get(struct phi_types *ts, uint64_t addr)
{
	struct phi_type ty;
	uint64_t slot = 0;
	uint32_t i = lookup(ts, addr, &slot);

	if (i != PHI_NONE)
		return i;
	memset(&ty, 0, sizeof(ty));
	if (!validate(ts, addr, &ty) || grow(ts) < 0)
		return PHI_NONE;
	ty.kind = find_kind(ts, addr);
	ty.node = UINT32_MAX; /* PHI_NONE: not in the graph yet */
	ty.decoder = PHI_DECODER_KIND;
	if (ty.kind == PHI_K_OPAQUE)
		phi_ctypes_classify(ts, &ty);
	ty.size_exact = phi_ctypes_size_exact(ts, &ty);
	ty.name = type_name(ts, &ty);
	if (!ty.name)
		return PHI_NONE;
	collect_slots(ts, &ty);
	ty.own_dict = has_own_dict(ts, &ty);
	ty.structseq_fields = structseq_fields(ts, &ty);
	lookup(ts, addr, &slot); /* the table may have grown */
	i = (uint32_t)ts->n++;
	ts->v[i] = ty;
	ts->hslots[slot] = i + 1;
	return i;
}
