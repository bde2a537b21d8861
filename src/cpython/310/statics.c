/* The statics a stripped CPython 3.10 lacks, found in the captured image
 * (statics.h).  `strip --strip-all` removes .symtab, and with it every
 * static the decoders use; what it leaves (.dynsym, the program headers,
 * the memory) still says where each one is:
 *
 *   _PyExc_BaseException   the exported pointer PyExc_BaseException
 *   deque_type             the one static type object in the object's
 *   defdict_type           writable data whose tp_name is
 *                          "collections.deque" / "collections.defaultdict"
 *                          and whose tp_basicsize is the layout's (found
 *                          readied or not: tp_name is set at compile time)
 *   subtype_dealloc        the tp_dealloc that every class of
 *                          _frozen_importlib (interp->importlib) has: a
 *                          class statement always sets subtype_dealloc
 *   interned               the one word of the object's writable data that
 *                          points to a dict whose every entry is an
 *                          interned exact str mapped to itself
 *
 * Every search is bounded by the object's own segments as the image holds
 * them, and every answer validated as the decoders would (a type object
 * whose own type is type, a str that says it is interned...).  A static
 * the decoders need that is still missing, and every other symbol they
 * need, becomes a gap that says what the report lacks. */
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "pyheapinspect/cpython/310/dict.h"
#include "pyheapinspect/cpython/310/py310.h"
#include "pyheapinspect/cpython/310/statics.h"
#include "pyheapinspect/cpython/310/str.h"

#define L(id) ((uint64_t)PHI_L(c->lay, id))
/* Places a type name's text may be (string merging can share it). */
#define MAX_STRS 8
/* The interned dict of a bare 3.10 holds thousands of strs; a smaller
 * dict of the same shape is not it. */
#define MIN_INTERNED 64
/* Dicts pointed to by the object's data that are checked, at most, and
 * their entries: the interned dict of a big service has a few 10^5. */
#define MAX_DICTS 4096
#define MAX_DICT_ENTRIES (1 << 24)

struct ctx {
	struct phi_python *py;
	struct phi310 *s;
	const struct phi_image *img;
	const struct phi_runtime *rt;
	const struct phi_layout *lay;
	char note[480];     /* what was found, and how, for -v */
};

static uint64_t sym(const struct ctx *c, enum phi_sym_id id)
{
	return c->s->sym[id];
}

static uint64_t word(const struct ctx *c, uint64_t addr)
{
	return phi_image_word(c->img, addr);
}

static void found(struct ctx *c, enum phi_sym_id id, uint64_t value,
		  const char *how)
{
	size_t n = strlen(c->note);

	c->s->sym[id] = value;
	snprintf(c->note + n, sizeof(c->note) - n, "%s%s (%s)", n ? ", " : "",
		 phi_symbol_name(id), how);
}

/* [a, a + len) lies in one of the object's segments with flag. */
static bool in_seg(const struct ctx *c, uint64_t a, uint64_t len,
		   unsigned flag)
{
	for (size_t i = 0; i < c->s->nseg; i++) {
		const struct phi_elf_segment *g = &c->s->seg[i];

		if ((g->flags & flag) && a >= g->vaddr && len <= g->memsz &&
		    a - g->vaddr <= g->memsz - len)
			return true;
	}
	return false;
}

/* The image's bytes of [lo, hi), one piece per image segment: calls fn
 * on each, in address order, until it returns false. */
static void each_piece(const struct ctx *c, uint64_t lo, uint64_t hi,
		       bool (*fn)(struct ctx *c, uint64_t addr,
				  const unsigned char *p, size_t len,
				  void *arg),
		       void *arg)
{
	const struct phi_image *img = c->img;

	for (size_t k = 0; k < img->n; k++) {
		const struct phi_segment *sg = &img->seg[k];
		uint64_t a = sg->start > lo ? sg->start : lo;
		uint64_t b = sg->end < hi ? sg->end : hi;

		if (a >= b)
			continue;
		if (!fn((struct ctx *)c, a, sg->data + (a - sg->start),
			(size_t)(b - a), arg))
			return;
	}
}

/* Every piece of the object's segments whose flags are `want` under
 * `mask`. */
static void each_object_piece(struct ctx *c, unsigned mask, unsigned want,
			      bool (*fn)(struct ctx *c, uint64_t addr,
					 const unsigned char *p, size_t len,
					 void *arg),
			      void *arg)
{
	for (size_t i = 0; i < c->s->nseg; i++) {
		const struct phi_elf_segment *g = &c->s->seg[i];

		if ((g->flags & mask) == want)
			each_piece(c, g->vaddr, g->vaddr + g->memsz, fn, arg);
	}
}

static bool cstr_eq(const struct ctx *c, uint64_t addr, const char *want)
{
	size_t n = strlen(want) + 1;
	const char *p = phi_image_ptr(c->img, addr, n);

	return p && memcmp(p, want, n) == 0;
}

/* A static type object of the object, named name: in its writable data,
 * not a heap type, its own type `type` (or, unless ready, NULL: a type
 * PyType_Ready has not seen yet). */
static bool static_type(const struct ctx *c, uint64_t t, const char *name,
			bool ready)
{
	uint64_t meta, type_type = sym(c, PHI_S_TYPE_TYPE);

	if (!t || (t & 7) || !in_seg(c, t, L(TP_SIZE), PF_W) ||
	    !phi_image_ptr(c->img, t, (size_t)L(TP_SIZE)))
		return false;
	meta = word(c, t + L(OB_TYPE));
	if (!(type_type && meta == type_type) && !(meta == 0 && !ready))
		return false;
	if (word(c, t + L(TP_FLAGS)) & PHI_TPFLAGS_HEAPTYPE)
		return false;
	return cstr_eq(c, word(c, t + L(TP_NAME)), name);
}

/* ---- _PyExc_BaseException --------------------------------------------- */

static void find_baseexc(struct ctx *c)
{
	uint64_t p = sym(c, PHI_S_BASEEXC_PTR);
	uint64_t t = p ? word(c, p) : 0;

	if (static_type(c, t, "BaseException", true))
		found(c, PHI_S_BASEEXC_TYPE, t, "*PyExc_BaseException");
}

/* ---- deque_type, defdict_type ----------------------------------------- */

struct strs {
	const char *name;
	size_t len;             /* with its NUL */
	uint64_t at[MAX_STRS];
	size_t n;
};

static bool strs_piece(struct ctx *c, uint64_t addr, const unsigned char *p,
		       size_t len, void *arg)
{
	struct strs *s = arg;
	const unsigned char *q = p, *end = p + len;

	(void)c;
	while (s->n < MAX_STRS && (size_t)(end - q) >= s->len) {
		const unsigned char *hit = memmem(q, (size_t)(end - q),
						  s->name, s->len);

		if (!hit)
			break;
		s->at[s->n++] = addr + (uint64_t)(hit - p);
		q = hit + 1;
	}
	return s->n < MAX_STRS;
}

struct type_scan {
	const struct strs *strs;
	const char *name;
	int64_t basicsize;
	uint64_t hit;
	int nhits;
};

static bool type_piece(struct ctx *c, uint64_t addr, const unsigned char *p,
		       size_t len, void *arg)
{
	struct type_scan *ts = arg;
	uint64_t name_off = L(TP_NAME);

	for (size_t off = (size_t)((8 - (addr & 7)) & 7); off + 8 <= len;
	     off += 8) {
		uint64_t v, t;
		size_t k;

		memcpy(&v, p + off, 8);
		for (k = 0; k < ts->strs->n && ts->strs->at[k] != v; k++)
			;
		t = addr + off - name_off;
		if (k == ts->strs->n || addr + off < name_off ||
		    !static_type(c, t, ts->name, false) ||
		    (int64_t)word(c, t + L(TP_BASICSIZE)) != ts->basicsize)
			continue;
		if (ts->hit != t)
			ts->nhits++;
		ts->hit = t;
	}
	return true;
}

static void find_named_type(struct ctx *c, enum phi_sym_id id,
			    const char *name, int64_t basicsize)
{
	struct strs strs = { .name = name, .len = strlen(name) + 1 };
	struct type_scan ts = { .strs = &strs, .name = name,
				.basicsize = basicsize };
	char how[96];

	/* the text in the read-only data, then the type pointing at it */
	each_object_piece(c, PF_R | PF_W | PF_X, PF_R, strs_piece, &strs);
	if (strs.n == 0)
		return;
	each_object_piece(c, PF_W, PF_W, type_piece, &ts);
	if (ts.nhits != 1)
		return;
	snprintf(how, sizeof(how), "the static type named '%s'", name);
	found(c, id, ts.hit, how);
}

/* ---- subtype_dealloc -------------------------------------------------- */

static const struct phi_interp *main_interp(const struct ctx *c)
{
	for (size_t i = 0; i < c->rt->ninterps; i++)
		if (c->rt->interps[i].addr == c->rt->interp_main)
			return &c->rt->interps[i];
	return NULL;
}

static void find_subtype_dealloc(struct ctx *c)
{
	/* Classes of importlib/_bootstrap.py, made by class statements. */
	static const char *const classes[] = {
		"ModuleSpec", "BuiltinImporter", "FrozenImporter",
		"_ModuleLock", "_ModuleLockManager", "_ImportLockContext",
	};
	const struct phi_interp *in = main_interp(c);
	uint64_t mod = in ? in->importlib : 0, dict, value = 0;
	int agree = 0, differ = 0;
	char how[96];

	if (!mod || !sym(c, PHI_S_MODULE_TYPE) ||
	    word(c, mod + L(OB_TYPE)) != sym(c, PHI_S_MODULE_TYPE))
		return;
	dict = word(c, mod + L(MODULE_DICT));
	if (!dict || word(c, dict + L(OB_TYPE)) != sym(c, PHI_S_DICT_TYPE))
		return;
	for (size_t i = 0; i < sizeof(classes) / sizeof(*classes); i++) {
		uint64_t t = phi_dict_get_str(c->img, c->lay, dict, classes[i]);
		uint64_t d;

		if (!t || (t & 7) || !phi_image_ptr(c->img, t,
						    (size_t)L(HT_SIZE)) ||
		    word(c, t + L(OB_TYPE)) != sym(c, PHI_S_TYPE_TYPE) ||
		    !(word(c, t + L(TP_FLAGS)) & PHI_TPFLAGS_HEAPTYPE))
			continue;
		d = word(c, t + L(TP_DEALLOC));
		if (!in_seg(c, d, 1, PF_X) || (value && d != value)) {
			differ++;
			continue;
		}
		value = d;
		agree++;
	}
	if (agree < 2 || differ)
		return;
	snprintf(how, sizeof(how), "tp_dealloc of %d classes of "
		 "_frozen_importlib", agree);
	found(c, PHI_S_SUBTYPE_DEALLOC, value, how);
}

/* ---- interned --------------------------------------------------------- */

struct interned_scan {
	uint64_t word_at;   /* the first word pointing to the dict found */
	uint64_t dict;
	int64_t used;
	int others;         /* other dicts of the same shape */
	size_t checked;
	int64_t entries;    /* entries looked at, in all */
	uint64_t last;      /* the last dict checked and refused */
};

/* Is d the interned dict: combined, every entry an interned exact str
 * that is its own value? */
static bool interned_shape(const struct ctx *c, struct interned_scan *is,
			   uint64_t d, int64_t *used)
{
	uint64_t str_type = sym(c, PHI_S_UNICODE_TYPE);
	struct phi_dict dd;
	int64_t n = 0;

	if (!phi_dict_open(c->img, c->lay, d, &dd) || dd.values ||
	    dd.used < MIN_INTERNED)
		return false;
	for (int64_t i = 0; i < dd.dk_nentries; i++) {
		if (++is->entries > MAX_DICT_ENTRIES)
			return false;
		struct phi_str s;
		uint64_t k, v;

		if (!phi_dict_entry(&dd, c->lay, i, &k, &v))
			continue;
		if (k != v || word(c, k + L(OB_TYPE)) != str_type ||
		    !phi_str_read(c->img, c->lay, k, &s) || !s.interned)
			return false;
		n++;
	}
	*used = n;
	return n == dd.used;
}

static bool interned_piece(struct ctx *c, uint64_t addr,
			   const unsigned char *p, size_t len, void *arg)
{
	struct interned_scan *is = arg;
	uint64_t dict_type = sym(c, PHI_S_DICT_TYPE);

	for (size_t off = (size_t)((8 - (addr & 7)) & 7); off + 8 <= len;
	     off += 8) {
		uint64_t w;
		int64_t used;

		memcpy(&w, p + off, 8);
		if (!w || (w & 7) || w == is->dict || w == is->last ||
		    word(c, w + L(OB_TYPE)) != dict_type)
			continue;
		if (++is->checked > MAX_DICTS || is->entries > MAX_DICT_ENTRIES)
			return false;
		if (!interned_shape(c, is, w, &used)) {
			is->last = w;
			continue;
		}
		if (is->dict) {
			is->others++;
			continue;
		}
		is->word_at = addr + off;
		is->dict = w;
		is->used = used;
	}
	return true;
}

static void find_interned(struct ctx *c)
{
	struct interned_scan is = { 0 };
	char how[96];

	if (!sym(c, PHI_S_DICT_TYPE) || !sym(c, PHI_S_UNICODE_TYPE))
		return;
	each_object_piece(c, PF_W, PF_W, interned_piece, &is);
	/* not found, ambiguous, or not all looked at: a gap, not a guess */
	if (!is.dict || is.others || is.checked > MAX_DICTS ||
	    is.entries > MAX_DICT_ENTRIES)
		return;
	snprintf(how, sizeof(how), "the one word of the data pointing to a "
		 "dict of %lld interned strs", (long long)is.used);
	found(c, PHI_S_INTERNED, is.word_at, how);
}

/* ---- what is still missing -------------------------------------------- */

/* What a missing symbol costs the report. */
static const char *cost_of(enum phi_sym_id id)
{
	switch (id) {
	case PHI_S_INTERNED:
		return "the interned-strings dict is no root: it and the strs "
		       "only it holds are missing";
	case PHI_S_DEQUE_TYPE:
		return "deques are opaque: sized by tp_basicsize, their items "
		       "missing";
	case PHI_S_DEFDICT_TYPE:
		return "defaultdicts are opaque: sized by tp_basicsize, their "
		       "keys, values and factories missing";
	case PHI_S_BASEEXC_TYPE:
		return "exceptions are opaque: their args, tracebacks, "
		       "contexts, causes and __dict__ missing";
	case PHI_S_SUBTYPE_DEALLOC:
		return "heap types made in C (re.Pattern, _abc_data...) are "
		       "read as plain instances: sizes and referents wrong";
	case PHI_S_SET_DUMMY:
		return "deleted set entries may be read as objects";
	case PHI_S_NONE: case PHI_S_TRUE: case PHI_S_FALSE:
	case PHI_S_ELLIPSIS: case PHI_S_NOTIMPLEMENTED:
		return "this singleton is no root";
	default:
		return "objects of this type are opaque: sized by "
		       "tp_basicsize, their referents missing";
	}
}

/* Symbols only looked up, never needed by the decoders: the version is
 * read another way, the pointer helps find _PyExc_BaseException only,
 * and obmalloc's statics, the allocator tables and tracemalloc's state
 * serve the memory section, which says itself what their absence costs
 * (pymalloc.c); tracemalloc's tables say it in tracemalloc.c (a note, or
 * a gap with --sites). */
static bool needed(enum phi_sym_id id)
{
	switch (id) {
	case PHI_S_RUNTIME: case PHI_S_GETVERSION: case PHI_S_VERSION_BUF:
	case PHI_S_BASEEXC_PTR: case PHI_S_ARENAS: case PHI_S_MAXARENAS:
	case PHI_S_NTIMES_ARENA: case PHI_S_NARENAS_HIGHWATER:
	case PHI_S_NARENAS_CURRENT: case PHI_S_MAP_ROOT:
	case PHI_S_MAP_MID_COUNT: case PHI_S_MAP_BOT_COUNT:
	case PHI_S_TRACEMALLOC_CONFIG: case PHI_S_OBJ_ALLOCATOR:
	case PHI_S_MEM_DEBUG: case PHI_S_OBJECT_MALLOC:
	case PHI_S_DEBUG_MALLOC:
		return false;
	default:
		return id < PHI_TM_FIRST_STATIC || id > PHI_TM_LAST_STATIC;
	}
}

static void note_missing(struct ctx *c)
{
	for (int i = 0; i < PHI_S__COUNT; i++) {
		char what[96];

		if (sym(c, (enum phi_sym_id)i) || !needed((enum phi_sym_id)i))
			continue;
		snprintf(what, sizeof(what), "symbol %s",
			 phi_symbol_name((enum phi_sym_id)i));
		phi_gap_add(&c->py->gaps, what, -1, -1, "%s; in no symbol "
			    "table, not found in memory: install its debug "
			    "file or use --debug-dir",
			    cost_of((enum phi_sym_id)i));
	}
}

int phi310_statics(struct phi_python *py, const struct phi_image *img,
		   const struct phi_runtime *rt, struct phi_error *err)
{
	struct ctx c = { .py = py, .s = py->impl, .img = img, .rt = rt,
			 .lay = &((struct phi310 *)py->impl)->layout };
	size_t n;

	(void)err;
	if (!sym(&c, PHI_S_BASEEXC_TYPE))
		find_baseexc(&c);
	if (!sym(&c, PHI_S_DEQUE_TYPE))
		find_named_type(&c, PHI_S_DEQUE_TYPE, "collections.deque",
				PHI_L(c.lay, DEQUE_SIZE));
	if (!sym(&c, PHI_S_DEFDICT_TYPE))
		find_named_type(&c, PHI_S_DEFDICT_TYPE,
				"collections.defaultdict",
				PHI_L(c.lay, DEFDICT_FACTORY) + 8);
	if (!sym(&c, PHI_S_SUBTYPE_DEALLOC))
		find_subtype_dealloc(&c);
	if (!sym(&c, PHI_S_INTERNED))
		find_interned(&c);
	n = strlen(py->symbols_note);
	if (c.note[0])
		snprintf(py->symbols_note + n, sizeof(py->symbols_note) - n,
			 "; found in memory: %s", c.note);
	note_missing(&c);
	return 0;
}
