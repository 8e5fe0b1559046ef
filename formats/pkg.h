/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pkg: walks a kernel package in memory with libarchive, never extracting
 * anything to disk. Reads a .deb (ar, then its data.tar.* member as a nested
 * stream), an .rpm (cpio payload, xz / zstd / gzip / bzip2), an Arch
 * .pkg.tar.*, a tar or cpio archive under any compression libarchive knows,
 * or a directory (an unpacked package). Only regular files reach the caller;
 * links, devices, fifos, directories and paths with a ".." component are
 * skipped and counted. Caps bound the bytes of one member, of the whole
 * package and the expansion ratio (docs/BAD-INPUT.md classes 1 to 3).
 */
#ifndef BTFAR_FORMATS_PKG_H
#define BTFAR_FORMATS_PKG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define PKG_MAX_MEMBER_DEFAULT (2ULL << 30)  /* 2 GiB */
#define PKG_MAX_TOTAL_DEFAULT  (16ULL << 30) /* 16 GiB */
#define PKG_MAX_RATIO_DEFAULT  200ULL

/* A zero field takes the default; pkg_walk() also takes caps == NULL. */
struct pkg_caps {
	uint64_t max_member; /* most bytes one member may hold; 0: 2 GiB */
	uint64_t max_total;  /* most bytes read out of one package; 0: 16 GiB */
	uint64_t
		max_ratio; /* most (bytes out of the package) / (package
			      file size); 0: 200 (not applied to directories) */
};

/* Valid only during the callback that receives it. */
struct pkg_entry {
	const char *path;  /* normalized: no leading "./" or "/", "//" and "."
			      components collapsed, no trailing "/"; entries
			      whose path has a ".." component are skipped */
	uint64_t size;	   /* declared size (may lie: the reader enforces caps
			      on real bytes) */
	const char *outer; /* for nested archives (.deb): the member holding
			      it, e.g. "data.tar.xz"; NULL otherwise */
};

struct pkg_stats {
	uint64_t bytes_in;  /* bytes of the package file consumed so far */
	uint64_t bytes_out; /* bytes of member data read (wanted members) */
	uint32_t entries;   /* regular-file entries seen (for a .deb: those of
			       data.tar, not the ar members) */
	uint32_t skipped;   /* links, devices, dirs, ".." paths ignored */
	char format[64];    /* e.g. "deb (ar) + data.tar.xz", "rpm (xz)",
			       "tar.zst", "cpio", "directory" */
	char package[128];  /* a .deb: the Package field of its control file
			       ("linux-binary-7.2.13+deb14-amd64"); "" for
			       other formats, or when unreadable */
};

/* Whether the bytes of this regular-file entry are wanted. */
typedef bool (*pkg_want_fn)(const struct pkg_entry *e, void *ctx);
/*
 * Receives a wanted entry's bytes: malloc()ed, ownership passes to the
 * callee (which frees them with free()), with one spare NUL byte allocated
 * after size. Return < 0 to stop the walk with that error.
 */
typedef int (*pkg_data_fn)(const struct pkg_entry *e, void *data, size_t size,
			   void *ctx);
/* Optional progress hook called every few MB with stats so far. */
typedef void (*pkg_progress_fn)(const struct pkg_stats *st, void *ctx);

struct pkg_walk_opts {
	const struct pkg_caps *caps; /* NULL: defaults */
	pkg_want_fn want;	     /* NULL: no entry is wanted */
	pkg_data_fn data;	     /* NULL: wanted bytes are freed */
	pkg_progress_fn progress;    /* NULL: none */
	void *ctx;		     /* passed to every callback */
	/* asked before each member: true ends the walk with -EINTR
	 * ("interrupted"); NULL: never */
	bool (*stop)(void *ctx);
};

/*
 * Walks path: a directory (recursively; symlinks not followed; sorted by
 * path so the order is deterministic), or any package libarchive reads
 * (entries in archive order). Returns 0 or a negative errno (-EINVAL corrupt
 * or truncated, -EFBIG over a cap, -ENOMEM, an I/O errno, or what data()
 * returned) with d set, naming the package, the member and the byte offset
 * when known ("pkg.deb: data.tar.xz: lib/modules/6.12/kernel/x.ko.xz:
 * truncated: 1234 of 56789 bytes ..."). st may be NULL; it holds what was
 * seen up to the error.
 */
int pkg_walk(const char *path, const struct pkg_walk_opts *o,
	     struct pkg_stats *st, struct diag *d);

/*
 * The Package field of a .deb control file's text into out (NUL-terminated),
 * or "" when it has none or the name is not a valid Debian package name.
 */
void pkg_control_package(const char *text, size_t len, char *out,
			 size_t out_sz);

#endif /* BTFAR_FORMATS_PKG_H */
