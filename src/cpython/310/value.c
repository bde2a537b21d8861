/* Previews of scalar values: str, bytes, int, bool and float, read from
 * the untrusted image into a bounded buffer.  Nothing here allocates and
 * nothing loops longer than the preview (or the image, for the digit
 * check of phi_long_read). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/cpython/310/long.h"
#include "pyheapinspect/cpython/310/py310.h"
#include "pyheapinspect/cpython/310/str.h"
#include "pyheapinspect/cpython/310/value.h"

/* Ints up to this many bits are printed exactly: 2^660 < 10^199, so
 * the decimal has at most 199 digits (<= PHI_PREVIEW_CHARS). */
#define LONG_MAX_BITS 660
#define LONG_MAX_DIGITS ((LONG_MAX_BITS + PHI_LONG_SHIFT - 1) / PHI_LONG_SHIFT)
/* Base 10^9 chunks of such an int: ceil(199 / 9). */
#define LONG_MAX_CHUNKS 23
#define BILLION 1000000000u

#define L(id) ((uint64_t)PHI_L(lay, id))

/* ---- str ---------------------------------------------------------- */

static bool preview_str(const struct phi_image *img,
			const struct phi_layout *lay, uint64_t addr, char *buf,
			size_t cap, size_t *len, bool *truncated)
{
	struct phi_str s;

	if (!phi_str_read(img, lay, addr, &s))
		return false;
	if (s.length && !s.data)
		return false;
	*len = phi_str_utf8(&s, buf, cap, PHI_PREVIEW_CHARS, truncated);
	return true;
}

/* ---- bytes -------------------------------------------------------- */

static bool preview_bytes(const struct phi_image *img,
			  const struct phi_layout *lay, uint64_t addr,
			  char *buf, size_t cap, bool *truncated)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p;
	uint64_t n, shown;
	size_t len = 0;

	if (!phi_image_u64(img, addr + L(OB_SIZE), &n) || n > INT64_MAX)
		return false;
	shown = n < PHI_PREVIEW_CHARS ? n : PHI_PREVIEW_CHARS;
	p = phi_image_ptr(img, addr + L(BYTES_SVAL), (size_t)shown);
	if (!p)
		return false;
	for (uint64_t i = 0; i < shown; i++) {
		unsigned char c = p[i];

		/* At most 4 bytes per byte plus the NUL: cap is enough. */
		if (cap - len < 5)
			return false;
		if (c == '\\') {
			buf[len++] = '\\';
			buf[len++] = '\\';
		} else if (c >= 0x20 && c <= 0x7e) {
			buf[len++] = (char)c;
		} else {
			buf[len++] = '\\';
			buf[len++] = 'x';
			buf[len++] = hex[c >> 4];
			buf[len++] = hex[c & 15];
		}
	}
	buf[len] = '\0';
	*truncated = n > shown;
	return true;
}

/* ---- int and bool ------------------------------------------------- */

/* The digits of the int at addr (validated by phi_long_read: in the
 * image, 30 bits each), without leading zero digits.  They are read
 * with memcpy: the image gives no alignment guarantee. */
static bool long_digits(const struct phi_image *img,
			const struct phi_layout *lay, uint64_t addr,
			struct phi_long *lg, const unsigned char **digits,
			uint64_t *ndigits)
{
	uint64_t n;

	if (!phi_long_read(img, lay, addr, lg))
		return false;
	n = lg->ob_size < 0 ? -(uint64_t)lg->ob_size : (uint64_t)lg->ob_size;
	*digits = NULL;
	if (n) {
		*digits = phi_image_ptr(img, addr + L(LONG_DIGIT),
					(size_t)(n * 4));
		if (!*digits)
			return false;
	}
	/* Normalised ints have a nonzero top digit; do not rely on it. */
	while (n) {
		uint32_t top;

		memcpy(&top, *digits + (n - 1) * 4, 4);
		if (top)
			break;
		n--;
	}
	*ndigits = n;
	return true;
}

static unsigned bit_length32(uint32_t v)
{
	unsigned bits = 0;

	while (v) {
		bits++;
		v >>= 1;
	}
	return bits;
}

static bool preview_long(const struct phi_image *img,
			 const struct phi_layout *lay, uint64_t addr,
			 char *buf, size_t cap, bool *truncated)
{
	uint32_t d[LONG_MAX_DIGITS], chunk[LONG_MAX_CHUNKS];
	const unsigned char *digits;
	struct phi_long lg;
	uint64_t n, bits;
	size_t nchunks = 0, len = 0;
	uint32_t top;
	int w;

	if (!long_digits(img, lay, addr, &lg, &digits, &n))
		return false;
	if (n == 0) {
		snprintf(buf, cap, "0");
		return true;
	}
	memcpy(&top, digits + (n - 1) * 4, 4);
	/* n is at most the image size / 4: 30 * n cannot wrap. */
	bits = (n - 1) * PHI_LONG_SHIFT + bit_length32(top);
	if (bits > LONG_MAX_BITS) {
		snprintf(buf, cap, "<int of %" PRIu64 " bits>", bits);
		*truncated = true;
		return true;
	}
	memcpy(d, digits, (size_t)n * 4);
	/* Repeated division by 10^9, most significant digit first: the
	 * remainder is < 10^9 < 2^30, so (rem << 30) | digit < 2^60.  A
	 * value below 2^660 has at most 23 chunks; the bound is a guard. */
	while (n && nchunks < LONG_MAX_CHUNKS) {
		uint64_t rem = 0;

		for (uint64_t i = n; i-- > 0;) {
			uint64_t cur = (rem << PHI_LONG_SHIFT) | d[i];

			d[i] = (uint32_t)(cur / BILLION);
			rem = cur % BILLION;
		}
		chunk[nchunks++] = (uint32_t)rem;
		while (n && d[n - 1] == 0)
			n--;
	}
	if (n)
		return false;
	w = snprintf(buf, cap, "%s%" PRIu32, lg.ob_size < 0 ? "-" : "",
		     chunk[nchunks - 1]);
	if (w < 0 || (size_t)w >= cap)
		return false;
	len = (size_t)w;
	for (size_t i = nchunks - 1; i-- > 0;) {
		w = snprintf(buf + len, cap - len, "%09" PRIu32, chunk[i]);
		if (w < 0 || (size_t)w >= cap - len)
			return false;
		len += (size_t)w;
	}
	return true;
}

static bool preview_bool(const struct phi_image *img,
			 const struct phi_layout *lay, uint64_t addr,
			 char *buf, size_t cap)
{
	struct phi_long lg;

	if (!phi_long_read(img, lay, addr, &lg))
		return false;
	/* The two singletons: False has no digit, True one digit of 1. */
	if (lg.ob_size == 0)
		snprintf(buf, cap, "False");
	else if (lg.ob_size == 1 && lg.fits && lg.value == 1)
		snprintf(buf, cap, "True");
	else
		return false;
	return true;
}

/* ---- float -------------------------------------------------------- */

/* Decimal digits d[0..nd) and exponent: d[0].d[1]... x 10^exp10. */
struct decimal {
	char d[20];
	size_t nd;
	int exp10;
};

/* Parse the "d[.ddd]e(+|-)XX" of %e. */
static bool parse_e(const char *s, struct decimal *dec)
{
	const char *e = strchr(s, 'e');

	if (!e)
		return false;
	dec->nd = 0;
	for (const char *p = s; p < e; p++)
		if (*p >= '0' && *p <= '9' && dec->nd < sizeof(dec->d) - 1)
			dec->d[dec->nd++] = *p;
	if (dec->nd == 0)
		return false;
	dec->d[dec->nd] = '\0';
	dec->exp10 = atoi(e + 1);
	return true;
}

/* Does the decimal read back as v (v >= 0)? */
static bool reads_back(const struct decimal *dec, double v)
{
	char tmp[48];

	snprintf(tmp, sizeof(tmp), "%c.%se%d", dec->d[0], dec->d + 1,
		 dec->exp10);
	return strtod(tmp, NULL) == v;
}

/* The next decimal up or down with the same number of digits
 * (999 -> 100e+1, 100 -> 999e-1); false below the smallest. */
static bool step_decimal(struct decimal *dec, bool up)
{
	size_t i = dec->nd;

	if (up) {
		while (i-- > 0) {
			if (dec->d[i] != '9') {
				dec->d[i]++;
				return true;
			}
			dec->d[i] = '0';
		}
		dec->d[0] = '1';
		dec->exp10++;
		return true;
	}
	while (i-- > 0) {
		if (dec->d[i] != '0') {
			dec->d[i]--;
			break;
		}
		dec->d[i] = '9';
	}
	if (i == (size_t)-1)
		return false;
	if (dec->d[0] == '0') {
		if (dec->nd == 1)
			return false;
		/* 0999 -> 9999 one decade lower. */
		dec->d[0] = '9';
		dec->exp10--;
	}
	return true;
}

/* The shortest decimal that reads back as v (v finite, >= 0), the one
 * closest to v among those, as David Gay's dtoa mode 0 that CPython uses
 * gives it.  The correctly rounded n-digit decimal is the closest; when
 * it does not read back but a neighbour does (v a power of two, whose
 * rounding interval is narrower below), the neighbour is the answer. */
static bool shortest_decimal(double v, struct decimal *dec)
{
	for (int prec = 1; prec <= 17; prec++) {
		char tmp[48];
		struct decimal up, down;

		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
		if (!parse_e(tmp, dec))
			return false;
		if (reads_back(dec, v))
			return true;
		up = *dec;
		down = *dec;
		if (step_decimal(&up, true) && reads_back(&up, v)) {
			*dec = up;
			return true;
		}
		if (step_decimal(&down, false) && reads_back(&down, v)) {
			*dec = down;
			return true;
		}
	}
	/* 17 significant digits always read back. */
	return false;
}

/* Python's repr of a finite double (float_repr_style 'short'): the
 * shortest digit string that reads back as v, shown positionally when
 * the decimal exponent is in [-4, 16) and as d.ddde+XX otherwise, with
 * ".0" added to integral values. */
static bool format_float(double v, char *buf, size_t cap)
{
	struct decimal dec;
	const char *digits = dec.d;
	size_t nd, len = 0;
	int exp10, w;

	if (!shortest_decimal(fabs(v), &dec))
		return false;
	nd = dec.nd;
	exp10 = dec.exp10;
	/* Trailing zeros are not significant (keep one digit for 0). */
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;

	/* Longest output: "-" + 17 digits + "." + "e-324" or "-0.0001" +
	 * 17 digits, or 17 digits and 16 zeros: well under 64 bytes. */
	if (cap < 64)
		return false;
	if (signbit(v))
		buf[len++] = '-';
	if (exp10 < -4 || exp10 >= 16) {
		buf[len++] = digits[0];
		if (nd > 1) {
			buf[len++] = '.';
			memcpy(buf + len, digits + 1, nd - 1);
			len += nd - 1;
		}
		w = snprintf(buf + len, cap - len, "e%c%02d",
			     exp10 < 0 ? '-' : '+', abs(exp10));
		return w > 0 && (size_t)w < cap - len;
	}
	if (exp10 < 0) {
		/* 0.000ddd */
		buf[len++] = '0';
		buf[len++] = '.';
		for (int i = -1; i > exp10; i--)
			buf[len++] = '0';
		memcpy(buf + len, digits, nd);
		len += nd;
	} else if ((size_t)exp10 + 1 >= nd) {
		/* ddd000.0 */
		memcpy(buf + len, digits, nd);
		len += nd;
		for (size_t i = nd; i < (size_t)exp10 + 1; i++)
			buf[len++] = '0';
		buf[len++] = '.';
		buf[len++] = '0';
	} else {
		/* dd.ddd */
		memcpy(buf + len, digits, (size_t)exp10 + 1);
		len += (size_t)exp10 + 1;
		buf[len++] = '.';
		memcpy(buf + len, digits + exp10 + 1, nd - (size_t)exp10 - 1);
		len += nd - (size_t)exp10 - 1;
	}
	buf[len] = '\0';
	return true;
}

static bool preview_float(const struct phi_image *img,
			  const struct phi_layout *lay, uint64_t addr,
			  char *buf, size_t cap)
{
	uint64_t bits;
	double v;

	if (!phi_image_u64(img, addr + L(FLOAT_FVAL), &bits))
		return false;
	memcpy(&v, &bits, sizeof(v));
	if (isnan(v)) {
		snprintf(buf, cap, "nan");
		return true;
	}
	if (isinf(v)) {
		snprintf(buf, cap, "%s", v < 0 ? "-inf" : "inf");
		return true;
	}
	return format_float(v, buf, cap);
}

/* ---- dispatch ----------------------------------------------------- */

bool phi_value_preview_n(const struct phi_image *img,
			 const struct phi_layout *lay, enum phi_kind kind,
			 uint64_t addr, char *buf, size_t cap, size_t *len,
			 bool *truncated)
{
	bool cut = false, ok;
	size_t n = SIZE_MAX;

	if (truncated)
		*truncated = false;
	if (len)
		*len = 0;
	if (!buf || cap == 0)
		return false;
	buf[0] = '\0';
	if (cap < PHI_PREVIEW_BUF)
		return false;
	switch (kind) {
	case PHI_K_STR:
		ok = preview_str(img, lay, addr, buf, cap, &n, &cut);
		break;
	case PHI_K_BYTES:
		ok = preview_bytes(img, lay, addr, buf, cap, &cut);
		break;
	case PHI_K_LONG:
		ok = preview_long(img, lay, addr, buf, cap, &cut);
		break;
	case PHI_K_BOOL:
		ok = preview_bool(img, lay, addr, buf, cap);
		break;
	case PHI_K_FLOAT:
		ok = preview_float(img, lay, addr, buf, cap);
		break;
	default:
		ok = false;
		break;
	}
	if (!ok) {
		buf[0] = '\0';
		cut = false;
	}
	if (truncated)
		*truncated = cut;
	if (len)
		*len = ok ? (n != SIZE_MAX ? n : strlen(buf)) : 0;
	return ok;
}

bool phi_value_preview(const struct phi_image *img,
		       const struct phi_layout *lay, enum phi_kind kind,
		       uint64_t addr, char *buf, size_t cap, bool *truncated)
{
	return phi_value_preview_n(img, lay, kind, addr, buf, cap, NULL,
				   truncated);
}

/* Only these kinds have a value the reports can show. */
static bool has_value(enum phi_kind k)
{
	return k == PHI_K_STR || k == PHI_K_BYTES || k == PHI_K_LONG ||
	       k == PHI_K_BOOL || k == PHI_K_FLOAT;
}

bool phi310_preview(const struct phi_heap *h, uint32_t node, char *buf,
		    size_t cap, size_t *len, bool *truncated)
{
	enum phi_kind kind = phi_heap_type(h, node)->kind;

	*len = 0;
	*truncated = false;
	if (!has_value(kind)) {
		buf[0] = '\0';
		return false;
	}
	return phi_value_preview_n(h->img, phi310_layout(h->py), kind,
				   h->g.addr[node], buf, cap, len, truncated);
}
