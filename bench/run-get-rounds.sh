#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# run-get-rounds.sh ROUNDS ARCHIVE RELEASE SPEC...: interleaved rounds of
# one run of each SPEC; SPEC is BTFAR[:ARGS] (BTFAR get ARCHIVE RELEASE -o
# OUT ARGS) or "tar" (tar -xJf ARCHIVE.hub/RELEASE.btf.tar.xz, the file
# run-get.sh makes). Per SPEC the median CPU (perf stat task-clock, all
# threads) and the median wall, both taken from the same perf stat run of
# each round (1 ms resolution, unlike run-get.sh's /usr/bin/time).
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: $0 ROUNDS ARCHIVE RELEASE SPEC..." >&2; exit 2; }
R=$1 A=$2 REL=$3
shift 3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
uptime
for _ in $(seq "$R"); do
	i=0
	for spec in "$@"; do
		if [ "$spec" = tar ]; then
			cmd=(tar -xJf "$A.hub/$REL.btf.tar.xz" -C "$T")
		else
			b=${spec%%:*}
			args=()
			[ "$spec" != "$b" ] && read -r -a args <<<"${spec#*:}"
			cmd=("$b" get "$A" "$REL" -o "$T/o.btf" "${args[@]}")
		fi
		perf stat -e task-clock -o "$T/p" "${cmd[@]}" >/dev/null 2>&1
		awk '/task-clock/ {gsub(",", "", $1); c = $1}
		     /seconds time elapsed/ {w = $1 * 1000}
		     END {printf "%.1f %.1f\n", c, w}' "$T/p" >>"$T/r$i"
		i=$((i + 1))
	done
done
i=0
for spec in "$@"; do
	c=$(awk '{print $1}' "$T/r$i" | sort -n |
		awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')
	w=$(awk '{print $2}' "$T/r$i" | sort -n |
		awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')
	printf "%-40s wall %7s ms  cpu %7s ms\n" "$spec" "$w" "$c"
	i=$((i + 1))
done
uptime
