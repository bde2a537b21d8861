/* Saved snapshots: the image of a target and what the tool needs to
 * decode it (symbols, layouts, version), in one gzip-compressed file.  A
 * snapshot taken during an incident can be analysed later, elsewhere;
 * the fuzz target mutates one.  A snapshot file is untrusted input like
 * the target's memory. */
#ifndef PYHEAPINSPECT_SNAPSHOT_H
#define PYHEAPINSPECT_SNAPSHOT_H

#include "pyheapinspect/capture.h"
#include "pyheapinspect/error.h"
#include "pyheapinspect/target.h"

/* Format version written in the header.  The reader also reads the
 * older ones, from PHI_SNAPSHOT_VERSION_MIN, and refuses any other.
 * Version 2 added the capture's status (frozen, consistent, threads,
 * pause and copy times, the image's unreadable and skipped counters). */
#define PHI_SNAPSHOT_VERSION 2
#define PHI_SNAPSHOT_VERSION_MIN 1

/* Write t's identity (pid, version, object path), symbol addresses and
 * layout values, the capture's status, and every segment of cap->img, to
 * path. */
int phi_snapshot_save(const char *path, const struct phi_target *t,
		      const struct phi_capture *cap, struct phi_error *err);

/* Read a snapshot into t and cap (both initialised here; release with
 * phi_target_close and phi_capture_release).  A format 1 file sets
 * cap->status_unknown.  Every count and length in
 * the file is checked before it is used: a corrupt or hostile file gives
 * PHI_E_CORRUPT, never a crash or an unbounded allocation (segments are
 * read in bounded pieces and their total is capped by max_bytes, 0 = no
 * limit). */
int phi_snapshot_load(const char *path, uint64_t max_bytes,
		      struct phi_target *t, struct phi_capture *cap,
		      struct phi_error *err);

#endif
