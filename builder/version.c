// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "btfar/btfar.h"

#define STR2(x) #x
#define STR(x)	STR2(x)

const char *btfar_version(void)
{
	return STR(BTFAR_VERSION_MAJOR) "." STR(BTFAR_VERSION_MINOR) "." STR(
		BTFAR_VERSION_PATCH);
}
