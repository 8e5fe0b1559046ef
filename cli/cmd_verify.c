// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * btfar verify: a merged blob against its modules (btfar_verify), or, given
 * one .btfa archive (told by its magic), every entry of it.
 */
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "opts.h"

static void usage_verify(FILE *f)
{
	fprintf(f,
		"usage: btfar verify --base VMLINUX [-j N] [--json] "
		"[--datasec keep|drop]\n"
		"                    [--module-base OLD] MERGED MODULE|DIR...\n"
		"       btfar verify ARCHIVE.btfa|URL [--pubkey KEY.pub] "
		"[REMOTE OPTIONS]\n"
		"\n"
		"Checks that every named type, function and enumerator of "
		"each module has\n"
		"an equivalent in MERGED (same kind, name, size, members, "
		"offsets, bitfields,\n"
		"values, prototypes, recursively). Prints every miss.\n"
		"--datasec drop: the blob was merged with --datasec drop, so "
		"module\nDATASEC and VAR records are not looked for.\n"
		"--module-base OLD: the modules were built on OLD, another "
		"build than the\nblob's base (after btfar rebase): named "
		"base types are compared by layout.\n"
		"With one .btfa archive (told by its magic), checks every "
		"entry of it instead,\nas btfar pack --help says.\n"
		"\n"
		"  --base VMLINUX      vmlinux ELF, kernel image or raw BTF "
		"the blob was\n"
		"                      merged on (required)\n"
		"  --module-base OLD   the base the modules were built on, "
		"when not VMLINUX\n"
		"  --datasec POLICY    keep (default) or drop, as given to "
		"merge\n"
		"  -j, --jobs N        worker threads (default: CPUs)\n"
		"  --json              print the counts as JSON on stdout\n"
		"\n"
		"exit: 0 all found, 3 misses or unreadable modules (archive: "
		"failed entries),\n1 failed, 2 usage\n");
}

int cmd_verify(int argc, char **argv)
{
	struct btfar_verify_opts vo = {.sz = sizeof(vo)};
	struct btfar_archive_opts ao = {.sz = sizeof(ao)};
	enum btfar_datasec_policy policy = BTFAR_DATASEC_KEEP;
	const char *base = NULL;
	bool json = false;
	int retries = -1;
	const struct opt opts[] = {
		OPT_REMOTE(&ao, &retries),
		OPT_BASE(&base),
		OPT_JOBS(&vo.jobs),
		OPT_JSON(&json),
		OPT_DATASEC(&policy),
		OPT_STRING("module-base", &vo.module_base),
		OPT_END(),
	};
	struct btfar_verify_stats st;
	char err_buf[1024] = "";
	int err, first, kind;

	err = opts_parse("verify", opts, usage_verify, argc, argv, &first);
	if (err != OPTS_OK)
		return err;
	/* an archive is told by its magic; one operand that cannot be read
	 * and no --base: the archive's error, as for an archive */
	kind = first < argc ? btfar_archive__probe(argv[first]) : 0;
	if (kind == 1 || (kind < 0 && !base && argc - first == 1)) {
		if (argc - first != 1 || base || vo.module_base || json ||
		    vo.jobs || policy != BTFAR_DATASEC_KEEP) {
			fprintf(stderr,
				"btfar verify: %s is an archive: btfar verify "
				"ARCHIVE.btfa takes no other argument\n",
				argv[first]);
			usage_verify(stderr);
			return EXIT_USAGE;
		}
		ao.retries = REMOTE_RETRIES(retries);
		return archive_verify(argv[first], &ao);
	}
	vo.ignore_datasec = policy == BTFAR_DATASEC_DROP;
	if (ao.pubkey || ao.timeout || retries >= 0 || ao.no_cache ||
	    ao.allow_full_download) {
		fprintf(stderr, "btfar verify: --pubkey, --timeout, --retries, "
				"--no-cache and --allow-full-download are for "
				"archives\n");
		return EXIT_USAGE;
	}
	if (!base || argc - first < 2) {
		fprintf(stderr, "btfar verify: %s\n",
			!base ? "--base VMLINUX is required"
			      : "give the merged blob and modules");
		usage_verify(stderr);
		return EXIT_USAGE;
	}
	vo.log = on_log;
	vo.max_misses_logged = UINT32_MAX;
	err = btfar_verify(
		base, argv[first], (const char *const *)argv + first + 1,
		(size_t)(argc - first - 1), &vo, &st, err_buf, sizeof(err_buf));
	if (err < 0) {
		fprintf(stderr, "btfar: error: %s\n", err_buf);
		return EXIT_FAILED;
	}
	if (json)
		printf("{\"modules\":%u,\"modules_bad\":%u,\"checked\":%" PRIu64
		       ",\"found\":%" PRIu64 ",\"missed\":%" PRIu64 "}\n",
		       st.modules, st.modules_bad, st.checked, st.found,
		       st.missed);
	fprintf(stderr,
		"verify: %u modules checked, %u unreadable; %" PRIu64
		" named types, functions and enumerators: %" PRIu64
		" found (%.4f%%), %" PRIu64 " missed\n",
		st.modules, st.modules_bad, st.checked, st.found,
		st.checked ? 100.0 * st.found / st.checked : 100.0, st.missed);
	return err ? EXIT_SKIPS : EXIT_DONE;
}
