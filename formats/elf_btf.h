/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * elf_btf: the BTF-related sections of an ELF image in memory (libelf):
 * .BTF, .BTF.base, .BTF.ext, .modinfo (name, vermagic) and .note.gnu.build-id,
 * with structural checks on the section table.
 */
#ifndef BTFAR_FORMATS_ELF_BTF_H
#define BTFAR_FORMATS_ELF_BTF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct elf_btf {
	const void
		*btf; /* .BTF contents, points into the image; NULL if none */
	size_t btf_sz;
	const void *btf_base; /* .BTF.base (distilled base), NULL if none */
	size_t btf_base_sz;
	const void *btf_ext; /* .BTF.ext (BPF objects), NULL if none */
	size_t btf_ext_sz;
	char name[64];	      /* .modinfo name=, "" if none */
	char vermagic[256];   /* .modinfo vermagic=, "" if none */
	uint8_t build_id[64]; /* .note.gnu.build-id descriptor */
	size_t build_id_sz;   /* 0 if none */
	int elf_class;	      /* ELFCLASS32 or ELFCLASS64 */
	int elf_data;	      /* ELFDATA2LSB or ELFDATA2MSB */
	uint16_t machine;     /* e_machine */
};

/* Returns true if data starts with the ELF magic. */
bool elf_btf__is_elf(const void *data, size_t size);

/*
 * Reads the sections of the ELF image (borrowed; must outlive out).
 * Checks: every section inside the file, no two sections with file contents
 * overlapping, .BTF / .BTF.base / .BTF.ext of type PROGBITS and present at most
 * once, .modinfo and notes well formed. Returns 0, -ENOENT when the image is
 * sound but has no .BTF (d says so; the other fields are still filled, for the
 * report), or -EINVAL with d naming the section and offset. Thread-safe.
 */
int elf_btf__read(const void *image, size_t size, struct elf_btf *out,
		  struct diag *d);

/*
 * Writes a copy of a relocatable ELF image (a module: ET_REL, no program
 * headers) with the contents of .BTF replaced by btf and .BTF.base, if any,
 * removed, into a malloc()ed *out. libelf lays the file out (section
 * offsets follow the new .BTF size; ELF_F_LAYOUT is not set); every other
 * section keeps its header fields and its bytes, except that section
 * indices after a removed .BTF.base (sh_link, sh_info, symbols' st_shndx,
 * SHT_GROUP and SHT_SYMTAB_SHNDX entries, e_shstrndx) move down by one.
 * The result is read back and checked: .BTF holds btf, no .BTF.base, every
 * other section's bytes unchanged. Returns 0 or -errno with d set (-ENOENT:
 * no .BTF; -EINVAL: not such an image, or something refers to .BTF.base).
 * Thread-safe.
 */
int elf_btf__replace_btf(const void *image, size_t size, const void *btf,
			 size_t btf_sz, void **out, size_t *out_sz,
			 struct diag *d);

#endif /* BTFAR_FORMATS_ELF_BTF_H */
