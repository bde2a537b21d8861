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
	bool has_debug_info; /* a .debug_info section (DWARF) */
};

/* Build-ids longer than this (in bytes) are refused: GNU ld writes 20
 * (sha1), 16 (md5) or 8 (xxhash); hex text needs twice as many chars. */
#define PHI_BUILD_ID_MAX 64
#define PHI_BUILD_ID_HEX (2 * PHI_BUILD_ID_MAX + 1)

/* One PT_LOAD segment, as linked (add the load bias for addresses). */
struct phi_elf_segment {
	uint64_t vaddr, memsz;
	unsigned flags; /* PF_R, PF_W, PF_X */
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

/* The NT_GNU_BUILD_ID note as lowercase hex (cap >= PHI_BUILD_ID_HEX),
 * from the file's SHT_NOTE sections or, without section headers, its
 * PT_NOTE segments.  False when there is none. */
bool phi_elf_build_id(struct phi_elf *e, char *hex, size_t cap);

/* The same from raw note records (a PT_NOTE segment read from a
 * process's memory): every length is checked against len. */
bool phi_notes_build_id(const void *notes, size_t len, char *hex,
			size_t cap);

/* .gnu_debuglink: the debug file's base name (never a path: a name with
 * a '/' is refused) and the CRC-32 stored after it.  False when absent
 * or malformed. */
bool phi_elf_debuglink(struct phi_elf *e, char *name, size_t cap,
		       uint32_t *crc);

/* The section called name (".bss", ".PyRuntime"): its linked address and
 * size.  False when the file has no such section (or no section
 * headers). */
bool phi_elf_section(struct phi_elf *e, const char *name, uint64_t *addr,
		     uint64_t *size);

/* Up to max PT_LOAD segments, in file order; returns how many. */
size_t phi_elf_segments(struct phi_elf *e, struct phi_elf_segment *out,
			size_t max);

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
