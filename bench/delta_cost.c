// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench_delta_cost: what an extra build of a series costs in a .btfa, and
 * what other encodings of its parts would. Measures, writes nothing.
 *
 *   bench_delta_cost REF.btf REF.meta BLOB.btf BLOB.meta
 *
 * (the .btf/.meta pairs `btfar build` writes). The blob is encoded on the
 * reference with btf_delta (as `btfar pack` does) and its type map (the
 * partner of every blob id) read back with btf_delta__changes.
 *
 * Module block through the type map: the map takes each module's blob ids
 * onto reference ids. A module whose image is exactly its reference
 * module's ids needs no range of its own; the others need only their
 * exceptions: blob ids whose partner is not in the reference module
 * (added), and reference module ids no blob id of the module maps onto
 * (removed). The exceptions are written as runs (per module: add run count,
 * remove run count, then gap from the previous run's end and length of each
 * run, u32) and compressed with zstd -19 without prefix: an estimate of
 * the exceptions alone. Then whole blocks as docs/FORMAT.md lays them out
 * (names in module order), compressed with zstd -19 on the reference's
 * block as prefix as version 4 does: the blob's block as it is (v4_block,
 * to check against the archive's mods_size), and a block through the type
 * map (map_block, laid out as map_block() says).
 *
 * Type map breaks: a blob id whose partner is not the previous partner + 1
 * (or that has none). A break that resumes a run the map left earlier (its
 * partner is the id after the last partner of an interrupted run, not yet
 * taken) gets the rank of that run among the open ones, most recently left
 * first. The map is then written twice, u32 per blob id, and compressed with
 * zstd -19 without prefix: as the version 4 payload has it (distance codes),
 * and with a resumed run under rank 8 as code 2 + rank and any other break
 * as 10 + its distance code (continuations stay 1, unmatched 0).
 *
 * Prints on stdout, three lines:
 *   modules N exact E ranges R add IDS/RUNS rm IDS/RUNS block_raw X
 *   block_zstd Z v4_block V map_block M
 *   types N breaks B vmlinux V unmatched U resumed rank0 A 1-7 B 8+ C
 *   fresh F map_zstd M resume_zstd Q
 *   strings N named-first breaks B unnamed U str_map_zstd S
 *   first_use_zstd F
 * (str_cost() says what the last line measures.)
 */
#define _GNU_SOURCE
#include "bench_util.h"
#include "formats/btf_delta.h"
#include "formats/btf_raw.h"
#include "formats/meta.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

struct runs {
	uint32_t *v; /* gap, length pairs */
	size_t len, cap;
	uint32_t end; /* end of the last run (id after it), 0 */
	uint32_t ids;
};

static int runs_add(struct runs *r, uint32_t id)
{
	if (r->len && r->end == id) {
		r->v[r->len - 1]++;
	} else {
		if (r->len + 2 > r->cap) {
			size_t cap = r->cap ? 2 * r->cap : 256;
			uint32_t *v = realloc(r->v, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			r->v = v;
			r->cap = cap;
		}
		r->v[r->len++] = id - r->end;
		r->v[r->len++] = 1;
	}
	r->end = id + 1;
	r->ids++;
	return 0;
}

static int load(const char *btf, const char *meta, struct bbuf *b,
		struct meta *m)
{
	struct bbuf t = {0};
	struct diag d = {{0}};
	int err;

	err = read_whole(btf, b);
	if (err) {
		fprintf(stderr, "%s: %s\n", btf, strerror(-err));
		return err;
	}
	err = read_whole(meta, &t);
	if (err) {
		fprintf(stderr, "%s: %s\n", meta, strerror(-err));
		return err;
	}
	err = meta_parse(m, (const char *)t.data, t.len, &d);
	bbuf_free(&t);
	if (err)
		fprintf(stderr, "%s: %s\n", meta, d.msg);
	return err;
}

static const struct meta_module *find_mod(const struct meta *m,
					  const char *name)
{
	uint32_t i;

	for (i = 0; i < m->module_cnt; i++)
		if (!strcmp(m->modules[i].name, name))
			return &m->modules[i];
	return NULL;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t zigzag(int64_t x)
{
	return x >= 0 ? (uint32_t)(2 * x) : (uint32_t)(-2 * x - 1);
}

static size_t zstd_size(const void *p, size_t len)
{
	size_t cap = ZSTD_compressBound(len), n;
	void *z = malloc(cap);

	if (!z)
		return 0;
	n = ZSTD_compress(z, cap, p, len, 19);
	free(z);
	return ZSTD_isError(n) ? 0 : n;
}

static int append(struct bbuf *b, const void *p, size_t len)
{
	if (bbuf_reserve(b, b->len + len))
		return -ENOMEM;
	memcpy(b->data + b->len, p, len);
	b->len += len;
	return 0;
}

static int put32(struct bbuf *b, uint32_t v)
{
	uint8_t x[4] = {v, v >> 8, v >> 16, v >> 24};

	return append(b, x, sizeof(x));
}

/* A module block laid out as docs/FORMAT.md has it (names in module order). */
static int mods_block(const struct meta *m, struct bbuf *out)
{
	uint32_t i, j, ranges = 0, first = 0, str = 1;
	int err;

	for (i = 0; i < m->module_cnt; i++) {
		ranges += m->modules[i].range_cnt;
		str += strlen(m->modules[i].name) + 1;
	}
	err = append(out, "BTFAMOD", 8);
	err = err ?: put32(out, m->module_cnt);
	err = err ?: put32(out, ranges);
	err = err ?: put32(out, str);
	err = err ?: put32(out, 0);
	str = 1;
	for (i = 0; !err && i < m->module_cnt; i++) {
		const struct meta_module *mm = &m->modules[i];

		err = put32(out, str);
		err = err ?: put32(out, first);
		err = err ?: put32(out, mm->range_cnt);
		err = err ?: put32(out, mm->types);
		str += strlen(mm->name) + 1;
		first += mm->range_cnt;
	}
	for (i = 0; !err && i < m->module_cnt; i++) {
		const struct meta_module *mm = &m->modules[i];
		uint32_t end = 1;

		for (j = 0; !err && j < mm->range_cnt; j++) {
			err = put32(out, mm->ranges[2 * j] - end);
			err = err ?: put32(out, mm->ranges[2 * j + 1]);
			end = mm->ranges[2 * j] + mm->ranges[2 * j + 1];
		}
	}
	err = err ?: append(out, "", 1);
	for (i = 0; !err && i < m->module_cnt; i++)
		err = append(out, m->modules[i].name,
			     strlen(m->modules[i].name) + 1);
	return err;
}

/*
 * A block through the type map: per module zigzag(index of the reference's
 * module of that name - its own index) + 1 (0: none, its name then follows
 * in the string table)
 * and its add and remove run counts; then the runs; then the names of the
 * modules the reference lacks. A module's type count follows from its ids.
 */
static int map_block(const struct meta *ma, const struct meta *m,
		     const struct bbuf *exc, struct bbuf *out)
{
	uint32_t i, at = 0;
	int err;

	err = append(out, "BTFAMOD", 8);
	err = err ?: put32(out, m->module_cnt);
	for (i = 0; !err && i < m->module_cnt; i++) {
		const struct meta_module *a = find_mod(ma, m->modules[i].name);

		err = put32(out,
			    a ? zigzag((a - ma->modules) - (int64_t)i) + 1 : 0);
		err = err ?: append(out, exc->data + at, 8);
		at += 8 + 8 * (le32(exc->data + at) + le32(exc->data + at + 4));
	}
	for (at = 0, i = 0; !err && i < m->module_cnt; i++) {
		uint32_t runs = le32(exc->data + at) + le32(exc->data + at + 4);

		err = append(out, exc->data + at + 8, 8 * runs);
		at += 8 + 8 * runs;
	}
	for (i = 0; !err && i < m->module_cnt; i++)
		if (!find_mod(ma, m->modules[i].name))
			err = append(out, m->modules[i].name,
				     strlen(m->modules[i].name) + 1);
	return err;
}

/* zstd -19 of p on prefix (a version 4 module block on its reference's) */
static size_t zstd_on(const void *p, size_t len, const void *prefix,
		      size_t prefix_len)
{
	size_t cap = ZSTD_compressBound(len), n = 0;
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	void *z = malloc(cap);

	if (z && cc) {
		ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 19);
		ZSTD_CCtx_refPrefix(cc, prefix, prefix_len);
		n = ZSTD_compress2(cc, z, cap, p, len);
		if (ZSTD_isError(n))
			n = 0;
	}
	ZSTD_freeCCtx(cc);
	free(z);
	return n;
}

static int mods_cost(const struct meta *ma, const struct meta *mb,
		     const struct btf_delta_changes *c)
{
	uint32_t i, j, k, exact = 0, ranges = 0, add_ids = 0, add_runs = 0;
	uint32_t rm_ids = 0, rm_runs = 0;
	struct bbuf exc = {0};
	uint8_t *in_a, *hit;
	int err = -ENOMEM;

	in_a = calloc((size_t)c->na + 2, 1);
	hit = calloc((size_t)c->na + 2, 1);
	if (!in_a || !hit)
		goto out;
	for (i = 0; i < mb->module_cnt; i++) {
		const struct meta_module *b = &mb->modules[i];
		const struct meta_module *a = find_mod(ma, b->name);
		struct runs add = {0}, rm = {0};
		uint32_t cnt[2];

		ranges += b->range_cnt;
		/* ids are checked against the blobs by meta's reader only
		 * through their counts: stay inside the maps here */
		for (j = 0; a && j < a->range_cnt; j++)
			for (k = 0; k < a->ranges[2 * j + 1]; k++)
				if (a->ranges[2 * j] + k <= c->na)
					in_a[a->ranges[2 * j] + k] = 1;
		for (j = 0; j < b->range_cnt; j++) {
			for (k = 0; k < b->ranges[2 * j + 1]; k++) {
				uint32_t id = b->ranges[2 * j] + k;
				uint32_t p = id && id <= c->nb
						     ? c->partner[id - 1]
						     : 0;

				if (p && in_a[p] && !hit[p])
					hit[p] = 1;
				else if (runs_add(&add, id))
					goto out_runs;
			}
		}
		for (j = 0; a && j < a->range_cnt; j++) {
			for (k = 0; k < a->ranges[2 * j + 1]; k++) {
				uint32_t id = a->ranges[2 * j] + k;

				if (id > c->na)
					continue;
				if (!hit[id] && runs_add(&rm, id))
					goto out_runs;
				in_a[id] = hit[id] = 0;
			}
		}
		exact += !add.ids && !rm.ids;
		add_ids += add.ids;
		rm_ids += rm.ids;
		add_runs += add.len / 2;
		rm_runs += rm.len / 2;
		cnt[0] = add.len / 2;
		cnt[1] = rm.len / 2;
		err = append(&exc, cnt, sizeof(cnt));
		if (!err)
			err = append(&exc, add.v, add.len * 4);
		if (!err)
			err = append(&exc, rm.v, rm.len * 4);
	out_runs:
		free(add.v);
		free(rm.v);
		if (err)
			goto out;
		err = -ENOMEM;
	}
	{
		struct bbuf ra = {0}, rb = {0}, rx = {0};

		err = mods_block(ma, &ra);
		err = err ?: mods_block(mb, &rb);
		err = err ?: map_block(ma, mb, &exc, &rx);
		if (!err)
			printf("modules %u exact %u ranges %u add %u/%u rm "
			       "%u/%u block_raw %zu block_zstd %zu v4_block "
			       "%zu "
			       "map_block %zu\n",
			       mb->module_cnt, exact, ranges, add_ids, add_runs,
			       rm_ids, rm_runs, exc.len,
			       zstd_size(exc.data, exc.len),
			       zstd_on(rb.data, rb.len, ra.data, ra.len),
			       zstd_on(rx.data, rx.len, ra.data, ra.len));
		bbuf_free(&ra);
		bbuf_free(&rb);
		bbuf_free(&rx);
		if (err)
			goto out;
	}
	err = 0;
out:
	free(in_a);
	free(hit);
	bbuf_free(&exc);
	return err;
}

static int map_cost(const struct btf_delta_changes *c, uint32_t base_types)
{
	uint32_t b, prev = 0, breaks = 0, vbreaks = 0, unmatched = 0;
	uint32_t rank0 = 0, rank7 = 0, rank8 = 0, fresh = 0;
	uint32_t *open = NULL, *cur = NULL, *alt = NULL;
	size_t open_len = 0, map_z, alt_z;
	uint8_t *taken;
	int err = -ENOMEM;

	taken = calloc((size_t)c->na + 2, 1);
	open = malloc(((size_t)c->nb + 1) * sizeof(*open));
	cur = malloc(((size_t)c->nb + 1) * sizeof(*cur));
	alt = malloc(((size_t)c->nb + 1) * sizeof(*alt));
	if (!taken || !open || !cur || !alt)
		goto out;
	for (b = 1; b <= c->nb; b++) {
		uint32_t p = c->partner[b - 1], dist, rank = 0;
		size_t i, found = open_len;
		bool resumed;

		if (!p) {
			unmatched++;
			breaks++;
			vbreaks += b <= base_types;
			cur[b - 1] = alt[b - 1] = 0;
			continue;
		}
		dist = zigzag((int64_t)p - prev - 1) + 1;
		cur[b - 1] = dist;
		if (p == prev + 1) {
			alt[b - 1] = 1;
		} else {
			breaks++;
			vbreaks += b <= base_types;
			for (i = open_len; i-- > 0;) {
				if (taken[open[i]])
					continue;
				if (open[i] == p) {
					found = i;
					break;
				}
				rank++;
			}
			resumed = found < open_len;
			if (resumed) {
				memmove(open + found, open + found + 1,
					(open_len - found - 1) * sizeof(*open));
				open_len--;
				rank0 += rank == 0;
				rank7 += rank && rank < 8;
				rank8 += rank >= 8;
			} else {
				fresh++;
			}
			alt[b - 1] = resumed && rank < 8 ? 2 + rank : 10 + dist;
			/* the run just left stays open at its next id */
			if (prev && prev < c->na && !taken[prev + 1])
				open[open_len++] = prev + 1;
		}
		taken[p] = 1;
		prev = p;
	}
	map_z = zstd_size(cur, (size_t)c->nb * 4);
	alt_z = zstd_size(alt, (size_t)c->nb * 4);
	printf("types %u breaks %u vmlinux %u unmatched %u resumed rank0 %u "
	       "1-7 %u 8+ %u fresh %u map_zstd %zu resume_zstd %zu\n",
	       c->nb, breaks, vbreaks, unmatched, rank0, rank7, rank8, fresh,
	       map_z, alt_z);
	err = 0;
out:
	free(taken);
	free(open);
	free(cur);
	free(alt);
	return err;
}

struct first_use {
	uint8_t *seen; /* per blob string offset: named already */
	uint32_t *ord; /* per blob string offset: its predicted ordinal */
	uint32_t next; /* next predicted ordinal */
};

static int note_name(uint32_t *off, void *ctx)
{
	struct first_use *f = ctx;

	if (*off && !f->seen[*off]) {
		f->seen[*off] = 1;
		f->ord[*off] = f->next++;
	}
	return 0;
}

/*
 * The string map as stored (standalone zstd -19), against a map of the
 * blob's strings in order onto the order a decoder could predict from the
 * records once they are back in id order: the order in which type id
 * order names them first. Each is a distance code from the previous
 * predicted ordinal (+1 runs of 1); a string no record names gets 0.
 */
static int str_cost(const struct btf_raw *br, const void *enc)
{
	const uint8_t *p = enc;
	uint32_t nb = le32(p + 20), sc = le32(p + 28), id, o, k = 0;
	uint32_t prev = 0, breaks = 0, unnamed = 0, *alt = NULL;
	struct first_use f = {0};
	size_t map_z, alt_z;
	int err = -ENOMEM;

	f.seen = calloc((size_t)br->str_len + 1, 1);
	f.ord = calloc((size_t)br->str_len + 1, sizeof(*f.ord));
	alt = calloc((size_t)sc + 1, sizeof(*alt));
	if (!f.seen || !f.ord || !alt)
		goto out;
	f.next = 1;
	for (id = 1; id <= br->type_cnt; id++)
		btf_type_visit_strs((struct btf_type *)btf_raw__type(br, id),
				    note_name, &f);
	for (o = 1; o < br->str_len && k + 1 < sc;
	     o += strlen(br->strs + o) + 1) {
		uint32_t q = f.ord[o];

		k++;
		if (!q) {
			unnamed++;
			continue;
		}
		alt[k] = zigzag((int64_t)q - prev - 1) + 1;
		breaks += q != prev + 1;
		prev = q;
	}
	map_z = zstd_size(p + 40 + 4 * (size_t)nb, 4 * (size_t)sc);
	alt_z = zstd_size(alt, 4 * (size_t)sc);
	printf("strings %u named-first breaks %u unnamed %u str_map_zstd %zu "
	       "first_use_zstd %zu\n",
	       sc, breaks, unnamed, map_z, alt_z);
	err = 0;
out:
	free(f.seen);
	free(f.ord);
	free(alt);
	return err;
}

int main(int argc, char **argv)
{
	struct bbuf ref = {0}, blob = {0};
	struct meta ma = {0}, mb = {0};
	struct btf_delta_changes c = {0};
	struct btf_delta_stats st;
	struct btf_raw rr = {0}, br = {0};
	struct diag d = {{0}};
	void *enc = NULL;
	size_t enc_size;
	int err;

	if (argc != 5) {
		fprintf(stderr,
			"usage: %s REF.btf REF.meta BLOB.btf BLOB.meta\n",
			argv[0]);
		return 2;
	}
	if (load(argv[1], argv[2], &ref, &ma) ||
	    load(argv[3], argv[4], &blob, &mb))
		return 1;
	/* payload version 1: its string map is what str_cost weighs */
	if (btf_delta_encode_version(ref.data, ref.len, blob.data, blob.len, 1,
				     &enc, &enc_size, &st, &d) ||
	    btf_raw__parse(&rr, ref.data, ref.len, NULL, &d) ||
	    btf_raw__parse(&br, blob.data, blob.len, NULL, &d) ||
	    btf_delta__changes(&rr, enc, enc_size, &c, &d)) {
		fprintf(stderr, "%s: %s\n", argv[3], d.msg);
		return 1;
	}
	err = mods_cost(&ma, &mb, &c);
	if (!err)
		err = map_cost(&c, mb.base_types);
	if (!err)
		err = str_cost(&br, enc);
	if (err)
		fprintf(stderr, "%s\n", strerror(-err));
	free(enc);
	btf_delta__changes_release(&c);
	btf_raw__release(&rr);
	btf_raw__release(&br);
	meta_release(&ma);
	meta_release(&mb);
	bbuf_free(&ref);
	bbuf_free(&blob);
	return err ? 1 : 0;
}
