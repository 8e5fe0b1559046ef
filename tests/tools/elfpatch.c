// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * elfpatch: applies one named corruption to the section headers of a
 * 64-bit little-endian ELF relocatable file, for the fixture tests of the
 * bad-input class 5 (docs/BAD-INPUT.md).
 *
 *   elfpatch btf-past-end IN OUT
 *
 * btf-past-end moves the .BTF section's sh_offset past the end of the file
 * and prints "INDEX OFFSET SIZE FILESIZE" of that section after the change.
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *msg, const char *arg)
{
	fprintf(stderr, "elfpatch: %s %s\n", msg, arg);
	exit(1);
}

int main(int argc, char **argv)
{
	Elf64_Ehdr *eh;
	Elf64_Shdr *sh;
	const char *names;
	uint8_t *p;
	size_t sz, i;
	FILE *f;
	long n;

	if (argc != 4 || strcmp(argv[1], "btf-past-end")) {
		fprintf(stderr, "usage: elfpatch btf-past-end IN OUT\n");
		return 2;
	}
	f = fopen(argv[2], "rb");
	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0)
		die("cannot read", argv[2]);
	rewind(f);
	sz = (size_t)n;
	p = malloc(sz);
	if (!p || fread(p, 1, sz, f) != sz)
		die("cannot read", argv[2]);
	fclose(f);

	eh = (Elf64_Ehdr *)p;
	if (sz < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(*sh) > sz ||
	    eh->e_shstrndx >= eh->e_shnum)
		die("not a 64-bit little-endian ELF file:", argv[2]);
	sh = (Elf64_Shdr *)(p + eh->e_shoff);
	names = (const char *)p + sh[eh->e_shstrndx].sh_offset;
	for (i = 0; i < eh->e_shnum; i++) {
		if (strcmp(names + sh[i].sh_name, ".BTF"))
			continue;
		sh[i].sh_offset = sz + 4096;
		printf("%zu %llu %llu %zu\n", i,
		       (unsigned long long)sh[i].sh_offset,
		       (unsigned long long)sh[i].sh_size, sz);
		break;
	}
	if (i == eh->e_shnum)
		die("no .BTF section in", argv[2]);

	f = fopen(argv[3], "wb");
	if (!f || fwrite(p, 1, sz, f) != sz || fclose(f))
		die("cannot write", argv[3]);
	free(p);
	return 0;
}
