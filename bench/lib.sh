# shellcheck shell=bash disable=SC2034 # WALL RSS ERR are read by the caller
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# lib.sh: shell helpers shared by run.sh and run-build.sh (sourced, not run).
# The caller sets OUT (where runs leave their files) and REPS, and may set
# BENCH_NAME (the prefix of log lines).

log() { echo "${BENCH_NAME:-bench}: $*" >&2; }
die() { log "error: $*"; exit 1; }

# Numbers of the runs kept by measure(), by name (read by the caller).
declare -A WALL RSS ERR

# measure NAME CMD...: run REPS times under /usr/bin/time; keep the run with
# the median wall time (its stderr in $OUT/NAME.err). Returns CMD's status.
# MEASURE_REPS overrides REPS for one call.
measure() {
	local name=$1 i rc=0 med reps=${MEASURE_REPS:-$REPS}
	shift
	: >"$OUT/$name.runs"
	for ((i = 1; i <= reps; i++)); do
		/usr/bin/time -f '%e %M' -o "$OUT/$name.$i.time" "$@" \
			2>"$OUT/$name.$i.err" >/dev/null || rc=$?
		[ $rc -eq 0 ] || { log "$name failed (exit $rc):"; tail -n 5 "$OUT/$name.$i.err" >&2; return $rc; }
		echo "$(tail -n 1 "$OUT/$name.$i.time") $i" >>"$OUT/$name.runs"
	done
	med=$(sort -n "$OUT/$name.runs" | sed -n "$(((reps + 1) / 2))p")
	WALL[$name]=$(echo "$med" | cut -d' ' -f1)
	RSS[$name]=$(echo "$med" | awk '{ printf "%.0f", $2 / 1024 }')
	cp "$OUT/$name.$(echo "$med" | cut -d' ' -f3).err" "$OUT/$name.err"
	ERR[$name]=$OUT/$name.err
	log "$name: wall ${WALL[$name]}s, peak RSS ${RSS[$name]} MiB (median of $reps)"
}

# field FILE TAG KEY: the value after KEY on the line starting with "TAG:",
# trailing "s" dropped ("time: load 0.27 append 1.10" -> field F time append).
field() {
	awk -v tag="$2:" -v key="$3" '$1 == tag {
		for (i = 2; i < NF; i++) if ($i == key) { v = $(i + 1); sub(/s$/, "", v); print v; exit }
	}' "$1" 2>/dev/null
}

# ratio A B: A / B with 2 decimals, "n/a" when either is missing or zero.
ratio() {
	awk -v a="${1:-}" -v b="${2:-}" 'BEGIN {
		if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'
}
ratio4() {
	awk -v a="${1:-}" -v b="${2:-}" 'BEGIN {
		if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.4f", a / b }'
}
add() { awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a == "" || b == "") print ""; else printf "%.2f", a + b }'; }
# check VALUE OP TARGET: PASS/FAIL/n-a
check() {
	awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
		if (v == "n/a" || v == "") { print "n/a"; exit }
		ok = (op == ">=") ? v + 0 >= t + 0 : v + 0 <= t + 0
		print ok ? "PASS" : "FAIL" }'
}

# need_time: GNU time, installed when missing (it measures peak RSS).
need_time() {
	[ -x /usr/bin/time ] && return 0
	log "installing time"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q time >&2 ||
		die "/usr/bin/time missing (package time)"
}

# load_note: the load averages, for the report (2 shared cores: a busy
# neighbour changes every number).
load_note() { uptime | sed 's/.*load average: */load /'; }

# same_heap: `btfar build`, `merge` and `pack` run with glibc's malloc asked
# for transparent huge pages when THP is "madvise" (cli/heap.c); the floor
# and the peers they are measured against run so too, unless the caller set
# GLIBC_TUNABLES (then everything runs with the caller's).
same_heap() {
	[ -n "${GLIBC_TUNABLES:-}" ] && return 0
	grep -q '\[madvise\]' /sys/kernel/mm/transparent_hugepage/enabled \
		2>/dev/null || return 0
	export GLIBC_TUNABLES=glibc.malloc.hugetlb=1
	log "floor, peers and btfar with GLIBC_TUNABLES=$GLIBC_TUNABLES (as btfar build, merge and pack set it)"
}
