/* The capture summary's file (summary.h): written with yajl's generator,
 * read back with its tree parser.  The reader takes the file as
 * untrusted: at most PHI_SUMMARY_MAX_FILE bytes, nesting checked before
 * yajl builds (and later frees, recursively) its tree, every count
 * bounded, every number checked for range, every text for length, every
 * parent index for range. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "pyheapinspect/report/jsonout.h"
#include "pyheapinspect/report/summary.h"

/* Deepest nesting of a summary: document, list, entry, one more. */
#define MAX_NESTING 8
/* Numbers above this are damage (sizes are bounded by 2^56). */
#define MAX_NUMBER ((int64_t)1 << 60)
#define MAX_SUSPECTS 100000

/* ---- writing */

static void u64(yajl_gen g, const char *key, uint64_t v)
{
	phi_json_key(g, key);
	yajl_gen_integer(g, (long long)v);
}

static void i64_or_null(yajl_gen g, const char *key, int64_t v)
{
	phi_json_key(g, key);
	if (v < 0)
		yajl_gen_null(g);
	else
		yajl_gen_integer(g, (long long)v);
}

static void str(yajl_gen g, const char *key, const char *v)
{
	phi_json_key(g, key);
	phi_json_string(g, v);
}

/* The memory breakdown (null when the capture had none). */
static void memory_json(yajl_gen g, const struct phi_summary *s)
{
	const struct phi_summary_memory *m = &s->memory;

	phi_json_key(g, "memory");
	if (!m->present) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_map_open(g);
	phi_json_key(g, "rss");
	if (m->have_rss) {
		yajl_gen_map_open(g);
		u64(g, "vm_rss", m->vm_rss);
		u64(g, "anon", m->anon);
		u64(g, "file", m->file);
		u64(g, "shmem", m->shmem);
		u64(g, "swap", m->swap);
		yajl_gen_map_close(g);
	} else {
		yajl_gen_null(g);
	}
	phi_json_key(g, "classes");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < m->nclasses; i++) {
		yajl_gen_map_open(g);
		str(g, "class", m->classes[i].name);
		u64(g, "resident", m->classes[i].resident);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	phi_json_key(g, "objects");
	yajl_gen_map_open(g);
	u64(g, "count", m->objects);
	u64(g, "getsizeof", m->getsizeof);
	i64_or_null(g, "allocated", m->allocated);
	yajl_gen_map_close(g);
	phi_json_key(g, "garbage");
	yajl_gen_map_open(g);
	u64(g, "objects", m->garbage_objects);
	u64(g, "size", m->garbage_size);
	yajl_gen_map_close(g);
	yajl_gen_map_close(g);
}

/* tracemalloc's lines (null when the capture did not read them). */
static void sites_json(yajl_gen g, const struct phi_summary *s)
{
	phi_json_key(g, "sites");
	if (!s->have_sites) {
		yajl_gen_null(g);
		return;
	}
	yajl_gen_map_open(g);
	u64(g, "traced_memory", s->traced);
	u64(g, "omitted", s->sites_omitted);
	u64(g, "omitted_size", s->sites_omitted_size);
	phi_json_key(g, "lines");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < s->nsites; i++) {
		yajl_gen_map_open(g);
		str(g, "filename", s->sites[i].filename);
		u64(g, "lineno", s->sites[i].lineno);
		u64(g, "size", s->sites[i].size);
		u64(g, "count", s->sites[i].count);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	yajl_gen_map_close(g);
}

static void header_json(yajl_gen g, const struct phi_summary *s)
{
	u64(g, "summary_version", (uint64_t)s->version);
	str(g, "tool_version", s->tool_version);
	str(g, "captured_at", s->captured_at);
	u64(g, "captured_unix", (uint64_t)s->captured_unix);
	str(g, "host", s->host);
	str(g, "source", s->source);
	u64(g, "pid", (uint64_t)s->pid);
	str(g, "python_version", s->python_version);
	phi_json_key(g, "complete");
	yajl_gen_bool(g, s->complete);
	i64_or_null(g, "rss", s->rss);
	u64(g, "objects", s->objects);
	u64(g, "total_size", s->total_size);
	u64(g, "gc_tracked", s->gc_tracked);
	u64(g, "reachable_objects", s->reachable_objects);
	u64(g, "reachable_size", s->reachable_size);
	memory_json(g, s);
	phi_json_key(g, "fill");
	yajl_gen_map_open(g);
	u64(g, "collections", s->fill_collections);
	u64(g, "sparse", s->fill_sparse);
	u64(g, "wasted", s->fill_wasted);
	yajl_gen_map_close(g);
	u64(g, "retainer_floor", s->floor);
	u64(g, "retainers_omitted", s->paths_omitted);
}

static void lists_json(yajl_gen g, const struct phi_summary *s)
{
	phi_json_key(g, "types");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < s->ntypes; i++) {
		yajl_gen_map_open(g);
		str(g, "type", s->types[i].type);
		u64(g, "count", s->types[i].count);
		u64(g, "size", s->types[i].size);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	phi_json_key(g, "retainers");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < s->npaths; i++) {
		const struct phi_summary_path *p = &s->paths[i];

		yajl_gen_map_open(g);
		str(g, "path", p->path);
		str(g, "type", p->type);
		u64(g, "retained", p->retained);
		u64(g, "objects", p->objects);
		phi_json_key(g, "parent");
		yajl_gen_integer(g, (long long)p->parent);
		phi_json_key(g, "anchor");
		yajl_gen_bool(g, p->anchor);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

static void suspects_json(yajl_gen g, const struct phi_summary *s)
{
	phi_json_key(g, "suspects");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < s->nsuspects; i++) {
		const struct phi_summary_suspect *x = &s->suspects[i];

		yajl_gen_map_open(g);
		str(g, "path", x->path);
		str(g, "type", x->type);
		u64(g, "retained", x->retained);
		u64(g, "children", x->children);
		u64(g, "children_retained", x->children_retained);
		str(g, "child_type", x->child_type);
		u64(g, "child_type_count", x->child_type_count);
		u64(g, "child_type_retained", x->child_type_retained);
		i64_or_null(g, "length", x->length);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
	phi_json_key(g, "suspect_groups");
	yajl_gen_array_open(g);
	for (size_t i = 0; i < s->ngroups; i++) {
		yajl_gen_map_open(g);
		str(g, "type", s->groups[i].type);
		u64(g, "instances", s->groups[i].instances);
		u64(g, "retained", s->groups[i].retained);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

int phi_summary_write(FILE *out, const struct phi_summary *s,
		      struct phi_error *err)
{
	yajl_gen g = phi_json_open(out, false);

	if (!g)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	yajl_gen_map_open(g);
	header_json(g, s);
	lists_json(g, s);
	suspects_json(g, s);
	sites_json(g, s);
	yajl_gen_map_close(g);
	/* One document per line: files can be concatenated (JSON Lines). */
	fputc('\n', out);
	return phi_json_close(g, out, err);
}

int phi_summary_save(const char *path, const struct phi_summary *s,
		     struct phi_error *err)
{
	size_t n = strlen(path) + 8;
	char *tmp = malloc(n);
	FILE *f;
	int rc;

	if (!tmp)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	snprintf(tmp, n, "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f) {
		rc = phi_error_set(err, PHI_E_IO, "cannot create '%s': %s",
				   tmp, strerror(errno));
		free(tmp);
		return rc;
	}
	rc = phi_summary_write(f, s, err);
	if (fclose(f) != 0 && rc == 0)
		rc = phi_error_set(err, PHI_E_IO, "cannot write '%s': %s", tmp,
				   strerror(errno));
	if (rc == 0 && rename(tmp, path) != 0)
		rc = phi_error_set(err, PHI_E_IO, "cannot rename '%s' to '%s': "
				   "%s", tmp, path, strerror(errno));
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* ---- reading */

struct rd {
	const char *path;
	struct phi_error *err;
	int rc;
};

static int bad(struct rd *r, const char *what)
{
	if (r->rc == 0)
		r->rc = phi_error_set(r->err, PHI_E_CORRUPT,
				      "summary '%.200s': %s", r->path, what);
	return r->rc;
}

static yajl_val field(yajl_val obj, const char *key)
{
	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (strcmp(obj->u.object.keys[i], key) == 0)
			return obj->u.object.values[i];
	return NULL;
}

static bool num(struct rd *r, yajl_val obj, const char *key, int64_t min,
		int64_t *out)
{
	yajl_val v = field(obj, key);
	char msg[96];

	if (v && YAJL_IS_INTEGER(v) && YAJL_GET_INTEGER(v) >= min &&
	    YAJL_GET_INTEGER(v) <= MAX_NUMBER) {
		*out = YAJL_GET_INTEGER(v);
		return true;
	}
	snprintf(msg, sizeof(msg), "'%.40s' is missing or not an integer "
		 "in range", key);
	bad(r, msg);
	return false;
}

static bool unum(struct rd *r, yajl_val obj, const char *key, uint64_t *out)
{
	int64_t v = 0;
	bool ok = num(r, obj, key, 0, &v);

	*out = (uint64_t)v;
	return ok;
}

/* An integer >= 0, or null (-1). */
static bool num_or_null(struct rd *r, yajl_val obj, const char *key,
			int64_t *out)
{
	yajl_val v = field(obj, key);

	if (v && YAJL_IS_NULL(v)) {
		*out = -1;
		return true;
	}
	return num(r, obj, key, 0, out);
}

static bool text(struct rd *r, yajl_val obj, const char *key, char **out)
{
	yajl_val v = field(obj, key);
	const char *t = v && YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
	char msg[96];

	if (t && strlen(t) <= PHI_SUMMARY_MAX_TEXT) {
		*out = strdup(t);
		if (!*out && r->rc == 0)
			r->rc = phi_error_set(r->err, PHI_E_NO_MEMORY,
					      "out of memory");
		return *out != NULL;
	}
	snprintf(msg, sizeof(msg), "'%.40s' is missing or not a text of at "
		 "most %d bytes", key, PHI_SUMMARY_MAX_TEXT);
	bad(r, msg);
	return false;
}

static bool flag(struct rd *r, yajl_val obj, const char *key, bool *out)
{
	yajl_val v = field(obj, key);

	if (v && (YAJL_IS_TRUE(v) || YAJL_IS_FALSE(v))) {
		*out = YAJL_IS_TRUE(v);
		return true;
	}
	bad(r, "a true/false field is missing");
	return false;
}

/* The array under key with at most max entries; *n its length. */
static yajl_val list(struct rd *r, yajl_val obj, const char *key,
		     size_t max, size_t *n)
{
	yajl_val v = field(obj, key);
	char msg[128];

	if (v && YAJL_IS_ARRAY(v) && v->u.array.len <= max) {
		*n = v->u.array.len;
		return v;
	}
	snprintf(msg, sizeof(msg), "'%.40s' is missing, not a list, or has "
		 "more than %zu entries", key, max);
	bad(r, msg);
	return NULL;
}

static void *entries(struct rd *r, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (!p && r->rc == 0)
		r->rc = phi_error_set(r->err, PHI_E_NO_MEMORY, "out of memory");
	return p;
}

static void read_header(struct rd *r, yajl_val d, struct phi_summary *s)
{
	yajl_val fill = field(d, "fill");

	if (!num(r, d, "summary_version", 0, &s->version))
		return;
	if (s->version != PHI_SUMMARY_VERSION) {
		bad(r, "unknown summary_version");
		return;
	}
	if (!text(r, d, "tool_version", &s->tool_version) ||
	    !text(r, d, "captured_at", &s->captured_at) ||
	    !num(r, d, "captured_unix", 0, &s->captured_unix) ||
	    !text(r, d, "host", &s->host) || !text(r, d, "source", &s->source) ||
	    !num(r, d, "pid", 0, &s->pid) ||
	    !text(r, d, "python_version", &s->python_version) ||
	    !flag(r, d, "complete", &s->complete) ||
	    !num_or_null(r, d, "rss", &s->rss) ||
	    !unum(r, d, "objects", &s->objects) ||
	    !unum(r, d, "total_size", &s->total_size) ||
	    !unum(r, d, "gc_tracked", &s->gc_tracked) ||
	    !unum(r, d, "reachable_objects", &s->reachable_objects) ||
	    !unum(r, d, "reachable_size", &s->reachable_size) ||
	    !unum(r, d, "retainer_floor", &s->floor) ||
	    !unum(r, d, "retainers_omitted", &s->paths_omitted))
		return;
	if (!YAJL_IS_OBJECT(fill)) {
		bad(r, "'fill' is missing");
		return;
	}
	if (unum(r, fill, "collections", &s->fill_collections) &&
	    unum(r, fill, "sparse", &s->fill_sparse))
		unum(r, fill, "wasted", &s->fill_wasted);
}

static void read_types(struct rd *r, yajl_val d, struct phi_summary *s)
{
	size_t n = 0;
	yajl_val a = list(r, d, "types", PHI_SUMMARY_MAX_TYPES, &n);

	if (!a || !(s->types = entries(r, n, sizeof(*s->types))))
		return;
	for (size_t i = 0; i < n && r->rc == 0; i++) {
		struct phi_summary_type *t = &s->types[i];
		yajl_val e = a->u.array.values[i];

		if (text(r, e, "type", &t->type))
			s->ntypes++;
		if (unum(r, e, "count", &t->count))
			unum(r, e, "size", &t->size);
	}
}

static void read_paths(struct rd *r, yajl_val d, struct phi_summary *s)
{
	size_t n = 0;
	yajl_val a = list(r, d, "retainers", PHI_SUMMARY_MAX_PATHS, &n);

	if (!a || !(s->paths = entries(r, n, sizeof(*s->paths))))
		return;
	for (size_t i = 0; i < n && r->rc == 0; i++) {
		struct phi_summary_path *p = &s->paths[i];
		yajl_val e = a->u.array.values[i];

		if (!text(r, e, "path", &p->path))
			break;
		s->npaths++;
		if (!text(r, e, "type", &p->type) ||
		    !unum(r, e, "retained", &p->retained) ||
		    !unum(r, e, "objects", &p->objects) ||
		    !num(r, e, "parent", -1, &p->parent) ||
		    !flag(r, e, "anchor", &p->anchor))
			break;
		if (p->parent >= (int64_t)n || p->parent == (int64_t)i)
			bad(r, "a retainer's parent is out of range");
	}
}

static void read_suspects(struct rd *r, yajl_val d, struct phi_summary *s)
{
	size_t n = 0, ng = 0;
	yajl_val a = list(r, d, "suspects", MAX_SUSPECTS, &n);
	yajl_val ga = a ? list(r, d, "suspect_groups", MAX_SUSPECTS, &ng) :
			  NULL;

	if (!a || !ga || !(s->suspects = entries(r, n, sizeof(*s->suspects))) ||
	    !(s->groups = entries(r, ng, sizeof(*s->groups))))
		return;
	for (size_t i = 0; i < n && r->rc == 0; i++) {
		struct phi_summary_suspect *x = &s->suspects[i];
		yajl_val e = a->u.array.values[i];

		if (!text(r, e, "path", &x->path))
			break;
		s->nsuspects++;
		if (!text(r, e, "type", &x->type) ||
		    !text(r, e, "child_type", &x->child_type) ||
		    !unum(r, e, "retained", &x->retained) ||
		    !unum(r, e, "children", &x->children) ||
		    !unum(r, e, "children_retained", &x->children_retained) ||
		    !unum(r, e, "child_type_count", &x->child_type_count) ||
		    !unum(r, e, "child_type_retained",
			  &x->child_type_retained))
			break;
		num_or_null(r, e, "length", &x->length);
	}
	for (size_t i = 0; i < ng && r->rc == 0; i++) {
		struct phi_summary_group *x = &s->groups[i];
		yajl_val e = ga->u.array.values[i];

		if (!text(r, e, "type", &x->type))
			break;
		s->ngroups++;
		if (unum(r, e, "instances", &x->instances))
			unum(r, e, "retained", &x->retained);
	}
}

/* An object under key, or NULL when it is absent or null (*bad when it
 * is something else). */
static yajl_val optional(struct rd *r, yajl_val d, const char *key)
{
	yajl_val v = field(d, key);
	char msg[96];

	if (!v || YAJL_IS_NULL(v))
		return NULL;
	if (YAJL_IS_OBJECT(v))
		return v;
	snprintf(msg, sizeof(msg), "'%.40s' is neither an object nor null",
		 key);
	bad(r, msg);
	return NULL;
}

static yajl_val object(struct rd *r, yajl_val d, const char *key)
{
	yajl_val v = field(d, key);
	char msg[96];

	if (YAJL_IS_OBJECT(v))
		return v;
	snprintf(msg, sizeof(msg), "'%.40s' is missing or not an object", key);
	bad(r, msg);
	return NULL;
}

static void read_rss(struct rd *r, yajl_val rss, struct phi_summary_memory *m)
{
	m->have_rss = true;
	if (unum(r, rss, "vm_rss", &m->vm_rss) &&
	    unum(r, rss, "anon", &m->anon) && unum(r, rss, "file", &m->file) &&
	    unum(r, rss, "shmem", &m->shmem))
		unum(r, rss, "swap", &m->swap);
}

static void read_memory(struct rd *r, yajl_val d, struct phi_summary *s)
{
	struct phi_summary_memory *m = &s->memory;
	yajl_val v = optional(r, d, "memory"), rss, o, gb, a;
	size_t n = 0;

	if (!v)
		return;
	m->present = true;
	rss = optional(r, v, "rss");
	if (rss)
		read_rss(r, rss, m);
	o = object(r, v, "objects");
	gb = o ? object(r, v, "garbage") : NULL;
	a = gb ? list(r, v, "classes", PHI_SUMMARY_MAX_CLASSES, &n) : NULL;
	if (!a || r->rc < 0 || !unum(r, o, "count", &m->objects) ||
	    !unum(r, o, "getsizeof", &m->getsizeof) ||
	    !num_or_null(r, o, "allocated", &m->allocated) ||
	    !unum(r, gb, "objects", &m->garbage_objects) ||
	    !unum(r, gb, "size", &m->garbage_size) ||
	    !(m->classes = entries(r, n, sizeof(*m->classes))))
		return;
	for (size_t i = 0; i < n && r->rc == 0; i++) {
		struct phi_summary_class *c = &m->classes[i];
		yajl_val e = a->u.array.values[i];

		if (!text(r, e, "class", &c->name))
			break;
		m->nclasses++;
		unum(r, e, "resident", &c->resident);
	}
}

/* The lines, each once, in (filename, lineno) order as written. */
static void read_lines(struct rd *r, yajl_val a, size_t n,
		       struct phi_summary *s)
{
	for (size_t i = 0; i < n && r->rc == 0; i++) {
		struct phi_summary_site *x = &s->sites[i];
		yajl_val e = a->u.array.values[i];
		int64_t line = 0;
		int c;

		if (!text(r, e, "filename", &x->filename))
			break;
		s->nsites++;
		if (!num(r, e, "lineno", 0, &line) ||
		    !unum(r, e, "size", &x->size) ||
		    !unum(r, e, "count", &x->count))
			break;
		if (line > UINT32_MAX) {
			bad(r, "a line number is out of range");
			break;
		}
		x->lineno = (uint32_t)line;
		c = i ? strcmp(x[-1].filename, x->filename) : -1;
		if (c > 0 || (c == 0 && x[-1].lineno >= x->lineno))
			bad(r, "the sites are not in (filename, lineno) order");
	}
}

static void read_sites(struct rd *r, yajl_val d, struct phi_summary *s)
{
	yajl_val v = optional(r, d, "sites"), a;
	size_t n = 0;

	if (!v)
		return;
	s->have_sites = true;
	a = list(r, v, "lines", PHI_SUMMARY_MAX_SITES, &n);
	if (!a || !unum(r, v, "traced_memory", &s->traced) ||
	    !unum(r, v, "omitted", &s->sites_omitted) ||
	    !unum(r, v, "omitted_size", &s->sites_omitted_size) ||
	    !(s->sites = entries(r, n, sizeof(*s->sites))))
		return;
	read_lines(r, a, n, s);
}

/* Nesting depth of the JSON text, strings skipped; false past max. */
static bool shallow(const char *t, size_t len, int max)
{
	int depth = 0;
	bool in_str = false;

	for (size_t i = 0; i < len; i++) {
		char c = t[i];

		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			if (++depth > max)
				return false;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return true;
}

static int slurp(const char *path, char **out, size_t *len,
		 struct phi_error *err)
{
	FILE *f = fopen(path, "re");
	size_t cap = 1 << 16, n = 0;
	char *buf;

	if (!f)
		return phi_error_set(err, PHI_E_IO, "cannot open '%s': %s",
				     path, strerror(errno));
	buf = malloc(cap + 1);
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		char *nb;

		n += got;
		if (n < cap || cap >= PHI_SUMMARY_MAX_FILE)
			break;
		cap *= 2;
		nb = realloc(buf, cap + 1);
		if (!nb) {
			free(buf);
			buf = NULL;
		}
		buf = nb;
	}
	if (!buf) {
		fclose(f);
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	}
	if (ferror(f) || (n == cap && fgetc(f) != EOF)) {
		bool io = ferror(f);

		fclose(f);
		free(buf);
		return io ? phi_error_set(err, PHI_E_IO, "cannot read '%s'",
					  path) :
			    phi_error_set(err, PHI_E_CORRUPT, "summary '%s' is "
					  "larger than %u bytes", path,
					  PHI_SUMMARY_MAX_FILE);
	}
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

int phi_summary_load(const char *path, struct phi_summary *s,
		     struct phi_error *err)
{
	struct rd r = { path, err, 0 };
	char msg[256];
	char *buf = NULL;
	size_t len = 0;
	yajl_val doc;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = slurp(path, &buf, &len, err);
	if (rc < 0)
		return rc;
	if (strlen(buf) != len || !shallow(buf, len, MAX_NESTING)) {
		free(buf);
		return phi_error_set(err, PHI_E_CORRUPT, "summary '%s' is not "
				     "a summary (NUL bytes or nesting)", path);
	}
	msg[0] = '\0';
	doc = yajl_tree_parse(buf, msg, sizeof(msg));
	free(buf);
	if (!doc || !YAJL_IS_OBJECT(doc)) {
		yajl_tree_free(doc);
		return phi_error_set(err, PHI_E_CORRUPT, "summary '%s' is not "
				     "a JSON object: %.200s", path,
				     strtok(msg, "\n") ? msg : "");
	}
	read_header(&r, doc, s);
	if (r.rc == 0)
		read_types(&r, doc, s);
	if (r.rc == 0)
		read_paths(&r, doc, s);
	if (r.rc == 0)
		read_suspects(&r, doc, s);
	if (r.rc == 0)
		read_memory(&r, doc, s);
	if (r.rc == 0)
		read_sites(&r, doc, s);
	yajl_tree_free(doc);
	if (r.rc < 0)
		phi_summary_release(s);
	return r.rc;
}

int phi_summary_sniff(const char *path, bool *summary, struct phi_error *err)
{
	FILE *f = fopen(path, "re");
	int c;

	if (!f)
		return phi_error_set(err, PHI_E_IO, "cannot open '%s': %s",
				     path, strerror(errno));
	do
		c = fgetc(f);
	while (c == ' ' || c == '\n' || c == '\t' || c == '\r');
	fclose(f);
	*summary = c == '{';
	return 0;
}
