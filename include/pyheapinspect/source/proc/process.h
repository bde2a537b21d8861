/* The live process as a memory source: its maps, process_vm_readv, its
 * mapped files through /proc/PID/map_files and /proc/PID/root, and the
 * capture window (freeze, copy, thaw). */
#ifndef PYHEAPINSPECT_PROCESS_H
#define PYHEAPINSPECT_PROCESS_H

#include <sys/types.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/source/maps.h"
#include "pyheapinspect/source/source.h"

/* Open process pid as a source: read its maps.  Does not stop it. */
int phi_process_open(struct phi_source *s, pid_t pid, struct phi_error *err);

/* Read and parse /proc/PID/maps. */
int phi_maps_read(pid_t pid, struct phi_maps *out, struct phi_error *err);

#endif
