/*
 * tool_age.c - a minimal age CLI over libdenpo for the interop tests.
 *
 *   tool_age keygen [-pq]                    identity line, then recipient line
 *                                            (-pq: mlkem768x25519, else X25519)
 *   tool_age encrypt [-a] -r RECIPIENT...    stdin -> stdout (age1... or age1pq1...)
 *   tool_age encrypt [-a] -p [-w LOGN]       passphrase from $TOOL_AGE_PASSPHRASE
 *   tool_age decrypt -i IDENTITYFILE...      stdin -> stdout (age-keygen files work)
 *   tool_age decrypt -p                      passphrase from $TOOL_AGE_PASSPHRASE
 *
 * Errors: exit 1 with "tool_age: <errname>: <phrase>" on stderr, no output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denpo/age.h"
#include "denpo/cable.h"
#include "denpo/crypto.h"

#define MAX_KEYS 64

static int fail(const char *what, int r)
{
	fprintf(stderr, "tool_age: %s: %s: %s\n", what, dp_errname(r), dp_strerror(r));
	return 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: tool_age keygen [-pq] | encrypt [-a] (-r RECIPIENT... | -p [-w LOGN]) | "
			"decrypt (-i IDENTITYFILE... | -p)\n");
	return 2;
}

static int write_all(const uint8_t *p, size_t n)
{
	return fwrite(p, 1, n, stdout) == n && fflush(stdout) == 0 ? 0 : -1;
}

static int keygen(int pq)
{
	dp_age_identity id;
	dp_age_recipient rc;
	dp_buf s, t;
	dp_buf_init(&s, 256);
	dp_buf_init(&t, 4096);
	int r = pq ? dp_age_identity_generate_pq(&id) : dp_age_identity_generate(&id);
	if (!r)
		r = dp_age_identity_to_recipient(&id, &rc);
	if (!r)
		r = dp_age_identity_format(&id, &s);
	if (!r)
		r = dp_age_recipient_format(&rc, &t);
	if (!r)
		printf("%s\n%s\n", (char *)s.p, (char *)t.p);
	dp_age_identity_wipe(&id);
	dp_buf_free(&s);
	dp_buf_free(&t);
	return r ? fail("keygen", r) : 0;
}

/* Identities of an age identity file: non-empty lines not starting with '#'. */
static int load_identities(const char *path, dp_age_identity *ids, size_t *n)
{
	dp_buf f;
	dp_buf_init(&f, 1 << 20);
	int r = dp_read_file(path, &f);
	char *save = NULL;
	for (char *l = r ? NULL : strtok_r((char *)f.p, "\n", &save); l && !r;
	     l = strtok_r(NULL, "\n", &save)) {
		size_t ln = strlen(l);
		if (ln && l[ln - 1] == '\r')
			l[--ln] = 0;
		if (ln == 0 || l[0] == '#')
			continue;
		if (*n == MAX_KEYS)
			r = DP_ETOOBIG;
		else if ((r = dp_age_identity_parse(&ids[*n], l)) == DP_OK)
			(*n)++;
	}
	dp_buf_free(&f);
	return r;
}

int main(int argc, char **argv)
{
	if (dp_crypto_init())
		return 1;
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "keygen"))
		return argc == 2 ? keygen(0)
		       : argc == 3 && !strcmp(argv[2], "-pq") ? keygen(1)
							   : usage();
	int enc = !strcmp(argv[1], "encrypt");
	if (!enc && strcmp(argv[1], "decrypt"))
		return usage();

	dp_age_recipient rc[MAX_KEYS];
	dp_age_identity ids[MAX_KEYS];
	size_t nr = 0, ni = 0;
	int armor = 0, pass = 0, logn = 0, r = DP_OK;
	for (int i = 2; i < argc && !r; i++) {
		if (enc && !strcmp(argv[i], "-a"))
			armor = 1;
		else if (!strcmp(argv[i], "-p"))
			pass = 1;
		else if (enc && !strcmp(argv[i], "-w") && i + 1 < argc)
			logn = atoi(argv[++i]);
		else if (enc && !strcmp(argv[i], "-r") && i + 1 < argc && nr < MAX_KEYS)
			r = dp_age_recipient_parse(&rc[nr++], argv[++i]);
		else if (!enc && !strcmp(argv[i], "-i") && i + 1 < argc)
			r = load_identities(argv[++i], ids, &ni);
		else
			return usage();
	}
	if (r)
		return fail(enc ? "recipient" : "identity", r);
	if (pass) {
		const char *pw = getenv("TOOL_AGE_PASSPHRASE");
		if (!pw || nr || ni)
			return usage();
		dp_age_recipient *p = &rc[nr++];
		dp_age_identity *q = &ids[ni++];
		memset(p, 0, sizeof *p);
		memset(q, 0, sizeof *q);
		p->type = q->type = DP_AGE_SCRYPT;
		p->pass = q->pass = pw;
		p->passlen = q->passlen = strlen(pw);
		p->logn = logn;
	}
	if (enc ? nr == 0 : ni == 0)
		return usage();

	dp_buf in, out;
	dp_buf_init(&in, (size_t)DP_MAX_PAYLOAD * 2);
	dp_buf_init(&out, (size_t)DP_MAX_PAYLOAD * 2);
	r = dp_read_fd(0, &in);
	if (!r)
		r = enc ? dp_age_encrypt(rc, nr, in.p, in.len, armor, &out)
			: dp_age_decrypt(ids, ni, in.p, in.len, &out);
	int rc_exit = 0;
	if (r)
		rc_exit = fail(enc ? "encrypt" : "decrypt", r);
	else if (write_all(out.p, out.len))
		rc_exit = fail("write", DP_EIO);
	for (size_t i = 0; i < ni; i++)
		dp_age_identity_wipe(&ids[i]);
	dp_buf_free(&in);
	dp_buf_free(&out);
	return rc_exit;
}
