/* The table of operations one CPython version provides, the way elfutils
 * keeps one libebl backend per architecture.  The generic code (main.c,
 * cpython/python.c, cpython/heap.c) calls these and never tests the
 * version; the analyses and the reporters reach them only through
 * cpython/python.h and cpython/heap.h.  A new version is a folder
 * (cpython/311/) that fills one of these, and one line in the list of
 * cpython/python.c.  docs/architecture.md says what each must do. */
#ifndef PYHEAPINSPECT_OPS_H
#define PYHEAPINSPECT_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/base/record.h"
#include "pyheapinspect/cpython/heap.h"
#include "pyheapinspect/cpython/memory.h"
#include "pyheapinspect/cpython/python.h"
#include "pyheapinspect/cpython/traces.h"
#include "pyheapinspect/debuginfo/elfsym.h"
#include "pyheapinspect/source/image.h"

struct phi_cpython_ops {
	int major, minor;      /* the version decoded: 3, 10 */
	const char *name;      /* "3.10" */

	/* --- the interpreter, before any capture ------------------- */
	/* Resolve the version's symbols in elf (the object that defines
	 * _PyRuntime, still open; its bias is py->bias) and allocate
	 * py->impl.  py->version, paths, bias and runtime are set. */
	int (*open)(struct phi_python *py, struct phi_elf *elf,
		    struct phi_error *err);
	void (*close)(struct phi_python *py);
	/* Layouts in a thread: see phi_python_layout_start. */
	void (*layout_start)(struct phi_python *py);
	void (*layout_wait)(struct phi_python *py);
	int (*layout_join)(struct phi_python *py, struct phi_error *err);
	/* The version's part of a snapshot's description: symbols and
	 * layouts by name; import validates every value. */
	int (*export)(const struct phi_python *py, struct phi_record *rec,
		      struct phi_error *err);
	int (*import)(struct phi_python *py, const struct phi_record *rec,
		      struct phi_error *err);

	/* --- after the capture, from the image --------------------- */
	int (*runtime)(const struct phi_python *py,
		       const struct phi_image *img, struct phi_runtime *rt,
		       struct phi_error *err);
	/* Statics the symbol tables lacked, found in the image (see
	 * phi_python_statics).  May be NULL. */
	int (*statics)(struct phi_python *py, const struct phi_image *img,
		       const struct phi_runtime *rt, struct phi_error *err);
	int (*small_ints)(const struct phi_python *py,
			  const struct phi_image *img,
			  const struct phi_runtime *rt,
			  struct phi_small_ints *out, struct phi_error *err);
	/* pymalloc, the free lists and the GC state (cpython/memory.h). */
	int (*memory)(const struct phi_python *py, const struct phi_image *img,
		      const struct phi_runtime *rt, struct phi_pymemory *out,
		      struct phi_error *err);
	/* Fill h (zeroed, with py, img and rt set) with every object. */
	int (*heap_build)(struct phi_heap *h, const struct phi_heap_opts *o,
			  struct phi_error *err);
	/* Free what heap_build added beyond the generic arrays (the type
	 * table's own fields).  May be NULL. */
	void (*heap_release)(struct phi_heap *h);

	/* What each object costs its allocators (phi_heap_allocated). */
	int (*allocated)(const struct phi_heap *h,
			 const struct phi_pymemory *m,
			 const struct phi_block_sizer *sizer,
			 struct phi_node_sizes *out, struct phi_error *err);

	/* --- questions about the heap's objects (cpython/heap.h) --- */
	bool (*preview)(const struct phi_heap *h, uint32_t node, char *buf,
			size_t cap, size_t *len, bool *truncated);
	void (*label_root)(const struct phi_heap *h, uint32_t node,
			   uint32_t root, char *buf, size_t len);
	void (*label_step)(const struct phi_heap *h, uint32_t parent,
			   uint32_t child, char *buf, size_t len);
	int (*resolve)(const struct phi_heap *h, const char *expr,
		       uint32_t *node, struct phi_error *err);
	bool (*fill)(const struct phi_heap *h, uint32_t node,
		     struct phi_fill *out);
	/* tracemalloc's traces from the image, joined with h's objects
	 * (cpython/traces.h); with summary, only its state, traced memory
	 * and number of traces.  May be NULL: the version reads none. */
	int (*traces)(const struct phi_heap *h, bool summary,
		      struct phi_traces *out, struct phi_error *err);
	int (*valcmp_open)(struct phi_valcmp *vc, struct phi_error *err);
	void (*valcmp_close)(struct phi_valcmp *vc);
	uint32_t (*valcmp_class)(const struct phi_valcmp *vc, uint32_t node);
	bool (*valcmp_hash)(struct phi_valcmp *vc, uint32_t node,
			    uint64_t *hash);
	bool (*valcmp_equal)(struct phi_valcmp *vc, uint32_t a, uint32_t b);
	void (*valcmp_prefetch)(const struct phi_valcmp *vc, uint32_t node);
	void (*valcmp_preview)(const struct phi_valcmp *vc, uint32_t node,
			       char *buf, size_t cap);
};

/* The entries, one per version folder. */
extern const struct phi_cpython_ops phi_cpython310_ops;

#endif
