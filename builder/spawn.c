// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* spawn: spawn_run() (builder/spawn.h) with posix_spawn and poll. */
#include "spawn.h"

#include "builder/clock.h"
#include "builder/interrupt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Appends n bytes to a buffer of sz: the first bytes (keep_tail false) or
 * the last ones (keep_tail true), always NUL-terminated. */
static void buf_add(char *buf, size_t sz, size_t *len, const char *p, size_t n,
		    bool keep_tail)
{
	if (!keep_tail) {
		if (*len + 1 >= sz)
			return;
		if (n > sz - 1 - *len)
			n = sz - 1 - *len;
		memcpy(buf + *len, p, n);
		*len += n;
	} else if (n >= sz - 1) {
		memcpy(buf, p + n - (sz - 1), sz - 1);
		*len = sz - 1;
	} else {
		if (*len + n > sz - 1) {
			size_t drop = *len + n - (sz - 1);

			memmove(buf, buf + drop, *len - drop);
			*len -= drop;
		}
		memcpy(buf + *len, p, n);
		*len += n;
	}
	buf[*len] = '\0';
}

int spawn_run(const char *const *argv, unsigned int timeout_s,
	      struct spawn_result *r, struct diag *d)
{
	posix_spawn_file_actions_t fa;
	int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
	size_t out_len = 0, err_len = 0;
	double deadline = timeout_s ? mono_seconds() + timeout_s : 0;
	bool timed_out = false, fa_init = false;
	int status = 0, err, open_fds;
	pid_t pid = -1;

	memset(r, 0, sizeof(*r));
	if (interrupt_requested()) {
		diag_set(d, "%s: interrupted", argv[0]);
		return -EINTR;
	}
	if (pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0) {
		err = -errno;
		diag_set(d, "%s: cannot create a pipe: %s", argv[0],
			 strerror(errno));
		goto out;
	}
	err = posix_spawn_file_actions_init(&fa);
	if (err) {
		err = -err;
		diag_set(d, "%s: %s", argv[0], strerror(-err));
		goto out;
	}
	fa_init = true;
	if ((err = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
						    O_RDONLY, 0)) ||
	    (err = posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1)) ||
	    (err = posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2))) {
		err = -err;
		diag_set(d, "%s: %s", argv[0], strerror(-err));
		goto out;
	}
	/* posix_spawnp: PATH lookup; no shell anywhere */
	err = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv,
			   environ);
	if (err) {
		pid = -1;
		diag_set(d, "cannot run %s: %s", argv[0], strerror(err));
		err = err == ENOENT || err == EACCES || err == ENOEXEC ? -ENOENT
								       : -err;
		goto out;
	}
	close(out_pipe[1]);
	close(err_pipe[1]);
	out_pipe[1] = err_pipe[1] = -1;
	open_fds = 2;
	while (open_fds) {
		struct pollfd pfd[2] = {{.fd = out_pipe[0], .events = POLLIN},
					{.fd = err_pipe[0], .events = POLLIN}};
		int wait_ms = 200, n, i;

		if (interrupt_requested()) {
			/* the child may have had the terminal's SIGINT
			 * too; either way it goes, and so do we */
			kill(pid, SIGKILL);
			diag_set(d, "%s: interrupted", argv[0]);
			err = -EINTR;
			goto reap;
		}
		if (deadline) {
			double left = deadline - mono_seconds();

			if (left <= 0) {
				timed_out = true;
				break;
			}
			if (left * 1000 + 1 < wait_ms)
				wait_ms = (int)(left * 1000) + 1;
		}
		n = poll(pfd, 2, wait_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			diag_set(d, "%s: poll: %s", argv[0], strerror(errno));
			kill(pid, SIGKILL);
			goto reap;
		}
		for (i = 0; i < 2; i++) {
			char chunk[4096];
			ssize_t got;

			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			got = read(pfd[i].fd, chunk, sizeof(chunk));
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				close(pfd[i].fd);
				if (i == 0)
					out_pipe[0] = -1;
				else
					err_pipe[0] = -1;
				open_fds--;
				continue;
			}
			if (i == 0)
				buf_add(r->out, sizeof(r->out), &out_len, chunk,
					(size_t)got, false);
			else
				buf_add(r->err, sizeof(r->err), &err_len, chunk,
					(size_t)got, true);
		}
	}
	if (timed_out)
		kill(pid, SIGKILL);
	err = 0;
reap:
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			err = -errno;
			diag_set(d, "%s: waitpid: %s", argv[0],
				 strerror(errno));
			goto out;
		}
	}
	if (err)
		goto out;
	if (timed_out) {
		diag_set(d, "%s: killed after %u s (timeout)", argv[0],
			 timeout_s);
		err = -ETIMEDOUT;
		goto out;
	}
	if (WIFEXITED(status)) {
		r->exit_code = WEXITSTATUS(status);
	} else {
		r->exit_code = -1;
		r->term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	}
out:
	if (fa_init)
		posix_spawn_file_actions_destroy(&fa);
	if (out_pipe[0] >= 0)
		close(out_pipe[0]);
	if (out_pipe[1] >= 0)
		close(out_pipe[1]);
	if (err_pipe[0] >= 0)
		close(err_pipe[0]);
	if (err_pipe[1] >= 0)
		close(err_pipe[1]);
	return err;
}
