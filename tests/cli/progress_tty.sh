#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# progress_tty.sh BTFAR WORK: the progress line on a terminal (a pty from
# script(1), util-linux): pack shows it (phase, "N/M inputs", a
# percentage), verify ARCHIVE per entry, each erased ("\r\033[K") before
# the lines that follow; nothing on a file or a pipe; --no-progress
# hides it on a terminal, --progress shows it on a file. Exit 0 pass, 1
# fail, 77 skip (no script).
set -u
btfar=${1:?usage: progress_tty.sh BTFAR WORK}
work=${2:?}
here=$(cd "$(dirname "$0")" && pwd)
fail=0
bad() { echo "FAIL: $*"; fail=1; }
command -v script >/dev/null || { echo "SKIP: no script (util-linux)"; exit 77; }
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
# shellcheck source=blobs.sh
. "$here/blobs.sh"
tiny_btf 6.1.0-1-amd64.btf 4
tiny_btf 6.1.0-2-amd64.btf 8

# on_tty NAME CMD...: CMD with stdin, stdout and stderr on a pty
on_tty() {
	local out=$1
	shift
	script -qec "$(printf '%q ' "$@")" /dev/null </dev/null >"$out" 2>&1
}
esc=$'\033[K'

on_tty pack.tty "$btfar" pack -o a.btfa --level 1 6.1.0-1-amd64.btf 6.1.0-2-amd64.btf ||
	bad "pack on a tty failed: $(cat -v pack.tty)"
grep -aq "read  *0%  0/2 inputs" pack.tty || bad "pack: no 'read 0% 0/2 inputs' line: $(cat -v pack.tty)"
grep -aq "compress" pack.tty || bad "pack: no compress phase: $(cat -v pack.tty)"
# the last line shown is erased before the summary
grep -aqF "$esc"'pack: a.btfa: 2 entries' pack.tty ||
	bad "pack: the summary does not follow an erased line: $(cat -v pack.tty)"

on_tty verify.tty "$btfar" verify a.btfa || bad "verify on a tty failed"
grep -aq "verify  *0%  0/2 entries" verify.tty || bad "verify ARCHIVE: no 'verify 0% 0/2 entries': $(cat -v verify.tty)"
grep -aqF "${esc}OK   6.1.0-1-amd64" verify.tty ||
	bad "verify ARCHIVE: the line is not erased before OK: $(cat -v verify.tty)"

# no terminal: nothing but the summary
"$btfar" pack -o b.btfa --level 1 6.1.0-1-amd64.btf 2>pack.err || bad "pack to a file"
grep -q $'\r\|\033' pack.err && bad "pack, stderr a file: progress written: $(cat -v pack.err)"
"$btfar" verify a.btfa 2>&1 | cat >verify.pipe
grep -q $'\r\|\033' verify.pipe && bad "verify, a pipe: progress written: $(cat -v verify.pipe)"

# overrides
on_tty quiet.tty "$btfar" pack --no-progress -o c.btfa --level 1 6.1.0-1-amd64.btf || bad "pack --no-progress"
grep -aqF "$esc" quiet.tty && bad "--no-progress on a tty: progress written: $(cat -v quiet.tty)"
"$btfar" pack --progress -o d.btfa --level 1 6.1.0-1-amd64.btf 6.1.0-2-amd64.btf 2>forced.err || bad "pack --progress"
grep -q "read  *0%" forced.err || bad "--progress to a file: no progress: $(cat -v forced.err)"

[ $fail = 0 ] && echo "PASS: progress on a pty (pack, verify ARCHIVE), none on a file or a pipe, --progress/--no-progress"
exit $fail
