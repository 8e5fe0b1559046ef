/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared by the fuzz targets: each defines LLVMFuzzerTestOneInput, which
 * libFuzzer drives (-DBTFAR_FUZZ=ON) or replay.c runs over a corpus dir.
 * Errors from the parsers are normal results; only crashes, sanitizer
 * reports, leaks and hangs are findings.
 */
#ifndef BTFAR_FUZZ_FUZZ_H
#define BTFAR_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * For parsers that take a path: the input written to a memfd (made once per
 * process, truncated and rewritten per input), returned as the path
 * /proc/self/fd/N. Nothing touches the disk.
 */
static inline const char *fuzz_memfd(const char *name, const uint8_t *data,
				     size_t size)
{
	static int fd = -1;
	static char path[64];
	size_t done = 0;

	if (fd < 0) {
		fd = memfd_create(name, MFD_CLOEXEC);
		if (fd < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0)
		abort();
	while (done < size) {
		ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);

		if (n <= 0)
			abort();
		done += (size_t)n;
	}
	return path;
}

/* Caps on every decompression: keep one input's memory small. */
#define FUZZ_MAX_OUT   (64ULL << 20)
#define FUZZ_MAX_RATIO 1000ULL

#endif /* BTFAR_FUZZ_FUZZ_H */
