/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_decomp: the first byte selects the kind (low 3 bits: 0 detect from
 * the magic, 1..7 xz zstd gzip lzma bzip2 lz4-legacy lzo) and the call (bit
 * 3: decomp_first instead of decomp_all); the rest is the stream.
 */
#include <stdlib.h>

#include "fuzz/fuzz.h"
#include "formats/decomp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct decomp_caps caps = {FUZZ_MAX_OUT, FUZZ_MAX_RATIO};
	enum decomp_kind kind;
	struct diag d;
	size_t out_sz = 0, used = 0;
	void *out = NULL;
	int err;

	if (size < 1)
		return 0;
	kind = (enum decomp_kind)(data[0] & 7);
	if (kind == DECOMP_NONE)
		kind = decomp_detect(data + 1, size - 1);
	(void)decomp_kind_str(kind);
	if (data[0] & 8)
		err = decomp_first(kind, data + 1, size - 1, &caps, &out,
				   &out_sz, &used, &d);
	else
		err = decomp_all(kind, data + 1, size - 1, &caps, &out, &out_sz,
				 &d);
	if (err == 0 && (data[0] & 8) && used > size - 1)
		abort(); /* took more input than there was */
	if (err != 0 && out)
		abort(); /* the contract: *out is NULL on error */
	free(out);
	return 0;
}
