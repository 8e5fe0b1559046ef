#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# run.sh [-r REPS] [-j N] [CACHE_DIR]: build the bench programs and btfar
# (Release, in build-bench/), fetch the Debian 12 6.12 kernel package
# (fetch-kernel.sh), then measure, median of REPS runs on a warm page cache:
#   floor         bench_floor: read + decompress every .ko.xz, nothing else
#   peer datadog  peer_merge --mode datadog on the raw module .BTF files
#   peer split    peer_merge --mode split   on the raw module .BTF files
#   btfar         btfar merge end to end on the .ko.xz directory
# and print a table and the ratios. See README.md.
#
# Env: BTFAR=path to a btfar binary (default: build-bench/btfar, built here);
#      BTFAR_BENCH_BUILD=build dir; BTFAR_CACHE=cache dir.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BTFAR_BENCH_BUILD:-$ROOT/build-bench}
REPS=3
JOBS=2
while getopts "r:j:" o; do
	case $o in
	r) REPS=$OPTARG ;;
	j) JOBS=$OPTARG ;;
	*) echo "usage: $0 [-r REPS] [-j N] [CACHE_DIR]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
CACHE=${1:-${BTFAR_CACHE:-$HOME/.cache/btfar}}
OUT=$BUILD/bench-out

# shellcheck source=lib.sh
. "$ROOT/bench/lib.sh"

mkdir -p "$BUILD" "$OUT"
need_time
same_heap

# --- build -----------------------------------------------------------------
# The whole project in Release; when it does not configure or build (some of
# it is missing), the bench programs alone with cc.
PEER=$BUILD/bench/peer_merge
FLOOR=$BUILD/bench/bench_floor
if cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
	-DBTFAR_TESTS=OFF >"$OUT/build.log" 2>&1 &&
	cmake --build "$BUILD" -j "$JOBS" --target peer_merge bench_floor \
		>>"$OUT/build.log" 2>&1; then
	log "built bench programs in $BUILD"
else
	log "project build failed (see $OUT/build.log): building bench alone"
	mkdir -p "$BUILD/bench"
	cc -O2 -std=gnu11 -Wall -o "$FLOOR" "$ROOT/bench/floor.c" \
		"$ROOT/bench/bench_util.c" -llzma -lpthread || die "cc bench_floor"
	read -ra BPF_FLAGS <<<"$(pkg-config --cflags --libs libbpf)"
	cc -O2 -std=gnu11 -Wall -o "$PEER" "$ROOT/bench/peer_merge.c" \
		"$ROOT/bench/bench_util.c" "${BPF_FLAGS[@]}" -lelf -llzma ||
		die "cc peer_merge"
fi
if [ -z "${BTFAR:-}" ]; then
	BTFAR=$BUILD/btfar
	cmake --build "$BUILD" -j "$JOBS" --target btfar >>"$OUT/build.log" 2>&1 ||
		log "btfar did not build (see $OUT/build.log)"
fi

# --- data ------------------------------------------------------------------
"$ROOT/bench/fetch-kernel.sh" "$CACHE" >"$OUT/kernel.env" ||
	die "fetch-kernel.sh failed"
# shellcheck disable=SC1091
. "$OUT/kernel.env"
log "kernel $RELEASE: $NMODULES modules in $MODDIR"
# Warm the page cache: every run reads from memory, none from disk.
find "$MODDIR" "$BTFDIR" -type f -exec cat {} + >/dev/null
cat "$VMLINUX" >/dev/null

# --- measuring (measure, field, ratio, check: lib.sh) ----------------------
# btfar's own phase times, from its stderr summary. Expected, anywhere in it:
#   time: read X.XXs merge X.XXs dedup X.XXs emit X.XXs
# Adjust here if the summary changes. Prints "read merge dedup emit", each
# empty when absent.
btfar_phases() {
	local f=$1
	echo "$(field "$f" time read) $(field "$f" time merge)" \
		"$(field "$f" time dedup) $(field "$f" time emit)"
}

stat_out() { "$PEER" --stat "$1" 2>/dev/null; }

LOAD_BEFORE=$(load_note)
log "$LOAD_BEFORE"
measure floor "$FLOOR" -j "$JOBS" "$MODDIR" || die "floor failed"
measure datadog "$PEER" --mode datadog --base "$VMLINUX" \
	-o "$OUT/peer-datadog.btf" "$BTFDIR" || die "peer datadog failed"
measure split "$PEER" --mode split --base "$VMLINUX" \
	-o "$OUT/peer-split.btf" "$BTFDIR" || die "peer split failed"

HAVE_BTFAR=0
if [ -x "$BTFAR" ]; then
	rm -f "$OUT/btfar.btf"
	if measure btfar "$BTFAR" merge --base "$VMLINUX" -o "$OUT/btfar.btf" \
		-j "$JOBS" "$MODDIR" && [ -s "$OUT/btfar.btf" ]; then
		HAVE_BTFAR=1
	else
		log "btfar merge did not produce $OUT/btfar.btf: skipped"
	fi
else
	log "no btfar binary at $BTFAR: btfar skipped"
fi
# the same pipeline with libbpf's btf__dedup as the engine, for reference
HAVE_BTFAR_LIBBPF=0
if [ $HAVE_BTFAR = 1 ] &&
	measure btfar_libbpf "$BTFAR" merge --dedup-engine libbpf \
		--base "$VMLINUX" -o "$OUT/btfar-libbpf.btf" -j "$JOBS" "$MODDIR"; then
	HAVE_BTFAR_LIBBPF=1
fi
LOAD_AFTER=$(load_note)
log "$LOAD_AFTER"

# --- report ----------------------------------------------------------------
row() { printf '%-14s %8s %9s  %-44s %11s %8s\n' "$@"; }
peer_row() {
	local n=$1 f=${ERR[$1]}
	row "peer $n" "${WALL[$n]}" "${RSS[$n]}" \
		"load $(field "$f" time load) append $(field "$f" time append) dedup $(field "$f" time dedup) write $(field "$f" time write)" \
		"$(field "$f" bytes out)" "$(field "$f" types total)"
}

echo
echo "kernel $RELEASE, $NMODULES modules, -j $JOBS, median of $REPS, warm cache"
echo "before: $LOAD_BEFORE"
echo "after:  $LOAD_AFTER"
row name "wall(s)" "RSS(MiB)" "phases (s)" "out bytes" types
row floor "${WALL[floor]}" "${RSS[floor]}" \
	"cpu $(field "${ERR[floor]}" floor cpu) (decompress only)" \
	"$(field "${ERR[floor]}" floor out)" "-"
peer_row datadog
peer_row split
if [ $HAVE_BTFAR = 1 ]; then
	read -r B_READ B_MERGE B_DEDUP B_EMIT <<<"$(btfar_phases "${ERR[btfar]}")"
	read -r _ B_TYPES _ B_BYTES _ _ <<<"$(stat_out "$OUT/btfar.btf" | cut -d' ' -f2-)"
	row btfar "${WALL[btfar]}" "${RSS[btfar]}" \
		"read ${B_READ:-?} merge ${B_MERGE:-?} dedup ${B_DEDUP:-?} emit ${B_EMIT:-?}" \
		"${B_BYTES:-?}" "${B_TYPES:-?}"
	echo "  btfar summary: $OUT/btfar.err"
fi
if [ $HAVE_BTFAR_LIBBPF = 1 ]; then
	read -r L_READ L_MERGE L_DEDUP L_EMIT <<<"$(btfar_phases "${ERR[btfar_libbpf]}")"
	read -r _ L_TYPES _ L_BYTES _ _ <<<"$(stat_out "$OUT/btfar-libbpf.btf" | cut -d' ' -f2-)"
	row "btfar libbpf" "${WALL[btfar_libbpf]}" "${RSS[btfar_libbpf]}" \
		"read ${L_READ:-?} merge ${L_MERGE:-?} dedup ${L_DEDUP:-?} emit ${L_EMIT:-?}" \
		"${L_BYTES:-?}" "${L_TYPES:-?}"
	echo "  (btfar with --dedup-engine libbpf: the same pipeline, libbpf's btf__dedup)"
fi

echo
if [ $HAVE_BTFAR = 0 ]; then
	echo "btfar: not measured (no working btfar binary); ratios need it."
	exit 0
fi
B_MD=$(add "$B_MERGE" "$B_DEDUP")
[ -n "$B_MD" ] || echo "btfar printed no 'time: ... merge X dedup Y' line: phase ratios n/a"
DD_AD=$(add "$(field "${ERR[datadog]}" time append)" "$(field "${ERR[datadog]}" time dedup)")
SP_AD=$(add "$(field "${ERR[split]}" time append)" "$(field "${ERR[split]}" time dedup)")
R_DD=$(ratio "$DD_AD" "$B_MD")
R_DDW=$(ratio "${WALL[datadog]}" "$B_MD")
R_SP=$(ratio "$SP_AD" "$B_MD")
R_SPW=$(ratio "${WALL[split]}" "$B_MD")
R_FL=$(ratio "${WALL[btfar]}" "${WALL[floor]}")
DD_BYTES=$(field "${ERR[datadog]}" bytes out)
SP_BYTES=$(field "${ERR[split]}" bytes out)
printf '%-58s %8s  %s\n' "ratio" value target
printf '%-58s %8s  %s %s\n' "peer datadog append+dedup / btfar merge+dedup" "$R_DD" ">=5" "$(check "$R_DD" ">=" 5)"
printf '%-58s %8s  %s\n' "  (peer datadog whole run / btfar merge+dedup)" "$R_DDW" "info"
printf '%-58s %8s  %s %s\n' "peer split append+dedup / btfar merge+dedup" "$R_SP" ">=1.5" "$(check "$R_SP" ">=" 1.5)"
printf '%-58s %8s  %s\n' "  (peer split whole run / btfar merge+dedup)" "$R_SPW" "info"
printf '%-58s %8s  %s %s\n' "btfar end-to-end wall / floor wall" "$R_FL" "<=1.5" "$(check "$R_FL" "<=" 1.5)"
printf '%-58s %8s  %s %s\n' "btfar peak RSS (MiB)" "${RSS[btfar]}" "<1536" "$(check "${RSS[btfar]}" "<=" 1535)"
# sizes: compared byte for byte, the ratio is only shown
printf '%-58s %8s  %s %s\n' "btfar bytes / peer datadog bytes" "$(ratio4 "${B_BYTES:-}" "$DD_BYTES")" "<=1" "$(check "${B_BYTES:-}" "<=" "$DD_BYTES")"
printf '%-58s %8s  %s %s\n' "btfar bytes / peer split bytes" "$(ratio4 "${B_BYTES:-}" "$SP_BYTES")" "<=1" "$(check "${B_BYTES:-}" "<=" "$SP_BYTES")"
