/* Layout resolution: DWARF first, the built-in 3.10 table second; and the
 * one validation every table goes through, whatever its source. */
#include <stdio.h>
#include <string.h>

#include "pyheapinspect/base/escape.h"
#include "pyheapinspect/debuginfo/dwarf.h"
#include "pyheapinspect/cpython/310/layout.h"

struct field_desc {
	const char *type;
	const char *member;
	int64_t width;
	int64_t builtin;
};

static const struct field_desc fields[PHI_L__COUNT] = {
#define PHI_LAYOUT_DESC(id, type, member, width, builtin) \
	[PHI_L_##id] = { type, member, width, builtin },
	PHI_LAYOUT_FIELDS(PHI_LAYOUT_DESC)
#undef PHI_LAYOUT_DESC
};

void phi_layout_builtin(struct phi_layout *lay)
{
	memset(lay, 0, sizeof(*lay));
	for (int i = 0; i < PHI_L__COUNT; i++)
		lay->v[i] = fields[i].builtin;
	lay->source = PHI_LAYOUT_BUILTIN;
}

int phi_layout_resolve(struct phi_layout *lay, const char *elf_path,
		       struct phi_error *err)
{
	struct phi_dwarf_query q[PHI_L__COUNT];
	char why[sizeof(err->msg)];
	int rc;

	phi_layout_builtin(lay);
	for (int i = 0; i < PHI_L__COUNT; i++)
		q[i] = (struct phi_dwarf_query){ .type_name = fields[i].type,
						 .member = fields[i].member };
	rc = phi_dwarf_resolve(elf_path, q, PHI_L__COUNT, lay->dwarf_path,
			       sizeof(lay->dwarf_path), err);
	if (rc == -PHI_E_NO_DEBUGINFO) {
		phi_error_clear(err);
		return 0;
	}
	if (rc < 0)
		return rc;
	lay->source = PHI_LAYOUT_DWARF;
	for (int i = 0; i < PHI_L__COUNT; i++) {
		if (q[i].found)
			lay->v[i] = q[i].value;
		else
			lay->missing++;
	}
	/* The DWARF is the target's (or a debug file's): untrusted. */
	rc = phi_layout_validate(lay, err);
	if (rc < 0 && err) {
		char path[128 * PHI_ESCAPE_MAX + 1];
		bool cut;

		snprintf(why, sizeof(why), "%s", err->msg);
		phi_escape_text(path, sizeof(path), lay->dwarf_path,
				strlen(lay->dwarf_path), 128, &cut);
		phi_error_set(err, PHI_E_CORRUPT, "the DWARF of '%s%s' is not "
			      "that of a CPython 3.10 for this tool: %s", path,
			      cut ? "..." : "", why);
	}
	return rc;
}

/* ---- validation --------------------------------------------------------- */

/* Structs that are not Python objects: their members may start at 0. */
static const char *const not_objects[] = {
	"pyruntimestate", "_is", "gc_generation", "PyGC_Head", "_ts",
	"_err_stackitem", "_object", "PyVarObject", "PyMemberDef",
	"_dictkeysobject", "PyDictKeyEntry", "setentry", "PyMethodDef",
	"_PyTraceMalloc_Config", "arena_object", "pool_header",
	"debug_alloc_api_t", "PyMemAllocatorEx", "_Py_hashtable_t",
	"_Py_hashtable_entry_t", "trace_t", "traceback_t", "frame_t",
};

/* What every CPython 3.10 on x86-64 has, whatever its build options:
 * the object header and the structs the decoders index by (a set entry,
 * a dict entry, the GC header), and those of the stable ABI. */
static const struct {
	enum phi_layout_id id;
	int64_t value;
} fixed[] = {
	{ PHI_L_OB_REFCNT, 0 },      { PHI_L_OB_TYPE, 8 },
	{ PHI_L_OBJECT_SIZE, 16 },   { PHI_L_OB_SIZE, 16 },
	{ PHI_L_VAROBJECT_SIZE, 24 },
	{ PHI_L_GCHEAD_SIZE, 16 },   { PHI_L_GCHEAD_NEXT, 0 },
	{ PHI_L_GCHEAD_PREV, 8 },    { PHI_L_GCGEN_SIZE, 24 },
	{ PHI_L_GCGEN_HEAD, 0 },     { PHI_L_SETENTRY_SIZE, 16 },
	{ PHI_L_SETENTRY_KEY, 0 },   { PHI_L_DKE_SIZE, 24 },
	{ PHI_L_DKE_HASH, 0 },       { PHI_L_DKE_KEY, 8 },
	{ PHI_L_DKE_VALUE, 16 },     { PHI_L_ERRSTACK_SIZE, 32 },
	{ PHI_L_MEMBERDEF_SIZE, 40 }, { PHI_L_METHODDEF_SIZE, 32 },
	{ PHI_L_LONG_DIGIT, 24 },    { PHI_L_TUPLE_ITEM, 24 },
	{ PHI_L_LIST_ITEM, 24 },     { PHI_L_BYTES_SVAL, 32 },
	{ PHI_L_FLOAT_FVAL, 16 },    { PHI_L_ASCII_SIZE, 48 },
	{ PHI_L_COMPACT_SIZE, 72 },  { PHI_L_UNICODE_SIZE, 80 },
};

/* Struct a is no larger than struct b, which extends it (the decoders
 * read a's fields in b's objects, or choose between them by size). */
static const struct {
	enum phi_layout_id a, b;
} extends[] = {
	{ PHI_L_TP_SIZE, PHI_L_HT_SIZE },
	{ PHI_L_ASCII_SIZE, PHI_L_COMPACT_SIZE },
	{ PHI_L_COMPACT_SIZE, PHI_L_UNICODE_SIZE },
	{ PHI_L_CFUNC_SIZE, PHI_L_CMETHOD_SIZE },
	{ PHI_L_GEN_SIZE, PHI_L_CORO_SIZE },
	{ PHI_L_GEN_SIZE, PHI_L_ASYNCGEN_SIZE },
	{ PHI_L_DICT_SIZE, PHI_L_DEFDICT_SIZE },
	{ PHI_L_DICT_SIZE, PHI_L_ODICT_SIZE },
	{ PHI_L_VAROBJECT_SIZE, PHI_L_TP_SIZE },
};

static bool is_size(int i)
{
	return fields[i].member == NULL;
}

enum phi_layout_id phi_layout_struct_of(enum phi_layout_id id)
{
	if ((unsigned)id >= PHI_L__COUNT)
		return PHI_L__COUNT;
	for (int i = 0; i < PHI_L__COUNT; i++)
		if (is_size(i) && strcmp(fields[i].type, fields[id].type) == 0)
			return (enum phi_layout_id)i;
	return PHI_L__COUNT;
}

int64_t phi_layout_width(enum phi_layout_id id)
{
	return (unsigned)id < PHI_L__COUNT ? fields[id].width : 0;
}

static bool is_object(int i)
{
	for (size_t k = 0; k < sizeof(not_objects) / sizeof(*not_objects); k++)
		if (strcmp(fields[i].type, not_objects[k]) == 0)
			return false;
	return true;
}

/* "setentry" for a size, "PyDictKeyEntry.me_key" for a member. */
static const char *field_name(int i, char *buf, size_t len)
{
	if (is_size(i))
		snprintf(buf, len, "sizeof(%s)", fields[i].type);
	else
		snprintf(buf, len, "%s.%s", fields[i].type, fields[i].member);
	return buf;
}

static int bad(const struct phi_layout *lay, int i, struct phi_error *err,
	       const char *why)
{
	char name[128];

	return phi_error_set(err, PHI_E_CORRUPT, "layout value %s = %lld "
			     "refused: %s", field_name(i, name, sizeof(name)),
			     (long long)lay->v[i], why);
}

/* The alignment a member of this width has in a C struct of x86-64. */
static int64_t align_of(int64_t width)
{
	if (width % 8 == 0)
		return 8;
	if (width % 4 == 0)
		return 4;
	return width % 2 == 0 ? 2 : 1;
}

/* One value on its own, and against the size of its struct. */
static int check_one(const struct phi_layout *lay, int i,
		     struct phi_error *err)
{
	int64_t v = lay->v[i], w = fields[i].width, size;
	enum phi_layout_id s;
	char why[160];

	if (is_size(i)) {
		if (v <= 0 || v > PHI_LAYOUT_MAX)
			return bad(lay, i, err, "a struct size must be 1 to "
				   "1048576 bytes");
		if (is_object(i) && v < lay->v[PHI_L_OBJECT_SIZE])
			return bad(lay, i, err, "an object's struct is at "
				   "least its header");
		return 0;
	}
	s = phi_layout_struct_of((enum phi_layout_id)i);
	if (s == PHI_L__COUNT)
		return bad(lay, i, err, "the table has no size for its struct");
	size = lay->v[s];
	if (size <= 0 || size > PHI_LAYOUT_MAX)
		return check_one(lay, (int)s, err);
	if (v < 0 || v > size - w) {
		snprintf(why, sizeof(why), "the member (%lld bytes) must lie "
			 "inside %s (%lld bytes)", (long long)w,
			 fields[i].type, (long long)size);
		return bad(lay, i, err, why);
	}
	if (v % align_of(w)) {
		snprintf(why, sizeof(why), "a member of %lld bytes is aligned "
			 "to %lld", (long long)w, (long long)align_of(w));
		return bad(lay, i, err, why);
	}
	if (is_object(i) && v < lay->v[PHI_L_OBJECT_SIZE])
		return bad(lay, i, err, "the member overlaps the object "
			   "header (ob_refcnt, ob_type)");
	return 0;
}

int phi_layout_validate(const struct phi_layout *lay, struct phi_error *err)
{
	char why[160];
	int rc;

	/* The invariants first: the object header is what every other
	 * check compares with. */
	for (size_t k = 0; k < sizeof(fixed) / sizeof(*fixed); k++) {
		if (lay->v[fixed[k].id] == fixed[k].value)
			continue;
		snprintf(why, sizeof(why), "every CPython 3.10 on x86-64 has "
			 "%lld", (long long)fixed[k].value);
		return bad(lay, fixed[k].id, err, why);
	}
	for (int i = 0; i < PHI_L__COUNT; i++) {
		rc = check_one(lay, i, err);
		if (rc < 0)
			return rc;
	}
	for (size_t k = 0; k < sizeof(extends) / sizeof(*extends); k++) {
		if (lay->v[extends[k].a] <= lay->v[extends[k].b])
			continue;
		snprintf(why, sizeof(why), "%s extends %s, which is %lld "
			 "bytes", fields[extends[k].b].type,
			 fields[extends[k].a].type,
			 (long long)lay->v[extends[k].a]);
		return bad(lay, extends[k].b, err, why);
	}
	return 0;
}

const char *phi_layout_type_name(enum phi_layout_id id)
{
	return (unsigned)id < PHI_L__COUNT ? fields[id].type : "?";
}

const char *phi_layout_member_name(enum phi_layout_id id)
{
	return (unsigned)id < PHI_L__COUNT && fields[id].member ?
		       fields[id].member : "(size)";
}
