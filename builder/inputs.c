// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * inputs: the module files a list of paths names, and module names from
 * paths (job_module_name, job_list_has).
 *
 * What a file among the module inputs is (job_input_kind), in this order:
 *
 * 1. A name ending in .ko, .ko.xz, .ko.zst or .ko.gz: a module file, taken
 *    on its name (its content is checked when it is read: a bad one is
 *    skipped with the reason, as any unreadable module).
 * 2. Raw BTF: the BTF magic 0xeB9F at offset 0 (in either byte order: the
 *    validator refuses the other one by name). Split or standalone:
 *    - split BTF is what a module carries in .BTF and what btfar rebase
 *      writes (NAME.btf): it numbers its strings after its base's, so its
 *      string section is empty or does not start with NUL; one that
 *      starts with NUL is split too when it does not validate on its own
 *      (it refers to types past its own: its first type id comes after a
 *      base's). Split BTF is a module.
 *    - standalone BTF (a vmlinux BTF, a distilled .BTF.base) has a string
 *      section that starts with NUL and validates without a base. It is
 *      never a module: an error that names it (give it as --base).
 *    A raw BTF file whose header does not locate its string section
 *    (truncated, sections past the end) is taken as a module, and the
 *    validator refuses it with the reason when it is read.
 * 3. Named explicitly, an ELF file whatever its name: a module.
 * 4. Anything else is not a module: in a directory it is ignored (counted,
 *    and named at the debug log level: modules.order, README), named
 *    explicitly it is an error.
 *
 * Inputs that yield no module at all are an error for every pipeline
 * (job_no_module_error), never an empty output.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builder/job.h"
#include "formats/file.h"
#include "formats/le.h"

/* what the messages say was looked for */
#define LOOKED_FOR "*.ko, *.ko.xz, *.ko.zst, *.ko.gz and raw split BTF files"

/* a raw BTF file read whole to tell split from standalone: at most this */
#define RAW_MAX_BYTES (1ull << 30)

struct path_list {
	char **paths;
	size_t cnt, cap;
	int err;
};

static int list_add(struct path_list *l, const char *path)
{
	if (l->cnt == l->cap) {
		size_t ncap = l->cap ? l->cap * 2 : 64;
		char **p = realloc(l->paths, ncap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->paths = p;
		l->cap = ncap;
	}
	l->paths[l->cnt] = strdup(path);
	if (!l->paths[l->cnt])
		return -ENOMEM;
	l->cnt++;
	return 0;
}

size_t job_module_suffix_len(const char *path)
{
	static const char *const sfx[] = {".ko", ".ko.xz", ".ko.zst", ".ko.gz"};
	size_t len = strlen(path), i;

	for (i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		size_t sl = strlen(sfx[i]);

		if (len > sl && !strcmp(path + len - sl, sfx[i]))
			return sl;
	}
	return 0;
}

bool job_is_module_path(const char *path)
{
	return job_module_suffix_len(path) != 0;
}

static int read_at(int fd, void *buf, size_t size, off_t off)
{
	ssize_t n;

	do
		n = pread(fd, buf, size, off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == (ssize_t)size ? 0 : -ENODATA;
}

/*
 * Raw BTF whose string section starts with NUL: standalone when it
 * validates without a base (rule 2 above).
 */
static int raw_standalone(const char *path, bool *standalone, struct diag *d)
{
	struct btf_raw raw = {0};
	struct diag vd = {""};
	void *data = NULL;
	size_t size = 0;
	int err;

	err = file_read_all(path, RAW_MAX_BYTES, &data, &size, d);
	if (err)
		return err;
	*standalone = !btf_raw__parse(&raw, data, size, NULL, &vd);
	btf_raw__release(&raw);
	free(data);
	return 0;
}

int job_classify_input(const char *path, bool named, enum job_input_kind *kind,
		       struct diag *d)
{
	uint8_t hdr[24], first;
	struct stat st;
	bool standalone;
	uint64_t str_at;
	int fd, err;

	*kind = JOB_INPUT_OTHER;
	if (job_is_module_path(path)) {
		*kind = JOB_INPUT_MODULE;
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		diag_set(d, "cannot open: %s", strerror(errno));
		return err;
	}
	if (fstat(fd, &st) < 0) {
		err = -errno;
		diag_set(d, "cannot stat: %s", strerror(errno));
		goto out;
	}
	memset(hdr, 0, sizeof(hdr));
	err = read_at(fd, hdr, st.st_size < 24 ? (size_t)st.st_size : 24, 0);
	if (err) {
		diag_set(d, "read: %s", strerror(-err));
		goto out;
	}
	if (hdr[0] == 0xeb && hdr[1] == 0x9f) {
		/* the other byte order: raw BTF, refused by the validator */
		*kind = JOB_INPUT_RAW_SPLIT;
		goto out;
	}
	if (hdr[0] != 0x9f || hdr[1] != 0xeb) {
		if (named && hdr[0] == 0x7f && !memcmp(hdr + 1, "ELF", 3))
			*kind = JOB_INPUT_MODULE;
		goto out;
	}
	/* header: magic u16, version u8, flags u8, hdr_len, type_off,
	 * type_len, str_off, str_len (u32 each) */
	*kind = JOB_INPUT_RAW_SPLIT;
	str_at = (uint64_t)le32_get(hdr + 4) + le32_get(hdr + 16);
	if (st.st_size < 24 || le32_get(hdr + 4) < 24 ||
	    str_at + le32_get(hdr + 20) > (uint64_t)st.st_size)
		goto out; /* the validator says what is wrong */
	if (!le32_get(hdr + 20))
		goto out; /* no strings: split */
	err = read_at(fd, &first, 1, (off_t)str_at);
	if (err) {
		diag_set(d, "read at byte %llu: %s", (unsigned long long)str_at,
			 strerror(-err));
		goto out;
	}
	if (first)
		goto out; /* split */
	err = raw_standalone(path, &standalone, d);
	if (!err && standalone)
		*kind = JOB_INPUT_RAW_STANDALONE;
out:
	close(fd);
	return err;
}

/* nftw has no context argument: walks are serialized. */
static pthread_mutex_t walk_lock = PTHREAD_MUTEX_INITIALIZER;

static struct walk_state {
	struct path_list *list;
	struct job_inputs *in;
	struct diag *d;
	uint32_t modules, raw, ignored; /* in this directory */
	int err;
} walk;

static void in_log(struct job_inputs *in, enum btfar_log_level level,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void in_log(struct job_inputs *in, enum btfar_log_level level,
		   const char *fmt, ...)
{
	char buf[DIAG_MAX];
	va_list ap;

	if (!in || !in->log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	job_log(in->log, in->log_ctx, in->lock, level, "%s", buf);
}

static const char *standalone_msg(void)
{
	return "standalone BTF (its string section starts with NUL and it "
	       "validates without a base), not the split BTF of a module: "
	       "a vmlinux BTF is given as --base";
}

/* One file of a directory walk: a module, raw split BTF, or ignored. */
static int walk_cb(const char *path, const struct stat *st, int type,
		   struct FTW *ftw)
{
	enum job_input_kind kind;
	struct diag d = {""};
	int err;

	(void)ftw;
	if (type != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	err = job_classify_input(path, false, &kind, &d);
	if (err) {
		/* unreadable: not a module file by name, so not one */
		in_log(walk.in, BTFAR_LOG_DEBUG, "%s: ignored: %s", path,
		       d.msg);
		walk.ignored++;
		return 0;
	}
	switch (kind) {
	case JOB_INPUT_MODULE:
		walk.modules++;
		break;
	case JOB_INPUT_RAW_SPLIT:
		walk.raw++;
		break;
	case JOB_INPUT_RAW_STANDALONE:
		diag_set(walk.d, "%s: %s", path, standalone_msg());
		walk.err = -EINVAL;
		return 1;
	default:
		in_log(walk.in, BTFAR_LOG_DEBUG,
		       "%s: ignored: neither a module file (.ko, .ko.xz, "
		       ".ko.zst, .ko.gz) nor raw BTF",
		       path);
		walk.ignored++;
		return 0;
	}
	walk.err = list_add(walk.list, path);
	if (walk.err)
		diag_set(walk.d, "out of memory");
	return walk.err ? 1 : 0;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A file named explicitly: a module, raw split BTF, or an error. */
static int add_named(struct path_list *l, const char *path,
		     struct job_inputs *in, struct diag *d)
{
	enum job_input_kind kind;
	int err;

	err = job_classify_input(path, true, &kind, d);
	if (err) {
		diag_prefix(d, "%s: ", path);
		return err;
	}
	switch (kind) {
	case JOB_INPUT_MODULE:
		in->modules++;
		break;
	case JOB_INPUT_RAW_SPLIT:
		in->raw++;
		break;
	case JOB_INPUT_RAW_STANDALONE:
		diag_set(d, "%s: %s", path, standalone_msg());
		return -EINVAL;
	default:
		diag_set(d,
			 "%s: neither a kernel module (.ko, .ko.xz, .ko.zst, "
			 ".ko.gz, or an ELF file) nor raw BTF (magic 0xeB9F "
			 "at offset 0)",
			 path);
		return -EINVAL;
	}
	err = list_add(l, path);
	if (err)
		diag_set(d, "out of memory");
	return err;
}

int job_collect_modules(const char *const *inputs, size_t n, char ***paths,
			size_t *cnt, struct job_inputs *in, struct diag *d)
{
	struct job_inputs none = {0};
	struct path_list l = {0};
	size_t i, w;
	int err = 0;

	if (!in)
		in = &none;
	for (i = 0; !err && i < n; i++) {
		struct stat st;

		if (stat(inputs[i], &st) < 0) {
			err = -errno;
			diag_set(d, "%s: %s", inputs[i], strerror(errno));
			break;
		}
		if (!S_ISDIR(st.st_mode)) {
			err = add_named(&l, inputs[i], in, d);
			continue;
		}
		pthread_mutex_lock(&walk_lock);
		walk = (struct walk_state){.list = &l, .in = in, .d = d};
		/* FTW_PHYS: symbolic links are not followed */
		if (nftw(inputs[i], walk_cb, 32, FTW_PHYS) && !walk.err) {
			walk.err = -errno;
			diag_set(d, "%s: cannot walk the directory: %s",
				 inputs[i], strerror(errno));
		}
		err = walk.err;
		in->modules += walk.modules;
		in->raw += walk.raw;
		in->ignored += walk.ignored;
		if (!err)
			in_log(in, BTFAR_LOG_INFO,
			       "%s: %u module file%s, %u raw split BTF "
			       "file%s, %u other file%s ignored",
			       inputs[i], walk.modules,
			       walk.modules == 1 ? "" : "s", walk.raw,
			       walk.raw == 1 ? "" : "s", walk.ignored,
			       walk.ignored == 1 ? "" : "s");
		walk = (struct walk_state){0};
		pthread_mutex_unlock(&walk_lock);
	}
	if (err) {
		job_free_paths(l.paths, l.cnt);
		return err;
	}
	if (l.cnt)
		qsort(l.paths, l.cnt, sizeof(*l.paths), cmp_path);
	for (i = 0, w = 0; i < l.cnt; i++) {
		if (w && !strcmp(l.paths[w - 1], l.paths[i])) {
			free(l.paths[i]);
			continue;
		}
		l.paths[w++] = l.paths[i];
	}
	*paths = l.paths;
	*cnt = w;
	return 0;
}

int job_no_module_error(const char *const *inputs, size_t n,
			const struct job_inputs *in, struct diag *d)
{
	char names[DIAG_MAX / 2] = "";
	size_t i, len = 0;

	/* the first few inputs, then how many more */
	for (i = 0; i < n && i < 4; i++) {
		int k = snprintf(names + len, sizeof(names) - len, "%s%s",
				 i ? ", " : "", inputs[i]);

		if (k < 0 || (size_t)k >= sizeof(names) - len)
			break;
		len += (size_t)k;
	}
	if (i < n)
		snprintf(names + len, sizeof(names) - len, " and %zu more",
			 n - i);
	if (in && in->ignored)
		diag_set(d,
			 "%s: no kernel module found (looked for " LOOKED_FOR
			 "; %u other file%s ignored)",
			 names, in->ignored, in->ignored == 1 ? "" : "s");
	else
		diag_set(d,
			 "%s: no kernel module found (looked for " LOOKED_FOR
			 ")",
			 names);
	return -ENOENT;
}

void job_free_paths(char **paths, size_t cnt)
{
	size_t i;

	for (i = 0; i < cnt; i++)
		free(paths[i]);
	free(paths);
}

/* Module name from a path: the file name without suffix, '-' as '_'. */
char *job_module_name(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t len, sl;
	char *name, *p;

	base = base ? base + 1 : path;
	len = strlen(base);
	sl = job_module_suffix_len(base);
	if (!sl && len > 4 && !strcmp(base + len - 4, ".btf"))
		sl = 4;
	name = strndup(base, len - sl);
	for (p = name; p && *p; p++)
		if (*p == '-')
			*p = '_';
	return name;
}

/* A comma-separated list holds name ('-' and '_' are the same). */
bool job_list_has(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p = list;

	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p), i;

		if (n == len) {
			for (i = 0; i < n; i++) {
				char a = p[i] == '-' ? '_' : p[i];
				char b = name[i] == '-' ? '_' : name[i];

				if (a != b)
					break;
			}
			if (i == n)
				return true;
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}
