// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Distilled base BTF: relocation of split BTF on a distilled base onto the
 * real vmlinux base, and the making of a distilled base (btfar distill).
 * The matching rules are those the kernel (kernel/bpf/btf_relocate.c) and
 * libbpf (btf__relocate, btf__distill_base) document; the rewriting of ids
 * and strings is rebase's (rebase_map_derive + rebase_split).
 */
#include "distill.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/strset.h"

#define MAX_LISTED 5

static uint32_t info_enc(uint32_t kind, bool kflag)
{
	return (kflag ? 1u << 31 : 0) | kind << 24;
}

static bool is_aggr(uint32_t k)
{
	return k == BTF_KIND_STRUCT || k == BTF_KIND_UNION;
}

static const char *kind_word(uint32_t k)
{
	switch (k) {
	case BTF_KIND_STRUCT:
		return "struct";
	case BTF_KIND_UNION:
		return "union";
	case BTF_KIND_ENUM:
		return "enum";
	case BTF_KIND_ENUM64:
		return "enum64";
	case BTF_KIND_INT:
		return "int";
	case BTF_KIND_FLOAT:
		return "float";
	case BTF_KIND_FWD:
		return "fwd";
	default:
		return btf_kind_name(k);
	}
}

/* Marks the distilled STRUCT/UNION types a split struct or union holds by
 * value: through typedefs, modifiers and arrays of the split part. */
static void mark_embedded(const struct btf_raw *split, uint32_t dcnt,
			  uint8_t *emb)
{
	uint32_t i, j;

	for (i = 0; i < split->type_cnt; i++) {
		const struct btf_type *t =
			(const void *)(split->types + split->type_offs[i]);
		const struct btf_member *m = (const void *)(t + 1);

		if (!is_aggr(btf_type_kind(t)))
			continue;
		for (j = 0; j < btf_type_vlen(t); j++) {
			uint32_t id = m[j].type;
			int depth;

			for (depth = 0; depth < BTF_RAW_MAX_DEPTH && id;
			     depth++) {
				const struct btf_type *r =
					btf_raw__type(split, id);
				uint32_t k;

				if (!r)
					break;
				k = btf_type_kind(r);
				if (id < dcnt) {
					if (is_aggr(k))
						emb[id] = 1;
					break;
				}
				if (k == BTF_KIND_ARRAY)
					id = ((const struct btf_array *)(r + 1))
						     ->type;
				else if (k == BTF_KIND_TYPEDEF ||
					 k == BTF_KIND_CONST ||
					 k == BTF_KIND_VOLATILE ||
					 k == BTF_KIND_RESTRICT ||
					 k == BTF_KIND_TYPE_TAG)
					id = r->type;
				else
					break;
			}
		}
	}
}

static void listf(struct diag *d, uint32_t *bad, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void listf(struct diag *d, uint32_t *bad, const char *fmt, ...)
{
	size_t len;
	va_list ap;

	if ((*bad)++ >= MAX_LISTED || !d)
		return;
	len = strlen(d->msg);
	if (*bad > 1 && len + 2 < sizeof(d->msg)) {
		strcpy(d->msg + len, "; ");
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(d->msg + len, sizeof(d->msg) - len, fmt, ap);
	va_end(ap);
}

/* Does base type bid fit distilled type t (its candidates by name)? */
static bool fits(const struct btf_raw *base, uint32_t bid,
		 const struct btf_type *t, bool emb)
{
	const struct btf_type *b = btf_raw__type(base, bid);
	uint32_t k = btf_type_kind(t), bk = btf_type_kind(b);

	switch (k) {
	case BTF_KIND_INT:
		return bk == k && b->size == t->size &&
		       *(const uint32_t *)(b + 1) == *(const uint32_t *)(t + 1);
	case BTF_KIND_FLOAT:
		return bk == k && b->size == t->size;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return bk == k && (!emb || b->size == t->size);
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		return bk == BTF_KIND_ENUM || bk == BTF_KIND_ENUM64;
	case BTF_KIND_FWD:
		if (bk == BTF_KIND_FWD)
			return btf_type_kflag(b) == btf_type_kflag(t);
		return bk ==
		       (btf_type_kflag(t) ? BTF_KIND_UNION : BTF_KIND_STRUCT);
	default:
		return false;
	}
}

/* Candidates of kind k and name for t: how many fit, the first two. */
static uint32_t candidates(const struct rebase_map *index,
			   const struct btf_raw *base, uint32_t k,
			   const char *name, const struct btf_type *t, bool emb,
			   uint32_t *ids, uint32_t *named)
{
	size_t first, n = rebase_map_named(index, k, name, &first), i;
	uint32_t cnt = 0;

	*named += (uint32_t)n;
	for (i = 0; i < n; i++) {
		uint32_t bid = rebase_map_named_id(index, first + i);

		if (!fits(base, bid, t, emb))
			continue;
		if (cnt < 2)
			ids[cnt] = bid;
		cnt++;
	}
	return cnt;
}

int distill_relocate(const struct rebase_map *index, const struct btf_raw *base,
		     const struct btf_raw *dist, const struct btf_raw *split,
		     void **out, size_t *out_sz, struct diag *d)
{
	uint32_t dcnt = btf_raw__type_cnt(dist), id, bad = 0;
	struct rebase_map *m = NULL;
	uint32_t *map = NULL;
	uint8_t *emb = NULL;
	int err;

	*out = NULL;
	if (split->base != dist || dist->base) {
		diag_set(d, "internal: split BTF not parsed on its distilled "
			    "base");
		return -EINVAL;
	}
	map = calloc(dcnt, sizeof(*map));
	emb = calloc(dcnt, 1);
	if (!map || !emb)
		goto nomem;
	mark_embedded(split, dcnt, emb);
	d->msg[0] = '\0';
	for (id = 1; id < dcnt; id++) {
		const struct btf_type *t = btf_raw__type(dist, id);
		uint32_t k = btf_type_kind(t), ids[2] = {0}, named = 0, n;
		const char *name = btf_raw__str(dist, t->name_off);

		if (!t->name_off || !name || !*name ||
		    !(k == BTF_KIND_INT || k == BTF_KIND_FLOAT || is_aggr(k) ||
		      k == BTF_KIND_ENUM || k == BTF_KIND_ENUM64 ||
		      k == BTF_KIND_FWD)) {
			listf(d, &bad,
			      "[%u] %s '%s' cannot be in a distilled base", id,
			      btf_kind_name(k),
			      name && *name ? name : "(anon)");
			continue;
		}
		if (k == BTF_KIND_FWD) {
			n = candidates(index, base,
				       btf_type_kflag(t) ? BTF_KIND_UNION
							 : BTF_KIND_STRUCT,
				       name, t, false, ids, &named);
			if (!n)
				n = candidates(index, base, BTF_KIND_FWD, name,
					       t, false, ids, &named);
		} else {
			n = candidates(index, base, k, name, t, emb[id], ids,
				       &named);
		}
		if (n == 1) {
			map[id] = ids[0];
			continue;
		}
		map[id] = UINT32_MAX;
		if (n > 1)
			listf(d, &bad,
			      "%s '%s'%s: ambiguous, %u candidates in the base "
			      "([%u], [%u]%s)",
			      kind_word(k), name, emb[id] ? " (embedded)" : "",
			      n, ids[0], ids[1], n > 2 ? ", ..." : "");
		else if (named && emb[id])
			listf(d, &bad,
			      "%s '%s' (embedded, %u bytes): the base's has "
			      "another size",
			      kind_word(k), name, t->size);
		else if (named)
			listf(d, &bad,
			      "%s '%s' (%u bytes): the base's has another "
			      "size or encoding",
			      kind_word(k), name, t->size);
		else
			listf(d, &bad, "%s '%s': not in the base", kind_word(k),
			      name);
	}
	if (bad) {
		char list[DIAG_MAX];

		snprintf(list, sizeof(list), "%s", d->msg);
		if (bad > MAX_LISTED)
			diag_set(d,
				 "distilled base does not relocate: %s; "
				 "and %u more",
				 list, bad - MAX_LISTED);
		else
			diag_set(d, "distilled base does not relocate: %s",
				 list);
		err = -ENOENT;
		goto out;
	}
	m = rebase_map_derive(index, dist, map);
	if (!m)
		goto nomem;
	err = rebase_split(m, split, out, out_sz, d);
	goto out;
nomem:
	diag_set(d, "out of memory");
	err = -ENOMEM;
out:
	rebase_map_free(m);
	free(map);
	free(emb);
	return err;
}

/* ---- distill_make ---- */

enum { NEED_NONE = 0, NEED_DIST, NEED_CARRY };

struct make {
	const struct btf_raw *base, *split;
	const struct rebase_map *index;
	uint32_t bcnt;
	uint8_t *need;	 /* base id -> NEED_* */
	uint32_t *nid;	 /* base id -> id in the output */
	uint32_t *carry; /* base ids carried, in discovery order */
	uint32_t carry_cnt;
	uint32_t dist_cnt, D; /* D: types in the distilled base */
	struct strset *set;
	uint32_t dist_str_len;
	int err;
};

static bool distillable(const struct make *mk, const struct btf_type *t)
{
	uint32_t k = btf_type_kind(t);
	const char *name = btf_raw__str(mk->base, t->name_off);
	size_t first, nsu, nfwd;

	if (!t->name_off || !name || !*name)
		return false;
	switch (k) {
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		/* unique by name and kind, or relocation is ambiguous */
		return rebase_map_named(mk->index, k, name, &first) == 1;
	case BTF_KIND_FWD:
		nsu = rebase_map_named(mk->index,
				       btf_type_kflag(t) ? BTF_KIND_UNION
							 : BTF_KIND_STRUCT,
				       name, &first);
		nfwd = rebase_map_named(mk->index, BTF_KIND_FWD, name, &first);
		return nsu == 1 || (nsu == 0 && nfwd == 1);
	default:
		return false;
	}
}

static int want(uint32_t *id, void *c)
{
	struct make *mk = c;
	const struct btf_type *t;

	if (!*id || *id >= mk->bcnt || mk->need[*id])
		return 0;
	t = btf_raw__type(mk->base, *id);
	if (distillable(mk, t)) {
		mk->need[*id] = NEED_DIST;
		mk->dist_cnt++;
	} else {
		mk->need[*id] = NEED_CARRY;
		mk->carry[mk->carry_cnt++] = *id;
	}
	return 0;
}

static int mk_id(uint32_t *id, void *c)
{
	struct make *mk = c;

	if (!*id)
		return 0;
	if (*id < mk->bcnt)
		*id = mk->nid[*id];
	else
		*id = *id - mk->bcnt + mk->D + 1;
	return 0;
}

static int mk_str(uint32_t *off, void *c)
{
	struct make *mk = c;
	const char *s = btf_raw__str(mk->split, *off);
	int64_t r;

	if (!*off || !s || !*s) {
		*off = 0;
		return 0;
	}
	r = strset__add(mk->set, s, strlen(s));
	if (r < 0) {
		mk->err = (int)r;
		return (int)r;
	}
	/* the set's leading NUL is not written: offsets shift by one */
	*off = mk->dist_str_len + (uint32_t)r - 1;
	return 0;
}

int distill_make(const struct rebase_map *index, const struct btf_raw *base,
		 const struct btf_raw *split, void **dist, size_t *dist_sz,
		 void **nsplit, size_t *nsplit_sz, struct diag *d)
{
	struct make mk = {.base = base, .split = split, .index = index};
	struct strset dset = {0}, sset = {0};
	uint8_t *dtypes = NULL, *types = NULL;
	uint32_t i, k, dlen = 0;
	uint64_t len;
	int err = -ENOMEM;

	*dist = *nsplit = NULL;
	if (split->base != base || base->base) {
		diag_set(d, "internal: split BTF not parsed on a standalone "
			    "base");
		return -EINVAL;
	}
	mk.bcnt = btf_raw__type_cnt(base);
	mk.need = calloc(mk.bcnt, 1);
	mk.nid = calloc(mk.bcnt, sizeof(*mk.nid));
	mk.carry = malloc(mk.bcnt * sizeof(*mk.carry));
	if (!mk.need || !mk.nid || !mk.carry || strset__init(&dset, 4096) ||
	    strset__init(&sset, split->str_len))
		goto nomem;
	/* what the split part needs, and what carried types need in turn */
	for (i = 0; i < split->type_cnt; i++)
		btf_type_visit_ids(
			(struct btf_type *)(split->types + split->type_offs[i]),
			want, &mk);
	for (k = 0; k < mk.carry_cnt; k++)
		btf_type_visit_ids(
			(struct btf_type *)btf_raw__type(base, mk.carry[k]),
			want, &mk);
	/* the distilled base, in base order, minimal records */
	dtypes =
		malloc((size_t)mk.dist_cnt * (sizeof(struct btf_type) + 4) + 1);
	if (!dtypes)
		goto nomem;
	for (i = 1; i < mk.bcnt; i++) {
		const struct btf_type *t = btf_raw__type(base, i);
		struct btf_type *o = (void *)(dtypes + dlen);
		uint32_t kd = btf_type_kind(t);
		const char *name = btf_raw__str(base, t->name_off);
		int64_t r;

		if (mk.need[i] != NEED_DIST)
			continue;
		mk.nid[i] = ++mk.D;
		r = strset__add(&dset, name, strlen(name));
		if (r < 0)
			goto nomem;
		*o = *t;
		o->name_off = (uint32_t)r;
		if (is_aggr(kd))
			o->info = info_enc(kd, false);
		else if (kd == BTF_KIND_ENUM || kd == BTF_KIND_ENUM64)
			o->info = info_enc(kd, btf_type_kflag(t));
		dlen += sizeof(*o);
		if (kd == BTF_KIND_INT) {
			memcpy(dtypes + dlen, t + 1, 4);
			dlen += 4;
		}
	}
	for (k = 0; k < mk.carry_cnt; k++)
		mk.nid[mk.carry[k]] = mk.D + 1 + split->type_cnt + k;
	mk.dist_str_len = (uint32_t)dset.len;
	/* the split part: its own records, then the carried ones */
	len = split->types_len;
	for (k = 0; k < mk.carry_cnt; k++)
		len += btf_raw__rec_size(btf_raw__type(base, mk.carry[k]),
					 UINT32_MAX);
	if (len > UINT32_MAX)
		goto nomem;
	types = malloc(len ? len : 1);
	if (!types)
		goto nomem;
	memcpy(types, split->types, split->types_len);
	len = split->types_len;
	for (k = 0; k < mk.carry_cnt; k++) {
		const struct btf_type *t = btf_raw__type(base, mk.carry[k]);
		uint32_t rec = btf_raw__rec_size(t, UINT32_MAX);

		memcpy(types + len, t, rec);
		len += rec;
	}
	mk.set = &sset;
	for (i = 0; i < len;) {
		struct btf_type *t = (void *)(types + i);

		btf_type_visit_ids(t, mk_id, &mk);
		btf_type_visit_strs(t, mk_str, &mk);
		i += btf_raw__rec_size(t, UINT32_MAX);
	}
	if (mk.err)
		goto nomem;
	*dist = btf_raw__write(dtypes, dlen, dset.data, (uint32_t)dset.len,
			       dist_sz);
	*nsplit = btf_raw__write(types, (uint32_t)len, sset.data + 1,
				 (uint32_t)(sset.len - 1), nsplit_sz);
	if (!*dist || !*nsplit) {
		free(*dist);
		free(*nsplit);
		*dist = *nsplit = NULL;
		goto nomem;
	}
	err = 0;
	goto out;
nomem:
	diag_set(d, "out of memory");
	err = -ENOMEM;
out:
	strset__release(&dset);
	strset__release(&sset);
	free(dtypes);
	free(types);
	free(mk.need);
	free(mk.nid);
	free(mk.carry);
	return err;
}
