/* Short text previews of scalar values for the dump and the reports:
 * str, bytes, int, float.  Always valid UTF-8, bounded in size. */
#ifndef PYHEAPINSPECT_PYVALUE_H
#define PYHEAPINSPECT_PYVALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/source/image.h"
#include "pyheapinspect/cpython/heap.h"
#include "pyheapinspect/cpython/kinds.h"
#include "pyheapinspect/cpython/310/layout.h"

/* Preview of the object at addr of the given kind, written to buf (cap >=
 * PHI_PREVIEW_BUF), NUL-terminated (see phi_value_preview_n for a str
 * holding U+0000).
 *  - STR: the characters themselves, UTF-8, cut at 200 code points;
 *  - BYTES: no b prefix and no quotes; bytes 0x20..0x7e as they are
 *    except backslash, written \\; every other byte \xNN; cut at 200
 *    bytes;
 *  - LONG: exact decimal up to 660 bits (about 200 digits); a larger int
 *    is "<int of N bits>", marked truncated;
 *  - BOOL: "True" or "False";
 *  - FLOAT: Python's repr (shortest text that reads back the same
 *    double, "inf", "-inf", "nan", and "1.0" rather than "1").
 * *truncated is set when the value was cut.  Returns false for other
 * kinds or unreadable objects (buf is then ""). */
bool phi_value_preview(const struct phi_image *img,
		       const struct phi_layout *lay, enum phi_kind kind,
		       uint64_t addr, char *buf, size_t cap, bool *truncated);

/* The same, with the preview's length in bytes in *len: a str may hold
 * U+0000, where the C string stops but the value does not. */
bool phi_value_preview_n(const struct phi_image *img,
			 const struct phi_layout *lay, enum phi_kind kind,
			 uint64_t addr, char *buf, size_t cap, size_t *len,
			 bool *truncated);

/* The table entry: the preview of a node of the heap (a scalar). */
bool phi310_preview(const struct phi_heap *h, uint32_t node, char *buf,
		    size_t cap, size_t *len, bool *truncated);

#endif
