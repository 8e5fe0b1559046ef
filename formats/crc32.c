// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * crc32: CRC-32 by folding with carry-less multiplication (Intel's "Fast
 * CRC Computation for Generic Polynomials Using PCLMULQDQ Instruction",
 * the bit-reflected form), zlib's crc32() elsewhere.
 *
 * The register (the CRC before its final inversion) is XORed into the
 * first 16 bytes; then a 128-bit state is folded forward over the next
 * 16 bytes (each half multiplied by x^(128+32) or x^(128-32) mod P,
 * reflected, then XORed with them), which keeps it a 16-byte message with
 * the same CRC as everything read so far; four states 64 bytes apart fold
 * by 512 bits the same way, then into one. That message, then the tail of
 * fewer than 16 bytes, go through zlib's crc32() from a zero register.
 */
#include "formats/crc32.h"

#include <stdbool.h>
#include <string.h>
#include <zlib.h>

static bool generic_only;

void crc32_generic_only(int on)
{
	generic_only = on;
}

/* zlib's crc32 takes at most UINT_MAX bytes a call */
static uint32_t crc32_zlib(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len) {
		unsigned int n = len > 1u << 30 ? 1u << 30 : (unsigned int)len;

		crc = (uint32_t)crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

static inline __attribute__((target("pclmul,sse4.1"))) __m128i
fold(__m128i x, __m128i k, __m128i next)
{
	return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00),
					   _mm_clmulepi64_si128(x, k, 0x11)),
			     next);
}

/* The register of p[0, len) (len >= 64, a multiple of 16 taken) folded
 * from reg, as a 16-byte message into out. Four lanes 64 bytes apart
 * while 64 bytes are left (the multiplications of one lane wait for
 * each other, four lanes keep the unit busy), then one. */
__attribute__((target("pclmul,sse4.1"))) static void
fold16(uint32_t reg, const uint8_t *p, size_t len, uint8_t out[16])
{
	/* x^(4*128+32), x^(4*128-32) mod P; then x^(128+32), x^(128-32)
	 * mod P: reflected, shifted left by one */
	const __m128i k4 = _mm_set_epi64x(0x1c6e41596LL, 0x154442bd4LL);
	const __m128i k1 = _mm_set_epi64x(0x0ccaa009eLL, 0x1751997d0LL);
	const __m128i *q = (const __m128i *)p;
	__m128i x0 = _mm_loadu_si128(q), x1 = _mm_loadu_si128(q + 1);
	__m128i x2 = _mm_loadu_si128(q + 2), x3 = _mm_loadu_si128(q + 3);

	x0 = _mm_xor_si128(x0, _mm_cvtsi32_si128((int)reg));
	for (q += 4, len -= 64; len >= 64; q += 4, len -= 64) {
		x0 = fold(x0, k4, _mm_loadu_si128(q));
		x1 = fold(x1, k4, _mm_loadu_si128(q + 1));
		x2 = fold(x2, k4, _mm_loadu_si128(q + 2));
		x3 = fold(x3, k4, _mm_loadu_si128(q + 3));
	}
	x0 = fold(fold(fold(x0, k1, x1), k1, x2), k1, x3);
	for (; len >= 16; q++, len -= 16)
		x0 = fold(x0, k1, _mm_loadu_si128(q));
	_mm_storeu_si128((__m128i *)out, x0);
}

static bool have_pclmul(void)
{
	static int have = -1;
	unsigned int a, b, c, d;

	/* CPUID leaf 1 ECX bit 1: PCLMULQDQ, bit 19: SSE4.1 */
	if (have < 0)
		have = __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 1)) &&
		       (c & (1u << 19));
	return have;
}

uint32_t crc32_update(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint8_t state[16];
	size_t whole = len & ~(size_t)15;

	/* below 64 bytes the table is as fast */
	if (generic_only || len < 64 || !have_pclmul())
		return crc32_zlib(crc, p, len);
	fold16(~crc, p, whole, state);
	/* the state from a zero register (zlib inverts on the way in and
	 * out), then the tail */
	crc = crc32_zlib(0xffffffffu, state, sizeof(state));
	return crc32_zlib(crc, p + whole, len - whole);
}
#else
uint32_t crc32_update(uint32_t crc, const void *buf, size_t len)
{
	return crc32_zlib(crc, buf, len);
}
#endif
