/* Unit tests for the memory image (image.h) and the reader (reader.h):
 * segments added in any order (borrowed or copied) stay sorted;
 * phi_image_ptr/avail at segment edges, across adjacent segments, in gaps
 * and near the top of the address space; refused overlaps; the typed
 * readers; a snapshot of this process and its --max-memory refusal; a
 * copy of its resident pages only (through each way of finding them: an
 * untouched page of a private anonymous mapping reads as the zeros it
 * holds, one of a file mapping as absent), taken again over the first
 * with a page touched since, and cut to a budget (holes, absent); and
 * phi_read/phi_readv on unmapped addresses. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "pyheapinspect/source/proc/capture.h"
#include "pyheapinspect/source/image.h"
#include "pyheapinspect/source/proc/copy.h"
#include "pyheapinspect/source/proc/pages.h"
#include "pyheapinspect/source/proc/process.h"
#include "pyheapinspect/source/maps.h"
#include "pyheapinspect/source/proc/reader.h"

/* In .data: the snapshot must copy it. */
static volatile uint64_t g_marker = 0x0123456789abcdefULL;

static unsigned char seg_a[0x100], seg_b[0x80], seg_c[0x40];
static unsigned char big[0x10000];

static void fill(unsigned char *p, size_t n, unsigned char first)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(first + i);
}

static void add_ok(struct phi_image *img, uint64_t start, const void *data,
		   size_t len, bool copy)
{
	struct phi_error err = { 0 };
	int rc = phi_image_add(img, start, data, len, copy, &err);

	if (rc != 0)
		fail_msg("phi_image_add(0x%llx, %zu): %d: %s",
			 (unsigned long long)start, len, rc, err.msg);
}

/* A at 0x1000 (borrowed), B at 0x3000 (copied), C at 0x1100 (borrowed,
 * adjacent to A), added out of order. */
static void build_abc(struct phi_image *img)
{
	fill(seg_a, sizeof(seg_a), 0x00);
	fill(seg_b, sizeof(seg_b), 0x80);
	fill(seg_c, sizeof(seg_c), 0x40);
	phi_image_init(img);
	add_ok(img, 0x3000, seg_b, sizeof(seg_b), true);
	add_ok(img, 0x1000, seg_a, sizeof(seg_a), false);
	add_ok(img, 0x1100, seg_c, sizeof(seg_c), false);
}

static void test_add_sorted(void **state)
{
	struct phi_image img;

	(void)state;
	build_abc(&img);
	assert_int_equal(img.n, 3);
	assert_int_equal(img.bytes, 0x100 + 0x80 + 0x40);
	assert_int_equal(img.seg[0].start, 0x1000);
	assert_int_equal(img.seg[0].end, 0x1100);
	assert_ptr_equal(img.seg[0].data, seg_a);
	assert_false(img.seg[0].owned);
	assert_int_equal(img.seg[1].start, 0x1100);
	assert_int_equal(img.seg[1].end, 0x1140);
	assert_ptr_equal(img.seg[1].data, seg_c);
	assert_int_equal(img.seg[2].start, 0x3000);
	assert_int_equal(img.seg[2].end, 0x3080);
	assert_true(img.seg[2].owned);
	/* Copied: its own buffer with the same bytes. */
	assert_ptr_not_equal(img.seg[2].data, seg_b);
	assert_memory_equal(img.seg[2].data, seg_b, sizeof(seg_b));
	/* An empty segment is accepted and not added. */
	add_ok(&img, 0x9000, seg_a, 0, false);
	assert_int_equal(img.n, 3);
	phi_image_release(&img);
	assert_int_equal(img.n, 0);
	assert_null(img.seg);
}

static void test_ptr(void **state)
{
	struct phi_image img;
	const unsigned char *p;

	(void)state;
	build_abc(&img);
	/* Inside, borrowed: a pointer into the caller's buffer. */
	assert_ptr_equal(phi_image_ptr(&img, 0x1000, 1), seg_a);
	assert_ptr_equal(phi_image_ptr(&img, 0x1010, 16), seg_a + 0x10);
	/* The whole segment, and its last byte. */
	assert_ptr_equal(phi_image_ptr(&img, 0x1000, 0x100), seg_a);
	assert_ptr_equal(phi_image_ptr(&img, 0x10ff, 1), seg_a + 0xff);
	/* Copied: the copy's bytes. */
	p = phi_image_ptr(&img, 0x3010, 4);
	assert_non_null(p);
	assert_int_equal(p[0], 0x90);
	assert_int_equal(p[3], 0x93);
	assert_non_null(phi_image_ptr(&img, 0x307f, 1));
	/* One past the end. */
	assert_null(phi_image_ptr(&img, 0x307f, 2));
	assert_null(phi_image_ptr(&img, 0x3080, 1));
	assert_null(phi_image_ptr(&img, 0x1140, 1));
	/* A and C are adjacent but a range may not span both. */
	assert_ptr_equal(phi_image_ptr(&img, 0x1100, 1), seg_c);
	assert_null(phi_image_ptr(&img, 0x10ff, 2));
	assert_null(phi_image_ptr(&img, 0x10f8, 0x10));
	/* Before the first segment and in the gap. */
	assert_null(phi_image_ptr(&img, 0, 1));
	assert_null(phi_image_ptr(&img, 0xfff, 1));
	assert_null(phi_image_ptr(&img, 0xfff, 2));
	assert_null(phi_image_ptr(&img, 0x2000, 1));
	assert_null(phi_image_ptr(&img, 0x2fff, 2));
	/* Beyond the last. */
	assert_null(phi_image_ptr(&img, 0x10000, 1));
	assert_null(phi_image_ptr(&img, UINT64_MAX, 1));
	/* Lengths that would overflow addr + len. */
	assert_null(phi_image_ptr(&img, 0x1000, SIZE_MAX));
	assert_null(phi_image_ptr(&img, 0x10ff, SIZE_MAX));
	assert_null(phi_image_ptr(&img, 0x1001, (size_t)0 - 0x1001));
	phi_image_release(&img);
}

static void test_empty_image(void **state)
{
	struct phi_image img;

	(void)state;
	phi_image_init(&img);
	assert_null(phi_image_ptr(&img, 0, 1));
	assert_null(phi_image_ptr(&img, 0x1000, 8));
	assert_int_equal(phi_image_avail(&img, 0x1000), 0);
	phi_image_release(&img);
}

static void test_top_of_address_space(void **state)
{
	struct phi_image img;
	struct phi_error err = { 0 };
	unsigned char top[15];
	const uint64_t start = UINT64_MAX - 15; /* end = UINT64_MAX */

	(void)state;
	fill(top, sizeof(top), 1);
	phi_image_init(&img);
	add_ok(&img, start, top, sizeof(top), false);
	assert_ptr_equal(phi_image_ptr(&img, start, 15), top);
	assert_ptr_equal(phi_image_ptr(&img, UINT64_MAX - 1, 1), top + 14);
	assert_null(phi_image_ptr(&img, UINT64_MAX - 1, 2));
	assert_null(phi_image_ptr(&img, UINT64_MAX, 1));
	assert_null(phi_image_ptr(&img, UINT64_MAX - 8, 8 + 1 + 8));
	assert_null(phi_image_ptr(&img, start, SIZE_MAX));
	assert_null(phi_image_ptr(&img, UINT64_MAX - 1, SIZE_MAX));
	assert_int_equal(phi_image_avail(&img, UINT64_MAX - 1), 1);
	assert_int_equal(phi_image_avail(&img, UINT64_MAX), 0);
	/* A segment that would wrap past 2^64 is refused. */
	assert_int_equal(phi_image_add(&img, UINT64_MAX - 3, top, 8, false,
				       &err), -PHI_E_CORRUPT);
	assert_int_equal(err.code, PHI_E_CORRUPT);
	assert_int_equal(phi_image_add(&img, 0x1000, top, SIZE_MAX, false,
				       &err), -PHI_E_CORRUPT);
	assert_int_equal(img.n, 1);
	phi_image_release(&img);
}

static void test_overlap_refused(void **state)
{
	struct phi_image img;
	struct phi_error err = { 0 };
	/* { start, len }: each overlaps A [0x1000,0x1100), C [0x1100,0x1140)
	 * or B [0x3000,0x3080). */
	const uint64_t bad[][2] = {
		{ 0x1000, 1 },     /* same start */
		{ 0x10ff, 1 },     /* A's last byte */
		{ 0x0fff, 2 },     /* ends inside A */
		{ 0x0f00, 0x300 }, /* covers A and C */
		{ 0x1120, 0x10 },  /* inside C */
		{ 0x2f80, 0x81 },  /* ends one byte into B */
		{ 0x307f, 0x10 },  /* starts on B's last byte */
		{ 0x0000, 0x10000 },
	};

	(void)state;
	build_abc(&img);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		err.code = PHI_E_OK;
		if (phi_image_add(&img, bad[i][0], big, (size_t)bad[i][1],
				  false, &err) >= 0)
			fail_msg("overlapping [0x%llx, +0x%llx) was accepted",
				 (unsigned long long)bad[i][0],
				 (unsigned long long)bad[i][1]);
		assert_int_equal(err.code, PHI_E_INTERNAL);
	}
	assert_int_equal(img.n, 3);
	assert_int_equal(img.bytes, 0x1c0);
	/* Touching is not overlapping: in the gap, flush on both sides. */
	add_ok(&img, 0x1140, big, 0x3000 - 0x1140, false);
	add_ok(&img, 0x0f00, big, 0x100, false);
	assert_int_equal(img.n, 5);
	assert_int_equal(img.seg[0].start, 0x0f00);
	assert_int_equal(img.seg[3].start, 0x1140);
	assert_int_equal(img.seg[4].start, 0x3000);
	phi_image_release(&img);
}

static void test_avail(void **state)
{
	struct phi_image img;

	(void)state;
	build_abc(&img);
	assert_int_equal(phi_image_avail(&img, 0x1000), 0x100);
	assert_int_equal(phi_image_avail(&img, 0x10f0), 0x10);
	assert_int_equal(phi_image_avail(&img, 0x10ff), 1);
	/* To the end of the segment only, even with C adjacent. */
	assert_int_equal(phi_image_avail(&img, 0x1100), 0x40);
	assert_int_equal(phi_image_avail(&img, 0x3000), 0x80);
	assert_int_equal(phi_image_avail(&img, 0x3080), 0);
	assert_int_equal(phi_image_avail(&img, 0xfff), 0);
	assert_int_equal(phi_image_avail(&img, 0x2000), 0);
	assert_int_equal(phi_image_avail(&img, 0), 0);
	assert_int_equal(phi_image_avail(&img, UINT64_MAX), 0);
	phi_image_release(&img);
}

static void test_typed_reads(void **state)
{
	/* Little-endian bytes of 0x1122334455667788, then -2 as int64. */
	static const unsigned char bytes[16] = {
		0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
		0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	};
	struct phi_image img;
	uint64_t u64 = 0;
	uint32_t u32 = 0;
	int64_t i64 = 0;

	(void)state;
	phi_image_init(&img);
	add_ok(&img, 0x5000, bytes, sizeof(bytes), true);
	assert_true(phi_image_u64(&img, 0x5000, &u64));
	assert_int_equal(u64, 0x1122334455667788ULL);
	assert_true(phi_image_u32(&img, 0x5000, &u32));
	assert_int_equal(u32, 0x55667788);
	assert_true(phi_image_u32(&img, 0x5004, &u32));
	assert_int_equal(u32, 0x11223344);
	/* Unaligned. */
	assert_true(phi_image_u32(&img, 0x5003, &u32));
	assert_int_equal(u32, 0x22334455);
	assert_true(phi_image_i64(&img, 0x5008, &i64));
	assert_int_equal(i64, -2);
	assert_true(phi_image_u64(&img, 0x5008, &u64));
	assert_int_equal(u64, 0xfffffffffffffffeULL);
	/* Not wholly inside: false, and the output is left alone. */
	u64 = 42;
	u32 = 43;
	assert_false(phi_image_u64(&img, 0x5009, &u64));
	assert_int_equal(u64, 42);
	assert_false(phi_image_u32(&img, 0x500d, &u32));
	assert_int_equal(u32, 43);
	assert_true(phi_image_u32(&img, 0x500c, &u32));
	assert_int_equal(u32, 0xffffffff);
	assert_false(phi_image_i64(&img, 0x4ff8, &i64));
	phi_image_release(&img);
}

static void test_snapshot_self(void **state)
{
	struct phi_reader r;
	struct phi_maps maps;
	struct phi_error err = { 0 };
	struct phi_image img;
	const volatile uint64_t *copy;
	/* An anonymous mapping (malloc's heap is rwx under valgrind). */
	uint64_t *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int rc;

	(void)state;
	assert_true(anon != MAP_FAILED);
	anon[10] = 0xfeedfacecafebeefULL;
	phi_reader_init(&r, getpid());
	assert_int_equal(phi_maps_read(getpid(), &maps, &err), 0);
	phi_image_init(&img);
	/* Whole mappings (no pagemap): under ASan the shadow mappings
	 * (many TiB, untouched) are larger than the cap and are left out
	 * as holes. */
	rc = phi_copy_process(&img, &r, &maps,
				&(struct phi_copy_opts){
					.max_bytes = (uint64_t)1 << 34 },
				&err);
	if (rc != 0)
		fail_msg("phi_copy_process: %d: %s", rc, err.msg);
	assert_true(img.n > 0);
	assert_true(img.bytes > 0);
	assert_true(img.syscalls >= 1);
	assert_int_equal(img.syscalls, r.syscalls);

	copy = phi_image_ptr(&img, (uint64_t)(uintptr_t)&g_marker, 8);
	assert_non_null(copy);
	assert_ptr_not_equal(copy, &g_marker);
	assert_int_equal(*copy, 0x0123456789abcdefULL);
	/* A copy: later writes do not show. */
	g_marker = 1;
	assert_int_equal(*copy, 0x0123456789abcdefULL);
	g_marker = 0x0123456789abcdefULL;

	copy = phi_image_ptr(&img, (uint64_t)(uintptr_t)&anon[10], 8);
	assert_non_null(copy);
	assert_int_equal(*copy, 0xfeedfacecafebeefULL);

	/* Executable mappings are not copied. */
	assert_null(phi_image_ptr(&img, (uint64_t)(uintptr_t)&fill, 1));

	/* A second snapshot reusing the first one's buffers: the same
	 * local memory, the new contents. */
	{
		struct phi_image again;
		const volatile uint64_t *copy2;
		struct phi_copy_opts so = {
			.max_bytes = (uint64_t)1 << 34,
			.reuse = &img,
		};

		anon[10] = 42;
		phi_image_init(&again);
		assert_int_equal(phi_copy_process(&again, &r, &maps, &so,
						    &err), 0);
		copy2 = phi_image_ptr(&again, (uint64_t)(uintptr_t)&anon[10],
				      8);
		assert_non_null(copy2);
		assert_ptr_equal(copy2, copy);
		assert_int_equal(*copy2, 42);
		/* The first image no longer owns it: releasing both frees
		 * it once (valgrind and ASan check). */
		phi_image_release(&img);
		phi_image_release(&again);
	}

	/* Over the limit, asked to refuse: refused before copying
	 * anything. */
	phi_image_init(&img);
	assert_int_equal(phi_copy_process(&img, &r, &maps,
					    &(struct phi_copy_opts){
						    .max_bytes = 4096,
						    .refuse_cut = true },
					    &err),
			 -PHI_E_NO_MEMORY);
	assert_int_equal(err.code, PHI_E_NO_MEMORY);
	assert_int_equal(img.n, 0);
	assert_int_equal(img.bytes, 0);
	phi_image_release(&img);

	phi_maps_release(&maps);
	phi_reader_close(&r);
	munmap(anon, 4096);
}

#define PG 4096
#define NPAGES 64

/* The segment of the image holding addr: [*start, *end). */
static bool segment_at(const struct phi_image *img, uint64_t addr,
		       uint64_t *start, uint64_t *end)
{
	size_t avail = phi_image_avail(img, addr);

	for (size_t i = 0; avail && i < img->n; i++)
		if (img->seg[i].start <= addr && addr < img->seg[i].end) {
			*start = img->seg[i].start;
			*end = img->seg[i].end;
			return true;
		}
	return false;
}

/* Whether every page of [p, p + len) is mapped (mincore fails with
 * ENOMEM on a hole); true for NULL. */
static bool mapped_whole(void *p, size_t len)
{
	unsigned char *vec;
	bool ok;

	if (!p || !len)
		return true;
	vec = malloc(len / 4096 + 1);
	assert_non_null(vec);
	ok = mincore(p, len, vec) == 0;
	free(vec);
	return ok;
}

static void copy_resident(const char *mode)
{
	struct phi_reader r;
	struct phi_maps maps;
	struct phi_error err = { 0 };
	struct phi_image img, again;
	struct phi_pages pg;
	struct phi_copy_stats st;
	/* 64 pages with 4 MiB of inaccessible address space either side:
	 * their runs share a buffer with no other mapping's. */
	unsigned char *res = mmap(NULL, NPAGES * PG + (8 << 20), PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *m = res + (4 << 20);
	uint64_t base = (uint64_t)(uintptr_t)m, s0, e0;
	const unsigned char *p;
	volatile unsigned char sink;

	assert_true(res != MAP_FAILED);
	assert_int_equal(mprotect(m, NPAGES * PG, PROT_READ | PROT_WRITE), 0);
	/* Written: pages 0, 5 and 6.  Read only (the zero page): 9. */
	m[0] = 0xa0;
	m[5 * PG] = 0xa5;
	m[6 * PG + 7] = 0xa6;
	sink = m[9 * PG];
	(void)sink;
	setenv("PYHEAPINSPECT_TEST_PAGEMAP", mode, 1);
	phi_pages_open(&pg, getpid());
	unsetenv("PYHEAPINSPECT_TEST_PAGEMAP");
	assert_int_not_equal(pg.mode, PHI_PAGES_NONE);
	phi_reader_init(&r, getpid());
	assert_int_equal(phi_maps_read(getpid(), &maps, &err), 0);
	phi_image_init(&img);
	assert_int_equal(phi_copy_process(&img, &r, &maps,
					  &(struct phi_copy_opts){
						  .pages = &pg, .stats = &st },
					  &err), 0);
	p = phi_image_ptr(&img, base, 1);
	assert_non_null(p);
	assert_int_equal(*p, 0xa0);
	/* Untouched, or only read: zeros, as the target reads them, and
	 * not copied (the mapping is private and anonymous). */
	p = phi_image_ptr(&img, base + PG, 4 * PG);
	assert_non_null(p);
	for (size_t i = 0; i < 4 * PG; i++)
		assert_int_equal(p[i], 0);
	p = phi_image_ptr(&img, base + 9 * PG, 1);
	assert_non_null(p);
	assert_int_equal(*p, 0);
	/* Pages 5 and 6 read; the mapping is one segment. */
	p = phi_image_ptr(&img, base + 5 * PG, 2 * PG);
	assert_non_null(p);
	assert_int_equal(p[0], 0xa5);
	assert_int_equal(p[PG + 7], 0xa6);
	assert_true(segment_at(&img, base + 5 * PG, &s0, &e0));
	assert_int_equal(s0, base);
	assert_int_equal(e0, base + NPAGES * PG);
	/* Its inaccessible neighbours are not in the image. */
	assert_null(phi_image_ptr(&img, base - 1, 1));
	assert_null(phi_image_ptr(&img, base + NPAGES * PG, 1));
	assert_true(st.mapped >= NPAGES * PG);
	assert_true(st.planned < st.mapped);

	/* Pages 1, 7 and 20 touched since, page 5 changed: a second copy
	 * over the first sees them all. */
	m[PG] = 0xb1;
	m[5 * PG] = 0xb5;
	m[7 * PG] = 0xb7;
	m[20 * PG] = 0xb9;
	/* And the mapping grew by 16 pages (one of them written): its span
	 * grows, so the first copy's pages are moved into a new buffer. */
	assert_int_equal(mprotect(m + NPAGES * PG, 16 * PG,
				  PROT_READ | PROT_WRITE), 0);
	m[(NPAGES + 3) * PG] = 0xc3;
	phi_maps_release(&maps);
	assert_int_equal(phi_maps_read(getpid(), &maps, &err), 0);
	phi_image_init(&again);
	assert_int_equal(phi_copy_process(&again, &r, &maps,
					  &(struct phi_copy_opts){
						  .pages = &pg, .reuse = &img },
					  &err), 0);
	/* The moved pages leave no hole in the old buffers (a hole would
	 * take a later mapping, which freeing the old buffer would unmap
	 * with it): every page of their ranges is still mapped. */
	for (size_t i = 0; i < img.nback; i++)
		assert_true(mapped_whole(img.back[i].map, img.back[i].map_len));
	phi_image_release(&img);
	p = phi_image_ptr(&again, base, 2 * PG);
	assert_non_null(p);
	assert_int_equal(p[0], 0xa0);
	assert_int_equal(p[PG], 0xb1);
	p = phi_image_ptr(&again, base + 5 * PG, 1);
	assert_non_null(p);
	assert_int_equal(*p, 0xb5);
	p = phi_image_ptr(&again, base + 7 * PG, 1);
	assert_non_null(p);
	assert_int_equal(*p, 0xb7);
	p = phi_image_ptr(&again, base + 20 * PG, 1);
	assert_non_null(p);
	assert_int_equal(*p, 0xb9);
	p = phi_image_ptr(&again, base + (NPAGES + 3) * PG, 1);
	assert_non_null(p);
	assert_int_equal(*p, 0xc3);
	p = phi_image_ptr(&again, base + 2 * PG, 1);
	assert_non_null(p);
	assert_int_equal(*p, 0);
	phi_image_release(&again);

	phi_maps_release(&maps);
	phi_reader_close(&r);
	phi_pages_close(&pg);
	munmap(res, NPAGES * PG + (8 << 20));
}

static void test_copy_resident_scan(void **state)
{
	(void)state;
	copy_resident("scan");
}

static void test_copy_resident_read(void **state)
{
	(void)state;
	copy_resident("read");
}

/* A data file mapped privately, one page of it read: that page is
 * copied (with the few the kernel maps around it, 64 KiB), the others
 * are absent (the file holds something there: not zeros). */
static void test_copy_file_mapping(void **state)
{
	char path[] = "/tmp/phi-test-map.XXXXXX";
	int fd = mkstemp(path);
	unsigned char page[PG];
	struct phi_reader r;
	struct phi_maps maps;
	struct phi_error err = { 0 };
	struct phi_image img;
	struct phi_pages pg;
	struct phi_map one;
	const unsigned char *p;
	volatile unsigned char sink;
	unsigned char *m;
	uint64_t base;

	(void)state;
	assert_true(fd >= 0);
	for (int i = 0; i < 64; i++) {
		memset(page, 0x30 + i, sizeof(page));
		assert_int_equal(write(fd, page, sizeof(page)), PG);
	}
	m = mmap(NULL, 64 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(m != MAP_FAILED);
	base = (uint64_t)(uintptr_t)m;
	sink = m[0];
	(void)sink;
	phi_pages_open(&pg, getpid());
	phi_reader_init(&r, getpid());
	assert_int_equal(phi_maps_read(getpid(), &maps, &err), 0);
	one = *phi_maps_find(&maps, base);
	phi_image_init(&img);
	assert_int_equal(phi_copy_process(&img, &r,
					  &(struct phi_maps){ &one, 1 },
					  &(struct phi_copy_opts){
						  .pages = &pg }, &err), 0);
	p = phi_image_ptr(&img, base, PG);
	assert_non_null(p);
	assert_int_equal(p[PG - 1], 0x30);
	assert_null(phi_image_ptr(&img, base + 48 * PG, 1));
	phi_image_release(&img);
	phi_maps_release(&maps);
	phi_reader_close(&r);
	phi_pages_close(&pg);
	munmap(m, 64 * PG);
	close(fd);
	unlink(path);
}

/* More pages than the cap: the interior of the longest run is left out
 * (a hole), its ends kept. */
static void test_copy_cut(void **state)
{
	const size_t len = 16 << 20;
	struct phi_reader r;
	struct phi_maps maps;
	struct phi_error err = { 0 };
	struct phi_image img;
	struct phi_pages pg;
	struct phi_copy_stats st;
	struct phi_map one;
	/* Inaccessible pages either side: a mapping of its own. */
	unsigned char *res = mmap(NULL, len + 2 * PG, PROT_NONE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *m = res + PG;
	uint64_t base = (uint64_t)(uintptr_t)m;

	(void)state;
	assert_true(res != MAP_FAILED);
	assert_int_equal(mprotect(m, len, PROT_READ | PROT_WRITE), 0);
	memset(m, 0x5a, len);
	phi_pages_open(&pg, getpid());
	phi_reader_init(&r, getpid());
	assert_int_equal(phi_maps_read(getpid(), &maps, &err), 0);
	/* That mapping alone (what else this process holds depends on the
	 * build: a sanitizer's own memory). */
	one = *phi_maps_find(&maps, base);
	assert_int_equal(one.start, base);
	phi_image_init(&img);
	assert_int_equal(phi_copy_process(&img, &r,
					  &(struct phi_maps){ &one, 1 },
					  &(struct phi_copy_opts){
						  .pages = &pg, .stats = &st,
						  .max_bytes = 12 << 20 },
					  &err), 0);
	/* Cut to half the cap: the 2 MiB it keeps of the run's ends. */
	assert_int_equal(st.planned, len);
	assert_int_equal(img.bytes, 2 << 20);
	assert_int_equal(img.nskipped, 1);
	assert_int_equal(img.skipped, len - (2 << 20));
	assert_true(img.nskipped >= 1);
	assert_true(phi_image_in_hole(&img, base + len / 2));
	assert_null(phi_image_ptr(&img, base + len / 2, 1));
	/* Its first and last pages are kept. */
	assert_non_null(phi_image_ptr(&img, base, 1));
	assert_non_null(phi_image_ptr(&img, base + len - 1, 1));
	assert_false(phi_image_in_hole(&img, base));
	phi_image_release(&img);
	phi_maps_release(&maps);
	phi_reader_close(&r);
	phi_pages_close(&pg);
	munmap(res, len + 2 * PG);
}

/* Runs only go up: adjacent ones merge, one that starts inside the
 * last is clipped, one wholly inside it is dropped. */
static void test_runs_push(void **state)
{
	struct phi_runs r = { 0 };

	(void)state;
	assert_int_equal(phi_runs_push(&r, 0x1000, 0x3000), 0);
	assert_int_equal(phi_runs_push(&r, 0x3000, 0x4000), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].end, 0x4000);
	assert_int_equal(phi_runs_push(&r, 0x2000, 0x6000), 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].end, 0x6000);
	assert_int_equal(phi_runs_push(&r, 0x2000, 0x5000), 0);
	assert_int_equal(phi_runs_push(&r, 0x8000, 0x9000), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.v[1].start, 0x8000);
	phi_runs_release(&r);
}

static void test_read_unmapped(void **state)
{
	struct phi_reader r;
	struct phi_error err = { 0 };
	uint64_t buf = 0, src = 0x1122334455667788ULL;

	(void)state;
	phi_reader_init(&r, getpid());
	assert_int_equal(phi_read(&r, 0x10, &buf, sizeof(buf), &err),
			 -PHI_E_READ);
	assert_int_equal(err.code, PHI_E_READ);
	assert_non_null(strstr(err.msg, "0x10"));
	assert_int_equal(phi_read(&r, (uint64_t)(uintptr_t)&src, &buf,
				  sizeof(buf), &err), 0);
	assert_int_equal(buf, 0x1122334455667788ULL);
	assert_int_equal(r.bytes, 8);
	phi_reader_close(&r);
}

static void test_readv_middle_unmapped(void **state)
{
	static const char one[] = "first range", three[] = "third range!";
	char b1[sizeof(one)] = { 0 }, b2[16], b3[sizeof(three)] = { 0 };
	struct phi_iov v[3] = {
		{ (uint64_t)(uintptr_t)one, b1, sizeof(b1), 99 },
		{ 0x10, b2, sizeof(b2), 99 },
		{ (uint64_t)(uintptr_t)three, b3, sizeof(b3), 99 },
	};
	struct phi_reader r;
	struct phi_error err = { 0 };

	(void)state;
	phi_reader_init(&r, getpid());
	assert_int_equal(phi_readv(&r, v, 3, &err), 0);
	assert_int_equal(v[0].got, sizeof(one));
	assert_int_equal(v[1].got, 0);
	assert_int_equal(v[2].got, sizeof(three));
	assert_string_equal(b1, one);
	assert_string_equal(b3, three);
	assert_int_equal(r.bytes, sizeof(one) + sizeof(three));
	phi_reader_close(&r);
}

static void test_readv_partial(void **state)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *m, *buf;
	struct phi_iov v;
	struct phi_reader r;
	struct phi_error err = { 0 };

	(void)state;
	assert_true(page > 0);
	m = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(m != MAP_FAILED);
	buf = calloc(2, (size_t)page);
	assert_non_null(buf);
	memset(m, 0xa5, (size_t)page);
	assert_int_equal(mprotect(m + page, (size_t)page, PROT_NONE), 0);
	/* From 100 bytes before the hole to 100 bytes into it. */
	v = (struct phi_iov){ (uint64_t)(uintptr_t)(m + page - 100), buf, 200,
			      0 };
	phi_reader_init(&r, getpid());
	assert_int_equal(phi_readv(&r, &v, 1, &err), 0);
	assert_int_equal(v.got, 100);
	assert_int_equal(buf[0], 0xa5);
	assert_int_equal(buf[99], 0xa5);
	/* phi_read never succeeds partially. */
	assert_int_equal(phi_read(&r, v.addr, buf, 200, &err), -PHI_E_READ);
	phi_reader_close(&r);
	munmap(m, 2 * (size_t)page);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_sorted),
		cmocka_unit_test(test_ptr),
		cmocka_unit_test(test_empty_image),
		cmocka_unit_test(test_top_of_address_space),
		cmocka_unit_test(test_overlap_refused),
		cmocka_unit_test(test_avail),
		cmocka_unit_test(test_typed_reads),
		cmocka_unit_test(test_snapshot_self),
		cmocka_unit_test(test_copy_resident_scan),
		cmocka_unit_test(test_copy_resident_read),
		cmocka_unit_test(test_copy_file_mapping),
		cmocka_unit_test(test_copy_cut),
		cmocka_unit_test(test_runs_push),
		cmocka_unit_test(test_read_unmapped),
		cmocka_unit_test(test_readv_middle_unmapped),
		cmocka_unit_test(test_readv_partial),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
