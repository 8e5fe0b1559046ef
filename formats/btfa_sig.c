// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * btfa_sig: minisign-format keys and signatures of a .btfa index
 * (btfa_sig.h, docs/FORMAT.md "Signature").
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "btfa.h"
#include "btfa_sig.h"
#include "file.h"
#include "le.h"

#define SIG_ALG	       "Ed" /* a key's algorithm */
#define SIG_ALG_HASHED "ED" /* a signature over BLAKE2b-512 of the data */
#define KDF_NONE       "\0\0"
#define CHK_ALG	       "B2"
#define COMMENT	       "btfar archive index"
#define COMMENT_MAX    1024
/* the decoded key files */
#define PUB_LEN (2 + 8 + 32)
#define SEC_LEN (2 + 2 + 2 + 32 + 8 + 8 + 8 + 64 + 32)

static int sodium_ready(struct diag *d)
{
	if (sodium_init() < 0) {
		diag_set(d, "libsodium cannot initialise");
		return -EIO;
	}
	return 0;
}

static void key_id_hex(const uint8_t id[8], char out[17])
{
	snprintf(out, 17, "%016" PRIX64, le64_get(id));
}

/* minisign's secret key checksum: BLAKE2b-256 of alg, key id, key. */
static void sec_chk(const uint8_t id[8], const uint8_t sk[64], uint8_t chk[32])
{
	crypto_generichash_state hs;

	crypto_generichash_init(&hs, NULL, 0, 32);
	crypto_generichash_update(&hs, (const uint8_t *)SIG_ALG, 2);
	crypto_generichash_update(&hs, id, 8);
	crypto_generichash_update(&hs, sk, 64);
	crypto_generichash_final(&hs, chk, 32);
}

/* "untrusted comment: ...\n" + base64 of bin + "\n" into path. */
static int write_key_file(const char *path, const char *comment,
			  const uint8_t *bin, size_t n, bool secret,
			  struct diag *d)
{
	char b64[512], text[768];
	int len, fd, err = 0;

	sodium_bin2base64(b64, sizeof(b64), bin, n,
			  sodium_base64_VARIANT_ORIGINAL);
	len = snprintf(text, sizeof(text), "untrusted comment: %s\n%s\n",
		       comment, b64);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		  secret ? 0600 : 0644);
	if (fd < 0) {
		err = -errno;
		diag_set(d, "%s: %s", path, strerror(errno));
		return err;
	}
	if (write(fd, text, (size_t)len) != len || fsync(fd) < 0)
		err = errno ? -errno : -EIO;
	close(fd);
	sodium_memzero(text, sizeof(text));
	sodium_memzero(b64, sizeof(b64));
	if (err) {
		unlink(path);
		diag_set(d, "%s: %s", path, strerror(-err));
	}
	return err;
}

int btfa_sig__keygen(const char *prefix, struct diag *d)
{
	uint8_t pk[32], sk[64], id[8], sec[SEC_LEN], pub[PUB_LEN], *p;
	char *kpath = NULL, *ppath = NULL, comment[96], hex[17];
	int err;

	err = sodium_ready(d);
	if (err)
		return err;
	if (asprintf(&kpath, "%s.key", prefix) < 0 ||
	    asprintf(&ppath, "%s.pub", prefix) < 0) {
		free(kpath);
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	if (!access(ppath, F_OK)) {
		diag_set(d, "%s exists: not overwritten", ppath);
		err = -EEXIST;
		goto out;
	}
	crypto_sign_keypair(pk, sk);
	randombytes_buf(id, sizeof(id));
	key_id_hex(id, hex);
	/* secret key file */
	p = sec;
	memset(sec, 0, sizeof(sec));
	memcpy(p, SIG_ALG, 2);
	memcpy(p + 2, KDF_NONE, 2);
	memcpy(p + 4, CHK_ALG, 2);
	randombytes_buf(p + 6, 32); /* KDF salt, unused without KDF */
	/* opslimit, memlimit (8 + 8): 0 without KDF */
	memcpy(p + 54, id, 8);
	memcpy(p + 62, sk, 64);
	sec_chk(id, sk, p + 126);
	snprintf(comment, sizeof(comment),
		 "minisign secret key %s (btfar, unencrypted)", hex);
	err = write_key_file(kpath, comment, sec, sizeof(sec), true, d);
	sodium_memzero(sec, sizeof(sec));
	sodium_memzero(sk, sizeof(sk));
	if (err)
		goto out;
	memcpy(pub, SIG_ALG, 2);
	memcpy(pub + 2, id, 8);
	memcpy(pub + 10, pk, 32);
	snprintf(comment, sizeof(comment), "minisign public key %s", hex);
	err = write_key_file(ppath, comment, pub, sizeof(pub), false, d);
	if (err)
		unlink(kpath);
out:
	free(kpath);
	free(ppath);
	return err;
}

/* The base64 line of a key file (its second line), decoded into bin of
 * exactly n bytes. */
static int read_key_file(const char *path, uint8_t *bin, size_t n,
			 struct diag *d)
{
	char *text = NULL, *line, *end;
	size_t size, got = 0;
	int err;

	err = file_read_all(path, 4096, (void **)&text, &size, d);
	if (err) {
		diag_prefix(d, "%s: ", path);
		return err;
	}
	err = -EINVAL;
	text = realloc(text, size + 1);
	if (!text) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	text[size] = '\0';
	line = strchr(text, '\n');
	if (strncmp(text, "untrusted comment:", 18) || !line) {
		diag_set(d,
			 "%s: not a minisign key file (no \"untrusted "
			 "comment:\" line)",
			 path);
		goto out;
	}
	line++;
	end = line + strcspn(line, "\r\n");
	if (sodium_base642bin(bin, n, line, (size_t)(end - line), NULL, &got,
			      NULL, sodium_base64_VARIANT_ORIGINAL) ||
	    got != n) {
		diag_set(d, "%s: the key line is not base64 of %zu bytes", path,
			 n);
		goto out;
	}
	err = 0;
out:
	sodium_memzero(text, size);
	free(text);
	return err;
}

int btfa_sig__read_seckey(const char *path, struct btfa_seckey *k,
			  struct diag *d)
{
	uint8_t sec[SEC_LEN], chk[32];
	int err;

	err = sodium_ready(d);
	if (!err)
		err = read_key_file(path, sec, sizeof(sec), d);
	if (err)
		return err;
	if (memcmp(sec, SIG_ALG, 2) || memcmp(sec + 4, CHK_ALG, 2)) {
		diag_set(d, "%s: not an Ed25519 minisign secret key", path);
		err = -EINVAL;
	} else if (memcmp(sec + 2, KDF_NONE, 2)) {
		diag_set(d,
			 "%s: the secret key is encrypted (give an "
			 "unencrypted one: minisign -G -W, or btfar keygen)",
			 path);
		err = -EINVAL;
	} else {
		memcpy(k->key_id, sec + 54, 8);
		memcpy(k->sk, sec + 62, 64);
		sec_chk(k->key_id, k->sk, chk);
		if (sodium_memcmp(chk, sec + 126, 32)) {
			diag_set(d, "%s: secret key checksum mismatch", path);
			err = -EINVAL;
		}
	}
	sodium_memzero(sec, sizeof(sec));
	return err;
}

int btfa_sig__read_pubkey(const char *path, struct btfa_pubkey *k,
			  struct diag *d)
{
	uint8_t pub[PUB_LEN];
	int err;

	err = sodium_ready(d);
	if (!err)
		err = read_key_file(path, pub, sizeof(pub), d);
	if (err)
		return err;
	if (memcmp(pub, SIG_ALG, 2)) {
		diag_set(d, "%s: not an Ed25519 minisign public key", path);
		return -EINVAL;
	}
	memcpy(k->key_id, pub + 2, 8);
	memcpy(k->pk, pub + 10, 32);
	return 0;
}

int btfa_sig__sign(const struct btfa_seckey *k, const void *msg, size_t n,
		   uint8_t **out, size_t *out_size, struct diag *d)
{
	size_t clen = strlen(COMMENT), len = 8 + 74 + 2 + clen + 64;
	uint8_t h[64], *b, *g;
	int err;

	err = sodium_ready(d);
	if (err)
		return err;
	b = malloc(len);
	g = malloc(64 + clen);
	if (!b || !g) {
		free(b);
		free(g);
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	crypto_generichash(h, sizeof(h), msg, n, NULL, 0);
	memcpy(b, BTFA_SIG_MAGIC, 8);
	memcpy(b + 8, SIG_ALG_HASHED, 2);
	memcpy(b + 10, k->key_id, 8);
	crypto_sign_detached(b + 18, NULL, h, sizeof(h), k->sk);
	le16_put(b + 82, (uint16_t)clen);
	memcpy(b + 84, COMMENT, clen);
	/* global signature: the signature, then the trusted comment */
	memcpy(g, b + 18, 64);
	memcpy(g + 64, COMMENT, clen);
	crypto_sign_detached(b + 84 + clen, NULL, g, 64 + clen, k->sk);
	free(g);
	*out = b;
	*out_size = len;
	return 0;
}

int btfa_sig__verify(const struct btfa_pubkey *k, const void *msg, size_t n,
		     const uint8_t *blk, size_t blk_size, struct diag *d)
{
	char want[17], got[17];
	uint8_t h[64], *g;
	size_t clen;
	int err;

	err = sodium_ready(d);
	if (err)
		return err;
	if (blk_size < 84 || memcmp(blk, BTFA_SIG_MAGIC, 8) ||
	    memcmp(blk + 8, SIG_ALG_HASHED, 2) ||
	    (clen = le16_get(blk + 82)) > COMMENT_MAX ||
	    blk_size != 84 + clen + 64) {
		diag_set(d, "signature block: not a prehashed Ed25519 "
			    "signature of the expected size");
		return -EBADMSG;
	}
	if (memcmp(blk + 10, k->key_id, 8)) {
		key_id_hex(blk + 10, got);
		key_id_hex(k->key_id, want);
		diag_set(d, "signed by key %s, not by the given key %s", got,
			 want);
		return -EKEYREJECTED;
	}
	crypto_generichash(h, sizeof(h), msg, n, NULL, 0);
	if (crypto_sign_verify_detached(blk + 18, h, sizeof(h), k->pk)) {
		diag_set(d, "the signature does not verify: the index was "
			    "changed after signing");
		return -EBADMSG;
	}
	g = malloc(64 + clen);
	if (!g) {
		diag_set(d, "out of memory");
		return -ENOMEM;
	}
	memcpy(g, blk + 18, 64);
	memcpy(g + 64, blk + 84, clen);
	err = crypto_sign_verify_detached(blk + 84 + clen, g, 64 + clen, k->pk)
		      ? -EBADMSG
		      : 0;
	free(g);
	if (err)
		diag_set(d,
			 "the global signature (of the trusted comment) does "
			 "not verify");
	return err;
}
