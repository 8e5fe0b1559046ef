// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * term: what the commands print through besides their own lines: the
 * library's log messages and progress on stderr, JSON strings, signals.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"

struct term term;

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void clear_bar(void)
{
	if (term.bar_shown) {
		fputs("\r\033[K", stderr);
		term.bar_shown = false;
	}
}

void on_log(enum btfar_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level > BTFAR_LOG_WARN && term.verbose < (int)level)
		return;
	clear_bar();
	fprintf(stderr, "btfar: %s%s\n",
		level == BTFAR_LOG_WARN ? "warning: " : "", msg);
}

void on_progress(const struct btfar_progress *p, void *ctx)
{
	double t = now(), elapsed;

	(void)ctx;
	if (!term.tty || (t - term.last < 0.1 && p->done != p->total))
		return;
	if (!term.start)
		term.start = t;
	term.last = t;
	elapsed = t - term.start;
	if (p->total > 1)
		fprintf(stderr, "\r\033[K%-6s %zu/%zu modules", p->phase,
			p->done, p->total);
	else if (p->done)
		fprintf(stderr, "\r\033[K%-6s %zu modules", p->phase, p->done);
	else
		fprintf(stderr, "\r\033[K%-6s ...", p->phase);
	if (p->bytes_in)
		fprintf(stderr, "  %.1f MB read, %.1f MB/s", p->bytes_in / 1e6,
			elapsed > 0.05 ? p->bytes_in / 1e6 / elapsed : 0.0);
	term.bar_shown = true;
}

void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void on_interrupt(int sig)
{
	(void)sig;
	btfar_interrupt(); /* sets a flag: async-signal-safe */
}

/* SIGINT, SIGTERM: the build stops, kills pahole, removes its work files
 * and fails ("interrupted"); a second signal ends the process at once. */
void catch_interrupts(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}
