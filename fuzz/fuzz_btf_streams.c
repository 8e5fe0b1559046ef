/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_btf_streams: formats/btf_streams. Byte 0 of the input picks the
 * mode:
 *   0: the rest is a blob: btf_streams_encode_version, payload
 *      versions 1 and 2, and when it encodes, btf_streams_decode must
 *      give the blob back byte for byte;
 *   1: the rest is a streams payload: btf_streams_decode into a buffer of
 *      the size its fixed fields give (capped), which must either refuse
 *      it or fill the buffer without reading past the payload; then
 *      btf_streams_decode_head of the payload less the string section its
 *      header names, that section put in place first (what an archive's
 *      second frame gives), which must come to the same verdict and
 *      bytes.
 * $FUZZ_STREAMS_DUMP=DIR: mode 0 writes each payload it encodes to DIR as a
 * mode 1 input (fuzz/make-corpus.sh makes the seeds that way).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "formats/btf_streams.h"

static void dump(const void *enc, size_t n)
{
	static unsigned seq;
	const char *dir = getenv("FUZZ_STREAMS_DUMP");
	char path[4096];
	FILE *f;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/payload-%u", dir, seq++);
	f = fopen(path, "wb");
	if (!f || fputc(1, f) == EOF || fwrite(enc, 1, n, f) != n) {
		fprintf(stderr, "fuzz_btf_streams: cannot write %s\n", path);
		abort();
	}
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	void *enc = NULL, *dec = NULL;
	size_t enc_n, n;
	struct diag d;
	int err;

	if (size < 1)
		return 0;
	if (data[0] == 1) {
		n = btf_streams_blob_size(data + 1, size - 1);
		if (!n || n > FUZZ_MAX_OUT)
			return 0;
		uint8_t *dec2;
		size_t sl = size >= 25 ? (size_t)data[21] | data[22] << 8 |
						 data[23] << 16 |
						 (size_t)data[24] << 24
				       : SIZE_MAX;
		int err2;

		dec = calloc(1, n);
		dec2 = calloc(1, n);
		if (!dec || !dec2) {
			free(dec);
			free(dec2);
			return 0;
		}
		err = btf_streams_decode(data + 1, size - 1, dec, n, &d);
		if (sl <= n && sl <= size - 1) {
			memcpy(dec2 + n - sl, data + size - sl, sl);
			err2 = btf_streams_decode_head(data + 1, size - 1 - sl,
						       dec2, n, sl, 2, &d);
			if (!err != !err2 || (!err && memcmp(dec, dec2, n)))
				abort();
		}
		free(dec);
		free(dec2);
		return 0;
	}
	/* both payload versions: 1 (archives of versions 4 and 5) and 2 */
	for (unsigned int v = 1; v <= 2; v++) {
		err = btf_streams_encode_version(data + 1, size - 1, v, &enc,
						 &enc_n, &d);
		if (err) {
			if (err != -ENOTSUP && err != -ENOMEM)
				abort();
			return 0;
		}
		dump(enc, enc_n);
		dec = malloc(size - 1 ? size - 1 : 1);
		if (!dec)
			abort();
		if (btf_streams_decode(enc, enc_n, dec, size - 1, &d) ||
		    memcmp(dec, data + 1, size - 1)) {
			fprintf(stderr,
				"encoded (version %u), but does not decode "
				"back: %s\n",
				v, d.msg);
			abort();
		}
		free(dec);
		free(enc);
	}
	return 0;
}
