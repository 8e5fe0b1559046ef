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

struct rebase_map *rebase_map_new(const struct btf_raw *old_base,
				  const struct btf_raw *new_base);
void rebase_map_free(struct rebase_map *m);

/*
 * Shared with other matching rules (merge/distill): rebase_map_new() with
 * a NULL old base only indexes the new base. rebase_map_named() gives how
 * many new base types have this kind (ENUM64 filed as ENUM) and name, and
 * in *first the index of the first for rebase_map_named_id().
 * rebase_map_derive() makes a map for split BTF on old_base whose ids the
 * caller mapped (map[id] for every id of old_base, copied), sharing index's
 * view of the new base (index must outlive it); rebase_split() then only
 * rewrites (a UINT32_MAX entry is carried or refused as rebase does).
 */
size_t rebase_map_named(const struct rebase_map *m, uint32_t kind,
			const char *name, size_t *first);
uint32_t rebase_map_named_id(const struct rebase_map *m, size_t i);
struct rebase_map *rebase_map_derive(const struct rebase_map *index,
				     const struct btf_raw *old_base,
				     const uint32_t *map);

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
