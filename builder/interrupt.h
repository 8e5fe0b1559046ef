/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * interrupt: the flag btfar_interrupt() sets (a signal handler may call
 * it). Long pipelines stop at their next check of interrupt_requested();
 * spawn_run() kills its child and returns -EINTR.
 */
#ifndef BTFAR_BUILDER_INTERRUPT_H
#define BTFAR_BUILDER_INTERRUPT_H

#include <stdbool.h>

bool interrupt_requested(void);

#endif /* BTFAR_BUILDER_INTERRUPT_H */
