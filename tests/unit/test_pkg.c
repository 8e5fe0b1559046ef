// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pkg: every container format round-trips through pkg_walk(), and the
 * bad-input classes 1 to 3 (truncated or corrupt packages; links, devices
 * and ".." paths; caps against decompression bombs). Packages are written at
 * test time with libarchive's writer into a fresh temporary directory; the
 * .rpm packages of the rpmbuild_* cases come from gen_pkgs.sh.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* nftw, mkdtemp, truncate */
#endif
#include "formats/pkg.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

/* One entry to write; data NULL means a regular file of size zero bytes. */
struct tent {
	const char *path;
	unsigned int type; /* AE_IFREG (0 taken as that), AE_IFLNK, ... */
	const void *data;
	size_t size;
	const char *link; /* symlink target or hardlink source */
};

/* What the walk saw: paths in order, and the bytes of wanted ones. */
struct seen {
	char paths[8192]; /* "path\n" per want() call */
	char outer[64];	  /* e->outer of the last entry, or "-" */
	struct {
		char path[256];
		void *data;
		size_t size;
	} got[32];
	int n_got;
	int progress_calls;
	int fail_with; /* data() returns this when set */
};

static char tmp_root[] = "/tmp/btfar-test-pkg-XXXXXX";

static int rm_one(const char *p, const struct stat *sb, int type,
		  struct FTW *ftw)
{
	return remove(p);
}

static void cleanup(void)
{
	nftw(tmp_root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *tmp_path(const char *name)
{
	static char buf[8][4096];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmp_root, name);
	return buf[i];
}

static void die(const char *what, struct archive *a)
{
	fprintf(stderr, "%s: %s\n", what, a ? archive_error_string(a) : "");
	exit(1);
}

/* The tree most cases write: dpkg-style "./" paths, a dir, a 300 KB file. */
static unsigned char big[300000];
static const char text_a[] = "module a\0with a NUL\n";

static struct tent tree[] = {
	{"./", AE_IFDIR},
	{"./boot/vmlinuz-6.1.0", 0, big, sizeof(big)},
	{"./lib/modules/6.1.0/kernel/a.ko", 0, text_a, sizeof(text_a) - 1},
	{"./lib/modules/6.1.0/kernel/empty", 0, NULL, 0},
	{"./lib/modules/6.1.0/kernel/fs/b.ko.xz", 0, big + 1000, 70000},
};
#define TREE_N (sizeof(tree) / sizeof(tree[0]))
static const char tree_paths[] = "boot/vmlinuz-6.1.0\n"
				 "lib/modules/6.1.0/kernel/a.ko\n"
				 "lib/modules/6.1.0/kernel/empty\n"
				 "lib/modules/6.1.0/kernel/fs/b.ko.xz\n";

static void fill_big(void)
{
	uint32_t x = 12345;
	size_t i;

	for (i = 0; i < sizeof(big); i++) {
		x = x * 1103515245 + 12345;
		big[i] = (unsigned char)(x >> 16);
	}
}

static void write_entries(struct archive *a, const struct tent *t, size_t n)
{
	struct archive_entry *ae = archive_entry_new();
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned int type = t[i].type ? t[i].type : AE_IFREG;

		archive_entry_clear(ae);
		archive_entry_set_pathname(ae, t[i].path);
		archive_entry_set_mtime(ae, 0, 0);
		archive_entry_set_ino(ae, (la_int64_t)i + 1);
		if (type == 1) { /* hardlink */
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_perm(ae, 0644);
			archive_entry_set_hardlink(ae, t[i].link);
			archive_entry_set_size(ae, 0);
		} else {
			archive_entry_set_filetype(ae, type);
			archive_entry_set_perm(ae,
					       type == AE_IFDIR ? 0755 : 0644);
			if (type == AE_IFLNK)
				archive_entry_set_symlink(ae, t[i].link);
			if (type == AE_IFCHR)
				archive_entry_set_rdev(ae, 0x0103);
			archive_entry_set_size(
				ae,
				type == AE_IFREG ? (la_int64_t)t[i].size : 0);
		}
		if (archive_write_header(a, ae) != ARCHIVE_OK)
			die(t[i].path, a);
		if (type == AE_IFREG && t[i].size &&
		    archive_write_data(a, t[i].data, t[i].size) !=
			    (la_ssize_t)t[i].size)
			die("write data", a);
	}
	archive_entry_free(ae);
}

enum fmt { TAR, CPIO_NEWC, CPIO_ODC, AR };

static struct archive *writer(enum fmt fmt, int filter)
{
	struct archive *a = archive_write_new();

	if (filter != ARCHIVE_FILTER_NONE &&
	    archive_write_add_filter(a, filter) != ARCHIVE_OK)
		die("filter", a);
	switch (fmt) {
	case TAR:
		archive_write_set_format_pax_restricted(a);
		break;
	case CPIO_NEWC:
		archive_write_set_format_cpio_newc(a);
		break;
	case CPIO_ODC:
		archive_write_set_format_cpio_odc(a);
		break;
	case AR:
		archive_write_set_format_ar_svr4(a);
		break;
	}
	/* no padding of the last block: sizes stay those of the content */
	archive_write_set_bytes_in_last_block(a, 1);
	return a;
}

/* Writes entries as an archive into a malloc()ed buffer. */
static void *write_mem(enum fmt fmt, int filter, const struct tent *t, size_t n,
		       size_t *size)
{
	size_t cap = 4 << 20;
	void *buf = malloc(cap);
	struct archive *a = writer(fmt, filter);

	if (!buf || archive_write_open_memory(a, buf, cap, size) != ARCHIVE_OK)
		die("open memory", a);
	write_entries(a, t, n);
	if (archive_write_close(a) != ARCHIVE_OK)
		die("close", a);
	archive_write_free(a);
	return buf;
}

static void write_file(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, size, f) != size || fclose(f)) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(1);
	}
}

static const char *write_archive(const char *name, enum fmt fmt, int filter,
				 const struct tent *t, size_t n)
{
	const char *path = tmp_path(name);
	size_t size;
	void *buf = write_mem(fmt, filter, t, n, &size);

	write_file(path, buf, size);
	free(buf);
	return path;
}

/* A .deb: debian-binary, control.tar.xz, data.tar.<filter>. */
static const char *write_deb(const char *name, int data_filter,
			     const char *data_name, const struct tent *t,
			     size_t n)
{
	static const struct tent control[] = {
		{"./control", 0, "Package: linux-image\n", 21},
	};
	size_t csize, dsize;
	void *cbuf = write_mem(TAR, ARCHIVE_FILTER_XZ, control, 1, &csize);
	void *dbuf = write_mem(TAR, data_filter, t, n, &dsize);
	struct tent members[] = {
		{"debian-binary", 0, "2.0\n", 4},
		{"control.tar.xz", 0, cbuf, csize},
		{data_name, 0, dbuf, dsize},
	};
	const char *path =
		write_archive(name, AR, ARCHIVE_FILTER_NONE, members, 3);

	free(cbuf);
	free(dbuf);
	return path;
}

static bool want_all(const struct pkg_entry *e, void *ctx)
{
	struct seen *s = ctx;
	size_t len = strlen(s->paths);

	snprintf(s->paths + len, sizeof(s->paths) - len, "%s\n", e->path);
	snprintf(s->outer, sizeof(s->outer), "%s", e->outer ? e->outer : "-");
	return true;
}

static int take(const struct pkg_entry *e, void *data, size_t size, void *ctx)
{
	struct seen *s = ctx;

	if (s->fail_with) {
		free(data);
		return s->fail_with;
	}
	CHECK(((char *)data)[size] == '\0', "%s: no NUL after the data",
	      e->path);
	if (s->n_got == 32) {
		free(data);
		return 0;
	}
	snprintf(s->got[s->n_got].path, sizeof(s->got[0].path), "%s", e->path);
	s->got[s->n_got].data = data;
	s->got[s->n_got++].size = size;
	return 0;
}

static void progress(const struct pkg_stats *st, void *ctx)
{
	((struct seen *)ctx)->progress_calls++;
}

static void seen_free(struct seen *s)
{
	int i;

	for (i = 0; i < s->n_got; i++)
		free(s->got[i].data);
	memset(s, 0, sizeof(*s));
}

static int walk(const char *path, const struct pkg_caps *caps, struct seen *s,
		struct pkg_stats *st, struct diag *d)
{
	struct pkg_walk_opts o = {caps, want_all, take, progress, s};

	d->msg[0] = '\0';
	return pkg_walk(path, &o, st, d);
}

/* Checks that what the walk got is the tree, byte for byte. */
static void check_tree(const char *what, struct seen *s,
		       const struct pkg_stats *st)
{
	size_t i;
	int j, found;

	CHECK(!strcmp(s->paths, tree_paths), "%s: paths seen:\n%s", what,
	      s->paths);
	CHECK(st->entries == 4, "%s: %u entries", what, st->entries);
	for (i = 0; i < TREE_N; i++) {
		const char *p = tree[i].path + 2;

		if (tree[i].type == AE_IFDIR)
			continue;
		for (found = 0, j = 0; j < s->n_got; j++) {
			if (strcmp(s->got[j].path, p))
				continue;
			found = 1;
			CHECK(s->got[j].size == tree[i].size &&
				      (!tree[i].size ||
				       !memcmp(s->got[j].data, tree[i].data,
					       tree[i].size)),
			      "%s: %s: %zu bytes, differ from the %zu written",
			      what, p, s->got[j].size, tree[i].size);
		}
		CHECK(found, "%s: %s not delivered", what, p);
	}
	CHECK(st->bytes_out == sizeof(big) + 70000 + sizeof(text_a) - 1,
	      "%s: %llu bytes out", what, (unsigned long long)st->bytes_out);
	CHECK(s->progress_calls >= 1, "%s: progress never called", what);
}

static int round_trip(const char *name, enum fmt fmt, int filter,
		      const char *want_format)
{
	struct pkg_stats st;
	struct diag d;
	struct seen s = {0};
	const char *path = write_archive(name, fmt, filter, tree, TREE_N);
	int err = walk(path, NULL, &s, &st, &d);

	CHECK(err == 0, "%s: err %d: %s", name, err, d.msg);
	check_tree(name, &s, &st);
	CHECK(!strcmp(st.format, want_format), "%s: format \"%s\"", name,
	      st.format);
	CHECK(!strcmp(s.outer, "-"), "%s: outer %s", name, s.outer);
	CHECK(st.skipped == 1, "%s: %u skipped (the directory)", name,
	      st.skipped);
	seen_free(&s);
	return 0;
}

static int t_tar(const char *dir)
{
	return round_trip("p.tar", TAR, ARCHIVE_FILTER_NONE, "tar");
}
static int t_tar_gz(const char *dir)
{
	return round_trip("p.tar.gz", TAR, ARCHIVE_FILTER_GZIP, "tar.gz");
}
static int t_tar_xz(const char *dir)
{
	return round_trip("p.tar.xz", TAR, ARCHIVE_FILTER_XZ, "tar.xz");
}
static int t_tar_zst(const char *dir)
{
	return round_trip("p.tar.zst", TAR, ARCHIVE_FILTER_ZSTD, "tar.zst");
}
static int t_tar_bz2(const char *dir)
{
	return round_trip("p.tar.bz2", TAR, ARCHIVE_FILTER_BZIP2, "tar.bz2");
}
static int t_cpio_newc(const char *dir)
{
	return round_trip("p.cpio", CPIO_NEWC, ARCHIVE_FILTER_NONE, "cpio");
}
static int t_cpio_odc(const char *dir)
{
	return round_trip("p.cpio", CPIO_ODC, ARCHIVE_FILTER_NONE, "cpio");
}
static int t_cpio_gz(const char *dir)
{
	return round_trip("p.cpio.gz", CPIO_NEWC, ARCHIVE_FILTER_GZIP,
			  "cpio.gz");
}

/* Arch Linux: .PKGINFO, .BUILDINFO, .MTREE at the top, no "./" prefix. */
static int arch_pkg(const char *name, int filter, const char *want_format)
{
	struct tent t[TREE_N + 3] = {
		{".BUILDINFO", 0, "format = 2\n", 11},
		{".MTREE", 0, "#mtree\n", 7},
		{".PKGINFO", 0, "pkgname = linux\n", 16},
	};
	struct pkg_stats st;
	struct diag d;
	struct seen s = {0};
	const char *path;
	size_t i;
	int err;

	for (i = 0; i < TREE_N; i++) {
		t[i + 3] = tree[i];
		t[i + 3].path += 2;
	}
	t[3].path = "boot/"; /* the root "./" becomes a plain directory */
	path = write_archive(name, TAR, filter, t, TREE_N + 3);
	err = walk(path, NULL, &s, &st, &d);
	CHECK(err == 0, "%s: err %d: %s", name, err, d.msg);
	CHECK(!strncmp(s.paths, ".BUILDINFO\n.MTREE\n.PKGINFO\n", 27),
	      "%s: paths:\n%s", name, s.paths);
	CHECK(!strcmp(s.paths + 27, tree_paths), "%s: paths:\n%s", name,
	      s.paths);
	CHECK(!strcmp(st.format, want_format), "%s: format \"%s\"", name,
	      st.format);
	seen_free(&s);
	return 0;
}

static int t_pkg_tar_zst(const char *dir)
{
	return arch_pkg("linux-6.1-1-x86_64.pkg.tar.zst", ARCHIVE_FILTER_ZSTD,
			"tar.zst");
}
static int t_pkg_tar_xz(const char *dir)
{
	return arch_pkg("linux-6.1-1-x86_64.pkg.tar.xz", ARCHIVE_FILTER_XZ,
			"tar.xz");
}

static int deb(int filter, const char *data_name)
{
	char want_format[64];
	struct pkg_stats st;
	struct diag d;
	struct seen s = {0};
	const char *path = write_deb("p.deb", filter, data_name, tree, TREE_N);
	int err = walk(path, NULL, &s, &st, &d);

	CHECK(err == 0, "%s: err %d: %s", data_name, err, d.msg);
	check_tree(data_name, &s, &st);
	snprintf(want_format, sizeof(want_format), "deb (ar) + %s", data_name);
	CHECK(!strcmp(st.format, want_format), "format \"%s\"", st.format);
	CHECK(!strcmp(s.outer, data_name), "outer %s", s.outer);
	CHECK(st.bytes_in > 0, "bytes_in 0");
	/* the control file's Package field; its entries are not delivered */
	CHECK(!strcmp(st.package, "linux-image"), "package \"%s\"", st.package);
	seen_free(&s);
	return 0;
}

static int t_deb_xz(const char *dir)
{
	return deb(ARCHIVE_FILTER_XZ, "data.tar.xz");
}
static int t_deb_zst(const char *dir)
{
	return deb(ARCHIVE_FILTER_ZSTD, "data.tar.zst");
}
static int t_deb_gz(const char *dir)
{
	return deb(ARCHIVE_FILTER_GZIP, "data.tar.gz");
}
static int t_deb_bz2(const char *dir)
{
	return deb(ARCHIVE_FILTER_BZIP2, "data.tar.bz2");
}
static int t_deb_plain(const char *dir)
{
	return deb(ARCHIVE_FILTER_NONE, "data.tar");
}

static int t_deb_no_data(const char *dir)
{
	struct tent members[] = {{"debian-binary", 0, "2.0\n", 4}};
	const char *path = write_archive("nodata.deb", AR, ARCHIVE_FILTER_NONE,
					 members, 1);
	struct pkg_stats st;
	struct diag d;
	struct seen s = {0};
	int err = walk(path, NULL, &s, &st, &d);

	CHECK(err == -EINVAL, "err %d: %s", err, d.msg);
	CHECK_MSG(d.msg, "nodata.deb: ar archive without a data.tar member");
	return 0;
}

/* pkg_control_package on control texts: the name, or "" */
static int t_deb_control_field(const char *dir)
{
	static const struct {
		const char *text, *want;
	} c[] = {
		{"Package: linux-binary-7.2.13+deb14-amd64\nVersion: 1\n",
		 "linux-binary-7.2.13+deb14-amd64"},
		/* field names are case-insensitive; any field before */
		{"Source: linux\npackage:\tlinux-modules-7.2.13+deb14-amd64 "
		 "\r\n",
		 "linux-modules-7.2.13+deb14-amd64"},
		/* a continuation line of another field is not a field */
		{"Description: x\n Package: fake\nPackage: real\n", "real"},
		{"Version: 1\n", ""},
		{"Package:\n", ""},
		{"Package: a\n", ""},		/* too short */
		{"Package: Linux-Image\n", ""}, /* upper case */
		{"Package: -linux\n", ""},	/* starts with a sign */
		{"Package: linux image\n", ""}, /* two words */
		{"Package: linux_image\n", ""},
		{"Packages: linux\n", ""},
		{"", ""},
	};
	char longname[300], out[128];
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(out, 'x', sizeof(out));
		pkg_control_package(c[i].text, strlen(c[i].text), out,
				    sizeof(out));
		CHECK(!strcmp(out, c[i].want), "%zu: \"%s\", want \"%s\"", i,
		      out, c[i].want);
	}
	/* only len bytes are read: the text need not be NUL-terminated */
	pkg_control_package("Package: linux-imageXYZ", 20, out, sizeof(out));
	CHECK(!strcmp(out, "linux-image"), "len: \"%s\"", out);
	/* a name longer than out: no name, not a cut one */
	memcpy(longname, "Package: ", 9);
	memset(longname + 9, 'a', 200);
	pkg_control_package(longname, 209, out, sizeof(out));
	CHECK(!strcmp(out, ""), "long name: \"%s\"", out);
	return 0;
}

/* A .deb whose control member cannot be read (garbage, a large member
 * first): the walk goes on, the name stays empty; no Package for a tar. */
static int t_deb_control_bad(const char *dir)
{
	static struct tent control[] = {
		{"./md5sums", 0, big, sizeof(big)},
		{"./control", 0, "Package: linux-image\n", 21},
	};
	size_t csize, dsize;
	void *cbuf = write_mem(TAR, ARCHIVE_FILTER_XZ, control, 2, &csize);
	void *dbuf = write_mem(TAR, ARCHIVE_FILTER_XZ, tree, TREE_N, &dsize);
	struct tent members[] = {
		{"debian-binary", 0, "2.0\n", 4},
		{"control.tar.xz", 0, cbuf, csize},
		{"data.tar.xz", 0, dbuf, dsize},
	};
	struct pkg_stats st;
	struct diag d;
	struct seen s = {0};
	const char *path;
	int err;

	/* 300,000 bytes before the control file: not decompressed to skip */
	path = write_archive("bigctl.deb", AR, ARCHIVE_FILTER_NONE, members, 3);
	err = walk(path, NULL, &s, &st, &d);
	CHECK(err == 0, "err %d: %s", err, d.msg);
	check_tree("bigctl.deb", &s, &st);
	CHECK(!strcmp(st.package, ""), "package \"%s\"", st.package);
	seen_free(&s);

	/* control.tar.xz of garbage */
	members[1].data = "not a tar at all";
	members[1].size = 16;
	path = write_archive("junkctl.deb", AR, ARCHIVE_FILTER_NONE, members,
			     3);
	err = walk(path, NULL, &s, &st, &d);
	CHECK(err == 0, "err %d: %s", err, d.msg);
	check_tree("junkctl.deb", &s, &st);
	CHECK(!strcmp(st.package, ""), "package \"%s\"", st.package);
	seen_free(&s);

	path = write_archive("p.tar", TAR, ARCHIVE_FILTER_NONE, tree, TREE_N);
	err = walk(path, NULL, &s, &st, &d);
	CHECK(err == 0, "err %d: %s", err, d.msg);
	CHECK(!strcmp(st.package, ""), "tar: package \"%s\"", st.package);
	seen_free(&s);
	free(cbuf);
	free(dbuf);
	return 0;
}

/*
 * A minimal .rpm as libarchive's rpm filter reads it: a 96-byte lead, a
 * signature header and a header (both empty: magic, 8 reserved-and-count
 * bytes, no index, no data), then the compressed cpio (newc) payload.
 */
static const char *write_rpm(const char *name, int filter)
{
	unsigned char head[96 + 16 + 16] = {0xed, 0xab, 0xee, 0xdb, 3, 0};
	static const unsigned char hdr[8] = {0x8e, 0xad, 0xe8, 0x01};
	const char *path = tmp_path(name);
	size_t size;
	void *payload = write_mem(CPIO_NEWC, filter, tree, TREE_N, &size);
	FILE *f;

	head[9] = 1;  /* archnum */
	head[79] = 1; /* osnum */
	head[81] = 5; /* signature type: header-style */
	memcpy(head + 96, hdr, sizeof(hdr));
	memcpy(head + 112, hdr, sizeof(hdr));
	f = fopen(path, "wb");
	if (!f || fwrite(head, 1, sizeof(head), f) != sizeof(head) ||
	    fwrite(payload, 1, size, f) != size || fclose(f)) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(1);
	}
	free(payload);
	return path;
}

static int rpm(int filter, const char *want_format)
{
	struct pkg_stats st;
	struct diag d;
	struct seen s = {0};
	const char *path = write_rpm("p.rpm", filter);
	int err = walk(path, NULL, &s, &st, &d);

	CHECK(err == 0, "%s: err %d: %s", want_format, err, d.msg);
	check_tree(want_format, &s, &st);
	CHECK(!strcmp(st.format, want_format), "format \"%s\"", st.format);
	seen_free(&s);
	return 0;
}

static int t_rpm_xz(const char *dir)
{
	return rpm(ARCHIVE_FILTER_XZ, "rpm (xz)");
}
static int t_rpm_zstd(const char *dir)
{
	return rpm(ARCHIVE_FILTER_ZSTD, "rpm (zstd)");
}
static int t_rpm_gzip(const char *dir)
{
	return rpm(ARCHIVE_FILTER_GZIP, "rpm (gzip)");
}

/* A real .rpm made by rpmbuild (gen_pkgs.sh); BTFAR_PKG_INPUTS names it. */
static int rpmbuild(const char *comp)
{
	const char *in = getenv("BTFAR_PKG_INPUTS");
	char path[4096], want_format[64], skip[512] = "";
	struct pkg_stats st;
	struct diag d;
	struct seen s = {0};
	size_t size;
	FILE *f;
	int err;

	if (!in) {
		printf("SKIP: BTFAR_PKG_INPUTS not set (made by "
		       "unit_gen_pkgs)\n");
		return UNIT_SKIP;
	}
	snprintf(path, sizeof(path), "%s/SKIP", in);
	f = fopen(path, "r");
	if (f) {
		if (!fgets(skip, sizeof(skip), f))
			snprintf(skip, sizeof(skip), "no rpm was built\n");
		fclose(f);
		printf("SKIP: %s", skip);
		return UNIT_SKIP;
	}
	snprintf(path, sizeof(path), "%s/%s.rpm", in, comp);
	err = walk(path, NULL, &s, &st, &d);
	CHECK(err == 0, "%s: err %d: %s", path, err, d.msg);
	CHECK(!strcmp(s.paths, "boot/vmlinuz-6.1.0\n"
			       "lib/modules/6.1.0/kernel/a.ko\n"
			       "lib/modules/6.1.0/kernel/fs/b.ko\n"),
	      "paths:\n%s", s.paths);
	CHECK(s.n_got == 3, "%d delivered", s.n_got);
	if (s.n_got == 3) {
		CHECK(s.got[1].size == sizeof(text_a) - 1 &&
			      !memcmp(s.got[1].data, text_a, s.got[1].size),
		      "a.ko differs");
		size = s.got[2].size;
		CHECK(size == 108894 && !memcmp(s.got[2].data, "1\n2\n3\n", 6),
		      "b.ko: %zu bytes", size);
	}
	/* lib/modules/6.1.0/vmlinuz (a symlink) and directories */
	CHECK(st.skipped >= 1, "%u skipped", st.skipped);
	snprintf(want_format, sizeof(want_format), "rpm (%s)", comp);
	CHECK(!strcmp(st.format, want_format), "format \"%s\"", st.format);
	seen_free(&s);
	return 0;
}

static int t_rpmbuild_xz(const char *dir)
{
	return rpmbuild("xz");
}
static int t_rpmbuild_zstd(const char *dir)
{
	return rpmbuild("zstd");
}
static int t_rpmbuild_gzip(const char *dir)
{
	return rpmbuild("gzip");
}

/* Links, devices, fifos, directories and ".." paths: skipped, counted. */
static int t_skipped(const char *dir)
{
	static const struct tent t[] = {
		{"./lib/", AE_IFDIR},
		{"./lib/a.ko", 0, "A", 1},
		{"./lib/sym.ko", AE_IFLNK, NULL, 0, "a.ko"},
		{"./lib/abs.ko", AE_IFLNK, NULL, 0, "/etc/shadow"},
		{"./lib/hard.ko", 1, NULL, 0, "./lib/a.ko"},
		{"./dev/null", AE_IFCHR},
		{"./dev/blk", AE_IFBLK},
		{"./dev/fifo", AE_IFIFO},
		{"../evil.ko", 0, "E", 1},
		{"lib/../../evil2.ko", 0, "E", 1},
		{"./lib/..", 0, "E", 1},
		{"./lib/b.ko", 0, "B", 1},
	};
	struct pkg_stats st;
	struct diag d;
	struct seen s = {0};
	const char *path = write_archive("skip.tar", TAR, ARCHIVE_FILTER_NONE,
					 t, sizeof(t) / sizeof(t[0]));
	int err = walk(path, NULL, &s, &st, &d);

	CHECK(err == 0, "err %d: %s", err, d.msg);
	CHECK(!strcmp(s.paths, "lib/a.ko\nlib/b.ko\n"), "paths:\n%s", s.paths);
	CHECK(st.entries == 2, "%u entries", st.entries);
	CHECK(st.skipped == 10, "%u skipped", st.skipped);
	seen_free(&s);
	return 0;
}

/* Absolute and unusual paths come out normalized. */
static int t_paths(const char *dir)
{
	static const struct tent t[] = {
		{"/boot/abs", 0, "1", 1},
		{"//lib//modules///x.ko", 0, "2", 1},
		{"./././lib/./y.ko", 0, "3", 1},
		{"lib/z.ko/", 0, "4", 1},
		{"...", 0, "5", 1},
		{"./", 0, "6", 1},
	};
	struct pkg_stats st;
	struct diag d;
	struct seen s = {0};
	const char *path =
		write_archive("paths.cpio", CPIO_NEWC, ARCHIVE_FILTER_NONE, t,
			      sizeof(t) / sizeof(t[0]));
	int err = walk(path, NULL, &s, &st, &d);

	CHECK(err == 0, "err %d: %s", err, d.msg);
	CHECK(!strcmp(s.paths, "boot/abs\nlib/modules/x.ko\nlib/y.ko\n"
			       "lib/z.ko\n...\n"),
	      "paths:\n%s", s.paths);
	CHECK(st.skipped == 1, "%u skipped (the empty path)", st.skipped);
	seen_free(&s);
	return 0;
}

static void truncate_file(const char *path, double keep)
{
	struct stat sb;

	if (stat(path, &sb) || truncate(path, (off_t)(sb.st_size * keep))) {
		fprintf(stderr, "cannot truncate %s\n", path);
		exit(1);
	}
}

static int t_truncated_deb(const char *dir)
{
	const char *path = write_deb("trunc.deb", ARCHIVE_FILTER_XZ,
				     "data.tar.xz", tree, TREE_N);
	struct pkg_stats st;
	struct diag d;
	struct seen s = {0};
	int err;

	truncate_file(path, 0.5);
	err = walk(path, NULL, &s, &st, &d);
	CHECK(err == -EINVAL, "err %d: %s", err, d.msg);
	CHECK_MSG(d.msg, "trunc.deb: data.tar.xz: ");
	CHECK_MSG(d.msg, "boot/vmlinuz-6.1.0: truncated or corrupt: ");
	CHECK_MSG(d.msg, " of 300000 bytes read (package byte ");
	CHECK_MSG(d.msg, "): truncated input");
	seen_free(&s);
	return 0;
}

static int t_truncated_tar_xz(const char *dir)
{
	const char *path = write_archive("trunc.tar.xz", TAR, ARCHIVE_FILTER_XZ,
					 tree, TREE_N);
	struct pkg_stats st;
	struct diag d;
	struct seen s = {0};
	int err;

	truncate_file(path, 0.5);
	err = walk(path, NULL, &s, &st, &d);
	CHECK(err == -EINVAL, "err %d: %s", err, d.msg);
	CHECK_MSG(d.msg, "trunc.tar.xz: boot/vmlinuz-6.1.0: truncated or "
			 "corrupt: ");
	CHECK_MSG(d.msg, " of 300000 bytes read (package byte ");
	CHECK(st.bytes_out == 0, "%llu bytes out before the error",
	      (unsigned long long)st.bytes_out);
	seen_free(&s);
	return 0;
}

/* Corrupt bytes in the middle of an xz stream. */
static int t_corrupt_tar_xz(const char *dir)
{
	size_t size;
	char *buf = write_mem(TAR, ARCHIVE_FILTER_XZ, tree, TREE_N, &size);
	const char *path = tmp_path("corrupt.tar.xz");
	struct pkg_stats st;
	struct diag d;
	struct seen s = {0};
	int err;

	memset(buf + size / 2, 0x55, 64);
	write_file(path, buf, size);
	free(buf);
	err = walk(path, NULL, &s, &st, &d);
	CHECK(err == -EINVAL, "err %d: %s", err, d.msg);
	CHECK_MSG(d.msg, "corrupt.tar.xz: ");
	CHECK_MSG(d.msg, "(package byte ");
	seen_free(&s);
	return 0;
}

static int t_not_archive(const char *dir)
{
	const char *path = tmp_path("junk.deb");
	struct pkg_stats st;
	struct diag d;
	struct seen s = {0};
	int err;

	write_file(path, big, 5000);
	err = walk(path, NULL, &s, &st, &d);
	CHECK(err == -EINVAL, "err %d: %s", err, d.msg);
	CHECK_MSG(d.msg, "junk.deb: Unrecognized archive format");
	err = walk(tmp_path("missing.deb"), NULL, &s, &st, &d);
	CHECK(err == -ENOENT, "err %d: %s", err, d.msg);
	CHECK_MSG(d.msg, "missing.deb: cannot stat: ");
	return 0;
}

/*
 * A ustar header that declares a 3 GiB member, followed by a few bytes:
 * refused on the declared size, before any read.
 */
static int t_huge_member(const char *dir)
{
	unsigned char h[512 + 512] = {0};
	const char *path = tmp_path("huge.tar");
	struct pkg_stats st;
	struct diag d;
	struct seen s = {0};
	unsigned int sum = 0;
	size_t i;
	int err;

	strcpy((char *)h, "./lib/modules/6.1.0/kernel/huge.ko");
	memcpy(h + 100, "0000644", 8);
	memcpy(h + 108, "0000000", 8);
	memcpy(h + 116, "0000000", 8);
	memcpy(h + 124, "30000000000", 12); /* 3 GiB in octal */
	memcpy(h + 136, "00000000000", 12);
	h[156] = '0';
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	write_file(path, h, sizeof(h));
	err = walk(path, NULL, &s, &st, &d);
	CHECK(err == -EFBIG, "err %d: %s", err, d.msg);
	CHECK_MSG(d.msg, "huge.tar: lib/modules/6.1.0/kernel/huge.ko: declares "
			 "3221225472 bytes, over the member cap of 2147483648 "
			 "bytes");
	CHECK(!strcmp(s.paths, ""), "want() was asked: %s", s.paths);
	return 0;
}

static int t_member_cap(const char *dir)
{
	struct pkg_caps caps = {.max_member = 100000};
	const char *path = write_archive("cap.tar.gz", TAR, ARCHIVE_FILTER_GZIP,
					 tree, TREE_N);
	struct pkg_stats st;
	struct diag d;
	struct seen s = {0};
	int err = walk(path, &caps, &s, &st, &d);

	CHECK(err == -EFBIG, "err %d: %s", err, d.msg);
	CHECK_MSG(d.msg, "cap.tar.gz: boot/vmlinuz-6.1.0: declares 300000 "
			 "bytes, over the member cap of 100000 bytes");
	return 0;
}

static int t_total_cap(const char *dir)
{
	struct pkg_caps caps = {.max_total = 350000};
	const char *path = write_deb("total.deb", ARCHIVE_FILTER_ZSTD,
				     "data.tar.zst", tree, TREE_N);
	struct pkg_stats st;
	struct diag d;
	struct seen s = {0};
	int err = walk(path, &caps, &s, &st, &d);

	CHECK(err == -EFBIG, "err %d: %s", err, d.msg);
	CHECK_MSG(d.msg, "total.deb: data.tar.zst: "
			 "lib/modules/6.1.0/kernel/fs/b.ko.xz: package expands "
			 "past the cap of 350000 bytes (370020 bytes out with "
			 "this member)");
	seen_free(&s);
	return 0;
}

/* 16 MiB of zeros in a tar.xz of a few KB: far over the ratio of 200. */
static int t_ratio_cap(const char *dir)
{
	size_t zsize = 16 << 20;
	void *zeros = calloc(1, zsize);
	struct tent t[] = {
		{"./a.ko", 0, "A", 1},
		{"./zeros", 0, zeros, zsize},
	};
	const char *path;
	struct pkg_stats st;
	struct diag d;
	struct seen s = {0};
	int err;

	path = write_archive("bomb.tar.xz", TAR, ARCHIVE_FILTER_XZ, t, 2);
	free(zeros);
	err = walk(path, NULL, &s, &st, &d);
	CHECK(err == -EFBIG, "err %d: %s", err, d.msg);
	CHECK_MSG(d.msg, "bomb.tar.xz: zeros: decompression bomb: 16777217 "
			 "bytes out of a ");
	CHECK_MSG(d.msg, "-byte package, over the ratio cap of 200");
	CHECK(!strcmp(s.paths, "a.ko\n"), "paths:\n%s", s.paths);
	seen_free(&s);
	return 0;
}

static int t_data_error(const char *dir)
{
	const char *path = write_archive("stop.tar", TAR, ARCHIVE_FILTER_NONE,
					 tree, TREE_N);
	struct pkg_stats st;
	struct diag d;
	struct seen s = {.fail_with = -ECANCELED};
	int err = walk(path, NULL, &s, &st, &d);

	CHECK(err == -ECANCELED, "err %d: %s", err, d.msg);
	CHECK_MSG(d.msg, "stop.tar: boot/vmlinuz-6.1.0: stopped by the data "
			 "callback: ");
	return 0;
}

/* want() decides: unwanted members are skipped over, not delivered. */
static bool want_ko(const struct pkg_entry *e, void *ctx)
{
	size_t n = strlen(e->path);

	return n > 3 && !strcmp(e->path + n - 3, ".ko");
}

static int t_want(const char *dir)
{
	const char *path = write_deb("want.deb", ARCHIVE_FILTER_XZ,
				     "data.tar.xz", tree, TREE_N);
	struct seen s = {0};
	struct pkg_walk_opts o = {NULL, want_ko, take, NULL, &s};
	struct pkg_stats st;
	struct diag d = {""};
	int err = pkg_walk(path, &o, &st, &d);

	CHECK(err == 0, "err %d: %s", err, d.msg);
	CHECK(s.n_got == 1 &&
		      !strcmp(s.got[0].path, "lib/modules/6.1.0/kernel/a.ko"),
	      "%d delivered", s.n_got);
	CHECK(st.entries == 4, "%u entries", st.entries);
	CHECK(st.bytes_out == sizeof(text_a) - 1, "%llu bytes out",
	      (unsigned long long)st.bytes_out);
	seen_free(&s);
	err = pkg_walk(path, NULL, NULL, &d);
	CHECK(err == 0, "no opts: err %d: %s", err, d.msg);
	return 0;
}

/* A directory: sorted by path, symlinks not followed, others skipped. */
static int t_dir(const char *dir)
{
	static const char *const files[] = {
		"z.ko",
		"lib/modules/6.1.0/kernel/b.ko",
		"a.ko",
		"lib/modules/6.1.0/kernel/a.ko",
		"lib/modules/6.1.0/kernel-a",
		"boot/vmlinuz-6.1.0",
	};
	char root[1024], p[4096];
	struct pkg_stats st;
	struct diag d;
	struct seen s = {0};
	size_t i;
	int err;

	snprintf(root, sizeof(root), "%s", tmp_path("tree"));
	mkdir(root, 0755);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char *slash;

		snprintf(p, sizeof(p), "%s/%s", root, files[i]);
		for (slash = strchr(p + strlen(root) + 1, '/'); slash;
		     slash = strchr(slash + 1, '/')) {
			*slash = '\0';
			mkdir(p, 0755);
			*slash = '/';
		}
		write_file(p, files[i], strlen(files[i]));
	}
	snprintf(p, sizeof(p), "%s/lib/link.ko", root);
	CHECK(!symlink("../a.ko", p), "symlink");
	snprintf(p, sizeof(p), "%s/lib/dirlink", root);
	CHECK(!symlink("modules", p), "symlink");
	snprintf(p, sizeof(p), "%s/fifo", root);
	CHECK(!mkfifo(p, 0644), "mkfifo");

	err = walk(root, NULL, &s, &st, &d);
	CHECK(err == 0, "err %d: %s", err, d.msg);
	CHECK(!strcmp(s.paths, "a.ko\nboot/vmlinuz-6.1.0\n"
			       "lib/modules/6.1.0/kernel-a\n"
			       "lib/modules/6.1.0/kernel/a.ko\n"
			       "lib/modules/6.1.0/kernel/b.ko\nz.ko\n"),
	      "paths:\n%s", s.paths);
	CHECK(st.entries == 6, "%u entries", st.entries);
	/* boot lib lib/modules lib/modules/6.1.0 .../kernel, 2 links, fifo */
	CHECK(st.skipped == 8, "%u skipped", st.skipped);
	CHECK(!strcmp(st.format, "directory"), "format %s", st.format);
	CHECK(s.n_got == 6 && s.got[5].size == 4 &&
		      !memcmp(s.got[5].data, "z.ko", 4),
	      "data of z.ko");
	seen_free(&s);

	/* a trailing slash changes nothing */
	snprintf(p, sizeof(p), "%s/", root);
	err = walk(p, NULL, &s, &st, &d);
	CHECK(err == 0, "err %d: %s", err, d.msg);
	CHECK(!strncmp(s.paths, "a.ko\nboot/", 10), "paths:\n%s", s.paths);
	seen_free(&s);

	/* caps hold for directories too */
	{
		struct pkg_caps caps = {.max_member = 27};

		err = walk(root, &caps, &s, &st, &d);
		CHECK(err == -EFBIG, "err %d: %s", err, d.msg);
		CHECK_MSG(d.msg,
			  "/tree: lib/modules/6.1.0/kernel/a.ko: "
			  "declares 29 bytes, over the member cap of 27");
		seen_free(&s);
	}
	return 0;
}

static const struct unit_case cases[] = {
	{"tar", t_tar},
	{"tar_gz", t_tar_gz},
	{"tar_xz", t_tar_xz},
	{"tar_zst", t_tar_zst},
	{"tar_bz2", t_tar_bz2},
	{"cpio_newc", t_cpio_newc},
	{"cpio_odc", t_cpio_odc},
	{"cpio_gz", t_cpio_gz},
	{"pkg_tar_zst", t_pkg_tar_zst},
	{"pkg_tar_xz", t_pkg_tar_xz},
	{"deb_xz", t_deb_xz},
	{"deb_zst", t_deb_zst},
	{"deb_gz", t_deb_gz},
	{"deb_bz2", t_deb_bz2},
	{"deb_plain", t_deb_plain},
	{"deb_no_data", t_deb_no_data},
	{"deb_control_field", t_deb_control_field},
	{"deb_control_bad", t_deb_control_bad},
	{"rpm_xz", t_rpm_xz},
	{"rpm_zstd", t_rpm_zstd},
	{"rpm_gzip", t_rpm_gzip},
	{"rpmbuild_xz", t_rpmbuild_xz},
	{"rpmbuild_zstd", t_rpmbuild_zstd},
	{"rpmbuild_gzip", t_rpmbuild_gzip},
	{"skipped", t_skipped},
	{"paths", t_paths},
	{"truncated_deb", t_truncated_deb},
	{"truncated_tar_xz", t_truncated_tar_xz},
	{"corrupt_tar_xz", t_corrupt_tar_xz},
	{"not_archive", t_not_archive},
	{"huge_member", t_huge_member},
	{"member_cap", t_member_cap},
	{"total_cap", t_total_cap},
	{"ratio_cap", t_ratio_cap},
	{"data_error", t_data_error},
	{"want", t_want},
	{"dir", t_dir},
};

int main(int argc, char **argv)
{
	if (!mkdtemp(tmp_root)) {
		perror("mkdtemp");
		return 1;
	}
	atexit(cleanup);
	fill_big();
	return unit_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
