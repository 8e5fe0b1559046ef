// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * btfhub: the btfhub-archive tree (formats/btfhub.h): reproducible
 * .btf.tar.xz files through libarchive, and catalog.json from a walk of the
 * tree.
 */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/btfhub.h"
#include "formats/file.h"
#include "formats/mem.h"
#include "formats/sha256.h"

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && !strcmp(s + n - m, suf);
}

const char *btfhub_arch(const char *arch)
{
	return !strcmp(arch, "aarch64") ? "arm64" : arch;
}

struct membuf {
	uint8_t *p;
	size_t len, cap;
};

static la_ssize_t mem_write(struct archive *ar, void *ctx, const void *data,
			    size_t n)
{
	struct membuf *m = ctx;

	(void)ar;
	if (mem_ensure((void **)&m->p, &m->cap, 1, m->len + n))
		return -1;
	memcpy(m->p + m->len, data, n);
	m->len += n;
	return (la_ssize_t)n;
}

/* A reproducible <name> in ustar + xz -9: mode 0444, root 0:0, mtime 0. */
static int tar_xz(const char *name, const void *data, size_t size,
		  struct membuf *out, struct diag *d)
{
	struct archive *ar = archive_write_new();
	struct archive_entry *ae = archive_entry_new();
	int ret = -EIO;

	if (!ar || !ae) {
		ret = -ENOMEM;
		goto out;
	}
	if (archive_write_set_format_ustar(ar) != ARCHIVE_OK ||
	    archive_write_add_filter_xz(ar) != ARCHIVE_OK ||
	    archive_write_set_filter_option(ar, "xz", "compression-level",
					    "9") != ARCHIVE_OK ||
	    /* no zero padding after the xz stream (what `tar -cJf` gives) */
	    archive_write_set_bytes_in_last_block(ar, 1) != ARCHIVE_OK ||
	    archive_write_open(ar, out, NULL, mem_write, NULL) != ARCHIVE_OK)
		goto fail;
	archive_entry_set_pathname(ae, name);
	archive_entry_set_size(ae, (la_int64_t)size);
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_perm(ae, 0444);
	archive_entry_set_uid(ae, 0);
	archive_entry_set_gid(ae, 0);
	archive_entry_set_uname(ae, "root");
	archive_entry_set_gname(ae, "root");
	archive_entry_set_mtime(ae, 0, 0);
	if (archive_write_header(ar, ae) != ARCHIVE_OK ||
	    archive_write_data(ar, data, size) != (la_ssize_t)size ||
	    archive_write_close(ar) != ARCHIVE_OK)
		goto fail;
	ret = 0;
	goto out;
fail:
	diag_set(d, "%s: libarchive: %s", name, archive_error_string(ar));
out:
	archive_entry_free(ae);
	archive_write_free(ar);
	return ret;
}

static int mkdir_p(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

bool btfhub_bad_component(const char *s)
{
	return !*s || strchr(s, '/') || !strcmp(s, ".") || !strcmp(s, "..");
}

/* Files of the tree, as "arch\tdistro\tversion\trelease\tsha256". */
struct catalog {
	char **lines;
	size_t cnt, cap;
	const char *root;
	int err;
};

static struct catalog *cat_walk; /* nftw has no context argument */

static int cat_visit(const char *path, const struct stat *st, int type,
		     struct FTW *ftw)
{
	struct catalog *c = cat_walk;
	const char *rel = path + strlen(c->root) + 1;
	char d[256], v[256], a[256], r[512], sum[65];
	void *data;
	size_t size;
	struct diag dg;

	(void)st;
	if (type != FTW_F || ftw->level != 4 || !has_suffix(rel, ".btf.tar.xz"))
		return 0;
	if (sscanf(rel, "%255[^/]/%255[^/]/%255[^/]/%511s", d, v, a, r) != 4)
		return 0;
	r[strlen(r) - strlen(".btf.tar.xz")] = '\0';
	if (file_read_all(path, 0, &data, &size, &dg)) {
		c->err = -EIO;
		return 1;
	}
	sha256_hex(data, size, sum);
	free(data);
	if (mem_ensure((void **)&c->lines, &c->cap, sizeof(char *),
		       c->cnt + 1) ||
	    asprintf(&c->lines[c->cnt], "%s\t%s\t%s\t%s\t%s", a, d, v, r, sum) <
		    0) {
		c->err = -ENOMEM;
		return 1;
	}
	c->cnt++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void json_str(struct membuf *m, const char *s)
{
	char tmp[8];

	mem_write(NULL, m, "\"", 1);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\') {
			tmp[0] = '\\';
			tmp[1] = *s;
			mem_write(NULL, m, tmp, 2);
		} else if ((unsigned char)*s < 0x20) {
			snprintf(tmp, sizeof(tmp), "\\u%04x", *s);
			mem_write(NULL, m, tmp, 6);
		} else {
			mem_write(NULL, m, s, 1);
		}
	}
	mem_write(NULL, m, "\"", 1);
}

int btfhub_write_catalog(const char *dir, struct diag *d)
{
	struct catalog c = {.root = dir};
	struct membuf m = {0};
	char *prev[4] = {0}, *path = NULL;
	size_t i, k;
	int ret;

	cat_walk = &c;
	if (nftw(dir, cat_visit, 16, FTW_PHYS) < 0 || c.err) {
		ret = c.err ? c.err : -errno;
		diag_set(d, "%s: cannot walk the tree: %s", dir,
			 strerror(-ret));
		goto out;
	}
	qsort(c.lines, c.cnt, sizeof(char *), cmp_str);
	mem_write(NULL, &m, "{", 1);
	for (i = 0; i < c.cnt; i++) {
		char *f[5], *save = NULL;
		size_t same = 0;

		f[0] = strtok_r(c.lines[i], "\t", &save);
		for (k = 1; k < 5; k++)
			f[k] = strtok_r(NULL, "\t", &save);
		while (i && same < 3 && !strcmp(prev[same], f[same]))
			same++;
		/* close the levels that changed, open the new ones */
		if (i) {
			for (k = 3; k > same; k--)
				mem_write(NULL, &m, "\n", 1),
					mem_write(NULL, &m, "          ",
						  2 * k),
					mem_write(NULL, &m, "}", 1);
			mem_write(NULL, &m, ",", 1);
		}
		for (k = same; k < 4; k++) {
			mem_write(NULL, &m, "\n", 1);
			mem_write(NULL, &m, "          ", 2 * k + 2);
			json_str(&m, f[k]);
			mem_write(NULL, &m, k < 3 ? ": {" : ": ",
				  k < 3 ? 3 : 2);
		}
		json_str(&m, f[4]);
		for (k = 0; k < 4; k++)
			prev[k] = f[k];
	}
	if (c.cnt)
		for (k = 3; k > 0; k--)
			mem_write(NULL, &m, "\n", 1),
				mem_write(NULL, &m, "          ", 2 * k),
				mem_write(NULL, &m, "}", 1);
	mem_write(NULL, &m, "\n}\n", 3);
	if (asprintf(&path, "%s/catalog.json", dir) < 0) {
		ret = -ENOMEM;
		goto out;
	}
	ret = file_write_atomic(path, m.p, m.len, d);
	if (ret)
		diag_prefix(d, "%s: ", path);
out:
	for (i = 0; i < c.cnt; i++)
		free(c.lines[i]);
	free(c.lines);
	free(m.p);
	free(path);
	return ret;
}

int btfhub_write_file(const char *dir, const struct btfhub_file *f,
		      const void *blob, size_t size, struct diag *d)
{
	const char *arch = btfhub_arch(f->arch);
	char *sub = NULL, *path = NULL, *name = NULL;
	struct membuf m = {0};
	int ret;

	if (asprintf(&sub, "%s/%s/%s/%s", dir, f->distro, f->distro_version,
		     arch) < 0 ||
	    asprintf(&path, "%s/%s.btf.tar.xz", sub, f->release) < 0 ||
	    asprintf(&name, "%s.btf", f->release) < 0) {
		ret = -ENOMEM;
		diag_set(d, "out of memory");
	} else if ((ret = mkdir_p(sub))) {
		diag_set(d, "%s: cannot create: %s", sub, strerror(-ret));
	} else if (!(ret = tar_xz(name, blob, size, &m, d))) {
		ret = file_write_atomic(path, m.p, m.len, d);
		if (ret)
			diag_prefix(d, "%s: ", path);
	}
	free(m.p);
	free(sub);
	free(path);
	free(name);
	return ret;
}
