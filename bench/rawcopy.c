/* rawcopy: the floor of a heap capture.  Copies every readable,
 * non-executable mapping of a process (except [vvar] and [vsyscall])
 * into buffers faulted in beforehand, with batched process_vm_readv
 * (1024 iovecs per call, one iovec per mapping), twice or more: a cold
 * first copy, then warm copies into the same buffers, which is what
 * pyheapinspect does inside its pause.  The target is not stopped.
 *
 * Usage: rawcopy PID [WARM_COPIES]
 * Prints one JSON line: mappings, bytes, bytes copied, bytes that could
 * not be read (holes), syscalls per copy, and milliseconds to read the
 * maps, to fault in the buffers, of the cold copy and of each warm copy
 * (warm_ms is their median), and of one last copy into a fresh buffer
 * that is not faulted in beforehand (fresh_ms: the page faults on this
 * side, which a copy into newly allocated memory pays).
 *
 * Built by bench/run.py with cc -O2; no dependency beyond libc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define BATCH 1024 /* UIO_MAXIOV */
#define MAX_WARM 32

struct range {
	unsigned long start, end;
	unsigned char *buf;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int wanted(const char *perms, const char *path)
{
	if (perms[0] != 'r' || perms[2] == 'x')
		return 0;
	/* [vvar] (and [vvar_vclock]) fault on read; [vsyscall] is x anyway */
	if (strncmp(path, "[vvar", 5) == 0 || strcmp(path, "[vsyscall]") == 0)
		return 0;
	return 1;
}

static struct range *read_maps(pid_t pid, size_t *n)
{
	char name[64], *line = NULL;
	size_t cap = 0, lcap = 0;
	struct range *r = NULL;
	FILE *f;

	snprintf(name, sizeof(name), "/proc/%d/maps", (int)pid);
	f = fopen(name, "r");
	if (!f) {
		perror(name);
		exit(3);
	}
	*n = 0;
	while (getline(&line, &lcap, f) > 0) {
		unsigned long s, e;
		char perms[8] = "";
		int off = 0;
		char *path;

		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &s, &e, perms,
			   &off) < 3)
			continue;
		path = line + off;
		path[strcspn(path, "\n")] = '\0';
		if (!wanted(perms, path) || e <= s)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 256;
			r = realloc(r, cap * sizeof(*r));
			if (!r) {
				perror("realloc");
				exit(1);
			}
		}
		r[*n].start = s;
		r[*n].end = e;
		(*n)++;
	}
	free(line);
	fclose(f);
	return r;
}

/* Copy every range with batched process_vm_readv.  The kernel stops at
 * the first page it cannot read: skip that page and resume after it. */
static int copy_all(pid_t pid, struct range *r, size_t n, size_t *copied,
		    size_t *holes, size_t *calls)
{
	static struct iovec local[BATCH], remote[BATCH];
	size_t i = 0, off = 0;

	*copied = *holes = *calls = 0;
	while (i < n) {
		size_t k = 0, want = 0, o = off, g;
		ssize_t got;

		for (size_t j = i; j < n && k < BATCH; j++, k++, o = 0) {
			size_t len = r[j].end - r[j].start - o;

			local[k].iov_base = r[j].buf + o;
			local[k].iov_len = len;
			remote[k].iov_base = (void *)(r[j].start + o);
			remote[k].iov_len = len;
			want += len;
		}
		got = process_vm_readv(pid, local, k, remote, k, 0);
		(*calls)++;
		if (got < 0) {
			if (errno != EFAULT && errno != ENOMEM) {
				perror("process_vm_readv");
				return -1;
			}
			got = 0;
		}
		*copied += (size_t)got;
		for (g = (size_t)got; g > 0;) {
			size_t left = r[i].end - r[i].start - off;

			if (g >= left) {
				g -= left;
				i++;
				off = 0;
			} else {
				off += g;
				g = 0;
			}
		}
		if ((size_t)got < want && i < n) {
			size_t left = r[i].end - r[i].start - off;
			size_t skip = 4096 - ((r[i].start + off) & 4095);

			if (skip > left)
				skip = left;
			*holes += skip;
			off += skip;
			if (off == r[i].end - r[i].start) {
				i++;
				off = 0;
			}
		}
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	double t0, maps_ms, fault_ms, cold_ms, fresh_ms;
	double warm[MAX_WARM], sorted[MAX_WARM];
	size_t n, total = 0, copied, holes, calls, at = 0;
	int nwarm = 3;
	unsigned char *base;
	struct range *r;
	pid_t pid;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: rawcopy PID [WARM_COPIES]\n");
		return 2;
	}
	pid = (pid_t)atoi(argv[1]);
	if (argc == 3)
		nwarm = atoi(argv[2]);
	if (nwarm < 1 || nwarm > MAX_WARM) {
		fprintf(stderr, "rawcopy: WARM_COPIES must be 1..%d\n",
			MAX_WARM);
		return 2;
	}
	t0 = now_ms();
	r = read_maps(pid, &n);
	maps_ms = now_ms() - t0;
	for (size_t i = 0; i < n; i++)
		total += r[i].end - r[i].start;
	/* One buffer for everything, faulted in now (MAP_POPULATE), so that
	 * no copy below pays for page faults on this side. */
	t0 = now_ms();
	base = mmap(NULL, total ? total : 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (base == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	fault_ms = now_ms() - t0;
	for (size_t i = 0; i < n; i++) {
		r[i].buf = base + at;
		at += r[i].end - r[i].start;
	}
	t0 = now_ms();
	if (copy_all(pid, r, n, &copied, &holes, &calls) < 0)
		return 1;
	cold_ms = now_ms() - t0;
	for (int w = 0; w < nwarm; w++) {
		t0 = now_ms();
		if (copy_all(pid, r, n, &copied, &holes, &calls) < 0)
			return 1;
		warm[w] = sorted[w] = now_ms() - t0;
	}
	/* Last, a copy into a buffer not faulted in: the target's side is
	 * warm by now, so the difference with warm_ms is our page faults. */
	{
		unsigned char *fresh = mmap(NULL, total ? total : 4096,
					    PROT_READ | PROT_WRITE,
					    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (fresh == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		at = 0;
		for (size_t i = 0; i < n; i++) {
			r[i].buf = fresh + at;
			at += r[i].end - r[i].start;
		}
		t0 = now_ms();
		if (copy_all(pid, r, n, &copied, &holes, &calls) < 0)
			return 1;
		fresh_ms = now_ms() - t0;
		munmap(fresh, total ? total : 4096);
	}
	qsort(sorted, (size_t)nwarm, sizeof(double), cmp_double);
	printf("{\"pid\": %d, \"mappings\": %zu, \"bytes\": %zu, "
	       "\"copied\": %zu, \"holes\": %zu, \"syscalls\": %zu, "
	       "\"maps_ms\": %.3f, \"prefault_ms\": %.3f, \"cold_ms\": %.3f, "
	       "\"warm_ms\": %.3f, \"fresh_ms\": %.3f, \"warm_all_ms\": [",
	       (int)pid, n, total, copied, holes, calls, maps_ms, fault_ms,
	       cold_ms, nwarm % 2 ? sorted[nwarm / 2]
				  : (sorted[nwarm / 2 - 1] + sorted[nwarm / 2]) / 2,
	       fresh_ms);
	for (int w = 0; w < nwarm; w++)
		printf("%s%.3f", w ? ", " : "", warm[w]);
	printf("]}\n");
	munmap(base, total ? total : 4096);
	free(r);
	return 0;
}
