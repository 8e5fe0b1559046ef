/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What core_running.bpf.c writes into its map `out`, as e2e_core_load.c
 * reads it: values read from the current task, then the byte offsets
 * libbpf relocated the fields to. Fixed-size fields only (both sides).
 */
#ifndef BTFAR_E2E_CORE_RUNNING_H
#define BTFAR_E2E_CORE_RUNNING_H

struct core_out {
	__s64 pid;	   /* task->pid: the thread's id */
	__s64 tgid;	   /* task->tgid: the process id */
	__s64 parent_tgid; /* task->real_parent->tgid: getppid() */
	__u64 mm;	   /* task->mm: not 0 in a user process */
	char comm[16];	   /* task->comm: the thread's name */
	__u64 off_pid;
	__u64 off_tgid;
	__u64 off_real_parent;
	__u64 off_mm;
	__u64 off_comm;
};

#endif /* BTFAR_E2E_CORE_RUNNING_H */
