/* CPython 3.10's tracemalloc from outside: the static tables of
 * Modules/_tracemalloc.c read from the image, then joined with the
 * heap's objects.
 *
 *   _Py_tracemalloc_config      initialized, tracing, max_nframe
 *   tracemalloc_traced_memory   get_traced_memory()[0]; _peak_ [1]
 *   tracemalloc_filenames       set of str (key_hash = the str's hash)
 *   tracemalloc_tracebacks      set of traceback_t (key_hash = its hash)
 *   tracemalloc_traces          domain 0: block address -> trace_t
 *                               (key_hash = the address rotated right
 *                               by 4, _Py_HashPointerRaw)
 *   tracemalloc_domains         domain -> a table like the one above
 *   tracemalloc_empty_traceback the traceback "<unknown>:0" of blocks
 *                               allocated with no Python frame
 *
 * Each table is a _Py_hashtable_t: nbuckets singly linked chains of
 * entries {next, key_hash, key, value}.  Everything is untrusted: each
 * table's header, bucket array and entries must be in the image, every
 * entry must sit in the bucket of its hash and carry the hash its key
 * gives, the chains hold exactly nentries entries (which bounds every
 * walk and catches cycles), and the entries walked, the frames and the
 * filename characters decoded never add up to more than the image holds
 * (honest records do not overlap), so nothing allocated here grows past
 * the size of the copy whatever the counts say.  A table that fails is
 * no error of the tool: the state says "broken", and why. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/base/bigmem.h"
#include "pyheapinspect/base/clock.h"
#include "pyheapinspect/cpython/310/py310.h"
#include "pyheapinspect/cpython/310/str.h"
#include "pyheapinspect/cpython/310/tracemalloc.h"

#define L(id) ((uint64_t)PHI_L(r->lay, id))
/* The longest filename decoded: paths are far shorter. */
#define MAX_FILENAME (1u << 16)
#define UNKNOWN "<unknown>"

/* The keys of a set table (filenames, tracebacks), sorted, and what
 * each became once decoded (PHI_NONE before). */
struct keyset {
	uint64_t *key;
	uint32_t *index;
	size_t n, cap;
};

struct reader {
	const struct phi_heap *h;
	const struct phi_image *img;
	const struct phi_layout *lay;
	const struct phi310 *s;
	struct phi_traces *t;
	struct keyset files, tbs;
	uint64_t unknown;       /* the str unknown_filename points to */
	uint32_t unknown_file;  /* its index in t->files, once decoded */
	uint64_t empty;         /* &tracemalloc_empty_traceback */
	uint32_t empty_tb;
	uint64_t entries_left;  /* table entries the image can hold */
	uint64_t data_left;     /* bytes of frames and names it can hold */
	uint64_t sum;           /* of every trace's size */
	uint64_t *slot;         /* domain 0's blocks by address */
	bool summary;           /* count the traces, read none */
	uint64_t mask;
	size_t cap_v, cap_tb, cap_frames, cap_files;
	char why[200];          /* the first validation failure */
};

/* A validation failure: keep the first reason; 0 for the callers'
 * "invalid" (1 is "fine", -1 "out of memory"). */
__attribute__((format(printf, 2, 3)))
static int bad(struct reader *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->why[0]) {
		va_start(ap, fmt);
		vsnprintf(r->why, sizeof(r->why), fmt, ap);
		va_end(ap);
	}
	return 0;
}

#define X64(v) ((unsigned long long)(v))

static bool rd64(const struct reader *r, uint64_t addr, uint64_t *out)
{
	return phi_image_u64(r->img, addr, out);
}

static bool rd32(const struct reader *r, uint64_t addr, uint32_t *out)
{
	return phi_image_u32(r->img, addr, out);
}

/* Grow *p (elements of size sz, capacity *cap) to hold n + 1. */
static int grow(void *p, size_t *cap, size_t n, size_t sz)
{
	void **pp = p;
	size_t ncap;
	void *q;

	if (n < *cap)
		return 1;
	ncap = *cap ? *cap * 2 : 64;
	q = phi_big_realloc(*pp, ncap * sz);
	if (!q)
		return -1;
	*pp = q;
	*cap = ncap;
	return 1;
}

/* ---- one hash table --------------------------------------------------- */

struct table {
	uint64_t nentries, nbuckets;
	const unsigned char *heads;  /* nbuckets chain heads, in the image */
};

static int table_open(struct reader *r, uint64_t addr, const char *what,
		      struct table *tb)
{
	uint64_t buckets;

	if (!rd64(r, addr + L(TMHT_NENTRIES), &tb->nentries) ||
	    !rd64(r, addr + L(TMHT_NBUCKETS), &tb->nbuckets) ||
	    !rd64(r, addr + L(TMHT_BUCKETS), &buckets))
		return bad(r, "%s: the table at 0x%llx is not in the copied "
			   "memory", what, X64(addr));
	if (tb->nbuckets < PHI_TM_HASHTABLE_MIN ||
	    (tb->nbuckets & (tb->nbuckets - 1)) ||
	    tb->nbuckets > r->img->bytes / 8)
		return bad(r, "%s: %llu buckets (a power of two, at least "
			   "%d, is what it keeps)", what, X64(tb->nbuckets),
			   PHI_TM_HASHTABLE_MIN);
	tb->heads = phi_image_ptr(r->img, buckets, (size_t)tb->nbuckets * 8);
	if (!tb->heads)
		return bad(r, "%s: its %llu buckets at 0x%llx are not in the "
			   "copied memory", what, X64(tb->nbuckets),
			   X64(buckets));
	if (tb->nentries > r->entries_left)
		return bad(r, "%s: %llu entries, more than the copied memory "
			   "holds", what, X64(tb->nentries));
	r->entries_left -= tb->nentries;
	return 1;
}

typedef int (*visit_fn)(struct reader *r, uint64_t key, uint64_t value,
			uint64_t hash, void *ctx);

static int table_walk(struct reader *r, const struct table *tb,
		      const char *what, visit_fn visit, void *ctx)
{
	uint64_t mask = tb->nbuckets - 1, seen = 0;

	for (uint64_t b = 0; b < tb->nbuckets; b++) {
		uint64_t e;

		memcpy(&e, tb->heads + 8 * b, 8);
		while (e) {
			const unsigned char *p;
			uint64_t next, hash, key, value;
			int rc;

			if (++seen > tb->nentries)
				return bad(r, "%s: its chains hold more than "
					   "its %llu entries (a cycle, or a "
					   "table being updated)", what,
					   X64(tb->nentries));
			p = phi_image_ptr(r->img, e, (size_t)L(TMENT_SIZE));
			if (!p)
				return bad(r, "%s: entry 0x%llx is not in the "
					   "copied memory", what, X64(e));
			memcpy(&next, p + L(TMENT_NEXT), 8);
			memcpy(&hash, p + L(TMENT_KEY_HASH), 8);
			memcpy(&key, p + L(TMENT_KEY), 8);
			memcpy(&value, p + L(TMENT_VALUE), 8);
			if ((hash & mask) != b)
				return bad(r, "%s: entry 0x%llx of bucket %llu "
					   "has the hash of bucket %llu", what,
					   X64(e), X64(b), X64(hash & mask));
			rc = visit(r, key, value, hash, ctx);
			if (rc <= 0)
				return rc;
			e = next;
		}
	}
	if (seen != tb->nentries)
		return bad(r, "%s: %llu entries in its chains, %llu in its "
			   "count", what, X64(seen), X64(tb->nentries));
	return 1;
}

/* ---- the sets: filenames and tracebacks ------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int visit_filename(struct reader *r, uint64_t key, uint64_t value,
			  uint64_t hash, void *ctx)
{
	struct keyset *ks = ctx;
	uint64_t h;

	(void)value;
	/* The key hash is PyObject_Hash(str): its cached hash. */
	if (!rd64(r, key + L(ASCII_HASH), &h) || h != hash)
		return bad(r, "tracemalloc_filenames: 0x%llx is not a str "
			   "with the hash of its entry", X64(key));
	if (grow(&ks->key, &ks->cap, ks->n, sizeof(*ks->key)) < 0)
		return -1;
	ks->key[ks->n++] = key;
	return 1;
}

static int visit_traceback(struct reader *r, uint64_t key, uint64_t value,
			   uint64_t hash, void *ctx)
{
	struct keyset *ks = ctx;
	uint64_t h;

	(void)value;
	if (!rd64(r, key + L(TMTB_HASH), &h) || h != hash)
		return bad(r, "tracemalloc_tracebacks: 0x%llx is not a "
			   "traceback with the hash of its entry", X64(key));
	if (grow(&ks->key, &ks->cap, ks->n, sizeof(*ks->key)) < 0)
		return -1;
	ks->key[ks->n++] = key;
	return 1;
}

/* A set table read into ks: its keys sorted, all distinct. */
static int read_set(struct reader *r, enum phi_sym_id sym, visit_fn visit,
		    struct keyset *ks)
{
	const char *what = phi_symbol_name(sym);
	struct table tb;
	uint64_t addr;
	int rc;

	if (!rd64(r, r->s->sym[sym], &addr))
		return bad(r, "%s is not in the copied memory", what);
	rc = table_open(r, addr, what, &tb);
	if (rc > 0)
		rc = table_walk(r, &tb, what, visit, ks);
	if (rc <= 0)
		return rc;
	qsort(ks->key, ks->n, sizeof(*ks->key), cmp_u64);
	for (size_t i = 1; i < ks->n; i++)
		if (ks->key[i] == ks->key[i - 1])
			return bad(r, "%s: 0x%llx is in it twice", what,
				   X64(ks->key[i]));
	ks->index = malloc((ks->n ? ks->n : 1) * sizeof(*ks->index));
	if (!ks->index)
		return -1;
	for (size_t i = 0; i < ks->n; i++)
		ks->index[i] = PHI_NONE;
	return 1;
}

/* Position of key in ks, or PHI_NONE. */
static uint32_t keyset_find(const struct keyset *ks, uint64_t key)
{
	size_t lo = 0, hi = ks->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->key[mid] == key)
			return (uint32_t)mid;
		if (ks->key[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return PHI_NONE;
}

/* ---- filenames -------------------------------------------------------- */

/* UTF-8 that keeps code-point order: surrogates are encoded like any
 * other code point below U+10000 (Python compares str by code point). */
static size_t put_utf8(char *p, uint32_t c)
{
	if (c > 0x10ffff)
		c = 0xfffd;
	if (c < 0x80) {
		p[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		p[0] = (char)(0xc0 | c >> 6);
		p[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		p[0] = (char)(0xe0 | c >> 12);
		p[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		p[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	p[0] = (char)(0xf0 | c >> 18);
	p[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	p[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	p[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* The str at addr appended to t->files (its index in *out). */
static int decode_file(struct reader *r, uint64_t addr, uint32_t *out)
{
	struct phi_traces *t = r->t;
	struct phi_str s;
	uint64_t type = 0;
	char *text;
	size_t n = 0;

	if (!rd64(r, addr + L(OB_TYPE), &type) ||
	    type != r->s->sym[PHI_S_UNICODE_TYPE] ||
	    !phi_str_read(r->img, r->lay, addr, &s) || !s.ready || !s.data)
		return bad(r, "filename 0x%llx is not a readable str",
			   X64(addr));
	if (s.length > MAX_FILENAME || s.length * s.kind > r->data_left)
		return bad(r, "filename 0x%llx: %llu characters", X64(addr),
			   X64(s.length));
	r->data_left -= s.length * s.kind;
	if (grow(&t->files, &r->cap_files, t->nfiles, sizeof(*t->files)) < 0)
		return -1;
	text = malloc(s.length * 4 + 1);
	if (!text)
		return -1;
	for (uint64_t i = 0; i < s.length; i++)
		n += put_utf8(text + n, phi_str_char(&s, i));
	text[n] = '\0';
	t->files[t->nfiles] = (struct phi_trace_file){ text, n };
	*out = (uint32_t)t->nfiles++;
	return 1;
}

static int file_index(struct reader *r, uint64_t addr, uint32_t *out)
{
	uint32_t pos;
	int rc;

	if (addr == r->unknown && r->unknown_file != PHI_NONE) {
		*out = r->unknown_file;
		return 1;
	}
	pos = keyset_find(&r->files, addr);
	if (pos == PHI_NONE && addr != r->unknown)
		return bad(r, "a frame's filename 0x%llx is not one of "
			   "tracemalloc_filenames", X64(addr));
	if (pos != PHI_NONE && r->files.index[pos] != PHI_NONE) {
		*out = r->files.index[pos];
		return 1;
	}
	rc = decode_file(r, addr, out);
	if (rc > 0 && pos != PHI_NONE)
		r->files.index[pos] = *out;
	if (rc > 0 && addr == r->unknown)
		r->unknown_file = *out;
	return rc;
}

/* ---- tracebacks ------------------------------------------------------- */

static int decode_traceback(struct reader *r, uint64_t addr, uint32_t *out)
{
	struct phi_traces *t = r->t;
	const unsigned char *p;
	uint64_t fsize = L(TMFRAME_SIZE), bytes;
	uint16_t nframe, total;
	int rc;

	p = phi_image_ptr(r->img, addr, (size_t)L(TMTB_FRAMES));
	if (!p)
		return bad(r, "traceback 0x%llx is not in the copied memory",
			   X64(addr));
	memcpy(&nframe, p + L(TMTB_NFRAME), 2);
	memcpy(&total, p + L(TMTB_TOTAL_NFRAME), 2);
	if (nframe < 1 || (int)nframe > t->max_nframe || total < nframe)
		return bad(r, "traceback 0x%llx: %u frames of %u (the limit "
			   "is %d)", X64(addr), nframe, total, t->max_nframe);
	bytes = nframe * fsize;
	if (bytes > r->data_left)
		return bad(r, "traceback 0x%llx: more frames than the copied "
			   "memory holds", X64(addr));
	r->data_left -= bytes;
	p = phi_image_ptr(r->img, addr + L(TMTB_FRAMES), (size_t)bytes);
	if (!p)
		return bad(r, "the frames of traceback 0x%llx are not in the "
			   "copied memory", X64(addr));
	if (grow(&t->tb, &r->cap_tb, t->ntb, sizeof(*t->tb)) < 0)
		return -1;
	t->tb[t->ntb] = (struct phi_traceback){ (uint32_t)t->nframes, nframe,
						total };
	for (unsigned i = 0; i < nframe; i++) {
		struct phi_trace_frame *f;
		uint64_t filename;
		uint32_t lineno;

		/* frame_t is packed: read its fields by copy */
		memcpy(&filename, p + i * fsize + L(TMFRAME_FILENAME), 8);
		memcpy(&lineno, p + i * fsize + L(TMFRAME_LINENO), 4);
		if (grow(&t->frames, &r->cap_frames, t->nframes,
			 sizeof(*t->frames)) < 0)
			return -1;
		f = &t->frames[t->nframes];
		rc = file_index(r, filename, &f->file);
		if (rc <= 0)
			return rc;
		f->lineno = lineno;
		t->nframes++;
	}
	*out = (uint32_t)t->ntb++;
	return 1;
}

static int traceback_index(struct reader *r, uint64_t addr, uint32_t *out)
{
	uint32_t pos;
	int rc;

	if (addr == r->empty) {
		*out = r->empty_tb;
		return 1;
	}
	pos = keyset_find(&r->tbs, addr);
	if (pos == PHI_NONE)
		return bad(r, "a trace's traceback 0x%llx is not one of "
			   "tracemalloc_tracebacks", X64(addr));
	if (r->tbs.index[pos] != PHI_NONE) {
		*out = r->tbs.index[pos];
		return 1;
	}
	rc = decode_traceback(r, addr, out);
	if (rc > 0)
		r->tbs.index[pos] = *out;
	return rc;
}

/* tracemalloc_empty_traceback is "<unknown>:0", and unknown_filename
 * the str "<unknown>": what proves that both symbols are the right
 * statics. */
static int read_empty(struct reader *r)
{
	const struct phi_traces *t = r->t;
	const struct phi_traceback *b;
	const struct phi_trace_file *f;
	int rc;

	if (!rd64(r, r->s->sym[PHI_S_TM_UNKNOWN_FILENAME], &r->unknown))
		return bad(r, "unknown_filename is not in the copied memory");
	r->empty = r->s->sym[PHI_S_TM_EMPTY_TRACEBACK];
	rc = decode_traceback(r, r->empty, &r->empty_tb);
	if (rc <= 0)
		return rc;
	b = &t->tb[r->empty_tb];
	f = &t->files[t->frames[b->frame].file];
	if (b->nframe != 1 || b->total_nframe != 1 ||
	    t->frames[b->frame].file != r->unknown_file ||
	    t->frames[b->frame].lineno != 0 ||
	    f->len != strlen(UNKNOWN) || memcmp(f->text, UNKNOWN, f->len))
		return bad(r, "tracemalloc_empty_traceback is not "
			   "\"<unknown>:0\": the symbols do not match this "
			   "build");
	return 1;
}

/* ---- traces ----------------------------------------------------------- */

/* _Py_HashPointerRaw: the pointer rotated right by 4 bits. */
static uint64_t hash_pointer(uint64_t p)
{
	return p >> 4 | p << 60;
}

static int visit_trace(struct reader *r, uint64_t key, uint64_t value,
		       uint64_t hash, void *ctx)
{
	struct phi_traces *t = r->t;
	const uint32_t *domain = ctx;
	const unsigned char *p;
	uint64_t size, tbp;
	uint32_t tb;
	int rc;

	if (hash != hash_pointer(key))
		return bad(r, "traces of domain %u: block 0x%llx has hash "
			   "0x%llx", *domain, X64(key), X64(hash));
	p = phi_image_ptr(r->img, value, (size_t)L(TMTRACE_SIZE));
	if (!p)
		return bad(r, "the trace of block 0x%llx is not in the copied "
			   "memory", X64(key));
	memcpy(&size, p + L(TMTRACE_BYTES), 8);
	memcpy(&tbp, p + L(TMTRACE_TRACEBACK), 8);
	rc = traceback_index(r, tbp, &tb);
	if (rc <= 0)
		return rc;
	if (size > UINT64_MAX - r->sum)
		return bad(r, "the traces' sizes overflow");
	r->sum += size;
	if (grow(&t->v, &r->cap_v, t->n, sizeof(*t->v)) < 0)
		return -1;
	t->v[t->n++] = (struct phi_trace){ key, size, tb, *domain };
	return 1;
}

static int read_traces(struct reader *r, uint64_t table, uint32_t domain)
{
	char what[48];
	struct table tb;
	int rc;

	snprintf(what, sizeof(what), "traces of domain %u", domain);
	rc = table_open(r, table, what, &tb);
	if (rc <= 0)
		return rc;
	/* Room for them all at once (the count is bounded by the image:
	 * table_open checked it). */
	if (r->cap_v < r->t->n + tb.nentries) {
		void *v = phi_big_realloc(r->t->v, (r->t->n + tb.nentries) *
					  sizeof(*r->t->v));

		if (!v)
			return -1;
		r->t->v = v;
		r->cap_v = r->t->n + tb.nentries;
	}
	return table_walk(r, &tb, what, visit_trace, &domain);
}

static int visit_domain(struct reader *r, uint64_t key, uint64_t value,
			uint64_t hash, void *ctx)
{
	(void)ctx;
	/* Domain 0 is tracemalloc_traces itself, never listed here. */
	if (key == 0 || key > UINT32_MAX || hash != key)
		return bad(r, "tracemalloc_domains: domain %llu with hash "
			   "0x%llx", X64(key), X64(hash));
	return read_traces(r, value, (uint32_t)key);
}

/* Domain 0's blocks by address, for the objects' lookups: open
 * addressing; a slot holds index + 1 in its low half and 32 bits of the
 * address's hash above, so that a probe rarely reads a trace it does not
 * want.  A block traced twice is refused (another domain's duplicates
 * would only count twice). */
static uint64_t slot_tag(uint64_t hash)
{
	return hash >> 32 << 32;
}

static int index_domain0(struct reader *r)
{
	const struct phi_traces *t = r->t;
	uint64_t size = 16;

	while (size < 2 * (uint64_t)t->ndomain0)
		size *= 2;
	r->slot = phi_big_calloc(size, sizeof(*r->slot));
	if (!r->slot)
		return -1;
	r->mask = size - 1;
	for (size_t i = 0; i < t->ndomain0; i++) {
		uint64_t hash = phi_addr_hash(t->v[i].ptr);
		uint64_t h = hash & r->mask;

		while (r->slot[h]) {
			if (t->v[(uint32_t)r->slot[h] - 1].ptr == t->v[i].ptr)
				return bad(r, "block 0x%llx is traced twice "
					   "in domain 0", X64(t->v[i].ptr));
			h = (h + 1) & r->mask;
		}
		r->slot[h] = (i + 1) | slot_tag(hash);
	}
	return 1;
}

static int read_all_traces(struct reader *r)
{
	struct phi_traces *t = r->t;
	struct table tb;
	uint64_t table;
	int rc;

	if (!rd64(r, r->s->sym[PHI_S_TM_TRACES], &table))
		return bad(r, "tracemalloc_traces is not in the copied memory");
	rc = read_traces(r, table, 0);
	if (rc <= 0)
		return rc;
	t->ndomain0 = t->n;
	if (t->n >= PHI_NONE)
		return bad(r, "%zu traces: more than this tool indexes", t->n);
	if (!rd64(r, r->s->sym[PHI_S_TM_DOMAINS], &table))
		return bad(r, "tracemalloc_domains is not in the copied "
			   "memory");
	rc = table_open(r, table, "tracemalloc_domains", &tb);
	if (rc > 0)
		rc = table_walk(r, &tb, "tracemalloc_domains", visit_domain,
				NULL);
	if (rc <= 0)
		return rc;
	if (t->n >= PHI_NONE)
		return bad(r, "%zu traces: more than this tool indexes", t->n);
	return index_domain0(r);
}

/* ---- filenames in code-point order ------------------------------------ */

static int cmp_file(const struct phi_trace_file *a,
		    const struct phi_trace_file *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->text, b->text, n);

	return c ? c : (a->len > b->len) - (a->len < b->len);
}

static const struct phi_trace_file *sort_files_base;

static int cmp_file_index(const void *a, const void *b)
{
	return cmp_file(&sort_files_base[*(const uint32_t *)a],
			&sort_files_base[*(const uint32_t *)b]);
}

/* Equal names become one (a str "<unknown>" of some code and
 * unknown_filename are the same name to Python), and indices follow
 * the names' order. */
static int sort_files(struct phi_traces *t)
{
	uint32_t *order = malloc((t->nfiles + 1) * sizeof(*order));
	uint32_t *rank = malloc((t->nfiles + 1) * sizeof(*rank));
	struct phi_trace_file *files = phi_big_calloc(t->nfiles + 1,
						      sizeof(*files));
	size_t n = 0;

	if (!order || !rank || !files) {
		free(order);
		free(rank);
		phi_big_free(files);
		return -1;
	}
	for (size_t i = 0; i < t->nfiles; i++)
		order[i] = (uint32_t)i;
	sort_files_base = t->files;
	qsort(order, t->nfiles, sizeof(*order), cmp_file_index);
	for (size_t i = 0; i < t->nfiles; i++) {
		struct phi_trace_file *f = &t->files[order[i]];

		if (n && cmp_file(&files[n - 1], f) == 0) {
			free(f->text);
		} else {
			files[n++] = *f;
		}
		rank[order[i]] = (uint32_t)(n - 1);
	}
	for (size_t i = 0; i < t->nframes; i++)
		t->frames[i].file = rank[t->frames[i].file];
	phi_big_free(t->files);
	t->files = files;
	t->nfiles = n;
	free(order);
	free(rank);
	return 1;
}

/* ---- the join with the heap ------------------------------------------- */

/* The domain 0 trace of the block at ptr, or PHI_NONE. */
static uint32_t find_trace(const struct reader *r, uint64_t ptr)
{
	uint64_t hash = phi_addr_hash(ptr), h = hash & r->mask;

	for (; r->slot[h]; h = (h + 1) & r->mask) {
		uint32_t i = (uint32_t)r->slot[h] - 1;

		if (slot_tag(r->slot[h]) == slot_tag(hash) &&
		    r->t->v[i].ptr == ptr)
			return i;
	}
	return PHI_NONE;
}

/* The block of node i: its address, less the GC header for a type with
 * Py_TPFLAGS_HAVE_GC (as _tracemalloc._get_object_traceback computes it
 * in 3.10); 0 when its type is not known. */
static uint64_t node_key(const struct reader *r, uint32_t i)
{
	const struct phi_heap *h = r->h;

	if (h->g.type[i] >= h->types.n)
		return 0;
	return phi_heap_type(h, i)->has_gc ? h->g.addr[i] - L(GCHEAD_SIZE)
					   : h->g.addr[i];
}

struct joiner {
	struct reader *r;
	size_t cap;
};

static int add_block(struct joiner *j, uint32_t node, uint64_t ptr)
{
	struct phi_traces *t = j->r->t;
	uint32_t tr = ptr ? find_trace(j->r, ptr) : PHI_NONE;

	if (tr == PHI_NONE)
		return 1;
	if (grow(&t->blocks, &j->cap, t->nblocks, sizeof(*t->blocks)) < 0)
		return -1;
	t->blocks[t->nblocks++] = (struct phi_trace_block){ node, tr };
	return 1;
}

/* A deque's blocks, leftblock to rightblock, as many as its length
 * needs (the chain is not trusted to end). */
static int deque_blocks(struct joiner *j, uint32_t node, uint64_t addr)
{
	struct reader *r = j->r;
	uint64_t n = 0, idx = 0, block, last, count;
	int rc = 1;

	if (!rd64(r, addr + L(OB_SIZE), &n) ||
	    !rd64(r, addr + L(DEQUE_LEFTINDEX), &idx) ||
	    !rd64(r, addr + L(DEQUE_LEFTBLOCK), &block) ||
	    !rd64(r, addr + L(DEQUE_RIGHTBLOCK), &last) ||
	    n > r->img->bytes || idx >= PHI_DEQUE_BLOCKLEN)
		return 1;
	count = (idx + n + PHI_DEQUE_BLOCKLEN - 1) / PHI_DEQUE_BLOCKLEN;
	if (!count)
		count = 1; /* an empty deque keeps one block */
	for (uint64_t k = 0; k < count && block && rc > 0; k++) {
		rc = add_block(j, node, block);
		if (block == last)
			break;
		block = phi_image_word(r->img,
				       block + PHI_DEQUE_BLOCK_RIGHTLINK);
	}
	return rc;
}

/* The blocks an object owns besides its own, by kind. */
static int owned_blocks(struct joiner *j, uint32_t node,
			const struct phi_type *ty, uint64_t addr)
{
	struct reader *r = j->r;
	const struct phi_image *img = r->img;
	uint64_t p;

	switch (ty->kind) {
	case PHI_K_DICT:
	case PHI_K_DEFDICT:
	case PHI_K_ODICT:
		/* Split: the values are its own, the keys its class's. */
		p = phi_image_word(img, addr + L(DICT_VALUES));
		return add_block(j, node, p ? p : phi_image_word(
						img, addr + L(DICT_KEYS)));
	case PHI_K_LIST:
		return add_block(j, node,
				 phi_image_word(img, addr + L(LIST_ITEM)));
	case PHI_K_SET:
	case PHI_K_FROZENSET:
		p = phi_image_word(img, addr + L(SET_TABLE));
		return p == addr + L(SET_SMALLTABLE) ? 1
						      : add_block(j, node, p);
	case PHI_K_BYTEARRAY:
		p = phi_image_word(img, addr + L(BYTEARRAY_BYTES));
		return add_block(j, node, p);
	case PHI_K_TYPE:
		/* A class owns the keys its instances' split dicts share. */
		if (!(phi_image_word(img, addr + L(TP_FLAGS)) &
		      PHI_TPFLAGS_HEAPTYPE))
			return 1;
		return add_block(j, node, phi_image_word(
					     img, addr + L(HT_CACHED_KEYS)));
	case PHI_K_DEQUE:
		return deque_blocks(j, node, addr);
	default:
		return 1;
	}
}

/* Nodes ahead whose slot is prefetched: the lookups are cache misses. */
#define JOIN_AHEAD 8

/* Each node's own block (node_key), and the blocks it owns. */
static int join(struct reader *r)
{
	const struct phi_heap *h = r->h;
	struct phi_traces *t = r->t;
	struct joiner j = { r, 0 };
	int rc = 1;

	t->nnodes = h->g.n;
	t->node_trace = phi_big_calloc(h->g.n ? h->g.n : 1,
				       sizeof(*t->node_trace));
	if (!t->node_trace)
		return -1;
	for (uint32_t i = 0; i < h->g.n && rc > 0; i++) {
		uint64_t key = node_key(r, i);

		if (i + JOIN_AHEAD < h->g.n)
			__builtin_prefetch(&r->slot[phi_addr_hash(node_key(
				r, i + JOIN_AHEAD)) & r->mask]);
		t->node_trace[i] = key ? find_trace(r, key) : PHI_NONE;
		if (key)
			rc = owned_blocks(&j, i, phi_heap_type(h, i),
					  h->g.addr[i]);
	}
	return rc;
}

/* ---- the whole state -------------------------------------------------- */

static const char *never_why(int initialized)
{
	switch (initialized) {
	case 0: return "never imported nor started";
	case 1: return "stopped";
	case 2: return "finalized";
	default: return "not a state of 3.10";
	}
}

static int read_config(struct reader *r)
{
	struct phi_traces *t = r->t;
	uint64_t cfg = r->s->sym[PHI_S_TRACEMALLOC_CONFIG];
	uint32_t v[3];

	if (!rd32(r, cfg + L(TMCFG_INITIALIZED), &v[0]) ||
	    !rd32(r, cfg + L(TRACEMALLOC_TRACING), &v[1]) ||
	    !rd32(r, cfg + L(TMCFG_MAX_NFRAME), &v[2]))
		return bad(r, "_Py_tracemalloc_config is not in the copied "
			   "memory");
	t->initialized = (int)v[0];
	t->tracing = (int)v[1];
	t->max_nframe = (int)v[2];
	return 1;
}

/* A thread inside tracemalloc's tables at the freeze: tables_lock (a
 * glibc semaphore, value 1 when free) is held, or the sizes do not add
 * up to the traced memory.  The traces are kept, marked torn. */
static void check_torn(struct reader *r)
{
	struct phi_traces *t = r->t;
	uint64_t lock = 0;
	uint32_t value;

	if (!t->summary && r->sum != t->traced) {
		t->torn = true;
		snprintf(t->note, sizeof(t->note), "the traces add up to %llu "
			 "bytes, not the traced memory %llu: the tables were "
			 "being updated at the freeze (figures approximate)",
			 X64(r->sum), X64(t->traced));
	} else if (r->s->sym[PHI_S_TM_TABLES_LOCK] &&
		   rd64(r, r->s->sym[PHI_S_TM_TABLES_LOCK], &lock) && lock &&
		   rd32(r, lock, &value) && value == 0) {
		t->torn = true;
		snprintf(t->note, sizeof(t->note), "a thread held "
			 "tracemalloc's tables lock at the freeze: figures "
			 "may be approximate");
	}
}

static const char *symbols_name(enum phi_tm_symbols s)
{
	switch (s) {
	case PHI_TM_SYMS_SYMTAB: return "symtab";
	case PHI_TM_SYMS_DWARF: return "dwarf";
	case PHI_TM_SYMS_SNAPSHOT: return "snapshot";
	default: return "";
	}
}

/* The summary: the tables' counts, each table checked as table_open
 * checks it, no entry read. */
static int count_domain(struct reader *r, uint64_t key, uint64_t value,
			uint64_t hash, void *ctx)
{
	struct table tb;
	int rc;

	(void)ctx;
	if (key == 0 || key > UINT32_MAX || hash != key)
		return bad(r, "tracemalloc_domains: domain %llu with hash "
			   "0x%llx", X64(key), X64(hash));
	rc = table_open(r, value, "traces of a domain", &tb);
	if (rc > 0)
		r->t->ntraces += tb.nentries;
	return rc;
}

static int count_traces(struct reader *r)
{
	struct phi_traces *t = r->t;
	struct table tb;
	uint64_t traces, domains;
	int rc;

	if (!rd64(r, r->s->sym[PHI_S_TM_TRACES], &traces) ||
	    !rd64(r, r->s->sym[PHI_S_TM_DOMAINS], &domains))
		return bad(r, "tracemalloc's tables are not in the copied "
			   "memory");
	rc = table_open(r, traces, "tracemalloc_traces", &tb);
	if (rc <= 0)
		return rc;
	t->ntraces = tb.nentries;
	rc = table_open(r, domains, "tracemalloc_domains", &tb);
	if (rc > 0)
		rc = table_walk(r, &tb, "tracemalloc_domains", count_domain,
				NULL);
	if (rc > 0) {
		t->state = PHI_TRACES_READ;
		t->summary = true;
		check_torn(r);
	}
	return rc;
}

/* Entry and frame records must fit the sizes read for them. */
static bool layout_fits(const struct reader *r)
{
	return L(TMENT_NEXT) + 8 <= L(TMENT_SIZE) &&
	       L(TMENT_KEY_HASH) + 8 <= L(TMENT_SIZE) &&
	       L(TMENT_KEY) + 8 <= L(TMENT_SIZE) &&
	       L(TMENT_VALUE) + 8 <= L(TMENT_SIZE) &&
	       L(TMTRACE_BYTES) + 8 <= L(TMTRACE_SIZE) &&
	       L(TMTRACE_TRACEBACK) + 8 <= L(TMTRACE_SIZE) &&
	       L(TMTB_NFRAME) + 2 <= L(TMTB_FRAMES) &&
	       L(TMTB_TOTAL_NFRAME) + 2 <= L(TMTB_FRAMES) &&
	       L(TMFRAME_FILENAME) + 8 <= L(TMFRAME_SIZE) &&
	       L(TMFRAME_LINENO) + 4 <= L(TMFRAME_SIZE);
}

/* 1 read, 0 a state that is not read (t->state says which), -1 out of
 * memory. */
static int read_state(struct reader *r)
{
	struct phi_traces *t = r->t;
	int rc;

	t->symbols = symbols_name(r->s->tm_syms);
	if (!r->s->sym[PHI_S_TRACEMALLOC_CONFIG]) {
		t->state = PHI_TRACES_ABSENT;
		snprintf(t->note, sizeof(t->note), "%s", r->s->tm_why[0] ?
			 r->s->tm_why : "the interpreter exports no "
			 "_Py_tracemalloc_config");
		return 0;
	}
	t->state = PHI_TRACES_BROKEN;
	rc = read_config(r);
	if (rc <= 0)
		return rc;
	if (t->initialized != 1 || t->tracing != 1) {
		t->state = PHI_TRACES_OFF;
		snprintf(t->note, sizeof(t->note), "tracemalloc is not tracing "
			 "in the target (_Py_tracemalloc_config initialized=%d "
			 "tracing=%d: %s)", t->initialized, t->tracing,
			 never_why(t->initialized));
		return 0;
	}
	if (r->s->tm_syms == PHI_TM_SYMS_NONE) {
		t->state = PHI_TRACES_UNAVAILABLE;
		snprintf(t->note, sizeof(t->note), "tracemalloc is tracing, "
			 "but %s", r->s->tm_why[0] ? r->s->tm_why :
			 "its tables were not found");
		return 0;
	}
	if (t->max_nframe < 1 || t->max_nframe > PHI_TM_MAX_NFRAME)
		return bad(r, "the traceback limit is %d", t->max_nframe);
	if (!layout_fits(r))
		return bad(r, "the layout of tracemalloc's records is "
			   "impossible");
	r->entries_left = r->img->bytes / L(TMENT_SIZE);
	r->data_left = r->img->bytes;
	if (!rd64(r, r->s->sym[PHI_S_TM_TRACED], &t->traced) ||
	    !rd64(r, r->s->sym[PHI_S_TM_PEAK], &t->peak))
		return bad(r, "the traced memory is not in the copied memory");
	if (r->summary)
		return count_traces(r);
	rc = read_set(r, PHI_S_TM_FILENAMES, visit_filename, &r->files);
	if (rc > 0)
		rc = read_set(r, PHI_S_TM_TRACEBACKS, visit_traceback,
			      &r->tbs);
	if (rc > 0)
		rc = read_empty(r);
	if (rc > 0)
		rc = read_all_traces(r);
	if (rc > 0)
		rc = sort_files(t);
	if (rc > 0)
		rc = join(r);
	if (rc > 0) {
		t->state = PHI_TRACES_READ;
		t->ntraces = t->n;
		check_torn(r);
	}
	return rc;
}

/* What a refused read leaves: the state and the note, nothing else. */
static void drop_traces(struct phi_traces *t)
{
	struct phi_traces keep = *t;

	keep.v = NULL;
	keep.tb = NULL;
	keep.frames = NULL;
	keep.files = NULL;
	keep.node_trace = NULL;
	keep.blocks = NULL;
	phi_traces_release(t);
	keep.n = keep.ndomain0 = keep.ntb = keep.nframes = 0;
	keep.nfiles = keep.nnodes = keep.nblocks = 0;
	*t = keep;
}

int phi310_traces(const struct phi_heap *h, bool summary,
		  struct phi_traces *out, struct phi_error *err)
{
	struct reader r = {
		.h = h, .img = h->img, .lay = phi310_layout(h->py),
		.s = phi310(h->py), .t = out, .unknown_file = PHI_NONE,
		.summary = summary,
	};
	double t0 = phi_now_ms();
	int rc;

	memset(out, 0, sizeof(*out));
	rc = read_state(&r);
	free(r.files.index);
	free(r.tbs.index);
	phi_big_free(r.files.key);
	phi_big_free(r.tbs.key);
	phi_big_free(r.slot);
	if (rc < 0) {
		phi_traces_release(out);
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory "
				     "reading tracemalloc's traces");
	}
	if (rc == 0 && out->state == PHI_TRACES_BROKEN) {
		drop_traces(out);
		snprintf(out->note, sizeof(out->note), "tracemalloc is "
			 "tracing, but its tables could not be read: %s",
			 r.why);
	}
	out->ms = phi_now_ms() - t0;
	return 0;
}
