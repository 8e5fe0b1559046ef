// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Rebasing split BTF from one vmlinux build onto another.
 *
 * Algorithm summary:
 * 1. Map every old base type to a new base type, once for all modules:
 *    - named STRUCT, UNION, ENUM, ENUM64, INT, FLOAT, FWD: the new types of
 *      the same kind and name are candidates; the first whose layout is the
 *      same wins: size, encoding, enumerators, or for structs and unions
 *      the member names, offsets, bitfield sizes and the shape of each
 *      member's type (its chain of modifiers, pointers and arrays down to a
 *      name). Named aggregates are not followed further: a pointer to a
 *      struct that changed does not change this struct's layout, and the
 *      changed struct is refused on its own if a module uses it.
 *    - TYPEDEF, FUNC, VAR: same kind and name, and the target maps to the
 *      candidate's target.
 *    - anonymous types (modifiers, pointers, arrays, prototypes, anonymous
 *      aggregates and enums): their references are mapped first, then the
 *      new type with the same record and those mapped references is looked
 *      up in an index of the new base.
 *    Recursion only goes down through anonymous types and typedefs, which
 *    cannot form a cycle without a named aggregate, so it ends.
 * 2. Per module: an old base type it refers to that did not map is either
 *    carried into its split part (the new base has no type of that kind
 *    and name: the type, and what it refers to that the new base lacks,
 *    are appended after the module's own types), or, when the new base
 *    has that name in another layout, the module is refused with the list
 *    of such types. Its records are copied in order, references into the
 *    base mapped, its own ids shifted by the difference of the base
 *    sizes, and every string re-interned against the new base's strings.
 */
#include "rebase.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/btf_index.h"
#include "formats/hash.h"
#include "formats/strset.h"

enum { MAP_TODO = 0, MAP_BUSY, MAP_DONE };

struct rebase_map {
	const struct btf_raw *ob, *nb;
	uint32_t *map; /* old id -> new id; UINT32_MAX: no equivalent */
	uint8_t *state;
	/* new base named types, by kind (ENUM64 filed as ENUM) and name */
	struct btf_index names;
	struct strset strs; /* the new base's strings, looked up only */
	uint64_t *akeys;    /* new base anonymous types: hash -> id (open) */
	uint32_t *aids;
	size_t amask;
	bool borrowed; /* made by rebase_map_derive: the index is another's */
};

static uint32_t kind_class(uint32_t k)
{
	return k == BTF_KIND_ENUM64 ? BTF_KIND_ENUM : k;
}

static bool is_named_kind(uint32_t k)
{
	switch (k) {
	case BTF_KIND_INT:
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_FUNC:
	case BTF_KIND_VAR:
	case BTF_KIND_FLOAT:
	case BTF_KIND_DATASEC:
		return true;
	default:
		return false;
	}
}

/* The class of a type in the new base's index, -1 for the anonymous
 * kinds. */
static int named_class(const struct btf_type *t)
{
	uint32_t k = btf_type_kind(t);

	return is_named_kind(k) ? (int)kind_class(k) : -1;
}

/*
 * The hash of an anonymous type's record with its references given by
 * ref(): strings by content, ids through ref. Equal types hash alike in
 * the old base (refs mapped) and the new base (refs as they are).
 */
struct ref_ctx {
	const struct rebase_map *m;
	bool old;
	bool fail;
};

static uint32_t ref_of(struct ref_ctx *c, uint32_t id);

static uint64_t anon_hash(struct ref_ctx *c, const struct btf_raw *b,
			  const struct btf_type *t)
{
	uint32_t k = btf_type_kind(t), n = btf_type_vlen(t), i;
	uint64_t h =
		hash_mix64(t->info, hash_str64(btf_raw__str(b, t->name_off)));

	switch (k) {
	case BTF_KIND_PTR:
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		return hash_mix64(h, ref_of(c, t->type));
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = (const void *)(t + 1);

		h = hash_mix64(h, a->nelems);
		h = hash_mix64(h, ref_of(c, a->type));
		return hash_mix64(h, ref_of(c, a->index_type));
	}
	case BTF_KIND_FUNC_PROTO: {
		const struct btf_param *p = (const void *)(t + 1);

		h = hash_mix64(h, ref_of(c, t->type));
		for (i = 0; i < n; i++) {
			h = hash_mix64(
				h, hash_str64(btf_raw__str(b, p[i].name_off)));
			h = hash_mix64(h, ref_of(c, p[i].type));
		}
		return h;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		const struct btf_member *mm = (const void *)(t + 1);

		h = hash_mix64(h, t->size);
		for (i = 0; i < n; i++) {
			h = hash_mix64(
				h, hash_str64(btf_raw__str(b, mm[i].name_off)));
			h = hash_mix64(h, mm[i].offset);
			h = hash_mix64(h, ref_of(c, mm[i].type));
		}
		return h;
	}
	case BTF_KIND_ENUM: {
		const struct btf_enum *e = (const void *)(t + 1);

		h = hash_mix64(h, t->size);
		for (i = 0; i < n; i++)
			h = hash_mix64(
				hash_mix64(h, hash_str64(btf_raw__str(
						      b, e[i].name_off))),
				(uint32_t)e[i].val);
		return h;
	}
	case BTF_KIND_ENUM64: {
		const struct btf_enum64 *e = (const void *)(t + 1);

		h = hash_mix64(h, t->size);
		for (i = 0; i < n; i++)
			h = hash_mix64(
				hash_mix64(
					hash_mix64(h,
						   hash_str64(btf_raw__str(
							   b, e[i].name_off))),
					e[i].val_lo32),
				e[i].val_hi32);
		return h;
	}
	default:
		return hash_mix64(h, t->size);
	}
}

static uint32_t map_id(struct rebase_map *m, uint32_t id, int depth);

static uint32_t ref_of(struct ref_ctx *c, uint32_t id)
{
	uint32_t r;

	if (!c->old)
		return id;
	r = map_id((struct rebase_map *)c->m, id, 0);
	if (r == UINT32_MAX)
		c->fail = true;
	return r;
}

/* The shape of a member's type: modifiers, pointers and arrays down to the
 * first named type (by kind and name) or anonymous aggregate (by size). */
static uint64_t shape(const struct btf_raw *b, uint32_t id)
{
	uint64_t h = 17;
	int depth;

	for (depth = 0; depth < 40; depth++) {
		const struct btf_type *t = btf_raw__type(b, id);
		uint32_t k;

		if (!t)
			return hash_mix64(h, 0);
		k = kind_class(btf_type_kind(t));
		if (k == BTF_KIND_ARRAY) {
			const struct btf_array *a = (const void *)(t + 1);

			h = hash_mix64(hash_mix64(h, k), a->nelems);
			id = a->type;
			continue;
		}
		if (k == BTF_KIND_PTR || k == BTF_KIND_CONST ||
		    k == BTF_KIND_VOLATILE || k == BTF_KIND_RESTRICT ||
		    k == BTF_KIND_TYPE_TAG ||
		    (k == BTF_KIND_TYPEDEF && !t->name_off)) {
			h = hash_mix64(h, k);
			id = t->type;
			continue;
		}
		if (k == BTF_KIND_FWD)
			k = btf_type_kflag(t) ? BTF_KIND_UNION
					      : BTF_KIND_STRUCT;
		h = hash_mix64(h, k);
		h = hash_mix64(h, hash_str64(btf_raw__str(b, t->name_off)));
		if (k == BTF_KIND_FUNC_PROTO)
			return hash_mix64(h, btf_type_vlen(t));
		return hash_mix64(h, btf_raw__size(b, id));
	}
	return h;
}

/* Named types: same layout in old and new? */
static bool same_layout(struct rebase_map *m, uint32_t oid, uint32_t nid)
{
	const struct btf_type *o = btf_raw__type(m->ob, oid);
	const struct btf_type *n = btf_raw__type(m->nb, nid);
	uint32_t k = btf_type_kind(o), i, vlen = btf_type_vlen(o);

	if (btf_type_kind(n) != k || n->info != o->info)
		return false;
	switch (k) {
	case BTF_KIND_INT:
		return o->size == n->size &&
		       *(const uint32_t *)(o + 1) == *(const uint32_t *)(n + 1);
	case BTF_KIND_FLOAT:
		return o->size == n->size;
	case BTF_KIND_FWD:
		return true;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64: {
		struct ref_ctx c = {.m = m, .old = true};

		return anon_hash(&c, m->ob, o) ==
			       anon_hash(&(struct ref_ctx){.m = m}, m->nb, n) &&
		       !c.fail;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		const struct btf_member *a = (const void *)(o + 1);
		const struct btf_member *b = (const void *)(n + 1);

		if (o->size != n->size)
			return false;
		for (i = 0; i < vlen; i++) {
			const char *an = btf_raw__str(m->ob, a[i].name_off);
			const char *bn = btf_raw__str(m->nb, b[i].name_off);

			if (a[i].offset != b[i].offset || strcmp(an, bn) ||
			    shape(m->ob, a[i].type) != shape(m->nb, b[i].type))
				return false;
		}
		return true;
	}
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_FUNC:
	case BTF_KIND_VAR:
		if (k == BTF_KIND_VAR &&
		    *(const uint32_t *)(o + 1) != *(const uint32_t *)(n + 1))
			return false;
		return map_id(m, o->type, 0) == n->type;
	default:
		return false;
	}
}

static uint32_t map_named(struct rebase_map *m, uint32_t oid)
{
	const struct btf_type *o = btf_raw__type(m->ob, oid);
	size_t i, n;

	i = btf_index_find(&m->names, kind_class(btf_type_kind(o)),
			   btf_raw__str(m->ob, o->name_off), &n);
	for (n += i; i < n; i++)
		if (same_layout(m, oid, m->names.v[i].id))
			return m->names.v[i].id;
	return UINT32_MAX;
}

static bool anon_equal(struct rebase_map *m, const struct btf_type *o,
		       const struct btf_type *n)
{
	/* the hashes matched; the records must too, references mapped */
	uint32_t rec = btf_raw__rec_size(o, UINT32_MAX);

	if (rec != btf_raw__rec_size(n, UINT32_MAX) || o->info != n->info)
		return false;
	if (btf_type_kind(o) == BTF_KIND_STRUCT ||
	    btf_type_kind(o) == BTF_KIND_UNION ||
	    btf_type_kind(o) == BTF_KIND_FUNC_PROTO ||
	    btf_type_kind(o) == BTF_KIND_ENUM ||
	    btf_type_kind(o) == BTF_KIND_ENUM64) {
		/* names compared by content through the hash; sizes here */
		return o->size == n->size ||
		       btf_type_kind(o) == BTF_KIND_FUNC_PROTO;
	}
	return true;
}

static uint32_t map_anon(struct rebase_map *m, uint32_t oid)
{
	const struct btf_type *o = btf_raw__type(m->ob, oid);
	struct ref_ctx c = {.m = m, .old = true};
	uint64_t h = anon_hash(&c, m->ob, o) | 1;
	size_t s;

	if (c.fail)
		return UINT32_MAX;
	for (s = (size_t)(h >> 7) & m->amask; m->akeys[s];
	     s = (s + 1) & m->amask)
		if (m->akeys[s] == h &&
		    anon_equal(m, o, btf_raw__type(m->nb, m->aids[s])))
			return m->aids[s];
	return UINT32_MAX;
}

static uint32_t map_id(struct rebase_map *m, uint32_t id, int depth)
{
	const struct btf_type *t;
	uint32_t r;

	if (!id)
		return 0;
	if (id >= btf_raw__type_cnt(m->ob))
		return UINT32_MAX;
	if (m->state[id] == MAP_DONE)
		return m->map[id];
	if (m->state[id] == MAP_BUSY || depth > 64)
		return UINT32_MAX; /* only through a broken base */
	m->state[id] = MAP_BUSY;
	t = btf_raw__type(m->ob, id);
	if (is_named_kind(btf_type_kind(t)) && t->name_off)
		r = map_named(m, id);
	else
		r = map_anon(m, id);
	m->map[id] = r;
	m->state[id] = MAP_DONE;
	return r;
}

struct rebase_map *rebase_map_new(const struct btf_raw *old_base,
				  const struct btf_raw *new_base)
{
	struct rebase_map *m = calloc(1, sizeof(*m));
	uint32_t ocnt = old_base ? btf_raw__type_cnt(old_base) : 1;
	uint32_t ncnt = btf_raw__type_cnt(new_base), id;
	size_t cap = 1024;

	if (!m)
		return NULL;
	m->ob = old_base;
	m->nb = new_base;
	m->map = calloc(ocnt, sizeof(*m->map));
	m->state = calloc(ocnt, 1);
	while (cap < 2 * (size_t)ncnt)
		cap <<= 1;
	m->akeys = calloc(cap, sizeof(*m->akeys));
	m->aids = malloc(cap * sizeof(*m->aids));
	m->amask = cap - 1;
	if (!m->map || !m->state || !m->akeys || !m->aids ||
	    btf_index_build(&m->names, new_base, named_class, -1)) {
		rebase_map_free(m);
		errno = ENOMEM;
		return NULL;
	}
	for (id = 1; id < ncnt; id++) {
		const struct btf_type *t = btf_raw__type(new_base, id);
		struct ref_ctx c = {.m = m};

		if (!is_named_kind(btf_type_kind(t)) || !t->name_off) {
			uint64_t h = anon_hash(&c, new_base, t) | 1;
			size_t s = (size_t)(h >> 7) & m->amask;

			while (m->akeys[s])
				s = (s + 1) & m->amask;
			m->akeys[s] = h;
			m->aids[s] = id;
		}
	}
	if (strset__init_seeded(&m->strs, new_base->strs, new_base->str_len,
				0)) {
		rebase_map_free(m);
		errno = ENOMEM;
		return NULL;
	}
	/* the whole old base, once: modules then only read the map */
	for (id = 1; id < ocnt; id++)
		map_id(m, id, 0);
	return m;
}

void rebase_map_free(struct rebase_map *m)
{
	if (!m)
		return;
	free(m->map);
	free(m->state);
	if (m->borrowed) {
		free(m);
		return;
	}
	btf_index_release(&m->names);
	free(m->akeys);
	free(m->aids);
	strset__release(&m->strs);
	free(m);
}

size_t rebase_map_named(const struct rebase_map *m, uint32_t kind,
			const char *name, size_t *first)
{
	size_t n;

	*first = btf_index_find(&m->names, kind_class(kind), name, &n);
	return n;
}

uint32_t rebase_map_named_id(const struct rebase_map *m, size_t i)
{
	return i < m->names.cnt ? m->names.v[i].id : 0;
}

struct rebase_map *rebase_map_derive(const struct rebase_map *index,
				     const struct btf_raw *old_base,
				     const uint32_t *map)
{
	struct rebase_map *m = malloc(sizeof(*m));
	uint32_t ocnt = btf_raw__type_cnt(old_base);

	if (!m)
		return NULL;
	*m = *index;
	m->borrowed = true;
	m->ob = old_base;
	m->map = malloc(ocnt * sizeof(*m->map));
	m->state = malloc(ocnt);
	if (!m->map || !m->state) {
		free(m->map);
		free(m->state);
		free(m);
		errno = ENOMEM;
		return NULL;
	}
	memcpy(m->map, map, ocnt * sizeof(*m->map));
	memset(m->state, MAP_DONE, ocnt);
	return m;
}

struct rewrite {
	const struct rebase_map *m;
	const struct btf_raw *split;
	uint32_t ocnt, ncnt; /* base type counts */
	uint32_t *carry;     /* old base id -> id in the output split, 0 */
	struct strset *set;  /* the module's strings the base lacks */
	uint32_t nstr;	     /* the new base's string length */
	uint32_t missing;    /* base refs without an equivalent */
	struct diag *d;
	int err;
};

/* The new base has a type of this kind and name: then an old type of that
 * name that did not map changed its layout; it cannot be carried. */
static bool name_in_new(const struct rebase_map *m, const struct btf_type *t)
{
	size_t n;

	if (!t->name_off || !is_named_kind(btf_type_kind(t)))
		return false;
	btf_index_find(&m->names, kind_class(btf_type_kind(t)),
		       btf_raw__str(m->ob, t->name_off), &n);
	return n > 0;
}

static void note_missing(struct rewrite *w, uint32_t id)
{
	const struct btf_type *t = btf_raw__type(w->m->ob, id);
	const char *n = btf_raw__str(w->m->ob, t->name_off);
	size_t len;

	if (w->missing++ >= 5 || !w->d)
		return;
	len = strlen(w->d->msg);
	snprintf(w->d->msg + len, sizeof(w->d->msg) - len,
		 "%s[%u] %s '%s' (changed layout)", w->missing > 1 ? ", " : "",
		 id, btf_kind_name(btf_type_kind(t)), n && *n ? n : "(anon)");
}

struct carry_ctx {
	struct rewrite *w;
	uint32_t *queue; /* old ids to carry, in discovery order */
	uint32_t cnt, next_id;
};

static int want_carry(uint32_t *id, void *c)
{
	struct carry_ctx *cc = c;
	struct rewrite *w = cc->w;
	const struct btf_type *t;

	if (!*id || *id >= w->ocnt || w->m->map[*id] != UINT32_MAX ||
	    w->carry[*id])
		return 0;
	t = btf_raw__type(w->m->ob, *id);
	if (name_in_new(w->m, t)) {
		w->carry[*id] = UINT32_MAX; /* reported once */
		note_missing(w, *id);
		return 0;
	}
	w->carry[*id] = cc->next_id++;
	cc->queue[cc->cnt++] = *id;
	return 0;
}

static int rw_id(uint32_t *id, void *c)
{
	struct rewrite *w = c;

	if (!*id)
		return 0;
	if (*id >= w->ocnt)
		*id = *id - w->ocnt + w->ncnt;
	else if (w->m->map[*id] != UINT32_MAX)
		*id = w->m->map[*id];
	else
		*id = w->carry[*id]; /* checked complete before */
	return 0;
}

static int rw_str(uint32_t *off, void *c)
{
	struct rewrite *w = c;
	const char *s = btf_raw__str(w->split, *off);
	int64_t r;

	if (!*off)
		return 0;
	r = strset__find(&w->m->strs, s, strlen(s));
	if (r >= 0) {
		*off = (uint32_t)r;
		return 0;
	}
	r = strset__add(w->set, s, strlen(s));
	if (r < 0) {
		w->err = (int)r;
		return (int)r;
	}
	*off = w->nstr + (uint32_t)r;
	return 0;
}

/* Offsets into the module's own strings lose the set's leading NUL. */
static int shift_str(uint32_t *off, void *c)
{
	struct rewrite *w = c;

	if (*off >= w->nstr)
		*off -= 1;
	return 0;
}

int rebase_split(struct rebase_map *m, const struct btf_raw *split, void **out,
		 size_t *out_sz, struct diag *d)
{
	uint32_t nstr = m->nb->start_str_off + m->nb->str_len, i;
	struct rewrite w = {
		.m = m,
		.split = split,
		.ocnt = btf_raw__type_cnt(m->ob),
		.ncnt = btf_raw__type_cnt(m->nb),
		.d = d,
	};
	struct carry_ctx cc = {.w = &w};
	uint64_t len = split->types_len;
	struct strset set = {0};
	uint8_t *types = NULL;
	uint32_t k, types_len;
	int err = -ENOMEM;

	*out = NULL;
	if (split->base != m->ob) {
		diag_set(d, "internal: split BTF not parsed on the old base");
		return -EINVAL;
	}
	w.carry = calloc(w.ocnt, sizeof(*w.carry));
	cc.queue = malloc(w.ocnt * sizeof(*cc.queue));
	if (!w.carry || !cc.queue || strset__init(&set, split->str_len))
		goto nomem;
	w.set = &set;
	w.nstr = nstr;
	/*
	 * Old base types the new base lacks: carried into the split part,
	 * after the module's own types (their references may need more);
	 * a named type the new base has in another layout is refused.
	 */
	diag_set(d, "no equivalent in the new base for ");
	cc.next_id = w.ncnt + split->type_cnt;
	for (i = 0; i < split->type_cnt; i++)
		btf_type_visit_ids(
			(struct btf_type *)(split->types + split->type_offs[i]),
			want_carry, &cc);
	for (k = 0; k < cc.cnt; k++) {
		const struct btf_type *t = btf_raw__type(m->ob, cc.queue[k]);

		btf_type_visit_ids((struct btf_type *)t, want_carry, &cc);
		len += btf_raw__rec_size(t, UINT32_MAX);
	}
	if (w.missing) {
		size_t l = strlen(d->msg);

		if (w.missing > 5)
			snprintf(d->msg + l, sizeof(d->msg) - l, " and %u more",
				 w.missing - 5);
		err = -ENOENT;
		goto out;
	}
	if (len > UINT32_MAX)
		goto nomem;
	types = malloc(len ? len : 1);
	if (!types)
		goto nomem;
	memcpy(types, split->types, split->types_len);
	types_len = split->types_len;
	for (k = 0; k < cc.cnt; k++) {
		const struct btf_type *t = btf_raw__type(m->ob, cc.queue[k]);
		uint32_t rec = btf_raw__rec_size(t, UINT32_MAX);

		memcpy(types + types_len, t, rec);
		types_len += rec;
	}
	/* rewrite ids and strings of every record, own and carried */
	for (i = 0, len = 0; len < types_len; i++) {
		struct btf_type *t = (void *)(types + len);

		btf_type_visit_ids(t, rw_id, &w);
		btf_type_visit_strs(t, rw_str, &w);
		len += btf_raw__rec_size(t, UINT32_MAX);
	}
	if (w.err) {
		err = w.err;
		diag_set(d, "string section too large");
		goto out;
	}
	d->msg[0] = '\0';
	/* the set starts with its empty string, which no offset names: the
	 * split string section is what follows it */
	for (len = 0; len < types_len;) {
		struct btf_type *t = (void *)(types + len);

		btf_type_visit_strs(t, shift_str, &w);
		len += btf_raw__rec_size(t, UINT32_MAX);
	}
	*out = btf_raw__write(types, types_len, set.data + 1,
			      (uint32_t)(set.len - 1), out_sz);
	err = *out ? 0 : -ENOMEM;
	if (err)
		diag_set(d, "out of memory");
	goto out;
nomem:
	diag_set(d, "out of memory");
	err = -ENOMEM;
out:
	strset__release(&set);
	free(types);
	free(w.carry);
	free(cc.queue);
	return err;
}
