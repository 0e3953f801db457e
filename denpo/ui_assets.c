/*
 * denpo/ui_assets.c - the files of `denpo ui`'s page (denpo/ui/), compiled
 * into the program: nothing is read from disk or fetched from elsewhere at
 * run time.  A file added here is also listed in the Makefile (UI_ASSETS).
 */
#include <string.h>

#include "denpo/buf.h"
#include "denpo/ui.h"

DP_WEBUI_EMBED(ui_index_html, "denpo/ui/index.html");
DP_WEBUI_EMBED(ui_app_js, "denpo/ui/app.js");
DP_WEBUI_EMBED(ui_style_css, "denpo/ui/style.css");
DP_WEBUI_EMBED(ui_icon_svg, "denpo/ui/icon.svg");

static const dp_webui_asset assets[] = {
	DP_WEBUI_ASSET("/", "text/html; charset=utf-8", ui_index_html),
	DP_WEBUI_ASSET("/app.js", "text/javascript; charset=utf-8", ui_app_js),
	DP_WEBUI_ASSET("/style.css", "text/css; charset=utf-8", ui_style_css),
	DP_WEBUI_ASSET("/icon.svg", "image/svg+xml", ui_icon_svg),
};

void ui_assets(const dp_webui_asset **out, size_t *n)
{
	*out = assets;
	*n = sizeof assets / sizeof assets[0];
}

void ui_banner(const dp_cable *c, char *out, size_t cap)
{
	dp_buf b;
	out[0] = 0;
	dp_buf_init(&b, (size_t)DP_MAX_BODY * 2 + 65536);
	if (dp_cable_render(c, NULL, &b) == DP_OK && b.len) {
		size_t n = 0;
		while (n < b.len && b.p[n] != '\n')
			n++;
		if (n >= cap)
			n = cap - 1;
		memcpy(out, b.p, n);
		out[n] = 0;
	}
	dp_buf_free(&b);
}
