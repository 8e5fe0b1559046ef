// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * btf_delta: reversible rewrite of a raw BTF blob against a reference blob.
 *
 * Algorithm summary (encoder):
 * 1. Parse and validate both blobs (btf_raw).
 * 2. Match blob types to reference types, one to one:
 *    a. seeds: named types keyed by (kind, name, vlen, size); the k-th blob
 *       type of a key goes to the k-th reference type of that key, first
 *       for keys that occur equally often on both sides, then for the rest;
 *    b. after each seeding, propagation: a matched pair of the same kind
 *       and vlen matches the types its fields refer to, position by
 *       position, when those are unmatched and of one kind (this reaches
 *       anonymous structs, pointers, modifiers, prototypes);
 *    c. signature rounds: an unmatched type whose id fields all point to
 *       matched types gets a hash of its record with those ids replaced by
 *       their partners and names by their text; equal hashes pair in
 *       order (anonymous types whose referrers changed);
 *    d. seeds by kind and name only (a struct that gained a member), then
 *       propagation and signature rounds again;
 *    e. runs: an unmatched type right after a matched pair goes to the
 *       reference type right after its partner when that one is free and
 *       of the same kind; then propagation again.
 * 3. Write (layout in docs/FORMAT.md, "Delta payload"):
 *    - the type map: per blob id, 0 for unmatched, else the zigzag distance
 *      of its partner from the previous partner + 1, plus 1 (runs of
 *      consecutive partners are runs of 1);
 *    - the string map: per string of the blob's string section, in order,
 *      0 for a string the reference lacks, else the same kind of distance
 *      between ordinals of reference strings; the lacking strings follow
 *      the type records, in order;
 *    - the blob's BTF header;
 *    - the type records in the order of their partners' ids, then the
 *      unmatched ones in id order, with every id replaced by its partner's
 *      id or by id | ESC, every name offset by the reference's offset of
 *      the same string (when the blob's first copy of that string is the
 *      one named) or by offset | ESC.
 *    Matched records thus line up with the reference's bytes, which the
 *    compressor has as its prefix: what is left is what changed.
 * The decoder rebuilds the string section from the string map (noting where
 * each reference string first lands), places the records back in id order
 * from the type map, and undoes the id and name rewrite record by record;
 * it needs only the reference's string section and type count. The choice of
 * partners changes the size of the compressed delta, never what decodes.
 *
 * Version 2 ("BTFDLT2", what btf_delta__encode writes) replaces the string
 * map, 4 bytes per string, by what the records already say: a blob's
 * string section is, but for a few hundred strings, in the order in which
 * its records, walked in id order, first name the strings. The payload
 * keeps corrections for the strings off that order (those off a longest
 * subsequence in order, with their positions), names are a reference
 * offset or ESC | literal index (a blob offset is what the order yields),
 * and the decoder places the records first, then lays the strings out in
 * first-use order with the corrections in between (strs2_*).
 *
 * Version 3 ("BTFDLT3", what btf_delta__encode writes) is version 2 with
 * the type map as two streams of varints: the lengths of the runs of
 * consecutive partners, and what breaks each run: no partner, the
 * continuation of one of the last eight runs left (pahole's type order
 * moves between builds in blocks, and a run left is often resumed), or a
 * distance (map_iter, put_map3).
 */
#include "btf_delta.h"

#include <errno.h>
#include <linux/btf.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "btf_raw.h"
#include "le.h"
#include "mem.h"
#include "strset.h"
#include "thread.h"
#include "varint.h"

#define ESC	      0x80000000u
#define ENC_HDR_SIZE  40
#define ENC_HDR_SIZE3 48 /* version 3: + the lengths of the map streams */
/* version 3: runs left that a break can resume by rank */
#define MAP_OPEN 8
/* ids and string offsets stay below this so that ESC and the zigzag map
 * never overflow */
#define ID_LIMIT (1u << 30)

/* ---- matching ---- */

struct keyed {
	uint64_t key;
	uint32_t id;
};

struct matcher {
	const struct btf_raw *b, *a; /* blob, reference */
	uint32_t *m;		     /* blob id -> reference id, 0 */
	uint32_t *rev;		     /* reference id -> blob id, 0 */
	uint32_t *work;		     /* stack of matched blob ids */
	size_t paired;		     /* pairs made so far */
	size_t work_len;
	uint32_t *ids_b, *ids_a; /* scratch for one record's ids */
	size_t ids_b_len, ids_a_len, ids_cap;
	bool oom;
};

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
	return h * 0xff51afd7ed558ccdull;
}

static uint64_t str_key(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ull;
	return h;
}

/* 0 for a type that is not a seed (anonymous). loose: kind and name only,
 * for types whose members or size changed between the builds. */
static uint64_t type_key(const struct btf_raw *r, uint32_t id, bool loose)
{
	const struct btf_type *t = btf_raw__type(r, id);
	const char *name = btf_raw__str(r, t->name_off);
	uint32_t kind = btf_type_kind(t);
	uint64_t h;

	if (!name || !*name)
		return 0;
	h = mix(str_key(name), kind);
	if (loose)
		return h ? h : 1;
	h = mix(h, btf_type_vlen(t));
	h = mix(h, btf_type_kflag(t));
	switch (kind) {
	case BTF_KIND_INT:
		h = mix(h, le32_get((const uint8_t *)(t + 1)));
		/* fallthrough */
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_FLOAT:
		h = mix(h, t->size);
		break;
	default:
		break;
	}
	return h ? h : 1;
}

static int keyed_cmp(const void *x, const void *y)
{
	const struct keyed *p = x, *q = y;

	if (p->key != q->key)
		return p->key < q->key ? -1 : 1;
	return p->id < q->id ? -1 : p->id > q->id;
}

static struct keyed *keys_of(const struct btf_raw *r, bool loose, size_t *cnt)
{
	uint32_t n = r->type_cnt, id;
	struct keyed *k = malloc(((size_t)n + 1) * sizeof(*k));
	size_t c = 0;

	if (!k)
		return NULL;
	for (id = 1; id <= n; id++) {
		uint64_t key = type_key(r, id, loose);

		if (key)
			k[c++] = (struct keyed){key, id};
	}
	qsort(k, c, sizeof(*k), keyed_cmp);
	*cnt = c;
	return k;
}

static bool same_kind(const struct matcher *mt, uint32_t b, uint32_t a)
{
	const struct btf_type *tb = btf_raw__type(mt->b, b);
	const struct btf_type *ta = btf_raw__type(mt->a, a);

	return btf_type_kind(tb) == btf_type_kind(ta);
}

static void pair(struct matcher *mt, uint32_t b, uint32_t a)
{
	mt->m[b] = a;
	mt->rev[a] = b;
	mt->paired++;
	mt->work[mt->work_len++] = b;
}

static int collect_b(uint32_t *id, void *ctx)
{
	struct matcher *mt = ctx;

	if (mt->ids_b_len < mt->ids_cap)
		mt->ids_b[mt->ids_b_len++] = *id;
	return 0;
}

static int collect_a(uint32_t *id, void *ctx)
{
	struct matcher *mt = ctx;

	if (mt->ids_a_len < mt->ids_cap)
		mt->ids_a[mt->ids_a_len++] = *id;
	return 0;
}

static void propagate(struct matcher *mt)
{
	while (mt->work_len) {
		uint32_t b = mt->work[--mt->work_len], a = mt->m[b];
		const struct btf_type *tb = btf_raw__type(mt->b, b);
		const struct btf_type *ta = btf_raw__type(mt->a, a);
		size_t i;

		if (btf_type_kind(tb) != btf_type_kind(ta) ||
		    btf_type_vlen(tb) != btf_type_vlen(ta))
			continue;
		/* visit_ids only reads through the pointer with these
		 * callbacks */
		mt->ids_b_len = mt->ids_a_len = 0;
		btf_type_visit_ids((struct btf_type *)tb, collect_b, mt);
		btf_type_visit_ids((struct btf_type *)ta, collect_a, mt);
		if (mt->ids_b_len != mt->ids_a_len)
			continue;
		for (i = 0; i < mt->ids_b_len; i++) {
			uint32_t rb = mt->ids_b[i], ra = mt->ids_a[i];

			if (rb && ra && !mt->m[rb] && !mt->rev[ra] &&
			    same_kind(mt, rb, ra))
				pair(mt, rb, ra);
		}
	}
}

/* Pairs keys of kb and ka in order; equal_only: only keys that occur
 * equally often on both sides. */
static void seed(struct matcher *mt, const struct keyed *kb, size_t nb,
		 const struct keyed *ka, size_t na, bool equal_only)
{
	size_t i = 0, j = 0;

	while (i < nb && j < na) {
		size_t ie = i, je = j;

		if (kb[i].key != ka[j].key) {
			if (kb[i].key < ka[j].key)
				i++;
			else
				j++;
			continue;
		}
		while (ie < nb && kb[ie].key == kb[i].key)
			ie++;
		while (je < na && ka[je].key == ka[j].key)
			je++;
		if (!equal_only || ie - i == je - j) {
			size_t x = i, y = j;

			while (x < ie && y < je) {
				if (mt->m[kb[x].id]) {
					x++;
					continue;
				}
				if (mt->rev[ka[y].id]) {
					y++;
					continue;
				}
				pair(mt, kb[x].id, ka[y].id);
				x++;
				y++;
			}
		}
		i = ie;
		j = je;
	}
	propagate(mt);
}

static void runs(struct matcher *mt)
{
	uint32_t nb = mt->b->type_cnt, na = mt->a->type_cnt, b;

	for (b = 2; b <= nb; b++) {
		uint32_t a = mt->m[b - 1] + 1;

		if (!mt->m[b] && mt->m[b - 1] && a <= na && !mt->rev[a] &&
		    same_kind(mt, b, a))
			pair(mt, b, a);
	}
	propagate(mt);
}

/* ---- signature rounds: anonymous types whose fields all point to matched
 * types (or whose names and values equal) ---- */

struct sig_ctx {
	struct matcher *mt;
	const struct btf_raw *r;
	bool blob; /* ids go through m[]; an unmatched one spoils the sig */
	bool spoiled;
};

static int sig_id(uint32_t *id, void *ctx)
{
	struct sig_ctx *c = ctx;

	if (c->blob && *id) {
		if (!c->mt->m[*id])
			c->spoiled = true;
		*id = c->mt->m[*id];
	}
	return 0;
}

static int sig_str(uint32_t *off, void *ctx)
{
	struct sig_ctx *c = ctx;
	const char *s = btf_raw__str(c->r, *off);

	*off = (uint32_t)str_key(s ? s : "");
	return 0;
}

/* 0: no signature (an unmatched field) */
static uint64_t type_sig(struct matcher *mt, const struct btf_raw *r, bool blob,
			 uint32_t id, uint8_t *scratch)
{
	const struct btf_type *t = btf_raw__type(r, id);
	uint32_t rs = btf_raw__rec_size(t, UINT32_MAX);
	struct sig_ctx c = {mt, r, blob, false};
	uint64_t h = 0x84222325cbf29ce4ull;
	uint32_t i;

	memcpy(scratch, t, rs);
	btf_type_visit_ids((struct btf_type *)scratch, sig_id, &c);
	if (c.spoiled)
		return 0;
	btf_type_visit_strs((struct btf_type *)scratch, sig_str, &c);
	for (i = 0; i + 4 <= rs; i += 4)
		h = mix(h, le32_get(scratch + i));
	return h ? h : 1;
}

/* One round; returns how many pairs it made. */
static size_t sig_round(struct matcher *mt, uint8_t *scratch, int *err)
{
	uint32_t nb = mt->b->type_cnt, na = mt->a->type_cnt, id;
	struct keyed *kb, *ka;
	size_t cb = 0, ca = 0, start = mt->paired;

	kb = malloc(((size_t)nb + 1) * sizeof(*kb));
	ka = malloc(((size_t)na + 1) * sizeof(*ka));
	if (!kb || !ka) {
		free(kb);
		free(ka);
		*err = -ENOMEM;
		return 0;
	}
	for (id = 1; id <= nb; id++) {
		uint64_t s;

		if (mt->m[id])
			continue;
		s = type_sig(mt, mt->b, true, id, scratch);
		if (s)
			kb[cb++] = (struct keyed){s, id};
	}
	for (id = 1; id <= na; id++)
		if (!mt->rev[id])
			ka[ca++] = (struct keyed){
				type_sig(mt, mt->a, false, id, scratch), id};
	qsort(kb, cb, sizeof(*kb), keyed_cmp);
	qsort(ka, ca, sizeof(*ka), keyed_cmp);
	seed(mt, kb, cb, ka, ca, false);
	free(kb);
	free(ka);
	return mt->paired - start;
}

static int sig_rounds(struct matcher *mt)
{
	uint8_t *scratch = malloc(16 + 16 * 65536);
	int round, err = 0;

	if (!scratch)
		return -ENOMEM;
	for (round = 0; round < 8 && !err; round++)
		if (!sig_round(mt, scratch, &err))
			break;
	free(scratch);
	return err;
}

static int seed_keys(struct matcher *mt, bool loose)
{
	struct keyed *kb, *ka;
	size_t nkb = 0, nka = 0;

	kb = keys_of(mt->b, loose, &nkb);
	ka = keys_of(mt->a, loose, &nka);
	if (kb && ka) {
		if (!loose)
			seed(mt, kb, nkb, ka, nka, true);
		seed(mt, kb, nkb, ka, nka, false);
	}
	free(kb);
	free(ka);
	return kb && ka ? 0 : -ENOMEM;
}

static int match(struct matcher *mt)
{
	int err;

	if ((err = seed_keys(mt, false)) || (err = sig_rounds(mt)) ||
	    (err = seed_keys(mt, true)) || (err = sig_rounds(mt)))
		return err;
	runs(mt);
	return 0;
}

/* ---- encoding ---- */

struct rewriter {
	const uint32_t *map; /* id -> id (encoder: partner, decoder: rev) */
	uint32_t map_len;    /* valid ids: 1..map_len-1 */
	/* encoder */
	const struct btf_raw *b;
	const struct strset *aset, *bset;
	struct btf_delta_stats *st;
	/* encoder, version 2: the blob's string starts, and per blob string
	 * its identity (a reference ordinal, or acnt + its literal index) */
	const uint32_t *bstarts, *sid, *astarts;
	uint32_t bcnt, acnt;
	/* decoder */
	const uint32_t *lit_boff; /* version 2: literal k -> 1 + offset */
	uint32_t lit_cnt;
	bool v2;
	/* version 2: a bit per identity (ordinal, acnt + literal) named
	 * so far, and the names in the order first seen */
	uint64_t *seen;
	uint32_t *first, nfirst;
	/* or, for the first part, the walk (no list), and its names that
	 * wait for a correction's string */
	struct strs2 *walk;
	uint32_t **fix;
	size_t nfix, fix_cap;
	const char *astrs;
	uint32_t astr_len;
	const struct str_rank *arank; /* the reference's string starts */
	/* reference string ordinal -> 1 + offset of its first copy in the
	 * blob; 0 for strings the blob lacks */
	const uint32_t *aord_boff;
	bool bad;
};

static int enc_id(uint32_t *id, void *ctx)
{
	struct rewriter *w = ctx;
	uint32_t v = *id;

	if (!v)
		return 0;
	if (w->map[v]) {
		*id = w->map[v];
	} else {
		*id = v | ESC;
		w->st->ref_escaped++;
	}
	return 0;
}

static int enc_str(uint32_t *off, void *ctx)
{
	struct rewriter *w = ctx;
	const char *s = btf_raw__str(w->b, *off);
	size_t len = strlen(s);
	int64_t a = strset__find(w->aset, s, len);

	if (a >= 0 && a < ESC && strset__find(w->bset, s, len) == *off) {
		*off = (uint32_t)a;
	} else {
		*off |= ESC;
		w->st->str_escaped++;
	}
	return 0;
}

static uint32_t ordinal(const uint32_t *starts, uint32_t n, uint32_t off);

/* Version 2: a name is the start of a blob string (the encoder checked);
 * it becomes the reference's offset of that string when the string is the
 * reference one, else ESC | its literal index. */
static int enc_str2(uint32_t *off, void *ctx)
{
	struct rewriter *w = ctx;
	uint32_t i = ordinal(w->bstarts, w->bcnt, *off), id = w->sid[i];

	if (id < w->acnt) {
		*off = w->astarts[id];
	} else {
		*off = (id - w->acnt) | ESC;
		w->st->str_escaped++;
	}
	return 0;
}

/* distance codes are 32-bit: ids and offsets stay below ID_LIMIT */
static uint32_t zigzag(int64_t v)
{
	return (uint32_t)zigzag64(v);
}

/* ---- payload layout and type map (docs/FORMAT.md, "Delta payload") ---- */

/* A payload's header, checked against its size, and where its parts are. */
struct enc_layout {
	unsigned int version; /* 1, 2 or 3 */
	uint32_t hdr_len, types_len, str_len, nb, na, bcnt, lit_len, ncorr;
	const uint8_t *map;	     /* versions 1, 2: u32 per blob id */
	const uint8_t *runs, *jumps; /* version 3: the two streams */
	uint32_t runs_len, jumps_len;
	const uint8_t *smap; /* version 1: string map; 2, 3: corrections */
	const uint8_t *hdr_in, *t_in, *lit, *lit_end;
};

static int enc_layout(const void *enc, size_t enc_size, struct enc_layout *l,
		      struct diag *d)
{
	const uint8_t *e = enc;
	uint64_t map_len, need, hsz;
	uint64_t k;

	memset(l, 0, sizeof(*l));
	if (enc_size < ENC_HDR_SIZE) {
		diag_set(d, "delta: bad magic");
		return -EBADMSG;
	}
	if (!memcmp(e, BTF_DELTA_MAGIC, 8))
		l->version = 1;
	else if (!memcmp(e, BTF_DELTA_MAGIC2, 8))
		l->version = 2;
	else if (!memcmp(e, BTF_DELTA_MAGIC3, 8) && enc_size >= ENC_HDR_SIZE3)
		l->version = 3;
	else {
		diag_set(d, "delta: bad magic");
		return -EBADMSG;
	}
	l->hdr_len = le32_get(e + 8);
	l->types_len = le32_get(e + 12);
	l->str_len = le32_get(e + 16);
	l->nb = le32_get(e + 20);
	l->na = le32_get(e + 24);
	l->bcnt = le32_get(e + 28);
	l->lit_len = le32_get(e + 32);
	/* versions 2, 3: the string map is the corrections, 8 bytes each */
	l->ncorr = l->version >= 2 ? le32_get(e + 36) : 0;
	hsz = ENC_HDR_SIZE;
	map_len = (uint64_t)l->nb * 4;
	if (l->version == 3) {
		hsz = ENC_HDR_SIZE3;
		l->runs_len = le32_get(e + 40);
		l->jumps_len = le32_get(e + 44);
		/* the streams, then zeros to a multiple of 4 */
		map_len = ((uint64_t)l->runs_len + l->jumps_len + 3) & ~3ull;
	}
	need = hsz + map_len +
	       (l->version >= 2 ? (uint64_t)l->ncorr * 8
				: (uint64_t)l->bcnt * 4) +
	       l->hdr_len + l->types_len + l->lit_len;
	/* every type has a record of 12 bytes at least: that bounds nb,
	 * which version 3's map (a few bytes for any nb) does not */
	if ((l->version == 1 && le32_get(e + 36)) || need != enc_size ||
	    l->hdr_len < 24 || l->hdr_len % 4 || l->types_len % 4 ||
	    !l->str_len || l->str_len >= ID_LIMIT || l->nb >= ID_LIMIT ||
	    l->nb > l->types_len / 12 || l->bcnt > l->str_len ||
	    l->ncorr > l->bcnt) {
		diag_set(d, "delta: header does not match its size");
		return -EBADMSG;
	}
	if (l->version == 3) {
		l->runs = e + hsz;
		l->jumps = l->runs + l->runs_len;
		for (k = (uint64_t)l->runs_len + l->jumps_len; k < map_len; k++)
			if (e[hsz + k]) {
				diag_set(d, "delta: type map padding is not "
					    "zero");
				return -EBADMSG;
			}
	} else {
		l->map = e + hsz;
	}
	l->smap = e + hsz + map_len;
	l->hdr_in = l->smap + (l->version >= 2 ? (size_t)l->ncorr * 8
					       : (size_t)l->bcnt * 4);
	l->t_in = l->hdr_in + l->hdr_len;
	l->lit = l->t_in + l->types_len;
	l->lit_end = l->lit + l->lit_len;
	return 0;
}

/* Reads a varint of at most 5 bytes that fits in 32 bits at *p (before
 * end); -1 when it does not. */
static int get_uv(const uint8_t **p, const uint8_t *end, uint32_t *v)
{
	const uint8_t *from = *p;
	uint64_t x;

	if (varint_get(p, end, &x) || *p - from > 5 || x > UINT32_MAX)
		return -1;
	*v = (uint32_t)x;
	return 0;
}

/*
 * Version 3: the runs a break left, where they would continue (the
 * reference id after the last partner of each), the most recent last, at
 * most MAP_OPEN. The encoder and map_next keep the same list.
 */
struct open_runs {
	int64_t id[MAP_OPEN];
	uint32_t cnt;
};

/* The rank of x among the open runs (1: the most recent), 0: not open. */
static uint32_t open_rank(const struct open_runs *o, int64_t x)
{
	uint32_t k;

	for (k = 1; k <= o->cnt; k++)
		if (o->id[o->cnt - k] == x)
			return k;
	return 0;
}

/* Takes the open run of rank k (1 <= k <= cnt) off the list. */
static int64_t open_take(struct open_runs *o, uint32_t k)
{
	int64_t x = o->id[o->cnt - k];

	memmove(&o->id[o->cnt - k], &o->id[o->cnt - k + 1],
		(k - 1) * sizeof(o->id[0]));
	o->cnt--;
	return x;
}

/* A break after partner p (0: none yet) leaves the run at p + 1 open; the
 * oldest of MAP_OPEN + 1 is dropped. */
static void open_leave(struct open_runs *o, int64_t p)
{
	if (!p)
		return;
	if (o->cnt == MAP_OPEN) {
		memmove(&o->id[0], &o->id[1],
			(MAP_OPEN - 1) * sizeof(o->id[0]));
		o->cnt--;
	}
	o->id[o->cnt++] = p + 1;
}

/*
 * The type map's pairs in blob id order: each blob id b with a partner and
 * that partner a (a reference id when the map is valid; the caller checks
 * 1 <= a <= na and that no a comes twice). Version 3: the runs stream
 * gives a count of blob ids whose partners follow the previous partner
 * (p + 1, p + 2, ...); then, unless the blob ids are done, the jumps
 * stream says what the next blob id gets: 0 no partner; k in 1..MAP_OPEN
 * the resumption of the k-th most recently left run (removed from the
 * list); k > MAP_OPEN the partner p + 1 + unzigzag64(k - MAP_OPEN - 1). A
 * partner taken by a jump leaves the run it ends (p + 1 joins the list,
 * the oldest of MAP_OPEN + 1 is dropped). The runs and jumps alternate,
 * run first and last, and both streams end with the blob ids.
 */
struct map_iter {
	const struct enc_layout *l;
	const uint8_t *runs, *jumps, *runs_end, *jumps_end;
	uint32_t b;   /* the next blob id */
	uint32_t run; /* version 3: blob ids left in the current run */
	bool jump;    /* version 3: a jump is next, not a run */
	int64_t p;    /* the last partner */
	struct open_runs open;
};

static void map_iter_init(struct map_iter *it, const struct enc_layout *l)
{
	memset(it, 0, sizeof(*it));
	it->l = l;
	it->b = 1;
	if (l->version < 3)
		return;
	it->runs = l->runs;
	it->runs_end = l->runs + l->runs_len;
	it->jumps = l->jumps;
	it->jumps_end = l->jumps + l->jumps_len;
}

/* 1 with the next pair in *b, *a; 0 at the end; -1 for a version 3 map
 * that does not decode (d says why). */
static int map_next(struct map_iter *it, uint32_t *b, int64_t *a,
		    struct diag *d)
{
	const struct enc_layout *l = it->l;
	uint32_t j;
	int64_t x;

	if (l->version < 3) {
		while (it->b <= l->nb) {
			uint32_t v = le32_get(l->map + (size_t)(it->b - 1) * 4);

			*b = it->b++;
			if (!v)
				continue;
			*a = it->p = it->p + 1 + unzigzag64(v - 1);
			return 1;
		}
		return 0;
	}
	for (;;) {
		if (it->run) {
			it->run--;
			*b = it->b++;
			*a = ++it->p;
			return 1;
		}
		if (!it->jump) {
			if (get_uv(&it->runs, it->runs_end, &it->run) ||
			    it->run > l->nb - it->b + 1) {
				diag_set(d,
					 "delta: type map: run at blob id "
					 "%u cut short or past the types",
					 it->b);
				return -1;
			}
			it->jump = true;
			continue;
		}
		it->jump = false;
		if (it->b > l->nb) {
			if (it->runs != it->runs_end ||
			    it->jumps != it->jumps_end) {
				diag_set(d, "delta: type map: bytes after the "
					    "last type");
				return -1;
			}
			return 0;
		}
		if (get_uv(&it->jumps, it->jumps_end, &j)) {
			diag_set(d,
				 "delta: type map: break at blob id %u cut "
				 "short",
				 it->b);
			return -1;
		}
		*b = it->b++;
		if (!j)
			continue;
		if (j <= MAP_OPEN) {
			if (j > it->open.cnt) {
				diag_set(d,
					 "delta: type map: blob id %u "
					 "resumes run %u of %u left",
					 *b, j, it->open.cnt);
				return -1;
			}
			x = open_take(&it->open, j);
		} else {
			x = it->p + 1 + unzigzag64(j - MAP_OPEN - 1);
		}
		open_leave(&it->open, it->p);
		*a = it->p = x;
		return 1;
	}
}

/* A growable byte buffer for the version 3 map streams. */
struct bytes {
	uint8_t *p;
	size_t len, cap;
	bool err;
};

static void put_uv(struct bytes *o, uint32_t v)
{
	if (o->len + VARINT_MAX > o->cap &&
	    mem_ensure((void **)&o->p, &o->cap, 1,
		       o->len + VARINT_MAX + o->cap)) {
		o->err = true;
		return;
	}
	o->len += varint_put(o->p + o->len, v);
}

/*
 * Version 3: the type map m[1..nb] (partner of each blob id, 0 none) as
 * the runs and jumps streams map_next reads. A break to a run left earlier
 * that is among the last MAP_OPEN takes its rank (the most recent when it
 * is there twice); any other, its distance.
 */
static int put_map3(const uint32_t *m, uint32_t nb, struct bytes *runs,
		    struct bytes *jumps)
{
	struct open_runs open = {.cnt = 0};
	uint32_t b, run = 0;
	int64_t p = 0;

	for (b = 1; b <= nb; b++) {
		int64_t x = m[b];
		uint32_t j;

		if (x && x == p + 1) {
			run++;
			p = x;
			continue;
		}
		put_uv(runs, run);
		run = 0;
		if (!x) {
			put_uv(jumps, 0);
			continue;
		}
		j = open_rank(&open, x);
		if (j)
			open_take(&open, j);
		else
			j = MAP_OPEN + 1 + zigzag(x - p - 1);
		put_uv(jumps, j);
		open_leave(&open, p);
		p = x;
	}
	put_uv(runs, run);
	return runs->err || jumps->err ? -ENOMEM : 0;
}

/*
 * The next string of a string map entry v: a literal (v 0: the next
 * NUL-terminated one at *lit) or reference string *last + 1 + delta
 * (*last moves there). Sets *s, *len (NUL included) and *ref (the
 * reference ordinal, -1 for a literal); -1 when v points outside both.
 */
static int next_string(uint32_t v, const uint8_t **lit, const uint8_t *lit_end,
		       const char *astrs, const uint32_t *astarts,
		       uint32_t acnt, int64_t *last, const char **s,
		       size_t *len, int64_t *ref)
{
	if (!v) {
		const uint8_t *end = memchr(*lit, 0, lit_end - *lit);

		if (!end)
			return -1;
		*s = (const char *)*lit;
		*len = (size_t)(end - *lit) + 1;
		*lit = end + 1;
		*ref = -1;
		return 0;
	}
	*ref = *last + 1 + unzigzag64(v - 1);
	if (*ref < 0 || *ref >= acnt)
		return -1;
	*s = astrs + astarts[*ref];
	*len = astarts[*ref + 1] - astarts[*ref];
	*last = *ref;
	return 0;
}

/* Offsets of the strings of a NUL-terminated section, in order, and one
 * more: the end of the last string + 1 (a string's length with its NUL is
 * starts[i + 1] - starts[i]). */
static uint32_t *str_starts(const char *strs, uint32_t len, uint32_t *cnt)
{
	uint32_t n = 0, off = 0, cap = 1024;
	uint32_t *v = malloc(cap * sizeof(*v));

	while (v && off < len) {
		const char *end = memchr(strs + off, 0, len - off);

		if (!end)
			break;
		if (n + 1 == cap) {
			uint32_t *nv = realloc(v, 2 * (size_t)cap * sizeof(*v));

			if (!nv) {
				free(v);
				return NULL;
			}
			v = nv;
			cap *= 2;
		}
		v[n++] = off;
		off = (uint32_t)(end - strs) + 1;
	}
	if (v)
		v[n] = off;
	*cnt = n;
	return v;
}

/*
 * Which offsets of a string section start a string, and the ordinal of
 * each: a bit per byte and the count of starts before each 64-bit word, so
 * that an ordinal is a rank (the decoder's map from reference offsets to
 * blob offsets then takes 4 bytes per string instead of per byte).
 */
struct str_rank {
	uint64_t *bits;
	uint32_t *before; /* starts in the words before word i */
	uint32_t len;	  /* bytes of the section */
};

/* Bits set in v (SWAR: no libgcc call where the target lacks POPCNT). */
static inline uint32_t popcount64(uint64_t v)
{
	v -= (v >> 1) & UINT64_C(0x5555555555555555);
	v = (v & UINT64_C(0x3333333333333333)) +
	    ((v >> 2) & UINT64_C(0x3333333333333333));
	v = (v + (v >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
	return (uint32_t)((v * UINT64_C(0x0101010101010101)) >> 56);
}

static void str_rank_release(struct str_rank *sr)
{
	free(sr->bits);
	free(sr->before);
}

/* The ordinal of the string starting at off, or -1 when none starts
 * there. */
static inline int64_t str_rank_of(const struct str_rank *sr, uint32_t off)
{
	uint64_t w;

	if (off >= sr->len)
		return -1;
	w = sr->bits[off / 64];
	if (!(w >> (off % 64) & 1))
		return -1;
	w &= (UINT64_C(1) << (off % 64)) - 1;
	return sr->before[off / 64] + popcount64(w);
}

/* ordinal of the string at off in starts[0..n), which holds it */
static uint32_t ordinal(const uint32_t *starts, uint32_t n, uint32_t off)
{
	uint32_t lo = 0, hi = n;

	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (starts[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The first-use walk: fpos[i] is the rank of blob string i in the order
 * the records, in id order, first name the strings (UINT32_MAX: unnamed). */
struct first_use {
	const uint32_t *bstarts;
	uint32_t bcnt, n;
	uint32_t *fpos;
	bool not_start;
};

static int first_use_str(uint32_t *off, void *ctx)
{
	struct first_use *f = ctx;
	uint32_t i = ordinal(f->bstarts, f->bcnt, *off);

	if (f->bstarts[i] != *off) {
		f->not_start = true;
		return 1;
	}
	if (f->fpos[i] == UINT32_MAX)
		f->fpos[i] = f->n++;
	return 0;
}

/*
 * Version 2's string section: the blob's strings in the order the records,
 * walked in id order, first name them (which the decoder recomputes from
 * the records it places), plus corrections for the strings out of that
 * order, each with its position in the section. The strings kept in order
 * are a longest subsequence of the section increasing in first-use rank
 * (patience sorting), so that one string out of place costs one
 * correction, not one for every string up to where it was expected.
 * corr gets two u32 per correction (room for 2 * bcnt); 1 when a name is
 * not the start of a blob string (only version 1 encodes that blob),
 * -ENOMEM.
 */
static int str_corrections(const struct btf_raw *rb, const uint32_t *bstarts,
			   uint32_t bcnt, const uint32_t *sid, uint32_t acnt,
			   uint32_t *corr, uint32_t *ncorr)
{
	struct first_use f = {.bstarts = bstarts, .bcnt = bcnt};
	uint32_t *tail = malloc(((size_t)bcnt + 1) * sizeof(*tail));
	uint32_t *prev = malloc(((size_t)bcnt + 1) * sizeof(*prev));
	uint8_t *keep = calloc((size_t)bcnt + 1, 1);
	uint32_t b, i, len = 0, n = 0;
	int64_t last = -1;
	int err = -ENOMEM;

	f.fpos = malloc(((size_t)bcnt + 1) * sizeof(*f.fpos));
	if (!tail || !prev || !keep || !f.fpos)
		goto out;
	memset(f.fpos, 0xff, (size_t)bcnt * sizeof(*f.fpos));
	err = 1;
	for (b = 1; b <= rb->type_cnt; b++) {
		/* the callback only reads the field */
		void *t = (void *)(rb->types + rb->type_offs[b - 1]);

		if (btf_type_visit_strs(t, first_use_str, &f) || f.not_start)
			goto out;
	}
	for (i = 0; i < bcnt; i++) {
		uint32_t lo = 0, hi = len, v = f.fpos[i];

		if (v == UINT32_MAX)
			continue;
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;

			if (f.fpos[tail[mid]] < v)
				lo = mid + 1;
			else
				hi = mid;
		}
		prev[i] = lo ? tail[lo - 1] : UINT32_MAX;
		tail[lo] = i;
		if (lo == len)
			len++;
	}
	for (i = len ? tail[len - 1] : UINT32_MAX; i != UINT32_MAX; i = prev[i])
		keep[i] = 1;
	for (i = 0; i < bcnt; i++) {
		if (keep[i])
			continue;
		corr[2 * n] = (uint32_t)(i - last - 1);
		corr[2 * n + 1] =
			sid[i] < acnt ? 2 * sid[i] : 2 * (sid[i] - acnt) + 1;
		last = i;
		n++;
	}
	*ncorr = n;
	err = 0;
out:
	free(tail);
	free(prev);
	free(keep);
	free(f.fpos);
	return err;
}

int btf_delta__encode(const void *ref, size_t ref_size, const void *blob,
		      size_t blob_size, void **out, size_t *out_size,
		      struct btf_delta_stats *st, struct diag *d)
{
	return btf_delta_encode_version(ref, ref_size, blob, blob_size, 3, out,
					out_size, st, d);
}

int btf_delta_encode_version(const void *ref, size_t ref_size, const void *blob,
			     size_t blob_size, unsigned int version, void **out,
			     size_t *out_size, struct btf_delta_stats *st,
			     struct diag *d)
{
	struct btf_raw ra = {0}, rb = {0};
	struct strset aset = {0}, bset = {0};
	struct btf_delta_stats st0 = {0};
	struct matcher mt = {0};
	const struct btf_header *h;
	uint32_t *astarts = NULL, *bstarts = NULL, *smap = NULL, *sid = NULL;
	uint32_t *corr = NULL, ncorr = 0, nlit = 0;
	bool v2 = false, map3;
	uint32_t acnt = 0, bcnt = 0, nb, b, i;
	uint8_t *o = NULL, *p;
	size_t size, lit_len = 0, map_len, hsz;
	struct bytes runs = {0}, jumps = {0};
	int64_t last;
	int err;

	if (!st)
		st = &st0;
	memset(st, 0, sizeof(*st));
	*out = NULL;
	*out_size = 0;
	err = btf_raw__parse(&ra, ref, ref_size, NULL, d);
	if (err) {
		diag_prefix(d, "reference: ");
		return -EINVAL;
	}
	err = btf_raw__parse(&rb, blob, blob_size, NULL, d);
	if (err)
		goto out_einval;
	h = blob;
	nb = rb.type_cnt;
	if (h->hdr_len % 4 || h->type_off || h->str_off != h->type_len ||
	    nb >= ID_LIMIT || ra.type_cnt >= ID_LIMIT ||
	    rb.str_len >= ID_LIMIT || ra.str_len >= ID_LIMIT) {
		diag_set(d, "blob layout or size not supported by the delta "
			    "encoding");
		goto out_einval;
	}
	err = -ENOMEM;
	mt.b = &rb;
	mt.a = &ra;
	mt.m = calloc((size_t)nb + 1, sizeof(*mt.m));
	mt.rev = calloc((size_t)ra.type_cnt + 1, sizeof(*mt.rev));
	mt.work = malloc(((size_t)nb + 1) * sizeof(*mt.work));
	mt.ids_cap = 65536 + 1;
	mt.ids_b = malloc(mt.ids_cap * sizeof(*mt.ids_b));
	mt.ids_a = malloc(mt.ids_cap * sizeof(*mt.ids_a));
	if (!mt.m || !mt.rev || !mt.work || !mt.ids_b || !mt.ids_a)
		goto out;
	if (match(&mt))
		goto out;
	if (strset__init_seeded(&aset, ra.strs, ra.str_len, 0) ||
	    strset__init_seeded(&bset, rb.strs, rb.str_len, 0))
		goto out;
	astarts = str_starts(ra.strs, ra.str_len, &acnt);
	bstarts = str_starts(rb.strs, rb.str_len, &bcnt);
	smap = malloc(((size_t)bcnt + 1) * sizeof(*smap));
	if (!astarts || !bstarts || !smap)
		goto out;
	if (version >= 2) {
		/* each blob string is the reference string it copies (the
		 * blob's first copy of it), or a literal */
		sid = malloc(((size_t)bcnt + 1) * sizeof(*sid));
		corr = malloc(((size_t)bcnt + 1) * 2 * sizeof(*corr));
		if (!sid || !corr)
			goto out;
		for (i = 0; i < bcnt; i++) {
			const char *s = rb.strs + bstarts[i];
			size_t len = strlen(s);
			int64_t a = strset__find(&aset, s, len);

			if (a >= 0 &&
			    strset__find(&bset, s, len) == bstarts[i]) {
				sid[i] = ordinal(astarts, acnt, (uint32_t)a);
			} else {
				sid[i] = acnt + nlit++;
				lit_len += len + 1;
			}
		}
		err = str_corrections(&rb, bstarts, bcnt, sid, acnt, corr,
				      &ncorr);
		if (err < 0)
			goto out;
		/* 1: a name inside a string, which only version 1 says */
		v2 = !err;
		err = -ENOMEM;
		if (!v2)
			lit_len = 0;
	}
	/* the string section: a map onto the reference's strings, and the
	 * strings it lacks */
	last = -1;
	for (i = 0; i < bcnt && !v2; i++) {
		const char *s = rb.strs + bstarts[i];
		size_t len = strlen(s);
		int64_t a = strset__find(&aset, s, len);

		smap[i] = 0;
		if (a < 0) {
			lit_len += len + 1;
			continue;
		}
		a = ordinal(astarts, acnt, (uint32_t)a);
		smap[i] = zigzag(a - last - 1) + 1;
		last = a;
	}

	/* version 3 (only with version 2's strings): the map as streams */
	map3 = v2 && version == 3;
	map_len = (size_t)nb * 4;
	hsz = ENC_HDR_SIZE;
	if (map3) {
		if (put_map3(mt.m, nb, &runs, &jumps))
			goto out;
		map_len = (runs.len + jumps.len + 3) & ~(size_t)3;
		hsz = ENC_HDR_SIZE3;
	}
	size = hsz + map_len + (v2 ? (size_t)ncorr * 8 : (size_t)bcnt * 4) +
	       h->hdr_len + rb.types_len + lit_len;
	o = calloc(1, size);
	if (!o)
		goto out;
	memcpy(o,
	       map3 ? BTF_DELTA_MAGIC3
	       : v2 ? BTF_DELTA_MAGIC2
		    : BTF_DELTA_MAGIC,
	       8);
	le32_put(o + 8, h->hdr_len);
	le32_put(o + 12, rb.types_len);
	le32_put(o + 16, rb.str_len);
	le32_put(o + 20, nb);
	le32_put(o + 24, ra.type_cnt);
	le32_put(o + 28, bcnt);
	le32_put(o + 32, (uint32_t)lit_len);
	le32_put(o + 36, v2 ? ncorr : 0);
	p = o + hsz;
	last = 0;
	for (b = 1; b <= nb; b++) {
		uint32_t a = mt.m[b], v = 0;

		if (!a)
			continue;
		st->matched++;
		v = zigzag((int64_t)a - last - 1) + 1;
		last = a;
		if (!map3)
			le32_put(p + (size_t)(b - 1) * 4, v);
	}
	if (map3) {
		le32_put(o + 40, (uint32_t)runs.len);
		le32_put(o + 44, (uint32_t)jumps.len);
		memcpy(p, runs.p, runs.len); /* at least the last run */
		if (jumps.len) /* none when every partner follows */
			memcpy(p + runs.len, jumps.p, jumps.len);
	}
	p += map_len;
	if (v2)
		for (i = 0; i < 2 * ncorr; i++, p += 4)
			le32_put(p, corr[i]);
	else
		for (i = 0; i < bcnt; i++, p += 4)
			le32_put(p, smap[i]);
	memcpy(p, blob, h->hdr_len);
	p += h->hdr_len;
	{
		/* records in the order of their partners, then the unmatched
		 * ones in id order */
		struct rewriter w = {
			.map = mt.m,
			.map_len = nb + 1,
			.b = &rb,
			.aset = &aset,
			.bset = &bset,
			.st = st,
			.bstarts = bstarts,
			.sid = sid,
			.astarts = astarts,
			.bcnt = bcnt,
			.acnt = acnt,
		};
		uint32_t a, pass;

		for (pass = 0; pass < 2; pass++) {
			uint32_t n = pass ? nb : ra.type_cnt;

			for (a = 1; a <= n; a++) {
				uint32_t id = pass ? a : mt.rev[a], rs;
				struct btf_type *t;

				if (!id || (pass && mt.m[id]))
					continue;
				t = (void *)(rb.types + rb.type_offs[id - 1]);
				rs = btf_raw__rec_size(t, UINT32_MAX);
				memcpy(p, t, rs);
				btf_type_visit_ids((void *)p, enc_id, &w);
				btf_type_visit_strs(
					(void *)p, v2 ? enc_str2 : enc_str, &w);
				p += rs;
			}
		}
	}
	for (i = 0; i < bcnt; i++) {
		if (v2 ? sid[i] >= acnt : !smap[i]) {
			const char *s = rb.strs + bstarts[i];
			size_t len = strlen(s) + 1;

			memcpy(p, s, len);
			p += len;
		}
	}
	st->types = nb;
	*out = o;
	*out_size = size;
	o = NULL;
	err = 0;
out:
	if (err == -ENOMEM)
		diag_set(d, "out of memory");
	free(o);
	free(astarts);
	free(bstarts);
	free(smap);
	free(sid);
	free(corr);
	free(runs.p);
	free(jumps.p);
	free(mt.m);
	free(mt.rev);
	free(mt.work);
	free(mt.ids_b);
	free(mt.ids_a);
	strset__release(&aset);
	strset__release(&bset);
	btf_raw__release(&ra);
	btf_raw__release(&rb);
	return err;
out_einval:
	err = -EINVAL;
	goto out;
}

int btf_delta__check(const void *blob, size_t size, struct diag *d)
{
	struct btf_raw r = {0};
	const struct btf_header *h = blob;
	int err;

	if (btf_raw__parse(&r, blob, size, NULL, d))
		return -EINVAL;
	err = 0;
	if (h->hdr_len % 4 || h->type_off || h->str_off != h->type_len ||
	    r.type_cnt >= ID_LIMIT || r.str_len >= ID_LIMIT) {
		diag_set(d, "blob layout or size not supported by the delta "
			    "encoding");
		err = -EINVAL;
	}
	btf_raw__release(&r);
	return err;
}

/*
 * Version 2's string section, rebuilt from the records: the strings in the
 * order the records, in blob id order, first name them (a reference offset
 * names that reference string, ESC | k literal k), with each correction's
 * string put at its position instead. Identities: reference ordinals
 * 0..acnt-1, literals acnt + k. A slot (aord_boff[], lit_boff[]) is 0 for a
 * string not placed yet, STR_PENDING for one a correction places, else 1 +
 * its offset. Used by the decoder and by btf_delta_changes_next.
 */
#define STR_PENDING UINT32_MAX

struct strs2 {
	const char *astrs;
	const uint32_t *astarts; /* acnt + 1 */
	uint32_t acnt, astr_len;
	const struct str_rank *arank; /* NULL: search astarts */
	const uint8_t *corr, *lit;
	uint32_t ncorr, lit_len, bcnt, str_len;
	char *strs;	     /* str_len bytes out */
	uint32_t *aord_boff; /* acnt, zeroed */
	uint32_t *lit_start; /* bcnt + 1 */
	uint32_t *lit_boff;  /* bcnt */
	uint32_t lit_cnt;
	/* the walk */
	uint32_t pos, off, ci, lits_placed;
	int64_t cpos; /* position of correction ci */
	bool bad, oom;
};

/* Literal starts and the corrections' strings marked pending, checked: a
 * correction names a string that exists, once, at a position in the
 * section. */
static int strs2_prep(struct strs2 *s)
{
	uint32_t off = 0, k = 0, i;
	int64_t pos = -1;

	while (off < s->lit_len) {
		const uint8_t *end = memchr(s->lit + off, 0, s->lit_len - off);

		if (!end || k == s->bcnt)
			return -1;
		s->lit_start[k++] = off;
		off = (uint32_t)(end - s->lit) + 1;
	}
	s->lit_start[k] = off;
	s->lit_cnt = k;
	memset(s->lit_boff, 0, (size_t)k * sizeof(*s->lit_boff));
	for (i = 0; i < s->ncorr; i++) {
		uint32_t code = le32_get(s->corr + (size_t)i * 8 + 4), *slot;

		pos += 1 + (int64_t)le32_get(s->corr + (size_t)i * 8);
		if (pos >= s->bcnt)
			return -1;
		if (code & 1)
			slot = code / 2 < k ? &s->lit_boff[code / 2] : NULL;
		else
			slot = code / 2 < s->acnt ? &s->aord_boff[code / 2]
						  : NULL;
		if (!slot || *slot)
			return -1;
		*slot = STR_PENDING;
	}
	s->cpos = s->ncorr ? (int64_t)le32_get(s->corr) : -1;
	return 0;
}

/* The next string of the section is id: its place only; the bytes are
 * copied once every string has one (strs2_copy, on two threads). */
static void strs2_emit(struct strs2 *s, uint32_t id, uint32_t *slot)
{
	uint32_t len;

	if (id < s->acnt) {
		len = s->astarts[id + 1] - s->astarts[id];
	} else {
		id -= s->acnt;
		len = s->lit_start[id + 1] - s->lit_start[id];
		s->lits_placed++;
	}
	if (len > s->str_len - s->off || s->pos == s->bcnt) {
		s->bad = true;
		return;
	}
	*slot = s->off + 1;
	s->off += len;
	s->pos++;
}

/* The bytes of the reference strings [a0, a1) the section has, and of the
 * literals when lits, to their places (after a walk that placed exactly
 * str_len bytes, each string once). */
static void strs2_copy(const struct strs2 *s, uint32_t a0, uint32_t a1,
		       bool lits)
{
	uint32_t a, k;

	for (a = a0; a < a1; a++)
		if (s->aord_boff[a])
			memcpy(s->strs + s->aord_boff[a] - 1,
			       s->astrs + s->astarts[a],
			       s->astarts[a + 1] - s->astarts[a]);
	for (k = 0; lits && k < s->lit_cnt; k++)
		memcpy(s->strs + s->lit_boff[k] - 1, s->lit + s->lit_start[k],
		       s->lit_start[k + 1] - s->lit_start[k]);
}

/* the corrections at the current position */
static void strs2_flush(struct strs2 *s)
{
	while (s->ci < s->ncorr && s->cpos == s->pos && !s->bad) {
		uint32_t code = le32_get(s->corr + (size_t)s->ci * 8 + 4);
		uint32_t id = code & 1 ? s->acnt + code / 2 : code / 2;
		uint32_t *slot = code & 1 ? &s->lit_boff[code / 2]
					  : &s->aord_boff[code / 2];

		strs2_emit(s, id, slot);
		if (++s->ci < s->ncorr)
			s->cpos += 1 + (int64_t)le32_get(s->corr +
							 (size_t)s->ci * 8);
	}
}

/* The slot of a name in identity form: ESC | literal, or an ordinal. */
static inline uint32_t *strs2_slot(struct strs2 *s, uint32_t v, uint32_t *id)
{
	if (v & ESC) {
		*id = s->acnt + (v & ~ESC);
		return &s->lit_boff[v & ~ESC];
	}
	*id = v;
	return &s->aord_boff[v];
}

static int strs2_name(uint32_t *off, void *ctx)
{
	struct strs2 *s = ctx;
	uint32_t v = *off, id, *slot;
	int64_t a;

	if (v & ESC) {
		v &= ~ESC;
		if (v >= s->lit_cnt)
			goto bad;
		id = s->acnt + v;
		slot = &s->lit_boff[v];
	} else {
		if (s->arank) {
			a = str_rank_of(s->arank, v);
		} else {
			a = v < s->astr_len
				    ? (int64_t)ordinal(s->astarts, s->acnt, v)
				    : -1;
			if (a >= 0 && s->astarts[a] != v)
				a = -1;
		}
		if (a < 0 || a >= s->acnt)
			goto bad;
		id = (uint32_t)a;
		slot = &s->aord_boff[a];
	}
	if (!*slot) {
		strs2_flush(s);
		strs2_emit(s, id, slot);
	}
	return s->bad;
bad:
	s->bad = true;
	return 1;
}

/* The walk over the records in blob id order (rec[b - 1], or t_in +
 * src[b - 1]), then the corrections left; 0 when it rebuilt exactly
 * str_len bytes of bcnt strings with every literal. */
static int strs2_walk(struct strs2 *s, const uint8_t *t_in, const uint32_t *src,
		      const struct btf_type *const *rec, uint32_t nb)
{
	uint32_t b;

	for (b = 0; b < nb && !s->bad; b++) {
		const struct btf_type *t =
			rec ? rec[b] : (const void *)(t_in + src[b]);

		/* strs2_name only reads the field */
		btf_type_visit_strs((struct btf_type *)t, strs2_name, s);
	}
	strs2_flush(s);
	if (s->bad || s->ci != s->ncorr || s->pos != s->bcnt ||
	    s->off != s->str_len || s->lits_placed != s->lit_cnt)
		return -1;
	strs2_copy(s, 0, s->acnt, true);
	return s->strs[0] ? -1 : 0;
}

/* ---- decoding ---- */

static int dec_id(uint32_t *id, void *ctx)
{
	struct rewriter *w = ctx;
	uint32_t v = *id;

	if (!v)
		return 0;
	if (v & ESC) {
		*id = v & ~ESC;
		return 0;
	}
	if (v >= w->map_len || !w->map[v]) {
		w->bad = true;
		return -EBADMSG;
	}
	*id = w->map[v];
	return 0;
}

/* A reference offset names the start of a reference string whose first copy
 * in the blob is the name; the string map told where that copy is. */
static int dec_str(uint32_t *off, void *ctx)
{
	struct rewriter *w = ctx;
	uint32_t v = *off;
	int64_t a;

	if (v & ESC) {
		v &= ~ESC;
		if (!w->v2) {
			*off = v;
			return 0;
		}
		/* version 2: literal v, ESC | v until dec_names */
		if (v >= w->lit_cnt) {
			w->bad = true;
			return -EBADMSG;
		}
		a = (int64_t)w->acnt + v;
		goto first_use;
	}
	a = str_rank_of(w->arank, v);
	if (w->v2) {
		/* the ordinal until dec_names */
		if (a < 0) {
			w->bad = true;
			return -EBADMSG;
		}
		*off = (uint32_t)a;
		goto first_use;
	}
	if (a < 0 || !w->aord_boff[a]) {
		w->bad = true;
		return -EBADMSG;
	}
	*off = w->aord_boff[a] - 1;
	return 0;
first_use:
	if (w->walk) {
		/* the first part: the walk itself, names set as it goes */
		uint32_t id, *slot = strs2_slot(w->walk, *off, &id);

		if (!*slot) {
			strs2_flush(w->walk);
			strs2_emit(w->walk, id, slot);
		}
		if (*slot != STR_PENDING) {
			*off = *slot - 1;
			return 0;
		}
		if (w->nfix == w->fix_cap &&
		    mem_ensure((void **)&w->fix, &w->fix_cap, sizeof(*w->fix),
			       w->nfix + 1)) {
			w->walk->oom = true;
			return 0;
		}
		w->fix[w->nfix++] = off;
		return 0;
	}
	if (!(w->seen[a / 64] >> (a % 64) & 1)) {
		w->seen[a / 64] |= UINT64_C(1) << (a % 64);
		w->first[w->nfirst++] = *off;
	}
	return 0;
}

/*
 * btf_raw__rec_size as a table per kind, read off btf_raw__rec_size
 * itself (a record of each kind with no element, one and the most): the
 * decoder sizes every record of the reference and of the payload, and a
 * lookup here costs a fraction of the call. A kind whose size does not
 * grow by one element size per element keeps the call.
 */
struct rec_sizes {
	uint32_t fixed[BTF_RAW_MAX_KIND + 1]; /* 0: call btf_raw__rec_size */
	uint32_t elem[BTF_RAW_MAX_KIND + 1];
};

static void rec_sizes_init(struct rec_sizes *rs)
{
	struct btf_type t = {0};
	uint32_t k, s0, s1, sn;

	for (k = 0; k <= BTF_RAW_MAX_KIND; k++) {
		t.info = k << 24;
		s0 = btf_raw__rec_size(&t, UINT32_MAX);
		t.info = k << 24 | 1;
		s1 = btf_raw__rec_size(&t, UINT32_MAX);
		t.info = k << 24 | BTF_RAW_MAX_VLEN;
		sn = btf_raw__rec_size(&t, UINT32_MAX);
		rs->fixed[k] =
			s0 >= sizeof(t) && s1 >= s0 &&
					sn == s0 + (uint64_t)BTF_RAW_MAX_VLEN *
								(s1 - s0)
				? s0
				: 0;
		rs->elem[k] = s1 - s0;
	}
}

static inline uint32_t rec_size(const struct rec_sizes *rs,
				const struct btf_type *t, uint32_t left)
{
	uint32_t k;
	uint64_t sz;

	/* the info word only once the record's fixed part is inside */
	if (left < sizeof(*t))
		return 0;
	k = btf_type_kind(t);
	if (!rs->fixed[k])
		return btf_raw__rec_size(t, left);
	sz = rs->fixed[k] + (uint64_t)btf_type_vlen(t) * rs->elem[k];
	return sz <= left ? (uint32_t)sz : 0;
}

/* The reference's string section and type count, from its header and a
 * walk over its records, everything bounds-checked. */
static int ref_facts(const uint8_t *ref, size_t size, const char **strs,
		     uint32_t *str_len, uint32_t *type_cnt, size_t *types_off,
		     uint32_t *types_len)
{
	struct rec_sizes rsz;
	struct btf_header hh, *h = &hh;
	uint64_t toff, soff;
	uint32_t off = 0, n = 0;

	if (size < sizeof(*h))
		return -EBADMSG;
	memcpy(h, ref, sizeof(*h));
	if (h->magic != BTF_MAGIC || h->hdr_len < sizeof(*h) || h->hdr_len % 4)
		return -EBADMSG;
	toff = (uint64_t)h->hdr_len + h->type_off;
	soff = (uint64_t)h->hdr_len + h->str_off;
	if (toff + h->type_len > size || soff + h->str_len > size || toff % 4 ||
	    !h->str_len)
		return -EBADMSG;
	rec_sizes_init(&rsz);
	while (off < h->type_len) {
		const struct btf_type *t = (const void *)(ref + toff + off);
		uint32_t left = h->type_len - off, rs;

		if (left < sizeof(*t))
			return -EBADMSG;
		rs = rec_size(&rsz, t, left);
		if (!rs)
			return -EBADMSG;
		off += rs;
		n++;
	}
	*strs = (const char *)ref + soff;
	*str_len = h->str_len;
	*type_cnt = n;
	*types_off = (size_t)toff;
	*types_len = h->type_len;
	return 0;
}

/*
 * What decoding needs of a reference, whatever the payload: its string
 * section, its type count and where its strings start (with their ranks).
 * A reader keeps it with the reference blob and computes it on a second
 * thread while the payload decompresses. ref_facts' verdict is kept for the
 * decoder, which reports it after its own header checks, as always.
 */
struct btf_delta_ref {
	const char *strs;
	uint32_t str_len;
	uint32_t type_cnt;
	uint32_t *starts; /* str_starts(): cnt + 1 entries */
	uint32_t cnt;
	struct str_rank rank;
	int err; /* 0; -EBADMSG: ref_facts refused it; -ENOMEM */
	/* where the reference's type section is (btf_delta_ref_types) */
	size_t types_off;
	uint32_t types_len;
};

/*
 * str_starts and str_rank_init of the reference's strings in one pass, the
 * same results: the NULs found 16 bytes at a time (SSE2; a byte loop
 * elsewhere) into the bitmap, which shifted by one byte is the bitmap of
 * string starts (offset 0 and the byte after each NUL, up to the last
 * NUL: an unterminated tail is no string); the starts are its set bits,
 * and one more, the end of the last string + 1.
 */
static int ref_strings(struct btf_delta_ref *pr)
{
	const uint8_t *s = (const uint8_t *)pr->strs;
	struct str_rank *sr = &pr->rank;
	uint32_t len = pr->str_len, i = 0, n = 0, c = 0;
	size_t words = ((size_t)len + 63) / 64, w;
	uint64_t carry = 1, last = 0; /* last: 1 + the last NUL, 0 none */

	sr->len = len;
	sr->bits = calloc(words + 1, sizeof(*sr->bits));
	sr->before = malloc((words + 1) * sizeof(*sr->before));
	if (!sr->bits || !sr->before)
		return -ENOMEM;
#ifdef __SSE2__
	for (; i + 16 <= len; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(s + i));
		uint32_t m = (uint32_t)_mm_movemask_epi8(
			_mm_cmpeq_epi8(v, _mm_setzero_si128()));

		sr->bits[i / 64] |= (uint64_t)m << (i % 64);
	}
#endif
	for (; i < len; i++)
		if (!s[i])
			sr->bits[i / 64] |= UINT64_C(1) << (i % 64);
	/* NULs -> starts: shift up by one across words, offset 0 in */
	for (w = 0; w < words; w++) {
		uint64_t z = sr->bits[w];

		if (z)
			last = (uint64_t)w * 64 + 64 -
			       (uint64_t)__builtin_clzll(z);
		sr->bits[w] = z << 1 | carry;
		carry = z >> 63;
	}
	/* nothing from the last NUL + 1 on starts a string */
	for (w = last / 64; w < words; w++)
		sr->bits[w] &= w == last / 64 && last % 64
				       ? (UINT64_C(1) << (last % 64)) - 1
				       : 0;
	for (w = 0; w <= words; w++) {
		sr->before[w] = c;
		c += popcount64(sr->bits[w]);
	}
	pr->starts = malloc(((size_t)c + 1) * sizeof(*pr->starts));
	if (!pr->starts)
		return -ENOMEM;
	for (w = 0; w < words; w++)
		for (uint64_t b = sr->bits[w]; b; b &= b - 1)
			pr->starts[n++] =
				(uint32_t)(w * 64 +
					   (uint64_t)__builtin_ctzll(b));
	pr->starts[n] = (uint32_t)last;
	pr->cnt = n;
	return 0;
}

struct btf_delta_ref *btf_delta_ref_new(const void *ref, size_t ref_size)
{
	struct btf_delta_ref *pr = calloc(1, sizeof(*pr));

	if (!pr)
		return NULL;
	if (ref_facts(ref, ref_size, &pr->strs, &pr->str_len, &pr->type_cnt,
		      &pr->types_off, &pr->types_len)) {
		pr->err = -EBADMSG;
		return pr;
	}
	if (ref_strings(pr))
		pr->err = -ENOMEM;
	return pr;
}

size_t btf_delta_ref_types(const struct btf_delta_ref *pr, size_t *off)
{
	if (!pr || pr->err)
		return 0;
	*off = pr->types_off;
	return pr->types_len;
}

void btf_delta_ref_free(struct btf_delta_ref *pr)
{
	if (!pr)
		return;
	free(pr->starts);
	str_rank_release(&pr->rank);
	free(pr);
}

/*
 * One decode. Its phases: the type map (rev), the string section (strs,
 * aord_boff), where each record goes (boff, src), then each record copied
 * to its place and rewritten. The string section needs only the payload
 * and the reference, so it runs beside the first and the third; the last
 * is per record and runs in two halves of the ids. Each phase keeps its own
 * verdict and the first failing one in that order is reported, so the
 * message is the one-threaded decoder's. Version 2: the string section
 * needs the placed records, so beside the map and the places only its
 * literals and corrections are read (strs2_prep); the strings are laid out
 * while and after the records are rewritten (dec_types, dec_strings2,
 * dec_names), and its verdict comes after the records'.
 */
struct decoder {
	const struct btf_delta_ref *ref;
	struct enc_layout l; /* the payload's header and parts */
	uint8_t *o;
	uint32_t *rev;	     /* reference id -> blob id */
	uint32_t *order;     /* payload record k -> blob id */
	uint32_t *boff;	     /* blob id - 1 -> offset in the types; nb + 1 */
	uint32_t *src;	     /* blob id - 1 -> offset in the payload types */
	uint32_t *aord_boff; /* see struct rewriter */
	int strs_err;
	bool v2;	    /* l.version >= 2 */
	uint32_t unmatched; /* blob ids without a partner */
	uint32_t next;	    /* dec_map: the blob id after the last matched */
	struct strs2 s2;    /* version 2's string section */
};

/* Version 2, beside the map and the places: what the string walk needs
 * before the records are placed. */
static void *dec_strings2_prep(void *arg)
{
	struct decoder *dc = arg;

	dc->strs_err = strs2_prep(&dc->s2) ? -EBADMSG : 0;
	return NULL;
}

static void *dec_strings(void *arg)
{
	struct decoder *dc = arg;
	const struct btf_delta_ref *pr = dc->ref;
	const uint8_t *lit = dc->l.lit;
	char *strs = (char *)dc->o + dc->l.hdr_len + dc->l.types_len;
	uint32_t off = 0, i;
	int64_t last = -1;

	dc->strs_err = -EBADMSG;
	for (i = 0; i < dc->l.bcnt; i++) {
		const char *s;
		size_t len;
		int64_t a;

		if (next_string(le32_get(dc->l.smap + (size_t)i * 4), &lit,
				dc->l.lit_end, pr->strs, pr->starts, pr->cnt,
				&last, &s, &len, &a))
			return NULL;
		if (a >= 0 && !dc->aord_boff[a])
			dc->aord_boff[a] = off + 1;
		if (len > dc->l.str_len - off)
			return NULL;
		memcpy(strs + off, s, len);
		off += len;
	}
	if (off != dc->l.str_len || lit != dc->l.lit_end || strs[0])
		return NULL;
	dc->strs_err = 0;
	return NULL;
}

/*
 * The type map of l into rev (zeroed, na + 1 entries): rev[a] is the blob
 * id whose partner is reference id a. Partners must lie in 1..na and be
 * distinct. matched (may be NULL) gets each blob id that has a partner, in
 * order. -EBADMSG with d set.
 */
static int map_rev(const struct enc_layout *l, uint32_t *rev,
		   void (*matched)(void *ctx, uint32_t b), void *ctx,
		   struct diag *d)
{
	struct map_iter it;
	uint32_t b;
	int64_t a;
	int k;

	map_iter_init(&it, l);
	while ((k = map_next(&it, &b, &a, d)) > 0) {
		if (a < 1 || a > l->na || rev[a]) {
			diag_set(d,
				 "delta: type map entry %u is out of range "
				 "or used twice",
				 b);
			return -EBADMSG;
		}
		rev[a] = b;
		if (matched)
			matched(ctx, b);
	}
	return k ? -EBADMSG : 0;
}

/* dec_map's: the blob ids before b that have no partner, to the end of
 * order */
static void dec_unmatched(void *ctx, uint32_t b)
{
	struct decoder *dc = ctx;

	for (; dc->next < b; dc->next++)
		dc->order[dc->l.nb - ++dc->unmatched] = dc->next;
	dc->next = b + 1;
}

/* The type map into rev; the blob ids without a partner at the end of
 * order, last first (dec_places turns them around). */
static int dec_map(struct decoder *dc, struct diag *d)
{
	dc->unmatched = 0;
	dc->next = 1;
	if (map_rev(&dc->l, dc->rev, dec_unmatched, dc, d))
		return -EBADMSG;
	dec_unmatched(dc, dc->l.nb + 1);
	return 0;
}

int btf_delta_map(const void *enc, size_t enc_size, uint32_t na, uint32_t **rev,
		  uint32_t *nb, struct diag *d)
{
	struct enc_layout l;
	int err;

	*rev = NULL;
	if (enc_layout(enc, enc_size, &l, d))
		return -EBADMSG;
	/* before rev is sized from it: the header's count alone is not
	 * bounded by the payload */
	if (l.na != na) {
		diag_set(d,
			 "delta: made against %u types, the reference has %u",
			 l.na, na);
		return -EBADMSG;
	}
	*rev = calloc((size_t)l.na + 1, sizeof(**rev));
	if (!*rev) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	err = map_rev(&l, *rev, NULL, NULL, d);
	if (err) {
		free(*rev);
		*rev = NULL;
		return err;
	}
	*nb = l.nb;
	return 0;
}

/* The order the records were written in, their sizes, their places. */
static int dec_places(struct decoder *dc, struct diag *d)
{
	uint32_t k = 0, a, b, pos, *sz = dc->boff + 1;
	struct rec_sizes rsz;

	for (a = 1; a <= dc->l.na; a++)
		if (dc->rev[a])
			dc->order[k++] = dc->rev[a];
	/* then the unmatched ones in id order (dec_map left them last
	 * first) */
	for (a = 0; a < dc->unmatched / 2; a++) {
		b = dc->order[k + a];
		dc->order[k + a] = dc->order[dc->l.nb - 1 - a];
		dc->order[dc->l.nb - 1 - a] = b;
	}
	rec_sizes_init(&rsz);
	for (pos = 0, k = 0; pos < dc->l.types_len; k++) {
		uint32_t left = dc->l.types_len - pos, rs;

		if (k == dc->l.nb ||
		    !(rs = rec_size(&rsz, (const void *)(dc->l.t_in + pos),
				    left))) {
			diag_set(d,
				 "delta: type record %u runs past the type "
				 "section",
				 k + 1);
			return -EBADMSG;
		}
		sz[dc->order[k] - 1] = rs;
		dc->src[dc->order[k] - 1] = pos;
		pos += rs;
	}
	if (k != dc->l.nb) {
		diag_set(d, "delta: %u type records, the map has %u", k,
			 dc->l.nb);
		return -EBADMSG;
	}
	/* boff[b - 1]: offset of type b; sz[] aliases boff + 1 and is
	 * consumed as the prefix sums overwrite it */
	dc->boff[0] = 0;
	for (b = 1; b <= dc->l.nb; b++)
		dc->boff[b] = dc->boff[b - 1] + sz[b - 1];
	return 0;
}

/* Types [first, end) (0-based) copied to their places and rewritten;
 * bad: 1 + the first that names what does not map back, or 0. */
struct dec_part {
	struct decoder *dc;
	uint32_t first, end;
	uint32_t bad;
	/* version 2: the part's names, see struct rewriter */
	uint64_t *seen;
	uint32_t *names, nnames;
	uint32_t **fix; /* the first part's, see struct rewriter */
	size_t nfix;
	bool walk; /* version 2: the first part */
	/* version 2, with the names: the reference strings [a0, a1) to copy
	 * to the section, and the literals when lits */
	uint32_t a0, a1;
	bool lits;
};

static void *dec_types(void *arg)
{
	struct dec_part *p = arg;
	struct decoder *dc = p->dc;
	uint8_t *types = dc->o + dc->l.hdr_len;
	struct rewriter w = {
		.map = dc->rev,
		.map_len = dc->l.na + 1,
		.arank = &dc->ref->rank,
		.aord_boff = dc->aord_boff,
		.v2 = dc->v2,
		.lit_boff = dc->s2.lit_boff,
		.lit_cnt = dc->s2.lit_cnt,
		.acnt = dc->s2.acnt,
		.seen = p->seen,
		.first = p->names,
		.walk = p->walk ? &dc->s2 : NULL,
	};
	uint32_t b;

	for (b = p->first; b < p->end; b++) {
		struct btf_type *t = (void *)(types + dc->boff[b]);

		memcpy(t, dc->l.t_in + dc->src[b],
		       dc->boff[b + 1] - dc->boff[b]);
		btf_type_visit_ids(t, dec_id, &w);
		if (!w.bad)
			btf_type_visit_strs(t, dec_str, &w);
		if (w.bad) {
			p->bad = b + 1;
			break;
		}
	}
	p->nnames = w.nfirst;
	p->fix = w.fix;
	p->nfix = w.nfix;
	return NULL;
}

/*
 * Version 2's string section, finished: the first part walked its names
 * in order as it rewrote them (strings placed, names set); the second
 * part's names in the order first seen, less those the first part has
 * (their slots are set), continue the first-use order, with the
 * corrections in between. Only this is serial, one step per string of the
 * second part. Then the first part's names that waited for a correction.
 * 0, -EBADMSG, -ENOMEM.
 */
static int dec_strings2(struct decoder *dc, const struct dec_part *part)
{
	struct strs2 *s = &dc->s2;
	uint32_t j, id, *slot;
	size_t i;

	if (s->oom)
		return -ENOMEM;
	for (j = 0; j < part[1].nnames && !s->bad; j++) {
		slot = strs2_slot(s, part[1].names[j], &id);
		if (!*slot) {
			strs2_flush(s);
			strs2_emit(s, id, slot);
		}
	}
	strs2_flush(s);
	if (s->bad || s->ci != s->ncorr || s->pos != s->bcnt ||
	    s->off != s->str_len || s->lits_placed != s->lit_cnt)
		return -EBADMSG;
	for (i = 0; i < part[0].nfix; i++)
		*part[0].fix[i] = *strs2_slot(s, *part[0].fix[i], &id) - 1;
	return 0;
}

/* Version 2: the names of types [first, end), identities, to offsets. */
static int dec_name(uint32_t *off, void *ctx)
{
	struct strs2 *s = ctx;
	uint32_t id;

	*off = *strs2_slot(s, *off, &id) - 1;
	return 0;
}

static int count_name(uint32_t *off, void *ctx)
{
	(void)off;
	++*(uint32_t *)ctx;
	return 0;
}

/*
 * Which kinds have a name in every element, read off btf_type_visit_strs
 * (a record of each kind with one element: two names): their names are
 * set in a loop here, where a call per name costs as much as the rest of
 * the pass. 2: call btf_type_visit_strs.
 */
static void named_elems_init(uint8_t *named, const struct rec_sizes *rsz)
{
	uint32_t rec[64] = {0}, k, n;

	for (k = 0; k <= BTF_RAW_MAX_KIND; k++) {
		((struct btf_type *)rec)->info = k << 24 | 1;
		n = 0;
		btf_type_visit_strs((struct btf_type *)rec, count_name, &n);
		named[k] = n == 1 ? 0 : 2;
		if (n == 2 && rsz->fixed[k] == sizeof(struct btf_type) &&
		    rsz->elem[k] >= 4 && rsz->elem[k] % 4 == 0)
			named[k] = 1;
	}
}

static void *dec_names(void *arg)
{
	struct dec_part *p = arg;
	struct decoder *dc = p->dc;
	struct strs2 *s = &dc->s2;
	uint8_t *types = dc->o + dc->l.hdr_len;
	const uint32_t *ab = s->aord_boff, *lb = s->lit_boff;
	struct rec_sizes rsz;
	uint8_t named[BTF_RAW_MAX_KIND + 1];
	uint32_t b, i, n, v, k;

	rec_sizes_init(&rsz);
	named_elems_init(named, &rsz);
	for (b = p->first; b < p->end; b++) {
		struct btf_type *t = (void *)(types + dc->boff[b]);
		uint8_t *e;

		k = btf_type_kind(t);
		if (named[k] == 2) {
			btf_type_visit_strs(t, dec_name, s);
			continue;
		}
		v = t->name_off;
		t->name_off = (v & ESC ? lb[v & ~ESC] : ab[v]) - 1;
		if (!named[k])
			continue;
		n = btf_type_vlen(t);
		e = (uint8_t *)(t + 1);
		for (i = 0; i < n; i++, e += rsz.elem[k]) {
			memcpy(&v, e, 4);
			v = (v & ESC ? lb[v & ~ESC] : ab[v]) - 1;
			memcpy(e, &v, 4);
		}
	}
	strs2_copy(s, p->a0, p->a1, p->lits);
	return NULL;
}

int btf_delta_decode_with(const struct btf_delta_ref *ref, const void *enc,
			  size_t enc_size, void *buf, size_t buf_size,
			  void *scratch, size_t scratch_size,
			  unsigned int threads, void **out, size_t *out_size,
			  struct diag *d)
{
	uint32_t lit_len, na_enc, mid;
	struct decoder dc = {.ref = ref};
	size_t nr, no, nbo, ns, nao, nl, tb;
	struct dec_part part[2];
	uint32_t *tables = NULL, *lent = NULL, *names[2] = {NULL, NULL}, k;
	uint64_t *seen[2] = {NULL, NULL};
	bool two = threads > 1, map_ok;
	size_t total;
	pthread_t t;
	int err = -EBADMSG, beside;

	*out = NULL;
	*out_size = 0;
	memset(part, 0, sizeof(part));
	if (enc_layout(enc, enc_size, &dc.l, d))
		goto out;
	dc.v2 = dc.l.version >= 2;
	na_enc = dc.l.na;
	lit_len = dc.l.lit_len;
	if (ref && (ref->err == -EBADMSG || ref->type_cnt != na_enc)) {
		diag_set(d, "delta: the reference is not the blob it was "
			    "encoded against");
		goto out;
	}
	err = -ENOMEM;
	if (!ref || ref->err)
		goto nomem;
	total = (size_t)dc.l.hdr_len + dc.l.types_len + dc.l.str_len;
	/* the five tables in one block (a 6.1 blob: 11 MB): one
	 * allocation, not five */
	nr = (size_t)dc.l.na + 1;
	no = (size_t)dc.l.nb + 1;
	nbo = (size_t)dc.l.nb + 2;
	ns = (size_t)dc.l.nb + 1;
	nao = (size_t)ref->cnt + 1;
	/* version 2: literal starts and slots (a literal is 1 byte at
	 * least) */
	nl = dc.v2 ? (size_t)lit_len + 1 : 0;
	tb = (nr + no + nbo + ns + nao + 2 * nl) * sizeof(uint32_t);
	/* the caller's scratch when the tables fit there (4-byte aligned) */
	if (scratch) {
		size_t skip = (size_t)(-(uintptr_t)scratch & 3);

		if (scratch_size >= skip && scratch_size - skip >= tb)
			lent = (uint32_t *)(void *)((uint8_t *)scratch + skip);
	}
	tables = lent ? lent : mem_alloc_big(tb);
	if (tables) {
		dc.rev = tables;
		dc.order = dc.rev + nr;
		dc.boff = dc.order + no;
		dc.src = dc.boff + nbo;
		dc.aord_boff = dc.src + ns;
		memset(dc.rev, 0, nr * sizeof(*dc.rev));
		memset(dc.aord_boff, 0, nao * sizeof(*dc.aord_boff));
		dc.s2 = (struct strs2){
			.astrs = ref->strs,
			.astarts = ref->starts,
			.acnt = ref->cnt,
			.astr_len = ref->str_len,
			.arank = &ref->rank,
			.corr = dc.l.smap,
			.lit = dc.l.lit,
			.ncorr = dc.l.ncorr,
			.lit_len = lit_len,
			.bcnt = dc.l.bcnt,
			.str_len = dc.l.str_len,
			.aord_boff = dc.aord_boff,
			.lit_start = dc.aord_boff + nao,
			.lit_boff = dc.aord_boff + nao + nl,
		};
	}
	/* the caller's buffer when the blob is its size (a reader sizes it
	 * from the index and has it faulted in meanwhile) */
	if (buf && buf_size == total) {
		dc.o = buf;
		buf = NULL;
	} else {
		dc.o = mem_alloc_big(total);
	}
	if (!tables || !dc.o)
		goto nomem;
	dc.s2.strs = (char *)dc.o + dc.l.hdr_len + dc.l.types_len;
	if (dc.v2) {
		/* the second part: a bit per identity, the names first
		 * seen (the first part walks the strings itself) */
		size_t ids = (size_t)ref->cnt + lit_len + 1;

		for (k = 1; k < 2; k++) {
			seen[k] = calloc(ids / 64 + 1, sizeof(*seen[k]));
			names[k] = malloc(ids * sizeof(*names[k]));
			if (!seen[k] || !names[k])
				goto nomem;
		}
	}
	/* the strings beside the map and the places; the verdicts in the
	 * order of one thread: map, strings, places */
	beside = thread_run_beside(
		&t, two, dc.v2 ? dec_strings2_prep : dec_strings, &dc);
	err = dec_map(&dc, d);
	map_ok = !err;
	if (!err)
		err = dec_places(&dc, d);
	if (beside)
		pthread_join(t, NULL);
	if (map_ok && dc.strs_err)
		goto bad_strs;
	if (err)
		goto out;
	memcpy(dc.o, dc.l.hdr_in, dc.l.hdr_len);
	/* two halves of the type section's bytes; version 2: the first
	 * part also walks the strings, so it takes 45 % (the fastest of 25,
	 * 35, 45 and 50 % on a 6.1 delta, two threads) */
	for (mid = 0;
	     two && mid < dc.l.nb &&
	     dc.boff[mid] < (uint64_t)dc.l.types_len * (dc.v2 ? 45 : 50) / 100;
	     mid++)
		;
	part[0] = (struct dec_part){.dc = &dc,
				    .end = two ? mid : dc.l.nb,
				    .seen = seen[0],
				    .names = names[0],
				    .walk = dc.v2};
	part[1] = (struct dec_part){.dc = &dc,
				    .first = two ? mid : dc.l.nb,
				    .end = dc.l.nb,
				    .seen = seen[1],
				    .names = names[1]};
	beside = thread_run_beside(&t, two && part[1].first < part[1].end,
				   dec_types, &part[1]);
	dec_types(&part[0]);
	if (beside)
		pthread_join(t, NULL);
	if (part[0].bad || part[1].bad) {
		diag_set(d,
			 "delta: type %u names a reference type or string "
			 "that does not map back",
			 part[0].bad ? part[0].bad : part[1].bad);
		err = -EBADMSG;
		goto out;
	}
	if (dc.v2) {
		/* the string section, then the second part's names into it,
		 * in two halves */
		struct dec_part q[2] = {part[1], part[1]};

		err = dec_strings2(&dc, part);
		if (err == -ENOMEM)
			goto nomem;
		if (err)
			goto bad_strs;
		q[0].end = q[1].first =
			part[1].first + (part[1].end - part[1].first) / 2;
		q[0].a1 = q[1].a0 = dc.s2.acnt / 2;
		q[1].a1 = dc.s2.acnt;
		q[0].lits = true;
		beside = thread_run_beside(&t, two && q[1].first < q[1].end,
					   dec_names, &q[1]);
		dec_names(&q[0]);
		if (beside)
			pthread_join(t, NULL);
		if (dc.s2.strs[0])
			goto bad_strs;
	}
	*out = dc.o;
	*out_size = total;
	dc.o = NULL;
	err = 0;
	goto out;
bad_strs:
	err = -EBADMSG;
	diag_set(d, "delta: the string map does not rebuild the string "
		    "section");
	goto out;
nomem:
	err = -ENOMEM;
	diag_set(d, "out of memory");
out:
	free(buf);
	free(dc.o);
	if (tables != lent)
		free(tables);
	for (k = 0; k < 2; k++) {
		free(seen[k]);
		free(names[k]);
	}
	free(part[0].fix);
	return err;
}

int btf_delta__decode(const void *ref, size_t ref_size, const void *enc,
		      size_t enc_size, void **out, size_t *out_size,
		      struct diag *d)
{
	struct btf_delta_ref *pr = btf_delta_ref_new(ref, ref_size);
	int err;

	err = btf_delta_decode_with(pr, enc, enc_size, NULL, 0, NULL, 0, 1, out,
				    out_size, d);
	btf_delta_ref_free(pr);
	return err;
}

void btf_delta__changes_release(struct btf_delta_changes *c)
{
	free(c->partner);
	free(c->blob_of);
	free(c->same);
	free(c->name);
	free(c->rec);
	free(c->strs);
	btf_delta_ref_free(c->aref);
	free(c->ref_used);
	free(c->lit_boff);
	free(c->lit_start);
	free(c->aord_boff);
	memset(c, 0, sizeof(*c));
}

/* c's arrays for nb blob types, na reference types and str_len bytes of
 * strings, zeroed (the strings are not): kept when they are large enough
 * (btf_delta_changes_next), else replaced. */
static int changes_alloc(struct btf_delta_changes *c, uint32_t nb, uint32_t na,
			 uint32_t str_len)
{
	/* an eighth more when they grow: the next blobs of a series are a
	 * little larger or smaller */
	if (nb + 1 > c->cap_nb) {
		size_t n = (size_t)nb + 1 + nb / 8;

		free(c->partner);
		free(c->same);
		free(c->name);
		free(c->rec);
		c->partner = malloc(n * sizeof(*c->partner));
		c->same = malloc(n);
		c->name = malloc(n * sizeof(*c->name));
		c->rec = malloc(n * sizeof(*c->rec));
		c->cap_nb = (uint32_t)n;
	}
	if (na + 1 > c->cap_na) {
		free(c->blob_of);
		c->blob_of = malloc(((size_t)na + 1) * sizeof(*c->blob_of));
		c->cap_na = na + 1;
	}
	if (str_len > c->cap_str) {
		size_t n = (size_t)str_len + str_len / 8;

		free(c->strs);
		c->strs = malloc(n);
		c->cap_str = (uint32_t)n;
	}
	if (!c->partner || !c->same || !c->name || !c->rec || !c->blob_of ||
	    !c->strs) {
		c->cap_nb = c->cap_na = c->cap_str = 0;
		return -ENOMEM;
	}
	memset(c->partner, 0, ((size_t)nb + 1) * sizeof(*c->partner));
	memset(c->same, 0, (size_t)nb + 1);
	memset(c->name, 0, ((size_t)nb + 1) * sizeof(*c->name));
	memset(c->rec, 0, ((size_t)nb + 1) * sizeof(*c->rec));
	memset(c->blob_of, 0, ((size_t)na + 1) * sizeof(*c->blob_of));
	return 0;
}

int btf_delta__changes(const struct btf_raw *ref, const void *enc,
		       size_t enc_size, struct btf_delta_changes *c,
		       struct diag *d)
{
	memset(c, 0, sizeof(*c));
	return btf_delta_changes_next(ref, enc, enc_size, c, d);
}

/* Version 2's string section for c (records in c->rec), and which
 * reference strings the blob has; -EBADMSG, -ENOMEM. */
static int changes_strings2(struct btf_delta_changes *c,
			    const struct btf_raw *ref, const uint8_t *corr,
			    uint32_t ncorr, const uint8_t *lit,
			    uint32_t lit_len, uint32_t bcnt, uint32_t str_len)
{
	struct strs2 s = {
		.astrs = ref->strs,
		.astarts = c->aref->starts,
		.arank = &c->aref->rank,
		.acnt = c->aref->cnt,
		.astr_len = ref->str_len,
		.corr = corr,
		.lit = lit,
		.ncorr = ncorr,
		.lit_len = lit_len,
		.bcnt = bcnt,
		.str_len = str_len,
		.strs = c->strs,
	};
	uint32_t a;

	if (mem_ensure((void **)&c->aord_boff, &c->aord_boff_cap,
		       sizeof(*c->aord_boff), (size_t)c->aref->cnt + 1) ||
	    mem_ensure((void **)&c->lit_start, &c->lit_start_cap,
		       sizeof(*c->lit_start), (size_t)lit_len + 1) ||
	    mem_ensure((void **)&c->lit_boff, &c->lit_boff_cap,
		       sizeof(*c->lit_boff), (size_t)lit_len + 1))
		return -ENOMEM;
	memset(c->aord_boff, 0,
	       ((size_t)c->aref->cnt + 1) * sizeof(*c->aord_boff));
	s.aord_boff = c->aord_boff;
	s.lit_start = c->lit_start;
	s.lit_boff = c->lit_boff;
	if (strs2_prep(&s) ||
	    strs2_walk(&s, NULL, NULL, (const struct btf_type *const *)c->rec,
		       c->nb))
		return -EBADMSG;
	c->lit_cnt = s.lit_cnt;
	for (a = 0; a < c->aref->cnt; a++)
		if (c->aord_boff[a])
			c->ref_used[a / 64] |= 1ull << (a % 64);
	return 0;
}

int btf_delta_changes_next(const struct btf_raw *ref, const void *enc,
			   size_t enc_size, struct btf_delta_changes *c,
			   struct diag *d)
{
	const uint8_t *smap, *t_in, *lit, *lit_end;
	uint32_t hdr_len, types_len, str_len, nb, na, bcnt, lit_len, ncorr;
	uint32_t *astarts = NULL, acnt = 0, b, i, k, off, pos;
	const uint8_t *hdr_in;
	const char *astrs;
	uint32_t astr_len;
	struct enc_layout l;
	struct map_iter it;
	int64_t last, pa;
	int err = -EBADMSG, got;

	c->nb = c->na = c->changed = c->str_len = c->lit_cnt = 0;
	if (enc_layout(enc, enc_size, &l, d))
		return -EBADMSG;
	c->v2 = l.version >= 2;
	hdr_len = l.hdr_len;
	types_len = l.types_len;
	str_len = l.str_len;
	nb = l.nb;
	na = l.na;
	bcnt = l.bcnt;
	lit_len = l.lit_len;
	ncorr = l.ncorr;
	if (ref->start_id != 1 || na != ref->type_cnt) {
		diag_set(d, "delta: the reference is not the blob it was "
			    "encoded against");
		return -EBADMSG;
	}
	smap = l.smap;
	hdr_in = l.hdr_in;
	t_in = l.t_in;
	lit = l.lit;
	lit_end = l.lit_end;
	astrs = ref->strs;
	astr_len = ref->str_len;
	if (changes_alloc(c, nb, na, str_len))
		goto nomem;
	c->nb = nb;
	c->na = na;
	/* the reference prepared as the decoder has it (string starts and
	 * their ranks): once per reference */
	if (!c->aref || c->ref_of != ref || c->aref->strs != astrs) {
		btf_delta_ref_free(c->aref);
		c->ref_of = NULL;
		c->aref = btf_delta_ref_new(ref->data, ref->size);
		if (!c->aref || c->aref->err == -ENOMEM)
			goto nomem;
		if (c->aref->err) {
			diag_set(d, "delta: the reference is not the blob it "
				    "was encoded against");
			goto out;
		}
		c->ref_of = ref;
	}
	astarts = c->aref->starts;
	acnt = c->aref->cnt;
	/* which reference strings the blob has (the decoder maps a record's
	 * reference name offset only onto one of those) */
	if (mem_ensure((void **)&c->ref_used, &c->ref_used_cap,
		       sizeof(*c->ref_used), (size_t)acnt / 64 + 1))
		goto nomem;
	memset(c->ref_used, 0, ((size_t)acnt / 64 + 1) * sizeof(*c->ref_used));
	map_iter_init(&it, &l);
	while ((got = map_next(&it, &b, &pa, d)) > 0) {
		if (pa < 1 || pa > na || c->blob_of[pa - 1]) {
			diag_set(d,
				 "delta: type map entry %u is out of range "
				 "or used twice",
				 b);
			goto out;
		}
		c->blob_of[pa - 1] = b;
		c->partner[b - 1] = (uint32_t)pa;
	}
	if (got)
		goto out;
	/* the blob's strings, as btf_delta__decode rebuilds them (version
	 * 2: from the records, below) */
	off = 0;
	last = -1;
	for (i = 0; i < bcnt && !c->v2; i++) {
		const char *s;
		size_t len;
		int64_t a;

		if (next_string(le32_get(smap + (size_t)i * 4), &lit, lit_end,
				astrs, astarts, acnt, &last, &s, &len, &a))
			goto bad_strs;
		if (len > str_len - off)
			goto bad_strs;
		if (a >= 0)
			c->ref_used[a / 64] |= 1ull << (a % 64);
		memcpy(c->strs + off, s, len);
		off += len;
	}
	if (!c->v2 && (off != str_len || lit != lit_end || c->strs[0]))
		goto bad_strs;
	c->hdr = hdr_in;
	c->hdr_len = hdr_len;
	c->types_len = types_len;
	/* records: partnered ones in their partners' order, then the rest in
	 * id order (the encoder's order) */
	{
		uint32_t ra = 1, rb = 1;

		for (pos = 0, k = 0; pos < types_len; k++) {
			uint32_t left = types_len - pos, rs, a = 0;
			const struct btf_type *t = (const void *)(t_in + pos);

			while (ra <= na && !c->blob_of[ra - 1])
				ra++;
			if (ra <= na) {
				a = ra++;
				b = c->blob_of[a - 1];
			} else {
				while (rb <= nb && c->partner[rb - 1])
					rb++;
				b = rb++;
			}
			if (b > nb || left < sizeof(*t) ||
			    !(rs = btf_raw__rec_size(t, left))) {
				diag_set(d,
					 "delta: type record %u runs past the "
					 "type section",
					 k + 1);
				goto out;
			}
			c->rec[b - 1] = t;
			if (a) {
				uint32_t ao = ref->type_offs[a - 1];
				const void *rt = ref->types + ao;

				c->same[b - 1] =
					btf_raw__rec_size(rt, ref->types_len -
								      ao) ==
						rs &&
					!memcmp(rt, t, rs);
			}
			if (!c->same[b - 1])
				c->changed++;
			pos += rs;
		}
	}
	if (k != nb) {
		diag_set(d, "delta: %u type records, the map has %u", k, nb);
		goto out;
	}
	if (c->v2) {
		err = changes_strings2(c, ref, smap, ncorr, lit, lit_len, bcnt,
				       str_len);
		if (err == -ENOMEM)
			goto nomem;
		if (err)
			goto bad_strs;
		err = -EBADMSG;
	}
	c->str_len = str_len;
	/* the names of the types that are not their partner's */
	for (b = 1; b <= nb; b++) {
		uint32_t v;

		if (c->same[b - 1])
			continue;
		v = le32_get((const uint8_t *)c->rec[b - 1]);
		if (!(v & ESC))
			c->name[b - 1] = v < astr_len ? astrs + v : "";
		else if (c->v2)
			c->name[b - 1] =
				(v & ~ESC) < c->lit_cnt
					? c->strs + c->lit_boff[v & ~ESC] - 1
					: "";
		else
			c->name[b - 1] = (v & ~ESC) < str_len
						 ? c->strs + (v & ~ESC)
						 : "";
	}
	err = 0;
	goto out;
bad_strs:
	diag_set(d, "delta: the string map does not rebuild the string "
		    "section");
	goto out;
nomem:
	err = -ENOMEM;
	diag_set(d, "out of memory");
out:
	return err;
}

/* ---- views ---- */

struct view_map {
	const struct btf_delta_changes *c;
	const uint32_t *new_id; /* [b - 1]: view id of unpartnered blob id b */
	uint32_t ref_str_len;
	uint32_t bad, bad_str; /* the first field that does not map */
};

/* Reference offset off starts a string the blob has. */
static bool ref_str_used(const struct btf_delta_changes *c, uint32_t off)
{
	int64_t a = str_rank_of(&c->aref->rank, off);

	return a >= 0 && (c->ref_used[a / 64] >> (a % 64) & 1);
}

/* An id of a payload record into the view: a reference id that has a
 * partner, or an escaped blob id (its partner, else its added id). */
static int view_id(uint32_t *id, void *ctx)
{
	struct view_map *w = ctx;
	uint32_t v = *id, b;

	if (!v)
		return 0;
	if (v & ESC) {
		b = v & ~ESC;
		if (!b) {
			*id = 0;
			return 0;
		}
		if (b > w->c->nb)
			goto bad;
		*id = w->c->partner[b - 1] ? w->c->partner[b - 1]
					   : w->new_id[b - 1];
		return 0;
	}
	if (v > w->c->na || !w->c->blob_of[v - 1])
		goto bad;
	return 0;
bad:
	w->bad = v;
	return 1;
}

/* A name: a reference offset as it is, an escaped blob offset after the
 * reference's strings. */
static int view_str(uint32_t *off, void *ctx)
{
	struct view_map *w = ctx;
	uint32_t v = *off;

	if (v & ESC && w->c->v2) {
		/* version 2: literal k, placed in the blob's strings */
		if ((v & ~ESC) >= w->c->lit_cnt) {
			w->bad_str = v;
			return 1;
		}
		v = ESC | (w->c->lit_boff[v & ~ESC] - 1);
	}
	if (v & ESC) {
		if ((v & ~ESC) >= w->c->str_len) {
			w->bad_str = v;
			return 1;
		}
		/* the blob's offset 0 is the empty name, as the reference's */
		*off = (v & ~ESC) ? w->ref_str_len + (v & ~ESC) : 0;
		return 0;
	}
	/* the start of a reference string the blob has, as the decoder
	 * requires */
	if (!ref_str_used(w->c, v)) {
		w->bad_str = v;
		return 1;
	}
	return 0;
}

int btf_delta_view(struct btf_view *v, const struct btf_delta_changes *c,
		   void **recs, uint32_t *order, uint32_t *blob_id,
		   struct diag *d)
{
	struct view_map w = {.c = c, .ref_str_len = v->ref->str_len};
	uint32_t *new_id = NULL, added = 0, a, b;
	size_t len = 0, pos = 0;
	uint8_t *buf = NULL;
	int err;

	*recs = NULL;
	if (c->na != v->na) {
		diag_set(d, "delta: the reference is not the blob it was "
			    "encoded against");
		return -EBADMSG;
	}
	/* the blob's header and limits, as btf_raw__parse would check them
	 * on the decoded blob: its sections are the payload's */
	if (btf_raw_check_header(
		    c->hdr, c->hdr_len,
		    (uint64_t)c->hdr_len + c->types_len + c->str_len, d)) {
		diag_prefix(d, "delta: the blob's header: ");
		return -EBADMSG;
	}
	{
		struct btf_header h;

		memcpy(&h, c->hdr, sizeof(h));
		if (h.type_len != c->types_len || h.str_len != c->str_len ||
		    c->nb > BTF_MAX_TYPE ||
		    c->str_len > BTF_MAX_NAME_OFFSET + 1u) {
			diag_set(d,
				 "delta: the blob's header (%u bytes of "
				 "types, %u of strings) does not describe "
				 "its %u bytes of types, %u of strings and "
				 "%u types, or they are over BTF's limits",
				 h.type_len, h.str_len, c->types_len,
				 c->str_len, c->nb);
			return -EBADMSG;
		}
	}
	new_id = calloc((size_t)c->nb + 1, sizeof(*new_id));
	if (!new_id)
		goto nomem;
	for (b = 1; b <= c->nb; b++) {
		if (!c->partner[b - 1])
			new_id[b - 1] = c->na + ++added;
		if (!c->same[b - 1])
			len += btf_raw__rec_size(c->rec[b - 1], UINT32_MAX);
	}
	err = btf_view_begin(v, added, c->strs, c->str_len, d);
	if (err)
		goto out;
	buf = malloc(len ? len : 1);
	if (!buf)
		goto nomem;
	memset(blob_id, 0, ((size_t)c->na + added + 1) * sizeof(*blob_id));
	for (a = 1; a <= c->na; a++)
		if (!c->blob_of[a - 1] && btf_view_delete(v, a))
			goto nomem;
	w.new_id = new_id;
	for (b = 1; b <= c->nb; b++) {
		uint32_t id =
			c->partner[b - 1] ? c->partner[b - 1] : new_id[b - 1];
		struct btf_type *t;
		uint32_t rs;

		order[b - 1] = id;
		blob_id[id] = b;
		if (c->same[b - 1])
			continue;
		t = (struct btf_type *)(buf + pos);
		rs = btf_raw__rec_size(c->rec[b - 1], UINT32_MAX);
		memcpy(t, c->rec[b - 1], rs);
		pos += rs;
		if (btf_type_visit_ids(t, view_id, &w)) {
			diag_set(d,
				 "delta: type record of blob type [%u] refers "
				 "to %s %u, which the blob does not have",
				 b,
				 w.bad & ESC ? "blob type" : "reference type",
				 w.bad & ~ESC);
			err = -EBADMSG;
			goto out;
		}
		if (btf_type_visit_strs(t, view_str, &w)) {
			diag_set(d,
				 "delta: type record of blob type [%u] has "
				 "name offset %u, %s",
				 b, w.bad_str & ~ESC,
				 w.bad_str & ESC
					 ? "past the blob's strings"
					 : "not a reference string the blob "
					   "has");
			err = -EBADMSG;
			goto out;
		}
		if (btf_view_set(v, id, t))
			goto nomem;
	}
	err = btf_view_check(v, d);
	if (err) {
		diag_prefix(d,
			    "delta: the blob it describes does not validate: ");
		err = err == -ENOMEM ? err : -EBADMSG;
	}
	goto out;
nomem:
	diag_set(d, "out of memory");
	err = -ENOMEM;
out:
	free(new_id);
	if (err)
		free(buf);
	else
		*recs = buf;
	return err;
}
