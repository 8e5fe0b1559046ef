// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A CO-RE program that reads the current task through vmlinux types only:
 * task_struct's pid, tgid, real_parent->tgid, mm and comm, with
 * BPF_CORE_READ, and the byte offsets libbpf gave pid, tgid, real_parent,
 * mm and comm (bpf_core_field_offset: relocated like the reads). Only the
 * fields used are declared; libbpf finds them by name in the target BTF
 * (btf_custom_path). A raw_tp program, run by BPF_PROG_TEST_RUN in the
 * calling thread (core_running.sh, e2e_core_load.c); it writes what it read
 * into the one element of the map `out` and returns 1. Built with clang
 * -target bpf -O2 -g and the multiarch include folder (for <asm/types.h>).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "core_running.h"

#define __core __attribute__((preserve_access_index))

struct mm_struct;

struct task_struct {
	int pid;
	int tgid;
	struct task_struct *real_parent;
	struct mm_struct *mm;
	char comm[16];
} __core;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct core_out);
} out SEC(".maps");

SEC("raw_tp")
int read_task(void *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	struct core_out *o;
	__u32 key = 0;

	o = bpf_map_lookup_elem(&out, &key);
	if (!o)
		return 0;
	o->pid = BPF_CORE_READ(t, pid);
	o->tgid = BPF_CORE_READ(t, tgid);
	o->parent_tgid = BPF_CORE_READ(t, real_parent, tgid);
	o->mm = (__u64)BPF_CORE_READ(t, mm);
	BPF_CORE_READ_STR_INTO(&o->comm, t, comm);
	o->off_pid = bpf_core_field_offset(t->pid);
	o->off_tgid = bpf_core_field_offset(t->tgid);
	o->off_real_parent = bpf_core_field_offset(t->real_parent);
	o->off_mm = bpf_core_field_offset(t->mm);
	o->off_comm = bpf_core_field_offset(t->comm);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
