/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * decomp: in-memory decompression of kernel modules (.ko.xz, .ko.zst,
 * .ko.gz) and of kernel image payloads (also lzma, bzip2, lz4 legacy, lzop),
 * chosen by magic bytes, with caps against decompression bombs.
 */
#ifndef BTFAR_FORMATS_DECOMP_H
#define BTFAR_FORMATS_DECOMP_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

enum decomp_kind {
	DECOMP_NONE = 0, /* not compressed (or not a format we know) */
	DECOMP_XZ,
	DECOMP_ZSTD,
	DECOMP_GZIP,
	DECOMP_LZMA, /* .lzma ("alone"), as xz --format=lzma writes */
	DECOMP_BZIP2,
	DECOMP_LZ4_LEGACY, /* lz4 -l legacy frame (magic 0x184C2102) */
	DECOMP_LZO,	   /* the lzop file format */
};

/* A zero field means no such cap; decomp_all() also takes caps == NULL. */
struct decomp_caps {
	uint64_t max_out;   /* most bytes one stream may expand to */
	uint64_t max_ratio; /* most out/in ratio */
};

/* Detects the format from the first bytes. */
enum decomp_kind decomp_detect(const void *data, size_t size);
const char *decomp_kind_str(enum decomp_kind kind);

/*
 * Decompresses the whole of in (one stream, or several concatenated xz
 * streams, zstd frames or gzip members) into a malloc()ed buffer. Refuses
 * truncated input, trailing garbage, a size that disagrees with the stream's
 * own record (gzip ISIZE, zstd frame content size) and any output past the
 * caps. Returns 0 or a negative errno (-EINVAL corrupt, -EFBIG over a cap,
 * -ENOMEM) with d set, e.g. "xz: truncated stream after 1234 input bytes". On
 * success the caller owns *out and frees it with free(); on error *out is NULL.
 */
int decomp_all(enum decomp_kind kind, const void *in, size_t in_sz,
	       const struct decomp_caps *caps, void **out, size_t *out_sz,
	       struct diag *d);

/*
 * Like decomp_all(), but decodes only the first stream (xz stream, zstd
 * frame, gzip member, bzip2 stream, .lzma file, lz4 legacy frame, lzop file)
 * and ignores whatever follows it: a kernel image payload is followed by its
 * 4-byte uncompressed size and padding. *in_used (if not NULL) is the number
 * of input bytes the stream took. Truncation inside the stream is still an
 * error. lz4 legacy frames have no end mark: the frame ends after a block
 * shorter than 8 MiB, or after a whole block when what follows cannot be a
 * block (0, over the block bound, equal to the output so far as the kernel's
 * appended size is, or fewer than 4 bytes).
 */
int decomp_first(enum decomp_kind kind, const void *in, size_t in_sz,
		 const struct decomp_caps *caps, void **out, size_t *out_sz,
		 size_t *in_used, struct diag *d);

/*
 * The other way, for module files written back: in compressed as one xz
 * stream (CRC32 check, 1 MiB dictionary), zstd frame (default level) or
 * gzip member (level 6, no name, mtime 0), as the kernel's
 * scripts/Makefile.modinst compresses modules, into a malloc()ed *out.
 * Returns 0, -ENOTSUP for the other kinds, or -errno with d set.
 */
int decomp_encode(enum decomp_kind kind, const void *in, size_t in_sz,
		  void **out, size_t *out_sz, struct diag *d);

#endif /* BTFAR_FORMATS_DECOMP_H */
