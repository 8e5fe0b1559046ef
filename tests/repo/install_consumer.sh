#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# install_consumer.sh BUILD_DIR WORK: installs the build into WORK/root with
# cmake --install and builds three small consumers against the installed
# tree only: one with `pkg-config --cflags --libs libbtfar` (shared), one
# with libbtfar.a and the libraries libbtfar.pc names as private, and one
# CMake project with find_package(btfar). Each must run and print the
# library's version, and the shared one must need libbtfar.so.0.
set -u
build=${1:?usage: install_consumer.sh BUILD_DIR WORK}
work=${2:?}
fail() { echo "FAIL: $*"; exit 1; }
if [ -n "${SKIP_REASON:-}" ]; then
	echo "SKIP: $SKIP_REASON"
	exit 77
fi
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1

cmake --install "$build" --prefix "$work/root" >install.log 2>&1 ||
	{ cat install.log; fail "cmake --install"; }
libdir=$(ls -d root/lib*/ | head -n1)
libdir=$work/${libdir%/}
for f in root/bin/btfar root/include/btfar/btfar.h "$libdir/libbtfar.so.0" \
	"$libdir/libbtfar.a" "$libdir/pkgconfig/libbtfar.pc" \
	"$libdir/cmake/btfar/btfarConfig.cmake"; do
	[ -e "$f" ] || fail "$f not installed"
done

[ -e root/share/bash-completion/completions/btfar ] ||
	fail "bash completion not installed"
# man pages: built when scdoc is there (cmake/man.cmake)
if [ -e "$build/man/btfar.1" ]; then
	for p in btfar btfar-build btfar-archive btfar-pack; do
		[ -e "root/share/man/man1/$p.1" ] || fail "man page $p.1 not installed"
	done
fi

want=$(root/bin/btfar version | head -n1)
cat >consumer.c <<'C'
#include <btfar/btfar.h>
#include <stdio.h>

int main(void)
{
	printf("btfar %s\n", btfar_version());
	return 0;
}
C
export PKG_CONFIG_PATH=$libdir/pkgconfig
# shellcheck disable=SC2046
cc consumer.c -o consumer_shared $(pkg-config --cflags --libs libbtfar) ||
	fail "shared consumer does not build"
readelf -d consumer_shared | grep -q 'NEEDED.*libbtfar.so.0' ||
	fail "consumer_shared does not need libbtfar.so.0"
got=$(LD_LIBRARY_PATH=$libdir ./consumer_shared) || fail "consumer_shared fails"
# libbtfar.a, and the libraries it uses (Requires.private, Libs.private)
# as shared objects: libarchive's own static dependencies (libacl, nettle,
# libxml2) have no -dev packages in a plain Debian system
deps=$(pkg-config --print-requires-private libbtfar | awk '{print $1}')
priv=$(sed -n 's/^Libs.private: //p' "$libdir/pkgconfig/libbtfar.pc")
# shellcheck disable=SC2046,SC2086
cc consumer.c -o consumer_static $(pkg-config --cflags libbtfar) \
	"$libdir/libbtfar.a" $(pkg-config --libs $deps) $priv ||
	fail "static consumer does not build"
! readelf -d consumer_static | grep -q libbtfar || fail "consumer_static needs libbtfar.so"
got_static=$(./consumer_static) || fail "consumer_static fails"

mkdir cmk
cat >cmk/CMakeLists.txt <<'CM'
cmake_minimum_required(VERSION 3.16)
project(consumer C)
find_package(btfar 0.1 REQUIRED)
add_executable(consumer ../consumer.c)
target_link_libraries(consumer PRIVATE btfar::btfar)
CM
cmake -S cmk -B cmk/build -DCMAKE_PREFIX_PATH="$work/root" >cmk.log 2>&1 &&
	cmake --build cmk/build >>cmk.log 2>&1 || { cat cmk.log; fail "find_package(btfar) consumer"; }
got_cmake=$(LD_LIBRARY_PATH=$libdir cmk/build/consumer) || fail "cmake consumer fails"

for g in "$got" "$got_static" "$got_cmake"; do
	case "$want" in
	*"${g#btfar }"*) ;;
	*) fail "consumer printed '$g', btfar version printed '$want'" ;;
	esac
done
echo "PASS: $got (pkg-config shared and static, find_package)"
