/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * job: what the builder's pipelines (merge, build, verify, check, rebase,
 * distill, archives) share, declared once; defined in
 *   report.c       job_log, job_report_progress: the caller's callbacks
 *   load.c         job_load_base*, job_extract_module, job_read_module
 *   inputs.c       module paths: classify, collect, names, lists
 *   merge_job.c    job_merge_*, job_compat_blob: the merge as a step of
 *                  build and archives
 *   distill_job.c  job_relocate_distilled
 *   archive_job.c  job_archive_add_or_pack
 */
#ifndef BTFAR_BUILDER_JOB_H
#define BTFAR_BUILDER_JOB_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "btfar/btfar.h"
#include "formats/btf_raw.h"
#include "formats/diag.h"
#include "formats/elf_btf.h"

/* Calls fn (if set) with a formatted message, under lock (if set). */
void job_log(btfar_log_fn fn, void *ctx, pthread_mutex_t *lock,
	     enum btfar_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Calls fn (if set) with p, under lock (if set). */
void job_report_progress(btfar_progress_fn fn, void *ctx, pthread_mutex_t *lock,
			 const struct btfar_progress *p);

/*
 * Loads a base: a vmlinux ELF, a kernel image or raw BTF; validates its BTF
 * as standalone and keeps an aligned copy of it in *file. The _release
 * variant also gives the release of the base's version banner ("" for raw
 * BTF or when there is none).
 */
int job_load_base_release(const char *path, void **file, size_t *file_sz,
			  struct elf_btf *elf, bool *is_elf,
			  struct btf_raw *base, char *release,
			  size_t release_sz, struct diag *d);
int job_load_base(const char *path, void **file, size_t *file_sz,
		  struct elf_btf *elf, bool *is_elf, struct btf_raw *base,
		  struct diag *d);

/* What a module file holds for btfar. */
struct job_module {
	void *btf; /* malloc()ed copy of its .BTF (or raw split BTF) */
	size_t btf_sz;
	char name[64];	    /* .modinfo name=, "" if none */
	char vermagic[256]; /* .modinfo vermagic=, "" if none */
	/* .BTF.base (distilled base), in btf's allocation; NULL if none */
	const void *btf_base;
	size_t btf_base_sz;
	/* .note.gnu.build-id of an ELF module (set also when it has no
	 * .BTF: the DWARF build checks it against the debug file's) */
	uint8_t build_id[64];
	size_t build_id_sz;
};

/*
 * From the bytes of a module file (.ko, .ko.xz, .ko.zst, .ko.gz, or raw
 * split BTF) in memory: its BTF bytes (not yet validated), name and
 * vermagic. file stays the caller's. With base_elf, the module's ELF class
 * and byte order must be the base's.
 */
int job_extract_module(const void *file, size_t file_sz,
		       const struct elf_btf *base_elf, uint64_t max_bytes,
		       uint64_t max_ratio, struct job_module *out,
		       struct diag *d);
/* The same, reading the file first. */
int job_read_module(const char *path, const struct elf_btf *base_elf,
		    uint64_t max_bytes, uint64_t max_ratio,
		    struct job_module *out, uint64_t *bytes_read,
		    struct diag *d);

/*
 * For pipelines that read modules themselves (btfar build): the base as raw
 * BTF bytes (ownership passes to m; label names it in messages), and
 * modules already extracted (btf owned by m from here; or reason set when
 * the module could not be read: it is reported as skipped).
 */
int job_merge_set_base_btf(struct btfar_merge *m, void *btf, size_t size,
			   const char *label);
int job_merge_add_module(struct btfar_merge *m, const char *path,
			 const char *name, void *btf, size_t btf_sz,
			 uint64_t bytes_read, const char *reason);
/* The module added last carries a distilled base (job_module.btf_base, in
 * its btf's allocation): the merge relocates it onto its base. */
int job_merge_set_module_base(struct btfar_merge *m, const void *btf_base,
			      size_t btf_base_sz);
/* The merge may run with no module (btfar build of a kernel built
 * without modules: the blob is the base's BTF); by default it refuses. */
void job_merge_allow_no_module(struct btfar_merge *m);
/* A self-contained blob rewritten for the readers of kernel version
 * (docs/COMPAT.md) into a malloc()ed *blob. */
int job_compat_blob(const void *data, size_t size, const char *version,
		    void **blob, size_t *blob_sz, struct diag *d);
/* SHA-256 of the merge's output, "" before it ran. */
const char *job_merge_sha256(const struct btfar_merge *m);
/* Waits for what btfar_merge__run left to release on a thread of its own. */
void job_merge_settle(struct btfar_merge *m);
/* The base's BTF bytes, NULL before the base is set. */
const void *job_merge_base(const struct btfar_merge *m, size_t *size);
/* The base parsed, NULL before it is set. */
const struct btf_raw *job_merge_base_raw(const struct btfar_merge *m);

/*
 * A module with a distilled base (jm->btf_base): its .BTF parsed on it and
 * relocated onto base (merge/distill); jm->btf then holds split BTF on base
 * and jm->btf_base is NULL. *index, base's index, is made on first use
 * under lock. Returns 0 or -errno with d saying why.
 */
struct rebase_map;
int job_relocate_distilled(struct rebase_map **index, pthread_mutex_t *lock,
			   const struct btf_raw *base, struct job_module *jm,
			   struct diag *d);

/* The length of the path's .ko, .ko.xz, .ko.zst or .ko.gz ending, 0 if
 * it has none. */
size_t job_module_suffix_len(const char *path);
/* The path ends in .ko, .ko.xz, .ko.zst or .ko.gz. */
bool job_is_module_path(const char *path);
/* What a file among the module inputs is (the rules: builder/inputs.c). */
enum job_input_kind {
	JOB_INPUT_OTHER,	  /* not a module */
	JOB_INPUT_MODULE,	  /* .ko, .ko.xz, .ko.zst, .ko.gz; ELF named */
	JOB_INPUT_RAW_SPLIT,	  /* raw split BTF: a module */
	JOB_INPUT_RAW_STANDALONE, /* raw standalone BTF: an error */
};
/* named: given explicitly (an ELF file is then a module whatever its
 * name). Returns 0, or -errno when the file cannot be read (d says why). */
int job_classify_input(const char *path, bool named, enum job_input_kind *kind,
		       struct diag *d);

/* What job_collect_modules found; log (optional) gets, per directory, the
 * counts (BTFAR_LOG_INFO) and each file ignored (BTFAR_LOG_DEBUG). */
struct job_inputs {
	btfar_log_fn log;
	void *log_ctx;
	pthread_mutex_t *lock; /* held around log calls; may be NULL */
	uint32_t modules;      /* module files (by name; ELF files named) */
	uint32_t raw;	       /* raw split BTF files */
	uint32_t ignored;      /* other files in the directories walked */
};

/*
 * The module files inputs name: files as given (refused when they are not
 * a module or raw split BTF), directories walked for module files and raw
 * split BTF (symbolic links not followed, other files ignored); sorted by
 * path, each once. A raw standalone BTF file, named or found, is an error.
 * *paths and its strings are malloc()ed: job_free_paths(). in may be NULL;
 * its counts are added to.
 */
int job_collect_modules(const char *const *inputs, size_t n, char ***paths,
			size_t *cnt, struct job_inputs *in, struct diag *d);
/* Inputs that gave no module: d says what was looked for, and where (the
 * inputs); returns -ENOENT. */
int job_no_module_error(const char *const *inputs, size_t n,
			const struct job_inputs *in, struct diag *d);
void job_free_paths(char **paths, size_t cnt);

/*
 * archive_job.c, for pipelines that read what pack reads (min-core): every
 * blob of the inputs (build output, raw .btf, the running kernel's BTF,
 * archives), with its labels; the message in err on failure.
 */
struct job_blobs;
struct btfa_blob_in;
struct btfa_write_opts;
int job_blobs_collect(const char *const *inputs, size_t n,
		      const struct btfar_archive_opts *o,
		      struct job_blobs **out, char *err, size_t err_sz);
size_t job_blobs_cnt(const struct job_blobs *jb);
const struct btfa_blob_in *job_blobs_get(const struct job_blobs *jb, size_t i);
void job_blobs_free(struct job_blobs *jb);
/* The btfa writer's options from the archive options (as pack uses). */
void job_archive_write_opts(const struct btfar_archive_opts *o,
			    struct btfa_write_opts *w);

/* Module name from a path: file name without suffix, '-' as '_'. */
char *job_module_name(const char *path);
/* A comma-separated list of module names holds name. */
bool job_list_has(const char *list, const char *name);

/* archive_job.c, for build -o X.btfa: under the archive's lock, add the
 * inputs to it when it exists (*added true), else pack them into it. */
int job_archive_add_or_pack(const char *archive, const char *const *inputs,
			    size_t input_cnt,
			    const struct btfar_archive_opts *opts, bool *added,
			    char *err, size_t err_sz);

#endif /* BTFAR_BUILDER_JOB_H */
