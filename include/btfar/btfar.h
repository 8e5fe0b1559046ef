/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * btfar: build self-contained BTF for offline CO-RE from kernel packages.
 *
 * This is the only header a consumer includes. Every object comes with a
 * __new/__free pair; __free accepts NULL. Functions returning int return a
 * negative errno on failure; functions returning a pointer return NULL and
 * set errno. The library never prints: it reports through the log callback
 * set in the options.
 */
#ifndef BTFAR_BTFAR_H
#define BTFAR_BTFAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(BTFAR_BUILDING) && defined(__GNUC__)
#define BTFAR_API __attribute__((visibility("default")))
#else
#define BTFAR_API
#endif

#define BTFAR_VERSION_MAJOR 0
#define BTFAR_VERSION_MINOR 1
#define BTFAR_VERSION_PATCH 0

BTFAR_API const char *btfar_version(void);

enum btfar_log_level {
	BTFAR_LOG_WARN = 0,
	BTFAR_LOG_INFO = 1,
	BTFAR_LOG_DEBUG = 2,
};

/* Called for every message; msg ends without a newline. */
typedef void (*btfar_log_fn)(enum btfar_log_level level, const char *msg,
			     void *ctx);

/* What to do with the per-module DATASEC and VAR records (percpu data). */
enum btfar_datasec_policy {
	/* keep every module's DATASEC and its VARs, one DATASEC per module */
	BTFAR_DATASEC_KEEP = 0,
	/* drop module DATASEC and VAR records: CO-RE never reads them */
	BTFAR_DATASEC_DROP = 1,
};

/* Which deduplication engine runs. */
enum btfar_dedup_engine {
	/* btfar's partition refinement (default) */
	BTFAR_DEDUP_REFINE = 0,
	/* libbpf's btf__dedup, for comparison */
	BTFAR_DEDUP_LIBBPF = 1,
};

/* Progress of a long operation, for a progress bar. */
struct btfar_progress {
	const char *phase; /* "read", "merge", "dedup", "write" */
	size_t done;	   /* units done in this phase */
	size_t total;	   /* units in this phase, 0 if unknown */
	uint64_t bytes_in; /* bytes read from disk so far */
	/* bytes_in when every input has been read (btfar build: the sizes
	 * of the package files given), 0 if unknown (a directory among the
	 * inputs); a second pass over the inputs (BTF from DWARF) may read
	 * past it */
	uint64_t bytes_total;
};

typedef void (*btfar_progress_fn)(const struct btfar_progress *p, void *ctx);

struct btfar_merge_opts {
	size_t sz;  /* sizeof(struct btfar_merge_opts), for extension */
	int jobs;   /* worker threads; <= 0: number of online CPUs */
	bool split; /* emit split BTF on the base instead of self-contained */
	bool no_dedup; /* skip deduplication */
	bool strict;   /* any skipped module fails the merge */
	enum btfar_datasec_policy datasec;
	enum btfar_dedup_engine dedup_engine;
	/* module names (as in .modinfo name=, or file name without .ko*),
	 * comma separated; NULL means all. */
	const char *only;
	const char *exclude;
	uint64_t
		max_module_bytes; /* cap on one decompressed module; 0: 1 GiB */
	uint64_t max_ratio;	  /* cap on expansion ratio; 0: 1000 */
	btfar_log_fn log;
	void *log_ctx;
	btfar_progress_fn progress;
	void *progress_ctx;
	/* kernel version ("5.15") whose BTF readers the output must suit:
	 * kinds newer than it are rewritten into older ones, type ids kept
	 * (docs/COMPAT.md); NULL: none. Self-contained output only. */
	const char *compat;
	/* skip the collision report (btfar_merge__collision_cnt() is then
	 * 0): for callers that do not show it */
	bool no_collisions; /* keep the module types that no named type,
			     * function, variable or section reaches (the types
			     * pahole writes for locals and casts; no CO-RE
			     * relocation, kfunc or ksym lookup can reach them).
			     * false, the default: they are dropped after dedup
			     * and the module types left are numbered again in
			     * order (base ids never change). No effect with
			     * no_dedup. */
	bool keep_unreachable;
};

struct btfar_merge;

/* One module as the merge saw it. Strings are owned by the merge object. */
struct btfar_module_info {
	const char *path; /* input path as given, or path inside a directory */
	const char *name; /* module name */
	bool merged;	  /* false: skipped, see reason */
	const char *reason; /* why skipped, NULL if merged */
	uint32_t type_cnt;  /* types in the module's split BTF */
	uint32_t first_id;  /* first id of its types in the merged blob,
			       pre-dedup */
	/* The module-part ids its types became in the output, as sorted
	 * disjoint (first, count) pairs; 0 ranges when the dedup engine does
	 * not tell (libbpf) or the module was skipped. */
	const uint32_t *ranges; /* 2 * range_cnt values */
	uint32_t range_cnt;
	uint32_t final_types; /* ids the ranges cover */
};

struct btfar_merge_stats {
	uint32_t modules_found;
	uint32_t modules_merged;
	uint32_t modules_skipped;
	uint32_t base_types;	  /* types in the base (vmlinux) */
	uint32_t types_before;	  /* module types after renumbering */
	uint32_t types_after;	  /* module types after dedup */
	uint64_t bytes_before;	  /* raw split blob size before dedup */
	uint64_t bytes_after;	  /* raw split blob size after dedup */
	uint32_t datasec_dropped; /* DATASEC + VAR records dropped by policy */
	uint64_t bytes_read;	  /* bytes read from disk */
	double t_read;	/* seconds: read, decompress, parse, validate */
	double t_merge; /* seconds: renumbering */
	double t_dedup; /* seconds: deduplication */
	double t_emit;	/* seconds: building the output blob */
	/* module types dedup left that no named type reaches, dropped
	 * (0 with keep_unreachable) */
	uint32_t unreachable_dropped;
};

BTFAR_API struct btfar_merge *
btfar_merge__new(const struct btfar_merge_opts *opts);
BTFAR_API void btfar_merge__free(struct btfar_merge *m);

/* Base: a vmlinux ELF (with .BTF) or a raw BTF file. */
BTFAR_API int btfar_merge__set_base(struct btfar_merge *m, const char *path);
/* A module (.ko, .ko.xz, .ko.zst, .ko.gz, raw split BTF) or a directory,
 * walked recursively for modules. */
BTFAR_API int btfar_merge__add_input(struct btfar_merge *m, const char *path);
/* Reads, validates, merges and deduplicates. Returns 0 when every module was
 * merged, a positive count of skipped modules, or a negative errno. */
BTFAR_API int btfar_merge__run(struct btfar_merge *m);
/* Writes the result atomically (temporary file, fsync, rename). */
BTFAR_API int btfar_merge__write(struct btfar_merge *m, const char *path);
/* The result, valid until __free. */
BTFAR_API const void *btfar_merge__data(const struct btfar_merge *m,
					size_t *size);
BTFAR_API const struct btfar_merge_stats *
btfar_merge__stats(const struct btfar_merge *m);
BTFAR_API size_t btfar_merge__module_cnt(const struct btfar_merge *m);
BTFAR_API const struct btfar_module_info *
btfar_merge__module(const struct btfar_merge *m, size_t idx);
/* The last error message, "" if none. Owned by m. */
BTFAR_API const char *btfar_merge__errstr(const struct btfar_merge *m);

/*
 * Name collisions: a struct, union, enum or typedef name that several
 * modules define differently, so the merged blob holds several distinct
 * types of that name. Available after __run.
 */
struct btfar_collision {
	const char *name;     /* type name */
	const char *kind;     /* "struct", "union", "enum", "typedef" */
	uint32_t variant_cnt; /* distinct definitions */
	uint32_t module_cnt;  /* modules in modules[] */
	const char *const
		*modules;	 /* module names, sorted; "vmlinux" for base */
	const uint32_t *variant; /* per module, index of its definition */
};

BTFAR_API size_t btfar_merge__collision_cnt(const struct btfar_merge *m);
BTFAR_API const struct btfar_collision *
btfar_merge__collision(const struct btfar_merge *m, size_t idx);

/*
 * Verify: every named type, function and enumerator of each module's split
 * BTF has an equivalent in a merged self-contained blob (same kind, name,
 * size, members, offsets, bitfield sizes, enum values, prototypes,
 * recursively).
 */
struct btfar_verify_opts {
	size_t sz;
	int jobs;
	btfar_log_fn log; /* every miss is reported at BTFAR_LOG_WARN */
	void *log_ctx;
	uint32_t max_misses_logged; /* 0: 100 */
	/* the blob was merged with BTFAR_DATASEC_DROP: skip VAR/DATASEC */
	bool ignore_datasec;
	/* the modules' own base when it is another build than the merged
	 * blob's (rebased modules): named base types are then compared by
	 * layout (kind, name, size, member names and offsets); NULL: same */
	const char *module_base;
};

struct btfar_verify_stats {
	uint32_t modules;     /* modules checked */
	uint32_t modules_bad; /* modules that could not be read or checked */
	uint64_t checked;     /* named types, functions and enumerators */
	uint64_t found;	      /* of which found equivalent */
	uint64_t missed;      /* of which missing or different */
};

/* Returns 0 if everything was found, 1 if anything missed, or -errno. */
BTFAR_API int btfar_verify(const char *base_path, const char *merged_path,
			   const char *const *inputs, size_t input_cnt,
			   const struct btfar_verify_opts *opts,
			   struct btfar_verify_stats *stats, char *err,
			   size_t err_sz);

/*
 * Check: does each module's split BTF fit a base? Identity (vermagic
 * against the base's version banner) and structure (the split BTF
 * validated on the base; a module with a distilled base, .BTF.base,
 * relocated onto the base first) are both evidence.
 */
struct btfar_check_opts {
	size_t sz;
	int jobs;
	/* the base's release, when the base file does not say (raw BTF);
	 * NULL: read from the base's version banner if it has one */
	const char *release;
};

struct btfar_check_result {
	const char *path;
	const char *name;     /* .modinfo name=, "" if unknown */
	const char *vermagic; /* "" if none */
	bool ok;
	bool relocated;	      /* its .BTF.base relocated onto the base */
	const char *evidence; /* the first mismatch found, NULL if ok */
};

struct btfar_check_stats {
	uint32_t modules, ok, mismatched;
	char base_release[128]; /* "" if unknown */
};

/* Called once per module, in path order. */
typedef void (*btfar_check_fn)(const struct btfar_check_result *r, void *ctx);

/* Returns 0 if every module fits, 1 if any does not, or -errno. */
BTFAR_API int btfar_check(const char *base_path, const char *const *inputs,
			  size_t input_cnt, const struct btfar_check_opts *opts,
			  btfar_check_fn fn, void *ctx,
			  struct btfar_check_stats *stats, char *err,
			  size_t err_sz);

/*
 * Rebase: modules whose split BTF was encoded on one vmlinux build (old)
 * rewritten to be valid on another (new); each written as raw split BTF
 * OUTDIR/NAME.btf, or refused with what the new base lacks. A module with
 * a distilled base (.BTF.base) is relocated onto new instead.
 */
struct btfar_rebase_opts {
	size_t sz;
	int jobs;
	/* write each module file instead, at OUTDIR/RELPATH (its path under
	 * the directory given, or its file name): the ELF with .BTF replaced
	 * and .BTF.base removed, compressed again as it was (xz, zstd, gzip) */
	bool elf;
};

struct btfar_rebase_result {
	const char *path;
	const char *name;
	bool rebased;
	bool relocated;	    /* rebased from its .BTF.base */
	const char *output; /* the file written, NULL if refused */
	const char *reason; /* why refused, NULL if rebased */
};

struct btfar_rebase_stats {
	uint32_t modules, rebased, refused;
};

typedef void (*btfar_rebase_fn)(const struct btfar_rebase_result *r, void *ctx);

/* Returns 0 if every module was rebased, 1 if any was refused, or -errno.
 * Bases: vmlinux ELF, kernel image or raw BTF. */
BTFAR_API int btfar_rebase(const char *old_base, const char *new_base,
			   const char *const *inputs, size_t input_cnt,
			   const char *outdir,
			   const struct btfar_rebase_opts *opts,
			   btfar_rebase_fn fn, void *ctx,
			   struct btfar_rebase_stats *stats, char *err,
			   size_t err_sz);

/*
 * Distill: modules encoded on a base written as a distilled base (what
 * Linux 6.11+ modules carry in .BTF.base) and split BTF on it, as raw BTF
 * OUTDIR/NAME.btf.base and OUTDIR/NAME.btf (put them into a module with
 * objcopy --update-section .BTF=... --add-section .BTF.base=...). Modules
 * with a .BTF.base are relocated onto the base by merge (docs: README).
 */
struct btfar_distill_result {
	const char *path;
	const char *name;
	bool distilled;
	const char *output;	 /* NAME.btf written, NULL if refused */
	const char *output_base; /* NAME.btf.base written, NULL if refused */
	const char *reason;	 /* why refused, NULL if distilled */
};

struct btfar_distill_stats {
	uint32_t modules, distilled, refused;
};

typedef void (*btfar_distill_fn)(const struct btfar_distill_result *r,
				 void *ctx);

/* Returns 0 if every module was distilled, 1 if any was refused, or
 * -errno. Base: vmlinux ELF, kernel image or raw BTF. */
BTFAR_API int btfar_distill(const char *base, const char *const *inputs,
			    size_t input_cnt, const char *outdir, int jobs,
			    btfar_distill_fn fn, void *ctx,
			    struct btfar_distill_stats *stats, char *err,
			    size_t err_sz);

/*
 * Build: kernel packages (.deb, .rpm, .pkg.tar.*, tar.*, cpio, or
 * directories) read in one pass, in memory, into one self-contained blob
 * per kernel release found in them.
 */
struct btfar_build_opts {
	size_t sz; /* sizeof(struct btfar_build_opts) */
	int jobs;  /* worker threads; <= 0: number of online CPUs */
	bool strict;
	enum btfar_datasec_policy datasec;
	enum btfar_dedup_engine dedup_engine;
	/* vmlinux ELF or raw BTF to use as the base of every release instead
	 * of the kernel image in the packages; NULL: from the packages */
	const char *base;
	uint64_t max_member;  /* cap on one package member; 0: 2 GiB */
	uint64_t max_package; /* cap on the bytes out of one package; 0: 16 GiB
			       */
	uint64_t max_ratio;   /* cap on expansion ratios; 0: 1000 */
	btfar_log_fn log;
	void *log_ctx;
	btfar_progress_fn progress;
	void *progress_ctx;
	/* as btfar_merge_opts.compat, for every release's blob */
	const char *compat;
	/*
	 * BTF from DWARF: a release whose packages carry no usable .BTF
	 * (kernel image or modules without it) but whose debug files are
	 * among the inputs (usr/lib/debug/boot/vmlinux-RELEASE,
	 * usr/lib/debug/lib/modules/RELEASE/ ** / *.ko: Debian's
	 * linux-image-*-dbg) is encoded from them with pahole: the vmlinux,
	 * then each module as split BTF on it (jobs at once). from_dwarf
	 * does so even when .BTF is there.
	 */
	bool from_dwarf;
	const char *pahole; /* the pahole program; NULL: "pahole" in PATH */
	/* seconds one pahole process may run before it is killed; 0: 1800 */
	unsigned int pahole_timeout;
	/* as btfar_merge_opts.keep_unreachable, for every release */
	bool keep_unreachable;
};

/* One kernel release built. Strings and arrays are owned by the build. */
struct btfar_release {
	const char *release;	  /* "6.12.117+deb12-amd64" */
	const char *arch;	  /* "x86_64", "aarch64", or "" */
	const char *image_path;	  /* package member the base came from */
	const char *image_source; /* "vmlinux ELF", "bzImage", "Image (scan)",
				     "raw BTF", or "--base" */
	const char *compression;  /* of the image payload, "" if none */
	const char *build_id;	  /* hex build-id of vmlinux, "" if unknown */
	const char *base_sha256;  /* sha256 of the vmlinux BTF */
	const char *sha256;	  /* sha256 of the output blob, "" if failed */
	const char *error;	  /* why the release failed, NULL if built */
	const void *data;	  /* the self-contained blob */
	size_t size;
	struct btfar_merge_stats stats;
	size_t module_cnt;
	const struct btfar_module_info *modules;
	/* BTF level the blob was rewritten for (the compat option), as
	 * major * 100 + minor (513: 5.13); 0: not rewritten */
	uint32_t compat;
	/* where the BTF came from: "btf" (the packages' .BTF sections) or
	 * "dwarf" (encoded from the debug files) */
	const char *btf_from;
	const char *encoder; /* "pahole v1.24" for "dwarf", else "" */
	/* "dwarf" only: seconds (wall) from the start of pahole on the
	 * vmlinux to the end of the last module's (it overlaps the reading) */
	double t_dwarf;
};

struct btfar_build;

/*
 * Asks running jobs to stop: `btfar_build__run` stops reading packages at
 * the next member, kills the pahole it runs, removes its work files and
 * returns -EINTR (errstr "interrupted") without a release to write. It only
 * sets a flag, so a SIGINT/SIGTERM handler may call it; nothing clears it.
 */
BTFAR_API void btfar_interrupt(void);

BTFAR_API struct btfar_build *
btfar_build__new(const struct btfar_build_opts *opts);
BTFAR_API void btfar_build__free(struct btfar_build *b);
/* A package file or a directory (an unpacked package, or a tree holding
 * lib/modules/RELEASE and boot/). */
BTFAR_API int btfar_build__add_input(struct btfar_build *b, const char *path);
/* Reads every input once, groups modules and images by release, merges
 * each release. Returns 0 when every release was built with every module,
 * a positive count of skipped modules and failed releases, or -errno
 * (nothing built). */
BTFAR_API int btfar_build__run(struct btfar_build *b);
/* The reading of the packages, for all releases. */
struct btfar_build_stats {
	uint32_t inputs;      /* packages and directories read */
	uint32_t modules;     /* module files read out of them */
	uint32_t images;      /* kernel images read out of them */
	uint64_t bytes_in;    /* bytes of the package files read */
	double t_read;	      /* seconds: reading packages, decompressing
				 modules and images (overlapped) */
	uint32_t debug_files; /* debug files (DWARF) read for releases built
				 from DWARF */
	double t_debug_read;  /* seconds: reading them (a second pass over
				 the inputs unless from_dwarf) */
};

BTFAR_API const struct btfar_build_stats *
btfar_build__stats(const struct btfar_build *b);
BTFAR_API size_t btfar_build__release_cnt(const struct btfar_build *b);
BTFAR_API const struct btfar_release *
btfar_build__release(const struct btfar_build *b, size_t idx);
/* Writes OUTDIR/RELEASE.btf for every built release, atomically. */
BTFAR_API int btfar_build__write(struct btfar_build *b, const char *outdir);
BTFAR_API const char *btfar_build__errstr(const struct btfar_build *b);

/*
 * Compat (docs/COMPAT.md): data, a self-contained raw BTF blob, rewritten
 * for the BTF readers of kernel `version` ("5.15"; as the compat field of
 * the options above) and written atomically to path. data stays the
 * caller's. Returns 0 or -errno, the message in err (err_sz bytes).
 */
BTFAR_API int btfar_compat_write(const void *data, size_t size,
				 const char *version, const char *path,
				 char *err, size_t err_sz);

/*
 * BTF archives (.btfa, docs/FORMAT.md): many releases' blobs, each one zstd
 * frame compressed with a dictionary trained on the archive's content, and
 * an index by release and build identity for random access.
 */
struct btfar_archive_opts {
	size_t sz; /* sizeof(struct btfar_archive_opts) */
	/* labels for inputs that carry none (build output, raw blobs); an
	 * archive input keeps its own labels where it has them */
	const char *distro;	    /* "debian" */
	const char *distro_version; /* "12" */
	const char *flavour;	    /* "amd64", "cloud-amd64" */
	const char *arch;	    /* for raw .btf inputs without .meta */
	size_t dict_size;	    /* dictionary size; 0: 512 KiB */
	int level;		    /* zstd level; 0: 19 */
	bool new_dict; /* add: train a new dictionary on the new blobs
			  instead of reusing the archive's latest one */
	btfar_log_fn log;
	void *log_ctx;
	/* phases "read", "train", "compress", "commit" ("commit": the new
	 * bytes are on disk, the header is about to be rewritten) */
	btfar_progress_fn progress;
	void *progress_ctx;
	/* export-btfhub: rewrite every blob for the BTF readers of this
	 * kernel version first (docs/COMPAT.md); NULL: as stored */
	const char *compat;
	/* pack, add: store every blob whole, not as a delta on a blob of its
	 * series (docs/FORMAT.md, "Delta entries") */
	bool no_delta;
	/* pack, add: compression threads; open: threads a read may use
	 * (get: two for a delta entry; 1: one); 0: the online CPUs */
	int jobs;
	/*
	 * pack, add, export: where the running kernel's files are; NULL: "/"
	 * (tests give a fake tree). The input ROOT/sys/kernel/btf/vmlinux
	 * (links resolved; a copy of it is a raw .btf like any other) is that
	 * kernel's BTF, labelled with its release, arch and build-id as
	 * btfar_running_kernel() reads them.
	 */
	const char *root;
	/*
	 * Reading an archive at an http:// or https:// URL (HTTP range
	 * requests: the header, the index, then only the frames read):
	 */
	int timeout;		  /* seconds without a byte; 0: 30 */
	int retries;		  /* per read, resuming; 0: 3, -1: none */
	bool allow_full_download; /* a server that ignores ranges: read the
				     whole file instead of failing */
	bool no_cache;		  /* do not read or write the cache */
	/* what was read, kept by URL and index SHA-256; NULL:
	 * $XDG_CACHE_HOME/btfar/remote, else ~/.cache/btfar/remote */
	const char *cache_dir;
	/*
	 * open: a minisign public key file: refuse the archive unless its
	 * index is signed by that key (every blob's SHA-256 is in the index,
	 * so every read is covered). add: a minisign secret key file to sign
	 * the new index with; without it, an add drops the signature.
	 */
	const char *pubkey;
	const char *seckey;
	/*
	 * open: the handle serves one read (btfar get). A delta entry's
	 * reference blob is then not kept for a next read, and its type
	 * section, free once the entry's payload is decompressed, holds the
	 * decoder's tables instead of new memory (a Debian 6.1 build: 9.9
	 * MB). Further reads stay correct: a next delta on that reference
	 * reads it again.
	 */
	bool one_read;
};

/* One entry of an archive. Strings are owned by the archive object. */
struct btfar_archive_entry {
	const char *release;
	const char *arch;
	const char *distro;
	const char *distro_version;
	const char *flavour;
	const char *build_id; /* hex build-id of vmlinux, "" if unknown */
	const char *source;   /* where the base came from */
	char base_sha256[65]; /* sha256 of the vmlinux BTF, hex */
	char blob_sha256[65]; /* sha256 of the blob, hex */
	uint64_t frame_off;   /* offset of its zstd frame in the file */
	uint64_t frame_size;  /* compressed bytes */
	uint64_t blob_size;   /* uncompressed bytes */
	uint32_t dict_id;     /* 0: no dictionary */
	uint32_t base_types;  /* types of vmlinux */
	uint32_t types;	      /* all types */
	uint32_t module_cnt;
	/* BTF level the stored blob was rewritten for (docs/COMPAT.md), as
	 * major * 100 + minor (513: 5.13); 0: not rewritten */
	uint32_t compat;
	/* stored as a delta on the entry of that index (its reference);
	 * SIZE_MAX: stored whole */
	size_t delta_of;
};

struct btfar_archive;

/* Opens and validates an archive (header, index); frames are checked when
 * read. opts may be NULL. NULL and errno on failure, the message in err
 * (err_sz bytes; err may be NULL). */
BTFAR_API struct btfar_archive *
btfar_archive__open(const char *path, const struct btfar_archive_opts *opts,
		    char *err, size_t err_sz);
/* The same on an archive in memory (one embedded in a program): data is
 * borrowed and must outlive the archive object. */
BTFAR_API struct btfar_archive *btfar_archive__open_mem(const void *data,
							size_t size, char *err,
							size_t err_sz);
BTFAR_API void btfar_archive__free(struct btfar_archive *a);
BTFAR_API size_t btfar_archive__entry_cnt(const struct btfar_archive *a);
BTFAR_API const struct btfar_archive_entry *
btfar_archive__entry(const struct btfar_archive *a, size_t idx);
/* Name of module k (< module_cnt) of entry idx; NULL if out of range. */
BTFAR_API const char *btfar_archive__module_name(const struct btfar_archive *a,
						 size_t idx, size_t k);
/* Bytes of the archive file. */
BTFAR_API uint64_t btfar_archive__file_size(const struct btfar_archive *a);
/* What reading the archive took so far: bytes fetched from the server
 * (a local archive: bytes read), requests made (0 for a local archive),
 * bytes served from the cache. */
struct btfar_fetch_stats {
	uint64_t fetched;
	uint64_t requests;
	uint64_t cached;
};
BTFAR_API void btfar_archive__fetch_stats(const struct btfar_archive *a,
					  struct btfar_fetch_stats *st);
/* 1 when the index carries a signature (checked at open when a public
 * key was given), else 0. */
BTFAR_API int btfar_archive__signed(const struct btfar_archive *a);
/* The blob of entry idx, decompressed and checked against its sha256.
 * *data is malloc()ed: the caller frees it. */
BTFAR_API int btfar_archive__read(struct btfar_archive *a, size_t idx,
				  void **data, size_t *size);
/* Reads entry idx and writes its blob to path atomically. */
BTFAR_API int btfar_archive__write_blob(struct btfar_archive *a, size_t idx,
					const char *path);
/*
 * Reads entry idx and writes its blob to path for the BTF readers of kernel
 * version ("5.15", docs/COMPAT.md): rewritten for that level when the entry
 * is stored unrewritten (compat 0) or at a newer level; written as stored
 * when it is stored at that level or an older one (already readable there,
 * and a rewrite cannot be undone). Returns 0 (rewritten), 1 (written as
 * stored) or -errno, the message in __errstr.
 */
BTFAR_API int btfar_archive__write_compat(struct btfar_archive *a, size_t idx,
					  const char *version,
					  const char *path);
/* Name of a compat level ("5.13" for 513), "" for 0, NULL if unknown. */
BTFAR_API const char *btfar_compat_level_name(uint32_t compat);
/* Reads entry idx and validates the blob as BTF (header, types, strings,
 * type count). 0 or a negative errno, the reason in __errstr. */
BTFAR_API int btfar_archive__verify(struct btfar_archive *a, size_t idx);
/*
 * The entry of release (exact), build (a prefix of its build_id or of its
 * base_sha256 in hex; NULL: any) and arch (NULL: any). Returns its index,
 * -ENOENT, or -EEXIST when several match (__errstr lists them).
 */
BTFAR_API int btfar_archive__find(struct btfar_archive *a, const char *release,
				  const char *build, const char *arch);
BTFAR_API const char *btfar_archive__errstr(const struct btfar_archive *a);
/*
 * Writes the types of one module of entry idx to path: the ids the index
 * records for it and every type they refer to, renumbered after the base.
 * split: as split BTF on the entry's vmlinux BTF (refused when the blob's
 * base part does not hash to the recorded base sha256); else
 * self-contained (vmlinux types, then the module's). Returns the number of
 * module types written, or a negative errno (errstr says why).
 */
BTFAR_API int btfar_archive__write_module(struct btfar_archive *a, size_t idx,
					  const char *module, bool split,
					  const char *path);

/* The running kernel, as `get --running` looks it up. */
struct btfar_running {
	char release[128];  /* /proc/sys/kernel/osrelease */
	char arch[32];	    /* uname machine: "x86_64", "aarch64" */
	char build_id[129]; /* hex, from /sys/kernel/notes; "" if unknown */
};

/* Reads the facts above under root (NULL: "/"; tests give a fake tree):
 * ROOT/proc/sys/kernel/osrelease, uname's machine in btfar's words
 * ("i686" is "i386"), the GNU build-id note of ROOT/sys/kernel/notes
 * (formats/knotes). Returns 0, or a negative errno with err set when the
 * release is unknown or the notes are there but do not parse; unreadable
 * notes, or notes without a build-id, leave build_id "". */
BTFAR_API int btfar_running_kernel(const char *root, struct btfar_running *k,
				   char *err, size_t err_sz);

/*
 * The entry of the running kernel (root as above; NULL: "/"), looked up
 * as `get --running` does: release and arch, and the build-id when the
 * kernel's notes give one; entries without a build-id match by release
 * and arch. Returns its index, -ENOENT, -EEXIST (several) or another
 * -errno, the reason in __errstr.
 */
BTFAR_API int btfar_archive__find_running(struct btfar_archive *a,
					  const char *root);
/*
 * Entry idx's blob in a sealed memfd, for libbpf's btf_custom_path: path
 * gets "/proc/self/fd/N" (path_sz bytes, 32 are enough). Returns the file
 * descriptor (the caller closes it once libbpf has read the file) or
 * -errno, the reason in __errstr.
 */
BTFAR_API int btfar_archive__memfd(struct btfar_archive *a, size_t idx,
				   char *path, size_t path_sz);

/*
 * Inputs of pack, add and export: a `btfar build` output directory (every
 * RELEASE.meta with its RELEASE.btf), one RELEASE.meta or RELEASE.btf of
 * such a pair, a raw .btf (release: its file name without .btf; labels
 * from the options), the running kernel's /sys/kernel/btf/vmlinux (release,
 * arch and build-id of that kernel: what `get --running` looks up; see
 * btfar_archive_opts.root), or a .btfa archive (every entry).
 */
/* Writes a new archive at out (atomically) from every input: the same
 * blobs in any order and any grouping give the same bytes. Returns the
 * number of entries or -errno, the message in err. */
BTFAR_API int btfar_pack(const char *out, const char *const *inputs,
			 size_t input_cnt,
			 const struct btfar_archive_opts *opts, char *err,
			 size_t err_sz);
/* Appends the inputs' blobs to an archive, never rewriting a live byte
 * (an interrupted add leaves the archive as it was). Blobs already there
 * are skipped. Returns the number added or -errno. */
BTFAR_API int btfar_add(const char *archive, const char *const *inputs,
			size_t input_cnt, const struct btfar_archive_opts *opts,
			char *err, size_t err_sz);
/*
 * btfhub tree: DIR/<distro>/<distro_version>/<arch>/<release>.btf.tar.xz,
 * each a reproducible tar (ustar, one member <release>.btf, mode 0444,
 * owner root 0:0, mtime 0) compressed with xz -9, and DIR/catalog.json:
 * arch -> distro -> version -> release -> sha256 of the .btf.tar.xz file,
 * for every file of the tree. distro and distro_version come from the
 * options, else from the entry's labels. arch "aarch64" is written as
 * "arm64" (btfhub's name). Returns the number of files written or -errno.
 */
BTFAR_API int btfar_export_btfhub(const char *dir, const char *const *inputs,
				  size_t input_cnt,
				  const struct btfar_archive_opts *opts,
				  char *err, size_t err_sz);
/*
 * Writes every built release of b (after btfar_build__run) into the archive
 * at path: appended as btfar_add does when the file exists (*added set,
 * added may be NULL), else packed into a new archive as btfar_pack does.
 * The releases go through a temporary directory beside the archive,
 * removed afterwards. opts: the labels and compression settings. Returns
 * the number of entries written or -errno, the message in
 * btfar_build__errstr.
 */
BTFAR_API int btfar_build__write_archive(struct btfar_build *b,
					 const char *archive,
					 const struct btfar_archive_opts *opts,
					 bool *added);
/*
 * Signatures (docs/FORMAT.md "Signature", minisign's key formats):
 * btfar_keygen writes a new Ed25519 key pair as PREFIX.key (secret,
 * unencrypted, mode 0600) and PREFIX.pub; btfar_sign signs the archive's
 * index with the secret key file (a new index appended, as btfar_add
 * does). Readers check with btfar_archive_opts.pubkey. 0 or -errno, the
 * message in err.
 */
BTFAR_API int btfar_keygen(const char *path_prefix, char *err, size_t err_sz);
BTFAR_API int btfar_sign(const char *archive, const char *seckey, char *err,
			 size_t err_sz);
/* 1 when the file at path starts with the .btfa magic (docs/FORMAT.md),
 * 0 when it does not (or is shorter), -errno when it cannot be read. */
BTFAR_API int btfar_archive__probe(const char *path);
/*
 * Min-core: BTF minimised to what given CO-RE BPF objects (clang -target
 * bpf -g) relocate against, as `bpftool gen min_core_btf` writes it, on a
 * self-contained blob that holds module types too. Relocations are
 * resolved by libbpf 1.1's rules; the output keeps, of each struct or
 * union used, the members used at their offsets and the struct's size,
 * and resolves every relocation as the full blob does.
 */
struct btfar_min_core_opts {
	size_t sz; /* sizeof(struct btfar_min_core_opts) */
	/* every relocation at BTFAR_LOG_DEBUG; unresolved ones at INFO,
	 * ambiguous ones at WARN */
	btfar_log_fn log;
	void *log_ctx;
	/* __write_archive: resolve every entry on its whole blob, never
	 * through the delta on its reference's result (for comparison) */
	bool no_reuse;
};

/* A relocation that does not resolve on the blob, or resolves ambiguously.
 * Strings are owned by the min-core object, valid until the next __run. */
struct btfar_min_core_problem {
	const char *object;  /* path as given to __add_object */
	const char *section; /* program section ("kprobe/i40e_do_reset") */
	uint32_t insn_off;   /* byte offset of the instruction in it */
	const char *kind;    /* libbpf's name: "byte_off", "field_exists" */
	const char *type;    /* local root type ("struct i40e_pf") */
	const char *field;   /* local access ("struct i40e_pf.pdev") */
	bool ambiguous;	     /* true: candidates disagree, libbpf refuses */
	/* ambiguous: the two candidates and their values; else why no
	 * candidate matched */
	const char *detail;
};

struct btfar_min_core_report {
	uint32_t objects;     /* objects added */
	uint32_t relocations; /* CO-RE relocations in them */
	uint32_t resolved;    /* matched a target type */
	uint32_t local;	      /* type_id_local: need no target */
	uint32_t unresolved;  /* no candidate matched: poisoned or 0 */
	uint32_t ambiguous;   /* refused by libbpf */
	uint32_t types_in;    /* types of the blob */
	uint32_t types_out;   /* types written */
	size_t problem_cnt;
	const struct btfar_min_core_problem *problems;
};

struct btfar_min_core;

/* opts may be NULL. */
BTFAR_API struct btfar_min_core *
btfar_min_core__new(const struct btfar_min_core_opts *opts);
BTFAR_API void btfar_min_core__free(struct btfar_min_core *m);
/* Reads and checks a BPF object now: its .BTF and CO-RE relocations
 * (__errstr says what is wrong). */
BTFAR_API int btfar_min_core__add_object(struct btfar_min_core *m,
					 const char *path);
/*
 * Resolves every object's relocations on blob (self-contained raw BTF,
 * borrowed) and writes the minimised blob into *out (malloc()ed, the
 * caller frees it). *report (may be NULL) is owned by m, valid until the
 * next __run or __free. Returns 0, a positive count of ambiguous
 * relocations (the blob is written all the same, as ambiguous as the full
 * one), or -errno (__errstr says why; *out NULL). Unresolved relocations
 * are reported, not errors: guarded code expects them.
 */
BTFAR_API int btfar_min_core__run(struct btfar_min_core *m, const void *blob,
				  size_t size, void **out, size_t *out_sz,
				  const struct btfar_min_core_report **report);
/* The last error message, "" if none. Owned by m. */
BTFAR_API const char *btfar_min_core__errstr(const struct btfar_min_core *m);

/*
 * Min-core archives (docs/ARCHIVE.md, "min-core"): every entry of the
 * inputs (as btfar_pack reads them: build output directories, raw blobs,
 * the running kernel's BTF, .btfa archives) minimised for the objects
 * added, written as
 *  - a .btfa archive when out ends in ".btfa": one entry per input entry
 *    with its labels, release, arch and build identity, packed by the
 *    archive writer (deltas, dictionary; aopts: its settings), and an
 *    entry "btfar-min-core" recording the objects and every relocation's
 *    result per entry (docs/FORMAT.md, "Min-core archives") for
 *    btfar_min_core__check;
 *  - else a directory: out/RELEASE.btf per entry (two builds of one
 *    release are refused).
 * Each minimised blob is checked: the relocations resolve on it as on the
 * whole blob (an error otherwise). A delta entry of an archive input is
 * resolved through its delta: when nothing its reference's resolution read
 * changed, that result is its result (reused), without rebuilding its
 * blob. fn (may be NULL) is called once per entry, in the archive's order.
 * Nothing is written on failure. Returns the number of entries with
 * unresolved or ambiguous relocations (written all the same), or -errno
 * (__errstr says why).
 */
struct btfar_min_core_entry {
	const char *release;
	const char *arch;
	const char *build_id; /* "" if unknown */
	size_t blob_size;     /* bytes of the whole blob */
	size_t size;	      /* bytes of the minimised blob */
	bool reused;	      /* resolved through its delta */
	/* the resolution on this entry, valid during the call */
	const struct btfar_min_core_report *report;
};

typedef void (*btfar_min_core_fn)(const struct btfar_min_core_entry *e,
				  void *ctx);

BTFAR_API int
btfar_min_core__write_archive(struct btfar_min_core *m, const char *out,
			      const char *const *inputs, size_t input_cnt,
			      const struct btfar_archive_opts *aopts,
			      btfar_min_core_fn fn, void *ctx);

/*
 * Stale check of a min-core archive against the objects added: every
 * relocation of theirs must resolve on each entry as the archive recorded
 * it did on the whole blob (same outcome, same value). A relocation the
 * archive has no record of (the objects changed) or that resolves
 * otherwise is a mismatch, reported through fn. Returns 0 when all match,
 * the number of mismatches, or -errno (not a min-core archive: -EINVAL;
 * __errstr says why).
 */
struct btfar_min_core_mismatch {
	const char *release;
	const char *arch;
	const char *object;  /* path as given to __add_object */
	const char *section; /* program section */
	const char *kind;    /* "byte_off" */
	const char *field;   /* "struct task_struct.pid" */
	const char *what;    /* "recorded resolved 1234, now unresolved" */
};

typedef void (*btfar_min_core_check_fn)(
	const struct btfar_min_core_mismatch *mm, void *ctx);

BTFAR_API int btfar_min_core__check(struct btfar_min_core *m,
				    const char *archive,
				    btfar_min_core_check_fn fn, void *ctx);
#ifdef __cplusplus
}
#endif

#endif /* BTFAR_BTFAR_H */
