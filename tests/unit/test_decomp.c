// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * decomp: round trips through the xz, zstd and gzip command-line tools, and
 * the bad-input class 4 (truncated, trailing garbage, wrong sizes) and the
 * caps of class 3. Inputs come from gen_inputs.sh.
 */
#include "formats/crc32.h"
#include "formats/decomp.h"

#include <errno.h>
#include <stdint.h>
#include <zlib.h>

#include "unit.h"

struct fmt {
	const char *name; /* as in messages: "xz", "zstd", "gzip" */
	const char *ext;  /* file suffix */
	enum decomp_kind kind;
};

static const struct fmt fmts[] = {
	{"xz", "xz", DECOMP_XZ},
	{"zstd", "zst", DECOMP_ZSTD},
	{"gzip", "gz", DECOMP_GZIP},
};

static const struct fmt *fmt_of(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++)
		if (!strcmp(fmts[i].name, name))
			return &fmts[i];
	abort();
}

static void *load(const char *dir, const char *base, const struct fmt *f,
		  size_t *sz)
{
	char name[256];

	snprintf(name, sizeof(name), "%s.%s", base, f->ext);
	return unit_slurp(dir, name, sz);
}

/* Decompresses in and checks the result equals want. */
static void check_round_trip(const struct fmt *f, const char *what,
			     const void *in, size_t in_sz, const void *want,
			     size_t want_sz, const struct decomp_caps *caps)
{
	struct diag d = {""};
	void *out = NULL;
	size_t out_sz = 0;
	int err;

	err = decomp_all(f->kind, in, in_sz, caps, &out, &out_sz, &d);
	CHECK(err == 0, "%s %s: err %d: %s", f->name, what, err, d.msg);
	CHECK(out_sz == want_sz, "%s %s: %zu bytes out, expected %zu", f->name,
	      what, out_sz, want_sz);
	if (out_sz == want_sz && out)
		CHECK(!memcmp(out, want, want_sz), "%s %s: contents differ",
		      f->name, what);
	free(out);
}

/* Decompresses in, expects err_want and a message holding piece. */
static void check_fails(const struct fmt *f, const char *what, const void *in,
			size_t in_sz, const struct decomp_caps *caps,
			int err_want, const char *piece)
{
	struct diag d = {""};
	void *out = (void *)1;
	size_t out_sz = 1;
	int err;

	err = decomp_all(f->kind, in, in_sz, caps, &out, &out_sz, &d);
	CHECK(err == err_want, "%s %s: err %d, expected %d (%s)", f->name, what,
	      err, err_want, d.msg);
	CHECK(out == NULL && out_sz == 0, "%s %s: output left on error",
	      f->name, what);
	CHECK(!strncmp(d.msg, f->name, strlen(f->name)),
	      "%s %s: message \"%s\" does not start with the format", f->name,
	      what, d.msg);
	if (piece)
		CHECK_MSG(d.msg, piece);
	printf("%s %s: %s\n", f->name, what, d.msg);
	if (err == 0)
		free(out);
}

static int t_detect(const char *dir)
{
	static const uint8_t junk[] = {0x7f, 'E', 'L', 'F'};
	size_t i, sz;
	void *p;

	for (i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		p = load(dir, "mod.ko", &fmts[i], &sz);
		CHECK(decomp_detect(p, sz) == fmts[i].kind, "%s: detected %s",
		      fmts[i].name, decomp_kind_str(decomp_detect(p, sz)));
		CHECK(!strcmp(decomp_kind_str(fmts[i].kind), fmts[i].name),
		      "kind_str %s", decomp_kind_str(fmts[i].kind));
		/* magic cut short */
		CHECK(decomp_detect(p, 1) == DECOMP_NONE, "%s: 1 byte",
		      fmts[i].name);
		free(p);
	}
	CHECK(decomp_detect(junk, sizeof(junk)) == DECOMP_NONE, "ELF magic");
	CHECK(decomp_detect(NULL, 0) == DECOMP_NONE, "NULL");
	CHECK(!strcmp(decomp_kind_str(DECOMP_NONE), "none"), "none: %s",
	      decomp_kind_str(DECOMP_NONE));
	return 0;
}

static int t_none(const char *dir)
{
	struct diag d = {""};
	void *out = (void *)1;
	size_t out_sz = 1;
	int err;

	err = decomp_all(DECOMP_NONE, "abc", 3, NULL, &out, &out_sz, &d);
	CHECK(err == -EINVAL, "err %d", err);
	CHECK(out == NULL && out_sz == 0, "output left");
	CHECK(d.msg[0], "no message");
	return 0;
}

static int round_trip(const char *dir, const char *fname)
{
	const struct fmt *f = fmt_of(fname);
	size_t ko_sz, z_sz, big_sz, bz_sz;
	void *ko = unit_slurp(dir, "mod.ko", &ko_sz);
	void *z = load(dir, "mod.ko", f, &z_sz);
	void *big = unit_slurp(dir, "big.bin", &big_sz);
	void *bz = load(dir, "big.bin", f, &bz_sz);

	check_round_trip(f, "mod.ko", z, z_sz, ko, ko_sz, NULL);
	check_round_trip(f, "big.bin", bz, bz_sz, big, big_sz, NULL);
	free(ko);
	free(z);
	free(big);
	free(bz);
	return 0;
}

static int t_xz_round_trip(const char *dir)
{
	return round_trip(dir, "xz");
}

static int t_zstd_round_trip(const char *dir)
{
	return round_trip(dir, "zstd");
}

static int t_gzip_round_trip(const char *dir)
{
	return round_trip(dir, "gzip");
}

/* Several streams / frames / members one after the other are one output. */
static int concat(const char *dir, const char *fname)
{
	const struct fmt *f = fmt_of(fname);
	size_t want_sz, z_sz;
	void *want = unit_slurp(dir, "cat.bin", &want_sz);
	void *z = load(dir, "cat", f, &z_sz);

	check_round_trip(f, "cat", z, z_sz, want, want_sz, NULL);
	free(want);
	free(z);
	return 0;
}

static int t_xz_concat(const char *dir)
{
	return concat(dir, "xz");
}

static int t_zstd_concat(const char *dir)
{
	return concat(dir, "zstd");
}

static int t_gzip_concat(const char *dir)
{
	return concat(dir, "gzip");
}

/* zstd without the content size: the buffer grows from the first guess. */
static int t_zstd_no_size(const char *dir)
{
	size_t big_sz, z_sz;
	void *big = unit_slurp(dir, "big.bin", &big_sz);
	void *z = unit_slurp(dir, "big.bin.nosize.zst", &z_sz);

	check_round_trip(fmt_of("zstd"), "no content size", z, z_sz, big,
			 big_sz, NULL);
	free(big);
	free(z);
	return 0;
}

/* zstd skippable frames before and after: no output, no error. */
static int t_zstd_skippable(const char *dir)
{
	static const uint8_t skip[] = {0x50, 0x2a, 0x4d, 0x18, 3,  0,
				       0,    0,	   'a',	 'b',  'c'};
	size_t ko_sz, z_sz;
	void *ko = unit_slurp(dir, "mod.ko", &ko_sz);
	void *z = unit_slurp(dir, "mod.ko.zst", &z_sz);
	uint8_t *buf = malloc(z_sz + 2 * sizeof(skip));

	memcpy(buf, skip, sizeof(skip));
	memcpy(buf + sizeof(skip), z, z_sz);
	memcpy(buf + sizeof(skip) + z_sz, skip, sizeof(skip));
	check_round_trip(fmt_of("zstd"), "skippable frames", buf,
			 z_sz + 2 * sizeof(skip), ko, ko_sz, NULL);
	free(buf);
	free(ko);
	free(z);
	return 0;
}

/* xz stream padding: NUL bytes in fours are fine, others are not. */
static int t_xz_padding(const char *dir)
{
	const struct fmt *f = fmt_of("xz");
	size_t ko_sz, z_sz;
	void *ko = unit_slurp(dir, "mod.ko", &ko_sz);
	void *z = unit_slurp(dir, "mod.ko.xz", &z_sz);
	uint8_t *buf = calloc(1, z_sz + 8);
	char piece[128];

	memcpy(buf, z, z_sz);
	check_round_trip(f, "8 bytes of padding", buf, z_sz + 8, ko, ko_sz,
			 NULL);
	snprintf(piece, sizeof(piece),
		 "stream padding of 3 bytes at input byte %zu", z_sz);
	check_fails(f, "3 bytes of padding", buf, z_sz + 3, NULL, -EINVAL,
		    piece);
	free(buf);
	free(ko);
	free(z);
	return 0;
}

static int truncated(const char *dir, const char *fname)
{
	const struct fmt *f = fmt_of(fname);
	size_t z_sz;
	void *z = load(dir, "mod.ko", f, &z_sz);
	char piece[128];

	snprintf(piece, sizeof(piece), "truncated");
	check_fails(f, "cut in the middle", z, z_sz / 2, NULL, -EINVAL, piece);
	snprintf(piece, sizeof(piece), "after %zu input bytes", z_sz / 2);
	check_fails(f, "cut in the middle", z, z_sz / 2, NULL, -EINVAL, piece);
	check_fails(f, "last byte cut", z, z_sz - 1, NULL, -EINVAL,
		    "truncated");
	check_fails(f, "first 3 bytes only", z, 3, NULL, -EINVAL, "truncated");
	check_fails(f, "empty", z, 0, NULL, -EINVAL, "truncated");
	free(z);
	return 0;
}

static int t_xz_truncated(const char *dir)
{
	return truncated(dir, "xz");
}

static int t_zstd_truncated(const char *dir)
{
	return truncated(dir, "zstd");
}

static int t_gzip_truncated(const char *dir)
{
	return truncated(dir, "gzip");
}

static int trailing(const char *dir, const char *fname)
{
	static const char junk[] = "garbage!";
	const struct fmt *f = fmt_of(fname);
	size_t z_sz, cat_sz;
	void *z = load(dir, "mod.ko", f, &z_sz);
	void *cat = load(dir, "cat", f, &cat_sz);
	uint8_t *buf = malloc(cat_sz + sizeof(junk));
	char piece[128];

	memcpy(buf, z, z_sz);
	memcpy(buf + z_sz, junk, sizeof(junk));
	snprintf(piece, sizeof(piece), "trailing garbage at input byte %zu",
		 z_sz);
	check_fails(f, "trailing garbage", buf, z_sz + sizeof(junk), NULL,
		    -EINVAL, piece);
	/* after the second of two streams too */
	memcpy(buf, cat, cat_sz);
	memcpy(buf + cat_sz, junk, sizeof(junk));
	snprintf(piece, sizeof(piece), "trailing garbage at input byte %zu",
		 cat_sz);
	check_fails(f, "garbage after 2 streams", buf, cat_sz + sizeof(junk),
		    NULL, -EINVAL, piece);
	/* one stray byte */
	memcpy(buf, z, z_sz);
	buf[z_sz] = 'x';
	snprintf(piece, sizeof(piece), "trailing garbage at input byte %zu",
		 z_sz);
	check_fails(f, "one stray byte", buf, z_sz + 1, NULL, -EINVAL, piece);
	free(buf);
	free(z);
	free(cat);
	return 0;
}

static int t_xz_trailing(const char *dir)
{
	return trailing(dir, "xz");
}

static int t_zstd_trailing(const char *dir)
{
	return trailing(dir, "zstd");
}

static int t_gzip_trailing(const char *dir)
{
	return trailing(dir, "gzip");
}

/* A flipped byte in the middle of the data: an error, not a crash. */
static int corrupt(const char *dir, const char *fname)
{
	const struct fmt *f = fmt_of(fname);
	size_t z_sz;
	uint8_t *z = load(dir, "big.bin", f, &z_sz);

	z[z_sz / 2] ^= 0x55;
	check_fails(f, "flipped byte", z, z_sz, NULL, -EINVAL, NULL);
	free(z);
	return 0;
}

static int t_xz_corrupt(const char *dir)
{
	return corrupt(dir, "xz");
}

/* A CRC32 stream (kernel modules are xz --check=crc32, and so is
 * gen_inputs.sh's): the decoder leaves the check to decomp, which must
 * refuse a block whose stored CRC32 is not its data's. */
static int t_xz_crc32_mismatch(const char *dir)
{
	const struct fmt *f = fmt_of("xz");
	size_t z_sz, idx_sz, crc_at;
	uint8_t *z = load(dir, "big.bin", f, &z_sz);

	CHECK(z_sz > 32 && (z[7] & 0x0f) == 1,
	      "big.bin.xz is not a CRC32 stream (check id %u)", z[7] & 0x0f);
	/* one block: its check sits right before the index, whose size the
	 * footer gives (backward size, in fours, minus one) */
	idx_sz = ((size_t)z[z_sz - 8] | (size_t)z[z_sz - 7] << 8 |
		  (size_t)z[z_sz - 6] << 16 | (size_t)z[z_sz - 5] << 24) *
			 4 +
		 4;
	crc_at = z_sz - 12 - idx_sz - 4;
	z[crc_at] ^= 0x01;
	check_fails(f, "stored CRC32 off by a bit", z, z_sz, NULL, -EINVAL,
		    "the stream says");
	free(z);
	return 0;
}

/* crc32_update against zlib's crc32 on every length up to 1200 at four
 * alignments, from 0 and from another CRC, folded and not. */
static int t_crc32_matches_zlib(const char *dir)
{
	uint8_t *b = malloc(1300);
	uint32_t len, off, bad = 0, x = 2463534242u;
	int g;

	(void)dir;
	CHECK(b, "out of memory");
	for (len = 0; b && len < 1300; len++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		b[len] = (uint8_t)x;
	}
	for (g = 0; b && g < 2; g++) {
		crc32_generic_only(g);
		for (len = 0; len <= 1200; len++)
			for (off = 0; off < 16; off += 5)
				bad += crc32_update(0, b + off, len) !=
					       (uint32_t)crc32(0, b + off,
							       len) ||
				       crc32_update(0x12345678u, b + off,
						    len) !=
					       (uint32_t)crc32(0x12345678u,
							       b + off, len);
	}
	crc32_generic_only(0);
	CHECK(!bad, "%u lengths and alignments differ from zlib", bad);
	free(b);
	return 0;
}

static int t_zstd_corrupt(const char *dir)
{
	return corrupt(dir, "zstd");
}

static int t_gzip_corrupt(const char *dir)
{
	return corrupt(dir, "gzip");
}

/* Caps: max_out and max_ratio, just over and just at the real size. */
static int caps(const char *dir, const char *fname)
{
	const struct fmt *f = fmt_of(fname);
	size_t big_sz, z_sz;
	void *big = unit_slurp(dir, "big.bin", &big_sz);
	void *z = load(dir, "big.bin", f, &z_sz);
	struct decomp_caps c;
	char piece[128];
	uint64_t ratio = big_sz / z_sz;

	c = (struct decomp_caps){big_sz - 1, 0};
	snprintf(piece, sizeof(piece), "output over the cap of %zu bytes",
		 big_sz - 1);
	check_fails(f, "max_out one short", z, z_sz, &c, -EFBIG, piece);
	c = (struct decomp_caps){4096, 0};
	check_fails(f, "max_out 4096", z, z_sz, &c, -EFBIG,
		    "output over the cap of 4096 bytes");
	c = (struct decomp_caps){big_sz, 0};
	check_round_trip(f, "max_out exact", z, z_sz, big, big_sz, &c);

	/* ratio * z_sz < big_sz <= (ratio + 1) * z_sz */
	CHECK(ratio * z_sz < big_sz, "big.bin ratio is a whole number");
	c = (struct decomp_caps){0, ratio};
	snprintf(piece, sizeof(piece), "%llu times the %zu input bytes",
		 (unsigned long long)ratio, z_sz);
	check_fails(f, "max_ratio just under", z, z_sz, &c, -EFBIG, piece);
	c = (struct decomp_caps){0, ratio + 1};
	check_round_trip(f, "max_ratio just over", z, z_sz, big, big_sz, &c);
	/* both caps: the tighter one counts */
	c = (struct decomp_caps){big_sz, ratio};
	check_fails(f, "both, ratio tighter", z, z_sz, &c, -EFBIG, "times");
	c = (struct decomp_caps){big_sz - 1, ratio + 1};
	check_fails(f, "both, max_out tighter", z, z_sz, &c, -EFBIG, "cap of");
	free(big);
	free(z);
	return 0;
}

static int t_xz_caps(const char *dir)
{
	return caps(dir, "xz");
}

static int t_zstd_caps(const char *dir)
{
	return caps(dir, "zstd");
}

static int t_gzip_caps(const char *dir)
{
	return caps(dir, "gzip");
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static uint32_t get_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* gzip: an ISIZE trailer that disagrees with the data. */
static int t_gzip_isize(const char *dir)
{
	const struct fmt *f = fmt_of("gzip");
	size_t ko_sz, z_sz;
	void *ko = unit_slurp(dir, "mod.ko", &ko_sz);
	uint8_t *z = load(dir, "mod.ko", f, &z_sz);
	char piece[128];

	CHECK(get_le32(z + z_sz - 4) == ko_sz, "ISIZE %u, file %zu",
	      get_le32(z + z_sz - 4), ko_sz);
	put_le32(z + z_sz - 4, (uint32_t)ko_sz + 1);
	snprintf(piece, sizeof(piece), "ISIZE trailer says %zu bytes",
		 ko_sz + 1);
	check_fails(f, "ISIZE + 1", z, z_sz, NULL, -EINVAL, piece);
	put_le32(z + z_sz - 4, (uint32_t)ko_sz - 1);
	snprintf(piece, sizeof(piece), "output has %zu", ko_sz);
	check_fails(f, "ISIZE - 1", z, z_sz, NULL, -EINVAL, piece);
	/* and the CRC32 just before it */
	put_le32(z + z_sz - 4, (uint32_t)ko_sz);
	z[z_sz - 8] ^= 1;
	check_fails(f, "CRC32", z, z_sz, NULL, -EINVAL, "check");
	free(ko);
	free(z);
	return 0;
}

/*
 * zstd: a frame content size that disagrees with the data. Finds the
 * Frame_Content_Size field from the frame header descriptor (RFC 8878).
 */
static int t_zstd_content_size(const char *dir)
{
	static const int fcs_len[4] = {0, 2, 4, 8};
	const struct fmt *f = fmt_of("zstd");
	size_t ko_sz, z_sz, pos;
	void *ko = unit_slurp(dir, "mod.ko", &ko_sz);
	uint8_t *z = load(dir, "mod.ko", f, &z_sz);
	uint8_t fhd = z[4];
	int single = fhd >> 5 & 1, len = fcs_len[fhd >> 6];
	int did_len = (int[]){0, 1, 2, 4}[fhd & 3];
	uint64_t fcs = 0, want;
	int i;

	if (!len && single)
		len = 1;
	if (len != 2) {
		printf("SKIP: mod.ko.zst has a %d-byte content size field, "
		       "the test patches 2-byte ones\n",
		       len);
		return UNIT_SKIP;
	}
	pos = 5 + !single + did_len;
	for (i = 0; i < len; i++)
		fcs |= (uint64_t)z[pos + i] << (8 * i);
	fcs += 256; /* 2-byte fields are stored minus 256 */
	CHECK(fcs == ko_sz, "content size field %llu, file %zu",
	      (unsigned long long)fcs, ko_sz);

	want = fcs + 1;
	z[pos] = (want - 256) & 0xff;
	z[pos + 1] = (want - 256) >> 8;
	check_fails(f, "content size + 1", z, z_sz, NULL, -EINVAL,
		    "content size");
	want = fcs - 1;
	z[pos] = (want - 256) & 0xff;
	z[pos + 1] = (want - 256) >> 8;
	check_fails(f, "content size - 1", z, z_sz, NULL, -EINVAL,
		    "content size");
	free(ko);
	free(z);
	return 0;
}

static const struct unit_case cases[] = {
	{"detect", t_detect},
	{"none", t_none},
	{"xz_round_trip", t_xz_round_trip},
	{"zstd_round_trip", t_zstd_round_trip},
	{"gzip_round_trip", t_gzip_round_trip},
	{"xz_concat", t_xz_concat},
	{"zstd_concat", t_zstd_concat},
	{"gzip_concat", t_gzip_concat},
	{"zstd_no_size", t_zstd_no_size},
	{"zstd_skippable", t_zstd_skippable},
	{"xz_padding", t_xz_padding},
	{"xz_truncated", t_xz_truncated},
	{"zstd_truncated", t_zstd_truncated},
	{"gzip_truncated", t_gzip_truncated},
	{"xz_trailing", t_xz_trailing},
	{"zstd_trailing", t_zstd_trailing},
	{"gzip_trailing", t_gzip_trailing},
	{"xz_corrupt", t_xz_corrupt},
	{"xz_crc32_mismatch", t_xz_crc32_mismatch},
	{"crc32_matches_zlib", t_crc32_matches_zlib},
	{"zstd_corrupt", t_zstd_corrupt},
	{"gzip_corrupt", t_gzip_corrupt},
	{"xz_caps", t_xz_caps},
	{"zstd_caps", t_zstd_caps},
	{"gzip_caps", t_gzip_caps},
	{"gzip_isize", t_gzip_isize},
	{"zstd_content_size", t_zstd_content_size},
};

int main(int argc, char **argv)
{
	return unit_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
