// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * strset, renumber_merge and collisions_find on BTF built in code
 * (btf_build.h): two small modules on the small base are merged, the result
 * is validated as split BTF on the base and compared, as a text dump in
 * bpftool's raw format, with the expected text.
 */
#include <errno.h>

#include "btf_dump.h"
#include "dedup/collisions.h"
#include "dedup/dedup.h"
#include "dedup/libbpf.h"
#include "formats/strset.h"
#include "merge/renumber.h"
#include "unit.h"

/* clang-format off */
static const struct btf_src mod_a = {
	BTF_STR_SEC("shared\0a\0b\0priv_a\0s\0next\0conflict\0x\0p\0a_init"),
	.types = {
		/* [7] struct shared { int a, b; } */
		BTF_STRUCT_ENC(NAME_TBD, 2, 8),
			BTF_MEMBER_ENC(NAME_TBD, 1, 0),
			BTF_MEMBER_ENC(NAME_TBD, 1, 32),
		/* [8] */ BTF_PTR_ENC(7),
		/* [9] struct priv_a { struct shared *s; struct list_head *next; } */
		BTF_STRUCT_ENC(NAME_TBD, 2, 16),
			BTF_MEMBER_ENC(NAME_TBD, 8, 0),
			BTF_MEMBER_ENC(NAME_TBD, 4, 64), /* "next": base has it */
		/* [10] struct conflict { int x; } */
		BTF_STRUCT_ENC(NAME_TBD, 1, 4),
			BTF_MEMBER_ENC(NAME_TBD, 1, 0), /* "x": base has it */
		/* [11] int (struct shared *p) */
		BTF_FUNC_PROTO_ENC(1, 1),
			BTF_FUNC_PROTO_ARG_ENC(NAME_TBD, 8),
		/* [12] */ BTF_FUNC_ENC(NAME_TBD, 11), /* a_init */
		BTF_END_RAW,
	},
};

static const struct btf_src mod_b = {
	BTF_STR_SEC("conflict\0x\0shared\0a\0b\0priv_b\0head\0s"),
	.types = {
		/* [7] struct conflict { long x; } */
		BTF_STRUCT_ENC(NAME_TBD, 1, 8),
			BTF_MEMBER_ENC(NAME_TBD, 2, 0),
		/* [8] struct shared { int a, b; } */
		BTF_STRUCT_ENC(NAME_TBD, 2, 8),
			BTF_MEMBER_ENC(NAME_TBD, 1, 0),
			BTF_MEMBER_ENC(NAME_TBD, 1, 32),
		/* [9] struct priv_b { struct list_head head; struct shared *s; } */
		BTF_STRUCT_ENC(NAME_TBD, 2, 24),
			BTF_MEMBER_ENC(NAME_TBD, 3, 0),
			BTF_MEMBER_ENC(NAME_TBD, 10, 128),
		/* [10] */ BTF_PTR_ENC(8),
		BTF_END_RAW,
	},
};
/* clang-format on */

/* Ids shifted (mod_b's after mod_a's), ids into the base kept. */
static const char merged_dump[] =
	"[7] STRUCT 'shared' size=8 vlen=2\n"
	"\t'a' type_id=1 bits_offset=0\n"
	"\t'b' type_id=1 bits_offset=32\n"
	"[8] PTR '(anon)' type_id=7\n"
	"[9] STRUCT 'priv_a' size=16 vlen=2\n"
	"\t's' type_id=8 bits_offset=0\n"
	"\t'next' type_id=4 bits_offset=64\n"
	"[10] STRUCT 'conflict' size=4 vlen=1\n"
	"\t'x' type_id=1 bits_offset=0\n"
	"[11] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1\n"
	"\t'p' type_id=8\n"
	"[12] FUNC 'a_init' type_id=11 linkage=0\n"
	"[13] STRUCT 'conflict' size=8 vlen=1\n"
	"\t'x' type_id=2 bits_offset=0\n"
	"[14] STRUCT 'shared' size=8 vlen=2\n"
	"\t'a' type_id=1 bits_offset=0\n"
	"\t'b' type_id=1 bits_offset=32\n"
	"[15] STRUCT 'priv_b' size=24 vlen=2\n"
	"\t'head' type_id=3 bits_offset=0\n"
	"\t's' type_id=16 bits_offset=128\n"
	"[16] PTR '(anon)' type_id=14\n";

/* Each string once, in first-seen order; "next" and "x" are the base's. */
static const char merged_strs[] =
	"shared\0a\0b\0priv_a\0s\0conflict\0p\0a_init\0priv_b\0head";

/* Merges mods, checks the result parses on the base, returns its dump. */
static char *merge_and_dump(struct mod *mods, size_t n,
			    const struct renumber_opts *opts,
			    struct renumber_result *res, struct btf_raw *out,
			    uint8_t **blob)
{
	const struct btf_raw *raws[4];
	struct diag d = {""};
	size_t i, size;
	int err;

	for (i = 0; i < n; i++) {
		mod_parse(&mods[i]);
		raws[i] = &mods[i].raw;
	}
	err = renumber_merge(base_get(), raws, n, opts, res, &d);
	CHECK(!err, "renumber_merge: %d %s", err, d.msg);
	if (err)
		exit(1);
	*blob = btf_raw__write(res->types, res->types_len, res->strs,
			       res->str_len, &size);
	err = btf_raw__parse(out, *blob, size, base_get(), &d);
	CHECK(!err, "merged BTF is not valid split BTF on the base: %s", d.msg);
	if (err)
		exit(1);
	return dump(out);
}

static int t_merge(const char *dir)
{
	struct mod mods[2] = {{.src = &mod_a}, {.src = &mod_b}};
	struct renumber_result res;
	struct btf_raw out;
	uint8_t *blob;
	char *text;
	const struct btf_type *t;

	(void)dir;
	text = merge_and_dump(mods, 2, NULL, &res, &out, &blob);
	check_text("merged dump", text, merged_dump);
	CHECK(res.type_cnt == 10 && out.type_cnt == 10, "type_cnt %u/%u",
	      res.type_cnt, out.type_cnt);
	CHECK(res.first_id[0] == 7 && res.first_id[1] == 13, "first ids %u %u",
	      res.first_id[0], res.first_id[1]);
	CHECK(res.type_cnts[0] == 6 && res.type_cnts[1] == 4,
	      "type counts %u %u", res.type_cnts[0], res.type_cnts[1]);
	CHECK(res.str_len == sizeof(merged_strs) &&
		      !memcmp(res.strs, merged_strs, sizeof(merged_strs)),
	      "merged strings (%u bytes, expected %zu)", res.str_len,
	      sizeof(merged_strs));
	/* strings the base holds are the base's offsets */
	t = btf_raw__type(&out, 9);
	CHECK(((const struct btf_member *)(t + 1))[1].name_off == BS_NEXT,
	      "'next' at %u, expected the base's %u",
	      ((const struct btf_member *)(t + 1))[1].name_off, BS_NEXT);
	t = btf_raw__type(&out, 13);
	CHECK(((const struct btf_member *)(t + 1))[0].name_off == BS_X,
	      "'x' at %u, expected the base's %u",
	      ((const struct btf_member *)(t + 1))[0].name_off, BS_X);
	/* one "shared" string serves both modules' structs */
	CHECK(btf_raw__type(&out, 7)->name_off ==
		      btf_raw__type(&out, 14)->name_off,
	      "two 'shared' strings");
	CHECK(btf_raw__size(&out, 15) == 24, "priv_b size %u",
	      btf_raw__size(&out, 15));
	free(text);
	btf_raw__release(&out);
	free(blob);
	renumber_result__release(&res);
	mod_release(&mods[0]);
	mod_release(&mods[1]);
	return 0;
}

/* clang-format off */
static const struct btf_src mod_c = {
	BTF_STR_SEC("cnt\0.data\0tag\0keep\0x\0tag"),
	.types = {
		/* [7] */ BTF_VAR_ENC(NAME_TBD, 1, BTF_VAR_GLOBAL_ALLOCATED),
		/* [8] */ BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_DATASEC, 0, 1), 4),
			BTF_VAR_SECINFO_ENC(7, 0, 4),
		/* [9] */ BTF_DECL_TAG_ENC(NAME_TBD, 7, -1),	/* on the VAR */
		/* [10] */ BTF_STRUCT_ENC(NAME_TBD, 1, 4),	/* keep */
			BTF_MEMBER_ENC(NAME_TBD, 1, 0),
		/* [11] */ BTF_DECL_TAG_ENC(NAME_TBD, 10, 0),	/* on keep.x */
		BTF_END_RAW,
	},
};
/* clang-format on */

static int t_merge_drop_datasec(const char *dir)
{
	struct mod mods[2] = {{.src = &mod_c}, {.src = &mod_c}};
	struct renumber_opts opts = {.drop_datasec = true};
	struct renumber_result res;
	struct btf_raw out;
	uint8_t *blob;
	char *text;

	(void)dir;
	text = merge_and_dump(mods, 2, &opts, &res, &out, &blob);
	check_text("merged dump", text,
		   "[7] STRUCT 'keep' size=4 vlen=1\n"
		   "\t'x' type_id=1 bits_offset=0\n"
		   "[8] DECL_TAG 'tag' type_id=7 component_idx=0\n"
		   "[9] STRUCT 'keep' size=4 vlen=1\n"
		   "\t'x' type_id=1 bits_offset=0\n"
		   "[10] DECL_TAG 'tag' type_id=9 component_idx=0\n");
	CHECK(res.dropped == 6, "dropped %u, expected 6", res.dropped);
	CHECK(res.first_id[1] == 9, "second module at %u", res.first_id[1]);
	free(text);
	btf_raw__release(&out);
	free(blob);
	renumber_result__release(&res);
	mod_release(&mods[0]);
	mod_release(&mods[1]);
	return 0;
}

/* clang-format off */
/* mod_lh: a list_head of its own, unlike the base's */
static const struct btf_src mod_lh = {
	BTF_STR_SEC("list_head\0next"),
	.types = {
		/* [7] struct list_head { struct list_head *next; } */
		BTF_STRUCT_ENC(NAME_TBD, 1, 8),
			BTF_MEMBER_ENC(NAME_TBD, 8, 0),
		/* [8] */ BTF_PTR_ENC(7),
		BTF_END_RAW,
	},
};

/* What dedup makes of mod_a + mod_b + mod_lh: one "shared", two
 * "conflict", the module's list_head beside the base's. */
static const struct btf_src deduped = {
	BTF_STR_SEC("shared\0a\0b\0conflict\0x\0conflict\0x\0list_head\0next"),
	.types = {
		/* [7] */ BTF_STRUCT_ENC(NAME_TBD, 2, 8),	/* shared */
			BTF_MEMBER_ENC(NAME_TBD, 1, 0),
			BTF_MEMBER_ENC(NAME_TBD, 1, 32),
		/* [8] */ BTF_STRUCT_ENC(NAME_TBD, 1, 4),	/* conflict */
			BTF_MEMBER_ENC(NAME_TBD, 1, 0),
		/* [9] */ BTF_STRUCT_ENC(NAME_TBD, 1, 8),	/* conflict */
			BTF_MEMBER_ENC(NAME_TBD, 2, 0),
		/* [10] */ BTF_STRUCT_ENC(NAME_TBD, 1, 8),	/* list_head */
			BTF_MEMBER_ENC(NAME_TBD, 11, 0),
		/* [11] */ BTF_PTR_ENC(10),
		BTF_END_RAW,
	},
};
/* clang-format on */

static int t_collisions(const char *dir)
{
	struct mod mods[3] = {
		{.src = &mod_a}, {.src = &mod_b}, {.src = &mod_lh}};
	struct mod split = {.src = &deduped};
	const struct btf_raw *raws[3];
	const char *const names[3] = {"mod_a", "mod_b", "mod_lh"};
	struct collisions c;
	struct diag d = {""};
	struct text out = {NULL, 0};
	size_t i, k;
	int err;

	(void)dir;
	for (i = 0; i < 3; i++) {
		mod_parse(&mods[i]);
		raws[i] = &mods[i].raw;
	}
	mod_parse(&split);
	err = collisions_find(&c, base_get(), &split.raw, raws, names, 3, NULL,
			      &d);
	CHECK(!err, "collisions_find: %d %s", err, d.msg);
	text_add(&out, "%s", "");
	for (i = 0; !err && i < c.cnt; i++) {
		const struct btfar_collision *it = &c.items[i];

		text_add(&out, "%s %s: %u variants\n", it->kind, it->name,
			 it->variant_cnt);
		for (k = 0; k < it->module_cnt; k++)
			text_add(&out, "\t%s #%u\n", it->modules[k],
				 it->variant[k]);
	}
	check_text("collisions", out.s,
		   "struct conflict: 2 variants\n"
		   "\tmod_a #0\n"
		   "\tmod_b #1\n"
		   "struct list_head: 2 variants\n"
		   "\tvmlinux #0\n"
		   "\tmod_lh #1\n");
	free(out.s);
	collisions_release(&c);
	for (i = 0; i < 3; i++)
		mod_release(&mods[i]);
	mod_release(&split);
	return 0;
}

/* No name defined twice: nothing found, nothing attributed. */
static int t_collisions_none(const char *dir)
{
	struct mod m = {.src = &mod_a};
	const struct btf_raw *raws[1];
	const char *const names[1] = {"mod_a"};
	struct collisions c;
	struct diag d = {""};
	int err;

	(void)dir;
	mod_parse(&m);
	raws[0] = &m.raw;
	err = collisions_find(&c, base_get(), &m.raw, raws, names, 1, NULL, &d);
	CHECK(!err, "collisions_find: %d %s", err, d.msg);
	CHECK(!err && c.cnt == 0, "%zu collisions", c.cnt);
	collisions_release(&c);
	mod_release(&m);
	return 0;
}

/*
 * The libbpf engine refuses a vlen over 16 bits (Linux 7.2), which libbpf
 * 1.1 would misread: a base with an ENUM of 70,000 enumerators and a split
 * of one INT.
 */
static int t_dedup_libbpf_wide_vlen(const char *dir)
{
	struct btf_words ws = {0};
	static const char bstrs[] = "\0e\0v", sstrs[] = "\0int";
	uint32_t i, n = 70000;
	const uint32_t split_types[] = {
		BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
	};
	struct btf_raw base = {0};
	struct dedup_result res;
	struct diag d = {""};
	size_t bsz, ssz;
	uint8_t *bblob, *sblob;
	int err;

	(void)dir;
	btf_words_add(&ws, 1); /* "e" */
	btf_words_add(&ws, BTF_INFO_ENC(BTF_KIND_ENUM, 0, n));
	btf_words_add(&ws, 4);
	for (i = 0; i < n; i++) {
		btf_words_add(&ws, 3); /* "v" */
		btf_words_add(&ws, i);
	}
	bblob = btf_build(ws.w, ws.n, bstrs, sizeof(bstrs), 0, &bsz);
	free(ws.w);
	err = btf_raw__parse(&base, bblob, bsz, NULL, &d);
	CHECK(!err, "base: %s", d.msg);
	sblob = btf_build(split_types, 4, sstrs, sizeof(sstrs), sizeof(bstrs),
			  &ssz);
	err = dedup_libbpf(&base, sblob, ssz, &res, &d);
	CHECK(err == -ENOTSUP, "dedup_libbpf: %d (%s)", err, d.msg);
	CHECK_MSG(d.msg, "type [1] has a vlen over 65535 (Linux 7.2), which "
			 "libbpf 1.1 cannot read: use the refine engine");
	dedup_result_release(&res);
	btf_raw__release(&base);
	free(bblob);
	free(sblob);
	return 0;
}

static int t_strset_dedup(const char *dir)
{
	static const char want[] = "\0abc\0def\0ab";
	struct strset s;

	(void)dir;
	CHECK(!strset__init(&s, 0), "init");
	CHECK(strset__add(&s, "abc", 3) == 1, "abc");
	CHECK(strset__add(&s, "def", 3) == 5, "def");
	CHECK(strset__add(&s, "abc", 3) == 1, "abc again");
	CHECK(strset__add(&s, "", 0) == 0, "empty string");
	/* a prefix of a stored string is a string of its own */
	CHECK(strset__add(&s, "abcd", 2) == 9, "ab");
	CHECK(strset__add(&s, "ab", 2) == 9, "ab again");
	CHECK(s.len == sizeof(want) && !memcmp(s.data, want, sizeof(want)),
	      "data (%zu bytes)", s.len);
	strset__release(&s);
	return 0;
}

/* Enough strings to grow both the data and the hash slots several times. */
static int t_strset_grow(const char *dir)
{
	enum { N = 20000 };
	int64_t *offs = malloc(N * sizeof(*offs));
	struct strset s;
	char buf[32];
	size_t i;

	(void)dir;
	if (!offs)
		return 1;
	CHECK(!strset__init(&s, 0), "init");
	for (i = 0; i < N; i++) {
		int n = snprintf(buf, sizeof(buf), "name_%zu", i);

		offs[i] = strset__add(&s, buf, (size_t)n);
		CHECK(offs[i] > 0, "add %s: %lld", buf, (long long)offs[i]);
	}
	for (i = 0; i < N; i++) {
		int n = snprintf(buf, sizeof(buf), "name_%zu", i);

		CHECK(strset__add(&s, buf, (size_t)n) == offs[i], "%s moved",
		      buf);
		CHECK(!strcmp(s.data + offs[i], buf), "%s: data has '%s'", buf,
		      s.data + offs[i]);
	}
	CHECK(s.used == N, "used %zu", s.used);
	strset__release(&s);
	free(offs);
	return 0;
}

static int t_strset_seeded(const char *dir)
{
	/* "int" twice, as a base may hold it: the first copy answers */
	static const char seed[] = "\0int\0long\0int";
	struct strset s;

	(void)dir;
	CHECK(!strset__init_seeded(&s, seed, sizeof(seed), 0), "seeded");
	CHECK(strset__add(&s, "long", 4) == 5, "long");
	CHECK(strset__add(&s, "int", 3) == 1, "int");
	CHECK(strset__add(&s, "new", 3) == (int64_t)sizeof(seed), "new");
	CHECK(s.len == sizeof(seed) + 4, "len %zu", s.len);
	CHECK(!memcmp(s.data, seed, sizeof(seed)), "seed kept");
	strset__release(&s);

	CHECK(strset__init_seeded(&s, "int", 4, 0) == -EINVAL,
	      "no leading NUL");
	CHECK(strset__init_seeded(&s, "\0int", 4, 0) == -EINVAL,
	      "not NUL-terminated");
	CHECK(strset__init_seeded(&s, "", 0, 0) == -EINVAL, "empty");
	return 0;
}

static const struct unit_case cases[] = {
	{"strset_dedup", t_strset_dedup},
	{"strset_grow", t_strset_grow},
	{"strset_seeded", t_strset_seeded},
	{"merge", t_merge},
	{"merge_drop_datasec", t_merge_drop_datasec},
	{"collisions", t_collisions},
	{"collisions_none", t_collisions_none},
	{"dedup_libbpf_wide_vlen", t_dedup_libbpf_wide_vlen},
};

int main(int argc, char **argv)
{
	return unit_main_in_code(argc, argv, cases,
				 sizeof(cases) / sizeof(cases[0]));
}
