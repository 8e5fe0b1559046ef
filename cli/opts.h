/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * opts: the one option parser of the btfar commands (after git's
 * parse-options.h). A command lists its options in a table of struct opt
 * ending with OPT_END(); opts_parse() runs getopt_long on it and checks
 * each value with the checker of its type. The options several commands
 * share are defined once below (OPT_JOBS, OPT_LEVEL, ...), so that an
 * option has one meaning, one short letter (if any: -o, -j, -v, -q, -h
 * only) and one range in every command.
 *
 * A bad value prints "btfar CMD: -j/--jobs wants a number from 1 to 1024,
 * got '0'" and the command exits 2 (EXIT_USAGE) before doing anything.
 */
#ifndef BTFAR_CLI_OPTS_H
#define BTFAR_CLI_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "btfar/btfar.h"

enum opt_type {
	OPTION_END,
	OPTION_BOOL,	/* bool *: set to true */
	OPTION_COUNT,	/* int *: one more each time given (-v -v) */
	OPTION_STRING,	/* const char **: the argument as given */
	OPTION_INT,	/* int *: a decimal number from min to max */
	OPTION_UINT,	/* unsigned int *: the same */
	OPTION_SIZE,	/* size_t *: bytes, K or M suffix, min to max */
	OPTION_DATASEC, /* enum btfar_datasec_policy *: keep or drop */
	OPTION_ENGINE,	/* enum btfar_dedup_engine *: refine or libbpf */
	OPTION_STRINGS, /* struct opt_strings *: every value, in order */
};

/* The values of a repeatable option (--object A --object B), in order;
 * v (not the strings: argv's) freed with opt_strings_free. */
struct opt_strings {
	const char **v;
	size_t cnt, cap;
};

void opt_strings_free(struct opt_strings *s);

struct opt {
	enum opt_type type;
	const char *name;	     /* long name, without "--" */
	int short_name;		     /* 'j', or 0 for a long option only */
	void *value;		     /* where the value goes, typed by type */
	unsigned long long min, max; /* OPTION_INT, _UINT, _SIZE: range */
};

#define OPT_END()                                                              \
	{                                                                      \
		OPTION_END                                                     \
	}
#define OPT_BOOL(name, v)                                                      \
	{                                                                      \
		OPTION_BOOL, (name), 0, (v)                                    \
	}
#define OPT_STRING(name, v)                                                    \
	{                                                                      \
		OPTION_STRING, (name), 0, (v)                                  \
	}
#define OPT_STRINGS(name, v)                                                   \
	{                                                                      \
		OPTION_STRINGS, (name), 0, (v)                                 \
	}
#define OPT_UINT(name, v, lo, hi)                                              \
	{                                                                      \
		OPTION_UINT, (name), 0, (v), (lo), (hi)                        \
	}

/* Shared options: the same in every command that takes them. */
#define OPT_OUTPUT(v)                                                          \
	{                                                                      \
		OPTION_STRING, "output", 'o', (v)                              \
	}
#define OPT_JOBS(v)                                                            \
	{                                                                      \
		OPTION_INT, "jobs", 'j', (v), 1, 1024                          \
	}
#define OPT_VERBOSE(v)                                                         \
	{                                                                      \
		OPTION_COUNT, "verbose", 'v', (v)                              \
	}
#define OPT_QUIET(v)                                                           \
	{                                                                      \
		OPTION_BOOL, "quiet", 'q', (v)                                 \
	}
#define OPT_JSON(v)   OPT_BOOL("json", (v))
#define OPT_STRICT(v) OPT_BOOL("strict", (v))
#define OPT_BASE(v)   OPT_STRING("base", (v))
#define OPT_COMPAT(v) OPT_STRING("compat", (v))
#define OPT_DATASEC(v)                                                         \
	{                                                                      \
		OPTION_DATASEC, "datasec", 0, (v)                              \
	}
#define OPT_DEDUP_ENGINE(v)                                                    \
	{                                                                      \
		OPTION_ENGINE, "dedup-engine", 0, (v)                          \
	}
/* zstd level of archive frames */
#define OPT_LEVEL(v)                                                           \
	{                                                                      \
		OPTION_INT, "level", 0, (v), 1, 22                             \
	}
/* archive dictionary size, bytes */
#define OPT_DICT_SIZE(v)                                                       \
	{                                                                      \
		OPTION_SIZE, "dict-size", 0, (v), 1, 1ULL << 31                \
	}
/* labels of archive entries, into a struct btfar_archive_opts */
#define OPT_LABELS(ao)                                                         \
	OPT_STRING("distro", &(ao)->distro),                                   \
		OPT_STRING("distro-version", &(ao)->distro_version),           \
		OPT_STRING("flavour", &(ao)->flavour),                         \
		OPT_STRING("arch", &(ao)->arch)

/* reading an archive (a file or an http(s):// URL), into a struct
 * btfar_archive_opts; --retries into an int (see remote_retries) */
#define OPT_REMOTE(ao, retries)                                                \
	{OPTION_INT, "timeout", 0, &(ao)->timeout, 1, 3600},                   \
		{OPTION_INT, "retries", 0, (retries), 0, 100},                 \
		OPT_BOOL("allow-full-download", &(ao)->allow_full_download),   \
		OPT_BOOL("no-cache", &(ao)->no_cache),                         \
		OPT_STRING("pubkey", &(ao)->pubkey)
/* --retries as given (-1 when not given) into btfar_archive_opts.retries
 * (0: the default, -1: none) */
#define REMOTE_RETRIES(r) ((r) < 0 ? 0 : (r) == 0 ? -1 : (r))

/* opts_parse() found no --help and no error: go on. */
#define OPTS_OK (-1)

/*
 * Parses the options of argv[1..] (argv[0] is the command's name, cmd)
 * by the table opts, operands and options in any order; *first is then
 * the index of the first operand. Every command also takes --progress
 * and --no-progress (term.progress). -h/--help prints usage to stdout and
 * returns EXIT_DONE; an unknown option prints getopt's message and usage
 * to stderr, a bad value the error alone, and both return EXIT_USAGE.
 * Otherwise returns OPTS_OK.
 */
int opts_parse(const char *cmd, const struct opt *opts, void (*usage)(FILE *),
	       int argc, char **argv, int *first);

/* The value checkers, one per type: 0, or -1 after printing the error
 * ("btfar CMD: NAME wants ..."); name as the user should read it. */
int opt_uint(const char *name, const char *text, unsigned long long min,
	     unsigned long long max, unsigned long long *out);
int opt_size(const char *name, const char *text, unsigned long long min,
	     unsigned long long max, size_t *out);
int opt_datasec(const char *name, const char *text,
		enum btfar_datasec_policy *out);
int opt_engine(const char *name, const char *text,
	       enum btfar_dedup_engine *out);

#endif /* BTFAR_CLI_OPTS_H */
