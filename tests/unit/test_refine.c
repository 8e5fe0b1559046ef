// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * dedup_refine (dedup/refine.c) on BTF built in code: small modules on the
 * small base (btf_build.h) are merged by renumber_merge, deduplicated, and
 * the result, parsed as split BTF on the base, is compared as a text dump;
 * the map from merged ids to output ids is checked too.
 */
#include "btf_dump.h"
#include "dedup/dedup.h"
#include "dedup/refine.h"
#include "merge/renumber.h"

/*
 * Merges srcs[0..n) on the base, runs dedup_refine, parses its output on
 * the base and returns the dump; res keeps the result and its id map.
 */
static char *refine_dump(const struct btf_src *const *srcs, size_t n,
			 struct dedup_result *res, struct btf_raw *out)
{
	struct mod mods[4];
	const struct btf_raw *raws[4];
	struct renumber_result mr;
	struct refine_input in;
	struct diag d = {""};
	char *text;
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		mods[i].src = srcs[i];
		mod_parse(&mods[i]);
		raws[i] = &mods[i].raw;
	}
	err = renumber_merge(base_get(), raws, n, NULL, &mr, &d);
	if (err) {
		fprintf(stderr, "renumber_merge: %d %s\n", err, d.msg);
		exit(1);
	}
	in = (struct refine_input){
		.base = base_get(),
		.types = mr.types,
		.types_len = mr.types_len,
		.type_offs = mr.type_offs,
		.type_cnt = mr.type_cnt,
		.strs = mr.strs,
		.str_len = mr.str_len,
	};
	err = dedup_refine(&in, res, &d);
	if (err) {
		fprintf(stderr, "dedup_refine: %d %s\n", err, d.msg);
		exit(1);
	}
	err = btf_raw__parse(out, res->raw, res->size, base_get(), &d);
	if (err) {
		fprintf(stderr,
			"refined BTF is not valid split BTF on the "
			"base: %s\n",
			d.msg);
		exit(1);
	}
	text = dump(out);
	renumber_result__release(&mr);
	for (i = 0; i < n; i++)
		mod_release(&mods[i]);
	return text;
}

/* Checks res->id_map[0..n) against want. */
static void check_id_map(const struct dedup_result *res, const uint32_t *want,
			 size_t n)
{
	size_t i;

	CHECK(res->id_map, "no id map");
	for (i = 0; res->id_map && i < n; i++)
		CHECK(res->id_map[i] == want[i],
		      "merged type [%zu] -> [%u], expected [%u]", i + 7,
		      res->id_map[i], want[i]);
}

/* clang-format off */
/* struct obj { int a; long b; } and a user of struct obj *, in two orders */
static const struct btf_src mod_obj1 = {
	BTF_STR_SEC("obj\0a\0b\0use_1\0o"),
	.types = {
		/* [7] struct obj { int a; long b; } */
		BTF_STRUCT_ENC(NAME_TBD, 2, 16),
			BTF_MEMBER_ENC(NAME_TBD, 1, 0),
			BTF_MEMBER_ENC(NAME_TBD, 2, 64),
		/* [8] */ BTF_PTR_ENC(7),
		/* [9] struct use_1 { struct obj *o; } */
		BTF_STRUCT_ENC(NAME_TBD, 1, 8),
			BTF_MEMBER_ENC(NAME_TBD, 8, 0),
		BTF_END_RAW,
	},
};

static const struct btf_src mod_obj2 = {
	BTF_STR_SEC("obj\0a\0b\0use_2\0o"),
	.types = {
		/* [7] */ BTF_PTR_ENC(8),
		/* [8] struct obj { int a; long b; } */
		BTF_STRUCT_ENC(NAME_TBD, 2, 16),
			BTF_MEMBER_ENC(NAME_TBD, 1, 0),
			BTF_MEMBER_ENC(NAME_TBD, 2, 64),
		/* [9] struct use_2 { struct obj *o; } */
		BTF_STRUCT_ENC(NAME_TBD, 1, 8),
			BTF_MEMBER_ENC(NAME_TBD, 7, 0),
		BTF_END_RAW,
	},
};
/* clang-format on */

/*
 * Two modules define struct obj alike (merged as [7] and [11], their
 * pointers [8] and [10]): one of each is left, and use_2's member now
 * points at the first module's pointer.
 */
static int t_same_struct_two_modules(const char *dir)
{
	const struct btf_src *srcs[] = {&mod_obj1, &mod_obj2};
	/* merged [7] obj [8] ptr [9] use_1 [10] ptr [11] obj [12] use_2 */
	static const uint32_t want_map[] = {7, 8, 9, 8, 7, 10};
	struct dedup_result res;
	struct btf_raw out;
	char *text;

	(void)dir;
	text = refine_dump(srcs, 2, &res, &out);
	check_text("refined dump", text,
		   "[7] STRUCT 'obj' size=16 vlen=2\n"
		   "\t'a' type_id=1 bits_offset=0\n"
		   "\t'b' type_id=2 bits_offset=64\n"
		   "[8] PTR '(anon)' type_id=7\n"
		   "[9] STRUCT 'use_1' size=8 vlen=1\n"
		   "\t'o' type_id=8 bits_offset=0\n"
		   "[10] STRUCT 'use_2' size=8 vlen=1\n"
		   "\t'o' type_id=8 bits_offset=0\n");
	CHECK(res.type_cnt == 4, "type_cnt %u, expected 4", res.type_cnt);
	check_id_map(&res, want_map, 6);
	free(text);
	btf_raw__release(&out);
	dedup_result__release(&res);
	return 0;
}

/* clang-format off */
/* struct node { struct node *next; int v; }: a cycle through a pointer */
static const struct btf_src mod_node1 = {
	BTF_STR_SEC("node\0next\0v"),
	.types = {
		/* [7] struct node */
		BTF_STRUCT_ENC(NAME_TBD, 2, 16),
			BTF_MEMBER_ENC(NAME_TBD, 8, 0),
			BTF_MEMBER_ENC(NAME_TBD, 1, 64),
		/* [8] */ BTF_PTR_ENC(7),
		BTF_END_RAW,
	},
};

static const struct btf_src mod_node2 = {
	BTF_STR_SEC("node\0next\0v"),
	.types = {
		/* [7] */ BTF_PTR_ENC(8),
		/* [8] struct node */
		BTF_STRUCT_ENC(NAME_TBD, 2, 16),
			BTF_MEMBER_ENC(NAME_TBD, 7, 0),
			BTF_MEMBER_ENC(NAME_TBD, 1, 64),
		BTF_END_RAW,
	},
};
/* clang-format on */

/*
 * The same self-referencing struct in two modules (a cycle struct -> ptr
 * -> struct each): equal by bisimulation, one struct and one pointer left.
 */
static int t_cycle_two_modules(const char *dir)
{
	const struct btf_src *srcs[] = {&mod_node1, &mod_node2};
	/* merged [7] node [8] ptr [9] ptr [10] node */
	static const uint32_t want_map[] = {7, 8, 8, 7};
	struct dedup_result res;
	struct btf_raw out;
	char *text;

	(void)dir;
	text = refine_dump(srcs, 2, &res, &out);
	check_text("refined dump", text,
		   "[7] STRUCT 'node' size=16 vlen=2\n"
		   "\t'next' type_id=8 bits_offset=0\n"
		   "\t'v' type_id=1 bits_offset=64\n"
		   "[8] PTR '(anon)' type_id=7\n");
	check_id_map(&res, want_map, 4);
	free(text);
	btf_raw__release(&out);
	dedup_result__release(&res);
	return 0;
}

/* clang-format off */
/* struct conflict and a holder of a pointer to it: int x in one module,
 * long x in the other */
static const struct btf_src mod_conflict_int = {
	BTF_STR_SEC("conflict\0x\0holder\0c"),
	.types = {
		/* [7] struct conflict { int x; } ("x" is the base's) */
		BTF_STRUCT_ENC(NAME_TBD, 1, 4),
			BTF_MEMBER_ENC(NAME_TBD, 1, 0),
		/* [8] */ BTF_PTR_ENC(7),
		/* [9] struct holder { struct conflict *c; } */
		BTF_STRUCT_ENC(NAME_TBD, 1, 8),
			BTF_MEMBER_ENC(NAME_TBD, 8, 0),
		BTF_END_RAW,
	},
};

static const struct btf_src mod_conflict_long = {
	BTF_STR_SEC("conflict\0x\0holder\0c"),
	.types = {
		/* [7] struct conflict { long x; } */
		BTF_STRUCT_ENC(NAME_TBD, 1, 8),
			BTF_MEMBER_ENC(NAME_TBD, 2, 0),
		/* [8] */ BTF_PTR_ENC(7),
		/* [9] struct holder { struct conflict *c; } */
		BTF_STRUCT_ENC(NAME_TBD, 1, 8),
			BTF_MEMBER_ENC(NAME_TBD, 8, 0),
		BTF_END_RAW,
	},
};
/* clang-format on */

/*
 * Two different structs of one name both stay, and so do the holders
 * that look alike but point at them: equal local shape is not enough.
 */
static int t_same_name_different_structs(const char *dir)
{
	const struct btf_src *srcs[] = {&mod_conflict_int, &mod_conflict_long};
	static const uint32_t want_map[] = {7, 8, 9, 10, 11, 12};
	struct dedup_result res;
	struct btf_raw out;
	char *text;

	(void)dir;
	text = refine_dump(srcs, 2, &res, &out);
	check_text("refined dump", text,
		   "[7] STRUCT 'conflict' size=4 vlen=1\n"
		   "\t'x' type_id=1 bits_offset=0\n"
		   "[8] PTR '(anon)' type_id=7\n"
		   "[9] STRUCT 'holder' size=8 vlen=1\n"
		   "\t'c' type_id=8 bits_offset=0\n"
		   "[10] STRUCT 'conflict' size=8 vlen=1\n"
		   "\t'x' type_id=2 bits_offset=0\n"
		   "[11] PTR '(anon)' type_id=10\n"
		   "[12] STRUCT 'holder' size=8 vlen=1\n"
		   "\t'c' type_id=11 bits_offset=0\n");
	check_id_map(&res, want_map, 6);
	free(text);
	btf_raw__release(&out);
	dedup_result__release(&res);
	return 0;
}

/* clang-format off */
/* struct list_head declared, not defined: a pointer to it in a struct */
static const struct btf_src mod_fwd = {
	BTF_STR_SEC("list_head\0user\0h"),
	.types = {
		/* [7] struct list_head; */
		BTF_FWD_ENC(NAME_TBD, 0),
		/* [8] */ BTF_PTR_ENC(7),
		/* [9] struct user { struct list_head *h; } */
		BTF_STRUCT_ENC(NAME_TBD, 1, 8),
			BTF_MEMBER_ENC(NAME_TBD, 8, 0),
		BTF_END_RAW,
	},
};
/* clang-format on */

/*
 * A FWD of a name the base defines stands for the base's struct: the FWD
 * is gone and maps to the base's struct list_head ([3]); the module's
 * pointer to it is then the base's pointer [4], and only user is left.
 */
static int t_fwd_resolved_to_base(const char *dir)
{
	const struct btf_src *srcs[] = {&mod_fwd};
	/* merged [7] FWD [8] ptr [9] user */
	static const uint32_t want_map[] = {3, 4, 7};
	struct dedup_result res;
	struct btf_raw out;
	char *text;

	(void)dir;
	text = refine_dump(srcs, 1, &res, &out);
	check_text("refined dump", text,
		   "[7] STRUCT 'user' size=8 vlen=1\n"
		   "\t'h' type_id=4 bits_offset=0\n");
	check_id_map(&res, want_map, 3);
	free(text);
	btf_raw__release(&out);
	dedup_result__release(&res);
	return 0;
}

static const struct unit_case cases[] = {
	{"same_struct_two_modules", t_same_struct_two_modules},
	{"cycle_two_modules", t_cycle_two_modules},
	{"same_name_different_structs", t_same_name_different_structs},
	{"fwd_resolved_to_base", t_fwd_resolved_to_base},
};

int main(int argc, char **argv)
{
	return unit_main_in_code(argc, argv, cases,
				 sizeof(cases) / sizeof(cases[0]));
}
