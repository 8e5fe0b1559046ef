// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * embed OBJ.o: loads the CO-RE BPF object OBJ.o into the running kernel
 * with the BTF of a min-core archive linked into this program
 * (`btfar min-core -o min.btfa --object OBJ.o INPUT...`, then
 * `ld -r -b binary -o min.o min.btfa`: the Makefile does both steps but
 * the first). The kernel needs no /sys/kernel/btf/vmlinux: the archive's
 * entry for the running kernel (release, arch, build-id) is handed to
 * libbpf as btf_custom_path through a memfd.
 *
 * Exit 0 loaded (the verifier accepted every program), 1 failed, 2 no
 * entry for this kernel in the archive.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>
#include <btfar/btfar.h>

/* ld -r -b binary names the bytes of min.btfa so */
extern const unsigned char _binary_min_btfa_start[];
extern const unsigned char _binary_min_btfa_end[];

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	const struct btfar_archive_entry *e;
	struct bpf_object *obj = NULL;
	struct btfar_archive *a;
	char err[1024], path[64];
	int idx, fd = -1, ret = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OBJ.o\n", argv[0]);
		return 1;
	}
	a = btfar_archive__open_mem(
		_binary_min_btfa_start,
		(size_t)(_binary_min_btfa_end - _binary_min_btfa_start), err,
		sizeof(err));
	if (!a) {
		fprintf(stderr, "embedded archive: %s\n", err);
		return 1;
	}
	idx = btfar_archive__find_running(a, NULL);
	if (idx < 0) {
		fprintf(stderr, "embedded archive: %s\n",
			btfar_archive__errstr(a));
		btfar_archive__free(a);
		return 2;
	}
	e = btfar_archive__entry(a, (size_t)idx);
	fd = btfar_archive__memfd(a, (size_t)idx, path, sizeof(path));
	if (fd < 0) {
		fprintf(stderr, "embedded archive: %s\n",
			btfar_archive__errstr(a));
		goto out;
	}
	printf("entry %s %s build-id %s: %llu bytes of BTF at %s\n", e->release,
	       e->arch, e->build_id[0] ? e->build_id : "-",
	       (unsigned long long)e->blob_size, path);
	oo.btf_custom_path = path;
	obj = bpf_object__open_file(argv[1], &oo);
	if (!obj) {
		fprintf(stderr, "%s: open: %s\n", argv[1], strerror(errno));
		goto out;
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "%s: load: %s\n", argv[1], strerror(errno));
		goto out;
	}
	printf("%s: loaded: the verifier accepted it\n", argv[1]);
	ret = 0;
out:
	bpf_object__close(obj);
	if (fd >= 0)
		close(fd);
	btfar_archive__free(a);
	return ret;
}
