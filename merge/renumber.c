// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Merging split BTFs.
 *
 * Algorithm summary:
 * 1. Id maps: module k's local type j gets id B + sum of the kept types of
 *    modules 0..k-1 + its rank among the kept types of module k, where B is
 *    the base's type count. With the DATASEC policy "drop", DATASEC and VAR
 *    records and DECL_TAGs on a VAR are not kept (map entry 0); nothing
 *    else can refer to them, which validation guarantees (VARs are only
 *    reached from DATASECs and tags).
 * 2. Strings: one set is seeded with the base's string section (offsets
 *    kept), then every string of every module's string section is interned
 *    into it, giving a per-module map from local string offset to merged
 *    offset: a string the base holds maps to its base offset, so only
 *    strings new to the base reach the split string section. Offsets below
 *    the base string length are kept as they are.
 * 3. Copy: the kept records are copied in order and every id and string
 *    offset field rewritten through the maps.
 * Invariants: references into the base are unchanged; the result is split
 * BTF on the same base, and depends only on the order of mods[].
 */
#include "renumber.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "formats/strset.h"

/* How many strings ahead renumber_merge prefetches the set's slot. */
#define STR_AHEAD 8
/* String maps of modules interned and not yet copied, at most. */
#define MAP_RING 4

struct rewrite_ctx {
	uint32_t base_cnt;	 /* first split id */
	uint32_t base_str_len;	 /* first split string offset */
	const uint32_t *id_map;	 /* local index -> new id (0: dropped) */
	const uint32_t *str_map; /* local string offset -> merged offset */
	uint32_t str_len;	 /* module's string section length */
	int bad;		 /* a reference to a dropped type was met */
};

static int rewrite_id(uint32_t *id, void *c)
{
	struct rewrite_ctx *ctx = c;
	uint32_t nid;

	if (*id < ctx->base_cnt)
		return 0;
	nid = ctx->id_map[*id - ctx->base_cnt];
	if (!nid)
		ctx->bad = 1;
	*id = nid;
	return 0;
}

static int rewrite_str(uint32_t *off, void *c)
{
	struct rewrite_ctx *ctx = c;

	if (*off < ctx->base_str_len)
		return 0;
	*off = ctx->str_map[*off - ctx->base_str_len];
	return 0;
}

static bool dropped_kind(const struct btf_raw *m, const struct btf_type *t)
{
	uint32_t k = btf_type_kind(t);

	if (k == BTF_KIND_DATASEC || k == BTF_KIND_VAR)
		return true;
	if (k == BTF_KIND_DECL_TAG) {
		const struct btf_type *tt = btf_raw__type(m, t->type);

		return tt && btf_type_kind(tt) == BTF_KIND_VAR;
	}
	return false;
}

/* Step 3 for module m: its kept records appended at *out_off. Returns
 * whether a kept record refers to a dropped one. */
static bool copy_module(struct renumber_result *res, const struct btf_raw *m,
			const uint32_t *id_map, const uint32_t *str_map,
			uint32_t base_cnt, uint32_t base_str_len,
			size_t *out_off)
{
	struct rewrite_ctx ctx = {
		.base_cnt = base_cnt,
		.base_str_len = base_str_len,
		.id_map = id_map,
		.str_map = str_map,
		.str_len = m->str_len,
	};
	uint32_t j;

	for (j = 0; j < m->type_cnt; j++) {
		const struct btf_type *src =
			(const void *)(m->types + m->type_offs[j]);
		uint32_t end = j + 1 < m->type_cnt ? m->type_offs[j + 1]
						   : m->types_len;
		uint32_t rec = end - m->type_offs[j];
		struct btf_type *dst;

		if (!id_map[j])
			continue;
		dst = (struct btf_type *)(res->types + *out_off);
		res->type_offs[id_map[j] - base_cnt] = (uint32_t)*out_off;
		memcpy(dst, src, rec);
		btf_type_visit_ids(dst, rewrite_id, &ctx);
		btf_type_visit_strs(dst, rewrite_str, &ctx);
		*out_off += rec;
	}
	return ctx.bad;
}

/*
 * Steps 2 and 3 as a pipeline on two threads: this one interns the
 * strings of module k (the string set is one, its order the output's)
 * while the copier copies module k - 1 with its string map. The maps
 * live in a ring of MAP_RING; the interner waits for a free slot, the
 * copier for a module whose map is ready. Same output as one thread: the
 * copier takes the modules in order.
 */
struct pipe {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t interned; /* modules whose string map is ready */
	size_t copied;	 /* modules copied, their slots free again */
	bool done;	 /* no more modules will be interned: all were, or the
			    interner failed */
	/* the copier's, read after the join */
	struct renumber_result *res;
	const struct btf_raw *const *mods;
	uint32_t **id_maps;
	uint32_t *maps[MAP_RING];
	size_t ring; /* maps in use: MAP_RING, or 1 on one thread */
	uint32_t base_cnt, base_str_len;
	size_t out_off;
	size_t bad_mod; /* first module with a bad reference, or SIZE_MAX */
};

static void *copier_main(void *arg)
{
	struct pipe *p = arg;
	size_t k;

	for (k = 0;; k++) {
		pthread_mutex_lock(&p->lock);
		while (p->interned <= k && !p->done)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->interned <= k) {
			pthread_mutex_unlock(&p->lock);
			return NULL;
		}
		pthread_mutex_unlock(&p->lock);
		if (copy_module(p->res, p->mods[k], p->id_maps[k],
				p->maps[k % p->ring], p->base_cnt,
				p->base_str_len, &p->out_off) &&
		    p->bad_mod == SIZE_MAX)
			p->bad_mod = k;
		pthread_mutex_lock(&p->lock);
		p->copied = k + 1;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
	}
}

int renumber_merge(const struct btf_raw *base,
		   const struct btf_raw *const *mods, size_t n,
		   const struct renumber_opts *opts,
		   struct renumber_result *res, struct diag *d)
{
	uint32_t base_cnt = btf_raw__type_cnt(base);
	uint32_t base_str_len = base->start_str_off + base->str_len;
	uint64_t total_types = 0, total_len = 0, total_strs = 0;
	uint32_t **id_maps = NULL, next_id = base_cnt;
	uint32_t *str_off = NULL, *str_h = NULL;
	size_t k, max_str = 0, out_off = 0;
	struct pipe p = {0};
	bool threaded = false;
	pthread_t tid;
	struct strset set;
	int err = -ENOMEM;

	memset(res, 0, sizeof(*res));
	memset(&set, 0, sizeof(set));
	for (k = 0; k < n; k++) {
		total_len += mods[k]->types_len;
		total_strs += mods[k]->str_len;
		if (mods[k]->str_len > max_str)
			max_str = mods[k]->str_len;
	}
	if (total_len > UINT32_MAX) {
		diag_set(d, "merged type section of %llu bytes is over 4 GiB",
			 (unsigned long long)total_len);
		return -E2BIG;
	}
	id_maps = calloc(n ? n : 1, sizeof(*id_maps));
	res->first_id = calloc(n ? n : 1, sizeof(*res->first_id));
	res->type_cnts = calloc(n ? n : 1, sizeof(*res->type_cnts));
	res->types = malloc(total_len ? total_len : 1);
	/* a module holds at most one string per byte of its section */
	str_off = malloc((max_str + 1) * sizeof(*str_off));
	str_h = malloc((max_str + 1) * sizeof(*str_h));
	if (!id_maps || !res->first_id || !res->type_cnts || !res->types ||
	    !str_off || !str_h)
		goto nomem;
	/* strings the base holds keep their base offsets; the merged
	 * module strings are about a third of the modules' */
	err = strset__init_seeded(&set, base->strs, base->str_len,
				  total_strs / 3);
	if (err) {
		diag_set(d, "cannot index the base strings: %s",
			 strerror(-err));
		goto out;
	}

	/* 1. id maps */
	for (k = 0; k < n; k++) {
		const struct btf_raw *m = mods[k];
		uint32_t j, *map = malloc((m->type_cnt + 1) * sizeof(*map));

		if (!map)
			goto nomem;
		id_maps[k] = map;
		res->first_id[k] = next_id;
		for (j = 0; j < m->type_cnt; j++) {
			const struct btf_type *t =
				(const void *)(m->types + m->type_offs[j]);

			if (opts && opts->drop_datasec && dropped_kind(m, t)) {
				map[j] = 0;
				res->dropped++;
				continue;
			}
			map[j] = next_id++;
			total_types++;
		}
		res->type_cnts[k] = next_id - res->first_id[k];
		if (next_id >= UINT32_MAX - 1) {
			diag_set(d, "more than 4 billion types");
			err = -E2BIG;
			goto out;
		}
	}
	/* before dedup the id space may pass BTF_MAX_TYPE (libbpf takes it);
	 * the output is checked against the limit once deduplicated */

	res->type_offs = malloc((total_types ? total_types : 1) *
				sizeof(*res->type_offs));
	if (!res->type_offs)
		goto nomem;

	/* 2 and 3, module by module: the copy on a second thread when the
	 * caller allows it (struct pipe) */
	threaded = opts && opts->jobs > 1 && n > 1;
	p.ring = threaded ? MAP_RING : 1;
	for (k = 0; k < p.ring; k++) {
		p.maps[k] = malloc((max_str ? max_str : 1) * sizeof(uint32_t));
		if (!p.maps[k])
			goto nomem;
	}
	p.res = res;
	p.mods = mods;
	p.id_maps = id_maps;
	p.base_cnt = base_cnt;
	p.base_str_len = base_str_len;
	p.bad_mod = SIZE_MAX;
	threaded = threaded && !pthread_mutex_init(&p.lock, NULL);
	if (threaded && pthread_cond_init(&p.cond, NULL)) {
		pthread_mutex_destroy(&p.lock);
		threaded = false;
	}
	if (threaded && pthread_create(&tid, NULL, copier_main, &p)) {
		pthread_cond_destroy(&p.cond);
		pthread_mutex_destroy(&p.lock);
		threaded = false;
	}
	err = 0;
	/* one thread stops at the first bad module; with two, the copier
	 * owns bad_mod until the join */
	for (k = 0; k < n && !err && (threaded || p.bad_mod == SIZE_MAX); k++) {
		const struct btf_raw *m = mods[k];
		uint32_t *str_map = p.maps[k % p.ring];
		uint32_t off = 0, j, ns;

		if (threaded) {
			pthread_mutex_lock(&p.lock);
			while (k - p.copied >= p.ring)
				pthread_cond_wait(&p.cond, &p.lock);
			pthread_mutex_unlock(&p.lock);
		}
		/* strings hashed first, then added with the slot of the
		 * STR_AHEAD-th next one prefetched: the probes' cache misses
		 * overlap */
		for (ns = 0; off < m->str_len; ns++) {
			uint32_t len = (uint32_t)strlen(m->strs + off);

			str_off[ns] = off;
			str_h[ns] = strset__hash(m->strs + off, len);
			off += len + 1;
		}
		str_off[ns] = off;
		for (j = 0; j < ns; j++) {
			uint32_t o = str_off[j];
			int64_t noff;

			if (j + STR_AHEAD < ns)
				strset__prefetch(&set, str_h[j + STR_AHEAD]);
			noff = strset__add_hashed(&set, m->strs + o,
						  str_off[j + 1] - o - 1,
						  str_h[j]);
			if (noff < 0) {
				err = (int)noff;
				break;
			}
			str_map[o] = (uint32_t)noff;
		}
		if (err)
			break;
		if (threaded) {
			pthread_mutex_lock(&p.lock);
			p.interned = k + 1;
			pthread_cond_broadcast(&p.cond);
			pthread_mutex_unlock(&p.lock);
		} else if (copy_module(res, m, id_maps[k], str_map, base_cnt,
				       base_str_len, &p.out_off)) {
			p.bad_mod = k;
		}
	}
	if (threaded) {
		pthread_mutex_lock(&p.lock);
		p.done = true;
		pthread_cond_broadcast(&p.cond);
		pthread_mutex_unlock(&p.lock);
		pthread_join(tid, NULL);
		pthread_cond_destroy(&p.cond);
		pthread_mutex_destroy(&p.lock);
	}
	/* the first failure in module order, as one thread would meet it:
	 * a module copied with a bad reference comes before the one whose
	 * strings did not fit */
	if (p.bad_mod != SIZE_MAX) {
		diag_set(d,
			 "module #%zu: a kept type refers to a dropped "
			 "DATASEC or VAR",
			 p.bad_mod);
		err = -EINVAL;
		goto out;
	}
	if (err) {
		diag_set(d, "merged string section too large");
		goto out;
	}
	out_off = p.out_off;
	if (set.len > (uint64_t)BTF_MAX_NAME_OFFSET + 1) {
		diag_set(d,
			 "merged strings (%zu bytes, %u in the base) pass the "
			 "BTF limit of %u bytes",
			 set.len, base_str_len, BTF_MAX_NAME_OFFSET + 1);
		err = -E2BIG;
		goto out;
	}
	res->types_len = (uint32_t)out_off;
	res->type_cnt = (uint32_t)total_types;
	/* the split string section is what follows the base's copy */
	res->str_len = (uint32_t)(set.len - base_str_len);
	res->strs = malloc(res->str_len ? res->str_len : 1);
	if (!res->strs)
		goto nomem;
	memcpy(res->strs, set.data + base_str_len, res->str_len);
	err = 0;
	goto out;
nomem:
	diag_set(d, "out of memory");
	err = -ENOMEM;
out:
	if (!err) {
		res->id_maps = id_maps;
		res->mod_cnt = n;
		id_maps = NULL;
	}
	if (id_maps)
		for (k = 0; k < n; k++)
			free(id_maps[k]);
	free(id_maps);
	for (k = 0; k < MAP_RING; k++)
		free(p.maps[k]);
	free(str_off);
	free(str_h);
	strset__release(&set);
	if (err)
		renumber_result__release(res);
	return err;
}

void renumber_result__release(struct renumber_result *res)
{
	if (!res)
		return;
	free(res->types);
	free(res->strs);
	free(res->first_id);
	free(res->type_cnts);
	free(res->type_offs);
	if (res->id_maps)
		for (size_t k = 0; k < res->mod_cnt; k++)
			free(res->id_maps[k]);
	free(res->id_maps);
	memset(res, 0, sizeof(*res));
}
