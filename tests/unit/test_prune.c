// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * prune_run (dedup/prune.c) on split BTF built in code on the small base
 * (btf_build.h): which types stay, their new ids, the references and the
 * names rewritten, the engine's id map, a blob it refuses, and the order
 * it writes the kept types in (dedup/order.c).
 */
#include <errno.h>

#include "btf_dump.h"
#include "dedup/dedup.h"
#include "dedup/prune.h"

/* A dedup_result holding src built on the small base (a copy the result
 * owns), with id_map[0..map_len) when map is not NULL. */
static void result_of(const struct btf_src *src, const uint32_t *map,
		      size_t map_len, struct dedup_result *res)
{
	memset(res, 0, sizeof(*res));
	res->raw = btf_src__build(src, BASE_STR_LEN, &res->size);
	if (map) {
		res->id_map = malloc(map_len * sizeof(*map));
		if (!res->id_map)
			exit(1);
		memcpy(res->id_map, map, map_len * sizeof(*map));
	}
}

/* clang-format off */
/*
 * Every kind of reference, roots of every sort, and types nothing named
 * reaches. Names in the order NAME_TBD takes them.
 */
static const struct btf_src mod_mixed = {
	BTF_STR_SEC("gone\0keep\0in\0arr\0E1\0tag\0v\0.data..percpu"),
	.types = {
		/* [7] PTR -> [8]: nothing named reaches it, dropped */
		BTF_PTR_ENC(8),
		/* [8] struct { int gone; }: only [7] refers to it, dropped
		 * with its member's name */
		BTF_STRUCT_ENC(0, 1, 4),
			BTF_MEMBER_ENC(NAME_TBD, 1, 0),
		/* [9] struct keep { struct {...} in; int *arr[3]; } */
		BTF_STRUCT_ENC(NAME_TBD, 2, 32),
			BTF_MEMBER_ENC(NAME_TBD, 10, 0),
			BTF_MEMBER_ENC(NAME_TBD, 11, 64),
		/* [10] struct { long x; }: a member of keep */
		BTF_STRUCT_ENC(0, 1, 8),
			BTF_MEMBER_ENC(BS_X, 2, 0),
		/* [11] int *[3]: keep's member, its element [12] */
		BTF_TYPE_ARRAY_ENC(12, 1, 3),
		/* [12] int *: reached through the array's element */
		BTF_PTR_ENC(1),
		/* [13] enum { E1 = 1 }: anonymous, a root */
		BTF_TYPE_ENC(0, BTF_INFO_ENC(BTF_KIND_ENUM, 0, 1), 4),
			BTF_ENUM_ENC(NAME_TBD, 1),
		/* [14] struct { int x; }: the target of DECL_TAG [15] */
		BTF_STRUCT_ENC(0, 1, 4),
			BTF_MEMBER_ENC(BS_X, 1, 0),
		/* [15] DECL_TAG tag on [14] */
		BTF_DECL_TAG_ENC(NAME_TBD, 14, -1),
		/* [16] const int [2]: dropped, and [17] with it */
		BTF_CONST_ENC(17),
		/* [17] */ BTF_TYPE_ARRAY_ENC(1, 1, 2),
		/* [18] VAR v, of type [19] */
		BTF_VAR_ENC(NAME_TBD, 19, 0),
		/* [19] long *: reached through the VAR */
		BTF_PTR_ENC(2),
		/* [20] DATASEC .data..percpu { v } */
		BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_DATASEC, 0, 1), 8),
			BTF_VAR_SECINFO_ENC(18, 0, 8),
		/* [21] int (void): dropped */
		BTF_FUNC_PROTO_ENC(1, 0),
		BTF_END_RAW,
	},
};
/* clang-format on */

/*
 * Named types, the anonymous enum and the DECL_TAG are roots and keep what
 * they reach (through members, the array's element, the VAR, the DATASEC
 * entry, the tag's target); [7] [8] [16] [17] [21] go. The rest take ids
 * 7 to 16 in their order, references follow them, and "gone" leaves the
 * string section.
 */
static int t_drops_unreached_keeps_roots(const char *dir)
{
	struct dedup_result res;
	uint32_t dropped, bytes, before_len;
	const struct btf_type *t;
	const struct btf_array *a;
	struct prune_opts popts = {0};
	struct diag d = {""};
	struct btf_raw out;
	char *text;

	(void)dir;
	result_of(&mod_mixed, NULL, 0, &res);
	before_len = ((const struct btf_header *)res.raw)->type_len;
	CHECK(!prune_run(base_get(), &res, 0, &popts, &dropped, &bytes, &d),
	      "prune_run: %s", d.msg);
	CHECK(dropped == 5, "dropped %u, expected 5", dropped);
	/* PTR 12, struct of one member 24, CONST 12, ARRAY 24, proto 12 */
	CHECK(bytes == 84, "dropped bytes %u, expected 84", bytes);
	CHECK(((const struct btf_header *)res.raw)->type_len == before_len - 84,
	      "type section %u bytes, expected %u",
	      ((const struct btf_header *)res.raw)->type_len, before_len - 84);
	CHECK(res.type_cnt == 10, "type_cnt %u, expected 10", res.type_cnt);
	CHECK(!btf_raw__parse(&out, res.raw, res.size, base_get(), &d),
	      "pruned BTF is not valid split BTF on the base: %s", d.msg);
	text = dump(&out);
	check_text("pruned dump", text,
		   "[7] STRUCT 'keep' size=32 vlen=2\n"
		   "\t'in' type_id=8 bits_offset=0\n"
		   "\t'arr' type_id=9 bits_offset=64\n"
		   "[8] STRUCT '(anon)' size=8 vlen=1\n"
		   "\t'x' type_id=2 bits_offset=0\n"
		   "[9] ARRAY '(anon)' type_id=0\n"
		   "[10] PTR '(anon)' type_id=1\n"
		   "[11] ENUM '(anon)' type_id=4\n"
		   "[12] STRUCT '(anon)' size=4 vlen=1\n"
		   "\t'x' type_id=1 bits_offset=0\n"
		   "[13] DECL_TAG 'tag' type_id=12 component_idx=-1\n"
		   "[14] VAR 'v' type_id=15 linkage=0\n"
		   "[15] PTR '(anon)' type_id=2\n"
		   "[16] DATASEC '.data..percpu' size=8 vlen=1\n"
		   "\ttype_id=14 offset=0 size=8\n");
	t = btf_raw__type(&out, 9);
	a = (const struct btf_array *)(t + 1);
	CHECK(a->type == 10 && a->index_type == 1 && a->nelems == 3,
	      "array [9]: elem %u index %u nelems %u, expected 10 1 3", a->type,
	      a->index_type, a->nelems);
	t = btf_raw__type(&out, 11);
	CHECK(!strcmp(btf_raw__str(
			      &out,
			      ((const struct btf_enum *)(t + 1))->name_off),
		      "E1"),
	      "enum [11] lost its enumerator");
	/* first-use order, without the dropped member's name */
	CHECK(out.str_len == sizeof("keep\0in\0arr\0E1\0tag\0v\0.data..percpu"),
	      "string section %u bytes, expected %zu", out.str_len,
	      sizeof("keep\0in\0arr\0E1\0tag\0v\0.data..percpu"));
	CHECK(!memcmp(out.strs, "keep\0in\0arr\0E1\0tag\0v\0.data..percpu",
		      out.str_len),
	      "string section not in first-use order");
	free(text);
	btf_raw__release(&out);
	dedup_result_release(&res);
	return 0;
}

/*
 * The engine's map (input type -> output id) follows: a dropped type maps
 * to 0, a kept one to its new id, a base id stays.
 */
static int t_id_map_follows(const char *dir)
{
	static const uint32_t map[] = {7,  8,  9,  10, 11, 12, 13, 14,
				       15, 16, 17, 18, 19, 20, 21, 3};
	static const uint32_t want[] = {0,  0, 7, 8,  9,  10, 11, 12,
					13, 0, 0, 14, 15, 16, 0,  3};
	struct dedup_result res;
	uint32_t dropped, bytes, i;
	struct prune_opts popts = {0};
	struct diag d = {""};

	(void)dir;
	result_of(&mod_mixed, map, 16, &res);
	CHECK(!prune_run(base_get(), &res, 16, &popts, &dropped, &bytes, &d),
	      "prune_run: %s", d.msg);
	for (i = 0; i < 16; i++)
		CHECK(res.id_map[i] == want[i], "map[%u] = %u, expected %u", i,
		      res.id_map[i], want[i]);
	dedup_result_release(&res);
	return 0;
}

/* clang-format off */
/* struct s { struct s *next; }: everything reached */
static const struct btf_src mod_all_reached = {
	BTF_STR_SEC("s"),
	.types = {
		/* [7] struct s */
		BTF_STRUCT_ENC(NAME_TBD, 1, 8),
			BTF_MEMBER_ENC(BS_NEXT, 8, 0),
		/* [8] */ BTF_PTR_ENC(7),
		BTF_END_RAW,
	},
};
/* clang-format on */

/* Nothing to drop: the engine's blob is left as it is, not rewritten. */
static int t_nothing_dropped_untouched(const char *dir)
{
	static const uint32_t map[] = {7, 8};
	struct dedup_result res;
	uint32_t dropped = 1, bytes = 1;
	struct prune_opts popts = {0};
	struct diag d = {""};
	void *raw;
	size_t size;

	(void)dir;
	result_of(&mod_all_reached, map, 2, &res);
	res.type_cnt = 2;
	raw = res.raw;
	size = res.size;
	CHECK(!prune_run(base_get(), &res, 2, &popts, &dropped, &bytes, &d),
	      "prune_run: %s", d.msg);
	CHECK(dropped == 0 && bytes == 0, "dropped %u types, %u bytes", dropped,
	      bytes);
	CHECK(res.raw == raw && res.size == size && res.type_cnt == 2,
	      "the blob was rewritten");
	CHECK(res.id_map[0] == 7 && res.id_map[1] == 8, "map changed");
	dedup_result_release(&res);
	return 0;
}

/* clang-format off */
static const struct btf_src mod_bad_ref = {
	BTF_STR_SEC("s"),
	.types = {
		/* [7] struct s { struct s *next; } */
		BTF_STRUCT_ENC(NAME_TBD, 1, 8),
			BTF_MEMBER_ENC(BS_NEXT, 8, 0),
		/* [8] PTR to a type past the last */
		BTF_PTR_ENC(99),
		BTF_END_RAW,
	},
};
/* clang-format on */

/* A reference past the last type: refused, naming both, res untouched,
 * with or without keep_unreachable. */
static int t_bad_reference_refused(const char *dir)
{
	struct dedup_result res;
	uint32_t dropped, bytes;
	struct prune_opts popts = {0};
	struct diag d = {""};
	void *raw;

	(void)dir;
	result_of(&mod_bad_ref, NULL, 0, &res);
	raw = res.raw;
	CHECK(prune_run(base_get(), &res, 0, &popts, &dropped, &bytes, &d) ==
		      -EINVAL,
	      "a reference to [99] accepted");
	CHECK_MSG(d.msg, "prune: type [8] refers to type 99, past the last "
			 "type 8");
	CHECK(res.raw == raw, "res changed on failure");
	/* --keep-unreachable drops nothing but checks the references all the
	 * same before the types are ordered */
	popts.keep_unreachable = true;
	d.msg[0] = 0;
	CHECK(prune_run(base_get(), &res, 0, &popts, &dropped, &bytes, &d) ==
		      -EINVAL,
	      "a reference to [99] accepted with keep_unreachable");
	CHECK_MSG(d.msg, "prune: type [8] refers to type 99, past the last "
			 "type 8");
	CHECK(res.raw == raw, "res changed on failure");
	dedup_result_release(&res);
	return 0;
}

/*
 * order_split (dedup/order.c) through prune_run: two engine outputs that
 * hold the same types in other orders come out byte for byte the same, in
 * the order stated; a module's types stay in its segment; the engine's id
 * map follows the moves; without the module starts the engine's order
 * stays.
 */
/* clang-format off */
/*
 * Module 0 met first: struct zeta { struct { long x; } in; }, struct
 * alpha { int *p; }; module 1: struct aa { struct zeta *z; } and a copy of
 * zeta (the engine merged it into module 0's). Two engines' orders of the
 * same types (names in the order NAME_TBD takes them).
 */
static const struct btf_src order_x = {
	BTF_STR_SEC("zeta\0in\0alpha\0p\0aa\0z"),
	.types = {
		/* [7] */ BTF_STRUCT_ENC(NAME_TBD, 1, 8),	/* zeta */
			BTF_MEMBER_ENC(NAME_TBD, 8, 0),
		/* [8] */ BTF_STRUCT_ENC(0, 1, 8),
			BTF_MEMBER_ENC(BS_X, 2, 0),
		/* [9] */ BTF_STRUCT_ENC(NAME_TBD, 1, 8),	/* alpha */
			BTF_MEMBER_ENC(NAME_TBD, 10, 0),
		/* [10] */ BTF_PTR_ENC(1),
		/* [11] */ BTF_STRUCT_ENC(NAME_TBD, 1, 8),	/* aa */
			BTF_MEMBER_ENC(NAME_TBD, 12, 0),
		/* [12] */ BTF_PTR_ENC(7),
		BTF_END_RAW,
	},
};

static const struct btf_src order_y = {
	BTF_STR_SEC("alpha\0p\0zeta\0in\0aa\0z"),
	.types = {
		/* [7] */ BTF_STRUCT_ENC(NAME_TBD, 1, 8),	/* alpha */
			BTF_MEMBER_ENC(NAME_TBD, 8, 0),
		/* [8] */ BTF_PTR_ENC(1),
		/* [9] */ BTF_STRUCT_ENC(0, 1, 8),
			BTF_MEMBER_ENC(BS_X, 2, 0),
		/* [10] */ BTF_STRUCT_ENC(NAME_TBD, 1, 8),	/* zeta */
			BTF_MEMBER_ENC(NAME_TBD, 9, 0),
		/* [11] */ BTF_PTR_ENC(10),
		/* [12] */ BTF_STRUCT_ENC(NAME_TBD, 1, 8),	/* aa */
			BTF_MEMBER_ENC(NAME_TBD, 11, 0),
		BTF_END_RAW,
	},
};
/* clang-format on */

/* Input split index -> engine output id; module 0's inputs are 0..3,
 * module 1's 4..6 (its copy of zeta last). */
static const uint32_t map_x[] = {7, 8, 9, 10, 11, 12, 7};
static const uint32_t map_y[] = {10, 9, 7, 8, 12, 11, 10};
static const uint32_t mod_first[] = {BASE_TYPE_CNT, BASE_TYPE_CNT + 4};

/* In each module's segment, named types by name, each followed by what
 * it reaches there and nothing placed yet: alpha, its int *, zeta, its
 * member's struct; then module 1's aa, though "aa" sorts first, and its
 * pointer. */
static const char order_want[] = "[7] STRUCT 'alpha' size=8 vlen=1\n"
				 "\t'p' type_id=8 bits_offset=0\n"
				 "[8] PTR '(anon)' type_id=1\n"
				 "[9] STRUCT 'zeta' size=8 vlen=1\n"
				 "\t'in' type_id=10 bits_offset=0\n"
				 "[10] STRUCT '(anon)' size=8 vlen=1\n"
				 "\t'x' type_id=2 bits_offset=0\n"
				 "[11] STRUCT 'aa' size=8 vlen=1\n"
				 "\t'z' type_id=12 bits_offset=0\n"
				 "[12] PTR '(anon)' type_id=9\n";

/* Runs prune_run on src with the module starts; the result's dump. */
static char *ordered(const struct btf_src *src, const uint32_t *map,
		     uint32_t jobs, struct dedup_result *res)
{
	struct prune_opts popts = {
		.mod_first = mod_first,
		.mod_cnt = 2,
		.jobs = jobs,
	};
	uint32_t dropped = 1, bytes = 1;
	struct diag d = {""};
	struct btf_raw out;
	char *text;

	result_of(src, map, 7, res);
	res->type_cnt = 6;
	if (prune_run(base_get(), res, 7, &popts, &dropped, &bytes, &d)) {
		fprintf(stderr, "prune_run: %s\n", d.msg);
		return NULL;
	}
	if (dropped || bytes || res->type_cnt != 6) {
		fprintf(stderr, "dropped %u types, %u bytes, %u left\n",
			dropped, bytes, res->type_cnt);
		return NULL;
	}
	if (btf_raw__parse(&out, res->raw, res->size, base_get(), &d)) {
		fprintf(stderr, "ordered BTF invalid: %s\n", d.msg);
		return NULL;
	}
	text = dump(&out);
	btf_raw__release(&out);
	return text;
}

/* Both engine orders give the stated order, and the same bytes. */
static int t_order_same_types_same_bytes(const char *dir)
{
	struct dedup_result rx, ry;
	char *tx, *ty;

	(void)dir;
	tx = ordered(&order_x, map_x, 1, &rx);
	ty = ordered(&order_y, map_y, 1, &ry);
	CHECK(tx && ty, "prune_run failed");
	check_text("order of x", tx, order_want);
	check_text("order of y", ty, order_want);
	CHECK(rx.size == ry.size && !memcmp(rx.raw, ry.raw, rx.size),
	      "the two orders give different bytes (%zu, %zu)", rx.size,
	      ry.size);
	/* first-use order of the strings follows the new order */
	CHECK(!memcmp((const char *)rx.raw + BTF_RAW_HDR_LEN +
			      ((const struct btf_header *)rx.raw)->str_off,
		      "alpha\0p\0zeta\0in\0aa\0z",
		      sizeof("alpha\0p\0zeta\0in\0aa\0z")),
	      "string section not in first-use order of the new order");
	free(tx);
	free(ty);
	dedup_result_release(&rx);
	dedup_result_release(&ry);
	return 0;
}

/* The engine's map follows the moves: every input type to its type's new
 * id, module 1's copy of zeta to module 0's zeta. */
static int t_order_id_map_follows(const char *dir)
{
	static const uint32_t want[] = {9, 10, 7, 8, 11, 12, 9};
	struct dedup_result res;
	char *text;
	uint32_t i;

	(void)dir;
	text = ordered(&order_x, map_x, 1, &res);
	CHECK(text, "prune_run failed");
	for (i = 0; i < 7; i++)
		CHECK(res.id_map[i] == want[i], "map[%u] = %u, expected %u", i,
		      res.id_map[i], want[i]);
	free(text);
	dedup_result_release(&res);
	return 0;
}

/* Without the module starts the engine's order stays: nothing to drop,
 * so the engine's bytes are kept as they are. */
static int t_order_no_modules_engine_order(const char *dir)
{
	struct prune_opts popts = {0};
	uint32_t dropped = 1, bytes = 1;
	struct dedup_result res;
	struct diag d = {""};
	void *raw;

	(void)dir;
	result_of(&order_x, map_x, 7, &res);
	res.type_cnt = 6;
	raw = res.raw;
	CHECK(!prune_run(base_get(), &res, 7, &popts, &dropped, &bytes, &d),
	      "prune_run: %s", d.msg);
	CHECK(res.raw == raw && !dropped, "the blob was rewritten");
	CHECK(res.id_map[0] == 7 && res.id_map[2] == 9, "map changed");
	dedup_result_release(&res);
	return 0;
}

static const struct unit_case cases[] = {
	{"drops_unreached_keeps_roots", t_drops_unreached_keeps_roots},
	{"id_map_follows", t_id_map_follows},
	{"nothing_dropped_untouched", t_nothing_dropped_untouched},
	{"bad_reference_refused", t_bad_reference_refused},
	{"order_same_types_same_bytes", t_order_same_types_same_bytes},
	{"order_id_map_follows", t_order_id_map_follows},
	{"order_no_modules_engine_order", t_order_no_modules_engine_order},
};

int main(int argc, char **argv)
{
	return unit_main_in_code(argc, argv, cases,
				 sizeof(cases) / sizeof(cases[0]));
}
