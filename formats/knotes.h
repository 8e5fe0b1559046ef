/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * knotes: the ELF notes a running kernel shows in /sys/kernel/notes (its
 * vmlinux's .notes section, no ELF header around it): records of three
 * 32-bit words in the kernel's byte order (namesz, descsz, type), then the
 * name and the descriptor, each padded to 4 bytes. x86_64 kernels hold
 * GNU (the build-id), Linux and Xen notes there.
 */
#ifndef BTFAR_FORMATS_KNOTES_H
#define BTFAR_FORMATS_KNOTES_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define KNOTES_BUILD_ID_MAX 64 /* bytes; a SHA-1 build-id is 20 */

/*
 * The descriptor of the one NT_GNU_BUILD_ID note of owner "GNU": the
 * build-id of the vmlinux the kernel was booted from. Every record is
 * checked, also those after the build-id. Returns 0 with id and *id_sz
 * set; -ENOENT when no such note is there; -EINVAL when a record runs past
 * the end, bytes are left over after the last one, the build-id is empty or
 * longer than KNOTES_BUILD_ID_MAX, or two build-id notes are there (the
 * message names the note and its byte offset). On error *id_sz is 0.
 */
int knotes_build_id(const void *notes, size_t size,
		    uint8_t id[KNOTES_BUILD_ID_MAX], size_t *id_sz,
		    struct diag *d);

#endif /* BTFAR_FORMATS_KNOTES_H */
