/* The statics of CPython 3.10 that only .symtab names (interned,
 * deque_type, defdict_type, _PyExc_BaseException, subtype_dealloc),
 * found in the captured image when neither the object nor a debug file
 * gave them: the table entry behind phi_python_statics. */
#ifndef PYHEAPINSPECT_STATICS_H
#define PYHEAPINSPECT_STATICS_H

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/python.h"
#include "pyheapinspect/source/image.h"

int phi310_statics(struct phi_python *py, const struct phi_image *img,
		   const struct phi_runtime *rt, struct phi_error *err);

#endif
