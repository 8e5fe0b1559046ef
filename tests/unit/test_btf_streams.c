// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * formats/btf_streams: raw BTF <-> per-field streams. Inputs: a blob with
 * every kind btfar knows built in code (btf_build.h), the same with a
 * layout section (32-byte header), and the pahole -J encodings of
 * gen_inputs.sh (delta1.btf, delta2.btf, mod.btf).
 */
#include <errno.h>

#include "formats/btf_raw.h"
#include "formats/btf_streams.h"
#include "formats/le.h"
#include "btf_build.h"
#include "unit.h"

/* clang-format off */
static const struct btf_src all_kinds = {
	BTF_STR_SEC("\0int\0long int\0s\0a\0b\0c\0u\0i\0l\0e\0A"
		    "\0B\0e64\0C\0fwd_s\0s_t\0x\0f\0v\0.data"
		    "\0double\0tag\0user"),
	.types = {
		/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
		/* [2] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 64, 8),
		/* [3] */ BTF_PTR_ENC(1),
		/* [4] */ BTF_TYPE_ARRAY_ENC(1, 1, 3),
		/* [5] struct s { int a:3, b:5; int c; } */
		BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_STRUCT, 1, 3), 8),
			BTF_MEMBER_ENC(NAME_TBD, 1, BTF_MEMBER_OFFSET(3, 0)),
			BTF_MEMBER_ENC(NAME_TBD, 1, BTF_MEMBER_OFFSET(5, 3)),
			BTF_MEMBER_ENC(NAME_TBD, 1, BTF_MEMBER_OFFSET(0, 32)),
		/* [6] */ BTF_UNION_ENC(NAME_TBD, 2, 8),	/* u */
			BTF_MEMBER_ENC(NAME_TBD, 1, 0),		/* i */
			BTF_MEMBER_ENC(NAME_TBD, 2, 0),		/* l */
		/* [7] */ BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_ENUM, 1, 2), 4),
			BTF_ENUM_ENC(NAME_TBD, 0xfffffffe),	/* A = -2 */
			BTF_ENUM_ENC(NAME_TBD, 7),		/* B */
		/* [8] */ BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_ENUM64, 0, 1), 8),
			BTF_ENUM64_ENC(NAME_TBD, 1, 0x80000000),	/* C */
		/* [9] */ BTF_FWD_ENC(NAME_TBD, 0),	/* struct fwd_s */
		/* [10] */ BTF_TYPEDEF_ENC(NAME_TBD, 5),	/* s_t */
		/* [11] */ BTF_VOLATILE_ENC(1),
		/* [12] */ BTF_CONST_ENC(11),
		/* [13] */ BTF_RESTRICT_ENC(3),
		/* [14] int (const volatile int x, ...) */
		BTF_FUNC_PROTO_ENC(1, 2),
			BTF_FUNC_PROTO_ARG_ENC(NAME_TBD, 12),
			BTF_FUNC_PROTO_ARG_ENC(0, 0),
		/* [15] */ BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_FUNC, 0, BTF_FUNC_GLOBAL), 14),
		/* [16] */ BTF_VAR_ENC(NAME_TBD, 4, BTF_VAR_GLOBAL_ALLOCATED),
		/* [17] */ BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_DATASEC, 0, 2), 24),
			BTF_VAR_SECINFO_ENC(16, 0, 12),
			BTF_VAR_SECINFO_ENC(16, 12, 12),
		/* [18] */ BTF_TYPE_FLOAT_ENC(NAME_TBD, 8),	/* double */
		/* [19] */ BTF_DECL_TAG_ENC(NAME_TBD, 5, -1),	/* tag on s */
		/* [20] */ BTF_TYPE_TAG_ENC(NAME_TBD, 1),	/* user */
		/* [21] */ BTF_PTR_ENC(20),
		/* [22] a name used again, not in first-use order */
		BTF_TYPEDEF_ENC(1, 21),
		BTF_END_RAW,
	},
};
/* clang-format on */

/* Streams in payload order (btf_streams.c), for the corrupt cases. */
#define S_KIND 0
#define S_VLEN 1
#define S_NAME 2
#define S_TYPE 4
#define S_CNT  16
#define FIXED  (8 + 4 * 6 + 4 * S_CNT)
/* version 2: with the checkpoint */
#define FIXED2 (FIXED + 4 * 3 + 4 * S_CNT)

static uint8_t *build_all(size_t *n)
{
	return btf_src__build(&all_kinds, 0, n);
}

/* The same types and strings with a layout section (32-byte header). */
static uint8_t *build_layout(size_t *n)
{
	struct btf_raw_layout l[20] = {{0}};
	size_t plain_n;
	uint8_t *plain = build_all(&plain_n), *blob;
	uint32_t k, tl = le32_get(plain + 12), sl = le32_get(plain + 20);

	for (k = 1; k < 20; k++)
		btf_raw__known_layout(k, &l[k]);
	blob = btf_raw__write_layout(plain + 24, tl, l, sizeof(l),
				     plain + 24 + tl, sl, n);
	free(plain);
	return blob;
}

/* blob encodes, and its payload decodes back byte for byte */
static void *round_trip(const void *blob, size_t n, size_t *enc_n)
{
	struct diag d = {""};
	void *enc = NULL, *dec;
	int err;

	err = btf_streams_encode(blob, n, &enc, enc_n, &d);
	CHECK(!err, "encode: %d %s", err, d.msg);
	if (err)
		return NULL;
	CHECK(btf_streams_blob_size(enc, *enc_n) == n,
	      "blob size %zu, want %zu", btf_streams_blob_size(enc, *enc_n), n);
	dec = malloc(n);
	err = btf_streams_decode(enc, *enc_n, dec, n, &d);
	CHECK(!err, "decode: %d %s", err, d.msg);
	CHECK(!err && !memcmp(dec, blob, n), "decoded bytes differ");
	/* the head alone, the string section put in place first (as an
	 * archive's second frame is), gives the same bytes; a head that
	 * names another length for it is refused */
	if (!err) {
		size_t sl = le32_get((uint8_t *)enc + 20);

		memset(dec, 0xaa, n);
		memcpy((uint8_t *)dec + n - sl, (uint8_t *)enc + *enc_n - sl,
		       sl);
		err = btf_streams_decode_head(enc, *enc_n - sl, dec, n, sl, 2,
					      &d);
		CHECK(!err && !memcmp(dec, blob, n), "head: %d %s", err, d.msg);
		CHECK(btf_streams_decode_head(enc, *enc_n - sl, dec, n, sl + 1,
					      2, &d) == -EINVAL,
		      "head with another string length accepted");
		CHECK_MSG(d.msg, "placed");
		err = 0;
	}
	free(dec);
	return enc;
}

static int test_all_kinds(const char *dir)
{
	struct btf_raw raw;
	struct diag d = {""};
	size_t n, enc_n;
	uint8_t *blob = build_all(&n);

	(void)dir;
	/* a valid blob, as the writer's inputs are */
	CHECK(!btf_raw__parse(&raw, blob, n, NULL, &d), "parse: %s", d.msg);
	btf_raw__release(&raw);
	free(round_trip(blob, n, &enc_n));
	free(blob);
	return 0;
}

static int test_layout(const char *dir)
{
	struct btf_raw raw;
	struct diag d = {""};
	size_t n, enc_n;
	uint8_t *blob = build_layout(&n), *enc;

	(void)dir;
	CHECK(le32_get(blob + 4) == 32, "header of %u bytes",
	      le32_get(blob + 4));
	CHECK(!btf_raw__parse(&raw, blob, n, NULL, &d), "parse: %s", d.msg);
	btf_raw__release(&raw);
	enc = round_trip(blob, n, &enc_n);
	CHECK(enc && le32_get(enc + 16) == 20 * 4, "layout of %u bytes",
	      enc ? le32_get(enc + 16) : 0);
	free(enc);
	free(blob);
	return 0;
}

static int test_pahole(const char *dir)
{
	static const char *const names[] = {"delta1.btf", "delta2.btf",
					    "mod.btf"};
	size_t i, n, enc_n;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		void *blob = unit_slurp(dir, names[i], &n);
		struct btf_raw raw;
		struct diag d = {""};

		/* mod.btf is split BTF: its ids start past its base's, which
		 * the encoder does not know: it refuses, the blob stays plain
		 */
		if (!strcmp(names[i], "mod.btf")) {
			void *enc = NULL;
			int err = btf_streams_encode(blob, n, &enc, &enc_n, &d);

			CHECK(err == -ENOTSUP || !err, "%s: %d %s", names[i],
			      err, d.msg);
			free(enc);
			free(blob);
			continue;
		}
		CHECK(!btf_raw__parse(&raw, blob, n, NULL, &d), "%s: %s",
		      names[i], d.msg);
		btf_raw__release(&raw);
		free(round_trip(blob, n, &enc_n));
		free(blob);
	}
	return 0;
}

/* What btf_streams does not encode comes back as -ENOTSUP, never wrong. */
static int test_not_encoded(const char *dir)
{
	struct diag d = {""};
	void *enc = NULL;
	size_t n, enc_n;
	uint8_t *blob = build_all(&n), *c = malloc(n);

	(void)dir;
	/* a kind past ENUM64 (type [1]'s info word) */
	memcpy(c, blob, n);
	c[24 + 7] = 20;
	CHECK(btf_streams_encode(c, n, &enc, &enc_n, &d) == -ENOTSUP && !enc,
	      "kind 20 encoded");
	CHECK_MSG(d.msg, "kind 20 not encoded as streams");
	/* a type id past the last type ([3] PTR to 99) */
	memcpy(c, blob, n);
	le32_put(c + 24 + 2 * 16 + 8, 99);
	CHECK(btf_streams_encode(c, n, &enc, &enc_n, &d) == -ENOTSUP && !enc,
	      "id 99 encoded");
	CHECK_MSG(d.msg, "type id 99 out of range");
	/* a gap after the string section */
	CHECK(btf_streams_encode(blob, n - 1, &enc, &enc_n, &d) == -ENOTSUP,
	      "short blob encoded");
	CHECK_MSG(d.msg, "back to back");
	/* big-endian BTF */
	memcpy(c, blob, n);
	c[0] = 0xeb;
	c[1] = 0x9f;
	CHECK(btf_streams_encode(c, n, &enc, &enc_n, &d) == -ENOTSUP,
	      "big-endian magic encoded");
	free(c);
	free(blob);
	return 0;
}

static int decode(const uint8_t *enc, size_t enc_n, size_t n, struct diag *d)
{
	void *out = malloc(n);
	int err = btf_streams_decode(enc, enc_n, out, n, d);

	free(out);
	return err;
}

/* offset of stream si in a payload */
static size_t stream_off(const uint8_t *p, int si)
{
	size_t off = (memcmp(p, BTF_STREAMS_MAGIC2, 8) ? FIXED : FIXED2) +
		     le32_get(p + 8) + le32_get(p + 16);
	int i;

	for (i = 0; i < si; i++)
		off += le32_get(p + 32 + 4 * i);
	return off;
}

/*
 * Every truncation is refused; every single-byte change either decodes
 * (to bytes the archive's SHA-256 then rejects) or is refused with
 * -EINVAL; none reads out of bounds (ASan/UBSan run this too). Then the
 * classes of docs/BAD-INPUT.md one by one.
 */
/* Payload version 2's checkpoint: decoded on one thread and on two alike;
 * a checkpoint that is not where the first part ends, or outside the
 * payload, is refused. */
static void corrupt_ck(const uint8_t *blob, size_t n)
{
	struct diag d = {""};
	size_t enc_n;
	uint8_t *enc = NULL, *c, *out;
	uint32_t id;

	CHECK(!btf_streams_encode(blob, n, (void **)&enc, &enc_n, &d),
	      "encode: %s", d.msg);
	if (!enc)
		return;
	CHECK(!memcmp(enc, BTF_STREAMS_MAGIC2, 8), "magic %.7s", (char *)enc);
	id = le32_get(enc + FIXED);
	CHECK(id >= 2 && id <= le32_get(enc + 24), "checkpoint at [%u]", id);
	c = malloc(enc_n);
	out = malloc(n);
	/* the string mark one off */
	memcpy(c, enc, enc_n);
	le32_put(c + FIXED + 8, le32_get(c + FIXED + 8) + 1);
	CHECK(decode(c, enc_n, n, &d) == -EINVAL, "string mark accepted");
	CHECK_MSG(d.msg, "leave the string mark at");
	/* the checkpoint's type offset one record off: the first part does
	 * not end there */
	memcpy(c, enc, enc_n);
	le32_put(c + FIXED, id - 1);
	le32_put(c + FIXED + 12, id - 2); /* kind bytes before it */
	CHECK(decode(c, enc_n, n, &d) == -EINVAL, "id - 1 accepted");
	CHECK_MSG(d.msg, "bytes of the");
	/* a stream offset past its stream */
	memcpy(c, enc, enc_n);
	le32_put(c + FIXED + 12 + 4 * S_NAME,
		 le32_get(c + 32 + 4 * S_NAME) + 1);
	CHECK(decode(c, enc_n, n, &d) == -EINVAL, "offset past accepted");
	CHECK_MSG(d.msg, "outside the payload's types, sections or streams");
	/* no checkpoint: one part, the same blob */
	memcpy(c, enc, enc_n);
	memset(c + FIXED, 0, FIXED2 - FIXED);
	CHECK(!btf_streams_decode(c, enc_n, out, n, &d) &&
		      !memcmp(out, blob, n),
	      "without checkpoint: %s", d.msg);
	free(out);
	free(c);
	free(enc);
}

static int test_corrupt(const char *dir)
{
	struct diag d = {""};
	size_t n, enc_n, i, refused = 0;
	uint8_t *blob = build_all(&n), *enc = NULL, *c;
	int err;

	(void)dir;
	corrupt_ck(blob, n);
	/* the rest on a version 1 payload (fixed offsets below) */
	free(round_trip(blob, n, &enc_n));
	CHECK(!btf_streams_encode_version(blob, n, 1, (void **)&enc, &enc_n,
					  &d),
	      "encode v1: %s", d.msg);
	if (!enc)
		return 0;
	for (i = 0; i < enc_n; i++)
		CHECK(decode(enc, i, n, &d) == -EINVAL, "truncated to %zu", i);
	c = malloc(enc_n);
	for (i = 0; i < enc_n; i++) {
		memcpy(c, enc, enc_n);
		c[i] ^= 0x81;
		err = decode(c, enc_n, n, &d);
		CHECK(!err || err == -EINVAL, "flip at %zu: %d", i, err);
		refused += err != 0;
	}
	CHECK(refused > 0, "no flip of %zu bytes refused", enc_n);

	/* another blob size than the index's */
	CHECK(decode(enc, enc_n, n + 1, &d) == -EINVAL, "size + 1 accepted");
	CHECK_MSG(d.msg, "sections add up to");
	/* stream lengths that do not add up to the payload */
	memcpy(c, enc, enc_n);
	le32_put(c + 32 + 4 * S_VLEN, le32_get(c + 32 + 4 * S_VLEN) + 1);
	CHECK(decode(c, enc_n, n, &d) == -EINVAL, "lengths accepted");
	CHECK_MSG(d.msg, "stream lengths add up to");
	/* a truncated stream: one byte moved from the vlen stream to the
	 * next, the total unchanged */
	memcpy(c, enc, enc_n);
	le32_put(c + 32 + 4 * S_VLEN, le32_get(c + 32 + 4 * S_VLEN) - 1);
	le32_put(c + 36 + 4 * S_VLEN, le32_get(c + 36 + 4 * S_VLEN) + 1);
	CHECK(decode(c, enc_n, n, &d) == -EINVAL, "short stream accepted");
	CHECK_MSG(d.msg, "vlen stream truncated");
	/* more kind bytes than types */
	memcpy(c, enc, enc_n);
	le32_put(c + 24, le32_get(c + 24) - 1);
	CHECK(decode(c, enc_n, n, &d) == -EINVAL, "type count accepted");
	/* an id out of range: [3] PTR's code (1 + zigzag(3 - 1) = 5, the type
	 * stream's first byte) made 1 + zigzag(3 - 40) = 74 */
	memcpy(c, enc, enc_n);
	CHECK(c[stream_off(c, S_TYPE)] == 5, "type stream starts with %u",
	      c[stream_off(c, S_TYPE)]);
	c[stream_off(c, S_TYPE)] = 74;
	CHECK(decode(c, enc_n, n, &d) == -EINVAL, "id 40 accepted");
	CHECK_MSG(d.msg, "type [3]: type stream: type id 40 out of range");
	/* a kind the decoder does not know */
	memcpy(c, enc, enc_n);
	c[stream_off(c, S_KIND)] = 20;
	CHECK(decode(c, enc_n, n, &d) == -EINVAL, "kind 20 accepted");
	CHECK_MSG(d.msg, "kind 20");
	/* another stream count (a newer writer's) */
	memcpy(c, enc, enc_n);
	le32_put(c + 28, S_CNT + 1);
	CHECK(decode(c, enc_n, n, &d) == -EINVAL, "17 streams accepted");
	CHECK_MSG(d.msg, "17 streams, this version reads 16");
	free(c);
	free(enc);
	free(blob);
	return 0;
}

static const struct unit_case cases[] = {
	{"all_kinds", test_all_kinds}, {"layout", test_layout},
	{"pahole", test_pahole},       {"not_encoded", test_not_encoded},
	{"corrupt", test_corrupt},
};

int main(int argc, char **argv)
{
	return unit_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
