// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The build pipeline: kernel packages -> one self-contained blob per
 * kernel release.
 *
 * 1. read: every input is walked once (formats/pkg), in memory. Members
 *    under lib/modules/RELEASE/ (or usr/lib/modules/) ending in .ko,
 *    .ko.xz, .ko.zst or .ko.gz are modules; vmlinuz, vmlinux and Image
 *    files (boot/, usr/lib/debug/boot/, lib/modules/RELEASE/) are kernel
 *    images; the rest is not read. Each module or image read is handed to
 *    worker threads (decompress, ELF, .BTF; or find the vmlinux BTF in the
 *    image) while the package is still being read.
 * 2. group: by release, the lib/modules/RELEASE/ path component for
 *    modules, the file name (vmlinuz-RELEASE) or the image's own version
 *    banner for images.
 * 3. per release, in release order: the image's BTF (or --base) is the
 *    base; the modules, sorted by path, go through the merge pipeline
 *    (validate, renumber, dedup, self-contained blob).
 * The output depends only on the set of package members: neither the order
 * of the inputs nor the number of workers changes a byte.
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
#include "builder/job.h"
#include "builder/pool.h"
#include "builder/workq.h"
#include "formats/btf_compat.h"
#include "formats/file.h"
#include "formats/hex.h"
#include "formats/kimage.h"
#include "formats/mem.h"
#include "formats/pkg.h"
#include "formats/sha256.h"

enum member_kind { MEMBER_MODULE, MEMBER_IMAGE };

/* A module or kernel image read out of a package. */
struct member {
	enum member_kind kind;
	char *path;    /* "PKG: MEMBER" for messages */
	char *member;  /* path inside the package */
	char *release; /* from the path; "" if it has none */
	void *file;    /* bytes read, freed once processed */
	size_t file_sz;
	struct job_module jm; /* module: what it holds */
	struct kimage img;    /* image: its BTF */
	bool img_ok;
	char *reason; /* why it could not be used, NULL if fine */
};

struct release {
	struct btfar_release pub;
	char *release, *arch, *image_path, *image_source, *compression;
	char build_id[129];
	char base_sha256[65];
	char sha256[65];
	char *error;
	struct btfar_merge *merge; /* owns the blob and module infos */
};

struct btfar_build {
	struct btfar_build_opts opts;
	char **inputs;
	size_t input_cnt, input_cap;
	struct member **members; /* every member read, in reading order */
	size_t member_cnt, member_cap;
	pthread_mutex_t lock; /* members[], log and progress */
	struct release *rels;
	size_t rel_cnt;
	const char *cur_input;
	atomic_size_t done; /* members processed */
	atomic_uint_fast64_t bytes_in;
	uint64_t bytes_in_done; /* of the inputs already walked */
	struct decomp_caps caps;
	struct btfar_build_stats stats;
	char err[DIAG_MAX];
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set_err(struct btfar_build *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void set_err(struct btfar_build *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->err, sizeof(b->err), fmt, ap);
	va_end(ap);
}

#define blog(b, lvl, ...)                                                      \
	job_log((b)->opts.log, (b)->opts.log_ctx, &(b)->lock, lvl, __VA_ARGS__)

static void progress(struct btfar_build *b, const char *phase, size_t done,
		     size_t total)
{
	struct btfar_progress p = {
		.phase = phase,
		.done = done,
		.total = total,
		.bytes_in = atomic_load(&b->bytes_in),
	};

	if (!b->opts.progress)
		return;
	pthread_mutex_lock(&b->lock);
	b->opts.progress(&p, b->opts.progress_ctx);
	pthread_mutex_unlock(&b->lock);
}

struct btfar_build *btfar_build__new(const struct btfar_build_opts *opts)
{
	struct btfar_build *b = calloc(1, sizeof(*b));

	if (!b) {
		errno = ENOMEM;
		return NULL;
	}
	if (opts) {
		size_t sz = opts->sz && opts->sz < sizeof(b->opts)
				    ? opts->sz
				    : sizeof(b->opts);
		memcpy(&b->opts, opts, sz);
	}
	if (b->opts.jobs <= 0)
		b->opts.jobs = pool_cpu_count();
	if (!b->opts.max_member)
		b->opts.max_member = 2ull << 30;
	if (!b->opts.max_package)
		b->opts.max_package = 16ull << 30;
	if (!b->opts.max_ratio)
		b->opts.max_ratio = 1000;
	b->caps.max_out = b->opts.max_member;
	b->caps.max_ratio = b->opts.max_ratio;
	pthread_mutex_init(&b->lock, NULL);
	atomic_init(&b->done, 0);
	atomic_init(&b->bytes_in, 0);
	return b;
}

static void member_free(struct member *mb)
{
	if (!mb)
		return;
	free(mb->path);
	free(mb->member);
	free(mb->release);
	free(mb->file);
	free(mb->jm.btf);
	kimage_release(&mb->img);
	free(mb->reason);
	free(mb);
}

void btfar_build__free(struct btfar_build *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->input_cnt; i++)
		free(b->inputs[i]);
	free(b->inputs);
	for (i = 0; i < b->member_cnt; i++)
		member_free(b->members[i]);
	free(b->members);
	for (i = 0; i < b->rel_cnt; i++) {
		struct release *r = &b->rels[i];

		free(r->release);
		free(r->arch);
		free(r->image_path);
		free(r->image_source);
		free(r->compression);
		free(r->error);
		btfar_merge__free(r->merge);
	}
	free(b->rels);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

const char *btfar_build__errstr(const struct btfar_build *b)
{
	return b ? b->err : "";
}

int btfar_build__add_input(struct btfar_build *b, const char *path)
{
	struct stat st;
	char *p;

	if (stat(path, &st) < 0) {
		int err = -errno;

		set_err(b, "%s: %s", path, strerror(errno));
		return err;
	}
	p = strdup(path);
	if (!p || mem_ensure((void **)&b->inputs, &b->input_cap,
			     sizeof(*b->inputs), b->input_cnt + 1)) {
		free(p);
		set_err(b, "out of memory");
		return -ENOMEM;
	}
	b->inputs[b->input_cnt++] = p;
	return 0;
}

/* "lib/modules/REL/..." or "usr/lib/modules/REL/...": REL, else NULL. */
static char *modules_release(const char *path, const char **rest)
{
	const char *p = path, *end;

	if (!strncmp(p, "usr/", 4))
		p += 4;
	if (strncmp(p, "lib/modules/", 12))
		return NULL;
	p += 12;
	end = strchr(p, '/');
	if (!end || end == p)
		return NULL;
	if (rest)
		*rest = end + 1;
	return strndup(p, (size_t)(end - p));
}

static bool has_suffix(const char *s, const char *sfx)
{
	size_t a = strlen(s), b = strlen(sfx);

	return a >= b && !strcmp(s + a - b, sfx);
}

/*
 * A kernel image: boot/vmlinuz-REL, boot/vmlinux-REL, boot/Image*,
 * usr/lib/debug/boot/vmlinux-REL, lib/modules/REL/vmlinuz (Fedora, Arch).
 * Signatures, System.map and config files are not images.
 */
static bool is_image_path(const char *path, char **release)
{
	const char *base = strrchr(path, '/'), *rest = NULL;
	char *rel;

	base = base ? base + 1 : path;
	*release = NULL;
	if (has_suffix(base, ".sig") || has_suffix(base, ".hmac") ||
	    has_suffix(base, ".old"))
		return false;
	rel = modules_release(path, &rest);
	if (rel) {
		if (!strcmp(rest, "vmlinuz") || !strcmp(rest, "vmlinux") ||
		    !strcmp(rest, "Image") || !strcmp(rest, "Image.gz")) {
			*release = rel;
			return true;
		}
		free(rel);
		return false;
	}
	if (strncmp(path, "boot/", 5) &&
	    strncmp(path, "usr/lib/debug/boot/", 19))
		return false;
	if (!strncmp(base, "vmlinuz-", 8) || !strncmp(base, "vmlinux-", 8)) {
		*release = strdup(base + 8);
		return true;
	}
	if (!strcmp(base, "vmlinuz") || !strcmp(base, "vmlinux") ||
	    !strncmp(base, "Image", 5)) {
		*release = strdup("");
		return true;
	}
	return false;
}

struct walk_ctx {
	struct btfar_build *b;
	struct workq *q;
	const char *input;
};

static bool want(const struct pkg_entry *e, void *c)
{
	char *rel = NULL;
	bool yes;

	(void)c;
	/* debug packages carry unstripped copies of the modules */
	if (!strncmp(e->path, "usr/lib/debug/", 14) &&
	    job_is_module_path(e->path))
		return false;
	if (job_is_module_path(e->path)) {
		rel = modules_release(e->path, NULL);
		yes = rel != NULL;
		free(rel);
		return yes;
	}
	yes = is_image_path(e->path, &rel);
	free(rel);
	return yes;
}

static int data(const struct pkg_entry *e, void *bytes, size_t size, void *c)
{
	struct walk_ctx *w = c;
	struct btfar_build *b = w->b;
	struct member *mb = calloc(1, sizeof(*mb));
	size_t len;
	int err;

	if (!mb) {
		free(bytes);
		return -ENOMEM;
	}
	mb->file = bytes;
	mb->file_sz = size;
	mb->member = strdup(e->path);
	len = strlen(w->input) + strlen(e->path) + 3;
	mb->path = malloc(len);
	if (mb->path)
		snprintf(mb->path, len, "%s: %s", w->input, e->path);
	if (job_is_module_path(e->path)) {
		mb->kind = MEMBER_MODULE;
		mb->release = modules_release(e->path, NULL);
	} else {
		mb->kind = MEMBER_IMAGE;
		is_image_path(e->path, &mb->release);
	}
	if (!mb->member || !mb->path || !mb->release) {
		member_free(mb);
		return -ENOMEM;
	}
	pthread_mutex_lock(&b->lock);
	err = mem_ensure((void **)&b->members, &b->member_cap,
			 sizeof(*b->members), b->member_cnt + 1);
	if (!err)
		b->members[b->member_cnt++] = mb;
	pthread_mutex_unlock(&b->lock);
	if (err) {
		member_free(mb);
		return err;
	}
	workq__push(w->q, mb);
	return 0;
}

static void walk_progress(const struct pkg_stats *st, void *c)
{
	struct walk_ctx *w = c;

	atomic_store(&w->b->bytes_in, w->b->bytes_in_done + st->bytes_in);
	progress(w->b, "read", atomic_load(&w->b->done), 0);
}

/* Worker: a module's BTF out of its file, or the vmlinux BTF of an image. */
static void process(void *task, void *c)
{
	struct btfar_build *b = c;
	struct member *mb = task;
	struct diag d = {""};
	int err;

	if (mb->kind == MEMBER_MODULE) {
		err = job_extract_module(mb->file, mb->file_sz, NULL,
					 b->opts.max_member, b->opts.max_ratio,
					 &mb->jm, &d);
	} else {
		err = kimage_find_btf(mb->file, mb->file_sz, &b->caps, &mb->img,
				      &d);
		mb->img_ok = !err;
	}
	if (err) {
		diag_prefix(&d, "%s: ", mb->path);
		mb->reason = strdup(d.msg);
	}
	free(mb->file);
	mb->file = NULL;
	progress(b, "read", atomic_fetch_add(&b->done, 1) + 1, 0);
}

static int cmp_member(const void *x, const void *y)
{
	const struct member *a = *(struct member *const *)x;
	const struct member *c = *(struct member *const *)y;
	int r = strcmp(a->release, c->release);

	if (r)
		return r;
	if (a->kind != c->kind)
		return a->kind < c->kind ? -1 : 1;
	r = strcmp(a->member, c->member);
	return r ? r : strcmp(a->path, c->path);
}

/* Images: an ELF first (it has a build-id), then by member path. */
static int image_rank(const struct member *mb)
{
	if (!mb->img_ok)
		return 9;
	return mb->img.source == KIMAGE_ELF ? 0 : 1;
}

static char *xstrdup(const char *s)
{
	return strdup(s ? s : "");
}

/* Builds release r from members[first..end) (modules and images). */
static int build_release(struct btfar_build *b, struct release *r,
			 const char *rel, struct member **mbs, size_t cnt)
{
	struct btfar_merge_opts mo = {
		.sz = sizeof(mo),
		.jobs = b->opts.jobs,
		.strict = b->opts.strict,
		.datasec = b->opts.datasec,
		.dedup_engine = b->opts.dedup_engine,
		.max_module_bytes = b->opts.max_member,
		.max_ratio = b->opts.max_ratio,
		.log = b->opts.log,
		.log_ctx = b->opts.log_ctx,
		.progress = b->opts.progress,
		.progress_ctx = b->opts.progress_ctx,
		.compat = b->opts.compat,
		/* build does not report collisions: spare the time */
		.no_collisions = true,
	};
	const struct member *img = NULL;
	size_t i, mods = 0;
	int err;

	r->release = xstrdup(rel);
	for (i = 0; i < cnt; i++) {
		if (mbs[i]->kind == MEMBER_IMAGE &&
		    (!img || image_rank(mbs[i]) < image_rank(img)))
			img = mbs[i];
		else if (mbs[i]->kind == MEMBER_MODULE)
			mods++;
	}
	r->merge = btfar_merge__new(&mo);
	if (!r->merge)
		return -ENOMEM;
	if (b->opts.base) {
		err = btfar_merge__set_base(r->merge, b->opts.base);
		r->image_path = xstrdup(b->opts.base);
		r->image_source = xstrdup("--base");
		r->compression = xstrdup("");
		r->arch = xstrdup("");
	} else if (img && img->img_ok) {
		void *copy = malloc(img->img.btf_sz);

		if (!copy)
			return -ENOMEM;
		memcpy(copy, img->img.btf, img->img.btf_sz);
		err = job_merge_set_base_btf(r->merge, copy, img->img.btf_sz,
					     img->path);
		r->image_path = xstrdup(img->member);
		r->image_source = xstrdup(kimage_source_str(img->img.source));
		r->compression = xstrdup(img->img.compression);
		r->arch = xstrdup(img->img.arch);
		hex_encode(img->img.build_id, img->img.build_id_sz,
			   r->build_id);
	} else {
		r->image_path = xstrdup("");
		r->image_source = xstrdup("");
		r->compression = xstrdup("");
		r->arch = xstrdup("");
		if (img)
			r->error = xstrdup(img->reason);
		else if (asprintf(&r->error,
				  "release %s: no kernel image among the "
				  "inputs (%zu modules); give --base VMLINUX",
				  rel[0] ? rel : "(unknown)", mods) < 0)
			r->error = NULL;
		return -ENOENT;
	}
	if (err) {
		r->error = xstrdup(btfar_merge__errstr(r->merge));
		return err;
	}
	for (i = 0; i < cnt; i++) {
		struct member *mb = mbs[i];

		if (mb->kind != MEMBER_MODULE)
			continue;
		err = job_merge_add_module(r->merge, mb->path, mb->jm.name,
					   mb->jm.btf, mb->jm.btf_sz, 0,
					   mb->reason);
		mb->jm.btf = NULL; /* the merge owns it now */
		if (err)
			return err;
	}
	err = btfar_merge__run(r->merge);
	if (err < 0) {
		r->error = xstrdup(btfar_merge__errstr(r->merge));
		return err;
	}
	snprintf(r->sha256, sizeof(r->sha256), "%s",
		 job_merge_sha256(r->merge));
	return err;
}

static int run_releases(struct btfar_build *b)
{
	size_t i = 0, j, built = 0;
	int skipped = 0, err;

	if (b->member_cnt)
		qsort(b->members, b->member_cnt, sizeof(*b->members),
		      cmp_member);
	/* releases: runs of equal release strings; images without a release
	 * in their path take the one of their banner */
	for (i = 0; i < b->member_cnt; i++) {
		struct member *mb = b->members[i];

		if (mb->kind == MEMBER_IMAGE && !mb->release[0] && mb->img_ok &&
		    mb->img.release[0]) {
			free(mb->release);
			mb->release = xstrdup(mb->img.release);
		}
	}
	if (b->member_cnt)
		qsort(b->members, b->member_cnt, sizeof(*b->members),
		      cmp_member);
	b->rels = calloc(b->member_cnt ? b->member_cnt : 1, sizeof(*b->rels));
	if (!b->rels)
		return -ENOMEM;
	for (i = 0; i < b->member_cnt; i = j) {
		struct release *r = &b->rels[b->rel_cnt++];
		bool any_module = false;

		for (j = i;
		     j < b->member_cnt &&
		     !strcmp(b->members[j]->release, b->members[i]->release);
		     j++)
			any_module |= b->members[j]->kind == MEMBER_MODULE;
		if (!any_module) {
			/* an image alone (a -dbg package): nothing to merge,
			 * but a base; not a release to build */
			b->rel_cnt--;
			continue;
		}
		err = build_release(b, r, b->members[i]->release,
				    &b->members[i], j - i);
		if (err == -ENOMEM) {
			set_err(b, "out of memory");
			return err;
		}
		if (err < 0) {
			skipped++;
			blog(b, BTFAR_LOG_WARN, "release %s failed: %s",
			     r->release, r->error ? r->error : strerror(-err));
			continue;
		}
		built++;
		skipped += err;
	}
	if (!b->rel_cnt) {
		set_err(b, "no kernel module found in the inputs (looked for "
			   "lib/modules/RELEASE/**/*.ko{,.xz,.zst,.gz})");
		return -ENOENT;
	}
	if (!built) {
		set_err(b, "no release could be built: %s",
			b->rels[0].error ? b->rels[0].error : "");
		return -EINVAL;
	}
	return skipped;
}

int btfar_build__run(struct btfar_build *b)
{
	struct pkg_caps caps = {
		.max_member = b->opts.max_member,
		.max_total = b->opts.max_package,
		.max_ratio = b->opts.max_ratio,
	};
	struct walk_ctx w = {.b = b};
	struct pkg_walk_opts o = {
		.caps = &caps,
		.want = want,
		.data = data,
		.progress = walk_progress,
		.ctx = &w,
	};
	size_t i;
	double t0;
	int err = 0;

	if (!b->input_cnt) {
		set_err(b, "no input");
		return -EINVAL;
	}
	if (b->opts.compat) {
		enum btf_compat_level level;
		struct diag d = {""};

		if (btf_compat__parse_level(b->opts.compat, &level, &d)) {
			set_err(b, "compat: %s", d.msg);
			return -EINVAL;
		}
	}
	t0 = now();
	/* one reader (this thread), the workers decompress behind it */
	w.q = workq__new(b->opts.jobs, 256, process, b);
	if (!w.q) {
		set_err(b, "cannot start worker threads");
		return -ENOMEM;
	}
	for (i = 0; i < b->input_cnt; i++) {
		struct pkg_stats st = {0};
		struct diag d = {""};

		w.input = b->inputs[i];
		err = pkg_walk(b->inputs[i], &o, &st, &d);
		b->bytes_in_done += st.bytes_in;
		atomic_store(&b->bytes_in, b->bytes_in_done);
		if (err) {
			set_err(b, "%s", d.msg);
			break;
		}
		blog(b, BTFAR_LOG_INFO, "%s: %s, %u files, %.1f MB read",
		     b->inputs[i], st.format, st.entries, st.bytes_out / 1e6);
	}
	workq__finish(w.q);
	b->stats.t_read = now() - t0;
	b->stats.inputs = (uint32_t)b->input_cnt;
	b->stats.bytes_in = b->bytes_in_done;
	for (i = 0; i < b->member_cnt; i++) {
		if (b->members[i]->kind == MEMBER_MODULE)
			b->stats.modules++;
		else
			b->stats.images++;
	}
	if (err)
		return err;
	return run_releases(b);
}

const struct btfar_build_stats *btfar_build__stats(const struct btfar_build *b)
{
	return &b->stats;
}

size_t btfar_build__release_cnt(const struct btfar_build *b)
{
	return b->rel_cnt;
}

const struct btfar_release *btfar_build__release(const struct btfar_build *b,
						 size_t idx)
{
	struct release *r;
	const struct btfar_merge_stats *st;

	if (idx >= b->rel_cnt)
		return NULL;
	r = &b->rels[idx];
	r->pub.release = r->release;
	r->pub.arch = r->arch ? r->arch : "";
	r->pub.image_path = r->image_path ? r->image_path : "";
	r->pub.image_source = r->image_source ? r->image_source : "";
	r->pub.compression = r->compression ? r->compression : "";
	r->pub.build_id = r->build_id;
	r->pub.error = r->error;
	r->pub.sha256 = r->error ? "" : r->sha256;
	r->pub.data = NULL;
	r->pub.size = 0;
	if (r->merge) {
		st = btfar_merge__stats(r->merge);
		r->pub.stats = *st;
		if (!r->error)
			r->pub.data = btfar_merge__data(r->merge, &r->pub.size);
		r->pub.module_cnt = btfar_merge__module_cnt(r->merge);
		r->pub.modules = r->pub.module_cnt
					 ? btfar_merge__module(r->merge, 0)
					 : NULL;
		if (!r->base_sha256[0]) {
			size_t base_sz = 0;
			const void *base = job_merge_base(r->merge, &base_sz);

			if (base)
				sha256_hex(base, base_sz, r->base_sha256);
		}
	}
	r->pub.base_sha256 = r->base_sha256;
	r->pub.compat = 0;
	if (b->opts.compat) {
		enum btf_compat_level level;
		struct diag d = {""};

		if (!btf_compat__parse_level(b->opts.compat, &level, &d))
			r->pub.compat = (uint32_t)level;
	}
	return &r->pub;
}

/* Appends printf output to a growing text. */
struct text {
	char *p;
	size_t len, cap;
	int err;
};

static void text_add(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->err)
		return;
	for (;;) {
		size_t room = t->cap - t->len;

		va_start(ap, fmt);
		n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? room : 0, fmt,
			      ap);
		va_end(ap);
		if (n < 0) {
			t->err = -EINVAL;
			return;
		}
		if (t->p && (size_t)n < room) {
			t->len += (size_t)n;
			return;
		}
		if (mem_ensure((void **)&t->p, &t->cap, 1,
			       t->len + (size_t)n + 1)) {
			t->err = -ENOMEM;
			return;
		}
	}
}

/*
 * RELEASE.meta, beside RELEASE.btf: what an archive records about the blob
 * (docs/FORMAT.md), as "key value" lines ("compat LEVEL" only for a blob
 * rewritten by the compat option), then one line per merged module:
 * "module NAME TYPES FIRST:COUNT,..." ("-" for no range).
 */
static int write_meta(const struct btfar_release *r, const char *path,
		      struct diag *d)
{
	struct text t = {0};
	size_t i;
	uint32_t k;
	int err;

	text_add(&t,
		 "btfar-meta 1\nrelease %s\narch %s\nimage %s\n"
		 "source %s%s%s\nbuild_id %s\nbase_sha256 %s\nsha256 %s\n"
		 "base_types %u\ntypes %u\n",
		 r->release, r->arch, r->image_path, r->image_source,
		 r->compression[0] ? ", " : "", r->compression, r->build_id,
		 r->base_sha256, r->sha256, r->stats.base_types,
		 r->stats.base_types + r->stats.types_after);
	if (r->compat) /* the level applied: "5.13" for --compat 5.15 */
		text_add(&t, "compat %s\n",
			 btf_compat__level_name(
				 (enum btf_compat_level)r->compat));
	for (i = 0; i < r->module_cnt; i++) {
		const struct btfar_module_info *mi = &r->modules[i];

		if (!mi->merged)
			continue;
		text_add(&t, "module %s %u ", mi->name, mi->final_types);
		for (k = 0; k < mi->range_cnt; k++)
			text_add(&t, "%s%u:%u", k ? "," : "", mi->ranges[2 * k],
				 mi->ranges[2 * k + 1]);
		text_add(&t, "%s\n", mi->range_cnt ? "" : "-");
	}
	if (t.err) {
		free(t.p);
		diag_set(d, "out of memory");
		return t.err;
	}
	err = file_write_atomic(path, t.p, t.len, d);
	free(t.p);
	return err;
}

int btfar_build__write(struct btfar_build *b, const char *outdir)
{
	size_t i;
	int err;

	if (mkdir(outdir, 0755) < 0 && errno != EEXIST) {
		err = -errno;
		set_err(b, "%s: cannot create: %s", outdir, strerror(errno));
		return err;
	}
	for (i = 0; i < b->rel_cnt; i++) {
		const struct btfar_release *r = btfar_build__release(b, i);
		struct diag d = {""};
		char *path;

		if (r->error || !r->data)
			continue;
		if (strchr(r->release, '/') || !r->release[0] ||
		    !strcmp(r->release, ".") || !strcmp(r->release, "..")) {
			set_err(b, "release name '%s' cannot be a file name",
				r->release);
			return -EINVAL;
		}
		if (asprintf(&path, "%s/%s.btf", outdir, r->release) < 0)
			return -ENOMEM;
		err = file_write_atomic(path, r->data, r->size, &d);
		if (err) {
			set_err(b, "%s: %s", path, d.msg);
			free(path);
			return err;
		}
		free(path);
		if (asprintf(&path, "%s/%s.meta", outdir, r->release) < 0)
			return -ENOMEM;
		err = write_meta(r, path, &d);
		if (err) {
			set_err(b, "%s: %s", path, d.msg);
			free(path);
			return err;
		}
		free(path);
	}
	return 0;
}
