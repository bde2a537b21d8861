/* str objects of CPython 3.10 (PEP 393): the state word, where the
 * characters are, and sys.getsizeof as unicode_sizeof computes it.
 *
 * Everything read here comes from the untrusted image: every pointer goes
 * through phi_image_ptr, and every length is bounded before it is
 * multiplied, so no input can make the arithmetic wrap. */
#include <string.h>

#include "pyheapinspect/cpython/310/str.h"

/* State word (PyASCIIObject.state), LSB first.  Bits 8-31 are padding
 * that CPython never initialises (PyUnicode_New sets the bit fields one
 * by one on uninitialised memory), so they are ignored. */
#define ST_INTERNED(s) ((s) & 3u)
#define ST_KIND(s) (((s) >> 2) & 7u)
#define ST_COMPACT(s) (((s) >> 5) & 1u)
#define ST_ASCII(s) (((s) >> 6) & 1u)
#define ST_READY(s) (((s) >> 7) & 1u)

/* SSTATE_INTERNED_IMMORTAL: 3 is not a state of 3.10. */
#define MAX_INTERNED 2u

/* sizeof(wchar_t) on Linux. */
#define WCHAR_SIZE 4u

#define SSIZE_MAX_U ((uint64_t)INT64_MAX)

/* Layout values as unsigned offsets (never negative for a sane table; a
 * broken one gives huge values that phi_image_ptr refuses). */
#define L(id) ((uint64_t)PHI_L(lay, id))

/* The longest str PyUnicode_New would allocate with this header size
 * and kind: size > (PY_SSIZE_T_MAX - struct_size) / char_size - 1 is a
 * MemoryError.  Also what keeps (length + 1) * kind + struct_size below
 * 2^63. */
static uint64_t max_length(uint64_t struct_size, unsigned kind)
{
	uint64_t q;

	if (struct_size >= SSIZE_MAX_U || kind == 0)
		return 0;
	q = (SSIZE_MAX_U - struct_size) / kind;
	return q ? q - 1 : 0;
}

/* a += b, refusing results above PY_SSIZE_T_MAX. */
static bool add_size(uint64_t *a, uint64_t b)
{
	if (b > SSIZE_MAX_U || *a > SSIZE_MAX_U - b)
		return false;
	*a += b;
	return true;
}

/* A field of w bytes at off lies inside a struct of size bytes (no sum
 * that could wrap). */
static bool inside(uint64_t off, uint64_t w, uint64_t size)
{
	return size >= w && off <= size - w;
}

static bool read_ascii_header(const struct phi_image *img,
			      const struct phi_layout *lay, uint64_t addr,
			      uint64_t *length, uint32_t *state, uint64_t *wstr)
{
	uint64_t size = (uint64_t)L(ASCII_SIZE);
	const unsigned char *p = phi_image_ptr(img, addr, (size_t)size);

	/* The fields must lie inside the header: a layout loaded from a
	 * snapshot is untrusted too. */
	if (!p || !inside(L(ASCII_LENGTH), 8, size) ||
	    !inside(L(ASCII_STATE), 4, size) || !inside(L(ASCII_WSTR), 8, size))
		return false;
	memcpy(length, p + L(ASCII_LENGTH), 8);
	memcpy(state, p + L(ASCII_STATE), 4);
	memcpy(wstr, p + L(ASCII_WSTR), 8);
	return true;
}

bool phi_str_read(const struct phi_image *img, const struct phi_layout *lay,
		  uint64_t addr, struct phi_str *out)
{
	uint64_t length, header, data_addr, wstr, wstr_len, size;
	uint32_t state;
	bool compact_ascii;

	memset(out, 0, sizeof(*out));
	/* The PyASCIIObject header, which every variant starts with (one
	 * image lookup: this runs for every str of the heap). */
	if (!read_ascii_header(img, lay, addr, &length, &state, &wstr))
		return false;

	out->interned = ST_INTERNED(state);
	out->kind = ST_KIND(state);
	out->compact = ST_COMPACT(state);
	out->ascii = ST_ASCII(state);
	out->ready = ST_READY(state);
	out->length = length;

	/* Possible states: ready with kind 1, 2 or 4 (ascii only with kind
	 * 1), or a legacy string not ready yet (kind PyUnicode_WCHAR_KIND =
	 * 0, never compact, never ascii). */
	if (out->interned > MAX_INTERNED || length > SSIZE_MAX_U)
		return false;
	if (out->ready) {
		if (out->kind != 1 && out->kind != 2 && out->kind != 4)
			return false;
		if (out->ascii && out->kind != 1)
			return false;
	} else if (out->kind != 0 || out->compact || out->ascii) {
		return false;
	}

	compact_ascii = out->compact && out->ascii;
	if (compact_ascii)
		header = L(ASCII_SIZE);
	else if (out->compact)
		header = L(COMPACT_SIZE);
	else
		header = L(UNICODE_SIZE);
	if (header > SSIZE_MAX_U || !phi_image_ptr(img, addr, (size_t)header))
		return false;

	/* Where the characters are, in the target. */
	if (out->compact) {
		data_addr = addr + header;
	} else if (!phi_image_u64(img, addr + L(UNICODE_DATA),
				  &data_addr)) {
		return false;
	}

	/* unicode_sizeof: the object and its character block. */
	size = header;
	if (out->ready) {
		if (length > max_length(header, out->kind))
			return false;
		if (out->compact || data_addr)
			size += (length + 1) * out->kind;
	}

	/* A separate wchar_t buffer (_PyUnicode_HAS_WSTR_MEMORY). */
	if (wstr && (!out->ready || wstr != data_addr)) {
		if (compact_ascii)
			wstr_len = length;
		else if (!phi_image_u64(img,
					addr + L(COMPACT_WSTR_LENGTH),
					&wstr_len))
			return false;
		if (wstr_len > SSIZE_MAX_U / WCHAR_SIZE - 1 ||
		    !add_size(&size, (wstr_len + 1) * WCHAR_SIZE))
			return false;
	}

	/* A separate UTF-8 buffer (_PyUnicode_HAS_UTF8_MEMORY).  Compact
	 * ASCII strings have no utf8 fields: their characters are there. */
	if (!compact_ascii) {
		uint64_t utf8, utf8_len;

		if (!phi_image_u64(img, addr + L(COMPACT_UTF8),
				   &utf8) ||
		    !phi_image_u64(img,
				   addr + L(COMPACT_UTF8_LENGTH),
				   &utf8_len))
			return false;
		if (utf8 && utf8 != data_addr &&
		    (utf8_len >= SSIZE_MAX_U || !add_size(&size, utf8_len + 1)))
			return false;
	}
	out->size = size;

	/* The characters, when wholly in the image.  length * kind cannot
	 * wrap: length is below 2^63 / kind here. */
	if (out->ready && data_addr)
		out->data = phi_image_ptr(img, data_addr,
					  (size_t)(length * out->kind));
	return true;
}

uint32_t phi_str_char(const struct phi_str *s, uint64_t i)
{
	const unsigned char *p = s->data;

	if (!p || i >= s->length)
		return 0xFFFD;
	switch (s->kind) {
	case 1:
		return p[i];
	case 2: {
		uint16_t c;

		memcpy(&c, p + i * 2, 2);
		return c;
	}
	case 4: {
		uint32_t c;

		memcpy(&c, p + i * 4, 4);
		return c;
	}
	default:
		return 0xFFFD;
	}
}

/* UTF-8 of cp into out (4 bytes); surrogates and values past U+10FFFF
 * become U+FFFD.  Returns the length. */
static size_t encode_utf8(uint32_t cp, char *out)
{
	if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		cp = 0xFFFD;
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

size_t phi_str_utf8(const struct phi_str *s, char *buf, size_t cap,
		    uint64_t max_chars, bool *truncated)
{
	uint64_t n = 0, limit;
	size_t len = 0;

	if (truncated)
		*truncated = s->length > 0;
	if (cap == 0)
		return 0;
	buf[0] = '\0';
	if (!s->data)
		return 0;
	limit = s->length < max_chars ? s->length : max_chars;
	for (; n < limit; n++) {
		char enc[4];
		size_t k = encode_utf8(phi_str_char(s, n), enc);

		/* Keep room for the NUL. */
		if (k >= cap - len)
			break;
		memcpy(buf + len, enc, k);
		len += k;
	}
	buf[len] = '\0';
	if (truncated)
		*truncated = n < s->length;
	return len;
}

bool phi_str_eq(const struct phi_str *s, const char *ascii)
{
	size_t n = strlen(ascii);

	if (s->length != n)
		return false;
	if (n == 0)
		return true;
	if (!s->data)
		return false;
	for (size_t i = 0; i < n; i++)
		if (phi_str_char(s, i) != (unsigned char)ascii[i])
			return false;
	return true;
}
