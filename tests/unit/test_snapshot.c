/* Unit tests for saved snapshots (snapshot.h) as a memory source
 * (source.h), with the description of the interpreter that the CPython
 * layer writes into them (phi_python_export/import).
 *
 * Round trips: a CPython 3.10 (struct phi_python with 3.10 state) and a
 * capture exported, saved, opened, imported back and compared field by
 * field (every layout value, symbol, description field, status field and
 * segment byte; a segment larger than one read piece; the --max-memory
 * cap exactly); an empty image; names the snapshot does not know kept as
 * they are; every kind of capture status; and the bytes saved compared
 * with the documented format 3, written by hand.  Records that touch are
 * joined into one segment.  The source interface: the saved image read
 * before the capture, the capture handing it over once (a second one and
 * a read after it refused), no files, close freeing all.
 *
 * Older formats: format 1 and 2 files written by hand load, their values
 * by position landing on the fields of the same name (format 1 with an
 * unknown status, format 2 with its status exactly); the committed fuzz
 * base snapshot (tests/fuzz/base.snap.gz, a format 1 file of a real
 * 3.10.13 target) loads with the values its target implies (the layouts
 * DWARF gave equal the built-in table, the runtime and its one
 * interpreter decode, the small-int cache holds -5..256, the singletons
 * point at their types) and saved again becomes format 3 with the same
 * content and a status still unknown.
 *
 * Hostile files, written by hand in formats 1, 2 and 3: truncated at
 * every point of the stream and of the compressed file; a header that
 * claims a huge segment in a tiny file (refused quickly and without
 * allocating it); wrong magic, format version and pid; table sizes of
 * formats 1 and 2 other than the frozen ones (refused at import); another
 * Python (PHI_E_VERSION at import); description values out of range, a
 * layout value among them (refused at import naming the field); bad
 * lengths (names over 255 bytes, texts over 4096, counts over 65536
 * entries, empty names, NUL bytes); impossible capture status fields;
 * empty, unsorted, overlapping or wrapping segments; trailing data; the
 * --max-memory cap; files that are not snapshots; a file that does not
 * exist; a full disk (/dev/full); an image out of order given to save.
 * Every refusal of a file names it. */
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

#include "pyheapinspect/base/record.h"
#include "pyheapinspect/cpython/ops.h"
#include "pyheapinspect/cpython/python.h"
#include "pyheapinspect/cpython/310/layout.h"
#include "pyheapinspect/cpython/310/py310.h"
#include "pyheapinspect/source/image.h"
#include "pyheapinspect/source/snapshot/snapshot.h"
#include "pyheapinspect/source/source.h"

/* What formats 1 and 2 stored at each position: the format's own
 * definition, frozen with it. */
#include "../../src/cpython/310/legacy.inc"
#define NLEGACY_LAYOUT (sizeof(legacy_layout) / sizeof(legacy_layout[0]))
#define NLEGACY_SYMBOLS (sizeof(legacy_symbols) / sizeof(legacy_symbols[0]))

/* ASan reserves terabytes of address space: no RLIMIT_AS under it. */
#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif

#define BIG_LEN ((20u << 20) + 12345) /* over one 16 MiB read piece */
#define SYM_BASE 0x7f0000000000ULL   /* symbols of hand-written files */
#define MAX_LEGACY 4096               /* values a format 1/2 file may hold */

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

static void expect_in(const char *msg, const char *part)
{
	if (!strstr(msg, part))
		fail_msg("message '%s' lacks '%s'", msg, part);
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
	if (len)
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

static void put_f64(struct buf *b, double v)
{
	uint64_t bits;

	memcpy(&bits, &v, 8);
	put_u64(b, bits);
}

static void put_str(struct buf *b, const char *s)
{
	put_u32(b, (uint32_t)strlen(s));
	put(b, s, strlen(s));
}

/* A string of len bytes of c. */
static void put_run(struct buf *b, size_t len, char c)
{
	put_u32(b, (uint32_t)len);
	for (size_t i = 0; i < len; i++)
		put(b, &c, 1);
}

/* A record as format 3 stores it. */
static void put_record(struct buf *b, const struct phi_record *rec)
{
	put_u32(b, (uint32_t)rec->nnum);
	for (size_t i = 0; i < rec->nnum; i++) {
		put_str(b, rec->num[i].name);
		put_u64(b, (uint64_t)rec->num[i].value);
	}
	put_u32(b, (uint32_t)rec->ntext);
	for (size_t i = 0; i < rec->ntext; i++) {
		put_str(b, rec->text[i].name);
		put_str(b, rec->text[i].text);
	}
}

static void put_status_fields(struct buf *b, uint32_t flags, uint32_t threads,
			      double pause_ms, double copy_ms,
			      uint64_t unreadable, uint64_t skipped,
			      uint64_t nskipped, uint64_t syscalls)
{
	put_u32(b, flags);
	put_u32(b, threads);
	put_f64(b, pause_ms);
	put_f64(b, copy_ms);
	put_u64(b, unreadable);
	put_u64(b, skipped);
	put_u64(b, nskipped);
	put_u64(b, syscalls);
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

/* The uncompressed stream of a gzip file. */
static void read_gz(const char *path, struct buf *out)
{
	gzFile gz = gzopen(path, "rb");
	unsigned char chunk[65536];
	int got;

	assert_non_null(gz);
	while ((got = gzread(gz, chunk, sizeof(chunk))) > 0)
		put(out, chunk, (size_t)got);
	assert_int_equal(got, 0);
	assert_int_equal(gzclose(gz), Z_OK);
}

/* ---- names of the 3.10 tables ----------------------------------------- */

/* "_is.next", "PyGC_Head" (a struct's size): the names of legacy.inc. */
static void field_name(int id, char *buf, size_t len)
{
	const char *member = phi_layout_member_name((enum phi_layout_id)id);

	if (strcmp(member, "(size)") == 0)
		snprintf(buf, len, "%s",
			 phi_layout_type_name((enum phi_layout_id)id));
	else
		snprintf(buf, len, "%s.%s",
			 phi_layout_type_name((enum phi_layout_id)id), member);
}

/* Position of layout field id in a format 1/2 file, or -1. */
static int legacy_layout_pos(int id)
{
	char name[PHI_RECORD_MAX_NAME + 1];

	field_name(id, name, sizeof(name));
	for (size_t i = 0; i < NLEGACY_LAYOUT; i++)
		if (strcmp(legacy_layout[i], name) == 0)
			return (int)i;
	return -1;
}

static int legacy_symbol_pos(int id)
{
	for (size_t i = 0; i < NLEGACY_SYMBOLS; i++)
		if (strcmp(legacy_symbols[i],
			   phi_symbol_name((enum phi_sym_id)id)) == 0)
			return (int)i;
	return -1;
}

/* ---- hand-written files ----------------------------------------------- */

/* Fields of a hand-written file that the tests change. */
struct hdr {
	const char *magic; /* 8 bytes */
	uint32_t version, pid;
	/* The interpreter's description. */
	int32_t major, minor, micro;
	const char *text, *object, *dwarf;
	uint32_t source, missing;
	int64_t layout0; /* pyruntimestate.interpreters.head */
	/* Formats 1 and 2: the sizes of the positional tables. */
	uint32_t nlayout, nsym;
	/* Format 3: the record written (NULL: one made of the fields
	 * above, as phi_python_export writes it). */
	const struct phi_record *rec;
	/* Formats 2 and 3: the capture's status. */
	uint32_t flags, threads;
	double pause_ms, copy_ms;
	uint64_t unreadable, skipped, nskipped, syscalls;
};

static struct hdr good_hdr(uint32_t version)
{
	return (struct hdr){
		.magic = "PHISNAP", .version = version, .pid = 4242,
		.major = 3, .minor = 10, .micro = 13,
		.text = "3.10.13 (main) [GCC]", .object = "/usr/lib/libpython",
		.dwarf = "/usr/lib/debug/x.debug",
		.source = PHI_LAYOUT_DWARF, .missing = 2, .layout0 = 48,
		.nlayout = NLEGACY_LAYOUT, .nsym = NLEGACY_SYMBOLS,
		.flags = 3 /* frozen, consistent */, .threads = 2,
		.pause_ms = 4.25, .copy_ms = 3.5, .unreadable = 4096,
		.syscalls = 2,
	};
}

/* Does the validation leave the struct of field id free to move: none
 * of its fields is one of the values every CPython 3.10 has (and, for
 * a table of formats 1 and 2, each has a position there: the others
 * keep their built-in values)? */
static bool movable(int id, bool legacy)
{
	static int fixed[PHI_L__COUNT + 1]; /* 0 unknown, 1 fixed, 2 free */
	enum phi_layout_id s = phi_layout_struct_of((enum phi_layout_id)id);

	if (!fixed[PHI_L__COUNT]) {
		for (int j = 0; j < PHI_L__COUNT; j++) {
			struct phi_layout l;
			struct phi_error err = { 0 };

			phi_layout_builtin(&l);
			l.v[j] += 8;
			fixed[j] = phi_layout_validate(&l, &err) < 0 &&
					   strstr(err.msg, "every CPython") ?
				   1 : 2;
		}
		fixed[PHI_L__COUNT] = 1;
	}
	for (int j = 0; j < PHI_L__COUNT; j++)
		if (phi_layout_struct_of((enum phi_layout_id)j) == s &&
		    (fixed[j] == 1 || (legacy && legacy_layout_pos(j) < 0)))
			return false;
	return true;
}

/* The value of layout field id in a hand-written file: a table the
 * import accepts (it validates every table) and unlike the built-in one,
 * so that a value read into another field shows: the members and the
 * size of every struct the validation leaves free moved by 8 bytes;
 * pyruntimestate.interpreters.head holds layout0. */
static int64_t hand_value(const struct hdr *h, int id)
{
	struct phi_layout builtin;

	if (id == PHI_L_RT_INTERP_HEAD)
		return h->layout0;
	phi_layout_builtin(&builtin);
	return builtin.v[id] + (movable(id, true) ? 8 : 0);
}

/* Values of a hand-written file: layout field id (format 3) holds
 * hand_value(id); position pos (formats 1 and 2) the value of the field
 * legacy.inc names there (8 * pos past the names: such tables are
 * refused before their values are read); symbol id (or position id) is
 * at SYM_BASE + 16 * id. */
static int64_t hand_layout(const struct hdr *h, size_t id)
{
	return hand_value(h, (int)id);
}

static int64_t hand_legacy(const struct hdr *h, size_t pos)
{
	for (int id = 0; pos < NLEGACY_LAYOUT && id < PHI_L__COUNT; id++)
		if (legacy_layout_pos(id) == (int)pos)
			return hand_value(h, id);
	return (int64_t)(8 * pos);
}

/* A CPython 3.10 described by h. */
static void hdr_python(const struct hdr *h, struct phi310 *st,
		       struct phi_python *py)
{
	memset(st, 0, sizeof(*st));
	memset(py, 0, sizeof(*py));
	phi_layout_builtin(&st->layout);
	for (size_t i = 0; i < PHI_L__COUNT; i++)
		st->layout.v[i] = hand_layout(h, i);
	for (size_t i = 0; i < PHI_S__COUNT; i++)
		st->sym[i] = SYM_BASE + 16 * i;
	py->ops = &phi_cpython310_ops;
	py->impl = st;
	py->version.major = h->major;
	py->version.minor = h->minor;
	py->version.micro = h->micro;
	snprintf(py->version.text, sizeof(py->version.text), "%s", h->text);
	snprintf(py->object_path, sizeof(py->object_path), "%s", h->object);
	snprintf(py->layout_path, sizeof(py->layout_path), "%s", h->dwarf);
	py->layout_source = (enum phi_layout_source)h->source;
	py->layout_missing = h->missing;
	py->runtime = st->sym[PHI_S_RUNTIME];
	py->bias = 0x1000;
}

static void hdr_record(const struct hdr *h, struct phi_record *rec)
{
	static struct phi310 st;
	static struct phi_python py;
	struct phi_error err = { 0 };

	hdr_python(h, &st, &py);
	phi_record_init(rec);
	if (phi_python_export(&py, rec, &err))
		fail_msg("export: %s", err.msg);
}

static void put_status(struct buf *b, const struct hdr *h)
{
	put_status_fields(b, h->flags, h->threads, h->pause_ms, h->copy_ms,
			  h->unreadable, h->skipped, h->nskipped, h->syscalls);
}

static void put_legacy(struct buf *b, const struct hdr *h)
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
	/* As many values as the header says (none when it says more than a
	 * reader may read: it must refuse before reading them). */
	for (uint32_t i = 0; i < h->nlayout && h->nlayout <= MAX_LEGACY; i++)
		put_u64(b, (uint64_t)hand_legacy(h, i));
	for (uint32_t i = 0; i < h->nsym && h->nsym <= MAX_LEGACY; i++)
		put_u64(b, SYM_BASE + 16 * i);
	if (h->version >= 2)
		put_status(b, h);
}

/* Format 3 up to (not including) the description. */
static void put_v3_start(struct buf *b, const struct hdr *h)
{
	put(b, h->magic, 8);
	put_u32(b, h->version);
	put_u32(b, h->pid);
}

static void put_v3(struct buf *b, const struct hdr *h)
{
	struct phi_record rec;

	put_v3_start(b, h);
	if (h->rec) {
		put_record(b, h->rec);
	} else {
		hdr_record(h, &rec);
		put_record(b, &rec);
		phi_record_release(&rec);
	}
	put_status(b, h);
}

/* Everything before the segments, in the format h->version says
 * (another version: format 3's fields). */
static void put_header(struct buf *b, const struct hdr *h)
{
	if (h->version == 1 || h->version == 2)
		put_legacy(b, h);
	else
		put_v3(b, h);
}

/* ---- opening, importing, capturing ------------------------------------ */

struct loaded {
	struct phi_source s;
	struct phi_python py;
	struct phi_capture cap;
};

static const struct phi_capture_opts no_opts;

static void open_ok(const char *path, uint64_t max_bytes, struct loaded *l)
{
	struct phi_error err = { 0 };

	memset(l, 0, sizeof(*l));
	if (phi_snapshot_open(&l->s, path, max_bytes, &err))
		fail_msg("open '%s': %s", path, err.msg);
}

static void import_ok(struct loaded *l)
{
	struct phi_error err = { 0 };

	if (phi_python_import(&l->py, &l->s.record, &err))
		fail_msg("import: %s", err.msg);
}

static void capture_ok(struct loaded *l)
{
	struct phi_error err = { 0 };

	if (phi_source_capture(&l->s, &no_opts, &l->cap, &err))
		fail_msg("capture: %s", err.msg);
}

/* Open, import and capture, as the tool does. */
static void load_ok(const char *path, uint64_t max_bytes, struct loaded *l)
{
	open_ok(path, max_bytes, l);
	import_ok(l);
	capture_ok(l);
}

static void loaded_release(struct loaded *l)
{
	phi_capture_release(&l->cap);
	phi_python_close(&l->py);
	phi_source_close(&l->s);
}

static char *raw_file(const struct buf *b)
{
	char *path = temp_path();

	write_gz(path, b->p, b->n);
	return path;
}

static void raw_load_ok(const struct buf *b, uint64_t max_bytes,
			struct loaded *l)
{
	char *path = raw_file(b);

	load_ok(path, max_bytes, l);
	drop(path);
}

/* Open path, expect failure with code and a message naming the file
 * (and holding part, unless NULL), and the source left closed. */
static void open_fails(const char *path, uint64_t max_bytes,
		       enum phi_errcode code, const char *part)
{
	struct phi_source s;
	struct phi_error err = { 0 };
	int rc;

	memset(&s, 0xa5, sizeof(s));
	rc = phi_snapshot_open(&s, path, max_bytes, &err);
	if (rc != -(int)code)
		fail_msg("opening '%s': expected -%d, got %d (%s)", path,
			 (int)code, rc, err.msg);
	assert_int_equal(err.code, code);
	expect_in(err.msg, path);
	if (part)
		expect_in(err.msg, part);
	assert_null(s.ops);
	assert_null(s.impl);
	assert_int_equal(s.record.nnum, 0);
	assert_int_equal(s.record.ntext, 0);
	assert_int_equal(s.maps.n, 0);
	phi_source_close(&s);
}

static void raw_open_fails(const struct buf *b, uint64_t max_bytes,
			   enum phi_errcode code, const char *part)
{
	char *path = raw_file(b);

	open_fails(path, max_bytes, code, part);
	drop(path);
}

/* The file opens, and its description is refused by the import with
 * code and a message holding part. */
static void raw_import_fails(const struct buf *b, enum phi_errcode code,
			     const char *part)
{
	struct loaded l;
	struct phi_error err = { 0 };
	char *path = raw_file(b);
	int rc;

	open_ok(path, 0, &l);
	rc = phi_python_import(&l.py, &l.s.record, &err);
	if (rc != -(int)code)
		fail_msg("importing '%s': expected -%d, got %d (%s)", path,
			 (int)code, rc, err.msg);
	assert_int_equal(err.code, code);
	if (part)
		expect_in(err.msg, part);
	loaded_release(&l);
	drop(path);
}

/* h with one 8-byte segment. */
static void hdr_file(const struct hdr *h, struct buf *b)
{
	b->n = 0;
	put_header(b, h);
	put_u64(b, 1);
	put_segment(b, 0x1000, 8, 0);
}

static void header_open_fails(const struct hdr *h, enum phi_errcode code,
			      const char *part)
{
	struct buf b = { 0 };

	hdr_file(h, &b);
	raw_open_fails(&b, 0, code, part);
	free(b.p);
}

static void header_import_fails(const struct hdr *h, enum phi_errcode code,
				const char *part)
{
	struct buf b = { 0 };

	hdr_file(h, &b);
	raw_import_fails(&b, code, part);
	free(b.p);
}

/* The description h wrote, as imported: by name for format 3, by
 * position through the names of legacy.inc for formats 1 and 2 (a field
 * no position names keeps its built-in value). */
static void expect_hdr_values(const struct hdr *h, const struct loaded *l)
{
	const struct phi310 *st = phi310(&l->py);
	struct phi_layout builtin;
	bool legacy = h->version < 3;

	phi_layout_builtin(&builtin);
	assert_int_equal(l->s.pid, (pid_t)h->pid);
	assert_ptr_equal(l->py.ops, &phi_cpython310_ops);
	assert_int_equal(l->py.version.major, h->major);
	assert_int_equal(l->py.version.minor, h->minor);
	assert_int_equal(l->py.version.micro, h->micro);
	assert_string_equal(l->py.version.text, h->text);
	assert_string_equal(l->py.object_path, h->object);
	assert_string_equal(l->py.open_path, "");
	assert_int_equal(l->py.layout_source, h->source);
	assert_int_equal(l->py.layout_missing, h->missing);
	assert_string_equal(l->py.layout_path, h->dwarf);
	assert_int_equal(st->layout.source, h->source);
	assert_int_equal(st->layout.missing, h->missing);
	assert_string_equal(st->layout.dwarf_path, h->dwarf);
	assert_null(st->job); /* imported: no layouts to resolve */
	for (int i = 0; i < PHI_L__COUNT; i++) {
		int pos = legacy ? legacy_layout_pos(i) : i;
		int64_t want = pos < 0 ? builtin.v[i] : hand_layout(h, i);

		if (st->layout.v[i] != want)
			fail_msg("format %u, layout %s.%s: %lld, expected %lld",
				 h->version, phi_layout_type_name(i),
				 phi_layout_member_name(i),
				 (long long)st->layout.v[i], (long long)want);
	}
	for (int i = 0; i < PHI_S__COUNT; i++) {
		int pos = legacy ? legacy_symbol_pos(i) : i;
		uint64_t want = pos < 0 ? 0 : SYM_BASE + 16 * (uint64_t)pos;

		if (st->sym[i] != want)
			fail_msg("format %u, symbol %s: 0x%llx, expected "
				 "0x%llx", h->version, phi_symbol_name(i),
				 (unsigned long long)st->sym[i],
				 (unsigned long long)want);
	}
	/* Formats 1 and 2 did not save it: _PyRuntime's symbol. */
	assert_int_equal(l->py.runtime, st->sym[PHI_S_RUNTIME]);
	assert_int_equal(l->py.bias, legacy ? 0 : 0x1000);
}

/* ---- a synthetic CPython 3.10 and capture ----------------------------- */

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

/* Every layout value different from the built-in one where the
 * validation lets it be (every free struct moved by 8 bytes), symbols
 * at distinct addresses (every fifth absent), layouts from DWARF with
 * some fields missing. */
static void make_python(struct phi310 *st, struct phi_python *py)
{
	memset(st, 0, sizeof(*st));
	memset(py, 0, sizeof(*py));
	phi_layout_builtin(&st->layout);
	for (int i = 0; i < PHI_L__COUNT; i++)
		st->layout.v[i] += movable(i, false) ? 8 : 0;
	for (int i = 0; i < PHI_S__COUNT; i++)
		st->sym[i] = i % 5 == 4 ? 0 :
				0x7f1234560000ULL + 0x1000ULL * (uint64_t)i;
	py->ops = &phi_cpython310_ops;
	py->impl = st;
	py->version = (struct phi_version){ 3, 10, 13, "3.10.13 (main, May  9 "
					    "2026, 12:00:00) [GCC 12.2.0]" };
	snprintf(py->object_path, sizeof(py->object_path),
		 "/opt/python/lib/libpython3.10.so.1.0");
	snprintf(py->open_path, sizeof(py->open_path), "/proc/1/root/x");
	py->bias = 0x7f1234500000ULL;
	/* Not the symbol's value: the saved one must come back. */
	py->runtime = 0x7f1234560040ULL;
	py->layout_source = PHI_LAYOUT_DWARF;
	snprintf(py->layout_path, sizeof(py->layout_path),
		 "/usr/lib/debug/.build-id/ab/cdef.debug");
	py->layout_missing = 3;
	py->layout_ms = 41.5; /* not saved: a time of the tool */
}

static void make_capture(struct phi_capture *cap)
{
	struct phi_error err = { 0 };

	memset(cap, 0, sizeof(*cap));
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

static void export_ok(const struct phi_python *py, struct phi_record *rec)
{
	struct phi_error err = { 0 };

	phi_record_init(rec);
	if (phi_python_export(py, rec, &err))
		fail_msg("export: %s", err.msg);
}

static void save_ok(const char *path, pid_t pid, const struct phi_record *rec,
		    const struct phi_capture *cap)
{
	struct phi_error err = { 0 };

	if (phi_snapshot_save(path, pid, rec, cap, &err))
		fail_msg("save '%s': %s", path, err.msg);
}

/* A snapshot's record holds exactly the entries of want. */
static void expect_record(const struct phi_record *got,
			  const struct phi_record *want)
{
	assert_int_equal(got->nnum, want->nnum);
	assert_int_equal(got->ntext, want->ntext);
	for (size_t i = 0; i < want->nnum; i++) {
		int64_t v;

		if (!phi_record_num(got, want->num[i].name, &v))
			fail_msg("number '%s' not kept", want->num[i].name);
		if (v != want->num[i].value)
			fail_msg("number '%s': %lld, saved %lld",
				 want->num[i].name, (long long)v,
				 (long long)want->num[i].value);
	}
	for (size_t i = 0; i < want->ntext; i++) {
		const char *t = phi_record_text(got, want->text[i].name);

		if (!t)
			fail_msg("text '%s' not kept", want->text[i].name);
		assert_string_equal(t, want->text[i].text);
	}
}

/* Two images with the same segments and bytes. */
static void expect_same_image(const struct phi_image *got,
			      const struct phi_image *want)
{
	assert_int_equal(got->n, want->n);
	assert_int_equal(got->bytes, want->bytes);
	for (size_t i = 0; i < want->n; i++) {
		const struct phi_segment *a = &want->seg[i];
		const struct phi_segment *b = &got->seg[i];

		assert_int_equal(b->start, a->start);
		assert_int_equal(b->end, a->end);
		assert_true(b->owned);
		assert_memory_equal(b->data, a->data, a->end - a->start);
	}
}

/* ---- round trips ------------------------------------------------------ */

static void test_round_trip(void **state)
{
	static struct phi310 st;
	static struct phi_python py;
	static struct loaded l;
	struct phi_capture cap;
	struct phi_record rec;
	struct phi_error err = { 0 };
	const struct phi310 *st2;
	char *path = temp_path(), head[12];
	gzFile gz;

	(void)state;
	make_python(&st, &py);
	make_capture(&cap);
	export_ok(&py, &rec);
	save_ok(path, 31337, &rec, &cap);

	/* Format 3, as the header says. */
	gz = gzopen(path, "rb");
	assert_non_null(gz);
	assert_int_equal(gzread(gz, head, sizeof(head)), 12);
	gzclose(gz);
	assert_memory_equal(head, "PHISNAP\0\3\0\0\0", 12);

	/* The description comes back as it was written, the pid too. */
	open_ok(path, 0, &l);
	assert_int_equal(l.s.pid, 31337);
	assert_int_equal(l.s.maps.n, 0);
	expect_record(&l.s.record, &rec);

	/* ... and imported, it is the interpreter that was saved. */
	import_ok(&l);
	st2 = phi310(&l.py);
	assert_ptr_equal(l.py.ops, &phi_cpython310_ops);
	assert_string_equal(phi_python_version_name(&l.py), "3.10");
	assert_int_equal(l.py.version.major, 3);
	assert_int_equal(l.py.version.minor, 10);
	assert_int_equal(l.py.version.micro, 13);
	assert_string_equal(l.py.version.text, py.version.text);
	assert_string_equal(l.py.object_path, py.object_path);
	assert_string_equal(l.py.open_path, "");
	assert_int_equal(l.py.bias, py.bias);
	assert_int_equal(l.py.runtime, py.runtime);
	assert_int_equal(l.py.layout_source, PHI_LAYOUT_DWARF);
	assert_int_equal(l.py.layout_missing, 3);
	assert_string_equal(l.py.layout_path, py.layout_path);
	assert_true(l.py.layout_ms == 0);
	assert_null(st2->job);
	assert_int_equal(st2->layout.source, PHI_LAYOUT_DWARF);
	assert_int_equal(st2->layout.missing, 3);
	assert_string_equal(st2->layout.dwarf_path, py.layout_path);
	for (int i = 0; i < PHI_L__COUNT; i++)
		if (st2->layout.v[i] != st.layout.v[i])
			fail_msg("layout %s.%s: %lld, saved %lld",
				 phi_layout_type_name(i),
				 phi_layout_member_name(i),
				 (long long)st2->layout.v[i],
				 (long long)st.layout.v[i]);
	for (int i = 0; i < PHI_S__COUNT; i++)
		if (st2->sym[i] != st.sym[i])
			fail_msg("symbol %s: 0x%llx, saved 0x%llx",
				 phi_symbol_name(i),
				 (unsigned long long)st2->sym[i],
				 (unsigned long long)st.sym[i]);
	/* Imported layouts are there already: resolving them does nothing. */
	phi_python_layout_start(&l.py);
	phi_python_layout_wait(&l.py);
	assert_int_equal(phi_python_layout_join(&l.py, &err), 0);
	assert_memory_equal(st2->layout.v, st.layout.v, sizeof(st.layout.v));
	assert_int_equal(l.py.layout_source, PHI_LAYOUT_DWARF);

	/* The capture's status, exactly. */
	capture_ok(&l);
	assert_false(l.cap.status_unknown);
	assert_true(l.cap.frozen);
	assert_true(l.cap.consistent);
	assert_int_equal(l.cap.threads, 3);
	assert_true(l.cap.pause_ms == 12.5);
	assert_true(l.cap.copy_ms == 11.0625);
	assert_true(l.cap.warm_ms == 0);
	assert_int_equal(l.cap.img.unreadable, 8192);
	assert_int_equal(l.cap.img.skipped, 3ULL << 40);
	assert_int_equal(l.cap.img.nskipped, 2);
	assert_int_equal(l.cap.img.syscalls, 5);
	/* Every segment byte. */
	expect_same_image(&l.cap.img, &cap.img);
	/* The image works as one. */
	assert_non_null(phi_image_ptr(&l.cap.img, 0x1000 + 96, 4));
	assert_null(phi_image_ptr(&l.cap.img, 0x1000 + 97, 4));
	assert_int_equal(phi_image_avail(&l.cap.img, 0x55550000ULL), BIG_LEN);
	loaded_release(&l);

	/* Opening again with a cap: exactly the total fits, less does not. */
	load_ok(path, cap.img.bytes, &l);
	assert_int_equal(l.cap.img.bytes, cap.img.bytes);
	loaded_release(&l);
	open_fails(path, cap.img.bytes - 1, PHI_E_NO_MEMORY, "--max-memory");

	drop(path);
	phi_record_release(&rec);
	phi_capture_release(&cap);
	free(seg_big);
}

/* An empty image, the built-in layouts, no object path. */
static void test_round_trip_empty(void **state)
{
	static struct phi310 st;
	static struct phi_python py;
	static struct loaded l;
	struct phi_capture cap;
	struct phi_record rec;
	struct phi_layout builtin;
	char *path = temp_path();

	(void)state;
	memset(&cap, 0, sizeof(cap));
	memset(&st, 0, sizeof(st));
	memset(&py, 0, sizeof(py));
	phi_layout_builtin(&st.layout);
	phi_layout_builtin(&builtin);
	py.ops = &phi_cpython310_ops;
	py.impl = &st;
	py.version = (struct phi_version){ 3, 10, 0, "3.10.0" };
	export_ok(&py, &rec);
	save_ok(path, 1, &rec, &cap);
	load_ok(path, 1, &l);
	assert_int_equal(l.s.pid, 1);
	assert_int_equal(l.cap.img.n, 0);
	assert_int_equal(l.cap.img.bytes, 0);
	assert_int_equal(l.py.layout_source, PHI_LAYOUT_BUILTIN);
	assert_memory_equal(phi310(&l.py)->layout.v, builtin.v,
			    sizeof(builtin.v));
	assert_string_equal(l.py.object_path, "");
	assert_string_equal(l.py.layout_path, "");
	assert_int_equal(l.py.version.micro, 0);
	loaded_release(&l);
	phi_record_release(&rec);
	drop(path);
}

/* The bytes phi_snapshot_save writes are format 3 as snapshot.c's
 * header documents it, field for field (the files the other tests
 * write by hand follow the same description). */
static void test_saved_format(void **state)
{
	struct phi_capture cap;
	struct phi_record rec;
	struct phi_error err = { 0 };
	struct buf want = { 0 }, got = { 0 };
	unsigned char a[40], b[24];
	char *path = temp_path();

	(void)state;
	phi_record_init(&rec);
	assert_int_equal(phi_record_set_num(&rec, "b.first", 1, &err), 0);
	assert_int_equal(phi_record_set_num(&rec, "a.second", INT64_MIN,
					    &err), 0);
	assert_int_equal(phi_record_set_text(&rec, "t", "hello", &err), 0);
	assert_int_equal(phi_record_set_text(&rec, "e", "", &err), 0);
	memset(&cap, 0, sizeof(cap));
	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = (unsigned char)(1 + i);
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (unsigned char)(2 + i);
	assert_int_equal(phi_image_add(&cap.img, 0x3000, b, sizeof(b), false,
				       &err), 0);
	assert_int_equal(phi_image_add(&cap.img, 0x1000, a, sizeof(a), false,
				       &err), 0);
	cap.frozen = true;
	cap.consistent = true;
	cap.threads = 2;
	cap.pause_ms = 4.25;
	cap.copy_ms = 3.5;
	cap.img.unreadable = 4096;
	cap.img.skipped = 8192;
	cap.img.nskipped = 1;
	cap.img.syscalls = 7;
	save_ok(path, 4242, &rec, &cap);
	read_gz(path, &got);

	put(&want, "PHISNAP", 8);
	put_u32(&want, 3);
	put_u32(&want, 4242);
	put_record(&want, &rec);
	put_status_fields(&want, 3, 2, 4.25, 3.5, 4096, 8192, 1, 7);
	put_u64(&want, 2);
	put_segment(&want, 0x1000, sizeof(a), 1);
	put_segment(&want, 0x3000, sizeof(b), 2);
	assert_int_equal(got.n, want.n);
	assert_memory_equal(got.p, want.p, want.n);

	/* A status that is itself unknown is written as flag 4, the rest
	 * 0. */
	cap.status_unknown = true;
	save_ok(path, 4242, &rec, &cap);
	got.n = want.n = 0;
	read_gz(path, &got);
	put(&want, "PHISNAP", 8);
	put_u32(&want, 3);
	put_u32(&want, 4242);
	put_record(&want, &rec);
	put_status_fields(&want, 4, 0, 0, 0, 0, 0, 0, 0);
	put_u64(&want, 2);
	put_segment(&want, 0x1000, sizeof(a), 1);
	put_segment(&want, 0x3000, sizeof(b), 2);
	assert_int_equal(got.n, want.n);
	assert_memory_equal(got.p, want.p, want.n);

	free(want.p);
	free(got.p);
	phi_capture_release(&cap);
	phi_record_release(&rec);
	drop(path);
}

/* The snapshot keeps names it does not know, at the bounds of the
 * record (a 255-byte name, a 4096-byte text, the extreme numbers); the
 * import passes over them. */
static void test_record_kept(void **state)
{
	static struct phi310 st;
	static struct phi_python py;
	static struct loaded l;
	struct phi_capture cap;
	struct phi_record rec;
	struct phi_error err = { 0 };
	char name[PHI_RECORD_MAX_NAME + 1], *text;
	char *path = temp_path();

	(void)state;
	make_python(&st, &py);
	export_ok(&py, &rec);
	memset(name, 'k', PHI_RECORD_MAX_NAME);
	name[PHI_RECORD_MAX_NAME] = '\0';
	text = malloc(PHI_RECORD_MAX_TEXT + 1);
	assert_non_null(text);
	memset(text, 't', PHI_RECORD_MAX_TEXT);
	text[PHI_RECORD_MAX_TEXT] = '\0';
	assert_int_equal(phi_record_set_num(&rec, name, INT64_MIN, &err), 0);
	assert_int_equal(phi_record_set_num(&rec, "future:max", INT64_MAX,
					    &err), 0);
	assert_int_equal(phi_record_set_num(&rec, "future:minus", -1, &err), 0);
	assert_int_equal(phi_record_set_text(&rec, name, text, &err), 0);
	assert_int_equal(phi_record_set_text(&rec, "future:empty", "", &err),
			 0);
	memset(&cap, 0, sizeof(cap));
	save_ok(path, 9, &rec, &cap);
	load_ok(path, 0, &l);
	expect_record(&l.s.record, &rec);
	assert_string_equal(l.py.version.text, py.version.text);
	assert_memory_equal(phi310(&l.py)->layout.v, st.layout.v,
			    sizeof(st.layout.v));
	loaded_release(&l);
	free(text);
	phi_record_release(&rec);
	drop(path);
}

/* A snapshot as a memory source: reads of the saved image before the
 * capture; the capture hands the image over once; no files. */
static void test_source_interface(void **state)
{
	static struct loaded l;
	struct hdr h = good_hdr(3);
	struct buf b = { 0 };
	struct phi_capture again;
	struct phi_error err = { 0 };
	static char lib[] = "/usr/lib/libpython3.10.so.1.0";
	struct phi_map m = { .start = 0x1000, .end = 0x2000, .path = lib };
	unsigned char got[32];
	char file[PATH_MAX];
	char *path;

	(void)state;
	put_header(&b, &h);
	put_u64(&b, 3);
	put_segment(&b, 0x1000, 0x100, 0);
	put_segment(&b, 0x1100, 0x40, 0);
	put_segment(&b, 0x2000, 0x10, 7);
	path = raw_file(&b);

	/* Opened and closed without a capture: all is freed. */
	open_ok(path, 0, &l);
	phi_source_close(&l.s);
	assert_null(l.s.ops);
	phi_source_close(&l.s);

	open_ok(path, 0, &l);
	assert_string_equal(l.s.ops->kind, "snapshot");
	assert_int_equal(l.s.pid, 4242);
	assert_int_equal(l.s.maps.n, 0);
	/* Reads, across the joint of two records and to a segment's
	 * end. */
	assert_int_equal(phi_source_read(&l.s, 0x10fc, got, 8, &err), 0);
	assert_memory_equal(got, "\xfc\xfd\xfe\xff\x00\x01\x02\x03", 8);
	assert_int_equal(phi_source_read(&l.s, 0x2000, got, 16, &err), 0);
	assert_int_equal(got[0], 7);
	assert_int_equal(got[15], 22);
	/* ... and what the image does not hold. */
	assert_int_equal(phi_source_read(&l.s, 0x2000, got, 17, &err),
			 -PHI_E_READ);
	assert_int_equal(err.code, PHI_E_READ);
	assert_int_equal(phi_source_read(&l.s, 0xff8, got, 8, &err),
			 -PHI_E_READ);
	assert_int_equal(phi_source_read(&l.s, 0x1140, got, 1, &err),
			 -PHI_E_READ);
	assert_int_equal(phi_source_read(&l.s, 0x3000, got, 1, &err),
			 -PHI_E_READ);
	/* No files to open. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(phi_source_file(&l.s, &m, file, sizeof(file), &err),
			 -PHI_E_NOT_FOUND);
	assert_int_equal(err.code, PHI_E_NOT_FOUND);
	expect_in(err.msg, m.path);

	/* The capture hands the image over... */
	capture_ok(&l);
	assert_int_equal(l.cap.img.n, 2);
	assert_int_equal(l.cap.img.bytes, 0x150);
	assert_true(l.cap.frozen);
	assert_int_equal(l.cap.threads, 2);
	/* ... once: the source holds it no longer. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(phi_source_capture(&l.s, &no_opts, &again, &err),
			 -PHI_E_INTERNAL);
	assert_int_equal(err.code, PHI_E_INTERNAL);
	assert_int_equal(phi_source_read(&l.s, 0x1000, got, 8, &err),
			 -PHI_E_READ);
	/* What was handed over outlives the source. */
	phi_source_close(&l.s);
	phi_source_close(&l.s);
	assert_memory_equal(phi_image_ptr(&l.cap.img, 0x10fc, 8),
			    "\xfc\xfd\xfe\xff\x00\x01\x02\x03", 8);
	phi_capture_release(&l.cap);

	/* A source never opened (zeroed) closes too. */
	memset(&l.s, 0, sizeof(l.s));
	phi_source_close(&l.s);
	drop(path);
	free(b.p);
}

/* Records that touch make one segment; a segment written as two records
 * comes back whole (every format). */
static void test_touching_records_join(void **state)
{
	(void)state;
	for (uint32_t v = 1; v <= 3; v++) {
		static struct loaded l;
		struct hdr h = good_hdr(v);
		struct buf b = { 0 };

		put_header(&b, &h);
		put_u64(&b, 3);
		put_segment(&b, 0x1000, 0x100, 0);
		put_segment(&b, 0x1100, 0x40, 0); /* continues the first */
		put_segment(&b, 0x2000, 0x10, 7);
		raw_load_ok(&b, 0, &l);
		assert_int_equal(l.cap.img.n, 2);
		assert_int_equal(l.cap.img.bytes, 0x150);
		assert_int_equal(l.cap.img.seg[0].start, 0x1000);
		assert_int_equal(l.cap.img.seg[0].end, 0x1140);
		assert_int_equal(l.cap.img.seg[0].data[0xff], 0xff);
		assert_int_equal(l.cap.img.seg[0].data[0x100], 0x00);
		assert_int_equal(l.cap.img.seg[0].data[0x13f], 0x3f);
		assert_int_equal(l.cap.img.seg[1].data[0], 7);
		/* An 8-byte read across the joint. */
		assert_non_null(phi_image_ptr(&l.cap.img, 0x10fc, 8));
		expect_hdr_values(&h, &l);
		loaded_release(&l);
		free(b.p);
	}
}

/* Every kind of capture status comes back as it was saved: a
 * --no-freeze copy, a pause budget that ran out, and a status that was
 * itself unknown (a capture loaded from a format 1 file, saved again). */
static void test_status_round_trips(void **state)
{
	static struct phi310 st;
	static struct phi_python py;
	struct phi_capture cases[3];
	struct phi_record rec;
	char *path = temp_path();

	(void)state;
	memset(cases, 0, sizeof(cases));
	cases[0].copy_ms = 7.75; /* --no-freeze */
	cases[1].frozen = true;  /* thawed at --max-pause */
	cases[1].threads = 4;
	cases[1].pause_ms = 1000.5;
	cases[1].copy_ms = 1800;
	cases[2].status_unknown = true;
	make_python(&st, &py);
	export_ok(&py, &rec);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		static struct loaded l;
		struct phi_capture *c = &cases[k];

		phi_image_init(&c->img);
		/* The image's counters, where each case has them. */
		c->img.syscalls = k == 0 ? 3 : 0;
		c->img.skipped = k == 1 ? 1ULL << 33 : 0;
		c->img.nskipped = k == 1;
		save_ok(path, 77, &rec, c);
		load_ok(path, 0, &l);
		assert_int_equal(l.cap.status_unknown, c->status_unknown);
		assert_int_equal(l.cap.frozen, c->frozen);
		assert_int_equal(l.cap.consistent, c->consistent);
		assert_int_equal(l.cap.threads, c->threads);
		assert_true(l.cap.pause_ms == c->pause_ms);
		assert_true(l.cap.copy_ms == c->copy_ms);
		assert_int_equal(l.cap.img.skipped, c->img.skipped);
		assert_int_equal(l.cap.img.nskipped, c->img.nskipped);
		assert_int_equal(l.cap.img.syscalls, c->img.syscalls);
		loaded_release(&l);
	}
	phi_record_release(&rec);
	drop(path);
}

/* ---- older formats ---------------------------------------------------- */

/* A format 1 file, written by hand: it loads, its values by position
 * landing on the fields of the same name, and says that it does not know
 * how the capture went. */
static void test_v1_loads(void **state)
{
	static struct loaded l;
	struct hdr h = good_hdr(1);
	struct buf b = { 0 };

	(void)state;
	put_header(&b, &h);
	put_u64(&b, 2);
	put_segment(&b, 0x1000, 0x100, 3);
	put_segment(&b, 0x4000, 0x10, 9);
	raw_load_ok(&b, 0, &l);
	assert_true(l.cap.status_unknown);
	assert_false(l.cap.frozen);
	assert_false(l.cap.consistent);
	assert_int_equal(l.cap.threads, 0);
	assert_true(l.cap.pause_ms == 0);
	assert_true(l.cap.copy_ms == 0);
	assert_int_equal(l.cap.img.unreadable, 0);
	assert_int_equal(l.cap.img.skipped, 0);
	assert_int_equal(l.cap.img.nskipped, 0);
	assert_int_equal(l.cap.img.syscalls, 0);
	assert_int_equal(l.cap.img.n, 2);
	assert_int_equal(l.cap.img.bytes, 0x110);
	assert_int_equal(l.cap.img.seg[0].data[1], 4);
	assert_int_equal(l.cap.img.seg[1].data[0], 9);
	/* The record as snapshot.h names a format 1 file's fields. */
	{
		const struct phi_record *r = &l.s.record;
		int64_t v = 0;

		assert_true(phi_record_num(r, "legacy-layout:count", &v));
		assert_int_equal(v, NLEGACY_LAYOUT);
		assert_true(phi_record_num(r, "legacy-symbol:count", &v));
		assert_int_equal(v, NLEGACY_SYMBOLS);
		assert_true(phi_record_num(r, "legacy-layout:0", &v));
		assert_int_equal(v, 48);
		assert_true(phi_record_num(r, "legacy-layout:207", &v));
		assert_int_equal(v, hand_legacy(&h, 207));
		assert_true(phi_record_num(r, "legacy-symbol:59", &v));
		assert_int_equal(v, SYM_BASE + 16 * 59);
		assert_true(phi_record_num(r, "layout.source", &v));
		assert_int_equal(v, PHI_LAYOUT_DWARF);
		assert_true(phi_record_num(r, "layout.missing", &v));
		assert_int_equal(v, 2);
		assert_true(phi_record_num(r, "python.micro", &v));
		assert_int_equal(v, 13);
		assert_string_equal(phi_record_text(r, "python.version"),
				    h.text);
		assert_string_equal(phi_record_text(r, "python.object"),
				    h.object);
		assert_string_equal(phi_record_text(r, "layout.path"),
				    h.dwarf);
	}
	expect_hdr_values(&h, &l);
	loaded_release(&l);
	free(b.p);
}

/* A format 2 file, written by hand: the same, with its status exactly. */
static void test_v2_loads(void **state)
{
	static struct loaded l;
	struct hdr h = good_hdr(2);
	struct buf b = { 0 };

	(void)state;
	h.flags = 1; /* frozen, thawed at the pause budget */
	h.threads = 5;
	h.pause_ms = 250.125;
	h.copy_ms = 249.5;
	h.unreadable = 12288;
	h.skipped = 1ULL << 32;
	h.nskipped = 3;
	h.syscalls = 17;
	put_header(&b, &h);
	put_u64(&b, 1);
	put_segment(&b, 0x7000, 0x20, 5);
	raw_load_ok(&b, 0, &l);
	assert_false(l.cap.status_unknown);
	assert_true(l.cap.frozen);
	assert_false(l.cap.consistent);
	assert_int_equal(l.cap.threads, 5);
	assert_true(l.cap.pause_ms == 250.125);
	assert_true(l.cap.copy_ms == 249.5);
	assert_int_equal(l.cap.img.unreadable, 12288);
	assert_int_equal(l.cap.img.skipped, 1ULL << 32);
	assert_int_equal(l.cap.img.nskipped, 3);
	assert_int_equal(l.cap.img.syscalls, 17);
	assert_int_equal(l.cap.img.n, 1);
	assert_int_equal(l.cap.img.seg[0].data[0x1f], 5 + 0x1f);
	expect_hdr_values(&h, &l);
	loaded_release(&l);
	free(b.p);
}

/* The fuzz base snapshot is a format 1 file of a real CPython 3.10.13
 * (tests/fuzz/base_target.py), and the regression inputs patch its
 * image byte for byte: it must keep loading, with what its target
 * implies.  Saved again it becomes format 3, with the same content and a
 * status still unknown. */
static void test_base_snapshot(void **state)
{
	static struct loaded l, u;
	static struct phi_runtime rt;
	static struct phi_small_ints si;
	const char *src = getenv("PHI_SRCDIR");
	char base[PATH_MAX], head[12];
	struct phi_layout builtin;
	struct phi_record rec;
	struct phi_error err = { 0 };
	const struct phi310 *st;
	char *path = temp_path();
	uint64_t type;
	gzFile gz;

	(void)state;
	snprintf(base, sizeof(base), "%s/tests/fuzz/base.snap.gz",
		 src && *src ? src : ".");
	gz = gzopen(base, "rb");
	if (!gz)
		fail_msg("cannot open %s (PHI_SRCDIR)", base);
	assert_int_equal(gzread(gz, head, sizeof(head)), 12);
	gzclose(gz);
	assert_memory_equal(head, "PHISNAP\0\1\0\0\0", 12);
	load_ok(base, 0, &l);
	assert_true(l.cap.status_unknown);
	assert_false(l.cap.frozen);
	assert_true(l.cap.img.n > 0);
	assert_true(l.cap.img.bytes > (1u << 20));
	assert_true(l.s.pid > 0);
	/* The version, in numbers and in the text Py_GetVersion wrote. */
	assert_int_equal(l.py.version.major, 3);
	assert_int_equal(l.py.version.minor, 10);
	{
		char want[16];

		snprintf(want, sizeof(want), "3.10.%d ", l.py.version.micro);
		assert_true(strncmp(l.py.version.text, want,
				    strlen(want)) == 0);
	}
	assert_non_null(strstr(l.py.object_path, "libpython3.10"));
	/* The layouts came from the target's DWARF, all of them, and the
	 * built-in table is 3.10's as DWARF gives it (test_layout checks
	 * it against a real build): the same values, by name. */
	st = phi310(&l.py);
	assert_int_equal(l.py.layout_source, PHI_LAYOUT_DWARF);
	assert_int_equal(l.py.layout_missing, 0);
	phi_layout_builtin(&builtin);
	for (int i = 0; i < PHI_L__COUNT; i++)
		if (st->layout.v[i] != builtin.v[i])
			fail_msg("base snapshot, layout %s.%s: %lld, built-in "
				 "%lld", phi_layout_type_name(i),
				 phi_layout_member_name(i),
				 (long long)st->layout.v[i],
				 (long long)builtin.v[i]);
	/* The symbols land where CPython's objects are: the runtime and
	 * its one interpreter decode, the small-int cache holds -5..256,
	 * None, True and int point at their types. */
	assert_int_equal(l.py.runtime, st->sym[PHI_S_RUNTIME]);
	if (phi_python_runtime(&l.py, &l.cap.img, &rt, &err))
		fail_msg("runtime: %s", err.msg);
	assert_int_equal(rt.runtime, st->sym[PHI_S_RUNTIME]);
	assert_int_equal(rt.ninterps, 1);
	assert_int_equal(rt.interps[0].addr, rt.interp_main);
	if (phi_python_small_ints(&l.py, &l.cap.img, &rt, &si, &err))
		fail_msg("small ints: %s", err.msg);
	assert_int_equal(si.first, -PHI_SMALL_NEG_INTS);
	assert_int_equal(si.last, PHI_SMALL_POS_INTS - 1);
	assert_int_equal(si.n, PHI_SMALL_INTS);
	assert_int_equal(si.mismatches, 0);
	for (size_t k = 0; k < si.n; k++) {
		assert_int_equal(si.v[k].value, si.first + (int)k);
		assert_true(si.v[k].value_ok);
		assert_int_equal(si.v[k].decoded, si.v[k].value);
	}
	type = phi_image_word(&l.cap.img, st->sym[PHI_S_NONE] +
			      (uint64_t)PHI_L(&st->layout, OB_TYPE));
	assert_int_equal(type, st->sym[PHI_S_NONE_TYPE]);
	type = phi_image_word(&l.cap.img, st->sym[PHI_S_TRUE] +
			      (uint64_t)PHI_L(&st->layout, OB_TYPE));
	assert_int_equal(type, st->sym[PHI_S_BOOL_TYPE]);
	type = phi_image_word(&l.cap.img, st->sym[PHI_S_LONG_TYPE] +
			      (uint64_t)PHI_L(&st->layout, OB_TYPE));
	assert_int_equal(type, st->sym[PHI_S_TYPE_TYPE]);

	/* Saved again: format 3, the same description and image. */
	export_ok(&l.py, &rec);
	save_ok(path, l.s.pid, &rec, &l.cap);
	gz = gzopen(path, "rb");
	assert_non_null(gz);
	assert_int_equal(gzread(gz, head, sizeof(head)), 12);
	gzclose(gz);
	assert_memory_equal(head, "PHISNAP\0\3\0\0\0", 12);
	load_ok(path, 0, &u);
	assert_true(u.cap.status_unknown);
	assert_int_equal(u.s.pid, l.s.pid);
	assert_string_equal(u.py.version.text, l.py.version.text);
	assert_string_equal(u.py.object_path, l.py.object_path);
	assert_string_equal(u.py.layout_path, l.py.layout_path);
	assert_int_equal(u.py.layout_source, l.py.layout_source);
	assert_int_equal(u.py.runtime, l.py.runtime);
	assert_memory_equal(phi310(&u.py)->layout.v, st->layout.v,
			    sizeof(st->layout.v));
	assert_memory_equal(phi310(&u.py)->sym, st->sym, sizeof(st->sym));
	expect_same_image(&u.cap.img, &l.cap.img);
	loaded_release(&u);
	phi_record_release(&rec);
	loaded_release(&l);
	drop(path);
}

/* ---- hostile files ---------------------------------------------------- */

/* A small format 3 description: one of each kind of entry. */
static void small_record(struct phi_record *rec)
{
	struct phi_error err = { 0 };

	phi_record_init(rec);
	assert_int_equal(phi_record_set_num(rec, "python.major", 3, &err), 0);
	assert_int_equal(phi_record_set_num(rec, "layout:_object.ob_type", 8,
					    &err), 0);
	assert_int_equal(phi_record_set_text(rec, "python.version", "3.10.1",
					     &err), 0);
	assert_int_equal(phi_record_set_text(rec, "layout.path", "/x", &err),
			 0);
}

/* Every prefix of the uncompressed stream, properly compressed, in
 * every format. */
static void test_truncated_stream(void **state)
{
	struct phi_record rec;
	char *path = temp_path();

	(void)state;
	small_record(&rec);
	for (uint32_t v = 1; v <= 3; v++) {
		static struct loaded l;
		struct hdr h = good_hdr(v);
		struct buf b = { 0 };
		size_t header;

		h.rec = &rec;
		put_header(&b, &h);
		header = b.n;
		put_u64(&b, 2);
		put_segment(&b, 0x1000, 40, 1);
		put_segment(&b, 0x3000, 24, 2);
		for (size_t cut = 0; cut < b.n; cut++) {
			/* Formats 1 and 2: all of the short part, every 8th
			 * byte of the positional tables. */
			if (v < 3 && cut > 200 && cut + 120 < header &&
			    cut % 8 != 3)
				continue;
			write_gz(path, b.p, cut);
			open_fails(path, 0, PHI_E_CORRUPT, NULL);
		}
		/* The whole stream loads. */
		write_gz(path, b.p, b.n);
		open_ok(path, 0, &l);
		capture_ok(&l);
		assert_int_equal(l.cap.img.n, 2);
		if (v < 3)
			import_ok(&l);
		loaded_release(&l);
		free(b.p);
	}
	phi_record_release(&rec);
	drop(path);
}

/* Every prefix of a compressed file written by phi_snapshot_save, and a
 * flipped byte in its deflate data and in its CRC. */
static void test_truncated_file(void **state)
{
	struct phi_capture cap;
	struct phi_record rec;
	struct phi_error err = { 0 };
	unsigned char data[5000];
	char *path = temp_path(), *cut_path = temp_path();
	unsigned char *file;
	size_t len;

	(void)state;
	memset(&cap, 0, sizeof(cap));
	small_record(&rec);
	fill(data, sizeof(data), 9);
	assert_int_equal(phi_image_add(&cap.img, 0x10000, data, sizeof(data),
				       false, &err), 0);
	save_ok(path, 99, &rec, &cap);
	phi_capture_release(&cap);
	phi_record_release(&rec);
	file = read_file(path, &len);
	for (size_t cut = 0; cut < len; cut++) {
		write_file(cut_path, file, cut);
		open_fails(cut_path, 0, PHI_E_CORRUPT, NULL);
	}
	/* The CRC of the gzip trailer (8 bytes from the end). */
	file[len - 8] ^= 0x55;
	write_file(cut_path, file, len);
	open_fails(cut_path, 0, PHI_E_CORRUPT, NULL);
	file[len - 8] ^= 0x55;
	/* Deflate data in the middle: either the deflate stream or the
	 * CRC says so. */
	file[len / 2] ^= 0xff;
	write_file(cut_path, file, len);
	open_fails(cut_path, 0, PHI_E_CORRUPT, NULL);
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
static void huge_claim(uint32_t version, uint64_t claim)
{
	struct hdr h = good_hdr(version);
	struct buf b = { 0 };
	char *path = temp_path();
	double t0;
	pid_t child;
	int status;

	put_header(&b, &h);
	put_u64(&b, 1);
	put_u64(&b, 0x10000);
	put_u64(&b, claim);
	put(&b, "only sixteen byt", 16);
	write_gz(path, b.p, b.n);
	t0 = now_s();
	open_fails(path, 0, PHI_E_CORRUPT, NULL);
	assert_true(now_s() - t0 < 2.0);
#ifndef HAVE_ASAN
	/* In a child limited to 256 MiB more address space: a 1 GiB
	 * allocation would fail with PHI_E_NO_MEMORY instead. */
	if (!under_valgrind()) {
		child = fork();
		assert_true(child >= 0);
		if (child == 0) {
			struct rlimit rl;
			struct phi_source s;
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
			_exit(phi_snapshot_open(&s, path, 0, &err) ==
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

/* ... in every format. */
static void test_huge_claims(void **state)
{
	static const uint64_t claims[] = { 1ULL << 30, (1ULL << 30) + 1,
					   1ULL << 40, UINT64_MAX };

	(void)state;
	for (uint32_t v = 1; v <= 3; v++)
		for (size_t k = 0; k < sizeof(claims) / sizeof(claims[0]); k++)
			huge_claim(v, claims[k]);
}

/* A record count far beyond what is there. */
static void test_huge_count(void **state)
{
	(void)state;
	for (uint32_t v = 1; v <= 3; v++) {
		struct hdr h = good_hdr(v);
		struct buf b = { 0 };

		put_header(&b, &h);
		put_u64(&b, UINT64_MAX);
		put_segment(&b, 0x1000, 8, 0);
		raw_open_fails(&b, 0, PHI_E_CORRUPT, "too many segments");
		b.n = 0;
		put_header(&b, &h);
		put_u64(&b, 1000000);
		put_segment(&b, 0x1000, 8, 0);
		raw_open_fails(&b, 0, PHI_E_CORRUPT, "truncated");
		free(b.p);
	}
}

/* The file's own header: magic, format version, pid (every format). */
static void test_bad_header(void **state)
{
	(void)state;
	for (uint32_t v = 1; v <= 3; v++) {
		struct hdr h;

		h = good_hdr(v);
		h.magic = "PHISNAQ";
		header_open_fails(&h, PHI_E_CORRUPT, "not a pyheapinspect");
		h = good_hdr(v);
		h.magic = "\x1f\x8b\x08\0\0\0\0";
		header_open_fails(&h, PHI_E_CORRUPT, "not a pyheapinspect");
		h = good_hdr(v);
		h.pid = 0;
		header_open_fails(&h, PHI_E_CORRUPT, "invalid pid");
		h = good_hdr(v);
		h.pid = 0x80000000u;
		header_open_fails(&h, PHI_E_CORRUPT, "invalid pid");
	}
	{
		struct hdr h = good_hdr(PHI_SNAPSHOT_VERSION + 1);

		header_open_fails(&h, PHI_E_CORRUPT, "format version 4");
		h = good_hdr(0);
		header_open_fails(&h, PHI_E_CORRUPT, "format version 0");
		h = good_hdr(0xffffffffu);
		header_open_fails(&h, PHI_E_CORRUPT, "format version");
	}
}

/* Formats 1 and 2: tables of another size than the frozen ones load
 * (the snapshot does not read them) and the import refuses them; sizes
 * no file could have are refused at once; texts too long for their
 * fields. */
static void test_bad_legacy(void **state)
{
	static char long_path[PATH_MAX + 10];

	(void)state;
	memset(long_path, 'a', sizeof(long_path) - 1);
	for (uint32_t v = 1; v <= 2; v++) {
		struct hdr h;

		h = good_hdr(v);
		h.nlayout = NLEGACY_LAYOUT + 1;
		header_import_fails(&h, PHI_E_CORRUPT, "layout fields");
		h = good_hdr(v);
		h.nlayout = NLEGACY_LAYOUT - 1;
		header_import_fails(&h, PHI_E_CORRUPT, "layout fields");
		h = good_hdr(v);
		h.nsym = NLEGACY_SYMBOLS + 1;
		header_import_fails(&h, PHI_E_CORRUPT, "symbols");
		h = good_hdr(v);
		h.nsym = 0;
		header_import_fails(&h, PHI_E_CORRUPT, "symbols");
		h = good_hdr(v);
		h.nsym = 0xffffffffu;
		header_open_fails(&h, PHI_E_CORRUPT, "table sizes");
		h = good_hdr(v);
		h.nlayout = MAX_LEGACY + 1;
		header_open_fails(&h, PHI_E_CORRUPT, "table sizes");

		/* Strings too long for their fields. */
		long_path[sizeof(long_path) - 1] = '\0';
		h = good_hdr(v);
		h.object = long_path;
		header_open_fails(&h, PHI_E_CORRUPT, "object path");
		h = good_hdr(v);
		h.dwarf = long_path;
		header_open_fails(&h, PHI_E_CORRUPT, "DWARF path");
		long_path[PATH_MAX - 1] = '\0'; /* fits with its NUL */
		h = good_hdr(v);
		h.object = long_path;
		h.dwarf = long_path;
		{
			static struct loaded l;
			struct buf b = { 0 };

			hdr_file(&h, &b);
			raw_load_ok(&b, 0, &l);
			assert_int_equal(strlen(l.py.object_path),
					 PATH_MAX - 1);
			assert_int_equal(strlen(l.py.layout_path),
					 PATH_MAX - 1);
			loaded_release(&l);
			free(b.p);
		}
		long_path[PATH_MAX - 1] = 'a';
		long_path[96] = '\0';
		h = good_hdr(v);
		h.text = long_path;
		header_open_fails(&h, PHI_E_CORRUPT, "version text");
		long_path[96] = 'a';
		long_path[95] = '\0'; /* 95 bytes: fits with its NUL */
		h = good_hdr(v);
		h.text = long_path;
		{
			static struct loaded l;
			struct buf b = { 0 };

			hdr_file(&h, &b);
			raw_load_ok(&b, 0, &l);
			assert_int_equal(strlen(l.py.version.text), 95);
			loaded_release(&l);
			free(b.p);
		}
		long_path[95] = 'a';
	}
}

/* The description's values (every format): another Python, and values
 * out of range, refused at import. */
static void test_bad_description(void **state)
{
	(void)state;
	for (uint32_t v = 1; v <= 3; v++) {
		struct hdr h;

		/* Another Python. */
		h = good_hdr(v);
		h.minor = 11;
		header_import_fails(&h, PHI_E_VERSION, "3.11.13");
		h = good_hdr(v);
		h.minor = 9;
		header_import_fails(&h, PHI_E_VERSION, "3.9.13");
		h = good_hdr(v);
		h.major = 4;
		header_import_fails(&h, PHI_E_VERSION, "4.10.13");
		/* Numbers no version could have. */
		h = good_hdr(v);
		h.major = 0;
		header_import_fails(&h, PHI_E_CORRUPT, "python.major");
		h = good_hdr(v);
		h.micro = -1;
		header_import_fails(&h, PHI_E_CORRUPT, "python.micro");
		/* Layouts: unknown source, absurd values. */
		h = good_hdr(v);
		h.source = 7;
		header_import_fails(&h, PHI_E_CORRUPT, "layout.source");
		h = good_hdr(v);
		h.layout0 = -8;
		header_import_fails(&h, PHI_E_CORRUPT,
				    "pyruntimestate.interpreters.head = -8");
		h = good_hdr(v);
		h.layout0 = 1LL << 40;
		header_import_fails(&h, PHI_E_CORRUPT,
				    "pyruntimestate.interpreters.head");
	}
}

/* More layout fields missing from DWARF than there are fields: no
 * resolution could have said so (the format 1 and 2 loader refused it;
 * the import must too). */
static void test_bad_missing_count(void **state)
{
	(void)state;
	for (uint32_t v = 1; v <= 3; v++) {
		struct hdr h = good_hdr(v);

		h.missing = PHI_L__COUNT;
		{
			static struct loaded l;
			struct buf b = { 0 };

			hdr_file(&h, &b);
			raw_load_ok(&b, 0, &l);
			assert_int_equal(l.py.layout_missing, PHI_L__COUNT);
			loaded_release(&l);
			free(b.p);
		}
		h.missing = PHI_L__COUNT + 1;
		header_import_fails(&h, PHI_E_CORRUPT, "layout.missing");
	}
}

#define TP_FLAGS_NAME "layout:_typeobject.tp_flags"

/* Format 3: a layout value out of range is refused at import, naming
 * the field; one at the bound is accepted; a field the file does not
 * name keeps its built-in value; a description without the version is
 * refused. */
static void test_v3_layout_values(void **state)
{
	static const struct {
		int64_t value;
		bool ok;
	} cases[] = {
		{ -1, false }, { 1LL << 21, false }, { INT64_MIN, false },
		{ INT64_MAX, false }, { 1LL << 20, false },
		/* Inside the object header; misaligned. */
		{ 0, false }, { 172, false },
		/* Anywhere else inside _typeobject. */
		{ 16, true }, { 400, true },
	};
	struct hdr h = good_hdr(3);
	struct phi_record rec;
	struct phi_error err = { 0 };
	struct buf b = { 0 };
	struct phi_layout builtin;

	(void)state;
	phi_layout_builtin(&builtin);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		hdr_record(&h, &rec);
		assert_int_equal(phi_record_set_num(&rec, TP_FLAGS_NAME,
						    cases[k].value, &err), 0);
		h.rec = &rec;
		hdr_file(&h, &b);
		if (cases[k].ok) {
			static struct loaded l;

			raw_load_ok(&b, 0, &l);
			assert_int_equal(PHI_L(&phi310(&l.py)->layout,
					       TP_FLAGS), cases[k].value);
			loaded_release(&l);
		} else {
			raw_import_fails(&b, PHI_E_CORRUPT,
					 "_typeobject.tp_flags");
		}
		phi_record_release(&rec);
	}

	/* A layout field that is not there: the built-in value. */
	{
		static struct loaded l;
		struct phi_record part;

		hdr_record(&h, &rec);
		phi_record_init(&part);
		for (size_t i = 0; i < rec.nnum; i++)
			if (strcmp(rec.num[i].name, TP_FLAGS_NAME) != 0)
				assert_int_equal(phi_record_set_num(&part,
					rec.num[i].name, rec.num[i].value,
					&err), 0);
		for (size_t i = 0; i < rec.ntext; i++)
			assert_int_equal(phi_record_set_text(&part,
				rec.text[i].name, rec.text[i].text, &err), 0);
		assert_int_equal(part.nnum + 1, rec.nnum);
		h.rec = &part;
		hdr_file(&h, &b);
		raw_load_ok(&b, 0, &l);
		assert_int_equal(PHI_L(&phi310(&l.py)->layout, TP_FLAGS),
				 builtin.v[PHI_L_TP_FLAGS]);
		assert_int_equal(PHI_L(&phi310(&l.py)->layout, TP_NAME),
				 hand_layout(&h, PHI_L_TP_NAME));
		loaded_release(&l);
		phi_record_release(&part);
		phi_record_release(&rec);
	}

	/* No version at all. */
	{
		struct phi_record none;

		phi_record_init(&none);
		assert_int_equal(phi_record_set_num(&none, "python.minor", 10,
						    &err), 0);
		h.rec = &none;
		hdr_file(&h, &b);
		raw_import_fails(&b, PHI_E_CORRUPT, "python.major");
		phi_record_release(&none);
	}
	free(b.p);
}

/* Format 3 with the description desc writes, then the status and one
 * segment (with tail) or nothing. */
static void v3_with(struct buf *b, const struct hdr *h,
		    void (*desc)(struct buf *b, size_t arg), size_t arg,
		    bool tail)
{
	b->n = 0;
	put_v3_start(b, h);
	desc(b, arg);
	if (!tail)
		return;
	put_status(b, h);
	put_u64(b, 1);
	put_segment(b, 0x1000, 8, 0);
}

/* One number whose name is arg bytes long. */
static void desc_num_name(struct buf *b, size_t arg)
{
	put_u32(b, 1);
	put_run(b, arg, 'n');
	put_u64(b, 5);
	put_u32(b, 0);
}

/* One text whose name is arg bytes long. */
static void desc_text_name(struct buf *b, size_t arg)
{
	put_u32(b, 0);
	put_u32(b, 1);
	put_run(b, arg, 'n');
	put_str(b, "t");
}

/* One text arg bytes long. */
static void desc_text(struct buf *b, size_t arg)
{
	put_u32(b, 0);
	put_u32(b, 1);
	put_str(b, "name");
	put_run(b, arg, 't');
}

/* A count of arg numbers, one of them there. */
static void desc_num_count(struct buf *b, size_t arg)
{
	put_u32(b, (uint32_t)arg);
	put_str(b, "n");
	put_u64(b, 1);
}

/* A count of arg texts, one of them there. */
static void desc_text_count(struct buf *b, size_t arg)
{
	put_u32(b, 0);
	put_u32(b, (uint32_t)arg);
	put_str(b, "n");
	put_str(b, "t");
}

/* A name of 0xffffffff bytes (arg 0: a number's, 1: a text's, 2: the
 * text itself). */
static void desc_huge_length(struct buf *b, size_t arg)
{
	if (arg > 0)
		put_u32(b, 0);
	put_u32(b, 1);
	if (arg == 2)
		put_str(b, "n");
	put_u32(b, 0xffffffffu);
	put(b, "abcdefgh", 8);
}

/* A name (arg 0) or a text (arg 1) with a NUL byte inside. */
static void desc_nul(struct buf *b, size_t arg)
{
	put_u32(b, 0);
	put_u32(b, 1);
	if (arg == 0) {
		put_u32(b, 3);
		put(b, "a\0b", 3);
		put_str(b, "t");
	} else {
		put_str(b, "n");
		put_u32(b, 3);
		put(b, "a\0b", 3);
	}
}

static void v3_refused(const struct hdr *h,
		       void (*desc)(struct buf *b, size_t arg), size_t arg,
		       bool tail, const char *part)
{
	struct buf b = { 0 };
	double t0;

	v3_with(&b, h, desc, arg, tail);
	t0 = now_s();
	raw_open_fails(&b, 0, PHI_E_CORRUPT, part);
	assert_true(now_s() - t0 < 2.0);
	free(b.p);
}

static void v3_open_fails(const struct hdr *h,
			  void (*desc)(struct buf *b, size_t arg), size_t arg,
			  const char *part)
{
	v3_refused(h, desc, arg, true, part);
}

/* The file opens, and its record holds what desc wrote. */
static void v3_opens(const struct hdr *h,
		     void (*desc)(struct buf *b, size_t arg), size_t arg,
		     struct loaded *l)
{
	struct buf b = { 0 };
	char *path;

	v3_with(&b, h, desc, arg, true);
	path = raw_file(&b);
	open_ok(path, 0, l);
	drop(path);
	free(b.p);
}

static void test_v3_bad_lengths(void **state)
{
	static struct loaded l;
	struct hdr h = good_hdr(3);
	char name[PHI_RECORD_MAX_NAME + 1];
	const char *t;
	int64_t v = 0;

	(void)state;
	/* Names: 255 bytes fit, 256 do not. */
	v3_opens(&h, desc_num_name, PHI_RECORD_MAX_NAME, &l);
	memset(name, 'n', PHI_RECORD_MAX_NAME);
	name[PHI_RECORD_MAX_NAME] = '\0';
	assert_true(phi_record_num(&l.s.record, name, &v));
	assert_int_equal(v, 5);
	loaded_release(&l);
	v3_open_fails(&h, desc_num_name, PHI_RECORD_MAX_NAME + 1, "256 bytes");
	v3_opens(&h, desc_text_name, PHI_RECORD_MAX_NAME, &l);
	assert_non_null(phi_record_text(&l.s.record, name));
	loaded_release(&l);
	v3_open_fails(&h, desc_text_name, PHI_RECORD_MAX_NAME + 1,
		      "256 bytes");
	/* Texts: 4096 bytes fit, 4097 do not. */
	v3_opens(&h, desc_text, PHI_RECORD_MAX_TEXT, &l);
	t = phi_record_text(&l.s.record, "name");
	assert_non_null(t);
	assert_int_equal(strlen(t), PHI_RECORD_MAX_TEXT);
	loaded_release(&l);
	v3_open_fails(&h, desc_text, PHI_RECORD_MAX_TEXT + 1, "4097 bytes");
	/* Lengths no file could hold, refused before reading them. */
	for (size_t k = 0; k < 3; k++)
		v3_open_fails(&h, desc_huge_length, k, "4294967295 bytes");
	/* NUL bytes. */
	v3_open_fails(&h, desc_nul, 0, "NUL");
	v3_open_fails(&h, desc_nul, 1, "NUL");
	/* Counts: over 65536 entries refused before reading them; 65536
	 * pass the count (and the file, ending after the one entry that is
	 * there, runs out). */
	v3_open_fails(&h, desc_num_count, PHI_RECORD_MAX_ENTRIES + 1,
		      "too many numbers");
	v3_open_fails(&h, desc_num_count, 0xffffffffu, "too many numbers");
	v3_open_fails(&h, desc_text_count, PHI_RECORD_MAX_ENTRIES + 1,
		      "too many texts");
	v3_open_fails(&h, desc_text_count, 0xffffffffu, "too many texts");
	v3_refused(&h, desc_num_count, PHI_RECORD_MAX_ENTRIES, false,
		   "truncated");
	v3_refused(&h, desc_text_count, PHI_RECORD_MAX_ENTRIES, false,
		   "truncated");
}

/* Format 3: an empty name is a corrupt file, like any other bad name
 * (not an internal error). */
static void test_v3_empty_name(void **state)
{
	struct hdr h = good_hdr(3);

	(void)state;
	v3_open_fails(&h, desc_num_name, 0, NULL);
	v3_open_fails(&h, desc_text_name, 0, NULL);
}

/* Status fields of a format 2 or 3 file that no capture could have
 * made. */
struct status_case {
	uint32_t flags, threads;
	double pause_ms, copy_ms;
	uint64_t unreadable, skipped, nskipped, syscalls;
	bool ok;
};

static void status_case(uint32_t version, const struct status_case *c)
{
	static struct loaded l;
	struct hdr h = good_hdr(version);
	struct buf b = { 0 };

	h.flags = c->flags;
	h.threads = c->threads;
	h.pause_ms = c->pause_ms;
	h.copy_ms = c->copy_ms;
	h.unreadable = c->unreadable;
	h.skipped = c->skipped;
	h.nskipped = c->nskipped;
	h.syscalls = c->syscalls;
	if (!c->ok) {
		header_open_fails(&h, PHI_E_CORRUPT, NULL);
		return;
	}
	hdr_file(&h, &b);
	raw_load_ok(&b, 0, &l);
	assert_int_equal(l.cap.frozen, !!(h.flags & 1));
	assert_int_equal(l.cap.consistent, !!(h.flags & 2));
	assert_int_equal(l.cap.status_unknown, !!(h.flags & 4));
	assert_int_equal(l.cap.threads, h.threads);
	assert_true(l.cap.pause_ms == h.pause_ms);
	assert_true(l.cap.copy_ms == h.copy_ms);
	assert_int_equal(l.cap.img.unreadable, h.unreadable);
	assert_int_equal(l.cap.img.skipped, h.skipped);
	assert_int_equal(l.cap.img.nskipped, h.nskipped);
	assert_int_equal(l.cap.img.syscalls, h.syscalls);
	assert_int_equal(l.cap.img.bytes, 8);
	loaded_release(&l);
	free(b.p);
}

static void test_bad_status(void **state)
{
	static const struct status_case cases[] = {
		/* flags threads pause copy unread skipped nskip sysc ok */
		{ 3, 1, 2, 1, 0, 0, 0, 1, true },
		{ 1, 1, 2, 1, 0, 0, 0, 1, true },  /* budget ran out */
		{ 0, 0, 0, 9, 0, 0, 0, 1, true },  /* --no-freeze */
		{ 4, 0, 0, 0, 0, 0, 0, 0, true },  /* unknown */
		{ 3, 1, 2, 1, 0, 1ULL << 40, 2, 1, true },
		{ 3, 1u << 22, 1e9, 1e9, 1ULL << 56, 1ULL << 56, 1ULL << 24,
		  0xffffffffULL, true },           /* every bound */
		{ 8, 1, 2, 1, 0, 0, 0, 1, false }, /* unknown flag bit */
		{ 5, 1, 2, 1, 0, 0, 0, 1, false }, /* unknown and frozen */
		{ 4, 0, 0, 0, 0, 0, 0, 1, false }, /* unknown with a value */
		{ 4, 0, 0, 0, 1, 0, 0, 0, false },
		{ 2, 0, 0, 1, 0, 0, 0, 1, false }, /* consistent, not frozen */
		{ 3, 0, 2, 1, 0, 0, 0, 1, false }, /* frozen, no thread */
		{ 0, 1, 0, 1, 0, 0, 0, 1, false }, /* threads, not frozen */
		{ 3, (1u << 22) + 1, 2, 1, 0, 0, 0, 1, false },
		{ 0, 0, 1, 1, 0, 0, 0, 1, false }, /* paused, not frozen */
		{ 3, 1, -1, 1, 0, 0, 0, 1, false },
		{ 3, 1, NAN, 1, 0, 0, 0, 1, false },
		{ 3, 1, INFINITY, 1, 0, 0, 0, 1, false },
		{ 3, 1, 2, NAN, 0, 0, 0, 1, false },
		{ 3, 1, 2, -INFINITY, 0, 0, 0, 1, false },
		{ 3, 1, 2e9, 1, 0, 0, 0, 1, false },
		{ 3, 1, 2, 1, 1ULL << 60, 0, 0, 1, false },
		{ 3, 1, 2, 1, 0, 1ULL << 60, 1, 1, false },
		{ 3, 1, 2, 1, 0, 5, 0, 1, false }, /* bytes, no mapping */
		{ 3, 1, 2, 1, 0, 0, 1, 1, false }, /* a mapping, no bytes */
		{ 3, 1, 2, 1, 0, 5, 6, 1, false }, /* mappings > bytes */
		{ 3, 1, 2, 1, 0, 0, 0, 1ULL << 33, false },
	};

	(void)state;
	for (uint32_t v = 2; v <= 3; v++)
		for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
			status_case(v, &cases[k]);
}

static void test_bad_segments(void **state)
{
	(void)state;
	for (uint32_t v = 1; v <= 3; v++) {
		struct hdr h = good_hdr(v);
		struct buf b = { 0 };

		/* Overlapping. */
		put_header(&b, &h);
		put_u64(&b, 2);
		put_segment(&b, 0x1000, 0x20, 0);
		put_segment(&b, 0x1010, 0x20, 0);
		raw_open_fails(&b, 0, PHI_E_CORRUPT, "overlaps");
		/* Out of order. */
		b.n = 0;
		put_header(&b, &h);
		put_u64(&b, 2);
		put_segment(&b, 0x2000, 0x20, 0);
		put_segment(&b, 0x1000, 0x20, 0);
		raw_open_fails(&b, 0, PHI_E_CORRUPT, "precedes");
		/* The same twice. */
		b.n = 0;
		put_header(&b, &h);
		put_u64(&b, 2);
		put_segment(&b, 0x1000, 0x20, 0);
		put_segment(&b, 0x1000, 0x20, 0);
		raw_open_fails(&b, 0, PHI_E_CORRUPT, "overlaps");
		/* Empty. */
		b.n = 0;
		put_header(&b, &h);
		put_u64(&b, 1);
		put_segment(&b, 0x1000, 0, 0);
		raw_open_fails(&b, 0, PHI_E_CORRUPT, "invalid length 0");
		/* Wrapping past the top of the address space. */
		b.n = 0;
		put_header(&b, &h);
		put_u64(&b, 1);
		put_segment(&b, UINT64_MAX - 7, 16, 0);
		raw_open_fails(&b, 0, PHI_E_CORRUPT, "invalid length 16");
		/* Ending exactly at the top is fine... */
		b.n = 0;
		put_header(&b, &h);
		put_u64(&b, 1);
		put_segment(&b, UINT64_MAX - 15, 15, 0);
		{
			static struct loaded l;

			raw_load_ok(&b, 0, &l);
			assert_int_equal(l.cap.img.n, 1);
			assert_int_equal(l.cap.img.seg[0].end, UINT64_MAX);
			loaded_release(&l);
		}
		/* Fewer records than announced, and more data than
		 * announced. */
		b.n = 0;
		put_header(&b, &h);
		put_u64(&b, 3);
		put_segment(&b, 0x1000, 0x20, 0);
		put_segment(&b, 0x2000, 0x20, 0);
		raw_open_fails(&b, 0, PHI_E_CORRUPT, "truncated");
		b.n = 0;
		put_header(&b, &h);
		put_u64(&b, 1);
		put_segment(&b, 0x1000, 0x20, 0);
		put(&b, "x", 1);
		raw_open_fails(&b, 0, PHI_E_CORRUPT, "after the last segment");
		/* Over the cap: the second record crosses it. */
		b.n = 0;
		put_header(&b, &h);
		put_u64(&b, 2);
		put_segment(&b, 0x1000, 0x20, 0);
		put_segment(&b, 0x2000, 0x20, 0);
		raw_open_fails(&b, 0x3f, PHI_E_NO_MEMORY, "--max-memory");
		free(b.p);
	}
}

/* Files that are not snapshots at all. */
static void test_not_snapshots(void **state)
{
	char *path = temp_path();
	static const char text[] = "hello, this is not a snapshot\n";
	unsigned char noise[4096];

	(void)state;
	/* Empty. */
	open_fails(path, 0, PHI_E_CORRUPT, NULL);
	/* Plain text (zlib reads files that are not gzip as they are). */
	write_file(path, text, sizeof(text) - 1);
	open_fails(path, 0, PHI_E_CORRUPT, "not a pyheapinspect snapshot");
	/* Compressed text. */
	write_gz(path, text, sizeof(text) - 1);
	open_fails(path, 0, PHI_E_CORRUPT, "not a pyheapinspect snapshot");
	/* A gzip header followed by noise. */
	fill(noise, sizeof(noise), 5);
	noise[0] = 0x1f;
	noise[1] = 0x8b;
	noise[2] = 8;
	noise[3] = 0;
	write_file(path, noise, sizeof(noise));
	open_fails(path, 0, PHI_E_CORRUPT, NULL);
	drop(path);
}

static void test_missing_file(void **state)
{
	struct phi_source s;
	struct phi_capture cap;
	struct phi_record rec;
	struct phi_error err = { 0 };
	char *path = temp_path();
	char *dir_path;
	int rc;

	(void)state;
	unlink(path);
	open_fails(path, 0, PHI_E_IO, NULL);
	/* A directory. */
	dir_path = strdup(path);
	assert_non_null(dir_path);
	*strrchr(dir_path, '/') = '\0';
	rc = phi_snapshot_open(&s, dir_path, 0, &err);
	assert_true(rc == -PHI_E_IO || rc == -PHI_E_CORRUPT);
	expect_in(err.msg, dir_path);
	assert_null(s.ops);
	phi_source_close(&s);
	free(dir_path);
	/* Saving where no file can be created. */
	memset(&cap, 0, sizeof(cap));
	small_record(&rec);
	rc = phi_snapshot_save("/nonexistent-dir/x.snap.gz", 5, &rec, &cap,
			       &err);
	assert_int_equal(rc, -PHI_E_IO);
	expect_in(err.msg, "/nonexistent-dir/x.snap.gz");
	phi_record_release(&rec);
	free(path);
}

/* A write error (a full disk) is PHI_E_IO; the path, a device here, is
 * not removed. */
static void test_save_write_error(void **state)
{
	struct phi_capture cap;
	struct phi_record rec;
	struct phi_error err = { 0 };
	static unsigned char data[1 << 20];
	struct stat st;

	(void)state;
	if (stat("/dev/full", &st) != 0)
		skip();
	memset(&cap, 0, sizeof(cap));
	small_record(&rec);
	fill(data, sizeof(data), 11);
	assert_int_equal(phi_image_add(&cap.img, 0x10000, data, sizeof(data),
				       false, &err), 0);
	assert_int_equal(phi_snapshot_save("/dev/full", 5, &rec, &cap, &err),
			 -PHI_E_IO);
	assert_int_equal(err.code, PHI_E_IO);
	expect_in(err.msg, "/dev/full");
	assert_int_equal(stat("/dev/full", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	phi_capture_release(&cap);
	phi_record_release(&rec);
}

/* An image whose segments are out of order is the caller's mistake:
 * refused before any file is created. */
static void test_save_bad_image(void **state)
{
	struct phi_capture cap;
	struct phi_record rec;
	struct phi_error err = { 0 };
	struct phi_segment seg[2];
	unsigned char data[16] = { 0 };
	struct stat st;
	char *path = temp_path();

	(void)state;
	unlink(path);
	memset(&cap, 0, sizeof(cap));
	seg[0] = (struct phi_segment){ 0x2000, 0x2010, data, false };
	seg[1] = (struct phi_segment){ 0x1000, 0x1010, data, false };
	cap.img.seg = seg;
	cap.img.n = 2;
	cap.img.bytes = 32;
	small_record(&rec);
	assert_int_equal(phi_snapshot_save(path, 5, &rec, &cap, &err),
			 -PHI_E_INTERNAL);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
	/* An empty segment is no better. */
	seg[0] = (struct phi_segment){ 0x1000, 0x1000, data, false };
	cap.img.n = 1;
	assert_int_equal(phi_snapshot_save(path, 5, &rec, &cap, &err),
			 -PHI_E_INTERNAL);
	assert_int_equal(stat(path, &st), -1);
	phi_record_release(&rec);
	free(path);
}

/* A truncated file's message names it and says so. */
static void test_message_names_file(void **state)
{
	(void)state;
	for (uint32_t v = 1; v <= 3; v++) {
		struct hdr h = good_hdr(v);
		struct buf b = { 0 };
		char *path = temp_path();

		put_header(&b, &h);
		put_u64(&b, 1);
		put_segment(&b, 0x1000, 0x100, 0);
		write_gz(path, b.p, b.n - 10);
		open_fails(path, 0, PHI_E_CORRUPT, "truncated");
		drop(path);
		free(b.p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_round_trip_empty),
		cmocka_unit_test(test_saved_format),
		cmocka_unit_test(test_record_kept),
		cmocka_unit_test(test_source_interface),
		cmocka_unit_test(test_touching_records_join),
		cmocka_unit_test(test_status_round_trips),
		cmocka_unit_test(test_v1_loads),
		cmocka_unit_test(test_v2_loads),
		cmocka_unit_test(test_base_snapshot),
		cmocka_unit_test(test_truncated_stream),
		cmocka_unit_test(test_truncated_file),
		cmocka_unit_test(test_huge_claims),
		cmocka_unit_test(test_huge_count),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_bad_legacy),
		cmocka_unit_test(test_bad_description),
		cmocka_unit_test(test_bad_missing_count),
		cmocka_unit_test(test_v3_layout_values),
		cmocka_unit_test(test_v3_bad_lengths),
		cmocka_unit_test(test_v3_empty_name),
		cmocka_unit_test(test_bad_status),
		cmocka_unit_test(test_bad_segments),
		cmocka_unit_test(test_not_snapshots),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_save_write_error),
		cmocka_unit_test(test_save_bad_image),
		cmocka_unit_test(test_message_names_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
