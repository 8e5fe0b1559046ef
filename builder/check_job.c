// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Check: does each module's split BTF fit a given base?
 *
 * Two kinds of evidence, both reported:
 * - identity: the release in the module's vermagic against the release in
 *   the base's version banner (when the base is a kernel image or vmlinux
 *   ELF that has one);
 * - structure: the split BTF validated on the base (formats/btf_raw): type
 *   ids in range, name offsets below the base's string length landing on
 *   the start of a string, every referenced base type of the kind, and
 *   every member, array element and variable of the size, that the
 *   module's use implies. A module built on another build of the kernel
 *   fails these on its first reference into what moved.
 * A module is OK only when both agree; structure alone decides when the
 * identity is unknown. A module with a distilled base (.BTF.base) is
 * relocated onto the base first (merge/distill, as merge does): a
 * .BTF.base that does not relocate (a name not found, several
 * candidates, a size that differs) is the structural evidence; one that
 * does gives split BTF on the base, checked as above.
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
#include "formats/btf_raw.h"
#include "merge/rebase.h"

struct check_mod {
	char *path;
	char name[64];
	char vermagic[256];
	bool ok;
	bool relocated; /* from its .BTF.base */
	char evidence[DIAG_MAX];
};

struct check {
	const struct btf_raw *base;
	const struct elf_btf *base_elf;
	const char *base_release; /* "" if unknown */
	struct check_mod *mods;
	size_t cnt;
	struct rebase_map *dist_index; /* the base's, made on first use */
	pthread_mutex_t lock;
};

/* The module's split BTF on the base: relocated from its .BTF.base, if
 * it has one, then validated. */
static int check_structure(struct check *c, struct check_mod *cm,
			   struct job_module *jm, struct btf_raw *raw,
			   struct diag *d)
{
	int err;

	if (jm->btf_base) {
		err = job_relocate_distilled(&c->dist_index, &c->lock, c->base,
					     jm, d);
		if (err) {
			diag_prefix(d, ".BTF.base: ");
			return err;
		}
		cm->relocated = true;
	}
	err = btf_raw__parse(raw, jm->btf, jm->btf_sz, c->base, d);
	if (err)
		diag_prefix(d, ".BTF: ");
	return err;
}

static void check_one(size_t i, void *ctx)
{
	struct check *c = ctx;
	struct check_mod *cm = &c->mods[i];
	struct job_module jm = {0};
	struct btf_raw raw = {0};
	struct diag d = {""};
	uint64_t read = 0;
	size_t n;
	int err;

	err = job_read_module(cm->path, c->base_elf, 1ull << 30, 1000, &jm,
			      &read, &d);
	if (err) {
		snprintf(cm->evidence, sizeof(cm->evidence),
			 "unreadable: %.900s", d.msg);
		goto out;
	}
	snprintf(cm->name, sizeof(cm->name), "%s", jm.name);
	snprintf(cm->vermagic, sizeof(cm->vermagic), "%s", jm.vermagic);
	n = strcspn(jm.vermagic, " ");
	if (c->base_release[0] && jm.vermagic[0] &&
	    (n != strlen(c->base_release) ||
	     strncmp(jm.vermagic, c->base_release, n))) {
		snprintf(cm->evidence, sizeof(cm->evidence),
			 "identity: vermagic says %.*s, the base is %s", (int)n,
			 jm.vermagic, c->base_release);
		/* the structural evidence is worth reporting too */
		if (check_structure(c, cm, &jm, &raw, &d)) {
			size_t len = strlen(cm->evidence);

			snprintf(cm->evidence + len, sizeof(cm->evidence) - len,
				 "; structure: %s", d.msg);
		}
		goto out;
	}
	err = check_structure(c, cm, &jm, &raw, &d);
	if (err) {
		snprintf(cm->evidence, sizeof(cm->evidence),
			 "structure: %.900s", d.msg);
		goto out;
	}
	cm->ok = true;
out:
	btf_raw__release(&raw);
	free(jm.btf);
}

int btfar_check(const char *base_path, const char *const *inputs,
		size_t input_cnt, const struct btfar_check_opts *opts,
		btfar_check_fn fn, void *ctx, struct btfar_check_stats *stats,
		char *err_buf, size_t err_sz)
{
	struct check c = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct job_inputs in = {0};
	struct btf_raw base = {0};
	char **paths = NULL;
	size_t path_cnt = 0;
	void *base_file = NULL;
	size_t base_sz = 0, i;
	struct elf_btf base_elf;
	bool is_elf = false;
	char rel[128];
	struct diag d = {""};
	int err;

	memset(stats, 0, sizeof(*stats));
	/* the base's banner names its release (identity evidence) */
	err = job_load_base_release(base_path, &base_file, &base_sz, &base_elf,
				    &is_elf, &base, rel, sizeof(rel), &d);
	if (err) {
		diag_prefix(&d, "%s: ", base_path);
		goto out;
	}
	if (opts && opts->release)
		snprintf(rel, sizeof(rel), "%s", opts->release);
	c.base = &base;
	c.base_elf = is_elf ? &base_elf : NULL;
	c.base_release = rel;
	err = job_collect_modules(inputs, input_cnt, &paths, &path_cnt, &in,
				  &d);
	if (!err && !path_cnt)
		err = job_no_module_error(inputs, input_cnt, &in, &d);
	if (err)
		goto out;
	c.mods = calloc(path_cnt ? path_cnt : 1, sizeof(*c.mods));
	if (!c.mods) {
		err = -ENOMEM;
		diag_set(&d, "out of memory");
		goto out;
	}
	for (i = 0; i < path_cnt; i++) {
		c.mods[i].path = paths[i]; /* sorted already */
		paths[i] = NULL;
	}
	c.cnt = path_cnt;
	pool_run(c.cnt, opts ? opts->jobs : 0, check_one, &c);
	for (i = 0; i < c.cnt; i++) {
		struct btfar_check_result r = {
			.path = c.mods[i].path,
			.name = c.mods[i].name,
			.vermagic = c.mods[i].vermagic,
			.ok = c.mods[i].ok,
			.relocated = c.mods[i].relocated,
			.evidence = c.mods[i].ok ? NULL : c.mods[i].evidence,
		};

		stats->modules++;
		if (r.ok)
			stats->ok++;
		else
			stats->mismatched++;
		if (fn)
			fn(&r, ctx);
	}
	snprintf(stats->base_release, sizeof(stats->base_release), "%s", rel);
	err = stats->mismatched ? 1 : 0;
out:
	if (err < 0 && err_buf && err_sz)
		snprintf(err_buf, err_sz, "%s", d.msg);
	for (i = 0; i < c.cnt; i++)
		free(c.mods[i].path);
	free(c.mods);
	rebase_map_free(c.dist_index);
	job_free_paths(paths, path_cnt);
	btf_raw__release(&base);
	free(base_file);
	return err;
}
