/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * btfa: the .btfa BTF archive container (docs/FORMAT.md, version 6;
 * versions 1 to 5 are read too).
 *
 * Bytes in, bytes out: the reader (btfa_read.c) checks every offset and size
 * before use and exposes the index; the writer (btfa_write.c) turns N blobs
 * with their metadata into an archive (one zstd frame per blob, whole or as
 * a delta on a whole blob of its series, a trained dictionary when it pays),
 * or appends blobs to an existing one without rewriting a live byte.
 */
#ifndef BTFAR_FORMATS_BTFA_H
#define BTFAR_FORMATS_BTFA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct btfa_seckey;
struct btf_delta_ref;

#define BTFA_MAGIC	"BTFARCH" /* 8 bytes with its NUL */
#define BTFA_IDX_MAGIC	"BTFAIDX" /* 8 bytes with its NUL */
#define BTFA_MODS_MAGIC "BTFAMOD" /* 8 bytes with its NUL */
/* version 5: a module block with ranges in segment coordinates */
#define BTFA_MODS_MAGIC2 "BTFAMD2" /* 8 bytes with its NUL */
/* version 6: a delta entry's module block through its type map */
#define BTFA_MODS_MAGIC3   "BTFAMD3" /* 8 bytes with its NUL */
#define BTFA_SIG_MAGIC	   "BTFASIG" /* 8 bytes with its NUL */
#define BTFA_VERSION	   6
#define BTFA_HDR_SIZE	   64
#define BTFA_IDX_HDR_SIZE  32
#define BTFA_DICT_SIZE	   24
#define BTFA_ENTRY_SIZE_V2 152 /* versions 1 and 2 */
#define BTFA_ENTRY_SIZE_V3 200
#define BTFA_ENTRY_SIZE	   208 /* versions 4 to 6 */
#define BTFA_MODS_HDR_SIZE 24
#define BTFA_MODULE_SIZE   16
#define BTFA_RANGE_SIZE	   8
/* version 5 blocks (layout 2): 12-byte modules and ranges */
#define BTFA_MODULE2_SIZE 12
#define BTFA_RANGE2_SIZE  12
/* version 6 blocks (layout 3): 12-byte modules, 8-byte exception runs */
#define BTFA_MODULE3_SIZE 12
#define BTFA_RUN3_SIZE	  8
/* Version 3: a signature block after the index frame (docs/FORMAT.md). */
#define BTFA_SIG_MAX 4096
/* Caps a reader applies: the decompressed index, one blob. */
#define BTFA_MAX_INDEX (256u << 20)
#define BTFA_MAX_BLOB  (UINT64_C(4) << 30)
/* Caps on the modules and ranges of all entries (version 3). */
#define BTFA_MAX_MODULES (1u << 24)
#define BTFA_MAX_RANGES	 (1u << 26)
/* Version 4: a module block and the block it is a delta on fit in this
 * window (zstd's default limit when decompressing: 2^27 bytes). */
#define BTFA_MODS_WINDOW_MAX ((size_t)1 << 27)
/* Largest zstd window of a delta frame (reference + encoded blob): 1 GiB. */
#define BTFA_DELTA_WLOG_MAX 30
/* Longest label (release, arch, distro, ...) a reader or writer accepts. */
#define BTFA_LABEL_MAX 255

struct btfa_dict {
	uint32_t dict_id;
	uint64_t off;
	uint64_t size;
};

struct btfa_range {
	uint32_t first; /* first type id */
	uint32_t count;
};

struct btfa_module {
	const char *name;
	uint32_t range_first; /* index into the range table */
	uint32_t range_cnt;
	uint32_t types; /* ids its ranges cover */
};

/* One blob. Strings point into the index's string table (reader) or are
 * the caller's (writer input). */
struct btfa_entry {
	const char *release;
	const char *arch;
	const char *distro;
	const char *distro_version;
	const char *flavour;
	const char *build_id;
	const char *source;
	uint8_t base_sha256[32];
	uint8_t blob_sha256[32];
	uint64_t frame_off;
	uint64_t frame_size;
	uint64_t blob_size;
	uint32_t dict_id; /* 0: frame without dictionary */
	uint32_t base_types;
	uint32_t types;
	uint32_t module_first; /* index into the module table */
	uint32_t module_cnt;
	/* BTF level the blob was rewritten for (docs/COMPAT.md), as
	 * major * 100 + minor (513: 5.13); 0: not rewritten */
	uint32_t compat;
	/* BTFA_ENC_PLAIN: the frame holds the blob. BTFA_ENC_DELTA: the frame
	 * holds the blob encoded by btf_delta against the whole entry whose
	 * frame is at ref_frame_off, compressed with that blob as prefix.
	 * BTFA_ENC_STREAMS: the frame holds the blob encoded by btf_streams,
	 * compressed without dictionary */
	uint32_t encoding;
	uint64_t ref_frame_off;
	uint32_t ref_idx; /* reader: index of that entry */
	/* version 3: the entry's module block (its modules and their ranges,
	 * one zstd frame read only for module lookups); mods_size 0: none */
	uint64_t mods_off;
	uint64_t mods_size;
	uint8_t mods_sha256[32];
	uint32_t range_first; /* reader: index into the range table */
	uint32_t range_cnt;   /* ranges of all its modules */
	/* version 4: 0, the module block is stored whole; else the mods_off
	 * of the entry whose block (stored whole) this one's frame was
	 * compressed on as prefix */
	uint64_t mods_ref_off;
	uint32_t mods_ref_idx; /* reader: index of that entry */
};

enum {
	BTFA_ENC_PLAIN = 0,
	BTFA_ENC_DELTA = 1,
	BTFA_ENC_STREAMS = 2,
};

/* Whether an entry of that encoding is stored whole (its frame alone gives
 * the blob; delta entries may refer to it). */
static inline bool btfa_enc_whole(uint32_t encoding)
{
	return encoding == BTFA_ENC_PLAIN || encoding == BTFA_ENC_STREAMS;
}

/*
 * Where a reader's bytes come from: a file (btfa_src__file), HTTP range
 * requests (http_src.h) or memory. The reader owns it once opened.
 */
struct btfa_src {
	uint64_t size; /* bytes of the archive */
	/* exactly size bytes at off into buf: 0, or a negative errno with d
	 * set (-EIO: the source is shorter) */
	int (*pread)(struct btfa_src *s, void *buf, size_t size, uint64_t off,
		     struct diag *d);
	/* size bytes at off, in place rather than copied (a frame read
	 * once, decompressed and dropped); *base, *len are what unmap takes
	 * back (base NULL: nothing). NULL when the source cannot, or
	 * map NULL: the reader preads. */
	const void *(*map)(struct btfa_src *s, uint64_t off, size_t size,
			   void **base, size_t *len);
	void (*unmap)(struct btfa_src *s, void *base, size_t len);
	/* the archive is known by its index's SHA-256 (read from the
	 * header): a cache may key later reads on it; may be NULL */
	void (*bind)(struct btfa_src *s, const uint8_t index_sha256[32]);
	void (*free)(struct btfa_src *s);
};

/* A file as a source: NULL and errno on failure, the reason in d. */
struct btfa_src *btfa_src__file(const char *path, struct diag *d);
/* size bytes at data (not copied: they must outlive the source). */
struct btfa_src *btfa_src__mem(const void *data, size_t size);

struct btfa_reader {
	struct btfa_src *src;
	uint64_t bytes_read; /* through btfa_reader__pread */
	uint64_t file_size;
	uint64_t index_off;
	uint64_t index_size;
	uint8_t index_sha256[32];
	void *index; /* decompressed index, owned */
	size_t index_len;
	uint32_t dict_cnt, entry_cnt, module_cnt, range_cnt;
	struct btfa_dict *dicts;
	struct btfa_entry *entries;
	struct btfa_module *modules;
	struct btfa_range *ranges;
	void **ddicts; /* ZSTD_DDict per dictionary, loaded on first use */
	uint32_t version;
	/* version 3: the index frame as stored (what a signature covers) and
	 * the signature block after it, if any (both inside index_area) */
	uint8_t *index_area;
	size_t index_frame_size;
	const uint8_t *sig;
	size_t sig_size;
	/* version 3: the decompressed module block of each entry, NULL until
	 * btfa_reader__load_modules */
	void **mods_blocks;
	/* version 6: 1 for an entry whose block (layout 3) is loaded but
	 * whose ranges wait for btfa_reader__load_ranges */
	uint8_t *mods_pending;
	/* the last reference blob a delta entry was read against, and what
	 * decoding needs of it (btf_delta_ref_new), NULL until a decode */
	void *ref_data;
	size_t ref_size;
	uint32_t ref_idx;
	struct btf_delta_ref *ref_prep;
	/* the buffers a streams entry's payload (scratch) and a delta
	 * entry's payload (delta) are decompressed into, kept for the next
	 * read: reading the entries of a series reuses the pages the first
	 * faulted in (*_cap bytes; NULL until then) */
	void *scratch;
	size_t scratch_cap;
	void *delta;
	size_t delta_cap;
	/* the entry whose payload delta holds (delta_len bytes), decoded
	 * without fault; UINT32_MAX: none */
	uint32_t delta_idx;
	size_t delta_len;
	/* threads a read may use (set after open; 0 or 1: the caller's
	 * only): a delta entry's reference is prepared while its payload
	 * decompresses, and decoded on two; the bytes are the same */
	unsigned int threads;
	/* set after open by a caller that reads one delta entry (btfar
	 * get): its reference is not kept for a next read, and the
	 * reference's type section, which only the payload's decompression
	 * needs, holds the decoder's tables once that is done (a 6.1 build:
	 * 9.9 MB of memory not touched anew); false: kept */
	bool one_delta;
};

/*
 * Opens path and validates the header and the whole index (bounds, strings,
 * tables). Frames and dictionaries are checked when read. Returns 0 or a
 * negative errno with d set.
 */
int btfa_reader__open(struct btfa_reader *r, const char *path, struct diag *d);
/* The same on an archive in memory (data borrowed: it must outlive r). */
int btfa_reader__open_mem(struct btfa_reader *r, const void *data, size_t size,
			  struct diag *d);
/* The same on a source, which the reader owns from then on (freed on
 * failure too). */
int btfa_reader__open_src(struct btfa_reader *r, struct btfa_src *src,
			  struct diag *d);
/*
 * Makes the modules of entry idx available in r->modules (from
 * module_first), and their ranges in r->ranges (from range_first) except
 * for a version 6 delta entry's block stored through its type map
 * (r->mods_pending[idx] set: names only, no ranges yet; see
 * btfa_reader__load_ranges). Version 3 keeps them in one module block per
 * entry, read, checked (bounds, SHA-256, sorted disjoint ranges inside
 * the entry's ids) and kept on first use; earlier versions have them in
 * the index. 0 or a negative errno with d set.
 */
int btfa_reader__load_modules(struct btfa_reader *r, uint32_t idx,
			      struct diag *d);
/*
 * btfa_reader__load_modules, and the ranges of a block stored through the
 * type map: its reference entry's ranges taken through the entry's delta
 * payload, with the exceptions the block stores. The payload is the one
 * the last btfa_reader__read of idx decoded, or else idx is read (its
 * reference and frame: a whole read). 0 or a negative errno with d set.
 */
int btfa_reader__load_ranges(struct btfa_reader *r, uint32_t idx,
			     struct diag *d);
/* Whether entry idx's modules are loaded without their ranges yet. */
static inline bool btfa_reader_ranges_pending(const struct btfa_reader *r,
					      size_t idx)
{
	return r->mods_pending && idx < r->entry_cnt && r->mods_pending[idx];
}
/* Bytes read from the source at off, size. */
int btfa_reader__pread(struct btfa_reader *r, void *buf, size_t size,
		       uint64_t off, struct diag *d);
void btfa_reader__close(struct btfa_reader *r);
/* The dictionary of that id, or NULL. */
const struct btfa_dict *btfa_reader__dict(const struct btfa_reader *r,
					  uint32_t dict_id);
/*
 * Reads entry idx: loads its dictionary, decompresses its frame to exactly
 * blob_size bytes and checks blob_sha256. *data is malloc()ed, the caller's.
 * Returns 0, -EBADMSG (corrupt) or another negative errno, with d set.
 */
int btfa_reader__read(struct btfa_reader *r, uint32_t idx, void **data,
		      size_t *size, struct diag *d);
/*
 * The SHA-256 check of btfa_reader__read alone, for a caller of
 * btfa_reader_read_unverified (any thread: it reads only r's index), with
 * btfa_reader__read's message.
 */
int btfa_reader_check(const struct btfa_reader *r, uint32_t idx,
		      const void *data, size_t size, struct diag *d);

/*
 * The payload of delta entry idx (docs/FORMAT.md "Delta payload"),
 * decompressed with ref (the blob of its reference entry, ref_idx, as the
 * caller read it) as prefix and not decoded: what btf_delta__changes
 * reads. zstd checks the frame's checksum; the blob's SHA-256 is checked
 * only by btfa_reader__read. *enc is malloc()ed, the caller's.
 */
/* btfa_reader__read without the SHA-256 check of the result: for a caller
 * that computes it while it does something else with the bytes, and
 * compares it with the entry's blob_sha256 before it trusts any result. */
int btfa_reader_read_unverified(struct btfa_reader *r, uint32_t idx,
				void **data, size_t *size, struct diag *d);

int btfa_reader__read_payload(struct btfa_reader *r, uint32_t idx,
			      const void *ref, size_t ref_size, void **enc,
			      size_t *enc_size, struct diag *d);
/* The same into *buf (*cap bytes; NULL, 0 at first), reused from one
 * payload to the next when it is large enough, else replaced: a reader of
 * many payloads writes into the same pages. *buf is the caller's. */
int btfa_reader_read_payload_into(struct btfa_reader *r, uint32_t idx,
				  const void *ref, size_t ref_size, void **buf,
				  size_t *cap, size_t *enc_size,
				  struct diag *d);

/* A blob to write, with its metadata. */
struct btfa_module_in {
	const char *name;
	uint32_t types;
	const uint32_t *ranges; /* 2 * range_cnt values: first, count */
	uint32_t range_cnt;
};

struct btfa_blob_in {
	struct btfa_entry e; /* labels, base_sha256, base_types, types; the
				rest is computed */
	const void *data;
	size_t size;
	const struct btfa_module_in *modules;
	uint32_t module_cnt;
};

enum btfa_dict_mode {
	/* train one on the blobs stored whole, keep it when a sample of
	 * them compresses smaller with it by more than its own size */
	BTFA_DICT_AUTO = 0,
	BTFA_DICT_ALWAYS, /* whenever there is enough data to train */
	BTFA_DICT_NEVER,
};

struct btfa_write_opts {
	size_t dict_size; /* 0: 512 KiB */
	int level;	  /* 0: 19 */
	bool new_dict;	  /* append: train a dictionary on the new blobs
			     instead of reusing the archive's latest one */
	/* called with "train", "compress", "commit" (the last just before
	 * the header of an append is rewritten); may be NULL */
	void (*phase)(const char *phase, void *ctx);
	void *phase_ctx;
	/* store every blob plain instead of as deltas on a reference blob of
	 * its series (docs/FORMAT.md, "Delta entries") */
	bool no_delta;
	int threads; /* compression threads; 0: 1 */
	enum btfa_dict_mode dict_mode;
	/* format version to write: 0 the current one (6); 5 writes module
	 * blocks in layout 2 only, 4 layout 1 and delta payload version 2, 3
	 * every module block whole, 2 the module tables in the index (for
	 * tests of older readers) */
	uint32_t version;
	/* sign the new index (btfa_sig.h); NULL: the archive is unsigned
	 * (an append drops an old signature) */
	const struct btfa_seckey *key;
};

/*
 * Writes an archive of blobs[0..n) to path atomically (temporary file,
 * fsync, rename). Deterministic: entries are sorted by (release, arch,
 * build_id, base_sha256, blob_sha256, labels) whatever the order of blobs;
 * exact duplicates are written once. Returns the number of entries written
 * or a negative errno.
 */
int btfa_write(const char *path, const struct btfa_blob_in *blobs, size_t n,
	       const struct btfa_write_opts *o, struct diag *d);
/*
 * Appends blobs to the archive at path (see "Appending" in FORMAT.md).
 * Blobs already in the archive (same release, arch, build_id, base and blob
 * sha256 and labels) are skipped; *added (may be NULL) gets how many were
 * new.
 */
int btfa_append(const char *path, const struct btfa_blob_in *blobs, size_t n,
		const struct btfa_write_opts *o, size_t *added, struct diag *d);

/*
 * Signs the archive at path with k: a new index (the same entries; version
 * 3) with its signature block is appended and the header pointed at it,
 * as btfa_append does.
 */
int btfa_sign(const char *path, const struct btfa_seckey *k, struct diag *d);

#endif /* BTFAR_FORMATS_BTFA_H */
