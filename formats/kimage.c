// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kimage: finding the vmlinux BTF in a kernel image.
 *
 * By the first bytes of the input:
 *   BTF magic            raw BTF: validated whole, copied;
 *   ELF magic            vmlinux: its .BTF, copied;
 *   "HdrS" at 0x202      x86 bzImage: the payload named by the setup header
 *                        (payload_offset / payload_length, boot protocol
 *                        2.08+, relative to the protected-mode code at
 *                        (setup_sects + 1) * 512) is decompressed up to the
 *                        end of its stream (a 4-byte size and padding
 *                        follow); without usable fields, the bytes after the
 *                        setup code are searched for compression magics, as
 *                        scripts/extract-vmlinux does, until one decodes to
 *                        an ELF. The payload is the vmlinux ELF;
 *   "zimg" at 4          EFI zboot: the payload named by its header is
 *                        decompressed, then read as an Image;
 *   a compression magic  Image.gz and the like: decompressed, then read as
 *                        an ELF or an Image;
 *   anything else        a raw Image: scanned.
 *
 * The scan looks for the BTF header bytes 9f eb 01 00 (magic, version 1,
 * flags 0, little endian) with hdr_len 24 (32 with a layout section) and
 * sections that fit in the image, and accepts a candidate only when
 * btf_raw__parse() validates it whole. If several do, the largest wins and the
 * note says so.
 *
 * The release is the token after the first "Linux version " banner of the
 * (decompressed) image, else a bzImage's kernel_version string.
 */
#include "kimage.h"

#include <elf.h>
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btf_raw.h"
#include "elf_btf.h"
#include "le.h"

/* bzImage setup header fields (Documentation/arch/x86/boot.rst) */
#define BZ_SETUP_SECTS	  0x1f1
#define BZ_HDRS		  0x202
#define BZ_VERSION	  0x206
#define BZ_KERNEL_VERSION 0x20e
#define BZ_PAYLOAD_OFFSET 0x248
#define BZ_PAYLOAD_LENGTH 0x24c
#define BZ_HDR_END	  0x250

/* arm64 / riscv Image headers (Documentation/arch/arm64/booting.rst) */
#define ARM64_MAGIC_OFF 0x38
#define RISCV_MAGIC_OFF 0x34

/* Tried compression magics per format in a bzImage fallback search. */
#define SEARCH_TRIES 16

static const uint8_t btf_magic[4] = {0x9f, 0xeb, 0x01, 0x00};

const char *kimage_source_str(enum kimage_source s)
{
	switch (s) {
	case KIMAGE_ELF:
		return "vmlinux ELF";
	case KIMAGE_BZIMAGE:
		return "bzImage";
	case KIMAGE_IMAGE_SCAN:
		return "Image (scan)";
	case KIMAGE_RAW_BTF:
		return "raw BTF";
	}
	return "unknown";
}

void kimage_release(struct kimage *k)
{
	if (!k)
		return;
	free(k->btf);
	memset(k, 0, sizeof(*k));
}

static void set_str(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src);
}

static const char *elf_arch(uint16_t machine, int elf_data)
{
	switch (machine) {
	case EM_X86_64:
		return "x86_64";
	case EM_386:
		return "i386";
	case EM_AARCH64:
		return "aarch64";
	case EM_ARM:
		return "arm";
	case EM_RISCV:
		return "riscv64";
	case EM_S390:
		return "s390x";
	case EM_PPC64:
		return elf_data == ELFDATA2LSB ? "ppc64le" : "ppc64";
	case EM_PPC:
		return "ppc";
	case EM_MIPS:
		return "mips";
#ifdef EM_LOONGARCH
	case EM_LOONGARCH:
		return "loongarch64";
#endif
	}
	return "";
}

const char *kimage_elf_arch(uint16_t machine, int elf_data)
{
	return elf_arch(machine, elf_data);
}

/* The release from the first usable "Linux version " banner. */
static void find_release(const uint8_t *img, size_t sz, struct kimage *out);

void kimage_banner_release(const void *img, size_t sz, char *out, size_t out_sz)
{
	struct kimage k = {0};

	find_release(img, sz, &k);
	snprintf(out, out_sz, "%s", k.release);
}

static void find_release(const uint8_t *img, size_t sz, struct kimage *out)
{
	static const char banner[] = "Linux version ";
	const size_t blen = sizeof(banner) - 1;
	const uint8_t *p = img, *end = img + sz;

	while ((p = memmem(p, (size_t)(end - p), banner, blen))) {
		const uint8_t *t = p + blen;
		size_t n = 0;

		while (t + n < end && n < sizeof(out->release) - 1 &&
		       t[n] > ' ' && t[n] < 0x7f)
			n++;
		/* a printf format ("%s") is not a release */
		if (n && t[0] != '%' && (t + n == end || t[n] <= ' ')) {
			memcpy(out->release, t, n);
			out->release[n] = '\0';
			return;
		}
		p += blen;
	}
}

/* Copies the BTF at img + off into out. */
static int take_btf(const uint8_t *btf, size_t sz, struct kimage *out,
		    struct diag *d)
{
	out->btf = malloc(sz ? sz : 1);
	if (!out->btf) {
		diag_set(d, "out of memory for %zu bytes of BTF", sz);
		return -ENOMEM;
	}
	memcpy(out->btf, btf, sz);
	out->btf_sz = sz;
	return 0;
}

/*
 * The GNU build-id from any note section: vmlinux keeps it in ".notes" with
 * the Xen and Linux notes, where elf_btf (which reads .note.gnu.build-id)
 * does not look. The section table is already checked by elf_btf__read().
 */
static void find_build_id(const uint8_t *img, size_t sz, struct kimage *out)
{
	Elf *elf;
	Elf_Scn *scn = NULL;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return;
	elf = elf_memory((char *)img, sz);
	if (!elf)
		return;
	while (!out->build_id_sz && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		GElf_Nhdr nh;
		Elf_Data *data;
		size_t off = 0, next, name_off, desc_off;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !data->d_buf)
			continue;
		while ((next = gelf_getnote(data, off, &nh, &name_off,
					    &desc_off)) > 0) {
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp((char *)data->d_buf + name_off, "GNU", 4) &&
			    nh.n_descsz &&
			    nh.n_descsz <= sizeof(out->build_id)) {
				memcpy(out->build_id,
				       (char *)data->d_buf + desc_off,
				       nh.n_descsz);
				out->build_id_sz = nh.n_descsz;
				break;
			}
			off = next;
		}
	}
	elf_end(elf);
}

size_t kimage_elf_build_id(const void *img, size_t sz, uint8_t out[64])
{
	struct kimage k = {0};

	find_build_id(img, sz, &k);
	memcpy(out, k.build_id, k.build_id_sz);
	return k.build_id_sz;
}

static int from_elf(const uint8_t *img, size_t sz, struct kimage *out,
		    struct diag *d)
{
	struct elf_btf eb;
	int err;

	err = elf_btf__read(img, sz, &eb, d);
	if (err) {
		diag_prefix(d, "vmlinux ELF: ");
		return err;
	}
	set_str(out->arch, sizeof(out->arch),
		elf_arch(eb.machine, eb.elf_data));
	if (eb.build_id_sz <= sizeof(out->build_id)) {
		memcpy(out->build_id, eb.build_id, eb.build_id_sz);
		out->build_id_sz = eb.build_id_sz;
	}
	if (!out->build_id_sz)
		find_build_id(img, sz, out);
	out->btf_offset = (uint64_t)((const uint8_t *)eb.btf - img);
	if (!out->release[0])
		find_release(img, sz, out);
	return take_btf(eb.btf, eb.btf_sz, out, d);
}

/*
 * The size of the BTF blob a candidate header at p announces, or 0 if it
 * cannot be one: hdr_len 24, or 32 with a layout section (Linux 7.2),
 * sections inside the left bytes.
 */
static size_t btf_candidate_size(const uint8_t *p, size_t left)
{
	uint64_t type_end, str_end, end, layout_end = 0;
	uint32_t hdr_len;

	if (left < 24)
		return 0;
	hdr_len = le32_get(p + 4);
	if ((hdr_len != 24 && hdr_len != 32) || left < hdr_len)
		return 0;
	type_end = (uint64_t)le32_get(p + 8) + le32_get(p + 12);
	str_end = (uint64_t)le32_get(p + 16) + le32_get(p + 20);
	if (hdr_len == 32)
		layout_end = (uint64_t)le32_get(p + 24) + le32_get(p + 28);
	end = type_end > str_end ? type_end : str_end;
	end = hdr_len + (layout_end > end ? layout_end : end);
	return end <= left ? (size_t)end : 0;
}

/*
 * Scans img for BTF headers that fully validate; takes the largest. The
 * candidate is parsed from a copy: the image gives no alignment.
 */
static int scan_btf(const uint8_t *img, size_t sz, struct kimage *out,
		    struct diag *d)
{
	const uint8_t *p = img, *end = img + sz;
	size_t hits = 0, tried = 0, best_sz = 0;
	uint64_t best_off = 0, first_bad = 0;
	char first_err[256] = "";
	void *best = NULL;

	while (end - p >= 4 &&
	       (p = memchr(p, btf_magic[0], (size_t)(end - p - 3)))) {
		struct btf_raw raw;
		struct diag pd = {""};
		size_t n;
		void *copy;

		if (p[1] != btf_magic[1] || p[2] != btf_magic[2] ||
		    p[3] != btf_magic[3]) {
			p++;
			continue;
		}
		hits++;
		n = btf_candidate_size(p, (size_t)(end - p));
		if (!n) {
			p++;
			continue;
		}
		tried++;
		copy = malloc(n);
		if (!copy) {
			free(best);
			diag_set(d, "out of memory for %zu bytes of BTF", n);
			return -ENOMEM;
		}
		memcpy(copy, p, n);
		if (btf_raw__parse(&raw, copy, n, NULL, &pd)) {
			if (!first_err[0]) {
				first_bad = (uint64_t)(p - img);
				snprintf(first_err, sizeof(first_err), "%.200s",
					 pd.msg);
			}
			free(copy);
			p++;
			continue;
		}
		btf_raw__release(&raw);
		out->scan_valid++;
		if (n > best_sz) {
			free(best);
			best = copy;
			best_sz = n;
			best_off = (uint64_t)(p - img);
		} else {
			free(copy);
		}
		p += n; /* BTF does not nest */
	}
	if (!best) {
		if (!hits)
			diag_set(d,
				 "no BTF header (bytes 9f eb 01 00) in %zu "
				 "bytes",
				 sz);
		else if (!first_err[0])
			diag_set(d,
				 "%zu BTF magics in %zu bytes, none with a "
				 "24-byte header and sections inside the image",
				 hits, sz);
		else
			diag_set(d,
				 "%zu BTF magics in %zu bytes, %zu plausible "
				 "headers, none validates (first at offset "
				 "%llu: %s)",
				 hits, sz, tried, (unsigned long long)first_bad,
				 first_err);
		return -ENOENT;
	}
	out->btf = best;
	out->btf_sz = best_sz;
	out->btf_offset = best_off;
	if (out->scan_valid > 1)
		diag_set(d,
			 "%u BTF headers validate; took the largest, %zu "
			 "bytes at offset %llu",
			 out->scan_valid, best_sz,
			 (unsigned long long)best_off);
	return 0;
}

static void image_arch(const uint8_t *img, size_t sz, struct kimage *out)
{
	if (out->arch[0])
		return;
	if (sz >= ARM64_MAGIC_OFF + 4 &&
	    !memcmp(img + ARM64_MAGIC_OFF, "ARM\x64", 4))
		set_str(out->arch, sizeof(out->arch), "aarch64");
	else if (sz >= RISCV_MAGIC_OFF + 4 &&
		 !memcmp(img + RISCV_MAGIC_OFF, "RSC\x05", 4))
		set_str(out->arch, sizeof(out->arch), "riscv64");
}

/* A decompressed (or raw) image: an ELF, else scanned. */
static int from_image(const uint8_t *img, size_t sz, struct kimage *out,
		      struct diag *d)
{
	int err;

	if (elf_btf__is_elf(img, sz))
		return from_elf(img, sz, out, d);
	image_arch(img, sz, out);
	err = scan_btf(img, sz, out, d);
	if (err < 0)
		diag_prefix(d, "Image (scan): ");
	else
		find_release(img, sz, out);
	return err;
}

/*
 * Decompresses the stream at in (first stream only) and reads the result as
 * an image. out->source is set by the caller, unless the result is scanned.
 */
static int from_payload(enum decomp_kind kind, const uint8_t *in, size_t sz,
			const struct decomp_caps *caps, bool want_elf,
			struct kimage *out, struct diag *d)
{
	void *img = NULL;
	size_t img_sz = 0;
	int err;

	err = decomp_first(kind, in, sz, caps, &img, &img_sz, NULL, d);
	if (err)
		return err;
	set_str(out->compression, sizeof(out->compression),
		decomp_kind_str(kind));
	if (want_elf && !elf_btf__is_elf(img, img_sz)) {
		diag_set(d,
			 "%s payload of %zu bytes decompresses to %zu bytes "
			 "that are not an ELF",
			 decomp_kind_str(kind), sz, img_sz);
		free(img);
		return -EINVAL;
	}
	if (!elf_btf__is_elf(img, img_sz))
		out->source = KIMAGE_IMAGE_SCAN;
	err = from_image(img, img_sz, out, d);
	free(img);
	return err;
}

/* The bzImage's own kernel_version string, if it has one. */
static void bz_release(const uint8_t *img, size_t sz, struct kimage *out)
{
	size_t off = (size_t)le16_get(img + BZ_KERNEL_VERSION) + 0x200, n = 0;

	if (le16_get(img + BZ_KERNEL_VERSION) == 0 || off >= sz)
		return;
	while (off + n < sz && n < sizeof(out->release) - 1 &&
	       img[off + n] > ' ' && img[off + n] < 0x7f)
		n++;
	memcpy(out->release, img + off, n);
	out->release[n] = '\0';
}

/* Compression magics searched for in a bzImage without usable fields. */
static const struct {
	const char *magic;
	size_t len;
} search_magics[] = {
	{"\x1f\x8b\x08", 3},
	{"\xfd"
	 "7zXZ\x00",
	 6},
	{"BZh", 3},
	{"\x5d\x00\x00", 3},
	{"\x89LZO", 4},
	{"\x02\x21\x4c\x18", 4},
	{"\x28\xb5\x2f\xfd", 4},
};

static int bz_search(const uint8_t *img, size_t sz, size_t from,
		     const struct decomp_caps *caps, struct kimage *out,
		     struct diag *d)
{
	size_t i, tries;
	int err;

	for (i = 0; i < sizeof(search_magics) / sizeof(search_magics[0]); i++) {
		const uint8_t *p = img + from;

		for (tries = 0; tries < SEARCH_TRIES; tries++) {
			enum decomp_kind kind;

			p = memmem(p, (size_t)(img + sz - p),
				   search_magics[i].magic,
				   search_magics[i].len);
			if (!p)
				break;
			kind = decomp_detect(p, (size_t)(img + sz - p));
			if (kind != DECOMP_NONE) {
				err = from_payload(kind, p,
						   (size_t)(img + sz - p), caps,
						   true, out, d);
				if (!err || err == -ENOMEM)
					return err;
				if (err == -ENOENT) /* an ELF without .BTF */
					return err;
				out->compression[0] = '\0';
			}
			p++;
		}
	}
	diag_set(d,
		 "no compressed stream after the setup code (byte %zu) "
		 "decompresses to an ELF",
		 from);
	return -ENOENT;
}

static int from_bzimage(const uint8_t *img, size_t sz,
			const struct decomp_caps *caps, struct kimage *out,
			struct diag *d)
{
	unsigned setup_sects = img[BZ_SETUP_SECTS] ? img[BZ_SETUP_SECTS] : 4;
	size_t pm = ((size_t)setup_sects + 1) * 512;
	uint64_t poff = le32_get(img + BZ_PAYLOAD_OFFSET);
	uint64_t plen = le32_get(img + BZ_PAYLOAD_LENGTH);
	enum decomp_kind kind = DECOMP_NONE;
	int err;

	out->source = KIMAGE_BZIMAGE;
	set_str(out->arch, sizeof(out->arch), "x86");
	if (pm > sz) {
		diag_set(d,
			 "bzImage: setup code of %u sectors ends at byte %zu, "
			 "past the end of the %zu-byte image",
			 setup_sects, pm, sz);
		return -EINVAL;
	}
	if (le16_get(img + BZ_VERSION) >= 0x208 && plen &&
	    pm + poff + plen <= sz)
		kind = decomp_detect(img + pm + poff, (size_t)plen);
	if (kind != DECOMP_NONE) {
		err = from_payload(kind, img + pm + poff, (size_t)plen, caps,
				   true, out, d);
		if (err)
			diag_prefix(d, "bzImage: payload at byte %llu: ",
				    (unsigned long long)(pm + poff));
	} else {
		err = bz_search(img, sz, pm, caps, out, d);
		if (err == -ENOENT && le16_get(img + BZ_VERSION) >= 0x208 &&
		    pm + poff + plen > sz)
			diag_prefix(d,
				    "payload of %llu bytes at byte %llu runs "
				    "past the end of the %zu-byte image, and ",
				    (unsigned long long)plen,
				    (unsigned long long)(pm + poff), sz);
		if (err == -ENOENT)
			diag_prefix(d, "bzImage: ");
	}
	out->source = KIMAGE_BZIMAGE;
	if (!out->arch[0] || !strcmp(out->arch, "x86"))
		set_str(out->arch, sizeof(out->arch), "x86");
	if (!err && !out->release[0])
		bz_release(img, sz, out);
	return err;
}

/* EFI zboot (drivers/firmware/efi/libstub/zboot-header.S): "zimg" at 4. */
static int from_zboot(const uint8_t *img, size_t sz,
		      const struct decomp_caps *caps, struct kimage *out,
		      struct diag *d)
{
	uint64_t poff = le32_get(img + 8), plen = le32_get(img + 12);
	enum decomp_kind kind;
	int err;

	if (poff + plen > sz || !plen) {
		diag_set(d,
			 "EFI zboot: payload of %llu bytes at byte %llu runs "
			 "past the end of the %zu-byte image",
			 (unsigned long long)plen, (unsigned long long)poff,
			 sz);
		return -EINVAL;
	}
	kind = decomp_detect(img + poff, (size_t)plen);
	if (kind == DECOMP_NONE) {
		diag_set(d,
			 "EFI zboot: payload at byte %llu: unknown "
			 "compression",
			 (unsigned long long)poff);
		return -EINVAL;
	}
	err = from_payload(kind, img + poff, (size_t)plen, caps, false, out, d);
	if (err)
		diag_prefix(d, "EFI zboot: payload at byte %llu: ",
			    (unsigned long long)poff);
	return err;
}

int kimage_find_btf(const void *data, size_t size,
		    const struct decomp_caps *caps, struct kimage *out,
		    struct diag *d)
{
	const uint8_t *img = data;
	enum decomp_kind kind;
	int err;

	memset(out, 0, sizeof(*out));
	diag_set(d, "%s", "");
	if (!img && size) {
		diag_set(d, "no input");
		return -EINVAL;
	}
	if (!img)
		img = (const uint8_t *)"";

	if (size >= sizeof(btf_magic) && !memcmp(img, btf_magic, 4)) {
		struct btf_raw raw;

		out->source = KIMAGE_RAW_BTF;
		err = take_btf(img, size, out, d);
		if (err)
			return err;
		err = btf_raw__parse(&raw, out->btf, size, NULL, d);
		if (err) {
			diag_prefix(d, "raw BTF: ");
			kimage_release(out);
			return err;
		}
		btf_raw__release(&raw);
		return 0;
	}
	if (elf_btf__is_elf(img, size)) {
		out->source = KIMAGE_ELF;
		err = from_elf(img, size, out, d);
	} else if (size >= BZ_HDR_END && !memcmp(img + BZ_HDRS, "HdrS", 4)) {
		err = from_bzimage(img, size, caps, out, d);
	} else if (size >= 16 && img[0] == 'M' && img[1] == 'Z' &&
		   !memcmp(img + 4, "zimg", 4)) {
		err = from_zboot(img, size, caps, out, d);
	} else if ((kind = decomp_detect(img, size)) != DECOMP_NONE) {
		/* Image.gz, vmlinux.xz, ...: the source is what it holds */
		out->source = KIMAGE_ELF;
		err = from_payload(kind, img, size, caps, false, out, d);
		if (err)
			diag_prefix(d, "%s-compressed image: ",
				    decomp_kind_str(kind));
	} else {
		out->source = KIMAGE_IMAGE_SCAN;
		err = from_image(img, size, out, d);
	}
	if (err) {
		enum kimage_source src = out->source;

		kimage_release(out);
		out->source = src;
	}
	return err;
}
