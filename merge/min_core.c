// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * min_core: a target BTF cut down to what CO-RE relocations used.
 *
 * Marking, per resolved relocation (bpftool's btfgen rules):
 * - field: the root and, step by step along the target spec's raw path,
 *   each member used and its type; array steps go to the element type.
 * - type_id_target, type_exists, type_size: the root and what it refers
 *   to, through pointers (a struct or union is kept without members).
 * - type_matches: the root with every member, recursively, except for
 *   composites behind a pointer (kept without members).
 * - enumval_*: the enum with the enumerator used (bpftool keeps them all).
 * Marking a type marks what it needs: mods and typedefs their target,
 * arrays their element and index types, function prototypes their return
 * and parameter types. A pointer keeps its target too, as a struct or
 * union without members at worst (bpftool makes it void *; a typed
 * pointer costs one small record and changes no CO-RE decision: a
 * memberless struct matches no field relocation, and keeps its size).
 * Function prototypes behind a pointer are not kept (void *).
 *
 * Writing: marked ids in id order renumbered from 1, members and
 * enumerators filtered, references remapped (unmarked: 0), names interned.
 * The same marks give the same bytes, whatever the order of recording.
 */
#include "min_core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "formats/mem.h"
#include "formats/strset.h"

enum {
	MK_KEEP = 1,  /* the type is written */
	MK_WHOLE = 2, /* an enum with all its enumerators */
	MK_DEEP = 4,  /* marked with pointers followed */
	MK_MATCH = 8, /* every member marked (type_matches) */
};

struct min_core {
	const struct btf_raw *btf;
	uint32_t cnt;	   /* btf_raw__type_cnt */
	uint8_t *mark;	   /* per id, MK_* */
	uint32_t *bits_at; /* per id: 1 + first word of its member bits */
	uint64_t *bits;	   /* member / enumerator bits, 64 per word */
	size_t bits_len, bits_cap;
	const uint32_t *order; /* ids in writing order; NULL: id order */
	uint32_t order_cnt;
};

struct min_core *min_core__new(const struct btf_raw *targ)
{
	struct min_core *mc = calloc(1, sizeof(*mc));

	if (!mc)
		return NULL;
	mc->btf = targ;
	mc->cnt = btf_raw__type_cnt(targ);
	mc->mark = calloc(mc->cnt, 1);
	mc->bits_at = calloc(mc->cnt, sizeof(*mc->bits_at));
	if (!mc->mark || !mc->bits_at) {
		min_core__free(mc);
		errno = ENOMEM;
		return NULL;
	}
	return mc;
}

void min_core__free(struct min_core *mc)
{
	if (!mc)
		return;
	free(mc->mark);
	free(mc->bits_at);
	free(mc->bits);
	free(mc);
}

void min_core_set_order(struct min_core *mc, const uint32_t *ids, uint32_t n)
{
	mc->order = ids;
	mc->order_cnt = n;
}

static int mark_elem(struct min_core *mc, uint32_t id, uint32_t idx)
{
	const struct btf_type *t = btf_raw__type(mc->btf, id);
	size_t words;

	if (!t || idx >= btf_type_vlen(t))
		return -EINVAL;
	if (!mc->bits_at[id]) {
		words = (btf_type_vlen(t) + 63) / 64;
		if (mem_ensure((void **)&mc->bits, &mc->bits_cap,
			       sizeof(*mc->bits), mc->bits_len + words))
			return -ENOMEM;
		mc->bits_at[id] = (uint32_t)mc->bits_len + 1;
		mc->bits_len += words;
	}
	mc->bits[mc->bits_at[id] - 1 + idx / 64] |= 1ull << (idx % 64);
	return 0;
}

static bool elem_marked(const struct min_core *mc, uint32_t id, uint32_t idx)
{
	if (!mc->bits_at[id])
		return false;
	return mc->bits[mc->bits_at[id] - 1 + idx / 64] >> (idx % 64) & 1;
}

static uint32_t kind_of(const struct min_core *mc, uint32_t id)
{
	const struct btf_type *t = btf_raw__type(mc->btf, id);

	return t ? btf_type_kind(t) : BTF_KIND_UNKN;
}

/* bpftool's btfgen_mark_type, with pointer targets kept (see above). */
static int mark_type(struct min_core *mc, uint32_t id, bool follow, int depth)
{
	const struct btf_type *t;
	uint32_t k, i;
	int err;

	if (!id || id >= mc->cnt)
		return 0;
	if (depth > 4 * BTF_RAW_MAX_DEPTH)
		return -ELOOP;
	t = btf_raw__type(mc->btf, id);
	k = btf_type_kind(t);
	if (k == BTF_KIND_ENUM || k == BTF_KIND_ENUM64) {
		mc->mark[id] |= MK_KEEP | MK_WHOLE;
		return 0;
	}
	if ((mc->mark[id] & MK_KEEP) && (!follow || (mc->mark[id] & MK_DEEP)))
		return 0;
	mc->mark[id] |= MK_KEEP | (follow ? MK_DEEP : 0);
	switch (k) {
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_FWD:
		return 0;
	case BTF_KIND_PTR:
		if (!follow && kind_of(mc, t->type) == BTF_KIND_FUNC_PROTO)
			return 0;
		return mark_type(mc, t->type, follow, depth + 1);
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_TYPE_TAG:
		return mark_type(mc, t->type, follow, depth + 1);
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = (const void *)(t + 1);

		err = mark_type(mc, a->type, follow, depth + 1);
		return err ? err
			   : mark_type(mc, a->index_type, follow, depth + 1);
	}
	case BTF_KIND_FUNC_PROTO: {
		const struct btf_param *p = (const void *)(t + 1);

		err = mark_type(mc, t->type, follow, depth + 1);
		for (i = 0; !err && i < btf_type_vlen(t); i++)
			err = mark_type(mc, p[i].type, follow, depth + 1);
		return err;
	}
	default:
		/* VAR, DATASEC, FUNC, DECL_TAG: no CO-RE relocation
		 * reaches them; nothing refers to them but tags */
		return -EINVAL;
	}
}

/* bpftool's btfgen_mark_type_match: members of what is not behind a
 * pointer, recursively. */
static int mark_match(struct min_core *mc, uint32_t id, bool behind_ptr,
		      int depth)
{
	const struct btf_type *t;
	uint32_t i;
	int err;

	if (!id || id >= mc->cnt)
		return 0;
	if (depth > 4 * BTF_RAW_MAX_DEPTH)
		return -ELOOP;
	t = btf_raw__type(mc->btf, id);
	switch (btf_type_kind(t)) {
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		const struct btf_member *m = (const void *)(t + 1);

		mc->mark[id] |= MK_KEEP;
		if (behind_ptr || (mc->mark[id] & MK_MATCH))
			return 0;
		mc->mark[id] |= MK_MATCH;
		for (i = 0; i < btf_type_vlen(t); i++) {
			err = mark_elem(mc, id, i);
			err = err ? err
				  : mark_match(mc, m[i].type, false, depth + 1);
			if (err)
				return err;
		}
		return 0;
	}
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_TYPE_TAG:
		mc->mark[id] |= MK_KEEP;
		return mark_match(mc, t->type, behind_ptr, depth + 1);
	case BTF_KIND_PTR:
		mc->mark[id] |= MK_KEEP;
		return mark_match(mc, t->type, true, depth + 1);
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = (const void *)(t + 1);

		mc->mark[id] |= MK_KEEP;
		err = mark_match(mc, a->type, false, depth + 1);
		return err ? err
			   : mark_match(mc, a->index_type, false, depth + 1);
	}
	case BTF_KIND_FUNC_PROTO: {
		const struct btf_param *p = (const void *)(t + 1);

		mc->mark[id] |= MK_KEEP;
		err = mark_match(mc, t->type, false, depth + 1);
		for (i = 0; !err && i < btf_type_vlen(t); i++)
			err = mark_match(mc, p[i].type, false, depth + 1);
		return err;
	}
	default:
		return mark_type(mc, id, false, depth + 1);
	}
}

static int record_field(struct min_core *mc, const struct core_spec *s)
{
	uint32_t id = s->root_type_id, i;
	const struct btf_type *t;
	int err;

	err = mark_type(mc, id, false, 0);
	for (i = 1; !err && i < s->raw_len; i++) {
		t = btf_raw__type(mc->btf, id);
		while (t && btf_type_kind(t) != BTF_KIND_STRUCT &&
		       btf_type_kind(t) != BTF_KIND_UNION &&
		       btf_type_kind(t) != BTF_KIND_ARRAY) {
			uint32_t k = btf_type_kind(t);

			if (k != BTF_KIND_TYPEDEF && k != BTF_KIND_CONST &&
			    k != BTF_KIND_VOLATILE && k != BTF_KIND_RESTRICT &&
			    k != BTF_KIND_TYPE_TAG)
				return -EINVAL;
			id = t->type;
			t = btf_raw__type(mc->btf, id);
		}
		if (!t)
			return -EINVAL;
		if (btf_type_kind(t) == BTF_KIND_ARRAY) {
			id = ((const struct btf_array *)(t + 1))->type;
			continue;
		}
		err = mark_elem(mc, id, s->raw[i]);
		if (err)
			return err;
		id = ((const struct btf_member *)(t + 1))[s->raw[i]].type;
		err = mark_type(mc, id, false, 0);
	}
	return err;
}

static int record_enumval(struct min_core *mc, const struct core_spec *s)
{
	uint32_t id = s->root_type_id;
	const struct btf_type *t = btf_raw__type(mc->btf, id);

	/* the chain of typedefs and mods to the enum, then one enumerator */
	while (t && btf_type_kind(t) != BTF_KIND_ENUM &&
	       btf_type_kind(t) != BTF_KIND_ENUM64) {
		mc->mark[id] |= MK_KEEP;
		id = t->type;
		t = btf_raw__type(mc->btf, id);
	}
	if (!t || id != s->spec[0].type_id)
		return -EINVAL;
	mc->mark[id] |= MK_KEEP;
	return mark_elem(mc, id, s->spec[0].idx);
}

static int record_spec(struct min_core *mc, uint32_t kind,
		       const struct core_spec *s)
{
	switch (kind) {
	case BPF_OBJ_FIELD_BYTE_OFFSET:
	case BPF_OBJ_FIELD_BYTE_SIZE:
	case BPF_OBJ_FIELD_EXISTS:
	case BPF_OBJ_FIELD_SIGNED:
	case BPF_OBJ_FIELD_LSHIFT_U64:
	case BPF_OBJ_FIELD_RSHIFT_U64:
		return record_field(mc, s);
	case BPF_OBJ_TYPE_ID_TARGET:
	case BPF_OBJ_TYPE_EXISTS:
	case BPF_OBJ_TYPE_SIZE:
		return mark_type(mc, s->root_type_id, true, 0);
	case BPF_OBJ_TYPE_MATCHES:
		return mark_match(mc, s->root_type_id, false, 0);
	case BPF_OBJ_ENUMVAL_EXISTS:
	case BPF_OBJ_ENUMVAL_VALUE:
		return record_enumval(mc, s);
	default:
		return 0;
	}
}

int min_core__record(struct min_core *mc, uint32_t kind,
		     const struct core_res *res)
{
	int err = 0;

	if (res->outcome == CORE_RESOLVED || res->outcome == CORE_AMBIGUOUS)
		err = record_spec(mc, kind, &res->targ);
	if (!err && res->outcome == CORE_AMBIGUOUS)
		err = record_spec(mc, kind, &res->other);
	return err;
}

struct remap {
	const struct btf_raw *btf;
	const uint32_t *new_id;
	struct strset ss;
};

static int remap_id(uint32_t *id, void *ctx)
{
	const struct remap *r = ctx;

	*id = *id < btf_raw__type_cnt(r->btf) ? r->new_id[*id] : 0;
	return 0;
}

static int remap_str(uint32_t *off, void *ctx)
{
	struct remap *r = ctx;
	const char *s = btf_raw__str(r->btf, *off);
	int64_t o;

	if (!s)
		return -EINVAL;
	o = strset__add(&r->ss, s, strlen(s));
	if (o < 0)
		return (int)o;
	*off = (uint32_t)o;
	return 0;
}

int min_core__write(struct min_core *mc, void **out, size_t *out_sz,
		    uint32_t *type_cnt, struct diag *d)
{
	struct remap r = {.btf = mc->btf};
	uint32_t *new_id = NULL, id, next = 1, pos, n_ids;
	uint8_t *types = NULL;
	size_t len = 0, cap = 0;
	struct btf_raw check = {0};
	int err = -ENOMEM;

	*out = NULL;
	new_id = calloc(mc->cnt, sizeof(*new_id));
	if (!new_id || strset__init(&r.ss, 0))
		goto out;
	r.new_id = new_id;
	n_ids = mc->order ? mc->order_cnt : mc->cnt - 1;
	for (pos = 0; pos < n_ids; pos++) {
		id = mc->order ? mc->order[pos] : pos + 1;
		if (id < mc->cnt && (mc->mark[id] & MK_KEEP))
			new_id[id] = next++;
	}
	for (pos = 0; pos < n_ids; pos++) {
		const struct btf_type *t;
		uint32_t k, rs, vlen, i, n = 0, esz;
		struct btf_type *o;
		bool filter;

		id = mc->order ? mc->order[pos] : pos + 1;
		if (id >= mc->cnt || !(mc->mark[id] & MK_KEEP))
			continue;
		t = btf_raw__type(mc->btf, id);
		k = btf_type_kind(t);
		rs = btf_raw__rec_size(t, UINT32_MAX);
		vlen = btf_type_vlen(t);
		filter = k == BTF_KIND_STRUCT || k == BTF_KIND_UNION ||
			 ((k == BTF_KIND_ENUM || k == BTF_KIND_ENUM64) &&
			  !(mc->mark[id] & MK_WHOLE));
		if (mem_ensure((void **)&types, &cap, 1, len + rs))
			goto out;
		o = (struct btf_type *)(types + len);
		if (!filter) {
			memcpy(o, t, rs);
			len += rs;
		} else {
			esz = k == BTF_KIND_ENUM ? sizeof(struct btf_enum)
			      : k == BTF_KIND_ENUM64
				      ? sizeof(struct btf_enum64)
				      : sizeof(struct btf_member);
			memcpy(o, t, sizeof(*t));
			for (i = 0; i < vlen; i++) {
				if (!elem_marked(mc, id, i))
					continue;
				memcpy((uint8_t *)(o + 1) + n * esz,
				       (const uint8_t *)(t + 1) + i * esz, esz);
				n++;
			}
			o->info = btf_type_info(k, n, btf_type_kflag(t));
			len += sizeof(*t) + n * esz;
		}
		btf_type_visit_ids(o, remap_id, &r);
		err = btf_type_visit_strs(o, remap_str, &r);
		if (err)
			goto out;
		err = -ENOMEM;
	}
	*out = btf_raw__write(types, (uint32_t)len, r.ss.data,
			      (uint32_t)r.ss.len, out_sz);
	if (!*out)
		goto out;
	err = btf_raw__parse(&check, *out, *out_sz, NULL, d);
	if (err) {
		diag_prefix(d, "minimised BTF does not validate: ");
		free(*out);
		*out = NULL;
		err = -EINVAL;
		goto out;
	}
	if (type_cnt)
		*type_cnt = next - 1;
	err = 0;
out:
	if (err == -ENOMEM)
		diag_set(d, "out of memory");
	btf_raw__release(&check);
	strset__release(&r.ss);
	free(new_id);
	free(types);
	return err;
}
