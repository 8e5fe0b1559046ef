# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# shellcheck shell=bash
#
# Sourced by the tests of this folder. tiny_btf FILE [SIZE]: a raw BTF
# file of one type, INT "int" of SIZE bytes (1, 2, 4 or 8; default 4): what
# `btfar pack` takes as a raw .btf, the release from the file name.
tiny_btf() {
	local size=${2:-4} bits
	bits=$((size * 8))
	# header: magic 0xeB9F, version 1, flags 0, hdr_len 24, type_off 0,
	# type_len 16, str_off 16, str_len 5; INT: name_off 1, info
	# kind 1 << 24, size; encoding: signed << 24 | bits
	printf '\x9f\xeb\x01\x00\x18\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x10\x00\x00\x00\x05\x00\x00\x00' >"$1"
	printf '\x01\x00\x00\x00\x00\x00\x00\x01' >>"$1"
	printf "\\x$(printf %02x "$size")\\x00\\x00\\x00" >>"$1"
	printf "\\x$(printf %02x "$bits")\\x00\\x00\\x01" >>"$1"
	printf '\x00int\x00' >>"$1"
}
