/* The source interface: dispatch, and what every kind shares. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pyheapinspect/source/source.h"

int phi_source_read(struct phi_source *s, uint64_t addr, void *buf,
		    size_t len, struct phi_error *err)
{
	return s->ops->read(s, addr, buf, len, err);
}

int phi_source_file(struct phi_source *s, const struct phi_map *m,
		    char *path, size_t len, struct phi_error *err)
{
	return s->ops->file(s, m, path, len, err);
}

int phi_source_capture(struct phi_source *s,
		       const struct phi_capture_opts *o,
		       struct phi_capture *cap, struct phi_error *err)
{
	return s->ops->capture(s, o, cap, err);
}

void phi_source_close(struct phi_source *s)
{
	if (s->ops)
		s->ops->close(s);
	phi_maps_release(&s->maps);
	phi_record_release(&s->record);
	memset(s, 0, sizeof(*s));
}

void phi_capture_note_gaps(struct phi_capture *cap)
{
	const struct phi_image *img = &cap->img;

	if (img->nskipped)
		phi_gap_add(&cap->gaps, "memory not copied", -1,
			    (int64_t)img->skipped, "%llu ranges of %.1f MiB "
			    "of the target's memory did not fit the memory "
			    "budget and were not copied: objects in them and "
			    "references into them are missing (raise "
			    "--max-memory)", (unsigned long long)img->nskipped,
			    (double)img->skipped / (1 << 20));
}

void phi_rss_free(struct phi_rss *rss)
{
	if (!rss)
		return;
	free(rss->v);
	free(rss->pages);
	free(rss);
}

void phi_capture_release(struct phi_capture *cap)
{
	phi_image_release(&cap->img);
	phi_rss_free(cap->rss);
	cap->rss = NULL;
}
