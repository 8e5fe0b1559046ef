/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_btf_split: btf_raw__parse of split BTF on a fixed base, the fixture
 * vmlinux BTF (corpus/btf_split/base.btf, read once; the path is compiled
 * in, $BTFAR_FUZZ_BASE overrides it). Then btf_raw__join and a reparse,
 * and dedup_run (refine, prune, order) as a merge of two modules would
 * run it, the split types' first half one module: its output must parse
 * as split BTF on the base.
 */
#include <stdio.h>
#include <stdlib.h>

#include "dedup/dedup.h"
#include "formats/btf_raw.h"
#include "fuzz/fuzz.h"

static struct btf_raw base;
static void *base_data;

static void base_load(void)
{
	const char *path = getenv("BTFAR_FUZZ_BASE");
	struct diag d;
	long sz;
	FILE *f;

	if (!path)
		path = BTFAR_FUZZ_BASE_PATH;
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (sz = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET) || !(base_data = malloc(sz)) ||
	    fread(base_data, 1, sz, f) != (size_t)sz) {
		fprintf(stderr, "fuzz_btf_split: cannot read base %s\n", path);
		abort();
	}
	fclose(f);
	if (btf_raw__parse(&base, base_data, sz, NULL, &d) != 0) {
		fprintf(stderr, "fuzz_btf_split: %s: %s\n", path, d.msg);
		abort();
	}
}

/* raw deduplicated, pruned and ordered: the output must parse on base */
static void dedup_check(const struct btf_raw *raw)
{
	uint32_t mod_first[2] = {raw->start_id,
				 raw->start_id + raw->type_cnt / 2};
	struct dedup_input in = {
		.base = &base,
		.types = raw->types,
		.types_len = raw->types_len,
		.type_offs = raw->type_offs,
		.type_cnt = raw->type_cnt,
		.strs = raw->strs,
		.str_len = raw->str_len,
		.jobs = 1,
		.mod_first = mod_first,
		.mod_cnt = 2,
	};
	struct dedup_result res;
	struct btf_raw out;
	struct diag d;

	if (dedup_run(BTFAR_DEDUP_REFINE, &in, &res, &d))
		return;
	if (btf_raw__parse(&out, res.raw, res.size, &base, &d) != 0) {
		fprintf(stderr, "deduplicated BTF does not parse: %s\n", d.msg);
		abort();
	}
	btf_raw__release(&out);
	dedup_result_release(&res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct btf_raw raw;
	struct diag d;
	uint32_t id, n;
	size_t out_sz;
	void *out;

	if (!base_data)
		base_load();
	if (btf_raw__parse(&raw, data, size, &base, &d) != 0)
		return 0;
	n = btf_raw__type_cnt(&raw);
	for (id = 0; id < n; id++) {
		const struct btf_type *t = btf_raw__type(&raw, id);

		(void)btf_raw__size(&raw, id);
		if (t)
			(void)btf_raw__str(&raw, t->name_off);
	}
	out = btf_raw__join(&base, &raw, &out_sz);
	if (out) {
		struct btf_raw joined;

		if (btf_raw__parse(&joined, out, out_sz, NULL, &d) != 0) {
			fprintf(stderr, "joined BTF does not parse: %s\n",
				d.msg);
			abort();
		}
		btf_raw__release(&joined);
		free(out);
	}
	if (raw.type_cnt)
		dedup_check(&raw);
	btf_raw__release(&raw);
	return 0;
}
