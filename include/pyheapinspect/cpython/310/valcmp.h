/* The table entry's value comparisons (cpython/heap.h's phi_valcmp). */
#ifndef PYHEAPINSPECT_VALCMP_H
#define PYHEAPINSPECT_VALCMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/base/error.h"
#include "pyheapinspect/cpython/heap.h"

int phi310_valcmp_open(struct phi_valcmp *vc, struct phi_error *err);
void phi310_valcmp_close(struct phi_valcmp *vc);
uint32_t phi310_valcmp_class(const struct phi_valcmp *vc, uint32_t node);
bool phi310_valcmp_hash(struct phi_valcmp *vc, uint32_t node,
			uint64_t *hash);
bool phi310_valcmp_equal(struct phi_valcmp *vc, uint32_t a, uint32_t b);
void phi310_valcmp_prefetch(const struct phi_valcmp *vc, uint32_t node);
void phi310_valcmp_preview(const struct phi_valcmp *vc, uint32_t node,
			   char *buf, size_t cap);

#endif
