// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * dedup: dedup_run, the one entry point, hands the input to its engine and
 * the engine's output to prune, so that both engines' blobs are pruned the
 * same way (ordered too when the engine says where each type came from).
 */
#include <stdlib.h>
#include <string.h>

#include "dedup/dedup.h"
#include "dedup/libbpf.h"
#include "dedup/prune.h"
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
	struct prune_opts popts = {
		.keep_unreachable = in->keep_unreachable,
		.mod_first = in->mod_first,
		.mod_cnt = in->mod_cnt,
		.jobs = in->jobs,
	};
	int err;

	if (engine == BTFAR_DEDUP_LIBBPF)
		err = dedup_libbpf(in->base, in->split, in->split_sz, res, d);
	else
		err = dedup_refine(&rin, res, d);
	if (err)
		return err;
	err = prune_run(in->base, res, in->type_cnt, &popts, &res->unreachable,
			&res->unreachable_bytes, d);
	if (err)
		dedup_result_release(res);
	return err;
}

void dedup_result_release(struct dedup_result *res)
{
	if (!res)
		return;
	free(res->raw);
	free(res->id_map);
	memset(res, 0, sizeof(*res));
}
