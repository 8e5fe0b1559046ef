// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench_build_floor: the cost no package-to-BTF tool can avoid on a .deb of
 * .ko.xz modules: read the package once, decompress its data.tar.xz
 * (libarchive, ar then the nested tar stream, in memory: formats/pkg.c's
 * pkg_walk), hand every .ko.xz member to worker threads that decompress it
 * in memory (liblzma) and drop the bytes. Nothing else: no kernel image, no
 * ELF, no BTF. The modules' CRC32 check is computed as btfar's decomp
 * computes it (formats/crc32.c over the output, the decoder told to leave
 * the check alone), not byte-wise by liblzma 5.4, which took 2% of a build's
 * CPU: the floor does the work btfar does, no more. Same threading shape as
 * `btfar build`: this thread reads, N workers decompress behind it through a
 * bounded queue (256 members).
 *
 *   bench_build_floor [-j N] PKG...
 *
 * Several packages (a kernel split in two, as Debian unstable ships it:
 * linux-binary-R + linux-modules-R) are read one after the other by the
 * same reader, the workers shared.
 *
 * Prints one line on stderr:
 *   build_floor: modules N pkg BYTES in BYTES out BYTES read R.RRs
 *                wall W.WWs cpu C.CCs format FORMAT
 * pkg: bytes of the package files consumed; in: bytes of the .ko.xz
 * members; out: what they decompress to; read: wall time until the reader
 * reached the end of the package (the workers may still be busy); cpu: user
 * + system time of all threads.
 */
#define _GNU_SOURCE
#include "bench_util.h"
#include "formats/crc32.h"
#include "formats/pkg.h"

#include <errno.h>
#include <lzma.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_MODULE_SIZE (1024UL * 1024 * 1024)
#define MAX_PENDING	256
#define MAX_THREADS	64

struct task {
	void *data;
	size_t size;
};

/* A bounded ring of tasks: one producer (the reader), N consumers. */
struct queue {
	pthread_mutex_t lock;
	pthread_cond_t has_task;
	pthread_cond_t has_room;
	struct task ring[MAX_PENDING];
	size_t head, cnt;
	bool done; /* the reader is finished */
	atomic_size_t modules;
	atomic_size_t in_bytes;
	atomic_size_t out_bytes;
	atomic_int errors;
};

/* where the modules' CRC32s go, so that computing them is not optimised
 * away */
static atomic_uint crc_sink;

static void queue_push(struct queue *q, struct task t)
{
	pthread_mutex_lock(&q->lock);
	while (q->cnt == MAX_PENDING)
		pthread_cond_wait(&q->has_room, &q->lock);
	q->ring[(q->head + q->cnt) % MAX_PENDING] = t;
	q->cnt++;
	pthread_cond_signal(&q->has_task);
	pthread_mutex_unlock(&q->lock);
}

/* Takes a task; false once the reader is done and the ring is empty. */
static bool queue_pop(struct queue *q, struct task *t)
{
	pthread_mutex_lock(&q->lock);
	while (!q->cnt && !q->done)
		pthread_cond_wait(&q->has_task, &q->lock);
	if (!q->cnt) {
		pthread_mutex_unlock(&q->lock);
		return false;
	}
	*t = q->ring[q->head];
	q->head = (q->head + 1) % MAX_PENDING;
	q->cnt--;
	pthread_cond_signal(&q->has_room);
	pthread_mutex_unlock(&q->lock);
	return true;
}

static void queue_finish(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->done = true;
	pthread_cond_broadcast(&q->has_task);
	pthread_mutex_unlock(&q->lock);
}

static void *worker(void *arg)
{
	struct bbuf img = {0};
	struct queue *q = arg;
	struct task t;
	int err;

	while (queue_pop(q, &t)) {
		err = xz_decompress(t.data, t.size, LZMA_IGNORE_CHECK, &img,
				    MAX_MODULE_SIZE);
		/* the check's cost; a floor needs no verdict */
		if (!err)
			atomic_fetch_xor(&crc_sink,
					 crc32_update(0, img.data, img.len));
		if (err) {
			fprintf(stderr, "bench_build_floor: .ko.xz: %s\n",
				strerror(-err));
			atomic_fetch_add(&q->errors, 1);
		} else {
			atomic_fetch_add(&q->modules, 1);
			atomic_fetch_add(&q->in_bytes, t.size);
			atomic_fetch_add(&q->out_bytes, img.len);
		}
		free(t.data);
	}
	bbuf_free(&img);
	return NULL;
}

static bool want(const struct pkg_entry *e, void *ctx)
{
	(void)ctx;
	return has_suffix(e->path, ".ko.xz");
}

static int data(const struct pkg_entry *e, void *bytes, size_t size, void *ctx)
{
	struct task t = {.data = bytes, .size = size};

	(void)e;
	queue_push(ctx, t);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench_build_floor [-j N] PKG...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static struct queue q = {
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.has_task = PTHREAD_COND_INITIALIZER,
		.has_room = PTHREAD_COND_INITIALIZER,
	};
	struct pkg_walk_opts o = {.want = want, .data = data, .ctx = &q};
	struct pkg_stats st = {0};
	unsigned long long pkg_bytes = 0;
	struct diag d = {""};
	pthread_t tids[MAX_THREADS];
	int nthreads = 2, opt, i, err;
	double w0, c0, t_read;

	while ((opt = getopt(argc, argv, "j:")) != -1) {
		if (opt != 'j')
			usage();
		nthreads = atoi(optarg);
		if (nthreads < 1 || nthreads > MAX_THREADS)
			usage();
	}
	if (optind >= argc)
		usage();
	w0 = now_wall();
	c0 = now_cpu();
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&tids[i], NULL, worker, &q)) {
			fprintf(stderr,
				"bench_build_floor: pthread_create failed\n");
			return 1;
		}
	}
	for (err = 0, i = optind; !err && i < argc; i++) {
		err = pkg_walk(argv[i], &o, &st, &d);
		pkg_bytes += st.bytes_in;
	}
	t_read = now_wall() - w0;
	queue_finish(&q);
	for (i = 0; i < nthreads; i++)
		pthread_join(tids[i], NULL);
	if (err) {
		fprintf(stderr, "bench_build_floor: %s\n", d.msg);
		return 1;
	}

	fprintf(stderr,
		"build_floor: modules %zu pkg %llu in %zu out %zu read %.2fs "
		"wall %.2fs cpu %.2fs format %s\n",
		(size_t)q.modules, pkg_bytes, (size_t)q.in_bytes,
		(size_t)q.out_bytes, t_read, now_wall() - w0, now_cpu() - c0,
		st.format);
	return q.errors || !q.modules ? 1 : 0;
}
