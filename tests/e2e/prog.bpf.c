// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A BPF program that reads a module-only struct (i40e_pf, from the i40e
 * module) and a vmlinux struct it points to (pci_dev) through CO-RE. Only
 * the fields read are declared: libbpf and bpftool match them by name
 * against the target BTF. Built by e2e.sh with clang -target bpf -g -O2,
 * without vmlinux.h or kernel headers, so the basic types come first.
 */
typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define __core __attribute__((preserve_access_index))

struct pt_regs {
	unsigned long di; /* first argument on x86_64 */
} __core;

struct pci_dev {
	unsigned int devfn;
	unsigned short vendor;
	unsigned short device;
} __core;

struct i40e_pf {
	struct pci_dev *pdev;
	__u16 num_lan_qps;
	__u16 num_lan_msix;
} __core;

__u64 seen_vendor, seen_device, seen_qps, seen_msix;

/* static void i40e_do_reset(struct i40e_pf *pf, u32 flags, bool lock) */
SEC("kprobe/i40e_do_reset")
int read_i40e_pf(struct pt_regs *ctx)
{
	struct i40e_pf *pf = (struct i40e_pf *)ctx->di;

	seen_vendor = BPF_CORE_READ(pf, pdev, vendor);
	seen_device = BPF_CORE_READ(pf, pdev, device);
	seen_qps = BPF_CORE_READ(pf, num_lan_qps);
	seen_msix = BPF_CORE_READ(pf, num_lan_msix);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
