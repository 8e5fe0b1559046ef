/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* file: whole-file reads and atomic writes. */
#ifndef BTFAR_FORMATS_FILE_H
#define BTFAR_FORMATS_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/* Reads a whole regular file into a malloc()ed buffer, refusing files larger
 * than max (0: no cap). Returns 0 or a negative errno with d set. */
int file_read_all(const char *path, uint64_t max, void **data, size_t *size,
		  struct diag *d);

/*
 * Writes data to path atomically: a temporary file in the same directory,
 * fsync, rename over path, fsync of the directory. On any failure the
 * temporary file is removed and an existing path is left untouched.
 */
int file_write_atomic(const char *path, const void *data, size_t size,
		      struct diag *d);

/*
 * file_write_atomic in two steps, for a caller that checks the data while
 * it is written: file_atomic_write() writes and syncs the temporary file
 * beside path (path untouched; on failure the temporary file is removed),
 * then file_atomic_commit() renames it over path and syncs the directory,
 * or file_atomic_abort() removes it. fa starts zeroed; path must outlive
 * it. The messages are file_write_atomic's.
 */
struct file_atomic {
	const char *path;
	char *tmp; /* "" once renamed or never made */
	char *dir; /* a copy of path for dirname() */
};
int file_atomic_write(struct file_atomic *fa, const char *path,
		      const void *data, size_t size, struct diag *d);
int file_atomic_commit(struct file_atomic *fa, struct diag *d);
void file_atomic_abort(struct file_atomic *fa);

/*
 * Many files written atomically as one batch (btfar distill, rebase: one
 * output per module): file_batch__add() writes each to a temporary file
 * beside its path, unsynced; file_batch__commit() makes them durable with
 * one syncfs() per file system, renames each into place, then fsyncs each
 * directory once. Until commit renames it, an existing path is untouched;
 * file_batch__free() removes the temporary files not renamed. A failed
 * commit leaves the files renamed so far complete and the others as they
 * were. Returns 0 or -errno with d set (naming the path on commit).
 */
struct file_batch;
struct file_batch *file_batch__new(void);
void file_batch__free(struct file_batch *b);
int file_batch__add(struct file_batch *b, const char *path, const void *data,
		    size_t size, struct diag *d);
int file_batch__commit(struct file_batch *b, struct diag *d);

#endif /* BTFAR_FORMATS_FILE_H */
