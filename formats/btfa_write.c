// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * btfa writer: the .btfa container, format version 4 (docs/FORMAT.md;
 * the choices below are explained in docs/ARCHIVE.md).
 *
 * Pack (btfa_write), in passes:
 * 1. Entries: every blob's SHA-256, entries sorted by their key, exact
 *    duplicates dropped (sort_unique).
 * 2. Plan of deltas (plan_deltas): entries of one series (release up to
 *    its second dot), arch, flavour and compat level form a group (one
 *    sort of their keys); its middle new entry (or, when appending, its
 *    first whole entry already in the archive) is stored whole, the others
 *    as btf_delta payloads on it. A blob btf_delta cannot describe is
 *    stored whole.
 * 3. Dictionary (choose_dict): trained (ZDICT_trainFromBuffer,
 *    deterministic) on chunks of the blobs stored whole when there are at
 *    least two, and kept only when the start of each of them compresses
 *    smaller with it by more than its own size (BTFA_DICT_AUTO; ALWAYS and
 *    NEVER force it).
 * 4. Frames (compress_frames): one zstd frame per new blob, content size
 *    and checksum in the frame, whole blobs with the dictionary, deltas
 *    with their reference as prefix; frames are compressed on several
 *    threads but placed in entry order.
 * 5. Index (build_index): one module block per entry (modules, ranges
 *    written as gaps, names; kept entries of a version 3 or 4 archive keep
 *    theirs; version 4: a delta entry's block compressed on its reference
 *    entry's block), then the entry table and string table as one zstd
 *    frame, a signature block when asked; header last, the file written
 *    atomically.
 * The same inputs in any order, with any number of threads, give the same
 * bytes.
 *
 * Append (btfa_append): under flock, the kept entries and the new blobs go
 * through the same passes (kept entries keep their frames; deltas may refer
 * to them); the tail (new dictionary, frames, index) is written after the
 * end of the file and flushed, then the header is rewritten in one write
 * and flushed again.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>
#include <zstd.h>

#include "btf_delta.h"
#include "btf_streams.h"
#include "btfa.h"
#include "btfa_sig.h"
#include "btfa_int.h"
#include "file.h"
#include "hex.h"
#include "le.h"
#include "mem.h"
#include "sha256.h"
#include "strset.h"
#include "varint.h"

/* A growable byte buffer. */
struct buf {
	uint8_t *p;
	size_t len, cap;
	int err;
};

static uint8_t *buf_grow(struct buf *b, size_t n)
{
	if (b->err)
		return NULL;
	if (n > SIZE_MAX - b->len ||
	    mem_ensure((void **)&b->p, &b->cap, 1, b->len + n)) {
		b->err = -ENOMEM;
		return NULL;
	}
	b->len += n;
	return b->p + b->len - n;
}

static void buf_add(struct buf *b, const void *data, size_t n)
{
	uint8_t *p = buf_grow(b, n);

	if (p && n)
		memcpy(p, data, n);
}

/* One entry to write: new (data set) or kept from the archive. */
struct wentry {
	struct btfa_entry e;
	const void *data; /* new blob, NULL for an entry kept as is */
	size_t size;
	const struct btfa_module_in *mods;
	uint32_t mod_cnt;
	/* a new delta entry: index of its reference in the entry array, and
	 * that blob (the reference's data, or read from the archive) */
	size_t ref;
	const void *ref_data;
	size_t ref_size;
	void *ref_owned; /* ref_data when read from the archive */
	/* the compressed frame, until it is placed in the file */
	void *frame;
	size_t frame_len;
	/* its module block as written in this run, uncompressed (the prefix
	 * of the blocks of the deltas on it) */
	struct buf mods_raw;
	/* mods_raw is a layout 3 block, made with the delta frame (the type
	 * map is the payload's); e.range_cnt set */
	bool mods3;
	size_t kept; /* an entry kept by an append: its index in the archive */
};

static int strcmp0(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int entry_cmp(const struct btfa_entry *a, const struct btfa_entry *b)
{
	int c;

	if ((c = strcmp0(a->release, b->release)) ||
	    (c = strcmp0(a->arch, b->arch)) ||
	    (c = strcmp0(a->build_id, b->build_id)) ||
	    (c = memcmp(a->base_sha256, b->base_sha256, 32)) ||
	    (c = memcmp(a->blob_sha256, b->blob_sha256, 32)) ||
	    (c = strcmp0(a->distro, b->distro)) ||
	    (c = strcmp0(a->distro_version, b->distro_version)) ||
	    (c = strcmp0(a->flavour, b->flavour)) ||
	    (c = strcmp0(a->source, b->source)))
		return c;
	return a->compat < b->compat ? -1 : a->compat > b->compat;
}

static int wentry_cmp(const void *a, const void *b)
{
	return entry_cmp(&((const struct wentry *)a)->e,
			 &((const struct wentry *)b)->e);
}

static int str_off(struct strset *s, const char *str, uint32_t *off)
{
	int64_t o;

	if (!str || !*str) {
		*off = 0;
		return 0;
	}
	o = strset__add(s, str, strlen(str));
	if (o < 0 || o > UINT32_MAX)
		return -ENOMEM;
	*off = (uint32_t)o;
	return 0;
}

static int ceil_log2(uint64_t v)
{
	int l = 0;

	while (l < 62 && ((uint64_t)1 << l) < v)
		l++;
	return l;
}

static size_t entry_size(uint32_t version)
{
	return version >= 4   ? BTFA_ENTRY_SIZE
	       : version == 3 ? BTFA_ENTRY_SIZE_V3
			      : BTFA_ENTRY_SIZE_V2;
}

/* Entry w's record at p (entry_size bytes); its modules are the
 * module table's from module_first. */
static int put_entry(struct strset *ss, uint8_t *p, const struct wentry *w,
		     uint64_t module_first, uint32_t version)
{
	const struct btfa_entry *e = &w->e;
	const char *strs[] = {e->release,	 e->arch,    e->distro,
			      e->distro_version, e->flavour, e->build_id};
	uint32_t k, o = 0;
	int err = 0;

	memset(p, 0, entry_size(version));
	for (k = 0; k < 6 && !err; k++) {
		err = str_off(ss, strs[k], &o);
		le32_put(p + 4 * k, o);
	}
	err = err ? err : str_off(ss, e->source, &o);
	le32_put(p + 132, o);
	memcpy(p + 24, e->base_sha256, 32);
	memcpy(p + 56, e->blob_sha256, 32);
	le64_put(p + 88, e->frame_off);
	le64_put(p + 96, e->frame_size);
	le64_put(p + 104, e->blob_size);
	le32_put(p + 112, e->dict_id);
	le32_put(p + 116, e->base_types);
	le32_put(p + 120, e->types);
	/* version 3: the modules are in the entry's module block */
	le32_put(p + 124, version >= 3 ? e->range_cnt : (uint32_t)module_first);
	le32_put(p + 128, w->mod_cnt);
	le32_put(p + 136, e->compat);
	le32_put(p + 140, e->encoding);
	le64_put(p + 144, e->ref_frame_off);
	if (version >= 3) {
		le64_put(p + 152, e->mods_off);
		le64_put(p + 160, e->mods_size);
		memcpy(p + 168, e->mods_sha256, 32);
	}
	if (version >= 4)
		le64_put(p + 200, e->mods_ref_off);
	return err;
}

/* 0 when module m of w has sorted, disjoint ranges, else -EINVAL with d
 * set (both layouts store distances from the previous range's end). */
static int check_ranges_sorted(const struct wentry *w,
			       const struct btfa_module_in *m, struct diag *d)
{
	uint64_t next = 1;
	uint32_t k;

	for (k = 0; k < m->range_cnt; k++) {
		if (m->ranges[2 * k] < next) {
			diag_set(d,
				 "%s: module %s: ranges not sorted and "
				 "disjoint",
				 w->e.release, m->name);
			return -EINVAL;
		}
		next = (uint64_t)m->ranges[2 * k] + m->ranges[2 * k + 1];
	}
	return 0;
}

/* The records of w's modules into mods, their ranges (as gaps) into rngs;
 * *rng_cnt counts the ranges written so far. */
static int put_modules(struct strset *ss, struct buf *mods, struct buf *rngs,
		       const struct wentry *w, uint64_t *rng_cnt,
		       struct diag *d)
{
	uint32_t j, k, o = 0;
	int err = 0;

	for (j = 0; j < w->mod_cnt && !err; j++) {
		const struct btfa_module_in *m = &w->mods[j];
		uint8_t *mp = buf_grow(mods, BTFA_MODULE_SIZE);
		uint32_t next = 1;

		if (!mp)
			break;
		err = check_ranges_sorted(w, m, d);
		if (!err)
			err = str_off(ss, m->name, &o);
		le32_put(mp, o);
		le32_put(mp + 4, (uint32_t)*rng_cnt);
		le32_put(mp + 8, m->range_cnt);
		le32_put(mp + 12, m->types);
		for (k = 0; k < m->range_cnt && !err; k++) {
			uint8_t *rp = buf_grow(rngs, BTFA_RANGE_SIZE);
			uint32_t first = m->ranges[2 * k];

			if (!rp)
				break;
			/* distance from the previous range's end */
			le32_put(rp, first - next);
			le32_put(rp + 4, m->ranges[2 * k + 1]);
			next = first + m->ranges[2 * k + 1];
		}
		*rng_cnt += m->range_cnt;
	}
	return err;
}

/* The index: header, dictionaries, then the tables built and strings. */
static int put_index(struct buf *out, const struct btfa_dict *dicts,
		     uint32_t dict_cnt, size_t n, uint64_t mod_cnt,
		     uint64_t rng_cnt, const struct strset *ss,
		     const struct buf *ents, const struct buf *mods,
		     const struct buf *rngs)
{
	uint8_t *p = buf_grow(out, BTFA_IDX_HDR_SIZE);
	uint32_t j;

	if (p) {
		memcpy(p, BTFA_IDX_MAGIC, 8);
		le32_put(p + 8, dict_cnt);
		le32_put(p + 12, (uint32_t)n);
		le32_put(p + 16, (uint32_t)mod_cnt);
		le32_put(p + 20, (uint32_t)rng_cnt);
		le32_put(p + 24, (uint32_t)ss->len);
		le32_put(p + 28, 0);
	}
	for (j = 0; j < dict_cnt; j++) {
		p = buf_grow(out, BTFA_DICT_SIZE);
		if (!p)
			break;
		memset(p, 0, BTFA_DICT_SIZE);
		le32_put(p, dicts[j].dict_id);
		le64_put(p + 8, dicts[j].off);
		le64_put(p + 16, dicts[j].size);
	}
	buf_add(out, ents->p, ents->len);
	buf_add(out, mods->p, mods->len);
	buf_add(out, rngs->p, rngs->len);
	buf_add(out, ss->data, ss->len);
	return out->err;
}

static int compress_index(const struct buf *idx, struct buf *out,
			  const void *prefix, size_t prefix_len,
			  struct diag *d);

/*
 * Layout 2: the segment start of each of w's modules into seg (mod_cnt
 * values, nondecreasing): the smallest id past the base that no earlier
 * module has, or the previous start when that is smaller or the module
 * has none. An engine writes the types it met first in a module together
 * (docs/GUIDE.md, "The order of module types"), so this is about where
 * that module's segment starts.
 */
static int seg_starts_of(const struct wentry *w, uint64_t *seg, struct diag *d)
{
	uint64_t at = (uint64_t)w->e.base_types + 1, *seen;
	uint32_t j, k;

	seen = calloc(((uint64_t)w->e.types + 64) / 64, sizeof(*seen));
	if (!seen) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	for (j = 0; j < w->mod_cnt; j++) {
		const struct btfa_module_in *m = &w->mods[j];
		uint64_t lo = UINT64_MAX;

		for (k = 0; k < m->range_cnt; k++) {
			uint64_t id = m->ranges[2 * k];
			uint64_t end = id + m->ranges[2 * k + 1];

			if (id < at)
				id = at;
			if (end > (uint64_t)w->e.types + 1)
				end = (uint64_t)w->e.types + 1;
			for (; id < end; id++) {
				if (seen[id / 64] >> (id % 64) & 1)
					continue;
				seen[id / 64] |= UINT64_C(1) << (id % 64);
				if (id < lo)
					lo = id;
			}
		}
		if (lo != UINT64_MAX && lo > at)
			at = lo;
		seg[j] = at;
	}
	free(seen);
	return 0;
}

/* The last segment whose start is at most id, or -1 (id before them). */
static int64_t seg_of(const uint64_t *seg, uint32_t n, uint64_t id)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (seg[mid] <= id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (int64_t)lo - 1;
}

/*
 * Layout 2: w's module records and ranges in segment coordinates into mods
 * and rngs (docs/FORMAT.md, "Module block"), names from ss (which holds
 * them already). A module's type ids move between two builds of a series
 * whenever an earlier module gains or loses a type; an offset into the
 * segment they lie in moves only when that segment changes, and the
 * records of a module then repeat its record of the previous build.
 */
static int put_modules2(struct strset *ss, struct buf *mods, struct buf *rngs,
			const struct wentry *w, uint64_t *rng_cnt,
			struct diag *d)
{
	uint64_t *seg, prev = (uint64_t)w->e.base_types + 1;
	uint32_t j, k, name_prev = 0, o = 0;
	int err;

	seg = malloc(((size_t)w->mod_cnt + 1) * sizeof(*seg));
	if (!seg) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	err = seg_starts_of(w, seg, d);
	for (j = 0; j < w->mod_cnt && !err; j++) {
		const struct btfa_module_in *m = &w->mods[j];
		uint8_t *p = buf_grow(mods, BTFA_MODULE2_SIZE);
		int64_t s_prev = -1;
		uint64_t start = 0, end = 0;

		if (!p)
			break;
		err = check_ranges_sorted(w, m, d);
		if (!err)
			err = str_off(ss, m->name, &o);
		if (err)
			break;
		le32_put(p, (uint32_t)zigzag64((int64_t)o - name_prev));
		le32_put(p + 4, m->range_cnt);
		le32_put(p + 8, (uint32_t)(seg[j] - prev));
		name_prev = o;
		prev = seg[j];
		for (k = 0; k < m->range_cnt; k++) {
			uint64_t first = m->ranges[2 * k];
			int64_t s = seg_of(seg, w->mod_cnt, first);
			uint32_t code;

			p = buf_grow(rngs, BTFA_RANGE2_SIZE);
			if (!p)
				break;
			if (k && s == s_prev) {
				code = 1; /* after the previous range */
				first -= start + end;
			} else if (s < 0) {
				code = 0; /* an id before every segment */
				start = 0;
			} else {
				/* segment s, counted from the previous
				 * range's (ranges are sorted) or from 0 */
				code = (uint32_t)(s_prev < 0 ? s + 2
							     : s - s_prev + 1);
				start = seg[s];
				first -= start;
			}
			le32_put(p, code);
			le32_put(p + 4, (uint32_t)first);
			le32_put(p + 8, m->ranges[2 * k + 1]);
			end = m->ranges[2 * k] + m->ranges[2 * k + 1] - start;
			s_prev = s;
		}
		*rng_cnt += m->range_cnt;
	}
	free(seg);
	return err;
}

/*
 * Version 3: entry w's module block (docs/FORMAT.md), uncompressed, into
 * w->mods_raw; range_cnt set. Version 5 writes layout 2.
 */
static int make_mods_block(struct wentry *w, uint32_t version, struct diag *d)
{
	struct buf mods = {0}, rngs = {0}, *blk = &w->mods_raw;
	uint64_t rng_cnt = 0;
	struct strset ss;
	uint8_t *h;
	int err;

	err = strset__init(&ss, 4096);
	if (err) {
		diag_set(d, "out of memory");
		return err;
	}
	err = version >= 5 ? put_modules2(&ss, &mods, &rngs, w, &rng_cnt, d)
			   : put_modules(&ss, &mods, &rngs, w, &rng_cnt, d);
	if (err)
		goto out;
	h = buf_grow(blk, BTFA_MODS_HDR_SIZE);
	if (h) {
		memcpy(h, version >= 5 ? BTFA_MODS_MAGIC2 : BTFA_MODS_MAGIC, 8);
		le32_put(h + 8, w->mod_cnt);
		le32_put(h + 12, (uint32_t)rng_cnt);
		le32_put(h + 16, (uint32_t)ss.len);
		le32_put(h + 20, 0);
	}
	buf_add(blk, mods.p, mods.len);
	buf_add(blk, rngs.p, rngs.len);
	buf_add(blk, ss.data, ss.len);
	if (blk->err || mods.err || rngs.err) {
		err = -ENOMEM;
		diag_set(d, "out of memory");
		goto out;
	}
	if (rng_cnt > UINT32_MAX || blk->len > BTFA_MAX_INDEX) {
		err = -E2BIG;
		diag_set(d, "%s: module block of %zu bytes, over the cap",
			 w->e.release, blk->len);
		goto out;
	}
	w->e.range_cnt = (uint32_t)rng_cnt;
out:
	free(mods.p);
	free(rngs.p);
	strset__release(&ss);
	return err;
}

/* --- layout 3: a delta entry's modules through its type map ----------- */

/* The runs of one module's added or removed ids, written into a buffer:
 * gap from the previous run's end (0 at first), count. */
struct runs3 {
	struct buf *out;
	uint64_t end; /* id after the last run */
	size_t last;  /* offset of the last run in out */
	uint32_t cnt; /* runs written */
};

static void runs3_add(struct runs3 *r, uint32_t id)
{
	uint8_t *p;

	if (r->cnt && r->end == id) {
		p = r->out->p + r->last + 4;
		le32_put(p, le32_get(p) + 1);
	} else if ((p = buf_grow(r->out, BTFA_RUN3_SIZE))) {
		le32_put(p, (uint32_t)(id - r->end));
		le32_put(p + 4, 1);
		r->last = r->out->len - BTFA_RUN3_SIZE;
		r->cnt++;
	}
	r->end = (uint64_t)id + 1;
}

/* 0 when m's ranges are sorted, apart (a gap of one id at least between
 * two: a reader of layout 3 joins adjacent ones) and inside 1..types. */
static bool ranges_apart(const struct btfa_module_in *m, uint32_t types)
{
	uint64_t next = 1;
	uint32_t k;

	for (k = 0; k < m->range_cnt; k++) {
		uint64_t first = m->ranges[2 * k], cnt = m->ranges[2 * k + 1];

		if (first < next || (k && first == next) || !cnt ||
		    first + cnt - 1 > types)
			return false;
		next = first + cnt;
	}
	return true;
}

struct name_idx {
	const char *name;
	uint32_t idx;
};

static int name_idx_cmp(const void *x, const void *y)
{
	const struct name_idx *a = x, *b = y;
	int c = strcmp(a->name, b->name);

	return c ? c : (a->idx > b->idx) - (a->idx < b->idx);
}

/*
 * Layout 3 (version 6, docs/FORMAT.md): delta entry w's module block
 * through its type map (enc, its payload), on the modules of ref, its
 * reference: a module whose ids are the partners of its reference
 * module's (by name) stores a link to it and nothing else; the others,
 * the runs of ids they add (blob ids whose partner is not in the
 * reference module) and remove (reference ids no id of theirs has as
 * partner). On Debian 6.1 builds 4 builds apart this is 3-4 KB against
 * 17-22 KB for layout 2 (bench/README.md). Into w->mods_raw with
 * w->e.range_cnt; -EINVAL (d not set) when the ranges do not allow it
 * (layout 2 then), -ENOMEM.
 */
static int make_mods_block3(struct wentry *w, const struct wentry *ref,
			    const void *enc, size_t enc_len, struct diag *d)
{
	struct buf recs = {0}, runs = {0}, names = {0}, *blk = &w->mods_raw;
	uint32_t *rev = NULL, *partner = NULL, nb, na, j, k, i;
	struct name_idx *byname = NULL;
	uint8_t *in_a = NULL, *hit = NULL, *h;
	uint64_t rng_cnt = 0, run_cnt = 0;
	struct diag ed = {{0}};
	int err;

	na = ref->e.types;
	err = btf_delta_map(enc, enc_len, na, &rev, &nb, &ed);
	if (err == -ENOMEM)
		goto nomem;
	if (err || nb != w->e.types) {
		free(rev);
		return -EINVAL;
	}
	err = -EINVAL;
	for (j = 0; j < w->mod_cnt; j++)
		if (!ranges_apart(&w->mods[j], nb))
			goto out;
	for (j = 0; j < ref->mod_cnt; j++)
		if (!ranges_apart(&ref->mods[j], na))
			goto out;
	err = -ENOMEM;
	partner = calloc((size_t)nb + 1, sizeof(*partner));
	in_a = calloc((size_t)na + 1, 1);
	hit = calloc((size_t)na + 1, 1);
	byname = malloc(((size_t)ref->mod_cnt + 1) * sizeof(*byname));
	if (!partner || !in_a || !hit || !byname)
		goto nomem;
	for (k = 1; k <= na; k++)
		if (rev[k])
			partner[rev[k]] = k;
	for (j = 0; j < ref->mod_cnt; j++) {
		byname[j].name = ref->mods[j].name;
		byname[j].idx = j;
	}
	qsort(byname, ref->mod_cnt, sizeof(*byname), name_idx_cmp);
	buf_add(&names, "", 1);
	for (j = 0; j < w->mod_cnt; j++) {
		const struct btfa_module_in *m = &w->mods[j], *a = NULL;
		const struct name_idx *f = NULL;
		uint32_t lo = 0, hi = ref->mod_cnt;
		struct runs3 add = {.out = &runs}, rm;
		uint8_t *p = buf_grow(&recs, BTFA_MODULE3_SIZE);

		if (!p)
			goto nomem;
		/* the reference's first module of that name */
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;

			if (strcmp(byname[mid].name, m->name) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < ref->mod_cnt && !strcmp(byname[lo].name, m->name)) {
			f = &byname[lo];
			a = &ref->mods[f->idx];
		}
		for (k = 0; a && k < a->range_cnt; k++)
			for (i = 0; i < a->ranges[2 * k + 1]; i++)
				in_a[a->ranges[2 * k] + i] = 1;
		for (k = 0; k < m->range_cnt; k++)
			for (i = 0; i < m->ranges[2 * k + 1]; i++) {
				uint32_t b = m->ranges[2 * k] + i;

				if (partner[b] && in_a[partner[b]])
					hit[partner[b]] = 1;
				else
					runs3_add(&add, b);
			}
		rm = (struct runs3){.out = &runs};
		for (k = 0; a && k < a->range_cnt; k++)
			for (i = 0; i < a->ranges[2 * k + 1]; i++) {
				uint32_t id = a->ranges[2 * k] + i;

				if (!hit[id])
					runs3_add(&rm, id);
				in_a[id] = hit[id] = 0;
			}
		le32_put(p,
			 a ? (uint32_t)zigzag64((int64_t)f->idx - j) + 1 : 0);
		le32_put(p + 4, add.cnt);
		le32_put(p + 8, rm.cnt);
		if (!a)
			buf_add(&names, m->name, strlen(m->name) + 1);
		run_cnt += (uint64_t)add.cnt + rm.cnt;
		rng_cnt += m->range_cnt;
	}
	h = buf_grow(blk, BTFA_MODS_HDR_SIZE);
	if (h) {
		memcpy(h, BTFA_MODS_MAGIC3, 8);
		le32_put(h + 8, w->mod_cnt);
		le32_put(h + 12, (uint32_t)rng_cnt);
		le32_put(h + 16, (uint32_t)names.len);
		le32_put(h + 20, (uint32_t)run_cnt);
	}
	buf_add(blk, recs.p, recs.len);
	buf_add(blk, runs.p, runs.len);
	buf_add(blk, names.p, names.len);
	if (blk->err || recs.err || runs.err || names.err)
		goto nomem;
	err = -EINVAL;
	if (rng_cnt > UINT32_MAX || run_cnt > UINT32_MAX ||
	    blk->len > BTFA_MAX_INDEX)
		goto out;
	w->e.range_cnt = (uint32_t)rng_cnt;
	w->mods3 = true;
	err = 0;
	goto out;
nomem:
	diag_set(d, "out of memory");
	err = -ENOMEM;
out:
	if (err) {
		free(blk->p);
		memset(blk, 0, sizeof(*blk));
	}
	free(recs.p);
	free(runs.p);
	free(names.p);
	free(rev);
	free(partner);
	free(in_a);
	free(hit);
	free(byname);
	return err;
}

/* The uncompressed module block of entry idx of the archive r (loaded by
 * the reader): its length from its header, which the reader checked. */
static const void *kept_mods_block(struct btfa_reader *r, size_t idx,
				   size_t *len)
{
	struct diag d = {{0}};
	const uint8_t *b;

	/* a block that does not load is not a prefix: w's is stored whole */
	if (!r || idx >= r->entry_cnt || r->version < 3 ||
	    btfa_reader__load_modules(r, (uint32_t)idx, &d) ||
	    !r->mods_blocks[idx])
		return NULL;
	b = r->mods_blocks[idx];
	*len = (size_t)btfa_mods_block_len(b);
	return b;
}

/*
 * The block a version 4 module block of w is compressed on: that of the
 * entry w's blob is a delta on, when its block is stored whole; NULL for
 * none (w's block is then stored whole). A new build's modules and names
 * barely change from its reference's: on ten Debian 6.1 builds this cuts
 * a block from about 160 KB to about 90 KB (its ranges, type ids of the
 * blob, move between builds; the names and counts match).
 */
static const void *mods_prefix(struct wentry *v, const struct wentry *w,
			       struct btfa_reader *r, size_t *len)
{
	const void *p = NULL;
	struct wentry *ref;

	if (!w->data || w->e.encoding != BTFA_ENC_DELTA || w->ref == SIZE_MAX)
		return NULL;
	ref = &v[w->ref];
	if (!ref->mod_cnt || ref->e.mods_ref_off)
		return NULL;
	if (ref->mods_raw.len) {
		*len = ref->mods_raw.len;
		p = ref->mods_raw.p;
	} else if (!ref->data) {
		p = kept_mods_block(r, ref->kept, len);
	}
	/* a reader's default window (2^27 bytes) must hold both */
	if (p && (*len > BTFA_MODS_WINDOW_MAX ||
		  w->mods_raw.len > BTFA_MODS_WINDOW_MAX - *len))
		p = NULL;
	return p;
}

/* w->mods_raw compressed (on prefix, if any) at the end of file (which
 * starts at base in the archive); mods_off, mods_size, mods_sha256 set. */
static int place_mods_block(struct wentry *w, const void *prefix,
			    size_t prefix_len, struct buf *file, uint64_t base,
			    struct diag *d)
{
	size_t at = file->len;
	struct sha256 sh;
	int err;

	err = compress_index(&w->mods_raw, file, prefix, prefix_len, d);
	if (err)
		return err;
	w->e.mods_off = base + at;
	w->e.mods_size = file->len - at;
	sha256_init(&sh);
	sha256_update(&sh, file->p + at, file->len - at);
	sha256_final(&sh, w->e.mods_sha256);
	return 0;
}

/*
 * Version 3 and later: every entry's module block at the end of file (at
 * base in the archive). An entry kept from a version 3 or 4 archive keeps
 * its block. Version 4: a new delta entry's block is compressed on its
 * reference's (mods_prefix); all blocks are made before any is placed,
 * since a reference may come after its deltas in entry order.
 */
static int put_mods_blocks(struct wentry *v, size_t n, uint32_t version,
			   struct btfa_reader *r, struct buf *file,
			   uint64_t base, struct diag *d)
{
	size_t i, plen = 0;
	int err = 0;

	for (i = 0; i < n && !err; i++) {
		struct wentry *w = &v[i];

		if (!w->data && w->e.mods_size)
			continue;
		w->e.mods_off = w->e.mods_size = w->e.mods_ref_off = 0;
		memset(w->e.mods_sha256, 0, 32);
		if (w->mods3) /* layout 3, made with its frame */
			continue;
		w->e.range_cnt = 0;
		if (w->mod_cnt)
			err = make_mods_block(w, version, d);
	}
	for (i = 0; i < n && !err; i++) {
		struct wentry *w = &v[i];
		const void *prefix = NULL;

		if (!w->mods_raw.len)
			continue;
		if (version >= 4)
			prefix = mods_prefix(v, w, r, &plen);
		err = place_mods_block(w, prefix, prefix ? plen : 0, file, base,
				       d);
		if (!err && prefix)
			w->e.mods_ref_off = 1; /* set below */
	}
	for (i = 0; i < n && !err; i++)
		if (v[i].mods_raw.len && v[i].e.mods_ref_off)
			v[i].e.mods_ref_off = v[v[i].ref].e.mods_off;
	return err;
}

/*
 * Serializes the index of entries v[0..n) (offsets set) and dicts. Version
 * 3 writes each entry's module block at the end of file (at base in the
 * archive) first; version 2 puts the module and range tables in the index.
 */
static int build_index(struct wentry *v, size_t n,
		       const struct btfa_dict *dicts, uint32_t dict_cnt,
		       uint32_t version, struct btfa_reader *r,
		       struct buf *file, uint64_t base, struct buf *out,
		       struct diag *d)
{
	struct buf ents = {0}, mods = {0}, rngs = {0};
	uint64_t mod_cnt = 0, rng_cnt = 0;
	struct strset ss;
	size_t i;
	int err;

	err = strset__init(&ss, 4096);
	if (err) {
		diag_set(d, "out of memory");
		return err;
	}
	for (i = 0; i < n; i++)
		if (!btfa_compat_ok(v[i].e.compat)) {
			diag_set(d, "%s: compat %u is not a BTF level",
				 v[i].e.release, v[i].e.compat);
			strset__release(&ss);
			return -EINVAL;
		}
	if (version >= 3) {
		err = put_mods_blocks(v, n, version, r, file, base, d);
		for (i = 0; i < n; i++)
			rng_cnt += v[i].e.range_cnt;
	}
	if (err) {
		strset__release(&ss);
		return err;
	}
	for (i = 0; i < n && !err; i++) {
		uint8_t *p = buf_grow(&ents, entry_size(version));

		if (!p)
			break;
		err = put_entry(&ss, p, &v[i], mod_cnt, version);
		if (!err && version < 3)
			err = put_modules(&ss, &mods, &rngs, &v[i], &rng_cnt,
					  d);
		mod_cnt += v[i].mod_cnt;
	}
	if (!err && (ents.err || mods.err || rngs.err || file->err))
		err = -ENOMEM;
	if (!err && (n > UINT32_MAX || mod_cnt > UINT32_MAX ||
		     rng_cnt > UINT32_MAX || ss.len > UINT32_MAX ||
		     (version >= 3 && (mod_cnt > BTFA_MAX_MODULES ||
				       rng_cnt > BTFA_MAX_RANGES))))
		err = -E2BIG;
	if (!err)
		err = put_index(out, dicts, dict_cnt, n, mod_cnt, rng_cnt, &ss,
				&ents, &mods, &rngs);
	if (err == -ENOMEM || err == -E2BIG)
		diag_set(d, "index: %s", strerror(-err));
	free(ents.p);
	free(mods.p);
	free(rngs.p);
	strset__release(&ss);
	return err;
}

/* zstd frame of the index or of a module block (no dictionary, content
 * size, checksum), compressed on prefix when there is one. */
static int compress_index(const struct buf *idx, struct buf *out,
			  const void *prefix, size_t prefix_len, struct diag *d)
{
	size_t bound = ZSTD_compressBound(idx->len), n;
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	uint8_t *p = cctx ? buf_grow(out, bound) : NULL;

	if (!p) {
		ZSTD_freeCCtx(cctx);
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 19);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	if (prefix) {
		/* the window spans the prefix: its matches are the point */
		int wlog = ceil_log2((uint64_t)prefix_len + idx->len);

		ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog,
				       wlog < 10 ? 10 : wlog);
		ZSTD_CCtx_refPrefix(cctx, prefix, prefix_len);
	}
	n = ZSTD_compress2(cctx, p, bound, idx->p, idx->len);
	ZSTD_freeCCtx(cctx);
	if (ZSTD_isError(n)) {
		diag_set(d, "index: zstd: %s", ZSTD_getErrorName(n));
		return -EIO;
	}
	out->len -= bound - n;
	return 0;
}

#define BTFA_TRAIN_MAX (16u << 20)

/*
 * Trains one dictionary on chunks of the new blobs. The chunk size follows
 * the data (total / 256, within [1 KiB, 128 KiB]) so that small inputs
 * still give enough samples. *dict_len is 0 when there is too little data
 * or zstd cannot train: the frames are then written without dictionary.
 */
static int train_dict(const struct wentry *v, size_t n, size_t dict_size,
		      void **dict, size_t *dict_len)
{
	size_t total = 0, chunk, nsamp = 0, i, off, cap, len, stride, k = 0;
	size_t *sizes = NULL;
	uint8_t *samples = NULL, *p;
	void *out = NULL;

	*dict = NULL;
	*dict_len = 0;
	for (i = 0; i < n; i++)
		if (v[i].data && v[i].e.encoding == BTFA_ENC_PLAIN)
			total += v[i].size;
	chunk = total / 256;
	chunk = chunk < 1024 ? 1024 : chunk > (128 << 10) ? (128 << 10) : chunk;
	cap = dict_size < total / 8 ? dict_size : total / 8;
	if (cap < 1024)
		return 0;
	/* training time grows with the samples: past BTFA_TRAIN_MAX bytes,
	 * one chunk in stride, spread over every blob */
	stride = total > BTFA_TRAIN_MAX ? (total - 1) / BTFA_TRAIN_MAX + 1 : 1;
	samples = malloc(total / stride + (n + 1) * chunk);
	sizes = malloc(sizeof(*sizes) * (total / chunk + n + 1));
	out = malloc(cap);
	if (!samples || !sizes || !out)
		goto nomem;
	p = samples;
	for (i = 0; i < n; i++) {
		if (!v[i].data || v[i].e.encoding != BTFA_ENC_PLAIN)
			continue;
		for (off = 0; off < v[i].size; off += chunk) {
			size_t c = v[i].size - off < chunk ? v[i].size - off
							   : chunk;

			if (k++ % stride)
				continue;
			memcpy(p, (const uint8_t *)v[i].data + off, c);
			p += c;
			sizes[nsamp++] = c;
		}
	}
	if (nsamp > UINT32_MAX)
		goto none;
	len = ZDICT_trainFromBuffer(out, cap, samples, sizes, (unsigned)nsamp);
	if (ZDICT_isError(len) || !ZDICT_getDictID(out, len))
		goto none;
	free(samples);
	free(sizes);
	*dict = out;
	*dict_len = len;
	return 0;
none:
	free(samples);
	free(sizes);
	free(out);
	return 0;
nomem:
	free(samples);
	free(sizes);
	free(out);
	return -ENOMEM;
}

/* --- delta planning ---------------------------------------------------- */

/* Length of the series part of a release: up to its second dot ("6.1" of
 * "6.1.0-47-amd64"), or all of it. */
static size_t series_len(const char *rel)
{
	const char *p = rel ? strchr(rel, '.') : NULL;

	if (!p)
		return rel ? strlen(rel) : 0;
	p = strchr(p + 1, '.');
	return p ? (size_t)(p - rel) : strlen(rel);
}

/*
 * Entries of one series, arch, flavour and compat level share most of
 * their types: one of them is stored plain, the others as deltas on it.
 * An entry's group key, with its index in v: sorting the keys puts each
 * group in one run, its members in entry order.
 */
struct group_key {
	const char *release;
	size_t series; /* series_len(release) */
	const char *arch, *flavour;
	uint32_t compat;
	size_t idx;
};

static int group_key_cmp(const void *pa, const void *pb)
{
	const struct group_key *a = pa, *b = pb;
	size_t l = a->series < b->series ? a->series : b->series;
	int c = l ? memcmp(a->release, b->release, l) : 0;

	if (c || (c = (a->series > b->series) - (a->series < b->series)) ||
	    (c = strcmp0(a->arch, b->arch)) ||
	    (c = strcmp0(a->flavour, b->flavour)))
		return c;
	if (a->compat != b->compat)
		return a->compat < b->compat ? -1 : 1;
	return (a->idx > b->idx) - (a->idx < b->idx);
}

static bool same_group(const struct group_key *a, const struct group_key *b)
{
	struct group_key x = *a;

	x.idx = b->idx;
	return !group_key_cmp(&x, b);
}

static bool deltable(const struct wentry *w)
{
	return !btf_delta__check(w->data, w->size, NULL);
}

/*
 * The encodings of one group, k[0..cnt) in entry order: the reference is
 * the group's first plain entry kept from the archive, else its middle new
 * entry, which is stored plain; the group's other new entries become
 * deltas on it. A group of one new entry and no kept one is stored plain.
 */
static void plan_group(struct wentry *v, const struct group_key *k, size_t cnt)
{
	size_t j, ref = SIZE_MAX, fresh = 0, seen = 0;

	for (j = 0; j < cnt; j++) {
		const struct wentry *w = &v[k[j].idx];

		if (w->data)
			fresh++;
		else if (ref == SIZE_MAX && btfa_enc_whole(w->e.encoding))
			ref = k[j].idx;
	}
	if (ref == SIZE_MAX) {
		if (fresh < 2)
			return;
		for (j = 0; j < cnt; j++)
			if (v[k[j].idx].data && seen++ == fresh / 2)
				break;
		ref = k[j].idx;
	}
	for (j = 0; j < cnt; j++) {
		struct wentry *w = &v[k[j].idx];

		if (!w->data || k[j].idx == ref)
			continue;
		w->e.encoding = BTFA_ENC_DELTA;
		w->ref = ref;
		w->ref_data = v[ref].data;
		w->ref_size = v[ref].size;
	}
}

/*
 * Chooses the encoding of every new entry of v[0..n) (sorted), group by
 * group (plan_group). The groups come from one sort of the entries' keys,
 * O(n log n): comparing every entry with every other, as this did first,
 * took a quadratic number of key comparisons. New blobs btf_delta cannot
 * describe take no part (stored plain).
 */
static void plan_deltas(struct wentry *v, size_t n, bool no_delta)
{
	struct group_key *k;
	size_t i, cnt = 0, first;

	for (i = 0; i < n; i++)
		if (v[i].data) {
			v[i].e.encoding = BTFA_ENC_PLAIN;
			v[i].e.ref_frame_off = 0;
			v[i].ref = SIZE_MAX;
		}
	if (no_delta)
		return;
	k = malloc((n + 1) * sizeof(*k));
	if (!k)
		return; /* all plain: correct, only larger */
	for (i = 0; i < n; i++) {
		const struct btfa_entry *e = &v[i].e;

		if (v[i].data && !deltable(&v[i]))
			continue;
		k[cnt].release = e->release ? e->release : "";
		k[cnt].series = series_len(e->release);
		k[cnt].arch = e->arch;
		k[cnt].flavour = e->flavour;
		k[cnt].compat = e->compat;
		k[cnt].idx = i;
		cnt++;
	}
	qsort(k, cnt, sizeof(*k), group_key_cmp);
	for (first = 0, i = 1; i <= cnt; i++)
		if (i == cnt || !same_group(&k[first], &k[i])) {
			plan_group(v, k + first, i - first);
			first = i;
		}
	free(k);
}

/* --- compression -------------------------------------------------------- */

struct zjob {
	struct wentry *v;
	size_t n;
	const ZSTD_CDict *cdict;
	uint32_t dict_id;
	int level;
	bool streams; /* version 4: whole entries may be streams */
	/* delta payload version: 2 in version 4, else 1 (what readers of
	 * versions 1 to 3 know) */
	unsigned int delta_version;
	bool mods3; /* version 6: delta entries' module blocks in layout 3 */
	/* version 6: a streams entry's string section in a frame of its own */
	bool strs_frame;
	pthread_mutex_t lock;
	size_t next; /* next entry to take */
	int err;
	size_t err_idx;
	struct diag d;
};

/* cctx set for one frame of an entry: the level, content size and
 * checksum in the frame, no zstd threads (the writer has its own). */
static void frame_params(ZSTD_CCtx *cctx, int level)
{
	ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_nbWorkers, 0);
}

/*
 * src compressed by cctx into *frame, *frame_len bytes. The frame waits
 * for the others to be placed in entry order: it keeps its bytes only, not
 * the bound (a 27 MB blob's bound for a 250 KB delta frame, resident once
 * the allocator has reused touched memory for it).
 */
static int compress_fit(ZSTD_CCtx *cctx, const void *src, size_t len,
			void **frame, size_t *frame_len, struct diag *d)
{
	size_t bound = ZSTD_compressBound(len), z;
	void *p = malloc(bound), *fit;

	*frame = NULL;
	if (!p) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	z = ZSTD_compress2(cctx, p, bound, src, len);
	if (ZSTD_isError(z)) {
		free(p);
		diag_set(d, "zstd: %s", ZSTD_getErrorName(z));
		return -EIO;
	}
	fit = realloc(p, z ? z : 1);
	*frame = fit ? fit : p;
	*frame_len = z;
	return 0;
}

/*
 * A whole entry as btf_streams (docs/FORMAT.md, encoding 2) when its frame
 * comes out smaller than the plain one in w->frame: on kernel BTF the type
 * section split into per-field streams compresses to about 60% of the
 * plain records (bench/README.md). A blob btf_streams cannot encode stays
 * plain. The plain frame is compressed first, so "smaller" is measured, not
 * guessed (a trained dictionary may win on small blobs).
 */
static int compress_streams(ZSTD_CCtx *cctx, struct wentry *w,
			    const struct zjob *j, struct diag *d)
{
	void *enc = NULL, *frame = NULL, *strs = NULL;
	size_t enc_len, z, head, zs = 0;
	struct diag ed = {{0}};
	int err;

	/* version 6: payload version 2, which two threads decode */
	err = btf_streams_encode_version(
		w->data, w->size, j->strs_frame ? 2 : 1, &enc, &enc_len, &ed);
	if (err == -ENOTSUP)
		return 0;
	if (err) {
		diag_set(d, "out of memory");
		return err;
	}
	/* version 6: the string section (the payload's end) in a second
	 * frame, which a reader decompresses beside the first */
	head = enc_len;
	if (j->strs_frame && le32_get((uint8_t *)enc + 20))
		head -= le32_get((uint8_t *)enc + 20);
	frame_params(cctx, j->level);
	err = compress_fit(cctx, enc, head, &frame, &z, d);
	if (!err && head < enc_len) {
		frame_params(cctx, j->level);
		err = compress_fit(cctx, (uint8_t *)enc + head, enc_len - head,
				   &strs, &zs, d);
	}
	free(enc);
	if (!err && zs) {
		void *both = realloc(frame, z + zs);

		if (both) {
			memcpy((uint8_t *)both + z, strs, zs);
			frame = both;
			z += zs;
		} else {
			diag_set(d, "out of memory");
			err = -ENOMEM;
		}
	}
	free(strs);
	if (err) {
		free(frame);
		return err;
	}
	if (z >= w->frame_len) {
		free(frame);
		return 0;
	}
	free(w->frame);
	w->frame = frame;
	w->frame_len = z;
	w->e.frame_size = z;
	w->e.encoding = BTFA_ENC_STREAMS;
	w->e.dict_id = 0;
	return 0;
}

/* Compresses w into w->frame: whole (plain with cdict, or as streams when
 * smaller), or as a delta. */
static int compress_one(ZSTD_CCtx *cctx, struct wentry *w, const struct zjob *j,
			struct diag *d)
{
	const void *src = w->data;
	size_t src_len = w->size, z;
	void *enc = NULL;
	int err;

	frame_params(cctx, j->level);
	if (w->e.encoding == BTFA_ENC_DELTA) {
		size_t enc_len;
		int wlog;

		err = btf_delta_encode_version(
			w->ref_data, w->ref_size, w->data, w->size,
			j->delta_version, &enc, &enc_len, NULL, d);
		if (err == -EINVAL) {
			/* a blob the delta cannot describe: plain */
			w->e.encoding = BTFA_ENC_PLAIN;
			w->ref = SIZE_MAX;
			return compress_one(cctx, w, j, d);
		}
		if (err)
			return err;
		src = enc;
		src_len = enc_len;
		wlog = ceil_log2((uint64_t)w->ref_size + enc_len);
		if (wlog < 10)
			wlog = 10;
		if (wlog > BTFA_DELTA_WLOG_MAX) {
			free(enc);
			w->e.encoding = BTFA_ENC_PLAIN;
			w->ref = SIZE_MAX;
			return compress_one(cctx, w, j, d);
		}
		/* the module block through the payload's type map, when the
		 * reference has modules (else layout 2, later) */
		if (j->mods3 && w->mod_cnt && j->v[w->ref].mods &&
		    j->v[w->ref].mod_cnt) {
			err = make_mods_block3(w, &j->v[w->ref], enc, enc_len,
					       d);
			if (err == -ENOMEM) {
				free(enc);
				return err;
			}
		}
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, wlog);
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_enableLongDistanceMatching,
				       1);
		ZSTD_CCtx_refPrefix(cctx, w->ref_data, w->ref_size);
	} else if (j->cdict) {
		ZSTD_CCtx_refCDict(cctx, j->cdict);
	}
	err = compress_fit(cctx, src, src_len, &w->frame, &z, d);
	free(enc);
	if (err)
		return err;
	w->frame_len = z;
	w->e.frame_size = z;
	w->e.blob_size = w->size;
	w->e.dict_id =
		w->e.encoding == BTFA_ENC_PLAIN && j->cdict ? j->dict_id : 0;
	if (w->e.encoding == BTFA_ENC_PLAIN && j->streams)
		return compress_streams(cctx, w, j, d);
	return 0;
}

static void *zworker(void *arg)
{
	struct zjob *j = arg;
	ZSTD_CCtx *cctx = ZSTD_createCCtx();

	for (;;) {
		struct diag d = {{0}};
		size_t i;
		int err;

		pthread_mutex_lock(&j->lock);
		i = j->next++;
		if (!cctx && !j->err) {
			j->err = -ENOMEM;
			j->err_idx = i;
			diag_set(&j->d, "out of memory");
		}
		pthread_mutex_unlock(&j->lock);
		if (i >= j->n || !cctx)
			break;
		if (!j->v[i].data)
			continue;
		err = compress_one(cctx, &j->v[i], j, &d);
		if (err) {
			pthread_mutex_lock(&j->lock);
			/* the first failing entry in order, whatever the
			 * threads' timing */
			if (!j->err || i < j->err_idx) {
				j->err = err;
				j->err_idx = i;
				j->d = d;
			}
			pthread_mutex_unlock(&j->lock);
		}
	}
	ZSTD_freeCCtx(cctx);
	return NULL;
}

/*
 * Compresses every new blob of v (those with data) on up to threads
 * threads, then places the frames in entry order in out, whose first byte
 * will sit at file offset base; sets frame_off/size, blob_size, dict_id,
 * and ref_frame_off of the deltas. blob_sha256 was set by wentries_new.
 */
static int compress_frames(struct wentry *v, size_t n, const void *dict,
			   size_t dict_len, uint32_t dict_id, int level,
			   uint32_t version, int threads, uint64_t base,
			   struct buf *out, struct diag *d)
{
	struct zjob j = {.v = v,
			 .n = n,
			 .dict_id = dict_id,
			 .level = level,
			 .streams = version >= 4,
			 /* the delta payload version each reader knows */
			 .delta_version = version >= 5	 ? 3
					  : version == 4 ? 2
							 : 1,
			 .mods3 = version >= 6,
			 .strs_frame = version >= 6};
	pthread_t tid[64];
	int i, started = 0;
	size_t k;

	if (threads < 1)
		threads = 1;
	if (threads > 64)
		threads = 64;
	pthread_mutex_init(&j.lock, NULL);
	if (dict_len) {
		j.cdict = ZSTD_createCDict(dict, dict_len, level);
		if (!j.cdict) {
			pthread_mutex_destroy(&j.lock);
			diag_set(d, "zstd cannot load the dictionary");
			return -EINVAL;
		}
	}
	for (i = 1; i < threads; i++)
		if (!pthread_create(&tid[started], NULL, zworker, &j))
			started++;
	zworker(&j);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	pthread_mutex_destroy(&j.lock);
	ZSTD_freeCDict((ZSTD_CDict *)j.cdict);
	if (j.err) {
		*d = j.d;
		diag_prefix(d, "%s: ", v[j.err_idx].e.release);
		return j.err;
	}
	for (k = 0; k < n; k++) {
		struct wentry *w = &v[k];

		if (!w->data)
			continue;
		w->e.frame_off = base + out->len;
		buf_add(out, w->frame, w->frame_len);
		free(w->frame);
		w->frame = NULL;
	}
	for (k = 0; k < n; k++)
		if (v[k].data && v[k].e.encoding == BTFA_ENC_DELTA)
			v[k].e.ref_frame_off = v[v[k].ref].e.frame_off;
	if (out->err) {
		diag_set(d, "out of memory");
		return out->err;
	}
	return 0;
}

static size_t plain_new(const struct wentry *v, size_t n);

/*
 * Whether a trained dictionary pays for its bytes: the first 2 MiB of every
 * blob stored whole (all of a smaller one) compressed with and without it
 * at the archive's level; the bytes saved must exceed the dictionary's
 * size. A dictionary helps a frame while the frame has little history of
 * its own, that is near its start: the saving on the first 2 MiB is about
 * the saving on the whole frame. (Scaling the saving on slices by the blob
 * size, the first way tried, kept a 512 KiB dictionary that saved 220 KB
 * on ten 27 MB blobs.)
 */
static bool dict_pays(const struct wentry *v, size_t n, const void *dict,
		      size_t dict_len, int level)
{
	size_t i, cap = 2 << 20, bound = ZSTD_compressBound(cap);
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_CDict *cd = ZSTD_createCDict(dict, dict_len, level);
	uint64_t with = 0, without = 0;
	void *out = malloc(bound);
	bool ok = false;

	if (!c || !cd || !out)
		goto out;
	for (i = 0; i < n; i++) {
		const struct wentry *w = &v[i];
		size_t len, a, b;

		if (!w->data || w->e.encoding != BTFA_ENC_PLAIN)
			continue;
		len = w->size < cap ? w->size : cap;
		a = ZSTD_compressCCtx(c, out, bound, w->data, len, level);
		b = ZSTD_compress_usingCDict(c, out, bound, w->data, len, cd);
		if (ZSTD_isError(a) || ZSTD_isError(b))
			goto out;
		without += a;
		with += b;
	}
	ok = with < without && without - with > dict_len;
out:
	ZSTD_freeCCtx(c);
	ZSTD_freeCDict(cd);
	free(out);
	return ok;
}

/* Trains the dictionary of the blobs stored whole, per o's dict_mode; *len
 * is 0 when there is none. */
static int choose_dict(const struct wentry *v, size_t n,
		       const struct btfa_write_opts *o, size_t dict_size,
		       int level, void **dict, size_t *len)
{
	enum btfa_dict_mode mode = o ? o->dict_mode : BTFA_DICT_AUTO;
	int err;

	*dict = NULL;
	*len = 0;
	if (mode == BTFA_DICT_NEVER ||
	    (mode == BTFA_DICT_AUTO && plain_new(v, n) < 2))
		return 0;
	err = train_dict(v, n, dict_size, dict, len);
	if (err || !*len || mode == BTFA_DICT_ALWAYS)
		return err;
	if (!dict_pays(v, n, *dict, *len, level)) {
		free(*dict);
		*dict = NULL;
		*len = 0;
	}
	return 0;
}

/* New entries to be stored plain. */
static size_t plain_new(const struct wentry *v, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += v[i].data && v[i].e.encoding == BTFA_ENC_PLAIN;
	return c;
}

static void phase(const struct btfa_write_opts *o, const char *name)
{
	if (o && o->phase)
		o->phase(name, o->phase_ctx);
}

/* New blobs as wentry, their blob_sha256 computed (for sorting). */
static struct wentry *wentries_new(const struct btfa_blob_in *blobs, size_t n,
				   size_t extra)
{
	struct wentry *v;
	size_t i;

	if (n > SIZE_MAX / sizeof(*v) - extra - 1)
		return NULL;
	v = calloc(n + extra + 1, sizeof(*v));
	if (!v)
		return NULL;
	for (i = 0; i < n; i++) {
		struct sha256 sh;

		v[extra + i].e = blobs[i].e;
		v[extra + i].data = blobs[i].data;
		v[extra + i].size = blobs[i].size;
		v[extra + i].mods = blobs[i].modules;
		v[extra + i].mod_cnt = blobs[i].module_cnt;
		v[extra + i].kept = SIZE_MAX;
		sha256_init(&sh);
		sha256_update(&sh, blobs[i].data, blobs[i].size);
		sha256_final(&sh, v[extra + i].e.blob_sha256);
	}
	return v;
}

/* Sorts v and drops exact duplicates; returns the new count. */
static size_t sort_unique(struct wentry *v, size_t n)
{
	size_t i, k = 0;

	qsort(v, n, sizeof(*v), wentry_cmp);
	for (i = 0; i < n; i++) {
		if (k && !entry_cmp(&v[k - 1].e, &v[i].e)) {
			/* keep the kept entry's frame over a new copy */
			if (v[k - 1].data && !v[i].data)
				v[k - 1] = v[i];
			continue;
		}
		v[k++] = v[i];
	}
	return k;
}

/* The signature block of the index frame at out[at..] appended to out,
 * when o has a key (btfa_sig). */
static int put_sig(const struct btfa_write_opts *o, struct buf *out, size_t at,
		   struct diag *d)
{
	uint8_t *blk;
	size_t n;
	int err;

	if (!o || !o->key)
		return 0;
	err = btfa_sig__sign(o->key, out->p + at, out->len - at, &blk, &n, d);
	if (err)
		return err;
	buf_add(out, blk, n);
	free(blk);
	if (out->err) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static bool zero32(const uint8_t *p)
{
	static const uint8_t z[32];

	return !memcmp(p, z, 32);
}

static const char *lbl(const char *s)
{
	return s && *s ? s : "-";
}

/* a and b are one build made the same way: release, arch, build
 * identity, source (the package's .BTF or DWARF) and compat level match;
 * distro labels do not tell entries apart for get */
static bool same_build(const struct btfa_entry *a, const struct btfa_entry *b)
{
	return !strcmp0(a->release, b->release) && !strcmp0(a->arch, b->arch) &&
	       !strcmp0(a->build_id, b->build_id) &&
	       !memcmp(a->base_sha256, b->base_sha256, 32) &&
	       !strcmp0(a->source, b->source) && a->compat == b->compat;
}

/*
 * Entries a reader can use and tell apart (v sorted by sort_unique):
 * labels pass btfa_check_strs; two entries of one release and arch
 * without any build identity (no build-id, no base sha256) hold the same
 * blob; and two entries of one build made the same way (same_build) hold
 * the same blob (a build made again by another btfar version or with
 * other options gives other bytes). Otherwise get could not choose
 * between them.
 */
static int check_entries(const struct wentry *v, size_t n, struct diag *d)
{
	char h1[13], h2[13], what[400];
	size_t i, j;

	for (i = 0; i < n; i++) {
		const struct btfa_entry *e = &v[i].e, *p = &v[i ? i - 1 : 0].e;

		if (btfa_check_strs(e, d))
			return -EINVAL;
		/* sorted by release, arch, build-id, base sha256 first: one
		 * build's entries are together (without a build identity,
		 * the check below) */
		for (j = i;
		     (strcmp0(e->build_id, "") || !zero32(e->base_sha256)) &&
		     j-- > 0 && !strcmp0(v[j].e.release, e->release) &&
		     !strcmp0(v[j].e.arch, e->arch) &&
		     !strcmp0(v[j].e.build_id, e->build_id) &&
		     !memcmp(v[j].e.base_sha256, e->base_sha256, 32);) {
			/* two entries an earlier btfar's add left in the
			 * archive do not stop the next add */
			if (!same_build(&v[j].e, e) ||
			    (!v[j].data && !v[i].data))
				continue;
			if (memcmp(v[j].e.blob_sha256, e->blob_sha256, 32)) {
				hex_encode(v[j].e.blob_sha256, 6, h1);
				hex_encode(e->blob_sha256, 6, h2);
				snprintf(what, sizeof(what),
					 "different blobs (sha256 %s... and "
					 "%s...: made by other btfar versions "
					 "or options?)",
					 h1, h2);
			} else {
				snprintf(what, sizeof(what),
					 "the same blob under other labels "
					 "(distro %s %s, flavour %s; and %s "
					 "%s, %s)",
					 lbl(v[j].e.distro),
					 lbl(v[j].e.distro_version),
					 lbl(v[j].e.flavour), lbl(e->distro),
					 lbl(e->distro_version),
					 lbl(e->flavour));
			}
			diag_set(d,
				 "two entries of one build: release %s, arch "
				 "%s, build-id %s, %s: get could not choose "
				 "between them; an archive holds one entry "
				 "per build, pack the one to keep into a new "
				 "archive",
				 e->release, lbl(e->arch), lbl(e->build_id),
				 what);
			return -EINVAL;
		}
		if (!i || strcmp0(e->release, p->release) ||
		    strcmp0(e->arch, p->arch) || strcmp0(e->build_id, "") ||
		    strcmp0(p->build_id, "") || !zero32(e->base_sha256) ||
		    !zero32(p->base_sha256) ||
		    !memcmp(e->blob_sha256, p->blob_sha256, 32))
			continue;
		diag_set(d,
			 "two blobs of release %s, arch %s, without build-id "
			 "or base sha256: they cannot be told apart (give "
			 "them different releases or arches, or build them "
			 "with btfar build)",
			 e->release, e->arch && *e->arch ? e->arch : "-");
		return -EINVAL;
	}
	return 0;
}

static void put_header(uint8_t *h, uint32_t version, uint64_t index_off,
		       const void *index, size_t index_size)
{
	struct sha256 sh;

	memset(h, 0, BTFA_HDR_SIZE);
	memcpy(h, BTFA_MAGIC, 8);
	le32_put(h + 8, version);
	le32_put(h + 12, 0);
	le64_put(h + 16, index_off);
	le64_put(h + 24, index_size);
	sha256_init(&sh);
	sha256_update(&sh, index, index_size);
	sha256_final(&sh, h + 32);
}

int btfa_write(const char *path, const struct btfa_blob_in *blobs, size_t n,
	       const struct btfa_write_opts *o, struct diag *d)
{
	size_t dict_size = o && o->dict_size ? o->dict_size : 512 << 10;
	int level = o && o->level ? o->level : 19;
	struct buf file = {0}, idx = {0};
	struct btfa_dict dict = {0};
	void *dict_data = NULL;
	size_t dict_len = 0, idx_off, i;
	uint32_t version = o && o->version ? o->version : BTFA_VERSION;
	struct wentry *v;
	int err;

	if (version < 2 || version > BTFA_VERSION) {
		diag_set(d, "cannot write format version %u", version);
		return -EINVAL;
	}
	v = wentries_new(blobs, n, 0);
	if (!v) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	n = sort_unique(v, n);
	err = check_entries(v, n, d);
	if (err)
		goto out;
	plan_deltas(v, n, o && o->no_delta);
	phase(o, "train");
	err = choose_dict(v, n, o, dict_size, level, &dict_data, &dict_len);
	if (err) {
		diag_set(d, "out of memory");
		goto out;
	}
	buf_grow(&file, BTFA_HDR_SIZE);
	if (dict_len) {
		dict.dict_id = ZDICT_getDictID(dict_data, dict_len);
		dict.off = file.len;
		dict.size = dict_len;
		buf_add(&file, dict_data, dict_len);
	}
	if (file.err) {
		err = file.err;
		diag_set(d, "out of memory");
		goto out;
	}
	phase(o, "compress");
	err = compress_frames(v, n, dict_data, dict_len, dict.dict_id, level,
			      version, o ? o->threads : 1, 0, &file, d);
	if (err)
		goto out;
	err = build_index(v, n, &dict, dict_len ? 1 : 0, version, NULL, &file,
			  0, &idx, d);
	if (err)
		goto out;
	idx_off = file.len;
	err = compress_index(&idx, &file, NULL, 0, d);
	if (!err)
		err = put_sig(o, &file, idx_off, d);
	if (err)
		goto out;
	put_header(file.p, version, idx_off, file.p + idx_off,
		   file.len - idx_off);
	phase(o, "commit");
	err = file_write_atomic(path, file.p, file.len, d);
	if (!err)
		err = n > INT32_MAX ? INT32_MAX : (int)n;
out:
	for (i = 0; i < n; i++) {
		free(v[i].frame);
		free(v[i].mods_raw.p);
	}
	free(dict_data);
	free(file.p);
	free(idx.p);
	free(v);
	return err;
}

static int write_full(int fd, const void *data, size_t size, uint64_t off)
{
	const uint8_t *p = data;

	while (size) {
		ssize_t w = pwrite(fd, p, size, (off_t)off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		p += w;
		size -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* An append in progress: the archive as read, and what it gains. */
struct append {
	struct btfa_reader r;
	uint64_t base;	  /* where the new bytes go: the file's end */
	struct wentry *v; /* kept entries and new ones, sorted, unique */
	size_t total;	  /* entries in v */
	size_t fresh;	  /* new entries in v */
	struct btfa_module_in *old_mods; /* the kept entries' modules */
	uint32_t *old_ranges;		 /* and their ranges (first, count) */
	struct btfa_dict *dicts;	 /* the archive's, and a new one */
	uint32_t dict_cnt;
	void *dict_data; /* the dictionary of the new whole frames, or NULL */
	size_t dict_len;
	uint32_t dict_id;
	struct buf tail; /* dictionary, frames and index, written at base */
};

/* The archive's entries (with their modules and ranges) and the new blobs
 * in one sorted array without duplicates. */
static int append_entries(struct append *a, const struct btfa_blob_in *blobs,
			  size_t n, struct diag *d)
{
	const struct btfa_reader *r = &a->r;
	size_t i;

	a->v = wentries_new(blobs, n, r->entry_cnt);
	a->old_mods = calloc(r->module_cnt + 1, sizeof(*a->old_mods));
	a->old_ranges =
		calloc(2 * (size_t)r->range_cnt + 1, sizeof(*a->old_ranges));
	a->dicts = calloc(r->dict_cnt + 2, sizeof(*a->dicts));
	if (!a->v || !a->old_mods || !a->old_ranges || !a->dicts) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	/* version 3: kept entries keep their module blocks, and r has not
	 * loaded their modules */
	for (i = 0; r->version < 3 && i < r->range_cnt; i++) {
		a->old_ranges[2 * i] = r->ranges[i].first;
		a->old_ranges[2 * i + 1] = r->ranges[i].count;
	}
	for (i = 0; r->version < 3 && i < r->module_cnt; i++) {
		a->old_mods[i].name = r->modules[i].name;
		a->old_mods[i].types = r->modules[i].types;
		a->old_mods[i].ranges =
			a->old_ranges + 2 * r->modules[i].range_first;
		a->old_mods[i].range_cnt = r->modules[i].range_cnt;
	}
	for (i = 0; i < r->entry_cnt; i++) {
		a->v[i].e = r->entries[i];
		a->v[i].kept = i;
		a->v[i].mods =
			r->version < 3
				? a->old_mods + r->entries[i].module_first
				: NULL;
		a->v[i].mod_cnt = r->entries[i].module_cnt;
	}
	a->total = sort_unique(a->v, r->entry_cnt + n);
	if (check_entries(a->v, a->total, d))
		return -EINVAL;
	for (i = 0; i < a->total; i++)
		a->fresh += a->v[i].data != NULL;
	memcpy(a->dicts, r->dicts, sizeof(*a->dicts) * r->dict_cnt);
	a->dict_cnt = r->dict_cnt;
	return 0;
}

/*
 * Version 3 and later: the modules of kept entry w, a reference of new
 * deltas, from its module block into a->old_mods and a->old_ranges, for
 * their layout 3 blocks. A block that does not load leaves w without
 * them: its deltas' blocks are then layout 2.
 */
static void kept_mods_in(struct append *a, struct wentry *w)
{
	struct btfa_reader *r = &a->r;
	const struct btfa_entry *e = &r->entries[w->kept];
	struct diag d = {{0}};
	uint32_t j, k;

	if (w->mods || !e->module_cnt ||
	    btfa_reader__load_modules(r, (uint32_t)w->kept, &d) ||
	    btfa_reader_ranges_pending(r, w->kept))
		return;
	for (j = 0; j < e->module_cnt; j++) {
		const struct btfa_module *m = &r->modules[e->module_first + j];
		struct btfa_module_in *mi = &a->old_mods[e->module_first + j];

		mi->name = m->name;
		mi->types = m->types;
		mi->range_cnt = m->range_cnt;
		mi->ranges = a->old_ranges + 2 * (size_t)m->range_first;
		for (k = 0; k < m->range_cnt; k++) {
			const struct btfa_range *g =
				&r->ranges[m->range_first + k];

			a->old_ranges[2 * ((size_t)m->range_first + k)] =
				g->first;
			a->old_ranges[2 * ((size_t)m->range_first + k) + 1] =
				g->count;
		}
	}
	w->mods = a->old_mods + e->module_first;
}

/* New deltas on entries kept from the archive need those blobs: read once
 * per reference (the first delta on it owns the copy). */
static int append_refs(struct append *a, struct diag *d)
{
	struct wentry *v = a->v;
	size_t i, j, *owner;
	int err = 0;

	owner = malloc((a->total + 1) * sizeof(*owner));
	if (!owner) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < a->total; i++)
		owner[i] = SIZE_MAX;
	for (i = 0; i < a->total && !err; i++) {
		struct wentry *w = &v[i];

		if (!w->data || w->e.encoding != BTFA_ENC_DELTA ||
		    v[w->ref].data)
			continue;
		if (owner[w->ref] != SIZE_MAX) {
			w->ref_data = v[owner[w->ref]].ref_data;
			w->ref_size = v[owner[w->ref]].ref_size;
			continue;
		}
		owner[w->ref] = i;
		for (j = 0; j < a->r.entry_cnt; j++)
			if (a->r.entries[j].frame_off ==
				    v[w->ref].e.frame_off &&
			    btfa_enc_whole(a->r.entries[j].encoding))
				break;
		err = j < a->r.entry_cnt ? btfa_reader__read(&a->r, (uint32_t)j,
							     &w->ref_owned,
							     &w->ref_size, d)
					 : -ENOENT;
		if (err)
			diag_prefix(d, "reference %s: ", v[w->ref].e.release);
		w->ref_data = w->ref_owned;
		if (!err)
			kept_mods_in(a, &v[w->ref]);
	}
	free(owner);
	return err;
}

/* The archive's most recently written dictionary (largest offset). */
static const struct btfa_dict *latest_dict(const struct btfa_reader *r)
{
	const struct btfa_dict *best = NULL;
	uint32_t i;

	for (i = 0; i < r->dict_cnt; i++)
		if (!best || r->dicts[i].off > best->off)
			best = &r->dicts[i];
	return best;
}

/* A new dictionary, trained on the new blobs stored whole and written first
 * in the tail (new_dict, or an archive without one), when it pays. */
static int append_new_dict(struct append *a, const struct btfa_write_opts *o,
			   size_t dict_size, int level, struct diag *d)
{
	int err;

	phase(o, "train");
	err = choose_dict(a->v, a->total, o, dict_size, level, &a->dict_data,
			  &a->dict_len);
	if (err) {
		diag_set(d, "out of memory");
		return err;
	}
	if (!a->dict_len)
		return 0;
	a->dict_id = ZDICT_getDictID(a->dict_data, a->dict_len);
	if (btfa_reader__dict(&a->r, a->dict_id)) {
		diag_set(d,
			 "the new dictionary's id %u is already in the archive",
			 a->dict_id);
		return -EEXIST;
	}
	a->dicts[a->dict_cnt].dict_id = a->dict_id;
	a->dicts[a->dict_cnt].off = a->base;
	a->dicts[a->dict_cnt].size = a->dict_len;
	a->dict_cnt++;
	buf_add(&a->tail, a->dict_data, a->dict_len);
	return 0;
}

/* The archive's latest dictionary, for new blobs stored whole. */
static int append_old_dict(struct append *a, struct diag *d)
{
	const struct btfa_dict *di = latest_dict(&a->r);
	int err;

	if (!di)
		return 0;
	a->dict_data = malloc(di->size ? (size_t)di->size : 1);
	if (!a->dict_data) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	err = btfa_reader__pread(&a->r, a->dict_data, (size_t)di->size, di->off,
				 d);
	if (err) {
		diag_prefix(d, "dictionary: ");
		return err;
	}
	if (ZDICT_getDictID(a->dict_data, (size_t)di->size) != di->dict_id) {
		diag_set(d,
			 "dictionary at %llu: not a zstd "
			 "dictionary of id %u",
			 (unsigned long long)di->off, di->dict_id);
		return -EBADMSG;
	}
	a->dict_len = (size_t)di->size;
	a->dict_id = di->dict_id;
	return 0;
}

/*
 * Makes the archive at fd hold tail at base, then points its header (hdr)
 * at the new index: tail written and flushed first, then the header in one
 * write, flushed. A header write that fails puts the old header back.
 */
static int append_commit(int fd, const struct buf *tail, uint64_t base,
			 const uint8_t *hdr, const struct btfa_write_opts *o,
			 struct diag *d)
{
	uint8_t old_hdr[BTFA_HDR_SIZE];
	int err;

	err = write_full(fd, tail->p, tail->len, base);
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (err) {
		diag_set(d, "write at %llu: %s", (unsigned long long)base,
			 strerror(-err));
		return err;
	}
	phase(o, "commit");
	if (pread(fd, old_hdr, sizeof(old_hdr), 0) !=
	    (ssize_t)sizeof(old_hdr)) {
		err = errno ? -errno : -EIO;
		diag_set(d, "header: cannot read it back: %s", strerror(-err));
		return err;
	}
	err = write_full(fd, hdr, BTFA_HDR_SIZE, 0);
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (err) {
		/* a write that failed part way may have torn the header: put
		 * the old one back, so the archive reads as before the add */
		int undo = write_full(fd, old_hdr, sizeof(old_hdr), 0);

		if (!undo && fsync(fd) < 0)
			undo = -errno;
		diag_set(d, "header: %s%s", strerror(-err),
			 undo ? "; the old header could not be restored either"
			      : "; the archive is as it was");
		return err;
	}
	return 0;
}

int btfa_append(const char *path, const struct btfa_blob_in *blobs, size_t n,
		const struct btfa_write_opts *o, size_t *added, struct diag *d)
{
	size_t dict_size = o && o->dict_size ? o->dict_size : 512 << 10;
	int level = o && o->level ? o->level : 19;
	struct append a = {0};
	uint8_t hdr[BTFA_HDR_SIZE];
	struct buf idx = {0};
	uint64_t idx_off;
	size_t i, k;
	int fd, err;

	if (added)
		*added = 0;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		diag_set(d, "cannot open: %s", strerror(errno));
		return err;
	}
	/* one writer at a time */
	if (flock(fd, LOCK_EX) < 0) {
		err = -errno;
		diag_set(d, "cannot lock: %s", strerror(errno));
		close(fd);
		return err;
	}
	err = btfa_reader__open(&a.r, path, d);
	if (err)
		goto out;
	a.base = a.r.file_size;
	err = append_entries(&a, blobs, n, d);
	/* nothing new: the archive stays, unless a new signature is asked */
	if (err || (!a.fresh && !(o && o->key)))
		goto out;
	plan_deltas(a.v, a.total, o && o->no_delta);
	err = append_refs(&a, d);
	if (err)
		goto out;
	if ((o && o->new_dict) || !a.r.dict_cnt)
		err = append_new_dict(&a, o, dict_size, level, d);
	else if (plain_new(a.v, a.total))
		err = append_old_dict(&a, d);
	if (err)
		goto out;
	if (a.tail.err) {
		err = a.tail.err;
		diag_set(d, "out of memory");
		goto out;
	}
	phase(o, "compress");
	err = compress_frames(a.v, a.total, a.dict_data, a.dict_len, a.dict_id,
			      level, BTFA_VERSION, o ? o->threads : 1, a.base,
			      &a.tail, d);
	if (err)
		goto out;
	err = build_index(a.v, a.total, a.dicts, a.dict_cnt, BTFA_VERSION, &a.r,
			  &a.tail, a.base, &idx, d);
	if (err)
		goto out;
	idx_off = a.base + a.tail.len;
	k = a.tail.len;
	err = compress_index(&idx, &a.tail, NULL, 0, d);
	if (!err)
		err = put_sig(o, &a.tail, k, d);
	if (err)
		goto out;
	put_header(hdr, BTFA_VERSION, idx_off, a.tail.p + k, a.tail.len - k);
	err = append_commit(fd, &a.tail, a.base, hdr, o, d);
	if (!err && added)
		*added = a.fresh;
out:
	btfa_reader__close(&a.r);
	close(fd);
	for (i = 0; a.v && i < a.total; i++) {
		free(a.v[i].ref_owned);
		free(a.v[i].frame);
		free(a.v[i].mods_raw.p);
	}
	free(a.v);
	free(a.old_mods);
	free(a.old_ranges);
	free(a.dicts);
	free(a.dict_data);
	free(a.tail.p);
	free(idx.p);
	return err;
}

int btfa_sign(const char *path, const struct btfa_seckey *k, struct diag *d)
{
	struct btfa_write_opts o = {.key = k};

	return btfa_append(path, NULL, 0, &o, NULL, d);
}
