#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# fetch-pkg.sh NAME[:ARCH] [DIR]: download one Debian kernel package with
# apt-get download and unpack it with dpkg-deb -x, once. Idempotent.
#
#   DIR (default ${BTFAR_CACHE:-$HOME/.cache/btfar}) receives, in the folder
#   DIR/NAME/ (NAME without :ARCH):
#     NAME_VERSION_ARCH.deb  the package
#     pkg/                   its data (dpkg-deb -x)
#     pkg.env                the facts below, as shell assignments
#
# Prints pkg.env on stdout:
#   DEB=      the .deb
#   DEBSIZE=  its size in bytes
#   PKGDIR=   the unpacked tree
#   MODDIR=   PKGDIR/lib/modules/RELEASE
#   RELEASE=  the kernel release (the lib/modules folder name)
#   VMLINUZ=  PKGDIR/boot/vmlinuz-RELEASE
#   NMODULES= regular files named *.ko, *.ko.xz, *.ko.zst, *.ko.gz in the
#             package, counted in `dpkg-deb -c` (not in the unpacked tree)
#
# A foreign ARCH (arm64 on amd64) is downloaded through private apt lists
# (ensure_arch): the machine's apt and dpkg setup is not changed. Errors are lines
# "fetch-pkg: error: ..." on stderr, exit 1.
set -euo pipefail

SPEC=${1:?usage: fetch-pkg.sh NAME[:ARCH] [DIR]}
DIR=${2:-${BTFAR_CACHE:-$HOME/.cache/btfar}}
NAME=${SPEC%%:*}
ARCH=
[ "$SPEC" != "$NAME" ] && ARCH=${SPEC#*:}
OUT=$DIR/$NAME

log() { echo "fetch-pkg: $*" >&2; }
die() { log "error: $*"; exit 1; }

command -v apt-get >/dev/null || die "no apt-get (not a Debian system)"
command -v dpkg-deb >/dev/null || die "no dpkg-deb (apt-get install dpkg)"

find_deb() {
	local f
	for f in "$OUT/${NAME}"_*.deb; do
		[ -s "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

# A foreign architecture (arm64 on amd64) is read through a private apt
# configuration: the machine's sources, but its own lists and cache under
# $DIR/apt-ARCH/ and APT::Architectures naming ARCH, so neither dpkg's
# architectures nor the machine's lists change (no dpkg --add-architecture).
APT_OPTS=()
ensure_arch() {
	local native priv
	[ -n "$ARCH" ] || return 0
	native=$(dpkg --print-architecture)
	[ "$ARCH" = "$native" ] && return 0
	dpkg --print-foreign-architectures | grep -qx "$ARCH" && return 0
	priv=$DIR/apt-$ARCH
	mkdir -p "$priv/lists/partial" "$priv/cache/archives/partial"
	APT_OPTS=(-o "Dir::State::Lists=$priv/lists" -o "Dir::Cache=$priv/cache"
		-o "APT::Architectures=$native,$ARCH" -o "Acquire::Languages=none")
	[ "$(id -u)" = 0 ] && APT_OPTS+=(-o "APT::Sandbox::User=root")
	log "private apt lists for $ARCH in $priv"
	apt-get "${APT_OPTS[@]}" update -q >&2 ||
		die "apt-get update (private lists for $ARCH) failed"
}

download() {
	local deb
	deb=$(find_deb) && { echo "$deb"; return 0; }
	ensure_arch
	log "downloading $SPEC"
	(cd "$OUT" && apt-get "${APT_OPTS[@]}" download "$SPEC" >&2) ||
		{ [ "$(id -u)" = 0 ] && apt-get "${APT_OPTS[@]}" update -q >&2 &&
		  (cd "$OUT" && apt-get "${APT_OPTS[@]}" download "$SPEC" >&2); } ||
		die "apt-get download $SPEC failed"
	find_deb || die "$SPEC: no .deb in $OUT after download"
}

unpack() {
	local deb=$1
	[ -e "$OUT/pkg/.done" ] && return 0
	log "unpacking $(basename "$deb")"
	rm -rf "$OUT/pkg.tmp"
	mkdir -p "$OUT/pkg.tmp"
	dpkg-deb -x "$deb" "$OUT/pkg.tmp" || die "dpkg-deb -x $deb failed"
	touch "$OUT/pkg.tmp/.done"
	rm -rf "$OUT/pkg"
	mv "$OUT/pkg.tmp" "$OUT/pkg"
}

main() {
	local deb moddir release img n
	mkdir -p "$OUT"
	OUT=$(cd "$OUT" && pwd)
	deb=$(download)
	unpack "$deb"
	moddir=$(find "$OUT/pkg/lib/modules" -mindepth 1 -maxdepth 1 -type d \
		2>/dev/null | sort | head -n 1)
	[ -n "$moddir" ] || die "$deb: no lib/modules/RELEASE"
	release=$(basename "$moddir")
	img=$OUT/pkg/boot/vmlinuz-$release
	[ -s "$img" ] || die "$deb: no boot/vmlinuz-$release"
	# Regular files only (mode starts with '-'), path ending in .ko[.EXT].
	n=$(dpkg-deb -c "$deb" | awk '$1 ~ /^-/ && $NF ~ /\.ko(\.(xz|zst|gz))?$/' | wc -l)
	cat >"$OUT/pkg.env" <<-ENV
		DEB=$deb
		DEBSIZE=$(stat -c %s "$deb")
		PKGDIR=$OUT/pkg
		MODDIR=$moddir
		RELEASE=$release
		VMLINUZ=$img
		NMODULES=$n
	ENV
	cat "$OUT/pkg.env"
}

main
