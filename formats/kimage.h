/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * kimage: the vmlinux BTF in whatever a kernel package carries, in memory: a
 * vmlinux ELF (.BTF), an x86 bzImage (compressed payload -> vmlinux ELF), a
 * raw Image (arm64, riscv: no ELF, the BTF is found by scanning for a header
 * that fully validates), a compressed Image (Image.gz, EFI zboot) or a
 * standalone raw BTF file.
 */
#ifndef BTFAR_FORMATS_KIMAGE_H
#define BTFAR_FORMATS_KIMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "decomp.h"
#include "diag.h"

enum kimage_source {
	KIMAGE_ELF,	   /* .BTF of a vmlinux ELF */
	KIMAGE_BZIMAGE,	   /* .BTF of the ELF in a bzImage payload */
	KIMAGE_IMAGE_SCAN, /* scan of a raw (or decompressed) Image */
	KIMAGE_RAW_BTF,	   /* the input is raw BTF */
};

struct kimage {
	void *btf; /* malloc()ed copy of the vmlinux BTF, caller frees */
	size_t btf_sz;
	enum kimage_source source;
	/* payload compression for bzImage / Image.gz / zboot: "zstd", "xz",
	 * "gzip", "lzma", "bzip2", "lz4", "lzo", or "" */
	char compression[16];
	char release[128]; /* from the "Linux version X " banner, or "" */
	/* "x86_64", "aarch64", ... from ELF e_machine, else from the image
	 * type ("x86" for a bzImage, "aarch64" for an arm64 Image header) */
	char arch[16];
	uint8_t build_id[64]; /* ELF build-id when the image is/has an ELF */
	size_t build_id_sz;
	uint64_t btf_offset; /* offset of the BTF in the (decompressed) image */
	unsigned int scan_valid; /* scan: headers that validated (the
				    largest was taken) */
};

/* The arch name of an ELF e_machine ("x86_64", "aarch64", ...; "" if
 * unknown), as struct kimage says it. */
const char *kimage_elf_arch(uint16_t machine, int elf_data);

/* The GNU build-id of an ELF image from any SHT_NOTE section (a vmlinux
 * keeps it in .notes) into out; its size, 0 if none. The section table
 * must have been checked (elf_btf__read). */
size_t kimage_elf_build_id(const void *img, size_t sz, uint8_t out[64]);

/* "vmlinux ELF", "bzImage", "Image (scan)", "raw BTF". */
const char *kimage_source_str(enum kimage_source s);

/*
 * Finds the vmlinux BTF in data (a vmlinux ELF, a bzImage vmlinuz, a raw
 * arm64 Image, an Image.gz or other compressed image, an EFI zboot image, or
 * raw BTF), borrowed. caps bound every decompression (NULL: no caps).
 * Returns 0 with out filled (the caller frees it with kimage_release()),
 * -ENOENT when no BTF is found (d says what was tried), or another negative
 * errno with d set (-EINVAL corrupt input, -EFBIG over a cap, -ENOMEM). On
 * success d may hold a note (several valid BTF headers in a scan), else "".
 * Thread-safe.
 */
int kimage_find_btf(const void *data, size_t size,
		    const struct decomp_caps *caps, struct kimage *out,
		    struct diag *d);

/* Frees k->btf and clears k; k may be NULL. */
void kimage_release(struct kimage *k);
/* The release in the first "Linux version X" banner of an (uncompressed)
 * image or vmlinux ELF, "" if none. */
void kimage_banner_release(const void *img, size_t sz, char *out,
			   size_t out_sz);

#endif /* BTFAR_FORMATS_KIMAGE_H */
