/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * meta: RELEASE.meta, the text file `btfar build` writes beside RELEASE.btf
 * and an archive takes an entry's labels from (docs/FORMAT.md). Lines of
 * "KEY VALUE", in this order:
 *
 *   btfar-meta 1
 *   release 6.12.38+deb13-amd64
 *   arch x86_64
 *   image boot/vmlinuz-6.12.38+deb13-amd64
 *   source bzImage, zstd
 *   build_id 0123...            (hex, may be empty)
 *   base_sha256 <64 hex digits> (of the base's BTF)
 *   sha256 <64 hex digits>      (of RELEASE.btf)
 *   base_types 123456
 *   types 234567
 *   btf_from dwarf              (only for BTF encoded from DWARF)
 *   encoder pahole v1.24        (with btf_from)
 *   compat 5.13                 (only for a blob rewritten by --compat)
 *   module NAME TYPES FIRST:COUNT,FIRST:COUNT  ("-" for no range), per
 *                                              merged module
 *
 * Every line ends in '\n'; no control character anywhere else. A reader
 * ignores keys it does not know (a later version 1 may add some) and blank
 * lines; each known key is given once.
 */
#ifndef BTFAR_FORMATS_META_H
#define BTFAR_FORMATS_META_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define META_VERSION   1
#define META_VALUE_MAX 4096 /* bytes of one value (module lines: any) */
#define META_NAME_MAX  255  /* bytes of a module name */
#define META_FILE_MAX  (16u << 20)

struct meta_module {
	const char *name;
	uint32_t types; /* types the module has in the blob */
	uint32_t range_cnt;
	const uint32_t *ranges; /* 2 * range_cnt values: first id, count */
};

/*
 * One RELEASE.meta. Strings are NULL when the line is absent (the writer
 * then leaves out an optional line and writes an empty value for the
 * others). What meta_parse fills points into memory the struct owns
 * (meta_release); what a caller fills for meta_write stays the caller's.
 */
struct meta {
	const char *release; /* required, not empty */
	const char *arch;
	const char *image;	 /* the kernel image's path in its package */
	const char *source;	 /* "bzImage, zstd"; "DWARF, pahole v1.24" */
	const char *build_id;	 /* hex */
	const char *base_sha256; /* required, 64 hex digits */
	const char *sha256;	 /* 64 hex digits (checked by the reader of
				    the blob against the blob) */
	uint32_t base_types;
	uint32_t types;	       /* base_types + the modules' */
	const char *btf_from;  /* "dwarf" or NULL */
	const char *encoder;   /* with btf_from: "pahole v1.24" */
	const char *compat;    /* a BTF level name ("5.13") or NULL */
	uint32_t compat_level; /* enum btf_compat_level of compat, 0 */
	uint8_t base_sha256_bin[32];
	const struct meta_module *modules;
	uint32_t module_cnt;
	/* owned after meta_parse */
	char *text_;
	struct meta_module *modules_;
	uint32_t *ranges_;
};

/*
 * Parses size bytes of text into *m (zeroed first). Returns 0, -EINVAL
 * with d naming the line and what was expected (truncated text, another
 * version, a key given twice, a value too long or with a control
 * character, a malformed number, digest, level, module or range), or
 * -ENOMEM. m is to be released with meta_release either way.
 */
int meta_parse(struct meta *m, const char *text, size_t size, struct diag *d);
void meta_release(struct meta *m);

/*
 * The text of m in *text (malloc()ed, *len bytes, NUL-terminated): the
 * lines above in their order. Returns 0, -EINVAL when a value would not
 * read back (a control character, too long, a module name with a space),
 * -ENOMEM.
 */
int meta_write(const struct meta *m, char **text, size_t *len, struct diag *d);

#endif /* BTFAR_FORMATS_META_H */
