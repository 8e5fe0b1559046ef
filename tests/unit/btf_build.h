/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * btf_build: raw BTF written in code the way the kernel's BPF selftests
 * write it (tools/testing/selftests/bpf/test_btf.h): a string section as one
 * literal, then the types as u32 words, one type per line with a comment
 * naming its id. NAME_TBD names take the section's strings in order, so a
 * case never spells a string offset by hand unless that is the point.
 */
#ifndef BTFAR_TESTS_BTF_BUILD_H
#define BTFAR_TESTS_BTF_BUILD_H

#include <linux/btf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/btf_raw.h"

#define BTF_END_RAW 0xdeadbeef
#define NAME_TBD    0xdeadb33f

#define BTF_INFO_ENC(kind, kind_flag, vlen)                                    \
	(((uint32_t) !!(kind_flag) << 31) | ((uint32_t)(kind) << 24) |         \
	 ((uint32_t)(vlen)&0xffffff))
#define BTF_TYPE_ENC(name, info, size_or_type) (name), (info), (size_or_type)
#define BTF_INT_ENC(encoding, bits_offset, nr_bits)                            \
	((encoding) << 24 | (bits_offset) << 16 | (nr_bits))
#define BTF_TYPE_INT_ENC(name, encoding, bits_offset, bits, sz)                \
	BTF_TYPE_ENC(name, BTF_INFO_ENC(BTF_KIND_INT, 0, 0), sz),              \
		BTF_INT_ENC(encoding, bits_offset, bits)
#define BTF_PTR_ENC(type)                                                      \
	BTF_TYPE_ENC(0, BTF_INFO_ENC(BTF_KIND_PTR, 0, 0), type)
#define BTF_CONST_ENC(type)                                                    \
	BTF_TYPE_ENC(0, BTF_INFO_ENC(BTF_KIND_CONST, 0, 0), type)
#define BTF_VOLATILE_ENC(type)                                                 \
	BTF_TYPE_ENC(0, BTF_INFO_ENC(BTF_KIND_VOLATILE, 0, 0), type)
#define BTF_RESTRICT_ENC(type)                                                 \
	BTF_TYPE_ENC(0, BTF_INFO_ENC(BTF_KIND_RESTRICT, 0, 0), type)
#define BTF_TYPEDEF_ENC(name, type)                                            \
	BTF_TYPE_ENC(name, BTF_INFO_ENC(BTF_KIND_TYPEDEF, 0, 0), type)
#define BTF_TYPE_TAG_ENC(value, type)                                          \
	BTF_TYPE_ENC(value, BTF_INFO_ENC(BTF_KIND_TYPE_TAG, 0, 0), type)
#define BTF_TYPE_ARRAY_ENC(type, index_type, nr_elems)                         \
	BTF_TYPE_ENC(0, BTF_INFO_ENC(BTF_KIND_ARRAY, 0, 0), 0), (type),        \
		(index_type), (nr_elems)
#define BTF_STRUCT_ENC(name, nr_elems, sz)                                     \
	BTF_TYPE_ENC(name, BTF_INFO_ENC(BTF_KIND_STRUCT, 0, nr_elems), sz)
#define BTF_UNION_ENC(name, nr_elems, sz)                                      \
	BTF_TYPE_ENC(name, BTF_INFO_ENC(BTF_KIND_UNION, 0, nr_elems), sz)
#define BTF_MEMBER_ENC(name, type, bits_offset) (name), (type), (bits_offset)
/* member offset of a kind_flag struct */
#define BTF_MEMBER_OFFSET(bitfield_size, bits_offset)                          \
	((bitfield_size) << 24 | (bits_offset))
#define BTF_ENUM_ENC(name, val)		 (name), (val)
#define BTF_ENUM64_ENC(name, lo32, hi32) (name), (lo32), (hi32)
#define BTF_FWD_ENC(name, kind_flag)                                           \
	BTF_TYPE_ENC(name, BTF_INFO_ENC(BTF_KIND_FWD, kind_flag, 0), 0)
#define BTF_FUNC_PROTO_ENC(ret_type, nargs)                                    \
	BTF_TYPE_ENC(0, BTF_INFO_ENC(BTF_KIND_FUNC_PROTO, 0, nargs), ret_type)
#define BTF_FUNC_PROTO_ARG_ENC(name, type) (name), (type)
#define BTF_FUNC_ENC(name, func_proto)                                         \
	BTF_TYPE_ENC(name, BTF_INFO_ENC(BTF_KIND_FUNC, 0, 0), func_proto)
#define BTF_VAR_ENC(name, type, linkage)                                       \
	BTF_TYPE_ENC(name, BTF_INFO_ENC(BTF_KIND_VAR, 0, 0), type), (linkage)
#define BTF_VAR_SECINFO_ENC(type, offset, size) (type), (offset), (size)
#define BTF_TYPE_FLOAT_ENC(name, sz)                                           \
	BTF_TYPE_ENC(name, BTF_INFO_ENC(BTF_KIND_FLOAT, 0, 0), sz)
#define BTF_DECL_TAG_ENC(value, type, component_idx)                           \
	BTF_TYPE_ENC(value, BTF_INFO_ENC(BTF_KIND_DECL_TAG, 0, 0), type),      \
		(uint32_t)(component_idx)

#define BTF_MAX_WORDS 192

/* One BTF blob in source form. */
struct btf_src {
	const char *strs; /* string section, NUL-separated */
	uint32_t str_len;
	uint32_t types[BTF_MAX_WORDS]; /* ends with BTF_END_RAW */
};

/* The string section is the literal, with its final NUL. */
#define BTF_STR_SEC(s) .strs = (s), .str_len = sizeof(s)

/* u32 words appended one by one: types built by a loop. */
struct btf_words {
	uint32_t *w;
	size_t n, cap;
};

static inline void btf_words_add(struct btf_words *ws, uint32_t v)
{
	if (ws->n == ws->cap) {
		ws->cap = ws->cap ? ws->cap * 2 : 256;
		ws->w = realloc(ws->w, ws->cap * sizeof(*ws->w));
		if (!ws->w) {
			fprintf(stderr, "out of memory\n");
			exit(1);
		}
	}
	ws->w[ws->n++] = v;
}

/*
 * Writes header, types and strings into a malloc()ed blob. The n-th
 * NAME_TBD gets the n-th string of the section (the empty string at offset
 * 0 not counted), plus str_base: 0, or the base's string length for split
 * BTF. Exits the test (failed) on a NAME_TBD with no string left.
 */
static inline uint8_t *btf_build(const uint32_t *types, size_t nwords,
				 const char *strs, uint32_t str_len,
				 uint32_t str_base, size_t *size)
{
	uint32_t *w = malloc((nwords ? nwords : 1) * sizeof(*w));
	uint32_t off = 0;
	uint8_t *blob;
	size_t i;

	if (!w)
		exit(1);
	if (str_len && !strs[0])
		off = 1;
	for (i = 0; i < nwords; i++) {
		w[i] = types[i];
		if (w[i] != NAME_TBD)
			continue;
		if (off >= str_len) {
			fprintf(stderr, "NAME_TBD #%zu: no string left\n", i);
			exit(1);
		}
		w[i] = str_base + off;
		off += (uint32_t)strnlen(strs + off, str_len - off) + 1;
	}
	blob = btf_raw__write(w, (uint32_t)(nwords * 4), strs, str_len, size);
	free(w);
	if (!blob)
		exit(1);
	return blob;
}

static inline uint8_t *btf_src__build(const struct btf_src *src,
				      uint32_t str_base, size_t *size)
{
	size_t n = 0;

	while (src->types[n] != BTF_END_RAW) {
		if (++n == BTF_MAX_WORDS) {
			fprintf(stderr, "types without BTF_END_RAW\n");
			exit(1);
		}
	}
	return btf_build(src->types, n, src->strs, src->str_len, str_base,
			 size);
}

/*
 * The small base every split case sits on, with its string offsets: a
 * vmlinux in miniature.
 */
/* "\0int\0long int\0list_head\0next\0prev\0x\0kfree" */
#define BASE_STR_LEN  42
#define BS_INT	      1
#define BS_LONG	      5
#define BS_LIST_HEAD  14
#define BS_NEXT	      24
#define BS_PREV	      29
#define BS_X	      34
#define BS_KFREE      36
#define BASE_TYPE_CNT 7 /* ids 0..6: the first split id is 7 */

/* clang-format off */
static const struct btf_src base_src = {
	BTF_STR_SEC("\0int\0long int\0list_head\0next\0prev\0x\0kfree"),
	.types = {
		/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
		/* [2] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 64, 8),
		/* [3] */ BTF_STRUCT_ENC(NAME_TBD, 2, 16),
			BTF_MEMBER_ENC(NAME_TBD, 4, 0),		/* next */
			BTF_MEMBER_ENC(NAME_TBD, 4, 64),	/* prev */
		/* [4] */ BTF_PTR_ENC(3),
		/* [5] */ BTF_FUNC_PROTO_ENC(1, 1),
			BTF_FUNC_PROTO_ARG_ENC(NAME_TBD, 1),	/* x */
		/* [6] */ BTF_FUNC_ENC(NAME_TBD, 5),		/* kfree */
		BTF_END_RAW,
	},
};
/* clang-format on */

/* The base parsed once: blob and btf_raw live until exit. */
static inline const struct btf_raw *base_get(void)
{
	static struct btf_raw raw;
	static uint8_t *blob;
	struct diag d = {""};
	size_t size;

	if (blob)
		return &raw;
	blob = btf_src__build(&base_src, 0, &size);
	if (btf_raw__parse(&raw, blob, size, NULL, &d)) {
		fprintf(stderr, "the test base does not parse: %s\n", d.msg);
		exit(1);
	}
	return &raw;
}

#endif /* BTFAR_TESTS_BTF_BUILD_H */
