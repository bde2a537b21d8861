/* Symbols and load bias of one mapped ELF object, with libelf. */
#ifndef PYHEAPINSPECT_ELFSYM_H
#define PYHEAPINSPECT_ELFSYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pyheapinspect/base/error.h"

struct phi_elf {
	int fd;
	void *elf;         /* Elf *, kept opaque so callers need no gelf.h */
	uint16_t e_type;   /* ET_EXEC or ET_DYN */
	bool has_symtab;
};

/* One wanted symbol.  A name matches exactly, or followed by a '.' suffix
 * that compilers add to statics ("version.0", "arenas.lto_priv.0"). */
struct phi_sym_query {
	const char *name;
	uint64_t value; /* out: st_value, not relocated */
	uint64_t size;  /* out: st_size */
	bool found;     /* out */
	bool exact;     /* out: the name matched without a suffix */
};

int phi_elf_open(struct phi_elf *e, const char *path, struct phi_error *err);
void phi_elf_close(struct phi_elf *e);

/* Look up defined symbols: .dynsym first, then .symtab for the rest. */
void phi_elf_lookup(struct phi_elf *e, struct phi_sym_query *q, size_t n);

/* Load bias of the object given one of its mappings (start address and
 * file offset): runtime address = st_value + bias.  -PHI_E_CORRUPT when no
 * PT_LOAD covers that file offset. */
int phi_elf_load_bias(struct phi_elf *e, uint64_t map_start,
		      uint64_t map_offset, uint64_t *bias,
		      struct phi_error *err);

/* The end of the last PT_LOAD in memory (p_vaddr + p_memsz, not
 * relocated): where the object's .bss ends.  -1 without PT_LOAD. */
int phi_elf_load_end(struct phi_elf *e, uint64_t *end);

/* The GOT slots through which the object reaches its own initial-exec
 * TLS variables: R_X86_64_TPOFF64 relocations without a symbol (the
 * addend is the variable's offset in the object's TLS block; ld.so
 * writes its offset from the thread pointer into the slot).  At most
 * max, not relocated; returns how many. */
size_t phi_elf_tpoff_slots(struct phi_elf *e, uint64_t *slot, int64_t *addend,
			   size_t max);

#endif
