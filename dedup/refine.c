// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Deduplication of a merged split BTF by partition refinement.
 *
 * The graph is base + split: every type id is a node. Two types are
 * equivalent when they are bisimilar: same local shape (kind, name, size,
 * member names and offsets, enumerators, ...) and pairwise equivalent
 * referenced types. The coarsest such partition is computed; a class that
 * holds a base type stands for the lowest base id in it, so a split type
 * equal to a base type becomes that base id, and the base's own types and
 * ids never change.
 *
 * Algorithm summary:
 * 0. Declarations first: a FWD stands for the first struct (or union) of
 *    its name, the base's if there is one; an ENUM without enumerators for
 *    the first enum of its name and size. In the base, only declarations
 *    of names the base does not define are resolved (to the split part's
 *    first definition). Every reference to a resolved declaration, in the
 *    base or the split part, is redirected to its definition: this is
 *    libbpf's FWD <-> STRUCT rule (a base PTR -> FWD X is equivalent to a
 *    split PTR -> STRUCT X). A FWD of a name that only the split part
 *    defines, with several layouts (two modules' struct X), is left for
 *    step 4: which X it means depends on where it is used.
 * 1. Local hash C0 of every type (string offsets are canonical: the merge
 *    interned every string once, base strings at their base offsets).
 *    VAR and DATASEC are never merged (as libbpf): their C0 is unique, and
 *    so is that of a FWD left for step 4.
 * 2. R rounds of C_{k+1}(t) = H(C0(t), C_k(r) for each reference r). After
 *    R rounds, types with equal colors have equal unrollings to depth R: a
 *    partition at least as coarse as the bisimulation.
 * 3. Grouping by color with an exact local-shape check, then refinement
 *    with a worklist: a class whose members reference different classes is
 *    split, and the classes of the types referring to the movers are
 *    looked at again, until nothing moves. The result is stable, so every
 *    merged pair is truly equivalent whatever the hashes did; it is the
 *    coarsest stable partition below step 2's, hence the bisimulation.
 *    Cycles through base and split types need nothing special: a class is
 *    kept until a difference is found, the greatest fixed point.
 * 4. FWDs by context (resolve_in_context): struct classes of one shape, one
 *    reaching a FWD of step 0's kind, are compared side by side as libbpf
 *    compares two graphs; when they agree, the FWD stands for the struct it
 *    met, the pairs merge and so do the types referring to them (congruence
 *    closure). What no context resolves stays one FWD per name.
 * 5. Every class is represented by its lowest id (a split one when the
 *    lowest is a base modifier chain ending in a FWD, which cannot stand
 *    where a size is needed, and only when an emitted split type refers
 *    to the class: keep_used_moves). Emit the split representatives in
 *    id order; every reference is rewritten to its class's representative
 *    (a base id, or the new id of a split one); only the strings still
 *    referenced are kept, in order of first use.
 * Steps 1 to 3 (and step 3's first look at every class) run on two
 * threads when the input allows (in->jobs), each writing only its own
 * half: the output is the same.
 * Invariant: the output depends only on the input bytes and order.
 */
#include "refine.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dedup/first_use.h"
#include "formats/btf_raw.h"
#include "formats/hash.h"
#include "formats/mem.h"

/*
 * Rounds of color propagation before grouping. The result does not depend
 * on it (the refinement finds what the rounds did not: measured, 3, 4, 6
 * and 12 rounds give byte-identical output on Debian's 6.12 modules); it
 * only trades hashing passes for worklist steps.
 */
#define REFINE_ROUNDS 3

/* All arrays by type id, 0 (void) to nn - 1: base ids, then split ids. */
struct refine {
	const struct refine_input *in;
	uint32_t n;		      /* split types */
	uint32_t s0;		      /* first split id */
	uint32_t nn;		      /* ids: s0 + n */
	const struct btf_type **recs; /* [0]: NULL */
	uint32_t *ref_start; /* CSR: refs of type i are refs[ref_start[i]..] */
	uint32_t *refs;	     /* referenced ids, rewritten by declarations */
	uint64_t *c0, *cur, *next; /* colors */
	uint32_t round;		   /* color round under way */
	uint32_t *cls;		   /* class: its lowest id */
	uint32_t *alias; /* declaration -> id it stands for, 0: none */
	uint8_t *amb;	 /* FWD of a name with several struct layouts */
	uint32_t amb_cnt;
	/* classes' members (head/nxt lists) and predecessors (CSR) */
	uint32_t *head, *nxt, *tail;
	uint32_t *pstart, *preds;
	uint8_t *unstable; /* class whose members disagree, for the worklist */
	/* hash table for grouping: slot -> type id + 1 */
	uint32_t *slots;
	uint64_t *slot_keys;
	size_t slot_cnt;
};

static bool unique_kind(uint32_t kind)
{
	return kind == BTF_KIND_VAR || kind == BTF_KIND_DATASEC;
}

static uint64_t local_hash(const struct btf_type *t, uint32_t idx)
{
	uint32_t k = btf_type_kind(t), n = btf_type_vlen(t), i;
	uint64_t h = hash_mix64(t->info, t->name_off);

	switch (k) {
	case BTF_KIND_INT:
		h = hash_mix64(hash_mix64(h, t->size),
			       *(const uint32_t *)(t + 1));
		break;
	case BTF_KIND_FLOAT:
		h = hash_mix64(h, t->size);
		break;
	case BTF_KIND_ARRAY:
		h = hash_mix64(h, ((const struct btf_array *)(t + 1))->nelems);
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		const struct btf_member *m = (const void *)(t + 1);

		h = hash_mix64(h, t->size);
		for (i = 0; i < n; i++)
			h = hash_mix64(hash_mix64(h, m[i].name_off),
				       m[i].offset);
		break;
	}
	case BTF_KIND_ENUM: {
		const struct btf_enum *e = (const void *)(t + 1);

		h = hash_mix64(h, t->size);
		for (i = 0; i < n; i++)
			h = hash_mix64(hash_mix64(h, e[i].name_off),
				       (uint32_t)e[i].val);
		break;
	}
	case BTF_KIND_ENUM64: {
		const struct btf_enum64 *e = (const void *)(t + 1);

		h = hash_mix64(h, t->size);
		for (i = 0; i < n; i++)
			h = hash_mix64(hash_mix64(hash_mix64(h, e[i].name_off),
						  e[i].val_lo32),
				       e[i].val_hi32);
		break;
	}
	case BTF_KIND_FUNC_PROTO: {
		const struct btf_param *p = (const void *)(t + 1);

		for (i = 0; i < n; i++)
			h = hash_mix64(h, p[i].name_off);
		break;
	}
	case BTF_KIND_DECL_TAG:
		h = hash_mix64(h, *(const uint32_t *)(t + 1));
		break;
	case BTF_KIND_VAR:
	case BTF_KIND_DATASEC:
		h = hash_mix64(h, 0x5eed0000ull + idx);
		break;
	default:
		break;
	}
	return h;
}

/* Local shapes equal: everything but the referenced type ids. */
static bool local_eq(const struct btf_type *x, const struct btf_type *y)
{
	uint32_t k = btf_type_kind(x), n = btf_type_vlen(x), i;

	if (x == y)
		return true;
	if (x->info != y->info || x->name_off != y->name_off || unique_kind(k))
		return false;
	switch (k) {
	case BTF_KIND_INT:
		return x->size == y->size &&
		       *(const uint32_t *)(x + 1) == *(const uint32_t *)(y + 1);
	case BTF_KIND_FLOAT:
		return x->size == y->size;
	case BTF_KIND_ARRAY:
		return ((const struct btf_array *)(x + 1))->nelems ==
		       ((const struct btf_array *)(y + 1))->nelems;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		const struct btf_member *a = (const void *)(x + 1),
					*b = (const void *)(y + 1);

		if (x->size != y->size)
			return false;
		for (i = 0; i < n; i++)
			if (a[i].name_off != b[i].name_off ||
			    a[i].offset != b[i].offset)
				return false;
		return true;
	}
	case BTF_KIND_ENUM:
		return x->size == y->size &&
		       !memcmp(x + 1, y + 1, n * sizeof(struct btf_enum));
	case BTF_KIND_ENUM64:
		return x->size == y->size &&
		       !memcmp(x + 1, y + 1, n * sizeof(struct btf_enum64));
	case BTF_KIND_FUNC_PROTO: {
		const struct btf_param *a = (const void *)(x + 1),
				       *b = (const void *)(y + 1);

		for (i = 0; i < n; i++)
			if (a[i].name_off != b[i].name_off)
				return false;
		return true;
	}
	case BTF_KIND_DECL_TAG:
		return *(const uint32_t *)(x + 1) == *(const uint32_t *)(y + 1);
	default: /* PTR, modifiers, TYPEDEF, TYPE_TAG, FUNC, FWD */
		return true;
	}
}

struct ref_collect {
	uint32_t *out;
	uint32_t cnt;
};

static int store_ref(uint32_t *id, void *ctx)
{
	struct ref_collect *c = ctx;

	c->out[c->cnt++] = *id;
	return 0;
}

/* Every id field is a word of a record: the type sections' words bound
 * the number of references, so one pass fills them. */
static int build_refs(struct refine *r)
{
	size_t cap = ((size_t)r->in->base->types_len + r->in->types_len) / 4;
	struct ref_collect c = {0};
	uint32_t i;

	r->refs = malloc((cap ? cap : 1) * sizeof(*r->refs));
	if (!r->refs)
		return -ENOMEM;
	c.out = r->refs;
	r->ref_start[0] = 0;
	for (i = 1; i < r->nn; i++) {
		r->ref_start[i] = c.cnt;
		btf_type_visit_ids((struct btf_type *)r->recs[i], store_ref,
				   &c);
	}
	r->ref_start[r->nn] = c.cnt;
	return 0;
}

static inline uint32_t canon(const struct refine *r, uint32_t id)
{
	return r->cls[id];
}

/*
 * Runs fn(r, part) as part 0 on this thread and part 1 on another when
 * the input asks for more than one thread (each part writes only what it
 * owns, so the result is the same either way); fn(r, -1) does it all.
 */
struct part_job {
	struct refine *r;
	void (*fn)(struct refine *r, int part);
};

static void *part_main(void *p)
{
	struct part_job *j = p;

	j->fn(j->r, 1);
	return NULL;
}

static void run_parts(struct refine *r, void (*fn)(struct refine *r, int part))
{
	struct part_job j = {r, fn};
	pthread_t t;

	if (r->in->jobs < 2 || r->nn < 65536 ||
	    pthread_create(&t, NULL, part_main, &j)) {
		fn(r, -1);
		return;
	}
	fn(r, 0);
	pthread_join(t, NULL);
}

/* The ids part covers: [1, nn) split in two halves. */
static void part_span(const struct refine *r, int part, uint32_t *lo,
		      uint32_t *hi)
{
	uint32_t mid = r->nn / 2;

	*lo = part == 1 ? mid : 1;
	*hi = part == 0 ? mid : r->nn;
}

static void c0_part(struct refine *r, int part)
{
	uint32_t i, lo, hi;

	part_span(r, part, &lo, &hi);
	for (i = lo; i < hi; i++) {
		r->c0[i] = local_hash(r->recs[i], i);
		/* a declaration of a name with several layouts: alone until
		 * its context resolves it */
		if (r->amb[i])
			r->c0[i] = hash_mix64(r->c0[i], 0xa3b0000000ull + i);
	}
}

/* One round: next from cur (c0 in the first round). */
static void round_part(struct refine *r, int part)
{
	const uint64_t *cur = r->round ? r->cur : r->c0;
	uint32_t i, j, lo, hi;

	part_span(r, part, &lo, &hi);
	for (i = lo; i < hi; i++) {
		uint64_t h = r->c0[i];

		for (j = r->ref_start[i]; j < r->ref_start[i + 1]; j++)
			h = hash_mix64(h, cur[r->refs[j]]);
		r->next[i] = h;
	}
}

static void color_rounds(struct refine *r)
{
	for (r->round = 0; r->round < REFINE_ROUNDS; r->round++) {
		uint64_t *t;

		r->next[0] = r->c0[0];
		run_parts(r, round_part);
		t = r->cur;
		r->cur = r->next;
		r->next = t;
	}
}

static bool refs_eq(const struct refine *r, uint32_t a, uint32_t b)
{
	uint32_t i = r->ref_start[a], j = r->ref_start[b];
	uint32_t n = r->ref_start[a + 1] - i;

	if (n != r->ref_start[b + 1] - j)
		return false;
	for (; n; n--, i++, j++)
		if (canon(r, r->refs[i]) != canon(r, r->refs[j]))
			return false;
	return true;
}

/*
 * Groups types by their colors (cur) into classes: cls[i] = the lowest id
 * of its class. Equal keys share a class only when the local shapes are
 * equal too, so a hash collision never merges two types; the refinement
 * then splits what the references tell apart. Void and resolved
 * declarations (referenced by no one) stay alone. A part takes the keys
 * of one value of their top bit, in its own half of the table.
 */
static void group_part(struct refine *r, int part)
{
	size_t half = part < 0 ? r->slot_cnt : r->slot_cnt / 2;
	size_t mask = half - 1;
	uint32_t *slots = r->slots + (part == 1 ? half : 0);
	uint64_t *slot_keys = r->slot_keys + (part == 1 ? half : 0);
	const uint64_t *key = r->cur;
	uint32_t *out = r->cls;
	uint32_t i;

	memset(slots, 0, half * sizeof(*slots));
	for (i = 1; i < r->nn; i++) {
		uint64_t h = key[i];
		size_t s = (size_t)(h * 0x9e3779b97f4a7c15ull >> 17) & mask;

		if (part >= 0 && (int)(h >> 63) != part)
			continue;
		if (r->alias[i]) {
			out[i] = i;
			continue;
		}
		for (;; s = (s + 1) & mask) {
			uint32_t j = slots[s];

			if (!j) {
				slots[s] = i + 1;
				slot_keys[s] = h;
				out[i] = i;
				break;
			}
			j--;
			if (slot_keys[s] != h)
				continue;
			if (local_eq(r->recs[i], r->recs[j])) {
				out[i] = j;
				break;
			}
		}
	}
}

/* Predecessors: who refers to type i, preds[pstart[i]..pstart[i + 1]). */
static int build_preds(struct refine *r)
{
	uint32_t n = r->nn, i, j, total = r->ref_start[n];

	r->pstart = calloc((size_t)n + 1, sizeof(*r->pstart));
	r->preds = malloc(((size_t)total + 1) * sizeof(*r->preds));
	if (!r->pstart || !r->preds)
		return -ENOMEM;
	for (j = 0; j < total; j++)
		r->pstart[r->refs[j] + 1]++;
	for (i = 0; i < n; i++)
		r->pstart[i + 1] += r->pstart[i];
	for (i = 0; i < n; i++)
		for (j = r->ref_start[i]; j < r->ref_start[i + 1]; j++)
			r->preds[r->pstart[r->refs[j]]++] = i;
	for (i = n; i > 0; i--)
		r->pstart[i] = r->pstart[i - 1];
	r->pstart[0] = 0;
	return 0;
}

/* Members of each class from cls[], in increasing id order. */
static void build_lists(struct refine *r)
{
	uint32_t i;

	memset(r->head, 0xff, (size_t)r->nn * sizeof(*r->head));
	for (i = r->nn; i-- > 0;) {
		uint32_t c = r->cls[i];

		if (r->head[c] == UINT32_MAX)
			r->tail[c] = i;
		r->nxt[i] = r->head[c];
		r->head[c] = i;
	}
}

/*
 * Splits classes until every class is stable: all its members reference
 * the same classes. A class is looked at again only when a type it
 * references moved to a new class (worklist), so deep distinctions cost
 * only what they touch. Starts from the classes seeds[0..nseeds), or from
 * every class when seeds is NULL. Class ids stay "lowest member id".
 */
static int refine_classes(struct refine *r, const uint32_t *seeds,
			  uint32_t nseeds)
{
	uint32_t n = r->nn, i, j, k, c, top = 0;
	uint32_t *head = r->head, *nxt = r->nxt, *pstart = r->pstart,
		 *preds = r->preds;
	uint32_t *stack = NULL, *mem = NULL, *grp = NULL, *treps = NULL;
	uint64_t *sig = NULL, *tkeys = NULL;
	uint8_t *queued = NULL;
	size_t tcap = r->slot_cnt;
	int err = -ENOMEM;

	stack = malloc((size_t)n * sizeof(*stack));
	mem = malloc((size_t)n * sizeof(*mem));
	grp = malloc((size_t)n * sizeof(*grp));
	sig = malloc((size_t)n * sizeof(*sig));
	treps = malloc(tcap * sizeof(*treps));
	tkeys = malloc(tcap * sizeof(*tkeys));
	queued = calloc((size_t)n, 1);
	if (!stack || !mem || !grp || !sig || !treps || !tkeys || !queued)
		goto out;

	if (seeds) {
		for (k = nseeds; k-- > 0;) {
			c = r->cls[seeds[k]];
			if (!queued[c]) {
				stack[top++] = c;
				queued[c] = 1;
			}
		}
	} else {
		/* a uniform class would be popped and left as it is */
		for (i = n; i-- > 0;)
			if (r->unstable[i]) {
				stack[top++] = i;
				queued[i] = 1;
			}
	}
	while (top) {
		uint32_t cnt = 0, groups = 0;
		size_t tsz = 16, mask;
		bool uniform = true;

		c = stack[--top];
		queued[c] = 0;
		for (i = head[c]; i != UINT32_MAX; i = nxt[i])
			mem[cnt++] = i;
		if (cnt < 2)
			continue;
		for (k = 0; k < cnt; k++) {
			uint64_t h = 0x12345;

			i = mem[k];
			for (j = r->ref_start[i]; j < r->ref_start[i + 1]; j++)
				h = hash_mix64(h, canon(r, r->refs[j]));
			sig[k] = h;
			if (k && (h != sig[0] || !refs_eq(r, i, mem[0])))
				uniform = false;
		}
		if (uniform)
			continue;
		/* group members by their references' classes */
		while (tsz < 2 * (size_t)cnt)
			tsz <<= 1;
		mask = tsz - 1;
		memset(treps, 0xff, tsz * sizeof(*treps));
		for (k = 0; k < cnt; k++) {
			size_t s = (size_t)(sig[k] >> 7) & mask;

			i = mem[k];
			for (;; s = (s + 1) & mask) {
				if (treps[s] == UINT32_MAX) {
					treps[s] = i; /* lowest id: first */
					tkeys[s] = sig[k];
					grp[k] = i;
					groups++;
					break;
				}
				if (tkeys[s] == sig[k] &&
				    refs_eq(r, i, treps[s])) {
					grp[k] = treps[s];
					break;
				}
			}
		}
		/* relink the lists; movers' referrers must be looked at */
		for (k = cnt; k-- > 0;) {
			uint32_t g = grp[k];

			i = mem[k];
			if (g == i)
				head[g] = UINT32_MAX;
		}
		for (k = cnt; k-- > 0;) {
			uint32_t g = grp[k];

			i = mem[k];
			if (head[g] == UINT32_MAX)
				r->tail[g] = i;
			nxt[i] = head[g];
			head[g] = i;
			if (g == c)
				continue;
			r->cls[i] = g;
			for (j = pstart[i]; j < pstart[i + 1]; j++) {
				uint32_t pc = r->cls[preds[j]];

				if (!queued[pc]) {
					queued[pc] = 1;
					stack[top++] = pc;
				}
			}
		}
	}
	err = 0;
out:
	free(stack);
	free(mem);
	free(grp);
	free(sig);
	free(treps);
	free(tkeys);
	free(queued);
	return err;
}

/* Whether the members of class c (c first) all reference the same
 * classes: refine_classes' test, without the signatures. */
static bool members_agree(const struct refine *r, uint32_t c)
{
	uint32_t i;

	for (i = r->nxt[c]; i != UINT32_MAX; i = r->nxt[i])
		if (!refs_eq(r, i, c))
			return false;
	return true;
}

/* unstable[] for the classes whose lowest id is in the part's span */
static void unstable_part(struct refine *r, int part)
{
	uint32_t i, lo, hi;

	part_span(r, part, &lo, &hi);
	for (i = lo; i < hi; i++)
		r->unstable[i] = r->cls[i] == i && r->nxt[i] != UINT32_MAX &&
				 !members_agree(r, i);
}

static void *lists_main(void *p)
{
	build_lists(p);
	return NULL;
}

/*
 * The refinement looks at every class with two members or more first;
 * after the color rounds nearly all are uniform (on 7.2's modules, 3.2
 * million ids in about 0.5 million classes). That first look is read-only,
 * so it runs on two threads (run_parts), and the worklist starts with the
 * classes it found split only: the coarsest stable partition, and with it
 * every class id (its lowest member), does not depend on the order
 * classes are split in. The predecessors and the class lists are built
 * side by side, from different arrays.
 */
static int partition(struct refine *r)
{
	pthread_t t;
	bool beside;
	int err;

	r->c0[0] = 0x766f6964ull; /* void */
	run_parts(r, c0_part);
	color_rounds(r);
	r->cls[0] = 0;
	run_parts(r, group_part);
	beside = r->in->jobs >= 2 && r->nn >= 65536 &&
		 !pthread_create(&t, NULL, lists_main, r);
	err = build_preds(r);
	if (beside)
		pthread_join(t, NULL);
	else
		build_lists(r);
	if (err)
		return err;
	r->unstable = malloc(r->nn);
	if (!r->unstable)
		return -ENOMEM;
	r->unstable[0] = r->nxt[0] != UINT32_MAX && !members_agree(r, 0);
	run_parts(r, unstable_part);
	err = refine_classes(r, NULL, 0);
	free(r->unstable);
	r->unstable = NULL;
	return err;
}

/* Name table for declarations: (name_off, kind, size) -> unique id. */
struct decl_slot {
	uint64_t key; /* 0: empty */
	uint32_t id;  /* the first definition */
	bool layouts; /* definitions of several local shapes */
};

static uint64_t decl_key(uint32_t name_off, uint32_t tag, uint32_t size)
{
	return ((uint64_t)name_off << 32 | (uint64_t)tag << 28 | size) + 1;
}

static struct decl_slot *decl_find(struct decl_slot *t, size_t cnt,
				   uint64_t key)
{
	size_t s = (size_t)(key * 0x9e3779b97f4a7c15ull >> 20) & (cnt - 1);

	while (t[s].key && t[s].key != key)
		s = (s + 1) & (cnt - 1);
	return &t[s];
}

/* The key a definition or declaration of a type is found under. */
static bool decl_of(const struct btf_type *t, bool *is_decl, uint64_t *key)
{
	uint32_t k = btf_type_kind(t);

	if (!t->name_off)
		return false;
	switch (k) {
	case BTF_KIND_STRUCT:
		*is_decl = false;
		*key = decl_key(t->name_off, 1, 0);
		return true;
	case BTF_KIND_UNION:
		*is_decl = false;
		*key = decl_key(t->name_off, 2, 0);
		return true;
	case BTF_KIND_FWD:
		*is_decl = true;
		*key = decl_key(t->name_off, btf_type_kflag(t) ? 2 : 1, 0);
		return true;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		*is_decl = btf_type_vlen(t) == 0;
		*key = decl_key(t->name_off, 3, t->size);
		return true;
	default:
		return false;
	}
}

/*
 * Points every reference to a declaration (FWD, or ENUM without
 * enumerators) at the first definition of its name: the base's if the base
 * has one, else the split type with the lowest id (for an enum: of the same
 * size). Declarations in the base are resolved only to split definitions.
 * A FWD whose name only the split part defines, with several layouts, is
 * left to resolve_in_context (amb[]). The resolved declarations are then
 * unreferenced; split ones are not emitted. Returns how many declarations
 * were resolved.
 */
static int resolve_decls(struct refine *r)
{
	uint32_t i, resolved = 0, j, named = 0;
	size_t cnt = 1024;
	struct decl_slot *t;
	uint64_t key;
	bool is_decl;

	for (i = 1; i < r->nn; i++)
		if (decl_of(r->recs[i], &is_decl, &key))
			named++;
	while (cnt < 2 * (size_t)named)
		cnt <<= 1;
	t = calloc(cnt, sizeof(*t));
	if (!t)
		return -ENOMEM;
	/* definitions in id order: base first, then split */
	for (i = 1; i < r->nn; i++) {
		struct decl_slot *s;

		if (!decl_of(r->recs[i], &is_decl, &key) || is_decl)
			continue;
		s = decl_find(t, cnt, key);
		if (!s->key) {
			s->key = key;
			s->id = i;
		} else if (!s->layouts && s->id >= r->s0 &&
			   btf_type_kind(r->recs[i]) != BTF_KIND_ENUM &&
			   btf_type_kind(r->recs[i]) != BTF_KIND_ENUM64 &&
			   !local_eq(r->recs[s->id], r->recs[i])) {
			s->layouts = true;
		}
	}
	for (i = 1; i < r->nn; i++) {
		struct decl_slot *s;

		r->alias[i] = 0;
		if (!decl_of(r->recs[i], &is_decl, &key) || !is_decl)
			continue;
		s = decl_find(t, cnt, key);
		if (!s->key || (i < r->s0 && s->id < r->s0))
			continue;
		if (s->layouts) {
			r->amb[i] = 1;
			r->amb_cnt++;
			continue;
		}
		r->alias[i] = s->id;
		resolved++;
	}
	free(t);
	for (j = 0; resolved && j < r->ref_start[r->nn]; j++)
		if (r->alias[r->refs[j]])
			r->refs[j] = r->alias[r->refs[j]];
	return (int)resolved;
}

/*
 * FWDs resolved by their context (resolve_in_context).
 *
 * A FWD X whose name the split part defines with several layouts (two
 * modules with different struct X) is left alone by resolve_decls: which
 * X it stands for depends on where it is used. After the partition, two
 * classes of one local shape, one of which reaches such a FWD, are
 * compared side by side (libbpf's btf_dedup_is_equiv on classes): a
 * hypothetical one-to-one map between the classes of the two graphs, where
 * the FWD may meet a struct X. When the whole graphs agree, the pairs are
 * merged and the FWD stands for that struct from then on; the types
 * referring to what merged are merged when they now agree (congruence
 * closure over a signature table). What no context resolves stays a FWD,
 * one per name. Last, the classes that changed are refined again, so the
 * partition is stable whatever was merged.
 */
struct ctx {
	struct refine *r;
	uint32_t *map_ab, *map_ba; /* hypothetical class maps, 0: none */
	uint32_t *pairs;	   /* the a side of each hypothetical pair */
	size_t pair_cnt, pair_cap;
	uint32_t *stack; /* (a, b) pairs to compare */
	size_t stack_cnt, stack_cap;
	uint32_t *work; /* types whose class is to be signed again */
	size_t work_cnt, work_cap;
	uint32_t *seeds; /* classes that merged */
	size_t seed_cnt, seed_cap;
	uint32_t fwds;	 /* FWD classes resolved */
	uint64_t *skeys; /* signature table: key -> class */
	uint32_t *sids;
	size_t scap, sused;
};

static uint32_t uf_find(uint32_t *cls, uint32_t x)
{
	uint32_t root = x, t;

	while (cls[root] != root)
		root = cls[root];
	while (cls[x] != root) {
		t = cls[x];
		cls[x] = root;
		x = t;
	}
	return root;
}

/* The class a reference stands for now. */
static inline uint32_t canon_now(struct refine *r, uint32_t id)
{
	return uf_find(r->cls, r->alias[id] ? r->alias[id] : id);
}

static int push(uint32_t **v, size_t *cnt, size_t *cap, uint32_t x)
{
	if (mem_ensure((void **)v, cap, sizeof(**v), *cnt + 1))
		return -ENOMEM;
	(*v)[(*cnt)++] = x;
	return 0;
}

/* Queues the types referring to any member of class c. */
static int push_preds(struct ctx *x, uint32_t c)
{
	struct refine *r = x->r;
	uint32_t i, j;

	for (i = r->head[c]; i != UINT32_MAX; i = r->nxt[i])
		for (j = r->pstart[i]; j < r->pstart[i + 1]; j++)
			if (push(&x->work, &x->work_cnt, &x->work_cap,
				 r->preds[j]))
				return -ENOMEM;
	return 0;
}

/* Merges classes a and b (roots); the lower id stays the root. */
static int unite(struct ctx *x, uint32_t a, uint32_t b)
{
	struct refine *r = x->r;
	uint32_t lo = a < b ? a : b, hi = a < b ? b : a;

	if (a == b)
		return 0;
	if (push_preds(x, lo) || push_preds(x, hi) ||
	    push(&x->seeds, &x->seed_cnt, &x->seed_cap, lo))
		return -ENOMEM;
	r->cls[hi] = lo;
	r->nxt[r->tail[lo]] = r->head[hi];
	r->tail[lo] = r->tail[hi];
	r->head[hi] = UINT32_MAX;
	return 0;
}

/* FWD class f (all its members) now stands for struct class s. */
static int resolve_fwd(struct ctx *x, uint32_t f, uint32_t s)
{
	struct refine *r = x->r;
	uint32_t i;

	if (push_preds(x, f) || push_preds(x, s))
		return -ENOMEM;
	for (i = r->head[f]; i != UINT32_MAX; i = r->nxt[i])
		r->alias[i] = s;
	x->fwds++;
	return 0;
}

static bool fwd_meets(const struct btf_type *fwd, const struct btf_type *t)
{
	uint32_t k = btf_type_kind(t);

	return fwd->name_off == t->name_off &&
	       (k == (btf_type_kflag(fwd) ? BTF_KIND_UNION : BTF_KIND_STRUCT));
}

static void hypot_clear(struct ctx *x)
{
	size_t i;

	for (i = 0; i < x->pair_cnt; i++) {
		x->map_ba[x->map_ab[x->pairs[i]]] = 0;
		x->map_ab[x->pairs[i]] = 0;
	}
	x->pair_cnt = 0;
	x->stack_cnt = 0;
}

/*
 * Compares the graphs of classes a and b side by side. Returns 1 when they
 * agree (the pairs are left in the hypothetical map), 0 when not, or
 * -ENOMEM.
 */
static int graphs_agree(struct ctx *x, uint32_t a, uint32_t b)
{
	struct refine *r = x->r;

	if (push(&x->stack, &x->stack_cnt, &x->stack_cap, a) ||
	    push(&x->stack, &x->stack_cnt, &x->stack_cap, b))
		return -ENOMEM;
	while (x->stack_cnt) {
		uint32_t rb = canon_now(r, x->stack[--x->stack_cnt]);
		uint32_t ra = canon_now(r, x->stack[--x->stack_cnt]);
		const struct btf_type *ta, *tb;
		uint32_t i, j, n;

		if (ra == rb)
			continue;
		if (!ra || !rb)
			return 0;
		if (x->map_ab[ra] || x->map_ba[rb]) {
			if (x->map_ab[ra] == rb)
				continue;
			return 0;
		}
		if (push(&x->pairs, &x->pair_cnt, &x->pair_cap, ra))
			return -ENOMEM;
		x->map_ab[ra] = rb;
		x->map_ba[rb] = ra;
		ta = r->recs[ra];
		tb = r->recs[rb];
		if (r->amb[ra] && btf_type_kind(tb) != BTF_KIND_FWD) {
			if (!fwd_meets(ta, tb))
				return 0;
			continue;
		}
		if (r->amb[rb] && btf_type_kind(ta) != BTF_KIND_FWD) {
			if (!fwd_meets(tb, ta))
				return 0;
			continue;
		}
		if (!local_eq(ta, tb))
			return 0;
		i = r->ref_start[ra];
		j = r->ref_start[rb];
		n = r->ref_start[ra + 1] - i;
		if (n != r->ref_start[rb + 1] - j)
			return 0;
		for (; n; n--, i++, j++)
			if (push(&x->stack, &x->stack_cnt, &x->stack_cap,
				 r->refs[i]) ||
			    push(&x->stack, &x->stack_cnt, &x->stack_cap,
				 r->refs[j]))
				return -ENOMEM;
	}
	return 1;
}

/* Makes the hypothetical pairs real: FWDs resolved, classes merged. */
static int merge_pairs(struct ctx *x)
{
	struct refine *r = x->r;
	size_t i;
	int err = 0;

	for (i = 0; !err && i < x->pair_cnt; i++) {
		uint32_t a = x->pairs[i], b = x->map_ab[a];
		bool fa = r->amb[a] &&
			  btf_type_kind(r->recs[b]) != BTF_KIND_FWD,
		     fb = r->amb[b] &&
			  btf_type_kind(r->recs[a]) != BTF_KIND_FWD;

		if (fa || fb) {
			/* a FWD class met a struct: unless an earlier pair
			 * of this map resolved it already */
			uint32_t f = fa ? a : b, s = fa ? b : a;

			if (!r->alias[r->head[f]])
				err = resolve_fwd(x, f, uf_find(r->cls, s));
			continue;
		}
		err = unite(x, uf_find(r->cls, a), uf_find(r->cls, b));
	}
	return err;
}

static uint64_t class_sig(struct refine *r, uint32_t c)
{
	uint64_t h = local_hash(r->recs[c], c);
	uint32_t j;

	for (j = r->ref_start[c]; j < r->ref_start[c + 1]; j++)
		h = hash_mix64(h, canon_now(r, r->refs[j]));
	return h | 1;
}

static bool class_eq(struct refine *r, uint32_t a, uint32_t b)
{
	uint32_t i = r->ref_start[a], j = r->ref_start[b];
	uint32_t n = r->ref_start[a + 1] - i;

	if (!local_eq(r->recs[a], r->recs[b]) || n != r->ref_start[b + 1] - j)
		return false;
	for (; n; n--, i++, j++)
		if (canon_now(r, r->refs[i]) != canon_now(r, r->refs[j]))
			return false;
	return true;
}

/*
 * Congruence closure: the class of every queued type is signed (local
 * shape, classes referenced now) and merged with an equal class of the
 * same signature; a merge queues the referrers of both.
 */
static int close_work(struct ctx *x)
{
	struct refine *r = x->r;
	int err;

	while (x->work_cnt) {
		uint32_t c = uf_find(r->cls, x->work[--x->work_cnt]);
		uint64_t key;
		size_t s;

		if (r->alias[c] || !r->recs[c])
			continue;
		if ((x->sused + 1) * 2 > x->scap) {
			size_t ncap = x->scap ? x->scap * 2 : 4096, i, k;
			uint64_t *nk = calloc(ncap, sizeof(*nk));
			uint32_t *ni = malloc(ncap * sizeof(*ni));

			if (!nk || !ni) {
				free(nk);
				free(ni);
				return -ENOMEM;
			}
			for (i = 0; i < x->scap; i++) {
				if (!x->skeys[i])
					continue;
				for (k = (size_t)(x->skeys[i] >> 7) &
					 (ncap - 1);
				     nk[k]; k = (k + 1) & (ncap - 1))
					;
				nk[k] = x->skeys[i];
				ni[k] = x->sids[i];
			}
			free(x->skeys);
			free(x->sids);
			x->skeys = nk;
			x->sids = ni;
			x->scap = ncap;
		}
		key = class_sig(r, c);
		for (s = (size_t)(key >> 7) & (x->scap - 1); x->skeys[s];
		     s = (s + 1) & (x->scap - 1)) {
			uint32_t d;

			if (x->skeys[s] != key)
				continue;
			d = uf_find(r->cls, x->sids[s]);
			if (d == c)
				break;
			if (!r->alias[d] && class_eq(r, c, d)) {
				err = unite(x, c, d);
				if (err)
					return err;
				break;
			}
		}
		if (!x->skeys[s]) {
			x->skeys[s] = key;
			x->sids[s] = c;
			x->sused++;
		}
	}
	return 0;
}

struct cand {
	uint64_t key; /* local hash */
	uint32_t id;  /* class */
};

static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Whether every member of each seed class references what its first does. */
static bool seeds_stable(struct refine *r, const uint32_t *seeds, size_t n)
{
	size_t k;
	uint32_t i, c;

	for (k = 0; k < n; k++) {
		c = r->cls[seeds[k]];
		for (i = r->head[c]; i != UINT32_MAX; i = r->nxt[i])
			if (i != c && !class_eq(r, i, c))
				return false;
	}
	return true;
}

static int resolve_in_context(struct refine *r)
{
	struct ctx x = {.r = r};
	struct cand *cands = NULL;
	uint8_t *reach = NULL;
	uint32_t *queue = NULL, qn = 0, i, j, cn = 0;
	int err = -ENOMEM;

	x.map_ab = calloc(r->nn, sizeof(*x.map_ab));
	x.map_ba = calloc(r->nn, sizeof(*x.map_ba));
	reach = calloc(r->nn, 1);
	queue = malloc((size_t)r->nn * sizeof(*queue));
	if (!x.map_ab || !x.map_ba || !reach || !queue)
		goto out;

	/* the types from which an unresolved FWD can be reached */
	for (i = 1; i < r->nn; i++)
		if (r->amb[i]) {
			reach[i] = 1;
			queue[qn++] = i;
		}
	for (j = 0; j < qn; j++)
		for (i = r->pstart[queue[j]]; i < r->pstart[queue[j] + 1]; i++)
			if (!reach[r->preds[i]]) {
				reach[r->preds[i]] = 1;
				queue[qn++] = r->preds[i];
			}

	/* struct and union classes by local shape */
	cands = malloc(((size_t)r->nn + 1) * sizeof(*cands));
	if (!cands)
		goto out;
	for (i = 1; i < r->nn; i++) {
		uint32_t k = btf_type_kind(r->recs[i]);

		if (r->cls[i] == i && !r->alias[i] &&
		    (k == BTF_KIND_STRUCT || k == BTF_KIND_UNION))
			cands[cn++] = (struct cand){r->c0[i], i};
	}
	qsort(cands, cn, sizeof(*cands), cmp_cand);

	for (i = 0; i < cn; i++) {
		uint32_t a = cands[i].id, lo = i, k;

		if (!reach[a])
			continue;
		while (lo > 0 && cands[lo - 1].key == cands[i].key)
			lo--;
		for (k = lo; k < cn && cands[k].key == cands[i].key; k++) {
			uint32_t b = cands[k].id;
			int eq;

			if (uf_find(r->cls, a) == uf_find(r->cls, b) ||
			    !local_eq(r->recs[a], r->recs[b]))
				continue;
			eq = graphs_agree(&x, a, b);
			if (eq > 0)
				eq = merge_pairs(&x) ? -ENOMEM : 1;
			hypot_clear(&x);
			if (eq < 0 || (eq > 0 && close_work(&x)))
				goto out;
			if (eq > 0)
				break;
		}
	}
	/* the FWDs no context resolved: one per name */
	for (i = 1; i < r->nn; i++)
		if (r->amb[i] && !r->alias[i] &&
		    push(&x.work, &x.work_cnt, &x.work_cap, i))
			goto out;
	if (close_work(&x))
		goto out;

	/* flatten the classes; refine again only when a merged class is not
	 * stable (a FWD met two structs in one map): then the references
	 * point at what the FWDs now stand for */
	for (i = 0; i < r->nn; i++)
		r->cls[i] = uf_find(r->cls, i);
	err = 0;
	if (!seeds_stable(r, x.seeds, x.seed_cnt)) {
		for (j = 0; j < r->ref_start[r->nn]; j++)
			if (r->alias[r->refs[j]])
				r->refs[j] = r->alias[r->refs[j]];
		free(r->pstart);
		free(r->preds);
		r->preds = NULL;
		err = build_preds(r);
		if (!err) {
			build_lists(r);
			err = refine_classes(r, x.seeds, (uint32_t)x.seed_cnt);
		}
	}
out:
	free(x.map_ab);
	free(x.map_ba);
	free(x.pairs);
	free(x.stack);
	free(x.work);
	free(x.seeds);
	free(x.skeys);
	free(x.sids);
	free(cands);
	free(reach);
	free(queue);
	return err;
}

struct emit_ctx {
	const struct refine *r;
	const uint32_t *final; /* any id -> output id */
	struct first_use fu;   /* the split strings, in first-use order */
};

static int emit_id(uint32_t *id, void *c)
{
	struct emit_ctx *e = c;

	*id = e->final[*id];
	return 0;
}

static int emit_str(uint32_t *off, void *c)
{
	return first_use_str(&((struct emit_ctx *)c)->fu, off);
}

static bool modifier_kind(uint32_t kind)
{
	return kind == BTF_KIND_TYPEDEF || kind == BTF_KIND_VOLATILE ||
	       kind == BTF_KIND_CONST || kind == BTF_KIND_RESTRICT ||
	       kind == BTF_KIND_TYPE_TAG;
}

/*
 * Whether base type id can stand where a size is needed (member, array
 * element, variable) as the output reads it: the base keeps its own
 * references, so a modifier chain ending in a FWD (or void) cannot, even
 * when the FWD stands for a split struct here.
 */
static bool base_sized(const struct refine *r, uint32_t id)
{
	uint32_t k, depth;

	for (depth = 0; id && depth <= BTF_RAW_MAX_DEPTH; depth++) {
		k = btf_type_kind(r->recs[id]);
		if (!modifier_kind(k))
			return k != BTF_KIND_FWD;
		id = r->recs[id]->type;
	}
	return false;
}

/*
 * The representative of each class, rep[] by class id (its lowest id): that
 * id, except in a class whose lowest id is a base type that cannot stand
 * where a size is needed (a base CONST -> FWD X, equal to a split CONST ->
 * STRUCT X that an array or a member may hold): there the lowest split
 * member represents it. The members of one class reference the same
 * classes, so split members are all alike; only base chains differ.
 */
static void choose_reps(const struct refine *r, uint32_t *rep)
{
	uint32_t i, c;

	for (i = 1; i < r->nn; i++)
		rep[i] = i;
	for (i = r->s0; i < r->nn; i++) {
		c = r->cls[i];
		if (c < r->s0 && rep[c] == c && !r->alias[i] &&
		    !base_sized(r, c))
			rep[c] = i;
	}
}

/* Marks the moved classes type i refers to, queueing their members. */
static void mark_moves(const struct refine *r, const uint32_t *rep, uint32_t i,
		       uint8_t *used, uint32_t *stack, uint32_t *top)
{
	uint32_t j, id, c;

	for (j = r->ref_start[i]; j < r->ref_start[i + 1]; j++) {
		id = r->refs[j];
		c = r->cls[r->alias[id] ? r->alias[id] : id];
		if (c && c < r->s0 && rep[c] != c && !used[c]) {
			used[c] = 1;
			stack[(*top)++] = rep[c];
		}
	}
}

/*
 * A class choose_reps moved to a split member is emitted only when an
 * emitted split type refers to it. When every split type that referred to
 * it merged into a base type (a module's PTR -> CONST -> STRUCT X is the
 * base's PTR -> CONST -> FWD X), nothing in the output would: the class
 * goes back to its base id and the split member is not written. A kept
 * moved member may refer to another moved class (a TYPEDEF of a CONST of a
 * FWD), hence the worklist. Returns 0 or -ENOMEM.
 */
static int keep_used_moves(const struct refine *r, uint32_t *rep)
{
	uint32_t i, c, top = 0, moved = 0;
	uint32_t *stack;
	uint8_t *used;

	for (c = 1; c < r->s0; c++)
		if (rep[c] != c)
			moved++;
	if (!moved)
		return 0;
	stack = malloc((size_t)moved * sizeof(*stack));
	used = calloc(r->s0, 1);
	if (!stack || !used) {
		free(stack);
		free(used);
		return -ENOMEM;
	}
	/* the split types emitted whatever happens here, then the moved
	 * members they need */
	for (i = r->s0; i < r->nn; i++) {
		c = r->cls[i];
		if (!r->alias[i] && rep[c] == i && c >= r->s0)
			mark_moves(r, rep, i, used, stack, &top);
	}
	while (top)
		mark_moves(r, rep, stack[--top], used, stack, &top);
	for (c = 1; c < r->s0; c++)
		if (rep[c] != c && !used[c])
			rep[c] = c;
	free(stack);
	free(used);
	return 0;
}

/*
 * final, rep, the string map and the strings live in arrays the partition
 * is done with (colors and the grouping table, sized by the ids): pages
 * already faulted in, where fresh ones cost a page fault each (on 7.2's
 * 3.2 million ids, about 90 MB). A string map or string section larger
 * than the table is allocated.
 */
static int emit(struct refine *r, struct dedup_result *res)
{
	const struct refine_input *in = r->in;
	size_t map_sz = ((size_t)in->str_len + 1) * sizeof(uint32_t);
	size_t strs_sz = (size_t)in->str_len + 1;
	bool own_map = map_sz > r->slot_cnt * sizeof(*r->slot_keys);
	bool own_strs = strs_sz > r->slot_cnt * sizeof(*r->slots);
	uint32_t *final = (uint32_t *)r->cur; /* nn + 1 colors >= ids */
	uint32_t *rep = (uint32_t *)r->next;
	uint32_t *id_map = malloc(((size_t)r->n + 1) * sizeof(*id_map));
	struct emit_ctx e = {.r = r, .final = final};
	uint32_t i, next = r->s0, out_len = 0, kept = 0;
	uint8_t *types = NULL;
	size_t raw_sz;
	int err = -ENOMEM;

	e.fu.base_str = in->base->start_str_off + in->base->str_len;
	e.fu.strs = in->strs;
	e.fu.str_len = in->str_len;
	e.fu.str_map = own_map ? malloc(map_sz) : (uint32_t *)r->slot_keys;
	e.fu.out = own_strs ? malloc(strs_sz) : (char *)r->slots;
	types = malloc((size_t)in->types_len + 1);
	if (!id_map || !e.fu.str_map || !e.fu.out || !types)
		goto out;
	choose_reps(r, rep);
	if (keep_used_moves(r, rep))
		goto out;
	memset(e.fu.str_map, 0xff, map_sz);

	/* split representatives get new ids in id order; base ones keep
	 * theirs; every other id follows its class, a declaration its
	 * definition */
	final[0] = 0;
	for (i = 1; i < r->nn; i++)
		if (!r->alias[i] && rep[r->cls[i]] == i)
			final[i] = i < r->s0 ? i : next++;
	for (i = 1; i < r->nn; i++) {
		uint32_t id = r->alias[i] ? r->alias[i] : i;

		final[i] = final[rep[r->cls[id]]];
	}
	for (i = 0; i < r->n; i++)
		id_map[i] = final[r->s0 + i];
	for (i = r->s0; i < r->nn; i++) {
		const struct btf_type *t = r->recs[i];
		uint32_t rec_sz;

		if (r->alias[i] || rep[r->cls[i]] != i)
			continue;
		rec_sz = btf_raw__rec_size(t, UINT32_MAX);
		memcpy(types + out_len, t, rec_sz);
		btf_type_visit_ids((struct btf_type *)(types + out_len),
				   emit_id, &e);
		btf_type_visit_strs((struct btf_type *)(types + out_len),
				    emit_str, &e);
		out_len += rec_sz;
		kept++;
	}
	res->raw =
		btf_raw__write(types, out_len, e.fu.out, e.fu.out_len, &raw_sz);
	if (!res->raw)
		goto out;
	res->size = raw_sz;
	res->type_cnt = kept;
	res->id_map = id_map;
	id_map = NULL;
	err = 0;
out:
	free(id_map);
	if (own_map)
		free(e.fu.str_map);
	if (own_strs)
		free(e.fu.out);
	free(types);
	return err;
}

/*
 * The arrays the partition writes first after build_refs and
 * resolve_decls (about 0.13 s on one thread for 7.2's 3.07 million
 * module types), in that order: a second thread faults them in meanwhile
 * (224 MB there), so that the partition, and its single-threaded list
 * building, find them mapped. Same bytes either way.
 */
struct prefault {
	void *p[9];
	size_t sz[9];
};

static void *prefault_main(void *arg)
{
	struct prefault *pf = arg;
	size_t i;

	for (i = 0; i < sizeof(pf->p) / sizeof(pf->p[0]); i++)
		mem_populate(pf->p[i], pf->sz[i]);
	return NULL;
}

int dedup_refine(const struct refine_input *in, struct dedup_result *res,
		 struct diag *d)
{
	struct refine r = {.in = in, .n = in->type_cnt};
	struct prefault pf;
	pthread_t pf_tid;
	bool pf_started = false;
	uint32_t i;
	size_t nn;
	int err = -ENOMEM, resolved;

	memset(res, 0, sizeof(*res));
	r.s0 = btf_raw__type_cnt(in->base);
	r.nn = r.s0 + r.n;
	nn = (size_t)r.nn + 1;
	r.recs = malloc(nn * sizeof(*r.recs));
	r.ref_start = malloc(nn * sizeof(*r.ref_start));
	r.c0 = malloc(nn * sizeof(*r.c0));
	r.cur = malloc(nn * sizeof(*r.cur));
	r.next = malloc(nn * sizeof(*r.next));
	r.cls = malloc(nn * sizeof(*r.cls));
	r.alias = calloc(nn, sizeof(*r.alias));
	r.amb = calloc(nn, sizeof(*r.amb));
	r.head = malloc(nn * sizeof(*r.head));
	r.nxt = malloc(nn * sizeof(*r.nxt));
	r.tail = malloc(nn * sizeof(*r.tail));
	r.slot_cnt = 1024;
	while (r.slot_cnt < 2 * (size_t)r.nn)
		r.slot_cnt <<= 1;
	r.slots = malloc(r.slot_cnt * sizeof(*r.slots));
	r.slot_keys = malloc(r.slot_cnt * sizeof(*r.slot_keys));
	if (!r.recs || !r.ref_start || !r.c0 || !r.cur || !r.next || !r.cls ||
	    !r.alias || !r.amb || !r.head || !r.nxt || !r.tail || !r.slots ||
	    !r.slot_keys)
		goto out;
	if (in->jobs >= 2 && r.nn >= 65536) {
		pf = (struct prefault){
			.p = {r.c0, r.cur, r.next, r.cls, r.slots, r.slot_keys,
			      r.head, r.nxt, r.tail},
			.sz = {nn * sizeof(*r.c0), nn * sizeof(*r.cur),
			       nn * sizeof(*r.next), nn * sizeof(*r.cls),
			       r.slot_cnt * sizeof(*r.slots),
			       r.slot_cnt * sizeof(*r.slot_keys),
			       nn * sizeof(*r.head), nn * sizeof(*r.nxt),
			       nn * sizeof(*r.tail)},
		};
		pf_started = !pthread_create(&pf_tid, NULL, prefault_main, &pf);
	}
	r.recs[0] = NULL;
	for (i = 1; i < r.s0; i++)
		r.recs[i] = btf_raw__type(in->base, i);
	for (i = 0; i < r.n; i++)
		r.recs[r.s0 + i] = (const void *)(in->types + in->type_offs[i]);
	if (build_refs(&r))
		goto out;

	resolved = resolve_decls(&r);
	if (resolved < 0 || partition(&r) ||
	    (r.amb_cnt && resolve_in_context(&r)))
		goto out;
	err = emit(&r, res);
out:
	if (err)
		diag_set(d, "out of memory");
	if (pf_started)
		pthread_join(pf_tid, NULL);
	free(r.recs);
	free(r.ref_start);
	free(r.refs);
	free(r.c0);
	free(r.cur);
	free(r.next);
	free(r.cls);
	free(r.alias);
	free(r.amb);
	free(r.head);
	free(r.nxt);
	free(r.tail);
	free(r.pstart);
	free(r.preds);
	free(r.slots);
	free(r.slot_keys);
	return err;
}
