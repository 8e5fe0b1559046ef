// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench_touch: what memory touched for the first time costs on this
 * machine, the cost that decides how much a get or a build's tail pays
 * for each buffer it writes. Each round maps MiB of anonymous memory,
 * prepares it one way, writes every byte (memset), unmaps it and sleeps
 * PAUSE seconds (on a VM with free-page reporting, memory freed goes back
 * to the host meanwhile). Ways:
 *   plain     4 KiB pages faulted by the memset
 *   populate  MADV_POPULATE_WRITE first (timed apart), then the memset
 *   huge      MADV_HUGEPAGE first (THP "madvise" honours it)
 *   touched   the memset into memory the round has written once already
 * Prints per way the median and the range of the memset's milliseconds
 * (and of the populate call), and MiB/s at the median.
 *
 *   bench_touch [-m MIB] [-r ROUNDS] [-p PAUSE]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

enum way { PLAIN, POPULATE, HUGE, TOUCHED, WAYS };

static const char *const way_names[WAYS] = {"plain", "populate", "huge",
					    "touched"};

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* One round of one way: the memset's ms, the populate call's in *prep. */
static int round_of(enum way w, size_t len, double *fill, double *prep)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t;

	if (p == MAP_FAILED) {
		perror("bench_touch: mmap");
		return -1;
	}
	*prep = 0;
	t = now_ms();
	if (w == POPULATE && madvise(p, len, MADV_POPULATE_WRITE))
		perror("bench_touch: madvise(MADV_POPULATE_WRITE)");
	if (w == HUGE && madvise(p, len, MADV_HUGEPAGE))
		perror("bench_touch: madvise(MADV_HUGEPAGE)");
	if (w == TOUCHED)
		memset(p, 2, len);
	*prep = now_ms() - t;
	t = now_ms();
	memset(p, 1, len);
	*fill = now_ms() - t;
	/* keep the memset: read a byte of every page back */
	for (size_t i = 0; i < len; i += 4096)
		if (p[i] != 1)
			abort();
	munmap(p, len);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long mib = 64, rounds = 9;
	double pause = 0.3, *fill, *prep;
	int o, w;

	while ((o = getopt(argc, argv, "m:r:p:")) != -1) {
		switch (o) {
		case 'm':
			mib = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			rounds = strtoul(optarg, NULL, 10);
			break;
		case 'p':
			pause = strtod(optarg, NULL);
			break;
		default:
			fprintf(stderr, "usage: bench_touch [-m MIB] "
					"[-r ROUNDS] [-p PAUSE]\n");
			return 2;
		}
	}
	if (!mib || !rounds || rounds > 1000 || pause < 0) {
		fprintf(stderr, "bench_touch: -m and -r must be above 0, -r "
				"at most 1000, -p not negative\n");
		return 2;
	}
	fill = calloc(rounds * WAYS, sizeof(*fill));
	prep = calloc(rounds * WAYS, sizeof(*prep));
	if (!fill || !prep)
		return 1;
	/* rounds interleave the ways, so a drift hits all of them */
	for (unsigned long r = 0; r < rounds; r++) {
		for (w = 0; w < WAYS; w++) {
			struct timespec s = {
				(time_t)pause,
				(long)((pause - (double)(time_t)pause) * 1e9)};

			if (round_of((enum way)w, (size_t)mib << 20,
				     &fill[w * rounds + r],
				     &prep[w * rounds + r]))
				return 1;
			nanosleep(&s, NULL);
		}
	}
	printf("%lu MiB, %lu rounds, %.2f s apart\n", mib, rounds, pause);
	printf("%-9s %10s %10s %10s %10s %12s\n", "way", "median ms", "min",
	       "max", "MiB/s", "prep med ms");
	for (w = 0; w < WAYS; w++) {
		double *f = fill + w * rounds, *q = prep + w * rounds;

		qsort(f, rounds, sizeof(*f), cmp_double);
		qsort(q, rounds, sizeof(*q), cmp_double);
		printf("%-9s %10.1f %10.1f %10.1f %10.0f %12.1f\n",
		       way_names[w], f[rounds / 2], f[0], f[rounds - 1],
		       (double)mib / (f[rounds / 2] / 1e3), q[rounds / 2]);
	}
	free(fill);
	free(prep);
	return 0;
}
