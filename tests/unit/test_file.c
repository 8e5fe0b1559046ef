// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * file_write_atomic: what is read back is what was written, for small
 * files (through the page cache) and large ones (4 MiB and more: O_DIRECT
 * where the file system takes it, the last partial block through the page
 * cache), from aligned and unaligned buffers; no temporary file left.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "formats/file.h"
#include "unit.h"

static int count_entries(const char *dir)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static int t_atomic_write_sizes(const char *inputs)
{
	/* sizes around the O_DIRECT threshold (4 MiB), its 1 MiB chunks and
	 * its 4 KiB blocks; offsets: an aligned and an unaligned source */
	static const size_t sizes[] = {0,
				       1,
				       4095,
				       (4u << 20) - 1,
				       4u << 20,
				       (4u << 20) + 1,
				       (5u << 20) + 4095,
				       (6u << 20) + 123};
	static const size_t offs[] = {0, 16, 1};
	size_t max = (6u << 20) + 4096 + 16, i, j, k;
	char dir[4096], path[4200];
	uint8_t *src = NULL;
	uint32_t x = 7;

	snprintf(dir, sizeof(dir), "%s/file.XXXXXX", inputs);
	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp %s failed", dir);
		return 1;
	}
	if (posix_memalign((void **)&src, 4096, max)) {
		CHECK(0, "out of memory");
		return 1;
	}
	for (k = 0; k < max; k++) {
		x = x * 1103515245u + 12345u;
		src[k] = (uint8_t)(x >> 23);
	}
	snprintf(path, sizeof(path), "%s/out.bin", dir);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (j = 0; j < sizeof(offs) / sizeof(offs[0]); j++) {
			struct diag d = {""};
			void *back = NULL;
			size_t back_sz = 0;
			int err;

			err = file_write_atomic(path, src + offs[j], sizes[i],
						&d);
			CHECK(!err, "size %zu offset %zu: %s", sizes[i],
			      offs[j], d.msg);
			err = file_read_all(path, 0, &back, &back_sz, &d);
			CHECK(!err, "read back: %s", d.msg);
			CHECK(!err && back_sz == sizes[i] &&
				      !memcmp(back, src + offs[j], sizes[i]),
			      "size %zu offset %zu: %zu bytes read back, not "
			      "the ones written",
			      sizes[i], offs[j], back_sz);
			CHECK(count_entries(dir) == 1,
			      "size %zu: %d entries in %s (a temporary file "
			      "left?)",
			      sizes[i], count_entries(dir), dir);
			free(back);
		}
	}
	unlink(path);
	rmdir(dir);
	free(src);
	return 0;
}

static const struct unit_case cases[] = {
	{"atomic_write_sizes", t_atomic_write_sizes},
};

int main(int argc, char **argv)
{
	return unit_main_in_code(argc, argv, cases,
				 sizeof(cases) / sizeof(cases[0]));
}
