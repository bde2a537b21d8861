/* The CPython layer's public face, part 2: the heap it decoded (the
 * object graph, the type table, the roots) and the questions the
 * analyses and reporters may ask about its objects: a value's preview,
 * the name of a path step, an expression's object, values compared for
 * the duplicates.  They never read the image themselves; every answer
 * comes from the version that built the heap (h->py->ops). */
#ifndef PYHEAPINSPECT_HEAP_H
#define PYHEAPINSPECT_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/kinds.h"
#include "pyheapinspect/cpython/python.h"
#include "pyheapinspect/graph/graph.h"
#include "pyheapinspect/source/image.h"

/* Longest preview, in characters (code points for str, bytes for bytes,
 * digits for int). */
#define PHI_PREVIEW_CHARS 200
/* Buffer size that always holds a preview: 200 chars of 4 UTF-8 bytes,
 * or 200 bytes as \xNN escapes, plus the NUL. */
#define PHI_PREVIEW_BUF (PHI_PREVIEW_CHARS * 4 + 16)

/* How the instances of a type are decoded. */
enum phi_type_decoder {
	PHI_DECODER_KIND,    /* by its kind (a builtin layout) */
	PHI_DECODER_BUILTIN, /* a C type the version knows (the stdlib's) */
	PHI_DECODER_DWARF,   /* a C type's struct from its DWARF: the
			      * referents are its object members, which
			      * tp_traverse may not all visit */
	PHI_DECODER_SCAN,    /* a C type with neither: its fixed part is
			      * scanned for addresses of objects
			      * (conservative references) */
};

/* One type of the heap.  The analyses read the first group of fields;
 * the rest describe the layout for the version's decoders. */
struct phi_type {
	uint64_t addr;
	enum phi_kind kind;
	char *name;            /* module.qualname, or qualname for builtins */
	bool heap;             /* a heap type (class statement, heap C type) */
	uint64_t count, size;  /* histogram */
	uint32_t node;         /* the type object's graph node, once known
				* (PHI_NONE before): saves a hash lookup per
				* object */
	enum phi_type_decoder decoder;
	bool size_exact;       /* sizes are sys.getsizeof's: false when the
				* type's __sizeof__ is one the tool cannot
				* compute (a Python method, an unknown C
				* type's own) */
	/* The version's: */
	uint64_t tp_flags;
	int64_t basicsize, itemsize, dictoffset;
	bool has_gc;           /* Py_TPFLAGS_HAVE_GC */
	bool is_gc_fn;         /* tp_is_gc set (only `type` and metatypes) */
	bool own_dict;         /* instances' __dict__ is not decoded by the
				* kind (added by a class, or opaque type) */
	int64_t structseq_fields; /* a struct sequence's n_fields: it holds
				   * more items than its visible length */
	uint32_t slots_start;  /* in phi_types.slot_offsets: object members
				* of the MRO that the kind does not decode */
	uint32_t nslots;
	uint32_t cspec;        /* a C type's built-in spec or DWARF
				* descriptor (the version's index) */
	uint64_t cbase;        /* the C type that defines the layout (the
				* type itself, or the base of its Python
				* subclasses); 0 for kinds */
};

/* The type table: every type object met in the heap, validated once. */
struct phi_types {
	struct phi_type *v;
	size_t n, cap;
	/* The version's: */
	uint32_t *hslots;      /* address hash: index + 1 */
	uint64_t hmask;
	int64_t *slot_offsets; /* T_OBJECT members of every class's MRO */
	size_t nslot_offsets, slot_cap;
	uint64_t kind_type[PHI_K__COUNT]; /* static type of each kind */
	const struct phi_image *img;
	const struct phi_python *py;
	/* The live source (its mappings and files: the extension modules'
	 * DWARF), NULL for a snapshot; and the version's state of its C
	 * types (descriptors, open DWARF files, module states). */
	struct phi_source *src;
	void *ctypes;
};

/* Where a root comes from (for paths to roots). */
enum phi_root_kind {
	PHI_ROOT_MODULES,      /* sys.modules */
	PHI_ROOT_SYSDICT,      /* sys.__dict__ */
	PHI_ROOT_BUILTINS,
	PHI_ROOT_INTERP,       /* other interpreter-state references */
	PHI_ROOT_FRAME,        /* a thread's frame (index = depth) */
	PHI_ROOT_THREAD,       /* a thread's dict or current exception */
	PHI_ROOT_CACHE,        /* small ints, 1-char str/bytes, empties */
	PHI_ROOT_INTERNED,     /* the interned-strings dict */
	PHI_ROOT_SINGLETON,    /* None, True, False, Ellipsis... */
	PHI_ROOT_EXTERNAL,     /* held from outside the heap (refcounts) */
};

/* A root's interpreter: its index in h->rt->interps, or this for the
 * process-wide roots (interned strings, static singletons). */
#define PHI_HEAP_NO_INTERP 0xffu

struct phi_root {
	uint32_t node;
	enum phi_root_kind kind;
	uint64_t thread_id;    /* PHI_ROOT_FRAME/THREAD */
	uint32_t index;        /* frame depth, cache index */
	uint32_t interp;       /* index in h->rt->interps, or
				* PHI_HEAP_NO_INTERP */
};

struct phi_heap_stats {
	uint64_t objects, total_size, gc_tracked;
	uint64_t opaque, opaque_size;
	uint64_t bad_refs;     /* pointers to things that are not objects */
	uint64_t missing_refs; /* pointers into memory not copied (the
				* image's holes): objects the image lacks */
	uint64_t bad_fields;   /* fields the decoders could not read */
	/* C types (issue 13): objects decoded by a built-in decoder, by
	 * DWARF, scanned; references found by the scans (conservative);
	 * objects whose size is not sys.getsizeof's; references held by C
	 * modules' state. */
	uint64_t builtin_objects, dwarf_objects, scanned_objects;
	uint64_t conservative_refs;
	uint64_t inexact_objects, inexact_size;
	uint64_t module_state_refs, module_states;
};

/* The nodes with conservative references: node's edges from edge_start
 * + first on are conservative (the scan visits them last).  Sorted by
 * node. */
struct phi_conservative {
	uint32_t node;
	uint32_t first;
};

struct phi_heap {
	struct phi_graph g;
	struct phi_types types;
	struct phi_root *roots;
	size_t nroots, roots_cap;
	struct phi_heap_stats stats;
	struct phi_conservative *cons;
	size_t ncons, cons_cap;
	struct phi_gaps gaps;  /* what the decoding could not do */
	double build_ms;
	/* What the heap was decoded from: the questions below go to
	 * py->ops, which reads img. */
	const struct phi_python *py;
	const struct phi_image *img;
	const struct phi_runtime *rt;
};

struct phi_heap_opts {
	/* Called now and then with the objects decoded so far (or NULL). */
	void (*progress)(uint64_t done, uint64_t seen);
	/* Refuse (PHI_E_NO_MEMORY) a graph of more objects (0 = no limit):
	 * how --max-memory bounds the tool's own memory. */
	uint64_t max_objects;
	/* The live process, whose mapped files hold the DWARF of its
	 * extension modules (C types without a built-in decoder); NULL
	 * for a snapshot, which keeps no files. */
	struct phi_source *src;
};

/* Enumerate and decode every object reachable from the roots and the GC
 * lists of rt's interpreters. */
int phi_heap_build(struct phi_heap *h, const struct phi_python *py,
		   const struct phi_image *img, const struct phi_runtime *rt,
		   const struct phi_heap_opts *o, struct phi_error *err);
void phi_heap_release(struct phi_heap *h);

/* Root r's interpreter as an index in h->rt->interps, or
 * PHI_HEAP_NO_INTERP (a process-wide root, or a heap without a
 * runtime). */
static inline uint32_t phi_heap_root_interp(const struct phi_heap *h,
					    const struct phi_root *r)
{
	return h->rt && r->interp < h->rt->ninterps ? r->interp :
						      PHI_HEAP_NO_INTERP;
}

/* The prefix of the paths that start at interpreter k's roots:
 * "interp#N/" (N its id) for a subinterpreter, "" for the main one and
 * for PHI_HEAP_NO_INTERP.  --expr takes the same prefix. */
#define PHI_HEAP_INTERP_PREFIX "interp#"
void phi_heap_interp_prefix(const struct phi_heap *h, uint32_t k, char *buf,
			    size_t len);

/* The type of node i. */
static inline const struct phi_type *phi_heap_type(const struct phi_heap *h,
						   uint32_t i)
{
	return &h->types.v[h->g.type[i]];
}

/* Preview of a scalar's value (str, bytes, int, bool, float): UTF-8,
 * at most PHI_PREVIEW_CHARS characters (cap >= PHI_PREVIEW_BUF), with
 * its length in *len (a str may hold U+0000) and *truncated when cut.
 * False for other kinds and unreadable objects (buf is then "").  See
 * docs/schema.md for the forms. */
bool phi_heap_preview(const struct phi_heap *h, uint32_t node, char *buf,
		      size_t cap, size_t *len, bool *truncated);

/* Names of path steps: the root node ("sys.modules", "thread 0x...
 * frame f()"; root is an index in h->roots, or PHI_HEAP_EXTERNAL_ROOT),
 * and how parent holds child ("['key']", "[3]", ".attr", " local 'x'"),
 * appended to buf. */
#define PHI_HEAP_EXTERNAL_ROOT (PHI_NONE - 2)
void phi_heap_label_root(const struct phi_heap *h, uint32_t node,
			 uint32_t root, char *buf, size_t len);
void phi_heap_label_step(const struct phi_heap *h, uint32_t parent,
			 uint32_t child, char *buf, size_t len);

/* The node named by [interp#N/]MODULE:NAME[.ATTR|[KEY]]... (module
 * from the sys.modules of interpreter N, by default the main one), or
 * PHI_E_NOT_FOUND with a clear message. */
int phi_heap_resolve(const struct phi_heap *h, const char *expr,
		     uint32_t *node, struct phi_error *err);

/* "0x7f..." naming an object of the heap. */
int phi_heap_resolve_address(const struct phi_heap *h, const char *text,
			     uint32_t *node, struct phi_error *err);

/* A collection's table (list, dict, set, bytearray and their
 * subclasses): how full it is, and what a copy of it would allocate.
 * table - copy_table, when positive, is what the collection holds beyond
 * what its length needs; sys.getsizeof(x) - sys.getsizeof(type(x)(x))
 * for the builtin types. */
struct phi_fill {
	uint64_t length;     /* len(x) */
	uint64_t capacity;   /* items its table holds before it must grow */
	uint64_t table;      /* bytes of the table, in sys.getsizeof */
	uint64_t copy_table; /* bytes of the table of list(x), dict(x),
			      * set(x) or bytearray(x) */
};

/* False for other kinds and for a table that cannot be read. */
bool phi_heap_fill(const struct phi_heap *h, uint32_t node,
		   struct phi_fill *f);

/* Comparing objects by value (the duplicates finder).  One context per
 * thread: it remembers what it read.  Its hashes are keyed by `key`
 * (equal values have equal hashes under one key; a target cannot plant
 * collisions for a key it does not know). */
struct phi_valcmp {
	const struct phi_heap *h;
	uint64_t key;
	void *impl;           /* the version's */
};

int phi_valcmp_open(struct phi_valcmp *vc, const struct phi_heap *h,
		    uint64_t key, struct phi_error *err);
void phi_valcmp_close(struct phi_valcmp *vc);

/* The class within which node's value is compared (equal values are
 * only looked for within one: True is not 1, 1 is not 1.0, '1' is not
 * b'1', a subclass with its own state is no scalar), or PHI_NONE when
 * node is not compared by value at all. */
uint32_t phi_valcmp_class(const struct phi_valcmp *vc, uint32_t node);
/* Its hash, or false when its value cannot be read. */
bool phi_valcmp_hash(struct phi_valcmp *vc, uint32_t node, uint64_t *hash);
bool phi_valcmp_equal(struct phi_valcmp *vc, uint32_t a, uint32_t b);
/* Start loading what hashing node will read. */
void phi_valcmp_prefetch(const struct phi_valcmp *vc, uint32_t node);
/* Its value for the report: a scalar as phi_heap_preview gives it, a
 * tuple as "(1, 'a', 2.5)", cut at PHI_PREVIEW_CHARS characters with
 * "..."; cap >= PHI_PREVIEW_BUF. */
void phi_valcmp_preview(const struct phi_valcmp *vc, uint32_t node,
			char *buf, size_t cap);

#endif
