// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* btf_index: one pass to count, one to fill, qsort, binary search. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "formats/btf_index.h"

static int cmp_entry(const void *a, const void *b)
{
	const struct btf_index_entry *x = a, *y = b;
	int c;

	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->id < y->id ? -1 : x->id > y->id;
}

static bool is_enum(const struct btf_type *t)
{
	return btf_type_kind(t) == BTF_KIND_ENUM ||
	       btf_type_kind(t) == BTF_KIND_ENUM64;
}

int btf_index_build(struct btf_index *ix, const struct btf_raw *raw,
		    btf_index_class_fn cls, int enumerator_cls)
{
	uint32_t total = btf_raw__type_cnt(raw), id, i;
	size_t cap = 0;

	memset(ix, 0, sizeof(*ix));
	for (id = 1; id < total; id++) {
		const struct btf_type *t = btf_raw__type(raw, id);

		cap += 1 + (enumerator_cls >= 0 && is_enum(t) ? btf_type_vlen(t)
							      : 0);
	}
	ix->v = malloc((cap ? cap : 1) * sizeof(*ix->v));
	if (!ix->v)
		return -ENOMEM;
	for (id = 1; id < total; id++) {
		const struct btf_type *t = btf_raw__type(raw, id);
		int c = cls(t);

		if (c >= 0 && t->name_off)
			ix->v[ix->cnt++] = (struct btf_index_entry){
				btf_raw__str(raw, t->name_off), (uint32_t)c,
				id};
		if (enumerator_cls >= 0 && is_enum(t)) {
			const uint8_t *e = (const uint8_t *)(t + 1);
			size_t step =
				btf_type_kind(t) == BTF_KIND_ENUM ? 8 : 12;

			for (i = 0; i < btf_type_vlen(t); i++, e += step)
				ix->v[ix->cnt++] = (struct btf_index_entry){
					btf_raw__str(raw, *(const uint32_t *)e),
					(uint32_t)enumerator_cls, id};
		}
	}
	qsort(ix->v, ix->cnt, sizeof(*ix->v), cmp_entry);
	return 0;
}

size_t btf_index_find(const struct btf_index *ix, uint32_t cls,
		      const char *name, size_t *n)
{
	size_t lo = 0, hi = ix->cnt, k = 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct btf_index_entry *e = &ix->v[mid];
		int c = e->cls != cls ? (e->cls < cls ? -1 : 1)
				      : strcmp(e->name, name);

		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (n) {
		while (lo + k < ix->cnt && ix->v[lo + k].cls == cls &&
		       !strcmp(ix->v[lo + k].name, name))
			k++;
		*n = k;
	}
	return lo;
}

void btf_index_release(struct btf_index *ix)
{
	if (!ix)
		return;
	free(ix->v);
	memset(ix, 0, sizeof(*ix));
}
