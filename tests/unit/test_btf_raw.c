// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * btf_raw: the validator against a table of BTF built in code, the way the
 * kernel's BPF selftests test the kernel's (test_btf.c raw_tests[]): bad-input
 * classes 6 (header), 7 (strings), 8 (records), 9 (per-kind rules), 10
 * (loops) and 11 (split BTF on the wrong base), plus valid blobs that must
 * parse. Each case is its bytes (a btf_src, a generator for the big ones, a
 * patch of the header), standalone or split on the small base of
 * btf_build.h, and the piece of text the error message must hold, or NULL.
 */
#include <errno.h>

#include "btf_build.h"
#include "unit.h"

/* A blob under test; patches may reallocate it. */
struct blob {
	uint8_t *p;
	size_t size;
};

struct raw_case {
	const char *name;
	bool split;		     /* split BTF on base_get() */
	struct btf_src src;	     /* the bytes, unless gen is set */
	void (*gen)(struct blob *b); /* builds the bytes in a loop */
	void (*fix)(struct blob *b); /* patches the built bytes */
	const char *err;	     /* piece of the message; NULL: parses */
	int ret;		     /* expected error; 0: -EINVAL */
	void (*check)(const struct btf_raw *raw); /* more checks on success */
};

static struct btf_header *hdr(struct blob *b)
{
	return (struct btf_header *)b->p;
}

/* Inserts n zero bytes at off. */
static void blob_insert(struct blob *b, size_t off, size_t n)
{
	b->p = realloc(b->p, b->size + n);
	if (!b->p)
		exit(1);
	memmove(b->p + off + n, b->p + off, b->size - off);
	memset(b->p + off, 0, n);
	b->size += n;
}

/* A valid one-INT blob every header patch starts from (45 bytes). */
/* clang-format off */
#define ONE_INT                                                                \
	{                                                                      \
		BTF_STR_SEC("\0int"),                                          \
		.types = {                                                     \
			/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, \
						 32, 4),                       \
			BTF_END_RAW,                                           \
		},                                                             \
	}
/* clang-format on */

/* class 6: the header and the section layout */

static void fix_short(struct blob *b)
{
	b->size = sizeof(struct btf_header) - 4;
}

static void fix_magic(struct blob *b)
{
	hdr(b)->magic = 0xbeef;
}

/* The header as a big-endian producer writes it, read little-endian. */
static void fix_swapped(struct blob *b)
{
	struct btf_header *h = hdr(b);

	h->magic = __builtin_bswap16(h->magic);
	h->hdr_len = __builtin_bswap32(h->hdr_len);
	h->type_off = __builtin_bswap32(h->type_off);
	h->type_len = __builtin_bswap32(h->type_len);
	h->str_off = __builtin_bswap32(h->str_off);
	h->str_len = __builtin_bswap32(h->str_len);
}

static void fix_version(struct blob *b)
{
	hdr(b)->version = 2;
}

static void fix_flags(struct blob *b)
{
	hdr(b)->flags = 1;
}

static void fix_hdr_len_past(struct blob *b)
{
	hdr(b)->hdr_len = (uint32_t)b->size + 4;
}

/* A newer, 32-byte header: the 8 unknown bytes must be zero. */
static void fix_hdr_tail_zero(struct blob *b)
{
	blob_insert(b, sizeof(struct btf_header), 8);
	hdr(b)->hdr_len = 32;
}

/* A header of 36 bytes: 4 past layout_len, which btfar does not know. */
static void fix_hdr_tail(struct blob *b)
{
	blob_insert(b, sizeof(struct btf_header), 12);
	hdr(b)->hdr_len = 36;
	b->p[33] = 1;
}

/*
 * The layout section (32-byte header, layout_off and layout_len after
 * str_len) between types and strings: n entries, btfar's own for the kinds
 * it knows, {4, 8} for any newer one.
 */
static void add_layout(struct blob *b, uint32_t n)
{
	struct btf_raw_layout l[24] = {{0}};
	uint32_t k, len = n * (uint32_t)sizeof(l[0]), types_len;

	for (k = 0; k < n && k < 24; k++)
		if (!btf_raw__known_layout(k, &l[k]))
			l[k] = (struct btf_raw_layout){k ? 4 : 0, k ? 8 : 0, 0};
	blob_insert(b, sizeof(struct btf_header), 8);
	hdr(b)->hdr_len = 32;
	types_len = hdr(b)->type_len;
	blob_insert(b, 32 + types_len, len);
	memcpy(b->p + 32 + types_len, l, len);
	hdr(b)->str_off += len;
	((uint32_t *)b->p)[6] = types_len; /* layout_off */
	((uint32_t *)b->p)[7] = len;	   /* layout_len */
}

static void fix_layout(struct blob *b)
{
	add_layout(b, NR_BTF_KINDS);
}

/* The two entries libbpf's probe of kernel support loads. */
static void fix_layout_two(struct blob *b)
{
	add_layout(b, 2);
}

static void fix_layout_newer(struct blob *b)
{
	add_layout(b, NR_BTF_KINDS + 2);
}

static void fix_layout_partial(struct blob *b)
{
	add_layout(b, 2);
	((uint32_t *)b->p)[7] = 6;
}

static void fix_layout_past(struct blob *b)
{
	add_layout(b, 2);
	((uint32_t *)b->p)[7] = 64;
}

static void fix_layout_overlap(struct blob *b)
{
	add_layout(b, 2);
	((uint32_t *)b->p)[6] -= 4;
}

static void fix_layout_gap(struct blob *b)
{
	add_layout(b, 1);
	blob_insert(b, 32 + hdr(b)->type_len, 4); /* 4 bytes after types */
	((uint32_t *)b->p)[6] += 4;
	hdr(b)->str_off += 4;
}

static void fix_layout_wrong(struct blob *b)
{
	add_layout(b, NR_BTF_KINDS);
	/* entry 1 (INT): info_sz 8 instead of 4 */
	b->p[32 + hdr(b)->type_len + 4] = 8;
}

/* A type of kind 20 (past ENUM64) the layout describes as 4 + 8 x vlen. */
static void fix_kind_newer_layout(struct blob *b)
{
	static const uint32_t rec[] = {0, BTF_INFO_ENC(20, 0, 1), 0, 0, 0, 0};

	blob_insert(b, sizeof(struct btf_header) + hdr(b)->type_len,
		    sizeof(rec));
	memcpy(b->p + sizeof(struct btf_header) + hdr(b)->type_len, rec,
	       sizeof(rec));
	hdr(b)->type_len += sizeof(rec);
	hdr(b)->str_off += sizeof(rec);
	add_layout(b, NR_BTF_KINDS + 1);
}

static void fix_overflow(struct blob *b)
{
	hdr(b)->type_off = 0xfffffffc;
}

static void fix_type_align(struct blob *b)
{
	hdr(b)->type_off = 2;
}

static void fix_gap_before(struct blob *b)
{
	blob_insert(b, sizeof(struct btf_header), 4);
	hdr(b)->type_off += 4;
	hdr(b)->str_off += 4;
}

static void fix_gap_between(struct blob *b)
{
	blob_insert(b, sizeof(struct btf_header) + hdr(b)->str_off, 4);
	hdr(b)->str_off += 4;
}

/* The string section starts inside the INT record and ends at the end. */
static void fix_overlap(struct blob *b)
{
	hdr(b)->str_off -= 4;
	hdr(b)->str_len += 4;
}

static void fix_trailing(struct blob *b)
{
	blob_insert(b, b->size, 3);
}

static void fix_str_past(struct blob *b)
{
	hdr(b)->str_len += 4;
}

static void fix_type_len(struct blob *b)
{
	hdr(b)->type_len -= 2;
	hdr(b)->str_off -= 2;
	hdr(b)->str_len += 2;
}

/* class 7: a string section one byte over the kernel's 16 MiB */
static void gen_strs_too_long(struct blob *b)
{
	uint32_t len = BTF_MAX_NAME_OFFSET + 2;
	char *strs = calloc(1, len);
	static const uint32_t types[] = {
		/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
	};

	if (!strs)
		exit(1);
	memset(strs + 1, 'a', len - 2); /* "\0aaa...a\0" */
	b->p = btf_build(types, 4, strs, len, 0, &b->size);
	free(strs);
}

/* class 8: 0x100000 types, one more than BTF_MAX_TYPE (12 MiB of PTRs) */
static void gen_types(struct blob *b, uint32_t n)
{
	struct btf_words ws = {0};
	uint32_t i;

	for (i = 0; i < n; i++) {
		btf_words_add(&ws, 0);
		btf_words_add(&ws, BTF_INFO_ENC(BTF_KIND_PTR, 0, 0));
		btf_words_add(&ws, 0); /* void * */
	}
	b->p = btf_build(ws.w, ws.n, "", 1, 0, &b->size);
	free(ws.w);
}

static void gen_too_many_types(struct blob *b)
{
	gen_types(b, BTF_MAX_TYPE + 1);
}

static void gen_max_types(struct blob *b)
{
	gen_types(b, BTF_MAX_TYPE);
}

/*
 * An ENUM of 70,000 enumerators: vlen past 16 bits, which the newest
 * kernel reads (24 bits) and older ones refuse (reserved info bits).
 */
static void gen_enum_wide(struct blob *b)
{
	struct btf_words ws = {0};
	uint32_t i, n = 70000;
	const char strs[] = "\0e\0v";

	btf_words_add(&ws, 1); /* "e" */
	btf_words_add(&ws, BTF_INFO_ENC(BTF_KIND_ENUM, 0, n));
	btf_words_add(&ws, 4);
	for (i = 0; i < n; i++) {
		btf_words_add(&ws, 3); /* "v" */
		btf_words_add(&ws, i);
	}
	b->p = btf_build(ws.w, ws.n, strs, sizeof(strs), 0, &b->size);
	free(ws.w);
}

static void check_enum_wide(const struct btf_raw *raw)
{
	const struct btf_type *t = btf_raw__type(raw, 1);

	CHECK(raw->type_cnt == 1 && t && btf_type_vlen(t) == 70000,
	      "enum_wide: %u types, vlen %u", raw->type_cnt,
	      t ? btf_type_vlen(t) : 0);
}

static void check_layout(const struct btf_raw *raw)
{
	CHECK(raw->layout && raw->layout_len == NR_BTF_KINDS * 4 &&
		      raw->layout[BTF_KIND_STRUCT].elem_sz == 12,
	      "layout: %u bytes", raw->layout_len);
	CHECK(raw->type_cnt == 1 && raw->str_len == 5,
	      "layout: %u types, %u string bytes", raw->type_cnt, raw->str_len);
}

/*
 * class 10: a chain of n typedefs ending in int, the kernel's
 * MAX_RESOLVE_DEPTH (32) being the most it takes. up: each typedef refers
 * to the one before it ([1] int, [2] -> [1], ...); otherwise to the one
 * after it ([1] -> [2], ..., [n] -> [n+1] int), so resolving [1] walks the
 * whole chain.
 */
static void gen_typedefs(struct blob *b, uint32_t n, bool up)
{
	struct btf_words ws = {0};
	uint32_t i, id_int = up ? 1 : n + 1;
	const char strs[] = "\0int\0t";

	for (i = 1; i <= n + 1; i++) {
		if (i == id_int) {
			/* [id_int] */
			btf_words_add(&ws, 1); /* "int" */
			btf_words_add(&ws, BTF_INFO_ENC(BTF_KIND_INT, 0, 0));
			btf_words_add(&ws, 4);
			btf_words_add(&ws, BTF_INT_ENC(BTF_INT_SIGNED, 0, 32));
			continue;
		}
		/* [i] typedef t */
		btf_words_add(&ws, 5); /* "t" */
		btf_words_add(&ws, BTF_INFO_ENC(BTF_KIND_TYPEDEF, 0, 0));
		btf_words_add(&ws, up ? i - 1 : i + 1);
	}
	b->p = btf_build(ws.w, ws.n, strs, sizeof(strs), 0, &b->size);
	free(ws.w);
}

static void gen_typedefs_32(struct blob *b)
{
	gen_typedefs(b, 32, true);
}

static void gen_typedefs_32_down(struct blob *b)
{
	gen_typedefs(b, 32, false);
}

static void gen_typedefs_33(struct blob *b)
{
	gen_typedefs(b, 33, true);
}

static void gen_typedefs_33_down(struct blob *b)
{
	gen_typedefs(b, 33, false);
}

/*
 * class 10: n structs nested by value, [1] holding [2] ... [n] holding
 * [n+1] int: resolving [1] goes n + 1 types deep, as in the kernel, where
 * each struct takes a slot of its resolve stack.
 */
static void gen_nested(struct blob *b, uint32_t n)
{
	struct btf_words ws = {0};
	const char strs[] = "\0int\0s\0m";
	uint32_t i;

	for (i = 1; i <= n; i++) {
		/* [i] struct s { <[i+1]> m; } */
		btf_words_add(&ws, 5); /* "s" */
		btf_words_add(&ws, BTF_INFO_ENC(BTF_KIND_STRUCT, 0, 1));
		btf_words_add(&ws, 4);
		btf_words_add(&ws, 7); /* "m" */
		btf_words_add(&ws, i + 1);
		btf_words_add(&ws, 0);
	}
	/* [n+1] int */
	btf_words_add(&ws, 1);
	btf_words_add(&ws, BTF_INFO_ENC(BTF_KIND_INT, 0, 0));
	btf_words_add(&ws, 4);
	btf_words_add(&ws, BTF_INT_ENC(BTF_INT_SIGNED, 0, 32));
	b->p = btf_build(ws.w, ws.n, strs, sizeof(strs), 0, &b->size);
	free(ws.w);
}

static void gen_nested_32(struct blob *b)
{
	gen_nested(b, 32);
}

static void gen_nested_33(struct blob *b)
{
	gen_nested(b, 33);
}

/* Sizes and lookups of the every-kind blob (all_kinds below). */
static void check_all_kinds(const struct btf_raw *raw)
{
	/* clang-format off */
	static const uint32_t want[] = {
		[1] = 4,  [2] = 8,  [3] = 8,  [4] = 12, [5] = 8,  [6] = 8,
		[7] = 4,  [8] = 8,  [9] = 0,  [10] = 8, [11] = 4, [12] = 4,
		[13] = 8, [14] = 0, [15] = 0, [16] = 12, [17] = 12, [18] = 8,
		[19] = 0, [20] = 4, [21] = 8,
	};
	/* clang-format on */
	uint32_t id;

	CHECK(btf_raw__type_cnt(raw) == 22, "type_cnt %u, expected 22",
	      btf_raw__type_cnt(raw));
	CHECK(raw->ptr_sz == 8, "ptr_sz %u", raw->ptr_sz);
	for (id = 1; id < 22; id++)
		CHECK(btf_raw__size(raw, id) == want[id],
		      "[%u] %s: size %u, expected %u", id,
		      btf_kind_name(btf_type_kind(btf_raw__type(raw, id))),
		      btf_raw__size(raw, id), want[id]);
	CHECK(btf_type_kind(btf_raw__type(raw, 21)) == BTF_KIND_PTR, "[21]");
	CHECK(!strcmp(btf_raw__str(raw, btf_raw__type(raw, 10)->name_off),
		      "s_t"),
	      "[10] name");
	CHECK(!btf_raw__type(raw, 0) && !btf_raw__type(raw, 22),
	      "type 0 or 22 found");
	CHECK(btf_raw__size(raw, 22) == 0, "size of 22");
}

static void check_list_head(const struct btf_raw *raw)
{
	CHECK(btf_raw__size(raw, 1) == 16, "list_head: %u bytes",
	      btf_raw__size(raw, 1));
	CHECK(btf_raw__size(raw, 2) == 8, "pointer: %u bytes",
	      btf_raw__size(raw, 2));
}

static void check_split_ok(const struct btf_raw *raw)
{
	const struct btf_type *t = btf_raw__type(raw, 7);

	CHECK(raw->start_id == BASE_TYPE_CNT, "start_id %u", raw->start_id);
	CHECK(raw->start_str_off == BASE_STR_LEN, "start_str_off %u",
	      raw->start_str_off);
	CHECK(btf_raw__type_cnt(raw) == 11, "type_cnt %u",
	      btf_raw__type_cnt(raw));
	CHECK(t && !strcmp(btf_raw__str(raw, t->name_off), "mod_s"),
	      "[7] name");
	CHECK(btf_raw__size(raw, 7) == 32, "[7] size %u",
	      btf_raw__size(raw, 7));
	CHECK(btf_raw__size(raw, 3) == 16, "base [3] size %u through split",
	      btf_raw__size(raw, 3));
	/* a base string reached through the split */
	CHECK(!strcmp(btf_raw__str(raw, BS_LIST_HEAD), "list_head"),
	      "base string");
	CHECK(btf_type_kind(btf_raw__type(raw, 6)) == BTF_KIND_FUNC,
	      "base [6]");
}

/* The table, laid out by hand like the selftests' raw_tests[]. */
/* clang-format off */
static const struct raw_case raw_cases[] = {
	/* class 6: header and sections */
	{
		.name = "hdr_ok",
		.src = ONE_INT,
	},
	{
		.name = "hdr_short",
		.src = ONE_INT,
		.fix = fix_short,
		.err = "20 bytes, shorter than the BTF header (24)",
	},
	{
		.name = "hdr_magic",
		.src = ONE_INT,
		.fix = fix_magic,
		.err = "bad magic 0xbeef at offset 0, expected 0xeb9f",
	},
	{
		.name = "hdr_swapped",
		.src = ONE_INT,
		.fix = fix_swapped,
		.err = "byte-swapped BTF (other endianness) is not supported",
	},
	{
		.name = "hdr_version",
		.src = ONE_INT,
		.fix = fix_version,
		.err = "unsupported version 2 at offset 2, expected 1",
	},
	{
		.name = "hdr_flags",
		.src = ONE_INT,
		.fix = fix_flags,
		.err = "flags 0x1 at offset 3, expected 0",
	},
	{
		.name = "hdr_len_past",
		.src = ONE_INT,
		.fix = fix_hdr_len_past,
		.err = "hdr_len 49 out of range [24, 45]",
	},
	{
		.name = "hdr_tail_zero",
		.src = ONE_INT,
		.fix = fix_hdr_tail_zero,
	},
	{
		.name = "hdr_tail",
		.src = ONE_INT,
		.fix = fix_hdr_tail,
		.err = "header field at offset 32 (hdr_len 36) is unknown to "
		       "btfar, which reads 32 header bytes (up to layout_len): "
		       "this BTF is newer than btfar",
	},
	{
		.name = "layout_ok",
		.src = ONE_INT,
		.fix = fix_layout,
		.check = check_layout,
	},
	{
		.name = "layout_two",
		.src = ONE_INT,
		.fix = fix_layout_two,
	},
	{
		.name = "layout_newer_kinds",
		.src = ONE_INT,
		.fix = fix_layout_newer,
	},
	{
		.name = "layout_partial_entry",
		.src = ONE_INT,
		.fix = fix_layout_partial,
		.err = "layout section length 6 is not a multiple of 4 (one "
		       "entry per kind)",
	},
	{
		.name = "layout_past_end",
		.src = ONE_INT,
		.fix = fix_layout_past,
		.err = "layout section ends at 80, past the data (29 bytes "
		       "after the header)",
	},
	{
		.name = "layout_overlap",
		.src = ONE_INT,
		.fix = fix_layout_overlap,
		.err = "layout section (offset 12, 8 bytes) overlaps the type "
		       "section (ends at 16)",
	},
	{
		.name = "layout_gap",
		.src = ONE_INT,
		.fix = fix_layout_gap,
		.err = "gap of 4 bytes between the type and layout sections",
	},
	{
		.name = "layout_entry_wrong",
		.src = ONE_INT,
		.fix = fix_layout_wrong,
		.err = "layout section entry 1 (INT): info_sz 8, elem_sz 0; the "
		       "kind has 4 and 0",
	},
	{
		.name = "kind_newer_layout",
		.src = ONE_INT,
		.fix = fix_kind_newer_layout,
		.err = "type [2] at byte 16: kind 20 is unknown to btfar (the "
		       "layout section gives it 4 + 8 x vlen bytes after the "
		       "type record): this BTF is newer than btfar",
	},
	{
		.name = "hdr_overflow",
		.src = ONE_INT,
		.fix = fix_overflow,
		.err = "section offset + length overflows 32 bits",
	},
	{
		.name = "hdr_type_align",
		.src = ONE_INT,
		.fix = fix_type_align,
		.err = "type section offset 2 is not 4-byte aligned",
	},
	{
		.name = "hdr_gap_before",
		.src = ONE_INT,
		.fix = fix_gap_before,
		.err = "gap of 4 bytes before the type section",
	},
	{
		.name = "hdr_gap_between",
		.src = ONE_INT,
		.fix = fix_gap_between,
		.err = "gap of 4 bytes between type and string sections",
	},
	{
		.name = "hdr_overlap",
		.src = ONE_INT,
		.fix = fix_overlap,
		.err = "string section (offset 12) overlaps the type section "
		       "(ends at 16)",
	},
	{
		.name = "hdr_trailing",
		.src = ONE_INT,
		.fix = fix_trailing,
		.err = "3 trailing bytes after the string section",
	},
	{
		.name = "hdr_str_past",
		.src = ONE_INT,
		.fix = fix_str_past,
		.err = "string section ends at 25, past the data (21 bytes "
		       "after the header)",
	},
	{
		.name = "hdr_type_len",
		.src = ONE_INT,
		.fix = fix_type_len,
		.err = "type section length 14 is not a multiple of 4",
	},

	/* class 7: string section */
	{
		.name = "strs_empty",
		.src = {
			.strs = "", .str_len = 0,
			.types = {
				/* [1] */ BTF_PTR_ENC(0),
				BTF_END_RAW,
			},
		},
		.err = "string section is empty",
	},
	{
		.name = "strs_no_nul",
		.src = {
			.strs = "\0int", .str_len = 4,
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(1, BTF_INT_SIGNED, 0, 32, 4),
				BTF_END_RAW,
			},
		},
		.err = "string section is not NUL-terminated",
	},
	{
		.name = "strs_no_leading_nul",
		.src = {
			BTF_STR_SEC("int"),
			.types = {
				/* [1] */ BTF_PTR_ENC(0),
				BTF_END_RAW,
			},
		},
		.err = "string section does not start with NUL",
	},
	{
		.name = "strs_too_long",
		.gen = gen_strs_too_long,
		.err = "string section of 16777217 bytes (with base) is over "
		       "the limit of 16777216",
	},
	{
		/* split BTF may have no strings of its own */
		.name = "strs_split_empty",
		.split = true,
		.src = {
			.strs = "", .str_len = 0,
			.types = {
				/* [7] */ BTF_PTR_ENC(1),
				/* [8] */ BTF_CONST_ENC(7),
				/* [9] */ BTF_STRUCT_ENC(BS_NEXT, 1, 8),
					BTF_MEMBER_ENC(BS_PREV, 8, 0),
				BTF_END_RAW,
			},
		},
	},
	{
		.name = "strs_split_no_nul",
		.split = true,
		.src = {
			.strs = "abc", .str_len = 3,
			.types = {
				/* [7] */ BTF_PTR_ENC(1),
				BTF_END_RAW,
			},
		},
		.err = "string section is not NUL-terminated",
	},

	/* class 8: records */
	{
		.name = "rec_truncated",
		.src = {
			BTF_STR_SEC("\0int"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ 0, BTF_INFO_ENC(BTF_KIND_PTR, 0, 0),
				BTF_END_RAW,
			},
		},
		.err = "type [2] at byte 16: truncated record",
	},
	{
		/* the INT's 4-byte tail is missing */
		.name = "rec_truncated_tail",
		.src = {
			BTF_STR_SEC("\0int"),
			.types = {
				/* [1] */ BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_INT, 0, 0), 4),
				BTF_END_RAW,
			},
		},
		.err = "type [1] INT at byte 0: vlen 0 runs past the end of "
		       "the type section (12 bytes)",
	},
	{
		.name = "kind_unknown",
		.src = {
			BTF_STR_SEC(""),
			.types = {
				/* [1] */ BTF_TYPE_ENC(0, BTF_INFO_ENC(20, 0, 0), 0),
				BTF_END_RAW,
			},
		},
		.err = "type [1] at byte 0: kind 20 is unknown to btfar, which "
		       "knows kinds 1 to 19: this BTF is newer than btfar, or "
		       "corrupt",
	},
	{
		.name = "kind_zero",
		.src = {
			BTF_STR_SEC(""),
			.types = {
				/* [1] */ BTF_TYPE_ENC(0, 0, 0),
				BTF_END_RAW,
			},
		},
		.err = "type [1] at byte 0: kind 0 (UNKN) is only void, never a "
		       "record",
	},
	{
		.name = "info_reserved",
		.src = {
			BTF_STR_SEC("\0int"),
			.types = {
				/* [1] */ BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_INT, 0, 0) | 0x20000000, 4),
					BTF_INT_ENC(BTF_INT_SIGNED, 0, 32),
				BTF_END_RAW,
			},
		},
		/* bit 29: once reserved, now part of the 7-bit kind (33) */
		.err = "type [1] at byte 0: kind 33 is unknown to btfar",
	},
	{
		.name = "info_reserved_vlen",
		.src = {
			BTF_STR_SEC("\0int"),
			.types = {
				/* [1] */ BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_INT, 0, 0) | 0x10000, 4),
					BTF_INT_ENC(BTF_INT_SIGNED, 0, 32),
				BTF_END_RAW,
			},
		},
		/* bit 16: once reserved, now part of the 24-bit vlen */
		.err = "type [1] INT: invalid info 0x01010000 (vlen 65536, "
		       "kind_flag 0)",
	},
	{
		.name = "enum_vlen_24",
		.gen = gen_enum_wide,
		.check = check_enum_wide,
	},
	{
		.name = "type_tag_kflag",
		.src = {
			BTF_STR_SEC("\0int\0address_space(1)"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_TYPE_TAG, 1, 0), 0),
				/* [3] */ BTF_PTR_ENC(2),
				BTF_END_RAW,
			},
		},
	},
	{
		.name = "decl_tag_kflag",
		.src = {
			BTF_STR_SEC("\0int\0x\0aligned(8)"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_VAR_ENC(NAME_TBD, 1, 0),
				/* [3] */ BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_DECL_TAG, 1, 0), 2), (uint32_t)-1,
				BTF_END_RAW,
			},
		},
	},
	{
		/* the kernel's identifiers take '.' (clones: f.isra.0) */
		.name = "name_dot",
		.src = {
			BTF_STR_SEC("\0int\0f.isra.0\0.t"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_FUNC_PROTO_ENC(1, 0),
				/* [3] */ BTF_FUNC_ENC(NAME_TBD, 2),
				/* [4] */ BTF_TYPEDEF_ENC(NAME_TBD, 1),
				BTF_END_RAW,
			},
		},
	},
	{
		.name = "name_dash",
		.src = {
			BTF_STR_SEC("\0int\0f-x"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_TYPEDEF_ENC(NAME_TBD, 1),
				BTF_END_RAW,
			},
		},
		.err = "type [2] TYPEDEF: invalid name 'f-x'",
	},
	{
		.name = "typedef_kflag",
		.src = {
			BTF_STR_SEC("\0int\0t"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_TYPEDEF, 1, 0), 1),
				BTF_END_RAW,
			},
		},
		.err = "type [2] TYPEDEF: invalid info 0x88000000 (vlen 0, "
		       "kind_flag 1)",
	},
	{
		.name = "ptr_kflag",
		.src = {
			BTF_STR_SEC("\0int"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_TYPE_ENC(0, BTF_INFO_ENC(BTF_KIND_PTR, 1, 0), 1),
				BTF_END_RAW,
			},
		},
		.err = "type [2] PTR: invalid info 0x82000000 (vlen 0, "
		       "kind_flag 1)",
	},
	{
		.name = "vlen_past_end",
		.src = {
			BTF_STR_SEC("\0int\0s\0a"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_STRUCT_ENC(NAME_TBD, 1000, 4),
					BTF_MEMBER_ENC(NAME_TBD, 1, 0),
				BTF_END_RAW,
			},
		},
		.err = "type [2] STRUCT at byte 16: vlen 1000 runs past the "
		       "end of the type section (40 bytes)",
	},
	{
		.name = "name_off_range",
		.src = {
			BTF_STR_SEC("\0int"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(100, BTF_INT_SIGNED, 0, 32, 4),
				BTF_END_RAW,
			},
		},
		.err = "type [1] INT: name offset 100 past the string section "
		       "(5 bytes)",
	},
	{
		.name = "name_off_mid",
		.src = {
			BTF_STR_SEC("\0int"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(2, BTF_INT_SIGNED, 0, 32, 4),
				BTF_END_RAW,
			},
		},
		.err = "type [1] INT: name offset 2 is not at the start of a "
		       "string",
	},
	{
		.name = "member_name_mid",
		.src = {
			BTF_STR_SEC("\0int\0s\0abc"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_STRUCT_ENC(NAME_TBD, 1, 4),
					BTF_MEMBER_ENC(8, 1, 0), /* "bc" */
				BTF_END_RAW,
			},
		},
		.err = "type [2] STRUCT 's' member #0: name offset 8 is not at "
		       "the start of a string",
	},
	{
		.name = "type_id_range",
		.src = {
			BTF_STR_SEC("\0int"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_PTR_ENC(5),
				BTF_END_RAW,
			},
		},
		.err = "type [2] PTR refers to type 5, there are 2 types",
	},
	{
		.name = "member_id_range",
		.src = {
			BTF_STR_SEC("\0int\0s\0a"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_STRUCT_ENC(NAME_TBD, 1, 4),
					BTF_MEMBER_ENC(NAME_TBD, 9, 0),
				BTF_END_RAW,
			},
		},
		.err = "type [2] STRUCT 's' member #0 refers to type 9, there "
		       "are 2 types",
	},
	{
		.name = "too_many_types",
		.gen = gen_too_many_types,
		.err = "more than 1048575 types",
	},
	{
		.name = "max_types",
		.gen = gen_max_types,
	},

	/* class 9: per-kind rules */
	{
		.name = "int_bits_129",
		.src = {
			BTF_STR_SEC("\0__int128"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 129, 16),
				BTF_END_RAW,
			},
		},
		.err = "type [1] INT '__int128': 129 bits at bit offset 0 do "
		       "not fit in 16 bytes",
	},
	{
		.name = "int_bits_past_size",
		.src = {
			BTF_STR_SEC("\0int"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 8, 32, 4),
				BTF_END_RAW,
			},
		},
		.err = "type [1] INT 'int': 32 bits at bit offset 8 do not fit "
		       "in 4 bytes",
	},
	{
		.name = "int_size_3",
		.src = {
			BTF_STR_SEC("\0int"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 24, 3),
				BTF_END_RAW,
			},
		},
		.err = "type [1] INT 'int': size 3 is not 1, 2, 4, 8 or 16",
	},
	{
		.name = "ptr_named",
		.src = {
			BTF_STR_SEC("\0int\0p"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_PTR, 0, 0), 1),
				BTF_END_RAW,
			},
		},
		.err = "type [2] PTR: must be unnamed, has 'p'",
	},
	{
		.name = "typedef_unnamed",
		.src = {
			BTF_STR_SEC("\0int"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_TYPEDEF_ENC(0, 1),
				BTF_END_RAW,
			},
		},
		.err = "type [2] TYPEDEF: name is missing",
	},
	{
		.name = "array_elem_void",
		.src = {
			BTF_STR_SEC("\0int"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_TYPE_ARRAY_ENC(0, 1, 4),
				BTF_END_RAW,
			},
		},
		.err = "type [2] ARRAY element refers to void (type 0)",
	},
	{
		.name = "array_index_void",
		.src = {
			BTF_STR_SEC("\0int"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_TYPE_ARRAY_ENC(1, 0, 4),
				BTF_END_RAW,
			},
		},
		.err = "type [2] ARRAY index refers to void (type 0)",
	},
	{
		.name = "array_index_not_int",
		.src = {
			BTF_STR_SEC("\0int"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_PTR_ENC(1),
				/* [3] */ BTF_TYPE_ARRAY_ENC(1, 2, 4),
				BTF_END_RAW,
			},
		},
		.err = "type [3] ARRAY: index type [2] is PTR, not INT",
	},
	{
		.name = "member_past_size",
		.src = {
			BTF_STR_SEC("\0int\0s\0a"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_STRUCT_ENC(NAME_TBD, 1, 4),
					BTF_MEMBER_ENC(NAME_TBD, 1, 64),
				BTF_END_RAW,
			},
		},
		.err = "type [2] STRUCT 's' member #0: bit offset 64 is past "
		       "the size (4 bytes)",
	},
	{
		/* starts within the struct, ends past it: found by resolve */
		.name = "member_exceeds_size",
		.src = {
			BTF_STR_SEC("\0int\0s\0a"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_STRUCT_ENC(NAME_TBD, 1, 4),
					BTF_MEMBER_ENC(NAME_TBD, 1, 32),
				BTF_END_RAW,
			},
		},
		.err = "type [2] STRUCT 's' member 'a': 4 bytes at byte 4 "
		       "exceed the size (4 bytes)",
	},
	{
		.name = "member_ptr_exceeds_size",
		.src = {
			BTF_STR_SEC("\0int\0s\0p"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_STRUCT_ENC(NAME_TBD, 1, 8),
					BTF_MEMBER_ENC(NAME_TBD, 3, 32),
				/* [3] */ BTF_PTR_ENC(1),
				BTF_END_RAW,
			},
		},
		.err = "type [2] STRUCT 's' member 'p': 8 bytes at byte 4 "
		       "exceed the size (8 bytes)",
	},
	{
		.name = "union_member_offset",
		.src = {
			BTF_STR_SEC("\0int\0u\0a\0b"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_UNION_ENC(NAME_TBD, 2, 8),
					BTF_MEMBER_ENC(NAME_TBD, 1, 0),
					BTF_MEMBER_ENC(NAME_TBD, 1, 32),
				BTF_END_RAW,
			},
		},
		.err = "type [2] UNION 'u' member #1: union member at bit "
		       "offset 32, expected 0",
	},
	{
		.name = "enum_size_3",
		.src = {
			BTF_STR_SEC("\0e\0A"),
			.types = {
				/* [1] */ BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_ENUM, 0, 1), 3),
					BTF_ENUM_ENC(NAME_TBD, 0),
				BTF_END_RAW,
			},
		},
		.err = "type [1] ENUM 'e': size 3 is not 1, 2, 4 or 8",
	},
	{
		.name = "func_not_proto",
		.src = {
			BTF_STR_SEC("\0int\0f"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_FUNC_ENC(NAME_TBD, 1),
				BTF_END_RAW,
			},
		},
		.err = "type [2] FUNC 'f': type [1] is INT, not FUNC_PROTO",
	},
	{
		.name = "proto_void_not_last",
		.src = {
			BTF_STR_SEC("\0int\0x"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_FUNC_PROTO_ENC(1, 2),
					BTF_FUNC_PROTO_ARG_ENC(0, 0),
					BTF_FUNC_PROTO_ARG_ENC(NAME_TBD, 1),
				BTF_END_RAW,
			},
		},
		.err = "type [2] FUNC_PROTO param #0: void parameter "
		       "(varargs) is only valid last and unnamed",
	},
	{
		.name = "var_linkage_3",
		.src = {
			BTF_STR_SEC("\0int\0v"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_VAR_ENC(NAME_TBD, 1, 3),
				BTF_END_RAW,
			},
		},
		.err = "type [2] VAR: linkage 3",
	},
	{
		.name = "datasec_overlap",
		.src = {
			BTF_STR_SEC("\0int\0a\0b\0.data"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_VAR_ENC(NAME_TBD, 1, BTF_VAR_GLOBAL_ALLOCATED),
				/* [3] */ BTF_VAR_ENC(NAME_TBD, 1, BTF_VAR_GLOBAL_ALLOCATED),
				/* [4] */ BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_DATASEC, 0, 2), 8),
					BTF_VAR_SECINFO_ENC(2, 0, 4),
					BTF_VAR_SECINFO_ENC(3, 2, 4),
				BTF_END_RAW,
			},
		},
		.err = "type [4] DATASEC '.data' entry #1: bytes [2, +4) "
		       "overlap the previous entry",
	},
	{
		.name = "datasec_order",
		.src = {
			BTF_STR_SEC("\0int\0a\0b\0.data"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_VAR_ENC(NAME_TBD, 1, BTF_VAR_GLOBAL_ALLOCATED),
				/* [3] */ BTF_VAR_ENC(NAME_TBD, 1, BTF_VAR_GLOBAL_ALLOCATED),
				/* [4] */ BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_DATASEC, 0, 2), 8),
					BTF_VAR_SECINFO_ENC(2, 4, 4),
					BTF_VAR_SECINFO_ENC(3, 0, 4),
				BTF_END_RAW,
			},
		},
		.err = "type [4] DATASEC '.data' entry #1: bytes [0, +4) "
		       "overlap the previous entry",
	},
	{
		.name = "datasec_size",
		.src = {
			BTF_STR_SEC("\0int\0a\0b\0.data"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_VAR_ENC(NAME_TBD, 1, BTF_VAR_GLOBAL_ALLOCATED),
				/* [3] */ BTF_VAR_ENC(NAME_TBD, 1, BTF_VAR_GLOBAL_ALLOCATED),
				/* [4] */ BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_DATASEC, 0, 2), 4),
					BTF_VAR_SECINFO_ENC(2, 0, 4),
					BTF_VAR_SECINFO_ENC(3, 4, 4),
				BTF_END_RAW,
			},
		},
		.err = "type [4] DATASEC '.data' entry #1: bytes [4, +4) "
		       "exceed the section (4 bytes)",
	},
	{
		.name = "float_size_3",
		.src = {
			BTF_STR_SEC("\0float"),
			.types = {
				/* [1] */ BTF_TYPE_FLOAT_ENC(NAME_TBD, 3),
				BTF_END_RAW,
			},
		},
		.err = "type [1] FLOAT: size 3 is not 2, 4, 8, 12 or 16",
	},
	{
		.name = "decl_tag_idx_neg2",
		.src = {
			BTF_STR_SEC("\0int\0s\0a\0tag"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_STRUCT_ENC(NAME_TBD, 1, 4),
					BTF_MEMBER_ENC(NAME_TBD, 1, 0),
				/* [3] */ BTF_DECL_TAG_ENC(NAME_TBD, 2, -2),
				BTF_END_RAW,
			},
		},
		.err = "type [3] DECL_TAG: component index -2 is below -1",
	},
	{
		.name = "decl_tag_idx_past",
		.src = {
			BTF_STR_SEC("\0int\0s\0a\0tag"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_STRUCT_ENC(NAME_TBD, 1, 4),
					BTF_MEMBER_ENC(NAME_TBD, 1, 0),
				/* [3] */ BTF_DECL_TAG_ENC(NAME_TBD, 2, 1),
				BTF_END_RAW,
			},
		},
		.err = "type [3] DECL_TAG: component 1 of type [2] STRUCT "
		       "which has 1",
	},

	/* class 10: loops and depth */
	{
		.name = "const_self",
		.src = {
			BTF_STR_SEC(""),
			.types = {
				/* [1] */ BTF_CONST_ENC(1),
				BTF_END_RAW,
			},
		},
		.err = "type [1] CONST: reference loop back to itself",
		.ret = -ELOOP,
	},
	{
		.name = "ptr_const_loop",
		.src = {
			BTF_STR_SEC(""),
			.types = {
				/* [1] */ BTF_PTR_ENC(2),
				/* [2] */ BTF_CONST_ENC(1),
				BTF_END_RAW,
			},
		},
		.err = "type [1] PTR: reference loop back to itself through "
		       "type [2]",
		.ret = -ELOOP,
	},
	{
		/* struct a { struct b b; }; struct b { struct a a; }; */
		.name = "struct_value_loop",
		.src = {
			BTF_STR_SEC("\0a\0b\0b\0a"),
			.types = {
				/* [1] */ BTF_STRUCT_ENC(NAME_TBD, 1, 4),	/* a */
					BTF_MEMBER_ENC(NAME_TBD, 2, 0),	/* b */
				/* [2] */ BTF_STRUCT_ENC(NAME_TBD, 1, 4),	/* b */
					BTF_MEMBER_ENC(NAME_TBD, 1, 0),	/* a */
				BTF_END_RAW,
			},
		},
		.err = "type [1] STRUCT: reference loop back to itself",
		.ret = -ELOOP,
	},
	{
		/* a struct holding an array of itself */
		.name = "struct_array_loop",
		.src = {
			BTF_STR_SEC("\0int\0a\0x"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_STRUCT_ENC(NAME_TBD, 1, 8),	/* a */
					BTF_MEMBER_ENC(NAME_TBD, 3, 0),	/* x */
				/* [3] */ BTF_TYPE_ARRAY_ENC(2, 1, 2),
				BTF_END_RAW,
			},
		},
		.err = "type [2] STRUCT: reference loop back to itself",
		.ret = -ELOOP,
	},
	{
		.name = "typedef_chain_32",
		.gen = gen_typedefs_32,
	},
	{
		.name = "typedef_chain_32_down",
		.gen = gen_typedefs_32_down,
	},
	{
		.name = "typedef_chain_33",
		.gen = gen_typedefs_33,
		.err = "type [34] TYPEDEF: chain of pointers and modifiers "
		       "deeper than 32",
		.ret = -ELOOP,
	},
	{
		.name = "typedef_chain_33_down",
		.gen = gen_typedefs_33_down,
		.err = "type [1] TYPEDEF: chain of pointers and modifiers "
		       "deeper than 32",
		.ret = -ELOOP,
	},
	{
		.name = "struct_nesting_32",
		.gen = gen_nested_32,
	},
	{
		.name = "struct_nesting_33",
		.gen = gen_nested_33,
		.err = "type [34]: reference chain deeper than 32 types",
		.ret = -ELOOP,
	},
	{
		/* struct list_head { struct list_head *next, *prev; }; */
		.name = "list_head",
		.src = {
			BTF_STR_SEC("\0list_head\0next\0prev"),
			.types = {
				/* [1] */ BTF_STRUCT_ENC(NAME_TBD, 2, 16),
					BTF_MEMBER_ENC(NAME_TBD, 2, 0),
					BTF_MEMBER_ENC(NAME_TBD, 2, 64),
				/* [2] */ BTF_PTR_ENC(1),
				BTF_END_RAW,
			},
		},
		.check = check_list_head,
	},

	/* class 11: split BTF, on the right base and on the wrong one */
	{
		.name = "split_ok",
		.split = true,
		.src = {
			BTF_STR_SEC("mod_s\0list\0cnt\0mod_init"),
			.types = {
				/* [7] */ BTF_STRUCT_ENC(NAME_TBD, 3, 32),	/* mod_s */
					BTF_MEMBER_ENC(NAME_TBD, 3, 0),	/* list */
					BTF_MEMBER_ENC(NAME_TBD, 1, 128),	/* cnt */
					BTF_MEMBER_ENC(BS_NEXT, 4, 192),	/* base's "next" */
				/* [8] */ BTF_PTR_ENC(7),
				/* [9] */ BTF_FUNC_PROTO_ENC(1, 1),
					BTF_FUNC_PROTO_ARG_ENC(BS_X, 8),
				/* [10] */ BTF_FUNC_ENC(NAME_TBD, 9),	/* mod_init */
				BTF_END_RAW,
			},
		},
		.check = check_split_ok,
	},
	{
		/* a member typed with what this base has as a FUNC */
		.name = "split_base_kind",
		.split = true,
		.src = {
			BTF_STR_SEC("mod_s\0f"),
			.types = {
				/* [7] */ BTF_STRUCT_ENC(NAME_TBD, 1, 8),
					BTF_MEMBER_ENC(NAME_TBD, 6, 0),
				BTF_END_RAW,
			},
		},
		.err = "type [7] STRUCT 'mod_s' member 'f' (#0): type [6] is "
		       "FUNC, not a data type (base mismatch",
	},
	{
		/* a member whose base type is bigger than this base has it */
		.name = "split_base_size",
		.split = true,
		.src = {
			BTF_STR_SEC("mod_s\0head"),
			.types = {
				/* [7] */ BTF_STRUCT_ENC(NAME_TBD, 1, 8),
					BTF_MEMBER_ENC(NAME_TBD, 3, 0),
				BTF_END_RAW,
			},
		},
		.err = "type [7] STRUCT 'mod_s' member 'head': 16 bytes at "
		       "byte 0 exceed the size (8 bytes) (base mismatch",
	},
	{
		/* a base string offset landing inside "list_head" */
		.name = "split_base_str",
		.split = true,
		.src = {
			BTF_STR_SEC("a"),
			.types = {
				/* [7] */ BTF_STRUCT_ENC(BS_LIST_HEAD + 2, 1, 4),
					BTF_MEMBER_ENC(NAME_TBD, 1, 0),
				BTF_END_RAW,
			},
		},
		.err = "type [7] STRUCT: name offset 16 is not at the start of "
		       "a string (base mismatch",
	},
	{
		/* the base's "long int" where an identifier is needed */
		.name = "split_base_name",
		.split = true,
		.src = {
			BTF_STR_SEC("a"),
			.types = {
				/* [7] */ BTF_STRUCT_ENC(BS_LONG, 1, 4),
					BTF_MEMBER_ENC(NAME_TBD, 1, 0),
				BTF_END_RAW,
			},
		},
		.err = "type [7] STRUCT: invalid name 'long int' (base "
		       "mismatch",
	},
	{
		.name = "split_id_range",
		.split = true,
		.src = {
			BTF_STR_SEC(""),
			.types = {
				/* [7] */ BTF_PTR_ENC(9),
				BTF_END_RAW,
			},
		},
		.err = "type [7] PTR refers to type 9, there are 7 types",
	},
	{
		.name = "split_func_base_proto",
		.split = true,
		.src = {
			BTF_STR_SEC("f"),
			.types = {
				/* [7] */ BTF_FUNC_ENC(NAME_TBD, 3),
				BTF_END_RAW,
			},
		},
		.err = "type [7] FUNC 'f': type [3] is STRUCT, not FUNC_PROTO "
		       "(base mismatch",
	},

	/* every kind, valid */
	{
		.name = "all_kinds",
		.src = {
			BTF_STR_SEC("\0int\0long int\0s\0a\0b\0c\0u\0i\0l\0e\0A"
				    "\0B\0e64\0C\0fwd_s\0s_t\0x\0f\0v\0.data"
				    "\0double\0tag\0user"),
			.types = {
				/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
				/* [2] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 64, 8),
				/* [3] */ BTF_PTR_ENC(1),
				/* [4] */ BTF_TYPE_ARRAY_ENC(1, 1, 3),
				/* [5] struct s { int a:3, b:5; int c; } */
				BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_STRUCT, 1, 3), 8),
					BTF_MEMBER_ENC(NAME_TBD, 1, BTF_MEMBER_OFFSET(3, 0)),
					BTF_MEMBER_ENC(NAME_TBD, 1, BTF_MEMBER_OFFSET(5, 3)),
					BTF_MEMBER_ENC(NAME_TBD, 1, BTF_MEMBER_OFFSET(0, 32)),
				/* [6] */ BTF_UNION_ENC(NAME_TBD, 2, 8),	/* u */
					BTF_MEMBER_ENC(NAME_TBD, 1, 0),	/* i */
					BTF_MEMBER_ENC(NAME_TBD, 2, 0),	/* l */
				/* [7] */ BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_ENUM, 0, 2), 4),
					BTF_ENUM_ENC(NAME_TBD, 0),		/* A */
					BTF_ENUM_ENC(NAME_TBD, 1),		/* B */
				/* [8] */ BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_ENUM64, 0, 1), 8),
					BTF_ENUM64_ENC(NAME_TBD, 1, 2),	/* C */
				/* [9] */ BTF_FWD_ENC(NAME_TBD, 0),	/* struct fwd_s */
				/* [10] */ BTF_TYPEDEF_ENC(NAME_TBD, 5),	/* s_t */
				/* [11] */ BTF_VOLATILE_ENC(1),
				/* [12] */ BTF_CONST_ENC(11),
				/* [13] */ BTF_RESTRICT_ENC(3),
				/* [14] int (const volatile int x, ...) */
				BTF_FUNC_PROTO_ENC(1, 2),
					BTF_FUNC_PROTO_ARG_ENC(NAME_TBD, 12),
					BTF_FUNC_PROTO_ARG_ENC(0, 0),
				/* [15] */ BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_FUNC, 0, BTF_FUNC_GLOBAL), 14),
				/* [16] */ BTF_VAR_ENC(NAME_TBD, 4, BTF_VAR_GLOBAL_ALLOCATED),
				/* [17] */ BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_DATASEC, 0, 1), 12),
					BTF_VAR_SECINFO_ENC(16, 0, 12),
				/* [18] */ BTF_TYPE_FLOAT_ENC(NAME_TBD, 8),	/* double */
				/* [19] */ BTF_DECL_TAG_ENC(NAME_TBD, 5, 0),	/* tag on s.a */
				/* [20] */ BTF_TYPE_TAG_ENC(NAME_TBD, 1),	/* user */
				/* [21] */ BTF_PTR_ENC(20),
				BTF_END_RAW,
			},
		},
		.check = check_all_kinds,
	},
};
/* clang-format on */

static int run_case(const struct raw_case *c)
{
	const struct btf_raw *base = c->split ? base_get() : NULL;
	struct btf_raw raw;
	struct diag d = {""};
	struct blob b = {0};
	int err, want = c->ret ? c->ret : -EINVAL;

	if (c->gen)
		c->gen(&b);
	else
		b.p = btf_src__build(&c->src, base ? BASE_STR_LEN : 0, &b.size);
	if (c->fix)
		c->fix(&b);
	err = btf_raw__parse(&raw, b.p, b.size, base, &d);
	if (!c->err) {
		CHECK(!err, "%s: err %d: %s", c->name, err, d.msg);
		if (!err && c->check)
			c->check(&raw);
		printf("%s: parsed, %u types\n", c->name, raw.type_cnt);
	} else {
		CHECK(err == want, "%s: err %d, expected %d (%s)", c->name, err,
		      want, d.msg);
		CHECK_MSG(d.msg, c->err);
		CHECK(!raw.type_offs && !raw.sizes && !raw.type_cnt,
		      "%s: state left on error", c->name);
		printf("%s: %s\n", c->name, d.msg);
	}
	btf_raw__release(&raw);
	free(b.p);
	return 0;
}

/* The base itself, and lookups through it. */
static int t_base(const char *dir)
{
	const struct btf_raw *base = base_get();
	static const struct {
		uint32_t off;
		const char *s;
	} strs[] = {
		{BS_INT, "int"},
		{BS_LONG, "long int"},
		{BS_LIST_HEAD, "list_head"},
		{BS_NEXT, "next"},
		{BS_PREV, "prev"},
		{BS_X, "x"},
		{BS_KFREE, "kfree"},
	};
	size_t i;

	(void)dir;
	CHECK(btf_raw__type_cnt(base) == BASE_TYPE_CNT, "type_cnt %u",
	      btf_raw__type_cnt(base));
	CHECK(base->str_len == BASE_STR_LEN, "str_len %u", base->str_len);
	CHECK(base->ptr_sz == 8, "ptr_sz %u", base->ptr_sz);
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		CHECK(!strcmp(btf_raw__str(base, strs[i].off), strs[i].s),
		      "string at %u: '%s', expected '%s'", strs[i].off,
		      btf_raw__str(base, strs[i].off), strs[i].s);
	CHECK(!btf_raw__str(base, BASE_STR_LEN), "string past the end");
	CHECK(!strcmp(btf_raw__str(base, btf_raw__type(base, 6)->name_off),
		      "kfree"),
	      "[6] name");
	CHECK(btf_raw__size(base, 3) == 16 && btf_raw__size(base, 4) == 8,
	      "list_head %u, pointer %u", btf_raw__size(base, 3),
	      btf_raw__size(base, 4));
	return 0;
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc != 3) {
		fprintf(stderr, "usage: %s CASE INPUT_DIR\n", argv[0]);
		return 2;
	}
	/* nothing here reads the generated inputs: no SKIP note applies */
	if (!strcmp(argv[1], "base")) {
		t_base(argv[2]);
		goto done;
	}
	for (i = 0; i < sizeof(raw_cases) / sizeof(raw_cases[0]); i++)
		if (!strcmp(raw_cases[i].name, argv[1]))
			break;
	if (i == sizeof(raw_cases) / sizeof(raw_cases[0])) {
		fprintf(stderr, "unknown case %s\n", argv[1]);
		return 2;
	}
	run_case(&raw_cases[i]);
done:
	if (unit_failures) {
		fprintf(stderr, "%s: FAIL (%d failed checks)\n", argv[1],
			unit_failures);
		return 1;
	}
	printf("%s: ok\n", argv[1]);
	return 0;
}
