// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Resource bounds of the BTF parser (docs/FAULTS.md): the largest legal
 * blobs, built in code, parse within a time bound and without the peak
 * memory running away. The limits themselves (0xFFFFF types, chains of 32)
 * are tested for their errors in test_btf_raw (too_many_types,
 * typedef_chain_33, ...); here only the cost of the legal maximum.
 *
 *   max_ints     BTF_MAX_TYPE INTs (16 MiB of types)
 *   max_chains   BTF_MAX_TYPE types as 31775 chains of 32 typedefs, each
 *                referring forward (the resolve walks the whole chain from
 *                its first typedef), ending in an INT
 *   max_members  16 STRUCTs of 0xFFFF members each (vlen at its maximum)
 *                on an INT, the rest of the ids INTs
 *
 * Bounds: 5 s (30 s under the sanitizers) and 128 MiB of peak RSS growth
 * during the parse (VmHWM reset through /proc/self/clear_refs just before;
 * the blob itself, up to 28 MiB, is not counted); the measured values are
 * printed.
 */
#include <stdint.h>
#include <time.h>

#include "btf_build.h"
#include "unit.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

#define TIME_BOUND   (SANITIZED ? 30.0 : 5.0)
#define RSS_BOUND_KB (128L << 10)

static const char strs[] = "\0int\0t\0s\0m";
#define S_INT 1
#define S_T   5
#define S_S   7
#define S_M   9

static void add_int(struct btf_words *ws)
{
	btf_words_add(ws, S_INT);
	btf_words_add(ws, BTF_INFO_ENC(BTF_KIND_INT, 0, 0));
	btf_words_add(ws, 4);
	btf_words_add(ws, BTF_INT_ENC(BTF_INT_SIGNED, 0, 32));
}

static void gen_ints(struct btf_words *ws)
{
	uint32_t i;

	for (i = 0; i < BTF_MAX_TYPE; i++)
		add_int(ws);
}

static void gen_chains(struct btf_words *ws)
{
	uint32_t id = 1, p;

	while (id <= BTF_MAX_TYPE - BTF_RAW_MAX_DEPTH) {
		for (p = 0; p < BTF_RAW_MAX_DEPTH; p++, id++) {
			btf_words_add(ws, S_T);
			btf_words_add(ws, BTF_INFO_ENC(BTF_KIND_TYPEDEF, 0, 0));
			btf_words_add(ws, id + 1);
		}
		add_int(ws);
		id++;
	}
	for (; id <= BTF_MAX_TYPE; id++)
		add_int(ws);
}

static void gen_members(struct btf_words *ws)
{
	uint32_t id = 1, s, m;

	add_int(ws); /* [1] */
	id++;
	for (s = 0; s < 16; s++, id++) {
		btf_words_add(ws, S_S);
		btf_words_add(ws, BTF_INFO_ENC(BTF_KIND_STRUCT, 0, 0xffff));
		btf_words_add(ws, 0xffff * 4);
		for (m = 0; m < 0xffff; m++) {
			btf_words_add(ws, S_M);
			btf_words_add(ws, 1);
			btf_words_add(ws, m * 32);
		}
	}
	for (; id <= BTF_MAX_TYPE; id++)
		add_int(ws);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Peak RSS (VmHWM) in KiB, after resetting it to the current RSS if
 * reset: /proc/self/clear_refs "5" (Linux 4.0+); -1 if unknown. */
static long peak_kb(bool reset)
{
	char line[256];
	long kb = -1;
	FILE *f;

	if (reset && (f = fopen("/proc/self/clear_refs", "w"))) {
		fputs("5", f);
		fclose(f);
	}
	f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void run(const char *name, void (*gen)(struct btf_words *))
{
	struct btf_words ws = {0};
	struct btf_raw raw;
	struct diag d = {""};
	size_t size;
	uint8_t *blob;
	long rss0, rss1;
	double t0, t;
	int err;

	gen(&ws);
	blob = btf_build(ws.w, ws.n, strs, sizeof(strs), 0, &size);
	free(ws.w);
	rss0 = peak_kb(true);
	t0 = now();
	err = btf_raw__parse(&raw, blob, size, NULL, &d);
	t = now() - t0;
	rss1 = peak_kb(false);
	CHECK(!err, "%s: %s", name, d.msg);
	if (!err) {
		CHECK(btf_raw__type_cnt(&raw) == BTF_MAX_TYPE + 1, "%u types",
		      btf_raw__type_cnt(&raw));
		btf_raw__release(&raw);
	}
	printf("%s: %zu bytes parsed in %.3f s, peak RSS +%ld KiB\n", name,
	       size, t, rss1 - rss0);
	CHECK(t < TIME_BOUND, "%.3f s, over the bound of %.0f s", t,
	      TIME_BOUND);
	CHECK(rss0 < 0 || rss1 < 0 || rss1 - rss0 < RSS_BOUND_KB,
	      "peak RSS grew by %ld KiB", rss1 - rss0);
	free(blob);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s CASE [INPUT_DIR]\n", argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "max_ints"))
		run(argv[1], gen_ints);
	else if (!strcmp(argv[1], "max_chains"))
		run(argv[1], gen_chains);
	else if (!strcmp(argv[1], "max_members"))
		run(argv[1], gen_members);
	else {
		fprintf(stderr, "unknown case %s\n", argv[1]);
		return 2;
	}
	if (unit_failures) {
		fprintf(stderr, "%s: FAIL (%d failed checks)\n", argv[1],
			unit_failures);
		return 1;
	}
	printf("%s: ok\n", argv[1]);
	return 0;
}
