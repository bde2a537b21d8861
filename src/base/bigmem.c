/* Large arrays in mappings of their own (see bigmem.h for why).
 *
 * A 64-byte header before the data records the block's origin, so the
 * calls look like malloc's.  A mapping starts on a 2 MiB boundary and is
 * advised MADV_HUGEPAGE; growth uses mremap, which moves page tables
 * instead of copying data.  New ranges are faulted in ahead of use by
 * the prefaulter thread below, or at once by phi_big_alloc_now; with
 * neither THP nor the thread, they are populated at once (a quarter of
 * the cost of faulting page by page).
 * Under AddressSanitizer every block comes from malloc, whose red zones
 * catch overruns that a private mapping would let through. */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pyheapinspect/base/bigmem.h"
#include "pyheapinspect/base/budget.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

#define HEADER ((size_t)64)
#define PAGE ((size_t)4096)
#define HUGE ((size_t)2 << 20)
/* Below this no huge page fits, and malloc's memory (often reused, so
 * already faulted in) is the better deal. */
#define MIN_MAPPED (HUGE - HUGE / 16)
/* One madvise call holds the process's mmap lock for its whole range:
 * chunks let another thread (the layout thread, whose allocations need
 * that lock) get in between. */
#define POPULATE_CHUNK HUGE

#if defined(__SANITIZE_ADDRESS__)
#define PHI_BIGMEM_MALLOC 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PHI_BIGMEM_MALLOC 1
#endif
#endif

struct header {
	size_t map_len; /* the mapping, header included; 0: from calloc */
	size_t bytes;   /* asked for (for calloc'd blocks) */
};

static void populate_now(void *p, size_t len)
{
	uintptr_t start = ((uintptr_t)p + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
	uintptr_t end = ((uintptr_t)p + len) & ~(uintptr_t)(PAGE - 1);

	/* Older kernels refuse the advice (EINVAL) and the pages fault in
	 * on first use instead. */
	for (uintptr_t a = start; a < end; a += POPULATE_CHUNK) {
		size_t n = end - a < POPULATE_CHUNK ? end - a : POPULATE_CHUNK;

		if (madvise((void *)a, n, MADV_POPULATE_WRITE) < 0)
			return;
	}
}

void phi_big_populate(void *p, size_t len)
{
	populate_now(p, len);
}

void *phi_big_calloc(size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		return NULL;
	return phi_big_alloc(nmemb * size);
}

/* Every block is taken from the memory budget (base/budget.h) before
 * it is allocated, and given back when it is freed: a mapping for its
 * whole length (it is faulted in whole), a calloc'd block for its size
 * and header. */
static void *from_calloc(size_t bytes)
{
	unsigned char *base;

	if (bytes > SIZE_MAX - HEADER || !phi_budget_take(bytes + HEADER))
		return NULL;
	base = calloc(1, bytes + HEADER);
	if (!base) {
		phi_budget_give(bytes + HEADER);
		return NULL;
	}
	((struct header *)base)->map_len = 0;
	((struct header *)base)->bytes = bytes;
	return base + HEADER;
}

/* 128 KiB is glibc's default threshold, fixed (mallopt turns its
 * growth off): blocks above it are mappings of their own, unmapped when
 * freed, and the heap's top is given back past the same size. */
void phi_big_malloc_policy(void)
{
#if defined(__GLIBC__) && !defined(PHI_BIGMEM_MALLOC)
	mallopt(M_MMAP_THRESHOLD, 128 << 10);
	mallopt(M_TRIM_THRESHOLD, 128 << 10);
#endif
}

void phi_big_malloc_trim(void)
{
#if defined(__GLIBC__) && !defined(PHI_BIGMEM_MALLOC)
	malloc_trim(0);
#endif
}

#ifdef PHI_BIGMEM_MALLOC
bool phi_big_thp(void)
{
	return false;
}

void *phi_big_alloc(size_t bytes)
{
	return from_calloc(bytes);
}

void *phi_big_alloc_now(size_t bytes)
{
	return from_calloc(bytes);
}

void *phi_big_realloc(void *p, size_t bytes)
{
	unsigned char *base, *nbase;
	size_t old;

	if (!p)
		return phi_big_alloc(bytes);
	if (bytes > SIZE_MAX - HEADER)
		return NULL;
	base = (unsigned char *)p - HEADER;
	old = ((struct header *)base)->bytes;
	if (bytes > old && !phi_budget_take(bytes - old))
		return NULL;
	nbase = realloc(base, bytes + HEADER);
	if (!nbase) {
		if (bytes > old)
			phi_budget_give(bytes - old);
		return NULL;
	}
	if (bytes > old)
		memset(nbase + HEADER + old, 0, bytes - old);
	else
		phi_budget_give(old - bytes);
	((struct header *)nbase)->bytes = bytes;
	return nbase + HEADER;
}

void phi_big_free(void *p)
{
	if (p) {
		unsigned char *base = (unsigned char *)p - HEADER;

		phi_budget_give(((struct header *)base)->bytes + HEADER);
		free(base);
	}
}
#else
/* Whether the kernel gives huge pages to advised mappings; read once,
 * whichever thread asks first. */
static bool thp_enabled;
static pthread_once_t thp_once = PTHREAD_ONCE_INIT;

static void read_thp(void)
{
	char line[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	thp_enabled = strstr(line, "[always]") || strstr(line, "[madvise]");
}

bool phi_big_thp(void)
{
	pthread_once(&thp_once, read_thp);
	return thp_enabled;
}

static size_t map_len_for(size_t bytes)
{
	if (bytes > SIZE_MAX - HEADER - HUGE)
		return 0;
	return (bytes + HEADER + PAGE - 1) & ~(PAGE - 1);
}

/* Fresh mappings are faulted in by a thread of their own, ahead of the
 * code that will write them: the walk fills the graph's arrays front to
 * back over hundreds of milliseconds, while the other CPU has little to
 * do, and the kernel's zeroing of fresh pages is much of a run's time
 * on a VM (docs/performance.md).  Whoever touches a page first faults
 * it; a range freed or moved meanwhile makes madvise fail, which is
 * fine: the ranges are hints. */
#define QUEUE_LEN 64

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct {
		uintptr_t start;
		size_t len;
	} q[QUEUE_LEN];
	unsigned head, tail; /* q[head % QUEUE_LEN] is the next to do */
	bool started, failed;
} pf = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void *prefaulter(void *arg)
{
	(void)arg;
	for (;;) {
		uintptr_t start;
		size_t len;

		pthread_mutex_lock(&pf.mu);
		while (pf.head == pf.tail)
			pthread_cond_wait(&pf.cv, &pf.mu);
		start = pf.q[pf.head % QUEUE_LEN].start;
		len = pf.q[pf.head % QUEUE_LEN].len;
		pf.head++;
		pthread_mutex_unlock(&pf.mu);
		populate_now((void *)start, len);
	}
	return NULL;
}

/* Started on first use, with every signal blocked: the handlers that
 * thaw the target must run on the thread that froze it. */
static bool start_prefaulter(void)
{
	sigset_t all, old;
	pthread_t th;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&th, NULL, prefaulter, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return false;
	pthread_detach(th);
	return true;
}

/* Queue [start, start + len) for the prefaulter; false when it can not
 * take it (no thread, queue full), and the caller's first touches will
 * fault the pages in. */
static bool prefault_async(void *start, size_t len)
{
	bool queued = false;

	pthread_mutex_lock(&pf.mu);
	if (!pf.started && !pf.failed) {
		pf.started = start_prefaulter();
		pf.failed = !pf.started;
	}
	if (pf.started && pf.tail - pf.head < QUEUE_LEN) {
		pf.q[pf.tail % QUEUE_LEN].start = (uintptr_t)start;
		pf.q[pf.tail % QUEUE_LEN].len = len;
		pf.tail++;
		pthread_cond_signal(&pf.cv);
		queued = true;
	}
	pthread_mutex_unlock(&pf.mu);
	return queued;
}

/* [from, to) of a mapping is new: in huge pages where the kernel gives
 * them, and faulted in now, or ahead by the prefaulter (without THP and
 * without the thread, now too). */
static void prepare(unsigned char *base, size_t from, size_t to, bool now)
{
	bool thp = phi_big_thp();

	from &= ~(PAGE - 1);
	if (to <= from)
		return;
	if (thp)
		madvise(base + from, to - from, MADV_HUGEPAGE);
	if (now || (!prefault_async(base + from, to - from) && !thp))
		populate_now(base + from, to - from);
}

/* len bytes starting on a huge-page boundary: map HUGE more and trim. */
static unsigned char *map_aligned(size_t len)
{
	size_t span = len + HUGE, head, tail;
	unsigned char *m = mmap(NULL, span, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *start;

	if (m == MAP_FAILED)
		return NULL;
	start = (unsigned char *)(((uintptr_t)m + HUGE - 1) &
				  ~(uintptr_t)(HUGE - 1));
	head = (size_t)(start - m);
	tail = span - head - len;
	if (head)
		munmap(m, head);
	if (tail)
		munmap(start + len, tail);
	return start;
}

static void *alloc_mapped(size_t bytes, bool now)
{
	size_t len = map_len_for(bytes);
	unsigned char *base;

	if (bytes < MIN_MAPPED)
		return from_calloc(bytes);
	if (!len || !phi_budget_take(len))
		return NULL;
	base = map_aligned(len);
	if (!base) {
		phi_budget_give(len);
		return NULL;
	}
	prepare(base, 0, len, now);
	((struct header *)base)->map_len = len;
	return base + HEADER;
}

void *phi_big_alloc(size_t bytes)
{
	return alloc_mapped(bytes, false);
}

void *phi_big_alloc_now(size_t bytes)
{
	return alloc_mapped(bytes, true);
}

/* A calloc'd block that outgrew it: into a mapping. */
static void *to_mapping(unsigned char *base, size_t bytes)
{
	struct header *h = (struct header *)base;
	unsigned char *p = phi_big_alloc(bytes);

	if (!p)
		return NULL;
	memcpy(p, base + HEADER, h->bytes < bytes ? h->bytes : bytes);
	phi_budget_give(h->bytes + HEADER);
	free(base);
	return p;
}

void *phi_big_realloc(void *p, size_t bytes)
{
	unsigned char *base, *nbase;
	size_t old, len = map_len_for(bytes);

	if (!p)
		return phi_big_alloc(bytes);
	if (!len)
		return NULL;
	base = (unsigned char *)p - HEADER;
	old = ((struct header *)base)->map_len;
	if (!old) {
		if (bytes >= MIN_MAPPED)
			return to_mapping(base, bytes);
		old = ((struct header *)base)->bytes;
		if (bytes > old && !phi_budget_take(bytes - old))
			return NULL;
		nbase = realloc(base, bytes + HEADER);
		if (!nbase) {
			if (bytes > old)
				phi_budget_give(bytes - old);
			return NULL;
		}
		if (bytes > old)
			memset(nbase + HEADER + old, 0, bytes - old);
		else
			phi_budget_give(old - bytes);
		((struct header *)nbase)->bytes = bytes;
		return nbase + HEADER;
	}
	if (len == old)
		return p;
	if (len > old && !phi_budget_take(len - old))
		return NULL;
	nbase = mremap(base, old, len, MREMAP_MAYMOVE);
	if (nbase == MAP_FAILED) {
		if (len > old)
			phi_budget_give(len - old);
		return NULL;
	}
	if (len < old)
		phi_budget_give(old - len);
	/* Pages beyond the old length are fresh zero pages. */
	if (len > old)
		prepare(nbase, old, len, false);
	((struct header *)nbase)->map_len = len;
	return nbase + HEADER;
}

void phi_big_free(void *p)
{
	unsigned char *base;
	size_t len;

	if (!p)
		return;
	base = (unsigned char *)p - HEADER;
	len = ((struct header *)base)->map_len;
	if (len) {
		munmap(base, len);
		phi_budget_give(len);
	} else {
		phi_budget_give(((struct header *)base)->bytes + HEADER);
		free(base);
	}
}
#endif
