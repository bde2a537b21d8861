/* Small helpers over yajl's generator: output to a FILE, addresses as
 * Python-style hex strings, and text from the target made valid UTF-8. */
#ifndef PYHEAPINSPECT_JSONOUT_H
#define PYHEAPINSPECT_JSONOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <yajl/yajl_gen.h>

#include "pyheapinspect/base/error.h"

/* A generator printing to out; NULL when out of memory. */
yajl_gen phi_json_open(FILE *out, bool pretty);

/* Free g and report a write error on out. */
int phi_json_close(yajl_gen g, FILE *out, struct phi_error *err);

void phi_json_key(yajl_gen g, const char *key);
void phi_json_string(yajl_gen g, const char *s);
void phi_json_address(yajl_gen g, uint64_t addr);

/* Bytes of unknown encoding: valid UTF-8 sequences are kept, every other
 * byte becomes U+FFFD, so the document is valid whatever the target
 * holds. */
void phi_json_text(yajl_gen g, const unsigned char *s, size_t len);

#endif
