// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pkg: walking a kernel package in memory.
 *
 * A directory is walked with nftw(FTW_PHYS): regular files are collected,
 * sorted by path (bytewise) and read whole, one at a time.
 *
 * Anything else goes to libarchive with every filter it has and only the
 * formats a kernel package comes in: ar (.deb), tar (.pkg.tar.*, tarballs),
 * cpio (newc, odc; also the payload of an .rpm, whose lead and headers
 * libarchive's rpm filter strips). zip, 7z, iso9660, rar, cab, lha, xar,
 * warc, mtree and raw stay off: no distro ships a kernel that way, and every
 * reader left off is parser surface an input cannot reach.
 *
 * An ar archive is a .deb: its data.tar* member is read as a nested archive
 * by a second struct archive whose read callback hands over the outer
 * archive's data blocks as they are (archive_read_data_block, no copy and no
 * temporary file). Of its control.tar* member only the Package field of
 * the control file is read (pkg_stats.package: a caller can tell a split
 * kernel's image-only package by its name); other members are ignored.
 *
 * Each regular-file entry: the path is normalized (a ".." component skips
 * it), its declared size is checked against the caps, want() decides, and a
 * wanted member is read with archive_read_data straight into one malloc of
 * its declared size plus a spare byte; the buffer grows only if the entry
 * turns out to hold more than it declared. The caps count "expanded" bytes:
 * the data read plus the declared size of every unwanted regular member
 * (libarchive still decompresses those to skip over them).
 */
#include "pkg.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "file.h"
#include "mem.h"

#define PKG_BLOCK	  (1 << 20) /* libarchive's read block size */
#define PKG_PROGRESS_STEP (4 << 20) /* bytes between two progress calls */
/* libarchive's private error codes, as archive_private.h sets them on Linux */
#define PKG_ERRNO_FILE_FORMAT EILSEQ
#define PKG_ERRNO_PROGRAMMER  EINVAL
#define PKG_ERRNO_MISC	      (-1)
#define PKG_UNSIZED	      (64 << 10) /* first buffer when no size is declared */

struct walker {
	const struct pkg_walk_opts *o;
	struct pkg_caps caps; /* defaults filled in */
	struct pkg_stats *st;
	uint64_t pkg_size;	/* package file size; 0 for a directory */
	uint64_t expanded;	/* data read + declared sizes skipped over */
	uint64_t next_progress; /* bytes_in + bytes_out of the next call */
	struct archive *outer;	/* the archive reading the package file */
	char *path;		/* normalized path of the current entry */
	size_t path_cap;
	bool data_tar_seen; /* a .deb's data.tar* member was walked */
};

static void walk_progress(struct walker *w, bool force)
{
	uint64_t now;

	if (w->outer)
		w->st->bytes_in = (uint64_t)archive_filter_bytes(w->outer, -1);
	if (!w->o->progress)
		return;
	now = w->st->bytes_in + w->st->bytes_out;
	if (!force && now < w->next_progress)
		return;
	w->next_progress = now + PKG_PROGRESS_STEP;
	w->o->progress(w->st, w->o->ctx);
}

/*
 * Normalizes src into w->path: no leading "/" or "./", empty and "."
 * components dropped, no trailing "/". Returns 1, 0 when the entry is to be
 * skipped (a ".." component, or nothing left), or -ENOMEM.
 */
static int path_normalize(struct walker *w, const char *src)
{
	size_t len = strlen(src), n = 0, clen;
	const char *p = src, *end;

	if (mem_ensure((void **)&w->path, &w->path_cap, 1, len + 1))
		return -ENOMEM;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchr(p, '/');
		if (!end)
			end = p + strlen(p);
		clen = (size_t)(end - p);
		if (clen == 2 && p[0] == '.' && p[1] == '.')
			return 0;
		if (!(clen == 1 && p[0] == '.')) {
			if (n)
				w->path[n++] = '/';
			memcpy(w->path + n, p, clen);
			n += clen;
		}
		p = end;
	}
	w->path[n] = '\0';
	return n ? 1 : 0;
}

/* Checks that size more bytes out keep the package within its caps. */
static int caps_check(struct walker *w, uint64_t more, struct diag *d)
{
	uint64_t total = w->expanded + more, lim;

	/* every member passes here first: the place to stop a walk */
	if (w->o->stop && w->o->stop(w->o->ctx)) {
		diag_set(d, "interrupted");
		return -EINTR;
	}

	if (total < w->expanded || total > w->caps.max_total) {
		diag_set(d,
			 "package expands past the cap of %llu bytes "
			 "(%llu bytes out with this member)",
			 (unsigned long long)w->caps.max_total,
			 (unsigned long long)total);
		return -EFBIG;
	}
	if (w->pkg_size &&
	    !__builtin_mul_overflow(w->pkg_size, w->caps.max_ratio, &lim) &&
	    total > lim) {
		diag_set(d,
			 "decompression bomb: %llu bytes out of a %llu-byte "
			 "package, over the ratio cap of %llu",
			 (unsigned long long)total,
			 (unsigned long long)w->pkg_size,
			 (unsigned long long)w->caps.max_ratio);
		return -EFBIG;
	}
	return 0;
}

static int member_cap_error(struct walker *w, uint64_t size, bool declared,
			    struct diag *d)
{
	diag_set(d, "%s %llu bytes, over the member cap of %llu bytes",
		 declared ? "declares" : "holds at least",
		 (unsigned long long)size,
		 (unsigned long long)w->caps.max_member);
	return -EFBIG;
}

/* A negative errno for libarchive's last error on a. */
static int archive_err(struct archive *a)
{
	int e = archive_errno(a);

	if (e == ENOMEM)
		return -ENOMEM;
	/* file-format and misc errors mean a corrupt or truncated input */
	if (e > 0 && e != PKG_ERRNO_FILE_FORMAT && e != PKG_ERRNO_PROGRAMMER)
		return -e;
	return -EINVAL;
}

static const char *archive_msg(struct archive *a)
{
	const char *s = archive_error_string(a);

	return s ? s : "unknown libarchive error";
}

static long long pkg_offset(struct walker *w)
{
	return w->outer ? (long long)archive_filter_bytes(w->outer, -1) : -1;
}

/* Hands a wanted member's bytes to data(), or frees them. */
static int entry_deliver(struct walker *w, const struct pkg_entry *e, void *buf,
			 size_t len, struct diag *d)
{
	int err;

	w->st->bytes_out += len;
	w->expanded += len;
	if (!w->o->data) {
		free(buf);
		return 0;
	}
	err = w->o->data(e, buf, len, w->o->ctx);
	if (err < 0) {
		diag_set(d, "stopped by the data callback: %s", strerror(-err));
		return err;
	}
	return 0;
}

/*
 * Reads the current entry of a into one buffer of its declared size (+1 for
 * a NUL), probing for bytes past that size and growing only if there are.
 */
static int entry_read(struct walker *w, struct archive *a,
		      const struct pkg_entry *e, bool sized, struct diag *d)
{
	size_t cap = sized ? (size_t)e->size + 1 : PKG_UNSIZED + 1;
	size_t len = 0;
	char *buf;
	int err;

	buf = malloc(cap);
	if (!buf) {
		diag_set(d, "out of memory for %zu bytes", cap);
		return -ENOMEM;
	}
	for (;;) {
		la_ssize_t n;

		/* the last byte of buf is kept for the NUL, except to probe */
		n = archive_read_data(a, buf + len,
				      len + 1 < cap ? cap - 1 - len : 1);
		if (n == 0)
			break;
		if (n < 0) {
			err = archive_err(a);
			diag_set(d,
				 "truncated or corrupt: %zu of %llu bytes "
				 "read (package byte %lld): %s",
				 len, (unsigned long long)e->size,
				 pkg_offset(w), archive_msg(a));
			goto err;
		}
		len += (size_t)n;
		if (len + 1 < cap)
			continue;
		if (len + 1 > cap) {
			/* a probe byte came: the entry lied about its size */
			if (len > w->caps.max_member) {
				err = member_cap_error(w, len, false, d);
				goto err;
			}
			err = caps_check(w, len, d);
			if (err)
				goto err;
			if (mem_ensure((void **)&buf, &cap, 1, len + 2)) {
				diag_set(d, "out of memory for %zu bytes",
					 len + 2);
				err = -ENOMEM;
				goto err;
			}
		}
		walk_progress(w, false);
	}
	if (sized && len < e->size) {
		diag_set(d, "truncated: %zu of %llu bytes (package byte %lld)",
			 len, (unsigned long long)e->size, pkg_offset(w));
		err = -EINVAL;
		goto err;
	}
	buf[len] = '\0';
	return entry_deliver(w, e, buf, len, d);
err:
	free(buf);
	return err;
}

/* The file suffix of a compression filter, as in "tar.zst". */
static const char *filter_ext(int code)
{
	switch (code) {
	case ARCHIVE_FILTER_GZIP:
		return "gz";
	case ARCHIVE_FILTER_BZIP2:
		return "bz2";
	case ARCHIVE_FILTER_XZ:
		return "xz";
	case ARCHIVE_FILTER_ZSTD:
		return "zst";
	case ARCHIVE_FILTER_LZMA:
		return "lzma";
	case ARCHIVE_FILTER_LZ4:
		return "lz4";
	case ARCHIVE_FILTER_LZIP:
		return "lz";
	case ARCHIVE_FILTER_COMPRESS:
		return "Z";
	default:
		return NULL;
	}
}

/* Names what was detected: "tar.xz", "cpio", "rpm (zstd)", "deb (ar)". */
static void format_describe(struct archive *a, char *buf, size_t sz)
{
	int i, n = archive_filter_count(a), code, comp = ARCHIVE_FILTER_NONE;
	const char *comp_name = NULL, *ext;
	bool rpm = false;

	/* filter 0 sits next to the format; the last one reads the file */
	for (i = 0; i < n - 1; i++) {
		code = archive_filter_code(a, i);
		if (code == ARCHIVE_FILTER_RPM) {
			rpm = true;
		} else if (code != ARCHIVE_FILTER_NONE && !comp_name) {
			comp = code;
			comp_name = archive_filter_name(a, i);
		}
	}
	ext = filter_ext(comp);
	if (!ext)
		ext = comp_name;
	switch (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) {
	case ARCHIVE_FORMAT_AR:
		snprintf(buf, sz, "deb (ar)");
		break;
	case ARCHIVE_FORMAT_CPIO:
		if (rpm)
			snprintf(buf, sz, "rpm (%s)",
				 comp_name ? comp_name : "uncompressed");
		else
			snprintf(buf, sz, "cpio%s%s", ext ? "." : "",
				 ext ? ext : "");
		break;
	case ARCHIVE_FORMAT_TAR:
		snprintf(buf, sz, "tar%s%s", ext ? "." : "", ext ? ext : "");
		break;
	default:
		snprintf(buf, sz, "%s", archive_format_name(a));
		break;
	}
}

static int walk_archive(struct walker *w, struct archive *a, const char *outer,
			struct diag *d);

/* Reads the nested archive's bytes from the outer one's current member. */
struct nest {
	struct walker *w;
	struct archive *outer;
	int64_t off; /* offset expected of the next block */
};

static la_ssize_t nest_read(struct archive *inner, void *ctx, const void **buf)
{
	struct nest *n = ctx;
	const void *b;
	size_t sz;
	la_int64_t off;
	int r;

	r = archive_read_data_block(n->outer, &b, &sz, &off);
	if (r == ARCHIVE_EOF)
		return 0;
	if (r < ARCHIVE_WARN) {
		int e = archive_errno(n->outer);

		archive_set_error(inner, e ? e : PKG_ERRNO_MISC, "%s",
				  archive_msg(n->outer));
		return -1;
	}
	if (off != n->off) {
		archive_set_error(inner, PKG_ERRNO_FILE_FORMAT,
				  "member has a hole at byte %lld",
				  (long long)n->off);
		return -1;
	}
	n->off += (int64_t)sz;
	walk_progress(n->w, false);
	*buf = b;
	return (la_ssize_t)sz;
}

static int walk_nested(struct walker *w, struct archive *outer,
		       const char *name, struct diag *d)
{
	struct nest n = {w, outer, 0};
	struct archive *inner;
	int err;

	inner = archive_read_new();
	if (!inner) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	/* a .deb's data member is a tar, compressed or not */
	archive_read_support_filter_all(inner);
	archive_read_support_format_tar(inner);
	if (archive_read_open(inner, &n, NULL, nest_read, NULL) != ARCHIVE_OK) {
		err = archive_err(inner);
		diag_set(d, "%s (package byte %lld)", archive_msg(inner),
			 pkg_offset(w));
		goto out;
	}
	err = walk_archive(w, inner, name, d);
out:
	archive_read_free(inner);
	return err;
}

/*
 * The Package field of a .deb's control file (deb822: "Field: value" lines,
 * field names case-insensitive, continuation lines start with a blank)
 * into out, "" when there is none or it is not a valid package name
 * (Debian policy 5.6.1: [a-z0-9][a-z0-9+.-]+).
 */
void pkg_control_package(const char *text, size_t len, char *out, size_t out_sz)
{
	const char *p = text, *end = text + len;

	if (!out_sz)
		return;
	out[0] = '\0';
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *q = p + 8, *v;
		size_t n;

		if (!eol)
			eol = end;
		if (eol - p < 8 || strncasecmp(p, "package:", 8)) {
			p = eol + 1;
			continue;
		}
		while (q < eol && (*q == ' ' || *q == '\t'))
			q++;
		v = q;
		while (q < eol &&
		       ((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') ||
			*q == '+' || *q == '.' || *q == '-'))
			q++;
		n = (size_t)(q - v);
		/* what follows the name can only be blanks (or a CR) */
		while (q < eol && (*q == ' ' || *q == '\t' || *q == '\r'))
			q++;
		if (q != eol || n < 2 || n >= out_sz || *v == '+' ||
		    *v == '.' || *v == '-')
			return;
		memcpy(out, v, n);
		out[n] = '\0';
		return;
	}
}

#define PKG_CONTROL_MAX                                                        \
	(64 << 10)	       /* most bytes of a control file read,           \
				  and passed over before it */
#define PKG_CONTROL_ENTRIES 64 /* most control.tar entries looked at */

/*
 * A .deb's control.tar* member: its "control" file's Package field into
 * st->package. Best effort: the control member is not needed to read the
 * kernel, so what cannot be read leaves the name empty (an error of the ar
 * archive itself shows at its next header).
 */
static void walk_deb_control(struct walker *w, struct archive *outer)
{
	struct nest n = {w, outer, 0};
	struct archive *inner = archive_read_new();
	struct archive_entry *ae;
	char *buf = NULL;
	uint64_t skipped = 0; /* declared bytes passed over */
	int entries = 0;

	if (!inner)
		return;
	archive_read_support_filter_all(inner);
	archive_read_support_format_tar(inner);
	if (archive_read_open(inner, &n, NULL, nest_read, NULL) != ARCHIVE_OK)
		goto out;
	while (archive_read_next_header(inner, &ae) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(ae);
		size_t len = 0;
		la_ssize_t got = 0;

		if (!name || archive_entry_filetype(ae) != AE_IFREG ||
		    (strcmp(name, "./control") && strcmp(name, "control"))) {
			/* a control.tar holds a few small files: stop
			 * before decompressing anything larger to skip it */
			if (archive_entry_size(ae) > 0)
				skipped += (uint64_t)archive_entry_size(ae);
			if (++entries >= PKG_CONTROL_ENTRIES ||
			    skipped > PKG_CONTROL_MAX)
				break;
			continue;
		}
		buf = malloc(PKG_CONTROL_MAX);
		if (!buf)
			break;
		while (len < PKG_CONTROL_MAX &&
		       (got = archive_read_data(inner, buf + len,
						PKG_CONTROL_MAX - len)) > 0)
			len += (size_t)got;
		/* a read error: a name cut short is no name */
		if (got >= 0)
			pkg_control_package(buf, len, w->st->package,
					    sizeof(w->st->package));
		break;
	}
out:
	free(buf);
	archive_read_free(inner);
}

/* One member of a .deb's ar archive. */
static int walk_deb_member(struct walker *w, struct archive *a,
			   struct archive_entry *ae, struct diag *d)
{
	const char *name = archive_entry_pathname(ae);
	size_t len;
	int err;

	if (name && !strncmp(name, "control.tar", 11) &&
	    (!name[11] || name[11] == '.') && !w->data_tar_seen &&
	    !w->st->package[0]) {
		walk_deb_control(w, a);
		return 0;
	}
	if (!name || strncmp(name, "data.tar", 8) ||
	    (name[8] && name[8] != '.'))
		return 0; /* debian-binary, signatures */
	if (w->data_tar_seen) {
		diag_set(d, "%s: a second data.tar member", name);
		return -EINVAL;
	}
	w->data_tar_seen = true;
	len = strlen(w->st->format);
	snprintf(w->st->format + len, sizeof(w->st->format) - len, " + %s",
		 name);
	err = walk_nested(w, a, name, d);
	if (err)
		diag_prefix(d, "%s: ", name);
	return err;
}

/* One entry of a tar or cpio archive. */
static int walk_entry(struct walker *w, struct archive *a,
		      struct archive_entry *ae, const char *outer,
		      struct diag *d)
{
	struct pkg_entry e = {.outer = outer};
	const char *name;
	la_int64_t size;
	bool sized;
	int err;

	if (archive_entry_filetype(ae) != AE_IFREG ||
	    archive_entry_hardlink(ae)) {
		w->st->skipped++;
		return 0;
	}
	name = archive_entry_pathname(ae);
	if (!name)
		name = archive_entry_pathname_utf8(ae);
	err = name ? path_normalize(w, name) : 0;
	if (err <= 0) {
		if (err < 0) {
			diag_set(d, "out of memory");
			return err;
		}
		w->st->skipped++;
		return 0;
	}
	w->st->entries++;
	sized = archive_entry_size_is_set(ae);
	size = archive_entry_size(ae);
	e.path = w->path;
	e.size = sized && size > 0 ? (uint64_t)size : 0;
	if (e.size > w->caps.max_member)
		err = member_cap_error(w, e.size, true, d);
	else
		err = caps_check(w, e.size, d);
	if (!err) {
		if (w->o->want && w->o->want(&e, w->o->ctx)) {
			err = entry_read(w, a, &e, sized, d);
		} else {
			w->expanded += e.size;
			walk_progress(w, false);
		}
	}
	if (err)
		diag_prefix(d, "%s: ", e.path);
	return err;
}

/* Walks every entry of a; outer names the .deb member a is nested in. */
static int walk_archive(struct walker *w, struct archive *a, const char *outer,
			struct diag *d)
{
	struct archive_entry *ae;
	bool deb = false, first = true;
	int r, err;

	for (;;) {
		r = archive_read_next_header(a, &ae);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			err = archive_err(a);
			diag_set(d, "%s (package byte %lld)", archive_msg(a),
				 pkg_offset(w));
			if (!first && w->path && w->path[0])
				diag_prefix(d, "after %s: ", w->path);
			return err;
		}
		if (first && !outer) {
			format_describe(a, w->st->format,
					sizeof(w->st->format));
			deb = (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) ==
			      ARCHIVE_FORMAT_AR;
		}
		first = false;
		if (deb)
			err = walk_deb_member(w, a, ae, d);
		else
			err = walk_entry(w, a, ae, outer, d);
		if (err)
			return err;
	}
	if (!outer && !w->st->format[0])
		format_describe(a, w->st->format, sizeof(w->st->format));
	if (deb && !w->data_tar_seen) {
		diag_set(d, "ar archive without a data.tar member: not a .deb");
		return -EINVAL;
	}
	return 0;
}

static int walk_file(struct walker *w, const char *path, struct diag *d)
{
	struct archive *a;
	int err;

	a = archive_read_new();
	if (!a) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	/* see the head of this file for why only these formats */
	archive_read_support_filter_all(a);
	archive_read_support_format_ar(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_cpio(a);
	if (archive_read_open_filename(a, path, PKG_BLOCK) != ARCHIVE_OK) {
		err = archive_err(a);
		diag_set(d, "%s", archive_msg(a));
		goto out;
	}
	w->outer = a;
	err = walk_archive(w, a, NULL, d);
	walk_progress(w, true);
	w->outer = NULL;
out:
	archive_read_free(a);
	return err;
}

/* The directory walk: nftw() takes no context, so one per thread. */
struct dir_file {
	char *path;    /* as nftw() gave it: root, "/", relative path */
	uint64_t size; /* st_size at the walk */
};

struct dir_walk {
	struct walker *w;
	struct dir_file *files;
	size_t n, cap;
	int err;
	struct diag *d;
};

static _Thread_local struct dir_walk *dir_cur;

static int dir_visit(const char *fpath, const struct stat *sb, int type,
		     struct FTW *ftw)
{
	struct dir_walk *dw = dir_cur;

	if (ftw->level == 0)
		return 0;
	switch (type) {
	case FTW_F:
		if (!S_ISREG(sb->st_mode))
			break; /* device, fifo, socket */
		if (mem_ensure((void **)&dw->files, &dw->cap,
			       sizeof(*dw->files), dw->n + 1))
			goto nomem;
		dw->files[dw->n].path = strdup(fpath);
		if (!dw->files[dw->n].path)
			goto nomem;
		dw->files[dw->n++].size = (uint64_t)sb->st_size;
		return 0;
	case FTW_DNR:
		dw->err = -EACCES;
		diag_set(dw->d, "%s: cannot read the directory", fpath);
		return 1;
	case FTW_NS:
		dw->err = errno ? -errno : -EIO;
		diag_set(dw->d, "%s: cannot stat: %s", fpath,
			 strerror(-dw->err));
		return 1;
	default:
		break; /* directories, symlinks */
	}
	dw->w->st->skipped++;
	return 0;
nomem:
	dw->err = -ENOMEM;
	diag_set(dw->d, "out of memory");
	return 1;
}

static int dir_file_cmp(const void *a, const void *b)
{
	/* one root prefix for all: the order is that of relative paths */
	return strcmp(((const struct dir_file *)a)->path,
		      ((const struct dir_file *)b)->path);
}

static int dir_read(struct walker *w, const struct dir_file *f, const char *rel,
		    struct diag *d)
{
	struct pkg_entry e = {.size = f->size};
	void *data = NULL;
	size_t size = 0;
	int err;

	err = path_normalize(w, rel);
	if (err <= 0) {
		if (err < 0) {
			diag_set(d, "out of memory");
			return err;
		}
		w->st->skipped++;
		return 0;
	}
	w->st->entries++;
	e.path = w->path;
	if (e.size > w->caps.max_member)
		err = member_cap_error(w, e.size, true, d);
	else
		err = caps_check(w, e.size, d);
	if (err || !w->o->want || !w->o->want(&e, w->o->ctx))
		goto out;
	err = file_read_all(f->path, w->caps.max_member, &data, &size, d);
	if (!err)
		err = caps_check(w, size, d);
	if (err) {
		free(data);
		goto out;
	}
	w->st->bytes_in += size;
	err = entry_deliver(w, &e, data, size, d);
	walk_progress(w, false);
out:
	if (err)
		diag_prefix(d, "%s: ", e.path);
	return err;
}

static int walk_dir(struct walker *w, const char *root, struct diag *d)
{
	struct dir_walk dw = {.w = w, .d = d};
	size_t i, root_len = strlen(root);
	int err;

	snprintf(w->st->format, sizeof(w->st->format), "directory");
	dir_cur = &dw;
	err = nftw(root, dir_visit, 16, FTW_PHYS);
	dir_cur = NULL;
	if (dw.err) {
		err = dw.err;
		goto out;
	}
	if (err) {
		err = errno ? -errno : -EIO;
		diag_set(d, "cannot walk: %s", strerror(-err));
		goto out;
	}
	if (dw.n)
		qsort(dw.files, dw.n, sizeof(*dw.files), dir_file_cmp);
	for (i = 0; i < dw.n && !err; i++)
		err = dir_read(w, &dw.files[i], dw.files[i].path + root_len, d);
	walk_progress(w, true);
out:
	for (i = 0; i < dw.n; i++)
		free(dw.files[i].path);
	free(dw.files);
	return err;
}

int pkg_walk(const char *path, const struct pkg_walk_opts *o,
	     struct pkg_stats *st, struct diag *d)
{
	static const struct pkg_walk_opts no_opts;
	struct pkg_stats local;
	struct walker w = {0};
	struct stat sb;
	int err;

	if (!o)
		o = &no_opts;
	if (!st)
		st = &local;
	memset(st, 0, sizeof(*st));
	w.o = o;
	w.st = st;
	if (o->caps)
		w.caps = *o->caps;
	if (!w.caps.max_member)
		w.caps.max_member = PKG_MAX_MEMBER_DEFAULT;
	if (!w.caps.max_total)
		w.caps.max_total = PKG_MAX_TOTAL_DEFAULT;
	if (!w.caps.max_ratio)
		w.caps.max_ratio = PKG_MAX_RATIO_DEFAULT;
	w.next_progress = PKG_PROGRESS_STEP;

	if (stat(path, &sb) < 0) {
		err = -errno;
		diag_set(d, "cannot stat: %s", strerror(errno));
	} else if (S_ISDIR(sb.st_mode)) {
		err = walk_dir(&w, path, d);
	} else if (S_ISREG(sb.st_mode)) {
		w.pkg_size = (uint64_t)sb.st_size;
		err = walk_file(&w, path, d);
	} else {
		err = -EINVAL;
		diag_set(d, "not a regular file or a directory");
	}
	if (err)
		diag_prefix(d, "%s: ", path);
	free(w.path);
	return err;
}
