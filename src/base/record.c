/* Records are small (a few hundred entries, looked up once each when a
 * snapshot is loaded), so a linear search is the whole index. */
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/base/record.h"

void phi_record_init(struct phi_record *r)
{
	memset(r, 0, sizeof(*r));
}

void phi_record_release(struct phi_record *r)
{
	for (size_t i = 0; i < r->nnum; i++)
		free(r->num[i].name);
	for (size_t i = 0; i < r->ntext; i++) {
		free(r->text[i].name);
		free(r->text[i].text);
	}
	free(r->num);
	free(r->text);
	phi_record_init(r);
}

static int bad_name(const char *name, struct phi_error *err)
{
	return phi_error_set(err, PHI_E_INTERNAL,
			     "record entry '%.40s' has an invalid name", name);
}

static bool name_ok(const char *name)
{
	size_t n = strnlen(name, PHI_RECORD_MAX_NAME + 1);

	return n > 0 && n <= PHI_RECORD_MAX_NAME;
}

/* Room for one more entry in an array of `size`-byte entries. */
static int grow(void **v, size_t n, size_t *cap, size_t size,
		struct phi_error *err)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return 0;
	if (n >= PHI_RECORD_MAX_ENTRIES)
		return phi_error_set(err, PHI_E_INTERNAL,
				     "more than %d record entries",
				     PHI_RECORD_MAX_ENTRIES);
	ncap = *cap ? *cap * 2 : 64;
	nv = realloc(*v, ncap * size);
	if (!nv)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	*v = nv;
	*cap = ncap;
	return 0;
}

int phi_record_set_num(struct phi_record *r, const char *name,
		       int64_t value, struct phi_error *err)
{
	char *copy;
	int rc;

	if (!name_ok(name))
		return bad_name(name, err);
	for (size_t i = 0; i < r->nnum; i++)
		if (strcmp(r->num[i].name, name) == 0) {
			r->num[i].value = value;
			return 0;
		}
	rc = grow((void **)&r->num, r->nnum, &r->numcap, sizeof(*r->num),
		  err);
	if (rc < 0)
		return rc;
	copy = strdup(name);
	if (!copy)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	r->num[r->nnum++] = (struct phi_record_num){ copy, value };
	return 0;
}

int phi_record_set_text(struct phi_record *r, const char *name,
			const char *text, struct phi_error *err)
{
	char *n, *t;
	int rc;

	if (!name_ok(name))
		return bad_name(name, err);
	if (strnlen(text, PHI_RECORD_MAX_TEXT + 1) > PHI_RECORD_MAX_TEXT)
		return phi_error_set(err, PHI_E_INTERNAL,
				     "record text '%s' is too long", name);
	t = strdup(text);
	if (!t)
		return phi_error_set(err, PHI_E_NO_MEMORY, "out of memory");
	for (size_t i = 0; i < r->ntext; i++)
		if (strcmp(r->text[i].name, name) == 0) {
			free(r->text[i].text);
			r->text[i].text = t;
			return 0;
		}
	rc = grow((void **)&r->text, r->ntext, &r->textcap,
		  sizeof(*r->text), err);
	n = rc < 0 ? NULL : strdup(name);
	if (!n) {
		free(t);
		return rc < 0 ? rc : phi_error_set(err, PHI_E_NO_MEMORY,
						   "out of memory");
	}
	r->text[r->ntext++] = (struct phi_record_text){ n, t };
	return 0;
}

bool phi_record_num(const struct phi_record *r, const char *name,
		    int64_t *out)
{
	for (size_t i = 0; i < r->nnum; i++)
		if (strcmp(r->num[i].name, name) == 0) {
			*out = r->num[i].value;
			return true;
		}
	return false;
}

const char *phi_record_text(const struct phi_record *r, const char *name)
{
	for (size_t i = 0; i < r->ntext; i++)
		if (strcmp(r->text[i].name, name) == 0)
			return r->text[i].text;
	return NULL;
}
