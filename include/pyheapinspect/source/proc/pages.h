/* Which pages of a live process are in use: resident or swapped out,
 * from /proc/PID/pagemap.  The copy reads only those, so that a thread
 * stack costs what the thread touched and a reservation nothing.
 *
 * A page mapped to the shared zero page (read, never written) holds
 * zeros and no object: it is left out like an untouched one.
 *
 * Three ways, best first: the PAGEMAP_SCAN ioctl (Linux 6.7), which
 * walks only the page tables that exist and returns runs; read() of the
 * pagemap's 8-byte entries (bit 63 present, bit 62 swapped; the zero
 * page told by its frame number, which only root sees), which costs
 * 8 bytes per page of address space; none (the pagemap cannot be opened:
 * another user's process without CAP_SYS_ADMIN in some setups, a /proc
 * that hides it), and the copy takes whole mappings as before and says
 * so.  For tests, PYHEAPINSPECT_TEST_PAGEMAP=read or =none forces one. */
#ifndef PYHEAPINSPECT_PAGES_H
#define PYHEAPINSPECT_PAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum phi_pages_mode {
	PHI_PAGES_SCAN,
	PHI_PAGES_READ,
	PHI_PAGES_NONE,
};

struct phi_pages {
	int fd;
	enum phi_pages_mode mode;
	char why[160];         /* PHI_PAGES_NONE: why */
	uint64_t calls;        /* ioctls or reads, for --verbose */
	uint64_t zero_pfn;     /* read(): the zero page's frame, 0 unknown */
	bool zero_known;
};

/* [start, end) of the target's address space. */
struct phi_run {
	uint64_t start, end;
};

/* A growing array of runs, in address order (bigmem, so counted in the
 * memory budget). */
struct phi_runs {
	struct phi_run *v;
	size_t n, cap;
};

void phi_pages_open(struct phi_pages *pg, pid_t pid);
void phi_pages_close(struct phi_pages *pg);

/* Append the runs of resident or swapped pages of [start, end) (page
 * aligned) to out, merged with its last run when adjacent; add the bytes
 * of swapped pages to *swapped.  Returns 0; -1 when out of memory; -2
 * when the pagemap could not say (the caller takes the range whole, or
 * not at all when it is too large to scan by read()). */
int phi_pages_find(struct phi_pages *pg, uint64_t start, uint64_t end,
		   struct phi_runs *out, uint64_t *swapped);

/* Append [start, end) to out (merged with its last run when adjacent,
 * clipped to what lies past it: runs only go up); -1 when out of
 * memory. */
int phi_runs_push(struct phi_runs *out, uint64_t start, uint64_t end);
void phi_runs_release(struct phi_runs *r);

/* Largest range that read() of the pagemap scans: 64 GiB of address
 * space is 128 MiB of entries, a second or so. */
#define PHI_PAGES_READ_MAX ((uint64_t)64 << 30)

#endif
