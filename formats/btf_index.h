/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * btf_index: the named types of a raw BTF sorted by (class, name, id), to
 * find the types of a name. The class is the caller's: a function of the
 * type (its kind, or kinds filed together: ENUM64 with ENUM), or -1 to
 * leave the type out. Used by merge/rebase (the new base's types), dedup's
 * collisions and builder/verify (the merged blob's).
 */
#ifndef BTFAR_FORMATS_BTF_INDEX_H
#define BTFAR_FORMATS_BTF_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "btf_raw.h"

struct btf_index_entry {
	const char *name; /* in the raw BTF's strings */
	uint32_t cls;
	uint32_t id;
};

struct btf_index {
	struct btf_index_entry *v; /* sorted by (cls, name, id) */
	size_t cnt;
};

/* The class of t, or -1: not in the index. */
typedef int (*btf_index_class_fn)(const struct btf_type *t);

/*
 * Indexes types 1 .. type_cnt - 1 of raw (a split BTF's base types too)
 * that have a name and a class; with enumerator_cls >= 0, each enumerator
 * of an ENUM or ENUM64 too, under that class and the enum's id. raw must
 * outlive ix. Returns 0 or -ENOMEM.
 */
int btf_index_build(struct btf_index *ix, const struct btf_raw *raw,
		    btf_index_class_fn cls, int enumerator_cls);
/* The position of the first entry of (cls, name) (or where it would be);
 * *n (may be NULL) gets how many entries have them. */
size_t btf_index_find(const struct btf_index *ix, uint32_t cls,
		      const char *name, size_t *n);
void btf_index_release(struct btf_index *ix);

#endif /* BTFAR_FORMATS_BTF_INDEX_H */
