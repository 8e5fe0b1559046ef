/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * strset: a string section under construction; every string stored once.
 * Offsets returned stay valid as the set grows; pointers into data do not.
 */
#ifndef BTFAR_FORMATS_STRSET_H
#define BTFAR_FORMATS_STRSET_H

#include <stddef.h>
#include <stdint.h>

struct strset {
	char *data; /* NUL-separated strings; data[0] == '\0' */
	size_t len; /* bytes used in data */
	size_t cap; /* bytes allocated for data */
	uint64_t *
		slots; /* open addressing: hash << 32 | (offset + 1); 0 empty */
	size_t slot_cnt; /* power of two */
	size_t used;	 /* strings stored (slots in use) */
};

/* Starts a set holding the empty string at offset 0; expect_bytes sizes it. */
int strset__init(struct strset *s, size_t expect_bytes);
/*
 * Starts a set whose data begins with a copy of an existing string section
 * (len bytes, NUL-terminated strings, starting with NUL): its strings keep
 * their offsets, and strings added later that it holds already get them.
 */
int strset__init_seeded(struct strset *s, const char *strs, size_t len,
			size_t expect_bytes);
void strset__release(struct strset *s);
/* Adds str (len bytes, no NUL among them); returns its offset or -ENOMEM,
 * or -E2BIG once the set passes 4 GiB. */
int64_t strset__add(struct strset *s, const char *str, size_t len);
/* strset__add with the string's hash (strset__hash) computed beforehand;
 * strset__prefetch(s, h) asks the cache for the slot it will probe first,
 * so that a caller adding many strings overlaps their memory latencies. */
uint32_t strset__hash(const char *str, size_t len);
void strset__prefetch(const struct strset *s, uint32_t h);
int64_t strset__add_hashed(struct strset *s, const char *str, size_t len,
			   uint32_t h);
/* The offset of str if the set holds it, else -ENOENT; s is not changed,
 * so several threads may look up one set at once. */
int64_t strset__find(const struct strset *s, const char *str, size_t len);

#endif /* BTFAR_FORMATS_STRSET_H */
