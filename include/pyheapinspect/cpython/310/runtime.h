/* CPython 3.10's global state read from the image: _PyRuntime, the
 * interpreters and their threads.  Every list here is bounded. */
#ifndef PYHEAPINSPECT_RUNTIME_H
#define PYHEAPINSPECT_RUNTIME_H

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/python.h"
#include "pyheapinspect/source/image.h"

int phi310_runtime(const struct phi_python *py, const struct phi_image *img,
		   struct phi_runtime *rt, struct phi_error *err);

#endif
