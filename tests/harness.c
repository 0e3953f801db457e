#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/harness.h"

int t_pass, t_fail, t_skip;

const char *t_vectors_dir(void)
{
	static char path[4096];
	const char *env = getenv("DENPO_VECTORS");
	struct stat st;
	if (env && *env) {
		snprintf(path, sizeof path, "%s", env);
	} else {
		/* tests run from the repository root; shared/ sits beside it */
		snprintf(path, sizeof path, "../shared/vectors");
	}
	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return NULL;
	return path;
}

void t_skipped(const char *what, const char *why)
{
	t_skip++;
	printf("SKIP %s: %s\n", what, why);
}

int t_done(const char *name)
{
	if (t_skip)
		printf("%s: %d passed, %d failed, %d skipped\n", name, t_pass, t_fail, t_skip);
	else
		printf("%s: %d passed, %d failed\n", name, t_pass, t_fail);
	return t_fail ? 1 : 0;
}

uint8_t *t_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	uint8_t *p = malloc(cap + 1);
	for (;;) {
		if (n == cap) {
			cap *= 2;
			p = realloc(p, cap + 1);
		}
		size_t k = fread(p + n, 1, cap - n, f);
		if (k == 0)
			break;
		n += k;
	}
	fclose(f);
	p[n] = 0;
	*len = n;
	return p;
}
