/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * dedup: deduplication of a merged split BTF, across modules and against
 * its base, with libbpf's btf__dedup as the engine.
 */
#ifndef BTFAR_DEDUP_DEDUP_H
#define BTFAR_DEDUP_DEDUP_H

#include <stddef.h>
#include <stdint.h>

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
};

/*
 * Deduplicates split (raw split BTF on base, validated or produced by
 * renumber_merge). Returns 0 or a negative errno with d set.
 */
int dedup_split(const struct btf_raw *base, const void *split, size_t size,
		struct dedup_result *res, struct diag *d);
void dedup_result__release(struct dedup_result *res);

#endif /* BTFAR_DEDUP_DEDUP_H */
