// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* dedup: dedup_run, the one entry point, hands the input to its engine. */
#include <stdlib.h>
#include <string.h>

#include "dedup/dedup.h"
#include "dedup/libbpf.h"
#include "dedup/refine.h"

int dedup_run(enum btfar_dedup_engine engine, const struct dedup_input *in,
	      struct dedup_result *res, struct diag *d)
{
	struct refine_input rin = {
		.base = in->base,
		.types = in->types,
		.types_len = in->types_len,
		.type_offs = in->type_offs,
		.type_cnt = in->type_cnt,
		.strs = in->strs,
		.str_len = in->str_len,
		.jobs = in->jobs,
	};

	if (engine == BTFAR_DEDUP_LIBBPF)
		return dedup_libbpf(in->base, in->split, in->split_sz, res, d);
	return dedup_refine(&rin, res, d);
}

void dedup_result_release(struct dedup_result *res)
{
	if (!res)
		return;
	free(res->raw);
	free(res->id_map);
	memset(res, 0, sizeof(*res));
}
