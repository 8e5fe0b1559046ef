/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pahole: runs pahole to encode BTF from DWARF, for kernels whose packages
 * carry no usable .BTF (btfar build --from-dwarf, or no .BTF found); btfar
 * itself parses no DWARF. pahole 1.24 (Debian 12's dwarves) ships no
 * library, so it runs as a program (builder/spawn): one process per file,
 * --btf_encode_detached so that the debug file is never written to; and
 * the private work directory its outputs go to.
 */
#ifndef BTFAR_BUILDER_PAHOLE_H
#define BTFAR_BUILDER_PAHOLE_H

#include <stddef.h>

#include "formats/diag.h"

/* pahole's own flags, those the kernel's scripts/pahole-flags.sh gives
 * pahole 1.24: floats encoded, Rust compile units left out. */
#define PAHOLE_FLAGS "--btf_gen_floats --lang_exclude=rust"

/* "pahole --version" ("v1.24") into ver. -ENOENT (not found, d says to
 * install dwarves) or another -errno. */
int pahole_version(const char *pahole, unsigned int timeout_s, char *ver,
		   size_t ver_sz, struct diag *d);

/*
 * Encodes the DWARF of the ELF file in as BTF into the raw BTF file out:
 * split BTF on base_btf (a raw BTF file) when base_btf is set, else
 * standalone (vmlinux). threads > 1 lets pahole use that many threads.
 * Returns 0, -ENOENT (pahole not found), -ETIMEDOUT (killed), or -EINVAL
 * when pahole failed or wrote nothing (d holds its exit status and the end
 * of its stderr).
 */
int pahole_encode(const char *pahole, const char *in, const char *base_btf,
		  const char *out, int threads, unsigned int timeout_s,
		  struct diag *d);

/* A private directory (mode 0700) under $TMPDIR (or /tmp) into path. */
int pahole_workdir_new(char *path, size_t path_sz, struct diag *d);
/* Removes the directory and everything in it (symbolic links not
 * followed); path may be "". */
void pahole_workdir_remove(const char *path);

#endif /* BTFAR_BUILDER_PAHOLE_H */
