// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* pahole: pahole --version and pahole -J as programs (builder/pahole.h). */
#include "pahole.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/spawn.h"

/* The last line of pahole's stderr that says something, for messages. */
static void last_lines(const char *err, char *out, size_t sz)
{
	size_t len = strlen(err);
	const char *p;

	while (len && (err[len - 1] == '\n' || err[len - 1] == ' '))
		len--;
	/* up to the last 3 lines */
	p = err + len;
	for (int lines = 0; p > err; p--) {
		if (p[-1] == '\n' && ++lines == 3)
			break;
	}
	snprintf(out, sz, "%.*s", (int)(err + len - p), p);
	for (char *c = out; *c; c++)
		if (*c == '\n')
			*c = ' ';
}

/* spawn_run() of pahole, with the message that says how to get it when it
 * is missing. */
static int run_pahole(const char *pahole, const char *const *argv,
		      unsigned int timeout_s, struct spawn_result *r,
		      struct diag *d)
{
	int err = spawn_run(argv, timeout_s, r, d);

	if (err == -ENOENT)
		diag_set(d,
			 "cannot run '%s' (needed to encode BTF from DWARF; "
			 "Debian: apt-get install dwarves): not found",
			 pahole);
	return err;
}

int pahole_version(const char *pahole, unsigned int timeout_s, char *ver,
		   size_t ver_sz, struct diag *d)
{
	const char *argv[] = {pahole, "--version", NULL};
	struct spawn_result *r = calloc(1, sizeof(*r));
	size_t len;
	int err;

	if (!r) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	err = run_pahole(pahole, argv, timeout_s, r, d);
	if (err)
		goto out;
	len = strcspn(r->out, "\r\n");
	if (r->exit_code != 0 || !len) {
		char tail[512];

		last_lines(r->err, tail, sizeof(tail));
		diag_set(d, "'%s --version' failed (exit %d): %s", pahole,
			 r->exit_code, tail);
		err = -EINVAL;
		goto out;
	}
	snprintf(ver, ver_sz, "%.*s", (int)len, r->out);
out:
	free(r);
	return err;
}

int pahole_encode(const char *pahole, const char *in, const char *base_btf,
		  const char *out, int threads, unsigned int timeout_s,
		  struct diag *d)
{
	char detached[4200], base_arg[4200], jobs[32];
	const char *argv[12];
	struct spawn_result *r;
	struct stat st;
	size_t n = 0;
	int err;

	if ((size_t)snprintf(detached, sizeof(detached),
			     "--btf_encode_detached=%s",
			     out) >= sizeof(detached) ||
	    (base_btf &&
	     (size_t)snprintf(base_arg, sizeof(base_arg), "--btf_base=%s",
			      base_btf) >= sizeof(base_arg))) {
		diag_set(d, "path too long");
		return -ENAMETOOLONG;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	argv[n++] = pahole;
	argv[n++] = "-J";
	argv[n++] = "--btf_gen_floats";
	argv[n++] = "--lang_exclude=rust";
	if (threads > 1) {
		snprintf(jobs, sizeof(jobs), "-j%d", threads);
		argv[n++] = jobs;
	}
	if (base_btf)
		argv[n++] = base_arg;
	argv[n++] = detached;
	argv[n++] = in;
	argv[n] = NULL;
	unlink(out);
	err = run_pahole(pahole, argv, timeout_s, r, d);
	if (err)
		goto out;
	if (r->exit_code != 0 || stat(out, &st) < 0 || !st.st_size) {
		char tail[512];

		last_lines(r->err, tail, sizeof(tail));
		if (r->term_signal)
			diag_set(d, "pahole killed by signal %d: %s",
				 r->term_signal, tail[0] ? tail : "no message");
		else if (r->exit_code)
			diag_set(d, "pahole failed (exit %d): %s", r->exit_code,
				 tail[0] ? tail : "no message");
		else
			diag_set(d, "pahole wrote no BTF (no DWARF?)%s%s",
				 tail[0] ? ": " : "", tail);
		err = -EINVAL;
	}
out:
	free(r);
	return err;
}

int pahole_workdir_new(char *path, size_t path_sz, struct diag *d)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !*tmp)
		tmp = "/tmp";
	if ((size_t)snprintf(path, path_sz, "%s/btfar-dwarf.XXXXXX", tmp) >=
	    path_sz) {
		diag_set(d, "TMPDIR too long");
		return -ENAMETOOLONG;
	}
	if (!mkdtemp(path)) {
		int err = -errno;

		diag_set(d, "cannot create a work directory in %s: %s", tmp,
			 strerror(errno));
		path[0] = '\0';
		return err;
	}
	return 0;
}

static int rm_one(const char *p, const struct stat *sb, int type, struct FTW *f)
{
	(void)sb;
	(void)f;
	if (type == FTW_DP)
		rmdir(p);
	else
		unlink(p);
	return 0;
}

void pahole_workdir_remove(const char *path)
{
	if (!path || !path[0])
		return;
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
