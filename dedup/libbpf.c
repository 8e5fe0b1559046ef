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
 *
 * btf__dedup does not say where each input type went; refine's id_map does,
 * and prune orders the output by module with it (dedup/order.h), and the
 * merge takes its module ranges from it. libbpf rewrites the type ids of a
 * .BTF.ext handed to it with the types (btf_dedup_opts.btf_ext), so one
 * func_info record per input split type, holding that type's id, comes
 * back holding its output id: the same map, and both engines' outputs go
 * through the same order.
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

/* .BTF.ext layout (the kernel's struct btf_ext_header, version 1, without
 * the CO-RE fields), then func_info: record size, one section header
 * (name, count), records (insn_off, type_id) */
#define EXT_HDR_LEN  24u
#define EXT_RECS_OFF (EXT_HDR_LEN + 4u + 8u)
#define EXT_REC_SIZE 8u
#define EXT_MAX_RECS ((UINT32_MAX - EXT_RECS_OFF) / EXT_REC_SIZE)

/* libbpf reads a .BTF.ext in the host's byte order */
static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* A .BTF.ext whose func_info names the split ids s0..s0+n-1 in order. */
static struct btf_ext *ext_of_ids(uint32_t s0, uint32_t n)
{
	uint32_t size = EXT_RECS_OFF + EXT_REC_SIZE * n, i;
	uint8_t *p = calloc(size, 1);
	uint16_t magic = 0xeB9F;
	struct btf_ext *ext;
	int saved;

	if (!p)
		return NULL;
	memcpy(p, &magic, sizeof(magic));
	p[2] = 1;		   /* version */
	put32(p + 4, EXT_HDR_LEN); /* hdr_len */
	put32(p + 8, 0);	   /* func_info_off */
	put32(p + 12, size - EXT_HDR_LEN);
	put32(p + 16, size - EXT_HDR_LEN); /* line_info_off, len 0 */
	put32(p + EXT_HDR_LEN, EXT_REC_SIZE);
	put32(p + EXT_HDR_LEN + 4, 0); /* section name: "" (base) */
	put32(p + EXT_HDR_LEN + 8, n);
	for (i = 0; i < n; i++) {
		put32(p + EXT_RECS_OFF + EXT_REC_SIZE * i, 8 * i);
		put32(p + EXT_RECS_OFF + EXT_REC_SIZE * i + 4, s0 + i);
	}
	ext = btf_ext__new(p, size);
	saved = errno;
	free(p);
	errno = saved;
	return ext;
}

/*
 * libbpf 1.1.2 declares btf_ext__raw_data() but exports it only under its
 * first name, btf_ext__get_raw_data (LIBBPF_0.0.2), which its header no
 * longer declares; libbpf keeps that symbol for its ABI.
 */
const void *btf_ext__get_raw_data(const struct btf_ext *btf_ext, __u32 *size);

/* ext's type ids after btf__dedup: the output id of each input type. */
static uint32_t *ids_of_ext(const struct btf_ext *ext, uint32_t n)
{
	uint32_t size, i;
	const uint8_t *p = btf_ext__get_raw_data(ext, &size);
	uint32_t *map;

	if (!p || size < EXT_RECS_OFF + (uint64_t)EXT_REC_SIZE * n)
		return NULL;
	map = malloc(((size_t)n + 1) * sizeof(*map));
	for (i = 0; map && i < n; i++)
		memcpy(&map[i], p + EXT_RECS_OFF + EXT_REC_SIZE * i + 4,
		       sizeof(map[i]));
	return map;
}

int dedup_libbpf(const struct btf_raw *base, const void *split, size_t size,
		 struct dedup_result *res, struct diag *d)
{
	const struct btf_header *sh = split;
	LIBBPF_OPTS(btf_dedup_opts, opts);
	struct btf *bbtf = NULL, *sbtf = NULL;
	struct btf_ext *ext = NULL;
	const void *raw;
	uint32_t raw_sz, wide, n;
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
	n = btf__type_cnt(sbtf) - btf__type_cnt(bbtf);
	if (n && n <= EXT_MAX_RECS) {
		ext = ext_of_ids(btf__type_cnt(bbtf), n);
		if (!ext) {
			err = -errno;
			diag_set(d, "libbpf refused the id records: %s",
				 strerror(errno));
			goto out;
		}
	}
	opts.btf_ext = ext;
	err = btf__dedup(sbtf, &opts);
	if (err) {
		diag_set(d, "btf__dedup failed: %s", strerror(-err));
		goto out;
	}
	if (ext) {
		res->id_map = ids_of_ext(ext, n);
		if (!res->id_map) {
			err = -ENOMEM;
			diag_set(d, "out of memory");
			goto out;
		}
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
	if (err) {
		free(res->id_map);
		res->id_map = NULL;
	}
	btf_ext__free(ext);
	btf__free(sbtf);
	btf__free(bbtf);
	return err;
}
