/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * btf_dump: what the unit tests on BTF built in code (btf_build.h) compare
 * results with: a text dump of the types in bpftool's raw format (fields
 * trimmed to what the tests build), and modules parsed on the small base.
 */
#ifndef BTFAR_TESTS_BTF_DUMP_H
#define BTFAR_TESTS_BTF_DUMP_H

#include <stdarg.h>

#include "btf_build.h"
#include "unit.h"

/* Appends printf output to a growing text. */
struct text {
	char *s;
	size_t len;
};

static inline void __attribute__((format(printf, 2, 3)))
text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	t->s = realloc(t->s, t->len + n + 1);
	if (!t->s)
		exit(1);
	va_start(ap, fmt);
	vsnprintf(t->s + t->len, n + 1, fmt, ap);
	va_end(ap);
	t->len += n;
}

static inline const char *name_of(const struct btf_raw *raw, uint32_t off)
{
	const char *s = btf_raw__str(raw, off);

	return !s ? "<bad>" : *s ? s : "(anon)";
}

/*
 * The split types of raw, one "[id] KIND 'name' ..." line each and one
 * indented line per member, parameter or entry (bpftool btf dump's raw
 * format, fields trimmed to what these tests build).
 */
static inline char *dump(const struct btf_raw *raw)
{
	struct text out = {NULL, 0};
	uint32_t id, i;

	text_add(&out, "%s", "");
	for (id = raw->start_id; id < btf_raw__type_cnt(raw); id++) {
		const struct btf_type *t = btf_raw__type(raw, id);
		uint32_t kind = btf_type_kind(t), vlen = btf_type_vlen(t);

		text_add(&out, "[%u] %s '%s'", id, btf_kind_name(kind),
			 name_of(raw, t->name_off));
		switch (kind) {
		case BTF_KIND_INT:
		case BTF_KIND_FLOAT:
			text_add(&out, " size=%u\n", t->size);
			break;
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION: {
			const struct btf_member *m = (const void *)(t + 1);

			text_add(&out, " size=%u vlen=%u\n", t->size, vlen);
			for (i = 0; i < vlen; i++, m++)
				text_add(&out,
					 "\t'%s' type_id=%u bits_offset=%u\n",
					 name_of(raw, m->name_off), m->type,
					 m->offset);
			break;
		}
		case BTF_KIND_FUNC_PROTO: {
			const struct btf_param *p = (const void *)(t + 1);

			text_add(&out, " ret_type_id=%u vlen=%u\n", t->type,
				 vlen);
			for (i = 0; i < vlen; i++, p++)
				text_add(&out, "\t'%s' type_id=%u\n",
					 name_of(raw, p->name_off), p->type);
			break;
		}
		case BTF_KIND_FUNC:
			text_add(&out, " type_id=%u linkage=%u\n", t->type,
				 vlen);
			break;
		case BTF_KIND_VAR:
			text_add(&out, " type_id=%u linkage=%u\n", t->type,
				 *(const uint32_t *)(t + 1));
			break;
		case BTF_KIND_DATASEC: {
			const struct btf_var_secinfo *s = (const void *)(t + 1);

			text_add(&out, " size=%u vlen=%u\n", t->size, vlen);
			for (i = 0; i < vlen; i++, s++)
				text_add(&out,
					 "\ttype_id=%u offset=%u size=%u\n",
					 s->type, s->offset, s->size);
			break;
		}
		case BTF_KIND_DECL_TAG:
			text_add(&out, " type_id=%u component_idx=%d\n",
				 t->type, *(const int32_t *)(t + 1));
			break;
		default: /* PTR, modifiers, TYPEDEF, TYPE_TAG */
			text_add(&out, " type_id=%u\n", t->type);
			break;
		}
	}
	return out.s;
}

/* Compares got with want; on a difference prints both. */
static inline void check_text(const char *what, const char *got,
			      const char *want)
{
	CHECK(!strcmp(got, want), "%s differs:\n--- got\n%s--- expected\n%s",
	      what, got, want);
}

/* A module: its source, blob and parse on the base. */
struct mod {
	const struct btf_src *src;
	uint8_t *blob;
	size_t size;
	struct btf_raw raw;
};

static inline void mod_parse(struct mod *m)
{
	struct diag d = {""};

	m->blob = btf_src__build(m->src, BASE_STR_LEN, &m->size);
	if (btf_raw__parse(&m->raw, m->blob, m->size, base_get(), &d)) {
		fprintf(stderr, "test module does not parse: %s\n", d.msg);
		exit(1);
	}
}

static inline void mod_release(struct mod *m)
{
	btf_raw__release(&m->raw);
	free(m->blob);
}

/*
 * Builds src (split on base when base is not NULL: its strings after the
 * base's) and parses it into raw; exits the test (failed) if it does not
 * parse. Returns the blob, which raw borrows: free it after
 * btf_raw__release.
 */
static inline uint8_t *src_parse(const struct btf_src *src,
				 const struct btf_raw *base,
				 struct btf_raw *raw)
{
	uint32_t str_base = base ? base->start_str_off + base->str_len : 0;
	struct diag d = {""};
	uint8_t *blob;
	size_t size;

	blob = btf_src__build(src, str_base, &size);
	if (btf_raw__parse(raw, blob, size, base, &d)) {
		fprintf(stderr, "test BTF does not parse: %s\n", d.msg);
		exit(1);
	}
	return blob;
}

/* Parses out (size bytes) on base into raw and returns its dump; exits the
 * test (failed) if it does not parse. */
static inline char *parse_dump(const void *out, size_t size,
			       const struct btf_raw *base, struct btf_raw *raw,
			       const char *what)
{
	struct diag d = {""};

	if (btf_raw__parse(raw, out, size, base, &d)) {
		fprintf(stderr, "%s does not parse: %s\n", what, d.msg);
		exit(1);
	}
	return dump(raw);
}

#endif /* BTFAR_TESTS_BTF_DUMP_H */
