// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void diag_set(struct diag *d, const char *fmt, ...)
{
	va_list ap;

	if (!d)
		return;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
}

void diag_prefix(struct diag *d, const char *fmt, ...)
{
	char tmp[DIAG_MAX];
	va_list ap;
	int n;

	if (!d)
		return;
	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	/* the prefix, then as much of the old message as fits */
	snprintf(tmp + n, sizeof(tmp) - (size_t)n, "%.*s",
		 (int)(sizeof(tmp) - 1 - (size_t)n), d->msg);
	memcpy(d->msg, tmp, sizeof(d->msg));
}
