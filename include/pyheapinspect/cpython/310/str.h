/* str objects (PyASCIIObject / PyCompactUnicodeObject / PyUnicodeObject):
 * their state word, character data and sys.getsizeof. */
#ifndef PYHEAPINSPECT_PYSTR_H
#define PYHEAPINSPECT_PYSTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/source/image.h"
#include "pyheapinspect/cpython/310/layout.h"

struct phi_str {
	uint64_t length;   /* code points */
	unsigned kind;     /* 1, 2 or 4 bytes per code point; 0 if not ready */
	unsigned interned; /* 0 no, 1 mortal, 2 immortal */
	bool ascii, compact, ready;
	const void *data;  /* local copy of length*kind bytes, NULL when the
			    * characters are not in the image */
	uint64_t size;     /* __sizeof__; sys.getsizeof adds 16 for a str
			    * subclass, which is a GC type */
};

/* Decode the str at addr.  False when the header is not in the image or
 * is impossible (bad kind, a length CPython could never allocate).  A str
 * whose characters are not wholly in the image gives data == NULL. */
bool phi_str_read(const struct phi_image *img, const struct phi_layout *lay,
		  uint64_t addr, struct phi_str *out);

/* Code point i (i < length, data != NULL). */
uint32_t phi_str_char(const struct phi_str *s, uint64_t i);

/* Write at most max_chars code points as UTF-8 into buf (NUL-terminated,
 * never more than cap bytes); surrogates and invalid code points become
 * U+FFFD.  Returns bytes written; *truncated says whether some code
 * points were left out. */
size_t phi_str_utf8(const struct phi_str *s, char *buf, size_t cap,
		    uint64_t max_chars, bool *truncated);

/* Equal to the ASCII C string? */
bool phi_str_eq(const struct phi_str *s, const char *ascii);

#endif
