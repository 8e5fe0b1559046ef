#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# deps.sh: the one list of the Debian packages btfar needs, by purpose, and
# their installation. Everything that installs packages uses it: the demo
# (tests/e2e/demo.sh), CI (.ci/run), the README, the Debian packaging
# (debian/control lists the build group), and tests/repo/deps_complete.sh
# checks that every library CMakeLists.txt asks for is in the build group.
#
#   deps.sh list GROUP...      print the packages of the groups, one per line
#   deps.sh install GROUP...   apt-get install those not installed yet (root)
#
# Groups:
#   build   compile libbtfar and btfar (CMakeLists.txt's libraries)
#   run     what btfar runs at run time (pahole for --from-dwarf)
#   demo    the README's first command (download a kernel package, bpftool)
#   test    the unit, fixture and end-to-end tests, and the benchmarks
#   package build the Debian packages and run lintian (debian/)
#   all     every group
set -euo pipefail

group() {
	case $1 in
	build)
		# compiler, build system, and every library CMakeLists.txt
		# requires: libbpf libelf libzstd liblzma zlib libarchive (the
		# core), liblz4 liblzo2 libbz2 (kernel image payloads), libcurl
		# (remote archives over HTTP), libsodium (archive signatures);
		# scdoc for the man pages (man/*.scd)
		echo build-essential cmake pkg-config \
			libbpf-dev libelf-dev libzstd-dev liblzma-dev zlib1g-dev \
			libarchive-dev liblz4-dev liblzo2-dev libbz2-dev scdoc \
			libcurl4-openssl-dev libsodium-dev
		;;
	run)
		echo dwarves
		;;
	demo)
		echo ca-certificates dpkg xz-utils zstd bpftool
		;;
	test)
		# fixtures: gcc -g, ld -r, objcopy/readelf, pahole -J, every
		# compression tool; kimage: bzImage payloads; e2e: apt-get
		# download, clang -target bpf, bpftool, libbpf headers, the
		# kernel's asm headers; --compat e2e: Debian's cilium/ebpf;
		# benchmarks and resource tests: GNU time; remote archives: a
		# real HTTP server (lighttpd) on 127.0.0.1, python3 for the
		# faulty proxy in front of it
		echo lighttpd python3 binutils dwarves xz-utils zstd gzip bzip2 cpio rpm lz4 lzop \
			ca-certificates dpkg clang llvm bpftool linux-libc-dev \
			golang-go golang-github-cilium-ebpf-dev time
		;;
	package)
		# the Debian packages (debian/): dpkg-buildpackage, dh with
		# the cmake buildsystem, fakeroot, lintian; test
		# repo_debian_package
		echo dpkg-dev debhelper fakeroot lintian
		;;
	all)
		group build
		group run
		group demo
		group test
		group package
		;;
	*)
		echo "deps.sh: unknown group '$1' (build, run, demo, test, package, all)" >&2
		exit 2
		;;
	esac
}

list() {
	local g
	for g in "$@"; do
		group "$g"
	done | tr ' ' '\n' | sed '/^$/d' | sort -u
}

install() {
	local missing=() p
	for p in $(list "$@"); do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		echo "deps.sh: every package of '$*' is installed"
		return 0
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "deps.sh: not root; missing: ${missing[*]}" >&2
		exit 1
	fi
	echo "deps.sh: apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
}

[ $# -ge 2 ] || {
	echo "usage: deps.sh list|install GROUP..." >&2
	exit 2
}
cmd=$1
shift
case $cmd in
list) list "$@" ;;
install) install "$@" ;;
*)
	echo "deps.sh: unknown command '$cmd' (list, install)" >&2
	exit 2
	;;
esac
