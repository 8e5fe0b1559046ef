// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * order: the order in which a deduplicated blob's split types are written.
 *
 * Module type ids in a merged blob are btfar's own (the kernel numbers each
 * module's types on their own); only the base's (vmlinux's) ids must stay
 * those of /sys/kernel/btf/vmlinux. An engine writes the split types in
 * order of first occurrence: module by module in path order, and within a
 * module in the order pahole wrote them. pahole -j hands a module's
 * compilation units to its threads as they come free and keeps the first
 * copy of each type, so a module of several units comes out in another
 * order from one build to the next even when its types are the same:
 * 26,412 breaks of the type order between the module parts of two Debian
 * 6.1 builds (6.1.0-48, 6.1.0-56), 3,891 of them in amdgpu alone. Every
 * break costs an archive's delta of the next build in its type map, and
 * moved types move the module ranges of its index.
 *
 * Passes, per segment (the types the engine met first in one module; it
 * writes them contiguously, so a module's range stays as compact):
 * 1. Sort the segment's kept types: named ones first, by name (as strcmp
 *    orders them), then kind; where those tie, by a hash of the shape
 *    (size, vlen, flags, member, parameter and enumerator names with
 *    offsets and values, and the name or kind of each referenced type);
 *    anonymous ones after them, in the engine's order. The engine's order
 *    breaks what ties remain.
 * 2. Walk that list: a type not yet placed is placed, then every type of
 *    its segment it reaches and that is not placed yet, depth first, so a
 *    type sits near the types it refers to, as in pahole's order. On a
 *    Debian 6.1 build this costs 0.6% under xz -9 and 5% more module
 *    ranges against the engine's order, for 2.4x fewer breaks of the type
 *    order between two builds; walking only anonymous types, the modules
 *    took 2.1x the ranges, and named types by a hash of their name instead
 *    of the name cost 5.2% under xz -9.
 * Segments are ordered on two threads when in->jobs allows, each taking
 * whole segments: the order does not depend on it.
 * Invariant: a segment's order depends on its types' names, kinds, shapes
 * and references, not on the order the engine met them in, except among
 * types whose name, kind and shape all tie and for anonymous types that no
 * named type of their segment reaches.
 */
#include "dedup/order.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "formats/hash.h"
#include "formats/thread.h"

struct order_key {
	/* the name's first 16 bytes, big-endian, NUL-padded: as numbers
	 * they order as strcmp orders the names */
	uint64_t pfx[2];
	const char *name; /* NULL: anonymous */
	uint32_t kind;
	uint32_t idx; /* split index */
};

struct shape_key {
	uint64_t shape;
	uint32_t idx;
};

/* One thread's share: segments of split indices [from, to), written to
 * perm from out on. keys and stack are the whole arrays: a segment
 * [a, b) uses their slots a..b-1 only. */
struct order_part {
	const struct order_input *in;
	struct order_key *keys;
	uint32_t *stack;
	uint8_t *placed; /* shared: each part marks its own indices */
	uint32_t *perm;
	uint32_t from, to, out;
	int err;
};

static const struct btf_type *rec(const struct order_input *in, uint32_t idx)
{
	return (const void *)(in->types + in->offs[idx]);
}

/* The string at off, base or split; "" for one outside the sections or
 * unterminated (prune's emit reports those). */
static const char *str_at(const struct order_input *in, uint32_t off)
{
	const char *s;
	uint32_t local;

	if (off < in->base_str) {
		s = btf_raw__str(in->base, off);
		return s ? s : "";
	}
	local = off - in->base_str;
	if (local >= in->str_len ||
	    !memchr(in->strs + local, 0, in->str_len - local))
		return "";
	return in->strs + local;
}

struct shape_ctx {
	const struct order_input *in;
	uint64_t h;
};

/* A referenced type: its name when it has one, else its kind. */
static int shape_ref(uint32_t *id, void *ctx)
{
	struct shape_ctx *c = ctx;
	const struct btf_type *t;

	if (*id >= c->in->s0)
		t = *id - c->in->s0 < c->in->n ? rec(c->in, *id - c->in->s0)
					       : NULL;
	else
		t = *id ? btf_raw__type(c->in->base, *id) : NULL;
	if (!t)
		c->h = hash_mix64(c->h, *id);
	else if (t->name_off)
		c->h = hash_mix64(c->h, hash_str64(str_at(c->in, t->name_off)));
	else
		c->h = hash_mix64(c->h, btf_type_kind(t));
	return 0;
}

static int shape_str(uint32_t *off, void *ctx)
{
	struct shape_ctx *c = ctx;

	c->h = hash_mix64(c->h, hash_str64(str_at(c->in, *off)));
	return 0;
}

/* What a record says but for its ids and string offsets, which depend on
 * the order: they count by what they name instead. */
static uint64_t shape_hash(const struct order_input *in, uint32_t idx)
{
	const struct btf_type *t = rec(in, idx);
	uint32_t len = btf_raw__rec_size(t, UINT32_MAX), i;
	struct shape_ctx c = {.in = in, .h = 1};
	const uint32_t *w = (const void *)t;

	/* info and size; after the record head, every word (offsets,
	 * values, encodings, and the ids and names the visits below count
	 * again by what they name) */
	c.h = hash_mix64(c.h, t->info);
	c.h = hash_mix64(c.h, t->size);
	for (i = sizeof(struct btf_type) / 4; i < len / 4; i++)
		c.h = hash_mix64(c.h, w[i]);
	btf_type_visit_ids((struct btf_type *)(uintptr_t)t, shape_ref, &c);
	btf_type_visit_strs((struct btf_type *)(uintptr_t)t, shape_str, &c);
	return c.h;
}

static inline int key_cmp(const struct order_key *x, const struct order_key *y)
{

	if (!x->name != !y->name)
		return x->name ? -1 : 1;
	if (x->name) {
		if (x->pfx[0] != y->pfx[0])
			return x->pfx[0] < y->pfx[0] ? -1 : 1;
		if (x->pfx[1] != y->pfx[1])
			return x->pfx[1] < y->pfx[1] ? -1 : 1;
		/* 16 equal bytes, none NUL: both names go on */
		if (x->pfx[1] & 0xff) {
			int c = strcmp(x->name + 16, y->name + 16);

			if (c)
				return c;
		}
		if (x->kind != y->kind)
			return x->kind < y->kind ? -1 : 1;
	}
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static inline void key_swap(struct order_key *a, struct order_key *b)
{
	struct order_key t = *a;

	*a = *b;
	*b = t;
}

/* keys[0, n) by key_cmp: quicksort (median of three, the smaller side
 * first) with insertion sort below 16; qsort's indirect calls took two
 * thirds of the order's time. */
static void key_sort(struct order_key *k, size_t n)
{
	while (n > 16) {
		size_t m = n / 2, i = 0, j = n - 1;
		struct order_key pivot;

		if (key_cmp(&k[m], &k[0]) < 0)
			key_swap(&k[m], &k[0]);
		if (key_cmp(&k[n - 1], &k[0]) < 0)
			key_swap(&k[n - 1], &k[0]);
		if (key_cmp(&k[n - 1], &k[m]) < 0)
			key_swap(&k[n - 1], &k[m]);
		pivot = k[m];
		for (;;) {
			while (key_cmp(&k[i], &pivot) < 0)
				i++;
			while (key_cmp(&pivot, &k[j]) < 0)
				j--;
			if (i >= j)
				break;
			key_swap(&k[i++], &k[j--]);
		}
		/* [0, j] <= pivot <= [j + 1, n) */
		if (j + 1 < n - j - 1) {
			key_sort(k, j + 1);
			k += j + 1;
			n -= j + 1;
		} else {
			key_sort(k + j + 1, n - j - 1);
			n = j + 1;
		}
	}
	for (size_t i = 1; i < n; i++) {
		struct order_key t = k[i];
		size_t j = i;

		for (; j && key_cmp(&t, &k[j - 1]) < 0; j--)
			k[j] = k[j - 1];
		k[j] = t;
	}
}

static int shape_cmp(const void *a, const void *b)
{
	const struct shape_key *x = a, *y = b;

	if (x->shape != y->shape)
		return x->shape < y->shape ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void set_key(const struct order_input *in, struct order_key *k,
		    uint32_t idx)
{
	const struct btf_type *t = rec(in, idx);
	const char *s;
	uint32_t i;

	k->idx = idx;
	k->kind = btf_type_kind(t);
	k->pfx[0] = k->pfx[1] = 0;
	k->name = NULL;
	if (!t->name_off)
		return;
	s = k->name = str_at(in, t->name_off);
	for (i = 0; i < 16 && s[i]; i++)
		k->pfx[i / 8] |= (uint64_t)(uint8_t)s[i] << (56 - 8 * (i % 8));
}

/* The keys [a, b) of equal name and kind, by shape then index. */
static int sort_ties(const struct order_input *in, struct order_key *keys,
		     uint32_t a, uint32_t b)
{
	struct shape_key *sk = malloc((size_t)(b - a) * sizeof(*sk));
	uint32_t j;

	if (!sk)
		return -ENOMEM;
	for (j = a; j < b; j++) {
		sk[j - a].idx = keys[j].idx;
		sk[j - a].shape = shape_hash(in, keys[j].idx);
	}
	qsort(sk, b - a, sizeof(*sk), shape_cmp);
	for (j = a; j < b; j++)
		keys[j].idx = sk[j - a].idx;
	free(sk);
	return 0;
}

struct walk_ctx {
	struct order_part *p;
	uint32_t seg; /* the segment being walked */
	uint32_t *stack;
	uint32_t top;
};

/* Pushes a kept, unplaced split type of the segment. */
static int push_ref(uint32_t *id, void *ctx)
{
	struct walk_ctx *w = ctx;
	const struct order_input *in = w->p->in;
	uint32_t i;

	if (*id < in->s0)
		return 0;
	i = *id - in->s0;
	if (i >= in->n || w->p->placed[i] || in->seg[i] != w->seg ||
	    (in->keep && !in->keep[i]))
		return 0;
	w->p->placed[i] = 1;
	w->stack[w->top++] = i;
	return 0;
}

/* Pass 2 from root: places it, then what it reaches (depth first). */
static void walk(struct walk_ctx *w, uint32_t root)
{
	struct order_part *p = w->p;

	p->placed[root] = 1;
	w->stack[w->top++] = root;
	while (w->top) {
		uint32_t i = w->stack[--w->top];

		p->perm[p->out++] = i;
		btf_type_visit_ids((struct btf_type *)(uintptr_t)rec(p->in, i),
				   push_ref, w);
	}
}

/* Orders the segment [a, b) (passes 1 and 2). */
static int order_segment(struct order_part *p, uint32_t a, uint32_t b)
{
	const struct order_input *in = p->in;
	struct order_key *keys = p->keys + a;
	struct walk_ctx w = {.p = p, .seg = in->seg[a], .stack = p->stack + a};
	uint32_t i, k, nk = 0;
	int err;

	for (i = a; i < b; i++)
		if (!in->keep || in->keep[i])
			set_key(in, &keys[nk++], i);
	key_sort(keys, nk);
	for (i = 0; i < nk; i = k) {
		for (k = i + 1; k < nk && keys[i].name && keys[k].name &&
				keys[k].kind == keys[i].kind &&
				!strcmp(keys[k].name, keys[i].name);
		     k++)
			;
		if (k - i > 1) {
			err = sort_ties(in, keys, i, k);
			if (err)
				return err;
		}
	}
	for (i = 0; i < nk; i++)
		if (!p->placed[keys[i].idx])
			walk(&w, keys[i].idx);
	return 0;
}

static void *order_part_main(void *arg)
{
	struct order_part *p = arg;
	uint32_t a, b;

	for (a = p->from; a < p->to && !p->err; a = b) {
		for (b = a + 1; b < p->to && p->in->seg[b] == p->in->seg[a];
		     b++)
			;
		p->err = order_segment(p, a, b);
	}
	return NULL;
}

int order_split(const struct order_input *in, uint32_t *perm)
{
	struct order_part part[2] = {{0}};
	struct order_key *keys = malloc(((size_t)in->n + 1) * sizeof(*keys));
	uint32_t *stack = malloc(((size_t)in->n + 1) * sizeof(*stack));
	uint8_t *placed = calloc((size_t)in->n + 1, 1);
	uint32_t mid = in->n, i, kept = 0;
	pthread_t t;
	int beside = 0, err = -ENOMEM;

	if (!keys || !stack || !placed)
		goto out;
	/* the second part starts at the first segment boundary past half
	 * the types */
	if (in->jobs >= 2 && in->n >= 65536)
		for (mid = in->n / 2;
		     mid < in->n && in->seg[mid] == in->seg[mid - 1]; mid++)
			;
	for (i = 0; i < mid; i++)
		kept += !in->keep || in->keep[i];
	for (i = 0; i < 2; i++)
		part[i] = (struct order_part){
			.in = in,
			.keys = keys,
			.stack = stack,
			.placed = placed,
			.perm = perm,
			.from = i ? mid : 0,
			.to = i ? in->n : mid,
			.out = i ? kept : 0,
		};
	beside = thread_run_beside(&t, mid < in->n, order_part_main, &part[1]);
	order_part_main(&part[0]);
	if (beside)
		pthread_join(t, NULL);
	err = part[0].err ? part[0].err : part[1].err;
	if (!err)
		err = (int)part[1].out;
out:
	free(keys);
	free(stack);
	free(placed);
	return err;
}
