/* Large, zeroed scratch arrays for the analyses, backed by transparent
 * huge pages where the kernel gives them. */
#ifndef PYHEAPINSPECT_SCRATCH_H
#define PYHEAPINSPECT_SCRATCH_H

#include <stddef.h>

/* nmemb * size zeroed bytes, or NULL (out of memory or an overflowing
 * product).  Free with phi_scratch_free only. */
void *phi_scratch_calloc(size_t nmemb, size_t size);
/* NULL is fine. */
void phi_scratch_free(void *p);

#endif
