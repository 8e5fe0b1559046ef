#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# run-sid.sh [-r REPS] [-j N] [CACHE_DIR]: `btfar build` against the build
# floor on two kernels:
#   7.2   Debian unstable's split kernel, the newest sid has:
#         linux-binary-R (the image alone) + linux-modules-R (4,216 .ko.xz),
#         fetched by tests/e2e/fetch-sid.sh (private apt configuration)
#   6.12  Debian 12's linux-image-6.12.117+deb12-amd64-unsigned, fetched by
#         fetch-kernel.sh (the package of run-build.sh)
# For each: build floor (bench_build_floor -j N on the package(s): read once,
# every .ko.xz decompressed in memory by N workers, nothing else) and btfar
# build -j N -o DIR on the same package(s); median of REPS runs (default 3)
# on a warm page cache; the ratio btfar / floor (target <= 1.2 on 7.2,
# <= 1.15 on 6.12) and btfar's own phases (read, merge, dedup, emit) of
# the kept run. The runs are
# interleaved (rounds of floor 7.2, btfar 7.2, floor 6.12, btfar 6.12). See
# README.md.
#
# Env: BTFAR=path to a btfar binary (default: build-bench/btfar, built here);
#      BTFAR_BENCH_BUILD=build dir; BTFAR_CACHE=cache dir.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BTFAR_BENCH_BUILD:-$ROOT/build-bench}
REPS=3
JOBS=2
BENCH_NAME=bench-sid
while getopts "r:j:" o; do
	case $o in
	r) REPS=$OPTARG ;;
	j) JOBS=$OPTARG ;;
	*) echo "usage: $0 [-r REPS] [-j N] [CACHE_DIR]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
CACHE=${1:-${BTFAR_CACHE:-$HOME/.cache/btfar}}
OUT=$BUILD/bench-sid-out

# shellcheck source=lib.sh
. "$ROOT/bench/lib.sh"

mkdir -p "$BUILD" "$OUT"
need_time
same_heap

# --- build -----------------------------------------------------------------
FLOOR=$BUILD/bench/bench_build_floor
if ! cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
	-DBTFAR_TESTS=OFF >"$OUT/build.log" 2>&1 ||
	! cmake --build "$BUILD" -j "$JOBS" --target bench_build_floor \
		>>"$OUT/build.log" 2>&1; then
	die "bench_build_floor did not build (see $OUT/build.log)"
fi
if [ -z "${BTFAR:-}" ]; then
	BTFAR=$BUILD/btfar
	cmake --build "$BUILD" -j "$JOBS" --target btfar >>"$OUT/build.log" 2>&1 ||
		die "btfar did not build (see $OUT/build.log)"
fi
log "built in $BUILD"

# --- data ------------------------------------------------------------------
"$ROOT/tests/e2e/fetch-sid.sh" amd64 amd64 "$CACHE" >"$OUT/sid.env" ||
	die "fetch-sid.sh failed"
"$ROOT/bench/fetch-kernel.sh" "$CACHE" >"$OUT/kernel.env" ||
	die "fetch-kernel.sh failed"
# shellcheck disable=SC1091
SID_BIN=$(. "$OUT/sid.env" && echo "$BINARY_DEB")
SID_MOD=$(. "$OUT/sid.env" && echo "$MODULES_DEB")
SID_REL=$(. "$OUT/sid.env" && echo "$RELEASE")
SID_N=$(. "$OUT/sid.env" && echo "$NMODULES")
DEB612=$(. "$OUT/kernel.env" && echo "$DEB")
REL612=$(. "$OUT/kernel.env" && echo "$RELEASE")
N612=$(. "$OUT/kernel.env" && echo "$NMODULES")
cat "$SID_BIN" "$SID_MOD" "$DEB612" >/dev/null # warm page cache

# --- measuring -------------------------------------------------------------
# Rounds, each running the four commands once, in turn: on 2 shared cores a
# neighbour's load changes from minute to minute, and interleaving puts a
# floor run and a btfar run under the same load. Per command the round with
# the median wall time is kept (its stderr: OUT/NAME.err); the ratio is also
# given as the median of the per-round ratios.
declare -A CPU
once() {
	local name=$1 i=$2 rc=0
	shift 2
	/usr/bin/time -f '%e %M %U %S' -o "$OUT/$name.$i.time" "$@" \
		2>"$OUT/$name.$i.err" >/dev/null || rc=$?
	[ $rc -eq 0 ] || { log "$name failed (exit $rc):"; tail -n 5 "$OUT/$name.$i.err" >&2; return $rc; }
	echo "$(tail -n 1 "$OUT/$name.$i.time") $i" >>"$OUT/$name.runs"
}
keep() {
	local name=$1 med
	med=$(sort -n "$OUT/$name.runs" | sed -n "$(((REPS + 1) / 2))p")
	WALL[$name]=$(echo "$med" | cut -d' ' -f1)
	RSS[$name]=$(echo "$med" | awk '{ printf "%.0f", $2 / 1024 }')
	CPU[$name]=$(echo "$med" | awk '{ printf "%.2f", $3 + $4 }')
	cp "$OUT/$name.$(echo "$med" | cut -d' ' -f5).err" "$OUT/$name.err"
	ERR[$name]=$OUT/$name.err
	log "$name: wall ${WALL[$name]}s, cpu ${CPU[$name]}s, peak RSS ${RSS[$name]} MiB (median of $REPS)"
}
# round_ratio A B: median over the rounds of wall(A) / wall(B)
round_ratio() {
	paste <(sort -k5n "$OUT/$1.runs") <(sort -k5n "$OUT/$2.runs") |
		awk '{ print $1 / $6 }' | sort -n |
		awk '{ v[NR] = $1 } END { printf "%.2f", v[int((NR + 1) / 2)] }'
}
LOAD_BEFORE=$(load_note)
log "$LOAD_BEFORE"
for n in floor72 btfar72 floor612 btfar612; do : >"$OUT/$n.runs"; done
for ((i = 1; i <= REPS; i++)); do
	once floor72 $i "$FLOOR" -j "$JOBS" "$SID_BIN" "$SID_MOD" ||
		die "build floor (7.2) failed"
	rm -rf "$OUT/o72"
	once btfar72 $i "$BTFAR" build -j "$JOBS" -o "$OUT/o72" "$SID_BIN" "$SID_MOD" ||
		die "btfar build (7.2) failed"
	once floor612 $i "$FLOOR" -j "$JOBS" "$DEB612" || die "build floor (6.12) failed"
	rm -rf "$OUT/o612"
	once btfar612 $i "$BTFAR" build -j "$JOBS" -o "$OUT/o612" "$DEB612" ||
		die "btfar build (6.12) failed"
done
for n in floor72 btfar72 floor612 btfar612; do keep $n; done
LOAD_AFTER=$(load_note)
log "$LOAD_AFTER"

# --- report ----------------------------------------------------------------
# btfar's phases: "read: ... in Xs" and "time: read A merge B dedup C emit D"
read_s() { sed -n 's/^read: .* in \([0-9.]*\)s$/\1/p' "$1" | tail -n 1; }
row() { printf '%-22s %8s %7s %9s  %s\n' "$@"; }
echo
echo "-j $JOBS, median of $REPS, packages on a warm page cache"
echo "before: $LOAD_BEFORE"
echo "after:  $LOAD_AFTER"
row name "wall(s)" "cpu(s)" "RSS(MiB)" "phases (s)"
for k in 72 612; do
	F=${ERR[floor$k]} B=${ERR[btfar$k]}
	if [ $k = 72 ]; then
		echo "7.2: $(basename "$SID_BIN") + $(basename "$SID_MOD"), $SID_N modules, release $SID_REL"
	else
		echo "6.12: $(basename "$DEB612"), $N612 modules, release $REL612"
	fi
	row "  build floor" "${WALL[floor$k]}" "${CPU[floor$k]}" "${RSS[floor$k]}" \
		"cpu $(field "$F" build_floor cpu), reader done at $(field "$F" build_floor read)"
	row "  btfar build" "${WALL[btfar$k]}" "${CPU[btfar$k]}" "${RSS[btfar$k]}" \
		"read $(read_s "$B") | merge $(field "$B" time merge) dedup $(field "$B" time dedup) emit $(field "$B" time emit)"
done
echo
printf '%-52s %8s  %s %s\n' ratio value target ""
for k in 72 612; do
	# the targets: 1.2 on 7.2, whose modules carry 2.8 times 6.12's types
	# before dedup, 1.15 on 6.12
	t=1.2
	[ $k = 612 ] && t=1.15
	r=$(ratio "${WALL[btfar$k]}" "${WALL[floor$k]}")
	printf '%-52s %8s  %s %s\n' "btfar build / build floor, $k (median walls)" "$r" "<=$t" "$(check "$r" "<=" $t)"
	r=$(round_ratio btfar$k floor$k)
	printf '%-52s %8s  %s %s\n' "btfar build / build floor, $k (median of rounds)" "$r" "<=$t" "$(check "$r" "<=" $t)"
	printf '%-52s %8s\n' "btfar build / build floor, $k (cpu)" "$(ratio "${CPU[btfar$k]}" "${CPU[floor$k]}")"
done
echo "  stderr of each kept run: $OUT/NAME.err"
