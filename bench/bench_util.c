// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Helpers shared by the bench programs; see bench_util.h. */
#define _GNU_SOURCE
#include "bench_util.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <lzma.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void bbuf_free(struct bbuf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

int bbuf_reserve(struct bbuf *b, size_t need)
{
	size_t cap;
	void *p;

	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64 * 1024;
	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* nftw() has no user pointer: the walk state lives here (one walk at once). */
static struct {
	const char *const *suffixes;
	char **paths;
	size_t cnt;
	size_t cap;
	int err;
} walk;

static int walk_add(const char *path)
{
	char **p;

	if (walk.cnt == walk.cap) {
		size_t cap = walk.cap ? walk.cap * 2 : 1024;

		p = realloc(walk.paths, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		walk.paths = p;
		walk.cap = cap;
	}
	walk.paths[walk.cnt] = strdup(path);
	if (!walk.paths[walk.cnt])
		return -ENOMEM;
	walk.cnt++;
	return 0;
}

static int walk_cb(const char *path, const struct stat *st, int flag,
		   struct FTW *ftw)
{
	const char *const *s;

	(void)ftw;
	if (flag != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	for (s = walk.suffixes; *s; s++) {
		if (has_suffix(path, *s)) {
			walk.err = walk_add(path);
			return walk.err ? 1 : 0;
		}
	}
	return 0;
}

int path_list_add(const char *dir, const char *const *suffixes, char ***paths,
		  size_t *cnt)
{
	struct stat st;
	int err;

	if (stat(dir, &st))
		return -errno;
	walk.suffixes = suffixes;
	walk.paths = *paths;
	walk.cnt = walk.cap = *cnt;
	walk.err = 0;
	if (S_ISREG(st.st_mode)) {
		err = walk_add(dir);
	} else {
		err = nftw(dir, walk_cb, 32, FTW_PHYS);
		if (err < 0)
			err = -errno;
		else if (walk.err)
			err = walk.err;
	}
	*paths = walk.paths;
	*cnt = walk.cnt;
	return err;
}

static int path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void path_list_sort(char **paths, size_t cnt)
{
	if (cnt)
		qsort(paths, cnt, sizeof(*paths), path_cmp);
}

void path_list_free(char **paths, size_t cnt)
{
	size_t i;

	for (i = 0; i < cnt; i++)
		free(paths[i]);
	free(paths);
}

int read_whole(const char *path, struct bbuf *b)
{
	struct stat st;
	ssize_t n;
	size_t off = 0;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out;
	}
	err = bbuf_reserve(b, (size_t)st.st_size + 1);
	if (err)
		goto out;
	while (off < (size_t)st.st_size) {
		n = read(fd, b->data + off, (size_t)st.st_size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto out;
		}
		if (n == 0)
			break;
		off += (size_t)n;
	}
	b->len = off;
out:
	close(fd);
	return err;
}

int write_whole(const char *path, const void *data, size_t len)
{
	char tmp[4096];
	size_t off = 0;
	ssize_t n;
	int fd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (off < len) {
		n = write(fd, (const char *)data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int xz_decompress(const void *in, size_t in_len, uint32_t flags,
		  struct bbuf *out, size_t max_out)
{
	lzma_stream strm = LZMA_STREAM_INIT;
	lzma_ret ret;
	int err = 0;

	out->len = 0;
	if (lzma_stream_decoder(&strm, UINT64_MAX, LZMA_CONCATENATED | flags) !=
	    LZMA_OK)
		return -ENOMEM;
	/* Modules grow 3 to 5 times under xz: start at 4x, double on demand. */
	err = bbuf_reserve(out, in_len * 4 < max_out ? in_len * 4 : max_out);
	if (err)
		goto out;
	strm.next_in = in;
	strm.avail_in = in_len;
	for (;;) {
		if (out->len == out->cap) {
			if (out->cap >= max_out) {
				err = -EFBIG;
				goto out;
			}
			err = bbuf_reserve(out, out->cap + 1);
			if (err)
				goto out;
		}
		strm.next_out = out->data + out->len;
		strm.avail_out = out->cap - out->len;
		ret = lzma_code(&strm, LZMA_FINISH);
		out->len = out->cap - strm.avail_out;
		if (ret == LZMA_STREAM_END)
			break;
		if (ret == LZMA_MEM_ERROR) {
			err = -ENOMEM;
			goto out;
		}
		if (ret != LZMA_OK && ret != LZMA_BUF_ERROR) {
			err = -EBADMSG;
			goto out;
		}
		if (ret == LZMA_BUF_ERROR && strm.avail_out) {
			/* no progress with room left: truncated input */
			err = -EBADMSG;
			goto out;
		}
	}
out:
	lzma_end(&strm);
	return err;
}

double now_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double now_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}
