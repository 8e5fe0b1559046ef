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

int main(void)
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
