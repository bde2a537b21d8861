/* Text taken from the target (type names, values, keys, attribute and
 * module names) made safe before it reaches a terminal or a message: the
 * target chooses every byte, and "\x1b[2J" in a class name would clear
 * the user's screen, a newline in a string would break a table row.
 *
 * phi_escape_text writes, for the text report and messages:
 *   \n \r \t            for those three;
 *   \xNN                for every other C0 control (U+0000..U+001F:
 *                       NUL is \x00, ESC \x1b, BEL \x07), for DEL
 *                       (\x7f), and for each byte that is not part of
 *                       valid UTF-8 (a lone 0x9b, the 8-bit CSI);
 *   \uNNNN              for the C1 controls U+0080..U+009F (\u009b,
 *                       \u0085) and for the characters that move or
 *                       reorder text: U+2028, U+2029, and the bidi
 *                       marks and overrides U+061C, U+200E, U+200F,
 *                       U+202A..U+202E, U+2066..U+2069;
 *   everything else     as it is (valid UTF-8).
 * A backslash stands for itself: the escapes are for safety, not to be
 * read back (the JSON document has the exact text).
 *
 * It reads s[0..len) (NUL bytes included), writes at most max_chars of
 * its characters (a code point, or one byte of invalid UTF-8) into out,
 * NUL-terminated, never more than cap bytes and never an escape cut in
 * two, and returns the bytes written.  *cut, when not NULL, says whether
 * characters were left out.  An escape is at most 6 bytes: cap =
 * 6 * max_chars + 1 always holds the result. */
#ifndef PYHEAPINSPECT_ESCAPE_H
#define PYHEAPINSPECT_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes one character may take once escaped. */
#define PHI_ESCAPE_MAX 6

size_t phi_escape_text(char *out, size_t cap, const char *s, size_t len,
		       size_t max_chars, bool *cut);

/* Length of the valid UTF-8 sequence at s (1..4), 0 when there is none
 * (len 0, a continuation byte, an overlong form, a surrogate, past
 * U+10FFFF, a truncated sequence): the one rule of every output, so
 * that text cleaned for one goes through the others unchanged. */
size_t phi_utf8_seq_len(const unsigned char *s, size_t len);

#endif
