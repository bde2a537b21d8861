/* Struct member offsets and sizes from DWARF, read with libdwarf
 * (20210528 API: dwarf_elf_init_b over a libelf handle of the mapped file,
 * dwarf_next_cu_header_d).
 *
 * Only the top-level DIEs of each compilation unit are visited: C struct,
 * union and typedef definitions live there, and skipping the bodies of
 * functions is what makes a pass over libpython fast.  The walk stops as
 * soon as every queried type name has been seen once.
 *
 * Internal helpers return 1 for "yes / found", 0 for "no / absent" and a
 * negative phi_errcode (with the error record filled in) on failure. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libdwarf/dwarf.h>
#include <libdwarf/libdwarf.h>

#include "pyheapinspect/debuginfo/dwarf.h"

/* Bound on typedef/qualifier chains and on nesting of anonymous members:
 * real headers need 2 or 3, corrupt DWARF could loop forever. */
#define MAX_DEPTH 16
/* Offsets and sizes read from the DWARF, which is untrusted (the target's
 * own file, or a debug file found for it): no struct of a C program is
 * 4 GiB, and a sum of member offsets along a path must not wrap.  A
 * value past this answers "absent"; the caller validates the rest. */
#define MAX_VALUE ((Dwarf_Unsigned)1 << 32)

struct walk {
	Dwarf_Debug dbg;
	const char *path;	/* file being read, for messages */
	struct phi_dwarf_query *q;
	size_t nq;
	bool *done;		/* done[i]: q[i]'s type was resolved */
	bool *here;		/* here[i]: q[i] is looked for in this unit */
	bool hints;		/* queries' cu_suffix honoured (first pass) */
	size_t pending;		/* queries whose type is still unresolved */
	struct phi_error *err;
	char tdname[64];	/* the last typedef met on a pointer */
};

/* Turn a libdwarf error into ours.  The Dwarf_Error must be freed or it
 * stays allocated until dwarf_finish. */
static int dw_fail(struct walk *w, Dwarf_Error de, const char *what)
{
	int rc;

	rc = phi_error_set(w->err, PHI_E_IO,
			   "cannot read DWARF %s in '%s': %s", what, w->path,
			   de ? dwarf_errmsg(de) : "?");
	if (de)
		dwarf_dealloc(w->dbg, de, DW_DLA_ERROR);
	return rc;
}

/* Map a DW_DLV_* result to our 1 / 0 / -code convention. */
static int dw_result(struct walk *w, int res, Dwarf_Error de,
		     const char *what)
{
	if (res == DW_DLV_OK)
		return 1;
	if (res == DW_DLV_NO_ENTRY)
		return 0;
	return dw_fail(w, de, what);
}

static void free_die(struct walk *w, Dwarf_Die die)
{
	if (die)
		dwarf_dealloc(w->dbg, die, DW_DLA_DIE);
}

static int die_tag(struct walk *w, Dwarf_Die die, Dwarf_Half *tag)
{
	Dwarf_Error de = NULL;
	int res = dwarf_tag(die, tag, &de);

	return res == DW_DLV_OK ? 1 : dw_result(w, res, de, "tag");
}

/* The name points into .debug_str/.debug_info in this libdwarf release
 * (see string_is_in_debug_section() in its dwarf_alloc.c): dwarf_dealloc
 * on it would be a no-op, so it is not freed. */
static int die_name(struct walk *w, Dwarf_Die die, char **name)
{
	Dwarf_Error de = NULL;

	return dw_result(w, dwarf_diename(die, name, &de), de, "name");
}

static int die_child(struct walk *w, Dwarf_Die die, Dwarf_Die *child)
{
	Dwarf_Error de = NULL;

	*child = NULL;
	return dw_result(w, dwarf_child(die, child, &de), de, "child");
}

static int die_sibling(struct walk *w, Dwarf_Die die, Dwarf_Die *sib)
{
	Dwarf_Error de = NULL;

	*sib = NULL;
	return dw_result(w, dwarf_siblingof_b(w->dbg, die, true, sib, &de),
			 de, "sibling");
}

/* DW_AT_declaration marks an incomplete type ("struct _is;"). */
static int is_declaration(struct walk *w, Dwarf_Die die)
{
	Dwarf_Error de = NULL;
	Dwarf_Attribute attr;
	Dwarf_Bool flag = false;
	int res;

	res = dwarf_attr(die, DW_AT_declaration, &attr, &de);
	if (res != DW_DLV_OK)
		return dw_result(w, res, de, "attribute");
	res = dwarf_formflag(attr, &flag, &de);
	dwarf_dealloc(w->dbg, attr, DW_DLA_ATTR);
	if (res != DW_DLV_OK)
		return dw_result(w, res, de, "declaration flag");
	return flag ? 1 : 0;
}

/* The DIE an attribute refers to (DW_AT_type, DW_AT_abstract_origin).
 * It may sit anywhere in .debug_info (even in another unit via
 * DW_FORM_ref_addr), hence the global offset. */
static int die_ref(struct walk *w, Dwarf_Die die, Dwarf_Half at,
		   Dwarf_Die *out)
{
	Dwarf_Error de = NULL;
	Dwarf_Attribute attr;
	Dwarf_Off off;
	int res;

	*out = NULL;
	res = dwarf_attr(die, at, &attr, &de);
	if (res != DW_DLV_OK)
		return dw_result(w, res, de, "attribute");
	res = dwarf_global_formref(attr, &off, &de);
	dwarf_dealloc(w->dbg, attr, DW_DLA_ATTR);
	if (res != DW_DLV_OK)
		return dw_result(w, res, de, "reference");
	res = dwarf_offdie_b(w->dbg, off, true, out, &de);
	return dw_result(w, res, de, "referenced DIE");
}

/* The DIE named by DW_AT_type. */
static int die_type(struct walk *w, Dwarf_Die die, Dwarf_Die *type)
{
	return die_ref(w, die, DW_AT_type, type);
}

static bool is_aggregate(Dwarf_Half tag)
{
	return tag == DW_TAG_structure_type || tag == DW_TAG_union_type;
}

/* Tags that name the same layout as the type they refer to.  Pointers
 * and arrays are not among them: "a.b" never dereferences. */
static bool is_transparent(Dwarf_Half tag)
{
	return tag == DW_TAG_typedef || tag == DW_TAG_const_type ||
	       tag == DW_TAG_volatile_type || tag == DW_TAG_atomic_type;
}

/* Follow typedefs and qualifiers from die (a typedef or a member) to a
 * complete struct or union, returned in *agg for the caller to free. */
static int aggregate_of(struct walk *w, Dwarf_Die die, Dwarf_Die *agg)
{
	Dwarf_Die cur, next;
	Dwarf_Half tag;
	int rc, hops;

	*agg = NULL;
	rc = die_type(w, die, &cur);
	for (hops = 0; rc == 1 && hops < MAX_DEPTH; hops++) {
		rc = die_tag(w, cur, &tag);
		if (rc == 1 && is_aggregate(tag)) {
			rc = is_declaration(w, cur);
			if (rc == 0) {
				*agg = cur;
				return 1;
			}
			rc = rc < 0 ? rc : 0;
			break;
		}
		if (rc == 1 && !is_transparent(tag))
			rc = 0;
		if (rc == 1) {
			rc = die_type(w, cur, &next);
			free_die(w, cur);
			cur = next;
		}
	}
	free_die(w, cur);
	return rc < 0 ? rc : 0;
}

/* Read an unsigned LEB128 from a bounded buffer. */
static bool read_uleb(const unsigned char *p, size_t len, size_t *pos,
		      Dwarf_Unsigned *val)
{
	Dwarf_Unsigned v = 0;
	unsigned shift = 0;

	while (*pos < len && shift < 64) {
		unsigned char b = p[(*pos)++];

		v |= (Dwarf_Unsigned)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*val = v;
			return true;
		}
		shift += 7;
	}
	return false;
}

/* DWARF 2 style member location: a one-operation expression
 * "DW_OP_plus_uconst N".  Anything else (virtual bases) is not a plain
 * offset, so the member counts as absent. */
static int parse_location(const void *expr, Dwarf_Unsigned len,
			  Dwarf_Unsigned *off)
{
	const unsigned char *p = expr;
	size_t pos = 1;

	if (len < 2 || p[0] != DW_OP_plus_uconst)
		return 0;
	if (!read_uleb(p, len, &pos, off) || pos != len)
		return 0;
	return 1;
}

static int location_block(struct walk *w, Dwarf_Attribute attr,
			  Dwarf_Half form, Dwarf_Unsigned *off)
{
	Dwarf_Error de = NULL;
	Dwarf_Unsigned len;
	Dwarf_Ptr expr;
	Dwarf_Block *blk;
	int res, rc;

	if (form == DW_FORM_exprloc) {
		/* expr points into .debug_info: nothing to free */
		res = dwarf_formexprloc(attr, &len, &expr, &de);
		if (res != DW_DLV_OK)
			return dw_result(w, res, de, "member location");
		return parse_location(expr, len, off);
	}
	res = dwarf_formblock(attr, &blk, &de);
	if (res != DW_DLV_OK)
		return dw_result(w, res, de, "member location");
	rc = parse_location(blk->bl_data, blk->bl_len, off);
	dwarf_dealloc(w->dbg, blk, DW_DLA_BLOCK);
	return rc;
}

static bool is_block_form(Dwarf_Half form)
{
	return form == DW_FORM_block1 || form == DW_FORM_block2 ||
	       form == DW_FORM_block4 || form == DW_FORM_block ||
	       form == DW_FORM_exprloc;
}

/* Bit-fields (DW_AT_bit_size, with DW_AT_bit_offset in DWARF 2-3 or
 * DW_AT_data_bit_offset in 4+) have no byte offset: they count as absent
 * rather than answering with their storage unit. */
static int is_bitfield(struct walk *w, Dwarf_Die die)
{
	Dwarf_Error de = NULL;
	Dwarf_Bool has;
	int res;

	res = dwarf_hasattr(die, DW_AT_bit_size, &has, &de);
	if (res != DW_DLV_OK)
		return dw_result(w, res, de, "attribute");
	return has ? 1 : 0;
}

static int member_offset(struct walk *w, Dwarf_Die die, Dwarf_Unsigned *off)
{
	Dwarf_Error de = NULL;
	Dwarf_Attribute attr;
	Dwarf_Half form;
	int res, rc;

	rc = is_bitfield(w, die);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	res = dwarf_attr(die, DW_AT_data_member_location, &attr, &de);
	if (res == DW_DLV_NO_ENTRY) {
		/* union members carry no location: they sit at 0 */
		*off = 0;
		return 1;
	}
	if (res != DW_DLV_OK)
		return dw_fail(w, de, "attribute");
	res = dwarf_whatform(attr, &form, &de);
	if (res == DW_DLV_OK && is_block_form(form)) {
		rc = location_block(w, attr, form, off);
	} else if (res == DW_DLV_OK && form == DW_FORM_implicit_const) {
		/* DWARF 5 (gcc 11 and later): the value is in the
		 * abbreviation, which this libdwarf's dwarf_formudata
		 * refuses and dwarf_formsdata reads. */
		Dwarf_Signed sv = 0;

		res = dwarf_formsdata(attr, &sv, &de);
		rc = dw_result(w, res, de, "member location");
		if (rc == 1 && sv < 0)
			rc = 0;
		*off = (Dwarf_Unsigned)sv;
	} else if (res == DW_DLV_OK) {
		/* the other constant classes */
		res = dwarf_formudata(attr, off, &de);
		rc = dw_result(w, res, de, "member location");
	} else {
		rc = dw_result(w, res, de, "member location form");
	}
	dwarf_dealloc(w->dbg, attr, DW_DLA_ATTR);
	return rc;
}

static int find_member(struct walk *w, Dwarf_Die agg, const char *name,
		       size_t len, int depth, Dwarf_Unsigned *off,
		       Dwarf_Die *found);

/* A member without a name whose type is a struct or union (C11
 * anonymous member): look inside it, adding its own offset. */
static int anon_member(struct walk *w, Dwarf_Die die, const char *name,
		       size_t len, int depth, Dwarf_Unsigned *off,
		       Dwarf_Die *found)
{
	Dwarf_Unsigned base, inner;
	Dwarf_Die agg;
	int rc;

	rc = aggregate_of(w, die, &agg);
	if (rc <= 0)
		return rc;
	rc = find_member(w, agg, name, len, depth + 1, &inner, found);
	free_die(w, agg);
	if (rc == 1)
		rc = member_offset(w, die, &base);
	if (rc == 1 && (base > MAX_VALUE || inner > MAX_VALUE - base))
		rc = 0;
	if (rc == 1) {
		*off = base + inner;
		return 1;
	}
	free_die(w, *found);
	*found = NULL;
	return rc;
}

/* Is die the member called name[0..len)?  On success *found is die itself
 * or, through an anonymous member, a DIE the caller must free. */
static int match_member(struct walk *w, Dwarf_Die die, const char *name,
			size_t len, int depth, Dwarf_Unsigned *off,
			Dwarf_Die *found)
{
	Dwarf_Half tag;
	char *mname;
	int rc;

	rc = die_tag(w, die, &tag);
	if (rc <= 0 || tag != DW_TAG_member)
		return rc < 0 ? rc : 0;
	rc = die_name(w, die, &mname);
	if (rc == 0)
		return anon_member(w, die, name, len, depth, off, found);
	if (rc < 0 || strlen(mname) != len || memcmp(mname, name, len))
		return rc < 0 ? rc : 0;
	rc = member_offset(w, die, off);
	if (rc == 1)
		*found = die;
	return rc;
}

/* Search the direct members of agg (and anonymous ones, recursively) for
 * name[0..len).  *found receives the member DIE, freed by the caller. */
static int find_member(struct walk *w, Dwarf_Die agg, const char *name,
		       size_t len, int depth, Dwarf_Unsigned *off,
		       Dwarf_Die *found)
{
	Dwarf_Die die, next;
	int rc;

	*found = NULL;
	if (depth > MAX_DEPTH)
		return 0;
	rc = die_child(w, agg, &die);
	while (rc == 1) {
		rc = match_member(w, die, name, len, depth, off, found);
		if (rc != 0)
			break;
		rc = die_sibling(w, die, &next);
		free_die(w, die);
		die = next;
	}
	if (die != *found)
		free_die(w, die);
	return rc;
}

/* Offset of the dotted member path inside agg (borrowed, not freed). */
static int member_path(struct walk *w, Dwarf_Die agg, const char *path,
		       Dwarf_Unsigned *total)
{
	Dwarf_Die cur = agg, member, next;
	Dwarf_Unsigned off;
	size_t len;
	int rc;

	*total = 0;
	for (;;) {
		len = strcspn(path, ".");
		rc = find_member(w, cur, path, len, 0, &off, &member);
		if (rc <= 0)
			break;
		if (off > MAX_VALUE || *total > MAX_VALUE - off) {
			free_die(w, member);
			rc = 0;
			break;
		}
		*total += off;
		if (path[len] == '\0') {
			free_die(w, member);
			break;
		}
		rc = aggregate_of(w, member, &next);
		free_die(w, member);
		if (rc <= 0)
			break;
		if (cur != agg)
			free_die(w, cur);
		cur = next;
		path += len + 1;
	}
	if (cur != agg)
		free_die(w, cur);
	return rc;
}

static int answer(struct walk *w, struct phi_dwarf_query *q, Dwarf_Die agg)
{
	Dwarf_Error de = NULL;
	Dwarf_Unsigned val;
	int rc;

	if (q->member) {
		rc = member_path(w, agg, q->member, &val);
	} else {
		rc = dw_result(w, dwarf_bytesize(agg, &val, &de), de,
			       "byte size");
	}
	if (rc == 1 && val <= MAX_VALUE) {
		q->value = (int64_t)val;
		q->found = true;
	}
	return rc < 0 ? rc : 0;
}

/* agg is the complete definition of `name`: answer every query about
 * that name, whether or not its member exists. */
static int resolve_type(struct walk *w, const char *name, Dwarf_Die agg)
{
	size_t i;
	int rc;

	for (i = 0; i < w->nq; i++) {
		if (w->done[i] || !w->here[i] ||
		    strcmp(w->q[i].type_name, name))
			continue;
		w->done[i] = true;
		w->pending--;
		rc = answer(w, &w->q[i], agg);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static bool is_pending(struct walk *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->nq; i++)
		if (!w->done[i] && w->here[i] &&
		    !strcmp(w->q[i].type_name, name))
			return true;
	return false;
}

static bool ends_with(const char *s, const char *suffix);

/* Which pending queries this unit (its DIE cu) is searched for; false
 * when none is: its DIEs are not read. */
static int unit_wanted(struct walk *w, Dwarf_Die cu)
{
	char *name = NULL;
	bool any = false;
	int rc = 0;

	if (w->hints)
		rc = die_name(w, cu, &name);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < w->nq; i++) {
		const char *want = w->q[i].cu_suffix;

		w->here[i] = !w->hints || !want ||
			     (name && ends_with(name, want));
		any |= w->here[i] && !w->done[i];
	}
	return any;
}

/* One top-level DIE of a unit: a struct/union definition or a typedef
 * with a queried name resolves that name. */
static int visit_top(struct walk *w, Dwarf_Die die)
{
	Dwarf_Die agg;
	Dwarf_Half tag;
	char *name;
	int rc;

	rc = die_tag(w, die, &tag);
	if (rc <= 0 || !(is_aggregate(tag) || tag == DW_TAG_typedef))
		return rc < 0 ? rc : 0;
	rc = die_name(w, die, &name);
	if (rc <= 0 || !is_pending(w, name))
		return rc < 0 ? rc : 0;
	if (tag == DW_TAG_typedef) {
		/* typedef of an incomplete struct here: try later units */
		rc = aggregate_of(w, die, &agg);
		if (rc <= 0)
			return rc;
		rc = resolve_type(w, name, agg);
		free_die(w, agg);
		return rc;
	}
	rc = is_declaration(w, die);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	return resolve_type(w, name, die);
}

/* The unit whose header was just read by dwarf_next_cu_header_d. */
static int walk_unit(struct walk *w)
{
	Dwarf_Error de = NULL;
	Dwarf_Die cu, die, next;
	int res, rc;

	res = dwarf_siblingof_b(w->dbg, NULL, true, &cu, &de);
	if (res != DW_DLV_OK)
		return dw_result(w, res, de, "unit");
	rc = unit_wanted(w, cu);
	if (rc <= 0) {
		free_die(w, cu);
		return rc;
	}
	rc = die_child(w, cu, &die);
	free_die(w, cu);
	while (rc == 1 && w->pending > 0) {
		rc = visit_top(w, die);
		if (rc == 0)
			rc = die_sibling(w, die, &next);
		else
			next = NULL;
		free_die(w, die);
		die = next;
	}
	free_die(w, die);
	return rc < 0 ? rc : 0;
}

/* Walk units until all queried types are resolved.  Returns 1 if the
 * file has at least one unit, 0 if it has none: a stripped file still
 * opens (libdwarf counts .eh_frame as DWARF) but has no .debug_info.
 * Stopping early is fine as dwarf_finish follows. */
static int walk_units(struct walk *w)
{
	Dwarf_Error de = NULL;
	Dwarf_Unsigned next_off;
	Dwarf_Half unit_type;
	int res, rc, units = 0;

	do {
		res = dwarf_next_cu_header_d(w->dbg, true, NULL, NULL, NULL,
					     NULL, NULL, NULL, NULL, NULL,
					     &next_off, &unit_type, &de);
		if (res == DW_DLV_NO_ENTRY)
			break;
		if (res != DW_DLV_OK)
			return dw_fail(w, de, "unit header");
		units++;
		rc = walk_unit(w);
		if (rc < 0)
			return rc;
	} while (w->pending > 0);
	return units > 0 ? 1 : 0;
}

/* Open a file to read, refusing directories and devices (the path may
 * come from the target: a debug file's name). */
static int open_regular(const char *file)
{
	struct stat st;
	int fd;

	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

static int open_error(struct phi_error *err, const char *file)
{
	int code = errno == EACCES || errno == EPERM ? PHI_E_PERMISSION
						     : PHI_E_IO;

	/* EINVAL only comes from open_regular's own check */
	if (errno == EINVAL)
		return phi_error_set(err, PHI_E_IO,
				     "cannot read '%s': not a regular file",
				     file);
	return phi_error_set(err, code, "cannot open '%s': %s", file,
			     strerror(errno));
}

/* Answer from the DWARF of one file.  1 if it had DWARF, 0 if not (or,
 * unless required, if it cannot be opened), -code on error. */
static int resolve_in(struct walk *w, const char *file, bool required)
{
	Dwarf_Error de = NULL;
	Elf *elf;
	int fd, res, rc;

	fd = open_regular(file);
	if (fd < 0)
		return required ? open_error(w->err, file) : 0;
	w->path = file;
	w->dbg = NULL;
	/* Through libelf with the file mapped: the sections are read in
	 * place from the page cache.  dwarf_init_b would read() each one
	 * into fresh memory, about 10 MB for libpython, and the page faults
	 * on it were half of the layouts' time. */
	elf = elf_version(EV_CURRENT) != EV_NONE
		      ? elf_begin(fd, ELF_C_READ_MMAP, NULL)
		      : NULL;
	if (!elf) {
		close(fd);
		return phi_error_set(w->err, PHI_E_IO,
				     "cannot read ELF file '%s': %s", file,
				     elf_errmsg(-1));
	}
	/* Not an ELF file at all: no DWARF in it, as dwarf_init_b said. */
	res = elf_kind(elf) != ELF_K_ELF
		      ? DW_DLV_NO_ENTRY
		      : dwarf_elf_init_b(elf, DW_DLC_READ, DW_GROUPNUMBER_ANY,
					 NULL, NULL, &w->dbg, &de);
	if (res == DW_DLV_OK) {
		rc = walk_units(w);
		/* without an error pointer libdwarf aborts on failure */
		if (dwarf_finish(w->dbg, &de) == DW_DLV_ERROR)
			dwarf_dealloc(NULL, de, DW_DLA_ERROR);
	} else {
		rc = dw_result(w, res, de, "headers");
	}
	w->dbg = NULL;
	elf_end(elf);
	close(fd);
	return rc;
}

static bool hinted_pending(const struct walk *w)
{
	for (size_t i = 0; i < w->nq; i++)
		if (!w->done[i] && w->q[i].cu_suffix)
			return true;
	return false;
}

int phi_dwarf_resolve(const char *path, struct phi_dwarf_query *queries,
		      size_t nqueries, char *used_path, size_t used_path_len,
		      struct phi_error *err)
{
	struct walk w = { .q = queries, .nq = nqueries, .err = err };
	size_t i;
	int rc;

	for (i = 0; i < nqueries; i++)
		queries[i].found = false;
	w.done = calloc(nqueries ? nqueries : 1, sizeof(*w.done));
	w.here = calloc(nqueries ? nqueries : 1, sizeof(*w.here));
	if (!w.done || !w.here) {
		free(w.done);
		free(w.here);
		return phi_error_set(err, PHI_E_NO_MEMORY,
				     "out of memory reading DWARF of '%s'",
				     path);
	}
	w.pending = nqueries;
	for (i = 0; i < nqueries; i++) {
		/* a query without a type can never be answered */
		if (!queries[i].type_name) {
			w.done[i] = true;
			w.pending--;
		}
	}

	for (i = 0; i < nqueries; i++)
		w.hints |= queries[i].cu_suffix && !w.done[i];
	rc = resolve_in(&w, path, true);
	/* A type not where its hint said: everywhere, for it alone. */
	if (rc > 0 && w.hints && hinted_pending(&w)) {
		w.hints = false;
		rc = resolve_in(&w, path, true);
	}
	free(w.done);
	free(w.here);
	if (rc == 0)
		return phi_error_set(err, PHI_E_NO_DEBUGINFO,
				     "no DWARF in '%s'", path);
	if (rc < 0)
		return rc;
	if (used_path && used_path_len)
		snprintf(used_path, used_path_len, "%s", path);
	return 0;
}

/* ---- File-static variables of one compile unit ------------------------
 *
 * For a build without .symtab: the addresses of statics (tracemalloc's
 * tables) from DW_AT_location of their DW_TAG_variable.  Separate from
 * the layouts' walk above: it reads one unit, found by its name, and
 * only the top-level DIEs of that unit. */

/* The address of a location that is exactly one DW_OP_addr (the form a
 * static variable's location has); 0 for anything else. */
static int addr_location(const unsigned char *p, Dwarf_Unsigned len,
			 uint64_t *addr)
{
	if (len != 9 || p[0] != DW_OP_addr)
		return 0;
	*addr = 0;
	for (int i = 8; i >= 1; i--)
		*addr = *addr << 8 | p[i];
	return 1;
}

static int var_location(struct walk *w, Dwarf_Die die, uint64_t *addr)
{
	Dwarf_Error de = NULL;
	Dwarf_Attribute attr;
	Dwarf_Unsigned len;
	Dwarf_Block *blk;
	Dwarf_Half form;
	Dwarf_Ptr expr;
	int res, rc;

	res = dwarf_attr(die, DW_AT_location, &attr, &de);
	if (res != DW_DLV_OK)
		return dw_result(w, res, de, "attribute");
	res = dwarf_whatform(attr, &form, &de);
	if (res != DW_DLV_OK) {
		rc = dw_result(w, res, de, "location form");
	} else if (form == DW_FORM_exprloc) {
		res = dwarf_formexprloc(attr, &len, &expr, &de);
		rc = res == DW_DLV_OK ? addr_location(expr, len, addr)
				      : dw_result(w, res, de, "location");
	} else if (is_block_form(form)) {
		res = dwarf_formblock(attr, &blk, &de);
		if (res == DW_DLV_OK) {
			rc = addr_location(blk->bl_data, blk->bl_len, addr);
			dwarf_dealloc(w->dbg, blk, DW_DLA_BLOCK);
		} else {
			rc = dw_result(w, res, de, "location");
		}
	} else {
		rc = 0; /* a location list: not a plain static */
	}
	dwarf_dealloc(w->dbg, attr, DW_DLA_ATTR);
	return rc;
}

/* One top-level DIE of the unit: a queried variable gets its address. */
static int visit_var(struct walk *w, Dwarf_Die die, struct phi_dwarf_var *v,
		     size_t n)
{
	Dwarf_Half tag;
	uint64_t addr = 0;
	char *name;
	int rc;

	rc = die_tag(w, die, &tag);
	if (rc <= 0 || tag != DW_TAG_variable)
		return rc < 0 ? rc : 0;
	rc = die_name(w, die, &name);
	if (rc <= 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (v[i].found || strcmp(v[i].name, name) != 0)
			continue;
		rc = var_location(w, die, &addr);
		if (rc == 1) {
			v[i].addr = addr;
			v[i].found = true;
		}
		return rc < 0 ? rc : 0;
	}
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The unit just entered by dwarf_next_cu_header_d: 1 if it is the one
 * named, its variables looked up; 0 if it is another. */
static int unit_vars(struct walk *w, const char *cu_suffix,
		     struct phi_dwarf_var *v, size_t n)
{
	Dwarf_Error de = NULL;
	Dwarf_Die cu, die, next;
	char *name;
	int res, rc;

	res = dwarf_siblingof_b(w->dbg, NULL, true, &cu, &de);
	if (res != DW_DLV_OK)
		return dw_result(w, res, de, "unit");
	rc = die_name(w, cu, &name);
	if (rc <= 0 || !ends_with(name, cu_suffix)) {
		free_die(w, cu);
		return rc < 0 ? rc : 0;
	}
	rc = die_child(w, cu, &die);
	free_die(w, cu);
	while (rc == 1) {
		rc = visit_var(w, die, v, n);
		if (rc == 0)
			rc = die_sibling(w, die, &next);
		else
			next = NULL;
		free_die(w, die);
		die = next;
	}
	free_die(w, die);
	return rc < 0 ? rc : 1;
}

static int units_vars(struct walk *w, const char *cu_suffix,
		      struct phi_dwarf_var *v, size_t n)
{
	Dwarf_Error de = NULL;
	Dwarf_Unsigned next_off;
	Dwarf_Half unit_type;
	int res, rc;

	for (;;) {
		res = dwarf_next_cu_header_d(w->dbg, true, NULL, NULL, NULL,
					     NULL, NULL, NULL, NULL, NULL,
					     &next_off, &unit_type, &de);
		if (res == DW_DLV_NO_ENTRY)
			return 0;
		if (res != DW_DLV_OK)
			return dw_fail(w, de, "unit header");
		rc = unit_vars(w, cu_suffix, v, n);
		if (rc != 0)
			return rc; /* found (stopping early: dwarf_finish
				    * follows), or an error */
	}
}

int phi_dwarf_variables(const char *path, const char *cu_suffix,
			struct phi_dwarf_var *vars, size_t n,
			struct phi_error *err)
{
	struct walk w = { .path = path, .err = err };
	Dwarf_Error de = NULL;
	Elf *elf = NULL;
	int fd, res, rc;

	for (size_t i = 0; i < n; i++)
		vars[i].found = false;
	fd = open_regular(path);
	if (fd < 0)
		return open_error(err, path);
	if (elf_version(EV_CURRENT) != EV_NONE)
		elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf) {
		close(fd);
		return phi_error_set(err, PHI_E_IO, "cannot read ELF file "
				     "'%s': %s", path, elf_errmsg(-1));
	}
	res = elf_kind(elf) != ELF_K_ELF
		      ? DW_DLV_NO_ENTRY
		      : dwarf_elf_init_b(elf, DW_DLC_READ, DW_GROUPNUMBER_ANY,
					 NULL, NULL, &w.dbg, &de);
	if (res == DW_DLV_OK) {
		rc = units_vars(&w, cu_suffix, vars, n);
		if (dwarf_finish(w.dbg, &de) == DW_DLV_ERROR)
			dwarf_dealloc(NULL, de, DW_DLA_ERROR);
	} else {
		rc = dw_result(&w, res, de, "headers");
	}
	elf_end(elf);
	close(fd);
	if (rc == 0)
		return phi_error_set(err, PHI_E_NO_DEBUGINFO, "no compile "
				     "unit %s in the DWARF of '%s'", cu_suffix,
				     path);
	return rc < 0 ? rc : 0;
}

/* ---- Object structs of functions (the C types' generic decoder) --------
 *
 * An open file whose subprograms are indexed by their entry address, so
 * that a type's tp_traverse or tp_dealloc (an address read from the
 * type object, made link-time) leads to its DIE, and the DIE to the
 * struct the function takes: its first parameter's, or, when that is a
 * plain PyObject *, the first local pointer's (the cast such functions
 * start with).  The struct's object members are the PyObject * members
 * and the pointers to structs that begin with an object header, and
 * arrays of them, through embedded structs (not unions, and not the
 * object header itself). */

/* Members of one struct, at most; nesting of embedded structs. */
#define MAX_OBJ_MEMBERS 512
#define MAX_EMBED 6
/* Subprograms indexed in one file, at most (libpython has ~12,000). */
#define MAX_FUNCTIONS (1 << 20)

struct fn_entry {
	uint64_t pc;
	Dwarf_Off die;
};

struct phi_dwarf_file {
	int fd;
	Elf *elf;
	struct walk w;
	struct fn_entry *fn;
	size_t nfn, fn_cap;
	char path[PATH_MAX];
};

static int fn_cmp(const void *a, const void *b)
{
	const struct fn_entry *x = a, *y = b;

	return x->pc < y->pc ? -1 : x->pc > y->pc;
}

/* The pages of the file libdwarf has read through the mapping count in
 * the RSS for as long as they stay mapped (8.7 MiB of libpython's after
 * the index below): dropped, they come back from the page cache when
 * read again (what a lookup reads is one unit).  The mapping is read
 * only, so nothing is lost. */
static void drop_pages(struct phi_dwarf_file *f)
{
	size_t len = 0;
	char *base = f->elf ? elf_rawfile(f->elf, &len) : NULL;
	uintptr_t a = (uintptr_t)base & ~(uintptr_t)4095;

	if (base && len)
		madvise((void *)a, len + ((uintptr_t)base - a),
			MADV_DONTNEED);
}

/* Units indexed between two drop_pages. */
#define DROP_EVERY 64

static int index_subprogram(struct phi_dwarf_file *f, Dwarf_Die die)
{
	Dwarf_Error de = NULL;
	Dwarf_Addr pc;
	Dwarf_Off off;
	Dwarf_Half tag;
	int rc, res;

	rc = die_tag(&f->w, die, &tag);
	if (rc <= 0 || tag != DW_TAG_subprogram)
		return rc < 0 ? rc : 0;
	res = dwarf_lowpc(die, &pc, &de);
	if (res != DW_DLV_OK)
		return res == DW_DLV_ERROR ? (dwarf_dealloc(f->w.dbg, de,
							    DW_DLA_ERROR), 0)
					   : 0;
	res = dwarf_dieoffset(die, &off, &de);
	if (res != DW_DLV_OK)
		return dw_result(&f->w, res, de, "DIE offset");
	if (f->nfn == f->fn_cap) {
		size_t ncap = f->fn_cap ? 2 * f->fn_cap : 1024;
		struct fn_entry *p;

		if (ncap > MAX_FUNCTIONS)
			return 0;
		p = realloc(f->fn, ncap * sizeof(*p));
		if (!p)
			return phi_error_set(f->w.err, PHI_E_NO_MEMORY,
					     "out of memory");
		f->fn = p;
		f->fn_cap = ncap;
	}
	f->fn[f->nfn++] = (struct fn_entry){ pc, off };
	return 0;
}

static int index_unit(struct phi_dwarf_file *f)
{
	Dwarf_Error de = NULL;
	Dwarf_Die cu, die, next;
	int res, rc;

	res = dwarf_siblingof_b(f->w.dbg, NULL, true, &cu, &de);
	if (res != DW_DLV_OK)
		return dw_result(&f->w, res, de, "unit");
	rc = die_child(&f->w, cu, &die);
	free_die(&f->w, cu);
	while (rc == 1) {
		rc = index_subprogram(f, die);
		if (rc == 0)
			rc = die_sibling(&f->w, die, &next);
		else
			next = NULL;
		free_die(&f->w, die);
		die = next;
	}
	free_die(&f->w, die);
	return rc < 0 ? rc : 0;
}

static int index_units(struct phi_dwarf_file *f)
{
	Dwarf_Error de = NULL;
	Dwarf_Unsigned next_off;
	Dwarf_Half unit_type;
	int res, rc, units = 0;

	for (;;) {
		res = dwarf_next_cu_header_d(f->w.dbg, true, NULL, NULL, NULL,
					     NULL, NULL, NULL, NULL, NULL,
					     &next_off, &unit_type, &de);
		if (res == DW_DLV_NO_ENTRY)
			break;
		if (res != DW_DLV_OK)
			return dw_fail(&f->w, de, "unit header");
		units++;
		rc = index_unit(f);
		if (rc < 0)
			return rc;
		if (units % DROP_EVERY == 0)
			drop_pages(f);
	}
	drop_pages(f);
	if (f->nfn)
		qsort(f->fn, f->nfn, sizeof(*f->fn), fn_cmp);
	return units > 0 ? 1 : 0;
}

void phi_dwarf_file_close(struct phi_dwarf_file *f)
{
	Dwarf_Error de = NULL;

	if (!f)
		return;
	if (f->w.dbg && dwarf_finish(f->w.dbg, &de) == DW_DLV_ERROR)
		dwarf_dealloc(NULL, de, DW_DLA_ERROR);
	if (f->elf)
		elf_end(f->elf);
	if (f->fd >= 0)
		close(f->fd);
	free(f->fn);
	free(f);
}

int phi_dwarf_file_open(const char *path, struct phi_dwarf_file **out,
			struct phi_error *err)
{
	struct phi_dwarf_file *f = calloc(1, sizeof(*f));
	Dwarf_Error de = NULL;
	int res, rc;

	*out = NULL;
	if (!f)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->w.path = f->path;
	f->w.err = err;
	f->fd = open_regular(path);
	if (f->fd < 0) {
		rc = open_error(err, path);
		phi_dwarf_file_close(f);
		return rc;
	}
	if (elf_version(EV_CURRENT) != EV_NONE)
		f->elf = elf_begin(f->fd, ELF_C_READ_MMAP, NULL);
	if (!f->elf) {
		phi_dwarf_file_close(f);
		return phi_error_set(err, PHI_E_IO, "cannot read ELF file "
				     "'%s': %s", path, elf_errmsg(-1));
	}
	res = elf_kind(f->elf) != ELF_K_ELF
		      ? DW_DLV_NO_ENTRY
		      : dwarf_elf_init_b(f->elf, DW_DLC_READ,
					 DW_GROUPNUMBER_ANY, NULL, NULL,
					 &f->w.dbg, &de);
	rc = res == DW_DLV_OK ? index_units(f) : dw_result(&f->w, res, de,
							   "headers");
	if (rc <= 0) {
		phi_dwarf_file_close(f);
		return rc < 0 ? rc : phi_error_set(err, PHI_E_NO_DEBUGINFO,
						   "no DWARF in '%s'", path);
	}
	*out = f;
	return 0;
}

size_t phi_dwarf_file_functions(const struct phi_dwarf_file *f)
{
	return f ? f->nfn : 0;
}

/* DW_AT_type of die, or of its abstract origin (a concrete instance of
 * an inlined function's parameter carries only the origin). */
static int typed_ref(struct walk *w, Dwarf_Die die, Dwarf_Die *type)
{
	Dwarf_Die origin;
	int rc = die_type(w, die, type);

	if (rc != 0)
		return rc;
	rc = die_ref(w, die, DW_AT_abstract_origin, &origin);
	if (rc <= 0)
		return rc;
	rc = die_type(w, origin, type);
	free_die(w, origin);
	return rc;
}

/* Strip typedefs and qualifiers from *t (freed as it goes). */
static int strip(struct walk *w, Dwarf_Die *t, Dwarf_Half *tag)
{
	Dwarf_Die next;
	int rc;

	for (int hops = 0; hops < MAX_DEPTH; hops++) {
		rc = die_tag(w, *t, tag);
		if (rc <= 0 || !is_transparent(*tag))
			return rc;
		rc = die_type(w, *t, &next);
		free_die(w, *t);
		*t = next;
		if (rc <= 0)
			return rc;
	}
	return 0;
}

static bool named(struct walk *w, Dwarf_Die die, const char *name)
{
	char *n;

	return die_name(w, die, &n) == 1 && strcmp(n, name) == 0;
}

/* The object header: PyObject's struct (struct _object). */
static bool is_header(struct walk *w, Dwarf_Die agg)
{
	return named(w, agg, "_object");
}

/* A struct that is an object: the header itself, a type object, or a
 * struct whose first member, at offset 0, is one (ob_base). */
static int is_object_struct(struct walk *w, Dwarf_Die agg, int depth)
{
	Dwarf_Die m, t;
	Dwarf_Half tag;
	Dwarf_Unsigned off;
	int rc;

	if (is_header(w, agg) || named(w, agg, "_typeobject"))
		return 1;
	if (depth > MAX_DEPTH || is_declaration(w, agg) != 0)
		return 0;
	rc = die_child(w, agg, &m);
	if (rc <= 0)
		return rc;
	rc = die_tag(w, m, &tag);
	if (rc == 1 && tag == DW_TAG_member)
		rc = member_offset(w, m, &off);
	else
		rc = 0;
	if (rc == 1 && off == 0)
		rc = die_type(w, m, &t);
	else
		rc = rc < 0 ? rc : 0;
	free_die(w, m);
	if (rc <= 0)
		return rc;
	rc = strip(w, &t, &tag);
	if (rc == 1 && tag == DW_TAG_structure_type)
		rc = is_object_struct(w, t, depth + 1);
	else
		rc = rc < 0 ? rc : 0;
	free_die(w, t);
	return rc;
}

/* t (stripped) is a pointer to an object struct. */
static int is_object_pointer(struct walk *w, Dwarf_Die t, Dwarf_Half tag)
{
	Dwarf_Die p;
	int rc;

	if (tag != DW_TAG_pointer_type)
		return 0;
	rc = die_type(w, t, &p);
	if (rc <= 0)
		return rc;	/* void * */
	rc = strip(w, &p, &tag);
	if (rc == 1)
		rc = tag == DW_TAG_structure_type ? is_object_struct(w, p, 0)
						  : 0;
	free_die(w, p);
	return rc;
}

/* The element count of an array type (its one subrange). */
static int array_count(struct walk *w, Dwarf_Die arr, uint64_t *count)
{
	Dwarf_Error de = NULL;
	Dwarf_Attribute attr;
	Dwarf_Unsigned v = 0;
	Dwarf_Die sub;
	int rc, res;

	*count = 0;
	rc = die_child(w, arr, &sub);
	if (rc <= 0)
		return rc;
	res = dwarf_attr(sub, DW_AT_count, &attr, &de);
	if (res == DW_DLV_NO_ENTRY) {
		res = dwarf_attr(sub, DW_AT_upper_bound, &attr, &de);
		if (res == DW_DLV_OK) {
			res = dwarf_formudata(attr, &v, &de);
			dwarf_dealloc(w->dbg, attr, DW_DLA_ATTR);
			v++;
		}
	} else if (res == DW_DLV_OK) {
		res = dwarf_formudata(attr, &v, &de);
		dwarf_dealloc(w->dbg, attr, DW_DLA_ATTR);
	}
	free_die(w, sub);
	if (res == DW_DLV_ERROR) {
		dwarf_dealloc(w->dbg, de, DW_DLA_ERROR);
		return 0;
	}
	if (res != DW_DLV_OK || v > MAX_VALUE)
		return 0;	/* a flexible array: no count */
	*count = v;
	return 1;
}

static int add_member(struct phi_dwarf_objstruct *s, uint64_t off,
		      uint64_t count)
{
	if (s->n == s->cap || s->n >= MAX_OBJ_MEMBERS)
		return 0;
	s->m[s->n++] = (struct phi_dwarf_objmember){ off, count };
	return 0;
}

static int object_members(struct walk *w, Dwarf_Die agg, uint64_t base,
			  int depth, struct phi_dwarf_objstruct *s);

/* One member of a struct: an object pointer, an array of them, or an
 * embedded struct to look into. */
static int one_member(struct walk *w, Dwarf_Die m, uint64_t base, int depth,
		      struct phi_dwarf_objstruct *s)
{
	Dwarf_Unsigned off;
	Dwarf_Die t, e;
	Dwarf_Half tag, etag;
	uint64_t count;
	int rc;

	rc = member_offset(w, m, &off);
	if (rc <= 0 || off > MAX_VALUE)
		return rc < 0 ? rc : 0;
	off += base;
	rc = die_type(w, m, &t);
	if (rc <= 0)
		return rc;
	rc = strip(w, &t, &tag);
	if (rc == 1 && tag == DW_TAG_pointer_type) {
		rc = is_object_pointer(w, t, tag);
		if (rc == 1)
			rc = add_member(s, off, 1);
	} else if (rc == 1 && tag == DW_TAG_array_type) {
		rc = array_count(w, t, &count);
		if (rc == 1 && count)
			rc = die_type(w, t, &e);
		else
			rc = rc < 0 ? rc : 0;
		if (rc == 1) {
			rc = strip(w, &e, &etag);
			if (rc == 1)
				rc = is_object_pointer(w, e, etag);
			if (rc == 1)
				rc = add_member(s, off, count);
			free_die(w, e);
		}
	} else if (rc == 1 && tag == DW_TAG_structure_type &&
		   !is_header(w, t) && depth < MAX_EMBED) {
		rc = object_members(w, t, off, depth + 1, s);
	}
	free_die(w, t);
	return rc < 0 ? rc : 0;
}

static int object_members(struct walk *w, Dwarf_Die agg, uint64_t base,
			  int depth, struct phi_dwarf_objstruct *s)
{
	Dwarf_Die m, next;
	Dwarf_Half tag;
	int rc;

	rc = die_child(w, agg, &m);
	while (rc == 1) {
		rc = die_tag(w, m, &tag);
		if (rc == 1 && tag == DW_TAG_member)
			rc = one_member(w, m, base, depth, s);
		else
			rc = rc < 0 ? rc : 0;
		if (rc == 0)
			rc = die_sibling(w, m, &next);
		else
			next = NULL;
		free_die(w, m);
		m = next;
	}
	free_die(w, m);
	return rc < 0 ? rc : 0;
}

/* *agg: the complete struct a pointer type points to, or NULL. */
static int pointee_struct(struct walk *w, Dwarf_Die ptr, Dwarf_Die *agg)
{
	Dwarf_Die t = ptr, p;
	Dwarf_Half tag;
	char *name;
	int rc;

	*agg = NULL;
	rc = strip(w, &t, &tag);
	if (rc <= 0 || tag != DW_TAG_pointer_type) {
		free_die(w, t);
		return rc < 0 ? rc : 0;
	}
	rc = die_type(w, t, &p);
	free_die(w, t);
	if (rc <= 0)
		return rc;
	/* The typedef's name, for a struct that has none of its own. */
	w->tdname[0] = '\0';
	if (die_tag(w, p, &tag) == 1 && tag == DW_TAG_typedef &&
	    die_name(w, p, &name) == 1)
		snprintf(w->tdname, sizeof(w->tdname), "%s", name);
	rc = strip(w, &p, &tag);
	if (rc == 1 && tag == DW_TAG_structure_type &&
	    is_declaration(w, p) == 0) {
		*agg = p;
		return 1;
	}
	free_die(w, p);
	return rc < 0 ? rc : 0;
}

/* The first pointer-to-struct variable of a function's body (its
 * lexical blocks included, in DIE order) that is not the header, and is
 * an object struct when want_object. */
static int first_local(struct walk *w, Dwarf_Die scope, int depth,
		       bool want_object, Dwarf_Die *agg)
{
	Dwarf_Die d, next, t;
	Dwarf_Half tag;
	int rc;

	*agg = NULL;
	if (depth > MAX_DEPTH)
		return 0;
	rc = die_child(w, scope, &d);
	while (rc == 1) {
		rc = die_tag(w, d, &tag);
		if (rc == 1 && tag == DW_TAG_variable) {
			rc = typed_ref(w, d, &t);
			if (rc == 1)
				rc = pointee_struct(w, t, agg);
			if (rc == 1 && (is_header(w, *agg) ||
					(want_object &&
					 is_object_struct(w, *agg, 0) != 1))) {
				free_die(w, *agg);
				*agg = NULL;
				rc = 0;
			}
		} else if (rc == 1 && tag == DW_TAG_lexical_block) {
			rc = first_local(w, d, depth + 1, want_object, agg);
		} else {
			rc = rc < 0 ? rc : 0;
		}
		if (rc == 0)
			rc = die_sibling(w, d, &next);
		else
			next = NULL;
		free_die(w, d);
		d = next;
		if (rc == 1 && *agg)
			break;
	}
	free_die(w, d);
	return rc < 0 ? rc : (*agg ? 1 : 0);
}

/* The struct of fn's first formal parameter; *is_header when it is the
 * plain object header. */
static int first_param(struct walk *w, Dwarf_Die fn, Dwarf_Die *agg)
{
	Dwarf_Die d, next, t;
	Dwarf_Half tag;
	int rc;

	*agg = NULL;
	rc = die_child(w, fn, &d);
	while (rc == 1) {
		rc = die_tag(w, d, &tag);
		if (rc == 1 && tag == DW_TAG_formal_parameter) {
			rc = typed_ref(w, d, &t);
			if (rc == 1)
				rc = pointee_struct(w, t, agg);
			free_die(w, d);
			return rc;
		}
		rc = rc < 0 ? rc : 0;
		if (rc == 0)
			rc = die_sibling(w, d, &next);
		else
			next = NULL;
		free_die(w, d);
		d = next;
	}
	free_die(w, d);
	return rc < 0 ? rc : 0;
}

static int fill_struct(struct walk *w, Dwarf_Die agg,
		       struct phi_dwarf_objstruct *s)
{
	Dwarf_Error de = NULL;
	Dwarf_Unsigned size = 0;
	char *name;
	int rc;

	rc = dw_result(w, dwarf_bytesize(agg, &size, &de), de, "byte size");
	if (rc <= 0 || size > MAX_VALUE)
		return rc < 0 ? rc : 0;
	s->size = size;
	snprintf(s->name, sizeof(s->name), "%s", w->tdname);
	if (die_name(w, agg, &name) == 1)
		snprintf(s->name, sizeof(s->name), "%s", name);
	s->n = 0;
	rc = object_members(w, agg, 0, 0, s);
	return rc < 0 ? rc : 1;
}

int phi_dwarf_function_struct(struct phi_dwarf_file *f, uint64_t pc,
			      bool want_object,
			      struct phi_dwarf_objstruct *s,
			      struct phi_error *err)
{
	struct walk *w = &f->w;
	size_t lo = 0, hi = f->nfn;
	Dwarf_Error de = NULL;
	Dwarf_Die fn, origin, agg = NULL;
	int rc, res;

	w->err = err;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->fn[mid].pc < pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == f->nfn || f->fn[lo].pc != pc)
		return 0;
	res = dwarf_offdie_b(w->dbg, f->fn[lo].die, true, &fn, &de);
	if (res != DW_DLV_OK)
		return dw_result(w, res, de, "function");
	/* An out-of-line copy of an inlined function: its abstract
	 * instance has the parameters and locals with their types. */
	rc = die_ref(w, fn, DW_AT_abstract_origin, &origin);
	if (rc == 1) {
		free_die(w, fn);
		fn = origin;
	}
	if (rc >= 0)
		rc = first_param(w, fn, &agg);
	s->local = false;
	if (rc >= 0 && (!agg || is_header(w, agg) ||
			(want_object && is_object_struct(w, agg, 0) != 1))) {
		free_die(w, agg);
		agg = NULL;
		rc = first_local(w, fn, 0, want_object, &agg);
		s->local = true;
	}
	free_die(w, fn);
	if (rc == 1)
		rc = fill_struct(w, agg, s);
	free_die(w, agg);
	drop_pages(f);
	return rc;
}
