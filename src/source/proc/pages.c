/* Resident and swapped pages of a live process (pages.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pyheapinspect/base/bigmem.h"
#include "pyheapinspect/source/proc/pages.h"

#define PAGE 4096ULL

/* The PAGEMAP_SCAN interface (include/uapi/linux/fs.h of Linux 6.7),
 * spelled out: Debian 12's kernel headers predate it. */
struct scan_region {
	uint64_t start, end, categories;
};

struct scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask;
	uint64_t return_mask;
};

#define SCAN_IOCTL _IOWR('f', 16, struct scan_arg)
#define PAGE_IS_PRESENT (1u << 3)
#define PAGE_IS_SWAPPED (1u << 4)
#define PAGE_IS_PFNZERO (1u << 5)
#define PM_PRESENT (1ULL << 63)
#define PM_SWAPPED (1ULL << 62)
#define PM_PFN ((1ULL << 55) - 1)

/* Regions per ioctl, entries per read(): both 96 KiB on the stack or
 * less. */
#define SCAN_VEC 4096
#define READ_ENTRIES 8192

void phi_pages_open(struct phi_pages *pg, pid_t pid)
{
	const char *force = getenv("PYHEAPINSPECT_TEST_PAGEMAP");
	char path[64];

	memset(pg, 0, sizeof(*pg));
	pg->fd = -1;
	pg->mode = PHI_PAGES_SCAN;
	if (force && strcmp(force, "none") == 0) {
		pg->mode = PHI_PAGES_NONE;
		snprintf(pg->why, sizeof(pg->why), "PYHEAPINSPECT_TEST_PAGEMAP "
			 "is 'none'");
		return;
	}
	if (force && strcmp(force, "read") == 0)
		pg->mode = PHI_PAGES_READ;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	pg->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (pg->fd < 0) {
		pg->mode = PHI_PAGES_NONE;
		snprintf(pg->why, sizeof(pg->why), "cannot open %s: %s", path,
			 strerror(errno));
	}
}

/* The frame of the shared zero page, as this process's pagemap shows
 * it after a read of an untouched page (0 when frames are hidden: not
 * root); the target's pages mapped to it are left out too. */
static uint64_t zero_pfn(void)
{
	volatile unsigned char *p = mmap(NULL, PAGE, PROT_READ,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t e = 0;
	int fd;

	if (p == MAP_FAILED)
		return 0;
	(void)p[0];
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (pread(fd, &e, 8, (off_t)((uintptr_t)p / PAGE * 8)) != 8)
			e = 0;
		close(fd);
	}
	munmap((void *)p, PAGE);
	return (e & PM_PRESENT) ? e & PM_PFN : 0;
}

void phi_pages_close(struct phi_pages *pg)
{
	if (pg->fd >= 0)
		close(pg->fd);
	pg->fd = -1;
}

int phi_runs_push(struct phi_runs *out, uint64_t start, uint64_t end)
{
	/* Runs only go up: a range that starts inside the last one (the
	 * scan, resumed where the kernel stopped, may report again the end
	 * of a region it had cut short) is clipped to what is new. */
	if (out->n && start < out->v[out->n - 1].end)
		start = out->v[out->n - 1].end;
	if (end <= start)
		return 0;
	if (out->n && out->v[out->n - 1].end == start) {
		out->v[out->n - 1].end = end;
		return 0;
	}
	if (out->n == out->cap) {
		size_t ncap = out->cap ? out->cap * 2 : 256;
		struct phi_run *v = phi_big_realloc(out->v, ncap * sizeof(*v));

		if (!v)
			return -1;
		out->v = v;
		out->cap = ncap;
	}
	out->v[out->n++] = (struct phi_run){ start, end };
	return 0;
}

void phi_runs_release(struct phi_runs *r)
{
	phi_big_free(r->v);
	memset(r, 0, sizeof(*r));
}

/* PAGEMAP_SCAN: 0, -1 out of memory, -2 not supported (then the mode
 * falls back to read()). */
static int scan(struct phi_pages *pg, uint64_t start, uint64_t end,
		struct phi_runs *out, uint64_t *swapped)
{
	struct scan_region vec[SCAN_VEC];
	uint64_t at = start;

	while (at < end) {
		struct scan_arg a = {
			.size = sizeof(a),
			.start = at,
			.end = end,
			.vec = (uint64_t)(uintptr_t)vec,
			.vec_len = SCAN_VEC,
			/* Present or swapped, and not the shared zero page: a
			 * page the target only read (or that an earlier
			 * whole-mapping copy read) holds zeros, so no object
			 * either. */
			.category_inverted = PAGE_IS_PFNZERO,
			.category_mask = PAGE_IS_PFNZERO,
			.category_anyof_mask = PAGE_IS_PRESENT |
					       PAGE_IS_SWAPPED,
			.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
		};
		long n = ioctl(pg->fd, SCAN_IOCTL, &a);

		pg->calls++;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -2;
		for (long i = 0; i < n && i < SCAN_VEC; i++) {
			uint64_t s = vec[i].start, e = vec[i].end;

			/* The kernel's answer stays inside what was asked. */
			if (s < at || e > end || e <= s)
				return -2;
			if (vec[i].categories & PAGE_IS_SWAPPED)
				*swapped += e - s;
			if (phi_runs_push(out, s, e) < 0)
				return -1;
		}
		if (a.walk_end <= at || a.walk_end > end)
			return a.walk_end == end ? 0 : -2;
		at = a.walk_end;
	}
	return 0;
}

/* read() of the 8-byte entries. */
static int read_entries(struct phi_pages *pg, uint64_t start, uint64_t end,
			struct phi_runs *out, uint64_t *swapped)
{
	uint64_t ent[READ_ENTRIES];

	if (end - start > PHI_PAGES_READ_MAX)
		return -2;
	for (uint64_t at = start; at < end;) {
		uint64_t pages = (end - at) / PAGE;
		ssize_t got;

		if (pages > READ_ENTRIES)
			pages = READ_ENTRIES;
		got = pread(pg->fd, ent, pages * 8, (off_t)(at / PAGE * 8));
		pg->calls++;
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0 || got % 8)
			return -2;
		for (ssize_t i = 0; i < got / 8; i++) {
			uint64_t a = at + (uint64_t)i * PAGE;

			if (!(ent[i] & (PM_PRESENT | PM_SWAPPED)) ||
			    ((ent[i] & PM_PRESENT) && pg->zero_pfn &&
			     (ent[i] & PM_PFN) == pg->zero_pfn))
				continue;
			if (ent[i] & PM_SWAPPED)
				*swapped += PAGE;
			if (phi_runs_push(out, a, a + PAGE) < 0)
				return -1;
		}
		at += (uint64_t)(got / 8) * PAGE;
	}
	return 0;
}

int phi_pages_find(struct phi_pages *pg, uint64_t start, uint64_t end,
		   struct phi_runs *out, uint64_t *swapped)
{
	size_t n0 = out->n;
	uint64_t sw0 = *swapped, last_end = n0 ? out->v[n0 - 1].end : 0;
	int rc;

	if (pg->mode == PHI_PAGES_NONE || (start | end) % PAGE || end <= start)
		return -2;
	if (pg->mode == PHI_PAGES_SCAN) {
		rc = scan(pg, start, end, out, swapped);
		if (rc != -2)
			return rc;
		/* Not this kernel's ioctl: read() from now on, this range
		 * again from scratch. */
		out->n = n0;
		if (n0)
			out->v[n0 - 1].end = last_end;
		*swapped = sw0;
		pg->mode = PHI_PAGES_READ;
	}
	if (!pg->zero_known) {
		pg->zero_pfn = zero_pfn();
		pg->zero_known = true;
	}
	rc = read_entries(pg, start, end, out, swapped);
	if (rc == -2) {
		out->n = n0;
		if (n0)
			out->v[n0 - 1].end = last_end;
		*swapped = sw0;
	}
	return rc;
}
