/* Where the bytes come from, behind one interface: a live process
 * (source/proc/), a saved snapshot (source/snapshot/), and next an ELF
 * core file.  A source lists the target's mappings, reads bytes at its
 * addresses, says where each mapped ELF file can be opened, and copies
 * the memory into an image (the capture).  Everything above it (debug
 * info, the CPython layer, the analyses) works the same whatever the
 * source. */
#ifndef PYHEAPINSPECT_SOURCE_H
#define PYHEAPINSPECT_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/base/gaps.h"
#include "pyheapinspect/base/record.h"
#include "pyheapinspect/source/image.h"
#include "pyheapinspect/source/maps.h"

struct phi_capture_opts {
	/* Cap on the copy besides the memory budget (0 = the budget
	 * alone, base/budget.h). */
	uint64_t max_bytes;
	/* The pause budget, from the first PTRACE_SEIZE: attaching and
	 * copying.  A target not stopped by then is read while it runs;
	 * one whose copy takes longer is thawed and the copy finished
	 * while it runs.  0: 2,000 ms to attach, no bound on the copy. */
	double max_pause_ms;
	bool no_freeze;        /* copy without stopping the target at all */
	int test_hold_ms;      /* tests only: stay frozen this long, before
				* the copy */
	/* Called after the warm copy, just before the freeze, with the
	 * warm copy (torn: the target runs): work that ran beside the warm
	 * copy (the layouts) ends here, so that it never competes with the
	 * frozen copy for the CPU, and the caller may look at the target
	 * first (a GC collection in progress).  Returns 0 to freeze, 1 to
	 * take the warm copy again first (the target changed while the
	 * caller waited), or -code to give up.  May be NULL. */
	int (*before_freeze)(void *ctx, const struct phi_image *warm,
			     struct phi_error *err);
	void *before_freeze_ctx;
};

/* The target's resident memory just before the freeze, after the warm
 * copy (source/proc/smaps.c): /proc/PID/status, and per mapping of smaps
 * its Rss and Swap and the state of each of its pages (pagemap), so that
 * a mapping can be split between classes of memory. */
enum {
	PHI_PAGE_ABSENT = 0,
	PHI_PAGE_RESIDENT = 1,
	PHI_PAGE_SWAPPED = 2,
};

struct phi_rss_vma {
	uint64_t start, end;
	uint64_t rss, swap;       /* smaps Rss and Swap, bytes */
	bool file;                /* backed by a file, shared or a device */
	bool has_pages;           /* pages[page0 ...] describe it */
	uint64_t page0;
};

struct phi_rss {
	/* /proc/PID/status, bytes. */
	uint64_t vm_rss, rss_anon, rss_file, rss_shmem, vm_swap;
	uint64_t smaps_rss, smaps_swap; /* sums over the mappings */
	struct phi_rss_vma *v;
	size_t n;
	uint8_t *pages;           /* PHI_PAGE_* per page of the mappings
				   * that have any resident or swapped, 2
				   * bits a page (phi_rss_page) */
	uint64_t npages;
	uint64_t page_size;
	bool pfns;                /* the zero page was told by its PFN (else
				   * by its flags: not exclusive, not file) */
	uint64_t zero_pages;      /* PTEs of the shared zero page (reads of
				   * untouched memory): not resident */
};

/* The PHI_PAGE_* state of page k of rss->pages.  Two bits a page: 1,000
 * idle threads have 8 GiB of stacks whose pages are listed, 512 KiB so
 * instead of 2 MiB. */
static inline unsigned phi_rss_page(const struct phi_rss *rss, uint64_t k)
{
	return (rss->pages[k >> 2] >> ((k & 3) * 2)) & 3;
}

void phi_rss_free(struct phi_rss *rss);

/* The result of a capture: the image, and how it was taken. */
struct phi_capture {
	struct phi_image img;
	double pause_ms;  /* first SEIZE to last DETACH */
	double warm_ms;   /* the copy taken before the freeze */
	double copy_ms;   /* time spent copying, within the pause */
	size_t threads;   /* threads frozen */
	bool frozen;      /* the target was stopped while copying */
	bool consistent;  /* ... for the whole copy: with --no-freeze, or
			   * when the pause budget ran out, parts were read
			   * while it ran and may be torn */
	bool status_unknown; /* loaded from a format 1 snapshot, which does
			      * not record frozen, consistent, threads,
			      * the times nor the image's counters: they
			      * are all 0 and say nothing */
	struct phi_gaps gaps; /* memory the image lacks */
	/* How a live process was copied (NULL pages: not a live copy). */
	const char *pages;     /* "resident" or "whole mappings" */
	char pages_why[160];   /* "whole mappings": why */
	uint64_t mapped;       /* address space of the wanted mappings */
	uint64_t resident;     /* their resident or swapped pages */
	uint64_t swapped;      /* of which swapped out (read back in) */
	size_t stragglers;     /* threads seized that never stopped */
	char freeze_note[256]; /* why the target was read while it ran
				* although a freeze was asked for */
	int freezes;           /* freezes of the run (the caller's count) */
	struct phi_rss *rss;  /* resident memory before the freeze (a live
			       * process only), NULL when not read */
};

void phi_capture_release(struct phi_capture *cap);

/* Record in cap->gaps what the image's counters say is missing (the
 * mappings too large to copy); every capture calls it at its end. */
void phi_capture_note_gaps(struct phi_capture *cap);

struct phi_source;

/* What each kind of source provides.  Every operation may fail with a
 * filled error; none may leave a live target stopped. */
struct phi_source_ops {
	const char *kind; /* "process", "snapshot" */
	/* Exactly len bytes at addr, or -PHI_E_READ (and the like). */
	int (*read)(struct phi_source *s, uint64_t addr, void *buf,
		    size_t len, struct phi_error *err);
	/* A path through which the file mapped by m can be opened now
	 * (for a live process: /proc/PID/map_files/..., else its root's
	 * view of the path).  0 when it is the mapped file (map_files, or
	 * the same device and inode as the mapping); 1 when a file is at
	 * the mapped path but its device or inode differ from the
	 * mapping's (replaced since, or an overlay filesystem that shows
	 * others): the caller must compare its contents (the build-id)
	 * with the mapped memory before trusting it.  -PHI_E_NOT_FOUND
	 * (or _PERMISSION) with a message saying what to do when there is
	 * no such file (deleted, or a snapshot, which keeps what was read
	 * from its files). */
	int (*file)(struct phi_source *s, const struct phi_map *m,
		    char *path, size_t len, struct phi_error *err);
	/* Copy the target's memory into cap->img (cap is initialised
	 * here): freeze and thaw a live process, take a snapshot's saved
	 * image.  May refresh s->maps. */
	int (*capture)(struct phi_source *s, const struct phi_capture_opts *o,
		       struct phi_capture *cap, struct phi_error *err);
	void (*close)(struct phi_source *s);
};

struct phi_source {
	const struct phi_source_ops *ops; /* NULL: nothing open */
	pid_t pid;               /* the process (a snapshot: the one it was
				  * taken from) */
	struct phi_maps maps;    /* empty for a snapshot */
	char root[64];           /* the target's root directory, to look
				  * for its files ("/proc/PID/root"); ""
				  * when the source has no files */
	/* A snapshot's saved description of the interpreter (the CPython
	 * layer wrote it); empty for a live process. */
	struct phi_record record;
	void *impl;              /* the kind's own state */
};

int phi_source_read(struct phi_source *s, uint64_t addr, void *buf,
		    size_t len, struct phi_error *err);
int phi_source_file(struct phi_source *s, const struct phi_map *m,
		    char *path, size_t len, struct phi_error *err);
int phi_source_capture(struct phi_source *s,
		       const struct phi_capture_opts *o,
		       struct phi_capture *cap, struct phi_error *err);
/* Harmless on a source that was never opened (zeroed) or is closed. */
void phi_source_close(struct phi_source *s);

#endif
