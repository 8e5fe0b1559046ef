#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# sid.sh CASE [TAG]: one end-to-end test on Debian unstable's split kernel
# (Linux 7.2.x): linux-binary-REL (the image alone, usr/lib/modules/REL/
# vmlinuz) + linux-modules-REL (every module), the newest of sid,
# downloaded by fetch-sid.sh through a private apt configuration. ctest
# runs one CASE per entry (tests/e2e/CMakeLists.txt). TAG is the flavour:
#
#   72       linux-{binary,modules}-*-amd64        (bzImage, zstd payload)
#   72cloud  linux-{binary,modules}-*-cloud-amd64
#   72rt     linux-{binary,modules}-*-rt-amd64
#   72arm64  linux-{binary,modules}-*-arm64:arm64  (raw Image, BTF found by
#            scanning; built on amd64)
#
#   fetch TAG     fetch-sid.sh into the cache, then the vmlinux BTF of the
#                 vmlinuz with kimage_btf (what verify takes as --base)
#   build TAG     btfar build --json -j 2 BINARY.deb MODULES.deb: one
#                 release, every .ko* of the modules package merged, 0
#                 skipped, the image named usr/lib/modules/REL/vmlinuz
#   verify TAG    btfar verify of that blob: every module, 0 missed
#   bpftool       (72) bpftool dump of the blob holds a struct that only a
#                 module defines (i40e_pf), absent from the vmlinux BTF
#   j1            (72) btfar build -j 1 gives the bytes of -j 2, inputs in
#                 the other order
#   halves TAG    each package alone: exit 1, the message names the
#                 package to add, nothing written (ctest: on 72cloud, the
#                 smallest)
#   fetch_61      the newest linux-image-6.1.0-NN-amd64-unsigned of
#                 bookworm (apt-cache, dpkg --compare-versions), fetch-pkg.sh
#   archive       an archive of three series: that 6.1, the 6.12 build of
#                 e2e_build_612 and the 7.2 build: pack, list (three
#                 series), get each byte-identical, verify ARCHIVE
#
# Environment (set by CMake): BTFAR, KIMAGE_BTF, E2E_WORK, E2E_SRC;
# BTFAR_CACHE (the download cache, default ~/.cache/btfar).
#
# Exit 0 pass, 1 fail, 77 skip (the reason on stdout): the packages cannot
# be downloaded (no network, no apt source), or a tool is missing.
set -euo pipefail

CASE=${1:?usage: sid.sh CASE [TAG]}
TAG=${2:-72}
: "${BTFAR:?}" "${E2E_WORK:?}" "${E2E_SRC:?}"
CACHE=${BTFAR_CACHE:-$HOME/.cache/btfar}

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
run() { echo "+ $*" >&2; "$@"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
json_num() { sed -n "s/.*\"$2\":\([0-9][0-9]*\).*/\1/p" "$1"; }
json_str() { sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p" "$1"; }
need_tool() {
	command -v "$1" >/dev/null 2>&1 ||
		skip "$1 not found (Debian 12: apt-get install $2)"
}

# flavour and architecture of a TAG, and what the build must report
tag_info() {
	case $TAG in
	72) FLAVOUR=amd64 ARCH=amd64 WANT_ARCH=x86_64 WANT_SOURCE=bzImage ;;
	72cloud) FLAVOUR=cloud-amd64 ARCH=amd64 WANT_ARCH=x86_64 WANT_SOURCE=bzImage ;;
	72rt) FLAVOUR=rt-amd64 ARCH=amd64 WANT_ARCH=x86_64 WANT_SOURCE=bzImage ;;
	72arm64) FLAVOUR=arm64 ARCH=arm64 WANT_ARCH=aarch64 WANT_SOURCE='Image (scan)' ;;
	*) fail "unknown tag '$TAG'" ;;
	esac
	ENVF=$E2E_WORK/sid-$TAG.env
	SKIPF=$E2E_WORK/SKIP.sid-$TAG
	BASE=$E2E_WORK/sid-$TAG-vmlinux.btf
	OUT=$E2E_WORK/build-$TAG
}

# Every case but fetch: skip when the fetch skipped, then read its facts.
load() {
	tag_info
	[ -e "$SKIPF" ] && skip "$(cat "$SKIPF")"
	[ -s "$ENVF" ] || fail "$ENVF missing (e2e_fetch_$TAG did not run?)"
	# shellcheck disable=SC1090
	. "$ENVF"
	[ "${NMODULES:-0}" -gt 500 ] || fail "$NMODULES .ko* files in $MODULES_DEB, want > 500"
	[ -s "$BASE" ] || fail "$BASE missing (e2e_fetch_$TAG failed?)"
	BUILT=$OUT/$RELEASE.btf
	echo "sid $TAG: $RELEASE ($VERSION), $(basename "$BINARY_DEB") + $(basename "$MODULES_DEB"), $NMODULES .ko* files"
}

need_built() { [ -s "$BUILT" ] || fail "$BUILT missing (e2e_build_$TAG failed?)"; }

case_fetch() {
	local log rc=0 info
	: "${KIMAGE_BTF:?}"
	tag_info
	log=$E2E_WORK/fetch-sid-$TAG.log
	rm -f "$SKIPF" "$ENVF"
	mkdir -p "$CACHE"
	"$E2E_SRC/fetch-sid.sh" "$FLAVOUR" "$ARCH" "$CACHE" >"$ENVF" 2>"$log" || rc=$?
	cat "$log" "$ENVF"
	if [ $rc != 0 ]; then
		rm -f "$ENVF"
		# packages of this flavour in the cache: fetch-sid.sh would
		# have used them offline, so it is broken, not the network
		compgen -G "$CACHE/sid/*-$FLAVOUR/linux-modules-*_$ARCH.deb" >/dev/null &&
			fail "fetch-sid.sh exited $rc with packages of $FLAVOUR in $CACHE/sid"
		# nothing to build on: no verdict on btfar, every case of
		# this flavour skips with the reason
		echo "cannot download sid's linux-binary/linux-modules-*-$FLAVOUR ($ARCH) into $CACHE: $(grep 'error:' "$log" | tail -n 1)" >"$SKIPF"
		skip "$(cat "$SKIPF")"
	fi
	# shellcheck disable=SC1090
	. "$ENVF"
	rm -f "$BASE"
	info=$(run "$KIMAGE_BTF" "$VMLINUZ" "$BASE") || fail "kimage_btf $VMLINUZ failed"
	echo "kimage_btf: $info"
	if [ "$ARCH" = arm64 ]; then
		grep -q "source='Image (scan)' compression='' arch=aarch64 " <<<"$info" ||
			fail "kimage_btf: want source 'Image (scan)', arch aarch64"
		grep -q ' scan_valid=1 ' <<<"$info" || fail "kimage_btf: want exactly one valid BTF header"
	else
		grep -q "source='bzImage' compression='zstd' arch=x86_64 " <<<"$info" ||
			fail "kimage_btf: want source bzImage, zstd payload, arch x86_64"
	fi
	echo "ok: $RELEASE: base $(stat -c %s "$BASE") bytes, $NMODULES .ko* files"
}

case_build() {
	local json err rc=0 t0 n sha
	load
	json=$E2E_WORK/build-$TAG.json err=$E2E_WORK/build-$TAG.err
	rm -rf "$OUT"
	t0=$(now)
	run "$BTFAR" build --json -j 2 -o "$OUT" "$BINARY_DEB" "$MODULES_DEB" >"$json" 2>"$err" || rc=$?
	echo "time: build -j 2 $(since "$t0") s"
	cat "$json" "$err"
	[ $rc = 0 ] || fail "btfar build exited $rc, want 0"
	n=$(grep -o '"release":' "$json" | wc -l)
	[ "$n" = 1 ] || fail "$n releases in the summary, want 1"
	[ "$(json_str "$json" release)" = "$RELEASE" ] || fail "release '$(json_str "$json" release)', want '$RELEASE'"
	[ "$(find "$OUT" -type f | LC_ALL=C sort | xargs -n1 basename | tr '\n' ' ')" = "$RELEASE.btf $RELEASE.meta " ] ||
		fail "$OUT holds: $(ls "$OUT")"
	[ "$(json_num "$json" modules_found)" = "$NMODULES" ] || fail "modules_found '$(json_num "$json" modules_found)', want $NMODULES"
	[ "$(json_num "$json" modules_merged)" = "$NMODULES" ] || fail "modules_merged '$(json_num "$json" modules_merged)', want $NMODULES"
	[ "$(json_num "$json" modules_skipped)" = 0 ] || fail "modules_skipped '$(json_num "$json" modules_skipped)', want 0"
	[ "$(grep -c '^module ' "$OUT/$RELEASE.meta")" = "$NMODULES" ] || fail "module lines in $RELEASE.meta, want $NMODULES"
	[ "$(json_str "$json" arch)" = "$WANT_ARCH" ] || fail "arch '$(json_str "$json" arch)', want $WANT_ARCH"
	[ "$(json_str "$json" image_source)" = "$WANT_SOURCE" ] || fail "image_source '$(json_str "$json" image_source)', want '$WANT_SOURCE'"
	[ "$(json_str "$json" image)" = "usr/lib/modules/$RELEASE/vmlinuz" ] || fail "image '$(json_str "$json" image)', want usr/lib/modules/$RELEASE/vmlinuz"
	[ "$(json_str "$json" base_sha256)" = "$(sha256sum "$BASE" | cut -d' ' -f1)" ] ||
		fail "base_sha256 is not the sha256 of the vmlinux BTF kimage_btf found"
	sha=$(sha256sum "$BUILT" | cut -d' ' -f1)
	[ "$(json_str "$json" sha256)" = "$sha" ] || fail "summary sha256 is not the file's"
	[ "$(json_num "$json" types_after)" -gt 0 ] || fail "types_after 0"
	echo "ok: $RELEASE ($WANT_ARCH, $WANT_SOURCE): $NMODULES merged, 0 skipped, base $(json_num "$json" base_types) + $(json_num "$json" types_after) module types (of $(json_num "$json" types_before) before dedup), $(stat -c %s "$BUILT") bytes"
}

case_verify() {
	local out rc=0 t0 checked
	load
	need_built
	out=$E2E_WORK/verify-$TAG.json
	t0=$(now)
	run "$BTFAR" verify --base "$BASE" --json -j 2 "$BUILT" "$MODDIR" >"$out" || rc=$?
	echo "time: verify $(since "$t0") s"
	cat "$out"
	[ $rc = 0 ] || fail "btfar verify exited $rc, want 0"
	checked=$(json_num "$out" checked)
	[ "$(json_num "$out" missed)" = 0 ] || fail "verify: '$(json_num "$out" missed)' missed, want 0"
	[ "$(json_num "$out" modules)" = "$NMODULES" ] || fail "verify checked $(json_num "$out" modules) modules, want $NMODULES"
	[ "$(json_num "$out" modules_bad)" = 0 ] || fail "verify: $(json_num "$out" modules_bad) unreadable modules"
	[ "${checked:-0}" -gt 0 ] && [ "$(json_num "$out" found)" = "$checked" ] ||
		fail "verify: found '$(json_num "$out" found)' of '$checked' checked"
	echo "ok: $NMODULES modules, $checked checked, $checked found (100%), 0 missed"
}

case_bpftool() {
	local dump=$E2E_WORK/sid-dump.txt n
	load
	need_built
	need_tool bpftool bpftool
	n=$(bpftool btf dump file "$BASE" | grep -c "^\[[0-9]*\] STRUCT 'i40e_pf' " || true)
	[ "$n" = 0 ] || fail "the vmlinux BTF defines i40e_pf: not a module-only struct"
	run bpftool btf dump file "$BUILT" >"$dump" || fail "bpftool btf dump file exited non-zero"
	n=$(grep -c "^\[[0-9]*\] STRUCT 'i40e_pf' " "$dump" || true)
	[ "$n" = 1 ] || fail "$n STRUCT 'i40e_pf' in the blob, want 1"
	awk "/^\[[0-9]+\] STRUCT 'i40e_pf' /{p=1; print; next} p && /^\t/{print; next} p{exit}" "$dump" >"$E2E_WORK/sid-i40e_pf.txt"
	head -n 4 "$E2E_WORK/sid-i40e_pf.txt"
	grep -q "^	'pdev' type_id=" "$E2E_WORK/sid-i40e_pf.txt" || fail "STRUCT 'i40e_pf' has no member 'pdev'"
	echo "ok: STRUCT 'i40e_pf' (module i40e only) with $(($(wc -l <"$E2E_WORK/sid-i40e_pf.txt") - 1)) members, $(grep -c '^\[' "$dump") types in the blob"
	rm -f "$dump"
}

case_j1() {
	local out=$E2E_WORK/build-$TAG-j1 rc=0 t0
	load
	need_built
	rm -rf "$out"
	t0=$(now)
	run "$BTFAR" build -j 1 -o "$out" "$MODULES_DEB" "$BINARY_DEB" 2>/dev/null || rc=$?
	echo "time: build -j 1 $(since "$t0") s"
	[ $rc = 0 ] || fail "btfar build -j 1 exited $rc"
	cmp "$BUILT" "$out/$RELEASE.btf" || fail "-j 1 and -j 2 give different blobs"
	cmp "$OUT/$RELEASE.meta" "$out/$RELEASE.meta" || fail "-j 1 and -j 2 give different $RELEASE.meta"
	echo "ok: -j 1 (inputs reversed) and -j 2 give the same $(stat -c %s "$BUILT") bytes, sha256 $(sha256sum "$BUILT" | cut -d' ' -f1)"
	rm -rf "$out"
}

# Each package alone: exit 1, the missing package named, nothing written.
case_halves() {
	local out=$E2E_WORK/sid-half rc bname mname
	load
	bname=$(basename "$BINARY_DEB") bname=${bname%%_*}
	mname=$(basename "$MODULES_DEB") mname=${mname%%_*}
	rm -rf "$out" && mkdir -p "$out"
	rc=0
	run "$BTFAR" build -j 2 -o "$out" "$BINARY_DEB" 2>"$out.err" || rc=$?
	cat "$out.err"
	[ $rc = 1 ] || fail "the image package alone: exit $rc, want 1"
	grep -qF "btfar: error: no release could be built: $BINARY_DEB: kernel image of $RELEASE but no module in the inputs: add $mname " "$out.err" ||
		fail "the image package alone: no message naming $mname"
	[ -z "$(ls -A "$out")" ] || fail "the image package alone wrote $(ls -A "$out")"
	rc=0
	run "$BTFAR" build -j 2 -o "$out" "$MODULES_DEB" 2>"$out.err" || rc=$?
	cat "$out.err"
	[ $rc = 1 ] || fail "the modules package alone: exit $rc, want 1"
	grep -qxF "btfar: error: no release could be built: $MODULES_DEB: modules of $RELEASE but no kernel image (vmlinuz) in the inputs: add $bname" "$out.err" ||
		fail "the modules package alone: no message naming $bname"
	[ -z "$(ls -A "$out")" ] || fail "the modules package alone wrote $(ls -A "$out")"
	echo "ok: each package alone fails naming the other ($mname, $bname), nothing written"
	rm -rf "$out" "$out.err"
}

# The newest linux-image-6.1.0-NN-amd64-unsigned that apt knows of
# (bookworm), by the packages' versions.
newest_61() {
	local name v best= bestname=
	while read -r name; do
		[[ $name =~ ^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$ ]] || continue
		v=$(apt-cache show "$name" 2>/dev/null | awk '/^Version: / { print $2; exit }')
		[ -n "$v" ] || continue
		if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then
			best=$v bestname=$name
		fi
	done < <(apt-cache pkgnames linux-image-6.1.0- 2>/dev/null)
	[ -n "$bestname" ] && echo "$bestname"
}

case_fetch_61() {
	local name log=$E2E_WORK/fetch-sid61.log rc=0
	rm -f "$E2E_WORK/SKIP.sid61" "$E2E_WORK/sid61.env"
	name=$(newest_61) || {
		# the lists may be empty on a fresh machine: update them once
		[ "$(id -u)" = 0 ] && apt-get update -q >/dev/null 2>&1 || true
		name=$(newest_61) || {
			echo "no linux-image-6.1.0-NN-amd64-unsigned known to apt-cache (apt-get update failed?)" >"$E2E_WORK/SKIP.sid61"
			skip "$(cat "$E2E_WORK/SKIP.sid61")"
		}
	}
	echo "newest 6.1: $name"
	"$E2E_SRC/fetch-pkg.sh" "$name" "$CACHE" >"$E2E_WORK/sid61.env" 2>"$log" || rc=$?
	cat "$log" "$E2E_WORK/sid61.env"
	if [ $rc != 0 ]; then
		rm -f "$E2E_WORK/sid61.env"
		echo "cannot download $name into $CACHE: $(grep 'error:' "$log" | tail -n 1)" >"$E2E_WORK/SKIP.sid61"
		skip "$(cat "$E2E_WORK/SKIP.sid61")"
	fi
	echo "ok: $name"
}

# An archive of three series: 6.1 (built here), 6.12 and 7.2 (built by
# e2e_build_612 and e2e_build_72).
case_archive() {
	local a=$E2E_WORK/series.btfa b61=$E2E_WORK/build-sid61 b612=$E2E_WORK/build-612
	local b72=$E2E_WORK/build-72 rc=0 t0 meta rel n
	[ -e "$E2E_WORK/SKIP.sid61" ] && skip "6.1: $(cat "$E2E_WORK/SKIP.sid61")"
	[ -e "$E2E_WORK/SKIP" ] && skip "6.12: $(cat "$E2E_WORK/SKIP")"
	[ -e "$E2E_WORK/SKIP.sid-72" ] && skip "7.2: $(cat "$E2E_WORK/SKIP.sid-72")"
	[ -s "$E2E_WORK/sid61.env" ] || fail "$E2E_WORK/sid61.env missing (e2e_fetch_sid61 did not run?)"
	compgen -G "$b612/*.meta" >/dev/null || fail "no build in $b612 (e2e_build_612 failed?)"
	compgen -G "$b72/*.meta" >/dev/null || fail "no build in $b72 (e2e_build_72 failed?)"
	# shellcheck disable=SC1090
	. "$E2E_WORK/sid61.env"
	rm -rf "$b61"
	t0=$(now)
	run "$BTFAR" build -j 2 -o "$b61" "$DEB" 2>"$E2E_WORK/build-sid61.err" || rc=$?
	tail -n 4 "$E2E_WORK/build-sid61.err"
	[ $rc = 0 ] || fail "btfar build of $(basename "$DEB") exited $rc"
	echo "time: build 6.1 $(since "$t0") s"
	rm -f "$a"
	t0=$(now)
	run "$BTFAR" pack --level 3 -j 2 -o "$a" --distro debian --distro-version mixed \
		"$b61" "$b612" "$b72" || fail "btfar pack failed"
	echo "time: pack $(since "$t0") s, $(stat -c %s "$a") bytes"
	run "$BTFAR" list "$a" | tee "$E2E_WORK/series.list"
	for s in '6\.1\.0-[0-9]*-amd64' '6\.12\.[^ ]*-amd64' '7\.2\.[^ ]*-amd64'; do
		n=$(grep -c "^$s " "$E2E_WORK/series.list" || true)
		[ "$n" = 1 ] || fail "list: $n entries of series '$s', want 1"
	done
	[ "$(grep -cE '^[0-9]+\.[0-9]+\.[^ ]+ +x86_64 ' "$E2E_WORK/series.list")" = 3 ] ||
		fail "list: want 3 x86_64 entries"
	grep -q '^3 entries, ' "$E2E_WORK/series.list" || fail "list: no '3 entries' line"
	n=0
	for meta in "$b61"/*.meta "$b612"/*.meta "$b72"/*.meta; do
		rel=$(basename "$meta" .meta)
		run "$BTFAR" get "$a" "$rel" -o "$E2E_WORK/series-got.btf" || fail "get $rel failed"
		cmp "$E2E_WORK/series-got.btf" "${meta%.meta}.btf" || fail "get $rel: not the blob that went in"
		n=$((n + 1))
	done
	[ $n = 3 ] || fail "$n blobs read back, want 3"
	run "$BTFAR" verify "$a" || fail "btfar verify of the archive failed"
	rm -f "$E2E_WORK/series-got.btf"
	echo "ok: archive of 6.1, 6.12 and 7.2 ($(stat -c %s "$a") bytes): 3 entries read back byte-identical, verify OK"
}

mkdir -p "$E2E_WORK"
case $CASE in
fetch | build | verify | bpftool | j1 | halves | fetch_61 | archive) "case_$CASE" ;;
*) echo "sid.sh: unknown case '$CASE'" >&2; exit 2 ;;
esac
