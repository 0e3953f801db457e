/*
 * tool_mlkem.c - libdenpo ML-KEM-768 as a line-oriented filter, for the
 * differential test against @noble/post-quantum (tests/test_mlkem_diff.mjs,
 * run by tests/it_mlkem_noble.sh).  Reads commands from stdin, one a line,
 * hex arguments, and answers one line each:
 *
 *   kem SEED M BADCT   ->  EK DK CT SS SS_DECAPS SS_BADCT
 *                          (keygen from the 64-byte seed, encaps with m,
 *                          decaps of CT and of the arbitrary 1088-byte BADCT)
 *   enc EK M           ->  CT SS, or "error NAME" (e.g. "error parse")
 *
 * Test keys only: this prints secrets by design and is never installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denpo/crypto.h"
#include "denpo/encoding.h"
#include "denpo/mlkem.h"

static void put(const uint8_t *p, size_t n, int last)
{
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	putchar(last ? '\n' : ' ');
}

/* Next space-separated hex field of *s into a malloc'd buffer; NULL if bad. */
static uint8_t *field(char **s, size_t *n)
{
	char *t = strtok_r(NULL, " \n", s);
	size_t l = t ? strlen(t) : 0;
	if (!t || l % 2 || l / 2 > 1 << 16)
		return NULL;
	uint8_t *p = malloc(l / 2 + 1);
	if (!p || (l && dp_hex_decode(p, l / 2, t, l))) {
		free(p);
		return NULL;
	}
	*n = l / 2;
	return p;
}

int main(void)
{
	static uint8_t ek[DP_MLKEM768_EK], dk[DP_MLKEM768_DK], ct[DP_MLKEM768_CT];
	uint8_t ss[32], ss2[32], ss3[32];
	char *line = NULL;
	size_t cap = 0;
	int bad = 0;

	if (dp_crypto_init())
		return 1;
	while (getline(&line, &cap, stdin) > 0) {
		char *save = NULL, *cmd = strtok_r(line, " \n", &save);
		size_t na = 0, nb = 0, nc = 0;
		if (!cmd)
			continue;
		if (strcmp(cmd, "kem") == 0) {
			uint8_t *seed = field(&save, &na), *m = field(&save, &nb),
				*badct = field(&save, &nc);
			if (!seed || !m || !badct || nb != 32 ||
			    dp_mlkem768_keygen_seed(ek, dk, seed, na) ||
			    dp_mlkem768_encaps_internal(ct, ss, ek, sizeof ek, m) ||
			    dp_mlkem768_decaps(ss2, dk, sizeof dk, ct, sizeof ct) ||
			    dp_mlkem768_decaps(ss3, dk, sizeof dk, badct, nc)) {
				printf("error bad kem line\n");
				bad = 1;
			} else {
				put(ek, sizeof ek, 0);
				put(dk, sizeof dk, 0);
				put(ct, sizeof ct, 0);
				put(ss, 32, 0);
				put(ss2, 32, 0);
				put(ss3, 32, 1);
			}
			free(seed), free(m), free(badct);
		} else if (strcmp(cmd, "enc") == 0) {
			uint8_t *pk = field(&save, &na), *m = field(&save, &nb);
			int rc = pk && m && nb == 32 ? dp_mlkem768_encaps_internal(ct, ss, pk, na, m)
						     : DP_EINVAL;
			if (rc) {
				printf("error %s\n", dp_errname(rc));
			} else {
				put(ct, sizeof ct, 0);
				put(ss, 32, 1);
			}
			free(pk), free(m);
		} else {
			printf("error unknown command\n");
			bad = 1;
		}
		fflush(stdout);
	}
	free(line);
	return bad;
}
