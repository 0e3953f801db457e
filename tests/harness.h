/*
 * tests/harness.h - a tiny test harness.  Each test program calls CHECK()
 * and ends with `return t_done("name");`, which prints
 * "name: N passed, N failed" and returns non-zero on any failure.
 */
#ifndef DENPO_TEST_HARNESS_H
#define DENPO_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

extern int t_pass, t_fail, t_skip;

#define CHECK(cond)                                                                      \
	do {                                                                             \
		if (cond)                                                                \
			t_pass++;                                                        \
		else {                                                                   \
			t_fail++;                                                        \
			fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);  \
		}                                                                        \
	} while (0)

/* CHECK with a printf-style explanation on failure. */
#define CHECKF(cond, ...)                                                                \
	do {                                                                             \
		if (cond)                                                                \
			t_pass++;                                                        \
		else {                                                                   \
			t_fail++;                                                        \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);  \
			fprintf(stderr, __VA_ARGS__);                                    \
			fputc('\n', stderr);                                             \
		}                                                                        \
	} while (0)

/* Directory of the shared test vectors ($DENPO_VECTORS or ../shared/vectors), or NULL if absent. */
const char *t_vectors_dir(void);
/* Print why a suite is skipped and count it. */
void t_skipped(const char *what, const char *why);
int t_done(const char *name);
/* Read a whole file into a malloc'd NUL-terminated buffer; NULL on error. */
uint8_t *t_read_file(const char *path, size_t *len);

#endif
