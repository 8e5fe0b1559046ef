/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * fuzz_meta: meta_parse on a RELEASE.meta text; what parses is written
 * back (meta_write), and that text must parse again and write the same
 * bytes.
 */
#include <string.h>

#include "fuzz/fuzz.h"
#include "formats/meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct meta m, m2;
	char *t1 = NULL, *t2 = NULL;
	size_t n1, n2;
	struct diag d;

	if (meta_parse(&m, (const char *)data, size, &d)) {
		meta_release(&m);
		return 0;
	}
	if (meta_write(&m, &t1, &n1, &d) || meta_parse(&m2, t1, n1, &d) ||
	    meta_write(&m2, &t2, &n2, &d) || n1 != n2 || memcmp(t1, t2, n1))
		abort();
	meta_release(&m);
	meta_release(&m2);
	free(t1);
	free(t2);
	return 0;
}
