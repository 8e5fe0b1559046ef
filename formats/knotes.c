// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "knotes.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define NT_GNU_BUILD_ID 3

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

int knotes_build_id(const void *notes, size_t size,
		    uint8_t id[KNOTES_BUILD_ID_MAX], size_t *id_sz,
		    struct diag *d)
{
	const uint8_t *p = notes;
	size_t off = 0, found_off = 0, found_sz = 0;
	unsigned idx = 0;
	bool found = false;

	*id_sz = 0;
	while (off < size) {
		uint32_t namesz, descsz, type;
		size_t name_off, desc_off;

		idx++;
		if (size - off < 12) {
			diag_set(d,
				 "note %u at byte %zu: %zu bytes left, a note "
				 "header takes 12",
				 idx, off, size - off);
			return -EINVAL;
		}
		memcpy(&namesz, p + off, 4);
		memcpy(&descsz, p + off + 4, 4);
		memcpy(&type, p + off + 8, 4);
		name_off = off + 12;
		/* sizes are checked against what is left before padding, so
		 * nothing below can overflow */
		if (namesz > size - name_off) {
			diag_set(d,
				 "note %u at byte %zu: name of %u bytes past "
				 "the end (%zu bytes)",
				 idx, off, namesz, size);
			return -EINVAL;
		}
		desc_off = name_off + pad4(namesz);
		if (desc_off > size || descsz > size - desc_off) {
			diag_set(d,
				 "note %u at byte %zu: descriptor of %u bytes "
				 "past the end (%zu bytes)",
				 idx, off, descsz, size);
			return -EINVAL;
		}
		if (type == NT_GNU_BUILD_ID && namesz == 4 &&
		    !memcmp(p + name_off, "GNU", 4)) {
			if (found) {
				diag_set(d,
					 "note %u at byte %zu: a second GNU "
					 "build-id (the first at byte %zu)",
					 idx, off, found_off);
				return -EINVAL;
			}
			if (!descsz || descsz > KNOTES_BUILD_ID_MAX) {
				diag_set(d,
					 "note %u at byte %zu: GNU build-id of "
					 "%u bytes, want 1 to %d",
					 idx, off, descsz, KNOTES_BUILD_ID_MAX);
				return -EINVAL;
			}
			memcpy(id, p + desc_off, descsz);
			found_sz = descsz;
			found = true;
			found_off = off;
		}
		/* the padding of the last descriptor may be cut off */
		off = desc_off + pad4(descsz);
		if (off > size)
			off = size;
	}
	if (!found) {
		diag_set(d, "no GNU build-id note among %u notes (%zu bytes)",
			 idx, size);
		return -ENOENT;
	}
	*id_sz = found_sz;
	return 0;
}
