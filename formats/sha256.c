// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* SHA-256 as specified in FIPS 180-4, section 6.2. */
#include "sha256.h"

#include "hex.h"

#include <stdbool.h>
#include <string.h>

static const uint32_t k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror(uint32_t x, int n)
{
	return x >> n | x << (32 - n);
}

static void block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^
			      (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^
			      (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0];
	b = h[1];
	c = h[2];
	d = h[3];
	e = h[4];
	f = h[5];
	g = h[6];
	hh = h[7];
	for (i = 0; i < 64; i++) {
		t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) +
		     ((e & f) ^ (~e & g)) + k[i] + w[i];
		t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) +
		     ((a & b) ^ (a & c) ^ (b & c));
		hh = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b;
		b = a;
		a = t1 + t2;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
	h[5] += f;
	h[6] += g;
	h[7] += hh;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>

/*
 * The same compression with the x86 SHA extensions (Intel SHA-NI, in every
 * x86-64 CPU since Goldmont / Ice Lake / Zen), about 4 times the speed of
 * block(): the digest check of a 30 MB blob is a large share of reading it
 * from an archive. The state lives as ABEF / CDGH words, as sha256rnds2
 * wants it; each group of four rounds adds the four round constants to four
 * message words, and msg1 / msg2 extend the schedule four words at a time.
 */
__attribute__((target("sha,sse4.1"))) static void
blocks_shani(uint32_t h[8], const uint8_t *p, size_t n)
{
	const __m128i bswap =
		_mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
	__m128i st0, st1, tmp, msg, w[4], save0, save1;
	int i;

	tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[0]), 0xB1);
	st1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&h[4]), 0x1B);
	st0 = _mm_alignr_epi8(tmp, st1, 8);    /* ABEF */
	st1 = _mm_blend_epi16(st1, tmp, 0xF0); /* CDGH */
	for (; n; n--, p += 64) {
		save0 = st0;
		save1 = st1;
		/* the block's words loaded first and the rounds unrolled,
		 * so that w[] stays in registers and the tests on i are
		 * made at compile time: 1.1 -> 1.55 GB/s on a 27 MB blob
		 * here, where loading each word in its round was limited by
		 * the loads rather than by sha256rnds2 */
		for (i = 0; i < 4; i++)
			w[i] = _mm_shuffle_epi8(
				_mm_loadu_si128((const __m128i *)(p + 16 * i)),
				bswap);
#pragma GCC unroll 16
		for (i = 0; i < 16; i++) {
			__m128i *cur = &w[i & 3], *prev = &w[(i + 3) & 3];
			__m128i *next = &w[(i + 1) & 3];

			msg = _mm_add_epi32(
				*cur,
				_mm_loadu_si128((const __m128i *)&k[4 * i]));
			st1 = _mm_sha256rnds2_epu32(st1, st0, msg);
			if (i >= 3 && i <= 14) {
				/* w[i+1] += w[i-3..] shifted; finish it */
				tmp = _mm_alignr_epi8(*cur, *prev, 4);
				*next = _mm_add_epi32(*next, tmp);
				*next = _mm_sha256msg2_epu32(*next, *cur);
			}
			msg = _mm_shuffle_epi32(msg, 0x0E);
			st0 = _mm_sha256rnds2_epu32(st0, st1, msg);
			if (i >= 1 && i <= 12)
				*prev = _mm_sha256msg1_epu32(*prev, *cur);
		}
		st0 = _mm_add_epi32(st0, save0);
		st1 = _mm_add_epi32(st1, save1);
	}
	tmp = _mm_shuffle_epi32(st0, 0x1B);    /* FEBA */
	st1 = _mm_shuffle_epi32(st1, 0xB1);    /* DCHG */
	st0 = _mm_blend_epi16(tmp, st1, 0xF0); /* DCBA */
	st1 = _mm_alignr_epi8(st1, tmp, 8);    /* HGFE */
	_mm_storeu_si128((__m128i *)&h[0], st0);
	_mm_storeu_si128((__m128i *)&h[4], st1);
}

static bool have_shani(void)
{
	static int have = -1;
	unsigned int a, b, c, d;

	if (have < 0) {
		/* CPUID leaf 7 EBX bit 29: SHA; leaf 1 ECX bits 9, 19: SSSE3,
		 * SSE4.1 (clang 14 knows no "sha" for __builtin_cpu_supports)
		 */
		have = __get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 9)) &&
		       (c & (1u << 19)) &&
		       __get_cpuid_count(7, 0, &a, &b, &c, &d) &&
		       (b & (1u << 29));
	}
	return have;
}
#else
static void blocks_shani(uint32_t h[8], const uint8_t *p, size_t n)
{
	(void)h;
	(void)p;
	(void)n;
}

static bool have_shani(void)
{
	return false;
}
#endif

static bool generic_only;

void sha256_force_generic(bool on)
{
	generic_only = on;
}

static void blocks(uint32_t h[8], const uint8_t *p, size_t n)
{
	if (!generic_only && have_shani()) {
		blocks_shani(h, p, n);
		return;
	}
	for (; n; n--, p += 64)
		block(h, p);
}

void sha256_init(struct sha256 *s)
{
	static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
				       0xa54ff53a, 0x510e527f, 0x9b05688c,
				       0x1f83d9ab, 0x5be0cd19};

	memcpy(s->h, h0, sizeof(h0));
	s->len = 0;
	s->buf_len = 0;
}

void sha256_update(struct sha256 *s, const void *data, size_t size)
{
	const uint8_t *p = data;

	s->len += size;
	if (s->buf_len) {
		size_t n = 64 - s->buf_len < size ? 64 - s->buf_len : size;

		memcpy(s->buf + s->buf_len, p, n);
		s->buf_len += n;
		p += n;
		size -= n;
		if (s->buf_len < 64)
			return;
		blocks(s->h, s->buf, 1);
		s->buf_len = 0;
	}
	blocks(s->h, p, size / 64);
	p += size / 64 * 64;
	size %= 64;
	memcpy(s->buf, p, size);
	s->buf_len = size;
}

void sha256_final(struct sha256 *s, uint8_t out[32])
{
	uint64_t bits = s->len * 8;
	int i;

	s->buf[s->buf_len++] = 0x80;
	if (s->buf_len > 56) {
		memset(s->buf + s->buf_len, 0, 64 - s->buf_len);
		blocks(s->h, s->buf, 1);
		s->buf_len = 0;
	}
	memset(s->buf + s->buf_len, 0, 56 - s->buf_len);
	for (i = 0; i < 8; i++)
		s->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	blocks(s->h, s->buf, 1);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
}

void sha256_hex(const void *data, size_t size, char out[65])
{
	struct sha256 s;
	uint8_t d[32];

	sha256_init(&s);
	sha256_update(&s, data, size);
	sha256_final(&s, d);
	hex_encode(d, sizeof(d), out);
}
