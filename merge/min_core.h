/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * min_core: the part of a target BTF that resolved CO-RE relocations used,
 * written as a small standalone blob on which they resolve the same way
 * (what `bpftool gen min_core_btf` writes). Memory to memory.
 */
#ifndef BTFAR_MERGE_MIN_CORE_H
#define BTFAR_MERGE_MIN_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "core_relo.h"
#include "formats/btf_raw.h"
#include "formats/diag.h"

struct min_core;

/* Marks start empty; targ (parsed, standalone) must outlive mc. */
struct min_core *min_core__new(const struct btf_raw *targ);
void min_core__free(struct min_core *mc);

/*
 * Types are written in the order of ids[0 .. n) (borrowed; marked types
 * not in it are not written) instead of id order: a view (btf_view) gives
 * the order of the blob it stands for, so that the bytes are that blob's.
 */
void min_core_set_order(struct min_core *mc, const uint32_t *ids, uint32_t n);

/*
 * Marks what relocation res of kind needs: nothing when it did not
 * resolve or is type_id_local; for an ambiguous one, both disagreeing
 * candidates (the blob stays ambiguous, as the full one is).
 */
int min_core__record(struct min_core *mc, uint32_t kind,
		     const struct core_res *res);

/*
 * Writes the marked types in id order, renumbered from 1: a struct or
 * union with its marked members only (offsets, bitfield sizes and its size
 * unchanged), an enum named by enum value relocations only with those
 * enumerators, everything else as it is; a reference to a type not kept
 * becomes void. The blob is parsed again before it is returned. *out is
 * malloc()ed; *type_cnt (may be NULL) gets the number of types.
 */
int min_core__write(struct min_core *mc, void **out, size_t *out_sz,
		    uint32_t *type_cnt, struct diag *d);

#endif /* BTFAR_MERGE_MIN_CORE_H */
