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
	while (s->slot_cnt < expect_bytes / 8)
		if (grow_slots(s))
			return -ENOMEM;
	return grow_slots(s);
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

int strset__init_seeded(struct strset *s, const char *strs, size_t len,
			size_t expect_bytes)
{
	size_t off = 1;
	int err;

	if (!len || strs[0] || strs[len - 1] || len > UINT32_MAX - 2)
		return -EINVAL;
	err = strset__init(s, len + expect_bytes);
	if (err)
		return err;
	memcpy(s->data, strs, len);
	s->len = len;
	while (off < len) {
		size_t n = strlen(strs + off);
		uint32_t h;
		bool found;
		size_t j;

		if (n) {
			h = strset__hash(strs + off, n);
			j = find_slot(s, strs + off, n, h, &found);
			if (!found) {
				s->slots[j] =
					(uint64_t)h << 32 | (uint64_t)(off + 1);
				s->used++;
				if (s->used * 2 > s->slot_cnt &&
				    grow_slots(s)) {
					strset__release(s);
					return -ENOMEM;
				}
			}
		}
		off += n + 1;
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
