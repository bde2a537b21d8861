/* Separate debug files of a stripped ELF object (Debian's -dbgsym
 * packages, objcopy --only-keep-debug): looked for where GDB looks, by
 * build-id (.build-id/xx/rest.debug) and by .gnu_debuglink, first under
 * the target's own root (/proc/PID/root: a container's files), then on
 * the host, then in the directories the user names (--debug-dir); and
 * each candidate checked against the object before it is used: its
 * build-id must be the object's, and a file found by its debuglink name
 * must have the CRC-32 the debuglink records.  A candidate that fails is
 * refused and listed: its DWARF and symbols describe another build. */
#ifndef PYHEAPINSPECT_DEBUGFILE_H
#define PYHEAPINSPECT_DEBUGFILE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/debuginfo/elfsym.h"

/* What the object says about its debug file. */
struct phi_debug_want {
	char build_id[PHI_BUILD_ID_HEX]; /* "" when it has none */
	char link[NAME_MAX + 1];         /* .gnu_debuglink name, or "" */
	uint32_t crc;                    /* the CRC-32 the debuglink gives */
	char dir[PATH_MAX];              /* the object's directory, as the
					  * target names it (its maps) */
};

/* Fill w from the open object e, mapped at object_path (the path of the
 * maps, in the target's mount namespace). */
void phi_debug_want_of(struct phi_elf *e, const char *object_path,
		       struct phi_debug_want *w);

/* Where to look besides the host's /usr/lib/debug and the object's own
 * directory. */
struct phi_debug_search {
	const char *root;          /* the target's root, "/proc/PID/root";
				    * NULL or "" when there is none (a
				    * snapshot, a test) */
	const char *const *dirs;   /* --debug-dir, in order */
	size_t ndirs;
};

enum phi_debug_how {
	PHI_DEBUG_BY_BUILD_ID = 1, /* .build-id/xx/rest.debug */
	PHI_DEBUG_BY_LINK,         /* .gnu_debuglink name and CRC */
};

#define PHI_DEBUG_MAX_REFUSED 4

struct phi_debug_refusal {
	char shown[PATH_MAX];      /* the file, as its owner names it */
	bool in_root;              /* under the target's root */
	char why[256];
};

struct phi_debugfile {
	int fd;                    /* the accepted file, open; -1 if none */
	char path[64];             /* "/proc/self/fd/N": open it there */
	char shown[PATH_MAX];      /* its path as the target names it (when
				    * in_root), else the host's */
	bool in_root;              /* found under the target's root */
	enum phi_debug_how how;
	char how_text[512];        /* how it was matched, for -v */
	bool has_dwarf, has_symtab;
	struct phi_debug_refusal refused[PHI_DEBUG_MAX_REFUSED];
	size_t nrefused;           /* kept in refused[] */
	size_t refused_dropped;    /* more refusals, counted only */
	size_t tried;              /* candidate paths looked at */
};

/* Look for the debug file of the object described by w.  Returns true
 * with out->fd open when one was accepted (close it with
 * phi_debugfile_close); refusals are listed either way.  Reads each
 * candidate whole for its CRC (a debuglink match) and never follows a
 * symbolic link out of the target's root. */
bool phi_debugfile_find(const struct phi_debug_want *w,
			const struct phi_debug_search *s,
			struct phi_debugfile *out);

void phi_debugfile_close(struct phi_debugfile *df);

/* The CRC-32 of .gnu_debuglink (zlib's, over the whole file) of the
 * open file fd, read from its start.  False on a read error. */
bool phi_debugfile_crc(int fd, uint32_t *crc);

#endif
