/* CLOCK_MONOTONIC: never jumps with the wall clock, so that a pause
 * budget holds across an NTP step. */
#include <time.h>

#include "pyheapinspect/base/clock.h"

double phi_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}
