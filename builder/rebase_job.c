// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Rebase: modules encoded on one vmlinux build rewritten onto another
 * (merge/rebase), each module read, rebased, validated on the new base and
 * written as raw split BTF (OUTDIR/NAME.btf), or refused with the list of
 * what the new base lacks. A module with a distilled base (.BTF.base) is
 * relocated onto the new base instead (merge/distill): its own base is in
 * the module, the old base is not needed for it.
 *
 * With opts->elf the module file itself is written, at OUTDIR/RELPATH (the
 * path under the directory given, or the file name): its ELF with .BTF
 * replaced and .BTF.base removed (formats/elf_btf), compressed again as the
 * input was (xz, zstd, gzip: formats/decomp, the kernel's settings). What
 * is written is read back through the module reader first: its .BTF must be
 * the rebased BTF, valid on the new base.
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
#include "formats/decomp.h"
#include "formats/file.h"
#include "merge/rebase.h"

#define MAX_MODULE (1ull << 30)
#define MAX_RATIO  1000

struct rebase_mod {
	char *path;
	const char *rel; /* --elf: the output path under OUTDIR, in path */
	char name[64];
	bool ok;
	bool relocated; /* from its .BTF.base, not from the old base */
	char reason[DIAG_MAX];
	void *out; /* rebased raw split BTF, or (--elf) the module file */
	size_t out_sz;
};

struct rebase_run {
	struct rebase_map *map;
	const struct btf_raw *old_base, *new_base;
	const struct elf_btf *old_elf;
	struct rebase_mod *mods;
	bool elf;
	struct rebase_map *dist_index; /* the new base's, made on first use */
	pthread_mutex_t lock;
};

/*
 * --elf: the module's ELF image (decompressed) with .BTF replaced by btf,
 * compressed as the file was (kind), read back as btfar reads modules.
 */
static int write_elf(const void *image, size_t image_sz, enum decomp_kind kind,
		     const void *btf, size_t btf_sz, void **out, size_t *out_sz,
		     struct diag *d)
{
	struct job_module back = {0};
	void *elf = NULL, *z = NULL;
	size_t elf_sz = 0, z_sz = 0;
	int err;

	err = elf_btf__replace_btf(image, image_sz, btf, btf_sz, &elf, &elf_sz,
				   d);
	if (err)
		return err;
	if (kind != DECOMP_NONE) {
		err = decomp_encode(kind, elf, elf_sz, &z, &z_sz, d);
		if (err)
			goto out;
		free(elf);
		elf = z;
		elf_sz = z_sz;
	}
	err = job_extract_module(elf, elf_sz, NULL, MAX_MODULE, MAX_RATIO,
				 &back, d);
	if (!err && (back.btf_sz != btf_sz || memcmp(back.btf, btf, btf_sz) ||
		     back.btf_base)) {
		diag_set(d, "the written module's .BTF is not the rebased BTF");
		err = -EINVAL;
	}
	if (err) {
		diag_prefix(d, "internal: ");
		goto out;
	}
	*out = elf;
	*out_sz = elf_sz;
	elf = NULL;
out:
	free(back.btf);
	free(elf);
	return err;
}

static void rebase_one(size_t i, void *ctx)
{
	struct rebase_run *r = ctx;
	struct rebase_mod *rm = &r->mods[i];
	struct btf_raw split = {0}, check = {0};
	struct decomp_caps caps = {MAX_MODULE, MAX_RATIO};
	struct job_module jm = {0};
	enum decomp_kind kind = DECOMP_NONE;
	void *file = NULL, *image = NULL;
	const void *img;
	size_t file_sz = 0, image_sz = 0, img_sz;
	struct diag d = {""};
	char *name;
	int err;

	/* the module reader's steps, keeping the image for --elf */
	err = file_read_all(rm->path, MAX_MODULE, &file, &file_sz, &d);
	img = file;
	img_sz = file_sz;
	if (!err) {
		kind = decomp_detect(file, file_sz);
		if (kind != DECOMP_NONE) {
			err = decomp_all(kind, file, file_sz, &caps, &image,
					 &image_sz, &d);
			img = image;
			img_sz = image_sz;
		}
	}
	if (!err)
		err = job_extract_module(img, img_sz, r->old_elf, MAX_MODULE,
					 MAX_RATIO, &jm, &d);
	if (!err && r->elf && !elf_btf__is_elf(img, img_sz)) {
		diag_set(&d, "raw BTF, not an ELF module: --elf needs the "
			     "module file");
		err = -EINVAL;
	}
	if (!err && jm.btf_base) {
		/* its own base travels with it: relocated onto the new one */
		err = job_relocate_distilled(&r->dist_index, &r->lock,
					     r->new_base, &jm, &d);
		if (!err) {
			rm->relocated = true;
			rm->out = jm.btf;
			rm->out_sz = jm.btf_sz;
			jm.btf = NULL;
		}
	} else if (!err) {
		err = btf_raw__parse(&split, jm.btf, jm.btf_sz, r->old_base,
				     &d);
		if (err)
			diag_prefix(&d, "not valid on the old base: .BTF: ");
		if (!err)
			err = rebase_split(r->map, &split, &rm->out,
					   &rm->out_sz, &d);
	}
	if (!err) {
		/* what is handed out must hold on the new base */
		err = btf_raw__parse(&check, rm->out, rm->out_sz, r->new_base,
				     &d);
		if (err)
			diag_prefix(&d, "internal: rebased BTF does not "
					"validate: ");
	}
	if (!err && r->elf) {
		void *mod = NULL;
		size_t mod_sz = 0;

		btf_raw__release(&check); /* it points into rm->out */
		err = write_elf(img, img_sz, kind, rm->out, rm->out_sz, &mod,
				&mod_sz, &d);
		if (err) {
			diag_prefix(&d, "ELF: ");
		} else {
			free(rm->out);
			rm->out = mod;
			rm->out_sz = mod_sz;
		}
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
	free(image);
	free(file);
}

/*
 * --elf: each module's output path under OUTDIR: its path under the
 * longest directory input holding it, else its file name. Two modules with
 * the same output path: the second is refused.
 */
static const char *rel_path(const char *path, const char *const *inputs,
			    size_t n)
{
	const char *best = NULL, *slash;
	size_t best_len = 0, i;
	struct stat st;

	for (i = 0; i < n; i++) {
		size_t len = strlen(inputs[i]);

		while (len > 1 && inputs[i][len - 1] == '/')
			len--;
		if (len <= best_len || strncmp(path, inputs[i], len) ||
		    path[len] != '/' || stat(inputs[i], &st) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		best = path + len;
		best_len = len;
	}
	if (!best) {
		slash = strrchr(path, '/');
		best = slash ? slash + 1 : path;
	}
	while (*best == '/')
		best++;
	return best;
}

static int cmp_rel(const void *a, const void *b)
{
	const struct rebase_mod *x = *(struct rebase_mod *const *)a;
	const struct rebase_mod *y = *(struct rebase_mod *const *)b;
	int c = strcmp(x->rel, y->rel);

	return c ? c : strcmp(x->path, y->path);
}

/* mkdir -p of the directories of outdir/rel (outdir exists). */
static int make_parents(char *path, size_t skip, struct diag *d)
{
	char *p;

	for (p = path + skip; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			int err = -errno;

			diag_set(d, "%s: cannot create: %s", path,
				 strerror(errno));
			*p = '/';
			return err;
		}
		*p = '/';
	}
	return 0;
}

int btfar_rebase(const char *old_base, const char *new_base,
		 const char *const *inputs, size_t input_cnt,
		 const char *outdir, const struct btfar_rebase_opts *opts,
		 btfar_rebase_fn fn, void *ctx,
		 struct btfar_rebase_stats *stats, char *err_buf, size_t err_sz)
{
	struct rebase_run r = {.lock = PTHREAD_MUTEX_INITIALIZER};
	struct rebase_mod **order = NULL;
	struct file_batch *batch = NULL;
	char **outs = NULL;
	struct btf_raw ob = {0}, nb = {0};
	void *of = NULL, *nf = NULL;
	size_t os = 0, ns = 0, cnt = 0, i;
	struct elf_btf oelf, nelf;
	bool oe = false, ne = false;
	struct job_inputs in = {0};
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
	r.map = rebase_map_new(&ob, &nb);
	r.mods = calloc(cnt ? cnt : 1, sizeof(*r.mods));
	if (!r.map || !r.mods) {
		err = -ENOMEM;
		diag_set(&d, "out of memory");
		goto out;
	}
	r.old_base = &ob;
	r.new_base = &nb;
	r.old_elf = oe ? &oelf : NULL;
	r.elf = opts && opts->elf;
	for (i = 0; i < cnt; i++) {
		r.mods[i].path = paths[i];
		r.mods[i].rel = rel_path(paths[i], inputs, input_cnt);
	}
	if (r.elf && cnt > 1) {
		order = malloc(cnt * sizeof(*order));
		if (!order) {
			err = -ENOMEM;
			diag_set(&d, "out of memory");
			goto out;
		}
		for (i = 0; i < cnt; i++)
			order[i] = &r.mods[i];
		qsort(order, cnt, sizeof(*order), cmp_rel);
		for (i = 1; i < cnt; i++)
			if (!strcmp(order[i]->rel, order[i - 1]->rel))
				order[i]->rel = NULL; /* refused below */
	}
	pool_run(cnt, opts ? opts->jobs : 0, rebase_one, &r);
	/* the outputs, all made durable at once (formats/file: a batch) */
	batch = file_batch__new();
	outs = calloc(cnt ? cnt : 1, sizeof(*outs));
	if (!batch || !outs) {
		err = -ENOMEM;
		diag_set(&d, "out of memory");
		goto out;
	}
	for (i = 0; i < cnt; i++) {
		struct rebase_mod *rm = &r.mods[i];

		if (r.elf && !rm->rel) {
			rm->ok = false;
			snprintf(rm->reason, sizeof(rm->reason),
				 "another module has this output path in %s",
				 outdir);
		}
		if (!rm->ok)
			continue;
		if (r.elf ? asprintf(&outs[i], "%s/%s", outdir, rm->rel) < 0
			  : asprintf(&outs[i], "%s/%s.btf", outdir, rm->name) <
				    0) {
			outs[i] = NULL;
			err = -ENOMEM;
			diag_set(&d, "out of memory");
			goto out;
		}
		if (r.elf) {
			err = make_parents(outs[i], strlen(outdir) + 1, &d);
			if (err)
				goto out;
		}
		err = file_batch__add(batch, outs[i], rm->out, rm->out_sz, &d);
		if (err) {
			diag_prefix(&d, "%s: ", outs[i]);
			goto out;
		}
	}
	err = file_batch__commit(batch, &d);
	if (err)
		goto out;
	for (i = 0; i < cnt; i++) {
		struct rebase_mod *rm = &r.mods[i];
		struct btfar_rebase_result res = {
			.path = rm->path,
			.name = rm->name,
			.rebased = rm->ok,
			.relocated = rm->ok && rm->relocated,
			.output = rm->ok ? outs[i] : NULL,
			.reason = rm->ok ? NULL : rm->reason,
		};

		stats->modules++;
		if (rm->ok)
			stats->rebased++;
		else
			stats->refused++;
		if (fn)
			fn(&res, ctx);
	}
	err = stats->refused ? 1 : 0;
out:
	if (err < 0 && err_buf && err_sz)
		snprintf(err_buf, err_sz, "%s", d.msg);
	for (i = 0; r.mods && i < cnt; i++)
		free(r.mods[i].out);
	free(r.mods);
	free(order);
	for (i = 0; outs && i < cnt; i++)
		free(outs[i]);
	free(outs);
	file_batch__free(batch);
	job_free_paths(paths, cnt);
	rebase_map_free(r.map);
	rebase_map_free(r.dist_index);
	btf_raw__release(&ob);
	btf_raw__release(&nb);
	free(of);
	free(nf);
	return err;
}
