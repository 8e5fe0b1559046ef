// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * e2e_min_core BLOB OUT OBJ...: btfar_min_core on a self-contained blob
 * through the public API; writes the minimised blob to OUT and prints the
 * report (counts, then one line per unresolved or ambiguous relocation).
 * Exit 0 when every relocation resolved, 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>

#include <btfar/btfar.h>

int main(int argc, char **argv)
{
	const struct btfar_min_core_report *rep;
	struct btfar_min_core *m;
	void *blob, *out;
	size_t size, out_sz, i;
	FILE *f;
	int rc;
	long n;
	int err, a;

	if (argc < 4) {
		fprintf(stderr, "usage: e2e_min_core BLOB OUT OBJ...\n");
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET))
		return perror(argv[1]), 1;
	size = (size_t)n;
	blob = malloc(size);
	if (!blob || fread(blob, 1, size, f) != size)
		return perror(argv[1]), 1;
	fclose(f);
	m = btfar_min_core__new(NULL);
	for (a = 3; a < argc; a++)
		if (btfar_min_core__add_object(m, argv[a])) {
			fprintf(stderr, "%s\n", btfar_min_core__errstr(m));
			return 1;
		}
	err = btfar_min_core__run(m, blob, size, &out, &out_sz, &rep);
	if (err < 0) {
		fprintf(stderr, "%s\n", btfar_min_core__errstr(m));
		return 1;
	}
	printf("objects %u relocations %u resolved %u local %u unresolved %u "
	       "ambiguous %u types %u -> %u bytes %zu -> %zu\n",
	       rep->objects, rep->relocations, rep->resolved, rep->local,
	       rep->unresolved, rep->ambiguous, rep->types_in, rep->types_out,
	       size, out_sz);
	for (i = 0; i < rep->problem_cnt; i++) {
		const struct btfar_min_core_problem *p = &rep->problems[i];

		printf("%s %s: %s insn %u: %s %s: %s\n",
		       p->ambiguous ? "AMBIGUOUS" : "UNRESOLVED", p->object,
		       p->section, p->insn_off / 8, p->kind, p->field,
		       p->detail);
	}
	f = fopen(argv[2], "wb");
	if (!f || fwrite(out, 1, out_sz, f) != out_sz || fclose(f))
		return perror(argv[2]), 1;
	rc = rep->unresolved || rep->ambiguous ? 1 : 0;
	free(out);
	free(blob);
	btfar_min_core__free(m); /* rep is m's: read before */
	return rc;
}
