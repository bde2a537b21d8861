/* The one clock of the tool: CLOCK_MONOTONIC in milliseconds, for pause
 * budgets, deadlines and the timings of the report. */
#ifndef PYHEAPINSPECT_CLOCK_H
#define PYHEAPINSPECT_CLOCK_H

double phi_now_ms(void);

#endif
