/* The generic decoder of C types and module states (cstate.h): the
 * struct a C type's tp_traverse (else tp_dealloc) works on, or the state
 * struct of a module's m_traverse, from the DWARF of the mapped file
 * that holds the function (debuginfo/dwarf.h), and its object members
 * as the referents.
 *
 * What DWARF gives is the struct, not what tp_traverse visits: the weak
 * reference list head (tp_weaklistoffset) and the dict (tp_dictoffset,
 * visited apart) are left out, but a borrowed or cached pointer typed
 * PyObject * is taken like any other.  That is why the standard
 * library's types keep their built-in decoders (ctypes.c) and the nodes
 * decoded here are marked (PHI_NODE_DWARF).  Only a live target has
 * the files: a snapshot keeps no DWARF, and its C types are scanned. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/base/clock.h"
#include "pyheapinspect/debuginfo/dwarf.h"
#include "pyheapinspect/debuginfo/elfsym.h"
#include "pyheapinspect/cpython/310/cstate.h"
#include "pyheapinspect/cpython/310/py310.h"

#define MAX_MEMBERS 512
/* Files opened for their DWARF in one run, at most. */
#define MAX_FILES 256
/* A member that is Py_SIZE pointers long (a flexible array). */
#define VAR_COUNT UINT32_MAX

static const struct phi_cfile *file_for(struct phi_types *ts,
					struct phi_cstate *cs, uint64_t fn)
{
	struct phi_source *src = ts->src;
	const struct phi_map *m;
	struct phi_cfile *f;
	struct phi_error err = { 0 };
	struct phi_elf e;
	char path[PATH_MAX];

	if (!src || !src->maps.n)
		return NULL;
	m = phi_maps_find(&src->maps, fn);
	if (!m || !(m->perms & PHI_MAP_X) || !phi_map_is_file(m))
		return NULL;
	for (size_t i = 0; i < cs->nfiles; i++)
		if (strcmp(cs->files[i].path, m->path) == 0)
			return cs->files[i].dwarf ? &cs->files[i] : NULL;
	if (cs->nfiles == MAX_FILES)
		return NULL;
	if (cs->nfiles == cs->files_cap) {
		size_t ncap = cs->files_cap ? 2 * cs->files_cap : 16;
		struct phi_cfile *p = realloc(cs->files, ncap * sizeof(*p));

		if (!p)
			return NULL;
		cs->files = p;
		cs->files_cap = ncap;
	}
	f = &cs->files[cs->nfiles];
	memset(f, 0, sizeof(*f));
	f->path = strdup(m->path);
	if (!f->path)
		return NULL;
	cs->nfiles++;
	/* A file replaced since it was mapped (1) may not be the mapped
	 * one: its DWARF would describe other structs. */
	if (phi_source_file(src, m, path, sizeof(path), &err) != 0)
		return NULL;
	if (phi_elf_open(&e, path, &err) < 0)
		return NULL;
	if (e.has_debug_info &&
	    phi_elf_load_bias(&e, m->start, m->offset, &f->bias, &err) == 0) {
		struct phi_dwarf_file *df = NULL;

		if (phi_dwarf_file_open(path, &df, &err) == 0)
			f->dwarf = df;
	}
	phi_elf_close(&e);
	return f->dwarf ? f : NULL;
}

static int64_t add_gen(struct phi_cstate *cs,
		       const struct phi_dwarf_objstruct *s, int64_t limit,
		       int64_t itemsize)
{
	struct phi_cgen g = { .first = (uint32_t)cs->nmem, .size = s->size };

	for (size_t i = 0; i < s->n; i++) {
		uint64_t off = s->m[i].offset, count = s->m[i].count;

		/* Past the object header, which the decoders visit apart. */
		if (off < 16 || !count || count > 4096)
			continue;
		if (off + 8 * count > (uint64_t)limit) {
			/* A flexible array of the var part, or a member
			 * past what the object holds. */
			if (itemsize != 8 || off > (uint64_t)limit)
				continue;
			count = VAR_COUNT;
		}
		if (cs->nmem == cs->mem_cap) {
			size_t ncap = cs->mem_cap ? 2 * cs->mem_cap : 256;
			struct phi_cgen_member *p =
				realloc(cs->mem, ncap * sizeof(*p));

			if (!p)
				return -1;
			cs->mem = p;
			cs->mem_cap = ncap;
		}
		cs->mem[cs->nmem++] = (struct phi_cgen_member){
			(uint32_t)off, (uint32_t)count
		};
		g.n++;
	}
	if (cs->ngen == cs->gen_cap) {
		size_t ncap = cs->gen_cap ? 2 * cs->gen_cap : 64;
		struct phi_cgen *p = realloc(cs->gen, ncap * sizeof(*p));

		if (!p)
			return -1;
		cs->gen = p;
		cs->gen_cap = ncap;
	}
	cs->gen[cs->ngen] = g;
	return (int64_t)cs->ngen++;
}

/* The functions already asked about, and their descriptor (or -1). */
static bool remember(struct phi_cstate *cs, uint64_t fn, int64_t gen)
{
	if (cs->nfns == cs->fns_cap) {
		size_t ncap = cs->fns_cap ? 2 * cs->fns_cap : 64;
		struct phi_cfn *p = realloc(cs->fns, ncap * sizeof(*p));

		if (!p)
			return false;
		cs->fns = p;
		cs->fns_cap = ncap;
	}
	cs->fns[cs->nfns++] = (struct phi_cfn){ fn, gen };
	return true;
}

/* The struct behind function fn, as a descriptor; -1 when DWARF does not
 * say.  want_object for a type's functions; size_ok checks its size. */
static int64_t describe(struct phi_types *ts, uint64_t fn, bool want_object,
			int64_t limit, int64_t itemsize, int64_t want_size)
{
	struct phi_cstate *cs = phi_cstate(ts);
	struct phi_dwarf_objmember m[MAX_MEMBERS];
	struct phi_dwarf_objstruct s = { .m = m, .cap = MAX_MEMBERS };
	struct phi_error err = { 0 };
	const struct phi_cfile *f;
	double t0 = phi_now_ms();
	int64_t g = -1;

	if (!cs || !fn)
		return -1;
	for (size_t i = 0; i < cs->nfns; i++)
		if (cs->fns[i].fn == fn)
			return cs->fns[i].gen;
	f = file_for(ts, cs, fn);
	if (f && fn >= f->bias &&
	    phi_dwarf_function_struct(f->dwarf, fn - f->bias, want_object, &s,
				      &err) == 1) {
		bool ok = want_size ? (int64_t)s.size == want_size
				    : (int64_t)s.size >= limit - 8 &&
					      (int64_t)s.size <= limit +
							8 * (itemsize != 0);

		if (ok)
			g = add_gen(cs, &s, limit, itemsize);
	}
	cs->dwarf_ms10 += (uint64_t)((phi_now_ms() - t0) * 10);
	remember(cs, fn, g);
	return g;
}

int64_t phi_cdwarf_type(struct phi_types *ts, const struct phi_type *ty,
			uint64_t cbase)
{
	const struct phi_layout *lay = phi310_layout(ts->py);
	int64_t basic = 0, item = 0, trav = 0, dealloc = 0, g;

	(void)ty;
	phi_image_i64(ts->img, cbase + (uint64_t)PHI_L(lay, TP_BASICSIZE),
		      &basic);
	phi_image_i64(ts->img, cbase + (uint64_t)PHI_L(lay, TP_ITEMSIZE),
		      &item);
	phi_image_i64(ts->img, cbase + (uint64_t)PHI_L(lay, TP_TRAVERSE),
		      &trav);
	phi_image_i64(ts->img, cbase + (uint64_t)PHI_L(lay, TP_DEALLOC),
		      &dealloc);
	if (basic < 16 || basic > (1 << 20))
		return -1;
	g = describe(ts, (uint64_t)trav, true, basic, item, 0);
	if (g < 0)
		g = describe(ts, (uint64_t)dealloc, true, basic, item, 0);
	return g;
}

int64_t phi_cdwarf_state(struct phi_types *ts, uint64_t fn, int64_t m_size)
{
	return describe(ts, fn, false, m_size, 0, m_size);
}

static bool skipped(uint64_t off, const int64_t *skip, size_t nskip)
{
	for (size_t i = 0; i < nskip; i++)
		if (skip[i] > 0 && (uint64_t)skip[i] == off)
			return true;
	return false;
}

uint32_t phi_cdwarf_visit(const struct phi_cobj *o, const struct phi_cgen *g,
			  uint64_t base, const int64_t *skip, size_t nskip)
{
	const struct phi_cstate *cs = o->d->types->ctypes;
	uint32_t n = 0;

	for (uint32_t i = 0; i < g->n && g->first + i < cs->nmem; i++) {
		const struct phi_cgen_member *m = &cs->mem[g->first + i];
		uint64_t count = m->count;
		const unsigned char *p;

		if (count == 1 && skipped(m->offset, skip, nskip))
			continue;
		if (count == VAR_COUNT) {
			int64_t sz = 0;

			phi_image_i64(o->d->img, base + (uint64_t)PHI_L(o->d->lay,
							       OB_SIZE), &sz);
			count = sz < 0 ? -(uint64_t)sz : (uint64_t)sz;
		}
		if (count > phi_image_avail(o->d->img, base + m->offset) / 8) {
			o->d->bad_fields++;
			continue;
		}
		p = phi_image_ptr(o->d->img, base + m->offset, 8 * count);
		for (uint64_t k = 0; p && k < count; k++) {
			uint64_t v;

			memcpy(&v, p + 8 * k, 8);
			if (v) {
				o->visit(o->vctx, v, 0);
				n++;
			}
		}
	}
	return n;
}

void phi_cdwarf_release(struct phi_cstate *cs)
{
	for (size_t i = 0; i < cs->nfiles; i++) {
		phi_dwarf_file_close(cs->files[i].dwarf);
		free(cs->files[i].path);
	}
	free(cs->files);
	cs->files = NULL;
	cs->nfiles = cs->files_cap = 0;
	free(cs->fns);
	cs->fns = NULL;
	cs->nfns = cs->fns_cap = 0;
}
