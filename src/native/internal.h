/* Shared by the files of src/native/ only. */
#ifndef PYHEAPINSPECT_NATIVE_INTERNAL_H
#define PYHEAPINSPECT_NATIVE_INTERNAL_H

#include "pyheapinspect/native/native.h"

/* Append [start, end); -1 when out of memory. */
int phi_native_range_add(struct phi_native_ranges *r, uint64_t start,
			 uint64_t end);

/* glibc's arenas and counters (glibc.c). */
int phi_native_glibc(struct phi_malloc *m, struct phi_source *src,
		     const struct phi_image *img,
		     const struct phi_native_libc *l, struct phi_error *err);

/* main_arena and mp_ by their contents in libc's writable data, for the
 * given offsets of malloc_state's bins, top, system_mem and next and of
 * malloc_par's sbrk_base; 0 when each is found exactly once. */
int phi_native_find_arena(const struct phi_image *img,
			  const struct phi_source *src, const char *libc,
			  int64_t bins, int64_t top, int64_t system_mem,
			  int64_t next, int64_t sbrk_base,
			  uint64_t *main_arena, uint64_t *mp);

/* struct pthread's tid, stackblock, stackblock_size, sizeof (0..3). */
int64_t phi_native_pthread_field(int which);

#endif
