/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * le: little-endian integers at any byte address, whatever the host's byte
 * order (archive fields, kernel image headers, gzip trailers, BTF headers
 * read before they are validated).
 */
#ifndef BTFAR_FORMATS_LE_H
#define BTFAR_FORMATS_LE_H

#include <stdint.h>

static inline uint16_t le16_get(const void *p)
{
	const uint8_t *b = p;

	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t le32_get(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static inline uint64_t le64_get(const void *p)
{
	const uint8_t *b = p;

	return (uint64_t)le32_get(b) | (uint64_t)le32_get(b + 4) << 32;
}

static inline void le16_put(void *p, uint16_t v)
{
	uint8_t *b = p;

	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static inline void le32_put(void *p, uint32_t v)
{
	uint8_t *b = p;

	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

static inline void le64_put(void *p, uint64_t v)
{
	uint8_t *b = p;

	le32_put(b, (uint32_t)v);
	le32_put(b + 4, (uint32_t)(v >> 32));
}

#endif /* BTFAR_FORMATS_LE_H */
