// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * min_core_job: btfar_min_core__*: BPF objects read once (formats/bpf_obj),
 * then per blob: every relocation resolved (merge/core_relo), in object
 * order and record order with one candidate cache per object as libbpf
 * does, what they used marked and written (merge/min_core).
 *
 * Archives (btfar_min_core__write_archive), work proportional to what
 * changed: a series is one reference blob and deltas on it. The reference
 * is read (its SHA-256 checked), parsed and validated in full once, and
 * resolved with a candidate index of the types whose essential name is a
 * relocation root's only (ref_cands: the candidates of every relocation,
 * in id order), the ids of every type the resolution and the marking
 * read recorded (btf_raw.touched), plus what their sizes depend on. Each
 * delta entry is then read as its payload only (btf_delta_changes_next:
 * partner and "record unchanged" per type, never the blob rebuilt; zstd
 * checks the frame), two payloads at a time on two threads:
 * - when every recorded type has a partner whose record is unchanged, the
 *   partners keep the recorded types' order, no changed or new type bears
 *   the essential name of a relocation's root (no new candidate), and
 *   nothing was ambiguous, the entry resolves exactly as its reference
 *   did and its minimised blob is the reference's, byte for byte (the
 *   marked records are the same records, written in the same order;
 *   such entries are added after the views, the reference resolved again
 *   first, so that their report and recorded values are its own);
 * - otherwise it is resolved on a view of the reference (btf_view,
 *   btf_delta_view): the reference's records where the blob's are the
 *   same, the payload's changed and new records rewritten into the view's
 *   ids (the reference's, then the new types after them) and strings (the
 *   reference's, then the blob's), reference types without a partner
 *   deleted; the records rewritten are validated and what depends on them
 *   resolved again, so an invalid view is an error, as the decoded blob
 *   would be. Candidates are the reference's still there and unchanged
 *   plus the changed and new types named as a root; the view is seen in
 *   the blob's order (struct seen: candidates in blob id order, types
 *   written in blob id order, blob ids in reports), which is all that ids
 *   decide, so the result is the decoded blob's byte for byte
 *   (type_id_target values come from the minimised blob, as always).
 * --no-reuse decodes and resolves every entry in full (the cross-check).
 * Identical blobs are resolved once.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "btfar/btfar.h"
#include "builder/job.h"
#include "builder/pool.h"
#include "formats/bpf_obj.h"
#include "formats/btf_delta.h"
#include "formats/btf_raw.h"
#include "formats/btfa.h"
#include "formats/file.h"
#include "formats/hex.h"
#include "formats/mem.h"
#include "formats/sha256.h"
#include "merge/core_relo.h"
#include "merge/min_core.h"

#define MAX_OBJECT_BYTES (256ull << 20)

struct object {
	char *path;
	const char *name; /* its file name, in path */
	char sha256[65];  /* of the file */
	struct bpf_obj obj;
};

/*
 * How a blob is seen by resolve_all and minimise; NULL: as itself, every
 * named type a candidate, in id order. cands: the types a relocation's
 * root can name, in candidate order. A view (btf_view) of a blob adds its
 * order: order[] the view's ids in the blob's order, blob_id[] the blob
 * id of a view id (reports name blob ids).
 */
struct seen {
	const uint32_t *cands;
	uint32_t cand_cnt;
	const uint32_t *order;
	uint32_t order_cnt;
	const uint32_t *blob_id;
};

static uint32_t blob_id(const struct seen *sn, uint32_t id)
{
	return sn && sn->blob_id ? sn->blob_id[id] : id;
}

/* One relocation's result on one blob. */
struct relo_res {
	uint8_t outcome;  /* enum core_outcome */
	uint64_t val;	  /* targ_val */
	uint32_t targ_id; /* type_id_target: the target root, else 0 */
};

struct btfar_min_core {
	struct btfar_min_core_opts opts;
	struct object *objs;
	size_t obj_cnt, obj_cap;
	struct btfar_min_core_report report;
	struct btfar_min_core_problem *problems;
	size_t problem_cap;
	char **strs; /* strings of the problems, freed on the next run */
	size_t str_cnt, str_cap;
	uint32_t relo_total;   /* relocations of every object */
	char **keys;	       /* per relocation: "SECTION\tKIND\tFIELD" */
	struct relo_res *res;  /* per relocation, the last resolution */
	struct relo_res *res2; /* the same, on the minimised blob */
	char err[DIAG_MAX + 256];
};

static void logf_(struct btfar_min_core *m, enum btfar_log_level lvl,
		  const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void logf_(struct btfar_min_core *m, enum btfar_log_level lvl,
		  const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (!m->opts.log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	m->opts.log(lvl, buf, m->opts.log_ctx);
}

struct btfar_min_core *
btfar_min_core__new(const struct btfar_min_core_opts *opts)
{
	struct btfar_min_core *m = calloc(1, sizeof(*m));

	if (!m) {
		errno = ENOMEM;
		return NULL;
	}
	if (opts) {
		size_t n = opts->sz && opts->sz < sizeof(m->opts)
				   ? opts->sz
				   : sizeof(m->opts);

		memcpy(&m->opts, opts, n);
	}
	return m;
}

static void clear_report(struct btfar_min_core *m)
{
	size_t i;

	for (i = 0; i < m->str_cnt; i++)
		free(m->strs[i]);
	m->str_cnt = 0;
	memset(&m->report, 0, sizeof(m->report));
}

void btfar_min_core__free(struct btfar_min_core *m)
{
	size_t i;

	if (!m)
		return;
	clear_report(m);
	for (i = 0; i < m->obj_cnt; i++) {
		bpf_obj__release(&m->objs[i].obj);
		free(m->objs[i].path);
	}
	free(m->objs);
	free(m->problems);
	free(m->strs);
	for (i = 0; m->keys && i < m->relo_total; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->res);
	free(m->res2);
	free(m);
}

const char *btfar_min_core__errstr(const struct btfar_min_core *m)
{
	return m ? m->err : "";
}

int btfar_min_core__add_object(struct btfar_min_core *m, const char *path)
{
	struct diag d = {""};
	struct object *o;
	void *data = NULL;
	size_t size;
	int err;

	m->err[0] = '\0';
	if (mem_ensure((void **)&m->objs, &m->obj_cap, sizeof(*m->objs),
		       m->obj_cnt + 1)) {
		snprintf(m->err, sizeof(m->err), "out of memory");
		return -ENOMEM;
	}
	o = &m->objs[m->obj_cnt];
	err = file_read_all(path, MAX_OBJECT_BYTES, &data, &size, &d);
	if (!err)
		err = bpf_obj__read(&o->obj, data, size, &d);
	if (!err)
		sha256_hex(data, size, o->sha256);
	free(data);
	if (err) {
		snprintf(m->err, sizeof(m->err), "%s: %s", path, d.msg);
		return err;
	}
	o->path = strdup(path);
	if (!o->path) {
		bpf_obj__release(&o->obj);
		snprintf(m->err, sizeof(m->err), "out of memory");
		return -ENOMEM;
	}
	o->name = strrchr(o->path, '/') ? strrchr(o->path, '/') + 1 : o->path;
	/* keys and results are made for every object at the next run */
	for (size_t i = 0; m->keys && i < m->relo_total; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->res);
	free(m->res2);
	m->keys = NULL;
	m->res = m->res2 = NULL;
	m->obj_cnt++;
	return 0;
}

/* A copy of s kept until the next run; NULL when out of memory. */
static const char *keep(struct btfar_min_core *m, const char *s)
{
	char *c;

	if (mem_ensure((void **)&m->strs, &m->str_cap, sizeof(*m->strs),
		       m->str_cnt + 1))
		return NULL;
	c = strdup(s);
	if (c)
		m->strs[m->str_cnt++] = c;
	return c;
}

static int add_problem(struct btfar_min_core *m, const struct object *o,
		       const struct bpf_obj_relo *r, const struct core_res *res,
		       const struct seen *sn)
{
	struct btfar_min_core_problem *p;
	char buf[2048], a[512], b[512];

	if (mem_ensure((void **)&m->problems, &m->problem_cap,
		       sizeof(*m->problems), m->report.problem_cnt + 1))
		return -ENOMEM;
	p = &m->problems[m->report.problem_cnt];
	p->object = o->path;
	p->section = o->obj.secs[r->sec].name;
	p->insn_off = r->insn_off;
	p->kind = bpf_obj__kind_name(r->kind);
	p->ambiguous = res->outcome == CORE_AMBIGUOUS;
	core_type__str(&o->obj.btf, r->type_id, buf, sizeof(buf));
	p->type = keep(m, buf);
	core_spec__str(&res->local, buf, sizeof(buf));
	p->field = keep(m, buf);
	if (p->ambiguous) {
		core_spec__str(&res->targ, a, sizeof(a));
		core_spec__str(&res->other, b, sizeof(b));
		snprintf(
			buf, sizeof(buf),
			"%s: [%u] %s gives %llu (bit %u), [%u] %s gives %llu "
			"(bit %u)",
			res->offset_ambiguity ? "field offset ambiguity"
					      : "relocation decision ambiguity",
			blob_id(sn, res->targ.root_type_id), a,
			(unsigned long long)res->targ_val, res->targ.bit_offset,
			blob_id(sn, res->other.root_type_id), b,
			(unsigned long long)res->other_val,
			res->other.bit_offset);
	} else if (!res->cand_cnt) {
		snprintf(buf, sizeof(buf), "no type of that name and kind%s",
			 res->poison ? "; the instruction is poisoned"
				     : "; the value is 0");
	} else {
		snprintf(buf, sizeof(buf), "none of %u candidates matches%s",
			 res->cand_cnt,
			 res->poison ? "; the instruction is poisoned"
				     : "; the value is 0");
	}
	p->detail = keep(m, buf);
	if (!p->type || !p->field || !p->detail)
		return -ENOMEM;
	m->report.problem_cnt++;
	return 0;
}

/* Keys and result arrays for every relocation, made once per object set. */
static int prepare(struct btfar_min_core *m)
{
	uint32_t n = 0, i = 0, k;
	size_t j;

	if (m->res)
		return 0;
	for (j = 0; j < m->obj_cnt; j++)
		n += m->objs[j].obj.relo_cnt;
	m->relo_total = n;
	m->keys = calloc(n + 1, sizeof(*m->keys));
	m->res = calloc(n + 1, sizeof(*m->res));
	m->res2 = calloc(n + 1, sizeof(*m->res2));
	if (!m->keys || !m->res || !m->res2)
		return -ENOMEM;
	for (j = 0; j < m->obj_cnt; j++) {
		const struct object *o = &m->objs[j];

		for (k = 0; k < o->obj.relo_cnt; k++, i++) {
			const struct bpf_obj_relo *r = &o->obj.relos[k];
			char buf[2048];

			core_type__str(&o->obj.btf, r->type_id, buf,
				       sizeof(buf));
			if (asprintf(&m->keys[i], "%s\t%s\t%s:%s",
				     o->obj.secs[r->sec].name,
				     bpf_obj__kind_name(r->kind), buf,
				     bpf_obj__access_str(&o->obj, r)) < 0) {
				m->keys[i] = NULL;
				return -ENOMEM;
			}
		}
	}
	return 0;
}

/*
 * Resolves every relocation on targ into out[] (relo_total entries). With
 * touched, targ records the types read (after its index is made: the index
 * reads them all); with mc, what they used is marked; with rep, the report
 * and the log are made. 0 or -errno with m->err set.
 */
static int resolve_all(struct btfar_min_core *m, struct btf_raw *targ,
		       uint8_t *touched, struct min_core *mc, bool rep,
		       struct relo_res *out, const struct seen *sn)
{
	struct core_target *tg =
		sn && sn->cands
			? core_target_new_ids(targ, sn->cands, sn->cand_cnt)
			: core_target__new(targ);
	struct core_res *res = malloc(sizeof(*res));
	struct diag d = {""};
	uint32_t k, ri = 0;
	size_t i;
	int err = 0;

	if (!tg || !res) {
		err = -ENOMEM;
		goto nomem;
	}
	targ->touched = touched;
	if (rep) {
		m->report.objects = (uint32_t)m->obj_cnt;
		m->report.types_in = sn && sn->order
					     ? sn->order_cnt
					     : btf_raw__type_cnt(targ) - 1;
	}
	for (i = 0; i < m->obj_cnt; i++) {
		const struct object *o = &m->objs[i];
		struct core_cands *cc = core_cands__new(&o->obj.btf);

		if (!cc) {
			err = -ENOMEM;
			goto nomem;
		}
		for (k = 0; k < o->obj.relo_cnt; k++, ri++) {
			const struct bpf_obj_relo *r = &o->obj.relos[k];
			const char *sec = o->obj.secs[r->sec].name;
			char a[512], b[512];

			err = core_relo__resolve(tg, cc, &o->obj, r, res, &d);
			if (err) {
				snprintf(m->err, sizeof(m->err),
					 "%s: %s: CO-RE relocation #%u "
					 "(insn %u, %s): %s",
					 o->path, sec,
					 k - o->obj.secs[r->sec].first,
					 r->insn_off / 8,
					 bpf_obj__kind_name(r->kind), d.msg);
				core_cands__free(cc);
				goto out;
			}
			out[ri].outcome = (uint8_t)res->outcome;
			out[ri].val = res->targ_val;
			out[ri].targ_id = r->kind == BPF_OBJ_TYPE_ID_TARGET &&
							  res->match_cnt
						  ? res->targ.root_type_id
						  : 0;
			if (mc) {
				err = min_core__record(mc, r->kind, res);
				if (err) {
					core_spec__str(&res->local, a,
						       sizeof(a));
					snprintf(m->err, sizeof(m->err),
						 "%s: %s: insn %u: marking the "
						 "types of %s failed (%d)",
						 o->path, sec, r->insn_off / 8,
						 a, err);
					core_cands__free(cc);
					goto out;
				}
			}
			if (!rep)
				continue;
			m->report.relocations++;
			core_spec__str(&res->local, a, sizeof(a));
			b[0] = '\0';
			if (res->match_cnt)
				core_spec__str(&res->targ, b, sizeof(b));
			switch (res->outcome) {
			case CORE_RESOLVED:
				m->report.resolved++;
				logf_(m, BTFAR_LOG_DEBUG,
				      "%s: %s: insn %u: %s %s: %llu -> %llu "
				      "([%u] %s, %u of %u candidates)",
				      o->path, sec, r->insn_off / 8,
				      bpf_obj__kind_name(r->kind), a,
				      (unsigned long long)res->local_val,
				      (unsigned long long)res->targ_val,
				      blob_id(sn, res->targ.root_type_id), b,
				      res->match_cnt, res->cand_cnt);
				break;
			case CORE_LOCAL:
				m->report.local++;
				break;
			case CORE_NO_MATCH:
			case CORE_AMBIGUOUS:
				if (res->outcome == CORE_NO_MATCH)
					m->report.unresolved++;
				else
					m->report.ambiguous++;
				if (add_problem(m, o, r, res, sn)) {
					err = -ENOMEM;
					core_cands__free(cc);
					goto nomem;
				}
				logf_(m,
				      res->outcome == CORE_AMBIGUOUS
					      ? BTFAR_LOG_WARN
					      : BTFAR_LOG_INFO,
				      "%s: %s: insn %u: %s %s: %s", o->path,
				      sec, r->insn_off / 8,
				      bpf_obj__kind_name(r->kind), a,
				      m->problems[m->report.problem_cnt - 1]
					      .detail);
				break;
			}
		}
		core_cands__free(cc);
	}
	goto out;
nomem:
	snprintf(m->err, sizeof(m->err), "out of memory");
out:
	m->report.problems = m->problems;
	targ->touched = NULL;
	core_target__free(tg);
	free(res);
	return err;
}

/*
 * targ minimised into *out, m->res its results; then checked: every
 * relocation resolves on the minimised blob as on targ (same outcome and
 * value; type_id_target: a type of the same kind and name), m->res2 the
 * results there. Returns 0, a positive count of ambiguous relocations, or
 * -errno with m->err set.
 */
static int minimise(struct btfar_min_core *m, struct btf_raw *targ,
		    uint8_t *touched, const struct seen *sn, void **out,
		    size_t *out_sz)
{
	struct btf_raw mraw = {0};
	struct min_core *mc = NULL;
	struct diag d = {""};
	uint32_t i, ri, k;
	size_t j;
	int err;

	*out = NULL;
	*out_sz = 0;
	clear_report(m);
	err = prepare(m);
	if (err)
		goto nomem;
	mc = min_core__new(targ);
	if (!mc) {
		err = -ENOMEM;
		goto nomem;
	}
	if (sn && sn->order)
		min_core_set_order(mc, sn->order, sn->order_cnt);
	err = resolve_all(m, targ, touched, mc, true, m->res, sn);
	if (err)
		goto out;
	/* writing reads the marked types only: touched already */
	err = min_core__write(mc, out, out_sz, &m->report.types_out, &d);
	if (err) {
		snprintf(m->err, sizeof(m->err), "%s", d.msg);
		goto out;
	}
	err = btf_raw__parse(&mraw, *out, *out_sz, NULL, &d);
	if (!err)
		err = resolve_all(m, &mraw, NULL, NULL, false, m->res2, NULL);
	else
		snprintf(m->err, sizeof(m->err), "minimised blob: %s", d.msg);
	if (err)
		goto out;
	for (j = 0, ri = 0; j < m->obj_cnt; j++) {
		const struct object *o = &m->objs[j];

		for (k = 0; k < o->obj.relo_cnt; k++, ri++) {
			const struct relo_res *a = &m->res[ri],
					      *b = &m->res2[ri];
			char ta[512] = "", tb[512] = "";
			bool same = a->outcome == b->outcome;

			if (same && a->targ_id) {
				core_type__str(targ, a->targ_id, ta,
					       sizeof(ta));
				core_type__str(&mraw, b->targ_id, tb,
					       sizeof(tb));
				same = !strcmp(ta, tb);
			} else if (same) {
				same = a->val == b->val;
			}
			if (same)
				continue;
			snprintf(m->err, sizeof(m->err),
				 "%s: %s: insn %u: %s resolves to %llu%s%s "
				 "(outcome %u) on the minimised blob, to "
				 "%llu%s%s (outcome %u) on the whole one",
				 o->path, o->obj.secs[o->obj.relos[k].sec].name,
				 o->obj.relos[k].insn_off / 8, m->keys[ri],
				 (unsigned long long)b->val, *tb ? " " : "", tb,
				 b->outcome, (unsigned long long)a->val,
				 *ta ? " " : "", ta, a->outcome);
			err = -EPROTO;
			goto out;
		}
	}
	for (i = 0; i < m->relo_total; i++)
		if (m->res[i].targ_id) /* recorded: the value it gets here */
			m->res[i].val = m->res2[i].val;
	err = (int)m->report.ambiguous;
	goto out;
nomem:
	snprintf(m->err, sizeof(m->err), "out of memory");
out:
	if (err < 0) {
		free(*out);
		*out = NULL;
		*out_sz = 0;
	}
	btf_raw__release(&mraw);
	min_core__free(mc);
	return err;
}

int btfar_min_core__run(struct btfar_min_core *m, const void *blob, size_t size,
			void **out, size_t *out_sz,
			const struct btfar_min_core_report **report)
{
	struct btf_raw targ = {0};
	struct diag d = {""};
	void *copy = NULL;
	int err;

	*out = NULL;
	*out_sz = 0;
	m->err[0] = '\0';
	clear_report(m);
	if (report)
		*report = &m->report;
	if (!m->obj_cnt) {
		snprintf(m->err, sizeof(m->err), "no BPF object given");
		return -EINVAL;
	}
	/* btf_raw reads u32s: an aligned copy of a borrowed buffer */
	copy = malloc(size ? size : 1);
	if (!copy) {
		snprintf(m->err, sizeof(m->err), "out of memory");
		return -ENOMEM;
	}
	memcpy(copy, blob, size);
	err = btf_raw__parse(&targ, copy, size, NULL, &d);
	if (err) {
		snprintf(m->err, sizeof(m->err), "blob: %s", d.msg);
		goto out;
	}
	err = minimise(m, &targ, NULL, NULL, out, out_sz);
out:
	m->report.problems = m->problems;
	btf_raw__release(&targ);
	free(copy);
	return err;
}

/* --- archives ------------------------------------------------------------ */

#define META_RELEASE "btfar-min-core"
#define META_SOURCE  "btfar min-core"
#define META_MAGIC   "btfar-min-core 1"

/* One output entry. */
struct ment {
	struct btfa_blob_in b; /* labels borrowed from the input */
	void *data;	       /* the minimised blob, owned */
	size_t size;
	char *meta; /* its "entry" and "relo" lines, '\n'-separated */
};

struct mjob {
	struct btfar_min_core *m;
	const struct btfar_archive_opts *ao;
	btfar_min_core_fn fn;
	void *ctx;
	struct ment *v;
	size_t cnt, cap;
	int with_problems; /* entries with unresolved or ambiguous ones */
	/* the essential names of the relocations' roots */
	const char **names;
	size_t *name_lens;
	size_t name_cnt;
	/* the last blob resolved, to resolve identical blobs once */
	uint8_t last_sha[32];
	bool have_last;
	void *last_out;
	size_t last_sz;
};

static int meta_lines(struct btfar_min_core *m, const struct btfa_entry *e,
		      const void *min, size_t min_sz, char **out)
{
	char sha[65], base[65];
	size_t len = 0, cap = 0;
	char *buf = NULL, *line = NULL;
	uint32_t i, ri = 0, k;
	size_t j;
	int n;

	sha256_hex(min, min_sz, sha);
	hex_encode(e->base_sha256, 32, base);
	for (j = 0; j <= m->obj_cnt; j++) {
		const struct object *o = j ? &m->objs[j - 1] : NULL;

		for (k = 0; k < (o ? o->obj.relo_cnt : 1); k++) {
			if (!o)
				n = asprintf(&line, "entry\t%s\t%s\t%s\t%s\t%s",
					     e->release, e->arch, e->build_id,
					     sha, base);
			else
				n = asprintf(
					&line, "relo\t%zu\t%s\t%u\t%llu", j - 1,
					m->keys[ri], m->res[ri].outcome,
					(unsigned long long)m->res[ri].val);
			if (o)
				ri++;
			if (n < 0 ||
			    mem_ensure((void **)&buf, &cap, 1, len + n + 2)) {
				if (n >= 0)
					free(line);
				free(buf);
				return -ENOMEM;
			}
			memcpy(buf + len, line, n);
			len += n;
			buf[len++] = '\n';
			buf[len] = '\0';
			free(line);
		}
	}
	(void)i;
	*out = buf;
	return 0;
}

/* Adds the output entry of e (labels borrowed), min copied. */
static int add_entry(struct mjob *j, const struct btfa_entry *e,
		     size_t blob_size, const void *min, size_t min_sz,
		     bool reused)
{
	struct btfar_min_core *m = j->m;
	struct btfar_min_core_entry ce = {0};
	struct btf_raw raw;
	struct diag d = {""};
	struct ment *me;

	if (mem_ensure((void **)&j->v, &j->cap, sizeof(*j->v), j->cnt + 1))
		return -ENOMEM;
	me = &j->v[j->cnt];
	memset(me, 0, sizeof(*me));
	me->data = malloc(min_sz ? min_sz : 1);
	if (!me->data)
		return -ENOMEM;
	memcpy(me->data, min, min_sz);
	me->size = min_sz;
	if (meta_lines(m, e, min, min_sz, &me->meta)) {
		free(me->data);
		return -ENOMEM;
	}
	j->cnt++;
	me->b.e = *e;
	me->b.data = me->data;
	me->b.size = min_sz;
	if (!btf_raw__parse(&raw, me->data, min_sz, NULL, &d)) {
		me->b.e.types = btf_raw__type_cnt(&raw) - 1;
		btf_raw__release(&raw);
	}
	/* a minimised blob has no module part: it is all "base" */
	me->b.e.base_types = me->b.e.types;
	me->b.modules = NULL;
	me->b.module_cnt = 0;
	if (m->report.unresolved || m->report.ambiguous)
		j->with_problems++;
	if (j->fn) {
		ce.release = e->release;
		ce.arch = e->arch;
		ce.build_id = e->build_id;
		ce.blob_size = blob_size;
		ce.size = min_sz;
		ce.reused = reused;
		ce.report = &m->report;
		j->fn(&ce, j->ctx);
	}
	return 0;
}

/* Minimises targ (parsed from e's blob, size bytes) into an entry; with
 * keep, targ is kept there, else released. */
static int do_parsed(struct mjob *j, const struct btfa_entry *e, size_t size,
		     struct btf_raw *targ, struct btf_raw *keep,
		     uint8_t **touched, const struct seen *sn)
{
	struct btfar_min_core *m = j->m;
	void *out = NULL;
	size_t out_sz;
	int err;

	if (touched) {
		*touched = calloc(btf_raw__type_cnt(targ), 1);
		if (!*touched) {
			btf_raw__release(targ);
			return -ENOMEM;
		}
	}
	err = minimise(m, targ, touched ? *touched : NULL, sn, &out, &out_sz);
	if (err < 0) {
		char tmp[sizeof(m->err)];
		size_t n = strlen(e->release) + 2;

		memcpy(tmp, m->err, sizeof(tmp));
		if (n < sizeof(m->err))
			snprintf(m->err, sizeof(m->err), "%s: %.*s", e->release,
				 (int)(sizeof(m->err) - n - 1), tmp);
		btf_raw__release(targ);
		return err;
	}
	err = add_entry(j, e, size, out, out_sz, false);
	free(j->last_out);
	j->last_out = out;
	j->last_sz = out_sz;
	memcpy(j->last_sha, e->blob_sha256, 32);
	j->have_last = true;
	if (keep)
		*keep = *targ;
	else
		btf_raw__release(targ);
	return err;
}

/* Parses blob (malloc()ed, so aligned) and minimises it into an entry. */
static int do_blob(struct mjob *j, const struct btfa_entry *e, const void *blob,
		   size_t size, struct btf_raw *keep, uint8_t **touched,
		   const struct seen *sn)
{
	struct btfar_min_core *m = j->m;
	struct btf_raw targ = {0};
	struct diag d = {""};
	int err;

	if (j->have_last && !memcmp(j->last_sha, e->blob_sha256, 32) && !keep)
		return add_entry(j, e, size, j->last_out, j->last_sz, true);
	err = btf_raw__parse(&targ, blob, size, NULL, &d);
	if (err) {
		snprintf(m->err, sizeof(m->err), "%s: %s", e->release, d.msg);
		return err;
	}
	return do_parsed(j, e, size, &targ, keep, touched, sn);
}

/* The essential names of every relocation's root, once. */
static int root_names(struct mjob *j)
{
	struct btfar_min_core *m = j->m;
	size_t i, n = 0;
	uint32_t k;

	for (i = 0; i < m->obj_cnt; i++)
		n += m->objs[i].obj.relo_cnt;
	j->names = calloc(n + 1, sizeof(*j->names));
	j->name_lens = calloc(n + 1, sizeof(*j->name_lens));
	if (!j->names || !j->name_lens)
		return -ENOMEM;
	for (i = 0; i < m->obj_cnt; i++) {
		const struct bpf_obj *o = &m->objs[i].obj;

		for (k = 0; k < o->relo_cnt; k++) {
			const struct btf_type *t =
				btf_raw__type(&o->btf, o->relos[k].type_id);
			const char *name = btf_raw__str(&o->btf, t->name_off);

			if (o->relos[k].kind == BPF_OBJ_TYPE_ID_LOCAL ||
			    !name || !*name)
				continue;
			j->names[j->name_cnt] = name;
			j->name_lens[j->name_cnt++] = core_essential_len(name);
		}
	}
	return 0;
}

static bool is_root_name(const struct mjob *j, const char *name)
{
	size_t n = core_essential_len(name), i;

	for (i = 0; i < j->name_cnt; i++)
		if (j->name_lens[i] == n && !memcmp(j->names[i], name, n))
			return true;
	return false;
}

/* touched grown by what the sizes of touched types depend on: arrays'
 * elements, typedefs' and modifiers' targets (a struct's size is in its
 * own record). */
static void size_closure(const struct btf_raw *targ, uint8_t *touched)
{
	uint32_t cnt = btf_raw__type_cnt(targ), id, next;

	for (id = 1; id < cnt; id++) {
		if (!touched[id - 1])
			continue;
		for (next = id; next;) {
			const struct btf_type *t = btf_raw__type(targ, next);
			uint32_t k = t ? btf_type_kind(t) : 0;

			touched[next - 1] = 1;
			if (k == BTF_KIND_ARRAY)
				next = ((const struct btf_array *)(t + 1))
					       ->type;
			else if (k == BTF_KIND_TYPEDEF || k == BTF_KIND_CONST ||
				 k == BTF_KIND_VOLATILE ||
				 k == BTF_KIND_RESTRICT ||
				 k == BTF_KIND_TYPE_TAG)
				next = t->type;
			else
				next = 0;
			if (next && next < cnt && touched[next - 1] &&
			    next < id)
				break; /* done already */
		}
	}
}

struct id_list {
	uint32_t v[BPF_OBJ_ACCESS_MAX * 64];
	uint32_t n;
	bool full;
};

/* Collects a record's type ids and zeroes them. */
static int take_id(uint32_t *id, void *ctx)
{
	struct id_list *l = ctx;

	if (l->n == sizeof(l->v) / sizeof(l->v[0])) {
		l->full = true;
		return 1;
	}
	l->v[l->n++] = *id;
	*id = 0;
	return 0;
}

/*
 * Reference type a, read by the resolution, and its partner's record p in
 * the payload: the same but for ids of types the resolution did not read
 * (a member nobody asked for whose type changed)? Ids of types it read
 * must be the same partners.
 */
static bool same_shape(const struct btf_raw *ref, const uint8_t *touched,
		       uint32_t a, const struct btf_type *p)
{
	const struct btf_type *t = btf_raw__type(ref, a);
	uint32_t ts = btf_raw__rec_size(t, UINT32_MAX),
		 ps = btf_raw__rec_size(p, UINT32_MAX), k;
	static struct id_list la, lb; /* large: not on the stack */
	uint8_t *x = NULL, *y = NULL;
	bool ok = false;

	if (!ts || ts != ps)
		return false;
	x = malloc(ts);
	y = malloc(ts);
	if (!x || !y)
		goto out;
	memcpy(x, t, ts);
	memcpy(y, p, ts);
	la.n = lb.n = 0;
	la.full = lb.full = false;
	if (btf_type_visit_ids((void *)x, take_id, &la) ||
	    btf_type_visit_ids((void *)y, take_id, &lb) || la.n != lb.n ||
	    memcmp(x, y, ts))
		goto out;
	for (k = 0; k < la.n; k++) {
		uint32_t ra = la.v[k];

		if ((!ra || touched[ra - 1]) && lb.v[k] != ra)
			goto out;
	}
	ok = true;
out:
	free(x);
	free(y);
	return ok;
}

/*
 * Does the delta c leave what the reference's resolution read as it was?
 * (The rules: the comment at the top of this file.)
 */
static bool delta_keeps(const struct mjob *j, const struct btf_raw *ref,
			const uint8_t *touched,
			const struct btf_delta_changes *c)
{
	uint32_t cnt = btf_raw__type_cnt(ref), a, b;

	if (c->na != cnt - 1)
		return false;
	for (a = 1; a < cnt; a++) {
		if (!touched[a - 1])
			continue;
		b = c->blob_of[a - 1];
		if (!b || (!c->same[b - 1] &&
			   !same_shape(ref, touched, a, c->rec[b - 1])))
			return false;
	}
	for (b = 1; b <= c->nb; b++)
		if (!c->same[b - 1] && c->name[b - 1] &&
		    is_root_name(j, c->name[b - 1]))
			return false;
	return true;
}

/* The reference's types a relocation's root can name, in id order: the
 * candidates of every relocation (an index of these only). */
static int ref_cands(const struct mjob *j, const struct btf_raw *ref,
		     uint32_t **ids, uint32_t *n)
{
	uint32_t cnt = btf_raw__type_cnt(ref), id;
	bool first[256] = {false};
	size_t cap = 0, i;

	*ids = NULL;
	*n = 0;
	/* a name whose first byte starts no root name is none of them: most
	 * of the half million are skipped on that byte */
	for (i = 0; i < j->name_cnt; i++)
		first[(uint8_t)j->names[i][0]] = true;
	for (id = 1; id < cnt; id++) {
		const char *name =
			btf_raw__str(ref, btf_raw__type(ref, id)->name_off);

		if (!name || !first[(uint8_t)*name] || !is_root_name(j, name))
			continue;
		if (mem_ensure((void **)ids, &cap, sizeof(**ids), *n + 1))
			return -ENOMEM;
		(*ids)[(*n)++] = id;
	}
	return 0;
}

/* What a delta entry resolves on instead of its decoded blob. */
struct vjob {
	struct btf_view v;
	bool ready;	 /* v initialised on the reference */
	uint32_t *cands; /* the reference's (ref_cands) */
	uint32_t cand_cnt;
	uint32_t *vcands;  /* the view's, in blob order */
	uint32_t *order;   /* view ids in blob order */
	uint32_t *blob_id; /* blob id of each view id */
	size_t order_cap, blob_id_cap;
	void *recs; /* the view's rewritten records */
};

static void vjob_release(struct vjob *vj)
{
	if (vj->ready)
		btf_view_release(&vj->v);
	free(vj->cands);
	free(vj->vcands);
	free(vj->order);
	free(vj->blob_id);
	free(vj->recs);
	memset(vj, 0, sizeof(*vj));
}

/*
 * Delta entry de resolved on a view of its reference (ref, parsed): the
 * reference's records where the blob's are the same, the changed and new
 * ones from the payload (c), validated; candidates the reference's that
 * are still there, unchanged, plus the changed and new types named as a
 * root, in blob order; written in blob order. The result is the decoded
 * blob's, byte for byte (the order of candidates and of writing is all
 * that ids decide; type_id_target values come from the minimised blob).
 */
static int do_view(struct mjob *j, struct vjob *vj, const struct btf_raw *ref,
		   const struct btfa_entry *de,
		   const struct btf_delta_changes *c, const char *path)
{
	struct btfar_min_core *m = j->m;
	struct seen sn = {0};
	struct diag d = {""};
	uint32_t i, b, n = 0, na = c->na;
	void *out = NULL;
	size_t out_sz;
	int err;

	if (j->have_last && !memcmp(j->last_sha, de->blob_sha256, 32))
		return add_entry(j, de, de->blob_size, j->last_out, j->last_sz,
				 true);
	if (!vj->ready) {
		if (btf_view_init(&vj->v, ref))
			return -ENOMEM;
		vj->ready = true;
	}
	free(vj->recs);
	free(vj->vcands);
	vj->recs = NULL;
	/* kept from one view to the next: the same pages */
	if (mem_ensure((void **)&vj->order, &vj->order_cap, sizeof(*vj->order),
		       (size_t)c->nb + 1) ||
	    mem_ensure((void **)&vj->blob_id, &vj->blob_id_cap,
		       sizeof(*vj->blob_id), (size_t)na + c->nb + 1))
		return -ENOMEM;
	vj->vcands = malloc(((size_t)vj->cand_cnt + c->changed + 1) *
			    sizeof(*vj->vcands));
	if (!vj->vcands)
		return -ENOMEM;
	err = btf_delta_view(&vj->v, c, &vj->recs, vj->order, vj->blob_id, &d);
	if (err) {
		snprintf(m->err, sizeof(m->err),
			 "%s: entry %s: delta against its reference: %s", path,
			 de->release, d.msg);
		return err;
	}
	/* candidates: the reference's still there and unchanged, then the
	 * changed and new ones that bear a root's name */
	for (i = 0; i < vj->cand_cnt; i++) {
		uint32_t a = vj->cands[i];

		b = c->blob_of[a - 1];
		if (b && c->same[b - 1])
			vj->vcands[n++] = a;
	}
	for (b = 1; b <= c->nb; b++) {
		const struct btf_type *t;
		const char *name;

		if (c->same[b - 1])
			continue;
		t = btf_raw__type(&vj->v.raw, vj->order[b - 1]);
		name = btf_raw__str(&vj->v.raw, t->name_off);
		if (name && *name && is_root_name(j, name))
			vj->vcands[n++] = vj->order[b - 1];
	}
	/* in blob order: a few tens of ids */
	for (i = 1; i < n; i++) {
		uint32_t x = vj->vcands[i], k = i;

		for (; k > 0 && vj->blob_id[vj->vcands[k - 1]] > vj->blob_id[x];
		     k--)
			vj->vcands[k] = vj->vcands[k - 1];
		vj->vcands[k] = x;
	}
	sn.cands = vj->vcands;
	sn.cand_cnt = n;
	sn.order = vj->order;
	sn.order_cnt = c->nb;
	sn.blob_id = vj->blob_id;
	err = minimise(m, &vj->v.raw, NULL, &sn, &out, &out_sz);
	if (err < 0) {
		char tmp[sizeof(m->err)];
		size_t k = strlen(de->release) + 2;

		memcpy(tmp, m->err, sizeof(tmp));
		if (k < sizeof(m->err))
			snprintf(m->err, sizeof(m->err), "%s: %.*s",
				 de->release, (int)(sizeof(m->err) - k - 1),
				 tmp);
		return err;
	}
	logf_(m, BTFAR_LOG_DEBUG,
	      "%s: %s: %u of %u types changed against its reference: "
	      "resolved on a view of it",
	      path, de->release, c->changed, c->nb);
	err = add_entry(j, de, de->blob_size, out, out_sz, true);
	free(j->last_out);
	j->last_out = out;
	j->last_sz = out_sz;
	memcpy(j->last_sha, de->blob_sha256, 32);
	j->have_last = true;
	return err;
}

/* A delta's payload read and compared with its reference (changes), on a
 * worker thread: its own reader, buffer and arrays; the reference is only
 * read. */
struct fetch {
	struct btfa_reader rd; /* slots past the first: their own reader */
	bool own_rd;
	uint32_t k; /* the entry */
	void *enc;
	size_t cap, enc_sz;
	struct btf_delta_changes c;
	int read_err, err;
	struct diag d;
};

struct fetch_ctx {
	struct fetch slots[2];
	int jobs;   /* slots in use */
	uint32_t n; /* slots of this batch */
	struct btfa_reader *r;
	const struct btf_raw *targ;
	const void *blob;
	size_t size;
	/* with the first payloads: the view's reverse edges made (a task
	 * after the slots'), NULL once done */
	struct vjob *vj;
};

/* Two workers when two threads are allowed (jobs: -j, 0 for the online
 * CPUs) and the archive is a local file (a second reader of it is cheap; a
 * remote source is read by one thread). */
static void fetch_init(struct fetch_ctx *fx, struct btfa_reader *r,
		       const char *path, int jobs)
{
	struct diag d = {""};

	fx->r = r;
	fx->jobs = 1;
	if ((jobs ? jobs : pool_cpu_count()) < 2 || strstr(path, "://") ||
	    btfa_reader__open(&fx->slots[1].rd, path, &d))
		return;
	fx->slots[1].own_rd = true;
	fx->jobs = 2;
}

static void fetch_release(struct fetch_ctx *fx)
{
	int s;

	for (s = 0; s < 2; s++) {
		if (fx->slots[s].own_rd)
			btfa_reader__close(&fx->slots[s].rd);
		btf_delta__changes_release(&fx->slots[s].c);
		free(fx->slots[s].enc);
	}
	memset(fx, 0, sizeof(*fx));
}

static void fetch_one(size_t idx, void *ctx)
{
	struct fetch_ctx *fx = ctx;
	struct fetch *f;
	struct btfa_reader *rd;

	if (idx >= fx->n) {
		/* fails only without memory: do_view tries again */
		fx->vj->ready = !btf_view_init(&fx->vj->v, fx->targ);
		return;
	}
	f = &fx->slots[idx];
	rd = f->own_rd ? &f->rd : fx->r;

	f->err = 0;
	f->d.msg[0] = '\0';
	f->read_err = btfa_reader_read_payload_into(rd, f->k, fx->blob,
						    fx->size, &f->enc, &f->cap,
						    &f->enc_sz, &f->d);
	if (!f->read_err)
		f->err = btf_delta_changes_next(fx->targ, f->enc, f->enc_sz,
						&f->c, &f->d);
}

/* The reference's SHA-256 (on one thread) and its parse (on the other). */
struct ref_job {
	const void *blob;
	size_t size;
	struct btf_raw *targ;
	uint8_t sum[32];
	int err;
	struct diag d;
};

static void ref_task(size_t idx, void *ctx)
{
	struct ref_job *rj = ctx;
	struct sha256 sh;

	if (idx == 0) {
		sha256_init(&sh);
		sha256_update(&sh, rj->blob, rj->size);
		sha256_final(&sh, rj->sum);
		return;
	}
	rj->err = btf_raw__parse(rj->targ, rj->blob, rj->size, NULL, &rj->d);
}

/* Parses the reference blob (read unverified) into targ while its SHA-256
 * is computed; the bytes are trusted only when it is the index's. 0, or
 * -errno with m->err set. */
static int ref_read(struct mjob *j, const char *path, uint32_t i,
		    const struct btfa_entry *e, const void *blob, size_t size,
		    struct btf_raw *targ)
{
	struct btfar_min_core *m = j->m;
	struct ref_job rj = {.blob = blob, .size = size, .targ = targ};
	int jobs = j->ao && j->ao->jobs ? j->ao->jobs : pool_cpu_count();
	char got[65], want[65];

	pool_run(2, jobs >= 2 ? 2 : 1, ref_task, &rj);
	if (memcmp(rj.sum, e->blob_sha256, 32)) {
		if (!rj.err)
			btf_raw__release(targ);
		hex_encode(rj.sum, 32, got);
		hex_encode(e->blob_sha256, 32, want);
		snprintf(m->err, sizeof(m->err),
			 "%s: entry %u (%s): blob: SHA-256 %s, index says %s",
			 path, i, e->release, got, want);
		return -EBADMSG;
	}
	if (rj.err)
		snprintf(m->err, sizeof(m->err), "%s: %s", e->release,
			 rj.d.msg);
	return rj.err;
}

/* Every entry of an archive: references in full, deltas through their
 * payload: the reference's result when they keep what its resolution
 * read, else resolved on a view of the reference (--no-reuse: every
 * entry decoded and resolved in full). */
static int do_archive(struct mjob *j, struct btfa_reader *r, const char *path)
{
	struct btfar_min_core *m = j->m;
	struct diag d = {""};
	uint32_t i, k;
	uint8_t *done = calloc(r->entry_cnt + 1, 1);
	int err = 0;

	if (!done)
		return -ENOMEM;
	for (i = 0; i < r->entry_cnt && !err; i++) {
		const struct btfa_entry *e = &r->entries[i];
		struct btf_raw targ = {0};
		uint8_t *touched = NULL;
		bool has_deltas = false, keeps_ok, reuse = !m->opts.no_reuse;
		void *blob = NULL, *ref_out = NULL;
		size_t size, ref_sz = 0;
		struct vjob vj = {0};
		struct seen sn = {0};
		/* per worker, a payload buffer and arrays reused from one
		 * delta to the next (fetch_one) */
		struct fetch_ctx fx = {0};
		uint32_t *dl = NULL, dn = 0, b0;
		/* deltas that keep the reference's result, added once its
		 * report is the last one made (a view replaces it) */
		uint32_t *kept = NULL, kept_cnt = 0;
		bool viewed = false;

		if (!btfa_enc_whole(e->encoding))
			continue;
		for (k = 0; k < r->entry_cnt; k++)
			if (r->entries[k].encoding == BTFA_ENC_DELTA &&
			    r->entries[k].ref_idx == i)
				has_deltas = true;
		/* a reference of deltas: its SHA-256 checked while it is
		 * parsed (ref_read) */
		if (has_deltas && reuse)
			err = btfa_reader_read_unverified(r, i, &blob, &size,
							  &d);
		else
			err = btfa_reader__read(r, i, &blob, &size, &d);
		if (err) {
			snprintf(m->err, sizeof(m->err),
				 "%s: entry %u (%s): %s", path, i, e->release,
				 d.msg);
			break;
		}
		done[i] = 1;
		if (!has_deltas || !reuse) {
			err = do_blob(j, e, blob, size, NULL, NULL, NULL);
			if (!err && has_deltas)
				goto full; /* --no-reuse */
			free(blob);
			continue;
		}
		j->have_last = false; /* the reference's own resolution */
		err = ref_read(j, path, i, e, blob, size, &targ);
		if (err) {
			free(blob);
			break;
		}
		err = ref_cands(j, &targ, &vj.cands, &vj.cand_cnt);
		if (err) {
			btf_raw__release(&targ);
			free(blob);
			break;
		}
		sn.cands = vj.cands;
		sn.cand_cnt = vj.cand_cnt;
		err = do_parsed(j, e, size, &targ, &targ, &touched, &sn);
		if (err) {
			vjob_release(&vj);
			free(blob);
			break;
		}
		/* a copy: a view's result replaces j->last_out */
		ref_sz = j->last_sz;
		ref_out = malloc(ref_sz ? ref_sz : 1);
		if (!ref_out) {
			err = -ENOMEM;
			goto ref_done;
		}
		memcpy(ref_out, j->last_out, ref_sz);
		kept = malloc((size_t)r->entry_cnt * sizeof(*kept));
		dl = malloc((size_t)r->entry_cnt * sizeof(*dl));
		if (!kept || !dl) {
			err = -ENOMEM;
			goto ref_done;
		}
		fetch_init(&fx, r, path, j->ao ? j->ao->jobs : 0);
		keeps_ok = !m->report.ambiguous;
		if (keeps_ok)
			size_closure(&targ, touched);
		/* deltas: the reference's result when they keep it, else
		 * resolved on a view; their payloads read and compared with
		 * the reference two at a time on two threads */
		for (k = 0, dn = 0; k < r->entry_cnt; k++)
			if (r->entries[k].encoding == BTFA_ENC_DELTA &&
			    r->entries[k].ref_idx == i)
				dl[dn++] = k;
		fx.targ = &targ;
		fx.blob = blob;
		fx.size = size;
		for (b0 = 0; b0 < dn && !err; b0 += (uint32_t)fx.jobs) {
			uint32_t n = dn - b0 < (uint32_t)fx.jobs
					     ? dn - b0
					     : (uint32_t)fx.jobs,
				 sl;

			for (sl = 0; sl < n; sl++)
				fx.slots[sl].k = dl[b0 + sl];
			/* the view's reverse edges made with the first
			 * payloads: a task past the batch's slots */
			fx.n = n;
			fx.vj = b0 == 0 && !vj.ready ? &vj : NULL;
			pool_run(n + (fx.vj ? 1 : 0), fx.jobs, fetch_one, &fx);
			fx.vj = NULL;
			for (sl = 0; sl < n && !err; sl++) {
				struct fetch *f = &fx.slots[sl];
				const struct btfa_entry *de = &r->entries[f->k];

				if (f->read_err)
					continue; /* read in full below: its
						     error */
				if (f->err) {
					snprintf(m->err, sizeof(m->err),
						 "%s: entry %u (%s): %s", path,
						 f->k, de->release, f->d.msg);
					err = f->err;
				} else if (keeps_ok &&
					   delta_keeps(j, &targ, touched,
						       &f->c)) {
					logf_(m, BTFAR_LOG_DEBUG,
					      "%s: %s: %u of %u types changed "
					      "against %s, none the "
					      "relocations read: its "
					      "reference's result",
					      path, de->release, f->c.changed,
					      f->c.nb, e->release);
					kept[kept_cnt++] = f->k;
				} else {
					err = do_view(j, &vj, &targ, de, &f->c,
						      path);
					viewed = true;
				}
				done[f->k] = !err;
			}
		}
		/* the reference's report and results again, for the entries
		 * that take its result (resolving it costs little now: the
		 * index has a few candidates) */
		if (!err && kept_cnt && viewed) {
			void *again = NULL;
			size_t again_sz;

			err = minimise(m, &targ, NULL, &sn, &again, &again_sz);
			if (err >= 0 && (again_sz != ref_sz ||
					 memcmp(again, ref_out, ref_sz))) {
				snprintf(m->err, sizeof(m->err),
					 "%s: %s: resolved twice, two results",
					 path, e->release);
				err = -EPROTO;
			}
			err = err < 0 ? err : 0;
			free(again);
			/* the last result is no longer the last report's */
			j->have_last = false;
		}
		for (k = 0; k < kept_cnt && !err; k++)
			err = add_entry(j, &r->entries[kept[k]],
					r->entries[kept[k]].blob_size, ref_out,
					ref_sz, true);

	ref_done:
		fetch_release(&fx);
		free(dl);
		free(kept);
		free(ref_out);
		vjob_release(&vj);
		btf_raw__release(&targ);
		free(touched);
	full:
		/* the others in full */
		for (k = 0; k < r->entry_cnt && !err; k++) {
			const struct btfa_entry *de = &r->entries[k];
			void *db = NULL;
			size_t dsz;

			if (done[k] || de->encoding != BTFA_ENC_DELTA ||
			    de->ref_idx != i)
				continue;
			err = btfa_reader__read(r, k, &db, &dsz, &d);
			if (err) {
				snprintf(m->err, sizeof(m->err),
					 "%s: entry %u (%s): %s", path, k,
					 de->release, d.msg);
				break;
			}
			done[k] = 1;
			err = do_blob(j, de, db, dsz, NULL, NULL, NULL);
			free(db);
		}
		free(blob);
	}
	free(done);
	return err;
}

/* The metadata blob: raw BTF without types whose strings are the lines. */
static int meta_blob(struct mjob *j, void **out, size_t *out_sz)
{
	struct btfar_min_core *m = j->m;
	size_t len = 0, cap = 0, i, n;
	char *strs = NULL, *line = NULL, *p;
	int err = -ENOMEM;

	/* "", the magic line, the objects, then each entry's lines */
	if (mem_ensure((void **)&strs, &cap, 1, 1))
		return -ENOMEM;
	strs[len++] = '\0';
	for (i = 0; i <= m->obj_cnt + j->cnt; i++) {
		char *text;

		if (i == 0)
			text = strdup(META_MAGIC);
		else if (i <= m->obj_cnt) {
			const struct object *o = &m->objs[i - 1];

			text = asprintf(&line, "object\t%zu\t%s\t%u\t%s", i - 1,
					o->sha256, o->obj.relo_cnt, o->name) < 0
				       ? NULL
				       : line;
		} else
			text = strdup(j->v[i - 1 - m->obj_cnt].meta);
		if (!text)
			goto out;
		/* one string per line */
		for (p = text; *p; p++)
			if (*p == '\n')
				*p = '\0';
		n = (size_t)(p - text);
		if (n && text[n - 1] == '\0')
			n--;
		if (mem_ensure((void **)&strs, &cap, 1, len + n + 1)) {
			free(text);
			goto out;
		}
		memcpy(strs + len, text, n);
		len += n;
		strs[len++] = '\0';
		free(text);
	}
	*out = btf_raw__write(NULL, 0, strs, (uint32_t)len, out_sz);
	err = *out ? 0 : -ENOMEM;
out:
	free(strs);
	return err;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);

	return n >= k && !strcmp(s + n - k, suf);
}

/* Entries in one order whatever the order of resolution (deltas reused
 * first): the metadata's bytes do not depend on it. */
static int ment_cmp(const void *x, const void *y)
{
	const struct btfa_entry *a = &((const struct ment *)x)->b.e;
	const struct btfa_entry *b = &((const struct ment *)y)->b.e;
	int c;

	if ((c = strcmp(a->release, b->release)) ||
	    (c = strcmp(a->arch, b->arch)) ||
	    (c = strcmp(a->build_id, b->build_id)) ||
	    (c = memcmp(a->base_sha256, b->base_sha256, 32)) ||
	    (c = memcmp(a->blob_sha256, b->blob_sha256, 32)) ||
	    (c = strcmp(a->distro, b->distro)) ||
	    (c = strcmp(a->distro_version, b->distro_version)))
		return c;
	return strcmp(a->flavour, b->flavour);
}

/* The output: an archive (with the metadata entry) or a directory. */
static int write_out(struct mjob *j, const char *out)
{
	struct btfar_min_core *m = j->m;
	struct btfa_blob_in *v = NULL;
	struct btfa_write_opts wo;
	struct diag d = {""};
	size_t i, k;
	void *meta = NULL;
	size_t meta_sz;
	int err;

	if (!has_suffix(out, ".btfa")) {
		struct file_batch *fb;

		for (i = 0; i < j->cnt; i++)
			for (k = 0; k < i; k++)
				if (!strcmp(j->v[i].b.e.release,
					    j->v[k].b.e.release)) {
					snprintf(m->err, sizeof(m->err),
						 "%s: two builds of release "
						 "%s: one RELEASE.btf per "
						 "release in a directory; "
						 "write a .btfa archive",
						 out, j->v[i].b.e.release);
					return -EEXIST;
				}
		if (mkdir(out, 0755) && errno != EEXIST) {
			err = -errno;
			snprintf(m->err, sizeof(m->err), "%s: %s", out,
				 strerror(errno));
			return err;
		}
		fb = file_batch__new();
		if (!fb)
			return -ENOMEM;
		for (i = 0, err = 0; i < j->cnt && !err; i++) {
			char *path;

			if (strchr(j->v[i].b.e.release, '/') ||
			    !strcmp(j->v[i].b.e.release, "..") ||
			    !*j->v[i].b.e.release) {
				snprintf(m->err, sizeof(m->err),
					 "release '%s' cannot be a file name",
					 j->v[i].b.e.release);
				err = -EINVAL;
				break;
			}
			if (asprintf(&path, "%s/%s.btf", out,
				     j->v[i].b.e.release) < 0) {
				err = -ENOMEM;
				break;
			}
			err = file_batch__add(fb, path, j->v[i].data,
					      j->v[i].size, &d);
			free(path);
		}
		if (!err)
			err = file_batch__commit(fb, &d);
		if (err && !m->err[0])
			snprintf(m->err, sizeof(m->err), "%s: %s", out, d.msg);
		file_batch__free(fb);
		return err;
	}
	qsort(j->v, j->cnt, sizeof(*j->v), ment_cmp);
	err = meta_blob(j, &meta, &meta_sz);
	v = calloc(j->cnt + 2, sizeof(*v));
	if (err || !v) {
		free(meta);
		free(v);
		snprintf(m->err, sizeof(m->err), "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < j->cnt; i++)
		v[i] = j->v[i].b;
	v[i].e.release = META_RELEASE;
	v[i].e.arch = v[i].e.distro = v[i].e.distro_version = "";
	v[i].e.flavour = v[i].e.build_id = "";
	v[i].e.source = META_SOURCE;
	v[i].data = meta;
	v[i].size = meta_sz;
	job_archive_write_opts(j->ao, &wo);
	err = btfa_write(out, v, j->cnt + 1, &wo, &d);
	if (err < 0)
		snprintf(m->err, sizeof(m->err), "%s: %s", out, d.msg);
	free(meta);
	free(v);
	return err < 0 ? err : 0;
}

int btfar_min_core__write_archive(struct btfar_min_core *m, const char *out,
				  const char *const *inputs, size_t input_cnt,
				  const struct btfar_archive_opts *aopts,
				  btfar_min_core_fn fn, void *ctx)
{
	struct mjob j = {.m = m, .ao = aopts, .fn = fn, .ctx = ctx};
	struct btfa_reader *readers = NULL;
	const char **others = NULL;
	struct job_blobs *jb = NULL;
	size_t nr = 0, no = 0, i;
	struct diag d = {""};
	int err = 0;

	m->err[0] = '\0';
	if (!m->obj_cnt) {
		snprintf(m->err, sizeof(m->err), "no BPF object given");
		return -EINVAL;
	}
	readers = calloc(input_cnt + 1, sizeof(*readers));
	others = calloc(input_cnt + 1, sizeof(*others));
	if (!readers || !others || root_names(&j) || prepare(m)) {
		err = -ENOMEM;
		goto nomem;
	}
	for (i = 0; i < input_cnt && !err; i++) {
		if (btfar_archive__probe(inputs[i]) != 1) {
			others[no++] = inputs[i];
			continue;
		}
		err = btfa_reader__open(&readers[nr], inputs[i], &d);
		if (err) {
			snprintf(m->err, sizeof(m->err), "%s: %s", inputs[i],
				 d.msg);
			break;
		}
		nr++;
		err = do_archive(&j, &readers[nr - 1], inputs[i]);
	}
	if (!err && no) {
		err = job_blobs_collect(others, no, aopts, &jb, m->err,
					sizeof(m->err));
		for (i = 0; !err && i < job_blobs_cnt(jb); i++) {
			const struct btfa_blob_in *b = job_blobs_get(jb, i);
			struct btfa_entry e = b->e;
			void *copy = malloc(b->size ? b->size : 1);
			struct sha256 sh;

			if (!copy) {
				err = -ENOMEM;
				goto nomem;
			}
			memcpy(copy, b->data, b->size);
			sha256_init(&sh);
			sha256_update(&sh, b->data, b->size);
			sha256_final(&sh, e.blob_sha256);
			err = do_blob(&j, &e, copy, b->size, NULL, NULL, NULL);
			free(copy);
		}
	}
	if (!err && !j.cnt) {
		snprintf(m->err, sizeof(m->err), "no blob among the inputs");
		err = -ENOENT;
	}
	if (!err)
		err = write_out(&j, out);
	if (!err)
		err = j.with_problems;
	goto out;
nomem:
	snprintf(m->err, sizeof(m->err), "out of memory");
out:
	for (i = 0; i < j.cnt; i++) {
		free(j.v[i].data);
		free(j.v[i].meta);
	}
	free(j.v);
	free(j.names);
	free(j.name_lens);
	free(j.last_out);
	for (i = 0; i < nr; i++)
		btfa_reader__close(&readers[i]);
	free(readers);
	free(others);
	job_blobs_free(jb);
	return err;
}

/* --- the stale check ----------------------------------------------------- */

/* The metadata's lines: its string section split at NULs. */
struct meta {
	void *blob;
	struct btf_raw raw;
	const char **lines;
	size_t cnt;
};

static void meta_release(struct meta *mt)
{
	btf_raw__release(&mt->raw);
	free(mt->blob);
	free(mt->lines);
}

static int meta_read(struct btfa_reader *r, uint32_t idx, struct meta *mt,
		     struct diag *d)
{
	size_t size, cap = 0;
	uint32_t off;
	int err;

	memset(mt, 0, sizeof(*mt));
	err = btfa_reader__read(r, idx, &mt->blob, &size, d);
	if (err)
		return err;
	err = btf_raw__parse(&mt->raw, mt->blob, size, NULL, d);
	if (err)
		return err;
	for (off = 1; off < mt->raw.str_len;
	     off += (uint32_t)strlen(mt->raw.strs + off) + 1) {
		if (mem_ensure((void **)&mt->lines, &cap, sizeof(*mt->lines),
			       mt->cnt + 1))
			return -ENOMEM;
		mt->lines[mt->cnt++] = mt->raw.strs + off;
	}
	if (!mt->cnt || strcmp(mt->lines[0], META_MAGIC)) {
		diag_set(d, "its first line is not '%s'", META_MAGIC);
		return -EBADMSG;
	}
	return 0;
}

/* Field k (0-based) of a tab-separated line into buf. */
static const char *field(const char *line, int k, char *buf, size_t sz)
{
	const char *p = line, *end;

	while (k-- > 0 && p)
		p = (p = strchr(p, '\t')) ? p + 1 : NULL;
	if (!p) {
		buf[0] = '\0';
		return buf;
	}
	end = strchr(p, '\t');
	snprintf(buf, sz, "%.*s", (int)(end ? (size_t)(end - p) : strlen(p)),
		 p);
	return buf;
}

static const char *outcome_name(unsigned o)
{
	switch (o) {
	case CORE_RESOLVED:
		return "resolved";
	case CORE_NO_MATCH:
		return "unresolved";
	case CORE_LOCAL:
		return "local";
	case CORE_AMBIGUOUS:
		return "ambiguous";
	}
	return "?";
}

int btfar_min_core__check(struct btfar_min_core *m, const char *archive,
			  btfar_min_core_check_fn fn, void *ctx)
{
	struct btfa_reader r;
	struct meta mt = {0};
	struct diag d = {""};
	uint32_t i, mi = UINT32_MAX, k, ri;
	size_t l, j, first;
	int err, mismatches = 0;

	m->err[0] = '\0';
	if (!m->obj_cnt) {
		snprintf(m->err, sizeof(m->err), "no BPF object given");
		return -EINVAL;
	}
	err = prepare(m);
	if (err) {
		snprintf(m->err, sizeof(m->err), "out of memory");
		return err;
	}
	err = btfa_reader__open(&r, archive, &d);
	if (err) {
		snprintf(m->err, sizeof(m->err), "%s: %s", archive, d.msg);
		return err;
	}
	for (i = 0; i < r.entry_cnt; i++)
		if (!strcmp(r.entries[i].release, META_RELEASE) &&
		    !strcmp(r.entries[i].source, META_SOURCE))
			mi = i;
	if (mi == UINT32_MAX) {
		snprintf(m->err, sizeof(m->err),
			 "%s: not a min-core archive: no %s entry (btfar "
			 "min-core -o X.btfa writes one; btfar pack does not)",
			 archive, META_RELEASE);
		err = -EINVAL;
		goto out;
	}
	err = meta_read(&r, mi, &mt, &d);
	if (err) {
		snprintf(m->err, sizeof(m->err), "%s: entry %s: %s", archive,
			 META_RELEASE, d.msg);
		goto out;
	}
	for (i = 0; i < r.entry_cnt && err >= 0; i++) {
		const struct btfa_entry *e = &r.entries[i];
		char sha[65], want[256], f[6][1024];
		struct btf_raw targ = {0};
		void *blob = NULL;
		size_t size;

		if (i == mi)
			continue;
		hex_encode(e->blob_sha256, 32, sha);
		snprintf(want, sizeof(want), "%s\t%s\t%s\t%s", e->release,
			 e->arch, e->build_id, sha);
		for (first = 0, l = 1; l < mt.cnt; l++)
			if (!strncmp(mt.lines[l], "entry\t", 6) &&
			    !strncmp(mt.lines[l] + 6, want, strlen(want)) &&
			    mt.lines[l][6 + strlen(want)] == '\t') {
				first = l + 1;
				break;
			}
		err = btfa_reader__read(&r, i, &blob, &size, &d);
		if (!err)
			err = btf_raw__parse(&targ, blob, size, NULL, &d);
		if (err) {
			snprintf(m->err, sizeof(m->err),
				 "%s: entry %u (%s): %s", archive, i,
				 e->release, d.msg);
			btf_raw__release(&targ);
			free(blob);
			break;
		}
		err = resolve_all(m, &targ, NULL, NULL, false, m->res, NULL);
		btf_raw__release(&targ);
		free(blob);
		if (err)
			break;
		for (j = 0, ri = 0; j < m->obj_cnt; j++) {
			const struct object *o = &m->objs[j];

			for (k = 0; k < o->obj.relo_cnt; k++, ri++) {
				const struct bpf_obj_relo *rl =
					&o->obj.relos[k];
				struct btfar_min_core_mismatch mm = {0};
				char what[512], key[1024], want_out[16],
					want_val[32];
				bool found = false, same = false;

				snprintf(want_out, sizeof(want_out), "%u",
					 m->res[ri].outcome);
				snprintf(want_val, sizeof(want_val), "%llu",
					 (unsigned long long)m->res[ri].val);
				for (l = first;
				     first && l < mt.cnt &&
				     !strncmp(mt.lines[l], "relo\t", 5);
				     l++) {
					char on[16], oname[1024];
					size_t n;

					/* the object by its file name */
					field(mt.lines[l], 1, on, sizeof(on));
					snprintf(oname, sizeof(oname),
						 "object\t%s\t", on);
					for (n = 1; n < mt.cnt; n++)
						if (!strncmp(mt.lines[n], oname,
							     strlen(oname)))
							break;
					if (n == mt.cnt ||
					    strcmp(field(mt.lines[n], 4, key,
							 sizeof(key)),
						   o->name))
						continue;
					snprintf(key, sizeof(key), "%s\t%s\t%s",
						 field(mt.lines[l], 2, f[0],
						       sizeof(f[0])),
						 field(mt.lines[l], 3, f[1],
						       sizeof(f[1])),
						 field(mt.lines[l], 4, f[2],
						       sizeof(f[2])));
					if (strcmp(key, m->keys[ri]))
						continue;
					found = true;
					field(mt.lines[l], 5, f[3],
					      sizeof(f[3]));
					field(mt.lines[l], 6, f[4],
					      sizeof(f[4]));
					same = !strcmp(f[3], want_out) &&
					       !strcmp(f[4], want_val);
					if (same)
						break;
				}
				if (same)
					continue;
				if (!first)
					snprintf(what, sizeof(what),
						 "the archive records no "
						 "result for this entry");
				else if (!found)
					snprintf(what, sizeof(what),
						 "not recorded: the archive "
						 "was made for other objects; "
						 "now %s %.64s",
						 outcome_name(
							 m->res[ri].outcome),
						 want_val);
				else
					snprintf(what, sizeof(what),
						 "recorded %s %.64s, now %s "
						 "%.64s",
						 outcome_name(
							 (unsigned)atoi(f[3])),
						 f[4],
						 outcome_name(
							 m->res[ri].outcome),
						 want_val);
				mismatches++;
				mm.release = e->release;
				mm.arch = e->arch;
				mm.object = o->path;
				mm.section = o->obj.secs[rl->sec].name;
				mm.kind = bpf_obj__kind_name(rl->kind);
				field(m->keys[ri], 2, key, sizeof(key));
				mm.field = key;
				mm.what = what;
				if (fn)
					fn(&mm, ctx);
			}
		}
	}
	if (err >= 0)
		err = mismatches;
out:
	meta_release(&mt);
	btfa_reader__close(&r);
	return err;
}
