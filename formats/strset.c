// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "strset.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* A fast hash over 8-byte words (strings here are short identifiers). */
uint32_t strset__hash(const char *s, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len, w;

	while (len >= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
		s += 8;
		len -= 8;
	}
	if (len) {
		w = 0;
		memcpy(&w, s, len);
		h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	}
	h ^= h >> 29;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 32;
	return (uint32_t)h;
}

static int grow_slots(struct strset *s)
{
	size_t n = s->slot_cnt ? s->slot_cnt * 2 : 1024, i;
	uint64_t *slots = calloc(n, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < s->slot_cnt; i++) {
		uint64_t v = s->slots[i];
		size_t j;

		if (!v)
			continue;
		for (j = (v >> 32) & (n - 1); slots[j]; j = (j + 1) & (n - 1))
			;
		slots[j] = v;
	}
	free(s->slots);
	s->slots = slots;
	s->slot_cnt = n;
	return 0;
}

int strset__init(struct strset *s, size_t expect_bytes)
{
	memset(s, 0, sizeof(*s));
	if (mem_ensure((void **)&s->data, &s->cap, 1, expect_bytes + 1))
		return -ENOMEM;
	s->data[0] = '\0';
	s->len = 1;
	/* the table at its expected size at once: growing to it by doubling
	 * allocated and scanned every smaller table on the way (on Debian's
	 * 6.12 merge, 60 ms of the tail for a 32 MB table twice too large) */
	s->slot_cnt = 1024;
	while (s->slot_cnt < expect_bytes / 8)
		s->slot_cnt <<= 1;
	s->slots = calloc(s->slot_cnt, sizeof(*s->slots));
	if (!s->slots) {
		s->slot_cnt = 0;
		return -ENOMEM;
	}
	return 0;
}

/* Finds str or the empty slot where it belongs; returns the slot index. */
static size_t find_slot(const struct strset *s, const char *str, size_t len,
			uint32_t h, bool *found)
{
	size_t j;

	for (j = h & (s->slot_cnt - 1); s->slots[j];
	     j = (j + 1) & (s->slot_cnt - 1)) {
		uint64_t v = s->slots[j];
		size_t off;

		if ((uint32_t)(v >> 32) != h)
			continue;
		off = (uint32_t)v - 1;
		if (!memcmp(s->data + off, str, len) && !s->data[off + len]) {
			*found = true;
			return j;
		}
	}
	*found = false;
	return j;
}

/* Adds a base string at its own offset unless the set holds it. */
static int seed_one(struct strset *s, uint32_t off, uint32_t n, uint32_t h)
{
	bool found;
	size_t j = find_slot(s, s->data + off, n, h, &found);

	if (found)
		return 0;
	s->slots[j] = (uint64_t)h << 32 | (uint64_t)(off + 1);
	s->used++;
	return s->used * 2 > s->slot_cnt ? grow_slots(s) : 0;
}

/* How many strings ahead init_seeded prefetches the slot (its probes were
 * cache misses, as renumber_merge's). */
#define SEED_AHEAD 8

int strset__init_seeded(struct strset *s, const char *strs, size_t len,
			size_t expect_bytes)
{
	struct seed {
		uint32_t off, n, h;
	} q[SEED_AHEAD];
	size_t off = 1, qn = 0, qi = 0;
	int err;

	if (!len || strs[0] || strs[len - 1] || len > UINT32_MAX - 2)
		return -EINVAL;
	err = strset__init(s, len + expect_bytes);
	if (err)
		return err;
	memcpy(s->data, strs, len);
	s->len = len;
	/* strings hashed SEED_AHEAD ahead of their insertion, in order */
	while (off < len || qn) {
		if (off < len) {
			uint32_t n = (uint32_t)strlen(strs + off);

			if (n) {
				uint32_t h = strset__hash(strs + off, n);

				strset__prefetch(s, h);
				q[(qi + qn) % SEED_AHEAD] =
					(struct seed){(uint32_t)off, n, h};
				qn++;
			}
			off += n + 1;
			if (qn < SEED_AHEAD && off < len)
				continue;
		}
		if (!qn)
			continue;
		err = seed_one(s, q[qi].off, q[qi].n, q[qi].h);
		if (err) {
			strset__release(s);
			return err;
		}
		qi = (qi + 1) % SEED_AHEAD;
		qn--;
	}
	return 0;
}

void strset__release(struct strset *s)
{
	free(s->data);
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

int64_t strset__find(const struct strset *s, const char *str, size_t len)
{
	bool found;
	size_t j;

	if (!len)
		return 0;
	j = find_slot(s, str, len, strset__hash(str, len), &found);
	return found ? (int64_t)((uint32_t)s->slots[j] - 1) : -ENOENT;
}

void strset__prefetch(const struct strset *s, uint32_t h)
{
	if (s->slot_cnt)
		__builtin_prefetch(&s->slots[h & (s->slot_cnt - 1)]);
}

int64_t strset__add(struct strset *s, const char *str, size_t len)
{
	return len ? strset__add_hashed(s, str, len, strset__hash(str, len))
		   : 0;
}

int64_t strset__add_hashed(struct strset *s, const char *str, size_t len,
			   uint32_t h)
{
	size_t j, off;
	bool found;

	if (!len)
		return 0;
	j = find_slot(s, str, len, h, &found);
	if (found)
		return (int64_t)((uint32_t)s->slots[j] - 1);
	off = s->len;
	if (off + len + 1 > UINT32_MAX - 1)
		return -E2BIG;
	if (mem_ensure((void **)&s->data, &s->cap, 1, off + len + 1))
		return -ENOMEM;
	memcpy(s->data + off, str, len);
	s->data[off + len] = '\0';
	s->len += len + 1;
	s->slots[j] = (uint64_t)h << 32 | (uint64_t)(off + 1);
	s->used++;
	if (s->used * 2 > s->slot_cnt && grow_slots(s))
		return -ENOMEM;
	return (int64_t)off;
}
