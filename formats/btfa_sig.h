/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * btfa_sig: Ed25519 signatures of a .btfa index (docs/FORMAT.md,
 * "Signature"), in minisign's formats (libsodium).
 *
 * Keys are minisign's files: NAME.pub is "untrusted comment: ..." then the
 * base64 of "Ed", the 8-byte key id and the 32-byte public key; NAME.key
 * is minisign's secret key file, unencrypted (minisign -G -W: KDF "\0\0",
 * checksum BLAKE2b-256 of "Ed", key id and secret key), which minisign
 * reads too. The signature block is minisign's prehashed signature ("ED":
 * Ed25519 over BLAKE2b-512 of the message) with a trusted comment and its
 * global signature, in binary after the magic "BTFASIG\0".
 */
#ifndef BTFAR_FORMATS_BTFA_SIG_H
#define BTFAR_FORMATS_BTFA_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"

struct btfa_seckey {
	uint8_t key_id[8];
	uint8_t sk[64]; /* libsodium's Ed25519 secret key (seed, public) */
};

struct btfa_pubkey {
	uint8_t key_id[8];
	uint8_t pk[32];
};

/* A new key pair, written as path_prefix.key (mode 0600, refused if it
 * exists) and path_prefix.pub. 0 or -errno with d set. */
int btfa_sig__keygen(const char *path_prefix, struct diag *d);
/* Key files, checked (algorithm, sizes, secret key checksum). */
int btfa_sig__read_seckey(const char *path, struct btfa_seckey *k,
			  struct diag *d);
int btfa_sig__read_pubkey(const char *path, struct btfa_pubkey *k,
			  struct diag *d);
/* The signature block of msg (malloc()ed into *out). */
int btfa_sig__sign(const struct btfa_seckey *k, const void *msg, size_t n,
		   uint8_t **out, size_t *out_size, struct diag *d);
/*
 * Checks the signature block blk of msg against k: its structure, the key
 * id, the signature and the global signature. 0, or -EKEYREJECTED
 * (another key), -EBADMSG (does not verify, or not a signature block) with
 * d set.
 */
int btfa_sig__verify(const struct btfa_pubkey *k, const void *msg, size_t n,
		     const uint8_t *blk, size_t blk_size, struct diag *d);

#endif /* BTFAR_FORMATS_BTFA_SIG_H */
