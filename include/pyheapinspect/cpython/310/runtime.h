/* The interpreter's global state read from the image: _PyRuntime, the
 * interpreters and their threads.  Every list here is bounded. */
#ifndef PYHEAPINSPECT_RUNTIME_H
#define PYHEAPINSPECT_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/error.h"
#include "pyheapinspect/image.h"
#include "pyheapinspect/target.h"

/* Bounds on lists the target's memory could make endless. */
#define PHI_MAX_INTERPS 64
#define PHI_MAX_THREADS 4096

struct phi_interp {
	uint64_t addr;
	uint64_t tstate_head;
	uint64_t modules, sysdict, builtins, importlib;
	int gc_collecting;
};

struct phi_runtime {
	uint64_t runtime;    /* &_PyRuntime */
	uint64_t interp_main;
	struct phi_interp interps[PHI_MAX_INTERPS];
	size_t ninterps;
};

int phi_runtime_read(struct phi_runtime *rt, const struct phi_image *img,
		     const struct phi_target *t, struct phi_error *err);

#endif
