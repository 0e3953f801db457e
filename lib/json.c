/*
 * lib/json.c - what both programs' --json prints (denpo/json.h).
 */
#include <stdio.h>

#include <jansson.h>

#include "denpo/json.h"

void dp_json_print(void *json)
{
	json_t *j = json;
	if (!j)
		return;
	json_dumpf(j, stdout, JSON_COMPACT | JSON_ENSURE_ASCII);
	fputc('\n', stdout);
	json_decref(j);
}
