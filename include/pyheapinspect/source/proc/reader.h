/* Reading bytes at the target's addresses: process_vm_readv with many
 * iovecs per call, /proc/PID/mem when that syscall is unavailable. */
#ifndef PYHEAPINSPECT_READER_H
#define PYHEAPINSPECT_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pyheapinspect/base/error.h"

struct phi_reader {
	pid_t pid;
	int mem_fd;          /* /proc/PID/mem, opened on first fallback */
	bool no_vm_readv;    /* process_vm_readv said ENOSYS/EPERM once */
	uint64_t syscalls;   /* counters, for --verbose and the benchmark */
	uint64_t bytes;
};

/* One piece of a batched read.  `got` is set to the bytes read. */
struct phi_iov {
	uint64_t addr;
	void *buf;
	size_t len;
	size_t got;
};

void phi_reader_init(struct phi_reader *r, pid_t pid);
void phi_reader_close(struct phi_reader *r);

/* Read exactly len bytes at addr, or fail with PHI_E_READ (unmapped),
 * PHI_E_TARGET_EXITED or PHI_E_PERMISSION.  Never a partial success. */
int phi_read(struct phi_reader *r, uint64_t addr, void *buf, size_t len,
	     struct phi_error *err);

/* Read many ranges in as few syscalls as possible.  Each range's `got`
 * says how much of it was read; a range that is only partly mapped is
 * read up to the hole.  Returns 0, or -code when the target is gone or
 * not readable at all. */
int phi_readv(struct phi_reader *r, struct phi_iov *v, size_t n,
	      struct phi_error *err);

#endif
