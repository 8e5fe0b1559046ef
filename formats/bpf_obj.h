/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bpf_obj: the CO-RE side of a BPF object (clang -target bpf -g): its .BTF
 * and the CO-RE relocation records of its .BTF.ext, per ELF section.
 */
#ifndef BTFAR_FORMATS_BPF_OBJ_H
#define BTFAR_FORMATS_BPF_OBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "btf_raw.h"
#include "diag.h"

/* The relocation kinds of <linux/bpf.h> (enum bpf_core_relo_kind); the
 * Debian 12 header (Linux 6.1) has them all. */
enum bpf_obj_relo_kind {
	BPF_OBJ_FIELD_BYTE_OFFSET = 0,
	BPF_OBJ_FIELD_BYTE_SIZE = 1,
	BPF_OBJ_FIELD_EXISTS = 2,
	BPF_OBJ_FIELD_SIGNED = 3,
	BPF_OBJ_FIELD_LSHIFT_U64 = 4,
	BPF_OBJ_FIELD_RSHIFT_U64 = 5,
	BPF_OBJ_TYPE_ID_LOCAL = 6,
	BPF_OBJ_TYPE_ID_TARGET = 7,
	BPF_OBJ_TYPE_EXISTS = 8,
	BPF_OBJ_TYPE_SIZE = 9,
	BPF_OBJ_ENUMVAL_EXISTS = 10,
	BPF_OBJ_ENUMVAL_VALUE = 11,
	BPF_OBJ_TYPE_MATCHES = 12,
};
#define BPF_OBJ_RELO_KIND_MAX 12

/* Accessors in one access string at most (libbpf's BPF_CORE_SPEC_MAX_LEN). */
#define BPF_OBJ_ACCESS_MAX 64

/* The .BTF.ext header fields (struct btf_ext_header in the kernel tree). */
#define BPF_OBJ_EXT_HDR_MIN  24u /* up to line_info_len */
#define BPF_OBJ_EXT_HDR_CORE 32u /* with core_relo_off, core_relo_len */
#define BPF_OBJ_RELO_REC_MIN 16u /* struct bpf_core_relo */

/* One CO-RE relocation record (struct bpf_core_relo). */
struct bpf_obj_relo {
	uint32_t insn_off; /* byte offset of the instruction in its section */
	uint32_t type_id;  /* root type in the object's BTF */
	uint32_t access_str_off; /* access string in the object's BTF strings */
	uint32_t kind;		 /* enum bpf_obj_relo_kind */
	uint32_t sec;		 /* index in bpf_obj.secs */
};

/* One program section of the relocation records. */
struct bpf_obj_sec {
	const char *name; /* in the object's BTF strings ("kprobe/x") */
	uint32_t first;	  /* its first record in bpf_obj.relos */
	uint32_t cnt;
};

struct bpf_obj {
	void *btf_data;		    /* the object's .BTF as validated, owned */
	struct btf_raw btf;	    /* parsed on btf_data */
	struct bpf_obj_relo *relos; /* every record, in file order; owned */
	uint32_t relo_cnt;
	struct bpf_obj_sec *secs; /* owned */
	uint32_t sec_cnt;
};

/*
 * Reads a BPF object image (ELF, little endian, borrowed; may be freed
 * after the call). The .BTF is validated by btf_raw on a copy where what
 * only a loader fixes up is neutral (VAR and DATASEC records, whose sizes
 * and offsets clang leaves 0, become INT records of the same ids; extern
 * FUNC linkage becomes static): the ids and names CO-RE reads are kept.
 * The .BTF.ext header and its CO-RE part are bounds-checked record by
 * record. Errors (-EINVAL, -ENOENT, -ENOMEM, d says which, with the
 * section, record index and byte offset): not ELF; no .BTF; no .BTF.ext;
 * no CO-RE relocation (-ENOENT); a section name or access string outside
 * the strings; a kind above 12 (named); an access string that is not
 * numbers separated by ':' or holds more than 64 of them; a root type id
 * outside the BTF or of a kind CO-RE does not relocate (VAR, DATASEC,
 * FUNC, DECL_TAG).
 */
int bpf_obj__read(struct bpf_obj *obj, const void *image, size_t size,
		  struct diag *d);
void bpf_obj__release(struct bpf_obj *obj);

/* Access string of relocation r; never NULL after bpf_obj__read. */
const char *bpf_obj__access_str(const struct bpf_obj *obj,
				const struct bpf_obj_relo *r);
/*
 * Parses an access string "0:1:2" into idx[0..*n). Returns 0 or -EINVAL
 * (empty, a leading, trailing or doubled ':', a character other than a
 * digit or ':', a number above INT32_MAX) or -E2BIG (more than max).
 */
int bpf_obj__parse_access(const char *s, uint32_t *idx, uint32_t max,
			  uint32_t *n);
/* "byte_off", "field_exists", ...: libbpf's names; NULL for unknown. */
const char *bpf_obj__kind_name(uint32_t kind);

#endif /* BTFAR_FORMATS_BPF_OBJ_H */
