/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pool: run fn(i) for i in [0, n) on worker threads. */
#ifndef BTFAR_BUILDER_POOL_H
#define BTFAR_BUILDER_POOL_H

#include <stddef.h>

typedef void (*pool_fn)(size_t idx, void *ctx);

/* Number of online CPUs, at least 1. */
int pool_cpu_count(void);

/*
 * Runs fn on every index with jobs threads (the caller's thread is one of
 * them); indexes are handed out in increasing order. Returns 0 or a
 * negative errno if threads could not be started (then everything ran on
 * the calling thread).
 */
int pool_run(size_t n, int jobs, pool_fn fn, void *ctx);

#endif /* BTFAR_BUILDER_POOL_H */
