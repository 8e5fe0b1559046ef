// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * elf_btf: what it extracts from a module built by gcc, ld -r --build-id and
 * pahole -J (checked against objcopy --dump-section and readelf -n), and the
 * bad-input class 5: each case patches one field of a copy of the image
 * through the ELF64 structs and asserts the error and its message.
 */
#include "formats/elf_btf.h"

#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>

#include "unit.h"

/* The test module: its bytes and where its sections are. */
struct mod {
	uint8_t *p;
	size_t size;
	Elf64_Ehdr *eh;
	Elf64_Shdr *sh;
	const char *shstr;
};

/* Loads dir/name; returns false (skip) if it is not a little-endian ELF64. */
static bool mod_load(struct mod *m, const char *dir, const char *name)
{
	m->p = unit_slurp(dir, name, &m->size);
	m->eh = (Elf64_Ehdr *)m->p;
	if (m->size < sizeof(*m->eh) || m->p[EI_CLASS] != ELFCLASS64 ||
	    m->p[EI_DATA] != ELFDATA2LSB) {
		printf("SKIP: %s is not ELF64 little endian; the patching "
		       "tests use Elf64 structs\n",
		       name);
		free(m->p);
		return false;
	}
	m->sh = (Elf64_Shdr *)(m->p + m->eh->e_shoff);
	m->shstr = (const char *)m->p + m->sh[m->eh->e_shstrndx].sh_offset;
	return true;
}

static size_t mod_find(const struct mod *m, const char *name)
{
	size_t i;

	for (i = 1; i < m->eh->e_shnum; i++)
		if (!strcmp(m->shstr + m->sh[i].sh_name, name))
			return i;
	fprintf(stderr, "no section %s in the test module\n", name);
	exit(1);
}

/* Reads m and expects err_want with a message holding piece. */
static void check_fails(const struct mod *m, const char *what, int err_want,
			const char *piece)
{
	struct elf_btf eb;
	struct diag d = {""};
	int err;

	err = elf_btf__read(m->p, m->size, &eb, &d);
	CHECK(err == err_want, "%s: err %d, expected %d (%s)", what, err,
	      err_want, d.msg);
	CHECK_MSG(d.msg, piece);
	if (err_want == -EINVAL)
		CHECK(!eb.btf && !eb.btf_sz, "%s: .BTF pointer left on error",
		      what);
	printf("%s: %s\n", what, d.msg);
}

static int t_read(const char *dir)
{
	struct mod m;
	struct elf_btf eb;
	struct diag d = {""};
	size_t btf_sz, hex_sz, i;
	void *btf = unit_slurp(dir, "mod.btf", &btf_sz);
	char *hex = unit_slurp(dir, "mod.buildid", &hex_sz);
	char got[2 * sizeof(eb.build_id) + 1] = "";
	int err;

	if (!mod_load(&m, dir, "mod.ko"))
		return UNIT_SKIP;
	CHECK(elf_btf__is_elf(m.p, m.size), "ELF magic not seen");
	err = elf_btf__read(m.p, m.size, &eb, &d);
	CHECK(err == 0, "err %d: %s", err, d.msg);
	CHECK(eb.btf_sz == btf_sz, ".BTF of %zu bytes, objcopy dumps %zu",
	      eb.btf_sz, btf_sz);
	CHECK(eb.btf == m.p + m.sh[mod_find(&m, ".BTF")].sh_offset,
	      ".BTF does not point at the raw section in the image");
	if (eb.btf && eb.btf_sz == btf_sz)
		CHECK(!memcmp(eb.btf, btf, btf_sz), ".BTF contents differ");
	CHECK(!eb.btf_base && !eb.btf_base_sz, ".BTF.base found");
	CHECK(!strcmp(eb.name, "foo"), "name \"%s\"", eb.name);
	CHECK(!strcmp(eb.vermagic, "6.1.0 SMP preempt mod_unload"),
	      "vermagic \"%s\"", eb.vermagic);
	for (i = 0; i < eb.build_id_sz && i < sizeof(eb.build_id); i++)
		snprintf(got + 2 * i, 3, "%02x", eb.build_id[i]);
	while (hex_sz && (hex[hex_sz - 1] == '\n' || hex[hex_sz - 1] == ' '))
		hex[--hex_sz] = '\0';
	CHECK(!strcmp(got, hex), "build id %s, readelf -n says %s", got, hex);
	CHECK(eb.build_id_sz == 20, "build id of %zu bytes", eb.build_id_sz);
	CHECK(eb.elf_class == ELFCLASS64, "class %d", eb.elf_class);
	CHECK(eb.elf_data == ELFDATA2LSB, "data %d", eb.elf_data);
	CHECK(eb.machine == m.eh->e_machine, "machine %u, header %u",
	      eb.machine, m.eh->e_machine);
	free(btf);
	free(hex);
	free(m.p);
	return 0;
}

static int t_btf_base(const char *dir)
{
	struct mod m;
	struct elf_btf eb;
	struct diag d = {""};
	size_t btf_sz;
	void *btf = unit_slurp(dir, "mod.btf", &btf_sz);
	int err;

	if (!mod_load(&m, dir, "base.ko"))
		return UNIT_SKIP;
	err = elf_btf__read(m.p, m.size, &eb, &d);
	CHECK(err == 0, "err %d: %s", err, d.msg);
	CHECK(eb.btf_sz == btf_sz && eb.btf_base_sz == btf_sz,
	      ".BTF %zu and .BTF.base %zu bytes, expected %zu each", eb.btf_sz,
	      eb.btf_base_sz, btf_sz);
	CHECK(eb.btf_base == m.p + m.sh[mod_find(&m, ".BTF.base")].sh_offset,
	      ".BTF.base does not point at the raw section");
	if (eb.btf_base && eb.btf_base_sz == btf_sz)
		CHECK(!memcmp(eb.btf_base, btf, btf_sz),
		      ".BTF.base contents differ");
	/* a second .BTF.base */
	m.sh[mod_find(&m, ".BTF")].sh_name =
		m.sh[mod_find(&m, ".BTF.base")].sh_name;
	check_fails(&m, "two .BTF.base", -EINVAL, "second .BTF.base section");
	free(btf);
	free(m.p);
	return 0;
}

static int t_no_btf(const char *dir)
{
	struct mod m;
	struct elf_btf eb;
	struct diag d = {""};
	int err;

	if (!mod_load(&m, dir, "nobtf.ko"))
		return UNIT_SKIP;
	err = elf_btf__read(m.p, m.size, &eb, &d);
	CHECK(err == -ENOENT, "err %d: %s", err, d.msg);
	CHECK(!strcmp(d.msg, "no .BTF section"), "message \"%s\"", d.msg);
	CHECK(!eb.btf && !eb.btf_sz, ".BTF set");
	/* the rest is still read, for the report */
	CHECK(!strcmp(eb.name, "foo"), "name \"%s\"", eb.name);
	CHECK(eb.build_id_sz == 20, "build id of %zu bytes", eb.build_id_sz);
	free(m.p);
	return 0;
}

static int t_not_elf(const char *dir)
{
	struct elf_btf eb;
	struct diag d = {""};
	static const char text[] = "not an ELF file at all";
	struct mod m;
	int err;

	CHECK(!elf_btf__is_elf(text, sizeof(text)), "text seen as ELF");
	CHECK(!elf_btf__is_elf("\x7f"
			       "EL",
			       3),
	      "3 bytes seen as ELF");
	err = elf_btf__read(text, sizeof(text), &eb, &d);
	CHECK(err == -EINVAL, "err %d", err);
	CHECK_MSG(d.msg, "not an ELF image");
	if (!mod_load(&m, dir, "mod.ko"))
		return UNIT_SKIP;
	/* cut inside the ELF header */
	m.size = 40;
	check_fails(&m, "cut to 40 bytes", -EINVAL,
		    "shorter than the 64-byte ELF header");
	m.p[EI_CLASS] = 7;
	check_fails(&m, "class 7", -EINVAL, "unknown class 7");
	free(m.p);
	return 0;
}

/* The image cut short: the section header table is past the end. */
static int t_truncated(const char *dir)
{
	struct mod m;
	char piece[256];

	if (!mod_load(&m, dir, "mod.ko"))
		return UNIT_SKIP;
	m.size /= 2;
	snprintf(piece, sizeof(piece),
		 "section header table: offset %llu past end of file (%zu "
		 "bytes)",
		 (unsigned long long)m.eh->e_shoff, m.size);
	check_fails(&m, "cut in half", -EINVAL, piece);
	free(m.p);
	return 0;
}

static int t_shdr_table(const char *dir)
{
	struct mod m;
	char piece[256];
	size_t real;

	if (!mod_load(&m, dir, "mod.ko"))
		return UNIT_SKIP;
	real = m.size;
	/* too many entries for the file */
	m.eh->e_shnum += 1000;
	snprintf(piece, sizeof(piece),
		 "section header table: offset %llu + %u entries of 64 bytes "
		 "past end of file (%zu bytes)",
		 (unsigned long long)m.eh->e_shoff, m.eh->e_shnum, real);
	check_fails(&m, "e_shnum + 1000", -EINVAL, piece);
	m.eh->e_shnum -= 1000;
	m.eh->e_shentsize = 40;
	check_fails(&m, "e_shentsize 40", -EINVAL,
		    "e_shentsize is 40, expected 64");
	free(m.p);
	return 0;
}

static int t_past_end(const char *dir)
{
	struct mod m;
	size_t btf;
	char piece[256];

	if (!mod_load(&m, dir, "mod.ko"))
		return UNIT_SKIP;
	btf = mod_find(&m, ".BTF");
	m.sh[btf].sh_offset = m.size - 10;
	snprintf(piece, sizeof(piece),
		 "section [%zu] .BTF: offset %zu + size %llu past end of "
		 "file (%zu bytes)",
		 btf, m.size - 10, (unsigned long long)m.sh[btf].sh_size,
		 m.size);
	check_fails(&m, ".BTF past end", -EINVAL, piece);
	/* offset + size wrapping around 64 bits */
	m.sh[btf].sh_offset = UINT64_MAX - 5;
	check_fails(&m, ".BTF offset wraps", -EINVAL, "past end of file");
	free(m.p);
	return 0;
}

static int t_overlap(const char *dir)
{
	struct mod m;
	size_t btf, modinfo;
	char piece[256];

	if (!mod_load(&m, dir, "mod.ko"))
		return UNIT_SKIP;
	btf = mod_find(&m, ".BTF");
	modinfo = mod_find(&m, ".modinfo");
	m.sh[modinfo].sh_offset = m.sh[btf].sh_offset + 1;
	snprintf(piece, sizeof(piece),
		 "section [%zu] .modinfo: offset %llu + size %llu overlaps "
		 "section [%zu] .BTF",
		 modinfo, (unsigned long long)m.sh[modinfo].sh_offset,
		 (unsigned long long)m.sh[modinfo].sh_size, btf);
	check_fails(&m, ".modinfo inside .BTF", -EINVAL, piece);
	/* a section over the ELF header */
	m.sh[modinfo].sh_offset = 8;
	check_fails(&m, ".modinfo over the ELF header", -EINVAL,
		    "overlaps ELF header");
	free(m.p);
	return 0;
}

static int t_two_btf(const char *dir)
{
	struct mod m;
	size_t btf, text;
	char piece[256];

	if (!mod_load(&m, dir, "mod.ko"))
		return UNIT_SKIP;
	btf = mod_find(&m, ".BTF");
	text = mod_find(&m, ".text");
	m.sh[text].sh_name = m.sh[btf].sh_name;
	snprintf(piece, sizeof(piece),
		 "section [%zu] .BTF: second .BTF section (first is [%zu])",
		 text > btf ? text : btf, text > btf ? btf : text);
	check_fails(&m, "two .BTF", -EINVAL, piece);
	free(m.p);
	return 0;
}

static int t_btf_nobits(const char *dir)
{
	struct mod m;
	size_t btf;
	char piece[256];

	if (!mod_load(&m, dir, "mod.ko"))
		return UNIT_SKIP;
	btf = mod_find(&m, ".BTF");
	m.sh[btf].sh_type = SHT_NOBITS;
	snprintf(piece, sizeof(piece),
		 "section [%zu] .BTF: type %u, expected PROGBITS", btf,
		 SHT_NOBITS);
	check_fails(&m, ".BTF NOBITS", -EINVAL, piece);
	m.sh[btf].sh_type = SHT_NOTE;
	check_fails(&m, ".BTF NOTE", -EINVAL, "expected PROGBITS");
	free(m.p);
	return 0;
}

static int t_bad_name(const char *dir)
{
	struct mod m;
	size_t text;
	char piece[256];

	if (!mod_load(&m, dir, "mod.ko"))
		return UNIT_SKIP;
	text = mod_find(&m, ".text");
	m.sh[text].sh_name = 0x7fffff;
	snprintf(piece, sizeof(piece),
		 "section [%zu]: name offset %u is not a string", text,
		 0x7fffff);
	check_fails(&m, "name offset out of range", -EINVAL, piece);
	free(m.p);
	return 0;
}

static int t_entsize(const char *dir)
{
	struct mod m;
	size_t symtab;
	char piece[256];

	if (!mod_load(&m, dir, "mod.ko"))
		return UNIT_SKIP;
	symtab = mod_find(&m, ".symtab");
	m.sh[symtab].sh_entsize = 0;
	snprintf(piece, sizeof(piece),
		 "section [%zu] .symtab: sh_entsize 0 does not divide", symtab);
	check_fails(&m, ".symtab sh_entsize 0", -EINVAL, piece);
	free(m.p);
	return 0;
}

static int t_modinfo(const char *dir)
{
	struct mod m;
	size_t mi;
	char piece[256];

	if (!mod_load(&m, dir, "mod.ko"))
		return UNIT_SKIP;
	mi = mod_find(&m, ".modinfo");
	/* the last string loses its NUL */
	CHECK(m.p[m.sh[mi].sh_offset + m.sh[mi].sh_size - 1] == '\0',
	      ".modinfo does not end in NUL");
	m.p[m.sh[mi].sh_offset + m.sh[mi].sh_size - 1] = 'x';
	snprintf(piece, sizeof(piece),
		 "section [%zu] .modinfo: string at offset %d runs past the "
		 "end of the section (%llu bytes)",
		 mi, 21, (unsigned long long)m.sh[mi].sh_size);
	check_fails(&m, ".modinfo unterminated", -EINVAL, piece);
	free(m.p);

	/* name= longer than the 63 bytes the field holds */
	if (!mod_load(&m, dir, "longname.ko"))
		return UNIT_SKIP;
	mi = mod_find(&m, ".modinfo");
	snprintf(piece, sizeof(piece),
		 "section [%zu] .modinfo: name= value of 69 bytes at offset "
		 "12, longest allowed 63",
		 mi);
	check_fails(&m, "name= too long", -EINVAL, piece);
	free(m.p);
	return 0;
}

static int t_build_id(const char *dir)
{
	struct mod m;
	size_t note;
	uint32_t *hdr;
	char piece[256];

	if (!mod_load(&m, dir, "mod.ko"))
		return UNIT_SKIP;
	note = mod_find(&m, ".note.gnu.build-id");
	hdr = (uint32_t *)(m.p + m.sh[note].sh_offset);
	CHECK(hdr[0] == 4 && hdr[1] == 20 && hdr[2] == NT_GNU_BUILD_ID,
	      "note header %u %u %u", hdr[0], hdr[1], hdr[2]);
	hdr[1] = 0x1000; /* descsz past the section */
	snprintf(piece, sizeof(piece),
		 "section [%zu] .note.gnu.build-id: note at offset 0 with "
		 "name of 4 and descriptor of 4096 bytes runs past the end",
		 note);
	check_fails(&m, "descsz past the section", -EINVAL, piece);
	hdr[1] = 20;
	hdr[0] = 0xfffffff0; /* namesz near 2^32 */
	check_fails(&m, "namesz near 2^32", -EINVAL, "runs past the end");
	hdr[0] = 4;
	m.sh[note].sh_type = SHT_PROGBITS;
	check_fails(&m, "build id not a NOTE", -EINVAL, "expected NOTE");
	free(m.p);
	return 0;
}

/* Concurrent reads of one image (read only) from several threads. */
struct thr {
	const struct mod *m;
	int bad;
};

static void *thr_run(void *arg)
{
	struct thr *t = arg;
	int i;

	for (i = 0; i < 500; i++) {
		struct elf_btf eb;
		struct diag d = {""};

		if (elf_btf__read(t->m->p, t->m->size, &eb, &d) ||
		    strcmp(eb.name, "foo") || !eb.btf_sz)
			t->bad++;
	}
	return NULL;
}

static int t_threads(const char *dir)
{
	struct mod m;
	struct thr t[4];
	pthread_t th[4];
	int i;

	if (!mod_load(&m, dir, "mod.ko"))
		return UNIT_SKIP;
	for (i = 0; i < 4; i++) {
		t[i] = (struct thr){&m, 0};
		CHECK(!pthread_create(&th[i], NULL, thr_run, &t[i]),
		      "pthread_create");
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK(!t[i].bad, "thread %d: %d bad reads", i, t[i].bad);
	}
	free(m.p);
	return 0;
}

static const struct unit_case cases[] = {
	{"read", t_read},	    {"btf_base", t_btf_base},
	{"no_btf", t_no_btf},	    {"not_elf", t_not_elf},
	{"truncated", t_truncated}, {"shdr_table", t_shdr_table},
	{"past_end", t_past_end},   {"overlap", t_overlap},
	{"two_btf", t_two_btf},	    {"btf_nobits", t_btf_nobits},
	{"bad_name", t_bad_name},   {"entsize", t_entsize},
	{"modinfo", t_modinfo},	    {"build_id", t_build_id},
	{"threads", t_threads},
};

int main(int argc, char **argv)
{
	return unit_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
