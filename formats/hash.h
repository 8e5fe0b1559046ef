/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * hash: the string hash the passes that key types by their names share
 * (64-bit FNV-1a). Not for untrusted-keyed tables: a collision only costs
 * its users a closer look, never a wrong answer.
 */
#ifndef BTFAR_FORMATS_HASH_H
#define BTFAR_FORMATS_HASH_H

#include <stdint.h>

static inline uint64_t hash_str64(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (s && *s)
		h = (h ^ (uint8_t)*s++) * 1099511628211ull;
	return h;
}

#endif /* BTFAR_FORMATS_HASH_H */
