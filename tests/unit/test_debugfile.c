/* Unit tests for the separate debug files (debugfile.h) and the ELF
 * facts they rest on (elfsym.h: build-id, .gnu_debuglink, notes): on
 * hand-made ELF files whose build-ids, debuglink names and CRCs the tests
 * choose, in directories laid out as /usr/lib/debug, a --debug-dir and a
 * container's root are.  Each case checks which file is accepted, how it
 * was matched, and what was refused and why; and, on the C library, that
 * a debug file installed by libc6-dbg (if any) gives its DWARF. */
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "pyheapinspect/debuginfo/debugfile.h"
#include "pyheapinspect/debuginfo/dwarf.h"
#include "pyheapinspect/debuginfo/elfsym.h"

/* ---- hand-made ELF files ---------------------------------------------- */

struct sec {
	const char *name;
	uint32_t type;
	const void *data;
	size_t size;
};

/* An ELF file of the given sections (and a .shstrtab). */
static void write_sections(const char *path, const struct sec *v, size_t n)
{
	unsigned char file[8192] = { 0 };
	Elf64_Shdr sh[16] = { { 0 } };
	char shstr[512] = "";
	size_t off = sizeof(Elf64_Ehdr), slen = 1;
	Elf64_Ehdr eh = { 0 };
	FILE *f;

	assert_true(n + 2 <= 16);
	for (size_t i = 0; i < n; i++) {
		off = (off + 7) & ~(size_t)7;
		assert_true(off + v[i].size < sizeof(file) - 2048);
		memcpy(file + off, v[i].data, v[i].size);
		sh[i + 1] = (Elf64_Shdr){ .sh_name = (uint32_t)slen,
					  .sh_type = v[i].type,
					  .sh_offset = off,
					  .sh_size = v[i].size,
					  .sh_addralign = 4 };
		if (v[i].type == SHT_SYMTAB) {
			sh[i + 1].sh_entsize = sizeof(Elf64_Sym);
			sh[i + 1].sh_link = (uint32_t)(n + 1);
		}
		strcpy(shstr + slen, v[i].name);
		slen += strlen(v[i].name) + 1;
		off += v[i].size;
	}
	strcpy(shstr + slen, ".shstrtab");
	sh[n + 1] = (Elf64_Shdr){ .sh_name = (uint32_t)slen,
				  .sh_type = SHT_STRTAB, .sh_offset = off,
				  .sh_size = slen + 10, .sh_addralign = 1 };
	memcpy(file + off, shstr, slen + 10);
	off = (off + slen + 10 + 7) & ~(size_t)7;
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_DYN;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_ehsize = sizeof(eh);
	eh.e_shoff = off;
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = (uint16_t)(n + 2);
	eh.e_shstrndx = (uint16_t)(n + 1);
	memcpy(file, &eh, sizeof(eh));
	memcpy(file + off, sh, (n + 2) * sizeof(Elf64_Shdr));
	off += (n + 2) * sizeof(Elf64_Shdr);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(file, 1, off, f), off);
	assert_int_equal(fclose(f), 0);
}

/* An NT_GNU_BUILD_ID note of 20 bytes, each `seed + i`. */
static size_t build_id_note(unsigned char *buf, unsigned char seed)
{
	const uint32_t hdr[3] = { 4, 20, NT_GNU_BUILD_ID };

	memcpy(buf, hdr, sizeof(hdr));
	memcpy(buf + 12, "GNU", 4);
	for (int i = 0; i < 20; i++)
		buf[16 + i] = (unsigned char)(seed + i);
	return 36;
}

static void build_id_hex(unsigned char seed, char *hex)
{
	for (int i = 0; i < 20; i++)
		sprintf(hex + 2 * i, "%02x", (unsigned char)(seed + i));
}

/* .gnu_debuglink: name, NUL, padding to 4, CRC. */
static size_t debuglink(unsigned char *buf, const char *name, uint32_t crc)
{
	size_t n = strlen(name) + 1, pad = (n + 3) & ~(size_t)3;

	memset(buf, 0, pad);
	memcpy(buf, name, n);
	memcpy(buf + pad, &crc, 4);
	return pad + 4;
}

/* A stripped object: build-id `seed` (none when 0), debuglink (none when
 * link is NULL). */
static void write_object(const char *path, unsigned char seed,
			 const char *link, uint32_t crc)
{
	unsigned char note[64], dl[300];
	struct sec v[2] = { { 0 } };
	size_t n = 0;

	if (seed)
		v[n++] = (struct sec){ ".note.gnu.build-id", SHT_NOTE, note,
				       build_id_note(note, seed) };
	if (link)
		v[n++] = (struct sec){ ".gnu_debuglink", SHT_PROGBITS, dl,
				       debuglink(dl, link, crc) };
	write_sections(path, v, n);
}

/* A debug file: build-id `seed` (none when 0), DWARF and/or .symtab. */
static void write_debug(const char *path, unsigned char seed, bool dwarf,
			bool symtab)
{
	static const unsigned char info[16] = { 1, 2, 3, 4 };
	static const Elf64_Sym syms[1];
	unsigned char note[64];
	struct sec v[3] = { { 0 } };
	size_t n = 0;

	if (seed)
		v[n++] = (struct sec){ ".note.gnu.build-id", SHT_NOTE, note,
				       build_id_note(note, seed) };
	if (dwarf)
		v[n++] = (struct sec){ ".debug_info", SHT_PROGBITS, info,
				       sizeof(info) };
	if (symtab)
		v[n++] = (struct sec){ ".symtab", SHT_SYMTAB, syms,
				       sizeof(syms) };
	write_sections(path, v, n);
}

static uint32_t file_crc(const char *path)
{
	unsigned char buf[8192];
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return (uint32_t)crc32(0, buf, (uInt)n);
}

/* ---- a scratch tree --------------------------------------------------- */

/* snprintf into a PATH_MAX buffer, asserting it fits. */
static void fmt(char *buf, const char *f, ...)
	__attribute__((format(printf, 2, 3)));

static void fmt(char *buf, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = vsnprintf(buf, PATH_MAX, f, ap);
	va_end(ap);
	assert_true(n > 0 && n < PATH_MAX);
}

static char top[PATH_MAX];

static void path(char *buf, const char *rel)
{
	int n = snprintf(buf, PATH_MAX, "%s%s", top, rel);

	assert_true(n > 0 && n < PATH_MAX);
}

/* mkdir -p top/rel */
static void mkdirs(const char *rel)
{
	char p[PATH_MAX];

	path(p, rel);
	for (char *s = p + strlen(top) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	mkdir(p, 0755);
}

static int setup(void **state)
{
	char tmpl[] = "/tmp/phi-test-debugfile.XXXXXX";
	char *real;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	real = realpath(tmpl, NULL);
	assert_non_null(real);
	snprintf(top, sizeof(top), "%s", real);
	free(real);
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* The want of the object at top/rel, as mapped at top/rel. */
static void want_of(const char *rel, struct phi_debug_want *w)
{
	char p[PATH_MAX];
	struct phi_elf e;
	struct phi_error err = { 0 };

	path(p, rel);
	assert_int_equal(phi_elf_open(&e, p, &err), 0);
	phi_debug_want_of(&e, p, w);
	phi_elf_close(&e);
}

/* ---- tests ------------------------------------------------------------ */

static void test_notes(void **state)
{
	unsigned char buf[128];
	char hex[PHI_BUILD_ID_HEX], want[41];
	uint32_t bad[3] = { 0xffffff00u, 20, NT_GNU_BUILD_ID };
	size_t n;

	(void)state;
	/* an other note first, then the build-id */
	memcpy(buf, (uint32_t[3]){ 4, 4, 1 }, 12);
	memcpy(buf + 12, "GNU\0abcd", 8);
	n = 20 + build_id_note(buf + 20, 0x10);
	build_id_hex(0x10, want);
	assert_true(phi_notes_build_id(buf, n, hex, sizeof(hex)));
	assert_string_equal(hex, want);
	/* cut in its descriptor, or a name size past the end */
	assert_false(phi_notes_build_id(buf, n - 1, hex, sizeof(hex)));
	memcpy(buf + 20, bad, sizeof(bad));
	assert_false(phi_notes_build_id(buf, n, hex, sizeof(hex)));
	/* a buffer too small for the text */
	assert_false(phi_notes_build_id(buf + 20, 36, hex, 40));
	assert_false(phi_notes_build_id(buf, 0, hex, sizeof(hex)));
}

static void test_crc(void **state)
{
	char p[PATH_MAX];
	uint32_t crc = 0;
	FILE *f;
	int fd;

	(void)state;
	path(p, "/check");
	f = fopen(p, "wb");
	assert_non_null(f);
	fputs("123456789", f);
	fclose(f);
	fd = open(p, O_RDONLY);
	assert_true(fd >= 0);
	assert_true(phi_debugfile_crc(fd, &crc));
	close(fd);
	/* the CRC-32 check value */
	assert_int_equal(crc, 0xcbf43926u);
}

static void test_want(void **state)
{
	struct phi_debug_want w;
	char id[41], dir[PATH_MAX];
	struct phi_elf e;
	struct phi_error err = { 0 };
	char p[PATH_MAX];
	uint32_t crc = 0;

	(void)state;
	mkdirs("/want/lib");
	path(p, "/want/lib/libx.so");
	write_object(p, 0x40, "libx.so.debug", 0x12345678u);
	want_of("/want/lib/libx.so", &w);
	build_id_hex(0x40, id);
	assert_string_equal(w.build_id, id);
	assert_string_equal(w.link, "libx.so.debug");
	assert_int_equal(w.crc, 0x12345678u);
	path(dir, "/want/lib");
	assert_string_equal(w.dir, dir);
	assert_int_equal(phi_elf_open(&e, p, &err), 0);
	assert_false(e.has_symtab);
	assert_false(e.has_debug_info);
	assert_true(phi_elf_debuglink(&e, id, sizeof(id), &crc));
	phi_elf_close(&e);

	/* a debuglink naming a path is refused */
	write_object(p, 0, "../x.debug", 1);
	want_of("/want/lib/libx.so", &w);
	assert_string_equal(w.link, "");
	assert_string_equal(w.build_id, "");
}

/* --debug-dir D/.build-id/xx/rest.debug: the right build-id is accepted,
 * another one refused. */
static void test_build_id_dir(void **state)
{
	struct phi_debug_want w;
	struct phi_debugfile df;
	char p[PATH_MAX], dir[PATH_MAX], id[41], want[PATH_MAX];
	const char *dirs[1] = { dir };
	struct phi_debug_search s = { NULL, dirs, 1 };

	(void)state;
	build_id_hex(0x50, id);
	mkdirs("/bid/lib");
	path(p, "/bid/lib/liby.so");
	write_object(p, 0x50, NULL, 0);
	want_of("/bid/lib/liby.so", &w);
	path(dir, "/bid/debug");
	fmt(want, "/bid/debug/.build-id/%.2s", id);
	mkdirs(want);
	fmt(want, "%s/.build-id/%.2s/%s.debug", dir, id,
		 id + 2);

	/* another build's file at that path */
	write_debug(want, 0x51, true, true);
	assert_false(phi_debugfile_find(&w, &s, &df));
	assert_int_equal(df.fd, -1);
	assert_int_equal(df.nrefused, 1);
	assert_string_equal(df.refused[0].shown, want);
	assert_false(df.refused[0].in_root);
	assert_non_null(strstr(df.refused[0].why, id));
	assert_non_null(strstr(df.refused[0].why, "build-id"));

	/* the right one */
	write_debug(want, 0x50, true, false);
	assert_true(phi_debugfile_find(&w, &s, &df));
	assert_int_equal(df.how, PHI_DEBUG_BY_BUILD_ID);
	assert_string_equal(df.shown, want);
	assert_false(df.in_root);
	assert_true(df.has_dwarf);
	assert_false(df.has_symtab);
	assert_int_equal(df.nrefused, 0);
	assert_non_null(strstr(df.how_text, id));
	assert_true(df.fd >= 0);
	assert_true(access(df.path, R_OK) == 0);
	phi_debugfile_close(&df);
	assert_int_equal(df.fd, -1);

	/* the right build-id but stripped too: passed over, not refused */
	write_debug(want, 0x50, false, false);
	assert_false(phi_debugfile_find(&w, &s, &df));
	assert_int_equal(df.nrefused, 0);
	assert_true(df.tried > 0);
}

/* .gnu_debuglink next to the object, then in .debug/: the CRC decides. */
static void test_debuglink(void **state)
{
	struct phi_debug_want w;
	struct phi_debugfile df;
	struct phi_debug_search s = { NULL, NULL, 0 };
	char obj[PATH_MAX], dbg[PATH_MAX], dotdbg[PATH_MAX];

	(void)state;
	mkdirs("/dl/lib/.debug");
	path(obj, "/dl/lib/libz.so");
	path(dbg, "/dl/lib/libz.so.debug");
	path(dotdbg, "/dl/lib/.debug/libz.so.debug");
	write_debug(dotdbg, 0x60, true, true);
	write_object(obj, 0x60, "libz.so.debug", file_crc(dotdbg));
	want_of("/dl/lib/libz.so", &w);

	/* next to it: the same build-id, but a CRC that is not the link's */
	write_debug(dbg, 0x60, true, false);
	assert_true(phi_debugfile_find(&w, &s, &df));
	assert_string_equal(df.shown, dotdbg);
	assert_int_equal(df.how, PHI_DEBUG_BY_LINK);
	assert_true(df.has_symtab);
	assert_non_null(strstr(df.how_text, "CRC-32"));
	assert_int_equal(df.nrefused, 1);
	assert_string_equal(df.refused[0].shown, dbg);
	assert_non_null(strstr(df.refused[0].why, "CRC-32"));
	phi_debugfile_close(&df);

	/* without a build-id in the object, the CRC alone matches */
	unlink(dbg);
	write_object(obj, 0, "libz.so.debug", file_crc(dotdbg));
	want_of("/dl/lib/libz.so", &w);
	assert_true(phi_debugfile_find(&w, &s, &df));
	assert_string_equal(df.shown, dotdbg);
	phi_debugfile_close(&df);

	/* a file of another build with the right CRC is still refused */
	write_debug(dotdbg, 0x61, true, true);
	write_object(obj, 0x60, "libz.so.debug", file_crc(dotdbg));
	want_of("/dl/lib/libz.so", &w);
	assert_false(phi_debugfile_find(&w, &s, &df));
	assert_int_equal(df.nrefused, 1);
	assert_non_null(strstr(df.refused[0].why, "build-id"));
}

/* The target's root first: its file, found through an absolute symbolic
 * link resolved inside the root, is named by its path inside; a decoy
 * on the "host" at the same path is never looked at. */
static void test_root(void **state)
{
	struct phi_debug_want w;
	struct phi_debugfile df;
	char root[PATH_MAX], obj[PATH_MAX], real[PATH_MAX], lnk[PATH_MAX];
	char host_dbg[PATH_MAX], inside[PATH_MAX];
	struct phi_debug_search s = { root, NULL, 0 };

	(void)state;
	/* the object as the target names it: <top>/app/lib/libr.so */
	mkdirs("/app/lib");
	mkdirs("/ctr/usr/lib/debug");
	path(root, "/ctr");
	path(obj, "/app/lib/libr.so");
	path(inside, "/app/lib");
	/* inside: ROOT/<top>/app/lib/libr.so.debug -> /real/libr.debug */
	fmt(real, "%s/real", root);
	mkdir(real, 0755);
	fmt(real, "%s/real/libr.debug", root);
	write_debug(real, 0x70, true, true);
	fmt(lnk, "/ctr%s", inside);
	mkdirs(lnk);
	fmt(lnk, "%s%s/libr.so.debug", root, inside);
	assert_int_equal(symlink("/real/libr.debug", lnk), 0);
	/* on the host, at the path the target names: a decoy */
	fmt(host_dbg, "%s/libr.so.debug", inside);
	write_debug(host_dbg, 0x71, true, true);
	write_object(obj, 0x70, "libr.so.debug", file_crc(real));
	want_of("/app/lib/libr.so", &w);

	assert_true(phi_debugfile_find(&w, &s, &df));
	assert_true(df.in_root);
	assert_string_equal(df.shown, host_dbg); /* the path inside */
	assert_int_equal(df.nrefused, 0);
	phi_debugfile_close(&df);

	/* without the target's file, the host's decoy is refused */
	unlink(lnk);
	assert_false(phi_debugfile_find(&w, &s, &df));
	assert_int_equal(df.nrefused, 1);
	assert_false(df.refused[0].in_root);
	assert_string_equal(df.refused[0].shown, host_dbg);

	/* a link out of the root is not followed to the host: the link
	 * to the decoy's absolute path resolves inside, where nothing is */
	assert_int_equal(symlink(host_dbg, lnk), 0);
	assert_false(phi_debugfile_find(&w, &s, &df));
	assert_int_equal(df.nrefused, 1);
	assert_false(df.refused[0].in_root);
	unlink(lnk);

	/* a root that is the host's own is the host pass only */
	s.root = "/";
	assert_false(phi_debugfile_find(&w, &s, &df));
	assert_int_equal(df.nrefused, 1);
	assert_false(df.refused[0].in_root);
}

/* Nothing to look for, and more refusals than are kept. */
static void test_nothing_and_many(void **state)
{
	struct phi_debug_want w;
	struct phi_debugfile df;
	char p[PATH_MAX], dirs_buf[6][PATH_MAX], f[PATH_MAX];
	const char *dirs[6];
	struct phi_debug_search s = { NULL, dirs, 6 };

	(void)state;
	mkdirs("/none");
	path(p, "/none/libn.so");
	write_object(p, 0, NULL, 0);
	want_of("/none/libn.so", &w);
	assert_false(phi_debugfile_find(&w, &s, &df));
	assert_int_equal(df.tried, 0);

	write_object(p, 0, "libn.debug", 1);
	want_of("/none/libn.so", &w);
	for (int i = 0; i < 6; i++) {
		fmt(f, "/none/d%d", i);
		mkdirs(f);
		path(dirs_buf[i], f);
		dirs[i] = dirs_buf[i];
		fmt(f, "%s/libn.debug", dirs_buf[i]);
		write_debug(f, (unsigned char)(0x80 + i), true, false);
	}
	assert_false(phi_debugfile_find(&w, &s, &df));
	assert_int_equal(df.nrefused, PHI_DEBUG_MAX_REFUSED);
	assert_int_equal(df.refused_dropped, 6 - PHI_DEBUG_MAX_REFUSED);
}

/* The C library: with libc6-dbg installed its debug file is found by
 * build-id under /usr/lib/debug and gives FILE's layout; without it,
 * nothing is found and nothing refused. */
static void test_libc(void **state)
{
	struct phi_dwarf_query q[] = {
		{ "_IO_FILE", NULL, -1, false, NULL },
		{ "_IO_FILE", "_fileno", -1, false, NULL },
	};
	struct phi_debug_search s = { NULL, NULL, 0 };
	struct phi_error err = { 0 };
	struct phi_debug_want w;
	struct phi_debugfile df;
	struct phi_elf e;
	Dl_info info;
	char real[PATH_MAX];

	(void)state;
	assert_true(dladdr((void *)gnu_get_libc_version, &info) &&
		    info.dli_fname);
	assert_non_null(realpath(info.dli_fname, real));
	assert_int_equal(phi_elf_open(&e, real, &err), 0);
	phi_debug_want_of(&e, real, &w);
	phi_elf_close(&e);
	if (!phi_debugfile_find(&w, &s, &df)) {
		print_message("%s: no debug file (libc6-dbg not installed)\n",
			      real);
		assert_int_equal(df.nrefused, 0);
		return;
	}
	print_message("%s: debug file %s, %s\n", real, df.shown, df.how_text);
	assert_true(!strncmp(df.shown, "/usr/lib/debug/", 15));
	assert_int_equal(phi_dwarf_resolve(df.path, q, 2, NULL, 0, &err), 0);
	assert_int_equal(q[0].value, sizeof(FILE));
	assert_int_equal(q[1].value, offsetof(FILE, _fileno));
	phi_debugfile_close(&df);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notes),
		cmocka_unit_test(test_crc),
		cmocka_unit_test(test_want),
		cmocka_unit_test(test_build_id_dir),
		cmocka_unit_test(test_debuglink),
		cmocka_unit_test(test_root),
		cmocka_unit_test(test_nothing_and_many),
		cmocka_unit_test(test_libc),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
