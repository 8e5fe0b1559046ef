/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * btf_raw: raw BTF (header + type section + string section) parsed and
 * validated the way the kernel does before anything reaches libbpf, both
 * standalone and split on a base.
 */
#ifndef BTFAR_FORMATS_BTF_RAW_H
#define BTFAR_FORMATS_BTF_RAW_H

#include <linux/btf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/* The kernel's limit on resolve chains (MAX_RESOLVE_DEPTH). */
#define BTF_RAW_MAX_DEPTH 32

/*
 * What the newest kernel reads, where the system's <linux/btf.h> (Debian 12:
 * Linux 6.1) is older; docs/BTF-RULES.md has the sources.
 * - Header: 24 bytes, or 32 with the layout section (layout_off,
 *   layout_len after str_len; Linux 7.2).
 * - Info word: vlen in bits 0-23, kind in bits 24-30, kind_flag bit 31
 *   (Linux 7.2; before, vlen was 16 bits, kind 5, and the rest reserved).
 */
#define BTF_RAW_HDR_LEN	       24u
#define BTF_RAW_HDR_LEN_LAYOUT 32u
#define BTF_RAW_MAX_VLEN       0xffffffu
#define BTF_RAW_MAX_KIND       0x7fu
/* vlen limit of readers before Linux 7.2 (16 bits) */
#define BTF_RAW_MAX_VLEN16 0xffffu

/* One entry of the layout section, per kind: the record's size. */
struct btf_raw_layout {
	uint8_t info_sz; /* bytes after struct btf_type */
	uint8_t elem_sz; /* bytes of each of the vlen elements */
	uint16_t flags;	 /* no flag defined yet */
};

/* The header fields after str_len (Linux 7.2). */
struct btf_raw_hdr_layout {
	uint32_t layout_off; /* after the header, like type_off */
	uint32_t layout_len; /* a multiple of sizeof(struct btf_raw_layout) */
};

struct btf_raw {
	const uint8_t *data; /* whole blob, borrowed from the caller */
	uint32_t size;
	const uint8_t *types; /* type section */
	uint32_t types_len;
	const char *strs; /* string section */
	uint32_t str_len;
	/* layout section (NULL, 0 when absent), between types and strings */
	const struct btf_raw_layout *layout;
	uint32_t layout_len;	    /* bytes */
	const struct btf_raw *base; /* NULL for standalone BTF */
	uint32_t start_id; /* id of the first type here: 1 or base total+1 */
	uint32_t start_str_off; /* 0 or the base's total string length */
	uint32_t type_cnt;	/* types in this blob, not counting base */
	uint32_t *type_offs;	/* offset of each type in types, owned */
	uint32_t *sizes;	/* resolved byte size of each type, owned */
	uint32_t ptr_sz;	/* pointer size: 8 or 4 */
	/* optional, caller's: btf_raw__type and btf_raw__size set
	 * touched[id - start_id] = 1 for every id of this blob they return
	 * (min-core's record of what a resolution read); NULL: not tracked */
	uint8_t *touched;
	/* a view's (struct btf_view), else NULL, 0: per id - start_id, the
	 * record that replaces the type section's (NULL: the section's);
	 * string offsets past str_len are in ext_strs */
	const struct btf_type **rec;
	const char *ext_strs;
	uint32_t ext_str_len;
};

/*
 * Parses and validates data as raw BTF on base (NULL: standalone). data is
 * borrowed and must outlive raw. Checks, in the kernel's words: header,
 * section layout, string section, every type record and its per-kind rules,
 * id and name-offset ranges, and (resolve) that sizes, member offsets and
 * reference chains are sound and loop-free. On a split blob these checks go
 * through the base types it references, which catches most blobs encoded on
 * another base. Returns 0 or -EINVAL/-ENOMEM with d set.
 */
int btf_raw__parse(struct btf_raw *raw, const void *data, size_t size,
		   const struct btf_raw *base, struct diag *d);
void btf_raw__release(struct btf_raw *raw);

/* Total number of type ids including base and id 0 (btf__type_cnt). */
static inline uint32_t btf_raw__type_cnt(const struct btf_raw *raw)
{
	return raw->start_id + raw->type_cnt;
}

/* Type by id, searching the base; NULL for 0 or out of range. */
const struct btf_type *btf_raw__type(const struct btf_raw *raw, uint32_t id);
/* String by offset in the combined base+split space; NULL if out of range. */
const char *btf_raw__str(const struct btf_raw *raw, uint32_t off);
/* Resolved size of a type (0 for void, func, fwd). */
uint32_t btf_raw__size(const struct btf_raw *raw, uint32_t id);

/* Byte size of one type record, or 0 if it runs past end (bytes left). */
uint32_t btf_raw__rec_size(const struct btf_type *t, uint32_t left);

static inline uint32_t btf_type_kind(const struct btf_type *t)
{
	return (t->info >> 24) & BTF_RAW_MAX_KIND;
}
static inline uint32_t btf_type_vlen(const struct btf_type *t)
{
	return t->info & BTF_RAW_MAX_VLEN;
}
static inline uint32_t btf_type_info(uint32_t kind, uint32_t vlen, bool kflag)
{
	return (kflag ? 1u << 31 : 0) | (kind & BTF_RAW_MAX_KIND) << 24 |
	       (vlen & BTF_RAW_MAX_VLEN);
}
static inline bool btf_type_kflag(const struct btf_type *t)
{
	return BTF_INFO_KFLAG(t->info);
}

const char *btf_kind_name(uint32_t kind);

/*
 * Calls fn on every type id field of t (type references), in record order.
 * fn may rewrite *id. Returns the first non-zero fn result.
 */
typedef int (*btf_id_visit_fn)(uint32_t *id, void *ctx);
int btf_type_visit_ids(struct btf_type *t, btf_id_visit_fn fn, void *ctx);
/* Same for every string offset field (name_off of type, members, params,
 * enumerators). */
int btf_type_visit_strs(struct btf_type *t, btf_id_visit_fn fn, void *ctx);

/*
 * Writes raw BTF: header, then types, then strings, into a malloc()ed
 * buffer the caller frees. Returns NULL with errno set on failure.
 */
void *btf_raw__write(const void *types, uint32_t types_len, const void *strs,
		     uint32_t str_len, size_t *size);
/*
 * The same with a layout section between types and strings (32-byte
 * header); with layout_len 0, exactly btf_raw__write (24-byte header).
 */
void *btf_raw__write_layout(const void *types, uint32_t types_len,
			    const void *layout, uint32_t layout_len,
			    const void *strs, uint32_t str_len, size_t *size);
/* The layout section a blob written from raw keeps: raw's own, else its
 * base's (a split blob shares its base's, as libbpf reads it). */
const struct btf_raw_layout *btf_raw__layout(const struct btf_raw *raw,
					     uint32_t *layout_len);
/* The layout btfar knows for kind (info_sz, elem_sz); false for a kind
 * btfar does not know. */
bool btf_raw__known_layout(uint32_t kind, struct btf_raw_layout *l);

/*
 * Writes split (parsed on the standalone base) as one standalone blob: the
 * base's types then split's, the base's strings then split's. Ids and string
 * offsets need no rewriting: split BTF numbers both after its base.
 */
void *btf_raw__join(const struct btf_raw *base, const struct btf_raw *split,
		    size_t *size);
/* The same from split's raw bytes, whose header is checked (not its
 * records: for blobs this program made). */
void *btf_raw__join_bytes(const struct btf_raw *base, const void *split,
			  size_t split_sz, size_t *size);

/*
 * The header checks of btf_raw__parse on a header alone (hdr_len bytes) of
 * a blob of size bytes, without its sections; a layout section is refused.
 * 0 or -EINVAL with d set.
 */
int btf_raw_check_header(const void *hdr, uint32_t hdr_len, uint64_t size,
			 struct diag *d);

/*
 * A view: a parsed standalone blob (the reference) seen with records
 * replaced, types added after its last id, ids deleted and strings added
 * after its string section, without copying what is unchanged (min-core
 * resolves a delta entry on one). view.raw is read as any blob
 * (btf_raw__type, __str, __size, __type_cnt); a deleted id is never found
 * (btf_raw__type gives NULL). Ids of the view are the reference's, then
 * ref's count + 1.. for the added ones; its string offsets are the
 * reference's, then ref->str_len + offset in ext_strs.
 *
 * Use: btf_view_init once per reference, then per view btf_view_begin,
 * btf_view_set / btf_view_delete, btf_view_check; the records set are the
 * caller's and must outlive the view's use. btf_view_check validates the
 * records set with btf_raw__parse's rules and resolves again what depends
 * on them (sizes, member bounds, reference loops), so that readers can
 * follow the view without checks, as a parsed blob.
 */
struct btf_view {
	struct btf_raw raw;	   /* what readers read */
	const struct btf_raw *ref; /* parsed, standalone */
	uint32_t na;		   /* types of ref */
	uint32_t *rev_at, *rev;	   /* ref's referrers of id: rev[rev_at[id - 1]
				      .. rev_at[id]) */
	uint32_t *set;		   /* ids set or deleted since begin */
	uint32_t set_cnt;
	size_t set_cap;
	uint8_t *state; /* per id: scratch of btf_view_check */
	uint32_t cap;	/* ids rec, sizes and state hold */
};

int btf_view_init(struct btf_view *v, const struct btf_raw *ref);
void btf_view_release(struct btf_view *v);
/* Starts a view with added types ref count + 1 .. + added (each must be
 * set) and strings ext_strs (ext_len bytes, NUL-terminated; borrowed). */
int btf_view_begin(struct btf_view *v, uint32_t added, const char *ext_strs,
		   uint32_t ext_len, struct diag *d);
/* id's record is t (borrowed), id <= ref count + added; -ENOMEM. */
int btf_view_set(struct btf_view *v, uint32_t id, const struct btf_type *t);
/* Reference id id is deleted: nothing in the view may refer to it. */
int btf_view_delete(struct btf_view *v, uint32_t id);
/* Whether id (of the view) is deleted. */
bool btf_view_deleted(const struct btf_view *v, uint32_t id);
/* 0, or -EINVAL / -ELOOP / -ENOMEM with d set ("type [ID] ...", view ids). */
int btf_view_check(struct btf_view *v, struct diag *d);

#endif /* BTFAR_FORMATS_BTF_RAW_H */
