/*
 * denpo/ui_assets.c - the files of `denpo ui`'s page (denpo/ui/), compiled
 * into the program: nothing is read from disk or fetched from elsewhere at
 * run time.  A file added here is also listed in the Makefile (UI_ASSETS).
 */
#include "denpo/ui.h"

DP_WEBUI_EMBED(ui_index_html, "denpo/ui/index.html");
DP_WEBUI_EMBED(ui_app_js, "denpo/ui/app.js");
DP_WEBUI_EMBED(ui_compose_js, "denpo/ui/compose.js");
DP_WEBUI_EMBED(ui_style_css, "denpo/ui/style.css");
DP_WEBUI_EMBED(ui_icon_svg, "denpo/ui/icon.svg");

static const dp_webui_asset assets[] = {
	DP_WEBUI_ASSET("/", "text/html; charset=utf-8", ui_index_html),
	DP_WEBUI_ASSET("/app.js", "text/javascript; charset=utf-8", ui_app_js),
	DP_WEBUI_ASSET("/compose.js", "text/javascript; charset=utf-8", ui_compose_js),
	DP_WEBUI_ASSET("/style.css", "text/css; charset=utf-8", ui_style_css),
	DP_WEBUI_ASSET("/icon.svg", "image/svg+xml", ui_icon_svg),
};

void ui_assets(const dp_webui_asset **out, size_t *n)
{
	*out = assets;
	*n = sizeof assets / sizeof assets[0];
}
