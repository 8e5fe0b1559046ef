#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# layers.sh ROOT: the folder dependency rule of README.md's architecture
# table holds: every `#include "DIR/..."` in a folder's .c and .h files
# names the folder itself, a folder its row's "may use" cell lists, or the
# public header (include/btfar, which every folder may include). Rows whose
# cell is not a list of folders (tests: everything; bench: the CLI) are not
# checked. Exit 0 pass, 1 fail.
set -u
root=${1:?usage: layers.sh ROOT}
fail=0
rows=0

# "| `dir/` | holds | may use |" -> "dir<TAB>may use"
table=$(awk -F'|' '/^\| `[a-z_\/]+\/` \|/ {
	d = $2; gsub(/[ `]/, "", d); sub(/\/$/, "", d)
	u = $(NF - 1); gsub(/^ +| +$/, "", u); print d "\t" u }' \
	"$root/README.md")

while IFS=$'\t' read -r dir use; do
	[ -n "$dir" ] || continue
	case $use in
	"nothing else in the repo" | "—") allowed="" ;;
	"\`include/btfar\` only") allowed="" ;;
	everything | "the CLI") continue ;;
	*) allowed=$(tr -d ' ' <<<"$use" | tr ',' ' ') ;;
	esac
	[ -d "$root/$dir" ] || { echo "FAIL: README names $dir/, which is not there"; fail=1; continue; }
	rows=$((rows + 1))
	self=${dir##*/}
	while IFS=: read -r file inc; do
		[ -n "$file" ] || continue
		used=${inc#*\"}
		used=${used%%/*}
		case " $self btfar $allowed " in
		*" $used "*) ;;
		*)
			echo "FAIL: ${file#"$root"/} includes $used/, which $dir/ may not use (README: $use)"
			fail=1
			;;
		esac
	done < <(grep -Ho '#include "[a-z_]*/' "$root/$dir"/*.[ch] 2>/dev/null)
done <<<"$table"

if [ "$rows" -lt 6 ]; then
	echo "FAIL: only $rows folders read from README.md's architecture table"
	fail=1
fi
[ "$fail" = 0 ] && echo "ok: $rows folders keep to README.md's dependency rule"
exit "$fail"
