#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# e2e.sh CASE: one end-to-end test on the real Debian 12 kernel package
# linux-image-6.12.117+deb12-amd64-unsigned (4,230 .ko.xz modules). ctest
# runs one CASE per entry (tests/e2e/CMakeLists.txt):
#
#   fetch         bench/fetch-kernel.sh into the cache (the fixture setup)
#   merge         btfar merge --json of every module -> merged.btf
#   verify        btfar verify of merged.btf against every module
#   bpftool       bpftool btf dump file merged.btf (raw and format c)
#   min_core_btf  bpftool gen min_core_btf merged.btf min.btf prog.o
#   min_core      btfar min-core (public API) vs bpftool on prog.o + core_running.o
#   libbpf        btf__parse reads the blob, i40e_pf -> pdev -> struct pci_dev
#   determinism   merge with -j 1 gives the bytes of merge with -j 2
#   input_order   the module files in reverse order give the same bytes
#
# btfar build on whole packages (TAG: 612 is the package above, 61 is
# linux-image-6.1.0-56-amd64-unsigned with plain .ko modules and an xz
# bzImage, arm64 is linux-image-6.12.117+deb12-arm64-unsigned with a raw
# EFI-stub Image whose BTF is found by scanning):
#
#   fetch_pkg TAG   tests/e2e/fetch-pkg.sh into the cache, then the vmlinux
#                   BTF of its vmlinuz with kimage_btf (61, arm64)
#   build TAG       btfar build --json -j 2 of the .deb: one release, every
#                   .ko* file of the package merged, 0 skipped
#   build_verify TAG  btfar verify of that blob: every module, 0 missed
#   build_j1 TAG    btfar build -j 1 gives the bytes of -j 2
#   build_dir       (612) the unpacked package gives the bytes of the .deb,
#                   and both the bytes of btfar merge (merged.btf)
#
# Environment (set by CMake): BTFAR (the CLI), E2E_LIBBPF (e2e_libbpf),
# KIMAGE_BTF (kimage_btf),
# E2E_WORK (outputs shared between the cases), E2E_SRC (this folder),
# BTFAR_CACHE (the download cache, default ~/.cache/btfar).
#
# Exit 0 pass, 1 fail, 77 skip (with the reason on stdout): when the
# package cannot be downloaded (no network, no apt source) or a tool a
# case needs is missing.
set -euo pipefail

CASE=${1:?usage: e2e.sh CASE [TAG]}
TAG=${2:-}
: "${BTFAR:?}" "${E2E_WORK:?}" "${E2E_SRC:?}"
CACHE=${BTFAR_CACHE:-$HOME/.cache/btfar}
SKIP_FILE=$E2E_WORK/SKIP
MERGED=$E2E_WORK/merged.btf
ROOT=$(cd "$E2E_SRC/../.." && pwd)

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
run() { echo "+ $*" >&2; "$@"; }

need_tool() {
	command -v "$1" >/dev/null 2>&1 ||
		skip "$1 not found (Debian 12: apt-get install $2)"
}

# Every case but fetch: skip when the fetch skipped, then load kernel.env.
load_kernel() {
	[ -e "$SKIP_FILE" ] && skip "$(cat "$SKIP_FILE")"
	[ -s "$CACHE/kernel.env" ] || fail "$CACHE/kernel.env missing (fetch did not run?)"
	# shellcheck disable=SC1091
	. "$CACHE/kernel.env"
	echo "kernel: $RELEASE, $NMODULES modules in $MODDIR"
}

need_merged() {
	[ -s "$MERGED" ] || fail "$MERGED missing (e2e_merge_612 failed?)"
}

# prog.o: the CO-RE program reading struct i40e_pf (prog.bpf.c).
build_prog() {
	local out=$1
	need_tool clang clang
	[ -e /usr/include/bpf/bpf_core_read.h ] ||
		skip "bpf/bpf_core_read.h not found (apt-get install libbpf-dev)"
	run clang -target bpf -g -O2 -Wall -Werror -c "$E2E_SRC/prog.bpf.c" -o "$out" ||
		fail "clang -target bpf failed on prog.bpf.c"
}

# json_num FILE KEY: the number after "KEY": in a one-line JSON object.
json_num() {
	sed -n "s/.*\"$2\":\([0-9][0-9]*\).*/\1/p" "$1"
}

case_fetch() {
	local log=$E2E_WORK/fetch.log rc=0 deb
	rm -f "$SKIP_FILE"
	mkdir -p "$CACHE"
	"$ROOT/bench/fetch-kernel.sh" "$CACHE" 2>&1 | tee "$log" || rc=$?
	[ $rc = 0 ] && return 0
	# No package in the cache: the download (or installing what the
	# download needs) failed. That is no verdict on btfar: skip them all.
	deb=$(find "$CACHE" -maxdepth 1 -name '*.deb' -size +1M 2>/dev/null | head -n 1)
	if [ -z "$deb" ]; then
		echo "cannot download the kernel package into $CACHE: $(grep 'error:' "$log" | tail -n 1)" >"$SKIP_FILE"
		skip "$(cat "$SKIP_FILE")"
	fi
	fail "bench/fetch-kernel.sh exited $rc with $deb in the cache"
}

case_merge() {
	local json=$E2E_WORK/merge.json rc=0 found merged skipped base before after bb ba
	load_kernel
	rm -f "$MERGED"
	run "$BTFAR" merge --base "$VMLINUX" -o "$MERGED" --json -j 2 "$MODDIR" >"$json" || rc=$?
	cat "$json"
	[ $rc = 0 ] || fail "btfar merge exited $rc, want 0"
	[ -s "$MERGED" ] || fail "no $MERGED"
	found=$(json_num "$json" modules_found)
	merged=$(json_num "$json" modules_merged)
	skipped=$(json_num "$json" modules_skipped)
	base=$(json_num "$json" base_types)
	before=$(json_num "$json" types_before)
	after=$(json_num "$json" types_after)
	bb=$(json_num "$json" bytes_before)
	ba=$(json_num "$json" bytes_after)
	[ "$found" = 4230 ] || fail "modules_found '$found', want 4230"
	[ "$merged" = 4230 ] || fail "modules_merged '$merged', want 4230"
	[ "$skipped" = 0 ] || fail "modules_skipped '$skipped', want 0"
	# vmlinux of 6.12.117 holds 112,768 types, the modules 1,087,212
	# before dedup; dedup removes about half of them.
	[ "${base:-0}" -gt 100000 ] || fail "base_types '$base', want > 100000"
	[ "${before:-0}" -gt 1000000 ] || fail "types_before '$before', want > 1000000"
	[ "${after:-0}" -gt 0 ] || fail "types_after '$after', want > 0"
	[ "$after" -lt "$before" ] ||
		fail "types_after '$after', want < types_before $before"
	[ "${ba:-0}" -gt 0 ] || fail "bytes_after '$ba', want > 0"
	[ "$ba" -lt "$bb" ] || fail "bytes_after $ba, want < bytes_before $bb"
	[ $((base + after)) -lt $((0xFFFFF)) ] ||
		fail "$((base + after)) types, over the BTF type id limit 0xFFFFF"
	echo "ok: $merged merged, 0 skipped; types: base $base, modules $before -> $after; total $((base + after)) < 0xFFFFF"
}

case_verify() {
	local out=$E2E_WORK/verify.json rc=0 missed checked
	load_kernel
	need_merged
	run "$BTFAR" verify --base "$VMLINUX" --json "$MERGED" "$MODDIR" >"$out" || rc=$?
	cat "$out"
	[ $rc = 0 ] || fail "btfar verify exited $rc, want 0"
	missed=$(json_num "$out" missed)
	checked=$(json_num "$out" checked)
	[ "$missed" = 0 ] || fail "verify: $missed missed, want 0"
	[ "$(json_num "$out" modules)" = 4230 ] || fail "verify checked $(json_num "$out" modules) modules, want 4230"
	[ "${checked:-0}" -gt 0 ] || fail "verify checked nothing"
	echo "ok: $checked checked, 0 missed"
}

case_bpftool() {
	local raw=$E2E_WORK/dump.txt c=$E2E_WORK/dump.h n
	load_kernel
	need_merged
	need_tool bpftool bpftool
	run bpftool btf dump file "$MERGED" >"$raw" || fail "bpftool btf dump file exited non-zero"
	n=$(grep -c "^\[[0-9]*\] STRUCT 'i40e_pf' " "$raw" || true)
	[ "$n" = 1 ] || fail "bpftool dump: $n STRUCT 'i40e_pf', want 1"
	awk "/^\[[0-9]+\] STRUCT 'i40e_pf' /{p=1; print; next} p && /^\t/{print; next} p{exit}" "$raw" >"$E2E_WORK/i40e_pf.txt"
	head -n 4 "$E2E_WORK/i40e_pf.txt"
	grep -q "^	'pdev' type_id=" "$E2E_WORK/i40e_pf.txt" || fail "STRUCT 'i40e_pf' has no member 'pdev'"
	grep -q "^	'hw' type_id=" "$E2E_WORK/i40e_pf.txt" || fail "STRUCT 'i40e_pf' has no member 'hw'"
	echo "ok: raw dump, STRUCT 'i40e_pf' with $(($(wc -l <"$E2E_WORK/i40e_pf.txt") - 1)) members"

	run bpftool btf dump file "$MERGED" format c >"$c" || fail "bpftool btf dump file format c exited non-zero"
	awk '/^struct i40e_pf \{/{p=1} p{print} p && /^\};/{exit}' "$c" >"$E2E_WORK/i40e_pf.h"
	grep -q 'struct pci_dev \*pdev;' "$E2E_WORK/i40e_pf.h" ||
		fail "format c: no 'struct i40e_pf { struct pci_dev *pdev; ...'"
	echo "ok: format c, $(wc -l <"$c") lines, struct i40e_pf holds 'struct pci_dev *pdev;'"
	rm -f "$raw" "$c" # 100 MB together
}

case_min_core_btf() {
	local prog=$E2E_WORK/prog_min.o min=$E2E_WORK/min.btf dump
	load_kernel
	need_merged
	need_tool bpftool bpftool
	build_prog "$prog"
	rm -f "$min"
	run bpftool gen min_core_btf "$MERGED" "$min" "$prog" ||
		fail "bpftool gen min_core_btf exited non-zero"
	dump=$(bpftool btf dump file "$min") || fail "bpftool btf dump file min.btf exited non-zero"
	echo "$dump"
	grep -q "STRUCT 'i40e_pf' size=" <<<"$dump" || fail "min.btf has no STRUCT 'i40e_pf'"
	grep -q "^	'pdev' type_id=" <<<"$dump" || fail "min.btf: no member 'pdev'"
	grep -q "^	'num_lan_qps' type_id=" <<<"$dump" || fail "min.btf: no member 'num_lan_qps'"
	grep -q "STRUCT 'pci_dev' size=" <<<"$dump" || fail "min.btf has no STRUCT 'pci_dev'"
	echo "ok: min.btf ($(stat -c %s "$min") bytes) holds struct i40e_pf and struct pci_dev"
}

# struct_members DUMP: "struct NAME size=S MEMBER bits_offset=O" per member
# of every struct and union of a bpftool btf dump.
struct_members() {
	awk '/^\[[0-9]+\] (STRUCT|UNION) /{ s = $2 " " $3 " " $4; next }
	     /^\[/{ s = "" }
	     /^\t/ && s != "" { print s, $1, $3 }' "$1" | sort -u
}

# btfar's min-core (public API, e2e_min_core) against bpftool gen
# min_core_btf on the merged blob, for prog.o (i40e_pf, module types) and
# core_running.o (task_struct, mm_struct): every member bpftool keeps is in
# btfar's blob at the same offset, with the struct's size; libbpf 1.1
# reads btfar's blob, and bpftool run on it keeps the same members as on
# the full blob (its relocations resolve the same way there).
case_min_core() {
	local prog=$E2E_WORK/mc_prog.o core=$E2E_WORK/mc_core.o
	local mine=$E2E_WORK/mc_btfar.btf theirs=$E2E_WORK/mc_bpftool.btf
	local again=$E2E_WORK/mc_again.btf missing
	load_kernel
	need_merged
	need_tool bpftool bpftool
	: "${E2E_MIN_CORE:?}"
	build_prog "$prog"
	run clang -target bpf -g -O2 -Wall -Werror \
		-I/usr/include/"$(gcc -print-multiarch)" -I"$E2E_SRC" \
		-c "$E2E_SRC/core_running.bpf.c" -o "$core" ||
		fail "clang -target bpf failed on core_running.bpf.c"
	run "$E2E_MIN_CORE" "$MERGED" "$mine" "$prog" "$core" ||
		fail "btfar min-core: not every relocation resolved"
	run bpftool gen min_core_btf "$MERGED" "$theirs" "$prog" "$core" ||
		fail "bpftool gen min_core_btf failed on the merged blob"
	run bpftool gen min_core_btf "$mine" "$again" "$prog" "$core" ||
		fail "bpftool gen min_core_btf failed on btfar's blob"
	bpftool btf dump file "$theirs" >"$theirs.txt"
	bpftool btf dump file "$mine" >"$mine.txt" ||
		fail "bpftool cannot read btfar's blob"
	bpftool btf dump file "$again" >"$again.txt"
	cat "$mine.txt"
	struct_members "$theirs.txt" >"$theirs.members"
	struct_members "$mine.txt" >"$mine.members"
	struct_members "$again.txt" >"$again.members"
	[ -s "$theirs.members" ] || fail "bpftool kept no member"
	missing=$(comm -23 "$theirs.members" "$mine.members")
	[ -z "$missing" ] || fail "members bpftool keeps, missing from btfar's: $missing"
	cmp "$theirs.members" "$again.members" ||
		fail "bpftool keeps other members on btfar's blob than on the full one"
	grep -q "'num_lan_qps' type_id=[0-9]* bits_offset=15888" "$mine.txt" ||
		fail "i40e_pf.num_lan_qps not at bit 15888"
	echo "ok: bpftool keeps $(wc -l <"$theirs.members") members ($(stat -c %s "$theirs") bytes), btfar $(wc -l <"$mine.members") ($(stat -c %s "$mine") bytes); same members on btfar's blob"
}

case_libbpf() {
	load_kernel
	need_merged
	: "${E2E_LIBBPF:?}"
	run "$E2E_LIBBPF" "$MERGED" || fail "e2e_libbpf failed"
}

case_determinism() {
	local j1=$E2E_WORK/merged-j1.btf rc=0
	load_kernel
	need_merged
	rm -f "$j1"
	run "$BTFAR" merge --base "$VMLINUX" -o "$j1" -j 1 "$MODDIR" || rc=$?
	[ $rc = 0 ] || fail "btfar merge -j 1 exited $rc"
	cmp "$MERGED" "$j1" || fail "-j 1 and -j 2 outputs differ"
	echo "ok: -j 1 and -j 2 give the same $(stat -c %s "$j1") bytes ($(sha256sum <"$j1" | cut -c1-16))"
	rm -f "$j1"
}

# The modules given one by one, in reverse path order, instead of the
# directory: merged in sorted path order all the same, so the same bytes.
case_input_order() {
	local rev=$E2E_WORK/merged-rev.btf rc=0
	local -a mods
	load_kernel
	need_merged
	mapfile -t mods < <(find "$MODDIR" -name '*.ko*' -type f | LC_ALL=C sort -r)
	[ ${#mods[@]} = 4230 ] || fail "${#mods[@]} module files in $MODDIR, want 4230"
	rm -f "$rev"
	echo "+ $BTFAR merge --base $VMLINUX -o $rev -j 2 ${mods[0]} ${mods[1]} ... (${#mods[@]} files, reverse order)" >&2
	"$BTFAR" merge --base "$VMLINUX" -o "$rev" -j 2 "${mods[@]}" || rc=$?
	[ $rc = 0 ] || fail "btfar merge of the files in reverse order exited $rc"
	cmp "$MERGED" "$rev" || fail "files in reverse order and the directory give different outputs"
	echo "ok: the ${#mods[@]} files in reverse order give the bytes of the directory"
	rm -f "$rev"
}

# --datasec drop: no module DATASEC or VAR is left, verify finds every
# other named type with --datasec drop and misses the VARs without it.
case_datasec_drop() {
	local out=$E2E_WORK/merged-nodatasec.btf rc=0 n
	load_kernel
	rm -f "$out"
	run "$BTFAR" merge --base "$VMLINUX" --datasec drop -o "$out" -j 2 \
		"$MODDIR" || rc=$?
	[ $rc = 0 ] || fail "btfar merge --datasec drop exited $rc"
	n=$(bpftool btf dump file "$out" | awk -v b="$(bpftool btf dump file "$VMLINUX" | grep -c '^\[')" \
		'/^\[/ { id = substr($1, 2) + 0 } /^\[[0-9]+\] (DATASEC|VAR) / && id > b { c++ } END { print c + 0 }')
	[ "$n" = 0 ] || fail "$n module DATASEC/VAR records left"
	rc=0
	run "$BTFAR" verify --datasec drop --base "$VMLINUX" "$out" "$MODDIR" || rc=$?
	[ $rc = 0 ] || fail "verify --datasec drop exited $rc"
	rc=0
	"$BTFAR" verify --base "$VMLINUX" "$out" "$MODDIR" 2>"$E2E_WORK/vd.err" || rc=$?
	[ $rc = 3 ] || fail "verify without --datasec drop exited $rc, want 3"
	grep -q "VAR '" "$E2E_WORK/vd.err" || fail "no VAR among the misses"
	echo "ok: no module DATASEC/VAR left; verify --datasec drop finds everything else"
	rm -f "$out"
}

# ---- btfar build on whole packages -----------------------------------

# now: seconds since the epoch, with nanoseconds; since T0: elapsed.
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# The package of each TAG (apt-get download NAME[:ARCH]) and what its
# summary must say.
pkg_spec() {
	case $TAG in
	61) echo linux-image-6.1.0-56-amd64-unsigned ;;
	61s) echo linux-image-6.1.0-55-amd64 ;;
	arm64) echo linux-image-6.12.117+deb12-arm64-unsigned:arm64 ;;
	*) fail "unknown package tag '$TAG'" ;;
	esac
}

# load_pkg: sets DEB MODDIR RELEASE NMODULES (count of .ko* files in the
# package), BASE (vmlinux BTF for verify), PKGIN (the unpacked package),
# WANT_ARCH and WANT_SOURCE (what the build summary must name).
# named_reach FIRST_ID <DUMP: how many of the split types (ids from
# FIRST_ID) of a `bpftool btf dump` a named type or an anonymous enum of
# the dump reaches through its type references (itself included): what
# btfar keeps of a module on its own (dedup/prune.c).
named_reach() {
	awk -v s="$1" '
	/^\[/ {
		cur = substr($1, 2, length($1) - 2) + 0
		if (cur >= s && ($3 != "\047(anon)\047" || $2 == "ENUM" || $2 == "ENUM64"))
			stack[top++] = cur
	}
	{
		line = $0
		while (match(line, /type_id=[0-9]+/)) {
			r = substr(line, RSTART + 8, RLENGTH - 8) + 0
			if (r >= s)
				refs[cur] = refs[cur] " " r
			line = substr(line, RSTART + RLENGTH)
		}
	}
	END {
		while (top) {
			id = stack[--top]
			if (id in seen)
				continue
			seen[id] = 1
			n++
			k = split(refs[id], to, " ")
			for (i = 1; i <= k; i++)
				if (!(to[i] in seen))
					stack[top++] = to[i]
		}
		print n + 0
	}'
}

load_pkg() {
	local spec env
	case $TAG in
	612)
		load_kernel
		BASE=$VMLINUX
		PKGIN=$CACHE/pkg
		# kernel.env counts the unpacked tree; count again there, to
		# not depend on how kernel.env was written.
		NMODULES=$(find "$MODDIR" -type f \( -name '*.ko' -o -name '*.ko.*' \) | wc -l)
		WANT_ARCH=x86_64 WANT_SOURCE=bzImage
		;;
	61 | 61s | arm64)
		[ -e "$E2E_WORK/SKIP.$TAG" ] && skip "$(cat "$E2E_WORK/SKIP.$TAG")"
		spec=$(pkg_spec)
		env=$CACHE/${spec%%:*}/pkg.env
		[ -s "$env" ] || fail "$env missing (e2e_fetch_$TAG did not run?)"
		# shellcheck disable=SC1090
		. "$env"
		BASE=$E2E_WORK/$TAG-vmlinux.btf
		[ -s "$BASE" ] || fail "$BASE missing (e2e_fetch_$TAG failed?)"
		PKGIN=$PKGDIR
		if [ "$TAG" = arm64 ]; then
			WANT_ARCH=aarch64 WANT_SOURCE='Image (scan)'
		else
			WANT_ARCH=x86_64 WANT_SOURCE=bzImage
		fi
		;;
	*) fail "unknown package tag '$TAG'" ;;
	esac
	# A count of 0 would make "merged == count" meaningless.
	[ "${NMODULES:-0}" -gt 1000 ] || fail "$NMODULES .ko* files in $DEB, want > 1000"
	BUILT=$E2E_WORK/build-$TAG/$RELEASE.btf
	echo "package: $(basename "$DEB") ($(stat -c %s "$DEB") bytes), release $RELEASE, $NMODULES .ko* files"
}

# json_str FILE KEY: the string after "KEY":" in a JSON object.
json_str() {
	sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p" "$1"
}

# Download (once) and unpack the package; write the vmlinux BTF of its
# vmlinuz with kimage_btf, checked against what the package is known to
# hold.
case_fetch_pkg() {
	local spec log=$E2E_WORK/fetch-$TAG.log rc=0 info t0 elf off
	: "${KIMAGE_BTF:?}"
	spec=$(pkg_spec)
	rm -f "$E2E_WORK/SKIP.$TAG"
	mkdir -p "$CACHE"
	t0=$(now)
	"$E2E_SRC/fetch-pkg.sh" "$spec" "$CACHE" 2>&1 | tee "$log" || rc=$?
	if [ $rc != 0 ]; then
		# No .deb in the cache: the download failed (no network, no apt
		# source, the foreign architecture could not be added). That is
		# no verdict on btfar: skip every case of this package.
		if ! compgen -G "$CACHE/${spec%%:*}/${spec%%:*}_*.deb" >/dev/null; then
			echo "cannot download $spec into $CACHE: $(grep 'error:' "$log" | tail -n 1)" >"$E2E_WORK/SKIP.$TAG"
			skip "$(cat "$E2E_WORK/SKIP.$TAG")"
		fi
		fail "fetch-pkg.sh $spec exited $rc with a .deb in the cache"
	fi
	echo "time: fetch $(since "$t0") s"
	# shellcheck disable=SC1090
	. "$CACHE/${spec%%:*}/pkg.env"
	BASE=$E2E_WORK/$TAG-vmlinux.btf
	rm -f "$BASE"
	info=$(run "$KIMAGE_BTF" "$VMLINUZ" "$BASE") || fail "kimage_btf $VMLINUZ failed"
	echo "kimage_btf: $info"
	case $TAG in
	61s)
		grep -q "source='bzImage' compression='xz' arch=x86_64 " <<<"$info" ||
			fail "kimage_btf: want source bzImage, xz payload, arch x86_64"
		# the signed package: its modules end in an appended signature
		grep -qa '~Module signature appended~' \
			"$(find "$MODDIR" -name 'i40e.ko*' | head -n 1)" ||
			fail "i40e.ko of $(basename "$DEB") carries no appended signature"
		;;
	arm64)
		# A raw EFI-stub Image: no ELF, no payload; exactly one BTF
		# header validates (DESIGN.md: 126,516 types at 24,735,372).
		grep -q "source='Image (scan)' compression='' arch=aarch64 " <<<"$info" ||
			fail "kimage_btf: want source 'Image (scan)', no compression, arch aarch64"
		grep -q ' scan_valid=1 ' <<<"$info" || fail "kimage_btf: want exactly one valid BTF header"
		# The bytes at that offset of the file are the BTF, as is.
		off=${info##*btf_offset=} off=${off%% *}
		cmp "$BASE" <(tail -c +$((off + 1)) "$VMLINUZ" | head -c "$(stat -c %s "$BASE")") ||
			fail "the BTF written is not the bytes of the Image at btf_offset $off"
		;;
	61)
		grep -q "source='bzImage' compression='xz' arch=x86_64 " <<<"$info" ||
			fail "kimage_btf: want source bzImage, xz payload, arch x86_64"
		# Independent of btfar: the xz payload decompressed by xz(1),
		# .BTF of that ELF dumped by objcopy (the scripts/extract-vmlinux
		# way), must be the bytes kimage_btf wrote.
		need_tool objcopy binutils
		need_tool xz xz-utils
		elf=$E2E_WORK/61-vmlinux.elf
		while read -r off; do
			tail -c +$((off + 1)) "$VMLINUZ" | xz -dc >"$elf" 2>/dev/null || true
			[ "$(head -c 4 "$elf" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ] && break
		done < <(LC_ALL=C grep -obUaP '\xfd\x37\x7a\x58\x5a\x00' "$VMLINUZ" | cut -d: -f1)
		objcopy --dump-section .BTF="$elf.btf" "$elf" "$elf.o" ||
			fail "objcopy --dump-section .BTF of the xz payload of $VMLINUZ failed"
		cmp "$elf.btf" "$BASE" || fail "kimage_btf and xz + objcopy give different vmlinux BTF"
		echo "ok: kimage_btf gives the .BTF objcopy dumps from the xz-decompressed vmlinux"
		rm -f "$elf" "$elf.o" "$elf.btf"
		;;
	esac
	echo "ok: $(basename "$DEB") ($DEBSIZE bytes), $NMODULES .ko* files, base $(stat -c %s "$BASE") bytes"
}

case_build() {
	local out json err rc=0 t0 n found merged skipped sha arch src after
	load_pkg
	out=$(dirname "$BUILT") json=$E2E_WORK/build-$TAG.json err=$E2E_WORK/build-$TAG.err
	rm -rf "$out"
	t0=$(now)
	run "$BTFAR" build --json -j 2 -o "$out" "$DEB" >"$json" 2>"$err" || rc=$?
	echo "time: build -j 2 $(since "$t0") s"
	cat "$json" "$err"
	[ $rc = 0 ] || fail "btfar build exited $rc, want 0"
	n=$(grep -o '"release":' "$json" | wc -l)
	[ "$n" = 1 ] || fail "$n releases in the summary, want 1"
	[ "$(json_str "$json" release)" = "$RELEASE" ] ||
		fail "release '$(json_str "$json" release)', want '$RELEASE'"
	[ -s "$BUILT" ] || fail "no $BUILT"
	n=$(find "$out" -type f -name '*.btf' | wc -l)
	[ "$n" = 1 ] || fail "$n .btf files in $out, want 1 ($RELEASE.btf)"
	# RELEASE.meta beside it: one "module NAME ..." line per merged module.
	[ -s "${BUILT%.btf}.meta" ] || fail "no ${BUILT%.btf}.meta"
	n=$(grep -c '^module ' "${BUILT%.btf}.meta" || true)
	[ "$n" = "$NMODULES" ] || fail "$n module lines in $RELEASE.meta, want $NMODULES"
	found=$(json_num "$json" modules_found)
	merged=$(json_num "$json" modules_merged)
	skipped=$(json_num "$json" modules_skipped)
	after=$(json_num "$json" types_after)
	[ "$found" = "$NMODULES" ] || fail "modules_found '$found', want $NMODULES (.ko* files in the package)"
	[ "$merged" = "$NMODULES" ] || fail "modules_merged '$merged', want $NMODULES (.ko* files in the package)"
	[ "$skipped" = 0 ] || fail "modules_skipped '$skipped', want 0"
	arch=$(json_str "$json" arch)
	src=$(json_str "$json" image_source)
	[ "$arch" = "$WANT_ARCH" ] || fail "arch '$arch', want '$WANT_ARCH'"
	[ "$src" = "$WANT_SOURCE" ] || fail "image_source '$src', want '$WANT_SOURCE'"
	# The text summary on stderr names them too.
	grep -q "^release $RELEASE ($WANT_ARCH): " "$err" ||
		fail "summary: no line 'release $RELEASE ($WANT_ARCH): ...'"
	grep -qF ", $WANT_SOURCE," "$err" || fail "summary does not name the image source '$WANT_SOURCE'"
	sha=$(sha256sum "$BUILT" | cut -d' ' -f1)
	[ "$(json_str "$json" sha256)" = "$sha" ] ||
		fail "summary sha256 '$(json_str "$json" sha256)', file $sha"
	[ "$(json_num "$json" size)" = "$(stat -c %s "$BUILT")" ] ||
		fail "summary size '$(json_num "$json" size)', file $(stat -c %s "$BUILT")"
	# The base it used is the vmlinux BTF verify will be given.
	if [ "$TAG" = 612 ]; then
		need_tool objcopy binutils
		objcopy --dump-section .BTF="$E2E_WORK/612-base.btf" "$BASE" "$E2E_WORK/612-base.o" ||
			fail "objcopy --dump-section .BTF $BASE failed"
		n=$(sha256sum "$E2E_WORK/612-base.btf" | cut -d' ' -f1)
		rm -f "$E2E_WORK/612-base.btf" "$E2E_WORK/612-base.o"
	else
		n=$(sha256sum "$BASE" | cut -d' ' -f1)
	fi
	[ "$(json_str "$json" base_sha256)" = "$n" ] ||
		fail "base_sha256 '$(json_str "$json" base_sha256)', the vmlinux BTF of the package is $n"
	[ "${after:-0}" -gt 0 ] || fail "types_after '$after', want > 0"
	echo "ok: $RELEASE ($arch, $src): $merged of $NMODULES merged, 0 skipped, base $(json_num "$json" base_types) types + $after module types, $(stat -c %s "$BUILT") bytes, sha256 $sha"
}

need_built() {
	[ -s "$BUILT" ] || fail "$BUILT missing (e2e_build_$TAG failed?)"
}

case_build_verify() {
	local out=$E2E_WORK/build-verify-$TAG.json rc=0 t0 missed checked
	load_pkg
	need_built
	t0=$(now)
	run "$BTFAR" verify --base "$BASE" --json -j 2 "$BUILT" "$MODDIR" >"$out" || rc=$?
	echo "time: verify $(since "$t0") s"
	cat "$out"
	[ $rc = 0 ] || fail "btfar verify exited $rc, want 0"
	missed=$(json_num "$out" missed)
	checked=$(json_num "$out" checked)
	[ "$missed" = 0 ] || fail "verify: '$missed' missed, want 0"
	[ "$(json_num "$out" modules)" = "$NMODULES" ] ||
		fail "verify checked $(json_num "$out" modules) modules, want $NMODULES"
	[ "$(json_num "$out" modules_bad)" = 0 ] ||
		fail "verify: $(json_num "$out" modules_bad) unreadable modules, want 0"
	[ "$(json_num "$out" found)" = "$checked" ] || fail "verify: found != checked"
	[ "${checked:-0}" -gt 0 ] || fail "verify checked nothing"
	echo "ok: $NMODULES modules, $checked checked, $checked found, 0 missed"
}

case_build_j1() {
	local out=$E2E_WORK/build-$TAG-j1 rc=0 t0
	load_pkg
	need_built
	rm -rf "$out"
	t0=$(now)
	run "$BTFAR" build -j 1 -o "$out" "$DEB" 2>/dev/null || rc=$?
	echo "time: build -j 1 $(since "$t0") s"
	[ $rc = 0 ] || fail "btfar build -j 1 exited $rc"
	cmp "$BUILT" "$out/$RELEASE.btf" || fail "-j 1 and -j 2 outputs differ"
	cmp "${BUILT%.btf}.meta" "$out/$RELEASE.meta" || fail "-j 1 and -j 2 give different $RELEASE.meta"
	echo "ok: -j 1 and -j 2 give the same $(stat -c %s "$BUILT") bytes, sha256 $(sha256sum "$BUILT" | cut -d' ' -f1)"
	rm -rf "$out"
}

# The unpacked package (pkg/ of the cache, a directory) gives the bytes of
# the .deb, and both give the bytes of btfar merge --base VMLINUX MODDIR.
case_build_dir() {
	local out=$E2E_WORK/build-$TAG-dir rc=0 t0
	load_pkg
	need_built
	need_merged
	rm -rf "$out"
	t0=$(now)
	run "$BTFAR" build -j 2 -o "$out" "$PKGIN" 2>/dev/null || rc=$?
	echo "time: build -j 2 of the directory $(since "$t0") s"
	[ $rc = 0 ] || fail "btfar build of $PKGIN exited $rc"
	[ "$(find "$out" -type f -name '*.btf' | wc -l)" = 1 ] || fail "want one .btf in $out: $(ls "$out")"
	cmp "$BUILT" "$out/$RELEASE.btf" || fail "the .deb and the unpacked package give different blobs"
	cmp "${BUILT%.btf}.meta" "$out/$RELEASE.meta" || fail "the .deb and the unpacked package give different $RELEASE.meta"
	cmp "$MERGED" "$BUILT" || fail "btfar build and btfar merge --base VMLINUX MODDIR give different blobs"
	echo "ok: .deb, directory and btfar merge give the same $(stat -c %s "$BUILT") bytes, sha256 $(sha256sum "$BUILT" | cut -d' ' -f1)"
	rm -rf "$out"
}

# An archive of three real builds: 6.1.0-56 (unsigned) and 6.1.0-55
# (signed) of one series, and 6.12: pack (level 3: the bytes stored do not
# matter here, the encoding does), one 6.1 entry a delta on the other,
# every entry read back byte-identical, verify, get --module --split read
# by bpftool on the vmlinux BTF, and pack -j 1 of the inputs in reverse
# order in another directory gives the same bytes.
case_archive() {
	local a=$E2E_WORK/archive.btfa b61=$E2E_WORK/build-61 b61s=$E2E_WORK/build-61s
	local b612=$E2E_WORK/build-612 rel meta n t0 other
	# a package that could not be downloaded: no verdict on btfar
	[ -e "$SKIP_FILE" ] && skip "6.12: $(cat "$SKIP_FILE")"
	for t in 61 61s; do
		[ -e "$E2E_WORK/SKIP.$t" ] && skip "$t: $(cat "$E2E_WORK/SKIP.$t")"
	done
	for d in "$b61" "$b61s" "$b612"; do
		compgen -G "$d/*.meta" >/dev/null || fail "no build in $d (e2e_build_* did not run?)"
	done
	rm -f "$a"
	t0=$(now)
	run "$BTFAR" pack --level 3 -j 2 -o "$a" --distro debian --distro-version 12 \
		"$b61" "$b61s" "$b612" || fail "btfar pack failed"
	echo "time: pack $(since "$t0") s, $(stat -c %s "$a") bytes"
	run "$BTFAR" list "$a" | tee "$E2E_WORK/archive.list"
	grep -q '^6\.1\.0-55-amd64 .* 6\.1\.0-56-amd64$' "$E2E_WORK/archive.list" ||
		grep -q '^6\.1\.0-56-amd64 .* 6\.1\.0-55-amd64$' "$E2E_WORK/archive.list" ||
		fail "no 6.1 entry is a delta on the other"
	grep -q '^6\.12\.[^ ]* .* -$' "$E2E_WORK/archive.list" || fail "6.12 is not stored whole"
	for meta in "$b61"/*.meta "$b61s"/*.meta "$b612"/*.meta; do
		rel=$(basename "$meta" .meta)
		run "$BTFAR" get "$a" "$rel" -o "$E2E_WORK/got.btf" || fail "get $rel failed"
		cmp "$E2E_WORK/got.btf" "${meta%.meta}.btf" || fail "get $rel: not the blob that went in"
	done
	run "$BTFAR" verify "$a" || fail "btfar verify of the archive failed"
	# one module as split BTF on its vmlinux BTF: bpftool reads it, with
	# no more types than the module's own .BTF (the types of its locals
	# and casts that nothing named reaches are not in the blob) and at
	# least those its named types reach there; the self-contained one
	# holds every name of i40e.ko
	TAG=61
	load_pkg
	need_tool objcopy binutils
	run "$BTFAR" get "$a" "$RELEASE" --module i40e --split -o "$E2E_WORK/i40e.btf" ||
		fail "get --module i40e --split failed"
	bpftool -B "$BASE" btf dump file "$E2E_WORK/i40e.btf" >"$E2E_WORK/i40e.txt" ||
		fail "bpftool -B vmlinux btf dump of the module failed"
	grep -q "STRUCT 'i40e_pf' size=" "$E2E_WORK/i40e.txt" || fail "no STRUCT i40e_pf in the module's split BTF"
	objcopy --dump-section .BTF="$E2E_WORK/i40e.orig.btf" \
		"$(find "$MODDIR" -name i40e.ko | head -n 1)" "$E2E_WORK/i40e.o" ||
		fail "objcopy of i40e.ko failed"
	bpftool -B "$BASE" btf dump file "$E2E_WORK/i40e.orig.btf" >"$E2E_WORK/i40e.orig.txt" ||
		fail "bpftool -B vmlinux btf dump of i40e.ko's .BTF failed"
	n=$(grep -c '^\[' "$E2E_WORK/i40e.orig.txt")
	reach=$(named_reach "$(($(bpftool btf dump file "$BASE" | grep -c '^\[') + 1))" \
		<"$E2E_WORK/i40e.orig.txt")
	got=$(grep -c '^\[' "$E2E_WORK/i40e.txt")
	[ "$got" -le "$n" ] && [ "$got" -ge "${reach:-0}" ] && [ "${reach:-0}" -gt 0 ] ||
		fail "the module's split BTF has $got types, its .BTF $n of which its named types reach $reach"
	run "$BTFAR" get "$a" "$RELEASE" --module i40e -o "$E2E_WORK/i40e.full.btf" ||
		fail "get --module i40e failed"
	run "$BTFAR" verify --base "$BASE" "$E2E_WORK/i40e.full.btf" \
		"$(find "$MODDIR" -name i40e.ko | head -n 1)" ||
		fail "verify of get --module i40e against i40e.ko failed"
	echo "ok: get --module i40e --split: $got types; i40e.ko's .BTF $n, $reach of them reached from its named types"
	other=$(mktemp -d)
	cp -r "$b612" "$b61s" "$b61" "$other/"
	run "$BTFAR" pack --level 3 -j 1 -o "$other/a.btfa" --distro debian \
		--distro-version 12 "$other/build-612" "$other/build-61s" "$other/build-61" ||
		fail "second pack failed"
	cmp "$a" "$other/a.btfa" || fail "pack -j 1 of the inputs in reverse order differs"
	rm -rf "$other" "$E2E_WORK/got.btf" "$E2E_WORK/i40e".*
	echo "ok: archive of 3 real builds, $(stat -c %s "$a") bytes"
}

mkdir -p "$E2E_WORK"
case $CASE in
fetch | merge | verify | bpftool | min_core_btf | min_core | libbpf | determinism | input_order | datasec_drop) "case_$CASE" ;;
fetch_pkg | build | build_verify | build_j1 | build_dir | archive) "case_$CASE" ;;
*) echo "e2e.sh: unknown case '$CASE'" >&2; exit 2 ;;
esac
