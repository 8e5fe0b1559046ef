/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * collisions: names that stay defined several times after dedup (two
 * different struct e1000_adapter), and which module brought which one.
 */
#ifndef BTFAR_DEDUP_COLLISIONS_H
#define BTFAR_DEDUP_COLLISIONS_H

#include <stddef.h>
#include <stdint.h>

#include "btfar/btfar.h"
#include "formats/btf_raw.h"
#include "formats/diag.h"

struct collisions {
	struct btfar_collision *items; /* sorted by kind, then name */
	size_t cnt;
	void *mem; /* one arena for the items' arrays and strings */
};

/*
 * Finds every struct, union, enum (ENUM and ENUM64 together) and typedef
 * name with several distinct definitions in base + split, then attributes
 * each definition to the modules that define it: mods[i] (split BTF on the
 * same base, named names[i]) defines variant v when its type of that name
 * turned into v: final_ids[i][j] is the id in split of mods[i]'s type j.
 * Without final_ids (an engine that does not say), a module's type is
 * attributed to the variant of the same shape (kind, size, member names,
 * offsets, and the kinds and names of member types). mods may be NULL (no
 * attribution).
 */
int collisions_find(struct collisions *c, const struct btf_raw *base,
		    const struct btf_raw *split,
		    const struct btf_raw *const *mods, const char *const *names,
		    size_t n, const uint32_t *const *final_ids, struct diag *d);
void collisions_release(struct collisions *c);

#endif /* BTFAR_DEDUP_COLLISIONS_H */
