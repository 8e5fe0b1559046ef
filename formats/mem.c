// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "mem.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

int mem_ensure(void **data, size_t *cap, size_t elem_sz, size_t need)
{
	size_t new_cap;
	void *p;

	if (need <= *cap)
		return 0;
	new_cap = *cap + *cap / 4;
	if (new_cap < 16)
		new_cap = 16;
	if (new_cap < need)
		new_cap = need;
	if (elem_sz && new_cap > SIZE_MAX / elem_sz)
		return -ENOMEM;
	p = realloc(*data, new_cap * elem_sz);
	if (!p)
		return -ENOMEM;
	memset((char *)p + *cap * elem_sz, 0, (new_cap - *cap) * elem_sz);
	*data = p;
	*cap = new_cap;
	return 0;
}

/*
 * No MADV_HUGEPAGE, on purpose. It used to be asked for here, so that
 * filling a buffer took a fault per 2 MiB instead of per 4 KiB; measured on
 * the machine this project is benchmarked on (a Firecracker VM, 2 vCPUs,
 * THP "madvise", free-page reporting with page_reporting_order=11), the
 * huge pages made a get worse, not better: memory a run frees goes back to
 * the hypervisor within a fraction of a second, so every 2 MiB fault of the
 * next run clears a page the host hands in anew (clear_page_erms under
 * do_huge_pmd_anonymous_page), and a get of a delta entry of the ten 6.1
 * builds took 0.43-1.35 s, mostly system time, in about half the runs and
 * 0.13-0.15 s in the others. With 4 KiB pages the same get takes
 * 0.20-0.31 s every time (median of 11 runs 0.91 s -> 0.24 s wall, system
 * time 640 -> 90 ms; min-core of the ten: 0.18 -> 0.12 s system time,
 * 0.82 -> 0.71 s wall). Predictable beats a best case that bare metal may see,
 * so big buffers are plain malloc() (glibc mmap()s them: fresh zero pages) and
 * the system's THP policy applies as it is. bench/README.md: "Huge pages and
 * free-page reporting".
 */
void *mem_alloc_big(size_t size)
{
	return malloc(size);
}

void mem_populate(void *p, size_t size)
{
#if defined(__linux__)
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
	uintptr_t a = (uintptr_t)p & ~(uintptr_t)4095;

	/* whole pages only: madvise() wants an aligned start, and the ends
	 * are the ordinary faults of whoever writes there */
	if (size < 8192)
		return;
	madvise((void *)a, ((uintptr_t)p + size - a) & ~(uintptr_t)4095,
		MADV_POPULATE_WRITE);
#else
	(void)p;
	(void)size;
#endif
}
