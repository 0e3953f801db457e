/*
 * denpo/drafts.c - drafts as JSON, their one conversion to and from a
 * dp_cable, and their sealed store (contract and formats in denpo/drafts.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "denpo/drafts.h"
#include "denpo/encoding.h"

/* ---- the conversion ---- */

static int bad(char *why, size_t cap, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int bad(char *why, size_t cap, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	return rc;
}

/* The name of a field in a message: the CLI's option, or the JSON key. */
#define NAME(cli, opt, key) ((cli) ? (opt) : (key))

/*
 * Split comma-separated names from srcs[] into out, trimming spaces,
 * optionally upper-casing; each must pass ok().
 */
static int split(const char *what, const char *const *srcs, size_t nsrc, int up, int (*ok)(const char *),
		 char (*out)[DP_NAME_MAX + 1], size_t max, size_t *n, char *why, size_t cap)
{
	for (size_t k = 0; k < nsrc; k++) {
		const char *s = srcs[k];
		while (*s) {
			const char *e = strchr(s, ',');
			size_t len = e ? (size_t)(e - s) : strlen(s);
			while (len && *s == ' ')
				s++, len--;
			while (len && s[len - 1] == ' ')
				len--;
			if (len == 0 || len > DP_NAME_MAX)
				return bad(why, cap, DP_EINVAL, "bad %s list '%s' (names of 1..%d characters)", what,
					   srcs[k], DP_NAME_MAX);
			if (*n >= max)
				return bad(why, cap, DP_EINVAL, "too many %s (at most %zu)", what, max);
			char *t = out[*n];
			memcpy(t, s, len);
			t[len] = 0;
			for (size_t i = 0; up && i < len; i++)
				if (t[i] >= 'a' && t[i] <= 'z')
					t[i] = (char)(t[i] - 32);
			if (!ok(t))
				return bad(why, cap, DP_EINVAL, "bad %s '%s'", what, t);
			for (size_t i = 0; i < *n; i++)
				if (!strcmp(out[i], t))
					return bad(why, cap, DP_EINVAL, "%s '%s' given twice", what, t);
			(*n)++;
			s += len;
			while (*s == ' ')
				s++;
			if (*s == ',')
				s++;
		}
	}
	return DP_OK;
}

static int attn_name_ok(const char *s) { return dp_name_ok(s) || dp_handle_ok(s); }

/*
 * The strings of d[key] (an array of strings, or one string) into srcs;
 * *present = 0 if d has no such key.  DP_EINVAL if it is of another type.
 */
#define SRCS_MAX (DP_MAX_ADDRESSEES * 2)
static int strings(const json_t *d, const char *key, const char **srcs, size_t *n, int *present, char *why,
		   size_t cap)
{
	const json_t *v = json_object_get(d, key);
	*n = 0;
	*present = v != NULL && !json_is_null(v);
	if (!*present)
		return DP_OK;
	if (json_is_string(v)) {
		srcs[(*n)++] = json_string_value(v);
		return DP_OK;
	}
	if (!json_is_array(v) || json_array_size(v) > SRCS_MAX)
		return bad(why, cap, DP_EINVAL, "%s must be a list of at most %d strings", key, SRCS_MAX);
	for (size_t i = 0; i < json_array_size(v); i++) {
		const json_t *s = json_array_get(v, i);
		if (!json_is_string(s))
			return bad(why, cap, DP_EINVAL, "%s must be a list of strings", key);
		srcs[(*n)++] = json_string_value(s);
	}
	return DP_OK;
}

/* d[key] as a string (NULL if absent or null); DP_EINVAL if of another type. */
static int string(const json_t *d, const char *key, const char **out, char *why, size_t cap)
{
	const json_t *v = json_object_get(d, key);
	*out = NULL;
	if (!v || json_is_null(v))
		return DP_OK;
	if (!json_is_string(v))
		return bad(why, cap, DP_EINVAL, "%s must be a string", key);
	*out = json_string_value(v);
	return DP_OK;
}

/* A free-text field of at most max bytes (named what in messages) into out when the draft has it; *s its text or NULL. */
static int text(const json_t *d, const char *key, const char *what, char *out, size_t max, const char **s, char *why,
		size_t cap)
{
	int r = string(d, key, s, why, cap);
	if (r || !*s)
		return r;
	if (strlen(*s) > max)
		return bad(why, cap, DP_EINVAL, "%s longer than %zu bytes", what, max);
	strcpy(out, *s);
	return DP_OK;
}

/* One list field: its names replace c's when the draft has the key. */
static int names(const json_t *d, const char *key, const char *what, int up, int (*ok)(const char *),
		 char (*out)[DP_NAME_MAX + 1], size_t max, size_t *n, char *why, size_t cap)
{
	const char *srcs[SRCS_MAX];
	size_t ns;
	int present, r = strings(d, key, srcs, &ns, &present, why, cap);
	if (r || !present)
		return r;
	*n = 0;
	return split(what, srcs, ns, up, ok, out, max, n, why, cap);
}

static void free_atts(dp_cable *c)
{
	for (size_t i = 0; i < c->natts; i++) {
		if (c->atts[i].data)
			sodium_memzero(c->atts[i].data, c->atts[i].len);
		free(c->atts[i].data);
		memset(&c->atts[i], 0, sizeof c->atts[i]);
	}
	c->natts = 0;
}

static int body_atts(const json_t *d, dp_cable *c, char *why, size_t cap)
{
	const char *body;
	int r = string(d, "body", &body, why, cap);
	if (r)
		return r;
	if (body) {
		size_t n = json_string_length(json_object_get(d, "body"));
		if (n > DP_MAX_BODY)
			return bad(why, cap, DP_ETOOBIG, "the body is limited to 1 MiB; send long texts as attachments");
		uint8_t *b = malloc(n ? n : 1);
		if (!b)
			return DP_ENOMEM;
		memcpy(b, body, n);
		if (c->body) {
			sodium_memzero(c->body, c->body_len);
			free(c->body);
		}
		c->body = b;
		c->body_len = n;
	}
	const json_t *a = json_object_get(d, "attachments");
	if (!a || json_is_null(a))
		return DP_OK;
	if (!json_is_array(a) || json_array_size(a) > DP_MAX_ATTACHMENTS)
		return bad(why, cap, DP_EINVAL, "attachments must be a list of at most %d {name, data}",
			   DP_MAX_ATTACHMENTS);
	free_atts(c);
	size_t total = c->body_len;
	for (size_t i = 0; i < json_array_size(a); i++) {
		const json_t *e = json_array_get(a, i);
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *data = json_string_value(json_object_get(e, "data"));
		if (!json_is_object(e) || !name || !data)
			return bad(why, cap, DP_EINVAL, "attachment %zu: needs a name and data (base64)", i + 1);
		if (strlen(name) > DP_ATT_NAME_MAX)
			return bad(why, cap, DP_EINVAL, "attachment name %s is too long", name);
		size_t dl = json_string_length(json_object_get(e, "data")), n = 0;
		if (dl / 4 * 3 > DP_MAX_PLAINTEXT - total)
			return bad(why, cap, DP_ETOOBIG, "a cable holds at most 60 MiB in all");
		uint8_t *p = malloc(dl / 4 * 3 + 3);
		if (!p)
			return DP_ENOMEM;
		if (dp_b64_decode(p, dl / 4 * 3 + 3, &n, data, dl, 1)) {
			free(p);
			return bad(why, cap, DP_EINVAL, "attachment %s: data is not base64", name);
		}
		dp_attachment *t = &c->atts[c->natts++];
		snprintf(t->name, sizeof t->name, "%s", name);
		t->data = p;
		t->len = n;
		total += n;
	}
	return DP_OK;
}

int draft_cable(cli_ctx *x, const json_t *d, dp_cable *c, int complete, int cli, char *why, size_t cap)
{
	const char *s;
	int r;
	if (!json_is_object(d))
		return bad(why, cap, DP_EINVAL, "a draft is a JSON object");
	if ((r = string(d, "classification", &s, why, cap)))
		return r;
	if (s && dp_class_parse(s, &c->classification))
		return bad(why, cap, DP_EINVAL, "unknown classification '%s'", s);
	if ((r = string(d, "precedence", &s, why, cap)))
		return r;
	if (s) {
		char a[32], *slash;
		snprintf(a, sizeof a, "%s", s);
		slash = strchr(a, '/');
		if (slash)
			*slash = 0;
		if (dp_prec_parse(a, &c->prec_action) || (slash && dp_prec_parse(slash + 1, &c->prec_info)))
			return bad(why, cap, DP_EINVAL, "bad precedence '%s' (e.g. IMMEDIATE or IMMEDIATE/ROUTINE)", s);
		if (!slash)
			c->prec_info = c->prec_action;
	}
	if ((r = string(d, "info_precedence", &s, why, cap)))
		return r;
	if (s && dp_prec_parse(s, &c->prec_info))
		return bad(why, cap, DP_EINVAL, "bad precedence '%s' (e.g. ROUTINE)", s);
	if ((r = names(d, "to", "TO post", 1, dp_name_ok, c->to, DP_MAX_ADDRESSEES, &c->nto, why, cap)) ||
	    (r = names(d, "info", "INFO post", 1, dp_name_ok, c->info, DP_MAX_ADDRESSEES, &c->ninfo, why, cap)) ||
	    (r = names(d, "captions", "caption", 1, dp_name_ok, c->captions, DP_MAX_CAPTIONS, &c->ncaptions, why,
		       cap)) ||
	    (r = names(d, "attn", "ATTN", 0, attn_name_ok, c->attn, DP_MAX_ADDRESSEES, &c->nattn, why, cap)) ||
	    (r = names(d, "tags", "TAG", 1, dp_name_ok, c->tags, DP_MAX_TAGS, &c->ntags, why, cap)))
		return r;
	const char *refs[SRCS_MAX];
	size_t nrefs;
	int present;
	if ((r = strings(d, "refs", refs, &nrefs, &present, why, cap)))
		return r;
	for (size_t i = 0; i < nrefs; i++) {
		if (c->nrefs >= DP_MAX_REFS)
			return bad(why, cap, DP_EINVAL, "too many %s (at most %d)", NAME(cli, "--ref", "refs"),
				   DP_MAX_REFS);
		if (strlen(refs[i]) > DP_MRN_MAX || !dp_mrn_ok(refs[i]))
			return bad(why, cap, DP_EINVAL, "bad %s '%s' (a reference number like \"26 HQ 000012\")",
				   NAME(cli, "--ref", "ref"), refs[i]);
		strcpy(c->refs[c->nrefs++], refs[i]);
	}
	if ((r = string(d, "subject", &s, why, cap)))
		return r;
	if (s) {
		if (strlen(s) > DP_SUBJECT_MAX)
			return bad(why, cap, DP_EINVAL, "subject longer than %d bytes", DP_SUBJECT_MAX);
		strcpy(c->subject, s);
	}
	if ((r = string(d, "declassify_on", &s, why, cap)))
		return r;
	if (s) {
		if (strlen(s) != 10)
			return bad(why, cap, DP_EINVAL, "%s takes YYYY-MM-DD", NAME(cli, "--declassify-on", "declassify_on"));
		strcpy(c->declassify_on, s);
	}
	if ((r = text(d, "declassify_event", NAME(cli, "--declassify-event", "declassify_event"), c->declassify_event,
		      DP_DECL_EVENT_MAX, &s, why, cap)))
		return r;
	if ((r = string(d, "retention", &s, why, cap)))
		return r;
	if (s) {
		size_t n = strlen(s);
		for (size_t i = 0; i < n && i <= DP_NAME_MAX; i++)
			c->retention[i] = (char)toupper((unsigned char)s[i]);
		c->retention[n <= DP_NAME_MAX ? n : 0] = 0;
		if (n > DP_NAME_MAX || (n && !dp_name_ok(c->retention)))
			return bad(why, cap, DP_EINVAL, "%s is a retention class of the records schedule, "
							"e.g. PERMANENT or TEMPORARY-10Y",
				   NAME(cli, "--retention", "retention"));
	}
	if ((r = text(d, "classified_by", NAME(cli, "--classified-by", "classified_by"), c->classified_by,
		      DP_CLASSBY_MAX, &s, why, cap)))
		return r;
	if ((r = body_atts(d, c, why, cap)))
		return r;
	if (!complete)
		return DP_OK;
	if (!s && c->classification > DP_CLASS_UNCLASSIFIED && !c->classified_by[0])
		snprintf(c->classified_by, sizeof c->classified_by, "%s, %s", x->ans.officer, x->ans.post);
	if (c->classification == DP_CLASS_UNCLASSIFIED)
		c->classified_by[0] = 0;
	if (c->nto == 0)
		return bad(why, cap, DP_EINVAL, "%s is required", NAME(cli, "--to POST", "to"));
	if (c->prec_action < 0)
		return bad(why, cap, DP_EINVAL, "%s is required (FLASH, IMMEDIATE, PRIORITY or ROUTINE)",
			   NAME(cli, "--prec", "precedence"));
	if (c->classification < 0)
		return bad(why, cap, DP_EINVAL, "%s is required (e.g. SECRET)", NAME(cli, "--class", "classification"));
	if (c->ntags == 0)
		return bad(why, cap, DP_EINVAL, "%s is required (at least one subject tag, e.g. PREL)",
			   NAME(cli, "--tags", "tags"));
	if (!c->subject[0])
		return bad(why, cap, DP_EINVAL, "%s is required", NAME(cli, "--subject", "subject"));
	if (c->ninfo == 0)
		c->prec_info = c->prec_action;
	if (c->prec_info < c->prec_action)
		return bad(why, cap, DP_EINVAL, "info precedence may not be more urgent than action precedence");
	if (c->declassify_on[0] && c->declassify_event[0])
		return bad(why, cap, DP_EINVAL, "give %s or %s, not both: a cable carries one declassification",
			   NAME(cli, "--declassify-on", "declassify_on"),
			   NAME(cli, "--declassify-event", "declassify_event"));
	if (c->classification == DP_CLASS_UNCLASSIFIED && (c->declassify_on[0] || c->declassify_event[0]))
		return bad(why, cap, DP_EINVAL, "an UNCLASSIFIED cable has nothing to declassify: leave out %s",
			   NAME(cli, "--declassify-on/--declassify-event", "declassify_on and declassify_event"));
	/* the retention the drafter chose: one the ministry's schedule defines */
	return cli_retention_check(x, c->retention, why, cap);
}

static json_t *name_list(const char (*l)[DP_NAME_MAX + 1], size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(l[i]));
	return a;
}

static void set_list(json_t *j, const char *key, const char (*l)[DP_NAME_MAX + 1], size_t n)
{
	if (n)
		json_object_set_new(j, key, name_list(l, n));
}

static void set_str(json_t *j, const char *key, const char *s)
{
	if (s && *s)
		json_object_set_new(j, key, json_string(s));
}

json_t *draft_json(const dp_cable *c)
{
	json_t *j = json_object();
	if (!j)
		return NULL;
	if (c->classification >= 0)
		set_str(j, "classification", dp_class_name(c->classification));
	if (c->prec_action >= 0)
		set_str(j, "precedence", dp_prec_name(c->prec_action));
	if (c->prec_info >= 0 && c->ninfo)
		set_str(j, "info_precedence", dp_prec_name(c->prec_info));
	set_list(j, "captions", c->captions, c->ncaptions);
	set_list(j, "to", c->to, c->nto);
	set_list(j, "info", c->info, c->ninfo);
	set_list(j, "attn", c->attn, c->nattn);
	set_list(j, "tags", c->tags, c->ntags);
	set_str(j, "subject", c->subject);
	set_str(j, "declassify_on", c->declassify_on);
	set_str(j, "declassify_event", c->declassify_event);
	set_str(j, "classified_by", c->classified_by);
	set_str(j, "retention", c->retention);
	if (c->nrefs) {
		json_t *a = json_array();
		for (size_t i = 0; a && i < c->nrefs; i++)
			json_array_append_new(a, json_string(c->refs[i]));
		json_object_set_new(j, "refs", a);
	}
	int ok = 1;
	if (c->body_len) {
		json_t *b = json_stringn((const char *)c->body, c->body_len);
		ok = b != NULL && json_object_set_new(j, "body", b) == 0;
	}
	json_t *atts = c->natts ? json_array() : NULL;
	for (size_t i = 0; ok && i < c->natts; i++) {
		size_t n = dp_b64_enclen(c->atts[i].len, 1);
		char *b = malloc(n + 1);
		if (!b) {
			ok = 0;
			break;
		}
		dp_b64_encode(b, c->atts[i].data, c->atts[i].len, 1);
		json_t *e = json_pack("{s:s, s:s}", "name", c->atts[i].name, "data", b);
		free(b);
		ok = e && json_array_append_new(atts, e) == 0;
	}
	if (atts && ok)
		ok = json_object_set_new(j, "attachments", atts) == 0;
	else
		json_decref(atts);
	if (!ok) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* ---- the store ---- */

#define DRAFT_MAGIC "DPDR"
#define DRAFT_VERSION 1
#define DRAFT_HDR (4 + 1 + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
#define DRAFT_AD "denpo-draft-v1"
/* a draft holds a cable's plaintext at most, base64'd, and its fields */
#define DRAFT_FILE_MAX ((size_t)DP_MAX_PLAINTEXT / 3 * 4 + (1u << 20))

static const char *const store_keys[] = {"id", "updated", "queued", "queued_ms", "last_error", "failed", "cable_id"};

static int id_ok(const char *id)
{
	if (!id || strlen(id) != DRAFT_ID_LEN)
		return 0;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

static void draft_file(cli_ctx *x, const char *id, const char *ext, char out[PATH_MAX])
{
	char name[64];
	snprintf(name, sizeof name, "drafts/%s.%s", id, ext);
	cli_path(x, out, name);
}

static void draft_path(cli_ctx *x, const char *id, char out[PATH_MAX]) { draft_file(x, id, "draft", out); }

/*
 * ID.queued, empty, beside a queued draft: lets every command see whether
 * the outbox holds anything without opening each draft.  Only a hint: the
 * sealed draft says what is queued (a marker removed by hand leaves its
 * entry unsent until the next `denpo outbox send`; one planted costs a
 * pass that finds nothing).
 */
static void queued_mark(cli_ctx *x, const char *id, int on)
{
	char p[PATH_MAX];
	draft_file(x, id, "queued", p);
	if (!on)
		unlink(p);
	else if (dp_write_file(p, "", 0, 0600, 0) != DP_OK && !x->quiet)
		fprintf(stderr, "denpo: warning: cannot mark draft %s queued (%s): `denpo outbox send` sends it\n",
			id, p);
}

int draft_any_queued(cli_ctx *x)
{
	char dir[PATH_MAX];
	cli_path(x, dir, "drafts");
	DIR *d = opendir(dir);
	struct dirent *de;
	int any = 0;
	while (d && !any && (de = readdir(d)))
		any = strlen(de->d_name) == DRAFT_ID_LEN + 7 && !strcmp(de->d_name + DRAFT_ID_LEN, ".queued");
	if (d)
		closedir(d);
	return any;
}

static void draft_ad(const char *id, uint8_t ad[sizeof DRAFT_AD + DRAFT_ID_LEN])
{
	memcpy(ad, DRAFT_AD, sizeof DRAFT_AD); /* with its NUL: the id cannot run into it */
	memcpy(ad + sizeof DRAFT_AD, id, DRAFT_ID_LEN);
}

/* Seal the whole object j (store keys included) as draft id. */
static int write_sealed(cli_ctx *x, const char *id, const json_t *j)
{
	char dir[PATH_MAX], p[PATH_MAX];
	cli_path(x, dir, "drafts");
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return DP_EIO;
	char *t = json_dumps(j, JSON_COMPACT);
	if (!t)
		return DP_ENOMEM;
	size_t n = strlen(t);
	uint8_t *f = malloc(DRAFT_HDR + n + crypto_aead_xchacha20poly1305_ietf_ABYTES);
	if (!f) {
		sodium_memzero(t, n);
		free(t);
		return DP_ENOMEM;
	}
	uint8_t ad[sizeof DRAFT_AD + DRAFT_ID_LEN];
	draft_ad(id, ad);
	memcpy(f, DRAFT_MAGIC, 4);
	f[4] = DRAFT_VERSION;
	dp_random(f + 5, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	unsigned long long cl;
	crypto_aead_xchacha20poly1305_ietf_encrypt(f + DRAFT_HDR, &cl, (const uint8_t *)t, n, ad, sizeof ad, NULL,
						   f + 5, x->ks->storage_key);
	sodium_memzero(t, n);
	free(t);
	draft_path(x, id, p);
	int r = dp_write_file(p, f, DRAFT_HDR + (size_t)cl, 0600, 0);
	free(f);
	return r;
}

int draft_load(cli_ctx *x, const char *id, json_t **out)
{
	char p[PATH_MAX];
	*out = NULL;
	if (!id_ok(id))
		return DP_EINVAL;
	draft_path(x, id, p);
	dp_buf b;
	dp_buf_init(&b, DRAFT_FILE_MAX);
	int r = dp_read_file(p, &b);
	if (r) {
		dp_buf_free(&b);
		return r == DP_EIO && access(p, F_OK) != 0 ? DP_ENOTFOUND : r;
	}
	if (b.len < DRAFT_HDR + crypto_aead_xchacha20poly1305_ietf_ABYTES || memcmp(b.p, DRAFT_MAGIC, 4) ||
	    b.p[4] != DRAFT_VERSION) {
		dp_buf_free(&b);
		return DP_EPARSE;
	}
	size_t n = b.len - DRAFT_HDR - crypto_aead_xchacha20poly1305_ietf_ABYTES;
	uint8_t *t = malloc(n + 1), ad[sizeof DRAFT_AD + DRAFT_ID_LEN];
	if (!t) {
		dp_buf_free(&b);
		return DP_ENOMEM;
	}
	draft_ad(id, ad);
	unsigned long long ml;
	r = crypto_aead_xchacha20poly1305_ietf_decrypt(t, &ml, NULL, b.p + DRAFT_HDR, b.len - DRAFT_HDR, ad,
						       sizeof ad, b.p + 5, x->ks->storage_key)
		? DP_EHMAC /* altered, renamed, or another device's */
		: DP_OK;
	dp_buf_free(&b);
	if (!r) {
		json_error_t je;
		*out = json_loadb((const char *)t, (size_t)ml, JSON_REJECT_DUPLICATES, &je);
		if (!json_is_object(*out)) {
			json_decref(*out);
			*out = NULL;
			r = DP_EPARSE;
		} else
			json_object_set_new(*out, "id", json_string(id));
	}
	sodium_memzero(t, n);
	free(t);
	return r;
}

static int save_as(cli_ctx *x, const json_t *d, const char *id, char *why, size_t cap);

/* ---- drafts/lock ---- */

/* held by this process (one thread): nested holds are one lock, released at the outermost */
static int lock_fd = -1, lock_depth;

int drafts_lock(cli_ctx *x)
{
	if (lock_depth) {
		lock_depth++;
		return DP_OK;
	}
	char dir[PATH_MAX], p[PATH_MAX];
	cli_path(x, dir, "drafts");
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return DP_EIO;
	cli_path(x, p, "drafts/lock");
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return DP_EIO;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return DP_EEXISTS;
	}
	lock_fd = fd;
	lock_depth = 1;
	return DP_OK;
}

void drafts_unlock(void)
{
	if (lock_depth == 0 || --lock_depth > 0)
		return;
	flock(lock_fd, LOCK_UN);
	close(lock_fd);
	lock_fd = -1;
}

const char *drafts_busy(void) { return "another denpo process is sending the outbox now; try again in a moment"; }

int draft_was_sealed(cli_ctx *x, const char *cable_id)
{
	char p[PATH_MAX], name[64];
	if (!cable_id || strlen(cable_id) != 32)
		return 0;
	snprintf(name, sizeof name, "sent/%.32s.cable", cable_id);
	cli_path(x, p, name);
	return access(p, F_OK) == 0;
}

const char *draft_in_flight(cli_ctx *x, const json_t *d)
{
	const char *cid = json_string_value(json_object_get(d, "cable_id"));
	return json_integer_value(json_object_get(d, "queued")) > 0 && draft_was_sealed(x, cid) ? cid : NULL;
}

/* d without the store's keys (a copy; NULL if out of memory). */
static json_t *cable_fields(const json_t *d)
{
	json_t *j = json_deep_copy(d);
	for (size_t i = 0; j && i < sizeof store_keys / sizeof store_keys[0]; i++)
		json_object_del(j, store_keys[i]);
	return j;
}

int draft_same(const json_t *a, const json_t *b)
{
	json_t *ca = cable_fields(a), *cb = cable_fields(b);
	int same = ca && cb && json_equal(ca, cb);
	json_decref(ca);
	json_decref(cb);
	return same;
}

/*
 * Whether draft id may be saved over (drafts/lock held): not while it is in
 * the outbox already sealed -- its bytes go as they are (an earlier attempt
 * may have reached the switch: new bytes would be a second cable).
 */
static int may_change(cli_ctx *x, const char *id, char *why, size_t cap)
{
	json_t *old;
	if (draft_load(x, id, &old) != DP_OK)
		return DP_OK; /* one that does not open holds nothing to keep */
	const char *cid = draft_in_flight(x, old);
	int r = cid ? bad(why, cap, DP_ESTATE, DRAFT_SEALED_WHY, cid) : DP_OK;
	json_decref(old);
	return r;
}

int draft_save(cli_ctx *x, const json_t *d, char id[DRAFT_ID_LEN + 1], char *why, size_t cap)
{
	dp_cable c;
	dp_cable_init(&c);
	c.classification = c.prec_action = c.prec_info = -1;
	int r = draft_cable(x, d, &c, 0, 0, why, cap);
	dp_cable_free(&c);
	if (r)
		return r;
	if (id[0] && !id_ok(id))
		return bad(why, cap, DP_EINVAL, "bad draft id '%.40s'", id);
	if (id[0]) {
		char p[PATH_MAX];
		draft_path(x, id, p);
		if (access(p, F_OK) != 0)
			return bad(why, cap, DP_ENOTFOUND, "no draft %s", id);
		/* checked and written under the lock: a flush seals nothing in between */
		if ((r = drafts_lock(x)))
			return bad(why, cap, r, "%s", r == DP_EEXISTS ? drafts_busy() : "cannot lock the drafts");
		r = may_change(x, id, why, cap);
		if (!r)
			r = save_as(x, d, id, why, cap);
		drafts_unlock();
		return r;
	} else {
		uint8_t raw[DRAFT_ID_LEN / 2];
		dp_random(raw, sizeof raw);
		dp_hex_encode(id, raw, sizeof raw);
	}
	return save_as(x, d, id, why, cap);
}

static int save_as(cli_ctx *x, const json_t *d, const char *id, char *why, size_t cap)
{
	json_t *j = cable_fields(d);
	if (!j)
		return DP_ENOMEM;
	json_object_set_new(j, "updated", json_integer((json_int_t)dp_now()));
	json_object_set_new(j, "queued", json_integer(0));
	int r = write_sealed(x, id, j);
	json_decref(j);
	if (r)
		snprintf(why, cap, "cannot save the draft: %s", cli_strerror(x, r));
	else
		queued_mark(x, id, 0);
	return r;
}

int draft_state(cli_ctx *x, const char *id, int queued, const char *cable_id, const char *last_error,
		const char *failed)
{
	json_t *j;
	int r = draft_load(x, id, &j);
	if (r)
		return r;
	json_object_del(j, "id");
	if (queued == 0) {
		json_object_set_new(j, "queued", json_integer(0));
		json_object_del(j, "queued_ms");
	}
	else if (queued > 0 && json_integer_value(json_object_get(j, "queued")) == 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		json_object_set_new(j, "queued", json_integer((json_int_t)ts.tv_sec));
		/* the outbox's order within a second: the order they were queued in */
		json_object_set_new(j, "queued_ms",
				    json_integer((json_int_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000));
	}
	const char *keys[] = {"cable_id", "last_error", "failed"}, *vals[] = {cable_id, last_error, failed};
	for (size_t i = 0; i < 3; i++) {
		if (!vals[i])
			continue;
		if (*vals[i])
			json_object_set_new(j, keys[i], json_string(vals[i]));
		else
			json_object_del(j, keys[i]);
	}
	int q = json_integer_value(json_object_get(j, "queued")) > 0;
	r = write_sealed(x, id, j);
	json_decref(j);
	if (!r)
		queued_mark(x, id, q);
	return r;
}

int draft_delete(cli_ctx *x, const char *id)
{
	char p[PATH_MAX];
	if (!id_ok(id))
		return DP_EINVAL;
	draft_path(x, id, p);
	if (access(p, F_OK) != 0)
		return DP_ENOTFOUND;
	int r = drafts_lock(x); /* never while another process is sending it */
	if (r)
		return r;
	if (access(p, F_OK) != 0)
		r = DP_ENOTFOUND; /* sent and removed by the process that held the lock a moment ago */
	else {
		queued_mark(x, id, 0);
		r = cli_shred(p); /* sealed already; zeros all the same, so not even the ciphertext lingers */
	}
	drafts_unlock();
	return r;
}

static int by_updated_desc(const void *pa, const void *pb)
{
	const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	json_int_t ua = json_integer_value(json_object_get(a, "updated")),
		   ub = json_integer_value(json_object_get(b, "updated"));
	return ua > ub ? -1 : ua < ub;
}

int draft_list(cli_ctx *x, json_t **out)
{
	char dir[PATH_MAX];
	*out = NULL;
	cli_path(x, dir, "drafts");
	json_t **v = NULL;
	size_t n = 0;
	DIR *d = opendir(dir);
	struct dirent *de;
	int r = DP_OK;
	while (d && !r && (de = readdir(d))) {
		char id[DRAFT_ID_LEN + 1];
		if (strlen(de->d_name) != DRAFT_ID_LEN + 6 || strcmp(de->d_name + DRAFT_ID_LEN, ".draft") != 0)
			continue;
		memcpy(id, de->d_name, DRAFT_ID_LEN);
		id[DRAFT_ID_LEN] = 0;
		if (!id_ok(id))
			continue;
		json_t *j, *e;
		int k = draft_load(x, id, &j);
		if (k)
			e = json_pack("{s:s, s:s}", "id", id, "error",
				      k == DP_EHMAC ? "does not open under this device's key (altered or planted)"
						    : dp_strerror(k));
		else {
			e = json_pack("{s:s, s:s, s:s, s:O, s:O, s:O}", "id", id, "subject",
				      json_string_value(json_object_get(j, "subject")) ?: "", "precedence",
				      json_string_value(json_object_get(j, "precedence")) ?: "", "to",
				      json_object_get(j, "to") ?: json_null(), "updated",
				      json_object_get(j, "updated") ?: json_null(), "queued",
				      json_object_get(j, "queued") ?: json_null());
			const char *keys[] = {"last_error", "failed", "queued_ms"};
			for (size_t i = 0; e && i < 3; i++)
				if (json_object_get(j, keys[i]))
					json_object_set(e, keys[i], json_object_get(j, keys[i]));
			json_decref(j);
		}
		json_t **nv = e ? reallocarray(v, n + 1, sizeof *v) : NULL;
		if (!nv) {
			json_decref(e);
			r = DP_ENOMEM;
			break;
		}
		v = nv;
		v[n++] = e;
	}
	if (d)
		closedir(d);
	if (n > 1)
		qsort(v, n, sizeof *v, by_updated_desc);
	json_t *a = r ? NULL : json_array();
	for (size_t i = 0; i < n; i++) {
		if (a)
			json_array_append(a, v[i]);
		json_decref(v[i]);
	}
	free(v);
	if (!r && !a)
		r = DP_ENOMEM;
	*out = a;
	return r;
}

