// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * btfar: the command line. Thin: parses arguments, calls the public API,
 * prints. Exit codes: 0 done, 3 done with skipped modules (or, for verify,
 * misses), 1 failed, 2 usage error.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
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
	double start;	/* time of the first one, for the rate */
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
	double t = now(), elapsed;

	(void)ctx;
	if (!term.tty || (t - term.last < 0.1 && p->done != p->total))
		return;
	if (!term.start)
		term.start = t;
	term.last = t;
	elapsed = t - term.start;
	if (p->total > 1)
		fprintf(stderr, "\r\033[K%-6s %zu/%zu modules", p->phase,
			p->done, p->total);
	else if (p->done)
		fprintf(stderr, "\r\033[K%-6s %zu modules", p->phase, p->done);
	else
		fprintf(stderr, "\r\033[K%-6s ...", p->phase);
	if (p->bytes_in)
		fprintf(stderr, "  %.1f MB read, %.1f MB/s", p->bytes_in / 1e6,
			elapsed > 0.05 ? p->bytes_in / 1e6 / elapsed : 0.0);
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
		"  pack     blobs (build output, .btf, archives) into a .btfa "
		"archive\n"
		"  add      append blobs to a .btfa archive\n"
		"  list     the entries of an archive\n"
		"  get      one release's blob out of an archive\n"
		"  verify ARCHIVE.btfa   check every entry of an archive\n"
		"  export-btfhub  a btfhub tree (.btf.tar.xz) and "
		"catalog.json\n"
		"  check    does each module's BTF fit a base (base mismatch)\n"
		"  rebase   rewrite modules' split BTF from one base onto "
		"another\n"
		"  distill  write a distilled base (.BTF.base) for modules\n"
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
		"split BTF; directories are walked, other files ignored: -v "
		"counts them) with\n"
		"the vmlinux BTF into one blob, self-contained by default. "
		"Inputs without\n"
		"any module fail: no blob of the vmlinux alone.\n"
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
		"  --compat VERSION    rewrite BTF kinds newer than kernel "
		"VERSION (5.2 to\n"
		"                      6.0, e.g. 5.15) for older readers; "
		"type ids stay\n"
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
		"--module-base OLD: the modules were built on OLD, another "
		"build than the\nblob's base (after btfar rebase): named "
		"base types are compared by layout.\n"
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
		{"compat", required_argument, NULL, 'K'},
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
		case 'K':
			mo.compat = optarg;
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
	if (mo.split && mo.compat) {
		fprintf(stderr, "btfar merge: --compat applies to "
				"self-contained output, not --split (old "
				"readers would still load the base's newer "
				"kinds)\n");
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
		printf(",\"relocated\":%s}", r->relocated ? "true" : "false");
		return;
	}
	if (r->ok && !p->quiet)
		printf("OK        %s%s\n", r->path,
		       r->relocated ? " (relocated from its .BTF.base)" : "");
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

static void usage_rebase(FILE *f)
{
	fprintf(f,
		"usage: btfar rebase --from OLD --to NEW -o OUTDIR [--elf] "
		"[-j N] MODULE|DIR...\n"
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

static int cmd_rebase(int argc, char **argv)
{
	static const struct option opts[] = {
		{"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 't'},
		{"output", required_argument, NULL, 'o'},
		{"jobs", required_argument, NULL, 'j'},
		{"elf", no_argument, NULL, 'E'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *from = NULL, *to = NULL, *outdir = NULL;
	struct btfar_rebase_opts ro = {.sz = sizeof(ro)};
	struct btfar_rebase_stats st;
	char err_buf[1024] = "";
	bool quiet = false;
	int c, err;

	while ((c = getopt_long(argc, argv, "o:j:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			from = optarg;
			break;
		case 't':
			to = optarg;
			break;
		case 'o':
			outdir = optarg;
			break;
		case 'j':
			if (parse_jobs(optarg, &ro.jobs))
				return EXIT_USAGE;
			break;
		case 'E':
			ro.elf = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage_rebase(stdout);
			return EXIT_DONE;
		default:
			usage_rebase(stderr);
			return EXIT_USAGE;
		}
	}
	if (!from || !to || !outdir || optind >= argc) {
		fprintf(stderr, "btfar rebase: --from, --to, -o and modules "
				"are required\n");
		usage_rebase(stderr);
		return EXIT_USAGE;
	}
	err = btfar_rebase(from, to, (const char *const *)argv + optind,
			   (size_t)(argc - optind), outdir, &ro, on_rebase,
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

static void usage_distill(FILE *f)
{
	fprintf(f,
		"usage: btfar distill --base VMLINUX -o OUTDIR [-j N] "
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

static int cmd_distill(int argc, char **argv)
{
	static const struct option opts[] = {
		{"base", required_argument, NULL, 'b'},
		{"output", required_argument, NULL, 'o'},
		{"jobs", required_argument, NULL, 'j'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *base = NULL, *outdir = NULL;
	struct btfar_distill_stats st;
	char err_buf[1024] = "";
	bool quiet = false;
	int c, err, jobs = 0;

	while ((c = getopt_long(argc, argv, "b:o:j:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			base = optarg;
			break;
		case 'o':
			outdir = optarg;
			break;
		case 'j':
			if (parse_jobs(optarg, &jobs))
				return EXIT_USAGE;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage_distill(stdout);
			return EXIT_DONE;
		default:
			usage_distill(stderr);
			return EXIT_USAGE;
		}
	}
	if (!base || !outdir || optind >= argc) {
		fprintf(stderr, "btfar distill: --base, -o and modules are "
				"required\n");
		usage_distill(stderr);
		return EXIT_USAGE;
	}
	err = btfar_distill(base, (const char *const *)argv + optind,
			    (size_t)(argc - optind), outdir, jobs, on_distill,
			    &quiet, &st, err_buf, sizeof(err_buf));
	if (err < 0) {
		fprintf(stderr, "btfar: error: %s\n", err_buf);
		return EXIT_FAILED;
	}
	fprintf(stderr, "distill: %u modules: %u distilled, %u refused\n",
		st.modules, st.distilled, st.refused);
	return err ? EXIT_SKIPS : EXIT_DONE;
}

static int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{"base", required_argument, NULL, 'b'},
		{"jobs", required_argument, NULL, 'j'},
		{"json", no_argument, NULL, 'J'},
		{"datasec", required_argument, NULL, 'D'},
		{"module-base", required_argument, NULL, 'M'},
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
		case 'M':
			vo.module_base = optarg;
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
	if (!strcmp(r->btf_from, "dwarf"))
		fprintf(stderr, "  BTF from: DWARF, %s, %.2fs\n", r->encoder,
			r->t_dwarf);
	else
		fprintf(stderr, "  BTF from: the packages' .BTF\n");
}

static void on_interrupt(int sig)
{
	(void)sig;
	btfar_interrupt(); /* sets a flag: async-signal-safe */
}

/* SIGINT, SIGTERM: the build stops, kills pahole, removes its work files
 * and fails ("interrupted"); a second signal ends the process at once. */
static void catch_interrupts(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int cmd_build(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"base", required_argument, NULL, 'b'},
		{"datasec", required_argument, NULL, 'D'},
		{"dedup-engine", required_argument, NULL, 'E'},
		{"compat", required_argument, NULL, 'K'},
		{"jobs", required_argument, NULL, 'j'},
		{"strict", no_argument, NULL, 'S'},
		{"json", no_argument, NULL, 'J'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{"from-dwarf", no_argument, NULL, 'F'},
		{"pahole", required_argument, NULL, 'P'},
		{"pahole-timeout", required_argument, NULL, 'T'},
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
		case 'K':
			bo.compat = optarg;
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
		case 'F':
			bo.from_dwarf = true;
			break;
		case 'P':
			bo.pahole = optarg;
			break;
		case 'T': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*end || !v || v > 86400 || optarg[0] == '-') {
				fprintf(stderr,
					"btfar build: --pahole-timeout: '%s' "
					"is not a number of seconds (1 to "
					"86400)\n",
					optarg);
				return EXIT_USAGE;
			}
			bo.pahole_timeout = (unsigned int)v;
			break;
		}
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
	catch_interrupts();
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
		if (st->debug_files)
			fprintf(stderr,
				"read: %u debug files (DWARF) in %.2fs\n",
				st->debug_files, st->t_debug_read);
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

/* --- archives: pack, add, list, get, verify ARCHIVE, export-btfhub ------- */

static void usage_archive(FILE *f)
{
	fprintf(f,
		"usage: btfar pack -o ARCHIVE.btfa [LABELS] [--dict-size N] "
		"[--level L]\n"
		"                  [--no-delta] [-j N] INPUT...\n"
		"       btfar add ARCHIVE.btfa [LABELS] [--new-dict] "
		"[--no-delta] "
		"[-j N] INPUT...\n"
		"       btfar list ARCHIVE.btfa [--json]\n"
		"       btfar get ARCHIVE.btfa RELEASE [--build ID] [--arch A] "
		"[--compat V] -o OUT\n"
		"       btfar get ARCHIVE.btfa RELEASE --module NAME [--split] "
		"-o OUT\n"
		"       btfar get ARCHIVE.btfa --running [--module NAME "
		"[--split]] -o OUT\n"
		"       btfar verify ARCHIVE.btfa\n"
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
		"LABELS, for inputs that carry none: --distro D "
		"--distro-version V\n"
		"--flavour F --arch A.\n"
		"\n"
		"  --dict-size N   dictionary size in bytes (K, M suffixes; "
		"default 512K)\n"
		"  --level L       zstd level, 1-22 (default 19)\n"
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
		"  -j N            compression threads (default: the online "
		"CPUs)\n"
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

static void on_archive_progress(const struct btfar_progress *p, void *ctx)
{
	/* test-only (tests/fixtures/run.sh add_killed): die at a phase */
	const char *kill_at = getenv("BTFAR_TEST_KILL_AT");

	if (kill_at && !strcmp(kill_at, p->phase))
		raise(SIGKILL);
	on_progress(p, ctx);
}

static int parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	if (errno || *end || !v || v > (1ULL << 31)) {
		fprintf(stderr, "btfar: bad size '%s'\n", s);
		return -1;
	}
	*out = (size_t)v;
	return 0;
}

/* pack, add and export-btfhub share their options. */
static int cmd_archive_write(const char *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"distro", required_argument, NULL, 'd'},
		{"distro-version", required_argument, NULL, 'V'},
		{"flavour", required_argument, NULL, 'F'},
		{"arch", required_argument, NULL, 'A'},
		{"dict-size", required_argument, NULL, 'S'},
		{"level", required_argument, NULL, 'L'},
		{"new-dict", no_argument, NULL, 'N'},
		{"no-delta", no_argument, NULL, 'D'},
		{"jobs", required_argument, NULL, 'j'},
		{"compat", required_argument, NULL, 'C'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct btfar_archive_opts ao = {.sz = sizeof(ao)};
	bool add = !strcmp(cmd, "add"), exp = !strcmp(cmd, "export-btfhub");
	const char *out = NULL;
	char err[2048] = "";
	double t0 = now();
	int c, ret;

	while ((c = getopt_long(argc, argv, "o:j:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'D':
			ao.no_delta = true;
			break;
		case 'j':
			ao.jobs = atoi(optarg);
			if (ao.jobs < 1 || ao.jobs > 64) {
				fprintf(stderr, "btfar: bad -j '%s' (1-64)\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'd':
			ao.distro = optarg;
			break;
		case 'V':
			ao.distro_version = optarg;
			break;
		case 'F':
			ao.flavour = optarg;
			break;
		case 'A':
			ao.arch = optarg;
			break;
		case 'S':
			if (parse_size(optarg, &ao.dict_size))
				return EXIT_USAGE;
			break;
		case 'L':
			ao.level = atoi(optarg);
			if (ao.level < 1 || ao.level > 22) {
				fprintf(stderr, "btfar: bad level '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'N':
			ao.new_dict = true;
			break;
		case 'C':
			if (!exp) {
				fprintf(stderr,
					"btfar %s: --compat is for "
					"export-btfhub and get\n",
					cmd);
				return EXIT_USAGE;
			}
			ao.compat = optarg;
			break;
		case 'v':
			term.verbose++;
			break;
		case 'h':
			usage_archive(stdout);
			return EXIT_DONE;
		default:
			usage_archive(stderr);
			return EXIT_USAGE;
		}
	}
	if (add && !out && optind < argc)
		out = argv[optind++];
	if (!out || optind >= argc ||
	    (exp && (!ao.distro || !ao.distro_version))) {
		fprintf(stderr, "btfar %s: %s\n", cmd,
			!out ? (add ? "give the archive" : "-o is required")
			: optind >= argc ? "no input given"
					 : "--distro and --distro-version are "
					   "required");
		usage_archive(stderr);
		return EXIT_USAGE;
	}
	ao.log = on_log;
	ao.progress = on_archive_progress;
	/* test hook (tests/fixtures/run.sh pack_running): a fake / */
	ao.root = getenv("BTFAR_TEST_ROOT");
	if (add)
		ret = btfar_add(out, (const char *const *)argv + optind,
				(size_t)(argc - optind), &ao, err, sizeof(err));
	else if (exp)
		ret = btfar_export_btfhub(
			out, (const char *const *)argv + optind,
			(size_t)(argc - optind), &ao, err, sizeof(err));
	else
		ret = btfar_pack(out, (const char *const *)argv + optind,
				 (size_t)(argc - optind), &ao, err,
				 sizeof(err));
	clear_bar();
	if (ret < 0) {
		fprintf(stderr, "btfar: error: %s\n", err);
		return EXIT_FAILED;
	}
	fprintf(stderr, "%s: %s: %d %s in %.2fs\n", cmd, out, ret,
		exp   ? "file(s) written"
		: add ? "entries added"
		      : "entries",
		now() - t0);
	return EXIT_DONE;
}

static struct btfar_archive *archive_open(const char *path)
{
	char err[2048] = "";
	struct btfar_archive *a =
		btfar_archive__open(path, NULL, err, sizeof(err));

	if (!a)
		fprintf(stderr, "btfar: error: %s\n", err);
	return a;
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

static int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'J'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct btfar_archive *a;
	bool json = false;
	uint64_t csum = 0, usum = 0;
	size_t i, k, n;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c == 'J') {
			json = true;
		} else {
			usage_archive(c == 'h' ? stdout : stderr);
			return c == 'h' ? EXIT_DONE : EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		usage_archive(stderr);
		return EXIT_USAGE;
	}
	a = archive_open(argv[optind]);
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
		       " uncompressed, file %" PRIu64 " bytes\n",
		       n, csum, usum, btfar_archive__file_size(a));
	btfar_archive__free(a);
	return EXIT_DONE;
}

static int cmd_get(int argc, char **argv)
{
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'},
		{"build", required_argument, NULL, 'b'},
		{"arch", required_argument, NULL, 'A'},
		{"compat", required_argument, NULL, 'K'},
		{"module", required_argument, NULL, 'M'},
		{"split", no_argument, NULL, 'S'},
		{"running", no_argument, NULL, 'R'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *out = NULL, *build = NULL, *arch = NULL, *compat = NULL;
	const char *module = NULL, *release;
	const struct btfar_archive_entry *e;
	struct btfar_running k;
	struct btfar_archive *a;
	bool split = false, running = false;
	int c, idx, r, ret = EXIT_FAILED;

	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'b':
			build = optarg;
			break;
		case 'A':
			arch = optarg;
			break;
		case 'K':
			compat = optarg;
			break;
		case 'M':
			module = optarg;
			break;
		case 'S':
			split = true;
			break;
		case 'R':
			running = true;
			break;
		case 'h':
			usage_archive(stdout);
			return EXIT_DONE;
		default:
			usage_archive(stderr);
			return EXIT_USAGE;
		}
	}
	if (!out || argc - optind != (running ? 1 : 2) || (split && !module) ||
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

		/* test hook (tests/fixtures/run.sh get_running): a fake / */
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
		release = argv[optind + 1];
	}
	a = archive_open(argv[optind]);
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
	btfar_archive__free(a);
	return ret;
}

static int cmd_verify_archive(const char *path)
{
	struct btfar_archive *a = archive_open(path);
	size_t i, n, bad = 0;

	if (!a)
		return EXIT_FAILED;
	n = btfar_archive__entry_cnt(a);
	for (i = 0; i < n; i++) {
		const struct btfar_archive_entry *e =
			btfar_archive__entry(a, i);
		char build[32];

		build_label(e, build, sizeof(build));
		if (btfar_archive__verify(a, i) < 0) {
			bad++;
			printf("FAIL %s %s %s: %s\n", e->release,
			       e->arch[0] ? e->arch : "-", build,
			       btfar_archive__errstr(a));
		} else {
			printf("OK   %s %s %s\n", e->release,
			       e->arch[0] ? e->arch : "-", build);
		}
	}
	fprintf(stderr, "verify: %zu entries, %zu OK, %zu failed\n", n, n - bad,
		bad);
	btfar_archive__free(a);
	return bad ? EXIT_SKIPS : EXIT_DONE;
}

/* `btfar verify ARCHIVE`: one argument, no --base. */
static bool verify_is_archive(int argc, char **argv)
{
	return argc == 3 && argv[2][0] != '-';
}
/* The value of -o/--output in a build command line, NULL if none. */
static const char *build_output(int argc, char **argv)
{
	int i;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) &&
		    i + 1 < argc)
			return argv[i + 1];
		if (!strncmp(argv[i], "--output=", 9))
			return argv[i] + 9;
		if (!strncmp(argv[i], "-o", 2) && argv[i][2])
			return argv[i] + 2;
	}
	return NULL;
}

static void rm_tree_flat(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	char path[4096];

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) <
		    (int)sizeof(path))
			unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/*
 * `btfar build [--distro D --distro-version V --flavour F --dict-size N
 * --level L] -o X.btfa PKG...`: builds into a temporary directory beside
 * the archive, then adds to X.btfa (or packs it when it does not exist).
 */
static int cmd_build_archive(int argc, char **argv, const char *archive)
{
	static const char *const label_opts[] = {"--distro", "--distro-version",
						 "--flavour", "--dict-size",
						 "--level"};
	struct btfar_archive_opts ao = {.sz = sizeof(ao)};
	char tmpl[4096], err[2048] = "", **nargv;
	const char *inputs[1];
	const char *slash = strrchr(archive, '/');
	int i, k, nargc = 0, ret, r;
	bool existed;

	snprintf(tmpl, sizeof(tmpl), "%.*s.btfar-build.XXXXXX",
		 slash ? (int)(slash - archive + 1) : 0, archive);
	nargv = calloc((size_t)argc + 2, sizeof(*nargv));
	if (!nargv || !mkdtemp(tmpl)) {
		fprintf(stderr, "btfar: %s: %s\n", tmpl, strerror(errno));
		free(nargv);
		return EXIT_FAILED;
	}
	for (i = 1; i < argc; i++) {
		bool label = false;

		for (k = 0; k < 5; k++)
			if (!strcmp(argv[i], label_opts[k]) && i + 1 < argc)
				label = true;
		if (label) {
			const char *v = argv[++i];

			if (!strcmp(argv[i - 1], "--distro"))
				ao.distro = v;
			else if (!strcmp(argv[i - 1], "--distro-version"))
				ao.distro_version = v;
			else if (!strcmp(argv[i - 1], "--flavour"))
				ao.flavour = v;
			else if (!strcmp(argv[i - 1], "--level"))
				ao.level = atoi(v);
			else if (parse_size(v, &ao.dict_size))
				ao.dict_size = 0;
			continue;
		}
		if (argv[i] == archive) {
			nargv[nargc++] = tmpl;
		} else if (argv[i] + 2 == archive || argv[i] + 9 == archive) {
			nargv[nargc++] = "-o"; /* -oX.btfa, --output=X.btfa */
			nargv[nargc++] = tmpl;
		} else {
			nargv[nargc++] = argv[i];
		}
	}
	ret = cmd_build(nargc, nargv);
	if (ret == EXIT_DONE || ret == EXIT_SKIPS) {
		inputs[0] = tmpl;
		ao.log = on_log;
		ao.progress = on_archive_progress;
		existed = access(archive, F_OK) == 0;
		if (existed)
			r = btfar_add(archive, inputs, 1, &ao, err,
				      sizeof(err));
		else
			r = btfar_pack(archive, inputs, 1, &ao, err,
				       sizeof(err));
		clear_bar();
		if (r < 0) {
			fprintf(stderr, "btfar: error: %s\n", err);
			ret = EXIT_FAILED;
		} else {
			fprintf(stderr, "archive %s: %d entries %s\n", archive,
				r, existed ? "added" : "packed");
		}
	}
	rm_tree_flat(tmpl);
	free(nargv);
	return ret;
}
int main(int argc, char **argv)
{
	term.tty = isatty(STDERR_FILENO);
	if (argc < 2) {
		usage_main(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "build") && build_output(argc, argv) &&
	    strlen(build_output(argc, argv)) > 5 &&
	    !strcmp(build_output(argc, argv) +
			    strlen(build_output(argc, argv)) - 5,
		    ".btfa"))
		return cmd_build_archive(argc, argv, build_output(argc, argv));
	if (!strcmp(argv[1], "build"))
		return cmd_build(argc - 1, argv + 1);
	if (!strcmp(argv[1], "merge"))
		return cmd_merge(argc - 1, argv + 1);
	if (!strcmp(argv[1], "verify") && verify_is_archive(argc, argv))
		return cmd_verify_archive(argv[2]);
	if (!strcmp(argv[1], "verify"))
		return cmd_verify(argc - 1, argv + 1);
	if (!strcmp(argv[1], "pack") || !strcmp(argv[1], "add") ||
	    !strcmp(argv[1], "export-btfhub"))
		return cmd_archive_write(argv[1], argc - 1, argv + 1);
	if (!strcmp(argv[1], "list"))
		return cmd_list(argc - 1, argv + 1);
	if (!strcmp(argv[1], "get"))
		return cmd_get(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check"))
		return cmd_check(argc - 1, argv + 1);
	if (!strcmp(argv[1], "rebase"))
		return cmd_rebase(argc - 1, argv + 1);
	if (!strcmp(argv[1], "distill"))
		return cmd_distill(argc - 1, argv + 1);
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
