// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * e2e_libbpf MERGED: the merged blob as libbpf (Debian 12: 1.1.2) consumes
 * it: btf__parse(MERGED, NULL) reads it as self-contained BTF (what libbpf
 * does with btf_custom_path when it loads an object); it holds a
 * module-only struct, i40e_pf, whose first member is pdev, a pointer to the
 * vmlinux struct pci_dev. (Opening an object with btf_custom_path is no
 * check: libbpf 1.1 reads that file only at load, which needs a kernel; the
 * CO-RE relocation against the blob is what bpftool gen min_core_btf
 * exercises, in its own test.)
 *
 * Prints what it checked; exit 0 on success, 1 on failure.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("e2e_libbpf: FAIL: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 1;
}

static int print_warn(enum libbpf_print_level level, const char *fmt,
		      va_list ap)
{
	if (level > LIBBPF_WARN)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int check_btf(const char *path)
{
	const struct btf_member *m;
	const struct btf_type *t, *ptr, *target;
	struct btf *btf;
	int id, err = 1;
	__u32 cnt;

	btf = btf__parse(path, NULL);
	if (!btf)
		return fail("btf__parse(%s): %s", path, strerror(errno));
	cnt = btf__type_cnt(btf);
	if (btf__base_btf(btf)) {
		fail("%s: parsed as split BTF", path);
		goto out;
	}
	id = btf__find_by_name_kind(btf, "i40e_pf", BTF_KIND_STRUCT);
	if (id < 0) {
		fail("%s: no STRUCT i40e_pf (%d)", path, id);
		goto out;
	}
	t = btf__type_by_id(btf, id);
	if (btf_vlen(t) == 0) {
		fail("%s: STRUCT i40e_pf [%d] has no members", path, id);
		goto out;
	}
	m = btf_members(t);
	if (strcmp(btf__name_by_offset(btf, m->name_off), "pdev")) {
		fail("%s: STRUCT i40e_pf [%d]: first member is '%s', want "
		     "'pdev'",
		     path, id, btf__name_by_offset(btf, m->name_off));
		goto out;
	}
	ptr = btf__type_by_id(btf, m->type);
	target =
		ptr && btf_is_ptr(ptr) ? btf__type_by_id(btf, ptr->type) : NULL;
	if (!target || !btf_is_struct(target) ||
	    strcmp(btf__name_by_offset(btf, target->name_off), "pci_dev")) {
		fail("%s: STRUCT i40e_pf [%d]: pdev is not a pointer to "
		     "struct pci_dev",
		     path, id);
		goto out;
	}
	printf("btf__parse: %u types; STRUCT i40e_pf [%d] size %u, %u "
	       "members, pdev -> STRUCT pci_dev [%u]\n",
	       cnt, id, t->size, btf_vlen(t), ptr->type);
	err = 0;
out:
	btf__free(btf);
	return err;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: e2e_libbpf MERGED\n");
		return 2;
	}
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	libbpf_set_print(print_warn);
	if (check_btf(argv[1]))
		return 1;
	printf("libbpf %s: ok\n", libbpf_version_string());
	return 0;
}
