#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# run-build.sh [-r REPS] [-p PIPELINE_REPS] [-j N] [CACHE_DIR]: measure
# `btfar build` on the Debian 12 6.12 kernel .deb (fetch-kernel.sh), against
#   build floor     bench_build_floor: the .deb read once with libarchive
#                   (data.tar.xz decompressed), every .ko.xz decompressed in
#                   memory by N workers, nothing else
#   peer pipeline   peer-pipeline.sh: dpkg-deb -x to disk, extract-vmlinux,
#                   xz -d + objcopy --dump-section .BTF per module (xargs -P N),
#                   peer_merge --mode datadog; cold temporary directory each run
#   btfar build     btfar build -j N -o DIR on the .deb
# median of REPS runs (the pipeline: PIPELINE_REPS, default 1, it takes
# minutes), the package on a warm page cache; then checks that the blob of
# the .deb is byte-identical to `btfar merge` and `btfar build` on the
# unpacked package, and prints a table and the ratios. See
# README.md.
#
# Env: BTFAR=path to a btfar binary (default: build-bench/btfar, built here);
#      BTFAR_BENCH_BUILD=build dir; BTFAR_CACHE=cache dir.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BTFAR_BENCH_BUILD:-$ROOT/build-bench}
REPS=3
PREPS=1
JOBS=2
BENCH_NAME=bench-build
while getopts "r:p:j:" o; do
	case $o in
	r) REPS=$OPTARG ;;
	p) PREPS=$OPTARG ;;
	j) JOBS=$OPTARG ;;
	*) echo "usage: $0 [-r REPS] [-p PIPELINE_REPS] [-j N] [CACHE_DIR]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
CACHE=${1:-${BTFAR_CACHE:-$HOME/.cache/btfar}}
OUT=$BUILD/bench-build-out

# shellcheck source=lib.sh
. "$ROOT/bench/lib.sh"

mkdir -p "$BUILD" "$OUT"
need_time
same_heap
for tool in dpkg-deb objcopy xz zstd sha256sum; do
	command -v $tool >/dev/null || die "$tool missing (dpkg, binutils, xz-utils, zstd, coreutils)"
done

# --- build -----------------------------------------------------------------
# bench_build_floor links the project's objects: no fallback without cmake.
PEER=$BUILD/bench/peer_merge
FLOOR=$BUILD/bench/bench_build_floor
if ! cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
	-DBTFAR_TESTS=OFF >"$OUT/build.log" 2>&1 ||
	! cmake --build "$BUILD" -j "$JOBS" --target peer_merge \
		bench_build_floor >>"$OUT/build.log" 2>&1; then
	die "the bench programs did not build (see $OUT/build.log)"
fi
if [ -z "${BTFAR:-}" ]; then
	BTFAR=$BUILD/btfar
	cmake --build "$BUILD" -j "$JOBS" --target btfar >>"$OUT/build.log" 2>&1 ||
		die "btfar did not build (see $OUT/build.log)"
fi
log "built in $BUILD"

# --- data ------------------------------------------------------------------
"$ROOT/bench/fetch-kernel.sh" "$CACHE" >"$OUT/kernel.env" ||
	die "fetch-kernel.sh failed"
# shellcheck disable=SC1091
. "$OUT/kernel.env"
PKGDIR=$(cd "$MODDIR/../../.." && pwd) # the unpacked package
log "kernel $RELEASE: $NMODULES modules in $(basename "$DEB")"
cat "$DEB" >/dev/null # warm page cache for the runs that read the .deb

# --- measuring -------------------------------------------------------------
LOAD_BEFORE=$(load_note)
log "$LOAD_BEFORE"
measure floor "$FLOOR" -j "$JOBS" "$DEB" || die "build floor failed"
rm -rf "$OUT/deb"
measure btfar "$BTFAR" build -j "$JOBS" -o "$OUT/deb" "$DEB" ||
	die "btfar build failed"
BLOB=$OUT/deb/$RELEASE.btf
[ -s "$BLOB" ] || die "btfar build wrote no $BLOB"
MEASURE_REPS=$PREPS measure pipeline "$ROOT/bench/peer-pipeline.sh" \
	-j "$JOBS" "$PEER" "$DEB" "$OUT/peer-pipeline.btf" ||
	die "peer pipeline failed"
LOAD_AFTER=$(load_note)
log "$LOAD_AFTER"

# deb == dir: the same kernel from the unpacked package, once each
rm -rf "$OUT/dir"
MEASURE_REPS=1 measure merge_dir "$BTFAR" merge -j "$JOBS" --base "$VMLINUX" \
	-o "$OUT/merge-dir.btf" "$MODDIR" || die "btfar merge failed"
MEASURE_REPS=1 measure build_dir "$BTFAR" build -j "$JOBS" -o "$OUT/dir" \
	"$PKGDIR" || die "btfar build on $PKGDIR failed"

# --- report ----------------------------------------------------------------
sha() { sha256sum "$1" 2>/dev/null | cut -c1-64; }
size() { stat -c %s "$1" 2>/dev/null; }
F=${ERR[floor]} B=${ERR[btfar]} P=${ERR[pipeline]}
row() { printf '%-14s %8s %9s  %-66s %10s\n' "$@"; }

echo
echo "kernel $RELEASE, $(basename "$DEB"), $NMODULES modules, -j $JOBS"
echo "median of $REPS (pipeline: $PREPS), package on a warm page cache"
echo "before: $LOAD_BEFORE"
echo "after:  $LOAD_AFTER"
row name "wall(s)" "RSS(MiB)" "phases (s)" "out bytes"
row "build floor" "${WALL[floor]}" "${RSS[floor]}" \
	"cpu $(field "$F" build_floor cpu), reader done at $(field "$F" build_floor read)" \
	"$(field "$F" build_floor out)"
row "btfar build" "${WALL[btfar]}" "${RSS[btfar]}" \
	"read $(field "$B" read in) | merge $(field "$B" time merge) dedup $(field "$B" time dedup) emit $(field "$B" time emit)" \
	"$(size "$BLOB")"
row "peer pipeline" "${WALL[pipeline]}" "${RSS[pipeline]}" \
	"unpack $(field "$P" pipeline unpack) vmlinux $(field "$P" pipeline vmlinux) objcopy $(field "$P" pipeline objcopy) merge $(field "$P" pipeline merge) rm $(field "$P" pipeline cleanup)" \
	"$(size "$OUT/peer-pipeline.btf")"
echo "  for the sha256 check, one run each: btfar merge on the unpacked modules" \
	"${WALL[merge_dir]}s, btfar build on the unpacked package ${WALL[build_dir]}s"
echo "  stderr of each kept run: $OUT/NAME.err"

echo
R_FL=$(ratio "${WALL[btfar]}" "${WALL[floor]}")
R_PP=$(ratio "${WALL[pipeline]}" "${WALL[btfar]}")
S_DEB=$(sha "$BLOB")
S_MERGE=$(sha "$OUT/merge-dir.btf")
S_BDIR=$(sha "$OUT/dir/$RELEASE.btf")
same() { [ -n "$1" ] && [ "$1" = "$2" ] && echo PASS || echo FAIL; }
printf '%-50s %8s  %s %s\n' "ratio" value target ""
printf '%-50s %8s  %s %s\n' "btfar build / build floor (wall)" "$R_FL" "<=1.25" "$(check "$R_FL" "<=" 1.25)"
printf '%-50s %8s  %s %s\n' "peer pipeline / btfar build (wall)" "$R_PP" ">=5" "$(check "$R_PP" ">=" 5)"
printf '%-50s %8s  %s %s\n' "btfar build peak RSS (MiB)" "${RSS[btfar]}" "<1536" "$(check "${RSS[btfar]}" "<=" 1535)"
echo "sha256 btfar build .deb        $S_DEB"
echo "sha256 btfar merge unpacked    $S_MERGE  $(same "$S_DEB" "$S_MERGE")"
echo "sha256 btfar build unpacked    $S_BDIR  $(same "$S_DEB" "$S_BDIR")"
echo "sha256 peer pipeline (datadog) $(sha "$OUT/peer-pipeline.btf")  (other algorithm: differs)"
