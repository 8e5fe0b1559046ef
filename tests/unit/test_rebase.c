// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * rebase_split (merge/rebase.c) and distill_make / distill_relocate
 * (merge/distill.c) on BTF built in code: one module encoded on the small
 * base (btf_build.h, "base A") moved onto other bases built here, the
 * results parsed on their new base and compared as text dumps.
 */
#include <errno.h>

#include "btf_dump.h"
#include "merge/distill.h"
#include "merge/rebase.h"

/* clang-format off */
/* The module, on base A: [1] int [2] long int [3] list_head [4] ptr to it */
static const struct btf_src mod_item = {
	BTF_STR_SEC("item\0head\0val\0p\0item_new"),
	.types = {
		/* [7] struct item { struct list_head head; long val; } */
		BTF_STRUCT_ENC(NAME_TBD, 2, 24),
			BTF_MEMBER_ENC(NAME_TBD, 3, 0),
			BTF_MEMBER_ENC(NAME_TBD, 2, 128),
		/* [8] */ BTF_PTR_ENC(7),
		/* [9] struct item *(struct list_head *p) */
		BTF_FUNC_PROTO_ENC(8, 1),
			BTF_FUNC_PROTO_ARG_ENC(NAME_TBD, 4),
		/* [10] */ BTF_FUNC_ENC(NAME_TBD, 9),	/* item_new */
		BTF_END_RAW,
	},
};

/* Base B: base A's types in another order, one more first */
static const struct btf_src base_b = {
	BTF_STR_SEC("\0char\0int\0long int\0list_head\0next\0prev\0x\0kfree"),
	.types = {
		/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 8, 1),
		/* [2] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
		/* [3] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 64, 8),
		/* [4] */ BTF_PTR_ENC(5),
		/* [5] */ BTF_STRUCT_ENC(NAME_TBD, 2, 16),	/* list_head */
			BTF_MEMBER_ENC(NAME_TBD, 4, 0),		/* next */
			BTF_MEMBER_ENC(NAME_TBD, 4, 64),	/* prev */
		/* [6] */ BTF_FUNC_PROTO_ENC(2, 1),
			BTF_FUNC_PROTO_ARG_ENC(NAME_TBD, 2),	/* x */
		/* [7] */ BTF_FUNC_ENC(NAME_TBD, 6),		/* kfree */
		BTF_END_RAW,
	},
};

/* Base C: no long int */
static const struct btf_src base_c = {
	BTF_STR_SEC("\0int\0list_head\0next\0prev"),
	.types = {
		/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
		/* [2] */ BTF_PTR_ENC(3),
		/* [3] */ BTF_STRUCT_ENC(NAME_TBD, 2, 16),	/* list_head */
			BTF_MEMBER_ENC(NAME_TBD, 2, 0),		/* next */
			BTF_MEMBER_ENC(NAME_TBD, 2, 64),	/* prev */
		BTF_END_RAW,
	},
};

/* Base D: struct list_head of another layout (no prev, 8 bytes) */
static const struct btf_src base_d = {
	BTF_STR_SEC("\0int\0long int\0list_head\0next"),
	.types = {
		/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
		/* [2] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 64, 8),
		/* [3] */ BTF_STRUCT_ENC(NAME_TBD, 1, 8),	/* list_head */
			BTF_MEMBER_ENC(NAME_TBD, 4, 0),		/* next */
		/* [4] */ BTF_PTR_ENC(3),
		BTF_END_RAW,
	},
};

/* Base E: two structs list_head of 16 bytes */
static const struct btf_src base_e = {
	BTF_STR_SEC("\0int\0long int\0list_head\0next\0prev\0list_head\0first"),
	.types = {
		/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
		/* [2] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 64, 8),
		/* [3] */ BTF_STRUCT_ENC(NAME_TBD, 2, 16),	/* list_head */
			BTF_MEMBER_ENC(NAME_TBD, 4, 0),		/* next */
			BTF_MEMBER_ENC(NAME_TBD, 4, 64),	/* prev */
		/* [4] */ BTF_PTR_ENC(3),
		/* [5] */ BTF_STRUCT_ENC(NAME_TBD, 1, 16),	/* list_head */
			BTF_MEMBER_ENC(NAME_TBD, 2, 0),		/* first */
		BTF_END_RAW,
	},
};
/* clang-format on */

/* A base built here, parsed. */
struct base {
	uint8_t *blob;
	struct btf_raw raw;
};

static void base_make(struct base *b, const struct btf_src *src)
{
	b->blob = src_parse(src, NULL, &b->raw);
}

static void base_free(struct base *b)
{
	btf_raw__release(&b->raw);
	free(b->blob);
}

/*
 * Rebases the module from base A onto to. Returns rebase_split's result;
 * on success *text is the dump of the output parsed on to.
 */
static int rebase_dump(const struct btf_raw *to, char **text, struct diag *d)
{
	struct mod m = {.src = &mod_item};
	struct rebase_map *map;
	struct btf_raw out;
	void *blob = NULL;
	size_t size = 0;
	int err;

	mod_parse(&m);
	map = rebase_map_new(base_get(), to);
	if (!map) {
		fprintf(stderr, "rebase_map_new failed\n");
		exit(1);
	}
	err = rebase_split(map, &m.raw, &blob, &size, d);
	*text = NULL;
	if (!err) {
		*text = parse_dump(blob, size, to, &out, "rebased BTF");
		btf_raw__release(&out);
	} else {
		CHECK(!blob, "an output on error");
	}
	free(blob);
	rebase_map_free(map);
	mod_release(&m);
	return err;
}

/*
 * Base B holds every type the module uses, at other ids: the module's own
 * types move up by one id, its references into the base are B's ids
 * (struct list_head 3 -> 5, long int 2 -> 3, the anonymous pointer to
 * list_head 4 -> 4, found by its shape), its strings are after B's.
 */
static int t_rebase_onto_other_ids(const char *dir)
{
	struct base b;
	struct diag d = {""};
	char *text;
	int err;

	(void)dir;
	base_make(&b, &base_b);
	err = rebase_dump(&b.raw, &text, &d);
	CHECK(!err, "rebase_split: %d %s", err, d.msg);
	if (!err)
		check_text("rebased dump", text,
			   "[8] STRUCT 'item' size=24 vlen=2\n"
			   "\t'head' type_id=5 bits_offset=0\n"
			   "\t'val' type_id=3 bits_offset=128\n"
			   "[9] PTR '(anon)' type_id=8\n"
			   "[10] FUNC_PROTO '(anon)' ret_type_id=9 vlen=1\n"
			   "\t'p' type_id=4\n"
			   "[11] FUNC 'item_new' type_id=10 linkage=0\n");
	free(text);
	base_free(&b);
	return 0;
}

/*
 * Base C has no long int: the type is carried into the split part, after
 * the module's own types, and item's member refers to it there.
 */
static int t_rebase_carries_missing_type(const char *dir)
{
	struct base b;
	struct diag d = {""};
	char *text;
	int err;

	(void)dir;
	base_make(&b, &base_c);
	err = rebase_dump(&b.raw, &text, &d);
	CHECK(!err, "rebase_split: %d %s", err, d.msg);
	if (!err)
		check_text("rebased dump", text,
			   "[4] STRUCT 'item' size=24 vlen=2\n"
			   "\t'head' type_id=3 bits_offset=0\n"
			   "\t'val' type_id=8 bits_offset=128\n"
			   "[5] PTR '(anon)' type_id=4\n"
			   "[6] FUNC_PROTO '(anon)' ret_type_id=5 vlen=1\n"
			   "\t'p' type_id=2\n"
			   "[7] FUNC 'item_new' type_id=6 linkage=0\n"
			   "[8] INT 'long int' size=8\n");
	free(text);
	base_free(&b);
	return 0;
}

/*
 * Base D has struct list_head in another layout: the module is refused,
 * the message names the type; nothing is written.
 */
static int t_rebase_refuses_changed_layout(const char *dir)
{
	struct base b;
	struct diag d = {""};
	char *text;
	int err;

	(void)dir;
	base_make(&b, &base_d);
	err = rebase_dump(&b.raw, &text, &d);
	CHECK(err == -ENOENT, "rebase_split: %d, expected -ENOENT (%s)", err,
	      d.msg);
	CHECK_MSG(d.msg, "no equivalent in the new base for ");
	CHECK_MSG(d.msg, "[3] STRUCT 'list_head' (changed layout)");
	free(text);
	base_free(&b);
	return 0;
}

/* The module distilled on base A: *dist and *split parsed into dr, sr. */
struct distilled {
	void *dist, *split;
	size_t dist_sz, split_sz;
	struct btf_raw dr, sr;
};

static void distill(struct distilled *x)
{
	struct mod m = {.src = &mod_item};
	struct rebase_map *index;
	struct diag d = {""};
	int err;

	mod_parse(&m);
	index = rebase_map_new(NULL, base_get());
	if (!index)
		exit(1);
	err = distill_make(index, base_get(), &m.raw, &x->dist, &x->dist_sz,
			   &x->split, &x->split_sz, &d);
	if (err) {
		fprintf(stderr, "distill_make: %d %s\n", err, d.msg);
		exit(1);
	}
	if (btf_raw__parse(&x->dr, x->dist, x->dist_sz, NULL, &d) ||
	    btf_raw__parse(&x->sr, x->split, x->split_sz, &x->dr, &d)) {
		fprintf(stderr, "distilled BTF does not parse: %s\n", d.msg);
		exit(1);
	}
	rebase_map_free(index);
	mod_release(&m);
}

static void distilled_free(struct distilled *x)
{
	btf_raw__release(&x->sr);
	btf_raw__release(&x->dr);
	free(x->dist);
	free(x->split);
}

/*
 * The distilled base holds the named base types the module refers to, in
 * base order, in minimal form (the INT as it is; the struct without
 * members, its size kept); the anonymous base pointer goes, in full, after
 * the module's own types, pointing into the distilled base.
 */
static int t_distill_minimal_base(const char *dir)
{
	struct distilled x;
	char *text;

	(void)dir;
	distill(&x);
	/* the distilled base is standalone: dump it from id 1 */
	text = dump(&x.dr);
	check_text("distilled base", text,
		   "[1] INT 'long int' size=8\n"
		   "[2] STRUCT 'list_head' size=16 vlen=0\n");
	free(text);
	text = dump(&x.sr);
	check_text("split on the distilled base", text,
		   "[3] STRUCT 'item' size=24 vlen=2\n"
		   "\t'head' type_id=2 bits_offset=0\n"
		   "\t'val' type_id=1 bits_offset=128\n"
		   "[4] PTR '(anon)' type_id=3\n"
		   "[5] FUNC_PROTO '(anon)' ret_type_id=4 vlen=1\n"
		   "\t'p' type_id=7\n"
		   "[6] FUNC 'item_new' type_id=5 linkage=0\n"
		   "[7] PTR '(anon)' type_id=2\n");
	free(text);
	distilled_free(&x);
	return 0;
}

/* Relocates the distilled module onto to; *text as rebase_dump. */
static int relocate_dump(const struct btf_raw *to, char **text, struct diag *d)
{
	struct distilled x;
	struct rebase_map *index;
	struct btf_raw out;
	void *blob = NULL;
	size_t size = 0;
	int err;

	distill(&x);
	index = rebase_map_new(NULL, to);
	if (!index)
		exit(1);
	err = distill_relocate(index, to, &x.dr, &x.sr, &blob, &size, d);
	*text = NULL;
	if (!err) {
		*text = parse_dump(blob, size, to, &out, "relocated BTF");
		btf_raw__release(&out);
	} else {
		CHECK(!blob, "an output on error");
	}
	free(blob);
	rebase_map_free(index);
	distilled_free(&x);
	return err;
}

/*
 * Relocated onto base B, the distilled module refers to B's struct
 * list_head (5) and long int (3); its own pointer to list_head stays its
 * own, now pointing at B's.
 */
static int t_distill_relocate_onto_other_base(const char *dir)
{
	struct base b;
	struct diag d = {""};
	char *text;
	int err;

	(void)dir;
	base_make(&b, &base_b);
	err = relocate_dump(&b.raw, &text, &d);
	CHECK(!err, "distill_relocate: %d %s", err, d.msg);
	if (!err)
		check_text("relocated dump", text,
			   "[8] STRUCT 'item' size=24 vlen=2\n"
			   "\t'head' type_id=5 bits_offset=0\n"
			   "\t'val' type_id=3 bits_offset=128\n"
			   "[9] PTR '(anon)' type_id=8\n"
			   "[10] FUNC_PROTO '(anon)' ret_type_id=9 vlen=1\n"
			   "\t'p' type_id=12\n"
			   "[11] FUNC 'item_new' type_id=10 linkage=0\n"
			   "[12] PTR '(anon)' type_id=5\n");
	free(text);
	base_free(&b);
	return 0;
}

/* What does not relocate, and the message that says why. */
static int t_distill_relocate_refused(const char *dir)
{
	static const struct {
		const struct btf_src *base;
		const char *msg;
	} refused[] = {
		{&base_c, "distilled base does not relocate: int 'long int': "
			  "not in the base"},
		{&base_d, "distilled base does not relocate: struct "
			  "'list_head' (embedded, 16 bytes): the base's has "
			  "another size"},
		{&base_e, "distilled base does not relocate: struct "
			  "'list_head' (embedded): ambiguous, 2 candidates in "
			  "the base"},
	};
	size_t i;

	(void)dir;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct base b;
		struct diag d = {""};
		char *text;
		int err;

		base_make(&b, refused[i].base);
		err = relocate_dump(&b.raw, &text, &d);
		CHECK(err == -ENOENT, "case %zu: %d, expected -ENOENT (%s)", i,
		      err, d.msg);
		CHECK_MSG(d.msg, refused[i].msg);
		free(text);
		base_free(&b);
	}
	return 0;
}

static const struct unit_case cases[] = {
	{"rebase_onto_other_ids", t_rebase_onto_other_ids},
	{"rebase_carries_missing_type", t_rebase_carries_missing_type},
	{"rebase_refuses_changed_layout", t_rebase_refuses_changed_layout},
	{"distill_minimal_base", t_distill_minimal_base},
	{"distill_relocate_onto_other_base",
	 t_distill_relocate_onto_other_base},
	{"distill_relocate_refused", t_distill_relocate_refused},
};

int main(int argc, char **argv)
{
	return unit_main_in_code(argc, argv, cases,
				 sizeof(cases) / sizeof(cases[0]));
}
