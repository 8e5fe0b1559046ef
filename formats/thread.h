/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* thread: one job beside the caller, for the readers' two-thread paths. */
#ifndef BTFAR_FORMATS_THREAD_H
#define BTFAR_FORMATS_THREAD_H

#include <pthread.h>
#include <stdbool.h>

/*
 * fn(arg) on a new thread when want, else (or when no thread can be made)
 * right here. Returns 1 when a thread runs it (join *t), else 0: the work
 * is done either way, only where it ran differs.
 */
static inline int thread_run_beside(pthread_t *t, bool want,
				    void *(*fn)(void *), void *arg)
{
	if (want && !pthread_create(t, NULL, fn, arg))
		return 1;
	fn(arg);
	return 0;
}

#endif /* BTFAR_FORMATS_THREAD_H */
