/*
 * denpo/ui.h - the pieces of `denpo ui` (denpo/ui.c: the process and its
 * JSON API; denpo/ui_assets.c: the page, compiled in; docs/ui.md).
 */
#ifndef DENPO_UI_H
#define DENPO_UI_H

#include <stddef.h>

#include "denpo/webui.h"

typedef struct ui_app ui_app;

/* The page's files (denpo/ui/), compiled into the program. */
void ui_assets(const dp_webui_asset **out, size_t *n);
#endif
