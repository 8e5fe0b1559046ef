// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Verify: an independent fidelity check of a merged blob against the
 * modules it was made from. It shares no code with merge or dedup.
 *
 * Algorithm summary:
 * 1. The merged blob is validated standalone, and its first types and
 *    strings must be the base's, byte for byte (merge never rewrites the
 *    base).
 * 2. An index of the merged blob's named types by (class, name), and of
 *    enumerator names for anonymous enums (formats/btf_index).
 * 3. For each module (worker pool): every named type, every FUNC and every
 *    enum is looked up among the merged candidates of the same class and
 *    name; a candidate matches when the two are structurally equivalent:
 *    same kind (a FWD may stand for a struct or union of its name and
 *    union-ness), name, size, members with names, offsets and bitfield
 *    sizes, enumerator names and values, prototypes, recursively through
 *    referenced types. Pairs under comparison count as equivalent (the
 *    types may be recursive); results are memoized per module. Ids into the
 *    base are the same on both sides, so equal base ids match at once.
 *    Each enumerator counts as one check, found when its enum is.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "btfar/btfar.h"
#include "builder/job.h"
#include "builder/pool.h"
#include "formats/btf_index.h"
#include "formats/btf_raw.h"
#include "formats/file.h"
#include "merge/rebase.h"

struct verify {
	const struct btf_raw *base;
	const struct elf_btf *base_elf;
	const struct btf_raw *mod_base; /* the modules' base: base or other */
	const struct btf_raw *merged;
	struct btf_index idx; /* the merged blob's names and enumerators */
	const char *const *inputs;
	char **paths; /* module files found from inputs */
	size_t path_cnt;
	const struct btfar_verify_opts *opts;
	pthread_mutex_t lock;
	/* the modules' base's index, for modules with a .BTF.base */
	struct rebase_map *dist_index;
	atomic_uint_fast64_t checked, found, missed;
	atomic_uint modules, modules_bad, logged;
};

/* Equivalence memo: open addressing on a << 32 | b. */
struct memo {
	uint64_t *keys; /* 0 = empty; key + 1 stored */
	uint8_t *vals;	/* 1 busy/equal, 2 equal, 3 different */
	size_t cap, used;
};

enum {
	CLS_STRUCT,
	CLS_UNION,
	CLS_ENUM,
	CLS_TYPEDEF,
	CLS_FUNC,
	CLS_VAR,
	CLS_DATASEC,
	CLS_INT,
	CLS_FLOAT,
	CLS_ENUMERATOR,
	CLS_NONE
};

static uint32_t cls_of(const struct btf_type *t)
{
	switch (btf_type_kind(t)) {
	case BTF_KIND_STRUCT:
		return CLS_STRUCT;
	case BTF_KIND_UNION:
		return CLS_UNION;
	case BTF_KIND_FWD:
		return btf_type_kflag(t) ? CLS_UNION : CLS_STRUCT;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		return CLS_ENUM;
	case BTF_KIND_TYPEDEF:
		return CLS_TYPEDEF;
	case BTF_KIND_FUNC:
		return CLS_FUNC;
	case BTF_KIND_VAR:
		return CLS_VAR;
	case BTF_KIND_DATASEC:
		return CLS_DATASEC;
	case BTF_KIND_INT:
		return CLS_INT;
	case BTF_KIND_FLOAT:
		return CLS_FLOAT;
	default:
		return CLS_NONE;
	}
}

/* Named types by class for the index; enumerators go in as
 * CLS_ENUMERATOR. */
static int index_cls(const struct btf_type *t)
{
	uint32_t cls = cls_of(t);

	return cls == CLS_NONE ? -1 : (int)cls;
}

static int build_index(struct verify *v)
{
	return btf_index_build(&v->idx, v->merged, index_cls, CLS_ENUMERATOR);
}

static uint8_t *memo_slot(struct memo *mm, uint64_t key, bool *fresh)
{
	size_t i;

	if ((mm->used + 1) * 2 > mm->cap) {
		size_t ncap = mm->cap ? mm->cap * 2 : 4096, j;
		uint64_t *nk = calloc(ncap, sizeof(*nk));
		uint8_t *nv = calloc(ncap, 1);

		if (!nk || !nv) {
			free(nk);
			free(nv);
			return NULL;
		}
		for (j = 0; j < mm->cap; j++) {
			if (!mm->keys[j])
				continue;
			for (i = (mm->keys[j] * 0x9e3779b97f4a7c15ull) >> 20 &
				 (ncap - 1);
			     nk[i]; i = (i + 1) & (ncap - 1))
				;
			nk[i] = mm->keys[j];
			nv[i] = mm->vals[j];
		}
		free(mm->keys);
		free(mm->vals);
		mm->keys = nk;
		mm->vals = nv;
		mm->cap = ncap;
	}
	key++;
	for (i = (key * 0x9e3779b97f4a7c15ull) >> 20 & (mm->cap - 1);
	     mm->keys[i]; i = (i + 1) & (mm->cap - 1))
		if (mm->keys[i] == key) {
			*fresh = false;
			return &mm->vals[i];
		}
	mm->keys[i] = key;
	mm->vals[i] = 0;
	mm->used++;
	*fresh = true;
	return &mm->vals[i];
}

struct cmp_ctx {
	const struct btf_raw *a; /* module, split on its base */
	const struct btf_raw *b; /* merged, standalone */
	uint32_t base_cnt;	 /* ids of the merged blob's base part */
	uint32_t mod_base_cnt;	 /* ids of the module's base */
	bool cross;		 /* the module's base is another build */
	struct memo memo;
	bool oom;
};

static bool same_str(const struct cmp_ctx *c, uint32_t ao, uint32_t bo)
{
	const char *x = btf_raw__str(c->a, ao), *y = btf_raw__str(c->b, bo);

	return x && y && !strcmp(x, y);
}

static bool equiv(struct cmp_ctx *c, uint32_t a, uint32_t b);

static bool equiv_body(struct cmp_ctx *c, const struct btf_type *x,
		       const struct btf_type *y)
{
	uint32_t kx = btf_type_kind(x), ky = btf_type_kind(y), i,
		 n = btf_type_vlen(x);

	if (kx == BTF_KIND_FWD || ky == BTF_KIND_FWD) {
		/* a declaration stands for any struct/union of its name */
		return cls_of(x) == cls_of(y) &&
		       same_str(c, x->name_off, y->name_off);
	}
	if ((kx == BTF_KIND_ENUM || kx == BTF_KIND_ENUM64) &&
	    (ky == BTF_KIND_ENUM || ky == BTF_KIND_ENUM64) &&
	    (!btf_type_vlen(x) || !btf_type_vlen(y))) {
		/* an enum without enumerators is a declaration */
		return x->size == y->size &&
		       same_str(c, x->name_off, y->name_off);
	}
	if (kx != ky || x->info != y->info ||
	    !same_str(c, x->name_off, y->name_off))
		return false;
	switch (kx) {
	case BTF_KIND_INT:
		return x->size == y->size &&
		       *(const uint32_t *)(x + 1) == *(const uint32_t *)(y + 1);
	case BTF_KIND_FLOAT:
		return x->size == y->size;
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_FUNC:
		return equiv(c, x->type, y->type);
	case BTF_KIND_VAR:
		return *(const uint32_t *)(x + 1) ==
			       *(const uint32_t *)(y + 1) &&
		       equiv(c, x->type, y->type);
	case BTF_KIND_DECL_TAG:
		return *(const int32_t *)(x + 1) == *(const int32_t *)(y + 1) &&
		       equiv(c, x->type, y->type);
	case BTF_KIND_ARRAY: {
		const struct btf_array *p = (const void *)(x + 1),
				       *q = (const void *)(y + 1);

		return p->nelems == q->nelems && equiv(c, p->type, q->type) &&
		       equiv(c, p->index_type, q->index_type);
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		const struct btf_member *p = (const void *)(x + 1),
					*q = (const void *)(y + 1);

		if (x->size != y->size)
			return false;
		for (i = 0; i < n; i++)
			if (p[i].offset != q[i].offset ||
			    !same_str(c, p[i].name_off, q[i].name_off))
				return false;
		for (i = 0; i < n; i++)
			if (!equiv(c, p[i].type, q[i].type))
				return false;
		return true;
	}
	case BTF_KIND_ENUM: {
		const struct btf_enum *p = (const void *)(x + 1),
				      *q = (const void *)(y + 1);

		if (x->size != y->size)
			return false;
		for (i = 0; i < n; i++)
			if (p[i].val != q[i].val ||
			    !same_str(c, p[i].name_off, q[i].name_off))
				return false;
		return true;
	}
	case BTF_KIND_ENUM64: {
		const struct btf_enum64 *p = (const void *)(x + 1),
					*q = (const void *)(y + 1);

		if (x->size != y->size)
			return false;
		for (i = 0; i < n; i++)
			if (p[i].val_lo32 != q[i].val_lo32 ||
			    p[i].val_hi32 != q[i].val_hi32 ||
			    !same_str(c, p[i].name_off, q[i].name_off))
				return false;
		return true;
	}
	case BTF_KIND_FUNC_PROTO: {
		const struct btf_param *p = (const void *)(x + 1),
				       *q = (const void *)(y + 1);

		if (!equiv(c, x->type, y->type))
			return false;
		for (i = 0; i < n; i++)
			if (!same_str(c, p[i].name_off, q[i].name_off) ||
			    !equiv(c, p[i].type, q[i].type))
				return false;
		return true;
	}
	case BTF_KIND_DATASEC: {
		const struct btf_var_secinfo *p = (const void *)(x + 1),
					     *q = (const void *)(y + 1);

		if (x->size != y->size)
			return false;
		for (i = 0; i < n; i++)
			if (p[i].offset != q[i].offset ||
			    p[i].size != q[i].size ||
			    !equiv(c, p[i].type, q[i].type))
				return false;
		return true;
	}
	default:
		return false;
	}
}

/*
 * Across two builds of the base (rebased modules), named base types are
 * compared by layout only: kind, name, size, member names, offsets and
 * bitfields. A pointer to a struct that changed does not change the
 * layout of what points to it. Returns -1 for types compared in full.
 */
static int base_layout_eq(struct cmp_ctx *c, uint32_t a, uint32_t b)
{
	const struct btf_type *x = btf_raw__type(c->a, a);
	const struct btf_type *y = btf_raw__type(c->b, b);
	uint32_t k = btf_type_kind(x), i;

	switch (k) {
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_FWD:
		break;
	default:
		return -1;
	}
	if (!x->name_off)
		return -1;
	if (x->info != y->info || x->size != y->size ||
	    !same_str(c, x->name_off, y->name_off))
		return 0;
	if (k == BTF_KIND_INT)
		return *(const uint32_t *)(x + 1) == *(const uint32_t *)(y + 1);
	if (k == BTF_KIND_STRUCT || k == BTF_KIND_UNION) {
		const struct btf_member *p = (const void *)(x + 1),
					*q = (const void *)(y + 1);

		for (i = 0; i < btf_type_vlen(x); i++)
			if (p[i].offset != q[i].offset ||
			    !same_str(c, p[i].name_off, q[i].name_off))
				return 0;
		return 1;
	}
	return -1; /* enums: values compared in full */
}

static bool equiv(struct cmp_ctx *c, uint32_t a, uint32_t b)
{
	const struct btf_type *x, *y;
	uint8_t *slot;
	bool fresh, eq;

	if (!a || !b)
		return a == b;
	/* the merged blob's base part is the base, checked byte for byte */
	if (!c->cross && a < c->base_cnt && a == b)
		return true;
	if (c->cross && a < c->mod_base_cnt && b < c->base_cnt) {
		int r = base_layout_eq(c, a, b);

		if (r >= 0)
			return r;
	}
	slot = memo_slot(&c->memo, (uint64_t)a << 32 | b, &fresh);
	if (!slot) {
		c->oom = true;
		return false;
	}
	if (!fresh)
		return *slot != 3; /* busy (1) counts as equivalent */
	*slot = 1;
	x = btf_raw__type(c->a, a);
	y = btf_raw__type(c->b, b);
	eq = x && y && equiv_body(c, x, y);
	/* the memo may have grown: look the slot up again */
	slot = memo_slot(&c->memo, (uint64_t)a << 32 | b, &fresh);
	if (slot)
		*slot = eq ? 2 : 3;
	return eq;
}

static void miss(struct verify *v, const char *path, const struct btf_raw *m,
		 uint32_t id, const struct btf_type *t, const char *what)
{
	uint32_t max = v->opts && v->opts->max_misses_logged
			       ? v->opts->max_misses_logged
			       : 100;
	const char *name = btf_raw__str(m, t->name_off);

	atomic_fetch_add(&v->missed, 1);
	if (atomic_fetch_add(&v->logged, 1) >= max)
		return;
	job_log(v->opts ? v->opts->log : NULL,
		v->opts ? v->opts->log_ctx : NULL, &v->lock, BTFAR_LOG_WARN,
		"%s: type [%u] %s '%s'%s: no equivalent in the merged blob",
		path, id, btf_kind_name(btf_type_kind(t)),
		name && *name ? name : "", what);
}

/* Finds an equivalent of module type id among merged candidates. */
static bool find_equiv(struct verify *v, struct cmp_ctx *c, uint32_t id,
		       const struct btf_type *t)
{
	const struct btf_raw *m = c->a;
	uint32_t cls = cls_of(t);
	const char *key;
	size_t i, n;

	if (t->name_off) {
		key = btf_raw__str(m, t->name_off);
	} else {
		/* anonymous enum: by its first enumerator */
		if (!btf_type_vlen(t))
			return true;
		key = btf_raw__str(m, *(const uint32_t *)(t + 1));
		cls = CLS_ENUMERATOR;
	}
	for (i = btf_index_find(&v->idx, cls, key, &n), n += i; i < n; i++)
		if (equiv(c, id, v->idx.v[i].id))
			return true;
	return false;
}

static void verify_one(size_t i, void *ctx)
{
	struct verify *v = ctx;
	const char *path = v->paths[i];
	struct cmp_ctx c = {.b = v->merged,
			    .base_cnt = btf_raw__type_cnt(v->base),
			    .mod_base_cnt = btf_raw__type_cnt(v->mod_base),
			    .cross = v->mod_base != v->base};
	struct btf_raw m = {0};
	struct job_module jm;
	struct diag d = {""};
	uint64_t read = 0;
	void *btf = NULL;
	size_t btf_sz = 0;
	uint32_t j;
	int err;

	err = job_read_module(path, c.cross ? NULL : v->base_elf, 1ull << 30,
			      1000, &jm, &read, &d);
	if (!err && jm.btf_base) {
		/* a distilled base: relocated onto the modules' base first */
		err = job_relocate_distilled(&v->dist_index, &v->lock,
					     v->mod_base, &jm, &d);
		if (err)
			diag_prefix(&d, ".BTF.base: ");
	}
	btf = jm.btf;
	btf_sz = jm.btf_sz;
	if (!err) {
		err = btf_raw__parse(&m, btf, btf_sz, v->mod_base, &d);
		if (err)
			diag_prefix(&d, ".BTF: ");
	}
	if (err) {
		atomic_fetch_add(&v->modules_bad, 1);
		job_log(v->opts ? v->opts->log : NULL,
			v->opts ? v->opts->log_ctx : NULL, &v->lock,
			BTFAR_LOG_WARN, "%s: not checked: %s", path, d.msg);
		goto out;
	}
	c.a = &m;
	atomic_fetch_add(&v->modules, 1);
	for (j = 0; j < m.type_cnt; j++) {
		const struct btf_type *t =
			(const void *)(m.types + m.type_offs[j]);
		uint32_t k = btf_type_kind(t), cnt;
		bool is_enum = k == BTF_KIND_ENUM || k == BTF_KIND_ENUM64;

		if (v->opts && v->opts->ignore_datasec &&
		    (k == BTF_KIND_VAR || k == BTF_KIND_DATASEC))
			continue;
		if (cls_of(t) == CLS_NONE || k == BTF_KIND_FWD ||
		    (!t->name_off && !is_enum))
			continue;
		cnt = (t->name_off ? 1 : 0) + (is_enum ? btf_type_vlen(t) : 0);
		if (!cnt)
			continue;
		atomic_fetch_add(&v->checked, cnt);
		if (find_equiv(v, &c, m.start_id + j, t))
			atomic_fetch_add(&v->found, cnt);
		else
			miss(v, path, &m, m.start_id + j, t,
			     is_enum && btf_type_vlen(t)
				     ? " (with its enumerators)"
				     : "");
		if (c.oom)
			break;
	}
	if (c.oom) {
		atomic_fetch_add(&v->modules_bad, 1);
		job_log(v->opts ? v->opts->log : NULL,
			v->opts ? v->opts->log_ctx : NULL, &v->lock,
			BTFAR_LOG_WARN, "%s: out of memory", path);
	}
out:
	free(c.memo.keys);
	free(c.memo.vals);
	btf_raw__release(&m);
	free(btf);
}

int btfar_verify(const char *base_path, const char *merged_path,
		 const char *const *inputs, size_t input_cnt,
		 const struct btfar_verify_opts *opts,
		 struct btfar_verify_stats *stats, char *err_buf, size_t err_sz)
{
	struct verify v = {.opts = opts};
	struct btf_raw base = {0}, merged = {0}, mod_base = {0};
	void *mb_file = NULL;
	size_t mb_sz = 0;
	struct elf_btf mb_elf;
	bool mb_is_elf = false;
	void *base_file = NULL, *merged_file = NULL;
	size_t base_sz = 0, merged_sz = 0;
	struct elf_btf base_elf;
	bool is_elf = false;
	struct job_inputs in = {0};
	struct diag d = {""};
	int err;

	pthread_mutex_init(&v.lock, NULL);
	memset(stats, 0, sizeof(*stats));
	err = job_load_base(base_path, &base_file, &base_sz, &base_elf, &is_elf,
			    &base, &d);
	if (err) {
		diag_prefix(&d, "%s: ", base_path);
		goto out;
	}
	err = file_read_all(merged_path, 0, &merged_file, &merged_sz, &d);
	if (!err)
		err = btf_raw__parse(&merged, merged_file, merged_sz, NULL, &d);
	if (err) {
		diag_prefix(&d, "%s: ", merged_path);
		goto out;
	}
	if (merged.type_cnt < base.type_cnt || merged.str_len < base.str_len ||
	    memcmp(merged.types, base.types, base.types_len) ||
	    memcmp(merged.strs, base.strs, base.str_len)) {
		diag_set(&d,
			 "%s: does not start with the base's types and "
			 "strings: not merged on this base",
			 merged_path);
		err = -EINVAL;
		goto out;
	}
	v.base = &base;
	v.base_elf = is_elf ? &base_elf : NULL;
	v.mod_base = &base;
	if (opts && opts->module_base) {
		err = job_load_base(opts->module_base, &mb_file, &mb_sz,
				    &mb_elf, &mb_is_elf, &mod_base, &d);
		if (err) {
			diag_prefix(&d, "%s: ", opts->module_base);
			goto out;
		}
		v.mod_base = &mod_base;
	}
	v.merged = &merged;
	if (build_index(&v)) {
		diag_set(&d, "out of memory");
		err = -ENOMEM;
		goto out;
	}
	in.log = opts ? opts->log : NULL;
	in.log_ctx = opts ? opts->log_ctx : NULL;
	err = job_collect_modules(inputs, input_cnt, &v.paths, &v.path_cnt, &in,
				  &d);
	if (!err && !v.path_cnt)
		err = job_no_module_error(inputs, input_cnt, &in, &d);
	if (err)
		goto out;
	pool_run(v.path_cnt, opts ? opts->jobs : 0, verify_one, &v);
	stats->modules = atomic_load(&v.modules);
	stats->modules_bad = atomic_load(&v.modules_bad);
	stats->checked = atomic_load(&v.checked);
	stats->found = atomic_load(&v.found);
	stats->missed = atomic_load(&v.missed);
	err = stats->missed || stats->modules_bad ? 1 : 0;
out:
	if (err < 0 && err_buf && err_sz)
		snprintf(err_buf, err_sz, "%s", d.msg);
	job_free_paths(v.paths, v.path_cnt);
	rebase_map_free(v.dist_index);
	btf_index_release(&v.idx);
	btf_raw__release(&base);
	btf_raw__release(&merged);
	btf_raw__release(&mod_base);
	free(mb_file);
	free(base_file);
	free(merged_file);
	pthread_mutex_destroy(&v.lock);
	return err;
}
