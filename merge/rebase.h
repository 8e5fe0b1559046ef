/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * rebase: split BTF encoded on one vmlinux build rewritten to be valid on
 * another. Memory to memory; nothing here reads files.
 */
#ifndef BTFAR_MERGE_REBASE_H
#define BTFAR_MERGE_REBASE_H

#include <stddef.h>
#include <stdint.h>

#include "formats/btf_raw.h"
#include "formats/diag.h"

/* Old base -> new base type map, shared by every module rebased. */
struct rebase_map;

struct rebase_map *rebase_map__new(const struct btf_raw *old_base,
				   const struct btf_raw *new_base);
void rebase_map__free(struct rebase_map *m);

/*
 * Rewrites split (valid split BTF on the map's old base) onto the new base:
 * every old base type it refers to is mapped to the new base type of the
 * same kind and name whose layout is the same (size, members with names,
 * offsets and bitfield sizes, member types mapped the same way; enumerators;
 * typedef and function targets; anonymous types by their shape and mapped
 * references); its own types keep their order; strings are re-interned.
 * Returns 0 with a malloc()ed raw split BTF in *out, or -ENOENT when
 * something it refers to has no equivalent in the new base: d then lists
 * what (up to a few entries, and how many in all).
 */
int rebase_split(struct rebase_map *m, const struct btf_raw *split, void **out,
		 size_t *out_sz, struct diag *d);

#endif /* BTFAR_MERGE_REBASE_H */
