/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * workq: worker threads fed by a producer as it goes (reading a package
 * while modules already read are decompressed). Bounded, so a fast
 * producer waits instead of piling up memory.
 */
#ifndef BTFAR_BUILDER_WORKQ_H
#define BTFAR_BUILDER_WORKQ_H

typedef void (*workq_fn)(void *task, void *ctx);

struct workq;

/* Starts threads workers running fn(task, ctx); NULL and errno on failure. */
struct workq *workq__new(int threads, unsigned int max_pending, workq_fn fn,
			 void *ctx);
/* Queues a task, waiting while max_pending tasks are queued. */
void workq__push(struct workq *q, void *task);
/* Waits until every queued task ran, stops the threads, frees q. */
void workq__finish(struct workq *q);

#endif /* BTFAR_BUILDER_WORKQ_H */
