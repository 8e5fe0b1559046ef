/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* mem: the one growth helper for dynamic arrays. */
#ifndef BTFAR_FORMATS_MEM_H
#define BTFAR_FORMATS_MEM_H

#include <stddef.h>

/*
 * Makes *data hold at least need elements of elem_sz bytes, growing *cap by
 * a quarter (at least 16) and zeroing the new tail. Returns 0 or -ENOMEM
 * (also on multiplication overflow); *data is untouched on failure.
 */
int mem_ensure(void **data, size_t *cap, size_t elem_sz, size_t need);

/*
 * malloc() for a buffer of tens of MB written once (a decompressed blob,
 * a decoded delta). Released with free(). The one place that decides how
 * such buffers are backed: plain malloc(), no huge-page advice (mem.c
 * says why, with the figures).
 */
void *mem_alloc_big(size_t size);

/*
 * Faults in [p, p + size) for writing without changing a byte of it
 * (MADV_POPULATE_WRITE, Linux 5.14): a helper thread takes the page
 * faults of a buffer that another thread fills next. Nothing where the
 * kernel lacks it.
 */
void mem_populate(void *p, size_t size);

#endif /* BTFAR_FORMATS_MEM_H */
