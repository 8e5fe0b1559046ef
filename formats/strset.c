// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "strset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* A fast hash over 8-byte words (strings here are short identifiers). */
static uint32_t str_hash(const char *s, size_t len)
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

void strset__release(struct strset *s)
{
	free(s->data);
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

int64_t strset__add(struct strset *s, const char *str, size_t len)
{
	uint32_t h;
	size_t j, off;

	if (!len)
		return 0;
	h = str_hash(str, len);
	for (j = h & (s->slot_cnt - 1); s->slots[j];
	     j = (j + 1) & (s->slot_cnt - 1)) {
		uint64_t v = s->slots[j];

		if ((uint32_t)(v >> 32) != h)
			continue;
		off = (uint32_t)v - 1;
		if (!memcmp(s->data + off, str, len) && !s->data[off + len])
			return (int64_t)off;
	}
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
