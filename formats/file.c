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

int file_write_atomic(const char *path, const void *data, size_t size,
		      struct diag *d)
{
	char *tmp = NULL, *dir_copy = NULL;
	int fd = -1, dfd, err;
	size_t len = strlen(path);

	tmp = malloc(len + 16);
	dir_copy = strdup(path);
	if (!tmp || !dir_copy) {
		err = -ENOMEM;
		diag_set(d, "out of memory");
		goto out;
	}
	snprintf(tmp, len + 16, "%s.tmp.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = -errno;
		diag_set(d, "cannot create a temporary file beside it: %s",
			 strerror(errno));
		tmp[0] = '\0';
		goto out;
	}
	err = write_full(fd, data, size);
	if (err) {
		diag_set(d, "write failed: %s", strerror(-err));
		goto out;
	}
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0) {
		err = -errno;
		diag_set(d, "fsync failed: %s", strerror(errno));
		goto out;
	}
	if (close(fd) < 0) {
		fd = -1;
		err = -errno;
		diag_set(d, "close failed: %s", strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		err = -errno;
		diag_set(d, "rename into place failed: %s", strerror(errno));
		goto out;
	}
	tmp[0] = '\0';
	dfd = open(dirname(dir_copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	err = 0;
out:
	if (fd >= 0)
		close(fd);
	if (tmp && tmp[0])
		unlink(tmp);
	free(tmp);
	free(dir_copy);
	return err;
}
