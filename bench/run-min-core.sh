#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# run-min-core.sh [CACHE]: btfar min-core on an archive of ten Debian 6.1
# builds against the peer pipeline (per release: unpack a btfhub-style
# .btf.tar.xz of the merged blob, then bpftool gen min_core_btf), for two
# objects: tests/e2e/prog.bpf.c (i40e_pf, a module struct) and
# tests/e2e/core_running.bpf.c (task_struct). Results: bench/README.md.
#
#   CACHE (default ${BTFAR_CACHE:-$HOME/.cache/btfar}) receives bench61/:
#   the packages (apt-get download: linux-image-6.1.0-NN-amd64-unsigned
#   where the archive has it, else the signed linux-image-6.1.0-NN-amd64,
#   for the newest ten NN), builds/ (btfar build), ten61.btfa (btfar pack),
#   btfhub/ (btfar export-btfhub of builds/, for the peer; slow: xz -9).
# Env: BTFAR (default build/btfar), REPS (3), PEER=0 skips the peer timing
# (the btfhub export takes about a minute per build on one core).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(dirname "$HERE")
C=${1:-${BTFAR_CACHE:-$HOME/.cache/btfar}}/bench61
BTFAR=${BTFAR:-$TOP/build/btfar}
REPS=${REPS:-3}
OUT=$(mktemp -d)
BENCH_NAME=min-core
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
trap 'rm -rf "$OUT"' EXIT

mkdir -p "$C/builds"
cd "$C"
# the newest ten 6.1.0-NN builds
nns=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64(-unsigned)?$' |
	sed -n 's/^linux-image-6\.1\.0-\([0-9]*\)-amd64.*/\1/p' | sort -un | tail -n 10)
for nn in $nns; do
	[ -f "builds/6.1.0-$nn-amd64.meta" ] && continue
	p=linux-image-6.1.0-$nn-amd64-unsigned
	apt-cache show "$p" >/dev/null 2>&1 || p=linux-image-6.1.0-$nn-amd64
	ls "${p}"_*.deb >/dev/null 2>&1 || apt-get download -q "$p" >/dev/null ||
		die "apt-get download $p failed"
	"$BTFAR" build -j 2 -o builds "${p}"_*.deb || die "btfar build $p failed"
done
[ -f ten61.btfa ] || "$BTFAR" pack -j 2 -o ten61.btfa --distro debian \
	--distro-version 12 --flavour amd64 builds || die "btfar pack failed"

M=$(gcc -print-multiarch)
for p in prog core_running; do
	clang -target bpf -O2 -g -Wall -I"/usr/include/$M" -I"$TOP/tests/e2e" \
		-c "$TOP/tests/e2e/$p.bpf.c" -o "$OUT/$p.o"
done
objs=(--object "$OUT/prog.o" --object "$OUT/core_running.o")

measure ours "$BTFAR" min-core -q -o "$OUT/min.btfa" "${objs[@]}" ten61.btfa
measure full "$BTFAR" min-core -q --no-reuse -o "$OUT/full.btfa" "${objs[@]}" ten61.btfa
cmp "$OUT/min.btfa" "$OUT/full.btfa" || die "min-core through deltas differs from --no-reuse"
reused=$("$BTFAR" min-core -o "$OUT/x.btfa" "${objs[@]}" ten61.btfa 2>&1 | grep -c 'through its delta' || true)

# bpftool on each merged blob: the peer's output, sizes
mkdir -p "$OUT/peer"
for b in builds/*.btf; do
	bpftool gen min_core_btf "$b" "$OUT/peer/$(basename "$b")" "$OUT/prog.o" "$OUT/core_running.o"
done
one=0
for f in "$OUT"/peer/*.btf; do
	one=$((one + $(zstd -19 -q -c "$f" | wc -c)))
done
solid=$(tar -C "$OUT/peer" -cf - . | zstd -19 -q -c | wc -c)

peer=skipped
if [ "${PEER:-1}" != 0 ]; then
	[ -f btfhub/catalog.json ] || "$BTFAR" export-btfhub -j 2 -o btfhub \
		--distro debian --distro-version 12 builds >/dev/null
	peer_run() {
		local f r
		for f in btfhub/debian/12/x86_64/*.btf.tar.xz; do
			r=$(basename "$f" .tar.xz)
			tar -C "$OUT" -xJf "$f"
			bpftool gen min_core_btf "$OUT/$r" "$OUT/$r.min" "$OUT/prog.o" "$OUT/core_running.o"
			rm -f "$OUT/$r"
		done
	}
	export -f peer_run
	export OUT
	measure peer bash -c peer_run
	peer=${WALL[peer]}
fi

echo "btfar min-core (archive of 10, 2 objects): ${WALL[ours]} s, ${RSS[ours]} MiB; $reused of 9 delta entries through their delta"
echo "btfar min-core --no-reuse: ${WALL[full]} s"
echo "peer (tar -xJf + bpftool gen min_core_btf, 10 releases): $peer s"
echo "sizes: btfar min archive $(stat -c %s "$OUT/min.btfa") bytes; bpftool's files zstd -19 one by one $one bytes, as one solid tar $solid bytes"
