// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_read_all(const char *path, uint64_t max, void **data, size_t *size,
		  struct diag *d)
{
	struct stat st;
	size_t done = 0;
	char *buf = NULL;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		diag_set(d, "cannot open: %s", strerror(errno));
		return err;
	}
	if (fstat(fd, &st) < 0) {
		err = -errno;
		diag_set(d, "cannot stat: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		diag_set(d, "not a regular file");
		goto out;
	}
	if (max && (uint64_t)st.st_size > max) {
		err = -EFBIG;
		diag_set(d, "file of %lld bytes is over the cap of %llu bytes",
			 (long long)st.st_size, (unsigned long long)max);
		goto out;
	}
	/* one spare byte so that callers may NUL-terminate text */
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		err = -ENOMEM;
		diag_set(d, "out of memory for %lld bytes",
			 (long long)st.st_size);
		goto out;
	}
	while (done < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			diag_set(d, "read error at byte %zu: %s", done,
				 strerror(errno));
			goto out;
		}
		if (n == 0) {
			err = -EIO;
			diag_set(d, "file shrank while reading, at byte %zu",
				 done);
			goto out;
		}
		done += (size_t)n;
	}
	buf[done] = '\0';
	*data = buf;
	*size = done;
	buf = NULL;
	err = 0;
out:
	free(buf);
	close(fd);
	return err;
}

static int write_full(int fd, const void *data, size_t size)
{
	const char *p = data;

	while (size) {
		ssize_t n = write(fd, p, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		size -= (size_t)n;
	}
	return 0;
}

/*
 * A file of DIRECT_MIN bytes or more goes to disk around the page cache
 * (O_DIRECT, through an aligned bounce buffer of DIRECT_CHUNK bytes), its
 * last partial block through it. Why: the page cache takes the data in
 * large folios, and on a VM with free-page reporting (the machine btfar is
 * benchmarked on) the host hands those in anew after any pause: writing a
 * 31 MB blob took 0.13-0.29 s of system time in most runs (0.01 s in the
 * others), where O_DIRECT takes 0.015-0.02 s of disk time and almost no
 * CPU; the fsync that follows has nothing left to write back. Only where
 * the file system takes O_DIRECT: an EINVAL (no O_DIRECT, or alignment
 * rules of its own) sends the rest through the page cache; any other error
 * is the write's. Same bytes on disk either way.
 */
#define DIRECT_MIN   ((size_t)4 << 20)
#define DIRECT_CHUNK ((size_t)1 << 20)
#define DIRECT_ALIGN ((size_t)4096)

static int write_data(int fd, const void *data, size_t size)
{
#ifdef O_DIRECT
	size_t whole = size & ~(DIRECT_ALIGN - 1), off = 0;
	const char *p = data;
	void *bounce = NULL;
	int fl, err = 0;

	if (size < DIRECT_MIN)
		return write_full(fd, data, size);
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_DIRECT) < 0)
		return write_full(fd, data, size);
	if (posix_memalign(&bounce, DIRECT_ALIGN, DIRECT_CHUNK))
		bounce = NULL;
	while (bounce && off < whole) {
		size_t n =
			whole - off < DIRECT_CHUNK ? whole - off : DIRECT_CHUNK;
		ssize_t w;

		memcpy(bounce, p + off, n);
		w = write(fd, bounce, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			if (errno != EINVAL)
				err = -errno;
			break;
		}
		off += (size_t)w;
		if (!w || ((size_t)w & (DIRECT_ALIGN - 1)))
			break; /* the rest at an unaligned offset */
	}
	free(bounce);
	if (fcntl(fd, F_SETFL, fl) < 0 && !err)
		err = -errno;
	return err ? err : write_full(fd, p + off, size - off);
#else
	return write_full(fd, data, size);
#endif
}

int file_atomic_write(struct file_atomic *fa, const char *path,
		      const void *data, size_t size, struct diag *d)
{
	size_t len = strlen(path);
	int fd = -1, err;

	fa->tmp = malloc(len + 16);
	fa->dir = strdup(path);
	if (!fa->tmp || !fa->dir) {
		err = -ENOMEM;
		diag_set(d, "out of memory");
		goto fail;
	}
	snprintf(fa->tmp, len + 16, "%s.tmp.XXXXXX", path);
	fa->path = path;
	fd = mkstemp(fa->tmp);
	if (fd < 0) {
		err = -errno;
		diag_set(d, "cannot create a temporary file beside it: %s",
			 strerror(errno));
		fa->tmp[0] = '\0';
		goto fail;
	}
	err = write_data(fd, data, size);
	if (err) {
		diag_set(d, "write failed: %s", strerror(-err));
		goto fail;
	}
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		err = -errno;
		diag_set(d, "fsync failed: %s", strerror(errno));
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		err = -errno;
		diag_set(d, "close failed: %s", strerror(errno));
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	file_atomic_abort(fa);
	return err;
}

int file_atomic_commit(struct file_atomic *fa, struct diag *d)
{
	int dfd, err = 0;

	if (rename(fa->tmp, fa->path) < 0) {
		err = -errno;
		diag_set(d, "rename into place failed: %s", strerror(errno));
		goto out;
	}
	fa->tmp[0] = '\0';
	dfd = open(dirname(fa->dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
out:
	file_atomic_abort(fa);
	return err;
}

void file_atomic_abort(struct file_atomic *fa)
{
	if (fa->tmp && fa->tmp[0])
		unlink(fa->tmp);
	free(fa->tmp);
	free(fa->dir);
	memset(fa, 0, sizeof(*fa));
}

int file_write_atomic(const char *path, const void *data, size_t size,
		      struct diag *d)
{
	struct file_atomic fa = {0};
	int err = file_atomic_write(&fa, path, data, size, d);

	return err ? err : file_atomic_commit(&fa, d);
}

/*
 * A batch: every file's data goes to its temporary file first, unsynced;
 * commit makes them durable with one syncfs() per file system, then renames
 * each into place and fsyncs each directory once. N files cost a few
 * syncs instead of 2N (file_write_atomic: fsync of the file and of its
 * directory), and an existing file is still replaced only by a complete
 * one.
 */
struct file_batch_ent {
	char *path, *tmp; /* tmp: "" once renamed */
};

struct file_batch {
	struct file_batch_ent *ents;
	size_t cnt, cap;
};

struct file_batch *file_batch__new(void)
{
	return calloc(1, sizeof(struct file_batch));
}

void file_batch__free(struct file_batch *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->cnt; i++) {
		if (b->ents[i].tmp[0])
			unlink(b->ents[i].tmp);
		free(b->ents[i].tmp);
		free(b->ents[i].path);
	}
	free(b->ents);
	free(b);
}

int file_batch__add(struct file_batch *b, const char *path, const void *data,
		    size_t size, struct diag *d)
{
	struct file_batch_ent *e;
	size_t len = strlen(path);
	int fd, err;

	if (b->cnt == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		void *p = realloc(b->ents, cap * sizeof(*b->ents));

		if (!p) {
			diag_set(d, "out of memory");
			return -ENOMEM;
		}
		b->ents = p;
		b->cap = cap;
	}
	e = &b->ents[b->cnt];
	e->path = strdup(path);
	e->tmp = malloc(len + 16);
	if (!e->path || !e->tmp) {
		free(e->path);
		free(e->tmp);
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	snprintf(e->tmp, len + 16, "%s.tmp.XXXXXX", path);
	fd = mkstemp(e->tmp);
	if (fd < 0) {
		err = -errno;
		diag_set(d, "cannot create a temporary file beside it: %s",
			 strerror(errno));
		free(e->path);
		free(e->tmp);
		return err;
	}
	b->cnt++; /* from here its temporary file is the batch's */
	err = write_full(fd, data, size);
	if (err) {
		close(fd);
		diag_set(d, "write failed: %s", strerror(-err));
		return err;
	}
	if (fchmod(fd, 0644) < 0 || close(fd) < 0) {
		err = -errno;
		diag_set(d, "close failed: %s", strerror(errno));
		return err;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The distinct directories of the batch's files, sorted, malloc()ed. */
static char **batch_dirs(const struct file_batch *b, size_t *n)
{
	char **dirs = calloc(b->cnt ? b->cnt : 1, sizeof(*dirs));
	size_t i, w = 0;

	if (!dirs)
		return NULL;
	for (i = 0; i < b->cnt; i++) {
		char *c = strdup(b->ents[i].path), *s;

		if (!c)
			goto fail;
		s = strrchr(c, '/');
		if (!s)
			strcpy(c, ".");
		else if (s == c)
			c[1] = '\0';
		else
			*s = '\0';
		dirs[i] = c;
	}
	qsort(dirs, b->cnt, sizeof(*dirs), cmp_str);
	for (i = 0; i < b->cnt; i++) {
		if (w && !strcmp(dirs[w - 1], dirs[i])) {
			free(dirs[i]);
			continue;
		}
		dirs[w++] = dirs[i];
	}
	*n = w;
	return dirs;
fail:
	while (i--)
		free(dirs[i]);
	free(dirs);
	return NULL;
}

int file_batch__commit(struct file_batch *b, struct diag *d)
{
	dev_t *devs = NULL;
	char **dirs;
	size_t ndir = 0, ndev = 0, i, j;
	int err = 0;

	if (!b->cnt)
		return 0;
	dirs = batch_dirs(b, &ndir);
	devs = calloc(ndir ? ndir : 1, sizeof(*devs));
	if (!dirs || !devs) {
		err = -ENOMEM;
		diag_set(d, "out of memory");
		goto out;
	}
	/* the data of every temporary file on disk: syncfs per file system */
	for (i = 0; i < ndir; i++) {
		struct stat st;
		int dfd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd < 0 || fstat(dfd, &st) < 0) {
			err = -errno;
			diag_set(d, "%s: cannot open: %s", dirs[i],
				 strerror(errno));
			if (dfd >= 0)
				close(dfd);
			goto out;
		}
		for (j = 0; j < ndev && devs[j] != st.st_dev; j++)
			;
		if (j == ndev) {
			devs[ndev++] = st.st_dev;
			if (syncfs(dfd) < 0) {
				err = -errno;
				diag_set(d, "%s: syncfs failed: %s", dirs[i],
					 strerror(errno));
				close(dfd);
				goto out;
			}
		}
		close(dfd);
	}
	for (i = 0; i < b->cnt; i++) {
		if (rename(b->ents[i].tmp, b->ents[i].path) < 0) {
			err = -errno;
			diag_set(d, "%s: rename into place failed: %s",
				 b->ents[i].path, strerror(errno));
			goto out;
		}
		b->ents[i].tmp[0] = '\0';
	}
	for (i = 0; i < ndir; i++) {
		int dfd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
out:
	for (i = 0; dirs && i < ndir; i++)
		free(dirs[i]);
	free(dirs);
	free(devs);
	return err;
}
