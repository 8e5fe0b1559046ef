#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# dwarf.sh: BTF from DWARF on real data. Opt-in: it runs only with
# BTFAR_E2E_DWARF=1 in the environment (SKIP otherwise), because the debug
# package is about 860 MB and encoding its 4,023 modules with pahole takes
# about 10 minutes on 2 cores (bench/run-dwarf.sh measures it).
#
# btfar build --from-dwarf -j 2 on linux-image-6.1.0-56-amd64-dbg (downloaded
# with apt-get download into ${BTFAR_CACHE:-~/.cache/btfar}/dbg/ once) and
# linux-image-6.1.0-56-amd64-unsigned (e2e_fetch_61), then checks:
#   - exit 0, one release, btf_from "dwarf", encoder "pahole <pahole
#     --version>", every .ko of the unsigned package merged, 0 skipped, the
#     .meta says btf_from dwarf
#   - bpftool reads the blob; it holds STRUCT 'e1000_adapter' (a module
#     type) and STRUCT 'task_struct' (a vmlinux type)
#   - btfar verify --module-base: the named types, functions and
#     enumerators of the package's own module .BTF (on its own vmlinux BTF)
#     are found in the DWARF blob, at least 99 % of them (what pahole 1.24
#     run here and the one of Debian's build disagree on: bench/README.md)
#
# Environment (set by CMake): BTFAR, E2E_WORK (61-vmlinux.btf from
# e2e_fetch_61), E2E_SRC. Exit 0 pass, 1 fail, 77 skip.
set -euo pipefail

: "${BTFAR:?}" "${E2E_WORK:?}" "${E2E_SRC:?}"
CACHE=${BTFAR_CACHE:-$HOME/.cache/btfar}
fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "SKIP: $*"; exit 77; }
run() { echo "+ $*" >&2; "$@"; }

[ "${BTFAR_E2E_DWARF:-0}" = 1 ] ||
	skip "opt-in: set BTFAR_E2E_DWARF=1 (860 MB download, ~10 min of pahole on 2 cores)"
command -v pahole >/dev/null || skip "pahole not found (apt-get install dwarves)"
command -v bpftool >/dev/null || skip "bpftool not found (apt-get install bpftool)"
[ -e "$E2E_WORK/SKIP.61" ] && skip "$(cat "$E2E_WORK/SKIP.61")"
env=$CACHE/linux-image-6.1.0-56-amd64-unsigned/pkg.env
[ -s "$env" ] || fail "$env missing (e2e_fetch_61 did not run?)"
# shellcheck disable=SC1090
. "$env"
BASE=$E2E_WORK/61-vmlinux.btf
[ -s "$BASE" ] || fail "$BASE missing (e2e_fetch_61 failed?)"

DBG=$(ls "$CACHE"/dbg/linux-image-6.1.0-56-amd64-dbg_*_amd64.deb 2>/dev/null | head -n 1 || true)
if [ -z "$DBG" ]; then
	mkdir -p "$CACHE/dbg"
	(cd "$CACHE/dbg" && apt-get download linux-image-6.1.0-56-amd64-dbg) ||
		skip "cannot download linux-image-6.1.0-56-amd64-dbg into $CACHE/dbg"
	DBG=$(ls "$CACHE"/dbg/linux-image-6.1.0-56-amd64-dbg_*_amd64.deb | head -n 1)
fi
NKO=$(find "$MODDIR" -type f -name '*.ko' | wc -l)
[ "$NKO" -gt 1000 ] || fail "$NKO .ko files in $MODDIR, want > 1000"

W=$E2E_WORK/dwarf-61
rm -rf "$W"
mkdir -p "$W"
rc=0
run "$BTFAR" build --from-dwarf --json -j 2 -o "$W/out" "$DBG" "$DEB" \
	>"$W/build.json" 2>"$W/build.err" || rc=$?
tail -n 12 "$W/build.err"
[ $rc = 0 ] || fail "btfar build --from-dwarf exited $rc"
j=$W/build.json
grep -q "\"release\":\"$RELEASE\"" "$j" || fail "no release $RELEASE in the summary"
grep -q '"btf_from":"dwarf"' "$j" || fail "btf_from is not dwarf"
grep -q "\"encoder\":\"pahole $(pahole --version)\"" "$j" || fail "encoder is not pahole $(pahole --version)"
grep -q "\"modules_found\":$NKO,\"modules_merged\":$NKO,\"modules_skipped\":0" "$j" ||
	fail "want $NKO modules found and merged, 0 skipped: $(grep -o '"modules_found":[0-9]*,"modules_merged":[0-9]*,"modules_skipped":[0-9]*' "$j")"
grep -qx "btf_from dwarf" "$W/out/$RELEASE.meta" || fail "$RELEASE.meta: no 'btf_from dwarf' line"
BLOB=$W/out/$RELEASE.btf
bpftool btf dump file "$BLOB" >"$W/dump.txt" || fail "bpftool cannot read $BLOB"
grep -q "STRUCT 'e1000_adapter' " "$W/dump.txt" || fail "no STRUCT e1000_adapter in the blob"
grep -q "STRUCT 'task_struct' " "$W/dump.txt" || fail "no STRUCT task_struct in the blob"

# the DWARF base, for verify, encoded again here the way btfar does (one
# thread: the same bytes, which the summary's base_sha256 must show); the
# module-base is the package's own vmlinux BTF
DBASE=$W/dwarf-vmlinux.btf
T=$(mktemp -d "${TMPDIR:-/tmp}/e2e-dwarf.XXXXXX")
trap 'rm -rf "$T"' EXIT
dpkg-deb --fsys-tarfile "$DBG" | tar -xf - -C "$T" ./usr/lib/debug/boot/vmlinux-"$RELEASE"
pahole -J --btf_gen_floats --lang_exclude=rust --btf_encode_detached="$DBASE" \
	"$T/usr/lib/debug/boot/vmlinux-$RELEASE" || fail "pahole on the debug vmlinux"
rm -rf "$T"
bsum=$(sha256sum <"$DBASE" | cut -d' ' -f1)
grep -q "\"base_sha256\":\"$bsum\"" "$j" ||
	fail "the base of the blob is not what pahole gives on the debug vmlinux (sha256 $bsum)"
rc=0
run "$BTFAR" verify --json -j 2 --module-base "$BASE" --base "$DBASE" "$BLOB" "$MODDIR" \
	>"$W/verify.json" 2>"$W/verify.err" || rc=$?
cat "$W/verify.json"
checked=$(sed -n 's/.*"checked":\([0-9]*\).*/\1/p' "$W/verify.json")
found=$(sed -n 's/.*"found":\([0-9]*\).*/\1/p' "$W/verify.json")
[ -n "$checked" ] && [ "$checked" -gt 100000 ] || fail "verify checked '${checked:-}' entries, want > 100000 (exit $rc)"
awk -v f="$found" -v c="$checked" 'BEGIN { exit !(f / c >= 0.99) }' ||
	fail "verify found $found of $checked (< 99 %)"
echo "verify: $found of $checked found ($(awk -v f="$found" -v c="$checked" 'BEGIN { printf "%.3f", 100 * f / c }') %)"
