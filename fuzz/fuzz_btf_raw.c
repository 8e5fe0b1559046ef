/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* fuzz_btf_raw: btf_raw__parse on standalone raw BTF, then every accessor. */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz/fuzz.h"
#include "formats/btf_raw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct btf_raw raw;
	struct diag d;
	uint32_t id, n;
	size_t out_sz;
	void *out;

	if (btf_raw__parse(&raw, data, size, NULL, &d) != 0)
		return 0;
	n = btf_raw__type_cnt(&raw);
	for (id = 0; id < n; id++) {
		const struct btf_type *t = btf_raw__type(&raw, id);

		(void)btf_raw__size(&raw, id);
		if (t)
			(void)btf_raw__str(&raw, t->name_off);
	}
	/* round trip through the writer: the result must parse again */
	out = btf_raw__write(raw.types, raw.types_len, raw.strs, raw.str_len,
			     &out_sz);
	if (out) {
		struct btf_raw again;

		if (btf_raw__parse(&again, out, out_sz, NULL, &d) != 0) {
			fprintf(stderr, "rewritten BTF does not parse: %s\n",
				d.msg);
			abort();
		}
		btf_raw__release(&again);
		free(out);
	}
	btf_raw__release(&raw);
	return 0;
}
