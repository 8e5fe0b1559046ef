/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * btf_delta: a reversible rewrite of one raw BTF blob against another (the
 * reference), so that a zstd frame compressed with the reference as its
 * prefix finds long matches although type ids and string offsets shifted
 * between the two builds.
 *
 * The encoded form ("BTFDLT3", docs/FORMAT.md; "BTFDLT1" and "BTFDLT2"
 * still decode)
 * keeps the blob's header, type records and string section (version 2: as
 * the order the records name the strings in, plus corrections), with
 * every type id and name offset
 * replaced by the reference's id of the matching type (or offset of the
 * same string) where one exists, and an escape otherwise; a map of which
 * blob id went to which reference id lets the decoder undo it. Which types
 * are matched only changes the size, never the bytes decoded: any map
 * decodes back to the exact input.
 */
#ifndef BTFAR_FORMATS_BTF_DELTA_H
#define BTFAR_FORMATS_BTF_DELTA_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define BTF_DELTA_MAGIC "BTFDLT1" /* 8 bytes with its NUL */
/* version 2: the string section as first-use order and corrections */
#define BTF_DELTA_MAGIC2 "BTFDLT2"
/* version 3: version 2 with the type map as runs and breaks */
#define BTF_DELTA_MAGIC3 "BTFDLT3"

struct btf_delta_stats {
	uint32_t types;	      /* types of the blob */
	uint32_t matched;     /* of them, mapped onto a reference type */
	uint32_t ref_escaped; /* type id fields written as escapes */
	uint32_t str_escaped; /* name offset fields written as escapes */
};

/*
 * Encodes blob (standalone raw BTF, header then types then strings, no gap)
 * against ref (standalone raw BTF). *out is malloc()ed, the caller's.
 * Returns 0, -EINVAL when blob or ref cannot be encoded this way (d says
 * why; store the blob plain), or -ENOMEM. st may be NULL.
 */
int btf_delta__encode(const void *ref, size_t ref_size, const void *blob,
		      size_t blob_size, void **out, size_t *out_size,
		      struct btf_delta_stats *st, struct diag *d);

/* The same, writing payload version 1 (BTFDLT1), 2 (BTFDLT2) or 3
 * (BTFDLT3, what btf_delta__encode writes; a blob with a name that does
 * not start a string of its section still gets version 1). For archives
 * of an earlier format version, tests and benches. */
int btf_delta_encode_version(const void *ref, size_t ref_size, const void *blob,
			     size_t blob_size, unsigned int version, void **out,
			     size_t *out_size, struct btf_delta_stats *st,
			     struct diag *d);

/* 0 when blob can be encoded or serve as a reference (standalone raw BTF
 * that validates, in the layout and size limits of the encoding), else
 * -EINVAL with d set. */
int btf_delta__check(const void *blob, size_t size, struct diag *d);

/*
 * Decodes enc (what btf_delta__encode wrote) against the same ref. Checks
 * every offset, count and escape before use; a corrupt input gives
 * -EBADMSG with d set, never a read out of bounds. The caller still checks
 * the result's checksum: decoding proves only that the input was
 * well-formed. *out is malloc()ed, the caller's.
 */
int btf_delta__decode(const void *ref, size_t ref_size, const void *enc,
		      size_t enc_size, void **out, size_t *out_size,
		      struct diag *d);

/*
 * A reference made ready for decoding (its string section, type count and
 * string starts): what btf_delta__decode computes from ref on every call,
 * kept by a reader for the deltas it reads against one reference. NULL
 * when out of memory; a ref that is not a valid reference still gives an
 * object, and decoding against it fails as btf_delta__decode would. ref
 * must outlive the object.
 */
struct btf_delta_ref;
struct btf_delta_ref *btf_delta_ref_new(const void *ref, size_t ref_size);
void btf_delta_ref_free(struct btf_delta_ref *pr);
/* The reference's type section: its length (0 for a reference the object
 * refused), its offset in the reference in *off. Once a payload is
 * decompressed, the decoder needs none of it: the scratch of
 * btf_delta_decode_with may be there. */
size_t btf_delta_ref_types(const struct btf_delta_ref *pr, size_t *off);

/*
 * btf_delta__decode against a prepared reference (NULL: out of memory),
 * with the same checks, result and messages. buf: NULL, or a
 * mem_alloc_big() buffer of buf_size bytes that the decoder takes over: it
 * becomes *out when the blob has that size, else it is freed. scratch:
 * NULL, or scratch_size bytes of the caller's that the decoder may
 * overwrite with its tables (about 16 bytes per type; when they fit) instead
 * of new memory: the reference's type section once enc is decompressed,
 * since the decoder reads only the reference's strings. threads > 1:
 * one more thread rebuilds the string section (version 1) and rewrites
 * half of the types (version 2: then sets half of the second part's names
 * and copies half of the strings); the bytes are the same.
 */
int btf_delta_decode_with(const struct btf_delta_ref *pr, const void *enc,
			  size_t enc_size, void *buf, size_t buf_size,
			  void *scratch, size_t scratch_size,
			  unsigned int threads, void **out, size_t *out_size,
			  struct diag *d);

/*
 * The type map of enc alone, without its reference (whose type count na
 * the payload must name): *rev (malloc()ed, the caller's; na + 1 entries)
 * gets for each reference id a the blob id whose partner it is (0: none),
 * *nb the blob's type count. Checked as btf_delta__decode checks the map;
 * -EBADMSG with d set, -ENOMEM.
 */
int btf_delta_map(const void *enc, size_t enc_size, uint32_t na, uint32_t **rev,
		  uint32_t *nb, struct diag *d);

/*
 * What a delta changed against its reference, read off the payload
 * without rebuilding the blob (min-core's work per delta entry): each blob
 * type's partner in the reference, and whether its record, with ids and
 * names taken through the maps, is the partner's record byte for byte
 * (then it is that type: same kind, name, size, members, and it refers to
 * the partners of what the partner refers to). Types that are not get
 * their name.
 */
struct btf_delta_changes {
	uint32_t nb;	   /* types of the blob */
	uint32_t na;	   /* types of the reference */
	uint32_t *partner; /* [b - 1]: reference id of blob id b, 0: none */
	uint32_t *blob_of; /* [a - 1]: blob id of reference id a, 0: none */
	uint8_t *same;	   /* [b - 1]: 1 when the record is the partner's */
	const char **name; /* [b - 1]: its name when not same ("" none) */
	/* [b - 1]: its record in the payload (in enc, which must outlive
	 * c): ids are reference ids, or blob ids | 0x80000000 */
	const struct btf_type **rec;
	uint32_t changed; /* blob types that are not same */
	char *strs;	  /* the blob's string section, owned */
	uint32_t str_len;
	const void *hdr;    /* the blob's header, in enc */
	uint32_t hdr_len;   /* its bytes */
	uint32_t types_len; /* bytes of the blob's type section */
	/* kept between btf_delta_changes_next calls: capacities, and the
	 * string starts of the reference they were made for */
	uint32_t cap_nb, cap_na, cap_str;
	const struct btf_raw *ref_of;
	struct btf_delta_ref *aref; /* ref_of prepared: its string starts */
	uint64_t *ref_used; /* bit per reference string: the blob has it */
	size_t ref_used_cap;
	/* version 2 payloads: an escaped name is literal k, at offset
	 * lit_boff[k] - 1 of strs; the rest is the rebuild's room */
	uint32_t *lit_boff, lit_cnt;
	uint32_t *lit_start, *aord_boff;
	size_t lit_boff_cap, lit_start_cap, aord_boff_cap;
	uint8_t v2;
};

/*
 * Reads enc (btf_delta__encode's output) against ref, parsed (the blob it
 * was encoded against, standalone). Bounds-checked as btf_delta__decode;
 * -EBADMSG with d set on a payload that does not fit, -ENOMEM. Release c
 * with btf_delta__changes_release, also after a failure.
 */
struct btf_raw;
int btf_delta__changes(const struct btf_raw *ref, const void *enc,
		       size_t enc_size, struct btf_delta_changes *c,
		       struct diag *d);
void btf_delta__changes_release(struct btf_delta_changes *c);
/* The same, reusing what c holds from a previous call (zeroed before the
 * first): its arrays when large enough, the reference's string starts
 * when ref is the same, which saves most of the work on a series of
 * deltas against one reference. Release c once, after the last. */
int btf_delta_changes_next(const struct btf_raw *ref, const void *enc,
			   size_t enc_size, struct btf_delta_changes *c,
			   struct diag *d);

/*
 * The blob c describes as a view of its reference (v, initialised on the
 * reference c was read against): the records that are not the partner's
 * copied into *recs (malloc()ed, the caller frees it after the view's
 * use) with their ids and names taken into the view's spaces, reference
 * types without a partner deleted, blob types without one added in blob
 * order; then btf_view_check. order[b - 1] gets the view id of blob id b
 * (nb entries), blob_id[id] the blob id of view id id (type count of the
 * view entries; 0 for deleted ones). Returns 0, -EBADMSG with d set when
 * the payload's records do not make a valid view, -ENOMEM.
 */
struct btf_view;
int btf_delta_view(struct btf_view *v, const struct btf_delta_changes *c,
		   void **recs, uint32_t *order, uint32_t *blob_id,
		   struct diag *d);

#endif /* BTFAR_FORMATS_BTF_DELTA_H */
