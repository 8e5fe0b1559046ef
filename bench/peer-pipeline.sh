#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# peer-pipeline.sh [-j N] [-k] [-d] PEER_MERGE DEB OUT: the pipeline build farms
# run today to turn a kernel .deb into one self-contained BTF (btfhub and its
# DataDog fork), from a cold temporary directory:
#   unpack   dpkg-deb -x DEB to disk
#   vmlinux  extract-vmlinux on boot/vmlinuz-* (every zstd, xz and gzip magic
#            tried until one decompresses to an ELF, like fetch-kernel.sh and
#            the kernel's scripts/extract-vmlinux)
#   objcopy  for every module: unxz it to a .ko file (xz -d), then
#            objcopy --dump-section .BTF=btf/<path>.btf on it; one xz and one
#            objcopy process per module, N shell loops side by side
#            (xargs -P N, batches of 32 modules)
#   merge    PEER_MERGE --mode datadog --base vmlinux -o OUT btf/
#   cleanup  rm -rf of the temporary directory (under $TMPDIR, default /tmp;
#            -k keeps it)
# Prints on stderr PEER_MERGE's lines, then (seconds)
#   pipeline: modules N unpack U vmlinux V objcopy O merge M cleanup C total T
# and with -d (du runs after the timed phases, before the cleanup)
#   disk: unpacked BYTES extracted BYTES btf BYTES
set -euo pipefail

JOBS=2
KEEP=0
DISK=0
while getopts "j:kd" o; do
	case $o in
	j) JOBS=$OPTARG ;;
	k) KEEP=1 ;;
	d) DISK=1 ;;
	*) echo "usage: $0 [-j N] [-k] [-d] PEER_MERGE DEB OUT" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 3 ] || { echo "usage: $0 [-j N] [-k] [-d] PEER_MERGE DEB OUT" >&2; exit 2; }
PEER=$1 DEB=$2 OUT=$3

die() { echo "peer-pipeline: error: $*" >&2; exit 1; }
now() { date +%s.%N; }
dt() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

T=$(mktemp -d "${TMPDIR:-/tmp}/peer-pipeline.XXXXXX")
[ $KEEP = 1 ] || trap 'rm -rf "$T"' EXIT

t0=$(now)
dpkg-deb -x "$DEB" "$T/pkg"
t1=$(now)

try_payload() {
	local img=$1 off=$2 tool=$3 out=$4
	tail -c +$((off + 1)) "$img" | $tool -dc >"$out" 2>/dev/null || true
	[ "$(head -c 4 "$out" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]
}
magic_offsets() {
	LC_ALL=C grep -obUaP "$2" "$1" 2>/dev/null | cut -d: -f1 || true
}
extract_vmlinux() {
	local img=$1 out=$2 off
	for off in $(magic_offsets "$img" '\x28\xb5\x2f\xfd'); do
		try_payload "$img" "$off" zstd "$out" && return 0
	done
	for off in $(magic_offsets "$img" '\xfd\x37\x7a\x58\x5a\x00'); do
		try_payload "$img" "$off" xz "$out" && return 0
	done
	for off in $(magic_offsets "$img" '\x1f\x8b\x08'); do
		try_payload "$img" "$off" gzip "$out" && return 0
	done
	return 1
}
IMG=$(find "$T/pkg/boot" -maxdepth 1 -name 'vmlinuz-*' -type f | sort | head -n 1)
[ -n "$IMG" ] || die "$DEB: no boot/vmlinuz-*"
extract_vmlinux "$IMG" "$T/vmlinux" || die "$IMG: no payload decompresses to an ELF"
t2=$(now)

MODDIR=$(find "$T/pkg/lib/modules" -mindepth 1 -maxdepth 1 -type d | sort | head -n 1)
[ -n "$MODDIR" ] || die "$DEB: no lib/modules/RELEASE"
mkdir -p "$T/btf"
(cd "$MODDIR" && find . -type d -print0) | (cd "$T/btf" && xargs -0 mkdir -p)
NMOD=$(cd "$MODDIR" && find . -name '*.ko.xz' -type f | wc -l)
# shellcheck disable=SC2016 # expanded by the inner shell
(cd "$MODDIR" && find . -name '*.ko.xz' -type f -print0) |
	xargs -0 -P "$JOBS" -n 32 bash -c '
		set -e
		btf=$1
		shift
		for f; do
			ko=${f%.xz}
			xz -d "$0/$f"
			objcopy --dump-section .BTF="$btf/${ko%.ko}.btf" "$0/$ko"
		done' "$MODDIR" "$T/btf"
t3=$(now)
[ "$(find "$T/btf" -name '*.btf' -type f | wc -l)" = "$NMOD" ] ||
	die "not every module gave a .BTF"

"$PEER" --mode datadog --base "$T/vmlinux" -o "$OUT" "$T/btf"
t4=$(now)

if [ $DISK = 1 ]; then
	echo "disk: unpacked $(dpkg-deb --fsys-tarfile "$DEB" | tar -tvf - |
		awk '{ s += $3 } END { print s }')" \
		"extracted $(du -sb "$T/pkg" | cut -f1) btf $(du -sb "$T/btf" | cut -f1)" >&2
fi
t5=$t4
if [ $KEEP = 0 ]; then
	rm -rf "$T"
	t5=$(now)
fi
echo "pipeline: modules $NMOD unpack $(dt "$t0" "$t1") vmlinux $(dt "$t1" "$t2")" \
	"objcopy $(dt "$t2" "$t3") merge $(dt "$t3" "$t4") cleanup $(dt "$t4" "$t5")" \
	"total $(dt "$t0" "$t5")" >&2
