/* The type histogram.  The sort keys are copied beside each index, so
 * that plain qsort needs no context (and no global). */
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/analysis/histogram.h"

struct row {
	uint64_t size, count;
	const char *name;
	uint32_t index;
};

static int by_size(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

int phi_histogram(const struct phi_types *ts, uint32_t **order, size_t *n)
{
	struct row *rows = malloc((ts->n ? ts->n : 1) * sizeof(*rows));
	uint32_t *o = malloc((ts->n ? ts->n : 1) * sizeof(*o));
	size_t k = 0;

	*order = NULL;
	*n = 0;
	if (!rows || !o) {
		free(rows);
		free(o);
		return -1;
	}
	for (size_t i = 0; i < ts->n; i++)
		if (ts->v[i].count)
			rows[k++] = (struct row){ ts->v[i].size,
						  ts->v[i].count,
						  ts->v[i].name, (uint32_t)i };
	qsort(rows, k, sizeof(*rows), by_size);
	for (size_t i = 0; i < k; i++)
		o[i] = rows[i].index;
	free(rows);
	*order = o;
	*n = k;
	return 0;
}
