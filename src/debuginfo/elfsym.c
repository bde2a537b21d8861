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
