// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * formats/btfa: the .btfa container. Blobs are made in code (records with
 * small variations, so that a dictionary has something to learn); crafted
 * archives are a valid one with its decompressed index edited and wrapped
 * again (new zstd frame, new SHA-256), so each case hits one check.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "formats/btf_delta.h"
#include "formats/btfa.h"
#include "formats/btfa_int.h"
#include "formats/sha256.h"
#include "unit.h"

#define NBLOB	4
#define BLOB_SZ (200 << 10)

static char tmpdir[64];
static uint8_t *blobs[NBLOB];

static void make_blobs(void)
{
	uint32_t x = 1;
	size_t i, k;

	for (i = 0; i < NBLOB; i++) {
		blobs[i] = malloc(BLOB_SZ);
		for (k = 0; k < BLOB_SZ; k++) {
			/* 64-byte records, one byte in 16 varies per blob */
			x = x * 1103515245u + 12345u;
			blobs[i][k] = (k % 16 == 5)
					      ? (uint8_t)(x >> 24)
					      : (uint8_t)("struct btf_"
							  "type {"[k % 16] +
							  k / 64 % 7);
		}
	}
}

static void path_of(char *out, size_t n, const char *name)
{
	if (!tmpdir[0]) {
		snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_btfa.XXXXXX");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			exit(1);
		}
	}
	snprintf(out, n, "%s/%s", tmpdir, name);
}

static const uint32_t ranges[] = {19, 3, 30, 2};
static const struct btfa_module_in mods[] = {
	{.name = "mod_a", .types = 5, .ranges = ranges, .range_cnt = 2},
	{.name = "mod_b", .types = 0},
};

static void blob_in(struct btfa_blob_in *b, size_t i)
{
	static const char *rel[] = {"6.1.0-1", "6.1.0-2", "6.1.0-3", "6.1.0-4"};

	memset(b, 0, sizeof(*b));
	b->e.release = rel[i];
	b->e.arch = "x86_64";
	b->e.distro = "debian";
	b->e.source = "test";
	b->e.base_types = 18;
	b->e.types = 40;
	memset(b->e.base_sha256, (int)i, 32);
	b->data = blobs[i];
	b->size = BLOB_SZ;
	b->modules = mods;
	b->module_cnt = 2;
}

/* the blobs here are not BTF (stored whole) and few: force a dictionary */
static struct btfa_write_opts always = {.dict_mode = BTFA_DICT_ALWAYS};

static int write_n(const char *path, size_t from, size_t n, bool reverse)
{
	struct btfa_blob_in in[NBLOB];
	struct diag d = {""};
	size_t i;
	int err;

	for (i = 0; i < n; i++)
		blob_in(&in[reverse ? n - 1 - i : i], from + i);
	err = btfa_write(path, in, n, &always, &d);
	CHECK(err == (int)n, "btfa_write: %d %s", err, d.msg);
	return err == (int)n ? 0 : 1;
}

static bool same_file(const char *a, const char *b)
{
	size_t na, nb;
	void *pa = unit_slurp("/", a, &na), *pb = unit_slurp("/", b, &nb);
	bool same = na == nb && !memcmp(pa, pb, na);

	free(pa);
	free(pb);
	return same;
}

static int test_dict_round_trip(const char *dir)
{
	char p1[128], p2[128];
	struct btfa_reader r;
	struct diag d = {""};
	uint32_t i;

	(void)dir;
	path_of(p1, sizeof(p1), "a.btfa");
	path_of(p2, sizeof(p2), "b.btfa");
	if (write_n(p1, 0, NBLOB, false) || write_n(p2, 0, NBLOB, true))
		return 1;
	CHECK(same_file(p1, p2), "input order changed the bytes");
	CHECK(!btfa_reader__open(&r, p1, &d), "open: %s", d.msg);
	CHECK(r.dict_cnt == 1, "%u dictionaries", r.dict_cnt);
	CHECK(r.entry_cnt == NBLOB && r.module_cnt == 2 * NBLOB &&
		      r.range_cnt == 2 * NBLOB,
	      "counts %u %u %u", r.entry_cnt, r.module_cnt, r.range_cnt);
	for (i = 0; i < r.entry_cnt; i++) {
		void *data;
		size_t size;
		const struct btfa_entry *e = &r.entries[i];

		CHECK(e->dict_id && e->dict_id == r.dicts[0].dict_id,
		      "entry %u: dict %u", i, e->dict_id);
		CHECK(!btfa_reader__read(&r, i, &data, &size, &d), "read: %s",
		      d.msg);
		CHECK(size == BLOB_SZ && !memcmp(data, blobs[i], size),
		      "entry %u differs", i);
		CHECK(!btfa_reader__load_modules(&r, i, &d), "modules: %s",
		      d.msg);
		CHECK(!strcmp(r.modules[e->module_first].name, "mod_a"), "%s",
		      r.modules[e->module_first].name);
		CHECK(r.ranges[r.modules[e->module_first].range_first + 1]
				      .first == 30,
		      "range 1 of mod_a starts at %u",
		      r.ranges[r.modules[e->module_first].range_first + 1]
			      .first);
		free(data);
	}
	printf("%u blobs of %d bytes: %llu bytes (dictionary %llu)\n", NBLOB,
	       BLOB_SZ, (unsigned long long)r.file_size,
	       (unsigned long long)r.dicts[0].size);
	btfa_reader__close(&r);
	return 0;
}

static int test_append(const char *dir)
{
	struct btfa_write_opts o = {.new_dict = true,
				    .dict_mode = BTFA_DICT_ALWAYS};
	struct btfa_blob_in in;
	struct btfa_reader r;
	struct diag d = {""};
	char p[128];
	size_t added;
	uint32_t i;

	(void)dir;
	path_of(p, sizeof(p), "a.btfa");
	if (write_n(p, 0, 2, false))
		return 1;
	blob_in(&in, 2);
	CHECK(!btfa_append(p, &in, 1, &always, &added, &d), "append: %s",
	      d.msg);
	CHECK(added == 1, "added %zu", added);
	blob_in(&in, 3);
	CHECK(!btfa_append(p, &in, 1, &o, &added, &d), "append: %s", d.msg);
	CHECK(!btfa_append(p, &in, 1, &o, &added, &d) && added == 0,
	      "append again: %zu %s", added, d.msg);
	CHECK(!btfa_reader__open(&r, p, &d), "open: %s", d.msg);
	CHECK(r.entry_cnt == 4 && r.dict_cnt == 2, "%u entries, %u dicts",
	      r.entry_cnt, r.dict_cnt);
	/* reused dictionary for 6.1.0-3, a new one for 6.1.0-4 */
	CHECK(r.entries[2].dict_id == r.entries[0].dict_id, "no reuse");
	CHECK(r.entries[3].dict_id != r.entries[0].dict_id &&
		      r.entries[3].dict_id,
	      "no new dictionary");
	for (i = 0; i < r.entry_cnt; i++) {
		void *data;
		size_t size;

		CHECK(!btfa_reader__read(&r, i, &data, &size, &d), "read: %s",
		      d.msg);
		CHECK(size == BLOB_SZ && !memcmp(data, blobs[i], size),
		      "entry %u differs", i);
		free(data);
	}
	btfa_reader__close(&r);
	return 0;
}

/* The compat field: written, read back, part of an entry's identity. */
static int test_compat(const char *dir)
{
	struct btfa_blob_in in[3];
	struct btfa_reader r;
	struct diag d = {""};
	char p[128];
	int err;

	(void)dir;
	path_of(p, sizeof(p), "compat.btfa");
	blob_in(&in[0], 0);
	blob_in(&in[1], 0);
	in[1].e.compat = 513; /* same blob, stored as rewritten for 5.13 */
	blob_in(&in[2], 1);
	in[2].e.compat = 600;
	err = btfa_write(p, in, 3, &always, &d);
	CHECK(err == 3, "btfa_write: %d %s", err, d.msg);
	CHECK(!btfa_reader__open(&r, p, &d), "open: %s", d.msg);
	CHECK(r.entry_cnt == 3, "%u entries", r.entry_cnt);
	CHECK(r.entries[0].compat == 0 && r.entries[1].compat == 513 &&
		      r.entries[2].compat == 600,
	      "compat %u %u %u", r.entries[0].compat, r.entries[1].compat,
	      r.entries[2].compat);
	btfa_reader__close(&r);
	in[0].e.compat = 515;
	err = btfa_write(p, in, 1, &always, &d);
	CHECK(err == -EINVAL, "compat 515 written: %d", err);
	CHECK_MSG(d.msg, "compat 515 is not a BTF level");
	return 0;
}

/* --- crafted archives --------------------------------------------------- */

static uint8_t *idx; /* decompressed index of a valid archive */
static size_t idx_len;
static uint8_t *file; /* the valid archive */
static size_t file_len, idx_off;

static int load_valid(void)
{
	struct btfa_reader r;
	struct diag d = {""};
	char p[128];

	/* version 2: the module tables are in the index (the crafted cases
	 * edit them there); version 3's module blocks: test_mods_block */
	path_of(p, sizeof(p), "v.btfa");
	always.version = 2;
	if (write_n(p, 0, 2, false))
		return 1;
	always.version = 0;
	if (btfa_reader__open(&r, p, &d)) {
		CHECK(0, "open: %s", d.msg);
		return 1;
	}
	CHECK(r.dict_cnt == 1 && r.entry_cnt == 2, "%u dictionaries",
	      r.dict_cnt);
	idx_len = r.index_len;
	idx = malloc(idx_len);
	memcpy(idx, r.index, idx_len);
	idx_off = (size_t)r.index_off;
	btfa_reader__close(&r);
	file = unit_slurp("/", p, &file_len);
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4); /* the tests run little-endian */
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/*
 * Writes to path the archive whose first ioff bytes (header included) are
 * at head, with the decompressed index ix (n bytes) wrapped again: a new
 * zstd frame (content size flag as given), its size and SHA-256 in the
 * header.
 */
static void write_with_index(const char *path, const uint8_t *head,
			     uint64_t ioff, const uint8_t *ix, size_t n,
			     bool content_size)
{
	size_t bound = ZSTD_compressBound(n), z;
	uint8_t *out = malloc(ioff + bound);
	ZSTD_CCtx *c = ZSTD_createCCtx();
	struct sha256 sh;
	FILE *f;

	memcpy(out, head, ioff);
	ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, content_size);
	z = ZSTD_compress2(c, out + ioff, bound, ix, n);
	ZSTD_freeCCtx(c);
	put64(out + 24, z);
	sha256_init(&sh);
	sha256_update(&sh, out + ioff, z);
	sha256_final(&sh, out + 32);
	f = fopen(path, "wb");
	fwrite(out, 1, ioff + z, f);
	fclose(f);
	free(out);
}

/* The valid archive with index ix (content size flag as given). */
static int open_with(const uint8_t *ix, size_t n, bool content_size,
		     struct diag *d)
{
	struct btfa_reader r;
	char p[128];
	int err;

	path_of(p, sizeof(p), "c.btfa");
	write_with_index(p, file, idx_off, ix, n, content_size);
	err = btfa_reader__open(&r, p, d);
	if (!err)
		btfa_reader__close(&r);
	printf("%s\n", d->msg);
	return err;
}

/* Offsets in the index of the valid 2-entry archive (1 dictionary). */
#define ENT0 (32 + 24)
#define MOD0 (ENT0 + 2 * 152)
#define RNG0 (MOD0 + 4 * 16)

static int crafted(const char *what)
{
	uint8_t *ix;
	size_t n;
	struct diag d = {""};
	int err;

	if (load_valid())
		return 1;
	ix = malloc(idx_len + 64);
	memcpy(ix, idx, idx_len);
	n = idx_len;
	CHECK(!open_with(ix, n, true, &d), "valid rewrap fails: %s", d.msg);
	if (!strcmp(what, "counts")) {
		put32(ix + 12, 3);
		err = open_with(ix, n, true, &d);
		CHECK(err == -EBADMSG, "%d", err);
		CHECK_MSG(d.msg, "3 entries");
		CHECK_MSG(d.msg, "need ");
	} else if (!strcmp(what, "string")) {
		put32(ix + ENT0, 1u << 30);
		CHECK(open_with(ix, n, true, &d) == -EBADMSG, "accepted");
		CHECK_MSG(d.msg, "entry 0: string offset 1073741824 outside");
	} else if (!strcmp(what, "string_no_nul")) {
		ix[n - 1] = 'x'; /* the last string loses its NUL */
		CHECK(open_with(ix, n, true, &d) == -EBADMSG, "accepted");
		CHECK_MSG(d.msg, "not NUL-terminated");
	} else if (!strcmp(what, "module_past")) {
		put32(ix + ENT0 + 152 + 128, 0xffffffffu);
		CHECK(open_with(ix, n, true, &d) == -EBADMSG, "accepted");
		CHECK_MSG(d.msg, "past the module table (4)");
	} else if (!strcmp(what, "range_past")) {
		put32(ix + MOD0 + 4, 3);
		put32(ix + MOD0 + 8, 2);
		CHECK(open_with(ix, n, true, &d) == -EBADMSG, "accepted");
		CHECK_MSG(d.msg, "past the range table (4)");
	} else if (!strcmp(what, "range_order")) {
		/* version 2 writes distances: 19:3 is (18, 3), 30:2 is
		 * (8, 2); a distance that leaves the id space */
		CHECK(get32(ix + RNG0) == 18 && get32(ix + RNG0 + 8) == 8,
		      "ranges stored as %u, %u", get32(ix + RNG0),
		      get32(ix + RNG0 + 8));
		put32(ix + RNG0 + 8, 0xfffffff0);
		CHECK(open_with(ix, n, true, &d) == -EBADMSG, "accepted");
		CHECK_MSG(d.msg, "module 0 (mod_a): range 1 past the id space");
		/* modules whose ranges overlap in the table */
		put32(ix + RNG0 + 8, 8);
		put32(ix + MOD0 + 16 + 4, 0);
		put32(ix + MOD0 + 16 + 8, 1);
		CHECK(open_with(ix, n, true, &d) == -EBADMSG, "accepted");
		CHECK_MSG(d.msg, "module 1 (mod_b): ranges start at 0, not "
				 "after the previous module's (2)");
	} else if (!strcmp(what, "range_types")) {
		put32(ix + RNG0 + 12, 100); /* 30:100 past 40 types */
		CHECK(open_with(ix, n, true, &d) == -EBADMSG, "accepted");
		CHECK_MSG(d.msg, "past its 40 types");
	} else if (!strcmp(what, "dict_past")) {
		put64(ix + 32 + 16, UINT64_MAX - 10);
		CHECK(open_with(ix, n, true, &d) == -EBADMSG, "accepted");
		CHECK_MSG(d.msg, "dictionary 0");
		CHECK_MSG(d.msg, "outside the file");
	} else if (!strcmp(what, "dict_unknown")) {
		put32(ix + ENT0 + 112, 12345);
		CHECK(open_with(ix, n, true, &d) == -EBADMSG, "accepted");
		CHECK_MSG(d.msg, "dictionary id 12345 is not in the index");
	} else if (!strcmp(what, "compat_bad")) {
		/* 5.15 is a kernel version, not a level (5.13 is) */
		put32(ix + ENT0 + 152 + 136, 515);
		CHECK(open_with(ix, n, true, &d) == -EBADMSG, "accepted");
		CHECK_MSG(d.msg, "entry 1 (6.1.0-2): compat 515 is not a BTF "
				 "level");
		put32(ix + ENT0 + 152 + 136, 513);
		CHECK(!open_with(ix, n, true, &d), "513 refused: %s", d.msg);
	} else if (!strcmp(what, "encoding_bad")) {
		/* version 2: bytes 140..151 are encoding and reference */
		put32(ix + ENT0 + 152 + 140, 0xdeadbeef);
		CHECK(open_with(ix, n, true, &d) == -EBADMSG, "accepted");
		CHECK_MSG(d.msg, "entry 1 (6.1.0-2): encoding 3735928559");
		/* a delta with a dictionary */
		put32(ix + ENT0 + 152 + 140, 1);
		put64(ix + ENT0 + 152 + 144, get64(ix + ENT0 + 88));
		CHECK(open_with(ix, n, true, &d) == -EBADMSG, "accepted");
		CHECK_MSG(d.msg, "encoding 1 with reference");
		/* a delta on a frame no whole entry has */
		put32(ix + ENT0 + 152 + 112, 0);
		put64(ix + ENT0 + 152 + 144, 12345);
		CHECK(open_with(ix, n, true, &d) == -EBADMSG, "accepted");
		CHECK_MSG(d.msg, "reference frame at 12345 is not the frame of "
				 "a whole entry");
		/* on entry 0's frame: the index is valid */
		put64(ix + ENT0 + 152 + 144, get64(ix + ENT0 + 88));
		CHECK(!open_with(ix, n, true, &d), "refused: %s", d.msg);
		/* a plain entry with a reference */
		put32(ix + ENT0 + 152 + 140, 0);
		CHECK(open_with(ix, n, true, &d) == -EBADMSG, "accepted");
		CHECK_MSG(d.msg, "encoding 0 with reference");
		/* a streams entry in a version 2 index (version 4 only) */
		put32(ix + ENT0 + 152 + 140, 2);
		put64(ix + ENT0 + 152 + 144, 0);
		CHECK(open_with(ix, n, true, &d) == -EBADMSG, "accepted");
		CHECK_MSG(d.msg, "encoding 2 with reference 0");
	} else if (!strcmp(what, "no_content_size")) {
		CHECK(open_with(ix, n, false, &d) == -EBADMSG, "accepted");
		CHECK_MSG(d.msg, "not one zstd frame with its content size");
	} else if (!strcmp(what, "magic")) {
		ix[3] = 'x';
		CHECK(open_with(ix, n, true, &d) == -EBADMSG, "accepted");
		CHECK_MSG(d.msg, "index: bad magic");
	} else if (!strcmp(what, "frame_past")) {
		struct btfa_reader r;
		char p[128];
		void *data;
		size_t size;

		put64(ix + ENT0 + 152 + 96, UINT64_MAX);
		CHECK(!open_with(ix, n, true, &d), "open: %s", d.msg);
		path_of(p, sizeof(p), "c.btfa");
		CHECK(!btfa_reader__open(&r, p, &d), "%s", d.msg);
		CHECK(btfa_reader__read(&r, 1, &data, &size, &d) == -EBADMSG,
		      "read past the end");
		CHECK_MSG(d.msg, "outside the file");
		CHECK(!btfa_reader__read(&r, 0, &data, &size, &d),
		      "entry 0 should still read: %s", d.msg);
		free(data);
		btfa_reader__close(&r);
	} else if (!strcmp(what, "index_sha")) {
		char p[128];
		struct btfa_reader r;
		FILE *f;

		file[idx_off + 5] ^= 1;
		path_of(p, sizeof(p), "s.btfa");
		f = fopen(p, "wb");
		fwrite(file, 1, file_len, f);
		fclose(f);
		CHECK(btfa_reader__open(&r, p, &d) == -EBADMSG, "accepted");
		CHECK_MSG(d.msg, "SHA-256 mismatch");
	}
	free(ix);
	return 0;
}

/* Version 3: a corrupt module block fails module lookups of its entry
 * alone; totals in the index header that the entries do not add up to are
 * refused at open. */
static int test_mods_block(const char *dir)
{
	struct btfa_reader r;
	struct diag d = {""};
	uint64_t off, total;
	uint8_t *ix;
	size_t n;
	char p[128];
	FILE *f;

	(void)dir;
	path_of(p, sizeof(p), "m.btfa");
	if (write_n(p, 0, 2, false))
		return 1;
	CHECK(!btfa_reader__open(&r, p, &d), "open: %s", d.msg);
	CHECK(r.version == BTFA_VERSION && !r.modules,
	      "version %u, modules loaded", r.version);
	off = r.entries[0].mods_off;
	CHECK(r.entries[0].mods_size && r.entries[0].range_cnt == 2,
	      "entry 0: module block of %llu bytes, %u ranges",
	      (unsigned long long)r.entries[0].mods_size,
	      r.entries[0].range_cnt);
	btfa_reader__close(&r);
	ix = unit_slurp("/", p, &n);
	ix[off + 12] ^= 1;
	f = fopen(p, "wb");
	fwrite(ix, 1, n, f);
	fclose(f);
	CHECK(!btfa_reader__open(&r, p, &d), "open: %s", d.msg);
	CHECK(btfa_reader__load_modules(&r, 0, &d) == -EBADMSG, "accepted");
	CHECK_MSG(d.msg, "entry 0 (6.1.0-1): module block at ");
	CHECK_MSG(d.msg, "SHA-256 mismatch");
	CHECK(!btfa_reader__load_modules(&r, 1, &d), "entry 1: %s", d.msg);
	CHECK(!strcmp(r.modules[r.entries[1].module_first].name, "mod_a"),
	      "entry 1: module 0 is %s",
	      r.modules[r.entries[1].module_first].name);
	btfa_reader__close(&r);
	free(ix);

	/* the header's module total one more than the entries have */
	if (write_n(p, 0, 2, false))
		return 1;
	CHECK(!btfa_reader__open(&r, p, &d), "open: %s", d.msg);
	total = r.module_cnt;
	n = r.index_len;
	ix = malloc(n);
	memcpy(ix, r.index, n);
	btfa_reader__close(&r);
	put32(ix + 16, (uint32_t)total + 1);
	{
		size_t flen;
		uint8_t *file3 = unit_slurp("/", p, &flen);

		write_with_index(p, file3, get64(file3 + 16), ix, n, true);
		free(file3);
	}
	CHECK(btfa_reader__open(&r, p, &d) == -EBADMSG, "accepted");
	CHECK_MSG(d.msg, "the entries have 4 modules and 4 ranges, the "
			 "header says 5 and 4");
	free(ix);
	return 0;
}

/* --- version 4: module blocks stored as deltas ------------------------- */

static void *dblob[3];
static size_t dblob_n[3];
static const uint32_t ranges_c[] = {25, 4};
static const struct btfa_module_in mods_c[] = {
	{.name = "mod_c", .types = 4, .ranges = ranges_c, .range_cnt = 1},
};

/* 6.1.0-1 (delta1.btf) and 6.1.0-2 (dblob[ref]: delta2.btf, or
 * delta3.btf): one series, the first a delta on the second, both with
 * mods; 6.2.0-1 (delta1.btf), alone in its series, with mods_c. */
static int write_mods_delta_as(const char *path, uint32_t version, uint32_t ref)
{
	static const char *rel[] = {"6.1.0-1", "6.1.0-2", "6.2.0-1"};
	struct btfa_write_opts o = {.version = version};
	struct btfa_blob_in in[3];
	struct diag d = {""};
	size_t i;
	int err;

	for (i = 0; i < 3; i++) {
		memset(&in[i], 0, sizeof(in[i]));
		in[i].e.release = rel[i];
		in[i].e.arch = "x86_64";
		in[i].e.base_types = 18;
		in[i].e.types = 40;
		memset(in[i].e.base_sha256, (int)i + 1, 32);
		in[i].data = dblob[i == 1 ? ref : 0];
		in[i].size = dblob_n[i == 1 ? ref : 0];
		in[i].modules = i < 2 ? mods : mods_c;
		in[i].module_cnt = i < 2 ? 2 : 1;
	}
	err = btfa_write(path, in, 3, &o, &d);
	CHECK(err == 3, "btfa_write: %d %s", err, d.msg);
	return err == 3 ? 0 : 1;
}

static int write_mods_delta(const char *path, uint32_t version)
{
	return write_mods_delta_as(path, version, 1);
}

/* The archive at path with its index edited by edit (entry size esz),
 * wrapped again (new frame, size and SHA-256 in the header). */
static void rewrite_index(const char *path,
			  void (*edit)(uint8_t *ix, uint8_t *file, size_t esz))
{
	struct btfa_reader r;
	struct diag d = {""};
	size_t flen, n, ent0;
	uint8_t *f, *ix;

	CHECK(!btfa_reader__open(&r, path, &d), "open: %s", d.msg);
	n = r.index_len;
	ix = malloc(n);
	memcpy(ix, r.index, n);
	ent0 = 32 + (size_t)24 * r.dict_cnt;
	btfa_reader__close(&r);
	f = unit_slurp("/", path, &flen);
	edit(ix + ent0, f, BTFA_ENTRY_SIZE);
	write_with_index(path, f, get64(f + 16), ix, n, true);
	free(f);
	free(ix);
}

/* entry 0's module block named as the reference of its own */
static void ref_self(uint8_t *ix, uint8_t *f, size_t esz)
{
	(void)f;
	(void)esz;
	put64(ix + 200, get64(ix + 152));
}

/* entry 0's module block on the block of 6.2.0-1 (entry 2) */
static void ref_other(uint8_t *ix, uint8_t *f, size_t esz)
{
	(void)f;
	put64(ix + 200, get64(ix + 2 * esz + 152));
}

/* entry 0's module block one byte short, its SHA-256 that of the rest */
static void mods_cut(uint8_t *ix, uint8_t *f, size_t esz)
{
	uint64_t size = get64(ix + 160) - 1;
	struct sha256 sh;

	(void)esz;
	put64(ix + 160, size);
	sha256_init(&sh);
	sha256_update(&sh, f + get64(ix + 152), (size_t)size);
	sha256_final(&sh, ix + 168);
}

/* Versions 4 and 5: a delta entry's module block is a delta on its
 * reference's; it reads back, version 3 is still written and read, and
 * each version's delta payload is the one its readers know; a reference that is
 * not a whole block, another whole block, a cut block and a corrupt
 * reference are each refused with what is wrong. */
static int test_mods_delta(const char *dir)
{
	struct btfa_reader r;
	struct diag d = {""};
	const struct btfa_entry *e;
	char p[128];
	uint32_t i, v;
	uint8_t *f;
	size_t n, at;
	FILE *fp;

	if (unit_skipped(dir))
		return UNIT_SKIP;
	dblob[0] = unit_slurp(dir, "delta1.btf", &dblob_n[0]);
	dblob[1] = unit_slurp(dir, "delta2.btf", &dblob_n[1]);
	path_of(p, sizeof(p), "md.btfa");
	for (v = 3; v <= 5; v++) {
		if (write_mods_delta(p, v))
			return 1;
		CHECK(!btfa_reader__open(&r, p, &d), "open: %s", d.msg);
		e = r.entries;
		CHECK(r.version == v && r.entry_cnt == 3,
		      "version %u, %u entries", r.version, r.entry_cnt);
		CHECK(e[0].encoding == BTFA_ENC_DELTA && e[0].ref_idx == 1,
		      "entry 0: encoding %u on %u", e[0].encoding,
		      e[0].ref_idx);
		CHECK(e[0].mods_ref_off == (v >= 4 ? e[1].mods_off : 0) &&
			      !e[1].mods_ref_off && !e[2].mods_ref_off,
		      "version %u: module block references %llu %llu %llu", v,
		      (unsigned long long)e[0].mods_ref_off,
		      (unsigned long long)e[1].mods_ref_off,
		      (unsigned long long)e[2].mods_ref_off);
		for (i = 0; i < 3; i++) {
			const struct btfa_module *m;
			void *data;
			size_t size;

			CHECK(!btfa_reader__load_modules(&r, i, &d),
			      "entry %u: %s", i, d.msg);
			m = &r.modules[e[i].module_first];
			CHECK(!strcmp(m->name, i < 2 ? "mod_a" : "mod_c") &&
				      m->range_cnt == (i < 2 ? 2 : 1) &&
				      r.ranges[m->range_first].first ==
					      (i < 2 ? 19u : 25u),
			      "entry %u: module %s, %u ranges from %u", i,
			      m->name, m->range_cnt,
			      r.ranges[m->range_first].first);
			CHECK(!btfa_reader__read(&r, i, &data, &size, &d),
			      "read %u: %s", i, d.msg);
			CHECK(size == dblob_n[i % 2] &&
				      !memcmp(data, dblob[i % 2], size),
			      "entry %u differs", i);
			free(data);
		}
		/* the delta payload a reader of that version knows: version
		 * 1 (BTFDLT1) below archive version 4, version 2 in 4,
		 * version 3 from 5 */
		{
			void *enc = NULL;
			size_t enc_n = 0;
			const char *want = v == 5   ? BTF_DELTA_MAGIC3
					   : v == 4 ? BTF_DELTA_MAGIC2
						    : BTF_DELTA_MAGIC;

			CHECK(!btfa_reader__read_payload(&r, 0, dblob[1],
							 dblob_n[1], &enc,
							 &enc_n, &d),
			      "payload of entry 0: %s", d.msg);
			CHECK(enc_n >= 8 && !memcmp(enc, want, 8),
			      "version %u: payload magic %.7s, want %s", v,
			      enc_n >= 8 ? (const char *)enc : "", want);
			free(enc);
		}
		btfa_reader__close(&r);
	}

	rewrite_index(p, ref_self);
	CHECK(btfa_reader__open(&r, p, &d) == -EBADMSG, "self: accepted");
	CHECK_MSG(d.msg, "index: entry 0 (6.1.0-1): its module block's "
			 "reference at ");
	CHECK_MSG(d.msg, " is not the module block, stored whole, of an entry");

	if (write_mods_delta(p, 4))
		return 1;
	rewrite_index(p, ref_other);
	CHECK(!btfa_reader__open(&r, p, &d), "other: open: %s", d.msg);
	CHECK(btfa_reader__load_modules(&r, 0, &d) == -EBADMSG,
	      "other: accepted");
	CHECK_MSG(d.msg, "entry 0 (6.1.0-1): module block at ");
	CHECK_MSG(d.msg, ": zstd: ");
	CHECK(!btfa_reader__load_modules(&r, 2, &d), "entry 2: %s", d.msg);
	btfa_reader__close(&r);

	if (write_mods_delta(p, 4))
		return 1;
	rewrite_index(p, mods_cut);
	CHECK(!btfa_reader__open(&r, p, &d), "cut: open: %s", d.msg);
	CHECK(btfa_reader__load_modules(&r, 0, &d) == -EBADMSG,
	      "cut: accepted");
	CHECK_MSG(d.msg, "entry 0 (6.1.0-1): module block at ");
	CHECK_MSG(d.msg, "not one zstd frame with its content size");
	btfa_reader__close(&r);

	/* one byte of the reference's block flipped */
	if (write_mods_delta(p, 4))
		return 1;
	CHECK(!btfa_reader__open(&r, p, &d), "open: %s", d.msg);
	at = (size_t)r.entries[1].mods_off + 12;
	btfa_reader__close(&r);
	f = unit_slurp("/", p, &n);
	f[at] ^= 1;
	fp = fopen(p, "wb");
	fwrite(f, 1, n, fp);
	fclose(fp);
	free(f);
	CHECK(!btfa_reader__open(&r, p, &d), "ref: open: %s", d.msg);
	CHECK(btfa_reader__load_modules(&r, 0, &d) == -EBADMSG,
	      "ref: accepted");
	CHECK_MSG(d.msg, "entry 0 (6.1.0-1): module block at ");
	CHECK_MSG(d.msg, "its reference, entry 1 (6.1.0-2): SHA-256 mismatch");
	btfa_reader__close(&r);
	free(dblob[0]);
	free(dblob[1]);
	return 0;
}

/* --- version 5: module blocks in segment coordinates (layout 2) ------- */

/* mod_x's own ids start at 19, mod_y's at 22, mod_z's at 30: mod_y has a
 * base id (10) and one of mod_x's, mod_x one of mod_z's (a later
 * segment), mod_z one of mod_y's. */
static const uint32_t rng_x[] = {19, 3, 33, 1};
static const uint32_t rng_y[] = {10, 1, 20, 1, 22, 3, 27, 1};
static const uint32_t rng_z[] = {23, 1, 30, 5};
static const struct btfa_module_in mods_l2[] = {
	{.name = "mod_x", .types = 4, .ranges = rng_x, .range_cnt = 2},
	{.name = "mod_y", .types = 6, .ranges = rng_y, .range_cnt = 4},
	{.name = "mod_z", .types = 6, .ranges = rng_z, .range_cnt = 2},
};

static int write_l2(const char *path, uint32_t version)
{
	struct btfa_write_opts o = {.version = version};
	struct btfa_blob_in in;
	struct diag d = {""};
	int err;

	blob_in(&in, 0);
	in.modules = mods_l2;
	in.module_cnt = 3;
	err = btfa_write(path, &in, 1, &o, &d);
	CHECK(err == 1, "btfa_write: %d %s", err, d.msg);
	return err == 1 ? 0 : 1;
}

/* Entry 0's module block of the archive at path (as the reader
 * decompressed it), edited by edit, compressed again whole and written
 * before a new index that points at it (offset, size, SHA-256, no block
 * it is a delta on). */
static void edit_block(const char *path, void (*edit)(uint8_t *blk))
{
	struct btfa_reader r;
	struct diag d = {""};
	uint64_t ioff;
	size_t flen, n, ent0, bn, cn;
	uint8_t *f, *ix, *blk, *g;
	struct sha256 sh;

	CHECK(!btfa_reader__open(&r, path, &d), "open: %s", d.msg);
	CHECK(!btfa_reader__load_modules(&r, 0, &d), "modules: %s", d.msg);
	n = r.index_len;
	ix = malloc(n);
	memcpy(ix, r.index, n);
	ent0 = 32 + (size_t)24 * r.dict_cnt;
	bn = (size_t)btfa_mods_block_len(r.mods_blocks[0]);
	blk = malloc(bn);
	memcpy(blk, r.mods_blocks[0], bn);
	btfa_reader__close(&r);
	f = unit_slurp("/", path, &flen);
	ioff = get64(f + 16);
	edit(blk);
	g = malloc((size_t)ioff + ZSTD_compressBound(bn));
	memcpy(g, f, (size_t)ioff);
	cn = ZSTD_compress(g + ioff, ZSTD_compressBound(bn), blk, bn, 3);
	put64(ix + ent0 + 152, ioff);
	put64(ix + ent0 + 160, cn);
	put64(ix + ent0 + 200, 0);
	sha256_init(&sh);
	sha256_update(&sh, g + ioff, cn);
	sha256_final(&sh, ix + ent0 + 168);
	put64(g + 16, ioff + cn);
	write_with_index(path, g, ioff + cn, ix, n, true);
	free(g);
	free(blk);
	free(f);
	free(ix);
}

/* layout 2: module j's record, range k (of all) */
#define L2_MOD(b, j)   ((b) + BTFA_MODS_HDR_SIZE + BTFA_MODULE2_SIZE * (j))
#define L2_RANGE(b, k) (L2_MOD(b, 3) + BTFA_RANGE2_SIZE * (k))

/* the ranges: mod_x's 0 and 1, mod_y's 2 to 5, mod_z's 6 and 7 */

static void code_past(uint8_t *b)
{
	put32(L2_RANGE(b, 0), 5); /* segment 3 of 3 */
}

static void code1_first(uint8_t *b)
{
	put32(L2_RANGE(b, 2), 1); /* mod_y's first range */
}

static void seg_past(uint8_t *b)
{
	put32(L2_MOD(b, 2) + 8, 20); /* mod_z at 22 + 20 > 40 + 1 */
}

static void name_past(uint8_t *b)
{
	put32(L2_MOD(b, 1), 2000);
}

static void range_cnt_short(uint8_t *b)
{
	put32(L2_MOD(b, 2) + 4, 1);
}

static void range_overlap(uint8_t *b)
{
	put32(L2_RANGE(b, 4), 0); /* mod_y's 22..24 as 20..22 */
	put32(L2_RANGE(b, 4) + 4, 20);
}

static void id_past(uint8_t *b)
{
	put32(L2_RANGE(b, 7) + 4, 9); /* mod_z's 30 at 39, 5 ids */
}

static void id_space(uint8_t *b)
{
	put32(L2_RANGE(b, 1) + 4, 0xfffffff0u); /* 30 + that */
}

static int l2_refused(const char *p, void (*edit)(uint8_t *), const char *msg)
{
	struct btfa_reader r;
	struct diag d = {""};

	if (write_l2(p, 5))
		return 1;
	edit_block(p, edit);
	CHECK(!btfa_reader__open(&r, p, &d), "open: %s", d.msg);
	CHECK(btfa_reader__load_modules(&r, 0, &d) == -EBADMSG, "accepted");
	CHECK_MSG(d.msg, "entry 0 (6.1.0-1): module block at ");
	CHECK_MSG(d.msg, msg);
	btfa_reader__close(&r);
	return 0;
}

/* Version 5 writes layout 2, version 4 layout 1, and both read back the
 * ranges written, codes 0 (a base id), 1 (same segment), a later and an
 * earlier module's segment included. A layout 2 block whose records do
 * not decode, or in a version 4 archive, is refused with what is wrong. */
static int test_mods_layout2(const char *dir)
{
	struct btfa_reader r;
	struct diag d = {""};
	uint32_t v, j, k;
	uint8_t *f;
	size_t n;
	char p[128];

	(void)dir;
	path_of(p, sizeof(p), "l2.btfa");
	for (v = 4; v <= 5; v++) {
		const uint8_t *blk;

		if (write_l2(p, v))
			return 1;
		CHECK(!btfa_reader__open(&r, p, &d), "open: %s", d.msg);
		CHECK(r.version == v, "version %u", r.version);
		CHECK(!btfa_reader__load_modules(&r, 0, &d), "modules: %s",
		      d.msg);
		blk = r.mods_blocks[0];
		CHECK(!memcmp(blk, v == 5 ? BTFA_MODS_MAGIC2 : BTFA_MODS_MAGIC,
			      8),
		      "version %u: block magic %.7s", v, (const char *)blk);
		for (j = 0; j < 3; j++) {
			const struct btfa_module *m =
				&r.modules[r.entries[0].module_first + j];
			const struct btfa_module_in *w = &mods_l2[j];

			CHECK(!strcmp(m->name, w->name) &&
				      m->range_cnt == w->range_cnt &&
				      m->types == w->types,
			      "version %u: module %u: %s, %u ranges, %u types",
			      v, j, m->name, m->range_cnt, m->types);
			for (k = 0; k < w->range_cnt; k++) {
				const struct btfa_range *g =
					&r.ranges[m->range_first + k];

				CHECK(g->first == w->ranges[2 * k] &&
					      g->count == w->ranges[2 * k + 1],
				      "version %u: %s range %u is %u:%u, "
				      "written %u:%u",
				      v, w->name, k, g->first, g->count,
				      w->ranges[2 * k], w->ranges[2 * k + 1]);
			}
		}
		btfa_reader__close(&r);
	}
	/* an append to a version 4 archive: the current version, the kept
	 * entry's block still layout 1, the new one's (a whole entry)
	 * layout 2, both read back */
	{
		struct btfa_blob_in in;
		size_t added = 0;

		if (write_l2(p, 4))
			return 1;
		blob_in(&in, 1);
		in.modules = mods_l2;
		in.module_cnt = 3;
		CHECK(!btfa_append(p, &in, 1, NULL, &added, &d) && added == 1,
		      "append: %zu %s", added, d.msg);
		CHECK(!btfa_reader__open(&r, p, &d), "open: %s", d.msg);
		CHECK(r.version == BTFA_VERSION && r.entry_cnt == 2,
		      "version %u, %u entries", r.version, r.entry_cnt);
		for (j = 0; j < 2; j++) {
			const struct btfa_module *m;

			CHECK(!btfa_reader__load_modules(&r, j, &d),
			      "appended, entry %u: %s", j, d.msg);
			CHECK(!memcmp(r.mods_blocks[j],
				      j ? BTFA_MODS_MAGIC2 : BTFA_MODS_MAGIC,
				      8),
			      "appended, entry %u: block magic %.7s", j,
			      (const char *)r.mods_blocks[j]);
			m = &r.modules[r.entries[j].module_first + 1];
			CHECK(m->range_cnt == 4 &&
				      r.ranges[m->range_first + 3].first == 27,
			      "appended, entry %u: mod_y's last range at %u", j,
			      r.ranges[m->range_first + 3].first);
		}
		btfa_reader__close(&r);
	}
	if (write_l2(p, 5))
		return 1;
	/* the codes as docs/FORMAT.md has them */
	{
		uint8_t *b;

		CHECK(!btfa_reader__open(&r, p, &d), "open: %s", d.msg);
		CHECK(!btfa_reader__load_modules(&r, 0, &d), "%s", d.msg);
		b = r.mods_blocks[0];
		CHECK(get32(L2_MOD(b, 1) + 8) == 3 &&
			      get32(L2_MOD(b, 2) + 8) == 8,
		      "segment starts 22, 30 as +%u, +%u",
		      get32(L2_MOD(b, 1) + 8), get32(L2_MOD(b, 2) + 8));
		CHECK(get32(L2_RANGE(b, 1)) == 3 &&
			      get32(L2_RANGE(b, 1) + 4) == 3 &&
			      get32(L2_RANGE(b, 2)) == 0 &&
			      get32(L2_RANGE(b, 3)) == 2 &&
			      get32(L2_RANGE(b, 4)) == 2 &&
			      get32(L2_RANGE(b, 5)) == 1 &&
			      get32(L2_RANGE(b, 5) + 4) == 2 &&
			      get32(L2_RANGE(b, 6)) == 3 &&
			      get32(L2_RANGE(b, 7)) == 2,
		      "codes of mod_x's 33 (%u +%u), mod_y's (%u %u %u %u "
		      "+%u), mod_z's (%u %u)",
		      get32(L2_RANGE(b, 1)), get32(L2_RANGE(b, 1) + 4),
		      get32(L2_RANGE(b, 2)), get32(L2_RANGE(b, 3)),
		      get32(L2_RANGE(b, 4)), get32(L2_RANGE(b, 5)),
		      get32(L2_RANGE(b, 5) + 4), get32(L2_RANGE(b, 6)),
		      get32(L2_RANGE(b, 7)));
		btfa_reader__close(&r);
	}
	if (l2_refused(p, code_past,
		       "module 0 (mod_x): range 0: code 5 names no segment") ||
	    l2_refused(p, code1_first,
		       "module 1 (mod_y): range 0: code 1 names no segment") ||
	    l2_refused(p, seg_past,
		       "module 2 (mod_z): segment start 42 past the entry's "
		       "40 types") ||
	    l2_refused(p, name_past,
		       "module 1: name outside the string table") ||
	    l2_refused(p, range_cnt_short,
		       "the modules have 7 ranges, the block 8") ||
	    l2_refused(p, range_overlap,
		       "module mod_y: range 20:3 not "
		       "sorted, empty or past its 40 "
		       "types") ||
	    l2_refused(p, id_space,
		       "module 0 (mod_x): range 1 past the id space") ||
	    l2_refused(p, id_past,
		       "module mod_z: range 39:5 not sorted, "
		       "empty or past its 40 types"))
		return 1;

	/* a layout 2 block in a version 4 archive */
	if (write_l2(p, 5))
		return 1;
	f = unit_slurp("/", p, &n);
	put32(f + 8, 4);
	{
		FILE *fp = fopen(p, "wb");

		fwrite(f, 1, n, fp);
		fclose(fp);
	}
	free(f);
	CHECK(!btfa_reader__open(&r, p, &d), "version 4: open: %s", d.msg);
	CHECK(btfa_reader__load_modules(&r, 0, &d) == -EBADMSG,
	      "version 4: layout 2 accepted");
	CHECK_MSG(d.msg, "header: magic");
	btfa_reader__close(&r);
	return 0;
}

/* --- version 6: a delta entry's module block through its type map ----- */

/* 6.1.0-1 (delta1.btf, 30 types) is a delta on 6.1.0-2 (delta2.btf, 34
 * types: V2 adds struct added_first (1), its pointer (28), get_added (33,
 * 34) and a member, so most ids move). mod_a's and mod_c's ids are the
 * partners of their reference modules' (mod_c's out of order: int moved
 * from 2 to 6); mod_b loses struct drv (24 in 6.1.0-2) and gains 29 and
 * 30; mod_new is not in the reference, mod_gone only there. */
static const uint32_t r2_a[] = {9, 1, 16, 3};
static const uint32_t r2_b[] = {20, 5, 30, 1};
static const uint32_t r2_c[] = {2, 4};
static const uint32_t r2_g[] = {28, 1, 33, 2};
static const struct btfa_module_in mods_r2[] = {
	{.name = "mod_a", .types = 4, .ranges = r2_a, .range_cnt = 2},
	{.name = "mod_b", .types = 6, .ranges = r2_b, .range_cnt = 2},
	{.name = "mod_c", .types = 4, .ranges = r2_c, .range_cnt = 1},
	{.name = "mod_gone", .types = 3, .ranges = r2_g, .range_cnt = 2},
};
static const uint32_t r1_a[] = {8, 1, 14, 3};
static const uint32_t r1_b[] = {19, 4, 28, 3};
static const uint32_t r1_c[] = {1, 3, 6, 1};
static const uint32_t r1_n[] = {11, 2};
static const struct btfa_module_in mods_r1[] = {
	{.name = "mod_a", .types = 4, .ranges = r1_a, .range_cnt = 2},
	{.name = "mod_b", .types = 7, .ranges = r1_b, .range_cnt = 2},
	{.name = "mod_c", .types = 4, .ranges = r1_c, .range_cnt = 2},
	{.name = "mod_new", .types = 2, .ranges = r1_n, .range_cnt = 1},
	{.name = "mod_none", .types = 0},
};

static int write_l3(const char *path, uint32_t version)
{
	struct btfa_write_opts o = {.version = version};
	struct btfa_blob_in in[2];
	struct diag d = {""};
	int err, i;

	for (i = 0; i < 2; i++) {
		memset(&in[i], 0, sizeof(in[i]));
		in[i].e.release = i ? "6.1.0-2" : "6.1.0-1";
		in[i].e.arch = "x86_64";
		in[i].e.base_types = 4;
		in[i].e.types = i ? 34 : 30;
		memset(in[i].e.base_sha256, 1, 32);
		in[i].data = dblob[i];
		in[i].size = dblob_n[i];
		in[i].modules = i ? mods_r2 : mods_r1;
		in[i].module_cnt = i ? 4 : 5;
	}
	err = btfa_write(path, in, 2, &o, &d);
	CHECK(err == 2, "btfa_write: %d %s", err, d.msg);
	return err == 2 ? 0 : 1;
}

/* The modules of entry ei of r are those written (ranges loaded). */
static void check_mods(const struct btfa_reader *r, uint32_t ei,
		       const struct btfa_module_in *w, uint32_t cnt,
		       const char *what)
{
	const struct btfa_entry *e = &r->entries[ei];
	uint32_t j, k;

	CHECK(e->module_cnt == cnt, "%s: %u modules", what, e->module_cnt);
	for (j = 0; j < cnt && j < e->module_cnt; j++) {
		const struct btfa_module *m = &r->modules[e->module_first + j];

		CHECK(!strcmp(m->name, w[j].name) &&
			      m->range_cnt == w[j].range_cnt &&
			      m->types == w[j].types,
		      "%s: module %u: %s, %u ranges, %u types", what, j,
		      m->name, m->range_cnt, m->types);
		for (k = 0; k < w[j].range_cnt && k < m->range_cnt; k++) {
			const struct btfa_range *g =
				&r->ranges[m->range_first + k];

			CHECK(g->first == w[j].ranges[2 * k] &&
				      g->count == w[j].ranges[2 * k + 1],
			      "%s: %s range %u is %u:%u, written %u:%u", what,
			      w[j].name, k, g->first, g->count,
			      w[j].ranges[2 * k], w[j].ranges[2 * k + 1]);
		}
	}
}

/* layout 3: module j's record; the runs start after the 5 records */
#define L3_MOD(b, j) ((b) + BTFA_MODS_HDR_SIZE + BTFA_MODULE3_SIZE * (j))
#define L3_RUN(b, k) (L3_MOD(b, 5) + BTFA_RUN3_SIZE * (k))

/* the runs: mod_b's added 29..30, mod_b's removed 24, mod_new's 11..12 */

static void l3_link_past(uint8_t *b)
{
	put32(L3_MOD(b, 0), 21); /* module 0 + 10 */
}

static void l3_rm_unlinked(uint8_t *b)
{
	put32(L3_MOD(b, 3) + 8, 1); /* mod_new */
	put32(L3_MOD(b, 1) + 8, 0); /* the same runs in all */
}

static void l3_runs_more(uint8_t *b)
{
	put32(L3_MOD(b, 4) + 4, 1); /* mod_none */
}

static void l3_gap0(uint8_t *b)
{
	put32(L3_RUN(b, 0), 0);
}

static void l3_rm_outside(uint8_t *b)
{
	put32(L3_RUN(b, 1), 26); /* 26 is not mod_b's in 6.1.0-2 */
}

static void l3_add_twice(uint8_t *b)
{
	put32(L3_RUN(b, 0), 28); /* 28 is drv_sum's, mapped */
	put32(L3_RUN(b, 0) + 4, 1);
}

static void l3_unpartnered(uint8_t *b)
{
	put32(L3_MOD(b, 2), 3); /* mod_c on mod_gone, 28 has no partner */
}

/* The archive at p made by write_l3 and edited: refused by
 * btfa_reader__load_modules (stage 1) or btfa_reader__load_ranges (2). */
static int l3_refused(const char *p, void (*edit)(uint8_t *), int stage,
		      const char *msg)
{
	struct btfa_reader r;
	struct diag d = {""};

	if (write_l3(p, 6))
		return 1;
	edit_block(p, edit);
	CHECK(!btfa_reader__open(&r, p, &d), "open: %s", d.msg);
	if (stage == 2)
		CHECK(!btfa_reader__load_modules(&r, 0, &d), "%s: %s", msg,
		      d.msg);
	CHECK(btfa_reader__load_ranges(&r, 0, &d) == -EBADMSG, "%s: accepted",
	      msg);
	CHECK_MSG(d.msg, "entry 0 (6.1.0-1): module block at ");
	CHECK_MSG(d.msg, msg);
	btfa_reader__close(&r);
	return 0;
}

/*
 * Version 6 stores a delta entry's module block through its type map:
 * modules whose ids are the partners of their reference module's are a
 * link alone; the names and counts load without the payload, the ranges
 * with it (read then, or the one the last read decoded). They read back
 * as written, in archives written whole and appended to; version 5
 * writes layout 2. A block that does not decode is refused with what is
 * wrong.
 */
static int test_mods_layout3(const char *dir)
{
	struct btfa_reader r;
	struct diag d = {""};
	const uint8_t *b;
	uint64_t before;
	char p[128];
	void *data;
	size_t size, added = 0;
	uint32_t v;

	if (unit_skipped(dir))
		return UNIT_SKIP;
	dblob[0] = unit_slurp(dir, "delta1.btf", &dblob_n[0]);
	dblob[1] = unit_slurp(dir, "delta2.btf", &dblob_n[1]);
	path_of(p, sizeof(p), "l3.btfa");
	if (write_l3(p, 6))
		return 1;
	CHECK(!btfa_reader__open(&r, p, &d), "open: %s", d.msg);
	CHECK(r.entries[0].encoding == BTFA_ENC_DELTA &&
		      r.entries[0].ref_idx == 1,
	      "entry 0: encoding %u", r.entries[0].encoding);
	CHECK(!btfa_reader__load_modules(&r, 0, &d), "modules: %s", d.msg);
	b = r.mods_blocks[0];
	CHECK(!memcmp(b, BTFA_MODS_MAGIC3, 8), "block magic %.7s",
	      (const char *)b);
	CHECK(get32(L3_MOD(b, 0) + 4) + get32(L3_MOD(b, 0) + 8) +
			      get32(L3_MOD(b, 2) + 4) +
			      get32(L3_MOD(b, 2) + 8) ==
		      0,
	      "mod_a, mod_c: not a link alone");
	CHECK(btfa_reader_ranges_pending(&r, 0) &&
		      !strcmp(r.modules[r.entries[0].module_first + 3].name,
			      "mod_new") &&
		      !r.modules[r.entries[0].module_first].range_cnt,
	      "names without ranges: pending %d",
	      btfa_reader_ranges_pending(&r, 0));
	/* the payload read for it */
	CHECK(!btfa_reader__load_ranges(&r, 0, &d), "ranges: %s", d.msg);
	check_mods(&r, 0, mods_r1, 5, "6.1.0-1");
	CHECK(!btfa_reader__load_ranges(&r, 1, &d), "ranges: %s", d.msg);
	check_mods(&r, 1, mods_r2, 4, "6.1.0-2");
	btfa_reader__close(&r);

	/* the payload a read decoded: nothing more is read */
	CHECK(!btfa_reader__open(&r, p, &d), "open: %s", d.msg);
	CHECK(!btfa_reader__load_modules(&r, 0, &d), "modules: %s", d.msg);
	CHECK(!btfa_reader__read(&r, 0, &data, &size, &d), "read: %s", d.msg);
	free(data);
	before = r.bytes_read;
	CHECK(!btfa_reader__load_ranges(&r, 0, &d), "ranges: %s", d.msg);
	CHECK(r.bytes_read == before, "%llu bytes read again",
	      (unsigned long long)(r.bytes_read - before));
	check_mods(&r, 0, mods_r1, 5, "after a read");
	btfa_reader__close(&r);

	/* version 5: layout 2, the same modules */
	if (write_l3(p, 5))
		return 1;
	CHECK(!btfa_reader__open(&r, p, &d), "open: %s", d.msg);
	CHECK(!btfa_reader__load_modules(&r, 0, &d), "modules: %s", d.msg);
	CHECK(!memcmp(r.mods_blocks[0], BTFA_MODS_MAGIC2, 8) &&
		      !btfa_reader_ranges_pending(&r, 0),
	      "version 5: block magic %.7s", (const char *)r.mods_blocks[0]);
	check_mods(&r, 0, mods_r1, 5, "version 5");
	btfa_reader__close(&r);

	/* appended on a kept reference, in a version 5 archive and a 6 */
	for (v = 5; v <= 6; v++) {
		struct btfa_write_opts o = {.version = v};
		struct btfa_blob_in in[2];
		uint32_t i;

		for (i = 0; i < 2; i++) {
			memset(&in[i], 0, sizeof(in[i]));
			in[i].e.release = i ? "6.1.0-2" : "6.1.0-1";
			in[i].e.arch = "x86_64";
			in[i].e.base_types = 4;
			in[i].e.types = i ? 34 : 30;
			memset(in[i].e.base_sha256, 1, 32);
			in[i].data = dblob[i];
			in[i].size = dblob_n[i];
			in[i].modules = i ? mods_r2 : mods_r1;
			in[i].module_cnt = i ? 4 : 5;
		}
		CHECK(btfa_write(p, &in[1], 1, &o, &d) == 1, "write: %s",
		      d.msg);
		CHECK(!btfa_append(p, &in[0], 1, NULL, &added, &d) &&
			      added == 1,
		      "append: %zu %s", added, d.msg);
		CHECK(!btfa_reader__open(&r, p, &d), "open: %s", d.msg);
		CHECK(r.version == 6 && r.entries[0].encoding == BTFA_ENC_DELTA,
		      "appended to %u: version %u, encoding %u", v, r.version,
		      r.entries[0].encoding);
		CHECK(!btfa_reader__load_ranges(&r, 0, &d), "ranges: %s",
		      d.msg);
		CHECK(!memcmp(r.mods_blocks[0], BTFA_MODS_MAGIC3, 8),
		      "appended to %u: block magic %.7s", v,
		      (const char *)r.mods_blocks[0]);
		check_mods(&r, 0, mods_r1, 5, "appended");
		btfa_reader__close(&r);
	}

	if (l3_refused(p, l3_link_past, 1,
		       "module 0: link to module 10 of the reference's 4") ||
	    l3_refused(p, l3_rm_unlinked, 1,
		       "module 3: removes ids without a reference module") ||
	    l3_refused(p, l3_runs_more, 1,
		       "the modules have 4 runs, the block 3") ||
	    l3_refused(p, l3_gap0, 2,
		       "a run of ids empty, not after the previous one or past "
		       "the ids") ||
	    l3_refused(p, l3_rm_outside, 2,
		       "module mod_b: removes ids its reference module does "
		       "not have") ||
	    l3_refused(p, l3_add_twice, 2, "module: id 28 twice") ||
	    l3_refused(p, l3_unpartnered, 2,
		       "module mod_gone: reference id 28 has no partner and is "
		       "not removed"))
		return 1;

	/* a layout 3 block in a version 5 archive */
	if (write_l3(p, 6))
		return 1;
	{
		uint8_t *f = unit_slurp("/", p, &size);
		FILE *fp = fopen(p, "wb");

		put32(f + 8, 5);
		fwrite(f, 1, size, fp);
		fclose(fp);
		free(f);
	}
	CHECK(!btfa_reader__open(&r, p, &d), "version 5: open: %s", d.msg);
	CHECK(btfa_reader__load_modules(&r, 0, &d) == -EBADMSG,
	      "version 5: layout 3 accepted");
	CHECK_MSG(d.msg, "header: magic");
	btfa_reader__close(&r);
	free(dblob[0]);
	free(dblob[1]);
	return 0;
}

#define CRAFTED(name)                                                          \
	static int test_##name(const char *dir)                                \
	{                                                                      \
		(void)dir;                                                     \
		return crafted(#name);                                         \
	}
CRAFTED(counts)
CRAFTED(string)
CRAFTED(string_no_nul)
CRAFTED(module_past)
CRAFTED(range_past)
CRAFTED(range_order)
CRAFTED(range_types)
CRAFTED(dict_past)
CRAFTED(dict_unknown)
CRAFTED(compat_bad)
CRAFTED(encoding_bad)
CRAFTED(no_content_size)
CRAFTED(magic)
CRAFTED(frame_past)
CRAFTED(index_sha)

/*
 * A delta entry read on two threads in the orders a reader meets: its
 * reference not read yet (read into a buffer faulted in beside; a streams
 * reference decompressed into the delta's own blob buffer, or into the
 * reader's scratch when it does not fit there), again with the reference
 * at hand, then the reference itself and another series. The bytes are
 * those of one thread. On delta2.btf the reference's streams payload fits
 * in the delta's blob, on the larger delta3.btf it does not: both are
 * checked to happen.
 */
/* entry 1 (a streams entry): its second frame cut by one byte */
static void strs_cut(uint8_t *ix, uint8_t *f, size_t esz)
{
	(void)f;
	put64(ix + esz + 96, get64(ix + esz + 96) - 1);
}

static int test_reads_two_threads(const char *dir)
{
	static const uint32_t order[] = {0, 0, 1, 2, 0};
	bool fits_seen[2] = {false, false};
	struct btfa_reader r;
	struct diag d = {""};
	uint32_t ref, threads, k, v;
	char p[128];

	if (unit_skipped(dir))
		return UNIT_SKIP;
	dblob[0] = unit_slurp(dir, "delta1.btf", &dblob_n[0]);
	dblob[1] = unit_slurp(dir, "delta2.btf", &dblob_n[1]);
	dblob[2] = unit_slurp(dir, "delta3.btf", &dblob_n[2]);
	path_of(p, sizeof(p), "two.btfa");
	for (v = 4; v <= 6; v += 2)
		for (ref = 1; ref <= 2; ref++) {
			const struct btfa_entry *e;
			unsigned long long content;
			uint8_t head[18], *frame;

			if (write_mods_delta_as(p, v, ref))
				return 1;
			CHECK(!btfa_reader__open(&r, p, &d), "open: %s", d.msg);
			e = r.entries;
			CHECK(e[0].encoding == BTFA_ENC_DELTA &&
				      e[0].ref_idx == 1 &&
				      e[1].encoding == BTFA_ENC_STREAMS,
			      "delta%u: entry 0 encoding %u on %u, entry 1 %u",
			      ref + 1, e[0].encoding, e[0].ref_idx,
			      e[1].encoding);
			CHECK(!btfa_reader__pread(&r, head, sizeof(head),
						  e[1].frame_off, &d),
			      "pread: %s", d.msg);
			content = ZSTD_getFrameContentSize(head, sizeof(head));
			if (v == 4)
				fits_seen[content <= e[0].blob_size] = true;
			/* version 6: the string section in a second frame */
			frame = malloc((size_t)e[1].frame_size);
			CHECK(!btfa_reader__pread(&r, frame,
						  (size_t)e[1].frame_size,
						  e[1].frame_off, &d),
			      "pread: %s", d.msg);
			CHECK((ZSTD_findFrameCompressedSize(
				       frame, (size_t)e[1].frame_size) <
			       e[1].frame_size) == (v == 6),
			      "version %u: the streams entry's frames", v);
			free(frame);
			btfa_reader__close(&r);
			/* 3 and 4: one and two threads again, the reader
			 * told it serves one read (one_delta): a delta's
			 * reference lends its type section to the decoder
			 * and is dropped, the next delta reads it again */
			for (threads = 1; threads <= 4; threads++) {
				CHECK(!btfa_reader__open(&r, p, &d), "open: %s",
				      d.msg);
				r.threads = 2 - threads % 2;
				r.one_delta = threads > 2;
				for (k = 0;
				     k < sizeof(order) / sizeof(order[0]);
				     k++) {
					uint32_t i = order[k];
					size_t want = i == 1 ? ref : 0,
					       size = 0;
					void *data = NULL;

					CHECK(!btfa_reader__read(&r, i, &data,
								 &size, &d),
					      "v%u delta%u, %u threads, read "
					      "%u: %s",
					      v, ref + 1, threads, i, d.msg);
					CHECK(size == dblob_n[want] &&
						      !memcmp(data, dblob[want],
							      size),
					      "delta%u, %u threads: entry %u "
					      "differs",
					      ref + 1, threads, i);
					CHECK(i || !r.one_delta || !r.ref_data,
					      "one_delta: the reference kept");
					free(data);
				}
				btfa_reader__close(&r);
			}
		}
	/* a second frame cut short: the entry and its delta refused */
	if (write_mods_delta_as(p, 6, 1))
		return 1;
	rewrite_index(p, strs_cut);
	CHECK(!btfa_reader__open(&r, p, &d), "open: %s", d.msg);
	for (k = 0; k < 2; k++) {
		void *data = NULL;
		size_t size;

		CHECK(btfa_reader__read(&r, k, &data, &size, &d) == -EBADMSG,
		      "cut second frame: entry %u read", k);
		CHECK_MSG(d.msg, "the second frame, ");
		free(data);
	}
	btfa_reader__close(&r);
	CHECK(fits_seen[0] && fits_seen[1],
	      "the reference's payload fit in the delta's blob: %s; did not: "
	      "%s",
	      fits_seen[1] ? "seen" : "never", fits_seen[0] ? "seen" : "never");
	return 0;
}

static const struct unit_case cases[] = {
	{"dict_round_trip", test_dict_round_trip},
	{"append", test_append},
	{"counts", test_counts},
	{"string", test_string},
	{"string_no_nul", test_string_no_nul},
	{"module_past", test_module_past},
	{"range_past", test_range_past},
	{"range_order", test_range_order},
	{"range_types", test_range_types},
	{"dict_past", test_dict_past},
	{"dict_unknown", test_dict_unknown},
	{"compat", test_compat},
	{"compat_bad", test_compat_bad},
	{"encoding_bad", test_encoding_bad},
	{"no_content_size", test_no_content_size},
	{"magic", test_magic},
	{"frame_past", test_frame_past},
	{"index_sha", test_index_sha},
	{"mods_block", test_mods_block},
	{"mods_delta", test_mods_delta},
	{"mods_layout2", test_mods_layout2},
	{"mods_layout3", test_mods_layout3},
	{"reads_two_threads", test_reads_two_threads},
};

int main(int argc, char **argv)
{
	size_t i;
	int ret = 2;

	if (argc != 3) {
		fprintf(stderr, "usage: %s CASE INPUT_DIR\n", argv[0]);
		return 2;
	}
	make_blobs();
	/* nothing here reads the generated inputs: no SKIP note applies */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(cases[i].name, argv[1]))
			continue;
		ret = cases[i].fn(argv[2]) || unit_failures;
		if (ret)
			fprintf(stderr, "%s: FAIL (%d failed checks)\n",
				argv[1], unit_failures);
		else
			printf("%s: ok\n", argv[1]);
		break;
	}
	if (ret == 2)
		fprintf(stderr, "unknown case %s\n", argv[1]);
	if (tmpdir[0]) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd))
			ret = ret ? ret : 1;
	}
	return ret;
}
