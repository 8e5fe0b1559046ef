/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* job: pieces shared by the builder's pipelines (merge, verify). */
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

/* Loads a vmlinux ELF or raw BTF file and validates its BTF as standalone. */
int job_load_base(const char *path, void **file, size_t *file_sz,
		  struct elf_btf *elf, bool *is_elf, struct btf_raw *base,
		  struct diag *d);

/*
 * Reads a module file (.ko, .ko.xz, .ko.zst, .ko.gz or raw split BTF) and
 * returns a malloc()ed copy of its BTF bytes (not yet validated) and, for
 * ELF modules, the .modinfo name in name.
 */
int job_read_module(const char *path, const struct btf_raw *base,
		    const struct elf_btf *base_elf, uint64_t max_bytes,
		    uint64_t max_ratio, void **btf, size_t *btf_sz, char *name,
		    size_t name_sz, uint64_t *bytes_read, struct diag *d);

/* Module name from a path: file name without suffix, '-' as '_'. */
char *job_module_name(const char *path);
/* A comma-separated list of module names holds name. */
bool job_list_has(const char *list, const char *name);

#endif /* BTFAR_BUILDER_JOB_H */
