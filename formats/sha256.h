/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* sha256: FIPS 180-4 SHA-256, for the digests btfar records. */
#ifndef BTFAR_FORMATS_SHA256_H
#define BTFAR_FORMATS_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;	 /* bytes hashed so far */
	uint8_t buf[64]; /* pending partial block */
	size_t buf_len;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t size);
void sha256_final(struct sha256 *s, uint8_t out[32]);
/* Tests: use the portable code even where the CPU has SHA instructions. */
void sha256_force_generic(bool on);
/* One call: digest of data as 64 lowercase hex digits and a NUL. */
void sha256_hex(const void *data, size_t size, char out[65]);

#endif /* BTFAR_FORMATS_SHA256_H */
