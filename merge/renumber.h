/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * renumber: many split BTFs on one base merged into ONE split BTF on that
 * base. Pure memory to memory: nothing here reads files.
 */
#ifndef BTFAR_MERGE_RENUMBER_H
#define BTFAR_MERGE_RENUMBER_H

#include <stdbool.h>
#include <stdint.h>

#include "formats/btf_raw.h"
#include "formats/diag.h"

struct renumber_opts {
	bool drop_datasec; /* drop DATASEC, VAR and the DECL_TAGs on them */
	int jobs; /* threads it may use (2 or more: the copy runs beside the
		     string interning); 0 or 1: the caller's alone */
};

struct renumber_result {
	uint8_t *types; /* merged type section, malloc()ed */
	uint32_t types_len;
	char *strs; /* merged split string section, malloc()ed */
	uint32_t str_len;
	uint32_t type_cnt;   /* types in the merged split part */
	uint32_t *type_offs; /* offset of each merged type in types */
	uint32_t *first_id; /* per module: id of its first type in the result */
	uint32_t *type_cnts; /* per module: types it contributed */
	uint32_t dropped;    /* records dropped by the DATASEC policy */
	/* per module: local type index -> merged id (0: dropped) */
	uint32_t **id_maps;
	size_t mod_cnt;
};

/*
 * Merges mods[0..n) (each validated split BTF on base, in the order given:
 * callers sort by module path) into one split BTF on base. Module-local type
 * ids are shifted into one id space, ids into the base kept; strings of the
 * modules are interned once each, base string offsets kept.
 */
int renumber_merge(const struct btf_raw *base,
		   const struct btf_raw *const *mods, size_t n,
		   const struct renumber_opts *opts,
		   struct renumber_result *res, struct diag *d);
void renumber_result__release(struct renumber_result *res);

#endif /* BTFAR_MERGE_RENUMBER_H */
