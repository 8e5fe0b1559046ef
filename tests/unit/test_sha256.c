// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* SHA-256 against the FIPS 180-4 examples, whole and fed in pieces. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/sha256.h"

static int check(const char *name, const char *msg, size_t len, size_t repeat,
		 const char *want)
{
	struct sha256 s;
	uint8_t d[32];
	char hex[65];
	size_t i, step;
	int bad = 0;

	/* whole, then in uneven pieces: both must give the digest */
	for (step = 0; step < 2; step++) {
		sha256_init(&s);
		for (i = 0; i < repeat; i++) {
			if (!step) {
				sha256_update(&s, msg, len);
			} else {
				size_t off = 0, n = 1;

				while (off < len) {
					if (n > len - off)
						n = len - off;
					sha256_update(&s, msg + off, n);
					off += n;
					n = n * 3 + 1;
				}
			}
		}
		sha256_final(&s, d);
		for (i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", d[i]);
		if (strcmp(hex, want)) {
			fprintf(stderr, "%s (%s): got %s, want %s\n", name,
				step ? "pieces" : "whole", hex, want);
			bad = 1;
		}
	}
	return bad;
}

/* The CPU's SHA instructions (when it has them) and the portable code agree
 * on every length from 0 to 1100 bytes and on 3 MiB, hashed whole and in
 * odd pieces. */
static int same_both_ways(void)
{
	static uint8_t buf[3 << 20];
	uint32_t x = 12345;
	size_t i, len;
	int bad = 0;

	for (i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 23);
	}
	for (len = 0; len <= sizeof(buf);
	     len = len < 1100 ? len + 1 : sizeof(buf) + (len == sizeof(buf))) {
		uint8_t a[32], b[32];
		struct sha256 s;
		size_t off, step = len % 7 + 61;

		if (len > sizeof(buf))
			break;
		sha256_force_generic(true);
		sha256_init(&s);
		sha256_update(&s, buf, len);
		sha256_final(&s, a);
		sha256_force_generic(false);
		sha256_init(&s);
		for (off = 0; off < len; off += step)
			sha256_update(&s, buf + off,
				      len - off < step ? len - off : step);
		sha256_final(&s, b);
		if (memcmp(a, b, 32)) {
			fprintf(stderr, "length %zu: the two ways differ\n",
				len);
			bad = 1;
		}
	}
	return bad;
}

static int vectors(void)
{
	static const char m448[] =
		"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	int bad = 0;

	bad |= check("empty", "", 0, 1,
		     "e3b0c44298fc1c149afbf4c8996fb924"
		     "27ae41e4649b934ca495991b7852b855");
	bad |= check("abc", "abc", 3, 1,
		     "ba7816bf8f01cfea414140de5dae2223"
		     "b00361a396177a9cb410ff61f20015ad");
	bad |= check("448 bits", m448, strlen(m448), 1,
		     "248d6a61d20638b8e5c026930c3e6039"
		     "a33ce45964ff2167f6ecedd419db06c1");
	bad |= check("million a", "aaaaaaaaaa", 10, 100000,
		     "cdc76e5c9914fb9281a1c7e284d73e67"
		     "f1809a48a497200e046d39ccc7112cd0");
	{
		char h[65];

		sha256_hex("abc", 3, h);
		if (strcmp(h, "ba7816bf8f01cfea414140de5dae2223b00361a39617"
			      "7a9cb410ff61f20015ad")) {
			fprintf(stderr, "sha256_hex: %s\n", h);
			bad = 1;
		}
	}
	return bad;
}

int main(void)
{
	int bad = vectors();

	sha256_force_generic(true);
	bad |= vectors();
	sha256_force_generic(false);
	return bad | same_both_ways();
}
