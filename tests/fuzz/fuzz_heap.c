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
 * Any error return is fine; a crash, a sanitizer report, a leak or a
 * timeout is a bug.
 *
 * With PHI_FUZZ_SEEDS=DIR in the environment, initialisation also writes
 * seed inputs to DIR: patches that put interesting values (0, -1, huge,
 * the object's own address, another object's address...) into the
 * header and first fields of objects of every type, of type objects, and
 * of the runtime and interpreter state of the base image.  Random offsets
 * in a multi-megabyte image mostly hit bytes no decoder reads; these
 * seeds start the fuzzer where the decoders look.
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

#include "pyheapinspect/analysis.h"
#include "pyheapinspect/capture.h"
#include "pyheapinspect/dump.h"
#include "pyheapinspect/expr.h"
#include "pyheapinspect/heap.h"
#include "pyheapinspect/report.h"
#include "pyheapinspect/runtime.h"
#include "pyheapinspect/smallints.h"
#include "pyheapinspect/snapshot.h"
#include "pyheapinspect/target.h"

#define PATCH_MAX 16

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct undo {
	size_t seg;
	size_t off;
	size_t len;
	unsigned char old[PATCH_MAX];
};

static struct phi_target g_t;
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
static void run_pipeline(const struct phi_image *img)
{
	const struct phi_target *t = &g_t;
	struct phi_error err = { 0 };
	struct phi_runtime rt;
	struct phi_small_ints si;
	struct phi_heap heap;
	struct phi_heap_opts hopts = { 0 };
	struct phi_analysis an;
	struct phi_analysis_opts opts;
	struct phi_report rep;
	bool have_si, have_an;
	int rc;

	memset(&rt, 0, sizeof(rt));
	if (phi_runtime_read(&rt, img, t, &err) < 0)
		return;
	have_si = phi_small_ints_read(&si, img, &t->layout, rt.interp_main,
				      t->sym[PHI_S_LONG_TYPE], &err) == 0;
	/* Bounds the work per input whatever the patches claim. */
	hopts.max_objects = 1u << 20;
	rc = phi_heap_build(&heap, img, t, &rt, &hopts, &err);
	if (rc < 0) {
		phi_heap_release(&heap);
		return;
	}
	for (size_t i = 1; i < sizeof(g_exprs) / sizeof(g_exprs[0]); i++) {
		uint32_t node;

		phi_expr_resolve(&heap, img, t, &rt, g_exprs[i], &node, &err);
	}
	memset(&opts, 0, sizeof(opts));
	opts.top = 5;
	opts.suspect_share = 0.1;
	opts.exprs = g_exprs;
	opts.nexprs = 1;
	rc = phi_analysis_run(&an, &heap, img, t, &rt, &opts, &err);
	if (rc == -PHI_E_NOT_FOUND) {
		/* The expression no longer resolves: run the analyses
		 * without it. */
		phi_analysis_release(&an);
		opts.nexprs = 0;
		rc = phi_analysis_run(&an, &heap, img, t, &rt, &opts, &err);
	}
	have_an = rc == 0;
	phi_dump_jsonl(g_null, &heap, img, &t->layout, &err);
	if (have_si && have_an) {
		memset(&rep, 0, sizeof(rep));
		rep.target = t;
		rep.capture = &g_cap;
		rep.runtime = &rt;
		rep.small_ints = &si;
		rep.heap = &heap;
		rep.analysis = &an;
		rep.list_small_ints = true;
		rep.top = 5;
		phi_report_text(g_null, &rep, &err);
		phi_report_json(g_null, &rep, &err);
	}
	fflush(g_null);
	phi_analysis_release(&an);
	phi_heap_release(&heap);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct phi_image *img = &g_cap.img;
	struct undo *u = NULL;
	size_t nu = 0, pos = 0;

	if (img->n == 0)
		return 0;
	u = malloc((size / 9 + 1) * sizeof(*u));
	if (!u)
		return 0;
	while (pos + 9 <= size) {
		size_t seg = get_u32(data + pos) % img->n;
		struct phi_segment *s = &img->seg[seg];
		uint64_t seglen = s->end - s->start;
		size_t off = (size_t)(get_u32(data + pos + 4) % seglen);
		size_t len = 1 + data[pos + 8] % PATCH_MAX;

		pos += 9;
		if (len > size - pos)
			len = size - pos;
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
	run_pipeline(img);
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

struct seeder {
	const char *dir;
	unsigned n, max;
};

static void put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* One input patching the 8 bytes at addr with v. */
static void seed(struct seeder *sd, uint64_t addr, uint64_t v, size_t len)
{
	const struct phi_image *img = &g_cap.img;
	unsigned char buf[9 + 8];
	char path[4096];
	size_t i;
	FILE *f;

	if (sd->n >= sd->max || len == 0 || len > 8)
		return;
	for (i = 0; i < img->n; i++)
		if (addr >= img->seg[i].start && addr + len <= img->seg[i].end)
			break;
	if (i == img->n)
		return;
	put_u32(buf, (uint32_t)i);
	put_u32(buf + 4, (uint32_t)(addr - img->seg[i].start));
	buf[8] = (unsigned char)(len - 1);
	for (size_t k = 0; k < len; k++)
		buf[9 + k] = (unsigned char)(v >> (8 * k));
	snprintf(path, sizeof(path), "%s/seed-%06u", sd->dir, sd->n);
	f = fopen(path, "wb");
	if (!f)
		return;
	fwrite(buf, 1, 9 + len, f);
	fclose(f);
	sd->n++;
}

static void make_seeds(const char *dir)
{
	const struct phi_image *img = &g_cap.img;
	const struct phi_target *t = &g_t;
	struct seeder sd = { .dir = dir, .max = 20000 };
	struct phi_error err = { 0 };
	struct phi_runtime rt;
	struct phi_heap heap;
	struct phi_heap_opts hopts = { 0 };
	uint32_t *per_type = NULL;
	uint64_t vals[8];
	unsigned rot = 0;

	mkdir(dir, 0777);
	if (phi_runtime_read(&rt, img, t, &err) < 0) {
		fprintf(stderr, "fuzz_heap: base image: %s\n", err.msg);
		return;
	}
	/* Runtime and main interpreter state: pointers and counts. */
	for (uint64_t off = 0; off < 1024; off += 8)
		seed(&sd, rt.runtime + off, rot++ & 1 ? 0 : ~0ULL, 8);
	for (uint64_t off = 0; off < 10240; off += 8)
		seed(&sd, rt.interp_main + off,
		     rot++ % 3 == 0 ? 0 : rot % 3 == 1 ? 0x7fffffffffffffffULL :
		     rt.interp_main, 8);
	if (phi_heap_build(&heap, img, t, &rt, &hopts, &err) < 0) {
		fprintf(stderr, "fuzz_heap: base image: %s\n", err.msg);
		phi_heap_release(&heap);
		return;
	}
	per_type = calloc(heap.types.n + 1, sizeof(*per_type));
	for (uint32_t i = 0; per_type && i < heap.g.n; i++) {
		uint32_t ty = heap.g.type[i];
		uint64_t a = heap.g.addr[i], other = heap.g.addr[(i * 7 + 3) %
								 heap.g.n];
		uint64_t fields;

		if (ty == PHI_NONE || ty >= heap.types.n || per_type[ty] >= 2)
			continue;
		per_type[ty]++;
		vals[0] = 0;
		vals[1] = ~0ULL;
		vals[2] = 0x7fffffffffffffffULL;
		vals[3] = a;
		vals[4] = other;
		vals[5] = a + 8;
		vals[6] = 0x100000001ULL;
		vals[7] = 0x41;
		/* Type objects: the whole struct; others: the first 16
		 * words (header, sizes, the first pointers). */
		fields = heap.types.v[ty].kind == PHI_K_TYPE ? 112 : 16;
		if (heap.g.size[i] / 8 + 1 < fields &&
		    heap.types.v[ty].kind != PHI_K_TYPE)
			fields = heap.g.size[i] / 8 + 1;
		for (uint64_t f = 0; f < fields; f++)
			seed(&sd, a + 8 * f, vals[rot++ % 8], 8);
		/* And one byte: str state bits, small counts. */
		seed(&sd, a + 32, 0xff, 1);
		seed(&sd, a + 16, 0x80, 1);
	}
	free(per_type);
	phi_heap_release(&heap);
	fprintf(stderr, "fuzz_heap: wrote %u seeds to %s\n", sd.n, dir);
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
	if (phi_snapshot_load(path, 0, &g_t, &g_cap, &err) < 0) {
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
		"segments, %llu bytes\n", path, (int)g_t.pid,
		g_t.version.major, g_t.version.minor, g_t.version.micro,
		g_cap.img.n, (unsigned long long)g_cap.img.bytes);
	if (seeds && *seeds)
		make_seeds(seeds);
	return 0;
}
