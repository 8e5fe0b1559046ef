#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# tests/lib.sh: what the fixture test scripts share (sourced, never run).
#
# The scripts in tests/fixtures/ (merge.sh, verify.sh, inputs.sh,
# badinput.sh, build.sh, rebase.sh, archive.sh, compat.sh, faults.sh,
# newer.sh, dwarf.sh, meta.sh, mincore.sh, remote.sh, cli.sh) hold the cases
# of one area each. A case is a shell
# function named test_WHAT_IT_CHECKS, its body the commands and the
# expectations; tests/fixtures/CMakeLists.txt finds every line
# `test_NAME() {` of the scripts and adds the ctest entry fixtures_NAME.
# A new case is a new function: nothing else lists it.
#
# Run one case through ctest, or directly (after a build, with the inputs
# of tests/fixtures/gen.sh made once):
#
#   ctest --test-dir build -R '^fixtures_merge_refuses_wrong_base$'
#   sh tests/fixtures/gen.sh /tmp/fix
#   bash tests/fixtures/badinput.sh test_merge_refuses_wrong_base \
#       build/btfar build/tests/fixtures/tools /tmp/fix /tmp/work
#   bash tests/fixtures/badinput.sh --list
#
# that is SCRIPT CASE BTFAR TOOLDIR FIXDIR WORKDIR: TOOLDIR holds the
# helpers of tests/tools (btfpatch, elfpatch, btfnewer, faultinj.so),
# FIXDIR what gen.sh made (dwarf.sh does not read it), WORKDIR is wiped
# first and holds everything the case writes. Exit 0 pass, 1 fail (with
# what differed), 77 skip (the reason on stdout).
#
# What a case can use: $btfar, $btfpatch, $elfpatch, $btfnewer, $faultinj
# (the programs), $fix (gen.sh's inputs), $base (base.o, the "vmlinux"),
# $nbase (its number of types), mods (mod_a, mod_b, mod_c as .ko), $work
# (the current directory), $src (tests/fixtures/src), $expected
# (tests/fixtures/expected), and the helpers below.
set -u

# inputs: "gen.sh" when the cases of a script read FIXDIR (SKIP when gen.sh
# wrote FIXDIR/SKIP), "none" when they make their own (dwarf.sh)
inputs=gen.sh
TEST_CASE=

# abspath PATH: PATH from / (the case runs in WORKDIR)
abspath() {
	case $1 in
	/*) echo "$1" ;;
	*) echo "$PWD/$1" ;;
	esac
}

# main "$@": the last line of every script; runs the case it names
main() {
	local here
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	if [ $# -eq 0 ] || [ "$1" = --list ]; then
		declare -F | sed -n 's/^declare -f \(test_[a-z0-9_]*\)$/\1/p'
		[ $# -ne 0 ] || echo "usage: $0 CASE BTFAR TOOLDIR FIXDIR WORKDIR (tests/lib.sh)" >&2
		exit 0
	fi
	if [ $# -ne 5 ]; then
		echo "usage: $0 CASE BTFAR TOOLDIR FIXDIR WORKDIR (tests/lib.sh)" >&2
		exit 2
	fi
	TEST_CASE=$1
	btfar=$(abspath "$2")
	local tools
	tools=$(abspath "$3")
	fix=$(abspath "$4")
	work=$(abspath "$5")
	btfpatch=$tools/btfpatch
	elfpatch=$tools/elfpatch
	btfnewer=$tools/btfnewer
	faultinj=$tools/faultinj.so
	src=$here/fixtures/src
	expected=$here/fixtures/expected
	[[ $TEST_CASE == test_* ]] && declare -F "$TEST_CASE" >/dev/null ||
		fail "unknown case"

	if [ "$inputs" = gen.sh ]; then
		if [ -f "$fix/SKIP" ]; then
			echo "SKIP: $(cat "$fix/SKIP")"
			exit 77
		fi
		if [ ! -f "$fix/base.count" ]; then
			echo "FAIL: no fixtures in $fix (did fixtures_gen fail?)"
			exit 1
		fi
		base=$fix/base.o
		nbase=$(cat "$fix/base.count")
		mods=("$fix/mod_a.ko" "$fix/mod_b.ko" "$fix/mod_c.ko")
	fi
	rm -rf "$work"
	mkdir -p "$work"
	cd "$work" || exit 1

	"$TEST_CASE"
	echo "PASS [$TEST_CASE]"
	exit 0
}

fail() {
	echo "FAIL [$TEST_CASE]: $*"
	exit 1
}

# run NAME CMD...: runs CMD, stdout in NAME.out, stderr in NAME.err, exit
# code in $rc; the command line is echoed for the log.
run() {
	local name=$1
	shift
	echo "+ $*"
	"$@" >"$name.out" 2>"$name.err"
	rc=$?
}

# expect_rc NAME WANT: the exit code of the last run.
expect_rc() {
	if [ "$rc" != "$2" ]; then
		echo "--- stdout of $1:"
		cat "$1.out"
		echo "--- stderr of $1:"
		cat "$1.err"
		fail "$1: exit code $rc, expected $2"
	fi
}

# expect_line FILE LINE: FILE holds exactly this line.
expect_line() {
	if ! grep -Fxq -- "$2" "$1"; then
		echo "--- $1:"
		cat "$1"
		fail "$1 has no line '$2'"
	fi
}

# expect_has FILE TEXT / expect_not FILE TEXT: substring present / absent.
expect_has() {
	if ! grep -Fq -- "$2" "$1"; then
		echo "--- $1:"
		cat "$1"
		fail "$1 does not contain '$2'"
	fi
}

expect_not() {
	if grep -Fq -- "$2" "$1"; then
		echo "--- $1:"
		cat "$1"
		fail "$1 contains '$2'"
	fi
}

# expect_eq WHAT GOT WANT
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: got '$2', expected '$3'"
}

# expect_same A B: byte-identical files.
expect_same() {
	if ! cmp "$1" "$2"; then
		fail "$1 and $2 differ"
	fi
}

# expect_empty_dir DIR: nothing at all in DIR (no output, no temp file).
expect_empty_dir() {
	local left
	left=$(ls -A "$1")
	[ -z "$left" ] || fail "$1 is not empty: $left"
}

# dump BTF [BASE]: bpftool's text dump into NAME.txt in the work dir, NAME
# the file name of BTF; fails the test if bpftool cannot load it.
dump() {
	local out
	out=$(basename "$1").txt
	if [ $# -gt 1 ]; then
		bpftool -B "$2" btf dump file "$1" >"$out" 2>dump.err
	else
		bpftool btf dump file "$1" >"$out" 2>dump.err
	fi || {
		cat dump.err
		fail "bpftool cannot load $1"
	}
}

# count FILE KIND NAME: how many type records KIND 'NAME' a dump holds.
count() {
	grep -c "^\[[0-9]*\] $2 '$3' " "$1"
}

# expect_count FILE KIND NAME N
expect_count() {
	local n
	n=$(count "$1" "$2" "$3")
	expect_eq "$2 '$3' records in $1" "$n" "$4"
}

# json_num FILE KEY: a number of the --json summary.
json_num() {
	sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" "$1"
}

# types FILE: number of type records in a dump
types() {
	grep -c '^\[' "$1"
}

# sha FILE: its sha256.
sha() {
	sha256sum <"$1" | cut -d' ' -f1
}

# put_le FILE OFFSET BYTES VALUE: VALUE written little-endian over BYTES
# bytes at OFFSET.
put_le() {
	local i v=$4 s=""
	for ((i = 0; i < $3; i++)); do
		s+=$(printf '\\%03o' $((v & 255)))
		v=$((v >> 8))
	done
	printf "$s" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# index_bump_sum ARCHIVE SUM OUT: OUT is ARCHIVE with the index's copy of
# the SHA-256 SUM (hex) changed in its first byte, the index recompressed
# and the header's index size and index SHA-256 rewritten to match, so that
# only the entry's blob sum disagrees. Prints the new sum.
index_bump_sum() {
	local a=$1 sum=$2 out=$3 ioff isz hex at b
	le() { od -An -tu"$3" -j"$2" -N"$3" "$1" | tr -d ' '; }
	ioff=$(le "$a" 16 8)
	isz=$(le "$a" 24 8)
	dd if="$a" of=idx.zst bs=1 skip="$ioff" count="$isz" status=none
	zstd -q -d -c idx.zst >idx.bin || fail "index does not decompress"
	hex=$(od -An -v -tx1 idx.bin | tr -d ' \n')
	at=$(awk -v h="$hex" -v s="$sum" 'BEGIN { print index(h, s) - 1 }')
	[ "$at" -ge 0 ] && [ $((at % 2)) = 0 ] || fail "sum not in the index"
	b=$(le idx.bin $((at / 2)) 1)
	put_le idx.bin $((at / 2)) 1 $(((b + 1) & 255))
	zstd -q -19 -c idx.bin >idx2.zst
	{
		head -c "$ioff" "$a"
		cat idx2.zst
	} >"$out"
	put_le "$out" 24 8 "$(stat -c %s idx2.zst)"
	printf "$(sha256sum <idx2.zst | cut -c1-64 | sed 's/../\\x&/g')" |
		dd of="$out" bs=1 seek=32 conv=notrunc status=none
	printf '%02x%s\n' $(((b + 1) & 255)) "${sum:2}"
}

merge_all() {
	run all "$btfar" merge --base "$base" -o all.btf "${mods[@]}"
	expect_rc all 0
}

# patched_btf MUTATION: mod_a with its .BTF corrupted by btfpatch, as a .ko
# (bad.ko); the "ID KIND" btfpatch hit is left in $hit.
patched_btf() {
	hit=$("$btfpatch" "$1" $((nbase + 1)) "$fix/mod_a.btf" bad.btf) ||
		fail "btfpatch $1 failed"
	objcopy --update-section .BTF=bad.btf "$fix/mod_a.ko" bad.ko ||
		fail "objcopy --update-section failed"
	echo "btfpatch $1: ${hit:-header}"
}

# mktree DIR REL IMAGE: DIR/lib/modules/REL/kernel/mod_{a,b,c}.ko.xz and,
# unless IMAGE is "", the fixture vmlinux (base.o, an ELF with .BTF) as
# DIR/IMAGE.
mktree() {
	mkdir -p "$1/lib/modules/$2/kernel"
	cp "$fix/mod_a.ko.xz" "$fix/mod_b.ko.xz" "$fix/mod_c.ko.xz" \
		"$1/lib/modules/$2/kernel/"
	if [ -n "$3" ]; then
		mkdir -p "$(dirname "$1/$3")"
		cp "$base" "$1/$3"
	fi
}

# mkreleases: three `btfar build` outputs from the fixture modules, one per
# release, so that the blobs differ: o1 (6.1.0-one: mod_a, mod_b, mod_c),
# o2 (6.1.0-two: mod_a, mod_b), o3 (6.2.0-three: mod_b, mod_c).
mkreleases() {
	local i rel
	for i in 1 2 3; do
		rel=$(echo 6.1.0-one 6.1.0-two 6.2.0-three | cut -d' ' -f$i)
		mktree "t$i" "$rel" "boot/vmlinux-$rel"
		[ $i = 2 ] && rm "t2/lib/modules/$rel/kernel/mod_c.ko.xz"
		[ $i = 3 ] && rm "t3/lib/modules/$rel/kernel/mod_a.ko.xz"
		run "build$i" "$btfar" build -o "o$i" "t$i"
		expect_rc "build$i" 0
	done
}

# check_old_entries ARCHIVE: o1 and o2 read back byte-identical.
check_old_entries() {
	run g1 "$btfar" get "$1" 6.1.0-one -o g1.btf
	expect_rc g1 0
	expect_same g1.btf o1/6.1.0-one.btf
	run g2 "$btfar" get "$1" 6.1.0-two -o g2.btf
	expect_rc g2 0
	expect_same g2.btf o2/6.1.0-two.btf
}

# mk_distilled: dmod_a.ko, dmod_c.ko: mod_a, mod_c distilled on base and
# assembled with objcopy as Linux 6.11+ builds them (.BTF on .BTF.base).
mk_distilled() {
	local m
	"$btfar" distill --base "$base" -o ds "$fix/mod_a.ko" "$fix/mod_c.ko" \
		>/dev/null 2>&1 || fail "btfar distill"
	for m in a c; do
		cp "$fix/mod_$m.ko" "dmod_$m.ko"
		objcopy --update-section .BTF="ds/mod_$m.btf" \
			--add-section .BTF.base="ds/mod_$m.btf.base" \
			--set-section-flags .BTF.base=readonly "dmod_$m.ko" ||
			fail "objcopy dmod_$m.ko"
	done
}

# skip_without_compat_module: SKIP unless gen.sh made mod_compat.ko (one
# of each kind --compat rewrites: clang and a recent pahole needed)
skip_without_compat_module() {
	if [ -f "$fix/compat.SKIP" ]; then
		echo "SKIP: $(cat "$fix/compat.SKIP")"
		exit 77
	fi
}
