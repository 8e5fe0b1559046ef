// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * btfar min-core: every entry of the inputs minimised for CO-RE BPF
 * objects (btfar_min_core__write_archive), or, with --check, a min-core
 * archive checked against the objects (btfar_min_core__check).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "opts.h"

static void usage_min_core(FILE *f)
{
	fprintf(f,
		"usage: btfar min-core -o OUT --object OBJ [--object OBJ]... "
		"[--json] [LABELS]\n"
		"                      [--level L] [--no-delta] [-j N] "
		"INPUT...\n"
		"       btfar min-core --check MIN.btfa --object OBJ "
		"[--object OBJ]... [--json]\n"
		"\n"
		"Minimises the BTF of every entry of the inputs to what the "
		"CO-RE relocations\n"
		"of the objects (clang -target bpf -g) use, as bpftool gen "
		"min_core_btf does;\n"
		"each minimised blob resolves every relocation as the whole "
		"blob does.\n"
		"INPUT: as for btfar pack (build output directories, "
		"RELEASE.btf, raw .btf,\n"
		"/sys/kernel/btf/vmlinux, .btfa archives: every entry). "
		"OUT ending in .btfa:\n"
		"an archive, one entry per input entry with its labels, "
		"release, arch and\n"
		"build identity, and an entry btfar-min-core that records "
		"the objects and\n"
		"every relocation's result (for --check); otherwise a "
		"directory with one\n"
		"RELEASE.btf per release. The delta entries of an archive "
		"input are resolved\n"
		"through their delta, never rebuilt: on a view of the "
		"reference entry with\n"
		"the delta's changes.\n"
		"--check: every relocation of the objects resolves on each "
		"entry of MIN.btfa\n"
		"as it did on the whole blob when MIN.btfa was made; each "
		"one that does not\n"
		"is named with its release.\n"
		"\n"
		"  -o, --output OUT    OUT.btfa or a directory\n"
		"  --object OBJ        a CO-RE BPF object (repeat for "
		"several; required)\n"
		"  --check MIN.btfa    check MIN.btfa against the objects "
		"instead\n"
		"  --json              per release: relocations resolved, "
		"unresolved and\n"
		"                      ambiguous ones (object, section, "
		"type, field), on stdout\n"
		"  --no-reuse          resolve every entry on its whole blob "
		"(for comparison)\n"
		"  --distro, --distro-version, --flavour, --arch   labels of "
		"inputs without\n"
		"                      them (as for pack)\n"
		"  --level L           zstd level of the archive (1 to 22, "
		"default 19)\n"
		"  --no-delta          store every blob whole\n"
		"  -j, --jobs N        threads: compression, and two delta "
		"entries read at a\n"
		"                      time (default: CPUs)\n"
		"  -v, --verbose       each relocation (-vv)\n"
		"  -q, --quiet         no summary line per release\n"
		"\n"
		"exit: 0 done (--check: all as recorded), 3 some relocations "
		"do not resolve or\nare ambiguous (--check: mismatches), 1 "
		"failed (nothing written), 2 usage\n");
}

struct print_ctx {
	bool json;
	bool first;
	bool quiet; /* no summary lines on stderr */
};

static void print_problems(FILE *f, const struct btfar_min_core_report *r,
			   bool ambiguous)
{
	size_t i;
	bool first = true;

	for (i = 0; i < r->problem_cnt; i++) {
		const struct btfar_min_core_problem *p = &r->problems[i];

		if (p->ambiguous != ambiguous)
			continue;
		fprintf(f, "%s{\"object\":", first ? "" : ",");
		json_str(f, p->object);
		fprintf(f, ",\"section\":");
		json_str(f, p->section);
		fprintf(f, ",\"insn\":%u,\"kind\":", p->insn_off / 8);
		json_str(f, p->kind);
		fprintf(f, ",\"type\":");
		json_str(f, p->type);
		fprintf(f, ",\"field\":");
		json_str(f, p->field);
		fprintf(f, ",\"%s\":", ambiguous ? "candidates" : "reason");
		json_str(f, p->detail);
		fputc('}', f);
		first = false;
	}
}

static void on_entry(const struct btfar_min_core_entry *e, void *ctx)
{
	struct print_ctx *pc = ctx;
	const struct btfar_min_core_report *r = e->report;
	size_t i;

	if (pc->json) {
		printf("%s{\"release\":", pc->first ? "" : ",\n ");
		json_str(stdout, e->release);
		printf(",\"arch\":");
		json_str(stdout, e->arch);
		printf(",\"build_id\":");
		json_str(stdout, e->build_id);
		printf(",\"blob_size\":%zu,\"size\":%zu,\"reused\":%s,"
		       "\"relocations\":%u,\"resolved\":%u,\"local\":%u,"
		       "\"types_in\":%u,\"types_out\":%u,\"unresolved\":[",
		       e->blob_size, e->size, e->reused ? "true" : "false",
		       r->relocations, r->resolved, r->local, r->types_in,
		       r->types_out);
		print_problems(stdout, r, false);
		printf("],\"ambiguous\":[");
		print_problems(stdout, r, true);
		printf("]}");
		pc->first = false;
	}
	if (pc->quiet)
		return;
	fprintf(stderr,
		"min-core: %s %s: %u relocations, %u resolved, %u unresolved, "
		"%u ambiguous; %zu -> %zu bytes%s\n",
		e->release, *e->arch ? e->arch : "-", r->relocations,
		r->resolved + r->local, r->unresolved, r->ambiguous,
		e->blob_size, e->size, e->reused ? " (through its delta)" : "");
	for (i = 0; i < r->problem_cnt; i++)
		fprintf(stderr, "  %s: %s: %s %s: %s\n", r->problems[i].object,
			r->problems[i].section, r->problems[i].kind,
			r->problems[i].field, r->problems[i].detail);
}

static void on_mismatch(const struct btfar_min_core_mismatch *mm, void *ctx)
{
	struct print_ctx *pc = ctx;

	if (pc->json) {
		printf("%s{\"release\":", pc->first ? "" : ",\n ");
		json_str(stdout, mm->release);
		printf(",\"arch\":");
		json_str(stdout, mm->arch);
		printf(",\"object\":");
		json_str(stdout, mm->object);
		printf(",\"section\":");
		json_str(stdout, mm->section);
		printf(",\"kind\":");
		json_str(stdout, mm->kind);
		printf(",\"field\":");
		json_str(stdout, mm->field);
		printf(",\"what\":");
		json_str(stdout, mm->what);
		printf("}");
		pc->first = false;
	}
	fprintf(stderr, "btfar min-core: stale: %s %s: %s: %s: %s %s: %s\n",
		mm->release, *mm->arch ? mm->arch : "-", mm->object,
		mm->section, mm->kind, mm->field, mm->what);
}

int cmd_min_core(int argc, char **argv)
{
	struct btfar_archive_opts ao = {.sz = sizeof(ao)};
	struct btfar_min_core_opts mo = {.sz = sizeof(mo)};
	struct opt_strings objs = {0};
	const char *out = NULL, *check = NULL;
	struct print_ctx pc = {.first = true};
	const struct opt opts[] = {
		OPT_OUTPUT(&out),
		OPT_STRINGS("object", &objs),
		OPT_STRING("check", &check),
		OPT_JSON(&pc.json),
		OPT_BOOL("no-reuse", &mo.no_reuse),
		OPT_LABELS(&ao),
		OPT_LEVEL(&ao.level),
		OPT_BOOL("no-delta", &ao.no_delta),
		OPT_JOBS(&ao.jobs),
		OPT_VERBOSE(&term.verbose),
		OPT_QUIET(&pc.quiet),
		OPT_END(),
	};
	struct btfar_min_core *m = NULL;
	int err, first, ret = EXIT_FAILED;
	size_t i;

	err = opts_parse("min-core", opts, usage_min_core, argc, argv, &first);
	if (err != OPTS_OK)
		goto done_usage;
	if (!objs.cnt || (check && (out || first < argc)) ||
	    (!check && (!out || first == argc))) {
		fprintf(stderr, "btfar min-core: %s\n",
			!objs.cnt ? "--object OBJ is required"
			: check	  ? "--check MIN.btfa takes no -o and no input"
			: !out	  ? "-o OUT is required"
				  : "give the inputs");
		usage_min_core(stderr);
		err = EXIT_USAGE;
		goto done_usage;
	}
	mo.log = on_log;
	m = btfar_min_core__new(&mo);
	if (!m) {
		fprintf(stderr, "btfar: error: out of memory\n");
		goto out;
	}
	for (i = 0; i < objs.cnt; i++)
		if (btfar_min_core__add_object(m, objs.v[i])) {
			fprintf(stderr, "btfar: error: %s\n",
				btfar_min_core__errstr(m));
			goto out;
		}
	if (pc.json)
		printf("[");
	if (check)
		err = btfar_min_core__check(m, check, on_mismatch, &pc);
	else
		err = btfar_min_core__write_archive(
			m, out, (const char *const *)argv + first,
			(size_t)(argc - first), &ao, on_entry, &pc);
	if (pc.json)
		printf("]\n");
	if (err < 0) {
		fprintf(stderr, "btfar: error: %s\n",
			btfar_min_core__errstr(m));
		goto out;
	}
	if (check && !err && !pc.quiet)
		fprintf(stderr,
			"min-core: %s: every relocation resolves as "
			"recorded\n",
			check);
	ret = err ? EXIT_SKIPS : EXIT_DONE;
out:
	btfar_min_core__free(m);
	opt_strings_free(&objs);
	return ret;
done_usage:
	opt_strings_free(&objs);
	return err;
}
