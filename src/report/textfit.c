/* Text cut to fit an output (textfit.h). */
#include <string.h>

#include "pyheapinspect/base/escape.h"
#include "pyheapinspect/report/jsonout.h"
#include "pyheapinspect/report/textfit.h"

static const char ellipsis[] = "\xe2\x80\xa6";
static const unsigned char replacement[] = { 0xef, 0xbf, 0xbd };

size_t phi_text_fit(const char *s, size_t len, char *out, size_t cap,
		    size_t limit, phi_escaped_width width)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t used = 0, n = 0, cut_n = 0;
	bool cut_known = false;

	for (size_t i = 0; i < len && u[i];) {
		size_t k = phi_utf8_seq_len(u + i, len - i);
		const unsigned char *c = k ? u + i : replacement;
		size_t ck = k ? k : 3, w = width(c, ck);

		/* Where the text would be cut if it does not fit: the
		 * last point with room left for the ellipsis. */
		if (!cut_known && used + w > limit - 3) {
			cut_n = n;
			cut_known = true;
		}
		if (used + w > limit || n + ck >= cap) {
			memcpy(out + cut_n, ellipsis, 3);
			out[cut_n + 3] = '\0';
			return cut_n + 3;
		}
		memcpy(out + n, c, ck);
		n += ck;
		used += w;
		i += k ? k : 1;
	}
	out[n] = '\0';
	return n;
}

size_t phi_width_blob(const unsigned char *c, size_t n)
{
	if (n == 1) {
		switch (c[0]) {
		case '"': case '\\': case '\b': case '\f': case '\n':
		case '\r': case '\t':
			return 2;
		case '<': case '>': case '&':
			return 6;
		default:
			return c[0] < 0x20 ? 6 : 1;
		}
	}
	if (n == 3 && c[0] == 0xe2 && c[1] == 0x80 &&
	    (c[2] == 0xa8 || c[2] == 0xa9))
		return 6;
	return n;
}
