#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Builds the inputs of test_kimage into DIR (wiped first): a fixture vmlinux
# ELF with .BTF (gcc -g, ld --build-id, pahole -J) and a "Linux version"
# banner, the same without .BTF, its raw .BTF, and bzImage-like files whose
# payload is the vmlinux compressed with gzip, xz, zstd, lzma, bzip2, lz4
# (legacy frame) and lzop, followed by the 4-byte size as the kernel appends
# it. A missing tool is not a failure: DIR/SKIP then says which.
set -eu

dir=${1:?usage: gen_kimage.sh DIR}
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"

for tool in gcc ld pahole objcopy gzip xz zstd bzip2 lz4 lzop seq dd od wc; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "$tool not found (needed to build the kimage test inputs)" >SKIP
		cat SKIP
		exit 0
	fi
done

cat >vmlinux.c <<'SRC'
struct task {
	int pid;
	long state;
	struct task *parent;
};
const char linux_banner[] =
	"Linux version 9.8.7-fixture (gcc) #1 SMP PREEMPT_DYNAMIC\n";
int task_pid(struct task *t)
{
	return t->pid + (int)t->state;
}
SRC
gcc -g -O1 -c vmlinux.c -o vmlinux.o
ld -r --build-id=sha1 -o vmlinux.nobtf vmlinux.o
cp vmlinux.nobtf vmlinux
pahole -J vmlinux
objcopy --dump-section .BTF=vmlinux.btf vmlinux

# a second, smaller BTF, for an Image holding two valid blobs
cat >small.c <<'SRC'
struct small {
	int a;
};
int small_a(struct small *s)
{
	return s->a;
}
SRC
gcc -g -O1 -c small.c -o small.o
pahole -J small.o
objcopy --dump-section .BTF=small.btf small.o

# little-endian u32 / u16 as raw bytes
le() { # VALUE BYTES
	v=$1 n=$2 i=0
	while [ $i -lt "$n" ]; do
		printf "\\$(printf %03o $((v & 255)))"
		v=$((v >> 8))
		i=$((i + 1))
	done
}
poke() { # FILE OFFSET (bytes on stdin)
	dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
size_of() { wc -c <"$1" | tr -d ' '; }

vmsize=$(size_of vmlinux)
gzip -n -9 -c vmlinux >payload.gzip
xz --check=crc32 -c vmlinux >payload.xz
zstd -q -19 -c vmlinux >payload.zstd
xz --format=lzma -c vmlinux >payload.lzma
bzip2 -9 -c vmlinux >payload.bzip2
lz4 -q -l -9 -c vmlinux >payload.lz4
touch -d @0 vmlinux # lzop stores the time: the same at every run
lzop -9 -c vmlinux >payload.lzo

# bzImage OUT PAYLOAD VERSION: 3 setup sectors, the payload 0x100 bytes into
# the protected-mode code, its size appended, 13 bytes of padding.
bzimage() {
	out=$1 payload=$2 version=$3
	cat "$payload" >p.tmp
	le "$vmsize" 4 >>p.tmp
	plen=$(size_of p.tmp)
	head -c $((4 * 512 + 0x100)) /dev/zero >"$out"
	printf '\003' | poke "$out" $((0x1f1))
	printf 'HdrS' | poke "$out" $((0x202))
	le "$version" 2 | poke "$out" $((0x206))
	le $((0x100)) 4 | poke "$out" $((0x248))
	le "$plen" 4 | poke "$out" $((0x24c))
	cat p.tmp >>"$out"
	head -c 13 /dev/zero >>"$out"
	rm -f p.tmp
}
for c in gzip xz zstd lzma bzip2 lz4 lzo; do
	bzimage "bzImage.$c" "payload.$c" $((0x20f))
done
# boot protocol 2.06: no payload fields, found by searching for magics
bzimage bzImage.search payload.xz $((0x206))
# the payload stream cut in half, the header agreeing with the cut
half=$(($(size_of payload.xz) / 2))
head -c "$half" payload.xz >payload.xz.half
bzimage bzImage.truncstream payload.xz.half $((0x20f))
# the file cut in the middle of the payload
size=$(size_of bzImage.zstd)
head -c $((size - $(size_of payload.zstd) / 2)) bzImage.zstd >bzImage.truncfile

# over 8 MiB, for the lz4 legacy blocks and the decoders' buffers
seq 1 2500000 >big.bin
lz4 -q -l -c big.bin >big.bin.lz4
touch -d @0 big.bin
lzop -c big.bin >big.bin.lzo
bzip2 -c big.bin >big.bin.bzip2
xz --format=lzma -c big.bin >big.bin.lzma
echo "kimage inputs ready in $dir"
