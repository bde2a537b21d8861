/* Unit tests for ELF symbols and load bias (elfsym.h), on this test's own
 * executable and on the libc it runs with: a symbol's st_value plus the
 * load bias computed from /proc/self/maps must be the address the
 * running code uses.  Also the "name.N" suffix match of statics (exact
 * names preferred), unknown names, and files that are not ELF. */
#include <elf.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gnu/libc-version.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <cmocka.h>

#include "pyheapinspect/debuginfo/elfsym.h"
#include "pyheapinspect/source/maps.h"
#include "pyheapinspect/source/proc/process.h"

/* ---- Symbols the tests look up in their own executable. */

/* A static local: GCC names it "phi_test_counter.N" in .symtab. */
static int *counter_address(void)
{
	static int phi_test_counter = 5;

	phi_test_counter++;
	return &phi_test_counter;
}

/* A static local with the name of a global defined further down (defined
 * before the global so that -Wshadow has nothing to say): "phi_test_dual"
 * must find the global, not "phi_test_dual.N". */
static int *dual_local_address(void)
{
	static int phi_test_dual = 11;

	phi_test_dual++;
	return &phi_test_dual;
}

int phi_test_dual = 7;
int phi_test_marker_var = 0x5eed;

int phi_test_marker_fn(void);
int phi_test_marker_fn(void)
{
	return phi_test_marker_var + 1;
}

/* ---- Helpers */

struct object {
	struct phi_maps maps;
	const struct phi_map *first; /* the mapping with file offset 0 */
	struct phi_elf elf;
	uint64_t bias;
};

/* Open the object mapped at path, with its bias from its first mapping. */
static void object_open(struct object *o, const char *path)
{
	struct phi_error err = { 0 };
	int rc;

	memset(o, 0, sizeof(*o));
	rc = phi_maps_read(getpid(), &o->maps, &err);
	if (rc != 0)
		fail_msg("phi_maps_read: %s", err.msg);
	for (size_t i = 0; i < o->maps.n && !o->first; i++)
		if (o->maps.v[i].offset == 0 &&
		    strcmp(o->maps.v[i].path, path) == 0)
			o->first = &o->maps.v[i];
	if (!o->first)
		fail_msg("no mapping of '%s' at file offset 0", path);
	rc = phi_elf_open(&o->elf, path, &err);
	if (rc != 0)
		fail_msg("phi_elf_open(%s): %s", path, err.msg);
	rc = phi_elf_load_bias(&o->elf, o->first->start, o->first->offset,
			       &o->bias, &err);
	if (rc != 0)
		fail_msg("phi_elf_load_bias(%s): %s", path, err.msg);
}

static void object_close(struct object *o)
{
	phi_elf_close(&o->elf);
	phi_maps_release(&o->maps);
}

static void self_open(struct object *o)
{
	char exe[PATH_MAX];

	assert_non_null(realpath("/proc/self/exe", exe));
	object_open(o, exe);
}

/* ---- Tests */

static void test_self_function_and_variable(void **state)
{
	struct object o;
	struct phi_sym_query q[] = {
		{ .name = "phi_test_marker_fn" },
		{ .name = "phi_test_marker_var" },
	};

	(void)state;
	self_open(&o);
	/* Debian builds PIE executables; this one is not stripped. */
	assert_int_equal(o.elf.e_type, ET_DYN);
	assert_true(o.elf.has_symtab);
	assert_true(o.elf.fd >= 0);
	phi_elf_lookup(&o.elf, q, 2);
	assert_true(q[0].found);
	assert_true(q[1].found);
	assert_int_equal(q[0].value + o.bias,
			 (uint64_t)(uintptr_t)&phi_test_marker_fn);
	assert_true(q[0].size > 0);
	assert_int_equal(q[1].value + o.bias,
			 (uint64_t)(uintptr_t)&phi_test_marker_var);
	assert_int_equal(q[1].size, sizeof(phi_test_marker_var));
	assert_int_equal(phi_test_marker_fn(), 0x5eee);
	object_close(&o);
	assert_int_equal(o.elf.fd, -1);
	assert_null(o.elf.elf);
}

/* The bias computed from the text mapping and from the data mapping is
 * the one computed from the first mapping. */
static void test_self_bias_from_other_mappings(void **state)
{
	struct object o;
	struct phi_error err = { 0 };
	const uint64_t addrs[] = {
		(uint64_t)(uintptr_t)&phi_test_marker_fn,
		(uint64_t)(uintptr_t)&phi_test_marker_var,
	};

	(void)state;
	self_open(&o);
	for (size_t i = 0; i < 2; i++) {
		const struct phi_map *m = phi_maps_find(&o.maps, addrs[i]);
		uint64_t bias = 0;

		assert_non_null(m);
		assert_string_equal(m->path, o.first->path);
		assert_true(m->offset > 0);
		assert_int_equal(phi_elf_load_bias(&o.elf, m->start,
						   m->offset, &bias, &err), 0);
		assert_int_equal(bias, o.bias);
	}
	/* A file offset that no PT_LOAD covers. */
	assert_int_equal(phi_elf_load_bias(&o.elf, o.first->start,
					   (uint64_t)1 << 40, &o.bias, &err),
			 -PHI_E_CORRUPT);
	assert_int_equal(err.code, PHI_E_CORRUPT);
	object_close(&o);
}

/* The PT_LOAD segments, at the bias, hold the code (executable) and the
 * data (writable); .text and .data are sections; the build-id is the
 * one readelf would show (checked through the note of the mapped
 * memory, which the loader put there from the same file). */
static void test_self_segments_and_sections(void **state)
{
	struct phi_elf_segment seg[16];
	char hex[PHI_BUILD_ID_HEX], mem[PHI_BUILD_ID_HEX];
	uint64_t fn = (uint64_t)(uintptr_t)&phi_test_marker_fn;
	uint64_t var = (uint64_t)(uintptr_t)&phi_test_marker_var;
	uint64_t addr = 0, size = 0;
	bool code = false, data = false;
	struct object o;
	size_t n;

	(void)state;
	self_open(&o);
	n = phi_elf_segments(&o.elf, seg, 16);
	assert_true(n >= 2);
	for (size_t i = 0; i < n; i++) {
		uint64_t lo = seg[i].vaddr + o.bias, hi = lo + seg[i].memsz;

		code |= (seg[i].flags & PF_X) && fn >= lo && fn < hi;
		data |= (seg[i].flags & PF_W) && var >= lo && var < hi;
	}
	assert_true(code);
	assert_true(data);
	assert_int_equal(phi_elf_segments(&o.elf, seg, 1), 1);
	assert_true(phi_elf_section(&o.elf, ".text", &addr, &size));
	assert_true(fn >= addr + o.bias && fn < addr + o.bias + size);
	assert_false(phi_elf_section(&o.elf, ".no-such-section", NULL, NULL));
	/* the test build links with a build-id (gcc's default on Debian) */
	assert_true(phi_elf_build_id(&o.elf, hex, sizeof(hex)));
	assert_int_equal(strlen(hex), 40);
	assert_true(phi_elf_section(&o.elf, ".note.gnu.build-id", &addr,
				    &size));
	assert_true(phi_notes_build_id((const void *)(uintptr_t)(addr +
								 o.bias),
				       size, mem, sizeof(mem)));
	assert_string_equal(hex, mem);
	assert_true(o.elf.has_debug_info);
	object_close(&o);
}

/* A hand-made ELF file: the header and PT_LOAD program headers only. */
static void write_elf(char *path, uint16_t type, const Elf64_Phdr *ph,
		      size_t nph)
{
	Elf64_Ehdr eh = { 0 };
	int fd;

	strcpy(path, "/tmp/phi-test-elfsym-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = type;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(*ph);
	eh.e_phnum = (uint16_t)nph;
	assert_int_equal(write(fd, &eh, sizeof(eh)), sizeof(eh));
	assert_int_equal(write(fd, ph, nph * sizeof(*ph)), nph * sizeof(*ph));
	assert_int_equal(ftruncate(fd, 0x4000), 0);
	close(fd);
}

static const Elf64_Phdr handmade_ph[] = {
	{ .p_type = PT_PHDR, .p_offset = 0x40, .p_vaddr = 0x40,
	  .p_filesz = 0xa8 },
	{ .p_type = PT_LOAD, .p_offset = 0, .p_vaddr = 0, .p_filesz = 0x800,
	  .p_memsz = 0x800 },
	{ .p_type = PT_LOAD, .p_offset = 0x1000, .p_vaddr = 0x11000,
	  .p_filesz = 0x800, .p_memsz = 0x800 },
	{ .p_type = PT_LOAD, .p_offset = 0x2100, .p_vaddr = 0x23100,
	  .p_filesz = 0x200, .p_memsz = 0x5000 },
};

static void test_bias_handmade_dyn(void **state)
{
	const uint64_t b = 0x7f1234560000;
	/* { map start, map file offset }: how the kernel maps each PT_LOAD
	 * from its page-aligned offset at its page-aligned address. */
	const uint64_t ok[][2] = {
		{ b, 0 },
		{ b + 0x11000, 0x1000 },
		{ b + 0x23000, 0x2000 },
	};
	struct phi_error err = { 0 };
	struct phi_elf e;
	char path[64];
	uint64_t bias;

	(void)state;
	write_elf(path, ET_DYN, handmade_ph, 4);
	assert_int_equal(phi_elf_open(&e, path, &err), 0);
	unlink(path);
	assert_int_equal(e.e_type, ET_DYN);
	assert_false(e.has_symtab);
	for (size_t i = 0; i < 3; i++) {
		bias = 0;
		assert_int_equal(phi_elf_load_bias(&e, ok[i][0], ok[i][1],
						   &bias, &err), 0);
		assert_int_equal(bias, b);
	}
	/* Offsets past every PT_LOAD's file bytes. */
	assert_int_equal(phi_elf_load_bias(&e, b + 0x24000, 0x3000, &bias,
					   &err), -PHI_E_CORRUPT);
	assert_int_equal(err.code, PHI_E_CORRUPT);
	assert_non_null(strstr(err.msg, "0x3000"));
	phi_elf_close(&e);
}

/* Two PT_LOADs sharing the file page 0x2000: a mapping of that page
 * belongs to the second one, which starts on it. */
static const Elf64_Phdr shared_page_ph[] = {
	{ .p_type = PT_LOAD, .p_offset = 0, .p_vaddr = 0, .p_filesz = 0x800,
	  .p_memsz = 0x800 },
	{ .p_type = PT_LOAD, .p_offset = 0x1000, .p_vaddr = 0x1000,
	  .p_filesz = 0x1100, .p_memsz = 0x1100 },
	{ .p_type = PT_LOAD, .p_offset = 0x2d10, .p_vaddr = 0x3d10,
	  .p_filesz = 0x100, .p_memsz = 0x100 },
};

static void test_bias_shared_page(void **state)
{
	const uint64_t b = 0x7f0000000000;
	struct phi_error err = { 0 };
	struct phi_elf e;
	char path[64];
	uint64_t bias = 0;

	(void)state;
	write_elf(path, ET_DYN, shared_page_ph, 3);
	assert_int_equal(phi_elf_open(&e, path, &err), 0);
	unlink(path);
	/* The third segment is mapped from file page 0x2000 at vaddr page
	 * 0x3000. */
	assert_int_equal(phi_elf_load_bias(&e, b + 0x3000, 0x2000, &bias,
					   &err), 0);
	assert_int_equal(bias, b);
	assert_int_equal(phi_elf_load_bias(&e, b + 0x1000, 0x1000, &bias,
					   &err), 0);
	assert_int_equal(bias, b);
	phi_elf_close(&e);
}

static void test_bias_handmade_exec(void **state)
{
	struct phi_error err = { 0 };
	struct phi_elf e;
	char path[64];
	uint64_t bias = 1;

	(void)state;
	write_elf(path, ET_EXEC, handmade_ph, 4);
	assert_int_equal(phi_elf_open(&e, path, &err), 0);
	unlink(path);
	assert_int_equal(e.e_type, ET_EXEC);
	/* A non-PIE executable is mapped where it was linked. */
	assert_int_equal(phi_elf_load_bias(&e, 0x401000, 0x1000, &bias, &err),
			 0);
	assert_int_equal(bias, 0);
	phi_elf_close(&e);
}

/* A hand-made ELF file with a .dynsym and a .symtab (no program
 * headers): the order of the entries is what the tests choose. */
struct hsym {
	const char *name;
	uint64_t value;
	uint16_t shndx;
};

static size_t put_syms(unsigned char *file, size_t off, char *strtab,
		       size_t *strlen_io, const struct hsym *v, size_t n)
{
	Elf64_Sym sym = { 0 };

	memcpy(file + off, &sym, sizeof(sym)); /* entry 0 is null */
	for (size_t i = 0; i < n; i++) {
		sym.st_name = (uint32_t)*strlen_io;
		strcpy(strtab + *strlen_io, v[i].name);
		*strlen_io += strlen(v[i].name) + 1;
		sym.st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT);
		sym.st_shndx = v[i].shndx;
		sym.st_value = v[i].value;
		sym.st_size = 8;
		memcpy(file + off + (i + 1) * sizeof(sym), &sym, sizeof(sym));
	}
	return (n + 1) * sizeof(sym);
}

static void write_elf_syms(char *path, const struct hsym *dyn, size_t ndyn,
			   const struct hsym *tab, size_t ntab)
{
	static const char shstr[] = "\0.dynsym\0.symtab\0.strtab\0.shstrtab";
	enum { SHSTR = 0x40, STR = 0x100, DYN = 0x400, TAB = 0x800,
	       SH = 0xc00, FILE_SIZE = SH + 5 * sizeof(Elf64_Shdr) };
	unsigned char file[FILE_SIZE] = { 0 };
	Elf64_Ehdr eh = { 0 };
	Elf64_Shdr sh[5] = { { 0 } };
	size_t slen = 1;
	int fd;

	assert_true(ndyn < 40 && ntab < 40);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_DYN;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_ehsize = sizeof(eh);
	eh.e_shoff = SH;
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = 5;
	eh.e_shstrndx = 4;
	memcpy(file, &eh, sizeof(eh));
	memcpy(file + SHSTR, shstr, sizeof(shstr));

	sh[1] = (Elf64_Shdr){ .sh_name = 1, .sh_type = SHT_DYNSYM,
			      .sh_offset = DYN, .sh_link = 3, .sh_info = 1,
			      .sh_addralign = 8,
			      .sh_entsize = sizeof(Elf64_Sym) };
	sh[1].sh_size = put_syms(file, DYN, (char *)file + STR, &slen, dyn,
				 ndyn);
	sh[2] = (Elf64_Shdr){ .sh_name = 9, .sh_type = SHT_SYMTAB,
			      .sh_offset = TAB, .sh_link = 3, .sh_info = 1,
			      .sh_addralign = 8,
			      .sh_entsize = sizeof(Elf64_Sym) };
	sh[2].sh_size = put_syms(file, TAB, (char *)file + STR, &slen, tab,
				 ntab);
	assert_true(slen < DYN - STR);
	sh[3] = (Elf64_Shdr){ .sh_name = 17, .sh_type = SHT_STRTAB,
			      .sh_offset = STR, .sh_size = slen,
			      .sh_addralign = 1 };
	sh[4] = (Elf64_Shdr){ .sh_name = 25, .sh_type = SHT_STRTAB,
			      .sh_offset = SHSTR, .sh_size = sizeof(shstr),
			      .sh_addralign = 1 };
	memcpy(file + SH, sh, sizeof(sh));

	strcpy(path, "/tmp/phi-test-elfsym-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, file, sizeof(file)), sizeof(file));
	close(fd);
}

static void test_lookup_handmade_order(void **state)
{
	const struct hsym dyn[] = {
		{ "exact_in_dyn", 0x1000, 1 },
	};
	const struct hsym tab[] = {
		/* suffixed first, exact later: the exact one wins */
		{ "late_exact.0", 0x2000, 1 },
		{ "late_exact", 0x2100, 1 },
		/* exact first, suffixed later: the exact one stays */
		{ "early_exact", 0x3000, 1 },
		{ "early_exact.lto_priv.0", 0x3100, 1 },
		/* only suffixed: the first one */
		{ "only_suffixed.1", 0x4000, 1 },
		{ "only_suffixed.2", 0x4100, 1 },
		/* an exact .dynsym hit is not replaced by a suffixed one */
		{ "exact_in_dyn.0", 0x1100, 1 },
		/* undefined entries and other separators never match */
		{ "undefined", 0x5000, SHN_UNDEF },
		{ "under_score", 0x6000, 1 },
		{ "absolute", 0x7000, SHN_ABS },
	};
	struct phi_sym_query q[] = {
		{ .name = "late_exact" },
		{ .name = "early_exact" },
		{ .name = "only_suffixed" },
		{ .name = "exact_in_dyn" },
		{ .name = "undefined" },
		{ .name = "under" },
		{ .name = "absolute" },
	};
	struct phi_error err = { 0 };
	struct phi_elf e;
	char path[64];

	(void)state;
	write_elf_syms(path, dyn, 1, tab, sizeof(tab) / sizeof(*tab));
	assert_int_equal(phi_elf_open(&e, path, &err), 0);
	unlink(path);
	assert_true(e.has_symtab);
	phi_elf_lookup(&e, q, sizeof(q) / sizeof(*q));
	assert_true(q[0].found);
	assert_int_equal(q[0].value, 0x2100);
	assert_int_equal(q[0].size, 8);
	assert_true(q[1].found);
	assert_int_equal(q[1].value, 0x3000);
	assert_true(q[2].found);
	assert_int_equal(q[2].value, 0x4000);
	assert_true(q[3].found);
	assert_int_equal(q[3].value, 0x1000);
	assert_false(q[4].found);
	assert_false(q[5].found);
	assert_true(q[6].found);
	assert_int_equal(q[6].value, 0x7000);
	phi_elf_close(&e);
}

static void lookup_libc(uint64_t addr, const char *name)
{
	struct phi_maps maps;
	struct phi_error err = { 0 };
	struct object o;
	const struct phi_map *m;
	struct phi_sym_query q = { .name = name };
	const char *base;
	char path[PATH_MAX];

	assert_int_equal(phi_maps_read(getpid(), &maps, &err), 0);
	m = phi_maps_find(&maps, addr);
	assert_non_null(m);
	assert_true(m->perms & PHI_MAP_X);
	snprintf(path, sizeof(path), "%s", m->path);
	phi_maps_release(&maps);
	base = strrchr(path, '/');
	assert_non_null(base);
	if (strncmp(base, "/libc.so", 8) != 0 && strncmp(base, "/libc-", 6))
		fail_msg("%s is in '%s', not in libc", name, path);

	object_open(&o, path);
	phi_elf_lookup(&o.elf, &q, 1);
	assert_true(q.found);
	assert_true(q.size > 0);
	assert_int_equal(q.value + o.bias, addr);
	object_close(&o);
}

static void test_libc_getpid(void **state)
{
	pid_t (*volatile fn)(void) = getpid;

	(void)state;
	assert_int_equal(fn(), getpid());
	lookup_libc((uint64_t)(uintptr_t)fn, "getpid");
}

/* A libc data-free function no sanitizer intercepts (ASan replaces
 * strtol, malloc and the like with its own). */
static void test_libc_version(void **state)
{
	const char *(*volatile fn)(void) = gnu_get_libc_version;

	(void)state;
	assert_non_null(strchr(fn(), '.'));
	lookup_libc((uint64_t)(uintptr_t)fn, "gnu_get_libc_version");
}

static void test_suffix_match(void **state)
{
	struct object o;
	struct phi_sym_query q[] = {
		{ .name = "phi_test_counter" },
		{ .name = "phi_test_dual" },
		/* A prefix of a name is not a match. */
		{ .name = "phi_test_marker" },
		{ .name = "phi_test_no_such_symbol" },
	};

	(void)state;
	self_open(&o);
	q[3].found = true; /* must be reset */
	phi_elf_lookup(&o.elf, q, 4);
	assert_true(q[0].found);
	assert_int_equal(q[0].value + o.bias,
			 (uint64_t)(uintptr_t)counter_address());
	assert_int_equal(q[0].size, sizeof(int));
	assert_int_equal(*counter_address(), 7);
	assert_true(q[1].found);
	assert_int_equal(q[1].value + o.bias,
			 (uint64_t)(uintptr_t)&phi_test_dual);
	assert_int_not_equal(q[1].value + o.bias,
			     (uint64_t)(uintptr_t)dual_local_address());
	assert_false(q[2].found);
	assert_false(q[3].found);
	object_close(&o);
}

static void test_open_not_elf(void **state)
{
	struct phi_elf e;
	struct phi_error err = { 0 };

	(void)state;
	assert_int_equal(phi_elf_open(&e, "/etc/passwd", &err),
			 -PHI_E_CORRUPT);
	assert_int_equal(err.code, PHI_E_CORRUPT);
	assert_non_null(strstr(err.msg, "/etc/passwd"));
	assert_int_equal(e.fd, -1);
	assert_null(e.elf);
	phi_elf_close(&e); /* harmless after a failed open */
}

static void test_open_missing(void **state)
{
	struct phi_elf e;
	struct phi_error err = { 0 };
	int rc;

	(void)state;
	rc = phi_elf_open(&e, "/nonexistent/phi-test/libnothing.so", &err);
	assert_true(rc < 0);
	assert_int_equal(rc, -(int)err.code);
	assert_int_equal(err.code, PHI_E_IO);
	assert_non_null(strstr(err.msg, "No such file"));
	assert_int_equal(e.fd, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self_function_and_variable),
		cmocka_unit_test(test_self_bias_from_other_mappings),
		cmocka_unit_test(test_self_segments_and_sections),
		cmocka_unit_test(test_bias_handmade_dyn),
		cmocka_unit_test(test_bias_handmade_exec),
		cmocka_unit_test(test_bias_shared_page),
		cmocka_unit_test(test_lookup_handmade_order),
		cmocka_unit_test(test_libc_getpid),
		cmocka_unit_test(test_libc_version),
		cmocka_unit_test(test_suffix_match),
		cmocka_unit_test(test_open_not_elf),
		cmocka_unit_test(test_open_missing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
