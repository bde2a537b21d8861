/* Progress of the long stages (copy, decode, analyses, writing), on one
 * line of stderr that is rewritten in place, and only when stderr is a
 * terminal: nothing ever reaches a pipe, a file, a script or cron.
 *
 * One stage at a time, from the main thread only (the duplicates'
 * thread never reports).  A stage says what it does and, now and then,
 * how far it is; the line appears once the run has lasted a second, is
 * redrawn at most ten times a second, and is erased before anything else
 * is written to the terminal (phi_progress_end).  Cheap when off: one
 * branch per call, so the hot loops call it every 2^16 items or so. */
#ifndef PYHEAPINSPECT_PROGRESS_H
#define PYHEAPINSPECT_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

enum phi_progress_unit {
	PHI_PROGRESS_COUNT,   /* objects, nodes, lines */
	PHI_PROGRESS_BYTES,
};

/* Turn progress on (main.c: when stderr is a terminal).  The
 * environment variable PYHEAPINSPECT_TEST_PROGRESS=1 drops the delays
 * so that a test on a small heap sees every stage (it does not turn
 * progress on where it is off). */
void phi_progress_start(bool on);

/* A new stage: "decoding objects", in unit; what it counts (e.g.
 * "objects"), NULL for bytes. */
void phi_progress_begin(const char *what, enum phi_progress_unit unit,
			const char *noun);

/* How far the stage is: done of total (total 0: unknown). */
void phi_progress_update(uint64_t done, uint64_t total);

/* Erase the line if it is shown (before the report, a message, the
 * freeze).  The next update draws it again. */
void phi_progress_end(void);

bool phi_progress_enabled(void);

#endif
