// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The heap of the commands that hold hundreds of MB for seconds (build and
 * merge: 700 MB for Debian's 7.2 kernel, read and written at random by
 * the merge and the deduplication; pack: 650 MB for ten 6.1 builds). With
 * glibc's malloc asked for transparent huge pages
 * (GLIBC_TUNABLES=glibc.malloc.hugetlb=1: its heap and its large blocks
 * advised MADV_HUGEPAGE), that memory costs a fault and a TLB entry per 2
 * MiB instead of per 4 KiB: `btfar build` of Debian's 7.2 went from 9.39
 * to 8.38 s (median of 6 interleaved rounds each), merge of 6.12's modules
 * from 5.18 to 4.94 s, pack of ten 6.1 builds from 97-102 to 80-90 s
 * (bench/README.md). Advising only the merge's and dedup's own arrays
 * gained nothing measurable: the module BTF and the many smaller blocks
 * in malloc's arenas count as much.
 *
 * glibc reads GLIBC_TUNABLES when a process starts, not later, so the
 * command runs itself again with it, once, before it does anything. Not
 * when the caller's GLIBC_TUNABLES already names glibc.malloc.hugetlb (=0
 * keeps the heap as it is), not when THP is not "madvise" (always: the
 * heap has huge pages already; never: none to have), not under valgrind
 * (its tools follow no exec by default); on any failure the command runs
 * on as it is. Not for get: its buffers live a fraction of a second, and
 * huge pages made it slower (formats/mem.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define HUGETLB "glibc.malloc.hugetlb"

/* THP is "madvise": the kernel gives huge pages where asked only. */
static int thp_madvise(void)
{
	char mode[128];
	size_t n;
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");

	if (!f)
		return 0;
	n = fread(mode, 1, sizeof(mode) - 1, f);
	fclose(f);
	mode[n] = '\0';
	return strstr(mode, "[madvise]") != NULL;
}

void heap_huge_pages(char **argv)
{
#if defined(__linux__) && defined(__GLIBC__)
	const char *old = getenv("GLIBC_TUNABLES");
	const char *pre = getenv("LD_PRELOAD");
	size_t len;
	char *val;

	if ((old && strstr(old, HUGETLB)) || (pre && strstr(pre, "vgpreload")))
		return;
	if (!thp_madvise())
		return;
	len = (old ? strlen(old) + 1 : 0) + sizeof(HUGETLB "=1");
	val = malloc(len);
	if (!val)
		return;
	snprintf(val, len, "%s%s" HUGETLB "=1", old && *old ? old : "",
		 old && *old ? ":" : "");
	if (!setenv("GLIBC_TUNABLES", val, 1)) {
		execv("/proc/self/exe", argv);
		/* still here: on as it is, the caller's setting back */
		if (old)
			setenv("GLIBC_TUNABLES", old, 1);
		else
			unsetenv("GLIBC_TUNABLES");
	}
	free(val);
#else
	(void)argv;
#endif
}

void heap_note(void)
{
	const char *t = getenv("GLIBC_TUNABLES");
	char msg[512];

	if (!t || !strstr(t, HUGETLB))
		return;
	snprintf(msg, sizeof(msg), "malloc: GLIBC_TUNABLES=%s", t);
	on_log(BTFAR_LOG_INFO, msg, NULL);
}
