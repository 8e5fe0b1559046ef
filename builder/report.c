// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * report: how the pipelines reach the caller's log and progress callbacks
 * (the options' log, progress): formatted, and one call at a time when a
 * lock is given.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "builder/job.h"

void job_log(btfar_log_fn fn, void *ctx, pthread_mutex_t *lock,
	     enum btfar_log_level level, const char *fmt, ...)
{
	char buf[DIAG_MAX + 256];
	va_list ap;

	if (!fn)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (lock)
		pthread_mutex_lock(lock);
	fn(level, buf, ctx);
	if (lock)
		pthread_mutex_unlock(lock);
}

void job_report_progress(btfar_progress_fn fn, void *ctx, pthread_mutex_t *lock,
			 const struct btfar_progress *p)
{
	if (!fn)
		return;
	if (lock)
		pthread_mutex_lock(lock);
	fn(p, ctx);
	if (lock)
		pthread_mutex_unlock(lock);
}
