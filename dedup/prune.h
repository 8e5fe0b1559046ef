/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * prune: drops the split types of a deduplicated blob that no CO-RE
 * lookup can reach, the types pahole writes for locals and casts. Run by
 * dedup_run after either engine, so both outputs go through it.
 */
#ifndef BTFAR_DEDUP_PRUNE_H
#define BTFAR_DEDUP_PRUNE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dedup/dedup.h"
#include "formats/btf_raw.h"
#include "formats/diag.h"

struct prune_opts {
	/* keep every split type: only write them in order_split's order */
	bool keep_unreachable;
	/* per module of the merge, in merge order: the id of its first
	 * split type in the engine's input; with the engine's id_map it
	 * says in which module each output type was met first, and the
	 * kept types are written in order_split's order (dedup/order.h).
	 * NULL (or no id_map): they keep the engine's order. */
	const uint32_t *mod_first;
	uint32_t mod_cnt;
	uint32_t jobs; /* threads order_split may use */
};

/*
 * Rewrites res (a raw split BTF on base, as an engine made it) without its
 * unreachable split types. Roots: every base type, every named split type,
 * every anonymous ENUM/ENUM64; a split type is kept when a root reaches it
 * through type references. Kept split types get consecutive ids from the
 * first split id, in order_split's order when opts says the modules, else
 * in their order; base ids never change. The string section is written
 * again in first-use order, without the names only dropped types used.
 * res->id_map (map_len entries, when the engine gave one) maps a dropped
 * type to 0 and a kept one to its new id. res is untouched when nothing
 * is dropped or moved.
 * *dropped, *dropped_bytes: split types and type-section bytes dropped.
 * Returns 0, or -EINVAL (res is not split BTF on base) or -ENOMEM with d
 * set and res untouched.
 */
int prune_run(const struct btf_raw *base, struct dedup_result *res,
	      uint32_t map_len, const struct prune_opts *opts,
	      uint32_t *dropped, uint32_t *dropped_bytes, struct diag *d);

#endif /* BTFAR_DEDUP_PRUNE_H */
