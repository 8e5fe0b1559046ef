// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * btfa reader: the .btfa container, format version 4 (docs/FORMAT.md), and
 * version 1 to 3 archives, over a source (a file, memory, HTTP ranges).
 *
 * An archive is a 64-byte header naming one live index, then dictionaries,
 * frames and indexes in any order (an append leaves dead ones behind). The
 * index lists dictionaries, entries (one per blob), modules and type id
 * ranges, and a string table. An entry's frame holds its blob whole
 * (encoding 0: zstd, with a trained dictionary or none) or a delta (encoding
 * 1: btf_delta's payload, compressed with the blob of a whole entry of its
 * series as zstd prefix, no dictionary). Version 2 writes a range's first id
 * as the gap from the end of its module's previous range; version 1 wrote
 * ids and had no deltas (entry bytes 140..151 reserved). Version 3 moves
 * the module and range tables into one module block per entry (read by
 * btfa_reader__load_modules) and may follow the index frame with a
 * signature block. Version 4 may store a module block as a zstd frame on
 * another entry's block (mods_ref_off), which is loaded first.
 *
 * Open: header (magic, version, flags) -> index bounds and SHA-256 -> index
 * frame decompressed to exactly its content size (capped) -> every count,
 * table, string, delta reference and range checked once (parse_index).
 * Read: frames and dictionaries are checked (bounds, frame header, size,
 * dictionary id) each time an entry is read, the blob against its SHA-256,
 * so a bad frame fails that entry alone; a delta entry first reads its
 * reference (kept for the next delta on it), then decodes.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>
#include <zstd.h>

#include "btf_compat.h"
#include "btf_delta.h"
#include "btf_streams.h"
#include "btfa.h"
#include "btfa_int.h"
#include "hex.h"
#include "le.h"
#include "mem.h"
#include "thread.h"
#include "sha256.h"
#include "varint.h"

int btfa_pread_full(int fd, void *buf, size_t size, uint64_t off)
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

struct file_src {
	struct btfa_src s;
	int fd;
};

static int file_pread(struct btfa_src *s, void *buf, size_t size, uint64_t off,
		      struct diag *d)
{
	int err = btfa_pread_full(((struct file_src *)s)->fd, buf, size, off);

	if (err)
		diag_set(d, "read error at %llu: %s", (unsigned long long)off,
			 err == -EIO ? "the file is shorter" : strerror(-err));
	return err;
}

/*
 * A frame of the archive mapped from the page cache instead of copied
 * into fresh memory: on a machine that hands freed memory back to its
 * hypervisor, faulting in a 5 MB copy costs more than the copy. The map is
 * private and read only; the archive is not expected to shrink while it
 * is read (btfar replaces an archive by renaming a new file over it),
 * which would end the process with SIGBUS where pread reports "the file is
 * shorter". NULL (the caller preads) where mmap fails.
 */
static const void *file_map(struct btfa_src *s, uint64_t off, size_t size,
			    void **base, size_t *len)
{
	uint64_t a = off & ~(uint64_t)4095;
	void *m;

	*base = NULL;
	*len = 0;
	if (!size || off - a > SIZE_MAX - size)
		return NULL;
	m = mmap(NULL, size + (size_t)(off - a), PROT_READ,
		 MAP_PRIVATE | MAP_POPULATE, ((struct file_src *)s)->fd,
		 (off_t)a);
	if (m == MAP_FAILED)
		return NULL;
	*base = m;
	*len = size + (size_t)(off - a);
	return (const uint8_t *)m + (off - a);
}

static void file_unmap(struct btfa_src *s, void *base, size_t len)
{
	(void)s;
	munmap(base, len);
}

static void file_free(struct btfa_src *s)
{
	close(((struct file_src *)s)->fd);
	free(s);
}

struct btfa_src *btfa_src__file(const char *path, struct diag *d)
{
	struct file_src *f = calloc(1, sizeof(*f));
	struct stat st;
	int err;

	if (!f) {
		diag_set(d, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0) {
		err = errno;
		diag_set(d, "cannot open: %s", strerror(err));
		goto fail;
	}
	if (fstat(f->fd, &st) < 0) {
		err = errno;
		diag_set(d, "cannot stat: %s", strerror(err));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_set(d, "not a regular file");
		err = EINVAL;
		goto fail;
	}
	f->s.size = (uint64_t)st.st_size;
	f->s.pread = file_pread;
	f->s.map = file_map;
	f->s.unmap = file_unmap;
	f->s.free = file_free;
	return &f->s;
fail:
	if (f->fd >= 0)
		close(f->fd);
	free(f);
	errno = err;
	return NULL;
}

struct mem_src {
	struct btfa_src s;
	const uint8_t *p;
};

static int mem_pread(struct btfa_src *s, void *buf, size_t size, uint64_t off,
		     struct diag *d)
{
	if (!btfa_in_bounds(off, size, s->size)) {
		diag_set(d, "read at %llu past the end",
			 (unsigned long long)off);
		return -EIO;
	}
	memcpy(buf, ((struct mem_src *)s)->p + off, size);
	return 0;
}

static const void *mem_map(struct btfa_src *s, uint64_t off, size_t size,
			   void **base, size_t *len)
{
	*base = NULL;
	*len = 0;
	if (!btfa_in_bounds(off, size, s->size))
		return NULL;
	return ((struct mem_src *)s)->p + off;
}

static void mem_free(struct btfa_src *s)
{
	free(s);
}

struct btfa_src *btfa_src__mem(const void *data, size_t size)
{
	struct mem_src *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->p = data;
	m->s.size = size;
	m->s.pread = mem_pread;
	m->s.map = mem_map;
	m->s.free = mem_free;
	return &m->s;
}

int btfa_reader__pread(struct btfa_reader *r, void *buf, size_t size,
		       uint64_t off, struct diag *d)
{
	r->bytes_read += size;
	return r->src->pread(r->src, buf, size, off, d);
}

uint64_t btfa_mods_block_len(const uint8_t *blk)
{
	uint64_t mcnt = le32_get(blk + 8), rcnt = le32_get(blk + 12);

	if (!memcmp(blk, BTFA_MODS_MAGIC2, 8))
		return BTFA_MODS_HDR_SIZE + BTFA_MODULE2_SIZE * mcnt +
		       BTFA_RANGE2_SIZE * rcnt + le32_get(blk + 16);
	/* layout 3: the runs, counted at 20, instead of ranges */
	if (!memcmp(blk, BTFA_MODS_MAGIC3, 8))
		return BTFA_MODS_HDR_SIZE + BTFA_MODULE3_SIZE * mcnt +
		       BTFA_RUN3_SIZE * (uint64_t)le32_get(blk + 20) +
		       le32_get(blk + 16);
	return BTFA_MODS_HDR_SIZE + BTFA_MODULE_SIZE * mcnt +
	       BTFA_RANGE_SIZE * rcnt + le32_get(blk + 16);
}

bool btfa_compat_ok(uint32_t compat)
{
	return !compat ||
	       strcmp(btf_compat__level_name((enum btf_compat_level)compat),
		      "?");
}

/* s for a message: at most 64 bytes, bytes outside printable ASCII as
 * \xNN. */
static void label_escape(const char *s, char *out, size_t out_sz)
{
	size_t n = 0, i;

	for (i = 0; s[i] && i < 64 && n + 5 < out_sz; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			n += (size_t)snprintf(out + n, out_sz - n, "\\x%02x",
					      c);
		else
			out[n++] = (char)c;
	}
	if (s[i] && n + 4 < out_sz)
		n += (size_t)snprintf(out + n, out_sz - n, "...");
	out[n] = '\0';
}

static int check_label(const char *field, const char *s, bool path_ok,
		       struct diag *d)
{
	const char *why = NULL;
	char esc[400];
	size_t i, n = strlen(s);

	if (n > BTFA_LABEL_MAX)
		why = "longer than 255 bytes";
	for (i = 0; !why && i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			why = "holds a control character";
	if (!why && !path_ok && strchr(s, '/'))
		why = "holds a '/'";
	if (!why && !path_ok && strstr(s, ".."))
		why = "holds \"..\"";
	if (!why)
		return 0;
	label_escape(s, esc, sizeof(esc));
	diag_set(d, "%s \"%s\" %s (labels are file name components)", field,
		 esc, why);
	return -EINVAL;
}

int btfa_check_strs(const struct btfa_entry *e, struct diag *d)
{
	const char *names[] = {"release",	 "arch",    "distro",
			       "distro_version", "flavour", "build_id",
			       "source"};
	const char *vals[] = {e->release,	 e->arch,    e->distro,
			      e->distro_version, e->flavour, e->build_id,
			      e->source};
	uint32_t k;
	int err;

	for (k = 0; k < 7; k++) {
		err = check_label(names[k], vals[k] ? vals[k] : "", k == 6, d);
		if (err)
			return err;
	}
	return 0;
}

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

/* The first of v[0..n) (sorted by frame_ref_cmp) at off, or n: none. */
static uint32_t frame_ref_find(const struct frame_ref *v, uint32_t n,
			       uint64_t off)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (v[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo].off == off ? lo : n;
}

/*
 * What an entry refers to by offset: a delta entry, the frame of a whole
 * entry (its reference); version 4, a module block stored as a delta, the
 * module block, stored whole, of another entry.
 */
enum ref_kind { REF_FRAME, REF_MODS };

/* Whether entry e can be referred to as kind, and at which offset. */
static bool ref_target(const struct btfa_entry *e, enum ref_kind kind,
		       uint64_t *off)
{
	if (kind == REF_FRAME) {
		*off = e->frame_off;
		return btfa_enc_whole(e->encoding);
	}
	*off = e->mods_off;
	return e->mods_size && !e->mods_ref_off;
}

/* Whether entry e refers to another as kind, and to which offset. */
static bool ref_source(const struct btfa_entry *e, enum ref_kind kind,
		       uint64_t *off)
{
	if (kind == REF_FRAME) {
		*off = e->ref_frame_off;
		return e->encoding == BTFA_ENC_DELTA;
	}
	*off = e->mods_ref_off;
	return e->mods_ref_off != 0;
}

/*
 * Each reference of kind resolved to the index of the entry it names
 * (ref_idx, mods_ref_idx); an offset that names no such entry is refused.
 */
static int resolve_refs(struct btfa_reader *r, enum ref_kind kind,
			struct diag *d)
{
	struct frame_ref *v;
	uint32_t i, n = 0;
	uint64_t off;
	int err = 0;

	for (i = 0; i < r->entry_cnt; i++)
		if (ref_source(&r->entries[i], kind, &off))
			break;
	if (i == r->entry_cnt)
		return 0;
	v = malloc(((size_t)r->entry_cnt + 1) * sizeof(*v));
	if (!v) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < r->entry_cnt; i++)
		if (ref_target(&r->entries[i], kind, &off))
			v[n++] = (struct frame_ref){off, i};
	qsort(v, n, sizeof(*v), frame_ref_cmp);
	for (i = 0; i < r->entry_cnt && !err; i++) {
		struct btfa_entry *e = &r->entries[i];
		uint32_t lo;

		if (!ref_source(e, kind, &off))
			continue;
		lo = frame_ref_find(v, n, off);
		if (kind == REF_FRAME && lo < n) {
			e->ref_idx = v[lo].idx;
		} else if (kind == REF_MODS && e->mods_size && lo < n) {
			e->mods_ref_idx = v[lo].idx;
		} else {
			diag_set(
				d,
				kind == REF_FRAME
					? "index: entry %u (%s): its reference "
					  "frame at %llu is not the frame of a "
					  "whole entry"
					: "index: entry %u (%s): its module "
					  "block's reference at %llu is not "
					  "the "
					  "module block, stored whole, of an "
					  "entry",
				i, e->release, (unsigned long long)off);
			err = -EBADMSG;
		}
	}
	free(v);
	return err;
}

/* Where each table of the decompressed index starts (parse_index). */
struct index_view {
	const uint8_t *dicts, *entries, *modules, *ranges;
	const char *strtab;
	uint32_t strtab_size;
};

static size_t entry_size(const struct btfa_reader *r)
{
	return r->version >= 4	 ? BTFA_ENTRY_SIZE
	       : r->version == 3 ? BTFA_ENTRY_SIZE_V3
				 : BTFA_ENTRY_SIZE_V2;
}

/* The index header: magic, counts, and a size that is exactly their sum. */
static int parse_index_hdr(struct btfa_reader *r, struct index_view *x,
			   struct diag *d)
{
	const uint8_t *p = r->index;
	uint64_t need;

	if (r->index_len < BTFA_IDX_HDR_SIZE || memcmp(p, BTFA_IDX_MAGIC, 8)) {
		diag_set(d, "index: bad magic (expected \"BTFAIDX\")");
		return -EBADMSG;
	}
	r->dict_cnt = le32_get(p + 8);
	r->entry_cnt = le32_get(p + 12);
	r->module_cnt = le32_get(p + 16);
	r->range_cnt = le32_get(p + 20);
	x->strtab_size = le32_get(p + 24);
	if (le32_get(p + 28)) {
		diag_set(d, "index: reserved field is %u, expected 0",
			 le32_get(p + 28));
		return -EBADMSG;
	}
	/* every count is < 2^32, so this sum cannot overflow 64 bits;
	 * version 3 keeps modules and ranges in blocks outside the index */
	need = BTFA_IDX_HDR_SIZE + (uint64_t)BTFA_DICT_SIZE * r->dict_cnt +
	       (uint64_t)entry_size(r) * r->entry_cnt + x->strtab_size;
	if (r->version < 3)
		need += (uint64_t)BTFA_MODULE_SIZE * r->module_cnt +
			(uint64_t)BTFA_RANGE_SIZE * r->range_cnt;
	if (need != r->index_len) {
		diag_set(d,
			 "index: %zu bytes, its counts (%u dictionaries, %u "
			 "entries, %u modules, %u ranges, %u bytes of "
			 "strings) need %llu",
			 r->index_len, r->dict_cnt, r->entry_cnt, r->module_cnt,
			 r->range_cnt, x->strtab_size,
			 (unsigned long long)need);
		return -EBADMSG;
	}
	x->dicts = p + BTFA_IDX_HDR_SIZE;
	x->entries = x->dicts + (size_t)BTFA_DICT_SIZE * r->dict_cnt;
	x->modules = x->entries + (size_t)entry_size(r) * r->entry_cnt;
	x->ranges = r->version < 3 ? x->modules + (size_t)BTFA_MODULE_SIZE *
							  r->module_cnt
				   : x->modules;
	x->strtab = (const char *)p + r->index_len - x->strtab_size;
	if (x->strtab_size == 0 || x->strtab[0]) {
		diag_set(d, "index: string table does not start with the "
			    "empty string");
		return -EBADMSG;
	}
	if (r->version >= 3 && (r->module_cnt > BTFA_MAX_MODULES ||
				r->range_cnt > BTFA_MAX_RANGES)) {
		diag_set(d,
			 "index: %u modules, %u ranges: over the caps (%u, %u)",
			 r->module_cnt, r->range_cnt, BTFA_MAX_MODULES,
			 BTFA_MAX_RANGES);
		return -EFBIG;
	}
	r->dicts = calloc(r->dict_cnt + 1, sizeof(*r->dicts));
	r->ddicts = calloc(r->dict_cnt + 1, sizeof(*r->ddicts));
	r->entries = calloc(r->entry_cnt + 1, sizeof(*r->entries));
	/* version 3: the tables are filled per entry, allocated on the
	 * first module lookup */
	if (r->version < 3) {
		r->modules = calloc(r->module_cnt + 1, sizeof(*r->modules));
		r->ranges = calloc(r->range_cnt + 1, sizeof(*r->ranges));
	} else {
		r->mods_blocks = calloc(r->entry_cnt + 1, sizeof(void *));
		r->mods_pending = calloc(r->entry_cnt + 1, 1);
	}
	if (!r->dicts || !r->ddicts || !r->entries ||
	    (r->version < 3 && (!r->modules || !r->ranges)) ||
	    (r->version >= 3 && (!r->mods_blocks || !r->mods_pending))) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* Dictionaries: non-zero unique ids, bytes inside the file. */
static int parse_dicts(struct btfa_reader *r, const struct index_view *x,
		       struct diag *d)
{
	const uint8_t *q = x->dicts;
	uint32_t i, j;

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
		    !btfa_in_bounds(di->off, di->size, r->file_size)) {
			diag_set(d,
				 "index: dictionary %u (id %u) at %llu, %llu "
				 "bytes: outside the file (%llu bytes)",
				 i, di->dict_id, (unsigned long long)di->off,
				 (unsigned long long)di->size,
				 (unsigned long long)r->file_size);
			return -EBADMSG;
		}
	}
	return 0;
}

/* The strings of entry i at q. */
static int parse_entry_strs(const struct index_view *x, uint32_t i,
			    const uint8_t *q, struct btfa_entry *e,
			    struct diag *d)
{
	const char **strs[] = {&e->release,	   &e->arch,	&e->distro,
			       &e->distro_version, &e->flavour, &e->build_id};
	uint32_t k;

	for (k = 0; k < 6; k++)
		if (get_str(x->strtab, x->strtab_size, le32_get(q + 4 * k),
			    strs[k])) {
			diag_set(d,
				 "index: entry %u: string offset %u "
				 "outside the string table (%u bytes) "
				 "or not NUL-terminated",
				 i, le32_get(q + 4 * k), x->strtab_size);
			return -EBADMSG;
		}
	if (get_str(x->strtab, x->strtab_size, le32_get(q + 132), &e->source)) {
		diag_set(d,
			 "index: entry %u: source string offset %u "
			 "outside the string table",
			 i, le32_get(q + 132));
		return -EBADMSG;
	}
	if (btfa_check_strs(e, d)) {
		diag_prefix(d, "index: entry %u: ", i);
		return -EBADMSG;
	}
	return 0;
}

/* The fields of entry i after its strings, and their consistency. */
static int parse_entry_fields(struct btfa_reader *r, uint32_t i,
			      const uint8_t *q, struct btfa_entry *e,
			      struct diag *d)
{
	memcpy(e->base_sha256, q + 24, 32);
	memcpy(e->blob_sha256, q + 56, 32);
	e->frame_off = le64_get(q + 88);
	e->frame_size = le64_get(q + 96);
	e->blob_size = le64_get(q + 104);
	e->dict_id = le32_get(q + 112);
	e->base_types = le32_get(q + 116);
	e->types = le32_get(q + 120);
	e->module_cnt = le32_get(q + 128);
	if (r->version < 3) {
		e->module_first = le32_get(q + 124);
	} else {
		e->range_cnt = le32_get(q + 124);
		e->mods_off = le64_get(q + 152);
		e->mods_size = le64_get(q + 160);
		memcpy(e->mods_sha256, q + 168, 32);
	}
	if (r->version >= 4)
		e->mods_ref_off = le64_get(q + 200);
	e->compat = le32_get(q + 136);
	/* version 1: bytes 140..151 are reserved and ignored */
	if (r->version >= 2) {
		e->encoding = le32_get(q + 140);
		e->ref_frame_off = le64_get(q + 144);
	}
	/* streams entries: version 4 only; frames without dictionary */
	if (e->encoding > BTFA_ENC_STREAMS ||
	    (e->encoding == BTFA_ENC_STREAMS && r->version < 4) ||
	    (btfa_enc_whole(e->encoding) && e->ref_frame_off) ||
	    (e->encoding != BTFA_ENC_PLAIN && e->dict_id)) {
		diag_set(d,
			 "index: entry %u (%s): encoding %u with "
			 "reference %llu and dictionary %u is not "
			 "valid",
			 i, e->release, e->encoding,
			 (unsigned long long)e->ref_frame_off, e->dict_id);
		return -EBADMSG;
	}
	if (!btfa_compat_ok(e->compat)) {
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
	if (!btfa_in_bounds(e->module_first, e->module_cnt, r->module_cnt)) {
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
	return 0;
}

/*
 * Version 3: each entry's modules take the next module_cnt places of the
 * module table and its ranges the next range_cnt of the range table; the
 * counts add up to the index header's, and the module block lies in the
 * file (none for an entry without modules).
 */
static int place_modules(struct btfa_reader *r, uint32_t i, uint64_t *mods,
			 uint64_t *rngs, struct diag *d)
{
	struct btfa_entry *e = &r->entries[i];

	e->module_first = (uint32_t)*mods;
	e->range_first = (uint32_t)*rngs;
	*mods += e->module_cnt;
	*rngs += e->range_cnt;
	if (*mods > r->module_cnt || *rngs > r->range_cnt) {
		diag_set(d,
			 "index: entry %u (%s): modules or ranges past the "
			 "totals (%u modules, %u ranges)",
			 i, e->release, r->module_cnt, r->range_cnt);
		return -EBADMSG;
	}
	if (!e->module_cnt != !e->mods_size ||
	    (!e->module_cnt && (e->mods_off || e->range_cnt)) ||
	    (e->mods_size &&
	     (e->mods_off < BTFA_HDR_SIZE ||
	      !btfa_in_bounds(e->mods_off, e->mods_size, r->file_size) ||
	      e->mods_size > BTFA_MAX_INDEX))) {
		diag_set(d,
			 "index: entry %u (%s): module block at %llu, %llu "
			 "bytes, for %u modules: outside the file (%llu bytes) "
			 "or not matching",
			 i, e->release, (unsigned long long)e->mods_off,
			 (unsigned long long)e->mods_size, e->module_cnt,
			 (unsigned long long)r->file_size);
		return -EBADMSG;
	}
	return 0;
}

static int parse_entries(struct btfa_reader *r, const struct index_view *x,
			 struct diag *d)
{
	const uint8_t *q = x->entries;
	uint64_t mods = 0, rngs = 0;
	uint32_t i;
	int err;

	for (i = 0; i < r->entry_cnt; i++, q += entry_size(r)) {
		err = parse_entry_strs(x, i, q, &r->entries[i], d);
		if (!err)
			err = parse_entry_fields(r, i, q, &r->entries[i], d);
		if (!err && r->version >= 3)
			err = place_modules(r, i, &mods, &rngs, d);
		if (err)
			return err;
	}
	if (r->version >= 3 &&
	    (mods != r->module_cnt || rngs != r->range_cnt)) {
		diag_set(d,
			 "index: the entries have %llu modules and %llu "
			 "ranges, the header says %u and %u",
			 (unsigned long long)mods, (unsigned long long)rngs,
			 r->module_cnt, r->range_cnt);
		return -EBADMSG;
	}
	return 0;
}

/* Modules: names, and range slices inside the range table. */
static int parse_modules(struct btfa_reader *r, const struct index_view *x,
			 struct diag *d)
{
	const uint8_t *q = x->modules;
	uint32_t i;

	for (i = 0; i < r->module_cnt; i++, q += BTFA_MODULE_SIZE) {
		struct btfa_module *m = &r->modules[i];

		if (get_str(x->strtab, x->strtab_size, le32_get(q), &m->name)) {
			diag_set(d,
				 "index: module %u: name offset %u outside "
				 "the string table",
				 i, le32_get(q));
			return -EBADMSG;
		}
		m->range_first = le32_get(q + 4);
		m->range_cnt = le32_get(q + 8);
		m->types = le32_get(q + 12);
		if (!btfa_in_bounds(m->range_first, m->range_cnt,
				    r->range_cnt)) {
			diag_set(d,
				 "index: module %u (%s): ranges %u..+%u past "
				 "the range table (%u)",
				 i, m->name, m->range_first, m->range_cnt,
				 r->range_cnt);
			return -EBADMSG;
		}
	}
	return 0;
}

/*
 * Ranges as stored, then (version 2) their first ids: a range's first id is
 * written as its distance from the end of its module's previous range (from
 * id 1 for the first); each module's ranges follow the previous module's.
 */
static int parse_ranges(struct btfa_reader *r, const struct index_view *x,
			struct diag *d)
{
	const uint8_t *q = x->ranges;
	uint32_t i, j, k;

	for (i = 0; i < r->range_cnt; i++, q += BTFA_RANGE_SIZE) {
		r->ranges[i].first = le32_get(q);
		r->ranges[i].count = le32_get(q + 4);
	}
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
	return 0;
}

/* The ranges of entry i's modules: ids of the entry, sorted, disjoint. */
static int check_ranges(const struct btfa_reader *r, uint32_t i, struct diag *d)
{
	const struct btfa_entry *e = &r->entries[i];
	uint32_t j, k;

	for (j = 0; j < e->module_cnt; j++) {
		const struct btfa_module *m = &r->modules[e->module_first + j];
		uint64_t next = 1;

		for (k = 0; k < m->range_cnt; k++) {
			const struct btfa_range *rg =
				&r->ranges[m->range_first + k];

			if (rg->first < next || !rg->count ||
			    (uint64_t)rg->first + rg->count - 1 > e->types) {
				diag_set(d,
					 "index: entry %u (%s): module %s: "
					 "range %u:%u not sorted, empty or "
					 "past its %u types",
					 i, e->release, m->name, rg->first,
					 rg->count, e->types);
				return -EBADMSG;
			}
			next = (uint64_t)rg->first + rg->count;
		}
	}
	return 0;
}

static int check_entry_ranges(const struct btfa_reader *r, struct diag *d)
{
	uint32_t i;
	int err;

	for (i = 0; i < r->entry_cnt; i++)
		if ((err = check_ranges(r, i, d)))
			return err;
	return 0;
}

/*
 * The decompressed index, table by table, in the order of the checks a
 * corrupt index fails first: header and sizes, dictionaries, entries, delta
 * references, modules, ranges.
 */
static int parse_index(struct btfa_reader *r, struct diag *d)
{
	struct index_view x;
	int err;

	if ((err = parse_index_hdr(r, &x, d)) ||
	    (err = parse_dicts(r, &x, d)) || (err = parse_entries(r, &x, d)) ||
	    (err = resolve_refs(r, REF_FRAME, d)) ||
	    (err = resolve_refs(r, REF_MODS, d)))
		return err;
	if (r->version >= 3) /* modules: btfa_reader__load_modules */
		return 0;
	if ((err = parse_modules(r, &x, d)) || (err = parse_ranges(r, &x, d)))
		return err;
	return check_entry_ranges(r, d);
}

/* The 64-byte header: magic, version, flags, and where the index lies. */
static int read_header(struct btfa_reader *r, struct diag *d)
{
	uint8_t hdr[BTFA_HDR_SIZE];
	int err;

	if (r->file_size < BTFA_HDR_SIZE) {
		diag_set(d, "truncated: %llu bytes, the header needs %d",
			 (unsigned long long)r->file_size, BTFA_HDR_SIZE);
		return -EBADMSG;
	}
	err = btfa_reader__pread(r, hdr, sizeof(hdr), 0, d);
	if (err) {
		diag_prefix(d, "header: ");
		return err;
	}
	if (memcmp(hdr, BTFA_MAGIC, 8)) {
		diag_set(d, "not a .btfa archive (bad magic)");
		return -EBADMSG;
	}
	r->version = le32_get(hdr + 8);
	if (r->version < 1 || r->version > BTFA_VERSION) {
		diag_set(d,
			 "unsupported format version %u (this reader: 1 to %d)",
			 r->version, BTFA_VERSION);
		return -EPROTONOSUPPORT;
	}
	if (le32_get(hdr + 12)) {
		diag_set(d, "unknown header flags 0x%x", le32_get(hdr + 12));
		return -EPROTONOSUPPORT;
	}
	r->index_off = le64_get(hdr + 16);
	r->index_size = le64_get(hdr + 24);
	memcpy(r->index_sha256, hdr + 32, 32);
	if (r->index_off < BTFA_HDR_SIZE || !r->index_size ||
	    !btfa_in_bounds(r->index_off, r->index_size, r->file_size)) {
		diag_set(d,
			 "header: index at %llu, %llu bytes: outside the file "
			 "(%llu bytes; truncated?)",
			 (unsigned long long)r->index_off,
			 (unsigned long long)r->index_size,
			 (unsigned long long)r->file_size);
		return -EBADMSG;
	}
	if (r->index_size > BTFA_MAX_INDEX) {
		diag_set(d, "header: index of %llu bytes, cap is %u",
			 (unsigned long long)r->index_size, BTFA_MAX_INDEX);
		return -EFBIG;
	}
	return 0;
}

/*
 * The index area the header names: its SHA-256 checked; one zstd frame
 * decompressed to exactly its content size into r->index, then (version 3)
 * an optional signature block, kept for btfa_sig.
 */
static int load_index(struct btfa_reader *r, struct diag *d)
{
	size_t n = (size_t)r->index_size, fsz;
	unsigned long long content;
	uint8_t sum[32];
	struct sha256 sh;
	uint8_t *comp;
	int err;

	comp = malloc(n);
	if (!comp) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	r->index_area = comp;
	err = btfa_reader__pread(r, comp, n, r->index_off, d);
	if (err) {
		diag_prefix(d, "index: ");
		return err;
	}
	sha256_init(&sh);
	sha256_update(&sh, comp, n);
	sha256_final(&sh, sum);
	if (memcmp(sum, r->index_sha256, 32)) {
		diag_set(d, "index at %llu: SHA-256 mismatch (corrupt)",
			 (unsigned long long)r->index_off);
		return -EBADMSG;
	}
	content = ZSTD_getFrameContentSize(comp, n);
	fsz = ZSTD_findFrameCompressedSize(comp, n);
	if (content == ZSTD_CONTENTSIZE_ERROR ||
	    content == ZSTD_CONTENTSIZE_UNKNOWN || ZSTD_isError(fsz) ||
	    (fsz != n && r->version < 3)) {
		diag_set(d, "index: not one zstd frame with its content size");
		return -EBADMSG;
	}
	r->index_frame_size = fsz;
	if (fsz != n) {
		/* version 3: what follows the frame is a signature block */
		if (n - fsz < 8 || n - fsz > BTFA_SIG_MAX ||
		    memcmp(comp + fsz, BTFA_SIG_MAGIC, 8)) {
			diag_set(d,
				 "index: %zu bytes after its frame are not a "
				 "signature block",
				 n - fsz);
			return -EBADMSG;
		}
		r->sig = comp + fsz;
		r->sig_size = n - fsz;
	}
	if (content > BTFA_MAX_INDEX || content < BTFA_IDX_HDR_SIZE) {
		diag_set(d, "index: content size %llu outside [%d, %u]",
			 content, BTFA_IDX_HDR_SIZE, BTFA_MAX_INDEX);
		return -EBADMSG;
	}
	r->index = mem_alloc_big((size_t)content);
	if (!r->index) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	n = ZSTD_decompress(r->index, (size_t)content, comp, fsz);
	if (ZSTD_isError(n) || n != content) {
		diag_set(d, "index: zstd: %s",
			 ZSTD_isError(n) ? ZSTD_getErrorName(n)
					 : "short content");
		return -EBADMSG;
	}
	r->index_len = n;
	return 0;
}

int btfa_reader__open(struct btfa_reader *r, const char *path, struct diag *d)
{
	struct btfa_src *src = btfa_src__file(path, d);

	if (!src) {
		memset(r, 0, sizeof(*r));
		return -errno;
	}
	return btfa_reader__open_src(r, src, d);
}

int btfa_reader__open_src(struct btfa_reader *r, struct btfa_src *src,
			  struct diag *d)
{
	int err;

	memset(r, 0, sizeof(*r));
	if (!src) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	r->src = src;
	r->file_size = src->size;
	r->delta_idx = UINT32_MAX;
	err = read_header(r, d);
	if (!err && src->bind)
		src->bind(src, r->index_sha256);
	if (!err)
		err = load_index(r, d);
	if (!err)
		err = parse_index(r, d);
	if (err)
		goto fail;
	return 0;
fail:
	btfa_reader__close(r);
	return err;
}

int btfa_reader__open_mem(struct btfa_reader *r, const void *data, size_t size,
			  struct diag *d)
{
	struct btfa_src *src = btfa_src__mem(data, size);

	memset(r, 0, sizeof(*r));
	if (!src) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	return btfa_reader__open_src(r, src, d);
}

void btfa_reader__close(struct btfa_reader *r)
{
	uint32_t i;

	if (!r)
		return;
	if (r->ddicts)
		for (i = 0; i < r->dict_cnt; i++)
			ZSTD_freeDDict(r->ddicts[i]);
	if (r->mods_blocks)
		for (i = 0; i < r->entry_cnt; i++)
			free(r->mods_blocks[i]);
	if (r->src)
		r->src->free(r->src);
	free(r->mods_blocks);
	free(r->mods_pending);
	free(r->index_area);
	free(r->ddicts);
	free(r->index);
	free(r->dicts);
	free(r->entries);
	free(r->modules);
	free(r->ranges);
	free(r->ref_data);
	btf_delta_ref_free(r->ref_prep);
	free(r->scratch);
	free(r->delta);
	memset(r, 0, sizeof(*r));
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
	err = btfa_reader__pread(r, buf, (size_t)di->size, di->off, d);
	if (err) {
		free(buf);
		diag_prefix(d, "dictionary %u: ", dict_id);
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
/* With cap, *data (*cap bytes, or NULL) is reused when the content fits,
 * else freed and replaced (*cap updated): no fresh pages per frame. */
/* A frame's bytes: mapped from the source, or read into own. */
struct frame_bytes {
	const void *p;
	void *own;
	void *base; /* the source's map, or NULL */
	size_t len;
	size_t first; /* bytes of the first (or only) frame at p */
	size_t strs;  /* a second frame after it: its content size, else 0 */
};

static void frame_release(struct btfa_reader *r, struct frame_bytes *fb)
{
	free(fb->own);
	if (fb->base)
		r->src->unmap(r->src, fb->base, fb->len);
	memset(fb, 0, sizeof(*fb));
}

/* 0 when the len bytes at c are one zstd frame without dictionary that
 * holds its content size, at most max bytes and at least one: in
 * *content. */
static int second_frame(const uint8_t *c, size_t len, uint64_t max,
			size_t *content)
{
	unsigned long long n = ZSTD_getFrameContentSize(c, len);

	if (n == ZSTD_CONTENTSIZE_ERROR || n == ZSTD_CONTENTSIZE_UNKNOWN ||
	    !n || n > max || ZSTD_findFrameCompressedSize(c, len) != len ||
	    ZSTD_getDictID_fromFrame(c, len))
		return -1;
	*content = (size_t)n;
	return 0;
}

/*
 * The frame of entry e, read and checked: one zstd frame of e->frame_size
 * bytes, its dictionary the index's, holding want bytes (0: any number up
 * to max). fb holds the frame (frame_release it), *content its size
 * decompressed.
 */
static int frame_open(struct btfa_reader *r, const struct btfa_entry *e,
		      uint64_t want, uint64_t max, bool two,
		      struct frame_bytes *fb, size_t *content, struct diag *d)
{
	unsigned long long n;
	const uint8_t *c;
	size_t first;
	int err;

	memset(fb, 0, sizeof(*fb));
	*content = 0;
	if (e->frame_off < BTFA_HDR_SIZE || !e->frame_size ||
	    !btfa_in_bounds(e->frame_off, e->frame_size, r->file_size)) {
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
	if (r->src->map)
		fb->p = r->src->map(r->src, e->frame_off, (size_t)e->frame_size,
				    &fb->base, &fb->len);
	if (fb->p) {
		r->bytes_read += e->frame_size;
	} else {
		fb->p = fb->own = mem_alloc_big((size_t)e->frame_size);
		if (!fb->own) {
			diag_set(d, "out of memory");
			return -ENOMEM;
		}
		err = btfa_reader__pread(r, fb->own, (size_t)e->frame_size,
					 e->frame_off, d);
		if (err) {
			diag_prefix(d, "frame at %llu: ",
				    (unsigned long long)e->frame_off);
			goto fail;
		}
	}
	c = fb->p;
	err = -EBADMSG;
	n = ZSTD_getFrameContentSize(c, (size_t)e->frame_size);
	first = ZSTD_findFrameCompressedSize(c, (size_t)e->frame_size);
	/* two: a second frame may follow, the string section of a streams
	 * entry (version 6) */
	if (two && !ZSTD_isError(first) && first < e->frame_size &&
	    second_frame(c + first, (size_t)e->frame_size - first, max,
			 &fb->strs)) {
		diag_set(d,
			 "frame at %llu: the second frame, %llu bytes at %zu, "
			 "is not one zstd frame without dictionary holding "
			 "its size, at most %llu bytes",
			 (unsigned long long)e->frame_off,
			 (unsigned long long)e->frame_size - first, first,
			 (unsigned long long)max);
		goto fail;
	}
	if (fb->strs)
		fb->first = first;
	else
		fb->first = (size_t)e->frame_size;
	if (n == ZSTD_CONTENTSIZE_ERROR || n == ZSTD_CONTENTSIZE_UNKNOWN ||
	    (want && n != want) || first != fb->first) {
		diag_set(d,
			 "frame at %llu: not one zstd frame of %llu bytes "
			 "holding %llu bytes",
			 (unsigned long long)e->frame_off,
			 (unsigned long long)e->frame_size,
			 (unsigned long long)want);
		goto fail;
	}
	if (n > max || n > SIZE_MAX - 1) {
		diag_set(d, "frame at %llu: %llu bytes, over the cap",
			 (unsigned long long)e->frame_off, n);
		err = -EFBIG;
		goto fail;
	}
	if (ZSTD_getDictID_fromFrame(c, fb->first) != e->dict_id) {
		diag_set(d, "frame at %llu: dictionary id %u, index says %u",
			 (unsigned long long)e->frame_off,
			 ZSTD_getDictID_fromFrame(c, fb->first), e->dict_id);
		goto fail;
	}
	*content = (size_t)n;
	return 0;
fail:
	frame_release(r, fb);
	return err;
}

/*
 * The frame comp of entry e (frame_open), decompressed into out (content
 * bytes at least); a frame without dictionary refers back into prefix.
 */
static int frame_decompress(struct btfa_reader *r, const struct btfa_entry *e,
			    const void *comp, size_t comp_len, size_t content,
			    const void *prefix, size_t prefix_size, void *out,
			    struct diag *d)
{
	ZSTD_DDict *ddict = NULL;
	ZSTD_DCtx *dctx;
	size_t n;
	int err;

	if (e->dict_id) {
		err = load_ddict(r, e->dict_id, &ddict, d);
		if (err)
			return err;
	}
	dctx = ZSTD_createDCtx();
	if (!dctx) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	if (ddict) {
		n = ZSTD_decompress_usingDDict(dctx, out, content, comp,
					       comp_len, ddict);
	} else {
		/* a delta frame refers back into its reference: the window
		 * covers both */
		ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax,
				       BTFA_DELTA_WLOG_MAX);
		n = ZSTD_DCtx_refPrefix(dctx, prefix, prefix_size);
		if (!ZSTD_isError(n))
			n = ZSTD_decompressDCtx(dctx, out, content, comp,
						comp_len);
	}
	ZSTD_freeDCtx(dctx);
	if (ZSTD_isError(n) || n != content) {
		diag_set(d, "frame at %llu: zstd: %s",
			 (unsigned long long)e->frame_off,
			 ZSTD_isError(n) ? ZSTD_getErrorName(n)
					 : "short content");
		return -EBADMSG;
	}
	return 0;
}

/*
 * *data (*cap bytes), a buffer kept from one read to the next, made to
 * hold need bytes: replaced by a larger one when it does not, with an
 * eighth more for the next payloads of a series, a little larger.
 */
static int buf_fit(void **data, size_t *cap, size_t need, struct diag *d)
{
	void *p;

	if (*data && *cap >= need)
		return 0;
	p = mem_alloc_big(need + need / 8);
	if (!p) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	free(*data);
	*data = p;
	*cap = need + need / 8;
	return 0;
}

/*
 * The frame of entry e decompressed (frame_open's checks; want, max as
 * there) into *data: with cap, a buffer of *cap bytes kept from one read
 * to the next (buf_fit); without, the caller's buffer of max + 1 bytes
 * when *data is not NULL, else a new one.
 */
static int read_frame(struct btfa_reader *r, const struct btfa_entry *e,
		      uint64_t want, uint64_t max, const void *prefix,
		      size_t prefix_size, void **data, size_t *size,
		      size_t *cap, struct diag *d)
{
	bool mine = !cap && !*data;
	size_t content;
	struct frame_bytes fb;
	int err;

	*size = 0;
	err = frame_open(r, e, want, max, false, &fb, &content, d);
	if (err)
		return err;
	if (cap) {
		err = buf_fit(data, cap, content + 1, d);
	} else if (mine && !(*data = mem_alloc_big(content + 1))) {
		diag_set(d, "out of memory");
		err = -ENOMEM;
	}
	if (!err)
		err = frame_decompress(r, e, fb.p, fb.first, content, prefix,
				       prefix_size, *data, d);
	frame_release(r, &fb);
	if (err && mine) {
		free(*data);
		*data = NULL;
	}
	if (!err)
		*size = content;
	return err;
}

static int read_entry(struct btfa_reader *r, uint32_t idx, bool check,
		      void *buf, void *tmp, size_t tmp_cap, void **data,
		      size_t *size, struct diag *d);

/* The kept reference gone: replaced, or its type section lent to a
 * decode. */
static void ref_drop(struct btfa_reader *r)
{
	free(r->ref_data);
	btf_delta_ref_free(r->ref_prep);
	r->ref_data = NULL;
	r->ref_prep = NULL;
	r->ref_size = 0;
	r->ref_idx = UINT32_MAX;
}

/*
 * The plain blob entry idx refers to, decompressed once and kept; read
 * into buf when not NULL, with tmp as read_entry has it. Its
 * SHA-256 is not computed here: zstd checks the frame's own checksum, and
 * the delta's SHA-256 covers every byte of the reference the result depends
 * on (the prefix the frame copies from, the strings the decoder copies).
 * Reading the reference's own entry checks its SHA-256 as always.
 */
static int ref_blob(struct btfa_reader *r, uint32_t idx, void *buf, void *tmp,
		    size_t tmp_cap, const void **data, size_t *size,
		    struct diag *d)
{
	void *p;
	size_t n;
	int err;

	if (r->ref_data && r->ref_idx == idx) {
		*data = r->ref_data;
		*size = r->ref_size;
		return 0;
	}
	err = read_entry(r, idx, false, buf, tmp, tmp_cap, &p, &n, d);
	if (err)
		return err;
	ref_drop(r);
	r->ref_data = p;
	r->ref_size = n;
	r->ref_idx = idx;
	*data = p;
	*size = n;
	return 0;
}

int btfa_reader__read_payload(struct btfa_reader *r, uint32_t idx,
			      const void *ref, size_t ref_size, void **enc,
			      size_t *enc_size, struct diag *d)
{
	*enc = NULL; /* no buffer to reuse: a new one */
	return btfa_reader_read_payload_into(r, idx, ref, ref_size, enc, NULL,
					     enc_size, d);
}

int btfa_reader_read_payload_into(struct btfa_reader *r, uint32_t idx,
				  const void *ref, size_t ref_size, void **buf,
				  size_t *cap, size_t *enc_size, struct diag *d)
{
	const struct btfa_entry *e;

	*enc_size = 0;
	if (idx >= r->entry_cnt || r->entries[idx].encoding != BTFA_ENC_DELTA) {
		diag_set(d, "entry %u is not a delta entry", idx);
		return -EINVAL;
	}
	e = &r->entries[idx];
	if (e->blob_size > BTFA_MAX_BLOB) {
		diag_set(d, "blob of %llu bytes: over the cap",
			 (unsigned long long)e->blob_size);
		return -EFBIG;
	}
	return read_frame(r, e, 0, 5 * e->blob_size + (64 << 10), ref, ref_size,
			  buf, enc_size, cap, d);
}

int btfa_reader__read(struct btfa_reader *r, uint32_t idx, void **data,
		      size_t *size, struct diag *d)
{
	return read_entry(r, idx, true, NULL, NULL, 0, data, size, d);
}

int btfa_reader_read_unverified(struct btfa_reader *r, uint32_t idx,
				void **data, size_t *size, struct diag *d)
{
	return read_entry(r, idx, false, NULL, NULL, 0, data, size, d);
}

int btfa_reader_check(const struct btfa_reader *r, uint32_t idx,
		      const void *data, size_t size, struct diag *d)
{
	const struct btfa_entry *e = &r->entries[idx];
	char want[65], got[65];
	struct sha256 sh;
	uint8_t sum[32];

	sha256_init(&sh);
	sha256_update(&sh, data, size);
	sha256_final(&sh, sum);
	if (!memcmp(sum, e->blob_sha256, 32))
		return 0;
	hex_encode(sum, 32, got);
	hex_encode(e->blob_sha256, 32, want);
	if (e->encoding == BTFA_ENC_DELTA)
		diag_set(d,
			 "blob: SHA-256 %s, index says %s (the entry or its "
			 "reference %s is corrupt)",
			 got, want, r->entries[e->ref_idx].release);
	else
		diag_set(d, "blob: SHA-256 %s, index says %s", got, want);
	return -EBADMSG;
}

/* The largest blob whose buffer a delta read faults in ahead (a 6.x
 * kernel's vmlinux and modules: 30 to 60 MB). */
#define PREFAULT_MAX (UINT64_C(512) << 20)

/* What a helper thread of read_entry does: fault in buffers about to be
 * written, in the order they will be, then make the reference ready for
 * decoding. */
struct read_helper {
	void *buf[3];
	size_t size[3];
	const void *ref;
	size_t ref_size;
	struct btf_delta_ref *prep; /* out */
};

static void *read_help(void *arg)
{
	struct read_helper *h = arg;
	size_t i;

	for (i = 0; i < 3; i++)
		if (h->buf[i])
			mem_populate(h->buf[i], h->size[i]);
	if (h->ref)
		h->prep = btf_delta_ref_new(h->ref, h->ref_size);
	return NULL;
}

/* A streams entry's string section, its second frame, decompressed into
 * its place in the blob beside the first frame (read_streams). */
struct strs_job {
	const void *comp;
	size_t comp_len, len;
	void *out;
	size_t got; /* zstd's result */
};

static void *strs_frame(void *arg)
{
	struct strs_job *j = arg;

	j->got = ZSTD_decompress(j->out, j->len, j->comp, j->comp_len);
	return NULL;
}

/*
 * A streams entry's blob, into out (e->blob_size + 1 bytes): its frame
 * holds the btf_streams payload, decompressed into tmp when it fits in
 * tmp_cap bytes, else into the reader's scratch, and decoded here. A
 * payload holds the header, layout and string sections as they are and at
 * most 10 bytes of varint per 4-byte field of the type section: under 3
 * times the blob. Version 6: the string section may be a second frame,
 * decompressed straight into its place in out, on a second thread when
 * the reader has one, while the first decompresses.
 */
static int read_streams(struct btfa_reader *r, const struct btfa_entry *e,
			void *out, void *tmp, size_t tmp_cap, struct diag *d)
{
	struct strs_job sj = {0};
	struct frame_bytes fb;
	bool beside = false;
	pthread_t t;
	size_t n;
	int err;

	err = frame_open(r, e, 0, 3 * e->blob_size + (64 << 10),
			 r->version >= 6, &fb, &n, d);
	if (err)
		return err;
	if (fb.strs > e->blob_size) {
		diag_set(d,
			 "frame at %llu: a string section of %zu bytes in a "
			 "blob of %llu",
			 (unsigned long long)e->frame_off, fb.strs,
			 (unsigned long long)e->blob_size);
		frame_release(r, &fb);
		return -EBADMSG;
	}
	if (fb.strs) {
		sj.comp = (const uint8_t *)fb.p + fb.first;
		sj.comp_len = (size_t)e->frame_size - fb.first;
		sj.len = fb.strs;
		sj.out = (uint8_t *)out + e->blob_size - fb.strs;
		beside = thread_run_beside(&t, r->threads > 1, strs_frame, &sj);
	}
	if (!tmp || tmp_cap < n) {
		err = buf_fit(&r->scratch, &r->scratch_cap, n + 1, d);
		tmp = r->scratch;
	}
	if (!err)
		err = frame_decompress(r, e, fb.p, fb.first, n, NULL, 0, tmp,
				       d);
	if (beside)
		pthread_join(t, NULL);
	if (!err && fb.strs && (ZSTD_isError(sj.got) || sj.got != fb.strs)) {
		diag_set(d, "frame at %llu: second frame: zstd: %s",
			 (unsigned long long)e->frame_off,
			 ZSTD_isError(sj.got) ? ZSTD_getErrorName(sj.got)
					      : "short content");
		err = -EBADMSG;
	}
	frame_release(r, &fb);
	if (err)
		return err;
	/* fb released: sj.len is the second frame's */
	err = sj.len ? btf_streams_decode_head(tmp, n, out,
					       (size_t)e->blob_size, sj.len,
					       r->threads, d)
		     : btf_streams_decode(tmp, n, out, (size_t)e->blob_size, d);
	if (err) {
		diag_prefix(
			d, "frame at %llu: ", (unsigned long long)e->frame_off);
		return -EBADMSG;
	}
	return 0;
}

/*
 * Entry idx's blob, in *data (*size bytes), its SHA-256 checked when check
 * is set. buf, when not NULL, is a buffer of the blob's size + 1 bytes that
 * becomes *data (freed on failure); tmp (tmp_cap bytes), when not NULL, is
 * memory free while the entry is read, where a streams frame is
 * decompressed when it fits.
 *
 * A delta entry needs its reference's blob, the payload and the blob it
 * decodes to, 80 to 100 MB for a 6.x kernel, and on a machine that hands
 * freed memory back to its hypervisor, faulting fresh memory in costs
 * about as much as decoding into it. So a streams reference is
 * decompressed into the delta's own blob buffer (written only later)
 * rather than a buffer of its own, and a second thread faults in the
 * buffers this one is about to write, in the order it writes them: the
 * blob's, the reference's (when it is read here), the payload's.
 */
static int read_entry(struct btfa_reader *r, uint32_t idx, bool check,
		      void *buf, void *tmp, size_t tmp_cap, void **data,
		      size_t *size, struct diag *d)
{
	const struct btfa_entry *e;
	void *out = buf;
	size_t n;
	int err;

	*data = NULL;
	*size = 0;
	if (idx >= r->entry_cnt) {
		diag_set(d, "no entry %u (%u entries)", idx, r->entry_cnt);
		err = -ENOENT;
		goto out;
	}
	e = &r->entries[idx];
	if (e->blob_size > BTFA_MAX_BLOB || e->blob_size > SIZE_MAX - 1) {
		diag_set(d, "blob of %llu bytes: over the cap",
			 (unsigned long long)e->blob_size);
		err = -EFBIG;
		goto out;
	}
	if (e->encoding == BTFA_ENC_DELTA) {
		/* parse_index made ref_idx a plain entry */
		const struct btfa_entry *re = &r->entries[e->ref_idx];
		bool have_ref = r->ref_data && r->ref_idx == e->ref_idx;
		struct read_helper h = {0}, hp = {0};
		bool two = r->threads > 1;
		const void *ref = NULL;
		void *rbuf = NULL, *lend = NULL;
		struct frame_bytes fb;
		size_t ref_size = 0, enc_len, lend_size = 0;
		pthread_t t;
		int beside;

		/* the payload's frame, checked: its size decompressed says
		 * what buffer it needs; a payload holds the blob's parts and
		 * at most 4 bytes per type and per string besides: under 5
		 * times the blob */
		err = frame_open(r, e, 0, 5 * e->blob_size + (64 << 10), false,
				 &fb, &n, d);
		if (!err)
			err = buf_fit(&r->delta, &r->delta_cap, n + 1, d);
		if (err) {
			frame_release(r, &fb);
			goto out;
		}
		/* the blob's buffer sized from the index (the decoder makes
		 * its own if the payload says otherwise), and the
		 * reference's; not for a size no kernel's BTF comes near,
		 * which only a corrupt index gives and which would be
		 * committed for nothing */
		if (!out && e->blob_size <= PREFAULT_MAX)
			out = mem_alloc_big((size_t)e->blob_size);
		if (!have_ref && two && re->blob_size <= PREFAULT_MAX)
			rbuf = mem_alloc_big((size_t)re->blob_size + 1);
		/* faulted in on the helper in the order this thread writes
		 * them: the blob's buffer (where a streams reference is
		 * decompressed), the reference's, the payload's */
		h.buf[0] = out;
		h.size[0] = out ? (size_t)e->blob_size : 0;
		h.buf[1] = rbuf;
		h.size[1] = rbuf ? (size_t)re->blob_size : 0;
		h.buf[2] = r->delta;
		h.size[2] = n;
		beside = two ? thread_run_beside(&t, true, read_help, &h) : 0;
		err = ref_blob(r, e->ref_idx, rbuf, out,
			       out ? (size_t)e->blob_size : 0, &ref, &ref_size,
			       d);
		if (beside)
			pthread_join(t, NULL);
		if (err) {
			frame_release(r, &fb);
			diag_prefix(d, "its reference %s: ",
				    r->entries[e->ref_idx].release);
			goto out;
		}
		/* the reference made ready beside the payload's
		 * decompression */
		beside = 0;
		hp.ref = ref;
		hp.ref_size = ref_size;
		if (!r->ref_prep)
			beside = thread_run_beside(&t, two, read_help, &hp);
		r->delta_idx = UINT32_MAX; /* overwritten */
		err = frame_decompress(r, e, fb.p, fb.first, n, ref, ref_size,
				       r->delta, d);
		frame_release(r, &fb);
		if (beside)
			pthread_join(t, NULL);
		if (!r->ref_prep)
			r->ref_prep = hp.prep;
		if (err)
			goto out;
		buf = out;
		out = NULL;
		enc_len = n;
		/* one_delta: the reference's type section is free from here */
		if (r->one_delta) {
			size_t off = 0;

			lend_size = btf_delta_ref_types(r->ref_prep, &off);
			lend = lend_size ? (uint8_t *)r->ref_data + off : NULL;
		}
		err = btf_delta_decode_with(r->ref_prep, r->delta, n, buf,
					    buf ? (size_t)e->blob_size : 0,
					    lend, lend_size, r->threads, &out,
					    &n, d);
		if (lend)
			ref_drop(r);
		if (err)
			return err == -ENOMEM ? err : -EBADMSG;
		/* a payload that decodes: btfa_reader__load_ranges may read
		 * its type map */
		r->delta_idx = idx;
		r->delta_len = enc_len;
		if (n != e->blob_size) {
			diag_set(d,
				 "delta decodes to %zu bytes, index says "
				 "%llu",
				 n, (unsigned long long)e->blob_size);
			err = -EBADMSG;
			goto out;
		}
	} else {
		struct read_helper h = {0};
		pthread_t t;
		int beside;

		/* a streams blob's buffer faulted in beside the frame's
		 * read and decompression, unless it is the caller's, who
		 * sees to that */
		if (!out && e->encoding == BTFA_ENC_STREAMS && r->threads > 1 &&
		    e->blob_size <= PREFAULT_MAX)
			h.buf[0] = out =
				mem_alloc_big((size_t)e->blob_size + 1);
		if (!out && !(out = mem_alloc_big((size_t)e->blob_size + 1))) {
			diag_set(d, "out of memory");
			err = -ENOMEM;
			goto out;
		}
		h.size[0] = (size_t)e->blob_size;
		beside = h.buf[0] ? thread_run_beside(&t, true, read_help, &h)
				  : 0;
		if (e->encoding == BTFA_ENC_STREAMS)
			err = read_streams(r, e, out, tmp, tmp_cap, d);
		else
			err = read_frame(r, e, e->blob_size, e->blob_size, NULL,
					 0, &out, &n, NULL, d);
		if (beside)
			pthread_join(t, NULL);
		if (err)
			goto out;
		n = (size_t)e->blob_size;
	}
	if (check && (err = btfa_reader_check(r, idx, out, n, d))) {
		r->delta_idx = UINT32_MAX; /* its payload is not the blob's */
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

static int load_mods_block(struct btfa_reader *r, uint32_t idx, struct diag *d);

/*
 * Version 4: the module block frame comp of entry idx, stored as a delta,
 * decompressed into blk (cap bytes) with the uncompressed block of its
 * reference entry (loaded first) as zstd prefix; *n is zstd's result.
 */
static int mods_delta_decompress(struct btfa_reader *r, uint32_t idx, void *blk,
				 size_t cap, const void *comp, size_t *n,
				 struct diag *d)
{
	const struct btfa_entry *e = &r->entries[idx];
	uint32_t ref = e->mods_ref_idx;
	const uint8_t *pb;
	size_t plen;
	ZSTD_DCtx *dctx;
	int err;

	if (!r->mods_blocks[ref]) {
		err = load_mods_block(r, ref, d);
		if (err) {
			diag_prefix(d, "its reference, entry %u (%s): ", ref,
				    r->entries[ref].release);
			return err;
		}
	}
	/* the reference block's size: its header, checked when loaded */
	pb = r->mods_blocks[ref];
	plen = (size_t)btfa_mods_block_len(pb);
	dctx = ZSTD_createDCtx();
	if (!dctx) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	*n = ZSTD_DCtx_refPrefix(dctx, pb, plen);
	if (!ZSTD_isError(*n))
		*n = ZSTD_decompressDCtx(dctx, blk, cap, comp,
					 (size_t)e->mods_size);
	ZSTD_freeDCtx(dctx);
	return 0;
}

/*
 * Layout 1 (versions 3 and 4) of entry idx's block blk: module records
 * (name offset, first range, range count, types) and ranges as gaps, into
 * the reader's tables (docs/FORMAT.md, "Module block").
 */
static int load_layout1(struct btfa_reader *r, uint32_t idx, const uint8_t *blk,
			const char *strtab, uint32_t ssz, struct diag *d)
{
	const struct btfa_entry *e = &r->entries[idx];
	uint32_t mcnt = e->module_cnt, rcnt = e->range_cnt, j, k, next_rng = 0;
	const uint8_t *q = blk + BTFA_MODS_HDR_SIZE;
	const uint8_t *rq = q + (size_t)BTFA_MODULE_SIZE * mcnt;

	for (j = 0; j < mcnt; j++, q += BTFA_MODULE_SIZE) {
		struct btfa_module *m = &r->modules[e->module_first + j];
		uint64_t next = 1;

		if (get_str(strtab, ssz, le32_get(q), &m->name)) {
			diag_set(d,
				 "module %u: name offset %u outside the "
				 "string table",
				 j, le32_get(q));
			return -EBADMSG;
		}
		m->range_cnt = le32_get(q + 8);
		m->types = le32_get(q + 12);
		if (le32_get(q + 4) != next_rng ||
		    !btfa_in_bounds(next_rng, m->range_cnt, rcnt)) {
			diag_set(d,
				 "module %u (%s): ranges %u..+%u, not after "
				 "the previous module's (%u) inside the %u "
				 "ranges",
				 j, m->name, le32_get(q + 4), m->range_cnt,
				 next_rng, rcnt);
			return -EBADMSG;
		}
		m->range_first = e->range_first + next_rng;
		for (k = 0; k < m->range_cnt; k++) {
			const uint8_t *p =
				rq + BTFA_RANGE_SIZE * (size_t)(next_rng + k);
			struct btfa_range *rg = &r->ranges[m->range_first + k];
			uint64_t first = next + le32_get(p);

			rg->count = le32_get(p + 4);
			if (first + rg->count > UINT32_MAX) {
				diag_set(d,
					 "module %u (%s): range %u past the id "
					 "space",
					 j, m->name, k);
				return -EBADMSG;
			}
			rg->first = (uint32_t)first;
			next = first + rg->count;
		}
		next_rng += m->range_cnt;
	}
	return 0;
}

/*
 * Layout 2 (version 5) of entry idx's block blk (its header and size
 * checked, strtab its ssz bytes of names): the module records (name as a zigzag
 * difference from the previous module's, range count, segment start as a
 * difference from the previous module's, the first from base_types + 1),
 * then every range from its segment coordinates (docs/FORMAT.md, "Module
 * block"), into the reader's tables. types is the ids a module's ranges
 * cover. Names, counts, segment starts and codes are checked here, the
 * ranges (sorted, inside the ids) by check_ranges.
 */
static int load_layout2(struct btfa_reader *r, uint32_t idx, const uint8_t *blk,
			const char *strtab, uint32_t ssz, struct diag *d)
{
	const struct btfa_entry *e = &r->entries[idx];
	uint32_t mcnt = e->module_cnt, rcnt = e->range_cnt, j, k, next = 0;
	const uint8_t *q = blk + BTFA_MODS_HDR_SIZE;
	const uint8_t *rq = q + (size_t)BTFA_MODULE2_SIZE * mcnt;
	uint64_t *seg, at = (uint64_t)e->base_types + 1, name = 0;
	int err = -EBADMSG;

	seg = malloc(((size_t)mcnt + 1) * sizeof(*seg));
	if (!seg) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	for (j = 0; j < mcnt; j++, q += BTFA_MODULE2_SIZE) {
		struct btfa_module *m = &r->modules[e->module_first + j];
		name += (uint64_t)unzigzag64(le32_get(q));
		if (name >= ssz ||
		    get_str(strtab, ssz, (uint32_t)name, &m->name)) {
			diag_set(d, "module %u: name outside the string table",
				 j);
			goto out;
		}
		m->range_cnt = le32_get(q + 4);
		if (!btfa_in_bounds(next, m->range_cnt, rcnt)) {
			diag_set(d,
				 "module %u (%s): %u ranges past the block's "
				 "%u",
				 j, m->name, m->range_cnt, rcnt);
			goto out;
		}
		m->range_first = e->range_first + next;
		next += m->range_cnt;
		at += le32_get(q + 8);
		if (at > (uint64_t)e->types + 1) {
			diag_set(d,
				 "module %u (%s): segment start %llu past the "
				 "entry's %u types",
				 j, m->name, (unsigned long long)at, e->types);
			goto out;
		}
		seg[j] = at;
	}
	if (next != rcnt) {
		diag_set(d, "the modules have %u ranges, the block %u", next,
			 rcnt);
		goto out;
	}
	for (j = 0; j < mcnt; j++) {
		struct btfa_module *m = &r->modules[e->module_first + j];
		uint64_t start = 0, end = 0, types = 0;
		int64_t s_prev = -1;

		for (k = 0; k < m->range_cnt; k++, rq += BTFA_RANGE2_SIZE) {
			struct btfa_range *rg = &r->ranges[m->range_first + k];
			uint32_t code = le32_get(rq);
			uint64_t first = le32_get(rq + 4), s;

			rg->count = le32_get(rq + 8);
			/* code >= 2: segment s, counted from the previous
			 * range's or, after code 0 or first, from 0 */
			s = code < 2	 ? mcnt
			    : s_prev < 0 ? code - 2u
					 : (uint64_t)s_prev + code - 1;
			if (code == 0) {
				start = 0;
				s_prev = -1;
			} else if (code == 1 && k) {
				first += start + end;
			} else if (s < mcnt) {
				start = seg[s];
				first += start;
				s_prev = (int64_t)s;
			} else {
				diag_set(d,
					 "module %u (%s): range %u: code %u "
					 "names no segment",
					 j, m->name, k, code);
				goto out;
			}
			if (first + rg->count > UINT32_MAX) {
				diag_set(d,
					 "module %u (%s): range %u past the id "
					 "space",
					 j, m->name, k);
				goto out;
			}
			rg->first = (uint32_t)first;
			end = first + rg->count - start;
			types += rg->count;
		}
		/* disjoint ranges inside the ids (check_ranges) cover at
		 * most the entry's types */
		m->types = types > UINT32_MAX ? UINT32_MAX : (uint32_t)types;
	}
	err = 0;
out:
	free(seg);
	return err;
}

/*
 * Layout 3 (version 6) of delta entry idx's block blk (n bytes, header and
 * size checked, strtab its ssz bytes): per module a link to the module of
 * its reference entry (ref_idx) whose ids it takes through the type map
 * (zigzag of the difference of the indexes, plus 1; 0: none), and its
 * counts of added and removed runs; then the runs; then the names of the
 * modules without a link, in order. Here: names and counts, checked; the
 * ranges wait for the type map (btfa_reader__load_ranges).
 */
static int load_layout3(struct btfa_reader *r, uint32_t idx, const uint8_t *blk,
			const char *strtab, uint32_t ssz, struct diag *d)
{
	const struct btfa_entry *e = &r->entries[idx], *re;
	const uint8_t *q = blk + BTFA_MODS_HDR_SIZE;
	const char *nm = strtab + 1, *end = strtab + ssz;
	uint64_t runs = 0;
	uint32_t j;
	int err;

	if (e->encoding != BTFA_ENC_DELTA ||
	    !r->entries[e->ref_idx].module_cnt) {
		diag_set(d, "layout 3 on an entry that is not a delta on an "
			    "entry with modules");
		return -EBADMSG;
	}
	re = &r->entries[e->ref_idx];
	if (!r->mods_blocks[e->ref_idx]) {
		err = load_mods_block(r, e->ref_idx, d);
		if (err) {
			diag_prefix(d, "its reference, entry %u (%s): ",
				    e->ref_idx, re->release);
			return err;
		}
	}
	if (end[-1]) {
		diag_set(d, "names not NUL-terminated");
		return -EBADMSG;
	}
	for (j = 0; j < e->module_cnt; j++, q += BTFA_MODULE3_SIZE) {
		struct btfa_module *m = &r->modules[e->module_first + j];
		uint32_t link = le32_get(q);

		if (link) {
			int64_t k = (int64_t)j + unzigzag64(link - 1u);

			if (k < 0 || k >= re->module_cnt) {
				diag_set(d,
					 "module %u: link to module %lld of "
					 "the reference's %u",
					 j, (long long)k, re->module_cnt);
				return -EBADMSG;
			}
			m->name = r->modules[re->module_first + k].name;
		} else if (nm < end && !le32_get(q + 8)) {
			m->name = nm;
			nm += strlen(nm) + 1;
		} else {
			diag_set(d, "module %u: %s", j,
				 nm < end ? "removes ids without a reference "
					    "module"
					  : "no name left");
			return -EBADMSG;
		}
		m->range_first = e->range_first;
		m->range_cnt = m->types = 0;
		runs += (uint64_t)le32_get(q + 4) + le32_get(q + 8);
	}
	if (runs != le32_get(blk + 20) || nm != end) {
		diag_set(d,
			 "the modules have %llu runs, the block %u; %s names "
			 "left",
			 (unsigned long long)runs, le32_get(blk + 20),
			 nm != end ? "some" : "no");
		return -EBADMSG;
	}
	r->mods_pending[idx] = 1;
	return 0;
}

/*
 * Version 3: the module block of entry idx (docs/FORMAT.md, "Module
 * block"): read, SHA-256 against the entry, decompressed to exactly its
 * content size, then its modules and ranges into their places of the
 * tables (module_first, range_first), ranges from gaps (layout 1) or
 * segment coordinates (layout 2, version 5) to ids and checked like
 * version 2's. The block is kept: module names point into it.
 */
static int load_mods_block(struct btfa_reader *r, uint32_t idx, struct diag *d)
{
	struct btfa_entry *e = &r->entries[idx];
	unsigned long long content;
	uint8_t *comp = NULL, *blk = NULL, sum[32];
	const char *strtab;
	uint32_t mcnt, rcnt, ssz;
	struct sha256 sh;
	int layout;
	size_t n;
	int err = -EBADMSG;

	comp = malloc((size_t)e->mods_size);
	if (!comp)
		goto nomem;
	err = btfa_reader__pread(r, comp, (size_t)e->mods_size, e->mods_off, d);
	if (err)
		goto out;
	err = -EBADMSG;
	sha256_init(&sh);
	sha256_update(&sh, comp, (size_t)e->mods_size);
	sha256_final(&sh, sum);
	if (memcmp(sum, e->mods_sha256, 32)) {
		diag_set(d, "SHA-256 mismatch (corrupt)");
		goto out;
	}
	content = ZSTD_getFrameContentSize(comp, (size_t)e->mods_size);
	if (content == ZSTD_CONTENTSIZE_ERROR ||
	    content == ZSTD_CONTENTSIZE_UNKNOWN ||
	    ZSTD_findFrameCompressedSize(comp, (size_t)e->mods_size) !=
		    e->mods_size ||
	    content > BTFA_MAX_INDEX || content < BTFA_MODS_HDR_SIZE) {
		diag_set(d, "not one zstd frame with its content size (at "
			    "most 256 MiB)");
		goto out;
	}
	blk = malloc((size_t)content);
	if (!blk)
		goto nomem;
	if (e->mods_ref_off) {
		err = mods_delta_decompress(r, idx, blk, (size_t)content, comp,
					    &n, d);
		if (err)
			goto out;
		err = -EBADMSG;
	} else {
		n = ZSTD_decompress(blk, (size_t)content, comp,
				    (size_t)e->mods_size);
	}
	if (ZSTD_isError(n) || n != content) {
		diag_set(d, "zstd: %s",
			 ZSTD_isError(n) ? ZSTD_getErrorName(n)
					 : "short content");
		goto out;
	}
	mcnt = le32_get(blk + 8);
	rcnt = le32_get(blk + 12);
	ssz = le32_get(blk + 16);
	/* layout 2 (segment coordinates) from version 5 on, 3 (through the
	 * type map) from version 6 on */
	layout = !memcmp(blk, BTFA_MODS_MAGIC, 8)			? 1
		 : !memcmp(blk, BTFA_MODS_MAGIC2, 8) && r->version >= 5 ? 2
		 : !memcmp(blk, BTFA_MODS_MAGIC3, 8) && r->version >= 6 ? 3
									: 0;
	if (!layout || (layout < 3 && le32_get(blk + 20)) ||
	    mcnt != e->module_cnt || rcnt != e->range_cnt ||
	    btfa_mods_block_len(blk) != n || !ssz || blk[n - ssz]) {
		diag_set(d,
			 "header: magic, %u modules, %u ranges, %u bytes of "
			 "strings in %zu bytes; the entry has %u modules, %u "
			 "ranges",
			 mcnt, rcnt, ssz, n, e->module_cnt, e->range_cnt);
		goto out;
	}
	strtab = (const char *)blk + n - ssz;
	err = layout == 3   ? load_layout3(r, idx, blk, strtab, ssz, d)
	      : layout == 2 ? load_layout2(r, idx, blk, strtab, ssz, d)
			    : load_layout1(r, idx, blk, strtab, ssz, d);
	if (err)
		goto out;
	err = check_ranges(r, idx, d);
	if (err) {
		err = -EBADMSG;
		goto out;
	}
	r->mods_blocks[idx] = blk;
	blk = NULL;
	err = 0;
	goto out;
nomem:
	diag_set(d, "out of memory");
	err = -ENOMEM;
out:
	free(comp);
	free(blk);
	return err;
}

int btfa_reader__load_modules(struct btfa_reader *r, uint32_t idx,
			      struct diag *d)
{
	const struct btfa_entry *e;
	int err;

	if (idx >= r->entry_cnt) {
		diag_set(d, "no entry %u (%u entries)", idx, r->entry_cnt);
		return -ENOENT;
	}
	e = &r->entries[idx];
	if (r->version < 3 || !e->module_cnt || r->mods_blocks[idx])
		return 0;
	if (!r->modules) {
		r->modules = calloc(r->module_cnt + 1, sizeof(*r->modules));
		r->ranges = calloc(r->range_cnt + 1, sizeof(*r->ranges));
		if (!r->modules || !r->ranges) {
			diag_set(d, "out of memory");
			return -ENOMEM;
		}
	}
	err = load_mods_block(r, idx, d);
	if (err)
		diag_prefix(d, "entry %u (%s): module block at %llu: ", idx,
			    e->release, (unsigned long long)e->mods_off);
	return err;
}

/* ---- layout 3: ranges through the type map ---------------------------- */

/* One module's ids as ranges, while they are resolved. */
struct rng_buf {
	struct btfa_range *v;
	size_t len, cap;
};

/* first..first + count - 1 after the ranges so far (joined to the last
 * when it continues it); -ENOMEM. */
static int rng_add(struct rng_buf *b, uint32_t first, uint32_t count)
{
	struct btfa_range *last = b->len ? &b->v[b->len - 1] : NULL;

	if (last && (uint64_t)last->first + last->count == first) {
		last->count += count;
		return 0;
	}
	if (mem_ensure((void **)&b->v, &b->cap, sizeof(*b->v), b->len + 1))
		return -ENOMEM;
	b->v[b->len].first = first;
	b->v[b->len].count = count;
	b->len++;
	return 0;
}

static int range_cmp(const void *x, const void *y)
{
	const struct btfa_range *a = x, *b = y;

	return a->first < b->first ? -1 : a->first > b->first;
}

/* The next run at *p: it starts gap >= 1 ids after *end (the previous
 * run's end, 0 at first), holds count >= 1 ids and ends at most at limit.
 * -1 when it does not. */
static int run_next(const uint8_t **p, uint64_t *end, uint32_t limit,
		    uint32_t *first, uint32_t *count)
{
	uint32_t gap = le32_get(*p);
	uint64_t f = *end + gap;

	*count = le32_get(*p + 4);
	*p += BTFA_RUN3_SIZE;
	if (!gap || !*count || f + *count - 1 > limit)
		return -1;
	*first = (uint32_t)f;
	*end = f + *count;
	return 0;
}

/*
 * Module j of layout 3 block entry e (record rec, its runs at *runs,
 * moved past them) as sorted, disjoint, joined ranges in b: the ids of
 * its reference module am (NULL: none) but the removed runs, each taken
 * to the blob id whose partner it is (rev), and the added runs.
 */
static int resolve_module(const struct btfa_reader *r,
			  const struct btfa_entry *e,
			  const struct btfa_module *am, const uint8_t *rec,
			  const uint8_t **runs, const uint32_t *rev,
			  struct rng_buf *b, struct diag *d)
{
	const struct btfa_entry *re = &r->entries[e->ref_idx];
	uint32_t nadd = le32_get(rec + 4), nrm = le32_get(rec + 8);
	const uint8_t *add = *runs, *rm = add + (size_t)nadd * BTFA_RUN3_SIZE;
	uint64_t add_end = 0, rm_end = 0, removed = 0, skipped = 0;
	uint32_t k, i, rf = 0, rc = 0, first, count;
	size_t w;

	b->len = 0;
	*runs = rm + (size_t)nrm * BTFA_RUN3_SIZE;
	for (k = 0; am && k < am->range_cnt; k++) {
		const struct btfa_range *g = &r->ranges[am->range_first + k];

		for (i = 0; i < g->count; i++) {
			uint32_t a = g->first + i;

			/* the removed run a is in or before */
			while (nrm && (!rc || a >= rf + rc)) {
				nrm--;
				if (run_next(&rm, &rm_end, re->types, &rf, &rc))
					goto bad_run;
				removed += rc;
			}
			if (rc && a >= rf && a < rf + rc) {
				skipped++;
				continue;
			}
			if (!rev[a]) {
				diag_set(d,
					 "module %s: reference id %u has no "
					 "partner and is not removed",
					 am->name, a);
				return -EBADMSG;
			}
			if (rng_add(b, rev[a], 1))
				goto nomem;
		}
	}
	if (nrm || skipped != removed) {
		diag_set(d,
			 "module %s: removes ids its reference module does "
			 "not have",
			 am ? am->name : "?");
		return -EBADMSG;
	}
	for (k = 0; k < nadd; k++) {
		if (run_next(&add, &add_end, e->types, &first, &count))
			goto bad_run;
		if (rng_add(b, first, count))
			goto nomem;
	}
	for (k = 1; k < b->len && b->v[k - 1].first < b->v[k].first; k++)
		;
	if (k < b->len)
		qsort(b->v, b->len, sizeof(*b->v), range_cmp);
	for (w = 0, k = 0; k < b->len; k++) {
		struct btfa_range *last = w ? &b->v[w - 1] : NULL;

		if (last && b->v[k].first < last->first + last->count) {
			diag_set(d, "module: id %u twice", b->v[k].first);
			return -EBADMSG;
		}
		if (last && b->v[k].first == last->first + last->count)
			last->count += b->v[k].count;
		else
			b->v[w++] = b->v[k];
	}
	b->len = w;
	return 0;
bad_run:
	diag_set(d, "a run of ids empty, not after the previous one or past "
		    "the ids");
	return -EBADMSG;
nomem:
	diag_set(d, "out of memory");
	return -ENOMEM;
}

/* Layout 3: the ranges of entry idx's modules (loaded, r->delta its
 * payload) through the payload's type map, into the reader's tables. */
static int resolve_ranges(struct btfa_reader *r, uint32_t idx, struct diag *d)
{
	const struct btfa_entry *e = &r->entries[idx];
	const struct btfa_entry *re = &r->entries[e->ref_idx];
	const uint8_t *blk = r->mods_blocks[idx];
	const uint8_t *rec = blk + BTFA_MODS_HDR_SIZE;
	const uint8_t *runs = rec + (size_t)BTFA_MODULE3_SIZE * e->module_cnt;
	struct rng_buf b = {0};
	uint32_t *rev, nb, j;
	uint64_t total = 0;
	int err;

	err = btf_delta_map(r->delta, r->delta_len, re->types, &rev, &nb, d);
	if (err)
		return err;
	if (nb != e->types) {
		diag_set(d, "the type map has %u types, the entry %u", nb,
			 e->types);
		err = -EBADMSG;
		goto out;
	}
	for (j = 0; j < e->module_cnt; j++, rec += BTFA_MODULE3_SIZE) {
		struct btfa_module *m = &r->modules[e->module_first + j];
		const struct btfa_module *am = NULL;
		uint32_t link = le32_get(rec);
		uint64_t types = 0;
		size_t k;

		/* load_layout3 checked the link */
		if (link)
			am = &r->modules[re->module_first + j +
					 unzigzag64(link - 1u)];
		err = resolve_module(r, e, am, rec, &runs, rev, &b, d);
		if (err)
			goto out;
		if (b.len > e->range_cnt - total) {
			diag_set(d,
				 "the modules have more than the entry's %u "
				 "ranges",
				 e->range_cnt);
			err = -EBADMSG;
			goto out;
		}
		m->range_first = e->range_first + (uint32_t)total;
		m->range_cnt = (uint32_t)b.len;
		for (k = 0; k < b.len; k++) {
			r->ranges[m->range_first + k] = b.v[k];
			types += b.v[k].count;
		}
		m->types = (uint32_t)types;
		total += b.len;
	}
	if (total != e->range_cnt) {
		diag_set(d, "the modules have %llu ranges, the entry %u",
			 (unsigned long long)total, e->range_cnt);
		err = -EBADMSG;
		goto out;
	}
	err = check_ranges(r, idx, d);
	if (!err)
		r->mods_pending[idx] = 0;
out:
	free(b.v);
	free(rev);
	return err;
}

int btfa_reader__load_ranges(struct btfa_reader *r, uint32_t idx,
			     struct diag *d)
{
	const struct btfa_entry *e;
	int err;

	err = btfa_reader__load_modules(r, idx, d);
	if (err || r->version < 6 || !r->mods_pending[idx])
		return err;
	e = &r->entries[idx];
	if (r->delta_idx != idx) {
		void *data;
		size_t size;

		/* the payload, and the proof of it: the blob's SHA-256 */
		err = btfa_reader__read(r, idx, &data, &size, d);
		free(data);
		if (err)
			return err;
	}
	err = resolve_ranges(r, idx, d);
	if (err)
		diag_prefix(d, "entry %u (%s): module block at %llu: ", idx,
			    e->release, (unsigned long long)e->mods_off);
	return err;
}
