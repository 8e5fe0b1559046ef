// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * decomp: whole-buffer decompression of kernel modules and kernel image
 * payloads.
 *
 * Every format decodes straight into one growing output buffer (no staging
 * copies). The first allocation is a guess that is exact for well-formed
 * single-stream modules, so the usual module costs one malloc() and no
 * realloc():
 *   xz    the uncompressed size from the index of the last stream,
 *   zstd  the sum of the frame content sizes (which also lets libzstd take its
 *         single-pass path, decoding without its window buffer),
 *   gzip  the ISIZE trailer of the last member;
 * else (lzma, bzip2, lz4, lzo carry no total) four times the input, or, for
 * decomp_first(), the last 4 bytes of the input: a kernel payload ends with
 * its uncompressed size (size_append in the kernel's Makefile.lib). Past the
 * guess the buffer doubles, never beyond the cap + 1 bytes: reaching the cap +
 * 1st byte is how an over-cap stream shows.
 *
 * After each stream (xz), frame (zstd) or member (gzip) the rest of the input
 * must be another one (for xz after stream padding); anything else is
 * trailing garbage, reported with its offset. The input running out inside a
 * stream is reported as truncated. decomp_first() stops after the first
 * stream and ignores what follows.
 *
 * The kernel image formats:
 *   lzma  the "alone" format (.lzma: props, dictionary size, u64 size), no
 *         concatenation;
 *   bzip2 one or more bzip2 streams;
 *   lz4   the legacy frame (lz4 -l, what the kernel uses): magic 0x184C2102,
 *         then blocks, each a LE u32 compressed size and the data, every
 *         block but the last expanding to exactly 8 MiB. The format has no
 *         end mark: the frame ends after a block shorter than 8 MiB, at the
 *         end of the input, or at the next frame's magic;
 *   lzo   the lzop file format: header, then blocks (BE u32 uncompressed
 *         size, BE u32 compressed size, optional checksums, data) up to a
 *         block of uncompressed size 0; data checksums are verified.
 */
#include "decomp.h"

#include <errno.h>
#include <limits.h>
#include <bzlib.h>
#include <lz4.h>
#include <lzma.h>
#include <lzo/lzo1x.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "crc32.h"
#include "le.h"

/* xz decoder memory (dictionary) limit; modules use 1 MiB dictionaries. */
#define XZ_MEMLIMIT (256ULL << 20)
/* Smallest first allocation, so tiny inputs do not realloc many times. */
#define OUT_MIN (64U << 10)
/*
 * Most a size guess read from the input may ask for up front, times the
 * input size: the guess is not trusted, a lying header must not make us
 * allocate the whole cap at once. Modules expand 3 to 5 times.
 */
#define GUESS_RATIO 32

static const uint8_t xz_magic[6] = {0xfd, '7', 'z', 'X', 'Z', 0x00};
static const uint8_t zstd_magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
static const uint8_t gzip_magic[2] = {0x1f, 0x8b};
static const uint8_t lz4_legacy_magic[4] = {0x02, 0x21, 0x4c, 0x18};
static const uint8_t lzop_magic[9] = {0x89, 'L',  'Z',	'O', 0x00,
				      '\r', '\n', 0x1a, '\n'};

/*
 * An lzma "alone" header: properties byte (lc + lp * 9 + pb * 45, the usual
 * lc=3 lp=0 pb=2 is 0x5d), dictionary size 2^n or 2^n + 2^(n-1) from 4 KiB,
 * uncompressed size unknown (all ones) or under 2^48. There is no magic, so
 * the check is strict: the usual properties only.
 */
static bool lzma_alone_header(const uint8_t *p, size_t n)
{
	uint32_t dict, rest;
	uint64_t usize;

	if (n < 13 || p[0] != 0x5d)
		return false;
	dict = le32_get(p + 1);
	rest = dict & (dict - 1); /* dict without its lowest bit */
	if (dict < 4096 ||
	    (rest && (rest & (rest - 1) || dict - rest != rest / 2)))
		return false;
	usize = le64_get(p + 5);
	return usize == UINT64_MAX || usize < (1ULL << 48);
}

static bool bzip2_header(const uint8_t *p, size_t n)
{
	return n >= 4 && p[0] == 'B' && p[1] == 'Z' && p[2] == 'h' &&
	       p[3] >= '1' && p[3] <= '9';
}

enum decomp_kind decomp_detect(const void *data, size_t size)
{
	if (!data)
		return DECOMP_NONE;
	if (size >= sizeof(xz_magic) &&
	    !memcmp(data, xz_magic, sizeof(xz_magic)))
		return DECOMP_XZ;
	if (size >= sizeof(zstd_magic) &&
	    !memcmp(data, zstd_magic, sizeof(zstd_magic)))
		return DECOMP_ZSTD;
	if (size >= sizeof(gzip_magic) &&
	    !memcmp(data, gzip_magic, sizeof(gzip_magic)))
		return DECOMP_GZIP;
	if (size >= sizeof(lz4_legacy_magic) &&
	    !memcmp(data, lz4_legacy_magic, sizeof(lz4_legacy_magic)))
		return DECOMP_LZ4_LEGACY;
	if (size >= sizeof(lzop_magic) &&
	    !memcmp(data, lzop_magic, sizeof(lzop_magic)))
		return DECOMP_LZO;
	if (bzip2_header(data, size))
		return DECOMP_BZIP2;
	if (lzma_alone_header(data, size))
		return DECOMP_LZMA;
	return DECOMP_NONE;
}

const char *decomp_kind_str(enum decomp_kind kind)
{
	switch (kind) {
	case DECOMP_XZ:
		return "xz";
	case DECOMP_ZSTD:
		return "zstd";
	case DECOMP_GZIP:
		return "gzip";
	case DECOMP_LZMA:
		return "lzma";
	case DECOMP_BZIP2:
		return "bzip2";
	case DECOMP_LZ4_LEGACY:
		return "lz4";
	case DECOMP_LZO:
		return "lzo";
	case DECOMP_NONE:
		break;
	}
	return "none";
}

/* The output buffer, shared by the decoders. */
struct obuf {
	uint8_t *p;
	size_t len;    /* bytes decoded so far */
	size_t cap;    /* bytes allocated */
	size_t limit;  /* most bytes allowed: the tighter of the two caps */
	bool by_ratio; /* limit comes from max_ratio, not max_out */
	uint64_t max_ratio;
	size_t in_sz;
	const char *fmt; /* "xz", "zstd", "gzip", for messages */
	bool first;	 /* decomp_first(): stop after the first stream */
	size_t in_used;	 /* input bytes of the decoded stream(s) */
};

static void obuf_init(struct obuf *b, const struct decomp_caps *caps,
		      size_t in_sz, const char *fmt)
{
	memset(b, 0, sizeof(*b));
	b->limit = SIZE_MAX - 1;
	b->in_sz = in_sz;
	b->fmt = fmt;
	if (caps && caps->max_out && caps->max_out < b->limit)
		b->limit = (size_t)caps->max_out;
	if (caps && caps->max_ratio) {
		uint64_t r = (uint64_t)in_sz > UINT64_MAX / caps->max_ratio
				     ? UINT64_MAX
				     : (uint64_t)in_sz * caps->max_ratio;

		b->max_ratio = caps->max_ratio;
		if (r < b->limit) {
			b->limit = (size_t)r;
			b->by_ratio = true;
		}
	}
}

static int obuf_over_cap(struct obuf *b, struct diag *d)
{
	if (b->by_ratio)
		diag_set(d,
			 "%s: output over %zu bytes, %llu times the %zu input "
			 "bytes (expansion ratio cap)",
			 b->fmt, b->limit, (unsigned long long)b->max_ratio,
			 b->in_sz);
	else
		diag_set(d, "%s: output over the cap of %zu bytes", b->fmt,
			 b->limit);
	return -EFBIG;
}

/*
 * Makes the buffer hold at least want bytes (a first guess) or, with want 0,
 * grows it for more output: doubling, at most limit + 1 bytes. Returns -EFBIG
 * when the buffer already holds limit + 1 bytes.
 */
static int obuf_grow(struct obuf *b, size_t want, struct diag *d)
{
	size_t hard = b->limit + 1, new_cap;
	uint8_t *p;

	if (want) {
		size_t most = b->in_sz > (SIZE_MAX - OUT_MIN) / GUESS_RATIO
				      ? SIZE_MAX
				      : b->in_sz * GUESS_RATIO + OUT_MIN;

		new_cap = want < OUT_MIN ? OUT_MIN : want > most ? most : want;
	} else {
		if (b->cap >= hard)
			return obuf_over_cap(b, d);
		new_cap = b->cap > SIZE_MAX / 2 ? SIZE_MAX : b->cap * 2;
		if (new_cap < OUT_MIN)
			new_cap = OUT_MIN;
	}
	if (new_cap > hard)
		new_cap = hard;
	if (new_cap <= b->cap)
		return 0;
	p = realloc(b->p, new_cap);
	if (!p) {
		diag_set(d, "%s: out of memory for %zu bytes of output", b->fmt,
			 new_cap);
		return -ENOMEM;
	}
	b->p = p;
	b->cap = new_cap;
	return 0;
}

/* Adds a size guess, saturating; a guess only, never trusted. */
static size_t guess_add(size_t a, uint64_t b)
{
	return b > SIZE_MAX - a ? SIZE_MAX : a + (size_t)b;
}

/* The guess when the format records no total (see the comment on top). */
static size_t default_guess_of(const struct obuf *b, const uint8_t *in)
{
	if (b->first && b->in_sz >= 8)
		return guess_add(1, le32_get(in + b->in_sz - 4));
	return b->in_sz > SIZE_MAX / 4 ? SIZE_MAX : b->in_sz * 4;
}

/* Makes room for need more bytes; -EFBIG if the cap forbids it. */
static int obuf_reserve(struct obuf *b, size_t need, struct diag *d)
{
	int err;

	while (b->cap - b->len < need) {
		if (b->cap >= b->limit + 1 || need > b->limit + 1 - b->len)
			return obuf_over_cap(b, d);
		err = obuf_grow(b, 0, d);
		if (err)
			return err;
	}
	return 0;
}

/* ---- xz ---------------------------------------------------------------- */

/*
 * The index of the xz stream that ends at s + n (after its padding, which
 * the caller has taken off), read from its footer; NULL if it cannot be
 * read. The caller frees it with lzma_index_end.
 */
static lzma_index *xz_stream_index(const uint8_t *s, size_t n)
{
	lzma_stream_flags flags;
	lzma_index *idx = NULL;
	uint64_t memlimit = XZ_MEMLIMIT; /* the decoder's own limit */
	size_t pos = 0, idx_off;

	if (n < 2 * LZMA_STREAM_HEADER_SIZE ||
	    lzma_stream_footer_decode(
		    &flags, s + n - LZMA_STREAM_HEADER_SIZE) != LZMA_OK ||
	    flags.backward_size > n - 2 * LZMA_STREAM_HEADER_SIZE)
		return NULL;
	idx_off = n - LZMA_STREAM_HEADER_SIZE - (size_t)flags.backward_size;
	if (lzma_index_buffer_decode(&idx, &memlimit, NULL, s + idx_off, &pos,
				     (size_t)flags.backward_size) != LZMA_OK)
		return NULL;
	return idx;
}

/*
 * The uncompressed size recorded in the index of the xz stream that ends at
 * in + in_sz, or 0 if it cannot be read (the decoder reports why later).
 */
static uint64_t xz_index_size(const uint8_t *in, size_t in_sz)
{
	lzma_index *idx;
	uint64_t size;

	/* stream padding: NUL bytes in fours */
	while (in_sz >= 4 && !in[in_sz - 1] && !in[in_sz - 2] &&
	       !in[in_sz - 3] && !in[in_sz - 4])
		in_sz -= 4;
	idx = xz_stream_index(in, in_sz);
	if (!idx)
		return 0;
	size = lzma_index_uncompressed_size(idx);
	lzma_index_end(idx, NULL);
	return size;
}

static int xz_error(const char *fmt, lzma_ret ret, const lzma_stream *strm,
		    size_t base, struct diag *d)
{
	size_t at = base + (size_t)strm->total_in;

	switch (ret) {
	case LZMA_MEM_ERROR:
		diag_set(d, "%s: out of memory", fmt);
		return -ENOMEM;
	case LZMA_MEMLIMIT_ERROR:
		diag_set(d,
			 "%s: stream at input byte %zu needs %llu bytes of "
			 "decoder memory, over the limit of %llu",
			 fmt, base, (unsigned long long)lzma_memusage(strm),
			 (unsigned long long)XZ_MEMLIMIT);
		return -EFBIG;
	case LZMA_FORMAT_ERROR:
		diag_set(d, "%s: bad stream header at input byte %zu", fmt,
			 base);
		return -EINVAL;
	case LZMA_OPTIONS_ERROR:
		diag_set(d,
			 "%s: unsupported options in stream at input byte %zu",
			 fmt, base);
		return -EINVAL;
	case LZMA_DATA_ERROR:
		diag_set(d, "%s: corrupt data near input byte %zu", fmt, at);
		return -EINVAL;
	default:
		diag_set(d, "%s: decoder error %d near input byte %zu", fmt,
			 (int)ret, at);
		return -EINVAL;
	}
}

/* The check ID of the xz stream whose header starts at p (n bytes left):
 * 1 is CRC32; -1 when there is no header to read (the decoder says so). */
static int xz_check_id(const uint8_t *p, size_t n)
{
	if (n < LZMA_STREAM_HEADER_SIZE ||
	    memcmp(p, xz_magic, sizeof(xz_magic)) || p[6])
		return -1;
	return p[7] & 0x0f;
}

/*
 * The blocks of the xz stream s[0, n), decoded with its CRC32 check left
 * to us, against the CRC32 each block stores, over the output they
 * decoded to (o[0, olen)); base: the stream's input offset, for messages.
 * liblzma has already checked the index against the blocks it decoded.
 */
static int xz_verify_crc32(const uint8_t *s, size_t n, const uint8_t *o,
			   size_t olen, size_t base, const char *fmt,
			   struct diag *d)
{
	lzma_index *idx = xz_stream_index(s, n);
	lzma_index_iter it;
	uint32_t blk = 0;
	int err = 0;

	if (!idx)
		goto bad_index;
	lzma_index_iter_init(&it, idx);
	while (!err && !lzma_index_iter_next(&it, LZMA_INDEX_ITER_BLOCK)) {
		uint64_t coff = it.block.compressed_file_offset;
		/* the check ends the block, after its padding */
		uint64_t tot = it.block.total_size;
		uint64_t uoff = it.block.uncompressed_file_offset;
		uint64_t usz = it.block.uncompressed_size;
		uint32_t stored, got;

		if (tot < 4 || coff > n || tot > n - coff || uoff > olen ||
		    usz > olen - uoff) {
			lzma_index_end(idx, NULL);
			goto bad_index;
		}
		stored = le32_get(s + coff + tot - 4);
		got = crc32_update(0, o + uoff, (size_t)usz);
		if (stored != got) {
			diag_set(d,
				 "%s: block %u of the stream at input byte "
				 "%zu: its %llu bytes have CRC32 %08x, the "
				 "stream says %08x: corrupt data",
				 fmt, blk, base, (unsigned long long)usz, got,
				 stored);
			err = -EINVAL;
		}
		blk++;
	}
	lzma_index_end(idx, NULL);
	return err;
bad_index:
	diag_set(d,
		 "%s: the index of the stream at input byte %zu does not "
		 "match its blocks",
		 fmt, base);
	return -EINVAL;
}

/* One xz stream (alone false) or one .lzma file (alone true) at in + base. */
static int lzma_one(bool alone, const uint8_t *in, size_t in_sz, size_t base,
		    struct obuf *b, size_t *used, struct diag *d)
{
	lzma_stream strm = LZMA_STREAM_INIT;
	/* a CRC32 stream (kernel modules: xz --check=crc32) is checked here
	 * afterwards, faster than liblzma before 5.6 does (formats/crc32.h) */
	bool own_crc = !alone && xz_check_id(in + base, in_sz - base) == 1;
	size_t out0 = b->len;
	lzma_ret ret;
	int err;

	if (alone)
		ret = lzma_alone_decoder(&strm, XZ_MEMLIMIT);
	else
		ret = lzma_stream_decoder(&strm, XZ_MEMLIMIT,
					  own_crc ? LZMA_IGNORE_CHECK : 0);
	if (ret != LZMA_OK) {
		err = xz_error(b->fmt, ret, &strm, base, d);
		goto out;
	}
	strm.next_in = in + base;
	strm.avail_in = in_sz - base;
	do {
		if (b->len == b->cap) {
			err = obuf_grow(b, 0, d);
			if (err)
				goto out;
		}
		strm.next_out = b->p + b->len;
		strm.avail_out = b->cap - b->len;
		ret = lzma_code(&strm, LZMA_FINISH);
		b->len = b->cap - strm.avail_out;
	} while (ret == LZMA_OK);
	if (ret == LZMA_BUF_ERROR && !strm.avail_in) {
		diag_set(d, "%s: truncated stream after %zu input bytes",
			 b->fmt, in_sz);
		err = -EINVAL;
		goto out;
	}
	if (ret != LZMA_STREAM_END) {
		err = xz_error(b->fmt, ret, &strm, base, d);
		goto out;
	}
	*used = (size_t)strm.total_in;
	err = own_crc ? xz_verify_crc32(in + base, *used, b->p + out0,
					b->len - out0, base, b->fmt, d)
		      : 0;
out:
	lzma_end(&strm);
	return err;
}

static int xz_all(const uint8_t *in, size_t in_sz, struct obuf *b,
		  struct diag *d)
{
	size_t base = 0; /* input offset of the current stream */
	size_t pad, used;
	uint64_t guess = xz_index_size(in, in_sz);
	int err;

	/* one spare byte so the decoder reaches the footer with room left */
	err = obuf_grow(
		b, guess ? guess_add(1, guess) : default_guess_of(b, in), d);
	if (err)
		return err;
	for (;;) {
		err = lzma_one(false, in, in_sz, base, b, &used, d);
		if (err)
			return err;
		base += used;
		b->in_used = base;
		if (b->first)
			break;

		/* stream padding, then another stream or the end */
		pad = 0;
		while (base + pad < in_sz && !in[base + pad])
			pad++;
		if (pad % 4) {
			diag_set(d,
				 "xz: stream padding of %zu bytes at input "
				 "byte %zu is not a multiple of 4",
				 pad, base);
			return -EINVAL;
		}
		base += pad;
		b->in_used = base;
		if (base == in_sz)
			break;
		if (in_sz - base < sizeof(xz_magic) ||
		    memcmp(in + base, xz_magic, sizeof(xz_magic))) {
			diag_set(d,
				 "xz: trailing garbage at input byte %zu (%zu "
				 "bytes after the last stream)",
				 base, in_sz - base);
			return -EINVAL;
		}
	}
	return 0;
}

/* .lzma: one stream, no concatenation. */
static int lzma_all(const uint8_t *in, size_t in_sz, struct obuf *b,
		    struct diag *d)
{
	uint64_t usize = 0;
	size_t used;
	int err;

	if (in_sz >= 13)
		usize = le64_get(in + 5);
	err = obuf_grow(b,
			usize && usize != UINT64_MAX ? guess_add(1, usize)
						     : default_guess_of(b, in),
			d);
	if (err)
		return err;
	err = lzma_one(true, in, in_sz, 0, b, &used, d);
	if (err)
		return err;
	b->in_used = used;
	if (!b->first && used != in_sz) {
		diag_set(d,
			 "lzma: trailing garbage at input byte %zu (%zu bytes "
			 "after the stream)",
			 used, in_sz - used);
		return -EINVAL;
	}
	return 0;
}

/* ---- zstd -------------------------------------------------------------- */

static bool zstd_frame_magic(const uint8_t *p, size_t n)
{
	uint32_t m;

	if (n < 4)
		return false;
	m = le32_get(p);
	return m == ZSTD_MAGICNUMBER ||
	       (m & ZSTD_MAGIC_SKIPPABLE_MASK) == ZSTD_MAGIC_SKIPPABLE_START;
}

/*
 * The sum of the content sizes of all frames, or 0 if one is unknown or the
 * frames cannot be walked (the decoder reports why later).
 */
static uint64_t zstd_content_size(const uint8_t *in, size_t in_sz)
{
	uint64_t sum = 0;
	size_t pos = 0;

	while (pos < in_sz) {
		unsigned long long fcs =
			ZSTD_getFrameContentSize(in + pos, in_sz - pos);
		size_t csz =
			ZSTD_findFrameCompressedSize(in + pos, in_sz - pos);

		if (fcs == ZSTD_CONTENTSIZE_UNKNOWN ||
		    fcs == ZSTD_CONTENTSIZE_ERROR || ZSTD_isError(csz) ||
		    !csz || fcs > UINT64_MAX - sum)
			return 0;
		sum += fcs;
		pos += csz;
	}
	return sum;
}

static int zstd_all(const uint8_t *in, size_t in_sz, struct obuf *b,
		    struct diag *d)
{
	ZSTD_DCtx *dctx = NULL;
	ZSTD_inBuffer ib = {in, in_sz, 0};
	ZSTD_outBuffer ob;
	unsigned long long fcs;
	uint64_t all;
	size_t frame_in = 0, frame_out = 0, ret;
	int err;

	fcs = ZSTD_getFrameContentSize(in, in_sz);
	if (b->first)
		all = fcs == ZSTD_CONTENTSIZE_UNKNOWN ||
				      fcs == ZSTD_CONTENTSIZE_ERROR
			      ? 0
			      : fcs;
	else
		all = zstd_content_size(in, in_sz);
	if (!all)
		err = obuf_grow(b, default_guess_of(b, in), d);
	else
		err = obuf_grow(b, guess_add(0, all), d);
	if (err)
		return err;
	dctx = ZSTD_createDCtx();
	if (!dctx) {
		diag_set(d, "zstd: out of memory");
		return -ENOMEM;
	}
	for (;;) {
		if (b->len == b->cap) {
			err = obuf_grow(b, 0, d);
			if (err)
				goto out;
		}
		ob.dst = b->p;
		ob.size = b->cap;
		ob.pos = b->len;
		ret = ZSTD_decompressStream(dctx, &ob, &ib);
		b->len = ob.pos;
		if (ZSTD_isError(ret)) {
			bool known = fcs != ZSTD_CONTENTSIZE_UNKNOWN &&
				     fcs != ZSTD_CONTENTSIZE_ERROR;

			if (known && ZSTD_getErrorCode(ret) ==
					     ZSTD_error_dstSize_tooSmall)
				diag_set(d,
					 "zstd: frame at input byte %zu holds "
					 "more than its content size of %llu "
					 "bytes",
					 frame_in, fcs);
			else if (known)
				diag_set(d,
					 "zstd: corrupt frame at input byte "
					 "%zu (content size %llu bytes): %s",
					 frame_in, fcs, ZSTD_getErrorName(ret));
			else
				diag_set(d,
					 "zstd: corrupt frame at input byte "
					 "%zu: %s",
					 frame_in, ZSTD_getErrorName(ret));
			err = -EINVAL;
			goto out;
		}
		if (ret == 0) {
			/* a frame is done and flushed */
			if (fcs != ZSTD_CONTENTSIZE_UNKNOWN &&
			    fcs != ZSTD_CONTENTSIZE_ERROR &&
			    fcs != b->len - frame_out) {
				diag_set(d,
					 "zstd: frame at input byte %zu "
					 "declares content size %llu but holds "
					 "%zu bytes",
					 frame_in, fcs, b->len - frame_out);
				err = -EINVAL;
				goto out;
			}
			b->in_used = ib.pos;
			if (ib.pos == in_sz || b->first)
				break;
			if (!zstd_frame_magic(in + ib.pos, in_sz - ib.pos)) {
				diag_set(d,
					 "zstd: trailing garbage at input byte "
					 "%zu (%zu bytes after the last frame)",
					 ib.pos, in_sz - ib.pos);
				err = -EINVAL;
				goto out;
			}
			frame_in = ib.pos;
			frame_out = b->len;
			fcs = ZSTD_getFrameContentSize(in + ib.pos,
						       in_sz - ib.pos);
			continue;
		}
		if (ib.pos == in_sz && ob.pos < ob.size) {
			/* room left, input used up, frame not done */
			diag_set(d,
				 "zstd: truncated frame after %zu input bytes",
				 in_sz);
			err = -EINVAL;
			goto out;
		}
	}
	err = 0;
out:
	ZSTD_freeDCtx(dctx);
	return err;
}

/* ---- gzip -------------------------------------------------------------- */

static int gzip_all(const uint8_t *in, size_t in_sz, struct obuf *b,
		    struct diag *d)
{
	z_stream zs;
	size_t in_pos = 0;     /* input consumed before zs.next_in */
	size_t member_in = 0;  /* input offset of the current member */
	size_t member_out = 0; /* output offset of the current member */
	int ret, err;

	/* ISIZE of the last member: exact for one member under 4 GiB */
	if (in_sz >= 18 && !b->first)
		err = obuf_grow(b, guess_add(1, le32_get(in + in_sz - 4)), d);
	else
		err = obuf_grow(b, default_guess_of(b, in), d);
	if (err)
		return err;
	memset(&zs, 0, sizeof(zs));
	ret = inflateInit2(&zs, 15 + 16); /* gzip wrapper only */
	if (ret != Z_OK) {
		diag_set(d, "gzip: cannot set up the decoder: %s",
			 ret == Z_MEM_ERROR ? "out of memory" : "zlib error");
		return ret == Z_MEM_ERROR ? -ENOMEM : -EINVAL;
	}
	zs.next_in = (Bytef *)in;
	zs.avail_in = 0;
	for (;;) {
		size_t room, before_out;

		/* zlib counts in uInt: feed and drain at most UINT_MAX */
		if (!zs.avail_in) {
			in_pos = (size_t)(zs.next_in - in);
			zs.avail_in = in_sz - in_pos > UINT_MAX
					      ? UINT_MAX
					      : (uInt)(in_sz - in_pos);
		}
		if (b->len == b->cap) {
			err = obuf_grow(b, 0, d);
			if (err)
				goto out;
		}
		room = b->cap - b->len;
		zs.next_out = b->p + b->len;
		zs.avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
		before_out = zs.avail_out;
		ret = inflate(&zs, Z_NO_FLUSH);
		b->len += before_out - zs.avail_out;
		in_pos = (size_t)(zs.next_in - in);
		if (ret == Z_STREAM_END) {
			uint32_t isize = le32_get(in + in_pos - 4);

			/* zlib checks it too; say so plainly if it did not */
			if (isize != (uint32_t)(b->len - member_out)) {
				diag_set(d,
					 "gzip: member at input byte %zu: "
					 "ISIZE trailer says %u bytes, output "
					 "has %zu",
					 member_in, isize, b->len - member_out);
				err = -EINVAL;
				goto out;
			}
			b->in_used = in_pos;
			if (in_pos == in_sz || b->first)
				break;
			if (in_sz - in_pos < sizeof(gzip_magic) ||
			    memcmp(in + in_pos, gzip_magic,
				   sizeof(gzip_magic))) {
				diag_set(d,
					 "gzip: trailing garbage at input byte "
					 "%zu (%zu bytes after the last "
					 "member)",
					 in_pos, in_sz - in_pos);
				err = -EINVAL;
				goto out;
			}
			/* another member: concatenated gzip is one file */
			member_in = in_pos;
			member_out = b->len;
			inflateReset(&zs);
			continue;
		}
		if (ret == Z_MEM_ERROR) {
			diag_set(d, "gzip: out of memory");
			err = -ENOMEM;
			goto out;
		}
		if (ret == Z_DATA_ERROR && zs.msg &&
		    !strcmp(zs.msg, "incorrect length check") &&
		    in_pos >= member_in + 4) {
			diag_set(d,
				 "gzip: member at input byte %zu: ISIZE "
				 "trailer says %u bytes, output has %zu "
				 "(mod 2^32)",
				 member_in, le32_get(in + in_pos - 4),
				 b->len - member_out);
			err = -EINVAL;
			goto out;
		}
		if (ret != Z_OK && ret != Z_BUF_ERROR) {
			diag_set(d,
				 "gzip: corrupt member at input byte %zu, "
				 "near byte %zu: %s",
				 member_in, in_pos,
				 zs.msg ? zs.msg : "zlib error");
			err = -EINVAL;
			goto out;
		}
		if (in_pos == in_sz && !zs.avail_in && zs.avail_out) {
			/* room left, input used up, member not done */
			diag_set(d,
				 "gzip: truncated member after %zu input bytes",
				 in_sz);
			err = -EINVAL;
			goto out;
		}
	}
	err = 0;
out:
	inflateEnd(&zs);
	return err;
}

/* ---- bzip2 ------------------------------------------------------------- */

static int bzip2_all(const uint8_t *in, size_t in_sz, struct obuf *b,
		     struct diag *d)
{
	bz_stream bz;
	size_t in_pos = 0;    /* input consumed before bz.next_in */
	size_t stream_in = 0; /* input offset of the current stream */
	bool live = false;
	int ret, err;

	err = obuf_grow(b, default_guess_of(b, in), d);
	if (err)
		return err;
	memset(&bz, 0, sizeof(bz));
	for (;;) {
		size_t room, before_out;

		if (!live) {
			ret = BZ2_bzDecompressInit(&bz, 0, 0);
			if (ret != BZ_OK) {
				diag_set(d, "bzip2: cannot set up the decoder");
				return ret == BZ_MEM_ERROR ? -ENOMEM : -EINVAL;
			}
			live = true;
			bz.next_in = (char *)in + stream_in;
			bz.avail_in = 0;
		}
		if (!bz.avail_in) {
			in_pos = (size_t)((const uint8_t *)bz.next_in - in);
			bz.avail_in = in_sz - in_pos > UINT_MAX
					      ? UINT_MAX
					      : (unsigned)(in_sz - in_pos);
		}
		if (b->len == b->cap) {
			err = obuf_grow(b, 0, d);
			if (err)
				goto out;
		}
		room = b->cap - b->len;
		bz.next_out = (char *)b->p + b->len;
		bz.avail_out = room > UINT_MAX ? UINT_MAX : (unsigned)room;
		before_out = bz.avail_out;
		ret = BZ2_bzDecompress(&bz);
		b->len += before_out - bz.avail_out;
		in_pos = (size_t)((const uint8_t *)bz.next_in - in);
		if (ret == BZ_STREAM_END) {
			BZ2_bzDecompressEnd(&bz);
			live = false;
			b->in_used = in_pos;
			if (in_pos == in_sz || b->first)
				break;
			if (!bzip2_header(in + in_pos, in_sz - in_pos)) {
				diag_set(
					d,
					"bzip2: trailing garbage at input byte "
					"%zu (%zu bytes after the last "
					"stream)",
					in_pos, in_sz - in_pos);
				err = -EINVAL;
				goto out;
			}
			stream_in = in_pos;
			continue;
		}
		if (ret == BZ_MEM_ERROR) {
			diag_set(d, "bzip2: out of memory");
			err = -ENOMEM;
			goto out;
		}
		if (ret != BZ_OK) {
			diag_set(d,
				 "bzip2: corrupt stream at input byte %zu, "
				 "near byte %zu (error %d)",
				 stream_in, in_pos, ret);
			err = -EINVAL;
			goto out;
		}
		if (in_pos == in_sz && !bz.avail_in && bz.avail_out) {
			diag_set(d,
				 "bzip2: truncated stream after %zu input "
				 "bytes",
				 in_sz);
			err = -EINVAL;
			goto out;
		}
	}
	err = 0;
out:
	if (live)
		BZ2_bzDecompressEnd(&bz);
	return err;
}

/* ---- lz4 legacy -------------------------------------------------------- */

#define LZ4_LEGACY_BLOCK (8U << 20)

/*
 * Decodes one block into the output. The block expands to at most 8 MiB; when
 * the cap leaves less room than that, decode into a scratch buffer to tell
 * an over-cap block from a corrupt one.
 */
static int lz4_block(const uint8_t *src, uint32_t src_sz, size_t at,
		     struct obuf *b, int *out_n, struct diag *d)
{
	uint8_t *scratch;
	int n, err;

	err = obuf_reserve(b, LZ4_LEGACY_BLOCK, d);
	if (!err) {
		n = LZ4_decompress_safe((const char *)src,
					(char *)b->p + b->len, (int)src_sz,
					(int)LZ4_LEGACY_BLOCK);
		if (n < 0)
			goto corrupt;
		*out_n = n;
		return 0;
	}
	if (err != -EFBIG)
		return err;
	scratch = malloc(LZ4_LEGACY_BLOCK);
	if (!scratch) {
		diag_set(d, "lz4: out of memory");
		return -ENOMEM;
	}
	n = LZ4_decompress_safe((const char *)src, (char *)scratch, (int)src_sz,
				(int)LZ4_LEGACY_BLOCK);
	if (n >= 0) {
		err = obuf_reserve(b, (size_t)n, d);
		if (!err)
			memcpy(b->p + b->len, scratch, (size_t)n);
	}
	free(scratch);
	if (n < 0)
		goto corrupt;
	*out_n = n;
	return err;
corrupt:
	diag_set(d, "lz4: corrupt block at input byte %zu", at);
	return -EINVAL;
}

static int lz4_legacy_all(const uint8_t *in, size_t in_sz, struct obuf *b,
			  struct diag *d)
{
	const uint32_t bound = LZ4_COMPRESSBOUND(LZ4_LEGACY_BLOCK);
	size_t pos = 0;
	bool full = true; /* another block may follow: frame start, or the
			     last block expanded to a whole 8 MiB */
	uint32_t csz;
	int n, err;

	if (in_sz < 4 || memcmp(in, lz4_legacy_magic, 4)) {
		diag_set(d, "lz4: no legacy frame magic at input byte 0");
		return -EINVAL;
	}
	err = obuf_grow(b, default_guess_of(b, in), d);
	if (err)
		return err;
	pos = 4;
	for (;;) {
		if (pos == in_sz)
			break;
		if (in_sz - pos >= 4 &&
		    !memcmp(in + pos, lz4_legacy_magic, 4)) {
			if (b->first)
				break;
			pos += 4; /* another frame: one stream in effect */
			full = true;
			continue;
		}
		if (!full)
			break; /* a short block ends the frame */
		if (in_sz - pos < 4) {
			if (b->first)
				break; /* whole blocks, then a few bytes */
			diag_set(d,
				 "lz4: truncated block size at input byte %zu",
				 pos);
			return -EINVAL;
		}
		csz = le32_get(in + pos);
		/*
		 * After a whole block, decomp_first() ends the frame at what
		 * cannot be a block: 0 (padding), over the bound, or the
		 * kernel's appended size (the output so far).
		 */
		if (b->first && (!csz || csz > bound || csz == b->len))
			break;
		if (!csz || csz > bound || csz > in_sz - pos - 4) {
			if (csz > in_sz - pos - 4 && csz <= bound)
				diag_set(d,
					 "lz4: truncated block at input byte "
					 "%zu (%u bytes, %zu left)",
					 pos, csz, in_sz - pos - 4);
			else
				diag_set(d,
					 "lz4: bad block size %u at input byte "
					 "%zu",
					 csz, pos);
			return -EINVAL;
		}
		err = lz4_block(in + pos + 4, csz, pos, b, &n, d);
		if (err)
			return err;
		b->len += (size_t)n;
		pos += 4 + (size_t)csz;
		b->in_used = pos;
		full = (uint32_t)n == LZ4_LEGACY_BLOCK;
	}
	b->in_used = pos;
	if (!b->first && pos != in_sz) {
		diag_set(d,
			 "lz4: trailing garbage at input byte %zu (%zu bytes "
			 "after the last block)",
			 pos, in_sz - pos);
		return -EINVAL;
	}
	return 0;
}

/* ---- lzo (lzop) -------------------------------------------------------- */

/* lzop header flags (lzop's conf.h) */
#define LZOP_ADLER32_D	   0x00000001U
#define LZOP_ADLER32_C	   0x00000002U
#define LZOP_H_EXTRA_FIELD 0x00000040U
#define LZOP_CRC32_D	   0x00000100U
#define LZOP_CRC32_C	   0x00000200U
#define LZOP_H_FILTER	   0x00000800U
#define LZOP_MAX_BLOCK	   (64U << 20)

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Reads n header bytes at *pos, or fails as truncated. */
static const uint8_t *lzop_take(const uint8_t *in, size_t in_sz, size_t *pos,
				size_t n)
{
	const uint8_t *p = in + *pos;

	if (in_sz - *pos < n)
		return NULL;
	*pos += n;
	return p;
}

static int lzop_all(const uint8_t *in, size_t in_sz, struct obuf *b,
		    struct diag *d)
{
	const uint8_t *p;
	size_t pos = sizeof(lzop_magic), blk;
	uint32_t flags, dst_len, src_len, sum_ad = 0, sum_crc = 0;
	unsigned version, method;
	int err;

	if (in_sz < sizeof(lzop_magic) ||
	    memcmp(in, lzop_magic, sizeof(lzop_magic))) {
		diag_set(d, "lzo: no lzop magic at input byte 0");
		return -EINVAL;
	}
	if (lzo_init() != LZO_E_OK) {
		diag_set(d, "lzo: liblzo2 failed to initialize");
		return -EINVAL;
	}
	/* header: version, lib version, [version needed], method, [level] */
	if (!(p = lzop_take(in, in_sz, &pos, 4)))
		goto trunc_hdr;
	version = (unsigned)p[0] << 8 | p[1];
	if (version >= 0x0940 && !lzop_take(in, in_sz, &pos, 2))
		goto trunc_hdr;
	if (!(p = lzop_take(in, in_sz, &pos, 1)))
		goto trunc_hdr;
	method = p[0];
	if (method < 1 || method > 3) {
		diag_set(d, "lzo: unsupported method %u (only LZO1X)", method);
		return -EINVAL;
	}
	if (version >= 0x0940 && !lzop_take(in, in_sz, &pos, 1))
		goto trunc_hdr;
	if (!(p = lzop_take(in, in_sz, &pos, 4)))
		goto trunc_hdr;
	flags = be32(p);
	if (flags & LZOP_H_FILTER && !lzop_take(in, in_sz, &pos, 4))
		goto trunc_hdr;
	/* mode, mtime low, [mtime high] */
	if (!lzop_take(in, in_sz, &pos, version >= 0x0940 ? 12 : 8))
		goto trunc_hdr;
	if (!(p = lzop_take(in, in_sz, &pos, 1)) ||
	    !lzop_take(in, in_sz, &pos, (size_t)p[0] + 4)) /* name, checksum */
		goto trunc_hdr;
	if (flags & LZOP_H_EXTRA_FIELD) {
		if (!(p = lzop_take(in, in_sz, &pos, 4)) ||
		    be32(p) > in_sz - pos ||
		    !lzop_take(in, in_sz, &pos, (size_t)be32(p) + 4))
			goto trunc_hdr;
	}
	err = obuf_grow(b, default_guess_of(b, in), d);
	if (err)
		return err;

	for (;;) {
		blk = pos;
		if (!(p = lzop_take(in, in_sz, &pos, 4)))
			goto trunc;
		dst_len = be32(p);
		if (!dst_len)
			break; /* end of file */
		if (!(p = lzop_take(in, in_sz, &pos, 4)))
			goto trunc;
		src_len = be32(p);
		if (dst_len > LZOP_MAX_BLOCK || src_len > dst_len) {
			diag_set(d,
				 "lzo: bad block at input byte %zu (%u bytes "
				 "expanding to %u)",
				 blk, src_len, dst_len);
			return -EINVAL;
		}
		/* checksums: each flag has its own, adler32 first */
		if (flags & LZOP_ADLER32_D) {
			if (!(p = lzop_take(in, in_sz, &pos, 4)))
				goto trunc;
			sum_ad = be32(p);
		}
		if (flags & LZOP_CRC32_D) {
			if (!(p = lzop_take(in, in_sz, &pos, 4)))
				goto trunc;
			sum_crc = be32(p);
		}
		/* those of the compressed data: the decoder and the
		 * uncompressed checksums catch what they would */
		if (src_len < dst_len && flags & LZOP_ADLER32_C &&
		    !lzop_take(in, in_sz, &pos, 4))
			goto trunc;
		if (src_len < dst_len && flags & LZOP_CRC32_C &&
		    !lzop_take(in, in_sz, &pos, 4))
			goto trunc;
		if (!(p = lzop_take(in, in_sz, &pos, src_len)))
			goto trunc;
		err = obuf_reserve(b, dst_len, d);
		if (err)
			return err;
		if (src_len == dst_len) {
			memcpy(b->p + b->len, p, dst_len); /* stored */
		} else {
			lzo_uint n = dst_len;
			int r = lzo1x_decompress_safe(p, src_len, b->p + b->len,
						      &n, NULL);

			if (r != LZO_E_OK || n != dst_len) {
				diag_set(d,
					 "lzo: corrupt block at input byte %zu "
					 "(error %d)",
					 blk, r);
				return -EINVAL;
			}
		}
		if (flags & LZOP_ADLER32_D &&
		    (uint32_t)adler32(1, b->p + b->len, dst_len) != sum_ad)
			goto bad_sum;
		if (flags & LZOP_CRC32_D &&
		    (uint32_t)crc32(0, b->p + b->len, dst_len) != sum_crc)
			goto bad_sum;
		b->len += dst_len;
	}
	b->in_used = pos;
	if (!b->first && pos != in_sz) {
		diag_set(d,
			 "lzo: trailing garbage at input byte %zu (%zu bytes "
			 "after the end mark)",
			 pos, in_sz - pos);
		return -EINVAL;
	}
	return 0;
trunc_hdr:
	diag_set(d, "lzo: truncated header (%zu input bytes)", in_sz);
	return -EINVAL;
trunc:
	diag_set(d, "lzo: truncated block at input byte %zu (%zu input bytes)",
		 blk, in_sz);
	return -EINVAL;
bad_sum:
	diag_set(d, "lzo: checksum mismatch in block at input byte %zu", blk);
	return -EINVAL;
}

static int decomp_run(enum decomp_kind kind, const void *in, size_t in_sz,
		      const struct decomp_caps *caps, bool first, void **out,
		      size_t *out_sz, size_t *in_used, struct diag *d)
{
	struct obuf b;
	int err;

	*out = NULL;
	*out_sz = 0;
	if (in_used)
		*in_used = 0;
	if (!in && in_sz) {
		diag_set(d, "no input");
		return -EINVAL;
	}
	if (!in)
		in = "";
	obuf_init(&b, caps, in_sz, decomp_kind_str(kind));
	b.first = first;
	switch (kind) {
	case DECOMP_XZ:
		err = xz_all(in, in_sz, &b, d);
		break;
	case DECOMP_ZSTD:
		err = zstd_all(in, in_sz, &b, d);
		break;
	case DECOMP_GZIP:
		err = gzip_all(in, in_sz, &b, d);
		break;
	case DECOMP_LZMA:
		err = lzma_all(in, in_sz, &b, d);
		break;
	case DECOMP_BZIP2:
		err = bzip2_all(in, in_sz, &b, d);
		break;
	case DECOMP_LZ4_LEGACY:
		err = lz4_legacy_all(in, in_sz, &b, d);
		break;
	case DECOMP_LZO:
		err = lzop_all(in, in_sz, &b, d);
		break;
	default:
		diag_set(d, "not a compressed stream (no xz, zstd, gzip, lzma, "
			    "bzip2, lz4 or lzop magic)");
		return -EINVAL;
	}
	if (!err && b.len > b.limit)
		err = obuf_over_cap(&b, d);
	if (err) {
		free(b.p);
		return err;
	}
	*out = b.p;
	*out_sz = b.len;
	if (in_used)
		*in_used = b.in_used;
	return 0;
}

int decomp_all(enum decomp_kind kind, const void *in, size_t in_sz,
	       const struct decomp_caps *caps, void **out, size_t *out_sz,
	       struct diag *d)
{
	return decomp_run(kind, in, in_sz, caps, false, out, out_sz, NULL, d);
}

int decomp_first(enum decomp_kind kind, const void *in, size_t in_sz,
		 const struct decomp_caps *caps, void **out, size_t *out_sz,
		 size_t *in_used, struct diag *d)
{
	return decomp_run(kind, in, in_sz, caps, true, out, out_sz, in_used, d);
}

/*
 * Encoders, for module files written back (btfar rebase --elf), with the
 * settings of the kernel's scripts/Makefile.modinst: xz --check=crc32
 * --lzma2=dict=1MiB (the in-kernel decoder knows CRC32, not CRC64), zstd at
 * its default level, gzip -n (no name, mtime 0) at its default level 6.
 */
static int xz_encode(const void *in, size_t in_sz, void **out, size_t *out_sz,
		     struct diag *d)
{
	lzma_options_lzma opt;
	lzma_filter filters[2];
	size_t bound = lzma_stream_buffer_bound(in_sz), pos = 0;
	uint8_t *p;
	lzma_ret ret;

	if (lzma_lzma_preset(&opt, LZMA_PRESET_DEFAULT)) {
		diag_set(d, "xz: cannot set up the encoder");
		return -EINVAL;
	}
	opt.dict_size = 1u << 20;
	filters[0] = (lzma_filter){LZMA_FILTER_LZMA2, &opt};
	filters[1] = (lzma_filter){LZMA_VLI_UNKNOWN, NULL};
	p = bound ? malloc(bound) : NULL;
	if (!p) {
		diag_set(d, "xz: out of memory for %zu bytes", bound);
		return -ENOMEM;
	}
	ret = lzma_stream_buffer_encode(filters, LZMA_CHECK_CRC32, NULL, in,
					in_sz, p, &pos, bound);
	if (ret != LZMA_OK) {
		free(p);
		diag_set(d, "xz: encoder error %d", (int)ret);
		return ret == LZMA_MEM_ERROR ? -ENOMEM : -EINVAL;
	}
	*out = p;
	*out_sz = pos;
	return 0;
}

static int zstd_encode(const void *in, size_t in_sz, void **out, size_t *out_sz,
		       struct diag *d)
{
	size_t bound = ZSTD_compressBound(in_sz), n;
	void *p = malloc(bound ? bound : 1);

	if (!p) {
		diag_set(d, "zstd: out of memory for %zu bytes", bound);
		return -ENOMEM;
	}
	n = ZSTD_compress(p, bound, in, in_sz, ZSTD_CLEVEL_DEFAULT);
	if (ZSTD_isError(n)) {
		free(p);
		diag_set(d, "zstd: %s", ZSTD_getErrorName(n));
		return -EINVAL;
	}
	*out = p;
	*out_sz = n;
	return 0;
}

static int gzip_encode(const void *in, size_t in_sz, void **out, size_t *out_sz,
		       struct diag *d)
{
	z_stream s = {0};
	size_t bound;
	uint8_t *p;
	int ret;

	if (in_sz > UINT_MAX) {
		diag_set(d, "gzip: input of %zu bytes too large", in_sz);
		return -EFBIG;
	}
	/* 15 + 16: a gzip wrapper with a zeroed header (no name, mtime 0) */
	if (deflateInit2(&s, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK) {
		diag_set(d, "gzip: cannot set up the encoder");
		return -ENOMEM;
	}
	bound = deflateBound(&s, (uLong)in_sz);
	p = malloc(bound);
	if (!p) {
		deflateEnd(&s);
		diag_set(d, "gzip: out of memory for %zu bytes", bound);
		return -ENOMEM;
	}
	s.next_in = (Bytef *)in;
	s.avail_in = (uInt)in_sz;
	s.next_out = p;
	s.avail_out = (uInt)(bound > UINT_MAX ? UINT_MAX : bound);
	ret = deflate(&s, Z_FINISH);
	if (ret != Z_STREAM_END) {
		deflateEnd(&s);
		free(p);
		diag_set(d, "gzip: encoder error %d", ret);
		return -EINVAL;
	}
	*out = p;
	*out_sz = s.total_out;
	deflateEnd(&s);
	return 0;
}

int decomp_encode(enum decomp_kind kind, const void *in, size_t in_sz,
		  void **out, size_t *out_sz, struct diag *d)
{
	*out = NULL;
	*out_sz = 0;
	if (!in)
		in = "";
	switch (kind) {
	case DECOMP_XZ:
		return xz_encode(in, in_sz, out, out_sz, d);
	case DECOMP_ZSTD:
		return zstd_encode(in, in_sz, out, out_sz, d);
	case DECOMP_GZIP:
		return gzip_encode(in, in_sz, out, out_sz, d);
	default:
		diag_set(d, "no encoder for %s", decomp_kind_str(kind));
		return -ENOTSUP;
	}
}
