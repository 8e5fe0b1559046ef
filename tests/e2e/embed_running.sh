#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# embed_running.sh: examples/embed on the running kernel (ctest entry
# e2e_embed_running; no download):
#
#   1. btfar pack of /sys/kernel/btf/vmlinux (this kernel's release, arch,
#      build-id), then btfar min-core of it for core_running.bpf.c;
#   2. examples/embed built with that min archive linked in (make, ld -r -b
#      binary) against this build's libbtfar;
#   3. ./embed prog.o: the archive opened from memory, the running kernel's
#      entry found, handed to libbpf as btf_custom_path through a memfd;
#      the kernel's verifier accepts the program.
#
# Environment (set by CMake): BTFAR, LIBBTFAR (the shared library),
# E2E_WORK, E2E_SRC. Exit 0 pass, 1 fail, 77 skip (the reason on stdout).
set -euo pipefail

: "${BTFAR:?}" "${LIBBTFAR:?}" "${E2E_WORK:?}" "${E2E_SRC:?}"
KBTF=/sys/kernel/btf/vmlinux
W=$E2E_WORK/embed-running
TOP=$(cd "$E2E_SRC/../.." && pwd)

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
[ -z "${SKIP_REASON:-}" ] || skip "$SKIP_REASON"
run() { echo "+ $*" >&2; "$@"; }

[ "$(id -u)" = 0 ] || skip "not root: loading BPF programs needs root"
[ -r "$KBTF" ] || skip "$KBTF missing: this kernel has no CONFIG_DEBUG_INFO_BTF"
for t in clang make ld; do
	command -v $t >/dev/null || skip "$t not found"
done
[ -e /usr/include/bpf/bpf_core_read.h ] ||
	skip "bpf/bpf_core_read.h not found (apt-get install libbpf-dev)"
multiarch=$(gcc -print-multiarch 2>/dev/null || true)

rm -rf "$W"
mkdir -p "$W"
run "$BTFAR" pack -o "$W/running.btfa" "$KBTF" || fail "btfar pack $KBTF failed"
run clang -target bpf -O2 -g -Wall -Werror -I"/usr/include/$multiarch" \
	-I"$E2E_SRC" -c "$E2E_SRC/core_running.bpf.c" -o "$W/prog.o" ||
	fail "clang -target bpf failed on core_running.bpf.c"
run "$BTFAR" min-core -o "$W/min.btfa" --object "$W/prog.o" "$W/running.btfa" ||
	fail "btfar min-core failed"
run "$BTFAR" min-core --check "$W/min.btfa" --object "$W/prog.o" ||
	fail "btfar min-core --check failed on the archive just made"
echo "min archive: $(stat -c %s "$W/min.btfa") bytes for $(stat -c %s "$KBTF") bytes of BTF"

cp "$TOP/examples/embed/embed.c" "$TOP/examples/embed/Makefile" "$W/"
run make -C "$W" MIN="$W/min.btfa" BTFAR_CFLAGS="-I$TOP/include" \
	BTFAR_LIBS="$LIBBTFAR -Wl,-rpath,$(dirname "$LIBBTFAR")" ||
	fail "make examples/embed failed"
rc=0
run "$W/embed" "$W/prog.o" >"$W/embed.out" 2>&1 || rc=$?
cat "$W/embed.out"
if [ $rc != 0 ] && grep -q 'Operation not permitted' "$W/embed.out"; then
	skip "bpf() not permitted here"
fi
[ $rc = 0 ] || fail "embed exited $rc"
grep -q "loaded: the verifier accepted it" "$W/embed.out" || fail "embed did not load the object"
echo "ok: the embedded min archive gave libbpf this kernel's BTF and the verifier accepted the program"
