#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Builds the inputs of the unit tests into DIR (wiped first): a tiny module
# (gcc -g, ld -r --build-id, pahole -J) with .modinfo, .BTF and a build id,
# variants of it, and xz / zstd / gzip streams of it and of a larger file.
# A missing tool is not a failure: DIR/SKIP then says which, and every test
# that needs the inputs reports SKIP with that reason.
set -eu

dir=${1:?usage: gen_inputs.sh DIR}
rm -rf "$dir"
mkdir -p "$dir"
cd "$dir"

for tool in gcc ld pahole objcopy readelf xz zstd gzip seq; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "$tool not found (needed to build the test inputs)" >SKIP
		cat SKIP
		exit 0
	fi
done

cat >mod.c <<'SRC'
#ifndef MODNAME
#define MODNAME "foo"
#endif
struct foo {
	int a;
	long b;
	char *c;
};
int use_foo(struct foo *f)
{
	return f->a + (int)f->b;
}
__attribute__((section(".modinfo"), used, aligned(1))) static const char
	modinfo[] = "license=GPL\0name=" MODNAME
		    "\0vermagic=6.1.0 SMP preempt mod_unload";
SRC

# what the kernel does for a module: ld -r --build-id, then pahole -J
gcc -g -O1 -c mod.c -o mod.o
ld -r --build-id=sha1 -o nobtf.ko mod.o
cp nobtf.ko mod.ko
pahole -J mod.ko
objcopy --dump-section .BTF=mod.btf mod.ko
readelf -n mod.ko | sed -n 's/^ *Build ID: *//p' >mod.buildid
test -s mod.buildid
objcopy --add-section .BTF.base=mod.btf mod.ko base.ko

# two builds of one "kernel" for formats/btf_delta: V2 adds a type before
# the others (every later id shifts), a member in the middle of a struct,
# an enumerator and a function
cat >delta.c <<'SRC'
#ifdef V2
struct added_first { int x; };
struct added_first *get_added(void) { static struct added_first a; return &a; }
#endif
enum state { S_IDLE, S_RUN,
#ifdef V2
	S_SLEEP,
#endif
	S_DONE };
struct list { struct list *next, *prev; };
struct dev {
	const char *name;
	struct list node;
#ifdef V2
	unsigned long flags;
#endif
	union { int irq; void *cookie; } u;
	enum state st;
	int (*probe)(struct dev *, const volatile char *);
	unsigned int bits : 3, more : 5;
	char tag[16];
};
typedef struct dev dev_t;
struct drv { const dev_t *devs[4]; struct { long a, b; } anon; };
int dev_probe(struct dev *d, const volatile char *s) { return d->u.irq + *s; }
long drv_sum(struct drv *r) { return r->anon.a + r->anon.b + r->devs[0]->st; }
SRC
# V3: V2 and 64 more structs, a build much larger than V1 (a reference
# whose encoded form is larger than a V1 blob)
cat >>delta.c <<'SRC'
#ifdef V3
#define S(n) struct more_##n { long a_##n; int b_##n[n + 1]; struct dev *d; }; \
	long use_more_##n(struct more_##n *m) { return m->a_##n + m->b_##n[0]; }
#define S8(n) S(n##0) S(n##1) S(n##2) S(n##3) S(n##4) S(n##5) S(n##6) S(n##7)
S8(1) S8(2) S8(3) S8(4) S8(5) S8(6) S8(7) S8(8)
#endif
SRC
for v in 1 2 3; do
	gcc -g -O1 -DV$v $([ $v = 3 ] && echo -DV2) -c delta.c -o delta$v.o
	pahole -J delta$v.o
	objcopy --dump-section .BTF=delta$v.btf delta$v.o
done

# a module name longer than .modinfo name= can hold (63 bytes)
gcc -g -O1 -DMODNAME='"a_module_name_of_sixty_nine_bytes_which_is_longer_than_sixty_three_by"' \
	-c mod.c -o longname.ko

# a larger, very compressible payload, to make the decoders grow buffers
seq 1 400000 >big.bin

for f in mod.ko big.bin; do
	xz --check=crc32 --lzma2=dict=1MiB -c "$f" >"$f.xz"
	zstd -q -c "$f" >"$f.zst"
	gzip -n -c "$f" >"$f.gz"
done
zstd -q --no-content-size -c big.bin >big.bin.nosize.zst

# several streams / frames / members one after the other
cat mod.ko big.bin >cat.bin
cat mod.ko.xz big.bin.xz >cat.xz
cat mod.ko.zst big.bin.zst >cat.zst
cat mod.ko.gz big.bin.gz >cat.gz
echo "inputs ready in $dir"
