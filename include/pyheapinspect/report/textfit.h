/* Text from the target made to fit an output: valid UTF-8 (every bad
 * byte U+FFFD, as in the JSON report), then cut on a character boundary
 * so that its escaped form takes at most a given number of bytes,
 * ending in an ellipsis (3 bytes, counted) when cut.  Each output
 * (the HTML report's blob, folded stacks, DOT) says how wide it
 * escapes one character. */
#ifndef PYHEAPINSPECT_TEXTFIT_H
#define PYHEAPINSPECT_TEXTFIT_H

#include <stddef.h>

/* Bytes the output writes for the character c of n bytes (valid
 * UTF-8). */
typedef size_t (*phi_escaped_width)(const unsigned char *c, size_t n);

/* s (len bytes) into out (cap bytes, cap > limit), cut to an escaped
 * width of at most limit (limit >= 3); returns the length written
 * (out is NUL-terminated; a U+0000 in s ends it there). */
size_t phi_text_fit(const char *s, size_t len, char *out, size_t cap,
		    size_t limit, phi_escaped_width width);

/* The widths of the blob's JSON (yajl's escapes plus the page's rule:
 * < > & U+2028 U+2029 as \uXXXX, docs/html-data.md). */
size_t phi_width_blob(const unsigned char *c, size_t n);

#endif
