// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench_tail: the work `btfar build` and `btfar merge` do after the read,
 * step by step, on raw split .BTF files already in memory: every module
 * parsed and validated on the base (the merge's read phase in `btfar
 * build`, whose modules arrive in memory), renumber_merge, dedup_refine,
 * and the validation of its output (btf_raw__parse). The machine these
 * figures come from is shared: CPU time of the process per step (best of
 * REPS) is what to compare; wall time is printed beside it.
 *
 *   bench_tail [-r REPS] [-j JOBS] VMLINUX_BTF DIR
 *
 * VMLINUX_BTF: raw vmlinux BTF (objcopy --dump-section .BTF=F vmlinux);
 * DIR: the modules' raw .btf files (fetch-kernel.sh's btf/), merged in
 * path order as btfar does. JOBS is passed to renumber_merge and
 * dedup_refine (default 1: every figure is one thread's work).
 *
 * Prints on stdout:
 *   tail: modules N types T bytes B
 *   parse cpu C wall W | renumber cpu C wall W | refine cpu C wall W |
 *   validate cpu C wall W   (one line, seconds, best of REPS each)
 *   faults parse F renumber F refine F validate F   (the page faults of
 *   each step in the first run, a fresh process: memory the step touches
 *   for the first time, 4 KiB each)
 */
#define _GNU_SOURCE
#include "bench_util.h"
#include "dedup/refine.h"
#include "formats/btf_raw.h"
#include "merge/renumber.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

struct best {
	double cpu, wall;
	long faults; /* of the first run */
};

static long minflt(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? 0 : ru.ru_minflt;
}

static void keep(struct best *b, double c0, double w0, long f0, int r)
{
	double c = now_cpu() - c0, w = now_wall() - w0;

	if (!r)
		b->faults = minflt() - f0;
	if (c < b->cpu)
		b->cpu = c;
	if (w < b->wall)
		b->wall = w;
}

/* Reads path whole into 8-byte aligned memory (BTF records are words). */
static void *read_aligned(const char *path, size_t *size)
{
	struct bbuf b = {0};
	void *p;

	if (read_whole(path, &b))
		return NULL;
	p = aligned_alloc(8, (b.len + 7) & ~(size_t)7);
	if (p)
		memcpy(p, b.data, b.len);
	*size = b.len;
	bbuf_free(&b);
	return p;
}

int main(int argc, char **argv)
{
	static const char *const sfx[] = {".btf", NULL};
	struct best parse = {1e9, 1e9, 0}, ren = {1e9, 1e9, 0},
		    ref = {1e9, 1e9, 0}, val = {1e9, 1e9, 0};
	struct renumber_opts ropts = {0};
	const struct btf_raw **mp;
	struct btf_raw base, *mods;
	struct diag d = {""};
	char **paths = NULL;
	size_t npaths = 0, i, base_sz, *sizes;
	void *base_blob, **blobs;
	int reps = 3, jobs = 1, opt, r;

	while ((opt = getopt(argc, argv, "r:j:")) != -1) {
		if (opt == 'r')
			reps = atoi(optarg);
		else if (opt == 'j')
			jobs = atoi(optarg);
		else
			goto usage;
	}
	if (argc - optind != 2 || reps < 1 || jobs < 1)
		goto usage;
	base_blob = read_aligned(argv[optind], &base_sz);
	if (!base_blob || btf_raw__parse(&base, base_blob, base_sz, NULL, &d)) {
		fprintf(stderr, "bench_tail: %s: %s\n", argv[optind],
			base_blob ? d.msg : "cannot read");
		return 1;
	}
	if (path_list_add(argv[optind + 1], sfx, &paths, &npaths) || !npaths) {
		fprintf(stderr, "bench_tail: %s: no .btf file\n",
			argv[optind + 1]);
		return 1;
	}
	path_list_sort(paths, npaths);
	blobs = calloc(npaths, sizeof(*blobs));
	sizes = calloc(npaths, sizeof(*sizes));
	mods = calloc(npaths, sizeof(*mods));
	mp = calloc(npaths, sizeof(*mp));
	if (!blobs || !sizes || !mods || !mp)
		return 1;
	for (i = 0; i < npaths; i++) {
		blobs[i] = read_aligned(paths[i], &sizes[i]);
		if (!blobs[i]) {
			fprintf(stderr, "bench_tail: %s: cannot read\n",
				paths[i]);
			return 1;
		}
		mp[i] = &mods[i];
	}
	ropts.jobs = jobs;
	for (r = 0; r < reps; r++) {
		struct renumber_result rr;
		struct refine_input in;
		struct dedup_result res;
		struct btf_raw out;
		double c0 = now_cpu(), w0 = now_wall();
		long f0 = minflt();

		for (i = 0; i < npaths; i++) {
			if (btf_raw__parse(&mods[i], blobs[i], sizes[i], &base,
					   &d)) {
				fprintf(stderr, "bench_tail: %s: %s\n",
					paths[i], d.msg);
				return 1;
			}
		}
		keep(&parse, c0, w0, f0, r);
		c0 = now_cpu();
		w0 = now_wall();
		f0 = minflt();
		if (renumber_merge(&base, mp, npaths, &ropts, &rr, &d)) {
			fprintf(stderr, "bench_tail: merge: %s\n", d.msg);
			return 1;
		}
		keep(&ren, c0, w0, f0, r);
		in = (struct refine_input){
			.base = &base,
			.types = rr.types,
			.types_len = rr.types_len,
			.type_offs = rr.type_offs,
			.type_cnt = rr.type_cnt,
			.strs = rr.strs,
			.str_len = rr.str_len,
			.jobs = (uint32_t)jobs,
		};
		c0 = now_cpu();
		w0 = now_wall();
		f0 = minflt();
		if (dedup_refine(&in, &res, &d)) {
			fprintf(stderr, "bench_tail: dedup: %s\n", d.msg);
			return 1;
		}
		keep(&ref, c0, w0, f0, r);
		c0 = now_cpu();
		w0 = now_wall();
		f0 = minflt();
		if (btf_raw__parse(&out, res.raw, res.size, &base, &d)) {
			fprintf(stderr, "bench_tail: output: %s\n", d.msg);
			return 1;
		}
		keep(&val, c0, w0, f0, r);
		if (r == reps - 1)
			printf("tail: modules %zu types %u bytes %zu\n", npaths,
			       res.type_cnt, res.size);
		btf_raw__release(&out);
		dedup_result_release(&res);
		renumber_result__release(&rr);
		for (i = 0; i < npaths; i++)
			btf_raw__release(&mods[i]);
	}
	printf("parse cpu %.3f wall %.3f | renumber cpu %.3f wall %.3f | "
	       "refine cpu %.3f wall %.3f | validate cpu %.3f wall %.3f\n",
	       parse.cpu, parse.wall, ren.cpu, ren.wall, ref.cpu, ref.wall,
	       val.cpu, val.wall);
	printf("faults parse %ld renumber %ld refine %ld validate %ld\n",
	       parse.faults, ren.faults, ref.faults, val.faults);
	return 0;
usage:
	fprintf(stderr,
		"usage: bench_tail [-r REPS] [-j JOBS] VMLINUX_BTF DIR\n");
	return 2;
}
