/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_pkg: pkg_walk on a package (.deb, .rpm, tar.*, cpio...). pkg_walk
 * takes a path: the input goes to a memfd (made once, truncated and rewritten
 * per input) walked as /proc/self/fd/N, so nothing touches the disk. Every
 * entry is wanted and its bytes freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz/fuzz.h"
#include "formats/pkg.h"

static bool want_all(const struct pkg_entry *e, void *ctx)
{
	(void)e->path;
	return true;
}

static int data_free(const struct pkg_entry *e, void *data, size_t size,
		     void *ctx)
{
	free(data);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct pkg_caps caps = {16ULL << 20, 64ULL << 20, 1000};
	const struct pkg_walk_opts o = {
		.caps = &caps,
		.want = want_all,
		.data = data_free,
	};
	struct pkg_stats st;
	struct diag d;
	int err;

	err = pkg_walk(fuzz_memfd("fuzz_pkg", data, size), &o, &st, &d);
	if (getenv("FUZZ_PKG_DEBUG"))
		fprintf(stderr, "pkg_walk: %d, %s, %u entries: %s\n", err,
			st.format, st.entries, err ? d.msg : "");
	return 0;
}
