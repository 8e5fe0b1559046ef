/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_bpf_obj: bpf_obj__read on a BPF object image; on success every
 * record must point at a section, a known kind and an access string that
 * parses, as the reader promises.
 */
#include <stdlib.h>

#include "fuzz/fuzz.h"
#include "formats/bpf_obj.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t idx[BPF_OBJ_ACCESS_MAX], n, k;
	struct bpf_obj obj = {0};
	struct diag d;

	if (bpf_obj__read(&obj, data, size, &d))
		return 0;
	if (!obj.relo_cnt)
		abort(); /* no CO-RE relocation is an error */
	for (k = 0; k < obj.relo_cnt; k++) {
		const struct bpf_obj_relo *r = &obj.relos[k];

		if (r->sec >= obj.sec_cnt || !bpf_obj__kind_name(r->kind) ||
		    bpf_obj__parse_access(bpf_obj__access_str(&obj, r), idx,
					  BPF_OBJ_ACCESS_MAX, &n) ||
		    !btf_raw__type(&obj.btf, r->type_id))
			abort();
	}
	bpf_obj__release(&obj);
	return 0;
}
