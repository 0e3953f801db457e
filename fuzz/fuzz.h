/*
 * fuzz/fuzz.h - included by each libFuzzer target (one .c file per binary)
 * that needs libdenpo's crypto: the entry points, and the one-time
 * initialisation that libFuzzer runs before the first input.
 */
#ifndef DENPO_FUZZ_H
#define DENPO_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "denpo/crypto.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (dp_crypto_init())
		abort(); /* no target runs without libsodium */
	return 0;
}

#endif
