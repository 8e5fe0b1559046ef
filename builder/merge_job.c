// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The merge pipeline: base + module files -> one BTF blob.
 *
 * 1. read (worker pool, one module per task): read the file, decompress it
 *    in memory, take .BTF out of the ELF, validate it as split BTF on the
 *    base; a module that fails is skipped with the reason, never merged.
 * 2. merge: the valid modules, in sorted path order, renumbered into one
 *    split BTF (merge/renumber).
 * 3. dedup: over that split BTF (dedup_run: btfar's partition refinement
 *    by default, libbpf's btf__dedup on --dedup-engine libbpf), then the
 *    module types no named type reaches dropped (dedup/prune.h) unless
 *    keep_unreachable.
 * 4. emit: split blob, or base + split joined into one self-contained blob;
 *    the result is validated once more before it is handed out.
 * The output depends only on the set of input paths, not on their order or
 * on the number of workers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "btfar/btfar.h"
#include "builder/clock.h"
#include "builder/job.h"
#include "builder/pool.h"
#include "dedup/collisions.h"
#include "dedup/dedup.h"
#include "formats/btf_compat.h"
#include "formats/btf_raw.h"
#include "formats/elf_btf.h"
#include "formats/file.h"
#include "formats/sha256.h"
#include "formats/mem.h"
#include "merge/rebase.h"
#include "merge/renumber.h"

struct module {
	char *path; /* as given or found in a directory */
	char *name; /* module name */
	void *btf;  /* copy of the .BTF bytes, owned */
	size_t btf_sz;
	/* .BTF.base of a module handed over in memory, in btf's allocation */
	const void *btf_base;
	size_t btf_base_sz;
	struct btf_raw raw; /* parsed on the base, valid if ok */
	bool ok;
	char *reason;	  /* why skipped, owned */
	uint32_t *ranges; /* output ids of its types: (first, count) pairs */
	uint32_t range_cnt, final_types;
	uint64_t bytes_read;
};

struct btfar_merge {
	struct btfar_merge_opts opts;
	void *base_file; /* the base BTF (an aligned copy), owned */
	size_t base_file_sz;
	struct elf_btf base_elf;
	bool base_is_elf;
	struct btf_raw base;
	bool base_ok;
	char *base_path;

	struct module *mods;
	size_t mod_cnt, mod_cap;
	struct btfar_module_info *infos;

	void *out;	     /* result blob (may be split_raw) */
	void *split_raw;     /* the final split BTF */
	char out_sha256[65]; /* of out */
	size_t out_sz;
	struct btfar_merge_stats stats;
	struct collisions coll;

	atomic_size_t done; /* modules read, for progress */
	atomic_uint_fast64_t bytes_in;
	pthread_mutex_t lock; /* serializes log and progress callbacks */
	struct rebase_map *dist_index; /* the base's, for .BTF.base modules */
	char **inputs; /* paths given to add_input, for messages */
	size_t input_cnt, input_cap;
	struct job_inputs in;	/* what the inputs held */
	bool allow_no_module;	/* job_merge_allow_no_module() */
	pthread_t leftover_tid; /* release_beside(), job_merge_settle() */
	bool leftover_started;
	char err[DIAG_MAX];
};

#define mlog(m, lvl, ...)                                                      \
	job_log((m)->opts.log, (m)->opts.log_ctx, &(m)->lock, lvl, __VA_ARGS__)

static void set_err(struct btfar_merge *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_err(struct btfar_merge *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->err, sizeof(m->err), fmt, ap);
	va_end(ap);
}

static void progress(struct btfar_merge *m, const char *phase, size_t done,
		     size_t total)
{
	struct btfar_progress p = {
		.phase = phase,
		.done = done,
		.total = total,
		.bytes_in = atomic_load(&m->bytes_in),
	};

	job_report_progress(m->opts.progress, m->opts.progress_ctx, &m->lock,
			    &p);
}

struct btfar_merge *btfar_merge__new(const struct btfar_merge_opts *opts)
{
	struct btfar_merge *m = calloc(1, sizeof(*m));

	if (!m) {
		errno = ENOMEM;
		return NULL;
	}
	if (opts) {
		size_t sz = opts->sz && opts->sz < sizeof(m->opts)
				    ? opts->sz
				    : sizeof(m->opts);
		memcpy(&m->opts, opts, sz);
	}
	if (!m->opts.max_module_bytes)
		m->opts.max_module_bytes = 1ull << 30;
	if (!m->opts.max_ratio)
		m->opts.max_ratio = 1000;
	if (m->opts.jobs <= 0)
		m->opts.jobs = pool_cpu_count();
	pthread_mutex_init(&m->lock, NULL);
	atomic_init(&m->done, 0);
	atomic_init(&m->bytes_in, 0);
	return m;
}

static void module_release(struct module *mod)
{
	btf_raw__release(&mod->raw);
	free(mod->path);
	free(mod->name);
	free(mod->btf);
	free(mod->reason);
	free(mod->ranges);
}

void btfar_merge__free(struct btfar_merge *m)
{
	size_t i;

	if (!m)
		return;
	job_merge_settle(m);
	for (i = 0; i < m->mod_cnt; i++)
		module_release(&m->mods[i]);
	free(m->mods);
	free(m->infos);
	rebase_map_free(m->dist_index);
	btf_raw__release(&m->base);
	free(m->base_file);
	free(m->base_path);
	job_free_paths(m->inputs, m->input_cnt);
	if (m->out != m->split_raw)
		free(m->out);
	free(m->split_raw);
	collisions_release(&m->coll);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

const char *btfar_merge__errstr(const struct btfar_merge *m)
{
	return m ? m->err : "";
}

int btfar_merge__set_base(struct btfar_merge *m, const char *path)
{
	struct diag d = {""};
	int err;

	if (m->base_ok) {
		set_err(m, "the base is already set");
		return -EINVAL;
	}
	err = job_load_base(path, &m->base_file, &m->base_file_sz, &m->base_elf,
			    &m->base_is_elf, &m->base, &d);
	if (err) {
		set_err(m, "%s: %s", path, d.msg);
		free(m->base_file);
		m->base_file = NULL;
		return err;
	}
	m->base_path = strdup(path);
	m->base_ok = true;
	m->stats.base_types = m->base.type_cnt;
	return 0;
}

static int add_module(struct btfar_merge *m, const char *path)
{
	struct module *mod;

	if (mem_ensure((void **)&m->mods, &m->mod_cap, sizeof(*m->mods),
		       m->mod_cnt + 1))
		return -ENOMEM;
	mod = &m->mods[m->mod_cnt];
	memset(mod, 0, sizeof(*mod));
	mod->path = strdup(path);
	mod->name = job_module_name(path);
	if (!mod->path || !mod->name) {
		free(mod->path);
		free(mod->name);
		return -ENOMEM;
	}
	m->mod_cnt++;
	return 0;
}

int btfar_merge__add_input(struct btfar_merge *m, const char *path)
{
	struct job_inputs in = {
		.log = m->opts.log,
		.log_ctx = m->opts.log_ctx,
		.lock = &m->lock,
	};
	struct diag d = {""};
	char **paths = NULL;
	size_t cnt = 0, i;
	int err;

	/* a file as given; a directory walked for module files */
	err = job_collect_modules(&path, 1, &paths, &cnt, &in, &d);
	if (err) {
		set_err(m, "%s", d.msg);
		return err;
	}
	m->in.modules += in.modules;
	m->in.raw += in.raw;
	m->in.ignored += in.ignored;
	err = mem_ensure((void **)&m->inputs, &m->input_cap, sizeof(*m->inputs),
			 m->input_cnt + 1);
	if (!err) {
		m->inputs[m->input_cnt] = strdup(path);
		err = m->inputs[m->input_cnt] ? 0 : -ENOMEM;
		if (!err)
			m->input_cnt++;
	}
	for (i = 0; !err && i < cnt; i++)
		err = add_module(m, paths[i]);
	if (err)
		set_err(m, "%s: out of memory", path);
	job_free_paths(paths, cnt);
	return err;
}

void job_merge_allow_no_module(struct btfar_merge *m)
{
	m->allow_no_module = true;
}

static void skip(struct module *mod, const char *msg)
{
	mod->ok = false;
	free(mod->reason);
	mod->reason = strdup(msg);
}

static void read_one(size_t i, void *ctx)
{
	struct btfar_merge *m = ctx;
	struct module *mod = &m->mods[i];
	struct job_module jm = {0};
	struct diag d = {""};
	int err = 0;

	/* modules handed over in memory (btfar build) are read already */
	if (!mod->btf && !mod->reason) {
		err = job_read_module(
			mod->path, m->base_is_elf ? &m->base_elf : NULL,
			m->opts.max_module_bytes, m->opts.max_ratio, &jm,
			&mod->bytes_read, &d);
		atomic_fetch_add(&m->bytes_in, mod->bytes_read);
		mod->btf = jm.btf;
		mod->btf_sz = jm.btf_sz;
		if (!err && jm.name[0] && strcmp(jm.name, mod->name)) {
			char *n = strdup(jm.name);

			if (n) {
				free(mod->name);
				mod->name = n;
			}
		}
	} else if (mod->reason) {
		mlog(m, BTFAR_LOG_WARN, "skipped %s", mod->reason);
		goto done;
	} else if (mod->btf_base) {
		jm.btf = mod->btf;
		jm.btf_sz = mod->btf_sz;
		jm.btf_base = mod->btf_base;
		jm.btf_base_sz = mod->btf_base_sz;
		mod->btf_base = NULL;
	}
	if (!err && jm.btf_base) {
		/* distilled base: relocated onto the merge's base first */
		err = job_relocate_distilled(&m->dist_index, &m->lock, &m->base,
					     &jm, &d);
		mod->btf = jm.btf;
		mod->btf_sz = jm.btf_sz;
	}
	if (!err) {
		err = btf_raw__parse(&mod->raw, mod->btf, mod->btf_sz, &m->base,
				     &d);
		if (err)
			diag_prefix(&d, ".BTF: ");
	}
	if (err) {
		diag_prefix(&d, "%s: ", mod->path);
		skip(mod, d.msg);
		mlog(m, BTFAR_LOG_WARN, "skipped %s", d.msg);
	} else {
		mod->ok = true;
	}
done:
	progress(m, "read", atomic_fetch_add(&m->done, 1) + 1, m->mod_cnt);
}

int job_merge_set_base_btf(struct btfar_merge *m, void *btf, size_t size,
			   const char *label)
{
	struct diag d = {""};
	int err;

	if (m->base_ok) {
		free(btf);
		set_err(m, "the base is already set");
		return -EINVAL;
	}
	m->base_file = btf;
	m->base_file_sz = size;
	m->base_is_elf = false;
	err = btf_raw__parse(&m->base, btf, size, NULL, &d);
	if (err) {
		set_err(m, "%s: %s", label, d.msg);
		free(m->base_file);
		m->base_file = NULL;
		return err;
	}
	m->base_path = strdup(label);
	m->base_ok = true;
	m->stats.base_types = m->base.type_cnt;
	return 0;
}

int job_merge_add_module(struct btfar_merge *m, const char *path,
			 const char *name, void *btf, size_t btf_sz,
			 uint64_t bytes_read, const char *reason)
{
	struct module *mod;
	int err;

	err = add_module(m, path);
	if (err) {
		free(btf);
		return err;
	}
	mod = &m->mods[m->mod_cnt - 1];
	if (name && name[0]) {
		char *n = strdup(name);

		if (!n)
			return -ENOMEM;
		free(mod->name);
		mod->name = n;
	}
	mod->btf = btf;
	mod->btf_sz = btf_sz;
	mod->bytes_read = bytes_read;
	atomic_fetch_add(&m->bytes_in, bytes_read);
	if (reason) {
		mod->reason = strdup(reason);
		if (!mod->reason)
			return -ENOMEM;
	}
	return 0;
}

int job_merge_set_module_base(struct btfar_merge *m, const void *btf_base,
			      size_t btf_base_sz)
{
	struct module *mod;

	if (!m->mod_cnt || !m->mods[m->mod_cnt - 1].btf)
		return -EINVAL;
	mod = &m->mods[m->mod_cnt - 1];
	mod->btf_base = btf_base;
	mod->btf_base_sz = btf_base_sz;
	return 0;
}

/* Every name --only asks for must be among the inputs: a typo must not
 * give a blob without the module the user wanted. */
static int check_only(struct btfar_merge *m)
{
	const char *p = m->opts.only;
	char name[256];
	size_t i;

	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);

		if (n && n < sizeof(name)) {
			memcpy(name, p, n);
			name[n] = '\0';
			for (i = 0; i < m->mod_cnt; i++)
				if (job_list_has(name, m->mods[i].name))
					break;
			if (i == m->mod_cnt) {
				set_err(m,
					"--only: no module named '%s' among "
					"the inputs",
					name);
				return -ENOENT;
			}
		}
		p = end ? end + 1 : NULL;
	}
	return 0;
}

static int cmp_module(const void *a, const void *b)
{
	const struct module *x = a, *y = b;

	return strcmp(x->path, y->path);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The output ids of a module's types (ids[], final), as sorted ranges. */
static int module_ranges(struct module *mod, const uint32_t *ids, uint32_t n,
			 uint32_t s0)
{
	uint32_t *v = malloc(((size_t)n + 1) * sizeof(*v)), cnt = 0, i;
	uint32_t *r;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		if (ids[i] >= s0)
			v[cnt++] = ids[i];
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_u32);
	/* at most cnt ranges, two values each */
	r = malloc(((size_t)cnt + 1) * 2 * sizeof(*r));
	if (!r) {
		free(v);
		return -ENOMEM;
	}
	mod->range_cnt = 0;
	mod->final_types = 0;
	for (i = 0; i < cnt; i++) {
		uint32_t *last =
			mod->range_cnt ? &r[2 * (mod->range_cnt - 1)] : NULL;

		if (i && v[i] == v[i - 1])
			continue;
		mod->final_types++;
		if (last && last[0] + last[1] == v[i]) {
			last[1]++;
		} else {
			r[2 * mod->range_cnt] = v[i];
			r[2 * mod->range_cnt + 1] = 1;
			mod->range_cnt++;
		}
	}
	free(v);
	free(mod->ranges);
	mod->ranges = r;
	return 0;
}

static int build_infos(struct btfar_merge *m, const struct renumber_result *rr,
		       const size_t *merged_idx, size_t merged_cnt)
{
	size_t i, k = 0;

	m->infos = calloc(m->mod_cnt ? m->mod_cnt : 1, sizeof(*m->infos));
	if (!m->infos)
		return -ENOMEM;
	for (i = 0; i < m->mod_cnt; i++) {
		struct btfar_module_info *info = &m->infos[i];
		struct module *mod = &m->mods[i];

		info->path = mod->path;
		info->name = mod->name;
		info->merged = mod->ok;
		info->reason = mod->reason;
		if (mod->ok && rr && k < merged_cnt && merged_idx[k] == i) {
			info->type_cnt = rr->type_cnts[k];
			info->first_id = rr->first_id[k];
			k++;
		}
		info->ranges = mod->ranges;
		info->range_cnt = mod->range_cnt;
		info->final_types = mod->final_types;
	}
	return 0;
}

/* --compat: a known version, and self-contained output. */
static int check_compat(struct btfar_merge *m)
{
	enum btf_compat_level level;
	struct diag d = {""};

	if (!m->opts.compat)
		return 0;
	if (btf_compat__parse_level(m->opts.compat, &level, &d)) {
		set_err(m, "compat: %s", d.msg);
		return -EINVAL;
	}
	if (m->opts.split) {
		set_err(m, "compat: split output keeps the base's BTF kinds, "
			   "which old readers load first; compat applies to "
			   "self-contained output only");
		return -EINVAL;
	}
	return 0;
}

/*
 * data (self-contained raw BTF) rewritten for level into *blob (malloc()ed),
 * validated before and after. 0 or -errno with d set.
 */
static int compat_blob(const void *data, size_t size,
		       enum btf_compat_level level, void **blob,
		       size_t *blob_sz, struct btf_compat_stats *st,
		       struct diag *d);

int job_compat_blob(const void *data, size_t size, const char *version,
		    void **blob, size_t *blob_sz, struct diag *d)
{
	struct btf_compat_stats st;
	enum btf_compat_level level;
	int ret;

	ret = btf_compat__parse_level(version, &level, d);
	if (ret)
		diag_prefix(d, "compat: ");
	else
		ret = compat_blob(data, size, level, blob, blob_sz, &st, d);
	return ret;
}

static int compat_blob(const void *data, size_t size,
		       enum btf_compat_level level, void **blob,
		       size_t *blob_sz, struct btf_compat_stats *st,
		       struct diag *d)
{
	struct btf_raw raw = {0};
	int err;

	*blob = NULL;
	err = btf_raw__parse(&raw, data, size, NULL, d);
	if (!err) {
		*blob = btf_compat__rewrite(&raw, level, st, blob_sz, d);
		err = *blob ? 0 : -errno;
	}
	btf_raw__release(&raw);
	if (!err) {
		err = btf_raw__parse(&raw, *blob, *blob_sz, NULL, d);
		btf_raw__release(&raw);
	}
	if (err) {
		free(*blob);
		*blob = NULL;
	}
	return err;
}

/*
 * The second emit thread: each module's types mapped to their final ids
 * and its ranges (when the engine tells), output blob, compat rewrite,
 * its SHA-256; beside the validation of the output on the first thread.
 */
struct finisher {
	struct btfar_merge *m;
	const void *split; /* the final split BTF, read-only here */
	size_t split_sz;
	struct renumber_result *rr; /* id_maps rewritten to final ids */
	const uint32_t *id_map;	    /* dedup's; NULL: ranges not known */
	const struct btf_raw **merged;
	const size_t *merged_idx;
	size_t merged_cnt;
	int err;
};

static int emit_compat(struct btfar_merge *m);

/* module type -> merged id -> final id, and the ranges of final ids */
static int final_ids(struct finisher *f)
{
	struct btfar_merge *m = f->m;
	uint32_t s0 = btf_raw__type_cnt(&m->base), j;
	size_t i;

	if (!f->id_map)
		return 0;
	for (i = 0; i < f->merged_cnt; i++) {
		struct module *mod = &m->mods[f->merged_idx[i]];
		struct btfar_module_info *info = &m->infos[f->merged_idx[i]];
		uint32_t *ids = f->rr->id_maps[i];

		for (j = 0; j < f->merged[i]->type_cnt; j++)
			if (ids[j] >= s0)
				ids[j] = f->id_map[ids[j] - s0];
		if (module_ranges(mod, ids, f->merged[i]->type_cnt, s0)) {
			set_err(m, "out of memory");
			return -ENOMEM;
		}
		info->ranges = mod->ranges;
		info->range_cnt = mod->range_cnt;
		info->final_types = mod->final_types;
	}
	return 0;
}

static void *finish_output(void *arg)
{
	struct finisher *f = arg;
	struct btfar_merge *m = f->m;

	f->err = final_ids(f);
	if (f->err)
		return NULL;

	if (m->opts.split) {
		m->out = (void *)f->split; /* the split blob itself */
		m->out_sz = f->split_sz;
	} else {
		m->out = btf_raw__join_bytes(&m->base, f->split, f->split_sz,
					     &m->out_sz);
		if (!m->out) {
			f->err = -errno;
			set_err(m, "cannot build the self-contained blob: %s",
				strerror(errno));
			return NULL;
		}
	}
	if (m->opts.compat) {
		f->err = emit_compat(m);
		if (f->err)
			return NULL;
	}
	sha256_hex(m->out, m->out_sz, m->out_sha256);
	return NULL;
}

/* Rewrites m->out for the compat level. */
static int emit_compat(struct btfar_merge *m)
{
	struct btf_compat_stats st;
	enum btf_compat_level level;
	struct diag d = {""};
	void *blob;
	size_t size = 0;
	int err;

	btf_compat__parse_level(m->opts.compat, &level, &d);
	err = compat_blob(m->out, m->out_sz, level, &blob, &size, &st, &d);
	if (err) {
		set_err(m, "compat %s: %s", btf_compat__level_name(level),
			d.msg);
		return err;
	}
	mlog(m, BTFAR_LOG_INFO,
	     "compat %s: %u FLOAT, %u DECL_TAG, %u TYPE_TAG, %u ENUM64 as "
	     "ENUM, %u ENUM64 as UNION, %u ENUM signedness, %u attribute "
	     "DECL_TAG, %u attribute TYPE_TAG rewritten%s",
	     btf_compat__level_name(level), st.floats, st.decl_tags,
	     st.type_tags, st.enum64_enums, st.enum64_unions, st.enum_kflags,
	     st.attr_decl_tags, st.attr_type_tags,
	     st.layout_dropped ? ", layout section left out" : "");
	free(m->out);
	m->out = blob;
	m->out_sz = size;
	return 0;
}

int btfar_compat_write(const void *data, size_t size, const char *version,
		       const char *path, char *err, size_t err_sz)
{
	struct btf_compat_stats st;
	enum btf_compat_level level;
	struct diag d = {""};
	void *blob = NULL;
	size_t blob_sz = 0;
	int ret;

	ret = btf_compat__parse_level(version, &level, &d);
	if (ret) {
		diag_prefix(&d, "compat: ");
	} else {
		ret = compat_blob(data, size, level, &blob, &blob_sz, &st, &d);
		if (ret)
			diag_prefix(&d, "compat %s: ",
				    btf_compat__level_name(level));
	}
	if (!ret) {
		ret = file_write_atomic(path, blob, blob_sz, &d);
		if (ret)
			diag_prefix(&d, "%s: ", path);
	}
	if (ret && err && err_sz)
		snprintf(err, err_sz, "%s", d.msg);
	free(blob);
	return ret;
}

/* What a run no longer needs once its output is made. */
struct leftovers {
	struct btfar_merge *m;
	struct renumber_result rr;
	struct dedup_result dr;
};

static void *release_leftovers(void *arg)
{
	struct leftovers *l = arg;
	struct btfar_merge *m = l->m;
	size_t i;

	/* the per-module BTF: only the modules' names, paths and ranges are
	 * read after the run, never these two */
	for (i = 0; i < m->mod_cnt; i++) {
		btf_raw__release(&m->mods[i].raw);
		free(m->mods[i].btf);
		m->mods[i].btf = NULL;
	}
	renumber_result__release(&l->rr);
	dedup_result_release(&l->dr);
	free(l);
	return NULL;
}

/*
 * Gives back the modules' BTF, the merged types and dedup's map (on 7.2's
 * 4,216 modules about 0.02 s of free() and munmap()) on a thread of its
 * own, joined by job_merge_settle (btfar_build__write, once the output is
 * written) or btfar_merge__free: the caller goes on meanwhile instead of
 * waiting for it. *rr and *dr are
 * taken over (zeroed).
 */
static void release_beside(struct btfar_merge *m, struct renumber_result *rr,
			   struct dedup_result *dr)
{
	struct leftovers *l = malloc(sizeof(*l));

	if (l) {
		*l = (struct leftovers){.m = m, .rr = *rr, .dr = *dr};
		memset(rr, 0, sizeof(*rr));
		memset(dr, 0, sizeof(*dr));
		m->leftover_started = !pthread_create(&m->leftover_tid, NULL,
						      release_leftovers, l);
		if (!m->leftover_started)
			release_leftovers(l);
		return;
	}
	/* no memory for the hand-over: here and now */
	for (size_t i = 0; i < m->mod_cnt; i++) {
		btf_raw__release(&m->mods[i].raw);
		free(m->mods[i].btf);
		m->mods[i].btf = NULL;
	}
}

int btfar_merge__run(struct btfar_merge *m)
{
	struct renumber_opts ropts = {
		.drop_datasec = m->opts.datasec == BTFAR_DATASEC_DROP,
		.jobs = m->opts.jobs,
	};
	struct renumber_result rr = {0};
	struct dedup_result dr = {0};
	const struct btf_raw **merged = NULL;
	const char **merged_names = NULL;
	size_t *merged_idx = NULL, merged_cnt = 0, found, i, w;
	struct btf_raw split = {0};
	void *split_raw = NULL;
	size_t split_sz = 0;
	uint64_t split_type_cnt = 0;
	struct finisher fin = {0};
	pthread_t fin_tid;
	bool fin_started = false;
	struct diag d = {""};
	double t0, t1;
	int err;

	if (!m->base_ok) {
		set_err(m, "no base: set the vmlinux BTF first");
		return -EINVAL;
	}
	if (m->out) {
		set_err(m, "already run");
		return -EINVAL;
	}
	err = check_compat(m);
	if (err)
		return err;

	/* no module at all: never a silent vmlinux-only blob */
	if (!m->mod_cnt && !m->allow_no_module) {
		if (!m->input_cnt) {
			set_err(m, "no module given: add module files or "
				   "directories before running the merge");
		} else {
			job_no_module_error((const char *const *)m->inputs,
					    m->input_cnt, &m->in, &d);
			set_err(m, "%s", d.msg);
		}
		return -ENOENT;
	}
	found = m->mod_cnt;

	/* sorted, duplicates removed, filtered: the merge order */
	if (m->mod_cnt)
		qsort(m->mods, m->mod_cnt, sizeof(*m->mods), cmp_module);
	for (i = 0, w = 0; i < m->mod_cnt; i++) {
		struct module *mod = &m->mods[i];

		if ((w && !strcmp(m->mods[w - 1].path, mod->path)) ||
		    (m->opts.only && !job_list_has(m->opts.only, mod->name)) ||
		    (m->opts.exclude &&
		     job_list_has(m->opts.exclude, mod->name))) {
			module_release(mod);
			continue;
		}
		m->mods[w++] = *mod;
	}
	m->mod_cnt = w;
	m->stats.modules_found = (uint32_t)m->mod_cnt;
	err = check_only(m);
	if (err)
		return err;
	if (!m->mod_cnt && !m->allow_no_module) {
		set_err(m,
			"no module left to merge: %s%s%s%s%s leave%s none of "
			"the %zu found in the inputs",
			m->opts.only ? "--only " : "",
			m->opts.only ? m->opts.only : "",
			m->opts.only && m->opts.exclude ? " and " : "",
			m->opts.exclude ? "--exclude " : "",
			m->opts.exclude ? m->opts.exclude : "",
			m->opts.only && m->opts.exclude ? "" : "s", found);
		return -ENOENT;
	}

	t0 = mono_seconds();
	pool_run(m->mod_cnt, m->opts.jobs, read_one, m);
	t1 = mono_seconds();
	m->stats.t_read = t1 - t0;
	m->stats.bytes_read = atomic_load(&m->bytes_in);

	merged = calloc(m->mod_cnt ? m->mod_cnt : 1, sizeof(*merged));
	merged_idx = calloc(m->mod_cnt ? m->mod_cnt : 1, sizeof(*merged_idx));
	merged_names =
		calloc(m->mod_cnt ? m->mod_cnt : 1, sizeof(*merged_names));
	if (!merged || !merged_idx || !merged_names) {
		err = -ENOMEM;
		set_err(m, "out of memory");
		goto out;
	}
	for (i = 0; i < m->mod_cnt; i++) {
		if (!m->mods[i].ok)
			continue;
		merged_idx[merged_cnt] = i;
		merged[merged_cnt++] = &m->mods[i].raw;
	}
	m->stats.modules_merged = (uint32_t)merged_cnt;
	m->stats.modules_skipped = (uint32_t)(m->mod_cnt - merged_cnt);
	if (m->opts.strict && m->stats.modules_skipped) {
		err = -EINVAL;
		set_err(m, "%u module(s) skipped and --strict is set",
			m->stats.modules_skipped);
		build_infos(m, NULL, NULL, 0);
		goto out;
	}

	/* merge */
	progress(m, "merge", 0, 1);
	t0 = mono_seconds();
	err = renumber_merge(&m->base, merged, merged_cnt, &ropts, &rr, &d);
	if (err) {
		set_err(m, "merge: %s", d.msg);
		goto out;
	}
	/* the merged split BTF as one blob: the output with --no-dedup, the
	 * input of libbpf's engine; refine reads rr's sections (54 MB not
	 * copied on 6.12) */
	split_sz = BTF_RAW_HDR_LEN + (size_t)rr.types_len + rr.str_len;
	if (m->opts.no_dedup || m->opts.dedup_engine == BTFAR_DEDUP_LIBBPF) {
		split_raw = btf_raw__write(rr.types, rr.types_len, rr.strs,
					   rr.str_len, &split_sz);
		if (!split_raw) {
			err = -ENOMEM;
			set_err(m, "out of memory");
			goto out;
		}
	}
	m->stats.types_before = rr.type_cnt;
	split_type_cnt = rr.type_cnt;
	m->stats.bytes_before = split_sz;
	m->stats.datasec_dropped = rr.dropped;
	err = build_infos(m, &rr, merged_idx, merged_cnt);
	if (err) {
		set_err(m, "out of memory");
		goto out;
	}
	t1 = mono_seconds();
	m->stats.t_merge = t1 - t0;

	/* dedup */
	t0 = mono_seconds();
	if (!m->opts.no_dedup) {
		struct dedup_input in = {
			.base = &m->base,
			.split = split_raw,
			.split_sz = split_sz,
			.types = rr.types,
			.types_len = rr.types_len,
			.type_offs = rr.type_offs,
			.type_cnt = rr.type_cnt,
			.strs = rr.strs,
			.str_len = rr.str_len,
			.jobs = m->opts.jobs,
			.keep_unreachable = m->opts.keep_unreachable,
			.mod_first = rr.first_id,
			.mod_cnt = (uint32_t)rr.mod_cnt,
		};

		progress(m, "dedup", 0, 1);
		err = dedup_run(m->opts.dedup_engine, &in, &dr, &d);
		if (err) {
			set_err(m, "dedup: %s", d.msg);
			goto out;
		}
		m->stats.unreachable_dropped = dr.unreachable;
		free(split_raw);
		split_raw = dr.raw;
		split_sz = dr.size;
		split_type_cnt = dr.type_cnt;
		dr.raw = NULL;
		if (dr.unreachable)
			mlog(m, BTFAR_LOG_INFO,
			     "dedup: %u module types reachable from no named "
			     "type dropped (%u bytes; --keep-unreachable "
			     "keeps them)",
			     dr.unreachable, dr.unreachable_bytes);
	}
	t1 = mono_seconds();
	m->stats.t_dedup = t1 - t0;

	/* emit: the output is built and hashed on a second thread while
	 * this one validates what is handed out and finds collisions */
	progress(m, "write", 0, 1);
	t0 = mono_seconds();
	if ((uint64_t)btf_raw__type_cnt(&m->base) - 1 + split_type_cnt >
	    BTF_MAX_TYPE) {
		err = -E2BIG;
		set_err(m,
			"the output would hold %llu types, over the limit of "
			"%u "
			"that the kernel and BTF readers accept; %s",
			(unsigned long long)btf_raw__type_cnt(&m->base) - 1 +
				split_type_cnt,
			BTF_MAX_TYPE,
			m->opts.no_dedup ? "deduplicate (drop --no-dedup) or "
					   "merge fewer modules (--only, "
					   "--exclude)"
					 : "merge fewer modules (--only, "
					   "--exclude)");
		goto out;
	}
	fin = (struct finisher){
		.m = m,
		.split = split_raw,
		.split_sz = split_sz,
		.rr = &rr,
		.id_map = dr.id_map,
		.merged = merged,
		.merged_idx = merged_idx,
		.merged_cnt = merged_cnt,
	};
	fin_started = !pthread_create(&fin_tid, NULL, finish_output, &fin);
	if (!fin_started)
		finish_output(&fin);
	err = btf_raw__parse(&split, split_raw, split_sz, &m->base, &d);
	if (err) {
		set_err(m, "internal error: merged BTF does not validate: %s",
			d.msg);
		goto out;
	}
	m->stats.types_after = split.type_cnt;
	m->stats.bytes_after = split_sz;
	for (i = 0; i < merged_cnt; i++)
		merged_names[i] = m->mods[merged_idx[i]].name;
	if (fin_started)
		pthread_join(fin_tid, NULL);
	fin_started = false;
	if (fin.err) {
		err = fin.err;
		goto out;
	}
	err = m->opts.no_collisions
		      ? 0
		      : collisions_find(
				&m->coll, &m->base, &split, merged,
				merged_names, merged_cnt,
				dr.id_map ? (const uint32_t *const *)rr.id_maps
					  : NULL,
				&d);
	if (err) {
		set_err(m, "collisions: %s", d.msg);
		goto out;
	}
	/* the per-module BTF is no longer needed: give the memory back */
	release_beside(m, &rr, &dr);
	/* collision names point into the split blob: it stays */
	m->split_raw = split_raw;
	split_raw = NULL;
	t1 = mono_seconds();
	m->stats.t_emit = t1 - t0;
	err = (int)m->stats.modules_skipped;
out:
	if (fin_started)
		pthread_join(fin_tid, NULL);
	if (err < 0 && m->out && m->out != split_raw) {
		free(m->out);
		m->out = NULL;
	} else if (err < 0 && m->out == split_raw) {
		m->out = NULL;
	}
	btf_raw__release(&split);
	free(split_raw);
	free(merged);
	free(merged_idx);
	free(merged_names);
	renumber_result__release(&rr);
	dedup_result_release(&dr);
	return err;
}

int btfar_merge__write(struct btfar_merge *m, const char *path)
{
	struct diag d = {""};
	int err;

	if (!m->out) {
		set_err(m, "nothing to write: run the merge first");
		return -EINVAL;
	}
	err = file_write_atomic(path, m->out, m->out_sz, &d);
	if (err)
		set_err(m, "%s: %s", path, d.msg);
	return err;
}

const void *btfar_merge__data(const struct btfar_merge *m, size_t *size)
{
	*size = m->out_sz;
	return m->out;
}

const struct btfar_merge_stats *btfar_merge__stats(const struct btfar_merge *m)
{
	return &m->stats;
}

size_t btfar_merge__module_cnt(const struct btfar_merge *m)
{
	return m->infos ? m->mod_cnt : 0;
}

const struct btfar_module_info *btfar_merge__module(const struct btfar_merge *m,
						    size_t idx)
{
	return m->infos && idx < m->mod_cnt ? &m->infos[idx] : NULL;
}

size_t btfar_merge__collision_cnt(const struct btfar_merge *m)
{
	return m->coll.cnt;
}

const struct btfar_collision *
btfar_merge__collision(const struct btfar_merge *m, size_t idx)
{
	return idx < m->coll.cnt ? &m->coll.items[idx] : NULL;
}

void job_merge_settle(struct btfar_merge *m)
{
	if (m->leftover_started)
		pthread_join(m->leftover_tid, NULL);
	m->leftover_started = false;
}

const char *job_merge_sha256(const struct btfar_merge *m)
{
	return m->out ? m->out_sha256 : "";
}

const void *job_merge_base(const struct btfar_merge *m, size_t *size)
{
	if (!m->base_ok)
		return NULL;
	*size = m->base.size;
	return m->base.data;
}

const struct btf_raw *job_merge_base_raw(const struct btfar_merge *m)
{
	return m->base_ok ? &m->base : NULL;
}
