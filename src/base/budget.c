/* The memory budget (budget.h): counters shared by every thread that
 * allocates (the main thread, the duplicates finder), and the default
 * limit read from /proc and the cgroup files. */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/base/budget.h"

/* A cgroup limit at or above this is "no limit" (v1 writes 2^63 minus a
 * page; v2 writes "max"). */
#define UNLIMITED ((uint64_t)1 << 62)
/* Levels of a cgroup path walked up, at most. */
#define MAX_LEVELS 64

static uint64_t limit = PHI_BUDGET_NONE;
static uint64_t fixed;
static _Atomic uint64_t used, peak, refusals, refused_bytes, refused_used;

/* "VmRSS:" or "VmHWM:" of /proc/self/status, in bytes. */
static uint64_t status_kb(const char *key)
{
	char line[128];
	unsigned long long kb = 0;
	size_t klen = strlen(key);
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0) {
			sscanf(line + klen, "%llu", &kb);
			break;
		}
	fclose(f);
	return (uint64_t)kb * 1024;
}

uint64_t phi_budget_peak_rss(void)
{
	return status_kb("VmHWM:");
}

bool phi_budget_init(uint64_t lim)
{
	limit = lim;
	fixed = status_kb("VmRSS:") + PHI_BUDGET_RESERVE;
	atomic_store(&used, 0);
	atomic_store(&peak, 0);
	atomic_store(&refusals, 0);
	atomic_store(&refused_bytes, 0);
	atomic_store(&refused_used, 0);
	return lim == PHI_BUDGET_NONE || lim > fixed;
}

uint64_t phi_budget_limit(void)
{
	return limit;
}

uint64_t phi_budget_fixed(void)
{
	return fixed;
}

static uint64_t allowance(void)
{
	return limit == PHI_BUDGET_NONE ? PHI_BUDGET_NONE :
	       limit > fixed ? limit - fixed : 0;
}

/* The largest refusal, and what was in use then. */
static void refused(uint64_t bytes, uint64_t in_use)
{
	uint64_t r = atomic_load(&refused_bytes);

	atomic_fetch_add(&refusals, 1);
	while (bytes > r &&
	       !atomic_compare_exchange_weak(&refused_bytes, &r, bytes))
		;
	if (bytes >= r)
		atomic_store(&refused_used, in_use);
}

bool phi_budget_take(uint64_t bytes)
{
	uint64_t cap = allowance(), cur = atomic_load(&used), next, p;

	do {
		if (bytes > cap || cur > cap - bytes) {
			refused(bytes, cur);
			return false;
		}
		next = cur + bytes;
	} while (!atomic_compare_exchange_weak(&used, &cur, next));
	p = atomic_load(&peak);
	while (next > p && !atomic_compare_exchange_weak(&peak, &p, next))
		;
	return true;
}

void phi_budget_give(uint64_t bytes)
{
	uint64_t cur = atomic_load(&used);

	/* Never below zero, whatever a caller gives back. */
	while (!atomic_compare_exchange_weak(&used, &cur,
					     cur > bytes ? cur - bytes : 0))
		;
}

uint64_t phi_budget_left(void)
{
	uint64_t cap = allowance(), cur = atomic_load(&used);

	if (cap == PHI_BUDGET_NONE)
		return PHI_BUDGET_NONE;
	return cap > cur ? cap - cur : 0;
}

uint64_t phi_budget_used(void)
{
	return atomic_load(&used);
}

uint64_t phi_budget_peak(void)
{
	return atomic_load(&peak);
}

uint64_t phi_budget_refusals(void)
{
	return atomic_load(&refusals);
}

uint64_t phi_budget_refused_bytes(void)
{
	return atomic_load(&refused_bytes);
}

uint64_t phi_budget_refused_used(void)
{
	return atomic_load(&refused_used);
}

/* The default limit. */

static FILE *open_under(const char *root, const char *path)
{
	char full[512];

	if (snprintf(full, sizeof(full), "%s%s", root, path) >=
	    (int)sizeof(full))
		return NULL;
	return fopen(full, "re");
}

static uint64_t mem_available(const char *root)
{
	char line[128];
	unsigned long long kb = 0;
	FILE *f = open_under(root, "/proc/meminfo");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb * 1024;
}

/* A number from a cgroup file: "max" (and anything at or above
 * UNLIMITED) is *unlimited; false when the file is missing or holds
 * something else. */
static bool read_number(const char *dir, const char *name, uint64_t *v,
			bool *unlimited)
{
	char path[512], text[64];
	unsigned long long n;
	char *end;
	FILE *f;
	bool ok = false;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return false;
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fgets(text, sizeof(text), f)) {
		text[strcspn(text, "\n")] = '\0';
		*unlimited = strcmp(text, "max") == 0;
		if (*unlimited) {
			ok = true;
		} else {
			n = strtoull(text, &end, 10);
			ok = end != text && *end == '\0';
			*v = n;
			*unlimited = ok && n >= UNLIMITED;
		}
	}
	fclose(f);
	return ok;
}

/* The smallest headroom over dir and its parents down to (and with)
 * top, the cgroup file system's mount point. */
static uint64_t headroom(char *dir, size_t top, const char *lim_name,
			 const char *cur_name, char *where, size_t wlen)
{
	uint64_t best = PHI_BUDGET_NONE;

	for (int level = 0; level < MAX_LEVELS; level++) {
		uint64_t lim = 0, cur = 0;
		bool unl = true, unl2 = false;
		char *slash;

		if (read_number(dir, lim_name, &lim, &unl) && !unl &&
		    read_number(dir, cur_name, &cur, &unl2)) {
			uint64_t h = lim > cur ? lim - cur : 0;

			if (h < best) {
				best = h;
				snprintf(where, wlen, "%s", dir);
			}
		}
		if (strlen(dir) <= top)
			break;
		slash = strrchr(dir, '/');
		if (!slash || (size_t)(slash - dir) < top)
			break;
		*slash = '\0';
	}
	return best;
}

/* super options "rw,memory" hold the token "memory". */
static bool has_token(const char *opts, const char *tok)
{
	size_t n = strlen(tok);

	for (const char *p = opts; p && *p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (strncmp(p, tok, n) == 0 && (p[n] == ',' || p[n] == '\0' ||
						p[n] == '\n'))
			return true;
	}
	return false;
}

/* The mount point and root of the cgroup file system of one version
 * (2: cgroup2; 1: the v1 hierarchy with the memory controller). */
static bool find_mount(const char *root, int version, char *mnt,
		       size_t mlen, char *mroot, size_t rlen)
{
	char line[1024];
	bool found = false;
	FILE *f = open_under(root, "/proc/self/mountinfo");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char r[256], m[256], type[64], opts[256];
		const char *dash = strstr(line, " - ");

		if (!dash ||
		    sscanf(line, "%*s %*s %*s %255s %255s", r, m) != 2 ||
		    sscanf(dash + 3, "%63s %*s %255s", type, opts) != 2)
			continue;
		if (version == 2 ? strcmp(type, "cgroup2") != 0 :
				   strcmp(type, "cgroup") != 0 ||
					   !has_token(opts, "memory"))
			continue;
		snprintf(mnt, mlen, "%s%s", root, m);
		snprintf(mroot, rlen, "%s", r);
		found = true;
	}
	fclose(f);
	return found;
}

/* The tool's cgroup path for one version, from /proc/self/cgroup. */
static bool cgroup_path(const char *root, int version, char *out,
			size_t len)
{
	char line[1024];
	bool found = false;
	FILE *f = open_under(root, "/proc/self/cgroup");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') :
							  NULL;

		if (!c2)
			continue;
		*c2 = '\0';
		line[strcspn(line, "\n")] = '\0';
		c2[1 + strcspn(c2 + 1, "\n")] = '\0';
		if (version == 2 ? (strncmp(line, "0:", 2) == 0 && !c1[1]) :
				   has_token(c1 + 1, "memory")) {
			snprintf(out, len, "%s", c2 + 1);
			found = true;
		}
	}
	fclose(f);
	return found;
}

static uint64_t version_headroom(const char *root, int version, char *where,
				 size_t wlen)
{
	char mnt[300], mroot[256], path[256], dir[600];
	size_t rl;
	const char *rel;

	if (!cgroup_path(root, version, path, sizeof(path)) ||
	    !find_mount(root, version, mnt, sizeof(mnt), mroot,
			sizeof(mroot)))
		return PHI_BUDGET_NONE;
	/* The path is relative to the cgroup namespace's root, which is
	 * the mount's root when it is mounted in the namespace. */
	rl = strcmp(mroot, "/") == 0 ? 0 : strlen(mroot);
	if (rl && (strncmp(path, mroot, rl) != 0 ||
		   (path[rl] != '/' && path[rl] != '\0')))
		return PHI_BUDGET_NONE;
	rel = path + rl;
	if (strcmp(rel, "/") == 0)
		rel = "";
	if (snprintf(dir, sizeof(dir), "%s%s", mnt, rel) >= (int)sizeof(dir))
		return PHI_BUDGET_NONE;
	return version == 2 ?
		headroom(dir, strlen(mnt), "memory.max", "memory.current",
			 where, wlen) :
		headroom(dir, strlen(mnt), "memory.limit_in_bytes",
			 "memory.usage_in_bytes", where, wlen);
}

void phi_budget_default(struct phi_budget_default *d, const char *root)
{
	char w1[sizeof(d->cgroup)] = "", w2[sizeof(d->cgroup)] = "";
	uint64_t h1 = version_headroom(root, 1, w1, sizeof(w1));
	uint64_t h2 = version_headroom(root, 2, w2, sizeof(w2));
	uint64_t base;

	memset(d, 0, sizeof(*d));
	d->mem_available = mem_available(root);
	d->cgroup_headroom = h1 < h2 ? h1 : h2;
	snprintf(d->cgroup, sizeof(d->cgroup), "%s", h1 < h2 ? w1 : w2);
	if (d->cgroup_headroom != PHI_BUDGET_NONE &&
	    (!d->mem_available || d->cgroup_headroom < d->mem_available)) {
		base = d->cgroup_headroom;
		d->source = h1 < h2 ? "cgroup v1" : "cgroup v2";
	} else {
		base = d->mem_available;
		d->source = "MemAvailable";
		d->cgroup[0] = '\0';
	}
	d->limit = base / 4 * 3;
	/* A cgroup at its limit leaves nothing: a limit of one byte, which
	 * nothing fits, and not 0, which would mean no limit at all. */
	if (!d->limit && (d->mem_available ||
			  d->cgroup_headroom != PHI_BUDGET_NONE))
		d->limit = 1;
}
