#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# fetch-sid.sh [FLAVOUR] [ARCH] [DIR]: download the newest split kernel of
# Debian unstable (sid) of one flavour: linux-binary-REL (the kernel image
# alone, usr/lib/modules/REL/vmlinuz) and linux-modules-REL (every module),
# then unpack the two. Never changes the machine's apt setup.
#
#   FLAVOUR  what follows the version in REL: "amd64" (default: ARCH),
#            "cloud-amd64", "rt-amd64", "arm64", ...
#   ARCH     Debian architecture of the packages (default: the machine's)
#   DIR      cache (default ${BTFAR_CACHE:-$HOME/.cache/btfar}); all goes
#            under DIR/sid/
#
# Private apt configuration (DIR/sid/apt/ARCH/, one per architecture, so
# that amd64 and arm64 runs do not drop each other's lists): a sources list
# of its own, with the Debian archive URI the machine already uses (read
# from /etc/apt/sources.list and /etc/apt/sources.list.d/*.list, one-line
# format, and *.sources, deb822) and suite sid; its own Dir::State::Lists
# and Dir::Cache; Dir::Etc::sourceparts and Dir::Etc::preferencesparts on
# empty folders; APT::Architectures listing ARCH, so a foreign architecture
# needs no `dpkg --add-architecture`. BTFAR_SID_URI overrides the URI.
#
# Sid moves: the version is never pinned. After `apt-get update` (with the
# options above), the newest linux-binary-VER-FLAVOUR by
# `dpkg --compare-versions` is taken, with the linux-modules-VER-FLAVOUR of
# the same version. A Release file past its Valid-Until date (a mirror that
# lags, a snapshot) is taken after a second update without that check, and
# that is said on stderr. When the update fails (no network), the newest
# pair already in the cache is used, and that is said on stderr.
#
# Into DIR/sid/REL/ (REL = VER-FLAVOUR):
#   linux-binary-REL_*.deb, linux-modules-REL_*.deb   the packages
#   pkg/                 both unpacked (dpkg-deb -x)
#   pkg.env              the facts below, printed on stdout too
#
#   BINARY_DEB= MODULES_DEB=  the two packages
#   VERSION=   their version (7.2.13-1)
#   RELEASE=   the kernel release (the usr/lib/modules folder name)
#   PKGDIR=    the unpacked tree
#   MODDIR=    PKGDIR/usr/lib/modules/RELEASE
#   VMLINUZ=   MODDIR/vmlinuz
#   NMODULES=  regular files named *.ko{,.xz,.zst,.gz} in the modules
#              package (dpkg-deb -c)
#   ARCH= FLAVOUR=
#
# Errors are lines "fetch-sid: error: ..." on stderr, exit 1.
set -euo pipefail

ARCH=${2:-$(dpkg --print-architecture 2>/dev/null || echo amd64)}
FLAVOUR=${1:-$ARCH}
DIR=${3:-${BTFAR_CACHE:-$HOME/.cache/btfar}}

log() { echo "fetch-sid: $*" >&2; }
die() { log "error: $*"; exit 1; }

command -v apt-get >/dev/null || die "no apt-get (not a Debian system)"
command -v dpkg-deb >/dev/null || die "no dpkg-deb (apt-get install dpkg)"
case $FLAVOUR$ARCH in
*[!a-z0-9-]*) die "bad flavour '$FLAVOUR' or architecture '$ARCH'" ;;
esac

mkdir -p "$DIR/sid"
SID=$(cd "$DIR/sid" && pwd)
APT=$SID/apt/$ARCH

# The machine's Debian archive: "URI SIGNED-BY" of the first deb source
# that is not a security or updates suite. One-line entries
# ("deb [signed-by=K] URI SUITE COMP...") and deb822 stanzas (Types:,
# URIs:, Suites:, Signed-By:); disabled files (other names) are not read.
machine_uri() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		case $f in
		*.sources) deb822_uri "$f" ;;
		*) oneline_uri "$f" ;;
		esac | grep . && return 0
	done
	return 1
}

# A suite of the archive itself (bookworm, sid), not of its satellites.
AWK_MAIN='function main_suite(s) { return s != "" && s !~ /-(security|updates|backports|proposed-updates)$/ && s !~ /\// }'

# "deb [opt=v ...] URI SUITE COMPONENT...": the first matching line.
oneline_uri() {
	awk "$AWK_MAIN"'
	/^[ \t]*deb[ \t]/ {
		line = $0; sub(/^[ \t]*deb[ \t]+/, "", line); key = "-"
		if (line ~ /^\[/) {
			opts = substr(line, 2, index(line, "]") - 2)
			line = substr(line, index(line, "]") + 1)
			n = split(opts, o, /[ \t]+/)
			for (i = 1; i <= n; i++)
				if (o[i] ~ /^signed-by=/) key = substr(o[i], 11)
		}
		n = split(line, w, /[ \t]+/); j = (w[1] == "") ? 2 : 1
		if (main_suite(w[j + 1]) && w[j] !~ /security/) { print w[j], key; exit }
	}' "$1"
}

# deb822 stanzas (Types: URIs: Suites: Signed-By: Enabled:), separated by
# blank lines: the first enabled "deb" stanza with a main suite.
deb822_uri() {
	awk "$AWK_MAIN"'
	function flush(   i, n, u, s) {
		if (found || !("uris" in st)) { split("", st); return }
		if ((" " st["types"] " ") ~ /[ \t]deb[ \t]/ && tolower(st["enabled"]) != "no") {
			n = split(st["suites"], s, /[ \t]+/)
			for (i = 1; i <= n; i++) if (main_suite(s[i])) break
			split(st["uris"], u, /[ \t]+/)
			if (i <= n && u[1] !~ /security/) {
				print u[1], (st["signed-by"] == "" ? "-" : st["signed-by"])
				found = 1
			}
		}
		split("", st)
	}
	/^[ \t]*$/ { flush(); next }
	/^#/ || /^[ \t]/ { next }   # comments; continuation lines (inline keys)
	{ k = tolower($1); sub(/:$/, "", k); $1 = ""; v = $0; sub(/^[ \t]+/, "", v); st[k] = v }
	END { flush() }' "$1"
}

# The private configuration: apt options, one per line in $APT/opts.
setup_apt() {
	local uri key src
	mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" \
		"$APT/sources.list.d" "$APT/preferences.d"
	if [ -n "${BTFAR_SID_URI:-}" ]; then
		uri=$BTFAR_SID_URI key=-
	else
		read -r uri key < <(machine_uri) ||
			die "no Debian archive in /etc/apt/sources.list{,.d/*.list,.d/*.sources} (set BTFAR_SID_URI)"
	fi
	[ -n "$uri" ] || die "no Debian archive URI found"
	# signed-by only when it is a keyring file (an inline key is not)
	if [ "$key" != - ] && [ -f "$key" ]; then
		src="deb [signed-by=$key] $uri sid main"
	else
		src="deb $uri sid main"
	fi
	echo "$src" >"$APT/sources.list.new"
	mv "$APT/sources.list.new" "$APT/sources.list"
	OPTS=(-o "Dir::State::Lists=$APT/lists" -o "Dir::Cache=$APT/cache"
		-o "Dir::Etc::sourcelist=$APT/sources.list"
		-o "Dir::Etc::sourceparts=$APT/sources.list.d"
		-o "Dir::Etc::preferences=$APT/preferences"
		-o "Dir::Etc::preferencesparts=$APT/preferences.d"
		-o "APT::Architectures=$(dpkg --print-architecture),$ARCH"
		-o "Acquire::Languages=none")
	# root downloads into the cache itself: the _apt user cannot write there
	[ "$(id -u)" = 0 ] && OPTS+=(-o "APT::Sandbox::User=root")
	log "private apt configuration in $APT: $src"
}

# The newest "VERSION NAME" of linux-binary-VER-FLAVOUR in the lists. VER is
# what Debian puts before the flavour (7.2.13+deb14, 6.1.0-56): no other
# flavour ("cloud-amd64" is not "amd64").
newest_binary() {
	local name ver best= bestname=
	while read -r name; do
		name=${name%%:*}
		case $name in linux-binary-unsigned-*) continue ;; esac
		ver=${name#linux-binary-}
		ver=${ver%-"$FLAVOUR"}
		[ "$ver" != "${name#linux-binary-}" ] || continue
		[[ $ver =~ ^[0-9][0-9a-z.+~]*(-[0-9]+)?$ ]] || continue
		while read -r v; do
			if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then
				best=$v bestname=$name
			fi
		done < <(apt-cache "${OPTS[@]}" show "$name:$ARCH" 2>/dev/null |
			awk '/^Version: / { print $2 }')
	done < <(apt-cache "${OPTS[@]}" pkgnames linux-binary- | LC_ALL=C sort -u)
	[ -n "$best" ] || return 1
	echo "$best $bestname"
}

# The newest pair already downloaded (for when the update fails).
newest_cached() {
	local f name ver best= bestname=
	for f in "$SID"/*/linux-binary-*_*_"$ARCH".deb; do
		[ -s "$f" ] || continue
		name=$(basename "$f")
		ver=${name#*_} ver=${ver%_*} ver=${ver//%3a/:}
		name=${name%%_*}
		[ "${name%-"$FLAVOUR"}" != "$name" ] || continue
		[[ ${name#linux-binary-} =~ ^[0-9][0-9a-z.+~]*(-[0-9]+)?-$FLAVOUR$ ]] || continue
		compgen -G "$(dirname "$f")/linux-modules-*_*.deb" >/dev/null || continue
		if [ -z "$best" ] || dpkg --compare-versions "$ver" gt "$best"; then
			best=$ver bestname=$name
		fi
	done
	[ -n "$best" ] || return 1
	echo "$best $bestname"
}

find_deb() {
	local f
	for f in "$1/$2"_*.deb; do
		[ -s "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}

download() {
	local out=$1 name=$2 ver=$3
	find_deb "$out" "$name" >/dev/null && return 0
	log "downloading $name:$ARCH=$ver"
	(cd "$out" && apt-get "${OPTS[@]}" download "$name:$ARCH=$ver" >&2) ||
		die "apt-get download $name:$ARCH=$ver failed"
	find_deb "$out" "$name" >/dev/null || die "$name: no .deb in $out after download"
}

unpack() {
	local out=$1 deb
	[ -e "$out/pkg/.done" ] && return 0
	rm -rf "$out/pkg.tmp"
	mkdir -p "$out/pkg.tmp"
	for deb in "$out"/*.deb; do
		log "unpacking $(basename "$deb")"
		dpkg-deb -x "$deb" "$out/pkg.tmp" || die "dpkg-deb -x $deb failed"
	done
	touch "$out/pkg.tmp/.done"
	rm -rf "$out/pkg"
	mv "$out/pkg.tmp" "$out/pkg"
}

# apt-get update of the private lists. sid's Release file is valid for a
# week (Valid-Until): a mirror that lags behind, or a snapshot of the
# archive, serves one that apt calls expired and refuses. Then the update
# is made again without that date check, and said so; the file's signature
# is checked as ever.
update_sid() {
	local err=$SID/.update.err rc=0

	apt-get "${OPTS[@]}" update -q --error-on=any 2>"$err" >&2 || rc=$?
	cat "$err" >&2
	if [ $rc != 0 ] && grep -q 'is expired' "$err"; then
		log "sid's Release file at $(sed 's/.*\] //; s/ sid main$//' \
			"$APT/sources.list") has expired (a mirror behind the" \
			"archive, or a snapshot): updating again without the" \
			"date check (Acquire::Check-Valid-Until=false); the" \
			"signature is still checked"
		OPTS+=(-o "Acquire::Check-Valid-Until=false")
		rc=0
		apt-get "${OPTS[@]}" update -q --error-on=any >&2 || rc=$?
	fi
	rm -f "$err"
	return $rc
}

main() {
	local ver name rel out bdeb mdeb moddir release n old
	# one fetch at a time in this cache (ctest runs the flavours' fetches
	# in parallel, and they share the lists)
	exec 9>"$SID/.lock"
	flock 9 || die "cannot lock $SID/.lock"
	setup_apt
	if update_sid; then
		read -r ver name < <(newest_binary) ||
			die "no linux-binary-*-$FLAVOUR for $ARCH in sid"
	else
		log "apt-get update of sid failed: looking in the cache"
		read -r ver name < <(newest_cached) ||
			die "apt-get update of sid failed and no linux-binary-*-${FLAVOUR}_*_$ARCH.deb in $SID"
		log "using $name $ver from the cache"
	fi
	rel=${name#linux-binary-}
	out=$SID/$rel
	mkdir -p "$out"
	download "$out" "linux-binary-$rel" "$ver"
	download "$out" "linux-modules-$rel" "$ver"
	bdeb=$(find_deb "$out" "linux-binary-$rel")
	mdeb=$(find_deb "$out" "linux-modules-$rel")
	unpack "$out"
	moddir=$(find "$out/pkg/usr/lib/modules" "$out/pkg/lib/modules" -mindepth 1 \
		-maxdepth 1 -type d 2>/dev/null | sort | head -n 1 || true)
	[ -n "$moddir" ] || die "$mdeb: no usr/lib/modules/RELEASE"
	release=$(basename "$moddir")
	[ -s "$moddir/vmlinuz" ] || die "$bdeb: no usr/lib/modules/$release/vmlinuz"
	# Regular files only (mode starts with '-'), path ending in .ko[.EXT].
	n=$(dpkg-deb -c "$mdeb" | awk '$1 ~ /^-/ && $NF ~ /\.ko(\.(xz|zst|gz))?$/' | wc -l)
	cat >"$out/pkg.env" <<-ENV
		BINARY_DEB=$bdeb
		MODULES_DEB=$mdeb
		VERSION=$ver
		RELEASE=$release
		PKGDIR=$out/pkg
		MODDIR=$moddir
		VMLINUZ=$moddir/vmlinuz
		NMODULES=$n
		ARCH=$ARCH
		FLAVOUR=$FLAVOUR
	ENV
	# older releases of this flavour: sid moved on, the space goes
	for old in "$SID"/*-"$FLAVOUR"; do
		[ -d "$old" ] && [ "$old" != "$out" ] || continue
		[[ ${old##*/} =~ ^[0-9][0-9a-z.+~]*(-[0-9]+)?-$FLAVOUR$ ]] || continue
		log "removing $old (older than $rel)"
		rm -rf "$old"
	done
	cat "$out/pkg.env"
}

main
