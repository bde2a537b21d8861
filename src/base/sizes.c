/* Sizes written for people (base/sizes.h): binary units, one decimal. */
#include <inttypes.h>
#include <stdio.h>

#include "pyheapinspect/base/sizes.h"

const char *phi_size_text(uint64_t n, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 " B", n);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}
