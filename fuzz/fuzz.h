/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Shared by the fuzz targets: each defines LLVMFuzzerTestOneInput, which
 * libFuzzer drives (-DBTFAR_FUZZ=ON) or replay.c runs over a corpus dir.
 * Errors from the parsers are normal results; only crashes, sanitizer
 * reports, leaks and hangs are findings.
 */
#ifndef BTFAR_FUZZ_FUZZ_H
#define BTFAR_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Caps on every decompression: keep one input's memory small. */
#define FUZZ_MAX_OUT   (64ULL << 20)
#define FUZZ_MAX_RATIO 1000ULL

#endif /* BTFAR_FUZZ_FUZZ_H */
