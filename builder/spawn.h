/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * spawn: runs an external program (pahole) without a shell: an argv array,
 * stdin from /dev/null, stdout and stderr captured, a timeout after which
 * the child is killed. Thread-safe: the pipes are close-on-exec, so
 * children spawned at the same time by other threads do not hold them.
 */
#ifndef BTFAR_BUILDER_SPAWN_H
#define BTFAR_BUILDER_SPAWN_H

#include <stdbool.h>
#include <stddef.h>

#include "formats/diag.h"

struct spawn_result {
	int exit_code;	 /* exit status, or -1 if killed by a signal */
	int term_signal; /* the signal that ended it, 0 if it exited */
	char out[4096];	 /* the first bytes of stdout, NUL-terminated */
	char err[4096];	 /* the last bytes of stderr, NUL-terminated */
};

/*
 * Runs argv[0] (looked up in PATH when it has no '/') with argv, waits at
 * most timeout_s seconds (0: no limit). Returns 0 when the program ran (see
 * r->exit_code, r->term_signal), -ENOENT when it cannot be found or run,
 * -ETIMEDOUT when it was killed after timeout_s, -EINTR when it was killed
 * because btfar_interrupt() was called (builder/interrupt.h), or another
 * -errno; d says why.
 */
int spawn_run(const char *const *argv, unsigned int timeout_s,
	      struct spawn_result *r, struct diag *d);

#endif /* BTFAR_BUILDER_SPAWN_H */
