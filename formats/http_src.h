/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * http_src: a btfa source (btfa.h) over HTTP range requests (libcurl), for
 * reading an archive at an http:// or https:// URL without downloading it:
 * the header, the part of the index needed and the frames of one entry.
 *
 * Each read is one GET with a Range header, answered 206 with the range
 * asked for. A server that answers 200 (ignoring ranges) is refused at the
 * first read unless full downloads are allowed (then the whole file is
 * read once and served from memory). Redirects are followed (http and
 * https only, at most 5). A transfer that is cut or stalls (no byte for
 * timeout seconds) is retried with a range starting after the bytes
 * already received, at most retries times per read; HTTP 5xx is retried
 * too, other statuses are final.
 *
 * Cache: once bound to the archive's index SHA-256 (the reader does that
 * after the header), every read is kept as a file under
 * cache_dir/<url hash>-<index sha256>/<offset>-<size> and served from
 * there the next time; the header is never cached, so a changed archive is
 * a new key. What the cache serves is checked by the reader like anything
 * else (index SHA-256, blob SHA-256, signature).
 */
#ifndef BTFAR_FORMATS_HTTP_SRC_H
#define BTFAR_FORMATS_HTTP_SRC_H

#include <stdbool.h>
#include <stdint.h>

#include "btfa.h"

struct http_src_opts {
	int timeout;	       /* seconds without a byte; 0: 30 */
	int retries;	       /* per read; 0: 3, -1: none */
	bool allow_full;       /* a server without ranges: read it whole */
	const char *cache_dir; /* NULL: no cache */
};

/* true for http:// and https:// URLs. */
bool http_src__is_url(const char *s);
/* Opens url: one range request for the first bytes (the size from its
 * Content-Range). NULL and errno on failure, the reason in d. */
struct btfa_src *http_src__open(const char *url, const struct http_src_opts *o,
				struct diag *d);

/* What a source fetched: body bytes received from the server (cache hits
 * excluded), requests made, reads served from the cache. */
struct http_src_stats {
	uint64_t fetched;
	uint64_t requests;
	uint64_t cache_hits;
	uint64_t cache_bytes;
};
void http_src__stats(const struct btfa_src *s, struct http_src_stats *st);

#endif /* BTFAR_FORMATS_HTTP_SRC_H */
