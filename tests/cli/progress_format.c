// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The progress line's text (cli/term.c progress_format): percentage and
 * ETA where the total is known (bytes of the packages, or units), none
 * where it is not, no percentage past the total (a second pass).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int fails;

static void expect(const char *what, const struct btfar_progress *p,
		   const char *unit, double phase_t, double t, const char *want)
{
	char buf[256];

	progress_format(buf, sizeof(buf), p, unit, phase_t, t);
	if (strcmp(buf, want)) {
		printf("FAIL: %s:\n  got  '%s'\n  want '%s'\n", what, buf,
		       want);
		fails++;
	}
}

int main(void)
{
	/* build: 25 of 100 MB in the first 3 s: 9 s left */
	expect("bytes known",
	       &(struct btfar_progress){.phase = "read",
					.done = 120,
					.bytes_in = 25000000,
					.bytes_total = 100000000},
	       "modules", 3, 3,
	       "read      25%  25.0/100.0 MB  120 modules  8.3 MB/s  ETA 0:09");
	/* entries: 5 of 10 in 65 s of the phase */
	expect("units known",
	       &(struct btfar_progress){
		       .phase = "verify", .done = 5, .total = 10},
	       "entries", 65, 70, "verify    50%  5/10 entries  ETA 1:05");
	/* less than a second into the phase: no ETA yet */
	expect("too early for an ETA",
	       &(struct btfar_progress){
		       .phase = "compress", .done = 1, .total = 4},
	       "entries", 0.5, 2, "compress  25%  1/4 entries");
	/* hours */
	expect("ETA in hours",
	       &(struct btfar_progress){
		       .phase = "dwarf", .done = 1, .total = 100},
	       "modules", 40, 40, "dwarf      1%  1/100 modules  ETA 1:06:00");
	/* no total: what was done, the rate */
	expect("total unknown",
	       &(struct btfar_progress){
		       .phase = "read", .done = 7, .bytes_in = 2000000},
	       "modules", 2, 2, "read      7 modules  1.0 MB/s");
	/* read past the total (the DWARF pass reads the inputs again) */
	expect("past the total",
	       &(struct btfar_progress){.phase = "read",
					.done = 9,
					.bytes_in = 300,
					.bytes_total = 200},
	       "modules", 2, 2, "read      9 modules  0.0 MB/s");
	expect("a phase alone", &(struct btfar_progress){.phase = "train"},
	       "entries", 0, 0, "train   ");
	if (!fails)
		printf("PASS: progress_format\n");
	return fails ? 1 : 0;
}
