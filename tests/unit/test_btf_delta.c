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

/* One decode on one thread and on two, with and without a buffer of the
 * blob's size, the second with its tables in scratch memory the caller
 * filled with garbage (at an odd address: the decoder aligns): the same
 * verdict, message and bytes, and the scratch used when it decodes. */
static void same_both_ways(const struct btf_delta_ref *pr, const void *enc,
			   size_t enc_n, size_t blob_n, const char *what,
			   size_t at)
{
	static uint8_t scratch[1 << 16];
	struct diag d1 = {""}, d2 = {""};
	void *o1 = NULL, *o2 = NULL;
	size_t k1 = 0, k2 = 0, i;
	int e1, e2;

	memset(scratch, 0xa5, sizeof(scratch));
	e1 = btf_delta_decode_with(pr, enc, enc_n, NULL, 0, NULL, 0, 1, &o1,
				   &k1, &d1);
	e2 = btf_delta_decode_with(pr, enc, enc_n, malloc(blob_n), blob_n,
				   scratch + 1, sizeof(scratch) - 1, 2, &o2,
				   &k2, &d2);
	CHECK(e1 == e2 && !strcmp(d1.msg, d2.msg),
	      "%s %zu: one thread %d \"%s\", two %d \"%s\"", what, at, e1,
	      d1.msg, e2, d2.msg);
	CHECK(k1 == k2 && (!k1 || !memcmp(o1, o2, k1)),
	      "%s %zu: %zu and %zu bytes, or other bytes", what, at, k1, k2);
	for (i = 0; !e2 && i < sizeof(scratch) && scratch[i] == 0xa5; i++)
		;
	CHECK(e2 || i < sizeof(scratch), "%s %zu: the scratch was not used",
	      what, at);
	free(o1);
	free(o2);
}

/*
 * The decoder on two threads (strings beside the map and the places, the
 * records in two halves) gives what it gives on one, for the payload, every
 * truncation and every single-byte change of it: same bytes, same message
 * (the first failing phase in one-thread order).
 */
static int test_threads_same(const char *dir)
{
	struct btf_delta_ref *pr;
	struct diag d = {""};
	void *enc = NULL, *dec = NULL;
	size_t enc_n, dec_n, i;
	uint8_t *c;
	int err = load(dir);

	if (err)
		return err;
	err = btf_delta__encode(v1, n1, v2, n2, &enc, &enc_n, NULL, &d);
	CHECK(!err, "encode: %s", d.msg);
	if (err)
		return 0;
	pr = btf_delta_ref_new(v1, n1);
	CHECK(pr, "btf_delta_ref_new");
	if (!pr)
		return 0;
	err = btf_delta_decode_with(pr, enc, enc_n, NULL, 0, NULL, 0, 2, &dec,
				    &dec_n, &d);
	CHECK(!err && dec_n == n2 && !memcmp(dec, v2, n2), "two threads: %d %s",
	      err, d.msg);
	free(dec);
	for (i = 0; i < enc_n; i++)
		same_both_ways(pr, enc, i, n2, "truncated to", i);
	c = malloc(enc_n);
	for (i = 0; i < enc_n; i++) {
		memcpy(c, enc, enc_n);
		c[i] ^= 0x81;
		same_both_ways(pr, c, enc_n, n2, "flip at", i);
		/* and a second change elsewhere: two phases may fail at
		 * once, and the one reported must be the same */
		c[(i * 7919 + 13) % enc_n] ^= 0x42;
		same_both_ways(pr, c, enc_n, n2, "two flips from", i);
		memcpy(c, enc, enc_n);
		c[i] ^= 0x81;
		c[enc_n - 1 - i] ^= 0x24;
		same_both_ways(pr, c, enc_n, n2, "flips at both ends", i);
	}
	free(c);
	btf_delta_ref_free(pr);
	/* a reference of another type count, prepared */
	pr = btf_delta_ref_new(v2, n2);
	same_both_ways(pr, enc, enc_n, n2, "wrong reference", 0);
	btf_delta_ref_free(pr);
	free(enc);
	return 0;
}

/* the payload's version 2 string corrections: count, and the first */
static uint32_t ncorr_of(const uint8_t *enc)
{
	return (uint32_t)enc[36] | (uint32_t)enc[37] << 8 |
	       (uint32_t)enc[38] << 16 | (uint32_t)enc[39] << 24;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* The corrections of a version 2 or 3 payload: after the type map. */
static uint8_t *corr_of(uint8_t *enc)
{
	if (!memcmp(enc, BTF_DELTA_MAGIC3, 8))
		return enc + 48 +
		       ((get32(enc + 40) + get32(enc + 44) + 3) & ~3u);
	return enc + 40 + (size_t)get32(enc + 20) * 4;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* The three payload versions, each way: versions 1 and 2 (what archives
 * of format versions 2 to 4 hold) still decode and read as changes;
 * version 2 is smaller than 1; version 3 is what btf_delta__encode
 * writes, and all read the same. */
/* The type map alone (btf_delta_map) is the one btf_delta__changes
 * reads, and it is refused against a reference of another type count. */
static void check_map(const struct btf_delta_changes *c, const void *enc,
		      size_t enc_n, int ver)
{
	struct diag d = {""};
	uint32_t *rev, nb, a;
	int err;

	err = btf_delta_map(enc, enc_n, c->na, &rev, &nb, &d);
	CHECK(!err && nb == c->nb, "map v%d: %d %s", ver, err, d.msg);
	for (a = 1; !err && a <= c->na; a++)
		CHECK(rev[a] == c->blob_of[a - 1],
		      "map v%d: reference id %u: %u, changes say %u", ver, a,
		      rev[a], c->blob_of[a - 1]);
	free(rev);
	err = btf_delta_map(enc, enc_n, c->na + 1, &rev, &nb, &d);
	CHECK(err == -EBADMSG && !rev, "map v%d on %u types: %d", ver,
	      c->na + 1, err);
	CHECK_MSG(d.msg, "the reference has");
}

static int test_versions(const char *dir)
{
	const void *pairs[2][2];
	size_t sizes[2][2];
	int err = load(dir), k, ver;

	if (err)
		return err;
	pairs[0][0] = v1, sizes[0][0] = n1, pairs[0][1] = v2, sizes[0][1] = n2;
	pairs[1][0] = v2, sizes[1][0] = n2, pairs[1][1] = v1, sizes[1][1] = n1;
	for (k = 0; k < 2; k++) {
		const void *ref = pairs[k][0], *blob = pairs[k][1];
		size_t ref_n = sizes[k][0], blob_n = sizes[k][1];
		struct btf_delta_changes c[3] = {{0}, {0}, {0}};
		void *enc[4] = {NULL, NULL, NULL, NULL};
		size_t enc_n[4] = {0, 0, 0, 0};
		struct btf_raw r = {0};
		struct diag d = {""};

		CHECK(!btf_raw__parse(&r, ref, ref_n, NULL, &d), "parse: %s",
		      d.msg);
		for (ver = 1; ver <= 3; ver++) {
			void *dec = NULL;
			size_t dec_n = 0;

			err = btf_delta_encode_version(
				ref, ref_n, blob, blob_n, (unsigned int)ver,
				&enc[ver], &enc_n[ver], NULL, &d);
			CHECK(!err, "encode v%d: %s", ver, d.msg);
			if (err)
				continue;
			CHECK(!memcmp(enc[ver],
				      ver == 1	 ? BTF_DELTA_MAGIC
				      : ver == 2 ? BTF_DELTA_MAGIC2
						 : BTF_DELTA_MAGIC3,
				      8),
			      "v%d: magic %.7s", ver, (char *)enc[ver]);
			err = btf_delta__decode(ref, ref_n, enc[ver],
						enc_n[ver], &dec, &dec_n, &d);
			CHECK(!err && dec_n == blob_n &&
				      !memcmp(dec, blob, blob_n),
			      "decode v%d: %d %s", ver, err, d.msg);
			free(dec);
			err = btf_delta__changes(&r, enc[ver], enc_n[ver],
						 &c[ver - 1], &d);
			CHECK(!err, "changes v%d: %s", ver, d.msg);
			if (!err)
				check_map(&c[ver - 1], enc[ver], enc_n[ver],
					  ver);
		}
		err = btf_delta__encode(ref, ref_n, blob, blob_n, &enc[0],
					&enc_n[0], NULL, &d);
		CHECK(!err && enc_n[0] == enc_n[3] &&
			      !memcmp(enc[0], enc[3], enc_n[0]),
		      "btf_delta__encode does not write version 3");
		CHECK(enc_n[2] < enc_n[1], "version 2: %zu bytes, 1: %zu",
		      enc_n[2], enc_n[1]);
		for (ver = 1; ver <= 2; ver++) {
			const struct btf_delta_changes *x = &c[0], *y = &c[ver];
			uint32_t b;

			if (!x->nb || !y->nb)
				continue;
			CHECK(x->nb == y->nb && x->changed == y->changed &&
				      x->str_len == y->str_len &&
				      !memcmp(x->strs, y->strs, x->str_len),
			      "changes differ between versions 1 and %d",
			      ver + 1);
			for (b = 0; b < x->nb && b < y->nb; b++)
				CHECK(x->partner[b] == y->partner[b] &&
					      x->same[b] == y->same[b] &&
					      (x->same[b] ||
					       !strcmp(x->name[b], y->name[b])),
				      "type %u: changes differ (versions 1, "
				      "%d)",
				      b + 1, ver + 1);
		}
		for (ver = 0; ver < 3; ver++)
			btf_delta__changes_release(&c[ver]);
		btf_raw__release(&r);
		for (ver = 0; ver < 4; ver++)
			free(enc[ver]);
	}
	return 0;
}

/* A version 2 payload whose corrections do not rebuild the string section
 * is refused by the decoder and by btf_delta__changes, with a message. */
static void refused2(const void *enc, size_t enc_n, const char *what,
		     const char *msg)
{
	struct btf_delta_changes c = {0};
	struct btf_raw r = {0};
	struct diag d = {""};
	void *dec = NULL;
	size_t dec_n;
	int err;

	err = btf_delta__decode(v1, n1, enc, enc_n, &dec, &dec_n, &d);
	CHECK(err == -EBADMSG && !dec, "%s: decode %d", what, err);
	CHECK_MSG(d.msg, msg);
	free(dec);
	btf_raw__parse(&r, v1, n1, NULL, &d);
	err = btf_delta__changes(&r, enc, enc_n, &c, &d);
	CHECK(err == -EBADMSG, "%s: changes %d", what, err);
	CHECK_MSG(d.msg, msg);
	btf_delta__changes_release(&c);
	btf_raw__release(&r);
}

/* The fixture's second build encoded on its first (btf_delta__encode:
 * version 3) into *enc; 0, a failed check, or load's result. */
static int fixture_payload(const char *dir, uint8_t **enc, size_t *enc_n)
{
	struct diag d = {""};
	int err = load(dir);

	*enc = NULL;
	if (err)
		return err;
	err = btf_delta__encode(v1, n1, v2, n2, (void **)enc, enc_n, NULL, &d);
	CHECK(!err && !memcmp(*enc, BTF_DELTA_MAGIC3, 8), "encode: %s", d.msg);
	return 0;
}

static int test_corrupt_corrections(const char *dir)
{
	uint8_t *enc, *c;
	size_t enc_n;
	uint32_t ncorr;
	int err = fixture_payload(dir, &enc, &enc_n);

	if (err || !enc)
		return err;
	ncorr = ncorr_of(enc);
	CHECK(ncorr >= 1, "no correction in the fixture's payload");
	c = malloc(enc_n + 8);
	if (ncorr >= 1) {
		/* a position past the last string */
		memcpy(c, enc, enc_n);
		put32(corr_of(c), 0x3fffffff);
		refused2(c, enc_n, "position past the end",
			 "string map does not rebuild");
		/* a literal that does not exist */
		memcpy(c, enc, enc_n);
		put32(corr_of(c) + 4, 2 * 100000 + 1);
		refused2(c, enc_n, "no such literal",
			 "string map does not rebuild");
		/* a reference string that does not exist */
		memcpy(c, enc, enc_n);
		put32(corr_of(c) + 4, 2 * 100000000);
		refused2(c, enc_n, "no such reference string",
			 "string map does not rebuild");
	}
	if (ncorr >= 2) {
		/* one string placed twice */
		memcpy(c, enc, enc_n);
		memcpy(corr_of(c) + 12, corr_of(c) + 4, 4);
		refused2(c, enc_n, "a string twice",
			 "string map does not rebuild");
	}
	/* a count of corrections the payload has no room for */
	memcpy(c, enc, enc_n);
	put32(c + 36, ncorr + 1);
	refused2(c, enc_n, "count past the payload", "header does not match");
	free(c);
	free(enc);
	return 0;
}

/* enc (a version 3 payload) with its type map streams replaced by runs
 * and jumps (rl, jl bytes), laid out again; *n its size. */
static uint8_t *with_map(const uint8_t *enc, size_t enc_n, const uint8_t *runs,
			 uint32_t rl, const uint8_t *jumps, uint32_t jl,
			 size_t *n)
{
	size_t old_map = (get32(enc + 40) + get32(enc + 44) + 3) & ~3u;
	size_t map = (rl + jl + 3) & ~3u, rest = enc_n - 48 - old_map;
	uint8_t *o = calloc(1, 48 + map + rest);

	memcpy(o, enc, 48);
	put32(o + 40, rl);
	put32(o + 44, jl);
	memcpy(o + 48, runs, rl);
	memcpy(o + 48 + rl, jumps, jl);
	memcpy(o + 48 + map, enc + 48 + old_map, rest);
	*n = 48 + map + rest;
	return o;
}

/* refused2 of enc with its map streams replaced (with_map). */
static void map3_refused(const uint8_t *enc, size_t enc_n, const uint8_t *runs,
			 uint32_t rl, const uint8_t *jumps, uint32_t jl,
			 const char *what, const char *msg)
{
	size_t n;
	uint8_t *c = with_map(enc, enc_n, runs, rl, jumps, jl, &n);

	refused2(c, n, what, msg);
	free(c);
}

/* Version 3: type map streams that do not decode are refused by the
 * decoder and by btf_delta__changes, each with what is wrong. */
static int test_corrupt_map3(const char *dir)
{
	uint8_t *enc, *c, runs[256], jumps[256];
	size_t enc_n, n;
	uint32_t nb;
	int err = fixture_payload(dir, &enc, &enc_n);

	if (err || !enc)
		return err;
	nb = get32(enc + 20);
	CHECK(nb > 2 && nb < 127, "the fixture has %u types", nb);
	if (nb < 3 || nb > 126) {
		free(enc);
		return 0;
	}
	/* a run past the types */
	runs[0] = (uint8_t)(nb + 1);
	map3_refused(enc, enc_n, runs, 1, jumps, 0, "run past",
		     "type map: run at blob id 1 cut short or "
		     "past the types");
	/* a varint cut short */
	runs[0] = 0x80;
	map3_refused(enc, enc_n, runs, 1, jumps, 0, "run cut",
		     "type map: run at blob id 1 cut short");
	/* no break where the run ends short of the types */
	runs[0] = 2;
	map3_refused(enc, enc_n, runs, 1, jumps, 0, "break missing",
		     "type map: break at blob id 3 cut "
		     "short");
	/* a resumption with no run left */
	runs[0] = 0;
	jumps[0] = 1;
	map3_refused(enc, enc_n, runs, 1, jumps, 1, "resume",
		     "type map: blob id 1 resumes run 1 of 0 "
		     "left");
	/* a run after the types are done (every blob id without a
	 * partner: nb + 1 runs of 0 and nb breaks 0 are a valid map) */
	memset(runs, 0, sizeof(runs));
	memset(jumps, 0, sizeof(jumps));
	map3_refused(enc, enc_n, runs, nb + 2, jumps, nb, "trailing",
		     "type map: bytes after the last type");
	/* a partner past the reference: distance 100000 */
	runs[0] = 0;
	runs[1] = 0;
	jumps[0] = 0xc9; /* 9 + zigzag(100000) = 200009, as LEB128 */
	jumps[1] = 0x9a;
	jumps[2] = 0x0c;
	map3_refused(enc, enc_n, runs, 1, jumps, 3, "partner past",
		     "type map entry 1 is out of range");
	/* the padding after the streams (2 nb + 1 bytes) not zero */
	memset(runs, 0, sizeof(runs));
	memset(jumps, 0, sizeof(jumps));
	c = with_map(enc, enc_n, runs, nb + 1, jumps, nb, &n);
	c[48 + 2 * nb + 1] = 1;
	refused2(c, n, "padding", "type map padding is not zero");
	free(c);
	free(enc);
	return 0;
}

static const struct unit_case cases[] = {
	{"versions", test_versions},
	{"corrupt_corrections", test_corrupt_corrections},
	{"corrupt_map3", test_corrupt_map3},
	{"round_trip", test_round_trip},
	{"identity", test_identity},
	{"not_btf", test_not_btf},
	{"corrupt", test_corrupt},
	{"threads_same", test_threads_same},
};

int main(int argc, char **argv)
{
	return unit_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
