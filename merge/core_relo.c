// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * core_relo: CO-RE relocations resolved offline, by libbpf 1.1's rules
 * (relo_core.c and the candidate search of libbpf.c), re-implemented on
 * btf_raw.
 *
 * Per relocation:
 * 1. Local spec: the access string walked through the object's BTF from
 *    the root (mods and typedefs skipped): member steps add their bit
 *    offset, named ones become accessors; array steps add index * element
 *    size. Enum value relocations name one enumerator; type relocations
 *    take the access string "0" only.
 * 2. Candidates: target types whose kind is the root's (enum and enum64
 *    count as one) and whose name equals the root's up to the "___"
 *    flavour suffix, in id order; the object's cache narrows a root's list
 *    to the candidates that matched once one did.
 * 3. Match each candidate: members by exact name, searched through
 *    anonymous members, field types compatible (composite with composite,
 *    int with int, pointers, same-named enums, arrays of such); array
 *    steps within bounds (a flexible last member has none); enumerators by
 *    essential name; type relocations by compatibility, or for
 *    type_matches by libbpf's stricter match.
 * 4. Values from the local and the target spec (byte offset, size,
 *    existence, signedness, shifts of the smallest load that covers a
 *    bitfield; type id, existence, size; enumerator existence, value).
 *    Every matching candidate must give the first one's bit offset and
 *    value, else the relocation is ambiguous. No match: the *_exists and
 *    type kinds give 0, the others are poisoned.
 * Shifts are those of a little-endian target.
 */
#include "core_relo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/mem.h"

#define CORE_DEPTH 32 /* libbpf's recursion limit in compat and match */

static const struct btf_type void_type;

/* Type by id, id 0 being void (kind 0), as libbpf's btf__type_by_id. */
static const struct btf_type *ty(const struct btf_raw *btf, uint32_t id)
{
	if (!id)
		return &void_type;
	return btf_raw__type(btf, id);
}

static bool is_mod(uint32_t k)
{
	return k == BTF_KIND_CONST || k == BTF_KIND_VOLATILE ||
	       k == BTF_KIND_RESTRICT || k == BTF_KIND_TYPE_TAG;
}

static bool is_composite(const struct btf_type *t)
{
	uint32_t k = btf_type_kind(t);

	return k == BTF_KIND_STRUCT || k == BTF_KIND_UNION;
}

static bool is_any_enum(const struct btf_type *t)
{
	uint32_t k = btf_type_kind(t);

	return k == BTF_KIND_ENUM || k == BTF_KIND_ENUM64;
}

static bool kind_compat(const struct btf_type *a, const struct btf_type *b)
{
	return btf_type_kind(a) == btf_type_kind(b) ||
	       (is_any_enum(a) && is_any_enum(b));
}

/* Skips mods and typedefs; *res_id (may be NULL) gets the id reached,
 * always. NULL past a broken chain (btf_raw validated: does not happen). */
static const struct btf_type *skip_mods_typedefs(const struct btf_raw *btf,
						 uint32_t id, uint32_t *res_id)
{
	const struct btf_type *t = ty(btf, id);
	int n = 0;

	while (t && (is_mod(btf_type_kind(t)) ||
		     btf_type_kind(t) == BTF_KIND_TYPEDEF)) {
		if (++n > BTF_RAW_MAX_DEPTH * 4) {
			t = NULL;
			break;
		}
		id = t->type;
		t = ty(btf, id);
	}
	if (res_id)
		*res_id = id;
	return t;
}

/* libbpf's btf__resolve_size: -EINVAL for what has no size. */
static int64_t resolve_size(const struct btf_raw *btf, uint32_t id)
{
	const struct btf_type *t = skip_mods_typedefs(btf, id, &id);
	uint32_t k;

	if (!t)
		return -EINVAL;
	k = btf_type_kind(t);
	switch (k) {
	case BTF_KIND_INT:
	case BTF_KIND_PTR:
	case BTF_KIND_ARRAY:
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_FLOAT:
	case BTF_KIND_DATASEC:
		return btf_raw__size(btf, id);
	default:
		return -EINVAL;
	}
}

static const struct btf_member *members(const struct btf_type *t)
{
	return (const struct btf_member *)(t + 1);
}

static uint32_t member_bit_off(const struct btf_type *t, uint32_t i)
{
	uint32_t o = members(t)[i].offset;

	return btf_type_kflag(t) ? BTF_MEMBER_BIT_OFFSET(o) : o;
}

static uint32_t member_bitfield_sz(const struct btf_type *t, uint32_t i)
{
	uint32_t o = members(t)[i].offset;

	return btf_type_kflag(t) ? BTF_MEMBER_BITFIELD_SIZE(o) : 0;
}

static uint32_t int_word(const struct btf_type *t)
{
	uint32_t w;

	memcpy(&w, t + 1, 4);
	return w;
}

static uint32_t enum_name_off(const struct btf_type *t, uint32_t i)
{
	if (btf_type_kind(t) == BTF_KIND_ENUM)
		return ((const struct btf_enum *)(t + 1))[i].name_off;
	return ((const struct btf_enum64 *)(t + 1))[i].name_off;
}

static const char *str(const struct btf_raw *btf, uint32_t off)
{
	const char *s = btf_raw__str(btf, off);

	return s ? s : "";
}

size_t core_essential_len(const char *name)
{
	size_t n = strlen(name);
	ssize_t i;

	/* the last X___Y where X and Y are not '_' */
	for (i = (ssize_t)n - 5; i >= 0; i--)
		if (name[i] != '_' && name[i + 1] == '_' &&
		    name[i + 2] == '_' && name[i + 3] == '_' &&
		    name[i + 4] != '_')
			return (size_t)i + 1;
	return n;
}

static bool ess_eq(const char *a, const char *b)
{
	size_t la = core_essential_len(a), lb = core_essential_len(b);

	return la == lb && !strncmp(a, b, la);
}

/* ---- target index ---- */

struct core_target {
	const struct btf_raw *btf;
	uint32_t *ids;	/* the types indexed, in candidate order */
	uint32_t *head; /* bucket -> 1 + first position in ids (0: none) */
	uint32_t *next; /* position -> 1 + next position of the bucket */
	uint32_t mask;
};

static uint32_t hash_ess(const char *s)
{
	size_t n = core_essential_len(s), i;
	uint32_t h = 2166136261u;

	for (i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

/* The index of ids[0 .. n) (owned by tg), each bucket in ids' order. */
static struct core_target *target_index(const struct btf_raw *targ,
					uint32_t *ids, uint32_t n)
{
	struct core_target *tg = calloc(1, sizeof(*tg));
	uint32_t nb = 64, p;

	if (!tg) {
		free(ids);
		return NULL;
	}
	while (nb < n && nb < (1u << 30))
		nb <<= 1;
	tg->btf = targ;
	tg->ids = ids;
	tg->mask = nb - 1;
	tg->head = calloc(nb, sizeof(*tg->head));
	tg->next = calloc((size_t)n + 1, sizeof(*tg->next));
	if (!tg->head || !tg->next) {
		core_target__free(tg);
		errno = ENOMEM;
		return NULL;
	}
	/* inserted from the last down: each bucket keeps ids' order */
	for (p = n; p >= 1; p--) {
		const struct btf_type *t = btf_raw__type(targ, ids[p - 1]);
		uint32_t b = hash_ess(str(targ, t->name_off)) & tg->mask;

		tg->next[p - 1] = tg->head[b];
		tg->head[b] = p;
	}
	return tg;
}

struct core_target *core_target__new(const struct btf_raw *targ)
{
	uint32_t cnt = btf_raw__type_cnt(targ), id, n = 0;
	uint32_t *ids = malloc((size_t)cnt * sizeof(*ids));

	if (!ids)
		return NULL;
	for (id = 1; id < cnt; id++)
		if (*str(targ, btf_raw__type(targ, id)->name_off))
			ids[n++] = id;
	return target_index(targ, ids, n);
}

struct core_target *core_target_new_ids(const struct btf_raw *targ,
					const uint32_t *ids, uint32_t n)
{
	uint32_t *copy = malloc(((size_t)n + 1) * sizeof(*copy)), i;

	if (!copy)
		return NULL;
	for (i = 0; i < n; i++)
		copy[i] = ids[i];
	return target_index(targ, copy, n);
}

void core_target__free(struct core_target *tg)
{
	if (!tg)
		return;
	free(tg->ids);
	free(tg->head);
	free(tg->next);
	free(tg);
}

/* ---- candidate cache ---- */

struct cand_list {
	uint32_t *ids;
	uint32_t n;
	bool init;
};

struct core_cands {
	struct cand_list *by_local; /* local type id -> its candidates */
	uint32_t cnt;
};

struct core_cands *core_cands__new(const struct btf_raw *local)
{
	struct core_cands *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->cnt = btf_raw__type_cnt(local);
	c->by_local = calloc(c->cnt, sizeof(*c->by_local));
	if (!c->by_local) {
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	return c;
}

void core_cands__free(struct core_cands *c)
{
	uint32_t i;

	if (!c)
		return;
	for (i = 0; i < c->cnt; i++)
		free(c->by_local[i].ids);
	free(c->by_local);
	free(c);
}

static int find_cands(struct core_target *tg, const struct btf_type *local_t,
		      const char *local_name, struct cand_list *cl)
{
	uint32_t p = tg->head[hash_ess(local_name) & tg->mask];
	struct btf_raw *btf = (struct btf_raw *)tg->btf;
	uint8_t *touched = btf->touched;
	size_t cap = 0;

	/* the other names of the bucket are no part of the result: not
	 * recorded as read (btf_raw.touched), the candidates are */
	btf->touched = NULL;
	for (; p; p = tg->next[p - 1]) {
		uint32_t id = tg->ids[p - 1];
		const struct btf_type *t = btf_raw__type(tg->btf, id);

		if (!kind_compat(t, local_t) ||
		    !ess_eq(local_name, str(tg->btf, t->name_off)))
			continue;
		if (mem_ensure((void **)&cl->ids, &cap, sizeof(*cl->ids),
			       cl->n + 1)) {
			btf->touched = touched;
			return -ENOMEM;
		}
		cl->ids[cl->n++] = id;
		if (touched)
			touched[id - btf->start_id] = 1;
	}
	btf->touched = touched;
	cl->init = true;
	return 0;
}

/* ---- specs ---- */

static bool relo_is_field(uint32_t k)
{
	return k <= BPF_OBJ_FIELD_RSHIFT_U64;
}

static bool relo_is_type(uint32_t k)
{
	return (k >= BPF_OBJ_TYPE_ID_LOCAL && k <= BPF_OBJ_TYPE_SIZE) ||
	       k == BPF_OBJ_TYPE_MATCHES;
}

static bool relo_is_enumval(uint32_t k)
{
	return k == BPF_OBJ_ENUMVAL_EXISTS || k == BPF_OBJ_ENUMVAL_VALUE;
}

static bool is_flex_arr(const struct btf_raw *btf, const struct core_acc *acc,
			const struct btf_array *a)
{
	if (!acc->name || a->nelems > 0)
		return false;
	return acc->idx == btf_type_vlen(ty(btf, acc->type_id)) - 1;
}

static int parse_spec(const struct bpf_obj *obj, const struct bpf_obj_relo *r,
		      struct core_spec *spec, struct diag *d)
{
	const struct btf_raw *btf = &obj->btf;
	const char *s = bpf_obj__access_str(obj, r);
	const struct btf_type *t;
	struct core_acc *acc;
	uint32_t id, i, idx;
	int64_t sz;

	memset(spec, 0, sizeof(*spec));
	spec->btf = btf;
	spec->root_type_id = r->type_id;
	spec->kind = r->kind;
	if (bpf_obj__parse_access(s, spec->raw, BPF_OBJ_ACCESS_MAX,
				  &spec->raw_len)) {
		diag_set(d, "access string \"%.64s\" malformed", s);
		return -EINVAL;
	}
	if (relo_is_type(r->kind)) {
		if (strcmp(s, "0")) {
			diag_set(d,
				 "access string \"%.64s\" of a type "
				 "relocation, expected \"0\"",
				 s);
			return -EINVAL;
		}
		spec->raw_len = 0;
		return 0;
	}
	t = skip_mods_typedefs(btf, r->type_id, &id);
	if (!t)
		return -EINVAL;
	idx = spec->raw[0];
	acc = &spec->spec[0];
	acc->type_id = id;
	acc->idx = idx;
	spec->len = 1;
	if (relo_is_enumval(r->kind)) {
		if (!is_any_enum(t) || spec->raw_len > 1 ||
		    idx >= btf_type_vlen(t)) {
			diag_set(d,
				 "access string \"%.64s\" does not name an "
				 "enumerator of [%u] %s",
				 s, id, btf_kind_name(btf_type_kind(t)));
			return -EINVAL;
		}
		acc->name = str(btf, enum_name_off(t, idx));
		return 0;
	}
	sz = resolve_size(btf, id);
	if (sz < 0) {
		diag_set(d, "root [%u] %s has no size", id,
			 btf_kind_name(btf_type_kind(t)));
		return -EINVAL;
	}
	spec->bit_offset = (uint32_t)(idx * sz * 8);
	for (i = 1; i < spec->raw_len; i++) {
		t = skip_mods_typedefs(btf, id, &id);
		if (!t)
			return -EINVAL;
		idx = spec->raw[i];
		acc = &spec->spec[spec->len];
		if (is_composite(t)) {
			const struct btf_member *m;

			if (idx >= btf_type_vlen(t)) {
				diag_set(d,
					 "access string \"%.64s\": member %u "
					 "of [%u], which has %u",
					 s, idx, id, btf_type_vlen(t));
				return -EINVAL;
			}
			spec->bit_offset += member_bit_off(t, idx);
			m = members(t) + idx;
			if (m->name_off) {
				acc->type_id = id;
				acc->idx = idx;
				acc->name = str(btf, m->name_off);
				spec->len++;
			}
			id = m->type;
		} else if (btf_type_kind(t) == BTF_KIND_ARRAY) {
			const struct btf_array *a = (const void *)(t + 1);
			bool flex;

			t = skip_mods_typedefs(btf, a->type, &id);
			if (!t)
				return -EINVAL;
			flex = is_flex_arr(btf, acc - 1, a);
			if (!flex && idx >= a->nelems) {
				diag_set(d,
					 "access string \"%.64s\": index %u "
					 "of an array of %u",
					 s, idx, a->nelems);
				return -EINVAL;
			}
			acc->type_id = id;
			acc->idx = idx;
			acc->name = NULL;
			spec->len++;
			sz = resolve_size(btf, id);
			if (sz < 0)
				return -EINVAL;
			spec->bit_offset += (uint32_t)(idx * sz * 8);
		} else {
			diag_set(d,
				 "access string \"%.64s\" (step %u) reaches "
				 "[%u] %s, neither struct, union nor array",
				 s, i, id, btf_kind_name(btf_type_kind(t)));
			return -EINVAL;
		}
	}
	return 0;
}

/* ---- compatibility ---- */

static int types_compat(const struct btf_raw *lb, uint32_t lid,
			const struct btf_raw *tb, uint32_t tid, int level)
{
	const struct btf_type *lt = ty(lb, lid), *tt = ty(tb, tid);
	int depth = CORE_DEPTH;

	if (!lt || !tt || !kind_compat(lt, tt))
		return 0;
recur:
	if (--depth < 0)
		return -EINVAL;
	lt = skip_mods_typedefs(lb, lid, &lid);
	tt = skip_mods_typedefs(tb, tid, &tid);
	if (!lt || !tt)
		return -EINVAL;
	if (!kind_compat(lt, tt))
		return 0;
	switch (btf_type_kind(lt)) {
	case BTF_KIND_UNKN:
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_ENUM:
	case BTF_KIND_FWD:
	case BTF_KIND_ENUM64:
		return 1;
	case BTF_KIND_INT:
		return BTF_INT_OFFSET(int_word(lt)) == 0 &&
		       BTF_INT_OFFSET(int_word(tt)) == 0;
	case BTF_KIND_PTR:
		lid = lt->type;
		tid = tt->type;
		goto recur;
	case BTF_KIND_ARRAY:
		lid = ((const struct btf_array *)(lt + 1))->type;
		tid = ((const struct btf_array *)(tt + 1))->type;
		goto recur;
	case BTF_KIND_FUNC_PROTO: {
		const struct btf_param *lp = (const void *)(lt + 1);
		const struct btf_param *tp = (const void *)(tt + 1);
		uint32_t n = btf_type_vlen(lt), i;
		int err;

		if (n != btf_type_vlen(tt))
			return 0;
		for (i = 0; i < n; i++) {
			uint32_t a, b;

			if (level <= 0)
				return -EINVAL;
			skip_mods_typedefs(lb, lp[i].type, &a);
			skip_mods_typedefs(tb, tp[i].type, &b);
			err = types_compat(lb, a, tb, b, level - 1);
			if (err <= 0)
				return err;
		}
		skip_mods_typedefs(lb, lt->type, &lid);
		skip_mods_typedefs(tb, tt->type, &tid);
		goto recur;
	}
	default:
		return 0;
	}
}

static int fields_compat(const struct btf_raw *lb, uint32_t lid,
			 const struct btf_raw *tb, uint32_t tid)
{
	const struct btf_type *lt, *tt;
	int depth = CORE_DEPTH;

recur:
	if (--depth < 0)
		return -EINVAL;
	lt = skip_mods_typedefs(lb, lid, &lid);
	tt = skip_mods_typedefs(tb, tid, &tid);
	if (!lt || !tt)
		return -EINVAL;
	if (is_composite(lt) && is_composite(tt))
		return 1;
	if (!kind_compat(lt, tt))
		return 0;
	switch (btf_type_kind(lt)) {
	case BTF_KIND_PTR:
	case BTF_KIND_FLOAT:
		return 1;
	case BTF_KIND_FWD:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64: {
		const char *ln = str(lb, lt->name_off);
		const char *tn = str(tb, tt->name_off);

		return !core_essential_len(ln) || !core_essential_len(tn) ||
		       ess_eq(ln, tn);
	}
	case BTF_KIND_INT:
		return BTF_INT_OFFSET(int_word(lt)) == 0 &&
		       BTF_INT_OFFSET(int_word(tt)) == 0;
	case BTF_KIND_ARRAY:
		lid = ((const struct btf_array *)(lt + 1))->type;
		tid = ((const struct btf_array *)(tt + 1))->type;
		goto recur;
	default:
		return 0;
	}
}

static bool names_match(const struct btf_raw *lb, uint32_t loff,
			const struct btf_raw *tb, uint32_t toff)
{
	const char *ln = str(lb, loff), *tn = str(tb, toff);

	if (!*tn)
		return !*ln;
	return ess_eq(ln, tn);
}

static int types_match(const struct btf_raw *lb, uint32_t lid,
		       const struct btf_raw *tb, uint32_t tid, bool behind_ptr,
		       int level);

static int enums_match(const struct btf_raw *lb, const struct btf_type *lt,
		       const struct btf_raw *tb, const struct btf_type *tt)
{
	uint32_t ln = btf_type_vlen(lt), tn = btf_type_vlen(tt), i, j;

	if (lt->size != tt->size || ln > tn)
		return 0;
	for (i = 0; i < ln; i++) {
		for (j = 0; j < tn; j++)
			if (names_match(lb, enum_name_off(lt, i), tb,
					enum_name_off(tt, j)))
				break;
		if (j == tn)
			return 0;
	}
	return 1;
}

static int composites_match(const struct btf_raw *lb, const struct btf_type *lt,
			    const struct btf_raw *tb, const struct btf_type *tt,
			    bool behind_ptr, int level)
{
	uint32_t ln = btf_type_vlen(lt), tn = btf_type_vlen(tt), i, j;
	int err;

	if (ln > tn)
		return 0;
	for (i = 0; i < ln; i++) {
		const struct btf_member *lm = members(lt) + i;
		bool matched = false;

		for (j = 0; j < tn && !matched; j++) {
			const struct btf_member *tm = members(tt) + j;

			if (!names_match(lb, lm->name_off, tb, tm->name_off))
				continue;
			err = types_match(lb, lm->type, tb, tm->type,
					  behind_ptr, level - 1);
			if (err < 0)
				return err;
			matched = err > 0;
		}
		if (!matched)
			return 0;
	}
	return 1;
}

static int types_match(const struct btf_raw *lb, uint32_t lid,
		       const struct btf_raw *tb, uint32_t tid, bool behind_ptr,
		       int level)
{
	const struct btf_type *lt, *tt;
	int depth = CORE_DEPTH;
	uint32_t lk, tk;

	if (level <= 0)
		return -EINVAL;
recur:
	if (--depth < 0)
		return -EINVAL;
	lt = skip_mods_typedefs(lb, lid, &lid);
	tt = skip_mods_typedefs(tb, tid, &tid);
	if (!lt || !tt)
		return -EINVAL;
	if (!names_match(lb, lt->name_off, tb, tt->name_off))
		return 0;
	lk = btf_type_kind(lt);
	tk = btf_type_kind(tt);
	switch (lk) {
	case BTF_KIND_UNKN:
		return lk == tk;
	case BTF_KIND_FWD:
		if (behind_ptr && lk != tk)
			return (tk == BTF_KIND_STRUCT && !btf_type_kflag(lt)) ||
			       (tk == BTF_KIND_UNION && btf_type_kflag(lt));
		return lk == tk && btf_type_kflag(lt) == btf_type_kflag(tt);
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		return is_any_enum(tt) ? enums_match(lb, lt, tb, tt) : 0;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		if (behind_ptr) {
			if (lk == tk)
				return 1;
			if (tk != BTF_KIND_FWD)
				return 0;
			return (lk == BTF_KIND_UNION) == btf_type_kflag(tt);
		}
		if (lk != tk)
			return 0;
		return composites_match(lb, lt, tb, tt, behind_ptr, level);
	case BTF_KIND_INT:
		if (lk != tk)
			return 0;
		return lt->size == tt->size &&
		       (BTF_INT_ENCODING(int_word(lt)) & BTF_INT_SIGNED) ==
			       (BTF_INT_ENCODING(int_word(tt)) &
				BTF_INT_SIGNED);
	case BTF_KIND_PTR:
		if (lk != tk)
			return 0;
		behind_ptr = true;
		lid = lt->type;
		tid = tt->type;
		goto recur;
	case BTF_KIND_ARRAY: {
		const struct btf_array *la = (const void *)(lt + 1);
		const struct btf_array *ta = (const void *)(tt + 1);

		if (lk != tk || la->nelems != ta->nelems)
			return 0;
		lid = la->type;
		tid = ta->type;
		goto recur;
	}
	case BTF_KIND_FUNC_PROTO: {
		const struct btf_param *lp = (const void *)(lt + 1);
		const struct btf_param *tp = (const void *)(tt + 1);
		uint32_t n = btf_type_vlen(lt), i;
		int err;

		if (lk != tk || n != btf_type_vlen(tt))
			return 0;
		for (i = 0; i < n; i++) {
			err = types_match(lb, lp[i].type, tb, tp[i].type,
					  behind_ptr, level - 1);
			if (err <= 0)
				return err;
		}
		lid = lt->type;
		tid = tt->type;
		goto recur;
	}
	default:
		return 0;
	}
}

/* ---- matching a candidate ---- */

static int match_member(const struct btf_raw *lb, const struct core_acc *lacc,
			const struct btf_raw *tb, uint32_t tid,
			struct core_spec *spec, uint32_t *next_tid, int depth)
{
	const struct btf_type *tt = skip_mods_typedefs(tb, tid, &tid);
	const struct btf_type *lt;
	const struct btf_member *lm, *m;
	const char *lname;
	uint32_t i, n;
	int found;

	if (!tt || depth > BPF_OBJ_ACCESS_MAX)
		return -EINVAL;
	if (!is_composite(tt))
		return 0;
	lt = ty(lb, lacc->type_id);
	lm = members(lt) + lacc->idx;
	lname = str(lb, lm->name_off);
	n = btf_type_vlen(tt);
	m = members(tt);
	for (i = 0; i < n; i++, m++) {
		uint32_t bo = member_bit_off(tt, i);
		const char *tname;

		if (spec->raw_len == BPF_OBJ_ACCESS_MAX)
			return -E2BIG;
		spec->bit_offset += bo;
		spec->raw[spec->raw_len++] = i;
		tname = str(tb, m->name_off);
		if (!*tname) {
			/* an anonymous member: search inside */
			found = match_member(lb, lacc, tb, m->type, spec,
					     next_tid, depth + 1);
			if (found)
				return found;
		} else if (!strcmp(lname, tname)) {
			struct core_acc *a = &spec->spec[spec->len++];

			a->type_id = tid;
			a->idx = i;
			a->name = tname;
			*next_tid = m->type;
			found = fields_compat(lb, lm->type, tb, m->type);
			if (!found)
				spec->len--;
			return found;
		}
		spec->bit_offset -= bo;
		spec->raw_len--;
	}
	return 0;
}

static int spec_match(const struct core_spec *local, const struct btf_raw *tb,
		      uint32_t tid, struct core_spec *ts)
{
	const struct core_acc *lacc = &local->spec[0];
	struct core_acc *tacc = &ts->spec[0];
	const struct btf_type *tt;
	uint32_t i;
	int64_t sz;
	int m;

	memset(ts, 0, sizeof(*ts));
	ts->btf = tb;
	ts->root_type_id = tid;
	ts->kind = local->kind;
	if (relo_is_type(local->kind)) {
		if (local->kind == BPF_OBJ_TYPE_MATCHES)
			return types_match(local->btf, local->root_type_id, tb,
					   tid, false, CORE_DEPTH);
		return types_compat(local->btf, local->root_type_id, tb, tid,
				    CORE_DEPTH);
	}
	if (relo_is_enumval(local->kind)) {
		tt = skip_mods_typedefs(tb, tid, &tid);
		if (!tt || !is_any_enum(tt))
			return 0;
		for (i = 0; i < btf_type_vlen(tt); i++) {
			const char *tn = str(tb, enum_name_off(tt, i));

			if (ess_eq(lacc->name, tn)) {
				tacc->type_id = tid;
				tacc->idx = i;
				tacc->name = tn;
				ts->len = 1;
				ts->raw[0] = i;
				ts->raw_len = 1;
				return 1;
			}
		}
		return 0;
	}
	for (i = 0; i < local->len; i++, lacc++, tacc++) {
		tt = skip_mods_typedefs(tb, tid, &tid);
		if (!tt)
			return -EINVAL;
		if (lacc->name) {
			m = match_member(local->btf, lacc, tb, tid, ts, &tid,
					 0);
			if (m <= 0)
				return m;
			continue;
		}
		if (i > 0) {
			const struct btf_array *a;

			if (btf_type_kind(tt) != BTF_KIND_ARRAY)
				return 0;
			a = (const void *)(tt + 1);
			if (!is_flex_arr(tb, tacc - 1, a) &&
			    lacc->idx >= a->nelems)
				return 0;
			if (!skip_mods_typedefs(tb, a->type, &tid))
				return -EINVAL;
		}
		if (ts->raw_len == BPF_OBJ_ACCESS_MAX)
			return -E2BIG;
		tacc->type_id = tid;
		tacc->idx = lacc->idx;
		tacc->name = NULL;
		ts->len++;
		ts->raw[ts->raw_len++] = lacc->idx;
		sz = resolve_size(tb, tid);
		if (sz < 0)
			return (int)sz;
		ts->bit_offset += (uint32_t)(lacc->idx * sz * 8);
	}
	return 1;
}

/* ---- values ---- */

#define POISON 1 /* calc_*: the relocation poisons (libbpf's -EUCLEAN) */

static int calc_field(const struct bpf_obj_relo *r, const struct core_spec *s,
		      uint64_t *val, struct diag *d)
{
	const struct core_acc *acc;
	const struct btf_type *t, *mt;
	uint32_t byte_off, byte_sz, bit_off, bit_sz, ftid;
	bool bitfield;
	int64_t sz;

	if (r->kind == BPF_OBJ_FIELD_EXISTS) {
		*val = s ? 1 : 0;
		return 0;
	}
	if (!s)
		return POISON;
	acc = &s->spec[s->len - 1];
	t = ty(s->btf, acc->type_id);
	if (!acc->name) {
		if (r->kind != BPF_OBJ_FIELD_BYTE_OFFSET &&
		    r->kind != BPF_OBJ_FIELD_BYTE_SIZE) {
			diag_set(d, "%s cannot apply to an array element",
				 bpf_obj__kind_name(r->kind));
			return -EINVAL;
		}
		sz = resolve_size(s->btf, acc->type_id);
		if (sz < 0)
			return -EINVAL;
		*val = r->kind == BPF_OBJ_FIELD_BYTE_OFFSET ? s->bit_offset / 8
							    : (uint64_t)sz;
		return 0;
	}
	mt = skip_mods_typedefs(s->btf, members(t)[acc->idx].type, &ftid);
	if (!mt)
		return -EINVAL;
	bit_off = s->bit_offset;
	bit_sz = member_bitfield_sz(t, acc->idx);
	bitfield = bit_sz > 0;
	if (bitfield) {
		byte_sz = mt->size;
		if (!byte_sz)
			return -EINVAL;
		byte_off = bit_off / 8 / byte_sz * byte_sz;
		while (bit_off + bit_sz - byte_off * 8 > byte_sz * 8) {
			if (byte_sz >= 8) {
				diag_set(d,
					 "bitfield %s at bit %u (%u bits) "
					 "needs more than a 64-bit load",
					 acc->name, bit_off, bit_sz);
				return -E2BIG;
			}
			byte_sz *= 2;
			byte_off = bit_off / 8 / byte_sz * byte_sz;
		}
	} else {
		sz = resolve_size(s->btf, ftid);
		if (sz < 0)
			return -EINVAL;
		byte_sz = (uint32_t)sz;
		byte_off = bit_off / 8;
		bit_sz = byte_sz * 8;
	}
	switch (r->kind) {
	case BPF_OBJ_FIELD_BYTE_OFFSET:
		*val = byte_off;
		break;
	case BPF_OBJ_FIELD_BYTE_SIZE:
		*val = byte_sz;
		break;
	case BPF_OBJ_FIELD_SIGNED:
		*val = (is_any_enum(mt) && btf_type_kflag(mt)) ||
		       (btf_type_kind(mt) == BTF_KIND_INT &&
			(BTF_INT_ENCODING(int_word(mt)) & BTF_INT_SIGNED));
		break;
	case BPF_OBJ_FIELD_LSHIFT_U64:
		*val = 64 - (bit_off + bit_sz - byte_off * 8);
		break;
	case BPF_OBJ_FIELD_RSHIFT_U64:
		*val = 64 - bit_sz;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

static int calc_type(const struct bpf_obj_relo *r, const struct core_spec *s,
		     uint64_t *val)
{
	int64_t sz;

	if (!s) {
		*val = 0;
		return 0;
	}
	switch (r->kind) {
	case BPF_OBJ_TYPE_ID_TARGET:
		*val = s->root_type_id;
		break;
	case BPF_OBJ_TYPE_EXISTS:
	case BPF_OBJ_TYPE_MATCHES:
		*val = 1;
		break;
	case BPF_OBJ_TYPE_SIZE:
		sz = resolve_size(s->btf, s->root_type_id);
		if (sz < 0)
			return -EINVAL;
		*val = (uint64_t)sz;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

static int calc_enumval(const struct bpf_obj_relo *r, const struct core_spec *s,
			uint64_t *val)
{
	const struct btf_type *t;

	if (r->kind == BPF_OBJ_ENUMVAL_EXISTS) {
		*val = s ? 1 : 0;
		return 0;
	}
	if (!s)
		return POISON;
	t = ty(s->btf, s->spec[0].type_id);
	if (btf_type_kind(t) == BTF_KIND_ENUM) {
		/* s32, sign-extended as libbpf stores it */
		*val = (uint64_t)(int64_t)((
			const struct btf_enum *)(t + 1))[s->spec[0].idx]
			       .val;
	} else {
		const struct btf_enum64 *e =
			(const struct btf_enum64 *)(t + 1) + s->spec[0].idx;

		*val = (uint64_t)e->val_hi32 << 32 | e->val_lo32;
	}
	return 0;
}

/* Value of r on spec s (NULL: no target); POISON, 0 or -errno. */
static int calc(const struct bpf_obj_relo *r, const struct core_spec *s,
		uint64_t *val, struct diag *d)
{
	*val = 0;
	if (relo_is_field(r->kind))
		return calc_field(r, s, val, d);
	if (relo_is_type(r->kind))
		return calc_type(r, s, val);
	return calc_enumval(r, s, val);
}

int core_relo__resolve(struct core_target *tg, struct core_cands *cache,
		       const struct bpf_obj *obj, const struct bpf_obj_relo *r,
		       struct core_res *res, struct diag *d)
{
	const struct btf_type *lt = ty(&obj->btf, r->type_id);
	const char *lname = str(&obj->btf, lt->name_off);
	struct core_spec *cand = NULL;
	struct cand_list *cl;
	uint32_t i, j = 0;
	int err;

	memset(res, 0, sizeof(*res));
	err = parse_spec(obj, r, &res->local, d);
	if (err)
		return err;
	if (r->kind == BPF_OBJ_TYPE_ID_LOCAL) {
		res->outcome = CORE_LOCAL;
		res->local_val = res->targ_val = r->type_id;
		return 0;
	}
	err = calc(r, &res->local, &res->local_val, d);
	if (err < 0)
		return err;
	if (!*lname) {
		diag_set(d,
			 "%s relocation of an anonymous type [%u]: libbpf "
			 "does not relocate it",
			 bpf_obj__kind_name(r->kind), r->type_id);
		return -EINVAL;
	}
	cl = &cache->by_local[r->type_id];
	if (!cl->init && find_cands(tg, lt, lname, cl)) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	res->cand_cnt = cl->n;
	cand = malloc(sizeof(*cand));
	if (!cand) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < cl->n; i++) {
		uint64_t v;
		int m = spec_match(&res->local, tg->btf, cl->ids[i], cand);

		if (m < 0) {
			diag_set(d, "matching candidate [%u] failed (%d)",
				 cl->ids[i], m);
			err = m;
			goto out;
		}
		if (!m)
			continue;
		err = calc(r, cand, &v, d);
		if (err < 0)
			goto out;
		if (j == 0) {
			res->targ = *cand;
			res->targ_val = v;
			res->poison = err == POISON;
		} else if (cand->bit_offset != res->targ.bit_offset ||
			   (err == POISON) != res->poison ||
			   v != res->targ_val) {
			res->outcome = CORE_AMBIGUOUS;
			res->offset_ambiguity =
				cand->bit_offset != res->targ.bit_offset;
			res->other = *cand;
			res->other_val = v;
			res->match_cnt = j + 1;
			err = 0;
			goto out;
		}
		cl->ids[j++] = cl->ids[i];
	}
	err = 0;
	res->match_cnt = j;
	if (j > 0) {
		cl->n = j;
		res->outcome = CORE_RESOLVED;
		goto out;
	}
	res->outcome = CORE_NO_MATCH;
	err = calc(r, NULL, &res->targ_val, d);
	res->poison = err == POISON;
	err = err < 0 ? err : 0;
out:
	free(cand);
	return err;
}

void core_type__str(const struct btf_raw *btf, uint32_t id, char *buf,
		    size_t sz)
{
	const struct btf_type *t = ty(btf, id);
	const char *k;

	if (!t) {
		snprintf(buf, sz, "[%u]", id);
		return;
	}
	switch (btf_type_kind(t)) {
	case BTF_KIND_STRUCT:
		k = "struct ";
		break;
	case BTF_KIND_UNION:
		k = "union ";
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		k = "enum ";
		break;
	default:
		k = "";
	}
	snprintf(buf, sz, "%s%s", k,
		 *str(btf, t->name_off) ? str(btf, t->name_off) : "(anon)");
}

void core_spec__str(const struct core_spec *s, char *buf, size_t sz)
{
	size_t len;
	uint32_t i;

	core_type__str(s->btf, s->root_type_id, buf, sz);
	if (relo_is_enumval(s->kind) && s->len) {
		len = strlen(buf);
		snprintf(buf + len, sz - len, "::%s", s->spec[0].name);
		return;
	}
	for (i = 1; i < s->len; i++) {
		len = strlen(buf);
		if (len + 1 >= sz)
			return;
		if (s->spec[i].name)
			snprintf(buf + len, sz - len, ".%s", s->spec[i].name);
		else
			snprintf(buf + len, sz - len, "[%u]", s->spec[i].idx);
	}
}
