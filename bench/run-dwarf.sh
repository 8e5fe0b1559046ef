#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# run-dwarf.sh [-j N] [CACHE_DIR]: BTF from DWARF on Debian's
# linux-image-6.1.0-56-amd64-dbg (about 860 MB, DWARF vmlinux and 4,023
# modules) with linux-image-6.1.0-56-amd64-unsigned (the same build, with
# .BTF), one run each, measured with /usr/bin/time -v:
#   btfar dwarf    btfar build --from-dwarf -j N on the two .debs: wall,
#                  peak RSS, and the pahole share (time_dwarf of --json: the
#                  wall time of the pahole runs, vmlinux then modules)
#   btfar native   btfar build -j N on the unsigned .deb alone (its .BTF)
#   peer           what DataDog's btfhub fork does: dpkg-deb -x the dbg
#                  package to disk, pahole -J on the vmlinux, then one
#                  `pahole -J --btf_base vmlinux.btf` per module in a shell
#                  loop (N loops side by side, xargs -P N), then the peer
#                  merge program (bench/peer_merge.c --mode datadog); with the
#                  flags btfar gives pahole, --btf_encode_detached for both
# then compares the DWARF blob with the native one type by type:
#   verify         btfar verify --module-base: every named type, function and
#                  enumerator of the unsigned package's modules (native .BTF
#                  on its vmlinux) looked up in the DWARF blob, and of the
#                  peer's DWARF modules in the native blob
#   btf_compare    bench/btf_compare.py on bpftool dumps: vmlinux BTF native
#                  vs DWARF, and the two merged blobs: exact matches, names
#                  only on one side, names defined differently, examples
# Everything lands in $BUILD/bench-dwarf-out (report.txt: the summary).
#
# Env: REUSE_BTFAR=1: take btfar's run from an earlier call (OUT/dwarf*),
#      measure the rest again;
#      BTFAR=a btfar binary (default: build-bench/btfar, built here);
#      BTFAR_BENCH_BUILD=build dir; BTFAR_CACHE=cache dir; DBG_DEB, IMG_DEB:
#      the packages (default: in the cache, tests/e2e/fetch-pkg.sh layout;
#      the dbg package in CACHE/dbg/).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BTFAR_BENCH_BUILD:-$ROOT/build-bench-dwarf}
JOBS=2
BENCH_NAME=bench-dwarf
while getopts "j:" o; do
	case $o in
	j) JOBS=$OPTARG ;;
	*) echo "usage: $0 [-j N] [CACHE_DIR]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
CACHE=${1:-${BTFAR_CACHE:-$HOME/.cache/btfar}}
OUT=$BUILD/bench-dwarf-out
REPS=1

# shellcheck source=lib.sh
. "$ROOT/bench/lib.sh"

mkdir -p "$BUILD" "$OUT"
need_time
for tool in dpkg-deb pahole bpftool python3 objcopy; do
	command -v $tool >/dev/null || die "$tool missing (dpkg, dwarves, bpftool, python3, binutils)"
done

# --- build -----------------------------------------------------------------
if ! cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
	>"$OUT/build.log" 2>&1 ||
	! cmake --build "$BUILD" -j "$JOBS" --target peer_merge kimage_btf \
		>>"$OUT/build.log" 2>&1; then
	die "the bench programs did not build (see $OUT/build.log)"
fi
PEER=$BUILD/bench/peer_merge
KIMAGE_BTF=$BUILD/tests/e2e/kimage_btf
if [ -z "${BTFAR:-}" ]; then
	BTFAR=$BUILD/btfar
	cmake --build "$BUILD" -j "$JOBS" --target btfar >>"$OUT/build.log" 2>&1 ||
		die "btfar did not build (see $OUT/build.log)"
fi

# --- data ------------------------------------------------------------------
IMG_DEB=${IMG_DEB:-}
if [ -z "$IMG_DEB" ]; then
	"$ROOT/tests/e2e/fetch-pkg.sh" linux-image-6.1.0-56-amd64-unsigned "$CACHE" \
		>"$OUT/img.env" || die "fetch-pkg.sh failed"
	# shellcheck disable=SC1091
	. "$OUT/img.env"
	IMG_DEB=$DEB
fi
DBG_DEB=${DBG_DEB:-$(ls "$CACHE"/dbg/linux-image-6.1.0-56-amd64-dbg_*_amd64.deb 2>/dev/null | head -n 1)}
if [ -z "$DBG_DEB" ] || [ ! -s "$DBG_DEB" ]; then
	mkdir -p "$CACHE/dbg"
	(cd "$CACHE/dbg" && apt-get download linux-image-6.1.0-56-amd64-dbg) ||
		die "cannot download linux-image-6.1.0-56-amd64-dbg"
	DBG_DEB=$(ls "$CACHE"/dbg/linux-image-6.1.0-56-amd64-dbg_*_amd64.deb | head -n 1)
fi
log "dbg: $DBG_DEB ($(stat -c %s "$DBG_DEB") bytes)"
log "img: $IMG_DEB"
FLAGS="--btf_gen_floats --lang_exclude=rust" # builder/pahole.h
PAHOLE_VER=$(pahole --version)
cat "$DBG_DEB" "$IMG_DEB" >/dev/null # warm page cache

# --- btfar -----------------------------------------------------------------
LOAD_BEFORE=$(load_note)
if [ "${REUSE_BTFAR:-0}" = 1 ] && [ -s "$OUT/dwarf.time" ]; then
	# REUSE_BTFAR=1: the btfar run of an earlier call (its files in OUT)
	log "REUSE_BTFAR=1: btfar's figures from the earlier run in $OUT"
	LOAD_BEFORE="$LOAD_BEFORE (btfar: earlier run)"
else
	rm -rf "$OUT/dwarf"
	/usr/bin/time -v -o "$OUT/dwarf.time" "$BTFAR" build --from-dwarf --json -j "$JOBS" \
		-o "$OUT/dwarf" "$DBG_DEB" "$IMG_DEB" >"$OUT/dwarf.json" 2>"$OUT/dwarf.err"
	echo "exit $?" >>"$OUT/dwarf.err"
fi
rm -rf "$OUT/native"
"$BTFAR" build --json -j "$JOBS" -o "$OUT/native" "$IMG_DEB" \
	>"$OUT/native.json" 2>"$OUT/native.err" || die "btfar build (native) failed"
REL=$(sed -n 's/.*"release":"\([^"]*\)".*/\1/p' "$OUT/native.json")
[ -s "$OUT/dwarf/$REL.btf" ] || die "btfar build --from-dwarf wrote no $REL.btf (see $OUT/dwarf.err)"
tv() { awk -F': ' -v k="$2" 'index($0, k) { print $2; exit }' "$1"; }
wall_s() { # h:mm:ss or m:ss.ss -> seconds
	awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.1f", s }' <<<"$1"
}
D_WALL=$(wall_s "$(tv "$OUT/dwarf.time" "Elapsed (wall clock)")")
D_RSS=$(awk '{ printf "%.0f", $1 / 1024 }' <<<"$(tv "$OUT/dwarf.time" "Maximum resident")")
D_USER=$(tv "$OUT/dwarf.time" "User time")
D_SYS=$(tv "$OUT/dwarf.time" "System time")
D_PAHOLE=$(sed -n 's/.*"time_dwarf":\([0-9.]*\).*/\1/p' "$OUT/dwarf.json")
D_FOUND=$(sed -n 's/.*"modules_found":\([0-9]*\).*/\1/p' "$OUT/dwarf.json")
D_MERGED=$(sed -n 's/.*"modules_merged":\([0-9]*\).*/\1/p' "$OUT/dwarf.json")
D_SKIPPED=$(sed -n 's/.*"modules_skipped":\([0-9]*\).*/\1/p' "$OUT/dwarf.json")
log "btfar dwarf: wall ${D_WALL}s, peak RSS ${D_RSS} MiB, pahole ${D_PAHOLE}s"

# --- peer: dpkg-deb -x, pahole per module in a shell loop, peer_merge ------
T=$(mktemp -d "${TMPDIR:-/tmp}/peer-dwarf.XXXXXX")
trap 'rm -rf "$T"' EXIT
now() { date +%s.%N; }
dt() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
# CPU seconds (user + sys) of each step, children included: on 2 cores
# shared with other work, CPU time says more than wall time
cpu() { awk '/User time|System time/ { s += $NF } END { printf "%.1f", s }' "$1"; }
p0=$(now)
/usr/bin/time -v -o "$OUT/peer-unpack.time" dpkg-deb -x "$DBG_DEB" "$T/pkg" ||
	die "dpkg-deb -x failed"
p1=$(now)
VMLINUX=$(ls "$T"/pkg/usr/lib/debug/boot/vmlinux-* | head -n 1)
# shellcheck disable=SC2086
/usr/bin/time -v -o "$OUT/peer-vmlinux.time" \
	pahole -J $FLAGS --btf_encode_detached="$T/vmlinux.btf" "$VMLINUX" ||
	die "pahole on $VMLINUX failed"
p2=$(now)
DMODDIR=$(ls -d "$T"/pkg/usr/lib/debug/lib/modules/* | head -n 1)
mkdir -p "$T/btf"
(cd "$DMODDIR" && find . -type d -print0) | (cd "$T/btf" && xargs -0 mkdir -p)
# shellcheck disable=SC2016 # expanded by the inner shell
(cd "$DMODDIR" && find . -name '*.ko' -type f -print0) |
	/usr/bin/time -v -o "$OUT/peer-modules.time" xargs -0 -P "$JOBS" -n 32 bash -c '
		base=$1 btf=$2 flags=$3 dir=$4
		shift 4
		for f; do
			pahole -J $flags --btf_base="$base" \
				--btf_encode_detached="$btf/${f%.ko}.btf" "$dir/$f" ||
				echo "peer: pahole failed on $f" >&2
		done' _ "$T/vmlinux.btf" "$T/btf" "$FLAGS" "$DMODDIR" 2>"$OUT/peer-pahole.err"
p3=$(now)
P_NMOD=$(find "$T/btf" -name '*.btf' -type f | wc -l)
/usr/bin/time -v -o "$OUT/peer-merge.time" "$PEER" --mode datadog \
	--base "$T/vmlinux.btf" -o "$OUT/peer.btf" "$T/btf" 2>"$OUT/peer-merge.err" ||
	log "peer_merge failed (see $OUT/peer-merge.err)"
p4=$(now)
P_UNPACK=$(dt "$p0" "$p1") P_VMLINUX=$(dt "$p1" "$p2") P_MODS=$(dt "$p2" "$p3")
P_MERGE=$(dt "$p3" "$p4") P_TOTAL=$(dt "$p0" "$p4")
P_RSS=$(awk '{ printf "%.0f", $1 / 1024 }' <<<"$(tv "$OUT/peer-merge.time" "Maximum resident")")
P_DISK=$(du -sb "$T/pkg" | cut -f1)
P_CPU=$(awk -v a="$(cpu "$OUT/peer-unpack.time")" -v b="$(cpu "$OUT/peer-vmlinux.time")" \
	-v c="$(cpu "$OUT/peer-modules.time")" -v d="$(cpu "$OUT/peer-merge.time")" \
	'BEGIN { printf "%.1f", a + b + c + d }')
D_CPU=$(cpu "$OUT/dwarf.time")
log "peer: total ${P_TOTAL}s"
LOAD_AFTER=$(load_note)

# --- type by type ------------------------------------------------------------
"$KIMAGE_BTF" "$(dirname "$IMG_DEB")/pkg/boot/vmlinuz-$REL" "$OUT/native-vmlinux.btf" \
	>/dev/null 2>"$OUT/kimage.err" ||
	die "kimage_btf failed (is $(dirname "$IMG_DEB")/pkg unpacked?)"
cp "$T/vmlinux.btf" "$OUT/dwarf-vmlinux.btf"
IMG_MODDIR=$(dirname "$IMG_DEB")/pkg/lib/modules/$REL
"$BTFAR" verify --json -j "$JOBS" --module-base "$OUT/native-vmlinux.btf" \
	--base "$OUT/dwarf-vmlinux.btf" "$OUT/dwarf/$REL.btf" "$IMG_MODDIR" \
	>"$OUT/verify-native-in-dwarf.json" 2>"$OUT/verify-native-in-dwarf.err"
# raw split .btf files: named one by one (a directory is walked for .ko*)
mapfile -t PEER_BTFS < <(find "$T/btf" -name '*.btf' -type f | sort)
"$BTFAR" verify --json -j "$JOBS" --module-base "$OUT/dwarf-vmlinux.btf" \
	--base "$OUT/native-vmlinux.btf" "$OUT/native/$REL.btf" "${PEER_BTFS[@]}" \
	>"$OUT/verify-dwarf-in-native.json" 2>"$OUT/verify-dwarf-in-native.err"
# misses by kind: "PATH: type [ID] KIND 'NAME'...: no equivalent"
misses_by_kind() {
	sed -n "s/.*: type \[[0-9]*\] \([A-Z_0-9]*\) '.*no equivalent.*/\1/p" "$1" |
		sort | uniq -c | sort -rn | awk '{ printf "%s %s, ", $2, $1 }' | sed 's/, $//'
}
for f in native-vmlinux dwarf-vmlinux; do
	bpftool btf dump file "$OUT/$f.btf" >"$OUT/$f.txt"
done
bpftool btf dump file "$OUT/native/$REL.btf" >"$OUT/native-blob.txt"
bpftool btf dump file "$OUT/dwarf/$REL.btf" >"$OUT/dwarf-blob.txt"
python3 "$ROOT/bench/btf_compare.py" --label-a native --label-b dwarf --examples 8 \
	"$OUT/native-vmlinux.txt" "$OUT/dwarf-vmlinux.txt" >"$OUT/compare-vmlinux.txt"
python3 "$ROOT/bench/btf_compare.py" --label-a native --label-b dwarf --examples 8 \
	"$OUT/native-blob.txt" "$OUT/dwarf-blob.txt" >"$OUT/compare-blob.txt"

# --- report --------------------------------------------------------------------
{
	echo "BTF from DWARF: $(basename "$DBG_DEB") + $(basename "$IMG_DEB"), -j $JOBS, pahole $PAHOLE_VER, one run"
	echo "before: $LOAD_BEFORE"
	echo "after:  $LOAD_AFTER"
	echo
	echo "btfar build --from-dwarf: wall ${D_WALL}s (user ${D_USER}s, sys ${D_SYS}s), peak RSS ${D_RSS} MiB"
	echo "  pahole (vmlinux + modules, wall): ${D_PAHOLE}s = $(ratio "$D_PAHOLE" "$D_WALL") of the wall time"
	echo "  modules: $D_FOUND found, $D_MERGED merged, $D_SKIPPED skipped"
	grep -E '^(read|  base|  modules|  time|  BTF from)' "$OUT/dwarf.err" | sed 's/^/  | /'
	echo "peer (DataDog fork's way): total ${P_TOTAL}s: dpkg-deb -x ${P_UNPACK}s ($P_DISK bytes on disk)," \
		"pahole vmlinux ${P_VMLINUX}s, pahole per module ${P_MODS}s ($P_NMOD modules encoded)," \
		"peer_merge ${P_MERGE}s (peak RSS ${P_RSS} MiB)"
	echo "  peer total / btfar wall: $(ratio "$P_TOTAL" "$D_WALL")"
	echo "CPU (user + sys, children included): btfar ${D_CPU}s, peer ${P_CPU}s" \
		"(dpkg-deb $(cpu "$OUT/peer-unpack.time"), pahole vmlinux $(cpu "$OUT/peer-vmlinux.time")," \
		"pahole loop $(cpu "$OUT/peer-modules.time"), peer_merge $(cpu "$OUT/peer-merge.time"));" \
		"peer / btfar: $(ratio "$P_CPU" "$D_CPU")"
	echo
	echo "verify, native modules (.BTF of the unsigned package) in the DWARF blob:"
	echo "  $(cat "$OUT/verify-native-in-dwarf.json")"
	echo "  misses by kind: $(misses_by_kind "$OUT/verify-native-in-dwarf.err")"
	echo "verify, DWARF modules (the peer's pahole output) in the native blob:"
	echo "  $(cat "$OUT/verify-dwarf-in-native.json")"
	echo "  misses by kind: $(misses_by_kind "$OUT/verify-dwarf-in-native.err")"
	echo
	echo "vmlinux BTF, native (vmlinuz .BTF) vs DWARF (pahole $PAHOLE_VER):"
	sed 's/^/  /' "$OUT/compare-vmlinux.txt"
	echo
	echo "merged blobs, native vs DWARF:"
	sed 's/^/  /' "$OUT/compare-blob.txt"
} >"$OUT/report.txt"
cat "$OUT/report.txt"
