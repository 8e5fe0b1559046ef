#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# fetch-kernel.sh [DIR]: download and unpack the Debian 12 kernel package the
# benchmarks and end-to-end tests run on, once. Idempotent: each step leaves
# a result that the next run reuses.
#
#   DIR (default ${BTFAR_CACHE:-$HOME/.cache/btfar}) receives
#     <pkg>_<version>_amd64.deb   the package (apt-get download)
#     pkg/                        its data (dpkg-deb -x)
#     vmlinux                     the ELF inside /boot/vmlinuz-* (with .BTF)
#     btf/<rel path>.btf          every module's raw split .BTF (extract_btf)
#     kernel.env                  the paths below, as shell assignments
#
# Prints kernel.env on stdout:
#   DEB= VMLINUX= MODDIR= BTFDIR= RELEASE= NMODULES=
#
# Env: BTFAR_KERNEL_PKG overrides the package name.
set -euo pipefail

PKG=${BTFAR_KERNEL_PKG:-linux-image-6.12.117+deb12-amd64-unsigned}
DIR=${1:-${BTFAR_CACHE:-$HOME/.cache/btfar}}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

log() { echo "fetch-kernel: $*" >&2; }
die() { log "error: $*"; exit 1; }

# Install what this script needs, only when something is missing.
ensure_deps() {
	local need=()
	command -v dpkg-deb >/dev/null || need+=(dpkg)
	command -v zstd >/dev/null || need+=(zstd)
	command -v xz >/dev/null || need+=(xz-utils)
	command -v cc >/dev/null || need+=(build-essential)
	command -v pkg-config >/dev/null || need+=(pkg-config)
	[ -e /usr/include/libelf.h ] || need+=(libelf-dev)
	[ -e /usr/include/lzma.h ] || need+=(liblzma-dev)
	[ ${#need[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || die "missing ${need[*]} (run as root or install them)"
	log "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q "${need[@]}" >&2 ||
		{ apt-get update -q >&2 && apt-get install -y -q "${need[@]}" >&2; }
}

find_deb() {
	local f
	for f in "$DIR/${PKG}"_*.deb; do
		[ -s "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

download() {
	local deb
	deb=$(find_deb) && { echo "$deb"; return 0; }
	log "downloading $PKG"
	(cd "$DIR" && apt-get download "$PKG" >&2) ||
		{ apt-get update -q >&2 &&
		  (cd "$DIR" && apt-get download "$PKG" >&2); } ||
		die "apt-get download $PKG failed"
	find_deb || die "$PKG: no .deb in $DIR after download"
}

unpack() {
	local deb=$1
	[ -e "$DIR/pkg/.done" ] && return 0
	log "unpacking $(basename "$deb")"
	rm -rf "$DIR/pkg.tmp"
	mkdir -p "$DIR/pkg.tmp"
	dpkg-deb -x "$deb" "$DIR/pkg.tmp"
	touch "$DIR/pkg.tmp/.done"
	rm -rf "$DIR/pkg"
	mv "$DIR/pkg.tmp" "$DIR/pkg"
}

# try_payload IMAGE OFFSET TOOL OUT: decompress IMAGE from OFFSET with TOOL;
# success when the output is an ELF. Decompressors exit non-zero on the
# trailing bytes after the payload, so the output is checked, not the status.
try_payload() {
	local img=$1 off=$2 tool=$3 out=$4
	tail -c +$((off + 1)) "$img" | $tool -dc >"$out" 2>/dev/null || true
	[ "$(head -c 4 "$out" | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]
}

# Offsets of a byte pattern (grep -P escapes) in a file.
magic_offsets() {
	LC_ALL=C grep -obUaP "$2" "$1" 2>/dev/null | cut -d: -f1 || true
}

# The way the kernel's scripts/extract-vmlinux does it: look for every
# compression magic and decompress from each candidate until one gives ELF.
extract_vmlinux() {
	local img=$1 out=$DIR/vmlinux tmp=$DIR/vmlinux.tmp off
	[ -s "$out" ] && return 0
	log "extracting vmlinux from $(basename "$img")"
	for off in $(magic_offsets "$img" '\x28\xb5\x2f\xfd'); do
		try_payload "$img" "$off" zstd "$tmp" && { mv "$tmp" "$out"; return 0; }
	done
	for off in $(magic_offsets "$img" '\xfd\x37\x7a\x58\x5a\x00'); do
		try_payload "$img" "$off" xz "$tmp" && { mv "$tmp" "$out"; return 0; }
	done
	for off in $(magic_offsets "$img" '\x1f\x8b\x08'); do
		try_payload "$img" "$off" gzip "$tmp" && { mv "$tmp" "$out"; return 0; }
	done
	rm -f "$tmp"
	die "$img: no zstd, xz or gzip payload decompresses to an ELF"
}

# extract_btf is built here with cc (no cmake needed), into the cache.
build_extract_btf() {
	local bin=$DIR/bin/extract_btf src stale=0
	mkdir -p "$DIR/bin"
	for src in "$HERE/extract_btf.c" "$HERE/bench_util.c" "$HERE/bench_util.h"; do
		if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
			stale=1
		fi
	done
	if [ $stale = 1 ]; then
		log "building extract_btf"
		cc -O2 -std=gnu11 -Wall -o "$bin" "$HERE/extract_btf.c" \
			"$HERE/bench_util.c" -lelf -llzma -lpthread >&2 ||
			die "cannot build extract_btf"
	fi
	echo "$bin"
}

extract_modules_btf() {
	local moddir=$1 bin
	[ -e "$DIR/btf/.done" ] && return 0
	bin=$(build_extract_btf)
	log "extracting module .BTF to $DIR/btf"
	rm -rf "$DIR/btf.tmp"
	"$bin" -j "$(nproc)" "$moddir" "$DIR/btf.tmp" ||
		die "extract_btf failed on $moddir"
	touch "$DIR/btf.tmp/.done"
	rm -rf "$DIR/btf"
	mv "$DIR/btf.tmp" "$DIR/btf"
}

main() {
	local deb img moddir release n
	mkdir -p "$DIR"
	DIR=$(cd "$DIR" && pwd)
	ensure_deps
	deb=$(download)
	unpack "$deb"

	img=$(find "$DIR/pkg/boot" -maxdepth 1 -name 'vmlinuz-*' -type f 2>/dev/null |
		sort | head -n 1)
	[ -n "$img" ] || die "$deb: no /boot/vmlinuz-*"
	extract_vmlinux "$img"

	moddir=$(find "$DIR/pkg/lib/modules" -mindepth 1 -maxdepth 1 -type d \
		2>/dev/null | sort | head -n 1)
	[ -n "$moddir" ] || die "$deb: no lib/modules/RELEASE"
	release=$(basename "$moddir")
	extract_modules_btf "$moddir"
	n=$(find "$moddir" -name '*.ko*' -type f | wc -l)

	cat >"$DIR/kernel.env" <<-ENV
		DEB=$deb
		VMLINUX=$DIR/vmlinux
		MODDIR=$moddir
		BTFDIR=$DIR/btf
		RELEASE=$release
		NMODULES=$n
	ENV
	cat "$DIR/kernel.env"
}

main
