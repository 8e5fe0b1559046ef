/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * refine: btfar's own deduplication of a merged split BTF (partition
 * refinement over the type graph), faster than libbpf's btf__dedup on the
 * multi-module case and independent of it.
 */
#ifndef BTFAR_DEDUP_REFINE_H
#define BTFAR_DEDUP_REFINE_H

#include <stdint.h>

#include "dedup/dedup.h"
#include "formats/btf_raw.h"
#include "formats/diag.h"

struct refine_input {
	const struct btf_raw *base; /* standalone, validated */
	const uint8_t *types;	    /* merged split type section */
	uint32_t types_len;
	const uint32_t *type_offs; /* offset of each split type in types */
	uint32_t type_cnt;
	const char *strs; /* split string section: offset base_len + i */
	uint32_t str_len;
	uint32_t jobs; /* threads it may use (0 or 1: the caller's alone) */
};

/*
 * Deduplicates the split types of in (valid split BTF on in->base whose
 * equal strings share one offset, as renumber_merge makes them) into a new
 * raw split BTF in res. Returns 0 or -ENOMEM with d set.
 */
int dedup_refine(const struct refine_input *in, struct dedup_result *res,
		 struct diag *d);

#endif /* BTFAR_DEDUP_REFINE_H */
