/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* clock: monotonic seconds, for timeouts and phase timings. */
#ifndef BTFAR_BUILDER_CLOCK_H
#define BTFAR_BUILDER_CLOCK_H

#include <time.h>

/* Seconds on CLOCK_MONOTONIC: only differences mean anything. */
static inline double mono_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif /* BTFAR_BUILDER_CLOCK_H */
