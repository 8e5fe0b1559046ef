/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * libbpf: libbpf's btf__dedup as a dedup engine (DEDUP_LIBBPF): merges
 * equivalent types across the split part and maps split types equal to
 * base types onto the base ids. Callers go through dedup_run.
 */
#ifndef BTFAR_DEDUP_LIBBPF_H
#define BTFAR_DEDUP_LIBBPF_H

#include <stddef.h>

#include "dedup/dedup.h"
#include "formats/btf_raw.h"
#include "formats/diag.h"

/*
 * Deduplicates split (raw split BTF on base, validated or produced by
 * renumber_merge). Returns 0, -ENOTSUP for a record libbpf cannot read (a
 * vlen over 65535), or another negative errno, with d set.
 */
int dedup_libbpf(const struct btf_raw *base, const void *split, size_t size,
		 struct dedup_result *res, struct diag *d);

#endif /* BTFAR_DEDUP_LIBBPF_H */
