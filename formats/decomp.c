// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * decomp: whole-buffer decompression of kernel modules.
 *
 * Every format decodes straight into one growing output buffer (no staging
 * copies). The first allocation is a guess that is exact for well-formed
 * single-stream modules, so the usual module costs one malloc() and no
 * realloc():
 *   xz    the uncompressed size from the index of the last stream,
 *   zstd  the sum of the frame content sizes (which also lets libzstd take its
 *         single-pass path, decoding without its window buffer),
 *   gzip  the ISIZE trailer of the last member;
 * else four times the input. Past the guess the buffer doubles, never beyond
 * the cap + 1 bytes: reaching the cap + 1st byte is how an over-cap stream
 * shows.
 *
 * After each stream (xz), frame (zstd) or member (gzip) the rest of the input
 * must be another one (for xz after stream padding); anything else is
 * trailing garbage, reported with its offset. The input running out inside a
 * stream is reported as truncated.
 */
#include "decomp.h"

#include <errno.h>
#include <limits.h>
#include <lzma.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

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
	case DECOMP_NONE:
		break;
	}
	return "none";
}

/* The output buffer, shared by the three decoders. */
struct obuf {
	uint8_t *p;
	size_t len;    /* bytes decoded so far */
	size_t cap;    /* bytes allocated */
	size_t limit;  /* most bytes allowed: the tighter of the two caps */
	bool by_ratio; /* limit comes from max_ratio, not max_out */
	uint64_t max_ratio;
	size_t in_sz;
	const char *fmt; /* "xz", "zstd", "gzip", for messages */
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

static size_t default_guess(size_t in_sz)
{
	return in_sz > SIZE_MAX / 4 ? SIZE_MAX : in_sz * 4;
}

/* ---- xz ---------------------------------------------------------------- */

/*
 * The uncompressed size recorded in the index of the xz stream that ends at
 * in + in_sz, or 0 if it cannot be read (the decoder reports why later).
 */
static uint64_t xz_index_size(const uint8_t *in, size_t in_sz)
{
	lzma_stream_flags flags;
	lzma_index *idx = NULL;
	uint64_t memlimit = 16U << 20, size = 0;
	size_t pos = 0, idx_off;

	/* stream padding: NUL bytes in fours */
	while (in_sz >= 4 && !in[in_sz - 1] && !in[in_sz - 2] &&
	       !in[in_sz - 3] && !in[in_sz - 4])
		in_sz -= 4;
	if (in_sz < 2 * LZMA_STREAM_HEADER_SIZE)
		return 0;
	if (lzma_stream_footer_decode(
		    &flags, in + in_sz - LZMA_STREAM_HEADER_SIZE) != LZMA_OK)
		return 0;
	if (flags.backward_size > in_sz - 2 * LZMA_STREAM_HEADER_SIZE)
		return 0;
	idx_off = in_sz - LZMA_STREAM_HEADER_SIZE - (size_t)flags.backward_size;
	if (lzma_index_buffer_decode(&idx, &memlimit, NULL, in + idx_off, &pos,
				     (size_t)flags.backward_size) == LZMA_OK) {
		size = lzma_index_uncompressed_size(idx);
		lzma_index_end(idx, NULL);
	}
	return size;
}

static int xz_error(lzma_ret ret, const lzma_stream *strm, size_t base,
		    struct diag *d)
{
	size_t at = base + (size_t)strm->total_in;

	switch (ret) {
	case LZMA_MEM_ERROR:
		diag_set(d, "xz: out of memory");
		return -ENOMEM;
	case LZMA_MEMLIMIT_ERROR:
		diag_set(d,
			 "xz: stream at input byte %zu needs %llu bytes of "
			 "decoder memory, over the limit of %llu",
			 base, (unsigned long long)lzma_memusage(strm),
			 (unsigned long long)XZ_MEMLIMIT);
		return -EFBIG;
	case LZMA_FORMAT_ERROR:
		diag_set(d, "xz: bad stream header at input byte %zu", base);
		return -EINVAL;
	case LZMA_OPTIONS_ERROR:
		diag_set(d,
			 "xz: unsupported options in stream at input byte %zu",
			 base);
		return -EINVAL;
	case LZMA_DATA_ERROR:
		diag_set(d, "xz: corrupt data near input byte %zu", at);
		return -EINVAL;
	default:
		diag_set(d, "xz: decoder error %d near input byte %zu",
			 (int)ret, at);
		return -EINVAL;
	}
}

static int xz_all(const uint8_t *in, size_t in_sz, struct obuf *b,
		  struct diag *d)
{
	lzma_stream strm = LZMA_STREAM_INIT;
	size_t base = 0; /* input offset of the current stream */
	size_t pad;
	lzma_ret ret;
	int err;

	/* one spare byte so the decoder reaches the footer with room left */
	err = obuf_grow(b, guess_add(1, xz_index_size(in, in_sz)), d);
	if (err)
		return err;
	for (;;) {
		/* one stream */
		ret = lzma_stream_decoder(&strm, XZ_MEMLIMIT, 0);
		if (ret != LZMA_OK) {
			err = xz_error(ret, &strm, base, d);
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
			diag_set(d,
				 "xz: truncated stream after %zu input bytes",
				 in_sz);
			err = -EINVAL;
			goto out;
		}
		if (ret != LZMA_STREAM_END) {
			err = xz_error(ret, &strm, base, d);
			goto out;
		}
		base += (size_t)strm.total_in;

		/* stream padding, then another stream or the end */
		pad = 0;
		while (base + pad < in_sz && !in[base + pad])
			pad++;
		if (pad % 4) {
			diag_set(d,
				 "xz: stream padding of %zu bytes at input "
				 "byte %zu is not a multiple of 4",
				 pad, base);
			err = -EINVAL;
			goto out;
		}
		base += pad;
		if (base == in_sz)
			break;
		if (in_sz - base < sizeof(xz_magic) ||
		    memcmp(in + base, xz_magic, sizeof(xz_magic))) {
			diag_set(d,
				 "xz: trailing garbage at input byte %zu (%zu "
				 "bytes after the last stream)",
				 base, in_sz - base);
			err = -EINVAL;
			goto out;
		}
	}
	err = 0;
out:
	lzma_end(&strm);
	return err;
}

/* ---- zstd -------------------------------------------------------------- */

static bool zstd_frame_magic(const uint8_t *p, size_t n)
{
	uint32_t m;

	if (n < 4)
		return false;
	m = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
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

	all = zstd_content_size(in, in_sz);
	if (!all)
		err = obuf_grow(b, default_guess(in_sz), d);
	else
		err = obuf_grow(b, guess_add(0, all), d);
	if (err)
		return err;
	dctx = ZSTD_createDCtx();
	if (!dctx) {
		diag_set(d, "zstd: out of memory");
		return -ENOMEM;
	}
	fcs = ZSTD_getFrameContentSize(in, in_sz);
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
			if (ib.pos == in_sz)
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

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static int gzip_all(const uint8_t *in, size_t in_sz, struct obuf *b,
		    struct diag *d)
{
	z_stream zs;
	size_t in_pos = 0;     /* input consumed before zs.next_in */
	size_t member_in = 0;  /* input offset of the current member */
	size_t member_out = 0; /* output offset of the current member */
	int ret, err;

	/* ISIZE of the last member: exact for one member under 4 GiB */
	if (in_sz >= 18)
		err = obuf_grow(b, guess_add(1, le32(in + in_sz - 4)), d);
	else
		err = obuf_grow(b, default_guess(in_sz), d);
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
			uint32_t isize = le32(in + in_pos - 4);

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
			if (in_pos == in_sz)
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
				 member_in, le32(in + in_pos - 4),
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

int decomp_all(enum decomp_kind kind, const void *in, size_t in_sz,
	       const struct decomp_caps *caps, void **out, size_t *out_sz,
	       struct diag *d)
{
	struct obuf b;
	int err;

	*out = NULL;
	*out_sz = 0;
	if (!in && in_sz) {
		diag_set(d, "no input");
		return -EINVAL;
	}
	if (!in)
		in = "";
	obuf_init(&b, caps, in_sz, decomp_kind_str(kind));
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
	default:
		diag_set(d,
			 "not a compressed stream (no xz, zstd or gzip magic)");
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
	return 0;
}
