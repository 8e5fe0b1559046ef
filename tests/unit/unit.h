/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * unit: the small harness of the unit tests. A test binary holds several
 * cases; ctest runs each as its own entry: `test_x CASE INPUT_DIR`.
 * Exit 0 pass, 1 fail, 77 skip (with the reason on stdout).
 */
#ifndef BTFAR_TESTS_UNIT_H
#define BTFAR_TESTS_UNIT_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNIT_SKIP 77

struct unit_case {
	const char *name;
	int (*fn)(const char *dir); /* returns 0, UNIT_SKIP, or failures */
};

static int unit_failures;

#define CHECK(cond, ...)                                                       \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, \
				__LINE__, #cond);                              \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			unit_failures++;                                       \
		}                                                              \
	} while (0)

/* Checks that an error message contains a piece of text. */
#define CHECK_MSG(msg, piece)                                                  \
	CHECK(strstr((msg), (piece)), "message \"%s\" lacks \"%s\"", (msg),    \
	      (piece))

/* Reads dir/name whole; exits the test (failed) if it cannot. */
static inline void *unit_slurp(const char *dir, const char *name, size_t *sz)
{
	char path[4096];
	FILE *f;
	char *buf = NULL;
	size_t cap = 0, len = 0, n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr,
			"cannot open %s (inputs are made by the "
			"unit_gen_inputs test)\n",
			path);
		exit(1);
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap + 1);
			if (!buf) {
				fprintf(stderr, "out of memory\n");
				exit(1);
			}
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n);
	fclose(f);
	buf[len] = '\0';
	*sz = len;
	return buf;
}

/* Returns true (and says why) if the input builder left a SKIP note. */
static inline bool unit_skipped(const char *dir)
{
	char path[4096], why[512] = "";
	FILE *f;

	snprintf(path, sizeof(path), "%s/SKIP", dir);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(why, sizeof(why), f))
		snprintf(why, sizeof(why), "test inputs could not be built\n");
	fclose(f);
	printf("SKIP: %s", why);
	return true;
}

static inline int unit_main(int argc, char **argv,
			    const struct unit_case *cases, size_t n)
{
	size_t i;
	int ret;

	if (argc != 3) {
		fprintf(stderr, "usage: %s CASE INPUT_DIR\n", argv[0]);
		return 2;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(cases[i].name, argv[1]))
			continue;
		if (unit_skipped(argv[2]))
			return UNIT_SKIP;
		ret = cases[i].fn(argv[2]);
		if (ret == UNIT_SKIP)
			return UNIT_SKIP;
		if (ret || unit_failures) {
			fprintf(stderr, "%s: FAIL (%d failed checks)\n",
				argv[1], unit_failures);
			return 1;
		}
		printf("%s: ok\n", argv[1]);
		return 0;
	}
	fprintf(stderr, "unknown case %s\n", argv[1]);
	return 2;
}

/*
 * unit_main for cases that build their input in code: the INPUT_DIR
 * argument is not read, so no SKIP note of the input builder applies.
 */
static inline int unit_main_in_code(int argc, char **argv,
				    const struct unit_case *cases, size_t n)
{
	size_t i;

	if (argc != 3) {
		fprintf(stderr, "usage: %s CASE INPUT_DIR\n", argv[0]);
		return 2;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(cases[i].name, argv[1]))
			continue;
		if (cases[i].fn(argv[2]) || unit_failures) {
			fprintf(stderr, "%s: FAIL (%d failed checks)\n",
				argv[1], unit_failures);
			return 1;
		}
		printf("%s: ok\n", argv[1]);
		return 0;
	}
	fprintf(stderr, "unknown case %s\n", argv[1]);
	return 2;
}

#endif /* BTFAR_TESTS_UNIT_H */
