/* libelf access to a mapped object: symbol tables and program headers. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <unistd.h>

#include "pyheapinspect/debuginfo/elfsym.h"

int phi_elf_open(struct phi_elf *e, const char *path, struct phi_error *err)
{
	GElf_Ehdr eh;
	Elf *elf;

	memset(e, 0, sizeof(*e));
	e->fd = -1;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return phi_error_set(err, PHI_E_INTERNAL,
				     "libelf is too old for this ELF version");
	e->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (e->fd < 0)
		return phi_error_set(err, (errno == EACCES || errno == EPERM) ?
				     PHI_E_PERMISSION :
				     PHI_E_IO, "cannot open '%s': %s", path,
				     strerror(errno));
	elf = elf_begin(e->fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		if (elf)
			elf_end(elf);
		close(e->fd);
		e->fd = -1;
		return phi_error_set(err, PHI_E_CORRUPT,
				     "'%s' is not a readable ELF file", path);
	}
	e->elf = elf;
	e->e_type = eh.e_type;
	for (Elf_Scn *s = NULL; (s = elf_nextscn(elf, s)) != NULL;) {
		GElf_Shdr sh;

		if (gelf_getshdr(s, &sh) && sh.sh_type == SHT_SYMTAB)
			e->has_symtab = true;
	}
	e->has_debug_info = phi_elf_section(e, ".debug_info", NULL, NULL);
	return 0;
}

void phi_elf_close(struct phi_elf *e)
{
	if (e->elf)
		elf_end(e->elf);
	if (e->fd >= 0)
		close(e->fd);
	e->elf = NULL;
	e->fd = -1;
}

static bool name_matches(const char *sym, const char *want)
{
	size_t n = strlen(want);

	return strncmp(sym, want, n) == 0 &&
	       (sym[n] == '\0' || sym[n] == '.');
}

static void scan_table(Elf *elf, Elf_Scn *scn, const GElf_Shdr *sh,
		       struct phi_sym_query *q, size_t nq)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t count;

	if (!data || sh->sh_entsize == 0)
		return;
	count = sh->sh_size / sh->sh_entsize;
	for (size_t i = 0; i < count; i++) {
		GElf_Sym sym;
		const char *name;

		if (!gelf_getsym(data, (int)i, &sym) ||
		    sym.st_shndx == SHN_UNDEF || sym.st_name == 0)
			continue;
		name = elf_strptr(elf, sh->sh_link, sym.st_name);
		if (!name)
			continue;
		for (size_t k = 0; k < nq; k++) {
			/* The first exact name wins; an exact name beats a
			 * suffixed one found before it. */
			bool exact = strcmp(name, q[k].name) == 0;

			if ((q[k].found && (q[k].exact || !exact)) ||
			    !name_matches(name, q[k].name))
				continue;
			q[k].value = sym.st_value;
			q[k].size = sym.st_size;
			q[k].found = true;
			q[k].exact = exact;
		}
	}
}

void phi_elf_lookup(struct phi_elf *e, struct phi_sym_query *q, size_t n)
{
	static const unsigned order[] = { SHT_DYNSYM, SHT_SYMTAB };

	for (size_t k = 0; k < n; k++)
		q[k].found = q[k].exact = false;
	for (size_t o = 0; o < 2; o++) {
		for (Elf_Scn *s = NULL; (s = elf_nextscn(e->elf, s)) != NULL;) {
			GElf_Shdr sh;

			if (gelf_getshdr(s, &sh) && sh.sh_type == order[o])
				scan_table(e->elf, s, &sh, q, n);
		}
	}
}

int phi_elf_load_bias(struct phi_elf *e, uint64_t map_start,
		      uint64_t map_offset, uint64_t *bias,
		      struct phi_error *err)
{
	size_t nph;

	if (e->e_type == ET_EXEC) {
		*bias = 0;
		return 0;
	}
	if (elf_getphdrnum(e->elf, &nph) != 0)
		return phi_error_set(err, PHI_E_CORRUPT,
				     "ELF file has no program headers");
	bool found = false;
	uint64_t best_page = 0;

	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		uint64_t page_off;

		if (!gelf_getphdr(e->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		/* The kernel maps each segment from its page-aligned file
		 * offset.  Two segments can share a file page; a mapping
		 * there belongs to the one that starts on it. */
		page_off = ph.p_offset & ~(uint64_t)0xfff;
		if (map_offset < page_off ||
		    map_offset >= ph.p_offset + (ph.p_filesz ? ph.p_filesz : 1) ||
		    (found && page_off < best_page))
			continue;
		*bias = map_start - map_offset - (ph.p_vaddr - ph.p_offset);
		best_page = page_off;
		found = true;
	}
	if (found)
		return 0;
	return phi_error_set(err, PHI_E_CORRUPT,
			     "no PT_LOAD segment covers file offset 0x%llx",
			     (unsigned long long)map_offset);
}

/* ---- build-id, debuglink, sections, segments ------------------------- */

static void to_hex(const unsigned char *p, size_t n, char *hex)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = digits[p[i] >> 4];
		hex[2 * i + 1] = digits[p[i] & 15];
	}
	hex[2 * n] = '\0';
}

static size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

bool phi_notes_build_id(const void *notes, size_t len, char *hex,
			size_t cap)
{
	const unsigned char *p = notes;
	size_t off = 0;

	/* Elf64_Nhdr and Elf32_Nhdr are the same three 4-byte words. */
	while (len >= 12 && off <= len - 12) {
		uint32_t namesz, descsz, type;
		size_t name_end, desc_end;

		memcpy(&namesz, p + off, 4);
		memcpy(&descsz, p + off + 4, 4);
		memcpy(&type, p + off + 8, 4);
		if (namesz > len || descsz > len)
			return false;
		name_end = off + 12 + align4(namesz);
		if (name_end > len || descsz > len - name_end)
			return false;
		/* the last note's padding may be cut */
		desc_end = name_end + align4(descsz);
		if (type == NT_GNU_BUILD_ID && namesz == 4 &&
		    memcmp(p + off + 12, "GNU", 4) == 0 && descsz >= 2 &&
		    descsz <= PHI_BUILD_ID_MAX && 2 * (size_t)descsz < cap) {
			to_hex(p + name_end, descsz, hex);
			return true;
		}
		off = desc_end;
	}
	return false;
}

bool phi_elf_build_id(struct phi_elf *e, char *hex, size_t cap)
{
	Elf *elf = e->elf;
	const char *img;
	size_t nph, flen;

	for (Elf_Scn *s = NULL; (s = elf_nextscn(elf, s)) != NULL;) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(s, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		d = elf_rawdata(s, NULL);
		if (d && d->d_buf &&
		    phi_notes_build_id(d->d_buf, d->d_size, hex, cap))
			return true;
	}
	/* sstrip and the like leave no section headers: the segments. */
	img = elf_rawfile(elf, &flen);
	if (!img || elf_getphdrnum(elf, &nph) != 0)
		return false;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_NOTE ||
		    ph.p_offset > flen || ph.p_filesz > flen - ph.p_offset)
			continue;
		if (phi_notes_build_id(img + ph.p_offset, ph.p_filesz, hex,
				       cap))
			return true;
	}
	return false;
}

static Elf_Scn *section_named(Elf *elf, const char *name, GElf_Shdr *sh)
{
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return NULL;
	for (Elf_Scn *s = NULL; (s = elf_nextscn(elf, s)) != NULL;) {
		const char *n;

		if (!gelf_getshdr(s, sh))
			continue;
		n = elf_strptr(elf, shstrndx, sh->sh_name);
		if (n && strcmp(n, name) == 0)
			return s;
	}
	return NULL;
}

bool phi_elf_section(struct phi_elf *e, const char *name, uint64_t *addr,
		     uint64_t *size)
{
	GElf_Shdr sh;

	if (!section_named(e->elf, name, &sh))
		return false;
	if (addr)
		*addr = sh.sh_addr;
	if (size)
		*size = sh.sh_size;
	return true;
}

bool phi_elf_debuglink(struct phi_elf *e, char *name, size_t cap,
		       uint32_t *crc)
{
	GElf_Shdr sh;
	Elf_Scn *s = section_named(e->elf, ".gnu_debuglink", &sh);
	Elf_Data *d = s ? elf_rawdata(s, NULL) : NULL;
	size_t len, crc_off;

	if (!d || !d->d_buf || sh.sh_type == SHT_NOBITS)
		return false;
	len = strnlen(d->d_buf, d->d_size);
	/* name, NUL, padding to 4, then the CRC (in the file's byte order,
	 * little-endian on x86-64) */
	crc_off = align4(len + 1);
	if (len == 0 || len >= cap || crc_off + 4 > d->d_size ||
	    memchr(d->d_buf, '/', len) || strcmp(d->d_buf, ".") == 0 ||
	    strcmp(d->d_buf, "..") == 0)
		return false;
	memcpy(name, d->d_buf, len + 1);
	memcpy(crc, (const char *)d->d_buf + crc_off, 4);
	return true;
}

size_t phi_elf_segments(struct phi_elf *e, struct phi_elf_segment *out,
			size_t max)
{
	size_t nph, n = 0;

	if (elf_getphdrnum(e->elf, &nph) != 0)
		return 0;
	for (size_t i = 0; i < nph && n < max; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		out[n++] = (struct phi_elf_segment){ ph.p_vaddr, ph.p_memsz,
						     ph.p_flags };
	}
	return n;
}

int phi_elf_load_end(struct phi_elf *e, uint64_t *end)
{
	size_t nph;

	*end = 0;
	if (elf_getphdrnum(e->elf, &nph) != 0)
		return -1;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(e->elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
		    ph.p_vaddr + ph.p_memsz > *end)
			*end = ph.p_vaddr + ph.p_memsz;
	}
	return *end ? 0 : -1;
}

size_t phi_elf_tpoff_slots(struct phi_elf *e, uint64_t *slot, int64_t *addend,
			   size_t max)
{
	size_t n = 0;

	for (Elf_Scn *s = NULL; (s = elf_nextscn(e->elf, s)) != NULL;) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(s, &sh) || sh.sh_type != SHT_RELA ||
		    !sh.sh_entsize || !(d = elf_getdata(s, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize && n < max;
		     i++) {
			GElf_Rela r;

			if (!gelf_getrela(d, (int)i, &r) ||
			    GELF_R_TYPE(r.r_info) != R_X86_64_TPOFF64 ||
			    GELF_R_SYM(r.r_info) != 0)
				continue;
			slot[n] = r.r_offset;
			addend[n++] = r.r_addend;
		}
	}
	return n;
}
