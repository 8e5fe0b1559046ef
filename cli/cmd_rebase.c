// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * btfar rebase: modules' split BTF moved from one build of the base onto
 * another (btfar_rebase). One line per module on stdout.
 */
#include <stdio.h>

#include "cli.h"
#include "opts.h"

static void usage_rebase(FILE *f)
{
	fprintf(f,
		"usage: btfar rebase --from OLD --to NEW -o OUTDIR [--elf] "
		"[-j N] [-q] MODULE|DIR...\n"
		"\n"
		"Rewrites split BTF encoded on OLD (vmlinux ELF, kernel image "
		"or raw BTF)\n"
		"so that it is valid on NEW: every base type a module refers "
		"to "
		"is mapped\n"
		"by kind, name and layout (size, member names, offsets and "
		"bitfields,\n"
		"the shape of member types, enumerators); strings are "
		"re-interned. Writes\n"
		"OUTDIR/NAME.btf (raw split BTF on NEW) per module, or refuses "
		"it with the\n"
		"list of what NEW lacks (a type that disappeared or changed "
		"layout).\n"
		"A module with a distilled base (.BTF.base) is relocated onto "
		"NEW instead.\n"
		"\n"
		"  --from OLD, --to NEW   the bases (required)\n"
		"  -o, --output OUTDIR    where the modules go (required)\n"
		"  -j, --jobs N           worker threads (default: CPUs)\n"
		"  -q, --quiet            print only the refused modules\n"
		"  --elf   write the module files instead, at OUTDIR/RELPATH "
		"(the path under\n"
		"          the directory given, or the file name): the ELF "
		"with .BTF replaced\n"
		"          and .BTF.base removed, every other section "
		"unchanged, compressed\n"
		"          again as the input was (.ko.xz: xz CRC32 1 MiB "
		"dictionary, .ko.zst,\n"
		"          .ko.gz: the kernel's modules_install settings)\n"
		"\n"
		"exit: 0 all rebased, 3 some refused, 1 failed, 2 usage\n");
}

static void on_rebase(const struct btfar_rebase_result *r, void *ctx)
{
	bool quiet = *(bool *)ctx;

	if (r->rebased && !quiet)
		printf("REBASED  %s -> %s%s\n", r->path, r->output,
		       r->relocated ? " (from its .BTF.base)" : "");
	else if (!r->rebased)
		printf("REFUSED  %s: %s\n", r->path, r->reason);
}

int cmd_rebase(int argc, char **argv)
{
	const char *from = NULL, *to = NULL, *outdir = NULL;
	struct btfar_rebase_opts ro = {.sz = sizeof(ro)};
	bool quiet = false;
	const struct opt opts[] = {
		OPT_STRING("from", &from),
		OPT_STRING("to", &to),
		OPT_OUTPUT(&outdir),
		OPT_JOBS(&ro.jobs),
		OPT_BOOL("elf", &ro.elf),
		OPT_QUIET(&quiet),
		OPT_END(),
	};
	struct btfar_rebase_stats st;
	char err_buf[1024] = "";
	int err, first;

	err = opts_parse("rebase", opts, usage_rebase, argc, argv, &first);
	if (err != OPTS_OK)
		return err;
	if (!from || !to || !outdir || first >= argc) {
		fprintf(stderr, "btfar rebase: --from, --to, -o and modules "
				"are required\n");
		usage_rebase(stderr);
		return EXIT_USAGE;
	}
	err = btfar_rebase(from, to, (const char *const *)argv + first,
			   (size_t)(argc - first), outdir, &ro, on_rebase,
			   &quiet, &st, err_buf, sizeof(err_buf));
	if (err < 0) {
		fprintf(stderr, "btfar: error: %s\n", err_buf);
		return EXIT_FAILED;
	}
	fprintf(stderr, "rebase: %u modules: %u rebased, %u refused%s\n",
		st.modules, st.rebased, st.refused,
		ro.elf ? " (module files in OUTDIR, compressed as their "
			 "input)"
		       : "");
	return err ? EXIT_SKIPS : EXIT_DONE;
}
