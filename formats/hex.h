/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* hex: bytes as lowercase hex digits (digests, build-ids) and back. */
#ifndef BTFAR_FORMATS_HEX_H
#define BTFAR_FORMATS_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2 * n digits and a NUL into out (2 * n + 1 bytes). */
void hex_encode(const uint8_t *p, size_t n, char *out);
/* Reads exactly 2 * n lowercase digits from s into out; -EINVAL if s is
 * not that. */
int hex_decode(const char *s, uint8_t *out, size_t n);

#endif /* BTFAR_FORMATS_HEX_H */
