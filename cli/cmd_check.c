// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * btfar check: does each module's split BTF fit a base (btfar_check)? One
 * line per module on stdout (OK, MISMATCH), or a JSON array.
 */
#include <stdio.h>

#include "cli.h"
#include "opts.h"

static void usage_check(FILE *f)
{
	fprintf(f,
		"usage: btfar check --base VMLINUX [-j N] [--json] "
		"[--release R] MODULE|DIR...\n"
		"\n"
		"Is each module's split BTF consistent with this base? "
		"Evidence: "
		"the release\n"
		"in the module's vermagic against the base's version banner, "
		"and the split\n"
		"BTF validated on the base (ids in range, base string offsets "
		"at string\n"
		"starts, referenced base types of the kind and size the module "
		"implies).\n"
		"Prints OK or MISMATCH per module, with the first evidence "
		"found.\n"
		"\n"
		"  --base VMLINUX   vmlinux ELF, kernel image (vmlinuz, Image) "
		"or raw BTF\n"
		"  --release R      the base's release, when the base does not "
		"say (raw BTF)\n"
		"  -j, --jobs N     worker threads (default: CPUs)\n"
		"  --json           print the results as a JSON array on "
		"stdout\n"
		"  -q, --quiet      print only the mismatches and the count\n"
		"\n"
		"exit: 0 every module fits, 3 some do not, 1 failed, 2 "
		"usage\n");
}

struct check_print {
	bool json, quiet;
	size_t n;
};

static void on_check(const struct btfar_check_result *r, void *ctx)
{
	struct check_print *p = ctx;

	if (p->json) {
		printf("%s{\"path\":", p->n++ ? "," : "");
		json_str(stdout, r->path);
		printf(",\"name\":");
		json_str(stdout, r->name);
		printf(",\"vermagic\":");
		json_str(stdout, r->vermagic);
		printf(",\"ok\":%s,\"evidence\":", r->ok ? "true" : "false");
		if (r->evidence)
			json_str(stdout, r->evidence);
		else
			printf("null");
		printf(",\"relocated\":%s}", r->relocated ? "true" : "false");
		return;
	}
	if (r->ok && !p->quiet)
		printf("OK        %s%s\n", r->path,
		       r->relocated ? " (relocated from its .BTF.base)" : "");
	else if (!r->ok)
		printf("MISMATCH  %s: %s\n", r->path, r->evidence);
}

int cmd_check(int argc, char **argv)
{
	struct btfar_check_opts co = {.sz = sizeof(co)};
	struct check_print pr = {0};
	const char *base = NULL;
	const struct opt opts[] = {
		OPT_BASE(&base),      OPT_STRING("release", &co.release),
		OPT_JOBS(&co.jobs),   OPT_JSON(&pr.json),
		OPT_QUIET(&pr.quiet), OPT_END(),
	};
	struct btfar_check_stats st;
	char err_buf[1024] = "";
	int err, first;

	err = opts_parse("check", opts, usage_check, argc, argv, &first);
	if (err != OPTS_OK)
		return err;
	if (!base || first >= argc) {
		fprintf(stderr, "btfar check: %s\n",
			!base ? "--base VMLINUX is required"
			      : "no module or directory given");
		usage_check(stderr);
		return EXIT_USAGE;
	}
	if (pr.json)
		printf("[");
	err = btfar_check(base, (const char *const *)argv + first,
			  (size_t)(argc - first), &co, on_check, &pr, &st,
			  err_buf, sizeof(err_buf));
	if (pr.json)
		printf("]\n");
	if (err < 0) {
		fprintf(stderr, "btfar: error: %s\n", err_buf);
		return EXIT_FAILED;
	}
	fprintf(stderr, "check: %u modules on base %s: %u OK, %u MISMATCH\n",
		st.modules,
		st.base_release[0] ? st.base_release
				   : "(release "
				     "unknown)",
		st.ok, st.mismatched);
	return err ? EXIT_SKIPS : EXIT_DONE;
}
