/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_btfa: the .btfa reader on a memory source (btfa_src__mem). Every
 * entry is read (frames, dictionaries, delta entries with their
 * reference), skipping entries that claim more than the fuzzing cap, which
 * the reader would allocate (its own cap is 4 GiB), and its modules are
 * looked up (versions 3 and 4: its module block read and checked; version
 * 4: a block stored as a delta on its reference entry's block, read first).
 * Each entry is read on two threads (a delta's reference lent to the
 * decoder: one_delta) and on one, which must agree byte for byte and
 * message for message.
 *
 * Byte 0 of the input picks the form of the rest:
 *   0: an archive, as is;
 *   1: an archive whose live index is stored decompressed: the harness
 *      compresses it and writes its size and SHA-256 into the header, so
 *      that mutations reach the index parser instead of stopping at the
 *      header's checksum or in zstd.
 * $FUZZ_BTFA_DUMP=DIR: each form-0 input that opens is also written to DIR
 * in form 1 (fuzz/make-corpus.sh makes the seeds that way).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

#include "fuzz/fuzz.h"
#include "formats/btfa.h"
#include "formats/le.h"
#include "formats/sha256.h"

/* Form 1 -> an archive: the raw index at [off, off + size) compressed in
 * place of it (the bytes after it follow), header fixed. NULL if the header
 * does not name a range inside the input. */
static uint8_t *wrap_index(const uint8_t *in, size_t n, size_t *out_n)
{
	uint64_t off, len;
	size_t bound, z;
	struct sha256 sh;
	uint8_t *out;

	if (n < BTFA_HDR_SIZE)
		return NULL;
	off = le64_get(in + 16);
	len = le64_get(in + 24);
	if (off < BTFA_HDR_SIZE || off > n || len > n - off)
		return NULL;
	bound = ZSTD_compressBound(len);
	out = malloc(n + bound);
	if (!out)
		return NULL;
	memcpy(out, in, off);
	z = ZSTD_compress(out + off, bound, in + off, len, 1);
	if (ZSTD_isError(z)) {
		free(out);
		return NULL;
	}
	memcpy(out + off + z, in + off + len, n - off - len);
	le64_put(out + 24, z);
	sha256_init(&sh);
	sha256_update(&sh, out + off, z);
	sha256_final(&sh, out + 32);
	*out_n = n - len + z;
	return out;
}

/* An archive that opened -> form 1, written to $FUZZ_BTFA_DUMP. */
static void dump(const struct btfa_reader *r, const uint8_t *in, size_t n)
{
	static unsigned seq;
	const char *dir = getenv("FUZZ_BTFA_DUMP");
	uint64_t off = r->index_off, len = r->index_size;
	uint8_t hdr[BTFA_HDR_SIZE];
	char path[4096];
	FILE *f;

	if (!dir)
		return;
	memcpy(hdr, in, sizeof(hdr));
	le64_put(hdr + 24, r->index_len);
	snprintf(path, sizeof(path), "%s/index-raw-%u", dir, seq++);
	f = fopen(path, "wb");
	if (!f || fputc(1, f) == EOF ||
	    fwrite(hdr, 1, sizeof(hdr), f) != sizeof(hdr) ||
	    fwrite(in + sizeof(hdr), 1, off - sizeof(hdr), f) !=
		    off - sizeof(hdr) ||
	    fwrite(r->index, 1, r->index_len, f) != r->index_len ||
	    fwrite(in + off + len, 1, n - off - len, f) != n - off - len) {
		fprintf(stderr, "fuzz_btfa: cannot write %s\n", path);
		abort();
	}
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct btfa_reader r;
	struct diag d, d2;
	uint8_t *wrapped = NULL;
	const uint8_t *a;
	size_t n;
	uint32_t i;

	if (size < 1 || data[0] > 1)
		return 0;
	a = data + 1;
	n = size - 1;
	if (data[0] == 1) {
		wrapped = wrap_index(a, n, &n);
		if (!wrapped)
			return 0;
		a = wrapped;
	}
	if (btfa_reader__open_src(&r, btfa_src__mem(a, n), &d)) {
		free(wrapped);
		return 0;
	}
	if (data[0] == 0)
		dump(&r, a, n);
	for (i = 0; i < r.entry_cnt; i++) {
		const struct btfa_entry *e = &r.entries[i];
		void *blob, *blob2;
		size_t bn, bn2;
		int err, err2;

		if (!btfa_reader__load_modules(&r, i, &d) && e->module_cnt)
			(void)r.modules[e->module_first].name[0];
		if (e->blob_size > FUZZ_MAX_OUT ||
		    (e->encoding == BTFA_ENC_DELTA &&
		     r.entries[e->ref_idx].blob_size > FUZZ_MAX_OUT))
			continue;
		/* on two threads with the reference lent to the decoder
		 * and dropped (one_delta), then on one with it kept: the
		 * same verdict, message and bytes */
		r.threads = 2;
		r.one_delta = true;
		err2 = btfa_reader__read(&r, i, &blob2, &bn2, &d2);
		r.threads = 1;
		r.one_delta = false;
		err = btfa_reader__read(&r, i, &blob, &bn, &d);
		if (err != err2 || (err && strcmp(d.msg, d2.msg)) ||
		    (!err && (bn != bn2 || memcmp(blob, blob2, bn)))) {
			fprintf(stderr,
				"fuzz_btfa: entry %u: one thread %d %s, two "
				"%d %s\n",
				i, err, err ? d.msg : "", err2,
				err2 ? d2.msg : "");
			abort();
		}
		if (!err) {
			free(blob);
			free(blob2);
		}
		/* version 6: the ranges through the payload just read (or,
		 * when it failed, read again) */
		if (!btfa_reader__load_ranges(&r, i, &d) && e->module_cnt)
			(void)r.ranges[r.modules[e->module_first].range_first]
				.first;
	}
	btfa_reader__close(&r);
	free(wrapped);
	return 0;
}
