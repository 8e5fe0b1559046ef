/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_btf_delta: formats/btf_delta against a fixed reference, the fixture
 * vmlinux BTF (corpus/btf_delta/ref.btf, read once; the path is compiled in,
 * $BTFAR_FUZZ_REF overrides it). Byte 0 of the input picks the mode:
 *   0: the rest is a blob: btf_delta__encode against the reference (a
 *      version 3 payload, BTFDLT3) and the version 2 and 1 encodings
 *      (BTFDLT2, BTFDLT1), then btf_delta__decode of each, which must give
 *      the blob back byte for byte;
 *   1: the rest is a delta payload: btf_delta__decode and
 *      btf_delta__changes, then btf_delta_view (what min-core reads of
 *      it); when the payload decodes to a blob that parses, the view must
 *      validate and give each blob type its kind, name and size. The type
 *      map alone (btf_delta_map, what an archive's module block of layout
 *      3 is read through) must be read whenever either of the first two
 *      succeeds, and be the one btf_delta__changes reads.
 * $FUZZ_DELTA_DUMP=DIR: mode 0 writes each payload it encodes to DIR as a
 * mode 1 input, payload-N (version 1), payload2-N (version 2) and
 * payload3-N (version 3) (fuzz/make-corpus.sh makes the seeds that way).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "formats/btf_delta.h"
#include "formats/btf_raw.h"

static void *ref;
static size_t ref_size;
static struct btf_raw ref_raw;
static struct btf_view view;

static void ref_load(void)
{
	struct diag d;
	const char *path = getenv("BTFAR_FUZZ_REF");
	long sz;
	FILE *f;

	if (!path)
		path = BTFAR_FUZZ_REF_PATH;
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (sz = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET) || !(ref = malloc(sz)) ||
	    fread(ref, 1, sz, f) != (size_t)sz) {
		fprintf(stderr, "fuzz_btf_delta: cannot read %s\n", path);
		abort();
	}
	fclose(f);
	ref_size = (size_t)sz;
	if (btf_raw__parse(&ref_raw, ref, ref_size, NULL, &d)) {
		fprintf(stderr, "fuzz_btf_delta: %s is not raw BTF\n", path);
		abort();
	}
	if (btf_view_init(&view, &ref_raw))
		abort();
}

/* The view of payload c against the decoded blob dec (NULL: it did not
 * decode): a blob that parses has a view that validates and agrees. */
static void check_view(const struct btf_delta_changes *c, const void *dec,
		       size_t dec_n)
{
	uint32_t *order = malloc(((size_t)c->nb + 1) * sizeof(*order));
	uint32_t *bid = malloc(((size_t)c->na + c->nb + 1) * sizeof(*bid));
	struct btf_raw b = {0};
	void *recs = NULL;
	struct diag d;
	bool parsed, ok;
	uint32_t id;

	if (!order || !bid)
		abort();
	parsed = dec && !btf_raw__parse(&b, dec, dec_n, NULL, &d);
	ok = !btf_delta_view(&view, c, &recs, order, bid, &d);
	if (parsed && !ok) {
		fprintf(stderr, "the blob parses, its view does not: %s\n",
			d.msg);
		abort();
	}
	for (id = 1; ok && id <= c->nb; id++) {
		const struct btf_type *vt =
			btf_raw__type(&view.raw, order[id - 1]);
		const struct btf_type *bt =
			parsed ? btf_raw__type(&b, id) : NULL;

		if (!vt || bid[order[id - 1]] != id)
			abort();
		if (bt && (vt->info != bt->info ||
			   strcmp(btf_raw__str(&view.raw, vt->name_off),
				  btf_raw__str(&b, bt->name_off)) ||
			   btf_raw__size(&view.raw, order[id - 1]) !=
				   btf_raw__size(&b, id))) {
			fprintf(stderr, "blob type [%u] differs in the view\n",
				id);
			abort();
		}
	}
	btf_raw__release(&b);
	free(recs);
	free(order);
	free(bid);
}

static void dump(const void *enc, size_t n, unsigned int version)
{
	static unsigned seq[4];
	const char *dir = getenv("FUZZ_DELTA_DUMP");
	char path[4096];
	FILE *f;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/payload%s-%u", dir,
		 version == 1	? ""
		 : version == 2 ? "2"
				: "3",
		 seq[version]++);
	f = fopen(path, "wb");
	if (!f || fputc(1, f) == EOF || fwrite(enc, 1, n, f) != n) {
		fprintf(stderr, "fuzz_btf_delta: cannot write %s\n", path);
		abort();
	}
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	void *enc = NULL, *dec = NULL;
	size_t enc_n, dec_n;
	struct diag d;
	void *blob;

	if (!ref)
		ref_load();
	if (size < 1)
		return 0;
	/* an aligned copy: the blob is read as records */
	blob = malloc(size);
	if (!blob)
		return 0;
	memcpy(blob, data + 1, size - 1);
	if (data[0] == 1) {
		struct btf_delta_changes c;
		uint32_t b, *rev, nb, na;
		int merr;

		na = btf_raw__type_cnt(&ref_raw) - 1;
		merr = btf_delta_map(blob, size - 1, na, &rev, &nb, &d);
		if (btf_delta__decode(ref, ref_size, blob, size - 1, &dec,
				      &dec_n, &d))
			dec = NULL;
		else if (merr)
			abort();
		if (!btf_delta__changes(&ref_raw, blob, size - 1, &c, &d)) {
			if (merr || nb != c.nb || na != c.na)
				abort();
			for (b = 1; b <= na; b++)
				if (rev[b] != c.blob_of[b - 1])
					abort();
			for (b = 1; b <= c.nb; b++)
				if ((c.partner[b - 1] &&
				     c.blob_of[c.partner[b - 1] - 1] != b) ||
				    !c.rec[b - 1] ||
				    (!c.same[b - 1] && !c.name[b - 1]))
					abort();
			check_view(&c, dec, dec_n);
		}
		btf_delta__changes_release(&c);
		free(rev);
		free(dec);
	} else if (data[0] == 0) {
		unsigned int version;

		for (version = 3; version >= 1; version--) {
			if (version == 3
				    ? btf_delta__encode(ref, ref_size, blob,
							size - 1, &enc, &enc_n,
							NULL, &d)
				    : btf_delta_encode_version(
					      ref, ref_size, blob, size - 1,
					      version, &enc, &enc_n, NULL, &d))
				break;
			dump(enc, enc_n, version);
			if (btf_delta__decode(ref, ref_size, enc, enc_n, &dec,
					      &dec_n, &d) ||
			    dec_n != size - 1 || memcmp(dec, blob, size - 1)) {
				fprintf(stderr,
					"delta version %u does not decode "
					"back: %s\n",
					version, d.msg);
				abort();
			}
			free(dec);
			free(enc);
			dec = enc = NULL;
		}
	}
	free(blob);
	return 0;
}
