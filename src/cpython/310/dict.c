/* dict decoding.  The entries come after dk_size indices of ixsize bytes
 * each; in a split table the values live in a separate array. */
#include <string.h>

#include "pyheapinspect/cpython/310/dict.h"
#include "pyheapinspect/cpython/310/str.h"

/* A keys table can not be larger than the image, but cap it for sanity
 * well below what would overflow the arithmetic here. */
#define MAX_DK_SIZE (1LL << 40)

static unsigned index_size(int64_t dk_size)
{
	if (dk_size <= 0xff)
		return 1;
	if (dk_size <= 0xffff)
		return 2;
	if (dk_size <= 0xffffffffLL)
		return 4;
	return 8;
}

/* USABLE_FRACTION in 3.10. */
static int64_t usable_fraction(int64_t n)
{
	return (n << 1) / 3;
}

/* A validated table says 24, 8 and 16; whatever one says, an entry must
 * hold its key and value where they are read (the image holds whole
 * entries, not what lies past them). */
static bool entry_layout_ok(const struct phi_layout *lay)
{
	uint64_t esize = (uint64_t)PHI_L(lay, DKE_SIZE);

	return esize >= 8 && esize <= PHI_LAYOUT_MAX &&
	       (uint64_t)PHI_L(lay, DKE_KEY) <= esize - 8 &&
	       (uint64_t)PHI_L(lay, DKE_VALUE) <= esize - 8;
}

static bool read_keys(const struct phi_image *img,
		      const struct phi_layout *lay, uint64_t keys,
		      struct phi_dict *d)
{
	uint64_t esize = (uint64_t)PHI_L(lay, DKE_SIZE), first;

	if (!entry_layout_ok(lay) ||
	    (uint64_t)PHI_L(lay, DK_INDICES) > PHI_LAYOUT_MAX)
		return false;
	if (!phi_image_i64(img, keys + PHI_L(lay, DK_REFCNT), &d->dk_refcnt) ||
	    !phi_image_i64(img, keys + PHI_L(lay, DK_SIZE), &d->dk_size) ||
	    !phi_image_i64(img, keys + PHI_L(lay, DK_NENTRIES),
			   &d->dk_nentries))
		return false;
	if (d->dk_size <= 0 || d->dk_size > MAX_DK_SIZE ||
	    (d->dk_size & (d->dk_size - 1)) || d->dk_nentries < 0 ||
	    d->dk_nentries > usable_fraction(d->dk_size))
		return false;
	d->ixsize = index_size(d->dk_size);
	first = keys + PHI_L(lay, DK_INDICES) + d->ixsize * (uint64_t)d->dk_size;
	d->entries = phi_image_ptr(img, first, esize * (uint64_t)d->dk_nentries);
	return d->entries != NULL || d->dk_nentries == 0;
}

bool phi_dict_open(const struct phi_image *img, const struct phi_layout *lay,
		   uint64_t addr, struct phi_dict *d)
{
	memset(d, 0, sizeof(*d));
	d->addr = addr;
	if (!phi_image_i64(img, addr + PHI_L(lay, DICT_USED), &d->used) ||
	    !phi_image_u64(img, addr + PHI_L(lay, DICT_KEYS), &d->keys) ||
	    !phi_image_u64(img, addr + PHI_L(lay, DICT_VALUES), &d->values))
		return false;
	if (d->used < 0 || !read_keys(img, lay, d->keys, d))
		return false;
	if (d->values) {
		d->valarr = phi_image_ptr(img, d->values,
					  8 * (uint64_t)d->dk_nentries);
		if (!d->valarr && d->dk_nentries)
			return false;
	}
	return true;
}

bool phi_dict_entry(const struct phi_dict *d, const struct phi_layout *lay,
		    int64_t i, uint64_t *key, uint64_t *value)
{
	const unsigned char *e;

	*key = *value = 0;
	if (i < 0 || i >= d->dk_nentries)
		return false;
	e = d->entries + (uint64_t)i * (uint64_t)PHI_L(lay, DKE_SIZE);
	memcpy(key, e + PHI_L(lay, DKE_KEY), 8);
	if (d->valarr)
		memcpy(value, d->valarr + 8 * (uint64_t)i, 8);
	else
		memcpy(value, e + PHI_L(lay, DKE_VALUE), 8);
	if (!*key || !*value) {
		*key = *value = 0;
		return false;
	}
	return true;
}

static uint64_t keys_size(const struct phi_dict *d,
			  const struct phi_layout *lay)
{
	return (uint64_t)PHI_L(lay, DK_INDICES) +
	       d->ixsize * (uint64_t)d->dk_size +
	       (uint64_t)PHI_L(lay, DKE_SIZE) *
		       (uint64_t)usable_fraction(d->dk_size);
}

uint64_t phi_dict_sizeof(const struct phi_dict *d,
			 const struct phi_layout *lay, int64_t basicsize)
{
	uint64_t res = (uint64_t)basicsize;

	if (d->values)
		res += 8 * (uint64_t)usable_fraction(d->dk_size);
	if (d->dk_refcnt == 1)
		res += keys_size(d, lay);
	return res;
}

uint64_t phi_dict_keys_size(const struct phi_image *img,
			    const struct phi_layout *lay, uint64_t keys)
{
	struct phi_dict d;

	memset(&d, 0, sizeof(d));
	if (!read_keys(img, lay, keys, &d))
		return 0;
	return keys_size(&d, lay);
}

uint64_t phi_dict_get_str(const struct phi_image *img,
			  const struct phi_layout *lay, uint64_t addr,
			  const char *name)
{
	struct phi_dict d;

	if (!phi_dict_open(img, lay, addr, &d))
		return 0;
	for (int64_t i = 0; i < d.dk_nentries; i++) {
		uint64_t k, v;
		struct phi_str s;

		if (phi_dict_entry(&d, lay, i, &k, &v) &&
		    phi_str_read(img, lay, k, &s) && phi_str_eq(&s, name))
			return v;
	}
	return 0;
}
