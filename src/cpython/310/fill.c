/* Collection fill in CPython 3.10.  For each kind: its length, how many
 * items its table holds before it must grow, the bytes of that table
 * (the part of sys.getsizeof that grows with it), and the bytes of the
 * table that type(x)(x) -- a copy -- would allocate, by the rules of
 * 3.10 (checked against sys.getsizeof of copies in the target by
 * tests/e2e/growth.sh):
 *  - list(x): list_preallocate_exact, len rounded up to even;
 *  - dict(x): dict_merge; a clean combined table is cloned, any other
 *    table gets calculate_keysize(ESTIMATE_SIZE(len));
 *  - set(x): set_merge; under 5 items the small table inside the
 *    object, else the smallest power of two above 2 * len;
 *  - bytearray(x): exactly len + 1 bytes (none when empty).
 * Every value read is checked against the limits the decoders use. */
#include <string.h>

#include "pyheapinspect/cpython/310/dict.h"
#include "pyheapinspect/cpython/310/fill.h"
#include "pyheapinspect/cpython/310/py310.h"

#define L(id) PHI_L(lay, id)
#define MAX_ITEMS ((int64_t)1 << 40)
#define DICT_MINSIZE 8
#define SET_MINSIZE 8

static unsigned index_bytes(uint64_t dk_size)
{
	if (dk_size <= 0xff)
		return 1;
	if (dk_size <= 0xffff)
		return 2;
	if (dk_size <= 0xffffffffULL)
		return 4;
	return 8;
}

/* USABLE_FRACTION */
static uint64_t usable(uint64_t dk_size)
{
	return (dk_size << 1) / 3;
}

/* _PyDict_KeysSize of a table of dk_size slots. */
static uint64_t keys_bytes(const struct phi_layout *lay, uint64_t dk_size)
{
	return (uint64_t)L(DK_INDICES) + index_bytes(dk_size) * dk_size +
	       (uint64_t)L(DKE_SIZE) * usable(dk_size);
}

/* calculate_keysize(minsize) of 3.10:
 *   PyDict_MINSIZE << _Py_bit_length(((minsize | 8) - 1) >> 3). */
static uint64_t keysize_for(uint64_t minsize)
{
	uint64_t v = ((minsize | DICT_MINSIZE) - 1) >> 3;
	unsigned bits = 0;

	while (v) {
		bits++;
		v >>= 1;
	}
	return (uint64_t)DICT_MINSIZE << bits;
}

static bool fill_dict(const struct phi_heap *h, uint64_t addr,
		      struct phi_fill *f)
{
	const struct phi_layout *lay = phi310_layout(h->py);
	struct phi_dict d;
	uint64_t n, size;

	if (!phi_dict_open(h->img, lay, addr, &d) || d.used > d.dk_nentries)
		return false;
	n = (uint64_t)d.used;
	size = (uint64_t)d.dk_size;
	f->length = n;
	f->capacity = usable(size);
	if (d.values)
		/* Split: the values array; the keys belong to the class. */
		f->table = 8 * usable(size);
	else
		/* The shared empty table (refcount > 1) costs nothing. */
		f->table = d.dk_refcnt == 1 ? keys_bytes(lay, size) : 0;
	if (n == 0)
		f->copy_table = 0;
	else if (!d.values && d.used == d.dk_nentries &&
		 (size == DICT_MINSIZE || usable(size / 2) < n))
		f->copy_table = keys_bytes(lay, size);
	else
		f->copy_table = keys_bytes(lay, keysize_for((3 * n + 1) >> 1));
	return true;
}

static bool fill_list(const struct phi_heap *h, uint64_t addr,
		      struct phi_fill *f)
{
	const struct phi_layout *lay = phi310_layout(h->py);
	int64_t n, alloc;

	if (!phi_image_i64(h->img, addr + L(OB_SIZE), &n) ||
	    !phi_image_i64(h->img, addr + L(LIST_ALLOCATED), &alloc) ||
	    n < 0 || alloc < n || alloc > MAX_ITEMS)
		return false;
	f->length = (uint64_t)n;
	f->capacity = (uint64_t)alloc;
	f->table = 8 * (uint64_t)alloc;
	f->copy_table = 8 * (((uint64_t)n + 1) & ~(uint64_t)1);
	return true;
}

static bool fill_set(const struct phi_heap *h, uint64_t addr,
		     struct phi_fill *f)
{
	const struct phi_layout *lay = phi310_layout(h->py);
	int64_t used, fill, mask;
	uint64_t table, slots = SET_MINSIZE;

	if (!phi_image_i64(h->img, addr + L(SET_USED), &used) ||
	    !phi_image_i64(h->img, addr + L(SET_FILL), &fill) ||
	    !phi_image_i64(h->img, addr + L(SET_MASK), &mask) ||
	    !phi_image_u64(h->img, addr + L(SET_TABLE), &table) ||
	    mask < SET_MINSIZE - 1 || mask > MAX_ITEMS ||
	    ((mask + 1) & mask) || used < 0 || fill < used || fill > mask)
		return false;
	f->length = (uint64_t)used;
	/* set_add_entry grows the table once fill * 5 >= mask * 3. */
	f->capacity = (3 * (uint64_t)mask - 1) / 5;
	f->table = table == addr + (uint64_t)L(SET_SMALLTABLE) ? 0 :
		   ((uint64_t)mask + 1) * (uint64_t)L(SETENTRY_SIZE);
	if (used < 5) {
		f->copy_table = 0;
		return true;
	}
	while (slots <= 2 * (uint64_t)used)
		slots <<= 1;
	f->copy_table = slots * (uint64_t)L(SETENTRY_SIZE);
	return true;
}

static bool fill_bytearray(const struct phi_heap *h, uint64_t addr,
			   struct phi_fill *f)
{
	const struct phi_layout *lay = phi310_layout(h->py);
	int64_t n, alloc;

	if (!phi_image_i64(h->img, addr + L(OB_SIZE), &n) ||
	    !phi_image_i64(h->img, addr + L(BYTEARRAY_ALLOC), &alloc) ||
	    n < 0 || alloc < 0 || alloc > ((int64_t)1 << 56) ||
	    (alloc ? n >= alloc : n != 0))
		return false;
	f->length = (uint64_t)n;
	/* ob_alloc counts the NUL kept after the bytes. */
	f->capacity = alloc ? (uint64_t)alloc - 1 : 0;
	f->table = (uint64_t)alloc;
	f->copy_table = n ? (uint64_t)n + 1 : 0;
	return true;
}

bool phi310_fill(const struct phi_heap *h, uint32_t node,
		 struct phi_fill *out)
{
	uint64_t addr = h->g.addr[node];

	memset(out, 0, sizeof(*out));
	if (h->g.flags[node] & (PHI_NODE_BAD | PHI_NODE_OPAQUE))
		return false;
	switch (phi_heap_type(h, node)->kind) {
	case PHI_K_DICT:
	case PHI_K_DEFDICT:
		return fill_dict(h, addr, out);
	case PHI_K_LIST:
		return fill_list(h, addr, out);
	case PHI_K_SET:
		return fill_set(h, addr, out);
	case PHI_K_BYTEARRAY:
		return fill_bytearray(h, addr, out);
	default:
		return false;
	}
}
