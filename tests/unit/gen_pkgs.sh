#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Builds real .rpm packages for test_pkg into DIR (wiped first) with
# rpmbuild, one per payload compression: xz.rpm, zstd.rpm, gzip.rpm. They
# hold the tree test_pkg.c expects (see rpm_tree there). Other formats are
# written by the test itself with libarchive. Without rpmbuild, DIR/SKIP
# says so and the rpmbuild cases report SKIP with that reason.
set -eu

dir=${1:?usage: gen_pkgs.sh DIR}
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"

if ! command -v rpmbuild >/dev/null 2>&1; then
	echo "rpmbuild not found (Debian package rpm)" >SKIP
	cat SKIP
	exit 0
fi

mkdir -p src/lib/modules/6.1.0/kernel/fs src/boot
printf 'module a\000with a NUL\n' >src/lib/modules/6.1.0/kernel/a.ko
seq 1 20000 >src/lib/modules/6.1.0/kernel/fs/b.ko
printf 'vmlinuz' >src/boot/vmlinuz-6.1.0
ln -s ../../boot/vmlinuz-6.1.0 src/lib/modules/6.1.0/vmlinuz

cat >kpkg.spec <<'SPEC'
Name: kpkg
Version: 1.0
Release: 1
Summary: btfar test package
License: GPL
BuildArch: noarch
%description
btfar test package
%install
mkdir -p %{buildroot}
cp -a %{srcroot}/. %{buildroot}/
%files
/boot/vmlinuz-6.1.0
/lib/modules/6.1.0
SPEC

# file times fixed too (cp -a in %install keeps them)
find src -exec touch -h -d @0 {} +
for c in xz:w6.xzdio zstd:w19.zstdio gzip:w9.gzdio; do
	name=${c%%:*}
	io=${c#*:}
	# the same bytes at every run: build time, host and file times fixed
	SOURCE_DATE_EPOCH=1 rpmbuild -bb --quiet --nodeps \
		--define 'use_source_date_epoch_as_buildtime 1' \
		--define 'clamp_mtime_to_source_date_epoch 1' \
		--define '_buildhost btfar-fixtures' \
		--define "_topdir $dir/top-$name" \
		--define "srcroot $dir/src" \
		--define "_binary_payload $io" \
		--define '__os_install_post %{nil}' \
		--define 'debug_package %{nil}' kpkg.spec
	mv "$dir"/top-"$name"/RPMS/noarch/kpkg-1.0-1.noarch.rpm "$name.rpm"
	rm -rf "$dir/top-$name"
done
ls -l ./*.rpm
