/*
 * denpo/json.h - what both programs' --json prints.
 */
#ifndef DENPO_JSON_H
#define DENPO_JSON_H

/* A JSON document (a jansson json_t *, consumed: decref'd) as one compact,
 * ASCII-only line on stdout.  NULL prints nothing. */
void dp_json_print(void *json);

#endif
