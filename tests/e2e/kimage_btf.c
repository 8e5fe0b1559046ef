// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * kimage_btf IMAGE OUT: the vmlinux BTF of a kernel image (a bzImage
 * vmlinuz, a raw arm64 Image, a vmlinux ELF...) found by formats/kimage,
 * written to OUT as raw BTF: the base `btfar verify --base` needs when the
 * package carries no vmlinux ELF.
 *
 * Prints one line on stdout, for the tests to check:
 *   source='Image (scan)' compression='' arch=aarch64 release=... \
 *   btf_bytes=N btf_offset=N scan_valid=N types=N
 * (types: btf__type_cnt() - 1 of the BTF, as libbpf reads it.)
 *
 * Exit 0 on success, 1 on failure (the reason on stderr).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "formats/kimage.h"

int main(int argc, char **argv)
{
	struct kimage k;
	struct diag d = {{0}};
	struct stat st;
	struct btf *btf;
	void *data;
	FILE *f;
	int fd, err;

	if (argc != 3) {
		fprintf(stderr, "usage: kimage_btf IMAGE OUT\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size == 0) {
		fprintf(stderr, "kimage_btf: %s: %s\n", argv[1],
			fd < 0 || st.st_size != 0 ? strerror(errno) : "empty");
		return 1;
	}
	data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (data == MAP_FAILED) {
		fprintf(stderr, "kimage_btf: mmap %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	memset(&k, 0, sizeof(k));
	err = kimage_find_btf(data, (size_t)st.st_size, NULL, &k, &d);
	if (err) {
		fprintf(stderr, "kimage_btf: %s: %s (%d)\n", argv[1],
			d.msg[0] ? d.msg : "no BTF", err);
		return 1;
	}
	if (d.msg[0])
		fprintf(stderr, "kimage_btf: note: %s\n", d.msg);

	btf = btf__new(k.btf, (__u32)k.btf_sz);
	if (!btf) {
		fprintf(stderr,
			"kimage_btf: libbpf cannot parse the BTF found (%d)\n",
			-errno);
		return 1;
	}
	f = fopen(argv[2], "wb");
	if (!f || fwrite(k.btf, 1, k.btf_sz, f) != k.btf_sz || fclose(f) != 0) {
		fprintf(stderr, "kimage_btf: cannot write %s: %s\n", argv[2],
			strerror(errno));
		return 1;
	}
	printf("source='%s' compression='%s' arch=%s release=%s btf_bytes=%zu "
	       "btf_offset=%llu scan_valid=%u types=%u\n",
	       kimage_source_str(k.source), k.compression, k.arch, k.release,
	       k.btf_sz, (unsigned long long)k.btf_offset, k.scan_valid,
	       btf__type_cnt(btf) - 1);
	btf__free(btf);
	kimage_release(&k);
	munmap(data, (size_t)st.st_size);
	close(fd);
	return 0;
}
