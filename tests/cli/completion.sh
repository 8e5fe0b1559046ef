#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# completion.sh BTFAR COMPLETION WORK: sources the bash completion
# (completion/btfar.bash) and checks COMPREPLY: the commands, the options
# of build (each one its --help lists), the values of --datasec, and for
# `btfar get ARCHIVE <TAB>` the releases of a small archive made here.
# Exit 0 pass, 1 fail.
set -u
btfar=${1:?usage: completion.sh BTFAR COMPLETION WORK}
comp=${2:?}
work=${3:?}
here=$(cd "$(dirname "$0")" && pwd)
fail=0
bad() { echo "FAIL: $*"; fail=1; }
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
# shellcheck source=blobs.sh
. "$here/blobs.sh"
# shellcheck disable=SC1090
. "$comp"

# complete WORD...: COMPREPLY for the cursor at the end of the last WORD
complete_words() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_btfar
	printf '%s\n' "${COMPREPLY[@]}" | sort
}
expect() { # WHAT GOT WANT
	[ "$2" = "$3" ] || bad "$1: got [$(echo $2)], want [$(echo $3)]"
}

got=$(complete_words "$btfar" "")
for c in build merge verify pack add list get export-btfhub check rebase distill version help; do
	grep -qx "$c" <<<"$got" || bad "btfar <TAB>: no $c in [$(echo $got)]"
done
expect "btfar re<TAB>" "$(complete_words "$btfar" re)" rebase
expect "btfar help me<TAB>" "$(complete_words "$btfar" help me)" merge

got=$(complete_words "$btfar" build --)
for o in --output --base --datasec --dedup-engine --compat --jobs --strict \
	--json --verbose --from-dwarf --pahole --pahole-timeout --distro \
	--distro-version --flavour --dict-size --level --no-progress; do
	grep -qx -- "$o" <<<"$got" || bad "btfar build --<TAB>: no $o in [$(echo $got)]"
done
grep -qx -- --split <<<"$got" && bad "btfar build --<TAB> offers merge's --split"
expect "btfar build --from<TAB>" "$(complete_words "$btfar" build --from)" --from-dwarf
expect "btfar merge --datasec <TAB>" "$(complete_words "$btfar" merge --datasec "")" "$(printf 'drop\nkeep')"
expect "btfar build -j <TAB>" "$(complete_words "$btfar" build -j "")" ""

# files: operands, and -o's value
mkdir sub && : >pkg_1.deb
expect "btfar build -o su<TAB>" "$(complete_words "$btfar" build -o su)" sub
expect "btfar build pkg<TAB>" "$(complete_words "$btfar" build -o out pkg)" pkg_1.deb

# releases of an archive
tiny_btf 6.1.0-27-amd64.btf 4
tiny_btf 6.12.9+deb13-amd64.btf 8
"$btfar" pack -o small.btfa --level 1 6.1.0-27-amd64.btf 6.12.9+deb13-amd64.btf 2>pack.err ||
	{ cat pack.err; bad "pack of the small archive"; }
want=$(printf '6.1.0-27-amd64\n6.12.9+deb13-amd64')
expect "btfar get small.btfa <TAB>" "$(complete_words "$btfar" get small.btfa "")" "$want"
expect "btfar get small.btfa 6.12<TAB>" "$(complete_words "$btfar" get small.btfa 6.12)" 6.12.9+deb13-amd64
expect "btfar get -o x --arch x86_64 small.btfa <TAB>" \
	"$(complete_words "$btfar" get -o x --arch x86_64 small.btfa "")" "$want"
expect "btfar get small.btfa 6.1.0-27-amd64 <TAB> (files)" \
	"$(complete_words "$btfar" get small.btfa 6.1.0-27-amd64 su)" sub

[ $fail = 0 ] && echo "PASS: commands, options of build, --datasec values, files, releases of small.btfa"
exit $fail
