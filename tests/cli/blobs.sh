# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# Sourced by the tests of this folder. tiny_btf FILE [SIZE [KB]]: a raw
# BTF file of one type, INT "int" of SIZE bytes (1, 2, 4 or 8; default 4),
# and KB KiB of random hex strings after it (default 0; 1024: a blob that
# takes a second to compress): what `btfar pack` takes as a raw .btf, the
# release from the file name.
tiny_btf() {
	local size=${2:-4} kb=${3:-0} bits pad=0
	bits=$((size * 8))
	((kb > 0)) && pad=$((kb * 1024 + 1))
	# header: magic 0xeB9F, version 1, flags 0, hdr_len 24, type_off 0,
	# type_len 16, str_off 16, str_len
	printf '\x9f\xeb\x01\x00\x18\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x10\x00\x00\x00' >"$1"
	le32 $((5 + pad)) >>"$1"
	# INT: name_off 1, info kind 1 << 24, size; encoding signed << 24 | bits
	printf '\x01\x00\x00\x00\x00\x00\x00\x01' >>"$1"
	le32 "$size" >>"$1"
	printf "\\x$(printf %02x "$bits")\\x00\\x00\\x01" >>"$1"
	printf '\x00int\x00' >>"$1"
	if ((kb > 0)); then
		head -c $((kb * 512)) /dev/urandom | od -An -v -tx1 | tr -d ' \n' >>"$1"
		printf '\x00' >>"$1"
	fi
}

# le32 N: N as 4 little-endian bytes
le32() {
	printf "\\x$(printf %02x $(($1 & 255)))\\x$(printf %02x $(($1 >> 8 & 255)))\\x$(printf %02x $(($1 >> 16 & 255)))\\x$(printf %02x $(($1 >> 24 & 255)))"
}
