// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * formats/btf_delta: the rewrite of a BTF blob against a reference. Inputs
 * are two builds of one C file encoded by pahole (gen_inputs.sh delta.c):
 * the second adds a type in front, so every later id and string offset
 * shifts, and changes a struct, an enum and the function set.
 */
#include <errno.h>

#include "formats/btf_delta.h"
#include "formats/btf_raw.h"
#include "unit.h"

static void *v1, *v2;
static size_t n1, n2;

static int load(const char *dir)
{
	if (unit_skipped(dir))
		return UNIT_SKIP;
	v1 = unit_slurp(dir, "delta1.btf", &n1);
	v2 = unit_slurp(dir, "delta2.btf", &n2);
	return 0;
}

/* enc of blob against ref decodes back to blob, byte for byte */
static int round_trip(const void *ref, size_t ref_n, const void *blob,
		      size_t blob_n, struct btf_delta_stats *st)
{
	struct diag d = {""};
	void *enc = NULL, *dec = NULL;
	size_t enc_n = 0, dec_n = 0;
	int err;

	err = btf_delta__encode(ref, ref_n, blob, blob_n, &enc, &enc_n, st, &d);
	CHECK(!err, "encode: %d %s", err, d.msg);
	if (err)
		return 1;
	err = btf_delta__decode(ref, ref_n, enc, enc_n, &dec, &dec_n, &d);
	CHECK(!err, "decode: %d %s", err, d.msg);
	CHECK(!err && dec_n == blob_n && !memcmp(dec, blob, blob_n),
	      "decoded %zu bytes, want %zu identical ones", dec_n, blob_n);
	free(enc);
	free(dec);
	return 0;
}

static int test_round_trip(const char *dir)
{
	struct btf_delta_stats st;
	int err = load(dir);

	if (err)
		return err;
	round_trip(v1, n1, v2, n2, &st);
	/* every old type has a partner; the added struct, its pointer and
	 * getter, and the changed dev have no identical one but the matcher
	 * still pairs most of them */
	CHECK(st.types > 20 && st.matched + 4 >= st.types &&
		      st.matched < st.types,
	      "%u of %u types matched", st.matched, st.types);
	round_trip(v2, n2, v1, n1, &st);
	CHECK(st.matched == st.types, "%u of %u types matched", st.matched,
	      st.types);
	return 0;
}

static int test_identity(const char *dir)
{
	struct btf_delta_stats st;
	int err = load(dir);

	if (err)
		return err;
	round_trip(v2, n2, v2, n2, &st);
	CHECK(st.matched == st.types && !st.ref_escaped && !st.str_escaped,
	      "identity: %u/%u matched, %u id and %u string escapes",
	      st.matched, st.types, st.ref_escaped, st.str_escaped);
	return 0;
}

static int test_not_btf(const char *dir)
{
	struct diag d = {""};
	static const char junk[64] = "not BTF at all";
	void *enc = NULL;
	size_t enc_n;
	int err = load(dir);

	if (err)
		return err;
	err = btf_delta__encode(v1, n1, junk, sizeof(junk), &enc, &enc_n, NULL,
				&d);
	CHECK(err == -EINVAL && !enc, "junk blob: %d", err);
	err = btf_delta__encode(junk, sizeof(junk), v1, n1, &enc, &enc_n, NULL,
				&d);
	CHECK(err == -EINVAL && !enc, "junk reference: %d", err);
	CHECK_MSG(d.msg, "reference: ");
	CHECK(btf_delta__check(junk, sizeof(junk), NULL) == -EINVAL &&
		      !btf_delta__check(v1, n1, NULL),
	      "check");
	return 0;
}

/*
 * Every truncation and every single-byte change of an encoded delta either
 * decodes (to something the caller's checksum rejects) or is refused with
 * -EBADMSG; none reads out of bounds (ASan/UBSan run this too).
 */
static int test_corrupt(const char *dir)
{
	struct diag d = {""};
	void *enc = NULL, *dec = NULL;
	size_t enc_n, dec_n, i, refused = 0;
	uint8_t *c;
	int err = load(dir);

	if (err)
		return err;
	err = btf_delta__encode(v1, n1, v2, n2, &enc, &enc_n, NULL, &d);
	CHECK(!err, "encode: %s", d.msg);
	if (err)
		return 0;
	for (i = 0; i < enc_n; i++) {
		err = btf_delta__decode(v1, n1, enc, i, &dec, &dec_n, &d);
		CHECK(err == -EBADMSG && !dec, "truncated to %zu: %d", i, err);
	}
	CHECK_MSG(d.msg, "delta: ");
	c = malloc(enc_n);
	for (i = 0; i < enc_n; i++) {
		memcpy(c, enc, enc_n);
		c[i] ^= 0x81;
		err = btf_delta__decode(v1, n1, c, enc_n, &dec, &dec_n, &d);
		CHECK(!err || err == -EBADMSG, "flip at %zu: %d", i, err);
		if (!err) {
			CHECK(dec, "flip at %zu: no output", i);
			free(dec);
			dec = NULL;
		} else {
			refused++;
		}
	}
	/* the header, map and escapes are checked: many flips are caught */
	CHECK(refused > 0, "no flip of %zu bytes refused", enc_n);
	/* the wrong reference: another type count */
	err = btf_delta__decode(v2, n2, enc, enc_n, &dec, &dec_n, &d);
	CHECK(err == -EBADMSG, "wrong reference: %d", err);
	CHECK_MSG(d.msg, "not the blob it was encoded against");
	free(c);
	free(enc);
	return 0;
}

static const struct unit_case cases[] = {
	{"round_trip", test_round_trip},
	{"identity", test_identity},
	{"not_btf", test_not_btf},
	{"corrupt", test_corrupt},
};

int main(int argc, char **argv)
{
	return unit_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
