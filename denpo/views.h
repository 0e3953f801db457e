/*
 * denpo/views.h - what the client shows, as JSON: `denpo CMD --json` prints
 * these objects and `denpo ui` answers its page with the same ones, so the
 * officer sees the same fields, checked the same way, in the terminal and in
 * the browser (docs/api.md lists their fields).  No function here prints.
 */
#ifndef DENPO_VIEWS_H
#define DENPO_VIEWS_H

#include <jansson.h>

#include "denpo/bind.h"
#include "denpo/sentrec.h"

/* A checked inbox/archive entry: fields from the envelope and the log, and its log index. */
json_t *cli_item_json(const bind_item *b);
/* An opened cable: every header field, the body text, attachments by name and size. */
json_t *cli_cable_json(const dp_cable *c, const char *id, const char *mrn);
/* `denpo status`: a sent cable's receipts per recipient device, with its checked log entry. */
json_t *cli_status_json(const dp_cable_status *st, const bind_logged *lg);

/*
 * `denpo sent`: the officer's sent cables, each checked against its log
 * entry (failed: reported, not listed), the ones saved here the switch has
 * not accepted (pending), and the ones it lost (restored from a backup),
 * FLASH first.  cli_sent_get returns an exit code (failures reported).
 */
typedef struct {
	dp_sent_item *items;
	size_t n;
	bind_failure *failed;
	size_t nfailed;
	sentrec *recs;
	size_t nrec;
	sentrec *lost;
	size_t nlost;
} cli_sent;
int cli_sent_get(cli_ctx *x, cli_sent *v);
void cli_sent_free(cli_sent *v);
json_t *cli_sent_json(cli_ctx *x, const cli_sent *v);

#endif
