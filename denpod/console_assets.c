/*
 * denpod/console_assets.c - the files of `denpod console`'s page
 * (denpod/console/), compiled into the program: nothing is read from disk
 * or fetched from elsewhere at run time.  A file added here is a
 * prerequisite of this object in the Makefile (the wildcard there).
 *
 * Without a session only the login page and what it loads are served
 * (they hold no data); the console itself needs an operator's session.
 */
#include "denpod/console.h"

DP_WEBUI_EMBED(console_login_html, "denpod/console/login.html");
DP_WEBUI_EMBED(console_login_js, "denpod/console/login.js");
DP_WEBUI_EMBED(console_css, "denpod/console/console.css");
DP_WEBUI_EMBED(console_html, "denpod/console/index.html");
DP_WEBUI_EMBED(console_js, "denpod/console/console.js");

static const dp_webui_asset assets[] = {
	DP_WEBUI_OPEN_ASSET("/login.html", "text/html; charset=utf-8", console_login_html),
	DP_WEBUI_OPEN_ASSET("/login.js", "text/javascript; charset=utf-8", console_login_js),
	DP_WEBUI_OPEN_ASSET("/console.css", "text/css; charset=utf-8", console_css),
	DP_WEBUI_ASSET("/", "text/html; charset=utf-8", console_html),
	DP_WEBUI_ASSET("/console.js", "text/javascript; charset=utf-8", console_js),
};

void dpcs_assets(const dp_webui_asset **out, size_t *n)
{
	*out = assets;
	*n = sizeof assets / sizeof assets[0];
}
