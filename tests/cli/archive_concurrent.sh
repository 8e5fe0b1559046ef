#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# archive_concurrent.sh BTFAR WORK: writers of one archive started at once
# all land. (1) 6 `btfar build -o NEW.btfa` into an archive that does not
# exist yet: each decides add or pack, and packs, under the lock on
# NEW.btfa.lock (without it, each saw no archive, packed, and the last
# rename won: 1 entry of 6). (2) 8 `btfar add` on one archive: add appends
# in place under an flock on the archive. No lock file is left. The
# inputs are kernels without modules (boot/vmlinux-R, raw BTF with 512 KiB
# of strings: half a second of compression each). Exit 0 pass, 1 fail.
set -u
btfar=${1:?usage: archive_concurrent.sh BTFAR WORK}
work=${2:?}
here=$(cd "$(dirname "$0")" && pwd)
fail=0
bad() { echo "FAIL: $*"; fail=1; }
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
# shellcheck source=blobs.sh
. "$here/blobs.sh"

# wait_all WHAT PID...: every one exits 0
wait_all() {
	local what=$1 p
	shift
	for p in "$@"; do
		wait "$p" || bad "$what: a process failed: $(cat ./*.err)"
	done
}
entries() { # ARCHIVE: distinct releases
	"$btfar" list --json "$1" | grep -o '"release":"[^"]*"' | sort -u | wc -l
}

# (1) first writers: build -o NEW.btfa
for i in 1 2 3 4 5 6; do
	mkdir -p "k$i/boot"
	tiny_btf "k$i/boot/vmlinux-6.12.$i-cloud-amd64" $((1 << (i % 4))) 512
done
pids=()
for i in 1 2 3 4 5 6; do
	"$btfar" build -o new.btfa "k$i" 2>"build$i.err" &
	pids+=($!)
done
wait_all "build -o new.btfa" "${pids[@]}"
n=$(entries new.btfa)
[ "$n" = 6 ] || bad "6 builds at once into a new archive: $n entries, want 6"
"$btfar" verify new.btfa >verify1.out 2>&1 || bad "verify new.btfa: $(cat verify1.out)"

# (2) adds to one archive
for i in 0 1 2 3 4 5 6 7 8; do
	tiny_btf "6.1.0-$i-amd64.btf" $((1 << (i % 4))) 512
done
"$btfar" pack -o all.btfa --level 1 6.1.0-0-amd64.btf 2>pack.err ||
	{ cat pack.err; exit 1; }
pids=()
for i in 1 2 3 4 5 6 7 8; do
	"$btfar" add all.btfa "6.1.0-$i-amd64.btf" 2>"add$i.err" &
	pids+=($!)
done
wait_all add "${pids[@]}"
n=$(entries all.btfa)
[ "$n" = 9 ] || bad "8 adds at once: $n entries, want 9"
"$btfar" verify all.btfa >verify2.out 2>&1 || bad "verify all.btfa: $(cat verify2.out)"
ls ./*.lock >/dev/null 2>&1 && bad "lock files left: $(ls ./*.lock)"
ls ./*.tmp.* >/dev/null 2>&1 && bad "temporary files left: $(ls ./*.tmp.*)"
ls -d .btfar-build.* >/dev/null 2>&1 && bad "build work folders left"

[ $fail = 0 ] && echo "PASS: 6 builds into a new archive at once: 6 entries; 8 adds at once: 9 entries; both verify"
exit $fail
