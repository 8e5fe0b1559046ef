/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Helpers shared by the bench programs (extract_btf, bench_floor,
 * peer_merge): listing input files, reading a file whole, decompressing
 * .ko.xz in memory, clocks. They stand alone (no libbtfar) so that
 * fetch-kernel.sh can build extract_btf with one cc command line.
 */
#ifndef BTFAR_BENCH_UTIL_H
#define BTFAR_BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable byte buffer, reused across files by one worker. */
struct bbuf {
	unsigned char *data;
	size_t len; /* bytes in use */
	size_t cap; /* bytes allocated */
};

void bbuf_free(struct bbuf *b);
int bbuf_reserve(struct bbuf *b, size_t need);

/*
 * Walk @dir (or take @dir itself when it is a regular file) and append to
 * *@paths every regular file whose name ends in one of the NULL-terminated
 * @suffixes. The list is sorted with strcmp. Caller frees with
 * path_list_free(). Returns 0 or a negative errno.
 */
int path_list_add(const char *dir, const char *const *suffixes, char ***paths,
		  size_t *cnt);
void path_list_sort(char **paths, size_t cnt);
void path_list_free(char **paths, size_t cnt);

/* Read all of @path into @b (b->len set). Returns 0 or a negative errno. */
int read_whole(const char *path, struct bbuf *b);

/* Write @len bytes of @data to @path through @path.tmp renamed over it
 * (no sync). Returns 0 or a negative errno; @path.tmp is removed on
 * failure. */
int write_whole(const char *path, const void *data, size_t len);

/*
 * Decompress the .xz stream @in into @out (out->len set), growing @out as
 * needed up to @max_out bytes; @flags: liblzma decoder flags added to
 * LZMA_CONCATENATED (LZMA_IGNORE_CHECK: the caller checks). Returns 0,
 * -EBADMSG on corrupt input, -EFBIG past @max_out, -ENOMEM.
 */
int xz_decompress(const void *in, size_t in_len, uint32_t flags,
		  struct bbuf *out, size_t max_out);

bool has_suffix(const char *s, const char *suffix);

/* Monotonic wall clock and process CPU time (user + system), seconds. */
double now_wall(void);
double now_cpu(void);

#endif
