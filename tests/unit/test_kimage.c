// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kimage: the vmlinux BTF found in a vmlinux ELF, in bzImage-like files with
 * a payload in each compression (gzip, xz, zstd, lzma, bzip2, lz4 legacy,
 * lzop), in a raw Image by scanning (with a fake header before the real
 * one), in an Image.gz, in raw BTF; and the errors: no .BTF, truncated
 * payloads, no valid header, caps. Also the new decompressors of decomp.c on
 * an input over 8 MiB. Inputs come from gen_kimage.sh (DIR/kimage).
 */
#include "formats/kimage.h"

#include <errno.h>
#include <stdint.h>
#include <zlib.h>

#include "formats/btf_raw.h"
#include "unit.h"

static char kdir[2048];

/* Reads DIR/kimage/name. */
/* vmlinux.btf with a 32-byte header and a layout section (Linux 7.2),
 * built here: pahole 1.24 writes none. */
static void *with_layout(void *btf, size_t *sz)
{
	const struct btf_header *h = btf;
	uint32_t n = NR_BTF_KINDS, llen = n * 4, k, lh[2];
	uint8_t *o = calloc(1, *sz + 8 + llen), *p;
	struct btf_header nh = *h;

	if (!o)
		abort();
	nh.hdr_len = 32;
	nh.str_off = h->type_len + llen;
	lh[0] = h->type_len;
	lh[1] = llen;
	memcpy(o, &nh, 24);
	memcpy(o + 24, lh, 8);
	p = o + 32;
	memcpy(p, (uint8_t *)btf + 24, h->type_len);
	p += h->type_len;
	for (k = 0; k < n; k++, p += 4)
		btf_raw__known_layout(k, (struct btf_raw_layout *)p);
	memcpy(p, (uint8_t *)btf + 24 + h->type_len, h->str_len);
	free(btf);
	*sz += 8 + llen;
	return o;
}

static void *load(const char *name, size_t *sz)
{
	if (!strcmp(name, "vmlinux_layout.btf"))
		return with_layout(unit_slurp(kdir, "vmlinux.btf", sz), sz);
	return unit_slurp(kdir, name, sz);
}

/* the BTF make_image() puts in and check_image() expects */
static const char *image_btf = "vmlinux.btf";

static bool kimage_skipped(const char *dir)
{
	snprintf(kdir, sizeof(kdir), "%s/kimage", dir);
	return unit_skipped(kdir);
}

/* Finds the BTF in the input file and checks it against vmlinux.btf. */
static void check_found(const char *name, enum kimage_source source,
			const char *compression, const char *arch)
{
	struct kimage k;
	struct diag d = {""};
	size_t in_sz, want_sz;
	void *in = load(name, &in_sz), *want = load("vmlinux.btf", &want_sz);
	int err;

	err = kimage_find_btf(in, in_sz, NULL, &k, &d);
	CHECK(err == 0, "%s: err %d: %s", name, err, d.msg);
	if (!err) {
		CHECK(k.source == source, "%s: source %s", name,
		      kimage_source_str(k.source));
		CHECK(k.btf_sz == want_sz && !memcmp(k.btf, want, want_sz),
		      "%s: BTF of %zu bytes differs from vmlinux.btf (%zu)",
		      name, k.btf_sz, want_sz);
		CHECK(!strcmp(k.compression, compression),
		      "%s: compression \"%s\", expected \"%s\"", name,
		      k.compression, compression);
		CHECK(!strcmp(k.arch, arch), "%s: arch \"%s\", expected \"%s\"",
		      name, k.arch, arch);
		if (source != KIMAGE_RAW_BTF) {
			CHECK(!strcmp(k.release, "9.8.7-fixture"),
			      "%s: release \"%s\"", name, k.release);
			CHECK(k.build_id_sz == 20, "%s: build id of %zu bytes",
			      name, k.build_id_sz);
		}
	}
	kimage_release(&k);
	free(in);
	free(want);
}

/* Expects err_want and a message holding piece. */
static void check_fails(const char *what, const void *in, size_t in_sz,
			const struct decomp_caps *caps, int err_want,
			const char *piece)
{
	struct kimage k;
	struct diag d = {""};
	int err;

	err = kimage_find_btf(in, in_sz, caps, &k, &d);
	CHECK(err == err_want, "%s: err %d, expected %d (%s)", what, err,
	      err_want, d.msg);
	CHECK(!k.btf && !k.btf_sz, "%s: BTF left on error", what);
	CHECK_MSG(d.msg, piece);
	kimage_release(&k);
}

static void check_fails_file(const char *name, int err_want, const char *piece)
{
	size_t sz;
	void *in = load(name, &sz);

	check_fails(name, in, sz, NULL, err_want, piece);
	free(in);
}

static int t_elf(const char *dir)
{
	if (kimage_skipped(dir))
		return UNIT_SKIP;
	check_found("vmlinux", KIMAGE_ELF, "", "x86_64");
	return 0;
}

static int t_elf_no_btf(const char *dir)
{
	if (kimage_skipped(dir))
		return UNIT_SKIP;
	check_fails_file("vmlinux.nobtf", -ENOENT, "vmlinux ELF: no .BTF");
	return 0;
}

static int t_raw_btf(const char *dir)
{
	if (kimage_skipped(dir))
		return UNIT_SKIP;
	check_found("vmlinux.btf", KIMAGE_RAW_BTF, "", "");
	return 0;
}

static int t_raw_btf_bad(const char *dir)
{
	size_t sz;
	uint8_t *in;

	if (kimage_skipped(dir))
		return UNIT_SKIP;
	in = load("vmlinux.btf", &sz);
	check_fails("raw BTF cut", in, sz - 3, NULL, -EINVAL, "raw BTF: ");
	free(in);
	return 0;
}

#define BZ_CASE(fmt)                                                           \
	static int t_bzimage_##fmt(const char *dir)                            \
	{                                                                      \
		if (kimage_skipped(dir))                                       \
			return UNIT_SKIP;                                      \
		check_found("bzImage." #fmt, KIMAGE_BZIMAGE, #fmt, "x86_64");  \
		return 0;                                                      \
	}
BZ_CASE(gzip)
BZ_CASE(xz)
BZ_CASE(zstd)
BZ_CASE(lzma)
BZ_CASE(bzip2)
BZ_CASE(lz4)
BZ_CASE(lzo)

/* Boot protocol 2.06: no payload fields; found by its xz magic. */
static int t_bzimage_search(const char *dir)
{
	if (kimage_skipped(dir))
		return UNIT_SKIP;
	check_found("bzImage.search", KIMAGE_BZIMAGE, "xz", "x86_64");
	return 0;
}

static int t_bzimage_truncated_stream(const char *dir)
{
	if (kimage_skipped(dir))
		return UNIT_SKIP;
	check_fails_file("bzImage.truncstream", -EINVAL,
			 "bzImage: payload at byte 2304: xz: truncated stream");
	return 0;
}

static int t_bzimage_truncated_file(const char *dir)
{
	if (kimage_skipped(dir))
		return UNIT_SKIP;
	check_fails_file("bzImage.truncfile", -ENOENT,
			 "runs past the end of the");
	return 0;
}

/* The setup code claims more sectors than the file holds. */
static int t_bzimage_setup_past(const char *dir)
{
	size_t sz;
	uint8_t *in;

	if (kimage_skipped(dir))
		return UNIT_SKIP;
	in = load("bzImage.zstd", &sz);
	in[0x1f1] = 0xff;
	check_fails("setup_sects 255", in, sz, NULL, -EINVAL,
		    "bzImage: setup code of 255 sectors ends at byte 131072");
	free(in);
	return 0;
}

static int t_bzimage_caps(const char *dir)
{
	struct decomp_caps caps = {1000, 0};
	size_t sz;
	void *in;

	if (kimage_skipped(dir))
		return UNIT_SKIP;
	in = load("bzImage.zstd", &sz);
	check_fails("bzImage.zstd, cap 1000", in, sz, &caps, -EFBIG,
		    "zstd: output over the cap of 1000 bytes");
	free(in);
	return 0;
}

/* ---- raw Image --------------------------------------------------------- */

#define IMG_SZ	  (3U << 20)
#define FAKE_OFF  1001U
#define BTF_OFF	  2000001U
#define SMALL_OFF 2500003U

static uint32_t lcg = 12345;

static uint8_t rnd(void)
{
	lcg = lcg * 1103515245U + 12345U;
	return (uint8_t)(lcg >> 16);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/*
 * An arm64-like Image: random bytes, the header magic, a banner, a BTF
 * header that does not validate (sections of random bytes), the real BTF at
 * an odd offset, and optionally the smaller small.btf after it.
 */
static uint8_t *make_image(bool two)
{
	static const char banner[] = "Linux version 9.8.7-fixture (gcc) #1";
	uint8_t *img = malloc(IMG_SZ);
	size_t btf_sz, small_sz, i;
	void *btf = load(image_btf, &btf_sz);
	void *small = load("small.btf", &small_sz);

	if (!img)
		abort();
	for (i = 0; i < IMG_SZ; i++)
		img[i] = rnd();
	memcpy(img + 0x38, "ARM\x64", 4);
	memcpy(img + 5000, banner, sizeof(banner));
	/* fake: magic, version, flags, hdr_len 24, 64 bytes of types, 64 of
	 * strings, all random */
	img[FAKE_OFF] = 0x9f;
	img[FAKE_OFF + 1] = 0xeb;
	img[FAKE_OFF + 2] = 1;
	img[FAKE_OFF + 3] = 0;
	put32(img + FAKE_OFF + 4, 24);
	put32(img + FAKE_OFF + 8, 0);
	put32(img + FAKE_OFF + 12, 64);
	put32(img + FAKE_OFF + 16, 64);
	put32(img + FAKE_OFF + 20, 64);
	memcpy(img + BTF_OFF, btf, btf_sz);
	if (two)
		memcpy(img + SMALL_OFF, small, small_sz);
	free(btf);
	free(small);
	return img;
}

static void check_image(const char *what, const void *in, size_t in_sz,
			const char *compression, unsigned valid)
{
	struct kimage k;
	struct diag d = {""};
	size_t want_sz;
	void *want = load(image_btf, &want_sz);
	int err;

	err = kimage_find_btf(in, in_sz, NULL, &k, &d);
	CHECK(err == 0, "%s: err %d: %s", what, err, d.msg);
	if (!err) {
		CHECK(k.source == KIMAGE_IMAGE_SCAN, "%s: source %s", what,
		      kimage_source_str(k.source));
		CHECK(k.btf_offset == BTF_OFF, "%s: BTF at %llu, expected %u",
		      what, (unsigned long long)k.btf_offset, BTF_OFF);
		CHECK(k.btf_sz == want_sz && !memcmp(k.btf, want, want_sz),
		      "%s: BTF of %zu bytes differs", what, k.btf_sz);
		CHECK(!strcmp(k.compression, compression),
		      "%s: compression \"%s\"", what, k.compression);
		CHECK(!strcmp(k.arch, "aarch64"), "%s: arch \"%s\"", what,
		      k.arch);
		CHECK(!strcmp(k.release, "9.8.7-fixture"), "%s: release \"%s\"",
		      what, k.release);
		CHECK(k.scan_valid == valid, "%s: %u valid headers", what,
		      k.scan_valid);
		if (valid > 1)
			CHECK_MSG(d.msg, "2 BTF headers validate; took the "
					 "largest");
		else
			CHECK(!d.msg[0], "%s: note \"%s\"", what, d.msg);
	}
	kimage_release(&k);
	free(want);
}

static int t_image_scan(const char *dir)
{
	uint8_t *img;

	if (kimage_skipped(dir))
		return UNIT_SKIP;
	img = make_image(false);
	check_image("Image", img, IMG_SZ, "", 1);
	free(img);
	return 0;
}

/* a raw Image whose BTF has the layout section (32-byte header) */
static int t_image_scan_layout(const char *dir)
{
	uint8_t *img;

	if (kimage_skipped(dir))
		return UNIT_SKIP;
	image_btf = "vmlinux_layout.btf";
	img = make_image(false);
	check_image("Image, BTF with a layout section", img, IMG_SZ, "", 1);
	free(img);
	return 0;
}

static int t_image_two(const char *dir)
{
	uint8_t *img;

	if (kimage_skipped(dir))
		return UNIT_SKIP;
	img = make_image(true);
	check_image("Image with two BTF", img, IMG_SZ, "", 2);
	free(img);
	return 0;
}

static int t_image_gz(const char *dir)
{
	uint8_t *img, *gz;
	z_stream zs;
	size_t gz_cap = IMG_SZ + (IMG_SZ >> 8) + 1024;

	if (kimage_skipped(dir))
		return UNIT_SKIP;
	img = make_image(false);
	gz = malloc(gz_cap);
	memset(&zs, 0, sizeof(zs));
	CHECK(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8,
			   Z_DEFAULT_STRATEGY) == Z_OK,
	      "deflateInit2");
	zs.next_in = img;
	zs.avail_in = IMG_SZ;
	zs.next_out = gz;
	zs.avail_out = (uInt)gz_cap;
	CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END, "deflate");
	check_image("Image.gz", gz, zs.total_out, "gzip", 1);
	deflateEnd(&zs);
	free(gz);
	free(img);
	return 0;
}

/* Only the fake header: nothing validates, the message says so. */
static int t_image_none(const char *dir)
{
	uint8_t *img;

	if (kimage_skipped(dir))
		return UNIT_SKIP;
	img = make_image(false);
	check_fails("Image without BTF", img, BTF_OFF, NULL, -ENOENT,
		    "Image (scan): ");
	check_fails("Image without BTF", img, BTF_OFF, NULL, -ENOENT,
		    "none validates (first at offset 1001: ");
	check_fails("random bytes", img + 1100, 900, NULL, -ENOENT,
		    "no BTF header (bytes 9f eb 01 00) in 900 bytes");
	free(img);
	return 0;
}

/* ---- decomp: the kernel image formats ---------------------------------- */

static void check_decomp(enum decomp_kind kind, const char *file)
{
	struct diag d = {""};
	size_t in_sz, want_sz, out_sz, used;
	uint8_t *in = load(file, &in_sz), *want = load("big.bin", &want_sz);
	uint8_t *tail;
	void *out;
	const char *name = decomp_kind_str(kind);
	int err;

	CHECK(decomp_detect(in, in_sz) == kind, "%s: detected %s", file,
	      decomp_kind_str(decomp_detect(in, in_sz)));
	err = decomp_all(kind, in, in_sz, NULL, &out, &out_sz, &d);
	CHECK(err == 0, "%s: err %d: %s", file, err, d.msg);
	CHECK(out_sz == want_sz && !memcmp(out, want, want_sz),
	      "%s: %zu bytes out, expected %zu", file, out_sz, want_sz);
	free(out);

	/* a kernel payload: the size appended, then padding */
	tail = malloc(in_sz + 16);
	memcpy(tail, in, in_sz);
	put32(tail + in_sz, (uint32_t)want_sz);
	memset(tail + in_sz + 4, 0, 12);
	err = decomp_all(kind, tail, in_sz + 16, NULL, &out, &out_sz, &d);
	CHECK(err == -EINVAL, "%s + size: err %d", file, err);
	CHECK(!strncmp(d.msg, name, strlen(name)), "%s: message \"%s\"", file,
	      d.msg);
	CHECK_MSG(d.msg, "trailing garbage");
	err = decomp_first(kind, tail, in_sz + 16, NULL, &out, &out_sz, &used,
			   &d);
	CHECK(err == 0, "%s first: err %d: %s", file, err, d.msg);
	CHECK(used == in_sz, "%s first: %zu input bytes used, expected %zu",
	      file, used, in_sz);
	CHECK(out_sz == want_sz && !memcmp(out, want, want_sz),
	      "%s first: %zu bytes out", file, out_sz);
	free(out);

	/* truncated, both ways */
	err = decomp_all(kind, in, in_sz / 2, NULL, &out, &out_sz, &d);
	CHECK(err == -EINVAL, "%s cut: err %d", file, err);
	CHECK_MSG(d.msg, "truncated");
	err = decomp_first(kind, in, in_sz / 2, NULL, &out, &out_sz, &used, &d);
	CHECK(err == -EINVAL && !out, "%s first cut: err %d", file, err);
	CHECK_MSG(d.msg, "truncated");

	/* a cap */
	{
		struct decomp_caps caps = {want_sz - 1, 0};

		err = decomp_all(kind, in, in_sz, &caps, &out, &out_sz, &d);
		CHECK(err == -EFBIG && !out, "%s cap: err %d (%s)", file, err,
		      d.msg);
		CHECK_MSG(d.msg, "over the cap");
	}
	free(tail);
	free(in);
	free(want);
}

#define DECOMP_CASE(fmt, kind, file)                                           \
	static int t_decomp_##fmt(const char *dir)                             \
	{                                                                      \
		if (kimage_skipped(dir))                                       \
			return UNIT_SKIP;                                      \
		check_decomp(kind, file);                                      \
		return 0;                                                      \
	}
DECOMP_CASE(lzma, DECOMP_LZMA, "big.bin.lzma")
DECOMP_CASE(bzip2, DECOMP_BZIP2, "big.bin.bzip2")
DECOMP_CASE(lz4, DECOMP_LZ4_LEGACY, "big.bin.lz4")
DECOMP_CASE(lzo, DECOMP_LZO, "big.bin.lzo")

/* A flipped byte in an lzop block fails its checksum or the decoder. */
static int t_decomp_lzo_corrupt(const char *dir)
{
	struct diag d = {""};
	size_t sz, out_sz;
	uint8_t *in;
	void *out;
	int err;

	if (kimage_skipped(dir))
		return UNIT_SKIP;
	in = load("big.bin.lzo", &sz);
	in[sz / 2] ^= 0x55;
	err = decomp_all(DECOMP_LZO, in, sz, NULL, &out, &out_sz, &d);
	CHECK(err == -EINVAL && !out, "err %d", err);
	CHECK_MSG(d.msg, "lzo: ");
	free(in);
	return 0;
}

static const struct unit_case cases[] = {
	{"elf", t_elf},
	{"elf_no_btf", t_elf_no_btf},
	{"raw_btf", t_raw_btf},
	{"raw_btf_bad", t_raw_btf_bad},
	{"bzimage_gzip", t_bzimage_gzip},
	{"bzimage_xz", t_bzimage_xz},
	{"bzimage_zstd", t_bzimage_zstd},
	{"bzimage_lzma", t_bzimage_lzma},
	{"bzimage_bzip2", t_bzimage_bzip2},
	{"bzimage_lz4", t_bzimage_lz4},
	{"bzimage_lzo", t_bzimage_lzo},
	{"bzimage_search", t_bzimage_search},
	{"bzimage_truncated_stream", t_bzimage_truncated_stream},
	{"bzimage_truncated_file", t_bzimage_truncated_file},
	{"bzimage_setup_past", t_bzimage_setup_past},
	{"bzimage_caps", t_bzimage_caps},
	{"image_scan", t_image_scan},
	{"image_two", t_image_two},
	{"image_scan_layout", t_image_scan_layout},
	{"image_gz", t_image_gz},
	{"image_none", t_image_none},
	{"decomp_lzma", t_decomp_lzma},
	{"decomp_bzip2", t_decomp_bzip2},
	{"decomp_lz4", t_decomp_lz4},
	{"decomp_lzo", t_decomp_lzo},
	{"decomp_lzo_corrupt", t_decomp_lzo_corrupt},
};

int main(int argc, char **argv)
{
	return unit_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
