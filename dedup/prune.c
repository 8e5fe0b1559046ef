// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * prune: the split types of a deduplicated blob that nothing named reaches.
 *
 * pahole encodes the types of locals and casts as well as those of
 * declarations, so a module's BTF holds pointers, qualifiers, arrays,
 * prototypes and anonymous structs that no named type, function, variable
 * or section refers to (52,184 of the 486,406 module types left after
 * dedup on Debian's 6.12). Nothing that reads the blob can reach them:
 * - CO-RE (libbpf's bpf_core_find_cands and bpf_core_add_cands, the
 *   kernel's bpf_core_find_cands, cilium/ebpf's CORERelocate alike) looks
 *   target candidates up by the name of the local root type, refuses an
 *   anonymous local type, skips anonymous targets, and reaches everything
 *   else by following references from the named candidate (docs/GUIDE.md,
 *   "Unreachable module types", quotes the lines);
 * - kfunc and ksym lookups are by the name of a FUNC or VAR;
 * - min-core keeps what those resolutions read, and the types they
 *   reference.
 * So the roots are every named split type, of any kind (a DECL_TAG is
 * named and keeps its target), and every anonymous ENUM/ENUM64, whose
 * enumerators are names too (`btfar verify` looks them up, vmlinux.h
 * generation prints them); every base type is a root as well, but base
 * types never refer to split ones. What a root reaches through any type
 * reference (btf_type_visit_ids: members, parameters, return types,
 * modifier and typedef targets, array element and index, VAR type,
 * DATASEC entries, DECL_TAG target) is kept, the rest is dropped.
 *
 * The kept types are written in order_split's order (dedup/order.h) when
 * the merge says where each module's types start, else in the engine's:
 * either way the output is a function of the engine's output alone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dedup/first_use.h"
#include "dedup/order.h"
#include "dedup/prune.h"

struct prune {
	uint32_t s0; /* first split id */
	uint32_t n;  /* split types */
	const uint8_t *types;
	uint32_t types_len;
	uint32_t *offs;	  /* offset of each split type in types */
	uint32_t *new_id; /* per split type: its id after pruning, 0: none */
	uint32_t *stack;  /* split types kept, whose references are next */
	uint32_t *perm;	  /* the kept split types in output order */
	uint32_t *seg;	  /* per split type: module met first (order_split) */
	uint32_t top;
	/* the split string section, read and written in first-use order */
	struct first_use fu;
	uint32_t bad_id; /* a reference past the last type, for the message */
};

static bool is_root(const struct btf_type *t)
{
	uint32_t kind = btf_type_kind(t);

	return t->name_off || kind == BTF_KIND_ENUM || kind == BTF_KIND_ENUM64;
}

/* Marks a split type reached (new_id 1 until the ids are given). */
static int mark_ref(uint32_t *id, void *ctx)
{
	struct prune *p = ctx;
	uint32_t i;

	if (*id < p->s0)
		return 0;
	i = *id - p->s0;
	if (i >= p->n) {
		p->bad_id = *id;
		return -EINVAL;
	}
	if (!p->new_id[i]) {
		p->new_id[i] = 1;
		p->stack[p->top++] = i;
	}
	return 0;
}

static int rewrite_id(uint32_t *id, void *ctx)
{
	struct prune *p = ctx;

	if (*id >= p->s0)
		*id = p->new_id[*id - p->s0];
	return 0;
}

/* Copies a split string on first use: the section is in first-use order,
 * as refine writes it, and holds only the strings kept types use. */
static int rewrite_str(uint32_t *off, void *ctx)
{
	return first_use_str(&((struct prune *)ctx)->fu, off);
}

/* The sections of res->raw and the offset of each type; 0 or -EINVAL. */
static int read_sections(struct prune *p, const struct dedup_result *res,
			 struct diag *d)
{
	const struct btf_header *h = res->raw;
	uint64_t t_end, s_end;
	uint32_t off = 0, rec, cnt = 0;

	if (res->size < BTF_RAW_HDR_LEN || h->magic != BTF_MAGIC ||
	    h->hdr_len < BTF_RAW_HDR_LEN || h->hdr_len > res->size) {
		diag_set(d, "prune: not a BTF blob");
		return -EINVAL;
	}
	t_end = (uint64_t)h->hdr_len + h->type_off + h->type_len;
	s_end = (uint64_t)h->hdr_len + h->str_off + h->str_len;
	if (t_end > res->size || s_end > res->size) {
		diag_set(d, "prune: sections past the end of the blob");
		return -EINVAL;
	}
	p->types = (const uint8_t *)res->raw + h->hdr_len + h->type_off;
	p->types_len = h->type_len;
	p->fu.strs = (const char *)res->raw + h->hdr_len + h->str_off;
	p->fu.str_len = h->str_len;
	/* at most one type per 12 bytes */
	p->offs = malloc(((size_t)p->types_len / sizeof(struct btf_type) + 1) *
			 sizeof(*p->offs));
	if (!p->offs) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	while (off < p->types_len) {
		rec = btf_raw__rec_size((const void *)(p->types + off),
					p->types_len - off);
		if (!rec) {
			diag_set(d,
				 "prune: type [%u] runs past the type "
				 "section",
				 p->s0 + cnt);
			return -EINVAL;
		}
		p->offs[cnt++] = off;
		off += rec;
	}
	p->n = cnt;
	return 0;
}

/* new_id[i] != 0 for every split type a root reaches (every type a root
 * when all), each reference checked on the way; 0 or -EINVAL. */
static int mark(struct prune *p, bool all, struct diag *d)
{
	uint32_t i;
	int err;

	for (i = 0; i < p->n; i++) {
		const struct btf_type *t =
			(const void *)(p->types + p->offs[i]);

		if ((all || is_root(t)) && !p->new_id[i]) {
			p->new_id[i] = 1;
			p->stack[p->top++] = i;
		}
	}
	while (p->top) {
		i = p->stack[--p->top];
		/* read only: mark_ref never writes through the pointer */
		err = btf_type_visit_ids(
			(struct btf_type *)(uintptr_t)(p->types + p->offs[i]),
			mark_ref, p);
		if (err) {
			diag_set(d,
				 "prune: type [%u] refers to type %u, past "
				 "the last type %u",
				 p->s0 + i, p->bad_id, p->s0 + p->n - 1);
			return err;
		}
	}
	return 0;
}

/* Writes the kept types and their strings into res. */
static int emit(struct prune *p, uint32_t kept, struct dedup_result *res,
		uint32_t map_len, uint32_t *dropped_bytes, struct diag *d)
{
	uint8_t *out = malloc((size_t)p->types_len + 1);
	uint32_t i, k, out_len = 0, rec;
	size_t raw_sz;
	void *raw;
	int err = -ENOMEM;

	p->fu.str_map =
		malloc(((size_t)p->fu.str_len + 1) * sizeof(*p->fu.str_map));
	p->fu.out = malloc((size_t)p->fu.str_len + 1);
	if (!out || !p->fu.str_map || !p->fu.out) {
		diag_set(d, "out of memory");
		goto out;
	}
	memset(p->fu.str_map, 0xff,
	       ((size_t)p->fu.str_len + 1) * sizeof(*p->fu.str_map));
	for (k = 0; k < kept; k++) {
		struct btf_type *t;

		i = p->perm[k];
		rec = btf_raw__rec_size((const void *)(p->types + p->offs[i]),
					p->types_len - p->offs[i]);
		memcpy(out + out_len, p->types + p->offs[i], rec);
		t = (struct btf_type *)(out + out_len);
		btf_type_visit_ids(t, rewrite_id, p);
		if (btf_type_visit_strs(t, rewrite_str, p)) {
			err = -EINVAL;
			diag_set(d,
				 "prune: type [%u] has a name outside the "
				 "string section",
				 p->s0 + i);
			goto out;
		}
		out_len += rec;
	}
	raw = btf_raw__write(out, out_len, p->fu.out, p->fu.out_len, &raw_sz);
	if (!raw) {
		diag_set(d, "out of memory");
		goto out;
	}
	/* the engine's map: a dropped type has no output id */
	for (i = 0; res->id_map && i < map_len; i++)
		if (res->id_map[i] >= p->s0 && res->id_map[i] - p->s0 < p->n)
			res->id_map[i] = p->new_id[res->id_map[i] - p->s0];
	*dropped_bytes = p->types_len - out_len;
	free(res->raw);
	res->raw = raw;
	res->size = raw_sz;
	res->type_cnt = kept;
	err = 0;
out:
	free(out);
	return err;
}

/*
 * seg[i]: the module whose types the engine met split type i in first (the
 * module of the lowest input index id_map sends to it), made
 * non-decreasing: an engine writes its output in order of first
 * occurrence, and a type out of step joins the segment before it rather
 * than split one.
 */
static void segments(struct prune *p, const struct dedup_result *res,
		     uint32_t map_len, const struct prune_opts *opts)
{
	uint32_t i, j, m = 0, prev = 0;

	for (i = 0; i < p->n; i++)
		p->seg[i] = UINT32_MAX;
	for (j = 0; j < map_len; j++) {
		uint32_t o = res->id_map[j];

		while (m + 1 < opts->mod_cnt &&
		       opts->mod_first[m + 1] <= p->s0 + j)
			m++;
		if (o >= p->s0 && o - p->s0 < p->n &&
		    p->seg[o - p->s0] == UINT32_MAX)
			p->seg[o - p->s0] = m;
	}
	for (i = 0; i < p->n; i++) {
		if (p->seg[i] == UINT32_MAX || p->seg[i] < prev)
			p->seg[i] = prev;
		prev = p->seg[i];
	}
}

int prune_run(const struct btf_raw *base, struct dedup_result *res,
	      uint32_t map_len, const struct prune_opts *opts,
	      uint32_t *dropped, uint32_t *dropped_bytes, struct diag *d)
{
	struct prune p = {
		.s0 = btf_raw__type_cnt(base),
		.fu.base_str = base->start_str_off + base->str_len,
	};
	bool moved = false;
	uint32_t i, kept = 0;
	int err;

	*dropped = 0;
	*dropped_bytes = 0;
	err = read_sections(&p, res, d);
	if (err)
		goto out;
	p.new_id = calloc((size_t)p.n + 1, sizeof(*p.new_id));
	p.stack = malloc(((size_t)p.n + 1) * sizeof(*p.stack));
	p.perm = malloc(((size_t)p.n + 1) * sizeof(*p.perm));
	if (!p.new_id || !p.stack || !p.perm) {
		err = -ENOMEM;
		diag_set(d, "out of memory");
		goto out;
	}
	err = mark(&p, opts->keep_unreachable, d);
	if (err)
		goto out;
	if (opts->mod_first && opts->mod_cnt && res->id_map) {
		struct order_input oin = {
			.base = base,
			.types = p.types,
			.offs = p.offs,
			.n = p.n,
			.s0 = p.s0,
			.strs = p.fu.strs,
			.str_len = p.fu.str_len,
			.base_str = p.fu.base_str,
			.keep = p.new_id,
			.jobs = opts->jobs,
		};
		int cnt;

		p.seg = malloc(((size_t)p.n + 1) * sizeof(*p.seg));
		if (!p.seg) {
			err = -ENOMEM;
			diag_set(d, "out of memory");
			goto out;
		}
		segments(&p, res, map_len, opts);
		oin.seg = p.seg;
		cnt = order_split(&oin, p.perm);
		if (cnt < 0) {
			err = cnt;
			diag_set(d, "out of memory");
			goto out;
		}
		kept = (uint32_t)cnt;
	} else {
		for (i = 0; i < p.n; i++)
			if (p.new_id[i])
				p.perm[kept++] = i;
	}
	for (i = 0; i < kept; i++) {
		p.new_id[p.perm[i]] = p.s0 + i;
		moved |= p.perm[i] != i;
	}
	if (kept == p.n && !moved)
		goto out; /* nothing dropped or moved: the engine's bytes */
	err = emit(&p, kept, res, map_len, dropped_bytes, d);
	if (!err)
		*dropped = p.n - kept;
out:
	free(p.offs);
	free(p.new_id);
	free(p.stack);
	free(p.perm);
	free(p.seg);
	free(p.fu.str_map);
	free(p.fu.out);
	return err;
}
