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
 * Merges srcs[0..n) on base (string length base_str_len), runs
 * dedup_refine, parses its output on base and returns the dump; res keeps
 * the result and its id map.
 */
static char *refine_dump_on(const struct btf_raw *base, uint32_t base_str_len,
			    const struct btf_src *const *srcs, size_t n,
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
		mods[i].blob =
			btf_src__build(srcs[i], base_str_len, &mods[i].size);
		if (btf_raw__parse(&mods[i].raw, mods[i].blob, mods[i].size,
				   base, &d)) {
			fprintf(stderr, "test module does not parse: %s\n",
				d.msg);
			exit(1);
		}
		raws[i] = &mods[i].raw;
	}
	err = renumber_merge(base, raws, n, NULL, &mr, &d);
	if (err) {
		fprintf(stderr, "renumber_merge: %d %s\n", err, d.msg);
		exit(1);
	}
	in = (struct refine_input){
		.base = base,
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
	err = btf_raw__parse(out, res->raw, res->size, base, &d);
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

/* The same on the small base of btf_build.h. */
static char *refine_dump(const struct btf_src *const *srcs, size_t n,
			 struct dedup_result *res, struct btf_raw *out)
{
	return refine_dump_on(base_get(), BASE_STR_LEN, srcs, n, res, out);
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
	dedup_result_release(&res);
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
	dedup_result_release(&res);
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
	dedup_result_release(&res);
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
	dedup_result_release(&res);
	return 0;
}

/* clang-format off */
/* struct list_head as the base has it: next and prev point at itself */
static const struct btf_src mod_list_head = {
	BTF_STR_SEC("list_head\0next\0prev\0user\0h"),
	.types = {
		/* [7] struct list_head { next, prev } */
		BTF_STRUCT_ENC(NAME_TBD, 2, 16),
			BTF_MEMBER_ENC(NAME_TBD, 8, 0),
			BTF_MEMBER_ENC(NAME_TBD, 8, 64),
		/* [8] */ BTF_PTR_ENC(7),
		/* [9] struct user { struct list_head *h; } */
		BTF_STRUCT_ENC(NAME_TBD, 1, 8),
			BTF_MEMBER_ENC(NAME_TBD, 8, 0),
		BTF_END_RAW,
	},
};
/* clang-format on */

/*
 * A module struct equal to a base struct is the base's: the module's
 * list_head and its pointer (a cycle of their own) map to the base's [3]
 * and [4], and only user is left, pointing at the base's pointer.
 */
static int t_struct_equal_to_base(const char *dir)
{
	const struct btf_src *srcs[] = {&mod_list_head};
	/* merged [7] list_head [8] ptr [9] user */
	static const uint32_t want_map[] = {3, 4, 7};
	struct dedup_result res;
	struct btf_raw out;
	char *text;

	(void)dir;
	text = refine_dump(srcs, 1, &res, &out);
	check_text("refined dump", text,
		   "[7] STRUCT 'user' size=8 vlen=1\n"
		   "\t'h' type_id=4 bits_offset=0\n");
	CHECK(res.type_cnt == 1, "type_cnt %u, expected 1", res.type_cnt);
	check_id_map(&res, want_map, 3);
	free(text);
	btf_raw__release(&out);
	dedup_result_release(&res);
	return 0;
}

/*
 * A base that only declares struct phy, as vmlinux declares a struct a
 * module defines: struct hcd holds a pointer to it and a pointer to
 * itself (a cycle).
 */
#define B2_STR_LEN 17 /* "\0int\0phy\0hcd\0p\0n" */
/* clang-format off */
static const struct btf_src base_fwd_src = {
	BTF_STR_SEC("\0int\0phy\0hcd\0p\0n"),
	.types = {
		/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
		/* [2] struct phy; */ BTF_FWD_ENC(NAME_TBD, 0),
		/* [3] */ BTF_PTR_ENC(2),
		/* [4] struct hcd { struct phy *p; struct hcd *n; } */
		BTF_STRUCT_ENC(NAME_TBD, 2, 16),
			BTF_MEMBER_ENC(NAME_TBD, 3, 0),
			BTF_MEMBER_ENC(NAME_TBD, 5, 64),
		/* [5] */ BTF_PTR_ENC(4),
		/* [6] const struct phy */ BTF_CONST_ENC(2),
		/* [7] */ BTF_PTR_ENC(6),
		BTF_END_RAW,
	},
};

/* the module defines struct phy; its own hcd, and a user holding an
 * array of const struct phy and a pointer to one */
static const struct btf_src mod_phy = {
	BTF_STR_SEC("phy\0a\0hcd\0p\0n\0user\0arr\0c"),
	.types = {
		/* [8] struct phy { int a; } */
		BTF_STRUCT_ENC(NAME_TBD, 1, 4),
			BTF_MEMBER_ENC(NAME_TBD, 1, 0),
		/* [9] */ BTF_PTR_ENC(8),
		/* [10] struct hcd { struct phy *p; struct hcd *n; } */
		BTF_STRUCT_ENC(NAME_TBD, 2, 16),
			BTF_MEMBER_ENC(NAME_TBD, 9, 0),
			BTF_MEMBER_ENC(NAME_TBD, 11, 64),
		/* [11] */ BTF_PTR_ENC(10),
		/* [12] */ BTF_CONST_ENC(8),
		/* [13] const struct phy[2] */ BTF_TYPE_ARRAY_ENC(12, 1, 2),
		/* [14] */ BTF_PTR_ENC(12),
		/* [15] struct user { const struct phy arr[2]; ... *c; } */
		BTF_STRUCT_ENC(NAME_TBD, 2, 16),
			BTF_MEMBER_ENC(NAME_TBD, 13, 0),
			BTF_MEMBER_ENC(NAME_TBD, 14, 64),
		BTF_END_RAW,
	},
};
/* clang-format on */

static const struct btf_raw *base_fwd_get(void)
{
	static struct btf_raw raw;
	static uint8_t *blob;
	struct diag d = {""};
	size_t size;

	if (blob)
		return &raw;
	blob = btf_src__build(&base_fwd_src, 0, &size);
	if (btf_raw__parse(&raw, blob, size, NULL, &d)) {
		fprintf(stderr, "base_fwd does not parse: %s\n", d.msg);
		exit(1);
	}
	return &raw;
}

/*
 * The FWD <-> STRUCT rule and a cycle through base and split: the base's
 * PTR -> FWD phy ([3]) equals the module's PTR -> STRUCT phy ([9]), so the
 * module's hcd and its self pointer, a cycle, are the base's [4] and [5].
 * The base's const struct phy ([6], a CONST of a FWD) cannot replace the
 * module's ([12]) where an array needs its size, so that CONST stays; a
 * pointer to it is the base's [7] all the same. struct phy stays: the base
 * only declares it.
 */
static int t_fwd_struct_cycle_through_base(const char *dir)
{
	const struct btf_src *srcs[] = {&mod_phy};
	/* merged [8] phy [9] ptr [10] hcd [11] ptr [12] const [13] array
	 * [14] ptr [15] user */
	static const uint32_t want_map[] = {8, 3, 4, 5, 9, 10, 7, 11};
	const struct btf_array *arr;
	struct dedup_result res;
	struct btf_raw out;
	char *text;

	(void)dir;
	text = refine_dump_on(base_fwd_get(), B2_STR_LEN, srcs, 1, &res, &out);
	check_text("refined dump", text,
		   "[8] STRUCT 'phy' size=4 vlen=1\n"
		   "\t'a' type_id=1 bits_offset=0\n"
		   "[9] CONST '(anon)' type_id=8\n"
		   "[10] ARRAY '(anon)' type_id=0\n"
		   "[11] STRUCT 'user' size=16 vlen=2\n"
		   "\t'arr' type_id=10 bits_offset=0\n"
		   "\t'c' type_id=7 bits_offset=64\n");
	arr = (const void *)(btf_raw__type(&out, 10) + 1);
	CHECK(arr->type == 9, "array of [%u], expected [9]", arr->type);
	check_id_map(&res, want_map, 8);
	free(text);
	btf_raw__release(&out);
	dedup_result_release(&res);
	return 0;
}

/* clang-format off */
/* the module defines struct phy and holds a pointer to a const one only */
static const struct btf_src mod_phy_ptr = {
	BTF_STR_SEC("phy\0a\0user\0c"),
	.types = {
		/* [8] struct phy { int a; } */
		BTF_STRUCT_ENC(NAME_TBD, 1, 4),
			BTF_MEMBER_ENC(NAME_TBD, 1, 0),
		/* [9] */ BTF_CONST_ENC(8),
		/* [10] */ BTF_PTR_ENC(9),
		/* [11] struct user { const struct phy *c; } */
		BTF_STRUCT_ENC(NAME_TBD, 1, 8),
			BTF_MEMBER_ENC(NAME_TBD, 10, 0),
		BTF_END_RAW,
	},
};
/* clang-format on */

/*
 * The module's const struct phy ([9]) is in the class of the base's [6], a
 * CONST of a FWD; only a pointer refers to it, and that pointer is the
 * base's [7]. Nothing in the output needs a sized const struct phy, so the
 * module's CONST is not written (an unreferenced record before): it maps
 * to the base's [6].
 */
static int t_fwd_chain_behind_pointer_only(const char *dir)
{
	const struct btf_src *srcs[] = {&mod_phy_ptr};
	/* merged [8] phy [9] const [10] ptr [11] user */
	static const uint32_t want_map[] = {8, 6, 7, 9};
	struct dedup_result res;
	struct btf_raw out;
	char *text;

	(void)dir;
	text = refine_dump_on(base_fwd_get(), B2_STR_LEN, srcs, 1, &res, &out);
	check_text("refined dump", text,
		   "[8] STRUCT 'phy' size=4 vlen=1\n"
		   "\t'a' type_id=1 bits_offset=0\n"
		   "[9] STRUCT 'user' size=8 vlen=1\n"
		   "\t'c' type_id=7 bits_offset=0\n");
	check_id_map(&res, want_map, 4);
	free(text);
	btf_raw__release(&out);
	dedup_result_release(&res);
	return 0;
}

/* clang-format off */
/* struct obj with two layouts (modules A and B), a holder of a pointer to
 * it in A, and the same holder in C where obj is only declared; D declares
 * obj too, in a struct no one else has */
static const struct btf_src mod_obj_long = {
	BTF_STR_SEC("obj\0b\0other\0o"),
	.types = {
		/* [7] struct obj { long b; } */
		BTF_STRUCT_ENC(NAME_TBD, 1, 8),
			BTF_MEMBER_ENC(NAME_TBD, 2, 0),
		/* [8] */ BTF_PTR_ENC(7),
		/* [9] struct other { struct obj *o; } */
		BTF_STRUCT_ENC(NAME_TBD, 1, 8),
			BTF_MEMBER_ENC(NAME_TBD, 8, 0),
		BTF_END_RAW,
	},
};

static const struct btf_src mod_obj_int = {
	BTF_STR_SEC("obj\0a\0holder\0o"),
	.types = {
		/* [7] struct obj { int a; } */
		BTF_STRUCT_ENC(NAME_TBD, 1, 4),
			BTF_MEMBER_ENC(NAME_TBD, 1, 0),
		/* [8] */ BTF_PTR_ENC(7),
		/* [9] struct holder { struct obj *o; } */
		BTF_STRUCT_ENC(NAME_TBD, 1, 8),
			BTF_MEMBER_ENC(NAME_TBD, 8, 0),
		BTF_END_RAW,
	},
};

static const struct btf_src mod_obj_fwd = {
	BTF_STR_SEC("obj\0holder\0o"),
	.types = {
		/* [7] struct obj; */ BTF_FWD_ENC(NAME_TBD, 0),
		/* [8] */ BTF_PTR_ENC(7),
		/* [9] struct holder { struct obj *o; } */
		BTF_STRUCT_ENC(NAME_TBD, 1, 8),
			BTF_MEMBER_ENC(NAME_TBD, 8, 0),
		BTF_END_RAW,
	},
};

static const struct btf_src mod_obj_lone = {
	BTF_STR_SEC("obj\0lone\0o"),
	.types = {
		/* [7] struct obj; */ BTF_FWD_ENC(NAME_TBD, 0),
		/* [8] */ BTF_PTR_ENC(7),
		/* [9] struct lone { struct obj *o; } */
		BTF_STRUCT_ENC(NAME_TBD, 1, 8),
			BTF_MEMBER_ENC(NAME_TBD, 8, 0),
		BTF_END_RAW,
	},
};
/* clang-format on */

/*
 * A FWD of a name defined with two layouts stands for the one its context
 * holds: C's holder is A's, so C's FWD obj is A's struct obj (not B's,
 * the first of the name). D's FWD has no such context and stays a FWD.
 */
static int t_fwd_resolved_by_context(const char *dir)
{
	const struct btf_src *srcs[] = {&mod_obj_long, &mod_obj_int,
					&mod_obj_fwd, &mod_obj_lone};
	/* merged: B [7] obj [8] ptr [9] other; A [10] obj [11] ptr
	 * [12] holder; C [13] FWD [14] ptr [15] holder; D [16] FWD [17] ptr
	 * [18] lone */
	static const uint32_t want_map[] = {7,	8,  9,	10, 11, 12,
					    10, 11, 12, 13, 14, 15};
	struct dedup_result res;
	struct btf_raw out;
	char *text;

	(void)dir;
	text = refine_dump(srcs, 4, &res, &out);
	check_text("refined dump", text,
		   "[7] STRUCT 'obj' size=8 vlen=1\n"
		   "\t'b' type_id=2 bits_offset=0\n"
		   "[8] PTR '(anon)' type_id=7\n"
		   "[9] STRUCT 'other' size=8 vlen=1\n"
		   "\t'o' type_id=8 bits_offset=0\n"
		   "[10] STRUCT 'obj' size=4 vlen=1\n"
		   "\t'a' type_id=1 bits_offset=0\n"
		   "[11] PTR '(anon)' type_id=10\n"
		   "[12] STRUCT 'holder' size=8 vlen=1\n"
		   "\t'o' type_id=11 bits_offset=0\n"
		   "[13] FWD 'obj' type_id=0\n"
		   "[14] PTR '(anon)' type_id=13\n"
		   "[15] STRUCT 'lone' size=8 vlen=1\n"
		   "\t'o' type_id=14 bits_offset=0\n");
	check_id_map(&res, want_map, 12);
	free(text);
	btf_raw__release(&out);
	dedup_result_release(&res);
	return 0;
}

static const struct unit_case cases[] = {
	{"same_struct_two_modules", t_same_struct_two_modules},
	{"cycle_two_modules", t_cycle_two_modules},
	{"same_name_different_structs", t_same_name_different_structs},
	{"fwd_resolved_to_base", t_fwd_resolved_to_base},
	{"struct_equal_to_base", t_struct_equal_to_base},
	{"fwd_struct_cycle_through_base", t_fwd_struct_cycle_through_base},
	{"fwd_chain_behind_pointer_only", t_fwd_chain_behind_pointer_only},
	{"fwd_resolved_by_context", t_fwd_resolved_by_context},
};

int main(int argc, char **argv)
{
	return unit_main_in_code(argc, argv, cases,
				 sizeof(cases) / sizeof(cases[0]));
}
