/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * first_use: the string step of writing split types out, shared by refine's
 * emit and prune's: each split string is copied to the new section the
 * first time a written type names it, so the section holds only the strings
 * used, in first-use order.
 */
#ifndef BTFAR_DEDUP_FIRST_USE_H
#define BTFAR_DEDUP_FIRST_USE_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

struct first_use {
	uint32_t base_str; /* first split string offset (the base's length) */
	const char *strs;  /* the split string section read */
	uint32_t str_len;  /* its bytes */
	uint32_t *str_map; /* per byte of strs: new offset, UINT32_MAX */
	char *out;	   /* the section written, str_len bytes at most */
	uint32_t out_len;  /* bytes written */
};

/* *off (a base offset, kept, or a split one) rewritten to the string's
 * offset in the new section, copied there on first use; -EINVAL for an
 * offset past the section or an unterminated string. */
static inline int first_use_str(struct first_use *f, uint32_t *off)
{
	uint32_t local, len;

	if (*off < f->base_str)
		return 0;
	local = *off - f->base_str;
	if (local >= f->str_len)
		return -EINVAL;
	if (f->str_map[local] == UINT32_MAX) {
		len = (uint32_t)strnlen(f->strs + local, f->str_len - local);
		if (len == f->str_len - local)
			return -EINVAL;
		memcpy(f->out + f->out_len, f->strs + local, len + 1);
		f->str_map[local] = f->out_len;
		f->out_len += len + 1;
	}
	*off = f->base_str + f->str_map[local];
	return 0;
}

#endif /* BTFAR_DEDUP_FIRST_USE_H */
