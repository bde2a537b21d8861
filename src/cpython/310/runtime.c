/* _PyRuntime -> interpreters.  The interpreter list is a linked list in
 * the target, so it is walked with a bound and a cycle check. */
#include <string.h>

#include "pyheapinspect/cpython/310/py310.h"
#include "pyheapinspect/cpython/310/runtime.h"

static int read_ptr(const struct phi_image *img, uint64_t addr,
		    uint64_t *out, const char *what, struct phi_error *err)
{
	if (!phi_image_u64(img, addr, out))
		return phi_error_set(err, PHI_E_CORRUPT,
				     "cannot read %s at 0x%llx: not in the "
				     "target's readable memory", what,
				     (unsigned long long)addr);
	return 0;
}

static int read_interp(const struct phi_image *img,
		       const struct phi_layout *lay, uint64_t addr,
		       struct phi_interp *in, struct phi_error *err)
{
	uint32_t collecting = 0;
	uint64_t id = 0;
	int rc;

	memset(in, 0, sizeof(*in));
	in->addr = addr;
	rc = read_ptr(img, addr + PHI_L(lay, IS_TSTATE_HEAD), &in->tstate_head,
		      "interp->tstate_head", err);
	if (rc == 0)
		rc = read_ptr(img, addr + PHI_L(lay, IS_ID), &id, "interp->id",
			      err);
	in->id = (int64_t)id;
	if (rc == 0 && in->id < 0)
		rc = phi_error_set(err, PHI_E_CORRUPT, "the interpreter at "
				   "0x%llx has id %lld: ids are never negative",
				   (unsigned long long)addr,
				   (long long)in->id);
	if (rc == 0)
		rc = read_ptr(img, addr + PHI_L(lay, IS_MODULES), &in->modules,
			      "interp->modules", err);
	if (rc == 0)
		rc = read_ptr(img, addr + PHI_L(lay, IS_SYSDICT), &in->sysdict,
			      "interp->sysdict", err);
	if (rc == 0)
		rc = read_ptr(img, addr + PHI_L(lay, IS_BUILTINS),
			      &in->builtins, "interp->builtins", err);
	if (rc == 0)
		rc = read_ptr(img, addr + PHI_L(lay, IS_IMPORTLIB),
			      &in->importlib, "interp->importlib", err);
	if (rc == 0 && !phi_image_u32(img, addr + PHI_L(lay, IS_GC_COLLECTING),
				      &collecting))
		rc = phi_error_set(err, PHI_E_CORRUPT,
				   "cannot read interp->gc.collecting");
	in->gc_collecting = (int)collecting;
	in->gc_collecting_addr = addr + PHI_L(lay, IS_GC_COLLECTING);
	return rc;
}

int phi310_runtime(const struct phi_python *py, const struct phi_image *img,
		   struct phi_runtime *rt, struct phi_error *err)
{
	const struct phi_layout *lay = phi310_layout(py);
	uint64_t p = 0;
	int64_t id;
	int rc;

	memset(rt, 0, sizeof(*rt));
	rt->runtime = py->runtime;
	rc = read_ptr(img, rt->runtime + PHI_L(lay, RT_INTERP_MAIN),
		      &rt->interp_main, "_PyRuntime.interpreters.main", err);
	if (rc < 0)
		return rc;
	rc = read_ptr(img, rt->runtime + PHI_L(lay, RT_INTERP_HEAD), &p,
		      "_PyRuntime.interpreters.head", err);
	if (rc < 0)
		return rc;
	if (p == 0 || rt->interp_main == 0)
		return phi_error_set(err, PHI_E_CORRUPT,
				     "the interpreter is not initialised (or "
				     "already finalised): no main interpreter");
	while (p) {
		for (size_t i = 0; i < rt->ninterps; i++)
			if (rt->interps[i].addr == p)
				return phi_error_set(err, PHI_E_CORRUPT,
						     "the interpreter list "
						     "loops");
		if (rt->ninterps == PHI_MAX_INTERPS)
			return phi_error_set(err, PHI_E_CORRUPT,
					     "more than %d interpreters",
					     PHI_MAX_INTERPS);
		rc = read_interp(img, lay, p, &rt->interps[rt->ninterps],
				 err);
		if (rc < 0)
			return rc;
		/* The reports and --expr name interpreters by id. */
		id = rt->interps[rt->ninterps].id;
		if (phi_runtime_find_id(rt, id) != PHI_MAX_INTERPS)
			return phi_error_set(err, PHI_E_CORRUPT,
					     "two interpreters have id %lld",
					     (long long)id);
		rt->ninterps++;
		rc = read_ptr(img, p + PHI_L(lay, IS_NEXT), &p,
			      "interp->next", err);
		if (rc < 0)
			return rc;
	}
	/* Roots, paths and --expr tell the main interpreter apart. */
	for (size_t i = 0; i < rt->ninterps; i++)
		if (phi_runtime_is_main(rt, i))
			return 0;
	return phi_error_set(err, PHI_E_CORRUPT, "the main interpreter "
			     "(0x%llx) is not in the interpreter list",
			     (unsigned long long)rt->interp_main);
}
