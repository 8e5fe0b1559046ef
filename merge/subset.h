/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * subset: some of the types of a self-contained blob, with everything they
 * refer to, written alone: as a self-contained blob (the base types, then
 * those), or as split BTF on the blob's base part (what `btfar get
 * --module` writes). Memory to memory.
 */
#ifndef BTFAR_MERGE_SUBSET_H
#define BTFAR_MERGE_SUBSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/btf_raw.h"
#include "formats/diag.h"

/*
 * Length of the string section of the base part of raw (types
 * 1..base_cnt): the end of the last string those types name. A blob whose
 * string section starts with its base's (btfar's merge keeps the vmlinux
 * strings first) thus gives the base's own section back.
 */
uint32_t btf_subset__base_str_len(const struct btf_raw *raw, uint32_t base_cnt);

/*
 * The base part of raw as a raw standalone blob (types 1..base_cnt and the
 * first base_str_len bytes of strings). *out is malloc()ed.
 */
int btf_subset__base(const struct btf_raw *raw, uint32_t base_cnt,
		     uint32_t base_str_len, void **out, size_t *out_size,
		     struct diag *d);

/*
 * Writes ids[0..n) (ids above base_cnt, any order, duplicates allowed) and
 * every type above base_cnt they reach through type references, in id
 * order, renumbered from base_cnt + 1:
 *   split: split BTF on the base part (string offsets from base_str_len);
 *   else:  a standalone blob, the base types first, unchanged.
 * raw is a parsed standalone blob. *out is malloc()ed. *cnt (may be NULL)
 * gets the number of types written above the base.
 */
int btf_subset__write(const struct btf_raw *raw, uint32_t base_cnt,
		      uint32_t base_str_len, const uint32_t *ids, size_t n,
		      bool split, void **out, size_t *out_size, uint32_t *cnt,
		      struct diag *d);

#endif /* BTFAR_MERGE_SUBSET_H */
