// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * btfar build: kernel packages to one self-contained blob per release
 * (btfar_build__*), written to OUTDIR/RELEASE.btf, or into an archive when
 * -o names a .btfa (btfar_build__write_archive). The per-release summary on
 * stderr, --json on stdout.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "opts.h"

/* whether the handle is freed before a successful exit: in sanitizer
 * builds only (see the end of cmd_build) */
#if defined(__SANITIZE_ADDRESS__)
#define FREE_AT_EXIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FREE_AT_EXIT 1
#endif
#endif
#ifndef FREE_AT_EXIT
#define FREE_AT_EXIT 0
#endif

/* the handle not freed at exit, still reachable */
static struct btfar_build *volatile kept_at_exit;

static void usage_build(FILE *f)
{
	fprintf(f,
		"usage: btfar build -o OUTDIR [options] PKG|DIR...\n"
		"\n"
		"Reads kernel packages (.deb, .rpm, .pkg.tar.*, tar.*, cpio) "
		"or "
		"directories\n"
		"once, in memory, and writes OUTDIR/RELEASE.btf (vmlinux and "
		"every "
		"module,\n"
		"self-contained) for every kernel release found in them.\n"
		"A kernel built without modules (an image, no module, no "
		"module tree, no\n"
		"module loader in its BTF) gives its vmlinux BTF alone, with "
		"a warning.\n"
		"\n"
		"  -o, --output OUTDIR  where the blobs go (created if "
		"missing)\n"
		"  --base VMLINUX       base of every release, instead of the "
		"kernel image\n"
		"                       in the packages (vmlinux ELF or raw "
		"BTF)\n"
		"  --datasec POLICY     keep (default) or drop the modules' "
		"DATASEC/VAR\n"
		"  --dedup-engine E     refine (default) or libbpf\n"
		"  --keep-unreachable   keep module types no named type "
		"reaches (locals'\n"
		"                       and casts' types; dropped by "
		"default)\n"
		"  --compat VERSION     rewrite BTF kinds newer than kernel "
		"VERSION (e.g. 5.15)\n"
		"  -j, --jobs N         worker threads (default: CPUs)\n"
		"  --strict             fail if any module is skipped\n"
		"  --json               print the per-release summary as JSON "
		"on stdout\n"
		"  -v, --verbose        more messages\n"
		"  --from-dwarf         encode BTF from the debug files "
		"(usr/lib/debug/...,\n"
		"                       e.g. linux-image-*-dbg) with pahole "
		"even when .BTF\n"
		"                       is there (without it: only for "
		"releases without .BTF)\n"
		"  --pahole PROGRAM     pahole to run (default: pahole in "
		"PATH)\n"
		"  --pahole-timeout S   kill a pahole run after S seconds "
		"(default 1800)\n"
		"\n"
		"With -o ARCHIVE.btfa, the blobs go into that archive instead "
		"(added, or\n"
		"packed when it does not exist), with these options of btfar "
		"pack:\n"
		"  --distro D, --distro-version V, --flavour F   labels\n"
		"  --dict-size N, --level L   compression (btfar pack --help)\n"
		"\n"
		"exit: 0 done, 3 done with skipped modules or failed releases, "
		"1 "
		"failed,\n2 usage\n");
}

static void print_release_json(const struct btfar_release *r, bool first)
{
	const struct btfar_merge_stats *s = &r->stats;
	size_t i, k = 0;

	printf("%s{\"release\":", first ? "" : ",");
	json_str(stdout, r->release);
	printf(",\"arch\":");
	json_str(stdout, r->arch);
	printf(",\"image\":");
	json_str(stdout, r->image_path);
	printf(",\"image_source\":");
	json_str(stdout, r->image_source);
	printf(",\"compression\":");
	json_str(stdout, r->compression);
	printf(",\"btf_from\":");
	json_str(stdout, r->btf_from);
	printf(",\"encoder\":");
	json_str(stdout, r->encoder);
	printf(",\"time_dwarf\":%.3f", r->t_dwarf);
	printf(",\"build_id\":\"%s\",\"base_sha256\":\"%s\","
	       "\"sha256\":\"%s\",\"size\":%zu,",
	       r->build_id, r->base_sha256, r->sha256, r->size);
	printf("\"error\":");
	if (r->error)
		json_str(stdout, r->error);
	else
		printf("null");
	printf(",\"modules_found\":%u,\"modules_merged\":%u,"
	       "\"modules_skipped\":%u,\"base_types\":%u,"
	       "\"types_before\":%u,\"types_after\":%u,"
	       "\"unreachable_dropped\":%u,"
	       "\"time\":{\"read\":%.3f,\"merge\":%.3f,\"dedup\":%.3f,"
	       "\"emit\":%.3f},\"skipped\":[",
	       s->modules_found, s->modules_merged, s->modules_skipped,
	       s->base_types, s->types_before, s->types_after,
	       s->unreachable_dropped, s->t_read, s->t_merge, s->t_dedup,
	       s->t_emit);
	for (i = 0; i < r->module_cnt; i++) {
		const struct btfar_module_info *mi = &r->modules[i];

		if (mi->merged)
			continue;
		printf("%s{\"path\":", k++ ? "," : "");
		json_str(stdout, mi->path);
		printf(",\"reason\":");
		json_str(stdout, mi->reason);
		printf("}");
	}
	printf("]}");
}

/* archive: the blobs went into that archive, not into outdir */
static void print_release(const struct btfar_release *r, const char *outdir,
			  const char *archive)
{
	const struct btfar_merge_stats *s = &r->stats;

	if (r->error) {
		fprintf(stderr, "release %s: FAILED: %s\n", r->release,
			r->error);
		return;
	}
	fprintf(stderr,
		"release %s (%s): %s%s%s.btf, %zu bytes, sha256 %s\n"
		"  base: %s, %s%s%s, build-id %s, %u types, sha256 %s\n"
		"  modules: %u found, %u merged, %u skipped; types %u -> %u "
		"after dedup\n"
		"  time: read %.2fs merge %.2fs dedup %.2fs emit %.2fs\n",
		r->release, r->arch[0] ? r->arch : "arch unknown",
		archive ? archive : outdir, archive ? ": " : "/", r->release,
		r->size, r->sha256, r->image_path, r->image_source,
		r->compression[0] ? ", " : "", r->compression,
		r->build_id[0] ? r->build_id : "none", s->base_types,
		r->base_sha256, s->modules_found, s->modules_merged,
		s->modules_skipped, s->types_before, s->types_after, s->t_read,
		s->t_merge, s->t_dedup, s->t_emit);
	if (!strcmp(r->btf_from, "dwarf"))
		fprintf(stderr, "  BTF from: DWARF, %s, %.2fs\n", r->encoder,
			r->t_dwarf);
	else
		fprintf(stderr, "  BTF from: the packages' .BTF\n");
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);

	return n > k && !strcmp(s + n - k, suf);
}

int cmd_build(int argc, char **argv)
{
	struct btfar_build_opts bo = {.sz = sizeof(bo)};
	struct btfar_archive_opts ao = {.sz = sizeof(ao)};
	const char *outdir = NULL, *archive = NULL;
	bool json = false, added = false;
	const struct opt opts[] = {
		OPT_OUTPUT(&outdir),
		OPT_BASE(&bo.base),
		OPT_DATASEC(&bo.datasec),
		OPT_DEDUP_ENGINE(&bo.dedup_engine),
		OPT_COMPAT(&bo.compat),
		OPT_JOBS(&bo.jobs),
		OPT_STRICT(&bo.strict),
		OPT_JSON(&json),
		OPT_VERBOSE(&term.verbose),
		OPT_BOOL("from-dwarf", &bo.from_dwarf),
		OPT_BOOL("keep-unreachable", &bo.keep_unreachable),
		OPT_STRING("pahole", &bo.pahole),
		OPT_UINT("pahole-timeout", &bo.pahole_timeout, 1, 86400),
		/* -o X.btfa: the archive's */
		OPT_STRING("distro", &ao.distro),
		OPT_STRING("distro-version", &ao.distro_version),
		OPT_STRING("flavour", &ao.flavour),
		OPT_DICT_SIZE(&ao.dict_size),
		OPT_LEVEL(&ao.level),
		OPT_END(),
	};
	struct btfar_build *b = NULL;
	int i, err, first, ret;
	size_t r, n;

	ret = opts_parse("build", opts, usage_build, argc, argv, &first);
	if (ret != OPTS_OK)
		return ret;
	heap_note();
	if (!outdir || first >= argc) {
		fprintf(stderr, "btfar build: %s\n",
			!outdir ? "-o OUTDIR is required"
				: "no package or directory given");
		usage_build(stderr);
		return EXIT_USAGE;
	}
	if (has_suffix(outdir, ".btfa"))
		archive = outdir;
	else if (ao.distro || ao.distro_version || ao.flavour || ao.dict_size ||
		 ao.level) {
		fprintf(stderr, "btfar build: --distro, --distro-version, "
				"--flavour, --dict-size and --level "
				"go with -o ARCHIVE.btfa\n");
		return EXIT_USAGE;
	}
	ret = EXIT_FAILED;
	bo.log = on_log;
	bo.progress = on_progress;
	catch_interrupts();
	b = btfar_build__new(&bo);
	if (!b) {
		fprintf(stderr, "btfar: %s\n", strerror(errno));
		return EXIT_FAILED;
	}
	err = 0;
	for (i = first; !err && i < argc; i++)
		err = btfar_build__add_input(b, argv[i]);
	if (!err)
		err = btfar_build__run(b);
	clear_bar();
	if (err < 0) {
		fprintf(stderr, "btfar: error: %s\n", btfar_build__errstr(b));
		goto out;
	}
	if (!archive && btfar_build__write(b, outdir) < 0) {
		fprintf(stderr, "btfar: error: %s\n", btfar_build__errstr(b));
		goto out;
	}
	n = btfar_build__release_cnt(b);
	{
		const struct btfar_build_stats *st = btfar_build__stats(b);

		fprintf(stderr,
			"read: %u input(s), %.1f MB, %u modules, %u kernel "
			"images in %.2fs\n",
			st->inputs, st->bytes_in / 1e6, st->modules, st->images,
			st->t_read);
		if (st->debug_files)
			fprintf(stderr,
				"read: %u debug files (DWARF) in %.2fs\n",
				st->debug_files, st->t_debug_read);
	}
	if (json)
		printf("[");
	for (r = 0; r < n; r++) {
		const struct btfar_release *rel = btfar_build__release(b, r);

		print_release(rel, outdir, archive);
		if (json)
			print_release_json(rel, r == 0);
	}
	if (json)
		printf("]\n");
	if (archive) {
		ao.log = on_log;
		ao.progress = on_archive_progress;
		i = btfar_build__write_archive(b, archive, &ao, &added);
		clear_bar();
		if (i < 0) {
			fprintf(stderr, "btfar: error: %s\n",
				btfar_build__errstr(b));
			goto out;
		}
		fprintf(stderr, "archive %s: %d entries %s\n", archive, i,
			added ? "added" : "packed");
	}
	ret = err > 0 ? EXIT_SKIPS : EXIT_DONE;
	if (!FREE_AT_EXIT) {
		/*
		 * Done: the process exits next, and the kernel takes back
		 * the build's memory (hundreds of MB for a release of 4,000
		 * modules) at once. Freeing it first costs wall time at the
		 * very end of every build (munmap() of each block, walking
		 * the members). Kept reachable so that a leak checker does
		 * not count it as lost (volatile: the store stays).
		 * Sanitizer builds free it, so that the library's own
		 * freeing stays checked.
		 */
		kept_at_exit = b;
		return ret;
	}
out:
	btfar_build__free(b);
	return ret;
}
