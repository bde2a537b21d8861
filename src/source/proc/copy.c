/* Copying a live process's memory into an image: the pages it uses, not
 * the address space it reserved.
 *
 * The plan: every wanted mapping gives runs of pages to read.  An ELF
 * object's mappings (and its .bss) are read whole: they are small, and
 * their pages hold static objects and type names whether or not the
 * target ever touched them.  Every other mapping gives only its resident
 * or swapped pages (pages.h), so an idle thread's 8 MiB stack costs the
 * few pages it used, and a page the target never touched reads as absent
 * in the image (no object can be there).  Swapped pages are read too:
 * process_vm_readv faults them back in, which is the one cost the copy
 * puts on the target (docs/performance.md).
 *
 * When the runs do not fit the memory budget, the interiors of the
 * longest are left out (a large object's header and its neighbours at
 * either end are kept) until they fill three quarters of it, and what is
 * left out is recorded as holes: references into them are counted, and
 * the report says what is missing.
 *
 * The buffers: runs closer together than SPAN_GAP share one mapping of
 * their span's length, in which only the runs are faulted in (the rest
 * is address space, never touched).  A buffer is aligned like the
 * target's addresses modulo 2 MiB, and 2 MiB windows that a run covers
 * whole are advised into huge pages.  With `reuse` (the warm copy taken
 * while the target ran), a span that has not changed takes the old
 * buffer over, and one that has gets the old pages moved into its new
 * buffer with mremap, so that the frozen copy faults in only pages that
 * are new since the warm one. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pyheapinspect/base/bigmem.h"
#include "pyheapinspect/base/budget.h"
#include "pyheapinspect/base/clock.h"
#include "pyheapinspect/base/progress.h"
#include "pyheapinspect/source/proc/copy.h"

/* One iovec at most: a hole (a file mapping past EOF) costs at most this
 * much of a run, and 1024 of them make one syscall. */
#define CHUNK ((uint64_t)1 << 20)
/* Chunks read between two looks at the clock when there is a deadline:
 * 16 MiB, a few milliseconds. */
#define DEADLINE_PIECE 16
/* Chunks read between two progress reports: 64 MiB. */
#define PROGRESS_PIECE 64
#define PAGE ((uint64_t)4096)
#define HUGE ((uint64_t)2 << 20)
/* Runs closer than this share one buffer. */
#define SPAN_GAP HUGE
/* Faulting in and reading: on two threads from this many bytes. */
#define PARALLEL_MIN ((uint64_t)64 << 20)
/* The largest private anonymous mapping whose untouched pages read as
 * zeros (larger: absent, like a sanitizer's shadow). */
#define ZERO_MAX ((uint64_t)64 << 30)
/* What a cut keeps at each end of a run. */
#define KEEP ((uint64_t)1 << 20)
/* An unnamed mapping right after an ELF object's last file mapping is
 * its .bss, read whole up to this size. */
#define BSS_MAX ((uint64_t)64 << 20)

enum policy { SKIP, WHOLE, RESIDENT };

static bool wanted(const struct phi_map *m)
{
	if (!(m->perms & PHI_MAP_R) || (m->perms & PHI_MAP_X))
		return false;
	/* [vvar] faults on read; [vsyscall] and [vdso] hold no objects. */
	return m->path[0] != '[' || strcmp(m->path, "[heap]") == 0 ||
	       strncmp(m->path, "[stack", 6) == 0 ||
	       strncmp(m->path, "[anon", 5) == 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The inodes of files mapped executable somewhere: ELF objects. */
struct elf_set {
	uint64_t *v;
	size_t n;
};

static int elf_set_build(struct elf_set *s, const struct phi_maps *maps)
{
	s->n = 0;
	s->v = malloc((maps->n ? maps->n : 1) * sizeof(*s->v));
	if (!s->v)
		return -1;
	for (size_t i = 0; i < maps->n; i++)
		if ((maps->v[i].perms & PHI_MAP_X) &&
		    phi_map_is_file(&maps->v[i]) && maps->v[i].inode)
			s->v[s->n++] = maps->v[i].inode;
	qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
	return 0;
}

static bool is_elf(const struct elf_set *s, const struct phi_map *m)
{
	return phi_map_is_file(m) && m->inode &&
	       bsearch(&m->inode, s->v, s->n, sizeof(*s->v), cmp_u64);
}

/* A mapping of an ELF object, or its .bss (the unnamed mapping right
 * after its last file mapping). */
static bool elf_part(const struct phi_maps *maps, size_t i,
		     const struct elf_set *elf)
{
	const struct phi_map *m = &maps->v[i], *prev = i ? &maps->v[i - 1] :
							  NULL;

	return is_elf(elf, m) ||
	       (!m->path[0] && prev && prev->end == m->start &&
		is_elf(elf, prev) && m->end - m->start <= BSS_MAX);
}

static enum policy policy_of(const struct phi_maps *maps, size_t i,
			     const struct elf_set *elf,
			     const struct phi_pages *pg)
{
	if (!wanted(&maps->v[i]))
		return SKIP;
	if (!pg || pg->mode == PHI_PAGES_NONE || elf_part(maps, i, elf))
		return WHOLE;
	return RESIDENT;
}

/* Every run of every wanted mapping, in address order; the ELF objects'
 * mappings also in *pinned: the cut never touches them (the runtime's
 * state is there); [heap] and [stack] in *late: cut last. */
/* A private anonymous mapping: a page of it the target never wrote
 * reads as zeros there, so it reads as zeros in the image too (pymalloc's
 * arena map, a calloc'd table: the zeros mean something).  Up to
 * ZERO_MAX: that much address space is mirrored (never touched). */
static bool private_anon(const struct phi_map *m)
{
	return !(m->perms & PHI_MAP_SHARED) &&
	       (!m->path[0] || strcmp(m->path, "[heap]") == 0 ||
		strncmp(m->path, "[stack", 6) == 0 ||
		strncmp(m->path, "[anon", 5) == 0) &&
	       m->end - m->start <= ZERO_MAX;
}

static int plan(const struct phi_maps *maps, struct phi_pages *pg,
		struct phi_runs *runs, struct phi_runs *pinned,
		struct phi_runs *late, struct phi_runs *zeros,
		struct phi_copy_stats *st, struct phi_image *img,
		struct phi_error *err)
{
	struct elf_set elf;
	int rc = 0;

	if (elf_set_build(&elf, maps) < 0)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < maps->n && rc == 0; i++) {
		const struct phi_map *m = &maps->v[i];
		enum policy p = policy_of(maps, i, &elf, pg);
		uint64_t len = m->end - m->start;
		int r = -2;

		if (p == SKIP)
			continue;
		st->mapped += len;
		if (m->path[0] == '[' && m->path[1] != 'a' &&
		    phi_runs_push(late, m->start, m->end) < 0)
			r = -1;
		if (p == RESIDENT && private_anon(m) &&
		    phi_runs_push(zeros, m->start, m->end) < 0)
			r = -1;
		if (p == RESIDENT && r == -2)
			r = phi_pages_find(pg, m->start, m->end, runs,
					   &st->swapped);
		if (r == -2 && p == RESIDENT && len > PHI_PAGES_READ_MAX) {
			/* Too large to scan page by page, and far too large
			 * to copy whole (a sanitizer's shadow). */
			img->skipped += len;
			img->nskipped++;
			rc = phi_image_add_hole(img, m->start, m->end, err);
			continue;
		}
		if (r == -2) {
			st->whole += len;
			r = phi_runs_push(runs, m->start, m->end);
			if (r == 0 && elf_part(maps, i, &elf))
				r = phi_runs_push(pinned, m->start, m->end);
		}
		if (r < 0)
			rc = phi_error_set(err, PHI_E_NO_MEMORY,
					   "out of memory listing the pages "
					   "of process");
	}
	free(elf.v);
	return rc;
}

static uint64_t runs_bytes(const struct phi_run *v, size_t n)
{
	uint64_t t = 0;

	for (size_t i = 0; i < n; i++)
		t += v[i].end - v[i].start;
	return t;
}

/* Run indices by length, longest first. */
static int by_length(const void *a, const void *b, void *ctx)
{
	const struct phi_run *v = ctx;
	const struct phi_run *x = &v[*(const size_t *)a];
	const struct phi_run *y = &v[*(const size_t *)b];
	uint64_t lx = x->end - x->start, ly = y->end - y->start;

	if (lx != ly)
		return lx > ly ? -1 : 1;
	return x->start < y->start ? -1 : 1;
}

/* Whether r overlaps a pinned run. */
static bool is_pinned(const struct phi_runs *pinned, const struct phi_run *r)
{
	size_t lo = 0, hi = pinned->n;

	/* First pinned run that ends after r starts. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (pinned->v[mid].end <= r->start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < pinned->n && pinned->v[lo].start < r->end;
}

/* What is cut out of run i: [cs, ce); whole runs have cs == start. */
struct cut {
	uint64_t cs, ce;
};

/* Leave out the interiors of the longest runs, then whole runs, until
 * the rest is at most `target` bytes; rebuild runs without them and
 * record the holes. */
static bool spared(const struct phi_runs *pinned,
		   const struct phi_runs *late, const struct phi_run *r)
{
	return is_pinned(pinned, r) || (late && is_pinned(late, r));
}

/* The interiors of the longest runs, longest first. */
static void cut_interiors(const struct phi_run *v, const size_t *order,
			  struct cut *cut, size_t n, uint64_t *total,
			  uint64_t target, const struct phi_runs *pinned,
			  const struct phi_runs *late)
{
	for (size_t k = 0; k < n && *total > target; k++) {
		const struct phi_run *r = &v[order[k]];

		if (r->end - r->start <= 2 * KEEP + PAGE)
			break;
		if (cut[order[k]].ce || spared(pinned, late, r))
			continue;
		cut[order[k]] = (struct cut){ r->start + KEEP, r->end - KEEP };
		*total -= r->end - r->start - 2 * KEEP;
	}
}

/* Then whole runs, longest first. */
static void cut_whole(const struct phi_run *v, const size_t *order,
		      struct cut *cut, size_t n, uint64_t *total,
		      uint64_t target, const struct phi_runs *pinned,
		      const struct phi_runs *late)
{
	for (size_t k = 0; k < n && *total > target; k++) {
		const struct phi_run *r = &v[order[k]];
		struct cut *c = &cut[order[k]];

		if ((c->cs == r->start && c->ce == r->end) ||
		    spared(pinned, late, r))
			continue;
		*total -= c->ce ? 2 * KEEP : r->end - r->start;
		*c = (struct cut){ r->start, r->end };
	}
}

static int cut_to(struct phi_runs *runs, const struct phi_runs *pinned,
		  const struct phi_runs *late, uint64_t target,
		  struct phi_image *img, struct phi_error *err)
{
	size_t n = runs->n, *order = malloc((n ? n : 1) * sizeof(*order));
	struct cut *cut = calloc(n ? n : 1, sizeof(*cut));
	uint64_t total = runs_bytes(runs->v, n);
	struct phi_runs out = { 0 };
	int rc = 0;

	if (!order || !cut) {
		rc = phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), by_length, runs->v);
	/* The interpreter's own structures (the interpreter and thread
	 * states, malloc'd early) are in [heap]: it goes last. */
	for (int level = 0; level < 2; level++) {
		const struct phi_runs *spare = level ? NULL : late;

		cut_interiors(runs->v, order, cut, n, &total, target, pinned,
			      spare);
		cut_whole(runs->v, order, cut, n, &total, target, pinned,
			  spare);
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct phi_run *r = &runs->v[i];
		const struct cut *c = &cut[i];

		if (!c->ce) {
			rc = phi_runs_push(&out, r->start, r->end);
			continue;
		}
		img->skipped += c->ce - c->cs;
		img->nskipped++;
		if (phi_runs_push(&out, r->start, c->cs) < 0 ||
		    phi_runs_push(&out, c->ce, r->end) < 0)
			rc = -1;
		if (rc == 0)
			rc = phi_image_add_hole(img, c->cs, c->ce, err);
	}
	if (rc == -1)
		rc = phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	if (rc == 0) {
		phi_runs_release(runs);
		*runs = out;
		out = (struct phi_runs){ 0 };
	}
done:
	phi_runs_release(&out);
	free(order);
	free(cut);
	return rc;
}

/* A mapping for [start, end) whose data is congruent to start modulo
 * 2 MiB, so that the target's huge-page windows are ours too.  Address
 * space only: nothing is touched here, and nothing is reserved. */
static int new_backing(struct phi_backing *b, uint64_t start, uint64_t end)
{
	size_t len = (size_t)(end - start), map_len = len + HUGE;
	uintptr_t base, off;
	void *m;

	memset(b, 0, sizeof(*b));
	m = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	base = (uintptr_t)m;
	off = (uintptr_t)((start % HUGE + HUGE - base % HUGE) % HUGE);
	*b = (struct phi_backing){ .start = start, .end = end,
				   .data = (unsigned char *)(base + off),
				   .map = m, .map_len = map_len };
	return 0;
}

static unsigned char *local(const struct phi_backing *b, uint64_t addr)
{
	return b->data + (addr - b->start);
}

/* Move what the old buffer holds of [lo, hi) into b, in pieces that
 * never cross a 2 MiB boundary (the old mapping may be split there by
 * the huge-page advice, and mremap moves within one mapping only).
 *
 * The old mapping must keep its address range (MREMAP_DONTUNMAP: it
 * stays mapped, empty): a plain move would leave a hole in it, the
 * kernel would place a later buffer (ours, or another thread's malloc)
 * in that hole, and freeing the old buffer, which unmaps its whole
 * range, would then unmap that one too.  Where the flag is refused
 * (Linux before 5.7) nothing is moved.  Stops at the first failure:
 * those pages are faulted in afresh by the copy. */
static void move_pages(struct phi_backing *b, const struct phi_backing *old,
		       uint64_t lo, uint64_t hi)
{
	for (uint64_t a = lo; a < hi;) {
		uint64_t next = (a / HUGE + 1) * HUGE, n;

		if (next > hi)
			next = hi;
		n = next - a;
		if (mremap(local(old, a), n, n,
			   MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP,
			   local(b, a)) == MAP_FAILED)
			return;
		a = next;
	}
}

/* The old buffers that overlap [start, end): one that is exactly it is
 * taken over; the others have their overlapping pages moved into b.
 * Either way their bytes go back to the budget (b takes its own). */
static void reuse_pages(struct phi_backing *b, uint64_t start, uint64_t end,
			struct phi_image *reuse)
{
	for (size_t i = 0; reuse && i < reuse->nback; i++) {
		struct phi_backing *old = &reuse->back[i];
		uint64_t lo, hi;

		if (!old->map || old->end <= start || old->start >= end)
			continue;
		phi_budget_give(old->taken);
		old->taken = 0;
		if (old->start == start && old->end == end && !b->map) {
			*b = *old;
			memset(old, 0, sizeof(*old));
			return;
		}
		if (!b->map && new_backing(b, start, end) < 0)
			return;
		lo = old->start > start ? old->start : start;
		hi = old->end < end ? old->end : end;
		move_pages(b, old, lo, hi);
	}
}

/* Huge pages for the 2 MiB windows that one run covers whole. */
static void advise_huge(const struct phi_backing *b, const struct phi_run *r)
{
	uint64_t lo = (r->start + HUGE - 1) / HUGE * HUGE;
	uint64_t hi = r->end / HUGE * HUGE;

	if (hi > lo)
		madvise(local(b, lo), (size_t)(hi - lo), MADV_HUGEPAGE);
}

/* Local ranges to fault in, faulted in together (on two threads when
 * there is much). */
struct fill {
	unsigned char *p;
	size_t len;
};

struct fills {
	struct fill *v;
	size_t n, cap;
	uint64_t bytes;
	bool progress;   /* the calling thread reports its half */
};

static int push_fill(struct fills *f, unsigned char *p, size_t len)
{
	if (f->n == f->cap) {
		size_t ncap = f->cap ? f->cap * 2 : 256;
		struct fill *v = phi_big_realloc(f->v, ncap * sizeof(*v));

		if (!v)
			return -1;
		f->v = v;
		f->cap = ncap;
	}
	f->v[f->n++] = (struct fill){ p, len };
	f->bytes += len;
	return 0;
}

/* The buffer of span [start, end): reused, or new; its runs
 * advised into huge pages and queued to be faulted in (but those the
 * old copy had faulted in already: their pages were moved or taken
 * over), and taken from the budget. */
static int span_backing(struct phi_backing *b, uint64_t start, uint64_t end,
			const struct phi_run *runs, size_t n,
			struct phi_image *reuse, struct fills *fills,
			struct phi_error *err)
{
	uint64_t bytes = runs_bytes(runs, n);
	bool thp = phi_big_thp();

	memset(b, 0, sizeof(*b));
	reuse_pages(b, start, end, reuse);
	if (!b->map && new_backing(b, start, end) < 0)
		return phi_error_set(err, PHI_E_NO_MEMORY,
				     "out of address space for a %llu-byte "
				     "copy", (unsigned long long)(end - start));
	if (!phi_budget_take(bytes)) {
		phi_backing_free(b);
		return phi_error_set(err, PHI_E_NO_MEMORY,
				     "out of memory copying %llu bytes of "
				     "the target (memory budget)",
				     (unsigned long long)bytes);
	}
	b->taken = bytes;
	for (size_t i = 0; i < n; i++) {
		uint64_t len = runs[i].end - runs[i].start;

		if (reuse && phi_image_filled(reuse, runs[i].start,
					      runs[i].end))
			continue;
		if (thp)
			advise_huge(b, &runs[i]);
		/* Faulted in before the copy: a fault per page during the
		 * copy would be most of its time. */
		if (push_fill(fills, local(b, runs[i].start), (size_t)len) < 0)
			return phi_error_set(err, PHI_E_NO_MEMORY,
					     "out of memory");
	}
	return 0;
}

/* Work split between this thread and a helper: the first `mid` items
 * here, the rest there (every signal blocked in it: the handlers that
 * thaw the target must run on the freezing thread).  Inline when no
 * thread can be created. */
struct halves {
	void (*fn)(void *arg, size_t from, size_t to);
	void *arg;
	size_t mid, n;
};

static void *second_half(void *arg)
{
	struct halves *h = arg;

	h->fn(h->arg, h->mid, h->n);
	return NULL;
}

static void run_halves(struct halves *h)
{
	sigset_t all, old;
	pthread_t th;
	bool helper;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	helper = pthread_create(&th, NULL, second_half, h) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	h->fn(h->arg, 0, h->mid);
	if (helper)
		pthread_join(th, NULL);
	else
		h->fn(h->arg, h->mid, h->n);
}

static void fill_range(void *arg, size_t from, size_t to)
{
	const struct fills *f = arg;
	uint64_t done = 0, total = 0;
	bool progress = f->progress && from == 0;

	for (size_t i = from; progress && i < to; i++)
		total += f->v[i].len;
	for (size_t i = from; i < to; i++) {
		phi_big_populate(f->v[i].p, f->v[i].len);
		done += f->v[i].len;
		if (progress)
			phi_progress_update(done, total);
	}
}

/* Where the items' bytes are halved. */
static size_t half_point(const struct fills *f)
{
	uint64_t acc = 0;
	size_t i = 0;

	while (i < f->n && acc < f->bytes / 2)
		acc += f->v[i++].len;
	return i;
}

/* Fault the queued ranges in: on both CPUs when there is much (on the
 * VMs the tool runs on, the first touch of fresh memory is most of the
 * cost of a large copy, and it is done per CPU). */
static void fill_all(const struct fills *f)
{
	struct halves h = { fill_range, (void *)f, 0, f->n };

	if (f->bytes < PARALLEL_MIN) {
		fill_range((void *)f, 0, f->n);
		return;
	}
	h.mid = half_point(f);
	run_halves(&h);
}

/* All chunks in one batched read, or, with a deadline, in pieces with
 * the clock checked between them (by the calling thread: it is the one
 * that may thaw). */
static int read_pieces(struct phi_reader *r, struct phi_iov *iov, size_t n,
		       const struct phi_copy_opts *o, bool may_thaw,
		       struct phi_error *err)
{
	bool fired = !may_thaw, progress = o->progress && may_thaw;
	size_t piece = o->deadline_ms ? DEADLINE_PIECE : PROGRESS_PIECE;
	uint64_t done = 0, total = 0;

	/* The progress line is the calling thread's (its half: the other
	 * goes as fast). */
	if (!o->deadline_ms && !progress)
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
		if (progress) {
			for (size_t j = i; j < i + k; j++)
				done += iov[j].len;
			phi_progress_update(done, total);
		}
	}
	return 0;
}

/* The second half of a read, by a helper with a reader of its own. */
struct read_job {
	struct phi_reader *r, helper;
	struct phi_iov *iov;
	const struct phi_copy_opts *o;
	int rc[2];
	struct phi_error err[2];
};

static void read_range(void *arg, size_t from, size_t to)
{
	struct read_job *j = arg;
	int h = from != 0;

	j->rc[h] = read_pieces(h ? &j->helper : j->r, j->iov + from,
			       to - from, j->o, !h, &j->err[h]);
}

static int read_chunks(struct phi_reader *r, struct phi_iov *iov, size_t n,
		       uint64_t bytes, const struct phi_copy_opts *o,
		       struct phi_error *err)
{
	struct read_job j = { .r = r, .iov = iov, .o = o };
	struct halves h = { read_range, &j, n / 2, n };
	uint64_t acc = 0;

	/* Both CPUs copy when there is much (most chunks are 1 MiB:
	 * halved by bytes, near enough). */
	if (bytes < PARALLEL_MIN || n < 2)
		return read_pieces(r, iov, n, o, true, err);
	for (h.mid = 0; h.mid < n && acc < bytes / 2; h.mid++)
		acc += iov[h.mid].len;
	phi_reader_init(&j.helper, r->pid);
	j.helper.no_vm_readv = r->no_vm_readv;
	run_halves(&h);
	r->syscalls += j.helper.syscalls;
	r->bytes += j.helper.bytes;
	phi_reader_close(&j.helper);
	for (int k = 0; k < 2; k++)
		if (j.rc[k] < 0) {
			*err = j.err[k];
			return j.rc[k];
		}
	return 0;
}

static size_t chunks_of(const struct phi_run *r)
{
	return (size_t)((r->end - r->start + CHUNK - 1) / CHUNK);
}

/* What the image must not show, whatever the extents say: the parts of
 * the runs that were not read (short reads, counted as unreadable, or
 * not read yet by a warm copy) and the cut's holes.  Sorted and merged. */
static int cmp_run(const void *a, const void *b)
{
	const struct phi_run *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int bad_ranges(struct phi_image *img, const struct phi_iov *iov,
		      size_t n, const struct phi_runs *unread,
		      struct phi_runs *out)
{
	struct phi_runs all = { 0 };
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		img->unreadable += iov[i].len - iov[i].got;
		if (iov[i].got < iov[i].len)
			rc = phi_runs_push(&all, iov[i].addr + iov[i].got,
					   iov[i].addr + iov[i].len);
	}
	for (size_t i = 0; i < unread->n && rc == 0; i++)
		rc = phi_runs_push(&all, unread->v[i].start, unread->v[i].end);
	for (size_t i = 0; i < img->nholes && rc == 0; i++)
		rc = phi_runs_push(&all, img->holes[i].start,
				   img->holes[i].end);
	/* Pushed in three sorted groups: sort, then merge (push clips). */
	if (rc == 0 && all.n)
		qsort(all.v, all.n, sizeof(*all.v), cmp_run);
	for (size_t i = 0; i < all.n && rc == 0; i++)
		rc = phi_runs_push(out, all.v[i].start, all.v[i].end);
	phi_runs_release(&all);
	return rc;
}

/* The extents of the image: every run, and every private anonymous
 * mapping whole (its untouched pages zeros); sorted, merged. */
static int extents_of(const struct phi_runs *runs, const struct phi_runs *zeros,
		      struct phi_runs *out)
{
	size_t i = 0, j = 0;
	int rc = 0;

	while (rc == 0 && (i < runs->n || j < zeros->n)) {
		const struct phi_run *r;

		if (j == zeros->n ||
		    (i < runs->n && runs->v[i].start <= zeros->v[j].start))
			r = &runs->v[i++];
		else
			r = &zeros->v[j++];
		rc = phi_runs_push(out, r->start, r->end);
	}
	return rc;
}

/* Segments: each extent of a backing, less the bad ranges. */
static int add_segments(struct phi_image *img, const struct phi_backing *b,
			const struct phi_run *ext, size_t n,
			const struct phi_runs *bad, size_t *bi,
			struct phi_error *err)
{
	int rc = 0;

	for (size_t k = 0; k < n && rc == 0; k++) {
		uint64_t at = ext[k].start, end = ext[k].end;

		while (*bi < bad->n && bad->v[*bi].end <= at)
			(*bi)++;
		for (size_t x = *bi; at < end && rc == 0; x++) {
			uint64_t stop = x < bad->n && bad->v[x].start < end ?
					bad->v[x].start : end;

			if (stop > at)
				rc = phi_image_add(img, at, local(b, at),
						   (size_t)(stop - at), false,
						   err);
			if (x >= bad->n || bad->v[x].start >= end)
				break;
			at = bad->v[x].end;
		}
	}
	return rc;
}

/* Bytes the budget holds for reuse's buffers: they come back as the
 * new copy takes them over. */
static uint64_t reuse_taken(const struct phi_image *reuse)
{
	uint64_t t = 0;

	for (size_t i = 0; reuse && i < reuse->nback; i++)
		t += reuse->back[i].taken;
	return t;
}

/* Whether run r is read by a copy that only prepares (the warm copy):
 * what the caller looks at before the freeze (the ELF objects' data, the
 * brk heap), the rest only faulted in. */
static bool read_now(const struct phi_run *r, const struct phi_copy_opts *o,
		     const struct phi_runs *pinned, const struct phi_runs *late)
{
	return !o->prepare || spared(pinned, late, r);
}

/* The buffers of every span of extents, then every chunk of every run
 * to read in one batched read, then the segments. */
static int copy_runs(struct phi_image *img, struct phi_reader *r,
		     const struct phi_runs *runs, const struct phi_runs *pinned,
		     const struct phi_runs *late, const struct phi_runs *zeros,
		     const struct phi_copy_opts *o, struct phi_error *err)
{
	size_t nchunks = 0, k = 0, ri = 0, nb = 0, bi = 0;
	uint64_t bytes = 0, held = 0;
	struct fills fills = { .progress = o->progress };
	struct phi_runs ext = { 0 }, unread = { 0 }, bad = { 0 };
	struct phi_iov *iov;
	size_t *span_end = NULL;
	int rc;

	for (size_t i = 0; i < runs->n; i++)
		nchunks += chunks_of(&runs->v[i]);
	iov = phi_big_calloc(nchunks ? nchunks : 1, sizeof(*iov));
	rc = iov ? extents_of(runs, zeros, &ext) : -1;
	if (rc == 0)
		span_end = malloc((ext.n ? ext.n : 1) * sizeof(*span_end));
	if (rc < 0 || !span_end) {
		rc = phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ext.n && rc == 0;) {
		size_t j = i + 1, r0 = ri;
		struct phi_backing b;
		uint64_t end;

		while (j < ext.n && ext.v[j].start - ext.v[j - 1].end <=
					    SPAN_GAP)
			j++;
		end = ext.v[j - 1].end;
		while (ri < runs->n && runs->v[ri].start < end)
			ri++;
		rc = span_backing(&b, ext.v[i].start, end, &runs->v[r0],
				  ri - r0, o->reuse, &fills, err);
		if (rc == 0) {
			rc = phi_image_add_backing(img, &b, err);
			if (rc < 0)
				phi_backing_free(&b);
		}
		span_end[nb++] = j;
		for (size_t q = r0; q < ri && rc == 0; q++) {
			const struct phi_run *run = &runs->v[q];

			rc = phi_image_add_filled(img, run->start, run->end,
						  err);
			if (rc == 0 && !read_now(run, o, pinned, late)) {
				if (phi_runs_push(&unread, run->start,
						  run->end) < 0)
					rc = phi_error_set(err,
							   PHI_E_NO_MEMORY,
							   "out of memory");
				continue;
			}
			bytes += run->end - run->start;
			for (uint64_t a = run->start; a < run->end;
			     a += CHUNK, k++) {
				iov[k].addr = a;
				iov[k].buf = local(&b, a);
				iov[k].len = (size_t)(run->end - a < CHUNK ?
						      run->end - a : CHUNK);
			}
		}
		i = j;
	}
	if (rc == 0) {
		uint64_t before = r->syscalls;

		fill_all(&fills);
		rc = read_chunks(r, iov, k, bytes, o, err);
		img->syscalls += r->syscalls - before;
	}
	if (rc == 0 && bad_ranges(img, iov, k, &unread, &bad) < 0)
		rc = phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	/* The backings were added in span order: backing s holds extents
	 * [span_end[s - 1], span_end[s]).  Every byte read lands in a
	 * segment; the rest of them is zeros. */
	held = img->bytes;
	for (size_t q = 0; q < k; q++)
		held += iov[q].got;
	for (size_t sp = 0, e0 = 0; sp < nb && rc == 0; sp++) {
		const struct phi_backing *b = &img->back[img->nback - nb + sp];

		rc = add_segments(img, b, &ext.v[e0], span_end[sp] - e0, &bad,
				  &bi, err);
		e0 = span_end[sp];
	}
	if (rc == 0 && img->bytes > held)
		img->zeros += img->bytes - held;
out:
	free(span_end);
	phi_runs_release(&ext);
	phi_runs_release(&unread);
	phi_runs_release(&bad);
	phi_big_free(fills.v);
	phi_big_free(iov);
	return rc;
}

int phi_copy_process(struct phi_image *img, struct phi_reader *r,
		     const struct phi_maps *maps, const struct phi_copy_opts *o,
		     struct phi_error *err)
{
	struct phi_copy_stats local_stats = { 0 };
	struct phi_copy_stats *st = o->stats ? o->stats : &local_stats;
	struct phi_runs runs = { 0 }, pinned = { 0 }, late = { 0 },
			zeros = { 0 };
	uint64_t avail, total;
	int rc;

	memset(st, 0, sizeof(*st));
	rc = plan(maps, o->pages, &runs, &pinned, &late, &zeros, st, img,
		  err);
	total = runs_bytes(runs.v, runs.n);
	st->planned = total;
	/* What the budget has left, with what the old copy holds (it is
	 * handed over), and the caller's own cap. */
	avail = phi_budget_left();
	if (avail != PHI_BUDGET_NONE)
		avail += reuse_taken(o->reuse);
	if (o->max_bytes && o->max_bytes < avail)
		avail = o->max_bytes;
	if (rc == 0 && total > avail) {
		if (o->refuse_cut)
			rc = phi_error_set(err, PHI_E_NO_MEMORY,
					   "copying the target needs %llu MiB, "
					   "more than the memory budget "
					   "leaves (%llu MiB)",
					   (unsigned long long)(total >> 20),
					   (unsigned long long)(avail >> 20));
		else
			rc = cut_to(&runs, &pinned, &late, avail / 2, img,
				    err);
	}
	/* Pages that are not resident (swapped out, or whole mappings of
	 * unknown residency) fault in on the target's side when read: that
	 * belongs before the freeze, so a warm copy then reads them all. */
	if (o->prepare && (st->swapped || !o->pages ||
			   o->pages->mode == PHI_PAGES_NONE)) {
		struct phi_copy_opts all = *o;

		all.prepare = false;
		if (rc == 0)
			rc = copy_runs(img, r, &runs, &pinned, &late, &zeros,
				       &all, err);
	} else if (rc == 0) {
		rc = copy_runs(img, r, &runs, &pinned, &late, &zeros, o,
			       err);
	}
	phi_runs_release(&runs);
	phi_runs_release(&pinned);
	phi_runs_release(&late);
	phi_runs_release(&zeros);
	return rc;
}
