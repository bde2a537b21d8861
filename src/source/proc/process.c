/* The live-process source (source.h): reads go to the running process
 * until the capture, which freezes it, copies its memory into the image
 * and thaws it (capture.c). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "pyheapinspect/source/proc/capture.h"
#include "pyheapinspect/source/proc/perm.h"
#include "pyheapinspect/source/proc/process.h"
#include "pyheapinspect/source/proc/reader.h"

/* A maps file is read whole; its size is not announced by the kernel. */
#define MAPS_MAX_BYTES (256u << 20)

static int read_whole(int fd, char **buf, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *b = malloc(cap);

	if (!b)
		return -ENOMEM;
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *nb;

			if (cap >= MAPS_MAX_BYTES) {
				free(b);
				return -EFBIG;
			}
			nb = realloc(b, cap * 2);
			if (!nb) {
				free(b);
				return -ENOMEM;
			}
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			free(b);
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*buf = b;
	*len = n;
	return 0;
}

int phi_maps_read(pid_t pid, struct phi_maps *out, struct phi_error *err)
{
	char path[64], *text = NULL;
	size_t len = 0;
	int fd, rc;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return phi_proc_error(err, errno == ENOENT ? ESRCH : errno,
				       pid, "open the maps of");
	rc = read_whole(fd, &text, &len);
	close(fd);
	if (rc < 0)
		return phi_proc_error(err, -rc, pid, "read the maps of");
	if (len == 0) {
		free(text);
		/* A zombie or exiting process has no maps left. */
		return phi_error_set(err, PHI_E_TARGET_EXITED,
				     "process %d has no memory maps: it is "
				     "exiting or a zombie", (int)pid);
	}
	rc = phi_maps_parse(text, len, out, err);
	free(text);
	return rc;
}

struct process {
	struct phi_reader reader;
};

static struct phi_reader *reader_of(struct phi_source *s)
{
	return &((struct process *)s->impl)->reader;
}

static int proc_read(struct phi_source *s, uint64_t addr, void *buf,
		     size_t len, struct phi_error *err)
{
	return phi_read(reader_of(s), addr, buf, len, err);
}

/* Open path and stat what was opened; errno set on failure. */
static bool stat_open(const char *path, struct stat *st)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = fstat(fd, st) == 0;
	close(fd);
	return ok;
}

static bool same_file(const struct stat *st, const struct phi_map *m)
{
	return major(st->st_dev) == m->dev_major &&
	       minor(st->st_dev) == m->dev_minor &&
	       (uint64_t)st->st_ino == m->inode;
}

/* No file to read: say why, and what to do. */
static int no_file(struct phi_source *s, const struct phi_map *m,
		   int map_errno, int path_errno, struct phi_error *err)
{
	bool denied = map_errno == EPERM || map_errno == EACCES;
	const char *gone = m->deleted ? "was deleted since it was mapped" :
					"is no longer at that path";

	if (path_errno == EACCES || path_errno == EPERM)
		return phi_proc_error(err, EPERM, s->pid,
				       "open the mapped files of");
	if (!denied)
		return phi_error_set(err, PHI_E_NOT_FOUND, "'%s' mapped by "
				     "process %d %s, and /proc/%d/map_files "
				     "cannot open it: %s", m->path,
				     (int)s->pid, gone, (int)s->pid,
				     strerror(map_errno));
	return phi_error_set(err, PHI_E_PERMISSION, "'%s' mapped by process "
			     "%d %s: only /proc/%d/map_files can still read "
			     "the mapped file, and it needs root or "
			     "CAP_CHECKPOINT_RESTORE: run pyheapinspect as "
			     "root (or with that capability), or restart the "
			     "process", m->path, (int)s->pid, gone,
			     (int)s->pid);
}

/* The way that works for containers and for files deleted or replaced
 * since they were mapped: map_files first (root or
 * CAP_CHECKPOINT_RESTORE), which is the mapped file itself; then the
 * process's root directory (its mount namespace's view of the path),
 * which is the mapped file only if its device and inode are the
 * mapping's (source.h says what 1 means). */
static int proc_file(struct phi_source *s, const struct phi_map *m,
		     char *path, size_t len, struct phi_error *err)
{
	struct stat st;
	int map_errno;

	snprintf(path, len, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64,
		 (int)s->pid, m->start, m->end);
	if (stat_open(path, &st))
		return 0;
	map_errno = errno;
	snprintf(path, len, "/proc/%d/root%s", (int)s->pid, m->path);
	if (stat_open(path, &st))
		return same_file(&st, m) && !m->deleted ? 0 : 1;
	return no_file(s, m, map_errno, errno, err);
}

static int proc_capture(struct phi_source *s,
			const struct phi_capture_opts *o,
			struct phi_capture *cap, struct phi_error *err)
{
	int rc = phi_capture_run(s->pid, reader_of(s), &s->maps, o, cap, err);

	if (rc == 0)
		phi_capture_note_gaps(cap);
	return rc;
}

static void proc_close(struct phi_source *s)
{
	struct process *p = s->impl;

	if (p)
		phi_reader_close(&p->reader);
	free(p);
	s->impl = NULL;
}

static const struct phi_source_ops process_ops = {
	.kind = "process",
	.read = proc_read,
	.file = proc_file,
	.capture = proc_capture,
	.close = proc_close,
};

int phi_process_open(struct phi_source *s, pid_t pid, struct phi_error *err)
{
	struct process *p;

	memset(s, 0, sizeof(*s));
	if (pid <= 0)
		return phi_error_set(err, PHI_E_NO_PROCESS, "invalid pid %d",
				     (int)pid);
	p = calloc(1, sizeof(*p));
	if (!p)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	phi_reader_init(&p->reader, pid);
	s->ops = &process_ops;
	s->impl = p;
	s->pid = pid;
	snprintf(s->root, sizeof(s->root), "/proc/%d/root", (int)pid);
	return phi_maps_read(pid, &s->maps, err);
}
