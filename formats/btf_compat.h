/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * btf_compat: raw BTF rewritten for readers that predate some BTF kinds.
 * Every kind newer than the chosen level becomes an older one of the same
 * size, record by record: the number and order of the records stay, so
 * every type id (and what CO-RE computes on it) stays. docs/COMPAT.md has
 * the table of what each level rewrites and why.
 */
#ifndef BTFAR_FORMATS_BTF_COMPAT_H
#define BTFAR_FORMATS_BTF_COMPAT_H

#include <stddef.h>
#include <stdint.h>

#include "btf_raw.h"
#include "diag.h"

/*
 * BTF feature levels, named by the kernel release that introduced the kinds
 * (major * 100 + minor), so levels compare as numbers.
 */
enum btf_compat_level {
	/* INT PTR ARRAY STRUCT UNION ENUM FWD TYPEDEF VOLATILE CONST
	 * RESTRICT FUNC FUNC_PROTO VAR DATASEC */
	BTF_COMPAT_5_2 = 502,
	BTF_COMPAT_5_13 = 513, /* + FLOAT */
	BTF_COMPAT_5_16 = 516, /* + DECL_TAG */
	BTF_COMPAT_5_17 = 517, /* + TYPE_TAG */
	BTF_COMPAT_6_0 = 600,  /* + ENUM64, kind_flag on ENUM (signedness) */
	BTF_COMPAT_6_14 = 614, /* + kind_flag on DECL_TAG and TYPE_TAG
				* (attribute tags) */
	BTF_COMPAT_7_2 = 702,  /* + layout section (32-byte header), vlen of
				* 24 bits and kind of 7 */
	BTF_COMPAT_LATEST = BTF_COMPAT_7_2,
};

/*
 * Parses a kernel version ("5.15", "5.15.0", "6.1.0-18-amd64") into the
 * highest level at or below it. Returns 0, or -EINVAL with d set for a
 * malformed version or one below 5.2.
 */
int btf_compat__parse_level(const char *version, enum btf_compat_level *level,
			    struct diag *d);
/* "5.2", "5.13", ...; "?" for a value that is not a level. */
const char *btf_compat__level_name(enum btf_compat_level level);

/* What a rewrite changed, record counts. */
struct btf_compat_stats {
	uint32_t floats;	 /* FLOAT -> empty anonymous STRUCT */
	uint32_t decl_tags;	 /* DECL_TAG -> 1-byte INT */
	uint32_t type_tags;	 /* TYPE_TAG -> CONST */
	uint32_t enum64_enums;	 /* ENUM64 -> ENUM, values kept */
	uint32_t enum64_unions;	 /* ENUM64 -> empty UNION, values too wide */
	uint32_t enum_kflags;	 /* ENUM kind_flag (signedness) cleared */
	uint32_t attr_type_tags; /* TYPE_TAG attribute -> CONST */
	uint32_t attr_decl_tags; /* DECL_TAG attribute -> 1-byte INT */
	uint32_t layout_dropped; /* layout section left out (0 or 1) */
};

/*
 * Writes raw (valid, parsed by btf_raw__parse; standalone or split) at
 * level into a new malloc()ed blob the caller frees, with *size set; st
 * (may be NULL) counts the rewrites. Type ids, names and the string section
 * are unchanged. A record with more than 65,535 members, enumerators or
 * parameters has no form below 7.2: -E2BIG with d naming it. Returns NULL
 * with errno set (and d) on failure.
 */
void *btf_compat__rewrite(const struct btf_raw *raw,
			  enum btf_compat_level level,
			  struct btf_compat_stats *st, size_t *size,
			  struct diag *d);

#endif /* BTFAR_FORMATS_BTF_COMPAT_H */
