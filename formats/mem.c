// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "mem.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __linux__
#include <sys/mman.h>
#endif

/* Below this, huge pages are not worth an aligned allocation. */
#define BIG_MIN (4u << 20)
#define HUGE_SZ ((size_t)2 << 20)

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

void *mem_alloc_big(size_t size)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
	void *p;

	if (size < BIG_MIN || size > SIZE_MAX - HUGE_SZ)
		return malloc(size);
	/* 2 MiB-aligned so that every huge page of it is whole; the advice
	 * is only advice: where it fails the buffer is an ordinary one */
	size = (size + HUGE_SZ - 1) & ~(HUGE_SZ - 1);
	if (posix_memalign(&p, HUGE_SZ, size))
		return NULL;
	madvise(p, size, MADV_HUGEPAGE);
	return p;
#else
	return malloc(size);
#endif
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
