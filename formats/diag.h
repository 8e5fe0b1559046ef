/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * diag: one error message built from the innermost place outwards.
 *
 * The layer that finds a problem sets the message ("type [81234] refers to
 * type 91000, base has 81200 types"); each layer above prefixes where it was
 * (".BTF: ", "e1000e.ko.xz: "), so the user reads the whole chain.
 */
#ifndef BTFAR_FORMATS_DIAG_H
#define BTFAR_FORMATS_DIAG_H

#include <stddef.h>

#define DIAG_MAX 1024

struct diag {
	char msg[DIAG_MAX];
};

/* Sets the message, replacing any previous one. d may be NULL. */
void diag_set(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prepends a location to the message. d may be NULL. */
void diag_prefix(struct diag *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* BTFAR_FORMATS_DIAG_H */
