#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# deps_complete.sh ROOT: every library CMakeLists.txt asks for (pkg-config
# modules of pkg_check_modules, names of find_library) and every program it
# looks for (find_program: scdoc) comes from a Debian
# package of the build group of scripts/deps.sh; the scripts that install
# packages (.ci/run, the demo) take them from deps.sh. Exit 0 pass, 1 fail,
# 77 skip (no dpkg: not a Debian system).
set -u
root=${1:?usage: deps_complete.sh ROOT}
fail=0

command -v dpkg >/dev/null || { echo "SKIP: no dpkg (not Debian)"; exit 77; }
build=$(bash "$root/scripts/deps.sh" list build) || exit 1

# owner FILE: the Debian package that installed FILE
owner() {
	dpkg -S "$1" 2>/dev/null | head -n1 | cut -d: -f1
}

check() { # WHAT FILE
	local pkg
	if [ -z "$2" ] || [ ! -e "$2" ]; then
		echo "FAIL: $1: not found on this machine (is it installed?)"
		fail=1
		return
	fi
	# the name itself (a -dev package's .so link), then what it points to
	pkg=$(owner "$(realpath -s "$2")")
	[ -n "$pkg" ] || pkg=$(owner "$(readlink -f "$2")")
	if ! grep -qx "$pkg" <<<"$build"; then
		echo "FAIL: $1 ($2) comes from $pkg, not in scripts/deps.sh's build group"
		fail=1
	else
		echo "ok: $1 from $pkg"
	fi
}

n=0
# pkg_check_modules(VAR [REQUIRED] [IMPORTED_TARGET] module...)
mods=$(grep -ho 'pkg_check_modules([^)]*)' "$root/CMakeLists.txt" |
	sed 's/pkg_check_modules(//; s/)//' |
	awk '{for (i = 2; i <= NF; i++) if ($i != "REQUIRED" && $i != "IMPORTED_TARGET" && $i != "QUIET") print $i}')
demo_names=$(sed -n '/^# The build group of scripts\/deps.sh/,/^bash /p' \
	"$root/tests/e2e/demo.sh")
# demo_names_it NAME: the README's first command says what it installs
demo_names_it() {
	grep -qw -- "$1" <<<"$demo_names" || {
		echo "FAIL: tests/e2e/demo.sh does not name $1 in its install comment"
		fail=1
	}
}
for m in $mods; do
	demo_names_it "$m"
	n=$((n + 1))
	dir=$(pkg-config --variable=pcfiledir "$m" 2>/dev/null)
	check "pkg-config $m" "${dir:+$dir/$m.pc}"
done
# find_library(VAR NAMES name...)
libs=$(grep -ho 'find_library([^)]*)' "$root/CMakeLists.txt" |
	sed 's/.*NAMES //; s/)//')
for l in $libs; do
	demo_names_it "$l"
	n=$((n + 1))
	f=$(gcc -print-file-name="lib$l.so")
	[ "$f" = "lib$l.so" ] && f=
	check "library $l" "$f"
done
# find_program(VAR NAMES name...): programs the build runs (scdoc)
progs=$(grep -ho 'find_program([^)]*)' "$root/CMakeLists.txt" |
	sed 's/.*NAMES //; s/)//')
for p in $progs; do
	n=$((n + 1))
	check "program $p" "$(command -v "$p")"
done
[ "$n" -ge 8 ] || { echo "FAIL: only $n libraries found in CMakeLists.txt"; fail=1; }

for s in .ci/run tests/e2e/demo.sh; do
	if ! grep -q 'scripts/deps.sh" install' "$root/$s"; then
		echo "FAIL: $s does not install through scripts/deps.sh"
		fail=1
	fi
	if grep -q 'apt-get install' "$root/$s"; then
		echo "FAIL: $s runs apt-get install itself (keep one list)"
		fail=1
	fi
done
# debian/control's Build-Depends: the build group, less build-essential
# (implied by Debian policy; lintian refuses it), plus debhelper-compat
if [ -e "$root/debian/control" ]; then
	bd=$(sed -n '/^Build-Depends:/,/^[A-Z]/p' "$root/debian/control" |
		sed '1s/^Build-Depends://; /^[A-Z]/d' | tr ',' '\n' |
		sed 's/([^)]*)//; s/^ *//; s/ *$//; /^$/d' | sort -u)
	want=$(printf '%s\n' $build debhelper-compat | grep -vx build-essential | sort -u)
	if [ "$bd" != "$want" ]; then
		echo "FAIL: debian/control Build-Depends and scripts/deps.sh's build group differ:"
		diff <(echo "$want") <(echo "$bd") | sed -n 's/^</  only in deps.sh:/p; s/^>/  only in debian\/control:/p'
		fail=1
	else
		echo "ok: debian/control Build-Depends = the build group"
	fi
fi
[ $fail = 0 ] && echo "PASS: $n libraries, all in the build group"
exit $fail
