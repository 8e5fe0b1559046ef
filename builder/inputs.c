// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* inputs: the module files a list of paths names. */
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "builder/job.h"

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

/* nftw has no context argument: walks are serialized. */
static pthread_mutex_t walk_lock = PTHREAD_MUTEX_INITIALIZER;
static struct path_list *walk_list;

static int walk_cb(const char *path, const struct stat *st, int type,
		   struct FTW *ftw)
{
	(void)ftw;
	if (type != FTW_F || !S_ISREG(st->st_mode) || !job_is_module_path(path))
		return 0;
	walk_list->err = list_add(walk_list, path);
	return walk_list->err ? 1 : 0;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int job_collect_modules(const char *const *inputs, size_t n, char ***paths,
			size_t *cnt, struct diag *d)
{
	struct path_list l = {0};
	size_t i, w;
	int err = 0;

	for (i = 0; !err && i < n; i++) {
		struct stat st;

		if (stat(inputs[i], &st) < 0) {
			err = -errno;
			diag_set(d, "%s: %s", inputs[i], strerror(errno));
			break;
		}
		if (!S_ISDIR(st.st_mode)) {
			err = list_add(&l, inputs[i]);
			if (err)
				diag_set(d, "out of memory");
			continue;
		}
		pthread_mutex_lock(&walk_lock);
		walk_list = &l;
		/* FTW_PHYS: symbolic links are not followed */
		if (nftw(inputs[i], walk_cb, 32, FTW_PHYS) && !l.err)
			l.err = -errno;
		pthread_mutex_unlock(&walk_lock);
		if (l.err) {
			err = l.err;
			diag_set(d, "%s: cannot walk the directory: %s",
				 inputs[i], strerror(-err));
		}
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

void job_free_paths(char **paths, size_t cnt)
{
	size_t i;

	for (i = 0; i < cnt; i++)
		free(paths[i]);
	free(paths);
}
