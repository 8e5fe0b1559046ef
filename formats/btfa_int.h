/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * btfa_int: what the .btfa reader (btfa_read.c) and writer (btfa_write.c)
 * share; not part of btfa.h's interface.
 */
#ifndef BTFAR_FORMATS_BTFA_INT_H
#define BTFAR_FORMATS_BTFA_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "btfa.h"

/* off + size inside [0, limit], without overflow. */
static inline bool btfa_in_bounds(uint64_t off, uint64_t size, uint64_t limit)
{
	return size <= limit && off <= limit - size;
}

/*
 * The length of a module block whose header (BTFA_MODS_HDR_SIZE bytes at
 * blk, checked or written by btfar) gives its counts: layout 1
 * (BTFA_MODS_MAGIC) or 2 (BTFA_MODS_MAGIC2: modules and ranges of 12
 * bytes).
 */
uint64_t btfa_mods_block_len(const uint8_t *blk);

/* Reads exactly size bytes at off: 0, -EIO when the file is shorter, or
 * another negative errno. */
int btfa_pread_full(int fd, void *buf, size_t size, uint64_t off);

/* An entry's compat: 0 (not rewritten) or a level of btf_compat.h. */
bool btfa_compat_ok(uint32_t compat);

/*
 * The strings of an entry are untrusted: they reach file names (export,
 * a user's -o built from them) and terminals. Labels (release, arch,
 * distro, distro_version, flavour) and the build-id: at most
 * BTFA_LABEL_MAX bytes, no '/', no "..", no control character (bytes
 * below 0x20 and 0x7f); source: the same but '/' and ".." allowed.
 * Returns 0, or -EINVAL with d naming the field and the fault (the value
 * itself escaped).
 */
int btfa_check_strs(const struct btfa_entry *e, struct diag *d);

#endif /* BTFAR_FORMATS_BTFA_INT_H */
