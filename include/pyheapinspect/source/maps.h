/* The target's memory mappings, from /proc/PID/maps. */
#ifndef PYHEAPINSPECT_MAPS_H
#define PYHEAPINSPECT_MAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pyheapinspect/base/error.h"

enum {
	PHI_MAP_R = 1,
	PHI_MAP_W = 2,
	PHI_MAP_X = 4,
	PHI_MAP_SHARED = 8,
};

struct phi_map {
	uint64_t start, end; /* [start, end) */
	uint64_t offset;     /* file offset of start */
	uint64_t inode;
	unsigned dev_major, dev_minor; /* the file's device */
	unsigned perms;      /* PHI_MAP_* */
	char *path;          /* "" for anonymous, "[heap]", a file path */
	bool deleted;        /* path ended in " (deleted)" (stripped) */
};

/* Sorted by start, non-overlapping (as the kernel lists them). */
struct phi_maps {
	struct phi_map *v;
	size_t n;
};

/* Parse the text of a maps file.  Lines that do not parse are an error:
 * the kernel's format is fixed, so a bad line means a bad input. */
int phi_maps_parse(const char *text, size_t len, struct phi_maps *out,
		   struct phi_error *err);

void phi_maps_release(struct phi_maps *maps);

/* The mapping holding addr, or NULL. */
const struct phi_map *phi_maps_find(const struct phi_maps *maps,
				    uint64_t addr);

/* True when a mapping is backed by a file with a path (not [heap],
 * [stack] or anonymous).  Device files such as /dev/zero count too: the
 * caller finds out when it opens them. */
bool phi_map_is_file(const struct phi_map *m);

#endif
