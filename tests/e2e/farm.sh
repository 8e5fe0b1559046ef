#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# farm.sh: the build-farm recipe of docs/FARM.md on real Debian packages,
# with separate processes: a Makefile run with make -j2 (one
# `btfar build -o PART.btfa PKG.deb` per package, then
# `btfar pack -o ALL.btfa PART.btfa...`), and checks that
# - ALL.btfa is byte-identical to one `btfar build -o X.btfa` of every
#   package, and to a pack of the parts in reverse order;
# - concurrent `btfar add`s (background processes) of the parts to one
#   archive all land: the same entries (release, sha256) as ALL.btfa;
# - every archive verifies.
# The packages are those the e2e suite caches (env: BTFAR, E2E_WORK,
# BTFAR_CACHE): Debian's 6.12.117 (e2e_fetch), 6.1.0-56 unsigned (e2e_fetch_61)
# and 6.1.0-55 signed (e2e_fetch_61s). Exit 0 pass, 1 fail, 77 skip (a
# package was not downloaded, or no make).
set -u
btfar=${BTFAR:?BTFAR: the btfar binary}
cache=${BTFAR_CACHE:-$HOME/.cache/btfar}
work=${E2E_WORK:?E2E_WORK: the work folder}/farm
fail=0
bad() { echo "FAIL: $*"; fail=1; }
skip() { echo "SKIP: $*"; exit 77; }
command -v make >/dev/null || skip "no make (apt-get install make)"

pkgs=()
# shellcheck disable=SC1091
DEB= && [ -s "$cache/kernel.env" ] && . "$cache/kernel.env"
[ -n "$DEB" ] && [ -s "$DEB" ] || skip "no 6.12 package in $cache (e2e_fetch did not download it)"
pkgs+=("$DEB")
for name in linux-image-6.1.0-56-amd64-unsigned linux-image-6.1.0-55-amd64; do
	DEB=
	# shellcheck disable=SC1090
	[ -s "$cache/$name/pkg.env" ] && . "$cache/$name/pkg.env"
	[ -n "$DEB" ] && [ -s "$DEB" ] || skip "no $name in $cache (its e2e_fetch case did not download it)"
	pkgs+=("$DEB")
done

rm -rf "$work" && mkdir -p "$work/pool" || exit 1
cd "$work" || exit 1
for p in "${pkgs[@]}"; do
	ln -s "$p" "pool/$(basename "$p")"
done

# the recipe (docs/FARM.md), --level 3 to keep the test short
cat >Makefile <<'MAKE'
PKGS  := $(wildcard pool/*.deb)
PARTS := $(patsubst pool/%.deb,parts/%.btfa,$(PKGS))
LEVEL := --level 3

all.btfa: $(PARTS)
	$(BTFAR) pack --no-progress $(LEVEL) -o $@ $(sort $^)

parts/%.btfa: pool/%.deb
	@mkdir -p parts
	$(BTFAR) build --no-progress -j 1 $(LEVEL) -o $@ $< 2>$@.log
MAKE
t0=$(date +%s)
make -j2 BTFAR="$btfar" >make.log 2>&1 || { cat make.log parts/*.log; bad "make -j2"; exit 1; }
echo "make -j2: ${#pkgs[@]} parts and the reduce in $(($(date +%s) - t0)) s"
for p in parts/*.btfa; do
	grep -q "entries packed" "$p.log" || bad "$p: $(tail -n 3 "$p.log")"
done

# one build of everything
t0=$(date +%s)
"$btfar" build --no-progress -j 2 --level 3 -o one.btfa "${pkgs[@]}" 2>one.log ||
	{ tail -n 5 one.log; bad "btfar build -o one.btfa"; }
echo "btfar build -o one.btfa: $(($(date +%s) - t0)) s"
cmp all.btfa one.btfa && echo "ok: make -j2 map + pack = one btfar build -o X.btfa ($(stat -c %s all.btfa) bytes)" ||
	bad "all.btfa (parts + pack) and one.btfa (one build) differ"

# the reduce, parts in reverse order
mapfile -t parts < <(ls parts/*.btfa | sort -r)
"$btfar" pack --no-progress --level 3 -o reverse.btfa "${parts[@]}" 2>reverse.log ||
	bad "pack of the parts in reverse order: $(cat reverse.log)"
cmp all.btfa reverse.btfa && echo "ok: pack of the parts in reverse order gives the same bytes" ||
	bad "pack of the parts in reverse order differs"

# concurrent adds: the first part packed, the others added at once
entries() { # ARCHIVE: "release sha256" per entry, sorted
	"$btfar" list --json "$1" | grep -o '"release":"[^"]*"\|"sha256":"[^"]*"' |
		cut -d'"' -f4 | paste - - | sort
}
cp "${parts[0]}" added.btfa
pids=()
for p in "${parts[@]:1}"; do
	"$btfar" add --no-progress --level 3 added.btfa "$p" 2>"add.$(basename "$p").log" &
	pids+=($!)
done
for pid in "${pids[@]}"; do
	wait "$pid" || bad "a concurrent add failed: $(cat add.*.log)"
done
want=$(entries all.btfa)
got=$(entries added.btfa)
[ "$got" = "$want" ] && echo "ok: $((${#parts[@]} - 1)) concurrent adds: every entry landed ($(wc -l <<<"$got") entries)" ||
	bad "concurrent adds: entries differ from the pack's: $(diff <(echo "$want") <(echo "$got"))"
[ "$(wc -l <<<"$want")" -ge "${#pkgs[@]}" ] || bad "fewer entries than packages: $want"

for a in all.btfa added.btfa; do
	"$btfar" verify "$a" >"verify.$a.out" 2>&1 || bad "verify $a: $(cat "verify.$a.out")"
done
rm -rf parts/*.btfa one.btfa reverse.btfa added.btfa
[ $fail = 0 ] && echo "PASS: the farm recipe on ${#pkgs[@]} packages: byte-identical to one build and to the reverse reduce; concurrent adds all land"
exit $fail
