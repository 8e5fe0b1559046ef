#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# run-get-rounds.sh ROUNDS ARCHIVE RELEASE SPEC...: interleaved rounds of
# one run of each SPEC; SPEC is BTFAR[:ARGS] (BTFAR get ARCHIVE RELEASE -o
# OUT ARGS) or "tar" (tar -xJf ARCHIVE.hub/RELEASE.btf.tar.xz, the file
# run-get.sh makes). Per SPEC the median CPU (perf stat task-clock, all
# threads) and the median wall, both taken from the same perf stat run of
# each round (1 ms resolution, unlike run-get.sh's /usr/bin/time), and the
# median system time (/usr/bin/time, 10 ms resolution).
# PAUSE (seconds, default 0.3) between runs: on a VM with free-page
# reporting, memory freed by one run is handed back to the hypervisor within
# a fraction of a second, and the next run faults it in anew; back-to-back
# runs find it still mapped and hide that cost (bench/README.md).
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: $0 ROUNDS ARCHIVE RELEASE SPEC..." >&2; exit 2; }
R=$1 A=$2 REL=$3 PAUSE=${PAUSE:-0.3}
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
		sleep "$PAUSE"
		/usr/bin/time -f '%S' -o "$T/s" \
			perf stat -e task-clock -o "$T/p" "${cmd[@]}" >/dev/null 2>&1
		awk -v s="$(tail -n 1 "$T/s")" '/task-clock/ {gsub(",", "", $1); c = $1}
		     /seconds time elapsed/ {w = $1 * 1000}
		     END {printf "%.1f %.1f %.0f\n", c, w, s * 1000}' "$T/p" >>"$T/r$i"
		i=$((i + 1))
	done
done
i=0
for spec in "$@"; do
	c=$(awk '{print $1}' "$T/r$i" | sort -n |
		awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')
	w=$(awk '{print $2}' "$T/r$i" | sort -n |
		awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')
	s=$(awk '{print $3}' "$T/r$i" | sort -n |
		awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')
	mx=$(awk '{print $2}' "$T/r$i" | sort -n | tail -n 1)
	printf "%-40s wall %7s ms (max %7s)  cpu %7s ms  sys %4s ms\n" \
		"$spec" "$w" "$mx" "$c" "$s"
	i=$((i + 1))
done
uptime
