// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * btf_subset__write (merge/subset.c) on a self-contained blob built in
 * code: the small base's types (btf_build.h, ids 1-6), then the types of
 * two modules as a merge leaves them. What is cut out is parsed again and
 * compared as a text dump.
 */
#include "btf_dump.h"
#include "merge/subset.h"

/* clang-format off */
static const struct btf_src blob_src = {
	BTF_STR_SEC("\0int\0long int\0list_head\0next\0prev\0x\0kfree"
		    "\0obj\0a\0o\0a_use\0b_priv\0h\0o\0p\0b_use\0unused\0y"),
	.types = {
		/* base: as base_src */
		/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
		/* [2] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 64, 8),
		/* [3] */ BTF_STRUCT_ENC(NAME_TBD, 2, 16),	/* list_head */
			BTF_MEMBER_ENC(NAME_TBD, 4, 0),
			BTF_MEMBER_ENC(NAME_TBD, 4, 64),
		/* [4] */ BTF_PTR_ENC(3),
		/* [5] */ BTF_FUNC_PROTO_ENC(1, 1),
			BTF_FUNC_PROTO_ARG_ENC(NAME_TBD, 1),
		/* [6] */ BTF_FUNC_ENC(NAME_TBD, 5),		/* kfree */
		/* module a */
		/* [7] struct obj { int a; } */
		BTF_STRUCT_ENC(NAME_TBD, 1, 4),
			BTF_MEMBER_ENC(NAME_TBD, 1, 0),
		/* [8] */ BTF_PTR_ENC(7),
		/* [9] int (struct obj *o) */
		BTF_FUNC_PROTO_ENC(1, 1),
			BTF_FUNC_PROTO_ARG_ENC(NAME_TBD, 8),
		/* [10] */ BTF_FUNC_ENC(NAME_TBD, 9),	/* a_use */
		/* module b: uses module a's struct obj */
		/* [11] struct b_priv { struct list_head h; struct obj *o; } */
		BTF_STRUCT_ENC(NAME_TBD, 2, 24),
			BTF_MEMBER_ENC(NAME_TBD, 3, 0),
			BTF_MEMBER_ENC(NAME_TBD, 8, 128),
		/* [12] */ BTF_PTR_ENC(11),
		/* [13] int (struct b_priv *p) */
		BTF_FUNC_PROTO_ENC(1, 1),
			BTF_FUNC_PROTO_ARG_ENC(NAME_TBD, 12),
		/* [14] */ BTF_FUNC_ENC(NAME_TBD, 13),	/* b_use */
		/* [15] struct unused { long y; }: nobody's */
		BTF_STRUCT_ENC(NAME_TBD, 1, 8),
			BTF_MEMBER_ENC(NAME_TBD, 2, 0),
		BTF_END_RAW,
	},
};
/* clang-format on */

#define BASE_CNT 6

/*
 * Cuts ids[0..n) out of the blob, as standalone or split BTF, parses the
 * result (split: on the blob's base part) and returns its dump; *cnt the
 * number of types written above the base.
 */
static char *subset_dump(const uint32_t *ids, size_t n, bool split,
			 uint32_t *cnt)
{
	struct btf_raw raw, base, out;
	uint8_t *blob;
	void *bout = NULL, *sout = NULL;
	size_t bsize, ssize;
	uint32_t bstr;
	struct diag d = {""};
	char *text;
	int err;

	blob = src_parse(&blob_src, NULL, &raw);
	bstr = btf_subset__base_str_len(&raw, BASE_CNT);
	CHECK(bstr == BASE_STR_LEN, "base string length %u, expected %u", bstr,
	      BASE_STR_LEN);
	err = btf_subset__write(&raw, BASE_CNT, bstr, ids, n, split, &sout,
				&ssize, cnt, &d);
	if (err) {
		fprintf(stderr, "btf_subset__write: %d %s\n", err, d.msg);
		exit(1);
	}
	if (split) {
		err = btf_subset__base(&raw, BASE_CNT, bstr, &bout, &bsize, &d);
		if (err || btf_raw__parse(&base, bout, bsize, NULL, &d)) {
			fprintf(stderr, "base part: %s\n", d.msg);
			exit(1);
		}
		CHECK(base.type_cnt == BASE_CNT, "base part: %u types",
		      base.type_cnt);
		text = parse_dump(sout, ssize, &base, &out, "split subset");
		CHECK(out.start_str_off == BASE_STR_LEN,
		      "split strings start at %u", out.start_str_off);
	} else {
		text = parse_dump(sout, ssize, NULL, &out, "subset");
	}
	btf_raw__release(&out);
	if (split) {
		btf_raw__release(&base);
		free(bout);
	}
	free(sout);
	btf_raw__release(&raw);
	free(blob);
	return text;
}

/* The base part of a standalone subset: the blob's first six types. */
static const char base_dump[] = "[1] INT 'int' size=4\n"
				"[2] INT 'long int' size=8\n"
				"[3] STRUCT 'list_head' size=16 vlen=2\n"
				"\t'next' type_id=4 bits_offset=0\n"
				"\t'prev' type_id=4 bits_offset=64\n"
				"[4] PTR '(anon)' type_id=3\n"
				"[5] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1\n"
				"\t'x' type_id=1\n"
				"[6] FUNC 'kfree' type_id=5 linkage=0\n";

/*
 * Module a's function: it, its prototype, the pointer and the struct it
 * reaches; nothing of module b, nothing unused; the base unchanged.
 */
static int t_module_and_what_it_reaches(const char *dir)
{
	const uint32_t ids[] = {10};
	char want[1024];
	uint32_t cnt = 0;
	char *text;

	(void)dir;
	text = subset_dump(ids, 1, false, &cnt);
	snprintf(want, sizeof(want), "%s%s", base_dump,
		 "[7] STRUCT 'obj' size=4 vlen=1\n"
		 "\t'a' type_id=1 bits_offset=0\n"
		 "[8] PTR '(anon)' type_id=7\n"
		 "[9] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1\n"
		 "\t'o' type_id=8\n"
		 "[10] FUNC 'a_use' type_id=9 linkage=0\n");
	check_text("subset", text, want);
	CHECK(cnt == 4, "%u types written, expected 4", cnt);
	free(text);
	return 0;
}

/*
 * Module b's types, asked in any order and twice: with module a's struct
 * obj and its pointer, which they reach, renumbered in id order from 7
 * (11 -> 9, 12 -> 10, 13 -> 11, 14 -> 12), every reference rewritten,
 * base references (list_head 3, int 1) kept.
 */
static int t_ids_rewritten(const char *dir)
{
	const uint32_t ids[] = {14, 11, 14, 12};
	char want[1024];
	uint32_t cnt = 0;
	char *text;

	(void)dir;
	text = subset_dump(ids, 4, false, &cnt);
	snprintf(want, sizeof(want), "%s%s", base_dump,
		 "[7] STRUCT 'obj' size=4 vlen=1\n"
		 "\t'a' type_id=1 bits_offset=0\n"
		 "[8] PTR '(anon)' type_id=7\n"
		 "[9] STRUCT 'b_priv' size=24 vlen=2\n"
		 "\t'h' type_id=3 bits_offset=0\n"
		 "\t'o' type_id=8 bits_offset=128\n"
		 "[10] PTR '(anon)' type_id=9\n"
		 "[11] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1\n"
		 "\t'p' type_id=10\n"
		 "[12] FUNC 'b_use' type_id=11 linkage=0\n");
	check_text("subset", text, want);
	CHECK(cnt == 6, "%u types written, expected 6", cnt);
	free(text);
	return 0;
}

/*
 * As split BTF: only the types above the base, valid on the base part
 * (btf_subset__base), strings counted from the base's string length.
 */
static int t_split_on_base_part(const char *dir)
{
	const uint32_t ids[] = {15, 10};
	uint32_t cnt = 0;
	char *text;

	(void)dir;
	text = subset_dump(ids, 2, true, &cnt);
	check_text("split subset", text,
		   "[7] STRUCT 'obj' size=4 vlen=1\n"
		   "\t'a' type_id=1 bits_offset=0\n"
		   "[8] PTR '(anon)' type_id=7\n"
		   "[9] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1\n"
		   "\t'o' type_id=8\n"
		   "[10] FUNC 'a_use' type_id=9 linkage=0\n"
		   "[11] STRUCT 'unused' size=8 vlen=1\n"
		   "\t'y' type_id=2 bits_offset=0\n");
	CHECK(cnt == 5, "%u types written, expected 5", cnt);
	free(text);
	return 0;
}

static const struct unit_case cases[] = {
	{"module_and_what_it_reaches", t_module_and_what_it_reaches},
	{"ids_rewritten", t_ids_rewritten},
	{"split_on_base_part", t_split_on_base_part},
};

int main(int argc, char **argv)
{
	return unit_main_in_code(argc, argv, cases,
				 sizeof(cases) / sizeof(cases[0]));
}
