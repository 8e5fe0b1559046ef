// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bpf_obj: a BPF object's .BTF and CO-RE relocations.
 *
 * 1. elf_btf finds .BTF and .BTF.ext (structural checks on the ELF).
 * 2. .BTF is copied with the loader-only records neutralised (VAR,
 *    DATASEC -> INT; extern FUNC -> static; DECL_TAG on those -> INT):
 *    one record per id, so every id and name offset is unchanged. The
 *    copy is validated by btf_raw: CO-RE then reads only sound types.
 * 3. .BTF.ext: header, then the CO-RE part (rec_size, then per section a
 *    name offset, a count and the records), every offset checked against
 *    the part's end before it is read.
 * 4. Each record: kind known, root id in range and of a relocatable kind,
 *    access string well formed.
 */
#include "bpf_obj.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_btf.h"
#include "mem.h"

static const char *const kind_names[] = {
	"byte_off",	"byte_sz",    "field_exists",	"signed",
	"lshift_u64",	"rshift_u64", "local_type_id",	"target_type_id",
	"type_exists",	"type_size",  "enumval_exists", "enumval_value",
	"type_matches",
};

const char *bpf_obj__kind_name(uint32_t kind)
{
	return kind <= BPF_OBJ_RELO_KIND_MAX ? kind_names[kind] : NULL;
}

int bpf_obj__parse_access(const char *s, uint32_t *idx, uint32_t max,
			  uint32_t *n)
{
	*n = 0;
	if (!s || !*s)
		return -EINVAL;
	for (;;) {
		uint64_t v = 0;
		const char *start = s;

		while (*s >= '0' && *s <= '9') {
			v = v * 10 + (uint64_t)(*s - '0');
			if (v > INT32_MAX)
				return -EINVAL;
			s++;
		}
		if (s == start)
			return -EINVAL; /* empty number or another char */
		if (*n == max)
			return -E2BIG;
		idx[(*n)++] = (uint32_t)v;
		if (!*s)
			return 0;
		if (*s != ':' || !s[1])
			return -EINVAL;
		s++;
	}
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/*
 * A copy of the BTF blob with VAR / DATASEC / extern FUNC neutralised.
 * Header and records are only walked as far as they are sound; anything
 * else is left for btf_raw__parse to report. *conv[id] is set for the
 * records turned into INT.
 */
static void *btf_neutral_copy(const uint8_t *btf, size_t sz, size_t *out_sz,
			      uint8_t **conv)
{
	const struct btf_header *h = (const void *)btf;
	uint32_t hdr_len, toff, tlen, soff, slen, pos, id, cnt = 0;
	uint8_t *out, *types;
	size_t tcap, tlen_new = 0;

	*conv = NULL;
	if (sz < BTF_RAW_HDR_LEN || h->magic != BTF_MAGIC)
		goto verbatim;
	hdr_len = h->hdr_len;
	toff = h->type_off;
	tlen = h->type_len;
	soff = h->str_off;
	slen = h->str_len;
	if (hdr_len < BTF_RAW_HDR_LEN || hdr_len > sz ||
	    (uint64_t)hdr_len + toff + tlen > sz ||
	    (uint64_t)hdr_len + soff + slen > sz || (toff + tlen) % 4)
		goto verbatim;
	/* every record grows at most to 16 bytes or stays as it is */
	tcap = (size_t)tlen * 2 + 16;
	types = malloc(tcap);
	*conv = calloc(tlen / 12 + 2, 1);
	if (!types || !*conv) {
		free(types);
		free(*conv);
		*conv = NULL;
		return NULL;
	}
	for (pos = 0, id = 1; pos < tlen; id++) {
		const struct btf_type *t =
			(const void *)(btf + hdr_len + toff + pos);
		uint32_t rs = btf_raw__rec_size(t, tlen - pos), k;
		struct btf_type *o = (void *)(types + tlen_new);

		if (!rs) {
			free(types);
			free(*conv);
			*conv = NULL;
			goto verbatim;
		}
		k = btf_type_kind(t);
		if (k == BTF_KIND_VAR || k == BTF_KIND_DATASEC ||
		    (k == BTF_KIND_DECL_TAG && t->type < id &&
		     (*conv)[t->type])) {
			/* INT, 1 byte, 8 bits: a placeholder of the same id */
			o->name_off = t->name_off;
			o->info = btf_type_info(BTF_KIND_INT, 0, false);
			o->size = 1;
			memcpy(o + 1, &(uint32_t){8}, 4);
			tlen_new += 16;
			(*conv)[id] = 1;
		} else {
			memcpy(o, t, rs);
			if (k == BTF_KIND_FUNC && btf_type_vlen(o) > 1)
				o->info =
					btf_type_info(k, 0, btf_type_kflag(o));
			tlen_new += rs;
		}
		pos += rs;
		cnt++;
	}
	out = malloc(hdr_len + tlen_new + slen + 1);
	if (!out) {
		free(types);
		free(*conv);
		*conv = NULL;
		return NULL;
	}
	{
		struct btf_header nh = *h;

		nh.hdr_len = BTF_RAW_HDR_LEN;
		nh.type_off = 0;
		nh.type_len = (uint32_t)tlen_new;
		nh.str_off = (uint32_t)tlen_new;
		memcpy(out, &nh, sizeof(nh));
	}
	memcpy(out + BTF_RAW_HDR_LEN, types, tlen_new);
	memcpy(out + BTF_RAW_HDR_LEN + tlen_new, btf + hdr_len + soff, slen);
	*out_sz = BTF_RAW_HDR_LEN + tlen_new + slen;
	free(types);
	(void)cnt;
	return out;
verbatim:
	out = malloc(sz ? sz : 1);
	if (out) {
		memcpy(out, btf, sz);
		*out_sz = sz;
	}
	return out;
}

void bpf_obj__release(struct bpf_obj *obj)
{
	if (!obj)
		return;
	btf_raw__release(&obj->btf);
	free(obj->btf_data);
	free(obj->relos);
	free(obj->secs);
	memset(obj, 0, sizeof(*obj));
}

const char *bpf_obj__access_str(const struct bpf_obj *obj,
				const struct bpf_obj_relo *r)
{
	return btf_raw__str(&obj->btf, r->access_str_off);
}

/* .BTF.ext: header and the CO-RE part into obj->secs / obj->relos. */
static int read_ext(struct bpf_obj *obj, const uint8_t *ext, size_t sz,
		    const uint8_t *conv, struct diag *d)
{
	uint32_t hdr_len, off, len, rec_size, pos;
	size_t relo_cap = 0, sec_cap = 0;
	uint16_t magic;

	if (sz < 8) {
		diag_set(d, ".BTF.ext: %zu bytes, shorter than its header", sz);
		return -EINVAL;
	}
	memcpy(&magic, ext, 2);
	if (magic != BTF_MAGIC) {
		diag_set(d,
			 ".BTF.ext: magic 0x%04x at offset 0, expected 0x%04x "
			 "(a big-endian object is not read)",
			 magic, BTF_MAGIC);
		return -EINVAL;
	}
	if (ext[2] != 1) {
		diag_set(d, ".BTF.ext: version %u at offset 2, expected 1",
			 ext[2]);
		return -EINVAL;
	}
	hdr_len = rd32(ext + 4);
	if (hdr_len < BPF_OBJ_EXT_HDR_MIN || hdr_len > sz || hdr_len % 4) {
		diag_set(d,
			 ".BTF.ext: header length %u at offset 4, the section "
			 "has %zu bytes",
			 hdr_len, sz);
		return -EINVAL;
	}
	if (hdr_len < BPF_OBJ_EXT_HDR_CORE || !rd32(ext + 28)) {
		diag_set(d, ".BTF.ext: no CO-RE relocations");
		return -ENOENT;
	}
	off = rd32(ext + 24);
	len = rd32(ext + 28);
	if ((uint64_t)hdr_len + off + len > sz || off % 4) {
		diag_set(d,
			 ".BTF.ext: CO-RE part at offset %u + %u bytes runs "
			 "past the section's %zu bytes",
			 hdr_len + off, len, sz);
		return -EINVAL;
	}
	ext += hdr_len + off;
	if (len < 4) {
		diag_set(d,
			 ".BTF.ext: CO-RE part of %u bytes has no record "
			 "size",
			 len);
		return -EINVAL;
	}
	rec_size = rd32(ext);
	if (rec_size < BPF_OBJ_RELO_REC_MIN || rec_size % 4) {
		diag_set(d,
			 ".BTF.ext: CO-RE record size %u at offset %u, "
			 "expected 16 or more, a multiple of 4",
			 rec_size, hdr_len + off);
		return -EINVAL;
	}
	for (pos = 4; pos < len;) {
		uint32_t name_off, n, i;
		struct bpf_obj_sec *sec;
		const char *name;

		if (len - pos < 8) {
			diag_set(d,
				 ".BTF.ext: CO-RE section header at offset %u "
				 "runs past the part's end",
				 hdr_len + off + pos);
			return -EINVAL;
		}
		name_off = rd32(ext + pos);
		n = rd32(ext + pos + 4);
		name = btf_raw__str(&obj->btf, name_off);
		if (!name || !*name) {
			diag_set(d,
				 ".BTF.ext: CO-RE section at offset %u: name "
				 "offset %u is not a name in .BTF",
				 hdr_len + off + pos, name_off);
			return -EINVAL;
		}
		if (!n || (uint64_t)n * rec_size > len - pos - 8) {
			diag_set(d,
				 ".BTF.ext: CO-RE section %s at offset %u: "
				 "%u records of %u bytes, %u bytes left",
				 name, hdr_len + off + pos, n, rec_size,
				 len - pos - 8);
			return -EINVAL;
		}
		if (mem_ensure((void **)&obj->secs, &sec_cap,
			       sizeof(*obj->secs), obj->sec_cnt + 1) ||
		    mem_ensure((void **)&obj->relos, &relo_cap,
			       sizeof(*obj->relos), (size_t)obj->relo_cnt + n))
			goto nomem;
		sec = &obj->secs[obj->sec_cnt];
		sec->name = name;
		sec->first = obj->relo_cnt;
		sec->cnt = n;
		pos += 8;
		for (i = 0; i < n; i++, pos += rec_size) {
			struct bpf_obj_relo *r = &obj->relos[obj->relo_cnt];
			uint32_t idx[BPF_OBJ_ACCESS_MAX], cnt, k;
			const struct btf_type *t;
			const char *acc;
			int err;

			r->insn_off = rd32(ext + pos);
			r->type_id = rd32(ext + pos + 4);
			r->access_str_off = rd32(ext + pos + 8);
			r->kind = rd32(ext + pos + 12);
			r->sec = obj->sec_cnt;
			if (r->kind > BPF_OBJ_RELO_KIND_MAX) {
				diag_set(d,
					 ".BTF.ext: %s: CO-RE relocation #%u "
					 "(offset %u): unknown kind %u (known: "
					 "0-%u)",
					 name, i, hdr_len + off + pos, r->kind,
					 BPF_OBJ_RELO_KIND_MAX);
				return -EINVAL;
			}
			t = btf_raw__type(&obj->btf, r->type_id);
			k = t ? btf_type_kind(t) : 0;
			if (!t || conv[r->type_id] || k == BTF_KIND_FUNC ||
			    k == BTF_KIND_DECL_TAG) {
				diag_set(d,
					 ".BTF.ext: %s: CO-RE relocation #%u "
					 "(offset %u): root type id %u is %s",
					 name, i, hdr_len + off + pos,
					 r->type_id,
					 !t ? "outside .BTF"
					    : "not a type CO-RE relocates "
					      "(VAR, DATASEC, FUNC, DECL_TAG)");
				return -EINVAL;
			}
			acc = btf_raw__str(&obj->btf, r->access_str_off);
			if (!acc) {
				diag_set(d,
					 ".BTF.ext: %s: CO-RE relocation #%u "
					 "(offset %u): access string offset %u "
					 "outside .BTF strings",
					 name, i, hdr_len + off + pos,
					 r->access_str_off);
				return -EINVAL;
			}
			err = bpf_obj__parse_access(acc, idx,
						    BPF_OBJ_ACCESS_MAX, &cnt);
			if (err) {
				diag_set(d,
					 ".BTF.ext: %s: CO-RE relocation #%u "
					 "(offset %u): access string \"%.64s\" "
					 "malformed (%s)",
					 name, i, hdr_len + off + pos, acc,
					 err == -E2BIG
						 ? "more than 64 accessors"
						 : "expected numbers separated "
						   "by ':'");
				return -EINVAL;
			}
			obj->relo_cnt++;
		}
		obj->sec_cnt++;
	}
	return 0;
nomem:
	diag_set(d, "out of memory");
	return -ENOMEM;
}

int bpf_obj__read(struct bpf_obj *obj, const void *image, size_t size,
		  struct diag *d)
{
	struct elf_btf eb;
	uint8_t *conv = NULL, *aligned;
	size_t btf_sz = 0;
	int err;

	memset(obj, 0, sizeof(*obj));
	if (!elf_btf__is_elf(image, size)) {
		diag_set(d, "not an ELF object (no ELF magic)");
		return -EINVAL;
	}
	err = elf_btf__read(image, size, &eb, d);
	if (err == -ENOENT) {
		diag_set(d, "no .BTF section (compile with clang -g)");
		return -ENOENT;
	}
	if (err)
		return err;
	if (eb.machine != EM_BPF) {
		diag_set(d, "not a BPF object (e_machine %u, expected %u)",
			 eb.machine, EM_BPF);
		return -EINVAL;
	}
	if (eb.elf_data != ELFDATA2LSB) {
		diag_set(d, "big-endian BPF object: not read");
		return -EINVAL;
	}
	if (!eb.btf_ext) {
		diag_set(d, "no .BTF.ext section: no CO-RE relocations");
		return -ENOENT;
	}
	/* .BTF may sit at any file offset: read u32s from an aligned copy */
	aligned = malloc(eb.btf_sz ? eb.btf_sz : 1);
	if (aligned) {
		memcpy(aligned, eb.btf, eb.btf_sz);
		obj->btf_data =
			btf_neutral_copy(aligned, eb.btf_sz, &btf_sz, &conv);
		free(aligned);
	}
	if (!obj->btf_data) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	err = btf_raw__parse(&obj->btf, obj->btf_data, btf_sz, NULL, d);
	if (err) {
		diag_prefix(d, ".BTF: ");
		goto out;
	}
	if (!conv) { /* the parse accepted what the copy could not walk */
		diag_set(d, ".BTF: records could not be walked");
		err = -EINVAL;
		goto out;
	}
	err = read_ext(obj, eb.btf_ext, eb.btf_ext_sz, conv, d);
out:
	free(conv);
	if (err)
		bpf_obj__release(obj);
	return err;
}
