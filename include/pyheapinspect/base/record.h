/* A description as named numbers and texts.  The CPython layer writes
 * the interpreter's description (version, symbols, layouts) into one, a
 * snapshot keeps it and gives it back, and neither knows the other's
 * names: the snapshot stores names it does not interpret. */
#ifndef PYHEAPINSPECT_RECORD_H
#define PYHEAPINSPECT_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/base/error.h"

/* Bounds that a record read from an untrusted file is held to.  A real
 * description has about 280 numbers; lookups are linear, so the bound
 * also bounds the time a hostile file can cost (n^2/2 comparisons). */
#define PHI_RECORD_MAX_ENTRIES 4096
#define PHI_RECORD_MAX_NAME 255
#define PHI_RECORD_MAX_TEXT 4096

struct phi_record_num {
	char *name;
	int64_t value;
};

struct phi_record_text {
	char *name;
	char *text;
};

struct phi_record {
	struct phi_record_num *num;
	size_t nnum, numcap;
	struct phi_record_text *text;
	size_t ntext, textcap;
};

void phi_record_init(struct phi_record *r);
void phi_record_release(struct phi_record *r);

/* Add (or replace) an entry; names and texts are copied.  Fails with
 * PHI_E_NO_MEMORY, or PHI_E_INTERNAL past the bounds above. */
int phi_record_set_num(struct phi_record *r, const char *name,
		       int64_t value, struct phi_error *err);
int phi_record_set_text(struct phi_record *r, const char *name,
			const char *text, struct phi_error *err);

/* Look an entry up: false (and *out untouched) when there is none. */
bool phi_record_num(const struct phi_record *r, const char *name,
		    int64_t *out);
/* The text called name, or NULL. */
const char *phi_record_text(const struct phi_record *r, const char *name);

#endif
