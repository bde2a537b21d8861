/* dict objects: combined and split tables, validated against the image
 * before any entry is read. */
#ifndef PYHEAPINSPECT_PYDICT_H
#define PYHEAPINSPECT_PYDICT_H

#include <stdbool.h>
#include <stdint.h>

#include "pyheapinspect/source/image.h"
#include "pyheapinspect/cpython/310/layout.h"

struct phi_dict {
	uint64_t addr;
	int64_t used;         /* ma_used */
	uint64_t keys;        /* ma_keys (remote) */
	uint64_t values;      /* ma_values (remote), 0 for a combined table */
	int64_t dk_refcnt, dk_size, dk_nentries;
	unsigned ixsize;      /* bytes per index */
	const unsigned char *entries; /* local copy of dk_nentries entries */
	const unsigned char *valarr;  /* local copy of the split values */
};

/* Read the dict header and keys object.  False when anything is outside
 * the image or impossible (dk_size not a power of two, more entries than
 * the table can hold). */
bool phi_dict_open(const struct phi_image *img, const struct phi_layout *lay,
		   uint64_t addr, struct phi_dict *d);

/* Entry i < dk_nentries: key and value (0 when the slot is empty or
 * deleted).  Returns false for an empty slot. */
bool phi_dict_entry(const struct phi_dict *d, const struct phi_layout *lay,
		    int64_t i, uint64_t *key, uint64_t *value);

/* sys.getsizeof(d) without the GC header, for a dict whose type has
 * tp_basicsize basicsize (_PyDict_SizeOf in 3.10). */
uint64_t phi_dict_sizeof(const struct phi_dict *d,
			 const struct phi_layout *lay, int64_t basicsize);

/* Size of a keys object on its own (_PyDict_KeysSize), 0 if unreadable;
 * heap types carry their shared keys in their own size. */
uint64_t phi_dict_keys_size(const struct phi_image *img,
			    const struct phi_layout *lay, uint64_t keys);

/* Value for the str key `name`, 0 when absent or unreadable. */
uint64_t phi_dict_get_str(const struct phi_image *img,
			  const struct phi_layout *lay, uint64_t addr,
			  const char *name);

#endif
