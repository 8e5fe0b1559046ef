// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libbpf: the libbpf engine of dedup_run (dedup/dedup.h), for comparison
 * with refine.
 *
 * libbpf's btf__dedup on split BTF merges equivalent types across the whole
 * split part (so across all modules merged there) and maps split types that
 * are equivalent to base types onto the base ids; strings are deduplicated
 * against the base's. Its input here has been validated by btf_raw (or built
 * from validated inputs), since libbpf 1.1 checks little inside records.
 */
#include "dedup/libbpf.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * libbpf 1.1.2 has btf__new_split() in its header but does not export it
 * (its symbol map gained it in 1.2). btf__parse_raw_split() runs the same
 * parser on a file: hand it the bytes through an anonymous memory file.
 */
static struct btf *split_from_memory(const void *data, size_t size,
				     struct btf *base)
{
	char path[64];
	struct btf *btf;
	int fd, saved;
	size_t done = 0;

	fd = memfd_create("btfar-split", MFD_CLOEXEC);
	if (fd < 0)
		return NULL;
	while (done < size) {
		ssize_t n = write(fd, (const char *)data + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			saved = errno;
			close(fd);
			errno = saved;
			return NULL;
		}
		done += (size_t)n;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	btf = btf__parse_raw_split(path, base);
	saved = errno;
	close(fd);
	errno = saved;
	return btf;
}

/*
 * The first record of types[0..len) with a vlen over 16 bits (Linux 7.2),
 * which libbpf 1.1 would read as a shorter record, losing its place in
 * every record after it; 0 if none.
 */
static uint32_t first_wide_vlen(const uint8_t *types, uint32_t len,
				uint32_t start_id)
{
	uint32_t off = 0, id = start_id, rec;

	while (off < len) {
		const struct btf_type *t = (const void *)(types + off);

		if (btf_type_vlen(t) > BTF_RAW_MAX_VLEN16)
			return id;
		rec = btf_raw__rec_size(t, len - off);
		if (!rec)
			return 0; /* validated input: not reached */
		off += rec;
		id++;
	}
	return 0;
}

int dedup_libbpf(const struct btf_raw *base, const void *split, size_t size,
		 struct dedup_result *res, struct diag *d)
{
	const struct btf_header *sh = split;
	struct btf *bbtf = NULL, *sbtf = NULL;
	const void *raw;
	uint32_t raw_sz, wide;
	int err;

	memset(res, 0, sizeof(*res));
	wide = first_wide_vlen(base->types, base->types_len, base->start_id);
	if (!wide && size >= sizeof(*sh) && sh->hdr_len <= size &&
	    sh->type_len <= size - sh->hdr_len)
		wide = first_wide_vlen((const uint8_t *)split + sh->hdr_len,
				       sh->type_len, btf_raw__type_cnt(base));
	if (wide) {
		diag_set(d,
			 "type [%u] has a vlen over 65535 (Linux 7.2), which "
			 "libbpf 1.1 cannot read: use the refine engine",
			 wide);
		return -ENOTSUP;
	}
	bbtf = btf__new(base->data, base->size);
	if (!bbtf) {
		err = -errno;
		diag_set(d, "libbpf refused the base BTF: %s", strerror(errno));
		goto out;
	}
	sbtf = split_from_memory(split, size, bbtf);
	if (!sbtf) {
		err = -errno;
		diag_set(d, "libbpf refused the merged split BTF: %s",
			 strerror(errno));
		goto out;
	}
	err = btf__dedup(sbtf, NULL);
	if (err) {
		diag_set(d, "btf__dedup failed: %s", strerror(-err));
		goto out;
	}
	raw = btf__raw_data(sbtf, &raw_sz);
	if (!raw) {
		err = -errno;
		diag_set(d, "libbpf could not serialize the result: %s",
			 strerror(errno));
		goto out;
	}
	res->raw = malloc(raw_sz);
	if (!res->raw) {
		err = -ENOMEM;
		diag_set(d, "out of memory");
		goto out;
	}
	memcpy(res->raw, raw, raw_sz);
	res->size = raw_sz;
	res->type_cnt = btf__type_cnt(sbtf) - btf__type_cnt(bbtf);
	err = 0;
out:
	btf__free(sbtf);
	btf__free(bbtf);
	return err;
}
