/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* fuzz_knotes: knotes_build_id on a /sys/kernel/notes image. */
#include "fuzz/fuzz.h"
#include "formats/knotes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t id[KNOTES_BUILD_ID_MAX];
	struct diag d;
	size_t id_sz;
	int err;

	err = knotes_build_id(data, size, id, &id_sz, &d);
	/* a build-id is 1 to KNOTES_BUILD_ID_MAX bytes, none on error */
	if (err ? id_sz != 0 : !id_sz || id_sz > KNOTES_BUILD_ID_MAX)
		abort();
	return 0;
}
