#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# run-remote.sh [-r REPS] ARCHIVE [VMLINUX_BTF]: remote reads of a series
# archive (the ten-build 6.1 one bench/run-archive.sh packs, or any), from
# a lighttpd on 127.0.0.1 started and stopped here.
#   1. the archive rewritten as format version 3 (btfar sign with a
#      throwaway key: a new index, frames kept): index bytes before/after
#   2. btfar get URL of a delta entry and of the whole (reference) entry,
#      --no-cache: bytes fetched against the entry's frames (+ 64 KiB at
#      most), byte-identical to a local get; wall time against the local
#      get (median of REPS)
#   3. a second release of the series with the cache: bytes fetched
#   4. get --module i40e: bytes fetched
#   5. what a client fetches for one release with every module's types
#      against one btfhub vmlinux-only file (VMLINUX_BTF in a tar, xz -9)
# Figures go to bench/README.md ("Remote reads").
#
# Env: BTFAR=path to a btfar binary (default: build/btfar).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BTFAR=${BTFAR:-$ROOT/build/btfar}
REPS=3
while getopts "r:" o; do
	case $o in
	r) REPS=$OPTARG ;;
	*) echo "usage: $0 [-r REPS] ARCHIVE [VMLINUX_BTF]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
SRC=${1:?usage: $0 [-r REPS] ARCHIVE [VMLINUX_BTF]}
VMBTF=${2:-}
command -v /usr/sbin/lighttpd >/dev/null || { echo "lighttpd is not installed" >&2; exit 1; }

W=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid"; rm -rf "$W"' EXIT
mkdir "$W/www"
cp "$SRC" "$W/www/a.btfa"
le64() { od -A n -t u8 -j "$2" -N 8 "$1" | tr -d ' '; }
le32() { od -A n -t u4 -j "$2" -N 4 "$1" | tr -d ' '; }
num() { sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" "$1"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { date +%s.%N; }

v_before=$(le32 "$W/www/a.btfa" 8)
idx_before=$(le64 "$W/www/a.btfa" 24)
"$BTFAR" keygen -o "$W/k" 2>/dev/null
"$BTFAR" sign "$W/www/a.btfa" --key "$W/k.key" 2>/dev/null || exit 1
idx_after=$(le64 "$W/www/a.btfa" 24)
echo "index: version $v_before $idx_before bytes -> version 3 $idx_after bytes (with its signature block); file $(stat -c %s "$W/www/a.btfa") bytes"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$W/l.conf" <<CONF
server.document-root = "$W/www"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$W/err.log"
CONF
/usr/sbin/lighttpd -D -f "$W/l.conf" &
pid=$!
sleep 0.5
URL=http://127.0.0.1:$port/a.btfa
"$BTFAR" list --json "$W/www/a.btfa" | sed 's/},{/}\n{/g' >"$W/list"
delta=$(grep -m1 '"delta_of":[0-9]' "$W/list" | sed 's/.*"release":"\([^"]*\)".*/\1/')
whole=$(grep -m1 '"delta_of":null' "$W/list" | sed 's/.*"release":"\([^"]*\)".*/\1/')
other=$(grep '"delta_of":[0-9]' "$W/list" | sed -n 2p | sed 's/.*"release":"\([^"]*\)".*/\1/')

printf '%-16s %-8s %10s %10s %9s %9s %8s\n' RELEASE KIND FRAMES FETCHED OVER LOCAL_S REMOTE_S
for rel in "$delta" "$whole"; do
	lt=() rt=()
	for _ in $(seq "$REPS"); do
		t0=$(now); "$BTFAR" get "$W/www/a.btfa" "$rel" -o "$W/l.btf" 2>/dev/null || exit 1
		lt+=("$(echo "$(now) - $t0" | bc)")
		t0=$(now); "$BTFAR" get --json --no-cache "$URL" "$rel" -o "$W/r.btf" >"$W/r.json" 2>/dev/null || exit 1
		rt+=("$(echo "$(now) - $t0" | bc)")
		cmp -s "$W/l.btf" "$W/r.btf" || { echo "remote get of $rel differs" >&2; exit 1; }
	done
	frames=$(($(num "$W/r.json" frame_size) + $(num "$W/r.json" ref_frame_size)))
	fetched=$(num "$W/r.json" fetched)
	[ "$fetched" -le $((frames + 65536)) ] || echo "FAIL: $rel fetched $fetched > frames $frames + 64 KiB"
	printf '%-16s %-8s %10d %10d %9d %9.3f %8.3f\n' "$rel" \
		"$([ "$rel" = "$delta" ] && echo delta || echo whole)" "$frames" \
		"$fetched" $((fetched - frames)) \
		"$(printf '%s\n' "${lt[@]}" | median)" "$(printf '%s\n' "${rt[@]}" | median)"
done
export XDG_CACHE_HOME=$W/cache
"$BTFAR" get --json "$URL" "$delta" -o "$W/c1.btf" >"$W/c1.json" 2>/dev/null
"$BTFAR" get --json "$URL" "$other" -o "$W/c2.btf" >"$W/c2.json" 2>/dev/null
echo "cache: get $delta fetched $(num "$W/c1.json" fetched) bytes; then $other fetched $(num "$W/c2.json" fetched) (its delta frame $(num "$W/c2.json" frame_size) + header; the reference from the cache)"
"$BTFAR" get --json --no-cache "$URL" "$delta" --module i40e -o "$W/m.btf" >"$W/m.json" 2>/dev/null
echo "get --module i40e of $delta: fetched $(num "$W/m.json" fetched) bytes"
if [ -n "$VMBTF" ]; then
	mkdir "$W/hub"
	cp "$VMBTF" "$W/hub/$delta.btf"
	tar -C "$W/hub" -cf - "$delta.btf" | xz -9 >"$W/hub.tar.xz"
	echo "one release: btfar get (vmlinux + $(grep -m1 . "$W/list" | sed -n 's/.*"modules":\[\([^]]*\)\].*/\1/p' | tr ',' '\n' | wc -l) modules) fetched $(num "$W/c1.json" fetched) bytes; btfhub vmlinux-only .btf.tar.xz $(stat -c %s "$W/hub.tar.xz") bytes"
fi
