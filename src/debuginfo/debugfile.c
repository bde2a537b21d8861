/* Finding and checking the separate debug file of a stripped object
 * (debugfile.h).  The places, in order:
 *
 *   under the target's root (/proc/PID/root), when it is not the host's:
 *     /usr/lib/debug/.build-id/xx/rest.debug
 *     DIR/LINK   DIR/.debug/LINK   /usr/lib/debug/DIR/LINK
 *   the same on the host
 *   for each --debug-dir D:
 *     D/.build-id/xx/rest.debug   D/LINK   D/DIR/LINK
 *
 * where DIR is the object's directory as the target names it and LINK
 * its .gnu_debuglink name.  The first candidate that matches wins.
 * Paths under the target's root are opened with openat2(RESOLVE_IN_ROOT),
 * so that an absolute symbolic link in a container resolves inside it,
 * as it would for the target, and never to a host file. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <zlib.h>

#include <linux/openat2.h>

#include "pyheapinspect/debuginfo/debugfile.h"

#define DEBUG_ROOT "/usr/lib/debug"
/* Files already looked at (a path can be reached twice). */
#define MAX_SEEN 16
#define CRC_CHUNK (1u << 20)
/* A debug file found by its debuglink name is read whole for its CRC:
 * not past this (the largest debug files, of LLVM, are about 2 GiB). */
#define MAX_CRC_BYTES (8ULL << 30)

struct ctx {
	const struct phi_debug_want *w;
	struct phi_debugfile *out;
	int rootfd;        /* the target's root, or -1: the host's */
	bool done;         /* a file was accepted */
	struct { dev_t dev; ino_t ino; } seen[MAX_SEEN];
	size_t nseen;
};

void phi_debug_want_of(struct phi_elf *e, const char *object_path,
		       struct phi_debug_want *w)
{
	const char *slash = strrchr(object_path, '/');

	memset(w, 0, sizeof(*w));
	if (!phi_elf_build_id(e, w->build_id, sizeof(w->build_id)))
		w->build_id[0] = '\0';
	if (!phi_elf_debuglink(e, w->link, sizeof(w->link), &w->crc))
		w->link[0] = '\0';
	/* the maps name the file by its canonical path: no realpath */
	if (slash && slash != object_path)
		snprintf(w->dir, sizeof(w->dir), "%.*s",
			 (int)(slash - object_path), object_path);
	else
		snprintf(w->dir, sizeof(w->dir), "%s", slash ? "/" : ".");
}

bool phi_debugfile_crc(int fd, uint32_t *crc)
{
	unsigned char *buf = malloc(CRC_CHUNK);
	uLong c = crc32(0L, Z_NULL, 0);
	off_t off = 0;
	bool ok = buf != NULL;

	while (ok) {
		ssize_t n = pread(fd, buf, CRC_CHUNK, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ok = n == 0;
			break;
		}
		c = crc32(c, buf, (uInt)n);
		off += n;
	}
	free(buf);
	*crc = (uint32_t)c;
	return ok;
}

void phi_debugfile_close(struct phi_debugfile *df)
{
	if (df->fd >= 0)
		close(df->fd);
	df->fd = -1;
}

/* path opened read-only, under the target's root when rootfd >= 0. */
static int open_at(int rootfd, const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	if (rootfd < 0)
		return open(path, O_RDONLY | O_CLOEXEC);
	fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
		return fd;
	/* before Linux 5.6 (or under a seccomp filter): the plain walk,
	 * where only relative links stay inside */
	return openat(rootfd, path[0] == '/' ? path + 1 : path,
		      O_RDONLY | O_CLOEXEC);
}

static bool seen_before(struct ctx *c, const struct stat *st)
{
	for (size_t i = 0; i < c->nseen; i++)
		if (c->seen[i].dev == st->st_dev &&
		    c->seen[i].ino == st->st_ino)
			return true;
	if (c->nseen < MAX_SEEN) {
		c->seen[c->nseen].dev = st->st_dev;
		c->seen[c->nseen].ino = st->st_ino;
		c->nseen++;
	}
	return false;
}

static void refuse(struct ctx *c, const char *shown, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void refuse(struct ctx *c, const char *shown, const char *fmt, ...)
{
	struct phi_debugfile *out = c->out;
	struct phi_debug_refusal *r;
	va_list ap;

	if (out->nrefused == PHI_DEBUG_MAX_REFUSED) {
		out->refused_dropped++;
		return;
	}
	r = &out->refused[out->nrefused++];
	snprintf(r->shown, sizeof(r->shown), "%s", shown);
	r->in_root = c->rootfd >= 0;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

/* Does the open ELF file e (fd) belong to the object?  Refuses it
 * (listed) when it does not; false also when it has nothing to give. */
static bool matches(struct ctx *c, struct phi_elf *e, int fd,
		    enum phi_debug_how how, const char *shown)
{
	const struct phi_debug_want *w = c->w;
	char id[PHI_BUILD_ID_HEX] = "";
	uint32_t crc = 0;
	bool has_id = phi_elf_build_id(e, id, sizeof(id));

	if (w->build_id[0] && has_id && strcmp(id, w->build_id) != 0) {
		refuse(c, shown, "its build-id %s is not the object's %s", id,
		       w->build_id);
		return false;
	}
	if (how == PHI_DEBUG_BY_BUILD_ID && !has_id) {
		refuse(c, shown, "it has no build-id; the object's is %s",
		       w->build_id);
		return false;
	}
	if (how == PHI_DEBUG_BY_LINK) {
		struct stat st;

		if (fstat(fd, &st) == 0 &&
		    (uint64_t)st.st_size > MAX_CRC_BYTES) {
			refuse(c, shown, "it is too large to check (%lld "
			       "bytes)", (long long)st.st_size);
			return false;
		}
		if (!phi_debugfile_crc(fd, &crc)) {
			refuse(c, shown, "it cannot be read: %s",
			       strerror(errno));
			return false;
		}
		if (crc != w->crc) {
			refuse(c, shown, "its CRC-32 0x%08x is not the 0x%08x "
			       "of the object's .gnu_debuglink", crc, w->crc);
			return false;
		}
	}
	/* the right build, but stripped too (or the object itself) */
	if (!e->has_debug_info && !e->has_symtab)
		return false;
	if (how == PHI_DEBUG_BY_BUILD_ID)
		snprintf(c->out->how_text, sizeof(c->out->how_text),
			 "by build-id %s", id);
	else
		snprintf(c->out->how_text, sizeof(c->out->how_text),
			 "by .gnu_debuglink '%s', CRC-32 0x%08x%s%s", w->link,
			 crc, has_id ? ", build-id " : "", has_id ? id : "");
	return true;
}

/* One candidate, as shown (its path in its owner's namespace). */
static void try_path(struct ctx *c, const char *shown,
		     enum phi_debug_how how)
{
	struct phi_debugfile *out = c->out;
	struct phi_elf e;
	struct stat st;
	char path[64];
	int fd;

	out->tried++;
	fd = open_at(c->rootfd, shown);
	if (fd < 0)
		return;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    seen_before(c, &st)) {
		close(fd);
		return;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (phi_elf_open(&e, path, NULL) < 0) {
		refuse(c, shown, "it is not a readable ELF file");
		close(fd);
		return;
	}
	if (!matches(c, &e, fd, how, shown)) {
		phi_elf_close(&e);
		close(fd);
		return;
	}
	out->fd = fd;
	snprintf(out->path, sizeof(out->path), "%s", path);
	snprintf(out->shown, sizeof(out->shown), "%s", shown);
	out->in_root = c->rootfd >= 0;
	out->how = how;
	out->has_dwarf = e.has_debug_info;
	out->has_symtab = e.has_symtab;
	phi_elf_close(&e);
	c->done = true;
}

/* PREFIX A MIDDLE B SUFFIX, when it fits. */
static void try_join(struct ctx *c, enum phi_debug_how how,
		     const char *prefix, const char *a, const char *middle,
		     const char *b, const char *suffix)
{
	char buf[PATH_MAX];
	int n;

	if (c->done)
		return;
	n = snprintf(buf, sizeof(buf), "%s%s%s%s%s", prefix, a, middle, b,
		     suffix);
	if (n > 0 && (size_t)n < sizeof(buf))
		try_path(c, buf, how);
}

/* BASE/.build-id/xx/rest.debug */
static void try_build_id(struct ctx *c, const char *base)
{
	const char *id = c->w->build_id;
	char buf[PATH_MAX];
	int n;

	if (c->done || strlen(id) < 4)
		return;
	n = snprintf(buf, sizeof(buf), "%s/.build-id/%.2s/%s.debug", base, id,
		     id + 2);
	if (n > 0 && (size_t)n < sizeof(buf))
		try_path(c, buf, PHI_DEBUG_BY_BUILD_ID);
}

/* The places GDB uses, in one namespace (the target's or the host's). */
static void try_standard(struct ctx *c)
{
	const struct phi_debug_want *w = c->w;
	const char *dir = strcmp(w->dir, "/") == 0 ? "" : w->dir;

	try_build_id(c, DEBUG_ROOT);
	if (!w->link[0])
		return;
	try_join(c, PHI_DEBUG_BY_LINK, dir, "/", w->link, "", "");
	try_join(c, PHI_DEBUG_BY_LINK, dir, "/.debug/", w->link, "", "");
	try_join(c, PHI_DEBUG_BY_LINK, DEBUG_ROOT, dir, "/", w->link, "");
}

/* A directory of the user's, laid out as /usr/lib/debug is, or holding
 * the debug file itself. */
static void try_user_dir(struct ctx *c, const char *d)
{
	const struct phi_debug_want *w = c->w;
	const char *dir = strcmp(w->dir, "/") == 0 ? "" : w->dir;

	try_build_id(c, d);
	if (!w->link[0])
		return;
	try_join(c, PHI_DEBUG_BY_LINK, d, "/", w->link, "", "");
	try_join(c, PHI_DEBUG_BY_LINK, d, dir, "/", w->link, "");
}

/* Do "/proc/N/root" and "/" name the same tree?  The same directory is
 * not enough: a container made with unshare --mount keeps the host's
 * root directory and mounts other files on it, so the mount namespaces
 * (/proc/N/ns/mnt beside the root) decide when they can be compared. */
static bool same_tree(const char *root, int rootfd)
{
	char ns[96];
	size_t n = strlen(root);
	struct stat a, b;

	if (n > 5 && n < sizeof(ns) - 8 && strcmp(root + n - 5, "/root") == 0) {
		snprintf(ns, sizeof(ns), "%.*s/ns/mnt", (int)(n - 5), root);
		if (stat(ns, &a) == 0 && stat("/proc/self/ns/mnt", &b) == 0 &&
		    (a.st_dev != b.st_dev || a.st_ino != b.st_ino))
			return false;
	}
	return fstat(rootfd, &a) == 0 && stat("/", &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The target's root, open, unless it is the host's own. */
static int open_root(const char *root)
{
	int fd;

	if (!root || !root[0])
		return -1;
	fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && same_tree(root, fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

bool phi_debugfile_find(const struct phi_debug_want *w,
			const struct phi_debug_search *s,
			struct phi_debugfile *out)
{
	struct ctx c = { .w = w, .out = out, .rootfd = -1 };

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if (!w->build_id[0] && !w->link[0])
		return false;
	c.rootfd = open_root(s->root);
	if (c.rootfd >= 0) {
		try_standard(&c);
		close(c.rootfd);
		c.rootfd = -1;
	}
	try_standard(&c);
	for (size_t i = 0; i < s->ndirs && !c.done; i++)
		if (s->dirs[i] && s->dirs[i][0])
			try_user_dir(&c, s->dirs[i]);
	return c.done;
}
