#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# run-get.sh [-r ROUNDS] ARCHIVE BLOBDIR OLD_BTFAR NEW_BTFAR RELEASE...:
# btfar get of each RELEASE of ARCHIVE by two btfar binaries against
# tar -xJf of a btfhub-style RELEASE.btf.tar.xz (tar + xz -9 of
# BLOBDIR/RELEASE.btf, made once beside ARCHIVE in ARCHIVE.hub/), in
# rounds (tar, old, new one after the other: the three under about the
# same load); per command the median wall and CPU (user + system) over the
# rounds, and the wall and CPU ratios tar / get. Every output must be
# byte-identical to BLOBDIR/RELEASE.btf.
set -euo pipefail
ROUNDS=5
while getopts "r:" o; do
	case $o in
	r) ROUNDS=$OPTARG ;;
	*) echo "usage: $0 [-r ROUNDS] ARCHIVE BLOBDIR OLD NEW RELEASE..." >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 5 ] || { echo "usage: $0 [-r ROUNDS] ARCHIVE BLOBDIR OLD NEW RELEASE..." >&2; exit 2; }
A=$1 BLOBS=$2 OLD=$3 NEW=$4
shift 4
HUB=$A.hub
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$HUB"
med() { # FILE of "wall user sys" lines: "wall cpu" of the median wall
	awk '{print $1, $2 + $3}' "$1" | sort -n |
		awk '{w[NR] = $1; c[NR] = $2} END {m = int((NR + 1) / 2); printf "%.3f %.3f", w[m], c[m]}'
}
uptime
for rel in "$@"; do
	[ -f "$HUB/$rel.btf.tar.xz" ] ||
		tar -C "$BLOBS" -cf - "$rel.btf" | xz -9 -T1 >"$HUB/$rel.btf.tar.xz"
	cat "$A" "$HUB/$rel.btf.tar.xz" >/dev/null
	for _ in $(seq "$ROUNDS"); do
		/usr/bin/time -f "%e %U %S" -a -o "$T/tar" \
			tar -xJf "$HUB/$rel.btf.tar.xz" -C "$T"
		/usr/bin/time -f "%e %U %S" -a -o "$T/old" \
			"$OLD" get "$A" "$rel" -o "$T/old.btf" 2>/dev/null
		/usr/bin/time -f "%e %U %S" -a -o "$T/new" \
			"$NEW" get "$A" "$rel" -o "$T/new.btf" 2>/dev/null
	done
	if ! cmp -s "$T/old.btf" "$BLOBS/$rel.btf" ||
		! cmp -s "$T/new.btf" "$BLOBS/$rel.btf"; then
		echo "$rel: get is not the blob" >&2
		exit 1
	fi
	read -r tw tc <<<"$(med "$T/tar")"
	read -r ow oc <<<"$(med "$T/old")"
	read -r nw nc <<<"$(med "$T/new")"
	awk -v r="$rel" -v tw="$tw" -v tc="$tc" -v ow="$ow" -v oc="$oc" \
		-v nw="$nw" -v nc="$nc" 'BEGIN {
		printf "%s: tar %.3f s (cpu %.2f); old %.3f s (cpu %.2f) %.2fx, cpu %.2fx; new %.3f s (cpu %.2f) %.2fx, cpu %.2fx\n",
			r, tw, tc, ow, oc, tw / ow, tc / oc, nw, nc, tw / nw, tc / nc }'
	rm -f "$T"/tar "$T"/old "$T"/new
done
uptime
