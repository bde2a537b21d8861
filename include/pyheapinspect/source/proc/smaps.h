/* Resident memory of a frozen process (smaps, status, pagemap). */
#ifndef PYHEAPINSPECT_SMAPS_H
#define PYHEAPINSPECT_SMAPS_H

#include <sys/types.h>

#include "pyheapinspect/base/gaps.h"
#include "pyheapinspect/source/source.h"

/* Read it into a new *out (phi_rss_free), or leave *out NULL and say why
 * in gaps.  Call it frozen, before the copy reads any page. */
void phi_smaps_capture(pid_t pid, struct phi_rss **out, struct phi_gaps *gaps);

#endif
