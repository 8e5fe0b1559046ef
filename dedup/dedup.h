/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * dedup: deduplication of a merged split BTF, across modules and against
 * its base. One entry point, dedup_run, with the engine as a parameter:
 * btfar's partition refinement (dedup/refine.h, the default) or libbpf's
 * btf__dedup (dedup/libbpf.h, for comparison).
 */
#ifndef BTFAR_DEDUP_DEDUP_H
#define BTFAR_DEDUP_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "btfar/btfar.h"
#include "formats/btf_raw.h"
#include "formats/diag.h"

struct dedup_result {
	void *raw; /* deduplicated split BTF (header, types, strings),
		      malloc()ed */
	size_t size;
	uint32_t type_cnt; /* types in the split part after dedup */
	/* input split index -> output id (base ids kept); NULL when the
	 * engine does not tell (libbpf) */
	uint32_t *id_map;
	/* split types dropped as unreachable (dedup/prune.h), and their
	 * bytes in the type section */
	uint32_t unreachable;
	uint32_t unreachable_bytes;
};

/* A merged split BTF (renumber_merge's output: equal strings share one
 * offset), as the raw blob and as its sections. */
struct dedup_input {
	const struct btf_raw *base; /* standalone, validated */
	const void *split; /* raw split BTF (header, types, strings): read by
			      the libbpf engine only, may be NULL for refine */
	size_t split_sz;
	const uint8_t *types; /* its type section */
	uint32_t types_len;
	const uint32_t *type_offs; /* offset of each split type in types */
	uint32_t type_cnt;
	const char *strs; /* its string section: offset base_len + i */
	uint32_t str_len;
	uint32_t jobs; /* threads the engine may use (0 or 1: the caller's) */
	/* keep the split types no named type reaches (dedup/prune.h);
	 * false: the engine's output is pruned */
	bool keep_unreachable;
	/* per module of the merge, in order: the id of its first split
	 * type in types; the output's split types are then written in a
	 * canonical order (dedup/order.h) that a next build of the same
	 * kernel repeats. NULL: in the engine's order. */
	const uint32_t *mod_first;
	uint32_t mod_cnt;
};

/*
 * Deduplicates in with engine (BTFAR_DEDUP_REFINE or BTFAR_DEDUP_LIBBPF)
 * into a new raw split BTF in res, then, unless in->keep_unreachable, drops
 * the split types nothing named reaches and writes the rest in order
 * (prune_run, whatever the engine; the order needs the engine's id_map,
 * which libbpf's does not give).
 * Returns 0 or a negative errno with d set.
 */
int dedup_run(enum btfar_dedup_engine engine, const struct dedup_input *in,
	      struct dedup_result *res, struct diag *d);
void dedup_result_release(struct dedup_result *res);

#endif /* BTFAR_DEDUP_DEDUP_H */
