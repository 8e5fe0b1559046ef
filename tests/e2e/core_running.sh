#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# core_running.sh: the consumer's side, for real, on the running kernel
# (ctest entry e2e_core_load_running; no download):
#
#   1. btfar pack of /sys/kernel/btf/vmlinux: one entry labelled with this
#      kernel's release (osrelease), arch (uname -m) and build-id (the GNU
#      note of /sys/kernel/notes, read here with od, not by btfar), base
#      sha256 = the file's sha256;
#   2. btfar get --running: the bytes of /sys/kernel/btf/vmlinux;
#   3. core_running.bpf.c (clang -target bpf -O2 -g: BPF_CORE_READ of
#      task_struct's pid, tgid, real_parent->tgid, mm, comm) loaded by
#      e2e_core_load through libbpf with btf_custom_path = that blob: the
#      kernel's verifier accepts it, the relocated offsets are those of
#      /sys/kernel/btf/vmlinux, the values read are the thread's; a blob
#      with pid and tgid swapped is caught, one without pid fails to load.
#
# Environment (set by CMake): BTFAR, E2E_CORE_LOAD, E2E_WORK, E2E_SRC.
# Exit 0 pass, 1 fail, 77 skip (the reason on stdout): not root, no
# /sys/kernel/btf/vmlinux, bpf() not permitted, clang or libbpf headers
# missing.
set -euo pipefail

: "${BTFAR:?}" "${E2E_CORE_LOAD:?}" "${E2E_WORK:?}" "${E2E_SRC:?}"
KBTF=/sys/kernel/btf/vmlinux
W=$E2E_WORK/core-running

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
run() { echo "+ $*" >&2; "$@"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
json_str() { sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p" "$1"; }

[ "$(id -u)" = 0 ] || skip "not root: loading BPF programs needs root"
[ -r "$KBTF" ] || skip "$KBTF missing: this kernel has no CONFIG_DEBUG_INFO_BTF"
command -v clang >/dev/null || skip "clang not found (Debian 12: apt-get install clang)"
[ -e /usr/include/bpf/bpf_core_read.h ] ||
	skip "bpf/bpf_core_read.h not found (apt-get install libbpf-dev)"
multiarch=$(gcc -print-multiarch 2>/dev/null || true)
[ -e "/usr/include/$multiarch/asm/types.h" ] ||
	skip "/usr/include/$multiarch/asm/types.h not found (apt-get install linux-libc-dev)"

# The GNU build-id note of /sys/kernel/notes, read with od: records of
# namesz, descsz, type (native-endian words), name and descriptor padded
# to 4 bytes.
notes_build_id() {
	local f=$1 size off=0 namesz descsz type name
	size=$(stat -c %s "$f")
	while [ $((off + 12)) -le "$size" ]; do
		read -r namesz descsz type < <(od -An -v -tu4 -j "$off" -N 12 "$f")
		name=$(od -An -v -c -j $((off + 12)) -N "$namesz" "$f" | tr -d ' \n')
		if [ "$type" = 3 ] && [ "$name" = 'GNU\0' ]; then
			od -An -v -tx1 -j $((off + 12 + (namesz + 3) / 4 * 4)) -N "$descsz" "$f" | tr -d ' \n'
			return
		fi
		off=$((off + 12 + (namesz + 3) / 4 * 4 + (descsz + 3) / 4 * 4))
	done
}

rm -rf "$W"
mkdir -p "$W"
release=$(cat /proc/sys/kernel/osrelease)
case $(uname -m) in
i?86) arch=i386 ;;
arm*) arch=arm ;;
mips*) arch=mips ;;
*) arch=$(uname -m) ;;
esac
build_id=""
[ -r /sys/kernel/notes ] && build_id=$(notes_build_id /sys/kernel/notes)
sum=$(sha256sum <"$KBTF" | cut -d' ' -f1)
echo "kernel: $release, $arch, build-id ${build_id:-none}; $KBTF: $(stat -c %s "$KBTF") bytes, sha256 $sum"

# 1. pack: the entry carries this kernel's labels
t0=$(now)
run "$BTFAR" pack -o "$W/running.btfa" "$KBTF" || fail "btfar pack $KBTF failed"
echo "time: pack $(since "$t0") s; archive $(stat -c %s "$W/running.btfa") bytes"
run "$BTFAR" list "$W/running.btfa"
"$BTFAR" list --json "$W/running.btfa" >"$W/list.json" || fail "btfar list --json failed"
[ "$(json_str "$W/list.json" release)" = "$release" ] ||
	fail "entry release '$(json_str "$W/list.json" release)', want '$release'"
[ "$(json_str "$W/list.json" arch)" = "$arch" ] ||
	fail "entry arch '$(json_str "$W/list.json" arch)', want '$arch'"
[ "$(json_str "$W/list.json" build_id)" = "$build_id" ] ||
	fail "entry build_id '$(json_str "$W/list.json" build_id)', /sys/kernel/notes says '$build_id'"
[ "$(json_str "$W/list.json" source)" = "running kernel" ] ||
	fail "entry source '$(json_str "$W/list.json" source)', want 'running kernel'"
[ "$(json_str "$W/list.json" base_sha256)" = "$sum" ] ||
	fail "entry base_sha256 '$(json_str "$W/list.json" base_sha256)', want the file's $sum"
echo "ok: one entry, $release $arch, build-id ${build_id:-none}, base sha256 = the file's"

# 2. get --running gives the file back
t0=$(now)
run "$BTFAR" get "$W/running.btfa" --running -o "$W/blob.btf" ||
	fail "btfar get --running failed"
echo "time: get --running $(since "$t0") s"
cmp "$W/blob.btf" "$KBTF" || fail "get --running: not the bytes of $KBTF"
echo "ok: get --running wrote the $(stat -c %s "$W/blob.btf") bytes of $KBTF"

# 3. a CO-RE program relocated on the blob, loaded into this kernel
run clang -target bpf -O2 -g -Wall -Werror -I"/usr/include/$multiarch" \
	-I"$E2E_SRC" -c "$E2E_SRC/core_running.bpf.c" -o "$W/prog.o" ||
	fail "clang -target bpf failed on core_running.bpf.c"
rc=0
run "$E2E_CORE_LOAD" "$W/prog.o" "$W/blob.btf" "$KBTF" "$W" || rc=$?
[ $rc = 77 ] && exit 77
[ $rc = 0 ] || fail "e2e_core_load exited $rc"
rm -f "$W/swapped.btf" "$W/nopid.btf"
echo "ok: packed, got back byte-identical, and a CO-RE program relocated on it runs right in the kernel"
