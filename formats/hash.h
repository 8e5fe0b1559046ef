/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * hash: what the passes that key types by their shape share: a 64-bit
 * FNV-1a string hash and a step that mixes one more value into a hash.
 * Not for untrusted-keyed tables: a collision only costs its users a
 * closer look, never a wrong answer.
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

/* h with v mixed in (boost's hash_combine step, then a multiply and an
 * xor-shift so that every bit of v reaches the high bits) */
static inline uint64_t hash_mix64(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	h *= 0xff51afd7ed558ccdull;
	return h ^ (h >> 29);
}

#endif /* BTFAR_FORMATS_HASH_H */
