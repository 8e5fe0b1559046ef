// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * min_core_job: btfar_min_core__*: BPF objects read once (formats/bpf_obj),
 * then per blob: every relocation resolved (merge/core_relo), in object
 * order and record order with one candidate cache per object as libbpf
 * does, what they used marked and written (merge/min_core).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btfar/btfar.h"
#include "formats/bpf_obj.h"
#include "formats/file.h"
#include "formats/mem.h"
#include "merge/core_relo.h"
#include "merge/min_core.h"

#define MAX_OBJECT_BYTES (256ull << 20)

struct object {
	char *path;
	struct bpf_obj obj;
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
		       const struct bpf_obj_relo *r, const struct core_res *res)
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
		snprintf(buf, sizeof(buf),
			 "%s: [%u] %s gives %llu (bit %u), [%u] %s gives %llu "
			 "(bit %u)",
			 res->offset_ambiguity
				 ? "field offset ambiguity"
				 : "relocation decision ambiguity",
			 res->targ.root_type_id, a,
			 (unsigned long long)res->targ_val,
			 res->targ.bit_offset, res->other.root_type_id, b,
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

int btfar_min_core__run(struct btfar_min_core *m, const void *blob, size_t size,
			void **out, size_t *out_sz,
			const struct btfar_min_core_report **report)
{
	struct btf_raw targ = {0};
	struct core_target *tg = NULL;
	struct min_core *mc = NULL;
	struct core_res *res = NULL;
	struct diag d = {""};
	void *copy = NULL;
	size_t i;
	uint32_t k;
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
	res = malloc(sizeof(*res));
	if (!copy || !res) {
		err = -ENOMEM;
		goto nomem;
	}
	memcpy(copy, blob, size);
	err = btf_raw__parse(&targ, copy, size, NULL, &d);
	if (err) {
		snprintf(m->err, sizeof(m->err), "blob: %s", d.msg);
		goto out;
	}
	tg = core_target__new(&targ);
	mc = min_core__new(&targ);
	if (!tg || !mc) {
		err = -ENOMEM;
		goto nomem;
	}
	m->report.objects = (uint32_t)m->obj_cnt;
	m->report.types_in = btf_raw__type_cnt(&targ) - 1;
	for (i = 0; i < m->obj_cnt; i++) {
		const struct object *o = &m->objs[i];
		struct core_cands *cc = core_cands__new(&o->obj.btf);

		if (!cc) {
			err = -ENOMEM;
			goto nomem;
		}
		for (k = 0; k < o->obj.relo_cnt; k++) {
			const struct bpf_obj_relo *r = &o->obj.relos[k];
			const char *sec = o->obj.secs[r->sec].name;
			char a[512], b[512];

			m->report.relocations++;
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
				      res->targ.root_type_id, b, res->match_cnt,
				      res->cand_cnt);
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
				if (add_problem(m, o, r, res)) {
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
			err = min_core__record(mc, r->kind, res);
			if (err) {
				snprintf(m->err, sizeof(m->err),
					 "%s: %s: insn %u: marking the types "
					 "of %s failed (%d)",
					 o->path, sec, r->insn_off / 8, a, err);
				core_cands__free(cc);
				goto out;
			}
		}
		core_cands__free(cc);
	}
	err = min_core__write(mc, out, out_sz, &m->report.types_out, &d);
	if (err) {
		snprintf(m->err, sizeof(m->err), "%s", d.msg);
		goto out;
	}
	m->report.problems = m->problems;
	err = (int)m->report.ambiguous;
	goto out;
nomem:
	snprintf(m->err, sizeof(m->err), "out of memory");
out:
	m->report.problems = m->problems;
	min_core__free(mc);
	core_target__free(tg);
	btf_raw__release(&targ);
	free(copy);
	free(res);
	return err;
}
