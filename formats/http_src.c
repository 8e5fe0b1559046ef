// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * http_src: a btfa source over HTTP range requests (http_src.h).
 *
 * get_range() is the one transfer: a GET of bytes [off, off + size) into
 * the caller's buffer, the write callback refusing anything but a 206 for
 * exactly that range (a 200 is a server ignoring ranges; more bytes than
 * asked for is a server that answers another range). A cut or stalled
 * transfer (libcurl's low-speed limit: under 1 byte/s for timeout seconds)
 * or a 5xx is retried from the first byte not yet received; the bytes
 * received count as fetched whatever happens to them.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "file.h"
#include "hex.h"
#include "http_src.h"
#include "sha256.h"

#define HTTP_MAX_REDIRS 5

struct http_src {
	struct btfa_src s;
	CURL *curl;
	char *url;
	struct http_src_opts o;
	char *cache_root; /* the cache's directory, or NULL */
	char *cache;	  /* cache directory of this archive, once bound */
	uint8_t head[BTFA_HDR_SIZE]; /* the first bytes, read at open */
	uint8_t *full; /* allow_full: the whole file, when the server
			  ignored ranges */
	struct http_src_stats st;
};

/* One transfer in progress. */
struct xfer {
	struct http_src *h;
	uint8_t *buf;
	size_t want; /* bytes asked for in this request */
	size_t got;  /* of them received */
	size_t at;   /* got when this request was made: where it starts */
	uint64_t off;
	/* a 200 (no ranges) read whole into h->full: growing buffer */
	bool full;
	size_t full_cap;
	long status;
	const char *fault; /* why the write callback stopped the transfer */
	uint64_t cr_first, cr_total; /* Content-Range of the answer */
	bool cr_seen;
};

/*
 * libcurl, loaded the first time a URL is opened rather than linked: with
 * the 25 libraries it brings (TLS, Kerberos, LDAP, IDN, ...), loading it
 * took 4 of the 6.5 ms every btfar command spent before main() (a get of
 * a whole entry takes about 100 ms), and only remote archives use it.
 * Packages therefore depend on libcurl4 by name.
 */
struct curl_api {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
	CURLcode (*easy_perform)(CURL *curl);
	CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *curl);
	const char *(*easy_strerror)(CURLcode code);
};

/* Where dlsym() puts each function of struct curl_api. */
static const struct {
	const char *name;
	size_t off;
} curl_syms[] = {
	{"curl_global_init", offsetof(struct curl_api, global_init)},
	{"curl_easy_init", offsetof(struct curl_api, easy_init)},
	{"curl_easy_setopt", offsetof(struct curl_api, easy_setopt)},
	{"curl_easy_perform", offsetof(struct curl_api, easy_perform)},
	{"curl_easy_getinfo", offsetof(struct curl_api, easy_getinfo)},
	{"curl_easy_cleanup", offsetof(struct curl_api, easy_cleanup)},
	{"curl_easy_strerror", offsetof(struct curl_api, easy_strerror)},
};

static struct curl_api cu;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static bool curl_ok;
static char curl_why[160];

static void curl_init_once(void)
{
	static const char *const sonames[] = {"libcurl.so.4",
					      "libcurl-gnutls.so.4"};
	const char *soname = NULL;
	void *lib = NULL;
	size_t i;

	for (i = 0; !lib && i < sizeof(sonames) / sizeof(sonames[0]); i++) {
		soname = sonames[i];
		lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	}
	if (!lib) {
		snprintf(curl_why, sizeof(curl_why),
			 "remote archives need libcurl (libcurl4): %s",
			 dlerror());
		return;
	}
	for (i = 0; i < sizeof(curl_syms) / sizeof(curl_syms[0]); i++) {
		void *sym = dlsym(lib, curl_syms[i].name);

		if (!sym) {
			snprintf(curl_why, sizeof(curl_why), "%s has no %s",
				 soname, curl_syms[i].name);
			return;
		}
		/* a function pointer from dlsym()'s void *, as POSIX has it */
		memcpy((char *)&cu + curl_syms[i].off, &sym, sizeof(sym));
	}
	curl_ok = cu.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
	if (!curl_ok)
		snprintf(curl_why, sizeof(curl_why),
			 "libcurl cannot initialise");
}

bool http_src__is_url(const char *s)
{
	return !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8);
}

static size_t on_header(char *p, size_t sz, size_t n, void *ctx)
{
	struct xfer *x = ctx;
	size_t len = sz * n;
	char line[256];
	unsigned long long a, b, t;

	if (len >= sizeof(line))
		return len;
	memcpy(line, p, len);
	line[len] = '\0';
	if (!strncmp(line, "HTTP/", 5)) {
		/* a new response (after a redirect): forget the last one's */
		x->cr_seen = false;
		return len;
	}
	if (!strncasecmp(line, "content-range:", 14) &&
	    sscanf(line + 14, " bytes %llu-%llu/%llu", &a, &b, &t) == 3) {
		x->cr_first = a;
		x->cr_total = t;
		x->cr_seen = true;
	}
	return len;
}

static size_t on_body(char *p, size_t sz, size_t n, void *ctx)
{
	struct xfer *x = ctx;
	size_t len = sz * n;

	x->h->st.fetched += len;
	if (!x->status)
		cu.easy_getinfo(x->h->curl, CURLINFO_RESPONSE_CODE, &x->status);
	if (x->status == 200 && x->h->o.allow_full && !x->full && !x->got &&
	    x->off == 0) {
		x->full =
			true; /* the whole file follows, into its own buffer */
		x->buf = NULL;
	}
	if (x->full) {
		if (x->got + len > x->full_cap) {
			size_t cap = x->full_cap ? x->full_cap : 1 << 20;
			uint8_t *q;

			while (cap < x->got + len)
				cap *= 2;
			q = realloc(x->buf, cap);
			if (!q) {
				x->fault = "out of memory";
				return 0;
			}
			x->buf = q;
			x->full_cap = cap;
		}
		memcpy(x->buf + x->got, p, len);
		x->got += len;
		return len;
	}
	if (x->status == 200) {
		x->fault = "the server ignores range requests (it answered "
			   "200 with the whole file; --allow-full-download "
			   "reads it whole)";
		return 0;
	}
	if (x->status != 206)
		return len; /* an error page: the status says it */
	if (!x->cr_seen || x->cr_first != x->off + x->at) {
		x->fault = "the server answered another range than asked";
		return 0;
	}
	if (len > x->want - x->got) {
		x->fault = "the server sent more bytes than asked";
		return 0;
	}
	memcpy(x->buf + x->got, p, len);
	x->got += len;
	return len;
}

static bool retryable(CURLcode c)
{
	switch (c) {
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_COULDNT_CONNECT:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static void pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/*
 * Bytes [off, off + size) into buf (full: the whole file into x->buf, off
 * 0, size ignored), retried from the first missing byte. 0 or a negative
 * errno with d set.
 */
static int get_range(struct http_src *h, uint8_t *buf, size_t size,
		     uint64_t off, struct xfer *out, struct diag *d)
{
	int tries = h->o.retries < 0 ? 0 : h->o.retries ? h->o.retries : 3;
	struct xfer x = {.h = h, .buf = buf, .want = size, .off = off};
	char range[64], why[CURL_ERROR_SIZE + 128] = "";
	char ebuf[CURL_ERROR_SIZE];
	int attempt;

	for (attempt = 0; attempt <= tries; attempt++) {
		size_t before = x.got;
		CURLcode c;

		if (attempt)
			pause_ms(100L * attempt);
		x.status = 0;
		x.fault = NULL;
		x.cr_seen = false;
		x.at = x.got;
		snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64,
			 off + x.got, off + size - 1);
		ebuf[0] = '\0';
		cu.easy_setopt(h->curl, CURLOPT_RANGE, range);
		cu.easy_setopt(h->curl, CURLOPT_WRITEDATA, &x);
		cu.easy_setopt(h->curl, CURLOPT_HEADERDATA, &x);
		cu.easy_setopt(h->curl, CURLOPT_ERRORBUFFER, ebuf);
		h->st.requests++;
		c = cu.easy_perform(h->curl);
		cu.easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &x.status);
		*out = x;
		if (x.full && c == CURLE_OK)
			return 0;
		if (x.full) { /* a cut full download is not resumed */
			free(x.buf);
			out->buf = NULL;
			x.buf = buf;
			x.full = false;
			x.full_cap = 0;
			x.got = 0;
		}
		if (x.fault) {
			diag_set(d, "bytes %s: %s", range, x.fault);
			return x.status == 200 ? -EOPNOTSUPP : -EPROTO;
		}
		if (c == CURLE_OK && x.status == 206 && x.got == size)
			return 0;
		if (c == CURLE_OK && x.status == 206) {
			/* a short answer: ask for the rest */
			snprintf(why, sizeof(why), "%zu of %zu bytes received",
				 x.got, size);
		} else if (c == CURLE_OK || c == CURLE_HTTP_RETURNED_ERROR) {
			snprintf(why, sizeof(why), "HTTP %ld", x.status);
			if (x.status == 416) {
				diag_set(d,
					 "bytes %s: HTTP 416 (range not "
					 "satisfiable: the file is shorter "
					 "than its header says?)",
					 range);
				return -EIO;
			}
			if (x.status < 500 || x.status > 599) {
				diag_set(d, "bytes %s: %s", range, why);
				return x.status == 404 || x.status == 410
					       ? -ENOENT
					       : -EIO;
			}
		} else {
			snprintf(why, sizeof(why), "%s",
				 ebuf[0] ? ebuf : cu.easy_strerror(c));
			if (!retryable(c)) {
				diag_set(d, "bytes %s: %s", range, why);
				return c == CURLE_TOO_MANY_REDIRECTS ? -ELOOP
								     : -EIO;
			}
		}
		/* progress made: the retries left start over */
		if (x.got > before)
			attempt = attempt > 0 ? attempt - 1 : 0;
	}
	diag_set(d, "bytes %" PRIu64 "-%" PRIu64 ": %s (after %d retries)", off,
		 off + size - 1, why, tries);
	return -EIO;
}

/* The cache file of [off, off + size), or NULL (no cache, not bound). */
static char *cache_path(const struct http_src *h, uint64_t off, size_t size)
{
	char *p;

	if (!h->cache)
		return NULL;
	if (asprintf(&p, "%s/%" PRIu64 "-%zu", h->cache, off, size) < 0)
		return NULL;
	return p;
}

static bool cache_get(struct http_src *h, void *buf, size_t size, uint64_t off)
{
	char *p = cache_path(h, off, size);
	struct stat st;
	ssize_t n = -1;
	int fd;

	if (!p)
		return false;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	free(p);
	if (fd < 0)
		return false;
	if (!fstat(fd, &st) && (uint64_t)st.st_size == size)
		n = pread(fd, buf, size, 0);
	close(fd);
	if (n != (ssize_t)size)
		return false;
	h->st.cache_hits++;
	h->st.cache_bytes += size;
	return true;
}

/* Best effort: a cache that cannot be written only costs a download. */
static void cache_put(struct http_src *h, const void *buf, size_t size,
		      uint64_t off)
{
	char *p = cache_path(h, off, size);
	struct diag d;

	if (p)
		file_write_atomic(p, buf, size, &d);
	free(p);
}

static int http_pread(struct btfa_src *s, void *buf, size_t size, uint64_t off,
		      struct diag *d)
{
	struct http_src *h = (struct http_src *)s;
	struct xfer x;
	int err;

	if (!size)
		return 0;
	if (off > s->size || size > s->size - off) {
		diag_set(d,
			 "%s: read at %" PRIu64 ", %zu bytes, past its end "
			 "(%" PRIu64 " bytes)",
			 h->url, off, size, s->size);
		return -EIO;
	}
	if (h->full) {
		memcpy(buf, h->full + off, size);
		return 0;
	}
	if (off + size <= sizeof(h->head)) {
		memcpy(buf, h->head + off, size);
		return 0;
	}
	if (cache_get(h, buf, size, off))
		return 0;
	err = get_range(h, buf, size, off, &x, d);
	if (err) {
		diag_prefix(d, "%s: ", h->url);
		return err;
	}
	cache_put(h, buf, size, off);
	return 0;
}

/* mkdir -p of an absolute or relative path; 0 or -errno. */
static int mkdirs(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	return mkdir(path, 0700) < 0 && errno != EEXIST ? -errno : 0;
}

static void http_bind(struct btfa_src *s, const uint8_t index_sha256[32])
{
	struct http_src *h = (struct http_src *)s;
	uint8_t uh[32];
	char uhex[65], ihex[65];
	struct sha256 sh;
	char *dir;

	if (!h->cache_root || h->full)
		return;
	sha256_init(&sh);
	sha256_update(&sh, h->url, strlen(h->url));
	sha256_final(&sh, uh);
	hex_encode(uh, 32, uhex);
	hex_encode(index_sha256, 32, ihex);
	if (asprintf(&dir, "%s/%.16s-%s", h->cache_root, uhex, ihex) < 0)
		return;
	if (mkdirs(dir)) {
		free(dir);
		return;
	}
	free(h->cache);
	h->cache = dir;
}

static void http_free(struct btfa_src *s)
{
	struct http_src *h = (struct http_src *)s;

	if (!h)
		return;
	if (h->curl)
		cu.easy_cleanup(h->curl);
	free(h->url);
	free(h->cache_root);
	free(h->cache);
	free(h->full);
	free(h);
}

void http_src__stats(const struct btfa_src *s, struct http_src_stats *st)
{
	*st = ((const struct http_src *)s)->st;
}

struct btfa_src *http_src__open(const char *url, const struct http_src_opts *o,
				struct diag *d)
{
	struct http_src *h;
	struct xfer x = {0};
	int err;

	pthread_once(&curl_once, curl_init_once);
	if (!curl_ok) {
		diag_set(d, "%s: %s", url, curl_why);
		errno = EIO;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h || !(h->url = strdup(url)) || !(h->curl = cu.easy_init())) {
		http_free(h ? &h->s : NULL);
		diag_set(d, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	if (o)
		h->o = *o;
	if (h->o.timeout <= 0)
		h->o.timeout = 30;
	h->s.pread = http_pread;
	h->s.bind = http_bind;
	h->s.free = http_free;
	cu.easy_setopt(h->curl, CURLOPT_URL, url);
	cu.easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	cu.easy_setopt(h->curl, CURLOPT_NOPROGRESS, 1L);
	cu.easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 1L);
	cu.easy_setopt(h->curl, CURLOPT_MAXREDIRS, (long)HTTP_MAX_REDIRS);
	cu.easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	cu.easy_setopt(h->curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	cu.easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT, (long)h->o.timeout);
	cu.easy_setopt(h->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	cu.easy_setopt(h->curl, CURLOPT_LOW_SPEED_TIME, (long)h->o.timeout);
	cu.easy_setopt(h->curl, CURLOPT_USERAGENT, "btfar");
	cu.easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
	cu.easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, on_header);
	/* the first bytes, and the size from the Content-Range */
	err = get_range(h, h->head, sizeof(h->head), 0, &x, d);
	if (err) {
		diag_prefix(d, "%s: ", url);
		goto fail;
	}
	if (x.full) {
		h->full = x.buf;
		h->s.size = x.got;
	} else if (x.cr_total < sizeof(h->head)) {
		diag_set(d, "%s: %" PRIu64 " bytes, shorter than the header",
			 url, x.cr_total);
		err = -EBADMSG;
		goto fail;
	} else {
		h->s.size = x.cr_total;
		if (h->o.cache_dir &&
		    !(h->cache_root = strdup(h->o.cache_dir))) {
			diag_set(d, "out of memory");
			err = -ENOMEM;
			goto fail;
		}
	}
	h->o.cache_dir = NULL;
	return &h->s;
fail:
	if (x.full)
		free(x.buf);
	http_free(&h->s);
	errno = -err;
	return NULL;
}
