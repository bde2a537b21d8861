/* Copying a live process's memory into an image with as few syscalls as
 * possible: every wanted mapping cut into 1 MiB iovecs, read in one
 * batch (or in pieces when there is a deadline). */
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/base/bigmem.h"
#include "pyheapinspect/base/clock.h"
#include "pyheapinspect/base/progress.h"
#include "pyheapinspect/source/proc/copy.h"

/* Chunk of one iovec: a hole (a file mapping past EOF) costs at most this
 * much of the mapping, and 1024 of them make one syscall. */
#define CHUNK (1u << 20)
/* Chunks read between two looks at the clock when there is a deadline:
 * 16 MiB, a few milliseconds. */
#define DEADLINE_PIECE 16
/* Chunks read between two progress reports: 64 MiB. */
#define PROGRESS_PIECE 64

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

			rc = first ? phi_image_adopt(img, iov[i].addr,
						     iov[i].buf, len, err) :
				     phi_image_add(img, iov[i].addr, iov[i].buf,
						   len, true, err);
			handed |= first && rc == 0;
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
	return reuse ? phi_image_take(reuse, r->start, r->end) : NULL;
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

/* All chunks in one batched read, or, with a deadline, in pieces with
 * the clock checked between them. */
static int read_chunks(struct phi_reader *r, struct phi_iov *iov, size_t n,
		       const struct phi_copy_opts *o,
		       struct phi_error *err)
{
	bool fired = false;
	size_t piece = o->deadline_ms ? DEADLINE_PIECE : PROGRESS_PIECE;
	uint64_t done = 0, total = 0;

	if (!o->deadline_ms && !o->progress)
		return phi_readv(r, iov, n, err);
	for (size_t i = 0; i < n; i++)
		total += iov[i].len;
	for (size_t i = 0; i < n; i += piece) {
		size_t k = n - i < piece ? n - i : piece;
		int rc;

		if (o->deadline_ms && !fired && phi_now_ms() > o->deadline_ms &&
		    o->on_deadline) {
			o->on_deadline(o->ctx);
			fired = true;
		}
		rc = phi_readv(r, iov + i, k, err);
		if (rc < 0)
			return rc;
		if (o->progress) {
			for (size_t j = i; j < i + k; j++)
				done += iov[j].len;
			phi_progress_update(done, total);
		}
	}
	return 0;
}

int phi_copy_process(struct phi_image *img, struct phi_reader *r,
		     const struct phi_maps *maps, const struct phi_copy_opts *o,
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
