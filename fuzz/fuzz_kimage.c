/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* fuzz_kimage: kimage_find_btf on a kernel image (any kind it knows). */
#include "fuzz/fuzz.h"
#include "formats/kimage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct decomp_caps caps = {FUZZ_MAX_OUT, FUZZ_MAX_RATIO};
	struct kimage k;
	struct diag d;

	if (kimage_find_btf(data, size, &caps, &k, &d) == 0) {
		(void)kimage_source_str(k.source);
		kimage_release(&k);
	}
	return 0;
}
