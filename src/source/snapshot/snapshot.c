/* Saved snapshots (snapshot.h): one gzip stream of little-endian,
 * fixed-width fields.
 *
 *   "PHISNAP\0"                      magic, 8 bytes
 *   u32 format version               1 or 2 (PHI_SNAPSHOT_VERSION)
 *   u32 layout fields                PHI_L__COUNT of the writer
 *   u32 symbols                      PHI_S__COUNT of the writer
 *   u32 pid
 *   i32 major, i32 minor, i32 micro, u32 length + bytes: the version
 *   u32 length + bytes               object_path
 *   u32 source, u32 missing, u32 length + bytes (dwarf_path)
 *   i64 x layout fields              the layout values, in table order
 *   u64 x symbols                    runtime addresses, in table order
 *   version 2 only, the capture's status:
 *     u32 flags                      1 frozen, 2 consistent, 4 unknown
 *     u32 threads                    threads frozen
 *     f64 pause_ms, f64 copy_ms      IEEE-754 binary64 bits, as a u64
 *     u64 unreadable, u64 skipped, u64 mappings skipped, u64 syscalls
 *                                    the image's counters
 *   u64 records
 *   records x { u64 start, u64 length, length bytes }
 *
 * "unknown" is written when the capture came from a version 1 file
 * itself (which did not record its status); every other status field is
 * then 0.  A version 1 file loads as before, with cap->status_unknown.
 *
 * A record is at most 1 GiB: a longer segment is written as several
 * records back to back, and the loader joins records that touch into one
 * segment again (so an object straddling the cut stays readable).  The
 * stream ends after the last record.
 *
 * The file is untrusted.  The loader refuses tables of another size, caps
 * every length before using it and grows its buffers only as the data
 * arrives (in pieces of at most 16 MiB), so a header that claims a huge
 * segment in a tiny file fails after reading what is there, never after
 * allocating what it claims. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "pyheapinspect/bigmem.h"
#include "pyheapinspect/snapshot.h"

#define MAGIC "PHISNAP"          /* with its NUL: 8 bytes */
#define MAGIC_LEN 8
#define MAX_RECORD (1ULL << 30)  /* bytes of one segment record */
#define MAX_PIECE (16u << 20)    /* one gzread/gzwrite */
#define FIRST_PIECE (64u << 10)  /* first piece of a segment's buffer */
#define MAX_RECORDS (1ULL << 24) /* vm.max_map_count is 65530 by default */
/* Offsets and sizes of CPython 3.10's structs are all below 16 KiB: a
 * larger value in a file is damage, and would only mislead decoders. */
#define MAX_LAYOUT_VALUE (1LL << 20)
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

int phi_snapshot_save(const char *path, const struct phi_target *t,
		      const struct phi_capture *cap, struct phi_error *err)
{
	const struct phi_image *img = &cap->img;
	struct wr w = { .path = path, .err = err };
	uint64_t records = 0;
	struct stat st;

	for (size_t i = 0; i < img->n; i++) {
		const struct phi_segment *s = &img->seg[i];

		if (s->end <= s->start ||
		    (i > 0 && s->start < img->seg[i - 1].end))
			return phi_error_set(err, PHI_E_INTERNAL,
					     "image segments out of order");
		records += (s->end - s->start + MAX_RECORD - 1) / MAX_RECORD;
	}
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
	wr_u32(&w, PHI_L__COUNT);
	wr_u32(&w, PHI_S__COUNT);
	wr_u32(&w, (uint32_t)t->pid);
	wr_u32(&w, (uint32_t)t->version.major);
	wr_u32(&w, (uint32_t)t->version.minor);
	wr_u32(&w, (uint32_t)t->version.micro);
	wr_str(&w, t->version.text, sizeof(t->version.text) - 1);
	wr_str(&w, t->object_path, sizeof(t->object_path) - 1);
	wr_u32(&w, (uint32_t)t->layout.source);
	wr_u32(&w, t->layout.missing);
	wr_str(&w, t->layout.dwarf_path, sizeof(t->layout.dwarf_path) - 1);
	for (size_t i = 0; i < PHI_L__COUNT; i++)
		wr_u64(&w, (uint64_t)t->layout.v[i]);
	for (size_t i = 0; i < PHI_S__COUNT; i++)
		wr_u64(&w, t->sym[i]);
	wr_status(&w, cap);
	wr_u64(&w, records);
	for (size_t i = 0; i < img->n && !w.rc; i++) {
		const struct phi_segment *s = &img->seg[i];

		for (uint64_t off = 0; off < s->end - s->start && !w.rc;
		     off += MAX_RECORD) {
			uint64_t len = s->end - s->start - off;

			if (len > MAX_RECORD)
				len = MAX_RECORD;
			wr_u64(&w, s->start + off);
			wr_u64(&w, len);
			wr_bytes(&w, s->data + off, len);
		}
	}
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

static int rd_header(struct rd *r, struct phi_target *t,
		     struct phi_capture *cap)
{
	char magic[MAGIC_LEN], msg[160];
	uint32_t v, nl, ns, pid, source, missing;
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
	nl = rd_u32(r);
	ns = rd_u32(r);
	if (r->rc)
		return r->rc;
	if (v < PHI_SNAPSHOT_VERSION_MIN || v > PHI_SNAPSHOT_VERSION)
		return r->rc = phi_error_set(r->err, PHI_E_CORRUPT,
					     "snapshot '%s' has format version "
					     "%u; this pyheapinspect reads "
					     "versions %d to %d", r->path, v,
					     PHI_SNAPSHOT_VERSION_MIN,
					     PHI_SNAPSHOT_VERSION);
	if (nl != PHI_L__COUNT || ns != PHI_S__COUNT)
		return r->rc = phi_error_set(r->err, PHI_E_CORRUPT,
					     "snapshot '%s' was written with "
					     "%u layout fields and %u symbols; "
					     "this pyheapinspect has %d and %d",
					     r->path, nl, ns, PHI_L__COUNT,
					     PHI_S__COUNT);
	pid = rd_u32(r);
	t->version.major = (int)rd_u32(r);
	t->version.minor = (int)rd_u32(r);
	t->version.micro = (int)rd_u32(r);
	if (r->rc)
		return r->rc;
	if (pid == 0 || pid > INT32_MAX)
		return rd_corrupt(r, "invalid pid");
	t->pid = (pid_t)pid;
	if (rd_str(r, t->version.text, sizeof(t->version.text),
		   "the version text") ||
	    rd_str(r, t->object_path, sizeof(t->object_path),
		   "the object path"))
		return r->rc;
	if (t->version.major != 3 || t->version.minor != 10)
		return r->rc = phi_error_set(r->err, PHI_E_VERSION,
					     "snapshot '%s' is of CPython "
					     "%d.%d.%d; pyheapinspect supports "
					     "3.10", r->path, t->version.major,
					     t->version.minor,
					     t->version.micro);
	if (t->version.micro < 0 || t->version.micro > 999)
		return rd_corrupt(r, "invalid version");
	source = rd_u32(r);
	missing = rd_u32(r);
	if (r->rc)
		return r->rc;
	if (source != PHI_LAYOUT_BUILTIN && source != PHI_LAYOUT_DWARF)
		return rd_corrupt(r, "unknown layout source");
	if (missing > PHI_L__COUNT)
		return rd_corrupt(r, "invalid count of missing layout fields");
	t->layout.source = (enum phi_layout_source)source;
	t->layout.missing = missing;
	if (rd_str(r, t->layout.dwarf_path, sizeof(t->layout.dwarf_path),
		   "the DWARF path"))
		return r->rc;
	for (size_t i = 0; i < PHI_L__COUNT; i++) {
		int64_t lv = (int64_t)rd_u64(r);

		if (r->rc)
			return r->rc;
		if (lv < 0 || lv > MAX_LAYOUT_VALUE) {
			snprintf(msg, sizeof(msg), "layout value %s.%s = %lld "
				 "is out of range",
				 phi_layout_type_name((enum phi_layout_id)i),
				 phi_layout_member_name((enum phi_layout_id)i),
				 (long long)lv);
			return rd_corrupt(r, msg);
		}
		t->layout.v[i] = lv;
	}
	for (size_t i = 0; i < PHI_S__COUNT; i++)
		t->sym[i] = rd_u64(r);
	if (r->rc)
		return r->rc;
	/* Format 1 did not record how the capture went. */
	if (v == 1) {
		cap->status_unknown = true;
		return 0;
	}
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
	rc = phi_image_add(img, start, data, (size_t)len, false, r->err);
	if (rc < 0) {
		phi_big_free(data);
		return r->rc = rc;
	}
	/* Sorted input: the segment just added is the last one. */
	img->seg[img->n - 1].owned = true;
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

int phi_snapshot_load(const char *path, uint64_t max_bytes,
		      struct phi_target *t, struct phi_capture *cap,
		      struct phi_error *err)
{
	struct rd r = { .path = path, .err = err };

	memset(t, 0, sizeof(*t));
	memset(cap, 0, sizeof(*cap));
	phi_image_init(&cap->img);
	phi_reader_init(&t->reader, 0);
	errno = 0;
	r.gz = gzopen(path, "rbe");
	if (!r.gz)
		return phi_error_set(err, errno == ENOMEM || !errno ?
					     PHI_E_NO_MEMORY : PHI_E_IO,
				     "cannot open snapshot '%s': %s", path,
				     strerror(errno ? errno : ENOMEM));
	gzbuffer(r.gz, 256u << 10);
	if (rd_header(&r, t, cap) == 0) {
		/* Never used (the image is all there is), but a target
		 * always has one. */
		phi_reader_init(&t->reader, t->pid);
		rd_segments(&r, max_bytes, &cap->img);
	}
	gzclose(r.gz);
	if (r.rc) {
		phi_capture_release(cap);
		phi_target_close(t);
		memset(t, 0, sizeof(*t));
		memset(cap, 0, sizeof(*cap));
		phi_image_init(&cap->img);
		phi_reader_init(&t->reader, 0);
	}
	return r.rc;
}
