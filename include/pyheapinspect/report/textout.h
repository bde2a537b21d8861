/* Small helpers for the text reports: target text made safe for a
 * terminal, sizes for people. */
#ifndef PYHEAPINSPECT_TEXTOUT_H
#define PYHEAPINSPECT_TEXTOUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pyheapinspect/base/sizes.h" /* phi_size_text */

/* s escaped as base/escape.h says (C0 and C1 controls, DEL, bytes that
 * are not UTF-8, what reorders text), at most max characters (then
 * "..."), max itself at most PHI_TEXT_PUT_MAX. */
#define PHI_TEXT_PUT_MAX 640
void phi_text_put(FILE *out, const char *s, size_t max);
/* -1234567 -> "-1.2 MiB", the sign always written (len >= 32). */
const char *phi_text_delta(int64_t d, char *buf, size_t len);

#endif
