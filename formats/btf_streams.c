// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * btf_streams: raw BTF <-> per-field streams (see btf_streams.h and
 * docs/FORMAT.md "Stream entries").
 */
#include "btf_streams.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "le.h"
#include "thread.h"
#include "varint.h"

/* The kinds whose record layout is fixed here (BTF_KIND_INT .. ENUM64). */
#define K_INT	     1
#define K_PTR	     2
#define K_ARRAY	     3
#define K_STRUCT     4
#define K_UNION	     5
#define K_ENUM	     6
#define K_FWD	     7
#define K_TYPEDEF    8
#define K_VOLATILE   9
#define K_CONST	     10
#define K_RESTRICT   11
#define K_FUNC	     12
#define K_FUNC_PROTO 13
#define K_VAR	     14
#define K_DATASEC    15
#define K_FLOAT	     16
#define K_DECL_TAG   17
#define K_TYPE_TAG   18
#define K_ENUM64     19
#define K_MAX	     19

/* Streams, in payload order. */
enum {
	S_KIND,	 /* per type: the info word's top byte (kind, kind_flag) */
	S_VLEN,	 /* per type: vlen */
	S_NAME,	 /* per type: name code */
	S_SIZE,	 /* size of sized kinds; the raw field of ARRAY and FWD */
	S_TYPE,	 /* type code of reference kinds, FUNC_PROTO's return */
	S_INT,	 /* INT's encoding word */
	S_ARRAY, /* ARRAY: element type code, index type code, nelems */
	S_MNAME, /* member name codes */
	S_MTYPE, /* member type codes */
	S_MOFF,	 /* member offset steps */
	S_ENAME, /* enumerator name codes (ENUM, ENUM64) */
	S_EVAL,	 /* enumerator value steps */
	S_PNAME, /* parameter name codes */
	S_PTYPE, /* parameter type codes */
	S_MISC,	 /* VAR's linkage, DECL_TAG's component_idx */
	S_DSEC,	 /* DATASEC: variable type code, offset step, size */
	S_CNT
};

#define FIXED_LEN (8 + 4 * 6 + 4 * S_CNT)
/* version 2: the checkpoint after the stream lengths (docs/FORMAT.md) */
#define CK_AT	   FIXED_LEN
#define FIXED_LEN2 (FIXED_LEN + 4 * 3 + 4 * S_CNT)

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static int buf_reserve(struct buf *b, size_t n)
{
	size_t cap;
	uint8_t *p;

	if (b->cap - b->len >= n)
		return 0;
	cap = b->cap ? b->cap : 4096;
	while (cap - b->len < n)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

static int put_byte(struct buf *b, uint8_t v)
{
	if (buf_reserve(b, 1))
		return -ENOMEM;
	b->p[b->len++] = v;
	return 0;
}

static int put_var(struct buf *b, uint64_t v)
{
	if (buf_reserve(b, VARINT_MAX))
		return -ENOMEM;
	b->len += varint_put(b->p + b->len, v);
	return 0;
}

/* A 32-bit step (wrapping) as a zigzag of its signed value. */
static uint64_t zz32(uint32_t step)
{
	return zigzag64((int32_t)step);
}

static uint32_t unzz32(uint64_t v)
{
	return (uint32_t)unzigzag64(v);
}

static uint32_t rec_size(uint32_t kind, uint32_t vlen)
{
	switch (kind) {
	case K_INT:
	case K_VAR:
	case K_DECL_TAG:
		return 16;
	case K_ARRAY:
		return 24;
	case K_STRUCT:
	case K_UNION:
	case K_DATASEC:
	case K_ENUM64:
		return 12 + 12 * vlen;
	case K_ENUM:
	case K_FUNC_PROTO:
		return 12 + 8 * vlen;
	default:
		return 12;
	}
}

static bool sized_kind(uint32_t kind)
{
	switch (kind) {
	case K_INT:
	case K_STRUCT:
	case K_UNION:
	case K_ENUM:
	case K_ENUM64:
	case K_DATASEC:
	case K_FLOAT:
	case K_ARRAY:
	case K_FWD:
		return true;
	default:
		return false;
	}
}

/*
 * State both sides share: the ids of the blob and where the next string
 * not named yet starts.
 */
struct ctx {
	const char *strs;
	uint32_t str_len;
	uint32_t next_str; /* str_len + 1 once past the end */
	uint32_t ids;	   /* type ids including 0 */
	uint32_t self;	   /* id of the record being coded */
};

static void str_init(struct ctx *c)
{
	c->next_str =
		c->str_len ? (uint32_t)strnlen(c->strs, c->str_len) + 1 : 0;
}

static void str_advance(struct ctx *c)
{
	uint32_t at = c->next_str;

	c->next_str = at + (uint32_t)strnlen(c->strs + at, c->str_len - at) + 1;
}

/*
 * Name code: 0 for offset 0, 1 for the next string not named yet (the
 * first use of a string, which then moves on), else offset + 2.
 */
static int enc_name(struct ctx *c, struct buf *b, uint32_t off)
{
	if (!off)
		return put_var(b, 0);
	if (off == c->next_str && off < c->str_len) {
		str_advance(c);
		return put_var(b, 1);
	}
	if (off > c->next_str && off < c->str_len) {
		c->next_str = off;
		str_advance(c);
	}
	return put_var(b, (uint64_t)off + 2);
}

/*
 * Type code. In the type stream (what a pointer, typedef, qualifier,
 * function or variable refers to) 0 for void, else 1 + zigzag(self - id):
 * these chains are mostly written next to each other. Elsewhere (member,
 * parameter, element, section variable types) the id itself: a few types
 * (int, pointers to the common structs) are named again and again, and the
 * same id repeats where a distance would not (measured on a 6.1 merged
 * blob at zstd -19: 2.67 MB of type streams against 3.18 MB all distances).
 */
static bool abs_ids(int si)
{
	return si != S_TYPE;
}

static int enc_type(struct ctx *c, struct buf *b, uint32_t id, int si)
{
	if (abs_ids(si))
		return put_var(b, id);
	if (!id)
		return put_var(b, 0);
	return put_var(b, zigzag64((int64_t)c->self - (int64_t)id) + 1);
}

struct enc {
	struct ctx c;
	struct buf s[S_CNT];
	/* version 2's checkpoint: the first record at or past the type
	 * section's middle, where it starts and what the streams and the
	 * string mark hold before it (ck_id 0: none) */
	uint32_t ck_id, ck_off, ck_next;
	size_t ck_s[S_CNT];
};

static int enc_record(struct enc *e, const uint8_t *t, uint32_t kind,
		      uint32_t vlen)
{
	struct buf *s = e->s;
	struct ctx *c = &e->c;
	uint32_t info = le32_get(t + 4), i, prev, prev_hi;
	const uint8_t *m = t + 12;
	int err = 0;

	err |= put_byte(&s[S_KIND], (uint8_t)(info >> 24));
	err |= put_var(&s[S_VLEN], vlen);
	err |= enc_name(c, &s[S_NAME], le32_get(t));
	if (sized_kind(kind))
		err |= put_var(&s[S_SIZE], le32_get(t + 8));
	else
		err |= enc_type(c, &s[S_TYPE], le32_get(t + 8), S_TYPE);

	switch (kind) {
	case K_INT:
		err |= put_var(&s[S_INT], le32_get(m));
		break;
	case K_ARRAY:
		err |= enc_type(c, &s[S_ARRAY], le32_get(m), S_ARRAY);
		err |= enc_type(c, &s[S_ARRAY], le32_get(m + 4), S_ARRAY);
		err |= put_var(&s[S_ARRAY], le32_get(m + 8));
		break;
	case K_STRUCT:
	case K_UNION:
		for (i = 0, prev = 0; i < vlen; i++, m += 12) {
			err |= enc_name(c, &s[S_MNAME], le32_get(m));
			err |= enc_type(c, &s[S_MTYPE], le32_get(m + 4),
					S_MTYPE);
			err |= put_var(&s[S_MOFF],
				       zz32(le32_get(m + 8) - prev));
			prev = le32_get(m + 8);
		}
		break;
	case K_ENUM:
		for (i = 0, prev = UINT32_MAX; i < vlen; i++, m += 8) {
			err |= enc_name(c, &s[S_ENAME], le32_get(m));
			err |= put_var(&s[S_EVAL],
				       zz32(le32_get(m + 4) - prev - 1));
			prev = le32_get(m + 4);
		}
		break;
	case K_ENUM64:
		for (i = 0, prev = prev_hi = UINT32_MAX; i < vlen;
		     i++, m += 12) {
			uint64_t v = le32_get(m + 4) | (uint64_t)le32_get(m + 8)
							       << 32;
			uint64_t p = prev | (uint64_t)prev_hi << 32;

			err |= enc_name(c, &s[S_ENAME], le32_get(m));
			err |= put_var(&s[S_EVAL],
				       zigzag64((int64_t)(v - p - 1)));
			prev = (uint32_t)v;
			prev_hi = (uint32_t)(v >> 32);
		}
		break;
	case K_FUNC_PROTO:
		for (i = 0; i < vlen; i++, m += 8) {
			err |= enc_name(c, &s[S_PNAME], le32_get(m));
			err |= enc_type(c, &s[S_PTYPE], le32_get(m + 4),
					S_PTYPE);
		}
		break;
	case K_VAR:
	case K_DECL_TAG:
		err |= put_var(&s[S_MISC], le32_get(m));
		break;
	case K_DATASEC:
		for (i = 0, prev = 0; i < vlen; i++, m += 12) {
			err |= enc_type(c, &s[S_DSEC], le32_get(m), S_DSEC);
			err |= put_var(&s[S_DSEC],
				       zz32(le32_get(m + 4) - prev));
			err |= put_var(&s[S_DSEC], le32_get(m + 8));
			prev = le32_get(m + 4) + le32_get(m + 8);
		}
		break;
	}
	return err ? -ENOMEM : 0;
}

/* Section lengths from a header, checked to be contiguous: header, types,
 * layout (if any), strings, nothing after. */
struct sect {
	uint32_t hdr_len, type_len, layout_len, str_len;
};

static int read_header(const uint8_t *p, size_t size, struct sect *x,
		       struct diag *d)
{
	uint32_t type_off, str_off, layout_off = 0;
	uint64_t end;

	if (size < 24 || le16_get(p) != 0xeb9f || p[2] != 1 || p[3] != 0) {
		diag_set(d, "not little-endian BTF version 1");
		return -1;
	}
	x->hdr_len = le32_get(p + 4);
	if ((x->hdr_len != 24 && x->hdr_len != 32) || size < x->hdr_len) {
		diag_set(d, "BTF header length %u", x->hdr_len);
		return -1;
	}
	type_off = le32_get(p + 8);
	x->type_len = le32_get(p + 12);
	str_off = le32_get(p + 16);
	x->str_len = le32_get(p + 20);
	x->layout_len = 0;
	if (x->hdr_len == 32) {
		layout_off = le32_get(p + 24);
		x->layout_len = le32_get(p + 28);
	}
	end = (uint64_t)x->hdr_len + x->type_len + x->layout_len + x->str_len;
	if (type_off != 0 || (x->hdr_len == 32 && layout_off != x->type_len) ||
	    str_off != x->type_len + x->layout_len || end != size) {
		diag_set(d,
			 "BTF sections not header, types, %sstrings "
			 "back to back",
			 x->hdr_len == 32 ? "layout, " : "");
		return -1;
	}
	return 0;
}

static int encode_types(struct enc *e, const uint8_t *types, uint32_t len,
			uint32_t *cnt, struct diag *d)
{
	uint32_t off = 0, n = 0;
	int err;

	/* first pass: count, so that ids can be checked */
	while (off < len) {
		uint32_t info, kind, vlen, rs;

		if (len - off < 12)
			goto trunc;
		info = le32_get(types + off + 4);
		kind = (info >> 24) & 0x7f;
		vlen = info & 0xffffff;
		if (!kind || kind > K_MAX) {
			diag_set(d, "type [%u]: kind %u not encoded as streams",
				 n + 1, kind);
			return -ENOTSUP;
		}
		rs = rec_size(kind, vlen);
		if (len - off < rs)
			goto trunc;
		off += rs;
		n++;
	}
	e->c.ids = n + 1;
	for (off = 0, e->c.self = 1; e->c.self <= n; e->c.self++) {
		uint32_t info = le32_get(types + off + 4);
		uint32_t kind = (info >> 24) & 0x7f, vlen = info & 0xffffff;
		size_t i;

		if (!e->ck_id && e->c.self > 1 && off >= len / 2) {
			e->ck_id = e->c.self;
			e->ck_off = off;
			e->ck_next = e->c.next_str;
			for (i = 0; i < S_CNT; i++)
				e->ck_s[i] = e->s[i].len;
		}

		err = enc_record(e, types + off, kind, vlen);
		if (err)
			return err;
		off += rec_size(kind, vlen);
	}
	*cnt = n;
	return 0;
trunc:
	diag_set(d, "type [%u] runs past the type section", n + 1);
	return -ENOTSUP;
}

size_t btf_streams_blob_size(const void *payload, size_t size)
{
	const uint8_t *p = payload;

	if (size < FIXED_LEN || (memcmp(p, BTF_STREAMS_MAGIC, 8) &&
				 memcmp(p, BTF_STREAMS_MAGIC2, 8)))
		return 0;
	return (size_t)le32_get(p + 8) + le32_get(p + 12) + le32_get(p + 16) +
	       le32_get(p + 20);
}

int btf_streams_encode(const void *blob, size_t blob_size, void **out,
		       size_t *out_size, struct diag *d)
{
	return btf_streams_encode_version(blob, blob_size, 2, out, out_size, d);
}

int btf_streams_encode_version(const void *blob, size_t blob_size,
			       unsigned int version, void **out,
			       size_t *out_size, struct diag *d)
{
	size_t fixed = version >= 2 ? FIXED_LEN2 : FIXED_LEN;
	const uint8_t *b = blob;
	struct enc e = {0};
	struct sect x;
	uint32_t cnt = 0;
	size_t total, i;
	uint8_t *p = NULL, *q, *check = NULL;
	int err;

	*out = NULL;
	*out_size = 0;
	if (blob_size > UINT32_MAX || read_header(b, blob_size, &x, d))
		return -ENOTSUP;
	e.c.strs = (const char *)b + x.hdr_len + x.type_len + x.layout_len;
	e.c.str_len = x.str_len;
	str_init(&e.c);
	err = encode_types(&e, b + x.hdr_len, x.type_len, &cnt, d);
	if (err)
		goto out;

	total = fixed + x.hdr_len + x.layout_len + x.str_len;
	for (i = 0; i < S_CNT; i++)
		total += e.s[i].len;
	p = malloc(total);
	if (!p) {
		err = -ENOMEM;
		goto out;
	}
	memcpy(p, version >= 2 ? BTF_STREAMS_MAGIC2 : BTF_STREAMS_MAGIC, 8);
	le32_put(p + 8, x.hdr_len);
	le32_put(p + 12, x.type_len);
	le32_put(p + 16, x.layout_len);
	le32_put(p + 20, x.str_len);
	le32_put(p + 24, cnt);
	le32_put(p + 28, S_CNT);
	for (i = 0; i < S_CNT; i++) {
		if (e.s[i].len > UINT32_MAX) {
			diag_set(d, "stream %zu too long", i);
			err = -ENOTSUP;
			goto out;
		}
		le32_put(p + 32 + 4 * i, (uint32_t)e.s[i].len);
	}
	if (version >= 2) {
		le32_put(p + CK_AT, e.ck_id);
		le32_put(p + CK_AT + 4, e.ck_off);
		le32_put(p + CK_AT + 8, e.ck_next);
		for (i = 0; i < S_CNT; i++)
			le32_put(p + CK_AT + 12 + 4 * i, (uint32_t)e.ck_s[i]);
	}
	q = p + fixed;
	memcpy(q, b, x.hdr_len);
	q += x.hdr_len;
	memcpy(q, b + x.hdr_len + x.type_len, x.layout_len);
	q += x.layout_len;
	for (i = 0; i < S_CNT; i++) {
		if (e.s[i].len)
			memcpy(q, e.s[i].p, e.s[i].len);
		q += e.s[i].len;
	}
	memcpy(q, e.c.strs, x.str_len);

	/* The proof: the payload decodes to the blob, byte for byte (what
	 * the fields above do not capture, e.g. an id out of range, ends
	 * here as -ENOTSUP and the blob is stored plain). */
	check = malloc(blob_size ? blob_size : 1);
	if (!check) {
		err = -ENOMEM;
		goto out;
	}
	if (btf_streams_decode(p, total, check, blob_size, d) ||
	    memcmp(check, b, blob_size)) {
		diag_prefix(d, "streams do not decode to the blob: ");
		err = -ENOTSUP;
		goto out;
	}
	*out = p;
	*out_size = total;
	p = NULL;
out:
	free(check);
	free(p);
	for (i = 0; i < S_CNT; i++)
		free(e.s[i].p);
	return err;
}

/* Decoding: one cursor per stream, each read only within its own bytes. */
struct rd {
	const uint8_t *p, *end;
};

struct dec {
	struct ctx c;
	struct rd s[S_CNT];
	struct diag *d;
	int bad; /* first failure seen, reported once */
};

static const char *const stream_names[S_CNT] = {
	"kind",
	"vlen",
	"name",
	"size",
	"type",
	"int",
	"array",
	"member name",
	"member type",
	"member offset",
	"enumerator name",
	"enumerator value",
	"param name",
	"param type",
	"misc",
	"datasec",
};

static uint64_t get_var_slow(struct dec *x, int si)
{
	struct rd *r = &x->s[si];
	uint64_t v;
	int err = varint_get(&r->p, r->end, &v);

	if (!err)
		return v;
	if (!x->bad) {
		x->bad = 1;
		diag_set(x->d, "type [%u]: %s stream %s", x->c.self,
			 stream_names[si],
			 err == -2 ? "holds an overlong varint" : "truncated");
	}
	r->p = r->end;
	return 0;
}

/* A varint with no bound to check (VARINT_MAX bytes at least left): inline; at
 * the end of a stream and for every error, get_var_slow, which reads the same
 * bytes the same way. */
static inline uint64_t get_var(struct dec *x, int si)
{
	struct rd *r = &x->s[si];
	const uint8_t *p = r->p;
	uint64_t v = 0;
	unsigned int i;

	if (r->end - p < VARINT_MAX)
		return get_var_slow(x, si);
	for (i = 0; i < VARINT_MAX; i++) {
		v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			r->p = p + i + 1;
			return v;
		}
	}
	return get_var_slow(x, si);
}

static uint32_t get_u32(struct dec *x, int si)
{
	uint64_t v = get_var(x, si);

	if (v > UINT32_MAX && !x->bad) {
		x->bad = 1;
		diag_set(x->d, "type [%u]: %s stream: value %llu past 32 bits",
			 x->c.self, stream_names[si], (unsigned long long)v);
	}
	return (uint32_t)v;
}

static uint32_t dec_name(struct dec *x, int si)
{
	struct ctx *c = &x->c;
	uint64_t v = get_var(x, si);
	uint32_t off;

	if (v == 0)
		return 0;
	if (v == 1) {
		off = c->next_str;
		if (off >= c->str_len) {
			if (!x->bad) {
				x->bad = 1;
				diag_set(x->d,
					 "type [%u]: %s stream: a new string "
					 "past the string section (%u bytes)",
					 c->self, stream_names[si], c->str_len);
			}
			return 0;
		}
		str_advance(c);
		return off;
	}
	if (v - 2 >= c->str_len) {
		if (!x->bad) {
			x->bad = 1;
			diag_set(x->d,
				 "type [%u]: %s stream: name offset %llu past "
				 "the string section (%u bytes)",
				 c->self, stream_names[si],
				 (unsigned long long)(v - 2), c->str_len);
		}
		return 0;
	}
	off = (uint32_t)(v - 2);
	if (off > c->next_str) {
		c->next_str = off;
		str_advance(c);
	}
	return off;
}

static uint32_t dec_type(struct dec *x, int si)
{
	struct ctx *c = &x->c;
	uint64_t v = get_var(x, si);
	int64_t id;

	if (abs_ids(si))
		id = (int64_t)v;
	else if (!v)
		return 0;
	else
		id = (int64_t)c->self - unzigzag64(v - 1);
	if (!id)
		return 0;
	if (id < 1 || id >= c->ids) {
		if (!x->bad) {
			x->bad = 1;
			diag_set(x->d,
				 "type [%u]: %s stream: type id %lld out of "
				 "range (%u types)",
				 c->self, stream_names[si], (long long)id,
				 c->ids - 1);
		}
		return 0;
	}
	return (uint32_t)id;
}

static void dec_record(struct dec *x, uint8_t *t, uint32_t kind, uint32_t vlen)
{
	uint8_t *m = t + 12;
	uint32_t i, prev, prev_hi;

	le32_put(t, dec_name(x, S_NAME));
	if (sized_kind(kind))
		le32_put(t + 8, get_u32(x, S_SIZE));
	else
		le32_put(t + 8, dec_type(x, S_TYPE));

	switch (kind) {
	case K_INT:
		le32_put(m, get_u32(x, S_INT));
		break;
	case K_ARRAY:
		le32_put(m, dec_type(x, S_ARRAY));
		le32_put(m + 4, dec_type(x, S_ARRAY));
		le32_put(m + 8, get_u32(x, S_ARRAY));
		break;
	case K_STRUCT:
	case K_UNION:
		for (i = 0, prev = 0; i < vlen && !x->bad; i++, m += 12) {
			le32_put(m, dec_name(x, S_MNAME));
			le32_put(m + 4, dec_type(x, S_MTYPE));
			prev += unzz32(get_var(x, S_MOFF));
			le32_put(m + 8, prev);
		}
		break;
	case K_ENUM:
		for (i = 0, prev = UINT32_MAX; i < vlen && !x->bad;
		     i++, m += 8) {
			le32_put(m, dec_name(x, S_ENAME));
			prev += unzz32(get_var(x, S_EVAL)) + 1;
			le32_put(m + 4, prev);
		}
		break;
	case K_ENUM64:
		for (i = 0, prev = prev_hi = UINT32_MAX; i < vlen && !x->bad;
		     i++, m += 12) {
			uint64_t v = prev | (uint64_t)prev_hi << 32;

			le32_put(m, dec_name(x, S_ENAME));
			v += (uint64_t)unzigzag64(get_var(x, S_EVAL)) + 1;
			le32_put(m + 4, (uint32_t)v);
			le32_put(m + 8, (uint32_t)(v >> 32));
			prev = (uint32_t)v;
			prev_hi = (uint32_t)(v >> 32);
		}
		break;
	case K_FUNC_PROTO:
		for (i = 0; i < vlen && !x->bad; i++, m += 8) {
			le32_put(m, dec_name(x, S_PNAME));
			le32_put(m + 4, dec_type(x, S_PTYPE));
		}
		break;
	case K_VAR:
	case K_DECL_TAG:
		le32_put(m, get_u32(x, S_MISC));
		break;
	case K_DATASEC:
		for (i = 0, prev = 0; i < vlen && !x->bad; i++, m += 12) {
			uint32_t off, sz;

			le32_put(m, dec_type(x, S_DSEC));
			off = prev + unzz32(get_var(x, S_DSEC));
			sz = get_u32(x, S_DSEC);
			le32_put(m + 4, off);
			le32_put(m + 8, sz);
			prev = off + sz;
		}
		break;
	}
}

/*
 * Records [x->c.self, end_id) of the type section, from type offset off
 * to off_end exactly, each stream of x read to its end.
 */
static int decode_part(struct dec *x, uint8_t *types, uint32_t end_id,
		       uint32_t off, uint32_t off_end, uint32_t type_len)
{
	struct diag *d = x->d;
	size_t i;

	for (; x->c.self < end_id; x->c.self++) {
		uint32_t info, kind, vlen, rs;

		info = (uint32_t)x->s[S_KIND].p[0] << 24;
		x->s[S_KIND].p++;
		kind = (info >> 24) & 0x7f;
		vlen = get_u32(x, S_VLEN);
		if (x->bad)
			return -EINVAL;
		if (!kind || kind > K_MAX || vlen > 0xffffff) {
			diag_set(d, "streams: type [%u]: kind %u vlen %u",
				 x->c.self, kind, vlen);
			return -EINVAL;
		}
		rs = rec_size(kind, vlen);
		if (off_end - off < rs) {
			diag_set(d,
				 "streams: type [%u] runs past %u of the "
				 "%u-byte type section",
				 x->c.self, off_end, type_len);
			return -EINVAL;
		}
		le32_put(types + off + 4, info | vlen);
		dec_record(x, types + off, kind, vlen);
		if (x->bad)
			return -EINVAL;
		off += rs;
	}
	if (off != off_end) {
		diag_set(d,
			 "streams: types up to [%u] fill %u of %u bytes of "
			 "the %u-byte type section",
			 end_id - 1, off, off_end, type_len);
		return -EINVAL;
	}
	for (i = 0; i < S_CNT; i++) {
		if (x->s[i].p != x->s[i].end) {
			diag_set(d,
				 "streams: %zu bytes left in the %s stream "
				 "at type [%u]",
				 (size_t)(x->s[i].end - x->s[i].p),
				 stream_names[i], end_id);
			return -EINVAL;
		}
	}
	return 0;
}

/* A part decoded on a thread of its own. */
struct part {
	struct dec *x;
	uint8_t *types;
	uint32_t end_id, off, off_end, type_len;
	int err;
};

static void *part_run(void *arg)
{
	struct part *pp = arg;

	pp->err = decode_part(pp->x, pp->types, pp->end_id, pp->off,
			      pp->off_end, pp->type_len);
	return NULL;
}

/* Version 2's checkpoint: id 0 (none), or the first record of the second
 * part (2..n), its type offset, the string mark and each stream's bytes
 * before it. */
struct ck {
	uint32_t id, off, next;
	uint32_t s[S_CNT];
};

static int read_ck(const uint8_t *p, const struct sect *s, uint32_t cnt,
		   const uint32_t *len, struct ck *ck, struct diag *d)
{
	size_t i;
	bool bad;

	ck->id = le32_get(p + CK_AT);
	ck->off = le32_get(p + CK_AT + 4);
	ck->next = le32_get(p + CK_AT + 8);
	for (i = 0; i < S_CNT; i++)
		ck->s[i] = le32_get(p + CK_AT + 12 + 4 * i);
	if (!ck->id) {
		bad = ck->off || ck->next;
		for (i = 0; i < S_CNT; i++)
			bad = bad || ck->s[i];
	} else {
		bad = ck->id < 2 || ck->id > cnt || !ck->off ||
		      ck->off >= s->type_len || ck->next > s->str_len + 1 ||
		      ck->s[S_KIND] != ck->id - 1;
		for (i = 0; i < S_CNT; i++)
			bad = bad || ck->s[i] > len[i];
	}
	if (bad) {
		diag_set(d,
			 "streams: checkpoint at type [%u], offset %u, string "
			 "mark %u: outside the payload's types, sections or "
			 "streams",
			 ck->id, ck->off, ck->next);
		return -EINVAL;
	}
	return 0;
}

/*
 * btf_streams_decode, and btf_streams_decode_head when placed (the
 * string section's length, already at its place in out) is not
 * SIZE_MAX.
 */
static int decode(const void *payload, size_t size, void *out, size_t blob_size,
		  size_t placed, unsigned int threads, struct diag *d)
{
	const uint8_t *p = payload, *q;
	uint8_t *o = out, *types;
	struct dec x = {.d = d}, y;
	struct diag yd = {""};
	struct part pp = {0};
	struct ck ck = {0};
	struct sect s, h;
	uint32_t cnt, len[S_CNT];
	uint64_t total, need;
	size_t i, fixed = FIXED_LEN;
	bool beside;
	pthread_t t;
	int err;

	if (size >= FIXED_LEN2 && !memcmp(p, BTF_STREAMS_MAGIC2, 8))
		fixed = FIXED_LEN2;
	if (size < fixed ||
	    (fixed == FIXED_LEN && memcmp(p, BTF_STREAMS_MAGIC, 8))) {
		diag_set(d,
			 "streams: not a " BTF_STREAMS_MAGIC
			 " or " BTF_STREAMS_MAGIC2 " payload (%zu bytes)",
			 size);
		return -EINVAL;
	}
	s.hdr_len = le32_get(p + 8);
	s.type_len = le32_get(p + 12);
	s.layout_len = le32_get(p + 16);
	s.str_len = le32_get(p + 20);
	cnt = le32_get(p + 24);
	if (le32_get(p + 28) != S_CNT) {
		diag_set(d, "streams: %u streams, this version reads %u",
			 le32_get(p + 28), S_CNT);
		return -EINVAL;
	}
	need = (uint64_t)s.hdr_len + s.type_len + s.layout_len + s.str_len;
	if (need != blob_size) {
		diag_set(d,
			 "streams: sections add up to %llu bytes, the blob "
			 "has %zu",
			 (unsigned long long)need, blob_size);
		return -EINVAL;
	}
	if (placed != SIZE_MAX && placed != s.str_len) {
		diag_set(d, "streams: a string section of %u bytes, %zu placed",
			 s.str_len, placed);
		return -EINVAL;
	}
	/* the string section is in the payload unless it was placed */
	total = fixed + (uint64_t)s.hdr_len + s.layout_len +
		(placed == SIZE_MAX ? s.str_len : 0);
	for (i = 0; i < S_CNT; i++) {
		len[i] = le32_get(p + 32 + 4 * i);
		total += len[i];
	}
	if (total != size) {
		diag_set(d,
			 "streams: stream lengths add up to %llu bytes, the "
			 "payload has %zu",
			 (unsigned long long)total, size);
		return -EINVAL;
	}
	/* the stored header must describe these very sections */
	if (read_header(p + fixed, blob_size, &h, d)) {
		diag_prefix(d, "streams: stored header: ");
		return -EINVAL;
	}
	if (h.hdr_len != s.hdr_len || h.type_len != s.type_len ||
	    h.layout_len != s.layout_len || h.str_len != s.str_len) {
		diag_set(d, "streams: the stored header does not describe the "
			    "payload's sections");
		return -EINVAL;
	}
	if (cnt > s.type_len / 12 || len[S_KIND] != cnt) {
		diag_set(d,
			 "streams: %u types in a %u-byte type section with "
			 "%u kind bytes",
			 cnt, s.type_len, len[S_KIND]);
		return -EINVAL;
	}
	if (fixed == FIXED_LEN2 && read_ck(p, &s, cnt, len, &ck, d))
		return -EINVAL;
	q = p + fixed;
	memcpy(o, q, s.hdr_len);
	q += s.hdr_len;
	memcpy(o + s.hdr_len + s.type_len, q, s.layout_len);
	q += s.layout_len;
	for (i = 0; i < S_CNT; i++) {
		x.s[i].p = q;
		x.s[i].end = q + len[i];
		q += len[i];
	}
	if (placed == SIZE_MAX)
		memcpy(o + s.hdr_len + s.type_len + s.layout_len, q, s.str_len);
	x.c.strs = (const char *)o + s.hdr_len + s.type_len + s.layout_len;
	x.c.str_len = s.str_len;
	x.c.ids = cnt + 1;
	str_init(&x.c);

	types = o + s.hdr_len;
	if (!ck.id) {
		x.c.self = 1;
		return decode_part(&x, types, cnt + 1, 0, s.type_len,
				   s.type_len);
	}
	/* version 2: the types before the checkpoint and from it on, the
	 * second part on a second thread when there is one; the first
	 * failure in id order is reported */
	y = x;
	y.d = &yd;
	for (i = 0; i < S_CNT; i++) {
		x.s[i].end = x.s[i].p + ck.s[i];
		y.s[i].p = x.s[i].end;
	}
	y.c.next_str = ck.next;
	y.c.self = ck.id;
	pp.x = &y;
	pp.types = types;
	pp.end_id = cnt + 1;
	pp.off = ck.off;
	pp.off_end = pp.type_len = s.type_len;
	/* one thread: the second part first, here */
	beside = thread_run_beside(&t, threads > 1, part_run, &pp);
	x.c.self = 1;
	err = decode_part(&x, types, ck.id, 0, ck.off, s.type_len);
	if (!err && x.c.next_str != ck.next) {
		diag_set(d,
			 "streams: the types before the checkpoint at [%u] "
			 "leave the string mark at %u, the checkpoint says %u",
			 ck.id, x.c.next_str, ck.next);
		err = -EINVAL;
	}
	if (beside)
		pthread_join(t, NULL);
	if (!err && pp.err) {
		*d = yd;
		err = pp.err;
	}
	return err;
}

int btf_streams_decode(const void *payload, size_t size, void *out,
		       size_t blob_size, struct diag *d)
{
	return decode(payload, size, out, blob_size, SIZE_MAX, 1, d);
}

int btf_streams_decode_head(const void *head, size_t size, void *out,
			    size_t blob_size, size_t str_len,
			    unsigned int threads, struct diag *d)
{
	return decode(head, size, out, blob_size, str_len, threads, d);
}
