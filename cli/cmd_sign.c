// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Archive signatures: btfar keygen (a minisign key pair) and btfar sign
 * (the archive's index signed; docs/FORMAT.md "Signature"). Readers check
 * with --pubkey (get, list, verify); pack and add sign with --key.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "opts.h"

/* What keygen and sign share of their usage texts. */
static void usage_sign_text(FILE *f)
{
	fprintf(f,
		"keygen: a new Ed25519 key pair, NAME.key (secret, "
		"unencrypted, mode 0600)\n"
		"and NAME.pub, in minisign's formats (minisign reads them; "
		"its unencrypted\n"
		"secret keys, minisign -G -W, sign here too).\n"
		"sign: a signature of the archive's index, which holds the "
		"sha256 of every\n"
		"blob, so one signature covers the archive; appended, as btfar "
		"add writes\n"
		"(the old header stays valid until the new one is written). "
		"btfar add drops\n"
		"a signature unless given --key; pack signs with --key.\n"
		"Readers: btfar get|list|verify --pubkey NAME.pub refuse an "
		"archive that is\n"
		"unsigned, signed by another key, or changed.\n"
		"\n");
}

static void usage_keygen(FILE *f)
{
	fprintf(f, "usage: btfar keygen -o NAME\n\n");
	usage_sign_text(f);
	fprintf(f, "  -o, --output NAME  where the keys go (NAME.key, "
		   "NAME.pub)\n");
}

void usage_sign(FILE *f)
{
	fprintf(f, "usage: btfar sign ARCHIVE.btfa --key NAME.key\n\n");
	usage_sign_text(f);
	fprintf(f, "  --key NAME.key     the secret key\n");
}

int cmd_keygen(int argc, char **argv)
{
	const char *out = NULL;
	const struct opt opts[] = {
		OPT_OUTPUT(&out),
		OPT_END(),
	};
	char err[1024] = "";
	int first, ret;

	ret = opts_parse("keygen", opts, usage_keygen, argc, argv, &first);
	if (ret != OPTS_OK)
		return ret;
	if (!out || first != argc) {
		fprintf(stderr, "btfar keygen: %s\n",
			!out ? "-o NAME is required" : "no operand expected");
		usage_keygen(stderr);
		return EXIT_USAGE;
	}
	if (btfar_keygen(out, err, sizeof(err)) < 0) {
		fprintf(stderr, "btfar: error: %s\n", err);
		return EXIT_FAILED;
	}
	fprintf(stderr, "keygen: %s.key (secret: keep it), %s.pub\n", out, out);
	return EXIT_DONE;
}

int cmd_sign(int argc, char **argv)
{
	const char *key = NULL;
	const struct opt opts[] = {
		OPT_STRING("key", &key),
		OPT_END(),
	};
	char err[2048] = "";
	int first, ret;

	ret = opts_parse("sign", opts, usage_sign, argc, argv, &first);
	if (ret != OPTS_OK)
		return ret;
	if (!key || argc - first != 1) {
		fprintf(stderr, "btfar sign: %s\n",
			!key ? "--key NAME.key is required"
			     : "give the archive");
		usage_sign(stderr);
		return EXIT_USAGE;
	}
	if (btfar_sign(argv[first], key, err, sizeof(err)) < 0) {
		fprintf(stderr, "btfar: error: %s\n", err);
		return EXIT_FAILED;
	}
	fprintf(stderr, "sign: %s: index signed with %s\n", argv[first], key);
	return EXIT_DONE;
}
