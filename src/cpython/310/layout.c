/* Layout resolution: DWARF first, the built-in 3.10 table second. */
#include <stdio.h>
#include <string.h>

#include "pyheapinspect/debuginfo/dwarf.h"
#include "pyheapinspect/cpython/310/layout.h"

struct field_desc {
	const char *type;
	const char *member;
	int64_t builtin;
};

static const struct field_desc fields[PHI_L__COUNT] = {
#define PHI_LAYOUT_DESC(id, type, member, builtin) \
	[PHI_L_##id] = { type, member, builtin },
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
	return 0;
}

/* Offsets and sizes of CPython 3.10's structs are all below 16 KiB
 * (the interpreter state is 113 KiB): a larger value is damage, and
 * would only mislead the decoders. */
#define MAX_LAYOUT_VALUE (1LL << 20)

int phi_layout_validate(const struct phi_layout *lay, struct phi_error *err)
{
	for (int i = 0; i < PHI_L__COUNT; i++)
		if (lay->v[i] < 0 || lay->v[i] > MAX_LAYOUT_VALUE)
			return phi_error_set(err, PHI_E_CORRUPT,
					     "layout value %s.%s = %lld is out "
					     "of range",
					     fields[i].type,
					     phi_layout_member_name(i),
					     (long long)lay->v[i]);
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
