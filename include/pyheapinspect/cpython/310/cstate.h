/* The state of the C types' decoding (ctypes.c, cdwarf.c, cscan.c,
 * modstate.c), kept in phi_types.ctypes for one heap: the descriptors
 * read from DWARF, the files they came from, the module states met. */
#ifndef PYHEAPINSPECT_CSTATE_H
#define PYHEAPINSPECT_CSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/cpython/heap.h"
#include "pyheapinspect/cpython/310/ctypes.h"

/* PYHEAPINSPECT_TEST_CTYPES, for the tests that measure the fallbacks:
 * "dwarf" leaves the built-in decoders out (every C type from its
 * DWARF), "scan" leaves DWARF out too. */
enum phi_cmode {
	PHI_CMODE_ALL,
	PHI_CMODE_DWARF,
	PHI_CMODE_SCAN,
};

/* An object member of a struct read from DWARF: a PyObject * (or a
 * pointer to a struct that starts with an object header), or an array
 * of count of them. */
struct phi_cgen_member {
	uint32_t offset;
	uint32_t count;
};

/* A struct from DWARF: its object members are gen_member[first ..
 * first + n). */
struct phi_cgen {
	uint32_t first, n;
	uint64_t size;
};

/* One mapped ELF file whose DWARF was opened (or could not be). */
struct phi_cfile {
	uint64_t start, end;    /* its mapping's range (any of them) */
	uint64_t bias;          /* runtime address - link-time address */
	char *path;             /* what was opened */
	void *dwarf;            /* struct phi_dwarf_file *, NULL if none */
};

/* A module state met: how it is decoded. */
enum phi_mstate_how {
	PHI_MSTATE_NONE,        /* nothing to visit */
	PHI_MSTATE_BUILTIN,     /* phi_mstate spec */
	PHI_MSTATE_DWARF,       /* a phi_cgen */
	PHI_MSTATE_SCAN,        /* m_size bytes scanned */
};

struct phi_cmod {
	uint64_t def;           /* the PyModuleDef */
	enum phi_mstate_how how;
	uint32_t index;         /* the spec or the descriptor */
	int64_t size;           /* m_size */
};

/* A function asked about, and its descriptor (-1: DWARF did not say). */
struct phi_cfn {
	uint64_t fn;
	int64_t gen;
};

struct phi_cstate {
	enum phi_cmode mode;
	struct phi_cgen *gen;
	size_t ngen, gen_cap;
	struct phi_cgen_member *mem;
	size_t nmem, mem_cap;
	struct phi_cfile *files;
	size_t nfiles, files_cap;
	struct phi_cmod *mods;
	size_t nmods, mods_cap;
	struct phi_cfn *fns;
	size_t nfns, fns_cap;
	uint64_t dwarf_ms10;    /* time spent in DWARF, 0.1 ms units */
};

/* The state of ts, made on first use; NULL when out of memory. */
struct phi_cstate *phi_cstate(struct phi_types *ts);

/* ---- cdwarf.c: the generic decoder ------------------------------------ */

/* The struct of the C type cbase (the one defining the layout of ty's
 * instances), from the DWARF of the file holding its tp_traverse, else
 * its tp_dealloc: the first parameter's struct, or the first local
 * pointer's when the parameter is a PyObject *.  Its index in
 * cs->gen, or -1. */
int64_t phi_cdwarf_type(struct phi_types *ts, const struct phi_type *ty,
			uint64_t cbase);

/* The state struct of a module whose m_traverse is at fn (the first
 * local pointer of m_traverse, or its parameter's), of m_size bytes;
 * -1 when its DWARF does not say. */
int64_t phi_cdwarf_state(struct phi_types *ts, uint64_t fn, int64_t m_size);

/* Visit descriptor g's members of the object (or state) at base, whose
 * first len bytes are at p in the image (the rest read through it);
 * skip holds offsets not to visit (the weak list head, the dict),
 * nskip of them.  Returns the references visited. */
uint32_t phi_cdwarf_visit(const struct phi_cobj *o, const struct phi_cgen *g,
			  uint64_t base, const int64_t *skip, size_t nskip);

void phi_cdwarf_release(struct phi_cstate *cs);

/* ---- cscan.c: the conservative scan -------------------------------------- */

/* Every aligned word of [base + from, base + to) that is the address of
 * a valid object (as the graph builder validates them: header in the
 * image, positive refcount, a valid type) and not at an offset of skip,
 * visited with PHI_REF_CONSERVATIVE.  Returns how many. */
uint32_t phi_cscan(const struct phi_cobj *o, uint64_t base, uint64_t from,
		   uint64_t to, const int64_t *skip, size_t nskip);

#endif
