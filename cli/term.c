// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * term: what the commands print through besides their own lines: the
 * library's log messages and progress on stderr, JSON strings, signals.
 *
 * Progress: one line on stderr, rewritten with \r and erased
 * (clear_bar) before any other output and at the end, like apt or zstd;
 * shown when stderr is a terminal (or --progress), never with
 * --no-progress. Where the total is known (the bytes of the package files
 * for build, the entries for pack, add and verify ARCHIVE) it has the
 * percentage and the time left at the phase's rate so far.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

struct term term = {.progress = -1};

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

/* "1:05", "1:02:03" */
static void fmt_duration(char *buf, size_t n, double s)
{
	unsigned long t = s < 0 ? 0 : (unsigned long)(s + 0.5);

	if (t >= 3600)
		snprintf(buf, n, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60,
			 t % 60);
	else
		snprintf(buf, n, "%lu:%02lu", t / 60, t % 60);
}

int progress_format(char *buf, size_t n, const struct btfar_progress *p,
		    const char *unit, double phase_elapsed, double elapsed)
{
	double frac = -1;
	size_t len;

#define PUT(...)                                                               \
	do {                                                                   \
		len = strlen(buf);                                             \
		snprintf(buf + len, n - len, __VA_ARGS__);                     \
	} while (0)
	buf[0] = '\0';
	if (!n)
		return 0;
	if (p->bytes_total && p->bytes_in <= p->bytes_total)
		frac = (double)p->bytes_in / (double)p->bytes_total;
	else if (p->total > 1 && p->done <= p->total)
		frac = (double)p->done / (double)p->total;
	PUT("%-8s", p->phase);
	if (frac >= 0)
		PUT(" %3d%%", (int)(frac * 100));
	if (p->bytes_total && p->bytes_in <= p->bytes_total)
		PUT("  %.1f/%.1f MB", p->bytes_in / 1e6, p->bytes_total / 1e6);
	if (p->total > 1)
		PUT("  %zu/%zu %s", p->done, p->total, unit);
	else if (p->done)
		PUT("  %zu %s", p->done, unit);
	if (p->bytes_in && elapsed > 0.05)
		PUT("  %.1f MB/s", p->bytes_in / 1e6 / elapsed);
	/* the time left at the rate of this phase so far, once it means
	 * something: a second into the phase and 1% done */
	if (frac >= 0.01 && frac < 1 && phase_elapsed >= 1) {
		char eta[32];

		fmt_duration(eta, sizeof(eta),
			     phase_elapsed * (1 - frac) / frac);
		PUT("  ETA %s", eta);
	}
#undef PUT
	return (int)strlen(buf);
}

/* The line rewritten in place, cut to the terminal's width. */
void progress_show(const struct btfar_progress *p, const char *unit)
{
	double t = now();
	bool show = term.progress < 0 ? term.tty : term.progress > 0;
	struct winsize ws;
	char line[256];
	int width = 80;

	if (!show)
		return;
	if (strncmp(term.phase, p->phase, sizeof(term.phase) - 1)) {
		/* a new phase: its own clock for the ETA */
		snprintf(term.phase, sizeof(term.phase), "%s", p->phase);
		term.phase_start = t;
	} else if (t - term.last < 0.1 && p->done != p->total) {
		return;
	}
	if (!term.start)
		term.start = t;
	term.last = t;
	progress_format(line, sizeof(line), p, unit, t - term.phase_start,
			t - term.start);
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1)
		width = ws.ws_col;
	fprintf(stderr, "\r\033[K%.*s", width - 1, line);
	fflush(stderr);
	term.bar_shown = true;
}

void on_progress(const struct btfar_progress *p, void *ctx)
{
	(void)ctx;
	progress_show(p, "modules");
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
