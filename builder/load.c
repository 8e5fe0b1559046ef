// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * load: the inputs every pipeline reads the same way (builder/job.h): a
 * base (vmlinux ELF, kernel image or raw BTF) and a module file
 * (compressed or not, ELF or raw split BTF), for merge, build, verify and
 * check.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder/job.h"
#include "formats/btf_raw.h"
#include "formats/decomp.h"
#include "formats/elf_btf.h"
#include "formats/file.h"
#include "formats/kimage.h"

int job_load_base_release(const char *path, void **file, size_t *file_sz,
			  struct elf_btf *elf, bool *is_elf,
			  struct btf_raw *base, char *release,
			  size_t release_sz, struct diag *d)
{
	const void *btf;
	size_t btf_sz;
	int err;

	err = file_read_all(path, 0, file, file_sz, d);
	if (err)
		return err;
	*is_elf = elf_btf__is_elf(*file, *file_sz);
	if (*is_elf) {
		void *copy;

		err = elf_btf__read(*file, *file_sz, elf, d);
		if (err)
			return err;
		if (release)
			kimage_banner_release(*file, *file_sz, release,
					      release_sz);
		/* .BTF may sit at any file offset: its records are read as
		 * u32s, so the base is kept in an aligned copy, as modules
		 * are; the ELF's bytes are not needed past this point */
		copy = malloc(elf->btf_sz ? elf->btf_sz : 1);
		if (!copy) {
			diag_set(d, "out of memory");
			return -ENOMEM;
		}
		memcpy(copy, elf->btf, elf->btf_sz);
		free(*file);
		*file = copy;
		*file_sz = elf->btf_sz;
		elf->btf = NULL;
		elf->btf_base = NULL;
		btf = *file;
		btf_sz = *file_sz;
	} else if (*file_sz >= 2 && ((const uint8_t *)*file)[0] == 0x9f &&
		   ((const uint8_t *)*file)[1] == 0xeb) {
		btf = *file;
		btf_sz = *file_sz;
		if (release)
			release[0] = '\0';
	} else {
		/* a kernel image (vmlinuz, Image): its vmlinux BTF replaces
		 * the file's bytes */
		struct decomp_caps caps = {.max_out = 1ull << 31,
					   .max_ratio = 1000};
		struct kimage k = {0};

		err = kimage_find_btf(*file, *file_sz, &caps, &k, d);
		if (err)
			return err;
		if (release)
			snprintf(release, release_sz, "%s", k.release);
		free(*file);
		*file = k.btf;
		*file_sz = k.btf_sz;
		k.btf = NULL;
		kimage_release(&k);
		btf = *file;
		btf_sz = *file_sz;
	}
	err = btf_raw__parse(base, btf, btf_sz, NULL, d);
	if (err && *is_elf)
		diag_prefix(d, ".BTF: ");
	return err;
}

int job_load_base(const char *path, void **file, size_t *file_sz,
		  struct elf_btf *elf, bool *is_elf, struct btf_raw *base,
		  struct diag *d)
{
	return job_load_base_release(path, file, file_sz, elf, is_elf, base,
				     NULL, 0, d);
}

/*
 * Reads one module file into its split BTF: decompress, ELF, validate.
 * Used by merge and verify alike.
 */
int job_extract_module(const void *file, size_t file_sz,
		       const struct elf_btf *base_elf, uint64_t max_bytes,
		       uint64_t max_ratio, struct job_module *out,
		       struct diag *d)
{
	struct decomp_caps caps = {.max_out = max_bytes,
				   .max_ratio = max_ratio};
	void *image = NULL;
	const void *img = file, *src;
	size_t image_sz = 0, img_sz = file_sz, src_sz, base_sz;
	enum decomp_kind kind;
	struct elf_btf elf = {0};
	int err;

	memset(out, 0, sizeof(*out));
	kind = decomp_detect(file, file_sz);
	if (kind != DECOMP_NONE) {
		err = decomp_all(kind, file, file_sz, &caps, &image, &image_sz,
				 d);
		if (err)
			goto out;
		img = image;
		img_sz = image_sz;
	}
	if (elf_btf__is_elf(img, img_sz)) {
		err = elf_btf__read(img, img_sz, &elf, d);
		if (!err || err == -ENOENT) {
			memcpy(out->build_id, elf.build_id, elf.build_id_sz);
			out->build_id_sz = elf.build_id_sz;
		}
		if (err)
			goto out;
		if (base_elf && (elf.elf_class != base_elf->elf_class ||
				 elf.elf_data != base_elf->elf_data)) {
			diag_set(d,
				 "ELF class %d / byte order %d differ from "
				 "the base's %d / %d",
				 elf.elf_class, elf.elf_data,
				 base_elf->elf_class, base_elf->elf_data);
			err = -EINVAL;
			goto out;
		}
		snprintf(out->name, sizeof(out->name), "%s", elf.name);
		snprintf(out->vermagic, sizeof(out->vermagic), "%s",
			 elf.vermagic);
		src = elf.btf;
		src_sz = elf.btf_sz;
	} else if (img_sz >= 2 && ((((const uint8_t *)img)[0] == 0x9f &&
				    ((const uint8_t *)img)[1] == 0xeb) ||
				   (((const uint8_t *)img)[0] == 0xeb &&
				    ((const uint8_t *)img)[1] == 0x9f))) {
		/* raw split BTF (the other byte order: the validator
		 * refuses it by name) */
		src = img;
		src_sz = img_sz;
	} else {
		diag_set(d, "neither an ELF module nor raw BTF");
		err = -EINVAL;
		goto out;
	}
	/* a .BTF.base follows .BTF in the same (aligned) allocation */
	base_sz = src == elf.btf && elf.btf_base ? elf.btf_base_sz : 0;
	out->btf = malloc(((src_sz + 7) & ~(size_t)7) + base_sz + 1);
	if (!out->btf) {
		diag_set(d, "out of memory");
		err = -ENOMEM;
		goto out;
	}
	memcpy(out->btf, src, src_sz);
	out->btf_sz = src_sz;
	if (base_sz) {
		out->btf_base = (char *)out->btf + ((src_sz + 7) & ~(size_t)7);
		memcpy((void *)out->btf_base, elf.btf_base, base_sz);
		out->btf_base_sz = base_sz;
	}
	err = 0;
out:
	free(image);
	return err;
}

int job_read_module(const char *path, const struct elf_btf *base_elf,
		    uint64_t max_bytes, uint64_t max_ratio,
		    struct job_module *out, uint64_t *bytes_read,
		    struct diag *d)
{
	void *file = NULL;
	size_t file_sz = 0;
	int err;

	memset(out, 0, sizeof(*out));
	err = file_read_all(path, max_bytes, &file, &file_sz, d);
	if (err)
		return err;
	*bytes_read = file_sz;
	err = job_extract_module(file, file_sz, base_elf, max_bytes, max_ratio,
				 out, d);
	free(file);
	return err;
}
