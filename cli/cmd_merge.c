// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * btfar merge: a vmlinux BTF and the split BTF of modules into one blob
 * (btfar_merge__*); the summary on stderr, --json and --collisions on
 * stdout.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "opts.h"

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
		"  --keep-unreachable  keep module types no named type "
		"reaches (locals' and\n"
		"                      casts' types; dropped by default)\n"
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
	       "\"datasec_dropped\":%u,\"unreachable_dropped\":%u,"
	       "\"bytes_read\":%" PRIu64 ","
	       "\"time\":{\"read\":%.3f,\"merge\":%.3f,\"dedup\":%.3f,"
	       "\"emit\":%.3f},\"collisions\":%zu,\"skipped\":[",
	       s->modules_found, s->modules_merged, s->modules_skipped,
	       s->base_types, s->types_before, s->types_after, s->bytes_before,
	       s->bytes_after, s->datasec_dropped, s->unreachable_dropped,
	       s->bytes_read, s->t_read, s->t_merge, s->t_dedup, s->t_emit,
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

int cmd_merge(int argc, char **argv)
{
	struct btfar_merge_opts mo = {.sz = sizeof(mo)};
	const char *base = NULL, *out = NULL;
	bool json = false, collisions = false;
	const struct opt opts[] = {
		OPT_BASE(&base),
		OPT_OUTPUT(&out),
		OPT_BOOL("split", &mo.split),
		OPT_BOOL("no-dedup", &mo.no_dedup),
		OPT_BOOL("keep-unreachable", &mo.keep_unreachable),
		OPT_DEDUP_ENGINE(&mo.dedup_engine),
		OPT_DATASEC(&mo.datasec),
		OPT_COMPAT(&mo.compat),
		OPT_STRING("only", &mo.only),
		OPT_STRING("exclude", &mo.exclude),
		OPT_BOOL("collisions", &collisions),
		OPT_JOBS(&mo.jobs),
		OPT_STRICT(&mo.strict),
		OPT_JSON(&json),
		OPT_VERBOSE(&term.verbose),
		OPT_END(),
	};
	struct btfar_merge *m = NULL;
	int i, err, ret = EXIT_FAILED, first;
	const void *data;
	size_t data_sz = 0;

	ret = opts_parse("merge", opts, usage_merge, argc, argv, &first);
	if (ret != OPTS_OK)
		return ret;
	heap_note();
	ret = EXIT_FAILED;
	if (!base || first >= argc) {
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
	for (i = first; !err && i < argc; i++)
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
