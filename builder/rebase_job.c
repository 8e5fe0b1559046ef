// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Rebase: modules encoded on one vmlinux build rewritten onto another
 * (merge/rebase), each module read, rebased, validated on the new base and
 * written as raw split BTF (OUTDIR/NAME.btf), or refused with the list of
 * what the new base lacks.
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
#include "merge/rebase.h"

struct rebase_mod {
	char *path;
	char name[64];
	bool ok;
	char reason[DIAG_MAX];
	void *out; /* rebased raw split BTF */
	size_t out_sz;
};

struct rebase_run {
	struct rebase_map *map;
	const struct btf_raw *old_base, *new_base;
	const struct elf_btf *old_elf;
	struct rebase_mod *mods;
};

static void rebase_one(size_t i, void *ctx)
{
	struct rebase_run *r = ctx;
	struct rebase_mod *rm = &r->mods[i];
	struct btf_raw split = {0}, check = {0};
	struct job_module jm = {0};
	struct diag d = {""};
	uint64_t read = 0;
	char *name;
	int err;

	err = job_read_module(rm->path, r->old_elf, 1ull << 30, 1000, &jm,
			      &read, &d);
	if (!err) {
		err = btf_raw__parse(&split, jm.btf, jm.btf_sz, r->old_base,
				     &d);
		if (err)
			diag_prefix(&d, "not valid on the old base: .BTF: ");
	}
	if (!err)
		err = rebase_split(r->map, &split, &rm->out, &rm->out_sz, &d);
	if (!err) {
		/* what is handed out must hold on the new base */
		err = btf_raw__parse(&check, rm->out, rm->out_sz, r->new_base,
				     &d);
		if (err)
			diag_prefix(&d, "internal: rebased BTF does not "
					"validate: ");
	}
	name = job_module_name(rm->path);
	snprintf(rm->name, sizeof(rm->name), "%s",
		 jm.name[0] ? jm.name : (name ? name : ""));
	free(name);
	if (err) {
		snprintf(rm->reason, sizeof(rm->reason), "%s", d.msg);
		free(rm->out);
		rm->out = NULL;
	} else {
		rm->ok = true;
	}
	btf_raw__release(&check);
	btf_raw__release(&split);
	free(jm.btf);
}

int btfar_rebase(const char *old_base, const char *new_base,
		 const char *const *inputs, size_t input_cnt,
		 const char *outdir, int jobs, btfar_rebase_fn fn, void *ctx,
		 struct btfar_rebase_stats *stats, char *err_buf, size_t err_sz)
{
	struct rebase_run r = {0};
	struct btf_raw ob = {0}, nb = {0};
	void *of = NULL, *nf = NULL;
	size_t os = 0, ns = 0, cnt = 0, i;
	struct elf_btf oelf, nelf;
	bool oe = false, ne = false;
	char **paths = NULL;
	struct diag d = {""};
	int err;

	memset(stats, 0, sizeof(*stats));
	err = job_load_base(old_base, &of, &os, &oelf, &oe, &ob, &d);
	if (err) {
		diag_prefix(&d, "%s: ", old_base);
		goto out;
	}
	err = job_load_base(new_base, &nf, &ns, &nelf, &ne, &nb, &d);
	if (err) {
		diag_prefix(&d, "%s: ", new_base);
		goto out;
	}
	if (mkdir(outdir, 0755) < 0 && errno != EEXIST) {
		err = -errno;
		diag_set(&d, "%s: cannot create: %s", outdir, strerror(errno));
		goto out;
	}
	err = job_collect_modules(inputs, input_cnt, &paths, &cnt, &d);
	if (err)
		goto out;
	r.map = rebase_map__new(&ob, &nb);
	r.mods = calloc(cnt ? cnt : 1, sizeof(*r.mods));
	if (!r.map || !r.mods) {
		err = -ENOMEM;
		diag_set(&d, "out of memory");
		goto out;
	}
	r.old_base = &ob;
	r.new_base = &nb;
	r.old_elf = oe ? &oelf : NULL;
	for (i = 0; i < cnt; i++)
		r.mods[i].path = paths[i];
	pool_run(cnt, jobs, rebase_one, &r);
	for (i = 0; i < cnt; i++) {
		struct rebase_mod *rm = &r.mods[i];
		struct btfar_rebase_result res = {
			.path = rm->path,
			.name = rm->name,
			.rebased = rm->ok,
			.reason = rm->ok ? NULL : rm->reason,
		};
		char *out = NULL;

		stats->modules++;
		if (rm->ok) {
			if (asprintf(&out, "%s/%s.btf", outdir, rm->name) < 0) {
				err = -ENOMEM;
				diag_set(&d, "out of memory");
				goto out;
			}
			err = file_write_atomic(out, rm->out, rm->out_sz, &d);
			if (err) {
				diag_prefix(&d, "%s: ", out);
				free(out);
				goto out;
			}
			res.output = out;
			stats->rebased++;
		} else {
			stats->refused++;
		}
		if (fn)
			fn(&res, ctx);
		free(out);
	}
	err = stats->refused ? 1 : 0;
out:
	if (err < 0 && err_buf && err_sz)
		snprintf(err_buf, err_sz, "%s", d.msg);
	for (i = 0; r.mods && i < cnt; i++)
		free(r.mods[i].out);
	free(r.mods);
	job_free_paths(paths, cnt);
	rebase_map__free(r.map);
	btf_raw__release(&ob);
	btf_raw__release(&nb);
	free(of);
	free(nf);
	return err;
}
