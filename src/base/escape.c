/* Text from the target, escaped for a terminal (escape.h). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pyheapinspect/base/escape.h"

/* The code point of the valid UTF-8 sequence at s (n bytes available),
 * and its length; 0 when the byte at s starts none (a continuation byte,
 * an overlong form, a surrogate, past U+10FFFF, a truncated sequence). */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t k;
	uint32_t c = s[0], min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		k = 2;
		c &= 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		k = 3;
		c &= 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		k = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return k;
}

size_t phi_utf8_seq_len(const unsigned char *s, size_t len)
{
	uint32_t cp;

	return len ? utf8_next(s, len, &cp) : 0;
}

/* Characters that move the cursor or reorder what follows. */
static bool moves_text(uint32_t cp)
{
	return cp == 0x2028 || cp == 0x2029 || cp == 0x061C ||
	       cp == 0x200E || cp == 0x200F ||
	       (cp >= 0x202A && cp <= 0x202E) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

struct esc {
	char *out;
	size_t cap, len;
};

/* Append piece (plen bytes) if it fits with the NUL. */
static bool put(struct esc *e, const void *piece, size_t plen)
{
	if (plen >= e->cap - e->len)
		return false;
	memcpy(e->out + e->len, piece, plen);
	e->len += plen;
	return true;
}

size_t phi_escape_text(char *out, size_t cap, const char *str, size_t len,
		       size_t max_chars, bool *cut)
{
	const unsigned char *s = (const unsigned char *)str;
	struct esc e = { out, cap, 0 };
	size_t i = 0, chars = 0;

	if (cut)
		*cut = false;
	if (cap == 0)
		return 0;
	while (i < len) {
		char buf[16];
		uint32_t cp = 0;
		size_t k = utf8_next(s + i, len - i, &cp), blen;

		if (chars == max_chars)
			break;
		if (k == 0) {
			blen = (size_t)snprintf(buf, sizeof(buf), "\\x%02x",
						s[i]);
			k = 1;
		} else if (cp == '\n' || cp == '\r' || cp == '\t') {
			buf[0] = '\\';
			buf[1] = cp == '\n' ? 'n' : cp == '\r' ? 'r' : 't';
			blen = 2;
		} else if (cp < 0x20 || cp == 0x7F) {
			blen = (size_t)snprintf(buf, sizeof(buf), "\\x%02x",
						(unsigned)cp);
		} else if ((cp >= 0x80 && cp <= 0x9F) || moves_text(cp)) {
			blen = (size_t)snprintf(buf, sizeof(buf), "\\u%04x",
						(unsigned)cp);
		} else {
			memcpy(buf, s + i, k);
			blen = k;
		}
		if (!put(&e, buf, blen))
			break;
		i += k;
		chars++;
	}
	if (cut)
		*cut = i < len;
	out[e.len] = '\0';
	return e.len;
}
