#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# run-archive.sh [-j N] [-r REPS] [CACHE_DIR]: the archive figures on
# real Debian 12 amd64 kernels: the newest ten 6.1.0-NN builds the archive
# offers (the signed linux-image-6.1.0-NN-amd64 packages: their modules
# carry appended signatures) and the 6.12 build, vmlinux + every module.
#   1. apt-get download (once, into CACHE/archive-bench/), btfar build of each
#   2. the vmlinux-only BTF of each: tests/e2e/kimage_btf (formats/kimage)
#      on the package's vmlinuz, which must hash to the base_sha256 of the
#      full build
#   3. sizes: (a) btfhub-style .tar.xz (xz -9) of the vmlinux-only BTF,
#      (b) the same of the merged blobs, (c) each merged blob with zstd -19
#      (no dictionary), against btfar pack of the 6.1 builds, and of all
#   4. btfar get of one delta entry and of the whole entry of the 6.1
#      series: byte-identical to the blob that went in, time against
#      tar -xJf of its btfhub-style file (median of REPS)
#   5. round trip: every entry read back (sha256 of the .meta), bpftool btf
#      dump of two; btfar verify of the archive
#   6. determinism: pack -j 1 of the inputs listed in reverse order, in
#      another temporary directory: the same bytes; export-btfhub twice:
#      the same trees; catalog sha256 = the files; tar -tvf modes
# Prints a table; figures go to bench/README.md ("Archives").
#
# Env: BTFAR=path to a btfar binary (default: build-bench/btfar, built here);
#      BTFAR_BENCH_BUILD=build dir; BTFAR_CACHE=cache dir.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BTFAR_BENCH_BUILD:-$ROOT/build-bench}
JOBS=2
REPS=3
BENCH_NAME=bench-archive
while getopts "j:r:" o; do
	case $o in
	j) JOBS=$OPTARG ;;
	r) REPS=$OPTARG ;;
	*) echo "usage: $0 [-j N] [-r REPS] [CACHE_DIR]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
CACHE=${1:-${BTFAR_CACHE:-$HOME/.cache/btfar}}
PKGS=$CACHE/archive-bench
OUT=$BUILD/bench-archive-out

# shellcheck source=lib.sh
. "$ROOT/bench/lib.sh"

need_time
for tool in apt-get dpkg-deb xz zstd tar sha256sum bpftool; do
	command -v $tool >/dev/null ||
		die "$tool missing (apt, dpkg, xz-utils, zstd, tar, coreutils, bpftool)"
done
mkdir -p "$BUILD" "$OUT" "$PKGS"
KIMAGE=$BUILD/tests/e2e/kimage_btf
{ cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
	-DBTFAR_TESTS=ON && cmake --build "$BUILD" -j "$JOBS" \
	--target btfar kimage_btf; } >"$OUT/build.log" 2>&1 ||
	die "btfar / kimage_btf did not build (see $OUT/build.log)"
BTFAR=${BTFAR:-$BUILD/btfar}

# --- 1. packages and builds ------------------------------------------------
NAMES=()
# the newest ten 6.1.0-NN builds the archive offers (48 to 57 on
# 2026-12-05; the list moves as Debian publishes builds)
for n in $(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' |
	sed -n 's/^linux-image-6\.1\.0-\([0-9]*\)-amd64 .*/\1/p' |
	sort -un | tail -n 10); do
	NAMES+=("linux-image-6.1.0-$n-amd64")
done
[ ${#NAMES[@]} = 10 ] || die "apt-cache offers ${#NAMES[@]} 6.1.0-NN builds, not ten"
NAMES+=("linux-image-6.12.117+deb12-amd64-unsigned")
for name in "${NAMES[@]}"; do
	if ! ls "$PKGS/${name}_"*.deb >/dev/null 2>&1; then
		log "apt-get download $name"
		(cd "$PKGS" && apt-get download "$name" >/dev/null 2>&1) ||
			die "apt-get download $name failed"
	fi
done
rm -rf "$OUT/builds" "$OUT/vml" && mkdir -p "$OUT/builds" "$OUT/vml"
REL61=()
for name in "${NAMES[@]}"; do
	deb=$(ls "$PKGS/${name}_"*.deb)
	"$BTFAR" build -j "$JOBS" -o "$OUT/builds" "$deb" \
		>"$OUT/build-$name.log" 2>&1 || die "btfar build $deb failed"
	# the vmlinux BTF from the package's kernel image
	rm -rf "$OUT/img" && mkdir -p "$OUT/img"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$OUT/img" --wildcards \
		'./boot/vmlinuz-*' || die "no vmlinuz in $deb"
	img=$(ls "$OUT"/img/boot/vmlinuz-*)
	"$KIMAGE" "$img" "$OUT/vml/${img##*/vmlinuz-}.btf" \
		>"$OUT/vml-$name.log" 2>&1 || die "kimage_btf $img failed"
done
rm -rf "$OUT/img"
for meta in "$OUT"/builds/*.meta; do
	rel=$(basename "$meta" .meta)
	want=$(sed -n 's/^base_sha256 //p' "$meta")
	got=$(sha256sum <"$OUT/vml/$rel.btf" | cut -c1-64)
	[ "$want" = "$got" ] ||
		die "$rel: vmlinux-only blob sha256 $got, base_sha256 $want"
	case $rel in 6.1.*) REL61+=("$rel") ;; esac
done
log "${#REL61[@]} builds of 6.1 and $(($(ls "$OUT"/builds/*.meta | wc -l) - ${#REL61[@]})) other"

# --- 2. sizes ----------------------------------------------------------------
mkdir -p "$OUT/b61" && rm -f "$OUT"/b61/*
for rel in "${REL61[@]}"; do
	ln -s "../builds/$rel.btf" "$OUT/b61/$rel.btf"
	ln -s "../builds/$rel.meta" "$OUT/b61/$rel.meta"
done
rm -rf "$OUT/hub-vml" "$OUT/hub-merged"
MEASURE_REPS=1 measure export_vml "$BTFAR" export-btfhub -o "$OUT/hub-vml" \
	--distro debian --distro-version 12 --arch x86_64 "$OUT"/vml/*.btf ||
	die "export-btfhub of the vmlinux BTF failed"
MEASURE_REPS=1 measure export_merged "$BTFAR" export-btfhub \
	-o "$OUT/hub-merged" --distro debian --distro-version 12 \
	"$OUT/builds" || die "export-btfhub of the merged blobs failed"
sum_files() { # GLOB...: total bytes
	local t=0 f
	for f in "$@"; do t=$((t + $(stat -c %s "$f"))); done
	echo $t
}
HUB=debian/12/x86_64
A61=0 B61=0 C61=0 AALL=0 BALL=0 CALL=0
for meta in "$OUT"/builds/*.meta; do
	rel=$(basename "$meta" .meta)
	a=$(stat -c %s "$OUT/hub-vml/$HUB/$rel.btf.tar.xz")
	b=$(stat -c %s "$OUT/hub-merged/$HUB/$rel.btf.tar.xz")
	c=$(zstd -19 -T1 -q -c "$OUT/builds/$rel.btf" | wc -c)
	AALL=$((AALL + a)) BALL=$((BALL + b)) CALL=$((CALL + c))
	case $rel in 6.1.*) A61=$((A61 + a)) B61=$((B61 + b)) C61=$((C61 + c)) ;; esac
	echo "$rel $a $b $c" >>"$OUT/sizes.txt"
done
rm -f "$OUT"/*.btfa
MEASURE_REPS=1 measure pack61 "$BTFAR" pack -j "$JOBS" -o "$OUT/a61.btfa" \
	--distro debian --distro-version 12 "$OUT/b61" || die "pack 6.1 failed"
MEASURE_REPS=1 measure packall "$BTFAR" pack -j "$JOBS" -o "$OUT/all.btfa" \
	--distro debian --distro-version 12 "$OUT/builds" ||
	die "pack of all failed"
MEASURE_REPS=1 measure pack61whole "$BTFAR" pack -j "$JOBS" --no-delta \
	-o "$OUT/a61-whole.btfa" --distro debian --distro-version 12 \
	"$OUT/b61" || die "pack --no-delta failed"
S61=$(stat -c %s "$OUT/a61.btfa") SALL=$(stat -c %s "$OUT/all.btfa")
S61W=$(stat -c %s "$OUT/a61-whole.btfa")
"$BTFAR" list "$OUT/all.btfa" >"$OUT/list.txt"

# --- 3. get against tar -xJf -------------------------------------------------
"$BTFAR" list --json "$OUT/a61.btfa" >"$OUT/a61.json"
DELTA=$(sed 's/},{/}\n{/g' "$OUT/a61.json" | grep -v '"delta_of":null' |
	sed -n '1s/.*"release":"\([^"]*\)".*/\1/p')
WHOLE=$(sed 's/},{/}\n{/g' "$OUT/a61.json" | grep '"delta_of":null' |
	sed -n '1s/.*"release":"\([^"]*\)".*/\1/p')
[ -n "$DELTA" ] && [ -n "$WHOLE" ] || die "no delta or no whole entry in a61.btfa"
rm -rf "$OUT/x" && mkdir -p "$OUT/x"
cat "$OUT/a61.btfa" "$OUT/hub-merged/$HUB/$DELTA.btf.tar.xz" >/dev/null
measure get_delta "$BTFAR" get "$OUT/a61.btfa" "$DELTA" -o "$OUT/x/$DELTA.btf" ||
	die "get $DELTA failed"
measure get_whole "$BTFAR" get "$OUT/a61.btfa" "$WHOLE" -o "$OUT/x/$WHOLE.btf" ||
	die "get $WHOLE failed"
measure tar_delta tar -xJf "$OUT/hub-merged/$HUB/$DELTA.btf.tar.xz" -C "$OUT/x" ||
	die "tar -xJf failed"
measure tar_whole tar -xJf "$OUT/hub-merged/$HUB/$WHOLE.btf.tar.xz" -C "$OUT/x" ||
	die "tar -xJf failed"

# --- 4. round trip -----------------------------------------------------------
RT=PASS
while read -r rel; do
	"$BTFAR" get "$OUT/all.btfa" "$rel" -o "$OUT/x/rt.btf" 2>/dev/null || RT=FAIL
	[ "$(sha256sum <"$OUT/x/rt.btf" | cut -c1-64)" = \
		"$(sed -n 's/^sha256 //p' "$OUT/builds/$rel.meta")" ] || RT=FAIL
done < <(ls "$OUT"/builds/*.meta | xargs -n1 basename | sed 's/\.meta$//')
for rel in "$DELTA" "$WHOLE"; do
	# to a file: grep -q on a pipe would stop bpftool (pipefail)
	bpftool btf dump file "$OUT/x/$rel.btf" >"$OUT/x/dump.txt" || RT=FAIL
	grep -q "STRUCT 'i40e_pf'" "$OUT/x/dump.txt" || RT=FAIL
done
"$BTFAR" verify "$OUT/all.btfa" >"$OUT/verify.txt" 2>&1 || RT=FAIL

# --- 5. determinism ----------------------------------------------------------
T2=$(mktemp -d)
mkdir -p "$T2/in"
for f in "$OUT"/b61/*; do cp "$(readlink -f "$f")" "$T2/in/"; done
mapfile -t REV < <(ls "$T2"/in/*.meta | sort -r)
"$BTFAR" pack -j 1 -o "$T2/a61.btfa" --distro debian --distro-version 12 \
	"${REV[@]}" >/dev/null 2>&1 || die "second pack failed"
cmp -s "$T2/a61.btfa" "$OUT/a61.btfa" && DET=PASS || DET=FAIL
rm -rf "$OUT/exp1" "$OUT/exp2"
"$BTFAR" export-btfhub -o "$OUT/exp1" --distro debian --distro-version 12 \
	"$OUT/a61.btfa" >/dev/null 2>&1 || die "export 1 failed"
"$BTFAR" export-btfhub -o "$T2/exp2" --distro debian --distro-version 12 \
	"$T2/a61.btfa" >/dev/null 2>&1 || die "export 2 failed"
diff -r "$OUT/exp1" "$T2/exp2" >/dev/null && EXP=PASS || EXP=FAIL
CAT=PASS
for f in "$OUT"/exp1/$HUB/*.btf.tar.xz; do
	# the catalog names the sha256 of each .btf.tar.xz file (what a
	# consumer downloads); the file holds the blob as built
	rel=$(basename "$f" .btf.tar.xz)
	got=$(sha256sum <"$f" | cut -c1-64)
	grep -q "\"$rel\": *\"$got\"" "$OUT/exp1/catalog.json" || CAT=FAIL
	cmp -s <(tar -xJOf "$f" "$rel.btf") "$OUT/builds/$rel.btf" || CAT=FAIL
done
MODES=$(tar -tvJf "$OUT/exp1/$HUB/$DELTA.btf.tar.xz")
rm -rf "$T2"

# --- report ------------------------------------------------------------------
mb() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1e6 }'; }
echo
echo "Debian 12 amd64: ${#REL61[@]} builds of 6.1 (signed packages) + the 6.12 build, -j $JOBS"
printf '%-58s %12s %12s\n' "size (bytes)" "6.1 series" "all"
printf '%-58s %12s %12s\n' "(a) btfhub-style .tar.xz, vmlinux BTF only" "$A61" "$AALL"
printf '%-58s %12s %12s\n' "(b) btfhub-style .tar.xz, merged blobs" "$B61" "$BALL"
printf '%-58s %12s %12s\n' "(c) zstd -19 per merged blob" "$C61" "$CALL"
printf '%-58s %12s %12s\n' "btfar pack (vmlinux + every module)" "$S61" "$SALL"
printf '%-58s %12s %12s\n' "btfar pack --no-delta" "$S61W" "-"
printf '%-58s %12s\n' "archive / (a), 6.1 series (target <= 1)" "$(ratio "$S61" "$A61")"
echo "pack times: 6.1 ${WALL[pack61]}s (${RSS[pack61]} MiB), all ${WALL[packall]}s, --no-delta ${WALL[pack61whole]}s"
echo "get $DELTA (delta entry): ${WALL[get_delta]}s; tar -xJf of its btfhub-style file ${WALL[tar_delta]}s: $(ratio "${WALL[tar_delta]}" "${WALL[get_delta]}")x"
echo "get $WHOLE (whole entry): ${WALL[get_whole]}s; tar -xJf ${WALL[tar_whole]}s: $(ratio "${WALL[tar_whole]}" "${WALL[get_whole]}")x"
echo "round trip (sha256 of every entry, bpftool dump, verify): $RT"
echo "pack -j 1, inputs reversed, other directory: same bytes: $DET"
echo "export-btfhub twice: same trees: $EXP; catalog sha256 = files, files = blobs: $CAT"
echo "tar -tvf: $MODES"
echo "sizes per release (a b c): $OUT/sizes.txt; list: $OUT/list.txt"
