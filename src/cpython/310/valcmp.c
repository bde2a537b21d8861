/* Values compared for the duplicates finder (cpython/heap.h's
 * phi_valcmp): objects of str, bytes, int, float and tuples of such
 * scalars, hashed and compared by the bytes that make their value.
 *
 * Values come from the untrusted image: every length is checked against
 * what the image holds before it is used. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/cpython/310/long.h"
#include "pyheapinspect/cpython/310/py310.h"
#include "pyheapinspect/cpython/310/str.h"
#include "pyheapinspect/cpython/310/valcmp.h"
#include "pyheapinspect/cpython/310/value.h"

/* Tuples longer than this are not compared. */
#define MAX_TUPLE_ITEMS 64
/* Struct sequences with more hidden fields than this are not trusted
 * (the decoder's bound). */
#define MAX_STRUCTSEQ 4096

#define L(id) ((uint64_t)PHI_L(lay, id))

struct item_memo;

struct ctx {
	const struct phi_heap *h;
	const struct phi_image *img;
	const struct phi_layout *lay;
	uint64_t key;
	struct item_memo *memo;   /* MEMO_SLOTS entries */
};

/* The bytes that make one scalar's value: objects of the same type are
 * equal iff tag, len and the bytes are. */
struct val {
	uint64_t tag;             /* str: kind; bytes: 0; int: sign+size */
	const unsigned char *p;   /* may be NULL when len == 0 */
	size_t len;
};

/* A tuple's items as stored (8-byte pointers, unaligned). */
struct tup {
	uint64_t n;               /* items compared (hidden fields too) */
	uint64_t visible;         /* ob_size */
	const unsigned char *items;
};

/* ---- hashing ---------------------------------------------------------- */

#define K_MUL 0x9e3779b97f4a7c15ULL

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static uint64_t rotl64(uint64_t x, unsigned r)
{
	return (x << r) | (x >> (64 - r));
}

/* Hash of a scalar of type index `type`: independent of its address.
 * Type, tag and length enter through different multipliers and
 * rotations, so that "a" and "a\0" differ; the bytes 8 at a time, the
 * tail zero-padded; one full mix at the end.  Keyed per run (the
 * finder's key), so that a target cannot plant values of one hash;
 * equal hashes are always confirmed by comparing the values. */
static uint64_t hash_val(uint64_t key, uint32_t type, const struct val *v)
{
	const unsigned char *p = v->p;
	size_t i = 0, len = v->len;
	uint64_t h = key ^ ((uint64_t)type * 0xbf58476d1ce4e5b9ULL) ^
		     rotl64(v->tag * 0x94d049bb133111ebULL, 17) ^
		     rotl64((uint64_t)len * K_MUL, 41);

	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		h = rotl64(h ^ (w * K_MUL), 29) * K_MUL;
	}
	if (i < len) {
		uint64_t w = 0;

		memcpy(&w, p + i, len - i);
		h = rotl64(h ^ (w * K_MUL), 29) * K_MUL;
	}
	return mix64(h);
}

/* ---- types and values ------------------------------------------------- */

static bool scalar_kind(enum phi_kind k)
{
	/* Not BOOL: True and False are singletons. */
	return k == PHI_K_STR || k == PHI_K_BYTES || k == PHI_K_LONG ||
	       k == PHI_K_FLOAT;
}

/* The type of node i when its instances are compared by value: a
 * readable node of a scalar kind (or a tuple, with tuple_ok) whose type
 * adds no per-instance state (a subclass with a __dict__ or __slots__
 * members holds more than its value).  PHI_NONE otherwise. */
static uint32_t value_type(const struct ctx *c, uint32_t i, bool tuple_ok)
{
	const struct phi_graph *g = &c->h->g;
	const struct phi_type *ty;
	uint32_t t;

	if (i >= g->n || (g->flags[i] & PHI_NODE_BAD))
		return PHI_NONE;
	t = g->type[i];
	if (t == PHI_NONE || t >= c->h->types.n)
		return PHI_NONE;
	ty = &c->h->types.v[t];
	if (!scalar_kind(ty->kind) && !(tuple_ok && ty->kind == PHI_K_TUPLE))
		return PHI_NONE;
	if (ty->dictoffset != 0 || ty->nslots != 0)
		return PHI_NONE;
	return t;
}

static enum phi_kind kind_of(const struct ctx *c, uint32_t t)
{
	return c->h->types.v[t].kind;
}

/* The value bytes of the scalar of kind k at addr; false when they are
 * not (wholly) in the image or the object is impossible. */
static bool read_val(const struct ctx *c, enum phi_kind k, uint64_t addr,
		     struct val *v)
{
	const struct phi_image *img = c->img;
	const struct phi_layout *lay = c->lay;

	memset(v, 0, sizeof(*v));
	switch (k) {
	case PHI_K_STR: {
		struct phi_str s;

		/* CPython stores a ready str in its narrowest kind, so equal
		 * strs have equal kinds and equal code-unit bytes. */
		if (!phi_str_read(img, lay, addr, &s) || !s.data)
			return false;
		v->tag = s.kind;
		v->p = s.data;
		/* phi_str_read found length * kind bytes in the image. */
		v->len = (size_t)(s.length * s.kind);
		return true;
	}
	case PHI_K_BYTES: {
		int64_t n;

		if (!phi_image_ptr(img, addr, (size_t)L(BYTES_SVAL)) ||
		    !phi_image_i64(img, addr + L(OB_SIZE), &n) || n < 0 ||
		    (uint64_t)n > phi_image_avail(img, addr + L(BYTES_SVAL)))
			return false;
		v->len = (size_t)n;
		if (n) {
			v->p = phi_image_ptr(img, addr + L(BYTES_SVAL),
					     v->len);
			if (!v->p)
				return false;
		}
		return true;
	}
	case PHI_K_LONG: {
		struct phi_long lg;
		uint64_t n;

		/* Checks that the digits are in the image (and 30-bit). */
		if (!phi_long_read(img, lay, addr, &lg))
			return false;
		n = lg.ob_size < 0 ? -(uint64_t)lg.ob_size :
				     (uint64_t)lg.ob_size;
		if (n) {
			v->p = phi_image_ptr(img, addr + L(LONG_DIGIT),
					     (size_t)(n * 4));
			if (!v->p)
				return false;
		}
		/* CPython normalises ints; do not rely on it. */
		while (n) {
			uint32_t top;

			memcpy(&top, v->p + (n - 1) * 4, 4);
			if (top)
				break;
			n--;
		}
		v->len = (size_t)(n * 4);
		if (!n)
			v->p = NULL;
		/* The sign and the digit count (zero has no sign). */
		v->tag = n | (n && lg.ob_size < 0 ? 1ULL << 63 : 0);
		return true;
	}
	case PHI_K_FLOAT:
		/* The bits of the double: -0.0 is not 0.0 (they are different
		 * objects' values as far as memory goes, and repr differs),
		 * and two NaNs with the same bits form a group although
		 * nan != nan in Python.  Both are fine for finding wasted
		 * copies. */
		v->p = phi_image_ptr(img, addr + L(FLOAT_FVAL), 8);
		v->len = 8;
		return v->p != NULL;
	default:
		return false;
	}
}

static bool val_eq(const struct val *a, const struct val *b)
{
	return a->tag == b->tag && a->len == b->len &&
	       (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

/* The items of the tuple at addr of type t: 1 to 64 of them (a struct
 * sequence's hidden fields included), wholly in the image. */
static bool read_tup(const struct ctx *c, uint32_t t, uint64_t addr,
		     struct tup *tp)
{
	const struct phi_layout *lay = c->lay;
	int64_t size, hidden = c->h->types.v[t].structseq_fields;
	uint64_t n;

	if (!phi_image_i64(c->img, addr + L(OB_SIZE), &size) || size <= 0 ||
	    size > MAX_TUPLE_ITEMS)
		return false;
	n = (uint64_t)size;
	if (hidden > size && hidden < MAX_STRUCTSEQ)
		n = (uint64_t)hidden;
	if (n > MAX_TUPLE_ITEMS)
		return false;
	tp->n = n;
	tp->visible = (uint64_t)size;
	tp->items = phi_image_ptr(c->img, addr + L(TUPLE_ITEM),
				  (size_t)(n * 8));
	return tp->items != NULL;
}

static uint64_t tup_item(const struct tup *tp, uint64_t i)
{
	uint64_t a;

	memcpy(&a, tp->items + i * 8, 8);
	return a;
}

/* Item i of a tuple as a scalar: its node's type and value. */
static bool read_item(const struct ctx *c, uint64_t addr, uint32_t *type,
		      struct val *v)
{
	uint32_t idx = phi_graph_find(&c->h->g, addr);

	/* Nested tuples are not scalars here. */
	*type = idx == PHI_NONE ? PHI_NONE : value_type(c, idx, false);
	if (*type == PHI_NONE)
		return false;
	return read_val(c, kind_of(c, *type), addr, v);
}

/* Tuple items are mostly shared objects (interned strs, small ints, a
 * pool of codes), so the hash of an item is remembered by address in a
 * small direct-mapped table: a repeated item costs no address-hash probe
 * and no read of its object.  A pure function of the address, so the
 * results do not depend on what the table holds. */
#define MEMO_BITS 10
#define MEMO_SLOTS (1u << MEMO_BITS)

struct item_memo {
	uint64_t addr;  /* 0: empty, which also answers for a NULL item */
	uint64_t hash;
	bool ok;
};

/* hash_val of the scalar item at addr, or false when it is none. */
static bool item_hash(const struct ctx *c, uint64_t addr, uint64_t *hash)
{
	struct item_memo *m =
		&c->memo[(addr * K_MUL) >> (64 - MEMO_BITS)];
	struct val v;
	uint32_t it;

	if (m->addr != addr) {
		m->addr = addr;
		m->ok = read_item(c, addr, &it, &v);
		m->hash = m->ok ? hash_val(c->key, it, &v) : 0;
	}
	*hash = m->hash;
	return m->ok;
}

/* Hash of node i, a candidate of type t (value_type), or false when it
 * cannot be compared. */
static bool node_hash(const struct ctx *c, uint32_t i, uint32_t t,
		      uint64_t *hash)
{
	uint64_t addr = c->h->g.addr[i];
	struct val v;
	struct tup tp;
	uint64_t h;

	if (kind_of(c, t) != PHI_K_TUPLE) {
		if (!read_val(c, kind_of(c, t), addr, &v))
			return false;
		*hash = hash_val(c->key, t, &v);
		return true;
	}
	if (!read_tup(c, t, addr, &tp))
		return false;
	h = mix64(c->key ^ ((uint64_t)t << 1) ^ 0x7091eULL);
	h = mix64(h ^ tp.n);
	for (uint64_t k = 0; k < tp.n; k++) {
		uint64_t ih;

		if (!item_hash(c, tup_item(&tp, k), &ih))
			return false;
		/* Order matters: (1, 2) is not (2, 1). */
		h = rotl64(h ^ ih, 23) * K_MUL;
	}
	*hash = mix64(h);
	return true;
}

/* Do candidates a and b (both hashed by node_hash) hold equal values? */
static bool node_eq(const struct ctx *c, uint32_t a, uint32_t b)
{
	const struct phi_graph *g = &c->h->g;
	uint32_t t = g->type[a];
	struct val va, vb;
	struct tup ta, tb;

	if (a == b)
		return true;
	if (g->type[b] != t)
		return false;
	if (kind_of(c, t) != PHI_K_TUPLE)
		return read_val(c, kind_of(c, t), g->addr[a], &va) &&
		       read_val(c, kind_of(c, t), g->addr[b], &vb) &&
		       val_eq(&va, &vb);
	if (!read_tup(c, t, g->addr[a], &ta) ||
	    !read_tup(c, t, g->addr[b], &tb) || ta.n != tb.n ||
	    ta.visible != tb.visible)
		return false;
	for (uint64_t k = 0; k < ta.n; k++) {
		uint64_t xa = tup_item(&ta, k), xb = tup_item(&tb, k);
		uint32_t sa, sb;

		if (xa == xb)
			continue;
		if (!read_item(c, xa, &sa, &va) ||
		    !read_item(c, xb, &sb, &vb) || sa != sb ||
		    !val_eq(&va, &vb))
			return false;
	}
	return true;
}

static void prefetch_obj(const struct ctx *c, uint32_t node)
{
	const char *p = phi_image_ptr(c->img, c->h->g.addr[node], 1);

	/* The header, and what follows it: a short str's or int's value. */
	if (p) {
		__builtin_prefetch(p);
		__builtin_prefetch(p + 64);
	}
}

/* ---- previews --------------------------------------------------------- */

/* A scalar's preview as a C string: a str may hold U+0000, written \x00
 * here (as repr does) rather than ending the text there.  Every code
 * point of a preview takes at most 4 bytes, so does \x00: cap
 * (PHI_PREVIEW_BUF) holds the result. */
static bool value_preview(const struct ctx *c, enum phi_kind kind,
			  uint64_t addr, char *buf, size_t cap, bool *trunc)
{
	size_t len = 0, nuls = 0, out;

	if (!phi_value_preview_n(c->img, c->lay, kind, addr, buf, cap, &len,
				 trunc))
		return false;
	for (size_t i = 0; i < len; i++)
		nuls += buf[i] == '\0';
	if (!nuls)
		return true;
	out = len + 3 * nuls;
	if (out >= cap) {
		/* Never with previews of PHI_PREVIEW_CHARS: the C string
		 * ends at the first NUL then. */
		*trunc = true;
		return true;
	}
	buf[out] = '\0';
	/* From the end, so that nothing is overwritten before it moves. */
	for (size_t i = len; i-- > 0;) {
		if (buf[i]) {
			buf[--out] = buf[i];
			continue;
		}
		out -= 4;
		memcpy(buf + out, "\\x00", 4);
	}
	return true;
}

/* Text limited to PHI_PREVIEW_CHARS code points, then "..." when cut. */
struct sbuf {
	char *buf;
	size_t cap, len, chars;
	bool cut;
};

static void sb_put(struct sbuf *s, const char *str)
{
	for (; *str && !s->cut; str++) {
		unsigned char ch = (unsigned char)*str;

		if ((ch & 0xC0) != 0x80) {
			/* Room for this code point, "..." and the NUL. */
			if (s->chars == PHI_PREVIEW_CHARS ||
			    s->len + 4 + 4 > s->cap) {
				s->cut = true;
				break;
			}
			s->chars++;
		} else if (s->len + 1 + 4 > s->cap) {
			/* Never with valid UTF-8 and a PHI_PREVIEW_BUF buffer;
			 * drop the partial code point rather than the bound. */
			while (s->len && ((unsigned char)s->buf[s->len - 1] &
					  0xC0) == 0x80)
				s->len--;
			if (s->len)
				s->len--;
			s->cut = true;
			break;
		}
		s->buf[s->len++] = (char)ch;
	}
	s->buf[s->len] = '\0';
}

static void tuple_preview(const struct ctx *c, uint32_t node, char *buf,
			  size_t cap)
{
	struct sbuf s = { buf, cap, 0, 0, false };
	char item[PHI_PREVIEW_BUF];
	uint32_t t = c->h->g.type[node];
	struct tup tp;

	buf[0] = '\0';
	if (!read_tup(c, t, c->h->g.addr[node], &tp))
		return;
	sb_put(&s, "(");
	for (uint64_t k = 0; k < tp.visible && !s.cut; k++) {
		uint64_t addr = tup_item(&tp, k);
		uint32_t idx = phi_graph_find(&c->h->g, addr);
		uint32_t it = idx == PHI_NONE ? PHI_NONE :
						value_type(c, idx, false);
		enum phi_kind kind = it == PHI_NONE ? PHI_K_OPAQUE :
						      kind_of(c, it);
		bool trunc;

		if (k)
			sb_put(&s, ", ");
		if (!value_preview(c, kind, addr, item, sizeof(item), &trunc))
			snprintf(item, sizeof(item), "?");
		if (kind == PHI_K_STR) {
			sb_put(&s, "'");
			sb_put(&s, item);
			sb_put(&s, "'");
		} else if (kind == PHI_K_BYTES) {
			sb_put(&s, "b'");
			sb_put(&s, item);
			sb_put(&s, "'");
		} else {
			sb_put(&s, item);
		}
	}
	if (tp.visible == 1)
		sb_put(&s, ",");
	sb_put(&s, ")");
	if (s.cut) {
		memcpy(s.buf + s.len, "...", 4);
		s.len += 3;
	}
}

/* ---- the table entry ------------------------------------------------- */

static struct ctx *ctx_of(const struct phi_valcmp *vc)
{
	return vc->impl;
}

int phi310_valcmp_open(struct phi_valcmp *vc, struct phi_error *err)
{
	struct ctx *c = calloc(1, sizeof(*c));
	struct item_memo *memo = calloc(MEMO_SLOTS, sizeof(*memo));

	if (!c || !memo) {
		free(c);
		free(memo);
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	}
	*c = (struct ctx){ vc->h, vc->h->img, phi310_layout(vc->h->py),
			   vc->key, memo };
	vc->impl = c;
	return 0;
}

void phi310_valcmp_close(struct phi_valcmp *vc)
{
	struct ctx *c = vc->impl;

	if (c)
		free(c->memo);
	free(c);
	vc->impl = NULL;
}

uint32_t phi310_valcmp_class(const struct phi_valcmp *vc, uint32_t node)
{
	return value_type(ctx_of(vc), node, true);
}

bool phi310_valcmp_hash(struct phi_valcmp *vc, uint32_t node, uint64_t *hash)
{
	struct ctx *c = ctx_of(vc);
	uint32_t t = value_type(c, node, true);

	return t != PHI_NONE && node_hash(c, node, t, hash);
}

bool phi310_valcmp_equal(struct phi_valcmp *vc, uint32_t a, uint32_t b)
{
	return node_eq(ctx_of(vc), a, b);
}

void phi310_valcmp_prefetch(const struct phi_valcmp *vc, uint32_t node)
{
	prefetch_obj(ctx_of(vc), node);
}

void phi310_valcmp_preview(const struct phi_valcmp *vc, uint32_t node,
			   char *buf, size_t cap)
{
	const struct ctx *c = ctx_of(vc);
	const struct phi_type *ty = phi_heap_type(c->h, node);
	bool trunc;

	if (ty->kind == PHI_K_TUPLE)
		tuple_preview(c, node, buf, cap);
	else if (!value_preview(c, ty->kind, c->h->g.addr[node], buf, cap,
				&trunc))
		buf[0] = '\0';
}
