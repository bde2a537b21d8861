/* The free lists of CPython 3.10's main interpreter: objects kept for
 * reuse instead of being freed (PyInterpreterState's float_state, tuple,
 * list, dict_state, frame, async_gen, context, exc_state).  The counts
 * are read where the interpreter keeps them; the bytes are what the
 * entries cost their allocator.  _debugmallocstats prints five of them
 * (dict, float, frame, list, tuples by length) with the sizeof of each
 * object: that line is kept beside each. */
#include <stdio.h>
#include <string.h>

#include "pyheapinspect/cpython/310/pymalloc.h"

#define L(id) PHI_L(lay, id)
/* The frame free list is at most 200 long (PyFrame_MAXFREELIST). */
#define MAX_FRAMES_WALKED 4096

static struct phi_free_list *add(struct phi_free_lists *fl, const char *name,
				 int length)
{
	struct phi_free_list *e;

	if (fl->n == PHI_PYMEM_MAX_FREE_LISTS)
		return NULL;
	e = &fl->v[fl->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->length = length;
	return e;
}

static bool read_count(const struct phi_image *img, uint64_t addr,
		       int64_t *out)
{
	uint32_t v;

	if (!phi_image_u32(img, addr, &v) || (int32_t)v < 0 ||
	    (int32_t)v > PHI_FREELIST_MAX)
		return false;
	*out = (int32_t)v;
	return true;
}

/* Frames differ in size (their extras): walk the list, linked through
 * f_back, bounded. */
static uint64_t frame_bytes(const struct phi_image *img,
			    const struct phi_layout *lay, uint64_t interp,
			    int64_t count, bool *complete)
{
	uint64_t f = phi_image_word(img, interp +
					 (uint64_t)L(IS_FRAME_FREE_LIST));
	uint64_t total = 0, n = 0;

	for (; f && n < MAX_FRAMES_WALKED; n++) {
		int64_t extras = 0;

		if (!phi_image_i64(img, f + (uint64_t)L(OB_SIZE), &extras) ||
		    extras < 0 || extras > (1 << 20))
			break;
		total += phi310_request_cost((uint64_t)L(FRAME_SIZE) +
					     8 * (uint64_t)extras +
					     (uint64_t)L(GCHEAD_SIZE));
		f = phi_image_word(img, f + (uint64_t)L(FRAME_BACK));
	}
	*complete = f == 0 && (int64_t)n == count;
	return total;
}

void phi310_free_lists(const struct phi_python *py,
		       const struct phi_image *img, uint64_t interp,
		       struct phi_pymemory *out)
{
	const struct phi_layout *lay = phi310_layout(py);
	struct phi_free_lists *fl = &out->free_lists;
	uint64_t gc = (uint64_t)L(GCHEAD_SIZE);
	struct {
		const char *name, *cpython;
		int64_t at, obj_size;
		bool gc;
	} simple[] = {
		{ "dict", "free PyDictObject", L(IS_DICT_NUMFREE),
		  L(DICT_SIZE), true },
		{ "float", "free PyFloatObject", L(IS_FLOAT_NUMFREE),
		  L(FLOAT_SIZE), false },
		{ "frame", "free PyFrameObject", L(IS_FRAME_NUMFREE),
		  L(FRAME_SIZE), true },
		{ "list", "free PyListObject", L(IS_LIST_NUMFREE),
		  L(LIST_SIZE), true },
	};
	/* dict keys of the smallest table (8 slots, 5 entries), kept by
	 * dict_state: header, 8 one-byte indices, 5 entries. */
	uint64_t keys = (uint64_t)L(DICTKEYS_SIZE) + 8 +
			5 * (uint64_t)L(DKE_SIZE);
	struct {
		const char *name;
		int64_t at;
		uint64_t request;
	} hidden[] = {
		{ "dict_keys", L(IS_DICT_KEYS_NUMFREE), keys },
		{ "async_gen_asend", L(IS_AGEN_ASEND_NUMFREE),
		  (uint64_t)L(ASEND_SIZE) + gc },
		{ "async_gen_value", L(IS_AGEN_VALUE_NUMFREE),
		  (uint64_t)L(AGEN_VALUE_SIZE) + gc },
		{ "context", L(IS_CONTEXT_NUMFREE),
		  (uint64_t)L(CONTEXT_SIZE) + gc },
		{ "memory_error", L(IS_MEMERRORS_NUMFREE),
		  (uint64_t)L(BASEEXC_SIZE) + gc },
	};
	int bad = 0;

	fl->present = true;
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		struct phi_free_list *e = add(fl, simple[i].name, 0);

		if (!read_count(img, interp + (uint64_t)simple[i].at,
				&e->count)) {
			bad++;
			e->count = 0;
		}
		snprintf(e->cpython_name, sizeof(e->cpython_name), "%s",
			 simple[i].cpython);
		e->cpython_size = (uint64_t)simple[i].obj_size;
		e->bytes = (uint64_t)e->count *
			   phi310_request_cost((uint64_t)simple[i].obj_size +
					       (simple[i].gc ? gc : 0));
		if (strcmp(e->name, "frame") == 0) {
			bool complete;

			e->bytes = frame_bytes(img, lay, interp, e->count,
					       &complete);
			if (!complete)
				phi_gap_add(&out->gaps, "frame free list", -1,
					    -1, "the list does not hold the "
					    "%lld frames it counts: their "
					    "bytes are a lower bound",
					    (long long)e->count);
		}
	}
	for (int n = 1; n < PHI_TUPLE_MAXSAVESIZE; n++) {
		struct phi_free_list *e = add(fl, "tuple", n);
		uint64_t size = (uint64_t)L(TUPLE_SIZE) + 8 * (uint64_t)(n - 1);

		if (!read_count(img, interp + (uint64_t)L(IS_TUPLE_NUMFREE) +
					     4 * (uint64_t)n, &e->count)) {
			bad++;
			e->count = 0;
		}
		snprintf(e->cpython_name, sizeof(e->cpython_name),
			 "free %d-sized PyTupleObject", n);
		e->cpython_size = size;
		e->bytes = (uint64_t)e->count * phi310_request_cost(size + gc);
	}
	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
		struct phi_free_list *e = add(fl, hidden[i].name, 0);

		if (!read_count(img, interp + (uint64_t)hidden[i].at,
				&e->count)) {
			bad++;
			e->count = 0;
		}
		e->bytes = (uint64_t)e->count *
			   phi310_request_cost(hidden[i].request);
	}
	if (bad) {
		fl->present = false;
		phi_gap_add(&out->gaps, "free lists", -1, -1,
			    "%d free-list counts are not in the image or out "
			    "of range (torn or corrupt memory)", bad);
	}
}
