// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * formats/btf_compat: BTF built in code (btf_build.h), rewritten at every
 * level; the output must validate (btf_raw__parse), keep every id and size,
 * and hold the kinds of the table in docs/COMPAT.md.
 */
#include <errno.h>
#include <limits.h>

#include "btf_build.h"
#include "formats/btf_compat.h"
#include "unit.h"

/* clang-format off */
/* Every kind the rewrite touches, plus the ones around them. */
static const struct btf_src every_src = {
	BTF_STR_SEC("\0int\0s\0d\0p\0w\0double\0user\0tag\0wide\0W1\0W2"
		    "\0small\0S1\0neg\0N1\0"),
	.types = {
		/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
		/* [2] struct s { double d; int *p; enum wide w; } */
		BTF_STRUCT_ENC(NAME_TBD, 3, 24),
			BTF_MEMBER_ENC(NAME_TBD, 3, 0),		/* d */
			BTF_MEMBER_ENC(NAME_TBD, 5, 64),	/* p */
			BTF_MEMBER_ENC(NAME_TBD, 7, 128),	/* w */
		/* [3] */ BTF_TYPE_FLOAT_ENC(NAME_TBD, 8),	/* double */
		/* [4] */ BTF_TYPE_TAG_ENC(NAME_TBD, 1),	/* user */
		/* [5] */ BTF_PTR_ENC(4),
		/* [6] */ BTF_DECL_TAG_ENC(NAME_TBD, 2, 1),	/* tag on p */
		/* [7] unsigned ENUM64 wide { W1 = 1, W2 = 1 << 32 } */
		BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_ENUM64, 0, 2), 8),
			BTF_ENUM64_ENC(NAME_TBD, 1, 0),		/* W1 */
			BTF_ENUM64_ENC(NAME_TBD, 0, 1),		/* W2 */
		/* [8] signed ENUM64 small { S1 = INT32_MAX } */
		BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_ENUM64, 1, 1), 8),
			BTF_ENUM64_ENC(NAME_TBD, INT32_MAX, 0),	/* S1 */
		/* [9] signed ENUM neg { N1 = -1 } */
		BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_ENUM, 1, 1), 4),
			BTF_ENUM_ENC(NAME_TBD, (uint32_t)-1),	/* N1 */
		/* [10] */ BTF_PTR_ENC(2),
		BTF_END_RAW,
	},
};
/* clang-format on */

/* Builds every_src, rewrites it at level, parses the result into out. */
static uint8_t *rewrite(const struct btf_src *src, enum btf_compat_level level,
			struct btf_raw *in, struct btf_raw *out,
			struct btf_compat_stats *st, uint8_t **in_blob)
{
	struct diag d = {""};
	size_t in_sz, out_sz = 0;
	uint8_t *blob;

	*in_blob = btf_src__build(src, 0, &in_sz);
	if (btf_raw__parse(in, *in_blob, in_sz, NULL, &d)) {
		fprintf(stderr, "input does not parse: %s\n", d.msg);
		exit(1);
	}
	blob = btf_compat__rewrite(in, level, st, &out_sz, &d);
	if (!blob) {
		fprintf(stderr, "rewrite failed: %s\n", d.msg);
		exit(1);
	}
	if (btf_raw__parse(out, blob, out_sz, NULL, &d)) {
		fprintf(stderr, "output does not parse: %s\n", d.msg);
		exit(1);
	}
	return blob;
}

static uint32_t kind_of(const struct btf_raw *raw, uint32_t id)
{
	return btf_type_kind(btf_raw__type(raw, id));
}

static const char *name_of(const struct btf_raw *raw, uint32_t id)
{
	return btf_raw__str(raw, btf_raw__type(raw, id)->name_off);
}

/* Same ids, sizes and string section, whatever the level. */
static void check_invariants(const struct btf_raw *in,
			     const struct btf_raw *out)
{
	uint32_t id;

	CHECK(btf_raw__type_cnt(out) == btf_raw__type_cnt(in),
	      "type_cnt %u, input %u", btf_raw__type_cnt(out),
	      btf_raw__type_cnt(in));
	/* a DECL_TAG has no size; its 1-byte INT is referred to by none */
	for (id = 1; id < btf_raw__type_cnt(in); id++)
		CHECK(kind_of(in, id) == BTF_KIND_DECL_TAG ||
			      btf_raw__size(out, id) == btf_raw__size(in, id),
		      "[%u] size %u, input %u", id, btf_raw__size(out, id),
		      btf_raw__size(in, id));
	CHECK(out->str_len == in->str_len &&
		      !memcmp(out->strs, in->strs, in->str_len),
	      "string section changed");
	/* the struct's members keep names, types and offsets */
	CHECK(!memcmp(btf_raw__type(out, 2), btf_raw__type(in, 2),
		      sizeof(struct btf_type) + 3 * sizeof(struct btf_member)),
	      "struct s changed");
}

/* [3] FLOAT -> anonymous STRUCT of 8 bytes, vlen 0 (libbpf's choice). */
static int t_float(const char *dir)
{
	struct btf_raw in = {0}, out = {0};
	struct btf_compat_stats st;
	uint8_t *src, *blob = rewrite(&every_src, BTF_COMPAT_5_2, &in, &out,
				      &st, &src);

	check_invariants(&in, &out);
	CHECK(kind_of(&out, 3) == BTF_KIND_STRUCT, "[3] %s",
	      btf_kind_name(kind_of(&out, 3)));
	CHECK(btf_type_vlen(btf_raw__type(&out, 3)) == 0, "[3] vlen");
	CHECK(btf_raw__type(&out, 3)->name_off == 0, "[3] named");
	CHECK(st.floats == 1, "floats %u", st.floats);
	btf_raw__release(&in);
	btf_raw__release(&out);
	free(src);
	free(blob);
	/* kept from 5.13 */
	blob = rewrite(&every_src, BTF_COMPAT_5_13, &in, &out, &st, &src);
	CHECK(kind_of(&out, 3) == BTF_KIND_FLOAT && st.floats == 0,
	      "5.13 rewrote FLOAT");
	CHECK(kind_of(&out, 6) == BTF_KIND_INT, "5.13 kept DECL_TAG");
	btf_raw__release(&in);
	btf_raw__release(&out);
	free(src);
	free(blob);
	return 0;
}

/* [6] DECL_TAG -> INT 'tag' of 1 byte, 8 bits, no encoding. */
static int t_decl_tag(const char *dir)
{
	struct btf_raw in = {0}, out = {0};
	struct btf_compat_stats st;
	uint8_t *src, *blob = rewrite(&every_src, BTF_COMPAT_5_13, &in, &out,
				      &st, &src);
	const struct btf_type *t = btf_raw__type(&out, 6);

	check_invariants(&in, &out);
	CHECK(kind_of(&out, 6) == BTF_KIND_INT, "[6] %s",
	      btf_kind_name(kind_of(&out, 6)));
	CHECK(t->size == 1 && *(const uint32_t *)(t + 1) == 8,
	      "[6] size %u, int word %#x", t->size, *(const uint32_t *)(t + 1));
	CHECK(!strcmp(name_of(&out, 6), "tag"), "[6] name %s",
	      name_of(&out, 6));
	CHECK(st.decl_tags == 1, "decl_tags %u", st.decl_tags);
	btf_raw__release(&in);
	btf_raw__release(&out);
	free(src);
	free(blob);
	blob = rewrite(&every_src, BTF_COMPAT_5_16, &in, &out, &st, &src);
	CHECK(kind_of(&out, 6) == BTF_KIND_DECL_TAG, "5.16 rewrote DECL_TAG");
	btf_raw__release(&in);
	btf_raw__release(&out);
	free(src);
	free(blob);
	return 0;
}

/* [4] TYPE_TAG -> anonymous CONST on the same type; [5] still points. */
static int t_type_tag(const char *dir)
{
	struct btf_raw in = {0}, out = {0};
	struct btf_compat_stats st;
	uint8_t *src, *blob = rewrite(&every_src, BTF_COMPAT_5_16, &in, &out,
				      &st, &src);

	check_invariants(&in, &out);
	CHECK(kind_of(&out, 4) == BTF_KIND_CONST, "[4] %s",
	      btf_kind_name(kind_of(&out, 4)));
	CHECK(btf_raw__type(&out, 4)->type == 1, "[4] -> %u",
	      btf_raw__type(&out, 4)->type);
	CHECK(btf_raw__type(&out, 4)->name_off == 0, "[4] named");
	CHECK(btf_raw__type(&out, 5)->type == 4, "[5] -> %u",
	      btf_raw__type(&out, 5)->type);
	CHECK(st.type_tags == 1, "type_tags %u", st.type_tags);
	btf_raw__release(&in);
	btf_raw__release(&out);
	free(src);
	free(blob);
	blob = rewrite(&every_src, BTF_COMPAT_5_17, &in, &out, &st, &src);
	CHECK(kind_of(&out, 4) == BTF_KIND_TYPE_TAG, "5.17 rewrote TYPE_TAG");
	btf_raw__release(&in);
	btf_raw__release(&out);
	free(src);
	free(blob);
	return 0;
}

/*
 * [7] ENUM64 with 1 << 32 -> empty UNION 'wide' of 8 bytes; [8] signed
 * ENUM64 of INT32_MAX -> ENUM of 8 bytes, same value, no kind_flag; [9]
 * ENUM kind_flag cleared, value bits kept.
 */
static int t_enum64(const char *dir)
{
	struct btf_raw in = {0}, out = {0};
	struct btf_compat_stats st;
	uint8_t *src, *blob = rewrite(&every_src, BTF_COMPAT_5_17, &in, &out,
				      &st, &src);
	const struct btf_type *t;
	const struct btf_enum *e;

	check_invariants(&in, &out);
	t = btf_raw__type(&out, 7);
	CHECK(btf_type_kind(t) == BTF_KIND_UNION && btf_type_vlen(t) == 0 &&
		      t->size == 8 && !strcmp(name_of(&out, 7), "wide"),
	      "[7] %s vlen %u size %u", btf_kind_name(btf_type_kind(t)),
	      btf_type_vlen(t), t->size);
	t = btf_raw__type(&out, 8);
	e = (const struct btf_enum *)(t + 1);
	CHECK(btf_type_kind(t) == BTF_KIND_ENUM && !btf_type_kflag(t) &&
		      btf_type_vlen(t) == 1 && t->size == 8,
	      "[8] %s", btf_kind_name(btf_type_kind(t)));
	CHECK(e->val == INT32_MAX &&
		      !strcmp(btf_raw__str(&out, e->name_off), "S1"),
	      "[8] S1 = %d", e->val);
	t = btf_raw__type(&out, 9);
	e = (const struct btf_enum *)(t + 1);
	CHECK(btf_type_kind(t) == BTF_KIND_ENUM && !btf_type_kflag(t) &&
		      e->val == -1,
	      "[9] kflag %d val %d", btf_type_kflag(t), e->val);
	/* [10] follows the shrunk records */
	CHECK(kind_of(&out, 10) == BTF_KIND_PTR &&
		      btf_raw__type(&out, 10)->type == 2,
	      "[10] after the ENUM64s");
	CHECK(out.types_len == in.types_len - 2 * 12 - 4,
	      "types_len %u, input %u", out.types_len, in.types_len);
	CHECK(st.enum64_unions == 1 && st.enum64_enums == 1 &&
		      st.enum_kflags == 1,
	      "stats %u %u %u", st.enum64_unions, st.enum64_enums,
	      st.enum_kflags);
	btf_raw__release(&in);
	btf_raw__release(&out);
	free(src);
	free(blob);
	/* 6.0 rewrites nothing: the same bytes */
	blob = rewrite(&every_src, BTF_COMPAT_6_0, &in, &out, &st, &src);
	CHECK(out.size == in.size && !memcmp(out.data, in.data, in.size),
	      "6.0 changed the blob");
	btf_raw__release(&in);
	btf_raw__release(&out);
	free(src);
	free(blob);
	return 0;
}

/* One ENUM64 value: does it stay an ENUM below 6.0? */
static void one_enum64(bool is_signed, uint32_t lo, uint32_t hi, bool fits)
{
	struct btf_src src = {
		BTF_STR_SEC("\0e\0V"),
		.types = {BTF_TYPE_ENC(
				  NAME_TBD,
				  BTF_INFO_ENC(BTF_KIND_ENUM64, is_signed, 1),
				  8),
			  BTF_ENUM64_ENC(NAME_TBD, lo, hi), BTF_END_RAW},
	};
	struct btf_raw in = {0}, out = {0};
	struct btf_compat_stats st;
	uint8_t *blob_in,
		*blob = rewrite(&src, BTF_COMPAT_5_2, &in, &out, &st, &blob_in);
	uint32_t kind = kind_of(&out, 1);

	CHECK(kind == (fits ? BTF_KIND_ENUM : BTF_KIND_UNION),
	      "%s %#x:%08x became %s", is_signed ? "signed" : "unsigned", hi,
	      lo, btf_kind_name(kind));
	btf_raw__release(&in);
	btf_raw__release(&out);
	free(blob_in);
	free(blob);
}

/* Values that read the same as s32 and as u32: 0 to INT32_MAX only. */
static int t_enum64_bounds(const char *dir)
{
	one_enum64(false, 0, 0, true);
	one_enum64(false, INT32_MAX, 0, true);
	one_enum64(false, 0x80000000u, 0, false);
	one_enum64(false, UINT32_MAX, 0, false);
	one_enum64(false, 0, 1, false);
	one_enum64(false, UINT32_MAX, UINT32_MAX, false);
	one_enum64(true, INT32_MAX, 0, true);
	one_enum64(true, UINT32_MAX, UINT32_MAX, false);   /* -1 */
	one_enum64(true, 0x80000000u, 0xffffffffu, false); /* INT32_MIN */
	one_enum64(true, 0x80000000u, 0, false);
	return 0;
}

/* A split blob is rewritten on its own: ids after the base stay. */
static int t_split(const char *dir)
{
	/* clang-format off */
	static const struct btf_src split_src = {
		BTF_STR_SEC("\0double\0user"),
		.types = {
			/* [7] */ BTF_TYPE_FLOAT_ENC(NAME_TBD, 8),
			/* [8] */ BTF_TYPE_TAG_ENC(NAME_TBD, 1),
			/* [9] */ BTF_PTR_ENC(8),
			BTF_END_RAW,
		},
	};
	/* clang-format on */
	const struct btf_raw *base = base_get();
	struct btf_raw in = {0}, out = {0};
	struct diag d = {""};
	size_t sz, out_sz;
	uint8_t *src = btf_src__build(&split_src, BASE_STR_LEN, &sz), *blob;

	CHECK(!btf_raw__parse(&in, src, sz, base, &d), "%s", d.msg);
	blob = btf_compat__rewrite(&in, BTF_COMPAT_5_2, NULL, &out_sz, &d);
	CHECK(blob, "%s", d.msg);
	if (blob) {
		CHECK(!btf_raw__parse(&out, blob, out_sz, base, &d), "%s",
		      d.msg);
		CHECK(kind_of(&out, 7) == BTF_KIND_STRUCT &&
			      kind_of(&out, 8) == BTF_KIND_CONST &&
			      btf_raw__type(&out, 9)->type == 8,
		      "split kinds");
	}
	btf_raw__release(&in);
	btf_raw__release(&out);
	free(src);
	free(blob);
	return 0;
}

/* Versions map to the highest level at or below them. */
static int t_levels(const char *dir)
{
	static const struct {
		const char *v;
		int level; /* -1: refused */
	} cases[] = {
		{"5.2", BTF_COMPAT_5_2},
		{"5.12", BTF_COMPAT_5_2},
		{"5.13", BTF_COMPAT_5_13},
		{"5.15", BTF_COMPAT_5_13},
		{"5.15.0-91-generic", BTF_COMPAT_5_13},
		{"5.16", BTF_COMPAT_5_16},
		{"5.17", BTF_COMPAT_5_17},
		{"5.19.17", BTF_COMPAT_5_17},
		{"6.0", BTF_COMPAT_6_0},
		{"6.12.117+deb12-amd64", BTF_COMPAT_6_0},
		{"6.13", BTF_COMPAT_6_0},
		{"6.14", BTF_COMPAT_6_14},
		{"6.18.44", BTF_COMPAT_6_14},
		{"7.1", BTF_COMPAT_6_14},
		{"7.2.13+deb14-amd64", BTF_COMPAT_7_2},
		{"10.1", BTF_COMPAT_7_2},
		{"5.1", -1},
		{"4.19", -1},
		{"5", -1},
		{"5.", -1},
		{".15", -1},
		{"5.15x", -1},
		{"v5.15", -1},
		{"", -1},
		{"5.100000000", -1},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum btf_compat_level level = 0;
		struct diag d = {""};
		int err = btf_compat__parse_level(cases[i].v, &level, &d);

		if (cases[i].level < 0) {
			CHECK(err == -EINVAL && d.msg[0], "'%s' accepted",
			      cases[i].v);
			continue;
		}
		CHECK(!err && (int)level == cases[i].level,
		      "'%s': err %d level %d, expected %d (%s)", cases[i].v,
		      err, (int)level, cases[i].level, d.msg);
	}
	CHECK(!strcmp(btf_compat__level_name(BTF_COMPAT_5_13), "5.13"), "name");
	CHECK(!strcmp(btf_compat__level_name(512), "?"), "name of 512");
	return 0;
}

/* Rewriting a compat blob again changes nothing. */
static int t_idempotent(const char *dir)
{
	struct btf_raw in = {0}, out = {0};
	struct btf_compat_stats st;
	struct diag d = {""};
	uint8_t *src,
		*blob = rewrite(&every_src, BTF_COMPAT_5_2, &in, &out, &st,
				&src),
		*again;
	size_t sz;

	again = btf_compat__rewrite(&out, BTF_COMPAT_5_2, &st, &sz, &d);
	CHECK(again && sz == out.size && !memcmp(again, out.data, sz),
	      "second rewrite differs");
	CHECK(!st.floats && !st.decl_tags && !st.type_tags &&
		      !st.enum64_enums && !st.enum64_unions && !st.enum_kflags,
	      "second rewrite counted changes");
	btf_raw__release(&in);
	btf_raw__release(&out);
	free(src);
	free(blob);
	free(again);
	return 0;
}

static const struct unit_case cases[] = {
	{"float", t_float},
	{"decl_tag", t_decl_tag},
	{"type_tag", t_type_tag},
	{"enum64", t_enum64},
	{"enum64_bounds", t_enum64_bounds},
	{"split", t_split},
	{"levels", t_levels},
	{"idempotent", t_idempotent},
};

int main(int argc, char **argv)
{
	return unit_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
