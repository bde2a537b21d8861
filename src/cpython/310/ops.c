/* CPython 3.10's entry in the table of versions (cpython/ops.h). */
#include "pyheapinspect/cpython/ops.h"
#include "pyheapinspect/cpython/310/expr.h"
#include "pyheapinspect/cpython/310/fill.h"
#include "pyheapinspect/cpython/310/py310.h"
#include "pyheapinspect/cpython/310/pymalloc.h"
#include "pyheapinspect/cpython/310/runtime.h"
#include "pyheapinspect/cpython/310/smallints.h"
#include "pyheapinspect/cpython/310/statics.h"
#include "pyheapinspect/cpython/310/steps.h"
#include "pyheapinspect/cpython/310/tracemalloc.h"
#include "pyheapinspect/cpython/310/valcmp.h"
#include "pyheapinspect/cpython/310/value.h"
#include "pyheapinspect/cpython/310/walk.h"

const struct phi_cpython_ops phi_cpython310_ops = {
	.major = 3,
	.minor = 10,
	.name = "3.10",
	.open = phi310_open,
	.close = phi310_close,
	.layout_start = phi310_layout_start,
	.layout_wait = phi310_layout_wait,
	.layout_join = phi310_layout_join,
	.export = phi310_export,
	.import = phi310_import,
	.runtime = phi310_runtime,
	.statics = phi310_statics,
	.small_ints = phi310_small_ints,
	.memory = phi310_memory,
	.heap_build = phi310_heap_build,
	.heap_release = phi310_heap_release,
	.allocated = phi310_allocated,
	.preview = phi310_preview,
	.label_root = phi310_label_root,
	.label_step = phi310_label_step,
	.resolve = phi310_resolve,
	.fill = phi310_fill,
	.traces = phi310_traces,
	.valcmp_open = phi310_valcmp_open,
	.valcmp_close = phi310_valcmp_close,
	.valcmp_class = phi310_valcmp_class,
	.valcmp_hash = phi310_valcmp_hash,
	.valcmp_equal = phi310_valcmp_equal,
	.valcmp_prefetch = phi310_valcmp_prefetch,
	.valcmp_preview = phi310_valcmp_preview,
};
