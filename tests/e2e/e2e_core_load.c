// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * e2e_core_load PROG.o BLOB REFERENCE WORKDIR: loads the CO-RE program
 * PROG.o (core_running.bpf.c) into the running kernel through libbpf, with
 * bpf_object_open_opts.btf_custom_path = BLOB (the running kernel's BTF as
 * `btfar get --running` wrote it), and checks that it read the right
 * fields. REFERENCE is /sys/kernel/btf/vmlinux, the kernel's own BTF: the
 * offsets libbpf relocated the fields to must be the ones it gives.
 *
 * The program is run by BPF_PROG_TEST_RUN in a second thread, whose
 * thread id differs from the process id and whose name is set here, so
 * every value read has one right answer: pid = gettid(), tgid = getpid(),
 * real_parent->tgid = getppid(), comm = the thread's name, mm != 0.
 *
 * The same checks must catch a wrong blob. Two are derived from BLOB here
 * with libbpf's BTF API (written into WORKDIR):
 *  - swapped.btf: task_struct's pid and tgid members trade offsets. libbpf
 *    relocates to the swapped offsets, the verifier accepts the program,
 *    and the values read are wrong (pid reads getpid()): the checks must
 *    say so.
 *  - nopid.btf: task_struct's pid renamed. The relocation of pid finds no
 *    field: bpf_object__load must fail, and libbpf must say which
 *    relocation failed.
 *
 * Exit 0 pass, 1 fail, 77 skip (not root, bpf() not permitted, as in a
 * user namespace, raw_tp programs not supported; the reason on stdout).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "core_running.h"

#define THREAD_NAME "btfar-core"

/* The fields read, in the order of struct core_out's offsets. */
static const char *const fields[] = {"pid", "tgid", "real_parent", "mm",
				     "comm"};
#define NFIELDS 5

static char logbuf[1 << 20];
static size_t loglen;

/* Every libbpf message of the current load, kept for the checks and
 * printed when a load goes wrong. */
static int capture(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int n;

	(void)level;
	if (loglen >= sizeof(logbuf) - 1)
		return 0;
	n = vsnprintf(logbuf + loglen, sizeof(logbuf) - loglen, fmt, ap);
	if (n > 0)
		loglen += (size_t)n < sizeof(logbuf) - loglen
				  ? (size_t)n
				  : sizeof(logbuf) - loglen - 1;
	return n;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The byte offset of member `name` of struct `type` in btf, through
 * anonymous struct and union members as libbpf's field matching goes;
 * the member itself in *mp when asked. -1 if not found.
 */
static long member_off(const struct btf *btf, int id, const char *name,
		       const struct btf_member **mp)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_member *m;
	int i;

	while (t && btf_is_mod(t))
		t = btf__type_by_id(btf, t->type);
	if (!t || !btf_is_composite(t))
		return -1;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *mn = btf__name_by_offset(btf, m->name_off);
		long off = btf_member_bit_offset(t, i) / 8, sub;

		if (mn && !strcmp(mn, name)) {
			if (mp)
				*mp = m;
			return off;
		}
		if (mn && *mn)
			continue;
		sub = member_off(btf, m->type, name, mp);
		if (sub >= 0)
			return off + sub;
	}
	return -1;
}

static int task_struct_id(const struct btf *btf)
{
	return btf__find_by_name_kind(btf, "task_struct", BTF_KIND_STRUCT);
}

/* What the thread that runs the program knows about itself. */
struct truth {
	long tid, pid, ppid;
	char comm[16];
};

struct run {
	int prog_fd;
	int err;
	__u32 retval;
	struct truth truth;
};

static void *run_thread(void *arg)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts);
	struct run *r = arg;

	prctl(PR_SET_NAME, THREAD_NAME);
	prctl(PR_GET_NAME, r->truth.comm);
	r->truth.tid = syscall(SYS_gettid);
	r->truth.pid = getpid();
	r->truth.ppid = getppid();
	r->err = bpf_prog_test_run_opts(r->prog_fd, &topts) ? -errno : 0;
	r->retval = topts.retval;
	return NULL;
}

struct result {
	struct core_out out;
	struct truth truth;
	double t_load; /* open + load, s */
};

/*
 * Opens PROG with btf_custom_path = blob, loads it, runs it once in a
 * second thread and reads the map back. Returns 0, or -errno of the failed
 * step (the libbpf log in logbuf).
 */
static int load_run(const char *prog, const char *blob, struct result *res)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts, .btf_custom_path = blob);
	struct bpf_object *obj;
	struct bpf_program *p;
	struct bpf_map *map;
	struct run r = {0};
	pthread_t th;
	__u32 key = 0;
	double t0 = now();
	int err;

	memset(res, 0, sizeof(*res));
	loglen = 0;
	logbuf[0] = '\0';
	obj = bpf_object__open_file(prog, &oopts);
	if (!obj)
		return -errno;
	err = bpf_object__load(obj);
	res->t_load = now() - t0;
	if (err)
		goto out;
	p = bpf_object__find_program_by_name(obj, "read_task");
	map = bpf_object__find_map_by_name(obj, "out");
	if (!p || !map) {
		fprintf(stderr, "%s: no program read_task or map out\n", prog);
		err = -ENOENT;
		goto out;
	}
	r.prog_fd = bpf_program__fd(p);
	err = pthread_create(&th, NULL, run_thread, &r);
	if (err) {
		err = -err;
		goto out;
	}
	pthread_join(th, NULL);
	if (r.err || r.retval != 1) {
		fprintf(stderr,
			"BPF_PROG_TEST_RUN: %s, retval %u (want 0 and 1)\n",
			strerror(-r.err), r.retval);
		err = r.err ? r.err : -EINVAL;
		goto out;
	}
	res->truth = r.truth;
	if (bpf_map_lookup_elem(bpf_map__fd(map), &key, &res->out)) {
		err = -errno;
		goto out;
	}
out:
	bpf_object__close(obj);
	return err;
}

/* The offsets the program reported, in the order of fields[]. */
static void got_offs(const struct core_out *o, long offs[NFIELDS])
{
	offs[0] = (long)o->off_pid;
	offs[1] = (long)o->off_tgid;
	offs[2] = (long)o->off_real_parent;
	offs[3] = (long)o->off_mm;
	offs[4] = (long)o->off_comm;
}

/* Prints every mismatch between what the program read and the truth, and
 * between the relocated offsets and want[]; returns their number. */
static int mismatches(const char *what, const struct result *res,
		      const long want[NFIELDS])
{
	const struct core_out *o = &res->out;
	const struct truth *t = &res->truth;
	long offs[NFIELDS];
	int i, bad = 0;

	got_offs(o, offs);
	for (i = 0; i < NFIELDS; i++)
		if (offs[i] != want[i]) {
			printf("%s: task_struct.%s relocated to byte %ld, the "
			       "kernel's BTF says %ld\n",
			       what, fields[i], offs[i], want[i]);
			bad++;
		}
	if (o->pid != t->tid) {
		printf("%s: task->pid read %lld, gettid() is %ld\n", what,
		       (long long)o->pid, t->tid);
		bad++;
	}
	if (o->tgid != t->pid) {
		printf("%s: task->tgid read %lld, getpid() is %ld\n", what,
		       (long long)o->tgid, t->pid);
		bad++;
	}
	if (o->parent_tgid != t->ppid) {
		printf("%s: task->real_parent->tgid read %lld, getppid() is "
		       "%ld\n",
		       what, (long long)o->parent_tgid, t->ppid);
		bad++;
	}
	if (!o->mm) {
		printf("%s: task->mm read 0, want a user process's mm\n", what);
		bad++;
	}
	if (strncmp(o->comm, t->comm, sizeof(o->comm))) {
		printf("%s: task->comm read '%.16s', the thread is '%s'\n",
		       what, o->comm, t->comm);
		bad++;
	}
	return bad;
}

/* The wrong blobs: BLOB copied into a BTF libbpf lets us change. */
static int write_wrong(const char *blob, const char *path, bool swap)
{
	struct btf *src = btf__parse(blob, NULL), *w = NULL;
	const struct btf_member *cm_pid = NULL, *cm_tgid = NULL;
	struct btf_member *m_pid, *m_tgid;
	const void *raw;
	__u32 raw_sz;
	int id, name_off = 0, err = -EINVAL;
	FILE *f;

	if (!src)
		return -errno;
	w = btf__new_empty();
	if (!w || btf__add_btf(w, src) < 0)
		goto out;
	if (!swap) {
		name_off = btf__add_str(w, "pid_renamed_by_the_test");
		if (name_off < 0)
			goto out;
	}
	/* the types of w are writable: libbpf copied them */
	id = task_struct_id(w);
	if (id < 0 || member_off(w, id, "pid", &cm_pid) < 0 ||
	    member_off(w, id, "tgid", &cm_tgid) < 0)
		goto out;
	m_pid = (struct btf_member *)cm_pid;
	m_tgid = (struct btf_member *)cm_tgid;
	if (swap) {
		__u32 o = m_pid->offset;

		m_pid->offset = m_tgid->offset;
		m_tgid->offset = o;
	} else {
		m_pid->name_off = (__u32)name_off;
	}
	raw = btf__raw_data(w, &raw_sz);
	f = raw ? fopen(path, "wb") : NULL;
	if (!f || fwrite(raw, 1, raw_sz, f) != raw_sz || fclose(f)) {
		err = -errno;
		goto out;
	}
	err = 0;
out:
	btf__free(w);
	btf__free(src);
	return err;
}

static void print_log(const char *what)
{
	size_t n = loglen > 4000 ? loglen - 4000 : 0;

	printf("--- libbpf messages of %s (last 4000 bytes):\n%s---\n", what,
	       logbuf + n);
}

/* Loads "r0 = 0; exit" as a raw_tp program: 0, or -errno. */
static int probe_raw_tp(void)
{
	const struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	int fd;

	fd = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, NULL, "GPL", insns, 2,
			   NULL);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	const char *prog, *blob, *ref, *dir;
	char swapped[4096], nopid[4096];
	struct btf *kbtf;
	struct result res;
	long want[NFIELDS], sw[NFIELDS];
	int i, id, err, fails = 0;

	if (argc != 5) {
		fprintf(stderr,
			"usage: e2e_core_load PROG.o BLOB REFERENCE WORKDIR\n");
		return 2;
	}
	prog = argv[1], blob = argv[2], ref = argv[3], dir = argv[4];
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	libbpf_set_print(capture);
	if (geteuid() != 0) {
		printf("SKIP: not root: loading BPF programs needs root\n");
		return 77;
	}
	err = probe_raw_tp();
	if (err) {
		printf("SKIP: %s (BPF_PROG_LOAD: %s)\n",
		       err == -EPERM || err == -EACCES
			       ? "bpf() not permitted here"
			       : "this kernel loads no raw_tp program",
		       strerror(-err));
		return 77;
	}

	/* the offsets the kernel's own BTF gives */
	kbtf = btf__parse(ref, NULL);
	if (!kbtf) {
		fprintf(stderr, "FAIL: btf__parse(%s): %s\n", ref,
			strerror(errno));
		return 1;
	}
	id = task_struct_id(kbtf);
	for (i = 0; i < NFIELDS; i++) {
		want[i] = id < 0 ? -1 : member_off(kbtf, id, fields[i], NULL);
		if (want[i] < 0) {
			fprintf(stderr, "FAIL: %s: no task_struct.%s\n", ref,
				fields[i]);
			return 1;
		}
	}
	btf__free(kbtf);
	printf("%s: task_struct pid @%ld, tgid @%ld, real_parent @%ld, mm "
	       "@%ld, comm @%ld\n",
	       ref, want[0], want[1], want[2], want[3], want[4]);

	/* the blob from the archive: loads, reads right */
	err = load_run(prog, blob, &res);
	if (err) {
		print_log(blob);
		fprintf(stderr, "FAIL: %s with btf_custom_path %s: %s\n", prog,
			blob, strerror(-err));
		return 1;
	}
	printf("btf_custom_path %s: loaded in %.3f s; pid %lld tgid %lld "
	       "real_parent->tgid %lld mm 0x%llx comm '%.16s'\n",
	       blob, res.t_load, (long long)res.out.pid,
	       (long long)res.out.tgid, (long long)res.out.parent_tgid,
	       (unsigned long long)res.out.mm, res.out.comm);
	if (mismatches(blob, &res, want)) {
		fprintf(stderr, "FAIL: %s: the program read wrong fields\n",
			blob);
		fails++;
	} else {
		printf("ok: the verifier accepted the program relocated on "
		       "%s; the 5 offsets are the kernel's and every value "
		       "read is right\n",
		       blob);
	}

	/* pid and tgid swapped: loads, and the checks above catch it */
	snprintf(swapped, sizeof(swapped), "%s/swapped.btf", dir);
	err = write_wrong(blob, swapped, true);
	if (err) {
		fprintf(stderr, "FAIL: cannot write %s: %s\n", swapped,
			strerror(-err));
		return 1;
	}
	err = load_run(prog, swapped, &res);
	memcpy(sw, want, sizeof(sw));
	sw[0] = want[1], sw[1] = want[0];
	if (err) {
		print_log(swapped);
		fprintf(stderr, "FAIL: %s: load failed (%s), want loaded\n",
			swapped, strerror(-err));
		fails++;
	} else if (mismatches("swapped", &res, want) < 4 ||
		   mismatches("swapped, against its own offsets", &res, sw) !=
			   2) {
		/* against the kernel: the two offsets and the two values;
		 * against the swapped BTF: its offsets, and still the two
		 * values, read at the wrong places */
		fprintf(stderr,
			"FAIL: %s: the checks do not catch pid and tgid "
			"swapped\n",
			swapped);
		fails++;
	} else {
		printf("ok: %s loads, libbpf relocates pid and tgid to its "
		       "swapped offsets, and the checks catch the wrong "
		       "values\n",
		       swapped);
	}

	/* pid missing: the relocation fails, so does the load */
	snprintf(nopid, sizeof(nopid), "%s/nopid.btf", dir);
	err = write_wrong(blob, nopid, false);
	if (err) {
		fprintf(stderr, "FAIL: cannot write %s: %s\n", nopid,
			strerror(-err));
		return 1;
	}
	err = load_run(prog, nopid, &res);
	if (!err) {
		fprintf(stderr, "FAIL: %s: loaded without task_struct.pid\n",
			nopid);
		fails++;
	} else if (!strstr(logbuf, "failed to resolve CO-RE relocation") ||
		   !strstr(logbuf, "struct task_struct.pid")) {
		print_log(nopid);
		fprintf(stderr,
			"FAIL: %s: load failed (%s), but libbpf does not name "
			"the relocation of task_struct.pid\n",
			nopid, strerror(-err));
		fails++;
	} else {
		printf("ok: %s: bpf_object__load fails (%s), libbpf: "
		       "\"failed to resolve CO-RE relocation ... struct "
		       "task_struct.pid\"\n",
		       nopid, strerror(-err));
	}
	return fails ? 1 : 0;
}
