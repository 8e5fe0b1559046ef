/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * crc32: CRC-32 (IEEE 802.3, the check of gzip, zlib and xz's CRC32),
 * zlib's crc32() semantics: crc32_update(0, buf, len) is the CRC of buf,
 * and a CRC goes on with more data as crc32_update(crc, more, n).
 *
 * With PCLMULQDQ (x86-64) the data is folded 16 bytes at a time by
 * carry-less multiplication; elsewhere it is zlib's crc32(). Kernel
 * modules are compressed with xz --check=crc32, and liblzma before 5.6
 * checks that CRC a byte at a time: 0.24 s of CPU for Debian 6.12's
 * modules, several times what the folding takes.
 */
#ifndef BTFAR_FORMATS_CRC32_H
#define BTFAR_FORMATS_CRC32_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc32_update(uint32_t crc, const void *buf, size_t len);

/* For tests: 1 makes crc32_update use zlib only, 0 the fastest way. */
void crc32_generic_only(int on);

#endif /* BTFAR_FORMATS_CRC32_H */
