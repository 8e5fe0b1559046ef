// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * btfar: the command line. Thin: each command (cmd_*.c) parses its
 * arguments (opts.h), calls the public API (include/btfar, nothing else)
 * and prints. This file holds the command table; btfar --help is made
 * from it. Exit codes (cli.h): 0 done, 3 done with skipped modules (or,
 * for verify, misses), 1 failed, 2 usage error.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv); /* argv[0]: the command's name */
	const char *summary;		  /* one line of btfar --help */
	bool huge_heap;			  /* heap.c */
};

static const struct cmd cmds[] = {
	{"build", cmd_build,
	 "kernel packages to one self-contained blob per release", true},
	{"merge", cmd_merge,
	 "merge vmlinux BTF and the split BTF of modules into one blob", true},
	{"verify", cmd_verify,
	 "check a merged blob against its modules, or every archive entry"},
	{"pack", cmd_pack,
	 "blobs (build output, .btf, archives) into a .btfa archive", true},
	{"add", cmd_add, "append blobs to a .btfa archive"},
	{"list", cmd_list, "the entries of an archive"},
	{"get", cmd_get, "one release's blob out of an archive"},
	{"keygen", cmd_keygen, "a key pair to sign archives with"},
	{"sign", cmd_sign, "sign an archive's index (every blob's sha256)"},
	{"export-btfhub", cmd_export_btfhub,
	 "a btfhub tree (.btf.tar.xz) and catalog.json"},
	{"min-core", cmd_min_core,
	 "BTF minimised for CO-RE objects, per entry, into a .btfa"},
	{"check", cmd_check,
	 "does each module's BTF fit a base (base mismatch)"},
	{"rebase", cmd_rebase,
	 "rewrite modules' split BTF from one base onto another"},
	{"distill", cmd_distill,
	 "write a distilled base (.BTF.base) for modules"},
	{"version", cmd_version, "print the version"},
};

#define CMD_CNT (sizeof(cmds) / sizeof(cmds[0]))

/* The summaries, a continuation line indented under the first. */
static void do_help(FILE *f)
{
	const char *s, *nl;
	size_t i;

	fprintf(f, "usage: btfar COMMAND [OPTIONS]\n\ncommands:\n");
	for (i = 0; i < CMD_CNT; i++) {
		fprintf(f, "  %-14s ", cmds[i].name);
		for (s = cmds[i].summary; (nl = strchr(s, '\n')); s = nl + 1)
			fprintf(f, "%.*s\n  %-14s ", (int)(nl - s), s, "");
		fprintf(f, "%s\n", s);
	}
	fprintf(f,
		"\noptions:\n"
		"  -h, --help        this list; btfar COMMAND --help (or btfar "
		"help COMMAND):\n"
		"                    the options of a command\n"
		"  --version         the version (btfar version)\n"
		"  --progress, --no-progress\n"
		"                    taken by every command: show the "
		"progress line on stderr\n"
		"                    even when it is no terminal, or never "
		"(default: on a\n"
		"                    terminal)\n"
		"\nman btfar, man btfar-COMMAND: the manual.\n");
}

static const struct cmd *cmd_select(const char *name)
{
	size_t i;

	for (i = 0; i < CMD_CNT; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct cmd *c;

	term.tty = isatty(STDERR_FILENO);
	if (argc < 2) {
		do_help(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--version"))
		return cmd_version(1, (char *[]){"version", NULL});
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		/* btfar help COMMAND: btfar COMMAND --help */
		if (argc > 2 && (c = cmd_select(argv[2])))
			return c->fn(2, (char *[]){argv[2], "--help", NULL});
		do_help(stdout);
		return EXIT_DONE;
	}
	c = cmd_select(argv[1]);
	if (!c) {
		fprintf(stderr, "btfar: unknown command '%s'\n", argv[1]);
		do_help(stderr);
		return EXIT_USAGE;
	}
	if (c->huge_heap)
		heap_huge_pages(argv);
	return c->fn(argc - 1, argv + 1);
}
