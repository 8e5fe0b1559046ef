#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# help_matches_man.sh BTFAR MANDIR: the --help texts (hand-written in cli/)
# and the man pages (MANDIR/*.1.scd, scdoc) do not drift apart.
#
# - Every command of `btfar --help` has a page: btfar-CMD.1.scd, or
#   btfar-archive.1.scd for the archive commands (one usage text in
#   cli/cmd_archive.c), and is an item of btfar.1.scd's COMMANDS.
# - The options a command's --help lists (every --long and -x of its usage
#   lines and of the heads of its option lines, the lines indented with "-")
#   are the options its page documents (the items of the page: lines that
#   start with "*-"), and the other way round; -h/--help, which every
#   command takes, is left out. btfar.1.scd's items are those of
#   `btfar --help`.
# - Every option a --help lists is known to the option parser (no
#   "unrecognized option" for `btfar CMD --OPT=1 --help`; for the archive
#   family, by one of its commands).
# Exit 0 pass, 1 fail.
set -u
btfar=${1:?usage: help_matches_man.sh BTFAR MANDIR}
man=${2:?}
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# options of a help text on stdin (completion/btfar.bash reads them the same
# way)
help_opts() {
	awk '
		/^usage:/ {u = 1} u && /^$/ {u = 0}
		{ line = $0 }
		!u && /^  +-/ { sub(/^ +/, "", line); sub(/   .*/, "", line) }
		!u && !/^  +-/ { next }
		{ while (match(line, /(^|[^a-zA-Z0-9-])--?[a-zA-Z][a-zA-Z0-9-]*/)) {
			o = substr(line, RSTART, RLENGTH); sub(/^[^-]/, "", o)
			if (o != "--help" && o != "-h") print o
			line = substr(line, RSTART + RLENGTH) } }' | sort -u
}

# options documented by a page: the *-x* and *--long* of its item lines
man_opts() {
	grep -E '^\*-' "$1" | grep -oE '\*--?[a-zA-Z][a-zA-Z0-9-]*\*' |
		tr -d '*' | grep -vxE -- '-h|--help' | sort -u
}

compare() { # WHAT HELP_OPTS MAN_OPTS PAGE
	local o
	for o in $(comm -23 <(echo "$2") <(echo "$3")); do
		bad "$1 --help lists $o, $4 does not document it"
	done
	for o in $(comm -13 <(echo "$2") <(echo "$3")); do
		bad "$4 documents $o, $1 --help does not list it"
	done
}

known() { # OPT CMD...: some CMD's parser takes OPT
	local c out
	for c in "${@:2}"; do
		case $1 in
		--*) out=$("$btfar" "$c" "$1=1" --help 2>&1 >/dev/null) ;;
		*) out=$("$btfar" "$c" "$1" 1 --help 2>&1 >/dev/null) ;;
		esac
		grep -q 'unrecognized option\|invalid option' <<<"$out" || return 0
	done
	return 1
}

cmds=$("$btfar" --help | awk '/^commands:/ {c = 1; next}
	c && /^  [a-z]/ {print $1} c && /^$/ {c = 0}')
[ "$(wc -w <<<"$cmds")" -ge 10 ] || bad "btfar --help lists too few commands: $cmds"
archive_cmds="pack add list get export-btfhub"
archive_help=
n=0
for c in $cmds; do
	grep -qE "^\*$c\*|^\*[a-z*, -]*\*$c\*" "$man/btfar.1.scd" ||
		bad "btfar.1.scd: no item for the command $c"
	case " $archive_cmds " in
	*" $c "*)
		archive_help+=$("$btfar" "$c" --help)$'\n'
		continue
		;;
	esac
	[ "$c" = version ] && continue # btfar.1: --version, below
	page=$man/btfar-$c.1.scd
	if [ ! -e "$page" ]; then
		bad "$c: no man page (man/btfar-$c.1.scd)"
		continue
	fi
	h=$("$btfar" "$c" --help | help_opts)
	compare "btfar $c" "$h" "$(man_opts "$page")" "btfar-$c.1.scd"
	for o in $h; do
		known "$o" "$c" || bad "btfar $c --help lists $o, which btfar $c does not take"
	done
	n=$((n + 1))
done
h=$(help_opts <<<"$archive_help")
compare "btfar pack (and add, list, get, export-btfhub)" "$h" \
	"$(man_opts "$man/btfar-archive.1.scd")" btfar-archive.1.scd
for o in $h; do
	# shellcheck disable=SC2086
	known "$o" $archive_cmds || bad "the archive --help lists $o, which no archive command takes"
done
compare "btfar" "$("$btfar" --help | help_opts)" "$(man_opts "$man/btfar.1.scd")" btfar.1.scd

[ $fail = 0 ] && echo "PASS: $n command pages, btfar-archive.1 and btfar.1 agree with --help"
exit $fail
