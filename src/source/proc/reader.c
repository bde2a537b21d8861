/* process_vm_readv reader.  The kernel stops a vectored read at the first
 * iovec it cannot copy, so phi_readv resumes after a short read, skipping
 * the range that failed, and only then touches /proc/PID/mem. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "pyheapinspect/source/proc/perm.h"
#include "pyheapinspect/source/proc/reader.h"

/* Linux caps iovecs per call at UIO_MAXIOV (1024). */
#define BATCH 1024

void phi_reader_init(struct phi_reader *r, pid_t pid)
{
	memset(r, 0, sizeof(*r));
	r->pid = pid;
	r->mem_fd = -1;
}

void phi_reader_close(struct phi_reader *r)
{
	if (r->mem_fd >= 0)
		close(r->mem_fd);
	r->mem_fd = -1;
}

static int open_mem(struct phi_reader *r, struct phi_error *err)
{
	char path[64];

	if (r->mem_fd >= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)r->pid);
	r->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->mem_fd < 0)
		return phi_proc_error(err, errno, r->pid, "open the memory of");
	return 0;
}

/* pread on /proc/PID/mem; returns bytes read (maybe short) or -errno. */
static ssize_t mem_pread(struct phi_reader *r, uint64_t addr, void *buf,
			 size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n;

		if (addr + done > (uint64_t)INT64_MAX)
			break;
		n = pread(r->mem_fd, (char *)buf + done, len - done,
			  (off_t)(addr + done));
		r->syscalls++;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return done ? (ssize_t)done : -errno;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	r->bytes += done;
	return (ssize_t)done;
}

/* Fill v[i].got for a batch with process_vm_readv.  Returns 0, or
 * -errno for a failure that is not about one bad address. */
static int vm_batch(struct phi_reader *r, struct phi_iov *v, size_t n)
{
	struct iovec local[BATCH], remote[BATCH];
	size_t i = 0;

	while (i < n) {
		size_t k = 0, j;
		ssize_t got;

		for (j = i; j < n && k < BATCH; j++, k++) {
			local[k].iov_base = v[j].buf;
			local[k].iov_len = v[j].len;
			remote[k].iov_base = (void *)(uintptr_t)v[j].addr;
			remote[k].iov_len = v[j].len;
			v[j].got = 0;
		}
		got = process_vm_readv(r->pid, local, k, remote, k, 0);
		r->syscalls++;
		if (got < 0 && errno == EFAULT)
			got = 0;
		else if (got < 0)
			return -errno;
		r->bytes += (size_t)got;
		/* Distribute the byte count over the iovecs in order. */
		for (j = i; j < i + k && got > 0; j++) {
			size_t take = (size_t)got < v[j].len ? (size_t)got :
								v[j].len;
			v[j].got = take;
			got -= (ssize_t)take;
		}
		/* Resume after the range that stopped the kernel: it may be
		 * partly readable with /proc/PID/mem later, or not at all. */
		for (j = i; j < i + k && v[j].got == v[j].len; j++)
			;
		i = (j < i + k) ? j + 1 : j;
	}
	return 0;
}

int phi_readv(struct phi_reader *r, struct phi_iov *v, size_t n,
	      struct phi_error *err)
{
	int rc;

	if (!r->no_vm_readv) {
		rc = vm_batch(r, v, n);
		if (rc == -ENOSYS || rc == -EPERM) {
			r->no_vm_readv = true;
		} else if (rc < 0) {
			return phi_proc_error(err, -rc, r->pid,
					       "read the memory of");
		} else {
			return 0;
		}
	}
	rc = open_mem(r, err);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		ssize_t got = mem_pread(r, v[i].addr, v[i].buf, v[i].len);

		if (got == -ESRCH || got == -EPERM || got == -EACCES)
			return phi_proc_error(err, (int)-got, r->pid,
					       "read the memory of");
		v[i].got = got > 0 ? (size_t)got : 0;
	}
	return 0;
}

int phi_read(struct phi_reader *r, uint64_t addr, void *buf, size_t len,
	     struct phi_error *err)
{
	struct phi_iov iov = { .addr = addr, .buf = buf, .len = len };
	int rc = phi_readv(r, &iov, 1, err);

	if (rc < 0)
		return rc;
	if (iov.got != len)
		return phi_error_set(err, PHI_E_READ,
				     "cannot read %zu bytes at 0x%llx in "
				     "process %d: address not mapped", len,
				     (unsigned long long)addr, (int)r->pid);
	return 0;
}
