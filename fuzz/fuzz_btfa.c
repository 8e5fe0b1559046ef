/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_btfa: the .btfa reader. btfa_reader__open takes a path: the input
 * goes to a memfd (made once, rewritten per input) opened as
 * /proc/self/fd/N. Then every entry is read (frames, dictionaries, delta
 * entries with their reference), skipping entries that claim more than the
 * fuzzing cap, which the reader would allocate (its own cap is 4 GiB).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz/fuzz.h"
#include "formats/btfa.h"

static int memfd = -1;
static char memfd_path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct btfa_reader r;
	struct diag d;
	size_t done = 0;
	uint32_t i;

	if (memfd < 0) {
		memfd = memfd_create("fuzz_btfa", MFD_CLOEXEC);
		if (memfd < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d",
			 memfd);
	}
	if (ftruncate(memfd, 0) < 0)
		abort();
	while (done < size) {
		ssize_t n = pwrite(memfd, data + done, size - done, done);

		if (n <= 0)
			abort();
		done += n;
	}
	if (btfa_reader__open(&r, memfd_path, &d))
		return 0;
	for (i = 0; i < r.entry_cnt; i++) {
		const struct btfa_entry *e = &r.entries[i];
		void *blob;
		size_t n;

		if (e->blob_size > FUZZ_MAX_OUT ||
		    (e->encoding == BTFA_ENC_DELTA &&
		     r.entries[e->ref_idx].blob_size > FUZZ_MAX_OUT))
			continue;
		if (!btfa_reader__read(&r, i, &blob, &n, &d))
			free(blob);
	}
	btfa_reader__close(&r);
	return 0;
}
