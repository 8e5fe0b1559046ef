// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

struct pool {
	atomic_size_t next; /* next index to hand out */
	size_t n;
	pool_fn fn;
	void *ctx;
};

int pool_cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (int)n : 1;
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	size_t i;

	while ((i = atomic_fetch_add(&p->next, 1)) < p->n)
		p->fn(i, p->ctx);
	return NULL;
}

int pool_run(size_t n, int jobs, pool_fn fn, void *ctx)
{
	struct pool p = {.n = n, .fn = fn, .ctx = ctx};
	pthread_t *tids = NULL;
	int started = 0, err = 0, i;

	atomic_init(&p.next, 0);
	if (jobs <= 0)
		jobs = pool_cpu_count();
	if ((size_t)jobs > n)
		jobs = n ? (int)n : 1;
	if (jobs > 1) {
		tids = calloc((size_t)jobs - 1, sizeof(*tids));
		if (!tids)
			err = -ENOMEM;
		for (i = 0; tids && i < jobs - 1; i++) {
			if (pthread_create(&tids[i], NULL, worker, &p)) {
				err = -EAGAIN;
				break;
			}
			started++;
		}
	}
	worker(&p);
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	return err;
}
