/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * varint: unsigned LEB128 varints and zigzag coding of signed values, as
 * the streams encoding of whole entries (btf_streams), delta payload
 * version 3's type map (btf_delta) and layout 2 module blocks (btfa) write
 * them (docs/FORMAT.md).
 */
#ifndef BTFAR_FORMATS_VARINT_H
#define BTFAR_FORMATS_VARINT_H

#include <stddef.h>
#include <stdint.h>

/* The most bytes a 64-bit varint takes. */
#define VARINT_MAX 10

/* Small magnitudes of either sign as small numbers: 0, -1, 1, -2, ... as
 * 0, 1, 2, 3, ... */
static inline uint64_t zigzag64(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t unzigzag64(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Writes v at p (VARINT_MAX bytes of room); returns the bytes written. */
static inline size_t varint_put(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/*
 * Reads a varint of at most VARINT_MAX bytes at *p, before end, into *v
 * and moves *p past it. Returns 0; -1 when end comes first (truncated),
 * -2 when VARINT_MAX bytes all say more follows (overlong); *p is then
 * past what was read.
 */
static inline int varint_get(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;
	unsigned int shift = 0;

	while (*p < end && shift < 7 * VARINT_MAX) {
		uint8_t c = *(*p)++;

		x |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = x;
			return 0;
		}
		shift += 7;
	}
	return *p < end ? -2 : -1;
}

#endif /* BTFAR_FORMATS_VARINT_H */
