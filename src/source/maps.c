/* /proc/PID/maps parsing.  Each line is
 *   start-end perms offset dev inode [path]
 * with a path that may contain spaces and may end in " (deleted)". */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pyheapinspect/source/maps.h"

#define DELETED_SUFFIX " (deleted)"

static int parse_line(const char *line, struct phi_map *m)
{
	unsigned long long start, end, offset, inode;
	unsigned major, minor;
	char perms[8];
	int pathpos = -1;
	size_t plen;

	if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end,
		   perms, &offset, &major, &minor, &inode, &pathpos) < 7 ||
	    pathpos < 0)
		return -1;
	if (end <= start || strlen(perms) != 4)
		return -1;
	m->start = start;
	m->end = end;
	m->offset = offset;
	m->inode = inode;
	m->dev_major = major;
	m->dev_minor = minor;
	m->perms = (perms[0] == 'r' ? PHI_MAP_R : 0) |
		   (perms[1] == 'w' ? PHI_MAP_W : 0) |
		   (perms[2] == 'x' ? PHI_MAP_X : 0) |
		   (perms[3] == 's' ? PHI_MAP_SHARED : 0);
	m->path = strdup(line + pathpos);
	if (!m->path)
		return -2;
	plen = strlen(m->path);
	m->deleted = plen > strlen(DELETED_SUFFIX) &&
		     strcmp(m->path + plen - strlen(DELETED_SUFFIX),
			    DELETED_SUFFIX) == 0;
	if (m->deleted)
		m->path[plen - strlen(DELETED_SUFFIX)] = '\0';
	return 0;
}

int phi_maps_parse(const char *text, size_t len, struct phi_maps *out,
		   struct phi_error *err)
{
	size_t cap = 0, lineno = 0;
	const char *p = text, *end = text + len;
	char line[4096 + 128];

	out->v = NULL;
	out->n = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = (nl ? (size_t)(nl - p) : (size_t)(end - p));
		int rc;

		lineno++;
		if (l >= sizeof(line)) {
			phi_maps_release(out);
			return phi_error_set(err, PHI_E_CORRUPT,
					     "maps line %zu is too long", lineno);
		}
		memcpy(line, p, l);
		line[l] = '\0';
		p += l + (nl ? 1 : 0);
		if (l == 0)
			continue;
		if (out->n == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct phi_map *nv = realloc(out->v, ncap * sizeof(*nv));

			if (!nv) {
				phi_maps_release(out);
				return phi_error_set(err, PHI_E_NO_MEMORY,
						     "out of memory reading "
						     "maps");
			}
			out->v = nv;
			cap = ncap;
		}
		rc = parse_line(line, &out->v[out->n]);
		if (rc < 0) {
			phi_maps_release(out);
			return phi_error_set(err, rc == -2 ? PHI_E_NO_MEMORY :
					     PHI_E_CORRUPT,
					     "cannot parse maps line %zu: '%.80s'",
					     lineno, line);
		}
		if (out->n && out->v[out->n].start < out->v[out->n - 1].end) {
			free(out->v[out->n].path);
			phi_maps_release(out);
			return phi_error_set(err, PHI_E_CORRUPT,
					     "maps line %zu overlaps the "
					     "previous one", lineno);
		}
		out->n++;
	}
	return 0;
}



void phi_maps_release(struct phi_maps *maps)
{
	for (size_t i = 0; i < maps->n; i++)
		free(maps->v[i].path);
	free(maps->v);
	maps->v = NULL;
	maps->n = 0;
}

const struct phi_map *phi_maps_find(const struct phi_maps *maps,
				    uint64_t addr)
{
	size_t lo = 0, hi = maps->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct phi_map *m = &maps->v[mid];

		if (addr < m->start)
			hi = mid;
		else if (addr >= m->end)
			lo = mid + 1;
		else
			return m;
	}
	return NULL;
}

bool phi_map_is_file(const struct phi_map *m)
{
	return m->path[0] == '/' && m->inode != 0;
}
