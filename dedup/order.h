/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * order: the order in which a deduplicated blob's split (module) types are
 * written, one that does not change from one build of a kernel to the next
 * when the types do not. Used by prune_run (dedup/prune.h) as it writes
 * the kept types.
 */
#ifndef BTFAR_DEDUP_ORDER_H
#define BTFAR_DEDUP_ORDER_H

#include <stdint.h>

#include "formats/btf_raw.h"

struct order_input {
	const struct btf_raw *base; /* names below base_str are its strings */
	const uint8_t *types;	    /* split type section */
	const uint32_t *offs;	    /* offset of each split type in types */
	uint32_t n;		    /* split types */
	uint32_t s0;		    /* first split id */
	const char *strs; /* split string section: offset base_str + i */
	uint32_t str_len;
	uint32_t base_str;
	/* per split type: its segment (the module the engine met it in
	 * first), non-decreasing; the types of a segment stay together */
	const uint32_t *seg;
	/* per split type: non-zero when it is written; NULL: all are */
	const uint32_t *keep;
	uint32_t jobs; /* threads it may use: 2 or more orders on two */
};

/*
 * Writes into perm the split indices of the kept types in output order and
 * returns how many (every kept type once), or -ENOMEM. The references of
 * the kept types must be valid ids (prune's mark checked them). The order
 * depends on the input alone, not on jobs.
 */
int order_split(const struct order_input *in, uint32_t *perm);

#endif /* BTFAR_DEDUP_ORDER_H */
