// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * CO-RE relocations (merge/core_relo) and the minimised BTF (merge/min_core)
 * on a local "object" BTF and a target BTF built in code: every relocation
 * kind, flavours, nested anonymous members, arrays, bitfields, enums,
 * missing fields and ambiguous candidates.
 */
#include <errno.h>

#include "formats/bpf_obj.h"
#include "merge/core_relo.h"
#include "merge/min_core.h"
#include "tests/unit/btf_build.h"
#include "tests/unit/unit.h"

#define TARG_AMB 56 /* "amb" in targ_src's strings */

/* clang-format off */
/* the object's types, as clang would write them (preserve_access_index) */
static const struct btf_src local_src = {
	BTF_STR_SEC("\0int\0task\0pid\0flags\0arr\0e\0A\0B\0task___v2\0x\0bf\0u\0s\0amb\0f\0gone"
		    "\0" "0:0\0" "0:1\0" "0:2\0" "0:2:1\0" "0\0" "1\0" "0:0:1"),
	.types = {
		/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
		/* [2] */ BTF_STRUCT_ENC(NAME_TBD, 3, 16),	/* task */
			BTF_MEMBER_ENC(NAME_TBD, 1, 0),		/* pid */
			BTF_MEMBER_ENC(NAME_TBD, 1, 32),	/* flags */
			BTF_MEMBER_ENC(NAME_TBD, 3, 64),	/* arr */
		/* [3] */ BTF_TYPE_ARRAY_ENC(1, 1, 2),
		/* [4] */ BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_ENUM, 0, 2), 4),
			BTF_ENUM_ENC(NAME_TBD, 0),		/* A */
			BTF_ENUM_ENC(NAME_TBD, 1),		/* B */
		/* [5] */ BTF_STRUCT_ENC(NAME_TBD, 1, 4),	/* task___v2 */
			BTF_MEMBER_ENC(NAME_TBD, 1, 0),		/* x */
		/* [6] */ BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_STRUCT, 1, 2), 4),
			BTF_MEMBER_ENC(NAME_TBD, 1, BTF_MEMBER_OFFSET(3, 0)),	/* u */
			BTF_MEMBER_ENC(NAME_TBD, 1, BTF_MEMBER_OFFSET(5, 3)),	/* s */
		/* [7] */ BTF_STRUCT_ENC(NAME_TBD, 1, 4),	/* amb */
			BTF_MEMBER_ENC(NAME_TBD, 1, 0),		/* f */
		/* [8] */ BTF_STRUCT_ENC(NAME_TBD, 0, 0),	/* gone */
		BTF_END_RAW,
	},
};

/* the kernel's: members moved, an anonymous union, a bigger array, the
 * bitfield s across a 32-bit boundary, enum values changed and A gone,
 * two structs amb that disagree, no struct gone */
static const struct btf_src targ_src = {
	BTF_STR_SEC("\0int\0unsigned int\0task\0pad\0flags\0arr\0pid\0x\0e\0B\0C\0bf\0s\0u\0amb\0f\0g\0f"),
	.types = {
		/* [1] */ BTF_TYPE_INT_ENC(NAME_TBD, BTF_INT_SIGNED, 0, 32, 4),
		/* [2] */ BTF_TYPE_INT_ENC(NAME_TBD, 0, 0, 32, 4),
		/* [3] */ BTF_STRUCT_ENC(NAME_TBD, 4, 48),	/* task */
			BTF_MEMBER_ENC(NAME_TBD, 2, 0),		/* pad */
			BTF_MEMBER_ENC(0, 4, 64),		/* union { pid; x; } */
			BTF_MEMBER_ENC(NAME_TBD, 2, 128),	/* flags */
			BTF_MEMBER_ENC(NAME_TBD, 5, 192),	/* arr */
		/* [4] */ BTF_UNION_ENC(0, 2, 4),
			BTF_MEMBER_ENC(NAME_TBD, 1, 0),		/* pid */
			BTF_MEMBER_ENC(NAME_TBD, 1, 0),		/* x */
		/* [5] */ BTF_TYPE_ARRAY_ENC(1, 1, 4),
		/* [6] */ BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_ENUM, 0, 2), 4),
			BTF_ENUM_ENC(NAME_TBD, 7),		/* B */
			BTF_ENUM_ENC(NAME_TBD, 8),		/* C */
		/* [7] */ BTF_TYPE_ENC(NAME_TBD, BTF_INFO_ENC(BTF_KIND_STRUCT, 1, 2), 16),
			BTF_MEMBER_ENC(NAME_TBD, 1, BTF_MEMBER_OFFSET(5, 30)),	/* s */
			BTF_MEMBER_ENC(NAME_TBD, 2, BTF_MEMBER_OFFSET(3, 40)),	/* u */
		/* [8] */ BTF_STRUCT_ENC(NAME_TBD, 1, 8),	/* amb */
			BTF_MEMBER_ENC(NAME_TBD, 1, 0),		/* f */
		/* [9] */ BTF_STRUCT_ENC(TARG_AMB, 2, 8),	/* amb again */
			BTF_MEMBER_ENC(NAME_TBD, 1, 0),		/* g */
			BTF_MEMBER_ENC(NAME_TBD, 1, 32),	/* f */
		BTF_END_RAW,
	},
};
/* clang-format on */

/* access string offsets in local_src's strings */
static uint32_t acc_off(const struct btf_raw *b, const char *s)
{
	uint32_t off;

	for (off = 0; off < b->str_len;
	     off += (uint32_t)strlen(b->strs + off) + 1)
		if (!strcmp(b->strs + off, s))
			return off;
	fprintf(stderr, "no string %s\n", s);
	exit(1);
}

struct fix {
	uint8_t *lblob, *tblob;
	struct btf_raw tb;
	struct bpf_obj obj;
	struct bpf_obj_sec sec;
	struct core_target *tg;
};

static void fix_init(struct fix *f)
{
	struct diag d = {""};
	size_t ls, ts;

	memset(f, 0, sizeof(*f));
	f->lblob = btf_src__build(&local_src, 0, &ls);
	f->tblob = btf_src__build(&targ_src, 0, &ts);
	if (btf_raw__parse(&f->obj.btf, f->lblob, ls, NULL, &d) ||
	    btf_raw__parse(&f->tb, f->tblob, ts, NULL, &d)) {
		fprintf(stderr, "fixture BTF does not parse: %s\n", d.msg);
		exit(1);
	}
	f->sec.name = "kprobe/x";
	f->obj.secs = &f->sec;
	f->obj.sec_cnt = 1;
	f->tg = core_target__new(&f->tb);
}

static void fix_fini(struct fix *f)
{
	core_target__free(f->tg);
	btf_raw__release(&f->obj.btf);
	btf_raw__release(&f->tb);
	free(f->lblob);
	free(f->tblob);
}

/* Resolves one relocation with a fresh candidate cache. */
static int resolve(struct fix *f, uint32_t type_id, const char *acc,
		   uint32_t kind, struct core_res *res, struct diag *d)
{
	struct bpf_obj_relo r = {0, type_id, acc_off(&f->obj.btf, acc), kind,
				 0};
	struct core_cands *cc = core_cands__new(&f->obj.btf);
	int err = core_relo__resolve(f->tg, cc, &f->obj, &r, res, d);

	core_cands__free(cc);
	return err;
}

static struct core_res res;

#define EXPECT(type_id, acc, kind, outcome_, val)                              \
	do {                                                                   \
		struct diag d_ = {""};                                         \
		int e_ = resolve(&f, type_id, acc, kind, &res, &d_);           \
		CHECK(e_ == 0, "%s %s: %d %s", acc, #kind, e_, d_.msg);        \
		CHECK(res.outcome == (outcome_), "%s %s: outcome %d", acc,     \
		      #kind, res.outcome);                                     \
		CHECK(res.targ_val == (uint64_t)(val),                         \
		      "%s %s: %llu, want %llu", acc, #kind,                    \
		      (unsigned long long)res.targ_val,                        \
		      (unsigned long long)(val));                              \
	} while (0)

static int test_field(const char *dir)
{
	struct fix f;

	fix_init(&f);
	/* task.pid: through the anonymous union, at byte 8 */
	EXPECT(2, "0:0", BPF_OBJ_FIELD_BYTE_OFFSET, CORE_RESOLVED, 8);
	CHECK(res.targ.raw_len == 3 && res.targ.raw[1] == 1 &&
		      res.targ.raw[2] == 0,
	      "raw path through the union");
	CHECK(res.local_val == 0, "local offset %llu",
	      (unsigned long long)res.local_val);
	EXPECT(2, "0:0", BPF_OBJ_FIELD_BYTE_SIZE, CORE_RESOLVED, 4);
	EXPECT(2, "0:0", BPF_OBJ_FIELD_EXISTS, CORE_RESOLVED, 1);
	EXPECT(2, "0:0", BPF_OBJ_FIELD_SIGNED, CORE_RESOLVED, 1);
	/* task.flags became unsigned int at byte 16 */
	EXPECT(2, "0:1", BPF_OBJ_FIELD_BYTE_OFFSET, CORE_RESOLVED, 16);
	EXPECT(2, "0:1", BPF_OBJ_FIELD_SIGNED, CORE_RESOLVED, 0);
	EXPECT(2, "0:1", BPF_OBJ_FIELD_LSHIFT_U64, CORE_RESOLVED, 32);
	EXPECT(2, "0:1", BPF_OBJ_FIELD_RSHIFT_U64, CORE_RESOLVED, 32);
	fix_fini(&f);
	return 0;
}

static int test_flavour(const char *dir)
{
	struct fix f;

	fix_init(&f);
	/* task___v2.x matches task (the x of the union) */
	EXPECT(5, "0:0", BPF_OBJ_FIELD_BYTE_OFFSET, CORE_RESOLVED, 8);
	CHECK(res.targ.root_type_id == 3, "candidate [%u]",
	      res.targ.root_type_id);
	EXPECT(5, "0", BPF_OBJ_TYPE_SIZE, CORE_RESOLVED, 48);
	fix_fini(&f);
	return 0;
}

static int test_array(const char *dir)
{
	struct fix f;

	fix_init(&f);
	/* task.arr[1]: 24 + 4 */
	EXPECT(2, "0:2:1", BPF_OBJ_FIELD_BYTE_OFFSET, CORE_RESOLVED, 28);
	EXPECT(2, "0:2:1", BPF_OBJ_FIELD_BYTE_SIZE, CORE_RESOLVED, 4);
	EXPECT(2, "0:2", BPF_OBJ_FIELD_BYTE_SIZE, CORE_RESOLVED, 16);
	fix_fini(&f);
	return 0;
}

static int test_bitfield(const char *dir)
{
	struct fix f;

	fix_init(&f);
	/* u: 3 bits at bit 40 of an unsigned int: load 4 bytes at 4 */
	EXPECT(6, "0:0", BPF_OBJ_FIELD_BYTE_OFFSET, CORE_RESOLVED, 4);
	EXPECT(6, "0:0", BPF_OBJ_FIELD_BYTE_SIZE, CORE_RESOLVED, 4);
	EXPECT(6, "0:0", BPF_OBJ_FIELD_LSHIFT_U64, CORE_RESOLVED, 64 - 11);
	EXPECT(6, "0:0", BPF_OBJ_FIELD_RSHIFT_U64, CORE_RESOLVED, 61);
	EXPECT(6, "0:0", BPF_OBJ_FIELD_SIGNED, CORE_RESOLVED, 0);
	/* s: 5 bits at bit 30 cross 32: an 8-byte load at 0 */
	EXPECT(6, "0:1", BPF_OBJ_FIELD_BYTE_OFFSET, CORE_RESOLVED, 0);
	EXPECT(6, "0:1", BPF_OBJ_FIELD_BYTE_SIZE, CORE_RESOLVED, 8);
	EXPECT(6, "0:1", BPF_OBJ_FIELD_LSHIFT_U64, CORE_RESOLVED, 64 - 35);
	EXPECT(6, "0:1", BPF_OBJ_FIELD_RSHIFT_U64, CORE_RESOLVED, 59);
	EXPECT(6, "0:1", BPF_OBJ_FIELD_SIGNED, CORE_RESOLVED, 1);
	fix_fini(&f);
	return 0;
}

static int test_enum(const char *dir)
{
	struct fix f;

	fix_init(&f);
	/* e::B is 7 there; e::A is gone */
	EXPECT(4, "1", BPF_OBJ_ENUMVAL_VALUE, CORE_RESOLVED, 7);
	EXPECT(4, "1", BPF_OBJ_ENUMVAL_EXISTS, CORE_RESOLVED, 1);
	EXPECT(4, "0", BPF_OBJ_ENUMVAL_EXISTS, CORE_NO_MATCH, 0);
	EXPECT(4, "0", BPF_OBJ_ENUMVAL_VALUE, CORE_NO_MATCH, 0);
	CHECK(res.poison, "enumval_value of a missing enumerator poisons");
	fix_fini(&f);
	return 0;
}

static int test_type(const char *dir)
{
	struct fix f;

	fix_init(&f);
	EXPECT(2, "0", BPF_OBJ_TYPE_EXISTS, CORE_RESOLVED, 1);
	EXPECT(2, "0", BPF_OBJ_TYPE_SIZE, CORE_RESOLVED, 48);
	EXPECT(2, "0", BPF_OBJ_TYPE_ID_TARGET, CORE_RESOLVED, 3);
	EXPECT(2, "0", BPF_OBJ_TYPE_ID_LOCAL, CORE_LOCAL, 2);
	/* task matches: pid, flags (int vs unsigned int: no), arr */
	EXPECT(2, "0", BPF_OBJ_TYPE_MATCHES, CORE_NO_MATCH, 0);
	EXPECT(4, "0", BPF_OBJ_TYPE_MATCHES, CORE_NO_MATCH, 0);
	EXPECT(8, "0", BPF_OBJ_TYPE_EXISTS, CORE_NO_MATCH, 0);
	CHECK(!res.poison, "type_exists of a missing type is 0, not poison");
	fix_fini(&f);
	return 0;
}

static int test_missing(const char *dir)
{
	struct fix f;

	fix_init(&f);
	EXPECT(8, "0", BPF_OBJ_TYPE_SIZE, CORE_NO_MATCH, 0);
	/* bf.s exists, but as a field of gone: no candidate */
	EXPECT(8, "0", BPF_OBJ_TYPE_ID_TARGET, CORE_NO_MATCH, 0);
	CHECK(res.cand_cnt == 0, "%u candidates", res.cand_cnt);
	fix_fini(&f);
	return 0;
}

static int test_ambiguous(const char *dir)
{
	struct fix f;

	fix_init(&f);
	/* amb.f at 0 in [8], at 4 in [9] */
	EXPECT(7, "0:0", BPF_OBJ_FIELD_BYTE_OFFSET, CORE_AMBIGUOUS, 0);
	CHECK(res.offset_ambiguity, "an offset ambiguity");
	CHECK(res.targ.root_type_id == 8 && res.other.root_type_id == 9,
	      "candidates [%u] [%u]", res.targ.root_type_id,
	      res.other.root_type_id);
	/* existence agrees, so does size: no ambiguity for type_size */
	EXPECT(7, "0", BPF_OBJ_TYPE_SIZE, CORE_RESOLVED, 8);
	fix_fini(&f);
	return 0;
}

static int test_bad_access(const char *dir)
{
	uint32_t idx[4], n;
	struct fix f;
	struct diag d = {""};

	CHECK(bpf_obj__parse_access("0:1:2", idx, 4, &n) == 0 && n == 3,
	      "0:1:2");
	CHECK(bpf_obj__parse_access("", idx, 4, &n) == -EINVAL, "empty");
	CHECK(bpf_obj__parse_access(":0", idx, 4, &n) == -EINVAL, ":0");
	CHECK(bpf_obj__parse_access("0:", idx, 4, &n) == -EINVAL, "0:");
	CHECK(bpf_obj__parse_access("0::1", idx, 4, &n) == -EINVAL, "0::1");
	CHECK(bpf_obj__parse_access("0:-1", idx, 4, &n) == -EINVAL, "0:-1");
	CHECK(bpf_obj__parse_access("0:1:2:3:4", idx, 4, &n) == -E2BIG, "5");
	fix_init(&f);
	/* a type relocation with a field path; a member past the struct */
	CHECK(resolve(&f, 2, "0:1", BPF_OBJ_TYPE_SIZE, &res, &d) == -EINVAL,
	      "type relo with 0:1");
	CHECK_MSG(d.msg, "expected \"0\"");
	CHECK(resolve(&f, 5, "0:2:1", BPF_OBJ_FIELD_BYTE_OFFSET, &res, &d) ==
		      -EINVAL,
	      "member 2 of task___v2");
	CHECK_MSG(d.msg, "member 2 of [5], which has 1");
	fix_fini(&f);
	return 0;
}

/* A text dump of a blob, one line per type. */
static void dump(const struct btf_raw *b, char *out, size_t sz)
{
	uint32_t id, i;
	size_t len = 0;

	out[0] = '\0';
	for (id = 1; id < btf_raw__type_cnt(b); id++) {
		const struct btf_type *t = btf_raw__type(b, id);
		const char *name = btf_raw__str(b, t->name_off);

		len += snprintf(out + len, sz - len, "[%u] %s '%s' %u", id,
				btf_kind_name(btf_type_kind(t)), name, t->size);
		if (btf_type_kind(t) == BTF_KIND_STRUCT ||
		    btf_type_kind(t) == BTF_KIND_UNION)
			for (i = 0; i < btf_type_vlen(t); i++) {
				const struct btf_member *m =
					(const void *)(t + 1);

				len += snprintf(out + len, sz - len,
						" %s:%u@%u",
						btf_raw__str(b, m[i].name_off),
						m[i].type, m[i].offset);
			}
		if (btf_type_kind(t) == BTF_KIND_ENUM)
			for (i = 0; i < btf_type_vlen(t); i++) {
				const struct btf_enum *e =
					(const void *)(t + 1);

				len += snprintf(out + len, sz - len, " %s=%d",
						btf_raw__str(b, e[i].name_off),
						e[i].val);
			}
		len += snprintf(out + len, sz - len, "\n");
	}
}

static int test_min_core(const char *dir)
{
	static const struct {
		uint32_t type_id;
		const char *acc;
		uint32_t kind;
	} relos[] = {
		{2, "0:0", BPF_OBJ_FIELD_BYTE_OFFSET},
		{2, "0:2:1", BPF_OBJ_FIELD_BYTE_OFFSET},
		{6, "0:1", BPF_OBJ_FIELD_LSHIFT_U64},
		{4, "1", BPF_OBJ_ENUMVAL_VALUE},
		{8, "0", BPF_OBJ_TYPE_EXISTS},
	};
	char text[4096];
	void *out[2];
	size_t sz[2], i;
	struct btf_raw m = {0};
	struct diag d = {""};
	struct fix f;
	int pass;

	fix_init(&f);
	for (pass = 0; pass < 2; pass++) {
		struct min_core *mc = min_core__new(&f.tb);

		for (i = 0; i < 5; i++) {
			size_t k = pass ? 4 - i : i; /* reverse order */

			CHECK(resolve(&f, relos[k].type_id, relos[k].acc,
				      relos[k].kind, &res, &d) == 0,
			      "%s", d.msg);
			CHECK(min_core__record(mc, relos[k].kind, &res) == 0,
			      "record");
		}
		CHECK(min_core__write(mc, &out[pass], &sz[pass], NULL, &d) == 0,
		      "write: %s", d.msg);
		min_core__free(mc);
	}
	CHECK(sz[0] == sz[1] && !memcmp(out[0], out[1], sz[0]),
	      "same marks in another order, other bytes");
	CHECK(btf_raw__parse(&m, out[0], sz[0], NULL, &d) == 0, "%s", d.msg);
	dump(&m, text, sizeof(text));
	/* task keeps the union holding pid and arr, at their offsets, and
	 * its size; e only B; bf only s (5 bits at 30); no struct gone */
	CHECK(!strcmp(text, "[1] INT 'int' 4\n"
			    "[2] STRUCT 'task' 48 :3@64 arr:4@192\n"
			    "[3] UNION '' 4 pid:1@0\n"
			    "[4] ARRAY '' 0\n"
			    "[5] ENUM 'e' 4 B=7\n"
			    "[6] STRUCT 'bf' 16 s:1@83886110\n"),
	      "min blob:\n%s", text);
	btf_raw__release(&m);
	free(out[0]);
	free(out[1]);
	fix_fini(&f);
	return 0;
}

static const struct unit_case cases[] = {
	{"field", test_field},
	{"flavour", test_flavour},
	{"array", test_array},
	{"bitfield", test_bitfield},
	{"enum", test_enum},
	{"type", test_type},
	{"missing", test_missing},
	{"ambiguous", test_ambiguous},
	{"bad_access", test_bad_access},
	{"min_core", test_min_core},
};

int main(int argc, char **argv)
{
	return unit_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
