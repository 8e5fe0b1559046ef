// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * opts: one option parser for every command (opts.h). The table of a
 * command becomes getopt_long's long options and short option string; a
 * long-only option gets the code 256 + its index in the table.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opts.h"

#define OPTS_MAX 40
/* getopt codes of --progress and --no-progress, past 256 + OPTS_MAX */
#define OPT_PROGRESS	(256 + OPTS_MAX + 1)
#define OPT_NO_PROGRESS (256 + OPTS_MAX + 2)

static const char *opts_cmd = ""; /* "merge": the prefix of messages */

/* A decimal number, digits only (no sign, no space), without overflow. */
static bool parse_digits(const char *s, unsigned long long *out,
			 const char **end)
{
	unsigned long long v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (~0ULL - (unsigned)(*p - '0')) / 10)
			return false;
		v = v * 10 + (unsigned)(*p - '0');
	}
	*out = v;
	*end = p;
	return true;
}

int opt_uint(const char *name, const char *text, unsigned long long min,
	     unsigned long long max, unsigned long long *out)
{
	unsigned long long v;
	const char *end;

	if (!parse_digits(text, &v, &end) || *end || v < min || v > max) {
		fprintf(stderr,
			"btfar %s: %s wants a number from %llu to %llu, got "
			"'%s'\n",
			opts_cmd, name, min, max, text);
		return -1;
	}
	*out = v;
	return 0;
}

/* "2048M" for 1 << 31: the largest suffix that divides v. */
static void size_str(unsigned long long v, char *buf, size_t n)
{
	if (v && !(v & ((1ULL << 20) - 1)))
		snprintf(buf, n, "%lluM", v >> 20);
	else if (v && !(v & ((1ULL << 10) - 1)))
		snprintf(buf, n, "%lluK", v >> 10);
	else
		snprintf(buf, n, "%llu", v);
}

int opt_size(const char *name, const char *text, unsigned long long min,
	     unsigned long long max, size_t *out)
{
	unsigned long long v;
	const char *end;
	int shift = 0;
	bool ok;

	ok = parse_digits(text, &v, &end);
	if (ok && (*end == 'K' || *end == 'k'))
		shift = 10, end++;
	else if (ok && (*end == 'M' || *end == 'm'))
		shift = 20, end++;
	ok = ok && !*end && v <= (max >> shift);
	if (ok)
		v <<= shift;
	if (!ok || v < min || v > max || v > SIZE_MAX) {
		char lo[32], hi[32];

		size_str(min, lo, sizeof(lo));
		size_str(max, hi, sizeof(hi));
		fprintf(stderr,
			"btfar %s: %s wants a size from %s to %s (bytes, or "
			"with a K or M suffix), got '%s'\n",
			opts_cmd, name, lo, hi, text);
		return -1;
	}
	*out = (size_t)v;
	return 0;
}

int opt_datasec(const char *name, const char *text,
		enum btfar_datasec_policy *out)
{
	if (!strcmp(text, "keep")) {
		*out = BTFAR_DATASEC_KEEP;
	} else if (!strcmp(text, "drop")) {
		*out = BTFAR_DATASEC_DROP;
	} else {
		fprintf(stderr, "btfar %s: %s wants keep or drop, got '%s'\n",
			opts_cmd, name, text);
		return -1;
	}
	return 0;
}

int opt_engine(const char *name, const char *text, enum btfar_dedup_engine *out)
{
	if (!strcmp(text, "refine")) {
		*out = BTFAR_DEDUP_REFINE;
	} else if (!strcmp(text, "libbpf")) {
		*out = BTFAR_DEDUP_LIBBPF;
	} else {
		fprintf(stderr,
			"btfar %s: %s wants refine or libbpf, got '%s'\n",
			opts_cmd, name, text);
		return -1;
	}
	return 0;
}

void opt_strings_free(struct opt_strings *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* One more value of a repeatable option; -1 when out of memory. */
static int opt_strings_add(const char *name, struct opt_strings *s,
			   const char *arg)
{
	if (s->cnt + 1 >= s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		const char **v = realloc(s->v, cap * sizeof(*v));

		if (!v) {
			fprintf(stderr, "btfar %s: %s: out of memory\n",
				opts_cmd, name);
			return -1;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->cnt++] = arg;
	s->v[s->cnt] = NULL;
	return 0;
}

/* One value into its place; 0 or -1 (printed). */
static int opt_set(const struct opt *o, const char *arg)
{
	unsigned long long v;
	char name[64];

	if (o->short_name)
		snprintf(name, sizeof(name), "-%c/--%s", o->short_name,
			 o->name);
	else
		snprintf(name, sizeof(name), "--%s", o->name);
	switch (o->type) {
	case OPTION_BOOL:
		*(bool *)o->value = true;
		return 0;
	case OPTION_COUNT:
		(*(int *)o->value)++;
		return 0;
	case OPTION_STRING:
		*(const char **)o->value = arg;
		return 0;
	case OPTION_INT:
		if (opt_uint(name, arg, o->min, o->max, &v))
			return -1;
		*(int *)o->value = (int)v;
		return 0;
	case OPTION_UINT:
		if (opt_uint(name, arg, o->min, o->max, &v))
			return -1;
		*(unsigned int *)o->value = (unsigned int)v;
		return 0;
	case OPTION_SIZE:
		return opt_size(name, arg, o->min, o->max, o->value);
	case OPTION_DATASEC:
		return opt_datasec(name, arg, o->value);
	case OPTION_ENGINE:
		return opt_engine(name, arg, o->value);
	case OPTION_STRINGS:
		return opt_strings_add(name, o->value, arg);
	case OPTION_END:
		break;
	}
	return -1;
}

int opts_parse(const char *cmd, const struct opt *opts, void (*usage)(FILE *),
	       int argc, char **argv, int *first)
{
	struct option lopts[OPTS_MAX + 4];
	char shorts[2 * OPTS_MAX + 2], *sp = shorts;
	int i, n, c;

	opts_cmd = cmd;
	for (n = 0; opts[n].type != OPTION_END; n++) {
		const struct opt *o = &opts[n];
		bool arg = o->type != OPTION_BOOL && o->type != OPTION_COUNT;

		if (n == OPTS_MAX)
			abort(); /* a table larger than this parser */
		lopts[n] = (struct option){
			o->name, arg ? required_argument : no_argument, NULL,
			o->short_name ? o->short_name : 256 + n};
		if (o->short_name) {
			*sp++ = (char)o->short_name;
			if (arg)
				*sp++ = ':';
		}
	}
	lopts[n] = (struct option){"help", no_argument, NULL, 'h'};
	/* every command: --progress, --no-progress (term.c) */
	lopts[n + 1] =
		(struct option){"progress", no_argument, NULL, OPT_PROGRESS};
	lopts[n + 2] = (struct option){"no-progress", no_argument, NULL,
				       OPT_NO_PROGRESS};
	lopts[n + 3] = (struct option){0};
	*sp++ = 'h';
	*sp = '\0';

	optind = 0; /* glibc: start over at argv[1] */
	while ((c = getopt_long(argc, argv, shorts, lopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_DONE;
		}
		if (c == OPT_PROGRESS || c == OPT_NO_PROGRESS) {
			term.progress = c == OPT_PROGRESS ? 1 : 0;
			continue;
		}
		for (i = 0; i < n; i++)
			if (c ==
			    (opts[i].short_name ? opts[i].short_name : 256 + i))
				break;
		if (i == n) { /* getopt printed what was wrong */
			usage(stderr);
			return EXIT_USAGE;
		}
		if (opt_set(&opts[i], optarg))
			return EXIT_USAGE;
	}
	*first = optind;
	return OPTS_OK;
}
