/* Text for a terminal (textout.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pyheapinspect/base/escape.h"

#include "pyheapinspect/report/textout.h"

void phi_text_put(FILE *out, const char *s, size_t max)
{
	char buf[PHI_TEXT_PUT_MAX * PHI_ESCAPE_MAX + 1];
	bool cut;

	if (max > PHI_TEXT_PUT_MAX)
		max = PHI_TEXT_PUT_MAX;
	phi_escape_text(buf, sizeof(buf), s, strlen(s), max, &cut);
	fputs(buf, out);
	if (cut)
		fputs("...", out);
}

const char *phi_text_delta(int64_t d, char *buf, size_t len)
{
	char b[24];

	phi_size_text(d < 0 ? -(uint64_t)d : (uint64_t)d, b, sizeof(b));
	snprintf(buf, len, "%s%s", d < 0 ? "-" : "+", b);
	return buf;
}
