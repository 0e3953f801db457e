/*
 * tests/tool_submit.c - a throwaway device for integration and hostile tests
 * of denpod, speaking the API over libcurl with mutual TLS.
 *
 *   tool_submit enrol DIR OFFICER POST          keys in DIR, request in DIR/request
 *        (approve it with `denpod approve DIR/request --out ANSWER ...`: the device is then
 *         OFFICER's at POST, its identity DIR/sign.seed and DIR/tls.seed)
 *   tool_submit send DIR URL PIN TO CLASS PREC [CAPTIONS] [OPTIONS]
 *        resolve TO (comma list) once, then submit N cables to the devices resolve offered,
 *        each with the role resolve gave it (action, info, record); prints each answer as
 *        "STATUS body".  OPTIONS:
 *         --size N         N random payload bytes (default 4096; not with --seal)
 *         --count N        N cables (default 1)
 *         --seal           a real cable instead of random bytes: signed by the device
 *                          (subject and Classified-By "tool_submit", tag TEST, a line of
 *                          body) and sealed as
 *                          denpo seals it (seal_cable), so its recipients can open it
 *         --drop-role ROLE leave out the devices resolve offered with ROLE (record: a
 *                          submission lacking the archive's devices)
 *         --only HEX,...   keep only the resolved devices whose ids start with these hex
 *                          prefixes (an explicit list of recipient devices)
 *         --announce ROLE=AS  announce the devices resolved as ROLE with role AS (e.g.
 *                          record=action: the archive announced as an addressee)
 *         --as CLASS       put another classification in the envelope than the one resolved
 *         --key-type N     announce key type N for every recipient instead of the resolved one
 *         --epoch N        announce key epoch N for every recipient instead of the current one
 *         --add-device HEX also address device HEX, which resolve did not offer, with its
 *                          current key from /v1/directory/devices/HEX, as an action recipient
 *   tool_submit get DIR URL PIN PATH             GET, prints "STATUS body"
 *   tool_submit post DIR URL PIN PATH FILE       POST FILE's bytes, prints "STATUS body"
 *   tool_submit envelope DIR URL PIN TO CLASS PREC OUT [OPTIONS]
 *        write one valid submission to OUT (the options of send)
 *   tool_submit --help                           this text
 *
 * URL is the switch's https://HOST:PORT, PIN its TLS pin (sha256//BASE64, as
 * `denpod init` prints it).  Without --seal the payload is random bytes
 * age-encrypted to the resolved recipients' post-quantum (age1pq1) keys (the
 * switch never opens it); the envelope is real and signed by the device
 * either way.  Enrolment makes an mlkem768x25519 key.  Exit 0 if every HTTP
 * status was 2xx, 1 otherwise, 2 on a usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <sodium.h>

#include "denpo/age.h"
#include "denpo/encoding.h"
#include "denpo/enrol.h"
#include "denpo/epoch.h"
#include "denpo/envelope.h"
#include "denpo/tls.h"
#include "denpo/seal.h"

/* --as CLASS: claim another classification than the one resolved (hostile tests) */
static const char *as_class;
/* --key-type N: announce another key type than the resolved one (hostile tests); -1 = no */
static int force_kt = -1;
/* --epoch N: announce another key epoch than the resolved one (hostile tests); -1 = no */
static long long force_epoch = -1;
/* --add-device HEX: a recipient the directory did not offer (hostile tests); NULL = no */
static const char *add_device;
/* --drop-role ROLE: leave out the devices resolved with this role; 0 = none */
static int drop_role;
/* --only HEX,...: keep only the resolved devices with these id prefixes; NULL = all */
static const char *only;
/* --announce ROLE=AS: announce the devices resolved as ROLE (announce_from) as AS */
static int announce_from, announce_as;
/* --seal: a real signed cable (seal_cable) rather than random bytes */
static int seal;

static void usage(FILE *f)
{
	fprintf(f, "usage: tool_submit enrol DIR OFFICER POST\n"
		   "       tool_submit send DIR URL PIN TO CLASS PREC [CAPTIONS] [--size N] [--count N]\n"
		   "            [--seal] [--drop-role ROLE] [--only HEX,...] [--announce ROLE=AS]\n"
		   "            [--as CLASS] [--key-type N] [--epoch N] [--add-device HEX]\n"
		   "       tool_submit envelope DIR URL PIN TO CLASS PREC OUT [the options of send]\n"
		   "       tool_submit get DIR URL PIN PATH\n"
		   "       tool_submit post DIR URL PIN PATH FILE\n"
		   "A throwaway device of denpod's API (mutual TLS): the options are described at\n"
		   "the top of tests/tool_submit.c.  ROLE: action, info or record.\n");
}

/* 1 if hex64 starts with one of the comma-separated prefixes of list. */
static int in_prefixes(const char *list, const char *hex64)
{
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");
		if (n && n <= 64 && strncmp(hex64, p, n) == 0)
			return 1;
		p += n + (p[n] == ',');
	}
	return 0;
}

typedef struct {
	uint8_t sign_sk[64], sign_pk[32], tls_seed[32];
	dp_buf cert, key;
	char url[256], pin[128];
	CURL *curl;
} device;

static int load_seed(const char *dir, const char *name, uint8_t seed[32])
{
	char path[1024];
	dp_buf b;
	dp_buf_init(&b, 64);
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int r = dp_read_file(path, &b);
	if (!r && b.len != 32)
		r = DP_EPARSE;
	if (!r)
		memcpy(seed, b.p, 32);
	dp_buf_free(&b);
	return r;
}

static int cmd_enrol(const char *dir, const char *officer, const char *post)
{
	uint8_t seed[32], tseed[32], pk[32];
	char path[1024];
	mkdir(dir, 0700);
	dp_random(seed, 32);
	dp_random(tseed, 32);
	snprintf(path, sizeof path, "%s/sign.seed", dir);
	if (dp_write_file(path, seed, 32, 0600, 1))
		return 1;
	snprintf(path, sizeof path, "%s/tls.seed", dir);
	if (dp_write_file(path, tseed, 32, 0600, 1))
		return 1;
	/* the same TLS identity as PEM files, for tests that drive curl(1) directly */
	dp_buf cert, key;
	dp_buf_init(&cert, 16384);
	dp_buf_init(&key, 16384);
	int pr = dp_tls_selfsigned(tseed, "test device", &cert, &key);
	snprintf(path, sizeof path, "%s/tls.crt", dir);
	if (!pr)
		pr = dp_write_file(path, cert.p, cert.len, 0600, 1);
	snprintf(path, sizeof path, "%s/tls.pem", dir);
	if (!pr)
		pr = dp_write_file(path, key.p, key.len, 0600, 1);
	dp_buf_free(&cert);
	dp_buf_free(&key);
	if (pr)
		return 1;
	dp_enrol_request q;
	memset(&q, 0, sizeof q);
	snprintf(q.officer, sizeof q.officer, "%s", officer);
	snprintf(q.post, sizeof q.post, "%s", post);
	snprintf(q.device_name, sizeof q.device_name, "TESTDEV");
	uint8_t sk[64];
	crypto_sign_ed25519_seed_keypair(q.sign_pk, sk, seed);
	dp_tls_pk_from_seed(tseed, q.tls_pk);
	dp_age_identity id;
	dp_age_recipient rc;
	dp_buf ab;
	dp_buf_init(&ab, DP_AGE_RECIPIENT_MAX);
	if (dp_age_identity_generate_pq(&id) || dp_age_identity_to_recipient(&id, &rc) ||
	    dp_age_recipient_format(&rc, &ab))
		return 1;
	dp_age_identity_wipe(&id);
	snprintf(q.age_recipient, sizeof q.age_recipient, "%s", (const char *)ab.p);
	dp_buf_free(&ab);
	q.epoch = 0;
	q.created = dp_now();
	q.key_not_before = q.created;
	q.key_not_after = q.created + DP_EPOCH_PERIOD + DP_EPOCH_OVERLAP;
	dp_buf out;
	dp_buf_init(&out, DP_ENROL_MAX);
	int r = dp_enrol_request_encode(&q, sk, &out);
	snprintf(path, sizeof path, "%s/request", dir);
	if (!r)
		r = dp_write_file(path, out.p, out.len, 0644, 1);
	dp_buf_free(&out);
	(void)pk;
	if (r)
		fprintf(stderr, "enrol: %s\n", dp_strerror(r));
	return r ? 1 : 0;
}

static int dev_open(device *d, const char *dir, const char *url, const char *pin)
{
	uint8_t seed[32], pk[32];
	memset(d, 0, sizeof *d);
	if (load_seed(dir, "sign.seed", seed) || load_seed(dir, "tls.seed", d->tls_seed)) {
		fprintf(stderr, "cannot load keys from %s\n", dir);
		return 1;
	}
	crypto_sign_ed25519_seed_keypair(d->sign_pk, d->sign_sk, seed);
	dp_tls_pk_from_seed(d->tls_seed, pk);
	dp_buf_init(&d->cert, 16384);
	dp_buf_init(&d->key, 16384);
	if (dp_tls_selfsigned(d->tls_seed, "device", &d->cert, &d->key))
		return 1;
	snprintf(d->url, sizeof d->url, "%s", url);
	snprintf(d->pin, sizeof d->pin, "%s", pin);
	d->curl = curl_easy_init();
	return d->curl ? 0 : 1;
}

static size_t sink(char *p, size_t sz, size_t n, void *ud)
{
	dp_buf *b = ud;
	return dp_buf_append(b, p, sz * n) ? 0 : sz * n;
}

/* One request; body NULL = GET.  Returns the HTTP status (0 on transport error). */
static long request(device *d, const char *path, const uint8_t *body, size_t len, dp_buf *resp)
{
	char url[1024];
	snprintf(url, sizeof url, "%s%s", d->url, path);
	CURL *c = d->curl;
	curl_easy_reset(c);
	struct curl_blob cert = {d->cert.p, d->cert.len, CURL_BLOB_NOCOPY};
	struct curl_blob key = {d->key.p, d->key.len, CURL_BLOB_NOCOPY};
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_SSLCERT_BLOB, &cert);
	curl_easy_setopt(c, CURLOPT_SSLCERTTYPE, "PEM");
	curl_easy_setopt(c, CURLOPT_SSLKEY_BLOB, &key);
	curl_easy_setopt(c, CURLOPT_SSLKEYTYPE, "PEM");
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, d->pin);
	curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	struct curl_slist *h = NULL;
	if (body) {
		h = curl_slist_append(h, "Content-Type: application/octet-stream");
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	dp_buf_reset(resp);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	else
		fprintf(stderr, "curl: %s\n", curl_easy_strerror(rc));
	curl_slist_free_all(h);
	return status;
}

/* Whom a cable to (to, class, captions) goes to, resolved once for every cable sent. */
typedef struct {
	char from[DP_NAME_MAX + 1];
	dp_recipient *rcpt; /* sorted by device, as the envelope wants them */
	dp_age_recipient *keys;
	size_t n;
} addressing;

static void addressing_free(addressing *a)
{
	free(a->rcpt);
	free(a->keys);
	memset(a, 0, sizeof *a);
}

static int resolve(device *d, const char *to, const char *cls, const char *caps, addressing *a)
{
	char path[1024];
	dp_buf resp;
	memset(a, 0, sizeof *a);
	dp_buf_init(&resp, 8 << 20);
	snprintf(path, sizeof path, "/v1/directory/resolve?to=%s&classification=%s%s%s", to, cls,
		 caps ? "&captions=" : "", caps ? caps : "");
	for (char *p = path; *p; p++)
		if (*p == ' ')
			*p = '+';
	/*
	 * 503 is the switch's "retry": e.g. "the officer index is being
	 * updated" from a directory change until the checkpoint over it is
	 * served (it_detect's containment steps; seen under ASan in CI)
	 */
	long st = request(d, path, NULL, 0, &resp);
	for (int k = 0; st == 503 && k < 100; k++) {
		struct timespec w = {0, 100000000L};
		nanosleep(&w, NULL);
		st = request(d, path, NULL, 0, &resp);
	}
	json_t *j = st == 200 ? json_loadb((const char *)resp.p, resp.len, 0, NULL) : NULL;
	if (!j) {
		fprintf(stderr, "resolve: %ld %s\n", st, resp.p ? (const char *)resp.p : "");
		dp_buf_free(&resp);
		return 1;
	}
	dp_buf_free(&resp);
	/* From: this device's post, from the directory */
	char hex[65];
	dp_hex_encode(hex, d->sign_pk, 32);
	snprintf(path, sizeof path, "/v1/directory/devices/%s", hex);
	dp_buf_init(&resp, 65536);
	json_t *me = request(d, path, NULL, 0, &resp) == 200
			     ? json_loadb((const char *)resp.p, resp.len, 0, NULL) : NULL;
	dp_buf_free(&resp);
	if (!me) {
		json_decref(j);
		return 1;
	}
	snprintf(a->from, sizeof a->from, "%s", json_string_value(json_object_get(me, "post")));
	json_decref(me);
	json_t *devs = json_object_get(j, "devices");
	if (add_device) { /* its entry as resolve would list it: the device's own directory entry */
		snprintf(path, sizeof path, "/v1/directory/devices/%s", add_device);
		dp_buf_init(&resp, 65536);
		json_t *extra = request(d, path, NULL, 0, &resp) == 200
					? json_loadb((const char *)resp.p, resp.len, 0, NULL) : NULL;
		dp_buf_free(&resp);
		if (!extra || !json_object_get(extra, "age_recipient")) {
			fprintf(stderr, "add-device: no current key for %s\n", add_device);
			json_decref(extra);
			json_decref(j);
			return 1;
		}
		json_object_set_new(extra, "role", json_string("action"));
		json_array_append_new(devs, extra);
	}
	size_t n = json_array_size(devs);
	a->rcpt = calloc(n ? n : 1, sizeof *a->rcpt);
	a->keys = calloc(n ? n : 1, sizeof *a->keys);
	if (!a->rcpt || !a->keys) {
		json_decref(j);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *x = json_array_get(devs, i);
		const char *h = json_string_value(json_object_get(x, "device"));
		const char *ar = json_string_value(json_object_get(x, "age_recipient"));
		int role = 0;
		if (dp_role_parse(json_string_value(json_object_get(x, "role")) ?: "", &role)) {
			fprintf(stderr, "resolve: device %s has no role this tool knows\n", h ? h : "?");
			json_decref(j);
			return 1;
		}
		if ((drop_role && role == drop_role) || (only && h && !in_prefixes(only, h)))
			continue;
		dp_recipient *r = &a->rcpt[a->n++];
		dp_age_recipient *key = &a->keys[a->n - 1];
		if (!h || dp_hex_decode(r->device, 32, h, strlen(h)) || !ar ||
		    dp_age_recipient_parse(key, ar)) {
			json_decref(j);
			return 1;
		}
		r->key_type = (uint8_t)json_integer_value(json_object_get(x, "key_type"));
		if (force_kt >= 0)
			r->key_type = (uint8_t)force_kt;
		r->epoch = (uint32_t)json_integer_value(json_object_get(x, "epoch"));
		if (force_epoch >= 0)
			r->epoch = (uint32_t)force_epoch;
		r->role = (uint8_t)(announce_from && role == announce_from ? announce_as : role);
	}
	n = a->n;
	/* resolve lists by officer; the envelope wants them sorted by device */
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && memcmp(a->rcpt[k - 1].device, a->rcpt[k].device, 32) > 0; k--) {
			dp_recipient t = a->rcpt[k];
			a->rcpt[k] = a->rcpt[k - 1];
			a->rcpt[k - 1] = t;
			dp_age_recipient tk = a->keys[k];
			a->keys[k] = a->keys[k - 1];
			a->keys[k - 1] = tk;
		}
	json_decref(j);
	return 0;
}

/*
 * --seal: the cable of the envelope fields e (routing, classification,
 * precedence), signed by the device and sealed to the resolved devices.
 */
static int build_sealed(device *d, const addressing *a, const dp_envelope *e, const char *caps,
			dp_buf *sub)
{
	static const char body[] = "A cable of tests/tool_submit.c.\n";
	dp_cable *c = calloc(1, sizeof *c);
	int r = c ? DP_OK : DP_ENOMEM;
	if (!r) {
		dp_random(c->id, DP_CABLE_ID);
		c->classification = e->classification;
		c->prec_action = e->prec_action;
		c->prec_info = e->prec_info;
		c->created = e->created;
		memcpy(c->from, e->from, sizeof c->from);
		memcpy(c->from_device, d->sign_pk, 32);
		memcpy(c->to, e->to, sizeof c->to);
		c->nto = e->nto;
		if (caps) {
			snprintf(c->captions[0], DP_NAME_MAX + 1, "%s", caps);
			c->ncaptions = 1;
		}
		snprintf(c->tags[0], DP_NAME_MAX + 1, "TEST");
		c->ntags = 1;
		snprintf(c->subject, sizeof c->subject, "tool_submit");
		if (c->classification != DP_CLASS_UNCLASSIFIED) /* required for classified cables */
			snprintf(c->classified_by, sizeof c->classified_by, "tool_submit");
		c->body = malloc(sizeof body - 1);
		c->recipients = calloc(a->n ? a->n : 1, sizeof *c->recipients);
		r = c->body && c->recipients ? DP_OK : DP_ENOMEM;
	}
	if (!r) {
		memcpy(c->body, body, sizeof body - 1);
		c->body_len = sizeof body - 1;
		memcpy(c->recipients, a->rcpt, a->n * sizeof *c->recipients);
		c->nrecipients = a->n;
		r = seal_cable(c, a->keys, a->n, d->sign_sk, sub);
	}
	if (r)
		fprintf(stderr, "seal: %s\n", dp_strerror(r));
	if (c)
		dp_cable_free(c);
	free(c);
	return r ? 1 : 0;
}

/* Build one submission to the resolved devices. */
static int build(device *d, const addressing *a, const char *to, const char *cls, const char *prec,
		 const char *caps, size_t size, dp_buf *sub)
{
	dp_envelope e;
	dp_envelope_init(&e);
	dp_random(e.cable_id, 16);
	memcpy(e.from_device, d->sign_pk, 32);
	snprintf(e.from, sizeof e.from, "%s", a->from);
	e.created = (int64_t)time(NULL);
	if (dp_class_parse(cls, &e.classification) || dp_prec_parse(prec, &e.prec_action))
		return 1;
	e.prec_info = e.prec_action;
	if (as_class && dp_class_parse(as_class, &e.classification))
		return 1;
	size_t nt = 0;
	const char *p = to;
	while (*p && nt < DP_MAX_ADDRESSEES) {
		const char *c = strchr(p, ',');
		size_t l = c ? (size_t)(c - p) : strlen(p);
		snprintf(e.to[nt++], DP_NAME_MAX + 1, "%.*s", (int)l, p);
		p = c ? c + 1 : p + l;
	}
	e.nto = nt;
	if (caps) {
		snprintf(e.captions[0], DP_NAME_MAX + 1, "%s", caps);
		e.ncaptions = 1;
	}
	size_t n = a->n;
	if (seal) {
		int sr = build_sealed(d, a, &e, caps, sub);
		dp_envelope_free(&e);
		return sr;
	}
	e.recipients = calloc(n ? n : 1, sizeof *e.recipients);
	if (!e.recipients)
		return 1;
	memcpy(e.recipients, a->rcpt, n * sizeof *e.recipients);
	e.nrecipients = n;
	uint8_t *pt = malloc(size ? size : 1);
	dp_random(pt, size);
	dp_buf payload, env;
	dp_buf_init(&payload, DP_MAX_PAYLOAD);
	dp_buf_init(&env, DP_ENVELOPE_MAX);
	int r = n ? dp_age_encrypt(a->keys, n, pt, size, 0, &payload) : dp_buf_append(&payload, pt, size);
	free(pt);
	e.payload_len = payload.len;
	dp_sha256(e.payload_sha256, payload.p ? payload.p : (const uint8_t *)"", payload.len);
	r = r ? r : dp_envelope_encode(&e, d->sign_sk, &env);
	if (!r)
		r = dp_submission_encode(&env, payload.p ? payload.p : (const uint8_t *)"", payload.len, sub);
	if (r)
		fprintf(stderr, "build: %s\n", dp_strerror(r));
	dp_buf_free(&env);
	dp_buf_free(&payload);
	dp_envelope_free(&e);
	return r ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (dp_crypto_init() || curl_global_init(CURL_GLOBAL_DEFAULT))
		return 1;
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc == 5 && strcmp(argv[1], "enrol") == 0)
		return cmd_enrol(argv[2], argv[3], argv[4]);
	if (argc < 6) {
		usage(stderr);
		return 2;
	}
	device d;
	if (dev_open(&d, argv[2], argv[3], argv[4])) {
		dp_buf_free(&d.cert);
		dp_buf_free(&d.key);
		sodium_memzero(d.sign_sk, sizeof d.sign_sk);
		return 1;
	}
	dp_buf resp;
	dp_buf_init(&resp, (size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 1024);
	int bad = 0;
	if (strcmp(argv[1], "get") == 0) {
		long st = request(&d, argv[5], NULL, 0, &resp);
		printf("%ld %s", st, resp.p ? (const char *)resp.p : "");
		bad = st < 200 || st > 299;
	} else if (strcmp(argv[1], "post") == 0 && argc == 7) {
		dp_buf f;
		dp_buf_init(&f, (size_t)1 << 30);
		if (dp_read_file(argv[6], &f)) {
			fprintf(stderr, "cannot read %s\n", argv[6]);
			bad = 1;
		} else {
			long st = request(&d, argv[5], f.p ? f.p : (const uint8_t *)"", f.len, &resp);
			printf("%ld %s", st, resp.p ? (const char *)resp.p : "");
			bad = st < 200 || st > 299;
		}
		dp_buf_free(&f);
	} else if ((strcmp(argv[1], "send") == 0 || strcmp(argv[1], "envelope") == 0) && argc >= 8) {
		size_t size = 4096, count = 1;
		const char *caps = NULL, *out = NULL;
		for (int i = 8; i < argc; i++) {
			if (strcmp(argv[i], "--size") == 0 && i + 1 < argc)
				size = strtoul(argv[++i], NULL, 10);
			else if (strcmp(argv[i], "--as") == 0 && i + 1 < argc)
				as_class = argv[++i];
			else if (strcmp(argv[i], "--key-type") == 0 && i + 1 < argc)
				force_kt = atoi(argv[++i]);
			else if (strcmp(argv[i], "--epoch") == 0 && i + 1 < argc)
				force_epoch = atoll(argv[++i]);
			else if (strcmp(argv[i], "--add-device") == 0 && i + 1 < argc)
				add_device = argv[++i];
			else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
				count = strtoul(argv[++i], NULL, 10);
			else if (strcmp(argv[i], "--seal") == 0)
				seal = 1;
			else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
				only = argv[++i];
			else if (strcmp(argv[i], "--drop-role") == 0 && i + 1 < argc) {
				if (dp_role_parse(argv[++i], &drop_role)) {
					usage(stderr);
					bad = 2;
				}
			} else if (strcmp(argv[i], "--announce") == 0 && i + 1 < argc) {
				char from[16];
				const char *eq = strchr(argv[++i], '=');
				snprintf(from, sizeof from, "%.*s", eq ? (int)(eq - argv[i]) : 0, argv[i]);
				if (!eq || dp_role_parse(from, &announce_from) ||
				    dp_role_parse(eq + 1, &announce_as)) {
					usage(stderr);
					bad = 2;
				}
			} else if (strncmp(argv[i], "--", 2) == 0) {
				usage(stderr);
				bad = 2;
			}
			else if (strcmp(argv[1], "envelope") == 0 && !out)
				out = argv[i];
			else
				caps = argv[i];
		}
		addressing a;
		memset(&a, 0, sizeof a);
		if (!bad && resolve(&d, argv[5], argv[6], caps, &a))
			bad = 1;
		for (size_t i = 0; i < count && !bad; i++) {
			dp_buf sub;
			dp_buf_init(&sub, (size_t)DP_MAX_PAYLOAD + DP_ENVELOPE_MAX + 4);
			if (build(&d, &a, argv[5], argv[6], argv[7], caps, size, &sub)) {
				bad = 1;
			} else if (out) {
				bad = dp_write_file(out, sub.p, sub.len, 0644, 0) != 0;
			} else {
				long st = request(&d, "/v1/cables", sub.p, sub.len, &resp);
				printf("%ld %s", st, resp.p ? (const char *)resp.p : "");
				bad = st < 200 || st > 299;
			}
			dp_buf_free(&sub);
		}
		addressing_free(&a);
	} else {
		usage(stderr);
		bad = 2;
	}
	/* every path ends here: under LeakSanitizer an error must read as itself, not as a leak */
	dp_buf_free(&resp);
	dp_buf_free(&d.cert);
	dp_buf_free(&d.key);
	sodium_memzero(d.sign_sk, sizeof d.sign_sk);
	curl_easy_cleanup(d.curl);
	return bad;
}
