/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cli: what the btfar commands share. Each command is one function
 * cmd_NAME(argc, argv), argv[0] being the command's name, that parses its
 * options (opts.h), calls the public API (include/btfar) and prints;
 * main.c finds it in its command table.
 */
#ifndef BTFAR_CLI_H
#define BTFAR_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "btfar/btfar.h"

/* Exit codes of every command. */
enum {
	EXIT_DONE = 0,	 /* done */
	EXIT_FAILED = 1, /* failed, nothing (or nothing new) written */
	EXIT_USAGE = 2,	 /* bad command line, nothing done */
	EXIT_SKIPS = 3,	 /* done, some modules skipped (verify: misses) */
};

/* The terminal on stderr: messages, warnings and the progress line. */
struct term {
	bool tty;	    /* stderr is a terminal: show progress */
	bool bar_shown;	    /* a progress line is on screen */
	double last;	    /* time of the last progress update */
	double start;	    /* time of the first one, for the rate */
	int verbose;	    /* -v count: INFO from 1, DEBUG from 2 */
	int progress;	    /* -1: when tty; 0: --no-progress; 1: --progress */
	char phase[16];	    /* phase of the line shown, for ... */
	double phase_start; /* ... the time left at its rate */
};

extern struct term term;

/* Seconds on a monotonic clock. */
double now(void);
/* Erases the progress line, if shown, before other output. */
void clear_bar(void);
/* The library's log and progress callbacks, writing to stderr. */
void on_log(enum btfar_log_level level, const char *msg, void *ctx);
void on_progress(const struct btfar_progress *p, void *ctx);
/* The progress line of p (what is done, of what, in unit: "modules",
 * "entries"): phase, percentage and ETA where the total is known, rate;
 * into buf (n bytes), returns its length. */
int progress_format(char *buf, size_t n, const struct btfar_progress *p,
		    const char *unit, double phase_elapsed, double elapsed);
/* Shows p on stderr when progress is on (term.tty or --progress), at most
 * ten times a second but always its last update. */
void progress_show(const struct btfar_progress *p, const char *unit);
/* s as a JSON string, quotes included; NULL as "". */
void json_str(FILE *f, const char *s);
/* SIGINT, SIGTERM: btfar_interrupt(); a second signal ends the process. */
void catch_interrupts(void);
/* heap.c: build, merge and pack run again with glibc's malloc asked for
 * huge pages (returns when it is not done); heap_note() says so with -v */
void heap_huge_pages(char **argv);
void heap_note(void);

int cmd_build(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_rebase(int argc, char **argv);
int cmd_distill(int argc, char **argv);
int cmd_pack(int argc, char **argv);
int cmd_add(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_export_btfhub(int argc, char **argv);
int cmd_min_core(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_keygen(int argc, char **argv);
int cmd_sign(int argc, char **argv);
/* cmd_sign.c: the usage text of keygen and sign. */
void usage_sign(FILE *f);

/* cmd_archive.c, for verify: every entry of an archive (ao: its public
 * key, remote options; may be NULL). */
int archive_verify(const char *path, const struct btfar_archive_opts *ao);
/* cmd_archive.c, for build: the archive commands' usage text. */
void usage_archive(FILE *f);
/* cmd_archive.c, for build -o X.btfa: the progress callback of pack and
 * add (with the test hook BTFAR_TEST_KILL_AT). */
void on_archive_progress(const struct btfar_progress *p, void *ctx);

#endif /* BTFAR_CLI_H */
