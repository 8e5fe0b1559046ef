// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* interrupt: btfar_interrupt(), async-signal-safe (it sets a flag). */
#include <signal.h>

#include "btfar/btfar.h"
#include "builder/interrupt.h"

static volatile sig_atomic_t interrupted;

void btfar_interrupt(void)
{
	interrupted = 1;
}

bool interrupt_requested(void)
{
	return interrupted;
}
