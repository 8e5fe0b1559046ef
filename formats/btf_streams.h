/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * btf_streams: a reversible rewrite of one raw BTF blob into per-field
 * streams ("BTFSTM1", docs/FORMAT.md), so that a general-purpose compressor
 * sees like values next to like values.
 *
 * A type section interleaves unrelated fields (info words, name offsets,
 * type ids, member offsets, sizes) in 4-byte slots; zstd then finds short,
 * shifted matches only. Here every field class goes to its own stream and
 * each value is written in the form that repeats: type ids as distances
 * from the record's own id, name offsets as "the next new string" when the
 * name is the first use of a string (the common case: a string section is
 * written in first-use order), member offsets as distances from the
 * previous member's, enumerator values as steps, all as varints. The
 * string section is kept as is, after the streams.
 */
#ifndef BTFAR_FORMATS_BTF_STREAMS_H
#define BTFAR_FORMATS_BTF_STREAMS_H

#include <stddef.h>

#include "diag.h"

#define BTF_STREAMS_MAGIC "BTFSTM1" /* 8 bytes with its NUL */
/* version 2: a checkpoint at the middle of the types, from which a second
 * thread decodes the second half */
#define BTF_STREAMS_MAGIC2 "BTFSTM2"

/*
 * Encodes blob (standalone raw BTF, little-endian, header then types then
 * the layout section if any then strings, no gap). *out is malloc()ed, the
 * caller's. The encoding is checked by decoding it: what comes back is the
 * blob byte for byte. Returns 0, -ENOTSUP when the blob cannot be encoded
 * this way (a kind btfar does not know, an id or name offset out of range,
 * another section layout; d says why; store the blob plain), or -ENOMEM.
 */
int btf_streams_encode(const void *blob, size_t blob_size, void **out,
		       size_t *out_size, struct diag *d);
/* The same, writing payload version 1 ("BTFSTM1", what archives of format
 * versions 4 and 5 hold) or 2 ("BTFSTM2", what btf_streams_encode
 * writes). */
int btf_streams_encode_version(const void *blob, size_t blob_size,
			       unsigned int version, void **out,
			       size_t *out_size, struct diag *d);

/*
 * Decodes payload (size bytes) into out, which must be exactly the blob's
 * size (blob_size). Every count, length, id and offset is checked against
 * the payload; returns 0, or -EINVAL with d set on any inconsistency.
 */
int btf_streams_decode(const void *payload, size_t size, void *out,
		       size_t blob_size, struct diag *d);

/*
 * The same for a payload without its string section, on threads threads
 * (2: a version 2 payload's second half on a second thread; the bytes and
 * messages are those of one) (head: the payload's
 * first size bytes, up to where the string section starts), whose string
 * section of str_len bytes the caller has put at its place in out, the
 * last str_len bytes: an archive stores the two in frames of their own,
 * which decompress side by side. The payload must say str_len.
 */
int btf_streams_decode_head(const void *head, size_t size, void *out,
			    size_t blob_size, size_t str_len,
			    unsigned int threads, struct diag *d);

/* The blob size a payload decodes to, from its fixed fields; 0 when the
 * payload is too short or not BTFSTM1. */
size_t btf_streams_blob_size(const void *payload, size_t size);

#endif /* BTFAR_FORMATS_BTF_STREAMS_H */
