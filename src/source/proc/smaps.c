/* The resident memory of a frozen process: /proc/PID/status (VmRSS and
 * its parts), /proc/PID/smaps (Rss and Swap of every mapping) and
 * /proc/PID/pagemap (which pages of a mapping are resident), read before
 * the frozen copy.
 *
 * A read of a page the target never touched, through process_vm_readv
 * as the copy does it, maps the shared zero page there: Rss does not
 * count it, but pagemap says "present".  Such pages are told apart by
 * the zero page's frame number (found by reading a fresh private page of
 * our own; the kernel shows frame numbers to CAP_SYS_ADMIN only), else
 * by their flags: present, private, anonymous, not exclusively mapped
 * (which a page shared with a forked parent or child also is: then a
 * mapping's pages disagree with its Rss, and the classes take smaps' Rss
 * per mapping, see analysis/memory.c). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pyheapinspect/source/proc/smaps.h"

/* Bounds: smaps text, mappings, pages described one by one. */
#define SMAPS_MAX_BYTES (256u << 20)
#define MAX_VMAS (1u << 20)
#define MAX_PAGES (1ULL << 26)
#define PM_PRESENT (1ULL << 63)
#define PM_SWAPPED (1ULL << 62)
#define PM_FILE (1ULL << 61)
#define PM_EXCLUSIVE (1ULL << 56)
#define PM_PFN ((1ULL << 55) - 1)
#define BATCH 4096

static char *read_text(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 1 << 16, n = 0;
	char *b = NULL;

	if (fd < 0)
		return NULL;
	b = malloc(cap + 1);
	while (b) {
		ssize_t r;

		if (n == cap) {
			char *nb = cap < SMAPS_MAX_BYTES ?
					   realloc(b, 2 * cap + 1) : NULL;

			if (!nb) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r < 0) {
				free(b);
				b = NULL;
			}
			break;
		}
		n += (size_t)r;
	}
	close(fd);
	if (b) {
		b[n] = '\0';
		*len = n;
	}
	return b;
}

static void status_fields(pid_t pid, struct phi_rss *r)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
		{ "VmRSS:", offsetof(struct phi_rss, vm_rss) },
		{ "RssAnon:", offsetof(struct phi_rss, rss_anon) },
		{ "RssFile:", offsetof(struct phi_rss, rss_file) },
		{ "RssShmem:", offsetof(struct phi_rss, rss_shmem) },
		{ "VmSwap:", offsetof(struct phi_rss, vm_swap) },
	};
	char path[64], *text, *line, *save = NULL;
	size_t len;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	text = read_text(path, &len);
	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			unsigned long long kb;
			size_t n = strlen(keys[k].key);

			if (strncmp(line, keys[k].key, n) == 0 &&
			    sscanf(line + n, "%llu", &kb) == 1)
				*(uint64_t *)((char *)r + keys[k].off) =
					(uint64_t)kb * 1024;
		}
	free(text);
}

/* "start-end perms offset dev inode   path": a mapping's first line. */
static bool vma_line(const char *line, struct phi_rss_vma *v)
{
	unsigned long long a, b;
	char perms[8];
	int pathat = 0;

	if (sscanf(line, "%llx-%llx %7s %*s %*s %*s %n", &a, &b, perms,
		   &pathat) < 3 || a >= b || strlen(perms) != 4)
		return false;
	memset(v, 0, sizeof(*v));
	v->start = a;
	v->end = b;
	v->file = perms[3] == 's' ||
		  (pathat > 0 && line[pathat] && line[pathat] != '[');
	return true;
}

static int parse_smaps(char *text, struct phi_rss *r)
{
	size_t cap = 256;
	char *line, *save = NULL;

	r->v = calloc(cap, sizeof(*r->v));
	if (!r->v)
		return -1;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long kb;
		struct phi_rss_vma v;

		if (vma_line(line, &v)) {
			if (r->n == cap) {
				struct phi_rss_vma *nv;

				if (cap >= MAX_VMAS)
					return -1;
				nv = realloc(r->v, 2 * cap * sizeof(*nv));
				if (!nv)
					return -1;
				r->v = nv;
				cap *= 2;
			}
			r->v[r->n++] = v;
		} else if (r->n && sscanf(line, "Rss: %llu kB", &kb) == 1) {
			r->v[r->n - 1].rss = (uint64_t)kb * 1024;
			r->smaps_rss += (uint64_t)kb * 1024;
		} else if (r->n && sscanf(line, "Swap: %llu kB", &kb) == 1) {
			r->v[r->n - 1].swap = (uint64_t)kb * 1024;
			r->smaps_swap += (uint64_t)kb * 1024;
		}
	}
	return 0;
}

/* The shared zero page's frame number, or 0 when frame numbers are
 * hidden from us. */
static uint64_t zero_pfn(uint64_t page)
{
	volatile const char *p = mmap(NULL, page, PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t e = 0;
	int fd;

	if (p == MAP_FAILED)
		return 0;
	(void)p[0]; /* a read fault maps the zero page */
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (pread(fd, &e, 8, (off_t)((uintptr_t)p / page * 8)) != 8)
			e = 0;
		close(fd);
	}
	munmap((void *)p, page);
	return (e & PM_PRESENT) ? e & PM_PFN : 0;
}

static uint8_t page_state(uint64_t e, uint64_t zp, bool anon,
			  uint64_t *zero)
{
	if (e & PM_PRESENT) {
		bool z = zp ? (e & PM_PFN) == zp :
			      anon && !(e & PM_EXCLUSIVE) && !(e & PM_FILE);

		if (z) {
			(*zero)++;
			return PHI_PAGE_ABSENT;
		}
		return PHI_PAGE_RESIDENT;
	}
	return (e & PM_SWAPPED) ? PHI_PAGE_SWAPPED : PHI_PAGE_ABSENT;
}

/* pages[] is zeroed (PHI_PAGE_ABSENT): only the other states are
 * written, so that the bytes of pages all absent are never touched. */
static void set_page(struct phi_rss *r, uint64_t k, unsigned st)
{
	if (st != PHI_PAGE_ABSENT)
		r->pages[k >> 2] |= (uint8_t)(st << ((k & 3) * 2));
}

static int read_pages(pid_t pid, struct phi_rss *r)
{
	uint64_t total = 0, zp = zero_pfn(r->page_size), k = 0;
	uint64_t buf[BATCH];
	char path[64];
	int fd;

	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].rss || r->v[i].swap)
			total += (r->v[i].end - r->v[i].start) / r->page_size;
	if (total > MAX_PAGES)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	r->pages = calloc(total ? (total + 3) / 4 : 1, 1);
	if (!r->pages) {
		close(fd);
		return -1;
	}
	r->pfns = zp != 0;
	for (size_t i = 0; i < r->n; i++) {
		struct phi_rss_vma *v = &r->v[i];
		uint64_t first = v->start / r->page_size;
		uint64_t n = (v->end - v->start) / r->page_size;

		if (!v->rss && !v->swap)
			continue;
		v->has_pages = true;
		v->page0 = k;
		for (uint64_t j = 0; j < n;) {
			uint64_t m = n - j < BATCH ? n - j : BATCH;
			ssize_t got = pread(fd, buf, m * 8,
					    (off_t)((first + j) * 8));

			if (got != (ssize_t)(m * 8)) {
				close(fd);
				return 1;
			}
			for (uint64_t q = 0; q < m; q++)
				set_page(r, k + j + q, page_state(
					buf[q], zp, !v->file, &r->zero_pages));
			j += m;
		}
		k += n;
	}
	r->npages = k;
	close(fd);
	return 0;
}

void phi_smaps_capture(pid_t pid, struct phi_rss **out, struct phi_gaps *gaps)
{
	struct phi_rss *r = calloc(1, sizeof(*r));
	char path[64], *text;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (!r) {
		phi_gap_add(gaps, "resident memory", -1, -1, "out of memory");
		return;
	}
	r->page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	status_fields(pid, r);
	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	text = read_text(path, &len);
	if (!text || parse_smaps(text, r) < 0 || !r->vm_rss) {
		free(text);
		phi_rss_free(r);
		phi_gap_add(gaps, "resident memory", -1, -1,
			    "/proc/%d/smaps or status could not be read: "
			    "%s", (int)pid, strerror(errno ? errno : EIO));
		return;
	}
	free(text);
	rc = read_pages(pid, r);
	if (rc != 0) {
		free(r->pages);
		r->pages = NULL;
		r->npages = 0;
		for (size_t i = 0; i < r->n; i++)
			r->v[i].has_pages = false;
		phi_gap_add(gaps, "resident pages", -1, -1, "/proc/%d/pagemap "
			    "could not be read whole: mappings shared by "
			    "several classes are counted whole in one",
			    (int)pid);
	}
	*out = r;
}
