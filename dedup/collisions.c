// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Same-named types that stay distinct after dedup.
 *
 * Algorithm summary:
 * 1. Every named STRUCT, UNION, ENUM/ENUM64 and TYPEDEF of base + split is
 *    listed as (class, name, id) and sorted (formats/btf_index); a
 *    (class, name) with several ids is a collision, each id a variant.
 * 2. Each variant gets a shape hash: kind, size, member (or enumerator)
 *    names and offsets (values), and a shallow description of each member's
 *    type (modifier chain, kind and name; FWD counts as the struct or union
 *    it declares, so a module seen before dedup hashes like the result).
 * 3. Each module's types of a colliding (class, name) are attributed to
 *    the variant they became in the deduplicated blob, when the dedup
 *    engine tells (btfar's does); otherwise to the variant with the same
 *    shape hash. Base variants are attributed to "vmlinux".
 * Shape hashes cannot tell apart two variants that differ only below the
 * first level of member types; a module's type is then attributed to the
 * first of them (only with the libbpf engine).
 */
#include "collisions.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "formats/btf_index.h"
#include "formats/hash.h"

enum name_class { CLASS_STRUCT, CLASS_UNION, CLASS_ENUM, CLASS_TYPEDEF };

static const char *const class_names[] = {"struct", "union", "enum", "typedef"};

struct attr {
	uint32_t group;	  /* collision index */
	uint32_t module;  /* module index, or UINT32_MAX for vmlinux */
	uint32_t variant; /* variant index */
};

static int class_of(const struct btf_type *t)
{
	switch (btf_type_kind(t)) {
	case BTF_KIND_STRUCT:
		return CLASS_STRUCT;
	case BTF_KIND_UNION:
		return CLASS_UNION;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		return CLASS_ENUM;
	case BTF_KIND_TYPEDEF:
		return CLASS_TYPEDEF;
	default:
		return -1;
	}
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

/* The kind and name of a referenced type, through modifiers and pointers. */
static uint64_t shallow(const struct btf_raw *raw, uint32_t id)
{
	uint64_t h = 7;
	int depth;

	for (depth = 0; depth < 8; depth++) {
		const struct btf_type *t = btf_raw__type(raw, id);
		uint32_t k;

		if (!t)
			return mix(h, 0);
		k = btf_type_kind(t);
		switch (k) {
		case BTF_KIND_FWD:
			k = btf_type_kflag(t) ? BTF_KIND_UNION
					      : BTF_KIND_STRUCT;
			/* fallthrough */
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
		case BTF_KIND_ENUM:
		case BTF_KIND_ENUM64:
		case BTF_KIND_INT:
		case BTF_KIND_FLOAT:
		case BTF_KIND_TYPEDEF:
			if (k == BTF_KIND_ENUM64)
				k = BTF_KIND_ENUM;
			h = mix(h, k);
			return mix(h,
				   hash_str64(btf_raw__str(raw, t->name_off)));
		case BTF_KIND_ARRAY: {
			const struct btf_array *a = (const void *)(t + 1);

			h = mix(mix(h, k), a->nelems);
			id = a->type;
			break;
		}
		case BTF_KIND_FUNC_PROTO:
			return mix(mix(h, k), btf_type_vlen(t));
		default:
			h = mix(h, k);
			id = t->type;
			break;
		}
	}
	return h;
}

static uint64_t shape(const struct btf_raw *raw, uint32_t id)
{
	const struct btf_type *t = btf_raw__type(raw, id);
	uint32_t i, vlen = btf_type_vlen(t), k = btf_type_kind(t);
	uint64_t h = mix(mix(class_of(t), t->size), vlen);

	switch (k) {
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		const struct btf_member *m = (const void *)(t + 1);

		h = mix(h, btf_type_kflag(t));
		for (i = 0; i < vlen; i++, m++) {
			h = mix(h, hash_str64(btf_raw__str(raw, m->name_off)));
			h = mix(h, m->offset);
			h = mix(h, shallow(raw, m->type));
		}
		break;
	}
	case BTF_KIND_ENUM: {
		const struct btf_enum *e = (const void *)(t + 1);

		for (i = 0; i < vlen; i++, e++) {
			h = mix(h, hash_str64(btf_raw__str(raw, e->name_off)));
			h = mix(h, (uint64_t)(int64_t)e->val);
		}
		break;
	}
	case BTF_KIND_ENUM64: {
		const struct btf_enum64 *e = (const void *)(t + 1);

		for (i = 0; i < vlen; i++, e++) {
			h = mix(h, hash_str64(btf_raw__str(raw, e->name_off)));
			h = mix(h, (uint64_t)e->val_hi32 << 32 | e->val_lo32);
		}
		break;
	}
	case BTF_KIND_TYPEDEF:
		h = mix(h, shallow(raw, t->type));
		break;
	}
	return h;
}

static int cmp_attr(const void *a, const void *b)
{
	const struct attr *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	/* vmlinux (UINT32_MAX) first */
	if (x->module != y->module)
		return x->module + 1 < y->module + 1 ? -1 : 1;
	return x->variant < y->variant ? -1 : x->variant > y->variant;
}

/* Collision groups: ranges of the sorted named[] array. */
struct group {
	uint32_t start; /* index into named[] */
	uint32_t cnt;	/* variants */
};

static int find_group(const struct btf_index_entry *named,
		      const struct group *groups, size_t group_cnt,
		      uint32_t cls, const char *name)
{
	size_t lo = 0, hi = group_cnt;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct btf_index_entry *g = &named[groups[mid].start];
		int c = g->cls != cls ? (g->cls < cls ? -1 : 1)
				      : strcmp(g->name, name);

		if (!c)
			return (int)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int collisions_find(struct collisions *c, const struct btf_raw *base,
		    const struct btf_raw *split,
		    const struct btf_raw *const *mods, const char *const *names,
		    size_t n, const uint32_t *const *final_ids, struct diag *d)
{
	struct btf_index ix = {0};
	struct btf_index_entry *named;
	uint32_t i;
	struct group *groups = NULL;
	uint64_t *hashes = NULL;
	struct attr *attrs = NULL;
	size_t named_cnt = 0, group_cnt = 0, attr_cnt = 0, attr_cap = 0, k;
	size_t arena_sz;
	char *arena;
	int err = -ENOMEM;

	memset(c, 0, sizeof(*c));
	if (btf_index_build(&ix, split, class_of, -1))
		goto nomem;
	named = ix.v;
	named_cnt = ix.cnt;
	groups = malloc((named_cnt ? named_cnt : 1) * sizeof(*groups));
	if (!groups)
		goto nomem;
	for (k = 0; k < named_cnt;) {
		size_t e = k + 1;

		while (e < named_cnt && named[e].cls == named[k].cls &&
		       !strcmp(named[e].name, named[k].name))
			e++;
		if (e - k > 1)
			groups[group_cnt++] =
				(struct group){(uint32_t)k, (uint32_t)(e - k)};
		k = e;
	}
	hashes = malloc((named_cnt ? named_cnt : 1) * sizeof(*hashes));
	if (!hashes)
		goto nomem;
	for (k = 0; k < group_cnt; k++)
		for (i = 0; i < groups[k].cnt; i++) {
			uint32_t at = groups[k].start + i;

			hashes[at] = shape(split, named[at].id);
			if (named[at].id < split->start_id) {
				if (attr_cnt == attr_cap) {
					attr_cap =
						attr_cap ? attr_cap * 2 : 256;
					attrs = realloc(attrs,
							attr_cap *
								sizeof(*attrs));
					if (!attrs)
						goto nomem;
				}
				attrs[attr_cnt++] = (struct attr){
					(uint32_t)k, UINT32_MAX, i};
			}
		}

	/* attribution of module definitions */
	for (k = 0; mods && k < n; k++) {
		const struct btf_raw *m = mods[k];

		for (i = 0; i < m->type_cnt; i++) {
			const struct btf_type *t =
				(const void *)(m->types + m->type_offs[i]);
			int cls = class_of(t), g;
			uint64_t h;
			uint32_t v;

			if (cls < 0 || !t->name_off)
				continue;
			g = find_group(named, groups, group_cnt, (uint32_t)cls,
				       btf_raw__str(m, t->name_off));
			if (g < 0)
				continue;
			if (final_ids) {
				/* the id this type became: exact */
				uint32_t f = final_ids[k][i];

				for (v = 0; v < groups[g].cnt; v++)
					if (named[groups[g].start + v].id == f)
						break;
			} else {
				h = shape(m, m->start_id + i);
				for (v = 0; v < groups[g].cnt; v++)
					if (hashes[groups[g].start + v] == h)
						break;
			}
			if (v == groups[g].cnt)
				continue; /* no shape matched: not attributed */
			if (attr_cnt == attr_cap) {
				attr_cap = attr_cap ? attr_cap * 2 : 256;
				attrs = realloc(attrs,
						attr_cap * sizeof(*attrs));
				if (!attrs)
					goto nomem;
			}
			attrs[attr_cnt++] =
				(struct attr){(uint32_t)g, (uint32_t)k, v};
		}
	}
	if (attr_cnt)
		qsort(attrs, attr_cnt, sizeof(*attrs), cmp_attr);

	/* one arena: items, then per item module pointers and variants */
	arena_sz = group_cnt * sizeof(*c->items) +
		   attr_cnt * (sizeof(char *) + sizeof(uint32_t));
	arena = calloc(1, arena_sz ? arena_sz : 1);
	if (!arena)
		goto nomem;
	c->mem = arena;
	c->items = (void *)arena;
	c->cnt = group_cnt;
	{
		const char **mod_ptrs =
			(void *)(arena + group_cnt * sizeof(*c->items));
		uint32_t *vars = (void *)(mod_ptrs + attr_cnt);
		size_t a = 0, w = 0;

		for (k = 0; k < group_cnt; k++) {
			struct btfar_collision *it = &c->items[k];
			size_t first = w;

			it->name = named[groups[k].start].name;
			it->kind = class_names[named[groups[k].start].cls];
			it->variant_cnt = groups[k].cnt;
			for (; a < attr_cnt && attrs[a].group == k; a++) {
				/* one line per module and variant */
				if (w > first &&
				    attrs[a - 1].module == attrs[a].module &&
				    attrs[a - 1].variant == attrs[a].variant)
					continue;
				mod_ptrs[w] = attrs[a].module == UINT32_MAX
						      ? "vmlinux"
						      : names[attrs[a].module];
				vars[w] = attrs[a].variant;
				w++;
			}
			it->modules = (const char *const *)&mod_ptrs[first];
			it->variant = &vars[first];
			it->module_cnt = (uint32_t)(w - first);
		}
	}
	err = 0;
	goto out;
nomem:
	diag_set(d, "out of memory");
	err = -ENOMEM;
out:
	btf_index_release(&ix);
	free(groups);
	free(hashes);
	free(attrs);
	if (err)
		collisions_release(c);
	(void)base;
	return err;
}

void collisions_release(struct collisions *c)
{
	if (!c)
		return;
	free(c->mem);
	memset(c, 0, sizeof(*c));
}
