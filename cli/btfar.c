// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * btfar: the command line. Thin: parses arguments, calls the public API,
 * prints. Exit codes: 0 done, 3 done with skipped modules (or, for verify,
 * misses), 1 failed, 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "btfar/btfar.h"

enum { EXIT_DONE = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_SKIPS = 3 };

struct term {
	bool tty;	/* stderr is a terminal: show progress */
	bool bar_shown; /* a progress line is on screen */
	double last;	/* time of the last progress update */
	int verbose;
};

static struct term term;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void clear_bar(void)
{
	if (term.bar_shown) {
		fputs("\r\033[K", stderr);
		term.bar_shown = false;
	}
}

static void on_log(enum btfar_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level > BTFAR_LOG_WARN && term.verbose < (int)level)
		return;
	clear_bar();
	fprintf(stderr, "btfar: %s%s\n",
		level == BTFAR_LOG_WARN ? "warning: " : "", msg);
}

static void on_progress(const struct btfar_progress *p, void *ctx)
{
	double t = now();

	(void)ctx;
	if (!term.tty || (t - term.last < 0.1 && p->done != p->total))
		return;
	term.last = t;
	if (p->total > 1)
		fprintf(stderr, "\r\033[K%-6s %zu/%zu modules  %.1f MB read",
			p->phase, p->done, p->total, p->bytes_in / 1e6);
	else
		fprintf(stderr, "\r\033[K%-6s ...", p->phase);
	term.bar_shown = true;
}

static void usage_main(FILE *f)
{
	fprintf(f,
		"usage: btfar COMMAND [OPTIONS]\n"
		"\n"
		"commands:\n"
		"  build    kernel packages to one self-contained blob per "
		"release\n"
		"  merge    merge vmlinux BTF and the split BTF of modules "
		"into one blob\n"
		"  verify   check that a merged blob holds every module type\n"
		"  check    does each module's BTF fit a base (base mismatch)\n"
		"  version  print the version\n"
		"\n"
		"btfar COMMAND --help shows the options of a command.\n");
}

static void usage_merge(FILE *f)
{
	fprintf(f,
		"usage: btfar merge --base VMLINUX [-o OUT] [options] "
		"MODULE|DIR...\n"
		"\n"
		"Merges the split BTF of every module (.ko, .ko.xz, .ko.zst, "
		".ko.gz, or raw\n"
		"split BTF; directories are walked) with the vmlinux BTF into "
		"one blob,\n"
		"self-contained by default.\n"
		"\n"
		"  --base VMLINUX      vmlinux ELF (with .BTF) or raw BTF "
		"(required)\n"
		"  -o, --output OUT    write the blob here (atomically); "
		"without it, only the\n"
		"                      summary (and --collisions) is "
		"printed\n"
		"  --split             write split BTF on the base instead of "
		"self-contained\n"
		"  --no-dedup          do not deduplicate\n"
		"  --dedup-engine E    refine (btfar's, default) or libbpf "
		"(btf__dedup)\n"
		"  --datasec POLICY    keep (default) or drop the modules' "
		"DATASEC/VAR records\n"
		"  --only M[,M...]     merge only these modules\n"
		"  --exclude M[,M...]  merge all modules but these\n"
		"  --collisions        list names defined differently by "
		"several modules\n"
		"  -j, --jobs N        worker threads (default: CPUs)\n"
		"  --strict            fail if any module is skipped\n"
		"  --json              print the summary as JSON on stdout\n"
		"  -v, --verbose       more messages\n"
		"\n"
		"exit: 0 done, 3 done with skipped modules, 1 failed, 2 "
		"usage\n");
}

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
		"  -j, --jobs N         worker threads (default: CPUs)\n"
		"  --strict             fail if any module is skipped\n"
		"  --json               print the per-release summary as JSON "
		"on stdout\n"
		"  -v, --verbose        more messages\n"
		"\n"
		"exit: 0 done, 3 done with skipped modules or failed releases, "
		"1 "
		"failed,\n2 usage\n");
}

static void usage_verify(FILE *f)
{
	fprintf(f,
		"usage: btfar verify --base VMLINUX [-j N] [--json] "
		"[--datasec keep|drop] MERGED MODULE|DIR...\n"
		"\n"
		"Checks that every named type, function and enumerator of "
		"each module has\n"
		"an equivalent in MERGED (same kind, name, size, members, "
		"offsets, bitfields,\n"
		"values, prototypes, recursively). Prints every miss.\n"
		"--datasec drop: the blob was merged with --datasec drop, so "
		"module\nDATASEC and VAR records are not looked for.\n"
		"\n"
		"exit: 0 all found, 3 misses or unreadable modules, 1 failed, "
		"2 usage\n");
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void print_collisions(const struct btfar_merge *m, FILE *f)
{
	size_t i, n = btfar_merge__collision_cnt(m);
	uint32_t j;

	for (i = 0; i < n; i++) {
		const struct btfar_collision *c = btfar_merge__collision(m, i);

		fprintf(f, "%s %s: %u definitions:", c->kind, c->name,
			c->variant_cnt);
		for (j = 0; j < c->module_cnt; j++)
			fprintf(f, " %s#%u", c->modules[j], c->variant[j] + 1);
		fputc('\n', f);
	}
}

static void print_json(const struct btfar_merge *m, const char *out,
		       bool with_collisions)
{
	const struct btfar_merge_stats *s = btfar_merge__stats(m);
	size_t i, n = btfar_merge__module_cnt(m), first = 1;
	uint32_t j;

	printf("{\"output\":");
	json_str(stdout, out ? out : "");
	printf(",\"modules_found\":%u,\"modules_merged\":%u,"
	       "\"modules_skipped\":%u,\"base_types\":%u,"
	       "\"types_before\":%u,\"types_after\":%u,"
	       "\"bytes_before\":%" PRIu64 ",\"bytes_after\":%" PRIu64 ","
	       "\"datasec_dropped\":%u,\"bytes_read\":%" PRIu64 ","
	       "\"time\":{\"read\":%.3f,\"merge\":%.3f,\"dedup\":%.3f,"
	       "\"emit\":%.3f},\"collisions\":%zu,\"skipped\":[",
	       s->modules_found, s->modules_merged, s->modules_skipped,
	       s->base_types, s->types_before, s->types_after, s->bytes_before,
	       s->bytes_after, s->datasec_dropped, s->bytes_read, s->t_read,
	       s->t_merge, s->t_dedup, s->t_emit,
	       btfar_merge__collision_cnt(m));
	for (i = 0; i < n; i++) {
		const struct btfar_module_info *mi = btfar_merge__module(m, i);

		if (mi->merged)
			continue;
		printf("%s{\"path\":", first ? "" : ",");
		json_str(stdout, mi->path);
		printf(",\"reason\":");
		json_str(stdout, mi->reason);
		printf("}");
		first = 0;
	}
	printf("]");
	if (with_collisions) {
		printf(",\"collision_list\":[");
		for (i = 0; i < btfar_merge__collision_cnt(m); i++) {
			const struct btfar_collision *c =
				btfar_merge__collision(m, i);

			printf("%s{\"kind\":\"%s\",\"name\":", i ? "," : "",
			       c->kind);
			json_str(stdout, c->name);
			printf(",\"definitions\":%u,\"modules\":[",
			       c->variant_cnt);
			for (j = 0; j < c->module_cnt; j++) {
				printf("%s{\"module\":", j ? "," : "");
				json_str(stdout, c->modules[j]);
				printf(",\"definition\":%u}",
				       c->variant[j] + 1);
			}
			printf("]}");
		}
		printf("]");
	}
	printf("}\n");
}

static void print_summary(const struct btfar_merge *m, const char *out,
			  size_t out_sz)
{
	const struct btfar_merge_stats *s = btfar_merge__stats(m);
	double total = s->t_read + s->t_merge + s->t_dedup + s->t_emit;

	fprintf(stderr,
		"modules: %u found, %u merged, %u skipped\n"
		"types: base %u; modules %u before dedup, %u after",
		s->modules_found, s->modules_merged, s->modules_skipped,
		s->base_types, s->types_before, s->types_after);
	if (s->types_before)
		fprintf(stderr, " (%.1f%% removed)",
			100.0 * (s->types_before - s->types_after) /
				s->types_before);
	fprintf(stderr,
		"\nbytes: split %.2f MB before dedup, %.2f MB after; read "
		"%.1f MB\n",
		s->bytes_before / 1e6, s->bytes_after / 1e6,
		s->bytes_read / 1e6);
	if (s->datasec_dropped)
		fprintf(stderr, "datasec: %u DATASEC/VAR records dropped\n",
			s->datasec_dropped);
	fprintf(stderr,
		"collisions: %zu names with several distinct definitions%s\n",
		btfar_merge__collision_cnt(m),
		btfar_merge__collision_cnt(m) ? " (--collisions lists them)"
					      : "");
	if (out)
		fprintf(stderr, "output: %s, %zu bytes\n", out, out_sz);
	fprintf(stderr,
		"time: read %.2fs merge %.2fs dedup %.2fs emit %.2fs total "
		"%.2fs\n",
		s->t_read, s->t_merge, s->t_dedup, s->t_emit, total);
}

static int parse_jobs(const char *s, int *jobs)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || v < 1 || v > 1024) {
		fprintf(stderr,
			"btfar: -j wants a number from 1 to 1024, got "
			"'%s'\n",
			s);
		return -1;
	}
	*jobs = (int)v;
	return 0;
}

static int parse_datasec(const char *s, enum btfar_datasec_policy *out)
{
	if (!strcmp(s, "keep")) {
		*out = BTFAR_DATASEC_KEEP;
	} else if (!strcmp(s, "drop")) {
		*out = BTFAR_DATASEC_DROP;
	} else {
		fprintf(stderr,
			"btfar: --datasec wants keep or drop, got '%s'\n", s);
		return -1;
	}
	return 0;
}

static int parse_engine(const char *s, enum btfar_dedup_engine *out)
{
	if (!strcmp(s, "refine")) {
		*out = BTFAR_DEDUP_REFINE;
	} else if (!strcmp(s, "libbpf")) {
		*out = BTFAR_DEDUP_LIBBPF;
	} else {
		fprintf(stderr,
			"btfar: --dedup-engine wants refine or libbpf, got "
			"'%s'\n",
			s);
		return -1;
	}
	return 0;
}

static int cmd_merge(int argc, char **argv)
{
	static const struct option opts[] = {
		{"base", required_argument, NULL, 'b'},
		{"output", required_argument, NULL, 'o'},
		{"split", no_argument, NULL, 's'},
		{"no-dedup", no_argument, NULL, 'N'},
		{"dedup-engine", required_argument, NULL, 'E'},
		{"datasec", required_argument, NULL, 'D'},
		{"only", required_argument, NULL, 'O'},
		{"exclude", required_argument, NULL, 'X'},
		{"collisions", no_argument, NULL, 'C'},
		{"jobs", required_argument, NULL, 'j'},
		{"strict", no_argument, NULL, 'S'},
		{"json", no_argument, NULL, 'J'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct btfar_merge_opts mo = {.sz = sizeof(mo)};
	const char *base = NULL, *out = NULL;
	bool json = false, collisions = false;
	struct btfar_merge *m = NULL;
	int c, i, err, ret = EXIT_FAILED;
	const void *data;
	size_t data_sz = 0;

	while ((c = getopt_long(argc, argv, "o:j:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			base = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case 's':
			mo.split = true;
			break;
		case 'N':
			mo.no_dedup = true;
			break;
		case 'D':
			if (parse_datasec(optarg, &mo.datasec))
				return EXIT_USAGE;
			break;
		case 'E':
			if (parse_engine(optarg, &mo.dedup_engine))
				return EXIT_USAGE;
			break;
		case 'O':
			mo.only = optarg;
			break;
		case 'X':
			mo.exclude = optarg;
			break;
		case 'C':
			collisions = true;
			break;
		case 'j':
			if (parse_jobs(optarg, &mo.jobs))
				return EXIT_USAGE;
			break;
		case 'S':
			mo.strict = true;
			break;
		case 'J':
			json = true;
			break;
		case 'v':
			term.verbose++;
			break;
		case 'h':
			usage_merge(stdout);
			return EXIT_DONE;
		default:
			usage_merge(stderr);
			return EXIT_USAGE;
		}
	}
	if (!base || optind >= argc) {
		fprintf(stderr, "btfar merge: %s\n",
			!base ? "--base VMLINUX is required"
			      : "no module or directory given");
		usage_merge(stderr);
		return EXIT_USAGE;
	}
	mo.log = on_log;
	mo.progress = on_progress;

	m = btfar_merge__new(&mo);
	if (!m) {
		fprintf(stderr, "btfar: %s\n", strerror(errno));
		return EXIT_FAILED;
	}
	err = btfar_merge__set_base(m, base);
	for (i = optind; !err && i < argc; i++)
		err = btfar_merge__add_input(m, argv[i]);
	if (!err)
		err = btfar_merge__run(m);
	clear_bar();
	if (err < 0) {
		fprintf(stderr, "btfar: error: %s\n", btfar_merge__errstr(m));
		goto out;
	}
	data = btfar_merge__data(m, &data_sz);
	(void)data;
	if (out && btfar_merge__write(m, out) < 0) {
		fprintf(stderr, "btfar: error: %s\n", btfar_merge__errstr(m));
		goto out;
	}
	if (collisions && !json)
		print_collisions(m, stdout);
	if (json)
		print_json(m, out, collisions);
	print_summary(m, out, data_sz);
	ret = err > 0 ? EXIT_SKIPS : EXIT_DONE;
out:
	btfar_merge__free(m);
	return ret;
}

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
		printf("}");
		return;
	}
	if (r->ok && !p->quiet)
		printf("OK        %s\n", r->path);
	else if (!r->ok)
		printf("MISMATCH  %s: %s\n", r->path, r->evidence);
}

static int cmd_check(int argc, char **argv)
{
	static const struct option opts[] = {
		{"base", required_argument, NULL, 'b'},
		{"release", required_argument, NULL, 'r'},
		{"jobs", required_argument, NULL, 'j'},
		{"json", no_argument, NULL, 'J'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct btfar_check_opts co = {.sz = sizeof(co)};
	struct check_print pr = {0};
	struct btfar_check_stats st;
	const char *base = NULL;
	char err_buf[1024] = "";
	int c, err;

	while ((c = getopt_long(argc, argv, "j:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			base = optarg;
			break;
		case 'r':
			co.release = optarg;
			break;
		case 'j':
			if (parse_jobs(optarg, &co.jobs))
				return EXIT_USAGE;
			break;
		case 'J':
			pr.json = true;
			break;
		case 'q':
			pr.quiet = true;
			break;
		case 'h':
			usage_check(stdout);
			return EXIT_DONE;
		default:
			usage_check(stderr);
			return EXIT_USAGE;
		}
	}
	if (!base || optind >= argc) {
		fprintf(stderr, "btfar check: %s\n",
			!base ? "--base VMLINUX is required"
			      : "no module or directory given");
		usage_check(stderr);
		return EXIT_USAGE;
	}
	if (pr.json)
		printf("[");
	err = btfar_check(base, (const char *const *)argv + optind,
			  (size_t)(argc - optind), &co, on_check, &pr, &st,
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

static int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{"base", required_argument, NULL, 'b'},
		{"jobs", required_argument, NULL, 'j'},
		{"json", no_argument, NULL, 'J'},
		{"datasec", required_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct btfar_verify_opts vo = {.sz = sizeof(vo)};
	enum btfar_datasec_policy policy;
	struct btfar_verify_stats st;
	const char *base = NULL;
	bool json = false;
	char err_buf[1024] = "";
	int c, err;

	while ((c = getopt_long(argc, argv, "j:h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			base = optarg;
			break;
		case 'j':
			if (parse_jobs(optarg, &vo.jobs))
				return EXIT_USAGE;
			break;
		case 'J':
			json = true;
			break;
		case 'D':
			if (parse_datasec(optarg, &policy))
				return EXIT_USAGE;
			vo.ignore_datasec = policy == BTFAR_DATASEC_DROP;
			break;
		case 'h':
			usage_verify(stdout);
			return EXIT_DONE;
		default:
			usage_verify(stderr);
			return EXIT_USAGE;
		}
	}
	if (!base || argc - optind < 2) {
		fprintf(stderr, "btfar verify: %s\n",
			!base ? "--base VMLINUX is required"
			      : "give the merged blob and modules");
		usage_verify(stderr);
		return EXIT_USAGE;
	}
	vo.log = on_log;
	vo.max_misses_logged = UINT32_MAX;
	err = btfar_verify(base, argv[optind],
			   (const char *const *)argv + optind + 1,
			   (size_t)(argc - optind - 1), &vo, &st, err_buf,
			   sizeof(err_buf));
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
	       "\"time\":{\"read\":%.3f,\"merge\":%.3f,\"dedup\":%.3f,"
	       "\"emit\":%.3f},\"skipped\":[",
	       s->modules_found, s->modules_merged, s->modules_skipped,
	       s->base_types, s->types_before, s->types_after, s->t_read,
	       s->t_merge, s->t_dedup, s->t_emit);
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

static void print_release(const struct btfar_release *r, const char *outdir)
{
	const struct btfar_merge_stats *s = &r->stats;

	if (r->error) {
		fprintf(stderr, "release %s: FAILED: %s\n", r->release,
			r->error);
		return;
	}
	fprintf(stderr,
		"release %s (%s): %s/%s.btf, %zu bytes, sha256 %s\n"
		"  base: %s, %s%s%s, build-id %s, %u types, sha256 %s\n"
		"  modules: %u found, %u merged, %u skipped; types %u -> %u "
		"after dedup\n"
		"  time: read %.2fs merge %.2fs dedup %.2fs emit %.2fs\n",
		r->release, r->arch[0] ? r->arch : "arch unknown", outdir,
		r->release, r->size, r->sha256, r->image_path, r->image_source,
		r->compression[0] ? ", " : "", r->compression,
		r->build_id[0] ? r->build_id : "none", s->base_types,
		r->base_sha256, s->modules_found, s->modules_merged,
		s->modules_skipped, s->types_before, s->types_after, s->t_read,
		s->t_merge, s->t_dedup, s->t_emit);
}

static int cmd_build(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"base", required_argument, NULL, 'b'},
		{"datasec", required_argument, NULL, 'D'},
		{"dedup-engine", required_argument, NULL, 'E'},
		{"jobs", required_argument, NULL, 'j'},
		{"strict", no_argument, NULL, 'S'},
		{"json", no_argument, NULL, 'J'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct btfar_build_opts bo = {.sz = sizeof(bo)};
	const char *outdir = NULL;
	struct btfar_build *b = NULL;
	bool json = false;
	int c, i, err, ret = EXIT_FAILED;
	size_t r, n;

	while ((c = getopt_long(argc, argv, "o:j:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			outdir = optarg;
			break;
		case 'b':
			bo.base = optarg;
			break;
		case 'D':
			if (parse_datasec(optarg, &bo.datasec))
				return EXIT_USAGE;
			break;
		case 'E':
			if (parse_engine(optarg, &bo.dedup_engine))
				return EXIT_USAGE;
			break;
		case 'j':
			if (parse_jobs(optarg, &bo.jobs))
				return EXIT_USAGE;
			break;
		case 'S':
			bo.strict = true;
			break;
		case 'J':
			json = true;
			break;
		case 'v':
			term.verbose++;
			break;
		case 'h':
			usage_build(stdout);
			return EXIT_DONE;
		default:
			usage_build(stderr);
			return EXIT_USAGE;
		}
	}
	if (!outdir || optind >= argc) {
		fprintf(stderr, "btfar build: %s\n",
			!outdir ? "-o OUTDIR is required"
				: "no package or directory given");
		usage_build(stderr);
		return EXIT_USAGE;
	}
	bo.log = on_log;
	bo.progress = on_progress;
	b = btfar_build__new(&bo);
	if (!b) {
		fprintf(stderr, "btfar: %s\n", strerror(errno));
		return EXIT_FAILED;
	}
	err = 0;
	for (i = optind; !err && i < argc; i++)
		err = btfar_build__add_input(b, argv[i]);
	if (!err)
		err = btfar_build__run(b);
	clear_bar();
	if (err < 0) {
		fprintf(stderr, "btfar: error: %s\n", btfar_build__errstr(b));
		goto out;
	}
	if (btfar_build__write(b, outdir) < 0) {
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
	}
	if (json)
		printf("[");
	for (r = 0; r < n; r++) {
		const struct btfar_release *rel = btfar_build__release(b, r);

		print_release(rel, outdir);
		if (json)
			print_release_json(rel, r == 0);
	}
	if (json)
		printf("]\n");
	ret = err > 0 ? EXIT_SKIPS : EXIT_DONE;
out:
	btfar_build__free(b);
	return ret;
}

int main(int argc, char **argv)
{
	term.tty = isatty(STDERR_FILENO);
	if (argc < 2) {
		usage_main(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "build"))
		return cmd_build(argc - 1, argv + 1);
	if (!strcmp(argv[1], "merge"))
		return cmd_merge(argc - 1, argv + 1);
	if (!strcmp(argv[1], "verify"))
		return cmd_verify(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check"))
		return cmd_check(argc - 1, argv + 1);
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("btfar %s\n", btfar_version());
		return EXIT_DONE;
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
	    !strcmp(argv[1], "-h")) {
		usage_main(stdout);
		return EXIT_DONE;
	}
	fprintf(stderr, "btfar: unknown command '%s'\n", argv[1]);
	usage_main(stderr);
	return EXIT_USAGE;
}
