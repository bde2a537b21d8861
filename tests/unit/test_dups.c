/* Unit tests for duplicate values (dups.h) on a synthetic heap: a type
 * table filled by hand, a graph built with phi_graph_add, and objects laid
 * out in an image with the built-in CPython 3.10 offsets (compact ASCII
 * and UCS-2 strs, str subclass instances with a separate data block,
 * bytes, ints with 30-bit digits, floats, tuples, struct sequences).
 *
 * Not tested: the confirmation of equal hashes by comparing the values
 * (a 64-bit collision cannot be forced from outside, and dups.c exposes
 * no internal function). */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "pyheapinspect/analysis/dups.h"
#include "pyheapinspect/cpython/heap.h"
#include "pyheapinspect/cpython/kinds.h"
#include "pyheapinspect/cpython/ops.h"
#include "pyheapinspect/cpython/310/layout.h"
#include "pyheapinspect/cpython/310/py310.h"
#include "pyheapinspect/graph/graph.h"
#include "pyheapinspect/source/image.h"

#define A_OBJ 0x100000ULL
#define A_NOWHERE 0x7f0000000000ULL
#define A_TYPE 0x5000ULL /* fake ob_type: never read */
#define STEP 0x1000ULL

/* The type table. */
enum {
	T_STR,
	T_BYTES,
	T_INT,
	T_FLOAT,
	T_TUPLE,
	T_LIST,
	T_BOOL,
	T_MYSTR,    /* class MyStr(str): __slots__ = () */
	T_DICTSTR,  /* class D(str): pass -- has a __dict__ */
	T_STATRES,  /* a struct sequence: 2 visible fields, 3 in all */
	T__COUNT
};

static const struct {
	enum phi_kind kind;
	const char *name;
} type_defs[T__COUNT] = {
	[T_STR] = { PHI_K_STR, "str" },
	[T_BYTES] = { PHI_K_BYTES, "bytes" },
	[T_INT] = { PHI_K_LONG, "int" },
	[T_FLOAT] = { PHI_K_FLOAT, "float" },
	[T_TUPLE] = { PHI_K_TUPLE, "tuple" },
	[T_LIST] = { PHI_K_LIST, "list" },
	[T_BOOL] = { PHI_K_BOOL, "bool" },
	[T_MYSTR] = { PHI_K_STR, "__main__.MyStr" },
	[T_DICTSTR] = { PHI_K_STR, "__main__.D" },
	[T_STATRES] = { PHI_K_TUPLE, "os.stat_result" },
};

struct fx {
	struct phi_heap h;
	struct phi_image img;
	struct phi_layout lay;
	/* A CPython 3.10 with the built-in layouts, for the heap's
	 * questions (the duplicates finder asks through h.py). */
	struct phi310 st;
	struct phi_python py;
	uint64_t next; /* next free fake address */
	bool finished;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct phi_error err = { 0 };

	if (!f)
		return -1;
	phi_image_init(&f->img);
	phi_layout_builtin(&f->lay);
	f->st.layout = f->lay;
	f->py.ops = &phi_cpython310_ops;
	f->py.impl = &f->st;
	f->h.py = &f->py;
	f->h.img = &f->img;
	f->next = A_OBJ;
	f->h.types.v = calloc(T__COUNT, sizeof(*f->h.types.v));
	if (!f->h.types.v)
		return -1;
	f->h.types.n = f->h.types.cap = T__COUNT;
	for (size_t i = 0; i < T__COUNT; i++) {
		struct phi_type *ty = &f->h.types.v[i];

		ty->addr = A_TYPE + 0x400 * i;
		ty->kind = type_defs[i].kind;
		ty->name = strdup(type_defs[i].name);
		if (!ty->name)
			return -1;
	}
	f->h.types.v[T_DICTSTR].dictoffset = -8;
	f->h.types.v[T_DICTSTR].heap = true;
	f->h.types.v[T_MYSTR].heap = true;
	f->h.types.v[T_STATRES].structseq_fields = 3;
	if (phi_graph_init(&f->h.g, 0, &err) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < f->h.types.n; i++)
		free(f->h.types.v[i].name);
	free(f->h.types.v);
	phi_graph_release(&f->h.g);
	phi_image_release(&f->img);
	free(f);
	return 0;
}

static void put64(unsigned char *b, int64_t off, uint64_t v)
{
	memcpy(b + off, &v, 8);
}

static void put32(unsigned char *b, int64_t off, uint32_t v)
{
	memcpy(b + off, &v, 4);
}

/* Copy len bytes into the image at a fresh address, 4 KiB apart (more
 * for big objects) so that nothing is contiguous by accident. */
static uint64_t add_mem(struct fx *f, const void *data, size_t len)
{
	struct phi_error err = { 0 };
	uint64_t addr = f->next;

	assert_int_equal(phi_image_add(&f->img, addr, data, len, true, &err),
			 0);
	f->next += (len / STEP + 2) * STEP;
	return addr;
}

/* A node of the graph for the object at addr. */
static uint32_t add_node(struct fx *f, uint64_t addr, uint32_t type,
			 uint64_t size)
{
	bool added = false;
	uint32_t i = phi_graph_add(&f->h.g, addr, &added);

	assert_int_not_equal(i, PHI_NONE);
	assert_true(added);
	f->h.g.type[i] = type;
	phi_graph_set_size(&f->h.g, i, size);
	return i;
}

/* An object: its bytes in the image and its node. */
static uint32_t add_obj(struct fx *f, uint32_t type, const unsigned char *b,
			size_t len, uint64_t size)
{
	return add_node(f, add_mem(f, b, len), type, size);
}

static unsigned char *header(struct fx *f, size_t len, uint32_t type)
{
	unsigned char *b = calloc(1, len);

	assert_non_null(b);
	put64(b, PHI_L(&f->lay, OB_REFCNT), 1);
	put64(b, PHI_L(&f->lay, OB_TYPE), f->h.types.v[type].addr);
	return b;
}

/* State word of a ready str: kind (bits 2-4), compact (5), ascii (6),
 * ready (7). */
static uint32_t str_state(unsigned kind, bool compact, bool ascii)
{
	return (kind << 2) | ((uint32_t)compact << 5) |
	       ((uint32_t)ascii << 6) | (1u << 7);
}

/* A compact ASCII str (what "..." literals are); `stored` characters of
 * `length` are in the image. */
static uint32_t add_str_n(struct fx *f, uint32_t type, const char *s,
			  uint64_t length, size_t stored)
{
	size_t hdr = (size_t)PHI_L(&f->lay, ASCII_SIZE);
	unsigned char *b = header(f, hdr + stored + 1, type);
	uint32_t i;

	put64(b, PHI_L(&f->lay, ASCII_LENGTH), length);
	put64(b, PHI_L(&f->lay, ASCII_HASH), UINT64_MAX);
	put32(b, PHI_L(&f->lay, ASCII_STATE), str_state(1, true, true));
	memcpy(b + hdr, s, stored);
	i = add_obj(f, type, b, hdr + stored + 1, hdr + length + 1);
	free(b);
	return i;
}

static uint32_t add_str(struct fx *f, const char *s)
{
	return add_str_n(f, T_STR, s, strlen(s), strlen(s));
}

/* A compact UCS-2 str (PyCompactUnicodeObject, kind 2). */
static uint32_t add_str2(struct fx *f, const uint16_t *s, size_t n)
{
	size_t hdr = (size_t)PHI_L(&f->lay, COMPACT_SIZE);
	unsigned char *b = header(f, hdr + 2 * (n + 1), T_STR);
	uint32_t i;

	put64(b, PHI_L(&f->lay, ASCII_LENGTH), n);
	put64(b, PHI_L(&f->lay, ASCII_HASH), UINT64_MAX);
	put32(b, PHI_L(&f->lay, ASCII_STATE), str_state(2, true, false));
	memcpy(b + hdr, s, 2 * n);
	i = add_obj(f, T_STR, b, hdr + 2 * (n + 1), hdr + 2 * (n + 1));
	free(b);
	return i;
}

/* A str subclass instance: a PyUnicodeObject whose characters are in a
 * separate block at data (NULL: a fresh block holding s; else that
 * address, possibly outside the image). */
static uint32_t add_legacy_str(struct fx *f, uint32_t type, const char *s,
			       uint64_t data)
{
	size_t hdr = (size_t)PHI_L(&f->lay, UNICODE_SIZE);
	size_t n = strlen(s);
	unsigned char *b = header(f, hdr, type);
	uint32_t i;

	if (!data)
		data = add_mem(f, s, n + 1);
	put64(b, PHI_L(&f->lay, ASCII_LENGTH), n);
	put64(b, PHI_L(&f->lay, ASCII_HASH), UINT64_MAX);
	put32(b, PHI_L(&f->lay, ASCII_STATE), str_state(1, false, true));
	put64(b, PHI_L(&f->lay, UNICODE_DATA), data);
	i = add_obj(f, type, b, hdr, hdr + n + 1 + 16);
	free(b);
	return i;
}

static uint32_t add_bytes(struct fx *f, const void *s, size_t n)
{
	size_t sval = (size_t)PHI_L(&f->lay, BYTES_SVAL);
	unsigned char *b = header(f, sval + n + 1, T_BYTES);
	uint32_t i;

	put64(b, PHI_L(&f->lay, OB_SIZE), n);
	put64(b, PHI_L(&f->lay, BYTES_SHASH), UINT64_MAX);
	memcpy(b + sval, s, n);
	i = add_obj(f, T_BYTES, b, sval + n + 1, sval + n + 1);
	free(b);
	return i;
}

/* An int from its 30-bit digits, as stored (ob_size = sign * n). */
static uint32_t add_int_digits(struct fx *f, uint32_t type, int64_t ob_size,
			       const uint32_t *d)
{
	size_t n = (size_t)(ob_size < 0 ? -ob_size : ob_size);
	size_t off = (size_t)PHI_L(&f->lay, LONG_DIGIT);
	size_t len = off + 4 * (n ? n : 1);
	unsigned char *b = header(f, len, type);
	uint32_t i;

	put64(b, PHI_L(&f->lay, OB_SIZE), (uint64_t)ob_size);
	for (size_t k = 0; k < n; k++)
		put32(b, (int64_t)(off + 4 * k), d[k]);
	i = add_obj(f, type, b, len, len);
	free(b);
	return i;
}

static uint32_t add_int(struct fx *f, int64_t v)
{
	uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
	uint32_t d[3] = { 0 };
	int64_t n = 0;

	while (mag) {
		d[n++] = (uint32_t)(mag & ((1u << 30) - 1));
		mag >>= 30;
	}
	return add_int_digits(f, T_INT, v < 0 ? -n : n, d);
}

static uint32_t add_float(struct fx *f, double v)
{
	size_t len = (size_t)PHI_L(&f->lay, FLOAT_FVAL) + 8;
	unsigned char *b = header(f, len, T_FLOAT);
	uint32_t i;

	memcpy(b + PHI_L(&f->lay, FLOAT_FVAL), &v, 8);
	i = add_obj(f, T_FLOAT, b, len, 24);
	free(b);
	return i;
}

/* A tuple of the objects of nodes items[0..stored), with ob_size n. */
static uint32_t add_tuple_n(struct fx *f, uint32_t type, int64_t n,
			    const uint32_t *items, size_t stored)
{
	size_t off = (size_t)PHI_L(&f->lay, TUPLE_ITEM);
	size_t len = off + 8 * stored;
	unsigned char *b = header(f, len, type);
	uint32_t i;

	put64(b, PHI_L(&f->lay, OB_SIZE), (uint64_t)n);
	for (size_t k = 0; k < stored; k++)
		put64(b, (int64_t)(off + 8 * k), f->h.g.addr[items[k]]);
	i = add_obj(f, type, b, len, 16 + len);
	free(b);
	return i;
}

static uint32_t add_tuple(struct fx *f, const uint32_t *items, size_t n)
{
	return add_tuple_n(f, T_TUPLE, (int64_t)n, items, n);
}

static uint32_t add_list(struct fx *f)
{
	size_t len = (size_t)PHI_L(&f->lay, LIST_ALLOCATED) + 8;
	unsigned char *b = header(f, len, T_LIST);
	uint32_t i;

	i = add_obj(f, T_LIST, b, len, 56);
	free(b);
	return i;
}

/* Close the graph (no edges: dups does not follow them) and run. */
static void find(struct fx *f, struct phi_dups *d, size_t top)
{
	struct phi_error err = { 0 };

	if (!f->finished) {
		for (size_t i = 0; i < f->h.g.n; i++)
			phi_graph_begin_edges(&f->h.g, (uint32_t)i);
		phi_graph_finish(&f->h.g);
		f->finished = true;
	}
	memset(d, 0xAA, sizeof(*d));
	assert_int_equal(phi_dups_find(d, &f->h, 0x5eed, top, &err), 0);
	assert_true(d->ngroups <= top);
	assert_true(d->ngroups <= d->total_groups);
	if (d->ngroups)
		assert_non_null(d->groups);
	for (size_t i = 0; i < d->ngroups; i++) {
		const struct phi_dup_group *g = &d->groups[i];

		assert_true(g->count >= 2);
		assert_true(g->first < f->h.g.n);
		assert_non_null(memchr(g->preview, '\0', sizeof(g->preview)));
		assert_non_null(memchr(g->type, '\0', sizeof(g->type)));
		if (i) {
			const struct phi_dup_group *p = &d->groups[i - 1];

			assert_true(p->wasted > g->wasted ||
				    (p->wasted == g->wasted &&
				     (p->count > g->count ||
				      (p->count == g->count &&
				       p->first < g->first))));
		}
	}
}

/* The group whose lowest member is node first (NULL if none). */
static const struct phi_dup_group *group_of(const struct phi_dups *d,
					    uint32_t first)
{
	for (size_t i = 0; i < d->ngroups; i++)
		if (d->groups[i].first == first)
			return &d->groups[i];
	return NULL;
}

/* ---- tests ------------------------------------------------------------ */

static void test_empty_heap(void **state)
{
	struct fx *f = *state;
	struct phi_dups d;

	find(f, &d, 10);
	assert_int_equal(d.ngroups, 0);
	assert_null(d.groups);
	assert_int_equal(d.total_groups, 0);
	assert_int_equal(d.total_wasted, 0);
	assert_int_equal(d.objects_examined, 0);
	phi_dups_release(&d);
	phi_dups_release(&d);
}

static void test_str_group(void **state)
{
	struct fx *f = *state;
	struct phi_dups d;
	uint32_t a, b, c, w;

	w = add_str(f, "world");
	a = add_str(f, "hello");
	b = add_str(f, "hello");
	c = add_str(f, "hello");
	(void)b;
	(void)c;
	find(f, &d, 10);
	assert_int_equal(d.objects_examined, 4);
	assert_int_equal(d.total_groups, 1);
	assert_int_equal(d.ngroups, 1);
	assert_int_equal(d.groups[0].first, a);
	assert_int_equal(d.groups[0].count, 3);
	assert_int_equal(d.groups[0].size, 54);
	assert_int_equal(d.groups[0].wasted, 2 * 54);
	assert_int_equal(d.total_wasted, 108);
	assert_string_equal(d.groups[0].type, "str");
	assert_string_equal(d.groups[0].preview, "hello");
	assert_null(group_of(&d, w));
	phi_dups_release(&d);
	assert_null(d.groups);
	assert_int_equal(d.ngroups, 0);
}

/* Size is the smallest member's; wasted the rest. */
static void test_sizes(void **state)
{
	struct fx *f = *state;
	struct phi_dups d;
	uint32_t a, b, c;

	a = add_str(f, "abc");
	b = add_str(f, "abc");
	c = add_str(f, "abc");
	phi_graph_set_size(&f->h.g, a, 100);
	phi_graph_set_size(&f->h.g, b, 60);
	phi_graph_set_size(&f->h.g, c, 80);
	find(f, &d, 10);
	assert_int_equal(d.ngroups, 1);
	assert_int_equal(d.groups[0].size, 60);
	assert_int_equal(d.groups[0].wasted, 180);
	phi_dups_release(&d);
}

static void test_ucs2_str(void **state)
{
	struct fx *f = *state;
	static const uint16_t e1[] = { 0xe9, 0x20ac }; /* "é€" */
	static const uint16_t e2[] = { 0xe9, 0x20ad };
	struct phi_dups d;
	uint32_t a;

	a = add_str2(f, e1, 2);
	add_str2(f, e1, 2);
	add_str2(f, e2, 2);
	/* Same bytes as kind 1 would be a different str. */
	add_str_n(f, T_STR, "\xe9\x00\xac\x20", 4, 4);
	find(f, &d, 10);
	assert_int_equal(d.objects_examined, 4);
	assert_int_equal(d.total_groups, 1);
	assert_int_equal(d.groups[0].first, a);
	assert_int_equal(d.groups[0].count, 2);
	assert_string_equal(d.groups[0].preview, "\xc3\xa9\xe2\x82\xac");
	phi_dups_release(&d);
}

static void test_bytes_group(void **state)
{
	struct fx *f = *state;
	struct phi_dups d;
	uint32_t a;

	a = add_bytes(f, "ab\\c\x01", 5);
	add_bytes(f, "ab\\c\x02", 5);
	add_bytes(f, "ab\\c\x01", 5);
	add_bytes(f, "ab\\c", 4);
	find(f, &d, 10);
	assert_int_equal(d.objects_examined, 4);
	assert_int_equal(d.total_groups, 1);
	assert_int_equal(d.groups[0].first, a);
	assert_int_equal(d.groups[0].count, 2);
	assert_int_equal(d.groups[0].size, 32 + 5 + 1);
	assert_int_equal(d.groups[0].wasted, 38);
	assert_string_equal(d.groups[0].type, "bytes");
	assert_string_equal(d.groups[0].preview, "ab\\\\c\\x01");
	phi_dups_release(&d);
}

static void test_ints(void **state)
{
	struct fx *f = *state;
	/* 2^60 + 5 and a non-normalised copy (a zero top digit). */
	static const uint32_t big[] = { 5, 0, 1 };
	static const uint32_t big0[] = { 5, 0, 1, 0 };
	struct phi_dups d;
	uint32_t a, bg;

	a = add_int(f, 1000);
	add_int(f, -1000);
	add_int(f, 1000);
	bg = add_int_digits(f, T_INT, 3, big);
	add_int_digits(f, T_INT, 4, big0);
	add_int_digits(f, T_INT, -3, big);
	add_int(f, 0);
	find(f, &d, 10);
	assert_int_equal(d.objects_examined, 7);
	assert_int_equal(d.total_groups, 2);
	assert_non_null(group_of(&d, a));
	assert_int_equal(group_of(&d, a)->count, 2);
	assert_string_equal(group_of(&d, a)->preview, "1000");
	assert_string_equal(group_of(&d, a)->type, "int");
	assert_non_null(group_of(&d, bg));
	assert_int_equal(group_of(&d, bg)->count, 2);
	assert_string_equal(group_of(&d, bg)->preview, "1152921504606846981");
	phi_dups_release(&d);
}

/* Ints with a digit of more than 30 bits are skipped. */
static void test_bad_ints(void **state)
{
	struct fx *f = *state;
	static const uint32_t bad[] = { 1u << 30 };
	struct phi_dups d;

	add_int_digits(f, T_INT, 1, bad);
	add_int_digits(f, T_INT, -1, bad);
	add_int_digits(f, T_INT, -1, bad);
	find(f, &d, 10);
	assert_int_equal(d.objects_examined, 0);
	assert_int_equal(d.total_groups, 0);
	phi_dups_release(&d);
}

/* Ints whose digits are not in the image (1000 claimed, 1 stored) are
 * skipped. */
static void test_int_digits_outside(void **state)
{
	struct fx *f = *state;
	struct phi_dups d;
	size_t len = (size_t)PHI_L(&f->lay, LONG_DIGIT) + 4;

	for (int k = 0; k < 2; k++) {
		unsigned char *b = header(f, len, T_INT);

		put64(b, PHI_L(&f->lay, OB_SIZE), (uint64_t)-1000);
		put32(b, PHI_L(&f->lay, LONG_DIGIT), 7);
		add_obj(f, T_INT, b, len, len);
		free(b);
	}
	find(f, &d, 10);
	assert_int_equal(d.objects_examined, 0);
	assert_int_equal(d.total_groups, 0);
	phi_dups_release(&d);
}

static void test_floats(void **state)
{
	struct fx *f = *state;
	struct phi_dups d;
	uint32_t a, n;

	add_float(f, 0.0);
	add_float(f, -0.0);
	a = add_float(f, 1.5);
	add_float(f, 1.5);
	add_float(f, 1.5000000000000002);
	/* Same bits: grouped although nan != nan. */
	n = add_float(f, NAN);
	add_float(f, NAN);
	find(f, &d, 10);
	assert_int_equal(d.objects_examined, 7);
	assert_int_equal(d.total_groups, 2);
	assert_non_null(group_of(&d, a));
	assert_int_equal(group_of(&d, a)->count, 2);
	assert_int_equal(group_of(&d, a)->wasted, 24);
	assert_string_equal(group_of(&d, a)->preview, "1.5");
	assert_string_equal(group_of(&d, a)->type, "float");
	assert_non_null(group_of(&d, n));
	assert_string_equal(group_of(&d, n)->preview, "nan");
	phi_dups_release(&d);
}

/* '1', b'1', 1, 1.0 and True are not the same value here. */
static void test_kinds_apart(void **state)
{
	struct fx *f = *state;
	static const uint32_t one[] = { 1 };
	struct phi_dups d;

	add_str(f, "1");
	add_bytes(f, "1", 1);
	add_int(f, 1);
	add_float(f, 1.0);
	/* True and False: singletons, never examined. */
	add_int_digits(f, T_BOOL, 1, one);
	add_int_digits(f, T_BOOL, 1, one);
	find(f, &d, 10);
	assert_int_equal(d.objects_examined, 4);
	assert_int_equal(d.total_groups, 0);
	assert_int_equal(d.ngroups, 0);
	assert_null(d.groups);
	phi_dups_release(&d);
}

/* A str subclass is not grouped with str; one with a __dict__ is not
 * compared at all. */
static void test_str_subclass(void **state)
{
	struct fx *f = *state;
	struct phi_dups d;
	uint32_t s, m;

	s = add_str(f, "hello");
	m = add_legacy_str(f, T_MYSTR, "hello", 0);
	add_legacy_str(f, T_MYSTR, "hello", 0);
	add_legacy_str(f, T_DICTSTR, "hello", 0);
	add_legacy_str(f, T_DICTSTR, "hello", 0);
	find(f, &d, 10);
	assert_int_equal(d.objects_examined, 3);
	assert_int_equal(d.total_groups, 1);
	assert_null(group_of(&d, s));
	assert_non_null(group_of(&d, m));
	assert_int_equal(group_of(&d, m)->count, 2);
	assert_string_equal(group_of(&d, m)->type, "__main__.MyStr");
	assert_string_equal(group_of(&d, m)->preview, "hello");
	phi_dups_release(&d);
}

/* Characters outside the image: the str is skipped. */
static void test_str_outside(void **state)
{
	struct fx *f = *state;
	struct phi_dups d;

	add_legacy_str(f, T_MYSTR, "hello", A_NOWHERE);
	add_legacy_str(f, T_MYSTR, "hello", A_NOWHERE);
	/* 1000 characters claimed, 5 stored. */
	add_str_n(f, T_STR, "hello", 1000, 5);
	add_str_n(f, T_STR, "hello", 1000, 5);
	/* Header not in the image at all. */
	add_node(f, A_NOWHERE + 0x1000, T_STR, 54);
	add_node(f, A_NOWHERE + 0x2000, T_STR, 54);
	find(f, &d, 10);
	assert_int_equal(d.objects_examined, 0);
	assert_int_equal(d.total_groups, 0);
	phi_dups_release(&d);
}

/* Nodes flagged BAD or without a type are not examined. */
static void test_bad_nodes(void **state)
{
	struct fx *f = *state;
	struct phi_dups d;
	uint32_t a, b, c;

	a = add_str(f, "x1");
	b = add_str(f, "x1");
	c = add_str(f, "x1");
	f->h.g.flags[a] |= PHI_NODE_BAD;
	f->h.g.type[b] = PHI_NONE;
	(void)c;
	find(f, &d, 10);
	assert_int_equal(d.objects_examined, 1);
	assert_int_equal(d.total_groups, 0);
	phi_dups_release(&d);
}

/* (1000, 'x') twice, made of different item objects. */
static void test_tuples(void **state)
{
	struct fx *f = *state;
	struct phi_dups d;
	uint32_t i1, i2, x1, x2, t1, t2, t3, z1, z2, o1;
	const struct phi_dup_group *g;

	i1 = add_int(f, 1000);
	x1 = add_str(f, "x");
	i2 = add_int(f, 1000);
	x2 = add_str(f, "x");
	t1 = add_tuple(f, (uint32_t[]){ i1, x1 }, 2);
	t2 = add_tuple(f, (uint32_t[]){ i2, x2 }, 2);
	/* Order matters. */
	t3 = add_tuple(f, (uint32_t[]){ x1, i1 }, 2);
	/* 1-tuples of bytes; different objects, same value. */
	z1 = add_tuple(f, (uint32_t[]){ add_bytes(f, "z", 1) }, 1);
	z2 = add_tuple(f, (uint32_t[]){ add_bytes(f, "z", 1) }, 1);
	/* (1000.0,) is not (1000,). */
	o1 = add_tuple(f, (uint32_t[]){ add_float(f, 1000.0) }, 1);
	add_tuple(f, (uint32_t[]){ i1 }, 1);
	(void)t2;
	find(f, &d, 10);
	/* 4 + 3 scalars, 7 tuples. */
	assert_int_equal(d.objects_examined, 14);
	/* 1000, 'x', b'z', (1000, 'x'), (b'z',) */
	assert_int_equal(d.total_groups, 5);
	g = group_of(&d, t1);
	assert_non_null(g);
	assert_int_equal(g->count, 2);
	assert_int_equal(g->size, 16 + 24 + 16);
	assert_string_equal(g->type, "tuple");
	assert_string_equal(g->preview, "(1000, 'x')");
	assert_null(group_of(&d, t3));
	g = group_of(&d, z1);
	assert_non_null(g);
	assert_int_equal(g->count, 2);
	assert_string_equal(g->preview, "(b'z',)");
	assert_null(group_of(&d, o1));
	(void)z2;
	phi_dups_release(&d);
}

/* A tuple holding a non-scalar (a list, a tuple, a bool, an unknown
 * address) is skipped; so are empty tuples and those over 64 items. */
static void test_tuples_skipped(void **state)
{
	struct fx *f = *state;
	static const uint32_t one[] = { 1 };
	uint32_t items[65];
	struct phi_dups d;
	uint32_t l, i, in, tr, un;

	l = add_list(f);
	i = add_int(f, 7);
	in = add_tuple(f, (uint32_t[]){ i }, 1);
	tr = add_int_digits(f, T_BOOL, 1, one);
	un = add_node(f, A_NOWHERE, T_STR, 50); /* not in the image */
	add_tuple(f, (uint32_t[]){ i, l }, 2);
	add_tuple(f, (uint32_t[]){ i, l }, 2);
	add_tuple(f, (uint32_t[]){ in }, 1);
	add_tuple(f, (uint32_t[]){ in }, 1);
	add_tuple(f, (uint32_t[]){ tr }, 1);
	add_tuple(f, (uint32_t[]){ tr }, 1);
	add_tuple(f, (uint32_t[]){ un }, 1);
	add_tuple(f, (uint32_t[]){ un }, 1);
	add_tuple(f, NULL, 0);
	add_tuple(f, NULL, 0);
	for (size_t k = 0; k < 65; k++)
		items[k] = i;
	add_tuple(f, items, 65);
	add_tuple(f, items, 65);
	find(f, &d, 10);
	/* 7 and (7,) only. */
	assert_int_equal(d.objects_examined, 2);
	assert_int_equal(d.total_groups, 0);
	phi_dups_release(&d);
}

/* 64 items is the most compared; the preview is cut at 200 chars. */
static void test_tuple_preview_cut(void **state)
{
	struct fx *f = *state;
	uint32_t items[64];
	char s100[101];
	struct phi_dups d;
	uint32_t t, w;
	size_t len;

	memset(s100, 'a', 100);
	s100[100] = '\0';
	for (size_t k = 0; k < 64; k++)
		items[k] = add_int(f, 1000 + (int64_t)k);
	t = add_tuple(f, items, 64);
	add_tuple(f, items, 64);
	w = add_tuple(f, (uint32_t[]){ add_str(f, s100), add_str(f, s100) },
		      2);
	add_tuple(f, (uint32_t[]){ add_str(f, s100), add_str(f, s100) }, 2);
	find(f, &d, 10);
	/* 64 ints, the str group, 2 tuple groups. */
	assert_int_equal(d.total_groups, 3);
	assert_non_null(group_of(&d, t));
	len = strlen(group_of(&d, t)->preview);
	assert_int_equal(len, 203);
	assert_memory_equal(group_of(&d, t)->preview, "(1000, 1001, 1002", 17);
	assert_string_equal(group_of(&d, t)->preview + 200, "...");
	assert_non_null(group_of(&d, w));
	len = strlen(group_of(&d, w)->preview);
	assert_int_equal(len, 203);
	assert_memory_equal(group_of(&d, w)->preview, "('aaa", 5);
	/* 1 + 1 + 100 + 1 + 2 + 1 = 106 chars, then 94 more a's. */
	assert_int_equal(group_of(&d, w)->preview[105], '\'');
	assert_int_equal(group_of(&d, w)->preview[199], 'a');
	assert_string_equal(group_of(&d, w)->preview + 200, "...");
	phi_dups_release(&d);
}

/* Non-ASCII items: the cut keeps whole code points. */
static void test_tuple_preview_utf8(void **state)
{
	struct fx *f = *state;
	uint16_t e[150];
	struct phi_dups d;
	uint32_t t;
	const char *p;

	for (size_t k = 0; k < 150; k++)
		e[k] = 0x20ac;
	t = add_tuple(f, (uint32_t[]){ add_str2(f, e, 150), add_str2(f, e, 150) },
		      2);
	add_tuple(f, (uint32_t[]){ add_str2(f, e, 150), add_str2(f, e, 150) },
		  2);
	find(f, &d, 10);
	assert_non_null(group_of(&d, t));
	p = group_of(&d, t)->preview;
	/* "('" + 150 euros + "', '" + 44 euros = 200 chars. */
	assert_int_equal(strlen(p), 2 + 150 * 3 + 4 + 44 * 3 + 3);
	assert_memory_equal(p, "('\xe2\x82\xac", 5);
	assert_string_equal(p + strlen(p) - 6, "\xe2\x82\xac...");
	phi_dups_release(&d);
}

static void test_tuple_huge(void **state)
{
	struct fx *f = *state;
	struct phi_dups d;
	uint32_t i = add_int(f, 5000);

	add_tuple_n(f, T_TUPLE, (int64_t)1 << 40, (uint32_t[]){ i }, 1);
	add_tuple_n(f, T_TUPLE, (int64_t)1 << 40, (uint32_t[]){ i }, 1);
	add_tuple_n(f, T_TUPLE, -2, (uint32_t[]){ i }, 1);
	add_tuple_n(f, T_TUPLE, -2, (uint32_t[]){ i }, 1);
	add_tuple_n(f, T_TUPLE, INT64_MIN, (uint32_t[]){ i }, 1);
	/* 10 items claimed, 2 in the image. */
	add_tuple_n(f, T_TUPLE, 10, (uint32_t[]){ i, i }, 2);
	add_tuple_n(f, T_TUPLE, 10, (uint32_t[]){ i, i }, 2);
	find(f, &d, 10);
	assert_int_equal(d.objects_examined, 1);
	assert_int_equal(d.total_groups, 0);
	phi_dups_release(&d);
}

/* A struct sequence's hidden fields take part in the comparison; the
 * preview shows the visible ones. */
static void test_structseq(void **state)
{
	struct fx *f = *state;
	struct phi_dups d;
	uint32_t a, b, c, s1, s2;

	a = add_int(f, 100001);
	b = add_int(f, 100002);
	c = add_int(f, 100003);
	s1 = add_tuple_n(f, T_STATRES, 2, (uint32_t[]){ a, b, c }, 3);
	s2 = add_tuple_n(f, T_STATRES, 2, (uint32_t[]){ a, b, c }, 3);
	add_tuple_n(f, T_STATRES, 2, (uint32_t[]){ a, b, a }, 3);
	/* A plain tuple (a, b) is not a stat_result. */
	add_tuple(f, (uint32_t[]){ a, b }, 2);
	/* Hidden field missing from the image. */
	add_tuple_n(f, T_STATRES, 2, (uint32_t[]){ a, b }, 2);
	find(f, &d, 10);
	assert_int_equal(d.objects_examined, 3 + 4);
	assert_int_equal(d.total_groups, 1);
	assert_non_null(group_of(&d, s1));
	assert_int_equal(group_of(&d, s1)->count, 2);
	assert_string_equal(group_of(&d, s1)->type, "os.stat_result");
	assert_string_equal(group_of(&d, s1)->preview, "(100001, 100002)");
	(void)s2;
	phi_dups_release(&d);
}

/* top keeps the most wasteful; totals count every group. */
static void test_top(void **state)
{
	struct fx *f = *state;
	struct phi_dups d;
	char big[301];
	uint32_t s, l;

	memset(big, 'b', 300);
	big[300] = '\0';
	s = add_str(f, "small");
	add_str(f, "small");
	add_str(f, "small");
	l = add_str(f, big);
	add_str(f, big);
	find(f, &d, 1);
	assert_int_equal(d.total_groups, 2);
	assert_int_equal(d.total_wasted, 2 * 54 + 349);
	assert_int_equal(d.ngroups, 1);
	assert_int_equal(d.groups[0].first, l);
	assert_int_equal(d.groups[0].wasted, 349);
	/* The str preview is phi_value_preview's: 200 characters. */
	assert_int_equal(strlen(d.groups[0].preview), 200);
	phi_dups_release(&d);

	find(f, &d, 0);
	assert_int_equal(d.total_groups, 2);
	assert_int_equal(d.ngroups, 0);
	assert_null(d.groups);
	phi_dups_release(&d);

	find(f, &d, SIZE_MAX);
	assert_int_equal(d.ngroups, 2);
	assert_int_equal(d.groups[0].first, l);
	assert_int_equal(d.groups[1].first, s);
	phi_dups_release(&d);
}

/* Equal waste: more copies first, then the lower node. */
static void test_ties(void **state)
{
	struct fx *f = *state;
	struct phi_dups d;
	uint32_t a, b, c;

	/* 2 copies of 100 bytes: wasted 100. */
	a = add_str(f, "aa");
	add_str(f, "aa");
	/* 3 copies of 50: wasted 100. */
	b = add_str(f, "bb");
	add_str(f, "bb");
	add_str(f, "bb");
	/* 2 copies of 100 again, later nodes. */
	c = add_str(f, "cc");
	add_str(f, "cc");
	for (uint32_t i = 0; i < f->h.g.n; i++)
		phi_graph_set_size(&f->h.g, i,
				   f->h.g.type[i] == T_STR ? 100 : 0);
	for (uint32_t i = b; i < b + 3; i++)
		phi_graph_set_size(&f->h.g, i, 50);
	find(f, &d, 10);
	assert_int_equal(d.ngroups, 3);
	assert_int_equal(d.groups[0].first, b);
	assert_int_equal(d.groups[1].first, a);
	assert_int_equal(d.groups[2].first, c);
	phi_dups_release(&d);
}

/* Many groups: the bounded heap gives the same prefix as the full
 * ranking. */
static void test_many_groups(void **state)
{
	struct fx *f = *state;
	struct phi_dups all, some;
	char s[32];

	for (int v = 0; v < 300; v++) {
		snprintf(s, sizeof(s), "value-%d", v);
		for (int k = 0; k < 2 + v % 3; k++) {
			uint32_t i = add_str(f, s);

			phi_graph_set_size(&f->h.g, i,
					   50 + (uint64_t)(v * 7919 % 101));
		}
		add_int(f, 1000000 + v);
	}
	find(f, &all, SIZE_MAX);
	assert_int_equal(all.total_groups, 300);
	assert_int_equal(all.ngroups, 300);
	find(f, &some, 100);
	assert_int_equal(some.total_groups, 300);
	assert_int_equal(some.total_wasted, all.total_wasted);
	assert_int_equal(some.objects_examined, all.objects_examined);
	assert_int_equal(some.ngroups, 100);
	for (size_t i = 0; i < 100; i++) {
		assert_int_equal(some.groups[i].first, all.groups[i].first);
		assert_int_equal(some.groups[i].wasted, all.groups[i].wasted);
		assert_string_equal(some.groups[i].preview,
				    all.groups[i].preview);
	}
	phi_dups_release(&all);
	phi_dups_release(&some);
}

/* Enough candidates for every path of the sort: buckets sorted by
 * insertion, buckets split again by the next byte of the hash, long
 * buckets of one hash (300 and 40 copies, left unsorted) among other
 * values; and many tuples over a few shared items (the item hash table).
 * Each group's first member is its lowest node whatever the order. */
static void test_many_candidates(void **state)
{
	struct fx *f = *state;
	struct phi_dups d;
	uint32_t big = PHI_NONE, mid[10], pair = PHI_NONE, items[4];

	for (int k = 0; k < 4; k++)
		items[k] = add_int(f, 5000 + k);
	for (int v = 0; v < 3000; v++) {
		uint32_t i = add_float(f, 1.0 + v);

		(void)i;
		if (v % 10 == 0) {
			i = add_float(f, 0.5);
			if (big == PHI_NONE)
				big = i;
		}
		if (v % 7 == 0 && v < 7 * 40 * 10) {
			i = add_float(f, -1.0 - (v / 7) % 10);
			if (v / 7 < 10)
				mid[v / 7] = i;
		}
		i = add_tuple(f,
			      (uint32_t[]){ items[v % 4], items[(v + 1) % 4] },
			      2);
		if (v == 0)
			pair = i;
	}
	find(f, &d, SIZE_MAX);
	/* 3000 distinct floats, 300 of 0.5, 400 of -1..-10, 3000 tuples,
	 * 4 ints. */
	assert_int_equal(d.objects_examined, 3000 + 300 + 400 + 3000 + 4);
	/* 0.5, ten negatives, four kinds of tuple. */
	assert_int_equal(d.total_groups, 1 + 10 + 4);
	assert_non_null(group_of(&d, big));
	assert_int_equal(group_of(&d, big)->count, 300);
	for (int k = 0; k < 10; k++) {
		assert_non_null(group_of(&d, mid[k]));
		assert_int_equal(group_of(&d, mid[k])->count, 40);
	}
	assert_non_null(group_of(&d, pair));
	assert_int_equal(group_of(&d, pair)->count, 750);
	assert_string_equal(group_of(&d, pair)->preview, "(5000, 5001)");
	phi_dups_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_empty_heap),
		T(test_str_group),
		T(test_sizes),
		T(test_ucs2_str),
		T(test_bytes_group),
		T(test_ints),
		T(test_bad_ints),
		T(test_int_digits_outside),
		T(test_floats),
		T(test_kinds_apart),
		T(test_str_subclass),
		T(test_str_outside),
		T(test_bad_nodes),
		T(test_tuples),
		T(test_tuples_skipped),
		T(test_tuple_preview_cut),
		T(test_tuple_preview_utf8),
		T(test_tuple_huge),
		T(test_structseq),
		T(test_top),
		T(test_ties),
		T(test_many_groups),
		T(test_many_candidates),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
