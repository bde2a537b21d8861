/* Struct layouts from DWARF (libdwarf).  All of libdwarf lives behind this
 * header, in src/dwarf.c, so that API differences between libdwarf
 * releases stay in one file. */
#ifndef PYHEAPINSPECT_DWARF_H
#define PYHEAPINSPECT_DWARF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/base/error.h"

/* One question: the offset of `member` inside `type_name`, or the byte
 * size of `type_name` when member is NULL.  type_name is a struct/union
 * tag ("_is") or a typedef name ("PyListObject").  member is a dotted
 * path through nested structs ("gc.generations"); members of anonymous
 * structs and unions are found as if they were direct members. */
struct phi_dwarf_query {
	const char *type_name;
	const char *member;
	int64_t value; /* out */
	bool found;    /* out */
	/* Optional: where the type is defined, the end of a compile unit's
	 * name ("malloc.c").  The walk looks for it in such units only, and
	 * skips the DIEs of units where no query is to be looked for; when
	 * no such unit defines it, the whole file is walked again for it. */
	const char *cu_suffix;
};

/* Answer the queries from the DWARF of the ELF file at path: the mapped
 * object itself or a separate debug file that debuginfo/debugfile.h
 * found and checked (this function looks nowhere else).  Stops reading
 * as soon as every queried type was seen.  Returns 0 when DWARF was read
 * (queries it lacks stay found = false), -PHI_E_NO_DEBUGINFO when the
 * file has none, another -code on error.  If used_path is not NULL, path
 * is copied there (size used_path_len). */
int phi_dwarf_resolve(const char *path, struct phi_dwarf_query *queries,
		      size_t nqueries, char *used_path, size_t used_path_len,
		      struct phi_error *err);

/* A file-static variable of one compile unit (a build without .symtab
 * has no other record of where it is). */
struct phi_dwarf_var {
	const char *name;
	uint64_t addr; /* out: link-time address (add the load bias) */
	bool found;    /* out */
};

/* The addresses of vars, DW_TAG_variable DIEs at the top level of the
 * compile unit whose DW_AT_name ends with cu_suffix
 * ("Modules/_tracemalloc.c"), from the DWARF of the file at path itself
 * (give the file phi_dwarf_resolve used: no separate debug file is
 * looked for here).  Only a DW_AT_location that is exactly one
 * DW_OP_addr counts.  Returns 0 when the unit was read (variables it
 * lacks stay found = false), -PHI_E_NO_DEBUGINFO when the file has no
 * DWARF or no such unit, another -code on error. */
int phi_dwarf_variables(const char *path, const char *cu_suffix,
			struct phi_dwarf_var *vars, size_t n,
			struct phi_error *err);

/* ---- the object structs of functions (a C type's generic decoder) ---- */

/* One file's DWARF, kept open with its functions indexed by entry
 * address, for many questions. */
struct phi_dwarf_file;

/* 0, -PHI_E_NO_DEBUGINFO when the file has no DWARF (no unit), another
 * -code when it cannot be read.  The file is the target's: every value
 * read from it is bounded. */
int phi_dwarf_file_open(const char *path, struct phi_dwarf_file **out,
			struct phi_error *err);
void phi_dwarf_file_close(struct phi_dwarf_file *f);
size_t phi_dwarf_file_functions(const struct phi_dwarf_file *f);

/* An object member: a PyObject * or a pointer to a struct that starts
 * with an object header, or an array of count of them. */
struct phi_dwarf_objmember {
	uint64_t offset;
	uint64_t count;
};

/* A struct and its object members, flattened through embedded structs
 * (not unions, not the object header); m has cap entries (the caller's
 * array); the members past cap are left out. */
struct phi_dwarf_objstruct {
	uint64_t size;
	char name[64];
	bool local;    /* the first local pointer's struct, not the first
			* parameter's */
	struct phi_dwarf_objmember *m;
	size_t n, cap;
};

/* The struct that the function whose entry is at link-time address pc
 * works on: its first parameter's pointee, or, when that is the plain
 * object header (PyObject *) or not a struct, the first local variable
 * that points to a struct (the cast such functions start with); with
 * want_object that struct must be an object struct.  1 when found, 0
 * when DWARF does not say (no such function, no such struct), -code on
 * error. */
int phi_dwarf_function_struct(struct phi_dwarf_file *f, uint64_t pc,
			      bool want_object,
			      struct phi_dwarf_objstruct *s,
			      struct phi_error *err);

#endif
