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
 *
 * A kernel split over two packages that name themselves (split_missing):
 * Debian (sid, 7.x) ships linux-binary-REL (or linux-binary-unsigned-REL),
 * only usr/lib/modules/REL/vmlinuz, and linux-modules-REL, only the
 * modules. The .deb's own Package field says which half an input is, so
 * a release that holds one half only fails, naming the package to add:
 * an image-only package alone is a kernel whose modules are missing, not
 * a kernel without modules.
 * The output depends only on the set of package members: neither the order
 * of the inputs nor the number of workers changes a byte.
 *
 * BTF from DWARF (a release with debug files and no usable .BTF, or every
 * release with debug files under from_dwarf): the debug files
 * (usr/lib/debug/boot/vmlinux-REL, usr/lib/debug/lib/modules/REL/...) are
 * written to a private work directory as they are read (during the first
 * walk with from_dwarf, else in a second walk over the inputs that hold
 * them, once the first walk showed which releases lack .BTF). Per such
 * release, pahole encodes the vmlinux, then every module as split BTF on
 * it (jobs processes at once, each debug file removed once encoded); a
 * module whose image counterpart has another build-id, or that pahole
 * cannot encode, is skipped and named; the rest goes through the same merge
 * pipeline. The work directory is removed before run returns.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "btfar/btfar.h"
#include "builder/clock.h"
#include "builder/pahole.h"
#include "builder/interrupt.h"
#include "builder/job.h"
#include "builder/spawn.h"
#include "builder/pool.h"
#include "builder/workq.h"
#include "formats/btf_compat.h"
#include "formats/file.h"
#include "formats/hex.h"
#include "formats/kimage.h"
#include "formats/mem.h"
#include "formats/meta.h"
#include "formats/pkg.h"
#include "formats/sha256.h"

enum member_kind {
	MEMBER_MODULE,
	MEMBER_IMAGE,
	MEMBER_DEBUG_MODULE, /* usr/lib/debug/lib/modules/REL/...: DWARF */
	MEMBER_DEBUG_IMAGE,  /* usr/lib/debug/boot/vmlinux-REL: DWARF */
};

/* What a debug file (ELF with DWARF) is, read before it is written to the
 * work directory. */
struct debug_file {
	char *staged; /* its copy in the work directory; NULL once removed */
	uint8_t build_id[64];
	size_t build_id_sz;
	char name[64]; /* .modinfo name=, "" if none */
	uint16_t machine;
	int elf_data;
	/* after encoding: the module's split BTF, malloc()ed */
	void *btf;
	size_t btf_sz;
	/* a vmlinux: encoded by pahole on a thread started once it is
	 * staged, while the packages are still being read */
	pthread_t enc_tid;
	bool enc_started; /* enc_tid runs or is to be joined */
	int enc_err;
	struct diag enc_d;
	char *enc_out; /* the raw BTF file pahole writes */
	struct btfar_build *build;
	bool enc_done;	  /* enc_tid finished (under the build's lock) */
	double enc_start; /* when pahole started (mono_seconds()) */
	/* a module: encoded already (while the packages were read) */
	bool encoded;
	double enc_end; /* when its pahole ended (mono_seconds()) */
};

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
	struct debug_file dbg; /* MEMBER_DEBUG_*: the debug file */
	char *reason;	       /* why it could not be used, NULL if fine */
	size_t input_idx;      /* the input it was read from */
};

/* A file of a release's module tree, seen in the first walk. */
struct module_tree {
	char *release;
	char *evidence; /* "PKG: lib/modules/REL/modules.order (N bytes)" */
};

struct release {
	struct btfar_release pub;
	char *release, *arch, *image_path, *image_source, *compression;
	char build_id[129];
	char base_sha256[65];
	char sha256[65];
	char *error;
	struct btfar_merge *merge; /* owns the blob and module infos */
	bool dwarf;		   /* built from DWARF */
	double t_dwarf;		   /* seconds of pahole runs */
	char encoder[80];	   /* "pahole v1.24" when dwarf */
	bool no_modules; /* a kernel without modules: its vmlinux BTF alone */
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
	uint64_t bytes_in_done;	  /* of the inputs already walked */
	uint64_t bytes_total;	  /* sizes of the input files, for progress */
	bool bytes_total_unknown; /* a directory among the inputs */
	struct decomp_caps caps;
	struct btfar_build_stats stats;
	char err[DIAG_MAX];
	/* DWARF */
	int pass;	    /* 1: first walk, 2: debug files of dwarf_rels */
	char workdir[4096]; /* private work directory, "" until needed */
	size_t staged_cnt;  /* files written there (names) */
	char **dbg_rels;    /* releases seen with debug modules (pass 1) */
	size_t dbg_rel_cnt, dbg_rel_cap;
	char **dwarf_rels; /* releases to build from DWARF */
	size_t dwarf_rel_cnt, dwarf_rel_cap;
	bool *dbg_input; /* per input: it holds debug modules */
	char **packages; /* per input: a .deb's Package, NULL if none */
	struct member **dbg_imgs; /* debug vmlinux members, for their base */
	size_t dbg_img_cnt, dbg_img_cap;
	char pahole_ver[64];	   /* "v1.24", "" until asked */
	char pahole_err[DIAG_MAX]; /* why pahole cannot run, "" if it can */
	/* per release, the first file that says the kernel has modules
	 * (release_has_module_tree) */
	struct module_tree *trees;
	size_t tree_cnt, tree_cap;
};

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
		.bytes_total = b->bytes_total_unknown ? 0 : b->bytes_total,
	};

	job_report_progress(b->opts.progress, b->opts.progress_ctx, &b->lock,
			    &p);
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
	if (!b->opts.pahole || !b->opts.pahole[0])
		b->opts.pahole = "pahole";
	if (!b->opts.pahole_timeout)
		b->opts.pahole_timeout = 1800;
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
	if (mb->dbg.enc_started)
		pthread_join(mb->dbg.enc_tid, NULL);
	if (mb->dbg.staged) {
		unlink(mb->dbg.staged);
		free(mb->dbg.staged);
	}
	if (mb->dbg.enc_out) {
		unlink(mb->dbg.enc_out);
		free(mb->dbg.enc_out);
	}
	free(mb->dbg.btf);
	free(mb);
}

static void strs_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static bool strs_has(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

/* Adds s to the set v (once); 0 or -ENOMEM. */
static int strs_add(char ***v, size_t *n, size_t *cap, const char *s)
{
	char *c;

	if (strs_has(*v, *n, s))
		return 0;
	c = strdup(s);
	if (!c || mem_ensure((void **)v, cap, sizeof(**v), *n + 1)) {
		free(c);
		return -ENOMEM;
	}
	(*v)[(*n)++] = c;
	return 0;
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
	for (i = 0; i < b->tree_cnt; i++) {
		free(b->trees[i].release);
		free(b->trees[i].evidence);
	}
	free(b->trees);
	strs_free(b->dbg_rels, b->dbg_rel_cnt);
	strs_free(b->dwarf_rels, b->dwarf_rel_cnt);
	free(b->dbg_input);
	if (b->packages)
		strs_free(b->packages, b->input_cnt);
	free(b->dbg_imgs);
	pahole_workdir_remove(b->workdir);
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
	if (S_ISREG(st.st_mode))
		b->bytes_total += (uint64_t)st.st_size;
	else
		b->bytes_total_unknown = true;
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
	size_t input_idx;
};

/*
 * A debug file: usr/lib/debug/lib/modules/REL/...ko* (module) or
 * usr/lib/debug/boot/vmlinux-REL (image). *release: REL, malloc()ed.
 */
static bool is_debug_path(const char *path, bool *module, char **release)
{
	const char *p = path + 14;

	*release = NULL;
	if (strncmp(path, "usr/lib/debug/", 14))
		return false;
	if (job_is_module_path(path)) {
		*module = true;
		*release = modules_release(p, NULL);
		return *release != NULL;
	}
	*module = false;
	if (strncmp(p, "boot/vmlinux-", 13) || !p[13] || strchr(p + 13, '/') ||
	    has_suffix(p, ".sig") || has_suffix(p, ".old"))
		return false;
	*release = strdup(p + 13);
	return *release != NULL;
}

/* The debug file is read (and staged) in this walk: with from_dwarf in
 * the first walk, else in the second walk for the releases chosen. */
static bool debug_wanted(struct btfar_build *b, const char *rel)
{
	if (b->pass == 1)
		return b->opts.from_dwarf;
	return strs_has(b->dwarf_rels, b->dwarf_rel_cnt, rel);
}

/*
 * Remembers, per release, the first member of the first walk that says the
 * kernel has loadable modules (the rule: release_has_module_tree). Such a
 * member is not read: its path and declared size are the evidence.
 */
static void note_module_tree(struct walk_ctx *w, const struct pkg_entry *e)
{
	struct btfar_build *b = w->b;
	const char *rest = NULL;
	char *rel = modules_release(e->path, &rest);
	struct module_tree *t;
	size_t i;

	if (!rel)
		return;
	if (strncmp(rest, "kernel/", 7) && strncmp(rest, "updates/", 8) &&
	    strncmp(rest, "extra/", 6) &&
	    ((strcmp(rest, "modules.order") && strcmp(rest, "modules.dep")) ||
	     !e->size)) {
		free(rel);
		return;
	}
	for (i = 0; i < b->tree_cnt; i++)
		if (!strcmp(b->trees[i].release, rel)) {
			free(rel);
			return;
		}
	if (mem_ensure((void **)&b->trees, &b->tree_cap, sizeof(*b->trees),
		       b->tree_cnt + 1)) {
		free(rel);
		return; /* no evidence kept: the release is then judged by its
			   module files and its BTF alone */
	}
	t = &b->trees[b->tree_cnt];
	t->release = rel;
	if (asprintf(&t->evidence, "%s: %s (%llu bytes)", w->input, e->path,
		     (unsigned long long)e->size) < 0) {
		free(rel);
		return;
	}
	b->tree_cnt++;
}

static bool want(const struct pkg_entry *e, void *c)
{
	struct walk_ctx *w = c;
	struct btfar_build *b = w->b;
	char *rel = NULL;
	bool yes, module;

	if (b->pass == 1)
		note_module_tree(w, e);
	if (is_debug_path(e->path, &module, &rel)) {
		yes = debug_wanted(b, rel);
		if (b->pass == 1) {
			/* remembered, for a second walk if needed (a
			 * failed allocation: that release cannot have one) */
			if (module)
				strs_add(&b->dbg_rels, &b->dbg_rel_cnt,
					 &b->dbg_rel_cap, rel);
			b->dbg_input[w->input_idx] = true;
		}
		free(rel);
		/* the debug vmlinux may carry .BTF: an image in pass 1 */
		return yes || (b->pass == 1 && !module);
	}
	if (b->pass == 2)
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
	mb->input_idx = w->input_idx;
	mb->member = strdup(e->path);
	len = strlen(w->input) + strlen(e->path) + 3;
	mb->path = malloc(len);
	if (mb->path)
		snprintf(mb->path, len, "%s: %s", w->input, e->path);
	{
		bool module;
		char *rel;

		if (is_debug_path(e->path, &module, &rel) &&
		    debug_wanted(b, rel)) {
			mb->kind = module ? MEMBER_DEBUG_MODULE
					  : MEMBER_DEBUG_IMAGE;
			mb->release = rel;
		} else if (job_is_module_path(e->path)) {
			free(rel);
			mb->kind = MEMBER_MODULE;
			mb->release = modules_release(e->path, NULL);
		} else {
			free(rel);
			mb->kind = MEMBER_IMAGE;
			is_image_path(e->path, &mb->release);
		}
	}
	if (!mb->member || !mb->path || !mb->release) {
		member_free(mb);
		return -ENOMEM;
	}
	pthread_mutex_lock(&b->lock);
	err = mem_ensure((void **)&b->members, &b->member_cap,
			 sizeof(*b->members), b->member_cnt + 1);
	if (!err && mb->kind >= MEMBER_DEBUG_MODULE) {
		/* its name in the work directory, made here so that it
		 * does not depend on the order the workers take */
		if (!b->workdir[0]) {
			struct diag d = {""};

			err = pahole_workdir_new(b->workdir, sizeof(b->workdir),
						 &d);
			if (err)
				set_err(b, "%s", d.msg);
		}
		/* N-NAME: unique, and NAME tells which it is */
		const char *base = strrchr(e->path, '/');

		base = base ? base + 1 : e->path;
		if (!err && asprintf(&mb->dbg.staged, "%s/%zu-%.100s",
				     b->workdir, b->staged_cnt++, base) < 0) {
			mb->dbg.staged = NULL;
			err = -ENOMEM;
		}
		if (!err && mb->kind == MEMBER_DEBUG_IMAGE) {
			err = mem_ensure((void **)&b->dbg_imgs, &b->dbg_img_cap,
					 sizeof(*b->dbg_imgs),
					 b->dbg_img_cnt + 1);
			if (!err)
				b->dbg_imgs[b->dbg_img_cnt++] = mb;
		}
	}
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

/* Writes size bytes to a new file path (no fsync: a work file). */
static int write_work_file(const char *path, const void *data, size_t size,
			   struct diag *d)
{
	const char *p = data;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0) {
		int err = -errno;

		diag_set(d, "%s: cannot create: %s", path, strerror(errno));
		return err;
	}
	while (size) {
		ssize_t n = write(fd, p, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int err = n < 0 ? -errno : -EIO;

			diag_set(d, "%s: write: %s", path, strerror(-err));
			close(fd);
			unlink(path);
			return err;
		}
		p += n;
		size -= (size_t)n;
	}
	if (close(fd) < 0) {
		int err = -errno;

		diag_set(d, "%s: close: %s", path, strerror(errno));
		unlink(path);
		return err;
	}
	return 0;
}

/* A debug file: its identity read, its bytes written to the work dir. */
static int stage_debug(struct member *mb, struct diag *d)
{
	struct elf_btf elf;
	int err;

	if (!elf_btf__is_elf(mb->file, mb->file_sz)) {
		diag_set(d, "not an ELF file (a debug file with DWARF was "
			    "expected)");
		return -EINVAL;
	}
	err = elf_btf__read(mb->file, mb->file_sz, &elf, d);
	if (err && err != -ENOENT)
		return err;
	memcpy(mb->dbg.build_id, elf.build_id, elf.build_id_sz);
	mb->dbg.build_id_sz = elf.build_id_sz;
	if (!mb->dbg.build_id_sz) /* a vmlinux: in .notes */
		mb->dbg.build_id_sz = kimage_elf_build_id(mb->file, mb->file_sz,
							  mb->dbg.build_id);
	snprintf(mb->dbg.name, sizeof(mb->dbg.name), "%s", elf.name);
	mb->dbg.machine = elf.machine;
	mb->dbg.elf_data = elf.elf_data;
	err = write_work_file(mb->dbg.staged, mb->file, mb->file_sz, d);
	if (err) {
		free(mb->dbg.staged);
		mb->dbg.staged = NULL;
	}
	return err;
}

static int pahole_check(struct btfar_build *b, const char **why);

static void *encode_vmlinux(void *arg)
{
	struct member *mb = arg;
	struct btfar_build *b = mb->dbg.build;
	int err;

	err = pahole_encode(b->opts.pahole, mb->dbg.staged, NULL,
			    mb->dbg.enc_out, 1, b->opts.pahole_timeout,
			    &mb->dbg.enc_d);
	unlink(mb->dbg.staged); /* hundreds of MB, not needed any more */
	pthread_mutex_lock(&b->lock);
	mb->dbg.enc_err = err;
	mb->dbg.enc_done = true;
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

/*
 * A debug module's split BTF on base_btf (the release's vmlinux encoded):
 * mb->dbg.btf, or mb->reason. The staged copy is removed either way.
 */
static void encode_module(struct btfar_build *b, struct member *mb,
			  const char *base_btf)
{
	struct diag d = {""};
	char *out = NULL;
	int err;

	if (asprintf(&out, "%s.btf", mb->dbg.staged) < 0) {
		out = NULL;
		diag_set(&d, "out of memory");
		err = -ENOMEM;
	} else {
		err = pahole_encode(b->opts.pahole, mb->dbg.staged, base_btf,
				    out, 1, b->opts.pahole_timeout, &d);
		if (!err)
			err = file_read_all(out, b->opts.max_member,
					    &mb->dbg.btf, &mb->dbg.btf_sz, &d);
		unlink(out);
		free(out);
	}
	unlink(mb->dbg.staged);
	free(mb->dbg.staged);
	mb->dbg.staged = NULL;
	if (err) {
		diag_prefix(&d, "%s: ", mb->path);
		mb->reason = strdup(d.msg);
	}
	mb->dbg.encoded = true;
	mb->dbg.enc_end = mono_seconds();
}

/* The release's vmlinux BTF file once encoded without error, else NULL. */
static const char *ready_base(struct btfar_build *b, const char *rel)
{
	const char *base = NULL;
	size_t i;

	pthread_mutex_lock(&b->lock);
	for (i = 0; i < b->dbg_img_cnt && !base; i++) {
		const struct member *im = b->dbg_imgs[i];

		if (!strcmp(im->release, rel) && im->dbg.enc_done &&
		    !im->dbg.enc_err)
			base = im->dbg.enc_out;
	}
	pthread_mutex_unlock(&b->lock);
	return base;
}

/*
 * A staged debug vmlinux: its encoding starts now, on its own thread, so
 * that it overlaps the reading of the rest (pahole runs on one thread, see
 * build_release_dwarf). When pahole cannot run or the thread cannot start,
 * build_release_dwarf encodes it (or reports why it cannot).
 */
static void start_vmlinux_encode(struct btfar_build *b, struct member *mb)
{
	const char *why;
	int err;

	pthread_mutex_lock(&b->lock);
	err = pahole_check(b, &why);
	pthread_mutex_unlock(&b->lock);
	if (err || asprintf(&mb->dbg.enc_out, "%s.btf", mb->dbg.staged) < 0) {
		mb->dbg.enc_out = NULL;
		return;
	}
	mb->dbg.build = b;
	mb->dbg.enc_start = mono_seconds();
	mb->dbg.enc_started =
		!pthread_create(&mb->dbg.enc_tid, NULL, encode_vmlinux, mb);
}

/* Worker: a module's BTF out of its file, the vmlinux BTF of an image, or
 * a debug file staged. */
static void process(void *task, void *c)
{
	struct btfar_build *b = c;
	struct member *mb = task;
	struct diag d = {""};
	int err;

	if (mb->kind >= MEMBER_DEBUG_MODULE) {
		err = stage_debug(mb, &d);
		if (!err && mb->kind == MEMBER_DEBUG_IMAGE) {
			start_vmlinux_encode(b, mb);
		} else if (!err) {
			/* encoded here, while the reader goes on, once the
			 * release's vmlinux is; else in build_release_dwarf */
			const char *base = ready_base(b, mb->release);

			if (base)
				encode_module(b, mb, base);
		}
	} else if (mb->kind == MEMBER_MODULE) {
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

/* A module's path below lib/modules/REL/ without its .ko* suffix: what
 * pairs a debug file with the image's module. */
static const char *module_key(const struct member *mb, size_t *len)
{
	const char *p = mb->member, *rest = NULL;
	char *rel;

	if (mb->kind == MEMBER_DEBUG_MODULE)
		p += 14; /* usr/lib/debug/ */
	rel = modules_release(p, &rest);
	free(rel);
	if (!rest)
		rest = p;
	*len = strlen(rest) - job_module_suffix_len(rest);
	return rest;
}

static int cmp_key(const void *x, const void *y)
{
	const struct member *a = *(struct member *const *)x;
	const struct member *c = *(struct member *const *)y;
	size_t la, lc;
	const char *ka = module_key(a, &la), *kc = module_key(c, &lc);
	int r = memcmp(ka, kc, la < lc ? la : lc);

	if (r)
		return r;
	if (la != lc)
		return la < lc ? -1 : 1;
	return strcmp(a->path, c->path);
}

/* The image module (in sorted imgs) a debug module pairs with, or NULL. */
static struct member *find_image_module(struct member **imgs, size_t n,
					const struct member *dbg)
{
	size_t lo = 0, hi = n, len, klen;
	const char *key = module_key(dbg, &len);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *k = module_key(imgs[mid], &klen);
		int r = memcmp(k, key, klen < len ? klen : len);

		if (!r && klen != len)
			r = klen < len ? -1 : 1;
		if (!r)
			return imgs[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The DWARF encoding of one release's modules, on worker threads. */
struct dwarf_ctx {
	struct btfar_build *b;
	struct member **mods; /* debug modules */
	size_t mod_cnt;
	struct member **imgs; /* image modules, sorted by key */
	size_t img_cnt;
	const char *base_btf; /* the vmlinux BTF file */
	atomic_size_t done;
};

static void dwarf_module(size_t i, void *c)
{
	struct dwarf_ctx *x = c;
	struct member *mb = x->mods[i];

	/* not staged (reason set), or encoded while reading */
	if (!mb->reason && !mb->dbg.encoded)
		encode_module(x->b, mb, x->base_btf);
	progress(x->b, "dwarf", atomic_fetch_add(&x->done, 1) + 1, x->mod_cnt);
}

/* A debug module whose image counterpart has another build-id: refused
 * (whatever pahole made of it). */
static int check_build_id(struct dwarf_ctx *x, struct member *mb)
{
	const struct member *im = find_image_module(x->imgs, x->img_cnt, mb);
	char a[129], h[129], *reason;

	if (!im || !im->jm.build_id_sz || !mb->dbg.build_id_sz ||
	    (im->jm.build_id_sz == mb->dbg.build_id_sz &&
	     !memcmp(im->jm.build_id, mb->dbg.build_id, mb->dbg.build_id_sz)))
		return 0;
	hex_encode(mb->dbg.build_id, mb->dbg.build_id_sz, a);
	hex_encode(im->jm.build_id, im->jm.build_id_sz, h);
	if (asprintf(&reason,
		     "%s: build-id %s, but the image's module %s has build-id "
		     "%s: the debug file is of another build, refused",
		     mb->path, a, im->path, h) < 0)
		return -ENOMEM;
	free(mb->reason);
	mb->reason = reason;
	free(mb->dbg.btf);
	mb->dbg.btf = NULL;
	mb->dbg.btf_sz = 0;
	return 0;
}

/* pahole's version, asked once: 0, or -errno with the reason in *why. */
static int pahole_check(struct btfar_build *b, const char **why)
{
	struct diag d = {""};
	int err;

	*why = b->pahole_err;
	if (b->pahole_ver[0])
		return 0;
	if (b->pahole_err[0])
		return -ENOENT;
	err = pahole_version(b->opts.pahole, b->opts.pahole_timeout,
			     b->pahole_ver, sizeof(b->pahole_ver), &d);
	if (err) {
		snprintf(b->pahole_err, sizeof(b->pahole_err), "%s", d.msg);
		b->pahole_ver[0] = '\0';
		return err;
	}
	return 0;
}

static char *xstrdup(const char *s);

/*
 * Kernels without modules. A release whose inputs hold a kernel image and
 * no module file is one of two things:
 * - a kernel built without loadable modules (CONFIG_MODULES=n, as small
 *   cloud and VM kernels are): its vmlinux BTF is all offline CO-RE needs,
 *   and the blob is that BTF alone (with a warning);
 * - a kernel whose modules were left out (they come in another package:
 *   RPM's kernel-modules, Ubuntu's and Debian's linux-modules-REL): the
 *   release fails, saying what says that modules exist.
 * It is the first only when nothing says the kernel has modules:
 * 1. release_has_module_tree(): no file of its module tree among the
 *    inputs;
 * 2. no module file of any release among the inputs (with modules of
 *    other releases, this one's may have been left out: it is built alone
 *    if it has none);
 * 3. loader_func(): its vmlinux BTF has no module loader.
 * A rule that says the modules come in another package belongs with these.
 */

/*
 * Rule 1: a file among the inputs that make modules_install and depmod
 * write only for a kernel with modules, and the first one seen (the
 * evidence, "PKG: MEMBER (N bytes)"), or NULL:
 * - any file under lib/modules/REL/kernel/ (also updates/, extra/, and
 *   under usr/lib/modules/), whatever its name: a module btfar does not
 *   read (foo.ko.bz2) is evidence too;
 * - lib/modules/REL/modules.order or modules.dep, not empty.
 * modules.builtin is no evidence: it lists the drivers built into the
 * image, and since Linux 6.5 make modules_install installs it (and
 * modules.builtin.modinfo) for CONFIG_MODULES=n kernels too, as the
 * kernel's deb and rpm packaging do ("kbuild: make modules_install copy
 * modules.builtin(.modinfo)").
 */
static const char *release_has_module_tree(const struct btfar_build *b,
					   const char *rel)
{
	size_t i;

	for (i = 0; i < b->tree_cnt; i++)
		if (!strcmp(b->trees[i].release, rel))
			return b->trees[i].evidence;
	return NULL;
}

/*
 * Rule 3: the name of a FUNC of the module loader in the vmlinux BTF, or
 * NULL. load_module and do_init_module (kernel/module/main.c) and the
 * exported module_put exist only with CONFIG_MODULES=y; without it
 * module_put is an empty inline and the loader is not built. (The
 * init_module and finit_module syscall entries stay, as stubs that return
 * -ENOSYS: they are no evidence.) Checked on Debian's 6.12 and 7.2 vmlinux
 * BTF (all three) and on a 6.18 CONFIG_MODULES=n kernel (none).
 */
static const char *loader_func(const struct btf_raw *base)
{
	static const char *const names[] = {"load_module", "do_init_module",
					    "module_put"};
	uint32_t id, n = btf_raw__type_cnt(base);
	size_t k;

	for (id = base->start_id; id < n; id++) {
		const struct btf_type *t = btf_raw__type(base, id);
		const char *name;

		if (!t || btf_type_kind(t) != BTF_KIND_FUNC)
			continue;
		name = btf_raw__str(base, t->name_off);
		for (k = 0; name && k < sizeof(names) / sizeof(names[0]); k++)
			if (!strcmp(name, names[k]))
				return names[k];
	}
	return NULL;
}

/*
 * Before the merge of a release without module (r->no_modules, rules 1
 * and 2 passed): rule 3 on its base, then the warning. 0, or -ENOENT with
 * r->error set.
 */
static int allow_no_modules(struct btfar_build *b, struct release *r)
{
	const struct btf_raw *base;
	const char *fn;

	if (!r->no_modules)
		return 0;
	base = job_merge_base_raw(r->merge);
	fn = base ? loader_func(base) : NULL;
	if (fn) {
		if (asprintf(&r->error,
			     "release %s: no kernel module among the inputs, "
			     "but the kernel loads modules (its BTF has FUNC "
			     "'%s': CONFIG_MODULES=y): give the package that "
			     "holds lib/modules/%s/ too",
			     r->release, fn, r->release) < 0)
			r->error = NULL;
		return -ENOENT;
	}
	blog(b, BTFAR_LOG_WARN,
	     "release %s: no kernel module in the inputs and none expected "
	     "(no lib/modules/%s/kernel/, no modules.order or modules.dep, "
	     "no module loader in its BTF): a kernel built without modules "
	     "(CONFIG_MODULES=n); the blob holds its vmlinux BTF alone",
	     r->release, r->release);
	job_merge_allow_no_module(r->merge);
	return 0;
}
/*
 * Release r from DWARF: the debug vmlinux encoded by pahole is the base,
 * every debug module encoded on it; image modules without a debug file are
 * skipped (named). m is r->merge, fresh.
 */
static int build_release_dwarf(struct btfar_build *b, struct release *r,
			       const char *rel, struct member **mbs, size_t cnt)
{
	struct dwarf_ctx x = {.b = b};
	const struct member *img = NULL;
	struct member *dimg = NULL;
	const char *base_path;
	void *base = NULL;
	size_t base_sz = 0, i, n_img = 0;
	const char *why;
	struct diag d = {""};
	double t_end;
	int err;

	r->dwarf = true;
	snprintf(r->encoder, sizeof(r->encoder), "pahole");
	for (i = 0; i < cnt; i++) {
		struct member *mb = mbs[i];

		if (mb->kind == MEMBER_DEBUG_IMAGE && !dimg)
			dimg = mb;
		else if (mb->kind == MEMBER_IMAGE &&
			 strncmp(mb->member, "usr/lib/debug/", 14) &&
			 (!img || image_rank(mb) < image_rank(img)))
			img = mb;
		else if (mb->kind == MEMBER_DEBUG_MODULE)
			x.mod_cnt++;
		else if (mb->kind == MEMBER_MODULE)
			n_img++;
	}
	r->image_source = xstrdup("DWARF");
	r->compression = xstrdup("");
	r->image_path = xstrdup(dimg ? dimg->member : "");
	r->arch = xstrdup(
		dimg ? kimage_elf_arch(dimg->dbg.machine, dimg->dbg.elf_data)
		     : "");
	if (!r->image_source || !r->compression || !r->image_path || !r->arch)
		return -ENOMEM;
	if (!dimg) {
		if (asprintf(
			    &r->error,
			    "release %s: no debug vmlinux "
			    "(usr/lib/debug/boot/vmlinux-%s) among the inputs: "
			    "cannot encode its BTF from DWARF",
			    rel, rel) < 0)
			r->error = NULL;
		return -ENOENT;
	}
	if (dimg->reason) {
		r->error = xstrdup(dimg->reason);
		return -EINVAL;
	}
	hex_encode(dimg->dbg.build_id, dimg->dbg.build_id_sz, r->build_id);
	if (img && img->img_ok && img->img.build_id_sz &&
	    dimg->dbg.build_id_sz &&
	    (img->img.build_id_sz != dimg->dbg.build_id_sz ||
	     memcmp(img->img.build_id, dimg->dbg.build_id,
		    dimg->dbg.build_id_sz))) {
		char h[129];

		hex_encode(img->img.build_id, img->img.build_id_sz, h);
		if (asprintf(&r->error,
			     "%s: build-id %s, but the kernel image %s has "
			     "build-id %s: the debug vmlinux is of another "
			     "build, refused",
			     dimg->path, r->build_id, img->path, h) < 0)
			r->error = NULL;
		return -EINVAL;
	}
	err = pahole_check(b, &why);
	if (err) {
		r->error = xstrdup(why);
		return err == -ENOMEM ? -ENOMEM : -ENOENT;
	}
	snprintf(r->encoder, sizeof(r->encoder), "pahole %s", b->pahole_ver);
	/* the vmlinux, on one thread: pahole 1.24 with -j numbers the types
	 * in the order its threads finish, so the output would change from
	 * run to run. Started when it was staged, if it could be. */
	progress(b, "dwarf", 0, x.mod_cnt);
	if (dimg->dbg.enc_started) {
		pthread_join(dimg->dbg.enc_tid, NULL);
		dimg->dbg.enc_started = false;
		err = dimg->dbg.enc_err;
		d = dimg->dbg.enc_d;
	} else {
		if (!dimg->dbg.enc_out && asprintf(&dimg->dbg.enc_out, "%s.btf",
						   dimg->dbg.staged) < 0) {
			dimg->dbg.enc_out = NULL;
			return -ENOMEM;
		}
		blog(b, BTFAR_LOG_INFO, "release %s: pahole %s: encoding %s",
		     rel, b->pahole_ver, dimg->path);
		dimg->dbg.enc_start = mono_seconds();
		err = pahole_encode(b->opts.pahole, dimg->dbg.staged, NULL,
				    dimg->dbg.enc_out, 1,
				    b->opts.pahole_timeout, &d);
	}
	t_end = mono_seconds();
	unlink(dimg->dbg.staged);
	base_path = dimg->dbg.enc_out;
	if (!err)
		err = file_read_all(base_path, b->opts.max_member, &base,
				    &base_sz, &d);
	if (err) {
		diag_prefix(&d, "%s: ", dimg->path);
		r->error = xstrdup(d.msg);
		return err == -ENOMEM ? err : -EINVAL;
	}
	err = job_merge_set_base_btf(r->merge, base, base_sz, dimg->path);
	if (err) {
		r->error = xstrdup(btfar_merge__errstr(r->merge));
		return err;
	}
	err = allow_no_modules(b, r);
	if (err)
		return err;
	/* the modules, jobs pahole processes at once */
	x.mods = calloc(x.mod_cnt + 1, sizeof(*x.mods));
	x.imgs = calloc(n_img + 1, sizeof(*x.imgs));
	if (!x.mods || !x.imgs) {
		err = -ENOMEM;
		goto out;
	}
	x.mod_cnt = 0;
	for (i = 0; i < cnt; i++) {
		if (mbs[i]->kind == MEMBER_DEBUG_MODULE)
			x.mods[x.mod_cnt++] = mbs[i];
		else if (mbs[i]->kind == MEMBER_MODULE)
			x.imgs[x.img_cnt++] = mbs[i];
	}
	qsort(x.imgs, x.img_cnt, sizeof(*x.imgs), cmp_key);
	x.base_btf = base_path;
	atomic_init(&x.done, 0);
	blog(b, BTFAR_LOG_INFO,
	     "release %s: pahole %s: encoding %zu modules, %d at once", rel,
	     b->pahole_ver, x.mod_cnt, b->opts.jobs);
	pool_run(x.mod_cnt, b->opts.jobs, dwarf_module, &x);
	/* pahole's busy period: from the vmlinux's start (while the
	 * packages were read) to the last module's end */
	for (i = 0; i < x.mod_cnt; i++)
		if (x.mods[i]->dbg.enc_end > t_end)
			t_end = x.mods[i]->dbg.enc_end;
	r->t_dwarf = t_end - dimg->dbg.enc_start;
	for (i = 0; i < x.mod_cnt; i++) {
		struct member *mb = x.mods[i];

		err = check_build_id(&x, mb);
		if (err)
			goto out;
		err = job_merge_add_module(r->merge, mb->path, mb->dbg.name,
					   mb->dbg.btf, mb->dbg.btf_sz, 0,
					   mb->reason);
		mb->dbg.btf = NULL; /* the merge owns it now */
		if (err)
			goto out;
	}
	/* image modules that no debug file pairs with */
	qsort(x.mods, x.mod_cnt, sizeof(*x.mods), cmp_key);
	for (i = 0; i < x.img_cnt; i++) {
		struct member *im = x.imgs[i];
		char *reason;

		if (find_image_module(x.mods, x.mod_cnt, im))
			continue;
		if (asprintf(&reason,
			     "%s: no debug file for this module among the "
			     "inputs (usr/lib/debug/%.*s.ko): its BTF cannot "
			     "be encoded from DWARF",
			     im->path,
			     (int)(strlen(im->member) -
				   job_module_suffix_len(im->member)),
			     im->member) < 0) {
			err = -ENOMEM;
			goto out;
		}
		err = job_merge_add_module(r->merge, im->path, im->jm.name,
					   NULL, 0, 0, reason);
		free(reason);
		if (err)
			goto out;
	}
	err = btfar_merge__run(r->merge);
	if (err < 0)
		r->error = xstrdup(btfar_merge__errstr(r->merge));
	else
		snprintf(r->sha256, sizeof(r->sha256), "%s",
			 job_merge_sha256(r->merge));
out:
	free(x.mods);
	free(x.imgs);
	return err;
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
		.keep_unreachable = b->opts.keep_unreachable,
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
	if (strs_has(b->dwarf_rels, b->dwarf_rel_cnt, rel))
		return build_release_dwarf(b, r, rel, mbs, cnt);
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
	err = allow_no_modules(b, r);
	if (err)
		return err;
	for (i = 0; i < cnt; i++) {
		struct member *mb = mbs[i];

		if (mb->kind != MEMBER_MODULE)
			continue;
		err = job_merge_add_module(r->merge, mb->path, mb->jm.name,
					   mb->jm.btf, mb->jm.btf_sz, 0,
					   mb->reason);
		if (!err && mb->jm.btf && mb->jm.btf_base)
			err = job_merge_set_module_base(
				r->merge, mb->jm.btf_base, mb->jm.btf_base_sz);
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

/*
 * Which half of a split kernel a package is, by its name: "linux-binary-"
 * or "linux-binary-unsigned-" (the image alone) or "linux-modules-" (the
 * modules alone), *tail what follows (the release, for Debian); NULL for
 * any other package (or none: a directory, a tar, an rpm).
 */
static const char *split_half(const char *pkg, const char **tail)
{
	static const struct {
		const char *prefix, *half;
	} names[] = {
		{"linux-binary-unsigned-", "image"},
		{"linux-binary-", "image"},
		{"linux-modules-", "modules"},
	};
	size_t i, n;

	for (i = 0; pkg && i < sizeof(names) / sizeof(names[0]); i++) {
		n = strlen(names[i].prefix);
		if (!strncmp(pkg, names[i].prefix, n) && pkg[n]) {
			*tail = pkg + n;
			return names[i].half;
		}
	}
	return NULL;
}

/*
 * A release holding one half of a split kernel only (see the head of this
 * file): *msg the error naming the package to add, malloc()ed; NULL when
 * the release is whole, or holds nothing that names itself a half. The
 * modules half with --base is whole (the base stands for the image).
 * Returns 0 or -ENOMEM.
 */
static int split_missing(struct btfar_build *b, struct member **mbs, size_t cnt,
			 char **msg)
{
	const struct member *img = NULL, *img_half = NULL, *mod_half = NULL;
	const char *tail = NULL, *half;
	bool any_module = false;
	size_t i;
	int n;

	*msg = NULL;
	for (i = 0; i < cnt; i++) {
		const struct member *mb = mbs[i];
		const char *t;

		half = split_half(b->packages[mb->input_idx], &t);
		if (mb->kind == MEMBER_IMAGE) {
			img = img ? img : mb;
			if (half && !strcmp(half, "image") && !img_half) {
				img_half = mb;
				if (!mod_half)
					tail = t;
			}
		} else if (mb->kind == MEMBER_MODULE ||
			   mb->kind == MEMBER_DEBUG_MODULE) {
			any_module = true;
			if (half && !strcmp(half, "modules") && !mod_half) {
				mod_half = mb;
				tail = t;
			}
		}
	}
	if (img_half && !any_module)
		n = asprintf(msg,
			     "%s: kernel image of %s but no module in the "
			     "inputs: add linux-modules-%s (a linux-binary "
			     "package holds the image only)",
			     b->inputs[img_half->input_idx], img_half->release,
			     tail);
	else if (mod_half && !img && !b->opts.base)
		n = asprintf(msg,
			     "%s: modules of %s but no kernel image (vmlinuz) "
			     "in the inputs: add linux-binary-%s",
			     b->inputs[mod_half->input_idx], mod_half->release,
			     tail);
	else
		return 0;
	if (n < 0) {
		*msg = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int run_releases(struct btfar_build *b)
{
	size_t i = 0, j, built = 0;
	const char *other_rel;
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
	for (i = 0; i < b->member_cnt; i++)
		if (b->members[i]->kind == MEMBER_MODULE ||
		    b->members[i]->kind == MEMBER_DEBUG_MODULE)
			break;
	other_rel = i < b->member_cnt ? b->members[i]->release : NULL;
	for (i = 0; i < b->member_cnt; i = j) {
		struct release *r = &b->rels[b->rel_cnt++];
		const char *rel = b->members[i]->release, *tree;
		bool any_module = false;

		for (j = i;
		     j < b->member_cnt && !strcmp(b->members[j]->release, rel);
		     j++)
			any_module |=
				b->members[j]->kind == MEMBER_MODULE ||
				b->members[j]->kind == MEMBER_DEBUG_MODULE;
		err = split_missing(b, &b->members[i], j - i, &r->error);
		if (err) {
			set_err(b, "out of memory");
			return err;
		}
		if (r->error) {
			/* half of a split kernel: that release fails */
			r->release = xstrdup(b->members[i]->release);
			if (!r->release) {
				set_err(b, "out of memory");
				return -ENOMEM;
			}
			skipped++;
			blog(b, BTFAR_LOG_WARN, "release %s failed: %s",
			     r->release, r->error);
			continue;
		}
		/* an image without module: a kernel without modules, or
		 * modules left out (the rules above release_has_module_tree) */
		tree = any_module ? NULL : release_has_module_tree(b, rel);
		if (!any_module && (tree || other_rel || !rel[0])) {
			r->release = xstrdup(rel[0] ? rel : "(unknown)");
			if (!rel[0])
				err = asprintf(&r->error,
					       "%s: kernel image of an unknown "
					       "release (none in its path or "
					       "version banner) and no module",
					       b->members[i]->path);
			else if (tree)
				err = asprintf(&r->error,
					       "release %s: no kernel module "
					       "among the inputs (looked for "
					       "lib/modules/%s/**/*.ko{,.xz,"
					       ".zst,.gz}), but %s says the "
					       "kernel has modules: give its "
					       "modules package too",
					       rel, rel, tree);
			else
				err = asprintf(
					&r->error,
					"release %s: kernel image %s but "
					"no module of this release "
					"among the inputs, which hold "
					"modules of %s: give its "
					"modules package too (a kernel "
					"without modules is built "
					"alone)",
					rel, b->members[i]->path, other_rel);
			if (err < 0)
				r->error = NULL;
			skipped++;
			blog(b, BTFAR_LOG_WARN, "release %s failed: %s",
			     r->release, r->error ? r->error : "out of memory");
			continue;
		}
		r->no_modules = !any_module;
		err = build_release(b, r, rel, &b->members[i], j - i);
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
		set_err(b,
			"no kernel module or kernel image found in the "
			"inputs (looked for lib/modules/RELEASE/**/*.ko{,.xz,"
			".zst,.gz}, boot/vmlinuz-RELEASE, "
			"boot/vmlinux-RELEASE, lib/modules/RELEASE/vmlinuz)");
		return -ENOENT;
	}
	if (!built) {
		set_err(b, "no release could be built: %s",
			b->rels[0].error ? b->rels[0].error : "");
		return -EINVAL;
	}
	return skipped;
}

/* One walk over the inputs (those holding debug files in pass 2), the
 * workers processing members behind the reader. */
static int walk_inputs(struct btfar_build *b, struct walk_ctx *w,
		       const struct pkg_walk_opts *o)
{
	size_t i;
	int err = 0;

	/* one reader (this thread), the workers decompress behind it */
	w->q = workq__new(b->opts.jobs, 256, process, b);
	if (!w->q) {
		set_err(b, "cannot start worker threads");
		return -ENOMEM;
	}
	for (i = 0; i < b->input_cnt; i++) {
		struct pkg_stats st = {0};
		struct diag d = {""};

		if (b->pass == 2 && !b->dbg_input[i])
			continue;
		w->input = b->inputs[i];
		w->input_idx = i;
		err = pkg_walk(b->inputs[i], o, &st, &d);
		b->bytes_in_done += st.bytes_in;
		atomic_store(&b->bytes_in, b->bytes_in_done);
		if (!err && b->pass == 1 && st.package[0]) {
			b->packages[i] = strdup(st.package);
			if (!b->packages[i]) {
				set_err(b, "out of memory");
				err = -ENOMEM;
			}
		}
		if (err) {
			if (!b->err[0])
				set_err(b, "%s", d.msg);
			break;
		}
		blog(b, BTFAR_LOG_INFO, "%s: %s, %u files, %.1f MB read%s",
		     b->inputs[i], st.format, st.entries, st.bytes_out / 1e6,
		     b->pass == 2 ? " (debug files)" : "");
	}
	workq__finish(w->q);
	w->q = NULL;
	return err;
}

/*
 * The releases built from DWARF: with from_dwarf, every release with debug
 * files; else those with debug modules whose packages lack usable .BTF (no
 * kernel image with .BTF, or no module with .BTF).
 */
static int choose_dwarf(struct btfar_build *b)
{
	size_t i;
	int err;

	for (i = 0; i < b->member_cnt; i++) {
		const struct member *mb = b->members[i];

		if (b->opts.from_dwarf && mb->kind >= MEMBER_DEBUG_MODULE) {
			err = strs_add(&b->dwarf_rels, &b->dwarf_rel_cnt,
				       &b->dwarf_rel_cap, mb->release);
			if (err) {
				set_err(b, "out of memory");
				return err;
			}
		}
	}
	/* --base: the modules are taken as they are */
	if (b->opts.from_dwarf || b->opts.base)
		return 0;
	for (i = 0; i < b->dbg_rel_cnt; i++) {
		const char *rel = b->dbg_rels[i];
		bool image_btf = false, module_btf = false;
		size_t k;

		for (k = 0; k < b->member_cnt; k++) {
			const struct member *mb = b->members[k];

			if (strcmp(mb->release, rel))
				continue;
			if (mb->kind == MEMBER_IMAGE && mb->img_ok)
				image_btf = true;
			if (mb->kind == MEMBER_MODULE && !mb->reason)
				module_btf = true;
		}
		if (image_btf && module_btf)
			continue;
		blog(b, BTFAR_LOG_INFO,
		     "release %s: no usable .BTF in the %s; encoding it from "
		     "the debug files (DWARF)",
		     rel, image_btf ? "modules" : "kernel image");
		err = strs_add(&b->dwarf_rels, &b->dwarf_rel_cnt,
			       &b->dwarf_rel_cap, rel);
		if (err) {
			set_err(b, "out of memory");
			return err;
		}
	}
	return 0;
}

static bool walk_stop(void *c)
{
	(void)c;
	return interrupt_requested();
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
		.stop = walk_stop,
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
	if (b->opts.from_dwarf && b->opts.base) {
		set_err(b, "--base cannot be used with --from-dwarf (the base "
			   "is encoded from the debug vmlinux)");
		return -EINVAL;
	}
	b->dbg_input = calloc(b->input_cnt, sizeof(*b->dbg_input));
	b->packages = calloc(b->input_cnt, sizeof(*b->packages));
	if (!b->dbg_input || !b->packages) {
		set_err(b, "out of memory");
		return -ENOMEM;
	}
	t0 = mono_seconds();
	b->pass = 1;
	err = walk_inputs(b, &w, &o);
	b->stats.t_read = mono_seconds() - t0;
	b->stats.inputs = (uint32_t)b->input_cnt;
	for (i = 0; i < b->member_cnt; i++) {
		if (b->members[i]->kind == MEMBER_MODULE)
			b->stats.modules++;
		else if (b->members[i]->kind == MEMBER_IMAGE)
			b->stats.images++;
	}
	if (!err)
		err = choose_dwarf(b);
	if (!err && b->dwarf_rel_cnt && !b->opts.from_dwarf) {
		/* the debug files of those releases, in a second walk */
		t0 = mono_seconds();
		b->pass = 2;
		err = walk_inputs(b, &w, &o);
		b->stats.t_debug_read = mono_seconds() - t0;
	} else if (b->opts.from_dwarf) {
		b->stats.t_debug_read = b->stats.t_read;
	}
	b->stats.bytes_in = b->bytes_in_done;
	for (i = 0; i < b->member_cnt; i++)
		if (b->members[i]->kind >= MEMBER_DEBUG_MODULE)
			b->stats.debug_files++;
	if (!err)
		err = run_releases(b);
	/* vmlinux encodings no release took (their release failed) */
	for (i = 0; i < b->member_cnt; i++) {
		struct member *mb = b->members[i];

		if (mb->dbg.enc_started) {
			pthread_join(mb->dbg.enc_tid, NULL);
			mb->dbg.enc_started = false;
		}
	}
	/* every work file goes, whatever happened */
	pahole_workdir_remove(b->workdir);
	b->workdir[0] = '\0';
	if (interrupt_requested()) {
		/* whatever was built is incomplete: nothing to write */
		set_err(b, "interrupted");
		return -EINTR;
	}
	return err;
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
	r->pub.btf_from = r->dwarf ? "dwarf" : "btf";
	r->pub.encoder = r->dwarf ? r->encoder : "";
	r->pub.t_dwarf = r->t_dwarf;
	r->pub.compat = 0;
	if (b->opts.compat) {
		enum btf_compat_level level;
		struct diag d = {""};

		if (!btf_compat__parse_level(b->opts.compat, &level, &d))
			r->pub.compat = (uint32_t)level;
	}
	return &r->pub;
}

/*
 * RELEASE.meta, beside RELEASE.btf: what an archive records about the blob
 * (formats/meta.h); "compat LEVEL" only for a blob rewritten by the compat
 * option, one module line per merged module.
 */
static int write_meta(const struct btfar_release *r, struct file_atomic *fa,
		      const char *path, struct diag *d)
{
	struct meta_module *mods;
	struct meta m = {0};
	char *source = NULL, *text = NULL;
	size_t i, len;
	int err;

	mods = calloc(r->module_cnt + 1, sizeof(*mods));
	if (!mods ||
	    asprintf(&source, "%s%s%s", r->image_source,
		     r->compression[0] || r->encoder[0] ? ", " : "",
		     r->encoder[0] ? r->encoder : r->compression) < 0) {
		free(mods);
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	m.release = r->release;
	m.arch = r->arch;
	m.image = r->image_path;
	m.source = source;
	m.build_id = r->build_id;
	m.base_sha256 = r->base_sha256;
	m.sha256 = r->sha256;
	m.base_types = r->stats.base_types;
	m.types = r->stats.base_types + r->stats.types_after;
	/* BTF encoded from DWARF ("source DWARF, pahole v1.24" above, which
	 * an archive's index keeps); no such lines: the packages' .BTF */
	if (!strcmp(r->btf_from, "dwarf")) {
		m.btf_from = "dwarf";
		m.encoder = r->encoder;
	}
	if (r->compat) /* the level applied: "5.13" for --compat 5.15 */
		m.compat = btf_compat__level_name(
			(enum btf_compat_level)r->compat);
	for (i = 0; i < r->module_cnt; i++) {
		const struct btfar_module_info *mi = &r->modules[i];

		if (!mi->merged)
			continue;
		mods[m.module_cnt].name = mi->name;
		mods[m.module_cnt].types = mi->final_types;
		mods[m.module_cnt].range_cnt = mi->range_cnt;
		mods[m.module_cnt].ranges = mi->ranges;
		m.module_cnt++;
	}
	m.modules = mods;
	err = meta_write(&m, &text, &len, d);
	if (!err)
		err = file_atomic_write(fa, path, text, len, d);
	free(text);
	free(source);
	free(mods);
	return err;
}

/* RELEASE.btf's temporary file, written and synced beside RELEASE.meta's */
struct blob_write {
	struct file_atomic fa;
	const char *path;
	const void *data;
	size_t size;
	struct diag d;
	int err;
};

static void *blob_write(void *arg)
{
	struct blob_write *w = arg;

	w->err = file_atomic_write(&w->fa, w->path, w->data, w->size, &w->d);
	return NULL;
}

/*
 * One release: RELEASE.btf and RELEASE.meta, each to a temporary file
 * beside it, the blob's on a second thread (tens of MB written and
 * synced) while this one makes and writes the meta; both renamed into
 * place once both are on disk, neither when one fails.
 */
static int write_release(struct btfar_build *b, const struct btfar_release *r,
			 const char *outdir)
{
	struct blob_write w = {.data = r->data, .size = r->size};
	struct file_atomic meta = {0};
	char *btf_path = NULL, *meta_path = NULL;
	struct diag d = {""};
	pthread_t tid;
	bool started;
	int err;

	if (asprintf(&btf_path, "%s/%s.btf", outdir, r->release) < 0)
		btf_path = NULL;
	if (asprintf(&meta_path, "%s/%s.meta", outdir, r->release) < 0)
		meta_path = NULL;
	if (!btf_path || !meta_path) {
		set_err(b, "out of memory");
		err = -ENOMEM;
		goto out;
	}
	w.path = btf_path;
	started = !pthread_create(&tid, NULL, blob_write, &w);
	if (!started)
		blob_write(&w);
	err = write_meta(r, &meta, meta_path, &d);
	if (started)
		pthread_join(tid, NULL);
	if (w.err) {
		file_atomic_abort(&meta);
		set_err(b, "%s: %s", btf_path, w.d.msg);
		err = w.err;
		goto out;
	}
	if (err) {
		file_atomic_abort(&w.fa);
		set_err(b, "%s: %s", meta_path, d.msg);
		goto out;
	}
	err = file_atomic_commit(&w.fa, &w.d);
	if (err) {
		file_atomic_abort(&meta);
		set_err(b, "%s: %s", btf_path, w.d.msg);
		goto out;
	}
	err = file_atomic_commit(&meta, &d);
	if (err)
		set_err(b, "%s: %s", meta_path, d.msg);
out:
	free(btf_path);
	free(meta_path);
	return err;
}

static int write_releases(struct btfar_build *b, const char *outdir)
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

		if (r->error || !r->data)
			continue;
		if (strchr(r->release, '/') || !r->release[0] ||
		    !strcmp(r->release, ".") || !strcmp(r->release, "..")) {
			set_err(b, "release name '%s' cannot be a file name",
				r->release);
			return -EINVAL;
		}
		err = write_release(b, r, outdir);
		if (err)
			return err;
	}
	return 0;
}

int btfar_build__write(struct btfar_build *b, const char *outdir)
{
	int err = write_releases(b, outdir);
	size_t i;

	/* the merges' memory, released while the files were written: done
	 * before returning, so that no thread outlives the calls the
	 * caller makes (a CLI that exits without freeing included) */
	for (i = 0; i < b->rel_cnt; i++)
		if (b->rels[i].merge)
			job_merge_settle(b->rels[i].merge);
	return err;
}

/* Removes dir and the files directly in it (what btfar_build__write
 * writes there). */
static void rm_flat_dir(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	char *path;

	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (asprintf(&path, "%s/%s", dir, de->d_name) >= 0) {
			unlink(path);
			free(path);
		}
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/*
 * Build into an archive: the releases are written (btfar_build__write) to
 * a temporary directory beside the archive, so that the rename stays on
 * one file system, then appended to it (btfar_add) or packed into a new
 * one (btfar_pack), and the directory is removed whatever happened.
 */
int btfar_build__write_archive(struct btfar_build *b, const char *archive,
			       const struct btfar_archive_opts *opts,
			       bool *added)
{
	const char *slash = strrchr(archive, '/');
	char err[DIAG_MAX + 1024] = "";
	const char *inputs[1];
	char *tmp = NULL;
	bool existed;
	int r;

	if (asprintf(&tmp, "%.*s.btfar-build.XXXXXX",
		     slash ? (int)(slash - archive + 1) : 0, archive) < 0) {
		set_err(b, "out of memory");
		return -ENOMEM;
	}
	if (!mkdtemp(tmp)) {
		r = -errno;
		set_err(b, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return r;
	}
	r = btfar_build__write(b, tmp);
	if (r < 0)
		goto out;
	inputs[0] = tmp;
	/* exists-then-add and pack under one lock: concurrent builds into
	 * one new archive do not pack over each other */
	r = job_archive_add_or_pack(archive, inputs, 1, opts, &existed, err,
				    sizeof(err));
	if (r < 0)
		set_err(b, "%s", err);
	else if (added)
		*added = existed;
out:
	rm_flat_dir(tmp);
	free(tmp);
	return r;
}
