/* Progress on a terminal (progress.h).  The line is written with one
 * write(2), so that a partial line never shows, and kept under 80
 * columns so that the carriage return always finds its start.  Nothing
 * is written before the run has lasted DELAY_MS: a fast run prints
 * nothing at all. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pyheapinspect/base/clock.h"
#include "pyheapinspect/base/progress.h"
#include "pyheapinspect/base/sizes.h"

#define DELAY_MS 1000.0
#define INTERVAL_MS 100.0
#define WIDTH 79

static struct {
	bool on;
	bool shown;           /* a line is on the terminal */
	double t0;            /* when the run started */
	double last;          /* when the line was last drawn */
	double delay, interval;
	const char *what, *noun;
	enum phi_progress_unit unit;
	uint64_t done, total;
} P;

void phi_progress_start(bool on)
{
	const char *t = getenv("PYHEAPINSPECT_TEST_PROGRESS");
	bool test = t && strcmp(t, "1") == 0;

	memset(&P, 0, sizeof(P));
	P.on = on;
	P.t0 = phi_now_ms();
	P.delay = test ? 0 : DELAY_MS;
	P.interval = test ? 0 : INTERVAL_MS;
}

bool phi_progress_enabled(void)
{
	return P.on;
}

static void amount(uint64_t n, char *buf, size_t len)
{
	if (P.unit == PHI_PROGRESS_BYTES)
		phi_size_text(n, buf, len);
	else
		snprintf(buf, len, "%" PRIu64, n);
}

static void draw(double now)
{
	char line[WIDTH + 16], done[32], total[32], how[96] = "";
	int n;

	amount(P.done, done, sizeof(done));
	if (P.total) {
		amount(P.total, total, sizeof(total));
		snprintf(how, sizeof(how), ": %s of %s%s%s (%u%%)", done, total,
			 P.noun ? " " : "", P.noun ? P.noun : "",
			 (unsigned)(P.done >= P.total ? 100 :
				    P.done * 100 / P.total));
	} else if (P.done) {
		snprintf(how, sizeof(how), ": %s%s%s", done, P.noun ? " " : "",
			 P.noun ? P.noun : "");
	}
	/* \r, the text cut to the width, then erase to the end of line. */
	n = snprintf(line, sizeof(line), "\rpyheapinspect: %.40s%s", P.what,
		     how);
	if (n < 0)
		return;
	if ((size_t)n > WIDTH + 1)
		n = WIDTH + 1;
	memcpy(line + n, "\033[K", 3);
	n += 3;
	if (write(STDERR_FILENO, line, (size_t)n) == n)
		P.shown = true;
	P.last = now;
}

static void maybe_draw(bool force)
{
	double now;

	if (!P.on || !P.what)
		return;
	now = phi_now_ms();
	if (now - P.t0 < P.delay)
		return;
	if (!force && P.shown && now - P.last < P.interval)
		return;
	draw(now);
}

void phi_progress_begin(const char *what, enum phi_progress_unit unit,
			const char *noun)
{
	if (!P.on)
		return;
	P.what = what;
	P.unit = unit;
	P.noun = noun;
	P.done = P.total = 0;
	maybe_draw(true);
}

void phi_progress_update(uint64_t done, uint64_t total)
{
	if (!P.on)
		return;
	P.done = done;
	P.total = total;
	maybe_draw(false);
}

void phi_progress_end(void)
{
	static const char erase[] = "\r\033[K";

	/* A terminal that refuses the erase is no reason to fail. */
	if (P.shown && write(STDERR_FILENO, erase, sizeof(erase) - 1) < 0) {
	}
	P.shown = false;
	P.what = NULL;
}
