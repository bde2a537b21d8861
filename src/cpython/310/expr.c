/* --expr: [interp#N/]MODULE:NAME[.ATTR|[KEY]]... resolved step by step
 * in the image, each step validated (the object must be a node of the
 * heap); MODULE is looked up in the sys.modules of interpreter N (its
 * interp->id), the main one's without the prefix. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/base/escape.h"
#include "pyheapinspect/cpython/310/expr.h"
#include "pyheapinspect/cpython/310/dict.h"
#include "pyheapinspect/cpython/310/long.h"
#include "pyheapinspect/cpython/310/py310.h"
#include "pyheapinspect/cpython/310/types.h"
#include "pyheapinspect/cpython/310/str.h"

/* A pointer-sized field of the image, 0 when it is not there. */
#define RD(addr) phi_image_word(r->img, (addr))

#define NAME_LEN 256

struct resolver {
	const struct phi_heap *h;
	const struct phi_image *img;
	const struct phi_layout *lay;
	const char *expr;
	struct phi_error *err;
};

static const struct phi_type *type_of(const struct resolver *r,
				      uint64_t addr, uint32_t *node)
{
	*node = phi_graph_find(&r->h->g, addr);
	if (*node == PHI_NONE)
		return NULL;
	return &r->h->types.v[r->h->g.type[*node]];
}

/* `on` is a type's name, which the target chose: escaped for the
 * terminal the message goes to. */
static int not_found(const struct resolver *r, const char *what,
		     const char *name, const char *on)
{
	char safe[64 * PHI_ESCAPE_MAX + 1];
	bool cut;

	if (on)
		phi_escape_text(safe, sizeof(safe), on, strlen(on), 64, &cut);
	return phi_error_set(r->err, PHI_E_NOT_FOUND,
			     "cannot resolve '%s': %s '%s'%s%s", r->expr, what,
			     name, on ? " on " : "", on ? safe : "");
}


/* An attribute: a module's global, an instance's __dict__ entry or
 * __slots__ member, or a class attribute along the MRO. */
static uint64_t get_attr(const struct resolver *r, uint64_t obj,
			 const char *name)
{
	uint32_t node;
	const struct phi_type *ty = type_of(r, obj, &node);
	int64_t off;
	uint64_t v;

	if (!ty)
		return 0;
	if (ty->kind == PHI_K_MODULE)
		return phi_dict_get_str(r->img, r->lay,
					RD(obj + PHI_L(r->lay, MODULE_DICT)),
					name);
	if (ty->kind == PHI_K_TYPE) {
		v = phi_dict_get_str(r->img, r->lay,
				     RD(obj + PHI_L(r->lay, TP_DICT)), name);
		if (v)
			return v;
	}
	off = phi_type_dict_offset(&r->h->types, ty, obj);
	if (off > 0 && ty->kind != PHI_K_TYPE) {
		v = phi_dict_get_str(r->img, r->lay, RD(obj + (uint64_t)off),
				     name);
		if (v)
			return v;
	}
	off = phi_type_member_offset(&r->h->types, ty, name);
	if (off > 0)
		return RD(obj + (uint64_t)off);
	return 0;
}

/* d[key] for a str or int key. */
static uint64_t get_key(const struct resolver *r, uint64_t dict,
			const char *skey, bool is_int, int64_t ikey)
{
	struct phi_dict d;

	if (!is_int)
		return phi_dict_get_str(r->img, r->lay, dict, skey);
	if (!phi_dict_open(r->img, r->lay, dict, &d))
		return 0;
	for (int64_t i = 0; i < d.dk_nentries; i++) {
		uint64_t k, v;
		uint32_t node;
		const struct phi_type *kt;
		struct phi_long l;

		if (!phi_dict_entry(&d, r->lay, i, &k, &v))
			continue;
		kt = type_of(r, k, &node);
		if (kt && kt->kind == PHI_K_LONG &&
		    phi_long_read(r->img, r->lay, k, &l) && l.fits &&
		    l.value == ikey)
			return v;
	}
	return 0;
}

/* seq[i] for a list or tuple, negative from the end. */
static uint64_t get_index(const struct resolver *r, uint64_t seq,
			  enum phi_kind kind, int64_t i)
{
	int64_t n = (int64_t)RD(seq + PHI_L(r->lay, OB_SIZE));
	uint64_t items = kind == PHI_K_LIST ?
				 RD(seq + PHI_L(r->lay, LIST_ITEM)) :
				 seq + (uint64_t)PHI_L(r->lay, TUPLE_ITEM);

	if (n < 0)
		return 0;
	if (i < 0)
		i += n;
	if (i < 0 || i >= n)
		return 0;
	return RD(items + 8 * (uint64_t)i);
}

/* Parse "[...]" at *p: a quoted str or an integer. */
static int parse_key(const struct resolver *r, const char **p, char *skey,
		     bool *is_int, int64_t *ikey)
{
	const char *s = *p + 1;
	size_t n = 0;

	if (*s == '\'' || *s == '"') {
		char q = *s++;

		while (*s && *s != q && n + 1 < NAME_LEN)
			skey[n++] = *s++;
		skey[n] = '\0';
		if (*s != q || s[1] != ']')
			return phi_error_set(r->err, PHI_E_USAGE,
					     "bad key in '%s': expected "
					     "['text'] or [number]", r->expr);
		*is_int = false;
		*p = s + 2;
		return 0;
	}
	errno = 0;
	{
		char *end;

		*ikey = strtoll(s, &end, 10);
		if (errno || end == s || *end != ']')
			return phi_error_set(r->err, PHI_E_USAGE,
					     "bad key in '%s': expected "
					     "['text'] or [number]", r->expr);
		snprintf(skey, NAME_LEN, "%lld", (long long)*ikey);
		*is_int = true;
		*p = end + 1;
	}
	return 0;
}

static size_t parse_name(const char **p, char *name)
{
	size_t n = 0;

	while ((isalnum((unsigned char)**p) || **p == '_') && n + 1 < NAME_LEN)
		name[n++] = *(*p)++;
	name[n] = '\0';
	return n;
}

/* One step, .attr or [key], from *obj. */
static int step(const struct resolver *r, const char **p, uint64_t *obj)
{
	char name[NAME_LEN];
	uint32_t node;
	const struct phi_type *ty = type_of(r, *obj, &node);
	bool is_int = false;
	int64_t ikey = 0;
	int rc;

	if (**p == '.') {
		(*p)++;
		if (!parse_name(p, name))
			return phi_error_set(r->err, PHI_E_USAGE,
					     "bad attribute in '%s'", r->expr);
		*obj = get_attr(r, *obj, name);
		return *obj ? 0 : not_found(r, "no attribute", name,
					    ty ? ty->name : NULL);
	}
	rc = parse_key(r, p, name, &is_int, &ikey);
	if (rc < 0)
		return rc;
	if (ty && (ty->kind == PHI_K_DICT || ty->kind == PHI_K_ODICT ||
		   ty->kind == PHI_K_DEFDICT))
		*obj = get_key(r, *obj, name, is_int, ikey);
	else if (ty && is_int &&
		 (ty->kind == PHI_K_LIST || ty->kind == PHI_K_TUPLE))
		*obj = get_index(r, *obj, ty->kind, ikey);
	else
		return not_found(r, "cannot subscript with", name,
				 ty ? ty->name : NULL);
	return *obj ? 0 : not_found(r, "no key or index", name, ty->name);
}

/* "interp#N/" at the head of expr: *modules becomes interpreter N's
 * sys.modules and *rest what follows; without it, the main
 * interpreter's and expr itself. */
static int pick_interp(const struct phi_heap *h, const char *expr,
		       uint64_t *modules, const char **rest,
		       struct phi_error *err)
{
	const struct phi_runtime *rt = h->rt;
	size_t plen = strlen(PHI_HEAP_INTERP_PREFIX), k;
	const char *s = expr + plen;
	char *end;
	long long id;

	*rest = expr;
	*modules = 0;
	if (strncmp(expr, PHI_HEAP_INTERP_PREFIX, plen) != 0) {
		for (k = 0; k < rt->ninterps; k++)
			if (phi_runtime_is_main(rt, k))
				*modules = rt->interps[k].modules;
		return 0;
	}
	errno = 0;
	id = isdigit((unsigned char)*s) ? strtoll(s, &end, 10) : -1;
	if (id < 0 || errno || *end != '/')
		return phi_error_set(err, PHI_E_USAGE,
				     "bad --expr '%s': expected "
				     PHI_HEAP_INTERP_PREFIX "N/MODULE:NAME..."
				     " (N an interpreter's id, 0 the main one)",
				     expr);
	k = phi_runtime_find_id(rt, id);
	if (k == PHI_MAX_INTERPS)
		return phi_error_set(err, PHI_E_NOT_FOUND,
				     "cannot resolve '%s': no interpreter %lld "
				     "(the target has %zu; the JSON report's "
				     "by_interpreter lists their ids)",
				     expr, id, rt->ninterps);
	*modules = rt->interps[k].modules;
	*rest = end + 1;
	return 0;
}

int phi310_resolve(const struct phi_heap *h, const char *expr,
		   uint32_t *node, struct phi_error *err)
{
	const struct phi_image *img = h->img;
	const struct phi_layout *lay = phi310_layout(h->py);
	struct resolver r = { h, img, lay, expr, err };
	const char *colon, *p, *what;
	char module[NAME_LEN], name[NAME_LEN];
	uint64_t obj, modules;
	int rc;

	rc = pick_interp(h, expr, &modules, &what, err);
	if (rc < 0)
		return rc;
	colon = strchr(what, ':');
	if (!colon || colon == what || (size_t)(colon - what) >= NAME_LEN)
		return phi_error_set(err, PHI_E_USAGE,
				     "bad --expr '%s': expected "
				     "[" PHI_HEAP_INTERP_PREFIX "N/]MODULE:NAME"
				     "[.ATTR|[KEY]]...", expr);
	snprintf(module, sizeof(module), "%.*s", (int)(colon - what), what);
	obj = phi_dict_get_str(img, lay, modules, module);
	if (!obj)
		return phi_error_set(err, PHI_E_NOT_FOUND,
				     "cannot resolve '%s': no module '%s' in "
				     "sys.modules", expr, module);
	p = colon + 1;
	if (!parse_name(&p, name))
		return phi_error_set(err, PHI_E_USAGE,
				     "bad --expr '%s': no name after ':'",
				     expr);
	obj = get_attr(&r, obj, name);
	if (!obj)
		return not_found(&r, "no attribute", name, module);
	while (*p) {
		if (*p != '.' && *p != '[')
			return phi_error_set(err, PHI_E_USAGE,
					     "bad --expr '%s' at '%s'", expr, p);
		rc = step(&r, &p, &obj);
		if (rc < 0)
			return rc;
	}
	*node = phi_graph_find(&h->g, obj);
	if (*node == PHI_NONE)
		return phi_error_set(err, PHI_E_NOT_FOUND,
				     "cannot resolve '%s': 0x%llx is not an "
				     "object of the heap", expr,
				     (unsigned long long)obj);
	return 0;
}
