#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# compat.sh CASE: --compat (docs/COMPAT.md) on the real Debian 12 package
# linux-image-6.12.117+deb12-amd64-unsigned, read by real old readers.
# ctest runs one CASE per entry (tests/e2e/CMakeLists.txt):
#
#   go            builds cilium/main.go against Debian 12's cilium/ebpf 0.9.1
#                 (golang-github-cilium-ebpf-dev, Go 1.19) once
#   merge         btfar merge --compat 5.15 of every module -> compat515.btf:
#                 the ids, sizes and struct i40e_pf of merged.btf, and none
#                 of the kinds 5.15 lacks
#   cilium        cilium/ebpf fails on merged.btf (ENUM64), loads
#                 compat515.btf and finds struct i40e_pf with its members
#   readers       bpftool btf dump (raw, format c) and libbpf (btf__parse,
#                 btf_custom_path) load compat515.btf
#   min_core_btf  bpftool gen min_core_btf of prog.bpf.c gives the same
#                 minimal BTF (fields, offsets) on merged.btf and on
#                 compat515.btf
#
# Environment as e2e.sh: BTFAR, E2E_LIBBPF, E2E_WORK, E2E_SRC, BTFAR_CACHE.
# Exit 0 pass, 1 fail, 77 skip (the reason on stdout).
set -euo pipefail
CASE=${1:?usage: compat.sh CASE}
: "${BTFAR:?}" "${E2E_WORK:?}" "${E2E_SRC:?}"
CACHE=${BTFAR_CACHE:-$HOME/.cache/btfar}
MERGED=$E2E_WORK/merged.btf
COMPAT=$E2E_WORK/compat515.btf
CILIUM=$E2E_WORK/compat/cilium
GOPKG=/usr/share/gocode/src/github.com/cilium/ebpf

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
run() { echo "+ $*" >&2; "$@"; }
need_tool() {
	command -v "$1" >/dev/null 2>&1 ||
		skip "$1 not found (Debian 12: apt-get install $2)"
}
load_kernel() {
	[ -e "$E2E_WORK/SKIP" ] && skip "$(cat "$E2E_WORK/SKIP")"
	[ -s "$CACHE/kernel.env" ] || fail "$CACHE/kernel.env missing (fetch did not run?)"
	# shellcheck disable=SC1091
	. "$CACHE/kernel.env"
}
need_blobs() {
	[ -s "$MERGED" ] || fail "$MERGED missing (e2e_merge_612 failed?)"
	[ -s "$COMPAT" ] || fail "$COMPAT missing (e2e_compat_merge_612 failed?)"
}
# struct_lines DUMP NAME: the record of STRUCT 'NAME' and its members.
struct_lines() {
	awk "/^\[[0-9]+\] STRUCT '$2' /{p=1; print; next} p && /^\t/{print; next} p{exit}" "$1"
}
build_prog() {
	need_tool clang clang
	[ -e /usr/include/bpf/bpf_core_read.h ] ||
		skip "bpf/bpf_core_read.h not found (apt-get install libbpf-dev)"
	run clang -target bpf -g -O2 -Wall -Werror -c "$E2E_SRC/prog.bpf.c" -o "$1" ||
		fail "clang -target bpf failed on prog.bpf.c"
}

case_go() {
	need_tool go golang-go
	[ -d "$GOPKG/btf" ] ||
		skip "$GOPKG not found (apt-get install golang-github-cilium-ebpf-dev)"
	mkdir -p "$E2E_WORK/compat"
	rm -f "$CILIUM"
	# Debian's Go packages are a GOPATH tree, not modules
	(cd "$E2E_SRC/cilium" &&
		run env GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= \
			GOCACHE="$E2E_WORK/compat/gocache" \
			go build -o "$CILIUM" main.go) || fail "go build of cilium/main.go failed"
	echo "ok: $CILIUM ($(go version), cilium/ebpf $(dpkg-query -W -f='${Version}' golang-github-cilium-ebpf-dev 2>/dev/null || echo '?'))"
}

case_merge() {
	local err=$E2E_WORK/compat/merge.err rc=0 n_m n_c
	load_kernel
	mkdir -p "$E2E_WORK/compat"
	rm -f "$COMPAT"
	run "$BTFAR" merge --base "$VMLINUX" --compat 5.15 -v -j 2 -o "$COMPAT" "$MODDIR" 2>"$err" || rc=$?
	grep -v '^\[' "$err" | tail -n 12
	[ $rc = 0 ] || fail "btfar merge --compat 5.15 exited $rc, want 0"
	grep -q '^btfar: compat 5.13: ' "$err" || fail "no 'compat 5.13:' line in the log"
	[ -s "$MERGED" ] || fail "$MERGED missing (e2e_merge_612 failed?)"
	bpftool btf dump file "$MERGED" >"$E2E_WORK/compat/plain.txt" || fail "bpftool cannot load merged.btf"
	bpftool btf dump file "$COMPAT" >"$E2E_WORK/compat/compat.txt" || fail "bpftool cannot load compat515.btf"
	n_m=$(grep -c '^\[' "$E2E_WORK/compat/plain.txt")
	n_c=$(grep -c '^\[' "$E2E_WORK/compat/compat.txt")
	[ "$n_m" = "$n_c" ] || fail "compat blob has $n_c types, merged.btf $n_m"
	for k in ENUM64 TYPE_TAG DECL_TAG; do
		! grep -q "^\[[0-9]*\] $k " "$E2E_WORK/compat/compat.txt" ||
			fail "compat515.btf still holds $k records"
	done
	struct_lines "$E2E_WORK/compat/plain.txt" i40e_pf >"$E2E_WORK/compat/i40e_pf.plain"
	struct_lines "$E2E_WORK/compat/compat.txt" i40e_pf >"$E2E_WORK/compat/i40e_pf.compat"
	[ -s "$E2E_WORK/compat/i40e_pf.plain" ] || fail "no STRUCT 'i40e_pf' in merged.btf"
	cmp -s "$E2E_WORK/compat/i40e_pf.plain" "$E2E_WORK/compat/i40e_pf.compat" ||
		fail "STRUCT 'i40e_pf' differs between merged.btf and compat515.btf"
	echo "ok: $n_c types in both blobs (same ids), no ENUM64/TYPE_TAG/DECL_TAG left, STRUCT 'i40e_pf' identical ($(($(wc -l <"$E2E_WORK/compat/i40e_pf.plain") - 1)) members); $(stat -c %s "$COMPAT") bytes vs $(stat -c %s "$MERGED")"
	rm -f "$E2E_WORK/compat/plain.txt" "$E2E_WORK/compat/compat.txt"
}

case_cilium() {
	local out=$E2E_WORK/compat/cilium.out rc=0
	load_kernel
	need_blobs
	if [ ! -x "$CILIUM" ]; then
		need_tool go golang-go
		[ -d "$GOPKG/btf" ] ||
			skip "$GOPKG not found (apt-get install golang-github-cilium-ebpf-dev)"
		fail "$CILIUM missing (e2e_compat_go failed?)"
	fi
	echo "+ $CILIUM $MERGED i40e_pf" >&2
	"$CILIUM" "$MERGED" i40e_pf >"$out" 2>&1 || rc=$?
	cat "$out"
	[ $rc = 1 ] || fail "cilium/ebpf on merged.btf exited $rc, want 1 (it cannot read ENUM64)"
	grep -q 'unknown kind' "$out" || fail "cilium/ebpf on merged.btf: no 'unknown kind' error"
	rc=0
	echo "+ $CILIUM $COMPAT i40e_pf" >&2
	"$CILIUM" "$COMPAT" i40e_pf >"$out" 2>&1 || rc=$?
	head -n 6 "$out"
	[ $rc = 0 ] || fail "cilium/ebpf on compat515.btf exited $rc, want 0"
	grep -q '^struct i40e_pf size=' "$out" || fail "no struct i40e_pf line"
	grep -q '^	pdev bits_offset=0 ' "$out" || fail "no member pdev at bit 0"
	grep -q '^	hw bits_offset=' "$out" || fail "no member hw"
	echo "ok: cilium/ebpf 0.9.1 refuses merged.btf, reads compat515.btf: $(head -n 1 "$out")"
}

case_readers() {
	local c=$E2E_WORK/compat/compat.h
	load_kernel
	need_blobs
	need_tool bpftool bpftool
	: "${E2E_LIBBPF:?}"
	run bpftool btf dump file "$COMPAT" format c >"$c" || fail "bpftool format c failed on compat515.btf"
	grep -q 'struct pci_dev \*pdev;' "$c" || fail "format c: no 'struct pci_dev *pdev;'"
	echo "ok: bpftool $(bpftool version | head -n 1 | awk '{print $2}') format c, $(wc -l <"$c") lines"
	rm -f "$c"
	run "$E2E_LIBBPF" "$COMPAT" || fail "e2e_libbpf failed on compat515.btf"
}

case_min_core_btf() {
	local d=$E2E_WORK/compat
	load_kernel
	need_blobs
	need_tool bpftool bpftool
	build_prog "$d/prog_min.o"
	rm -f "$d/min_plain.btf" "$d/min_compat.btf"
	run bpftool gen min_core_btf "$MERGED" "$d/min_plain.btf" "$d/prog_min.o" ||
		fail "bpftool gen min_core_btf failed on merged.btf"
	run bpftool gen min_core_btf "$COMPAT" "$d/min_compat.btf" "$d/prog_min.o" ||
		fail "bpftool gen min_core_btf failed on compat515.btf"
	bpftool btf dump file "$d/min_plain.btf" >"$d/min_plain.txt"
	bpftool btf dump file "$d/min_compat.btf" >"$d/min_compat.txt"
	cat "$d/min_compat.txt"
	grep -q "STRUCT 'i40e_pf' size=" "$d/min_compat.txt" || fail "min BTF has no STRUCT 'i40e_pf'"
	diff -u "$d/min_plain.txt" "$d/min_compat.txt" ||
		fail "min_core_btf differs between merged.btf and compat515.btf"
	echo "ok: the minimal BTF (types, members, offsets) is the same on both blobs"
}

"case_$CASE"
