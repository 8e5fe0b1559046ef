/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * distill: distilled base BTF (.BTF.base, Linux 6.11 / libbpf 1.5).
 * A module built with a distilled base carries in .BTF.base a small
 * standalone BTF with only the named base types its split BTF refers to,
 * in minimal form (INT, FLOAT as they are; STRUCT, UNION, ENUM, ENUM64
 * without members but with their size; FWD), and in .BTF split BTF on that
 * distilled base, holding in full every other base type it needs (typedefs,
 * pointers, prototypes, anonymous types). Memory to memory.
 */
#ifndef BTFAR_MERGE_DISTILL_H
#define BTFAR_MERGE_DISTILL_H

#include <stddef.h>
#include <stdint.h>

#include "formats/btf_raw.h"
#include "formats/diag.h"
#include "merge/rebase.h"

/*
 * index: that of base, the vmlinux base distilled modules are relocated
 * onto: rebase_map_new(NULL, base), made once and shared by every module
 * (read-only, thread-safe).
 *
 * Relocates split (valid split BTF on dist, a distilled base) onto the
 * index's base. Each distilled type maps to the one base type of the same
 * name and kind: ENUM and ENUM64 match each other; INT the same size and
 * encoding, FLOAT the same size; a STRUCT or UNION that a struct or union
 * of the split part embeds by value (directly, or through typedefs,
 * modifiers and arrays) the same size too; a FWD the STRUCT or UNION (by
 * its flag) of that name, or else a FWD. No candidate, or several, refuses
 * the module: -ENOENT with d listing what (up to a few, and how many).
 * Then the split part's ids and strings are rewritten onto the base
 * (rebase_split). Returns 0 with a malloc()ed raw split BTF in *out.
 */
int distill_relocate(const struct rebase_map *index, const struct btf_raw *base,
		     const struct btf_raw *dist, const struct btf_raw *split,
		     void **out, size_t *out_sz, struct diag *d);

/*
 * The other way (btfar distill): split, valid split BTF on the standalone
 * base (index: rebase_map_new(NULL, base), made once for every module),
 * as a distilled base (*dist) and split BTF on it (*nsplit), both
 * malloc()ed raw BTF. The named INT, FLOAT, STRUCT, UNION, ENUM, ENUM64 and
 * FWD base types the split part refers to go to the distilled base, in
 * minimal form, unless another base type has the same kind and name (the
 * relocation would find it ambiguous): those, and every other base type
 * referred to, are appended in full to the split part, after its own types,
 * with what they refer to in turn.
 */
int distill_make(const struct rebase_map *index, const struct btf_raw *base,
		 const struct btf_raw *split, void **dist, size_t *dist_sz,
		 void **nsplit, size_t *nsplit_sz, struct diag *d);

#endif /* BTFAR_MERGE_DISTILL_H */
