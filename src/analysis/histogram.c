/* The type histogram. */
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/histogram.h"

static const struct phi_types *sort_types;

static int by_size(const void *a, const void *b)
{
	const struct phi_type *x = &sort_types->v[*(const uint32_t *)a];
	const struct phi_type *y = &sort_types->v[*(const uint32_t *)b];

	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->name, y->name);
}

int phi_histogram(const struct phi_types *ts, uint32_t **order, size_t *n)
{
	uint32_t *o = malloc((ts->n ? ts->n : 1) * sizeof(*o));
	size_t k = 0;

	*order = NULL;
	*n = 0;
	if (!o)
		return -1;
	for (size_t i = 0; i < ts->n; i++)
		if (ts->v[i].count)
			o[k++] = (uint32_t)i;
	/* qsort has no context argument; the table is read-only here. */
	sort_types = ts;
	qsort(o, k, sizeof(*o), by_size);
	sort_types = NULL;
	*order = o;
	*n = k;
	return 0;
}
