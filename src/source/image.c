/* The memory image: a sorted set of copied segments and the snapshot that
 * fills it with as few syscalls as possible. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pyheapinspect/bigmem.h"
#include "pyheapinspect/image.h"

/* Chunk of one iovec: a hole (a file mapping past EOF) costs at most this
 * much of the mapping, and 1024 of them make one syscall. */
#define CHUNK (1u << 20)
/* Chunks read between two looks at the clock when there is a deadline:
 * 16 MiB, a few milliseconds. */
#define DEADLINE_PIECE 16

/* The segment of the last lookup: decoders read object after object in
 * the same arena, so most lookups hit it without a binary search.  Reset
 * whenever an image changes its segments. */
static __thread const struct phi_image *cache_img;
static __thread size_t cache_at;

void phi_image_init(struct phi_image *img)
{
	if (cache_img == img)
		cache_img = NULL;
	memset(img, 0, sizeof(*img));
}

void phi_image_release(struct phi_image *img)
{
	if (cache_img == img)
		cache_img = NULL;
	for (size_t i = 0; i < img->n; i++)
		if (img->seg[i].owned)
			phi_big_free(img->seg[i].data);
	free(img->seg);
	memset(img, 0, sizeof(*img));
}

static size_t find_index(const struct phi_image *img, uint64_t addr)
{
	size_t lo = 0, hi = img->n;

	/* First segment whose start is > addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (img->seg[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int phi_image_add(struct phi_image *img, uint64_t start, const void *data,
		  size_t len, bool copy, struct phi_error *err)
{
	struct phi_segment s = { .start = start, .end = start + len };
	size_t at;

	if (len == 0)
		return 0;
	if (cache_img == img)
		cache_img = NULL;
	if (s.end < start)
		return phi_error_set(err, PHI_E_CORRUPT, "segment wraps");
	at = find_index(img, start);
	if ((at > 0 && img->seg[at - 1].end > start) ||
	    (at < img->n && img->seg[at].start < s.end))
		return phi_error_set(err, PHI_E_INTERNAL,
				     "overlapping image segments");
	if (img->n == img->cap) {
		size_t ncap = img->cap ? img->cap * 2 : 64;
		struct phi_segment *ns = realloc(img->seg, ncap * sizeof(*ns));

		if (!ns)
			return phi_error_set(err, PHI_E_NO_MEMORY,
					     "out of memory");
		img->seg = ns;
		img->cap = ncap;
	}
	if (copy) {
		s.data = phi_big_alloc(len);
		if (!s.data)
			return phi_error_set(err, PHI_E_NO_MEMORY,
					     "out of memory copying %zu bytes",
					     len);
		memcpy(s.data, data, len);
		s.owned = true;
	} else {
		s.data = (unsigned char *)data;
	}
	memmove(&img->seg[at + 1], &img->seg[at],
		(img->n - at) * sizeof(*img->seg));
	img->seg[at] = s;
	img->n++;
	img->bytes += len;
	return 0;
}

static const struct phi_segment *segment_of(const struct phi_image *img,
					    uint64_t addr)
{
	const struct phi_segment *s;
	size_t at;

	if (cache_img == img) {
		s = &img->seg[cache_at];
		if (addr >= s->start && addr < s->end)
			return s;
	}
	at = find_index(img, addr);
	if (at == 0 || addr >= img->seg[at - 1].end)
		return NULL;
	cache_img = img;
	cache_at = at - 1;
	return &img->seg[at - 1];
}

const void *phi_image_ptr(const struct phi_image *img, uint64_t addr,
			  size_t len)
{
	const struct phi_segment *s = segment_of(img, addr);

	if (!s || len > s->end - addr)
		return NULL;
	return s->data + (addr - s->start);
}

size_t phi_image_avail(const struct phi_image *img, uint64_t addr)
{
	const struct phi_segment *s = segment_of(img, addr);

	return s ? (size_t)(s->end - addr) : 0;
}

struct region {
	uint64_t start, end;
};

static bool wanted(const struct phi_map *m)
{
	if (!(m->perms & PHI_MAP_R) || (m->perms & PHI_MAP_X))
		return false;
	/* [vvar] faults on read; [vsyscall] and [vdso] hold no objects. */
	return m->path[0] != '[' || strcmp(m->path, "[heap]") == 0 ||
	       strncmp(m->path, "[stack", 6) == 0 ||
	       strncmp(m->path, "[anon", 5) == 0;
}

/* Keep each run of fully read chunks of one mapping as a segment; the
 * buffer is handed to the first one (a mapping read whole is the common
 * case) and the rest are copied out of it. */
static int keep_runs(struct phi_image *img, unsigned char *buf,
		     struct phi_iov *iov, size_t nchunks,
		     struct phi_error *err)
{
	bool handed = false;
	int rc = 0;

	for (size_t i = 0; i < nchunks && rc == 0;) {
		size_t j = i, len = 0;

		/* A run ends after a short chunk (it keeps what it got). */
		while (j < nchunks) {
			bool full = iov[j].got == iov[j].len;

			len += iov[j].got;
			img->unreadable += iov[j].len - iov[j].got;
			j++;
			if (!full)
				break;
		}
		if (len) {
			bool first = (i == 0 && !handed);

			rc = phi_image_add(img, iov[i].addr, iov[i].buf, len,
					   !first, err);
			if (rc == 0 && first) {
				img->seg[find_index(img, iov[i].addr) - 1]
					.owned = true;
				handed = true;
			}
		}
		i = j;
	}
	if (!handed)
		phi_big_free(buf);
	return rc;
}

/* The buffer of reuse's segment for exactly region r, now ours. */
static unsigned char *take_buffer(struct phi_image *reuse,
				  const struct region *r)
{
	size_t at;
	struct phi_segment *s;
	unsigned char *buf;

	if (!reuse)
		return NULL;
	at = find_index(reuse, r->start);
	if (at == 0)
		return NULL;
	s = &reuse->seg[at - 1];
	if (s->start != r->start || s->end != r->end || !s->owned)
		return NULL;
	buf = s->data;
	s->owned = false;
	return buf;
}

/* Wanted mappings merged where one ends where the next begins: a static
 * object can straddle two mappings (libpython's .data and its .bss), and
 * one buffer for both keeps it readable in one piece. */
static size_t merge_regions(const struct phi_maps *maps, uint64_t max_bytes,
			    struct phi_image *img, struct region *out)
{
	size_t n = 0;

	for (size_t i = 0; i < maps->n; i++) {
		const struct phi_map *m = &maps->v[i];

		if (!wanted(m))
			continue;
		if (max_bytes && m->end - m->start > max_bytes) {
			img->skipped += m->end - m->start;
			img->nskipped++;
			continue;
		}
		if (n && out[n - 1].end == m->start)
			out[n - 1].end = m->end;
		else
			out[n++] = (struct region){ m->start, m->end };
	}
	return n;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* All chunks in one batched read, or, with a deadline, in pieces with
 * the clock checked between them. */
static int read_chunks(struct phi_reader *r, struct phi_iov *iov, size_t n,
		       const struct phi_snapshot_opts *o,
		       struct phi_error *err)
{
	bool fired = false;

	if (!o->deadline_ms)
		return phi_readv(r, iov, n, err);
	for (size_t i = 0; i < n; i += DEADLINE_PIECE) {
		size_t k = n - i < DEADLINE_PIECE ? n - i : DEADLINE_PIECE;
		int rc;

		if (!fired && now_ms() > o->deadline_ms && o->on_deadline) {
			o->on_deadline(o->ctx);
			fired = true;
		}
		rc = phi_readv(r, iov + i, k, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int phi_image_snapshot(struct phi_image *img, struct phi_reader *r,
		       const struct phi_maps *maps,
		       const struct phi_snapshot_opts *o,
		       struct phi_error *err)
{
	uint64_t max_bytes = o->max_bytes;
	struct phi_image *reuse = o->reuse;
	uint64_t total = 0, before = r->syscalls;
	size_t nchunks = 0, k = 0, nreg;
	struct region *reg = calloc(maps->n ? maps->n : 1, sizeof(*reg));
	struct phi_iov *iov = NULL;
	unsigned char **bufs = NULL;
	int rc = 0;

	if (!reg)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	nreg = merge_regions(maps, max_bytes, img, reg);
	for (size_t i = 0; i < nreg; i++) {
		total += reg[i].end - reg[i].start;
		nchunks += (reg[i].end - reg[i].start + CHUNK - 1) / CHUNK;
	}
	if (max_bytes && total > max_bytes) {
		rc = phi_error_set(err, PHI_E_NO_MEMORY,
				   "copying the target needs %llu MiB, more "
				   "than the --max-memory limit of %llu MiB",
				   (unsigned long long)(total >> 20),
				   (unsigned long long)(max_bytes >> 20));
		goto out;
	}
	iov = calloc(nchunks ? nchunks : 1, sizeof(*iov));
	bufs = calloc(nreg ? nreg : 1, sizeof(*bufs));
	if (!iov || !bufs) {
		rc = phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
		goto out;
	}
	/* Every chunk of every region, then one batched read. */
	for (size_t i = 0; i < nreg; i++) {
		size_t len = (size_t)(reg[i].end - reg[i].start);

		bufs[i] = take_buffer(reuse, &reg[i]);
		/* Faulted in before the copy, in huge pages: a fault per 4
		 * KiB page during the copy would be most of its time. */
		if (!bufs[i])
			bufs[i] = phi_big_alloc_now(len);
		if (!bufs[i]) {
			rc = phi_error_set(err, PHI_E_NO_MEMORY,
					   "out of memory copying a %zu-byte "
					   "mapping", len);
			goto out;
		}
		for (size_t off = 0; off < len; off += CHUNK, k++) {
			iov[k].addr = reg[i].start + off;
			iov[k].buf = bufs[i] + off;
			iov[k].len = len - off < CHUNK ? len - off : CHUNK;
		}
	}
	rc = read_chunks(r, iov, nchunks, o, err);
	img->syscalls += r->syscalls - before;
	k = 0;
	for (size_t i = 0; i < nreg && rc == 0; i++) {
		size_t n = (size_t)((reg[i].end - reg[i].start + CHUNK - 1) /
				    CHUNK);

		rc = keep_runs(img, bufs[i], iov + k, n, err);
		bufs[i] = NULL;
		k += n;
	}
out:
	for (size_t i = 0; bufs && i < nreg; i++)
		phi_big_free(bufs[i]);
	free(bufs);
	free(iov);
	free(reg);
	return rc;
}
