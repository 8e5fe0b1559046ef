// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Raw BTF parsing and validation.
 *
 * Algorithm summary:
 * 1. Header: magic (a byte-swapped magic is refused by name), version,
 *    flags, hdr_len within the data (24 bytes, or 32 with layout_off and
 *    layout_len; any longer tail zero), the type section first and 4-byte
 *    aligned, then the layout section if any (whole entries, each kind
 *    btfar knows described as btfar reads it), then the string section, no
 *    gap, overlap, overflow or trailing byte.
 * 2. Strings: NUL-terminated, starting with NUL for a standalone blob, at
 *    most BTF_MAX_NAME_OFFSET in the combined base+split space.
 * 3. Meta pass, record by record: record size within the section, kind
 *    known (7 bits; a newer kind is refused as such), vlen of 24 bits,
 *    per-kind vlen/kind_flag/size rules,
 *    every name offset in range and at the start of a string, names that
 *    must be identifiers are, every referenced type id in range.
 * 4. Resolve pass, type by type with a depth-bounded walk (the kernel's
 *    MAX_RESOLVE_DEPTH): modifier, typedef and array chains end in a type of
 *    the right kind, sizes are computed (arrays without overflow), members
 *    and datasec entries lie within their container, FUNC points to
 *    FUNC_PROTO, decl tags to a component that exists. A chain that comes
 *    back to a type being resolved is a loop; only pointers break them,
 *    since a pointer's size does not depend on its target.
 * Passes 3 and 4 go through kind_ops[], one entry per kind as the kernel's
 * btf_kind_operations: its record layout, meta check and resolve step (and
 * its type id fields, for btf_type_visit_ids). A kind past ENUM64 is
 * refused in pass 3 before any operation is called.
 * Invariant after success: every id and string offset in the blob can be
 * followed without further checks, and sizes[] holds each type's size.
 *
 * Views (struct btf_view, at the end): a parsed blob read through a table
 * of replaced, added and deleted records; btf_view_check runs passes 3 and
 * 4 on the records set and on what depends on them only (reverse edges of
 * the reference, made once), the rest keeping the reference's sizes.
 *
 * For split BTF the checks go through the base types referenced, so a
 * module encoded on another vmlinux build fails here in most cases (its
 * references land on types of the wrong kind or size, its base string
 * offsets land inside strings); such errors carry "base mismatch".
 */
#include "btf_raw.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

#define BTF_MAGIC_SWAPPED 0x9FEB

enum { RES_NONE = 0, RES_BUSY = 1, RES_DONE = 2 };

struct resolver {
	struct btf_raw *raw;
	uint8_t *state; /* per local type: RES_* */
	struct diag *d;
};

/*
 * What btfar knows of one kind, as the kernel's struct btf_kind_operations:
 * a new kind is one entry of kind_ops[], which follows the functions it
 * names.
 */
struct kind_ops {
	const char *name; /* the kernel's name of the kind */
	/* the record's parts after struct btf_type, as btfar reads them */
	struct btf_raw_layout layout;
	bool named_elems; /* each of the vlen elements starts with a name_off */
	/* meta checks of one record, without following its references */
	int (*check_meta)(const struct btf_raw *raw, uint32_t id,
			  const struct btf_type *t, struct diag *d);
	/* checks what type id refers to (resolving it first, at depth + 1)
	 * and sets *size; NULL: nothing to check, size 0 */
	int (*resolve)(struct resolver *r, uint32_t id,
		       const struct btf_type *t, int depth, uint32_t *size);
	/* calls fn on every type id field of t; NULL: none */
	int (*visit_ids)(struct btf_type *t, btf_id_visit_fn fn, void *ctx);
};

static const struct kind_ops kind_ops[NR_BTF_KINDS];

/* A view's deleted id (btf_view_delete): btf_raw__type finds nothing. */
static const struct btf_type view_gone;

/* The operations of t's kind; NULL for a kind btfar does not know. */
static const struct kind_ops *ops_of(const struct btf_type *t)
{
	uint32_t kind = btf_type_kind(t);

	return kind < NR_BTF_KINDS ? &kind_ops[kind] : NULL;
}

const char *btf_kind_name(uint32_t kind)
{
	return kind < NR_BTF_KINDS ? kind_ops[kind].name : "UNKNOWN";
}

uint32_t btf_raw__rec_size(const struct btf_type *t, uint32_t left)
{
	uint64_t sz = sizeof(struct btf_type);
	const struct kind_ops *ops;

	if (left < sizeof(struct btf_type))
		return 0;
	/* a kind btfar does not know: the bare record */
	ops = ops_of(t);
	if (ops)
		sz += ops->layout.info_sz +
		      (uint64_t)btf_type_vlen(t) * ops->layout.elem_sz;
	return sz <= left ? (uint32_t)sz : 0;
}

const struct btf_type *btf_raw__type(const struct btf_raw *raw, uint32_t id)
{
	while (raw && id < raw->start_id)
		raw = raw->base;
	if (!raw || id == 0 || id >= raw->start_id + raw->type_cnt)
		return NULL;
	if (raw->touched)
		raw->touched[id - raw->start_id] = 1;
	if (raw->rec && raw->rec[id - raw->start_id])
		return raw->rec[id - raw->start_id] == &view_gone
			       ? NULL
			       : raw->rec[id - raw->start_id];
	return (const struct btf_type *)(raw->types +
					 raw->type_offs[id - raw->start_id]);
}

uint32_t btf_raw__size(const struct btf_raw *raw, uint32_t id)
{
	while (raw && id < raw->start_id)
		raw = raw->base;
	if (!raw || id == 0 || id >= raw->start_id + raw->type_cnt)
		return 0;
	if (raw->touched)
		raw->touched[id - raw->start_id] = 1;
	return raw->sizes[id - raw->start_id];
}

const char *btf_raw__str(const struct btf_raw *raw, uint32_t off)
{
	while (raw && off < raw->start_str_off)
		raw = raw->base;
	if (!raw)
		return NULL;
	off -= raw->start_str_off;
	if (off < raw->str_len)
		return raw->strs + off;
	/* a view's added strings */
	if (off - raw->str_len < raw->ext_str_len)
		return raw->ext_strs + (off - raw->str_len);
	return NULL;
}

/* The string at off starts at a string boundary. */
static bool str_at_start(const struct btf_raw *raw, uint32_t off)
{
	const char *s;

	if (off == 0)
		return true;
	s = btf_raw__str(raw, off - 1);
	return s && *s == '\0';
}

/*
 * An identifier as the newest kernel reads one (__btf_name_valid()): a
 * letter, '_' or '.' first, then letters, digits, '_' or '.' (compilers
 * name clones "f.isra.0", "f.cold"), shorter than KSYM_NAME_LEN (512).
 */
static bool is_ident(const char *s)
{
	/* 2: may start a name, 1: may follow; a table, as every name of a
	 * merged blob goes through here (NUL is 0: the loop's end) */
	static const uint8_t cls[256] = {
		['.'] = 2,	   ['_'] = 2,	      ['0' ... '9'] = 1,
		['a' ... 'z'] = 2, ['A' ... 'Z'] = 2,
	};
	const uint8_t *p = (const uint8_t *)s;
	size_t i;

	if (cls[p[0]] != 2)
		return false;
	for (i = 1; cls[p[i]]; i++)
		if (i >= 512)
			return false;
	return !p[i];
}

/* Section names (DATASEC): printable, no space, not empty. */
static bool is_section_name(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++) {
		if (i >= 512 || s[i] <= ' ' || s[i] >= 0x7f)
			return false;
	}
	return i > 0;
}

static bool in_base(const struct btf_raw *raw, uint32_t id)
{
	return raw->base && id && id < raw->start_id;
}

static const char *mismatch(const struct btf_raw *raw, uint32_t id)
{
	return in_base(raw, id) ? " (base mismatch: the split BTF does not fit "
				  "this base)"
				: "";
}

static const char *type_name(const struct btf_raw *raw,
			     const struct btf_type *t)
{
	const char *s = btf_raw__str(raw, t->name_off);

	return s && *s ? s : "(anon)";
}

/* Where in a record a check looks: formatted only when it fails. */
struct where {
	const char *kname;	  /* kind, or a fixed label */
	const struct btf_type *t; /* record, for its name; NULL: none */
	const char *part;	  /* "member", "enumerator", ...; NULL: none */
	uint32_t idx;		  /* index of the part */
};

static const char *where_str(const struct btf_raw *raw, const struct where *w,
			     char *buf, size_t sz)
{
	if (!w->part)
		return w->kname;
	if (w->t)
		snprintf(buf, sz, "%s '%s' %s #%u", w->kname,
			 type_name(raw, w->t), w->part, w->idx);
	else
		snprintf(buf, sz, "%s %s #%u", w->kname, w->part, w->idx);
	return buf;
}

enum name_rule {
	NAME_NONE,	/* must be 0 */
	NAME_OPT_IDENT, /* empty or an identifier */
	NAME_IDENT,	/* an identifier */
	NAME_ANY,	/* non-empty, any characters (INT, FLOAT, tags) */
	NAME_SECTION,	/* non-empty section name */
	NAME_OPT_ANY,	/* anything */
};

static const char *const mismatch_note =
	" (base mismatch: the split BTF does not fit this base)";

/*
 * Name offsets already found to start an identifier, one bit per string
 * offset (base strings included) of the blob btf_raw__parse is checking on
 * this thread; NULL: none kept. A merged blob names millions of members
 * and parameters with a few hundred thousand strings: checking each
 * reference again was the largest part of validating btfar's own output.
 * Kept for large blobs only, where it pays for its allocation.
 */
static _Thread_local uint8_t *ident_ok;

static int check_name(const struct btf_raw *raw, uint32_t id, uint32_t off,
		      enum name_rule rule, const struct where *w,
		      struct diag *d)
{
	uint32_t total = raw->start_str_off + raw->str_len + raw->ext_str_len;
	/* in split BTF, a name offset inside a string is the mark of a
	 * module encoded on another base: the string sections of the two
	 * bases differ in length, which shifts every offset */
	bool base_off = raw->base != NULL;
	char buf[160];
	const char *s;

	if (off >= total) {
		diag_set(d,
			 "type [%u] %s: name offset %u past the string "
			 "section (%u bytes)",
			 id, where_str(raw, w, buf, sizeof(buf)), off, total);
		return -EINVAL;
	}
	if ((rule == NAME_IDENT || rule == NAME_OPT_IDENT) && ident_ok &&
	    (ident_ok[off / 8] >> (off % 8) & 1))
		return 0;
	if (!str_at_start(raw, off)) {
		diag_set(d,
			 "type [%u] %s: name offset %u is not at the start of "
			 "a string%s",
			 id, where_str(raw, w, buf, sizeof(buf)), off,
			 base_off ? mismatch_note : "");
		return -EINVAL;
	}
	s = btf_raw__str(raw, off);
	switch (rule) {
	case NAME_NONE:
		if (!off)
			return 0;
		diag_set(d, "type [%u] %s: must be unnamed, has '%.64s'", id,
			 where_str(raw, w, buf, sizeof(buf)), s);
		return -EINVAL;
	case NAME_OPT_ANY:
		return 0;
	case NAME_OPT_IDENT:
		if (!*s)
			return 0;
		/* fall through */
	case NAME_IDENT:
		if (is_ident(s)) {
			if (ident_ok)
				ident_ok[off / 8] |= 1 << (off % 8);
			return 0;
		}
		break;
	case NAME_ANY:
		if (*s)
			return 0;
		break;
	case NAME_SECTION:
		if (is_section_name(s))
			return 0;
		break;
	}
	if (!*s)
		diag_set(d, "type [%u] %s: name is missing", id,
			 where_str(raw, w, buf, sizeof(buf)));
	else
		diag_set(d, "type [%u] %s: invalid name '%.64s'%s", id,
			 where_str(raw, w, buf, sizeof(buf)), s,
			 base_off ? mismatch_note : "");
	return -EINVAL;
}

static int check_id(const struct btf_raw *raw, uint32_t id, uint32_t ref,
		    bool allow_void, const struct where *w, struct diag *d)
{
	uint32_t cnt = btf_raw__type_cnt(raw);
	char buf[160];

	if (ref >= cnt) {
		diag_set(d,
			 "type [%u] %s refers to type %u, there are %u types%s",
			 id, where_str(raw, w, buf, sizeof(buf)), ref, cnt - 1,
			 raw->base ? mismatch_note : "");
		return -EINVAL;
	}
	if (!ref && !allow_void) {
		diag_set(d, "type [%u] %s refers to void (type 0)", id,
			 where_str(raw, w, buf, sizeof(buf)));
		return -EINVAL;
	}
	return 0;
}

bool btf_raw__known_layout(uint32_t kind, struct btf_raw_layout *l)
{
	if (kind == BTF_KIND_UNKN || kind >= NR_BTF_KINDS)
		return false;
	*l = kind_ops[kind].layout;
	return true;
}

const struct btf_raw_layout *btf_raw__layout(const struct btf_raw *raw,
					     uint32_t *layout_len)
{
	while (raw && !raw->layout)
		raw = raw->base;
	*layout_len = raw ? raw->layout_len : 0;
	return raw ? raw->layout : NULL;
}

/*
 * The layout section: whole entries; each kind btfar knows described as
 * btfar reads it (kind 0, void, as 0/0). Entries past the kinds btfar knows
 * describe newer kinds: allowed until a type uses one (index_types).
 */
static int check_layout(const struct btf_raw_layout *l, uint32_t len,
			struct diag *d)
{
	uint32_t n = len / sizeof(*l), k;

	for (k = 0; k < n && k < NR_BTF_KINDS; k++) {
		const struct btf_raw_layout *want = &kind_ops[k].layout;

		if (l[k].info_sz != want->info_sz ||
		    l[k].elem_sz != want->elem_sz) {
			diag_set(d,
				 "layout section entry %u (%s): info_sz %u, "
				 "elem_sz %u; the kind has %u and %u",
				 k, btf_kind_name(k), l[k].info_sz,
				 l[k].elem_sz, want->info_sz, want->elem_sz);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Header and sections, the kernel's btf_parse_hdr() and btf_check_sec_info():
 * types first at offset 0, then the layout section if any, then strings,
 * with no gap, overlap or trailing byte.
 */
static int check_hdr(struct btf_raw *raw, const uint8_t *data, size_t size,
		     struct diag *d)
{
	const struct btf_header *hdr = (const void *)data;
	struct btf_raw_hdr_layout lh = {0};
	uint64_t type_end, layout_end, str_end;
	uint32_t i, body;

	if (size < BTF_RAW_HDR_LEN) {
		diag_set(d, "%zu bytes, shorter than the BTF header (%u)", size,
			 BTF_RAW_HDR_LEN);
		return -EINVAL;
	}
	if (size > UINT32_MAX) {
		diag_set(d, "%zu bytes, more than 4 GiB", size);
		return -EINVAL;
	}
	if (hdr->magic == BTF_MAGIC_SWAPPED) {
		diag_set(d, "byte-swapped BTF (other endianness) is not "
			    "supported");
		return -EINVAL;
	}
	if (hdr->magic != BTF_MAGIC) {
		diag_set(d, "bad magic 0x%04x at offset 0, expected 0x%04x",
			 hdr->magic, BTF_MAGIC);
		return -EINVAL;
	}
	if (hdr->version != BTF_VERSION) {
		diag_set(d, "unsupported version %u at offset 2, expected %u",
			 hdr->version, BTF_VERSION);
		return -EINVAL;
	}
	if (hdr->flags) {
		diag_set(d, "flags 0x%x at offset 3, expected 0", hdr->flags);
		return -EINVAL;
	}
	if (hdr->hdr_len < BTF_RAW_HDR_LEN || hdr->hdr_len > size) {
		diag_set(d, "hdr_len %u out of range [%u, %zu]", hdr->hdr_len,
			 BTF_RAW_HDR_LEN, size);
		return -EINVAL;
	}
	if (hdr->hdr_len & 3) { /* the type records after it are u32s */
		diag_set(d, "hdr_len %u is not 4-byte aligned", hdr->hdr_len);
		return -EINVAL;
	}
	if (hdr->hdr_len >= BTF_RAW_HDR_LEN_LAYOUT)
		memcpy(&lh, data + BTF_RAW_HDR_LEN, sizeof(lh));
	for (i = BTF_RAW_HDR_LEN_LAYOUT; i < hdr->hdr_len; i++) {
		if (data[i]) {
			diag_set(d,
				 "header field at offset %u (hdr_len %u) is "
				 "unknown to btfar, which reads %u header "
				 "bytes (up to layout_len): this BTF is newer "
				 "than btfar",
				 i & ~3u, hdr->hdr_len, BTF_RAW_HDR_LEN_LAYOUT);
			return -EINVAL;
		}
	}
	body = (uint32_t)size - hdr->hdr_len;
	type_end = (uint64_t)hdr->type_off + hdr->type_len;
	str_end = (uint64_t)hdr->str_off + hdr->str_len;
	layout_end = (uint64_t)lh.layout_off + lh.layout_len;
	if (type_end > UINT32_MAX || str_end > UINT32_MAX ||
	    layout_end > UINT32_MAX) {
		diag_set(d, "section offset + length overflows 32 bits");
		return -EINVAL;
	}
	if (hdr->type_off & 3) {
		diag_set(d, "type section offset %u is not 4-byte aligned",
			 hdr->type_off);
		return -EINVAL;
	}
	if (hdr->type_off != 0) {
		diag_set(d, "gap of %u bytes before the type section",
			 hdr->type_off);
		return -EINVAL;
	}
	if (hdr->type_len & 3) {
		diag_set(d, "type section length %u is not a multiple of 4",
			 hdr->type_len);
		return -EINVAL;
	}
	if (lh.layout_len) {
		/* the layout section sits between types and strings */
		if (lh.layout_len % sizeof(struct btf_raw_layout)) {
			diag_set(d,
				 "layout section length %u is not a multiple "
				 "of %zu (one entry per kind)",
				 lh.layout_len, sizeof(struct btf_raw_layout));
			return -EINVAL;
		}
		if (lh.layout_off < type_end) {
			diag_set(d,
				 "layout section (offset %u, %u bytes) "
				 "overlaps the type section (ends at %llu)",
				 lh.layout_off, lh.layout_len,
				 (unsigned long long)type_end);
			return -EINVAL;
		}
		if (lh.layout_off > type_end) {
			diag_set(
				d,
				"gap of %llu bytes between the type and "
				"layout sections",
				(unsigned long long)(lh.layout_off - type_end));
			return -EINVAL;
		}
		if (layout_end > body) {
			diag_set(d,
				 "layout section ends at %llu, past the data "
				 "(%u bytes after the header)",
				 (unsigned long long)layout_end, body);
			return -EINVAL;
		}
		type_end = layout_end; /* strings come next */
	}
	if (hdr->str_off < type_end) {
		diag_set(d,
			 "string section (offset %u) overlaps the %s section "
			 "(ends at %llu)",
			 hdr->str_off, lh.layout_len ? "layout" : "type",
			 (unsigned long long)type_end);
		return -EINVAL;
	}
	if (hdr->str_off > type_end) {
		diag_set(d, "gap of %llu bytes between %s and string sections",
			 (unsigned long long)(hdr->str_off - type_end),
			 lh.layout_len ? "layout" : "type");
		return -EINVAL;
	}
	if (str_end > body) {
		diag_set(d,
			 "string section ends at %llu, past the data (%u bytes "
			 "after the header)",
			 (unsigned long long)str_end, body);
		return -EINVAL;
	}
	if (str_end < body) {
		diag_set(d, "%llu trailing bytes after the string section",
			 (unsigned long long)(body - str_end));
		return -EINVAL;
	}
	raw->layout = NULL;
	raw->layout_len = 0;
	if (lh.layout_len) {
		const void *l = data + hdr->hdr_len + lh.layout_off;

		if (check_layout(l, lh.layout_len, d))
			return -EINVAL;
		raw->layout = l;
		raw->layout_len = lh.layout_len;
	}
	raw->types = data + hdr->hdr_len + hdr->type_off;
	raw->types_len = hdr->type_len;
	raw->strs = (const char *)data + hdr->hdr_len + hdr->str_off;
	raw->str_len = hdr->str_len;
	return 0;
}

static int check_strs(struct btf_raw *raw, struct diag *d)
{
	uint64_t total = (uint64_t)raw->start_str_off + raw->str_len;

	if (!raw->base || raw->str_len) {
		if (!raw->str_len) {
			diag_set(d, "string section is empty");
			return -EINVAL;
		}
		if (raw->strs[raw->str_len - 1]) {
			diag_set(d, "string section is not NUL-terminated");
			return -EINVAL;
		}
	}
	if (!raw->base && raw->strs[0]) {
		diag_set(d, "string section does not start with NUL");
		return -EINVAL;
	}
	if (total > (uint64_t)BTF_MAX_NAME_OFFSET + 1) {
		diag_set(d,
			 "string section of %llu bytes (with base) is over the "
			 "limit of %u",
			 (unsigned long long)total, BTF_MAX_NAME_OFFSET + 1);
		return -EINVAL;
	}
	return 0;
}

/* Meta checks, one function per kind or kind family (kind_ops[]). */

/* vlen or kind_flag set where the kind allows none. */
static int bad_info(uint32_t id, const struct btf_type *t, struct diag *d)
{
	diag_set(d, "type [%u] %s: invalid info 0x%08x (vlen %u, kind_flag %u)",
		 id, btf_kind_name(btf_type_kind(t)), t->info, btf_type_vlen(t),
		 btf_type_kflag(t));
	return -EINVAL;
}

static int meta_int(const struct btf_raw *raw, uint32_t id,
		    const struct btf_type *t, struct diag *d)
{
	uint32_t v;
	int err;

	if (btf_type_vlen(t) || btf_type_kflag(t))
		return bad_info(id, t, d);
	if ((err = check_name(raw, id, t->name_off, NAME_ANY,
			      &(struct where){"INT"}, d)))
		return err;
	if (t->size != 1 && t->size != 2 && t->size != 4 && t->size != 8 &&
	    t->size != 16) {
		diag_set(d,
			 "type [%u] INT '%s': size %u is not 1, 2, 4, "
			 "8 or 16",
			 id, type_name(raw, t), t->size);
		return -EINVAL;
	}
	v = *(const uint32_t *)(t + 1);
	if (v & 0xf0000000) {
		diag_set(d, "type [%u] INT: reserved bits set in 0x%08x", id,
			 v);
		return -EINVAL;
	}
	if (BTF_INT_BITS(v) > 128 ||
	    BTF_INT_OFFSET(v) + BTF_INT_BITS(v) > t->size * 8) {
		diag_set(d,
			 "type [%u] INT '%s': %u bits at bit offset %u "
			 "do not fit in %u bytes",
			 id, type_name(raw, t), BTF_INT_BITS(v),
			 BTF_INT_OFFSET(v), t->size);
		return -EINVAL;
	}
	v = BTF_INT_ENCODING(v);
	if (v && v != BTF_INT_SIGNED && v != BTF_INT_CHAR &&
	    v != BTF_INT_BOOL) {
		diag_set(d, "type [%u] INT: unsupported encoding %u", id, v);
		return -EINVAL;
	}
	return 0;
}

/* PTR, VOLATILE, CONST, RESTRICT: unnamed, to a type or void. */
static int meta_modifier(const struct btf_raw *raw, uint32_t id,
			 const struct btf_type *t, struct diag *d)
{
	const char *kname = btf_kind_name(btf_type_kind(t));
	int err;

	if (btf_type_vlen(t) || btf_type_kflag(t))
		return bad_info(id, t, d);
	if ((err = check_name(raw, id, t->name_off, NAME_NONE,
			      &(struct where){kname}, d)))
		return err;
	return check_id(raw, id, t->type, true, &(struct where){kname}, d);
}

/* TYPEDEF, TYPE_TAG: named, to a type or void. */
static int meta_typedef(const struct btf_raw *raw, uint32_t id,
			const struct btf_type *t, struct diag *d)
{
	uint32_t kind = btf_type_kind(t);
	const char *kname = btf_kind_name(kind);
	int err;

	/* kind_flag on a TYPE_TAG: an __attribute__ (kernel 6.14) */
	if (btf_type_vlen(t) || (btf_type_kflag(t) && kind == BTF_KIND_TYPEDEF))
		return bad_info(id, t, d);
	if ((err = check_name(raw, id, t->name_off,
			      kind == BTF_KIND_TYPEDEF ? NAME_IDENT : NAME_ANY,
			      &(struct where){kname}, d)))
		return err;
	return check_id(raw, id, t->type, true, &(struct where){kname}, d);
}

static int meta_array(const struct btf_raw *raw, uint32_t id,
		      const struct btf_type *t, struct diag *d)
{
	const struct btf_array *a = (const void *)(t + 1);
	int err;

	if (btf_type_vlen(t) || btf_type_kflag(t))
		return bad_info(id, t, d);
	if (t->size) {
		diag_set(d, "type [%u] ARRAY: size %u, expected 0", id,
			 t->size);
		return -EINVAL;
	}
	if ((err = check_name(raw, id, t->name_off, NAME_NONE,
			      &(struct where){"ARRAY"}, d)))
		return err;
	if ((err = check_id(raw, id, a->type, false,
			    &(struct where){"ARRAY element"}, d)))
		return err;
	return check_id(raw, id, a->index_type, false,
			&(struct where){"ARRAY index"}, d);
}

/* STRUCT, UNION: members named or not, in bit offset order. */
static int meta_struct(const struct btf_raw *raw, uint32_t id,
		       const struct btf_type *t, struct diag *d)
{
	uint32_t kind = btf_type_kind(t), vlen = btf_type_vlen(t), i;
	const char *kname = btf_kind_name(kind);
	const struct btf_member *m = (const void *)(t + 1);
	bool kflag = btf_type_kflag(t);
	uint32_t last = 0;
	int err;

	if ((err = check_name(raw, id, t->name_off, NAME_OPT_IDENT,
			      &(struct where){kname}, d)))
		return err;
	for (i = 0; i < vlen; i++, m++) {
		uint32_t off =
			kflag ? BTF_MEMBER_BIT_OFFSET(m->offset) : m->offset;
		struct where w = {kname, t, "member", i};
		char buf[160];

		if ((err = check_name(raw, id, m->name_off, NAME_OPT_IDENT, &w,
				      d)) ||
		    (err = check_id(raw, id, m->type, false, &w, d)))
			return err;
		if (kind == BTF_KIND_UNION && off) {
			diag_set(d,
				 "type [%u] %s: union member at bit "
				 "offset %u, expected 0",
				 id, where_str(raw, &w, buf, sizeof(buf)), off);
			return -EINVAL;
		}
		if (off < last) {
			diag_set(d,
				 "type [%u] %s: bit offset %u is "
				 "below the previous member's %u",
				 id, where_str(raw, &w, buf, sizeof(buf)), off,
				 last);
			return -EINVAL;
		}
		if ((off + 7) / 8 > t->size) {
			diag_set(d,
				 "type [%u] %s: bit offset %u is "
				 "past the size (%u bytes)",
				 id, where_str(raw, &w, buf, sizeof(buf)), off,
				 t->size);
			return -EINVAL;
		}
		last = off;
	}
	return 0;
}

/* ENUM, ENUM64: enumerators are identifiers. */
static int meta_enum(const struct btf_raw *raw, uint32_t id,
		     const struct btf_type *t, struct diag *d)
{
	uint32_t kind = btf_type_kind(t), vlen = btf_type_vlen(t), i;
	uint32_t step = kind == BTF_KIND_ENUM ? sizeof(struct btf_enum)
					      : sizeof(struct btf_enum64);
	const char *kname = btf_kind_name(kind);
	const uint8_t *e = (const uint8_t *)(t + 1);
	int err;

	if (t->size != 1 && t->size != 2 && t->size != 4 && t->size != 8) {
		diag_set(d,
			 "type [%u] %s '%s': size %u is not 1, 2, 4 "
			 "or 8",
			 id, kname, type_name(raw, t), t->size);
		return -EINVAL;
	}
	if ((err = check_name(raw, id, t->name_off, NAME_OPT_IDENT,
			      &(struct where){kname}, d)))
		return err;
	for (i = 0; i < vlen; i++, e += step) {
		struct where w = {kname, t, "enumerator", i};

		if ((err = check_name(raw, id, *(const uint32_t *)e, NAME_IDENT,
				      &w, d)))
			return err;
	}
	return 0;
}

static int meta_fwd(const struct btf_raw *raw, uint32_t id,
		    const struct btf_type *t, struct diag *d)
{
	if (btf_type_vlen(t))
		return bad_info(id, t, d);
	if (t->type) {
		diag_set(d, "type [%u] FWD: type %u, expected 0", id, t->type);
		return -EINVAL;
	}
	return check_name(raw, id, t->name_off, NAME_IDENT,
			  &(struct where){"FWD"}, d);
}

static int meta_func(const struct btf_raw *raw, uint32_t id,
		     const struct btf_type *t, struct diag *d)
{
	int err;

	/* vlen: the linkage */
	if (btf_type_kflag(t) || btf_type_vlen(t) > BTF_FUNC_EXTERN)
		return bad_info(id, t, d);
	if ((err = check_name(raw, id, t->name_off, NAME_IDENT,
			      &(struct where){"FUNC"}, d)))
		return err;
	return check_id(raw, id, t->type, false, &(struct where){"FUNC"}, d);
}

static int meta_func_proto(const struct btf_raw *raw, uint32_t id,
			   const struct btf_type *t, struct diag *d)
{
	const struct btf_param *p = (const void *)(t + 1);
	uint32_t vlen = btf_type_vlen(t), i;
	int err;

	if (btf_type_kflag(t))
		return bad_info(id, t, d);
	if ((err = check_name(raw, id, t->name_off, NAME_NONE,
			      &(struct where){"FUNC_PROTO"}, d)))
		return err;
	if ((err = check_id(raw, id, t->type, true,
			    &(struct where){"FUNC_PROTO return"}, d)))
		return err;
	for (i = 0; i < vlen; i++, p++) {
		struct where w = {"FUNC_PROTO", NULL, "param", i};

		if ((err = check_id(raw, id, p->type, true, &w, d)))
			return err;
		if (!p->type && (i != vlen - 1 || p->name_off)) {
			diag_set(d,
				 "type [%u] FUNC_PROTO param #%u: void "
				 "parameter (varargs) is only valid "
				 "last and unnamed",
				 id, i);
			return -EINVAL;
		}
		if ((err = check_name(raw, id, p->name_off, NAME_OPT_IDENT, &w,
				      d)))
			return err;
	}
	return 0;
}

static int meta_var(const struct btf_raw *raw, uint32_t id,
		    const struct btf_type *t, struct diag *d)
{
	uint32_t linkage = *(const uint32_t *)(t + 1);
	int err;

	if (btf_type_vlen(t) || btf_type_kflag(t))
		return bad_info(id, t, d);
	if (linkage > BTF_VAR_GLOBAL_EXTERN) {
		diag_set(d, "type [%u] VAR: linkage %u", id, linkage);
		return -EINVAL;
	}
	if ((err = check_name(raw, id, t->name_off, NAME_IDENT,
			      &(struct where){"VAR"}, d)))
		return err;
	return check_id(raw, id, t->type, false, &(struct where){"VAR"}, d);
}

static int meta_datasec(const struct btf_raw *raw, uint32_t id,
			const struct btf_type *t, struct diag *d)
{
	const struct btf_var_secinfo *s = (const void *)(t + 1);
	uint32_t vlen = btf_type_vlen(t), i;
	int err;

	if (btf_type_kflag(t))
		return bad_info(id, t, d);
	if ((err = check_name(raw, id, t->name_off, NAME_SECTION,
			      &(struct where){"DATASEC"}, d)))
		return err;
	for (i = 0; i < vlen; i++, s++) {
		struct where w = {"DATASEC", t, "entry", i};

		if ((err = check_id(raw, id, s->type, false, &w, d)))
			return err;
	}
	return 0;
}

static int meta_float(const struct btf_raw *raw, uint32_t id,
		      const struct btf_type *t, struct diag *d)
{
	if (btf_type_vlen(t) || btf_type_kflag(t))
		return bad_info(id, t, d);
	if (t->size != 2 && t->size != 4 && t->size != 8 && t->size != 12 &&
	    t->size != 16) {
		diag_set(d,
			 "type [%u] FLOAT: size %u is not 2, 4, 8, 12 "
			 "or 16",
			 id, t->size);
		return -EINVAL;
	}
	return check_name(raw, id, t->name_off, NAME_ANY,
			  &(struct where){"FLOAT"}, d);
}

static int meta_decl_tag(const struct btf_raw *raw, uint32_t id,
			 const struct btf_type *t, struct diag *d)
{
	int32_t idx = *(const int32_t *)(t + 1);
	int err;

	/* kind_flag on a DECL_TAG: an __attribute__ (kernel 6.14) */
	if (btf_type_vlen(t))
		return bad_info(id, t, d);
	if (idx < -1) {
		diag_set(d,
			 "type [%u] DECL_TAG: component index %d is "
			 "below -1",
			 id, idx);
		return -EINVAL;
	}
	if ((err = check_name(raw, id, t->name_off, NAME_ANY,
			      &(struct where){"DECL_TAG"}, d)))
		return err;
	return check_id(raw, id, t->type, false, &(struct where){"DECL_TAG"},
			d);
}

/* Meta checks of one record: no resolution of referenced types. */
static int check_meta(const struct btf_raw *raw, uint32_t id,
		      const struct btf_type *t, struct diag *d)
{
	const struct kind_ops *ops = ops_of(t);

	/* unreachable: index_types refused kind 0 and kinds past ENUM64 */
	if (!ops || !ops->check_meta) {
		diag_set(d, "type [%u]: unknown kind %u", id, btf_type_kind(t));
		return -EINVAL;
	}
	return ops->check_meta(raw, id, t, d);
}

/*
 * A kind past ENUM64: the newest kernel refuses it too (it reads only the
 * kinds it knows); the layout section, when it describes the kind, tells
 * the record's size, which is worth saying.
 */
static void unknown_kind(const struct btf_raw *raw, uint32_t id, uint32_t off,
			 const struct btf_type *t, struct diag *d)
{
	uint32_t kind = btf_type_kind(t), llen;
	const struct btf_raw_layout *l = btf_raw__layout(raw, &llen);

	if (l && kind < llen / sizeof(*l))
		diag_set(d,
			 "type [%u] at byte %u: kind %u is unknown to btfar "
			 "(the layout section gives it %u + %u x vlen bytes "
			 "after the type record): this BTF is newer than "
			 "btfar, which knows kinds 1 to %u",
			 id, off, kind, l[kind].info_sz, l[kind].elem_sz,
			 BTF_KIND_MAX);
	else
		diag_set(d,
			 "type [%u] at byte %u: kind %u is unknown to btfar, "
			 "which knows kinds 1 to %u: this BTF is newer than "
			 "btfar, or corrupt",
			 id, off, kind, BTF_KIND_MAX);
}

static int index_types(struct btf_raw *raw, struct diag *d)
{
	uint32_t off = 0, cap = 0, cnt = 0, id;
	uint32_t *offs = NULL;

	/* records are at least 12 bytes: a tight upper bound on the count */
	cap = raw->types_len / sizeof(struct btf_type) + 1;
	offs = malloc((size_t)cap * sizeof(*offs));
	if (!offs) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	while (off < raw->types_len) {
		const struct btf_type *t = (const void *)(raw->types + off);
		uint32_t rec;

		id = raw->start_id + cnt;
		if (raw->types_len - off < sizeof(struct btf_type)) {
			diag_set(d, "type [%u] at byte %u: truncated record",
				 id, off);
			goto err;
		}
		if (btf_type_kind(t) == BTF_KIND_UNKN) {
			diag_set(d,
				 "type [%u] at byte %u: kind 0 (UNKN) is only "
				 "void, never a record",
				 id, off);
			goto err;
		}
		if (btf_type_kind(t) > BTF_KIND_MAX) {
			unknown_kind(raw, id, off, t, d);
			goto err;
		}
		rec = btf_raw__rec_size(t, raw->types_len - off);
		if (!rec) {
			diag_set(d,
				 "type [%u] %s at byte %u: vlen %u runs past "
				 "the "
				 "end of the type section (%u bytes)",
				 id, btf_kind_name(btf_type_kind(t)), off,
				 btf_type_vlen(t), raw->types_len);
			goto err;
		}
		if (id > BTF_MAX_TYPE) {
			diag_set(d, "more than %u types", BTF_MAX_TYPE);
			goto err;
		}
		offs[cnt++] = off;
		off += rec;
	}
	raw->type_offs = offs;
	raw->type_cnt = cnt;
	return 0;
err:
	free(offs);
	return -EINVAL;
}

/* Kinds a member, array element or variable may have once resolved. */
static bool is_data_kind(uint32_t kind)
{
	switch (kind) {
	case BTF_KIND_INT:
	case BTF_KIND_PTR:
	case BTF_KIND_ARRAY:
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_FLOAT:
		return true;
	default:
		return false;
	}
}

static bool is_modifier(uint32_t kind)
{
	return kind == BTF_KIND_TYPEDEF || kind == BTF_KIND_VOLATILE ||
	       kind == BTF_KIND_CONST || kind == BTF_KIND_RESTRICT ||
	       kind == BTF_KIND_TYPE_TAG;
}

static int resolve(struct resolver *r, uint32_t id, int depth);

/*
 * Follows modifiers from id and returns the id of the first type that is
 * not one, resolving what it passes. *kind receives that type's kind
 * (BTF_KIND_UNKN for void).
 */
static int skip_mods(struct resolver *r, uint32_t id, int depth, uint32_t *out,
		     uint32_t *kind)
{
	const struct btf_raw *raw = r->raw;
	const struct btf_type *t;
	int err;

	if (id && id >= raw->start_id) {
		err = resolve(r, id, depth);
		if (err)
			return err;
	}
	for (;;) {
		t = btf_raw__type(raw, id);
		if (!t) {
			*out = 0;
			*kind = BTF_KIND_UNKN;
			return 0;
		}
		if (!is_modifier(btf_type_kind(t))) {
			*out = id;
			*kind = btf_type_kind(t);
			return 0;
		}
		/* resolved already: chains are loop-free and bounded */
		id = t->type;
	}
}

static int resolve_member(struct resolver *r, uint32_t id,
			  const struct btf_type *t, uint32_t i,
			  const struct btf_member *m, int depth)
{
	const struct btf_raw *raw = r->raw;
	bool kflag = btf_type_kflag(t);
	uint32_t off = kflag ? BTF_MEMBER_BIT_OFFSET(m->offset) : m->offset;
	uint32_t bits = kflag ? BTF_MEMBER_BITFIELD_SIZE(m->offset) : 0;
	uint32_t rid, rkind, msize;
	const char *mname = btf_raw__str(raw, m->name_off);
	int err;

	err = skip_mods(r, m->type, depth + 1, &rid, &rkind);
	if (err)
		return err;
	if (!is_data_kind(rkind)) {
		diag_set(r->d,
			 "type [%u] %s '%s' member '%s' (#%u): type [%u] is "
			 "%s, not a data type%s",
			 id, btf_kind_name(btf_type_kind(t)), type_name(raw, t),
			 mname && *mname ? mname : "(anon)", i, rid,
			 rid ? btf_kind_name(rkind) : "void",
			 mismatch(raw, rid ? rid : m->type));
		return -EINVAL;
	}
	if ((rkind == BTF_KIND_STRUCT || rkind == BTF_KIND_UNION ||
	     rkind == BTF_KIND_ARRAY) &&
	    rid >= raw->start_id) {
		err = resolve(r, rid, depth + 1);
		if (err)
			return err;
	}
	msize = btf_raw__size(raw, m->type);
	if (bits) {
		if (rkind != BTF_KIND_INT && rkind != BTF_KIND_ENUM &&
		    rkind != BTF_KIND_ENUM64) {
			diag_set(r->d,
				 "type [%u] %s '%s' member '%s': bitfield of "
				 "kind %s",
				 id, btf_kind_name(btf_type_kind(t)),
				 type_name(raw, t), mname ? mname : "",
				 btf_kind_name(rkind));
			return -EINVAL;
		}
		if (bits > 128 || bits > msize * 8 ||
		    (uint64_t)off + bits > (uint64_t)t->size * 8) {
			diag_set(
				r->d,
				"type [%u] %s '%s' member '%s': bitfield of %u "
				"bits at bit %u does not fit (member type %u "
				"bytes, struct %u bytes)%s",
				id, btf_kind_name(btf_type_kind(t)),
				type_name(raw, t), mname ? mname : "", bits,
				off, msize, t->size, mismatch(raw, rid));
			return -EINVAL;
		}
		return 0;
	}
	if (rkind == BTF_KIND_INT) {
		const struct btf_type *it = btf_raw__type(raw, rid);
		uint32_t v = *(const uint32_t *)(it + 1);
		uint64_t end =
			(uint64_t)off + BTF_INT_OFFSET(v) + BTF_INT_BITS(v);

		if (end <= (uint64_t)t->size * 8)
			return 0;
	} else if (off % 8 == 0 && (uint64_t)off / 8 + msize <= t->size) {
		return 0;
	} else if (off % 8) {
		diag_set(r->d,
			 "type [%u] %s '%s' member '%s': not byte aligned (bit "
			 "offset %u)",
			 id, btf_kind_name(btf_type_kind(t)), type_name(raw, t),
			 mname ? mname : "", off);
		return -EINVAL;
	}
	diag_set(r->d,
		 "type [%u] %s '%s' member '%s': %u bytes at byte %u exceed "
		 "the size (%u bytes)%s",
		 id, btf_kind_name(btf_type_kind(t)), type_name(raw, t),
		 mname && *mname ? mname : "(anon)", msize, off / 8, t->size,
		 mismatch(raw, rid));
	return -EINVAL;
}

/* Resolve steps, one function per kind or kind family (kind_ops[]). */

/* INT, ENUM, ENUM64, FLOAT: the size the record gives. */
static int resolve_sized(struct resolver *r, uint32_t id,
			 const struct btf_type *t, int depth, uint32_t *size)
{
	*size = t->size;
	return 0;
}

/* A pointer or modifier refers to a type, not a VAR, DATASEC, DECL_TAG or
 * FUNC. */
static int check_ref_target(struct resolver *r, uint32_t id,
			    const struct btf_type *t)
{
	const struct btf_raw *raw = r->raw;
	const struct btf_type *tt = btf_raw__type(raw, t->type);
	uint32_t tk = tt ? btf_type_kind(tt) : BTF_KIND_UNKN;

	if (tk == BTF_KIND_VAR || tk == BTF_KIND_DATASEC ||
	    tk == BTF_KIND_DECL_TAG || tk == BTF_KIND_FUNC) {
		diag_set(r->d, "type [%u] %s: refers to type [%u] of kind %s%s",
			 id, btf_kind_name(btf_type_kind(t)), t->type,
			 btf_kind_name(tk), mismatch(raw, t->type));
		return -EINVAL;
	}
	return 0;
}

/* A pointer's size does not depend on its target, so it ends containment
 * chains: its target is not resolved here; pointer chains are checked by
 * check_ptr_chains(). */
static int resolve_ptr(struct resolver *r, uint32_t id,
		       const struct btf_type *t, int depth, uint32_t *size)
{
	int err = check_ref_target(r, id, t);

	if (err)
		return err;
	*size = r->raw->ptr_sz;
	return 0;
}

/* TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG: the size of the target. */
static int resolve_modifier(struct resolver *r, uint32_t id,
			    const struct btf_type *t, int depth, uint32_t *size)
{
	int err = check_ref_target(r, id, t);

	if (err)
		return err;
	if (t->type >= r->raw->start_id) {
		err = resolve(r, t->type, depth + 1);
		if (err)
			return err;
	}
	*size = btf_raw__size(r->raw, t->type);
	return 0;
}

static int resolve_array(struct resolver *r, uint32_t id,
			 const struct btf_type *t, int depth, uint32_t *size)
{
	const struct btf_raw *raw = r->raw;
	const struct btf_array *a = (const void *)(t + 1);
	uint32_t rid, rkind, ik;
	uint64_t total;
	int err;

	err = skip_mods(r, a->index_type, depth + 1, &rid, &ik);
	if (err)
		return err;
	if (ik != BTF_KIND_INT) {
		diag_set(r->d,
			 "type [%u] ARRAY: index type [%u] is %s, "
			 "not INT%s",
			 id, rid, rid ? btf_kind_name(ik) : "void",
			 mismatch(raw, rid));
		return -EINVAL;
	}
	err = skip_mods(r, a->type, depth + 1, &rid, &rkind);
	if (err)
		return err;
	if (!is_data_kind(rkind)) {
		diag_set(r->d,
			 "type [%u] ARRAY: element type [%u] is "
			 "%s, not a data type%s",
			 id, rid, rid ? btf_kind_name(rkind) : "void",
			 mismatch(raw, rid));
		return -EINVAL;
	}
	if (rid >= raw->start_id) {
		err = resolve(r, rid, depth + 1);
		if (err)
			return err;
	}
	total = (uint64_t)btf_raw__size(raw, a->type) * a->nelems;
	if (total > UINT32_MAX) {
		diag_set(r->d,
			 "type [%u] ARRAY: %u elements of %u bytes "
			 "overflow 32 bits",
			 id, a->nelems, btf_raw__size(raw, a->type));
		return -EINVAL;
	}
	*size = (uint32_t)total;
	return 0;
}

/* STRUCT, UNION: every member fits (resolve_member). */
static int resolve_struct(struct resolver *r, uint32_t id,
			  const struct btf_type *t, int depth, uint32_t *size)
{
	const struct btf_member *m = (const void *)(t + 1);
	uint32_t i;
	int err;

	for (i = 0; i < btf_type_vlen(t); i++, m++) {
		err = resolve_member(r, id, t, i, m, depth);
		if (err)
			return err;
	}
	*size = t->size;
	return 0;
}

static int resolve_func(struct resolver *r, uint32_t id,
			const struct btf_type *t, int depth, uint32_t *size)
{
	const struct btf_raw *raw = r->raw;
	const struct btf_type *pt = btf_raw__type(raw, t->type);

	if (btf_type_kind(pt) != BTF_KIND_FUNC_PROTO) {
		diag_set(r->d,
			 "type [%u] FUNC '%s': type [%u] is %s, "
			 "not FUNC_PROTO%s",
			 id, type_name(raw, t), t->type,
			 btf_kind_name(btf_type_kind(pt)),
			 mismatch(raw, t->type));
		return -EINVAL;
	}
	return 0;
}

/* FUNC_PROTO: the return type and parameters are not functions, variables,
 * sections or tags. */
static int resolve_func_proto(struct resolver *r, uint32_t id,
			      const struct btf_type *t, int depth,
			      uint32_t *size)
{
	const struct btf_raw *raw = r->raw;
	const struct btf_param *p = (const void *)(t + 1);
	uint32_t i, rid, rkind;
	int err;

	for (i = 0; i <= btf_type_vlen(t); i++) {
		uint32_t ref = i ? p[i - 1].type : t->type;

		if (!ref)
			continue;
		err = skip_mods(r, ref, depth + 1, &rid, &rkind);
		if (err)
			return err;
		if (rkind == BTF_KIND_FUNC || rkind == BTF_KIND_VAR ||
		    rkind == BTF_KIND_DATASEC || rkind == BTF_KIND_DECL_TAG ||
		    rkind == BTF_KIND_FUNC_PROTO) {
			if (i)
				diag_set(r->d,
					 "type [%u] FUNC_PROTO "
					 "param #%u: type [%u] "
					 "is %s%s",
					 id, i - 1, rid, btf_kind_name(rkind),
					 mismatch(raw, rid));
			else
				diag_set(r->d,
					 "type [%u] FUNC_PROTO "
					 "return: type [%u] is "
					 "%s%s",
					 id, rid, btf_kind_name(rkind),
					 mismatch(raw, rid));
			return -EINVAL;
		}
	}
	return 0;
}

static int resolve_var(struct resolver *r, uint32_t id,
		       const struct btf_type *t, int depth, uint32_t *size)
{
	const struct btf_raw *raw = r->raw;
	uint32_t rid, rkind;
	int err;

	err = skip_mods(r, t->type, depth + 1, &rid, &rkind);
	if (err)
		return err;
	if (!is_data_kind(rkind)) {
		diag_set(r->d,
			 "type [%u] VAR '%s': type [%u] is %s, not "
			 "a data type%s",
			 id, type_name(raw, t), rid,
			 rid ? btf_kind_name(rkind) : "void",
			 mismatch(raw, rid));
		return -EINVAL;
	}
	if (rid >= raw->start_id) {
		err = resolve(r, rid, depth + 1);
		if (err)
			return err;
	}
	*size = btf_raw__size(raw, t->type);
	return 0;
}

/* DATASEC: entries are VARs or FUNCs, in order, within the section and at
 * least as large as their VAR. */
static int resolve_datasec(struct resolver *r, uint32_t id,
			   const struct btf_type *t, int depth, uint32_t *size)
{
	const struct btf_raw *raw = r->raw;
	const struct btf_var_secinfo *s = (const void *)(t + 1);
	uint64_t end = 0;
	uint32_t i;
	int err;

	for (i = 0; i < btf_type_vlen(t); i++, s++) {
		const struct btf_type *vt = btf_raw__type(raw, s->type);
		uint32_t vk = btf_type_kind(vt);

		if (vk != BTF_KIND_VAR && vk != BTF_KIND_FUNC) {
			diag_set(r->d,
				 "type [%u] DATASEC '%s' entry "
				 "#%u: type [%u] is %s, not VAR%s",
				 id, type_name(raw, t), i, s->type,
				 btf_kind_name(vk), mismatch(raw, s->type));
			return -EINVAL;
		}
		if (s->offset < end) {
			diag_set(r->d,
				 "type [%u] DATASEC '%s' entry "
				 "#%u: bytes [%u, +%u) overlap the "
				 "previous entry (which ends at %llu)",
				 id, type_name(raw, t), i, s->offset, s->size,
				 (unsigned long long)end);
			return -EINVAL;
		}
		if (t->size && (uint64_t)s->offset + s->size > t->size) {
			diag_set(r->d,
				 "type [%u] DATASEC '%s' entry "
				 "#%u: bytes [%u, +%u) exceed the "
				 "section (%u bytes)",
				 id, type_name(raw, t), i, s->offset, s->size,
				 t->size);
			return -EINVAL;
		}
		if (vk == BTF_KIND_VAR) {
			if (s->type >= raw->start_id) {
				err = resolve(r, s->type, depth + 1);
				if (err)
					return err;
			}
			if (btf_raw__size(raw, s->type) > s->size) {
				diag_set(r->d,
					 "type [%u] DATASEC '%s' "
					 "entry #%u: size %u is "
					 "below its VAR's %u",
					 id, type_name(raw, t), i, s->size,
					 btf_raw__size(raw, s->type));
				return -EINVAL;
			}
		}
		end = (uint64_t)s->offset + s->size;
	}
	*size = t->size;
	return 0;
}

/* DECL_TAG: on a STRUCT, UNION, FUNC, VAR or TYPEDEF, and a component
 * (member, parameter) it has. */
static int resolve_decl_tag(struct resolver *r, uint32_t id,
			    const struct btf_type *t, int depth, uint32_t *size)
{
	const struct btf_raw *raw = r->raw;
	const struct btf_type *tt = btf_raw__type(raw, t->type);
	int32_t cidx = *(const int32_t *)(t + 1);
	uint32_t tk = btf_type_kind(tt), n = 0;

	if (tk == BTF_KIND_STRUCT || tk == BTF_KIND_UNION) {
		n = btf_type_vlen(tt);
	} else if (tk == BTF_KIND_FUNC) {
		n = btf_type_vlen(btf_raw__type(raw, tt->type));
		/* the FUNC may not be resolved yet: check its proto */
		if (!btf_raw__type(raw, tt->type))
			n = 0;
	} else if (tk != BTF_KIND_VAR && tk != BTF_KIND_TYPEDEF) {
		diag_set(r->d, "type [%u] DECL_TAG: target [%u] is %s%s", id,
			 t->type, btf_kind_name(tk), mismatch(raw, t->type));
		return -EINVAL;
	}
	if (cidx >= 0 && (uint32_t)cidx >= n) {
		diag_set(r->d,
			 "type [%u] DECL_TAG: component %d of "
			 "type [%u] %s which has %u",
			 id, cidx, t->type, btf_kind_name(tk), n);
		return -EINVAL;
	}
	return 0;
}

/* Type id fields, one function per record shape (kind_ops[]). */

/* PTR, modifiers, TYPEDEF, FUNC, VAR, DECL_TAG: the one in the record. */
static int visit_type(struct btf_type *t, btf_id_visit_fn fn, void *ctx)
{
	return fn(&t->type, ctx);
}

static int visit_array(struct btf_type *t, btf_id_visit_fn fn, void *ctx)
{
	struct btf_array *a = (void *)(t + 1);
	int err;

	if ((err = fn(&a->type, ctx)))
		return err;
	return fn(&a->index_type, ctx);
}

static int visit_members(struct btf_type *t, btf_id_visit_fn fn, void *ctx)
{
	struct btf_member *m = (void *)(t + 1);
	uint32_t i, vlen = btf_type_vlen(t);
	int err;

	for (i = 0; i < vlen; i++)
		if ((err = fn(&m[i].type, ctx)))
			return err;
	return 0;
}

static int visit_func_proto(struct btf_type *t, btf_id_visit_fn fn, void *ctx)
{
	struct btf_param *p = (void *)(t + 1);
	uint32_t i, vlen = btf_type_vlen(t);
	int err;

	if ((err = fn(&t->type, ctx)))
		return err;
	for (i = 0; i < vlen; i++)
		if ((err = fn(&p[i].type, ctx)))
			return err;
	return 0;
}

static int visit_datasec(struct btf_type *t, btf_id_visit_fn fn, void *ctx)
{
	struct btf_var_secinfo *s = (void *)(t + 1);
	uint32_t i, vlen = btf_type_vlen(t);
	int err;

	for (i = 0; i < vlen; i++)
		if ((err = fn(&s[i].type, ctx)))
			return err;
	return 0;
}

/* Every kind btfar knows; kind 0 is void, never a record. */
/* clang-format off */
static const struct kind_ops kind_ops[NR_BTF_KINDS] = {
	[BTF_KIND_UNKN] = {.name = "UNKNOWN"},
	[BTF_KIND_INT] = {
		.name = "INT",
		.layout = {4, 0, 0},
		.check_meta = meta_int,
		.resolve = resolve_sized,
	},
	[BTF_KIND_PTR] = {
		.name = "PTR",
		.check_meta = meta_modifier,
		.resolve = resolve_ptr,
		.visit_ids = visit_type,
	},
	[BTF_KIND_ARRAY] = {
		.name = "ARRAY",
		.layout = {sizeof(struct btf_array), 0, 0},
		.check_meta = meta_array,
		.resolve = resolve_array,
		.visit_ids = visit_array,
	},
	[BTF_KIND_STRUCT] = {
		.name = "STRUCT",
		.layout = {0, sizeof(struct btf_member), 0},
		.named_elems = true,
		.check_meta = meta_struct,
		.resolve = resolve_struct,
		.visit_ids = visit_members,
	},
	[BTF_KIND_UNION] = {
		.name = "UNION",
		.layout = {0, sizeof(struct btf_member), 0},
		.named_elems = true,
		.check_meta = meta_struct,
		.resolve = resolve_struct,
		.visit_ids = visit_members,
	},
	[BTF_KIND_ENUM] = {
		.name = "ENUM",
		.layout = {0, sizeof(struct btf_enum), 0},
		.named_elems = true,
		.check_meta = meta_enum,
		.resolve = resolve_sized,
	},
	[BTF_KIND_FWD] = {
		.name = "FWD",
		.check_meta = meta_fwd,
	},
	[BTF_KIND_TYPEDEF] = {
		.name = "TYPEDEF",
		.check_meta = meta_typedef,
		.resolve = resolve_modifier,
		.visit_ids = visit_type,
	},
	[BTF_KIND_VOLATILE] = {
		.name = "VOLATILE",
		.check_meta = meta_modifier,
		.resolve = resolve_modifier,
		.visit_ids = visit_type,
	},
	[BTF_KIND_CONST] = {
		.name = "CONST",
		.check_meta = meta_modifier,
		.resolve = resolve_modifier,
		.visit_ids = visit_type,
	},
	[BTF_KIND_RESTRICT] = {
		.name = "RESTRICT",
		.check_meta = meta_modifier,
		.resolve = resolve_modifier,
		.visit_ids = visit_type,
	},
	[BTF_KIND_FUNC] = {
		.name = "FUNC",
		.check_meta = meta_func,
		.resolve = resolve_func,
		.visit_ids = visit_type,
	},
	[BTF_KIND_FUNC_PROTO] = {
		.name = "FUNC_PROTO",
		.layout = {0, sizeof(struct btf_param), 0},
		.named_elems = true,
		.check_meta = meta_func_proto,
		.resolve = resolve_func_proto,
		.visit_ids = visit_func_proto,
	},
	[BTF_KIND_VAR] = {
		.name = "VAR",
		.layout = {4, 0, 0},
		.check_meta = meta_var,
		.resolve = resolve_var,
		.visit_ids = visit_type,
	},
	[BTF_KIND_DATASEC] = {
		.name = "DATASEC",
		.layout = {0, sizeof(struct btf_var_secinfo), 0},
		.check_meta = meta_datasec,
		.resolve = resolve_datasec,
		.visit_ids = visit_datasec,
	},
	[BTF_KIND_FLOAT] = {
		.name = "FLOAT",
		.check_meta = meta_float,
		.resolve = resolve_sized,
	},
	[BTF_KIND_DECL_TAG] = {
		.name = "DECL_TAG",
		.layout = {4, 0, 0},
		.check_meta = meta_decl_tag,
		.resolve = resolve_decl_tag,
		.visit_ids = visit_type,
	},
	[BTF_KIND_TYPE_TAG] = {
		.name = "TYPE_TAG",
		.check_meta = meta_typedef,
		.resolve = resolve_modifier,
		.visit_ids = visit_type,
	},
	[BTF_KIND_ENUM64] = {
		.name = "ENUM64",
		.layout = {0, sizeof(struct btf_enum64), 0},
		.named_elems = true,
		.check_meta = meta_enum,
		.resolve = resolve_sized,
	},
};
/* clang-format on */

/*
 * Resolves local type id: checks its references and records its size.
 * depth counts the types being resolved on the way here.
 */
static int resolve(struct resolver *r, uint32_t id, int depth)
{
	struct btf_raw *raw = r->raw;
	uint32_t idx = id - raw->start_id, size = 0;
	const struct kind_ops *ops;
	const struct btf_type *t;
	int err;

	if (r->state[idx] == RES_DONE)
		return 0;
	if (r->state[idx] == RES_BUSY) {
		diag_set(r->d, "type [%u] %s: reference loop back to itself",
			 id,
			 btf_kind_name(btf_type_kind(btf_raw__type(raw, id))));
		return -ELOOP;
	}
	if (depth > BTF_RAW_MAX_DEPTH) {
		diag_set(r->d,
			 "type [%u]: reference chain deeper than %d types", id,
			 BTF_RAW_MAX_DEPTH);
		return -ELOOP;
	}
	r->state[idx] = RES_BUSY;
	t = btf_raw__type(raw, id);
	/* a known kind: index_types refused the others */
	ops = ops_of(t);
	if (ops && ops->resolve) {
		err = ops->resolve(r, id, t, depth, &size);
		if (err)
			return err;
	}
	raw->sizes[idx] = size;
	r->state[idx] = RES_DONE;
	return 0;
}

/*
 * Chains of pointers and modifiers: each must end (in a type that is
 * neither) within BTF_RAW_MAX_DEPTH steps without coming back to itself,
 * whatever the order of the ids. Walks are memoized: a type walked before
 * holds RES_DONE + the length of the chain from it, which a walk reaching
 * it adds to its own instead of walking on.
 */
static int check_ptr_chains(const struct btf_raw *raw, uint8_t *state,
			    struct diag *d)
{
	uint32_t i, path[BTF_RAW_MAX_DEPTH + 1];

	memset(state, RES_NONE, raw->type_cnt);
	for (i = 0; i < raw->type_cnt; i++) {
		uint32_t cur = raw->start_id + i, n = 0, rest = 0, k;

		while (cur >= raw->start_id) {
			const struct btf_type *t = btf_raw__type(raw, cur);
			uint32_t idx = cur - raw->start_id;

			if (btf_type_kind(t) != BTF_KIND_PTR &&
			    !is_modifier(btf_type_kind(t)))
				break;
			if (state[idx] >= RES_DONE) {
				rest = state[idx] - RES_DONE;
				break;
			}
			if (state[idx] == RES_BUSY) {
				diag_set(d,
					 "type [%u] %s: reference loop back "
					 "to itself through type [%u]",
					 cur, btf_kind_name(btf_type_kind(t)),
					 path[n - 1]);
				return -ELOOP;
			}
			if (n == BTF_RAW_MAX_DEPTH) {
				rest = 1; /* one link more than allowed */
				break;
			}
			state[idx] = RES_BUSY;
			path[n++] = cur;
			cur = t->type;
		}
		if (n + rest > BTF_RAW_MAX_DEPTH) {
			diag_set(d,
				 "type [%u] %s: chain of pointers and "
				 "modifiers deeper than %d",
				 raw->start_id + i,
				 btf_kind_name(btf_type_kind(btf_raw__type(
					 raw, raw->start_id + i))),
				 BTF_RAW_MAX_DEPTH);
			return -ELOOP;
		}
		/* lengths stay <= BTF_RAW_MAX_DEPTH: they fit the uint8_t */
		for (k = 0; k < n; k++)
			state[path[k] - raw->start_id] =
				(uint8_t)(RES_DONE + n - k + rest);
	}
	return 0;
}

/* Pointer size of a standalone blob, from its "long" integer. */
static uint32_t guess_ptr_sz(const struct btf_raw *raw)
{
	uint32_t i;

	for (i = 0; i < raw->type_cnt; i++) {
		const struct btf_type *t =
			(const void *)(raw->types + raw->type_offs[i]);
		const char *n;

		if (btf_type_kind(t) != BTF_KIND_INT)
			continue;
		n = btf_raw__str(raw, t->name_off);
		if (n &&
		    (!strcmp(n, "long int") || !strcmp(n, "long unsigned int")))
			return t->size == 4 ? 4 : 8;
	}
	return 8;
}

int btf_raw__parse(struct btf_raw *raw, const void *data, size_t size,
		   const struct btf_raw *base, struct diag *d)
{
	struct resolver r = {.raw = raw, .d = d};
	uint32_t i;
	int err;

	memset(raw, 0, sizeof(*raw));
	raw->data = data;
	raw->base = base;
	raw->start_id = base ? btf_raw__type_cnt(base) : 1;
	raw->start_str_off = base ? base->start_str_off + base->str_len : 0;

	err = check_hdr(raw, data, size, d);
	if (err)
		goto err;
	raw->size = (uint32_t)size;
	err = check_strs(raw, d);
	if (err)
		goto err;
	err = index_types(raw, d);
	if (err)
		goto err;
	if (raw->type_cnt >= 65536)
		ident_ok = calloc(
			((size_t)raw->start_str_off + raw->str_len) / 8 + 1, 1);
	for (i = 0; i < raw->type_cnt; i++) {
		err = check_meta(raw, raw->start_id + i,
				 (const void *)(raw->types + raw->type_offs[i]),
				 d);
		if (err)
			break;
	}
	free(ident_ok);
	ident_ok = NULL;
	if (err)
		goto err;
	raw->ptr_sz = base ? base->ptr_sz : guess_ptr_sz(raw);
	raw->sizes = calloc(raw->type_cnt + 1, sizeof(*raw->sizes));
	r.state = calloc(raw->type_cnt + 1, 1);
	if (!raw->sizes || !r.state) {
		diag_set(d, "out of memory");
		err = -ENOMEM;
		goto err;
	}
	err = check_ptr_chains(raw, r.state, d);
	if (err)
		goto err;
	memset(r.state, RES_NONE, raw->type_cnt + 1);
	for (i = 0; i < raw->type_cnt; i++) {
		err = resolve(&r, raw->start_id + i, 0);
		if (err)
			goto err;
	}
	free(r.state);
	return 0;
err:
	free(r.state);
	btf_raw__release(raw);
	return err;
}

void btf_raw__release(struct btf_raw *raw)
{
	if (!raw)
		return;
	free(raw->type_offs);
	free(raw->sizes);
	raw->type_offs = NULL;
	raw->sizes = NULL;
	raw->type_cnt = 0;
}

int btf_type_visit_ids(struct btf_type *t, btf_id_visit_fn fn, void *ctx)
{
	const struct kind_ops *ops = ops_of(t);

	return ops && ops->visit_ids ? ops->visit_ids(t, fn, ctx) : 0;
}

int btf_type_visit_strs(struct btf_type *t, btf_id_visit_fn fn, void *ctx)
{
	const struct kind_ops *ops = ops_of(t);
	uint32_t i, vlen = btf_type_vlen(t);
	uint8_t *rec = (uint8_t *)(t + 1);
	int err;

	if ((err = fn(&t->name_off, ctx)))
		return err;
	if (!ops || !ops->named_elems)
		return 0;
	for (i = 0; i < vlen; i++, rec += ops->layout.elem_sz)
		if ((err = fn((uint32_t *)rec, ctx)))
			return err;
	return 0;
}

void *btf_raw__write_layout(const void *types, uint32_t types_len,
			    const void *layout, uint32_t layout_len,
			    const void *strs, uint32_t str_len, size_t *size)
{
	uint32_t hdr_len =
		layout_len ? BTF_RAW_HDR_LEN_LAYOUT : BTF_RAW_HDR_LEN;
	struct btf_header hdr = {
		.magic = BTF_MAGIC,
		.version = BTF_VERSION,
		.hdr_len = hdr_len,
		.type_off = 0,
		.type_len = types_len,
		.str_off = types_len + layout_len,
		.str_len = str_len,
	};
	struct btf_raw_hdr_layout lh = {types_len, layout_len};
	uint64_t total = (uint64_t)hdr_len + types_len + layout_len + str_len;
	uint8_t *buf, *p;

	if (total > UINT32_MAX) {
		errno = EFBIG;
		return NULL;
	}
	buf = malloc(total);
	if (!buf) {
		errno = ENOMEM;
		return NULL;
	}
	p = buf;
	memcpy(p, &hdr, BTF_RAW_HDR_LEN);
	p += BTF_RAW_HDR_LEN;
	if (layout_len) {
		memcpy(p, &lh, sizeof(lh));
		p += sizeof(lh);
	}
	if (types_len) /* types may be NULL when there are none */
		memcpy(p, types, types_len);
	p += types_len;
	if (layout_len)
		memcpy(p, layout, layout_len);
	p += layout_len;
	if (str_len)
		memcpy(p, strs, str_len);
	*size = total;
	return buf;
}

void *btf_raw__write(const void *types, uint32_t types_len, const void *strs,
		     uint32_t str_len, size_t *size)
{
	return btf_raw__write_layout(types, types_len, NULL, 0, strs, str_len,
				     size);
}

void *btf_raw__join(const struct btf_raw *base, const struct btf_raw *split,
		    size_t *size)
{
	uint64_t types_len = (uint64_t)base->types_len + split->types_len;
	uint64_t str_len = (uint64_t)base->str_len + split->str_len;
	/* the joined blob keeps a layout section: the split's, else the
	 * base's (they describe the same kinds: check_layout) */
	const struct btf_raw_layout *l;
	uint32_t layout_len = 0, hdr_len;
	struct btf_header hdr = {
		.magic = BTF_MAGIC,
		.version = BTF_VERSION,
	};
	uint8_t *buf, *p;

	l = btf_raw__layout(split, &layout_len);
	hdr_len = layout_len ? BTF_RAW_HDR_LEN_LAYOUT : BTF_RAW_HDR_LEN;
	if (base->base || split->base != base || types_len > UINT32_MAX ||
	    types_len + layout_len + str_len + hdr_len > UINT32_MAX) {
		errno = EINVAL;
		return NULL;
	}
	hdr.hdr_len = hdr_len;
	hdr.type_len = (uint32_t)types_len;
	hdr.str_off = (uint32_t)types_len + layout_len;
	hdr.str_len = (uint32_t)str_len;
	buf = malloc(hdr_len + types_len + layout_len + str_len);
	if (!buf) {
		errno = ENOMEM;
		return NULL;
	}
	p = buf;
	memcpy(p, &hdr, BTF_RAW_HDR_LEN);
	p += BTF_RAW_HDR_LEN;
	if (layout_len) {
		struct btf_raw_hdr_layout lh = {(uint32_t)types_len,
						layout_len};

		memcpy(p, &lh, sizeof(lh));
		p += sizeof(lh);
	}
	memcpy(p, base->types, base->types_len);
	p += base->types_len;
	memcpy(p, split->types, split->types_len);
	p += split->types_len;
	if (layout_len)
		memcpy(p, l, layout_len);
	p += layout_len;
	memcpy(p, base->strs, base->str_len);
	p += base->str_len;
	memcpy(p, split->strs, split->str_len);
	*size = hdr_len + types_len + layout_len + str_len;
	return buf;
}

void *btf_raw__join_bytes(const struct btf_raw *base, const void *split,
			  size_t split_sz, size_t *size)
{
	struct btf_raw tmp = {0};

	if (check_hdr(&tmp, split, split_sz, NULL)) {
		errno = EINVAL;
		return NULL;
	}
	tmp.base = base;
	return btf_raw__join(base, &tmp, size);
}

int btf_raw_check_header(const void *hdr, uint32_t hdr_len, uint64_t size,
			 struct diag *d)
{
	struct btf_raw raw = {0};
	uint32_t layout_len;

	if (hdr_len < BTF_RAW_HDR_LEN || hdr_len > size) {
		diag_set(d, "hdr_len %u out of range [%u, %llu]", hdr_len,
			 BTF_RAW_HDR_LEN, (unsigned long long)size);
		return -EINVAL;
	}
	if (size > UINT32_MAX) {
		diag_set(d, "%llu bytes, more than 4 GiB",
			 (unsigned long long)size);
		return -EINVAL;
	}
	/* check_hdr reads a layout section's entries, past the header */
	if (hdr_len >= BTF_RAW_HDR_LEN_LAYOUT) {
		memcpy(&layout_len, (const uint8_t *)hdr + 28, 4);
		if (layout_len) {
			diag_set(d,
				 "a layout section (%u bytes), which is not "
				 "read here",
				 layout_len);
			return -EINVAL;
		}
	}
	return check_hdr(&raw, hdr, (size_t)size, d);
}

/* --- views --------------------------------------------------------------- */

/*
 * The reference's referrers are kept once per reference as reverse edges
 * (compressed rows: rev_at[id - 1] .. rev_at[id] index rev). A view's check
 * resolves again the records set and every type whose resolution reads
 * one: its referrers, and theirs, except through a pointer (its size does
 * not depend on its target: the pointer itself is checked again, its
 * referrers are not). Unchanged records keep their references (the
 * reference's ids), so these are the reference's referrers; the records
 * set are checked in any case.
 */

struct rev_fill {
	uint32_t *at; /* counting: per target; filling: next slot */
	uint32_t *rev;
	uint32_t from, na;
};

static int rev_count(uint32_t *id, void *ctx)
{
	struct rev_fill *f = ctx;

	if (*id && *id <= f->na)
		f->at[*id]++;
	return 0;
}

static int rev_put(uint32_t *id, void *ctx)
{
	struct rev_fill *f = ctx;

	if (*id && *id <= f->na)
		f->rev[f->at[*id - 1]++] = f->from;
	return 0;
}

int btf_view_init(struct btf_view *v, const struct btf_raw *ref)
{
	struct rev_fill f;
	uint32_t a, *next = NULL;

	memset(v, 0, sizeof(*v));
	v->ref = ref;
	v->na = ref->type_cnt;
	f.na = v->na;
	f.at = v->rev_at = calloc((size_t)v->na + 2, sizeof(*v->rev_at));
	if (!v->rev_at)
		return -ENOMEM;
	/* the visitors take a writable record; these only read the ids */
	for (a = 1; a <= v->na; a++)
		btf_type_visit_ids((struct btf_type *)btf_raw__type(ref, a),
				   rev_count, &f);
	/* at[id] counted id's referrers: prefix sums give the rows */
	for (a = 1; a <= v->na; a++)
		v->rev_at[a] += v->rev_at[a - 1];
	v->rev = malloc(((size_t)v->rev_at[v->na] + 1) * sizeof(*v->rev));
	next = malloc(((size_t)v->na + 1) * sizeof(*next));
	if (!v->rev || !next) {
		free(next);
		btf_view_release(v);
		return -ENOMEM;
	}
	memcpy(next, v->rev_at, (size_t)v->na * sizeof(*next));
	f.at = next;
	f.rev = v->rev;
	for (a = 1; a <= v->na; a++) {
		f.from = a;
		btf_type_visit_ids((struct btf_type *)btf_raw__type(ref, a),
				   rev_put, &f);
	}
	free(next);
	return 0;
}

void btf_view_release(struct btf_view *v)
{
	if (!v)
		return;
	free(v->rev_at);
	free(v->rev);
	free(v->set);
	free(v->state);
	free(v->raw.rec);
	free(v->raw.sizes);
	memset(v, 0, sizeof(*v));
}

int btf_view_begin(struct btf_view *v, uint32_t added, const char *ext_strs,
		   uint32_t ext_len, struct diag *d)
{
	const struct btf_raw *ref = v->ref;
	const struct btf_type **rec = v->raw.rec;
	uint32_t *sizes = v->raw.sizes, i;
	uint64_t total = (uint64_t)v->na + added;

	/* what the last view set, undone */
	for (i = 0; i < v->set_cnt; i++)
		rec[v->set[i] - 1] = NULL;
	v->set_cnt = 0;
	/* the view's string offsets go past BTF's limit (the reference's
	 * strings then the blob's): they only need to fit 32 bits */
	if (total >= BTF_MAX_TYPE ||
	    (uint64_t)ref->str_len + ext_len > UINT32_MAX) {
		diag_set(d,
			 "view of %llu types and %llu bytes of strings: over "
			 "the limits",
			 (unsigned long long)total,
			 (unsigned long long)ref->str_len + ext_len);
		return -EINVAL;
	}
	if (ext_len && ext_strs[ext_len - 1]) {
		diag_set(d, "the added strings are not NUL-terminated");
		return -EINVAL;
	}
	if (total + 1 > v->cap) {
		uint8_t *state = realloc(v->state, total + 1);

		if (state)
			v->state = state;
		rec = realloc(rec, (total + 1) * sizeof(*rec));
		if (rec) {
			memset(rec + v->cap, 0,
			       (total + 1 - v->cap) * sizeof(*rec));
			v->raw.rec = rec;
		}
		sizes = realloc(sizes, (total + 1) * sizeof(*sizes));
		if (sizes)
			v->raw.sizes = sizes;
		if (!state || !rec || !sizes) {
			diag_set(d, "out of memory");
			return -ENOMEM;
		}
		v->cap = (uint32_t)total + 1;
	}
	memcpy(sizes, ref->sizes, (size_t)v->na * sizeof(*sizes));
	memset(sizes + v->na, 0, ((size_t)added + 1) * sizeof(*sizes));
	/* the reference as it is, but for what the view replaces */
	v->raw.data = ref->data;
	v->raw.size = ref->size;
	v->raw.types = ref->types;
	v->raw.types_len = ref->types_len;
	v->raw.strs = ref->strs;
	v->raw.str_len = ref->str_len;
	v->raw.layout = ref->layout;
	v->raw.layout_len = ref->layout_len;
	v->raw.base = NULL;
	v->raw.start_id = 1;
	v->raw.start_str_off = 0;
	v->raw.type_cnt = (uint32_t)total;
	v->raw.type_offs = ref->type_offs; /* borrowed: not released */
	v->raw.ptr_sz = ref->ptr_sz;
	v->raw.touched = NULL;
	v->raw.ext_strs = ext_len ? ext_strs : NULL;
	v->raw.ext_str_len = ext_len;
	return 0;
}

static int view_mark(struct btf_view *v, uint32_t id)
{
	if (!v->raw.rec[id - 1]) {
		if (mem_ensure((void **)&v->set, &v->set_cap, sizeof(*v->set),
			       v->set_cnt + 1))
			return -ENOMEM;
		v->set[v->set_cnt++] = id;
	}
	return 0;
}

int btf_view_set(struct btf_view *v, uint32_t id, const struct btf_type *t)
{
	if (!id || id > v->raw.type_cnt || !t)
		return -EINVAL;
	if (view_mark(v, id))
		return -ENOMEM;
	v->raw.rec[id - 1] = t;
	return 0;
}

int btf_view_delete(struct btf_view *v, uint32_t id)
{
	if (!id || id > v->na)
		return -EINVAL;
	if (view_mark(v, id))
		return -ENOMEM;
	v->raw.rec[id - 1] = &view_gone;
	return 0;
}

bool btf_view_deleted(const struct btf_view *v, uint32_t id)
{
	return id && id <= v->raw.type_cnt && v->raw.rec[id - 1] == &view_gone;
}

struct gone_ref {
	const struct btf_view *v;
	uint32_t ref;
};

static int refers_to_gone(uint32_t *id, void *ctx)
{
	struct gone_ref *g = ctx;

	if (btf_view_deleted(g->v, *id)) {
		g->ref = *id;
		return 1;
	}
	return 0;
}

enum { VIEW_CLEAN = 0, VIEW_DIRTY = 1 };

int btf_view_check(struct btf_view *v, struct diag *d)
{
	struct btf_raw *raw = &v->raw;
	struct resolver r = {.raw = raw, .d = d, .state = v->state};
	uint32_t total = raw->type_cnt, *list = NULL, cnt = 0, nset, i, j;
	size_t cap = 0;
	uint32_t id;
	int err = 0;

	/* every added id has its record */
	for (id = v->na + 1; id <= total; id++)
		if (!raw->rec[id - 1]) {
			diag_set(d, "type [%u]: added without a record", id);
			return -EINVAL;
		}
	/* the records set: the per-kind rules, in the view's id and string
	 * ranges, and no reference to a deleted type */
	memset(v->state, VIEW_CLEAN, (size_t)total + 1);
	for (i = 0; i < v->set_cnt; i++) {
		const struct btf_type *t;
		struct gone_ref g = {v, 0};

		id = v->set[i];
		t = btf_raw__type(raw, id);
		if (!t) {
			/* deleted: what still refers to it is replaced too */
			for (j = v->rev_at[id - 1]; j < v->rev_at[id]; j++)
				if (!raw->rec[v->rev[j] - 1]) {
					diag_set(d,
						 "type [%u] refers to type "
						 "[%u], which the view deleted",
						 v->rev[j], id);
					err = -EINVAL;
					goto out;
				}
			continue;
		}
		if (btf_type_kind(t) == BTF_KIND_UNKN ||
		    btf_type_kind(t) > BTF_KIND_MAX) {
			diag_set(d, "type [%u]: kind %u is unknown to btfar",
				 id, btf_type_kind(t));
			err = -EINVAL;
			goto out;
		}
		err = check_meta(raw, id, t, d);
		if (err)
			goto out;
		if (btf_type_visit_ids((struct btf_type *)t, refers_to_gone,
				       &g)) {
			diag_set(d,
				 "type [%u] %s refers to type [%u], which the "
				 "view deleted",
				 id, btf_kind_name(btf_type_kind(t)), g.ref);
			err = -EINVAL;
			goto out;
		}
		if (mem_ensure((void **)&list, &cap, sizeof(*list), cnt + 1))
			goto nomem;
		list[cnt++] = id;
		v->state[id] = VIEW_DIRTY;
	}
	/* what depends on them: referrers, transitively but past pointers */
	nset = cnt;
	for (i = 0; i < cnt; i++) {
		const struct btf_type *t = btf_raw__type(raw, list[i]);

		if (list[i] > v->na ||
		    (i >= nset && btf_type_kind(t) == BTF_KIND_PTR))
			continue;
		for (j = v->rev_at[list[i] - 1]; j < v->rev_at[list[i]]; j++) {
			id = v->rev[j];
			if (v->state[id] || btf_view_deleted(v, id))
				continue;
			if (mem_ensure((void **)&list, &cap, sizeof(*list),
				       cnt + 1))
				goto nomem;
			list[cnt++] = id;
			v->state[id] = VIEW_DIRTY;
		}
	}
	/* resolved again, the rest as it was: state is the resolver's now */
	memset(v->state, RES_DONE, (size_t)total + 1);
	for (i = 0; i < cnt; i++)
		v->state[list[i] - 1] = RES_NONE;
	for (i = 0; i < cnt && !err; i++)
		err = resolve(&r, list[i], 0);
	/* chains of pointers and modifiers through them end: a loop must go
	 * through a record set (unchanged ones keep the reference's,
	 * loop-free) */
	for (i = 0; i < cnt && !err; i++) {
		uint32_t cur = list[i], n = 0;
		const struct btf_type *t;

		while ((t = btf_raw__type(raw, cur)) &&
		       (btf_type_kind(t) == BTF_KIND_PTR ||
			is_modifier(btf_type_kind(t)))) {
			if (++n > BTF_RAW_MAX_DEPTH) {
				diag_set(d,
					 "type [%u] %s: chain of pointers and "
					 "modifiers deeper than %d, or a loop",
					 list[i],
					 btf_kind_name(btf_type_kind(
						 btf_raw__type(raw, list[i]))),
					 BTF_RAW_MAX_DEPTH);
				err = -ELOOP;
				break;
			}
			cur = t->type;
		}
	}
	goto out;
nomem:
	diag_set(d, "out of memory");
	err = -ENOMEM;
out:
	free(list);
	return err;
}
