// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "workq.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct workq {
	pthread_mutex_t lock;
	pthread_cond_t has_task; /* a task was queued, or finishing */
	pthread_cond_t has_room; /* a task was taken */
	void **ring;		 /* queued tasks */
	unsigned int cap, head, cnt;
	bool finishing;
	workq_fn fn;
	void *ctx;
	pthread_t *tids;
	int threads;
};

static void *worker(void *arg)
{
	struct workq *q = arg;
	void *task;

	for (;;) {
		pthread_mutex_lock(&q->lock);
		while (!q->cnt && !q->finishing)
			pthread_cond_wait(&q->has_task, &q->lock);
		if (!q->cnt) {
			pthread_mutex_unlock(&q->lock);
			return NULL;
		}
		task = q->ring[q->head];
		q->head = (q->head + 1) % q->cap;
		q->cnt--;
		pthread_cond_signal(&q->has_room);
		pthread_mutex_unlock(&q->lock);
		q->fn(task, q->ctx);
	}
}

struct workq *workq__new(int threads, unsigned int max_pending, workq_fn fn,
			 void *ctx)
{
	struct workq *q = calloc(1, sizeof(*q));
	int i;

	if (!q)
		return NULL;
	q->cap = max_pending ? max_pending : 64;
	q->ring = calloc(q->cap, sizeof(*q->ring));
	q->tids = calloc(threads > 0 ? (size_t)threads : 1, sizeof(*q->tids));
	if (!q->ring || !q->tids) {
		free(q->ring);
		free(q->tids);
		free(q);
		errno = ENOMEM;
		return NULL;
	}
	q->fn = fn;
	q->ctx = ctx;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->has_task, NULL);
	pthread_cond_init(&q->has_room, NULL);
	for (i = 0; i < (threads > 0 ? threads : 1); i++) {
		if (pthread_create(&q->tids[i], NULL, worker, q))
			break;
		q->threads++;
	}
	if (!q->threads) {
		/* no thread: workq__push runs tasks itself */
		q->cap = 1;
	}
	return q;
}

void workq__push(struct workq *q, void *task)
{
	if (!q->threads) {
		q->fn(task, q->ctx);
		return;
	}
	pthread_mutex_lock(&q->lock);
	while (q->cnt == q->cap)
		pthread_cond_wait(&q->has_room, &q->lock);
	q->ring[(q->head + q->cnt) % q->cap] = task;
	q->cnt++;
	pthread_cond_signal(&q->has_task);
	pthread_mutex_unlock(&q->lock);
}

void workq__finish(struct workq *q)
{
	int i;

	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->finishing = true;
	pthread_cond_broadcast(&q->has_task);
	pthread_mutex_unlock(&q->lock);
	for (i = 0; i < q->threads; i++)
		pthread_join(q->tids[i], NULL);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->has_task);
	pthread_cond_destroy(&q->has_room);
	free(q->ring);
	free(q->tids);
	free(q);
}
