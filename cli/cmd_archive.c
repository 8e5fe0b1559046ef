// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The archive commands (btfar_archive__*, btfar_pack, btfar_add,
 * btfar_export_btfhub): pack, add and export-btfhub write, list, get and
 * verify ARCHIVE read. One usage text for the family.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opts.h"

void usage_archive(FILE *f)
{
	fprintf(f,
		"usage: btfar pack -o ARCHIVE.btfa [LABELS] [--dict-size N] "
		"[--level L]\n"
		"                  [--no-delta] [-j N] INPUT...\n"
		"       btfar add ARCHIVE.btfa [LABELS] [--new-dict] "
		"[--no-delta] "
		"[-j N] INPUT...\n"
		"       btfar list ARCHIVE.btfa|URL [--json] [REMOTE OPTIONS]\n"
		"       btfar get ARCHIVE.btfa|URL RELEASE [--build ID] "
		"[--arch A] "
		"[--compat V] [-j N] -o OUT\n"
		"       btfar get ARCHIVE.btfa|URL RELEASE --module NAME "
		"[--split] "
		"-o OUT\n"
		"       btfar get ARCHIVE.btfa|URL --running [--module NAME "
		"[--split]] -o OUT\n"
		"       btfar verify ARCHIVE.btfa|URL [REMOTE OPTIONS]\n"
		"       btfar export-btfhub -o DIR --distro NAME "
		"--distro-version V [--compat VERSION] INPUT...\n"
		"       btfar build [LABELS] -o ARCHIVE.btfa PACKAGE...  "
		"(build, "
		"then add to\n"
		"                   the archive, or pack it if it does not "
		"exist)\n"
		"\n"
		"INPUT: a `btfar build` output directory (RELEASE.btf + "
		"RELEASE.meta),\n"
		"one RELEASE.meta or RELEASE.btf of it, a raw .btf (release "
		"from its file\n"
		"name), /sys/kernel/btf/vmlinux (the running kernel's BTF, "
		"labelled with\n"
		"its release, arch and build-id: what get --running looks "
		"up; a copy of\n"
		"that file is a raw .btf), or a .btfa archive (every entry; "
		"packing\n"
		"archives merges them).\n"
		"\n"
		"  --distro D, --distro-version V, --flavour F, --arch A\n"
		"                  LABELS, for inputs that carry none; get "
		"--arch: the\n"
		"                  entry of that arch\n"
		"  --dict-size N   dictionary size in bytes (K, M suffixes; "
		"default 512K)\n"
		"  --level L       zstd level, 1-22 (default 19)\n"
		"  --key NAME.key  pack, add: sign the index (btfar keygen, "
		"btfar sign);\n"
		"                  add without it drops an old signature\n"
		"  --new-dict      add: train a dictionary on the new blobs "
		"(default: reuse\n"
		"                  the archive's)\n"
		"  --no-delta      store every blob whole (default: one blob "
		"per "
		"series,\n"
		"                  arch and flavour whole, the others as "
		"deltas "
		"on it;\n"
		"                  a get reads at most two frames)\n"
		"  -o, --output PATH   pack: the archive; export-btfhub: the "
		"tree; get: the blob\n"
		"  -j, --jobs N    pack, add: compression threads; get: "
		"threads of the read\n"
		"                  (a delta entry uses two; 1: one) "
		"(default: the online CPUs)\n"
		"  -v, --verbose   more messages\n"
		"  --build ID      get: prefix of the build-id or of the base "
		"sha256\n"
		"  --module NAME   get: the types of that module and what they "
		"refer to,\n"
		"                  after the vmlinux types (self-contained), "
		"or with\n"
		"  --split         as split BTF on the release's vmlinux BTF "
		"(what\n"
		"                  /sys/kernel/btf/MODULE holds)\n"
		"  --running       get: the entry of the running kernel "
		"(osrelease, uname\n"
		"                  machine, build-id from /sys/kernel/notes "
		"when readable)\n"
		"  --json          get: a JSON summary on stdout (entry, bytes "
		"fetched)\n"
		"\n"
		"URL: http:// or https://; the archive is read with HTTP range "
		"requests\n"
		"(the header, the index, the frames of the entry; with "
		"--module its\n"
		"module block), never whole. REMOTE OPTIONS (list, get, "
		"verify):\n"
		"  --pubkey KEY.pub  refuse the archive unless its index is "
		"signed by that\n"
		"                  key (minisign format; btfar keygen, btfar "
		"sign); local\n"
		"                  archives too\n"
		"  --timeout S     URL: give up a transfer after S seconds "
		"without a byte\n"
		"                  (1-3600, default 30)\n"
		"  --retries N     URL: retries of a cut or failed transfer, "
		"resumed where\n"
		"                  it stopped (0-100, default 3)\n"
		"  --allow-full-download  URL: a server that ignores range "
		"requests: read\n"
		"                  the whole file (default: refuse)\n"
		"  --no-cache      URL: neither use nor fill the cache "
		"($XDG_CACHE_HOME/btfar/\n"
		"                  remote, ~/.cache/btfar/remote; by URL and "
		"index sha256)\n"
		"  -v, --verbose   list, get: the bytes fetched, on stderr\n"
		"  --compat VERSION  get: rewrite BTF kinds newer than kernel "
		"VERSION (e.g.\n"
		"                  5.15) for older readers, ids kept "
		"(docs/COMPAT.md); an\n"
		"                  entry stored at that level or an older one "
		"(list: COMPAT)\n"
		"                  is written as stored\n"
		"\n"
		"verify: every frame decompresses, matches its sha256 and "
		"validates as BTF;\n"
		"exit 3 if any entry fails. Test hook: BTFAR_TEST_KILL_AT="
		"PHASE (train,\n"
		"compress, commit) makes pack/add kill themselves with SIGKILL "
		"there.\n");
}

void on_archive_progress(const struct btfar_progress *p, void *ctx)
{
	/* test hook (archive_killed_add_leaves_archive_readable): die */
	const char *kill_at = getenv("BTFAR_TEST_KILL_AT");

	if (kill_at && !strcmp(kill_at, p->phase))
		raise(SIGKILL);
	(void)ctx;
	/* read: the inputs given; compress (export-btfhub): the entries */
	progress_show(p, !strcmp(p->phase, "read") ? "inputs" : "entries");
}

/* pack, add and export-btfhub share their options. */
static int archive_write(const char *cmd, int argc, char **argv)
{
	struct btfar_archive_opts ao = {.sz = sizeof(ao)};
	bool add = !strcmp(cmd, "add"), exp = !strcmp(cmd, "export-btfhub");
	const char *out = NULL;
	const struct opt opts[] = {
		OPT_OUTPUT(&out),
		OPT_LABELS(&ao),
		OPT_DICT_SIZE(&ao.dict_size),
		OPT_LEVEL(&ao.level),
		OPT_BOOL("new-dict", &ao.new_dict),
		OPT_BOOL("no-delta", &ao.no_delta),
		OPT_JOBS(&ao.jobs),
		OPT_COMPAT(&ao.compat),
		OPT_VERBOSE(&term.verbose),
		OPT_STRING("key", &ao.seckey),
		OPT_END(),
	};
	char err[2048] = "";
	double t0 = now();
	int ret, first;
	bool was_signed = false;

	ret = opts_parse(cmd, opts, usage_archive, argc, argv, &first);
	if (ret != OPTS_OK)
		return ret;
	if (!strcmp(cmd, "pack"))
		heap_note();
	if (ao.compat && !exp) {
		fprintf(stderr,
			"btfar %s: --compat is for export-btfhub and "
			"get\n",
			cmd);
		return EXIT_USAGE;
	}
	if (add && !out && first < argc)
		out = argv[first++];
	if (!out || first >= argc ||
	    (exp && (!ao.distro || !ao.distro_version))) {
		fprintf(stderr, "btfar %s: %s\n", cmd,
			!out ? (add ? "give the archive" : "-o is required")
			: first >= argc ? "no input given"
					: "--distro and --distro-version are "
					  "required");
		usage_archive(stderr);
		return EXIT_USAGE;
	}
	ao.log = on_log;
	ao.progress = on_archive_progress;
	/* test hook (archive_pack_running_kernel_btf): a fake / */
	ao.root = getenv("BTFAR_TEST_ROOT");
	if (exp && ao.seckey) {
		fprintf(stderr, "btfar %s: --key is for pack and add\n", cmd);
		return EXIT_USAGE;
	}
	if (add && !ao.seckey) {
		struct btfar_archive *a =
			btfar_archive__open(out, NULL, NULL, 0);

		was_signed = a && btfar_archive__signed(a);
		btfar_archive__free(a);
	}
	if (add)
		ret = btfar_add(out, (const char *const *)argv + first,
				(size_t)(argc - first), &ao, err, sizeof(err));
	else if (exp)
		ret = btfar_export_btfhub(
			out, (const char *const *)argv + first,
			(size_t)(argc - first), &ao, err, sizeof(err));
	else
		ret = btfar_pack(out, (const char *const *)argv + first,
				 (size_t)(argc - first), &ao, err, sizeof(err));
	clear_bar();
	if (ret < 0) {
		fprintf(stderr, "btfar: error: %s\n", err);
		return EXIT_FAILED;
	}
	fprintf(stderr, "%s: %s: %d %s in %.2fs%s\n", cmd, out, ret,
		exp   ? "file(s) written"
		: add ? "entries added"
		      : "entries",
		now() - t0, ao.seckey ? ", index signed" : "");
	if (was_signed && ret > 0)
		fprintf(stderr,
			"add: %s was signed: the new index is not (the "
			"signature is dropped; give --key to sign it, or "
			"btfar sign)\n",
			out);
	return EXIT_DONE;
}

int cmd_pack(int argc, char **argv)
{
	return archive_write("pack", argc, argv);
}

int cmd_add(int argc, char **argv)
{
	return archive_write("add", argc, argv);
}

int cmd_export_btfhub(int argc, char **argv)
{
	return archive_write("export-btfhub", argc, argv);
}

static struct btfar_archive *archive_open(const char *path,
					  const struct btfar_archive_opts *ao)
{
	char err[2048] = "";
	struct btfar_archive *a =
		btfar_archive__open(path, ao, err, sizeof(err));

	if (!a)
		fprintf(stderr, "btfar: error: %s\n", err);
	return a;
}

/* -v: what reading took ("fetched 5123 bytes in 3 requests"). */
static void print_fetched(const char *cmd, struct btfar_archive *a,
			  const char *path)
{
	struct btfar_fetch_stats st;

	btfar_archive__fetch_stats(a, &st);
	if (st.requests || st.cached)
		fprintf(stderr,
			"btfar %s: %s: fetched %" PRIu64 " bytes in %" PRIu64
			" requests, %" PRIu64 " bytes from the cache\n",
			cmd, path, st.fetched, st.requests, st.cached);
	else
		fprintf(stderr, "btfar %s: %s: read %" PRIu64 " bytes\n", cmd,
			path, st.fetched);
}

/* What names the build of an entry: its build-id, else its base sha256. */
static void build_label(const struct btfar_archive_entry *e, char *out,
			size_t n)
{
	if (e->build_id[0])
		snprintf(out, n, "%.12s", e->build_id);
	else
		snprintf(out, n, "sha:%.12s", e->base_sha256);
}

int cmd_list(int argc, char **argv)
{
	struct btfar_archive_opts ao = {.sz = sizeof(ao)};
	struct btfar_archive *a;
	bool json = false;
	int retries = -1;
	const struct opt opts[] = {
		OPT_JSON(&json),
		OPT_REMOTE(&ao, &retries),
		OPT_VERBOSE(&term.verbose),
		OPT_END(),
	};
	uint64_t csum = 0, usum = 0;
	size_t i, k, n;
	int first, ret;

	ret = opts_parse("list", opts, usage_archive, argc, argv, &first);
	if (ret != OPTS_OK)
		return ret;
	if (argc - first != 1) {
		usage_archive(stderr);
		return EXIT_USAGE;
	}
	ao.retries = REMOTE_RETRIES(retries);
	a = archive_open(argv[first], &ao);
	if (!a)
		return EXIT_FAILED;
	n = btfar_archive__entry_cnt(a);
	if (!json)
		printf("%-28s %-8s %-16s %8s %7s %11s %12s %6s %s\n", "RELEASE",
		       "ARCH", "BUILD", "TYPES", "MODULES", "COMPRESSED",
		       "UNCOMPRESSED", "COMPAT", "DELTA-OF");
	else
		printf("[");
	for (i = 0; i < n; i++) {
		const struct btfar_archive_entry *e =
			btfar_archive__entry(a, i);
		char build[32];

		csum += e->frame_size;
		usum += e->blob_size;
		if (!json) {
			build_label(e, build, sizeof(build));
			printf("%-28s %-8s %-16s %8u %7u %11" PRIu64
			       " %12" PRIu64 " %6s %s\n",
			       e->release, e->arch[0] ? e->arch : "-", build,
			       e->types, e->module_cnt, e->frame_size,
			       e->blob_size,
			       e->compat ? btfar_compat_level_name(e->compat)
					 : "-",
			       e->delta_of == SIZE_MAX
				       ? "-"
				       : btfar_archive__entry(a, e->delta_of)
						 ->release);
			continue;
		}
		printf("%s{\"release\":", i ? "," : "");
		json_str(stdout, e->release);
		printf(",\"arch\":");
		json_str(stdout, e->arch);
		printf(",\"distro\":");
		json_str(stdout, e->distro);
		printf(",\"distro_version\":");
		json_str(stdout, e->distro_version);
		printf(",\"flavour\":");
		json_str(stdout, e->flavour);
		printf(",\"build_id\":");
		json_str(stdout, e->build_id);
		printf(",\"source\":");
		json_str(stdout, e->source);
		printf(",\"base_sha256\":\"%s\",\"sha256\":\"%s\","
		       "\"base_types\":%u,\"types\":%u,\"dict_id\":%u,"
		       "\"frame_off\":%" PRIu64 ",\"compressed\":%" PRIu64
		       ",\"size\":%" PRIu64 ",\"compat\":",
		       e->base_sha256, e->blob_sha256, e->base_types, e->types,
		       e->dict_id, e->frame_off, e->frame_size, e->blob_size);
		/* "5.13", or "" for a blob not rewritten */
		json_str(stdout, btfar_compat_level_name(e->compat));
		/* the entry (index in this list) the blob is a delta on */
		if (e->delta_of == SIZE_MAX)
			printf(",\"delta_of\":null");
		else
			printf(",\"delta_of\":%zu", e->delta_of);
		printf(",\"modules\":[");
		for (k = 0; k < e->module_cnt; k++) {
			printf("%s", k ? "," : "");
			json_str(stdout, btfar_archive__module_name(a, i, k));
		}
		printf("]}");
	}
	if (json)
		printf("]\n");
	else
		printf("%zu entries, %" PRIu64 " bytes compressed, %" PRIu64
		       " uncompressed, file %" PRIu64 " bytes%s\n",
		       n, csum, usum, btfar_archive__file_size(a),
		       btfar_archive__signed(a) ? ", signed" : "");
	if (term.verbose)
		print_fetched("list", a, argv[first]);
	btfar_archive__free(a);
	return EXIT_DONE;
}

int cmd_get(int argc, char **argv)
{
	const char *out = NULL, *build = NULL, *arch = NULL, *compat = NULL;
	const char *module = NULL, *release;
	struct btfar_archive_opts ao = {.sz = sizeof(ao)};
	bool split = false, running = false, json = false;
	int retries = -1;
	const struct opt opts[] = {
		OPT_OUTPUT(&out),
		OPT_REMOTE(&ao, &retries),
		OPT_VERBOSE(&term.verbose),
		OPT_JSON(&json),
		OPT_JOBS(&ao.jobs),
		OPT_STRING("build", &build),
		OPT_STRING("arch", &arch),
		OPT_COMPAT(&compat),
		OPT_STRING("module", &module),
		OPT_BOOL("split", &split),
		OPT_BOOL("running", &running),
		OPT_END(),
	};
	const struct btfar_archive_entry *e;
	struct btfar_running k;
	struct btfar_archive *a;
	int idx, r, first, ret;

	ret = opts_parse("get", opts, usage_archive, argc, argv, &first);
	if (ret != OPTS_OK)
		return ret;
	ret = EXIT_FAILED;
	if (!out || argc - first != (running ? 1 : 2) || (split && !module) ||
	    (module && compat)) {
		fprintf(stderr, "btfar get: %s\n",
			!out	  ? "-o OUT is required"
			: split	  ? "--split goes with --module"
			: compat  ? "--compat and --module do not go together"
			: running ? "give the archive (--running: no release)"
				  : "give the archive and the release");
		usage_archive(stderr);
		return EXIT_USAGE;
	}
	if (running) {
		char err[512];

		/* test hook (archive_get_running_kernel): a fake / */
		if (btfar_running_kernel(getenv("BTFAR_TEST_ROOT"), &k, err,
					 sizeof(err))) {
			fprintf(stderr, "btfar: error: running kernel: %s\n",
				err);
			return EXIT_FAILED;
		}
		release = k.release;
		if (!arch)
			arch = k.arch;
		if (!build && k.build_id[0])
			build = k.build_id;
		fprintf(stderr,
			"btfar get: running kernel %s, %s, build-id %s\n",
			k.release, k.arch,
			k.build_id[0] ? k.build_id : "unknown");
	} else {
		release = argv[first + 1];
	}
	ao.retries = REMOTE_RETRIES(retries);
	ao.one_read = true; /* one entry: its reference need not stay */
	a = archive_open(argv[first], &ao);
	if (!a)
		return EXIT_FAILED;
	idx = btfar_archive__find(a, release, build, arch);
	if (idx == -ENOENT && running && build == k.build_id) {
		/* entries without a build-id (raw blobs) are found by
		 * release and arch; a build-id that matches none is an
		 * error only when the release has builds with ids */
		int any = btfar_archive__find(a, release, NULL, arch);

		if (any >= 0 &&
		    !btfar_archive__entry(a, (size_t)any)->build_id[0])
			idx = any;
	}
	e = idx >= 0 ? btfar_archive__entry(a, (size_t)idx) : NULL;
	if (!e) {
		fprintf(stderr, "btfar: error: %s\n", btfar_archive__errstr(a));
	} else if (module) {
		r = btfar_archive__write_module(a, (size_t)idx, module, split,
						out);
		if (r < 0) {
			fprintf(stderr, "btfar: error: %s\n",
				btfar_archive__errstr(a));
		} else {
			ret = EXIT_DONE;
			fprintf(stderr,
				"btfar get: %s: module %s, %d types%s\n",
				e->release, module, r,
				split ? ", split BTF on its vmlinux BTF"
				      : " after the vmlinux types");
		}
	} else if (compat) {
		/* downgraded on the way out (docs/COMPAT.md); an entry stored
		 * at that level or an older one is written as stored */
		r = btfar_archive__write_compat(a, (size_t)idx, compat, out);
		if (r < 0)
			fprintf(stderr, "btfar: error: %s\n",
				btfar_archive__errstr(a));
		else
			ret = EXIT_DONE;
		if (r == 1)
			fprintf(stderr,
				"btfar get: %s is stored for compat %s, "
				"which readers of %s load: written as "
				"stored\n",
				e->release, btfar_compat_level_name(e->compat),
				compat);
	} else if (btfar_archive__write_blob(a, (size_t)idx, out) < 0) {
		fprintf(stderr, "btfar: error: %s\n", btfar_archive__errstr(a));
	} else {
		ret = EXIT_DONE;
		if (e->compat)
			fprintf(stderr,
				"btfar get: %s is stored for compat %s "
				"(newer BTF kinds rewritten): written as "
				"stored\n",
				e->release, btfar_compat_level_name(e->compat));
	}
	if (term.verbose)
		print_fetched("get", a, argv[first]);
	if (json) {
		struct btfar_fetch_stats st;

		btfar_archive__fetch_stats(a, &st);
		printf("{\"ok\":%s,\"release\":",
		       ret == EXIT_DONE ? "true" : "false");
		json_str(stdout, e ? e->release : "");
		printf(",\"frame_size\":%" PRIu64 ",\"ref_frame_size\":%" PRIu64
		       ",\"fetched\":%" PRIu64 ",\"requests\":%" PRIu64
		       ",\"cached\":%" PRIu64 ",\"signed\":%s}\n",
		       e ? e->frame_size : 0,
		       e && e->delta_of != SIZE_MAX
			       ? btfar_archive__entry(a, e->delta_of)
					 ->frame_size
			       : 0,
		       st.fetched, st.requests, st.cached,
		       btfar_archive__signed(a) ? "true" : "false");
	}
	btfar_archive__free(a);
	return ret;
}

int archive_verify(const char *path, const struct btfar_archive_opts *ao)
{
	struct btfar_archive *a = archive_open(path, ao);
	size_t i, n, bad = 0;

	if (!a)
		return EXIT_FAILED;
	n = btfar_archive__entry_cnt(a);
	for (i = 0; i < n; i++) {
		const struct btfar_archive_entry *e =
			btfar_archive__entry(a, i);
		char build[32];

		build_label(e, build, sizeof(build));
		progress_show(&(struct btfar_progress){.phase = "verify",
						       .done = i,
						       .total = n},
			      "entries");
		if (btfar_archive__verify(a, i) < 0) {
			clear_bar();
			bad++;
			printf("FAIL %s %s %s: %s\n", e->release,
			       e->arch[0] ? e->arch : "-", build,
			       btfar_archive__errstr(a));
		} else {
			clear_bar();
			printf("OK   %s %s %s\n", e->release,
			       e->arch[0] ? e->arch : "-", build);
		}
	}
	fprintf(stderr, "verify: %zu entries, %zu OK, %zu failed\n", n, n - bad,
		bad);
	btfar_archive__free(a);
	return bad ? EXIT_SKIPS : EXIT_DONE;
}
