/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_elf_btf: elf_btf__read on an ELF image, then the .BTF it found
 * parsed as standalone raw BTF (a module's is split: that fails, normally).
 */
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "formats/btf_raw.h"
#include "formats/elf_btf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_btf eb;
	struct btf_raw raw;
	struct diag d;
	void *copy;

	/* libelf may want the image aligned: give it its own buffer, sized
	 * exactly so that ASan sees any read past the end */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	(void)elf_btf__is_elf(copy, size);
	if (elf_btf__read(copy, size, &eb, &d) == 0 && eb.btf) {
		/* .BTF may sit at any file offset (sh_addralign 1 in a gcc
		 * -c + pahole -J object) and btf_raw__parse() reads it as
		 * u32s: parse a malloc()ed copy, as the module path does */
		void *btf = malloc(eb.btf_sz ? eb.btf_sz : 1);

		if (btf) {
			memcpy(btf, eb.btf, eb.btf_sz);
			if (btf_raw__parse(&raw, btf, eb.btf_sz, NULL, &d) == 0)
				btf_raw__release(&raw);
			free(btf);
		}
	}
	free(copy);
	return 0;
}
