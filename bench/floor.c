// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench_floor: the cost no merger can avoid on a package of .ko.xz modules:
 * read every module file and decompress it in memory (liblzma), then drop
 * the bytes. Same thread count as the tool under test. The CRC32 check is
 * computed as btfar's decomp does (formats/crc32.c over the output, the
 * decoder told to leave it alone), not byte-wise by liblzma 5.4.
 *
 *   bench_floor [-j N] DIR|MODULE...
 *
 * Prints one line on stderr:
 *   floor: modules N in BYTES out BYTES wall W.WWs cpu C.CCs
 */
#define _GNU_SOURCE
#include "bench_util.h"
#include "formats/crc32.h"

#include <lzma.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_MODULE_SIZE (1024UL * 1024 * 1024)

static const char *const xz_suffixes[] = {".ko.xz", NULL};

struct job {
	char **paths;
	size_t cnt;
	atomic_size_t next; /* next path index to take */
	atomic_size_t in_bytes;
	atomic_size_t out_bytes;
	atomic_int errors;
};

/* where the modules' CRC32s go, so that computing them is not optimised
 * away */
static atomic_uint crc_sink;

static void *worker(void *arg)
{
	struct bbuf file = {0}, img = {0};
	struct job *job = arg;
	size_t i;
	int err;

	while ((i = atomic_fetch_add(&job->next, 1)) < job->cnt) {
		err = read_whole(job->paths[i], &file);
		if (!err)
			err = xz_decompress(file.data, file.len,
					    LZMA_IGNORE_CHECK, &img,
					    MAX_MODULE_SIZE);
		/* the check's cost; a floor needs no verdict */
		if (!err)
			atomic_fetch_xor(&crc_sink,
					 crc32_update(0, img.data, img.len));
		if (err) {
			fprintf(stderr, "bench_floor: %s: %s\n", job->paths[i],
				strerror(-err));
			atomic_fetch_add(&job->errors, 1);
			continue;
		}
		atomic_fetch_add(&job->in_bytes, file.len);
		atomic_fetch_add(&job->out_bytes, img.len);
	}
	bbuf_free(&file);
	bbuf_free(&img);
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_floor [-j N] DIR|MODULE...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct job job = {0};
	pthread_t tids[64];
	int nthreads = 2, opt, i, err;
	double w0, c0;

	while ((opt = getopt(argc, argv, "j:")) != -1) {
		if (opt != 'j')
			usage();
		nthreads = atoi(optarg);
		if (nthreads < 1 || nthreads > 64)
			usage();
	}
	if (optind == argc)
		usage();
	w0 = now_wall();
	c0 = now_cpu();
	for (i = optind; i < argc; i++) {
		err = path_list_add(argv[i], xz_suffixes, &job.paths, &job.cnt);
		if (err) {
			fprintf(stderr, "bench_floor: %s: %s\n", argv[i],
				strerror(-err));
			return 1;
		}
	}
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&tids[i], NULL, worker, &job)) {
			fprintf(stderr, "bench_floor: pthread_create failed\n");
			return 1;
		}
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(tids[i], NULL);

	fprintf(stderr,
		"floor: modules %zu in %zu out %zu wall %.2fs cpu %.2fs\n",
		job.cnt, (size_t)job.in_bytes, (size_t)job.out_bytes,
		now_wall() - w0, now_cpu() - c0);
	path_list_free(job.paths, job.cnt);
	return job.errors || !job.cnt ? 1 : 0;
}
