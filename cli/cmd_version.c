// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* btfar version: the library's version on stdout. */
#include <stdio.h>

#include "cli.h"
#include "opts.h"

static void usage_version(FILE *f)
{
	fprintf(f, "usage: btfar version\n"
		   "\n"
		   "Prints the version of btfar (btfar --version does too).\n");
}

int cmd_version(int argc, char **argv)
{
	const struct opt opts[] = {
		OPT_END(),
	};
	int first, ret;

	ret = opts_parse("version", opts, usage_version, argc, argv, &first);
	if (ret != OPTS_OK)
		return ret;
	if (first < argc) {
		usage_version(stderr);
		return EXIT_USAGE;
	}
	printf("btfar %s\n", btfar_version());
	return EXIT_DONE;
}
