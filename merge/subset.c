// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * subset: a closed set of types cut out of a self-contained blob.
 *
 * 1. Mark the ids asked for, then every id above the base they reach
 *    (a worklist over type references).
 * 2. Number the marked ids in id order from base_cnt + 1.
 * 3. Strings: a set seeded with the base part's string section, so base
 *    names keep their offsets; each marked type's names are added.
 * 4. Copy each marked record, rewriting ids (base ids unchanged, marked ids
 *    renumbered) and name offsets; for split output the string section is
 *    the part after the base's, its offsets counted from base_str_len.
 * The result is parsed again (on the base part, for split output) before
 * it is returned: a set that is not closed would fail there, not later.
 */
#include "subset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "formats/strset.h"

struct str_end {
	const struct btf_raw *raw;
	uint32_t end;
};

static int note_end(uint32_t *off, void *ctx)
{
	struct str_end *c = ctx;
	const char *s = btf_raw__str(c->raw, *off);

	if (s && *off + strlen(s) + 1 > c->end)
		c->end = *off + (uint32_t)strlen(s) + 1;
	return 0;
}

uint32_t btf_subset__base_str_len(const struct btf_raw *raw, uint32_t base_cnt)
{
	struct str_end c = {raw, 1};
	uint32_t id;

	for (id = 1; id <= base_cnt && id < btf_raw__type_cnt(raw); id++)
		/* note_end() only reads through the pointer */
		btf_type_visit_strs((struct btf_type *)btf_raw__type(raw, id),
				    note_end, &c);
	return c.end < raw->str_len ? c.end : raw->str_len;
}

int btf_subset__base(const struct btf_raw *raw, uint32_t base_cnt,
		     uint32_t base_str_len, void **out, size_t *out_size,
		     struct diag *d)
{
	uint32_t types_len;

	if (base_cnt > raw->type_cnt || base_str_len > raw->str_len) {
		diag_set(d, "base of %u types is more than the blob's %u",
			 base_cnt, raw->type_cnt);
		return -EINVAL;
	}
	types_len = base_cnt < raw->type_cnt ? raw->type_offs[base_cnt]
					     : raw->types_len;
	*out = btf_raw__write_layout(raw->types, types_len, raw->layout,
				     raw->layout_len, raw->strs, base_str_len,
				     out_size);
	if (!*out) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

struct sub {
	const struct btf_raw *raw;
	uint32_t base_cnt;
	uint32_t *new_id; /* old id -> new id, 0: not marked */
	uint32_t *work;
	size_t work_len;
	struct strset ss;
	int err;
};

static int mark(uint32_t *id, void *ctx)
{
	struct sub *s = ctx;

	if (*id > s->base_cnt && *id < btf_raw__type_cnt(s->raw) &&
	    !s->new_id[*id]) {
		s->new_id[*id] = 1;
		s->work[s->work_len++] = *id;
	}
	return 0;
}

static int remap_id(uint32_t *id, void *ctx)
{
	struct sub *s = ctx;

	if (*id > s->base_cnt)
		*id = s->new_id[*id];
	return 0;
}

static int remap_str(uint32_t *off, void *ctx)
{
	struct sub *s = ctx;
	const char *str = btf_raw__str(s->raw, *off);
	int64_t o = strset__add(&s->ss, str, strlen(str));

	if (o < 0) {
		s->err = (int)o;
		return -ENOMEM;
	}
	*off = (uint32_t)o;
	return 0;
}

int btf_subset__write(const struct btf_raw *raw, uint32_t base_cnt,
		      uint32_t base_str_len, const uint32_t *ids, size_t n,
		      bool split, void **out, size_t *out_size, uint32_t *cnt,
		      struct diag *d)
{
	uint32_t total = btf_raw__type_cnt(raw), id, next = base_cnt + 1;
	struct sub s = {.raw = raw, .base_cnt = base_cnt};
	uint8_t *types = NULL;
	size_t types_len = 0, i, pos;
	struct btf_raw check = {0}, base = {0};
	void *base_blob = NULL;
	size_t base_size;
	int err = -ENOMEM;

	*out = NULL;
	if (raw->base || base_cnt >= total || base_str_len > raw->str_len) {
		diag_set(d, "not a self-contained blob with a base of %u types",
			 base_cnt);
		return -EINVAL;
	}
	s.new_id = calloc(total, sizeof(*s.new_id));
	s.work = malloc(total * sizeof(*s.work));
	if (!s.new_id || !s.work)
		goto out;
	for (i = 0; i < n; i++) {
		uint32_t v = ids[i];

		if (v <= base_cnt || v >= total) {
			diag_set(d,
				 "type id %u is not above the base (%u) "
				 "inside the blob (%u)",
				 v, base_cnt, total - 1);
			err = -EINVAL;
			goto out;
		}
		mark(&v, &s);
	}
	while (s.work_len) {
		uint32_t v = s.work[--s.work_len];
		const struct btf_type *t = btf_raw__type(raw, v);

		/* mark() only reads the id through the pointer */
		btf_type_visit_ids((struct btf_type *)t, mark, &s);
	}
	for (id = base_cnt + 1; id < total; id++)
		if (s.new_id[id]) {
			s.new_id[id] = next++;
			types_len += btf_raw__rec_size(btf_raw__type(raw, id),
						       UINT32_MAX);
		}
	if (strset__init_seeded(&s.ss, raw->strs, base_str_len, 0))
		goto out;
	types = malloc(types_len ? types_len : 1);
	if (!types)
		goto out;
	for (id = base_cnt + 1, pos = 0; id < total; id++) {
		const struct btf_type *t;
		uint32_t rs;

		if (!s.new_id[id])
			continue;
		t = btf_raw__type(raw, id);
		rs = btf_raw__rec_size(t, UINT32_MAX);
		memcpy(types + pos, t, rs);
		btf_type_visit_ids((struct btf_type *)(types + pos), remap_id,
				   &s);
		if (btf_type_visit_strs((struct btf_type *)(types + pos),
					remap_str, &s))
			goto out;
		pos += rs;
	}
	if (split) {
		*out = btf_raw__write(
			types, (uint32_t)types_len, s.ss.data + base_str_len,
			(uint32_t)(s.ss.len - base_str_len), out_size);
	} else {
		uint32_t blen = base_cnt < raw->type_cnt
					? raw->type_offs[base_cnt]
					: raw->types_len;
		uint8_t *all = malloc(blen + types_len + 1);

		if (!all)
			goto out;
		memcpy(all, raw->types, blen);
		memcpy(all + blen, types, types_len);
		/* the blob's layout section stays (the split form shares
		 * its base's, as libbpf reads it) */
		*out = btf_raw__write_layout(all, (uint32_t)(blen + types_len),
					     raw->layout, raw->layout_len,
					     s.ss.data, (uint32_t)s.ss.len,
					     out_size);
		free(all);
	}
	if (!*out)
		goto out;
	/* the proof that the set was closed and the rewrite right */
	if (split) {
		err = btf_subset__base(raw, base_cnt, base_str_len, &base_blob,
				       &base_size, d);
		if (err)
			goto out;
		err = btf_raw__parse(&base, base_blob, base_size, NULL, d);
		if (!err)
			err = btf_raw__parse(&check, *out, *out_size, &base, d);
	} else {
		err = btf_raw__parse(&check, *out, *out_size, NULL, d);
	}
	if (err) {
		diag_prefix(d, "subset does not validate: ");
		free(*out);
		*out = NULL;
		err = -EINVAL;
		goto out;
	}
	if (cnt)
		*cnt = next - base_cnt - 1;
	err = 0;
out:
	if (err == -ENOMEM)
		diag_set(d, "out of memory");
	btf_raw__release(&check);
	btf_raw__release(&base);
	free(base_blob);
	free(types);
	free(s.new_id);
	free(s.work);
	strset__release(&s.ss);
	return err;
}
