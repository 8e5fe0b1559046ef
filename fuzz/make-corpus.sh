#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Regenerates the seed corpora in fuzz/corpus/<target>/ from the test
# fixtures: tests/fixtures/gen.sh (gcc -g + pahole -J: base, modules, their
# .ko.xz/.zst/.gz), tests/unit/gen_kimage.sh (vmlinux ELF, bzImage-like
# files, payloads in every compression), tests/unit/gen_pkgs.sh (.rpm, when
# rpmbuild exists), plus tiny tar / cpio / .deb / Image files made here.
# Every file stays under 64 KiB and the whole corpus under 2 MiB (checked at
# the end). The corpus is committed; rerun this after a fixture change.
#
# Files named crash-* / leak-* / timeout-* / regress-* are regression
# cases from fuzzing: this script keeps them.
set -euo pipefail

fuzz=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$fuzz")
out=$fuzz/corpus
# one fixed work directory: gcc -g writes its path into the fixtures
# (DW_AT_comp_dir), and a fresh mktemp name would change every seed made
# from them at each run
tmp=/tmp/btfar-make-corpus
rm -rf "$tmp"
mkdir "$tmp"
trap 'rm -rf "$tmp"' EXIT

sh "$root/tests/fixtures/gen.sh" "$tmp/fix" >/dev/null
sh "$root/tests/unit/gen_kimage.sh" "$tmp/kim" >/dev/null
sh "$root/tests/unit/gen_pkgs.sh" "$tmp/rpm" >/dev/null 2>&1 || true
for d in fix kim; do
	if [ -f "$tmp/$d/SKIP" ]; then
		echo "make-corpus: $(cat "$tmp/$d/SKIP")" >&2
		exit 1
	fi
done
F=$tmp/fix K=$tmp/kim

# fresh seeds, regression cases kept
for t in btf_raw btf_split elf_btf decomp pkg kimage btfa btf_delta btf_streams knotes bpf_obj meta; do
	mkdir -p "$out/$t"
	find "$out/$t" -maxdepth 1 -type f ! -name 'crash-*' ! -name 'leak-*' \
		! -name 'timeout-*' ! -name 'regress-*' -delete
done

# btf_raw: standalone raw BTF
cp "$F/base.btf" "$out/btf_raw/base.btf"
objcopy --dump-section .BTF="$out/btf_raw/base2.btf" "$F/base2.o"
cp "$K/vmlinux.btf" "$out/btf_raw/vmlinux.btf"
cp "$K/small.btf" "$out/btf_raw/small.btf"
head -c 24 "$F/base.btf" >"$out/btf_raw/header-only.btf"

# btf_split: split BTF on base.btf (also the target's fixed base)
cp "$F/base.btf" "$out/btf_split/base.btf"
for m in a b c; do cp "$F/mod_$m.btf" "$out/btf_split/mod_$m.btf"; done
objcopy --dump-section .BTF="$out/btf_split/mod_c_base2.btf" "$F/mod_c_base2.ko"

# elf_btf: ELF objects, with and without .BTF
cp "$F/base.o" "$out/elf_btf/base.o"
cp "$F/mod_a.ko" "$out/elf_btf/mod_a.ko"
cp "$F/mod_a_nobtf.ko" "$out/elf_btf/mod_a_nobtf.ko"
cp "$K/vmlinux" "$out/elf_btf/vmlinux"
cp "$K/small.o" "$out/elf_btf/small.o"

# decomp: byte 0 = kind (0 detect, 1 xz, 2 zstd, 3 gzip, 4 lzma, 5 bzip2,
# 6 lz4 legacy, 7 lzo) | 8 for decomp_first; then the stream
seed() { # FILE KINDBYTE SRC...
	local f=$1 k=$2
	shift 2
	{ printf "\\$(printf %03o "$k")"; cat "$@"; } >"$f"
}
D=$out/decomp
seed "$D/xz" 1 "$F/mod_a.ko.xz"
seed "$D/zstd" 2 "$F/mod_a.ko.zst"
seed "$D/gzip" 3 "$F/mod_a.ko.gz"
seed "$D/lzma" 4 "$K/payload.lzma"
seed "$D/bzip2" 5 "$K/payload.bzip2"
seed "$D/lz4" 6 "$K/payload.lz4"
seed "$D/lzo" 7 "$K/payload.lzo"
seed "$D/detect-zstd" 0 "$F/mod_b.ko.zst"
seed "$D/concat-xz" 1 "$F/mod_b.ko.xz" "$F/mod_c.ko.xz"
seed "$D/concat-gzip" 3 "$F/mod_b.ko.gz" "$F/mod_c.ko.gz"
printf 'ABCD\0\0\0\0\0\0\0\0\0' >"$tmp/trail" # kernel size + padding
for k in xz:1 zstd:2 gzip:3 lzma:4 bzip2:5 lz4:6 lzo:7; do
	seed "$D/first-${k%:*}" $((${k#*:} | 8)) "$K/payload.${k%:*}" "$tmp/trail"
done
seed "$D/xz-half" 1 "$K/payload.xz.half"

# kimage: bzImage-like files, vmlinux ELF, raw BTF, a raw arm64-like Image
cp "$K"/bzImage.* "$out/kimage/"
cp "$K/vmlinux" "$out/kimage/vmlinux"
cp "$K/vmlinux.btf" "$out/kimage/vmlinux.btf"
{
	# arm64 Image header: 64 bytes, "ARM\x64" at 0x38; then code, BTF,
	# the banner
	head -c 56 /dev/zero
	printf 'ARM\144'
	head -c 4 /dev/zero
	head -c 200 /dev/zero | tr '\0' '\125'
	cat "$K/vmlinux.btf"
	printf 'Linux version 9.8.7-image (gcc) #1 SMP\n'
	cat "$K/small.btf"
} >"$out/kimage/Image"
gzip -n -9 -c "$out/kimage/Image" >"$out/kimage/Image.gz"

# pkg: tar, tar.xz, cpio, .deb, .rpm holding a module and a vmlinuz
P=$tmp/pkgsrc
mkdir -p "$P/lib/modules/6.1.0/kernel/fs" "$P/boot"
cp "$F/mod_a.ko.xz" "$P/lib/modules/6.1.0/kernel/mod_a.ko.xz"
cp "$F/mod_b.ko.zst" "$P/lib/modules/6.1.0/kernel/fs/mod_b.ko.zst"
cp "$K/bzImage.xz" "$P/boot/vmlinuz-6.1.0"
ln -s ../../../boot/vmlinuz-6.1.0 "$P/lib/modules/6.1.0/vmlinuz"
tarit() { # OUT DIR [tar args]
	local o=$1 dir=$2
	shift 2
	tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
		--format=gnu -C "$dir" "$@" -cf "$o" .
}
tarit "$out/pkg/pkg.tar" "$P"
xz --check=crc32 -c "$out/pkg/pkg.tar" >"$out/pkg/pkg.tar.xz"
find "$P" -exec touch -h -d @0 {} +
(cd "$P" && find . | LC_ALL=C sort | cpio -o -H newc --reproducible \
	--quiet) >"$out/pkg/pkg.cpio"
mkdir -p "$tmp/deb/control"
printf 'Package: linux-image-fixture\nVersion: 1\n' >"$tmp/deb/control/control"
printf '2.0\n' >"$tmp/deb/debian-binary"
tarit "$tmp/deb/control.tar.xz" "$tmp/deb/control" -J
tarit "$tmp/deb/data.tar.xz" "$P" -J
rm -f "$out/pkg/pkg.deb"
(cd "$tmp/deb" && ar rcD "$out/pkg/pkg.deb" debian-binary control.tar.xz \
	data.tar.xz)
[ -f "$tmp/rpm/xz.rpm" ] && cp "$tmp/rpm/xz.rpm" "$out/pkg/xz.rpm"

# knotes: /sys/kernel/notes images as an x86_64 kernel shows them (GNU
# build-id, Linux notes with a padded 6-byte name, Xen notes), the same
# without the build-id, and cut inside the build-id
knotes_gnu() {
	printf '\004\0\0\0\024\0\0\0\003\0\0\0GNU\0'
	printf '\175\324\377\007\211\340\136\024\050\123\040\022\221\111\332\045\125\312\013\374'
}
knotes_rest() {
	printf '\006\0\0\0\004\0\0\0\001\001\0\0Linux\0\0\0\001\001\0\0'
	printf '\006\0\0\0\014\0\0\0\0\001\0\0Linux\0\0\0006.18.0-test\0'
	printf '\004\0\0\0\010\0\0\0\023\0\0\0Xen\0\0\0\0\001\0\0\0\001'
	printf '\004\0\0\0\010\0\0\0\022\0\0\0Xen\0\0\217\170\003\0\0\0\0'
}
{ knotes_gnu; knotes_rest; } >"$out/knotes/x86_64"
knotes_rest >"$out/knotes/no-build-id"
knotes_gnu | head -c 30 >"$out/knotes/cut"

# size limits
# btf_delta: the reference is the fixture vmlinux BTF; blobs (mode byte 0)
# are other builds of it and its modules joined; payloads (mode byte 1) are
# what the encoder makes of them, written by the target itself: payload-N
# in version 1 (BTFDLT1), payload2-N in version 2 (BTFDLT2), payload3-N in
# version 3 (BTFDLT3)
B=$out/btf_delta
cp "$F/base.btf" "$B/ref.btf"
seed "$B/blob-base2" 0 "$out/btf_raw/base2.btf"
seed "$B/blob-same" 0 "$F/base.btf"
seed "$B/blob-vmlinux" 0 "$K/vmlinux.btf"
cc -O1 -I"$root" -D_GNU_SOURCE -DBTFAR_FUZZ_REF_PATH="\"$B/ref.btf\"" \
	-o "$tmp/delta" "$fuzz/fuzz_btf_delta.c" "$fuzz/replay.c" \
	"$root"/formats/{btf_delta,btf_raw,strset,diag,mem}.c
mkdir -p "$tmp/payloads"
FUZZ_DELTA_DUMP=$tmp/payloads "$tmp/delta" "$B" >/dev/null
cp "$tmp/payloads"/payload* "$B/"

# btf_streams: blobs (mode byte 0) are the btf_raw seeds; payloads (mode
# byte 1) are what the encoder makes of them, written by the target itself,
# and one cut short
S=$out/btf_streams
for f in base base2 small vmlinux header-only; do
	seed "$S/blob-$f" 0 "$out/btf_raw/$f.btf"
done
cc -O1 -I"$root" -D_GNU_SOURCE -o "$tmp/streams" "$fuzz/fuzz_btf_streams.c" \
	"$fuzz/replay.c" "$root"/formats/{btf_streams,diag}.c
mkdir -p "$tmp/spayloads"
FUZZ_STREAMS_DUMP=$tmp/spayloads "$tmp/streams" "$S" >/dev/null
cp "$tmp/spayloads"/payload-* "$S/"
head -c 100 "$S/payload-0" >"$S/payload-cut"

# btfa: archives packed by btfar from fixture builds (one with a delta entry,
# one whole, one appended to); $BTFAR (a built btfar) is required
: "${BTFAR:?set BTFAR to a built btfar binary, for the btfa seeds}"
A=$tmp/arch
for i in 1 2 3; do
	rel=$(echo 6.1.0-one 6.1.0-two 6.2.0-three | cut -d' ' -f$i)
	mkdir -p "$A/t$i/lib/modules/$rel/kernel" "$A/t$i/boot"
	cp "$F/base.o" "$A/t$i/boot/vmlinux-$rel"
	cp "$F/mod_a.ko.xz" "$F/mod_b.ko.zst" "$A/t$i/lib/modules/$rel/kernel/"
	[ $i = 2 ] && cp "$F/mod_c.ko.gz" "$A/t$i/lib/modules/$rel/kernel/"
	"$BTFAR" build -o "$A/o$i" "$A/t$i" >/dev/null 2>&1
done
"$BTFAR" pack -o "$A/delta.btfa" "$A/o1" "$A/o2" >/dev/null 2>&1
"$BTFAR" pack --no-delta -o "$A/whole.btfa" "$A/o3" >/dev/null 2>&1
cp "$A/delta.btfa" "$A/appended.btfa"
"$BTFAR" add "$A/appended.btfa" "$A/o3" >/dev/null 2>&1
# meta: the RELEASE.meta of a btfa seed's build, the same with the lines of
# a DWARF build and of --compat, cut, of a later version, a line twice, a
# control character
M=$out/meta
cp "$A/o2/6.1.0-two.meta" "$M/build"
{ cat "$M/build"; printf 'btf_from dwarf\nencoder pahole v1.24\ncompat 5.13\n'; } >"$M/dwarf-compat"
head -c 100 "$M/build" >"$M/cut"
sed '1s/ 1$/ 2/' "$M/build" >"$M/version-2"
{ cat "$M/build"; sed -n 2p "$M/build"; } >"$M/twice"
sed '3s/$/\x01/' "$M/build" >"$M/control"
# form 0 (byte 0 = 0): the archives; form 1: the same with the index
# stored decompressed, written by the target itself
for f in delta whole appended; do seed "$out/btfa/$f" 0 "$A/$f.btfa"; done
cc -O1 -I"$root" -D_GNU_SOURCE -o "$tmp/btfa" "$fuzz/fuzz_btfa.c" \
	"$fuzz/replay.c" "$root"/formats/{btfa_read,btfa_write,btfa_sig,btf_delta,btf_streams,btf_raw,btf_compat,strset,diag,mem,sha256,hex,file}.c \
	-lzstd -lsodium
mkdir -p "$tmp/raw"
# (the fresh seeds only: the regress-* archives have their index-raw seeds)
FUZZ_BTFA_DUMP=$tmp/raw "$tmp/btfa" "$out/btfa"/{delta,whole,appended} >/dev/null
cp "$tmp/raw"/index-raw-* "$out/btfa/"

# bpf_obj: BPF objects (clang -target bpf): with CO-RE relocations, without
# .BTF, without CO-RE relocations, one record's kind set to 13, cut short
o=$out/bpf_obj
clang -target bpf -O2 -g -c "$root/tests/fixtures/src/core_a.bpf.c" -o "$o/core_a.o"
echo 'int f(void) { return 1; }' >"$tmp/plain.c"
clang -target bpf -O2 -c "$tmp/plain.c" -o "$o/no-btf.o"
printf 'struct s { int a; };\nint g(struct s *p) { return p->a; }\n' >"$tmp/noco.c"
clang -target bpf -O2 -g -c "$tmp/noco.c" -o "$o/no-core.o"
llvm-objcopy --dump-section .BTF.ext="$tmp/ext.bin" "$o/core_a.o"
hdr=$(od -An -tu4 -j 4 -N 4 "$tmp/ext.bin" | tr -d ' ')
off=$(od -An -tu4 -j 24 -N 4 "$tmp/ext.bin" | tr -d ' ')
printf '\015\000\000\000' |
	dd of="$tmp/ext.bin" bs=1 seek=$((hdr + off + 4 + 8 + 12)) conv=notrunc status=none
llvm-objcopy --update-section .BTF.ext="$tmp/ext.bin" "$o/core_a.o" "$o/kind-13.o"
head -c 600 "$o/core_a.o" >"$o/cut.o"

big=$(find "$out" -type f -size +64k)
if [ -n "$big" ]; then
	echo "make-corpus: files over 64 KiB: $big" >&2
	exit 1
fi
total=$(du -cb "$out" | tail -1 | cut -f1)
if [ "$total" -gt $((2 << 20)) ]; then
	echo "make-corpus: corpus is $total bytes, over 2 MiB" >&2
	exit 1
fi
for t in "$out"/*/; do
	echo "$(basename "$t"): $(find "$t" -type f | wc -l) files," \
		"$(du -cb "$t" | tail -1 | cut -f1) bytes"
done
