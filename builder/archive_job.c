// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * archive_job: the .btfa archive API (btfar_archive__*, btfar_pack,
 * btfar_add) and the btfhub export, on top of formats/btfa and
 * formats/btfhub.
 *
 * Inputs are gathered into one list of blobs with their metadata, whatever
 * they came from: `btfar build` output (RELEASE.meta + RELEASE.btf, the
 * blob's sha256 checked against the meta), raw .btf files (labels from the
 * options), the running kernel's /sys/kernel/btf/vmlinux (labelled with
 * that kernel's release, arch and build-id), or archives (every entry read
 * and checked). Pack hands the whole list to btfa_write, which sorts it, so
 * packing archives (the reduce step) gives the same bytes as packing their
 * inputs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "btfar/btfar.h"
#include "builder/interrupt.h"
#include "builder/job.h"
#include "builder/pool.h"
#include "formats/btf_compat.h"
#include "formats/btf_raw.h"
#include "formats/btfa.h"
#include "formats/btfa_sig.h"
#include "formats/btfhub.h"
#include "formats/file.h"
#include "formats/hex.h"
#include "formats/http_src.h"
#include "formats/knotes.h"
#include "formats/mem.h"
#include "formats/meta.h"
#include "formats/sha256.h"
#include "merge/subset.h"

#define MAX_BLOB (UINT64_C(4) << 30)

struct btfar_archive {
	struct btfa_reader r;
	bool remote; /* r reads through http_src */
	struct btfar_archive_entry *ents;
	char err[DIAG_MAX + 512];
};

static void errf(char *err, size_t err_sz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void errf(char *err, size_t err_sz, const char *fmt, ...)
{
	va_list ap;

	if (!err || !err_sz)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_sz, fmt, ap);
	va_end(ap);
}

/* A secret key's bytes gone from memory (volatile: not optimised out). */
static void sodium_memzero_key(struct btfa_seckey *k)
{
	volatile uint8_t *p = (volatile uint8_t *)k;
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		p[i] = 0;
}

/* --- reading an archive ------------------------------------------------ */

int btfar_archive__probe(const char *path)
{
	char magic[sizeof(BTFA_MAGIC)];
	ssize_t n;
	int fd;

	/* a URL names an archive: only archives are read remotely */
	if (http_src__is_url(path))
		return 1;
	fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, magic, sizeof(magic));
	if (n < 0) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	return n == (ssize_t)sizeof(magic) &&
	       !memcmp(magic, BTFA_MAGIC, sizeof(magic));
}

/* opts has field f (callers built against an older header pass a
 * smaller sz). */
#define OPTS_HAS(o, f)                                                         \
	((o) &&                                                                \
	 (o)->sz >= offsetof(struct btfar_archive_opts, f) + sizeof((o)->f))

/* The cache of remote reads: the option, $XDG_CACHE_HOME/btfar/remote,
 * ~/.cache/btfar/remote; NULL: none. *owned is what to free. */
static const char *cache_dir(const struct btfar_archive_opts *o, char **owned)
{
	const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	*owned = NULL;
	if (OPTS_HAS(o, no_cache) && o->no_cache)
		return NULL;
	if (OPTS_HAS(o, cache_dir) && o->cache_dir)
		return o->cache_dir;
	if (x && *x == '/' && asprintf(owned, "%s/btfar/remote", x) > 0)
		return *owned;
	if (home && *home == '/' &&
	    asprintf(owned, "%s/.cache/btfar/remote", home) > 0)
		return *owned;
	*owned = NULL;
	return NULL;
}

/* The source of path: HTTP range requests for a URL, else the file. */
static struct btfa_src *
open_src(const char *path, const struct btfar_archive_opts *o, struct diag *d)
{
	struct http_src_opts ho = {0};
	struct btfa_src *src;
	char *owned;

	if (!http_src__is_url(path))
		return btfa_src__file(path, d);
	if (OPTS_HAS(o, timeout))
		ho.timeout = o->timeout;
	if (OPTS_HAS(o, retries))
		ho.retries = o->retries;
	if (OPTS_HAS(o, allow_full_download))
		ho.allow_full = o->allow_full_download;
	ho.cache_dir = cache_dir(o, &owned);
	src = http_src__open(path, &ho, d);
	free(owned);
	return src;
}

/* The index of r signed by the key in pubkey_path (btfa_sig). */
static int check_sig(struct btfa_reader *r, const char *pubkey_path,
		     struct diag *d)
{
	struct btfa_pubkey k;
	int err;

	err = btfa_sig__read_pubkey(pubkey_path, &k, d);
	if (err)
		return err;
	if (!r->sig) {
		diag_set(d,
			 "the archive is not signed (--pubkey %s asks for "
			 "a signature)",
			 pubkey_path);
		return -EKEYREJECTED;
	}
	err = btfa_sig__verify(&k, r->index_area, r->index_frame_size, r->sig,
			       r->sig_size, d);
	if (err)
		diag_prefix(d, "signature: ");
	return err;
}

/* The public entries of a->r, once it is open. */
static int fill_entries(struct btfar_archive *a)
{
	uint32_t i;

	a->ents = calloc(a->r.entry_cnt + 1, sizeof(*a->ents));
	if (!a->ents)
		return -ENOMEM;
	for (i = 0; i < a->r.entry_cnt; i++) {
		const struct btfa_entry *s = &a->r.entries[i];
		struct btfar_archive_entry *o = &a->ents[i];

		o->release = s->release;
		o->arch = s->arch;
		o->distro = s->distro;
		o->distro_version = s->distro_version;
		o->flavour = s->flavour;
		o->build_id = s->build_id;
		o->source = s->source;
		hex_encode(s->base_sha256, 32, o->base_sha256);
		hex_encode(s->blob_sha256, 32, o->blob_sha256);
		o->frame_off = s->frame_off;
		o->frame_size = s->frame_size;
		o->blob_size = s->blob_size;
		o->dict_id = s->dict_id;
		o->base_types = s->base_types;
		o->types = s->types;
		o->module_cnt = s->module_cnt;
		o->compat = s->compat;
		o->delta_of =
			s->encoding == BTFA_ENC_DELTA ? s->ref_idx : SIZE_MAX;
	}
	return 0;
}

/* path (a file or a URL), or data/size when path is NULL. */
static struct btfar_archive *archive_open(const char *path, const void *data,
					  size_t size,
					  const struct btfar_archive_opts *opts,
					  char *err, size_t err_sz)
{
	struct btfar_archive *a = calloc(1, sizeof(*a));
	const char *name = path ? path : "archive in memory";
	struct btfa_src *src;
	struct diag d = {""};
	int e;

	if (!a) {
		errf(err, err_sz, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	a->remote = path && http_src__is_url(path);
	src = path ? open_src(path, opts, &d) : btfa_src__mem(data, size);
	if (!src) {
		e = path ? errno : ENOMEM;
		if (!path)
			diag_set(&d, "out of memory");
		errf(err, err_sz, a->remote ? "%s" : "%s: %s",
		     a->remote ? d.msg : name, d.msg);
		free(a);
		errno = e;
		return NULL;
	}
	e = btfa_reader__open_src(&a->r, src, &d);
	if (!e && OPTS_HAS(opts, pubkey) && opts->pubkey)
		e = check_sig(&a->r, opts->pubkey, &d);
	if (e) {
		errf(err, err_sz, "%s: %s", name, d.msg);
		btfa_reader__close(&a->r);
		free(a);
		errno = -e;
		return NULL;
	}
	if (fill_entries(a)) {
		errf(err, err_sz, "out of memory");
		btfar_archive__free(a);
		errno = ENOMEM;
		return NULL;
	}
	/* reads: the jobs asked for, else the online CPUs (a read uses
	 * two at most: btfa_reader.threads) */
	a->r.threads = OPTS_HAS(opts, jobs) && opts->jobs > 0
			       ? (unsigned int)opts->jobs
			       : (unsigned int)pool_cpu_count();
	a->r.one_delta = OPTS_HAS(opts, one_read) && opts->one_read;
	return a;
}

struct btfar_archive *btfar_archive__open(const char *path,
					  const struct btfar_archive_opts *opts,
					  char *err, size_t err_sz)
{
	return archive_open(path, NULL, 0, opts, err, err_sz);
}

struct btfar_archive *btfar_archive__open_mem(const void *data, size_t size,
					      char *err, size_t err_sz)
{
	return archive_open(NULL, data, size, NULL, err, err_sz);
}

int btfar_archive__find_running(struct btfar_archive *a, const char *root)
{
	struct btfar_running k;
	char why[512];
	int idx;

	if (btfar_running_kernel(root, &k, why, sizeof(why))) {
		snprintf(a->err, sizeof(a->err), "running kernel: %s", why);
		return -ENOENT;
	}
	idx = btfar_archive__find(a, k.release,
				  k.build_id[0] ? k.build_id : NULL, k.arch);
	if (idx == -ENOENT && k.build_id[0]) {
		/* entries without a build-id (raw blobs) are found by
		 * release and arch, as get --running does */
		int any = btfar_archive__find(a, k.release, NULL, k.arch);

		if (any >= 0 && !a->ents[any].build_id[0])
			idx = any;
		else if (any != -ENOENT)
			btfar_archive__find(a, k.release, k.build_id, k.arch);
	}
	return idx;
}

int btfar_archive__memfd(struct btfar_archive *a, size_t idx, char *path,
			 size_t path_sz)
{
	void *data = NULL;
	size_t size, off = 0;
	int fd, err;

	err = btfar_archive__read(a, idx, &data, &size);
	if (err)
		return err;
	fd = memfd_create("btfar-btf", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0) {
		err = -errno;
		snprintf(a->err, sizeof(a->err), "memfd_create: %s",
			 strerror(errno));
		free(data);
		return err;
	}
	while (off < size) {
		ssize_t n = write(fd, (const char *)data + off, size - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			snprintf(a->err, sizeof(a->err), "memfd: write: %s",
				 strerror(-err));
			free(data);
			close(fd);
			return err;
		}
		off += (size_t)n;
	}
	free(data);
	/* libbpf opens the path: nothing may change it meanwhile */
	fcntl(fd, F_ADD_SEALS,
	      F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
	if (path)
		snprintf(path, path_sz, "/proc/self/fd/%d", fd);
	return fd;
}

void btfar_archive__free(struct btfar_archive *a)
{
	if (!a)
		return;
	btfa_reader__close(&a->r);
	free(a->ents);
	free(a);
}

size_t btfar_archive__entry_cnt(const struct btfar_archive *a)
{
	return a->r.entry_cnt;
}

const struct btfar_archive_entry *
btfar_archive__entry(const struct btfar_archive *a, size_t idx)
{
	return idx < a->r.entry_cnt ? &a->ents[idx] : NULL;
}

const char *btfar_archive__module_name(const struct btfar_archive *a,
				       size_t idx, size_t k)
{
	struct diag d;

	if (idx >= a->r.entry_cnt || k >= a->r.entries[idx].module_cnt)
		return NULL;
	/* version 3: the entry's module block, read on first use (the
	 * archive object is logically const: it caches what it read) */
	if (btfa_reader__load_modules((struct btfa_reader *)&a->r,
				      (uint32_t)idx, &d))
		return NULL;
	return a->r.modules[a->r.entries[idx].module_first + k].name;
}

uint64_t btfar_archive__file_size(const struct btfar_archive *a)
{
	return a->r.file_size;
}

void btfar_archive__fetch_stats(const struct btfar_archive *a,
				struct btfar_fetch_stats *st)
{
	struct http_src_stats hs;

	memset(st, 0, sizeof(*st));
	if (!a->remote) {
		st->fetched = a->r.bytes_read;
		return;
	}
	http_src__stats(a->r.src, &hs);
	st->fetched = hs.fetched;
	st->requests = hs.requests;
	st->cached = hs.cache_bytes;
}

int btfar_archive__signed(const struct btfar_archive *a)
{
	return a->r.sig != NULL;
}

const char *btfar_archive__errstr(const struct btfar_archive *a)
{
	return a->err;
}

int btfar_archive__read(struct btfar_archive *a, size_t idx, void **data,
			size_t *size)
{
	struct diag d = {""};
	int err;

	if (idx >= a->r.entry_cnt) {
		snprintf(a->err, sizeof(a->err), "no entry %zu", idx);
		return -ENOENT;
	}
	err = btfa_reader__read(&a->r, (uint32_t)idx, data, size, &d);
	if (err)
		snprintf(a->err, sizeof(a->err), "entry %zu (%s): %s", idx,
			 a->ents[idx].release, d.msg);
	return err;
}

/* The SHA-256 check of a blob being written (write_blob). */
struct blob_check {
	const struct btfa_reader *r;
	uint32_t idx;
	const void *data;
	size_t size;
	struct diag d;
	int err;
};

static void *blob_check(void *arg)
{
	struct blob_check *c = arg;

	c->err = btfa_reader_check(c->r, c->idx, c->data, c->size, &c->d);
	return NULL;
}

int btfar_archive__write_blob(struct btfar_archive *a, size_t idx,
			      const char *path)
{
	struct file_atomic fa = {0};
	struct blob_check c = {.d = {""}};
	struct diag d = {""};
	bool beside = false;
	pthread_t t;
	void *data;
	size_t size;
	int err;

	if (a->r.threads < 2 || idx >= a->r.entry_cnt) {
		err = btfar_archive__read(a, idx, &data, &size);
		if (err)
			return err;
		err = file_write_atomic(path, data, size, &d);
		if (err)
			snprintf(a->err, sizeof(a->err), "%s: %s", path, d.msg);
		free(data);
		return err;
	}
	/* the SHA-256 on a second thread while this one writes and syncs
	 * the temporary file: renamed into place only once both are done
	 * and good, and a bad blob is reported as btfar_archive__read
	 * reports it, whatever the write did */
	err = btfa_reader_read_unverified(&a->r, (uint32_t)idx, &data, &size,
					  &c.d);
	if (err) {
		snprintf(a->err, sizeof(a->err), "entry %zu (%s): %s", idx,
			 a->ents[idx].release, c.d.msg);
		return err;
	}
	c.r = &a->r;
	c.idx = (uint32_t)idx;
	c.data = data;
	c.size = size;
	beside = !pthread_create(&t, NULL, blob_check, &c);
	err = file_atomic_write(&fa, path, data, size, &d);
	if (beside)
		pthread_join(t, NULL);
	else
		blob_check(&c);
	if (c.err) {
		file_atomic_abort(&fa);
		snprintf(a->err, sizeof(a->err), "entry %zu (%s): %s", idx,
			 a->ents[idx].release, c.d.msg);
		err = c.err;
	} else if (!err) {
		err = file_atomic_commit(&fa, &d);
	}
	if (err && !c.err)
		snprintf(a->err, sizeof(a->err), "%s: %s", path, d.msg);
	free(data);
	return err;
}

const char *btfar_compat_level_name(uint32_t compat)
{
	const char *name;

	if (!compat)
		return "";
	name = btf_compat__level_name((enum btf_compat_level)compat);
	return strcmp(name, "?") ? name : NULL;
}

int btfar_archive__write_compat(struct btfar_archive *a, size_t idx,
				const char *version, const char *path)
{
	enum btf_compat_level level;
	struct diag d = {""};
	void *data = NULL, *blob = NULL;
	size_t size, blob_sz = 0;
	uint32_t stored;
	int err;

	if (idx >= a->r.entry_cnt) {
		snprintf(a->err, sizeof(a->err), "no entry %zu", idx);
		return -ENOENT;
	}
	err = btf_compat__parse_level(version, &level, &d);
	if (err) {
		snprintf(a->err, sizeof(a->err), "compat: %s", d.msg);
		return err;
	}
	stored = a->r.entries[idx].compat;
	/* already at that level or an older one: nothing newer to rewrite */
	if (stored && stored <= (uint32_t)level) {
		err = btfar_archive__write_blob(a, idx, path);
		return err ? err : 1;
	}
	err = btfar_archive__read(a, idx, &data, &size);
	if (err)
		return err;
	err = job_compat_blob(data, size, version, &blob, &blob_sz, &d);
	if (err)
		snprintf(a->err, sizeof(a->err),
			 "entry %zu (%s): compat %s: %s", idx,
			 a->ents[idx].release, btf_compat__level_name(level),
			 d.msg);
	else if ((err = file_write_atomic(path, blob, blob_sz, &d)))
		snprintf(a->err, sizeof(a->err), "%s: %s", path, d.msg);
	free(blob);
	free(data);
	return err;
}

int btfar_archive__verify(struct btfar_archive *a, size_t idx)
{
	const struct btfar_archive_entry *e;
	struct btf_raw raw;
	struct diag d = {""};
	void *data;
	size_t size;
	int err;

	err = btfar_archive__read(a, idx, &data, &size);
	if (err)
		return err;
	e = &a->ents[idx];
	/* version 3: its module block too (version 6: with the ranges
	 * through the payload just read) */
	err = btfa_reader__load_ranges(&a->r, (uint32_t)idx, &d);
	if (err) {
		snprintf(a->err, sizeof(a->err), "%s", d.msg);
		free(data);
		return err;
	}
	err = btf_raw__parse(&raw, data, size, NULL, &d);
	if (err) {
		snprintf(a->err, sizeof(a->err), "entry %zu (%s): BTF: %s", idx,
			 e->release, d.msg);
		free(data);
		return err;
	}
	if (e->types && btf_raw__type_cnt(&raw) - 1 != e->types) {
		snprintf(a->err, sizeof(a->err),
			 "entry %zu (%s): BTF has %u types, index says %u", idx,
			 e->release, btf_raw__type_cnt(&raw) - 1, e->types);
		err = -EBADMSG;
	}
	btf_raw__release(&raw);
	free(data);
	return err;
}

static bool build_match(const struct btfar_archive_entry *e, const char *b)
{
	size_t n = strlen(b);

	return !strncmp(e->build_id, b, n) || !strncmp(e->base_sha256, b, n);
}

static void add_candidates(struct btfar_archive *a, const char *release,
			   const char *build, const char *arch)
{
	size_t i, len = strlen(a->err);

	for (i = 0; i < a->r.entry_cnt && len < sizeof(a->err) - 1; i++) {
		const struct btfar_archive_entry *e = &a->ents[i];

		if (strcmp(e->release, release) ||
		    (arch && strcmp(e->arch, arch)) ||
		    (build && !build_match(e, build)))
			continue;
		snprintf(a->err + len, sizeof(a->err) - len,
			 "\n  %s %s build-id %s base %.16s%s%s", e->release,
			 e->arch[0] ? e->arch : "-",
			 e->build_id[0] ? e->build_id : "-", e->base_sha256,
			 e->compat ? " compat " : "",
			 e->compat ? btfar_compat_level_name(e->compat) : "");
		len = strlen(a->err);
	}
}

int btfar_archive__find(struct btfar_archive *a, const char *release,
			const char *build, const char *arch)
{
	size_t i, hits = 0, hit = 0;

	if (build && !*build)
		build = NULL;
	for (i = 0; i < a->r.entry_cnt; i++) {
		const struct btfar_archive_entry *e = &a->ents[i];

		if (strcmp(e->release, release) ||
		    (arch && strcmp(e->arch, arch)) ||
		    (build && !build_match(e, build)))
			continue;
		hits++;
		hit = i;
	}
	if (hits == 1)
		return (int)hit;
	if (!hits) {
		snprintf(a->err, sizeof(a->err),
			 "no entry for release %s%s%s%s%s; entries of that "
			 "release:",
			 release, build ? " build " : "", build ? build : "",
			 arch ? " arch " : "", arch ? arch : "");
		hits = strlen(a->err);
		add_candidates(a, release, NULL, NULL);
		if (strlen(a->err) == hits)
			snprintf(a->err + hits, sizeof(a->err) - hits, " none");
		return -ENOENT;
	}
	snprintf(a->err, sizeof(a->err),
		 "%zu entries match release %s%s%s; give --build (a prefix "
		 "of the build-id or base sha256) or --arch:",
		 hits, release, build ? " build " : "", build ? build : "");
	add_candidates(a, release, build, arch);
	return -EEXIST;
}

/* --- inputs -------------------------------------------------------------- */

/* One blob gathered from an input; owns everything it points to. */
struct in_blob {
	struct btfa_blob_in b;
	char *strs[7]; /* release, arch, distro, distro_version, flavour,
			  build_id, source */
	void *data;
	struct btfa_module_in *mods;
	uint32_t *ranges;
};

struct inset {
	struct in_blob *v;
	size_t cnt, cap;
	const struct btfar_archive_opts *o;
	char *err;
	size_t err_sz;
};

static void in_blob_release(struct in_blob *ib)
{
	uint32_t k;

	for (k = 0; k < 7; k++)
		free(ib->strs[k]);
	for (k = 0; ib->mods && k < ib->b.module_cnt; k++)
		free((char *)ib->mods[k].name);
	free(ib->mods);
	free(ib->ranges);
	free(ib->data);
}

static void inset_release(struct inset *s)
{
	size_t i;

	for (i = 0; i < s->cnt; i++)
		in_blob_release(&s->v[i]);
	free(s->v);
}

/*
 * Sets the strings of ib (copies) from strs[7]; an empty distro,
 * distro_version, flavour or arch takes the options' label.
 */
static int set_strs(struct in_blob *ib, const char *const strs[7],
		    const struct btfar_archive_opts *o)
{
	const char *lab[7] = {NULL,
			      o ? o->arch : NULL,
			      o ? o->distro : NULL,
			      o ? o->distro_version : NULL,
			      o ? o->flavour : NULL,
			      NULL,
			      NULL};
	const char **dst[7] = {&ib->b.e.release, &ib->b.e.arch,
			       &ib->b.e.distro,	 &ib->b.e.distro_version,
			       &ib->b.e.flavour, &ib->b.e.build_id,
			       &ib->b.e.source};
	uint32_t k;

	for (k = 0; k < 7; k++) {
		const char *s = strs[k] ? strs[k] : "";

		if (!*s && lab[k])
			s = lab[k];
		ib->strs[k] = strdup(s);
		if (!ib->strs[k])
			return -ENOMEM;
		*dst[k] = ib->strs[k];
	}
	return 0;
}

static struct in_blob *inset_new(struct inset *s)
{
	if (mem_ensure((void **)&s->v, &s->cap, sizeof(*s->v), s->cnt + 1))
		return NULL;
	memset(&s->v[s->cnt], 0, sizeof(s->v[0]));
	return &s->v[s->cnt++];
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && !strcmp(s + n - m, suf);
}

/* RELEASE.meta (written by `btfar build`, formats/meta.h) and its
 * RELEASE.btf. */
static int read_meta_pair(struct inset *s, const char *meta_path,
			  const char *btf_path)
{
	const char *strs[7] = {0};
	char *text = NULL, got[65];
	struct in_blob *ib = NULL;
	struct meta m = {0};
	struct diag d = {""};
	size_t text_sz, size, nr = 0;
	void *data = NULL;
	uint32_t k;
	int err;

	err = file_read_all(meta_path, META_FILE_MAX, (void **)&text, &text_sz,
			    &d);
	if (err) {
		errf(s->err, s->err_sz, "%s: %s", meta_path, d.msg);
		return err;
	}
	err = file_read_all(btf_path, MAX_BLOB, &data, &size, &d);
	if (err) {
		errf(s->err, s->err_sz, "%s: %s", btf_path, d.msg);
		free(text);
		return err;
	}
	err = meta_parse(&m, text, text_sz, &d);
	free(text);
	if (err) {
		errf(s->err, s->err_sz, "%s: %s", meta_path, d.msg);
		free(data);
		goto out;
	}
	sha256_hex(data, size, got);
	if (!m.sha256 || strcmp(got, m.sha256)) {
		errf(s->err, s->err_sz,
		     "%s: sha256 %s, but %s says %s (stale pair?)", btf_path,
		     got, meta_path,
		     m.sha256 && m.sha256[0] ? m.sha256 : "nothing");
		free(data);
		err = -EINVAL;
		goto out;
	}
	ib = inset_new(s);
	if (!ib) {
		free(data);
		goto nomem;
	}
	ib->data = data;
	ib->b.data = data;
	ib->b.size = size;
	memcpy(ib->b.e.base_sha256, m.base_sha256_bin, 32);
	ib->b.e.compat = m.compat_level;
	ib->b.e.base_types = m.base_types;
	ib->b.e.types = m.types;
	for (k = 0; k < m.module_cnt; k++)
		nr += m.modules[k].range_cnt;
	ib->mods = calloc(m.module_cnt + 1, sizeof(*ib->mods));
	ib->ranges = calloc(2 * nr + 1, sizeof(*ib->ranges));
	if (!ib->mods || !ib->ranges)
		goto nomem;
	nr = 0;
	for (k = 0; k < m.module_cnt; k++) {
		const struct meta_module *mm = &m.modules[k];
		struct btfa_module_in *mi = &ib->mods[k];

		mi->name = strdup(mm->name);
		if (!mi->name)
			goto nomem;
		ib->b.module_cnt = k + 1;
		mi->types = mm->types;
		mi->range_cnt = mm->range_cnt;
		mi->ranges = ib->ranges + 2 * nr;
		memcpy(ib->ranges + 2 * nr, mm->ranges,
		       2 * sizeof(uint32_t) * mm->range_cnt);
		nr += mm->range_cnt;
	}
	ib->b.modules = ib->mods;
	strs[0] = m.release;
	strs[1] = m.arch;
	strs[5] = m.build_id;
	strs[6] = m.source;
	err = set_strs(ib, strs, s->o);
	if (err)
		goto nomem;
out:
	meta_release(&m);
	return err;
nomem:
	errf(s->err, s->err_sz, "%s: out of memory", meta_path);
	meta_release(&m);
	return -ENOMEM;
}

/* Every entry of an archive, read and checked. */
static int read_archive(struct inset *s, const char *path)
{
	struct btfa_reader r;
	struct diag d = {""};
	uint32_t i, k, j;
	int err;

	err = btfa_reader__open(&r, path, &d);
	if (err) {
		errf(s->err, s->err_sz, "%s: %s", path, d.msg);
		return err;
	}
	for (i = 0; i < r.entry_cnt; i++) {
		const struct btfa_entry *e = &r.entries[i];
		const char *strs[7] = {
			e->release, e->arch,	 e->distro, e->distro_version,
			e->flavour, e->build_id, e->source};
		struct in_blob *ib = inset_new(s);
		size_t nr = 0, size;

		if (!ib) {
			err = -ENOMEM;
			break;
		}
		err = btfa_reader__read(&r, i, &ib->data, &size, &d);
		if (err) {
			errf(s->err, s->err_sz, "%s: entry %u (%s): %s", path,
			     i, e->release, d.msg);
			break;
		}
		ib->b.data = ib->data;
		ib->b.size = size;
		memcpy(ib->b.e.base_sha256, e->base_sha256, 32);
		ib->b.e.base_types = e->base_types;
		ib->b.e.types = e->types;
		ib->b.e.compat = e->compat;
		err = set_strs(ib, strs, s->o);
		if (err)
			break;
		err = btfa_reader__load_ranges(&r, i, &d);
		if (err) {
			errf(s->err, s->err_sz, "%s: %s", path, d.msg);
			break;
		}
		for (k = 0; k < e->module_cnt; k++)
			nr += r.modules[e->module_first + k].range_cnt;
		ib->mods = calloc(e->module_cnt + 1, sizeof(*ib->mods));
		ib->ranges = calloc(2 * nr + 1, sizeof(*ib->ranges));
		if (!ib->mods || !ib->ranges) {
			err = -ENOMEM;
			break;
		}
		nr = 0;
		for (k = 0; k < e->module_cnt; k++) {
			const struct btfa_module *m =
				&r.modules[e->module_first + k];
			struct btfa_module_in *mi = &ib->mods[k];

			mi->name = strdup(m->name);
			if (!mi->name) {
				err = -ENOMEM;
				break;
			}
			ib->b.module_cnt = k + 1;
			mi->types = m->types;
			mi->range_cnt = m->range_cnt;
			mi->ranges = ib->ranges + 2 * nr;
			for (j = 0; j < m->range_cnt; j++, nr++) {
				ib->ranges[2 * nr] =
					r.ranges[m->range_first + j].first;
				ib->ranges[2 * nr + 1] =
					r.ranges[m->range_first + j].count;
			}
		}
		if (err)
			break;
		ib->b.modules = ib->mods;
	}
	if (err == -ENOMEM)
		errf(s->err, s->err_sz, "%s: out of memory", path);
	btfa_reader__close(&r);
	return err;
}

/* A raw .btf without .meta: release from the file name. */
static int read_raw(struct inset *s, const char *path)
{
	const char *base = strrchr(path, '/');
	const char *strs[7] = {0};
	struct in_blob *ib;
	struct btf_raw raw;
	struct diag d = {""};
	char *rel;
	size_t size;
	void *data;
	int err;

	err = file_read_all(path, MAX_BLOB, &data, &size, &d);
	if (err) {
		errf(s->err, s->err_sz, "%s: %s", path, d.msg);
		return err;
	}
	err = btf_raw__parse(&raw, data, size, NULL, &d);
	if (err) {
		errf(s->err, s->err_sz,
		     "%s: not a .btfa archive, a btfar-meta file nor valid "
		     "raw BTF: %s",
		     path, d.msg);
		free(data);
		return err;
	}
	rel = strdup(base ? base + 1 : path);
	ib = rel ? inset_new(s) : NULL;
	if (!ib) {
		btf_raw__release(&raw);
		free(rel);
		free(data);
		errf(s->err, s->err_sz, "out of memory");
		return -ENOMEM;
	}
	if (has_suffix(rel, ".btf"))
		rel[strlen(rel) - 4] = '\0';
	ib->data = data;
	ib->b.data = data;
	ib->b.size = size;
	ib->b.e.types = btf_raw__type_cnt(&raw) - 1;
	btf_raw__release(&raw);
	strs[0] = rel;
	strs[6] = "raw BTF";
	err = set_strs(ib, strs, s->o);
	free(rel);
	if (err)
		errf(s->err, s->err_sz, "out of memory");
	return err;
}

/* The root of btfar_archive_opts, when the caller's struct has it. */
static const char *opts_root(const struct btfar_archive_opts *o)
{
	if (!o ||
	    o->sz < offsetof(struct btfar_archive_opts, root) + sizeof(o->root))
		return NULL;
	return o->root;
}

/*
 * Is path, links resolved, ROOT/sys/kernel/btf/vmlinux: the BTF of the
 * kernel running under ROOT? Any other file (a copy of it too) is not: its
 * labels are not guessed.
 */
static bool is_running_btf(const char *path, const char *root)
{
	char *p = realpath(path, NULL), *r = realpath(root ? root : "/", NULL);
	bool yes = false;

	if (p && r) {
		size_t n = strcmp(r, "/") ? strlen(r) : 0;

		yes = !strncmp(p, r, n) &&
		      !strcmp(p + n, "/sys/kernel/btf/vmlinux");
	}
	free(p);
	free(r);
	return yes;
}

/*
 * The running kernel's BTF: labelled with that kernel's release, arch and
 * build-id (btfar_running_kernel), the labels `get --running` looks up. The
 * blob is vmlinux BTF alone, so its base is all of it: base_sha256 is the
 * sha256 of the blob, as a `btfar build` of the same kernel records.
 */
static int read_running(struct inset *s, const char *path, const char *root)
{
	const char *strs[7] = {0};
	struct btfar_running k;
	struct in_blob *ib;
	struct btf_raw raw;
	struct diag d = {""};
	struct sha256 sh;
	char why[1024];
	size_t size;
	void *data;
	int err;

	err = btfar_running_kernel(root, &k, why, sizeof(why));
	if (err) {
		errf(s->err, s->err_sz, "%s: running kernel: %s", path, why);
		return err;
	}
	err = file_read_all(path, MAX_BLOB, &data, &size, &d);
	if (err) {
		errf(s->err, s->err_sz, "%s: %s", path, d.msg);
		return err;
	}
	err = btf_raw__parse(&raw, data, size, NULL, &d);
	if (err) {
		errf(s->err, s->err_sz, "%s: not valid raw BTF: %s", path,
		     d.msg);
		free(data);
		return err;
	}
	ib = inset_new(s);
	if (!ib) {
		btf_raw__release(&raw);
		free(data);
		errf(s->err, s->err_sz, "out of memory");
		return -ENOMEM;
	}
	ib->data = data;
	ib->b.data = data;
	ib->b.size = size;
	ib->b.e.types = btf_raw__type_cnt(&raw) - 1;
	ib->b.e.base_types = ib->b.e.types;
	btf_raw__release(&raw);
	sha256_init(&sh);
	sha256_update(&sh, data, size);
	sha256_final(&sh, ib->b.e.base_sha256);
	strs[0] = k.release;
	strs[1] = k.arch;
	strs[5] = k.build_id;
	strs[6] = "running kernel";
	err = set_strs(ib, strs, s->o);
	if (err)
		errf(s->err, s->err_sz, "out of memory");
	return err;
}

static int meta_filter(const struct dirent *de)
{
	return has_suffix(de->d_name, ".meta");
}

static int collect(struct inset *s, const char *path)
{
	struct stat st;
	char magic[8] = "";
	char *a = NULL, *b = NULL;
	int err = 0, fd;

	if (stat(path, &st) < 0) {
		err = -errno;
		errf(s->err, s->err_sz, "%s: %s", path, strerror(errno));
		return err;
	}
	if (is_running_btf(path, opts_root(s->o)))
		return read_running(s, path, opts_root(s->o));
	if (S_ISDIR(st.st_mode)) {
		struct dirent **list;
		int n, i;

		n = scandir(path, &list, meta_filter, alphasort);
		if (n < 0) {
			err = -errno;
			errf(s->err, s->err_sz, "%s: %s", path,
			     strerror(errno));
			return err;
		}
		if (n == 0)
			errf(s->err, s->err_sz,
			     "%s: no RELEASE.meta file (not a btfar build "
			     "output directory)",
			     path);
		for (i = 0; i < n; i++) {
			size_t len = strlen(list[i]->d_name) - 5;

			if (!err &&
			    (asprintf(&a, "%s/%s", path, list[i]->d_name) < 0 ||
			     asprintf(&b, "%s/%.*s.btf", path, (int)len,
				      list[i]->d_name) < 0))
				err = -ENOMEM;
			if (!err)
				err = read_meta_pair(s, a, b);
			free(a);
			free(b);
			a = b = NULL;
			free(list[i]);
		}
		free(list);
		return n == 0 ? -ENOENT : err;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (read(fd, magic, sizeof(magic)) < 0)
			magic[0] = '\0';
		close(fd);
	}
	if (!memcmp(magic, BTFA_MAGIC, 8))
		return read_archive(s, path);
	if (has_suffix(path, ".meta") || has_suffix(path, ".btf")) {
		size_t stem = strlen(path) - (has_suffix(path, ".btf") ? 4 : 5);

		if (asprintf(&a, "%.*s.meta", (int)stem, path) < 0 ||
		    asprintf(&b, "%.*s.btf", (int)stem, path) < 0) {
			free(a);
			return -ENOMEM;
		}
		if (access(a, F_OK) == 0)
			err = read_meta_pair(s, a, b);
		else if (has_suffix(path, ".btf"))
			err = read_raw(s, path);
		else
			err = read_meta_pair(s, a, b); /* reports it */
		free(a);
		free(b);
		return err;
	}
	return read_raw(s, path);
}

static void job_progress(const struct btfar_archive_opts *o, const char *phase,
			 size_t done, size_t total)
{
	struct btfar_progress p = {
		.phase = phase, .done = done, .total = total};

	if (o && o->progress)
		o->progress(&p, o->progress_ctx);
}

static void on_phase(const char *phase, void *ctx)
{
	job_progress(ctx, phase, 0, 0);
}

static int collect_all(struct inset *s, const char *const *inputs, size_t n)
{
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		job_progress(s->o, "read", i, n);
		err = collect(s, inputs[i]);
		if (err)
			return err;
	}
	return 0;
}

static struct btfa_blob_in *blob_list(const struct inset *s)
{
	struct btfa_blob_in *v = calloc(s->cnt + 1, sizeof(*v));
	size_t i;

	for (i = 0; v && i < s->cnt; i++)
		v[i] = s->v[i].b;
	return v;
}

/* The secret key of o->seckey into k (w->key set), if given. */
static int write_key(const struct btfar_archive_opts *o,
		     struct btfa_write_opts *w, struct btfa_seckey *k,
		     char *err, size_t err_sz)
{
	struct diag d = {""};
	int ret;

	if (!OPTS_HAS(o, seckey) || !o->seckey)
		return 0;
	ret = btfa_sig__read_seckey(o->seckey, k, &d);
	if (ret) {
		errf(err, err_sz, "%s", d.msg);
		return ret;
	}
	w->key = k;
	return 0;
}

/* --- for other pipelines (min-core): the inputs of pack as blobs --- */

struct job_blobs {
	struct inset s;
};

int job_blobs_collect(const char *const *inputs, size_t n,
		      const struct btfar_archive_opts *o,
		      struct job_blobs **out, char *err, size_t err_sz)
{
	struct job_blobs *jb = calloc(1, sizeof(*jb));
	int ret;

	*out = NULL;
	if (!jb) {
		errf(err, err_sz, "out of memory");
		return -ENOMEM;
	}
	jb->s.o = o;
	jb->s.err = err;
	jb->s.err_sz = err_sz;
	ret = collect_all(&jb->s, inputs, n);
	if (ret) {
		job_blobs_free(jb);
		return ret;
	}
	*out = jb;
	return 0;
}

size_t job_blobs_cnt(const struct job_blobs *jb)
{
	return jb ? jb->s.cnt : 0;
}

const struct btfa_blob_in *job_blobs_get(const struct job_blobs *jb, size_t i)
{
	return &jb->s.v[i].b;
}

void job_blobs_free(struct job_blobs *jb)
{
	if (!jb)
		return;
	inset_release(&jb->s);
	free(jb);
}

void job_archive_write_opts(const struct btfar_archive_opts *o,
			    struct btfa_write_opts *w)
{
	memset(w, 0, sizeof(*w));
	if (o) {
		w->dict_size = o->dict_size;
		w->level = o->level;
		w->new_dict = o->new_dict;
		w->no_delta = o->no_delta;
		w->threads = o->jobs;
	}
	if (w->threads <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		w->threads = n > 0 ? (int)n : 1;
	}
	w->phase = on_phase;
	w->phase_ctx = (void *)o;
}

static int pack_unlocked(const char *out, const char *const *inputs,
			 size_t input_cnt,
			 const struct btfar_archive_opts *opts, char *err,
			 size_t err_sz)
{
	struct inset s = {.o = opts, .err = err, .err_sz = err_sz};
	struct btfa_seckey key;
	struct btfa_write_opts wo;
	struct btfa_blob_in *v = NULL;
	struct diag d = {""};
	int ret;

	errf(err, err_sz, "%s", "");
	ret = collect_all(&s, inputs, input_cnt);
	if (ret)
		goto out;
	if (!s.cnt) {
		errf(err, err_sz, "no blob among the inputs");
		ret = -ENOENT;
		goto out;
	}
	v = blob_list(&s);
	if (!v) {
		errf(err, err_sz, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	job_archive_write_opts(opts, &wo);
	ret = write_key(opts, &wo, &key, err, err_sz);
	if (!ret)
		ret = btfa_write(out, v, s.cnt, &wo, &d);
	if (ret < 0 && d.msg[0])
		errf(err, err_sz, "%s: %s", out, d.msg);
out:
	sodium_memzero_key(&key);
	free(v);
	inset_release(&s);
	return ret;
}

static int add_unlocked(const char *archive, const char *const *inputs,
			size_t input_cnt, const struct btfar_archive_opts *opts,
			char *err, size_t err_sz)
{
	struct inset s = {.o = opts, .err = err, .err_sz = err_sz};
	struct btfa_seckey key;
	struct btfa_write_opts wo;
	struct btfa_blob_in *v = NULL;
	struct diag d = {""};
	size_t added = 0;
	int ret;

	errf(err, err_sz, "%s", "");
	ret = collect_all(&s, inputs, input_cnt);
	if (ret)
		goto out;
	v = blob_list(&s);
	if (!v) {
		errf(err, err_sz, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	job_archive_write_opts(opts, &wo);
	ret = write_key(opts, &wo, &key, err, err_sz);
	if (ret < 0)
		goto out;
	ret = btfa_append(archive, v, s.cnt, &wo, &added, &d);
	if (ret < 0)
		errf(err, err_sz, "%s: %s", archive, d.msg);
	else
		ret = (int)added;
out:
	sodium_memzero_key(&key);
	free(v);
	inset_release(&s);
	return ret;
}

/*
 * Writers of one archive take turns. add appends in place under an flock
 * on the archive itself (btfa_append). A pack writes a new file and renames
 * it, and before the first one there is no archive to lock: pack, and
 * build -o X.btfa (exists-then-add, or pack), hold an exclusive flock(2) on
 * PATH.lock from before they look at the archive to after it is written.
 * Without it, builds started at once into a new archive each packed one
 * and the last rename won (tests/cli/archive_concurrent.sh). The holder
 * removes PATH.lock before it lets go; a waiter that wakes on a removed
 * file (its inode no longer at PATH.lock) opens it again. So nothing is
 * left beside the archive, but after a SIGKILL: a PATH.lock that the next
 * writer takes and removes. Readers take no lock. A pack over an archive
 * while an add to it runs is not serialized with it: the reduce runs when
 * the adds are done. Returns the descriptor, for archive_unlock(), or a
 * negative errno (err set).
 */
static int archive_lock(const char *path, char **lock_path, char *err,
			size_t err_sz)
{
	struct stat fst, pst;
	char *lock = NULL;
	int fd, ret;

	if (asprintf(&lock, "%s.lock", path) < 0) {
		errf(err, err_sz, "out of memory");
		return -ENOMEM;
	}
	for (;;) {
		fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (fd < 0) {
			ret = -errno;
			errf(err, err_sz, "%s: cannot open the lock file: %s",
			     lock, strerror(errno));
			goto fail;
		}
		while (flock(fd, LOCK_EX) < 0) {
			if (errno == EINTR && !interrupt_requested())
				continue;
			ret = errno == EINTR ? -EINTR : -errno;
			errf(err, err_sz, "%s: %s", lock,
			     errno == EINTR
				     ? "interrupted while waiting for the lock"
				     : strerror(errno));
			close(fd);
			goto fail;
		}
		/* the file locked is still the one at that path */
		if (fstat(fd, &fst) == 0 && stat(lock, &pst) == 0 &&
		    fst.st_dev == pst.st_dev && fst.st_ino == pst.st_ino)
			break;
		close(fd);
	}
	*lock_path = lock;
	return fd;
fail:
	free(lock);
	return ret;
}

static void archive_unlock(int fd, char *lock_path)
{
	unlink(lock_path);
	close(fd);
	free(lock_path);
}

int btfar_pack(const char *out, const char *const *inputs, size_t input_cnt,
	       const struct btfar_archive_opts *opts, char *err, size_t err_sz)
{
	char *lock = NULL;
	int fd = archive_lock(out, &lock, err, err_sz), ret;

	if (fd < 0)
		return fd;
	ret = pack_unlocked(out, inputs, input_cnt, opts, err, err_sz);
	archive_unlock(fd, lock);
	return ret;
}

int btfar_add(const char *archive, const char *const *inputs, size_t input_cnt,
	      const struct btfar_archive_opts *opts, char *err, size_t err_sz)
{
	/* btfa_append locks the archive */
	return add_unlocked(archive, inputs, input_cnt, opts, err, err_sz);
}

int job_archive_add_or_pack(const char *archive, const char *const *inputs,
			    size_t input_cnt,
			    const struct btfar_archive_opts *opts, bool *added,
			    char *err, size_t err_sz)
{
	char *lock = NULL;
	int fd = archive_lock(archive, &lock, err, err_sz), ret;

	if (fd < 0)
		return fd;
	*added = access(archive, F_OK) == 0;
	if (*added)
		ret = add_unlocked(archive, inputs, input_cnt, opts, err,
				   err_sz);
	else
		ret = pack_unlocked(archive, inputs, input_cnt, opts, err,
				    err_sz);
	archive_unlock(fd, lock);
	return ret;
}

int btfar_sign(const char *archive, const char *seckey, char *err,
	       size_t err_sz)
{
	struct btfa_seckey k;
	struct diag d = {""};
	int ret;

	errf(err, err_sz, "%s", "");
	ret = btfa_sig__read_seckey(seckey, &k, &d);
	if (!ret)
		ret = btfa_sign(archive, &k, &d);
	sodium_memzero_key(&k);
	if (ret < 0)
		errf(err, err_sz, "%s: %s", ret == -EINVAL ? seckey : archive,
		     d.msg);
	return ret;
}

int btfar_keygen(const char *path_prefix, char *err, size_t err_sz)
{
	struct diag d = {""};
	int ret = btfa_sig__keygen(path_prefix, &d);

	if (ret < 0)
		errf(err, err_sz, "%s", d.msg);
	return ret;
}

/* --- btfhub export -------------------------------------------------------- */

/* One btfhub file (formats/btfhub.h), rewritten for opts->compat first. */
static int export_one(const struct btfa_blob_in *b, const char *dir,
		      const struct btfar_archive_opts *opts, char *err,
		      size_t err_sz)
{
	const struct btfa_entry *e = &b->e;
	const struct btfhub_file f = {e->distro, e->distro_version, e->arch,
				      e->release};
	struct diag d = {""};
	void *cblob = NULL;
	size_t cblob_sz = 0;
	int ret;

	if (opts && opts->compat &&
	    (ret = job_compat_blob(b->data, b->size, opts->compat, &cblob,
				   &cblob_sz, &d))) {
		errf(err, err_sz, "%s: %s", e->release, d.msg);
	} else if ((ret = btfhub_write_file(dir, &f, cblob ? cblob : b->data,
					    cblob ? cblob_sz : b->size, &d))) {
		errf(err, err_sz, "%s", d.msg);
	}
	free(cblob);
	return ret;
}

/* The files of an export, compressed on several threads (xz -9 is the
 * slow part: about 50 s for a 27 MB blob here); each file is made by one
 * thread, so the bytes do not depend on how many. */
struct export_job {
	struct inset *s;
	const bool *skip;
	const char *dir;
	const struct btfar_archive_opts *opts;
	pthread_mutex_t lock;
	size_t next;
	int *rets;
	char (*errs)[DIAG_MAX + 512];
};

static void *export_worker(void *arg)
{
	struct export_job *j = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&j->lock);
		i = j->next++;
		/* the caller's callback runs on one thread at a time */
		if (i < j->s->cnt && !j->skip[i])
			job_progress(j->opts, "compress", i, j->s->cnt);
		pthread_mutex_unlock(&j->lock);
		if (i >= j->s->cnt)
			return NULL;
		if (j->skip[i])
			continue;
		j->rets[i] = export_one(&j->s->v[i].b, j->dir, j->opts,
					j->errs[i], sizeof(j->errs[i]));
	}
}

int btfar_export_btfhub(const char *dir, const char *const *inputs,
			size_t input_cnt, const struct btfar_archive_opts *opts,
			char *err, size_t err_sz)
{
	struct inset s = {.o = opts, .err = err, .err_sz = err_sz};
	struct export_job j = {.s = &s, .dir = dir, .opts = opts};
	pthread_t tid[64];
	bool *skip = NULL;
	size_t i;
	int ret, files = 0, threads, started = 0, t;

	errf(err, err_sz, "%s", "");
	ret = collect_all(&s, inputs, input_cnt);
	if (ret)
		goto out;
	skip = calloc(s.cnt + 1, sizeof(*skip));
	j.rets = calloc(s.cnt + 1, sizeof(*j.rets));
	j.errs = calloc(s.cnt + 1, sizeof(*j.errs));
	if (!skip || !j.rets || !j.errs) {
		errf(err, err_sz, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	/* names and duplicates first, in order: nothing is written when an
	 * input cannot be exported */
	for (i = 0; i < s.cnt; i++) {
		const struct btfa_entry *e = &s.v[i].b.e;
		const char *arch = btfhub_arch(e->arch);
		size_t k;

		if (btfhub_bad_component(e->distro) ||
		    btfhub_bad_component(e->distro_version) ||
		    btfhub_bad_component(arch) ||
		    btfhub_bad_component(e->release)) {
			errf(err, err_sz,
			     "%s: distro '%s', version '%s', arch '%s': each "
			     "must be a non-empty file name (--distro, "
			     "--distro-version, --arch)",
			     e->release, e->distro, e->distro_version, arch);
			ret = -EINVAL;
			goto out;
		}
		for (k = 0; k < i && !skip[i]; k++) {
			const struct btfa_blob_in *o = &s.v[k].b;

			if (strcmp(o->e.distro, e->distro) ||
			    strcmp(o->e.distro_version, e->distro_version) ||
			    strcmp(o->e.arch, e->arch) ||
			    strcmp(o->e.release, e->release))
				continue;
			if (o->size != s.v[i].b.size ||
			    memcmp(o->data, s.v[i].b.data, o->size)) {
				errf(err, err_sz,
				     "%s/%s/%s/%s.btf.tar.xz: two different "
				     "blobs (two builds of one release) "
				     "cannot share one btfhub file",
				     e->distro, e->distro_version, arch,
				     e->release);
				ret = -EEXIST;
				goto out;
			}
			skip[i] = true;
		}
	}
	j.skip = skip;
	threads = opts && opts->jobs > 0 ? opts->jobs
					 : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (threads < 1)
		threads = 1;
	if (threads > 64)
		threads = 64;
	pthread_mutex_init(&j.lock, NULL);
	for (t = 1; t < threads; t++)
		if (!pthread_create(&tid[started], NULL, export_worker, &j))
			started++;
	export_worker(&j);
	for (t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	pthread_mutex_destroy(&j.lock);
	/* the first failure in input order, whatever the timing */
	for (i = 0; i < s.cnt; i++) {
		if (skip[i])
			continue;
		if (j.rets[i]) {
			ret = j.rets[i];
			errf(err, err_sz, "%s", j.errs[i]);
			goto out;
		}
		files++;
	}
	{
		struct diag d = {""};

		ret = btfhub_write_catalog(dir, &d);
		if (ret)
			errf(err, err_sz, "%s", d.msg);
	}
out:
	free(skip);
	free(j.rets);
	free(j.errs);
	inset_release(&s);
	return ret ? ret : files;
}

/* --- get --module, get --running ---------------------------------------- */

int btfar_archive__write_module(struct btfar_archive *a, size_t idx,
				const char *module, bool split,
				const char *path)
{
	const struct btfa_entry *e;
	const struct btfa_module *m = NULL;
	struct btf_raw raw = {0};
	struct diag d = {""};
	uint32_t *ids = NULL, k, j, n = 0, cnt = 0, base_str_len;
	void *data = NULL, *out = NULL, *base = NULL;
	size_t size, out_size, base_size;
	int err;

	if (idx >= a->r.entry_cnt) {
		snprintf(a->err, sizeof(a->err), "no entry %zu", idx);
		return -ENOENT;
	}
	e = &a->r.entries[idx];
	/* the module first: a remote archive reads the frames only when
	 * the module is there */
	err = btfa_reader__load_modules(&a->r, (uint32_t)idx, &d);
	if (err) {
		snprintf(a->err, sizeof(a->err), "entry %zu (%s): %s", idx,
			 e->release, d.msg);
		return err;
	}
	for (k = 0; k < e->module_cnt && !m; k++)
		if (!strcmp(a->r.modules[e->module_first + k].name, module))
			m = &a->r.modules[e->module_first + k];
	/* a block through the type map (format version 6) has its ranges
	 * once the entry's payload is read */
	if (!m || (!m->range_cnt && !btfa_reader_ranges_pending(&a->r, idx)))
		goto no_ids;
	err = btfar_archive__read(a, idx, &data, &size);
	if (err)
		goto out;
	err = btfa_reader__load_ranges(&a->r, (uint32_t)idx, &d);
	if (err) {
		snprintf(a->err, sizeof(a->err), "%s", d.msg);
		goto out;
	}
	if (!m->range_cnt)
		goto no_ids;
	ids = malloc(((size_t)m->types + 1) * sizeof(*ids));
	for (k = 0; ids && k < m->range_cnt; k++) {
		const struct btfa_range *rg = &a->r.ranges[m->range_first + k];

		for (j = 0; j < rg->count && n < m->types; j++)
			ids[n++] = rg->first + j;
	}
	if (!ids) {
		err = -ENOMEM;
		snprintf(a->err, sizeof(a->err), "out of memory");
		goto out;
	}
	err = btf_raw__parse(&raw, data, size, NULL, &d);
	if (err)
		goto fail;
	base_str_len = btf_subset__base_str_len(&raw, e->base_types);
	if (split) {
		/* split BTF is only valid on the exact vmlinux BTF: the base
		 * part must be the bytes the index names by their sha256 */
		uint8_t sum[32];
		struct sha256 sh;

		err = btf_subset__base(&raw, e->base_types, base_str_len, &base,
				       &base_size, &d);
		if (err)
			goto fail;
		sha256_init(&sh);
		sha256_update(&sh, base, base_size);
		sha256_final(&sh, sum);
		if (memcmp(sum, e->base_sha256, 32)) {
			snprintf(a->err, sizeof(a->err),
				 "%s: the blob's first %u types do not give "
				 "back the vmlinux BTF the index names (base "
				 "sha256 %.12s...): split BTF would not fit "
				 "it; get the module without --split",
				 e->release, e->base_types,
				 a->ents[idx].base_sha256);
			err = -EINVAL;
			goto out;
		}
	}
	err = btf_subset__write(&raw, e->base_types, base_str_len, ids, n,
				split, &out, &out_size, &cnt, &d);
	if (err)
		goto fail;
	err = file_write_atomic(path, out, out_size, &d);
	if (err)
		snprintf(a->err, sizeof(a->err), "%s: %s", path, d.msg);
	else
		err = (int)(cnt > INT32_MAX ? INT32_MAX : cnt);
	goto out;
fail:
	snprintf(a->err, sizeof(a->err), "%s: module %s: %s", e->release,
		 module, d.msg);
	goto out;
no_ids:
	snprintf(a->err, sizeof(a->err),
		 !m ? "%s has no module %s (list --json names them)"
		    : "%s: the archive records no type ids for module %s: all "
		      "its types are vmlinux's, or an earlier btfar "
		      "deduplicated the blob with libbpf's engine, which kept "
		      "no module ids",
		 e->release, module);
	err = -ENOENT;
out:
	btf_raw__release(&raw);
	free(ids);
	free(data);
	free(out);
	free(base);
	return err;
}

/*
 * uname's machine as btfar names arches (kimage_elf_arch: the words of the
 * ELF machine): "i686" is "i386", "armv7l" is "arm", "mips64" is "mips";
 * the others ("x86_64", "aarch64", "riscv64", "s390x", "ppc64le") are the
 * same word.
 */
static void running_arch(const char *machine, char *out, size_t out_sz)
{
	size_t n;

	if (machine[0] == 'i' && machine[1] >= '3' && machine[1] <= '6' &&
	    !strcmp(machine + 2, "86"))
		machine = "i386";
	else if (!strncmp(machine, "arm", 3))
		machine = "arm";
	else if (!strncmp(machine, "mips", 4))
		machine = "mips";
	n = strnlen(machine, out_sz - 1);
	memcpy(out, machine, n);
	out[n] = '\0';
}

int btfar_running_kernel(const char *root, struct btfar_running *k, char *err,
			 size_t err_sz)
{
	uint8_t id[KNOTES_BUILD_ID_MAX];
	struct diag d = {""};
	char path[4096];
	struct utsname u;
	size_t n, id_sz;
	void *notes;
	FILE *f;
	int ret;

	memset(k, 0, sizeof(*k));
	if (!root)
		root = "";
	snprintf(path, sizeof(path), "%s/proc/sys/kernel/osrelease", root);
	f = fopen(path, "r");
	if (!f || !fgets(k->release, sizeof(k->release), f)) {
		errf(err, err_sz, "%s: %s", path,
		     f ? "empty" : strerror(errno));
		if (f)
			fclose(f);
		return -ENOENT;
	}
	fclose(f);
	k->release[strcspn(k->release, "\n")] = 0;
	if (uname(&u) == 0)
		running_arch(u.machine, k->arch, sizeof(k->arch));
	/*
	 * The build-id, when the kernel shows its notes (root only on some
	 * systems) and has one: without it the release and arch choose. Notes
	 * that are there but do not parse are an error, not a missing id.
	 */
	snprintf(path, sizeof(path), "%s/sys/kernel/notes", root);
	if (file_read_all(path, 1 << 20, &notes, &n, &d))
		return 0;
	ret = knotes_build_id(notes, n, id, &id_sz, &d);
	free(notes);
	if (ret == -ENOENT)
		return 0;
	if (ret) {
		errf(err, err_sz, "%s: %s", path, d.msg);
		return ret;
	}
	hex_encode(id, id_sz, k->build_id);
	return 0;
}
