/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * core_relo: a BPF object's CO-RE relocations resolved against a target
 * BTF (a self-contained blob: vmlinux and module types alike) by the rules
 * of libbpf's relo_core.c (libbpf 1.1), without loading anything.
 */
#ifndef BTFAR_MERGE_CORE_RELO_H
#define BTFAR_MERGE_CORE_RELO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/bpf_obj.h"
#include "formats/btf_raw.h"
#include "formats/diag.h"

/* One step of a spec: a named member, an array index, or the root. */
struct core_acc {
	uint32_t type_id; /* struct/union holding the member, or element type */
	uint32_t idx;	  /* member index, array index or enumerator index */
	const char *name; /* member or enumerator name; NULL for an index */
};

/*
 * A relocation's path through one BTF (libbpf's bpf_core_spec): spec has
 * the meaningful steps (root, named members, array indices), raw every
 * step of the access string, anonymous members included.
 */
struct core_spec {
	const struct btf_raw *btf;
	uint32_t root_type_id;
	uint32_t kind;
	struct core_acc spec[BPF_OBJ_ACCESS_MAX];
	uint32_t len;
	uint32_t raw[BPF_OBJ_ACCESS_MAX];
	uint32_t raw_len;
	uint32_t bit_offset; /* of the field from the root's start */
};

enum core_outcome {
	CORE_RESOLVED,	/* a candidate matched; targ_val is the new value */
	CORE_NO_MATCH,	/* no candidate matched: poisoned, or the value 0
			   for the *_exists / type kinds */
	CORE_LOCAL,	/* type_id_local: no target needed */
	CORE_AMBIGUOUS, /* matching candidates disagree: libbpf refuses */
};

struct core_res {
	enum core_outcome outcome;
	bool poison;		/* the instruction would be poisoned */
	uint64_t local_val;	/* the value the object was compiled with */
	uint64_t targ_val;	/* the value on the target */
	uint32_t cand_cnt;	/* candidates by name and kind */
	uint32_t match_cnt;	/* of which matched (before an ambiguity) */
	struct core_spec local; /* the relocation in the object's BTF */
	struct core_spec targ;	/* first matching candidate (match_cnt > 0) */
	struct core_spec other; /* CORE_AMBIGUOUS: the one that disagrees */
	uint64_t other_val;
	bool offset_ambiguity; /* the disagreement is the field's offset */
};

/* The target BTF with an index of its types by essential name. */
struct core_target;
struct core_target *core_target__new(const struct btf_raw *targ);
/*
 * The same over the named types ids[0 .. n) only, which are the candidates
 * in that order (libbpf's is id order): enough when ids has every type
 * whose essential name is that of a relocation's root; a view (btf_view)
 * gives its types in the order of the blob it stands for.
 */
struct core_target *core_target_new_ids(const struct btf_raw *targ,
					const uint32_t *ids, uint32_t n);
void core_target__free(struct core_target *tg);

/*
 * Candidate lists of one object's local types, narrowed relocation by
 * relocation to the candidates that matched, as libbpf caches them per
 * object: resolve an object's relocations in file order with one cache.
 */
struct core_cands;
struct core_cands *core_cands__new(const struct btf_raw *local);
void core_cands__free(struct core_cands *c);

/*
 * Resolves relocation r of obj against tg. Returns 0 with res filled, or
 * -EINVAL with d saying why the relocation is wrong in itself (what libbpf
 * refuses before or while matching: a local spec that does not parse, an
 * anonymous root, a bitfield no 64-bit load covers, an array accessor for
 * another kind than byte_off/byte_sz), -ENOMEM.
 */
int core_relo__resolve(struct core_target *tg, struct core_cands *cache,
		       const struct bpf_obj *obj, const struct bpf_obj_relo *r,
		       struct core_res *res, struct diag *d);

/* "struct task_struct.mm->..." style text of a spec: root name, then each
 * named step (".name") or index ("[3]"). */
void core_spec__str(const struct core_spec *s, char *buf, size_t sz);
/* Name of the type of id in btf with its kind ("struct i40e_pf"). */
void core_type__str(const struct btf_raw *btf, uint32_t id, char *buf,
		    size_t sz);
/* The essential length of a name: without its ___flavour suffix. */
size_t core_essential_len(const char *name);

#endif /* BTFAR_MERGE_CORE_RELO_H */
