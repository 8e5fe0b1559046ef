// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * btfar distill: a distilled base (.BTF.base) and split BTF on it for each
 * module (btfar_distill). One line per module on stdout.
 */
#include <stdio.h>

#include "cli.h"
#include "opts.h"

static void usage_distill(FILE *f)
{
	fprintf(f,
		"usage: btfar distill --base VMLINUX -o OUTDIR [-j N] [-q] "
		"MODULE|DIR...\n"
		"\n"
		"Writes, for each module encoded on VMLINUX (vmlinux ELF, "
		"kernel image or\n"
		"raw BTF), a distilled base and split BTF on it, as Linux "
		"6.11+ modules\n"
		"carry them in .BTF.base and .BTF: OUTDIR/NAME.btf.base (the "
		"named base\n"
		"types the module refers to, minimal) and OUTDIR/NAME.btf. "
		"Put them into a\n"
		"module with objcopy --update-section .BTF=NAME.btf "
		"--add-section\n"
		".BTF.base=NAME.btf.base. btfar merge relocates such modules "
		"onto its base.\n"
		"\n"
		"  --base VMLINUX        the base the modules were built on "
		"(required)\n"
		"  -o, --output OUTDIR   where the files go (required)\n"
		"  -j, --jobs N          worker threads (default: CPUs)\n"
		"  -q, --quiet           print only the refused modules\n"
		"\n"
		"exit: 0 all distilled, 3 some refused, 1 failed, 2 usage\n");
}

static void on_distill(const struct btfar_distill_result *r, void *ctx)
{
	bool quiet = *(bool *)ctx;

	if (r->distilled && !quiet)
		printf("DISTILLED  %s -> %s %s\n", r->path, r->output,
		       r->output_base);
	else if (!r->distilled)
		printf("REFUSED  %s: %s\n", r->path, r->reason);
}

int cmd_distill(int argc, char **argv)
{
	const char *base = NULL, *outdir = NULL;
	bool quiet = false;
	int err, first, jobs = 0;
	const struct opt opts[] = {
		OPT_BASE(&base),   OPT_OUTPUT(&outdir), OPT_JOBS(&jobs),
		OPT_QUIET(&quiet), OPT_END(),
	};
	struct btfar_distill_stats st;
	char err_buf[1024] = "";

	err = opts_parse("distill", opts, usage_distill, argc, argv, &first);
	if (err != OPTS_OK)
		return err;
	if (!base || !outdir || first >= argc) {
		fprintf(stderr, "btfar distill: --base, -o and modules are "
				"required\n");
		usage_distill(stderr);
		return EXIT_USAGE;
	}
	err = btfar_distill(base, (const char *const *)argv + first,
			    (size_t)(argc - first), outdir, jobs, on_distill,
			    &quiet, &st, err_buf, sizeof(err_buf));
	if (err < 0) {
		fprintf(stderr, "btfar: error: %s\n", err_buf);
		return EXIT_FAILED;
	}
	fprintf(stderr, "distill: %u modules: %u distilled, %u refused\n",
		st.modules, st.distilled, st.refused);
	return err ? EXIT_SKIPS : EXIT_DONE;
}
