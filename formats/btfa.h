/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * btfa: the .btfa BTF archive container (docs/FORMAT.md, version 2; version
 * 1 archives are read too).
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

#define BTFA_MAGIC	  "BTFARCH" /* 8 bytes with its NUL */
#define BTFA_IDX_MAGIC	  "BTFAIDX" /* 8 bytes with its NUL */
#define BTFA_VERSION	  2
#define BTFA_HDR_SIZE	  64
#define BTFA_IDX_HDR_SIZE 32
#define BTFA_DICT_SIZE	  24
#define BTFA_ENTRY_SIZE	  152
#define BTFA_MODULE_SIZE  16
#define BTFA_RANGE_SIZE	  8
/* Caps a reader applies: the decompressed index, one blob. */
#define BTFA_MAX_INDEX (256u << 20)
#define BTFA_MAX_BLOB  (UINT64_C(4) << 30)
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
	 * holds the blob encoded by btf_delta against the plain entry whose
	 * frame is at ref_frame_off, compressed with that blob as prefix */
	uint32_t encoding;
	uint64_t ref_frame_off;
	uint32_t ref_idx; /* reader: index of that entry */
};

enum {
	BTFA_ENC_PLAIN = 0,
	BTFA_ENC_DELTA = 1,
};

struct btfa_reader {
	int fd;
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
	/* the last reference blob a delta entry was read against */
	void *ref_data;
	size_t ref_size;
	uint32_t ref_idx;
};

/*
 * Opens path and validates the header and the whole index (bounds, strings,
 * tables). Frames and dictionaries are checked when read. Returns 0 or a
 * negative errno with d set.
 */
int btfa_reader__open(struct btfa_reader *r, const char *path, struct diag *d);
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

#endif /* BTFAR_FORMATS_BTFA_H */
