// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * faultinj: an LD_PRELOAD interposer for the fault-injection fixture tests
 * (docs/BAD-INPUT.md class 14). It makes chosen calls
 * of write, pwrite, writev, fsync, fdatasync, read and pread fail, come
 * back short, or kill the process, driven by the environment:
 *
 *   FI_PATH=PREFIX   only file descriptors of regular files whose path
 *                    (readlink /proc/self/fd/N) starts with PREFIX are
 *                    touched; unset: the library does nothing at all
 *   FI_OP=LIST       the calls counted, comma-separated: write (write and
 *                    writev), pwrite, fsync (fsync and fdatasync), read
 *                    (read and pread); "write" by default
 *   FI_NTH=N         the N-th counted call (1-based, over every matching
 *                    descriptor and thread) is hit; 1 by default
 *   FI_EVERY=1       ... and every counted call after it too
 *   FI_AFTER=BYTES   instead of FI_NTH: the counted calls may move BYTES
 *                    bytes in all; the call that crosses the mark moves
 *                    only what is left (a short count, as a filling disk
 *                    does) and the calls after it are hit
 *   FI_ERR=WHAT      ENOSPC or EIO (the call fails with that errno, moving
 *                    nothing), SHORT (the call moves at most FI_SHORT
 *                    bytes, default half of what was asked, at least 1;
 *                    a call asking for no more is left alone), KILL (SIGKILL,
 * before the call moves anything)
 *
 * Every hit is told on stderr as "faultinj: OP #N on PATH: WHAT", so that
 * a test can check that the fault it asked for did happen.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum op { OP_WRITE = 1, OP_PWRITE = 2, OP_FSYNC = 4, OP_READ = 8 };
enum what { W_NONE, W_ENOSPC, W_EIO, W_SHORT, W_KILL };

static struct {
	int init; /* 0 not yet, 1 active, -1 off */
	const char *prefix;
	unsigned ops;
	unsigned long long nth, after, shortlen;
	int every, has_after;
	enum what what;
} cfg;

static atomic_ullong calls; /* counted calls so far */
static atomic_ullong moved; /* bytes moved by counted calls (FI_AFTER) */
static atomic_int cfg_lock;

static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*real_writev)(int, const struct iovec *, int);
static int (*real_fsync)(int);
static int (*real_fdatasync)(int);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_pread)(int, void *, size_t, off_t);

static void say(const char *s)
{
	size_t n = strlen(s);

	while (n) {
		ssize_t w = real_write(2, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

static void setup(void)
{
	const char *v;

	if (cfg.init)
		return;
	/* first caller wins; others spin (only at the very first call) */
	if (atomic_exchange(&cfg_lock, 1)) {
		while (!__atomic_load_n(&cfg.init, __ATOMIC_ACQUIRE))
			;
		return;
	}
	real_write = dlsym(RTLD_NEXT, "write");
	real_pwrite = dlsym(RTLD_NEXT, "pwrite");
	real_writev = dlsym(RTLD_NEXT, "writev");
	real_fsync = dlsym(RTLD_NEXT, "fsync");
	real_fdatasync = dlsym(RTLD_NEXT, "fdatasync");
	real_read = dlsym(RTLD_NEXT, "read");
	real_pread = dlsym(RTLD_NEXT, "pread");

	cfg.prefix = getenv("FI_PATH");
	cfg.ops = OP_WRITE;
	if ((v = getenv("FI_OP"))) {
		cfg.ops = 0;
		cfg.ops |= strstr(v, "pwrite") ? OP_PWRITE : 0;
		cfg.ops |= strstr(v, "fsync") ? OP_FSYNC : 0;
		cfg.ops |= strstr(v, "read") ? OP_READ : 0;
		/* "write" on its own, not as the tail of "pwrite" */
		for (const char *p = v; (p = strstr(p, "write")); p++)
			if (p == v || p[-1] == ',')
				cfg.ops |= OP_WRITE;
	}
	cfg.nth = (v = getenv("FI_NTH")) ? strtoull(v, NULL, 0) : 1;
	cfg.every = (v = getenv("FI_EVERY")) && *v == '1';
	if ((v = getenv("FI_AFTER"))) {
		cfg.has_after = 1;
		cfg.after = strtoull(v, NULL, 0);
	}
	cfg.shortlen = (v = getenv("FI_SHORT")) ? strtoull(v, NULL, 0) : 0;
	v = getenv("FI_ERR");
	cfg.what = !v			  ? W_NONE
		   : !strcmp(v, "ENOSPC") ? W_ENOSPC
		   : !strcmp(v, "EIO")	  ? W_EIO
		   : !strcmp(v, "SHORT")  ? W_SHORT
		   : !strcmp(v, "KILL")	  ? W_KILL
					  : W_NONE;
	if (v && cfg.what == W_NONE)
		say("faultinj: unknown FI_ERR, nothing injected\n");
	__atomic_store_n(&cfg.init,
			 cfg.prefix && *cfg.prefix && cfg.what != W_NONE ? 1
									 : -1,
			 __ATOMIC_RELEASE);
}

/* Whether fd is a regular file under the prefix; its path in path. */
static int watched(int fd, char *path, size_t size)
{
	char link[64];
	struct stat st;
	ssize_t n;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, size - 1);
	if (n < 0)
		return 0;
	path[n] = '\0';
	return !strncmp(path, cfg.prefix, strlen(cfg.prefix));
}

static const char *what_name(void)
{
	static const char *const names[] = {"", "ENOSPC", "EIO", "SHORT",
					    "KILL"};
	return names[cfg.what];
}

static void tell(const char *opname, unsigned long long n, const char *path,
		 const char *what, size_t len)
{
	char msg[4200];

	if (len != (size_t)-1)
		snprintf(msg, sizeof(msg),
			 "faultinj: %s #%llu on %s: %s (%zu bytes)\n", opname,
			 n, path, what, len);
	else
		snprintf(msg, sizeof(msg), "faultinj: %s #%llu on %s: %s\n",
			 opname, n, path, what);
	say(msg);
}

/*
 * Decides the fate of one call on fd moving len bytes (0 for fsync).
 * Returns -1 with errno set (fail), or the bytes the call may move (len:
 * untouched); never returns for KILL.
 */
static ssize_t decide(enum op op, const char *opname, int fd, size_t len)
{
	char path[4096];
	unsigned long long n;
	size_t allow = len;
	int hit;

	setup();
	if (cfg.init != 1 || !(cfg.ops & op) ||
	    !watched(fd, path, sizeof(path)))
		return (ssize_t)len;
	n = atomic_fetch_add(&calls, 1) + 1;
	if (cfg.has_after) {
		unsigned long long before =
			atomic_fetch_add(&moved, (unsigned long long)len);

		if (before + len <= cfg.after)
			return (ssize_t)len;
		if (before < cfg.after) {
			/* crosses the mark: what is left, then stop */
			allow = (size_t)(cfg.after - before);
			if (cfg.what == W_KILL && allow) {
				tell(opname, n, path, "short, KILL next",
				     allow);
				return (ssize_t)allow;
			}
			if (allow) {
				tell(opname, n, path, "short", allow);
				return (ssize_t)allow;
			}
		}
		hit = 1;
	} else {
		hit = n == cfg.nth || (cfg.every && n > cfg.nth);
	}
	if (!hit)
		return (ssize_t)len;
	switch (cfg.what) {
	case W_ENOSPC:
	case W_EIO:
		tell(opname, n, path, what_name(), (size_t)-1);
		errno = cfg.what == W_ENOSPC ? ENOSPC : EIO;
		return -1;
	case W_SHORT:
		if (op == OP_FSYNC)
			return 0;
		allow = cfg.shortlen ? (size_t)cfg.shortlen : len / 2;
		if (allow < 1)
			allow = 1;
		if (allow >= len)
			return (ssize_t)len; /* nothing to cut */
		tell(opname, n, path, "SHORT", allow);
		return (ssize_t)allow;
	case W_KILL:
		tell(opname, n, path, "KILL", (size_t)-1);
		raise(SIGKILL);
		for (;;)
			pause();
	default:
		return (ssize_t)len;
	}
}

ssize_t write(int fd, const void *buf, size_t count)
{
	ssize_t allow = decide(OP_WRITE, "write", fd, count);

	return allow < 0 ? -1 : real_write(fd, buf, (size_t)allow);
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t off)
{
	ssize_t allow = decide(OP_PWRITE, "pwrite", fd, count);

	return allow < 0 ? -1 : real_pwrite(fd, buf, (size_t)allow, off);
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off_t off)
	__attribute__((alias("pwrite")));

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	size_t len = 0, left;
	ssize_t allow;
	int i;

	for (i = 0; i < cnt; i++)
		len += iov[i].iov_len;
	allow = decide(OP_WRITE, "writev", fd, len);
	if (allow < 0)
		return -1;
	if ((size_t)allow == len)
		return real_writev(fd, iov, cnt);
	/* short: the leading iovecs, the last one cut */
	left = (size_t)allow;
	for (i = 0; i < cnt && left; i++)
		if (iov[i].iov_len >= left)
			break;
		else
			left -= iov[i].iov_len;
	{
		struct iovec v[i + 1];

		memcpy(v, iov, sizeof(*v) * (size_t)(i + 1));
		if (i < cnt)
			v[i].iov_len = left;
		return real_writev(fd, v, i < cnt ? i + 1 : cnt);
	}
}

int fsync(int fd)
{
	if (decide(OP_FSYNC, "fsync", fd, 0) < 0)
		return -1;
	return real_fsync(fd);
}

int fdatasync(int fd)
{
	if (decide(OP_FSYNC, "fdatasync", fd, 0) < 0)
		return -1;
	return real_fdatasync(fd);
}

ssize_t read(int fd, void *buf, size_t count)
{
	ssize_t allow = decide(OP_READ, "read", fd, count);

	return allow < 0 ? -1 : real_read(fd, buf, (size_t)allow);
}

ssize_t pread(int fd, void *buf, size_t count, off_t off)
{
	ssize_t allow = decide(OP_READ, "pread", fd, count);

	return allow < 0 ? -1 : real_pread(fd, buf, (size_t)allow, off);
}

ssize_t pread64(int fd, void *buf, size_t count, off_t off)
	__attribute__((alias("pread")));
