// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * BTF for older readers.
 *
 * Algorithm summary: one pass over the records in id order. Each record is
 * copied; a record of a kind newer than the level is rewritten in place
 * into an older kind of the same size (bytes), as libbpf's
 * bpf_object__sanitize_btf() does before loading BTF into an old kernel:
 *   FLOAT    -> STRUCT, vlen 0, same size, anonymous (libbpf: "C compilers
 *               do not accept e.g. 'float' as a valid struct name")
 *   DECL_TAG -> INT, size 1, 8 bits, no encoding, name kept (libbpf's
 *               choice: 1 byte cannot fail a size check)
 *   TYPE_TAG -> CONST on the same type, anonymous (libbpf's choice;
 *               CO-RE skips both as modifiers)
 *   DECL_TAG and TYPE_TAG with kind_flag (attribute tags, 6.14), below
 *               6.14: as above, since clearing the flag would turn an
 *               __attribute__ into a btf_decl_tag / btf_type_tag of that
 *               text, which it is not
 *   layout section (7.2), below 7.2: left out, strings right after types
 *               (as libbpf's bpf_object__sanitize_btf() does); a record
 *               with a vlen over 16 bits has no older form: refused
 *   ENUM     -> kind_flag (signedness) cleared, values unchanged
 *   ENUM64   -> ENUM of the same size and values when every value reads
 *               the same as a 32-bit ENUM value, whatever the reader's
 *               sign convention (0 <= value <= INT32_MAX); otherwise an
 *               empty UNION of the same size, name kept. libbpf makes every
 *               ENUM64 a UNION whose members point to an INT it appends;
 *               here no type is appended, so ids stay 1..N, and the empty
 *               UNION makes CO-RE enum-value relocations fail instead of
 *               answering with truncated values.
 * Invariants: the output has the same records in the same order (ids
 * unchanged), every size (btf_raw__size) unchanged but a DECL_TAG's (none
 * before, 1 byte as INT; nothing refers to it), references unchanged
 * except those of DECL_TAG (gone: nothing refers to a DECL_TAG), the
 * string section unchanged. Only ENUM64 records change length (enumerators
 * of 12 bytes become 8, or go away).
 */
#include "btf_compat.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* as in libbpf's libbpf_internal.h */
#define COMPAT_INFO(kind, kflag, vlen) btf_type_info(kind, vlen, kflag)
#define COMPAT_INT(encoding, bits_offset, nr_bits)                             \
	((encoding) << 24 | (bits_offset) << 16 | (nr_bits))

static const struct {
	enum btf_compat_level level;
	const char *name;
} levels[] = {
	{BTF_COMPAT_5_2, "5.2"},   {BTF_COMPAT_5_13, "5.13"},
	{BTF_COMPAT_5_16, "5.16"}, {BTF_COMPAT_5_17, "5.17"},
	{BTF_COMPAT_6_0, "6.0"},   {BTF_COMPAT_6_14, "6.14"},
	{BTF_COMPAT_7_2, "7.2"},
};

#define LEVEL_CNT (sizeof(levels) / sizeof(levels[0]))

const char *btf_compat__level_name(enum btf_compat_level level)
{
	size_t i;

	for (i = 0; i < LEVEL_CNT; i++)
		if (levels[i].level == level)
			return levels[i].name;
	return "?";
}

/* Digits at *s into *v (at most 5 of them); false if none. */
static bool parse_num(const char **s, unsigned *v)
{
	unsigned n = 0, digits = 0;

	while (**s >= '0' && **s <= '9' && digits < 5) {
		n = n * 10 + (unsigned)(**s - '0');
		(*s)++;
		digits++;
	}
	*v = n;
	return digits > 0 && !(**s >= '0' && **s <= '9');
}

int btf_compat__parse_level(const char *version, enum btf_compat_level *level,
			    struct diag *d)
{
	const char *s = version;
	unsigned major = 0, minor = 0, v;
	bool ok = s && parse_num(&s, &major) && *s == '.';
	size_t i;

	if (ok) {
		s++;
		ok = parse_num(&s, &minor) &&
		     (!*s || *s == '.' || *s == '-' || *s == '+');
	}
	if (!ok) {
		diag_set(d,
			 "'%.64s' is not a kernel version (expected "
			 "MAJOR.MINOR, such as 5.15)",
			 version ? version : "");
		return -EINVAL;
	}
	if (minor > 99)
		minor = 99;
	v = major > 99 ? 9999 : major * 100 + minor;
	for (i = LEVEL_CNT; i-- > 0;) {
		if ((unsigned)levels[i].level <= v) {
			*level = levels[i].level;
			return 0;
		}
	}
	diag_set(d,
		 "kernel %u.%u predates BTF VAR and DATASEC (5.2): the oldest "
		 "level is 5.2",
		 major, minor);
	return -EINVAL;
}

/* 0 <= value <= INT32_MAX: an s32 and a u32 reader both see the value. */
static bool enum64_fits(const struct btf_type *t)
{
	const struct btf_enum64 *e = (const struct btf_enum64 *)(t + 1);
	bool is_signed = btf_type_kflag(t);
	uint32_t i;

	for (i = 0; i < btf_type_vlen(t); i++) {
		uint64_t v = (uint64_t)e[i].val_hi32 << 32 | e[i].val_lo32;

		if (is_signed ? (int64_t)v < 0 || (int64_t)v > INT32_MAX
			      : v > INT32_MAX)
			return false;
	}
	return true;
}

/*
 * Writes the compat form of t (len bytes) at out; returns the bytes
 * written (len, or less for ENUM64).
 */
static uint32_t rewrite_one(const struct btf_type *t, uint32_t len,
			    enum btf_compat_level level, uint8_t *out,
			    struct btf_compat_stats *st)
{
	struct btf_type *o = (struct btf_type *)out;
	uint32_t kind = btf_type_kind(t), vlen = btf_type_vlen(t), i;

	memcpy(out, t, len);
	switch (kind) {
	case BTF_KIND_FLOAT:
		if (level >= BTF_COMPAT_5_13)
			break;
		o->name_off = 0;
		o->info = COMPAT_INFO(BTF_KIND_STRUCT, 0, 0);
		st->floats++;
		break;
	case BTF_KIND_DECL_TAG:
		if (level >= BTF_COMPAT_6_14 ||
		    (level >= BTF_COMPAT_5_16 && !btf_type_kflag(t)))
			break;
		/* the component_idx word becomes the INT encoding word; an
		 * attribute is not a btf_decl_tag: it does not stay one */
		o->info = COMPAT_INFO(BTF_KIND_INT, 0, 0);
		o->size = 1;
		*(uint32_t *)(o + 1) = COMPAT_INT(0, 0, 8);
		if (level >= BTF_COMPAT_5_16)
			st->attr_decl_tags++;
		else
			st->decl_tags++;
		break;
	case BTF_KIND_TYPE_TAG:
		if (level >= BTF_COMPAT_6_14 ||
		    (level >= BTF_COMPAT_5_17 && !btf_type_kflag(t)))
			break;
		/* an attribute (address_space(1)) is no btf_type_tag either:
		 * CONST, which CO-RE skips like any modifier */
		o->name_off = 0;
		o->info = COMPAT_INFO(BTF_KIND_CONST, 0, 0);
		if (level >= BTF_COMPAT_5_17)
			st->attr_type_tags++;
		else
			st->type_tags++;
		break;
	case BTF_KIND_ENUM:
		if (level >= BTF_COMPAT_6_0 || !btf_type_kflag(t))
			break;
		o->info = COMPAT_INFO(BTF_KIND_ENUM, 0, vlen);
		st->enum_kflags++;
		break;
	case BTF_KIND_ENUM64:
		if (level >= BTF_COMPAT_6_0)
			break;
		if (enum64_fits(t)) {
			const struct btf_enum64 *e =
				(const struct btf_enum64 *)(t + 1);
			struct btf_enum *oe = (struct btf_enum *)(o + 1);

			o->info = COMPAT_INFO(BTF_KIND_ENUM, 0, vlen);
			for (i = 0; i < vlen; i++) {
				oe[i].name_off = e[i].name_off;
				oe[i].val = (int32_t)e[i].val_lo32;
			}
			st->enum64_enums++;
			return sizeof(*o) + vlen * sizeof(*oe);
		}
		o->info = COMPAT_INFO(BTF_KIND_UNION, 0, 0);
		st->enum64_unions++;
		return sizeof(*o);
	default:
		break;
	}
	return len;
}

void *btf_compat__rewrite(const struct btf_raw *raw,
			  enum btf_compat_level level,
			  struct btf_compat_stats *st, size_t *size,
			  struct diag *d)
{
	struct btf_compat_stats dummy;
	uint8_t *types;
	uint32_t i, len = 0;
	void *blob;

	if (!st)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	if (!strcmp(btf_compat__level_name(level), "?")) {
		diag_set(d, "unknown BTF compat level %d", (int)level);
		errno = EINVAL;
		return NULL;
	}
	/* the output is never longer than the input */
	types = malloc(raw->types_len ? raw->types_len : 1);
	if (!types) {
		diag_set(d, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < raw->type_cnt; i++) {
		uint32_t off = raw->type_offs[i];
		const struct btf_type *t =
			(const struct btf_type *)(raw->types + off);
		uint32_t rec = btf_raw__rec_size(t, raw->types_len - off);

		if (level < BTF_COMPAT_7_2 &&
		    btf_type_vlen(t) > BTF_RAW_MAX_VLEN16) {
			diag_set(d,
				 "type [%u] %s '%s' has vlen %u: readers "
				 "before 7.2 read 16 bits of vlen (at most "
				 "%u); no compat form below 7.2",
				 raw->start_id + i,
				 btf_kind_name(btf_type_kind(t)),
				 btf_raw__str(raw, t->name_off),
				 btf_type_vlen(t), BTF_RAW_MAX_VLEN16);
			free(types);
			errno = E2BIG;
			return NULL;
		}
		/* raw was validated: rec is never 0, and each rewrite
		 * shrinks or keeps the record, so out stays behind in */
		len += rewrite_one(t, rec, level, types + len, st);
	}
	if (level >= BTF_COMPAT_7_2) {
		const struct btf_raw_layout *l = NULL;
		uint32_t llen = 0;

		if (raw->layout) {
			l = raw->layout;
			llen = raw->layout_len;
		}
		blob = btf_raw__write_layout(types, len, l, llen, raw->strs,
					     raw->str_len, size);
	} else {
		st->layout_dropped = raw->layout != NULL;
		blob = btf_raw__write(types, len, raw->strs, raw->str_len,
				      size);
	}
	free(types);
	if (!blob)
		diag_set(d, "out of memory");
	return blob;
}
