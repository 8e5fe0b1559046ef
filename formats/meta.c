// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * meta: RELEASE.meta read and written from one table of its lines
 * (meta_fields: key, what the value is, where it lives in struct meta); the
 * module lines follow them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/btf_compat.h"
#include "formats/hex.h"
#include "formats/mem.h"
#include "formats/meta.h"

enum meta_kind {
	META_STR,    /* any text */
	META_U32,    /* decimal */
	META_SHA256, /* 64 hex digits */
	META_LEVEL,  /* a BTF compat level name */
};

struct meta_field {
	const char *key;
	enum meta_kind kind;
	size_t off;    /* of the const char * or uint32_t in struct meta */
	bool optional; /* the writer leaves the line out when NULL */
};

#define STR(f) offsetof(struct meta, f)
static const struct meta_field meta_fields[] = {
	{"release", META_STR, STR(release), false},
	{"arch", META_STR, STR(arch), false},
	{"image", META_STR, STR(image), false},
	{"source", META_STR, STR(source), false},
	{"build_id", META_STR, STR(build_id), false},
	{"base_sha256", META_SHA256, STR(base_sha256), false},
	{"sha256", META_STR, STR(sha256), false},
	{"base_types", META_U32, STR(base_types), false},
	{"types", META_U32, STR(types), false},
	{"btf_from", META_STR, STR(btf_from), true},
	{"encoder", META_STR, STR(encoder), true},
	{"compat", META_LEVEL, STR(compat), true},
};
#undef STR
#define FIELD_CNT (sizeof(meta_fields) / sizeof(meta_fields[0]))

static const char **field_str(struct meta *m, const struct meta_field *f)
{
	return (const char **)((char *)m + f->off);
}

static const char *const *field_cstr(const struct meta *m,
				     const struct meta_field *f)
{
	return (const char *const *)((const char *)m + f->off);
}

/* A decimal uint32_t, digits only. */
static bool parse_u32(const char *s, uint32_t *v)
{
	uint64_t x = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
		if (x > UINT32_MAX)
			return false;
	}
	*v = (uint32_t)x;
	return true;
}

/* module NAME TYPES RANGES: ranges in *ranges (grown), m->ranges holds the
 * index of its first pair until the array is final. */
static int parse_module(struct meta *m, char *val, size_t *mod_cap,
			uint32_t *rng_cnt, size_t *rng_cap, size_t nr,
			struct diag *d)
{
	char *sp1 = strchr(val, ' '), *sp2, *tok, *save = NULL;
	struct meta_module *mm;
	uint32_t types;

	sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
	if (!sp1 || !sp2 || sp1 == val || sp1 - val > META_NAME_MAX) {
		diag_set(d, "line %zu: bad module line", nr);
		return -EINVAL;
	}
	*sp1 = *sp2 = '\0';
	if (!parse_u32(sp1 + 1, &types)) {
		diag_set(d, "line %zu: bad module line", nr);
		return -EINVAL;
	}
	if (mem_ensure((void **)&m->modules_, mod_cap, sizeof(*m->modules_),
		       (size_t)m->module_cnt + 1))
		return -ENOMEM;
	mm = &m->modules_[m->module_cnt++];
	memset(mm, 0, sizeof(*mm));
	mm->name = val;
	mm->types = types;
	mm->ranges = (const uint32_t *)(uintptr_t)*rng_cnt;
	if (!strcmp(sp2 + 1, "-"))
		return 0;
	for (tok = strtok_r(sp2 + 1, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');
		uint32_t f, c;

		if (colon)
			*colon = '\0';
		if (!colon || !parse_u32(tok, &f) ||
		    !parse_u32(colon + 1, &c)) {
			if (colon)
				*colon = ':';
			diag_set(d, "line %zu: bad range '%s'", nr, tok);
			return -EINVAL;
		}
		if (mem_ensure((void **)&m->ranges_, rng_cap,
			       sizeof(*m->ranges_), 2 * (size_t)*rng_cnt + 2))
			return -ENOMEM;
		m->ranges_[2 * *rng_cnt] = f;
		m->ranges_[2 * *rng_cnt + 1] = c;
		(*rng_cnt)++;
		mm->range_cnt++;
	}
	if (!mm->range_cnt) {
		diag_set(d, "line %zu: bad module line", nr);
		return -EINVAL;
	}
	return 0;
}

static int parse_field(struct meta *m, const struct meta_field *f, char *val,
		       size_t nr, struct diag *d)
{
	enum btf_compat_level level;
	struct diag ignored;

	switch (f->kind) {
	case META_U32:
		if (!parse_u32(val, (uint32_t *)((char *)m + f->off))) {
			diag_set(d, "line %zu: %s '%s' is not a number", nr,
				 f->key, val);
			return -EINVAL;
		}
		return 0;
	case META_SHA256:
		if (strlen(val) != 64 ||
		    hex_decode(val, m->base_sha256_bin, 32)) {
			diag_set(d, "line %zu: %s is not 64 hex digits", nr,
				 f->key);
			return -EINVAL;
		}
		break;
	case META_LEVEL:
		/* the level the blob was rewritten for: "5.13" */
		if (btf_compat__parse_level(val, &level, &ignored) ||
		    strcmp(btf_compat__level_name(level), val)) {
			diag_set(d,
				 "line %zu: compat '%s' is not a BTF level "
				 "(5.2, 5.13, 5.16, 5.17, 6.0)",
				 nr, val);
			return -EINVAL;
		}
		m->compat_level = (uint32_t)level;
		break;
	case META_STR:
		break;
	}
	*field_str(m, f) = val;
	return 0;
}

int meta_parse(struct meta *m, const char *text, size_t size, struct diag *d)
{
	size_t seen[FIELD_CNT] = {0}; /* line of each field, 0: not yet */
	size_t mod_cap = 0, rng_cap = 0, nr = 0, i;
	uint32_t rng_cnt = 0, k;
	char *line, *end;
	int err;

	memset(m, 0, sizeof(*m));
	if (size > META_FILE_MAX) {
		diag_set(d, "%zu bytes, a btfar-meta file has at most %u", size,
			 META_FILE_MAX);
		return -EINVAL;
	}
	m->text_ = malloc(size + 1);
	if (!m->text_) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	memcpy(m->text_, text, size);
	m->text_[size] = '\0';
	for (line = m->text_; line < m->text_ + size; line = end + 1) {
		char *val, *p;

		nr++;
		end = memchr(line, '\n', (size_t)(m->text_ + size - line));
		if (!end) {
			diag_set(d,
				 "truncated: line %zu has no newline at its "
				 "end",
				 nr);
			return -EINVAL;
		}
		*end = '\0';
		for (p = line; p < end; p++) {
			unsigned char c = (unsigned char)*p;

			if (c < 0x20 || c == 0x7f) {
				diag_set(d,
					 "line %zu: control character 0x%02x "
					 "at column %zu",
					 nr, c, (size_t)(p - line) + 1);
				return -EINVAL;
			}
		}
		if (nr == 1) {
			if (strncmp(line, "btfar-meta ", 11)) {
				diag_set(d, "not a btfar-meta 1 file");
				return -EINVAL;
			}
			if (strcmp(line + 11, "1")) {
				diag_set(d,
					 "btfar-meta version '%.32s', this "
					 "btfar reads version %d",
					 line + 11, META_VERSION);
				return -EINVAL;
			}
			continue;
		}
		if (!*line)
			continue;
		val = strchr(line, ' ');
		if (val)
			*val++ = '\0';
		else
			val = end;
		if (!strcmp(line, "module")) {
			err = parse_module(m, val, &mod_cap, &rng_cnt, &rng_cap,
					   nr, d);
			if (err == -ENOMEM)
				goto nomem;
			if (err)
				return err;
			continue;
		}
		if ((size_t)(end - val) > META_VALUE_MAX) {
			diag_set(d,
				 "line %zu: %s: value of %zu bytes, at most %d",
				 nr, line, (size_t)(end - val), META_VALUE_MAX);
			return -EINVAL;
		}
		for (i = 0; i < FIELD_CNT; i++)
			if (!strcmp(line, meta_fields[i].key))
				break;
		if (i == FIELD_CNT)
			continue; /* a key of a later version 1 */
		if (seen[i]) {
			diag_set(d,
				 "line %zu: %s given twice (also on line %zu)",
				 nr, line, seen[i]);
			return -EINVAL;
		}
		seen[i] = nr;
		err = parse_field(m, &meta_fields[i], val, nr, d);
		if (err)
			return err;
	}
	if (!nr) {
		diag_set(d, "not a btfar-meta 1 file");
		return -EINVAL;
	}
	for (k = 0; k < m->module_cnt; k++)
		m->modules_[k].ranges =
			m->ranges_ + 2 * (uintptr_t)m->modules_[k].ranges;
	m->modules = m->modules_;
	if (!m->release || !*m->release || !m->base_sha256) {
		diag_set(d, "no release or base_sha256 line");
		return -EINVAL;
	}
	return 0;
nomem:
	diag_set(d, "out of memory");
	return -ENOMEM;
}

void meta_release(struct meta *m)
{
	if (!m)
		return;
	free(m->text_);
	free(m->modules_);
	free(m->ranges_);
	memset(m, 0, sizeof(*m));
}

/* A growing text; err set on the first failure. */
struct text {
	char *p;
	size_t len, cap;
	int err;
};

static void text_add(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void text_add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	while (!t->err) {
		size_t room = t->cap - t->len;

		va_start(ap, fmt);
		n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? room : 0, fmt,
			      ap);
		va_end(ap);
		if (n < 0) {
			t->err = -EINVAL;
			return;
		}
		if (t->p && (size_t)n < room) {
			t->len += (size_t)n;
			return;
		}
		if (mem_ensure((void **)&t->p, &t->cap, 1,
			       t->len + (size_t)n + 1)) {
			t->err = -ENOMEM;
			return;
		}
	}
}

/* A value that reads back as itself. */
static int check_value(const char *key, const char *v, size_t max,
		       struct diag *d)
{
	const unsigned char *p;

	if (strlen(v) > max) {
		diag_set(d, "%s: value of %zu bytes, at most %zu", key,
			 strlen(v), max);
		return -EINVAL;
	}
	for (p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f) {
			diag_set(d, "%s: control character 0x%02x in '%s'", key,
				 *p, v);
			return -EINVAL;
		}
	return 0;
}

int meta_write(const struct meta *m, char **text, size_t *len, struct diag *d)
{
	struct text t = {0};
	size_t i;
	uint32_t k, j;
	int err;

	*text = NULL;
	*len = 0;
	text_add(&t, "btfar-meta %d\n", META_VERSION);
	for (i = 0; i < FIELD_CNT; i++) {
		const struct meta_field *f = &meta_fields[i];
		const char *v;

		if (f->kind == META_U32) {
			text_add(&t, "%s %u\n", f->key,
				 *(const uint32_t *)((const char *)m + f->off));
			continue;
		}
		v = *field_cstr(m, f);
		if (!v && f->optional)
			continue;
		err = check_value(f->key, v ? v : "", META_VALUE_MAX, d);
		if (err)
			goto out;
		text_add(&t, "%s %s\n", f->key, v ? v : "");
	}
	for (k = 0; k < m->module_cnt; k++) {
		const struct meta_module *mm = &m->modules[k];

		err = check_value("module", mm->name, META_NAME_MAX, d);
		if (!err && (!*mm->name || strchr(mm->name, ' '))) {
			diag_set(d, "module: name '%s' is empty or has a space",
				 mm->name);
			err = -EINVAL;
		}
		if (err)
			goto out;
		text_add(&t, "module %s %u ", mm->name, mm->types);
		for (j = 0; j < mm->range_cnt; j++)
			text_add(&t, "%s%u:%u", j ? "," : "", mm->ranges[2 * j],
				 mm->ranges[2 * j + 1]);
		text_add(&t, "%s\n", mm->range_cnt ? "" : "-");
	}
	err = t.err;
	if (err) {
		diag_set(d, "out of memory");
		goto out;
	}
	if (!t.p) { /* not reached: the version line is always there */
		diag_set(d, "out of memory");
		err = -ENOMEM;
		goto out;
	}
	*text = t.p;
	*len = t.len;
	return 0;
out:
	free(t.p);
	return err;
}
