/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_btf_delta: formats/btf_delta against a fixed reference, the fixture
 * vmlinux BTF (corpus/btf_delta/ref.btf, read once; the path is compiled in,
 * $BTFAR_FUZZ_REF overrides it). Byte 0 of the input picks the mode:
 *   0: the rest is a blob: btf_delta__encode against the reference, then
 *      btf_delta__decode, which must give the blob back byte for byte;
 *   1: the rest is a delta payload: btf_delta__decode and
 *      btf_delta__changes (what min-core reads of it).
 * $FUZZ_DELTA_DUMP=DIR: mode 0 writes each payload it encodes to DIR as a
 * mode 1 input (fuzz/make-corpus.sh makes the seeds that way).
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
}

static void dump(const void *enc, size_t n)
{
	static unsigned seq;
	const char *dir = getenv("FUZZ_DELTA_DUMP");
	char path[4096];
	FILE *f;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/payload-%u", dir, seq++);
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
		uint32_t b;

		if (!btf_delta__decode(ref, ref_size, blob, size - 1, &dec,
				       &dec_n, &d))
			free(dec);
		if (!btf_delta__changes(&ref_raw, blob, size - 1, &c, &d))
			for (b = 1; b <= c.nb; b++)
				if ((c.partner[b - 1] &&
				     c.blob_of[c.partner[b - 1] - 1] != b) ||
				    !c.rec[b - 1] ||
				    (!c.same[b - 1] && !c.name[b - 1]))
					abort();
		btf_delta__changes_release(&c);
	} else if (data[0] == 0 &&
		   !btf_delta__encode(ref, ref_size, blob, size - 1, &enc,
				      &enc_n, NULL, &d)) {
		dump(enc, enc_n);
		if (btf_delta__decode(ref, ref_size, enc, enc_n, &dec, &dec_n,
				      &d) ||
		    dec_n != size - 1 || memcmp(dec, blob, size - 1)) {
			fprintf(stderr, "delta does not decode back: %s\n",
				d.msg);
			abort();
		}
		free(dec);
		free(enc);
	}
	free(blob);
	return 0;
}
