// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * peer_merge: reference implementations, on Debian 12's libbpf 1.1.2, of the
 * two ways to merge the split BTF of many kernel modules with their vmlinux
 * base that btfar is measured against. Inputs are raw split .BTF files (see
 * extract_btf); the base is a vmlinux ELF or raw BTF.
 *
 *   peer_merge --mode datadog|split --base VMLINUX -o OUT [--check] FILE|DIR...
 *   peer_merge --stat BTF          (prints "stat: types N bytes B strings S")
 *
 * Algorithm summary.
 *
 * Both modes: load every module with btf__parse_split() on the base (sorted
 * path order), then append each module's types one by one with
 * btf__add_type() (which copies the record and re-interns its strings), then
 * fix up the type ids inside each appended record: ids below the base's
 * type count point into the base and stay; module-local ids are shifted by
 * (first id the module got in the destination) - (base type count). libbpf
 * 1.1 cannot do this with btf__add_btf(): it returns -ENOTSUP for a split
 * source.
 *
 *  --mode datadog: what the DataDog btfhub fork's `bpftool btf merge` does.
 *    The destination is a NON-split copy of the base (btf__new() over the
 *    base's raw bytes), so btf__dedup() runs over base + all modules at once,
 *    and the output is the destination's raw bytes.
 *
 *  --mode split: the destination is one split BTF on the base
 *    (btf__new_empty_split()), so btf__dedup() deduplicates the module
 *    types among themselves and against a base it leaves untouched. The
 *    self-contained output is written by hand: one header, base types then
 *    split types, base strings then split strings. This is valid because
 *    split string offsets already start at the base's string section size
 *    and split type ids at the base's type count.
 *
 * Prints on stderr, one line each:
 *   time: load L append A dedup D write W total T      (seconds)
 *   types: base B modules_in I modules_out O total N
 *   bytes: out N strings S
 */
#define _GNU_SOURCE
#include "bench_util.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <linux/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum peer_mode {
	MODE_DATADOG,
	MODE_SPLIT,
};

static const char *const btf_suffixes[] = {".btf", ".BTF", NULL};

/*
 * Call @fn on every type id field of @t. Kinds without references (INT,
 * FLOAT, ENUM, ENUM64, FWD) have none.
 */
static void btf_type_visit_ids(struct btf_type *t,
			       void (*fn)(__u32 *id, void *ctx), void *ctx)
{
	struct btf_var_secinfo *v;
	struct btf_member *m;
	struct btf_param *p;
	struct btf_array *a;
	__u16 i, n = btf_vlen(t);

	switch (btf_kind(t)) {
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
	case BTF_KIND_TYPE_TAG:
		fn(&t->type, ctx);
		break;
	case BTF_KIND_ARRAY:
		a = btf_array(t);
		fn(&a->type, ctx);
		fn(&a->index_type, ctx);
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		m = btf_members(t);
		for (i = 0; i < n; i++)
			fn(&m[i].type, ctx);
		break;
	case BTF_KIND_FUNC_PROTO:
		fn(&t->type, ctx);
		p = btf_params(t);
		for (i = 0; i < n; i++)
			fn(&p[i].type, ctx);
		break;
	case BTF_KIND_DATASEC:
		v = btf_var_secinfos(t);
		for (i = 0; i < n; i++)
			fn(&v[i].type, ctx);
		break;
	default:
		break;
	}
}

/* Where a module's local ids land in the destination. */
struct remap {
	__u32 base_cnt;	    /* ids below stay: they name base types */
	__u32 first_dst_id; /* destination id of the module's id base_cnt */
};

static void remap_id(__u32 *id, void *ctx)
{
	const struct remap *r = ctx;

	if (*id >= r->base_cnt)
		*id = *id - r->base_cnt + r->first_dst_id;
}

/* Append every type of split @mod (on a base of @base_cnt ids) to @dst. */
static int append_module(struct btf *dst, const struct btf *mod, __u32 base_cnt)
{
	struct remap r = {.base_cnt = base_cnt,
			  .first_dst_id = btf__type_cnt(dst)};
	__u32 id, n = btf__type_cnt(mod);
	struct btf_type *t;
	int new_id;

	for (id = base_cnt; id < n; id++) {
		new_id = btf__add_type(dst, mod, btf__type_by_id(mod, id));
		if (new_id < 0)
			return new_id;
		/* dst is modifiable after btf__add_type(): its types are ours
		 */
		t = (struct btf_type *)btf__type_by_id(dst, new_id);
		btf_type_visit_ids(t, remap_id, &r);
	}
	return 0;
}

static int write_all(FILE *f, const void *data, size_t len)
{
	return fwrite(data, 1, len, f) == len ? 0 : -EIO;
}

/*
 * Write base + @split as one self-contained raw BTF to @f. Returns 0 or a
 * negative errno; sets *@out_len and *@str_len.
 */
static int write_self_contained(FILE *f, const struct btf *base,
				const struct btf *split, size_t *out_len,
				size_t *str_len)
{
	const struct btf_header *bh, *sh;
	struct btf_header hdr;
	const char *braw, *sraw;
	__u32 bsz, ssz;
	int err;

	braw = btf__raw_data(base, &bsz);
	sraw = btf__raw_data(split, &ssz);
	if (!braw || !sraw)
		return -ENOMEM;
	bh = (const struct btf_header *)braw;
	sh = (const struct btf_header *)sraw;
	if (bsz < sizeof(*bh) || ssz < sizeof(*sh) || bh->magic != BTF_MAGIC ||
	    bh->hdr_len > bsz || bh->type_off > bsz - bh->hdr_len ||
	    bh->type_len > bsz - bh->hdr_len - bh->type_off ||
	    bh->str_off > bsz - bh->hdr_len ||
	    bh->str_len > bsz - bh->hdr_len - bh->str_off ||
	    sh->hdr_len + sh->type_off + sh->type_len > ssz ||
	    sh->hdr_len + sh->str_off + sh->str_len > ssz)
		return -EBADMSG;

	memset(&hdr, 0, sizeof(hdr));
	hdr.magic = BTF_MAGIC;
	hdr.version = BTF_VERSION;
	hdr.hdr_len = sizeof(hdr);
	hdr.type_off = 0;
	hdr.type_len = bh->type_len + sh->type_len;
	hdr.str_off = hdr.type_len;
	hdr.str_len = bh->str_len + sh->str_len;

	err = write_all(f, &hdr, sizeof(hdr));
	if (!err)
		err = write_all(f, braw + bh->hdr_len + bh->type_off,
				bh->type_len);
	if (!err)
		err = write_all(f, sraw + sh->hdr_len + sh->type_off,
				sh->type_len);
	if (!err)
		err = write_all(f, braw + bh->hdr_len + bh->str_off,
				bh->str_len);
	if (!err)
		err = write_all(f, sraw + sh->hdr_len + sh->str_off,
				sh->str_len);
	*out_len = sizeof(hdr) + hdr.type_len + hdr.str_len;
	*str_len = hdr.str_len;
	return err;
}

static void usage(void)
{
	fprintf(stderr, "usage: peer_merge --mode datadog|split --base VMLINUX "
			"-o OUT [--check] FILE|DIR...\n"
			"       peer_merge --stat BTF\n");
	exit(2);
}

/* Describe a self-contained BTF the way libbpf reads it (any producer). */
static int stat_btf(const char *path)
{
	const struct btf_header *h;
	struct btf *btf;
	const void *raw;
	__u32 sz;

	btf = btf__parse(path, NULL);
	if (!btf) {
		fprintf(stderr, "peer_merge: %s: %s\n", path, strerror(errno));
		return 1;
	}
	raw = btf__raw_data(btf, &sz);
	h = raw;
	printf("stat: types %u bytes %u strings %u\n", btf__type_cnt(btf) - 1,
	       raw ? sz : 0, raw ? h->str_len : 0);
	btf__free(btf);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"mode", required_argument, NULL, 'm'},
		{"base", required_argument, NULL, 'b'},
		{"output", required_argument, NULL, 'o'},
		{"check", no_argument, NULL, 'c'},
		{"stat", required_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	const char *base_path = NULL, *out_path = NULL;
	enum peer_mode mode = MODE_SPLIT;
	struct btf *base = NULL, *dst = NULL, **mods = NULL, *chk;
	double t0, t_load, t_append, t_dedup, t_write;
	size_t i, cnt = 0, mod_types = 0, out_len = 0, str_len = 0;
	__u32 base_cnt, dst_base_cnt, sz;
	bool check = false;
	char **paths = NULL;
	const void *raw;
	FILE *f = NULL;
	int opt, err = 0, ret = 1;

	while ((opt = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (opt) {
		case 'm':
			if (!strcmp(optarg, "datadog"))
				mode = MODE_DATADOG;
			else if (!strcmp(optarg, "split"))
				mode = MODE_SPLIT;
			else
				usage();
			break;
		case 'b':
			base_path = optarg;
			break;
		case 'o':
			out_path = optarg;
			break;
		case 'c':
			check = true;
			break;
		case 's':
			return stat_btf(optarg);
		default:
			usage();
		}
	}
	if (!base_path || !out_path || optind == argc)
		usage();
	for (; optind < argc; optind++) {
		err = path_list_add(argv[optind], btf_suffixes, &paths, &cnt);
		if (err) {
			fprintf(stderr, "peer_merge: %s: %s\n", argv[optind],
				strerror(-err));
			goto out;
		}
	}
	path_list_sort(paths, cnt);
	mods = calloc(cnt ? cnt : 1, sizeof(*mods));
	if (!mods)
		goto out;

	/* load */
	t0 = now_wall();
	base = btf__parse(base_path, NULL);
	if (!base) {
		fprintf(stderr, "peer_merge: %s: %s\n", base_path,
			strerror(errno));
		goto out;
	}
	base_cnt = btf__type_cnt(base);
	for (i = 0; i < cnt; i++) {
		mods[i] = btf__parse_split(paths[i], base);
		if (!mods[i]) {
			fprintf(stderr, "peer_merge: %s: %s\n", paths[i],
				strerror(errno));
			goto out;
		}
		mod_types += btf__type_cnt(mods[i]) - base_cnt;
	}
	t_load = now_wall();

	/* append */
	if (mode == MODE_DATADOG) {
		raw = btf__raw_data(base, &sz);
		dst = raw ? btf__new(raw, sz) : NULL;
	} else {
		dst = btf__new_empty_split(base);
	}
	if (!dst) {
		fprintf(stderr, "peer_merge: new destination BTF: %s\n",
			strerror(errno));
		goto out;
	}
	dst_base_cnt = btf__type_cnt(dst);
	for (i = 0; i < cnt; i++) {
		err = append_module(dst, mods[i], base_cnt);
		if (err) {
			fprintf(stderr, "peer_merge: %s: append: %s\n",
				paths[i], strerror(-err));
			goto out;
		}
	}
	t_append = now_wall();

	/* dedup */
	err = btf__dedup(dst, NULL);
	if (err) {
		fprintf(stderr, "peer_merge: btf__dedup: %s\n", strerror(-err));
		goto out;
	}
	t_dedup = now_wall();

	/* write */
	f = fopen(out_path, "wb");
	if (!f) {
		fprintf(stderr, "peer_merge: %s: %s\n", out_path,
			strerror(errno));
		goto out;
	}
	if (mode == MODE_DATADOG) {
		const struct btf_header *h;

		raw = btf__raw_data(dst, &sz);
		err = raw ? write_all(f, raw, sz) : -ENOMEM;
		if (raw) {
			h = raw;
			out_len = sz;
			str_len = h->str_len;
		}
	} else {
		err = write_self_contained(f, base, dst, &out_len, &str_len);
	}
	if (fclose(f) && !err)
		err = -errno;
	f = NULL;
	if (err) {
		fprintf(stderr, "peer_merge: %s: write: %s\n", out_path,
			strerror(-err));
		goto out;
	}
	t_write = now_wall();

	fprintf(stderr,
		"time: load %.2f append %.2f dedup %.2f write %.2f "
		"total %.2f\n",
		t_load - t0, t_append - t_load, t_dedup - t_append,
		t_write - t_dedup, t_write - t0);
	fprintf(stderr,
		"types: base %u modules_in %zu modules_out %u total %u\n",
		base_cnt - 1, mod_types, btf__type_cnt(dst) - dst_base_cnt,
		btf__type_cnt(dst) - 1);
	fprintf(stderr, "bytes: out %zu strings %zu modules %zu\n", out_len,
		str_len, cnt);

	if (check) {
		chk = btf__parse(out_path, NULL);
		if (!chk) {
			fprintf(stderr, "peer_merge: check: %s: %s\n", out_path,
				strerror(errno));
			goto out;
		}
		fprintf(stderr, "check: %s parses, %u types\n", out_path,
			btf__type_cnt(chk) - 1);
		btf__free(chk);
	}
	ret = 0;
out:
	if (f)
		fclose(f);
	if (ret && out_path)
		unlink(out_path);
	for (i = 0; mods && i < cnt; i++)
		btf__free(mods[i]);
	free(mods);
	btf__free(dst);
	btf__free(base);
	path_list_free(paths, cnt);
	return ret;
}
