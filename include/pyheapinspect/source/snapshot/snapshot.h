/* Saved snapshots: the image of a target, how it was captured, and the
 * interpreter's description (a record the CPython layer wrote, kept as
 * it is), in one gzip-compressed file.  A snapshot taken during an
 * incident can be analysed later, elsewhere: it is a memory source like
 * the live process.  A snapshot file is untrusted input like the target's
 * memory. */
#ifndef PYHEAPINSPECT_SNAPSHOT_H
#define PYHEAPINSPECT_SNAPSHOT_H

#include <stdint.h>
#include <sys/types.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/base/record.h"
#include "pyheapinspect/source/source.h"

/* Format version written in the header.  The reader also reads the
 * older ones, from PHI_SNAPSHOT_VERSION_MIN, and refuses any other.
 * Version 2 added the capture's status (frozen, consistent, threads,
 * pause and copy times, the image's unreadable and skipped counters);
 * version 3 keeps the description by name, not by position. */
#define PHI_SNAPSHOT_VERSION 3
#define PHI_SNAPSHOT_VERSION_MIN 1

/* Write pid, the description rec, the capture's status and every
 * segment of cap->img to path. */
int phi_snapshot_save(const char *path, pid_t pid,
		      const struct phi_record *rec,
		      const struct phi_capture *cap, struct phi_error *err);

/* Open a snapshot as a source: s->pid and s->record come from the file,
 * and its capture hands over the saved image and status (a format 1
 * file's status is unknown).  Every count and length in the file is
 * checked before it is used: a corrupt or hostile file gives
 * PHI_E_CORRUPT, never a crash or an unbounded allocation (segments are
 * read in bounded pieces and their total is capped by max_bytes, 0 = no
 * limit). */
int phi_snapshot_open(struct phi_source *s, const char *path,
		      uint64_t max_bytes, struct phi_error *err);

#endif
