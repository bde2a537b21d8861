/* Saved snapshots (snapshot.h): one gzip stream of little-endian,
 * fixed-width fields.
 *
 *   "PHISNAP\0"                      magic, 8 bytes
 *   u32 format version               3 (PHI_SNAPSHOT_VERSION)
 *   u32 pid
 *   u32 n + n x { str name, i64 }    the interpreter's description, as
 *   u32 n + n x { str name, str }    numbers and texts the CPython layer
 *                                    named (the snapshot does not read
 *                                    them); a str is u32 length + bytes
 *   the capture's status:
 *     u32 flags                      1 frozen, 2 consistent, 4 unknown
 *     u32 threads                    threads frozen
 *     f64 pause_ms, f64 copy_ms      IEEE-754 binary64 bits, as a u64
 *     u64 unreadable, u64 skipped, u64 mappings skipped, u64 syscalls
 *                                    the image's counters
 *   u64 records
 *   records x { u64 start, u64 length, length bytes }
 *
 * "unknown" is written when the capture came from a format 1 file itself
 * (which did not record its status); every other status field is then
 * 0.
 *
 * Formats 1 and 2 still load.  They stored the description by position:
 *   u32 layout fields, u32 symbols, u32 pid, i32 major, minor, micro,
 *   str version text, str object path, u32 layout source, u32 missing,
 *   str DWARF path, i64 x layout fields, u64 x symbols, then (format 2
 *   only) the status block, then the records.
 * They load into the same record, the positional values named
 * "legacy-layout:N" and "legacy-symbol:N", for the CPython layer to map.
 *
 * A record is at most 1 GiB: a longer segment is written as several
 * records back to back, and the loader joins records that touch into one
 * segment again (so an object straddling the cut stays readable).  The
 * stream ends after the last record.
 *
 * The file is untrusted.  The loader caps every count and length before
 * using it and grows its buffers only as the data arrives (in pieces of
 * at most 16 MiB), so a header that claims a huge segment in a tiny file
 * fails after reading what is there, never after allocating what it
 * claims. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "pyheapinspect/base/bigmem.h"
#include "pyheapinspect/base/progress.h"
#include "pyheapinspect/source/snapshot/snapshot.h"
#include "pyheapinspect/source/source.h"

#define MAGIC "PHISNAP"          /* with its NUL: 8 bytes */
#define MAGIC_LEN 8
#define MAX_RECORD (1ULL << 30)  /* bytes of one segment record */
#define MAX_PIECE (16u << 20)    /* one gzread/gzwrite */
#define FIRST_PIECE (64u << 10)  /* first piece of a segment's buffer */
#define MAX_RECORDS (1ULL << 24) /* vm.max_map_count is 65530 by default */
/* Positional values of a format 1 or 2 file. */
#define MAX_LEGACY_VALUES 4096
/* Bounds on the capture's status: pid_max is at most 2^22, user space
 * at most 2^56 bytes (5-level paging); a pause or a copy of 10^9 ms
 * (11 days) is damage. */
#define MAX_THREADS (1u << 22)
#define MAX_BYTES (1ULL << 56)
#define MAX_MS 1e9
#define MAX_SYSCALLS 0xffffffffULL
#define STATUS_FROZEN 1u
#define STATUS_CONSISTENT 2u
#define STATUS_UNKNOWN 4u

/* ---- writing ---------------------------------------------------------- */

struct wr {
	gzFile gz;
	const char *path;
	struct phi_error *err;
	int rc;
	uint64_t done, total;   /* segment bytes, for the progress line */
};

static void wr_fail(struct wr *w)
{
	int zerr = Z_OK;
	const char *msg;

	if (w->rc)
		return;
	msg = gzerror(w->gz, &zerr);
	if (zerr == Z_ERRNO)
		msg = strerror(errno ? errno : EIO);
	w->rc = phi_error_set(w->err, zerr == Z_MEM_ERROR ? PHI_E_NO_MEMORY :
				      PHI_E_IO, "cannot write snapshot '%s': %s",
			      w->path, msg && *msg ? msg : "write error");
}

static void wr_bytes(struct wr *w, const void *p, uint64_t len)
{
	const unsigned char *b = p;

	while (!w->rc && len) {
		unsigned piece = len > MAX_PIECE ? MAX_PIECE : (unsigned)len;

		if (gzwrite(w->gz, b, piece) != (int)piece)
			wr_fail(w);
		b += piece;
		len -= piece;
	}
}

/* A segment's bytes, with the progress line told after each piece. */
static void wr_data(struct wr *w, const unsigned char *b, uint64_t len)
{
	while (!w->rc && len) {
		uint64_t piece = len > MAX_PIECE ? MAX_PIECE : len;

		wr_bytes(w, b, piece);
		b += piece;
		len -= piece;
		w->done += piece;
		phi_progress_update(w->done, w->total);
	}
}

static void wr_u32(struct wr *w, uint32_t v)
{
	unsigned char b[4];

	for (int i = 0; i < 4; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	wr_bytes(w, b, sizeof(b));
}

static void wr_u64(struct wr *w, uint64_t v)
{
	unsigned char b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	wr_bytes(w, b, sizeof(b));
}

static void wr_f64(struct wr *w, double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	wr_u64(w, bits);
}

/* Format 2: what the capture knew about its own consistency.  A status
 * that is itself unknown is written as such, all else 0. */
static void wr_status(struct wr *w, const struct phi_capture *cap)
{
	const struct phi_image *img = &cap->img;
	bool known = !cap->status_unknown;

	wr_u32(w, !known ? STATUS_UNKNOWN :
		  (cap->frozen ? STATUS_FROZEN : 0) |
		  (cap->consistent ? STATUS_CONSISTENT : 0));
	wr_u32(w, known ? (uint32_t)cap->threads : 0);
	wr_f64(w, known ? cap->pause_ms : 0);
	wr_f64(w, known ? cap->copy_ms : 0);
	wr_u64(w, known ? img->unreadable : 0);
	wr_u64(w, known ? img->skipped : 0);
	wr_u64(w, known ? img->nskipped : 0);
	wr_u64(w, known ? img->syscalls : 0);
}

static void wr_str(struct wr *w, const char *s, size_t cap)
{
	size_t len = strnlen(s, cap);

	wr_u32(w, (uint32_t)len);
	wr_bytes(w, s, len);
}

static void wr_record(struct wr *w, const struct phi_record *rec)
{
	wr_u32(w, (uint32_t)rec->nnum);
	for (size_t i = 0; i < rec->nnum; i++) {
		wr_str(w, rec->num[i].name, PHI_RECORD_MAX_NAME);
		wr_u64(w, (uint64_t)rec->num[i].value);
	}
	wr_u32(w, (uint32_t)rec->ntext);
	for (size_t i = 0; i < rec->ntext; i++) {
		wr_str(w, rec->text[i].name, PHI_RECORD_MAX_NAME);
		wr_str(w, rec->text[i].text, PHI_RECORD_MAX_TEXT);
	}
}

/* What of segment i was copied: its parts within the image's filled
 * ranges (a live capture's pages read from the target: the zeros of
 * pages the target never wrote are not saved, and read as absent from
 * the snapshot), or all of it (an image with no such record).  Calls
 * fn(ctx, start, end) for each part in order. */
static void copied_parts(const struct phi_image *img, size_t i,
			 void (*fn)(void *ctx, const struct phi_segment *s,
				    uint64_t start, uint64_t end),
			 void *ctx)
{
	const struct phi_segment *s = &img->seg[i];
	size_t lo = 0, hi = img->nfilled;

	if (!img->nfilled) {
		fn(ctx, s, s->start, s->end);
		return;
	}
	/* First filled range that ends after the segment starts. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (img->filled[mid].end <= s->start)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < img->nfilled && img->filled[lo].start < s->end; lo++) {
		uint64_t a = img->filled[lo].start, b = img->filled[lo].end;

		fn(ctx, s, a > s->start ? a : s->start,
		   b < s->end ? b : s->end);
	}
}

struct tally {
	uint64_t records, total;
};

static void count_part(void *ctx, const struct phi_segment *s,
		       uint64_t start, uint64_t end)
{
	struct tally *t = ctx;

	(void)s;
	t->records += (end - start + MAX_RECORD - 1) / MAX_RECORD;
	t->total += end - start;
}

static void write_part(void *ctx, const struct phi_segment *s,
		       uint64_t start, uint64_t end)
{
	struct wr *w = ctx;

	for (uint64_t at = start; at < end && !w->rc; at += MAX_RECORD) {
		uint64_t len = end - at;

		if (len > MAX_RECORD)
			len = MAX_RECORD;
		wr_u64(w, at);
		wr_u64(w, len);
		wr_data(w, s->data + (at - s->start), len);
	}
}

static void wr_segments(struct wr *w, const struct phi_image *img,
			uint64_t records)
{
	wr_u64(w, records);
	for (size_t i = 0; i < img->n && !w->rc; i++)
		copied_parts(img, i, write_part, w);
}

int phi_snapshot_save(const char *path, pid_t pid,
		      const struct phi_record *rec,
		      const struct phi_capture *cap, struct phi_error *err)
{
	const struct phi_image *img = &cap->img;
	struct wr w = { .path = path, .err = err };
	struct tally t = { 0 };
	uint64_t records;
	struct stat st;

	for (size_t i = 0; i < img->n; i++) {
		const struct phi_segment *s = &img->seg[i];

		if (s->end <= s->start ||
		    (i > 0 && s->start < img->seg[i - 1].end))
			return phi_error_set(err, PHI_E_INTERNAL,
					     "image segments out of order");
		copied_parts(img, i, count_part, &t);
	}
	records = t.records;
	w.total = t.total;
	/* Level 1: twice as fast as the default for 10% more bytes; the
	 * tool waits for it after the target has been thawed. */
	w.gz = gzopen(path, "wb1e");
	if (!w.gz)
		return phi_error_set(err, errno == ENOMEM ? PHI_E_NO_MEMORY :
					     PHI_E_IO,
				     "cannot create snapshot '%s': %s", path,
				     strerror(errno ? errno : ENOMEM));
	gzbuffer(w.gz, 256u << 10);
	wr_bytes(&w, MAGIC, MAGIC_LEN);
	wr_u32(&w, PHI_SNAPSHOT_VERSION);
	wr_u32(&w, (uint32_t)pid);
	wr_record(&w, rec);
	wr_status(&w, cap);
	wr_segments(&w, img, records);
	/* gzclose flushes: its failure is a failed write too. */
	if (gzclose(w.gz) != Z_OK && !w.rc)
		w.rc = phi_error_set(err, PHI_E_IO,
				     "cannot write snapshot '%s': %s", path,
				     strerror(errno ? errno : EIO));
	/* No half-written file left behind (but never unlink a device or
	 * a pipe given as the path). */
	if (w.rc && stat(path, &st) == 0 && S_ISREG(st.st_mode))
		unlink(path);
	return w.rc;
}

/* ---- reading ---------------------------------------------------------- */

struct rd {
	gzFile gz;
	const char *path;
	struct phi_error *err;
	int rc;
	uint64_t file_size;     /* for the progress line */
};

static int rd_corrupt(struct rd *r, const char *what)
{
	if (!r->rc)
		r->rc = phi_error_set(r->err, PHI_E_CORRUPT,
				      "snapshot '%s' is corrupt: %s", r->path,
				      what);
	return r->rc;
}

/* A short or failed read: truncation, a damaged stream, or I/O. */
static int rd_fail(struct rd *r)
{
	int zerr = Z_OK;
	const char *msg;

	if (r->rc)
		return r->rc;
	msg = gzerror(r->gz, &zerr);
	/* errno is still that of the read that failed. */
	if (zerr == Z_ERRNO)
		r->rc = phi_error_set(r->err, PHI_E_IO,
				      "cannot read snapshot '%s': %s", r->path,
				      strerror(errno ? errno : EIO));
	else if (zerr == Z_MEM_ERROR)
		r->rc = phi_error_set(r->err, PHI_E_NO_MEMORY,
				      "out of memory reading snapshot '%s'",
				      r->path);
	else
		r->rc = phi_error_set(r->err, PHI_E_CORRUPT,
				      "snapshot '%s' is truncated or corrupt"
				      "%s%s", r->path, msg && *msg ? ": " : "",
				      msg && *msg ? msg : "");
	return r->rc;
}

static int gz_errnum(struct rd *r)
{
	int e = Z_OK;

	gzerror(r->gz, &e);
	return e;
}

static int rd_bytes(struct rd *r, void *p, size_t len)
{
	unsigned char *b = p;

	while (!r->rc && len) {
		unsigned piece = len > MAX_PIECE ? MAX_PIECE : (unsigned)len;
		int got = gzread(r->gz, b, piece);

		if (got != (int)piece)
			return rd_fail(r);
		b += piece;
		len -= piece;
	}
	return r->rc;
}

static uint32_t rd_u32(struct rd *r)
{
	unsigned char b[4] = { 0 };
	uint32_t v = 0;

	rd_bytes(r, b, sizeof(b));
	for (int i = 3; i >= 0; i--)
		v = v << 8 | b[i];
	return r->rc ? 0 : v;
}

static uint64_t rd_u64(struct rd *r)
{
	unsigned char b[8] = { 0 };
	uint64_t v = 0;

	rd_bytes(r, b, sizeof(b));
	for (int i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return r->rc ? 0 : v;
}

/* A length-prefixed string into buf[cap] (cap includes the NUL). */
static int rd_str(struct rd *r, char *buf, size_t cap, const char *what)
{
	uint32_t len = rd_u32(r);
	char msg[96];

	if (r->rc)
		return r->rc;
	if (len >= cap) {
		snprintf(msg, sizeof(msg), "%s is %u bytes long (at most %zu)",
			 what, len, cap - 1);
		return rd_corrupt(r, msg);
	}
	if (rd_bytes(r, buf, len))
		return r->rc;
	buf[len] = '\0';
	if (strlen(buf) != len) {
		snprintf(msg, sizeof(msg), "%s holds a NUL byte", what);
		return rd_corrupt(r, msg);
	}
	return 0;
}

static double rd_f64(struct rd *r)
{
	uint64_t bits = rd_u64(r);
	double v;

	memcpy(&v, &bits, sizeof(v));
	return v;
}

static bool valid_ms(double ms)
{
	return isfinite(ms) && ms >= 0 && ms <= MAX_MS;
}

/* The status fields of a format 2 file must describe a capture the tool
 * could have made: a frozen capture has threads, a consistent one was
 * frozen, a capture that was not frozen never paused, skipped bytes come
 * in whole mappings; an unknown status has nothing else. */
static const char *status_problem(uint32_t flags, uint32_t threads,
				  double pause_ms, double copy_ms,
				  const struct phi_image *img)
{
	bool frozen = flags & STATUS_FROZEN;

	if (flags & ~(STATUS_FROZEN | STATUS_CONSISTENT | STATUS_UNKNOWN))
		return "unknown capture status flags";
	if ((flags & STATUS_UNKNOWN) &&
	    (flags != STATUS_UNKNOWN || threads || pause_ms != 0 ||
	     copy_ms != 0 || img->unreadable || img->skipped ||
	     img->nskipped || img->syscalls))
		return "an unknown capture status with values";
	if ((flags & STATUS_CONSISTENT) && !frozen)
		return "a consistent capture that was not frozen";
	if (threads > MAX_THREADS || frozen != (threads > 0))
		return "an invalid count of frozen threads";
	if (!valid_ms(pause_ms) || !valid_ms(copy_ms) ||
	    (!frozen && pause_ms != 0))
		return "an invalid pause or copy time";
	if (img->unreadable > MAX_BYTES || img->skipped > MAX_BYTES ||
	    img->nskipped > MAX_RECORDS || img->nskipped > img->skipped ||
	    !img->nskipped != !img->skipped || img->syscalls > MAX_SYSCALLS)
		return "invalid counters of unread memory";
	return NULL;
}

/* Format 2's status block, into cap (its image is still empty). */
static int rd_status(struct rd *r, struct phi_capture *cap)
{
	struct phi_image *img = &cap->img;
	uint32_t flags = rd_u32(r), threads = rd_u32(r);
	double pause_ms = rd_f64(r), copy_ms = rd_f64(r);
	const char *problem;

	img->unreadable = rd_u64(r);
	img->skipped = rd_u64(r);
	img->nskipped = rd_u64(r);
	img->syscalls = rd_u64(r);
	if (r->rc)
		return r->rc;
	problem = status_problem(flags, threads, pause_ms, copy_ms, img);
	if (problem)
		return rd_corrupt(r, problem);
	cap->status_unknown = flags & STATUS_UNKNOWN;
	cap->frozen = flags & STATUS_FROZEN;
	cap->consistent = flags & STATUS_CONSISTENT;
	cap->threads = threads;
	cap->pause_ms = pause_ms;
	cap->copy_ms = copy_ms;
	return 0;
}

/* A string of at most max bytes, malloc'd into *out. */
static int rd_dup(struct rd *r, size_t max, char **out, const char *what)
{
	char *buf = malloc(max + 1);

	*out = NULL;
	if (!buf)
		return r->rc = phi_error_set(r->err, PHI_E_NO_MEMORY,
					     "out of memory");
	if (rd_str(r, buf, max + 1, what)) {
		free(buf);
		return r->rc;
	}
	*out = buf;
	return 0;
}

static int rd_set_num(struct rd *r, struct phi_record *rec, const char *name,
		      int64_t v)
{
	int rc = phi_record_set_num(rec, name, v, r->err);

	return rc < 0 && !r->rc ? (r->rc = rc) : r->rc;
}

static int rd_set_text(struct rd *r, struct phi_record *rec,
		       const char *name, const char *text)
{
	int rc = phi_record_set_text(rec, name, text, r->err);

	return rc < 0 && !r->rc ? (r->rc = rc) : r->rc;
}

/* A name of the description: not empty (a record refuses it, and the
 * error must be the file's). */
static int rd_name(struct rd *r, char **out, const char *what)
{
	char msg[64];

	if (rd_dup(r, PHI_RECORD_MAX_NAME, out, what))
		return r->rc;
	if (**out)
		return 0;
	free(*out);
	*out = NULL;
	snprintf(msg, sizeof(msg), "%s is empty", what);
	return rd_corrupt(r, msg);
}

/* Format 3's description: named numbers, then named texts. */
static int rd_record(struct rd *r, struct phi_record *rec)
{
	uint32_t n = rd_u32(r);
	char *name, *text;

	if (!r->rc && n > PHI_RECORD_MAX_ENTRIES)
		return rd_corrupt(r, "too many numbers in the description");
	for (uint32_t i = 0; i < n && !r->rc; i++) {
		if (rd_name(r, &name, "a number's name"))
			break;
		rd_set_num(r, rec, name, (int64_t)rd_u64(r));
		free(name);
	}
	n = rd_u32(r);
	if (!r->rc && n > PHI_RECORD_MAX_ENTRIES)
		return rd_corrupt(r, "too many texts in the description");
	for (uint32_t i = 0; i < n && !r->rc; i++) {
		if (rd_name(r, &name, "a text's name"))
			break;
		if (rd_dup(r, PHI_RECORD_MAX_TEXT, &text, "a text")) {
			free(name);
			break;
		}
		rd_set_text(r, rec, name, text);
		free(name);
		free(text);
	}
	return r->rc;
}

/* A length-prefixed text of formats 1 and 2 into the record. */
static int rd_legacy_text(struct rd *r, struct phi_record *rec,
			  const char *name, size_t max, const char *what)
{
	char *text;

	if (rd_dup(r, max, &text, what))
		return r->rc;
	rd_set_text(r, rec, name, text);
	free(text);
	return r->rc;
}

/* Formats 1 and 2, after the version: everything by position. */
static int rd_legacy(struct rd *r, struct phi_record *rec, pid_t *pid)
{
	uint32_t nl = rd_u32(r), ns = rd_u32(r), p = rd_u32(r);
	const char *names[] = { "python.major", "python.minor",
				"python.micro" };
	char key[64];

	if (r->rc)
		return r->rc;
	if (nl > MAX_LEGACY_VALUES || ns > MAX_LEGACY_VALUES)
		return rd_corrupt(r, "invalid table sizes");
	if (p == 0 || p > INT32_MAX)
		return rd_corrupt(r, "invalid pid");
	*pid = (pid_t)p;
	rd_set_num(r, rec, "legacy-layout:count", nl);
	rd_set_num(r, rec, "legacy-symbol:count", ns);
	for (int i = 0; i < 3 && !r->rc; i++)
		rd_set_num(r, rec, names[i], (int32_t)rd_u32(r));
	if (rd_legacy_text(r, rec, "python.version", 95, "the version text") ||
	    rd_legacy_text(r, rec, "python.object", PATH_MAX - 1,
			   "the object path"))
		return r->rc;
	rd_set_num(r, rec, "layout.source", rd_u32(r));
	rd_set_num(r, rec, "layout.missing", rd_u32(r));
	if (rd_legacy_text(r, rec, "layout.path", PATH_MAX - 1,
			   "the DWARF path"))
		return r->rc;
	for (uint32_t i = 0; i < nl && !r->rc; i++) {
		snprintf(key, sizeof(key), "legacy-layout:%u", i);
		rd_set_num(r, rec, key, (int64_t)rd_u64(r));
	}
	for (uint32_t i = 0; i < ns && !r->rc; i++) {
		snprintf(key, sizeof(key), "legacy-symbol:%u", i);
		rd_set_num(r, rec, key, (int64_t)rd_u64(r));
	}
	return r->rc;
}

static int rd_header(struct rd *r, pid_t *pid, struct phi_record *rec,
		     struct phi_capture *cap)
{
	char magic[MAGIC_LEN];
	uint32_t v, p;
	int got = gzread(r->gz, magic, MAGIC_LEN);

	if (got < 0)
		return rd_fail(r);
	/* A file cut inside the magic is a truncated snapshot. */
	if (got > 0 && got < MAGIC_LEN &&
	    memcmp(magic, MAGIC, (size_t)got) == 0)
		return rd_fail(r);
	if (got != MAGIC_LEN || memcmp(magic, MAGIC, MAGIC_LEN) != 0)
		return r->rc = phi_error_set(r->err, PHI_E_CORRUPT,
					     "'%s' is not a pyheapinspect "
					     "snapshot", r->path);
	v = rd_u32(r);
	if (r->rc)
		return r->rc;
	if (v < PHI_SNAPSHOT_VERSION_MIN || v > PHI_SNAPSHOT_VERSION)
		return r->rc = phi_error_set(r->err, PHI_E_CORRUPT,
					     "snapshot '%s' has format version "
					     "%u; this pyheapinspect reads "
					     "versions %d to %d", r->path, v,
					     PHI_SNAPSHOT_VERSION_MIN,
					     PHI_SNAPSHOT_VERSION);
	if (v < 3) {
		if (rd_legacy(r, rec, pid))
			return r->rc;
		/* Format 1 did not record how the capture went. */
		if (v == 1) {
			cap->status_unknown = true;
			return 0;
		}
		return rd_status(r, cap);
	}
	p = rd_u32(r);
	if (!r->rc && (p == 0 || p > INT32_MAX))
		return rd_corrupt(r, "invalid pid");
	*pid = (pid_t)p;
	if (rd_record(r, rec))
		return r->rc;
	return rd_status(r, cap);
}

/* The segment being assembled: records that touch are joined. */
struct pending {
	uint64_t start, len, cap;
	unsigned char *data;
};

static int flush(struct rd *r, struct phi_image *img, struct pending *p)
{
	unsigned char *data = p->data;
	uint64_t start = p->start, len = p->len;
	int rc;

	p->data = NULL;
	p->cap = p->len = 0;
	if (!len) {
		phi_big_free(data);
		return 0;
	}
	rc = phi_image_adopt(img, start, data, (size_t)len, r->err);
	if (rc < 0) {
		phi_big_free(data);
		return r->rc = rc;
	}
	return 0;
}

/* Read len bytes of a record onto the end of p, growing p's buffer only
 * as the data arrives. */
static int rd_append(struct rd *r, struct pending *p, uint64_t len)
{
	uint64_t piece = p->cap > FIRST_PIECE ? p->cap : FIRST_PIECE;

	while (len && !r->rc) {
		if (piece > MAX_PIECE)
			piece = MAX_PIECE;
		if (piece > len)
			piece = len;
		if (p->cap - p->len < piece) {
			uint64_t ncap = p->len + piece;
			unsigned char *nd;

			if (ncap > SIZE_MAX)
				return r->rc = phi_error_set(r->err,
							     PHI_E_NO_MEMORY,
							     "snapshot '%s' "
							     "does not fit in "
							     "memory", r->path);
			nd = phi_big_realloc(p->data, (size_t)ncap);
			if (!nd)
				return r->rc = phi_error_set(
					       r->err, PHI_E_NO_MEMORY,
					       "out of memory reading a "
					       "segment of snapshot '%s'",
					       r->path);
			p->data = nd;
			p->cap = ncap;
		}
		if (rd_bytes(r, p->data + p->len, (size_t)piece))
			return r->rc;
		phi_progress_update((uint64_t)gzoffset(r->gz), r->file_size);
		p->len += piece;
		len -= piece;
		piece *= 2;
	}
	return r->rc;
}

static int rd_segments(struct rd *r, uint64_t max_bytes,
		       struct phi_image *img)
{
	struct pending p = { 0 };
	uint64_t records = rd_u64(r), total = 0, prev_end = 0;
	char msg[160];
	unsigned char extra;
	int got;

	if (r->rc)
		return r->rc;
	if (records > MAX_RECORDS)
		return rd_corrupt(r, "too many segments");
	for (uint64_t i = 0; i < records && !r->rc; i++) {
		uint64_t start = rd_u64(r), len = rd_u64(r);

		if (r->rc)
			break;
		if (len == 0 || len > MAX_RECORD || start + len < start) {
			snprintf(msg, sizeof(msg), "segment %llu at 0x%llx has "
				 "an invalid length %llu",
				 (unsigned long long)i,
				 (unsigned long long)start,
				 (unsigned long long)len);
			rd_corrupt(r, msg);
			break;
		}
		if (i > 0 && start < prev_end) {
			snprintf(msg, sizeof(msg), "segment %llu at 0x%llx "
				 "overlaps or precedes the one before",
				 (unsigned long long)i,
				 (unsigned long long)start);
			rd_corrupt(r, msg);
			break;
		}
		if (max_bytes && len > max_bytes - total) {
			r->rc = phi_error_set(r->err, PHI_E_NO_MEMORY,
					      "snapshot '%s' holds more than "
					      "the --max-memory limit of %llu "
					      "MiB", r->path,
					      (unsigned long long)(max_bytes >>
								   20));
			break;
		}
		total += len;
		/* A record that does not continue the pending segment
		 * starts a new one. */
		if (p.len && start != p.start + p.len && flush(r, img, &p))
			break;
		if (!p.len)
			p.start = start;
		if (rd_append(r, &p, len))
			break;
		prev_end = start + len;
	}
	if (!r->rc)
		flush(r, img, &p);
	phi_big_free(p.data);
	if (r->rc)
		return r->rc;
	/* The stream must end here, and end well (gzip's CRC and length
	 * are checked when the end is read). */
	got = gzread(r->gz, &extra, 1);
	if (got > 0)
		return rd_corrupt(r, "data after the last segment");
	/* gzread returns 0, not -1, when the stream is cut short: only
	 * gzerror tells a clean end from a truncated one. */
	if (got < 0 || gz_errnum(r) != Z_OK)
		return rd_fail(r);
	return 0;
}

/* ---- the snapshot as a source ---------------------------------------- */

/* The capture, loaded whole when the source is opened. */
struct saved {
	struct phi_capture cap;
	bool taken;           /* handed to the caller's capture */
};

static int snap_read(struct phi_source *s, uint64_t addr, void *buf,
		     size_t len, struct phi_error *err)
{
	const struct saved *sv = s->impl;
	const void *p = sv->taken ? NULL :
				    phi_image_ptr(&sv->cap.img, addr, len);

	if (!p)
		return phi_error_set(err, PHI_E_READ, "the snapshot does not "
				     "hold %zu bytes at 0x%llx", len,
				     (unsigned long long)addr);
	memcpy(buf, p, len);
	return 0;
}

static int snap_file(struct phi_source *s, const struct phi_map *m,
		     char *path, size_t len, struct phi_error *err)
{
	(void)s;
	(void)path;
	(void)len;
	return phi_error_set(err, PHI_E_NOT_FOUND, "a snapshot holds no "
			     "files: '%s' is not available", m->path);
}

/* A snapshot is captured once: the saved image is handed over. */
static int snap_capture(struct phi_source *s,
			const struct phi_capture_opts *o,
			struct phi_capture *cap, struct phi_error *err)
{
	struct saved *sv = s->impl;

	(void)o;
	if (sv->taken)
		return phi_error_set(err, PHI_E_INTERNAL,
				     "a snapshot's image was taken already");
	*cap = sv->cap;
	memset(&sv->cap, 0, sizeof(sv->cap));
	phi_image_init(&sv->cap.img);
	sv->taken = true;
	phi_capture_note_gaps(cap);
	return 0;
}

static void snap_close(struct phi_source *s)
{
	struct saved *sv = s->impl;

	if (sv)
		phi_capture_release(&sv->cap);
	free(sv);
	s->impl = NULL;
}

static const struct phi_source_ops snapshot_ops = {
	.kind = "snapshot",
	.read = snap_read,
	.file = snap_file,
	.capture = snap_capture,
	.close = snap_close,
};

static int load(const char *path, uint64_t max_bytes, struct phi_source *s,
		struct phi_capture *cap, struct phi_error *err)
{
	struct rd r = { .path = path, .err = err };
	struct stat st;

	if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
		r.file_size = (uint64_t)st.st_size;
	errno = 0;
	r.gz = gzopen(path, "rbe");
	if (!r.gz)
		return phi_error_set(err, errno == ENOMEM || !errno ?
					     PHI_E_NO_MEMORY : PHI_E_IO,
				     "cannot open snapshot '%s': %s", path,
				     strerror(errno ? errno : ENOMEM));
	gzbuffer(r.gz, 256u << 10);
	if (rd_header(&r, &s->pid, &s->record, cap) == 0)
		rd_segments(&r, max_bytes, &cap->img);
	gzclose(r.gz);
	return r.rc;
}

int phi_snapshot_open(struct phi_source *s, const char *path,
		      uint64_t max_bytes, struct phi_error *err)
{
	struct saved *sv = calloc(1, sizeof(*sv));
	int rc;

	memset(s, 0, sizeof(*s));
	if (!sv)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	phi_image_init(&sv->cap.img);
	s->ops = &snapshot_ops;
	s->impl = sv;
	phi_record_init(&s->record);
	rc = load(path, max_bytes, s, &sv->cap, err);
	if (rc < 0)
		phi_source_close(s);
	return rc;
}
