/* The cyclic GC's state of the main interpreter (struct
 * _gc_runtime_state): enabled, thresholds and counts of the three
 * generations, the objects in each generation's list and in the
 * permanent one (gc.freeze()), and whether a collection runs.  The lists
 * are walked through _gc_next, bounded by what the image could hold. */
#include <string.h>

#include "pyheapinspect/cpython/310/pymalloc.h"

#define L(id) PHI_L(lay, id)

/* Objects in the list headed at head; false if it does not close. */
static bool list_size(const struct phi_image *img, const struct phi_layout *lay,
		      uint64_t head, uint64_t *n)
{
	uint64_t bound = img->bytes / 16 + 1;
	uint64_t p = phi_image_word(img, head + (uint64_t)L(GCHEAD_NEXT));

	*n = 0;
	while (p != head) {
		if (!p || (p & 7) || *n >= bound)
			return false;
		(*n)++;
		p = phi_image_word(img, p + (uint64_t)L(GCHEAD_NEXT));
	}
	return true;
}

static bool read_int(const struct phi_image *img, uint64_t addr, int64_t *out)
{
	uint32_t v;

	if (!phi_image_u32(img, addr, &v))
		return false;
	*out = (int32_t)v;
	return true;
}

void phi310_gc_state(const struct phi_python *py, const struct phi_image *img,
		     uint64_t interp, struct phi_pymemory *out)
{
	const struct phi_layout *lay = phi310_layout(py);
	struct phi_gc_state *gc = &out->gc;
	int64_t enabled = 0, collecting = 0;
	bool ok = true;

	memset(gc, 0, sizeof(*gc));
	ok &= read_int(img, interp + (uint64_t)L(IS_GC_ENABLED), &enabled);
	ok &= read_int(img, interp + (uint64_t)L(IS_GC_COLLECTING),
		       &collecting);
	for (int i = 0; i < 3 && ok; i++) {
		uint64_t g = interp + (uint64_t)L(IS_GC_GENERATIONS) +
			     (uint64_t)i * (uint64_t)L(GCGEN_SIZE);

		ok &= read_int(img, g + (uint64_t)L(GCGEN_THRESHOLD),
			       &gc->thresholds[i]);
		ok &= read_int(img, g + (uint64_t)L(GCGEN_COUNT),
			       &gc->counts[i]);
		ok &= list_size(img, lay, g + (uint64_t)L(GCGEN_HEAD),
				&gc->generations[i]);
	}
	if (ok)
		ok = list_size(img, lay, interp + (uint64_t)L(IS_GC_PERMANENT) +
					 (uint64_t)L(GCGEN_HEAD),
			       &gc->permanent);
	if (!ok) {
		memset(gc, 0, sizeof(*gc));
		phi_gap_add(&out->gaps, "gc state", -1, -1,
			    "the GC's generations could not be read whole "
			    "(torn or corrupt lists)");
		return;
	}
	gc->present = true;
	gc->enabled = enabled != 0;
	gc->collecting = collecting != 0;
}
