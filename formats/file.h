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

#endif /* BTFAR_FORMATS_FILE_H */
