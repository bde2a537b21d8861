/* Unit tests for saved snapshots (snapshot.h): a synthetic target and
 * image saved and loaded back (every layout value, symbol, status field
 * and segment byte compared, a segment larger than one read piece,
 * touching segments joined); format 1 files, hand-written and the fuzz
 * base snapshot, still loading, with an unknown status; and hostile
 * files, written by hand in the documented format:
 * truncated at every point of the stream and of the compressed file, a
 * header that claims a huge segment in a tiny file (refused quickly and
 * without allocating it), wrong magic, version, table sizes and Python
 * version, bad lengths, impossible capture status fields, unsorted or
 * overlapping segments, trailing data,
 * the --max-memory cap, a file that does not exist, and a full disk. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "pyheapinspect/source/proc/capture.h"
#include "pyheapinspect/source/snapshot/snapshot.h"
#include "pyheapinspect/cpython/python.h"

/* ASan reserves terabytes of address space: no RLIMIT_AS under it. */
#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif

#define BIG_LEN ((20u << 20) + 12345) /* over one 16 MiB read piece */

/* ---- helpers ---------------------------------------------------------- */

/* A temporary file name (the file exists, empty). */
static char *temp_path(void)
{
	const char *dir = getenv("TMPDIR");
	char *path;
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	path = malloc(strlen(dir) + 32);
	assert_non_null(path);
	sprintf(path, "%s/test_snapshot.XXXXXX", dir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	return path;
}

static void drop(char *path)
{
	unlink(path);
	free(path);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A growable byte buffer to write snapshots by hand. */
struct buf {
	unsigned char *p;
	size_t n, cap;
};

static void put(struct buf *b, const void *data, size_t len)
{
	if (b->n + len > b->cap) {
		b->cap = (b->n + len) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->n, data, len);
	b->n += len;
}

static void put_u32(struct buf *b, uint32_t v)
{
	unsigned char x[4];

	for (int i = 0; i < 4; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	put(b, x, 4);
}

static void put_u64(struct buf *b, uint64_t v)
{
	unsigned char x[8];

	for (int i = 0; i < 8; i++)
		x[i] = (unsigned char)(v >> (8 * i));
	put(b, x, 8);
}

static void put_str(struct buf *b, const char *s)
{
	put_u32(b, (uint32_t)strlen(s));
	put(b, s, strlen(s));
}

/* Fields of a hand-written header that the tests change. */
struct hdr {
	const char *magic; /* 8 bytes */
	uint32_t version, nlayout, nsym, pid;
	int32_t major, minor, micro;
	const char *text, *object, *dwarf;
	uint32_t source, missing;
	int64_t layout0; /* value of layout field 0 */
	/* format 2: the capture's status */
	uint32_t flags, threads;
	double pause_ms, copy_ms;
	uint64_t unreadable, skipped, nskipped, syscalls;
};

static struct hdr good_hdr(void)
{
	return (struct hdr){
		.magic = "PHISNAP", .version = PHI_SNAPSHOT_VERSION,
		.nlayout = PHI_L__COUNT, .nsym = PHI_S__COUNT, .pid = 4242,
		.major = 3, .minor = 10, .micro = 13,
		.text = "3.10.13 (main) [GCC]", .object = "/usr/lib/libpython",
		.dwarf = "", .source = PHI_LAYOUT_BUILTIN, .missing = 0,
		.layout0 = 32, .flags = 3 /* frozen, consistent */,
		.threads = 2, .pause_ms = 4.25, .copy_ms = 3.5,
		.unreadable = 4096, .syscalls = 2,
	};
}

static void put_header(struct buf *b, const struct hdr *h)
{
	put(b, h->magic, 8);
	put_u32(b, h->version);
	put_u32(b, h->nlayout);
	put_u32(b, h->nsym);
	put_u32(b, h->pid);
	put_u32(b, (uint32_t)h->major);
	put_u32(b, (uint32_t)h->minor);
	put_u32(b, (uint32_t)h->micro);
	put_str(b, h->text);
	put_str(b, h->object);
	put_u32(b, h->source);
	put_u32(b, h->missing);
	put_str(b, h->dwarf);
	/* As many values as the header says, up to one more than the real
	 * tables (a reader must refuse before it reads them). */
	for (uint32_t i = 0; i < h->nlayout && i <= PHI_L__COUNT; i++)
		put_u64(b, i == 0 ? (uint64_t)h->layout0 : 8 * i);
	for (uint32_t i = 0; i < h->nsym && i <= PHI_S__COUNT; i++)
		put_u64(b, 0x7f0000000000ULL + 16 * i);
	if (h->version >= 2) {
		uint64_t bits;

		put_u32(b, h->flags);
		put_u32(b, h->threads);
		memcpy(&bits, &h->pause_ms, 8);
		put_u64(b, bits);
		memcpy(&bits, &h->copy_ms, 8);
		put_u64(b, bits);
		put_u64(b, h->unreadable);
		put_u64(b, h->skipped);
		put_u64(b, h->nskipped);
		put_u64(b, h->syscalls);
	}
}

static void put_segment(struct buf *b, uint64_t start, uint64_t len,
			unsigned char fill)
{
	put_u64(b, start);
	put_u64(b, len);
	for (uint64_t i = 0; i < len; i++)
		put(b, &(unsigned char){ (unsigned char)(fill + i) }, 1);
}

/* Compress len bytes of raw into path. */
static void write_gz(const char *path, const void *raw, size_t len)
{
	gzFile gz = gzopen(path, "wb");

	assert_non_null(gz);
	if (len)
		assert_int_equal(gzwrite(gz, raw, (unsigned)len), (int)len);
	assert_int_equal(gzclose(gz), Z_OK);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static unsigned char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	p = malloc((size_t)n);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

/* Load path, expect failure with code, and check that t and cap are left
 * empty and releasable. */
static void load_fails(const char *path, uint64_t max_bytes,
		       enum phi_errcode code)
{
	struct phi_target t;
	struct phi_capture cap;
	struct phi_error err = { 0 };
	int rc = phi_snapshot_load(path, max_bytes, &t, &cap, &err);

	if (rc != -(int)code)
		fail_msg("loading '%s': expected -%d, got %d (%s)", path,
			 (int)code, rc, err.msg);
	assert_int_equal(err.code, code);
	assert_true(err.msg[0] != '\0');
	assert_int_equal(cap.img.n, 0);
	assert_null(cap.img.seg);
	phi_capture_release(&cap);
	phi_target_close(&t);
}

static int load_raw(const struct buf *b, uint64_t max_bytes,
		    struct phi_target *t, struct phi_capture *cap,
		    struct phi_error *err)
{
	char *path = temp_path();
	int rc;

	write_gz(path, b->p, b->n);
	rc = phi_snapshot_load(path, max_bytes, t, cap, err);
	drop(path);
	return rc;
}

static void raw_fails(const struct buf *b, uint64_t max_bytes,
		      enum phi_errcode code)
{
	char *path = temp_path();

	write_gz(path, b->p, b->n);
	load_fails(path, max_bytes, code);
	drop(path);
}

/* ---- a synthetic target ----------------------------------------------- */

static unsigned char seg_small[100], seg_mid[3 * 4096 + 7];
static unsigned char *seg_big;

static void fill(unsigned char *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		/* Half random, half runs: compresses, but not to nothing. */
		p[i] = (i / 64) % 2 ? (unsigned char)(seed >> 16) :
				      (unsigned char)i;
	}
}

static void make_target(struct phi_target *t, struct phi_capture *cap)
{
	struct phi_error err = { 0 };

	memset(t, 0, sizeof(*t));
	memset(cap, 0, sizeof(*cap));
	t->pid = 31337;
	t->version = (struct phi_version){ 3, 10, 13, "3.10.13 (main, May  9 "
					   "2026, 12:00:00) [GCC 12.2.0]" };
	snprintf(t->object_path, sizeof(t->object_path),
		 "/opt/python/lib/libpython3.10.so.1.0");
	snprintf(t->open_path, sizeof(t->open_path), "/proc/1/root/x");
	phi_layout_builtin(&t->layout);
	for (int i = 0; i < PHI_L__COUNT; i++)
		t->layout.v[i] = (int64_t)((i * 7919) % 16000);
	t->layout.source = PHI_LAYOUT_DWARF;
	snprintf(t->layout.dwarf_path, sizeof(t->layout.dwarf_path),
		 "/usr/lib/debug/.build-id/ab/cdef.debug");
	t->layout.missing = 3;
	for (int i = 0; i < PHI_S__COUNT; i++)
		t->sym[i] = i % 5 == 4 ? 0 :
				0x7f1234560000ULL + 0x1000ULL * (uint64_t)i;
	phi_reader_init(&t->reader, t->pid);
	phi_image_init(&cap->img);
	fill(seg_small, sizeof(seg_small), 1);
	fill(seg_mid, sizeof(seg_mid), 2);
	seg_big = malloc(BIG_LEN);
	assert_non_null(seg_big);
	fill(seg_big, BIG_LEN, 3);
	/* Added out of order; one borrowed, two copied. */
	assert_int_equal(phi_image_add(&cap->img, 0x7fff00000000ULL, seg_mid,
				       sizeof(seg_mid), true, &err), 0);
	assert_int_equal(phi_image_add(&cap->img, 0x1000, seg_small,
				       sizeof(seg_small), false, &err), 0);
	assert_int_equal(phi_image_add(&cap->img, 0x55550000ULL, seg_big,
				       BIG_LEN, true, &err), 0);
	cap->pause_ms = 12.5;
	cap->copy_ms = 11.0625;
	cap->warm_ms = 99; /* not saved: a time of the tool, not the target */
	cap->threads = 3;
	cap->frozen = true;
	cap->consistent = true;
	cap->img.unreadable = 8192;
	cap->img.skipped = 3ULL << 40;
	cap->img.nskipped = 2;
	cap->img.syscalls = 5;
}

static void test_round_trip(void **state)
{
	struct phi_target t, u;
	struct phi_capture cap, cup;
	struct phi_error err = { 0 };
	char *path = temp_path();
	int rc;

	(void)state;
	make_target(&t, &cap);
	rc = phi_snapshot_save(path, &t, &cap, &err);
	if (rc)
		fail_msg("save: %s", err.msg);
	rc = phi_snapshot_load(path, 0, &u, &cup, &err);
	if (rc)
		fail_msg("load: %s", err.msg);

	assert_int_equal(u.pid, t.pid);
	assert_int_equal(u.version.major, 3);
	assert_int_equal(u.version.minor, 10);
	assert_int_equal(u.version.micro, 13);
	assert_string_equal(u.version.text, t.version.text);
	assert_string_equal(u.object_path, t.object_path);
	assert_string_equal(u.open_path, "");
	assert_int_equal(u.bias, 0);
	for (int i = 0; i < PHI_L__COUNT; i++)
		if (u.layout.v[i] != t.layout.v[i])
			fail_msg("layout %s.%s: %lld, saved %lld",
				 phi_layout_type_name(i),
				 phi_layout_member_name(i),
				 (long long)u.layout.v[i],
				 (long long)t.layout.v[i]);
	assert_int_equal(u.layout.source, PHI_LAYOUT_DWARF);
	assert_int_equal(u.layout.missing, 3);
	assert_string_equal(u.layout.dwarf_path, t.layout.dwarf_path);
	for (int i = 0; i < PHI_S__COUNT; i++)
		if (u.sym[i] != t.sym[i])
			fail_msg("symbol %s: 0x%llx, saved 0x%llx",
				 phi_symbol_name(i),
				 (unsigned long long)u.sym[i],
				 (unsigned long long)t.sym[i]);
	/* No maps; a reader for the pid that is never used. */
	assert_int_equal(u.maps.n, 0);
	assert_int_equal(u.reader.pid, t.pid);
	assert_int_equal(u.reader.mem_fd, -1);
	assert_int_equal(u.reader.syscalls, 0);

	/* The capture's status, exactly (format 2). */
	assert_false(cup.status_unknown);
	assert_true(cup.frozen);
	assert_true(cup.consistent);
	assert_int_equal(cup.threads, 3);
	assert_true(cup.pause_ms == 12.5);
	assert_true(cup.copy_ms == 11.0625);
	assert_true(cup.warm_ms == 0);
	assert_int_equal(cup.img.unreadable, 8192);
	assert_int_equal(cup.img.skipped, 3ULL << 40);
	assert_int_equal(cup.img.nskipped, 2);
	assert_int_equal(cup.img.syscalls, 5);
	assert_int_equal(cup.img.n, cap.img.n);
	assert_int_equal(cup.img.bytes, cap.img.bytes);
	for (size_t i = 0; i < cap.img.n; i++) {
		const struct phi_segment *a = &cap.img.seg[i];
		const struct phi_segment *b = &cup.img.seg[i];

		assert_int_equal(b->start, a->start);
		assert_int_equal(b->end, a->end);
		assert_true(b->owned);
		assert_memory_equal(b->data, a->data, a->end - a->start);
	}
	/* The image works as one. */
	assert_non_null(phi_image_ptr(&cup.img, 0x1000 + 96, 4));
	assert_null(phi_image_ptr(&cup.img, 0x1000 + 97, 4));
	assert_int_equal(phi_image_avail(&cup.img, 0x55550000ULL), BIG_LEN);

	/* Loading again with a cap: exactly the total fits, less does not. */
	phi_capture_release(&cup);
	phi_target_close(&u);
	rc = phi_snapshot_load(path, cap.img.bytes, &u, &cup, &err);
	if (rc)
		fail_msg("load with max_bytes: %s", err.msg);
	phi_capture_release(&cup);
	phi_target_close(&u);
	load_fails(path, cap.img.bytes - 1, PHI_E_NO_MEMORY);

	drop(path);
	phi_capture_release(&cap);
	phi_target_close(&t);
	free(seg_big);
}


/* A target with no process behind it: pid, version 3.10.micro, the
 * built-in layouts, no symbols. */
static void bare_target(struct phi_target *t, pid_t pid, int micro)
{
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->version = (struct phi_version){ 3, 10, micro, "" };
	snprintf(t->version.text, sizeof(t->version.text), "3.10.%d", micro);
	phi_layout_builtin(&t->layout);
	phi_reader_init(&t->reader, pid);
}
/* An empty image and a target without layouts from DWARF. */
static void test_round_trip_empty(void **state)
{
	struct phi_target t, u;
	struct phi_capture cap, cup;
	struct phi_error err = { 0 };
	char *path = temp_path();

	(void)state;
	memset(&cap, 0, sizeof(cap));
	bare_target(&t, 1, 0);
	assert_int_equal(phi_snapshot_save(path, &t, &cap, &err), 0);
	assert_int_equal(phi_snapshot_load(path, 1, &u, &cup, &err), 0);
	assert_int_equal(cup.img.n, 0);
	assert_int_equal(u.layout.source, PHI_LAYOUT_BUILTIN);
	assert_memory_equal(u.layout.v, t.layout.v, sizeof(t.layout.v));
	assert_string_equal(u.object_path, "");
	phi_capture_release(&cup);
	phi_target_close(&u);
	drop(path);
}

/* Records that touch make one segment; a segment written as two records
 * comes back whole. */
static void test_touching_records_join(void **state)
{
	struct phi_target t;
	struct phi_capture cap;
	struct phi_error err = { 0 };
	struct hdr h = good_hdr();
	struct buf b = { 0 };

	(void)state;
	put_header(&b, &h);
	put_u64(&b, 3);
	put_segment(&b, 0x1000, 0x100, 0);
	put_segment(&b, 0x1100, 0x40, 0); /* continues the first */
	put_segment(&b, 0x2000, 0x10, 7);
	if (load_raw(&b, 0, &t, &cap, &err))
		fail_msg("load: %s", err.msg);
	assert_int_equal(cap.img.n, 2);
	assert_int_equal(cap.img.bytes, 0x150);
	assert_int_equal(cap.img.seg[0].start, 0x1000);
	assert_int_equal(cap.img.seg[0].end, 0x1140);
	assert_int_equal(cap.img.seg[0].data[0xff], 0xff);
	assert_int_equal(cap.img.seg[0].data[0x100], 0x00);
	assert_int_equal(cap.img.seg[0].data[0x13f], 0x3f);
	assert_int_equal(cap.img.seg[1].data[0], 7);
	/* An 8-byte read across the joint. */
	assert_non_null(phi_image_ptr(&cap.img, 0x10fc, 8));
	assert_int_equal(t.pid, 4242);
	assert_int_equal(t.layout.v[0], 32);
	assert_int_equal(t.sym[1], 0x7f0000000010ULL);
	phi_capture_release(&cap);
	phi_target_close(&t);
	free(b.p);
}

/* Every kind of capture status comes back as it was saved: a
 * --no-freeze copy, a pause budget that ran out, and a status that was
 * itself unknown (a capture loaded from a format 1 file, saved again). */
static void test_status_round_trips(void **state)
{
	struct phi_capture cases[3];
	char *path = temp_path();

	(void)state;
	memset(cases, 0, sizeof(cases));
	cases[0].copy_ms = 7.75; /* --no-freeze */
	cases[1].frozen = true;  /* thawed at --max-pause */
	cases[1].threads = 4;
	cases[1].pause_ms = 1000.5;
	cases[1].copy_ms = 1800;
	cases[2].status_unknown = true;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct phi_target t, u;
		struct phi_capture *c = &cases[k], cup;
		struct phi_error err = { 0 };

		bare_target(&t, 77, 2);
		phi_image_init(&c->img);
		if (phi_snapshot_save(path, &t, c, &err))
			fail_msg("save case %zu: %s", k, err.msg);
		if (phi_snapshot_load(path, 0, &u, &cup, &err))
			fail_msg("load case %zu: %s", k, err.msg);
		assert_int_equal(cup.status_unknown, c->status_unknown);
		assert_int_equal(cup.frozen, c->frozen);
		assert_int_equal(cup.consistent, c->consistent);
		assert_int_equal(cup.threads, c->threads);
		assert_true(cup.pause_ms == c->pause_ms);
		assert_true(cup.copy_ms == c->copy_ms);
		phi_capture_release(&cup);
		phi_target_close(&u);
	}
	drop(path);
}

/* A format 1 file, written by hand: it loads as it always did, and says
 * that it does not know how the capture went. */
static void test_v1_loads(void **state)
{
	struct phi_target t;
	struct phi_capture cap;
	struct phi_error err = { 0 };
	struct hdr h = good_hdr();
	struct buf b = { 0 };

	(void)state;
	h.version = 1;
	put_header(&b, &h);
	put_u64(&b, 2);
	put_segment(&b, 0x1000, 0x100, 3);
	put_segment(&b, 0x4000, 0x10, 9);
	if (load_raw(&b, 0, &t, &cap, &err))
		fail_msg("format 1: %s", err.msg);
	assert_true(cap.status_unknown);
	assert_false(cap.frozen);
	assert_false(cap.consistent);
	assert_int_equal(cap.threads, 0);
	assert_true(cap.pause_ms == 0);
	assert_int_equal(cap.img.skipped, 0);
	assert_int_equal(cap.img.syscalls, 0);
	assert_int_equal(cap.img.n, 2);
	assert_int_equal(cap.img.bytes, 0x110);
	assert_int_equal(cap.img.seg[0].data[1], 4);
	assert_int_equal(cap.img.seg[1].data[0], 9);
	assert_int_equal(t.pid, 4242);
	assert_int_equal(t.layout.v[0], 32);
	assert_int_equal(t.sym[2], 0x7f0000000020ULL);
	phi_capture_release(&cap);
	phi_target_close(&t);
	free(b.p);
}

/* The fuzz base snapshot is format 1, and the regression inputs patch
 * its image byte for byte: it must keep loading.  Saved again it becomes
 * format 2, with the same content and a status still unknown. */
static void test_v1_base_snapshot(void **state)
{
	const char *src = getenv("PHI_SRCDIR");
	char base[PATH_MAX], version[12];
	struct phi_target t, u;
	struct phi_capture cap, cup;
	struct phi_error err = { 0 };
	char *path = temp_path();
	gzFile gz;

	(void)state;
	snprintf(base, sizeof(base), "%s/tests/fuzz/base.snap.gz",
		 src && *src ? src : ".");
	gz = gzopen(base, "rb");
	if (!gz)
		fail_msg("cannot open %s (PHI_SRCDIR)", base);
	assert_int_equal(gzread(gz, version, sizeof(version)), 12);
	gzclose(gz);
	assert_memory_equal(version, "PHISNAP\0\1\0\0\0", 12);
	if (phi_snapshot_load(base, 0, &t, &cap, &err))
		fail_msg("%s: %s", base, err.msg);
	assert_true(cap.status_unknown);
	assert_false(cap.frozen);
	assert_int_equal(t.version.minor, 10);
	assert_true(cap.img.n > 0);
	assert_true(cap.img.bytes > (1u << 20));
	if (phi_snapshot_save(path, &t, &cap, &err))
		fail_msg("save again: %s", err.msg);
	if (phi_snapshot_load(path, 0, &u, &cup, &err))
		fail_msg("load again: %s", err.msg);
	assert_true(cup.status_unknown);
	assert_int_equal(u.pid, t.pid);
	assert_string_equal(u.version.text, t.version.text);
	assert_string_equal(u.object_path, t.object_path);
	assert_memory_equal(u.layout.v, t.layout.v, sizeof(t.layout.v));
	assert_memory_equal(u.sym, t.sym, sizeof(t.sym));
	assert_int_equal(cup.img.n, cap.img.n);
	assert_int_equal(cup.img.bytes, cap.img.bytes);
	for (size_t i = 0; i < cap.img.n; i++) {
		assert_int_equal(cup.img.seg[i].start, cap.img.seg[i].start);
		assert_int_equal(cup.img.seg[i].end, cap.img.seg[i].end);
		assert_memory_equal(cup.img.seg[i].data, cap.img.seg[i].data,
				    cap.img.seg[i].end - cap.img.seg[i].start);
	}
	phi_capture_release(&cup);
	phi_target_close(&u);
	phi_capture_release(&cap);
	phi_target_close(&t);
	drop(path);
}

/* ---- hostile files ---------------------------------------------------- */

/* Every prefix of the uncompressed stream, properly compressed. */
static void test_truncated_stream(void **state)
{
	struct hdr h = good_hdr();
	struct buf b = { 0 };
	char *path = temp_path();
	size_t header;

	(void)state;
	put_header(&b, &h);
	header = b.n;
	put_u64(&b, 2);
	put_segment(&b, 0x1000, 40, 1);
	put_segment(&b, 0x3000, 24, 2);
	for (size_t cut = 0; cut < b.n; cut++) {
		/* All of the short part, every 8th byte of the tables. */
		if (cut > 120 && cut + 16 < header && cut % 8 != 3)
			continue;
		write_gz(path, b.p, cut);
		load_fails(path, 0, PHI_E_CORRUPT);
	}
	/* The whole stream loads. */
	write_gz(path, b.p, b.n);
	{
		struct phi_target t;
		struct phi_capture cap;
		struct phi_error err = { 0 };

		if (phi_snapshot_load(path, 0, &t, &cap, &err))
			fail_msg("whole stream: %s", err.msg);
		assert_int_equal(cap.img.n, 2);
		phi_capture_release(&cap);
		phi_target_close(&t);
	}
	drop(path);
	free(b.p);
}

/* Every prefix of a compressed file written by phi_snapshot_save, and a
 * flipped byte in its deflate data and in its CRC. */
static void test_truncated_file(void **state)
{
	struct phi_target t;
	struct phi_capture cap;
	struct phi_error err = { 0 };
	unsigned char data[5000];
	char *path = temp_path(), *cut_path = temp_path();
	unsigned char *file;
	size_t len;

	(void)state;
	memset(&cap, 0, sizeof(cap));
	bare_target(&t, 99, 4);
	fill(data, sizeof(data), 9);
	assert_int_equal(phi_image_add(&cap.img, 0x10000, data, sizeof(data),
				       false, &err), 0);
	assert_int_equal(phi_snapshot_save(path, &t, &cap, &err), 0);
	phi_capture_release(&cap);
	file = read_file(path, &len);
	for (size_t cut = 0; cut < len; cut++) {
		write_file(cut_path, file, cut);
		load_fails(cut_path, 0, PHI_E_CORRUPT);
	}
	/* The CRC of the gzip trailer (8 bytes from the end). */
	file[len - 8] ^= 0x55;
	write_file(cut_path, file, len);
	load_fails(cut_path, 0, PHI_E_CORRUPT);
	file[len - 8] ^= 0x55;
	/* Deflate data in the middle. */
	file[len / 2] ^= 0xff;
	write_file(cut_path, file, len);
	{
		struct phi_target u;
		int rc = phi_snapshot_load(cut_path, 0, &u, &cap, &err);

		/* Either the deflate stream or the CRC says so. */
		assert_int_equal(rc, -PHI_E_CORRUPT);
		phi_capture_release(&cap);
		phi_target_close(&u);
	}
	free(file);
	drop(cut_path);
	drop(path);
}

static bool under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p && strstr(p, "vgpreload");
}

/* A header that claims a huge segment, in a tiny file: refused when the
 * data runs out, after allocating about what is there (checked with an
 * address-space limit where one can be set). */
static void test_huge_claims(void **state)
{
	static const uint64_t claims[] = { 1ULL << 30, (1ULL << 30) + 1,
					   1ULL << 40, UINT64_MAX };
	struct hdr h = good_hdr();

	(void)state;
	for (size_t k = 0; k < sizeof(claims) / sizeof(claims[0]); k++) {
		struct buf b = { 0 };
		char *path = temp_path();
		double t0;
		pid_t child;
		int status;

		put_header(&b, &h);
		put_u64(&b, 1);
		put_u64(&b, 0x10000);
		put_u64(&b, claims[k]);
		put(&b, "only sixteen byt", 16);
		write_gz(path, b.p, b.n);
		t0 = now_s();
		load_fails(path, 0, PHI_E_CORRUPT);
		assert_true(now_s() - t0 < 2.0);
#ifndef HAVE_ASAN
		/* In a child limited to 256 MiB more address space: a 1 GiB
		 * allocation would fail with PHI_E_NO_MEMORY instead. */
		if (!under_valgrind()) {
			child = fork();
			assert_true(child >= 0);
			if (child == 0) {
				struct rlimit rl;
				struct phi_target t;
				struct phi_capture cap;
				struct phi_error err = { 0 };
				unsigned long vm = 0;
				FILE *f = fopen("/proc/self/statm", "r");

				if (!f || fscanf(f, "%lu", &vm) != 1)
					_exit(3);
				fclose(f);
				rl.rlim_cur = rl.rlim_max =
					vm * (unsigned long)getpagesize() +
					(256UL << 20);
				if (setrlimit(RLIMIT_AS, &rl) != 0)
					_exit(3);
				_exit(phi_snapshot_load(path, 0, &t, &cap,
							&err) ==
				      -PHI_E_CORRUPT ? 0 : 1);
			}
			assert_int_equal(waitpid(child, &status, 0), child);
			assert_true(WIFEXITED(status));
			assert_int_equal(WEXITSTATUS(status), 0);
		}
#else
		(void)child;
		(void)status;
#endif
		drop(path);
		free(b.p);
	}
}

/* A record count far beyond what is there. */
static void test_huge_count(void **state)
{
	struct hdr h = good_hdr();
	struct buf b = { 0 };

	(void)state;
	put_header(&b, &h);
	put_u64(&b, UINT64_MAX);
	put_segment(&b, 0x1000, 8, 0);
	raw_fails(&b, 0, PHI_E_CORRUPT);
	b.n = 0;
	put_header(&b, &h);
	put_u64(&b, 1000000);
	put_segment(&b, 0x1000, 8, 0);
	raw_fails(&b, 0, PHI_E_CORRUPT);
	free(b.p);
}

static void header_fails(const struct hdr *h, enum phi_errcode code)
{
	struct buf b = { 0 };

	put_header(&b, h);
	put_u64(&b, 1);
	put_segment(&b, 0x1000, 8, 0);
	raw_fails(&b, 0, code);
	free(b.p);
}

static void test_bad_header(void **state)
{
	struct hdr h;
	char long_path[PATH_MAX + 10];

	(void)state;
	h = good_hdr();
	h.magic = "PHISNAQ";
	header_fails(&h, PHI_E_CORRUPT);
	h = good_hdr();
	h.magic = "\x1f\x8b\x08\0\0\0\0";
	header_fails(&h, PHI_E_CORRUPT);
	h = good_hdr();
	h.version = PHI_SNAPSHOT_VERSION + 1;
	header_fails(&h, PHI_E_CORRUPT);
	h = good_hdr();
	h.version = 0;
	header_fails(&h, PHI_E_CORRUPT);
	h = good_hdr();
	h.nlayout = PHI_L__COUNT + 1;
	header_fails(&h, PHI_E_CORRUPT);
	h = good_hdr();
	h.nlayout = PHI_L__COUNT - 1;
	header_fails(&h, PHI_E_CORRUPT);
	h = good_hdr();
	h.nsym = PHI_S__COUNT + 1;
	header_fails(&h, PHI_E_CORRUPT);
	h = good_hdr();
	h.nsym = 0xffffffffu;
	header_fails(&h, PHI_E_CORRUPT);
	h = good_hdr();
	h.pid = 0;
	header_fails(&h, PHI_E_CORRUPT);
	h = good_hdr();
	h.pid = 0x80000000u;
	header_fails(&h, PHI_E_CORRUPT);
	/* Another Python. */
	h = good_hdr();
	h.minor = 11;
	header_fails(&h, PHI_E_VERSION);
	h = good_hdr();
	h.micro = -1;
	header_fails(&h, PHI_E_CORRUPT);
	/* Strings too long for their buffers, or with a NUL inside. */
	memset(long_path, 'a', sizeof(long_path) - 1);
	long_path[sizeof(long_path) - 1] = '\0';
	h = good_hdr();
	h.object = long_path;
	header_fails(&h, PHI_E_CORRUPT);
	h = good_hdr();
	h.dwarf = long_path;
	header_fails(&h, PHI_E_CORRUPT);
	long_path[96] = '\0';
	h = good_hdr();
	h.text = long_path;
	header_fails(&h, PHI_E_CORRUPT);
	h = good_hdr();
	long_path[95] = '\0';
	h.text = long_path; /* 95 bytes: fits with its NUL */
	{
		struct buf b = { 0 };
		struct phi_target t;
		struct phi_capture cap;
		struct phi_error err = { 0 };

		put_header(&b, &h);
		put_u64(&b, 0);
		if (load_raw(&b, 0, &t, &cap, &err))
			fail_msg("95-byte version text: %s", err.msg);
		assert_int_equal(strlen(t.version.text), 95);
		phi_capture_release(&cap);
		phi_target_close(&t);
		free(b.p);
	}
	/* Layout: unknown source, absurd counts and values. */
	h = good_hdr();
	h.source = 7;
	header_fails(&h, PHI_E_CORRUPT);
	h = good_hdr();
	h.missing = PHI_L__COUNT + 1;
	header_fails(&h, PHI_E_CORRUPT);
	h = good_hdr();
	h.layout0 = -8;
	header_fails(&h, PHI_E_CORRUPT);
	h = good_hdr();
	h.layout0 = 1LL << 40;
	header_fails(&h, PHI_E_CORRUPT);
}

/* Status fields of a format 2 file that no capture could have made. */
static void test_bad_status(void **state)
{
	static const struct {
		uint32_t flags, threads;
		double pause_ms, copy_ms;
		uint64_t unreadable, skipped, nskipped, syscalls;
		bool ok;
	} cases[] = {
		/* flags threads pause copy unread skipped nskip sysc ok */
		{ 3, 1, 2, 1, 0, 0, 0, 1, true },
		{ 1, 1, 2, 1, 0, 0, 0, 1, true },  /* budget ran out */
		{ 0, 0, 0, 9, 0, 0, 0, 1, true },  /* --no-freeze */
		{ 4, 0, 0, 0, 0, 0, 0, 0, true },  /* unknown */
		{ 3, 1, 2, 1, 0, 1ULL << 40, 2, 1, true },
		{ 8, 1, 2, 1, 0, 0, 0, 1, false }, /* unknown flag bit */
		{ 5, 1, 2, 1, 0, 0, 0, 1, false }, /* unknown and frozen */
		{ 4, 0, 0, 0, 0, 0, 0, 1, false }, /* unknown with a value */
		{ 2, 0, 0, 1, 0, 0, 0, 1, false }, /* consistent, not frozen */
		{ 3, 0, 2, 1, 0, 0, 0, 1, false }, /* frozen, no thread */
		{ 0, 1, 0, 1, 0, 0, 0, 1, false }, /* threads, not frozen */
		{ 3, (1u << 22) + 1, 2, 1, 0, 0, 0, 1, false },
		{ 0, 0, 1, 1, 0, 0, 0, 1, false }, /* paused, not frozen */
		{ 3, 1, -1, 1, 0, 0, 0, 1, false },
		{ 3, 1, NAN, 1, 0, 0, 0, 1, false },
		{ 3, 1, INFINITY, 1, 0, 0, 0, 1, false },
		{ 3, 1, 2, NAN, 0, 0, 0, 1, false },
		{ 3, 1, 2e9, 1, 0, 0, 0, 1, false },
		{ 3, 1, 2, 1, 1ULL << 60, 0, 0, 1, false },
		{ 3, 1, 2, 1, 0, 1ULL << 60, 1, 1, false },
		{ 3, 1, 2, 1, 0, 5, 0, 1, false }, /* bytes, no mapping */
		{ 3, 1, 2, 1, 0, 0, 1, 1, false }, /* a mapping, no bytes */
		{ 3, 1, 2, 1, 0, 5, 6, 1, false }, /* more mappings than bytes */
		{ 3, 1, 2, 1, 0, 0, 0, 1ULL << 33, false },
	};

	(void)state;
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct hdr h = good_hdr();
		struct buf b = { 0 };
		struct phi_target t;
		struct phi_capture cap;
		struct phi_error err = { 0 };
		int rc;

		h.flags = cases[k].flags;
		h.threads = cases[k].threads;
		h.pause_ms = cases[k].pause_ms;
		h.copy_ms = cases[k].copy_ms;
		h.unreadable = cases[k].unreadable;
		h.skipped = cases[k].skipped;
		h.nskipped = cases[k].nskipped;
		h.syscalls = cases[k].syscalls;
		if (!cases[k].ok) {
			header_fails(&h, PHI_E_CORRUPT);
			continue;
		}
		put_header(&b, &h);
		put_u64(&b, 1);
		put_segment(&b, 0x1000, 8, 0);
		rc = load_raw(&b, 0, &t, &cap, &err);
		if (rc)
			fail_msg("status case %zu: %s", k, err.msg);
		assert_int_equal(cap.frozen, !!(h.flags & 1));
		assert_int_equal(cap.consistent, !!(h.flags & 2));
		assert_int_equal(cap.status_unknown, !!(h.flags & 4));
		assert_int_equal(cap.img.skipped, h.skipped);
		assert_int_equal(cap.img.nskipped, h.nskipped);
		assert_int_equal(cap.img.bytes, 8);
		phi_capture_release(&cap);
		phi_target_close(&t);
		free(b.p);
	}
}

static void test_bad_segments(void **state)
{
	struct hdr h = good_hdr();
	struct buf b = { 0 };

	(void)state;
	/* Overlapping. */
	put_header(&b, &h);
	put_u64(&b, 2);
	put_segment(&b, 0x1000, 0x20, 0);
	put_segment(&b, 0x1010, 0x20, 0);
	raw_fails(&b, 0, PHI_E_CORRUPT);
	/* Out of order. */
	b.n = 0;
	put_header(&b, &h);
	put_u64(&b, 2);
	put_segment(&b, 0x2000, 0x20, 0);
	put_segment(&b, 0x1000, 0x20, 0);
	raw_fails(&b, 0, PHI_E_CORRUPT);
	/* The same twice. */
	b.n = 0;
	put_header(&b, &h);
	put_u64(&b, 2);
	put_segment(&b, 0x1000, 0x20, 0);
	put_segment(&b, 0x1000, 0x20, 0);
	raw_fails(&b, 0, PHI_E_CORRUPT);
	/* Empty. */
	b.n = 0;
	put_header(&b, &h);
	put_u64(&b, 1);
	put_segment(&b, 0x1000, 0, 0);
	raw_fails(&b, 0, PHI_E_CORRUPT);
	/* Wrapping past the top of the address space. */
	b.n = 0;
	put_header(&b, &h);
	put_u64(&b, 1);
	put_segment(&b, UINT64_MAX - 7, 16, 0);
	raw_fails(&b, 0, PHI_E_CORRUPT);
	/* Ending exactly at the top is fine... */
	b.n = 0;
	put_header(&b, &h);
	put_u64(&b, 1);
	put_segment(&b, UINT64_MAX - 15, 15, 0);
	{
		struct phi_target t;
		struct phi_capture cap;
		struct phi_error err = { 0 };

		if (load_raw(&b, 0, &t, &cap, &err))
			fail_msg("segment at the top: %s", err.msg);
		assert_int_equal(cap.img.n, 1);
		phi_capture_release(&cap);
		phi_target_close(&t);
	}
	/* Fewer records than announced, and more data than announced. */
	b.n = 0;
	put_header(&b, &h);
	put_u64(&b, 3);
	put_segment(&b, 0x1000, 0x20, 0);
	put_segment(&b, 0x2000, 0x20, 0);
	raw_fails(&b, 0, PHI_E_CORRUPT);
	b.n = 0;
	put_header(&b, &h);
	put_u64(&b, 1);
	put_segment(&b, 0x1000, 0x20, 0);
	put(&b, "x", 1);
	raw_fails(&b, 0, PHI_E_CORRUPT);
	/* Over the cap: the second record crosses it. */
	b.n = 0;
	put_header(&b, &h);
	put_u64(&b, 2);
	put_segment(&b, 0x1000, 0x20, 0);
	put_segment(&b, 0x2000, 0x20, 0);
	raw_fails(&b, 0x3f, PHI_E_NO_MEMORY);
	free(b.p);
}

/* Files that are not snapshots at all. */
static void test_not_snapshots(void **state)
{
	char *path = temp_path();
	static const char text[] = "hello, this is not a snapshot\n";
	unsigned char noise[4096];

	(void)state;
	/* Empty. */
	load_fails(path, 0, PHI_E_CORRUPT);
	/* Plain text (zlib reads files that are not gzip as they are). */
	write_file(path, text, sizeof(text) - 1);
	load_fails(path, 0, PHI_E_CORRUPT);
	/* Compressed text. */
	write_gz(path, text, sizeof(text) - 1);
	load_fails(path, 0, PHI_E_CORRUPT);
	/* A gzip header followed by noise. */
	fill(noise, sizeof(noise), 5);
	noise[0] = 0x1f;
	noise[1] = 0x8b;
	noise[2] = 8;
	noise[3] = 0;
	write_file(path, noise, sizeof(noise));
	load_fails(path, 0, PHI_E_CORRUPT);
	drop(path);
}

static void test_missing_file(void **state)
{
	struct phi_target t;
	struct phi_capture cap;
	struct phi_error err = { 0 };
	char *path = temp_path();
	char *dir_path;
	int rc;

	(void)state;
	unlink(path);
	rc = phi_snapshot_load(path, 0, &t, &cap, &err);
	assert_int_equal(rc, -PHI_E_IO);
	assert_non_null(strstr(err.msg, path));
	phi_capture_release(&cap);
	phi_target_close(&t);
	/* A directory. */
	dir_path = strdup(path);
	assert_non_null(dir_path);
	*strrchr(dir_path, '/') = '\0';
	rc = phi_snapshot_load(dir_path, 0, &t, &cap, &err);
	assert_true(rc == -PHI_E_IO || rc == -PHI_E_CORRUPT);
	phi_capture_release(&cap);
	phi_target_close(&t);
	free(dir_path);
	/* Saving where no file can be created. */
	memset(&t, 0, sizeof(t));
	memset(&cap, 0, sizeof(cap));
	phi_layout_builtin(&t.layout);
	rc = phi_snapshot_save("/nonexistent-dir/x.snap.gz", &t, &cap, &err);
	assert_int_equal(rc, -PHI_E_IO);
	assert_non_null(strstr(err.msg, "/nonexistent-dir/x.snap.gz"));
	free(path);
}

/* A write error (a full disk) is PHI_E_IO; the path, a device here, is
 * not removed. */
static void test_save_write_error(void **state)
{
	struct phi_target t;
	struct phi_capture cap;
	struct phi_error err = { 0 };
	static unsigned char data[1 << 20];
	struct stat st;

	(void)state;
	if (stat("/dev/full", &st) != 0)
		skip();
	memset(&t, 0, sizeof(t));
	memset(&cap, 0, sizeof(cap));
	t.pid = 5;
	phi_layout_builtin(&t.layout);
	fill(data, sizeof(data), 11);
	assert_int_equal(phi_image_add(&cap.img, 0x10000, data, sizeof(data),
				       false, &err), 0);
	assert_int_equal(phi_snapshot_save("/dev/full", &t, &cap, &err),
			 -PHI_E_IO);
	assert_non_null(strstr(err.msg, "/dev/full"));
	assert_int_equal(stat("/dev/full", &st), 0);
	phi_capture_release(&cap);
}

/* A truncated file's message names it. */
static void test_message_names_file(void **state)
{
	struct hdr h = good_hdr();
	struct buf b = { 0 };
	struct phi_target t;
	struct phi_capture cap;
	struct phi_error err = { 0 };
	char *path = temp_path();

	(void)state;
	put_header(&b, &h);
	put_u64(&b, 1);
	put_segment(&b, 0x1000, 0x100, 0);
	write_gz(path, b.p, b.n - 10);
	assert_int_equal(phi_snapshot_load(path, 0, &t, &cap, &err),
			 -PHI_E_CORRUPT);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "truncated"));
	phi_capture_release(&cap);
	phi_target_close(&t);
	drop(path);
	free(b.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_round_trip_empty),
		cmocka_unit_test(test_touching_records_join),
		cmocka_unit_test(test_status_round_trips),
		cmocka_unit_test(test_v1_loads),
		cmocka_unit_test(test_v1_base_snapshot),
		cmocka_unit_test(test_truncated_stream),
		cmocka_unit_test(test_truncated_file),
		cmocka_unit_test(test_huge_claims),
		cmocka_unit_test(test_huge_count),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_bad_status),
		cmocka_unit_test(test_bad_segments),
		cmocka_unit_test(test_not_snapshots),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_save_write_error),
		cmocka_unit_test(test_message_names_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
