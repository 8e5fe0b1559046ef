#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# demo.sh: the main job of btfar on a real kernel package, from nothing, on
# Debian 12 as root. Installs the build dependencies with apt-get, builds
# btfar (Release) in build-demo/, downloads and unpacks Debian's
# linux-image-6.12.117+deb12-amd64-unsigned (bench/fetch-kernel.sh; cache in
# ${BTFAR_CACHE:-$HOME/.cache/btfar}), merges the vmlinux BTF and the split
# BTF of its 4,230 modules into one self-contained blob, then checks the blob
# with btfar verify and shows a module-only struct with bpftool.
#
# Env: BUILD_DIR (default build-demo), OUT (default $BUILD_DIR/<release>.btf).
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BUILD=${BUILD_DIR:-$ROOT/build-demo}

log() { echo "== demo: $*"; }

# The build group of scripts/deps.sh, the one list: the compiler, cmake,
# pkg-config and the -dev packages of every library CMakeLists.txt requires
# (libbpf libelf libzstd liblzma zlib libarchive libcurl libsodium liblz4
# lzo2 bz2; repo_deps_complete checks this line names them all), scdoc; the
# demo group: ca-certificates dpkg xz-utils zstd bpftool.
bash "$ROOT/scripts/deps.sh" install build demo

log "build btfar in $BUILD"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBTFAR_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target btfar

log "fetch the kernel package"
bash "$ROOT/bench/fetch-kernel.sh"
# shellcheck disable=SC1091
. "${BTFAR_CACHE:-$HOME/.cache/btfar}/kernel.env"
OUTDIR=${OUTDIR:-$BUILD/out}
OUT=$OUTDIR/$RELEASE.btf

log "btfar build: the .deb, read once in memory -> $OUTDIR"
"$BUILD/btfar" build -o "$OUTDIR" "$DEB"

log "btfar verify: every module type is in the blob"
"$BUILD/btfar" verify --base "$VMLINUX" "$OUT" "$MODDIR"

log "bpftool btf dump file $OUT: a module-only struct (i40e)"
bpftool btf dump file "$OUT" | grep -A 4 "STRUCT 'i40e_pf'"

log "done: $OUT ($(stat -c %s "$OUT") bytes) is self-contained BTF for" \
	"btf_custom_path, bpftool gen min_core_btf, cilium/ebpf"
