// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * formats/knotes: the GNU build-id of a /sys/kernel/notes image, on note
 * lists built here byte by byte (no input file). The good list is laid out
 * as an x86_64 kernel shows it: GNU build-id, two Linux notes (a 6-byte
 * name, padded), two Xen notes.
 */
#include <errno.h>
#include <stdint.h>

#include "formats/knotes.h"
#include "tests/unit/unit.h"

struct buf {
	uint8_t b[1024];
	size_t n;
};

static void put32(struct buf *b, uint32_t v)
{
	memcpy(b->b + b->n, &v, 4);
	b->n += 4;
}

/* One note: header, name and descriptor each padded to 4 bytes (pad=false:
 * the descriptor's padding left out, as at the very end of a list). */
static void note(struct buf *b, const char *name, uint32_t namesz,
		 uint32_t type, const void *desc, uint32_t descsz, bool pad)
{
	put32(b, namesz);
	put32(b, descsz);
	put32(b, type);
	memset(b->b + b->n, 0, (namesz + 3) & ~3u);
	memcpy(b->b + b->n, name, namesz);
	b->n += (namesz + 3) & ~3u;
	memset(b->b + b->n, 0, (descsz + 3) & ~3u);
	memcpy(b->b + b->n, desc, descsz);
	b->n += pad ? (descsz + 3) & ~3u : descsz;
}

static const uint8_t id20[20] = {0x7d, 0xd4, 0xff, 0x07, 0x89, 0xe0, 0x5e,
				 0x14, 0x28, 0x53, 0x20, 0x12, 0x91, 0x49,
				 0xda, 0x25, 0x55, 0xca, 0x0b, 0xfc};

static void linux_xen(struct buf *b)
{
	static const char ver[] = "6.18.0-test";
	uint32_t one = 0x101, xen[2] = {0x1000000, 0x3f};

	note(b, "Linux", 6, 0x101, &one, 4, true);
	note(b, "Linux", 6, 0x100, ver, sizeof(ver), true);
	note(b, "Xen", 4, 0x13, xen, 8, true);
	note(b, "Xen", 4, 0x12, xen, 8, true);
}

static int expect(const struct buf *b, int want, const char *msg)
{
	uint8_t id[KNOTES_BUILD_ID_MAX];
	struct diag d = {""};
	size_t id_sz = 99;
	int err;

	err = knotes_build_id(b->b, b->n, id, &id_sz, &d);
	CHECK(err == want, "knotes_build_id: %d, want %d (%s)", err, want,
	      d.msg);
	if (want)
		CHECK(id_sz == 0, "id_sz %zu on error", id_sz);
	if (msg)
		CHECK_MSG(d.msg, msg);
	return 0;
}

static int t_build_id(const char *dir)
{
	uint8_t id[KNOTES_BUILD_ID_MAX];
	struct diag d = {""};
	struct buf b = {.n = 0};
	size_t id_sz = 0;
	int err;

	(void)dir;
	note(&b, "GNU", 4, 3, id20, 20, true);
	linux_xen(&b);
	err = knotes_build_id(b.b, b.n, id, &id_sz, &d);
	CHECK(err == 0, "err %d (%s)", err, d.msg);
	CHECK(id_sz == 20 && !memcmp(id, id20, 20), "id_sz %zu", id_sz);
	return 0;
}

/* The build-id anywhere in the list, the padding of the last descriptor
 * cut off. */
static int t_build_id_last(const char *dir)
{
	uint8_t id[KNOTES_BUILD_ID_MAX];
	struct diag d = {""};
	struct buf b = {.n = 0};
	size_t id_sz = 0;
	int err;

	(void)dir;
	linux_xen(&b);
	note(&b, "GNU", 4, 3, id20, 19, false);
	CHECK(b.n % 4 == 3, "list of %zu bytes", b.n);
	err = knotes_build_id(b.b, b.n, id, &id_sz, &d);
	CHECK(err == 0, "err %d (%s)", err, d.msg);
	CHECK(id_sz == 19 && !memcmp(id, id20, 19), "id_sz %zu", id_sz);
	return 0;
}

static int t_no_build_id(const char *dir)
{
	struct buf b = {.n = 0};

	(void)dir;
	linux_xen(&b);
	/* other owners and other GNU types are not the build-id */
	note(&b, "GNX", 4, 3, id20, 20, true);
	note(&b, "GNU", 4, 1, id20, 16, true);
	return expect(&b, -ENOENT, "no GNU build-id note among 6 notes (");
}

static int t_empty(const char *dir)
{
	struct buf b = {.n = 0};

	(void)dir;
	return expect(&b, -ENOENT, "no GNU build-id note among 0 notes");
}

static int t_header_short(const char *dir)
{
	struct buf b = {.n = 0};

	(void)dir;
	note(&b, "GNU", 4, 3, id20, 20, true);
	put32(&b, 4);
	put32(&b, 4);
	return expect(&b, -EINVAL,
		      "note 2 at byte 36: 8 bytes left, a note header takes "
		      "12");
}

static int t_name_past_end(const char *dir)
{
	struct buf b = {.n = 0};

	(void)dir;
	note(&b, "GNU", 4, 3, id20, 20, true);
	put32(&b, 0xfffffff0u); /* namesz: padded, it would wrap to 0 */
	put32(&b, 0);
	put32(&b, 1);
	return expect(&b, -EINVAL,
		      "note 2 at byte 36: name of 4294967280 bytes past the "
		      "end (48 bytes)");
}

static int t_desc_past_end(const char *dir)
{
	struct buf b = {.n = 0};

	(void)dir;
	linux_xen(&b);
	note(&b, "GNU", 4, 3, id20, 20, true);
	b.n -= 1;
	return expect(&b, -EINVAL,
		      "note 5 at byte 104: descriptor of 20 bytes past the "
		      "end (139 bytes)");
}

static int t_desc_huge(const char *dir)
{
	struct buf b = {.n = 0};

	(void)dir;
	put32(&b, 4);
	put32(&b, 0xffffffffu);
	put32(&b, 3);
	memcpy(b.b + b.n, "GNU", 4);
	b.n += 4;
	return expect(&b, -EINVAL,
		      "note 1 at byte 0: descriptor of 4294967295 bytes past "
		      "the end (16 bytes)");
}

static int t_build_id_empty(const char *dir)
{
	struct buf b = {.n = 0};

	(void)dir;
	note(&b, "GNU", 4, 3, id20, 0, true);
	return expect(&b, -EINVAL,
		      "note 1 at byte 0: GNU build-id of 0 bytes, want 1 to "
		      "64");
}

static int t_build_id_long(const char *dir)
{
	uint8_t big[65] = {1};
	struct buf b = {.n = 0};

	(void)dir;
	linux_xen(&b);
	note(&b, "GNU", 4, 3, big, sizeof(big), true);
	return expect(&b, -EINVAL,
		      "note 5 at byte 104: GNU build-id of 65 bytes, want 1 "
		      "to 64");
}

static int t_two_build_ids(const char *dir)
{
	struct buf b = {.n = 0};

	(void)dir;
	note(&b, "GNU", 4, 3, id20, 20, true);
	linux_xen(&b);
	note(&b, "GNU", 4, 3, id20, 20, true);
	return expect(&b, -EINVAL,
		      "note 6 at byte 140: a second GNU build-id (the first "
		      "at byte 0)");
}

static const struct unit_case cases[] = {
	{"build_id", t_build_id},
	{"build_id_last", t_build_id_last},
	{"no_build_id", t_no_build_id},
	{"empty", t_empty},
	{"header_short", t_header_short},
	{"name_past_end", t_name_past_end},
	{"desc_past_end", t_desc_past_end},
	{"desc_huge", t_desc_huge},
	{"build_id_empty", t_build_id_empty},
	{"build_id_long", t_build_id_long},
	{"two_build_ids", t_two_build_ids},
};

int main(int argc, char **argv)
{
	return unit_main(argc, argv, cases, sizeof(cases) / sizeof(cases[0]));
}
