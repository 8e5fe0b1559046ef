// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Distilled base BTF in the pipelines: modules carrying a .BTF.base are
 * relocated onto the base they are merged on (job_relocate_distilled), and
 * btfar distill writes, for modules encoded on a base, a distilled base and
 * split BTF on it (OUTDIR/NAME.btf.base, OUTDIR/NAME.btf), for pahole
 * versions that cannot (merge/distill).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "btfar/btfar.h"
#include "builder/job.h"
#include "builder/pool.h"
#include "formats/btf_raw.h"
#include "formats/file.h"
#include "merge/distill.h"
#include "merge/rebase.h"

int job_relocate_distilled(struct rebase_map **index, pthread_mutex_t *lock,
			   const struct btf_raw *base, struct job_module *jm,
			   struct diag *d)
{
	struct btf_raw dist = {0}, split = {0};
	struct rebase_map *ix;
	void *out = NULL;
	size_t out_sz = 0;
	int err;

	pthread_mutex_lock(lock);
	if (!*index)
		*index = rebase_map_new(NULL, base);
	ix = *index;
	pthread_mutex_unlock(lock);
	if (!ix) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	err = btf_raw__parse(&dist, jm->btf_base, jm->btf_base_sz, NULL, d);
	if (err) {
		diag_prefix(d, ".BTF.base: ");
		goto out;
	}
	err = btf_raw__parse(&split, jm->btf, jm->btf_sz, &dist, d);
	if (err) {
		diag_prefix(d, ".BTF (on its .BTF.base): ");
		goto out;
	}
	err = distill_relocate(ix, base, &dist, &split, &out, &out_sz, d);
	if (err)
		goto out;
	btf_raw__release(&split);
	btf_raw__release(&dist);
	free(jm->btf);
	jm->btf = out;
	jm->btf_sz = out_sz;
	jm->btf_base = NULL;
	jm->btf_base_sz = 0;
	return 0;
out:
	btf_raw__release(&split);
	btf_raw__release(&dist);
	return err;
}

struct distill_mod {
	char *path;
	char name[64];
	bool ok;
	char reason[DIAG_MAX];
	void *dist, *split;
	size_t dist_sz, split_sz;
};

struct distill_run {
	const struct rebase_map *index; /* the base's, shared (read-only) */
	const struct btf_raw *base;
	const struct elf_btf *base_elf;
	struct distill_mod *mods;
};

static void distill_one(size_t i, void *ctx)
{
	struct distill_run *r = ctx;
	struct distill_mod *dm = &r->mods[i];
	struct btf_raw split = {0}, db = {0}, ds = {0};
	struct job_module jm = {0};
	struct diag d = {""};
	uint64_t read = 0;
	char *name;
	int err;

	err = job_read_module(dm->path, r->base_elf, 1ull << 30, 1000, &jm,
			      &read, &d);
	if (!err && jm.btf_base) {
		diag_set(&d, "has a .BTF.base already");
		err = -EINVAL;
	}
	if (!err) {
		err = btf_raw__parse(&split, jm.btf, jm.btf_sz, r->base, &d);
		if (err)
			diag_prefix(&d, "not valid on the base: .BTF: ");
	}
	if (!err)
		err = distill_make(r->index, r->base, &split, &dm->dist,
				   &dm->dist_sz, &dm->split, &dm->split_sz, &d);
	if (!err) {
		/* what is handed out must hold, and relocate back */
		err = btf_raw__parse(&db, dm->dist, dm->dist_sz, NULL, &d);
		if (!err)
			err = btf_raw__parse(&ds, dm->split, dm->split_sz, &db,
					     &d);
		if (err)
			diag_prefix(&d, "internal: distilled BTF does not "
					"validate: ");
	}
	name = job_module_name(dm->path);
	snprintf(dm->name, sizeof(dm->name), "%s",
		 jm.name[0] ? jm.name : (name ? name : ""));
	free(name);
	if (err) {
		snprintf(dm->reason, sizeof(dm->reason), "%s", d.msg);
		free(dm->dist);
		free(dm->split);
		dm->dist = dm->split = NULL;
	} else {
		dm->ok = true;
	}
	btf_raw__release(&ds);
	btf_raw__release(&db);
	btf_raw__release(&split);
	free(jm.btf);
}

/* OUTDIR/NAME + ext into the batch; *path malloc()ed. */
static int write_out(struct file_batch *batch, const char *outdir,
		     const char *name, const char *ext, const void *data,
		     size_t size, char **path, struct diag *d)
{
	int err;

	if (asprintf(path, "%s/%s%s", outdir, name, ext) < 0) {
		*path = NULL;
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	err = file_batch__add(batch, *path, data, size, d);
	if (err)
		diag_prefix(d, "%s: ", *path);
	return err;
}

int btfar_distill(const char *base_path, const char *const *inputs,
		  size_t input_cnt, const char *outdir, int jobs,
		  btfar_distill_fn fn, void *ctx,
		  struct btfar_distill_stats *stats, char *err_buf,
		  size_t err_sz)
{
	struct distill_run r = {0};
	struct rebase_map *index = NULL;
	struct file_batch *batch = NULL;
	char **outs = NULL;
	struct btf_raw base = {0};
	void *bf = NULL;
	size_t bs = 0, cnt = 0, i;
	struct elf_btf belf;
	bool be = false;
	struct job_inputs in = {0};
	char **paths = NULL;
	struct diag d = {""};
	int err;

	memset(stats, 0, sizeof(*stats));
	err = job_load_base(base_path, &bf, &bs, &belf, &be, &base, &d);
	if (err) {
		diag_prefix(&d, "%s: ", base_path);
		goto out;
	}
	/* the inputs first: no output directory for inputs without a
	 * module */
	err = job_collect_modules(inputs, input_cnt, &paths, &cnt, &in, &d);
	if (!err && !cnt)
		err = job_no_module_error(inputs, input_cnt, &in, &d);
	if (err)
		goto out;
	if (mkdir(outdir, 0755) < 0 && errno != EEXIST) {
		err = -errno;
		diag_set(&d, "%s: cannot create: %s", outdir, strerror(errno));
		goto out;
	}
	r.mods = calloc(cnt ? cnt : 1, sizeof(*r.mods));
	/* the base's name index, once for every module */
	index = rebase_map_new(NULL, &base);
	if (!r.mods || !index) {
		err = -ENOMEM;
		diag_set(&d, "out of memory");
		goto out;
	}
	r.index = index;
	r.base = &base;
	r.base_elf = be ? &belf : NULL;
	for (i = 0; i < cnt; i++)
		r.mods[i].path = paths[i];
	pool_run(cnt, jobs, distill_one, &r);
	/* the outputs, all made durable at once (formats/file: a batch) */
	batch = file_batch__new();
	outs = calloc(cnt ? 2 * cnt : 1, sizeof(*outs));
	if (!batch || !outs) {
		err = -ENOMEM;
		diag_set(&d, "out of memory");
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		struct distill_mod *dm = &r.mods[i];

		if (!dm->ok)
			continue;
		err = write_out(batch, outdir, dm->name, ".btf", dm->split,
				dm->split_sz, &outs[2 * i], &d);
		if (!err)
			err = write_out(batch, outdir, dm->name, ".btf.base",
					dm->dist, dm->dist_sz, &outs[2 * i + 1],
					&d);
		if (err)
			goto out;
	}
	err = file_batch__commit(batch, &d);
	if (err)
		goto out;
	for (i = 0; i < cnt; i++) {
		struct distill_mod *dm = &r.mods[i];
		struct btfar_distill_result res = {
			.path = dm->path,
			.name = dm->name,
			.distilled = dm->ok,
			.output = outs[2 * i],
			.output_base = outs[2 * i + 1],
			.reason = dm->ok ? NULL : dm->reason,
		};

		stats->modules++;
		if (dm->ok)
			stats->distilled++;
		else
			stats->refused++;
		if (fn)
			fn(&res, ctx);
	}
	err = stats->refused ? 1 : 0;
out:
	if (err < 0 && err_buf && err_sz)
		snprintf(err_buf, err_sz, "%s", d.msg);
	for (i = 0; r.mods && i < cnt; i++) {
		free(r.mods[i].dist);
		free(r.mods[i].split);
	}
	free(r.mods);
	for (i = 0; outs && i < 2 * cnt; i++)
		free(outs[i]);
	free(outs);
	file_batch__free(batch);
	job_free_paths(paths, cnt);
	rebase_map_free(index);
	btf_raw__release(&base);
	free(bf);
	return err;
}
