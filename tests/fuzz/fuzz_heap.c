/* libFuzzer target: the decoders and analyses over a hostile image.
 *
 * At start-up a base snapshot (PHI_FUZZ_SNAPSHOT, default
 * tests/fuzz/base.snap.gz relative to the current directory) is loaded
 * once.  Each input is a list of patches to that image:
 *
 *   repeated { u32 segment, u32 offset, u8 len, len bytes }   (little-endian)
 *
 * segment is taken modulo the number of segments, offset modulo that
 * segment's length, len as 1 + len % 16 and clipped at the end of the
 * segment and of the input, so every input is valid.  The patches are
 * applied, the whole pipeline of the tool runs (runtime, small ints, heap,
 * analyses with --expr, JSONL dump and both reports to /dev/null), then
 * everything is released and the patched bytes are restored, so that the
 * next input starts again from the pristine image.
 *
 * Three values of segment patch the interpreter's description instead of
 * the image; the first 8 of the len bytes are then a value (little-endian,
 * sign-extended from its last byte), and offset chooses what it replaces:
 * the entry whose name's CRC-32 is offset, else entry offset modulo the
 * count (so that regression inputs name their field and survive a new
 * layout field):
 *
 *   0xffffffff  a number of the snapshot's record (a layout value, a
 *               symbol, python.*): the description is imported again, as
 *               --snapshot does, and the pipeline runs only if the import
 *               accepts it (its validation refuses a bad layout table);
 *   0xfffffffe  a value of the layout table after the import ("layout:"
 *               names), re-validated: the pipeline runs if it passes;
 *   0xfffffffd  the same, not validated: the decoders must stay safe
 *               whatever the table says.
 *
 * Any error return is fine; a crash, a sanitizer report, a leak or a
 * timeout is a bug.
 *
 * With PHI_FUZZ_SEEDS=DIR in the environment, initialisation also writes
 * seed inputs to DIR: patches that put interesting values (0, -1, huge,
 * the object's own address, another object's address...) into the
 * header and first fields of objects of every type, of type objects, and
 * of the runtime and interpreter state of the base image.  Random offsets
 * in a multi-megabyte image mostly hit bytes no decoder reads; these
 * seeds start the fuzzer where the decoders look.  Some make objects
 * claim another valid type (type confusion: each decoder over other
 * layouts); others give the counts and sizes of each kind (ob_size,
 * allocated, dk_size, mask, length, tp_basicsize...) every magnitude
 * from 0 to 2^63; with a base target that traced, others damage
 * tracemalloc's tables.  With PHI_FUZZ_DICT=FILE as well, a libFuzzer
 * dictionary of the type and object addresses of the base image is
 * written there.
 *
 * With PHI_FUZZ_CHECK=1, every input checks that the image is restored
 * byte for byte (slow: for debugging the harness). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "pyheapinspect/analysis/analysis.h"
#include "pyheapinspect/analysis/growth.h"
#include "pyheapinspect/analysis/summary.h"
#include "pyheapinspect/cpython/heap.h"
#include "pyheapinspect/cpython/traces.h"
#include "pyheapinspect/cpython/python.h"
#include "pyheapinspect/cpython/310/layout.h"
#include "pyheapinspect/cpython/310/py310.h"
#include "pyheapinspect/report/dump.h"
#include "pyheapinspect/report/json.h"
#include "pyheapinspect/report/summary.h"
#include "pyheapinspect/report/text.h"
#include "pyheapinspect/source/snapshot/snapshot.h"
#include "pyheapinspect/source/source.h"

#define PATCH_MAX 16

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct undo {
	size_t seg;
	size_t off;
	size_t len;
	unsigned char old[PATCH_MAX];
};

/* Markers of the description patches (see the top). */
#define SEG_RECORD 0xffffffffu
#define SEG_LAYOUT 0xfffffffeu
#define SEG_LAYOUT_RAW 0xfffffffdu

static struct phi_source g_src;
static struct phi_python g_py;
static struct phi_capture g_cap;
static FILE *g_null;
static uint32_t g_crc;
static int g_check;

/* Expressions resolved directly (expr.c over damaged dicts, attributes,
 * slots and sequences); the first is also given to the analyses. */
static const char *const g_exprs[] = {
	"__main__:ROOTS",
	"sys:modules",
	"__main__:ROOTS[-1][0].a",
	"__main__:d['k']",
	"__main__:d[2]",
	"__main__:slotted.s[1]",
	"__main__:Plain.meth",
	"__main__:Plain.prop",
	"sys:modules['sys'].path",
};

static uint32_t image_crc(const struct phi_image *img)
{
	uLong crc = crc32(0L, Z_NULL, 0);

	for (size_t i = 0; i < img->n; i++) {
		uint64_t len = img->seg[i].end - img->seg[i].start;
		const unsigned char *p = img->seg[i].data;

		while (len) {
			uInt piece = len > (1u << 30) ? (1u << 30) : (uInt)len;

			crc = crc32(crc, p, piece);
			p += piece;
			len -= piece;
		}
	}
	return (uint32_t)crc;
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* The whole pipeline of the tool over the (patched) image.  Errors are
 * expected and ignored. */
static void run_pipeline(const struct phi_python *py,
			 const struct phi_image *img)
{
	struct phi_error err = { 0 };
	struct phi_runtime rt;
	struct phi_small_ints si;
	struct phi_heap heap;
	struct phi_heap_opts hopts = { 0 };
	struct phi_analysis an;
	struct phi_analysis_opts opts;
	struct phi_report rep;
	struct phi_traces traces = { 0 };
	struct phi_summary sum;
	struct phi_growth growth;
	struct phi_summary_info info = { 1, "3.10", "fuzz", "snapshot", 0, -1,
					 true };
	bool have_si, have_an, have_sum, have_growth;
	int rc;

	memset(&rt, 0, sizeof(rt));
	if (phi_python_runtime(py, img, &rt, &err) < 0)
		return;
	have_si = phi_python_small_ints(py, img, &rt, &si, &err) == 0;
	/* Bounds the work per input whatever the patches claim. */
	hopts.max_objects = 1u << 20;
	rc = phi_heap_build(&heap, py, img, &rt, &hopts, &err);
	if (rc < 0) {
		phi_heap_release(&heap);
		return;
	}
	for (size_t i = 1; i < sizeof(g_exprs) / sizeof(g_exprs[0]); i++) {
		uint32_t node;

		phi_heap_resolve(&heap, g_exprs[i], &node, &err);
	}
	/* tracemalloc's traces, when the base target traced */
	phi_heap_traces(&heap, false, &traces, &err);
	memset(&opts, 0, sizeof(opts));
	opts.traces = &traces;
	opts.sites_by_traceback = true;
	opts.top = 5;
	opts.suspect_share = 0.1;
	opts.exprs = g_exprs;
	opts.nexprs = 1;
	opts.dups_key = 0x5eed;
	rc = phi_analysis_run(&an, &heap, &opts, &err);
	if (rc == -PHI_E_NOT_FOUND) {
		/* The expression no longer resolves: run the analyses
		 * without it. */
		phi_analysis_release(&an);
		opts.nexprs = 0;
		rc = phi_analysis_run(&an, &heap, &opts, &err);
	}
	have_an = rc == 0;
	phi_dump_jsonl_full(g_null, &heap, NULL, &traces,
			    have_an ? &an.paths : NULL, &err);
	/* The summary and its growth against itself: paths and type names
	 * from the patched heap go through the masking, the join and the
	 * writer. */
	have_sum = have_an && phi_summary_build(&sum, &heap, &an, &info,
						&err) == 0;
	have_growth = have_sum && phi_growth_compare(&growth, &sum, &sum, 0.1,
						     5, &err) == 0;
	if (have_sum)
		phi_summary_write(g_null, &sum, &err);
	if (have_si && have_an) {
		memset(&rep, 0, sizeof(rep));
		rep.growth = have_growth ? &growth : NULL;
		rep.pid = g_src.pid;
		rep.python = py;
		rep.capture = &g_cap;
		rep.runtime = &rt;
		rep.small_ints = &si;
		rep.heap = &heap;
		rep.analysis = &an;
		rep.list_small_ints = true;
		rep.traces = &traces;
		rep.sites = 2;
		rep.top = 5;
		phi_report_text(g_null, &rep, &err);
		phi_report_json(g_null, &rep, &err);
	}
	fflush(g_null);
	if (have_growth)
		phi_growth_release(&growth);
	if (have_sum)
		phi_summary_release(&sum);
	phi_analysis_release(&an);
	phi_traces_release(&traces);
	phi_heap_release(&heap);
}

/* ---- description patches ---------------------------------------------- */

/* "layout:_is.next", "layout:PyGC_Head" (py310.c's names). */
static void layout_name(int id, char *buf, size_t len)
{
	const char *member = phi_layout_member_name((enum phi_layout_id)id);

	if (strcmp(member, "(size)") == 0)
		snprintf(buf, len, "layout:%s",
			 phi_layout_type_name((enum phi_layout_id)id));
	else
		snprintf(buf, len, "layout:%s.%s",
			 phi_layout_type_name((enum phi_layout_id)id), member);
}

static uint32_t name_crc(const char *name)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), (const Bytef *)name,
			       (uInt)strlen(name));
}

/* The value of a description patch: len bytes (at most 8) little-endian,
 * sign-extended. */
static int64_t patch_value(const uint8_t *p, size_t len)
{
	uint64_t v = 0;

	if (len > 8)
		len = 8;
	for (size_t i = 0; i < len; i++)
		v |= (uint64_t)p[i] << (8 * i);
	if (len && len < 8 && (p[len - 1] & 0x80))
		v |= ~0ULL << (8 * len);
	return (int64_t)v;
}

static size_t record_index(uint32_t sel)
{
	const struct phi_record *rec = &g_src.record;

	for (size_t i = 0; i < rec->nnum; i++)
		if (name_crc(rec->num[i].name) == sel)
			return i;
	return sel % rec->nnum;
}

static int layout_index(uint32_t sel)
{
	char name[PHI_RECORD_MAX_NAME + 1];

	for (int i = 0; i < PHI_L__COUNT; i++) {
		layout_name(i, name, sizeof(name));
		if (name_crc(name) == sel)
			return i;
	}
	return (int)(sel % PHI_L__COUNT);
}

/* What an input changes besides the image, undone after it. */
struct desc_patches {
	bool record, layout, raw;
	size_t nrec;
	size_t rec_idx[64];
	int64_t rec_old[64];
	struct phi_layout saved;   /* the imported table, to restore */
	bool layout_saved;
};

static void desc_patch(struct desc_patches *dp, uint32_t seg, uint32_t sel,
		       int64_t v)
{
	struct phi310 *st = g_py.impl;

	if (seg == SEG_RECORD) {
		struct phi_record *rec = &g_src.record;
		size_t i;

		if (rec->nnum == 0 || dp->nrec == 64)
			return;
		i = record_index(sel);
		dp->rec_idx[dp->nrec] = i;
		dp->rec_old[dp->nrec++] = rec->num[i].value;
		rec->num[i].value = v;
		dp->record = true;
		return;
	}
	if (!dp->layout_saved) {
		dp->saved = st->layout;
		dp->layout_saved = true;
	}
	st->layout.v[layout_index(sel)] = v;
	dp->layout = true;
	dp->raw |= seg == SEG_LAYOUT_RAW;
}

static void desc_restore(struct desc_patches *dp)
{
	struct phi310 *st = g_py.impl;

	while (dp->nrec--)
		g_src.record.num[dp->rec_idx[dp->nrec]].value =
			dp->rec_old[dp->nrec];
	if (dp->layout_saved)
		st->layout = dp->saved;
}

/* The pipeline over the image with the description as patched. */
static void run_patched(struct desc_patches *dp, const struct phi_image *img)
{
	struct phi_error err = { 0 };
	struct phi_python py;

	if (dp->record) {
		/* As --snapshot does: import, and stop at a refusal. */
		struct phi310 *st;

		if (phi_python_import(&py, &g_src.record, &err) < 0) {
			phi_python_close(&py);
			return;
		}
		st = py.impl;
		if (dp->layout) {
			const struct phi_layout *patched = phi310_layout(&g_py);

			/* Layout patches apply over the imported table. */
			for (int i = 0; i < PHI_L__COUNT; i++)
				if (patched->v[i] != dp->saved.v[i])
					st->layout.v[i] = patched->v[i];
			if (!dp->raw &&
			    phi_layout_validate(&st->layout, &err) < 0) {
				phi_python_close(&py);
				return;
			}
		}
		run_pipeline(&py, img);
		phi_python_close(&py);
		return;
	}
	if (dp->layout && !dp->raw &&
	    phi_layout_validate(phi310_layout(&g_py), &err) < 0)
		return;
	run_pipeline(&g_py, img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct phi_image *img = &g_cap.img;
	struct undo *u = NULL;
	struct desc_patches dp = { 0 };
	size_t nu = 0, pos = 0;

	if (img->n == 0)
		return 0;
	u = malloc((size / 9 + 1) * sizeof(*u));
	if (!u)
		return 0;
	while (pos + 9 <= size) {
		uint32_t rawseg = get_u32(data + pos);
		size_t seg = rawseg % img->n;
		struct phi_segment *s = &img->seg[seg];
		uint64_t seglen = s->end - s->start;
		size_t off = (size_t)(get_u32(data + pos + 4) % seglen);
		size_t len = 1 + data[pos + 8] % PATCH_MAX;

		pos += 9;
		if (len > size - pos)
			len = size - pos;
		if (rawseg >= SEG_LAYOUT_RAW) {
			if (len == 0)
				break;
			desc_patch(&dp, rawseg, get_u32(data + pos - 5),
				   patch_value(data + pos, len));
			pos += len;
			continue;
		}
		if (len > seglen - off)
			len = (size_t)(seglen - off);
		if (len == 0)
			break;
		u[nu].seg = seg;
		u[nu].off = off;
		u[nu].len = len;
		memcpy(u[nu].old, s->data + off, len);
		memcpy(s->data + off, data + pos, len);
		nu++;
		pos += len;
	}
	run_patched(&dp, img);
	desc_restore(&dp);
	/* Backwards: overlapping patches end with the oldest bytes. */
	while (nu--)
		memcpy(img->seg[u[nu].seg].data + u[nu].off, u[nu].old,
		       u[nu].len);
	free(u);
	if (g_check && image_crc(img) != g_crc) {
		fprintf(stderr, "fuzz_heap: the image was not restored\n");
		abort();
	}
	return 0;
}

/* ---- seeds ------------------------------------------------------------ */

/* One patch of a seed: len bytes of v at addr. */
struct seed_patch {
	uint64_t addr, v;
	unsigned len;
};

struct seeder {
	struct seed_patch *p;
	size_t n, cap;
};

static void add_patch(struct seeder *sd, uint64_t addr, uint64_t v,
		      unsigned len)
{
	if (sd->n == sd->cap) {
		size_t ncap = sd->cap ? sd->cap * 2 : 1024;
		struct seed_patch *np = realloc(sd->p, ncap * sizeof(*np));

		if (!np)
			return;
		sd->p = np;
		sd->cap = ncap;
	}
	sd->p[sd->n++] = (struct seed_patch){ addr, v, len };
}

static void put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Encode a patch as an input record; 0 if addr is not in the image. */
static size_t encode(const struct seed_patch *sp, unsigned char *out)
{
	const struct phi_image *img = &g_cap.img;
	size_t i;

	for (i = 0; i < img->n; i++)
		if (sp->addr >= img->seg[i].start &&
		    sp->addr + sp->len <= img->seg[i].end)
			break;
	if (i == img->n)
		return 0;
	put_u32(out, (uint32_t)i);
	put_u32(out + 4, (uint32_t)(sp->addr - img->seg[i].start));
	out[8] = (unsigned char)(sp->len - 1);
	for (unsigned k = 0; k < sp->len; k++)
		out[9 + k] = (unsigned char)(sp->v >> (8 * k));
	return 9 + sp->len;
}

/* Shuffle the patches (a fixed sequence) and write them as at most
 * max_seeds inputs of a few patches each: one run per patch would take
 * the whole fuzzing budget. */
static void write_seeds(struct seeder *sd, const char *dir,
			const char *prefix, size_t max_seeds)
{
	size_t per, written = 0;
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	if (max_seeds == 0 || sd->n == 0)
		return;
	per = (sd->n + max_seeds - 1) / max_seeds;
	for (size_t i = sd->n; i > 1; i--) {
		struct seed_patch tmp;
		size_t j;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = (size_t)(x % i);
		tmp = sd->p[i - 1];
		sd->p[i - 1] = sd->p[j];
		sd->p[j] = tmp;
	}
	for (size_t i = 0; i < sd->n; i += per) {
		unsigned char buf[64 * 25];
		char path[4096];
		size_t len = 0;
		FILE *f;

		for (size_t k = i; k < i + per && k < sd->n && k - i < 64; k++)
			len += encode(&sd->p[k], buf + len);
		if (!len)
			continue;
		snprintf(path, sizeof(path), "%s/seed-%s-%04zu", dir, prefix,
			 written);
		f = fopen(path, "wb");
		if (!f)
			continue;
		fwrite(buf, 1, len, f);
		fclose(f);
		written++;
	}
	fprintf(stderr, "fuzz_heap: wrote %zu patches in %zu seeds (%s) to "
		"%s\n", sd->n, written, prefix, dir);
}

/* A libFuzzer dictionary: the addresses of the types, of a few objects,
 * and of the runtime's tables, as 8-byte little-endian words. */
static void write_dict(const char *path, const struct phi_heap *heap)
{
	FILE *f = fopen(path, "w");
	uint64_t words[16] = { 0, ~0ULL, 0x7fffffffffffffffULL,
			       0x8000000000000000ULL, 0xffffffffULL,
			       0x100000000ULL, 1, 8, 16, 0x41414141,
			       PHI_TPFLAGS_HEAPTYPE | PHI_TPFLAGS_HAVE_GC,
			       1ULL << 31, 1ULL << 40, 0x3fffffffULL,
			       0xfffffffffffffff0ULL, 0x100 };
	static const uint32_t markers[] = { SEG_RECORD, SEG_LAYOUT,
					    SEG_LAYOUT_RAW };
	size_t n = 0;

	if (!f)
		return;
	for (size_t k = 0; k < 16; k++, n++) {
		fprintf(f, "w%zu=\"", n);
		for (int b = 0; b < 8; b++)
			fprintf(f, "\\x%02x", (unsigned)(words[k] >> (8 * b)) &
				0xff);
		fprintf(f, "\"\n");
	}
	/* The markers of the description patches (see the top). */
	for (size_t k = 0; k < 3; k++, n++) {
		fprintf(f, "m%zu=\"", k);
		for (int b = 0; b < 4; b++)
			fprintf(f, "\\x%02x",
				(unsigned)(markers[k] >> (8 * b)) & 0xff);
		fprintf(f, "\"\n");
	}
	for (size_t i = 0; i < heap->types.n; i++, n++) {
		fprintf(f, "t%zu=\"", i);
		for (int b = 0; b < 8; b++)
			fprintf(f, "\\x%02x",
				(unsigned)(heap->types.v[i].addr >> (8 * b)) &
					0xff);
		fprintf(f, "\"\n");
	}
	for (uint32_t i = 0; i < heap->g.n; i += heap->g.n / 64 + 1, n++) {
		fprintf(f, "o%u=\"", i);
		for (int b = 0; b < 8; b++)
			fprintf(f, "\\x%02x",
				(unsigned)(heap->g.addr[i] >> (8 * b)) & 0xff);
		fprintf(f, "\"\n");
	}
	fclose(f);
	fprintf(stderr, "fuzz_heap: wrote %zu dictionary words to %s\n", n,
		path);
}

/* Counts, lengths and sizes the decoders trust only as far as they
 * check them: each is given every magnitude below, in an object of its
 * kind (through a pointer for the keys of a dict). */
static const struct size_field {
	enum phi_kind kind;
	int via;           /* layout id of a pointer to follow, or -1 */
	int field;         /* layout id */
	unsigned width;    /* bytes */
} size_fields[] = {
	{ PHI_K_TUPLE, -1, PHI_L_OB_SIZE, 8 },
	{ PHI_K_LIST, -1, PHI_L_OB_SIZE, 8 },
	{ PHI_K_LIST, -1, PHI_L_LIST_ALLOCATED, 8 },
	{ PHI_K_LONG, -1, PHI_L_OB_SIZE, 8 },
	{ PHI_K_BYTES, -1, PHI_L_OB_SIZE, 8 },
	{ PHI_K_BYTEARRAY, -1, PHI_L_OB_SIZE, 8 },
	{ PHI_K_BYTEARRAY, -1, PHI_L_BYTEARRAY_ALLOC, 8 },
	{ PHI_K_DICT, -1, PHI_L_DICT_USED, 8 },
	{ PHI_K_DICT, PHI_L_DICT_KEYS, PHI_L_DK_SIZE, 8 },
	{ PHI_K_DICT, PHI_L_DICT_KEYS, PHI_L_DK_NENTRIES, 8 },
	{ PHI_K_DICT, PHI_L_DICT_KEYS, PHI_L_DK_USABLE, 8 },
	{ PHI_K_DICT, PHI_L_DICT_KEYS, PHI_L_DK_REFCNT, 8 },
	{ PHI_K_INSTANCE, -1, PHI_L_OB_REFCNT, 8 },
	{ PHI_K_SET, -1, PHI_L_SET_FILL, 8 },
	{ PHI_K_SET, -1, PHI_L_SET_USED, 8 },
	{ PHI_K_SET, -1, PHI_L_SET_MASK, 8 },
	{ PHI_K_FROZENSET, -1, PHI_L_SET_MASK, 8 },
	{ PHI_K_STR, -1, PHI_L_ASCII_LENGTH, 8 },
	{ PHI_K_STR, -1, PHI_L_ASCII_STATE, 4 },
	{ PHI_K_STR, -1, PHI_L_COMPACT_UTF8_LENGTH, 8 },
	{ PHI_K_STR, -1, PHI_L_COMPACT_WSTR_LENGTH, 8 },
	{ PHI_K_CODE, -1, PHI_L_CODE_NLOCALS, 4 },
	{ PHI_K_CODE, -1, PHI_L_CODE_STACKSIZE, 4 },
	{ PHI_K_CODE, -1, PHI_L_CODE_OPCACHE_SIZE, 4 },
	{ PHI_K_FRAME, -1, PHI_L_FRAME_STACKDEPTH, 4 },
	{ PHI_K_FRAME, -1, PHI_L_FRAME_LASTI, 4 },
	{ PHI_K_DEQUE, -1, PHI_L_OB_SIZE, 8 },
	{ PHI_K_DEQUE, -1, PHI_L_DEQUE_LEFTINDEX, 8 },
	{ PHI_K_DEQUE, -1, PHI_L_DEQUE_RIGHTINDEX, 8 },
	{ PHI_K_DEQUE, -1, PHI_L_DEQUE_MAXLEN, 8 },
	{ PHI_K_ODICT, -1, PHI_L_ODICT_FAST_NODES_SIZE, 8 },
	{ PHI_K_RANGE, -1, PHI_L_RANGE_LENGTH, 8 },
	{ PHI_K_TYPE, -1, PHI_L_TP_BASICSIZE, 8 },
	{ PHI_K_TYPE, -1, PHI_L_TP_ITEMSIZE, 8 },
	{ PHI_K_TYPE, -1, PHI_L_TP_DICTOFFSET, 8 },
	{ PHI_K_TYPE, -1, PHI_L_TP_WEAKLISTOFFSET, 8 },
	{ PHI_K_TYPE, -1, PHI_L_TP_FLAGS, 8 },
};

static const uint64_t magnitudes[] = {
	0, 1, ~0ULL, 0x81, 0x10000, 0x100003, 0x80000000ULL, 0x100000001ULL,
	1ULL << 40, 1ULL << 62, 0x7fffffffffffffffULL, 0x8000000000000000ULL,
	0xfffffffffffffff8ULL,
};

static void size_seeds(struct seeder *sd, const struct phi_heap *heap,
		       const struct phi_layout *lay)
{
	const struct phi_image *img = &g_cap.img;

	for (size_t f = 0; f < sizeof(size_fields) / sizeof(size_fields[0]);
	     f++) {
		const struct size_field *sf = &size_fields[f];
		unsigned found = 0;

		for (uint32_t i = 0; i < heap->g.n && found < 2; i++) {
			uint32_t ty = heap->g.type[i];
			uint64_t base = heap->g.addr[i];

			if (ty == PHI_NONE || ty >= heap->types.n ||
			    heap->types.v[ty].kind != sf->kind)
				continue;
			if (sf->via >= 0 &&
			    !phi_image_u64(img, base + (uint64_t)lay->v[sf->via],
					   &base))
				continue;
			found++;
			for (size_t m = 0; m < sizeof(magnitudes) /
					       sizeof(magnitudes[0]); m++)
				add_patch(sd, base + (uint64_t)lay->v[sf->field],
					  magnitudes[m], sf->width);
		}
	}
}

/* One description patch as an input record (17 bytes). */
static size_t encode_desc(uint32_t seg, uint32_t sel, int64_t v,
			  unsigned char *out)
{
	put_u32(out, seg);
	put_u32(out + 4, sel);
	out[8] = 7;
	for (int k = 0; k < 8; k++)
		out[9 + k] = (unsigned char)((uint64_t)v >> (8 * k));
	return 17;
}

static void write_input(const char *dir, const char *prefix, size_t n,
			const unsigned char *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/seed-%s-%04zu", dir, prefix, n);
	f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(buf, 1, len, f);
	fclose(f);
}

/* Description patches gathered into inputs of `per` patches each. */
struct desc_batch {
	const char *dir, *prefix;
	unsigned char buf[17 * 8];
	size_t len, per, k, written;
};

static void batch_add(struct desc_batch *db, uint32_t seg, uint32_t sel,
		      int64_t v)
{
	db->len += encode_desc(seg, sel, v, db->buf + db->len);
	if (++db->k == db->per) {
		write_input(db->dir, db->prefix, db->written++, db->buf,
			    db->len);
		db->len = db->k = 0;
	}
}

static void batch_end(struct desc_batch *db)
{
	if (db->k)
		write_input(db->dir, db->prefix, db->written++, db->buf,
			    db->len);
	db->len = db->k = 0;
}

/* Would the table lay with value v at field i be refused?  Seeds the
 * validation passes would only run the pipeline over a near-normal
 * table: the raw seeds do that. */
static bool refused(const struct phi_layout *lay, int i, int64_t v)
{
	struct phi_layout copy = *lay;

	copy.v[i] = v;
	return phi_layout_validate(&copy, NULL) < 0;
}

/* Layout values and record numbers given the values a hostile table
 * would hold: each field at 0, -1, past its struct, unaligned, huge.
 * Validated, one a seed (most are refused at once); raw, eight a seed
 * (each runs the whole pipeline over them); and in the record the
 * import reads (layouts, symbols, the version), one a seed. */
static void desc_seeds(const char *dir)
{
	const struct phi_layout *lay = phi310_layout(&g_py);
	const struct phi_record *rec = &g_src.record;
	struct desc_batch one = { .dir = dir, .prefix = "layout", .per = 1 };
	struct desc_batch raw = { .dir = dir, .prefix = "rawlayout",
				  .per = 8 };
	struct desc_batch recs = { .dir = dir, .prefix = "record", .per = 1 };

	for (int pass = 0; pass < 4; pass++) {
		for (int i = 0; i < PHI_L__COUNT; i++) {
			enum phi_layout_id sz = phi_layout_struct_of(
				(enum phi_layout_id)i);
			int64_t size = sz < PHI_L__COUNT ? lay->v[sz] : 0;
			const int64_t vals[] = {
				0, -1, lay->v[i] + 4, size, size - 7,
				1 << 20, INT64_MAX, INT64_MIN,
			};
			char name[PHI_RECORD_MAX_NAME + 1];
			uint32_t sel;

			layout_name(i, name, sizeof(name));
			sel = name_crc(name);
			for (int k = pass; k < 8; k += 4)
				if (refused(lay, i, vals[k]))
					batch_add(&one, SEG_LAYOUT, sel,
						  vals[k]);
			batch_add(&raw, SEG_LAYOUT_RAW, sel,
				  vals[(pass * 3 + i) % 8]);
		}
	}
	batch_end(&raw);
	for (size_t i = 0; i < rec->nnum; i++) {
		const int64_t vals[] = { 0, rec->num[i].value + 8,
					 INT64_MIN };
		uint32_t sel = name_crc(rec->num[i].name);

		/* A layout value refused on import needs one seed; the
		 * symbols and the version run the pipeline. */
		bool layout = strstr(rec->num[i].name, "layout:") != NULL;

		for (size_t k = 0; k < (layout ? 1 : 3); k++)
			batch_add(&recs, SEG_RECORD, sel, vals[k]);
	}
	batch_end(&recs);
	fprintf(stderr, "fuzz_heap: wrote %zu layout, %zu raw layout and %zu "
		"record seeds to %s\n", one.written, raw.written,
		recs.written, dir);
}

/* tracemalloc's tables, when the base target traced: each table's
 * header, the first entries of a few chains, the traces and tracebacks
 * they lead to, every magnitude and a few pointers (self, another
 * record). */
#define TM(id) ((uint64_t)lay->v[PHI_L_##id])
#define NMAG (sizeof(magnitudes) / sizeof(magnitudes[0]))

static void tm_record_seeds(struct seeder *sd, const struct phi_layout *lay,
			    uint64_t key, uint64_t value)
{
	/* a trace_t (value), or a traceback or filename (key) */
	for (size_t m = 0; m < NMAG; m += 3) {
		add_patch(sd, value, magnitudes[m], 8);
		add_patch(sd, value + 8, magnitudes[m], 8);
		add_patch(sd, key + TM(TMTB_NFRAME), magnitudes[m], 2);
		add_patch(sd, key + TM(TMTB_TOTAL_NFRAME), magnitudes[m], 2);
		add_patch(sd, key + TM(TMTB_FRAMES), magnitudes[m], 8);
		add_patch(sd, key + TM(ASCII_LENGTH), magnitudes[m], 8);
	}
}

static void tm_table_seeds(struct seeder *sd, const struct phi_layout *lay,
			   uint64_t table)
{
	const struct phi_image *img = &g_cap.img;
	uint64_t nbuckets = 0, buckets = 0;
	unsigned done = 0;

	if (!phi_image_u64(img, table + TM(TMHT_NBUCKETS), &nbuckets) ||
	    !phi_image_u64(img, table + TM(TMHT_BUCKETS), &buckets))
		return;
	for (size_t m = 0; m < NMAG; m++) {
		add_patch(sd, table + TM(TMHT_NENTRIES), magnitudes[m], 8);
		add_patch(sd, table + TM(TMHT_NBUCKETS), magnitudes[m], 8);
	}
	add_patch(sd, table + TM(TMHT_BUCKETS), table, 8);
	for (uint64_t b = 0; b < nbuckets && b < (1u << 20) && done < 6;
	     b++) {
		uint64_t e = 0, value = 0, key = 0;

		if (!phi_image_u64(img, buckets + 8 * b, &e) || !e)
			continue;
		done++;
		add_patch(sd, buckets + 8 * b, e + 8, 8);
		add_patch(sd, e + TM(TMENT_NEXT), e, 8);
		add_patch(sd, e + TM(TMENT_KEY_HASH), b + 1, 8);
		add_patch(sd, e + TM(TMENT_KEY), table, 8);
		add_patch(sd, e + TM(TMENT_VALUE), e, 8);
		phi_image_u64(img, e + TM(TMENT_VALUE), &value);
		phi_image_u64(img, e + TM(TMENT_KEY), &key);
		tm_record_seeds(sd, lay, key, value);
	}
}

static void tm_seeds(struct seeder *sd, const struct phi_python *py)
{
	const struct phi310 *s = phi310(py);
	const struct phi_layout *lay = phi310_layout(py);
	static const enum phi_sym_id tables[] = {
		PHI_S_TM_TRACES, PHI_S_TM_DOMAINS, PHI_S_TM_TRACEBACKS,
		PHI_S_TM_FILENAMES,
	};
	uint64_t t = 0;

	if (!s->sym[PHI_S_TRACEMALLOC_CONFIG] || !s->sym[PHI_S_TM_TRACES])
		return;
	for (size_t m = 0; m < NMAG; m++)
		add_patch(sd, s->sym[PHI_S_TRACEMALLOC_CONFIG] +
			  TM(TMCFG_MAX_NFRAME), magnitudes[m], 4);
	add_patch(sd, s->sym[PHI_S_TM_TRACED], 0, 8);
	add_patch(sd, s->sym[PHI_S_TM_EMPTY_TRACEBACK] + TM(TMTB_NFRAME),
		  0xffff, 2);
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (phi_image_u64(&g_cap.img, s->sym[tables[i]], &t) && t)
			tm_table_seeds(sd, lay, t);
}

static void make_seeds(const char *dir, const char *dict)
{
	const struct phi_image *img = &g_cap.img;
	const struct phi_python *py = &g_py;
	struct seeder sd = { 0 };
	struct phi_error err = { 0 };
	struct phi_runtime rt;
	struct phi_heap heap;
	struct phi_heap_opts hopts = { 0 };
	uint32_t *per_type = NULL;
	uint64_t vals[8];
	unsigned rot = 0;

	mkdir(dir, 0777);
	if (phi_python_runtime(py, img, &rt, &err) < 0) {
		fprintf(stderr, "fuzz_heap: base image: %s\n", err.msg);
		return;
	}
	/* Runtime and main interpreter state: pointers and counts. */
	for (uint64_t off = 0; off < 1024; off += 8)
		add_patch(&sd, rt.runtime + off, rot++ & 1 ? 0 : ~0ULL, 8);
	for (uint64_t off = 0; off < 10240; off += 8, rot++)
		add_patch(&sd, rt.interp_main + off,
			  rot % 3 == 0 ? 0 : rot % 3 == 1 ?
			  0x7fffffffffffffffULL : rt.interp_main, 8);
	write_seeds(&sd, dir, "state", 60);
	sd.n = 0;
	if (phi_heap_build(&heap, py, img, &rt, &hopts, &err) < 0) {
		fprintf(stderr, "fuzz_heap: base image: %s\n", err.msg);
		phi_heap_release(&heap);
		free(sd.p);
		return;
	}
	/* Type confusion: an object of each type made to claim another
	 * valid type (every decoder over other layouts). */
	per_type = calloc(heap.types.n + 1, sizeof(*per_type));
	for (uint32_t i = 0; per_type && i < heap.g.n; i++) {
		uint32_t ty = heap.g.type[i];

		if (ty == PHI_NONE || ty >= heap.types.n || per_type[ty])
			continue;
		per_type[ty] = 1;
		for (uint32_t k = 1; k < heap.types.n && k <= 16; k++)
			add_patch(&sd, heap.g.addr[i] + 8,
				  heap.types.v[(ty + k * 5) % heap.types.n]
					  .addr, 8);
	}
	free(per_type);
	if (dict)
		write_dict(dict, &heap);
	per_type = calloc(heap.types.n + 1, sizeof(*per_type));
	for (uint32_t i = 0; per_type && i < heap.g.n; i++) {
		uint32_t ty = heap.g.type[i];
		uint64_t a = heap.g.addr[i];
		uint64_t fields;

		if (ty == PHI_NONE || ty >= heap.types.n || per_type[ty] >= 3)
			continue;
		per_type[ty]++;
		vals[0] = 0;
		vals[1] = ~0ULL;
		vals[2] = 0x7fffffffffffffffULL;
		vals[3] = a;
		vals[4] = heap.g.addr[(i * 7 + 3) % heap.g.n];
		vals[5] = a + 8;
		vals[6] = 0x100000001ULL;
		vals[7] = 0x41;
		/* Type objects: the whole struct; others: up to the first
		 * 16 words (header, sizes, the first pointers). */
		fields = heap.types.v[ty].kind == PHI_K_TYPE ? 112 :
			 phi_graph_size(&heap.g, i) / 8 + 1;
		if (fields > 16 && heap.types.v[ty].kind != PHI_K_TYPE)
			fields = 16;
		for (uint64_t f = 0; f < fields; f++)
			add_patch(&sd, a + 8 * f, vals[rot++ % 8], 8);
		/* Single bytes: str state bits, small counts, flags. */
		add_patch(&sd, a + 32, 0xff, 1);
		add_patch(&sd, a + 16, 0x80, 1);
	}
	free(per_type);
	write_seeds(&sd, dir, "obj", 300);
	/* Sizes: two patches an input (one field, two magnitudes or two
	 * fields), so that each is seen with few others. */
	sd.n = 0;
	size_seeds(&sd, &heap, phi310_layout(py));
	write_seeds(&sd, dir, "size", (sd.n + 1) / 2);
	sd.n = 0;
	tm_seeds(&sd, py);
	write_seeds(&sd, dir, "tracemalloc", (sd.n + 1) / 2);
	phi_heap_release(&heap);
	free(sd.p);
	desc_seeds(dir);
}

/* ---- start-up --------------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = getenv("PHI_FUZZ_SNAPSHOT");
	const char *seeds = getenv("PHI_FUZZ_SEEDS");
	const char *check = getenv("PHI_FUZZ_CHECK");
	struct phi_error err = { 0 };

	(void)argc;
	(void)argv;
	if (!path || !*path)
		path = "tests/fuzz/base.snap.gz";
	if (phi_snapshot_open(&g_src, path, 0, &err) < 0 ||
	    phi_python_import(&g_py, &g_src.record, &err) < 0 ||
	    phi_source_capture(&g_src, NULL, &g_cap, &err) < 0) {
		fprintf(stderr, "fuzz_heap: %s\n", err.msg);
		exit(1);
	}
	g_null = fopen("/dev/null", "we");
	if (!g_null) {
		fprintf(stderr, "fuzz_heap: /dev/null: %s\n", strerror(errno));
		exit(1);
	}
	/* The dump writes many small pieces: no lock and one syscall per
	 * megabyte. */
	setvbuf(g_null, NULL, _IOFBF, 1u << 20);
	__fsetlocking(g_null, FSETLOCKING_BYCALLER);
	g_check = check && *check == '1';
	if (g_check)
		g_crc = image_crc(&g_cap.img);
	fprintf(stderr, "fuzz_heap: '%s': pid %d, CPython %d.%d.%d, %zu "
		"segments, %llu bytes\n", path, (int)g_src.pid,
		g_py.version.major, g_py.version.minor, g_py.version.micro,
		g_cap.img.n, (unsigned long long)g_cap.img.bytes);
	if (seeds && *seeds)
		make_seeds(seeds, getenv("PHI_FUZZ_DICT"));
	return 0;
}
