// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * btf_view (formats/btf_raw.c): a parsed blob seen with records replaced,
 * added and deleted, on BTF built here. Each case checks what readers see
 * (records, names, sizes) or that an invalid view is refused with its
 * message; the last one makes a view from a real delta (btf_delta_view)
 * and compares it with the blob the delta decodes to.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/btf_delta.h"
#include "formats/btf_raw.h"
#include "tests/unit/btf_build.h"
#include "tests/unit/unit.h"

/*
 * [1] int, [2] struct s { int a; } (4 bytes), [3] typedef T -> s,
 * [4] T[2], [5] struct u { T[2] a; } (8 bytes), [6] ptr -> s,
 * [7] const -> 6
 */
#define S_INT 1
#define S_S   5
#define S_A   7
#define S_T   9
#define S_B   11
#define S_U   13
static const char ref_strs[] = "\0int\0s\0a\0T\0b\0u";

static const uint32_t ref_types[] = {
	BTF_TYPE_INT_ENC(S_INT, BTF_INT_SIGNED, 0, 32, 4),
	BTF_STRUCT_ENC(S_S, 1, 4),
	BTF_MEMBER_ENC(S_A, 1, 0),
	BTF_TYPEDEF_ENC(S_T, 2),
	BTF_TYPE_ARRAY_ENC(3, 1, 2),
	BTF_STRUCT_ENC(S_U, 1, 8),
	BTF_MEMBER_ENC(S_A, 4, 0),
	BTF_PTR_ENC(2),
	BTF_CONST_ENC(6),
};

struct fix {
	uint8_t *blob;
	size_t size;
	struct btf_raw ref;
	struct btf_view v;
};

static int fix_init(struct fix *f)
{
	struct diag d = {""};

	memset(f, 0, sizeof(*f));
	f->blob = btf_build(ref_types, sizeof(ref_types) / 4, ref_strs,
			    sizeof(ref_strs), 0, &f->size);
	if (btf_raw__parse(&f->ref, f->blob, f->size, NULL, &d)) {
		fprintf(stderr, "reference: %s\n", d.msg);
		return 1;
	}
	if (btf_view_init(&f->v, &f->ref)) {
		fprintf(stderr, "btf_view_init failed\n");
		return 1;
	}
	return 0;
}

static void fix_release(struct fix *f)
{
	btf_view_release(&f->v);
	btf_raw__release(&f->ref);
	free(f->blob);
}

/* struct s { int a; int b; } (8 bytes) */
static const uint32_t s_wide[] = {
	BTF_STRUCT_ENC(S_S, 2, 8),
	BTF_MEMBER_ENC(S_A, 1, 0),
	BTF_MEMBER_ENC(S_B, 1, 32),
};
/* struct u { T[2] a; } (16 bytes) */
static const uint32_t u_wide[] = {
	BTF_STRUCT_ENC(S_U, 1, 16),
	BTF_MEMBER_ENC(S_A, 4, 0),
};

static int test_changed(const char *dir)
{
	struct diag d = {""};
	struct fix f;
	int err;

	(void)dir;
	if (fix_init(&f))
		return 1;
	/* a record changed, and what depends on its size: the typedef and
	 * the array are unchanged records whose sizes change */
	err = btf_view_begin(&f.v, 0, NULL, 0, &d);
	err = err ? err : btf_view_set(&f.v, 2, (const void *)s_wide);
	err = err ? err : btf_view_set(&f.v, 5, (const void *)u_wide);
	err = err ? err : btf_view_check(&f.v, &d);
	CHECK(!err, "check: %d %s", err, d.msg);
	CHECK(btf_raw__size(&f.v.raw, 2) == 8, "s: %u",
	      btf_raw__size(&f.v.raw, 2));
	CHECK(btf_raw__size(&f.v.raw, 3) == 8, "T: %u",
	      btf_raw__size(&f.v.raw, 3));
	CHECK(btf_raw__size(&f.v.raw, 4) == 16, "T[2]: %u",
	      btf_raw__size(&f.v.raw, 4));
	CHECK(btf_type_vlen(btf_raw__type(&f.v.raw, 2)) == 2,
	      "s has %u members", btf_type_vlen(btf_raw__type(&f.v.raw, 2)));
	/* the reference is as it was */
	CHECK(btf_raw__size(&f.ref, 4) == 8 &&
		      btf_type_vlen(btf_raw__type(&f.ref, 2)) == 1,
	      "the reference changed");
	/* the next view starts from the reference again */
	err = btf_view_begin(&f.v, 0, NULL, 0, &d);
	err = err ? err : btf_view_check(&f.v, &d);
	CHECK(!err && btf_raw__size(&f.v.raw, 4) == 8 &&
		      btf_type_vlen(btf_raw__type(&f.v.raw, 2)) == 1,
	      "a second view kept the first one's changes");
	fix_release(&f);
	return 0;
}

static int test_size_bounds(const char *dir)
{
	struct diag d = {""};
	struct fix f;
	int err;

	(void)dir;
	if (fix_init(&f))
		return 1;
	/* s grows, u (unchanged, 8 bytes) holds two of it: no longer fits */
	err = btf_view_begin(&f.v, 0, NULL, 0, &d);
	err = err ? err : btf_view_set(&f.v, 2, (const void *)s_wide);
	err = err ? err : btf_view_check(&f.v, &d);
	CHECK(err == -EINVAL, "check: %d", err);
	CHECK_MSG(d.msg, "type [5] STRUCT 'u' member 'a': 16 bytes at byte 0 "
			 "exceed the size (8 bytes)");
	fix_release(&f);
	return 0;
}

static int test_added_renamed(const char *dir)
{
	static const char ext[] = "\0news\0v";
	uint32_t rs = sizeof(ref_strs);
	/* [8] struct news { int a; } (4 bytes), s renamed v, ptr -> 8 */
	uint32_t added[] = {
		BTF_STRUCT_ENC(rs + 1, 1, 4),
		BTF_MEMBER_ENC(S_A, 1, 0),
	};
	uint32_t renamed[] = {
		BTF_STRUCT_ENC(rs + 6, 1, 4),
		BTF_MEMBER_ENC(S_A, 1, 0),
	};
	uint32_t ptr[] = {BTF_PTR_ENC(8)};
	struct diag d = {""};
	struct fix f;
	int err;

	(void)dir;
	if (fix_init(&f))
		return 1;
	err = btf_view_begin(&f.v, 1, ext, sizeof(ext), &d);
	err = err ? err : btf_view_set(&f.v, 8, (const void *)added);
	err = err ? err : btf_view_set(&f.v, 2, (const void *)renamed);
	err = err ? err : btf_view_set(&f.v, 6, (const void *)ptr);
	err = err ? err : btf_view_check(&f.v, &d);
	CHECK(!err, "check: %d %s", err, d.msg);
	CHECK(btf_raw__type_cnt(&f.v.raw) == 9, "%u ids",
	      btf_raw__type_cnt(&f.v.raw));
	CHECK(!strcmp(btf_raw__str(&f.v.raw,
				   btf_raw__type(&f.v.raw, 8)->name_off),
		      "news"),
	      "added type's name");
	CHECK(!strcmp(btf_raw__str(&f.v.raw,
				   btf_raw__type(&f.v.raw, 2)->name_off),
		      "v"),
	      "renamed type's name");
	CHECK(btf_raw__size(&f.v.raw, 8) == 4 &&
		      btf_raw__size(&f.v.raw, 6) == 8,
	      "sizes %u %u", btf_raw__size(&f.v.raw, 8),
	      btf_raw__size(&f.v.raw, 6));
	/* an added id without a record */
	err = btf_view_begin(&f.v, 2, ext, sizeof(ext), &d);
	err = err ? err : btf_view_set(&f.v, 8, (const void *)added);
	err = err ? err : btf_view_check(&f.v, &d);
	CHECK(err == -EINVAL, "check: %d", err);
	CHECK_MSG(d.msg, "type [9]: added without a record");
	/* a name past the added strings */
	renamed[0] = rs + sizeof(ext);
	err = btf_view_begin(&f.v, 0, ext, sizeof(ext), &d);
	err = err ? err : btf_view_set(&f.v, 2, (const void *)renamed);
	err = err ? err : btf_view_check(&f.v, &d);
	CHECK(err == -EINVAL, "check: %d", err);
	CHECK_MSG(d.msg, "type [2] STRUCT: name offset 23 past the string "
			 "section (23 bytes)");
	fix_release(&f);
	return 0;
}

static int test_deleted(const char *dir)
{
	uint32_t ptr_int[] = {BTF_PTR_ENC(1)};
	uint32_t ptr_u[] = {BTF_PTR_ENC(5)};
	struct diag d = {""};
	struct fix f;
	int err;

	(void)dir;
	if (fix_init(&f))
		return 1;
	/* u deleted: nothing refers to it */
	err = btf_view_begin(&f.v, 0, NULL, 0, &d);
	err = err ? err : btf_view_delete(&f.v, 5);
	err = err ? err : btf_view_check(&f.v, &d);
	CHECK(!err, "check: %d %s", err, d.msg);
	CHECK(!btf_raw__type(&f.v.raw, 5) && btf_view_deleted(&f.v, 5),
	      "a deleted type is found");
	/* s deleted, its pointer replaced: the typedef still refers to it */
	err = btf_view_begin(&f.v, 0, NULL, 0, &d);
	err = err ? err : btf_view_delete(&f.v, 2);
	err = err ? err : btf_view_set(&f.v, 6, (const void *)ptr_int);
	err = err ? err : btf_view_check(&f.v, &d);
	CHECK(err == -EINVAL, "check: %d", err);
	CHECK_MSG(d.msg, "type [3] refers to type [2], which the view deleted");
	/* a record set that refers to a deleted type */
	err = btf_view_begin(&f.v, 0, NULL, 0, &d);
	err = err ? err : btf_view_delete(&f.v, 5);
	err = err ? err : btf_view_set(&f.v, 6, (const void *)ptr_u);
	err = err ? err : btf_view_check(&f.v, &d);
	CHECK(err == -EINVAL, "check: %d", err);
	CHECK_MSG(d.msg, "type [6] PTR refers to type [5], which the view "
			 "deleted");
	fix_release(&f);
	return 0;
}

static int test_loops(const char *dir)
{
	/* typedef T -> T[2], whose element is T */
	uint32_t t_loop[] = {BTF_TYPEDEF_ENC(S_T, 4)};
	/* ptr -> const -> ptr */
	uint32_t p_loop[] = {BTF_PTR_ENC(7)};
	/* struct s { struct u a; } (8 bytes): u holds T[2] of s */
	uint32_t s_loop[] = {
		BTF_STRUCT_ENC(S_S, 1, 8),
		BTF_MEMBER_ENC(S_A, 5, 0),
	};
	struct diag d = {""};
	struct fix f;
	int err;

	(void)dir;
	if (fix_init(&f))
		return 1;
	err = btf_view_begin(&f.v, 0, NULL, 0, &d);
	err = err ? err : btf_view_set(&f.v, 3, (const void *)t_loop);
	err = err ? err : btf_view_check(&f.v, &d);
	CHECK(err == -ELOOP, "typedef loop: %d %s", err, d.msg);
	CHECK_MSG(d.msg, "reference loop back to itself");
	err = btf_view_begin(&f.v, 0, NULL, 0, &d);
	err = err ? err : btf_view_set(&f.v, 6, (const void *)p_loop);
	err = err ? err : btf_view_check(&f.v, &d);
	CHECK(err == -ELOOP, "pointer loop: %d %s", err, d.msg);
	CHECK_MSG(d.msg, "chain of pointers and modifiers deeper than");
	/* containment through unchanged types back to the changed one */
	err = btf_view_begin(&f.v, 0, NULL, 0, &d);
	err = err ? err : btf_view_set(&f.v, 2, (const void *)s_loop);
	err = err ? err : btf_view_check(&f.v, &d);
	CHECK(err == -ELOOP, "containment loop: %d %s", err, d.msg);
	fix_release(&f);
	return 0;
}

/* A view made from a delta describes the blob the delta decodes to. */
static int delta_case(int corrupt)
{
	/* the reference's types with s grown, u deleted (nothing refers to
	 * it), a struct news added; the typedef, array and pointers stay */
	static const char strs2[] = "\0int\0s\0a\0T\0b\0news";
	static const uint32_t types2[] = {
		BTF_TYPE_INT_ENC(1, BTF_INT_SIGNED, 0, 32, 4),
		BTF_STRUCT_ENC(5, 2, 8),
		BTF_MEMBER_ENC(7, 1, 0),
		BTF_MEMBER_ENC(11, 1, 32),
		BTF_TYPEDEF_ENC(9, 2),
		BTF_TYPE_ARRAY_ENC(3, 1, 2),
		BTF_PTR_ENC(2),
		BTF_CONST_ENC(5),
		BTF_STRUCT_ENC(13, 1, 4),
		BTF_MEMBER_ENC(7, 1, 0),
	};
	struct btf_delta_changes c = {0};
	struct btf_raw b = {0};
	struct diag d = {""};
	uint8_t *blob2;
	size_t n2, enc_sz;
	void *enc = NULL, *recs = NULL;
	uint32_t order[16], blob_id[32], id;
	struct fix f;
	int err;

	if (fix_init(&f))
		return 1;
	blob2 = btf_build(types2, sizeof(types2) / 4, strs2, sizeof(strs2), 0,
			  &n2);
	err = btf_raw__parse(&b, blob2, n2, NULL, &d);
	CHECK(!err, "blob: %s", d.msg);
	err = err ? err
		  : btf_delta__encode(f.blob, f.size, blob2, n2, &enc, &enc_sz,
				      NULL, &d);
	err = err ? err : btf_delta_changes_next(&f.ref, enc, enc_sz, &c, &d);
	if (!err && corrupt == 2) {
		/* crafted: the blob's header in the payload says another
		 * string length: the decoded blob would not parse */
		((struct btf_header *)c.hdr)->str_len += 4;
		err = btf_delta_view(&f.v, &c, &recs, order, blob_id, &d);
		CHECK(err == -EBADMSG, "crafted header: %d", err);
		CHECK_MSG(d.msg, "delta: the blob's header: ");
		goto out;
	}
	if (!err && corrupt) {
		/* crafted: s's member b becomes a T, the typedef of s (its
		 * reference id, 3): s holds itself, the blob is invalid */
		for (id = 1; id <= c.nb; id++)
			if (!c.same[id - 1] && !strcmp(c.name[id - 1], "s"))
				((struct btf_member *)(c.rec[id - 1] + 1))[1]
					.type = 3;
		err = btf_delta_view(&f.v, &c, &recs, order, blob_id, &d);
		CHECK(err == -EBADMSG, "crafted delta: %d", err);
		CHECK_MSG(d.msg, "delta: the blob it describes does not "
				 "validate: type [");
		CHECK_MSG(d.msg, "reference loop back to itself");
		goto out;
	}
	err = err ? err : btf_delta_view(&f.v, &c, &recs, order, blob_id, &d);
	CHECK(!err, "delta view: %d %s", err, d.msg);
	if (err)
		goto out;
	/* u has no partner (deleted), news none in the reference (added) */
	CHECK(btf_view_deleted(&f.v, 5) && btf_raw__type_cnt(&f.v.raw) == 9,
	      "u kept or news not added: %u ids", btf_raw__type_cnt(&f.v.raw));
	CHECK(c.changed >= 2, "%u records changed", c.changed);
	for (id = 1; id <= b.type_cnt; id++) {
		const struct btf_type *bt = btf_raw__type(&b, id);
		const struct btf_type *vt =
			btf_raw__type(&f.v.raw, order[id - 1]);

		CHECK(vt && blob_id[order[id - 1]] == id, "blob id %u", id);
		if (!vt)
			continue;
		CHECK(btf_type_kind(vt) == btf_type_kind(bt) &&
			      btf_type_vlen(vt) == btf_type_vlen(bt) &&
			      !strcmp(btf_raw__str(&f.v.raw, vt->name_off),
				      btf_raw__str(&b, bt->name_off)) &&
			      btf_raw__size(&f.v.raw, order[id - 1]) ==
				      btf_raw__size(&b, id),
		      "blob type [%u] differs in the view ([%u])", id,
		      order[id - 1]);
	}
out:
	btf_delta__changes_release(&c);
	btf_raw__release(&b);
	free(recs);
	free(enc);
	free(blob2);
	fix_release(&f);
	return 0;
}

static int test_delta(const char *dir)
{
	(void)dir;
	return delta_case(0);
}

/* A payload whose changed record makes an invalid blob: refused. */
static int test_delta_bad(const char *dir)
{
	(void)dir;
	return delta_case(1);
}

/* A payload whose blob header does not describe its sections: refused. */
static int test_delta_bad_header(const char *dir)
{
	(void)dir;
	return delta_case(2);
}

static const struct unit_case cases[] = {
	{"changed", test_changed},
	{"size_bounds", test_size_bounds},
	{"added_renamed", test_added_renamed},
	{"deleted", test_deleted},
	{"loops", test_loops},
	{"delta", test_delta},
	{"delta_bad", test_delta_bad},
	{"delta_bad_header", test_delta_bad_header},
};

int main(int argc, char **argv)
{
	return unit_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
