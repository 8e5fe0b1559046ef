// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench_get_floor: what a `btfar get` of an entry costs at least on this
 * machine, with no decoding at all. The process is linked as btfar is (the
 * same libraries load at its start); it writes every byte of a buffer of
 * the output's size and, for a delta entry, of one of its reference's size
 * (a delta is decoded against its reference's content, so that content is
 * in memory once, whatever the encoding), on two threads, as btfar's get
 * fills its buffers; then it writes the output as `btfar get -o` does
 * (file_atomic_write: O_DIRECT, fsync, rename over OUT, the directory's
 * fsync), or with -n through write() and a rename alone, as tar does.
 *
 *   bench_get_floor get ARCHIVE RELEASE -o OUT --out-size N
 *                   [--ref-size M] [-n] [-v]
 *
 * ARCHIVE and RELEASE are not read: the command line is btfar get's, so
 * that run-get-rounds.sh runs it in the rounds beside btfar and tar (its
 * ARGS give the sizes). -v prints the milliseconds of each step.
 */
#define _GNU_SOURCE
#include "bench_util.h"
#include "formats/file.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

struct part {
	unsigned char *p;
	size_t len;
};

/* both halves of the buffers, one per thread */
struct halves {
	struct part part[2];
};

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void *fill(void *arg)
{
	struct halves *h = arg;
	int i;

	/* not zeros: nothing below may treat the pages as empty */
	for (i = 0; i < 2; i++)
		memset(h->part[i].p, 0x5a, h->part[i].len);
	return NULL;
}

static void *map(size_t len)
{
	void *p;

	if (!len)
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench_get_floor get ARCHIVE RELEASE -o OUT "
			"--out-size N [--ref-size M] [-n] [-v]\n");
	return 2;
}

int main(int argc, char **argv)
{
	size_t out_size = 0, ref_size = 0;
	const char *out = NULL;
	bool plain = false, verbose = false;
	struct halves h[2];
	unsigned char *o, *r;
	struct file_atomic fa = {0};
	struct diag d = {""};
	double t0, t1, t2, t3;
	pthread_t t;
	int i, err;

	if (argc < 4 || strcmp(argv[1], "get"))
		return usage();
	for (i = 4; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "--out-size") && i + 1 < argc)
			out_size = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--ref-size") && i + 1 < argc)
			ref_size = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "-n"))
			plain = true;
		else if (!strcmp(argv[i], "-v"))
			verbose = true;
		else
			return usage();
	}
	if (!out || !out_size)
		return usage();
	t0 = now_ms();
	o = map(out_size);
	r = map(ref_size);
	if (!o || (ref_size && !r)) {
		fprintf(stderr, "bench_get_floor: out of memory\n");
		return 1;
	}
	/* thread k writes half k of each buffer */
	for (i = 0; i < 2; i++) {
		size_t oh = out_size / 2, rh = ref_size / 2;

		h[i].part[0] =
			(struct part){o + i * oh, i ? out_size - oh : oh};
		h[i].part[1] = (struct part){r ? r + i * rh : NULL,
					     i ? ref_size - rh : rh};
	}
	if (pthread_create(&t, NULL, fill, &h[1])) {
		fill(&h[1]);
		fill(&h[0]);
	} else {
		fill(&h[0]);
		pthread_join(t, NULL);
	}
	t1 = now_ms();
	if (plain) {
		/* tar's way: write() through the page cache, rename */
		err = write_whole(out, o, out_size);
		if (err)
			snprintf(d.msg, sizeof(d.msg), "%s: %s", out,
				 strerror(-err));
		t2 = t3 = now_ms();
	} else {
		err = file_atomic_write(&fa, out, o, out_size, &d);
		t2 = now_ms();
		if (!err)
			err = file_atomic_commit(&fa, &d);
		t3 = now_ms();
	}
	if (err) {
		fprintf(stderr, "bench_get_floor: %s\n", d.msg);
		return 1;
	}
	if (verbose)
		fprintf(stderr,
			"get_floor: fill %.1f ms (%zu + %zu bytes), write "
			"%.1f ms, commit %.1f ms\n",
			t1 - t0, out_size, ref_size, t2 - t1, t3 - t2);
	return 0;
}
