// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bench_nothp: runs a command with transparent huge pages disabled for it
 * (prctl PR_SET_THP_DISABLE, inherited across exec), whatever it asks with
 * madvise(): to compare one binary with and without huge pages.
 *
 *   bench_nothp COMMAND [ARG]...
 */
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_nothp COMMAND [ARG]...\n");
		return 2;
	}
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0)) {
		perror("bench_nothp: prctl(PR_SET_THP_DISABLE)");
		return 1;
	}
	execvp(argv[1], argv + 1);
	fprintf(stderr, "bench_nothp: %s: ", argv[1]);
	perror("exec");
	return 127;
}
