#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# debian_package.sh ROOT WORK: builds the Debian packages of the source
# tree ROOT (debian/) with `dpkg-buildpackage -us -uc -b` in a copy of it
# under WORK, then
# - checks what each .deb holds (dpkg-deb -c): btfar the command, its man
#   pages and bash completion; libbtfar0 libbtfar.so.0 and nothing to
#   develop with; libbtfar-dev the header, the .so link, libbtfar.a,
#   libbtfar.pc and the CMake package;
# - unpacks the three into a throwaway root (dpkg-deb -x) and runs
#   `btfar version` there with LD_LIBRARY_PATH (the command must need
#   libbtfar.so.0), and packs, lists and gets a small archive with it;
# - runs lintian on the .changes and on the source package (dpkg-source
#   -b): no error (warnings and infos are printed).
# The packaging tools come from scripts/deps.sh's package group. Exit 0
# pass, 1 fail, 77 skip (a tool missing; or SKIP_REASON set by the caller).
set -u
root=${1:?usage: debian_package.sh ROOT WORK}
work=${2:?}
fail=0
bad() { echo "FAIL: $*"; fail=1; }

[ -z "${SKIP_REASON:-}" ] || { echo "SKIP: $SKIP_REASON"; exit 77; }
for t in dpkg-buildpackage dh dh_auto_configure lintian fakeroot dpkg-deb; do
	command -v "$t" >/dev/null || {
		echo "SKIP: no $t (bash scripts/deps.sh install package)"
		exit 77
	}
done

rm -rf "$work" && mkdir -p "$work/src" || exit 1
# the tree as it is, without build folders
if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$root" ls-files -co --exclude-standard -z |
		grep -zvE '^(build|build-[^/]*|obj-[^/]*)/' |
		tar -C "$root" --null -T - -cf - | tar -C "$work/src" -xf - ||
		{ echo "FAIL: copy of the tree"; exit 1; }
else
	# not a git checkout (an exported tree): every file but the build
	# folders, one of which holds $work itself
	tar -C "$root" --exclude=./build --exclude='./build-*' \
		--exclude='./obj-*' --exclude=./Testing -cf - . |
		tar -C "$work/src" -xf - ||
		{ echo "FAIL: copy of the tree"; exit 1; }
fi

# the source package too, for lintian (native: no orig tarball)
ver=$(dpkg-parsechangelog -l "$work/src/debian/changelog" -S Version)
mv "$work/src" "$work/btfar-$ver" && ln -s "btfar-$ver" "$work/src"
(cd "$work" && dpkg-source -b "btfar-$ver" >source.log 2>&1) ||
	{ cat "$work/source.log"; bad "dpkg-source -b"; }

cd "$work/src" || exit 1
t0=$(date +%s)
if ! DEB_BUILD_OPTIONS="parallel=$(nproc) nocheck" \
	dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1; then
	tail -n 40 "$work/build.log"
	echo "FAIL: dpkg-buildpackage (log: $work/build.log)"
	exit 1
fi
echo "dpkg-buildpackage -us -uc -b: $(($(date +%s) - t0)) s"
cd "$work" || exit 1
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -q DEB_HOST_MULTIARCH)
for p in btfar libbtfar0 libbtfar-dev; do
	deb=${p}_${ver}_$arch.deb
	[ -s "$deb" ] || { bad "$deb not built"; continue; }
	dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$p.files"
done
[ $fail = 0 ] || exit 1

has() { # PKG PATH-REGEX
	grep -qE "^$2\$" "$1.files" || bad "$1 lacks $2"
}
lacks() {
	grep -qE "^$2\$" "$1.files" && bad "$1 holds $2"
}
has btfar /usr/bin/btfar
for m in btfar btfar-build btfar-merge btfar-verify btfar-check btfar-rebase \
	btfar-distill btfar-archive btfar-pack btfar-get; do
	has btfar "/usr/share/man/man1/$m\.1\.gz"
done
has btfar /usr/share/bash-completion/completions/btfar
has btfar /usr/share/doc/btfar/copyright
lacks btfar '.*\.so.*'
has libbtfar0 "/usr/lib/$multiarch/libbtfar\.so\.0"
has libbtfar0 "/usr/lib/$multiarch/libbtfar\.so\.0\.[0-9.]+"
lacks libbtfar0 '.*\.(a|h|pc)'
has libbtfar-dev /usr/include/btfar/btfar\.h
has libbtfar-dev "/usr/lib/$multiarch/libbtfar\.so"
has libbtfar-dev "/usr/lib/$multiarch/libbtfar\.a"
has libbtfar-dev "/usr/lib/$multiarch/pkgconfig/libbtfar\.pc"
has libbtfar-dev "/usr/lib/$multiarch/cmake/btfar/btfarConfig\.cmake"
dpkg-deb -f "btfar_${ver}_$arch.deb" Depends | grep -q 'libbtfar0 (>= ' ||
	bad "btfar does not depend on libbtfar0: $(dpkg-deb -f "btfar_${ver}_$arch.deb" Depends)"

# a throwaway root
mkdir -p root
for p in btfar libbtfar0 libbtfar-dev; do
	dpkg-deb -x "${p}_${ver}_$arch.deb" root || bad "dpkg-deb -x $p"
done
export LD_LIBRARY_PATH=$work/root/usr/lib/$multiarch
readelf -d root/usr/bin/btfar | grep -q 'NEEDED.*libbtfar\.so\.0' ||
	bad "btfar does not need libbtfar.so.0"
got=$(root/usr/bin/btfar version) || bad "btfar version fails in the unpacked root"
echo "unpacked root: btfar version: $got"
[ "$got" = "btfar ${ver%%-*}" ] || bad "btfar version says '$got', the package is $ver"
ldd root/usr/bin/btfar | grep -q "libbtfar.so.0 => $work/root" ||
	bad "btfar does not take the unpacked libbtfar.so.0: $(ldd root/usr/bin/btfar | grep btfar)"
cp /sys/kernel/btf/vmlinux "6.1.0-0-test.btf" 2>/dev/null ||
	printf '\x9f\xeb\x01\x00\x18\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x10\x00\x00\x00\x05\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01\x04\x00\x00\x00\x20\x00\x00\x01\x00int\x00' >"6.1.0-0-test.btf"
root/usr/bin/btfar pack -o t.btfa --level 1 6.1.0-0-test.btf 2>pack.err ||
	bad "pack with the packaged btfar: $(cat pack.err)"
root/usr/bin/btfar get t.btfa 6.1.0-0-test -o got.btf 2>get.err &&
	cmp -s got.btf 6.1.0-0-test.btf || bad "get with the packaged btfar: $(cat get.err)"
unset LD_LIBRARY_PATH
grep -q '^prefix=\|^Name: libbtfar' "root/usr/lib/$multiarch/pkgconfig/libbtfar.pc" ||
	bad "libbtfar.pc unreadable"

# lintian
lintian --fail-on error --display-info --tag-display-limit 0 \
	"btfar_${ver}_$arch.changes" "btfar_$ver.dsc" 2>&1 |
	grep -v 'running with root privileges' >lintian.out
rc=${PIPESTATUS[0]}
echo "lintian ($(lintian --version)):"
sed 's/^/  /' lintian.out
[ -s lintian.out ] || echo "  (nothing)"
[ $rc = 0 ] || bad "lintian reports errors (exit $rc)"

[ $fail = 0 ] && echo "PASS: btfar, libbtfar0, libbtfar-dev $ver built, contents right, btfar runs from an unpacked root, no lintian error"
exit $fail
