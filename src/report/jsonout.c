/* yajl glue.  yajl escapes quotes and control characters but passes
 * invalid UTF-8 through when validation is off (and fails the whole
 * document when it is on), so target text is cleaned here first. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/base/escape.h"
#include "pyheapinspect/report/jsonout.h"

static void print_to_file(void *ctx, const char *s, size_t len)
{
	fwrite(s, 1, len, (FILE *)ctx);
}

yajl_gen phi_json_open(FILE *out, bool pretty)
{
	yajl_gen g = yajl_gen_alloc(NULL);

	if (!g)
		return NULL;
	yajl_gen_config(g, yajl_gen_print_callback, print_to_file, out);
	if (pretty) {
		yajl_gen_config(g, yajl_gen_beautify, 1);
		yajl_gen_config(g, yajl_gen_indent_string, "  ");
	}
	return g;
}

int phi_json_close(yajl_gen g, FILE *out, struct phi_error *err)
{
	/* yajl ends a beautified document with a newline itself. */
	yajl_gen_free(g);
	if (fflush(out) != 0 || ferror(out))
		return phi_error_set(err, PHI_E_IO, "cannot write the output");
	return 0;
}

void phi_json_key(yajl_gen g, const char *key)
{
	yajl_gen_string(g, (const unsigned char *)key, strlen(key));
}

void phi_json_string(yajl_gen g, const char *s)
{
	phi_json_text(g, (const unsigned char *)s, strlen(s));
}

void phi_json_address(yajl_gen g, uint64_t addr)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "0x%" PRIx64, addr);

	yajl_gen_string(g, (const unsigned char *)buf, (size_t)n);
}

void phi_json_text(yajl_gen g, const unsigned char *s, size_t len)
{
	static const unsigned char replacement[] = { 0xef, 0xbf, 0xbd };
	unsigned char stackbuf[512] = { 0 }, *buf = stackbuf;
	size_t cap = sizeof(stackbuf), n = 0;

	/* Worst case: every byte becomes three. */
	if (len > cap / 3) {
		buf = malloc(len * 3);
		if (!buf) {
			yajl_gen_string(g, replacement, 3);
			return;
		}
	}
	for (size_t i = 0; i < len;) {
		size_t k = phi_utf8_seq_len(s + i, len - i);

		if (k == 0) {
			memcpy(buf + n, replacement, 3);
			n += 3;
			i++;
		} else {
			memcpy(buf + n, s + i, k);
			n += k;
			i += k;
		}
	}
	yajl_gen_string(g, buf, n);
	if (buf != stackbuf)
		free(buf);
}
