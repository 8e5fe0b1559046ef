// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * btfnewer: turns raw BTF written by an older encoder (pahole 1.24 here)
 * into what newer kernels' encoders write, for the fixture tests of the
 * newest kernel's rules. pahole 1.24 can emit neither of these:
 *
 *   btfnewer attr-tags IN OUT   kind_flag set on every DECL_TAG and
 *                               TYPE_TAG: attribute tags (Linux 6.14)
 *   btfnewer layout IN OUT [N]  a 32-byte header and a layout section of
 *                               N entries (default: kinds 0 to ENUM64)
 *                               between types and strings (Linux 7.2)
 *
 * and two things the newest kernel still refuses, for the refusal cases:
 *
 *   btfnewer kflag KIND START_ID IN OUT  kind_flag set on the first record
 *                               of KIND (a number); prints "ID KIND"
 *   btfnewer hdr-tail IN OUT    a 36-byte header whose last field, past
 *                               layout_len, is 1 (a field no kernel has)
 *
 * Type ids and string offsets do not change, so split BTF encoded on IN
 * still fits OUT. IN must have a 24-byte header, types at offset 0 and
 * strings right after them (what pahole writes). Prints what it changed
 * ("2 DECL_TAG, 1 TYPE_TAG"; "20 layout entries").
 */
#include <linux/btf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* one layout entry, as the kernel's struct btf_layout */
struct layout {
	uint8_t info_sz;
	uint8_t elem_sz;
	uint16_t flags;
};

static const struct layout layouts[] = {
	[BTF_KIND_INT] = {4, 0, 0},
	[BTF_KIND_ARRAY] = {sizeof(struct btf_array), 0, 0},
	[BTF_KIND_STRUCT] = {0, sizeof(struct btf_member), 0},
	[BTF_KIND_UNION] = {0, sizeof(struct btf_member), 0},
	[BTF_KIND_ENUM] = {0, sizeof(struct btf_enum), 0},
	[BTF_KIND_FUNC_PROTO] = {0, sizeof(struct btf_param), 0},
	[BTF_KIND_VAR] = {4, 0, 0},
	[BTF_KIND_DATASEC] = {0, sizeof(struct btf_var_secinfo), 0},
	[BTF_KIND_DECL_TAG] = {4, 0, 0},
	[BTF_KIND_ENUM64] = {0, sizeof(struct btf_enum64), 0},
};
#define NKINDS (sizeof(layouts) / sizeof(layouts[0]))

static void die(const char *msg, const char *arg)
{
	fprintf(stderr, "btfnewer: %s%s\n", msg, arg);
	exit(1);
}

static uint8_t *read_all(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET))
		die("cannot read ", path);
	p = malloc((size_t)n + 1);
	if (!p || fread(p, 1, (size_t)n, f) != (size_t)n)
		die("cannot read ", path);
	fclose(f);
	*size = (size_t)n;
	return p;
}

static void write_all(const char *path, const void *p, size_t size)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(p, 1, size, f) != size || fclose(f))
		die("cannot write ", path);
}

static const struct btf_header *check(const uint8_t *p, size_t size,
				      const char *path)
{
	const struct btf_header *h = (const void *)p;

	if (size < sizeof(*h) || h->magic != BTF_MAGIC || h->hdr_len != 24 ||
	    h->type_off || h->str_off != h->type_len ||
	    (uint64_t)24 + h->type_len + h->str_len != size)
		die("not raw BTF with a 24-byte header, types then strings: ",
		    path);
	return h;
}

static void attr_tags(uint8_t *p, const struct btf_header *h)
{
	uint8_t *t = p + 24, *end = t + h->type_len;
	unsigned decl = 0, type = 0;

	while (t + sizeof(struct btf_type) <= end) {
		struct btf_type *bt = (struct btf_type *)t;
		uint32_t kind = (bt->info >> 24) & 0x7f,
			 vlen = bt->info & 0xffff;

		if (kind == BTF_KIND_DECL_TAG || kind == BTF_KIND_TYPE_TAG) {
			bt->info |= 1u << 31;
			kind == BTF_KIND_DECL_TAG ? decl++ : type++;
		}
		if (kind == 0 || kind >= NKINDS)
			die("unknown kind in the input", "");
		t += sizeof(*bt) + layouts[kind].info_sz +
		     (size_t)vlen * layouts[kind].elem_sz;
	}
	printf("%u DECL_TAG, %u TYPE_TAG\n", decl, type);
}

static void kflag(uint8_t *p, const struct btf_header *h, uint32_t want,
		  uint32_t id)
{
	uint8_t *t = p + 24, *end = t + h->type_len;

	for (; t + sizeof(struct btf_type) <= end; id++) {
		struct btf_type *bt = (struct btf_type *)t;
		uint32_t kind = (bt->info >> 24) & 0x7f,
			 vlen = bt->info & 0xffff;

		if (kind == 0 || kind >= NKINDS)
			die("unknown kind in the input", "");
		if (kind == want) {
			bt->info |= 1u << 31;
			printf("%u %u\n", id, kind);
			return;
		}
		t += sizeof(*bt) + layouts[kind].info_sz +
		     (size_t)vlen * layouts[kind].elem_sz;
	}
	die("no record of that kind", "");
}

static int usage(void)
{
	fprintf(stderr, "usage: btfnewer attr-tags IN OUT\n"
			"       btfnewer layout IN OUT [N]\n"
			"       btfnewer kflag KIND START_ID IN OUT\n"
			"       btfnewer hdr-tail IN OUT\n");
	return 2;
}

int main(int argc, char **argv)
{
	const struct btf_header *h;
	uint8_t *in, *out;
	size_t size;

	if (argc < 4)
		return usage();
	if (!strcmp(argv[1], "kflag")) {
		if (argc != 6)
			return usage();
		in = read_all(argv[4], &size);
		h = check(in, size, argv[4]);
		kflag(in, h, (uint32_t)atoi(argv[2]), (uint32_t)atoi(argv[3]));
		write_all(argv[5], in, size);
		free(in);
		return 0;
	}
	if (!strcmp(argv[1], "hdr-tail")) {
		struct btf_header nh;

		in = read_all(argv[2], &size);
		h = check(in, size, argv[2]);
		out = calloc(1, size + 12);
		if (!out)
			die("out of memory", "");
		nh = *h;
		nh.hdr_len = 36;
		memcpy(out, &nh, 24);
		out[32] = 1;
		memcpy(out + 36, in + 24, size - 24);
		write_all(argv[3], out, size + 12);
		free(out);
		free(in);
		return 0;
	}
	if (strcmp(argv[1], "attr-tags") && strcmp(argv[1], "layout"))
		return usage();
	in = read_all(argv[2], &size);
	h = check(in, size, argv[2]);
	if (!strcmp(argv[1], "attr-tags")) {
		attr_tags(in, h);
		write_all(argv[3], in, size);
	} else {
		uint32_t n = argc > 4 ? (uint32_t)atoi(argv[4]) : NKINDS, k;
		uint32_t llen = n * (uint32_t)sizeof(struct layout);
		struct btf_header nh = *h;
		uint32_t lh[2] = {h->type_len, llen};
		uint8_t *q;

		out = calloc(1, size + 8 + llen);
		if (!out)
			die("out of memory", "");
		nh.hdr_len = 32;
		nh.str_off = h->type_len + llen;
		q = out;
		memcpy(q, &nh, 24);
		memcpy(q + 24, lh, 8);
		q += 32;
		memcpy(q, in + 24, h->type_len);
		q += h->type_len;
		for (k = 0; k < n; k++, q += sizeof(struct layout))
			if (k < NKINDS)
				memcpy(q, &layouts[k], sizeof(struct layout));
		memcpy(q, in + 24 + h->type_len, h->str_len);
		write_all(argv[3], out, size + 8 + llen);
		printf("%u layout entries\n", n);
		free(out);
	}
	free(in);
	return 0;
}
