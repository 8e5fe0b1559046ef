// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * elf_btf: the BTF-related sections of an ELF image in memory.
 *
 * Passes:
 *   1. the ELF header, read raw: class, byte order, and the section header
 *      table inside the file (libelf would only say "invalid ELF file");
 *   2. libelf walks the section table: each name must be a string of the
 *      section name table, each section with file contents must lie inside
 *      the file, .BTF / .BTF.base / .modinfo / .note.gnu.build-id are
 *      remembered (at most one of each, .BTF* PROGBITS);
 *   3. the file ranges (ELF header, section header table, sections) sorted
 *      by offset must not overlap;
 *   4. .modinfo and the build-id note are parsed with bounds checks.
 * Section contents are taken from the raw bytes at sh_offset, never through
 * elf_getdata(), so .BTF points into the caller's image unconverted.
 *
 * Writing (elf_btf__replace_btf, at the end): libelf copies the image
 * section by section into a new Elf (ELF_C_WRITE on a memfd, ELF_F_LAYOUT
 * not set, so libelf places sections and the section header table), .BTF
 * with its new contents, .BTF.base left out and section indices after it
 * renumbered; the result is read back with elf_btf__read() and compared
 * section by section with the input.
 *
 * Thread safety: elf_version() runs once (pthread_once); everything else
 * lives in the Elf handle of one call, and libelf keeps its error state per
 * thread.
 */
#include "elf_btf.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static pthread_once_t elf_once = PTHREAD_ONCE_INIT;
static bool elf_version_ok;

static void elf_init_once(void)
{
	elf_version_ok = elf_version(EV_CURRENT) != EV_NONE;
}

bool elf_btf__is_elf(const void *data, size_t size)
{
	return data && size >= SELFMAG && !memcmp(data, ELFMAG, SELFMAG);
}

/* The image and how to read it (pass 1 and the note parser). */
struct image {
	const uint8_t *p;
	size_t size;
	bool msb;  /* ELFDATA2MSB */
	bool is64; /* ELFCLASS64 */
};

/* Reads an n-byte unsigned integer at off (already bounds-checked). */
static uint64_t img_rd(const struct image *im, size_t off, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		size_t k = im->msb ? i : n - 1 - i;

		v = v << 8 | im->p[off + k];
	}
	return v;
}

/* Whether [off, off + size) lies inside the image, without overflow. */
static bool img_has(const struct image *im, uint64_t off, uint64_t size)
{
	return off <= im->size && size <= im->size - off;
}

/* A range of the file with contents, for the overlap check. */
struct span {
	uint64_t off, size;
	size_t idx; /* section index, or SIZE_MAX for the two below */
	const char
		*name; /* section name, "ELF header", "section header table" */
};

static void span_str(const struct span *s, char *buf, size_t sz)
{
	if (s->idx == SIZE_MAX)
		snprintf(buf, sz, "%s", s->name);
	else
		snprintf(buf, sz, "section [%zu] %s", s->idx, s->name);
}

static int span_cmp(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	if (x->off != y->off)
		return x->off < y->off ? -1 : 1;
	if (x->idx != y->idx)
		return x->idx < y->idx ? -1 : 1;
	return 0;
}

/*
 * Pass 1: the ELF header and the bounds of the section header table.
 * Sets *shoff and *shnum (0 when there is no section table).
 */
static int check_header(struct image *im, struct elf_btf *out, uint64_t *shoff,
			uint64_t *shnum, size_t *ehsize, struct diag *d)
{
	uint64_t entsize, want, cnt;

	if (!elf_btf__is_elf(im->p, im->size)) {
		diag_set(d, "not an ELF image (no ELF magic)");
		return -EINVAL;
	}
	if (im->size < EI_NIDENT) {
		diag_set(d,
			 "ELF header: file of %zu bytes is shorter than "
			 "e_ident",
			 im->size);
		return -EINVAL;
	}
	switch (im->p[EI_CLASS]) {
	case ELFCLASS32:
	case ELFCLASS64:
		break;
	default:
		diag_set(d, "ELF header: unknown class %u (offset %d)",
			 im->p[EI_CLASS], EI_CLASS);
		return -EINVAL;
	}
	switch (im->p[EI_DATA]) {
	case ELFDATA2LSB:
	case ELFDATA2MSB:
		break;
	default:
		diag_set(d, "ELF header: unknown byte order %u (offset %d)",
			 im->p[EI_DATA], EI_DATA);
		return -EINVAL;
	}
	im->is64 = im->p[EI_CLASS] == ELFCLASS64;
	im->msb = im->p[EI_DATA] == ELFDATA2MSB;
	out->elf_class = im->p[EI_CLASS];
	out->elf_data = im->p[EI_DATA];
	*ehsize = im->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	if (im->size < *ehsize) {
		diag_set(d,
			 "ELF header: file of %zu bytes is shorter than the "
			 "%zu-byte ELF header",
			 im->size, *ehsize);
		return -EINVAL;
	}
	if (im->is64) {
		out->machine = (uint16_t)img_rd(
			im, offsetof(Elf64_Ehdr, e_machine), 2);
		*shoff = img_rd(im, offsetof(Elf64_Ehdr, e_shoff), 8);
		entsize = img_rd(im, offsetof(Elf64_Ehdr, e_shentsize), 2);
		cnt = img_rd(im, offsetof(Elf64_Ehdr, e_shnum), 2);
		want = sizeof(Elf64_Shdr);
	} else {
		out->machine = (uint16_t)img_rd(
			im, offsetof(Elf32_Ehdr, e_machine), 2);
		*shoff = img_rd(im, offsetof(Elf32_Ehdr, e_shoff), 4);
		entsize = img_rd(im, offsetof(Elf32_Ehdr, e_shentsize), 2);
		cnt = img_rd(im, offsetof(Elf32_Ehdr, e_shnum), 2);
		want = sizeof(Elf32_Shdr);
	}
	if (!*shoff) {
		if (cnt) {
			diag_set(d,
				 "ELF header: e_shnum is %llu but e_shoff is 0",
				 (unsigned long long)cnt);
			return -EINVAL;
		}
		*shnum = 0;
		return 0;
	}
	if (entsize != want) {
		diag_set(d, "ELF header: e_shentsize is %llu, expected %llu",
			 (unsigned long long)entsize, (unsigned long long)want);
		return -EINVAL;
	}
	if (!img_has(im, *shoff, want)) {
		diag_set(d,
			 "section header table: offset %llu past end of file "
			 "(%zu bytes)",
			 (unsigned long long)*shoff, im->size);
		return -EINVAL;
	}
	if (!cnt) {
		/* extended numbering: the count is section 0's sh_size */
		cnt = im->is64 ? img_rd(im,
					*shoff + offsetof(Elf64_Shdr, sh_size),
					8)
			       : img_rd(im,
					*shoff + offsetof(Elf32_Shdr, sh_size),
					4);
	}
	if (cnt > (im->size - *shoff) / want) {
		diag_set(d,
			 "section header table: offset %llu + %llu entries of "
			 "%llu bytes past end of file (%zu bytes)",
			 (unsigned long long)*shoff, (unsigned long long)cnt,
			 (unsigned long long)want, im->size);
		return -EINVAL;
	}
	*shnum = cnt;
	return 0;
}

/* Copies the value of a "key=value" string into a field, NUL-terminated. */
static int modinfo_copy(char *dst, size_t dst_sz, const char *s, size_t len,
			size_t klen, size_t idx, size_t at, struct diag *d)
{
	size_t vlen = len - klen;

	if (vlen >= dst_sz) {
		diag_set(d,
			 "section [%zu] .modinfo: %.*s value of %zu bytes at "
			 "offset %zu, longest allowed %zu",
			 idx, (int)klen, s, vlen, at, dst_sz - 1);
		return -EINVAL;
	}
	memcpy(dst, s + klen, vlen);
	dst[vlen] = '\0';
	return 0;
}

/* .modinfo: NUL-terminated "key=value" strings, maybe NUL padding. */
static int parse_modinfo(const struct image *im, const GElf_Shdr *sh,
			 size_t idx, struct elf_btf *out, struct diag *d)
{
	const char *s = (const char *)im->p + sh->sh_offset;
	size_t n = (size_t)sh->sh_size, pos = 0;
	bool have_name = false, have_vermagic = false;
	int err;

	if (!n)
		return 0;

	while (pos < n) {
		const char *e;
		size_t len;

		if (!s[pos]) {
			pos++;
			continue;
		}
		e = memchr(s + pos, '\0', n - pos);
		if (!e) {
			diag_set(d,
				 "section [%zu] .modinfo: string at offset %zu "
				 "runs past the end of the section (%zu bytes)",
				 idx, pos, n);
			return -EINVAL;
		}
		len = (size_t)(e - (s + pos));
		/* the kernel's get_modinfo() takes the first of each key */
		if (!have_name && len >= 5 && !memcmp(s + pos, "name=", 5)) {
			err = modinfo_copy(out->name, sizeof(out->name),
					   s + pos, len, 5, idx, pos, d);
			if (err)
				return err;
			have_name = true;
		} else if (!have_vermagic && len >= 9 &&
			   !memcmp(s + pos, "vermagic=", 9)) {
			err = modinfo_copy(out->vermagic, sizeof(out->vermagic),
					   s + pos, len, 9, idx, pos, d);
			if (err)
				return err;
			have_vermagic = true;
		}
		pos += len + 1;
	}
	return 0;
}

/* .note.gnu.build-id: notes; the one of type NT_GNU_BUILD_ID named "GNU". */
static int parse_build_id(const struct image *im, const GElf_Shdr *sh,
			  size_t idx, struct elf_btf *out, struct diag *d)
{
	uint64_t n = sh->sh_size, pos = 0;
	/* 8-aligned note sections pad name and descriptor to 8 (gelf_getnote)
	 */
	uint64_t align = sh->sh_addralign == 8 ? 8 : 4;

	if (sh->sh_type != SHT_NOTE) {
		diag_set(d,
			 "section [%zu] .note.gnu.build-id: type %u, expected "
			 "NOTE (%u)",
			 idx, (unsigned)sh->sh_type, (unsigned)SHT_NOTE);
		return -EINVAL;
	}
	while (pos < n) {
		uint64_t base = sh->sh_offset + pos, namesz, descsz, type;
		uint64_t desc_off, next;

		if (n - pos < 12) {
			diag_set(d,
				 "section [%zu] .note.gnu.build-id: note "
				 "header at offset %llu cut short (%llu bytes "
				 "left)",
				 idx, (unsigned long long)pos,
				 (unsigned long long)(n - pos));
			return -EINVAL;
		}
		namesz = img_rd(im, base, 4);
		descsz = img_rd(im, base + 4, 4);
		type = img_rd(im, base + 8, 4);
		/* sizes are 32-bit: no 64-bit overflow below */
		desc_off = (pos + 12 + namesz + align - 1) & ~(align - 1);
		next = (desc_off + descsz + align - 1) & ~(align - 1);
		if (desc_off + descsz > n) {
			diag_set(d,
				 "section [%zu] .note.gnu.build-id: note at "
				 "offset %llu with name of %llu and descriptor "
				 "of %llu bytes runs past the end of the "
				 "section (%llu bytes)",
				 idx, (unsigned long long)pos,
				 (unsigned long long)namesz,
				 (unsigned long long)descsz,
				 (unsigned long long)n);
			return -EINVAL;
		}
		if (type == NT_GNU_BUILD_ID && namesz == 4 &&
		    !memcmp(im->p + base + 12, "GNU", 4) && !out->build_id_sz) {
			if (!descsz || descsz > sizeof(out->build_id)) {
				diag_set(d,
					 "section [%zu] .note.gnu.build-id: "
					 "build id of %llu bytes at offset "
					 "%llu, expected 1 to %zu",
					 idx, (unsigned long long)descsz,
					 (unsigned long long)pos,
					 sizeof(out->build_id));
				return -EINVAL;
			}
			memcpy(out->build_id, im->p + sh->sh_offset + desc_off,
			       descsz);
			out->build_id_sz = (size_t)descsz;
		}
		pos = next;
	}
	return 0;
}

/* Remembers the index of a section that may appear at most once. */
static int note_once(size_t *slot, size_t idx, const char *name, struct diag *d)
{
	if (*slot) {
		diag_set(d,
			 "section [%zu] %s: second %s section (first is [%zu])",
			 idx, name, name, *slot);
		return -EINVAL;
	}
	*slot = idx;
	return 0;
}

int elf_btf__read(const void *image, size_t size, struct elf_btf *out,
		  struct diag *d)
{
	struct image im = {image, image ? size : 0, false, false};
	size_t btf_idx = 0, base_idx = 0, modinfo_idx = 0, note_idx = 0,
	       ext_idx = 0;
	size_t shstrndx = 0, ehsize, nspan = 0, i;
	uint64_t shoff, shnum;
	struct span *spans = NULL;
	GElf_Shdr sh, modinfo_sh = {0}, note_sh = {0};
	Elf *elf = NULL;
	char a[96], b[96];
	int err;

	memset(out, 0, sizeof(*out));
	pthread_once(&elf_once, elf_init_once);
	if (!elf_version_ok) {
		diag_set(d, "libelf: %s", elf_errmsg(-1));
		return -EINVAL;
	}
	err = check_header(&im, out, &shoff, &shnum, &ehsize, d);
	if (err)
		return err;
	/*
	 * elf_memory() wants a char *, but with ELF_C_READ_MMAP_PRIVATE
	 * semantics it only reads the image (in place when it has the native
	 * byte order, from a converted copy of the headers otherwise); we never
	 * call elf_update() nor elf_getdata() on sections that need conversion.
	 */
	elf = elf_memory((char *)image, size);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		diag_set(d, "libelf cannot read it: %s", elf_errmsg(-1));
		err = -EINVAL;
		goto out;
	}
	{
		size_t n = 0;

		if (elf_getshdrnum(elf, &n) || n != shnum) {
			diag_set(d,
				 "section header table: libelf counts %zu "
				 "sections, the ELF header %llu",
				 n, (unsigned long long)shnum);
			err = -EINVAL;
			goto out;
		}
	}
	/* +2: the ELF header and the section header table */
	spans = calloc(shnum + 2, sizeof(*spans));
	if (!spans) {
		diag_set(d, "out of memory for %llu sections",
			 (unsigned long long)shnum);
		err = -ENOMEM;
		goto out;
	}
	spans[nspan++] = (struct span){0, ehsize, SIZE_MAX, "ELF header"};
	if (shnum)
		spans[nspan++] =
			(struct span){shoff,
				      shnum * (im.is64 ? sizeof(Elf64_Shdr)
						       : sizeof(Elf32_Shdr)),
				      SIZE_MAX, "section header table"};

	if (shnum > 1) {
		GElf_Shdr str_sh;

		if (elf_getshdrstrndx(elf, &shstrndx) || !shstrndx ||
		    shstrndx >= shnum) {
			diag_set(d,
				 "ELF header: section name table index out of "
				 "range (%llu sections)",
				 (unsigned long long)shnum);
			err = -EINVAL;
			goto out;
		}
		if (!gelf_getshdr(elf_getscn(elf, shstrndx), &str_sh)) {
			diag_set(d, "section [%zu]: libelf: %s", shstrndx,
				 elf_errmsg(-1));
			err = -EINVAL;
			goto out;
		}
		if (str_sh.sh_type != SHT_STRTAB ||
		    !img_has(&im, str_sh.sh_offset, str_sh.sh_size)) {
			diag_set(d,
				 "section [%zu] (section name table): type %u "
				 "at offset %llu + size %llu, expected a "
				 "STRTAB inside the file (%zu bytes)",
				 shstrndx, (unsigned)str_sh.sh_type,
				 (unsigned long long)str_sh.sh_offset,
				 (unsigned long long)str_sh.sh_size, size);
			err = -EINVAL;
			goto out;
		}
	}

	/* pass 2: names, bounds, the sections we want */
	for (i = 1; i < shnum; i++) {
		const char *name;

		if (!gelf_getshdr(elf_getscn(elf, i), &sh)) {
			diag_set(d, "section [%zu]: libelf: %s", i,
				 elf_errmsg(-1));
			err = -EINVAL;
			goto out;
		}
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name) {
			diag_set(d,
				 "section [%zu]: name offset %u is not a "
				 "string of the section name table",
				 i, (unsigned)sh.sh_name);
			err = -EINVAL;
			goto out;
		}
		if (sh.sh_type != SHT_NOBITS && sh.sh_size) {
			if (!img_has(&im, sh.sh_offset, sh.sh_size)) {
				diag_set(d,
					 "section [%zu] %s: offset %llu + size "
					 "%llu past end of file (%zu bytes)",
					 i, name,
					 (unsigned long long)sh.sh_offset,
					 (unsigned long long)sh.sh_size, size);
				err = -EINVAL;
				goto out;
			}
			spans[nspan++] = (struct span){sh.sh_offset, sh.sh_size,
						       i, name};
		}
		switch (sh.sh_type) {
		case SHT_SYMTAB:
		case SHT_DYNSYM:
		case SHT_REL:
		case SHT_RELA:
			if (sh.sh_size &&
			    (!sh.sh_entsize || sh.sh_size % sh.sh_entsize)) {
				diag_set(d,
					 "section [%zu] %s: sh_entsize %llu "
					 "does not divide size %llu",
					 i, name,
					 (unsigned long long)sh.sh_entsize,
					 (unsigned long long)sh.sh_size);
				err = -EINVAL;
				goto out;
			}
			break;
		}
		if (!strcmp(name, ".BTF.ext")) {
			/* CO-RE and line info of a BPF object */
			err = note_once(&ext_idx, i, name, d);
			if (err)
				goto out;
			if (sh.sh_type != SHT_PROGBITS) {
				diag_set(d,
					 "section [%zu] %s: type %u, expected "
					 "PROGBITS (%u)",
					 i, name, (unsigned)sh.sh_type,
					 (unsigned)SHT_PROGBITS);
				err = -EINVAL;
				goto out;
			}
			out->btf_ext = im.p + (sh.sh_size ? sh.sh_offset : 0);
			out->btf_ext_sz = (size_t)sh.sh_size;
		} else if (!strcmp(name, ".BTF") ||
			   !strcmp(name, ".BTF.base")) {
			bool base = name[4] != '\0';

			err = note_once(base ? &base_idx : &btf_idx, i, name,
					d);
			if (err)
				goto out;
			if (sh.sh_type != SHT_PROGBITS) {
				diag_set(d,
					 "section [%zu] %s: type %u, expected "
					 "PROGBITS (%u)",
					 i, name, (unsigned)sh.sh_type,
					 (unsigned)SHT_PROGBITS);
				err = -EINVAL;
				goto out;
			}
			/* raw file bytes; a size 0 section points anywhere */
			if (base) {
				out->btf_base =
					im.p + (sh.sh_size ? sh.sh_offset : 0);
				out->btf_base_sz = (size_t)sh.sh_size;
			} else {
				out->btf =
					im.p + (sh.sh_size ? sh.sh_offset : 0);
				out->btf_sz = (size_t)sh.sh_size;
			}
		} else if (!strcmp(name, ".modinfo")) {
			err = note_once(&modinfo_idx, i, name, d);
			if (err)
				goto out;
			modinfo_sh = sh;
		} else if (!strcmp(name, ".note.gnu.build-id")) {
			err = note_once(&note_idx, i, name, d);
			if (err)
				goto out;
			note_sh = sh;
		}
	}

	/* pass 3: no two ranges of the file overlap */
	qsort(spans, nspan, sizeof(*spans), span_cmp);
	for (i = 1; i < nspan; i++) {
		const struct span *p = &spans[i - 1], *c = &spans[i];

		if (c->off - p->off < p->size) {
			span_str(c, a, sizeof(a));
			span_str(p, b, sizeof(b));
			diag_set(d,
				 "%s: offset %llu + size %llu overlaps %s "
				 "(offset %llu + size %llu)",
				 a, (unsigned long long)c->off,
				 (unsigned long long)c->size, b,
				 (unsigned long long)p->off,
				 (unsigned long long)p->size);
			err = -EINVAL;
			goto out;
		}
	}

	/* pass 4: contents; NOBITS or empty ones have none */
	if (modinfo_idx && modinfo_sh.sh_type != SHT_NOBITS) {
		err = parse_modinfo(&im, &modinfo_sh, modinfo_idx, out, d);
		if (err)
			goto out;
	}
	if (note_idx) {
		err = parse_build_id(&im, &note_sh, note_idx, out, d);
		if (err)
			goto out;
	}
	if (!btf_idx) {
		diag_set(d, "no .BTF section");
		err = -ENOENT;
		goto out;
	}
	err = 0;
out:
	free(spans);
	elf_end(elf);
	if (err && err != -ENOENT) {
		/* keep the identity fields, drop pointers into a bad image */
		out->btf = NULL;
		out->btf_sz = 0;
		out->btf_base = NULL;
		out->btf_base_sz = 0;
		out->btf_ext = NULL;
		out->btf_ext_sz = 0;
	}
	return err;
}

/* ---- elf_btf__replace_btf ---- */

/* A section index of the input as it is in the output, drop removed:
 * SIZE_MAX when it names drop itself. Special indices stay. */
static size_t remap_idx(size_t idx, size_t drop)
{
	if (!drop || idx < drop || (idx >= SHN_LORESERVE && idx <= 0xffff))
		return idx;
	return idx == drop ? SIZE_MAX : idx - 1;
}

/* A section's data copied to the output section, its index references
 * rewritten when drop removes a section (symbols, groups, SHNDX). */
static int copy_data(Elf_Scn *iscn, Elf_Scn *oscn, const GElf_Shdr *sh,
		     size_t idx, size_t drop, void **owned, struct diag *d)
{
	Elf_Data *id = NULL, *od;
	bool fix =
		drop &&
		(sh->sh_type == SHT_SYMTAB || sh->sh_type == SHT_DYNSYM ||
		 sh->sh_type == SHT_GROUP || sh->sh_type == SHT_SYMTAB_SHNDX);

	while ((id = elf_getdata(iscn, id))) {
		od = elf_newdata(oscn);
		if (!od) {
			diag_set(d, "section [%zu]: libelf: %s", idx,
				 elf_errmsg(-1));
			return -ENOMEM;
		}
		*od = *id;
		if (!fix || !id->d_buf || !id->d_size)
			continue;
		/* one data block per section as read: owned is its copy */
		*owned = malloc(id->d_size);
		if (!*owned) {
			diag_set(d, "out of memory");
			return -ENOMEM;
		}
		memcpy(*owned, id->d_buf, id->d_size);
		od->d_buf = *owned;
		if (sh->sh_type == SHT_SYMTAB || sh->sh_type == SHT_DYNSYM) {
			size_t n = sh->sh_entsize ? od->d_size / sh->sh_entsize
						  : 0,
			       k, r;
			GElf_Sym sym;

			for (k = 0; k < n; k++) {
				if (!gelf_getsym(od, (int)k, &sym))
					break;
				if (sym.st_shndx == SHN_UNDEF ||
				    sym.st_shndx >= SHN_LORESERVE)
					continue;
				r = remap_idx(sym.st_shndx, drop);
				if (r == SIZE_MAX) {
					diag_set(d,
						 "section [%zu]: symbol %zu is "
						 "defined in .BTF.base "
						 "(section [%zu])",
						 idx, k, drop);
					return -EINVAL;
				}
				sym.st_shndx = (uint16_t)r;
				gelf_update_sym(od, (int)k, &sym);
			}
		} else {
			/* Elf32_Word entries; a group's first is its flags */
			uint32_t *w = od->d_buf;
			size_t n = od->d_size / 4, k, r;

			for (k = sh->sh_type == SHT_GROUP ? 1 : 0; k < n; k++) {
				if (!w[k])
					continue;
				r = remap_idx(w[k], drop);
				if (r == SIZE_MAX) {
					diag_set(d,
						 "section [%zu]: entry %zu "
						 "names .BTF.base (section "
						 "[%zu])",
						 idx, k, drop);
					return -EINVAL;
				}
				w[k] = (uint32_t)r;
			}
		}
	}
	return 0;
}

int elf_btf__replace_btf(const void *image, size_t size, const void *btf,
			 size_t btf_sz, void **out, size_t *out_sz,
			 struct diag *d)
{
	struct elf_btf info, chk;
	Elf *ie = NULL, *oe = NULL;
	void *copy = NULL, **owned = NULL;
	uint8_t *buf = NULL;
	size_t shnum = 0, shstrndx = 0, btf_idx = 0, drop = 0, i, j;
	GElf_Ehdr eh;
	GElf_Shdr sh, osh;
	off_t n = 0;
	int fd = -1, err;

	*out = NULL;
	*out_sz = 0;
	err = elf_btf__read(image, size, &info, d);
	if (err)
		return err;
	copy = malloc(size ? size : 1);
	if (!copy) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	memcpy(copy, image, size);
	ie = elf_memory(copy, size);
	if (!ie || !gelf_getehdr(ie, &eh) || elf_getshdrnum(ie, &shnum) ||
	    elf_getshdrstrndx(ie, &shstrndx)) {
		diag_set(d, "libelf cannot read it: %s", elf_errmsg(-1));
		err = -EINVAL;
		goto out;
	}
	if (eh.e_type != ET_REL || eh.e_phnum) {
		diag_set(d,
			 "ELF type %u with %u program headers, expected a "
			 "relocatable module (ET_REL, none)",
			 (unsigned)eh.e_type, (unsigned)eh.e_phnum);
		err = -EINVAL;
		goto out;
	}
	for (i = 1; i < shnum; i++) {
		const char *name;

		if (!gelf_getshdr(elf_getscn(ie, i), &sh))
			continue;
		name = elf_strptr(ie, shstrndx, sh.sh_name);
		if (name && !strcmp(name, ".BTF"))
			btf_idx = i;
		else if (name && !strcmp(name, ".BTF.base"))
			drop = i;
	}
	if (shstrndx == drop) {
		diag_set(d, "section [%zu] .BTF.base is the section name table",
			 drop);
		err = -EINVAL;
		goto out;
	}
	owned = calloc(shnum, sizeof(*owned));
	fd = memfd_create("btfar-elf", MFD_CLOEXEC);
	if (!owned || fd < 0) {
		err = owned ? -errno : -ENOMEM;
		diag_set(d, "cannot make the output: %s", strerror(-err));
		goto out;
	}
	oe = elf_begin(fd, ELF_C_WRITE, NULL);
	if (!oe || !gelf_newehdr(oe, gelf_getclass(ie))) {
		diag_set(d, "libelf: %s", elf_errmsg(-1));
		err = -EINVAL;
		goto out;
	}
	for (i = 1; i < shnum; i++) {
		Elf_Scn *iscn = elf_getscn(ie, i), *oscn;
		bool info_idx;

		if (i == drop)
			continue;
		oscn = elf_newscn(oe);
		if (!iscn || !oscn || !gelf_getshdr(iscn, &sh)) {
			diag_set(d, "section [%zu]: libelf: %s", i,
				 elf_errmsg(-1));
			err = -EINVAL;
			goto out;
		}
		info_idx = sh.sh_type == SHT_REL || sh.sh_type == SHT_RELA ||
			   (sh.sh_flags & SHF_INFO_LINK);
		if (remap_idx(sh.sh_link, drop) == SIZE_MAX ||
		    (info_idx && remap_idx(sh.sh_info, drop) == SIZE_MAX)) {
			diag_set(d,
				 "section [%zu]: sh_link %u / sh_info %u names "
				 ".BTF.base (section [%zu])",
				 i, (unsigned)sh.sh_link, (unsigned)sh.sh_info,
				 drop);
			err = -EINVAL;
			goto out;
		}
		sh.sh_link = (uint32_t)remap_idx(sh.sh_link, drop);
		if (info_idx)
			sh.sh_info = (uint32_t)remap_idx(sh.sh_info, drop);
		if (i == btf_idx) {
			Elf_Data *od = elf_newdata(oscn);

			if (!od) {
				diag_set(d, "section [%zu] .BTF: libelf: %s", i,
					 elf_errmsg(-1));
				err = -ENOMEM;
				goto out;
			}
			od->d_buf = (void *)btf;
			od->d_size = btf_sz;
			od->d_type = ELF_T_BYTE;
			od->d_align = sh.sh_addralign ? sh.sh_addralign : 1;
			od->d_off = 0;
			od->d_version = EV_CURRENT;
			sh.sh_size = btf_sz;
		} else {
			err = copy_data(iscn, oscn, &sh, i, drop, &owned[i], d);
			if (err)
				goto out;
		}
		if (!gelf_update_shdr(oscn, &sh)) {
			diag_set(d, "section [%zu]: libelf: %s", i,
				 elf_errmsg(-1));
			err = -EINVAL;
			goto out;
		}
	}
	/* libelf sets e_shoff and e_shnum; the name table may have moved */
	j = remap_idx(shstrndx, drop);
	eh.e_shoff = 0;
	eh.e_shstrndx = j < SHN_LORESERVE ? (uint16_t)j : SHN_XINDEX;
	if (j >= SHN_LORESERVE) {
		Elf_Scn *s0 = elf_getscn(oe, 0);

		if (!s0 || !gelf_getshdr(s0, &osh)) {
			diag_set(d, "section [0]: libelf: %s", elf_errmsg(-1));
			err = -EINVAL;
			goto out;
		}
		osh.sh_link = (uint32_t)j;
		gelf_update_shdr(s0, &osh);
	}
	if (!gelf_update_ehdr(oe, &eh)) {
		diag_set(d, "ELF header: libelf: %s", elf_errmsg(-1));
		err = -EINVAL;
		goto out;
	}
	n = elf_update(oe, ELF_C_WRITE);
	if (n < 0) {
		diag_set(d, "libelf cannot write it: %s", elf_errmsg(-1));
		err = -EINVAL;
		goto out;
	}
	buf = malloc((size_t)n ? (size_t)n : 1);
	if (!buf) {
		diag_set(d, "out of memory");
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < (size_t)n;) {
		ssize_t r = pread(fd, buf + i, (size_t)n - i, (off_t)i);

		if (r <= 0) {
			err = r < 0 ? -errno : -EIO;
			diag_set(d, "reading the output back: %s",
				 strerror(-err));
			goto out;
		}
		i += (size_t)r;
	}
	/* what is handed out: .BTF is btf, the rest as it was */
	err = elf_btf__read(buf, (size_t)n, &chk, d);
	if (err) {
		diag_prefix(d, "internal: the rewritten ELF does not read: ");
		err = -EINVAL;
		goto out;
	}
	if (chk.btf_sz != btf_sz || memcmp(chk.btf, btf, btf_sz) ||
	    chk.btf_base) {
		diag_set(d, "internal: the rewritten ELF's .BTF differs");
		err = -EINVAL;
		goto out;
	}
	for (i = 1, j = 1; i < shnum; i++) {
		if (i == drop)
			continue;
		if (!gelf_getshdr(elf_getscn(ie, i), &sh) ||
		    !gelf_getshdr(elf_getscn(oe, j++), &osh) ||
		    sh.sh_type != osh.sh_type || sh.sh_flags != osh.sh_flags ||
		    sh.sh_name != osh.sh_name) {
			diag_set(d, "internal: section [%zu] changed", i);
			err = -EINVAL;
			goto out;
		}
		if (i == btf_idx || owned[i] || sh.sh_type == SHT_NOBITS)
			continue;
		if (sh.sh_size != osh.sh_size ||
		    (sh.sh_size && memcmp((uint8_t *)copy + sh.sh_offset,
					  buf + osh.sh_offset, sh.sh_size))) {
			diag_set(d,
				 "internal: section [%zu]'s bytes changed in "
				 "the rewrite",
				 i);
			err = -EINVAL;
			goto out;
		}
	}
	*out = buf;
	*out_sz = (size_t)n;
	buf = NULL;
	err = 0;
out:
	free(buf);
	elf_end(oe);
	if (fd >= 0)
		close(fd);
	elf_end(ie);
	for (i = 0; owned && i < shnum; i++)
		free(owned[i]);
	free(owned);
	free(copy);
	return err;
}
