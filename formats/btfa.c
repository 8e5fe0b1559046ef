// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * btfa: reader and writer of the .btfa container (docs/FORMAT.md).
 *
 * Reader: header (magic, version, flags) -> index bounds and SHA-256 ->
 * index frame decompressed to exactly its content size (capped) -> every
 * count, table, string and reference checked once at open. Frames and
 * dictionaries are checked (bounds, frame header, size, dictionary id,
 * SHA-256) each time an entry is read, so a bad frame fails that entry
 * alone.
 *
 * Writer: entries sorted by their key, exact duplicates dropped; one
 * dictionary trained (ZDICT_trainFromBuffer, deterministic) on chunks of
 * every blob; every blob compressed single-threaded with that dictionary,
 * content size and checksum in the frame; the file laid out as header,
 * dictionary, frames, index. The same inputs in any order give the same
 * bytes. Append writes [dictionary] frames index after the end of the
 * file, fsyncs, then rewrites the header in one pwrite and fsyncs again.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>
#include <zstd.h>

#include "btf_compat.h"
#include "btf_delta.h"
#include "btfa.h"
#include "hex.h"
#include "file.h"
#include "le.h"
#include "mem.h"
#include "sha256.h"
#include "strset.h"

/* off + size inside [0, limit], without overflow. */
static bool in_bounds(uint64_t off, uint64_t size, uint64_t limit)
{
	return size <= limit && off <= limit - size;
}

static int pread_full(int fd, void *buf, size_t size, uint64_t off)
{
	uint8_t *p = buf;

	while (size) {
		ssize_t n = pread(fd, p, size, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO; /* the file shrank under us */
		p += n;
		size -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* An entry's compat: 0 (not rewritten) or a level of btf_compat.h. */
static bool compat_ok(uint32_t compat)
{
	return !compat ||
	       strcmp(btf_compat__level_name((enum btf_compat_level)compat),
		      "?");
}

/* --- reader ------------------------------------------------------------ */

/* A string of the index: inside the table and NUL-terminated there. */
static int get_str(const char *strtab, uint32_t strtab_size, uint32_t off,
		   const char **out)
{
	if (off >= strtab_size || !memchr(strtab + off, 0, strtab_size - off))
		return -EBADMSG;
	*out = strtab + off;
	return 0;
}

struct frame_ref {
	uint64_t off;
	uint32_t idx;
};

static int frame_ref_cmp(const void *a, const void *b)
{
	const struct frame_ref *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Each delta entry's reference: the plain entry whose frame it names. */
static int resolve_refs(struct btfa_reader *r, struct diag *d)
{
	struct frame_ref *v;
	uint32_t i, n = 0;
	int err = 0;

	for (i = 0; i < r->entry_cnt; i++)
		if (r->entries[i].encoding == BTFA_ENC_DELTA)
			break;
	if (i == r->entry_cnt)
		return 0;
	v = malloc(((size_t)r->entry_cnt + 1) * sizeof(*v));
	if (!v) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < r->entry_cnt; i++)
		if (r->entries[i].encoding == BTFA_ENC_PLAIN)
			v[n++] = (struct frame_ref){r->entries[i].frame_off, i};
	qsort(v, n, sizeof(*v), frame_ref_cmp);
	for (i = 0; i < r->entry_cnt && !err; i++) {
		struct btfa_entry *e = &r->entries[i];
		uint32_t lo = 0, hi = n;

		if (e->encoding != BTFA_ENC_DELTA)
			continue;
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;

			if (v[mid].off < e->ref_frame_off)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == n || v[lo].off != e->ref_frame_off) {
			diag_set(d,
				 "index: entry %u (%s): its reference frame "
				 "at %llu is not the frame of a plain entry",
				 i, e->release,
				 (unsigned long long)e->ref_frame_off);
			err = -EBADMSG;
			break;
		}
		e->ref_idx = v[lo].idx;
	}
	free(v);
	return err;
}

static int parse_index(struct btfa_reader *r, struct diag *d)
{
	const uint8_t *p = r->index;
	uint64_t need, mod_total = 0;
	uint32_t strtab_size, i, j, k;
	int err;
	const char *strtab;
	const uint8_t *q;

	if (r->index_len < BTFA_IDX_HDR_SIZE || memcmp(p, BTFA_IDX_MAGIC, 8)) {
		diag_set(d, "index: bad magic (expected \"BTFAIDX\")");
		return -EBADMSG;
	}
	r->dict_cnt = le32_get(p + 8);
	r->entry_cnt = le32_get(p + 12);
	r->module_cnt = le32_get(p + 16);
	r->range_cnt = le32_get(p + 20);
	strtab_size = le32_get(p + 24);
	if (le32_get(p + 28)) {
		diag_set(d, "index: reserved field is %u, expected 0",
			 le32_get(p + 28));
		return -EBADMSG;
	}
	/* every count is < 2^32, so this sum cannot overflow 64 bits */
	need = BTFA_IDX_HDR_SIZE + (uint64_t)BTFA_DICT_SIZE * r->dict_cnt +
	       (uint64_t)BTFA_ENTRY_SIZE * r->entry_cnt +
	       (uint64_t)BTFA_MODULE_SIZE * r->module_cnt +
	       (uint64_t)BTFA_RANGE_SIZE * r->range_cnt + strtab_size;
	if (need != r->index_len) {
		diag_set(d,
			 "index: %zu bytes, its counts (%u dictionaries, %u "
			 "entries, %u modules, %u ranges, %u bytes of "
			 "strings) need %llu",
			 r->index_len, r->dict_cnt, r->entry_cnt, r->module_cnt,
			 r->range_cnt, strtab_size, (unsigned long long)need);
		return -EBADMSG;
	}
	strtab = (const char *)p + r->index_len - strtab_size;
	if (strtab_size == 0 || strtab[0]) {
		diag_set(d, "index: string table does not start with the "
			    "empty string");
		return -EBADMSG;
	}
	r->dicts = calloc(r->dict_cnt + 1, sizeof(*r->dicts));
	r->ddicts = calloc(r->dict_cnt + 1, sizeof(*r->ddicts));
	r->entries = calloc(r->entry_cnt + 1, sizeof(*r->entries));
	r->modules = calloc(r->module_cnt + 1, sizeof(*r->modules));
	r->ranges = calloc(r->range_cnt + 1, sizeof(*r->ranges));
	if (!r->dicts || !r->ddicts || !r->entries || !r->modules ||
	    !r->ranges) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}

	q = p + BTFA_IDX_HDR_SIZE;
	for (i = 0; i < r->dict_cnt; i++, q += BTFA_DICT_SIZE) {
		struct btfa_dict *di = &r->dicts[i];

		di->dict_id = le32_get(q);
		di->off = le64_get(q + 8);
		di->size = le64_get(q + 16);
		if (!di->dict_id || le32_get(q + 4)) {
			diag_set(d,
				 "index: dictionary %u: id %u, reserved %u "
				 "(expected a non-zero id, reserved 0)",
				 i, di->dict_id, le32_get(q + 4));
			return -EBADMSG;
		}
		for (j = 0; j < i; j++)
			if (r->dicts[j].dict_id == di->dict_id) {
				diag_set(d,
					 "index: dictionary id %u appears "
					 "twice",
					 di->dict_id);
				return -EBADMSG;
			}
		if (di->off < BTFA_HDR_SIZE ||
		    !in_bounds(di->off, di->size, r->file_size)) {
			diag_set(d,
				 "index: dictionary %u (id %u) at %llu, %llu "
				 "bytes: outside the file (%llu bytes)",
				 i, di->dict_id, (unsigned long long)di->off,
				 (unsigned long long)di->size,
				 (unsigned long long)r->file_size);
			return -EBADMSG;
		}
	}

	for (i = 0; i < r->entry_cnt; i++, q += BTFA_ENTRY_SIZE) {
		struct btfa_entry *e = &r->entries[i];
		const char **strs[] = {&e->release, &e->arch,
				       &e->distro,  &e->distro_version,
				       &e->flavour, &e->build_id};

		for (k = 0; k < 6; k++)
			if (get_str(strtab, strtab_size, le32_get(q + 4 * k),
				    strs[k])) {
				diag_set(d,
					 "index: entry %u: string offset %u "
					 "outside the string table (%u bytes) "
					 "or not NUL-terminated",
					 i, le32_get(q + 4 * k), strtab_size);
				return -EBADMSG;
			}
		if (get_str(strtab, strtab_size, le32_get(q + 132),
			    &e->source)) {
			diag_set(d,
				 "index: entry %u: source string offset %u "
				 "outside the string table",
				 i, le32_get(q + 132));
			return -EBADMSG;
		}
		memcpy(e->base_sha256, q + 24, 32);
		memcpy(e->blob_sha256, q + 56, 32);
		e->frame_off = le64_get(q + 88);
		e->frame_size = le64_get(q + 96);
		e->blob_size = le64_get(q + 104);
		e->dict_id = le32_get(q + 112);
		e->base_types = le32_get(q + 116);
		e->types = le32_get(q + 120);
		e->module_first = le32_get(q + 124);
		e->module_cnt = le32_get(q + 128);
		e->compat = le32_get(q + 136);
		/* version 1: bytes 140..151 are reserved and ignored */
		if (r->version >= 2) {
			e->encoding = le32_get(q + 140);
			e->ref_frame_off = le64_get(q + 144);
		}
		if (e->encoding > BTFA_ENC_DELTA ||
		    (e->encoding == BTFA_ENC_PLAIN && e->ref_frame_off) ||
		    (e->encoding == BTFA_ENC_DELTA && e->dict_id)) {
			diag_set(d,
				 "index: entry %u (%s): encoding %u with "
				 "reference %llu and dictionary %u is not "
				 "valid",
				 i, e->release, e->encoding,
				 (unsigned long long)e->ref_frame_off,
				 e->dict_id);
			return -EBADMSG;
		}
		if (!compat_ok(e->compat)) {
			diag_set(d,
				 "index: entry %u (%s): compat %u is not a "
				 "BTF level (0, 502, 513, 516, 517, 600)",
				 i, e->release, e->compat);
			return -EBADMSG;
		}
		if (e->dict_id && !btfa_reader__dict(r, e->dict_id)) {
			diag_set(d,
				 "index: entry %u (%s): dictionary id %u is "
				 "not in the index",
				 i, e->release, e->dict_id);
			return -EBADMSG;
		}
		if (!in_bounds(e->module_first, e->module_cnt, r->module_cnt)) {
			diag_set(d,
				 "index: entry %u (%s): modules %u..+%u past "
				 "the module table (%u)",
				 i, e->release, e->module_first, e->module_cnt,
				 r->module_cnt);
			return -EBADMSG;
		}
		if (e->base_types > e->types) {
			diag_set(d,
				 "index: entry %u (%s): %u base types, more "
				 "than its %u types",
				 i, e->release, e->base_types, e->types);
			return -EBADMSG;
		}
		mod_total += e->module_cnt;
	}
	err = resolve_refs(r, d);
	if (err)
		return err;

	for (i = 0; i < r->module_cnt; i++, q += BTFA_MODULE_SIZE) {
		struct btfa_module *m = &r->modules[i];

		if (get_str(strtab, strtab_size, le32_get(q), &m->name)) {
			diag_set(d,
				 "index: module %u: name offset %u outside "
				 "the string table",
				 i, le32_get(q));
			return -EBADMSG;
		}
		m->range_first = le32_get(q + 4);
		m->range_cnt = le32_get(q + 8);
		m->types = le32_get(q + 12);
		if (!in_bounds(m->range_first, m->range_cnt, r->range_cnt)) {
			diag_set(d,
				 "index: module %u (%s): ranges %u..+%u past "
				 "the range table (%u)",
				 i, m->name, m->range_first, m->range_cnt,
				 r->range_cnt);
			return -EBADMSG;
		}
	}
	for (i = 0; i < r->range_cnt; i++, q += BTFA_RANGE_SIZE) {
		r->ranges[i].first = le32_get(q);
		r->ranges[i].count = le32_get(q + 4);
	}
	/* version 2: a range's first id is written as its distance from the
	 * end of its module's previous range (from id 1 for the first); each
	 * module's ranges follow the previous module's */
	for (i = 0, k = 0; r->version >= 2 && i < r->module_cnt; i++) {
		const struct btfa_module *m = &r->modules[i];
		uint64_t next = 1;

		if (m->range_first != k) {
			diag_set(d,
				 "index: module %u (%s): ranges start at %u, "
				 "not after the previous module's (%u)",
				 i, m->name, m->range_first, k);
			return -EBADMSG;
		}
		for (j = 0; j < m->range_cnt; j++) {
			struct btfa_range *rg = &r->ranges[k + j];
			uint64_t first = next + rg->first;

			if (first + rg->count > UINT32_MAX) {
				diag_set(d,
					 "index: module %u (%s): range %u past "
					 "the id space",
					 i, m->name, j);
				return -EBADMSG;
			}
			rg->first = (uint32_t)first;
			next = first + rg->count;
		}
		k += m->range_cnt;
	}

	/* ranges of each module: ids of its entry, sorted, disjoint */
	for (i = 0; i < r->entry_cnt; i++) {
		const struct btfa_entry *e = &r->entries[i];

		for (j = 0; j < e->module_cnt; j++) {
			const struct btfa_module *m =
				&r->modules[e->module_first + j];
			uint64_t next = 1;

			for (k = 0; k < m->range_cnt; k++) {
				const struct btfa_range *rg =
					&r->ranges[m->range_first + k];

				if (rg->first < next || !rg->count ||
				    (uint64_t)rg->first + rg->count - 1 >
					    e->types) {
					diag_set(d,
						 "index: entry %u (%s): module "
						 "%s: range %u:%u not sorted, "
						 "empty or past its %u types",
						 i, e->release, m->name,
						 rg->first, rg->count,
						 e->types);
					return -EBADMSG;
				}
				next = (uint64_t)rg->first + rg->count;
			}
		}
	}
	(void)mod_total;
	return 0;
}

int btfa_reader__open(struct btfa_reader *r, const char *path, struct diag *d)
{
	uint8_t hdr[BTFA_HDR_SIZE], sum[32];
	unsigned long long content;
	struct sha256 sh;
	void *comp = NULL;
	struct stat st;
	size_t n;
	int err;

	memset(r, 0, sizeof(*r));
	r->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r->fd < 0) {
		err = -errno;
		diag_set(d, "cannot open: %s", strerror(errno));
		return err;
	}
	if (fstat(r->fd, &st) < 0) {
		err = -errno;
		diag_set(d, "cannot stat: %s", strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_set(d, "not a regular file");
		err = -EINVAL;
		goto fail;
	}
	r->file_size = (uint64_t)st.st_size;
	if (r->file_size < BTFA_HDR_SIZE) {
		diag_set(d, "truncated: %llu bytes, the header needs %d",
			 (unsigned long long)r->file_size, BTFA_HDR_SIZE);
		err = -EBADMSG;
		goto fail;
	}
	err = pread_full(r->fd, hdr, sizeof(hdr), 0);
	if (err) {
		diag_set(d, "header: read error: %s", strerror(-err));
		goto fail;
	}
	if (memcmp(hdr, BTFA_MAGIC, 8)) {
		diag_set(d, "not a .btfa archive (bad magic)");
		err = -EBADMSG;
		goto fail;
	}
	r->version = le32_get(hdr + 8);
	if (r->version < 1 || r->version > BTFA_VERSION) {
		diag_set(d,
			 "unsupported format version %u (this reader: 1 to %d)",
			 r->version, BTFA_VERSION);
		err = -EPROTONOSUPPORT;
		goto fail;
	}
	if (le32_get(hdr + 12)) {
		diag_set(d, "unknown header flags 0x%x", le32_get(hdr + 12));
		err = -EPROTONOSUPPORT;
		goto fail;
	}
	r->index_off = le64_get(hdr + 16);
	r->index_size = le64_get(hdr + 24);
	memcpy(r->index_sha256, hdr + 32, 32);
	if (r->index_off < BTFA_HDR_SIZE || !r->index_size ||
	    !in_bounds(r->index_off, r->index_size, r->file_size)) {
		diag_set(d,
			 "header: index at %llu, %llu bytes: outside the file "
			 "(%llu bytes; truncated?)",
			 (unsigned long long)r->index_off,
			 (unsigned long long)r->index_size,
			 (unsigned long long)r->file_size);
		err = -EBADMSG;
		goto fail;
	}
	if (r->index_size > BTFA_MAX_INDEX) {
		diag_set(d, "header: index of %llu bytes, cap is %u",
			 (unsigned long long)r->index_size, BTFA_MAX_INDEX);
		err = -EFBIG;
		goto fail;
	}
	n = (size_t)r->index_size;
	comp = malloc(n);
	if (!comp) {
		diag_set(d, "out of memory");
		err = -ENOMEM;
		goto fail;
	}
	err = pread_full(r->fd, comp, n, r->index_off);
	if (err) {
		diag_set(d, "index: read error: %s", strerror(-err));
		goto fail;
	}
	sha256_init(&sh);
	sha256_update(&sh, comp, n);
	sha256_final(&sh, sum);
	if (memcmp(sum, r->index_sha256, 32)) {
		diag_set(d, "index at %llu: SHA-256 mismatch (corrupt)",
			 (unsigned long long)r->index_off);
		err = -EBADMSG;
		goto fail;
	}
	content = ZSTD_getFrameContentSize(comp, n);
	if (content == ZSTD_CONTENTSIZE_ERROR ||
	    content == ZSTD_CONTENTSIZE_UNKNOWN ||
	    ZSTD_findFrameCompressedSize(comp, n) != n) {
		diag_set(d, "index: not one zstd frame with its content size");
		err = -EBADMSG;
		goto fail;
	}
	if (content > BTFA_MAX_INDEX || content < BTFA_IDX_HDR_SIZE) {
		diag_set(d, "index: content size %llu outside [%d, %u]",
			 content, BTFA_IDX_HDR_SIZE, BTFA_MAX_INDEX);
		err = -EBADMSG;
		goto fail;
	}
	r->index = malloc((size_t)content);
	if (!r->index) {
		diag_set(d, "out of memory");
		err = -ENOMEM;
		goto fail;
	}
	n = ZSTD_decompress(r->index, (size_t)content, comp, n);
	if (ZSTD_isError(n) || n != content) {
		diag_set(d, "index: zstd: %s",
			 ZSTD_isError(n) ? ZSTD_getErrorName(n)
					 : "short content");
		err = -EBADMSG;
		goto fail;
	}
	r->index_len = n;
	free(comp);
	comp = NULL;
	err = parse_index(r, d);
	if (err)
		goto fail;
	return 0;
fail:
	free(comp);
	btfa_reader__close(r);
	return err;
}

void btfa_reader__close(struct btfa_reader *r)
{
	uint32_t i;

	if (!r)
		return;
	if (r->ddicts)
		for (i = 0; i < r->dict_cnt; i++)
			ZSTD_freeDDict(r->ddicts[i]);
	if (r->fd > 0)
		close(r->fd);
	free(r->ddicts);
	free(r->index);
	free(r->dicts);
	free(r->entries);
	free(r->modules);
	free(r->ranges);
	free(r->ref_data);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

const struct btfa_dict *btfa_reader__dict(const struct btfa_reader *r,
					  uint32_t dict_id)
{
	uint32_t i;

	for (i = 0; i < r->dict_cnt; i++)
		if (r->dicts[i].dict_id == dict_id)
			return &r->dicts[i];
	return NULL;
}

static int load_ddict(struct btfa_reader *r, uint32_t dict_id, ZSTD_DDict **out,
		      struct diag *d)
{
	const struct btfa_dict *di = btfa_reader__dict(r, dict_id);
	uint32_t i;
	void *buf;
	int err;

	if (!di) {
		diag_set(d, "dictionary id %u is not in the index", dict_id);
		return -EBADMSG;
	}
	i = (uint32_t)(di - r->dicts);
	if (r->ddicts[i]) {
		*out = r->ddicts[i];
		return 0;
	}
	/* bounds were checked at open; the size is below the file size */
	buf = malloc(di->size ? (size_t)di->size : 1);
	if (!buf) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	err = pread_full(r->fd, buf, (size_t)di->size, di->off);
	if (err) {
		free(buf);
		diag_set(d, "dictionary %u: read error: %s", dict_id,
			 strerror(-err));
		return err;
	}
	if (ZDICT_getDictID(buf, (size_t)di->size) != dict_id) {
		free(buf);
		diag_set(d,
			 "dictionary at %llu: not a zstd dictionary of id %u",
			 (unsigned long long)di->off, dict_id);
		return -EBADMSG;
	}
	r->ddicts[i] = ZSTD_createDDict(buf, (size_t)di->size);
	free(buf);
	if (!r->ddicts[i]) {
		diag_set(d, "dictionary %u: zstd cannot load it", dict_id);
		return -EBADMSG;
	}
	*out = r->ddicts[i];
	return 0;
}

/*
 * Decompresses the frame of e into a new buffer of exactly its content size
 * (want, or when want is 0 the size the frame header gives, up to max),
 * with e's dictionary or with prefix.
 */
static int read_frame(struct btfa_reader *r, const struct btfa_entry *e,
		      uint64_t want, uint64_t max, const void *prefix,
		      size_t prefix_size, void **data, size_t *size,
		      struct diag *d)
{
	ZSTD_DDict *ddict = NULL;
	ZSTD_DCtx *dctx = NULL;
	unsigned long long content;
	void *comp = NULL, *out = NULL;
	size_t n;
	int err;

	*data = NULL;
	*size = 0;
	if (e->frame_off < BTFA_HDR_SIZE || !e->frame_size ||
	    !in_bounds(e->frame_off, e->frame_size, r->file_size)) {
		diag_set(d,
			 "frame at %llu, %llu bytes: outside the file (%llu "
			 "bytes)",
			 (unsigned long long)e->frame_off,
			 (unsigned long long)e->frame_size,
			 (unsigned long long)r->file_size);
		return -EBADMSG;
	}
	if (e->frame_size > BTFA_MAX_BLOB) {
		diag_set(d, "frame of %llu bytes: over the cap",
			 (unsigned long long)e->frame_size);
		return -EFBIG;
	}
	if (e->dict_id) {
		err = load_ddict(r, e->dict_id, &ddict, d);
		if (err)
			return err;
	}
	comp = malloc((size_t)e->frame_size);
	dctx = ZSTD_createDCtx();
	if (!comp || !dctx) {
		err = -ENOMEM;
		goto nomem;
	}
	err = pread_full(r->fd, comp, (size_t)e->frame_size, e->frame_off);
	if (err) {
		diag_set(d, "frame at %llu: read error: %s",
			 (unsigned long long)e->frame_off, strerror(-err));
		goto out;
	}
	err = -EBADMSG;
	content = ZSTD_getFrameContentSize(comp, (size_t)e->frame_size);
	if (content == ZSTD_CONTENTSIZE_ERROR ||
	    content == ZSTD_CONTENTSIZE_UNKNOWN || (want && content != want) ||
	    ZSTD_findFrameCompressedSize(comp, (size_t)e->frame_size) !=
		    e->frame_size) {
		diag_set(d,
			 "frame at %llu: not one zstd frame of %llu bytes "
			 "holding %llu bytes",
			 (unsigned long long)e->frame_off,
			 (unsigned long long)e->frame_size,
			 (unsigned long long)want);
		goto out;
	}
	if (content > max || content > SIZE_MAX - 1) {
		diag_set(d, "frame at %llu: %llu bytes, over the cap",
			 (unsigned long long)e->frame_off, content);
		err = -EFBIG;
		goto out;
	}
	if (ZSTD_getDictID_fromFrame(comp, (size_t)e->frame_size) !=
	    e->dict_id) {
		diag_set(d, "frame at %llu: dictionary id %u, index says %u",
			 (unsigned long long)e->frame_off,
			 ZSTD_getDictID_fromFrame(comp, (size_t)e->frame_size),
			 e->dict_id);
		goto out;
	}
	out = malloc((size_t)content + 1);
	if (!out) {
		err = -ENOMEM;
		goto nomem;
	}
	if (ddict) {
		n = ZSTD_decompress_usingDDict(dctx, out, (size_t)content, comp,
					       (size_t)e->frame_size, ddict);
	} else {
		/* a delta frame refers back into its reference: the window
		 * covers both */
		ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax,
				       BTFA_DELTA_WLOG_MAX);
		n = ZSTD_DCtx_refPrefix(dctx, prefix, prefix_size);
		if (!ZSTD_isError(n))
			n = ZSTD_decompressDCtx(dctx, out, (size_t)content,
						comp, (size_t)e->frame_size);
	}
	if (ZSTD_isError(n) || n != content) {
		diag_set(d, "frame at %llu: zstd: %s",
			 (unsigned long long)e->frame_off,
			 ZSTD_isError(n) ? ZSTD_getErrorName(n)
					 : "short content");
		goto out;
	}
	*data = out;
	*size = n;
	out = NULL;
	err = 0;
	goto out;
nomem:
	diag_set(d, "out of memory");
out:
	ZSTD_freeDCtx(dctx);
	free(comp);
	free(out);
	return err;
}

static int read_entry(struct btfa_reader *r, uint32_t idx, bool check,
		      void **data, size_t *size, struct diag *d);

/*
 * The plain blob entry idx refers to, decompressed once and kept. Its
 * SHA-256 is not computed here: zstd checks the frame's own checksum, and
 * the delta's SHA-256 covers every byte of the reference the result depends
 * on (the prefix the frame copies from, the strings the decoder copies).
 * Reading the reference's own entry checks its SHA-256 as always.
 */
static int ref_blob(struct btfa_reader *r, uint32_t idx, const void **data,
		    size_t *size, struct diag *d)
{
	void *p;
	size_t n;
	int err;

	if (r->ref_data && r->ref_idx == idx) {
		*data = r->ref_data;
		*size = r->ref_size;
		return 0;
	}
	err = read_entry(r, idx, false, &p, &n, d);
	if (err)
		return err;
	free(r->ref_data);
	r->ref_data = p;
	r->ref_size = n;
	r->ref_idx = idx;
	*data = p;
	*size = n;
	return 0;
}

int btfa_reader__read(struct btfa_reader *r, uint32_t idx, void **data,
		      size_t *size, struct diag *d)
{
	return read_entry(r, idx, true, data, size, d);
}

static int read_entry(struct btfa_reader *r, uint32_t idx, bool check,
		      void **data, size_t *size, struct diag *d)
{
	const struct btfa_entry *e;
	void *out = NULL;
	uint8_t sum[32];
	struct sha256 sh;
	char want[65], got[65];
	size_t n;
	int err;

	*data = NULL;
	*size = 0;
	if (idx >= r->entry_cnt) {
		diag_set(d, "no entry %u (%u entries)", idx, r->entry_cnt);
		return -ENOENT;
	}
	e = &r->entries[idx];
	if (e->blob_size > BTFA_MAX_BLOB || e->blob_size > SIZE_MAX - 1) {
		diag_set(d, "blob of %llu bytes: over the cap",
			 (unsigned long long)e->blob_size);
		return -EFBIG;
	}
	if (e->encoding == BTFA_ENC_DELTA) {
		/* parse_index made ref_idx a plain entry */
		const void *ref;
		size_t ref_size;
		void *enc;

		err = ref_blob(r, e->ref_idx, &ref, &ref_size, d);
		if (err) {
			diag_prefix(d, "its reference %s: ",
				    r->entries[e->ref_idx].release);
			return err;
		}
		/* a payload holds the blob's parts and at most 4 bytes per
		 * type and per string besides: under 5 times the blob */
		err = read_frame(r, e, 0, 5 * e->blob_size + (64 << 10), ref,
				 ref_size, &enc, &n, d);
		if (err)
			return err;
		err = btf_delta__decode(ref, ref_size, enc, n, &out, &n, d);
		free(enc);
		if (err)
			return err == -ENOMEM ? err : -EBADMSG;
		if (n != e->blob_size) {
			diag_set(d,
				 "delta decodes to %zu bytes, index says "
				 "%llu",
				 n, (unsigned long long)e->blob_size);
			err = -EBADMSG;
			goto out;
		}
	} else {
		err = read_frame(r, e, e->blob_size, e->blob_size, NULL, 0,
				 &out, &n, d);
		if (err)
			return err;
	}
	if (check) {
		sha256_init(&sh);
		sha256_update(&sh, out, n);
		sha256_final(&sh, sum);
	}
	if (check && memcmp(sum, e->blob_sha256, 32)) {
		hex_encode(sum, 32, got);
		hex_encode(e->blob_sha256, 32, want);
		if (e->encoding == BTFA_ENC_DELTA)
			diag_set(d,
				 "blob: SHA-256 %s, index says %s (the entry "
				 "or its reference %s is corrupt)",
				 got, want, r->entries[e->ref_idx].release);
		else
			diag_set(d, "blob: SHA-256 %s, index says %s", got,
				 want);
		err = -EBADMSG;
		goto out;
	}
	*data = out;
	*size = n;
	out = NULL;
	err = 0;
out:
	free(out);
	return err;
}

/* --- writer ------------------------------------------------------------ */

/* A growable byte buffer. */
struct buf {
	uint8_t *p;
	size_t len, cap;
	int err;
};

static uint8_t *buf_grow(struct buf *b, size_t n)
{
	if (b->err)
		return NULL;
	if (n > SIZE_MAX - b->len ||
	    mem_ensure((void **)&b->p, &b->cap, 1, b->len + n)) {
		b->err = -ENOMEM;
		return NULL;
	}
	b->len += n;
	return b->p + b->len - n;
}

static void buf_add(struct buf *b, const void *data, size_t n)
{
	uint8_t *p = buf_grow(b, n);

	if (p && n)
		memcpy(p, data, n);
}

/* One entry to write: new (data set) or kept from the archive. */
struct wentry {
	struct btfa_entry e;
	const void *data; /* new blob, NULL for an entry kept as is */
	size_t size;
	const struct btfa_module_in *mods;
	uint32_t mod_cnt;
	/* a new delta entry: index of its reference in the entry array, and
	 * that blob (the reference's data, or read from the archive) */
	size_t ref;
	const void *ref_data;
	size_t ref_size;
	void *ref_owned; /* ref_data when read from the archive */
	/* the compressed frame, until it is placed in the file */
	void *frame;
	size_t frame_len;
};

static int strcmp0(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int entry_cmp(const struct btfa_entry *a, const struct btfa_entry *b)
{
	int c;

	if ((c = strcmp0(a->release, b->release)) ||
	    (c = strcmp0(a->arch, b->arch)) ||
	    (c = strcmp0(a->build_id, b->build_id)) ||
	    (c = memcmp(a->base_sha256, b->base_sha256, 32)) ||
	    (c = memcmp(a->blob_sha256, b->blob_sha256, 32)) ||
	    (c = strcmp0(a->distro, b->distro)) ||
	    (c = strcmp0(a->distro_version, b->distro_version)) ||
	    (c = strcmp0(a->flavour, b->flavour)) ||
	    (c = strcmp0(a->source, b->source)))
		return c;
	return a->compat < b->compat ? -1 : a->compat > b->compat;
}

static int wentry_cmp(const void *a, const void *b)
{
	return entry_cmp(&((const struct wentry *)a)->e,
			 &((const struct wentry *)b)->e);
}

static int str_off(struct strset *s, const char *str, uint32_t *off)
{
	int64_t o;

	if (!str || !*str) {
		*off = 0;
		return 0;
	}
	o = strset__add(s, str, strlen(str));
	if (o < 0 || o > UINT32_MAX)
		return -ENOMEM;
	*off = (uint32_t)o;
	return 0;
}

/* Serializes the index of entries v[0..n) (offsets set) and dicts. */
static int build_index(const struct wentry *v, size_t n,
		       const struct btfa_dict *dicts, uint32_t dict_cnt,
		       struct buf *out, struct diag *d)
{
	struct buf ents = {0}, mods = {0}, rngs = {0};
	uint64_t mod_cnt = 0, rng_cnt = 0;
	struct strset ss;
	uint8_t *p;
	size_t i;
	uint32_t j, k, o = 0;
	int err;

	err = strset__init(&ss, 4096);
	if (err) {
		diag_set(d, "out of memory");
		return err;
	}
	for (i = 0; i < n; i++)
		if (!compat_ok(v[i].e.compat)) {
			diag_set(d, "%s: compat %u is not a BTF level",
				 v[i].e.release, v[i].e.compat);
			strset__release(&ss);
			return -EINVAL;
		}
	for (i = 0; i < n && !err; i++) {
		const struct btfa_entry *e = &v[i].e;
		const char *strs[] = {e->release, e->arch,
				      e->distro,  e->distro_version,
				      e->flavour, e->build_id};

		p = buf_grow(&ents, BTFA_ENTRY_SIZE);
		if (!p)
			break;
		memset(p, 0, BTFA_ENTRY_SIZE);
		for (k = 0; k < 6 && !err; k++) {
			err = str_off(&ss, strs[k], &o);
			le32_put(p + 4 * k, o);
		}
		err = err ? err : str_off(&ss, e->source, &o);
		le32_put(p + 132, o);
		memcpy(p + 24, e->base_sha256, 32);
		memcpy(p + 56, e->blob_sha256, 32);
		le64_put(p + 88, e->frame_off);
		le64_put(p + 96, e->frame_size);
		le64_put(p + 104, e->blob_size);
		le32_put(p + 112, e->dict_id);
		le32_put(p + 116, e->base_types);
		le32_put(p + 120, e->types);
		le32_put(p + 124, (uint32_t)mod_cnt);
		le32_put(p + 128, v[i].mod_cnt);
		le32_put(p + 136, e->compat);
		le32_put(p + 140, e->encoding);
		le64_put(p + 144, e->ref_frame_off);
		for (j = 0; j < v[i].mod_cnt && !err; j++) {
			const struct btfa_module_in *m = &v[i].mods[j];
			uint8_t *mp = buf_grow(&mods, BTFA_MODULE_SIZE);

			if (!mp)
				break;
			err = str_off(&ss, m->name, &o);
			le32_put(mp, o);
			le32_put(mp + 4, (uint32_t)rng_cnt);
			le32_put(mp + 8, m->range_cnt);
			le32_put(mp + 12, m->types);
			uint32_t next = 1;

			for (k = 0; k < m->range_cnt; k++) {
				uint8_t *rp = buf_grow(&rngs, BTFA_RANGE_SIZE);
				uint32_t first = m->ranges[2 * k];

				if (!rp)
					break;
				if (first < next) {
					diag_set(d,
						 "%s: module %s: ranges not "
						 "sorted and disjoint",
						 e->release, m->name);
					err = -EINVAL;
					break;
				}
				/* distance from the previous range's end */
				le32_put(rp, first - next);
				le32_put(rp + 4, m->ranges[2 * k + 1]);
				next = first + m->ranges[2 * k + 1];
			}
			rng_cnt += m->range_cnt;
		}
		mod_cnt += v[i].mod_cnt;
	}
	if (!err && (ents.err || mods.err || rngs.err))
		err = -ENOMEM;
	if (!err && (n > UINT32_MAX || mod_cnt > UINT32_MAX ||
		     rng_cnt > UINT32_MAX || ss.len > UINT32_MAX))
		err = -E2BIG;
	if (!err) {
		p = buf_grow(out, BTFA_IDX_HDR_SIZE);
		if (p) {
			memcpy(p, BTFA_IDX_MAGIC, 8);
			le32_put(p + 8, dict_cnt);
			le32_put(p + 12, (uint32_t)n);
			le32_put(p + 16, (uint32_t)mod_cnt);
			le32_put(p + 20, (uint32_t)rng_cnt);
			le32_put(p + 24, (uint32_t)ss.len);
			le32_put(p + 28, 0);
		}
		for (j = 0; j < dict_cnt; j++) {
			p = buf_grow(out, BTFA_DICT_SIZE);
			if (!p)
				break;
			memset(p, 0, BTFA_DICT_SIZE);
			le32_put(p, dicts[j].dict_id);
			le64_put(p + 8, dicts[j].off);
			le64_put(p + 16, dicts[j].size);
		}
		buf_add(out, ents.p, ents.len);
		buf_add(out, mods.p, mods.len);
		buf_add(out, rngs.p, rngs.len);
		buf_add(out, ss.data, ss.len);
		if (out->err)
			err = out->err;
	}
	if (err)
		diag_set(d, "index: %s", strerror(-err));
	free(ents.p);
	free(mods.p);
	free(rngs.p);
	strset__release(&ss);
	return err;
}

/* zstd frame of the index (no dictionary, content size, checksum). */
static int compress_index(const struct buf *idx, struct buf *out,
			  struct diag *d)
{
	size_t bound = ZSTD_compressBound(idx->len), n;
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	uint8_t *p = cctx ? buf_grow(out, bound) : NULL;

	if (!p) {
		ZSTD_freeCCtx(cctx);
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 19);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	n = ZSTD_compress2(cctx, p, bound, idx->p, idx->len);
	ZSTD_freeCCtx(cctx);
	if (ZSTD_isError(n)) {
		diag_set(d, "index: zstd: %s", ZSTD_getErrorName(n));
		return -EIO;
	}
	out->len -= bound - n;
	return 0;
}

#define BTFA_TRAIN_MAX (16u << 20)

/*
 * Trains one dictionary on chunks of the new blobs. The chunk size follows
 * the data (total / 256, within [1 KiB, 128 KiB]) so that small inputs
 * still give enough samples. *dict_len is 0 when there is too little data
 * or zstd cannot train: the frames are then written without dictionary.
 */
static int train_dict(const struct wentry *v, size_t n, size_t dict_size,
		      void **dict, size_t *dict_len)
{
	size_t total = 0, chunk, nsamp = 0, i, off, cap, len, stride, k = 0;
	size_t *sizes = NULL;
	uint8_t *samples = NULL, *p;
	void *out = NULL;

	*dict = NULL;
	*dict_len = 0;
	for (i = 0; i < n; i++)
		if (v[i].data && v[i].e.encoding == BTFA_ENC_PLAIN)
			total += v[i].size;
	chunk = total / 256;
	chunk = chunk < 1024 ? 1024 : chunk > (128 << 10) ? (128 << 10) : chunk;
	cap = dict_size < total / 8 ? dict_size : total / 8;
	if (cap < 1024)
		return 0;
	/* training time grows with the samples: past BTFA_TRAIN_MAX bytes,
	 * one chunk in stride, spread over every blob */
	stride = total > BTFA_TRAIN_MAX ? (total - 1) / BTFA_TRAIN_MAX + 1 : 1;
	samples = malloc(total / stride + (n + 1) * chunk);
	sizes = malloc(sizeof(*sizes) * (total / chunk + n + 1));
	out = malloc(cap);
	if (!samples || !sizes || !out)
		goto nomem;
	p = samples;
	for (i = 0; i < n; i++) {
		if (!v[i].data || v[i].e.encoding != BTFA_ENC_PLAIN)
			continue;
		for (off = 0; off < v[i].size; off += chunk) {
			size_t c = v[i].size - off < chunk ? v[i].size - off
							   : chunk;

			if (k++ % stride)
				continue;
			memcpy(p, (const uint8_t *)v[i].data + off, c);
			p += c;
			sizes[nsamp++] = c;
		}
	}
	if (nsamp > UINT32_MAX)
		goto none;
	len = ZDICT_trainFromBuffer(out, cap, samples, sizes, (unsigned)nsamp);
	if (ZDICT_isError(len) || !ZDICT_getDictID(out, len))
		goto none;
	free(samples);
	free(sizes);
	*dict = out;
	*dict_len = len;
	return 0;
none:
	free(samples);
	free(sizes);
	free(out);
	return 0;
nomem:
	free(samples);
	free(sizes);
	free(out);
	return -ENOMEM;
}

/* --- delta planning ---------------------------------------------------- */

/* Length of the series part of a release: up to its second dot ("6.1" of
 * "6.1.0-47-amd64"), or all of it. */
static size_t series_len(const char *rel)
{
	const char *p = rel ? strchr(rel, '.') : NULL;

	if (!p)
		return rel ? strlen(rel) : 0;
	p = strchr(p + 1, '.');
	return p ? (size_t)(p - rel) : strlen(rel);
}

/* Entries of one series, arch, flavour and compat level share most of
 * their types: one of them is stored plain, the others as deltas on it. */
static bool same_group(const struct btfa_entry *a, const struct btfa_entry *b)
{
	size_t la = series_len(a->release), lb = series_len(b->release);

	return la == lb && !memcmp(a->release, b->release, la) &&
	       !strcmp0(a->arch, b->arch) && !strcmp0(a->flavour, b->flavour) &&
	       a->compat == b->compat;
}

/*
 * Chooses the encoding of every new entry of v[0..n) (sorted): in each
 * group, the reference is the group's first plain entry kept from the
 * archive, else its middle new entry, which is stored plain; the group's
 * other new entries become deltas on it. A group of one new entry and no
 * kept one is stored plain.
 */
static bool deltable(const struct wentry *w)
{
	return !btf_delta__check(w->data, w->size, NULL);
}

static void plan_deltas(struct wentry *v, size_t n, bool no_delta)
{
	size_t i, j;
	size_t *members;
	bool *ok;

	for (i = 0; i < n; i++)
		if (v[i].data) {
			v[i].e.encoding = BTFA_ENC_PLAIN;
			v[i].e.ref_frame_off = 0;
			v[i].ref = SIZE_MAX;
		}
	if (no_delta)
		return;
	members = malloc((n + 1) * sizeof(*members));
	ok = calloc(n + 1, sizeof(*ok));
	if (!members || !ok) {
		free(members);
		free(ok);
		return; /* all plain: correct, only larger */
	}
	for (i = 0; i < n; i++)
		ok[i] = v[i].data ? deltable(&v[i]) : true;
	for (i = 0; i < n; i++) {
		size_t cnt = 0, ref = SIZE_MAX, fresh = 0;

		if (!v[i].data || !ok[i] || v[i].ref != SIZE_MAX)
			continue;
		/* a group is handled at its first new member */
		for (j = 0; j < i; j++)
			if (v[j].data && ok[j] && same_group(&v[j].e, &v[i].e))
				break;
		if (j < i)
			continue;
		for (j = 0; j < n; j++) {
			if (!ok[j] || !same_group(&v[j].e, &v[i].e))
				continue;
			if (!v[j].data) {
				if (ref == SIZE_MAX &&
				    v[j].e.encoding == BTFA_ENC_PLAIN)
					ref = j;
				continue;
			}
			members[cnt++] = j;
			fresh++;
		}
		if (ref == SIZE_MAX) {
			if (fresh < 2)
				continue;
			ref = members[cnt / 2];
		}
		for (j = 0; j < cnt; j++) {
			struct wentry *w = &v[members[j]];

			if (members[j] == ref)
				continue;
			w->e.encoding = BTFA_ENC_DELTA;
			w->ref = ref;
			w->ref_data = v[ref].data;
			w->ref_size = v[ref].size;
		}
	}
	free(members);
	free(ok);
}

/* --- compression -------------------------------------------------------- */

struct zjob {
	struct wentry *v;
	size_t n;
	const ZSTD_CDict *cdict;
	uint32_t dict_id;
	int level;
	pthread_mutex_t lock;
	size_t next; /* next entry to take */
	int err;
	size_t err_idx;
	struct diag d;
};

static int ceil_log2(uint64_t v)
{
	int l = 0;

	while (l < 62 && ((uint64_t)1 << l) < v)
		l++;
	return l;
}

/* Compresses w into w->frame: plain with cdict, or as a delta. */
static int compress_one(ZSTD_CCtx *cctx, struct wentry *w, const struct zjob *j,
			struct diag *d)
{
	const void *src = w->data;
	size_t src_len = w->size, bound, z;
	void *enc = NULL;
	int err;

	ZSTD_CCtx_reset(cctx, ZSTD_reset_session_and_parameters);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, j->level);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_nbWorkers, 0);
	if (w->e.encoding == BTFA_ENC_DELTA) {
		size_t enc_len;
		int wlog;

		err = btf_delta__encode(w->ref_data, w->ref_size, w->data,
					w->size, &enc, &enc_len, NULL, d);
		if (err == -EINVAL) {
			/* a blob the delta cannot describe: plain */
			w->e.encoding = BTFA_ENC_PLAIN;
			w->ref = SIZE_MAX;
			return compress_one(cctx, w, j, d);
		}
		if (err)
			return err;
		src = enc;
		src_len = enc_len;
		wlog = ceil_log2((uint64_t)w->ref_size + enc_len);
		if (wlog < 10)
			wlog = 10;
		if (wlog > BTFA_DELTA_WLOG_MAX) {
			free(enc);
			w->e.encoding = BTFA_ENC_PLAIN;
			w->ref = SIZE_MAX;
			return compress_one(cctx, w, j, d);
		}
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, wlog);
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_enableLongDistanceMatching,
				       1);
		ZSTD_CCtx_refPrefix(cctx, w->ref_data, w->ref_size);
	} else if (j->cdict) {
		ZSTD_CCtx_refCDict(cctx, j->cdict);
	}
	bound = ZSTD_compressBound(src_len);
	w->frame = malloc(bound);
	if (!w->frame) {
		free(enc);
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	z = ZSTD_compress2(cctx, w->frame, bound, src, src_len);
	free(enc);
	if (ZSTD_isError(z)) {
		diag_set(d, "zstd: %s", ZSTD_getErrorName(z));
		return -EIO;
	}
	w->frame_len = z;
	w->e.frame_size = z;
	w->e.blob_size = w->size;
	w->e.dict_id =
		w->e.encoding == BTFA_ENC_PLAIN && j->cdict ? j->dict_id : 0;
	return 0;
}

static void *zworker(void *arg)
{
	struct zjob *j = arg;
	ZSTD_CCtx *cctx = ZSTD_createCCtx();

	for (;;) {
		struct diag d = {{0}};
		size_t i;
		int err;

		pthread_mutex_lock(&j->lock);
		i = j->next++;
		if (!cctx && !j->err) {
			j->err = -ENOMEM;
			j->err_idx = i;
			diag_set(&j->d, "out of memory");
		}
		pthread_mutex_unlock(&j->lock);
		if (i >= j->n || !cctx)
			break;
		if (!j->v[i].data)
			continue;
		err = compress_one(cctx, &j->v[i], j, &d);
		if (err) {
			pthread_mutex_lock(&j->lock);
			/* the first failing entry in order, whatever the
			 * threads' timing */
			if (!j->err || i < j->err_idx) {
				j->err = err;
				j->err_idx = i;
				j->d = d;
			}
			pthread_mutex_unlock(&j->lock);
		}
	}
	ZSTD_freeCCtx(cctx);
	return NULL;
}

/*
 * Compresses every new blob of v (those with data) on up to threads
 * threads, then places the frames in entry order in out, whose first byte
 * will sit at file offset base; sets frame_off/size, blob_size, dict_id,
 * and ref_frame_off of the deltas. blob_sha256 was set by wentries_new.
 */
static int compress_frames(struct wentry *v, size_t n, const void *dict,
			   size_t dict_len, uint32_t dict_id, int level,
			   int threads, uint64_t base, struct buf *out,
			   struct diag *d)
{
	struct zjob j = {.v = v, .n = n, .dict_id = dict_id, .level = level};
	pthread_t tid[64];
	int i, started = 0;
	size_t k;

	if (threads < 1)
		threads = 1;
	if (threads > 64)
		threads = 64;
	pthread_mutex_init(&j.lock, NULL);
	if (dict_len) {
		j.cdict = ZSTD_createCDict(dict, dict_len, level);
		if (!j.cdict) {
			pthread_mutex_destroy(&j.lock);
			diag_set(d, "zstd cannot load the dictionary");
			return -EINVAL;
		}
	}
	for (i = 1; i < threads; i++)
		if (!pthread_create(&tid[started], NULL, zworker, &j))
			started++;
	zworker(&j);
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	pthread_mutex_destroy(&j.lock);
	ZSTD_freeCDict((ZSTD_CDict *)j.cdict);
	if (j.err) {
		*d = j.d;
		diag_prefix(d, "%s: ", v[j.err_idx].e.release);
		return j.err;
	}
	for (k = 0; k < n; k++) {
		struct wentry *w = &v[k];

		if (!w->data)
			continue;
		w->e.frame_off = base + out->len;
		buf_add(out, w->frame, w->frame_len);
		free(w->frame);
		w->frame = NULL;
	}
	for (k = 0; k < n; k++)
		if (v[k].data && v[k].e.encoding == BTFA_ENC_DELTA)
			v[k].e.ref_frame_off = v[v[k].ref].e.frame_off;
	if (out->err) {
		diag_set(d, "out of memory");
		return out->err;
	}
	return 0;
}

static size_t plain_new(const struct wentry *v, size_t n);

/*
 * Whether a trained dictionary pays for its bytes: the first 2 MiB of every
 * blob stored whole (all of a smaller one) compressed with and without it
 * at the archive's level; the bytes saved must exceed the dictionary's
 * size. A dictionary helps a frame while the frame has little history of
 * its own, that is near its start: the saving on the first 2 MiB is about
 * the saving on the whole frame. (Scaling the saving on slices by the blob
 * size, the first way tried, kept a 512 KiB dictionary that saved 220 KB
 * on ten 27 MB blobs.)
 */
static bool dict_pays(const struct wentry *v, size_t n, const void *dict,
		      size_t dict_len, int level)
{
	size_t i, cap = 2 << 20, bound = ZSTD_compressBound(cap);
	ZSTD_CCtx *c = ZSTD_createCCtx();
	ZSTD_CDict *cd = ZSTD_createCDict(dict, dict_len, level);
	uint64_t with = 0, without = 0;
	void *out = malloc(bound);
	bool ok = false;

	if (!c || !cd || !out)
		goto out;
	for (i = 0; i < n; i++) {
		const struct wentry *w = &v[i];
		size_t len, a, b;

		if (!w->data || w->e.encoding != BTFA_ENC_PLAIN)
			continue;
		len = w->size < cap ? w->size : cap;
		a = ZSTD_compressCCtx(c, out, bound, w->data, len, level);
		b = ZSTD_compress_usingCDict(c, out, bound, w->data, len, cd);
		if (ZSTD_isError(a) || ZSTD_isError(b))
			goto out;
		without += a;
		with += b;
	}
	ok = with < without && without - with > dict_len;
out:
	ZSTD_freeCCtx(c);
	ZSTD_freeCDict(cd);
	free(out);
	return ok;
}

/* Trains the dictionary of the blobs stored whole, per o's dict_mode; *len
 * is 0 when there is none. */
static int choose_dict(const struct wentry *v, size_t n,
		       const struct btfa_write_opts *o, size_t dict_size,
		       int level, void **dict, size_t *len)
{
	enum btfa_dict_mode mode = o ? o->dict_mode : BTFA_DICT_AUTO;
	int err;

	*dict = NULL;
	*len = 0;
	if (mode == BTFA_DICT_NEVER ||
	    (mode == BTFA_DICT_AUTO && plain_new(v, n) < 2))
		return 0;
	err = train_dict(v, n, dict_size, dict, len);
	if (err || !*len || mode == BTFA_DICT_ALWAYS)
		return err;
	if (!dict_pays(v, n, *dict, *len, level)) {
		free(*dict);
		*dict = NULL;
		*len = 0;
	}
	return 0;
}

/* New entries to be stored plain. */
static size_t plain_new(const struct wentry *v, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += v[i].data && v[i].e.encoding == BTFA_ENC_PLAIN;
	return c;
}

static void phase(const struct btfa_write_opts *o, const char *name)
{
	if (o && o->phase)
		o->phase(name, o->phase_ctx);
}

/* New blobs as wentry, their blob_sha256 computed (for sorting). */
static struct wentry *wentries_new(const struct btfa_blob_in *blobs, size_t n,
				   size_t extra)
{
	struct wentry *v;
	size_t i;

	if (n > SIZE_MAX / sizeof(*v) - extra - 1)
		return NULL;
	v = calloc(n + extra + 1, sizeof(*v));
	if (!v)
		return NULL;
	for (i = 0; i < n; i++) {
		struct sha256 sh;

		v[extra + i].e = blobs[i].e;
		v[extra + i].data = blobs[i].data;
		v[extra + i].size = blobs[i].size;
		v[extra + i].mods = blobs[i].modules;
		v[extra + i].mod_cnt = blobs[i].module_cnt;
		sha256_init(&sh);
		sha256_update(&sh, blobs[i].data, blobs[i].size);
		sha256_final(&sh, v[extra + i].e.blob_sha256);
	}
	return v;
}

/* Sorts v and drops exact duplicates; returns the new count. */
static size_t sort_unique(struct wentry *v, size_t n)
{
	size_t i, k = 0;

	qsort(v, n, sizeof(*v), wentry_cmp);
	for (i = 0; i < n; i++) {
		if (k && !entry_cmp(&v[k - 1].e, &v[i].e)) {
			/* keep the kept entry's frame over a new copy */
			if (v[k - 1].data && !v[i].data)
				v[k - 1] = v[i];
			continue;
		}
		v[k++] = v[i];
	}
	return k;
}

static void put_header(uint8_t *h, uint64_t index_off, const void *index,
		       size_t index_size)
{
	struct sha256 sh;

	memset(h, 0, BTFA_HDR_SIZE);
	memcpy(h, BTFA_MAGIC, 8);
	le32_put(h + 8, BTFA_VERSION);
	le32_put(h + 12, 0);
	le64_put(h + 16, index_off);
	le64_put(h + 24, index_size);
	sha256_init(&sh);
	sha256_update(&sh, index, index_size);
	sha256_final(&sh, h + 32);
}

int btfa_write(const char *path, const struct btfa_blob_in *blobs, size_t n,
	       const struct btfa_write_opts *o, struct diag *d)
{
	size_t dict_size = o && o->dict_size ? o->dict_size : 512 << 10;
	int level = o && o->level ? o->level : 19;
	struct buf file = {0}, idx = {0};
	struct btfa_dict dict = {0};
	void *dict_data = NULL;
	size_t dict_len = 0, idx_off, i;
	struct wentry *v;
	int err;

	v = wentries_new(blobs, n, 0);
	if (!v) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	n = sort_unique(v, n);
	plan_deltas(v, n, o && o->no_delta);
	phase(o, "train");
	err = choose_dict(v, n, o, dict_size, level, &dict_data, &dict_len);
	if (err) {
		diag_set(d, "out of memory");
		goto out;
	}
	buf_grow(&file, BTFA_HDR_SIZE);
	if (dict_len) {
		dict.dict_id = ZDICT_getDictID(dict_data, dict_len);
		dict.off = file.len;
		dict.size = dict_len;
		buf_add(&file, dict_data, dict_len);
	}
	if (file.err) {
		err = file.err;
		diag_set(d, "out of memory");
		goto out;
	}
	phase(o, "compress");
	err = compress_frames(v, n, dict_data, dict_len, dict.dict_id, level,
			      o ? o->threads : 1, 0, &file, d);
	if (err)
		goto out;
	err = build_index(v, n, &dict, dict_len ? 1 : 0, &idx, d);
	if (err)
		goto out;
	idx_off = file.len;
	err = compress_index(&idx, &file, d);
	if (err)
		goto out;
	put_header(file.p, idx_off, file.p + idx_off, file.len - idx_off);
	phase(o, "commit");
	err = file_write_atomic(path, file.p, file.len, d);
	if (!err)
		err = n > INT32_MAX ? INT32_MAX : (int)n;
out:
	for (i = 0; i < n; i++)
		free(v[i].frame);
	free(dict_data);
	free(file.p);
	free(idx.p);
	free(v);
	return err;
}

static int write_full(int fd, const void *data, size_t size, uint64_t off)
{
	const uint8_t *p = data;

	while (size) {
		ssize_t w = pwrite(fd, p, size, (off_t)off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (w == 0)
			return -EIO;
		p += w;
		size -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* The archive's most recently written dictionary (largest offset). */
static const struct btfa_dict *latest_dict(const struct btfa_reader *r)
{
	const struct btfa_dict *best = NULL;
	uint32_t i;

	for (i = 0; i < r->dict_cnt; i++)
		if (!best || r->dicts[i].off > best->off)
			best = &r->dicts[i];
	return best;
}

int btfa_append(const char *path, const struct btfa_blob_in *blobs, size_t n,
		const struct btfa_write_opts *o, size_t *added, struct diag *d)
{
	size_t dict_size = o && o->dict_size ? o->dict_size : 512 << 10;
	int level = o && o->level ? o->level : 19;
	struct btfa_reader r = {.fd = -1};
	struct buf tail = {0}, idx = {0};
	struct btfa_module_in *old_mods = NULL;
	uint32_t *old_ranges = NULL;
	struct btfa_dict *dicts = NULL;
	uint32_t dict_cnt, new_dict_id = 0;
	void *dict_data = NULL;
	size_t dict_len = 0, i, k, total = 0, fresh = 0;
	uint64_t base, idx_off;
	uint8_t hdr[BTFA_HDR_SIZE], old_hdr[BTFA_HDR_SIZE];
	struct wentry *v = NULL;
	int fd, err;

	if (added)
		*added = 0;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		diag_set(d, "cannot open: %s", strerror(errno));
		return err;
	}
	/* one writer at a time */
	if (flock(fd, LOCK_EX) < 0) {
		err = -errno;
		diag_set(d, "cannot lock: %s", strerror(errno));
		close(fd);
		return err;
	}
	err = btfa_reader__open(&r, path, d);
	if (err)
		goto out;
	base = r.file_size;

	/* the kept entries, then the new ones */
	v = wentries_new(blobs, n, r.entry_cnt);
	old_mods = calloc(r.module_cnt + 1, sizeof(*old_mods));
	old_ranges = calloc(2 * (size_t)r.range_cnt + 1, sizeof(*old_ranges));
	dicts = calloc(r.dict_cnt + 2, sizeof(*dicts));
	if (!v || !old_mods || !old_ranges || !dicts) {
		diag_set(d, "out of memory");
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < r.range_cnt; i++) {
		old_ranges[2 * i] = r.ranges[i].first;
		old_ranges[2 * i + 1] = r.ranges[i].count;
	}
	for (i = 0; i < r.module_cnt; i++) {
		old_mods[i].name = r.modules[i].name;
		old_mods[i].types = r.modules[i].types;
		old_mods[i].ranges = old_ranges + 2 * r.modules[i].range_first;
		old_mods[i].range_cnt = r.modules[i].range_cnt;
	}
	for (i = 0; i < r.entry_cnt; i++) {
		v[i].e = r.entries[i];
		v[i].mods = old_mods + r.entries[i].module_first;
		v[i].mod_cnt = r.entries[i].module_cnt;
	}
	total = sort_unique(v, r.entry_cnt + n);
	for (i = 0; i < total; i++)
		fresh += v[i].data != NULL;
	if (!fresh) {
		err = 0;
		goto out;
	}
	memcpy(dicts, r.dicts, sizeof(*dicts) * r.dict_cnt);
	dict_cnt = r.dict_cnt;

	/* deltas on entries kept from the archive need their blobs */
	plan_deltas(v, total, o && o->no_delta);
	for (i = 0; i < total; i++) {
		struct wentry *w = &v[i];
		size_t j;

		if (!w->data || w->e.encoding != BTFA_ENC_DELTA ||
		    v[w->ref].data)
			continue;
		for (j = 0; j < i; j++)
			if (v[j].data && v[j].ref == w->ref)
				break;
		if (j < i) {
			w->ref_data = v[j].ref_data;
			w->ref_size = v[j].ref_size;
			continue;
		}
		for (j = 0; j < r.entry_cnt; j++)
			if (r.entries[j].frame_off == v[w->ref].e.frame_off &&
			    r.entries[j].encoding == BTFA_ENC_PLAIN)
				break;
		err = j < r.entry_cnt ? btfa_reader__read(&r, (uint32_t)j,
							  &w->ref_owned,
							  &w->ref_size, d)
				      : -ENOENT;
		if (err) {
			diag_prefix(d, "reference %s: ", v[w->ref].e.release);
			goto out;
		}
		w->ref_data = w->ref_owned;
	}

	if ((o && o->new_dict) || !r.dict_cnt) {
		phase(o, "train");
		err = choose_dict(v, total, o, dict_size, level, &dict_data,
				  &dict_len);
		if (err) {
			diag_set(d, "out of memory");
			goto out;
		}
		if (dict_len) {
			new_dict_id = ZDICT_getDictID(dict_data, dict_len);
			if (btfa_reader__dict(&r, new_dict_id)) {
				diag_set(d,
					 "the new dictionary's id %u is "
					 "already in the archive",
					 new_dict_id);
				err = -EEXIST;
				goto out;
			}
			dicts[dict_cnt].dict_id = new_dict_id;
			dicts[dict_cnt].off = base;
			dicts[dict_cnt].size = dict_len;
			dict_cnt++;
			buf_add(&tail, dict_data, dict_len);
		}
	} else if (plain_new(v, total)) {
		const struct btfa_dict *di = latest_dict(&r);

		if (di) {
			dict_data = malloc(di->size ? (size_t)di->size : 1);
			if (!dict_data) {
				diag_set(d, "out of memory");
				err = -ENOMEM;
				goto out;
			}
			err = pread_full(r.fd, dict_data, (size_t)di->size,
					 di->off);
			if (err) {
				diag_set(d, "dictionary: read error: %s",
					 strerror(-err));
				goto out;
			}
			if (ZDICT_getDictID(dict_data, (size_t)di->size) !=
			    di->dict_id) {
				diag_set(d,
					 "dictionary at %llu: not a zstd "
					 "dictionary of id %u",
					 (unsigned long long)di->off,
					 di->dict_id);
				err = -EBADMSG;
				goto out;
			}
			dict_len = (size_t)di->size;
			new_dict_id = di->dict_id;
		}
	}
	if (tail.err) {
		err = tail.err;
		diag_set(d, "out of memory");
		goto out;
	}
	phase(o, "compress");
	err = compress_frames(v, total, dict_data, dict_len, new_dict_id, level,
			      o ? o->threads : 1, base, &tail, d);
	if (err)
		goto out;
	err = build_index(v, total, dicts, dict_cnt, &idx, d);
	if (err)
		goto out;
	idx_off = base + tail.len;
	k = tail.len;
	err = compress_index(&idx, &tail, d);
	if (err)
		goto out;
	put_header(hdr, idx_off, tail.p + k, tail.len - k);

	err = write_full(fd, tail.p, tail.len, base);
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (err) {
		diag_set(d, "write at %llu: %s", (unsigned long long)base,
			 strerror(-err));
		goto out;
	}
	phase(o, "commit");
	if (pread(fd, old_hdr, sizeof(old_hdr), 0) !=
	    (ssize_t)sizeof(old_hdr)) {
		err = errno ? -errno : -EIO;
		diag_set(d, "header: cannot read it back: %s", strerror(-err));
		goto out;
	}
	err = write_full(fd, hdr, sizeof(hdr), 0);
	if (!err && fsync(fd) < 0)
		err = -errno;
	if (err) {
		/* a write that failed part way may have torn the header: put
		 * the old one back, so the archive reads as before the add */
		int undo = write_full(fd, old_hdr, sizeof(old_hdr), 0);

		if (!undo && fsync(fd) < 0)
			undo = -errno;
		diag_set(d, "header: %s%s", strerror(-err),
			 undo ? "; the old header could not be restored either"
			      : "; the archive is as it was");
		goto out;
	}
	if (added)
		*added = fresh;
out:
	btfa_reader__close(&r);
	close(fd);
	for (i = 0; v && i < total; i++) {
		free(v[i].ref_owned);
		free(v[i].frame);
	}
	free(v);
	free(old_mods);
	free(old_ranges);
	free(dicts);
	free(dict_data);
	free(tail.p);
	free(idx.p);
	return err;
}
