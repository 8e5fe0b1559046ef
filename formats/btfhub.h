/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * btfhub: the tree btfhub-archive publishes and tools such as Tracee and
 * Inspektor Gadget download from: DIR/<distro>/<version>/<arch>/
 * <release>.btf.tar.xz, each a reproducible tar (ustar, one member
 * <release>.btf, mode 0444, root 0:0, mtime 0) compressed with xz -9, and
 * DIR/catalog.json, the sha256 of every such file in objects nested by
 * arch, distro, version and release, sorted. The same inputs give the same
 * bytes.
 */
#ifndef BTFAR_FORMATS_BTFHUB_H
#define BTFAR_FORMATS_BTFHUB_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"

/* Where a blob goes in the tree. */
struct btfhub_file {
	const char *distro;
	const char *distro_version;
	const char *arch; /* as a kernel names it: "aarch64" is "arm64" here */
	const char *release;
};

/* The tree's name of arch: "arm64" for "aarch64", else arch. */
const char *btfhub_arch(const char *arch);
/* s cannot be one component of the tree's paths (empty, ".", "..", a
 * '/'). */
bool btfhub_bad_component(const char *s);

/*
 * DIR/<distro>/<version>/<arch>/<release>.btf.tar.xz of the size bytes of
 * blob, directories made as needed, the file written atomically (an old
 * one stays whole until the new one is). Returns 0 or -errno, d naming the
 * path and what failed.
 */
int btfhub_write_file(const char *dir, const struct btfhub_file *f,
		      const void *blob, size_t size, struct diag *d);

/*
 * DIR/catalog.json of every <release>.btf.tar.xz four levels under DIR
 * (other files ignored), written atomically. Returns 0 or -errno, d naming
 * the path and what failed.
 */
int btfhub_write_catalog(const char *dir, struct diag *d);

#endif /* BTFAR_FORMATS_BTFHUB_H */
