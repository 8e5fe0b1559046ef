// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * order_split (dedup/order.c) through prune_run, on split BTF built in code
 * on the small base (btf_build.h): two engine outputs that hold the same
 * types in other orders come out byte for byte the same, in the order
 * stated; a module's types stay in its segment; the engine's id map
 * follows the moves; without the module starts the engine's order stays.
 */
#include <errno.h>

#include "btf_dump.h"
#include "dedup/dedup.h"
#include "dedup/prune.h"

/* A dedup_result holding src built on the small base (a copy the result
 * owns), with id_map[0..map_len). */
static void result_of(const struct btf_src *src, const uint32_t *map,
		      size_t map_len, struct dedup_result *res)
{
	memset(res, 0, sizeof(*res));
	res->raw = btf_src__build(src, BASE_STR_LEN, &res->size);
	res->id_map = malloc(map_len * sizeof(*map));
	if (!res->raw || !res->id_map)
		exit(1);
	memcpy(res->id_map, map, map_len * sizeof(*map));
}

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
static int t_same_types_same_bytes(const char *dir)
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
static int t_id_map_follows(const char *dir)
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
static int t_no_modules_engine_order(const char *dir)
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
	{"same_types_same_bytes", t_same_types_same_bytes},
	{"id_map_follows", t_id_map_follows},
	{"no_modules_engine_order", t_no_modules_engine_order},
};

int main(int argc, char **argv)
{
	return unit_main_in_code(argc, argv, cases,
				 sizeof(cases) / sizeof(cases[0]));
}
