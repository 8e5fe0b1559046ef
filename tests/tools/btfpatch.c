// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * btfpatch: applies one named corruption to a raw BTF blob, for the fixture
 * tests of the bad-input classes 6 to 10 (docs/BAD-INPUT.md).
 *
 *   btfpatch MUTATION START_ID IN OUT
 *
 * START_ID is the id of the first type of IN (1 for standalone BTF, base
 * type count + 1 for split BTF). When the mutation hits a type record, the
 * id and kind of that record are printed on stdout ("27 CONST"), so that a
 * test can state the exact message it expects.
 */
#include <errno.h>
#include <linux/btf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kinds[] = {
	"UNKNOWN", "INT",      "PTR",	   "ARRAY",	 "STRUCT",
	"UNION",   "ENUM",     "FWD",	   "TYPEDEF",	 "VOLATILE",
	"CONST",   "RESTRICT", "FUNC",	   "FUNC_PROTO", "VAR",
	"DATASEC", "FLOAT",    "DECL_TAG", "TYPE_TAG",	 "ENUM64",
};

struct blob {
	uint8_t *p;
	size_t sz;
	struct btf_header *hdr;
	uint8_t *types; /* type section */
	uint32_t start_id;
};

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "btfpatch: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

static uint32_t kind_of(const struct btf_type *t)
{
	return (t->info >> 24) & 0x1f;
}

/* Bytes of one record, header included. */
static size_t rec_size(const struct btf_type *t)
{
	uint32_t vlen = t->info & 0xffff;

	switch (kind_of(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return sizeof(*t) + 4;
	case BTF_KIND_ARRAY:
		return sizeof(*t) + sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return sizeof(*t) + vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return sizeof(*t) + vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return sizeof(*t) + vlen * sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return sizeof(*t) + vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_ENUM64:
		return sizeof(*t) + vlen * sizeof(struct btf_enum64);
	default:
		return sizeof(*t);
	}
}

/* First record whose kind is in mask (bit per kind); prints it. */
static struct btf_type *find(struct blob *b, uint32_t mask, uint32_t *id)
{
	uint32_t off = 0;

	*id = b->start_id;
	while (off + sizeof(struct btf_type) <= b->hdr->type_len) {
		struct btf_type *t = (struct btf_type *)(b->types + off);
		uint32_t k = kind_of(t);

		if (mask & (1u << k)) {
			printf("%u %s\n", *id, k < 20 ? kinds[k] : "?");
			return t;
		}
		off += (uint32_t)rec_size(t);
		(*id)++;
	}
	die("no type of the wanted kind in %s", "the input");
	exit(1);
}

#define KIND(k) (1u << BTF_KIND_##k)

static void mutate(struct blob *b, const char *what)
{
	struct btf_header *h = b->hdr;
	struct btf_type *t;
	uint32_t id;

	if (!strcmp(what, "magic")) {
		h->magic = 0xbeef;
	} else if (!strcmp(what, "version")) {
		h->version = 2;
	} else if (!strcmp(what, "flags")) {
		h->flags = 1;
	} else if (!strcmp(what, "hdr-len")) {
		h->hdr_len = (uint32_t)b->sz + 4;
	} else if (!strcmp(what, "str-not-nul")) {
		b->p[h->hdr_len + h->str_off + h->str_len - 1] = 'x';
	} else if (!strcmp(what, "kind-unknown")) {
		t = find(b, ~0u, &id);
		t->info = (t->info & ~(0x1fu << 24)) | 31u << 24;
	} else if (!strcmp(what, "type-id-range")) {
		t = find(b, KIND(PTR) | KIND(TYPEDEF) | KIND(CONST), &id);
		t->type = 0xffff0;
	} else if (!strcmp(what, "int-bits")) {
		t = find(b, KIND(INT), &id);
		*(uint32_t *)(t + 1) = (*(uint32_t *)(t + 1) & ~0xffu) | 200;
	} else if (!strcmp(what, "enum-size")) {
		t = find(b, KIND(ENUM), &id);
		t->size = 3;
	} else if (!strcmp(what, "self-loop")) {
		t = find(b, KIND(CONST), &id);
		t->type = id;
	} else {
		die("unknown mutation '%s'", what);
	}
}

int main(int argc, char **argv)
{
	struct blob b = {0};
	FILE *f;
	long n;

	if (argc != 5) {
		fprintf(stderr, "usage: btfpatch MUTATION START_ID IN OUT\n"
				"mutations: magic version flags hdr-len "
				"str-not-nul kind-unknown type-id-range "
				"int-bits enum-size self-loop\n");
		return 2;
	}
	b.start_id = (uint32_t)strtoul(argv[2], NULL, 10);
	f = fopen(argv[3], "rb");
	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0)
		die("cannot read %s", argv[3]);
	rewind(f);
	b.sz = (size_t)n;
	b.p = malloc(b.sz + 1);
	if (!b.p || fread(b.p, 1, b.sz, f) != b.sz)
		die("cannot read %s", argv[3]);
	fclose(f);
	b.hdr = (struct btf_header *)b.p;
	if (b.sz < sizeof(*b.hdr) || b.hdr->magic != BTF_MAGIC ||
	    b.hdr->hdr_len + b.hdr->str_off + b.hdr->str_len > b.sz)
		die("%s is not a valid BTF blob to start from", argv[3]);
	b.types = b.p + b.hdr->hdr_len + b.hdr->type_off;

	mutate(&b, argv[1]);

	f = fopen(argv[4], "wb");
	if (!f || fwrite(b.p, 1, b.sz, f) != b.sz || fclose(f))
		die("cannot write %s", argv[4]);
	free(b.p);
	return 0;
}
